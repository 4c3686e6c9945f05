"""The Web Audio ``AnalyserNode`` rows that Shadertoy puts in its sound texture.

Shadertoy's sound input is a 512x2 texture: row 0 is ``getByteFrequencyData`` of an analyser
with ``fftSize = 2048`` (first 512 of 1024 bins), row 1 is ``getByteTimeDomainData`` (first 512
samples of the 2048-sample window). Per the Web Audio specification: Blackman window
(alpha = 0.16), magnitudes |X[k]| / N, smoothed over successive calls with
``smoothingTimeConstant`` 0.8, converted with 20*log10, mapped from [minDecibels, maxDecibels] =
[-100, -30] dB to 0..255 and truncated to bytes. Time-domain bytes are 128 * (1 + x), truncated.
A browser smooths once per ``getByteFrequencyData`` call, i.e. once per displayed frame. Here the
smoothing advances at a fixed audio-time cadence of ``FRAME_HZ`` (a 60 Hz display) as samples are
consumed, so the row is the same whatever the picture's frame rate, and reading it is pure.
"""

from __future__ import annotations

import numpy as np

FFT_SIZE = 2048
BINS = 512
FRAME_HZ = 60.0
"""Audio-time cadence of the smoothing (one browser frame at 60 Hz)."""


def blackman(n: int) -> np.ndarray:
    """The Web Audio Blackman window (alpha 0.16) of length ``n``."""
    k = np.arange(n) / n
    return 0.42 - 0.5 * np.cos(2 * np.pi * k) + 0.08 * np.cos(4 * np.pi * k)


class WebAudioAnalyser:
    """Stateful per-frame analyser: ``step(last_2048_mono) -> (fft_row, wave_row)`` in 0..1."""

    def __init__(self, *, smoothing: float = 0.8, min_db: float = -100.0, max_db: float = -30.0) -> None:
        if not 0.0 <= smoothing < 1.0:
            raise ValueError("smoothing must be in [0, 1)")
        if min_db >= max_db:
            raise ValueError("min_db must be below max_db")
        self._window = blackman(FFT_SIZE)
        self._smooth = np.zeros(FFT_SIZE // 2)
        self._tau = smoothing
        self._fft_row: np.ndarray | None = None
        self._min_db = min_db
        self._max_db = max_db

    def advance(self, frames: np.ndarray) -> None:
        """Smooth over a run of windows ``(k, FFT_SIZE)`` (older first); the FFT is one batch call."""
        if frames.shape[0] == 0:
            return
        mag = np.abs(np.fft.rfft(frames * self._window, axis=1))[:, : FFT_SIZE // 2] / FFT_SIZE
        for row in mag:
            self._smooth = self._tau * self._smooth + (1.0 - self._tau) * row
        self._fft_row = None

    def fft_row(self) -> np.ndarray:
        """The byte-frequency row of the current smoothing state, 0..1 (a pure read, cached)."""
        if self._fft_row is None:
            with np.errstate(divide="ignore"):
                db = 20.0 * np.log10(self._smooth[:BINS])
            scaled = 255.0 / (self._max_db - self._min_db) * (db - self._min_db)
            row = (np.floor(np.clip(scaled, 0.0, 255.0)) / 255.0).astype(np.float32)
            row.flags.writeable = False
            self._fft_row = row
        return self._fft_row

    @staticmethod
    def wave_row(mono: np.ndarray) -> np.ndarray:
        """The byte time-domain row of the first ``BINS`` of the latest ``FFT_SIZE`` samples, 0..1."""
        x = np.asarray(mono, dtype=np.float64)
        return (np.floor(np.clip(128.0 * (1.0 + x[:BINS]), 0.0, 255.0)) / 255.0).astype(np.float32)

    def step(self, mono: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Analyse the most recent ``FFT_SIZE`` mono samples (older first).

        Returns two float32 arrays of ``BINS`` values in 0..1 (byte value / 255).
        """
        x = np.asarray(mono, dtype=np.float64)
        if x.shape != (FFT_SIZE,):
            raise ValueError(f"need exactly {FFT_SIZE} samples, got {x.shape}")
        self.advance(x[None, :])
        return self.fft_row().copy(), self.wave_row(x)
