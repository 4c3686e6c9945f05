"""Whole-clip speed per preset beside ffmpeg's own audio visualiser, in the same run.

    python benchmarks/bench_vs_showcqt.py [--sizes 1280x720,1920x1080] [--seconds 3] [--repeats 3]
                                          [--presets a,b] [--quality normal] [--before TREE] [--json PATH]

Each cell is ``render_clip`` (analysis, modulation, GL, readback, flash limiter, x264 + AAC mux)
over the demo groove, as x real time: the median of ``--repeats`` runs. The ``showcqt`` row runs
FFmpeg's constant-Q visualiser (``showcqt``, through PyAV's filter graph, the filter
``ffmpeg -filter_complex showcqt`` uses) on the same audio and encodes it through the same
``VideoSink`` (same x264 settings, AAC). ``--before TREE`` also renders every cell with the
reactor checked out at TREE (e.g. the main branch), in a child process, right after this tree's
run of the same cell, so both see the same load. Set-up (shader compile, analyser warm-up) is
not timed; each render's own clock is. The machine is shared: compare within a column and with
the ``showcqt`` row, not across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# One cell, in this process or (``--before``) in a child whose PYTHONPATH is another checkout;
# only API both have is used (render_clip, load_preset, demo_clip, demo_image).
_CELL = r'''
import json, sys
from reactor import demo_image
from reactor.analysis.analyzer import warm_up
from reactor.audio.demo import demo_clip
from reactor.presets import load_preset
from reactor.render.context import create_context
from reactor.render_job import render_clip

def make_cell(seconds):
    clip = demo_clip().trimmed(8.0, seconds)
    warm_up()
    ctx = create_context(headless=True)

    def cell(name, w, h, quality, out):
        p = load_preset(name)
        img = demo_image.demo_image(w, h) if p.uses_image() else None
        dep = demo_image.demo_depth(w, h) if p.uses_image() else None
        r = render_clip(clip, preset=p, out_path=out, width_px=w, height_px=h, fps=30.0, image=img, depth=dep,
                        quality=quality, progress=False, ctx=ctx)
        return r.duration_s / r.wall_s

    import os, tempfile
    warm = tempfile.mktemp(suffix=".mp4")
    cell("rings", 64, 36, "normal", warm)  # the first render of a process pays one-off costs: not timed
    os.remove(warm)
    return clip, cell

if __name__ == "__main__":
    _, cell = make_cell(float(sys.argv[1]))
    print("ready", flush=True)
    for line in sys.stdin:
        a = json.loads(line)
        print(json.dumps(cell(a["name"], a["w"], a["h"], a["quality"], a["out"])), flush=True)
'''


class _Before:
    """The ``--before`` tree's renderer, a child process answering one cell per line."""

    def __init__(self, tree: str, seconds: float) -> None:
        env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
        self.proc = subprocess.Popen([sys.executable, "-c", _CELL, str(seconds)], cwd=tree, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit(f"--before {tree}: the child renderer did not start")

    def cell(self, name, w, h, quality, out) -> float:
        self.proc.stdin.write(json.dumps({"name": name, "w": w, "h": h, "quality": quality, "out": out}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the --before renderer stopped at {name} {w}x{h}")
        return float(json.loads(line))

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def showcqt_clip(samples: np.ndarray, w: int, h: int, fps: float, out: str, quality: str) -> float:
    """x real time of showcqt + encode + mux of ``samples`` (n, 2) at 48 kHz."""
    import av
    from av.filter import Graph

    from reactor.output.video import VideoSink

    sr = 48000
    t0 = time.perf_counter()
    g = Graph()
    src = g.add_abuffer(format="fltp", sample_rate=sr, layout="stereo", time_base=Fraction(1, sr))
    cqt = g.add("showcqt", f"s={w}x{h}:r={int(fps)}")
    sink = g.add("buffersink")
    src.link_to(cqt)
    cqt.link_to(sink)
    g.configure()
    vs = VideoSink(out, width_px=w, height_px=h, fps=fps, sample_rate_hz=sr, audio_channels=2, quality=quality)
    vs.write_audio(samples)
    planar = np.ascontiguousarray(samples.T)
    for i in range(0, planar.shape[1], 1024):
        f = av.AudioFrame.from_ndarray(np.ascontiguousarray(planar[:, i:i + 1024]), format="fltp", layout="stereo")
        f.sample_rate, f.pts, f.time_base = sr, i, Fraction(1, sr)
        src.push(f)
        while True:
            try:
                vs.write_frame(sink.pull().to_ndarray(format="rgb24"))
            except (av.BlockingIOError, av.EOFError):
                break
    vs.close()
    return len(samples) / sr / (time.perf_counter() - t0)


def main() -> int:
    from reactor.presets import list_presets

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1280x720,1920x1080")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--presets", default="")
    ap.add_argument("--quality", default="normal")
    ap.add_argument("--before", metavar="TREE", help="also time the reactor checked out at TREE, cell by cell")
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    names = args.presets.split(",") if args.presets else [p.name for p in list_presets()]
    scope: dict = {}
    exec(compile(_CELL, "<cell>", "exec"), scope)
    clip, cell = scope["make_cell"](args.seconds)
    before = _Before(args.before, args.seconds) if args.before else None
    runs: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeats):
            for w, h in sizes:
                for name in names:
                    runs.setdefault(f"{name} {w}x{h} after", []).append(
                        cell(name, w, h, args.quality, f"{tmp}/a.mp4"))
                    if before is not None:
                        runs.setdefault(f"{name} {w}x{h} before", []).append(
                            before.cell(name, w, h, args.quality, f"{tmp}/b.mp4"))
                runs.setdefault(f"showcqt {w}x{h} after", []).append(
                    showcqt_clip(np.asarray(clip.samples), w, h, 30.0, f"{tmp}/s.mp4", args.quality))
            print(f"repeat {rep + 1}/{args.repeats} done, load average {os.getloadavg()[0]:.1f}", file=sys.stderr,
                  flush=True)
            if args.json:  # what is done so far survives an interrupted run
                Path(args.json).write_text(json.dumps({"seconds": args.seconds, "quality": args.quality,
                                                       "repeats_done": rep + 1, "runs": runs}, indent=1))
    if before is not None:
        before.close()
    med = {k: statistics.median(v) for k, v in runs.items()}
    ways = ("before", "after") if before is not None else ("after",)
    print(f"{args.seconds:g} s of the demo groove, 30 fps, quality {args.quality}: x real time, "
          f"median of {args.repeats}")
    head = " | ".join(f"{w}x{h} {way}" if before is not None else f"{w}x{h}" for w, h in sizes for way in ways)
    print(f"| clip | {head} |")
    print("| --- |" + " --- |" * (len(sizes) * len(ways)))
    for name in names + ["showcqt"]:
        cells = []
        for w, h in sizes:
            for way in ways:
                key = f"{name} {w}x{h} {way if name != 'showcqt' else 'after'}"
                cells.append(f"{med[key]:.2f}")
        print(f"| {'FFmpeg showcqt' if name == 'showcqt' else name} | " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps({"seconds": args.seconds, "quality": args.quality,
                                               "repeats_done": args.repeats, "runs": runs, "median": med}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
