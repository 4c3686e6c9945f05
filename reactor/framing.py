"""Frame the subject, not the file: choose how a picture fills an output frame.

``frame_image`` places a picture in a ``width_px`` x ``height_px`` frame:

- ``face`` (the default): find the faces (``reactor.faces``); put the eye line near the upper
  third, centre the faces across, keep the hair and chin inside. When a cover crop would cut the
  head, zoom out just enough and fill what the picture does not cover with a blurred, darkened
  copy of itself. With no face found, the crop follows the most salient region instead.
- ``cover``: fill the frame, crop centred. ``contain``: the whole picture on its blurred copy.

Returns the framed picture and the faces moved into frame coordinates (normalized, origin
top-left), which the lip-sync scene uses to place mouth, eyes and head.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from reactor.faces import Face, detect_faces
from reactor.imageio import _resize, blur, fit as plain_fit

log = logging.getLogger(__name__)

FIT_MODES = ("face", "cover", "contain")

EYE_LINE_TARGET = 0.40
"""Where the eye line goes, fraction of the frame height from the top (a little below the third
line, so a head that fills the frame keeps its hair)."""
HEAD_MARGIN = 1.12
"""The head (hair to chin) must fit in the frame with this much room."""
HEAD_SHARE = 0.42
"""A small head is zoomed in on until it is this share of the frame height (portrait framing)..."""
MAX_ZOOM = 1.6
"""...by at most this much over a cover fit, and to at most 2 output pixels per picture pixel."""
BACK_DIM = 0.45
"""Brightness of the blurred fill behind a zoomed-out picture."""


@dataclass(frozen=True)
class Framed:
    """A picture placed in a frame, with what was found in it."""

    image: np.ndarray
    faces: list[Face] = field(default_factory=list)
    mode: str = "cover"
    scale: float = 1.0
    """Output pixels per source pixel."""
    placement: tuple = ()
    """(picture width as a fraction of the frame width, anchor normalized in the picture, target px)."""

    def place_like(self, other: np.ndarray) -> np.ndarray:
        """``other`` (a depth map of the same picture, any resolution) framed exactly like the picture."""
        a = np.asarray(other, np.float32)
        h, w = a.shape[:2]
        H, W = self.image.shape[:2]
        frac_w, (ax, ay), target = self.placement
        return _place(a, W, H, frac_w * W / w, (ax * w, ay * h), target)[0]


def frame_image(image: np.ndarray, width_px: int, height_px: int, *, fit: str = "face",
                faces: list[Face] | None = None) -> Framed:
    """Place ``image`` (float (h, w[, c]) in 0..1) in a ``width_px`` x ``height_px`` frame.

    Parameters
    ----------
    fit : {"face", "cover", "contain"}
        See the module docstring. ``faces`` (source coordinates) skips detection when given.
    """
    if fit not in FIT_MODES:
        raise ValueError(f"fit must be one of {FIT_MODES}, not {fit!r}")
    a = np.asarray(image, np.float32)
    h, w = a.shape[:2]
    W, H = int(width_px), int(height_px)
    found = list(faces) if faces is not None else detect_faces(a)  # any fit: a face still rigs the scene
    cover_s, contain_s = max(W / w, H / h), min(W / w, H / h)
    if fit == "contain":
        s, anchor, target = contain_s, (0.5 * w, 0.5 * h), (0.5 * W, 0.5 * H)
    elif fit == "cover" or not found and fit != "face":
        s, anchor, target = cover_s, (0.5 * w, 0.5 * h), (0.5 * W, 0.5 * H)
    elif found:
        s, anchor, target = _face_plan(found, w, h, W, H, cover_s, contain_s)
    else:
        s, anchor, target = cover_s, _salient_point(a), (0.5 * W, 0.5 * H)
    out, ox, oy = _place(a, W, H, s, anchor, target)
    mapped = [f.mapped(s * w / W, ox / W, s * h / H, oy / H, W / H) for f in found]
    mode = fit if fit != "face" or found else "cover"
    return Framed(image=out, faces=mapped, mode=mode, scale=s,
                  placement=(s * w / W, (anchor[0] / w, anchor[1] / h), target))


def _face_plan(faces, w, h, W, H, cover_s, contain_s):
    """Scale, anchor (source px) and target (frame px) that frame the faces."""
    heads = [f.head for f in faces]
    x0 = min(hd[0] for hd in heads) * w
    x1 = max(hd[0] + hd[2] for hd in heads) * w
    y0 = min(hd[1] for hd in heads) * h
    y1 = max(hd[1] + hd[3] for hd in heads) * h
    span_y, span_x = (y1 - y0) * HEAD_MARGIN, (x1 - x0) * HEAD_MARGIN
    s = cover_s
    if span_y * s > H or span_x * s > W:  # a cover crop cuts a head: zoom out, no further than contain
        s = max(contain_s, min(H / span_y, W / span_x))
    elif (y1 - y0) * s < HEAD_SHARE * H:  # a small head (a tall frame of a wide shot): move in
        s = min(HEAD_SHARE * H / (y1 - y0), MAX_ZOOM * cover_s, max(cover_s, 2.0), H / span_y, W / span_x)
    main = faces[0]
    eye_y = main.eye_y * h
    cx = 0.5 * (x0 + x1)
    ty = EYE_LINE_TARGET * H
    # keep the hair in: if the head top would leave the frame, lower the eye line
    top_px = ty - (eye_y - y0 + 0.06 * (y1 - y0)) * s
    if top_px < 0:
        ty -= top_px
    bottom_px = ty + (y1 - eye_y) * s
    if bottom_px > H and top_px >= 0:  # and the chin: raise it, without losing the hair
        ty -= min(bottom_px - H, max(0.0, top_px))
    return s, (cx, eye_y), (0.5 * W, ty)


def _salient_point(a: np.ndarray) -> tuple[float, float]:
    """Centre of the most salient region (source px): saturated, contrasty, centre-weighted."""
    h, w = a.shape[:2]
    k = min(1.0, 160 / max(h, w))
    sw, sh = max(2, round(w * k)), max(2, round(h * k))
    small = _resize(a if a.ndim == 3 else a[..., None].repeat(3, 2), sw, sh)[..., :3]
    lum = small @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    sal = np.abs(lum - blur(lum, 0.1 * max(sw, sh))) + 0.5 * (small.max(axis=2) - small.min(axis=2))
    sal = blur(sal, 0.06 * max(sw, sh))
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    sal = sal * np.exp(-(((xx + 0.5) / sw - 0.5) ** 2 + ((yy + 0.5) / sh - 0.5) ** 2) / (2 * 0.3 ** 2))
    sal = np.maximum(sal - np.percentile(sal, 80), 0) + 1e-9
    return float((sal * (xx + 0.5)).sum() / sal.sum() / k), float((sal * (yy + 0.5)).sum() / sal.sum() / k)


def _place(a, W, H, s, anchor, target):
    """Draw ``a`` scaled by ``s`` with ``anchor`` at ``target``; offsets clamped so no bar shows
    where the picture can cover the frame; the rest is a blurred, darkened copy."""
    h, w = a.shape[:2]
    sw, sh = w * s, h * s
    ox = _clamp_offset(target[0] - anchor[0] * s, sw, W)
    oy = _clamp_offset(target[1] - anchor[1] * s, sh, H)
    # visible part of the picture, in source px, and where it lands
    dx0, dy0 = max(0.0, ox), max(0.0, oy)
    dx1, dy1 = min(float(W), ox + sw), min(float(H), oy + sh)
    ix0, iy0, ix1, iy1 = round(dx0), round(dy0), round(dx1), round(dy1)
    box = ((ix0 - ox) / s, (iy0 - oy) / s, (ix1 - ox) / s, (iy1 - oy) / s)
    fg = _resize(a, ix1 - ix0, iy1 - iy0, box=box)
    if (ix0, iy0, ix1, iy1) == (0, 0, W, H):
        return fg, ox, oy
    back = blur(plain_fit(a, W, H, "cover"), 0.03 * max(W, H))
    if a.ndim == 2:  # a depth map: the fill is far away, not dimmed
        return _fill_depth(back, fg, ix0, iy0), ox, oy
    dim = np.array([BACK_DIM] * 3 + [1.0], np.float32) if a.shape[2] == 4 else np.float32(BACK_DIM)
    back = back * dim
    back[iy0:iy1, ix0:ix1] = fg
    return back, ox, oy


def _fill_depth(back: np.ndarray, fg: np.ndarray, x0: int, y0: int) -> np.ndarray:
    out = np.minimum(back, 0.1).astype(np.float32)  # the blurred fill sits behind everything
    out[y0:y0 + fg.shape[0], x0:x0 + fg.shape[1]] = fg
    return out


def _clamp_offset(o: float, size: float, frame: float) -> float:
    if size >= frame:
        return min(0.0, max(frame - size, o))
    return 0.5 * (frame - size)  # narrower than the frame: centred, bars both sides


def face_params(face: Face) -> dict[str, float]:
    """Scene parameter defaults for a face in frame coordinates (normalized, origin top-left):
    ``mouth_*``, ``head_*``, ``eye_*``, ``chin_y`` (performer) and ``center_*`` (pulse's zoom)."""
    mx, my, mw, mh = face.mouth
    hx, hy, hw, hh = face.head
    eye_w = 0.45 * abs(face.right_eye[0] - face.left_eye[0])
    out = {"mouth_x": mx, "mouth_y": my, "mouth_w": mw, "mouth_h": mh,
           "head_x": hx, "head_y": hy, "head_w": hw, "head_h": hh, "chin_y": face.chin_y,
           "eye_lx": face.left_eye[0], "eye_ly": face.left_eye[1],
           "eye_rx": face.right_eye[0], "eye_ry": face.right_eye[1], "eye_w": eye_w,
           # the punch-in zoom of `pulse` centres between the eyes and the mouth
           "center_x": face.centre_x, "center_y": 0.5 * (face.eye_y + my + 0.5 * mh)}
    return {k: float(min(1.0, max(0.0, v))) for k, v in out.items()}
