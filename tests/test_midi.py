"""MIDI controllers without a MIDI system: real mido messages through the real profile loader,
mapper and surface (``MidiPorts``, its port set fed by hand where rtmidi's thread would feed it).

What a performer notices: a knob moves its parameter only after it passes the parameter's value
(soft takeover) and then follows it; 14-bit knobs reach values between 7-bit steps; pads flash
with their velocity, hold a blackout, switch presets; program change selects presets; the pitch
wheel and aftertouch move parameters; every CC feeds its ``cc:`` route source; MIDI learn writes
a mapping into the profile file (keeping its comments) and the knob then works; a broken profile
is refused with the file and the key named, in one line.
"""

from __future__ import annotations

import time
from types import MappingProxyType, SimpleNamespace

import mido
import pytest

from reactor.cli import main
from reactor.control.actions import Action
from reactor.control.midi import MidiPorts, describe
from reactor.control.midi_map import LEARN_SETTLE_S, Context, Mapper
from reactor.control.midi_profile import empty_profile, load_profile, save_learned
from reactor.errors import MidiError
from reactor.presets import ParamSpec

PARAMS = MappingProxyType({"zoom": ParamSpec(default=1.0, min=0.0, max=2.0),
                           "hue": ParamSpec(default=0.5), "speed": ParamSpec(default=1.0, min=0.0, max=3.0)})


def cc(num, value, ch=1):
    return mido.Message("control_change", channel=ch - 1, control=num, value=value)


class Store:
    """What the show does with param actions: an override store the mapper reads back."""

    def __init__(self, preset="tunnel", params=PARAMS):
        self.preset, self.params, self.values, self.controls = preset, params, {}, {}

    def context(self):
        return Context(self.preset, self.params,
                       lambda n: self.values.get(n, self.params[n].default if n in self.params else None))

    def run(self, mapper, messages, now_s=0.0):
        actions = mapper.handle([(m, now_s) for m in messages], now_s, self.context())
        for a in actions:
            if a.name == "param":
                self.values[a.arg] = a.value
            elif a.name == "control":
                self.controls[a.arg] = a.value
        return actions


