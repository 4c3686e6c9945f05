"""A real X display for window tests: a session-scoped Xvfb, plus helpers to drive a live show.

``xvfb_display`` starts ``Xvfb :N -screen 0 1280x720x24 -nolisten tcp`` on a free display number,
sets ``DISPLAY`` for the session and stops the server at the end. It skips when Xvfb is not
installed (``bash tools/setup.sh --test`` installs it, with xdotool and imagemagick).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise RuntimeError("no free X display number in 90..199")


@pytest.fixture(scope="session")
def xvfb_display():
    """DISPLAY of a private Xvfb server for this test session."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (bash tools/setup.sh --test)")
    n = _free_display()
    # -noreset: without it the server resets when its last client leaves, and a window opened
    # during the reset fails ("cannot open display")
    proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x720x24", "-nolisten", "tcp", "-noreset"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock = Path(f"/tmp/.X11-unix/X{n}")
    deadline = time.monotonic() + 10.0
    while not sock.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.skip(f"Xvfb :{n} did not start")
        time.sleep(0.02)
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = f":{n}"
    yield f":{n}"
    if old is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = old
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()


def live_cmd(*args: str) -> list[str]:
    """``python -m reactor live ARGS`` with this checkout's package."""
    return [sys.executable, "-m", "reactor", "live", *args]


def env_for(display: str) -> dict:
    env = dict(os.environ, DISPLAY=display, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return env


def start_show(display: str, *args: str, log_path: Path) -> subprocess.Popen:
    """Start a live show in the background; its log goes to ``log_path``."""
    fh = open(log_path, "w")
    return subprocess.Popen(live_cmd(*args), env=env_for(display), cwd=REPO, stdout=fh, stderr=subprocess.STDOUT)


def window_id(display: str, *, timeout_s: float = 120.0) -> str:
    """The X window id of the show's window, once it is mapped."""
    need_tool("xdotool")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        out = subprocess.run(["xdotool", "search", "--name", "reactor live"], env=env_for(display),
                             capture_output=True, text=True)
        ids = out.stdout.split()
        if ids:
            return ids[-1]
        time.sleep(0.2)
    raise AssertionError("the live window did not appear")


def send_keys(display: str, win: str, *keys: str) -> None:
    """Press keys through the X server (XTEST via xdotool), as a keyboard would."""
    env = env_for(display)
    subprocess.run(["xdotool", "windowfocus", "--sync", win], env=env, check=False, timeout=10)
    for k in keys:
        subprocess.run(["xdotool", "key", "--clearmodifiers", k], env=env, check=True, timeout=10)
        time.sleep(0.15)


def screenshot(display: str, win: str) -> np.ndarray:
    """The window's pixels (uint8 (h, w, 3)) via imagemagick ``import``."""
    from PIL import Image

    need_tool("import")
    out = subprocess.run(["import", "-window", win, "png:-"], env=env_for(display), capture_output=True,
                         timeout=30, check=True)
    return np.asarray(Image.open(io.BytesIO(out.stdout)).convert("RGB"))


def need_tool(name: str) -> None:
    if shutil.which(name) is None:
        pytest.skip(f"{name} is not installed (bash tools/setup.sh --test)")


def wait_for_line(log_path: Path, text: str, *, timeout_s: float = 60.0) -> str:
    """Wait until the show's log has a line containing ``text``; returns that line."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in log_path.read_text(errors="replace").splitlines():
            if text in line:
                return line
        time.sleep(0.1)
    raise AssertionError(f"no log line with {text!r}; log:\n{log_path.read_text(errors='replace')[-3000:]}")


def finish(proc: subprocess.Popen, display: str, win: str, *, timeout_s: float = 60.0) -> int:
    """Quit the show with ctrl+q and wait for it to exit."""
    send_keys(display, win, "ctrl+q")
    try:
        return proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


def read_stats(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def run_midi_helper(helper: Path, mode: str, tmp_path: Path, *, what: str, timeout_s: float = 120) -> dict:
    """Run a JACK MIDI helper script (``helper mode OUT.json``) in a subprocess; its JSON result.

    Skips without jackd, mido or python-rtmidi, or when jackd would not start (helper exit 3),
    except in CI (``CI=true``), where those fail: CI installs them and must run ``what``.
    """
    import importlib.util

    ci = os.environ.get("CI", "").lower() == "true"
    why = None
    if not shutil.which("jackd") or not shutil.which("jack_wait"):
        why = "jackd not installed (apt-get install jackd2)"
    for mod, pkg in (("mido", "mido"), ("rtmidi", "python-rtmidi")):
        if why is None and importlib.util.find_spec(mod) is None:
            why = f"python package {pkg} not installed (pip install -e '.[test,live]')"
    if why:
        if ci:
            pytest.fail(f"CI must run {what}: {why}")
        pytest.skip(why)
    out = tmp_path / f"{mode}.json"
    env = dict(os.environ, PYTHONPATH=str(helper.parent.parent))
    r = subprocess.run([sys.executable, str(helper), mode, str(out)], capture_output=True, text=True,
                       timeout=timeout_s, env=env)
    if r.returncode == 3 and not ci:
        pytest.skip(f"jackd would not start here: {r.stderr.strip()[-200:]}")
    assert r.returncode == 0, f"helper failed ({r.returncode}): {r.stderr[-3000:]}"
    return json.loads(out.read_text())
