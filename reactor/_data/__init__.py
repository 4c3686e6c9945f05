"""Anchor package for the built-in data: ``reactor._data.presets`` and ``reactor._data.shaders``.

The repository keeps these folders at its top level (``presets/``, ``shaders/``), where people
browse and edit them. ``pyproject.toml`` maps them into this package (``[tool.setuptools.package-dir]``),
so a wheel, an sdist build or any ``pip install`` carries them as ``reactor/_data/presets`` and
``reactor/_data/shaders``. They have no ``__init__.py``: the import system treats them as namespace
packages and ``reactor.resources`` asks it where they are.

In a source tree (an editable install, or the checkout on ``PYTHONPATH``) the folders are not
inside this package; then its ``__path__`` also names the checkout root, so the same import finds
the top-level folders of *this* checkout (not those of another install of reactor). Import costs
one ``stat``; no file is read.
"""

from pathlib import Path

_HERE = Path(__file__).resolve().parent
if not (_HERE / "presets").is_dir():  # a source tree: the data sits beside the package, not in it
    __path__.append(str(_HERE.parents[1]))  # noqa: F821 (set by the import system for packages)
