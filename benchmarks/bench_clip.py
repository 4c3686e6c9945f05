"""End-to-end clip speed per preset: what ``reactor render`` achieves, and where the time goes.

    python benchmarks/bench_clip.py [--size 1280x720] [--fps 30] [--seconds 6] [--presets a,b]
                                    [--json PATH]

For every preset, over the demo track from 8 s (the groove):
  render   frames/s of analysis + modulation + GL render + readback alone (no encoder),
  encode   frames/s of the H.264 encoder alone on those frames (quality "normal"),
  clip     the whole ``render_clip`` pipeline (encoder on its worker thread), as x real time.
Each figure is the median of ``--repeats`` runs. The machine is shared and noisy: compare ratios
between presets and sizes within one run rather than absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reactor import demo_image  # noqa: E402
from reactor.analysis.analyzer import StreamingAnalyzer, warm_up  # noqa: E402
from reactor.audio.decode import AudioClip  # noqa: E402
from reactor.audio.demo import demo_clip  # noqa: E402
from reactor.control.params import Modulator  # noqa: E402
from reactor.engine import Engine, OfflineClock  # noqa: E402
from reactor.output.video import VideoSink  # noqa: E402
from reactor.presets import list_presets, load_preset  # noqa: E402
from reactor.render.context import create_context  # noqa: E402
from reactor.render.renderer import Renderer  # noqa: E402
from reactor.render_job import render_clip  # noqa: E402


def _segment(seconds: float) -> AudioClip:
    return demo_clip().trimmed(8.0, seconds)


def render_only(ctx, preset, clip, w, h, fps, image, depth):
    clock = OfflineClock(fps=fps, sample_rate_hz=clip.sample_rate_hz)
    n = clock.frame_count(clip.duration_s)
    r = Renderer(ctx, preset.scene, width_px=w, height_px=h, image=image, depth=depth)
    eng = Engine(analyzer=StreamingAnalyzer(channels=clip.samples.shape[1]), modulator=Modulator(preset), renderer=r)
    frames = []
    t0 = time.perf_counter()
    for i in range(n):
        a, b = clock.sample_span(i)
        eng.step(clock.time_of(i), clip.samples[a:b])
        frames.append(r.read_rgb())
    dt = time.perf_counter() - t0
    r.release()
    return n / dt, frames


def encode_only(frames, w, h, fps, out):
    t0 = time.perf_counter()
    sink = VideoSink(out, width_px=w, height_px=h, fps=fps, audio_channels=0, quality="normal", threaded=False)
    for f in frames:
        sink.write_frame(f)
    sink.close()
    return len(frames) / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--presets", default="")
    ap.add_argument("--json")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    names = args.presets.split(",") if args.presets else [p.name for p in list_presets()]
    clip = _segment(args.seconds)
    warm_up()
    ctx = create_context(headless=True)
    image, depth = demo_image.demo_image(w, h), demo_image.demo_depth(w, h)
    rows = []
    print(f"{args.size} @ {args.fps:g} fps, {args.seconds:g} s of the demo groove, median of {args.repeats}")
    print(f"{'preset':<12} {'render fps':>10} {'encode fps':>10} {'clip x rt':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            preset = load_preset(name)
            img = image if preset.uses_image() else None
            rf, ef, cx = [], [], []
            for _ in range(args.repeats):
                fps_r, frames = render_only(ctx, preset, clip, w, h, args.fps, img, depth)
                rf.append(fps_r)
                ef.append(encode_only(frames, w, h, args.fps, f"{tmp}/e.mp4"))
                res = render_clip(clip, preset=preset, out_path=f"{tmp}/c.mp4", width_px=w, height_px=h,
                                  fps=args.fps, image=img, depth=depth if img is not None else None,
                                  quality="normal", progress=False, ctx=ctx)
                cx.append(res.duration_s / res.wall_s)
            row = {"preset": name, "render_fps": statistics.median(rf), "encode_fps": statistics.median(ef),
                   "clip_x_realtime": statistics.median(cx)}
            rows.append(row)
            print(f"{name:<12} {row['render_fps']:>10.1f} {row['encode_fps']:>10.1f} {row['clip_x_realtime']:>10.2f}")
            sys.stdout.flush()
    print(f"{'median':<12} {np.median([r['render_fps'] for r in rows]):>10.1f} "
          f"{np.median([r['encode_fps'] for r in rows]):>10.1f} {np.median([r['clip_x_realtime'] for r in rows]):>10.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"size": args.size, "fps": args.fps, "rows": rows}, indent=1))
    ctx.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
