"""``reactor render``: audio (+ image) -> sound-on clip, deterministic, on the offline clock.

No threads are needed for correctness: frame ``n`` is at ``n / fps`` and the analyzer gets exactly
the samples up to that time. The video sink may encode on a worker thread to overlap with
rendering; the bytes are the same either way.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


from reactor.errors import UsageError

DEFAULT_IMAGE_PRESET = "pulse"
DEFAULT_ABSTRACT_PRESET = "tunnel"
DEMO_PRESET = "performer"


@dataclass(frozen=True)
class RenderResult:
    path: str
    frames: int
    duration_s: float
    aborted: bool
    wall_s: float


def parse_size(text: str) -> tuple[int, int]:
    """``"1280x720"`` -> (1280, 720); even sides only (H.264 4:2:0 needs them)."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"--size must look like 1280x720, got {text!r}") from None
    if not (16 <= w <= 7680 and 16 <= h <= 4320):
        raise UsageError(f"--size {w}x{h} is out of range (16x16 .. 7680x4320)")
    if w % 2 or h % 2:
        raise UsageError(f"--size {w}x{h}: width and height must be even for H.264; try {w + w % 2}x{h + h % 2}")
    return w, h


def parse_region(text: str, flag: str) -> tuple[float, float, float, float]:
    """``"0.45,0.55,0.1,0.06"`` -> normalized (x, y, w, h), origin top-left."""
    try:
        vals = tuple(float(v) for v in text.split(","))
    except ValueError:
        vals = ()
    if len(vals) != 4 or not all(0.0 <= v <= 1.0 for v in vals) or vals[2] <= 0 or vals[3] <= 0:
        raise UsageError(f"{flag} must be four numbers 0..1 'x,y,w,h' (origin top-left), got {text!r}")
    return vals  # type: ignore[return-value]


def resolve_preset(args, *, have_image: bool):
    """The preset the user asked for (or the default for what they gave)."""
    from reactor.presets import load_preset, preset_from_scene

    if args.preset and args.scene:
        raise UsageError("give --preset or --scene, not both")
    if args.preset:
        return load_preset(args.preset)
    if args.scene:
        return preset_from_scene(args.scene)
    if getattr(args, "demo", False) and not args.image:
        return load_preset(DEMO_PRESET)
    return load_preset(DEFAULT_IMAGE_PRESET if have_image else DEFAULT_ABSTRACT_PRESET)


ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:5": (4, 5)}
PREROLL_S = 8.0
"""Audio before --start that the analyzer hears (not rendered), so gain and tempo have settled."""


def size_for_aspect(size: tuple[int, int], aspect: str | None) -> tuple[int, int]:
    """``--aspect``: keep the short side of ``--size``, the long side follows (even, for H.264)."""
    if not aspect:
        return size
    a, b = ASPECTS[aspect]
    short = min(size)
    if a >= b:
        return 2 * round(short * a / b / 2), short
    return short, 2 * round(short * b / a / 2)


def _open_stream(args):
    """The audio file named on the command line as an ``AudioStream`` (same checks as load_clip)."""
    from reactor.audio.decode import AudioStream

    if args.duration is not None and args.duration <= 0:
        raise UsageError(f"--duration must be positive, got {args.duration:g}")
    if args.start < 0:
        raise UsageError(f"--start must be >= 0, got {args.start:g}")
    return AudioStream(args.audio, start_s=args.start, duration_s=args.duration)


def _preroll(args, sample_rate_hz: int):
    """The audio just before ``--start`` (up to ``PREROLL_S``), or None."""
    start = float(getattr(args, "start", 0.0) or 0.0)
    if start <= 0.0 or not getattr(args, "audio", None):
        return None
    from reactor.audio.decode import load_audio

    a = max(0.0, start - PREROLL_S)
    return load_audio(args.audio, sample_rate_hz=sample_rate_hz, start_s=a, duration_s=start - a).samples


