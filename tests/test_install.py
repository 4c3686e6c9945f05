"""Install files: a wrong file is refused with one line naming the file and the key; a good one
becomes the same arguments the flags give (flags on the command line win); the log rotates."""

from __future__ import annotations

import logging

import pytest

from reactor.live.install import SCHEMA, InstallError, load_install

GOOD = """
[window]
size = "320x180"
fullscreen = true
monitor = 1
fps = 50
scale = "auto"
hud = false

[audio]
source = "demo"
loop = true
output = ["none"]

[playlist]
mode = "energy"
hold_s = 90
min_hold_s = 20
window_s = 25
thresholds = [0.3, 0.7]
fade_s = 4
quantize = "bar"

[[playlist.entry]]
preset = "breathe"
energy = "low"

[[playlist.entry]]
preset = "tunnel"
energy = "high"
hold_s = 45

[show]
presets = ["scope"]
safe_preset = "scope"
hot_reload = false

[osc]
in = 9000
out = ["9001", "10.0.0.5:7700"]

[midi]
ports = ["nanoKONTROL2"]
profile = "nano.toml"

[log]
file = "logs/show.log"
max_bytes = 100000
backups = 3
"""


def _write(tmp_path, text, name="show.toml"):
    (tmp_path / "nano.toml").write_text("# a controller profile\n")
    p = tmp_path / name
    p.write_text(text)
    return p


def test_a_good_file_becomes_the_flags(tmp_path):
    from reactor.cli import _apply_install, build_parser

    path = _write(tmp_path, GOOD)
    inst = load_install(path)
    assert inst.presets == ("breathe", "tunnel", "scope") and inst.mode == "energy"
    assert inst.osc_in == "0.0.0.0:9000" and inst.osc_out == ("127.0.0.1:9001", "10.0.0.5:7700")
    args = build_parser().parse_args(["live", "--install", str(path), "--monitor", "2"])
    (playlist,) = _apply_install(args)
    assert args.size == "320x180" and args.fullscreen and args.fps == 50 and args.scale == "auto"
    assert args.monitor == 2  # the command line wins
    assert args.preset == ["breathe", "tunnel", "scope"] and args.safe_preset == "scope"
    assert args.fade == 4 and args.quantize == "bar" and args.no_hud and args.no_watch
    assert args.demo and args.loop and args.audio_out == "none"
    assert args.osc_in == "0.0.0.0:9000" and args.osc_out == ["127.0.0.1:9001", "10.0.0.5:7700"]
    assert args.midi == ["nanoKONTROL2"] and args.midi_profile == str(tmp_path / "nano.toml")
    assert args.log == str(tmp_path / "logs" / "show.log") and (args.log_max_bytes, args.log_backups) == (100000, 3)
    assert playlist.mode == "energy" and [e.level for e in playlist.entries] == ["low", "high"]
    assert playlist.notices() == ["audio output: using none (the silent clock)"]


@pytest.mark.parametrize("change,message", [
    (("[playlist]\nmode", "[playlist]\nmdoe"), "show.toml: [playlist] mdoe: unknown key; did you mean 'mode'?"),
    (("[window]", "[windwo]"), "show.toml: [windwo]: unknown table; did you mean 'window'?"),
    (('size = "320x180"', "size = 320"), "show.toml: [window] size: must be a string, got number 320"),
    (("fullscreen = true", 'fullscreen = "yes"'), 'show.toml: [window] fullscreen: must be true or false, got string "yes"'),
    (('mode = "energy"', 'mode = "loud"'), 'show.toml: [playlist] mode: must be "time" or "energy", got string "loud"'),
    (('preset = "tunnel"', 'preset = "tunel"'), "show.toml: [playlist.entry[2]] preset: unknown preset 'tunel'; did you mean 'tunnel'?"),
    (('energy = "high"', 'energy = "hi"'), "show.toml: [playlist.entry[2]] energy: must be"),
    (('energy = "high"\n', ""), "show.toml: [playlist.entry[2]] energy: missing: energy mode needs low, mid or high for 'tunnel'"),
    (('presets = ["scope"]', 'presets = "scope"'), "show.toml: [show] presets: must be a list of strings"),
    (("in = 9000", "in = 90000"), "show.toml: [osc] in: port must be 1..65535, got 90000"),
    (('profile = "nano.toml"', 'profile = "missing.toml"'), "show.toml: [midi] profile: file not found: missing.toml"),
    (("thresholds = [0.3, 0.7]", "thresholds = [0.7, 0.3]"), "show.toml: [playlist] thresholds: must be two numbers 0..1"),
    (("backups = 3", "backups = 0"), "show.toml: [log] backups: must be 1..100, got number 0"),
    (("fade_s = 4", "fade_s = 4\nfade = 2"), "show.toml: [playlist] fade: unknown key; did you mean 'fade_s'?"),
    (("hold_s = 45", "hold = 45"), "show.toml: [playlist.entry[2]] hold: unknown key; did you mean 'hold_s'?"),
    (('[audio]\nsource = "demo"', '[audio]\nsource = "file"'), 'show.toml: [audio] file: missing: source = "file"'),
    (("[window]", "[window\n"), "show.toml: not valid TOML"),
])
def test_a_wrong_file_is_refused_naming_file_and_key(tmp_path, change, message):
    old, new = change
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(InstallError) as err:
        load_install(path)
    text = str(err.value)
    assert text.startswith(message) and "\n" not in text, text


