"""MIDI messages -> show actions through a controller profile: one :class:`Mapper` per port set.

Runs on the render thread (``MidiPorts.poll``), holding the per-control state: soft takeover,
14-bit pairs, button edges, smoothing and MIDI learn. Messages are mido ``Message`` objects (or
anything with the same attributes); channels are 1..16 here as in profiles and route sources.

Per poll, continuous values are coalesced: a knob swept through 40 values in one frame gives one
``param`` action (its last value) and one ``control`` action for its ``cc:`` source, while notes,
program changes and buttons give one action each, in arrival order, stamped with their arrival time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, NamedTuple

from reactor.control.actions import Action
from reactor.control.midi_profile import HELD_ACTIONS, VALUE_ACTIONS, CCMap, MapSet, NoteMap, Profile
from reactor.control.params import apply_curve, smoothing_coefficient

__all__ = ["Context", "Learned", "Mapper", "LEARN_SETTLE_S"]

LEARN_SETTLE_S = 0.25
"""MIDI learn waits this long after the first moved control for its 14-bit partner (cc + 32)."""
INTENSITY_ACTIONS = frozenset({"flash", "trigger"})
"""Actions whose value is an intensity: a note's velocity, a button's level."""
ORIGIN = "midi"


class Context(NamedTuple):
    """What the show shows now, read once per poll: the preset's name and parameters, and
    ``current(name)``: a parameter's base value now (its override, else its default; None if unknown)."""

    preset: str | None
    params: Mapping[str, object]
    current: Callable[[str], float | None]


class Learned(NamedTuple):
    """A finished MIDI learn: the control that moved, for parameter ``param``."""

    param: str
    kind: str  # "cc", "pitchbend", "aftertouch"
    channel: int
    number: int = -1
    bits: int = 7


@dataclass
class _State:
    engaged: bool = False
    last: float | None = None   # where the control was last (parameter units)
    sent: float | None = None   # the value this control last gave the parameter
    on: bool = False            # a button's state
    target: float | None = None  # smoothing: where the output glides to
    out: float | None = None


class _Active:
    """A ``MapSet`` indexed by (channel, number); channel None matches any channel."""

    def __init__(self, maps: MapSet) -> None:
        self.cc: dict[tuple, list[CCMap]] = {}
        self.lsb: dict[tuple, int] = {}
        for m in maps.cc:
            self.cc.setdefault((m.channel, m.number), []).append(m)
            if m.bits == 14:
                self.lsb[(m.channel, m.number + 32)] = m.number
        self.note: dict[tuple, list[NoteMap]] = {}
        for n in maps.note:
            self.note.setdefault((n.channel, n.note), []).append(n)
        self.maps = maps

    def ccs(self, ch: int, num: int) -> list[CCMap]:
        return self.cc.get((ch, num), []) + self.cc.get((None, num), [])

    def notes(self, ch: int, note: int) -> list[NoteMap]:
        return self.note.get((ch, note), []) + self.note.get((None, note), [])

    def msb_of(self, ch: int, num: int) -> int | None:
        found = self.lsb.get((ch, num))
        return found if found is not None else self.lsb.get((None, num))


def _on_channel(m, ch: int) -> bool:
    return m is not None and (m.channel is None or m.channel == ch)


