"""MIDI controller profiles: TOML files (data only) that say what each knob, pad and wheel does.

A profile maps control changes to parameters (range, curve, invert, smoothing, soft takeover,
14-bit pairs) or to actions, notes to actions (velocity as intensity), program changes to presets,
and pitch bend and channel aftertouch to parameters. ``[preset.<name>]`` tables override entries
while that preset shows. Every CC also feeds its ``cc:<channel>:<number>`` route source whether a
profile maps it or not. Validated on load like presets: one ``MidiError`` line naming the file and
the key, with the closest valid name. The format is documented in the README ("MIDI controllers").

Profiles are found by name in ``$REACTOR_CONTROLLERS``, the user folder
``$XDG_CONFIG_HOME/reactor/controllers`` and the built-in ``controllers/`` (see
``reactor.resources``). MIDI learn (:func:`save_learned`) writes into the profile's own file when
that is a user's file, else into a copy in the user folder; comments and layout are kept
(``tomlkit``, a style-preserving TOML editor).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from reactor import resources
from reactor.control.actions import ACTIONS
from reactor.errors import MidiError, PresetError
from reactor.preset_schema import display_path, is_control_source, read_toml, suggest

__all__ = ["Profile", "MapSet", "CCMap", "NoteMap", "ProgramMap", "load_profile", "empty_profile",
           "save_learned", "DEFAULT_PROFILE"]

DEFAULT_PROFILE = "default"
"""The profile used without ``--midi-profile`` when the user has one by that name (MIDI learn
without a profile saves there)."""
CURVES = ("linear", "exp", "log")
TAKEOVER = ("soft", "jump")
TOP_KEYS = ("name", "description", "channel", "cc", "note", "program", "pitchbend", "aftertouch", "preset")
SET_KEYS = ("cc", "note", "program", "pitchbend", "aftertouch")
CONT_KEYS = ("channel", "param", "action", "arg", "range", "curve", "invert", "smoothing_s", "takeover")
CC_KEYS = ("cc", "bits", *CONT_KEYS)
NOTE_KEYS = ("note", "channel", "action", "arg", "value", "velocity", "hold")
PROGRAM_KEYS = ("channel", "action", "presets")
VALUE_ACTIONS = frozenset({"fade_length", "control", "nudge"})
"""Actions a knob drives continuously: the mapped value (in ``range``) is sent on every change."""
HELD_ACTIONS = frozenset({"freeze_on", "blackout_on"})
"""On/off actions: a CC sends on (> half way) and off; a note with ``hold = true`` sends off on release."""
NEEDS_ARG = frozenset({"preset", "cut", "slot", "trigger", "control", "param_clear"})
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class CCMap:
    """A continuous control (a CC, pitch bend or aftertouch) -> a parameter or an action.

    ``number`` is the CC (the MSB of a 14-bit pair when ``bits == 14``; its LSB is
    ``number + 32``), -1 for pitch bend and aftertouch. ``channel`` 1..16, or None for any.
    ``range`` is in the parameter's units (None: the parameter's min..max in the showing preset;
    0..1 for actions). ``takeover`` "soft": the control moves the parameter only once it passes
    the parameter's current value, so turning a knob never makes it jump.
    """

    number: int
    channel: int | None = 1
    param: str | None = None
    action: str | None = None
    arg: Any = None
    range: tuple[float, float] | None = None
    curve: str = "linear"
    invert: bool = False
    smoothing_s: float = 0.0
    takeover: str = "soft"
    bits: int = 7


@dataclass(frozen=True)
class NoteMap:
    """A note -> an action; ``value`` fixed, else the velocity (0..1) when ``velocity``, else 1.
    ``hold``: release sends the action again with value 0 (``blackout_on`` while a pad is held)."""

    note: int
    action: str
    channel: int | None = 1
    arg: Any = None
    value: float | None = None
    velocity: bool = True
    hold: bool = False


@dataclass(frozen=True)
class ProgramMap:
    """Program change -> ``action`` ("preset" or "cut") to ``presets[n]``, else to slot n + 1."""

    channel: int | None = None
    action: str = "preset"
    presets: tuple[str, ...] | None = None


@dataclass(frozen=True)
class MapSet:
    """One set of mappings: the profile's top level or one ``[preset.<name>]`` table."""

    cc: tuple[CCMap, ...] = ()
    note: tuple[NoteMap, ...] = ()
    program: ProgramMap | None = None
    pitchbend: CCMap | None = None
    aftertouch: CCMap | None = None

    def over(self, base: "MapSet") -> "MapSet":
        """``base`` with this set's entries replacing those on the same control."""
        cc_keys = {(m.channel, m.number) for m in self.cc}
        note_keys = {(m.channel, m.note) for m in self.note}
        return MapSet(cc=tuple(m for m in base.cc if (m.channel, m.number) not in cc_keys) + self.cc,
                      note=tuple(m for m in base.note if (m.channel, m.note) not in note_keys) + self.note,
                      program=self.program or base.program, pitchbend=self.pitchbend or base.pitchbend,
                      aftertouch=self.aftertouch or base.aftertouch)


