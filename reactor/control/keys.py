"""The performer's key map: key names (as ``reactor.render.window`` reports them) -> actions.

Data only: the live loop looks actions up here and carries them out. ``format_keys()`` is what
``reactor live --keys`` prints and what the HUD shows on ``?``.
"""

from __future__ import annotations

from typing import NamedTuple


class Binding(NamedTuple):
    keys: tuple[str, ...]
    action: str
    help: str


BINDINGS: tuple[Binding, ...] = (
    Binding(("right", "pagedown"), "next", "next preset"),
    Binding(("left", "pageup"), "previous", "previous preset"),
    Binding(tuple("123456789"), "slot", "go to slot 1..9 (the --preset list, in order)"),
    Binding(("[",), "fade_shorter", "shorter crossfade (the HUD shows the length)"),
    Binding(("]",), "fade_longer", "longer crossfade"),
    Binding(("q",), "quantize", "crossfade starts: now / on the next beat / on the next bar"),
    Binding(("t", "space"), "tap", "tap tempo (two taps or more set the tempo)"),
    Binding(("backspace",), "untap", "forget tapped tempo (back to the beat tracker)"),
    Binding((",",), "nudge_earlier", "nudge the beat 10 ms earlier"),
    Binding((".",), "nudge_later", "nudge the beat 10 ms later"),
    Binding(("f",), "freeze", "freeze the picture (sound and analysis go on)"),
    Binding(("b",), "blackout", "blackout (fades to black and back)"),
    Binding(("h",), "hud", "show / hide the HUD"),
    Binding(("?",), "help", "show / hide this key map in the HUD"),
    Binding(("r",), "record", "start / stop recording (--record path, else reactor-live-<time>.mp4)"),
    Binding(("-",), "scale_down", "lower render scale"),
    Binding(("=", "+"), "scale_up", "raise render scale"),
    Binding(("a",), "scale_auto", "automatic render scale on / off"),
    Binding(("l",), "learn", "MIDI learn: next parameter of this preset, then move a control (after the last: off)"),
    Binding(("f11", "alt+enter"), "fullscreen", "fullscreen on / off"),
    Binding(("escape",), "panic", "panic: safe preset, no blackout / freeze / overrides"),
    Binding(("ctrl+q",), "quit", "quit"),
)

_BY_KEY = {k: b.action for b in BINDINGS for k in b.keys}


def action_for(key: str) -> str | None:
    """The action bound to ``key`` (a window key name), or None."""
    return _BY_KEY.get(key)


def format_keys() -> str:
    """The key map as aligned lines (``reactor live --keys``, the HUD's ``?`` page)."""
    rows = []
    for b in BINDINGS:
        keys = "1..9" if b.action == "slot" else " / ".join(b.keys)
        rows.append(f"{keys:<18} {b.help}")
    return "\n".join(rows)


def keys_markdown() -> str:
    """The key map as a Markdown table (the README's copy is checked against it)."""
    rows = ["| keys | action |", "| --- | --- |"]
    for b in BINDINGS:
        keys = "`1`..`9`" if b.action == "slot" else " ".join(f"`{k}`" for k in b.keys)
        rows.append(f"| {keys} | {b.help} |")
    return "\n".join(rows)
