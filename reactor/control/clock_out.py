"""MIDI clock out (``--midi-clock-out NAME``): lights and other gear follow the show's leading tempo.

The render thread hands each frame's tempo and beat position to :meth:`MidiClockOut.after_frame`;
a sender with its own timer sends 24 ticks a beat, ``start`` just before the first downbeat and
``stop`` on close. A burst of ticks sent from the render loop would land on frame boundaries
(16.7 ms apart at 60 fps); here each tick goes out at its own time.

The sender runs in a process of its own for a named port (the default): a thread in the show's
process waits for the interpreter lock while the render thread is inside a long call (a
numba kernel, a GL call that a CPU rasterizer executes on the spot), and its ticks went out up
to 16 ms late (p95) in a running show here. In the child, the latest grid is read from shared
memory under a sequence lock. With ``open_port`` (tests, embedding) it is a thread. The grid,
the tick loop and the process live in ``reactor.control.clock_sender``.

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

import os
import threading
import time
from collections import deque

from reactor.control.clock_sender import OutGrid, SharedGrid, _child_main, _Sender

__all__ = ["OutGrid", "MidiClockOut", "add_arguments", "surfaces_from_args"]

RETRY_S = 2.0
"""How often a missing or lost output port is tried again."""


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


def add_arguments(parser) -> None:
    parser.add_argument("--midi-clock-out", metavar="NAME",
                        help="send MIDI clock (24 ppqn, start/stop) following the leading tempo to the MIDI "
                             "output NAME (a part of its name; a virtual output of that name when none matches)")


def surfaces_from_args(args) -> list:
    name = getattr(args, "midi_clock_out", None)
    return [MidiClockOut(name)] if name else []
