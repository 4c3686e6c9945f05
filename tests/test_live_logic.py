"""The live loop's pure parts: pacing, auto scale, crossfades, overrides, controls, keys, sources."""

from __future__ import annotations

import time

import numpy as np
import pytest

from reactor.control.keys import BINDINGS, action_for, format_keys
from reactor.control.overrides import OverrideStore
from reactor.control.params import BASE_GLIDE_S, Modulator
from reactor.errors import PresetError
from reactor.features import Features
from reactor.live.pacing import SCALE_LEVELS, AutoScale, FramePacer
from reactor.live.stats import FrameStats
from reactor.live.transitions import Slots, next_boundary_s
from reactor.preset_schema import is_control_source
from reactor.presets import load_preset


def test_pacer_detects_vsync_that_does_not_block():
    p = FramePacer(target_fps=60, refresh_hz=60)
    for _ in range(25):
        p.frame_done(0.0, 0.004, 0.0005)  # 250 fps, swaps return at once (Xvfb)
    assert p.mode == "self-paced"
    d1 = p.deadline(10.0)
    d2 = p.deadline(10.001)
    assert d1 == pytest.approx(10.0 + 1 / 60) and d2 == pytest.approx(d1 + 1 / 60)
    # running a whole frame late resyncs instead of bursting to catch up
    assert p.deadline(11.0) == pytest.approx(11.0 + 1 / 60)


def test_pacer_trusts_vsync_that_blocks():
    p = FramePacer(target_fps=60, refresh_hz=60)
    for _ in range(25):
        p.frame_done(0.0, 1 / 60, 0.009)
    assert p.mode == "vsync" and p.deadline(1.0) is None
    for _ in range(60):  # later the frames come much faster than the display: vsync is not pacing
        p.frame_done(0.0, 0.004, 0.009)
    assert p.mode == "self-paced"
    assert FramePacer(target_fps=30, refresh_hz=60).mode == "self-paced"  # --fps below the display rate


def test_auto_scale_steps_down_when_late_and_up_with_headroom():
    a = AutoScale(budget_s=1 / 60)
    changes = [a.update(0.030, 1 / 30) for _ in range(60)]
    assert [c for c in changes if c] == [SCALE_LEVELS[1]]  # one step, then held
    assert "late" in a.last_change
    ups = [a.update(0.003, 1 / 60) for _ in range(200)]
    assert max(c for c in ups if c) == 1.0 and a.scale == 1.0


def test_frame_stats_counts_late_frames():
    s = FrameStats(period_s=1 / 60)
    t = 0.0
    for dt in [1 / 60] * 10 + [0.05] + [1 / 60] * 10:
        t += dt
        s.add(end_s=t, work_s=0.005)
    out = s.summary()
    assert out["frames"] == 21 and out["late_frames"] == 1
    assert out["frame_ms_max"] == pytest.approx(50.0)
    assert out["frame_ms_p50"] == pytest.approx(1000 / 60)


def test_crossfade_quantized_to_next_beat_and_bar():
    kw = dict(beat_phase=0.25, bar_phase=0.5, bpm=120.0, beats_per_bar=4.0, confident=True)
    assert next_boundary_s(10.0, "now", **kw) == 10.0
    assert next_boundary_s(10.0, "beat", **kw) == pytest.approx(10.375)
    assert next_boundary_s(10.0, "bar", **kw) == pytest.approx(11.0)
    assert next_boundary_s(10.0, "bar", **dict(kw, confident=False)) == 10.0
    slots = Slots(3, fade_s=2.0)
    fade = slots.request(1, start_s=11.0)
    assert fade.length_s == 2.0
    assert slots.advance(10.5) == (1, 0.0, False)
    assert slots.advance(12.0) == (1, pytest.approx(0.5), False)
    assert slots.advance(13.0) == (None, 1.0, True) and slots.current == 1
    assert slots.request(1, start_s=14.0) is None
    slots.request(-1, start_s=14.0, now=True)
    assert slots.advance(14.0)[2] and slots.current == 2


def _routed_preset(tmp_path, source: str):
    p = tmp_path / "p.toml"
    p.write_text('name = "t"\ndescription = "t"\nscene = "tunnel"\n[params.speed]\ndefault = 0.5\n'
                 f'[[route]]\nparam = "speed"\nsource = "{source}"\namount = 0.5\nattack_s = 0\nrelease_s = 0\n')
    return load_preset(p)


def test_routes_read_external_controls(tmp_path):
    preset = _routed_preset(tmp_path, "cc:1:74")
    m = Modulator(preset)
    f = Features.silent(0.0)
    assert m.step(f, dt_s=0.1)["speed"] == pytest.approx(0.5)  # unset control reads 0
    assert m.step(f, dt_s=0.1, controls={"cc:1:74": 1.0})["speed"] == pytest.approx(1.0)
    assert is_control_source("ctl:fader_1") and not is_control_source("cc:17:1") and not is_control_source("cc:1:128")
    with pytest.raises(PresetError, match="bad control 'cc:0:74'"):
        _routed_preset(tmp_path, "cc:0:74")


