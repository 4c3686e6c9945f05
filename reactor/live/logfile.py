"""The show's log file: ``--log FILE`` (or ``[log] file``), rotated by size so it never fills a disk.

``logging.handlers.RotatingFileHandler``: when ``FILE`` would pass ``max_bytes`` it is renamed
``FILE.1`` (``FILE.1`` to ``FILE.2`` ...) and a new one is started; ``backups`` old files are
kept, so the log takes at most ``(backups + 1) * max_bytes`` on disk. Each line has the time,
the level and the message (warnings and errors the HUD shows, preset switches, reloads).
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from reactor.errors import UsageError
from reactor.live.install import LOG_BACKUPS, LOG_MAX_BYTES

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def open_log_file(path: str | Path, *, max_bytes: int = LOG_MAX_BYTES, backups: int = LOG_BACKUPS,
                  level: int = logging.INFO) -> logging.Handler:
    """Log ``reactor.*`` records to ``path`` (rotating); returns the handler (``close_log_file`` it)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=int(max_bytes), backupCount=int(backups),
                                                       encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--log {path}: cannot write ({exc.strerror or exc})") from None
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(level)
    logger = logging.getLogger("reactor")
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > level:
        logger.setLevel(level)
    return handler


def close_log_file(handler: logging.Handler) -> None:
    logging.getLogger("reactor").removeHandler(handler)
    handler.close()