def run_render(args) -> int:
    """Run ``reactor render`` from parsed arguments; returns the exit status."""
    from reactor.cli import load_clip

    width, height = size_for_aspect(parse_size(args.size), getattr(args, "aspect", None))
    if not 1.0 <= args.fps <= 240.0:
        raise UsageError(f"--fps must be 1..240, got {args.fps:g}")
    if args.audio and not args.demo:  # a file: decoded as it renders (long mixes, bounded memory)
        clip = _open_stream(args)
    else:
        clip, name = load_clip(args)
    preset = resolve_preset(args, have_image=bool(args.image))
    image, depth, preset = _images(args, preset, width, height)
    preroll = _preroll(args, clip.sample_rate_hz) if not getattr(args, "demo", False) else None
    if getattr(args, "demo", False) and args.start > 0:
        from reactor.audio.demo import demo_clip

        preroll = demo_clip().trimmed(max(0.0, args.start - PREROLL_S), min(args.start, PREROLL_S)).samples
    result = render_clip(clip, preset=preset, out_path=args.output, width_px=width, height_px=height,
                         fps=args.fps, image=image, depth=depth, quality=args.quality, codec=args.codec,
                         progress=not args.no_progress, preroll=preroll,
                         poster_path=getattr(args, "poster", None))
    verb = "stopped early; wrote a playable partial clip" if result.aborted else "wrote"
    print(f"{verb} {result.path}: {result.frames} frames, {result.duration_s:.2f} s, "
          f"{width}x{height} @ {args.fps:g} fps, preset {preset.name} ({preset.scene}), "
          f"{result.duration_s / max(result.wall_s, 1e-9):.2f}x real time", file=sys.stderr)
    return 130 if result.aborted else 0


def _images(args, preset, width: int, height: int):
    """Load and fit the reference image and depth; apply --mouth; demo image for --demo."""
    from reactor import demo_image, imageio

    image = depth = pic = None
    if args.image:  # framed around the subject; a face rigs the lip-sync (reactor.picture)
        from reactor.picture import prepare_picture, tell

        pic = prepare_picture(imageio.load_image(args.image), preset, width_px=width, height_px=height,
                              fit=args.fit)
        image, preset = pic.image, pic.preset
        tell(pic.note)
    elif preset.uses_image():
        if not getattr(args, "demo", False):
            raise UsageError(f"preset '{preset.name}' animates an image: give --image IMG "
                             f"(or use --demo, or an abstract preset; see 'reactor presets')")
        image = demo_image.demo_image(width, height)
        depth = demo_image.demo_depth(width, height)
        regions = demo_image.demo_regions(width, height)
        preset = _with_region(preset, "mouth", regions["mouth"], strict=False)
        if "eye_w" in preset.params:
            (lx, ly), (rx, ry) = regions["eye_l"], regions["eye_r"]
            preset = preset.with_param_defaults(eye_lx=lx, eye_ly=ly, eye_rx=rx, eye_ry=ry, eye_w=regions["eye_w"])
    if args.depth:
        depth_src = imageio.load_image(args.depth)[..., :3].mean(axis=2)
        # framed exactly as the picture (same crop around the face), or plainly without one
        depth = pic.frame_depth(depth_src) if pic is not None else imageio.fit(depth_src, width, height, mode="cover")
    if args.mouth:
        preset = _with_region(preset, "mouth", parse_region(args.mouth, "--mouth"), strict=True)
    return image, depth, preset


def _with_region(preset, name: str, region, *, strict: bool):
    keys = [f"{name}_{k}" for k in ("x", "y", "w", "h")]
    if not all(k in preset.params for k in keys):
        if strict:
            raise UsageError(f"--{name} applies to presets with a {name} region (e.g. 'performer'); "
                             f"'{preset.name}' has none")
        return preset
    return preset.with_param_defaults(**dict(zip(keys, region)))


