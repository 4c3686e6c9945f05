"""Analysis speed on one core: reactor's streaming analyzer vs aubio and librosa, side by side.

Over 60 s of dev-set audio (48 kHz stereo), median of 5 runs:

- reactor ``StreamingAnalyzer.process`` fed blocks of 1024, 8192 and 65536 samples (offline analysis uses 65536), and a render loop at
  60 fps (``process`` of the samples up to frame n, then ``snapshot(n / 60)``),
- aubio ``tempo("default")`` alone and ``onset("hfc")`` / ``onset("specflux")`` alone (1024/512,
  fed hop by hop, mono prepared once outside the timing),
- librosa ``onset_strength`` + ``beat_track`` on the whole clip, if installed. It is offline and
  not causal: it sees the whole song at once, so it is a cost reference, not a live alternative.

x RT is audio seconds per wall second; per-call p50/p99 are pooled over the runs; "p99/budget"
is the p99 call cost as a share of the audio the call covers (over 100% cannot keep up live).
Numba compile cost is measured in subprocesses: cold (fresh, empty ``NUMBA_CACHE_DIR``) and
warm (the same cache dir again).

Usage::

    python benchmarks/bench_analysis_speed.py [--only reactor,aubio,librosa] [--runs 5] [--seconds 60]

It pins itself to one CPU (``--cpu``, like ``taskset -c 0``) and sets the NUMBA/OMP/MKL/OPENBLAS
thread counts to 1 before numpy loads.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    # thread pools read these when numpy/numba load, so they must be set before the imports below
    for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[_var] = "1"

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

SAMPLE_RATE_HZ = 48000
HOP, WIN = 512, 1024
FPS = 60
BENCH_TRACKS = ("rock_120", "house_124", "funk_100")  # concatenated, then cut to --seconds

COMPILE_SNIPPET = r"""
import json, time
t0 = time.perf_counter()
import numpy as np
try:
    from reactor.analysis import StreamingAnalyzer
except ImportError:
    from reactor.analysis.analyzer import StreamingAnalyzer
t1 = time.perf_counter()
rng = np.random.default_rng(0)
x = (0.1 * rng.standard_normal((2 * 48000, 2))).astype(np.float32)
x[::12000] = 0.9  # clicks, so onset and beat code paths run too
a = StreamingAnalyzer(sample_rate_hz=48000, channels=2)
a.process(x)
a.snapshot(2.0)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_call_s": t2 - t1}))
"""


def load_audio(seconds: float) -> np.ndarray:
    """``seconds`` of stereo float32 audio from dev-set tracks (built if missing)."""
    from scipy.io import wavfile

    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    import devset  # sibling script; idempotent

    out = here / "data" / "devset"
    devset.build_devset(out, pattern=",".join(BENCH_TRACKS), log=lambda m: None)
    parts = []
    for name in BENCH_TRACKS:
        _, x = wavfile.read(str(out / f"{name}.wav"))
        parts.append(x.astype(np.float32) / 32768.0)
    audio = np.concatenate(parts)
    need = int(seconds * SAMPLE_RATE_HZ)
    reps = -(-need // len(audio))
    return np.ascontiguousarray(np.tile(audio, (reps, 1))[:need])


def _import_analyzer():
    try:
        from reactor.analysis import StreamingAnalyzer
    except ImportError:
        from reactor.analysis.analyzer import StreamingAnalyzer
    return StreamingAnalyzer


def time_calls(make: Callable[[], Callable[[int], None]], n_calls: int, runs: int) -> tuple[float, np.ndarray]:
    """Run ``runs`` times: ``make()`` builds fresh state and returns ``call(i)``; return
    (median total seconds, per-call seconds pooled over all runs)."""
    totals, per_call = [], []
    for _ in range(runs):
        call = make()
        costs = np.empty(n_calls)
        t_start = time.perf_counter()
        for i in range(n_calls):
            t0 = time.perf_counter()
            call(i)
            costs[i] = time.perf_counter() - t0
        totals.append(time.perf_counter() - t_start)
        per_call.append(costs)
    return float(np.median(totals)), np.concatenate(per_call)


def reactor_rows(audio: np.ndarray, runs: int) -> list[tuple]:
    StreamingAnalyzer = _import_analyzer()
    warm = StreamingAnalyzer(sample_rate_hz=SAMPLE_RATE_HZ, channels=2)
    warm.process(audio[: 2 * SAMPLE_RATE_HZ])  # compile (or load cached kernels) before timing
    warm.snapshot(2.0)
    rows = []
    for block in (1024, 8192, 65536):
        n = len(audio) // block

        def make(block=block):
            a = StreamingAnalyzer(sample_rate_hz=SAMPLE_RATE_HZ, channels=2)
            return lambda i: a.process(audio[i * block:(i + 1) * block])

        rows.append(("reactor process", f"{block}", block, *time_calls(make, n, runs)))
    n_frames = int(len(audio) * FPS // SAMPLE_RATE_HZ)
    edges = (np.arange(n_frames + 1) * SAMPLE_RATE_HZ) // FPS

    def make_frames():
        a = StreamingAnalyzer(sample_rate_hz=SAMPLE_RATE_HZ, channels=2)

        def frame(i):
            a.process(audio[edges[i]:edges[i + 1]])
            a.snapshot((i + 1) / FPS)
        return frame

    frame_samples = SAMPLE_RATE_HZ / FPS
    rows.append(("reactor process+snapshot", f"{FPS} fps", frame_samples, *time_calls(make_frames, n_frames, runs)))
    return rows


def aubio_rows(mono: np.ndarray, runs: int) -> list[tuple]:
    import aubio

    n = len(mono) // HOP
    hops = [mono[i * HOP:(i + 1) * HOP] for i in range(n)]
    makers = {
        "aubio tempo": lambda: aubio.tempo("default", WIN, HOP, SAMPLE_RATE_HZ),
        "aubio onset hfc": lambda: aubio.onset("hfc", WIN, HOP, SAMPLE_RATE_HZ),
        "aubio onset specflux": lambda: aubio.onset("specflux", WIN, HOP, SAMPLE_RATE_HZ),
    }
    rows = []
    for name, new in makers.items():
        def make(new=new):
            obj = new()
            return lambda i: obj(hops[i])
        rows.append((name, f"{HOP}", HOP, *time_calls(make, n, runs)))
    return rows


def librosa_rows(mono: np.ndarray, runs: int) -> list[tuple]:
    import librosa

    def analyse(y):
        env = librosa.onset.onset_strength(y=y, sr=SAMPLE_RATE_HZ, hop_length=HOP)
        librosa.beat.beat_track(onset_envelope=env, sr=SAMPLE_RATE_HZ, hop_length=HOP)

    analyse(mono[: 4 * SAMPLE_RATE_HZ])  # librosa's own numba kernels compile on first use
    total, per = time_calls(lambda: (lambda i: analyse(mono)), 1, runs)
    return [("librosa onset+beat (offline)", "whole", len(mono), total, per)]


def compile_times() -> list[tuple[str, dict]]:
    """Import and first-call times of reactor's analyzer in fresh interpreters: cold, then warm cache."""
    out = []
    with tempfile.TemporaryDirectory(prefix="reactor-numba-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold (empty cache)", "warm (cache present)"):
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", COMPILE_SNIPPET], env=env, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            if proc.returncode != 0:
                last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
                raise RuntimeError(f"compile-time subprocess failed: {last}")
            out.append((label, dict(json.loads(proc.stdout.strip().splitlines()[-1]), process_s=wall)))
    return out


