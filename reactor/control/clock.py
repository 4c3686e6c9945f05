"""MIDI clock in: tempo and beat/bar phase locked to a 24 ppqn clock (start, stop, continue, song position).

The MIDI port code hands every ``clock``, ``start``, ``stop``, ``continue`` and ``songpos``
message to :meth:`MidiClockIn.feed` with its arrival time on the engine clock; the show's tempo
arbiter calls :meth:`MidiClockIn.sample` once per frame. Both run on the render thread (the port's
callback only queues), so there is no locking.

How the clock is read:

- every tick gets an index (24 per beat); a least-squares line ``t = a + period * index`` over the
  recent ticks (``window_ticks``, 8 beats by default) averages out the arrival jitter of USB and
  JACK MIDI, so the tempo is ``60 / (24 * period)`` and the beat position at any time is
  ``(t - a) / period / 24``;
- a tempo change is seen as three ticks in a row off the line the same way by more than
  ``STEP_S``, none coming back toward it (as a burst of late ticks does), or the clock's phase
  jumped (a master that restarts its clock on start):
  the older ticks are dropped and the line follows within a few ticks;
- ``start``: the next tick is beat 0 of bar 1; ``songpos`` (in sixteenths) sets where the next
  ``continue`` resumes; ``stop`` keeps the position for ``continue`` and gives no opinion (the
  arbiter falls back to the detector), as does a clock that has sent no tick for ``timeout_s``;
- a clock that runs without ever having sent ``start`` (a DJ mixer's tempo clock) leads too,
  with its first tick as beat 0 (``free_running``).
"""

from __future__ import annotations

import math
from collections import deque

from reactor.errors import UsageError

__all__ = ["MidiClockIn", "PPQN"]

PPQN = 24
"""MIDI clock ticks per quarter note (beat)."""
SIXTEENTH_TICKS = 6
"""Ticks per MIDI beat of a song position pointer (a sixteenth note)."""
WINDOW_TICKS = 192
"""Ticks in the fit by default: eight beats (3.9 s at 123 BPM); a tempo change restarts it (``STEP_S``)."""
STEP_S = 0.004
"""A tick this far off the fitted line (three in a row, same side) means the tempo changed."""
GAP_PERIODS = 8.0
"""A gap of more than this many tick periods without ``continue`` breaks the line (a clock that
paused): the new ticks get their own offset (start and continue after a pause always do)."""
FORGET_S = 10.0
"""After a pause this long the old ticks are forgotten (the tempo may well have changed)."""
TIMEOUT_S = 0.5
"""No tick for this long: the clock counts as stopped."""


