"""``reactor render``: audio (+ image) -> sound-on clip, deterministic, on the offline clock.

No threads are needed for correctness: frame ``n`` is at ``n / fps`` and the analyzer gets exactly
the samples up to that time. Two things overlap without changing a byte: frames are read back
through a ring of pixel buffers (``reactor.render.readback.AsyncReadback``), so the GPU finishes
frame ``n`` while frame ``n + 1`` is drawn, and the video sink converts and encodes on one worker
thread fed in order through a bounded queue (x264 adds its own frame threads, deterministic at a
given thread count). Nothing is ever dropped: a full queue makes the loop wait.

Typed arguments only: ``reactor.cli`` parses the command line, ``reactor.audio.clips.load_clip``
loads the audio and ``reactor.scene_setup`` the preset and images; ``render_clip`` runs the loop,
which hands each finished frame to its sinks through ``reactor.output.sink.FrameSink``.
"""

from __future__ import annotations

from dataclasses import dataclass

from reactor.errors import UsageError

__all__ = ["parse_size", "RenderResult", "render_clip", "render_file", "size_for_aspect", "ASPECTS"]


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


@dataclass(frozen=True)
class RenderResult:
    """What ``render_clip`` wrote: ``frames`` at ``path`` (``aborted``: a partial clip, Ctrl-C)."""

    path: str
    frames: int
    duration_s: float
    aborted: bool
    wall_s: float


ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:5": (4, 5)}


def size_for_aspect(size: tuple[int, int], aspect: str | None) -> tuple[int, int]:
    """``--aspect``: keep the short side of ``size``, the long side follows (even, for H.264)."""
    if not aspect:
        return size
    a, b = ASPECTS[aspect]
    short = min(size)
    if a >= b:
        return 2 * round(short * a / b / 2), short
    return short, 2 * round(short * b / a / 2)


def render_file(*, out_path: str, audio: str | None = None, demo: bool = False, start_s: float = 0.0,
                duration_s: float | None = None, preset: str | None = None, scene: str | None = None,
                image_path: str | None = None, depth_path: str | None = None, fit: str = "face",
                mouth=None, width_px: int = 1280, height_px: int = 720, fps: float = 30.0,
                quality: str = "normal", codec: str = "h264", causal: bool = False,
                poster_path: str | None = None, progress: bool = True, ctx=None):
    """``reactor render`` from typed choices: the one path the command line and ``reactor batch``
    share, so a job renders the same bytes either way.

    Opens the audio (a file as a stream, the demo as a clip), chooses the preset, frames the
    picture, pre-rolls the analyzer on the audio before ``start_s``, decodes the look-ahead beat
    track (unless ``causal``) and runs ``render_clip``. Returns ``(RenderResult, preset)``.
    """
    from reactor.audio.clips import open_audio, preroll_samples
    from reactor.scene_setup import prepare_images, resolve_preset

    clip = open_audio(audio, demo=demo, start_s=start_s, duration_s=duration_s)
    chosen = resolve_preset(preset=preset, scene=scene, demo=demo, have_image=bool(image_path))
    image, depth, chosen = prepare_images(chosen, width_px=width_px, height_px=height_px, image_path=image_path,
                                          depth_path=depth_path, fit=fit, mouth=mouth, demo=demo)
    preroll = preroll_samples(audio, demo=demo, start_s=start_s, sample_rate_hz=clip.sample_rate_hz)
    source = None
    if not causal:  # beat phase and bar from the whole file (look-ahead)
        from reactor.analysis.lookahead import offline_tempo_source

        source = offline_tempo_source(clip)
    result = render_clip(clip, preset=chosen, out_path=out_path, width_px=width_px, height_px=height_px, fps=fps,
                         image=image, depth=depth, quality=quality, codec=codec, progress=progress, ctx=ctx,
                         tempo_source=source, preroll=preroll, poster_path=poster_path)
    return result, chosen


