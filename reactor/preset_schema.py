"""The preset schema: allowed keys and values, and the checks that turn a parsed TOML table into
validated parameters and routes. Every error is one ``PresetError`` line naming the file and the
key, with the allowed values or the closest valid name. Used by ``reactor.presets``.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from reactor.errors import PresetError
from reactor.features import SCALARS

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

CURVES = ("linear", "exp", "log", "smooth", "step")
"""Curve names: how a route shapes its 0..1 source (see ``reactor.control.params``)."""
SHAPES = ("sine", "triangle", "saw", "square")
"""LFO shapes."""
LFO = "lfo"
"""The route source name of the beat-locked LFO."""
LFO_BEATS = (0.25, 8.0)
"""Allowed LFO period in beats, inclusive."""
TOP_KEYS = ("name", "description", "scene", "tags", "image", "params", "route", "effect")
EFFECT_KEYS = ("scene", "params", "route")
PARAM_KEYS = ("default", "min", "max")
ROUTE_KEYS = ("param", "source", "amount", "curve", "range", "attack_s", "release_s", "shape", "beats")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class ParamSpec:
    """A scene parameter: value at rest and the range the modulated value is clamped to."""

    default: float
    min: float = 0.0
    max: float = 1.0


@dataclass(frozen=True)
class Route:
    """One ``[[route]]``: ``param`` gets ``amount * smooth(curve(map(source)))`` added.

    ``range`` is the source interval mapped to 0..1 (hi < lo inverts); None means the feature's
    natural range (``natural_range``) and is always None for the LFO, which is already 0..1.
    ``shape`` and ``beats`` only matter when ``source == "lfo"``.
    """

    param: str
    source: str
    amount: float = 1.0
    curve: str = "linear"
    range: tuple[float, float] | None = None
    attack_s: float = 0.0
    release_s: float = 0.0
    shape: str = "sine"
    beats: float = 1.0


CONTROL_SOURCE = re.compile(r"^(cc:(?:[1-9]|1[0-6]):(?:\d|[1-9]\d|1[01]\d|12[0-7])|ctl:[a-z][a-z0-9_]{0,31})$")
"""Route sources outside the sound features: ``cc:<channel 1-16>:<controller 0-127>`` (a MIDI CC,
0..1) and ``ctl:<name>`` (any named external control, 0..1). Values come from the live control
store (keys now, MIDI/OSC later); a control that has not been set yet reads 0."""


def is_control_source(name: str) -> bool:
    """Whether ``name`` is an external control (``cc:1:74``, ``ctl:fader1``), not a feature."""
    return bool(CONTROL_SOURCE.match(name))


def natural_range(feature: str) -> tuple[float, float] | None:
    """The documented range of a feature (``SCALARS``) as (lo, hi), or None when unbounded.

    ``"0..1"`` -> (0, 1); ``"0 or 1"`` -> (0, 1); ``"0 or 40..2000"`` -> (40, 2000);
    ``">= 0"`` (counts, time) -> None: a route from those must give ``range``.
    """
    if feature == LFO or is_control_source(feature):
        return (0.0, 1.0)
    text = SCALARS[feature][1]
    spans = re.findall(r"(-?\d+(?:\.\d+)?)\s*\.\.\s*(-?\d+(?:\.\d+)?)", text)
    if spans:
        return float(spans[-1][0]), float(spans[-1][1])
    pair = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s+or\s+(-?\d+(?:\.\d+)?)\s*", text)
    return (float(pair.group(1)), float(pair.group(2))) if pair else None


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (shorter messages)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def suggest(word: str, choices: Any, *, listing: bool = True) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, else ``" (allowed: a, b)"`` (or "")."""
    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f" (allowed: {', '.join(choices)})" if listing and choices else ""


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; every failure is a one-line PresetError naming the file (and line)."""
    where = display_path(path)
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise PresetError(f"{where}: file not found") from None
    except UnicodeDecodeError:
        raise PresetError(f"{where}: not a UTF-8 text file") from None
    except OSError as e:
        raise PresetError(f"{where}: cannot read ({e.strerror or e})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)", msg)
        if m:
            raise PresetError(f"{where}:{m.group(1)}:{m.group(2)}: invalid TOML: {msg[:m.start()]}") from None
        raise PresetError(f"{where}: invalid TOML: {msg}") from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _number(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PresetError(f"{where}: {key}: must be a number, got {_short(value)}")
    if not math.isfinite(value):
        raise PresetError(f"{where}: {key}: must be a finite number, got {value}")
    return float(value)


def _string(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PresetError(f"{where}: {key}: must be a non-empty string, got {_short(value)}")
    return value


def _choice(value: Any, choices: tuple[str, ...], where: str, key: str) -> str:
    if not isinstance(value, str) or value not in choices:
        hint = suggest(value, choices, listing=False) if isinstance(value, str) else ""
        raise PresetError(f"{where}: {key}: unknown value {_short(value)}{hint} (allowed: {', '.join(choices)})")
    return value


def _known_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str, prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise PresetError(f"{where}: {prefix}{key}: unknown key{suggest(key, allowed)}")


def check_top(data: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Validate the top-level keys; returns name/description/scene/tags/image that are present."""
    _known_keys(data, TOP_KEYS, where, "")
    if "scene" not in data:
        raise PresetError(f"{where}: scene: missing key (the scene to show, e.g. scene = \"tunnel\")")
    out: dict[str, Any] = {"scene": _string(data["scene"], where, "scene")}
    if "name" in data:
        out["name"] = _string(data["name"], where, "name")
    if "description" in data:
        if not isinstance(data["description"], str):
            raise PresetError(f"{where}: description: must be a string, got {_short(data['description'])}")
        out["description"] = data["description"]
    if "tags" in data:
        tags = data["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise PresetError(f"{where}: tags: must be a list of strings, e.g. tags = [\"music\"]")
        out["tags"] = tags
    if "image" in data:
        if not isinstance(data["image"], bool):
            raise PresetError(f"{where}: image: must be true or false, got {_short(data['image'])}")
        out["image"] = data["image"]
    return out


def check_params(raw: Any, where: str) -> dict[str, ParamSpec]:
    """Validate ``[params.*]`` tables -> name -> ParamSpec (min/max default to 0..1, default to min)."""
    if not isinstance(raw, dict):
        raise PresetError(f"{where}: params: must be tables like [params.zoom], got {_short(raw)}")
    out = {}
    for name, table in raw.items():
        key = f"params.{name}"
        if not _IDENT.fullmatch(name) or "__" in name:
            raise PresetError(f"{where}: {key}: bad name (letters, digits, single '_'; the scene reads p_{name})")
        if not isinstance(table, dict):
            raise PresetError(f"{where}: {key}: must be a table with default/min/max, got {_short(table)}")
        _known_keys(table, PARAM_KEYS, where, f"{key}.")
        lo = _number(table.get("min", 0.0), where, f"{key}.min")
        hi = _number(table.get("max", 1.0), where, f"{key}.max")
        if lo > hi:
            raise PresetError(f"{where}: {key}: min {lo:g} > max {hi:g} (min/max default to 0..1)")
        default = _number(table.get("default", lo), where, f"{key}.default")
        if not lo <= default <= hi:
            raise PresetError(f"{where}: {key}.default: {default:g} is outside min..max "
                              f"{lo:g}..{hi:g} (min/max default to 0..1)")
        out[name] = ParamSpec(default=default, min=lo, max=hi)
    return out


def check_routes(raw: Any, params: Mapping[str, ParamSpec], where: str) -> list[Route]:
    """Validate ``[[route]]`` tables against the declared params and the feature vocabulary.

    Routes are numbered from 1 in messages: ``route[1]`` is the first ``[[route]]`` in the file.
    """
    if not isinstance(raw, list):
        raise PresetError(f"{where}: route: must be an array of tables ([[route]]), got {_short(raw)}")
    sources = (*SCALARS, LFO)
    routes = []
    for i, table in enumerate(raw, start=1):
        key = f"route[{i}]"
        if not isinstance(table, dict):
            raise PresetError(f"{where}: {key}: must be a table ([[route]]), got {_short(table)}")
        _known_keys(table, ROUTE_KEYS, where, f"{key}.")
        for required in ("param", "source"):
            if required not in table:
                raise PresetError(f"{where}: {key}.{required}: missing key")
        param = _string(table["param"], where, f"{key}.param")
        if param not in params:
            hint = suggest(param, params) if params else f" (declare it in a [params.{param}] table)"
            raise PresetError(f"{where}: {key}.param: unknown parameter '{param}'{hint}")
        source = _string(table["source"], where, f"{key}.source")
        if source not in sources and not is_control_source(source):
            if source.startswith(("cc:", "ctl:")):
                raise PresetError(f"{where}: {key}.source: bad control '{source}' (use cc:<channel 1-16>:"
                                  f"<controller 0-127>, e.g. cc:1:74, or ctl:<lowercase name>)")
            hint = suggest(source, sources)  # the closest name, else every valid one
            raise PresetError(f"{where}: {key}.source: unknown feature '{source}'{hint}")
        fields: dict[str, Any] = {"param": param, "source": source}
        if "amount" in table:
            fields["amount"] = _number(table["amount"], where, f"{key}.amount")
        if "curve" in table:
            fields["curve"] = _choice(table["curve"], CURVES, where, f"{key}.curve")
        for tk in ("attack_s", "release_s"):
            if tk in table:
                fields[tk] = _number(table[tk], where, f"{key}.{tk}")
                if fields[tk] < 0:
                    raise PresetError(f"{where}: {key}.{tk}: must be >= 0 seconds, got {fields[tk]:g}")
        if source == LFO:
            if "range" in table:
                raise PresetError(f"{where}: {key}.range: not used with source = 'lfo' (the LFO is already 0..1)")
            if "shape" in table:
                fields["shape"] = _choice(table["shape"], SHAPES, where, f"{key}.shape")
            if "beats" in table:
                beats = fields["beats"] = _number(table["beats"], where, f"{key}.beats")
                if not LFO_BEATS[0] <= beats <= LFO_BEATS[1]:
                    raise PresetError(f"{where}: {key}.beats: {beats:g} is outside "
                                      f"{LFO_BEATS[0]:g}..{LFO_BEATS[1]:g} (allowed: 0.25 .. 8 beats)")
        else:
            for lfo_only in ("shape", "beats"):
                if lfo_only in table:
                    raise PresetError(f"{where}: {key}.{lfo_only}: only used with source = 'lfo'")
            fields["range"] = _source_range(table, source, where, key)
        routes.append(Route(**fields))
    return routes


def _source_range(table: Mapping[str, Any], source: str, where: str, key: str) -> tuple[float, float]:
    if "range" not in table:
        natural = natural_range(source)
        if natural is None:
            raise PresetError(f"{where}: {key}.range: feature '{source}' has no natural range "
                              f"({SCALARS[source][1]}); give range = [lo, hi]")
        return natural
    rng = table["range"]
    if not isinstance(rng, list) or len(rng) != 2:
        raise PresetError(f"{where}: {key}.range: must be [lo, hi], got {_short(rng)}")
    lo = _number(rng[0], where, f"{key}.range")
    hi = _number(rng[1], where, f"{key}.range")
    if lo == hi:
        raise PresetError(f"{where}: {key}.range: lo and hi are both {lo:g}; they must differ")
    return (lo, hi)
