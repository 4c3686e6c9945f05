"""An installation's playlist: presets that rotate by time or follow the music's energy.

:class:`Playlist` is a control surface (``reactor.control.actions.Surface``): it reads what each
frame heard in ``after_frame`` and asks for preset changes in ``poll``, like any controller; the
show's crossfades start on the next beat or bar (the install's ``quantize``).

- ``mode = "time"``: each entry shows for its ``hold_s``, in order or shuffled (never the same
  one twice in a row).
- ``mode = "energy"``: an :class:`EnergyMeter` measures loudness as heard and onset density over
  the last ``window_s`` seconds; the energy picks a level (``low`` / ``mid`` / ``high``, with a
  little hysteresis at the thresholds) and the playlist shows the entries of that level in turn.
  A change waits at least ``min_hold_s``; within a level the next entry comes after ``hold_s``.

A preset chosen by hand (a key, OSC, MIDI) is left on screen for ``hold_s`` before the playlist
takes over again.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

from reactor.control.actions import Action

LEVELS = ("low", "mid", "high")
LOUDNESS_WEIGHT = 0.7
"""Share of the energy that is loudness as heard (``loudness`` 0..1: -50..-8 LUFS)."""
ONSET_RATE_FULL_HZ = 6.0
"""Onsets per second that count as full onset density (the other 0.3 of the energy)."""
HYSTERESIS = 0.03
"""Energy must cross a threshold by this much to change level (no flicker at a boundary)."""
MIN_WINDOW_S = 4.0
"""The energy is not judged before this many seconds were heard."""


@dataclass(frozen=True)
class Entry:
    """One playlist entry: a preset (name or file), its energy level, its own hold (None: the playlist's)."""

    preset: str
    level: str | None = None
    hold_s: float | None = None


class EnergyMeter:
    """Musical energy 0..1 over a sliding window: loudness as heard and onset density.

    ``add(time_s, loudness, onsets)`` once per frame (any frame rate: loudness is weighted by
    the time it covers); the window keeps one bin per second, so memory does not grow.
    """

    def __init__(self, window_s: float) -> None:
        self.window_s = float(window_s)
        self._bins: deque[list[float]] = deque()  # [second, loudness * dt, dt, onsets]
        self._last_t: float | None = None
        self.heard_s = 0.0

    def add(self, time_s: float, loudness: float, onsets: int) -> None:
        dt = 0.0 if self._last_t is None else max(0.0, min(1.0, time_s - self._last_t))
        self._last_t = time_s
        self.heard_s += dt
        sec = float(int(time_s))
        if not self._bins or self._bins[-1][0] != sec:
            self._bins.append([sec, 0.0, 0.0, 0.0])
        b = self._bins[-1]
        b[1] += loudness * dt
        b[2] += dt
        b[3] += onsets
        while self._bins and self._bins[0][0] <= sec - self.window_s:
            self._bins.popleft()

    def energy(self) -> float:
        """0..1 (0 before anything was heard)."""
        covered = sum(b[2] for b in self._bins)
        if covered <= 0.0:
            return 0.0
        loud = sum(b[1] for b in self._bins) / covered
        rate = sum(b[3] for b in self._bins) / covered
        return LOUDNESS_WEIGHT * loud + (1.0 - LOUDNESS_WEIGHT) * min(1.0, rate / ONSET_RATE_FULL_HZ)


class Playlist:
    """The rotating preset list of an installation (see the module docstring).

    Parameters
    ----------
    entries : list of Entry
        In playing order. Energy mode needs each entry's ``level`` (``low``/``mid``/``high``).
    mode : str
        ``"time"`` or ``"energy"``.
    hold_s : float
        Time mode: how long each entry shows. Energy mode: how long before the next entry of
        the same level.
    min_hold_s : float
        Energy mode: no change sooner than this after the last one.
    window_s : float
        Energy mode: the energy is measured over this many seconds.
    thresholds : (float, float)
        Energy mode: the low/mid and mid/high boundaries.
    shuffle : bool
        Time mode: random order (never the same entry twice in a row).
    seed : int or None
        For the shuffle (tests; None: a different order each run).
    """

    name = "playlist"

    def __init__(self, entries, *, mode: str = "time", hold_s: float = 120.0, min_hold_s: float = 30.0,
                 window_s: float = 30.0, thresholds: tuple[float, float] = (0.35, 0.65), shuffle: bool = False,
                 seed: int | None = None, notices: tuple[str, ...] = ()) -> None:
        self.entries = list(entries)
        if not self.entries:
            raise ValueError("a playlist needs at least one entry")
        if mode not in ("time", "energy"):
            raise ValueError(f"mode must be 'time' or 'energy', got {mode!r}")
        self.mode, self.hold_s, self.min_hold_s = mode, float(hold_s), float(min_hold_s)
        self.thresholds = (float(thresholds[0]), float(thresholds[1]))
        self.shuffle = shuffle
        self._rng = random.Random(seed)
        self.meter = EnergyMeter(window_s)
        self.level: str | None = None
        self._index = 0
        self._since: float | None = None
        self._showing: str | None = None   # what the show reports on screen
        self._asked: str | None = None     # what the playlist asked for last
        self._actions: list[Action] = []
        self._notices = list(notices)
        self.switches = 0
        self.history: deque[tuple[float, str, str | None, float]] = deque(maxlen=200)
        self._names: dict[str, str] = {}  # entry spec (a name or a file) -> the preset's name

    def attach(self, show) -> None:
        """Learn the preset names of the show's slots (an entry may be a file path)."""
        self._names = {slot.spec: slot.preset.name for slot in show.slots}
        missing = [e.preset for e in self.entries if e.preset not in self._names]
        if missing:
            self._notices.append(f"playlist: {', '.join(missing)} not among the show's presets")

    # -- the surface -------------------------------------------------------------------------------
    def poll(self, now_s: float) -> list[Action]:
        out, self._actions = self._actions, []
        if self._since is None:  # the first frame: the show starts on entry 0
            self._since = now_s
            self._asked = self._name(0)
            return out
        held = now_s - self._since
        if self.mode == "time":
            if held >= self._hold(self._index):
                self._go(self._next_in_time(), now_s, None, out)
        elif self.meter.heard_s >= min(MIN_WINDOW_S, self.meter.window_s) and held >= self.min_hold_s:
            level = self._classify(self.meter.energy())
            choices = self._of_level(level)
            if choices and (self.entries[self._index].level != level or held >= self._hold(self._index)):
                self.level = level
                later = [i for i in choices if i > self._index] + [i for i in choices if i <= self._index]
                nxt = later[0]
                if nxt != self._index or self.entries[self._index].level != level:
                    self._go(nxt, now_s, level, out)
                else:
                    self._since = now_s  # the only entry of its level: it stays
        return out

    def after_frame(self, view) -> None:
        self.meter.add(view.time_s, float(view.scalars.get("loudness", 0.0)), len(view.onsets))
        if view.preset != self._showing:
            self._showing = view.preset
            wanted = {self._name(self._index).lower(), (self._asked or "").lower()}
            if view.preset.lower() not in wanted and self._since is not None:  # chosen by hand: hold it
                self._since = view.time_s

    def notices(self) -> list[str]:
        out, self._notices = self._notices, []
        return out

    def stats(self) -> dict:
        return {"playlist_mode": self.mode, "playlist_switches": self.switches,
                "playlist_energy": round(self.meter.energy(), 3), "playlist_level": self.level}

    # -- choosing -----------------------------------------------------------------------------------
    def _name(self, i: int) -> str:
        spec = self.entries[i].preset
        return self._names.get(spec, spec)

    def _hold(self, i: int) -> float:
        own = self.entries[i].hold_s
        return self.hold_s if own is None else own

    def _next_in_time(self) -> int:
        n = len(self.entries)
        if n == 1:
            return 0
        if self.shuffle:
            return self._rng.choice([i for i in range(n) if i != self._index])
        return (self._index + 1) % n

    def _classify(self, energy: float) -> str:
        lo, hi = self.thresholds
        cur = self.level
        up_lo, up_hi = lo + HYSTERESIS, hi + HYSTERESIS
        down_lo, down_hi = lo - HYSTERESIS, hi - HYSTERESIS
        if cur is None:
            return "low" if energy < lo else "mid" if energy < hi else "high"
        if cur == "low":
            return "high" if energy >= up_hi else "mid" if energy >= up_lo else "low"
        if cur == "high":
            return "low" if energy < down_lo else "mid" if energy < down_hi else "high"
        return "low" if energy < down_lo else "high" if energy >= up_hi else "mid"

    def _of_level(self, level: str) -> list[int]:
        """Entries of ``level``, else of the nearest level that has any."""
        order = {"low": ("low", "mid", "high"), "mid": ("mid", "low", "high"), "high": ("high", "mid", "low")}
        for lv in order[level]:
            found = [i for i, e in enumerate(self.entries) if e.level == lv]
            if found:
                return found
        return []

    def _go(self, index: int, now_s: float, level: str | None, out: list[Action]) -> None:
        self._index, self._since = index, now_s
        self._asked = self._name(index)
        self.switches += 1
        energy = self.meter.energy()
        self.history.append((now_s, self._asked, level, energy))
        out.append(Action("preset", self._asked, origin="playlist"))
