"""Frame pacing and automatic render scale: pure logic on measured times, no GL, no sleeping here.

``FramePacer`` decides whether vsync really blocks (on Xvfb and some drivers a swap with interval
1 returns at once) by looking at the frame intervals of the first frames; where it does not, or
where ``--fps`` asks for less than the display's rate, the loop sleeps until ``deadline()``.

``AutoScale`` lowers the internal render scale when frames run late and raises it again when
there is headroom, with hysteresis and a hold time so it does not oscillate.
"""

from __future__ import annotations

import statistics
from collections import deque

VSYNC_PROBE_FRAMES = 20
"""Frames measured before deciding whether vsync blocks."""
VSYNC_FAST_RATIO = 0.8
"""Vsync is taken as not blocking when the median interval is under this share of the refresh period."""

SWAP_WAIT_S = 0.002
"""A swap that blocks for less than this on every probed frame is not waiting for vsync."""

SCALE_LEVELS = (1.0, 0.85, 0.75, 0.67, 0.5, 0.4, 0.33, 0.25)
"""Render scales ``AutoScale`` steps through (share of the output size per side)."""
LATE_SHARE = 0.95
"""Step down when the 80th-percentile work time exceeds this share of the frame budget."""
HEADROOM_SHARE = 0.7
"""Step up when the work predicted at the next level up stays under this share of the budget."""
HOLD_S = 1.5
"""Seconds after a change before the next one (so a change is measured before it is judged)."""
WINDOW_FRAMES = 30


class FramePacer:
    """When to start the next frame.

    Parameters
    ----------
    target_fps : float
        Wanted rate (the display's refresh rate, or ``--fps``).
    refresh_hz : float
        The display's refresh rate.
    """

    def __init__(self, *, target_fps: float, refresh_hz: float) -> None:
        self.period_s = 1.0 / float(target_fps)
        self.refresh_hz = float(refresh_hz)
        self._intervals: list[float] = []
        self._swaps: list[float] = []
        self._decided = target_fps < 0.95 * refresh_hz  # asked for less than vsync gives: pace
        self.self_paced = self._decided
        self._next: float | None = None

    def frame_done(self, now_s: float, interval_s: float, swap_s: float = 0.0) -> None:
        """Record a finished frame: its interval since the last one and how long its swap blocked.

        Vsync blocks when frames come no faster than the refresh rate *and* swaps wait: frames
        faster than the refresh, or swaps that (nearly) never wait though the frame's work left
        time to spare, mean the loop must pace itself.
        """
        if interval_s <= 0.0:
            return
        period = 1.0 / self.refresh_hz
        if not self._decided:
            self._intervals.append(interval_s)
            self._swaps.append(swap_s)
            if len(self._intervals) >= VSYNC_PROBE_FRAMES:
                fast = statistics.median(self._intervals) < VSYNC_FAST_RATIO * period
                # median, not max: on a loaded machine a swap is sometimes slow for other reasons
                never_waits = statistics.median(self._swaps) < SWAP_WAIT_S
                self.self_paced = fast or never_waits
                self._decided = True
                self._intervals = []
        elif not self.self_paced:
            # trusted vsync, but frames come faster than the display: it is not blocking after all
            self._intervals.append(interval_s)
            if len(self._intervals) >= 3 * VSYNC_PROBE_FRAMES:
                if statistics.median(self._intervals) < VSYNC_FAST_RATIO * period:
                    self.self_paced = True
                self._intervals = []

    def deadline(self, now_s: float) -> float | None:
        """Perf-counter time to sleep until before the next frame, or None (vsync paces us)."""
        if not self.self_paced:
            return None
        if self._next is None or now_s - self._next > self.period_s:
            self._next = now_s  # first frame, or running late by a whole frame: resync, no burst
        self._next += self.period_s
        return self._next

    @property
    def mode(self) -> str:
        """``"vsync"``, ``"self-paced"`` or ``"probing"`` (for the HUD and stats)."""
        if not self._decided:
            return "probing"
        return "self-paced" if self.self_paced else "vsync"


class AutoScale:
    """Choose a render scale from recent work times (render + composite, without waiting).

    Parameters
    ----------
    budget_s : float
        The frame period to fit in.
    start : float
        Initial scale (snapped to the nearest level).
    """

    def __init__(self, *, budget_s: float, start: float = 1.0) -> None:
        self.budget_s = float(budget_s)
        self._i = min(range(len(SCALE_LEVELS)), key=lambda i: abs(SCALE_LEVELS[i] - start))
        self._work: deque[float] = deque(maxlen=WINDOW_FRAMES)
        self._since_change_s = 0.0
        self.last_change = ""

    @property
    def scale(self) -> float:
        return SCALE_LEVELS[self._i]

    def update(self, work_s: float, dt_s: float) -> float | None:
        """Add one frame's work time; returns a new scale when it should change, else None."""
        self._work.append(work_s)
        self._since_change_s += dt_s
        if len(self._work) < WINDOW_FRAMES or self._since_change_s < HOLD_S:
            return None
        p80 = sorted(self._work)[int(0.8 * (len(self._work) - 1))]
        if p80 > LATE_SHARE * self.budget_s and self._i < len(SCALE_LEVELS) - 1:
            return self._move(+1, f"frames late ({p80 * 1e3:.0f} ms > {self.budget_s * 1e3:.0f} ms)")
        if self._i > 0:
            up = SCALE_LEVELS[self._i - 1]
            predicted = p80 * (up / self.scale) ** 2  # work scales with pixels
            if predicted < HEADROOM_SHARE * self.budget_s:
                return self._move(-1, f"headroom ({p80 * 1e3:.0f} ms of {self.budget_s * 1e3:.0f} ms)")
        return None

    def _move(self, step: int, why: str) -> float:
        old = self.scale
        self._i += step
        self._work.clear()
        self._since_change_s = 0.0
        self.last_change = f"scale {old:g} -> {self.scale:g}: {why}"
        return self.scale
