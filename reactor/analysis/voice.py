"""Mouth shapes from a voice: how far the jaw opens, how wide the lips spread, and when they close.

Per hop, from the analyzer's magnitude spectrum (no extra FFT):

- **voicing** (0..1): cepstral peak prominence in the pitch range 80-500 Hz. A voiced vowel
  (sung or spoken) has a strong harmonic comb and a clear cepstral peak; consonants, drums,
  noise and dense mixes do not. Smoothed over ~30 ms.
- **vowel_open** (0..1): how open the mouth is. A voice over a music bed shows as energy in
  the speech band (300-3400 Hz, 12 log bands) rising above the bed's recent level in each band;
  the bed is tracked per band (rising with a ~0.8 s, falling with a ~4 s time constant, frozen
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

import numpy as np

PITCH_RANGE_HZ = (80.0, 500.0)
SPEECH_BAND_HZ = (250.0, 3400.0)
F1_BAND_HZ = (250.0, 1100.0)
F2_BAND_HZ = (900.0, 2900.0)
CPP_VOICED = (0.12, 0.45)
"""Cepstral peak prominence (natural-log units) mapped to voicing 0..1."""
SPEECH_BANDS = 12
BED_UP_S, BED_DOWN_S = 0.8, 4.0
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
        self._bands = [_band(freqs, lo, hi) for lo, hi in zip(edges[:-1], edges[1:])]
        self._f1 = _band(freqs, *F1_BAND_HZ)
        self._f2 = _band(freqs, *F2_BAND_HZ)
        self._q = slice(int(sample_rate_hz / PITCH_RANGE_HZ[1]), int(sample_rate_hz / PITCH_RANGE_HZ[0]) + 1)
        self._a_att = -math.expm1(-hop_s / ATTACK_S)
        self._a_rel = -math.expm1(-hop_s / RELEASE_S)
        self._a_voc = -math.expm1(-hop_s / VOICING_TAU_S)
        self._a_up = -math.expm1(-hop_s / BED_UP_S)
        self._a_down = -math.expm1(-hop_s / BED_DOWN_S)
        self._bed_db: np.ndarray | None = None
        self._voicing = 0.0
        self._open = 0.0
        self._spread = 0.0
        self._f1_hz = 0.0
        self._f2_hz = 0.0

    def step(self, mag: np.ndarray, gate_open: np.ndarray | None = None) -> np.ndarray:
        """Consume magnitude spectra ``(n, window // 2 + 1)``; returns vowel_open per hop."""
        p = np.asarray(mag, np.float64) ** 2
        logp = np.log(p + 1e-12)
        ceps = np.fft.irfft(logp, n=self.window, axis=1)
        region = ceps[:, self._q]
        cpp = region.max(axis=1) - np.median(region, axis=1)
        voiced = np.clip((cpp - CPP_VOICED[0]) / (CPP_VOICED[1] - CPP_VOICED[0]), 0.0, 1.0)
        bands_db = 10.0 * np.log10(np.stack([p[:, b].sum(axis=1) for b in self._bands], axis=1) + 1e-20)
        f1 = self._centroid(p, self._f1)
        f2 = self._centroid(p, self._f2)
        out = np.empty(len(p))
        for i in range(len(p)):  # scalar envelopes; a few hops per video frame
            g = 1.0 if gate_open is None else float(gate_open[i])
            self._voicing += self._a_voc * (voiced[i] * g - self._voicing)
            if self._bed_db is None and g:  # the first sound is the bed (a song's intro does not sing)
                self._bed_db = bands_db[i].copy()
            target = 0.0
            if g and self._bed_db is not None:
                d = bands_db[i] - self._bed_db
                excess = float(np.clip(d - EXCESS_DB[0], 0.0, 18.0).mean())
                self._bed_db += np.where(d > 0.0, self._a_up, self._a_down) * d
                jaw = 0.45 + 0.55 * min(1.0, max(0.0, (f1[i] - 300.0) / 450.0))
                target = min(1.0, excess / (EXCESS_DB[1] - EXCESS_DB[0])) * jaw
            a = self._a_att if target > self._open else self._a_rel
            self._open += a * (target - self._open)
            spread_t = min(1.0, max(-1.0, (f2[i] - 1500.0) / 700.0)) * min(1.0, 3.0 * self._open)
            self._spread += self._a_rel * (spread_t - self._spread)
            if self._voicing > 0.3:
                self._f1_hz, self._f2_hz = float(f1[i]), float(f2[i])
            elif self._voicing < 0.1:
                self._f1_hz = self._f2_hz = 0.0
            out[i] = self._open
        return out

    def _centroid(self, p: np.ndarray, band: slice) -> np.ndarray:
        w = p[:, band]
        return (w * self._freqs[band]).sum(axis=1) / (w.sum(axis=1) + 1e-30)

    def scalars(self) -> dict[str, float]:
        """The mouth features of the latest hop."""
        return {"voicing": self._voicing, "vowel_open": self._open, "vowel_spread": self._spread,
                "f1_hz": self._f1_hz, "f2_hz": self._f2_hz}
