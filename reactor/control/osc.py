"""OSC: control the show from the network (``--osc-in``) and stream what it hears (``--osc-out``).

Control in: a UDP server thread (python-osc's packet parser) only decodes each datagram and puts
``(address, args, arrival perf_counter)`` on a ``queue.SimpleQueue``; :meth:`OscControl.poll`,
on the render thread, turns them into :class:`~reactor.control.actions.Action` values. A bad
address or argument becomes one notice (HUD + log), never an exception; after
``MAX_DISTINCT_NOTICES`` distinct problems the rest are only counted (``osc_bad_messages``).

Feature stream out: :class:`OscFeed` sends, after every frame, the beats the picture showed (once
each), the onsets, and the frame's tempo, phases, levels and bands, all under ``/reactor/``.
State that changes rarely (preset, tempo source) is sent on change and again every
``STATE_REPEAT_S`` seconds, so a desk that joins late learns it.

The address spaces are :data:`IN_ADDRESSES` and :data:`OUT_ADDRESSES` (the README's tables are
checked against them). python-osc is imported only when a server or client is made.
"""

from __future__ import annotations

import importlib
import math
import queue
import socket
import threading
import time

from reactor.control.actions import Action
from reactor.errors import UsageError


PREFIX = "/reactor"
MAX_PER_POLL = 2000
"""Messages turned into actions per frame at most (a flood waits for the next frames)."""
MAX_DISTINCT_NOTICES = 64
"""Distinct bad-message notices shown; later problems are counted in ``osc_bad_messages`` only."""
STATE_REPEAT_S = 1.0
"""Preset and tempo source are re-sent this often (and at once when they change)."""

IN_ADDRESSES: dict[str, tuple[str, str]] = {
    "/reactor/preset": ("s or i", "crossfade to a preset by name or 0-based slot index (quantized as set)"),
    "/reactor/cut": ("s or i", "the same, at once (no fade)"),
    "/reactor/next": ("", "next preset"),
    "/reactor/previous": ("", "previous preset"),
    "/reactor/fade": ("f", "crossfade length, seconds (0..60)"),
    "/reactor/quantize": ("s", "crossfades start `now`, on the next `beat` or `bar`"),
    "/reactor/tap": ("", "tap tempo (dated when the packet arrived)"),
    "/reactor/untap": ("", "forget the tapped tempo"),
    "/reactor/nudge": ("f", "move the beat by this many seconds (-0.5..0.5)"),
    "/reactor/flash": ("[f]", "full-frame flash, intensity 0..1 (default 1; at most 3 per second)"),
    "/reactor/trigger/<name>": ("[f]", "pulse route source `ctl:<name>` to the level (default 1), decaying"),
    "/reactor/param/<name>": ("f", "set parameter `<name>` (the preset's, without `p_`); it glides there"),
    "/reactor/param/<name>/clear": ("", "parameter `<name>` back to the preset's value"),
    "/reactor/control/<name>": ("f", "route source `ctl:<name>` to a value 0..1 (a fader)"),
    "/reactor/blackout": ("[i or f]", "blackout on (1) / off (0); no argument toggles"),
    "/reactor/freeze": ("[i or f]", "freeze the picture on (1) / off (0); no argument toggles"),
    "/reactor/panic": ("", "safe preset at once; no blackout, freeze or overrides"),
}
"""Control addresses: address -> (argument types, what it does)."""

