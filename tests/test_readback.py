"""Asynchronous PBO readback on headless EGL: same pixels as a plain read, a fixed number of frames late."""

from __future__ import annotations

import numpy as np
import pytest

from reactor.engine import Frame
from reactor.errors import ReactorError
from reactor.output.recorder import LiveRecorder
from reactor.output.sink import ClipSink, FrameSink
from reactor.render.readback import AsyncReadback, ReadbackSink
from tests.render_util import gl_ctx, groove_features  # noqa: F401  (gl_ctx is a fixture)

W, H = 64, 36


@pytest.fixture
def ctx(gl_ctx):  # noqa: F811  (the session's EGL context)
    return gl_ctx


def _picture(ctx, i: int):
    """An fbo with a picture that differs per frame and per row (so a flip would show)."""
    tex = ctx.texture((W, H), 4)
    rng = np.random.default_rng(i)
    data = rng.integers(0, 255, (H, W, 4), dtype=np.uint8)
    data[:, :, 3] = 255
    tex.write(data.tobytes())
    return ctx.framebuffer(color_attachments=[tex]), tex


def _plain_read(fbo) -> np.ndarray:
    """``fbo.read()`` as ``uint8 (h, w, 3)`` top row first."""
    return np.frombuffer(fbo.read(components=3, alignment=1), np.uint8).reshape(H, W, 3)[::-1]


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_frames_come_back_depth_pushes_late_with_the_pixels_of_a_plain_read(ctx, depth):
    rb = AsyncReadback(ctx, width_px=W, height_px=H, depth=depth)
    pictures = [_picture(ctx, i) for i in range(7)]
    want = [_plain_read(fbo) for fbo, _ in pictures]
    got = [rb.push(fbo) for fbo, _ in pictures]
    assert all(g is None for g in got[:depth])
    for i, g in enumerate(got[depth:]):
        assert g.dtype == np.uint8 and g.shape == (H, W, 3) and g.flags.c_contiguous
        assert np.array_equal(g, want[i]), i
    rest = rb.flush()
    assert len(rest) == depth and all(np.array_equal(r, w) for r, w in zip(rest, want[-depth:]))
    assert rb.flush() == []
    got[-1][:] = 0  # frames are the caller's own: later pushes do not overwrite them
    rb.push(pictures[0][0])
    assert np.array_equal(rb.flush()[0], want[0]) and not np.array_equal(got[-1], want[-1 - depth])
    rb.release()
    for fbo, tex in pictures:
        fbo.release()
        tex.release()


def test_bad_depth_is_refused(ctx):
    with pytest.raises(ReactorError, match="depth"):
        AsyncReadback(ctx, width_px=W, height_px=H, depth=0)


class _Collect:
    def __init__(self):
        self.frames, self.closed, self.aborted = [], False, False

    def push_frame(self, rgb, time_s):
        self.frames.append((rgb, time_s))

    def close(self):
        self.closed = True
        return len(self.frames)

    def abort(self):
        self.aborted = True


@pytest.mark.parametrize("scene, way", [("rings", "target"), ("trails", "mrt"), ("trails", "present")])
def test_readback_sink_gives_what_read_rgb_gives_for_fused_and_presented_outputs(ctx, scene, way, monkeypatch):
    from reactor.render.renderer import Renderer

    if way == "present":  # the present pass (outputs of another size use it); forced here
        monkeypatch.setattr(Renderer, "_fusable", lambda self, info, sources: None)
    renderer = Renderer(ctx, scene, width_px=W, height_px=H)
    # every way the output reaches output_fbo: an 8-bit output target, a second attachment, the present pass
    assert renderer.self_dithered is (way != "present") and renderer._mrt is (way == "mrt")
    collect = _Collect()
    sink = ReadbackSink(ctx, collect, width_px=W, height_px=H, depth=2)
    assert isinstance(sink, FrameSink)
    want = []
    for i in range(6):
        features = groove_features(i / 30)
        renderer.render(features, {}, time_s=i / 30, dt_s=1 / 30)
        want.append(renderer.read_rgb())
        sink.write(renderer, Frame(index=i, time_s=i / 30, features=features, params={}))
    assert len(collect.frames) == 4
    assert sink.close() == 6 and collect.closed
    assert not np.array_equal(want[0], want[5])  # the picture moves, so order matters
    for (rgb, t), w, i in zip(collect.frames, want, range(6)):
        assert t == pytest.approx(i / 30) and np.array_equal(rgb, w), i
    renderer.release()


