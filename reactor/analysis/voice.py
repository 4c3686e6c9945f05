"""Mouth shapes from a voice: how far the jaw opens, how wide the lips spread, and when they close.

Per hop, from the analyzer's magnitude spectrum (no extra FFT):

- **voicing** (0..1): cepstral peak prominence in the pitch range 80-500 Hz (a weak cue: on
  real mixes it separates a voice from the band only a little; it does not gate the mouth). A voiced vowel
  (sung or spoken) has a strong harmonic comb and a clear cepstral peak; consonants, drums,
  noise and dense mixes do not. Smoothed over ~30 ms.
- **vowel_open** (0..1): how open the mouth is. A voice over a music bed shows as energy in
  the speech band (300-3400 Hz, 12 log bands) rising above the bed's recent level in each band;
  the bed is tracked per band (rising with a ~1.2 s, falling with a ~4 s time constant, frozen
  while the input is gated silent; the first sound heard is taken as the bed), so sustained instruments settle into it while syllables,
  200-300 ms each, stand out of it. Fast attack, ~60 ms release: the mouth closes between
  syllables and stays shut in silence and (mostly) under steady instrumental parts. The jaw
  follows the first formant: open vowels (/a/, F1 ~ 700-1000 Hz) open wider than close ones
  (/i/, /u/, F1 ~ 300 Hz).
- **vowel_spread** (-1..1): lip spread from the second formant: /i/ and /e/ (F2 ~ 2-2.5 kHz)
  spread the lips (+1), /u/ and /o/ (F2 ~ 0.8-1 kHz) round them (-1); 0 when closed.
- **f1_hz**, **f2_hz**: rough first and second formant estimates (spectral centroids of the F1
  and F2 regions), 0 when unvoiced.

These are crude, cheap estimates for animation (no LPC, no source separation): a new
instrument entering in the speech band, or music restarting at a new level, opens the mouth
for about a second until the bed catches up. Threading: belongs to the analyzer thread.
"""

from __future__ import annotations

import math

import numba
import numpy as np

PITCH_RANGE_HZ = (80.0, 500.0)
SPEECH_BAND_HZ = (250.0, 3400.0)
F1_BAND_HZ = (250.0, 1100.0)
F2_BAND_HZ = (900.0, 2900.0)
CPP_VOICED = (0.12, 0.25)
"""Cepstral peak prominence (peak over mean, natural-log units) mapped to voicing 0..1."""
SPEECH_BANDS = 12
BED_UP_S, BED_DOWN_S = 1.2, 4.0
"""Time constants of the per-band music-bed level (rising, falling)."""
EXCESS_DB = (6.0, 12.0)
"""Mean speech-band excess over the bed (dB) where the mouth starts to open, and is fully open."""
ATTACK_S, RELEASE_S = 0.015, 0.06
VOICING_TAU_S = 0.03


def _band(freqs: np.ndarray, lo: float, hi: float) -> slice:
    i0 = int(np.searchsorted(freqs, lo))
    return slice(i0, max(i0 + 1, int(np.searchsorted(freqs, hi))))