OUT_ADDRESSES: dict[str, tuple[str, str, str]] = {
    "/reactor/beat": ("i i i", "per beat", "beat count, position in the bar (1..beats per bar), beats per bar"),
    "/reactor/bar": ("i", "per downbeat", "bar count (sent with the beat at bar position 1)"),
    "/reactor/onset": ("f", "per onset", "onset strength 0..1"),
    "/reactor/tempo": ("f f", "per frame", "tempo BPM, tempo confidence 0..1"),
    "/reactor/phase": ("f f", "per frame", "beat phase 0..1 (0 on the beat), bar phase 0..1 (0 on the downbeat)"),
    "/reactor/level": ("f", "per frame", "level 0..1, normalized by adaptive gain (see `/reactor/loudness` for how loud)"),
    "/reactor/loudness": ("f f", "per frame", "loudness as heard 0..1 (-50..-8 LUFS), short-term LUFS"),
    "/reactor/bands": ("f f f f f f", "per frame", "band levels 0..1: sub, bass, lowmid, mid, highmid, high"),
    "/reactor/band/<name>": ("f", "per frame", "one band level 0..1 (`sub` `bass` `lowmid` `mid` `highmid` `high`)"),
    "/reactor/silence": ("i", "per frame", "1 while the input is below the noise gate"),
    "/reactor/preset": ("s", "on change, and every second", "the preset on screen (the new one once its crossfade has finished)"),
    "/reactor/tempo/source": ("s", "on change, and every second", "who leads the tempo: `detector`, `tap`, `midi`, `link` ..."),
}
"""Feature stream: address -> (argument types, when, meaning)."""


