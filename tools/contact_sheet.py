"""Render a scene over music and save a grid of frames, to look at a scene without a screen.

    python tools/contact_sheet.py pulse -o sheet.png [--image photo.jpg] [--frames 12]

Audio: the built-in demo track through the real streaming analyzer when ``reactor.audio.demo``
and ``reactor.analysis`` are available, else synthetic 128 BPM features. Parameters come from the
scene's preset (``presets/<scene>.toml``) through the Modulator when those modules exist, else
the shader defaults. Frames are picked evenly over ``--start``..``--start + --duration`` seconds
but every frame in between is rendered, so feedback scenes look as they would in a clip.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.render_util import contact_sheet, groove_features  # noqa: E402


def _feature_source(use_demo: bool):
    """A function t -> Features, fed by the demo track when possible (samples up to t only)."""
    if use_demo:
        try:
            from reactor.analysis.analyzer import StreamingAnalyzer
            from reactor.audio.demo import demo_clip
        except ImportError:
            use_demo = False
    if not use_demo:
        return (lambda t: groove_features(t)), "synthetic 128 BPM features"
    try:
        clip = demo_clip(48000)
        analyzer = StreamingAnalyzer(sample_rate_hz=clip.sample_rate_hz, channels=clip.samples.shape[1])
    except Exception as exc:  # a module still in progress must not stop us looking at scenes
        print(f"(demo audio unavailable: {type(exc).__name__}: {exc}; using synthetic features)", file=sys.stderr)
        return (lambda t: groove_features(t)), "synthetic 128 BPM features"
    fed = [0]

    def at(t: float):
        if fed[0] < 0:
            return groove_features(t)
        try:
            end = min(int(round(t * clip.sample_rate_hz)), clip.samples.shape[0])
            if end > fed[0]:
                analyzer.process(clip.samples[fed[0]:end])
                fed[0] = end
            return analyzer.snapshot(t)
        except Exception as exc:  # analysis still in progress elsewhere: keep going, say so
            print(f"(analyzer failed at {t:.2f} s: {type(exc).__name__}: {exc}; synthetic from here)", file=sys.stderr)
            fed[0] = -1
            return groove_features(t)

    return at, "demo track, streaming analyzer"


def _modulator(scene: str, preset: str | None):
    try:
        from reactor.control.params import Modulator
        from reactor.presets import load_preset, preset_from_scene
    except ImportError:
        return None
    try:
        if preset is None and Path(scene).suffix not in ("", ".toml"):
            return Modulator(preset_from_scene(scene))  # a shader file: its own declared parameters
        return Modulator(load_preset(preset or scene))
    except Exception as exc:  # no preset for this scene: shader defaults
        print(f"(no preset: {exc}; using shader defaults)", file=sys.stderr)
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scene")
    ap.add_argument("-o", "--output", required=True, type=Path)
    ap.add_argument("--image", help="picture for image scenes (default: the built-in demo image)")
    ap.add_argument("--preset", help="preset name/path (default: the scene's name)")
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--columns", type=int, default=4)
    ap.add_argument("--width", type=int, default=480)
    ap.add_argument("--height", type=int, default=270)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--start", type=float, default=4.0, help="seconds")
    ap.add_argument("--duration", type=float, default=4.0, help="seconds")
    ap.add_argument("--synthetic", action="store_true", help="synthetic features instead of the demo track")
    args = ap.parse_args(argv)

    from PIL import Image

    from reactor.imageio import load_image
    from reactor.render.context import create_context
    from reactor.render.renderer import Renderer

    features_at, audio_desc = _feature_source(not args.synthetic)
    modulator = _modulator(args.scene, args.preset)
    image = load_image(args.image) if args.image else None
    first = int(round(args.start * args.fps))
    last = int(round((args.start + args.duration) * args.fps))
    picks = set(np.linspace(first, last, args.frames).round().astype(int).tolist())
    ctx = create_context()
    frames, labels = [], []
    scene = args.scene
    if args.preset:  # a preset with [[effect]] tables renders as its chain
        from reactor.presets import load_preset

        scene = load_preset(args.preset).render_scene()
    with Renderer(ctx, scene, width_px=args.width, height_px=args.height, image=image) as renderer:
        # Warm up from 0 s so feedback state and smoothing are what a clip would have by then.
        for n in range(0, last + 1):
            t = n / args.fps
            f = features_at(t)
            params = modulator.step(f, dt_s=1.0 / args.fps) if modulator else {}
            if n < first - int(2 * args.fps) and n not in picks:
                continue  # far before the window: analyzer and modulator advance, no need to draw
            renderer.render(f, params, time_s=t, dt_s=1.0 / args.fps)
            if n in picks:
                frames.append(renderer.read_rgb())
                labels.append(f"{t:5.2f}s b{f['beat_phase']:.2f} v{f['voice']:.2f}")
    Image.fromarray(contact_sheet(frames, columns=args.columns, labels=labels)).save(args.output)
    print(f"{args.output}: {len(frames)} frames of {args.scene} ({audio_desc})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
