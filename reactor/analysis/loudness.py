"""Loudness as a listener hears it: K-weighted, integrated over seconds, *not* gain-normalized.

The analyzer's ``level`` follows an adaptive gain, so a crescendo is normalised away: good for
beat-level punch, wrong for "the picture swells with the music". This stepper keeps the
dynamics: it K-weights the input (the two filters of ITU-R BS.1770: a +4 dB high shelf around
1.7 kHz and a 38 Hz high-pass, applied to the analyzer's spectra), takes the mean square and
averages it over a sliding window, giving LUFS-like figures:

- ``loudness_lufs``: short-term loudness, 3 s rectangular window (EBU R 128 "S"), in LUFS.
- ``loudness_momentary_lufs``: 400 ms window (EBU R 128 "M").
- ``loudness``: ``loudness_lufs`` mapped linearly from ``FLOOR_LUFS`` (0) to ``CEIL_LUFS`` (1),
  clamped, for presets to route.

No gating (BS.1770's integrated-loudness gates are for a whole programme); silence reads as
``SILENT_LUFS``. A full-scale 1 kHz sine reads -3.0 LUFS, as the standard defines; tones
elsewhere read within ~1 dB of a BS.1770 meter (the weighting is applied to 21 ms spectra).

Threading: a stepper belongs to the analyzer's thread.
"""

from __future__ import annotations

import math

import numpy as np

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


def k_weight_bins(sample_rate_hz: float, window: int) -> np.ndarray:
    """|H_K(f)|^2 of the K-weighting at the rfft bins of a ``window``-sample frame."""
    b1, a1, b2, a2 = k_weighting(sample_rate_hz)
    f = np.fft.rfftfreq(window, 1.0 / sample_rate_hz)
    z = np.exp(-1j * 2.0 * np.pi * f / sample_rate_hz)  # z^-1 on the unit circle

    def response(b, a):  # a biquad's frequency response (numpy: scipy.signal costs ~1 s to import)
        return (b[0] + z * (b[1] + z * b[2])) / (a[0] + z * (a[1] + z * a[2]))

    return np.abs(response(b1, a1) * response(b2, a2)) ** 2


class LoudnessMeter:
    """Per-hop K-weighted loudness (see the module docstring), from the analyzer's spectra.

    The K-weighting is applied in the frequency domain to each hop's windowed spectrum (exact
    for sounds steady over a window, and free: the analyzer has the spectrum already). The
    analyzer analyses the channel mean, so the channel sum of BS.1770 is taken as ``channels``
    times its power: right for centred (correlated) material, up to 3 dB low for wide stereo.

    Parameters
    ----------
    sample_rate_hz : int
    channels : int
    window : int
        Frame size of the spectra passed to ``step``.
    window_sum_sq : float
        Sum of the squared analysis window (to turn spectral energy into mean square).
    hop_s : float
    """

    def __init__(self, *, sample_rate_hz: int, channels: int, window: int, window_sum_sq: float,
                 hop_s: float) -> None:
        bins = k_weight_bins(sample_rate_hz, window)
        bins[1:-1] *= 2.0  # one-sided spectrum: the negative frequencies count too
        self._weights = bins * channels / (window * window_sum_sq)
        self._n_short = max(1, int(round(SHORT_TERM_S / hop_s)))
        self._n_mom = max(1, int(round(MOMENTARY_S / hop_s)))
        self._recent = np.zeros(self._n_short)  # the last 3 s of per-hop powers, oldest first
        self.short_lufs = SILENT_LUFS
        self.momentary_lufs = SILENT_LUFS

    def step(self, power_spectra: np.ndarray) -> np.ndarray:
        """Consume ``|X|^2`` spectra ``(n, window // 2 + 1)``; returns the short-term LUFS per hop."""
        p = (power_spectra * self._weights).sum(axis=1)  # per row, not BLAS: same bits for any batch
        N = self._n_short
        hist = np.concatenate([self._recent, p])
        # each window summed on its own (same values, same order): bit-identical per hop
        # whatever the block sizes; the window before the first 3 s holds silence
        short = np.array([hist[j + 1:j + 1 + N].sum() for j in range(len(p))]) / N
        self._recent = hist[-N:]
        out = _lufs(short)
        if len(p):
            self.short_lufs = float(out[-1])
            self.momentary_lufs = float(_lufs(np.array([self._recent[-self._n_mom:].mean()]))[0])
        return out

    def scalars(self) -> dict[str, float]:
        """The loudness features of the latest hop."""
        norm = (self.short_lufs - FLOOR_LUFS) / (CEIL_LUFS - FLOOR_LUFS)
        return {"loudness": min(1.0, max(0.0, norm)), "loudness_lufs": max(SILENT_LUFS, self.short_lufs),
                "loudness_momentary_lufs": max(SILENT_LUFS, self.momentary_lufs)}


def _lufs(mean_square: np.ndarray) -> np.ndarray:
    ms = np.maximum(mean_square, 1e-30)
    return np.where(mean_square > 1e-12, -0.691 + 10.0 * np.log10(ms), SILENT_LUFS)
