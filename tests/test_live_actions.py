"""The live show's one action path: control surfaces (MIDI, OSC, playlists) drive it like keys.

A real show loop (offscreen EGL window, the demo track on a frame-stepped clock) with a scripted
surface: presets switch by name, flashes brighten the screen (at most three a second), triggers
reach ``ctl:`` route sources, a surface's tempo source leads the analyzer and is named in the
stats, and publishing surfaces see each beat once.
"""

from __future__ import annotations

import numpy as np
import pytest

from reactor.control.actions import Action, FlashLimiter, TempoArbiter, TriggerBank
from reactor.control.tempo import FixedTempo

FPS = 30.0


class FrameClock:
    """Engine time advanced one frame per poll of the show (a fast clock: no waiting)."""

    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


class Script:
    """A surface that sends given actions at given frames and records what it is shown."""

    name = "script"

    def __init__(self, clock, plan, tempo=None):
        self.clock, self.plan, self.frame = clock, dict(plan), 0
        self.tempo = tempo
        self.views, self.closed, self.screens = [], False, {}
        self.show = None

    def tempo_sources(self):
        return [("midi", self.tempo)] if self.tempo is not None else []

    def poll(self, now_s):
        self.frame += 1
        self.clock.t = self.frame / FPS
        if self.show is not None and self.frame - 1 in (20, 40, 41):
            self.screens[self.frame - 1] = self.show.window.read_rgb().mean()
        return self.plan.pop(self.frame, [])

    def notices(self):
        return ["script says hello"] if self.frame == 3 else []

    def after_frame(self, view):
        self.views.append(view)

    def stats(self):
        return {"script_frames": self.frame}

    def close(self):
        self.closed = True


def _show(plan, *, frames, tempo=None, presets=("scope", "tunnel")):
    from reactor.audio.clips import load_clip
    from reactor.audio.paced import PacedSource
    from reactor.live.show import LiveOptions, Show

    clock = FrameClock()
    script = Script(clock, plan, tempo)
    source = PacedSource(load_clip(None, demo=True, duration_s=frames / FPS + 1), clock=clock)
    opt = LiveOptions(presets=presets, width_px=256, height_px=144, fps=FPS, frames=frames, offscreen=True,
                      unpaced=True, watch=False, hud=False, fade_s=0.0, quantize="now")
    show = Show(opt, source, surfaces=[script])
    script.show = show
    return show, script


def test_surface_actions_switch_flash_trigger_and_lead_tempo():
    plan = {5: [Action("preset", "tunnel", origin="osc")], 10: [Action("preset", "no-such", origin="osc")],
            12: [Action("trigger", "hit", 0.9)], 40: [Action("flash", 1.0)], 41: [Action("flash", 1.0)],
            60: [Action("cut", 0)]}
    show, script = _show(plan, frames=90, tempo=FixedTempo(120.0, offset_s=0.0))
    stats = show.run()
    assert stats["frames"] == 90 and script.closed
    assert any("preset -> tunnel" in e for e in stats["events"])
    assert stats["preset"] == "scope"  # cut back to slot 0 at frame 60
    assert any("no preset 'no-such'" in m for m in show.messages)
    assert "script says hello" in show.messages
    assert stats["script_frames"] == 90
    # the surface's clock leads: 120 BPM exactly, named in the stats
    assert stats["tempo_source"] == "midi"
    assert abs(stats["tempo_bpm"] - 120.0) < 0.5
    # the second flash came 1/30 s after the first: refused (at most three a second)
    assert stats["flashes"] == 1 and show.flashes.refused == 1
    # flash: frame 41's picture (read before drawing it, i.e. frame 40 with the flash) is brighter
    assert script.screens[41] > script.screens[20] + 20
    # each beat published once, at the tempo's grid (0.5 s apart)
    beats = [b for v in script.views for b in v.beats]
    assert len(beats) == len(set(beats)) and len(beats) >= 4
    assert np.allclose(np.diff(beats), 0.5, atol=0.02)
    assert all(v.tempo_source == "midi" for v in script.views[5:])


def test_trigger_reaches_route_source_and_decays():
    bank = TriggerBank(half_life_s=0.1)
    bank.hit("ctl:hit", 0.8)
    assert bank.advance(0.0)["ctl:hit"] == pytest.approx(0.8)
    assert bank.advance(0.1)["ctl:hit"] == pytest.approx(0.4)
    seen = [bank.advance(0.1) for _ in range(20)]
    # it decays to 0 once (so the route source falls back), then is gone
    assert {"ctl:hit": 0.0} in seen and seen[-1] == {}
    assert seen.index({"ctl:hit": 0.0}) == len([d for d in seen if d]) - 1


def test_flash_limiter_three_per_second():
    lim = FlashLimiter(max_per_s=3.0)
    started = sum(lim.hit(i / 30.0) for i in range(60))  # a pad hammered at 30 Hz for 2 s
    assert started == 6 and lim.refused == 54
    assert lim.level(lim._start) == pytest.approx(1.0) and lim.level(lim._start + 1.0) == 0.0


def test_arbiter_falls_back_to_detector():
    class Stoppable:
        on = True

        def sample(self, t):
            return (123.0, 0.0, 0) if self.on else None

    clock = Stoppable()
    arb = TempoArbiter([("midi", clock)])
    assert arb(1.0)[0] == 123.0 and arb.leader == "midi"
    clock.on = False
    assert arb(2.0) is None and arb.leader == "detector"