def test_override_glides_without_resetting_route_smoothing(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('name = "t"\ndescription = "t"\nscene = "tunnel"\n[params.speed]\ndefault = 0.2\n'
                 '[params.glow]\ndefault = 0.5\n'
                 '[[route]]\nparam = "glow"\nsource = "level"\namount = 0.4\nattack_s = 0.5\nrelease_s = 0.5\n')
    m = Modulator(load_preset(p))
    m.step(Features.silent(0.0), dt_s=0.0)
    store = OverrideStore()
    store.queue.put_param("speed", 0.8)
    store.drain()
    dt = 1 / 60
    v1 = m.step(Features.silent(dt), dt_s=dt, bases=store.params)["speed"]
    assert 0.2 < v1 < 0.8  # no jump: a glide
    assert v1 == pytest.approx(0.2 + 0.6 * (1 - np.exp(-dt / BASE_GLIDE_S)))
    for i in range(60):
        v = m.step(Features.silent(dt * (i + 2)), dt_s=dt, bases=store.params)["speed"]
    assert v == pytest.approx(0.8, abs=1e-3)
    store.queue.clear_param("speed")
    store.drain()
    v = m.step(Features.silent(1.1), dt_s=dt, bases=store.params)["speed"]
    assert 0.2 < v < 0.8  # glides home too


def test_override_store_rejects_bad_controls():
    store = OverrideStore()
    store.queue.put_control("cc:1:74", 1.7)
    store.queue.put_control("volume", 0.5)
    store.queue.nudge_param("speed", 0.1)
    store.drain({"speed": 0.3})
    assert store.controls == {"cc:1:74": 1.0}
    assert store.params["speed"] == pytest.approx(0.4)
    assert len(store.rejected) == 1 and "volume" in store.rejected[0]


def test_key_map_is_unambiguous_and_printed():
    keys = [k for b in BINDINGS for k in b.keys]
    assert len(keys) == len(set(keys))
    assert action_for("right") == "next" and action_for("5") == "slot" and action_for("?") == "help"
    assert action_for("escape") == "panic" and action_for("z") is None
    text = format_keys()
    assert len(text.splitlines()) == len(BINDINGS) and "1..9" in text


def test_paced_source_follows_its_clock_and_loops():
    from reactor.audio.decode import AudioClip
    from reactor.audio.paced import PacedSource

    samples = np.arange(1000, dtype=np.float32)[:, None].repeat(2, axis=1)
    clip = AudioClip(samples=samples, sample_rate_hz=1000, source="t")
    now = [0.0]
    src = PacedSource(clip, loop=True, clock=lambda: now[0])
    src.start()
    now[0] = 0.25
    block, t = src.poll()
    assert t == pytest.approx(0.25) and block.shape == (250, 2) and block[-1, 0] == 249
    now[0] = 1.1
    block, t = src.poll()
    assert t == pytest.approx(1.1) and block.shape == (850, 2) and block[-1, 0] == 99  # wrapped
    once = PacedSource(clip, loop=False, clock=lambda: now[0])
    once.start()
    now[0] = 5.0
    block, t = once.poll()
    assert len(block) == 1000 and t == pytest.approx(1.0) and once.finished
    assert len(once.poll()[0]) == 0


def test_watcher_reports_a_saved_shader_within_half_a_second(tmp_path):
    pytest.importorskip("watchdog")
    from reactor.live.watch import ReloadWatcher

    w = ReloadWatcher([tmp_path])
    w.start()
    try:
        time.sleep(0.2)
        t0 = time.perf_counter()
        (tmp_path / "a.frag").write_text("void main() {}\n")
        (tmp_path / "notes.txt").write_text("ignored\n")
        got = []
        while not got and time.perf_counter() - t0 < 3.0:
            time.sleep(0.02)
            got = w.changed(time.perf_counter())
        elapsed = time.perf_counter() - t0
    finally:
        w.stop()
    assert [p.name for p in got] == ["a.frag"]
    assert elapsed < 0.5


def test_watcher_ignores_a_file_being_read(tmp_path):
    """The reload reads the file it was told about; a read reported as a change would reload it
    again and again (seen: one save, five reloads and five copies of its error in the stats)."""
    pytest.importorskip("watchdog")
    from reactor.live.watch import ReloadWatcher

    f = tmp_path / "p.toml"
    f.write_text('name = "p"\n')
    w = ReloadWatcher([tmp_path])
    w.start()
    try:
        time.sleep(0.2)
        for _ in range(3):
            f.read_text()
        time.sleep(0.3)
        assert w.changed(time.perf_counter()) == []
        f.write_text('name = "q"\n')
        time.sleep(0.3)
        assert [p.name for p in w.changed(time.perf_counter())] == ["p.toml"]
    finally:
        w.stop()


def test_a_recurring_problem_is_logged_again_with_its_count(monkeypatch):
    """A problem that keeps coming (a frame failing every frame, a device dropping out again on
    day three of an installation) is not logged every frame, but it is logged again a minute
    later with how often it came; a new message shows at once."""
    from reactor.live import show as show_mod
    from reactor.live.show import REPORT_AGAIN_S, LiveOptions, Show

    clock = [1000.0]
    monkeypatch.setattr(show_mod.time, "monotonic", lambda: clock[0])
    s = Show(LiveOptions(presets=("fractal",)), None)
    for _ in range(300):  # five seconds of a failing frame at 60 fps
        s.report("frame failed: RuntimeError: boom")
        clock[0] += 1 / 60
    assert list(s.errors) == ["frame failed: RuntimeError: boom"]
    s.report("microphone lost")
    clock[0] += REPORT_AGAIN_S
    s.report("frame failed: RuntimeError: boom")
    assert list(s.errors)[1] == "microphone lost"
    assert list(s.errors)[2].startswith("frame failed: RuntimeError: boom (again: 300 times in the last 65 s)")
    assert s.messages[-1] == "frame failed: RuntimeError: boom"  # the HUD keeps the plain text