def render_clip(clip, *, preset, out_path: str, width_px: int, height_px: int, fps: float,
                image=None, depth=None, quality: str = "normal", codec: str = "h264",
                progress: bool = True, threaded: bool = True, ctx=None, sinks=(),
                tempo_source=None, preroll=None, poster_path: str | None = None,
                flash_limit: bool = True, readback_depth: int = 2) -> RenderResult:
    """Render ``clip`` with ``preset`` into ``out_path`` (audio muxed in). Ctrl-C keeps a partial clip.

    Parameters
    ----------
    clip : reactor.audio.decode.AudioClip or reactor.audio.decode.AudioStream
        A decoded clip, or a file decoded as the frames need it (long mixes in bounded memory).
    preset : reactor.presets.Preset
    out_path : str
        The clip (``.mp4``/``.mov``), written through ``VideoSink``.
    width_px, height_px : int
    fps : float
        Frame ``n`` is drawn at ``n / fps`` seconds.
    image, depth : np.ndarray, optional
        Reference image and depth (see ``Renderer``).
    quality, codec : str
        As for ``VideoSink``.
    progress : bool
        Print a progress line to stderr.
    threaded : bool
        Encode on a worker thread (same bytes).
    ctx : moderngl.Context, optional
        A context to draw with; None: a headless one made (and released) here.
    sinks : sequence of FrameSink
        Further sinks given every frame after the clip (closed here, or aborted on error).
    tempo_source : callable, optional
        A tempo override for the analyzer (``StreamingAnalyzer.set_tempo_source``), e.g. the
        look-ahead track of ``reactor.analysis.lookahead.offline_tempo_source``; None: causal.
        Its times are the clip's (0 = the first rendered sample), also after a pre-roll.
    preroll : np.ndarray, optional
        Samples just before the clip, analysed (not rendered) first so the gain, tempo and
        loudness have settled at frame 0.
    poster_path : str, optional
        Also save the most characteristic frame as a PNG (``reactor.poster``).
    flash_limit : bool
        Keep full-frame flashes under three a second (``reactor.flashes``).
    readback_depth : int
        Frames in flight in the pixel-buffer readback ring (``reactor.render.readback``), so the
        GPU finishes a frame while the next is drawn; 0 reads each frame at once. Same bytes.
    """
    import time

    from reactor.analysis.analyzer import StreamingAnalyzer, warm_up
    from reactor.control.params import Modulator
    from reactor.engine import Engine, OfflineClock
    from reactor.output.progress import Progress
    from reactor.audio.feed import SampleFeed
    from reactor.flashes import FlashLimiter
    from reactor.output.sink import ClipSink
    from reactor.poster import PosterPicker
    from reactor.output.video import VideoSink
    from reactor.render.context import create_context
    from reactor.render.readback import AsyncReadback
    from reactor.render.renderer import Renderer

    clock = OfflineClock(fps=fps, sample_rate_hz=clip.sample_rate_hz)
    feed = SampleFeed(clip)  # a decoded clip, or an AudioStream decoded as the frames need it
    n_frames = clock.frame_count(feed.duration_estimate_s or 0.0)  # exact once the audio ends
    channels = feed.channels
    video = VideoSink(out_path, width_px=width_px, height_px=height_px, fps=fps,
                      sample_rate_hz=clip.sample_rate_hz, audio_channels=channels,
                      codec=codec, quality=quality, threaded=threaded)
    limiter = FlashLimiter(fps=fps) if flash_limit else None
    poster = PosterPicker() if poster_path else None
    on_frame = (lambda rgb, frame: poster.offer(frame.time_s, frame.features.scalars, rgb)) if poster else None
    clip_sink = ClipSink(video, transform=limiter.apply if limiter is not None else None, on_frame=on_frame)
    all_sinks = (clip_sink, *sinks)
    own_ctx = ctx is None
    renderer = None
    try:
        ctx = create_context(headless=True) if own_ctx else ctx
        if readback_depth:  # frames reach the clip readback_depth steps late, in order, same bytes
            clip_sink.readback = AsyncReadback(ctx, width_px=width_px, height_px=height_px, depth=readback_depth)
        renderer = Renderer(ctx, preset.render_scene(), width_px=width_px, height_px=height_px, image=image, depth=depth)
        renderer.sample_rate_hz = float(clip.sample_rate_hz)  # iSampleRate of Shadertoy scenes
        warm_up()  # compile analysis kernels before the first frame, not during it
        analyzer = StreamingAnalyzer(sample_rate_hz=clip.sample_rate_hz, channels=channels)
        offset_s = 0.0
        if preroll is not None and len(preroll):
            analyzer.process(preroll)  # the analyzer's clock now runs ahead by the pre-roll
            offset_s = len(preroll) / clip.sample_rate_hz
        analyzer.set_tempo_source(_shifted(tempo_source, offset_s))  # None: the causal tracker
        engine = Engine(analyzer=analyzer, modulator=Modulator(preset), renderer=renderer,
                        analysis_offset_s=offset_s)
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
                    video.write_audio(block)
                frame = engine.step(clock.time_of(n), block)
                for sink in all_sinks:
                    sink.write(renderer, frame)
                done = n = n + 1
                if bar is not None:
                    bar.update(min(done, n_frames))
            tail = feed.rest()
            if len(tail):
                video.write_audio(tail)
            n_frames = done
        except KeyboardInterrupt:
            for sink in all_sinks:
                sink.abort()
            return RenderResult(out_path, done, done / fps, True, time.perf_counter() - t0)
        for sink in all_sinks:
            sink.close()
        if poster is not None:
            poster.save(poster_path)
        if bar is not None:
            bar.finish(out_path)
        return RenderResult(out_path, n_frames, n_frames / fps, False, time.perf_counter() - t0)
    except BaseException:
        for sink in all_sinks:
            _abort_quietly(sink)  # keeps a playable clip of the frames done; none: nothing saved
        raise
    finally:
        if renderer is not None:
            renderer.release()
        if own_ctx and ctx is not None:
            ctx.release()


def _shifted(source, offset_s: float):
    """``source`` in the analyzer's time, which runs ``offset_s`` ahead of the clip's after a pre-roll."""
    if source is None or not offset_s:
        return source
    return lambda t: source(t - offset_s)


def _abort_quietly(sink) -> None:
    from reactor.errors import OutputError

    try:
        sink.abort()
    except OutputError:
        pass  # the error that brought us here is the one to report
