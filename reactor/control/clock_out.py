"""MIDI clock out (``--midi-clock-out NAME``): lights and other gear follow the show's leading tempo.

The render thread hands each frame's tempo and beat position to :meth:`MidiClockOut.after_frame`;
a sender thread with its own timer sends 24 ticks a beat, ``start`` just before the first
downbeat and ``stop`` on close. A burst of ticks sent from the render loop would land on frame
boundaries (16.7 ms apart at 60 fps); here each tick goes out at its own time.

What crosses threads: :class:`OutGrid`'s state is one tuple ``(host_s, beats, bpm, bar_origin,
beats_per_bar)`` replaced whole by the render thread and read whole by the sender (assigning an
attribute is atomic in CPython); the port is used by the sender thread only once it runs.

The out grid is locked to the show's beats by a phase-locked loop, not copied frame by frame:
each frame's beat phase pulls the grid by ``PULL`` of the error (a frame's time stamp jitters
by a millisecond or two, the out clock should not), a tempo change takes effect at once, and an
error over ``JUMP_BEATS`` (a tap, a new source) moves the grid there directly.
"""

from __future__ import annotations

import math
import threading
import time

from reactor.control.clock import PPQN

__all__ = ["OutGrid", "MidiClockOut", "add_arguments", "surfaces_from_args"]

PULL = 0.1
"""Fraction of the phase error corrected per frame (a time constant of ~10 frames)."""
JUMP_BEATS = 0.125
"""A phase error beyond this (beats) moves the out grid at once."""
REALTIME_PRIORITY = 20
"""The sender thread's real-time priority where it may have one (JACK's own threads use 10..70)."""
RETRY_S = 2.0
"""How often a missing or lost output port is tried again."""


def _wrap(x: float) -> float:
    """``x`` wrapped into [-0.5, 0.5)."""
    return x - math.floor(x + 0.5)


