"""One batch job -> one clip: the adapter onto ``render_clip``, temporary names, done markers.

Runs in a worker process (local pool or Ray task); nothing here knows which. A clip appears
under its final name only complete: it is rendered to a hidden temporary name in the same folder
(``.NAME.partial-TOKEN.mp4``), renamed with ``os.replace`` when finished, and then a done marker
(``.NAME.done.json``) is written atomically beside it. A job is finished, and is skipped by later
runs, when its output exists and its marker records the same job (fingerprint) and file size.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reactor.batch.jobs import Job
from reactor.errors import ReactorError

MARKER_VERSION = 1


@dataclass(frozen=True)
class Task:
    """What a worker needs: the job, where to write meanwhile, and the fingerprint to record."""

    job: Job
    temp_path: str
    fingerprint: str


@dataclass(frozen=True)
class Outcome:
    """What one job did. ``status`` is ``done``, ``skipped`` or ``failed`` (then ``error`` is set).

    ``audio_s`` is the length of the clip in seconds, ``wall_s`` the seconds the job took in its
    worker (0 for skipped jobs); ``worker`` names the process (``host:pid``).
    """

    index: int
    status: str
    audio_s: float = 0.0
    wall_s: float = 0.0
    error: str | None = None
    worker: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"status": self.status, "audio_s": round(self.audio_s, 3), "seconds": round(self.wall_s, 3),
                "x_real_time": round(self.audio_s / self.wall_s, 3) if self.wall_s > 0 else None,
                "error": self.error, "worker": self.worker}


# -- names and markers ---------------------------------------------------------------------------

def temp_path(output: str, token: str) -> str:
    """The hidden name a clip is written under until it is complete (same folder: rename is atomic)."""
    p = Path(output)
    return str(p.with_name(f".{p.stem}.partial-{token}{p.suffix}"))


def stale_temp_files(output: str) -> list[Path]:
    """Temporary files of earlier, killed runs for this output (and the encoder's ``.part``)."""
    p = Path(output)
    if not p.parent.is_dir():
        return []
    pattern = f".{glob.escape(p.stem)}.partial-*{glob.escape(p.suffix)}*"  # names may hold [ ] * ?
    return sorted(p.parent.glob(pattern))


def marker_path(output: str) -> str:
    """Where the done marker of ``output`` lives."""
    p = Path(output)
    return str(p.with_name(f".{p.name}.done.json"))


def fingerprint(job: Job) -> str:
    """Digest of what decides the clip's bytes: the job's settings and its input files' size and mtime.

    Editing a job (another preset, size, trim) or replacing its audio or picture makes a
    finished clip unfinished again; moving the catalogue does not matter to the output name.
    """
    fields = job.to_dict()
    for key in ("audio", "image"):
        path = fields[key]
        if path:
            if key == "image" and not os.path.exists(path):
                path = path.rsplit("@", 1)[0]  # a frame of a video: `clip.mp4@12.5`
            try:
                st = os.stat(path)
                fields[f"{key}_stat"] = [st.st_size, st.st_mtime_ns]
            except OSError:
                fields[f"{key}_stat"] = None
    text = json.dumps(fields, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def is_done(job: Job, digest: str) -> bool:
    """True when ``job.output`` is a finished clip of this very job (its marker says so)."""
    try:
        with open(marker_path(job.output), encoding="utf-8") as f:
            marker = json.load(f)
        size = os.path.getsize(job.output)
    except (OSError, ValueError):
        return False
    return (isinstance(marker, dict) and marker.get("version") == MARKER_VERSION
            and marker.get("fingerprint") == digest and marker.get("bytes") == size)


def write_marker(job: Job, digest: str, *, audio_s: float, wall_s: float) -> None:
    """Record that ``job.output`` is complete (written to a temporary name and renamed)."""
    path = marker_path(job.output)
    data = {"version": MARKER_VERSION, "fingerprint": digest, "bytes": os.path.getsize(job.output),
            "audio_s": round(audio_s, 6), "seconds": round(wall_s, 3), "job": job.to_dict()}
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def remove_quietly(path: str | os.PathLike) -> None:
    """Delete a file if it is there."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


# -- the one adapter onto render_clip ------------------------------------------------------------

def render_job(job: Job, *, out_path: str, ctx=None):
    """Render ``job`` into ``out_path`` through ``render_file``, the path ``reactor render`` takes.

    The bytes are those of the equivalent ``reactor render`` command. Returns its
    ``RenderResult``. Raises ``ReactorError`` for anything the user can fix.
    """
    from reactor.render_job import render_file

    result, _ = render_file(out_path=out_path, audio=job.audio, start_s=job.start_s, duration_s=job.duration_s,
                            preset=job.preset, image_path=job.image, fit=job.fit, width_px=job.width_px,
                            height_px=job.height_px, fps=job.fps, quality=job.quality, codec=job.codec,
                            progress=False, ctx=ctx)
    return result


def run_task(task: Task, *, ctx=None) -> Outcome:
    """Render one task to its temporary name, move it into place, write its marker.

    Every failure the user can cause becomes ``Outcome(status="failed", error=one line)``; no
    temporary file is left behind. Runs in a worker process (pool process or Ray worker).
    """
    import socket

    worker = f"{socket.gethostname()}:{os.getpid()}"
    job = task.job
    t0 = time.perf_counter()
    try:
        result = render_job(job, out_path=task.temp_path, ctx=ctx)
        if result.aborted:  # Ctrl-C reached this worker: a partial clip is not a result
            raise KeyboardInterrupt
        os.replace(task.temp_path, job.output)
        wall_s = time.perf_counter() - t0
        write_marker(job, task.fingerprint, audio_s=result.duration_s, wall_s=wall_s)
        return Outcome(job.index, "done", audio_s=result.duration_s, wall_s=wall_s, worker=worker)
    except ReactorError as e:
        return Outcome(job.index, "failed", wall_s=time.perf_counter() - t0, error=str(e), worker=worker)
    except Exception as e:  # a bug, but one job's bug must not end the batch
        first = (str(e).strip().splitlines() or [""])[0]
        return Outcome(job.index, "failed", wall_s=time.perf_counter() - t0,
                       error=f"internal error: {type(e).__name__}: {first}", worker=worker)
    finally:
        for p in (task.temp_path, task.temp_path + ".part"):
            remove_quietly(p)
