"""Shared test set-up: the tests never read the developer's own preset or shader folders."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _no_user_folders(tmp_path_factory):
    """Point ``$XDG_CONFIG_HOME`` at an empty folder and drop ``$REACTOR_PRESETS``,
    ``$REACTOR_SHADERS`` and ``$REACTOR_CONTROLLERS``.

    A preset in ``~/.config/reactor/presets`` would otherwise shadow a built-in one and change
    what the tests see. Tests that exercise user folders set these variables themselves.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg_config")))
        mp.delenv("REACTOR_PRESETS", raising=False)
        mp.delenv("REACTOR_SHADERS", raising=False)
        mp.delenv("REACTOR_CONTROLLERS", raising=False)
        yield
