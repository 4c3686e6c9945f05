"""At scale 1 a self-dithering scene draws straight into the window (no composite pass): the
pictures must be the very pixels the composite path shows, and freeze, blackout, flashes and
crossfades must still work when the show drops back to compositing (offscreen framebuffer,
frame-stepped clock, so both runs see the same frames)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from reactor.control.actions import Action
from tests.test_live_actions import FPS, FrameClock, Script

W, H = 64, 36


def _run(preset: str, *, direct: bool, plan=None, frames: int = 40, presets=None):
    from reactor.audio.clips import load_clip
    from reactor.audio.paced import PacedSource
    from reactor.live.show import LiveOptions, Show

    clip = load_clip(None, demo=True, duration_s=3.0)
    clock = FrameClock()
    source = PacedSource(SimpleNamespace(samples=np.asarray(clip.samples), sample_rate_hz=clip.sample_rate_hz),
                         clock=clock)
    opt = LiveOptions(presets=tuple(presets or (preset,)), width_px=W, height_px=H, fps=FPS, frames=frames,
                      offscreen=True, unpaced=True, watch=False, hud=False, fade_s=0.2, quantize="none",
                      direct=direct)
    shots: list[np.ndarray] = []

    class Probe(Show):
        def _frame(self):
            super()._frame()
            shots.append(np.frombuffer(self.window.screen.read(components=3), np.uint8).reshape(H, W, 3).copy())

    show = Probe(opt, source, surfaces=[Script(clock, plan or {})])
    stats = show.run()
    return stats, shots


def test_direct_frames_are_the_composited_pixels():
    on, shots_on = _run("fractal", direct=True)
    off, shots_off = _run("fractal", direct=False)
    assert on["errors"] == [] and off["errors"] == []
    assert on["direct_frames"] >= 35 and off["direct_frames"] == 0
    assert len(shots_on) == len(shots_off)
    for a, b in zip(shots_on, shots_off):
        assert np.array_equal(a, b)
    assert np.std([s.mean() for s in shots_on]) > 0.0 or shots_on[0].std() > 2.0  # a moving picture


def test_freeze_blackout_flash_and_fades_fall_back_to_compositing():
    plan = {10: [Action("freeze")], 16: [Action("freeze")], 20: [Action("blackout")], 28: [Action("blackout")],
            33: [Action("flash")], 36: [Action("preset", "rings")]}
    stats, shots = _run("fractal", direct=True, plan=plan, frames=50, presets=("fractal", "rings"))
    _, ref = _run("fractal", direct=False, plan=plan, frames=50, presets=("fractal", "rings"))
    assert stats["errors"] == []
    for a, b in zip(shots, ref):  # every frame as the composite path draws it
        assert np.array_equal(a, b)
    frozen = shots[10:15]
    assert all(np.array_equal(frozen[0], s) for s in frozen)  # held, and not an older frame
    assert not np.array_equal(shots[9], shots[8])
    assert shots[25].max() < 0.2 * shots[18].max()  # blacked out
    assert 0 < stats["direct_frames"] < 50
