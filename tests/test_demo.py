"""The built-in demo track: length, level, tempo, and that the truth matches what is heard."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from reactor.audio.demo import DEMO_BPM, demo_clip, demo_truth

SR = 48000


@pytest.fixture(scope="module")
def clip():
    return demo_clip()


@pytest.fixture(scope="module")
def truth():
    return demo_truth()


def _band_envelope(x: np.ndarray, lo_hz: float, hi_hz: float, sr: int = SR) -> np.ndarray:
    """Power of the mono mix in a band (causal Butterworth), per sample."""
    sos = signal.butter(4, [lo_hz, hi_hz], btype="bandpass", fs=sr, output="sos")
    return signal.sosfilt(sos, x.mean(axis=1)) ** 2


def _window_mean(env: np.ndarray, t0: float, t1: float, sr: int = SR) -> float:
    return float(env[int(t0 * sr):int(t1 * sr)].mean())


def _bs1770_lufs(x: np.ndarray, sr: int = SR) -> float:
    """Integrated loudness computed independently (time-domain K-weighting biquads at 48 kHz)."""
    shelf = ([1.53512485958697, -2.69169618940638, 1.19839281085285], [1.0, -1.69065929318241, 0.73248077421585])
    rlb = ([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621])
    y = signal.lfilter(*rlb, signal.lfilter(*shelf, x, axis=0), axis=0)
    block, hop = int(0.4 * sr), int(0.1 * sr)
    z = np.array([(y[i:i + block] ** 2).mean(axis=0).sum() for i in range(0, len(y) - block + 1, hop)])
    z = z[-0.691 + 10 * np.log10(z) > -70]
    rel = -0.691 + 10 * np.log10(z.mean()) - 10
    return float(-0.691 + 10 * np.log10(z[-0.691 + 10 * np.log10(z) > rel].mean()))


def test_shape_rate_and_source(clip):
    assert clip.samples.shape == (30 * SR, 2) and clip.samples.dtype == np.float32
    assert clip.sample_rate_hz == SR and clip.source == "demo"
    assert clip.duration_s == pytest.approx(30.0)


def test_level_is_broadcast_loud_without_clipping(clip):
    x = clip.samples
    assert np.isfinite(x).all()
    peak_db = 20 * np.log10(np.abs(x).max())
    assert -3.0 < peak_db <= -1.0 + 1e-3
    assert _bs1770_lufs(x.astype(np.float64)) == pytest.approx(-14.0, abs=0.5)


def test_stereo_is_wide_but_not_out_of_phase(clip):
    corr = np.corrcoef(clip.samples.T)[0, 1]
    assert 0.6 < corr < 0.995


def test_no_spectral_holes(clip):
    """Every band a visualizer shows gets energy (no band more than 30 dB under the loudest)."""
    spec = np.abs(np.fft.rfft(clip.mono().astype(np.float64))) ** 2
    f = np.fft.rfftfreq(clip.samples.shape[0], 1 / SR)
    edges = [20, 60, 250, 500, 2000, 6000, 16000]
    bands = np.array([10 * np.log10(spec[(f >= a) & (f < b)].sum()) for a, b in zip(edges, edges[1:])])
    assert bands.max() - bands.min() < 30.0, bands - bands.max()


def test_beats_are_128_bpm_through_the_break(truth):
    assert DEMO_BPM == truth.bpm == 128.0 and truth.duration_s == pytest.approx(30.0)
    beats = truth.beat_times_s
    assert beats.size == 64 and beats[0] == 0.0
    np.testing.assert_allclose(np.diff(beats), 60.0 / 128.0)
    np.testing.assert_allclose(truth.downbeat_times_s, beats[::4])
    assert truth.beat_in_break.sum() == 8
    np.testing.assert_allclose(beats[truth.beat_in_break][[0, -1]], [18.75, 18.75 + 7 * 60 / 128])
    names = [s[0] for s in truth.sections]
    assert names == ["intro", "groove", "break", "return"]
    kick_set = set(np.round(truth.kick_times_s, 6))
    # drums play in the groove and the return, never in the intro or the break
    assert not any(round(t, 6) in kick_set for t in beats[truth.beat_in_break])
    assert not any(round(t, 6) in kick_set for t in beats[:16])
    assert truth.kick_times_s.size == 40


def test_kicks_land_on_their_truth_times(clip, truth):
    low = _band_envelope(clip.samples, 30, 120)
    for t in truth.kick_times_s:
        after = _window_mean(low, t, t + 0.06)
        before = _window_mean(low, t - 0.03, t - 0.005)
        assert after > 5 * before, t  # a > 7 dB jump right at the truth time
    hits = [_window_mean(low, t, t + 0.06) for t in truth.kick_times_s]
    silent_beats = truth.beat_times_s[truth.beat_in_break | (truth.beat_times_s < 7.5)]
    quiet = [_window_mean(low, t, t + 0.06) for t in silent_beats]
    assert max(quiet) < 0.05 * min(hits)  # no kick where the truth says there is none


def test_snares_land_on_their_truth_times(clip, truth):
    env = _band_envelope(clip.samples, 2000, 8000)
    backbeat = [t for t in truth.snare_times_s if np.isclose((t / (60 / 128)) % 1, 0)]
    assert len(backbeat) == 20
    for t in backbeat:
        assert _window_mean(env, t, t + 0.05) > 2.5 * _window_mean(env, t - 0.05, t - 0.005), t


def test_voice_sings_inside_its_segments(clip, truth):
    """In the drumless intro the speech band is clearly louder while the voice sings."""
    env = _band_envelope(clip.samples, 300, 3400)
    inside = np.zeros(clip.samples.shape[0], bool)
    for a, b in truth.voice_segments_s:
        inside[int(a * SR):int(b * SR)] = True
    intro = slice(0, int(7.5 * SR))
    ratio_db = 10 * np.log10(env[intro][inside[intro]].mean() / env[intro][~inside[intro]].mean())
    assert ratio_db > 6.0
    starts = np.array([a for a, _ in truth.voice_segments_s])
    assert len(starts) == 8 and np.all(np.diff(starts) > 0)
    # a syllable rate of 4-6 Hz: the speech-band envelope inside a phrase is modulated there
    a, b = truth.voice_segments_s[0]
    e = env[int(a * SR):int(b * SR)]
    e = e[:e.size // 480 * 480].reshape(-1, 480).mean(axis=1)  # 100 Hz envelope
    mod = np.abs(np.fft.rfft(e - e.mean()))
    f = np.fft.rfftfreq(e.size, 0.01)
    assert 3.5 <= f[(f > 1) & (f < 12)][np.argmax(mod[(f > 1) & (f < 12)])] <= 6.5


def test_deterministic_and_rate_independent(clip):
    again = demo_clip()
    np.testing.assert_array_equal(again.samples, clip.samples)
    low_rate = demo_clip(sample_rate_hz=22050)
    assert low_rate.samples.shape == (30 * 22050, 2)
    assert np.abs(low_rate.samples).max() <= 10 ** (-1 / 20) + 1e-6
