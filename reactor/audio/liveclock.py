"""The live clock: a smooth, monotonic audio position between audio callbacks.

Audio callbacks arrive in bursts (PortAudio blocks of 256 inside JACK periods of 512, a busy
scheduler), so the audio position they report is a jittery staircase. The picture runs at
display rate (60-144 Hz) and wants ``dt`` that does not jitter with the block size. ``LiveClock``
keeps a line ``position = y0 + slope * (perf - p0)`` that is continuous in ``perf_counter`` time
and steers its slope towards each observation instead of stepping:

- small errors (block jitter, a sound card's crystal a little off) are worked off over
  ``slew_time_s`` with at most ``max_slew`` change of pace (2 %: smooth ``dt``);
- larger ones (the sound stalled: an overloaded server, a glitch) are caught up within about
  ``FAST_TIME_S`` more, so the picture stays within a frame of what is heard;
- forward jumps over ``snap_s`` (a reopened device) jump; the clock never runs backwards, so
  when the sound is far behind it holds until the sound catches up.

The gain is continuous in the error, so the pace changes gradually between the regimes.

The line's base pace is not 1 but the device's own rate, estimated slowly from the
observations (audio seconds per ``perf_counter`` second over the last ``RATE_WINDOW_S``): a
sound card whose crystal is 0.01 % off, or a JACK server that cannot keep real time on a
loaded machine (measured here: 2-5 % slow), consumes its samples at that rate, and the picture
follows what is consumed with no standing error; the correction above only works off jitter
and stalls on top of it.

Threading: render thread only. The audio callback stores (position, perf time) pairs; the source
hands them to :meth:`LiveClock.observe` from the render thread.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Callable

SLEW_TIME_S = 0.5
"""Small observation errors are corrected over this long (longer: smoother dt, slower lock)."""
MAX_SLEW = 0.02
"""Most the pace may change for small errors (2 %: dt within 2 % of real time)."""
FAST_TIME_S = 0.1
"""Errors beyond ``MAX_SLEW * SLEW_TIME_S`` (10 ms) are worked off this fast on top."""
MAX_CORRECTION = 0.5
"""The pace stays within 50 % of real time while catching up (never stops, never doubles)."""
SNAP_S = 0.1
"""A forward error larger than this is a jump (seek, reopened device): the clock jumps too."""
RATE_WINDOW_S = 4.0
"""The device's rate is measured over the observations of this many seconds (longer: steadier)."""
RATE_MIN_SPAN_S = 1.0
"""No rate estimate (pace 1) until the observations span this long (callback jitter of a few ms
over a shorter span would be a rate error of a few tenths of a percent)."""
RATE_TIME_S = 2.0
"""The rate estimate moves towards each new measurement with this time constant."""
MAX_RATE_OFF = 0.2
"""The estimated rate stays within 20 % of real time (a device further off is broken; the
error correction still follows it)."""