def test_the_cli_refuses_a_wrong_file_in_one_line(tmp_path, capsys):
    from reactor.cli import main

    path = _write(tmp_path, GOOD.replace("hold_s = 90", "hold_s = \"long\""))
    assert main(["live", "--install", str(path), "--offscreen", "--frames", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == 'reactor: error: show.toml: [playlist] hold_s: must be a number, got string "long"'
    assert main(["live", "--install", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml: install file not found" in capsys.readouterr().err


def test_the_log_file_rotates_by_size(tmp_path):
    from reactor.live.logfile import close_log_file, open_log_file

    path = tmp_path / "logs" / "show.log"
    handler = open_log_file(path, max_bytes=2000, backups=2)
    log = logging.getLogger("reactor.live")
    try:
        for i in range(200):
            log.warning("OSC /reactor/bogus: unknown address (message %d)", i)
    finally:
        close_log_file(handler)
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["show.log", "show.log.1", "show.log.2"]  # older ones dropped: bounded on disk
    assert all((path.parent / f).stat().st_size <= 2000 for f in files)
    last = path.read_text().strip().splitlines()[-1]
    assert last.endswith("WARNING reactor.live: OSC /reactor/bogus: unknown address (message 199)")
    assert handler not in logging.getLogger("reactor").handlers


def test_the_readme_example_has_every_key_and_loads(tmp_path):
    import re
    import shutil
    import tomllib
    from pathlib import Path

    from reactor.presets import load_preset

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("## Installations"):]
    example = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    data = tomllib.loads(example)
    used = {(t, k) for t, tab in data.items() if t != "playlist" for k in tab}
    used |= {("playlist", k) for k in data["playlist"]}
    used |= {("playlist.entry", k) for e in data["playlist"]["entry"] for k in e}
    assert used == {(t, k) for t, keys in SCHEMA.items() for k in keys}, "README's install example lacks keys"
    # it is a working file once its own files exist
    (tmp_path / "music").mkdir()
    (tmp_path / "music" / "night.mp3").write_bytes(b"")
    (tmp_path / "presets").mkdir()
    shutil.copy(load_preset("tunnel").source, tmp_path / "presets" / "mine.toml")
    (tmp_path / "nanokontrol2.toml").write_text("")
    path = tmp_path / "show.toml"
    path.write_text(example)
    inst = load_install(path)
    assert inst.mode == "energy" and [e.level for e in inst.entries] == ["low", "mid", "high"]
    assert inst.log_file == str(tmp_path / "logs" / "show.log")


def test_device_preferences_take_the_first_present(monkeypatch, tmp_path):
    """The sound library is the stand-in of tests/fake_sounddevice.py (no sound card here)."""
    import sys

    from tests.fake_sounddevice import FakeSoundDevice

    fake = FakeSoundDevice([{"name": "Built-in Microphone", "inputs": 2, "rates": [48000]},
                            {"name": "Built-in Output", "outputs": 2, "rates": [48000]},
                            {"name": "USB Audio CODEC", "inputs": 1, "outputs": 2, "rates": [44100]}])
    monkeypatch.setitem(sys.modules, "sounddevice", fake)
    from reactor.audio.devices import first_present
    from reactor.cli import _apply_install, build_parser

    assert first_present(["Scarlett 2i2", "usb audio"], kind="input") == (
        "USB Audio CODEC", "audio input: using 'USB Audio CODEC' ('Scarlett 2i2' not present)")
    assert first_present(["Scarlett 2i2"], kind="output")[0] is None
    assert "none of 'Scarlett 2i2' is present; using the default output" in first_present(["Scarlett 2i2"],
                                                                                          kind="output")[1]
    path = tmp_path / "mic.toml"
    path.write_text('[audio]\nsource = "mic"\ninput = ["Scarlett", "Built-in Mic"]\n[show]\npresets = ["scope"]\n')
    args = build_parser().parse_args(["live", "--install", str(path)])
    (notices,) = _apply_install(args)
    assert args.mic == "Built-in Microphone" and args.preset == ["scope"]
    assert notices.notices() == ["audio input: using 'Built-in Microphone' ('Scarlett' not present)"]


def test_the_log_flag_help_states_the_rotation_constants():
    from reactor.cli import build_parser
    from reactor.live.install import LOG_BACKUPS, LOG_MAX_BYTES

    live = build_parser()._subparsers._group_actions[0].choices["live"]
    text = next(a.help for a in live._actions if "--log" in a.option_strings)
    assert f"rotated at {LOG_MAX_BYTES // 1_000_000} MB, {LOG_BACKUPS} old files kept" in text