def render_clip(clip, *, preset, out_path: str, width_px: int, height_px: int, fps: float,
                image=None, depth=None, quality: str = "normal", codec: str = "h264",
                progress: bool = True, threaded: bool = True, ctx=None, preroll=None,
                poster_path: str | None = None, flash_limit: bool = True) -> RenderResult:
    """Render ``clip`` with ``preset`` into ``out_path`` (audio muxed in). Ctrl-C keeps a partial clip.

    ``preroll``: samples just before the clip, analysed (not rendered) first so the gain, tempo
    and loudness have settled at frame 0. ``poster_path``: save the most characteristic frame.
    ``flash_limit``: keep full-frame flashes under three a second (``reactor.flashes``).
    """
    import time

    from reactor.analysis.analyzer import StreamingAnalyzer, warm_up
    from reactor.control.params import Modulator
    from reactor.engine import Engine, OfflineClock
    from reactor.output.video import VideoSink
    from reactor.output.progress import Progress
    from reactor.render.context import create_context
    from reactor.render.renderer import Renderer

    from reactor.audio.feed import SampleFeed

    clock = OfflineClock(fps=fps, sample_rate_hz=clip.sample_rate_hz)
    feed = SampleFeed(clip)  # a decoded clip, or an AudioStream decoded as the frames need it
    n_frames = clock.frame_count(feed.duration_estimate_s or 0.0)  # exact once the audio ends
    channels = feed.channels
    sink = VideoSink(out_path, width_px=width_px, height_px=height_px, fps=fps,
                     sample_rate_hz=clip.sample_rate_hz, audio_channels=channels,
                     codec=codec, quality=quality, threaded=threaded)
    own_ctx = ctx is None
    renderer = None
    try:
        ctx = create_context(headless=True) if own_ctx else ctx
        renderer = Renderer(ctx, preset.scene, width_px=width_px, height_px=height_px, image=image, depth=depth)
        warm_up()  # compile analysis kernels before the first frame, not during it
        analyzer = StreamingAnalyzer(sample_rate_hz=clip.sample_rate_hz, channels=channels)
        offset_s = 0.0
        if preroll is not None and len(preroll):
            analyzer.process(preroll)  # the analyzer's clock now runs ahead by the pre-roll
            offset_s = len(preroll) / clip.sample_rate_hz
        engine = Engine(analyzer=analyzer, modulator=Modulator(preset), renderer=renderer,
                        analysis_offset_s=offset_s)
        from reactor.poster import PosterPicker

        poster = PosterPicker() if poster_path else None
        from reactor.flashes import FlashLimiter

        limiter = FlashLimiter(fps=fps) if flash_limit else None
        bar = Progress(n_frames, fps=fps) if progress else None
        t0 = time.perf_counter()
        done = 0
        try:
            n = 0
            while True:
                feed.fill(clock.sample_of(n + 1))  # one frame ahead: does frame n exist?
                if feed.ended and n >= clock.frame_count(feed.total / clip.sample_rate_hz):
                    break
                block = feed.take(clock.sample_span(n)[1])
                if len(block):
                    sink.write_audio(block)
                frame = engine.step(clock.time_of(n), block)
                rgb = renderer.read_rgb()
                if limiter is not None:
                    rgb = limiter.apply(rgb)
                sink.write_frame(rgb)
                if poster is not None:
                    poster.offer(frame.time_s, frame.features.scalars, rgb)
                done = n = n + 1
                if bar is not None:
                    bar.update(min(done, n_frames))
            tail = feed.rest()
            if len(tail):
                sink.write_audio(tail)
            n_frames = done
        except KeyboardInterrupt:
            sink.abort()
            return RenderResult(out_path, done, done / fps, True, time.perf_counter() - t0)
        sink.close()
        if poster is not None:
            poster.save(poster_path)
        if bar is not None:
            bar.finish(out_path)
        return RenderResult(out_path, n_frames, n_frames / fps, False, time.perf_counter() - t0)
    except BaseException:
        _abort_quietly(sink)  # keeps a playable clip of the frames done; none: nothing saved
        raise
    finally:
        if renderer is not None:
            renderer.release()
        if own_ctx and ctx is not None:
            ctx.release()


def _abort_quietly(sink) -> None:
    from reactor.errors import OutputError

    try:
        sink.abort()
    except OutputError:
        pass  # the error that brought us here is the one to report
