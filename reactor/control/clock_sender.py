"""The MIDI clock out's grid and sender: the phase-locked out grid, the tick loop, its process.

:class:`reactor.control.clock_out.MidiClockOut` keeps an :class:`OutGrid` on the render thread and
runs :class:`_Sender` in a thread (a port given as an object) or in a process of its own (a port
by name: ``_child_main``, reading the grid from :class:`SharedGrid`). See that module for why.
"""

from __future__ import annotations

import math
import os
import time

from reactor.control.clock import PPQN

__all__ = ["OutGrid", "SharedGrid", "open_output_by_name"]

PULL = 0.1
"""Fraction of the phase error corrected per frame (a time constant of ~10 frames)."""
JUMP_BEATS = 0.125
"""A phase error beyond this (beats) moves the out grid at once."""
REALTIME_PRIORITY = 20
"""The sender's real-time priority where it may have one (JACK's own threads use 10..70)."""
REPORT_S = 0.5
"""How often the sender process reports its counters (and checks that the show is still there)."""
KEEP = 100_000
"""Per-tick records kept at most (a long show keeps the first ones)."""


def _wrap(x: float) -> float:
    """``x`` wrapped into [-0.5, 0.5)."""
    return x - math.floor(x + 0.5)


class OutGrid:
    """The out clock's own beat grid, ``beats(host) = beats0 + (host - host0) * bpm / 60``, pulled
    toward the show's beat phase (see ``reactor.control.clock_out``). Written by the render thread, read by
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


class SharedGrid:
    """An :class:`OutGrid` state in shared memory, for a sender in another process.

    Slot 0 is a sequence number, odd while the writer (the render thread) is writing; the reader
    retries until it reads the same even number before and after the five values."""

    def __init__(self, ctx) -> None:
        self.array = ctx.RawArray("d", 6)

    def write(self, state) -> None:
        a = self.array
        a[0] += 1.0
        a[1:6] = [float(x) for x in state]
        a[0] += 1.0

    @staticmethod
    def read(array):
        """The latest state, or None before the first frame (or while a writer that died in the
        middle of a write leaves it odd)."""
        for _ in range(10_000):
            seq = array[0]
            if seq % 2.0:
                continue
            values = array[1:6]
            if array[0] == seq:
                if seq == 0.0:
                    return None
                host0, beats0, bpm, origin, per_bar = values
                return (host0, beats0, bpm, int(origin), int(per_bar))
        return None


class _Sender:
    """The tick loop (a thread or the sender process): each tick at its time on the latest grid."""

    def __init__(self, read_state, port, stop, *, record: bool) -> None:
        self.read_state, self.port, self.stop = read_state, port, stop
        self.record = record
        self.ticks = self.starts = 0
        self.late_s: list[float] = []
        self.sent: list[tuple[str, float, float]] = []
        self.realtime = False

    def send(self, kind: str, due_s: float) -> None:
        import mido

        self.port.send(mido.Message(kind))
        if self.record and len(self.sent) < KEEP:
            self.sent.append((kind, due_s, time.perf_counter()))

    def run(self, tick=lambda: None) -> None:
        """Until ``stop`` is set; a port error propagates (the caller reports it)."""
        self.realtime = _realtime_priority()
        index = None
        started = False
        while not self.stop.is_set():
            tick()
            st = self.read_state()
            if st is None:
                self.stop.wait(0.005)
                continue
            now = time.perf_counter()
            if index is None:
                index = math.floor(OutGrid.tick_at(st, now)) + 1
            due = OutGrid.tick_time(st, index)
            if due - now > 0.25 or due < now - 0.25:  # the grid moved far (a new source): rejoin it
                index = None
                continue
            if due > now:
                self.stop.wait(min(due - now, REPORT_S))
                latest = self.read_state()
                if latest is None or OutGrid.tick_time(latest, index) > time.perf_counter() + 0.0005:
                    continue  # woken early, or the grid moved while waiting: look again
            if not started and OutGrid.is_downbeat(st, index):
                self.send("start", due)
                self.starts += 1
                started = True
            self.send("clock", due)
            self.ticks += 1
            if len(self.late_s) < KEEP:
                self.late_s.append(time.perf_counter() - due)
            index += 1

    def finish(self) -> None:
        """Send ``stop`` and close the port (after a moment: a JACK port sends on its next cycle)."""
        try:
            self.send("stop", time.perf_counter())
            time.sleep(0.02)
        finally:
            self.port.close()

    def counters(self) -> dict:
        late = sorted(self.late_s)
        q = (lambda p: round(1e3 * late[min(len(late) - 1, int(p * len(late)))], 3)) if late else (lambda p: None)
        return {"ticks": self.ticks, "starts": self.starts, "realtime": self.realtime,
                "late_ms_p50": q(0.5), "late_ms_p95": q(0.95)}


def open_output_by_name(port_name: str, backend: str | None = None):
    """``(port, opened_as, notice)``: the output whose name is ``port_name``, else the first that
    contains it (case-insensitive), else a new virtual output of that name (``notice`` says so)."""
    import mido

    lib = mido.Backend(backend) if backend else mido
    names = lib.get_output_names()
    match = [n for n in names if n == port_name] or [n for n in names if port_name.lower() in n.lower()]
    if match:
        return lib.open_output(match[0]), match[0], None
    port = lib.open_output(port_name, virtual=True)
    return port, f"{port_name} (virtual)", (f"MIDI clock out: no output '{port_name}' (have: "
                                            f"{', '.join(names) or 'none'}); made a virtual one to connect gear to")


def _child_main(port_name, backend, array, stop, conn, parent_pid) -> None:
    """The sender process: open the port, tick until ``stop`` (or the show is gone), send ``stop``."""
    try:
        port, opened_as, notice = open_output_by_name(port_name, backend)
    except Exception as exc:
        conn.send(("error", f"cannot open '{port_name}': {exc}"))
        return
    conn.send(("opened", opened_as, notice))
    sender = _Sender(lambda: SharedGrid.read(array), port, stop, record=False)
    last = [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        if now - last[0] >= REPORT_S:
            last[0] = now
            if os.getppid() != parent_pid:  # the show died without closing: stop sending
                stop.set()
            conn.send(("stats", sender.counters()))

    try:
        sender.run(tick)
        sender.finish()
    except Exception as exc:
        conn.send(("lost", f"'{opened_as}' lost: {exc}"))
        port.close()
    finally:
        conn.send(("stats", sender.counters()))


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

