"""``reactor batch``: render a catalogue of clips, on this machine or on an existing Ray cluster.

- ``jobs``: the JOBS.toml schema (and ``--audio-dir``), validated before anything renders.
- ``work``: one job -> one clip (the single adapter onto ``render_clip``), temporary names,
  the done markers that make a batch resumable.
- ``run``: plans a batch (skip finished, fail unreadable inputs), drives a backend, shows
  progress, writes the JSON report.
- ``local``: the process-pool backend (one GL context per process).
- ``ray_backend``: the same tasks as Ray tasks (``pip install reactor[cluster]``).

Importing this package does no work and never imports Ray.
"""

from reactor.batch.jobs import BatchError, Job, jobs_from_audio_dir, load_jobs

__all__ = ["BatchError", "Job", "jobs_from_audio_dir", "load_jobs"]
