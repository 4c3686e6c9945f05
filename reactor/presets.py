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
    EFFECT_KEYS,
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
    "list_presets", "natural_range", "preset_dirs", "preset_from_scene", "scene_metadata", "scene_params",
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
    effects: tuple[str, ...] = ()

    def stages(self) -> list[tuple[str, str]]:
        """``(scene, parameter prefix)`` of the generator and each effect (``fx1_``, ``fx2_``, ...)."""
        return [(self.scene, "")] + [(fx, f"fx{i}_") for i, fx in enumerate(self.effects, start=1)]

    def render_scene(self):
        """What to give ``Renderer``: the scene, or for a preset with effects the chained ``SceneInfo``."""
        if not self.effects:
            return self.scene
        from reactor.render.scenes import load_chain

        return load_chain(self.stages())

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


def _resolve_scene(scene: str, path: Path) -> str:
    if _looks_like_scene_path(scene):
        # a scene path is relative to the preset file, so presets and scenes can travel together
        candidate = (path.parent / scene).expanduser()
        return str(candidate.resolve()) if candidate.exists() else scene
    return scene


def _with_scene_params(params: dict, scene: str, prefix: str = "") -> dict:
    """Declared params plus the scene's own ranged ones (ISF inputs) the file does not declare."""
    merged = {prefix + k: v for k, v in scene_params(scene).items()}
    merged.update(params)
    return merged


def _effects(raw, path: Path, where: str, params: dict, routes: list) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise PresetError(f"{where}: effect: must be an array of tables ([[effect]]), got {raw!r}")
    scenes = []
    for i, table in enumerate(raw, start=1):
        key = f"effect[{i}]"
        if not isinstance(table, dict):
            raise PresetError(f"{where}: {key}: must be a table with scene = \"filter.fs\"")
        for k in table:
            if k not in EFFECT_KEYS:
                raise PresetError(f"{where}: {key}.{k}: unknown key{suggest(k, EFFECT_KEYS)}")
        if not isinstance(table.get("scene"), str):
            raise PresetError(f"{where}: {key}.scene: missing key (an ISF filter file, e.g. scene = \"fx/mirror.fs\")")
        scene = _resolve_scene(table["scene"], path)
        meta = scene_metadata(scene)
        if not meta:
            raise PresetError(f"{where}: {key}.scene: cannot load '{table['scene']}' (missing or broken scene file)")
        if meta.get("role") != "filter":
            raise PresetError(f"{where}: {key}.scene: '{table['scene']}' is not an ISF filter (needs an inputImage input)")
        prefix = f"fx{i}_"
        own = _with_scene_params(check_params(table.get("params", {}), f"{where}: {key}"), scene)
        params.update({prefix + k: v for k, v in own.items()})
        for r in check_routes(table.get("route", []), own, f"{where}: {key}"):
            routes.append(replace(r, param=prefix + r.param))
        scenes.append(scene)
    return tuple(scenes)


def _load_file(path: Path) -> Preset:
    data = read_toml(path)
    where = display_path(path)
    top = check_top(data, where)
    scene = _resolve_scene(top["scene"], path)
    params = _with_scene_params(check_params(data.get("params", {}), where), scene)
    routes = check_routes(data.get("route", []), params, where)
    effects = _effects(data.get("effect", []), path, where, params, routes)
    return Preset(
        name=top.get("name", path.stem), description=top.get("description", ""), scene=scene,
        tags=tuple(top.get("tags", ())), image=top.get("image"), params=MappingProxyType(params),
        routes=tuple(routes), source=path.resolve(), effects=effects,
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
    """A preset that shows ``scene_name`` at its defaults: no routes; the scene's ranged
    parameters (ISF inputs) are its parameters, so they can be set and mapped."""
    meta = scene_metadata(scene_name)
    return Preset(name=Path(scene_name).stem if _looks_like_scene_path(scene_name) else scene_name,
                  description=str(meta.get("description", "")), scene=scene_name,
                  params=MappingProxyType(scene_params(scene_name)))


def _looks_like_scene_path(scene: str) -> bool:
    return "/" in scene or os.sep in scene or scene.endswith((".frag", ".toml", ".glsl", ".fs", ".isf"))


def scene_metadata(scene: str) -> dict[str, Any]:
    """``description``/``image``/``feedback`` (and ``kind``, ``role``, ``params``,
    ``param_ranges``) of a scene, read from its file without GL by the scene loader's own parser
    (``reactor.render.scenes.scene_metadata``). Returns ``{}`` for an unknown or unreadable scene:
    listing presets must never fail because a scene file is missing.
    """
    from reactor.render.scenes import scene_metadata as read  # no GL: the loader parses, compiles nothing

    return read(scene)


def scene_params(scene: str) -> dict[str, ParamSpec]:
    """Parameters a scene declares with a range (ISF inputs) as ``ParamSpec``; {} for native scenes."""
    meta = scene_metadata(scene)
    ranges, defaults = meta.get("param_ranges", {}), meta.get("params", {})
    return {name: ParamSpec(default=float(defaults.get(name, lo)), min=float(lo), max=float(hi))
            for name, (lo, hi) in ranges.items()}
