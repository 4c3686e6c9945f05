"""MIDI controllers for ``reactor live``: the :class:`MidiPorts` control surface, its command-line
flags (``--midi``, ``--midi-profile``, ``--midi-api``, ``--learn``) and ``reactor midi-monitor``.

``MidiPorts`` is polled once per frame on the render thread (``reactor.control.actions.Surface``):
it drains the messages its :class:`~reactor.control.midi_ports.PortSet` received (each stamped
on arrival), dates them on the engine clock, hands MIDI clock and transport messages to a clock
object when it has one, and maps the rest through the controller profile
(:class:`~reactor.control.midi_map.Mapper`) into actions. MIDI learn (key ``l`` or ``--learn``)
saves what it learns into the profile file. Port trouble is reported through ``notices()``;
nothing here raises out of ``poll`` for a device problem.
"""

from __future__ import annotations

import sys
import time
from typing import Sequence

from reactor.control.actions import Action
from reactor.control.midi_map import Context, Mapper
from reactor.control.midi_ports import API_NAMES, SCAN_S, PortSet, api_id, load_rtmidi
from reactor.control.midi_profile import Profile, default_profile, empty_profile, load_profile, save_learned
from reactor.errors import ReactorError, UsageError

__all__ = ["MidiPorts", "add_arguments", "surfaces_from_args", "monitor", "describe", "REALTIME"]

REALTIME = frozenset({"clock", "start", "stop", "continue", "songpos"})
"""Message types handed to the MIDI clock (``clock.feed``) instead of the profile."""
LEARNED_SHOWN_S = 6.0
"""How long the HUD says what MIDI learn just mapped."""
TAKEOVER_SHOWN_S = 2.0
"""How long after a control last moved the HUD says it has not taken over its parameter yet."""


