"""Mic and playback sources against a fake sounddevice: what the picture gets when the device
works, overflows, vanishes and comes back; device lookup; the ``devices`` command."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from reactor import cli
from reactor.audio import _stream, devices, mic, playback
from reactor.audio.decode import AudioClip
from reactor.audio.live import LiveSource, MicSource, PlaybackSource
from reactor.errors import AudioDeviceError
from tests.fake_sounddevice import FakeSoundDevice, TimeInfo

SR = 48000
DEVICES = [
    {"name": "Built-in Microphone", "inputs": 2, "rates": [48000, 44100]},
    {"name": "Built-in Output", "outputs": 2, "rates": [48000, 44100]},
    {"name": "USB Audio CODEC", "inputs": 1, "outputs": 2, "rates": [44100]},
    {"name": "Monitor of Built-in Output", "inputs": 2, "rates": [48000]},
]


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def sd(monkeypatch):
    fake = FakeSoundDevice([dict(d) for d in DEVICES])
    monkeypatch.setitem(sys.modules, "sounddevice", fake)
    return fake


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    for mod in (_stream, mic, playback):
        monkeypatch.setattr(mod, "_perf", c)
    monkeypatch.setattr(_stream, "REOPEN_EVERY_S", 0.005)
    return c


def _wait(cond, timeout_s=2.0):
    t0 = time.monotonic()
    while not cond():
        assert time.monotonic() - t0 < timeout_s, "timed out"
        time.sleep(0.002)


def _feed(stream, clock, n_blocks, block=256, value=0.1):
    for _ in range(n_blocks):
        clock.t += block / SR
        stream.feed(np.full((block, stream.channels), value, np.float32))


# ---------------------------------------------------------------- devices
def test_find_device_by_index_name_substring_and_kind(sd):
    assert devices.find_device(None, kind="input") is None
    assert devices.find_device(2, kind="input") == 2
    assert devices.find_device("2", kind="output") == 2
    assert devices.find_device("usb", kind="input") == 2
    assert devices.find_device("MONITOR", kind="input") == 3
    assert devices.find_device("built-in output", kind="output") == 1  # exact name wins


@pytest.mark.parametrize("spec,kind,words", [
    ("headset", "input", ["no input device matches 'headset'", "0: Built-in Microphone", "3: Monitor"]),
    (1, "input", ["no input device with index 1", "2: USB Audio CODEC"]),
    ("built-in", "input", ["2 input devices match", "give more of the name"]),
])
def test_find_device_errors_list_the_choices_on_one_line(sd, spec, kind, words):
    with pytest.raises(AudioDeviceError) as e:
        devices.find_device(spec, kind=kind)
    assert "\n" not in str(e.value)
    for w in words:
        assert w in str(e.value)


def test_devices_command_table_and_json(sd, capsys):
    sd.default.device = [0, 1]
    assert cli.main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "USB Audio CODEC" in out and ">" in out.splitlines()[1] and "<" in out.splitlines()[2]
    assert cli.main(["devices", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == [d["name"] for d in DEVICES]
    assert rows[2] == {"kind": "audio", "index": 2, "name": "USB Audio CODEC", "inputs": 1, "outputs": 2,
                       "default_samplerate": 44100.0, "hostapi": "FakeAPI", "is_default_input": False,
                       "is_default_output": False, "input_latency_ms": 5.0, "output_latency_ms": 10.0}


@pytest.mark.parametrize("broken,hint", [(None, "sounddevice package"), ("oserror", "PortAudio library")])
def test_devices_without_the_sound_library_is_one_line_saying_what_to_install(monkeypatch, capsys, broken, hint):
    if broken is None:
        monkeypatch.setitem(sys.modules, "sounddevice", None)  # import raises ImportError
    else:
        class Boom:
            def find_spec(self, name, path=None, target=None):
                if name == "sounddevice":
                    raise OSError("PortAudio library not found")

        monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
        monkeypatch.setattr(sys, "meta_path", [Boom()] + sys.meta_path)
    assert cli.main(["devices"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and hint in err
    assert "pip install 'reactor[live]'" in err and "apt-get install libportaudio2" in err


def test_importing_the_live_modules_does_not_load_sounddevice():
    code = ("import sys, reactor.audio.live, reactor.audio.devices, reactor.cli; "
            "assert 'sounddevice' not in sys.modules, 'imported at module import'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


# ---------------------------------------------------------------- mic
def test_mic_negotiates_rate_and_channels(sd):
    m = MicSource(device="usb")
    assert (m.sample_rate_hz, m.channels, m.name) == (44100, 1, "USB Audio CODEC")
    assert MicSource().sample_rate_hz == 48000
    with pytest.raises(AudioDeviceError, match="cannot record at 48000 Hz.*default is 44100 Hz"):
        MicSource(device="usb", sample_rate_hz=48000)
    with pytest.raises(AudioDeviceError, match="no input device with index 1"):
        MicSource(device=1)
    assert MicSource(device="built-in output").name == "Monitor of Built-in Output"  # the one with inputs
    assert isinstance(m, LiveSource)


def test_mic_poll_returns_the_captured_samples_and_the_capture_time(sd, clock):
    m = MicSource(block_samples=256)
    m.start()
    stream = sd.streams[-1]
    assert (stream.blocksize, stream.samplerate, stream.channels) == (256, 48000, 2)
    got, times = [], []
    for k in range(400):  # 2.1 s of 256-sample blocks, polled at ~120 Hz
        clock.t += 256 / SR
        stream.feed(np.full((256, 2), k, np.float32))
        if k % 2:
            s, t = m.poll()
            got.append(s)
            times.append(t)
    data = np.concatenate(got)
    np.testing.assert_array_equal(data[:, 0], np.repeat(np.arange(400, dtype=np.float32), 256))
    assert np.all(np.diff(times) > 0)
    assert times[-1] == pytest.approx(400 * 256 / SR, abs=0.006)
    st = m.stats()
    assert st["status"] == "ok" and st["xruns"] == 0 and st["input_latency_ms"] == pytest.approx(4.0)
    assert m.messages() == []
    m.close()
    assert stream.closed and m.stats()["status"] == "closed"


def test_mic_ring_overflow_is_reported_and_the_timeline_kept_with_silence(sd, clock):
    m = MicSource()
    m.start()
    stream = sd.streams[-1]
    _feed(stream, clock, 4)
    first, _ = m.poll()
    _feed(stream, clock, int(3.0 * SR / 256))  # a 3 s stall of the render thread: the ring keeps 2 s
    data, t = m.poll()
    assert len(first) + len(data) == 4 * 256 + int(3.0 * SR / 256) * 256  # lost frames came back as zeros
    lost = m.stats()["lost_frames"]
    assert lost > 0 and not np.any(data[:lost]) and np.all(data[lost:] == np.float32(0.1))
    msgs = m.messages()
    assert len(msgs) == 1 and "fell behind" in msgs[0] and m.stats()["ring_overflows"] > 0


def test_mic_xruns_counted_and_reported_once_a_second(sd, clock):
    m = MicSource()
    m.start()
    stream = sd.streams[-1]
    for _ in range(5):
        clock.t += 0.01
        stream.callback(np.zeros((256, 2), np.float32), 256, TimeInfo(0.0), "input overflow")
        m.poll()
    assert m.stats()["xruns"] == 5
    assert len(m.messages()) == 1  # not one per xrun


def test_mic_device_lost_keeps_time_and_silence_then_reopens_by_name(sd, clock):
    m = MicSource(device="monitor")
    m.start()
    old = sd.streams[-1]
    _feed(old, clock, 40)
    s, t_before = m.poll()
    assert m.stats()["status"] == "ok"
    sd.present = [d for d in sd.present if "Monitor" not in d["name"]]  # unplugged: callbacks stop
    out_frames = len(s)
    times = []
    for _ in range(100):  # 1 s of frames at 100 Hz without sound
        clock.t += 0.01
        s, t = m.poll()
        out_frames += len(s)
        times.append(t)
        assert not np.any(s)
    assert m.stats()["status"] in ("lost", "reopening")
    msgs = m.messages()
    assert any("lost" in x and "Monitor of Built-in Output" in x for x in msgs)
    assert np.all(np.diff(times) >= 0) and times[-1] > t_before + 0.9  # the picture keeps moving
    assert out_frames == pytest.approx(times[-1] * SR, abs=300)  # silence keeps the analyzer on time
    _wait(lambda: old.closed)
    sd.present = [dict(d) for d in DEVICES]  # plugged in again
    _wait(lambda: len(sd.streams) > 1 and sd.streams[-1].started)
    new = sd.streams[-1]
    assert new.device == 3
    _wait(lambda: (m.poll(), m.stats()["status"] == "ok")[1])
    assert not any("is back" in x for x in m.messages())  # reopened, but no sound yet
    # sound after the return continues the same timeline
    _feed(new, clock, 20, value=0.5)
    s, t = m.poll()
    assert any("is back" in x for x in m.messages())
    assert np.all(s[-5 * 256:] == np.float32(0.5))
    out_frames += len(s)
    assert out_frames / SR == pytest.approx(t, abs=0.006)  # within a block
    m.close()


def test_poll_never_raises(sd, clock, monkeypatch):
    m = MicSource()
    m.start()
    _feed(sd.streams[-1], clock, 4)
    m.poll()

    def boom():
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(m._ring, "read", boom)
    for _ in range(50):  # every frame fails: the picture still gets time, the HUD one line
        clock.t += 0.01
        s, t = m.poll()
        assert s.shape == (0, 2) and t > 0
    msgs = m.messages()
    assert len(msgs) == 1 and "disk on fire" in msgs[0] and "\n" not in msgs[0]


# ---------------------------------------------------------------- playback
def _clip(n=SR, channels=2):
    x = np.stack([np.arange(n, dtype=np.float32) / n] * channels, axis=1)
    return AudioClip(samples=x, sample_rate_hz=SR, source="ramp")


def _play(p, stream, clock, seconds, *, poll_every=2, dac_delay_s=0.02):
    """Run output callbacks in real-time order and poll; returns (polled samples, times, played)."""
    got, times, played = [], [], []
    for k in range(int(seconds * SR / 256)):
        clock.t += 256 / SR
        played.append(stream.pull(256, dac_delay_s=dac_delay_s))
        if k % poll_every == 0:
            s, t = p.poll()
            got.append(s)
            times.append(t)
    return np.concatenate(got), np.array(times), np.concatenate(played)


def test_playback_plays_the_clip_and_the_picture_follows_what_is_heard(sd, clock):
    clip = _clip(SR // 2)
    p = PlaybackSource(clip)
    p.start()
    stream = sd.streams[-1]
    assert (stream.channels, stream.samplerate) == (2, 48000)
    start = clock.t
    got, times, played = _play(p, stream, clock, 1.0)
    np.testing.assert_array_equal(played[:len(clip.samples)], clip.samples)
    assert not np.any(played[len(clip.samples):])
    # heard = 20 ms after each block was handed over; the first block went out at start + 256/SR
    heard_at = start + 256 / SR + 0.02
    assert times[0] == 0.0
    assert times[-1] == pytest.approx(clock.t - heard_at, abs=0.003)
    np.testing.assert_array_equal(got[:len(clip.samples)], clip.samples)  # analysis gets what was heard
    assert len(got) == int(round(times[-1] * SR))
    assert p.finished and p.stats()["output_latency_ms"] == pytest.approx(20.0)


def test_playback_loops_with_time_increasing(sd, clock):
    clip = _clip(SR // 4)
    p = PlaybackSource(clip, loop=True)
    p.start()
    got, times, played = _play(p, sd.streams[-1], clock, 1.2)
    assert np.all(np.diff(times) >= 0) and times[-1] > 1.1
    n = len(clip.samples)
    np.testing.assert_array_equal(played[:4 * n], np.tile(clip.samples, (4, 1)))
    np.testing.assert_array_equal(got[:4 * n], np.tile(clip.samples, (4, 1)))
    assert p.loop_count == int(times[-1] * SR) // n and not p.finished
    assert p.position_s == pytest.approx(times[-1] % 0.25, abs=1 / SR)


def test_playback_mono_clip_plays_on_both_channels_and_rate_is_checked(sd, clock):
    p = PlaybackSource(_clip(1000, channels=1))
    p.start()
    out = sd.streams[-1].pull(256)
    np.testing.assert_array_equal(out[:, 0], out[:, 1])
    assert p.channels == 1
    with pytest.raises(AudioDeviceError, match="cannot play at 48000 Hz"):
        PlaybackSource(_clip(), device="usb")


def test_playback_device_lost_goes_on_in_silence_and_resumes_where_the_picture_is(sd, clock):
    p = PlaybackSource(_clip(10 * SR), device="built-in output")
    p.start()
    old = sd.streams[-1]
    _play(p, old, clock, 1.0)
    sd.present = []  # the output vanished
    times = []
    for _ in range(100):
        clock.t += 0.01
        s, t = p.poll()
        times.append(t)
        if p.stats()["status"] != "ok":  # found out (after LOST_AFTER_S): silence from then on
            assert not np.any(s)
    assert p.stats()["status"] in ("lost", "reopening") and np.all(np.diff(times) >= 0)
    assert any("lost" in x for x in p.messages())
    assert times[-1] > 1.85
    sd.present = [dict(d) for d in DEVICES]
    _wait(lambda: len(sd.streams) > 1 and sd.streams[-1].started)
    _wait(lambda: (p.poll(), p.stats()["status"] == "ok")[1])
    new = sd.streams[-1]
    out = new.pull(256)
    # the sound resumes at the picture's position (plus the stream latency it will take), not at 1 s
    resumed_s = out[0, 0] * 10  # the ramp's value is position / 10 s
    assert resumed_s == pytest.approx(p.clock.time_s(clock.t) + 0.008, abs=0.02)
    p.close()


def test_device_rate_for_loading_a_playback_clip(sd):
    assert devices.device_rate_hz() == 48000
    assert devices.device_rate_hz("usb") == 44100  # the device's own rate when 48 kHz is refused
    assert devices.device_rate_hz("built-in output", wanted_hz=44100) == 44100
    assert devices.device_rate_hz("usb", kind="input", wanted_hz=48000) == 44100


def test_a_device_silent_from_the_start_is_lost_and_time_still_runs(sd, clock):
    m = MicSource()
    m.start()
    times = []
    for _ in range(400):  # 4 s without a single callback
        clock.t += 0.01
        s, t = m.poll()
        times.append(t)
    assert m.stats()["status"] in ("lost", "reopening")
    assert times[-1] > 0.9 and np.all(np.diff(times) >= 0)
    m.close()
