"""Run a batch: plan it (finished clips are skipped), hand the rest to a backend, report.

The plan is made before anything renders: a job whose output is already a finished clip of the
same job is skipped; a job whose audio or picture is missing fails at once with its one-line
error; the others become tasks. The backend (process pool or Ray) yields outcomes as jobs end;
this module counts them, shows one progress line for the batch, and writes the JSON report.
On Ctrl-C the backend stops its workers and the temporary files of the jobs in progress are
removed, so every final name holds either nothing or a complete clip.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence, TextIO

from reactor.batch.jobs import BatchError, Job
from reactor.batch.progress import BatchProgress
from reactor.batch.work import Outcome, Task, fingerprint, is_done, remove_quietly, stale_temp_files, temp_path


@dataclass
class BatchResult:
    """Every job with its outcome, in job order, and the batch's wall time."""

    jobs: list[Job]
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    wall_s: float = 0.0
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        """True when every job is done or skipped (nothing failed, nothing left)."""
        return not self.interrupted and all(self.outcomes.get(j.index) is not None
                                            and self.outcomes[j.index].status != "failed" for j in self.jobs)

    def count(self, status: str) -> int:
        """Jobs with this status (``done``, ``skipped``, ``failed``)."""
        return sum(1 for o in self.outcomes.values() if o.status == status)

    def to_dict(self) -> dict:
        """The JSON report: per job input, output, seconds, x real time, error; then totals."""
        rows = []
        for j in self.jobs:
            o = self.outcomes.get(j.index)
            row = {"job": j.index, **j.to_dict()}
            row.update(o.to_dict() if o else {"status": "not run", "audio_s": 0.0, "seconds": 0.0,
                                              "x_real_time": None, "error": "interrupted before it ran",
                                              "worker": ""})
            rows.append(row)
        rendered_s = sum(o.audio_s for o in self.outcomes.values() if o.status == "done")
        return {"jobs": rows, "summary": {
            "jobs": len(self.jobs), "done": self.count("done"), "skipped": self.count("skipped"),
            "failed": self.count("failed"), "not_run": len(self.jobs) - len(self.outcomes),
            "interrupted": self.interrupted, "ok": self.ok, "seconds": round(self.wall_s, 3),
            "audio_s_rendered": round(rendered_s, 3),
            "x_real_time": round(rendered_s / self.wall_s, 3) if self.wall_s > 0 else None}}


def plan(jobs: Sequence[Job], *, token: str) -> tuple[list[Task], list[Outcome]]:
    """Split jobs into tasks to run and outcomes known now (skipped, or failed on a missing input)."""
    tasks, known = [], []
    for job in jobs:
        digest = fingerprint(job)
        if is_done(job, digest):
            known.append(Outcome(job.index, "skipped", audio_s=_marked_audio_s(job)))
            continue
        problem = _missing_input(job)
        if problem:
            known.append(Outcome(job.index, "failed", error=problem))
            continue
        tasks.append(Task(job=job, temp_path=temp_path(job.output, token), fingerprint=digest))
    return tasks, known