def test_clip_and_live_recorder_are_frame_sinks(tmp_path):
    from reactor.output.video import VideoSink

    video = VideoSink(tmp_path / "a.mp4", width_px=W, height_px=H + 0, fps=30, audio_channels=0)
    rec = LiveRecorder(tmp_path / "b.mp4", width_px=W, height_px=H, fps=30, sample_rate_hz=48000, audio_channels=0)
    assert isinstance(ClipSink(video), FrameSink) and isinstance(rec, FrameSink)

    class Source:
        def read_rgb(self):
            return np.full((H, W, 3), 200, np.uint8)

    for i in range(3):
        frame = Frame(index=i, time_s=i / 30, features=None, params={})
        ClipSink(video).write(Source(), frame)
        rec.write(Source(), frame)
    assert video.close().frames == 3 and rec.close()["frames"] == 3


def test_render_clip_feeds_extra_sinks_the_frames_it_encodes(ctx, tmp_path):
    """One loop, several sinks: a live-style recording made alongside ``reactor render``."""
    from reactor.audio.decode import AudioClip
    from reactor.presets import load_preset
    from reactor.render_job import render_clip
    from tests import signals

    g = signals.groove(bpm=120.0, bars=1)
    clip = AudioClip(samples=g.samples[:48000], sample_rate_hz=48000, source="test")
    rec = LiveRecorder(tmp_path / "rec.mp4", width_px=W, height_px=H, fps=30, sample_rate_hz=48000,
                       audio_channels=0, queue_frames=100)
    collect = _Collect()
    result = render_clip(clip, preset=load_preset("rings"), out_path=str(tmp_path / "clip.mp4"), width_px=W,
                         height_px=H, fps=30.0, quality="lossless", progress=False, ctx=ctx,
                         sinks=[ReadbackSink(ctx, rec, width_px=W, height_px=H), ReadbackSink(ctx, collect,
                                                                                              width_px=W, height_px=H)])
    assert result.frames == 30 and collect.closed
    assert [t for _, t in collect.frames] == pytest.approx([n / 30 for n in range(30)])
    import av

    with av.open(str(tmp_path / "clip.mp4")) as c:  # lossless 4:2:0: the luma plane is exact
        clip_luma = [np.frombuffer(f.planes[0], np.uint8).reshape(H, -1)[:, :W].astype(float)
                     for f in c.decode(video=0)]
    with av.open(str(tmp_path / "rec.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) == 30
    for i, (y, (rgb, _)) in enumerate(zip(clip_luma, collect.frames)):
        luma = 16 + 219 * (rgb.astype(float) / 255) @ np.array([0.2126, 0.7152, 0.0722])
        assert np.abs(y - luma).max() <= 1.5, i  # the pictures the clip got, in order


def test_a_flash_read_back_through_pbos_stays_in_sync_with_its_click(ctx, tmp_path):
    """The whole live recording path on EGL: frames drawn into an fbo, read back two frames late
    through ReadbackSink, recorded with stamped audio; flash and click within one frame."""
    import av

    sr, fps, t0 = 48000, 30, 20.0
    flashes = [t0 + 0.5, t0 + 1.3]
    tex = ctx.texture((W, H), 4)

    class Compositor:  # what a live compositor offers a ReadbackSink
        output_fbo = ctx.framebuffer(color_attachments=[tex])

    rec = LiveRecorder(tmp_path / "pbo.mp4", width_px=W, height_px=H, fps=fps, sample_rate_hz=sr,
                       audio_channels=1, queue_frames=1000)
    sink = ReadbackSink(ctx, rec, width_px=W, height_px=H)
    display = t0 + np.arange(0, 2.0, 1 / 60)  # a 60 fps show recorded at 30
    t_audio = t0 - 0.1
    for i, t in enumerate(display):
        while t_audio < t + 0.02:
            block = np.zeros((480, 1), np.float32)
            for f in flashes:
                k = int(round((f - t_audio) * sr))
                if 0 <= k < 480:
                    block[k] = 0.9
            rec.push_audio(block, t_audio)
            t_audio += 480 / sr
        white = any(f <= t < f + 0.2 for f in flashes)
        Compositor.output_fbo.clear(*((1.0, 1.0, 1.0, 1.0) if white else (0.0, 0.0, 0.0, 1.0)))
        sink.write(Compositor, Frame(index=i, time_s=float(t), features=None, params={}))
    stats = sink.close()
    assert stats["frames"] == 60 and stats["dropped_frames"] == 0
    with av.open(str(tmp_path / "pbo.mp4")) as c:
        levels = [f.to_ndarray(format="gray").mean() for f in c.decode(video=0)]
    with av.open(str(tmp_path / "pbo.mp4")) as c:
        audio = np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)])
    flash_s = np.array([i for i in range(1, len(levels)) if levels[i] > 128 >= levels[i - 1]]) / fps
    hits = np.flatnonzero(np.abs(audio) > 0.3)
    click_s = np.array([h for j, h in enumerate(hits) if j == 0 or h - hits[j - 1] > sr // 10]) / sr
    assert len(flash_s) == len(click_s) == 2
    assert np.max(np.abs(flash_s - click_s)) <= 1 / fps, (flash_s, click_s)
    Compositor.output_fbo.release()
    tex.release()
