"""The built-in demo picture, drawn by code: a stylized bust on a sunburst, with its depth map and
the normalized regions of its mouth and head (used by the performer scene and ``--demo``)."""

from __future__ import annotations

import numpy as np

from reactor.imageio import blur

# -- the built-in demo picture -------------------------------------------------------------
# Drawn in "height units" around the frame centre (x right, y down; the frame is 1 unit tall)
# so the figure keeps its proportions at any aspect ratio. Regions below are for 16:9.
_MOUTH_C, _MOUTH_HALF = (0.0, 0.068), (0.06, 0.026)
_HEAD_C, _HEAD_HALF = (0.0, -0.1), (0.215, 0.265)
_EYE_C, _EYE_HALF_W = (0.062, -0.085), 0.034


def demo_regions(width_px: int, height_px: int) -> dict:
    """Mouth and head regions of ``demo_image(width_px, height_px)``: normalized (x, y, w, h), origin top-left."""
    aspect = width_px / height_px

    def region(c, half):
        return (0.5 + (c[0] - half[0]) / aspect, 0.5 + c[1] - half[1], 2 * half[0] / aspect, 2 * half[1])

    out = {"mouth": region(_MOUTH_C, _MOUTH_HALF), "head": region(_HEAD_C, _HEAD_HALF)}
    for side, s in (("eye_l", -1.0), ("eye_r", 1.0)):  # eye centres (x, y) and width (w)
        out[side] = (0.5 + s * _EYE_C[0] / aspect, 0.5 + _EYE_C[1])
    out["eye_w"] = 2.0 * _EYE_HALF_W / aspect
    return out


DEMO_MOUTH = (0.46625, 0.542, 0.0675, 0.052)
"""Mouth region of the demo image at 16:9, normalized (x, y, w, h), origin top-left."""
DEMO_HEAD = (0.3790625, 0.135, 0.241875, 0.53)
"""Head (with hair) region of the demo image at 16:9, normalized (x, y, w, h), origin top-left."""


def _ellipse(x, y, cx, cy, rx, ry):
    """Approximate signed distance (height units) to an axis-aligned ellipse."""
    return (np.hypot((x - cx) / rx, (y - cy) / ry) - 1.0) * np.minimum(rx, ry)


