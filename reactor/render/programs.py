"""Shader loading: ``#include`` resolution, the generated uniform header, compilation, error mapping.

A scene fragment shader is GLSL 330 *without* a ``#version`` line. The loader prepends a header
(``standard_header``) that declares ``v_uv``, ``fragColor`` and every standard uniform, resolves
``#include "name.glsl"`` recursively (relative to the including file first, then the built-in
``shaders/lib/``, then the ``lib/`` of user shader folders, see ``reactor.resources``; each file is
included at most once per program), and keeps a line map so that driver errors point
at the original ``file:line``.

Standard uniforms (all scenes; unused ones are optimized away by the compiler and never bound):

=================  ==========================================================================
``u_time``         float, seconds (audio/clock time of the frame)
``u_dt``           float, seconds since the previous frame
``u_frame``        int, frames rendered by this renderer (dither seed only; never drive motion)
``u_resolution``   vec2, pixels of the pass being drawn (a ``scale = 0.5`` pass is half size)
``u_aspect``       float, width / height of the pass
``u_<feature>``    float, one per name in ``reactor.features.SCALARS`` (u_level, u_bass_hit, ...)
``u_spectrum``     sampler2D 64x1 R32F, 0..1, log-frequency 30 Hz (u=0) .. 16 kHz (u=1)
``u_waveform``     sampler2D 512x1 R32F, -1..1, oldest (u=0) .. newest (u=1) sample
``u_history``      sampler2D 64x256 R32F, spectrum history: x = frequency as u_spectrum,
                   row 0 (v near 0) newest; one row per 1/60 s whatever the frame rate (4.3 s)
``u_sound``        sampler2D 512x2 R32F, Shadertoy layout: row 0 (v=0.25) FFT 0..1,
                   row 1 (v=0.75) waveform 0.5-centred
``u_image``        sampler2D RGBA8, the reference image fitted (cover) to the output size,
                   sRGB-encoded values, straight alpha; a generated placeholder when none
``u_depth``        sampler2D R32F, 0..1 with near = 1, aligned with u_image (drawn for the demo
                   image, estimated heuristically for others); near regions are grown by ~1 %
                   of the height and softened so warps stretch the background, not the subject
``u_prev``         sampler2D RGBA16F, this pass's own previous output (black at frame 0)
``u_noise``        sampler2D 256x256 RGBA8, tiling white noise (repeat wrap)
``u_pass_<name>``  sampler2D, the latest output of the multipass target ``<name>``
``p_<param>``      float, declared by the scene itself: ``uniform float p_zoom = 0.2;`` (the
                   initializer is the default used when a preset does not set it)
=================  ==========================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from reactor import resources
from reactor.errors import ShaderError
from reactor.features import SCALARS

VERTEX_SHADER = """#version 330 core
out vec2 v_uv;
void main() {
    // One triangle that covers the viewport; no vertex buffer needed.
    vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
    v_uv = p;
    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
"""

# A pass with a region (``PassSpec.region``) is drawn in two parts that tile the frame exactly:
# its own code inside the rectangle a 1x1 pass computed this frame (texel 0: x0, y0, x1, y1 in uv,
# bottom-left origin), and the same code compiled with REACTOR_OUTSIDE_REGION defined in the four
# strips around it. Both read the rectangle here, so their shared edges are the same numbers and
# every pixel is drawn once. A CPU rasterizer runs every instruction of a shader for every pixel
# whatever its branches do; only fewer pixels make an expensive shader cheaper.
_REGION_RECT_GLSL = """#version 330 core
uniform sampler2D reactor_region;
out vec2 v_uv;
vec4 reactor_rect() {
    vec4 r = texelFetch(reactor_region, ivec2(0, 0), 0);
    if (any(isnan(r))) r = vec4(0.0, 0.0, 1.0, 1.0);  // a broken rectangle: the whole frame
    r = clamp(r, 0.0, 1.0);
    return vec4(r.xy, max(r.zw, r.xy));     // an inverted rectangle is empty
}


// Corners are picked, not interpolated (mix(a, b, 1.0) need not be exactly b), so both parts put
// a shared edge at the very same number and the rasterizer leaves no gap between them.
vec2 reactor_corner(vec4 box, int k) {
    return vec2((k & 1) != 0 ? box.z : box.x, (k & 2) != 0 ? box.w : box.y);
}
"""

REGION_INSIDE_VERTEX = _REGION_RECT_GLSL + """
void main() {
    // Four vertices, a triangle strip over the rectangle.
    v_uv = reactor_corner(reactor_rect(), gl_VertexID);
    gl_Position = vec4(v_uv * 2.0 - 1.0, 0.0, 1.0);
}
"""

REGION_OUTSIDE_VERTEX = _REGION_RECT_GLSL + """
void main() {
    // 24 vertices: four quads (two triangles each) around the rectangle: below, above, left, right.
    vec4 r = reactor_rect();
    int quad = gl_VertexID / 6;
    int k = gl_VertexID - 6 * quad;
    const int CORNERS[6] = int[6](0, 1, 3, 0, 3, 2);  // two triangles of corners (bit 0: x1, bit 1: y1)
    vec4 box = quad == 0 ? vec4(0.0, 0.0, 1.0, r.y)
             : quad == 1 ? vec4(0.0, r.w, 1.0, 1.0)
             : quad == 2 ? vec4(0.0, r.y, r.x, r.w)
             : vec4(r.z, r.y, 1.0, r.w);
    v_uv = reactor_corner(box, CORNERS[k]);
    gl_Position = vec4(v_uv * 2.0 - 1.0, 0.0, 1.0);
}
"""

OUTSIDE_REGION_DEFINE = "REACTOR_OUTSIDE_REGION"
"""Defined when a region pass's code is compiled for the pixels outside its region."""

SAMPLERS: tuple[str, ...] = ("u_spectrum", "u_waveform", "u_history", "u_sound",
                             "u_image", "u_depth", "u_prev", "u_noise")
"""Standard sampler uniforms, in texture-unit order."""

_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"\s*$')
_VERSION = re.compile(r"^\s*#\s*version\b")
_OWN_UNIFORM = re.compile(r"^\s*uniform\s+\w+\s+(u_\w+)\s*;")
_PARAM = re.compile(r"^\s*uniform\s+float\s+p_(\w+)\s*(?:=\s*([-+0-9.eE]+)\s*)?;")
# Driver log formats: Mesa "0:12(5): error: msg", AMD/Intel/Apple "ERROR: 0:12: msg",
# NVIDIA "0(12) : error C0000: msg".
_LOG_FORMATS = (
    re.compile(r"^\s*\d+:(?P<line>\d+)\(\d+\):\s*(?P<kind>error|warning)\s*:\s*(?P<msg>.*)$", re.I),
    re.compile(r"^\s*(?P<kind>ERROR|WARNING):\s*\d+:(?P<line>\d+):\s*(?P<msg>.*)$", re.I),
    re.compile(r"^\s*\d+\((?P<line>\d+)\)\s*:\s*(?P<kind>error|warning)\s*\w*\s*:\s*(?P<msg>.*)$", re.I),
)


def shader_dir() -> Path:
    """The built-in ``shaders/`` folder (``lib/`` and ``scenes/`` live under it), inside the package."""
    return resources.builtin_dir("shaders")


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (short error messages)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class ShaderSource:
    """A complete fragment shader and, for each of its lines, where that line came from.

    ``origins[i]`` is ``(file, line)`` (1-based) of line ``i + 1`` of ``text``; header lines
    have file ``"<header>"``.
    """

    path: Path
    text: str
    origins: tuple[tuple[str, int], ...]

    def origin(self, line: int) -> tuple[str, int]:
        """Original ``(file, line)`` of 1-based line ``line`` of the compiled text."""
        if 1 <= line <= len(self.origins):
            return self.origins[line - 1]
        return display_path(self.path), line

    def references(self, name: str) -> bool:
        """Whether the scene's own code (not the generated parts) names identifier ``name``.

        ``//`` comments are ignored; other mentions count, so the answer errs towards True.
        """
        word = re.compile(rf"\b{re.escape(name)}\b")
        return any(word.search(text.split("//", 1)[0])
                   for text, (file, _) in zip(self.text.splitlines(), self.origins)
                   if not file.startswith("<"))


def wrap_main(source: ShaderSource, epilogue: str, *, renamed: str = "reactor_scene_main") -> ShaderSource:
    """``source`` with its ``main`` renamed to ``renamed`` and ``epilogue`` (GLSL) appended.

    The epilogue defines the new ``main`` (which calls ``renamed()``). The rename is a
    ``#define`` after the header, so every original line keeps its ``file:line`` origin;
    generated lines map to ``<wrap>``.
    """
    lines = source.text.splitlines()
    head = next((i for i, (file, _) in enumerate(source.origins) if file != "<header>"), len(lines))
    extra = epilogue.splitlines()
    text = lines[:head] + [f"#define main {renamed}"] + lines[head:] + ["#undef main"] + extra
    origins = (source.origins[:head] + (("<wrap>", 1),) + source.origins[head:]
               + tuple(("<wrap>", i + 2) for i in range(len(extra) + 1)))
    return ShaderSource(path=source.path, text="\n".join(text) + "\n", origins=origins)


def with_define(source: ShaderSource, name: str) -> ShaderSource:
    """``source`` with ``#define name`` after its ``#version`` line (origins kept)."""
    lines = source.text.splitlines()
    text = lines[:1] + [f"#define {name}"] + lines[1:]
    origins = source.origins[:1] + (("<define>", 1),) + source.origins[1:]
    return ShaderSource(path=source.path, text="\n".join(text) + "\n", origins=origins)


def vertex_source(text: str, name: str) -> ShaderSource:
    """A generated vertex shader as a ``ShaderSource`` (for ``compile_program``)."""
    lines = text.splitlines()
    return ShaderSource(path=Path(name), text=text, origins=tuple((name, i + 1) for i in range(len(lines))))


def standard_header(*, pass_targets: Sequence[str] = (), skip: Iterable[str] = ()) -> list[str]:
    """Lines of the generated header: version, varyings and every standard uniform.

    ``pass_targets`` adds ``uniform sampler2D u_pass_<name>;`` for each multipass target;
    ``skip`` names uniforms the scene declares itself (so they are not declared twice).
    """
    skipped = set(skip)
    decls = ["float u_time", "float u_dt", "int u_frame", "vec2 u_resolution", "float u_aspect", "vec2 u_output_resolution"]
    decls += [f"float u_{name}" for name in SCALARS if name != "time"]
    decls += [f"sampler2D {name}" for name in SAMPLERS]
    decls += [f"sampler2D u_pass_{t}" for t in pass_targets]
    lines = ["#version 330 core", "in vec2 v_uv;", "out vec4 fragColor;"]
    lines += [f"uniform {d};" for d in decls if d.split()[1] not in skipped]
    return lines


def _read(path: Path, *, where: str) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ShaderError(f"{where}: cannot read shader {display_path(path)}: {exc}") from None


def _find_include(name: str, including: Path) -> Path | None:
    for base in (including.parent, *resources.include_dirs()):
        candidate = (base / name).resolve()
        if candidate.is_file():
            return candidate
    return None


def _expand(path: Path, seen: set[Path], out: list[tuple[str, str, int]]) -> None:
    """Append ``(text, file, line)`` for ``path`` with includes expanded depth-first."""
    shown = display_path(path)
    for number, text in enumerate(_read(path, where=shown), start=1):
        match = _INCLUDE.match(text)
        if match is None:
            # A stray #version would clash with the header; it is not an error worth a black screen.
            out.append(("" if _VERSION.match(text) else text, shown, number))
            continue
        target = _find_include(match.group(1), path)
        if target is None:
            looked = ", ".join(display_path(d) for d in resources.include_dirs())
            raise ShaderError(f'{shown}:{number}: cannot find include "{match.group(1)}" '
                              f"(looked next to the file and in {looked})")
        out.append(("", shown, number))
        if target not in seen:  # include guard: each file once per program
            seen.add(target)
            _expand(target, seen, out)


def build_source(path: Path | str, *, pass_targets: Sequence[str] = ()) -> ShaderSource:
    """Read a scene fragment shader, resolve its includes and prepend the standard header.

    Raises
    ------
    ShaderError
        Missing/unreadable file or include, as ``file:line: message``.
    """
    path = Path(path).resolve()
    body: list[tuple[str, str, int]] = []
    _expand(path, {path}, body)
    own = {m.group(1) for text, _, _ in body if (m := _OWN_UNIFORM.match(text))}
    header = standard_header(pass_targets=pass_targets, skip=own)
    origins = [("<header>", i + 1) for i in range(len(header))] + [(f, n) for _, f, n in body]
    text = "\n".join(header + [t for t, _, _ in body]) + "\n"
    return ShaderSource(path=path, text=text, origins=tuple(origins))


def parse_params(path: Path | str) -> dict[str, float]:
    """``p_<name>`` parameters a shader file declares -> default (initializer, else 0.0)."""
    params: dict[str, float] = {}
    for text in _read(Path(path), where=display_path(Path(path))):
        if (m := _PARAM.match(text)) is not None:
            try:
                params[m.group(1)] = float(m.group(2)) if m.group(2) else 0.0
            except ValueError:
                params[m.group(1)] = 0.0
    return params


def parse_log(log: str) -> list[tuple[int, str]]:
    """Errors in a driver compile log as ``(line, message)``; line 0 when the log has none."""
    errors: list[tuple[int, str]] = []
    for raw in log.splitlines():
        for fmt in _LOG_FORMATS:
            m = fmt.match(raw)
            if m is not None and m.group("kind").lower() == "error":
                errors.append((int(m.group("line")), m.group("msg").strip()))
                break
    return errors


def shader_error(source: ShaderSource, log: str) -> ShaderError:
    """A one-line ``ShaderError`` for a failed compile/link, mapped to the original file:line.

    The exception carries ``.errors`` (list of ``(file, line, message)``), ``.source_line`` and
    ``.log`` (the raw driver text) for a HUD.
    """
    lines = source.text.splitlines()
    mapped = []
    for line, msg in parse_log(log):
        file, orig = source.origin(line)
        code = lines[line - 1].strip() if 1 <= line <= len(lines) else ""
        mapped.append((file, orig, msg, code))
    if mapped:
        file, orig, msg, code = mapped[0]
        more = f" (+{len(mapped) - 1} more)" if len(mapped) > 1 else ""
        text = f"{file}:{orig}: {msg}{more} | {code}" if code else f"{file}:{orig}: {msg}{more}"
    else:
        detail = " ".join(s.strip() for s in log.splitlines() if s.strip() and not set(s.strip()) <= {"="})
        file, orig, code = display_path(source.path), 0, ""
        text = f"{file}: {detail or 'shader failed to compile'}"
    err = ShaderError(text)
    err.errors = [(f, n, m) for f, n, m, _ in mapped]  # type: ignore[attr-defined]
    err.source_line = code  # type: ignore[attr-defined]
    err.log = log  # type: ignore[attr-defined]
    return err


def compile_program(ctx, source: ShaderSource, *, vertex: ShaderSource | None = None):
    """Compile and link ``source`` with ``vertex`` (default: the full-screen triangle) -> ``moderngl.Program``.

    Raises
    ------
    ShaderError
        ``file:line: message | offending source line`` for the first error of the driver log
        (of the vertex shader when that is the stage that failed).
    """
    import moderngl  # only the render layer imports moderngl

    try:
        return ctx.program(vertex_shader=vertex.text if vertex is not None else VERTEX_SHADER,
                           fragment_shader=source.text)
    except moderngl.Error as exc:
        log = str(exc)
        failed_vertex = vertex is not None and "vertex_shader" in log and "fragment_shader" not in log
        raise shader_error(vertex if failed_vertex else source, log) from None
