"""A one-line progress report for offline renders: frames done, speed vs real time, time left.

``Progress`` only formats and prints; the caller tells it how many frames are done. Time is
injected (``clock``) so the line is testable and never comes from the wall clock.
"""

from __future__ import annotations

import sys
import time
from fractions import Fraction
from typing import Callable, TextIO


def _clock_text(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Print ``frame 300/900 33% | 27.5 fps, 0.92x real time | 0:21 left`` as a render runs.

    Parameters
    ----------
    total_frames : int
        Frames the render will produce (0 or less: unknown, no percentage or time left).
    fps : float or Fraction
        Frame rate of the clip, to compare render speed with real time.
    stream : text file
        Where to print (default ``sys.stderr``). On a terminal the line is redrawn in place;
        otherwise a new line is printed at most every ``log_interval_s``.
    min_interval_s, log_interval_s : float
        Least time between redraws on a terminal / between lines elsewhere.
    clock : callable
        Seconds as a float (default ``time.perf_counter``).
    """

    def __init__(self, total_frames: int, *, fps: float | Fraction, stream: TextIO | None = None,
                 min_interval_s: float = 0.25, log_interval_s: float = 10.0,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.total_frames = int(total_frames)
        self.fps = float(fps)
        self.stream = stream if stream is not None else sys.stderr
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._interval_s = min_interval_s if self._tty else log_interval_s
        self._clock = clock
        self._start_s = clock()
        self._last_print_s = -float("inf")
        self._width = 0
        self.frames_done = 0

    def line(self, frames_done: int) -> str:
        """The progress text for ``frames_done`` frames at the current clock time."""
        elapsed_s = max(self._clock() - self._start_s, 1e-9)
        speed_fps = frames_done / elapsed_s
        parts = [f"frame {frames_done}"]
        if self.total_frames > 0:
            parts[0] += f"/{self.total_frames} {100 * frames_done / self.total_frames:3.0f}%"
        parts.append(f"{speed_fps:.1f} fps, {speed_fps / self.fps:.2f}x real time")
        if self.total_frames > 0 and speed_fps > 0:
            parts.append(f"{_clock_text((self.total_frames - frames_done) / speed_fps)} left")
        return " | ".join(parts)

    def update(self, frames_done: int) -> None:
        """Report progress; cheap to call every frame (prints only every so often)."""
        self.frames_done = frames_done
        now_s = self._clock()
        if now_s - self._last_print_s < self._interval_s:
            return
        self._last_print_s = now_s
        self._emit(self.line(frames_done), final=False)

    def finish(self, summary: str = "") -> None:
        """Print the final line (with ``summary`` appended, e.g. the output path) and end it."""
        elapsed_s = self._clock() - self._start_s
        text = self.line(self.frames_done).split(" | ")
        text = " | ".join([text[0], text[1], f"took {_clock_text(elapsed_s)}"] + ([summary] if summary else []))
        self._emit(text, final=True)

    def _emit(self, text: str, *, final: bool) -> None:
        if self._tty:
            # pad over the previous, possibly longer, line; newline only at the end
            self.stream.write("\r" + text.ljust(self._width) + ("\n" if final else ""))
            self._width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
