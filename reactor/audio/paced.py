"""A silent clock source: a clip "played" against ``perf_counter`` instead of a sound device.

``reactor live --audio-out none`` and the headless tests and benchmarks use it: the picture runs
exactly as with playback (same ``LiveSource`` interface: ``poll()`` returns the samples since the
last poll and the clock time of what would be heard now), but nothing is heard and no sound
library is needed. Single-threaded: everything happens in ``poll()`` on the caller's thread.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np


class PacedSource:
    """Serve ``clip`` at real-time pace from ``clock`` (perf_counter by default).

    Parameters
    ----------
    clip : AudioClip
        ``samples`` (n, channels) float32 and ``sample_rate_hz``.
    loop : bool
        Start again at the end (the clock keeps rising; positions wrap).
    clock : callable () -> float
        Seconds, monotonic (injected for tests).
    """

    def __init__(self, clip, *, loop: bool = False, clock: Callable[[], float] = time.perf_counter) -> None:
        self._samples = np.ascontiguousarray(clip.samples, dtype=np.float32)
        self.sample_rate_hz = int(clip.sample_rate_hz)
        self.channels = int(self._samples.shape[1])
        self.name = "silent clock (no audio output)"
        self.loop = bool(loop)
        self._clock = clock
        self._t0: float | None = None
        self.started_s: float | None = None  # clock reading at start() (clip time 0), for benchmarks
        self._done = 0  # samples handed out so far (absolute, across loops)
        self.finished = False

    def start(self) -> None:
        """Start the clock at position 0."""
        self._t0 = self.started_s = self._clock()

    def _position(self) -> int:
        if self._t0 is None:
            return 0
        return int((self._clock() - self._t0) * self.sample_rate_hz)

    def poll(self) -> tuple[np.ndarray, float]:
        """Samples since the last poll (n, channels) and the clock time now (seconds, monotonic)."""
        n = len(self._samples)
        pos = self._position()
        if not self.loop:
            pos = min(pos, n)
            self.finished = pos >= n
        start, self._done = self._done, max(self._done, pos)
        if self._done == start:
            block = np.zeros((0, self.channels), np.float32)
        elif self.loop:
            idx = np.arange(start, self._done) % n
            block = self._samples[idx]
        else:
            block = self._samples[start:self._done]
        return block, self._done / self.sample_rate_hz

    def stats(self) -> dict:
        """Same keys as the device sources: no device, so no xruns and no latency."""
        return {"xruns": 0, "input_latency_ms": 0.0, "output_latency_ms": 0.0,
                "status": "finished" if self.finished else "running", "device": "none"}

    def messages(self) -> list[str]:
        """No warnings ever."""
        return []

    def close(self) -> None:
        """Nothing to release."""
        self._t0 = None
