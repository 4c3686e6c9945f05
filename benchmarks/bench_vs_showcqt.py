"""Whole-clip speed per preset beside ffmpeg's own audio visualiser, in the same run.

    python benchmarks/bench_vs_showcqt.py [--sizes 1280x720,1920x1080] [--seconds 4] [--presets a,b]
                                          [--quality normal]

Each row is ``render_clip`` (analysis, modulation, GL, readback, flash limiter, x264 + AAC mux)
over the demo groove, as x real time. The ``showcqt`` row runs FFmpeg's constant-Q visualiser
(``showcqt``, through PyAV's filter graph, the filter ``ffmpeg -filter_complex showcqt`` uses)
on the same audio and encodes it through the same ``VideoSink`` (same x264 settings, AAC).
One repeat per cell: the machine is shared, so compare within a column.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reactor import demo_image  # noqa: E402
from reactor.analysis.analyzer import warm_up  # noqa: E402
from reactor.audio.demo import demo_clip  # noqa: E402
from reactor.output.video import VideoSink  # noqa: E402
from reactor.presets import list_presets, load_preset  # noqa: E402
from reactor.render.context import create_context  # noqa: E402
from reactor.render_job import render_clip  # noqa: E402


def showcqt_clip(samples: np.ndarray, w: int, h: int, fps: float, out: str, quality: str) -> float:
    """x real time of showcqt + encode + mux of ``samples`` (n, 2) at 48 kHz."""
    import av
    from av.filter import Graph

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
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1280x720,1920x1080")
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--presets", default="")
    ap.add_argument("--quality", default="normal")
    args = ap.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    names = args.presets.split(",") if args.presets else [p.name for p in list_presets()]
    clip = demo_clip().trimmed(8.0, args.seconds)
    warm_up()
    ctx = create_context(headless=True)
    print(f"{args.seconds:g} s of the demo groove, 30 fps, quality {args.quality}: x real time")
    print(f"{'':<12} " + " ".join(f"{f'{w}x{h}':>10}" for w, h in sizes))
    with tempfile.TemporaryDirectory() as tmp:
        for name in names + ["showcqt"]:
            cells = []
            for w, h in sizes:
                if name == "showcqt":
                    x = showcqt_clip(np.asarray(clip.samples), w, h, 30.0, f"{tmp}/s.mp4", args.quality)
                else:
                    p = load_preset(name)
                    img = demo_image.demo_image(w, h) if p.uses_image() else None
                    dep = demo_image.demo_depth(w, h) if p.uses_image() else None
                    r = render_clip(clip, preset=p, out_path=f"{tmp}/c.mp4", width_px=w, height_px=h, fps=30.0,
                                    image=img, depth=dep, quality=args.quality, progress=False, ctx=ctx)
                    x = r.duration_s / r.wall_s
                cells.append(f"{x:>10.2f}")
            print(f"{name:<12} " + " ".join(cells))
            sys.stdout.flush()
    ctx.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
