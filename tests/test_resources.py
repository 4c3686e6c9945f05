"""Where presets and shaders come from: built-ins inside the package, user folders beside them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import reactor
from reactor import resources
from reactor.cli import main
from reactor.preset_schema import read_toml
from reactor.presets import list_presets, load_preset
from reactor.render.programs import build_source
from reactor.render.scenes import list_scenes, load_scene

ROOT = Path(reactor.__file__).resolve().parents[1]
LIVE_ONLY = ("sounddevice", "glfw", "mido", "rtmidi", "jack", "tomlkit")

PRESET = """
description = "{description}"
scene = "{scene}"
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_built_ins_come_from_this_checkout() -> None:
    # In a source tree the built-ins are the top-level folders of *this* checkout, not those of
    # another reactor installed in the same environment (the wheel test covers installs).
    assert resources.builtin_dir("presets") == ROOT / "presets"
    assert resources.builtin_dir("shaders") == ROOT / "shaders"
    assert [d.origin for d in resources.preset_dirs()] == ["user", "built-in"]
    with pytest.raises(ValueError):
        resources.builtin_dir("textures")


def test_user_presets_shadow_built_ins_and_say_where_they_come_from(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    user = tmp_path / "reactor" / "presets"
    write(user / "tunnel.toml", PRESET.format(description="my own tunnel", scene="tunnel"))
    write(user / "mine.toml", PRESET.format(description="mine", scene="rings"))
    rows = {r.name: r for r in list_presets()}
    assert (rows["tunnel"].origin, rows["tunnel"].description) == ("user", "my own tunnel")
    assert rows["mine"].origin == "user" and rows["pulse"].origin == "built-in"
    assert load_preset("tunnel").source == (user / "tunnel.toml").resolve()

    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    mine = next(line for line in out.splitlines() if line.startswith("mine "))
    assert " user " in mine
    assert f"user               {user}\n" in out  # the folders searched, in order
    assert str(resources.builtin_dir("presets")) in out.split("searched in this order")[1]

    assert main(["presets", "--json"]) == 0
    listed = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["mine"]["origin"] == "user" and listed["kaleido"]["origin"] == "built-in"


def test_a_scene_in_a_shader_folder_is_found_by_name_and_includes_resolve(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("REACTOR_SHADERS", str(tmp_path))
    write(tmp_path / "glow.frag", """\
        // @description a user scene
        // @image true
        #include "math.glsl"
        #include "mine.glsl"
        void main() { fragColor = vec4(glow(v_uv), 1.0); }
        """)
    write(tmp_path / "lib" / "mine.glsl", "vec3 glow(vec2 uv) { return vec3(uv, 0.5); }\n")
    scenes = list_scenes()
    assert "glow" in scenes and "tunnel" in scenes
    files = {origin.rsplit("/", 1)[-1] for origin, _ in build_source(load_scene("glow").path).origins}
    assert {"glow.frag", "math.glsl", "mine.glsl"} <= files
    write(tmp_path / "p.toml", PRESET.format(description="x", scene="glow"))
    assert load_preset(tmp_path / "p.toml").uses_image()  # the scene's metadata is read by name

    assert main(["scenes", "--json"]) == 0
    listed = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    assert listed["glow"]["origin"] == "$REACTOR_SHADERS" and listed["tunnel"]["origin"] == "built-in"


def test_a_user_lib_file_cannot_change_a_built_in_scene(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    builtin_lib = resources.builtin_dir("shaders") / "lib"
    shadow = write(tmp_path / "reactor" / "shaders" / "lib" / "noise.glsl", "#error shadowed\n")
    assert (builtin_lib / "noise.glsl").is_file() and shadow.is_file()
    text = build_source(list_scenes()["tunnel"].path).text
    assert "#error shadowed" not in text and "noise" in text


def test_packages_and_metadata_in_pyproject_match_the_tree() -> None:
    project = read_toml(ROOT / "pyproject.toml")
    listed = set(project["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "reactor").rglob("__init__.py")}
    assert on_disk - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"
    mapped = project["tool"]["setuptools"]["package-dir"]
    assert all((ROOT / folder).is_dir() for folder in mapped.values())
    data_dirs = {f"reactor._data.shaders.{p.name}" for p in (ROOT / "shaders").iterdir() if p.is_dir()}
    assert data_dirs - listed == set(), "a new folder under shaders/ must be listed as a package to ship"
    meta = project["project"]
    assert meta["license"] == "MIT" and all((ROOT / f).is_file() for f in meta["license-files"])
    assert set(meta["optional-dependencies"]) >= {"live", "test"}
    assert not any(name.startswith(LIVE_ONLY) for name in meta["dependencies"])


def test_core_modules_import_and_render_without_live_libraries(tmp_path) -> None:
    # Every module imports, and a demo analysis and render run, with the live-only libraries made
    # unimportable: the core install (no display, no sound library) must do without them.
    script = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {LIVE_ONLY!r}:
                    raise ImportError(f"{{name}} is blocked: a core module imported it")
        sys.meta_path.insert(0, Block())
        import reactor
        for m in pkgutil.walk_packages(reactor.__path__, "reactor."):
            if not m.name.endswith("__main__"):  # it runs the command line
                importlib.import_module(m.name)
        from reactor.cli import main
        assert main(["analyze", "--demo", "--duration", "1"]) == 0
        assert main(["render", "--demo", "--duration", "0.2", "--size", "64x36", "--no-progress",
                     "-o", sys.argv[1]]) == 0
        assert not [n for n in sys.modules if n.split(".")[0] in {LIVE_ONLY!r}]
        """)
    r = subprocess.run([sys.executable, "-c", script, str(tmp_path / "c.mp4")], capture_output=True,
                       text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "c.mp4").stat().st_size > 0