def profile_file(tmp_path, text, name="pad.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_knob_soft_takeover_then_follows_and_catches_again(tmp_path):
    mapper = Mapper(load_profile(profile_file(tmp_path, "[[cc]]\ncc = 1\nparam = \"zoom\"\n")))
    store = Store()
    # zoom rests at 1.0 (half way in 0..2); the knob starts at the bottom and is swept up
    seen = []
    for v in range(0, 128, 4):
        store.run(mapper, [cc(1, v)])
        seen.append((v, store.values.get("zoom")))
    assert "zoom" not in mapper.waiting  # taken over: nothing to say
    before = [z for v, z in seen if v * 2 / 127 < 1.0]
    after = [(v, z) for v, z in seen if v * 2 / 127 > 1.05]
    assert set(before) == {None}, "the knob moved zoom before reaching its value"
    assert all(z == pytest.approx(2 * v / 127) for v, z in after), "after takeover zoom follows the knob"
    assert store.controls["cc:1:1"] == pytest.approx(124 / 127)  # the route source follows from the start
    # something else (a key, OSC) sets zoom to 0.4: the knob, up at the top, does nothing...
    store.values["zoom"] = 0.4
    store.run(mapper, [cc(1, 120), cc(1, 100)], now_s=3.0)
    assert store.values["zoom"] == 0.4
    assert mapper.waiting["zoom"] == (pytest.approx(200 / 127), 0.4, 3.0)  # the HUD: turn down to 0.40
    # ...until it comes down past 0.4, then it leads again
    store.run(mapper, [cc(1, 10)])
    assert store.values["zoom"] == pytest.approx(20 / 127)
    # one poll with a whole sweep gives one param action (its last value), not 40
    actions = store.run(mapper, [cc(1, v) for v in range(10, 50)])
    assert [a.value for a in actions if a.name == "param"] == [pytest.approx(2 * 49 / 127)]


def test_jump_takeover_range_curve_invert_and_smoothing(tmp_path):
    path = profile_file(tmp_path, """
        [[cc]]
        cc = 2
        param = "speed"
        takeover = "jump"
        range = [0.5, 2.5]
        curve = "exp"
        invert = true
        [[cc]]
        cc = 3
        param = "hue"
        takeover = "jump"
        smoothing_s = 0.1
    """.replace("\n        ", "\n"))
    mapper, store = Mapper(load_profile(path)), Store()
    store.run(mapper, [cc(2, 127)], now_s=1.0)
    assert store.values["speed"] == pytest.approx(0.5)  # inverted: the top of the knob is the bottom
    store.run(mapper, [cc(2, 0)], now_s=1.0)
    assert store.values["speed"] == pytest.approx(2.5)
    from reactor.control.params import apply_curve

    store.run(mapper, [cc(2, 64)], now_s=1.0)
    assert store.values["speed"] == pytest.approx(0.5 + 2.0 * apply_curve("exp", 1 - 64 / 127))
    # smoothing: hue glides from 0.5 toward the knob (1.0), exact in dt: 1 - exp(-dt / 0.1)
    store.run(mapper, [cc(3, 127)], now_s=1.0)
    assert "hue" not in store.values or store.values["hue"] == pytest.approx(0.5)
    store.run(mapper, [], now_s=1.1)
    assert store.values["hue"] == pytest.approx(0.5 + 0.5 * (1 - 2.718281828 ** -1), rel=1e-4)
    for k in range(2, 30):
        store.run(mapper, [], now_s=1.0 + 0.1 * k)
    assert store.values["hue"] == pytest.approx(1.0, abs=1e-3)


def test_14_bit_pair_reaches_values_between_7_bit_steps(tmp_path):
    mapper = Mapper(load_profile(profile_file(tmp_path, "[[cc]]\ncc = 1\nbits = 14\nparam = \"zoom\"\ntakeover = \"jump\"\n")))
    store = Store()
    store.run(mapper, [cc(1, 64), cc(33, 0)])
    assert store.values["zoom"] == pytest.approx(2 * 8192 / 16383)
    store.run(mapper, [cc(1, 64), cc(33, 77)])
    fine = store.values["zoom"]
    assert fine == pytest.approx(2 * (8192 + 77) / 16383)
    assert 2 * 64 / 127 < fine < 2 * 65 / 127  # between two 7-bit steps
    assert store.controls["cc:1:1"] == pytest.approx((8192 + 77) / 16383)  # the MSB's source, 14-bit
    assert store.controls["cc:1:33"] == pytest.approx(77 / 127)


def test_notes_program_change_wheel_aftertouch_and_per_preset_overrides():
    profile = load_profile("generic-8x8")
    mapper = Mapper(profile)
    store = Store()
    msgs = [mido.Message("note_on", note=36, velocity=64), mido.Message("note_on", note=37, velocity=127),
            mido.Message("note_on", note=39, velocity=100), mido.Message("note_off", note=39),
            mido.Message("note_on", note=41, velocity=1), mido.Message("note_on", note=36, velocity=0),
            mido.Message("program_change", program=2), mido.Message("note_on", note=38, velocity=90)]
    actions = mapper.handle([(m, 10.0 + i) for i, m in enumerate(msgs)], 20.0, store.context())
    got = [(a.name, a.arg, round(a.value, 3), a.time_s) for a in actions]
    assert got == [("flash", None, round(64 / 127, 3), 10.0), ("trigger", "hit", 1.0, 11.0),
                   ("blackout_on", None, round(100 / 127, 3), 12.0), ("blackout_on", None, 0.0, 13.0),
                   ("next", None, round(1 / 127, 3), 14.0), ("preset", 2, 1.0, 16.0), ("tap", None, round(90 / 127, 3), 17.0)]
    assert all(a.origin == "midi" for a in actions)
    # pitch wheel -> hue (jump takeover in the profile), aftertouch unmapped there
    store.run(mapper, [mido.Message("pitchwheel", pitch=8191)])
    assert store.values["hue"] == pytest.approx(1.0)
    store.run(mapper, [mido.Message("pitchwheel", pitch=-8192)])
    assert store.values["hue"] == pytest.approx(0.0)
    # knob 3 is speed over 0..3 with an exp curve while the tunnel shows, linear elsewhere
    jump = Mapper(load_profile("generic-8x8"))
    s1, s2 = Store("tunnel"), Store("rings")
    for s in (s1, s2):
        s.values["speed"] = 0.0
        s.run(jump, [cc(3, 0), cc(3, 64)])
    assert s1.values["speed"] == pytest.approx(3 * ((2.718281828 ** (3 * 64 / 127) - 1) / (2.718281828 ** 3 - 1)), rel=1e-4)
    assert s2.values["speed"] == pytest.approx(3 * 64 / 127)


def test_aftertouch_and_program_names(tmp_path):
    path = profile_file(tmp_path, """
        [aftertouch]
        param = "zoom"
        takeover = "jump"
        channel = "any"
        [program]
        action = "cut"
        presets = ["scope", "tunnel"]
        [[cc]]
        cc = 64
        action = "freeze_on"
        [[cc]]
        cc = 65
        action = "next"
    """.replace("\n        ", "\n"))
    mapper, store = Mapper(load_profile(path)), Store()
    store.run(mapper, [mido.Message("aftertouch", channel=5, value=127)])
    assert store.values["zoom"] == pytest.approx(2.0)
    acts = store.run(mapper, [mido.Message("program_change", program=1), mido.Message("program_change", program=7)])
    assert [(a.name, a.arg) for a in acts] == [("cut", "tunnel")]  # program 7 has no name: nothing
    acts = store.run(mapper, [cc(64, 127), cc(64, 120), cc(64, 0), cc(65, 100), cc(65, 127), cc(65, 0), cc(65, 90)])
    assert [(a.name, a.value) for a in acts if a.name != "control"] == [
        ("freeze_on", 1.0), ("freeze_on", 0.0), ("next", 1.0), ("next", 1.0)]  # buttons fire on press only


class RecordingClock:
    def __init__(self):
        self.fed = []

    def feed(self, msg, time_s):
        self.fed.append((msg.type, time_s))

    def sample(self, time_s):
        return None


def _ports(profile, **kw):
    """MidiPorts whose port set is fed by hand (as rtmidi's callback would) instead of by a port."""
    surface = MidiPorts(["anything"], profile=profile, **kw)
    surface._started = True
    surface.ports._parse = mido.Message.from_bytes

    def send(msg, age_s=0.0):
        surface.ports._inbox.put(("ctl", msg.bytes(), time.perf_counter() - age_s))

    return surface, send


def _fake_show(store):
    slot = SimpleNamespace(preset=SimpleNamespace(name=store.preset, params=store.params))
    return SimpleNamespace(seq=SimpleNamespace(fade=None, current=0), slots=[slot],
                           overrides=SimpleNamespace(params=store.values))


def test_clock_messages_go_to_the_clock_with_engine_times_the_rest_to_the_profile():
    clock = RecordingClock()
    surface, send = _ports(empty_profile(), clock=clock)
    assert surface.tempo_sources() == [("midi", clock)]
    for kind in ("start", "clock", "clock", "stop"):
        send(mido.Message(kind), age_s=0.010)
    send(mido.Message("songpos", pos=16), age_s=0.010)
    send(cc(74, 127))
    actions = surface.poll(100.0)
    assert [k for k, _ in clock.fed] == ["start", "clock", "clock", "stop", "songpos"]
    # stamped 10 ms before the poll: dated 10 ms before the engine time of the poll
    assert all(99.985 < t < 99.995 for _, t in clock.fed)
    assert [(a.name, a.arg, a.value) for a in actions] == [("control", "cc:1:74", 1.0)]
    assert surface.stats()["midi_messages"] == 6


def test_learn_key_cycles_targets_and_saves_the_moved_control_to_the_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = profile_file(tmp_path, "# my pads\nname = \"mine\"\n\n[[cc]]\ncc = 1   # old knob\nparam = \"hue\"\n")
    surface, send = _ports(load_profile(path))
    store = Store()
    surface.show = _fake_show(store)
    for expected in ("zoom", "hue", "speed", None, "zoom"):
        surface.learn(Action("learn", "l", origin="key"))
        assert surface.mapper.learn_target == expected
    assert surface.hud_lines() == ["MIDI learn: zoom - move a control (l: next parameter)"]
    # a 14-bit knob on channel 2: MSB cc 7, then LSB cc 39
    send(cc(7, 100, ch=2))
    send(cc(39, 5, ch=2))
    assert [a.name for a in surface.poll(5.0)] == ["control", "control"]  # learning swallows the mapping
    surface.poll(5.0 + LEARN_SETTLE_S + 0.01)
    assert surface.mapper.learn_target is None
    notes = surface.notices()
    assert any(f"cc 2:7 (14-bit) -> zoom, saved to {path}" in n for n in notes)
    text = path.read_text()
    assert "# my pads" in text and "# old knob" in text  # the user's comments stay
    learned = load_profile(path)
    assert [(m.number, m.channel, m.param, m.bits) for m in learned.maps.cc] == [(1, 1, "hue", 7), (7, 2, "zoom", 14)]
    # and the knob now drives zoom (soft takeover: from the bottom up past 1.0)
    for v in (0, 40, 80, 120):
        send(cc(7, v, ch=2))
        send(cc(39, 0, ch=2))
        for a in surface.poll(10.0):
            if a.name == "param":
                store.values[a.arg] = a.value
        if v == 0:  # below zoom's 1.0: the HUD says which way to turn
            assert "MIDI zoom: control at 0.00, value 1.00 - turn up to take over" in surface.hud_lines()
    assert store.values["zoom"] == pytest.approx(2 * (120 << 7) / 16383)
    # learning the same control again replaces the mapping instead of adding one
    surface.mapper.arm("speed")
    send(cc(7, 3, ch=2))
    surface.poll(20.0)
    surface.poll(21.0)
    assert [(m.number, m.param) for m in load_profile(path).maps.cc] == [(1, "hue"), (7, "speed")]


def test_learn_from_a_built_in_profile_writes_a_user_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    written = save_learned(load_profile("generic-8x8"), param="zoom", kind="pitchbend", channel=1)
    assert written == tmp_path / "reactor" / "controllers" / "generic-8x8.toml"
    mine = load_profile("generic-8x8")  # the user's copy now shadows the built-in
    assert mine.origin == "user" and mine.maps.pitchbend.param == "zoom" and len(mine.maps.cc) == 8
    # no profile at all: learn starts the user's default profile, used next time without flags
    from reactor.control.midi_profile import default_profile

    save_learned(default_profile(), param="hue", kind="cc", channel=1, number=20)
    assert default_profile().maps.cc[0].number == 20


@pytest.mark.parametrize("text, message", [
    ("[[cc]]\ncc = 1\nparm = \"zoom\"\n", "pad.toml: cc[1].parm: unknown key; did you mean 'param'?"),
    ("[[cc]]\ncc = 1\nparam = \"zoom\"\ncurve = \"expo\"\n", "pad.toml: cc[1].curve: unknown value 'expo'; did you mean 'exp'?"),
    ("[[cc]]\ncc = 40\nbits = 14\nparam = \"zoom\"\n", "pad.toml: cc[1].bits: a 14-bit pair has its MSB on cc 0..31"),
    ("[[note]]\nnote = 36\naction = \"trigger\"\n", "pad.toml: note[1].arg: missing key (action 'trigger' needs one)"),
    ("[[note]]\nnote = 36\naction = \"flsh\"\n", "pad.toml: note[1].action: unknown value 'flsh'; did you mean 'flash'?"),
    ("[[note]]\nnote = 200\naction = \"flash\"\n", "pad.toml: note[1].note: must be a whole number 0..127, got 200"),
    ("[preset.tunnel]\n[[preset.tunnel.cc]]\ncc = 1\n", "pad.toml: preset.tunnel.cc[1]: give either param"),
    ("chanel = 2\n", "pad.toml: chanel: unknown key; did you mean 'channel'?"),
    ("[[cc]\ncc = 1\n", "pad.toml:1:"),
])
def test_a_bad_profile_is_refused_naming_file_and_key(tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    profile_file(tmp_path, text)
    with pytest.raises(MidiError) as err:
        load_profile(tmp_path / "pad.toml")
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_the_cli_refuses_bad_profiles_and_flags_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    profile_file(tmp_path, "[[cc]]\ncc = 1\nparam = \"zoom\"\ntakeover = \"slow\"\n")
    assert main(["live", "--midi", "nano", "--midi-profile", "pad.toml", "--frames", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "reactor: error: pad.toml: cc[1].takeover: unknown value 'slow' (allowed: soft, jump)"
    assert main(["live", "--learn", "zoom", "--frames", "1"]) == 2
    assert "--learn and --midi-profile need --midi NAME" in capsys.readouterr().err
    assert main(["live", "--midi", "x", "--midi-profile", "nosuch"]) == 2
    assert "unknown MIDI profile 'nosuch'" in capsys.readouterr().err


def test_monitor_lines_name_channel_and_route_source():
    assert describe(cc(74, 12, ch=3)) == "control_change ch 3 cc 74 value 12  (cc:3:74)"
    assert describe(mido.Message("note_on", note=36, velocity=90)) == "note_on ch 1 note 36 velocity 90"
    assert describe(mido.Message("songpos", pos=8)) == "songpos pos 8"


def test_the_readme_profile_example_loads(tmp_path):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## MIDI controllers", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    profile = load_profile(profile_file(tmp_path, example, "readme.toml"))
    assert profile.name == "my-pads" and len(profile.maps.cc) == 3 and profile.maps.cc[1].bits == 14
    assert profile.for_preset("tunnel").cc[-1].param == "speed"


def test_learn_in_a_running_show_key_picks_the_target_knob_is_saved_and_drives_it(tmp_path, monkeypatch):
    """A real offscreen show on a frame-stepped clock: key ``l`` (as an action) twice picks the
    tunnel's second parameter, a knob moved is saved to the user's default profile and then moves
    the parameter once it passes it; the HUD shows the learn state."""
    from reactor.audio.clips import load_clip
    from reactor.audio.paced import PacedSource
    from reactor.live.hud_view import status_lines
    from reactor.live.show import LiveOptions, Show

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    fps, frames = 30.0, 60
    clock = SimpleNamespace(t=0.0)
    midi, send = _ports(empty_profile())
    seen = {}

    class Script:
        name = "script"
        frame = 0

        def poll(self, now_s):
            self.frame += 1
            clock.t = self.frame / fps
            f = self.frame
            if f == 6:
                seen["hud"] = [text for text, _ in status_lines(show)]
            if f == 10:
                send(cc(20, 0))
            if 24 <= f < 24 + 32:
                send(cc(20, 4 * (f - 24) + 3))
            return [Action("learn", "l", origin="key")] if f in (3, 4) else []

    source = PacedSource(load_clip(None, demo=True, duration_s=frames / fps + 1), clock=lambda: clock.t)
    opt = LiveOptions(presets=("tunnel",), width_px=64, height_px=36, fps=fps, frames=frames, offscreen=True,
                      unpaced=True, watch=False, hud=False)
    show = Show(opt, source, surfaces=[Script(), midi])
    stats = show.run()
    assert stats["errors"] == []
    assert "MIDI learn: speed - move a control (l: next parameter)" in seen["hud"]
    saved = tmp_path / "reactor" / "controllers" / "default.toml"
    assert [(m.number, m.param) for m in load_profile(saved).maps.cc] == [(20, "speed")]
    assert any(m.startswith("MIDI learn: cc 1:20 -> speed, saved to") for m in show.messages)
    assert stats["midi_learned"] and stats["midi_profile"] == "default"
    assert show.overrides.params["speed"] == pytest.approx(3.0 * 127 / 127)  # the knob took over, to the top
    assert show.overrides.controls["cc:1:20"] == pytest.approx(1.0)


def test_cli_flags_build_the_surface_with_profile_api_and_learn_target():
    from reactor.cli import build_parser
    from reactor.control import midi

    args = build_parser().parse_args(["live", "--midi", "nano", "--midi", "pad", "--midi-profile", "generic-8x8",
                                      "--midi-api", "jack", "--learn", "zoom"])
    surface, = midi.surfaces_from_args(args)
    assert surface.ports.specs == ("nano", "pad") and surface.ports.api == "jack"
    assert surface.profile.name == "generic-8x8" and surface.mapper.learn_target == "zoom"
    assert midi.surfaces_from_args(build_parser().parse_args(["live"])) == []
    from reactor.errors import UsageError

    with pytest.raises(UsageError, match="--midi-api"):  # an unknown API is a one-line usage error
        build_parser().parse_args(["live", "--midi", "x", "--midi-api", "oss"])


def test_port_names_match_by_part_all_skips_reactors_own_and_alsa_addresses_are_ignored():
    from reactor.control.midi_ports import PortSet, base_name

    some = PortSet(["NANO", "pad"])
    assert some._wants("nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0") and some._wants("RtMidiOut Client:padKONTROL x")
    assert not some._wants("Midi Through:Midi Through Port-0 14:0")
    every = PortSet(["all"])
    assert every._wants("Midi Through:Midi Through Port-0 14:0") and not every._wants("reactor:clock out")
    assert base_name("nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0") == base_name("nanoKONTROL2:nanoKONTROL2 MIDI 1 24:0")
    with pytest.raises(MidiError):
        PortSet([])