class OutGrid:
    """The out clock's own beat grid, ``beats(host) = beats0 + (host - host0) * bpm / 60``, pulled
    toward the show's beat phase (see the module docstring). Written by the render thread, read by
    the sender thread through ``state`` (one tuple)."""

    def __init__(self) -> None:
        self.state: tuple[float, float, float, int, int] | None = None
        self.jumps = 0

    def update(self, *, host_s: float, beat_phase: float, bpm: float, bar_position: float | None = None,
               beats_per_bar: int = 4) -> None:
        """The show's beat at ``host_s``: phase 0..1, tempo, and (when known) the position in the
        bar, beats 0..beats_per_bar (0 on the downbeat)."""
        if not (bpm > 0.0 and math.isfinite(bpm)):
            return
        per_bar = max(1, int(beats_per_bar))
        st = self.state
        if st is None:
            beats = float(beat_phase)
        else:
            host0, beats0, bpm0, _, _ = st
            beats = beats0 + (host_s - host0) * bpm0 / 60.0  # where the out grid is now
            err = _wrap(float(beat_phase) - beats)
            if abs(err) > JUMP_BEATS:
                self.jumps += 1
                beats += err
            else:
                beats += PULL * err
        bar_pos = float(bar_position) if bar_position is not None else 0.0
        origin = round(beats - bar_pos) % per_bar  # downbeats are where beats = origin (mod per_bar)
        self.state = (float(host_s), beats, float(bpm), int(origin), per_bar)

    @staticmethod
    def tick_time(state, index: int) -> float:
        """Host time of tick ``index`` (``index / 24`` beats on the out grid)."""
        host0, beats0, bpm, _, _ = state
        return host0 + (index / PPQN - beats0) * 60.0 / bpm

    @staticmethod
    def tick_at(state, host_s: float) -> float:
        """The out grid's position at ``host_s`` in ticks (fractional)."""
        host0, beats0, bpm, _, _ = state
        return (beats0 + (host_s - host0) * bpm / 60.0) * PPQN

    @staticmethod
    def is_downbeat(state, index: int) -> bool:
        _, _, _, origin, per_bar = state
        return index % PPQN == 0 and (index // PPQN - origin) % per_bar == 0


class MidiClockOut:
    """A surface that sends MIDI clock on ``port_name`` following the show's leading tempo.

    Parameters
    ----------
    port_name : str
        An output port (exact name, or a part of one, case-insensitive); when none matches, a
        virtual output of that name is made for gear to connect to.
    backend : str, optional
        A mido backend (``mido.backends.rtmidi/UNIX_JACK``); default: mido's (``MIDO_BACKEND``).
    open_port : callable () -> port, optional
        Opens the port instead (anything with ``send(msg)`` and ``close()``).
    host_time : callable (engine_s) -> perf_counter s, optional
        Maps frame times to ``perf_counter``; ``attach(show)`` sets it to ``show.host_time_s``.
    """

    name = "midi clock out"

    def __init__(self, port_name: str, *, backend: str | None = None, open_port=None, host_time=None) -> None:
        self.port_name = port_name
        self._backend = backend
        self._open_port = open_port or self._open_by_name
        self._host_time = host_time or (lambda t: t)
        self.grid = OutGrid()
        self._port = None
        self._opened_as = None
        self._next_try_s = 0.0
        self._notices: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticks_sent = 0
        self.realtime: bool | None = None  # whether the sender thread got real-time scheduling
        self.starts_sent = 0
        self.late_s: list[float] = []  # per tick: sent - scheduled (the sender's own timing error)
        self.sent: list[tuple[str, float, float]] = []  # (type, scheduled, sent) for tests, bounded

    # -- render thread -----------------------------------------------------------------------
    def attach(self, show) -> None:
        self._host_time = show.host_time_s

    def poll(self, now_s: float):
        if self._thread is None and time.perf_counter() >= self._next_try_s:
            self._connect()
        return []

    def after_frame(self, view) -> None:
        s = view.scalars
        per_bar = int(s.get("beats_per_bar", 4) or 4)
        self.grid.update(host_s=self._host_time(view.time_s), beat_phase=float(s.get("beat_phase", 0.0)),
                         bpm=float(s.get("tempo_bpm", 0.0)), bar_position=float(s.get("bar_phase", 0.0)) * per_bar,
                         beats_per_bar=per_bar)

    def notices(self) -> list[str]:
        out, self._notices = self._notices, []
        return out

    def stats(self) -> dict:
        late = sorted(self.late_s)
        q = (lambda p: round(1e3 * late[min(len(late) - 1, int(p * len(late)))], 3)) if late else (lambda p: None)
        return {"midi_clock_out_port": self._opened_as, "midi_clock_out_ticks": self.ticks_sent,
                "midi_clock_out_realtime": self.realtime,
                "midi_clock_out_late_ms_p50": q(0.5), "midi_clock_out_late_ms_p95": q(0.95)}

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self._port is not None:
            try:
                self._send("stop", time.perf_counter())
            finally:
                self._port.close()
                self._port = None

    # -- the port ----------------------------------------------------------------------------
    def _open_by_name(self):
        import mido

        lib = mido.Backend(self._backend) if self._backend else mido
        names = lib.get_output_names()
        match = [n for n in names if n == self.port_name] or \
            [n for n in names if self.port_name.lower() in n.lower()]
        if match:
            self._opened_as = match[0]
            return lib.open_output(match[0])
        port = lib.open_output(self.port_name, virtual=True)
        self._opened_as = f"{self.port_name} (virtual)"
        self._notices.append(f"MIDI clock out: no output '{self.port_name}' "
                             f"(have: {', '.join(names) or 'none'}); made a virtual one to connect gear to")
        return port

    def _connect(self) -> None:
        try:
            self._port = self._open_port()
        except Exception as exc:  # no port yet: say so once per try, the show goes on
            self._next_try_s = time.perf_counter() + RETRY_S
            self._notices.append(f"MIDI clock out: cannot open '{self.port_name}': {exc} (trying again)")
            return
        if self._opened_as is None:
            self._opened_as = self.port_name
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="midi-clock-out", daemon=True)
        self._thread.start()

    def _send(self, kind: str, scheduled_s: float) -> None:
        import mido

        self._port.send(mido.Message(kind))
        if len(self.sent) < 100_000:
            self.sent.append((kind, scheduled_s, time.perf_counter()))

    # -- sender thread -----------------------------------------------------------------------
    def _run(self) -> None:
        """Sender thread: one tick at a time at its time on the out grid (never from the render loop)."""
        self.realtime = _realtime_priority()
        index = None
        started = False
        while not self._stop.is_set():
            st = self.grid.state
            if st is None:
                self._stop.wait(0.005)
                continue
            now = time.perf_counter()
            if index is None:
                index = math.floor(OutGrid.tick_at(st, now)) + 1
            due = OutGrid.tick_time(st, index)
            if due - now > 0.25 or due < now - 0.25:  # the grid moved far (a new source): rejoin it
                index = None
                continue
            if due > now:
                self._stop.wait(due - now)
                if OutGrid.tick_time(self.grid.state, index) > time.perf_counter() + 0.0005:
                    continue  # the grid moved while waiting: recompute
            try:
                if not started and OutGrid.is_downbeat(st, index):
                    self._send("start", due)
                    self.starts_sent += 1
                    started = True
                self._send("clock", due)
            except Exception as exc:  # the port went away: report, reopen later from poll
                self._notices.append(f"MIDI clock out: '{self._opened_as}' lost: {exc} (trying again)")
                try:
                    self._port.close()
                except Exception:
                    pass
                self._port = None
                self._thread = None
                self._next_try_s = time.perf_counter() + RETRY_S
                return
            self.ticks_sent += 1
            if len(self.late_s) < 100_000:
                self.late_s.append(time.perf_counter() - due)
            index += 1


def _realtime_priority() -> bool:
    """Ask for round-robin real-time scheduling for the calling thread (Linux: a thread is a task,
    pid 0 is the caller), as audio and MIDI threads do; where the user may not (no rtprio limit),
    the thread runs at normal priority and ``stats()`` says so (``midi_clock_out_realtime``)."""
    import os

    try:
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(REALTIME_PRIORITY))
        return True
    except (AttributeError, OSError):
        return False


def add_arguments(parser) -> None:
    parser.add_argument("--midi-clock-out", metavar="NAME",
                        help="send MIDI clock (24 ppqn, start/stop) following the leading tempo to the MIDI "
                             "output NAME (a part of its name; a virtual output of that name when none matches)")


def surfaces_from_args(args) -> list:
    name = getattr(args, "midi_clock_out", None)
    return [MidiClockOut(name)] if name else []
