"""Textures scenes read: audio arrays from a ``Features`` snapshot, the noise tile, the image.

Every texture is created once and rewritten in place each frame (no per-frame GL allocation).
Layouts (also documented in ``reactor.render.programs``):

- ``u_spectrum`` 64x1 R32F, 0..1, log frequency 30 Hz .. 16 kHz left to right.
- ``u_waveform`` 512x1 R32F, -1..1, oldest .. newest sample.
- ``u_history`` 64x256 R32F: spectrum history, row 0 (v near 0) newest. A row is added every
  ``HISTORY_ROW_S`` of *time* (not per frame), so the texture scrolls at the same speed at
  30 or 144 fps; it covers the last 256 / 60 = 4.3 s.
- ``u_sound`` 512x2 R32F, Shadertoy layout: row 0 the FFT row 0..1, row 1 the waveform 0.5-centred;
  read as luminance (r = g = b, a = 1), as Shadertoy uploads it.
- ISF ``audio`` (``isf_audio:<w>``) w x channels R32F: each input channel's latest waveform
  resampled to w columns, 0.5-centred 0..1, one row per channel (row 0 the first); ISF
  ``audioFFT`` (``isf_fft:<w>``) w x channels R32F: each channel's Web Audio spectrum row (as
  ``u_sound`` row 0, per channel) resampled to w bins. Made on first use (one row until the first
  frame says how many channels), updated every frame after.
"""

from __future__ import annotations

import math

import numpy as np

from reactor.features import SHADERTOY_BINS, SPECTRUM_BINS, WAVEFORM_SAMPLES, Features

HISTORY_ROWS = 256
HISTORY_ROW_S = 1.0 / 60.0
NOISE_SIDE_PX = 256
_NOISE_SEED = 20240611


class HistoryRing:
    """Spectrum history advanced by time, newest row first.

    Pure numpy (no GL) so that it can be tested alone. ``push(spectrum, time_s)`` adds one row
    per ``HISTORY_ROW_S`` elapsed since the previous push (repeating the current spectrum when a
    frame spans several rows, keeping the peak when several frames share a row); time going
    backwards (a seek) clears the history.
    """

    def __init__(self, *, bins: int = SPECTRUM_BINS, rows: int = HISTORY_ROWS, row_s: float = HISTORY_ROW_S):
        self.rows = np.zeros((rows, bins), np.float32)
        self._row_s = row_s
        self._last_slot: int | None = None

    def push(self, spectrum: np.ndarray, time_s: float) -> None:
        """Advance to ``time_s`` (seconds) with ``spectrum`` (bins,) as the newest row."""
        slot = math.floor(time_s / self._row_s + 1e-9)
        if self._last_slot is None or slot < self._last_slot:
            self.rows[:] = 0.0
            steps = 1
        else:
            steps = min(slot - self._last_slot, len(self.rows))
        self._last_slot = slot
        if steps == 0:
            # Several frames in one slot (fps > 60): keep the peak so a transient is not lost.
            np.maximum(self.rows[0], spectrum, out=self.rows[0])
            return
        self.rows[steps:] = self.rows[:-steps].copy()
        self.rows[:steps] = spectrum


def noise_pixels(side_px: int = NOISE_SIDE_PX) -> np.ndarray:
    """Deterministic tiling RGBA white noise, uint8 (side, side, 4)."""
    return np.random.default_rng(_NOISE_SEED).integers(0, 256, (side_px, side_px, 4), dtype=np.uint8)


