"""Frequency layout of the analysis: which FFT bin feeds which band. Computed once per analyzer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reactor.features import BAND_EDGES_HZ, SPECTRUM_BINS

LOG_FMIN_HZ = 30.0
LOG_FMAX_HZ = 16000.0
LOG_BANDS_PER_OCTAVE = 12
LOW_BAND_MAX_HZ = 1000.0
VOICE_BAND_HZ = (300.0, 3400.0)
# How much each named band's flux counts toward the beat activation (per band, after dividing by
# the band's number of log bands). Chosen on the dev set (benchmarks/eval_analysis.py): halving
# sub and bass keeps off-beat bass lines from pulling the phase; halving the top band keeps
# bright hats from pulling the tempo up an octave. Mean beat F over 20 grooves: 0.72 with
# (1, 1, .6, .5, .3, .15), 0.81 all equal, 0.88 with these.
ACTIVATION_IMPORTANCE = (0.5, 0.5, 1.0, 1.0, 1.0, 0.5)


@dataclass(frozen=True)
class SpectralLayout:
    """Precomputed bin maps for a window length and sample rate (all arrays read-only in use)."""

    window: int
    win: np.ndarray  # Hann window (window,)
    mag_scale: float  # makes a full-scale sine read ~1.0
    bin_logband: np.ndarray  # int64 (n_bins,), -1 outside 30 Hz..16 kHz
    n_logbands: int
    logband_named: np.ndarray  # int64 (n_logbands,)
    n_low: int  # log bands below LOW_BAND_MAX_HZ (they come first)
    bin_named: np.ndarray  # int64 (n_bins,)
    lb_edges: np.ndarray  # int64 (n_logbands + 1,): log band b is bins lb_edges[b]:lb_edges[b+1]
    nb_edges: np.ndarray  # int64 (7,): the same for the named bands
    bin_log2f: np.ndarray  # float64 (n_bins,)
    voice_lo: int
    voice_hi: int
    act_weights: np.ndarray  # float64 (6,)
    spec64_weights: np.ndarray  # float64 (SPECTRUM_BINS, n_bins), rows sum to 1
    spec64_tilt_db: np.ndarray  # float64 (SPECTRUM_BINS,), +3 dB/octave so music reads flat


def make_layout(*, window: int, sample_rate_hz: int) -> SpectralLayout:
    """Build the layout for a ``window``-sample FFT at ``sample_rate_hz``."""
    n_bins = window // 2 + 1
    f = np.arange(n_bins) * sample_rate_hz / window
    f_safe = np.maximum(f, 1e-3)
    in_log = (f >= LOG_FMIN_HZ * 2 ** (-1 / 24)) & (f <= LOG_FMAX_HZ) & (f > 0)
    raw = np.floor(LOG_BANDS_PER_OCTAVE * np.log2(f_safe / LOG_FMIN_HZ) + 0.5).astype(np.int64)
    uniq = np.unique(raw[in_log])
    bin_logband = np.full(n_bins, -1, dtype=np.int64)
    bin_logband[in_log] = np.searchsorted(uniq, raw[in_log])
    centres = LOG_FMIN_HZ * 2.0 ** (uniq / LOG_BANDS_PER_OCTAVE)
    logband_named = np.array([_named(c) for c in centres], dtype=np.int64)
    bin_named = np.array([_named(x) if 20.0 <= x <= 20000.0 else -1 for x in f], dtype=np.int64)
    counts = np.bincount(logband_named, minlength=6).astype(np.float64)
    act = np.array(ACTIVATION_IMPORTANCE) / np.maximum(counts, 1.0)
    lo = int(np.searchsorted(f, VOICE_BAND_HZ[0]))
    hi = int(np.searchsorted(f, VOICE_BAND_HZ[1]))
    win = np.hanning(window + 1)[:-1]  # periodic Hann
    return SpectralLayout(
        window=window, win=win, mag_scale=2.0 / win.sum(), bin_logband=bin_logband,
        n_logbands=len(uniq), logband_named=logband_named, n_low=int(np.sum(centres < LOW_BAND_MAX_HZ)),
        bin_named=bin_named, lb_edges=_edges(bin_logband, len(uniq)), nb_edges=_edges(bin_named, 6),
        bin_log2f=np.log2(f_safe), voice_lo=lo, voice_hi=max(hi, lo + 1),
        act_weights=act, spec64_weights=_spec64(f), spec64_tilt_db=_tilt(),
    )


def _edges(bin_band: np.ndarray, n_bands: int) -> np.ndarray:
    """Start bin of each band plus the end of the last, for a non-decreasing band-per-bin map."""
    idx = np.flatnonzero(bin_band >= 0)
    bands = bin_band[idx]
    if np.any(np.diff(bands) < 0) or np.any(np.diff(idx) != 1):
        raise ValueError("band map is not contiguous and ascending")
    starts = idx[0] + np.searchsorted(bands, np.arange(n_bands + 1))
    return starts.astype(np.int64)


def _named(freq_hz: float) -> int:
    for k, (lo, hi) in enumerate(BAND_EDGES_HZ):
        if freq_hz < hi:
            return k
    return len(BAND_EDGES_HZ) - 1


def spectrum_centres_hz() -> np.ndarray:
    """Centre frequencies of the ``SPECTRUM_BINS`` log-spaced spectrum bins."""
    return LOG_FMIN_HZ * (LOG_FMAX_HZ / LOG_FMIN_HZ) ** ((np.arange(SPECTRUM_BINS) + 0.5) / SPECTRUM_BINS)


def _spec64(f: np.ndarray) -> np.ndarray:
    """Triangular filters on a log axis, never narrower than 1.5 FFT bins (low bins interpolate)."""
    c = np.log2(spectrum_centres_hz())
    step = c[1] - c[0]
    lf = np.log2(np.maximum(f, 1e-3))
    df = f[1] - f[0]
    w = np.zeros((SPECTRUM_BINS, f.shape[0]))
    for i, ci in enumerate(c):
        fc = 2.0 ** ci
        width_lin = max(1.5 * df, fc * (2.0 ** step - 1.0))
        tri_log = np.clip(1.0 - np.abs(lf - ci) / step, 0.0, None)
        tri_lin = np.clip(1.0 - np.abs(f - fc) / width_lin, 0.0, None)
        row = np.maximum(tri_log, tri_lin) * (f > 0)
        w[i] = row / max(row.sum(), 1e-12)
    return w


def _tilt() -> np.ndarray:
    return 3.0 * np.log2(spectrum_centres_hz() / 1000.0)
