"""The native dialect: ``shaders/scenes/<name>.frag`` (one pass) or ``<name>.toml`` (multipass).

Metadata comment lines at the top of a ``.frag`` (parsed here and only here; presets ask this
module)::

    // @description One sentence a VJ understands
    // @image true|false|yes|no|1|0
    // @feedback true|false

A multipass ``.toml`` has ``description``, ``image``, ``feedback`` and ``[[pass]]`` tables with
``shader``, ``target``, ``float`` and ``scale``, and for a pass before the last ``size = [w, h]``
(pixels, in place of ``scale``: e.g. a 1x1 pass that keeps state) and ``format`` (``rgba8``,
``rgba16f``, ``rgba32f``); the last pass is the output. ``region = "<target>"`` names an earlier
1x1 ``rgba32f`` pass that writes the rectangle (x0, y0, x1, y1, uv) outside which this pass's code
runs compiled with ``REACTOR_OUTSIDE_REGION`` defined (``PassSpec.region``). Uniforms are bound by
the names documented in ``docs/uniforms.md`` (``u_*`` from the generated header, ``p_*``
parameters the scene declares), written out as an explicit binding table.
"""

from __future__ import annotations

import dataclasses
import re
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from pathlib import Path
from types import MappingProxyType

from reactor.errors import ShaderError
from reactor.features import SCALARS
from reactor.render.programs import SAMPLERS, build_source, display_path
from reactor.render.scene_spec import FORMATS, Bind, PassSpec, SceneInfo

_META = re.compile(r"^\s*//\s*@(\w+)\s*(.*?)\s*$")
_NAME = re.compile(r"^[A-Za-z_]\w*$")
_PASS_KEYS = {"shader", "target", "float", "scale", "size", "format", "region"}
_PARAM = re.compile(r"^\s*uniform\s+float\s+p_(\w+)\s*(?:=\s*([-+0-9.eE]+)\s*)?;")
_META_LINES = 40
_FRAME_BINDS = (Bind("u_time", "time"), Bind("u_dt", "dt"), Bind("u_frame", "frame", kind="int"),
                Bind("u_resolution", "resolution", 2), Bind("u_aspect", "aspect"),
                Bind("u_output_resolution", "output_resolution", 2))


def flag(value: str, *, where: str) -> bool:
    """``true/yes/1`` -> True, ``false/no/0/''`` -> False; anything else is a one-line ShaderError."""
    if value.lower() in ("true", "yes", "1"):
        return True
    if value.lower() in ("false", "no", "0", ""):
        return False
    raise ShaderError(f"{where}: expected true or false, got {value!r}")


