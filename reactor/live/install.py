"""Installation files (``reactor live --install show.toml``): an unattended show in one TOML file.

:func:`load_install` reads and validates the file against :data:`SCHEMA` and returns a typed
:class:`Install`; anything wrong (an unknown key, with the closest valid one; a wrong type; a
preset that does not exist; a file that is not there) is one :class:`InstallError` line naming
the file and the key. Relative paths are relative to the file's folder. Nothing here opens a
device or a window: the CLI turns an ``Install`` into the same options the flags give.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reactor.errors import ReactorError
from reactor.preset_schema import suggest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

LOG_MAX_BYTES = 5_000_000
"""Default size of the log file before it rotates (``[log] max_bytes``)."""
LOG_BACKUPS = 5
"""Default number of rotated log files kept (``show.log.1`` .. ``show.log.5``; ``[log] backups``)."""

_STR, _NUM, _INT, _BOOL, _LIST = "a string", "a number", "a whole number", "true or false", "a list of strings"

SCHEMA: dict[str, dict[str, tuple[str, str]]] = {
    "window": {
        "size": (_STR, "window size WxH"),
        "fullscreen": (_BOOL, "fullscreen on `monitor`"),
        "monitor": (_INT, "monitor for fullscreen (0 = primary)"),
        "fps": (_NUM, "frame rate where vsync does not pace"),
        "scale": ("a number or \"auto\"", "internal render scale 0.25..1, or auto"),
        "hud": (_BOOL, "start with the HUD shown (default false for installations)"),
    },
    "audio": {
        "source": ("\"mic\", \"file\" or \"demo\"", "where the sound comes from"),
        "file": (_STR, "with source = \"file\": the track to play"),
        "loop": (_BOOL, "play the file again at the end (default true)"),
        "input": (_LIST, "input devices to listen to, in order of preference (the first present is used)"),
        "output": (_LIST, "output devices to play through, in order of preference; [\"none\"]: silent clock"),
    },
    "playlist": {
        "mode": ("\"time\" or \"energy\"", "rotate on a timer, or follow the music's energy"),
        "hold_s": (_NUM, "time: seconds per entry; energy: seconds before the next entry of the same level"),
        "min_hold_s": (_NUM, "energy: no change sooner than this"),
        "window_s": (_NUM, "energy: measured over this many seconds"),
        "thresholds": ("two numbers", "energy: the low/mid and mid/high boundaries, 0..1"),
        "order": ("\"in-order\" or \"shuffle\"", "time: the order of the entries"),
        "fade_s": (_NUM, "crossfade seconds"),
        "quantize": ("\"now\", \"beat\" or \"bar\"", "when crossfades start"),
        "entry": ("a list of tables", "the entries, in order: [[playlist.entry]]"),
    },
    "playlist.entry": {
        "preset": (_STR, "a preset name or .toml file"),
        "energy": ("\"low\", \"mid\" or \"high\"", "its energy level (default: the preset's own low/mid/high tag)"),
        "hold_s": (_NUM, "its own hold (default: the playlist's)"),
    },
    "show": {
        "presets": (_LIST, "more slots, reachable by keys, OSC and MIDI but not played by the playlist"),
        "safe_preset": (_STR, "what panic shows"),
        "hot_reload": (_BOOL, "reload presets and shaders when their files change (default true)"),
    },
    "osc": {
        "in": ("a port or \"HOST:PORT\"", "listen for OSC control"),
        "out": (_LIST, "send the feature stream to these \"HOST:PORT\" (or port) targets"),
    },
    "midi": {
        "ports": (_LIST, "MIDI input ports (names or name parts)"),
        "profile": (_STR, "a controller profile file"),
    },
    "log": {
        "file": (_STR, "log to this file, rotated by size"),
        "max_bytes": (_INT, f"size before rotating (default {LOG_MAX_BYTES})"),
        "backups": (_INT, f"rotated files kept (default {LOG_BACKUPS})"),
    },
}
"""Every table and key of an install file: key -> (type, meaning) (the README's example has each)."""


class InstallError(ReactorError):
    """An install file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Install:
    """A validated install file (paths resolved; None: not given, the flag's default applies)."""

    path: Path
    size: str | None = None
    fullscreen: bool | None = None
    monitor: int | None = None
    fps: float | None = None
    scale: str | None = None
    hud: bool = False
    audio_source: str | None = None
    audio_file: str | None = None
    loop: bool = True
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    entries: tuple = ()
    mode: str = "time"
    hold_s: float = 120.0
    min_hold_s: float = 30.0
    window_s: float = 30.0
    thresholds: tuple[float, float] = (0.35, 0.65)
    shuffle: bool = False
    fade_s: float | None = None
    quantize: str | None = None
    extra_presets: tuple[str, ...] = ()
    safe_preset: str | None = None
    hot_reload: bool = True
    osc_in: str | None = None
    osc_out: tuple[str, ...] = ()
    midi_ports: tuple[str, ...] = ()
    midi_profile: str | None = None
    log_file: str | None = None
    log_max_bytes: int = LOG_MAX_BYTES
    log_backups: int = LOG_BACKUPS

    @property
    def presets(self) -> tuple[str, ...]:
        """The show's slots: the playlist's entries in order, then ``[show] presets`` (no repeats)."""
        out: list[str] = []
        for spec in [e.preset for e in self.entries] + list(self.extra_presets):
            if spec not in out:
                out.append(spec)
        return tuple(out)


class InstallNotices:
    """A surface that only says, once, what the install file chose (sound devices) when no
    playlist carries the notices."""

    name = "install"

    def __init__(self, notices) -> None:
        self._notices = list(notices)

    def poll(self, now_s: float) -> list:
        return []

    def notices(self) -> list[str]:
        out, self._notices = self._notices, []
        return out


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = path.name

    def fail(self, key: str, message: str) -> None:
        raise InstallError(f"{self.where}: {key}: {message}")

    def table(self, data: dict, name: str) -> dict:
        value = data.get(name, {})
        if not isinstance(value, dict):
            self.fail(f"[{name}]", "must be a table")
        self.keys(value, name)
        return value

    def keys(self, table: dict, name: str) -> None:
        allowed = SCHEMA[name]
        for key in table:
            if key not in allowed:
                self.fail(f"{_label(name)}{key}", f"unknown key{suggest(key, allowed)}")

    def get(self, table: dict, name: str, key: str, kind: str, default=None, *, choices=None, lo=None, hi=None):
        if key not in table:
            return default
        v = table[key]
        label = f"{_label(name)}{key}"
        want = SCHEMA[name.split("[")[0]][key][0]
        ok = {_STR: isinstance(v, str), _BOOL: isinstance(v, bool),
              _INT: isinstance(v, int) and not isinstance(v, bool),
              _NUM: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
              _LIST: isinstance(v, list) and all(isinstance(x, str) for x in v)}[kind]
        if not ok:
            self.fail(label, f"must be {want}, got {_show(v)}")
        if choices is not None and v not in choices:
            self.fail(label, f"must be {want}, got {_show(v)}{suggest(str(v), choices, listing=False)}")
        if lo is not None and not lo <= v <= (math.inf if hi is None else hi):
            bound = f"{lo:g}..{hi:g}" if hi is not None else f">= {lo:g}"
            self.fail(label, f"must be {bound}, got {_show(v)}")
        return v

    def file(self, label: str, value: str, *, must_exist: bool = True) -> str:
        p = Path(value).expanduser()
        if not p.is_absolute():
            p = self.path.parent / p
        if must_exist and not p.is_file():
            self.fail(label, f"file not found: {value}")
        return str(p)


def _label(table: str) -> str:
    return "" if not table else f"[{table}] "


def _show(v: Any) -> str:
    text = repr(v) if not isinstance(v, str) else f'"{v}"'
    kind = {bool: "boolean", int: "number", float: "number", str: "string", list: "list", dict: "table"}
    return f"{kind.get(type(v), type(v).__name__)} {text[:40]}"


def load_install(path: str | Path) -> Install:
    """Read and validate ``path``; every problem is one :class:`InstallError` naming file and key."""
    path = Path(path)
    r = _Reader(path)
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise InstallError(f"{path}: install file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InstallError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InstallError(f"{r.where}: not valid TOML: {exc}") from None
    for name in data:
        if name not in SCHEMA or "." in name:
            r.fail(f"[{name}]", f"unknown table{suggest(name, [t for t in SCHEMA if '.' not in t])}")
    kw: dict[str, Any] = {"path": path}
    kw.update(_window(r, r.table(data, "window")))
    kw.update(_audio(r, r.table(data, "audio")))
    kw.update(_playlist(r, r.table(data, "playlist")))
    show = r.table(data, "show")
    kw["extra_presets"] = tuple(r.get(show, "show", "presets", _LIST, []))
    kw["safe_preset"] = r.get(show, "show", "safe_preset", _STR)
    kw["hot_reload"] = r.get(show, "show", "hot_reload", _BOOL, True)
    osc = r.table(data, "osc")
    if "in" in osc:
        v = osc["in"]
        if isinstance(v, bool) or not isinstance(v, (int, str)):
            r.fail("[osc] in", f"must be a port or \"HOST:PORT\", got {_show(v)}")
        kw["osc_in"] = _endpoint(r, "[osc] in", str(v), "0.0.0.0")
    kw["osc_out"] = tuple(_endpoint(r, "[osc] out", t, "127.0.0.1") for t in r.get(osc, "osc", "out", _LIST, []))
    midi = r.table(data, "midi")
    kw["midi_ports"] = tuple(r.get(midi, "midi", "ports", _LIST, []))
    profile = r.get(midi, "midi", "profile", _STR)
    kw["midi_profile"] = r.file("[midi] profile", profile) if profile else None
    log = r.table(data, "log")
    file = r.get(log, "log", "file", _STR)
    kw["log_file"] = r.file("[log] file", file, must_exist=False) if file else None
    kw["log_max_bytes"] = r.get(log, "log", "max_bytes", _INT, LOG_MAX_BYTES, lo=10_000)
    kw["log_backups"] = r.get(log, "log", "backups", _INT, LOG_BACKUPS, lo=1, hi=100)
    _check_presets(r, kw)
    return Install(**kw)


def _window(r: _Reader, t: dict) -> dict:
    out = {"size": r.get(t, "window", "size", _STR), "fullscreen": r.get(t, "window", "fullscreen", _BOOL),
           "monitor": r.get(t, "window", "monitor", _INT, lo=0), "fps": r.get(t, "window", "fps", _NUM, lo=1, hi=240),
           "hud": r.get(t, "window", "hud", _BOOL, False)}
    if out["size"] is not None:
        from reactor.render_job import parse_size

        try:
            parse_size(out["size"])
        except ReactorError as exc:
            r.fail("[window] size", str(exc))
    if "scale" in t:
        v = t["scale"]
        if v != "auto" and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.25 <= v <= 1.0):
            r.fail("[window] scale", f"must be 0.25..1 or \"auto\", got {_show(v)}")
        out["scale"] = str(v)
    return out


def _audio(r: _Reader, t: dict) -> dict:
    source = r.get(t, "audio", "source", _STR, choices=("mic", "file", "demo"))
    file = r.get(t, "audio", "file", _STR)
    if file is not None and source not in (None, "file"):
        r.fail("[audio] file", f"is only used with source = \"file\" (source is \"{source}\")")
    if source == "file" and file is None:
        r.fail("[audio] file", "missing: source = \"file\" needs the track to play")
    if file is not None:
        source = "file"
        file = r.file("[audio] file", file)
    return {"audio_source": source, "audio_file": file, "loop": r.get(t, "audio", "loop", _BOOL, True),
            "inputs": tuple(r.get(t, "audio", "input", _LIST, [])), "outputs": tuple(r.get(t, "audio", "output", _LIST, []))}


def _playlist(r: _Reader, t: dict) -> dict:
    from reactor.control.playlist import LEVELS, Entry

    def g(key, kind, default=None, **kw):
        return r.get(t, "playlist", key, kind, default, **kw)

    out = {"mode": g("mode", _STR, "time", choices=("time", "energy")),
           "hold_s": float(g("hold_s", _NUM, 120.0, lo=1.0)), "min_hold_s": float(g("min_hold_s", _NUM, 30.0, lo=0.0)),
           "window_s": float(g("window_s", _NUM, 30.0, lo=1.0)),
           "shuffle": g("order", _STR, "in-order", choices=("in-order", "shuffle")) == "shuffle",
           "fade_s": g("fade_s", _NUM, lo=0.0, hi=60.0), "quantize": g("quantize", _STR, choices=("now", "beat", "bar"))}
    if "thresholds" in t:
        v = t["thresholds"]
        if (not isinstance(v, list) or len(v) != 2 or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in v)
                or not 0.0 <= v[0] < v[1] <= 1.0):
            r.fail("[playlist] thresholds", f"must be two numbers 0..1, low/mid first, got {_show(v)}")
        out["thresholds"] = (float(v[0]), float(v[1]))
    raw = t.get("entry", [])
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        r.fail("[playlist] entry", "must be [[playlist.entry]] tables")
    entries = []
    for i, e in enumerate(raw, 1):
        name = f"playlist.entry[{i}]"
        for key in e:
            if key not in SCHEMA["playlist.entry"]:
                r.fail(f"[{name}] {key}", f"unknown key{suggest(key, SCHEMA['playlist.entry'])}")
        if "preset" not in e:
            r.fail(f"[{name}] preset", "missing")
        preset = r.get(e, name, "preset", _STR)
        level = r.get(e, name, "energy", _STR, choices=LEVELS)
        hold = r.get(e, name, "hold_s", _NUM, lo=1.0)
        entries.append(Entry(preset, level, None if hold is None else float(hold)))
    out["entries"] = tuple(entries)
    return out


def _endpoint(r: _Reader, label: str, text: str, default_host: str) -> str:
    from reactor.control.osc import parse_endpoint

    try:
        host, port = parse_endpoint(text, label, default_host=default_host)
    except ReactorError as exc:
        r.fail(label, str(exc).split(": ", 1)[-1])
    return f"{host}:{port}"


def _check_presets(r: _Reader, kw: dict) -> None:
    """Every preset loads, and energy mode knows each entry's level (given, or the preset's tag);
    preset files are resolved against the install file's folder (in ``kw``)."""
    from dataclasses import replace

    from reactor.control.playlist import LEVELS
    from reactor.presets import load_preset

    def load(label: str, spec: str):
        p = Path(spec).expanduser()
        if p.suffix == ".toml" and not p.is_absolute():
            spec = str(r.path.parent / p)
        try:
            return spec, load_preset(spec)
        except ReactorError as exc:
            r.fail(label, str(exc))

    entries = []
    for i, e in enumerate(kw["entries"], 1):
        spec, preset = load(f"[playlist.entry[{i}]] preset", e.preset)
        level = e.level or next((tag for tag in preset.tags if tag in LEVELS), None)
        if kw["mode"] == "energy" and level is None:
            r.fail(f"[playlist.entry[{i}]] energy", f"missing: energy mode needs low, mid or high for "
                                                    f"'{preset.name}' (or that tag in the preset)")
        entries.append(replace(e, preset=spec, level=level))
    extra = tuple(load("[show] presets", s)[0] for s in kw["extra_presets"])
    safe = load("[show] safe_preset", kw["safe_preset"])[0] if kw["safe_preset"] else None
    if not entries and not extra:
        r.fail("[playlist] entry", "missing: an installation needs at least one [[playlist.entry]] or [show] presets")
    kw.update(entries=tuple(entries), extra_presets=extra, safe_preset=safe)
