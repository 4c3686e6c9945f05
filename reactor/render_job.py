"""``reactor render``: audio (+ image) -> sound-on clip, deterministic, on the offline clock.

No threads are needed for correctness: frame ``n`` is at ``n / fps`` and the analyzer gets exactly
the samples up to that time. The video sink may encode on a worker thread to overlap with
rendering; the bytes are the same either way.

Typed arguments only: ``reactor.cli`` parses the command line, ``reactor.audio.clips.load_clip``
loads the audio and ``reactor.scene_setup`` the preset and images; ``render_clip`` runs the loop,
which hands each finished frame to its sinks through ``reactor.output.sink.FrameSink``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RenderResult", "render_clip"]


@dataclass(frozen=True)
class RenderResult:
    """What ``render_clip`` wrote: ``frames`` at ``path`` (``aborted``: a partial clip, Ctrl-C)."""

    path: str
    frames: int
    duration_s: float
    aborted: bool
    wall_s: float


def render_clip(clip, *, preset, out_path: str, width_px: int, height_px: int, fps: float,
                image=None, depth=None, quality: str = "normal", codec: str = "h264",
                progress: bool = True, threaded: bool = True, ctx=None, sinks=(),
                tempo_source=None) -> RenderResult:
    """Render ``clip`` with ``preset`` into ``out_path`` (audio muxed in). Ctrl-C keeps a partial clip.

    Parameters
    ----------
    clip : reactor.audio.decode.AudioClip
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
    """
    import time

    from reactor.analysis.analyzer import StreamingAnalyzer, warm_up
    from reactor.control.params import Modulator
    from reactor.engine import Engine, OfflineClock
    from reactor.output.progress import Progress
    from reactor.output.sink import ClipSink
    from reactor.output.video import VideoSink
    from reactor.render.context import create_context
    from reactor.render.renderer import Renderer

    clock = OfflineClock(fps=fps, sample_rate_hz=clip.sample_rate_hz)
    n_frames = clock.frame_count(clip.duration_s)
    channels = clip.samples.shape[1]
    video = VideoSink(out_path, width_px=width_px, height_px=height_px, fps=fps,
                      sample_rate_hz=clip.sample_rate_hz, audio_channels=channels,
                      codec=codec, quality=quality, threaded=threaded)
    all_sinks = (ClipSink(video), *sinks)
    own_ctx = ctx is None
    renderer = None
    try:
        ctx = create_context(headless=True) if own_ctx else ctx
        renderer = Renderer(ctx, preset.render_scene(), width_px=width_px, height_px=height_px, image=image, depth=depth)
        renderer.sample_rate_hz = float(clip.sample_rate_hz)  # iSampleRate of Shadertoy scenes
        warm_up()  # compile analysis kernels before the first frame, not during it
        analyzer = StreamingAnalyzer(sample_rate_hz=clip.sample_rate_hz, channels=channels)
        analyzer.set_tempo_source(tempo_source)  # None: the causal tracker
        engine = Engine(analyzer=analyzer, modulator=Modulator(preset), renderer=renderer)
        video.write_audio(clip.samples)
        bar = Progress(n_frames, fps=fps) if progress else None
        t0 = time.perf_counter()
        done = 0
        try:
            for n in range(n_frames):
                a, b = clock.sample_span(n)
                frame = engine.step(clock.time_of(n), clip.samples[a:b])
                for sink in all_sinks:
                    sink.write(renderer, frame)
                done = n + 1
                if bar is not None:
                    bar.update(done)
        except KeyboardInterrupt:
            for sink in all_sinks:
                sink.abort()
            return RenderResult(out_path, done, done / fps, True, time.perf_counter() - t0)
        for sink in all_sinks:
            sink.close()
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


def _abort_quietly(sink) -> None:
    from reactor.errors import OutputError

    try:
        sink.abort()
    except OutputError:
        pass  # the error that brought us here is the one to report