def frag_metadata(path: Path) -> dict:
    """``description`` (str), ``image`` and ``feedback`` (bool) of a native ``.frag``."""
    meta: dict[str, tuple[str, int]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ShaderError(f"{display_path(path)}: cannot read scene: {exc}") from None
    for number, text in enumerate(lines[:_META_LINES], start=1):
        if (m := _META.match(text)) is not None:
            meta[m.group(1).lower()] = (m.group(2), number)
    shown = display_path(path)
    out = {"description": meta.get("description", ("", 0))[0]}
    for key in ("image", "feedback"):
        out[key] = flag(meta[key][0], where=f"{shown}:{meta[key][1]}") if key in meta else False
    return out


def native_bindings(source, pass_targets) -> tuple[tuple[Bind, ...], dict[str, float]]:
    """The binding table of a native pass and the ``p_*`` parameters its code declares -> default."""
    binds = list(_FRAME_BINDS)
    binds += [Bind(f"u_{k}", "feature", k) for k in SCALARS if k != "time"]
    binds += [Bind(name, "texture", name[2:]) for name in SAMPLERS]
    binds += [Bind(f"u_pass_{t}", "texture", f"pass:{t}") for t in pass_targets]
    params: dict[str, float] = {}
    for text, (file, _) in zip(source.text.splitlines(), source.origins):
        if not file.startswith("<") and (m := _PARAM.match(text)) is not None:
            try:
                params[m.group(1)] = float(m.group(2)) if m.group(2) else 0.0
            except ValueError:
                params[m.group(1)] = 0.0
    binds += [Bind(f"p_{name}", "param", name) for name in params]
    return tuple(binds), params


def _with_bindings(passes, targets):
    out, params = [], {}
    for spec in passes:
        source = build_source(spec.shader, pass_targets=targets)
        binds, declared = native_bindings(source, targets)
        params.update(declared)
        out.append(dataclasses.replace(spec, bindings=binds, source=source))
    return tuple(out), params


def frag_info(path: Path, *, sources: bool = True) -> SceneInfo:
    """A single-pass native scene. ``sources=False`` reads only the metadata (no includes)."""
    meta = frag_metadata(path)
    passes = (PassSpec(shader=path, target="main"),)
    params: dict[str, float] = {}
    if sources:
        passes, params = _with_bindings(passes, ["main"])
    return SceneInfo(name=path.stem, description=meta["description"], uses_image=meta["image"], path=path,
                     feedback=meta["feedback"], passes=passes, params=MappingProxyType(params))


def read_toml(path: Path) -> dict:
    """Parse a scene ``.toml``; one-line ShaderError on failure."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ShaderError(f"{display_path(path)}: cannot read scene file: {exc}") from None


def _pass_size_format(table: dict, where: str, last: bool):
    """A pass table's ``size`` (as constant expressions) and ``format``; one-line ShaderError."""
    from reactor.render.dialects.expr import parse_expr

    size, fmt = table.get("size"), table.get("format")
    if last and (size is not None or fmt is not None):
        raise ShaderError(f"{where}: the output pass has the output's size and format (no size or format)")
    if size is not None:
        if not (isinstance(size, list) and len(size) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 16384 for v in size)):
            raise ShaderError(f"{where}.size: must be [width, height] in pixels (1..16384), got {size!r}")
        size = tuple(parse_expr(str(v), where=f"{where}.size") for v in size)
    if fmt is not None and fmt not in FORMATS:
        raise ShaderError(f"{where}.format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return size, fmt


def _pass_region(table: dict, where: str, earlier) -> str | None:
    """A pass table's ``region``: the target of an earlier 1x1 rgba32f pass; one-line ShaderError."""
    region = table.get("region")
    if region is None:
        return None
    source = next((p for p in earlier if p.target == region), None)
    if source is None:
        names = ", ".join(repr(p.target) for p in earlier) or "none"
        raise ShaderError(f"{where}.region: must name an earlier pass's target (earlier: {names}), got {region!r}")
    one = source.size is not None and all(e.evaluate({}) == 1.0 for e in source.size)
    if not one or source.format != "rgba32f":
        raise ShaderError(f"{where}.region: pass {region!r} must be size = [1, 1] and format = \"rgba32f\" "
                          "(its one texel is the rectangle)")
    return region


def toml_info(path: Path, data: dict | None = None, *, sources: bool = True) -> SceneInfo:
    """A native multipass scene described by ``path``; ``sources=False`` reads the metadata and
    the pass list without opening the pass files."""
    shown = display_path(path)
    data = read_toml(path) if data is None else data
    raw = data.get("pass")
    if not isinstance(raw, list) or not raw:
        raise ShaderError(f"{shown}: needs at least one [[pass]] table with shader = \"file.frag\"")
    passes = []
    for i, table in enumerate(raw):
        where = f"{shown}: pass[{i}]"
        unknown = set(table) - _PASS_KEYS
        if unknown:
            raise ShaderError(f"{where}: unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(_PASS_KEYS))})")
        if not isinstance(table.get("shader"), str):
            raise ShaderError(f"{where}.shader: required, the pass's .frag file")
        shader = (path.parent / table["shader"]).resolve()
        if sources and not shader.is_file():
            raise ShaderError(f"{where}.shader: file not found: {display_path(shader)}")
        target = table.get("target", f"pass{i}")
        if not isinstance(target, str) or not _NAME.match(target):
            raise ShaderError(f"{where}.target: must be a GLSL identifier, got {target!r}")
        scale = table.get("scale", 1.0)
        if not isinstance(scale, (int, float)) or not 0.0 < scale <= 1.0:
            raise ShaderError(f"{where}.scale: must be a number in (0, 1], got {scale!r}")
        last = i == len(raw) - 1
        size, fmt = _pass_size_format(table, where, last)
        # The output pass is always half-float: the present pass dithers it down to 8 bits (or, when
        # nothing reads it back, the renderer compiles it to dither itself into an 8-bit target).
        region = _pass_region(table, where, passes)
        passes.append(PassSpec(shader=shader, target=target, scale=float(scale), size=size, format=fmt,
                               float_target=last or bool(table.get("float", False)), region=region))
    if len({p.target for p in passes}) != len(passes):
        raise ShaderError(f"{shown}: two passes share one target name")
    params: dict[str, float] = {}
    if sources:
        passes, params = _with_bindings(passes, [p.target for p in passes])
    image = data.get("image", False)
    if not isinstance(image, bool):
        raise ShaderError(f"{shown}: image: must be true or false, got {image!r}")
    return SceneInfo(name=path.stem, description=str(data.get("description", "")), uses_image=image,
                     path=path, feedback=bool(data.get("feedback", False)), passes=tuple(passes),
                     params=MappingProxyType(params))
