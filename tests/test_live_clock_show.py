"""A MIDI clock leads a real show loop, and the detector takes over when it stops.

The show runs offscreen on a frame-stepped clock (30 fps, no waiting); a surface stands in for
the MIDI port (which hands ``clock``/``start``/``stop``/``continue`` messages with their arrival
times to ``MidiClockIn.feed``) and feeds ticks at 123 BPM with +-2 ms arrival jitter up to each
frame's time. What a user sees: the HUD's tempo line names the leader, the stats say
``tempo_source``, and the picture's beat is on the clock's beat.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
import pytest

from reactor.control.clock import PPQN, MidiClockIn
from tests import signals

FPS = 20.0
BPM = 123.0
START_S, STOP_S, CONTINUE_S, SILENT_S = 0.2, 2.6, 3.2, 4.2


class ClockPort:
    """Feeds a MIDI clock's messages to ``MidiClockIn`` as the port code does, frame by frame."""

    name = "clock port"

    def __init__(self, clock):
        self.clock, self.frame, self.views, self.hud, self.heard = clock, 0, [], [], []
        self.midi = MidiClockIn()
        self.show = None
        period = 60.0 / BPM / PPQN
        rng = random.Random(11)
        events = [(START_S - 0.001, "start"), (STOP_S, "stop"), (CONTINUE_S - 0.001, "continue")]
        events += [(START_S + k * period + rng.uniform(-0.002, 0.002), "clock")
                   for k in range(int((SILENT_S - START_S) / period))
                   if not STOP_S < START_S + k * period < CONTINUE_S - period / 2]
        self.events = sorted(events)

    def tempo_sources(self):
        return [("midi", self.midi)]

    def attach(self, show):
        self.show = show

    def poll(self, now_s):
        self.frame += 1
        self.clock.t = self.frame / FPS
        while self.events and self.events[0][0] <= self.clock.t:
            t, kind = self.events.pop(0)
            self.midi.feed(SimpleNamespace(type=kind), t)
        return []

    def after_frame(self, view):
        from reactor.live.hud_view import status_lines

        self.views.append(view)
        self.heard.append(self.clock.t)  # the sound clock of this frame (engine time adds the lead)
        self.hud.append(next(text for text, _ in status_lines(self.show) if "BPM" in text))


def test_midi_clock_leads_the_show_and_hands_back_to_the_detector():
    from reactor.audio.paced import PacedSource
    from reactor.live.show import LiveOptions, Show
    from tests.test_live_actions import FrameClock

    frames = int(4.9 * FPS)
    clock = FrameClock()
    port = ClockPort(clock)
    # a 100 BPM click track: the detector's own tempo, for when the clock does not lead
    clicks = signals.clicks(np.arange(0.1, 6.0, 0.6), duration_s=6.0, channels=2, amplitude=0.8)
    source = PacedSource(SimpleNamespace(samples=clicks, sample_rate_hz=signals.SR), clock=clock)
    opt = LiveOptions(presets=("scope",), width_px=192, height_px=108, fps=FPS, frames=frames, offscreen=True,
                      unpaced=True, watch=False, hud=True)
    show = Show(opt, source, surfaces=[port])
    stats = show.run()
    views = port.views
    t = np.array([v.time_s for v in views])
    heard = np.array(port.heard)
    who = [v.tempo_source for v in views]

    def during(a, b):  # frames whose messages up to a..b had arrived (the port feeds by arrival)
        return [k for k in range(len(views)) if a < heard[k] and t[k] < b]

    # running: the clock leads at its tempo, and the picture's beat is the clock's (start = beat 0)
    running = during(START_S + 0.6, STOP_S) + during(CONTINUE_S + 0.1, SILENT_S)
    assert all(who[k] == "midi" for k in running)
    settled = during(START_S + 1.9, STOP_S) + during(CONTINUE_S + 0.1, SILENT_S)  # 4 beats of ticks
    assert all(abs(views[k].scalars["tempo_bpm"] - BPM) < 0.1 for k in settled)
    beat_s = 60.0 / BPM
    first = during(START_S + 0.6, STOP_S)
    pos = np.array([views[k].scalars["beat_count"] + views[k].scalars["beat_phase"] for k in first])
    err_ms = 1e3 * (pos - (t[first] - START_S) / beat_s) * beat_s
    assert np.max(np.abs(err_ms)) < 3.0
    assert all("from MIDI clock" in port.hud[k] for k in running)
    # stop: the detector leads at once; continue: the clock again, from where it stopped
    assert all(who[k] == "detector" for k in during(STOP_S + 0.05, CONTINUE_S - 0.05))
    assert all("from detector" in port.hud[k] for k in during(STOP_S + 0.05, CONTINUE_S - 0.05))
    resumed = during(CONTINUE_S + 0.1, SILENT_S)[0]
    stopped_at = (STOP_S - START_S) / beat_s
    resumed_pos = views[resumed].scalars["beat_count"] + views[resumed].scalars["beat_phase"]
    assert abs(resumed_pos - (stopped_at + (t[resumed] - CONTINUE_S) / beat_s)) < 0.05
    assert not any("MIDI clock lost" in m for m in show.messages[:-1])  # a stop is not a lost clock
    # the clock stops arriving: half a second later the detector leads, and the HUD says so
    assert all(who[k] == "detector" for k in during(SILENT_S + 0.55, 99.0))
    assert stats["tempo_source"] == "detector" and stats["midi_clock_state"] == "lost"
    assert any("MIDI clock lost" in m for m in show.messages)


