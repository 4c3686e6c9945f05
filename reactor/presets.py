"""Presets: TOML files that name a scene, set its parameters and route sound features to them.

The schema is documented in ``docs/presets.md``. Everything is validated when a preset is loaded,
so a typo is reported once, as one line naming the file and the key, instead of as a parameter that
silently never moves. Presets are data only: parsed with ``tomllib``, never evaluated.

Presets are found by name in ``$REACTOR_PRESETS`` (``os.pathsep``-separated), then the user folder
``$XDG_CONFIG_HOME/reactor/presets``, then the built-in presets shipped in the package; the first
match wins, so a user can shadow a built-in (see ``reactor.resources``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from reactor import resources
from reactor.errors import PresetError
from reactor.preset_schema import (  # CURVES ... natural_range are re-exported as this module's API
    _METADATA_LINE,
    CURVES,
    LFO,
    SHAPES,
    ParamSpec,
    Route,
    check_params,
    check_routes,
    check_top,
    display_path,
    natural_range,
    read_toml,
    suggest,
)

__all__ = [
    "CURVES", "SHAPES", "LFO", "ParamSpec", "Route", "Preset", "PresetInfo", "load_preset",
    "list_presets", "natural_range", "preset_dirs", "preset_from_scene", "scene_metadata",
]

@dataclass(frozen=True)
class Preset:
    """A validated preset.

    Attributes
    ----------
    name, description, scene : str
        ``scene`` is a built-in scene name or an absolute path to a scene file.
    tags : tuple of str
    image : bool or None
        Whether the preset wants an image; None when the file does not say (see ``uses_image``).
    params : Mapping[str, ParamSpec]
        Parameter name (the scene's ``uniform float p_<name>``) -> default and range.
    routes : tuple of Route
    source : Path or None
        The file it was loaded from (None for ``preset_from_scene``).
    """

    name: str
    description: str
    scene: str
    tags: tuple[str, ...] = ()
    image: bool | None = None
    params: Mapping[str, ParamSpec] = field(default_factory=lambda: MappingProxyType({}))
    routes: tuple[Route, ...] = ()
    source: Path | None = None

    def uses_image(self) -> bool:
        """``image`` if the preset sets it, else the scene's ``@image`` metadata (False if unknown)."""
        if self.image is not None:
            return self.image
        return bool(scene_metadata(self.scene).get("image", False))

    def param_defaults(self) -> dict[str, float]:
        """Parameter name -> default value (what a scene shows with no sound)."""
        return {name: spec.default for name, spec in self.params.items()}

    def with_param_defaults(self, **values: float) -> "Preset":
        """A copy with new defaults for some parameters (e.g. ``--mouth x,y,w,h`` -> ``mouth_x=..``).

        Raises
        ------
        PresetError
            For a parameter the preset does not declare, a non-number, or a value outside min..max.
        """
        where = display_path(self.source) if self.source else f"preset '{self.name}'"
        params = dict(self.params)
        for name, value in values.items():
            if name not in params:
                raise PresetError(f"{where}: params.{name}: no such parameter{suggest(name, params)}")
            spec = params[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise PresetError(f"{where}: params.{name}: override must be a number, got {value!r}")
            if not spec.min <= value <= spec.max:
                raise PresetError(
                    f"{where}: params.{name}: override {value:g} is outside {spec.min:g}..{spec.max:g}"
                )
            params[name] = replace(spec, default=float(value))
        return replace(self, params=MappingProxyType(params))


@dataclass(frozen=True)
class PresetInfo:
    """One row of ``list_presets``; ``error`` is the one-line problem of a broken file, else None.

    ``origin`` is the folder it came from: ``"built-in"``, ``"user"`` or ``"$REACTOR_PRESETS"``.
    """

    name: str
    description: str
    scene: str
    image: bool
    tags: tuple[str, ...]
    path: Path
    error: str | None = None
    origin: str = resources.BUILTIN

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields: name, description, scene, image, tags (list), path (str), error, origin.

        ``origin`` says which folder the file came from: ``"built-in"``, ``"user"`` or
        ``"$REACTOR_PRESETS"`` (see ``reactor.resources``).
        """
        return {
            "name": self.name, "description": self.description, "scene": self.scene,
            "image": self.image, "tags": list(self.tags), "path": str(self.path), "error": self.error,
            "origin": self.origin,
        }


def preset_dirs() -> list[Path]:
    """Directories searched for presets by name, first match wins (``reactor.resources.preset_dirs``)."""
    return [d.path for d in resources.preset_dirs()]


def _preset_files() -> dict[str, tuple[Path, str]]:
    """File stem -> (path, origin) over all preset dirs; an earlier dir shadows a later one."""
    found: dict[str, tuple[Path, str]] = {}
    for d in resources.preset_dirs():
        if d.path.is_dir():
            for p in sorted(d.path.glob("*.toml")):
                found.setdefault(p.stem, (p, d.origin))
    return found


def _looks_like_path(text: str) -> bool:
    return "/" in text or os.sep in text or text.endswith(".toml")


def load_preset(name_or_path: str | os.PathLike[str]) -> Preset:
    """Load and validate a preset by name (see ``preset_dirs``) or by file path.

    Raises
    ------
    PresetError
        One line: a missing file, a TOML syntax error (file:line:column), a schema violation
        (file: key: problem), or an unknown name (with the closest match and the valid names).
    """
    text = os.fspath(name_or_path)
    if isinstance(name_or_path, os.PathLike) or _looks_like_path(text):
        return _load_file(Path(text).expanduser())
    files = _preset_files()
    if text in files:
        return _load_file(files[text][0])
    # a preset may declare a `name` different from its file name; those names work too
    for info in list_presets():
        if info.error is None and info.name == text:
            return _load_file(info.path)
    names = sorted(files)
    raise PresetError(f"unknown preset '{text}'{suggest(text, names, listing=False)} "
                      f"(available: {', '.join(names) or 'none'})")


def _load_file(path: Path) -> Preset:
    data = read_toml(path)
    where = display_path(path)
    top = check_top(data, where)
    params = check_params(data.get("params", {}), where)
    routes = check_routes(data.get("route", []), params, where)
    scene = top["scene"]
    if _looks_like_scene_path(scene):
        # a scene path is relative to the preset file, so presets and scenes can travel together
        candidate = (path.parent / scene).expanduser()
        scene = str(candidate.resolve()) if candidate.exists() else scene
    return Preset(
        name=top.get("name", path.stem), description=top.get("description", ""), scene=scene,
        tags=tuple(top.get("tags", ())), image=top.get("image"), params=MappingProxyType(params),
        routes=tuple(routes), source=path.resolve(),
    )


def list_presets() -> list[PresetInfo]:
    """Every preset file found, sorted by name; broken files are listed with ``error`` set."""
    infos = []
    for stem, (path, origin) in _preset_files().items():
        try:
            p = _load_file(path)
        except PresetError as e:
            infos.append(PresetInfo(name=stem, description="", scene="", image=False, tags=(),
                                    path=path, error=str(e), origin=origin))
            continue
        infos.append(PresetInfo(name=p.name, description=p.description, scene=p.scene,
                                image=p.uses_image(), tags=p.tags, path=path, origin=origin))
    return sorted(infos, key=lambda i: i.name)


def preset_from_scene(scene_name: str) -> Preset:
    """A preset that shows ``scene_name`` at its defaults: no params, no routes."""
    meta = scene_metadata(scene_name)
    return Preset(name=scene_name, description=str(meta.get("description", "")), scene=scene_name)


def _looks_like_scene_path(scene: str) -> bool:
    return "/" in scene or os.sep in scene or scene.endswith((".frag", ".toml", ".glsl", ".fs"))


def _scene_file(scene: str) -> Path | None:
    if _looks_like_scene_path(scene):
        p = Path(scene).expanduser()
        return p if p.is_file() else None
    for folder in resources.scene_folders():
        for ext in (".toml", ".frag"):  # a multipass .toml describes the scene; its .frag are passes
            if (folder.path / f"{scene}{ext}").is_file():
                return folder.path / f"{scene}{ext}"
    return None


def scene_metadata(scene: str) -> dict[str, Any]:
    """``description``/``image``/``feedback`` of a scene read from its file, without GL.

    Reads ``// @key value`` comment lines at the top of a ``.frag`` (or the top-level keys of a
    multipass ``.toml``). Returns ``{}`` for an unknown or unreadable scene: listing presets
    must never fail because a scene file is missing.
    """
    path = _scene_file(scene)
    if path is None:
        return {}
    try:
        if path.suffix == ".toml":
            data = read_toml(path)
            return {k: data[k] for k in ("description", "image", "feedback") if k in data}
        meta: dict[str, Any] = {}
        with path.open(encoding="utf-8", errors="replace") as f:
            for _, line in zip(range(60), f):  # metadata sits in the header comment
                m = _METADATA_LINE.match(line)
                if m:
                    key, value = m.group(1).lower(), m.group(2)
                    meta[key] = value.lower() == "true" if value.lower() in ("true", "false") else value
        return meta
    except (OSError, PresetError):
        return {}