class VoiceTracker:
    """Per-hop mouth-shape features (see the module docstring).

    Parameters
    ----------
    sample_rate_hz : int
    window : int
        FFT size of the spectra passed to ``step`` (``n_bins = window // 2 + 1``).
    hop_s : float
        Seconds between spectra.
    """

    def __init__(self, *, sample_rate_hz: int, window: int, hop_s: float) -> None:
        self.window = int(window)
        freqs = np.fft.rfftfreq(self.window, 1.0 / sample_rate_hz)
        self._freqs = freqs
        edges = np.geomspace(SPEECH_BAND_HZ[0], SPEECH_BAND_HZ[1], SPEECH_BANDS + 1)
        bands = [_band(freqs, lo, hi) for lo, hi in zip(edges[:-1], edges[1:])]
        self._band_lo, self._band_hi = bands[0].start, bands[-1].stop
        self._band_starts = np.array([b.start for b in bands]) - self._band_lo  # for np.add.reduceat
        self._f1 = _band(freqs, *F1_BAND_HZ)
        self._f2 = _band(freqs, *F2_BAND_HZ)
        self._f1 = _band(freqs, *F1_BAND_HZ)
        self._f2 = _band(freqs, *F2_BAND_HZ)
        self._q = slice(int(sample_rate_hz / PITCH_RANGE_HZ[1]), int(sample_rate_hz / PITCH_RANGE_HZ[0]) + 1)
        self._a_att = -math.expm1(-hop_s / ATTACK_S)
        self._a_rel = -math.expm1(-hop_s / RELEASE_S)
        self._a_voc = -math.expm1(-hop_s / VOICING_TAU_S)
        self._a_up = -math.expm1(-hop_s / BED_UP_S)
        self._a_down = -math.expm1(-hop_s / BED_DOWN_S)
        self._bed = np.zeros(SPEECH_BANDS)  # the music bed per band, dB (valid once S_BED_SET)
        self._state = np.zeros(N_STATE)

    def step(self, power: np.ndarray, gate_open: np.ndarray | None = None) -> np.ndarray:
        """Consume power spectra ``|X|^2`` ``(n, window // 2 + 1)``; returns vowel_open per hop."""
        p = np.asarray(power, np.float64)
        if not len(p):
            return np.zeros(0)
        region = np.fft.irfft(np.log(p + 1e-12), n=self.window, axis=1)[:, self._q]
        cpp = region.max(axis=1) - region.mean(axis=1)
        voiced = np.clip((cpp - CPP_VOICED[0]) / (CPP_VOICED[1] - CPP_VOICED[0]), 0.0, 1.0)
        # row-wise sums (not BLAS products), so every hop's bits are the same for any batch size
        bands_db = 10.0 * np.log10(np.add.reduceat(p[:, self._band_lo:self._band_hi], self._band_starts, axis=1)
                                   + 1e-20)
        f1 = self._centroid(p, self._f1)
        f2 = self._centroid(p, self._f2)
        gate = np.ones(len(p)) if gate_open is None else np.asarray(gate_open, np.float64)
        out = np.empty(len(p))
        coef = np.array([self._a_voc, self._a_att, self._a_rel, self._a_up, self._a_down])
        _envelopes(bands_db, f1, f2, voiced, gate, coef, self._bed, self._state, out)
        return out

    def _centroid(self, p: np.ndarray, band: slice) -> np.ndarray:
        w = p[:, band]
        return (w * self._freqs[band]).sum(axis=1) / (w.sum(axis=1) + 1e-30)

    def scalars(self) -> dict[str, float]:
        """The mouth features of the latest hop."""
        st = self._state
        return {"voicing": float(st[S_VOICING]), "vowel_open": float(st[S_OPEN]), "vowel_spread": float(st[S_SPREAD]),
                "f1_hz": float(st[S_F1]), "f2_hz": float(st[S_F2])}


# state slots of _envelopes
S_VOICING, S_OPEN, S_SPREAD, S_F1, S_F2, S_BED_SET = range(6)
N_STATE = 6


@numba.njit(cache=True)
def _envelopes(bands_db, f1, f2, voiced, gate, coef, bed, state, out):
    """Per-hop bed tracking and mouth envelopes (see the module docstring). ``coef``: voicing,
    attack, release, bed-up and bed-down smoothing coefficients."""
    a_voc, a_att, a_rel, a_up, a_down = coef[0], coef[1], coef[2], coef[3], coef[4]
    nb = bands_db.shape[1]
    for i in range(bands_db.shape[0]):
        g = gate[i]
        state[S_VOICING] += a_voc * (voiced[i] * g - state[S_VOICING])
        if state[S_BED_SET] == 0.0 and g > 0.0:  # the first sound heard is the bed (an intro does not sing)
            for k in range(nb):
                bed[k] = bands_db[i, k]
            state[S_BED_SET] = 1.0
        target = 0.0
        if g > 0.0:
            excess = 0.0
            for k in range(nb):
                d = bands_db[i, k] - bed[k]
                excess += min(max(d - EXCESS_DB[0], 0.0), 18.0)
                bed[k] += (a_up if d > 0.0 else a_down) * d
            excess /= nb
            jaw = 0.45 + 0.55 * min(1.0, max(0.0, (f1[i] - 300.0) / 450.0))
            target = min(1.0, excess / (EXCESS_DB[1] - EXCESS_DB[0])) * jaw
        a = a_att if target > state[S_OPEN] else a_rel
        state[S_OPEN] += a * (target - state[S_OPEN])
        spread_t = min(1.0, max(-1.0, (f2[i] - 1500.0) / 700.0)) * min(1.0, 3.0 * state[S_OPEN])
        state[S_SPREAD] += a_rel * (spread_t - state[S_SPREAD])
        if state[S_VOICING] > 0.3:
            state[S_F1], state[S_F2] = f1[i], f2[i]
        elif state[S_VOICING] < 0.1:
            state[S_F1], state[S_F2] = 0.0, 0.0
        out[i] = state[S_OPEN]
