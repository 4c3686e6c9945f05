"""Tempo sources that override the analyzer's beat tracking: a fixed grid or tapped beats.

The analyzer calls ``source.sample(time_s)`` (or ``source(time_s)``: sources are callable too)
once per snapshot (``analyzer.set_tempo_source``); a source answers
``TempoSample(bpm, beat_phase, beat_count)`` or None ("no opinion, use your own tracking"). ``beat_count + beat_phase`` is the position in beats since the source's first beat, so
beat-locked LFOs (``reactor.control.params``) restart exactly on beats 0, 4, 8, ... of the grid.

Sources live on the main thread: taps arrive from key or MIDI handlers that the main loop polls,
and ``sample`` is called from the same loop. No locking.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple, Protocol, runtime_checkable

from reactor.errors import UsageError

__all__ = ["TempoSample", "TempoSource", "FixedTempo", "TapTempo"]


class TempoSample(NamedTuple):
    """What a tempo source says about one instant (a plain 3-tuple to unpack)."""

    bpm: float
    beat_phase: float
    """0..1 within the current beat, 0 on the beat."""
    beat_count: int
    """Whole beats since the first beat (0 during the first beat; never negative)."""


@runtime_checkable
class TempoSource(Protocol):
    """Anything with ``sample(time_s) -> TempoSample | None``."""

    def sample(self, time_s: float) -> TempoSample | None:
        """Tempo and beat position at ``time_s`` (seconds, the engine clock), or None."""
        ...


def _grid_sample(time_s: float, *, bpm: float, anchor_s: float, anchor_count: float) -> TempoSample:
    position = (time_s - anchor_s) * bpm / 60.0 + anchor_count
    whole = math.floor(position)
    # before the first beat the grid still runs (phase leads into beat 0) but the count stays 0
    return TempoSample(bpm, position - whole, max(0, int(whole)))


class FixedTempo:
    """A constant tempo with a beat at ``offset_s`` (e.g. ``--bpm 128 --beat-offset 0.35``).

    Parameters
    ----------
    bpm : float
        Beats per minute, 20..400.
    offset_s : float
        Time of the first beat (beat 0), seconds; the grid extends before it with count 0.
    """

    def __init__(self, bpm: float, offset_s: float = 0.0) -> None:
        if not (isinstance(bpm, (int, float)) and math.isfinite(bpm) and 20.0 <= bpm <= 400.0):
            raise UsageError(f"tempo: bpm must be between 20 and 400, got {bpm!r}")
        if not (isinstance(offset_s, (int, float)) and math.isfinite(offset_s)):
            raise UsageError(f"tempo: beat offset must be a finite number of seconds, got {offset_s!r}")
        self.bpm = float(bpm)
        self.offset_s = float(offset_s)

    def sample(self, time_s: float) -> TempoSample:
        """The grid position at ``time_s``; always an answer."""
        return _grid_sample(time_s, bpm=self.bpm, anchor_s=self.offset_s, anchor_count=0.0)

    __call__ = sample  # the analyzer may take the source as a plain callable


class TapTempo:
    """Tempo and phase from beats tapped by hand (a key or a MIDI pad).

    Two or more taps set the tempo (least-squares fit over the current run of taps, so jitter
    averages out) and the phase (the fitted beat lands on the last tap). A new run starts after
    a pause (see ``min_bpm``), when time goes backwards (a seek), or after an interval more than 15% off the tapped tempo (a
    missed beat or a new tempo): its first tap only re-aligns the beat and keeps the tempo and
    the beat count going; its second tap sets the new tempo.

    Parameters
    ----------
    clock : callable () -> float
        The engine clock in seconds (the same time base later passed to ``sample``).
    max_taps : int
        Taps kept per run; older ones drop out so the tempo can follow a drifting band.
    min_bpm, max_bpm : float
        Intervals faster than ``max_bpm`` are ignored as a double tap; a pause longer than a beat
        at ``min_bpm`` starts a new run.
    """

    def __init__(self, *, clock: Callable[[], float], max_taps: int = 8, min_bpm: float = 40.0,
                 max_bpm: float = 300.0) -> None:
        if not 0.0 < min_bpm < max_bpm:
            raise UsageError(f"tap tempo: need 0 < min_bpm < max_bpm, got {min_bpm}..{max_bpm}")
        if max_taps < 2:
            raise UsageError(f"tap tempo: max_taps must be >= 2, got {max_taps}")
        self._clock = clock
        self._max_interval_s = 60.0 / min_bpm
        self._max_taps = int(max_taps)
        self._min_interval_s = 60.0 / max_bpm
        self._run: list[float] = []
        self._run_start_count = 0.0
        self._bpm: float | None = None
        self._anchor_s = 0.0
        self._anchor_count = 0.0

    @property
    def bpm(self) -> float | None:
        """The tapped tempo, or None before the second tap."""
        return self._bpm

    def reset(self) -> None:
        """Forget every tap: ``sample`` returns None again (hand control back to the analyzer)."""
        self._run.clear()
        self._bpm = None

    def tap(self, time_s: float | None = None) -> None:
        """Register a tap now (from the clock) or at ``time_s`` (e.g. a MIDI message timestamp)."""
        t = self._clock() if time_s is None else float(time_s)
        if self._run:
            gap = t - self._run[-1]
            if 0.0 <= gap < self._min_interval_s:
                return  # key bounce or double hit: not a beat
            period_s = 60.0 / self._bpm if len(self._run) >= 2 and self._bpm else None
            if not 0.0 <= gap <= self._max_interval_s or (period_s and abs(gap - period_s) > 0.15 * period_s):
                # a pause, a missed beat or a new tempo: this tap starts a new run (and re-aligns
                # the phase now); the next tap measures the new interval
                self._run.clear()
        if not self._run:
            # a new run continues the beat count: its first tap is the nearest beat of the old grid
            self._run_start_count = 0.0
            if self._bpm is not None:
                position = (t - self._anchor_s) * self._bpm / 60.0 + self._anchor_count
                self._run_start_count = float(max(0, round(position)))
        self._run.append(t)
        if len(self._run) > self._max_taps:
            self._run.pop(0)
            self._run_start_count += 1.0
        self._refit()

    def _refit(self) -> None:
        run = self._run
        if len(run) == 1:
            self._anchor_s, self._anchor_count = run[0], self._run_start_count
            return
        # least squares t_i = a + period * i over the run
        n = len(run)
        mean_i = (n - 1) / 2.0
        mean_t = sum(run) / n
        cov = sum((i - mean_i) * (t - mean_t) for i, t in enumerate(run))
        var = sum((i - mean_i) ** 2 for i in range(n))
        period = cov / var
        self._bpm = 60.0 / period
        self._anchor_s = mean_t + period * (n - 1 - mean_i)  # the fitted time of the last tap
        self._anchor_count = self._run_start_count + n - 1

    def sample(self, time_s: float) -> TempoSample | None:
        """Tempo and beat position at ``time_s``, or None until a tempo has been tapped."""
        if self._bpm is None:
            return None
        return _grid_sample(time_s, bpm=self._bpm, anchor_s=self._anchor_s, anchor_count=self._anchor_count)

    __call__ = sample  # the analyzer may take the source as a plain callable
