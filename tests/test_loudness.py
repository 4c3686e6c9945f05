"""Loudness as heard keeps the music's dynamics, and the ambient scene swells with it."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from reactor.analysis.loudness import LoudnessMeter, k_weighting
from tests.real_media import SR, freedoom_music
from tests.render_util import gl_ctx  # noqa: F401


def test_k_weighting_matches_bs1770_at_48k():
    b1, a1, b2, a2 = k_weighting(48000)
    f = np.geomspace(20, 20000, 100)
    ref = ([1.53512485958697, -2.69169618940638, 1.19839281085285], [1.0, -1.69065929318241, 0.73248077421585])
    _, h = scipy.signal.freqz(b1, a1, f, fs=48000)
    _, h_ref = scipy.signal.freqz(*ref, f, fs=48000)
    assert np.abs(20 * np.log10(np.abs(h) / np.abs(h_ref))).max() < 0.01
    assert np.allclose(a2, [1.0, -1.99004745483398, 0.99007225036621], atol=1e-6)


@pytest.mark.parametrize("amp_db, freq_hz, expect, tol", [(0.0, 997.0, -3.01, 0.1), (-20.0, 997.0, -23.01, 0.1),
                                                          (-20.0, 100.0, -23.01 - 1.13, 1.0),
                                                          (-20.0, 4000.0, -23.01 + 3.97, 1.0)])
def test_sines_read_as_the_standard_says(amp_db, freq_hz, expect, tol):
    """Full-scale 1 kHz sine = -3.01 LUFS (BS.1770); K-weighting -1.1 dB at 100 Hz, +4.0 dB at
    4 kHz (within 1 dB: the weighting is applied to 21 ms spectra, not by filtering)."""
    from reactor.analysis.analyzer import StreamingAnalyzer

    a = StreamingAnalyzer(channels=1)
    t = np.arange(4 * SR) / SR
    a.process((10 ** (amp_db / 20) * np.sin(2 * np.pi * freq_hz * t))[:, None].astype(np.float32))
    assert a.snapshot().scalars["loudness_lufs"] == pytest.approx(expect, abs=tol)


def test_loudness_is_silent_in_silence_and_reports_both_windows():
    m = LoudnessMeter(sample_rate_hz=SR, channels=2, window=1024, window_sum_sq=384.0, hop_s=512 / SR)
    m.step(np.zeros((10, 513)))
    s = m.scalars()
    assert s["loudness"] == 0.0 and s["loudness_lufs"] == -120.0 and s["loudness_momentary_lufs"] == -120.0


def _fade(music: np.ndarray, rising: bool) -> np.ndarray:
    n = len(music)
    db = np.linspace(-40.0, 0.0, n) if rising else np.linspace(0.0, -40.0, n)
    return (music * (10 ** (db / 20))[:, None]).astype(np.float32)


@pytest.fixture(scope="module")
def music():
    m = freedoom_music("D_RUNNIN", seconds=12.0)
    if m is None:
        pytest.skip("needs freedoom, fluidsynth and fluid-soundfont-gm")
    return m


def test_loudness_follows_a_fade_where_the_normalized_level_does_not(music):
    from reactor.analysis.analyzer import StreamingAnalyzer

    a = StreamingAnalyzer(channels=2, record=True)
    a.process(_fade(music, True))
    rec = a.recorded()
    t, lufs = rec["t"], rec["loudness_lufs"]
    quarters = [lufs[(t > 3 + 2.25 * k) & (t < 3 + 2.25 * (k + 1))].mean() for k in range(4)]
    assert np.all(np.diff(quarters) > 3.0), quarters
    assert quarters[-1] - quarters[0] > 15.0


def _frame_change(ctx, samples, fps=15.0, size=(320, 180)):
    from reactor import demo_image
    from reactor.analysis.analyzer import StreamingAnalyzer
    from reactor.control.params import Modulator
    from reactor.engine import Engine, OfflineClock
    from reactor.presets import load_preset
    from reactor.render.renderer import Renderer

    w, h = size
    preset = load_preset("breathe")
    clock = OfflineClock(fps=fps, sample_rate_hz=SR)
    out, prev = [], None
    with Renderer(ctx, preset.scene, width_px=w, height_px=h, image=demo_image.demo_image(w, h)) as r:
        eng = Engine(analyzer=StreamingAnalyzer(channels=2), modulator=Modulator(preset), renderer=r)
        for n in range(clock.frame_count(len(samples) / SR)):
            a, b = clock.sample_span(n)
            eng.step(clock.time_of(n), samples[a:b])
            rgb = r.read_rgb().astype(np.int16)
            # motion, not dither: the dither changes every pixel by a level or two each frame
            out.append(0.0 if prev is None else float(np.maximum(np.abs(rgb - prev) - 2, 0).mean()))
            prev = rgb
    return np.array(out)


def test_breathe_moves_more_as_the_music_fades_in_and_less_as_it_fades_out(gl_ctx, music):
    fps = 15.0
    for rising in (True, False):
        change = _frame_change(gl_ctx, _fade(music, rising), fps=fps)
        windows = [change[int(k * 3 * fps) + 1:int((k + 1) * 3 * fps)].mean() for k in range(4)]
        steps = np.diff(windows)
        assert np.all(steps > 0) if rising else np.all(steps < 0), (rising, windows)
        assert max(windows) > 2.0 * min(windows), windows


def test_preroll_means_a_mid_song_start_opens_settled(music, tmp_path):
    """--start S: the analyzer hears the audio before S first, so frame 0 is not a dim, empty second."""
    from reactor.analysis.analyzer import StreamingAnalyzer
    from reactor.control.params import Modulator
    from reactor.engine import Engine, OfflineClock
    from reactor.presets import load_preset

    before, clip = music[: 8 * SR], music[8 * SR:]
    clock = OfflineClock(fps=30.0, sample_rate_hz=SR)

    def first_second(preroll):
        an = StreamingAnalyzer(channels=2)
        offset = 0.0
        if preroll is not None:
            an.process(preroll)
            offset = len(preroll) / SR
        eng = Engine(analyzer=an, modulator=Modulator(load_preset("breathe")), analysis_offset_s=offset)
        out = []
        for n in range(30):
            a, b = clock.sample_span(n)
            out.append(eng.step(clock.time_of(n), clip[a:b]).features.scalars)
        return out

    cold, warm = first_second(None), first_second(before)
    assert np.mean([s["loudness"] for s in warm]) > np.mean([s["loudness"] for s in cold]) + 0.2
    assert np.mean([s["tempo_confidence"] for s in warm]) > np.mean([s["tempo_confidence"] for s in cold])
    assert warm[-1]["beat_count"] >= 8  # the beat is already counted from the pre-roll


def test_render_job_preroll_reads_the_audio_before_start(tmp_path, music):
    from reactor.audio.clips import PREROLL_S, preroll_samples
    from tests.signals import write_wav

    path = write_wav(tmp_path / "m.wav", music)
    pre = preroll_samples(path, start_s=10.0, sample_rate_hz=SR)
    assert len(pre) == int(PREROLL_S * SR) and np.allclose(pre, music[2 * SR:10 * SR], atol=1e-4)
    assert preroll_samples(path, start_s=3.0, sample_rate_hz=SR).shape[0] == 3 * SR
    assert preroll_samples(path, start_s=0.0, sample_rate_hz=SR) is None
