"""A one-line progress bar for long renders: percent, position, speed (x real time) and ETA."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """Redraws at most ``max_hz`` times a second on a terminal; on a pipe, prints every 10%."""

    def __init__(self, *, total: int, media_s: float, stream: TextIO | None = None, enabled: bool = True,
                 max_hz: float = 8.0, clock=time.perf_counter) -> None:
        self.total = max(1, total)
        self.media_s = media_s
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._clock = clock
        self._t0 = clock()
        self._last_draw = -1e9
        self._min_dt = 1.0 / max_hz
        self._last_decile = -1

    def line(self, done: int) -> str:
        """The text of the bar after ``done`` of ``total`` steps."""
        frac = min(1.0, done / self.total)
        elapsed = max(1e-9, self._clock() - self._t0)
        speed = frac * self.media_s / elapsed
        eta = (elapsed / frac - elapsed) if frac > 0 else 0.0
        width = 28
        fill = int(round(frac * width))
        bar = "#" * fill + "-" * (width - fill)
        return (f"[{bar}] {frac * 100:5.1f}%  {frac * self.media_s:6.1f}/{self.media_s:.1f} s"
                f"  {speed:5.2f}x real time  ETA {_clock(eta)}")

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = self._clock()
        if self._tty:
            if now - self._last_draw >= self._min_dt or done >= self.total:
                self.stream.write("\r" + self.line(done))
                self.stream.flush()
                self._last_draw = now
            return
        decile = int(10 * done / self.total)
        if decile != self._last_decile:
            self._last_decile = decile
            self.stream.write(self.line(done) + "\n")
            self.stream.flush()

    def finish(self, message: str) -> None:
        if not self.enabled:
            return
        if self._tty:
            self.stream.write("\r" + self.line(self.total) + "\n")
        self.stream.write(message + "\n")
        self.stream.flush()