class AudioTextures:
    """The four audio textures of one renderer; ``update`` rewrites them from a snapshot.

    Texture units are assigned by the renderer; ``textures`` maps uniform name -> texture.
    """

    def __init__(self, ctx):
        def make(size: tuple[int, int]):
            tex = ctx.texture(size, 1, dtype="f4")
            tex.repeat_x = tex.repeat_y = False  # clamp: sampling past the ends must not wrap
            return tex

        self.textures = {
            "u_spectrum": make((SPECTRUM_BINS, 1)),
            "u_waveform": make((WAVEFORM_SAMPLES, 1)),
            "u_history": make((SPECTRUM_BINS, HISTORY_ROWS)),
            "u_sound": make((SHADERTOY_BINS, 2)),
        }
        # Shadertoy uploads its sound texture as LUMINANCE: .r, .g and .b all carry the value.
        self.textures["u_sound"].swizzle = "RRR1"
        self._ctx = ctx
        self._make = make
        self._extra: dict[str, object] = {}
        self._history = HistoryRing()
        self._sound = np.zeros((2, SHADERTOY_BINS), np.float32)

    def extra(self, key: str):
        """The ISF audio texture ``isf_audio:<w>`` or ``isf_fft:<w>`` (created on first use)."""
        if key not in self._extra:
            kind, width = key.split(":")
            if kind not in ("isf_audio", "isf_fft") or not width.isdigit():
                raise KeyError(key)
            tex = self._make((int(width), 1))
            tex.swizzle = "RRR1"
            self._extra[key] = tex
        return self._extra[key]

    def _update_extra(self, features: Features) -> None:
        for key, tex in list(self._extra.items()):
            kind, width = key.split(":")
            src = (0.5 + 0.5 * np.asarray(features.channel_waveform, np.float32) if kind == "isf_audio"
                   else np.asarray(features.channel_fft, np.float32))
            n, rows = int(width), src.shape[0]
            if tex.size[1] != rows:  # the channel count is known from the first frame on
                tex.release()
                tex = self._extra[key] = self._make((n, rows))
                tex.swizzle = "RRR1"
            m = src.shape[1]
            grid = np.linspace(0.0, m - 1.0, n)
            out = src if n == m else np.stack([np.interp(grid, np.arange(m), r) for r in src])
            tex.write(np.ascontiguousarray(out, np.float32))

    def update(self, features: Features, *, time_s: float, used: frozenset[str] | set[str]) -> None:
        """Upload the arrays of ``features`` for the textures named in ``used``.

        The history advances on every call (even when unused) so it is right when a scene that
        reads it is switched in.
        """
        spectrum = np.asarray(features.spectrum, np.float32)
        self._history.push(spectrum, time_s)
        if "u_spectrum" in used:
            self.textures["u_spectrum"].write(np.ascontiguousarray(spectrum))
        if "u_waveform" in used:
            self.textures["u_waveform"].write(np.ascontiguousarray(features.waveform, np.float32))
        if "u_history" in used:
            self.textures["u_history"].write(self._history.rows)
        if "u_sound" in used:
            self._sound[0] = features.shadertoy_fft
            self._sound[1] = features.shadertoy_wave
            self.textures["u_sound"].write(self._sound)
        if self._extra:
            self._update_extra(features)

    def release(self) -> None:
        """Free the GL textures."""
        for tex in list(self.textures.values()) + list(self._extra.values()):
            tex.release()
        self.textures.clear()
        self._extra.clear()


def make_noise_texture(ctx):
    """The ``u_noise`` texture: 256x256 RGBA8 white noise, repeat wrap, linear filter."""
    tex = ctx.texture((NOISE_SIDE_PX, NOISE_SIDE_PX), 4, noise_pixels().tobytes())
    tex.repeat_x = tex.repeat_y = True
    return tex


def make_noise_cube(ctx):
    """A 64x64 RGBA8 white-noise cube map (for Shadertoy ``textureCube`` on a noise channel)."""
    side = 64
    faces = np.random.default_rng(_NOISE_SEED + 1).integers(0, 256, (6, side, side, 4), dtype=np.uint8)
    return ctx.texture_cube((side, side), 4, faces.tobytes())


BLACK_SIZE_PX = (256, 3)
"""A black channel is as big as Shadertoy's keyboard texture, so ``texelFetch`` of a key's texel
reads 0 (no key down) instead of falling outside the texture."""


def make_black_texture(ctx):
    """A black RGBA8 texture of ``BLACK_SIZE_PX`` (a channel bound to nothing, or the keyboard)."""
    w, h = BLACK_SIZE_PX
    return ctx.texture((w, h), 4, bytes(4 * w * h))


def image_bytes(image: np.ndarray) -> tuple[bytes, int]:
    """Encode an image array for upload, bottom row first (GL convention).

    ``image`` is float 0..1 (h, w), (h, w, 3) or (h, w, 4), or uint8 of the same shapes.
    Returns ``(bytes, components)``: RGBA8 for colour, R8 for single channel.
    """
    a = np.asarray(image)
    if a.dtype != np.uint8:
        a = np.clip(np.nan_to_num(a.astype(np.float32)) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 3:
        a = np.concatenate([a, np.full(a.shape[:2] + (1,), 255, np.uint8)], axis=2)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    comps = 1 if a.ndim == 2 else 4
    return np.ascontiguousarray(a[::-1]).tobytes(), comps
