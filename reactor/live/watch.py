"""Hot reload: watch shader and preset folders with ``watchdog`` and report changed files.

watchdog's observer thread only puts paths into a ``queue.SimpleQueue`` (the one object shared
between threads); the main thread calls ``changed(now_s)`` once per frame, which returns the
files that changed and then stayed quiet for ``DEBOUNCE_S`` (editors write a file in several
steps: truncate, write, rename). Nothing starts until ``start()``.
"""

from __future__ import annotations

import queue
from pathlib import Path
from typing import Iterable

DEBOUNCE_S = 0.1
"""Quiet time after the last event of a file before it is reported (well inside the 0.5 s aim)."""
WATCHED_SUFFIXES = (".frag", ".glsl", ".toml", ".vert")
CHANGE_EVENTS = frozenset({"created", "modified", "moved", "closed"})
"""watchdog event types that mean the file's content may have changed. "opened" and
"closed_no_write" (inotify reports a plain read) are left out: the reload itself reads the file,
and counting that as a change reloaded it again and again."""


class ReloadWatcher:
    """Report saved shader/preset files.

    Parameters
    ----------
    folders : iterable of Path
        Folders watched recursively (missing ones are skipped).
    """

    def __init__(self, folders: Iterable[Path]) -> None:
        self.folders = sorted({Path(f).resolve() for f in folders if Path(f).is_dir()})
        self._events: queue.SimpleQueue[tuple[str, float]] = queue.SimpleQueue()
        self._pending: dict[Path, float] = {}
        self._observer = None

    def start(self) -> None:
        """Start the observer thread (watchdog)."""
        import time

        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        events = self._events

        class _Handler(FileSystemEventHandler):
            # watchdog's thread: only enqueue
            def on_any_event(self, event):
                if event.is_directory or event.event_type not in CHANGE_EVENTS:
                    return
                for p in (getattr(event, "src_path", ""), getattr(event, "dest_path", "")):
                    if p and str(p).endswith(WATCHED_SUFFIXES):
                        events.put((str(p), time.perf_counter()))

        self._observer = Observer()
        for folder in self.folders:
            self._observer.schedule(_Handler(), str(folder), recursive=True)
        self._observer.daemon = True
        self._observer.start()

    def changed(self, now_s: float) -> list[Path]:
        """Files whose last event is at least ``DEBOUNCE_S`` old (main thread)."""
        while True:
            try:
                path, t = self._events.get_nowait()
            except queue.Empty:
                break
            self._pending[Path(path).resolve()] = t
        ready = [p for p, t in self._pending.items() if now_s - t >= DEBOUNCE_S]
        for p in ready:
            del self._pending[p]
        return sorted(ready)

    def stop(self) -> None:
        """Stop and join the observer thread."""
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2.0)
            self._observer = None
