"""The poster frame: the most characteristic frame of a clip, saved as a PNG to share.

``PosterPicker`` watches every rendered frame's features and keeps a copy of the best one so
far (one copy at a time, made only when a better frame comes): loud (as heard), on a beat, a
mouth open if there is one, and not in the first second while the picture settles.
"""

from __future__ import annotations

import numpy as np

SETTLE_S = 1.0


def poster_score(scalars) -> float:
    """How characteristic a frame is, from its features (higher is better)."""
    return (float(scalars.get("loudness", 0.0)) + 0.4 * float(scalars.get("beat_pulse", 0.0))
            + 0.3 * float(scalars.get("onset", 0.0)) + 0.5 * float(scalars.get("vowel_open", 0.0)))


class PosterPicker:
    """Keeps the best frame seen (main thread)."""

    def __init__(self) -> None:
        self.best_score = -np.inf
        self.best_time_s = 0.0
        self.frame: np.ndarray | None = None

    def offer(self, time_s: float, scalars, rgb: np.ndarray) -> None:
        score = poster_score(scalars) - (10.0 if time_s < SETTLE_S else 0.0)
        if self.frame is None or score > self.best_score:
            self.best_score, self.best_time_s, self.frame = score, time_s, np.array(rgb, copy=True)

    def save(self, path: str) -> None:
        from PIL import Image

        if self.frame is not None:
            Image.fromarray(self.frame).save(path)