def parse_port(text: str, flag: str) -> int:
    try:
        port = int(str(text).strip())
    except ValueError:
        raise UsageError(f"{flag}: port must be a number 1..65535, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise UsageError(f"{flag}: port must be 1..65535, got {port}")
    return port


def parse_endpoint(text: str, flag: str, *, default_host: str) -> tuple[str, int]:
    """``"9000"`` -> (default_host, 9000); ``"host:9000"`` -> ("host", 9000)."""
    text = str(text).strip()
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = default_host, text
    return (host.strip("[]") or default_host), parse_port(port, flag)


# -- control in --------------------------------------------------------------------------------


class OscControl:
    """A control surface fed by OSC over UDP on ``host``:``port`` (see :data:`IN_ADDRESSES`).

    The socket is bound when the object is made (a port in use is a ``UsageError`` before the
    show opens a window); the receiving thread starts in :meth:`attach` (or the first poll).
    Threads: the server thread puts ``(address, args, arrival_s)`` on ``self.inbox`` and nothing
    else; everything else runs on the render thread.
    """

    name = "osc"

    def __init__(self, *, port: int, host: str = "0.0.0.0", clock=time.perf_counter) -> None:
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._clock = clock
        self._server = _make_server(host, port, self.inbox, clock)
        self.port = self._server.server_address[1]
        self._thread: threading.Thread | None = None
        self._notices: list[str] = []
        self._problems: set[str] = set()
        self._show = None
        self.received = 0
        self.bad = 0
        self.latency_s: list[float] = []  # arrival -> poll, last 1000 (stats)

    def attach(self, show) -> None:
        self._show = show
        self.start()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                            name="osc-in", daemon=True)
            self._thread.start()

    def poll(self, now_s: float) -> list[Action]:
        """Actions from the messages that arrived since the last frame (render thread)."""
        self.start()
        out: list[Action] = []
        perf_now = self._clock()
        for _ in range(MAX_PER_POLL):
            try:
                address, args, arrival = self.inbox.get_nowait()
            except queue.Empty:
                break
            self.received += 1
            lag = max(0.0, perf_now - arrival)
            self.latency_s.append(lag)
            try:
                action = self._action(address, args, now_s - lag)
            except _Bad as bad:
                self._problem(address, str(bad))
                continue
            if action is not None:
                out.append(action)
        del self.latency_s[:-1000]
        return out

    def _action(self, address: str, args: tuple, when_s: float) -> Action | None:
        if address == _MALFORMED:
            raise _Bad(f"a datagram that is not OSC ({args[0]} bytes)")
        parts = address.rstrip("/").split("/")
        if len(parts) < 3 or parts[0] != "" or parts[1] != PREFIX[1:]:
            raise _Bad("not a /reactor/ address")
        head, rest = parts[2], parts[3:]

        def act(name: str, arg=None, value: float = 1.0) -> Action:
            return Action(name, arg, value, when_s if name == "tap" else None, "osc")

        if head in ("preset", "cut") and not rest:
            (value,) = _args(args, 1, 1)
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise _Bad("wants a preset name or a slot index")
            if isinstance(value, float):
                if not value.is_integer():
                    raise _Bad(f"slot index must be a whole number, got {value:g}")
                value = int(value)
            return act(head, value)
        if head in ("next", "previous", "untap", "panic") and not rest:
            _args(args, 0, 0)
            return act(head)
        if head == "tap" and not rest:
            _args(args, 0, 1)  # some controllers send a 1.0 with every button press
            return act("tap")
        if head == "fade" and not rest:
            return act("fade_length", value=_number(args, lo=0.0, hi=60.0))
        if head == "nudge" and not rest:
            return act("nudge", value=_number(args, lo=-0.5, hi=0.5))
        if head == "quantize" and not rest:
            (mode,) = _args(args, 1, 1)
            if mode not in ("now", "beat", "bar"):
                raise _Bad(f"wants now, beat or bar, got {mode!r}")
            return act("quantize", mode)
        if head == "flash" and not rest:
            return act("flash", value=_number(args, lo=0.0, hi=1.0, default=1.0))
        if head in ("blackout", "freeze") and not rest:
            if not args:
                return act(head)
            return act(f"{head}_on", value=1.0 if _number(args, lo=0.0, hi=1.0) > 0.5 else 0.0)
        if head == "trigger" and len(rest) == 1 and _name_ok(rest[0]):
            return act("trigger", rest[0], _number(args, lo=0.0, hi=1.0, default=1.0))
        if head == "control" and len(rest) == 1 and _name_ok(rest[0]):
            return act("control", f"ctl:{rest[0]}", _number(args, lo=0.0, hi=1.0))
        if head == "param" and rest and _name_ok(rest[0]):
            self._check_param(rest[0])
            if rest[1:] == ["clear"]:
                _args(args, 0, 0)
                return act("param_clear", rest[0])
            if len(rest) == 1:
                return act("param", rest[0], _number(args))
        known = sorted(a for a in IN_ADDRESSES if a.split("/")[2] == head)
        raise _Bad(f"unknown address (did you mean {' or '.join(known)}?)" if known else "unknown address")

    def _check_param(self, name: str) -> None:
        show = self._show
        if show is None or not hasattr(show, "slots"):
            return
        names = {n for slot in show.slots for n in slot.preset.param_defaults()}
        if name not in names:
            raise _Bad(f"no parameter {name!r} in this show's presets ({', '.join(sorted(names)) or 'none'})")

    def _problem(self, address: str, problem: str) -> None:
        self.bad += 1
        key = f"{address}: {problem}"
        if key in self._problems:
            return
        if len(self._problems) >= MAX_DISTINCT_NOTICES:
            if len(self._problems) == MAX_DISTINCT_NOTICES:
                self._problems.add("")
                self._notices.append("OSC: more bad messages; counted in osc_bad_messages, not shown")
            return
        self._problems.add(key)
        self._notices.append(f"OSC {_short(address)}: {problem}")

    def notices(self) -> list[str]:
        out, self._notices = self._notices, []
        return out

    def stats(self) -> dict:
        lat = sorted(self.latency_s)
        return {"osc_in_port": self.port, "osc_received": self.received, "osc_bad_messages": self.bad,
                "osc_in_latency_ms_p50": 1e3 * lat[len(lat) // 2] if lat else None}

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=2.0)
            self._thread = None
        self._server.server_close()


class _Bad(Exception):
    """A message that cannot be used (the text is the notice)."""


_MALFORMED = "<malformed>"


def _short(address: str) -> str:
    address = "".join(c if c.isprintable() else "?" for c in str(address))
    return address if len(address) <= 60 else address[:57] + "..."


def _name_ok(name: str) -> bool:
    return bool(name) and len(name) <= 64 and all(c.isalnum() or c in "_-." for c in name)


def _args(args: tuple, lo: int, hi: int) -> tuple:
    if not lo <= len(args) <= hi:
        want = f"{lo}" if lo == hi else f"{lo}..{hi}"
        raise _Bad(f"wants {want} argument{'s' if hi != 1 else ''}, got {len(args)}")
    return args


def _number(args: tuple, *, lo: float = -math.inf, hi: float = math.inf, default: float | None = None) -> float:
    if not args and default is not None:
        return default
    (value,) = _args(args, 1, 1)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad(f"wants a number, got {type(value).__name__} {value!r}"[:120])
    value = float(value)
    if not math.isfinite(value):
        raise _Bad("wants a finite number")
    if not lo <= value <= hi:
        raise _Bad(f"{value:g} is outside {lo:g}..{hi:g}")
    return value


def _pythonosc(what: str):
    try:
        return importlib.import_module(f"pythonosc.{what}")
    except ImportError:
        raise UsageError("OSC needs the python-osc package: pip install 'reactor[live]'") from None


def _make_server(host: str, port: int, inbox: queue.SimpleQueue, clock):
    import socketserver

    osc_packet = _pythonosc("osc_packet")
    OscPacket, ParseError = osc_packet.OscPacket, osc_packet.ParseError

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:  # server thread: decode and queue, nothing else
            data = self.request[0]
            arrival = clock()
            try:
                packet = OscPacket(data)
            except (ParseError, ValueError, IndexError, TypeError):
                inbox.put((_MALFORMED, (len(data),), arrival))
                return
            for timed in packet.messages:
                inbox.put((timed.message.address, tuple(timed.message.params), arrival))

    class Server(socketserver.UDPServer):
        allow_reuse_address = False
        max_packet_size = 65535

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        Server.address_family = family
        return Server((host, port), Handler)
    except OSError as exc:
        raise UsageError(f"--osc-in {host}:{port}: cannot listen ({exc.strerror or exc})") from None


# -- feature stream out ------------------------------------------------------------------------


class OscFeed:
    """Publishes the feature stream (:data:`OUT_ADDRESSES`) to ``(host, port)`` targets after each frame.

    Sending runs on the render thread (a UDP ``sendto`` per message, no waiting); a target whose
    network fails is reported once and retried every frame.
    """

    name = "osc-out"

    def __init__(self, targets: list[tuple[str, int]]) -> None:
        self._builder = _pythonosc("osc_message_builder").OscMessageBuilder
        self.targets = []
        for host, port in targets:
            try:
                info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
            except socket.gaierror as exc:
                raise UsageError(f"--osc-out {host}:{port}: unknown host ({exc.strerror})") from None
            self.targets.append((info[0], info[4], f"{host}:{port}"))
        self._socks = {fam: socket.socket(fam, socket.SOCK_DGRAM) for fam in {t[0] for t in self.targets}}
        for s in self._socks.values():
            s.setblocking(False)
        self.sent = 0
        self.send_errors = 0
        self._notices: list[str] = []
        self._failing: set[str] = set()
        self._state: dict[str, tuple] = {}
        self._state_s = -math.inf

    def poll(self, now_s: float) -> list[Action]:
        return []

    def after_frame(self, view) -> None:
        """Send this frame's events and levels (render thread)."""
        s = view.scalars
        bpb = max(1, int(round(float(s.get("beats_per_bar", 4.0)))))
        count = int(s.get("beat_count", 0))
        here = int(round(float(s.get("bar_phase", 0.0)) * bpb)) % bpb  # 0-based position of the latest beat
        n = len(view.beats)
        for k in range(n):  # oldest first; the last one is the beat at ``count``
            back = n - 1 - k
            pos = (here - back) % bpb + 1
            self._send("/reactor/beat", count - back, pos, bpb)
            if pos == 1:
                self._send("/reactor/bar", int(s.get("bar_count", 0)))
        for _, strength in view.onsets:
            self._send("/reactor/onset", float(strength))
        self._send("/reactor/tempo", float(s.get("tempo_bpm", 0.0)), float(s.get("tempo_confidence", 0.0)))
        self._send("/reactor/phase", float(s.get("beat_phase", 0.0)), float(s.get("bar_phase", 0.0)))
        self._send("/reactor/level", float(s.get("level", 0.0)))
        self._send("/reactor/loudness", float(s.get("loudness", 0.0)), float(s.get("loudness_lufs", -120.0)))
        bands = [float(b) for b in view.bands]
        self._send("/reactor/bands", *bands)
        from reactor.features import BAND_NAMES

        for name, value in zip(BAND_NAMES, bands):
            self._send(f"/reactor/band/{name}", value)
        self._send("/reactor/silence", int(float(s.get("silence", 0.0)) > 0.5))
        state = {"/reactor/preset": (view.preset,), "/reactor/tempo/source": (view.tempo_source,)}
        again = view.time_s - self._state_s >= STATE_REPEAT_S or view.time_s < self._state_s
        for address, args in state.items():
            if again or self._state.get(address) != args:
                self._send(address, *args)
        if again:
            self._state_s = view.time_s
        self._state = state

    def _send(self, address: str, *args) -> None:
        b = self._builder(address=address)
        for a in args:
            b.add_arg(a)
        dgram = b.build().dgram
        for family, addr, label in self.targets:
            try:
                self._socks[family].sendto(dgram, addr)
                self.sent += 1
                if label in self._failing:
                    self._failing.discard(label)
                    self._notices.append(f"OSC out to {label}: sending again")
            except OSError as exc:  # a full buffer, a network that went away: the show goes on
                self.send_errors += 1
                if label not in self._failing:
                    self._failing.add(label)
                    self._notices.append(f"OSC out to {label}: {exc.strerror or exc} (retrying every frame)")

    def notices(self) -> list[str]:
        out, self._notices = self._notices, []
        return out

    def stats(self) -> dict:
        return {"osc_sent": self.sent, "osc_send_errors": self.send_errors}

    def close(self) -> None:
        for s in self._socks.values():
            s.close()


# -- command line ------------------------------------------------------------------------------


def add_arguments(parser) -> None:
    """``--osc-in`` and ``--osc-out`` on ``reactor live``."""
    parser.add_argument("--osc-in", metavar="[HOST:]PORT", default=None,
                        help="listen for OSC control on UDP PORT (all interfaces; HOST:PORT to bind one)")
    parser.add_argument("--osc-out", metavar="[HOST:]PORT", action="append", default=None,
                        help="send the OSC feature stream to HOST:PORT (default host 127.0.0.1; repeat for more)")


def surfaces_from_args(args) -> list:
    """The OSC surfaces the flags ask for (none without them)."""
    out: list = []
    if getattr(args, "osc_in", None):
        host, port = parse_endpoint(args.osc_in, "--osc-in", default_host="0.0.0.0")
        out.append(OscControl(host=host, port=port))
    if getattr(args, "osc_out", None):
        out.append(OscFeed([parse_endpoint(t, "--osc-out", default_host="127.0.0.1") for t in args.osc_out]))
    return out


def in_markdown() -> str:
    """The README's table of control addresses (tests/test_osc_docs.py keeps them in step)."""
    rows = ["| address | arguments | what it does |", "| --- | --- | --- |"]
    rows += [f"| `{a}` | {t or '-'} | {d} |" for a, (t, d) in IN_ADDRESSES.items()]
    return "\n".join(rows)


def out_markdown() -> str:
    """The README's table of the feature stream's addresses."""
    rows = ["| address | arguments | sent | meaning |", "| --- | --- | --- | --- |"]
    rows += [f"| `{a}` | {t} | {w} | {d} |" for a, (t, w, d) in OUT_ADDRESSES.items()]
    return "\n".join(rows)
