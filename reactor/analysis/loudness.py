"""Loudness as a listener hears it: K-weighted, integrated over seconds, *not* gain-normalized.

The analyzer's ``level`` follows an adaptive gain, so a crescendo is normalised away: good for
beat-level punch, wrong for "the picture swells with the music". This stepper keeps the
dynamics: it K-weights the input (the two filters of ITU-R BS.1770: a +4 dB high shelf around
1.7 kHz and a 38 Hz high-pass), sums the channels' mean squares and averages them over a sliding
window, giving LUFS-like figures:

- ``loudness_lufs``: short-term loudness, 3 s rectangular window (EBU R 128 "S"), in LUFS.
- ``loudness_momentary_lufs``: 400 ms window (EBU R 128 "M").
- ``loudness``: ``loudness_lufs`` mapped linearly from ``FLOOR_LUFS`` (0) to ``CEIL_LUFS`` (1),
  clamped, for presets to route.

No gating (BS.1770's integrated-loudness gates are for a whole programme); silence reads as
``SILENT_LUFS``. A full-scale 1 kHz sine reads -3.0 LUFS, as the standard defines.

Threading: a stepper belongs to the analyzer's thread.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.signal

SHORT_TERM_S = 3.0
MOMENTARY_S = 0.4
FLOOR_LUFS = -50.0
"""``loudness`` is 0 at and below this (a very quiet passage)."""
CEIL_LUFS = -8.0
"""``loudness`` is 1 at and above this (a loud, mastered chorus)."""
SILENT_LUFS = -120.0

_SHELF_HZ, _SHELF_DB, _SHELF_Q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
_HP_HZ, _HP_Q = 38.13547087602444, 0.5003270373238773


def k_weighting(sample_rate_hz: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(b_shelf, a_shelf, b_hp, a_hp): the two K-weighting biquads at ``sample_rate_hz``.

    Bilinear transform (pre-warped) of the analogue prototypes
    ``(Vh s^2 + Vb s w/Q + w^2) / (s^2 + s w/Q + w^2)`` with ``Vb = sqrt(Vh)``, and a 2nd-order
    high-pass; at 48 kHz they match BS.1770's published coefficients within 0.002 dB.
    """
    k = math.tan(math.pi * _SHELF_HZ / sample_rate_hz)
    vh = 10.0 ** (_SHELF_DB / 20.0)
    vb = math.sqrt(vh)
    a0 = 1.0 + k / _SHELF_Q + k * k
    b_shelf = np.array([(vh + vb * k / _SHELF_Q + k * k), 2.0 * (k * k - vh), (vh - vb * k / _SHELF_Q + k * k)]) / a0
    a_shelf = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / _SHELF_Q + k * k) / a0])
    k = math.tan(math.pi * _HP_HZ / sample_rate_hz)
    a0 = 1.0 + k / _HP_Q + k * k
    b_hp = np.array([1.0, -2.0, 1.0])
    a_hp = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / _HP_Q + k * k) / a0])
    return b_shelf, a_shelf, b_hp, a_hp


class LoudnessMeter:
    """Per-hop K-weighted loudness (see the module docstring).

    Parameters
    ----------
    sample_rate_hz : int
    channels : int
    hop_samples : int
        ``step`` takes whole hops: ``(n * hop_samples, channels)``.
    """

    def __init__(self, *, sample_rate_hz: int, channels: int, hop_samples: int) -> None:
        self.hop_samples = int(hop_samples)
        bs, as_, bh, ah = k_weighting(sample_rate_hz)
        self._sos = np.array([np.r_[bs, as_], np.r_[bh, ah]])
        self._zi = np.zeros((2, 2, channels))
        hop_s = hop_samples / sample_rate_hz
        self._n_short = max(1, int(round(SHORT_TERM_S / hop_s)))
        self._n_mom = max(1, int(round(MOMENTARY_S / hop_s)))
        self._ring = np.zeros(self._n_short)  # per-hop K-weighted power, summed over channels
        self._pos = 0
        self._filled = 0
        self.short_lufs = SILENT_LUFS
        self.momentary_lufs = SILENT_LUFS

    def step(self, x: np.ndarray) -> np.ndarray:
        """Consume whole hops ``(n * hop, channels)``; returns the short-term LUFS after each hop."""
        H = self.hop_samples
        n = x.shape[0] // H
        y, self._zi = scipy.signal.sosfilt(self._sos, x[: n * H].astype(np.float64), axis=0, zi=self._zi)
        power = (y * y).reshape(n, H, -1).mean(axis=1).sum(axis=1)
        out = np.empty(n)
        N = self._n_short
        for i in range(n):  # a short loop of scalar work per hop (a few per video frame)
            self._ring[self._pos] = power[i]
            self._pos = (self._pos + 1) % N
            self._filled = min(N, self._filled + 1)
            out[i] = self._lufs(self._ring.sum() / N)  # the window before the first 3 s holds silence
        m = self._n_mom
        recent = np.take(self._ring, np.arange(self._pos - m, self._pos) % N)
        self.short_lufs = float(out[-1]) if n else self.short_lufs
        self.momentary_lufs = self._lufs(recent.mean())
        return out

    @staticmethod
    def _lufs(mean_square: float) -> float:
        return -0.691 + 10.0 * math.log10(mean_square) if mean_square > 1e-12 else SILENT_LUFS

    def scalars(self) -> dict[str, float]:
        """The loudness features of the latest hop."""
        norm = (self.short_lufs - FLOOR_LUFS) / (CEIL_LUFS - FLOOR_LUFS)
        return {"loudness": min(1.0, max(0.0, norm)), "loudness_lufs": max(SILENT_LUFS, self.short_lufs),
                "loudness_momentary_lufs": max(SILENT_LUFS, self.momentary_lufs)}