def _demo_layers(width_px: int, height_px: int):
    """(rgb, depth) of the demo picture, both float32, rows top first."""
    h, w = height_px, width_px
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    X, Y = (xx + 0.5 - w / 2) / h, (yy + 0.5 - h / 2) / h
    img = np.empty((h, w, 3), np.float32)
    dep = np.empty((h, w, 1), np.float32)
    skin = np.float32([0.94, 0.69, 0.53])
    hair_c, hair_hi = (0.09, 0.07, 0.19), (0.25, 0.22, 0.45)

    def win(x0, y0, x1, y1):
        """Slices of the pixels inside a box in height units (most shapes touch few pixels)."""
        c0, c1 = (int(np.clip(np.floor(v * h + w / 2), 0, w)) for v in (x0, x1))
        r0, r1 = (int(np.clip(np.floor(v * h + h / 2), 0, h)) for v in (y0, y1))
        return (slice(r0, r1 + 1), slice(c0, c1 + 1))

    def cover(sdf):
        return np.clip(0.5 - sdf * (h / 1.5), 0.0, 1.0)[..., None]

    def paint(box, colour, alpha_fn, depth=None):
        s = win(*box)
        x, y = X[s], Y[s]
        alpha = alpha_fn(x, y)
        col = colour(x, y) if callable(colour) else np.asarray(colour, np.float32)
        img[s] += (col - img[s]) * alpha
        if depth is not None:
            d = depth(x, y) if callable(depth) else np.float32(depth)
            dep[s] += (d - dep[s]) * alpha

    # Background: a sunburst, a halo with a ring, halftone dots toward the sides.
    hx, hy = X, Y + 0.08
    ray = (0.5 + 0.5 * np.tanh(6.0 * np.sin(np.arctan2(hy, hx) * 14.0)))[..., None]
    img[:] = np.float32([0.16, 0.07, 0.32]) + (np.float32([0.95, 0.33, 0.42]) - np.float32([0.16, 0.07, 0.32])) * ray
    gx, gy = np.mod(X * 36.0, 1.0) - 0.5, np.mod(Y * 36.0, 1.0) - 0.5
    dot_r = np.clip((np.abs(X) - 0.42) * 1.1 + (Y + 0.1) * 0.45, 0.0, 0.42)
    img += (np.float32([0.1, 0.05, 0.22]) - img) * (0.85 * cover((np.hypot(gx, gy) - dot_r) / 36.0))
    dep[:] = 0.1
    paint((-0.4, -0.48, 0.4, 0.32), (0.99, 0.5, 0.2), lambda x, y: cover(np.hypot(x, y + 0.08) - 0.37), 0.18)
    paint((-0.4, -0.48, 0.4, 0.32), (0.45, 0.1, 0.25), lambda x, y: cover(np.abs(np.hypot(x, y + 0.08) - 0.33) - 0.004))
    paint((-0.4, -0.48, 0.4, 0.32), lambda x, y: np.float32([1.0, 0.87, 0.42]) * (1.0 - 0.3 * np.hypot(x, y + 0.08))[..., None],
          lambda x, y: cover(np.hypot(x, y + 0.08) - 0.322))

    # The bust: shoulders and shirt with a V neck, neck, hair behind the face, face, fringe.
    def torso(x, y):
        return _ellipse(x, y, 0.0, 0.56, 0.46, 0.33)

    def shirt_col(x, y):
        return np.float32([0.07, 0.52, 0.58]) * (1.0 - 0.45 * np.clip(np.abs(x) * 2.4 - 0.3, 0, 1))[..., None]

    def neck(x, y):
        return np.maximum(np.abs(x) - 0.062 - 0.6 * np.maximum(y - 0.18, 0.0) ** 1.5, y - 0.32)

    paint((-0.15, 0.0, 0.15, 0.33), skin * 0.82, lambda x, y: cover(neck(x, y)), 0.7)
    paint((-0.1, 0.0, 0.1, 0.25), skin * 0.55, lambda x, y: cover(neck(x, y)) * 0.75
          * np.clip(1.0 - (y - 0.07) / 0.06, 0, 1)[..., None])
    paint((-0.5, 0.2, 0.5, 0.5), shirt_col, lambda x, y: cover(torso(x, y)),
          lambda x, y: (0.55 + 0.2 * np.clip(1 - np.abs(x) / 0.46, 0, 1))[..., None])
    paint((-0.12, 0.2, 0.12, 0.4), skin * 0.8, lambda x, y: cover(np.maximum(
        np.abs(x) - 0.1 * (0.36 - y) / 0.13, torso(x, y) - 0.003)), 0.72)
    paint((-0.25, -0.4, 0.25, 0.1), hair_c, lambda x, y: cover(np.maximum(_ellipse(x, y, 0.0, -0.12, 0.215, 0.25), y - 0.07)), 0.74)

    def face_r(y):
        return 0.152 * (1.0 - 0.3 * np.clip((y + 0.07) / 0.205, 0, 1) ** 2)

    def face(x, y):
        return _ellipse(x, y, 0.0, -0.07, face_r(y), 0.205)

    def face_col(x, y):
        fd = np.hypot(x / face_r(y), (y + 0.07) / 0.205)
        return skin * (1.0 - 0.3 * np.clip((fd - 0.55) / 0.45, 0, 1) ** 2 - 0.07 * np.clip(x / 0.15, 0, 1))[..., None]

    def face_depth(x, y):
        fd = np.hypot(x / face_r(y), (y + 0.07) / 0.205)
        return (0.8 + 0.18 * np.sqrt(np.clip(1 - fd ** 2, 0, 1)))[..., None]

    paint((-0.17, -0.3, 0.17, 0.15), face_col, lambda x, y: cover(face(x, y)), face_depth)

    def fringe(x, y):
        edge = -0.16 + 0.02 * np.abs(np.sin(x * 38.0 + 0.6)) - 0.06 * (x / 0.15) ** 2
        return np.maximum(face(x, y), y - edge)

    paint((-0.17, -0.3, 0.17, -0.1), hair_c, lambda x, y: cover(fringe(x, y)), 0.76)
    paint((-0.22, -0.37, 0.22, -0.05), hair_hi, lambda x, y: 0.6 * cover(np.maximum(
        np.abs(_ellipse(x, y, 0.0, -0.12, 0.19, 0.22)) - 0.008, y + 0.16 - 0.2 * np.abs(x))))

    for s in (-1.0, 1.0):  # blush, eyes, lids, brows
        paint((s * 0.092 - 0.04, -0.05, s * 0.092 + 0.04, 0.03), (0.95, 0.42, 0.5),
              lambda x, y: 0.35 * np.clip(1.0 - np.hypot(x - s * 0.092, y + 0.01) / 0.032, 0, 1)[..., None])
        box = (s * 0.062 - 0.05, -0.14, s * 0.062 + 0.05, -0.06)

        def eye(x, y, s=s):
            return x - s * 0.062, y + 0.085

        def white(x, y):
            ex, ey = eye(x, y)
            return _ellipse(ex, ey, 0, 0, 0.034, 0.0155)

        paint(box, (0.98, 0.96, 0.93), lambda x, y: cover(white(x, y)))
        paint(box, (0.16, 0.45, 0.64), lambda x, y: cover(np.maximum(np.hypot(*eye(x, y)) - 0.0135, white(x, y))))
        paint(box, (0.03, 0.03, 0.06), lambda x, y: cover(np.hypot(*eye(x, y)) - 0.0065))
        paint(box, (1.0, 1.0, 1.0), lambda x, y: cover(np.hypot(eye(x, y)[0] - 0.005, eye(x, y)[1] + 0.005) - 0.0035))
        paint(box, (0.08, 0.04, 0.08), lambda x, y: cover(np.maximum(
            np.abs(_ellipse(*eye(x, y), 0, 0.002, 0.036, 0.018)) - 0.0025, eye(x, y)[1] + 0.002)))
        paint(box, hair_c, lambda x, y: cover(np.maximum(
            np.abs(_ellipse(*eye(x, y), 0, 0.022, 0.042, 0.032)) - 0.0045, eye(x, y)[1] + 0.02)))
    # Nose: soft side shadow, tip shadow and highlight, nostrils (slightly nearer in depth).
    nose_box = (-0.04, -0.07, 0.04, 0.035)
    paint(nose_box, skin * 0.78, lambda x, y: 0.5 * np.clip(1 - np.abs(x - 0.014) / 0.01, 0, 1)[..., None]
          * cover(np.abs(y + 0.02) - 0.035), lambda x, y: 0.99)
    paint(nose_box, skin * 0.72, lambda x, y: 0.8 * cover(_ellipse(x, y, 0.0, 0.018, 0.024, 0.008)))
    paint(nose_box, skin * 1.07, lambda x, y: 0.6 * cover(_ellipse(x, y, -0.004, 0.005, 0.009, 0.008)))
    for s in (-1.0, 1.0):
        paint(nose_box, (0.35, 0.14, 0.14), lambda x, y, s=s: cover(_ellipse(x, y, s * 0.011, 0.021, 0.0055, 0.0032)))

    # Mouth: full lips around a slightly parted dark gap (stretching the gap reads as opening).
    def mouth(x, y):
        mx, my = x - _MOUTH_C[0], y - _MOUTH_C[1]
        return mx, my, np.clip(1.0 - (mx / 0.05) ** 2, 0.0, 1.0)

    def lips(x, y):
        mx, my, t = mouth(x, y)
        upper = np.maximum(-my - (0.014 * np.sqrt(t) - 0.005 * np.exp(-(mx / 0.009) ** 2)), my)
        lower = np.maximum(my - 0.019 * t ** 0.6, -my)
        return np.maximum(np.minimum(upper, lower), np.abs(mx) - 0.05)

    mbox = (-0.07, 0.03, 0.07, 0.1)
    paint(mbox, (0.8, 0.18, 0.3), lambda x, y: cover(lips(x, y)))
    paint(mbox, (0.97, 0.55, 0.6), lambda x, y: 0.55 * cover(_ellipse(*mouth(x, y)[:2], 0.008, 0.01, 0.014, 0.0035)))
    paint(mbox, (0.16, 0.02, 0.05), lambda x, y: cover(np.maximum(
        np.abs(mouth(x, y)[1]) - 0.0032 * mouth(x, y)[2], np.abs(mouth(x, y)[0]) - 0.048)))
    return img, blur(dep[..., 0], 2.0 * h / 720.0)


def demo_image(width_px: int, height_px: int) -> np.ndarray:
    """The built-in picture: a stylized bust (face, eyes, nose, mouth, shoulders) on a sunburst.

    Drawn by code (no asset files), anti-aliased, at exactly ``width_px`` x ``height_px``.
    Returns float32 (h, w, 4) in 0..1, sRGB-encoded. ``DEMO_MOUTH``/``DEMO_HEAD`` locate the
    mouth and head at 16:9; ``demo_regions`` gives them for other sizes.
    """
    rgb, _ = _demo_layers(int(width_px), int(height_px))
    return np.dstack([rgb, np.ones(rgb.shape[:2], np.float32)])


def demo_depth(width_px: int, height_px: int) -> np.ndarray:
    """Depth of ``demo_image`` (near = 1), float32 (h, w): drawn with it, not estimated."""
    return _demo_layers(int(width_px), int(height_px))[1]
