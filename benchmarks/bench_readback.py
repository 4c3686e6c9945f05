"""Readback for live recording: PBO ring against a plain read, and what recording costs the show.

    python benchmarks/bench_readback.py [--size 1280x720] [--frames 40] [--scenes rings,trails]
                                        [--record-s 8] [--quality draft,normal] [--json PATH]

Table 1, per scene (headless EGL; medians over ``--frames`` frames after warm-up):
``render+read`` is a frame drawn then read back at once (``Renderer.read_rgb``, what
``reactor render`` does), ``render+pbo`` a frame drawn then queued into a 2-deep PBO ring
(``AsyncReadback.push``, which hands back the frame from two pushes ago), and the ``call``
columns the time spent inside just the read call (the render thread's stall). With ``finish`` the
frame is completed (``ctx.finish()``) before the read, so the call columns are the readback alone;
without it they include waiting for the frame (llvmpipe draws lazily). ``rings`` dithers in its
last pass (read flipped on the CPU), ``scope`` goes through the present pass.

Table 2, a live-like loop at the display pace of the recording rate: render, PBO readback,
``LiveRecorder.push_frame`` and 10 ms audio blocks, encoding on the recorder's thread. Columns:
median and max ``push_frame`` time, frames the loop showed, kept in the recording, dropped
(encoder behind), and the loop's achieved fps.
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

from tests.render_util import groove_features  # noqa: E402


def bench_readback(ctx, scene: str, w: int, h: int, frames: int, *, finish: bool) -> dict[str, float]:
    from reactor.render.readback import AsyncReadback
    from reactor.render.renderer import Renderer

    feats = [groove_features(2.0 + n / 30) for n in range(frames + 5)]
    out = {}
    with Renderer(ctx, scene, width_px=w, height_px=h) as r:
        rb = AsyncReadback(ctx, width_px=w, height_px=h, depth=2)
        for mode in ("read", "pbo"):
            loop, call = [], []  # per frame: render + read, and the read call alone
            for i in range(frames + 5):
                t0 = time.perf_counter()
                r.render(feats[i], {}, time_s=2.0 + i / 30, dt_s=1 / 30)
                if finish:
                    ctx.finish()  # the call columns then time the readback alone
                t1 = time.perf_counter()
                if mode == "read":
                    r.read_rgb()
                else:
                    rb.push(r.output_fbo, rows_top_first=r.output_rows_top_first)
                t2 = time.perf_counter()
                if i >= 5:
                    loop.append(t2 - t0)
                    call.append(t2 - t1)
            out[f"{mode}_loop_ms"] = 1000 * statistics.median(loop)
            out[f"{mode}_call_ms"] = 1000 * statistics.median(call)
        rb.flush()
        rb.release()
    return out


def bench_recording(ctx, scene: str, w: int, h: int, seconds: float, quality: str, fps: float = 30.0) -> dict:
    from reactor.output.recorder import LiveRecorder
    from reactor.render.readback import ReadbackSink
    from reactor.render.renderer import Renderer
    from reactor.engine import Frame

    with tempfile.TemporaryDirectory() as tmp, Renderer(ctx, scene, width_px=w, height_px=h) as r:
        rec = LiveRecorder(Path(tmp) / "rec.mp4", width_px=w, height_px=h, fps=fps, sample_rate_hz=48000,
                           audio_channels=2, quality=quality)
        sink = ReadbackSink(ctx, rec, width_px=w, height_px=h)
        push_s = []
        real_push = rec.push_frame

        def timed_push(rgb, time_s):
            t0 = time.perf_counter()
            real_push(rgb, time_s)
            push_s.append(time.perf_counter() - t0)

        rec.push_frame = timed_push
        block = np.zeros((480, 2), np.float32)
        start = time.perf_counter()
        next_audio, shown = start, 0
        while True:
            now = time.perf_counter()
            if now - start >= seconds:
                break
            while next_audio <= now:
                rec.push_audio(block, next_audio)
                next_audio += 0.01
            t = now - start
            r.render(groove_features(t), {}, time_s=t, dt_s=1 / fps)
            sink.write(r, Frame(index=shown, time_s=now, features=None, params={}))
            shown += 1
            wait = start + shown / fps - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        elapsed = time.perf_counter() - start
        stats = sink.close()
    return {"push_med_ms": 1000 * statistics.median(push_s), "push_max_ms": 1000 * max(push_s),
            "shown": shown, "recorded": stats["recorded_frames"], "dropped": stats["dropped_frames"],
            "file_frames": stats["frames"], "loop_fps": shown / elapsed, "finalise_s": stats["finalise_s"]}


def main(argv=None) -> int:
    from reactor.render.context import create_context, describe

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="1280x720")
    p.add_argument("--frames", type=int, default=40)
    p.add_argument("--scenes", default="scope,rings")
    p.add_argument("--record-s", type=float, default=8.0)
    p.add_argument("--quality", default="draft,normal")
    p.add_argument("--json", metavar="PATH")
    args = p.parse_args(argv)
    w, h = (int(v) for v in args.size.split("x"))
    ctx = create_context(headless=True)
    print(f"{describe(ctx)}, {w}x{h}")
    results: dict = {"gl": describe(ctx), "size": args.size, "readback": {}, "recording": {}}
    print(f"{'scene':<8} {'finish':<6} {'render+read ms':>15} {'render+pbo ms':>14} {'read call ms':>13} "
          f"{'pbo call ms':>12}")
    for scene in args.scenes.split(","):
        for finish in (False, True):
            row = bench_readback(ctx, scene, w, h, args.frames, finish=finish)
            results["readback"][f"{scene}{'+finish' if finish else ''}"] = row
            print(f"{scene:<8} {'yes' if finish else 'no':<6} {row['read_loop_ms']:>15.2f} {row['pbo_loop_ms']:>14.2f} "
                  f"{row['read_call_ms']:>13.2f} {row['pbo_call_ms']:>12.2f}")
    if args.record_s > 0:
        scene = args.scenes.split(",")[0]
        print(f"\nrecording {scene} at 30 fps for {args.record_s:g} s")
        print(f"{'quality':<8} {'push med ms':>11} {'push max ms':>11} {'shown':>6} {'kept':>5} {'dropped':>7} "
              f"{'loop fps':>8} {'finalise s':>10}")
        for quality in args.quality.split(","):
            row = bench_recording(ctx, scene, w, h, args.record_s, quality)
            results["recording"][quality] = row
            print(f"{quality:<8} {row['push_med_ms']:>11.2f} {row['push_max_ms']:>11.2f} {row['shown']:>6} "
                  f"{row['recorded']:>5} {row['dropped']:>7} {row['loop_fps']:>8.1f} {row['finalise_s']:>10.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    ctx.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
