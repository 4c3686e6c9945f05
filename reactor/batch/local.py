"""The local backend: a process pool, one headless GL context per process.

Processes are started with ``spawn`` (no GL, Numba or encoder threads inherited from a fork).
Each worker ignores SIGINT: Ctrl-C is the parent's to handle, and it ends the workers itself
(``terminate``), so no worker is left half-way through a clip. Temporary files of the jobs that
were running are removed by the caller (``reactor.batch.run``), which knows their names.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Iterator, Sequence

from reactor.batch.work import Outcome, Task, run_task

_CTX = None  # this worker process's GL context (worker processes only; made by _init_worker)


def default_workers() -> int:
    """Workers this machine can feed: one per GPU-less pair of cores, at least one.

    Without a GPU, llvmpipe rasterises on every core and x264 encodes on every core, so a worker
    per core oversubscribes; two cores per worker keeps both busy while one of them waits.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // 2)


def _init_worker(threads_per_worker: int) -> None:
    """Runs once in each pool process: ignore Ctrl-C, size llvmpipe, make the GL context."""
    import signal

    global _CTX
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("LP_NUM_THREADS", str(threads_per_worker))
    from reactor.render.context import create_context

    try:
        _CTX = create_context(headless=True)
    except Exception:  # reported per job: render_clip then makes (and fails) its own context
        _CTX = None


def _run_in_worker(task: Task) -> Outcome:
    return run_task(task, ctx=_CTX)


def execute(tasks: Sequence[Task], *, workers: int) -> Iterator[Outcome]:
    """Run ``tasks`` on ``workers`` processes; yield each outcome as its job finishes.

    Closing the generator early (Ctrl-C in the caller) cancels what has not started and
    terminates the workers, so the jobs in progress stop at once.
    """
    if not tasks:
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = max(1, min(workers, len(tasks)))
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(max(1, cores // workers),))
    clean = False
    try:
        pending: dict[Future, Task] = {pool.submit(_run_in_worker, t): t for t in tasks}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                task = pending.pop(fut)
                yield _outcome(fut, task)
        clean = True
    finally:
        if clean:
            pool.shutdown(wait=True)
        else:
            _stop(pool)


def _outcome(fut: Future, task: Task) -> Outcome:
    try:
        return fut.result()
    except BrokenProcessPool:
        return Outcome(task.job.index, "failed", error="worker process died (crash or out of memory); "
                                                       "run the batch again to retry it")
    except Exception as e:  # an exception that could not cross back (e.g. unpicklable): still one line
        return Outcome(task.job.index, "failed", error=f"internal error: {type(e).__name__}: {e}")


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel queued jobs and end the running ones now (their temp files are the caller's to remove)."""
    pool.shutdown(wait=False, cancel_futures=True)
    children = multiprocessing.active_children()
    for p in children:
        p.terminate()
    for p in children:
        p.join(timeout=10)
