"""Anchor package for the built-in data: ``reactor/_data/presets``, ``reactor/_data/shaders`` and
``reactor/_data/controllers`` (MIDI controller profiles).

The repository keeps these folders at its top level (``presets/``, ``shaders/``, ``controllers/``), where people
browse and edit them. ``pyproject.toml`` maps them into this package
(``[tool.setuptools.package-dir]``), so a wheel, a build from the sdist or any ``pip install``
carries them here. ``reactor.resources.builtin_dir`` locates this package with
``importlib.resources`` and looks inside it; only a source tree (an editable install, or the
checkout on ``PYTHONPATH``), where the folders are not inside, is served from the top-level
folders of the same checkout. This package has no code.
"""