class MidiPorts:
    """A control surface from MIDI input ports; see the module docstring.

    Parameters
    ----------
    ports : sequence of str
        Port name parts (case-insensitive), or ``"all"``.
    api : str, optional
        ``jack``, ``alsa``, ``coremidi``, ``winmm``; default ``$REACTOR_MIDI_API``, else rtmidi's.
    profile : Profile, optional
        The controller profile (default: no mappings; CCs still feed ``cc:`` sources).
    clock : object, optional
        With ``feed(msg, time_s)`` and ``sample(time_s)``: receives every clock/transport
        message and is offered to the show as tempo source ``"midi"``.
    learn : str, optional
        Start in MIDI learn for this parameter.
    """

    name = "midi"

    def __init__(self, ports: Sequence[str], *, api: str | None = None, profile: Profile | None = None,
                 clock=None, learn: str | None = None, scan_s: float = SCAN_S) -> None:
        self.ports = PortSet(ports, api=api, scan_s=scan_s)
        self.profile = profile or empty_profile()
        self.mapper = Mapper(self.profile, learn=learn)
        self.clock = clock
        self.messages = 0
        self.learned: list[str] = []
        self.show = None
        self._notes: list[str] = []
        self._started = self._failed = False
        self._last_learned: tuple[str, float] | None = None
        self._now = 0.0

    # -- the Surface protocol --------------------------------------------------------------------
    def attach(self, show) -> None:
        """Read access to the show (its slots and overrides: soft takeover, learn targets)."""
        self.show = show
        self._start()
        target = self.mapper.learn_target
        if target is not None and not any(target in s.preset.params for s in show.slots):
            self._notes.append(f"MIDI learn: no parameter '{target}' in these presets")

    def tempo_sources(self) -> list:
        return [("midi", self.clock)] if self.clock is not None else []

    def poll(self, now_s: float) -> list[Action]:
        """Actions from the messages received since the last frame (render thread; never blocks)."""
        self._now = now_s
        self._start()
        received = self.ports.drain()
        if not received and self.mapper.learn_target is None and not self.mapper.gliding:
            return []
        perf = time.perf_counter()
        mapped = []
        for _port, msg, stamp in received:
            t = now_s - (perf - stamp)  # its arrival on the engine clock
            if msg.type in REALTIME:
                if self.clock is not None:
                    self.clock.feed(msg, t)
                continue
            mapped.append((msg, t))
        self.messages += len(received)
        actions = self.mapper.handle(mapped, now_s, self._context())
        if self.mapper.learned is not None:
            self._save_learned()
        return actions

    def notices(self) -> list[str]:
        out, self._notes = self._notes + self.ports.notices(), []
        return out

    def stats(self) -> dict:
        """``midi_messages`` (received), ``midi_ports`` (name, open, reopened), ``midi_profile``, ``midi_learned``."""
        return {"midi_messages": self.messages, "midi_ports": [dict(p) for p in self.ports.status],
                "midi_profile": self.profile.name, "midi_learned": list(self.learned)}

    def hud_lines(self) -> list[str]:
        """Lines for the HUD: no port open yet (or any more), the learn state, what was just learned."""
        lines = []
        if self._started and self.ports.ready.is_set() and not self.ports.open_ports():
            lines.append(f"MIDI: waiting for {', '.join(repr(s) for s in self.ports.specs)}")
        if self.mapper.learn_target is not None:
            lines.append(f"MIDI learn: {self.mapper.learn_target} - move a control (l: next parameter)")
        if self._last_learned is not None and self._now - self._last_learned[1] < LEARNED_SHOWN_S:
            lines.append(self._last_learned[0])
        for param, (knob, value, t) in self.mapper.waiting.items():
            if self._now - t < TAKEOVER_SHOWN_S:  # a knob that does nothing yet: say which way
                way = "up" if value > knob else "down"
                lines.append(f"MIDI {param}: control at {knob:.2f}, value {value:.2f} - turn {way} to take over")
        return lines

    def close(self) -> None:
        self.ports.close()

    # -- learn -----------------------------------------------------------------------------------
    def learn(self, action: Action) -> None:
        """Key ``l``: the next parameter of the showing preset as learn target; after the last, off.
        ``action.arg`` naming a parameter (not a key) picks that one."""
        context = self._context()
        params = list(context.params) if context else []
        arg = action.arg if isinstance(action.arg, str) and action.arg in params else None
        target = self.mapper.learn_target
        if arg is not None:
            target = arg
        elif not params:
            self._notes.append("MIDI learn: this preset has no parameters")
            target = None
        elif target not in params:
            target = params[0]
        else:
            i = params.index(target) + 1
            target = params[i] if i < len(params) else None
        self.mapper.arm(target)

    def _save_learned(self) -> None:
        got, self.mapper.learned = self.mapper.learned, None
        control = {"cc": f"cc {got.channel}:{got.number}" + (" (14-bit)" if got.bits == 14 else ""),
                   "pitchbend": f"pitch bend (channel {got.channel})",
                   "aftertouch": f"aftertouch (channel {got.channel})"}[got.kind]
        try:
            path = save_learned(self.profile, param=got.param, kind=got.kind, channel=got.channel,
                                number=got.number, bits=got.bits)
            self.profile = load_profile(path)
        except (OSError, ReactorError) as exc:
            self._notes.append(f"MIDI learn: {control} -> {got.param} not saved: {exc}")
            return
        self.mapper.set_profile(self.profile)
        text = f"MIDI learn: {control} -> {got.param}, saved to {path}"
        self.learned.append(text)
        self._notes.append(text)
        self._last_learned = (f"MIDI learned: {control} -> {got.param}", self._now)

    # -- helpers ---------------------------------------------------------------------------------
    def _start(self) -> None:
        if self._started or self._failed:
            return
        try:
            self.ports.start()
            self._started = True
        except ReactorError as exc:  # no rtmidi, an API this build lacks: say so once, the show goes on
            self._failed = True
            self._notes.append(str(exc))

    def _context(self) -> Context | None:
        show = self.show
        if show is None or not hasattr(show, "overrides"):
            return None
        seq = show.seq
        preset = show.slots[seq.fade.target if seq.fade is not None else seq.current].preset
        params, store = preset.params, show.overrides.params

        def current(name: str) -> float | None:
            if name in store:
                return store[name]
            return params[name].default if name in params else None

        return Context(preset.name, params, current)


