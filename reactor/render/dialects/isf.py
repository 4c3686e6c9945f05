"""The ISF dialect (Interactive Shader Format 2.0, and 1.0 files): a fragment shader whose first
thing is a ``/*{ JSON }*/`` header declaring its inputs, passes and imported images.

Inputs become uniforms *and* preset parameters with their declared ranges: ``float`` and
``long`` (nearest of ``VALUES``) by their name, ``bool``/``event`` as 0/1, ``point2D`` as
``<name>_x``/``<name>_y``, ``color`` as ``<name>_r/_g/_b/_a``. ``image`` inputs read the chain's
input (``inputImage``), the transition's images (``startImage``/``endImage``) or the reference
image; ``audio`` / ``audioFFT`` read float textures of ``MAX`` columns (default 512), one row
per input channel. ``PASSES`` give targets, ``PERSISTENT``, ``FLOAT`` (RGBA32F) and
``WIDTH``/``HEIGHT`` expressions (``reactor.render.dialects.expr``). Built-ins: ``PASSINDEX``,
``RENDERSIZE``, ``isf_FragNormCoord``, ``TIME``, ``TIMEDELTA``, ``DATE``, ``FRAMEINDEX`` and the
``IMG_*`` macros. A ``.vs`` file beside the ``.fs`` is its vertex shader (``isf_vertShaderInit()``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from types import MappingProxyType

from reactor.errors import ShaderError
from reactor.render.dialects.common import COMPAT_DEFINES, GLSL_EXTENSIONS, GLSL_VERSION, assemble, declared_uniforms, read_lines, shim
from reactor.render.dialects.expr import parse_expr
from reactor.render.dialects.isf_header import is_isf, split_header
from reactor.render.programs import display_path
from reactor.render.scene_spec import Bind, PassSpec, SceneInfo

__all__ = ["isf_info", "is_isf", "split_header", "TYPES", "EXTRA_TYPES", "OUTPUT"]

OUTPUT = "isf_FragColor"  # gl_FragColor is a macro for it; user code may have its own 'fragColor'
_IDENT = re.compile(r"^[A-Za-z_]\w*$")
TYPES = ("event", "bool", "long", "float", "point2D", "color", "image", "audio", "audioFFT")
EXTRA_TYPES = ("point3D",)
"""Not in the ISF 2.0 spec but found in the wild (ossia score): a vec3, ``<name>_x/_y/_z``."""
AUDIO_WIDTH = 512
_POINT_RANGE = (-1.0e4, 1.0e4)  # point2D without MIN/MAX: pixel coordinates, effectively unbounded
_GLSL_TYPE = {"event": "bool", "bool": "bool", "long": "int", "float": "float", "point2D": "vec2", "point3D": "vec3",
              "color": "vec4", "image": "sampler2D", "audio": "sampler2D", "audioFFT": "sampler2D"}
_IMAGE_ROLES = {"inputImage": "input", "startImage": "start", "endImage": "end"}

_MACROS = (
    "#define IMG_NORM_PIXEL(img, c) texture(img, c)",
    "#define IMG_PIXEL(img, c) texture(img, (c) / vec2(textureSize(img, 0)))",
    "#define IMG_SIZE(img) vec2(textureSize(img, 0))",
    "#define IMG_THIS_PIXEL(img) texture(img, isf_FragNormCoord)",
    "#define IMG_THIS_NORM_PIXEL(img) texture(img, isf_FragNormCoord)",
    "#define IMG_NORM_PIXEL_2D(img, sz, c) texture(img, c)",
    "#define IMG_PIXEL_2D(img, sz, c) texture(img, (c) / (sz))",
    "#define IMG_THIS_PIXEL_2D(img, sz) texture(img, isf_FragNormCoord)",
    "#define IMG_THIS_NORM_PIXEL_2D(img, sz) texture(img, isf_FragNormCoord)",
    "#define vv_FragNormCoord isf_FragNormCoord",
    "#define vv_vertShaderInit isf_vertShaderInit",
)
_BUILTINS = (("int", "PASSINDEX"), ("vec2", "RENDERSIZE"), ("float", "TIME"), ("float", "TIMEDELTA"),
             ("vec4", "DATE"), ("int", "FRAMEINDEX"))
_VS_INIT = ("void isf_vertShaderInit() {",
            "    vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));",
            "    isf_FragNormCoord = p;",
            "    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);",
            "}")


def _num(value, default: float, *, where: str, warnings: list) -> float:
    if value is None:
        return default
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    warnings.append(f"{where}: {value!r} is not a number; using {default:g}")
    return default


def _vec(value, n: int, default: tuple, *, where: str, warnings: list) -> tuple:
    if value is None:
        return default
    if isinstance(value, (list, tuple)) and len(value) >= n and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value[:n]):
        return tuple(float(v) for v in value[:n])
    if isinstance(value, (list, tuple)) and len(value) == 3 and n == 4:
        return _vec(list(value) + [1.0], n, default, where=where, warnings=warnings)
    warnings.append(f"{where}: {value!r} is not a list of {n} numbers; using {list(default)}")
    return default


def _inputs(header: dict, shown: str, warnings: list):
    """-> (uniform decls, bindings, params default, ranges, names by type)."""
    raw = header.get("INPUTS", [])
    if not isinstance(raw, list):
        raise ShaderError(f"{shown}: INPUTS must be a list of objects")
    decls, binds, params, ranges, kinds, identity = [], [], {}, {}, {}, {}
    for i, item in enumerate(raw):
        where = f"{shown}: INPUTS[{i}]"
        if not isinstance(item, dict):
            raise ShaderError(f"{where}: must be an object with NAME and TYPE")
        name, kind = item.get("NAME"), item.get("TYPE")
        if not isinstance(name, str) or not _IDENT.match(name):
            raise ShaderError(f"{where}.NAME: must be a GLSL identifier, got {name!r}")
        if kind not in TYPES + EXTRA_TYPES:
            raise ShaderError(f"{where} '{name}'.TYPE: unknown type {kind!r} (allowed: {', '.join(TYPES + EXTRA_TYPES)})")
        if name in kinds:
            raise ShaderError(f"{where}: input '{name}' is declared twice")
        kinds[name] = kind
        decls.append((_GLSL_TYPE[kind], name))
        w = f"{where} '{name}'"
        if "IDENTITY" in item and kind in ("float", "long", "bool"):
            identity[name] = _num(item["IDENTITY"], 0.0, where=f"{w}.IDENTITY", warnings=warnings)
        elif "IDENTITY" in item and kind in ("point2D", "color"):
            n = 2 if kind == "point2D" else 4
            vals = _vec(item["IDENTITY"], n, (0.0,) * n, where=f"{w}.IDENTITY", warnings=warnings)
            identity.update(zip((f"{name}_{c}" for c in ("xy" if n == 2 else "rgba")), vals))
        if kind == "float":
            lo = _num(item.get("MIN"), 0.0, where=f"{w}.MIN", warnings=warnings)
            hi = _num(item.get("MAX"), 1.0, where=f"{w}.MAX", warnings=warnings)
            lo, hi = min(lo, hi), max(lo, hi)
            d = _num(item.get("DEFAULT"), lo, where=f"{w}.DEFAULT", warnings=warnings)
            params[name], ranges[name] = d, (min(lo, d), max(hi, d))
            binds.append(Bind(name, "param", name))
        elif kind in ("bool", "event"):
            params[name], ranges[name] = _num(item.get("DEFAULT"), 0.0, where=f"{w}.DEFAULT", warnings=warnings), (0.0, 1.0)
            binds.append(Bind(name, "param", name, kind=kind))
        elif kind == "long":
            values = item.get("VALUES")
            if isinstance(values, list) and values and all(isinstance(v, (int, float)) for v in values):
                vals = tuple(float(v) for v in values)
            else:
                if values is not None:
                    warnings.append(f"{w}.VALUES: not a list of numbers; using MIN..MAX")
                lo = _num(item.get("MIN"), 0.0, where=f"{w}.MIN", warnings=warnings)
                hi = _num(item.get("MAX"), max(lo, 1.0), where=f"{w}.MAX", warnings=warnings)
                vals = tuple(float(v) for v in range(int(lo), int(hi) + 1)) if hi - lo < 4096 else ()
            lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
            d = _num(item.get("DEFAULT"), vals[0] if vals else 0.0, where=f"{w}.DEFAULT", warnings=warnings)
            params[name], ranges[name] = d, (min(lo, d), max(hi, d))
            binds.append(Bind(name, "param", name, kind="int", values=vals))
        elif kind in ("point2D", "point3D"):
            n = 2 if kind == "point2D" else 3
            d = _vec(item.get("DEFAULT"), n, (0.0,) * n, where=f"{w}.DEFAULT", warnings=warnings)
            lo = _vec(item.get("MIN"), n, (_POINT_RANGE[0],) * n, where=f"{w}.MIN", warnings=warnings)
            hi = _vec(item.get("MAX"), n, (_POINT_RANGE[1],) * n, where=f"{w}.MAX", warnings=warnings)
            keys = tuple(f"{name}_{c}" for c in "xyz"[:n])
            for k, dv, a, b in zip(keys, d, lo, hi):
                params[k], ranges[k] = dv, (min(a, dv), max(b, dv))
            binds.append(Bind(name, "param", keys, kind=f"vec{n}"))
        elif kind == "color":
            d = _vec(item.get("DEFAULT"), 4, (0.0, 0.0, 0.0, 1.0), where=f"{w}.DEFAULT", warnings=warnings)
            lo = _vec(item.get("MIN"), 4, (0.0,) * 4, where=f"{w}.MIN", warnings=warnings)
            hi = _vec(item.get("MAX"), 4, (1.0,) * 4, where=f"{w}.MAX", warnings=warnings)
            keys = tuple(f"{name}_{c}" for c in "rgba")
            for k, dv, a, b in zip(keys, d, lo, hi):
                params[k], ranges[k] = dv, (min(a, dv), max(b, dv))
            binds.append(Bind(name, "param", keys, kind="vec4"))
        elif kind == "image":
            binds.append(Bind(name, "texture", _IMAGE_ROLES.get(name, "image")))
        else:
            width = int(_num(item.get("MAX"), AUDIO_WIDTH, where=f"{w}.MAX", warnings=warnings))
            if not 1 <= width <= 16384:
                warnings.append(f"{w}.MAX: {width} columns is out of range 1..16384; using {AUDIO_WIDTH}")
                width = AUDIO_WIDTH
            binds.append(Bind(name, "texture", f"{'isf_audio' if kind == 'audio' else 'isf_fft'}:{width}"))
    return decls, binds, params, ranges, kinds, identity


def _imported(header: dict, path: Path, shown: str, warnings: list):
    raw = header.get("IMPORTED", {})
    items = []
    if isinstance(raw, dict):
        items = [(k, v) for k, v in raw.items()]
    elif isinstance(raw, list):
        items = [(v.get("NAME") if isinstance(v, dict) else None, v) for v in raw]
    else:
        raise ShaderError(f"{shown}: IMPORTED must be an object of {{\"name\": {{\"PATH\": \"file.png\"}}}}")
    out = []
    for name, spec in items:
        where = f"{shown}: IMPORTED '{name}'"
        if not isinstance(name, str) or not _IDENT.match(name):
            raise ShaderError(f"{where}: needs a NAME that is a GLSL identifier")
        file = spec.get("PATH") if isinstance(spec, dict) else None
        if not isinstance(file, str):
            kind = "a cube map" if isinstance(file, list) else "no PATH"
            raise ShaderError(f"{where}: {kind}; a single image file PATH is supported")
        p = (path.parent / file).resolve()
        if not p.is_file():
            # collections are often copied without their images: show the shader, say what is missing
            warnings.append(f"{where}: image file not found: {display_path(p)}; black instead")
            out.append((name, None))
            continue
        out.append((name, p))
    return out


def _passes(header: dict, shown: str, names: set):
    raw = header.get("PASSES", [{}])
    if not isinstance(raw, list) or not raw:
        raw = [{}]
    persistent = header.get("PERSISTENT_BUFFERS", {})  # ISF 1.0
    if isinstance(persistent, list):
        persistent = {n: {} for n in persistent if isinstance(n, str)}
    elif not isinstance(persistent, dict):
        persistent = {}
    out = []
    for i, p in enumerate(raw):
        where = f"{shown}: PASSES[{i}]"
        if not isinstance(p, dict):
            raise ShaderError(f"{where}: must be an object")
        target = p.get("TARGET")
        if target is not None and (not isinstance(target, str) or not _IDENT.match(target)):
            raise ShaderError(f"{where}.TARGET: must be a GLSL identifier, got {target!r}")
        legacy = persistent.get(target, {}) if target else {}
        legacy = legacy if isinstance(legacy, dict) else {}
        size = None
        wexpr, hexpr = p.get("WIDTH", legacy.get("WIDTH")), p.get("HEIGHT", legacy.get("HEIGHT"))
        if wexpr is not None or hexpr is not None:
            size = tuple(parse_expr(e if e is not None else f"${axis}", where=f"{where}.{axis}")
                         for e, axis in ((wexpr, "WIDTH"), (hexpr, "HEIGHT")))
            for e, axis in zip(size, ("WIDTH", "HEIGHT")):
                unknown = sorted(e.names - names - {"WIDTH", "HEIGHT"})
                if unknown:
                    raise ShaderError(f"{where}.{axis}: unknown variable ${unknown[0]} in {e.text!r} "
                                      f"(known: $WIDTH, $HEIGHT{''.join(', $' + n for n in sorted(names))})")
        is_float = bool(p.get("FLOAT", legacy.get("FLOAT", False)))
        out.append((target, bool(p.get("PERSISTENT", target in persistent)), is_float, size))
    return out


def _vertex_source(vs_path: Path, decls: list):
    body = shim(read_lines(vs_path))
    own = declared_uniforms(body)
    header = [GLSL_VERSION, *GLSL_EXTENSIONS, *COMPAT_DEFINES, "#define varying out", "#define attribute in",
              "#define ftransform() gl_Position",  # old vertex shaders; isf_vertShaderInit() set it
              *_MACROS,
              "out vec2 isf_FragNormCoord;"]
    header += [f"uniform {t} {n};" for t, n in decls if n not in own]
    header += list(_VS_INIT)
    return assemble(vs_path, header, body, tag="isf-vs")


def isf_info(path: Path) -> SceneInfo:
    """An ISF scene (generator, filter or transition) from its ``.fs`` file."""
    shown = display_path(path)
    header, body = split_header(path)
    warnings: list[str] = [header.pop("__lenient__")] if "__lenient__" in header else []
    decls, input_binds, params, ranges, kinds, identity = _inputs(header, shown, warnings)
    imported = _imported(header, path, shown, warnings)
    passes = _passes(header, shown, set(kinds))
    targets = []
    for target, *_ in passes:
        if target and target not in targets:
            targets.append(target)
    clash = (set(targets) | {n for n, _ in imported}) & set(kinds)
    if clash:
        raise ShaderError(f"{shown}: '{sorted(clash)[0]}' is both an input and a pass target or import")
    decls += [(t, n) for t, n in _BUILTINS]
    decls += [("sampler2D", n) for n in targets] + [("sampler2D", n) for n, _ in imported]
    body = shim(body)
    own = declared_uniforms(body)
    frag_header = [GLSL_VERSION, *GLSL_EXTENSIONS, *COMPAT_DEFINES, "#define varying in", f"#define gl_FragColor {OUTPUT}",
                   f"out vec4 {OUTPUT};", "in vec2 isf_FragNormCoord;"]
    frag_header += [f"uniform {t} {n};" for t, n in decls if n not in own]
    frag_header += list(_MACROS)
    source = assemble(path, frag_header, body, tag="isf")
    vs_path = path.with_suffix(".vs")
    vertex = _vertex_source(vs_path, decls) if vs_path.is_file() else _vertex_source_default()
    common = [Bind("RENDERSIZE", "resolution", 2), Bind("TIME", "time"), Bind("TIMEDELTA", "dt"),
              Bind("DATE", "date", "isf"), Bind("FRAMEINDEX", "frame", kind="int")]
    common += input_binds + [Bind(n, "texture", f"file:{p}" if p else "black") for n, p in imported]
    common += [Bind(t, "texture", f"pass:{t}") for t in targets]
    specs = []
    for i, (target, persistent, is_float, size) in enumerate(passes):
        last = i == len(passes) - 1
        name = target or ("main" if last else f"_pass{i}")
        fmt = "rgba32f" if is_float else ("rgba8" if target else None)
        specs.append(PassSpec(shader=path, target=name, float_target=True, format=fmt, size=size,
                              persistent=persistent, bindings=tuple(common) + (Bind("PASSINDEX", "const", i, kind="int"),),
                              source=source, vertex=vertex, output=OUTPUT))
    role = ("filter" if kinds.get("inputImage") == "image" else
            "transition" if {"startImage", "endImage", "progress"} <= set(kinds) else "generator")
    uses_image = any(b.source == "texture" and b.key in ("image", "input") for b in input_binds)
    desc = header.get("DESCRIPTION", "")
    return SceneInfo(name=path.stem, description=desc if isinstance(desc, str) else "", uses_image=uses_image,
                     path=path, feedback=any(p[1] for p in passes), passes=tuple(specs),
                     params=MappingProxyType(params), kind="isf", role=role,
                     param_ranges=MappingProxyType(ranges), warnings=tuple(warnings),
                     param_identity=MappingProxyType(identity))


_DEFAULT_VS = None


def _vertex_source_default():
    global _DEFAULT_VS
    if _DEFAULT_VS is None:
        from reactor.render.programs import ShaderSource

        lines = [GLSL_VERSION, "out vec2 isf_FragNormCoord;", "out vec2 v_uv;", *_VS_INIT,
                 "void main() { isf_vertShaderInit(); v_uv = isf_FragNormCoord; }"]
        _DEFAULT_VS = ShaderSource(path=Path("<isf-vs>"), text="\n".join(lines) + "\n",
                                   origins=tuple(("<isf-vs>", i + 1) for i in range(len(lines))))
    return _DEFAULT_VS
