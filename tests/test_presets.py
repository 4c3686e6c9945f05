"""Presets: every shipped file validates; each schema violation is one line naming file and key."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from reactor import presets
from reactor.errors import PresetError
from reactor.presets import list_presets, load_preset, preset_from_scene

REPO = Path(presets.__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "presets").glob("*.toml"))

GOOD = """
name = "pulse-cover"
description = "Punch-in zoom"
scene = "pulse"
tags = ["music", "image"]

[params.zoom]
default = 0.0
min = 0.0
max = 0.5

[params.hue]
default = 0.6

[[route]]
param = "zoom"
source = "beat_pulse"
amount = 0.25
curve = "exp"
release_s = 0.15

[[route]]
param = "hue"
source = "lfo"
shape = "sine"
beats = 8
amount = 0.1
"""


def write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def edit(old: str, new: str) -> str:
    assert old in GOOD  # the edit must change the file, or the error test proves nothing
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_preset_validates(path: Path) -> None:
    preset = load_preset(path)
    assert preset.scene
    scenes = REPO / "shaders" / "scenes"
    if scenes.is_dir() and "/" not in preset.scene:
        assert any(scenes.glob(f"{preset.scene}.*")), f"{path.name}: scene '{preset.scene}' not in shaders/scenes"
    assert load_preset(path.stem).source == path.resolve()  # findable by name too


def test_good_preset_fields(tmp_path: Path) -> None:
    p = load_preset(write(tmp_path, GOOD))
    assert (p.name, p.scene, p.tags, p.image) == ("pulse-cover", "pulse", ("music", "image"), None)
    assert p.params["zoom"] == presets.ParamSpec(0.0, 0.0, 0.5)
    assert p.params["hue"] == presets.ParamSpec(0.6, 0.0, 1.0)  # min/max default to 0..1
    assert p.routes[0].range == (0.0, 1.0)  # beat_pulse's natural range
    assert p.routes[0].attack_s == 0.0 and p.routes[0].release_s == 0.15
    assert p.routes[1].range is None and p.routes[1].beats == 8.0


def test_name_defaults_to_file_stem(tmp_path: Path) -> None:
    assert load_preset(write(tmp_path, edit('name = "pulse-cover"\n', ""), "mine.toml")).name == "mine"


@pytest.mark.parametrize(
    "old, new, key, words",
    [
        ("source = \"beat_pulse\"", "sorce = \"beat_pulse\"", "route[1].sorce", "did you mean 'source'?"),
        ("description", "descripton", "descripton", "did you mean 'description'?"),
        ("min = 0.0\nmax = 0.5", "min = 0.0\nmax = 0.5\nmaxx = 1", "params.zoom.maxx", "did you mean 'max'?"),
        ("min = 0.0\nmax = 0.5", "min = 0.6\nmax = 0.5", "params.zoom", "min 0.6 > max 0.5"),
        ("default = 0.6", "default = 1.6", "params.hue.default", "outside min..max 0..1"),
        ("default = 0.6", "default = \"high\"", "params.hue.default", "must be a number"),
        ("default = 0.6", "default = true", "params.hue.default", "must be a number"),
        ("amount = 0.25", "amount = \"lots\"", "route[1].amount", "must be a number"),
        ("tags = [\"music\", \"image\"]", "tags = \"music\"", "tags", "list of strings"),
        ("param = \"zoom\"", "param = \"zom\"", "route[1].param", "did you mean 'zoom'?"),
        ("param = \"zoom\"", "param = \"warp\"", "route[1].param", "(allowed: zoom, hue)"),
        ("source = \"beat_pulse\"", "source = \"bass_evn\"", "route[1].source", "did you mean 'bass_env'?"),
        ("source = \"beat_pulse\"", "source = \"qqqqq\"", "route[1].source", "unknown feature 'qqqqq'"),
        ("curve = \"exp\"", "curve = \"cubic\"", "route[1].curve", "(allowed: linear, exp, log, smooth, step)"),
        ("shape = \"sine\"", "shape = \"sin\"", "route[2].shape", "(allowed: sine, triangle, saw, square)"),
        ("beats = 8", "beats = 16", "route[2].beats", "0.25 .. 8"),
        ("beats = 8", "beats = 0.125", "route[2].beats", "0.25 .. 8"),
        ("release_s = 0.15", "release_s = -0.1", "route[1].release_s", ">= 0"),
        ("release_s = 0.15", "attack_s = -1", "route[1].attack_s", ">= 0"),
        ("scene = \"pulse\"\n", "", "scene", "missing key"),
        ("source = \"lfo\"", "source = \"lfo\"\nrange = [0, 2]", "route[2].range", "not used with source = 'lfo'"),
        ("curve = \"exp\"", "curve = \"exp\"\nbeats = 2", "route[1].beats", "only used with source = 'lfo'"),
        ("curve = \"exp\"", "curve = \"exp\"\nrange = [1, 1]", "route[1].range", "must differ"),
        ("curve = \"exp\"", "curve = \"exp\"\nrange = [0, 1, 2]", "route[1].range", "[lo, hi]"),
        ("source = \"beat_pulse\"", "source = \"beat_count\"", "route[1].range", "give range = [lo, hi]"),
        ("[params.hue]", "[params.\"hue-2\"]", "params.hue-2", "bad name"),
        ("image\"]", "image\"]\nimage = \"yes\"", "image", "true or false"),
    ],
)
def test_validation_errors_name_file_and_key(tmp_path: Path, old: str, new: str, key: str, words: str) -> None:
    path = write(tmp_path, edit(old, new), "broken.toml")
    with pytest.raises(PresetError) as info:
        load_preset(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}: {key}:") or msg.startswith(f"{presets.display_path(path)}: {key}:"), msg
    assert words in msg, msg


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, edit("amount = 0.25", "amount = = 0.25"))
    line = GOOD.count("\n", 0, GOOD.index("amount = 0.25")) + 1  # 1-based line in the file
    with pytest.raises(PresetError, match=rf"p\.toml:{line}:\d+: invalid TOML"):
        load_preset(path)


def test_missing_file_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match="nope.toml: file not found"):
        load_preset(tmp_path / "nope.toml")
    (tmp_path / "bin.toml").write_bytes(b"scene = \"\xff\xfe\"")
    with pytest.raises(PresetError, match="bin.toml: not a UTF-8"):
        load_preset(tmp_path / "bin.toml")


def test_unknown_name_lists_valid_names_and_closest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, GOOD, "strobe.toml")
    monkeypatch.setenv("REACTOR_PRESETS", str(tmp_path))
    with pytest.raises(PresetError) as info:
        load_preset("strob")
    assert "unknown preset 'strob'; did you mean 'strobe'?" in str(info.value)
    assert "strobe" in str(info.value).split("available:")[1]


def test_env_presets_are_found_by_file_and_declared_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, GOOD, "cover.toml")
    monkeypatch.setenv("REACTOR_PRESETS", str(tmp_path))
    assert load_preset("cover").name == "pulse-cover"
    assert load_preset("pulse-cover").source == (tmp_path / "cover.toml").resolve()


def test_listing_reports_broken_files_and_json_fields(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, GOOD, "cover.toml")
    write(tmp_path, edit("curve = \"exp\"", "curve = \"cubic\""), "zzz_broken.toml")
    monkeypatch.setenv("REACTOR_PRESETS", str(tmp_path))
    rows = {i.name: i for i in list_presets()}
    assert rows["zzz_broken"].error is not None and "route[1].curve" in rows["zzz_broken"].error
    row = json.loads(json.dumps(rows["pulse-cover"].to_dict()))
    assert set(row) == {"name", "description", "scene", "image", "tags", "path", "error", "origin"}
    assert row["tags"] == ["music", "image"] and row["error"] is None and isinstance(row["image"], bool)
    assert row["origin"] == "$REACTOR_PRESETS" and rows["tunnel"].origin == "built-in"
    names = [i.name for i in list_presets()]
    assert names == sorted(names)


def test_image_defaults_to_scene_metadata(tmp_path: Path) -> None:
    scene = write(tmp_path, "// @description test\n// @image true\nvoid main(){}\n", "warp.frag")
    flat = write(tmp_path, "// @image false\nvoid main(){}\n", "flat.frag")
    multi = write(tmp_path, "description = \"m\"\nimage = true\n[[pass]]\nshader = \"a.frag\"\n", "multi.toml")
    for scene_path, expected in ((scene, True), (flat, False), (multi, True)):
        text = edit('scene = "pulse"', f'scene = "{scene_path.name}"')
        assert load_preset(write(tmp_path, text, "x.toml")).uses_image() is expected
    forced = edit('scene = "pulse"', f'scene = "{scene.name}"\nimage = false')
    assert load_preset(write(tmp_path, forced, "y.toml")).uses_image() is False


def test_preset_from_scene_has_no_params_or_routes() -> None:
    p = preset_from_scene("tunnel")
    assert (p.scene, dict(p.params), p.routes) == ("tunnel", {}, ())


def test_param_default_overrides(tmp_path: Path) -> None:
    p = load_preset(write(tmp_path, GOOD))
    q = p.with_param_defaults(zoom=0.4, hue=0.1)
    assert q.params["zoom"].default == 0.4 and q.params["hue"].default == 0.1
    assert p.params["zoom"].default == 0.0  # the original is untouched
    with pytest.raises(PresetError, match=r"params\.zoom: override 0\.9 is outside 0\.\.0\.5"):
        p.with_param_defaults(zoom=0.9)
    with pytest.raises(PresetError, match=r"params\.zom: no such parameter; did you mean 'zoom'\?"):
        p.with_param_defaults(zom=0.1)
