"""Still images for the image-warp scenes: loading, fitting, a built-in demo picture, depth.

Arrays are float32 in 0..1 holding sRGB-encoded values (as stored in the file), straight alpha,
rows top first: ``(h, w, 4)`` for colour, ``(h, w)`` for depth (near = 1).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from reactor.errors import ImageError

MAX_PIXELS = 1_000_000_000
"""Images above this many pixels (a gigapixel) are refused as decompression bombs."""

_VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".mpg", ".mpeg", ".ts"}
_AT_TIME = re.compile(r"^(?P<path>.+)@(?P<t>\d+(?:\.\d*)?|\.\d+)$")


def load_image(spec: str | Path, *, max_side_px: int = 4096) -> np.ndarray:
    """Load a picture, or a frame of a video, as float32 ``(h, w, 4)`` in 0..1.

    Parameters
    ----------
    spec : str | Path
        An image file (PNG, JPEG, WebP, GIF first frame, BMP, TIFF; EXIF orientation applied;
        8/16-bit, palette and greyscale), or ``video.mp4@12.5`` for the frame at 12.5 s
        (a video path alone means its first frame).
    max_side_px : int
        Larger pictures are downscaled to this longest side, with a warning.

    Raises
    ------
    ImageError
        Missing, unreadable, corrupt or absurdly large file; the message names it.
    """
    text = str(spec)
    path, at_s = Path(text), None
    match = _AT_TIME.match(text)
    if match and not path.exists():
        path, at_s = Path(match.group("path")), float(match.group("t"))
    if not path.is_file():
        raise ImageError(f"{path}: image file not found")
    if at_s is not None or path.suffix.lower() in _VIDEO_SUFFIXES:
        rgba = _video_frame(path, at_s or 0.0)
    else:
        rgba = _still(path, max_side_px)
    h, w = rgba.shape[:2]
    if max(h, w) > max_side_px:  # video frames are never huge, but be consistent
        rgba = _resize(rgba, *_shrink(w, h, max_side_px))
    return rgba


def _shrink(w: int, h: int, max_side_px: int) -> tuple[int, int]:
    s = max_side_px / max(w, h)
    return max(1, round(w * s)), max(1, round(h * s))


def _still(path: Path, max_side_px: int) -> np.ndarray:
    from PIL import Image, ImageOps, UnidentifiedImageError

    old = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # our own, clearer limit below (Pillow's rejects big photos)
    try:
        with Image.open(path) as img:
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise ImageError(f"{path}: {w}x{h} px is too large (limit {MAX_PIXELS // 1_000_000} megapixels)")
            img.seek(0)  # animated GIF/WebP: the first frame
            if max(w, h) > max_side_px:
                tw, th = _shrink(w, h, max_side_px)
                msg = f"{path}: {w}x{h} px downscaled to {tw}x{th} px (max_side_px={max_side_px})"
                warnings.warn(msg, stacklevel=3)
                # draft() lets JPEG decode at 1/2..1/8 scale, keeping memory low for huge photos.
                img.draft("RGB", (tw, th))
                img.thumbnail((max_side_px, max_side_px), Image.Resampling.LANCZOS, reducing_gap=2.0)
            img = ImageOps.exif_transpose(img)
            return _to_rgba(img)
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"{path}: not a readable image ({type(exc).__name__}: {exc})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = old


def _to_rgba(img) -> np.ndarray:
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(img, dtype=np.float32)
        grey = a / (65535.0 if img.mode.startswith("I") and a.max(initial=0) > 255 else
                    (255.0 if img.mode.startswith("I") else 1.0))
        grey = np.clip(grey, 0, 1)
        return np.dstack([grey, grey, grey, np.ones_like(grey)]).astype(np.float32)
    return np.asarray(img.convert("RGBA"), dtype=np.float32) / 255.0


def _video_frame(path: Path, at_s: float) -> np.ndarray:
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ImageError(f"{path}: has no video stream")
            stream = container.streams.video[0]
            if at_s > 0 and stream.time_base is not None:
                container.seek(int(at_s / stream.time_base), stream=stream, backward=True, any_frame=False)
            best = None
            for frame in container.decode(stream):
                if frame.time is not None and frame.time > at_s + 1e-6 and best is not None:
                    break
                best = frame
            if best is None or (best.time is not None and at_s - best.time > 1.0):
                raise ImageError(f"{path}: no video frame at {at_s:g} s (the video is shorter)")
            rgb = best.to_ndarray(format="rgba")
    except ImageError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise ImageError(f"{path}: cannot read video frame: {exc}") from None
    return rgb.astype(np.float32) / 255.0


def _resize(a: np.ndarray, w: int, h: int, box: tuple[float, float, float, float] | None = None) -> np.ndarray:
    """Resize float (h, w[, c]) with Pillow's float mode; ``box`` crops the source (sub-pixel)."""
    from PIL import Image

    chans = [a] if a.ndim == 2 else [a[..., i] for i in range(a.shape[2])]
    out = [np.asarray(Image.fromarray(np.ascontiguousarray(c, np.float32), "F")
                      .resize((w, h), Image.Resampling.BICUBIC, box=box)) for c in chans]
    res = out[0] if a.ndim == 2 else np.stack(out, axis=2)
    return np.clip(res, 0.0, 1.0).astype(np.float32)


