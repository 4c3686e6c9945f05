"""The look-ahead (offline) tracker on the failure modes seen on real music, with synthetic signals:
double-tempo bait, off-beat hats louder than kicks, a long intro without drums, a tempo change."""

from __future__ import annotations

import numpy as np
import pytest

from reactor.analysis.analyzer import StreamingAnalyzer
from reactor.analysis.lookahead import Track, decode_bars, offline_track, sections
from reactor.analysis.offline import analyze_samples

SR = 48000


def _drums(beats, *, hat_gain=1.0, kick_gain=0.8, eighth_hats=True, snare_every=2, seed=0, pad_until_s=0.0,
           duration_s=None):
    """Kick on each beat, snare on every ``snare_every``-th, hats on the off-beats (and on the beat
    if ``eighth_hats`` is False they are only off-beat); an optional chord pad before the drums."""
    rng = np.random.default_rng(seed)
    beats = np.asarray(beats, float)
    end = duration_s if duration_s is not None else beats[-1] + 1.0
    n = int(end * SR)
    x = np.zeros(n)
    t = np.arange(int(0.3 * SR)) / SR
    kick = np.sin(2 * np.pi * (50 * t + 3.0 * (1 - np.exp(-t / 0.03)))) * np.exp(-t / 0.08)
    ts = t[: int(0.15 * SR)]
    snare = (rng.uniform(-1, 1, ts.size) * 0.6 + 0.5 * np.sin(2 * np.pi * 190 * ts)) * np.exp(-ts / 0.04)
    th = t[: int(0.04 * SR)]
    hat = np.diff(rng.uniform(-1, 1, th.size + 1)) * 0.25 * np.exp(-th / 0.01)
    period = np.diff(beats, append=beats[-1] + (beats[-1] - beats[-2]))
    events = [(b, kick * kick_gain) for b in beats if b >= pad_until_s]
    events += [(b, snare * 0.5) for i, b in enumerate(beats) if i % snare_every == 1 and b >= pad_until_s]
    events += [(b + p / 2, hat * hat_gain) for b, p in zip(beats, period) if b >= pad_until_s]
    for when, sound in events:
        lo = int(round(when * SR))
        hi = min(lo + sound.size, n)
        if lo < n:
            x[lo:hi] += sound[: hi - lo]
    if pad_until_s > 0:  # sustained chords, changing every 4 s, no percussion
        tt = np.arange(int(pad_until_s * SR)) / SR
        root = 110.0 * 2 ** (np.floor(tt / 4.0) % 3 / 12 * 5)
        pad = sum(np.sin(2 * np.pi * root * r * tt) for r in (1.0, 1.26, 1.5)) * 0.08
        x[: pad.size] += pad * np.minimum(1.0, tt / 0.5)
    return np.repeat(x.astype(np.float32)[:, None], 2, axis=1)


def _f(found, truth, *, after_s=5.0, window_s=0.07):
    truth = truth[truth > after_s]
    found = np.asarray(found)
    found = found[(found > after_s - window_s) & (found < truth[-1] + window_s)] if truth.size else found
    if not truth.size or not found.size:
        return 0.0
    hit = sum(np.min(np.abs(found - b)) <= window_s for b in truth)
    return 2 * hit / (truth.size + found.size)


def test_double_tempo_bait_is_tracked_at_the_notated_tempo():
    # 90 BPM with busy eighth-note hats as loud as the snare: the octave above is bait
    beats = 0.5 + np.arange(80) * 60.0 / 90.0
    x = _drums(beats, hat_gain=2.0)
    a = analyze_samples(x, sample_rate_hz=SR, mode="offline")
    assert a.mode == "offline"
    assert a.tempo_bpm == pytest.approx(90.0, rel=0.02)
    assert _f(a.beat_times_s, beats) > 0.95


