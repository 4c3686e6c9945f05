"""Batch throughput: clips per hour and audio-hours per hour, against what a user would do instead.

    python benchmarks/bench_batch.py [--jobs 4] [--seconds 2] [--size 320x180] [--repeats 3]
                                     [--no-ray] [--json PATH]

The same catalogue (``--jobs`` tracks of ``--seconds`` each, cut from the demo track and
pitch-shifted, one picture, preset ``pulse``, quality ``normal``) is rendered in one run by:

  shell loop   ``for f in *.wav; do reactor render "$f" ...; done``: one process per clip,
  batch -w 1   ``reactor batch JOBS.toml --workers 1`` (one process, one GL context, reused),
  batch -w 2   ``reactor batch JOBS.toml --workers 2``,
  ray          ``reactor batch JOBS.toml --ray ADDRESS`` on a local Ray cluster (2 CPUs) that
               the benchmark starts first and keeps (its start-up is shown, not counted).

Each run writes to a fresh folder, so nothing is skipped. Figures are medians over ``--repeats``
rounds; the configurations take turns within a round so that load from other processes on a
shared machine falls on all of them alike. ``per clip`` is the median seconds one job spends in
its worker (from the batch's JSON report): the figure to scale from.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reactor import demo_image  # noqa: E402
from reactor.audio.decode import AudioClip, save_wav  # noqa: E402
from reactor.audio.demo import demo_clip  # noqa: E402


def make_catalogue(folder: Path, *, jobs: int, seconds: float, size: str) -> float:
    """Tracks, a picture and JOBS.toml in ``folder``; returns the total audio seconds."""
    from PIL import Image

    demo = demo_clip()
    for i in range(jobs):
        ratio = 2.0 ** (((i * 5) % 7 - 3) / 12.0)  # -3..+3 semitones
        part = demo.trimmed(4.0 + (i * 3.7) % 20.0, seconds * ratio).samples
        pos = np.arange(int(round(seconds * demo.sample_rate_hz))) * ratio
        cols = [np.interp(pos, np.arange(len(part)), part[:, c]) for c in range(part.shape[1])]
        save_wav(folder / f"track{i + 1:02d}.wav",
                 AudioClip(samples=np.stack(cols, 1).astype(np.float32), sample_rate_hz=demo.sample_rate_hz,
                           source="bench"))
    w, h = (int(v) for v in size.split("x"))
    Image.fromarray((demo_image.demo_image(w, h)[..., :3] * 255).astype(np.uint8)).save(folder / "cover.png")
    (folder / "jobs.toml").write_text(
        f'image = "cover.png"\npreset = "pulse"\nsize = "{size}"\nquality = "normal"\noutput_dir = "out"\n'
        + "".join(f'\n[[job]]\naudio = "track{i + 1:02d}.wav"\n' for i in range(jobs)))
    return jobs * seconds


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _fresh(folder: Path, out: str) -> Path:
    """A copy of JOBS.toml writing to ``out`` (a new folder per run, so nothing is skipped)."""
    jobs = folder / f"jobs-{out}.toml"
    jobs.write_text((folder / "jobs.toml").read_text().replace('output_dir = "out"', f'output_dir = "{out}"'))
    return jobs


def run_shell_loop(folder: Path, out: str, size: str) -> tuple[float, list[float]]:
    (folder / out).mkdir()
    py = shlex.quote(sys.executable)
    script = (f'for f in track*.wav; do {py} -m reactor render "$f" --image cover.png --preset pulse '
              f'--size {size} --quality normal --no-progress -o "{out}/${{f%.wav}}.mp4" 2>/dev/null || exit 1; done')
    t0 = time.perf_counter()
    subprocess.run(["bash", "-c", script], cwd=folder, check=True, env=_env())
    return time.perf_counter() - t0, []


def run_batch(folder: Path, out: str, *extra: str) -> tuple[float, list[float]]:
    jobs, report = _fresh(folder, out), folder / f"{out}.json"
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "reactor", "batch", str(jobs), "--no-progress",
                        "--json-report", str(report), *extra], cwd=folder, env=_env(), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"batch {' '.join(extra)} failed: {r.stderr.strip()}")
    rows = json.loads(report.read_text())["jobs"]
    return wall, [row["seconds"] for row in rows]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=2.0, help="audio per clip")
    ap.add_argument("--size", default="320x180")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-ray", action="store_true", help="skip the Ray rows")
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)

    ray = None
    configs = {"shell loop (reactor render)": lambda f, o: run_shell_loop(f, o, args.size),
               "batch --workers 1": lambda f, o: run_batch(f, o, "--workers", "1"),
               "batch --workers 2": lambda f, o: run_batch(f, o, "--workers", "2")}
    ray_start_s = None
    if not args.no_ray:
        try:
            import ray
        except ImportError:
            print("ray not installed: no Ray rows (pip install -e .[cluster])", file=sys.stderr)
    if ray is not None:
        os.environ["PYTHONPATH"] = _env()["PYTHONPATH"]  # the cluster's workers import this checkout
        t0 = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, object_store_memory=200 * 1024 * 1024, log_to_driver=False,
                 logging_level="error")
        ray_start_s = time.perf_counter() - t0
        address = ray.get_runtime_context().gcs_address
        configs["batch --ray (local cluster, 2 CPUs)"] = lambda f, o: run_batch(f, o, "--ray", address)
    walls: dict[str, list[float]] = {k: [] for k in configs}
    per_clip: dict[str, list[float]] = {k: [] for k in configs}
    try:
        with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
            folder = Path(tmp)
            audio_s = make_catalogue(folder, jobs=args.jobs, seconds=args.seconds, size=args.size)
            for rep in range(args.repeats):
                for i, (name, fn) in enumerate(configs.items()):
                    wall, clip_s = fn(folder, f"out-{rep}-{i}")
                    walls[name].append(wall)
                    per_clip[name] += clip_s
                    print(f"  round {rep + 1}: {name}: {wall:.1f} s", file=sys.stderr)
    finally:
        if ray is not None:
            ray.shutdown()

    print(f"\n{args.jobs} clips x {args.seconds:g} s audio, {args.size} @ 30 fps, preset pulse, quality normal; "
          f"{len(os.sched_getaffinity(0))} cores; medians of {args.repeats}"
          + (f"; Ray cluster start-up {ray_start_s:.1f} s (not counted)" if ray_start_s else ""))
    head = f"{'':<38} {'wall s':>7} {'clips/h':>8} {'audio-h/h':>10} {'per clip s':>11} {'vs loop':>8}"
    print(head)
    print("-" * len(head))
    rows = {}
    base = statistics.median(walls["shell loop (reactor render)"])
    for name in configs:
        wall = statistics.median(walls[name])
        clip = statistics.median(per_clip[name]) if per_clip[name] else None
        rows[name] = {"wall_s": wall, "clips_per_h": args.jobs / wall * 3600, "audio_h_per_h": audio_s / wall,
                      "per_clip_s": clip, "speedup_vs_loop": base / wall, "walls_s": walls[name]}
        clip_text = f"{clip:11.2f}" if clip else f"{'-':>11}"
        print(f"{name:<38} {wall:7.1f} {args.jobs / wall * 3600:8.0f} {audio_s / wall:10.3f} {clip_text} "
              f"{base / wall:7.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "ray_start_s": ray_start_s, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