def print_table(rows: list[tuple], seconds: float, runs: int) -> list[dict]:
    print(f"\n{seconds:g} s of 48 kHz audio, median of {runs} runs, one core")
    head = f"{'system':30s} {'block':>7s} {'x RT':>8s} {'p50 us':>9s} {'p99 us':>9s} {'p99/budget':>10s}"
    print(head + "\n" + "-" * len(head))
    table = []
    for name, block_label, block_samples, total, per in rows:
        budget = block_samples / SAMPLE_RATE_HZ
        p50, p99 = np.percentile(per, 50), np.percentile(per, 99)
        row = {"system": name, "block": block_label, "x_realtime": seconds / total,
               "p50_us": p50 * 1e6, "p99_us": p99 * 1e6, "p99_budget_pct": 100 * p99 / budget}
        table.append(row)
        print(f"{name:30s} {block_label:>7s} {row['x_realtime']:8.1f} {row['p50_us']:9.0f} {row['p99_us']:9.0f} "
              f"{row['p99_budget_pct']:9.1f}%")
    return table


def log(message: str) -> None:
    """Progress goes to stderr so stdout holds only the tables."""
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="reactor,aubio,librosa", help="systems, comma-separated")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin to (default 0; -1: do not pin)")
    parser.add_argument("--json", type=Path, help="also save the results here")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # tables and progress interleave in order
    wanted = {s.strip() for s in args.only.split(",") if s.strip()}
    if not wanted or wanted - {"reactor", "aubio", "librosa"} or args.runs < 1 or args.seconds <= 0:
        print("error: --only takes reactor, aubio, librosa; --runs >= 1; --seconds > 0", file=sys.stderr)
        return 2
    if args.cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    threads = ", ".join(f"{v}={os.environ.get(v)}" for v in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS"))
    print(f"cpu affinity {cpus}, {threads}")
    audio = load_audio(args.seconds)
    mono = np.ascontiguousarray(audio.mean(axis=1), dtype=np.float32)
    rows, notes, compile_info = [], [], []
    if "reactor" in wanted:
        try:
            _import_analyzer()
        except ImportError as e:
            notes.append(f"reactor skipped: analyzer not importable ({e})")
        else:
            log("timing reactor (warm-up first) ...")
            rows += reactor_rows(audio, args.runs)
            log("measuring reactor start-up in fresh interpreters (cold compile can take a minute) ...")
            compile_info = compile_times()
    if "aubio" in wanted:
        log("timing aubio ...")
        rows += aubio_rows(mono, args.runs)
    if "librosa" in wanted:
        try:
            log("timing librosa (its first call compiles numba kernels, ~15-40 s) ...")
            rows += librosa_rows(mono, args.runs)
        except ImportError:
            notes.append("librosa skipped: not installed (pip install librosa)")
    table = print_table(rows, args.seconds, args.runs)
    if compile_info:
        print("\nreactor analyzer start-up in a fresh interpreter (NUMBA_CACHE_DIR = new temp dir)")
        print(f"{'case':22s} {'import s':>9s} {'1st call s':>10s} {'process s':>10s}")
        for label, t in compile_info:
            print(f"{label:22s} {t['import_s']:9.2f} {t['first_call_s']:10.2f} {t['process_s']:10.2f}")
    for note in notes:
        print(f"note: {note}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"seconds": args.seconds, "runs": args.runs, "rows": table,
                                         "startup": dict(compile_info), "notes": notes}, indent=1) + "\n")
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
