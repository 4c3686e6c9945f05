"""The streaming analyzer on signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from reactor.analysis.analyzer import StreamingAnalyzer
from reactor.analysis.offline import analyze_samples
from reactor.analysis.webaudio import WebAudioAnalyser
from tests import signals

SR = 48000


def run(samples, *, block=8192, sr=SR, snap_fps=None):
    an = StreamingAnalyzer(sample_rate_hz=sr, channels=samples.shape[1], record=True)
    snaps = []
    if snap_fps is None:
        for i in range(0, len(samples), block):
            an.process(samples[i:i + block])
        return an, snaps
    step = sr / snap_fps
    n_frames = int(len(samples) / step)
    done = 0
    for f in range(n_frames):
        upto = int(round((f + 1) * step))
        an.process(samples[done:upto])
        done = upto
        snaps.append(an.snapshot(upto / sr))
    return an, snaps


def nearest_err(found, truth):
    found = np.asarray(found)
    return np.array([np.min(np.abs(found - t)) for t in truth]) if found.size else np.full(len(truth), np.inf)


def test_clicks_give_onsets_at_the_right_time_and_known_within_one_hop():
    times = np.arange(0.5, 9.5, 0.37)
    x = signals.clicks(times, duration_s=10.0, amplitude=0.5)
    an, _ = run(x)
    ev = an.events
    err = nearest_err(ev.onset_times_s, times)
    assert np.all(err < 0.010), err.max()
    assert len(ev.onset_times_s) == len(times)  # no doubles, none missed
    latency = np.array(ev.onset_emitted_s) - times
    assert np.median(latency) <= 0.015
    assert np.all(latency >= 0)  # causal: never known before it happened


OCTAVE_KNOWN_FAIL = pytest.mark.xfail(
    strict=True, reason="known octave error: this groove's off-beat hats are as strong in the "
    "activation as its kicks, and the tracker locks to 180 BPM (AMLt-correct, F 0.67)")


@pytest.mark.parametrize("bpm", [72.0, pytest.param(90.0, marks=OCTAVE_KNOWN_FAIL), 100.0, 120.0, 128.0,
                                 150.0, 174.0])
def test_groove_tempo_within_two_percent_and_beats_on_time(bpm):
    g = signals.groove(bpm=bpm, bars=16, lead_in_s=0.3)
    a = analyze_samples(g.samples, sample_rate_hz=SR)
    assert a.tempo_bpm == pytest.approx(bpm, rel=0.02)
    late = g.beat_times_s[g.beat_times_s > 5.0]
    err = nearest_err(a.beat_times_s, late)
    # mir_eval's +-70 ms window; the median bounds the drift between whole-hop tempo states
    assert np.mean(err < 0.07) > 0.95
    assert np.median(err) < 0.035


def test_beat_pulse_fires_on_the_beat_not_after():
    g = signals.groove(bpm=120.0, bars=12, lead_in_s=0.25)
    fps = 120.0
    _, snaps = run(g.samples, snap_fps=fps)
    t = np.array([s.time_s for s in snaps])
    pulse = np.array([s["beat_pulse"] for s in snaps])
    offsets = []
    for b in g.beat_times_s[g.beat_times_s > 6.0][:10]:
        i = np.searchsorted(t, b - 0.03)
        lit = i + int(np.argmax(pulse[i:i + 8] > 0.85))  # first frame showing the beat
        offsets.append(t[lit] - b)
    offsets = np.array(offsets)
    # Predicted, not detected: the beat shows on its own frame (at most one frame either way),
    # never a detection delay later.
    assert np.all(np.abs(offsets) <= 1.0 / fps + 1e-9), offsets
    assert abs(np.median(offsets)) <= 1.0 / fps + 1e-9


def test_beat_phase_wraps_at_beats_and_rises_between():
    g = signals.groove(bpm=120.0, bars=12)
    _, snaps = run(g.samples, snap_fps=60.0)
    ph = np.array([s["beat_phase"] for s in snaps])
    t = np.array([s.time_s for s in snaps])
    late = t > 6.0
    wraps = t[1:][late[1:] & (np.diff(ph) < -0.5)]
    err = nearest_err(wraps, g.beat_times_s[(g.beat_times_s > 6.1) & (g.beat_times_s < t[-1] - 0.1)])
    assert np.all(err < 1.5 / 60.0)


@pytest.mark.parametrize("block", [32, 441, 1024, 5000])
def test_per_hop_results_do_not_depend_on_block_size(block):
    g = signals.groove(bpm=128.0, bars=6)
    ref, _ = run(g.samples, block=8192)
    an, _ = run(g.samples, block=block)
    for k, v in ref.recorded().items():
        np.testing.assert_array_equal(an.recorded()[k], v, err_msg=k)
    assert an.events.beat_times_s == ref.events.beat_times_s
    assert an.events.onset_times_s == ref.events.onset_times_s


def test_adaptive_gain_makes_quiet_and_loud_inputs_comparable():
    g = signals.groove(bpm=120.0, bars=8)
    loud, _ = run(g.samples, snap_fps=30.0)
    quiet, _ = run(g.samples * 10 ** (-24 / 20), snap_fps=30.0)
    a_loud = loud.recorded()
    a_quiet = quiet.recorded()
    after = a_loud["t"] > 5.0
    lvl_l, lvl_q = a_loud["scalars"][after, 0], a_quiet["scalars"][after, 0]
    assert np.mean(lvl_l) > 0.3
    assert np.mean(np.abs(lvl_l - lvl_q)) < 0.1
    env_l, env_q = a_loud["band"][after, 1, 1], a_quiet["band"][after, 1, 1]
    assert np.mean(np.abs(env_l - env_q)) < 0.1
    assert len(quiet.events.beat_times_s) == pytest.approx(len(loud.events.beat_times_s), abs=2)


def test_silence_and_noise_floor_read_as_silence():
    for x in (signals.silence(duration_s=6.0, channels=2),
              np.random.default_rng(0).standard_normal((6 * SR, 2)).astype(np.float32) * 10 ** (-75 / 20)):
        an, snaps = run(x, snap_fps=30.0)
        f = snaps[-1]
        assert f["silence"] == 1.0
        assert f["level"] == 0.0 and f["bass_env"] == 0.0 and f["voice"] == 0.0
        assert an.events.onset_times_s == [] and an.events.beat_times_s == []
        assert float(np.max(f.spectrum)) == 0.0


def test_nan_and_inf_samples_are_repaired_not_propagated():
    g = signals.groove(bpm=120.0, bars=4)
    x = g.samples.copy()
    x[1000:1200] = np.nan
    x[5000] = np.inf
    an, snaps = run(x, snap_fps=30.0)
    assert an.repaired_samples == 200 * 2 + 2
    assert all(np.isfinite(v) for v in snaps[-1].scalars.values())
    assert len(an.events.beat_times_s) > 4


def test_tempo_change_and_break_recovery():
    a = signals.groove(bpm=100.0, bars=8, seed=1)
    b = signals.groove(bpm=140.0, bars=10, seed=2)
    gap = np.zeros((3 * SR, 2), np.float32)
    x = np.concatenate([a.samples, gap, b.samples])
    t0 = (len(a.samples) + len(gap)) / SR
    res = analyze_samples(x, sample_rate_hz=SR)
    truth = t0 + b.beat_times_s
    settled = truth[truth > t0 + 4 * 60 / 140]  # within four beats of the change
    err = nearest_err(res.beat_times_s, settled)
    assert np.mean(err < 0.05) > 0.85
    late_beats = res.beat_times_s[res.beat_times_s > t0 + 3.0]
    assert 60 / np.median(np.diff(late_beats)) == pytest.approx(140.0, rel=0.02)


def test_tempo_source_override_drives_phase_and_pulse():
    g = signals.groove(bpm=120.0, bars=4)
    an, _ = run(g.samples)
    an.set_tempo_source(lambda t: (100.0, (t * 100 / 60) % 1.0, int(t * 100 / 60)))
    f = an.snapshot(3.0)
    assert f["tempo_bpm"] == 100.0
    assert f["beat_phase"] == pytest.approx((3.0 * 100 / 60) % 1.0)
    an.set_tempo_source(None)
    assert an.snapshot(3.0)["tempo_bpm"] == pytest.approx(120.0, rel=0.03)


def test_stereo_balance_and_width():
    mono = signals.noise_bursts(np.arange(0, 3, 0.25), duration_s=3.0, burst_s=0.2)[:, 0]
    z = np.zeros_like(mono)
    cases = {"left": (np.stack([mono, z], 1), -1.0, None), "right": (np.stack([z, mono], 1), 1.0, None),
             "centre": (np.stack([mono, mono], 1), 0.0, 0.0), "anti": (np.stack([mono, -mono], 1), 0.0, 1.0)}
    for name, (x, bal, width) in cases.items():
        _, snaps = run(x.astype(np.float32), snap_fps=30.0)
        f = snaps[int(2.95 * 30) - 1]
        assert f["balance"] == pytest.approx(bal, abs=0.1), name
        if width is not None:
            assert f["width"] == pytest.approx(width, abs=0.1), name


def test_voice_envelope_follows_a_sung_vowel_not_noise():
    t = np.arange(3 * SR) / SR
    f0 = 180.0
    vowel = sum(np.sin(2 * np.pi * f0 * k * t) * np.exp(-((f0 * k - 700) / 400) ** 2) for k in range(1, 30))
    vowel *= 0.3 * (np.sin(2 * np.pi * 2.0 * t) > 0)  # syllables at 4 per second
    noise = np.random.default_rng(0).standard_normal(t.size) * 0.1
    _, sv = run(np.stack([vowel, vowel], 1).astype(np.float32), snap_fps=30.0)
    _, sn = run(np.stack([noise, noise], 1).astype(np.float32), snap_fps=30.0)
    v = np.array([s["voice"] for s in sv[30:]])
    assert v.max() > 0.6 and v.min() < 0.2  # opens and closes with syllables
    assert np.mean([s["voice"] for s in sn[30:]]) < 0.5 * v.max()
    assert sv[int(1.1 * 30)]["pitch_hz"] == pytest.approx(f0, rel=0.03)


def test_shadertoy_row_matches_an_independent_web_audio_computation():
    rng = np.random.default_rng(3)
    frames = [rng.standard_normal(2048) * 0.05 + 0.3 * np.sin(2 * np.pi * 440 * np.arange(2048) / SR)
              for _ in range(3)]
    w = scipy.signal.windows.blackman(2048, sym=False)
    smooth = np.zeros(1024)
    wa = WebAudioAnalyser()
    for x in frames:
        fft_row, wave_row = wa.step(x)
        spec = np.fft.fft(x * w)[:1024]
        smooth = 0.8 * smooth + 0.2 * np.abs(spec) / 2048
        db = 20 * np.log10(smooth[:512])
        expect = np.floor(np.clip((db + 100) * 255 / 70, 0, 255)) / 255
        np.testing.assert_allclose(fft_row, expect, atol=1.01 / 255)
        assert np.mean(np.abs(fft_row - expect) < 1e-6) > 0.99
        np.testing.assert_array_equal(wave_row, (np.floor(np.clip(128 * (1 + x[:512]), 0, 255)) / 255).astype(np.float32))
    assert np.argmax(fft_row) == round(440 * 2048 / SR)


@pytest.mark.parametrize("sr", [8000, 44100, 192000])
def test_other_sample_rates_track_the_same_groove(sr):
    g = signals.groove(bpm=120.0, bars=10, sample_rate_hz=sr)
    a = analyze_samples(g.samples, sample_rate_hz=sr)
    assert a.tempo_bpm == pytest.approx(120.0, rel=0.02)


def test_features_are_frozen():
    g = signals.groove(bpm=120.0, bars=2)
    an, snaps = run(g.samples, snap_fps=10.0)
    f = snaps[-1]
    with pytest.raises(ValueError):
        f.spectrum[0] = 1.0
    with pytest.raises(TypeError):
        f.scalars["level"] = 1.0  # type: ignore[index]


def test_bar_count_counts_the_downbeats_so_far():
    g = signals.groove(bpm=120.0, bars=12)
    an, snaps = run(g.samples, snap_fps=10.0)
    ev = an.events
    for f in snaps[::7]:
        k = sum(1 for b in ev.beat_times_s if b <= f.time_s)
        expected = sum(1 for p in ev.beat_bar_position[:k] if p == 0)
        assert f["bar_count"] == expected
    assert snaps[-1]["bar_count"] >= 8


def test_snapshot_is_a_pure_read():
    """Two snapshots at the same time are equal, and snapshotting more often than processing
    (as a live show at 144 Hz does) leaves the render's results unchanged."""
    g = signals.groove(bpm=120.0, bars=3)
    x = g.samples
    an, snaps = run(x, snap_fps=60.0)
    again = an.snapshot(snaps[-1].time_s)
    last = snaps[-1]
    assert again.scalars == last.scalars
    for name in ("spectrum", "waveform", "shadertoy_fft", "shadertoy_wave"):
        np.testing.assert_array_equal(getattr(again, name), getattr(last, name))
    # the same audio in 100-sample blocks, with three snapshots after each block
    busy = StreamingAnalyzer(sample_rate_hz=SR, channels=x.shape[1])
    for i in range(0, int(snaps[-1].time_s * SR), 100):
        busy.process(x[i:min(i + 100, int(round(snaps[-1].time_s * SR)))])
        for _ in range(3):
            busy.snapshot()
    ref = busy.snapshot(last.time_s)
    np.testing.assert_array_equal(ref.shadertoy_fft, last.shadertoy_fft)
    for k in ("level", "bass", "tempo_bpm", "beat_phase", "onset"):
        assert ref[k] == pytest.approx(last[k], abs=1e-9), k
