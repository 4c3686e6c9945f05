"""The four image-warp scenes react to what they should, when they should, and keep the picture."""

from __future__ import annotations

import numpy as np
import pytest

from reactor.features import Features
from reactor.demo_image import DEMO_HEAD, DEMO_MOUTH
from reactor.render.renderer import Renderer
from tests.render_util import gl_ctx, groove_features, region_change, render_frames  # noqa: F401

W, H = 192, 108
FPS = 30.0

# scene -> the feature that must visibly drive it
TRIGGERS = {
    "pulse": {"beat_pulse": 1.0},
    "parallax": {"sub_hit": 1.0},
    "performer": {"vowel_open": 1.0},
    "breathe": {"loudness": 1.0},
}


@pytest.mark.parametrize("scene", sorted(TRIGGERS))
def test_feature_changes_the_picture_on_its_frame_and_not_before(gl_ctx, scene):
    k = 4
    quiet = [Features.silent(n / FPS) for n in range(k + 1)]
    loud = quiet[:k] + [Features.silent(k / FPS, **TRIGGERS[scene])]
    a = render_frames(gl_ctx, scene, quiet, width_px=W, height_px=H)
    b = render_frames(gl_ctx, scene, loud, width_px=W, height_px=H)
    for n in range(k):
        assert np.array_equal(a[n], b[n]), f"{scene} changed before the feature arrived (frame {n})"
    delta = np.abs(a[k].astype(np.int16) - b[k].astype(np.int16)).max(axis=2)
    # A visible change: some pixels change a lot (the performer's mouth is a small region).
    assert (delta > 40).mean() > 0.003, f"{scene} did not react to {TRIGGERS[scene]}"


def test_performer_moves_the_mouth_and_holds_the_rest(gl_ctx):
    quiet = render_frames(gl_ctx, "performer", [Features.silent(1.0)], width_px=320, height_px=180)[0]
    voiced = render_frames(gl_ctx, "performer", [Features.silent(1.0, vowel_open=1.0)], width_px=320, height_px=180)[0]
    x, y, w, h = DEMO_MOUTH
    mouth = region_change(quiet, voiced, (x - 0.25 * w, y - 0.25 * h, 1.5 * w, 2.0 * h))
    hx, hy, hw, hh = DEMO_HEAD
    left = region_change(quiet, voiced, (0.0, 0.0, hx - 0.05, 1.0))
    right = region_change(quiet, voiced, (hx + hw + 0.05, 0.0, 1.0 - hx - hw - 0.05, 1.0))
    assert mouth > 20.0, "the mouth did not open"
    assert max(left, right) < 0.5, "the picture outside the head moved"
    whole = region_change(quiet, voiced, (0.0, 0.0, 1.0, 1.0))
    assert mouth > 8.0 * whole


def test_performer_head_nods_on_beats_but_background_stays(gl_ctx):
    still = render_frames(gl_ctx, "performer", [Features.silent(1.0)], width_px=320, height_px=180)[0]
    nod = render_frames(gl_ctx, "performer", [Features.silent(1.0, beat_pulse=1.0)], width_px=320, height_px=180)[0]
    head = region_change(still, nod, DEMO_HEAD)
    corners = region_change(still, nod, (0.0, 0.0, 0.2, 0.3)) + region_change(still, nod, (0.8, 0.0, 0.2, 0.3))
    assert head > 3.0 and corners < 0.2


def test_pulse_zoom_is_centred_on_the_subject(gl_ctx):
    calm = render_frames(gl_ctx, "pulse", [Features.silent(1.0)], width_px=320, height_px=180)[0]
    beat = render_frames(gl_ctx, "pulse", [Features.silent(1.0, beat_pulse=1.0)], width_px=320, height_px=180)[0]
    centre = region_change(calm, beat, (0.47, 0.37, 0.06, 0.06))   # around p_center (0.5, 0.4)
    edges = region_change(calm, beat, (0.0, 0.0, 0.15, 1.0)) + region_change(calm, beat, (0.85, 0.0, 0.15, 1.0))
    assert edges > 3.0 * max(centre, 0.5)