class Mapper:
    """Turn MIDI messages into actions with ``profile``; see the module docstring."""

    def __init__(self, profile: Profile, *, learn: str | None = None) -> None:
        self.profile = profile
        self.learn_target = learn
        self.learned: Learned | None = None  # set when a learn finishes; the owner saves and clears it
        self._active: dict[str | None, _Active] = {}
        self._state: dict[CCMap, _State] = {}
        self._msb: dict[tuple[int, int], int] = {}
        self._candidate: dict | None = None
        self._last_now: float | None = None
        self.waiting: dict[str, tuple[float, float, float]] = {}
        """Soft takeover not reached yet: parameter -> (control's value, parameter's value, when)
        (the HUD says which way to turn)."""

    def set_profile(self, profile: Profile) -> None:
        """Use a new (e.g. just learned) profile; controls keep their takeover state."""
        self.profile = profile
        self._active.clear()

    @property
    def gliding(self) -> bool:
        """Whether a smoothed mapping is still on its way (it needs polls with no messages)."""
        return any(st.target is not None for st in self._state.values())

    def arm(self, param: str | None) -> None:
        """Start MIDI learn for ``param`` (None: stop)."""
        self.learn_target, self._candidate = param, None

    def _set(self, preset: str | None) -> _Active:
        if preset not in self._active:
            self._active[preset] = _Active(self.profile.for_preset(preset))
        return self._active[preset]

    # -- per poll --------------------------------------------------------------------------------
    def handle(self, messages: Iterable[tuple[object, float]], now_s: float,
               context: Context | None = None) -> list[Action]:
        """Actions for ``messages`` ((message, arrival time on the engine clock) pairs)."""
        active = self._set(context.preset if context else None)
        out: list[Action] = []
        controls: dict[str, float] = {}
        params: dict[str, float] = {}
        values: dict[tuple, float] = {}
        for msg, t in messages:
            kind = msg.type
            ch = getattr(msg, "channel", 0) + 1
            if kind == "control_change":
                self._cc(active, ch, msg.control, msg.value, t, context, out, controls, params, values)
            elif kind in ("note_on", "note_off"):
                down = kind == "note_on" and msg.velocity > 0
                for n in active.notes(ch, msg.note):
                    if down:
                        value = n.value if n.value is not None else (msg.velocity / 127.0 if n.velocity else 1.0)
                        out.append(Action(n.action, n.arg, value, t, ORIGIN))
                    elif n.hold:
                        out.append(Action(n.action, n.arg, 0.0, t, ORIGIN))
            elif kind == "program_change":
                self._program(active.maps, ch, msg.program, t, out)
            elif kind in ("pitchwheel", "aftertouch"):
                name = "pitchbend" if kind == "pitchwheel" else "aftertouch"
                x = (msg.pitch + 8192) / 16383.0 if kind == "pitchwheel" else msg.value / 127.0
                if self._learning(name, ch, -1, t):
                    continue
                m = getattr(active.maps, name)
                if _on_channel(m, ch):
                    self._continuous(m, x, 16383 if kind == "pitchwheel" else 127, t, context, out, params, values)
        self._smooth(now_s, context, params)
        self._finish_learn(now_s)
        out.extend(Action("control", src, v, None, ORIGIN) for src, v in controls.items())
        out.extend(Action("param", p, v, None, ORIGIN) for p, v in params.items())
        out.extend(Action(a, arg, v, None, ORIGIN) for (a, arg), v in values.items())
        return out

    def _cc(self, active, ch, num, value, t, context, out, controls, params, values) -> None:
        msb = active.msb_of(ch, num)
        if msb is not None:  # the LSB of a 14-bit pair: the pair's value, on the MSB's source
            controls[f"cc:{ch}:{num}"] = value / 127.0
            hi = self._msb.get((ch, msb))
            if hi is None:
                return
            num, raw, steps = msb, (hi << 7) | value, 16383
        else:
            fine = any(m.bits == 14 for m in active.ccs(ch, num))
            if fine:
                self._msb[(ch, num)] = value
            raw, steps = (value << 7, 16383) if fine else (value, 127)
        controls[f"cc:{ch}:{num}"] = raw / steps
        if self._learning("cc", ch, num, t):
            return
        for m in active.ccs(ch, num):
            self._continuous(m, raw / steps, steps, t, context, out, params, values)

    def _program(self, maps: MapSet, ch: int, program: int, t: float, out: list[Action]) -> None:
        pm = maps.program
        if pm is None or not _on_channel(pm, ch):
            return
        if pm.presets is None:
            out.append(Action(pm.action, program, 1.0, t, ORIGIN))  # 0-based slot index
        elif program < len(pm.presets):
            out.append(Action(pm.action, pm.presets[program], 1.0, t, ORIGIN))

    def _continuous(self, m: CCMap, x: float, steps: int, t: float, context: Context | None,
                    out: list[Action], params: dict, values: dict) -> None:
        x = 1.0 - x if m.invert else x
        y = apply_curve(m.curve, x)
        st = self._state.setdefault(m, _State())
        if m.param is None:
            lo, hi = m.range or (0.0, 1.0)
            if m.action in VALUE_ACTIONS:
                values[(m.action, m.arg)] = lo + y * (hi - lo)
                return
            on = y > 0.5
            if on != st.on and (on or m.action in HELD_ACTIONS):
                value = y if m.action in INTENSITY_ACTIONS else (1.0 if on else 0.0)
                out.append(Action(m.action, m.arg, value, t, ORIGIN))
            st.on = on
            return
        spec = context.params.get(m.param) if context else None
        if context is not None and spec is None:
            return  # the showing preset has no such parameter
        lo, hi = m.range or ((spec.min, spec.max) if spec is not None else (0.0, 1.0))
        value = lo + y * (hi - lo)
        current = params.get(m.param)
        if current is None and context is not None:
            current = context.current(m.param)
        if m.takeover == "soft" and current is not None and not self._takes_over(st, value, current, hi - lo, steps):
            self.waiting[m.param] = (value, current, t)
            return
        self.waiting.pop(m.param, None)
        if m.smoothing_s > 0.0:  # _smooth sends (and remembers) the gliding value
            st.target = value
            if st.out is None:
                st.out = current if current is not None else value
        else:
            params[m.param] = st.sent = value

    @staticmethod
    def _takes_over(st: _State, value: float, current: float, span: float, steps: int) -> bool:
        """Soft takeover: engaged once the control is at, or has passed, the parameter's value."""
        if st.engaged and st.sent is not None and abs(current - st.sent) > 1e-6 * abs(span) + 1e-9:
            st.engaged, st.last = False, None  # something else moved the parameter: catch it again
        if not st.engaged:
            near = abs(value - current) <= 1.5 * abs(span) / steps
            crossed = st.last is not None and (st.last - current) * (value - current) <= 0.0
            st.engaged = near or crossed
        st.last = value
        return st.engaged

    def _smooth(self, now_s: float, context: Context | None, params: dict) -> None:
        dt = 0.0 if self._last_now is None else now_s - self._last_now
        self._last_now = now_s
        for m, st in self._state.items():
            if m.smoothing_s <= 0.0 or st.target is None or st.out is None:
                continue
            st.out += smoothing_coefficient(dt, m.smoothing_s) * (st.target - st.out)
            span = abs(m.range[1] - m.range[0]) if m.range else 1.0
            if abs(st.target - st.out) < 1e-4 * span:
                st.out, st.target = st.target, None
            params[m.param] = st.sent = st.out

    # -- learn -----------------------------------------------------------------------------------
    def _learning(self, kind: str, ch: int, num: int, t: float) -> bool:
        """While learning, note the first control that moves (and its 14-bit partner); True: swallowed."""
        if self.learn_target is None:
            return False
        c = self._candidate
        if c is None:
            self._candidate = {"kind": kind, "channel": ch, "number": num, "t": t, "bits": 7}
        elif kind == "cc" == c["kind"] and ch == c["channel"]:
            if num == c["number"] + 32 and num < 64:
                c["bits"] = 14
            elif num == c["number"] - 32 and c["number"] >= 32:  # the LSB came first
                c["number"], c["bits"] = num, 14
        return True

    def _finish_learn(self, now_s: float) -> None:
        c = self._candidate
        if c is None or self.learn_target is None or now_s - c["t"] < LEARN_SETTLE_S:
            return
        bits = c["bits"] if c["number"] < 32 else 7
        self.learned = Learned(self.learn_target, c["kind"], c["channel"], c["number"], bits)
        self.learn_target, self._candidate = None, None
