"""Frame statistics of a live run: intervals, work times, late frames (for the HUD and --stats-json)."""

from __future__ import annotations

from collections import deque
from itertools import islice

import numpy as np

LATE_FACTOR = 1.5
"""A frame is late when its interval exceeds this many target periods (a visibly skipped frame)."""
_KEEP = 100_000  # frames kept for percentiles (about half an hour at 60 fps)


class FrameStats:
    """Collects per-frame times on the main thread.

    Parameters
    ----------
    period_s : float
        The target frame period (late frames are judged against it).
    """

    def __init__(self, *, period_s: float) -> None:
        self.period_s = float(period_s)
        self.frames = 0
        self.late_frames = 0
        self.intervals_s: deque[float] = deque(maxlen=_KEEP)
        self.work_s: deque[float] = deque(maxlen=_KEEP)
        self.first_s: float | None = None
        self.last_s: float | None = None

    def add(self, *, end_s: float, work_s: float) -> float:
        """Record a frame that finished (swapped) at ``end_s``; returns its interval (0 for the first)."""
        interval = 0.0 if self.last_s is None else end_s - self.last_s
        if self.last_s is None:
            self.first_s = end_s
        else:
            self.intervals_s.append(interval)
            if interval > LATE_FACTOR * self.period_s:
                self.late_frames += 1
        self.last_s = end_s
        self.work_s.append(work_s)
        self.frames += 1
        return interval

    def recent(self, n: int = 60) -> dict[str, float]:
        """fps and frame/work ms of the last ``n`` frames (HUD)."""
        iv = list(islice(reversed(self.intervals_s), n))  # the newest n, without copying 100,000
        wk = list(islice(reversed(self.work_s), n))
        if not iv:
            return {"fps": 0.0, "frame_ms": 0.0, "work_ms": 0.0, "frame_ms_p99": 0.0}
        siv, swk = sorted(iv), sorted(wk)  # plain Python: numpy's per-call cost is ~10x on 60 values
        return {"fps": len(iv) / max(sum(iv), 1e-9), "frame_ms": 1e3 * _quantile(siv, 0.5),
                "work_ms": 1e3 * _quantile(swk, 0.5), "frame_ms_p99": 1e3 * _quantile(siv, 0.99)}

    def summary(self) -> dict[str, float]:
        """``frames``, ``frame_ms_p50``, ``frame_ms_p99``, ``frame_ms_max``, ``late_frames``, ``fps``,
        ``work_ms_p50``, ``work_ms_p99`` (work: the frame's own time, without pacing waits)."""
        iv = np.asarray(self.intervals_s, dtype=np.float64) * 1e3
        wk = np.asarray(self.work_s, dtype=np.float64) * 1e3
        span = (self.last_s - self.first_s) if self.frames > 1 else 0.0
        pct = (lambda a, q: float(np.percentile(a, q)) if a.size else 0.0)
        return {"frames": self.frames, "frame_ms_p50": pct(iv, 50), "frame_ms_p99": pct(iv, 99),
                "frame_ms_max": float(iv.max()) if iv.size else 0.0, "late_frames": self.late_frames,
                "fps": (self.frames - 1) / span if span > 0 else 0.0,
                "work_ms_p50": pct(wk, 50), "work_ms_p99": pct(wk, 99)}


def _quantile(ordered: list[float], q: float) -> float:
    """The ``q`` quantile of sorted values, interpolated as ``numpy.quantile`` does by default."""
    if not ordered:
        return 0.0
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))