class LiveClock:
    """Monotonic audio position in seconds, interpolated with ``perf_counter``.

    Parameters
    ----------
    slew_time_s : float
        Time constant of the error correction, seconds (0.05..5).
    max_slew : float
        Largest relative rate change while correcting (0..0.5).
    snap_s : float
        Forward errors above this jump at once; backward ones hold the clock until the audio
        catches up (time never runs backwards).
    now : callable
        The perf clock (injectable for tests), seconds.
    """

    def __init__(self, *, slew_time_s: float = SLEW_TIME_S, max_slew: float = MAX_SLEW, snap_s: float = SNAP_S,
                 now: Callable[[], float] = time.perf_counter) -> None:
        if not 0.05 <= slew_time_s <= 5.0:
            raise ValueError(f"slew_time_s must be 0.05..5 s, got {slew_time_s}")
        if not 0.0 <= max_slew <= 0.5:
            raise ValueError(f"max_slew must be 0..0.5, got {max_slew}")
        if not snap_s > 0.0:
            raise ValueError(f"snap_s must be > 0 s, got {snap_s}")
        self.slew_time_s, self.max_slew, self.snap_s = float(slew_time_s), float(max_slew), float(snap_s)
        self._now = now
        self._p0: float | None = None  # perf time of the anchor
        self._y0 = 0.0  # position at the anchor
        self._slope = 1.0
        self._holding = False
        self._last_out = 0.0
        self._last_q = float("-inf")
        self.error_s = 0.0
        """Observation minus estimate at the last observation, seconds (for stats)."""
        self.jumps = 0
        """Forward jumps taken (errors above ``snap_s``)."""
        self.rate = 1.0
        """Estimated device rate: audio seconds per perf second (1.0 until measured)."""
        self._history: deque[tuple[float, float]] = deque()  # (perf, position) of recent observations

    @property
    def started(self) -> bool:
        """True once the first observation arrived."""
        return self._p0 is not None

    def _estimate(self, q: float) -> float:
        return self._y0 + self._slope * (q - self._p0)

    def observe(self, position_s: float, at_perf_s: float) -> None:
        """The audio was at ``position_s`` at perf time ``at_perf_s`` (may lie in the past)."""
        if self._p0 is None:
            self._p0, self._y0, self._slope = float(at_perf_s), float(position_s), 1.0
            self._history.append((float(at_perf_s), float(position_s)))
            return
        e = float(position_s) - self._estimate(float(at_perf_s))
        self.error_s = e
        # re-anchor where the picture already is (the last query), so the output never steps;
        # an observation may lie in the future (playback reports when a block will be heard)
        q = self._last_q if self._last_q != float("-inf") else float(at_perf_s)
        y = self._estimate(q)
        if e > self.snap_s:
            self.jumps += 1
            self._history.clear()  # a discontinuity says nothing about the device's pace
            self._history.append((float(at_perf_s), float(position_s)))
            self._p0, self._y0, self._slope = q, y + e, self.rate
            return
        self._p0, self._y0 = q, y
        # far ahead of the sound: wait for it (never run backwards) until nearly caught up
        holding = e < (-self.max_slew * self.slew_time_s if self._holding else -self.snap_s)
        if holding and not self._holding:
            self._history.clear()  # the sound went back (a reopened device): measure afresh
        self._holding = holding
        self._measure_rate(float(position_s), float(at_perf_s))
        if self._holding:
            self._slope = 0.0
            return
        self._slope = self.rate + self._correction(e)

    def _measure_rate(self, position_s: float, at_perf_s: float) -> None:
        """Steer ``rate`` towards the pace of the observations over the last ``RATE_WINDOW_S``."""
        h = self._history
        last = h[-1] if h else None
        h.append((at_perf_s, position_s))
        while len(h) > 2 and at_perf_s - h[1][0] >= RATE_WINDOW_S:
            h.popleft()
        span = at_perf_s - h[0][0]
        if last is None or span < RATE_MIN_SPAN_S or at_perf_s <= last[0]:
            return
        measured = (position_s - h[0][1]) / span
        measured = min(1.0 + MAX_RATE_OFF, max(1.0 - MAX_RATE_OFF, measured))
        self.rate += (measured - self.rate) * min(1.0, (at_perf_s - last[0]) / RATE_TIME_S)

    def _correction(self, e: float) -> float:
        """Pace change (on top of ``rate``) for error ``e``: linear up to ``max_slew``, then
        steeper; continuous."""
        knee = self.max_slew * self.slew_time_s
        if abs(e) <= knee:
            return e / self.slew_time_s
        c = self.max_slew + (abs(e) - knee) / FAST_TIME_S
        return min(c, MAX_CORRECTION) if e > 0 else -min(c, MAX_CORRECTION)

    def time_s(self, perf_s: float | None = None) -> float:
        """The position the picture should show at ``perf_s`` (default: now); never decreases.

        Before the first observation it is 0. It remembers the latest time it returned: later
        observations re-anchor there, which is what keeps the output continuous.
        """
        q = self._now() if perf_s is None else float(perf_s)
        if self._p0 is None:
            return self._last_out
        self._last_q = max(self._last_q, q)
        t = max(self._last_out, self._estimate(q))
        self._last_out = t
        return t
