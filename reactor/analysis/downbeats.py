"""Bar phase and meter from beat-synchronous cues (runs once per beat, in Python).

Each beat gets a cue: how much the low-frequency harmonic content changed from the previous beat
(chords and bass notes change on downbeats) plus the low-band hit at the beat (kicks favour the
one). For each meter (3 or 4 beats) and each offset, a leaky average of the cue at that bar
position is kept; the hypothesis whose position stands out most from the others wins.
Confidence is that contrast, squashed to 0..1: causal downbeat tracking is unreliable (published
causal systems score around F 0.5), so pictures should ignore bar phase when confidence is low.
"""

from __future__ import annotations

import numpy as np

METERS = (3, 4)


class DownbeatTracker:
    """Stateful per-beat stepper; ``step(beat_vec, low_hit)`` returns (position_in_bar, meter, confidence)."""

    def __init__(self, *, memory_beats: float = 16.0) -> None:
        if memory_beats <= 1.0:
            raise ValueError("memory_beats must be > 1")
        self._decay = float(np.exp(-1.0 / memory_beats))
        # plain lists: a handful of numbers per beat, where numpy's per-call overhead dominates
        self._scores = {m: [0.0] * m for m in METERS}
        self._counts = {m: [0.0] * m for m in METERS}
        self._prev: np.ndarray | None = None
        self._index = 0  # beats seen
        self.meter = 4
        self.position = 0  # 0 = downbeat
        self.confidence = 0.0

    def step(self, beat_vec: np.ndarray, low_hit: float) -> tuple[int, int, float]:
        """Advance by one beat.

        Parameters
        ----------
        beat_vec : float (k,)
            Mean log-band magnitudes (low bands) over the beat that just ended.
        low_hit : float
            Low-band transient strength 0..1 at this beat.
        """
        novelty = 0.0
        if self._prev is not None:
            d = np.maximum(beat_vec - self._prev, 0.0)
            novelty = float(np.sqrt(np.dot(d, d) / d.size))
        self._prev = beat_vec.copy()
        cue = novelty + 0.5 * float(low_hit)
        best = (-1e9, 4, 0)
        decay = self._decay
        for m in METERS:
            scores, counts = self._scores[m], self._counts[m]
            slot = self._index % m
            k = 0
            top = -1e30
            total = 0.0
            for i in range(m):
                scores[i] *= decay
                counts[i] *= decay
                if i == slot:
                    scores[i] += cue
                    counts[i] += 1.0
                mean = scores[i] / counts[i] if counts[i] > 1e-9 else 0.0
                total += mean
                if mean > top:
                    top, k = mean, i
            others = (total - top) / (m - 1)
            contrast = (top - others) / (total / m + 1e-9)
            if m == 3:
                contrast *= 0.85  # 4/4 is far more common: ask 3/4 to win clearly
            if contrast > best[0]:
                best = (contrast, m, k)
        contrast, meter, k = best
        self.meter = meter
        self.position = (self._index - k) % meter
        warm = min(1.0, self._index / (2.0 * meter))
        self.confidence = float(min(1.0, max(0.0, contrast / 0.6)) * warm)
        self._index += 1
        return self.position, self.meter, self.confidence
