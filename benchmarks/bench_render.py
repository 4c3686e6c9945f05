"""Render and readback speed of every scene at 720p and 1080p (headless EGL), as a table.

    python benchmarks/bench_render.py [--frames 30] [--scenes pulse,tunnel] [--sizes 1280x720,1920x1080]
    python benchmarks/bench_render.py --passes [--scenes kaleido,tunnel-fx] [--sizes 1280x720]

Columns (medians over ``--frames`` frames after 3 warm-up frames, synthetic 128 BPM features):
render fps (draw all passes and the dither, fused into the last pass where the scene allows,
else a separate present pass; waited for with ``ctx.finish``), readback fps
(our ``read_rgb``: one ``read_into`` of a buffer already flipped on the GPU, rows top first),
naive readback fps (what one would write first: ``fbo.read()`` then ``np.flipud`` copy), and
both together (what an offline render gets before encoding). On llvmpipe figures vary with load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.render_util import groove_features  # noqa: E402


def _median_s(fn, n: int) -> float:
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_scene(ctx, scene: str, width_px: int, height_px: int, frames: int) -> dict[str, float]:
    from reactor.render.renderer import Renderer

    fps = 30.0
    feats = [groove_features(2.0 + n / fps) for n in range(frames + 3)]
    with Renderer(ctx, scene, width_px=width_px, height_px=height_px) as r:
        def render(i):
            r.render(feats[i], {}, time_s=2.0 + i / fps, dt_s=1.0 / fps)
            ctx.finish()

        for i in range(3):
            render(i)
            r.read_rgb()
        render_s = _median_s(lambda i: render(3 + i), frames)
        read_s = _median_s(lambda i: r.read_rgb(), frames)
        # the same 8-bit buffer, read the obvious way (the fused output pass's own, or the presenter's)
        fbo = r._passes[-1].target.read_fbo if r.self_dithered else r._presenter._fbo
        naive_s = _median_s(lambda i: np.flipud(np.frombuffer(fbo.read(components=3), np.uint8)
                                                 .reshape(height_px, width_px, 3)).copy(), frames)
        both_s = _median_s(lambda i: (render(3 + i % frames), r.read_rgb()), frames)
    return {"render": 1 / render_s, "read": 1 / read_s, "naive": 1 / naive_s, "both": 1 / both_s,
            "read_ms": 1000 * read_s}


def bench_passes(ctx, name: str, width_px: int, height_px: int, frames: int) -> list[tuple[str, float]]:
    """Median ms of each pass of preset ``name`` (its scene and effects, the demo picture where it
    takes one), each drawn between two ``ctx.finish()``: where a frame's time goes."""
    from reactor import demo_image
    from reactor.presets import load_preset
    from reactor.render.renderer import Renderer

    fps = 30.0
    feats = [groove_features(2.0 + n / fps) for n in range(frames + 3)]
    times: dict[str, list[float]] = {}
    with Renderer(ctx, load_preset(name).render_scene(), width_px=width_px, height_px=height_px,
                  image=demo_image.demo_image(width_px, height_px),
                  depth=demo_image.demo_depth(width_px, height_px)) as r:
        draw = r._draw_pass

        def timed(rp, into=None):
            ctx.finish()
            t0 = time.perf_counter()
            draw(rp, into)
            ctx.finish()
            times.setdefault(f"{rp.spec.shader.name} -> {rp.spec.target}", []).append(time.perf_counter() - t0)

        r._draw_pass = timed
        for i, f in enumerate(feats):
            if i == 3:
                times.clear()  # warm-up frames
            r.render(f, {}, time_s=2.0 + i / fps, dt_s=1.0 / fps)
    return [(k, 1000 * statistics.median(v)) for k, v in times.items()]


def main(argv: list[str] | None = None) -> int:
    from reactor.render.context import create_context, describe
    from reactor.render.scenes import list_scenes

    ap = argparse.ArgumentParser(description="Render/readback fps per scene")
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--scenes", help="comma-separated names (default: all)")
    ap.add_argument("--sizes", default="1280x720,1920x1080")
    ap.add_argument("--passes", action="store_true", help="per pass of each preset: median ms (default 720p)")
    args = ap.parse_args(argv)
    ctx = create_context()
    if args.passes:
        from reactor.presets import list_presets

        names = args.scenes.split(",") if args.scenes else [p.name for p in list_presets()]
        w, h = (int(v) for v in (args.sizes if args.sizes != ap.get_default("sizes") else "1280x720").split(",")[0].split("x"))
        print(f"# {describe(ctx)}; {w}x{h}, medians of {args.frames} frames, each pass between two glFinish")
        print("| preset | pass -> target | ms |\n| --- | --- | --- |")
        for name in names:
            rows = bench_passes(ctx, name, w, h, args.frames)
            for k, ms in rows:
                print(f"| {name} | {k} | {ms:.2f} |")
            print(f"| {name} | all passes | {sum(ms for _, ms in rows):.2f} |", flush=True)
        return 0
    scenes = args.scenes.split(",") if args.scenes else list(list_scenes())
    # Reference: a flat-colour scene, i.e. the fixed cost of one pass + dithered present. The
    # machine is shared and noisy; compare scenes with it, within one run.
    tmp = tempfile.TemporaryDirectory()
    flat = Path(tmp.name) / "flat.frag"
    flat.write_text("// @description flat colour (fixed cost)\nvoid main() { fragColor = vec4(v_uv, 0.5, 1.0); }\n")
    scenes = [str(flat)] + scenes
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    print(f"# {describe(ctx)}; medians of {args.frames} frames")
    head = f"| {'scene':<10} | {'size':>9} | render fps | readback fps (ms) | naive readback fps | render+read fps |"
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for scene in scenes:
        for w, h in sizes:
            m = bench_scene(ctx, scene, w, h, args.frames)
            label = "(flat)" if scene.endswith("flat.frag") else scene
            print(f"| {label:<10} | {w:>4}x{h:<4} | {m['render']:10.1f} | {m['read']:9.0f} ({m['read_ms']:4.1f}) "
                  f"  | {m['naive']:18.0f} | {m['both']:15.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
