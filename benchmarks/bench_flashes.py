"""Full-frame flashes per preset on real music (WCAG 2.3.1 general flashes, ``reactor.flashes``).

    python benchmarks/bench_flashes.py [--seconds 20] [--size 320x180] [--song D_RUNNIN] [--presets a,b]

Music: a Freedoom song (Debian ``freedoom``) rendered with fluidsynth (see tests/real_media.py).
Each preset runs through the real analyzer, modulator and renderer (the demo picture for image
presets); the table gives the worst flashes in any one second, per quarter-frame window.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reactor import demo_image  # noqa: E402
from reactor.analysis.analyzer import StreamingAnalyzer, warm_up  # noqa: E402
from reactor.control.params import Modulator  # noqa: E402
from reactor.engine import Engine, OfflineClock  # noqa: E402
from reactor.flashes import FlashCounter, FlashLimiter  # noqa: E402
from reactor.presets import list_presets, load_preset  # noqa: E402
from reactor.render.renderer import Renderer  # noqa: E402


def measure(ctx, preset_name: str, samples, *, width_px: int, height_px: int, fps: float = 30.0,
            sample_rate_hz: int = 48000) -> tuple[FlashCounter, FlashLimiter]:
    """Render ``preset_name`` over ``samples`` (n, ch); count its raw flashes and what the
    engine's limiter (as ``reactor render`` applies it) lets through."""
    preset = load_preset(preset_name)
    image = demo_image.demo_image(width_px, height_px) if preset.uses_image() else None
    depth = demo_image.demo_depth(width_px, height_px) if preset.uses_image() else None
    clock = OfflineClock(fps=fps, sample_rate_hz=sample_rate_hz)
    counter = FlashCounter(fps=fps)
    limiter = FlashLimiter(fps=fps)
    with Renderer(ctx, preset.scene, width_px=width_px, height_px=height_px, image=image, depth=depth) as r:
        eng = Engine(analyzer=StreamingAnalyzer(sample_rate_hz=sample_rate_hz, channels=samples.shape[1]),
                     modulator=Modulator(preset), renderer=r)
        for n in range(clock.frame_count(len(samples) / sample_rate_hz)):
            a, b = clock.sample_span(n)
            eng.step(clock.time_of(n), samples[a:b])
            rgb = r.read_rgb()
            counter.add(rgb)
            limiter.apply(rgb)
    return counter, limiter


def main() -> int:
    from reactor.render.context import create_context
    from tests.real_media import freedoom_music

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--size", default="320x180")
    ap.add_argument("--song", default="D_RUNNIN")
    ap.add_argument("--presets", default="")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    music = freedoom_music(args.song, seconds=args.seconds)
    if music is None:
        print("needs freedoom, fluidsynth and fluid-soundfont-gm (apt-get install ...)")
        return 2
    warm_up()
    ctx = create_context(headless=True)
    names = args.presets.split(",") if args.presets else [p.name for p in list_presets()]
    print(f"{args.song}, {args.seconds:g} s, {args.size}: worst general flashes in any 1 s (limit 3)")
    print(f"{'preset':<12} {'raw flashes/s':>13} {'limited':>8} {'frames limited':>14}")
    for name in names:
        c, lim = measure(ctx, name, music, width_px=w, height_px=h)
        print(f"{name:<12} {c.max_flashes_per_s:>13.1f} {lim.counter.max_flashes_per_s:>8.1f} "
              f"{lim.limited_frames:>14d}")
        sys.stdout.flush()
    ctx.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
