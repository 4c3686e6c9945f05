"""The Shadertoy dialect: a file with ``void mainImage(out vec4 fragColor, in vec2 fragCoord)``.

Single pass: the file alone (``iChannel0`` = the sound texture, ``iChannel1..3`` = noise).
Multipass, or other channel bindings: a sidecar ``.toml`` (``kind = "shadertoy"``) naming the
files of the Image pass and Buffers A-D and what each channel reads::

    kind = "shadertoy"
    description = "Trails that pulse with the kick"
    common = "common.glsl"          # optional, prepended to every pass
    [A]
    shader = "buffer_a.glsl"
    iChannel0 = "A"                 # its own previous frame (self-feedback)
    iChannel1 = "sound"
    [Image]
    shader = "image.glsl"
    iChannel0 = "A"

Channel values: ``sound`` (alias ``music``, ``mic``), ``noise``, ``noise_cube``, ``image`` (the
reference image), ``depth``, ``A``..``D`` (a buffer), ``black``, or an image file path (relative
to the sidecar). The code is compiled unmodified as GLSL 3.30 after the generated header; the
only shims are macros for old texture function names and ``iGlobalTime``, and blanking
``#version`` / ``#extension`` lines (so every line keeps its number).
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType

from reactor.errors import ShaderError
from reactor.render.dialects.common import COMPAT_DEFINES, GLSL_EXTENSIONS, GLSL_VERSION, assemble, declared_uniforms, read_lines, shim
from reactor.render.programs import display_path
from reactor.render.scene_spec import Bind, PassSpec, SceneInfo

OUTPUT = "shadertoy_FragColor"  # not 'fragColor': that is what user code names mainImage's argument
MAIN_IMAGE = re.compile(r"\bvoid\s+mainImage\s*\(")
BUFFERS = ("A", "B", "C", "D")
PASS_ORDER = BUFFERS + ("Image",)
DEFAULT_CHANNELS = ("sound", "noise", "noise", "noise")
_ALIASES = {"music": "sound", "mic": "sound", "audio": "sound", "none": "black"}
_NAMED = {"sound", "noise", "noise_cube", "image", "depth", "black"}
_IMAGE_EXT = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
_CUBE_USE = re.compile(r"\btextureCube(?:Lod(?:EXT)?)?\s*\(\s*iChannel([0-3])\b")
_TEX_CALL = re.compile(r"\btexture(?:Lod|Grad)?\s*\(\s*iChannel([0-3])\s*,\s*([A-Za-z_]\w*)\s*(\(|\.\w+|[,)])")
_DECL = re.compile(r"\b(float|vec2|vec3|vec4|int|ivec2|ivec3|mat2|mat3)\s+([A-Za-z_]\w*)")
_VEC3_CALLS = {"vec3", "reflect", "refract", "normalize", "cross"}
_OWN_SAMPLER = re.compile(r"\buniform\s+(?:(?:lowp|mediump|highp)\s+)?(sampler\w+)\s+iChannel([0-3])\b")
_OWN_OUT = re.compile(r"^\s*(?:layout\s*\([^)]*\)\s*)?out\s+(?:(?:lowp|mediump|highp)\s+)?vec4\s+(\w+)\s*;", re.M)
_SIDE_KEYS = {"kind", "description", "common", *PASS_ORDER}
_PASS_KEYS = {"shader", "iChannel0", "iChannel1", "iChannel2", "iChannel3"}

_UNIFORMS = (("vec3", "iResolution", Bind("iResolution", "resolution", 3)),
             ("float", "iTime", Bind("iTime", "time")),
             ("float", "iTimeDelta", Bind("iTimeDelta", "dt")),
             ("int", "iFrame", Bind("iFrame", "frame", kind="int")),
             ("float", "iFrameRate", Bind("iFrameRate", "frame_rate")),
             ("vec4", "iMouse", Bind("iMouse", "mouse")),
             ("vec4", "iDate", Bind("iDate", "date", "shadertoy")),
             ("float", "iSampleRate", Bind("iSampleRate", "sample_rate")))


_LEGACY_MAIN = re.compile(r"\bvoid\s+main\s*\(")
_LEGACY_USES = re.compile(r"\b(?:iResolution|iGlobalTime|iTime|iChannel[0-3]|iMouse)\b")


def is_shadertoy(text: str) -> bool:
    """Whether source text defines ``mainImage``, or is an old-style Shadertoy file: ``void main()``
    writing ``gl_FragColor`` and reading Shadertoy uniforms (as early Shadertoy and Kodi used)."""
    return MAIN_IMAGE.search(text) is not None or _is_legacy(text)


def _is_legacy(text: str) -> bool:
    return (MAIN_IMAGE.search(text) is None and _LEGACY_MAIN.search(text) is not None
            and "gl_FragColor" in text and _LEGACY_USES.search(text) is not None)


def cube_channels(code: str) -> set[int]:
    """Channels the code samples with 3D directions: ``textureCube(iChannelN, ...)``, or
    ``texture(iChannelN, d)`` where ``d`` is a ``vec3(...)``/``reflect``/``normalize``/... call,
    a ``.xyz``-style swizzle, or a name declared only as ``vec3`` in the file. Those channels are
    bound as (noise) cube maps, as Shadertoy does for its cube-map inputs."""
    cubes = {int(i) for i in _CUBE_USE.findall(code)}
    types: dict[str, set[str]] = {}
    for t, name in _DECL.findall(code):
        types.setdefault(name, set()).add(t)
    for channel, name, after in _TEX_CALL.findall(code):
        if after == "(":
            is_vec3 = name in _VEC3_CALLS
        elif after.startswith("."):
            is_vec3 = len(after) == 4 and all(c in "xyzrgbstp" for c in after[1:])
        else:
            is_vec3 = types.get(name) == {"vec3"}
        if is_vec3:
            cubes.add(int(channel))
    return cubes


def _channel_key(value, *, where: str, base: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ShaderError(f"{where}: must be a channel name (sound, noise, image, A..D) or an image file")
    v = _ALIASES.get(value.strip().lower(), value.strip())
    if v.lower() in _NAMED:
        return v.lower()
    if v.upper() in BUFFERS or v.lower().startswith("buffer") and v[-1:].upper() in BUFFERS:
        return f"pass:{v[-1].upper()}"
    if v.lower().endswith(_IMAGE_EXT):
        p = (base / v).expanduser().resolve()
        if not p.is_file():
            raise ShaderError(f"{where}: image file not found: {display_path(p)}")
        return f"file:{p}"
    raise ShaderError(f"{where}: unknown channel {value!r} (allowed: sound, noise, noise_cube, image, depth, "
                      f"black, A, B, C, D, or an image file)")


def _pass_source(path: Path, common: list, channels: list[str], *, image_pass: bool, target: str,
                 notes: list | None = None, lines: list | None = None, force_cube: frozenset = frozenset()):
    body = shim(common + (read_lines(path) if lines is None else lines))
    own = declared_uniforms(body)
    code = "\n".join(t for t, _, _ in body)
    if not is_shadertoy(code):
        raise ShaderError(f"{display_path(path)}: no 'void mainImage(out vec4 fragColor, in vec2 fragCoord)'")
    cube = cube_channels(code)
    # a file that declares a channel as a cube (or 3D) sampler itself gets the noise cube there
    cube |= {int(i) for t, i in _OWN_SAMPLER.findall(code) if t in ("samplerCube", "sampler3D")}
    declared_2d = {int(i) for t, i in _OWN_SAMPLER.findall(code) if t == "sampler2D"}
    cube -= declared_2d
    cube |= force_cube  # found by a failed compile (see _repair)
    own_out = _OWN_OUT.findall(code) if _LEGACY_MAIN.search(code) else []
    header = [GLSL_VERSION, *GLSL_EXTENSIONS, *COMPAT_DEFINES, "#define iGlobalTime iTime"]
    if not own_out:
        header.append(f"out vec4 {OUTPUT};")
    binds = []
    for glsl_type, name, bind in _UNIFORMS:
        binds.append(bind)
        if name not in own:
            header.append(f"uniform {glsl_type} {name};")
    for name, glsl in (("iChannelTime", "float iChannelTime[4]"), ("iChannelResolution", "vec3 iChannelResolution[4]")):
        if name not in own:
            header.append(f"uniform {glsl};")
    keys = []
    for i, key in enumerate(channels):
        if key == "pass:" + target:
            key = "prev"  # a buffer reading itself sees its previous frame
        if i in cube and key in ("noise", "sound"):
            if key == "sound" and notes is not None:
                notes.append(f"{display_path(path)}: iChannel{i} is sampled by a 3D direction, so it gets a "
                             f"noise cube map instead of the sound texture")
            key = "noise_cube"
        keys.append(key)
        sampler = "samplerCube" if key == "noise_cube" else "sampler2D"
        if f"iChannel{i}" not in own:
            header.append(f"uniform {sampler} iChannel{i};")
        binds.append(Bind(f"iChannel{i}", "texture", key))
    binds.append(Bind("iChannelTime", "channel_time", tuple(keys)))
    binds.append(Bind("iChannelResolution", "channel_res", tuple(keys)))
    alpha = "1.0" if image_pass else "c.a"
    if own_out:  # a complete ES shader: its own main() and output, which mainImage() serves
        return assemble(path, header, body, tag="shadertoy"), tuple(binds), keys, own_out[0]
    if _is_legacy(code):
        header.append(f"#define gl_FragColor {OUTPUT}")
        return assemble(path, header, body, tag="shadertoy"), tuple(binds), keys, OUTPUT
    footer = ["void main() {", "    vec4 c = vec4(0.0, 0.0, 0.0, 1.0);", "    mainImage(c, gl_FragCoord.xy);",
              f"    {OUTPUT} = vec4(c.rgb, {alpha});", "}"]
    return assemble(path, header, body, footer, tag="shadertoy"), tuple(binds), keys, OUTPUT


def sibling_common(path: Path) -> Path | None:
    """A ``common.<same suffix>`` file beside ``path`` (how dumps of the site's Common tab are
    laid out), if there is one and it is not ``path`` itself."""
    for candidate in sorted(path.parent.glob(f"*{path.suffix}")):
        if candidate.stem.lower() == "common" and candidate.resolve() != path.resolve():
            return candidate
    return None


def single_info(path: Path) -> SceneInfo:
    """A one-file Shadertoy scene with the default channels (and a sibling ``common`` file's code
    first, with a notice)."""
    common = sibling_common(path)
    notes = [f"{display_path(path)}: code of {common.name} (the Common tab) is put before it"] if common else []
    return _info(path, {"Image": (path, list(DEFAULT_CHANNELS))}, common=common, description="", notes=notes)


def sidecar_info(path: Path, data: dict) -> SceneInfo:
    """A Shadertoy scene described by a sidecar ``.toml`` (already parsed as ``data``)."""
    shown = display_path(path)
    for key in data:
        if key not in _SIDE_KEYS:
            raise ShaderError(f"{shown}: unknown key {key!r} (allowed: {', '.join(sorted(_SIDE_KEYS))})")
    if "Image" not in data:
        raise ShaderError(f"{shown}: needs an [Image] table with shader = \"file.glsl\"")
    passes = {}
    for name in PASS_ORDER:
        if name not in data:
            continue
        table = data[name]
        where = f"{shown}: {name}"
        if not isinstance(table, dict) or not isinstance(table.get("shader"), str):
            raise ShaderError(f"{where}.shader: required, the pass's shader file")
        for key in table:
            if key not in _PASS_KEYS:
                raise ShaderError(f"{where}.{key}: unknown key (allowed: {', '.join(sorted(_PASS_KEYS))})")
        shader = (path.parent / table["shader"]).resolve()
        if not shader.is_file():
            raise ShaderError(f"{where}.shader: file not found: {display_path(shader)}")
        channels = [_channel_key(table[f"iChannel{i}"], where=f"{where}.iChannel{i}", base=path.parent)
                    if f"iChannel{i}" in table else DEFAULT_CHANNELS[i] for i in range(4)]
        for i, key in enumerate(channels):
            if key.startswith("pass:") and key[5:] not in data:
                raise ShaderError(f"{where}.iChannel{i}: reads buffer {key[5:]}, which the file does not define")
        passes[name] = (shader, channels)
    common = None
    if "common" in data:
        common = (path.parent / str(data["common"])).resolve()
        if not common.is_file():
            raise ShaderError(f"{shown}: common: file not found: {display_path(common)}")
    return _info(path, passes, common=common, description=str(data.get("description", "")))


_DIRECTION_ON_2D = re.compile(r"sampler2D\s*,\s*vec3")


def _repair(args: dict, error: ShaderError):
    """After a failed compile: when the driver says a 2D channel was sampled with a vec3 (a cube
    map or volume on the site), bind the channels named on the failing line as noise cubes and
    return the rebuilt scene; None when that is not the problem or nothing is left to change."""
    errors = getattr(error, "errors", [])
    line = getattr(error, "source_line", "") or ""
    if not errors or not _DIRECTION_ON_2D.search(str(error)):
        return None
    channels = {int(c) for c in re.findall(r"\biChannel([0-3])\b", line)}
    forced = {name: set(v) for name, v in args["force_cubes"].items()}
    changed = False
    for name, (shader, keys, *code) in args["passes"].items():
        text = "\n".join(t for t, _, _ in code[0]) if code else shader.read_text(errors="replace")
        if line.strip() and line.strip() in text:
            new = {c for c in channels if keys[c] in ("noise", "sound", "black") and c not in forced.get(name, set())}
            if new:
                forced.setdefault(name, set()).update(new)
                changed = True
    if not changed:
        return None
    notes = list(args["notes_in"]) + [
        f"{display_path(args['path'])}: iChannel{c} of {n} is sampled with a 3D direction (a cube map on the "
        f"site): a noise cube map is bound there" for n, cs in sorted(forced.items()) for c in sorted(cs)]
    return _info(args["path"], args["passes"], common=args["common"], description=args["description"],
                 common_lines=args["common_lines"], notes=notes, force_cubes=forced)


def _info(path: Path, passes: dict, *, common=None, description: str, common_lines: list | None = None,
          notes: list | None = None, force_cubes: dict | None = None) -> SceneInfo:
    """``passes``: name -> (shader path, channel keys[, code lines when not read from the file])."""
    if common_lines is None:
        common_lines = read_lines(common) if common is not None else []
    force_cubes = force_cubes or {}
    args = {"path": path, "passes": passes, "common": common, "description": description,
            "common_lines": common_lines, "notes_in": [n for n in (notes or []) if "3D direction (a cube" not in n],
            "force_cubes": force_cubes}
    specs, uses_image, feedback = [], False, False
    notes = [] if notes is None else list(notes)
    for name in PASS_ORDER:
        if name not in passes:
            continue
        shader, channels, *code = passes[name]
        source, binds, keys, output = _pass_source(shader, common_lines, channels, image_pass=name == "Image", target=name,
                                                     notes=notes, lines=code[0] if code else None,
                                                     force_cube=frozenset(force_cubes.get(name, ())))
        uses_image |= any(k in ("image", "depth") for k in keys)
        feedback |= "prev" in keys
        # Shadertoy buffers are 32-bit float; the Image pass is the output (half float, dithered).
        specs.append(PassSpec(shader=shader, target=name, float_target=True,
                              format="rgba32f" if name != "Image" else None, bindings=binds, source=source,
                              output=output))
    return SceneInfo(name=path.stem if path.is_file() else path.name, description=description,
                     uses_image=uses_image, path=path, feedback=feedback, passes=tuple(specs),
                     params=MappingProxyType({}), kind="shadertoy", warnings=tuple(notes),
                     repair=lambda error: _repair(args, error))