def blur(a: np.ndarray, radius_px: float) -> np.ndarray:
    """Approximate Gaussian blur (three box passes per axis) of float (h, w[, c]), edges clamped."""
    r = max(1, int(round(radius_px / 1.7)))
    out = a.astype(np.float32)
    for axis in (0, 1):
        for _ in range(3):
            pad = [(0, 0)] * out.ndim
            pad[axis] = (r + 1, r)
            c = np.cumsum(np.pad(out, pad, mode="edge"), axis=axis, dtype=np.float64)
            n = out.shape[axis]
            hi = np.take(c, np.arange(2 * r + 1, 2 * r + 1 + n), axis=axis)
            lo = np.take(c, np.arange(0, n), axis=axis)
            out = ((hi - lo) / (2 * r + 1)).astype(np.float32)
    return out


def dilate(a: np.ndarray, radius_px: int) -> np.ndarray:
    """Grey-level dilation (max filter, square window of side 2r+1) of float (h, w), edges clamped."""
    r = int(radius_px)
    out = np.asarray(a, np.float32)
    if r < 1:
        return out.copy()
    for axis in (0, 1):
        padded = np.pad(out, [(r, r) if ax == axis else (0, 0) for ax in range(2)], mode="edge")
        n = out.shape[axis]
        res = np.take(padded, np.arange(0, n), axis=axis)
        for k in range(1, 2 * r + 1):
            np.maximum(res, np.take(padded, np.arange(k, k + n), axis=axis), out=res)
        out = res
    return out


def warp_depth(depth: np.ndarray) -> np.ndarray:
    """Depth prepared for image warps: near regions grown by ~1.2 % of the height, then softened.

    A depth edge that sits exactly on a colour edge makes a warp stretch the subject's edge
    over the background; growing the near side a little moves the stretch into the background,
    which the eye forgives (the "stretch the background" trick for disocclusion).
    """
    h = depth.shape[0]
    return blur(dilate(depth, round(0.012 * h)), 0.006 * h)


def fit(image: np.ndarray, width_px: int, height_px: int, mode: str = "cover") -> np.ndarray:
    """Scale ``image`` (h, w[, c]) to exactly ``height_px`` x ``width_px``, keeping its aspect.

    ``cover`` fills the frame and crops the overflow (centred); ``contain`` shows the whole image
    on a blurred, darkened, cover-fitted copy of itself instead of black bars.
    """
    if mode not in ("cover", "contain"):
        raise ValueError(f"fit mode must be 'cover' or 'contain', not {mode!r}")
    a = np.asarray(image, dtype=np.float32)
    h, w = a.shape[:2]
    if (w, h) == (width_px, height_px):
        return a.copy()
    if mode == "cover":
        s = max(width_px / w, height_px / h)
        cw, ch = width_px / s, height_px / s  # the visible part, in source pixels
        x0, y0 = (w - cw) / 2, (h - ch) / 2
        return _resize(a, width_px, height_px, box=(x0, y0, x0 + cw, y0 + ch))
    s = min(width_px / w, height_px / h)
    iw, ih = max(1, round(w * s)), max(1, round(h * s))
    back = fit(a, width_px, height_px, "cover")
    back = blur(back, 0.03 * max(width_px, height_px))
    back = back * np.array([0.45, 0.45, 0.45, 1.0] if a.ndim == 3 and a.shape[2] == 4 else 0.45, np.float32)
    x0, y0 = (width_px - iw) // 2, (height_px - ih) // 2
    back[y0:y0 + ih, x0:x0 + iw] = _resize(a, iw, ih)
    return back


def estimate_depth(image: np.ndarray) -> np.ndarray:
    """A cheap *heuristic* depth map (near = 1) for an image without one: float32 (h, w).

    Not a depth estimator: it assumes the usual photo/album-art composition, where the subject
    is central, saturated and contrasty and the ground is lower in the frame. It blends a centre
    prior, a bottom-is-nearer prior and blurred saturation/local contrast, then blurs heavily so
    the parallax warp stays smooth (no tearing at edges). Pass real depth for real parallax.
    """
    a = np.asarray(image, dtype=np.float32)
    h, w = a.shape[:2]
    sw, sh = _shrink(w, h, 192) if max(w, h) > 192 else (w, h)
    small = _resize(a if a.ndim == 3 else a[..., None].repeat(3, 2), sw, sh)
    rgb = small[..., :3]
    sat = rgb.max(axis=2) - rgb.min(axis=2)
    lum = rgb @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    contrast = np.abs(lum - blur(lum, 0.08 * max(sw, sh)))
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    u, v = (xx + 0.5) / sw - 0.5, (yy + 0.5) / sh
    centre = np.exp(-(u * u * (sw / sh) ** 2 + (v - 0.55) ** 2) / (2 * 0.28 ** 2))
    cue = blur(0.6 * sat + 1.5 * contrast, 0.05 * max(sw, sh))
    cue = cue / (np.percentile(cue, 98) + 1e-6)
    depth = 0.4 * centre + 0.25 * v + 0.35 * np.clip(cue, 0, 1)
    depth = blur(depth, 0.04 * max(sw, sh))
    lo, hi = np.percentile(depth, 2), np.percentile(depth, 98)
    depth = np.clip((depth - lo) / max(hi - lo, 1e-6), 0, 1)
    return _resize(depth, w, h)