class MidiClockIn:
    """A tempo source following a MIDI clock (see the module docstring).

    Parameters
    ----------
    beats_per_bar : int
        The bar length reported to the analyzer (MIDI clock does not carry a meter).
    window_ticks : int
        Ticks in the least-squares fit (more: steadier tempo, slower to follow a change).
    timeout_s : float
        A clock silent this long has stopped.
    latency_s : float
        Transport latency to take off the arrival times (a MIDI interface's delay), seconds.
    free_running : bool
        Lead on a clock that never sent ``start`` (else only between ``start``/``continue`` and ``stop``).
    """

    name = "midi"

    def __init__(self, *, beats_per_bar: int = 4, window_ticks: int = WINDOW_TICKS, timeout_s: float = TIMEOUT_S,
                 latency_s: float = 0.0, free_running: bool = True) -> None:
        if not 1 <= int(beats_per_bar) <= 32:
            raise UsageError(f"MIDI clock: beats_per_bar must be 1..32, got {beats_per_bar}")
        if int(window_ticks) < 8:
            raise UsageError(f"MIDI clock: window_ticks must be >= 8, got {window_ticks}")
        if not timeout_s > 0:
            raise UsageError(f"MIDI clock: timeout_s must be > 0, got {timeout_s}")
        self.beats_per_bar = int(beats_per_bar)
        self.timeout_s = float(timeout_s)
        self.latency_s = float(latency_s)
        self.free_running = bool(free_running)
        self._ticks: deque[tuple[int, int, float]] = deque(maxlen=int(window_ticks))  # (run, index, time)
        self._run = 0                 # ticks after a pause start a new run: one slope, an offset per run
        self._next_index = 0          # index the next tick will get
        self._resume_index = 0        # where ``continue`` resumes (set by stop and songpos)
        self.state = "idle"           # idle | free | running | stopped
        self._last_tick_s: float | None = None
        self._fit: tuple[float, float] | None = None  # (a, period): t = a + period * index
        self._dirty = False
        self._off: list[float] = []   # residuals of the ticks off the line, same side, not coming back
        self._period_s: float | None = None
        self._lost = False
        self._notices: list[str] = []
        self.ticks_seen = 0
        self.tempo_changes = 0

    # -- input (render thread) ---------------------------------------------------------------
    def feed(self, msg, time_s: float) -> None:
        """Take one MIDI real-time or song-position message that arrived at ``time_s`` (engine clock)."""
        kind = getattr(msg, "type", None)
        t = float(time_s) - self.latency_s
        if kind == "clock":
            self._tick(t)
        elif kind == "start":
            self._transport(0, "running")
            self._alive(t)
        elif kind == "continue":
            self._transport(self._resume_index, "running")
            self._alive(t)
        elif kind == "stop":
            if self.state in ("running", "free"):
                self._resume_index = self._next_index
            self.state = "stopped"
        elif kind == "songpos":
            self._resume_index = SIXTEENTH_TICKS * int(getattr(msg, "pos", 0))
            if self.state in ("running", "free"):  # a jump while playing: the next tick is there
                self._transport(self._resume_index, self.state)

    def _transport(self, next_index: int, state: str) -> None:
        # the ticks already seen stay in the fit, renumbered so the next one gets ``next_index``:
        # a clock that ran while stopped is locked from the first tick after start
        shift = next_index - self._next_index
        self._ticks = deque(((r, i + shift, t) for r, i, t in self._ticks), maxlen=self._ticks.maxlen)
        if self._fit is not None:
            a, period = self._fit
            self._fit = (a - shift * period, period)
        self._next_index = next_index
        self.state = state

    def _alive(self, t: float) -> None:
        # start/continue say the clock is there: its first tick follows (no "lost" before it)
        if self._last_tick_s is not None and t > self._last_tick_s:
            if self._period_s is not None and t - self._last_tick_s > 2.0 * self._period_s:
                self._run += 1
            self._last_tick_s = t

    def _tick(self, t: float) -> None:
        self.ticks_seen += 1
        if self._dirty:  # the line through the ticks so far, to judge this one against
            self._refit()
        if self._last_tick_s is not None:
            gap = t - self._last_tick_s
            if gap > FORGET_S:
                self._ticks.clear()
            elif gap > self.timeout_s or (self._period_s is not None and gap > GAP_PERIODS * self._period_s):
                # the clock paused (a stop, a cable): the new ticks are a new run, on their own
                # offset but with the same period, so the tempo stays known from the first one
                self._run += 1
        if self._lost:
            self._lost = False
            self._notices.append("MIDI clock back")
        self._last_tick_s = t
        if self.state == "idle":
            self.state = "free"
        index = self._next_index
        self._next_index += 1
        if self._fit is not None and len(self._ticks) >= PPQN:
            a, period = self._fit
            residual = t - (a + period * index)
            # a new tempo moves the ticks off the line further and further, a clock restarted
            # with a new phase keeps them off by the same amount; a burst of late ticks (a busy
            # sender, a stalled USB poll) comes back toward it by a tick period each
            off = self._off
            if abs(residual) <= STEP_S:
                off.clear()
            elif off and residual * off[-1] > 0 and abs(residual) > abs(off[-1]) - STEP_S:
                off.append(residual)
            else:
                off[:] = [residual]
            if len(off) >= 3:  # a new tempo: keep the ticks that show it
                keep = [tick for tick in list(self._ticks)[-2:] if tick[0] == self._run]
                self._ticks.clear()
                self._ticks.extend(keep)
                off.clear()
                self.tempo_changes += 1
        self._ticks.append((self._run, index, t))
        self._dirty = True

    def _refit(self) -> None:
        """Least squares over the ticks: one period for every run, the offset of the latest run."""
        self._dirty = False
        runs: dict[int, list[float]] = {}
        for r, i, t in self._ticks:
            acc = runs.get(r)
            if acc is None:  # sums relative to the run's first tick (precision)
                acc = runs[r] = [0.0, 0.0, 0.0, 0.0, 0.0, float(i), t]
            x, y = i - acc[5], t - acc[6]
            acc[0] += 1.0
            acc[1] += x
            acc[2] += y
            acc[3] += x * x
            acc[4] += x * y
        if not runs:
            return
        sxx = sum(a[3] - a[1] * a[1] / a[0] for a in runs.values())
        sxy = sum(a[4] - a[1] * a[2] / a[0] for a in runs.values())
        period = sxy / sxx if sxx > 0.0 else self._period_s
        if period is None or not 60.0 / (PPQN * 400.0) < period < 60.0 / (PPQN * 10.0):  # 10..400 BPM
            return
        last = runs[max(runs)]
        a = last[6] + last[2] / last[0] - period * (last[5] + last[1] / last[0])
        self._fit = (a, period)
        self._period_s = period

    # -- output ------------------------------------------------------------------------------
    @property
    def bpm(self) -> float | None:
        """The clock's tempo (also while stopped, from the ticks that keep coming), or None."""
        if self._dirty:
            self._refit()
        return 60.0 / (PPQN * self._fit[1]) if self._fit is not None else None

    def leads(self, time_s: float) -> bool:
        """Whether the clock has an opinion at ``time_s`` (running, ticking, and a tempo known)."""
        if self.state not in ("running", "free") or (self.state == "free" and not self.free_running):
            return False
        if self._last_tick_s is None or time_s - self._last_tick_s > self.timeout_s:
            if self._last_tick_s is not None and not self._lost:
                self._lost = True
                self._notices.append(f"MIDI clock lost (no tick for {self.timeout_s:g} s): the detector leads")
            return False
        return self.bpm is not None

    def position(self, time_s: float) -> float | None:
        """Beats since beat 0 of the clock at ``time_s`` (fractional), or None without a tempo."""
        if self.bpm is None:
            return None
        a, period = self._fit
        return (float(time_s) - a) / period / PPQN

    def sample(self, time_s: float):
        """``(bpm, beat_phase, beat_count, beats_per_bar, position_in_bar, bar_count)`` or None."""
        if not self.leads(time_s):
            return None
        beats = self.position(time_s)
        whole = math.floor(beats)
        count = max(0, whole)
        per_bar = self.beats_per_bar
        return (self.bpm, beats - whole, count, per_bar, count % per_bar, count // per_bar + 1)

    __call__ = sample

    def detail(self) -> str:
        """For the HUD's tempo line: a clock that never sent ``start`` has no known beat 0."""
        return "no start" if self.state == "free" else ""

    def notices(self) -> list[str]:
        """Messages since the last call (lost, back), for the HUD and log."""
        out, self._notices = self._notices, []
        return out

    def stats(self) -> dict:
        bpm = self.bpm
        return {"midi_clock_state": ("lost" if self._lost else self.state),
                "midi_clock_bpm": round(bpm, 3) if bpm else None,
                "midi_clock_ticks": self.ticks_seen}
