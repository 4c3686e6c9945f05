"""``reactor batch`` from typed values (the CLI parses; this decides what to run and the exit status).

Exit status: 0 every job done or skipped, 1 some job failed (each reported with its one-line
error), 2 the batch was refused before rendering (a bad jobs file or option), 130 Ctrl-C.
"""

from __future__ import annotations

import sys
from typing import Any, Mapping

from reactor.batch.jobs import BatchError, jobs_from_audio_dir, load_jobs

EXIT_OK, EXIT_FAILED_JOBS, EXIT_INTERRUPTED = 0, 1, 130


def batch_command(*, jobs_file: str | None, audio_dir: str | None, output_dir: str | None,
                  settings: Mapping[str, Any], workers: int | None, ray_address: str | None,
                  dry_run: bool, report_path: str | None, progress: bool) -> int:
    """Validate the whole batch, then render it (or describe it with ``dry_run``).

    ``ray_address`` None renders locally; ``"auto"`` joins the cluster Ray finds (``RAY_ADDRESS``
    or one started on this machine); otherwise ``host:port`` of the cluster's head.
    """
    from reactor.batch.run import describe_plan, run_batch

    if workers is not None and workers < 1:
        raise BatchError(f"--workers must be >= 1, got {workers}")
    if workers is not None and ray_address is not None:
        raise BatchError("--workers is for local batches; on Ray the cluster's resources decide")
    if jobs_file and audio_dir:
        raise BatchError("give a jobs file or --audio-dir, not both")
    if audio_dir:
        if not output_dir:
            raise BatchError("--audio-dir needs -o OUTDIR (where the clips go)")
        jobs = jobs_from_audio_dir(audio_dir, output_dir=output_dir, settings=settings)
    elif jobs_file:
        given = [f"--{k.replace('_', '-')}" for k in settings] + (["-o"] if output_dir else [])
        if given:
            raise BatchError(f"{' '.join(given)}: only with --audio-dir; a jobs file sets these as keys")
        jobs = load_jobs(jobs_file)
    else:
        raise BatchError("give a jobs file (JOBS.toml) or --audio-dir DIR (see 'reactor batch --help')")
    if dry_run:
        describe_plan(jobs, sys.stdout)
        return EXIT_OK
    try:
        result = run_batch(jobs, workers=workers, use_ray=ray_address is not None,
                           ray_address=None if ray_address == "auto" else ray_address,
                           report_path=report_path, progress=progress)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    print(f"batch: {result.count('done')} rendered, {result.count('skipped')} already done, "
          f"{result.count('failed')} failed, {result.wall_s:.1f} s", file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_FAILED_JOBS
