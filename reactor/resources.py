"""Where presets and shaders are found: the user's folders first, then the built-in ones.

Built-in data ships inside the package (``reactor/_data/presets``, ``reactor/_data/shaders``;
see ``reactor/_data/__init__.py``) and is located with ``importlib.resources``, so an installed
reactor (a wheel, ``pip install``, pipx, a container image) uses its own copy wherever it lives.

Search order for a name (the first match wins, so a user file can shadow a built-in one):

1. the folders in ``$REACTOR_PRESETS`` / ``$REACTOR_SHADERS`` / ``$REACTOR_CONTROLLERS``
   (``os.pathsep``-separated),
2. the user folders ``$XDG_CONFIG_HOME/reactor/presets``, ``.../shaders`` and ``.../controllers``
   (``~/.config/reactor/...`` when ``XDG_CONFIG_HOME`` is unset),
3. the built-in folders.

A path given on the command line (``--preset my.toml``, ``--scene my.frag``) is used as it is.
A shader folder holds scenes (``*.frag``, multipass ``*.toml``) in itself or in ``scenes/``, and
``#include`` files in ``lib/`` (the built-in folder has ``scenes/`` and ``lib/``).
"""

from __future__ import annotations

import importlib.resources
import os
from dataclasses import dataclass
from pathlib import Path

from reactor.errors import ReactorError

__all__ = ["DataDir", "builtin_dir", "user_config_dir", "preset_dirs", "shader_dirs", "controller_dirs",
           "scene_folders", "include_dirs", "origin_of"]

PRESETS_ENV = "REACTOR_PRESETS"
SHADERS_ENV = "REACTOR_SHADERS"
CONTROLLERS_ENV = "REACTOR_CONTROLLERS"
KINDS = ("presets", "shaders", "controllers")
BUILTIN = "built-in"
USER = "user"


@dataclass(frozen=True)
class DataDir:
    """A folder searched for presets or shaders and where it comes from.

    ``origin`` is ``"built-in"``, ``"user"`` (the config folder) or the environment variable that
    named it (``"$REACTOR_PRESETS"``). The folder need not exist.
    """

    path: Path
    origin: str


def builtin_dir(kind: str) -> Path:
    """The built-in ``"presets"``, ``"shaders"`` or ``"controllers"`` (MIDI profiles) folder.

    An installed package holds it as ``reactor/_data/<kind>``. In a source tree (editable install
    or ``PYTHONPATH``) the folder is the checkout's top-level ``<kind>/``, which ``pyproject.toml``
    maps into the package when it is built; that is used only when the package has no copy and
    the folder above it is a reactor checkout. The package must be installed as files (not
    zipped): shaders are read and included by path.

    Raises
    ------
    ReactorError
        When the installed package lacks its data (a broken or hand-copied install).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    anchor = Path(str(importlib.resources.files("reactor._data")))
    inside = anchor / kind
    if inside.is_dir():
        return inside
    checkout = anchor.parents[1]
    if (checkout / "pyproject.toml").is_file() and (checkout / kind).is_dir():
        return checkout / kind
    raise ReactorError(f"the built-in {kind} are missing from this installation of reactor "
                       f"(reinstall it: pip install --force-reinstall reactor)")


def user_config_dir() -> Path:
    """``$XDG_CONFIG_HOME/reactor``, or ``~/.config/reactor`` when the variable is unset or empty."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "reactor"


def _env_dirs(var: str) -> list[DataDir]:
    return [DataDir(Path(p).expanduser(), f"${var}")
            for p in os.environ.get(var, "").split(os.pathsep) if p]


def preset_dirs() -> list[DataDir]:
    """Preset folders in search order: ``$REACTOR_PRESETS``, the user folder, the built-ins."""
    return [*_env_dirs(PRESETS_ENV), DataDir(user_config_dir() / "presets", USER),
            DataDir(builtin_dir("presets"), BUILTIN)]


def shader_dirs() -> list[DataDir]:
    """Shader folders in search order: ``$REACTOR_SHADERS``, the user folder, the built-ins."""
    return [*_env_dirs(SHADERS_ENV), DataDir(user_config_dir() / "shaders", USER),
            DataDir(builtin_dir("shaders"), BUILTIN)]


def controller_dirs() -> list[DataDir]:
    """MIDI controller profile folders in search order: ``$REACTOR_CONTROLLERS``, the user folder
    (``.../reactor/controllers``, where MIDI learn saves), the built-ins."""
    return [*_env_dirs(CONTROLLERS_ENV), DataDir(user_config_dir() / "controllers", USER),
            DataDir(builtin_dir("controllers"), BUILTIN)]


def scene_folders() -> list[DataDir]:
    """Existing folders that hold scenes, in search order (each shader folder's ``scenes/``, then itself)."""
    found = []
    for d in shader_dirs():
        for folder in (d.path / "scenes", d.path):
            if folder.is_dir() and not any(f.path == folder for f in found):
                found.append(DataDir(folder, d.origin))
    return found


def include_dirs() -> list[Path]:
    """Folders searched for ``#include`` after the including file's own: built-in ``lib/`` first.

    User ``lib/`` folders come after the built-in one, so adding a file there can never change
    what a built-in scene includes.
    """
    dirs = shader_dirs()
    ordered = [dirs[-1], *dirs[:-1]]
    return [d.path / "lib" for d in ordered if (d.path / "lib").is_dir()]


def origin_of(path: Path, dirs: list[DataDir]) -> str:
    """The ``origin`` of the first folder in ``dirs`` that contains ``path``, else ``"path"``."""
    resolved = path.resolve()
    for d in dirs:
        try:
            resolved.relative_to(d.path.resolve())
        except ValueError:
            continue
        return d.origin
    return "path"