def test_pulse_flash_stays_modest_and_under_three_per_second(gl_ctx):
    fps = 30.0
    seq = [groove_features(n / fps, bpm=200.0, onset=1.0) for n in range(int(2 * fps))]

    def lum(frames):
        return np.array([f.astype(np.float32).mean() for f in frames]) / 255.0

    base = lum(render_frames(gl_ctx, "pulse", seq, width_px=96, height_px=54, params={"flash": 0.0}))
    default = lum(render_frames(gl_ctx, "pulse", seq, width_px=96, height_px=54))
    full = lum(render_frames(gl_ctx, "pulse", seq, width_px=96, height_px=54, params={"flash": 1.0}))
    assert (default - base).max() < 0.1, "the default flash is above the WCAG 10 % luminance change"
    flash = full - base
    assert flash.max() > 0.1, "a full flash should be visible"
    peaks = [n for n in range(1, len(flash) - 1) if flash[n] > 0.05 and flash[n] >= flash[n - 1] and flash[n] > flash[n + 1]]
    assert len(peaks) / 2.0 <= 3.0, f"{len(peaks)} flashes in 2 s at 200 BPM"


def _row_shift(a: np.ndarray, b: np.ndarray, rows: slice, max_shift: int = 12) -> int:
    """Horizontal shift (px) that best maps rows of a onto b (sum of absolute differences)."""
    ga, gb = a[rows].astype(np.float32).mean(axis=2), b[rows].astype(np.float32).mean(axis=2)
    core = slice(max_shift, ga.shape[1] - max_shift)
    errs = {s: np.abs(ga[:, core] - gb[:, max_shift + s:ga.shape[1] - max_shift + s]).mean()
            for s in range(-max_shift, max_shift + 1)}
    return min(errs, key=errs.get)


def test_parallax_moves_near_layers_more_than_far_ones(gl_ctx):
    rng = np.random.default_rng(3)
    w, h = 320, 160
    noise = rng.random((h // 4, w // 4, 3)).repeat(4, 0).repeat(4, 1)  # blocky texture to track
    image = np.dstack([noise, np.ones((h, w))]).astype(np.float32)
    depth = np.zeros((h, w), np.float32)
    depth[: h // 2] = 1.0  # top half near, bottom half far
    frames = []
    for phase in (0.0, 0.25):  # orbit a quarter bar: the camera swings sideways
        f = Features.silent(0.0, bar_phase=phase, tempo_confidence=1.0, level=1.0)
        frames.append(render_frames(gl_ctx, "parallax", [f], width_px=w, height_px=h, image=image,
                                    depth=depth, params={"drift": 0.0})[0])
    near = abs(_row_shift(frames[0], frames[1], slice(15, 60)))
    far = abs(_row_shift(frames[0], frames[1], slice(h - 60, h - 15)))
    assert near >= 2 and near >= 2 * far


@pytest.mark.parametrize("scene", sorted(TRIGGERS))
def test_scenes_look_the_same_at_any_resolution(gl_ctx, scene):
    f = [groove_features(2.0 + n / FPS) for n in range(3)]
    small = render_frames(gl_ctx, scene, f, width_px=160, height_px=90)[-1].astype(np.float32)
    big = render_frames(gl_ctx, scene, f, width_px=320, height_px=180)[-1].astype(np.float32)
    big_down = big.reshape(90, 2, 160, 2, 3).mean(axis=(1, 3))
    assert np.abs(small - big_down).mean() < 6.0


def test_breathe_trail_is_frame_rate_independent(gl_ctx):
    def final(fps):
        n = int(fps)  # one second
        seq = [groove_features(i / fps) for i in range(n + 1)]
        with Renderer(gl_ctx, "breathe", width_px=96, height_px=54) as r:
            for i, f in enumerate(seq):
                r.render(f, {}, time_s=i / fps, dt_s=1.0 / fps)
            return r.read_rgb().astype(np.float32)

    assert np.abs(final(30.0) - final(60.0)).mean() < 2.5


def test_image_scenes_take_a_user_image_of_another_aspect(gl_ctx):
    y, x = np.mgrid[0:300, 0:200] / 300.0
    image = np.dstack([x, y, 0.5 * np.ones_like(x), np.ones_like(x)]).astype(np.float32)  # portrait
    for scene in ("pulse", "performer", "parallax", "breathe"):
        frame = render_frames(gl_ctx, scene, [groove_features(1.0)], width_px=128, height_px=72, image=image)[0]
        assert frame.shape == (72, 128, 3)
        # cover fit: the gradient spans the width, so left is darker red than right
        assert frame[:, :20, 0].mean() + 40 < frame[:, -20:, 0].mean()
