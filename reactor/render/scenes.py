"""Scene discovery and loading.

A scene is either ``shaders/scenes/<name>.frag`` (single pass) or ``shaders/scenes/<name>.toml``
(multipass). Metadata comment lines at the top of a ``.frag``::

    // @description One sentence a VJ understands
    // @image true|false
    // @feedback true|false

A multipass ``.toml`` has ``description``, ``image`` and ``[[pass]]`` tables with ``shader``,
``target``, ``float`` and ``scale``; the last pass is the output. ``.frag`` files named by a
``.toml`` are its passes, not scenes of their own.

Scenes are found by name in the user's shader folders first (``$REACTOR_SHADERS``, then
``$XDG_CONFIG_HOME/reactor/shaders``; a scene there shadows a built-in of the same name), then in
the built-in scenes shipped in the package (see ``reactor.resources``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from reactor import resources
from reactor.errors import ShaderError, UsageError
from reactor.render.programs import build_source, compile_program, display_path, parse_params, shader_dir

log = logging.getLogger(__name__)

_META = re.compile(r"^\s*//\s*@(\w+)\s*(.*?)\s*$")
_NAME = re.compile(r"^[A-Za-z_]\w*$")
_PASS_KEYS = {"shader", "target", "float", "scale"}


@dataclass(frozen=True)
class PassSpec:
    """One render pass: its shader file, its persistent target name, format and resolution scale."""

    shader: Path
    target: str
    float_target: bool = True
    scale: float = 1.0


@dataclass(frozen=True)
class SceneInfo:
    """What a scene is, without compiling it.

    Attributes
    ----------
    name : str
        Scene name (file stem).
    description : str
        One sentence for menus and ``reactor scenes``.
    uses_image : bool
        Whether the scene shows the reference image (``// @image true``).
    path : Path
        The ``.frag`` or ``.toml`` file.
    feedback : bool
        Whether the scene reads its previous frame (``u_prev``).
    passes : tuple[PassSpec, ...]
        Render passes in order; the last is the output.
    params : Mapping[str, float]
        ``p_<name>`` parameters declared by the passes -> shader default.
    """

    name: str
    description: str
    uses_image: bool
    path: Path
    feedback: bool = False
    passes: tuple[PassSpec, ...] = ()
    params: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def sources(self):
        """Each pass's complete ``ShaderSource`` (includes resolved, header prepended)."""
        targets = [p.target for p in self.passes]
        return [build_source(p.shader, pass_targets=targets) for p in self.passes]


def scenes_dir() -> Path:
    """The built-in scene folder (inside the package)."""
    return shader_dir() / "scenes"


def _flag(value: str, *, where: str) -> bool:
    if value.lower() in ("true", "yes", "1"):
        return True
    if value.lower() in ("false", "no", "0", ""):
        return False
    raise ShaderError(f"{where}: expected true or false, got {value!r}")


def _frag_info(path: Path) -> SceneInfo:
    meta: dict[str, tuple[str, int]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ShaderError(f"{display_path(path)}: cannot read scene: {exc}") from None
    for number, text in enumerate(lines[:40], start=1):
        if (m := _META.match(text)) is not None:
            meta[m.group(1).lower()] = (m.group(2), number)
    shown = display_path(path)
    desc = meta.get("description", ("", 0))[0]
    image = _flag(meta["image"][0], where=f"{shown}:{meta['image'][1]}") if "image" in meta else False
    feedback = _flag(meta["feedback"][0], where=f"{shown}:{meta['feedback'][1]}") if "feedback" in meta else False
    return SceneInfo(name=path.stem, description=desc, uses_image=image, path=path, feedback=feedback,
                     passes=(PassSpec(shader=path, target="main"),),
                     params=MappingProxyType(parse_params(path)))


def _toml_info(path: Path) -> SceneInfo:
    shown = display_path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ShaderError(f"{shown}: cannot read multipass scene: {exc}") from None
    raw = data.get("pass")
    if not isinstance(raw, list) or not raw:
        raise ShaderError(f"{shown}: needs at least one [[pass]] table with shader = \"file.frag\"")
    passes, params = [], {}
    for i, table in enumerate(raw):
        where = f"{shown}: pass[{i}]"
        unknown = set(table) - _PASS_KEYS
        if unknown:
            raise ShaderError(f"{where}: unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(_PASS_KEYS))})")
        if not isinstance(table.get("shader"), str):
            raise ShaderError(f"{where}.shader: required, the pass's .frag file")
        shader = (path.parent / table["shader"]).resolve()
        if not shader.is_file():
            raise ShaderError(f"{where}.shader: file not found: {display_path(shader)}")
        target = table.get("target", f"pass{i}")
        if not isinstance(target, str) or not _NAME.match(target):
            raise ShaderError(f"{where}.target: must be a GLSL identifier, got {target!r}")
        scale = table.get("scale", 1.0)
        if not isinstance(scale, (int, float)) or not 0.0 < scale <= 1.0:
            raise ShaderError(f"{where}.scale: must be a number in (0, 1], got {scale!r}")
        last = i == len(raw) - 1
        # The output pass is always half-float: the present pass dithers it down to 8 bits (or, when
        # nothing reads it back, the renderer compiles it to dither itself into an 8-bit target).
        passes.append(PassSpec(shader=shader, target=target, scale=float(scale),
                               float_target=last or bool(table.get("float", False))))
        params.update(parse_params(shader))
    if len({p.target for p in passes}) != len(passes):
        raise ShaderError(f"{shown}: two passes share one target name")
    return SceneInfo(name=path.stem, description=str(data.get("description", "")),
                     uses_image=bool(data.get("image", False)), path=path,
                     feedback=bool(data.get("feedback", False)), passes=tuple(passes),
                     params=MappingProxyType(params))


def _info(path: Path) -> SceneInfo:
    return _toml_info(path) if path.suffix == ".toml" else _frag_info(path)


def list_scenes(folder: Path | None = None) -> dict[str, SceneInfo]:
    """Every scene in ``folder`` (default: the user's and the built-in scenes), sorted by name.

    Without ``folder``, the folders of ``reactor.resources.scene_folders`` are merged and the
    first one holding a name wins. A scene whose metadata cannot be read is skipped with a logged
    warning, so one broken file does not hide the others; ``load_scene`` on it raises the error.
    """
    if folder is not None:
        return _scan(folder)
    found: dict[str, SceneInfo] = {}
    for d in resources.scene_folders():
        for name, info in _scan(d.path).items():
            found.setdefault(name, info)
    return dict(sorted(found.items()))


def _scan(folder: Path) -> dict[str, SceneInfo]:
    tomls = sorted(folder.glob("*.toml"))
    pass_files: set[Path] = set()
    found: dict[str, SceneInfo] = {}
    for path in tomls:
        try:
            info = _toml_info(path)
        except ShaderError as exc:
            log.warning("skipping scene: %s", exc)
            pass_files.add(path.with_suffix(".frag").resolve())
            continue
        pass_files.update(p.shader.resolve() for p in info.passes)
        found[info.name] = info
    for path in sorted(folder.glob("*.frag")):
        if path.resolve() in pass_files or path.stem in found:
            continue
        try:
            found[path.stem] = _frag_info(path)
        except ShaderError as exc:
            log.warning("skipping scene: %s", exc)
    return dict(sorted(found.items()))


def load_scene(name_or_path: str | Path, *, ctx=None) -> SceneInfo:
    """Find a scene by name (user or built-in) or path (``.frag`` / ``.toml``) and check it.

    With ``ctx`` (a moderngl context) every pass is also compiled, so a broken shader fails here.

    Raises
    ------
    UsageError
        Unknown name; the message lists the valid names.
    ShaderError
        Unreadable scene, missing include, or (with ``ctx``) a compile error as
        ``file:line: message | source line``.
    """
    text = str(name_or_path)
    path = Path(text)
    if path.suffix in (".frag", ".toml") or "/" in text or "\\" in text:
        if not path.is_file():
            raise ShaderError(f"{text}: scene file not found")
        info = _info(path.resolve())
    else:
        scenes = list_scenes()
        info = scenes[text] if text in scenes else _broken_scene(text, scenes)
    sources = info.sources()  # resolves includes: missing ones fail now, with file:line
    if ctx is not None:
        for source in sources:
            compile_program(ctx, source).release()
    return info


def _broken_scene(name: str, scenes: dict[str, SceneInfo]) -> SceneInfo:
    """The info of a scene file ``list_scenes`` skipped as broken (raising its real error)."""
    for d in resources.scene_folders():
        toml, frag = d.path / f"{name}.toml", d.path / f"{name}.frag"
        if toml.is_file():  # present but broken (list_scenes skipped it): surface its real error
            return _toml_info(toml)
        if frag.is_file() and not any(frag.resolve() == p.shader for s in scenes.values() for p in s.passes):
            return _frag_info(frag)
    raise UsageError(f"unknown scene {name!r}; valid scenes: {', '.join(scenes) or '(none found)'}")
