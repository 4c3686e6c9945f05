"""The Ray backend: every job is one Ray task on an existing cluster (``pip install reactor[cluster]``).

Ray does the distributed work: placement by resources (one task per GPU with ``num_gpus=1`` when
the cluster has GPUs, else ``CPUS_PER_TASK`` CPUs per task), re-running a task whose worker or node died
(``max_retries``), and completion tracking through object refs (``ray.wait``). Nothing here
schedules, queues or retries on its own. A job that fails with a user error is not retried: the
same inputs would fail the same way.

Each task renders one clip with its own headless GL context and writes it straight to its output
location, so outputs must be on storage every node sees (a shared or network file system) and
inputs must be at the same paths on every node. ``reactor`` must be installed on the nodes.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from reactor.batch.jobs import BatchError
from reactor.batch.work import Outcome, Task

CPUS_PER_TASK = 2
"""CPUs a task holds on a cluster without GPUs: llvmpipe and x264 each keep two cores busy
(see ``local.default_workers``); fewer on nodes that have fewer."""
SYSTEM_RETRIES = 2
"""Times Ray re-runs a task whose worker process or node died."""
_CANCEL_WAIT_S = 10.0
"""Longest wait, after Ctrl-C, for cancelled tasks to end."""


def _render_task(task: Task, threads: int) -> Outcome:
    """The body of a Ray task (runs on a cluster worker): one clip, one GL context, then release it.

    ``threads`` sizes llvmpipe to the CPUs the task holds (read when the worker's first context
    is made; a GPU ignores it), as the local pool does per process.
    """
    import os

    from reactor.batch.work import run_task

    os.environ.setdefault("LP_NUM_THREADS", str(threads))
    return run_task(task, ctx=None)  # render_clip makes and releases its own context


def _import_ray():
    try:
        import ray
    except ImportError:
        raise BatchError("--ray needs Ray: pip install 'reactor[cluster]' (or pip install ray)") from None
    return ray


def execute(tasks: Sequence[Task], *, address: str | None, cpus_per_task: int = CPUS_PER_TASK) -> Iterator[Outcome]:
    """Run ``tasks`` as Ray tasks on the cluster at ``address`` (None: ``RAY_ADDRESS`` or ``auto``).

    Yields each outcome as its task finishes. Closing the generator early (Ctrl-C) cancels the
    tasks not yet finished (``ray.cancel(force=True)`` ends the running ones).
    """
    if not tasks:
        return
    ray = _import_ray()
    connected_here = not ray.is_initialized()
    if connected_here:
        try:
            ray.init(address=address or "auto", include_dashboard=False, log_to_driver=False,
                     logging_level="warning")
        except (ConnectionError, RuntimeError, ValueError) as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise BatchError(f"--ray {address or 'auto'}: cannot connect to a Ray cluster: {first}") from None
    refs: dict = {}
    try:
        gpus = ray.cluster_resources().get("GPU", 0)
        node_cpus = max((n["Resources"].get("CPU", 0) for n in ray.nodes() if n.get("Alive")), default=1)
        cpus = max(1, min(cpus_per_task, int(node_cpus)))  # a task must fit on some node
        resources = {"num_gpus": 1, "num_cpus": 1} if gpus >= 1 else {"num_cpus": cpus}
        remote = ray.remote(max_retries=SYSTEM_RETRIES, retry_exceptions=False, **resources)(_render_task)
        refs = {remote.remote(t, resources["num_cpus"]): t for t in tasks}
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                task = refs.pop(ref)
                yield _outcome(ray, ref, task)
    finally:
        for ref in refs:  # only when stopped early: what is left is cancelled
            ray.cancel(ref, force=True)
        if refs:  # let the killed workers go before the caller removes their temporary files
            ray.wait(list(refs), num_returns=len(refs), timeout=_CANCEL_WAIT_S)
        if connected_here:
            ray.shutdown()


def _outcome(ray, ref, task: Task) -> Outcome:
    try:
        return ray.get(ref)
    except Exception as e:  # the worker or node died past its retries, or the task was cancelled
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        return Outcome(task.job.index, "failed", error=f"ray task failed: {type(e).__name__}: {first}")