# -- the command line ------------------------------------------------------------------------------
def add_arguments(parser) -> None:
    """``reactor live`` flags for MIDI controllers."""
    parser.add_argument("--midi", action="append", metavar="NAME",
                        help="read MIDI from input ports whose name contains NAME (case-insensitive; repeat; "
                             "'all': every port); see 'reactor devices'. Ports that vanish are reopened when "
                             "they come back")
    parser.add_argument("--midi-profile", metavar="NAME|FILE",
                        help="controller profile (TOML; names are looked up in ~/.config/reactor/controllers "
                             "and the built-ins, e.g. generic-8x8); default: the user's 'default' profile if any")
    parser.add_argument("--midi-api", choices=tuple(API_NAMES), default=None,
                        help="MIDI system (default: $REACTOR_MIDI_API, else python-rtmidi's default)")
    parser.add_argument("--learn", metavar="PARAM",
                        help="start in MIDI learn for parameter PARAM: the next control moved is mapped to it "
                             "and saved to the profile (key l picks parameters in the show)")


def surfaces_from_args(args) -> list:
    """``[MidiPorts]`` for ``--midi``; [] without it. Bad flags or profiles: one-line errors."""
    if not getattr(args, "midi", None):
        if getattr(args, "learn", None) or getattr(args, "midi_profile", None):
            raise UsageError("--learn and --midi-profile need --midi NAME (see 'reactor devices')")
        return []
    profile = load_profile(args.midi_profile) if args.midi_profile else default_profile()
    api_id(load_rtmidi(), args.midi_api)  # a missing library or API fails here, before the window opens
    from reactor.control.clock import MidiClockIn

    # a controller or DAW that sends MIDI clock leads the tempo (see README "Tempo sources")
    return [MidiPorts(args.midi, api=args.midi_api, profile=profile, learn=args.learn, clock=MidiClockIn())]


def describe(msg) -> str:
    """A message as the monitor prints it, channels 1..16 (as in profiles), with its route source."""
    kind = msg.type
    if not hasattr(msg, "channel"):
        return " ".join(f"{k} {v}" if k != "type" else str(v) for k, v in msg.dict().items() if k != "time")
    ch = msg.channel + 1
    if kind == "control_change":
        return f"control_change ch {ch} cc {msg.control} value {msg.value}  (cc:{ch}:{msg.control})"
    if kind in ("note_on", "note_off"):
        return f"{kind} ch {ch} note {msg.note} velocity {msg.velocity}"
    if kind == "program_change":
        return f"program_change ch {ch} program {msg.program}"
    if kind == "pitchwheel":
        return f"pitchwheel ch {ch} pitch {msg.pitch}"
    if kind == "aftertouch":
        return f"aftertouch ch {ch} value {msg.value}"
    if kind == "polytouch":
        return f"polytouch ch {ch} note {msg.note} value {msg.value}"
    return str(msg)


def monitor(port: str = "all", *, api: str | None = None, seconds: float | None = None,
            count: int | None = None, out=None) -> int:
    """``reactor midi-monitor``: print each message (seconds since start, port, message) until
    ``seconds`` pass, ``count`` messages arrived, or Ctrl-C. Keeper notices print as ``# ...``."""
    from reactor.control.midi_ports import list_ports

    out = out or sys.stdout
    list_ports(api)  # no MIDI system at all: one line and exit status 2, not a silent wait
    ports = PortSet([port], api=api)
    ports.start()
    t0 = time.perf_counter()
    n = 0
    try:
        while True:
            for text in ports.notices():
                print(f"# {text}", file=out, flush=True)
            for name, msg, stamp in ports.drain():
                print(f"{stamp - t0:10.4f}  {name}  {describe(msg)}", file=out, flush=True)
                n += 1
                if count is not None and n >= count:
                    return 0
            if seconds is not None and time.perf_counter() - t0 >= seconds:
                return 0
            time.sleep(0.002)
    finally:
        ports.close()

