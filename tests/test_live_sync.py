"""The picture follows the heard clock: each frame shows the time that is heard when it appears.

With the silent clock the heard position at perf time P is ``P - start`` exactly, so the frame
clock (the time a frame was drawn for) can be compared with what is heard at its swap.
"""

from __future__ import annotations

import numpy as np

from tests.live_util import xvfb_display  # noqa: F401  (fixture)


def test_frame_clock_matches_heard_position_within_a_frame(xvfb_display):
    from reactor.audio.clips import load_clip
    from reactor.audio.paced import PacedSource
    from reactor.live.show import LiveOptions, Show

    source = PacedSource(load_clip(demo=True, start_s=8.0), loop=True)
    opts = LiveOptions(presets=("scope",), width_px=160, height_px=96, frames=90, watch=False, hud=True,
                       fps=30.0, trace=True)
    stats = Show(opts, source).run()
    assert stats["errors"] == []
    trace = np.asarray(stats["trace"])[10:]  # after the pacing probe
    frame_t, _, swap_end = trace.T
    heard_at_swap = swap_end - source.started_s
    err = frame_t - heard_at_swap
    frame_s = np.r_[np.diff(swap_end), np.median(np.diff(swap_end))]
    within = np.abs(err) <= np.maximum(frame_s, 1 / 30)
    assert within.mean() >= 0.9, f"frame clock - heard: median {1e3 * np.median(err):.1f} ms"
    assert abs(np.median(err)) < 1 / 30
    # the lead does its job: without it every frame would show a time one frame's work too early
    work_s = stats["work_ms_p50"] / 1e3
    assert abs(np.median(err)) < 0.5 * work_s, (np.median(err), work_s)


def test_a_failing_frame_is_reported_once_and_the_last_picture_stays(xvfb_display, monkeypatch):
    from reactor.audio.clips import load_clip
    from reactor.audio.paced import PacedSource
    from reactor.live.show import LiveOptions, Show
    from reactor.render.renderer import Renderer

    real = Renderer.render

    def flaky(self, *a, **kw):
        if self.frame >= 15:
            raise RuntimeError("boom")
        return real(self, *a, **kw)

    monkeypatch.setattr(Renderer, "render", flaky)

    class Probe(Show):
        def _frame(self):
            super()._frame()
            self.lit.append(float(np.frombuffer(self.ctx.screen.read(viewport=(0, 0, 160, 96)), np.uint8).mean()))

    show = Probe(LiveOptions(presets=("tunnel",), width_px=160, height_px=96, frames=40, watch=False, hud=False),
                 PacedSource(load_clip(demo=True, start_s=8.0), loop=True))
    show.lit = []
    stats = show.run()
    assert stats["frames"] == 40
    assert stats["errors"] == ["frame failed: RuntimeError: boom"]
    assert min(show.lit[16:]) > 5.0 and np.allclose(show.lit[16:], show.lit[16], atol=1.0)  # frozen, not black