def test_forced_detector_ignores_a_running_clock_and_says_so():
    from reactor.audio.paced import PacedSource
    from reactor.live.hud_view import status_lines
    from reactor.live.show import LiveOptions, Show
    from tests.test_live_actions import FrameClock

    frames = int(1.5 * FPS)
    clock = FrameClock()
    port = ClockPort(clock)
    clicks = signals.clicks(np.arange(0.1, 3.0, 0.6), duration_s=3.0, channels=2, amplitude=0.8)
    source = PacedSource(SimpleNamespace(samples=clicks, sample_rate_hz=signals.SR), clock=clock)
    opt = LiveOptions(presets=("scope",), width_px=160, height_px=90, fps=FPS, frames=frames, offscreen=True,
                      unpaced=True, watch=False, hud=True, tempo_source="detector")
    show = Show(opt, source, surfaces=[port])
    stats = show.run()
    assert port.midi.sample(1.2) is not None  # the clock runs ...
    assert all(v.tempo_source == "detector" for v in port.views)  # ... and is not asked
    assert stats["tempo_source"] == "detector" and "from detector (forced)" in port.hud[-1]
    tempo_line = next(c for text, c in status_lines(show) if "BPM" in text)
    from reactor.live.hud_view import DIM

    assert tempo_line == DIM


def test_midi_clock_out_follows_the_shows_beat():
    """A paced show (real time) led by a 123 BPM grid sends MIDI clock on that grid, as seen
    (a sender thread and a port that records; the sender process over JACK is tested elsewhere)."""
    import time

    from reactor.audio.paced import PacedSource
    from reactor.control.clock_out import MidiClockOut
    from reactor.control.tempo import FixedTempo
    from reactor.live.show import LiveOptions, Show
    from tests.test_midi_clock import ListPort

    class Lead:
        name = "grid"

        def __init__(self):
            self.grid = FixedTempo(BPM, offset_s=0.0)

        def tempo_sources(self):
            return [("midi", self.grid)]

        def poll(self, now_s):
            return []

    port = ListPort()
    out = MidiClockOut("lights", open_port=lambda: port)
    clicks = signals.clicks(np.arange(0.1, 6.0, 0.6), duration_s=6.0, channels=2, amplitude=0.8)
    source = PacedSource(SimpleNamespace(samples=clicks, sample_rate_hz=signals.SR))
    opt = LiveOptions(presets=("scope",), width_px=160, height_px=90, fps=30.0, frames=90, offscreen=True,
                      watch=False, hud=False)
    show = Show(opt, source, surfaces=[Lead(), out])
    stats = show.run()
    assert stats["tempo_source"] == "midi" and stats["midi_clock_out_ticks"] > 24 * 3
    kinds = [k for k, _ in port.messages]
    assert kinds.count("start") == 1 and kinds[-1] == "stop"
    ticks = np.array([t for k, t in port.messages if k == "clock"])
    beat_s = 60.0 / BPM
    assert np.median(np.diff(ticks)) == pytest.approx(beat_s / PPQN, abs=0.0005)
    # each tick lands on the show's grid as seen: engine time -> perf_counter through the show
    # (the source's clock is perf_counter, so the map is a constant offset plus the frame lead)
    offset = show.host_time_s(0.0)
    phase_ms = 1e3 * (((ticks - offset) / beat_s * PPQN + 0.5) % 1.0 - 0.5) * beat_s / PPQN
    settled = phase_ms[PPQN:]  # after the first beat of locking
    # a sender thread shares the interpreter lock with the render thread: its median is on time,
    # its tail is not (that is why a named port gets a sender process, timed over JACK MIDI in
    # test_midi_clock_jack.py)
    assert np.median(np.abs(settled)) < 2.0
    # start came just before a downbeat of the grid
    after_start = ticks[np.searchsorted(ticks, port.messages[kinds.index("start")][1])]
    beats = (after_start - offset) / beat_s
    assert abs(beats - round(beats)) * beat_s < 0.005 and round(beats) % 4 == 0
    assert time.perf_counter() > ticks[-1]
