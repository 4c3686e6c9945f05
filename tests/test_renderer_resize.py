"""Renderer.resize keeps feedback content; reload keeps feedback; both keep drawing."""

from __future__ import annotations

import numpy as np

from reactor.render.renderer import Renderer
from tests.render_util import gl_ctx, groove_features  # noqa: F401  (fixture)


def _warm(r: Renderer, frames: int = 12) -> None:
    for n in range(frames):
        r.render(groove_features(n / 30.0), {}, time_s=n / 30.0, dt_s=1 / 30.0)


def test_resize_keeps_feedback_resampled(gl_ctx):
    with Renderer(gl_ctx, "trails", width_px=160, height_px=90) as r:
        _warm(r)
        before = r.read_rgb().astype(np.float32)
        r.resize(320, 180)
        assert (r.width_px, r.height_px) == (320, 180)
        prev_target = r._passes[-1].target  # the output pass's own (feedback) target
        assert prev_target.size_px == (320, 180)
        # the new target holds the old picture upsampled (not black)
        r.render(groove_features(12 / 30.0), {}, time_s=12 / 30.0, dt_s=0.0)
        after = r.read_rgb().astype(np.float32)
        assert after.shape == (180, 320, 3)
        small = after.reshape(90, 2, 160, 2, 3).mean(axis=(1, 3))
        assert after.mean() > 2.0
        assert np.abs(small - before).mean() < 0.35 * max(before.mean(), 1.0)


def test_resize_to_same_size_is_a_no_op(gl_ctx):
    with Renderer(gl_ctx, "tunnel", width_px=64, height_px=36) as r:
        _warm(r, 2)
        targets = dict(r._targets)
        r.resize(64, 36)
        assert r._targets == targets


def test_reload_keeps_feedback(gl_ctx):
    with Renderer(gl_ctx, "trails", width_px=96, height_px=54) as r:
        _warm(r)
        targets = {k: t.read for k, t in r._targets.items()}
        r.reload()
        assert {k: t.read for k, t in r._targets.items()} == targets
