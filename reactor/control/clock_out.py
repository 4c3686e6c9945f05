"""MIDI clock out (``--midi-clock-out NAME``): lights and other gear follow the show's leading tempo.

The render thread hands each frame's tempo and beat position to :meth:`MidiClockOut.after_frame`;
a sender with its own timer sends 24 ticks a beat, ``start`` just before the first downbeat and
``stop`` on close. A burst of ticks sent from the render loop would land on frame boundaries
(16.7 ms apart at 60 fps); here each tick goes out at its own time.

The sender runs in a process of its own for a named port (the default): a thread in the show's
process waits for the interpreter lock while the render thread is inside a long call (a
numba kernel, a GL call that a CPU rasterizer executes on the spot), and its ticks went out up
to 16 ms late (p95) in a running show here. In the child, the latest grid is read from shared
memory under a sequence lock. With ``open_port`` (tests, embedding) it is a thread.

What crosses threads or processes: :class:`OutGrid`'s state, one tuple ``(host_s, beats, bpm,
bar_origin, beats_per_bar)``, written whole by the render thread (an attribute assignment for the
thread; :class:`SharedGrid` for the process) and read whole by the sender; the port belongs to
the sender alone once it runs.

The out grid is locked to the show's beats by a phase-locked loop, not copied frame by frame:
each frame's beat phase pulls the grid by ``PULL`` of the error (a frame's time stamp jitters
by a millisecond or two, the out clock should not), a tempo change takes effect at once, and an
error over ``JUMP_BEATS`` (a tap, a new source) moves the grid there directly.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque

from reactor.control.clock import PPQN

__all__ = ["OutGrid", "SharedGrid", "MidiClockOut", "open_output_by_name", "add_arguments", "surfaces_from_args"]

PULL = 0.1
"""Fraction of the phase error corrected per frame (a time constant of ~10 frames)."""
JUMP_BEATS = 0.125
"""A phase error beyond this (beats) moves the out grid at once."""
REALTIME_PRIORITY = 20
"""The sender's real-time priority where it may have one (JACK's own threads use 10..70)."""
RETRY_S = 2.0
"""How often a missing or lost output port is tried again."""
REPORT_S = 0.5
"""How often the sender process reports its counters (and checks that the show is still there)."""
KEEP = 100_000
"""Per-tick records kept at most (a long show keeps the first ones)."""


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
        Opens the port instead (anything with ``send(msg)`` and ``close()``); the sender is then a
        thread of this process, which also keeps every tick's (kind, due, sent) in ``sent``.
    host_time : callable (engine_s) -> perf_counter s, optional
        Maps frame times to ``perf_counter``; ``attach(show)`` sets it to ``show.host_time_s``.
    """

    name = "midi clock out"

    def __init__(self, port_name: str, *, backend: str | None = None, open_port=None, host_time=None) -> None:
        self.port_name = port_name
        self._backend = backend
        self._open_port = open_port
        self._host_time = host_time or (lambda t: t)
        self.grid = OutGrid()
        self._opened_as = None
        self._next_try_s = 0.0
        self._notices: deque[str] = deque()  # appended by the sender thread too
        self._counters: dict = {}
        self._thread: threading.Thread | None = None  # thread mode
        self._sender: _Sender | None = None
        self._stop = threading.Event()
        self._proc = None  # process mode
        self._shared = None
        self._conn = None

    @property
    def sent(self) -> list:
        return self._sender.sent if self._sender is not None else []

    @property
    def running(self) -> bool:
        return (self._thread is not None and self._thread.is_alive()) or \
            (self._proc is not None and self._proc.is_alive())

    # -- render thread -----------------------------------------------------------------------
    def attach(self, show) -> None:
        self._host_time = show.host_time_s

    def poll(self, now_s: float):
        self._drain()
        if not self.running and time.perf_counter() >= self._next_try_s:
            if self._proc is not None or self._thread is not None:  # it ended: try again later
                self._proc = self._thread = None
                self._next_try_s = time.perf_counter() + RETRY_S
            elif self._open_port is not None:
                self._start_thread()
            else:
                self._start_process()
        return []

    def after_frame(self, view) -> None:
        s = view.scalars
        per_bar = int(s.get("beats_per_bar", 4) or 4)
        self.grid.update(host_s=self._host_time(view.time_s), beat_phase=float(s.get("beat_phase", 0.0)),
                         bpm=float(s.get("tempo_bpm", 0.0)), bar_position=float(s.get("bar_phase", 0.0)) * per_bar,
                         beats_per_bar=per_bar)
        if self._shared is not None and self.grid.state is not None:
            self._shared.write(self.grid.state)

    def notices(self) -> list[str]:
        out = []
        while self._notices:
            out.append(self._notices.popleft())
        return out

    def stats(self) -> dict:
        c = self._sender.counters() if self._sender is not None else self._counters
        return {"midi_clock_out_port": self._opened_as, "midi_clock_out_ticks": c.get("ticks", 0),
                "midi_clock_out_realtime": c.get("realtime"),
                "midi_clock_out_late_ms_p50": c.get("late_ms_p50"), "midi_clock_out_late_ms_p95": c.get("late_ms_p95")}

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self._proc is not None:
            self._proc.join(timeout=3.0)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(timeout=1.0)
            self._drain()
            self._proc = None

    # -- thread mode -------------------------------------------------------------------------
    def _start_thread(self) -> None:
        try:
            port = self._open_port()
        except Exception as exc:  # no port yet: say so, try again later; the show goes on
            self._next_try_s = time.perf_counter() + RETRY_S
            self._notices.append(f"MIDI clock out: cannot open '{self.port_name}': {exc} (trying again)")
            return
        self._opened_as = self.port_name
        self._stop.clear()
        self._sender = _Sender(lambda: self.grid.state, port, self._stop, record=True)
        self._thread = threading.Thread(target=self._thread_main, args=(self._sender,), name="midi-clock-out",
                                        daemon=True)
        self._thread.start()

    def _thread_main(self, sender: _Sender) -> None:
        """Sender thread: ticks until close; a port error ends it (poll tries again)."""
        try:
            sender.run()
            sender.finish()
        except Exception as exc:
            self._notices.append(f"MIDI clock out: '{self._opened_as}' lost: {exc} (trying again)")
            sender.port.close()

    # -- process mode ------------------------------------------------------------------------
    def _start_process(self) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")  # no fork of a process holding GL and audio
        if self._shared is None:
            self._shared = SharedGrid(ctx)
            if self.grid.state is not None:
                self._shared.write(self.grid.state)
        self._stop = ctx.Event()
        self._conn, child_conn = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_child_main, name="reactor-midi-clock-out", daemon=True,
                                 args=(self.port_name, self._backend, self._shared.array, self._stop, child_conn,
                                       os.getpid()))
        try:
            self._proc.start()
        except Exception as exc:
            self._proc = None
            self._next_try_s = time.perf_counter() + RETRY_S
            self._notices.append(f"MIDI clock out: cannot start its sender: {exc} (trying again)")
        child_conn.close()

    def _drain(self) -> None:
        conn = self._conn
        while conn is not None:
            try:
                if not conn.poll():
                    return
                msg = conn.recv()
            except (EOFError, OSError):
                self._conn = None
                return
            if msg[0] == "opened":
                self._opened_as = msg[1]
                if msg[2]:
                    self._notices.append(msg[2])
            elif msg[0] in ("error", "lost"):
                self._notices.append(f"MIDI clock out: {msg[1]} (trying again)")
            elif msg[0] == "stats":
                self._counters = msg[1]


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