def test_off_beat_hats_louder_than_kicks_do_not_pull_the_phase():
    beats = 0.5 + np.arange(96) * 60.0 / 120.0
    x = _drums(beats, hat_gain=4.0, kick_gain=0.5)
    tr = offline_track(x, sample_rate_hz=SR)
    assert tr.tempo_bpm == pytest.approx(120.0, rel=0.02)
    assert _f(tr.beat_times_s, beats) > 0.95  # on the kicks, not the hats between them


def test_long_intro_without_drums_then_beats_on_time():
    beats = np.arange(0.0, 50.0, 60.0 / 110.0)
    x = _drums(beats, pad_until_s=20.0, duration_s=51.0)
    tr = offline_track(x, sample_rate_hz=SR)
    drums = beats[beats >= 20.0]
    assert _f(tr.beat_times_s, drums, after_s=22.0) > 0.95
    assert tr.tempo_bpm == pytest.approx(110.0, rel=0.03)


def test_tempo_change_is_followed():
    first = 0.5 + np.arange(40) * 60.0 / 100.0
    second = first[-1] + 60.0 / 100.0 + np.arange(60) * 60.0 / 130.0
    beats = np.concatenate([first, second])
    x = _drums(beats)
    tr = offline_track(x, sample_rate_hz=SR)
    assert _f(tr.beat_times_s, first) > 0.9
    assert _f(tr.beat_times_s, second, after_s=second[0] + 3.0) > 0.95


def test_causal_mode_is_unchanged_and_reported():
    beats = 0.5 + np.arange(40) * 0.5
    x = _drums(beats)
    causal = analyze_samples(x, sample_rate_hz=SR)
    assert causal.mode == "causal"
    assert causal.to_json_dict()["mode"] == "causal"
    assert len(causal.beat_emitted_s) == len(causal.beat_times_s)


def test_downbeats_and_meter_from_the_bar_decoder():
    # strong cue every 3rd beat: 3/4, downbeats on the strong beats
    cues = np.tile([1.0, 0.2, 0.25], 20) + np.random.default_rng(1).uniform(0, 0.1, 60)
    pos, meter = decode_bars(cues)
    assert meter == 3
    assert np.all(pos[::3] == 0)
    cues = np.tile([1.0, 0.2, 0.5, 0.2], 16)
    pos, meter = decode_bars(cues)
    assert meter == 4 and np.all(pos[::4] == 0)


def test_sections_find_a_drop():
    t = np.arange(0, 60, 0.01)
    level = np.where(t < 30, -30.0, -12.0)
    starts, drops = sections(t, level)
    assert np.any(np.abs(starts - 30.0) < 0.5)
    assert np.any(np.abs(drops - 30.0) < 0.5)


def test_the_look_ahead_track_drives_the_analyzer_as_a_tempo_source():
    beats = np.arange(0.0, 10.0, 0.5)
    tr = Track(beat_times_s=beats, downbeat_times_s=beats[::4], bar_position=np.arange(beats.size) % 4,
               beats_per_bar=4, tempo_bpm=120.0, sections_s=np.zeros(1), drops_s=np.zeros(0))
    an = StreamingAnalyzer(sample_rate_hz=SR, channels=1)
    an.set_tempo_source(tr.at)
    an.process(np.zeros((int(2.25 * SR), 1), np.float32))
    f = an.snapshot(2.25)
    assert f["tempo_bpm"] == pytest.approx(120.0)
    assert f["beat_phase"] == pytest.approx(0.5)
    assert f["beat_count"] == 4.0
    assert f["bar_phase"] == pytest.approx(0.5 / 4)  # beat 4 is the downbeat of bar 2
    assert f["bar_count"] == 2.0
    assert f["downbeat_confidence"] == 1.0


@pytest.mark.parametrize("case", ["offbeat_hats", "intro", "tempo_change",
                                  pytest.param("double_bait", marks=pytest.mark.xfail(
                                      strict=True, reason="known: the causal tracker locks to 180 BPM on "
                                      "loud eighth hats at 90 BPM (the look-ahead mode gets 90)"))])
