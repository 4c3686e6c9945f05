"""Scene discovery and loading: one entry point over the dialect front-ends.

A scene is a file (or a folder holding a sidecar) in one of three dialects, detected from the
file, never guessed from its name alone:

- **ISF** (``.fs``, ``.isf``, or any shader file starting with a ``/*{ JSON }*/`` header):
  ``reactor.render.dialects.isf``.
- **Shadertoy** (a file defining ``mainImage``, or a ``.toml`` sidecar with
  ``kind = "shadertoy"``): ``reactor.render.dialects.shadertoy``; the site's JSON export
  (``.json``): ``reactor.render.dialects.shadertoy_json``.
- **native** (``shaders/scenes/<name>.frag`` with ``void main()``, or a multipass ``.toml``):
  ``reactor.render.dialects.native``. ``.frag`` files named by a ``.toml`` are its passes, not
  scenes of their own.

Every front-end returns a ``SceneInfo`` with complete sources, pass specs and a binding table.
``load_chain`` joins a generator and ISF filters into one ``SceneInfo`` (an effects chain).

Scenes are found by name in the user's shader folders first (``$REACTOR_SHADERS``, then
``$XDG_CONFIG_HOME/reactor/shaders``; a scene there shadows a built-in of the same name), then in
the built-in scenes shipped in the package (see ``reactor.resources``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Sequence

from reactor import resources
from reactor.errors import ShaderError, UsageError
from reactor.render.dialects import isf, native, shadertoy, shadertoy_json
from reactor.render.programs import compile_program, display_path, shader_dir
from reactor.render.scene_spec import Bind, PassSpec, SceneInfo

__all__ = ["PassSpec", "SceneInfo", "Bind", "scenes_dir", "list_scenes", "load_scene", "load_chain",
           "scene_kind", "scene_metadata", "SCENE_SUFFIXES"]

log = logging.getLogger(__name__)

SCENE_SUFFIXES = (".frag", ".toml", ".fs", ".isf", ".glsl", ".txt", ".shader", ".json")
"""File suffixes taken as scene paths (plus any path with a folder separator)."""


def scenes_dir() -> Path:
    """The built-in scene folder (inside the package)."""
    return shader_dir() / "scenes"


def scene_kind(path: Path) -> str:
    """``native``, ``native-multipass``, ``shadertoy``, ``shadertoy-multipass``, ``isf`` or ``unknown``
    (a file that is none of them, e.g. an include); reads the file, compiles nothing."""
    path = Path(path)
    if path.is_dir():
        return "shadertoy-multipass" if _sidecar_in(path) is not None else "unknown"
    if path.suffix == ".toml":
        try:
            data = native.read_toml(path)
        except ShaderError:
            return "unknown"
        if data.get("kind") == "shadertoy":
            return "shadertoy-multipass"
        return "native-multipass" if "pass" in data else "unknown"
    if path.suffix == ".json":
        try:
            return "shadertoy-json" if shadertoy_json.shader_object(shadertoy_json.read(path)) else "unknown"
        except ShaderError:
            return "unknown"
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return "unknown"
    if isf.is_isf(text):
        return "isf"
    if shadertoy.is_shadertoy(text):
        return "shadertoy"
    if path.suffix == ".frag" and "main" in text:
        return "native"
    return "unknown"


def _sidecar_in(folder: Path) -> Path | None:
    found = [p for p in sorted(folder.glob("*.toml")) if scene_kind(p) == "shadertoy-multipass"]
    return found[0] if len(found) == 1 else None


def _info(path: Path, *, sources: bool = True) -> SceneInfo:
    if path.is_dir():
        sidecar = _sidecar_in(path)
        if sidecar is None:
            raise ShaderError(f"{display_path(path)}: a scene folder needs exactly one .toml sidecar with "
                              f"kind = \"shadertoy\" saying which file is which pass")
        path = sidecar
    if path.suffix == ".toml":
        data = native.read_toml(path)
        kind = data.get("kind", "native")
        if kind == "shadertoy":
            return shadertoy.sidecar_info(path, data)
        if kind != "native":
            raise ShaderError(f"{display_path(path)}: kind: unknown dialect {kind!r} (allowed: native, shadertoy)")
        return native.toml_info(path, {k: v for k, v in data.items() if k != "kind"}, sources=sources)
    kind = scene_kind(path)
    if path.suffix == ".json":
        return shadertoy_json.json_info(path)
    if kind == "isf":
        return isf.isf_info(path)
    if kind == "shadertoy":
        return shadertoy.single_info(path)
    if kind == "native" or path.suffix == ".frag":
        return native.frag_info(path, sources=sources)
    raise ShaderError(f"{display_path(path)}: not a scene: no ISF /*{{JSON}}*/ header, no mainImage(), "
                      f"and not a native .frag")


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
    claimed: set[Path] = set()
    found: dict[str, SceneInfo] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            info = _info(path, sources=False)
        except ShaderError as exc:
            log.warning("skipping scene: %s", exc)
            claimed.add(path.with_suffix(".frag").resolve())
            continue
        claimed.update(p.shader.resolve() for p in info.passes)
        found[info.name] = info
    for path in sorted(p for s in SCENE_SUFFIXES if s != ".toml" for p in folder.glob(f"*{s}")):
        if path.resolve() in claimed or path.stem in found or scene_kind(path) == "unknown":
            continue
        try:
            found[path.stem] = _info(path, sources=False)
        except ShaderError as exc:
            log.warning("skipping scene: %s", exc)
    return dict(sorted(found.items()))


def _resolve(name_or_path) -> Path:
    text = str(name_or_path)
    path = Path(text).expanduser()
    if path.suffix in SCENE_SUFFIXES or "/" in text or "\\" in text or path.is_dir():
        if not (path.is_file() or path.is_dir()):
            raise ShaderError(f"{text}: scene file not found")
        return path.resolve()
    scenes = list_scenes()
    if text in scenes:
        return scenes[text].path
    claimed = {p.shader.resolve() for s in scenes.values() if s.path.suffix == ".toml" for p in s.passes}
    for folder in resources.scene_folders():
        for suffix in (".toml", ".frag", ".fs", ".glsl"):
            candidate = folder.path / f"{text}{suffix}"
            # present but broken (list_scenes skipped it): load it to surface its real error
            if candidate.is_file() and candidate.resolve() not in claimed:
                return candidate
    raise UsageError(f"unknown scene {text!r}; valid scenes: {', '.join(scenes) or '(none found)'}")


def scene_metadata(name_or_path) -> dict:
    """``description``, ``image``, ``feedback``, ``kind``, ``role``, ``params`` (default by name)
    and ``param_ranges`` of a scene, read without GL; ``{}`` for an unknown or broken scene
    (listing presets must never fail because a scene file is missing)."""
    try:
        info = _info(_resolve(name_or_path), sources=False)
    except (ShaderError, UsageError):
        return {}
    return {"description": info.description, "image": info.uses_image, "feedback": info.feedback,
            "kind": info.kind, "role": info.role, "params": dict(info.params),
            "param_ranges": dict(info.param_ranges)}


def load_scene(name_or_path: str | Path, *, ctx=None) -> SceneInfo:
    """Find a scene by name (built-in) or path (file or folder) and check it.

    With ``ctx`` (a moderngl context) every pass is also compiled, so a broken shader fails here.

    Raises
    ------
    UsageError
        Unknown name; the message lists the valid names.
    ShaderError
        Unreadable scene, bad header, missing include, or (with ``ctx``) a compile error as
        ``file:line: message | source line``.
    """
    info = _info(_resolve(name_or_path))
    if ctx is not None:
        for _ in range(5):  # as the renderer: a repairable compile error is retried (see SceneInfo.repair)
            try:
                for spec, source in zip(info.passes, info.sources()):
                    compile_program(ctx, source, vertex=spec.vertex).release()
                break
            except ShaderError as exc:
                fixed = info.repair(exc) if info.repair is not None else None
                if fixed is None:
                    raise
                info = fixed
    return info


def _rekey(bind: Bind, rename: dict, prefix: str, input_key: str) -> Bind:
    if bind.source == "param":
        key = tuple(prefix + k for k in bind.key) if isinstance(bind.key, tuple) else prefix + bind.key
        return replace(bind, key=key)
    if bind.source == "texture":
        return replace(bind, key=_tex_key(bind.key, rename, input_key))
    if bind.source in ("channel_time", "channel_res"):
        return replace(bind, key=tuple(_tex_key(k, rename, input_key) for k in bind.key))
    return bind


def _tex_key(key: str, rename: dict, input_key: str) -> str:
    if key.startswith("pass:") and key[5:] in rename:
        return f"pass:{rename[key[5:]]}"
    return input_key if key == "input" else key


def load_chain(stages: Sequence[tuple], ) -> SceneInfo:
    """One scene from a generator and ISF filters: ``[(scene, param_prefix), ...]``.

    Stage ``k``'s ``inputImage`` reads stage ``k - 1``'s output; each stage's parameters are
    bound as ``<prefix><name>`` so each has its own values and modulation routes.

    Raises
    ------
    ShaderError
        A later stage that is not a filter (it has no ``inputImage`` to feed).
    """
    infos = [(_info(_resolve(scene)), prefix) for scene, prefix in stages]
    passes, params, ranges, identity, warnings = [], {}, {}, {}, []
    input_key = "input"
    for k, (info, prefix) in enumerate(infos):
        if k and info.role != "filter":
            raise ShaderError(f"{display_path(info.path)}: an effect must be an ISF filter with an "
                              f"'inputImage' input (this is a {info.kind} {info.role})")
        rename = {p.target: f"s{k}.{p.target}" for p in info.passes}
        for p in info.passes:
            passes.append(replace(p, target=rename[p.target], prefix=prefix,
                                  bindings=tuple(_rekey(b, rename, prefix, input_key) for b in p.bindings)))
        params.update({prefix + n: v for n, v in info.params.items()})
        ranges.update({prefix + n: v for n, v in info.param_ranges.items()})
        identity.update({prefix + n: v for n, v in info.param_identity.items()})
        warnings += list(info.warnings)
        input_key = f"pass:{rename[info.passes[-1].target]}"
    first = infos[0][0]
    return SceneInfo(name="+".join(i.name for i, _ in infos), description=first.description,
                     uses_image=any(i.uses_image for i, _ in infos[:1]) or (infos[0][0].role == "filter"),
                     path=first.path, feedback=any(i.feedback for i, _ in infos), passes=tuple(passes),
                     params=MappingProxyType(params), kind="chain", role=first.role,
                     param_ranges=MappingProxyType(ranges), warnings=tuple(warnings),
                     stages=tuple((str(i.path), p) for i, p in infos), param_identity=MappingProxyType(identity))
