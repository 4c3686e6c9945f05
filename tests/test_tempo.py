"""Tempo overrides: a fixed grid and tapped beats, read through ``sample(time_s)``."""

from __future__ import annotations

import numpy as np
import pytest

from reactor.control.params import lfo_value
from reactor.control.tempo import FixedTempo, TapTempo, TempoSample, TempoSource
from reactor.errors import ReactorError


class FakeClock:
    """The injected clock: tests move time by hand."""

    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def test_fixed_tempo_grid() -> None:
    src = FixedTempo(128.0, offset_s=0.35)
    beat_s = 60.0 / 128.0
    assert isinstance(src, TempoSource)
    assert src(1.0) == src.sample(1.0)  # usable as a plain callable too (the analyzer's form)
    bpm, phase, count = src.sample(0.35)
    assert (bpm, phase, count) == (128.0, 0.0, 0)
    s = src.sample(0.35 + 2.5 * beat_s)
    assert s.beat_count == 2 and s.beat_phase == pytest.approx(0.5)
    assert src.sample(0.35 + 17 * beat_s + 1e-6).beat_count == 17
    # before the first beat the phase already runs toward it, and the count stays at 0
    early = src.sample(0.35 - 0.25 * beat_s)
    assert early.beat_count == 0 and early.beat_phase == pytest.approx(0.75)


@pytest.mark.parametrize("bpm, offset", [(0.0, 0.0), (1000.0, 0.0), (float("nan"), 0.0), (120.0, float("inf"))])
def test_fixed_tempo_rejects_nonsense(bpm: float, offset: float) -> None:
    with pytest.raises(ReactorError, match="tempo"):
        FixedTempo(bpm, offset_s=offset)


def test_beat_locked_lfo_restarts_on_every_bar_of_the_grid() -> None:
    src = FixedTempo(100.0, offset_s=0.2)
    bar_s = 4 * 60.0 / 100.0
    for bar in range(1, 6):  # sample at 30 fps frame times nearest each bar start
        t = round((0.2 + bar * bar_s) * 30) / 30
        s = src.sample(t)
        value = lfo_value("sine", beat_count=s.beat_count, beat_phase=s.beat_phase, beats=4)
        assert value < 0.005  # within a frame of the downbeat the sine LFO is at its bottom
        half = src.sample(t + bar_s / 2)
        assert lfo_value("sine", beat_count=half.beat_count, beat_phase=half.beat_phase, beats=4) > 0.99


def test_tap_tempo_needs_two_taps() -> None:
    clock = FakeClock()
    tap = TapTempo(clock=clock)
    assert tap.sample(0.0) is None
    clock.now_s = 1.0
    tap.tap()
    assert tap.sample(1.1) is None and tap.bpm is None


def test_tapped_tempo_and_phase_from_jittery_taps() -> None:
    clock = FakeClock()
    tap = TapTempo(clock=clock)
    rng = np.random.default_rng(7)
    beat_s = 60.0 / 124.0
    for i in range(8):
        clock.now_s = 3.0 + i * beat_s + rng.uniform(-0.012, 0.012)  # a human's +-12 ms
        tap.tap()
    assert tap.bpm == pytest.approx(124.0, rel=0.01)
    # one beat after the eighth true beat, the phase is close to 0 and the count is 8
    s = tap.sample(3.0 + 8 * beat_s)
    assert s.beat_count in (7, 8)
    assert min(s.beat_phase, 1.0 - s.beat_phase) < 0.05
    assert tap.sample(3.0 + 8.5 * beat_s).beat_phase == pytest.approx(0.5, abs=0.05)


def test_double_tap_is_ignored_and_explicit_times_work() -> None:
    tap = TapTempo(clock=FakeClock())
    for t in (0.0, 0.5, 0.52, 1.0, 1.5):  # 0.52 is a bounce (faster than 300 BPM)
        tap.tap(t)
    assert tap.bpm == pytest.approx(120.0)


def test_pause_then_single_tap_realigns_phase_and_keeps_tempo_and_count() -> None:
    tap = TapTempo(clock=FakeClock())
    for i in range(4):
        tap.tap(i * 0.5)  # 120 BPM, beats 0..3 at 0, 0.5, 1.0, 1.5
    assert tap.sample(10.0).beat_count == 20
    tap.tap(10.2)  # re-sync: "the beat is here", 0.2 s (0.4 beat) later than the old grid
    s = tap.sample(10.2)
    assert tap.bpm == pytest.approx(120.0)
    assert s.beat_phase == pytest.approx(0.0) and s.beat_count == 20
    assert tap.sample(10.45).beat_phase == pytest.approx(0.5)


def test_tempo_change_is_followed_after_two_taps_at_the_new_tempo() -> None:
    tap = TapTempo(clock=FakeClock())
    t = 0.0
    for _ in range(6):
        tap.tap(t)
        t += 0.5  # 120 BPM
    tap.tap(t)  # the next beat at the old tempo
    t += 0.4
    tap.tap(t)  # 150 BPM now: 20% off, so this tap re-aligns the beat ...
    assert tap.bpm == pytest.approx(120.0) and tap.sample(t).beat_phase == pytest.approx(0.0)
    tap.tap(t + 0.4)  # ... and the next one sets the new tempo
    assert tap.bpm == pytest.approx(150.0)


def test_a_missed_tap_does_not_halve_the_tempo() -> None:
    tap = TapTempo(clock=FakeClock())
    for t in (0.0, 0.5, 1.0, 1.5, 2.5, 3.0):  # the tap at 2.0 was missed
        tap.tap(t)
    assert tap.bpm == pytest.approx(120.0)
    assert tap.sample(3.0).beat_count == 6


def test_time_going_backwards_starts_a_new_run() -> None:
    tap = TapTempo(clock=FakeClock())
    for t in (10.0, 10.5, 11.0):
        tap.tap(t)
    tap.tap(0.0)  # the track was restarted: taps before the old ones must not be dropped as bounces
    tap.tap(0.4)
    assert tap.bpm == pytest.approx(150.0)


def test_reset_hands_control_back() -> None:
    tap = TapTempo(clock=FakeClock())
    tap.tap(0.0)
    tap.tap(0.5)
    assert isinstance(tap.sample(1.0), TempoSample)
    tap.reset()
    assert tap.sample(1.0) is None