def test_the_causal_tracker_on_the_same_failure_modes(case):
    if case == "offbeat_hats":
        beats = 0.5 + np.arange(96) * 0.5
        x, truth, after = _drums(beats, hat_gain=4.0, kick_gain=0.5), beats, 5.0
    elif case == "intro":
        beats = np.arange(0.0, 50.0, 60.0 / 110.0)
        x, truth, after = _drums(beats, pad_until_s=20.0, duration_s=51.0), beats[beats >= 20.0], 25.0
    elif case == "tempo_change":
        first = 0.5 + np.arange(40) * 0.6
        truth = first[-1] + 0.6 + np.arange(60) * 60.0 / 130.0
        x, after = _drums(np.concatenate([first, truth])), truth[0] + 6.0  # 6 s to re-lock
    else:
        truth = 0.5 + np.arange(80) * 60.0 / 90.0
        x, after = _drums(truth, hat_gain=2.0), 5.0
    a = analyze_samples(x, sample_rate_hz=SR)
    assert _f(a.beat_times_s, truth, after_s=after) > 0.95


def _causal_beats(x, *, level_choice):
    an = StreamingAnalyzer(sample_rate_hz=SR, channels=2, level_choice=level_choice)
    for i in range(0, x.shape[0], 4096):
        an.process(x[i:i + 4096])
    return np.array(an.events.beat_times_s), an


def test_the_causal_level_choice_halves_a_tracker_locked_to_the_eighths():
    # the double-tempo bait above: without the level choice the live tracker runs at 180 BPM
    truth = 0.5 + np.arange(80) * 60.0 / 90.0
    x = _drums(truth, hat_gain=2.0)
    plain, _ = _causal_beats(x, level_choice=False)
    halved, an = _causal_beats(x, level_choice=True)
    assert _f(plain, truth) < 0.8
    assert _f(halved, truth, after_s=12.0) > 0.95
    assert an.snapshot()["tempo_bpm"] == pytest.approx(90.0, rel=0.03)


def test_the_causal_level_choice_keeps_a_plain_groove():
    truth = 0.5 + np.arange(96) * 0.5
    x = _drums(truth)
    beats, an = _causal_beats(x, level_choice=True)
    assert _f(beats, truth) > 0.95
    assert an.snapshot()["tempo_bpm"] == pytest.approx(120.0, rel=0.03)


def test_choose_level_halves_doubles_or_keeps_by_tempo_prior_and_accents():
    from reactor.analysis.lookahead import choose_level

    eighths = np.arange(200) * 60.0 / 190.0  # decoded at 190 BPM, the notated beat is 95
    acc = np.where(np.arange(200) % 2 == 1, 1.0, 0.4)  # the odd ones carry the kick
    out = choose_level(eighths, acc, np.full(199, 0.2))
    np.testing.assert_allclose(out, eighths[1::2])
    halves = np.arange(60) * 60.0 / 70.0  # decoded at 70 BPM, strong hits half-way between
    out = choose_level(halves, np.ones(60), np.full(59, 0.95))
    assert out.size == 119 and np.allclose(np.diff(out), 30.0 / 70.0)
    plain = np.arange(100) * 0.5  # 120 BPM, weak half-beats: kept as decoded
    np.testing.assert_array_equal(choose_level(plain, np.ones(100), np.full(99, 0.3)), plain)


def test_the_causal_level_choice_does_not_depend_on_block_size():
    truth = 0.5 + np.arange(40) * 60.0 / 90.0
    x = _drums(truth, hat_gain=2.0)
    runs = []
    for block in (1000, 65536):
        an = StreamingAnalyzer(sample_rate_hz=SR, channels=2, level_choice=True)
        for i in range(0, x.shape[0], block):
            an.process(x[i:i + block])
        runs.append((np.array(an.events.beat_times_s), an.snapshot()["tempo_bpm"]))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
