"""Peak memory of ``reactor render`` against the length of the audio (long DJ mixes).

    python benchmarks/bench_memory.py [--minutes 1,10,60] [--size 160x90] [--fps 10] [--compare PATH]

Makes an AAC (.m4a) file of each length by looping a Freedoom song (tests/real_media.py), then
runs ``reactor render`` on it in a fresh process and reports that process's peak resident
memory (``ru_maxrss``) and speed. ``--compare`` runs another checkout's ``reactor`` (e.g. the
main branch) the same way, side by side. Small frames and a low frame rate keep a 60-minute
render short; memory does not depend on them much.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_mix(path: Path, minutes: float) -> None:
    """Loop a Freedoom song into an AAC file of ``minutes`` (written block by block)."""
    import av

    from tests.real_media import freedoom_music

    song = freedoom_music("D_RUNNIN", seconds=120.0)
    if song is None:
        raise SystemExit("needs freedoom, fluidsynth and fluid-soundfont-gm")
    with av.open(str(path), "w") as out:
        st = out.add_stream("aac", rate=48000, layout="stereo")
        st.codec_context.bit_rate = 128000
        total = int(minutes * 60 * 48000)
        pos, block = 0, 1024
        while pos < total:
            i = pos % (len(song) - block)
            n = min(block, total - pos)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(song[i:i + n].T.astype(np.float32)),
                                               format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = 48000, pos
            out.mux(st.encode(frame))
            pos += n
        out.mux(st.encode(None))


def run(root: Path, audio: Path, size: str, fps: float) -> tuple[float, float]:
    """(peak MB, wall s) of one ``reactor render`` of ``audio`` from checkout ``root``."""
    code = ("import resource, sys, runpy; sys.argv = ['reactor'] + sys.argv[1:]; "
            "from reactor.cli import main; rc = main(sys.argv[1:]); "
            "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(rc)")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, "-c", code, "render", str(audio), "--scene", "scope", "--size", size,
                              "--fps", str(fps), "--quality", "draft", "--no-progress", "-o", f"{tmp}/o.mp4"],
                             cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"render failed: {res.stderr[-500:]}")
    kb = next(int(l.split()[1]) for l in res.stderr.splitlines() if l.startswith("PEAK_KB"))
    return kb / 1024.0, wall


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", default="1,10,60")
    ap.add_argument("--size", default="160x90")
    ap.add_argument("--fps", type=float, default=10.0)
    ap.add_argument("--compare", help="another checkout to run side by side (e.g. /work/main)")
    args = ap.parse_args()
    roots = [("this", ROOT)] + ([("compare", Path(args.compare))] if args.compare else [])
    print(f"reactor render, scene scope, {args.size} @ {args.fps:g} fps, AAC input; peak RSS of the process")
    print(f"{'minutes':>7} " + " ".join(f"{name + ' MB':>12} {name + ' x rt':>10}" for name, _ in roots))
    with tempfile.TemporaryDirectory() as tmp:
        for m in (float(v) for v in args.minutes.split(",")):
            audio = Path(tmp) / f"mix{m:g}.m4a"
            make_mix(audio, m)
            cells = []
            for _, root in roots:
                mb, wall = run(root, audio, args.size, args.fps)
                cells.append(f"{mb:>12.0f} {m * 60 / wall:>10.1f}")
            print(f"{m:>7g} " + " ".join(cells))
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