@dataclass(frozen=True)
class Profile:
    """A validated controller profile.

    ``source``: the file it was read from (None for :func:`empty_profile`); ``origin``: the folder
    it came from ("built-in", "user", "$REACTOR_CONTROLLERS" or "path"); ``learn_path``: where
    MIDI learn writes (the file itself unless it is a built-in one).
    """

    name: str
    description: str = ""
    maps: MapSet = field(default_factory=MapSet)
    presets: Mapping[str, MapSet] = field(default_factory=dict)
    source: Path | None = None
    origin: str = "path"
    learn_path: Path | None = None

    def for_preset(self, preset: str | None) -> MapSet:
        """The mappings in force while ``preset`` shows (its overrides over the top level)."""
        own = self.presets.get(preset) if preset else None
        return own.over(self.maps) if own is not None else self.maps


def _fail(where: str, key: str, problem: str) -> MidiError:
    return MidiError(f"{where}: {key}: {problem}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _known(table: Mapping[str, Any], allowed: tuple[str, ...], where: str, prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise _fail(where, f"{prefix}{key}", f"unknown key{suggest(key, allowed)}")


def _int(value: Any, lo: int, hi: int, where: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _fail(where, key, f"must be a whole number {lo}..{hi}, got {_short(value)}")
    return value


def _num(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(where, key, f"must be a finite number, got {_short(value)}")
    return float(value)


def _bool(value: Any, where: str, key: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, key, f"must be true or false, got {_short(value)}")
    return value


def _choice(value: Any, choices, where: str, key: str) -> str:
    if not isinstance(value, str) or value not in choices:
        hint = suggest(value, sorted(choices), listing=False) if isinstance(value, str) else ""
        listing = "" if hint and len(choices) > 12 else f" (allowed: {', '.join(choices)})"
        raise _fail(where, key, f"unknown value {_short(value)}{hint}{listing}")
    return value


def _channel(table: Mapping[str, Any], default: int | None, where: str, key: str) -> int | None:
    if "channel" not in table:
        return default
    value = table["channel"]
    if value == "any":
        return None
    return _int(value, 1, 16, where, f"{key}.channel")


def _action(table: Mapping[str, Any], where: str, key: str) -> tuple[str, Any]:
    action = _choice(table["action"], sorted(ACTIONS - {"param"}), where, f"{key}.action")
    arg = table.get("arg")
    if action in NEEDS_ARG and arg is None:
        raise _fail(where, f"{key}.arg", f"missing key (action '{action}' needs one)")
    if action == "slot":
        arg = str(_int(arg, 1, 99, where, f"{key}.arg"))
    elif action == "trigger" and not (isinstance(arg, str) and _NAME.fullmatch(arg)):
        raise _fail(where, f"{key}.arg", f"trigger name must be lowercase letters, digits, '_' "
                                         f"(it feeds route source ctl:<name>), got {_short(arg)}")
    elif action == "control" and not (isinstance(arg, str) and is_control_source(arg)):
        raise _fail(where, f"{key}.arg", f"must be a control source like 'ctl:fader' or 'cc:1:74', got {_short(arg)}")
    elif action in ("preset", "cut") and not (isinstance(arg, str) and arg.strip()):
        raise _fail(where, f"{key}.arg", f"must be a preset name, got {_short(arg)}")
    elif action == "param_clear" and not (isinstance(arg, str) and _IDENT.fullmatch(arg)):
        raise _fail(where, f"{key}.arg", f"must be a parameter name, got {_short(arg)}")
    return action, arg


def _continuous(table: Any, number: int, default_ch: int | None, where: str, key: str,
                allowed: tuple[str, ...] = CONT_KEYS) -> CCMap:
    if not isinstance(table, dict):
        raise _fail(where, key, f"must be a table, got {_short(table)}")
    _known(table, allowed, where, f"{key}.")
    if ("param" in table) == ("action" in table):
        raise _fail(where, key, "give either param = \"name\" or action = \"name\"")
    fields: dict[str, Any] = {"number": number, "channel": _channel(table, default_ch, where, key)}
    if "param" in table:
        param = table["param"]
        if not isinstance(param, str) or not _IDENT.fullmatch(param):
            raise _fail(where, f"{key}.param", f"must be a parameter name (the scene's p_<name>), got {_short(param)}")
        fields["param"] = param
        if "arg" in table:
            raise _fail(where, f"{key}.arg", "only used with action")
    else:
        fields["action"], fields["arg"] = _action(table, where, key)
    if "range" in table:
        rng = table["range"]
        if not isinstance(rng, list) or len(rng) != 2:
            raise _fail(where, f"{key}.range", f"must be [lo, hi], got {_short(rng)}")
        lo, hi = _num(rng[0], where, f"{key}.range"), _num(rng[1], where, f"{key}.range")
        if lo == hi:
            raise _fail(where, f"{key}.range", f"lo and hi are both {lo:g}; they must differ")
        fields["range"] = (lo, hi)
    if "curve" in table:
        fields["curve"] = _choice(table["curve"], CURVES, where, f"{key}.curve")
    if "invert" in table:
        fields["invert"] = _bool(table["invert"], where, f"{key}.invert")
    if "smoothing_s" in table:
        fields["smoothing_s"] = _num(table["smoothing_s"], where, f"{key}.smoothing_s")
        if not 0.0 <= fields["smoothing_s"] <= 10.0:
            raise _fail(where, f"{key}.smoothing_s", f"must be 0..10 seconds, got {fields['smoothing_s']:g}")
    if "takeover" in table:
        fields["takeover"] = _choice(table["takeover"], TAKEOVER, where, f"{key}.takeover")
    return CCMap(**fields)


def _cc(table: Any, default_ch: int | None, where: str, key: str) -> CCMap:
    if not isinstance(table, dict):
        raise _fail(where, key, f"must be a table ([[cc]]), got {_short(table)}")
    if "cc" not in table:
        raise _fail(where, f"{key}.cc", "missing key (the controller number 0..127)")
    number = _int(table["cc"], 0, 127, where, f"{key}.cc")
    rest = {k: v for k, v in table.items() if k not in ("cc", "bits")}
    _known(table, CC_KEYS, where, f"{key}.")
    m = _continuous(rest, number, default_ch, where, key)
    if "bits" in table:
        bits = table["bits"]
        if bits not in (7, 14) or isinstance(bits, bool):
            raise _fail(where, f"{key}.bits", f"must be 7 or 14, got {_short(bits)}")
        if bits == 14 and number > 31:
            raise _fail(where, f"{key}.bits", f"a 14-bit pair has its MSB on cc 0..31 (LSB = cc + 32), got cc {number}")
        m = replace(m, bits=bits)
    return m


def _note(table: Any, default_ch: int | None, where: str, key: str) -> NoteMap:
    if not isinstance(table, dict):
        raise _fail(where, key, f"must be a table ([[note]]), got {_short(table)}")
    _known(table, NOTE_KEYS, where, f"{key}.")
    for required in ("note", "action"):
        if required not in table:
            raise _fail(where, f"{key}.{required}", "missing key")
    fields: dict[str, Any] = {"note": _int(table["note"], 0, 127, where, f"{key}.note"),
                              "channel": _channel(table, default_ch, where, key)}
    fields["action"], fields["arg"] = _action(table, where, key)
    if "value" in table:
        fields["value"] = _num(table["value"], where, f"{key}.value")
    if "velocity" in table:
        fields["velocity"] = _bool(table["velocity"], where, f"{key}.velocity")
    if "hold" in table:
        fields["hold"] = _bool(table["hold"], where, f"{key}.hold")
        if fields["hold"] and fields["action"] not in HELD_ACTIONS:
            raise _fail(where, f"{key}.hold", f"only for {', '.join(sorted(HELD_ACTIONS))} (on while held)")
    return NoteMap(**fields)


def _program(table: Any, where: str) -> ProgramMap:
    if not isinstance(table, dict):
        raise _fail(where, "program", f"must be a table ([program]), got {_short(table)}")
    _known(table, PROGRAM_KEYS, where, "program.")
    fields: dict[str, Any] = {"channel": _channel(table, None, where, "program")}
    if "action" in table:
        fields["action"] = _choice(table["action"], ("preset", "cut"), where, "program.action")
    if "presets" in table:
        names = table["presets"]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
            raise _fail(where, "program.presets", "must be a list of preset names (program 0 = the first)")
        fields["presets"] = tuple(names)
    return ProgramMap(**fields)


def _map_set(data: Mapping[str, Any], default_ch: int | None, where: str, prefix: str) -> MapSet:
    def array(name: str) -> list:
        raw = data.get(name, [])
        if not isinstance(raw, list):
            raise _fail(where, f"{prefix}{name}", f"must be an array of tables ([[{name}]]), got {_short(raw)}")
        return raw

    cc = tuple(_cc(t, default_ch, where, f"{prefix}cc[{i}]") for i, t in enumerate(array("cc"), start=1))
    notes = tuple(_note(t, default_ch, where, f"{prefix}note[{i}]") for i, t in enumerate(array("note"), start=1))
    program = _program(data["program"], where) if "program" in data else None
    wheels = {name: _continuous(data[name], -1, default_ch, where, f"{prefix}{name}")
              for name in ("pitchbend", "aftertouch") if name in data}
    return MapSet(cc=cc, note=notes, program=program, **wheels)


def parse_profile(data: Mapping[str, Any], where: str, *, name: str) -> tuple[str, str, MapSet, dict[str, MapSet]]:
    """Validate a parsed profile table -> (name, description, top-level maps, per-preset maps)."""
    _known(data, TOP_KEYS, where, "")
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            raise _fail(where, key, f"must be a string, got {_short(data[key])}")
    default_ch = _channel(data, 1, where, "")
    maps = _map_set(data, default_ch, where, "")
    presets = {}
    raw = data.get("preset", {})
    if not isinstance(raw, dict):
        raise _fail(where, "preset", "must be tables like [preset.tunnel] (mappings while that preset shows)")
    for preset, table in raw.items():
        key = f"preset.{preset}"
        if not isinstance(table, dict):
            raise _fail(where, key, f"must be a table, got {_short(table)}")
        _known(table, SET_KEYS, where, f"{key}.")
        presets[preset] = _map_set(table, default_ch, where, f"{key}.")
    return data.get("name", name), data.get("description", ""), maps, presets


def _looks_like_path(text: str) -> bool:
    return "/" in text or os.sep in text or text.endswith(".toml")


def find_profile(name_or_path: str) -> tuple[Path, str] | None:
    """(file, origin) of a profile name in the search folders, or of a path; None if not found."""
    if _looks_like_path(name_or_path):
        return Path(name_or_path).expanduser(), "path"
    for d in resources.controller_dirs():
        candidate = d.path / f"{name_or_path}.toml"
        if candidate.is_file():
            return candidate, d.origin
    return None


def _available() -> list[str]:
    names = set()
    for d in resources.controller_dirs():
        if d.path.is_dir():
            names.update(p.stem for p in d.path.glob("*.toml"))
    return sorted(names)


def load_profile(name_or_path: str | os.PathLike[str]) -> Profile:
    """Load and validate a profile by name (see ``reactor.resources.controller_dirs``) or path.

    Raises
    ------
    MidiError
        One line: file not found / invalid TOML (file:line:column) / file: key: problem, or an
        unknown name with the closest match and the names available.
    """
    text = os.fspath(name_or_path)
    found = find_profile(text)
    if found is None:
        names = _available()
        raise MidiError(f"unknown MIDI profile '{text}'{suggest(text, names, listing=False)} "
                        f"(available: {', '.join(names) or 'none'}; or give a .toml path)")
    path, origin = found
    try:
        data = read_toml(path)
    except PresetError as exc:
        raise MidiError(str(exc)) from None
    where = display_path(path)
    name, description, maps, presets = parse_profile(data, where, name=path.stem)
    learn = path if origin != resources.BUILTIN else resources.user_config_dir() / "controllers" / path.name
    return Profile(name=name, description=description, maps=maps, presets=presets, source=path.resolve(),
                   origin=origin, learn_path=learn)


def empty_profile(name: str = DEFAULT_PROFILE) -> Profile:
    """No mappings (CCs still feed ``cc:`` route sources); MIDI learn saves to the user's ``name``."""
    return Profile(name=name, learn_path=resources.user_config_dir() / "controllers" / f"{name}.toml")


def default_profile() -> Profile:
    """The user's ``default`` profile when there is one, else :func:`empty_profile`."""
    return load_profile(DEFAULT_PROFILE) if find_profile(DEFAULT_PROFILE) else empty_profile()


def save_learned(profile: Profile, *, param: str, kind: str, channel: int, number: int = -1,
                 bits: int = 7) -> Path:
    """Write a learned mapping into ``profile.learn_path`` and return that path.

    ``kind`` is "cc" (``number``, ``bits``), "pitchbend" or "aftertouch". A top-level entry on the
    same control is replaced; everything else in the file (comments, order) is kept. A built-in
    profile is copied to the user folder first. The file is replaced atomically.
    """
    import tomlkit

    path = profile.learn_path
    if path is None:
        raise MidiError(f"MIDI profile '{profile.name}' has nowhere to save to")
    if path.is_file():
        text = path.read_text(encoding="utf-8")
    elif profile.source is not None and profile.source.is_file():
        text = profile.source.read_text(encoding="utf-8")
    else:
        text = f"# MIDI controller profile (written by MIDI learn; see the README, 'MIDI controllers')\n" \
               f"name = \"{profile.name}\"\n"
    doc = tomlkit.parse(text)
    default_ch = doc.get("channel", 1)
    entry = tomlkit.table()
    if kind == "cc":
        entry["cc"] = number
        if bits == 14:
            entry["bits"] = 14
    if channel != default_ch:
        entry["channel"] = channel
    entry["param"] = param
    if kind == "cc":
        aot = doc.get("cc")
        if aot is None:
            aot = tomlkit.aot()
            doc["cc"] = aot
        for i in reversed(range(len(aot))):
            if aot[i].get("cc") == number and aot[i].get("channel", default_ch) == channel:
                del aot[i]
        aot.append(entry)
    else:
        doc[kind] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    os.replace(tmp, path)
    return path
