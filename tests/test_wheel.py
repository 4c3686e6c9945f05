"""The wheel works without the source tree: built, installed into a fresh venv, run from elsewhere.

This is what a new user does (``pip install reactor``, pipx, a container image): build the sdist
and the wheel from the tracked files with ``python -m build``, install the wheel into a new venv
that must resolve its own dependencies (no system site-packages; pip's cache keeps that to tens
of seconds), leave the checkout and run ``reactor --version``, ``reactor presets`` and a 2 s demo
render there. The clip must be the very one the in-tree code writes with the same arguments.
Most of the time goes to Numba compiling the analyzer afresh for the new install (as it does on
a user's first run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import av
import numpy as np
import pytest

import reactor
from reactor.presets import list_presets

ROOT = Path(reactor.__file__).resolve().parents[1]
RENDER = ["render", "--demo", "--duration", "2", "--size", "320x180", "--no-progress"]
LIVE_ONLY = ("sounddevice", "glfw", "mido", "rtmidi")
MAX_WHEEL_BYTES = 1_000_000  # code, presets, shaders and controller profiles: about 160 kB today
# Lines a build prints that are about this machine, not about our metadata.
NOT_OURS = re.compile(r"byte-compiling is disabled|Location 'file:")


def _tracked_files() -> list[Path]:
    """Files a clean clone would have: tracked plus new, not ignored (the tree as it will be committed)."""
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: cannot tell which files a clean clone has")
    return [Path(p) for p in out.decode().split("\0") if p and (ROOT / p).is_file()]


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would point Python at the source tree."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def _run(cmd, *, cwd, env, timeout=600) -> subprocess.CompletedProcess:
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict:
    """sdist and wheel built from a copy of the clean tree, with the build's output."""
    pytest.importorskip("build", reason="the test extra installs 'build': pip install -e '.[test]'")
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    files = _tracked_files()
    for rel in files:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, src / rel)
    r = _run([sys.executable, "-m", "build", "--outdir", base / "dist", src], cwd=base, env=_clean_env())
    wheel, = (base / "dist").glob("reactor-*.whl")
    sdist, = (base / "dist").glob("reactor-*.tar.gz")
    return {"base": base, "wheel": wheel, "sdist": sdist, "log": r.stdout + r.stderr, "files": files}


def test_build_prints_no_warnings_about_our_metadata(dist) -> None:
    warnings = [line for line in dist["log"].splitlines()
                if re.search(r"warn", line, re.I) and not NOT_OURS.search(line)]
    assert warnings == []


def test_the_wheel_holds_the_package_presets_and_shaders_and_nothing_else(dist) -> None:
    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    wanted = {f"reactor/_data/{rel.as_posix()}" for rel in dist["files"] if rel.parts[0] in ("presets", "shaders", "controllers")}
    wanted |= {rel.as_posix() for rel in dist["files"] if rel.parts[0] == "reactor" and rel.suffix in (".py", ".npz")}
    assert wanted - names == set(), "pyproject.toml does not ship these files"
    payload = {n for n in names if ".dist-info/" not in n}
    assert payload - wanted == set(), "the wheel carries files that are not part of the package"
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "tools/")) or "__pycache__" in n]
    assert dist["wheel"].stat().st_size < MAX_WHEEL_BYTES
    meta = zipfile.ZipFile(dist["wheel"]).read(f"reactor-{reactor.__version__}.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in meta
    assert re.search(r"^Provides-Extra: live$", meta, re.M) and re.search(r"^Provides-Extra: test$", meta, re.M)


def test_an_installed_wheel_renders_the_same_demo_from_another_folder(dist, tmp_path) -> None:
    venv = dist["base"] / "venv"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _clean_env(XDG_CONFIG_HOME=str(tmp_path / "config"))
    # A venv without pip of its own (ensurepip is slow); this pip resolves and installs into it.
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=elsewhere, env=env, timeout=300)
    py, exe = venv / "bin" / "python", venv / "bin" / "reactor"
    _run([sys.executable, "-m", "pip", "--python", py, "install", "--quiet", "--no-compile", dist["wheel"]],
         cwd=elsewhere, env=env)

    where = json.loads(_run([py, "-c", _PROBE], cwd=elsewhere, env=env).stdout)
    assert all(Path(p).is_relative_to(venv) for p in where["paths"]), where  # the installed copy, not the tree
    assert where["live"] == [], "the core install pulled in live-only libraries"

    assert _run([exe, "--version"], cwd=elsewhere, env=env).stdout.strip() == f"reactor {reactor.__version__}"
    listed = json.loads(_run([exe, "presets", "--json"], cwd=elsewhere, env=env).stdout)
    assert [p["name"] for p in listed] == [p.name for p in list_presets()]
    assert all(p["origin"] == "built-in" and p["error"] is None and Path(p["path"]).is_relative_to(venv)
               for p in listed)

    installed = elsewhere / "demo.mp4"
    _run([exe, *RENDER, "-o", installed], cwd=elsewhere, env=env)
    in_tree = tmp_path / "tree.mp4"
    _run([sys.executable, "-m", "reactor", *RENDER, "-o", in_tree], cwd=ROOT,
         env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")})
    a, b = _decoded(installed), _decoded(in_tree)
    assert len(a["video"]) == 60 and len(a["video"]) == len(b["video"])
    assert all(np.array_equal(x, y) for x, y in zip(a["video"], b["video"]))
    assert np.array_equal(a["audio"], b["audio"])
    here = json.loads(_run([sys.executable, "-c", _PROBE], cwd=ROOT, env=os.environ).stdout)
    if here["versions"] == where["versions"]:  # same encoder and maths: the same file, byte for byte
        assert installed.read_bytes() == in_tree.read_bytes()


# Prints where reactor and its shaders were found, the live-only libraries that can be imported and
# the versions of the libraries that decide the clip's bytes.
_PROBE = f"""
import importlib.metadata as m, importlib.util as u, json, reactor
from reactor import resources
print(json.dumps({{"paths": [reactor.__file__, str(resources.builtin_dir("shaders"))],
                  "live": [n for n in {LIVE_ONLY!r} if u.find_spec(n)],
                  "versions": [m.version(d) for d in ("av", "numpy", "numba", "moderngl")]}}))
"""


def _decoded(path: Path) -> dict[str, list | np.ndarray]:
    with av.open(str(path)) as c:
        video = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    with av.open(str(path)) as c:
        audio = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=-1)
    return {"video": video, "audio": audio}
