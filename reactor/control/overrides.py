"""Live parameter overrides and external controls: one store, fed through one queue.

Any thread (a key handler on the main thread now; MIDI and OSC threads later) calls
``ControlQueue.put_*``; only the render thread calls ``OverrideStore.drain()`` once per frame
and reads ``params`` / ``controls``. The queue (``queue.SimpleQueue``) is the only object shared
between threads; the store's dictionaries belong to the render thread alone.

- ``params``: parameter name -> value replacing the preset default (``Modulator.step(bases=)``;
  the modulator glides to it, keeping its smoothing state, so there is no jump).
- ``controls``: route source name (``cc:1:74``, ``ctl:name``) -> 0..1 value
  (``Modulator.step(controls=)``).
"""

from __future__ import annotations

import math
import queue
from typing import NamedTuple

from reactor.preset_schema import is_control_source


class Change(NamedTuple):
    """One queued change: ``kind`` is ``"param"``, ``"control"``, ``"clear_param"`` or ``"clear_all"``."""

    kind: str
    name: str
    value: float


class ControlQueue:
    """Thread-safe producer side: put changes from any thread, never blocks."""

    def __init__(self) -> None:
        self._q: queue.SimpleQueue[Change] = queue.SimpleQueue()

    def put_param(self, name: str, value: float) -> None:
        """Override parameter ``name`` (without ``p_``) with ``value`` (clamped to its range later)."""
        self._q.put(Change("param", str(name), float(value)))

    def nudge_param(self, name: str, delta: float) -> None:
        """Move parameter ``name`` by ``delta`` from where it is now (its override or default)."""
        self._q.put(Change("nudge_param", str(name), float(delta)))

    def clear_param(self, name: str) -> None:
        """Hand parameter ``name`` back to its preset default."""
        self._q.put(Change("clear_param", str(name), 0.0))

    def clear_all(self) -> None:
        """Drop every parameter override (controls keep their last values)."""
        self._q.put(Change("clear_all", "", 0.0))

    def put_control(self, source: str, value: float) -> None:
        """Set external control ``source`` (``cc:1:74``, ``ctl:name``) to ``value`` 0..1."""
        self._q.put(Change("control", str(source), float(value)))

    def get_all(self) -> list[Change]:
        """Everything queued so far (consumer side)."""
        out = []
        while True:
            try:
                out.append(self._q.get_nowait())
            except queue.Empty:
                return out


class OverrideStore:
    """Render-thread side: applies queued changes once per frame; see the module docstring."""

    def __init__(self, q: ControlQueue | None = None) -> None:
        self.queue = q or ControlQueue()
        self.params: dict[str, float] = {}
        self.controls: dict[str, float] = {}
        self.rejected: list[str] = []  # messages for the HUD (bad names or values)

    def drain(self, defaults: dict[str, float] | None = None) -> int:
        """Apply every queued change; returns how many. ``defaults`` resolve relative nudges."""
        changes = self.queue.get_all()
        for ch in changes:
            if not math.isfinite(ch.value):
                self.rejected.append(f"control {ch.name}: value must be finite")
                continue
            if ch.kind == "param":
                self.params[ch.name] = ch.value
            elif ch.kind == "nudge_param":
                start = self.params.get(ch.name, (defaults or {}).get(ch.name, 0.0))
                self.params[ch.name] = start + ch.value
            elif ch.kind == "clear_param":
                self.params.pop(ch.name, None)
            elif ch.kind == "clear_all":
                self.params.clear()
            elif ch.kind == "control":
                if not is_control_source(ch.name):
                    self.rejected.append(f"control {ch.name!r}: not a control name (cc:1:74, ctl:name)")
                    continue
                self.controls[ch.name] = min(1.0, max(0.0, ch.value))
        return len(changes)
