"""One progress display for a whole batch: jobs done, audio rendered (h:mm:ss of
clip), x real time, ETA.

Progress moves when jobs finish (that is what object refs and futures report). On a terminal
the line is redrawn in place; elsewhere (logs, CI) one line is printed per finished job, with
the job's own line for failures. Time is injected (``clock``) so the text is testable.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Callable, TextIO

from reactor.output.progress import _clock_text

if TYPE_CHECKING:
    from reactor.batch.jobs import Job
    from reactor.batch.run import BatchResult
    from reactor.batch.work import Outcome


class BatchProgress:
    """``jobs 12/40 (1 failed, 3 skipped) | audio 2:10:00/8:00:00 rendered | 3.2x real time | ETA 1:49:30``.

    Audio is counted in hours:minutes:seconds of clip rendered (skipped jobs are not counted).

    Parameters
    ----------
    total_jobs : int
    total_audio_s : float
        Seconds of audio the batch will render (skipped jobs excluded), for the ETA; 0 if unknown.
    stream : text file
        Where to print (default ``sys.stderr``).
    enabled : bool
        False prints only the lines of failed jobs.
    clock : callable
        Seconds as a float (default ``time.perf_counter``).
    """

    def __init__(self, *, total_jobs: int, total_audio_s: float, stream: TextIO | None = None,
                 enabled: bool = True, clock: Callable[[], float] = time.perf_counter) -> None:
        self.total_jobs = total_jobs
        self.total_audio_s = total_audio_s
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._clock = clock
        self._start_s = clock()
        self._width = 0
        self.finished = self.failed = self.skipped = 0
        self.rendered_audio_s = 0.0

    def line(self) -> str:
        """The progress text now."""
        extra = [f"{n} {what}" for n, what in ((self.failed, "failed"), (self.skipped, "skipped")) if n]
        parts = [f"jobs {self.finished}/{self.total_jobs}" + (f" ({', '.join(extra)})" if extra else "")]
        elapsed_s = max(self._clock() - self._start_s, 1e-9)
        speed = self.rendered_audio_s / elapsed_s
        audio = _clock_text(self.rendered_audio_s)
        parts.append(f"audio {audio}/{_clock_text(self.total_audio_s)} rendered" if self.total_audio_s > 0
                     else f"audio {audio} rendered")
        parts.append(f"{speed:.2f}x real time")
        left_s = max(self.total_audio_s - self.rendered_audio_s, 0.0)
        if self.finished >= self.total_jobs:
            parts.append(f"took {_clock_text(elapsed_s)}")
        elif speed > 0 and self.total_audio_s > 0:
            parts.append(f"ETA {_clock_text(left_s / speed)}")
        else:
            parts.append("ETA --")
        return " | ".join(parts)

    def add(self, outcome: "Outcome", job: "Job") -> None:
        """Count a finished (or skipped, or failed) job and redraw."""
        self.finished += 1
        if outcome.status == "failed":
            self.failed += 1
            self._emit(f"{job.label} failed: {os.path.basename(job.audio)}: {outcome.error}", final=True, force=True)
        elif outcome.status == "skipped":
            self.skipped += 1
        else:
            self.rendered_audio_s += outcome.audio_s
        if self.enabled:
            self._emit(self.line(), final=not self._tty)

    def finish(self, result: "BatchResult") -> None:
        """End the line; say where an interrupted batch stopped."""
        if self.enabled and self._tty and self._width:
            self.stream.write("\n")
        if result.interrupted:
            self._emit(f"interrupted: {result.count('done')} clips finished, unfinished ones removed; "
                       f"run the same command again to resume", final=True, force=True)
        self.stream.flush()

    def _emit(self, text: str, *, final: bool, force: bool = False) -> None:
        if not (self.enabled or force):
            return
        if self._tty and not final:
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            if self._tty and self._width:
                self.stream.write("\r" + " " * self._width + "\r")
                self._width = 0
            self.stream.write(text + "\n")
        self.stream.flush()
