"""Flashes stay under three a second on every preset; long audio renders in bounded memory."""

from __future__ import annotations

import numpy as np
import pytest

from reactor.flashes import FlashCounter, FlashLimiter
from reactor.presets import list_presets
from tests.real_media import freedoom_music
from tests.render_util import gl_ctx  # noqa: F401


def _strobe(hz: float, fps: float = 30.0, seconds: float = 3.0):
    for n in range(int(seconds * fps)):
        v = 255 if int(n * 2 * hz / fps) % 2 else 0
        yield np.full((36, 64, 3), v, np.uint8)


@pytest.mark.parametrize("hz, flashes", [(1.0, 1.0), (2.0, 2.0), (5.0, 5.0), (10.0, 10.0)])
def test_counter_counts_a_full_frame_strobe(hz, flashes):
    c = FlashCounter(fps=30.0)
    for f in _strobe(hz):
        c.add(f)
    assert c.max_flashes_per_s == pytest.approx(flashes, abs=0.5)


def test_small_or_dim_changes_are_not_flashes():
    c = FlashCounter(fps=30.0)
    for n in range(90):
        f = np.full((36, 64, 3), 40, np.uint8)
        if n % 2:
            f[:4, :6] = 255  # a blinking spot: far less than a quarter of any window
        c.add(f)
    bright = FlashCounter(fps=30.0)
    for n in range(90):  # both states above 0.8 relative luminance: not a flash (WCAG)
        bright.add(np.full((36, 64, 3), 250 if n % 2 else 235, np.uint8))
    assert c.max_flashes_per_s == 0 and bright.max_flashes_per_s == 0


def test_limiter_holds_a_strobe_to_three_flashes_a_second():
    lim = FlashLimiter(fps=30.0)
    for f in _strobe(8.0, seconds=4.0):
        lim.apply(f)
    assert lim.counter.max_flashes_per_s <= 3.0 and lim.limited_frames > 0
    calm = FlashLimiter(fps=30.0)
    frames = list(_strobe(1.0))
    assert all(calm.apply(f) is f for f in frames), "the limiter touched a safe clip"


@pytest.fixture(scope="module")
def music():
    m = freedoom_music("D_RUNNIN", seconds=10.0)
    if m is None:
        pytest.skip("needs freedoom, fluidsynth and fluid-soundfont-gm")
    return m


@pytest.mark.parametrize("preset", [p.name for p in list_presets()])
def test_every_preset_stays_under_three_flashes_a_second_on_real_music(gl_ctx, music, preset):
    from benchmarks.bench_flashes import measure

    raw, limited = measure(gl_ctx, preset, music, width_px=128, height_px=72)
    assert limited.counter.max_flashes_per_s <= 3.0, f"{preset}: {limited.counter.max_flashes_per_s} flashes/s"
    assert limited.limited_frames <= 0.05 * limited.counter._frame, "limited so often the picture would stall"


def test_stream_gives_the_samples_load_audio_gives(tmp_path, music):
    from reactor.audio.decode import AudioStream, load_audio
    from tests.signals import write_audio

    path = write_audio(tmp_path / "m.m4a", music, codec="aac")
    for start, dur in [(0.0, None), (1.5, 2.0), (6.0, None)]:
        whole = load_audio(path, start_s=start, duration_s=dur).samples
        s = AudioStream(path, start_s=start, duration_s=dur)
        blocks = list(s.blocks())
        assert np.array_equal(np.concatenate(blocks), whole)
        assert max(len(b) for b in blocks) <= 8192, "a stream block is not small"
        assert s.duration_estimate_s == pytest.approx(len(whole) / 48000, abs=0.1)


def test_render_from_a_stream_matches_a_render_from_the_decoded_clip(tmp_path, gl_ctx, music):
    import av

    from reactor.audio.decode import AudioStream, load_audio
    from reactor.presets import load_preset
    from reactor.render_job import render_clip
    from tests.signals import write_wav

    path = write_wav(tmp_path / "m.wav", music[: 3 * 48000])
    outs = []
    for name, src in (("clip", load_audio(path)), ("stream", AudioStream(path))):
        out = str(tmp_path / f"{name}.mp4")
        res = render_clip(src, preset=load_preset("scope"), out_path=out, width_px=64, height_px=36, fps=30,
                          progress=False, ctx=gl_ctx, threaded=False)
        assert res.frames == 90
        with av.open(out) as c:
            outs.append([f.to_ndarray() for f in c.decode(video=0)])
    assert len(outs[0]) == len(outs[1]) == 90
    assert all(np.array_equal(a, b) for a, b in zip(*outs))


def test_feed_holds_only_a_few_blocks():
    from reactor.audio.feed import SampleFeed

    class Fake:
        sample_rate_hz, channels, duration_estimate_s = 48000, 2, 100.0

        def blocks(self):
            for _ in range(4800):  # 100 s in 1000-sample blocks
                yield np.ones((1000, 2), np.float32)

    feed = SampleFeed(Fake())
    worst = 0
    for n in range(1, 3001):
        feed.fill(int((n + 1) * 1600))
        feed.take(n * 1600)
        worst = max(worst, feed._buf_n)
    assert worst <= 2 * 1600 + 1000
    assert len(feed.rest()) == 4_800_000 - 3000 * 1600 and feed.total == 4_800_000