def run_batch(jobs: Sequence[Job], *, workers: int | None = None, ray_address: str | None = None,
              use_ray: bool = False, report_path: str | None = None, progress: bool = True,
              stream: TextIO | None = None) -> BatchResult:
    """Render ``jobs`` locally (``workers`` processes) or as Ray tasks (``use_ray``).

    Returns the ``BatchResult`` (also written to ``report_path`` as JSON). A failing job is
    recorded and the batch goes on. On Ctrl-C the workers are stopped, temporary files removed,
    the report written with what finished, and ``KeyboardInterrupt`` re-raised.
    """
    from reactor.batch import local

    stream = stream if stream is not None else sys.stderr
    token = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
    for job in jobs:  # leftovers of a run that was killed (kill -9, power cut): never a result
        try:
            os.makedirs(os.path.dirname(job.output), exist_ok=True)
        except OSError as e:
            raise BatchError(f"{job.label}.output: cannot make folder {os.path.dirname(job.output)} "
                             f"({e.strerror or e})") from None
        for stale in stale_temp_files(job.output):
            remove_quietly(stale)
    tasks, known = plan(jobs, token=token)
    result = BatchResult(jobs=list(jobs))
    bar = BatchProgress(total_jobs=len(jobs), total_audio_s=_planned_audio_s(tasks), stream=stream,
                        enabled=progress)
    by_index = {j.index: j for j in jobs}
    for o in known:
        result.outcomes[o.index] = o
        bar.add(o, by_index[o.index])
    if use_ray:
        from reactor.batch import ray_backend

        outcomes: Iterator[Outcome] = ray_backend.execute(tasks, address=ray_address)
    else:
        outcomes = local.execute(tasks, workers=workers or local.default_workers())
    t0 = time.perf_counter()
    try:
        for o in outcomes:
            result.outcomes[o.index] = o
            bar.add(o, by_index[o.index])
    except KeyboardInterrupt:
        result.interrupted = True
        raise
    finally:
        _close(outcomes)  # stops the workers before their files are removed
        for t in tasks:
            if t.job.index not in result.outcomes or result.outcomes[t.job.index].status != "done":
                remove_quietly(t.temp_path)
                remove_quietly(t.temp_path + ".part")
        result.wall_s = time.perf_counter() - t0
        bar.finish(result)
        if report_path:
            write_report(report_path, result)
    return result


def write_report(path: str, result: BatchResult) -> None:
    """Write the JSON report (``-`` for stdout), atomically for a file."""
    text = json.dumps(result.to_dict(), indent=1)
    if path == "-":
        print(text)
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
    except OSError as e:
        remove_quietly(tmp)
        raise BatchError(f"--json-report {path}: cannot write ({e.strerror or e})") from None


def describe_plan(jobs: Sequence[Job], stream: TextIO) -> None:
    """``--dry-run``: one line per job saying what would happen, without rendering."""
    tasks, known = plan(jobs, token="dry-run")
    status = {o.index: (o.status, o.error) for o in known}
    for job in jobs:
        what, error = status.get(job.index, ("render", None))
        trim = f" {job.start_s:g}s+{job.duration_s:g}s" if job.duration_s else (f" from {job.start_s:g}s" if job.start_s else "")
        line = (f"{job.label} {what:<7} {os.path.basename(job.audio)}{trim} -> {job.output} "
                f"({job.width_px}x{job.height_px} @ {job.fps:g} fps, {os.path.basename(job.preset)})")
        print(line + (f": {error}" if error else ""), file=stream)
    print(f"{len(tasks)} to render, {sum(1 for o in known if o.status == 'skipped')} already done, "
          f"{sum(1 for o in known if o.status == 'failed')} failing", file=stream)


def _close(gen) -> None:
    close: Callable[[], None] | None = getattr(gen, "close", None)
    if close is not None:
        close()


def _missing_input(job: Job) -> str | None:
    if not os.path.isfile(job.audio):
        return f"{job.audio}: audio file not found"
    if job.image and not os.path.isfile(job.image) and not os.path.isfile(job.image.rsplit("@", 1)[0]):
        return f"{job.image}: image file not found"
    return None


def _marked_audio_s(job: Job) -> float:
    from reactor.batch.work import marker_path

    try:
        with open(marker_path(job.output), encoding="utf-8") as f:
            return float(json.load(f).get("audio_s", 0.0))
    except (OSError, ValueError, TypeError, AttributeError):
        return 0.0


def _planned_audio_s(tasks: Sequence[Task]) -> float:
    """Seconds of audio the tasks will render (file headers, trims), for the ETA; 0 if unknown."""
    import av

    total = 0.0
    for t in tasks:
        try:
            with av.open(t.job.audio) as c:
                length = (c.duration or 0) / 1e6
        except (av.FFmpegError, OSError):
            continue  # the job will fail with the decoder's own message
        length = max(0.0, length - t.job.start_s)
        total += min(length, t.job.duration_s) if t.job.duration_s else length
    return total
