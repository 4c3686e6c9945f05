"""The dev-set generator (benchmarks/devset.py) writes MIDI whose truth is right."""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
import sys
import wave
from pathlib import Path

import mido
import numpy as np
import pytest

DEVSET_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "devset.py"


@pytest.fixture(scope="module")
def devset():
    spec = importlib.util.spec_from_file_location("reactor_bench_devset", DEVSET_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def small(devset, **changes):
    base = devset.TrackSpec(
        name="t", description="test", bpm=120, target_s=4.0,
        drums={"kick": "x.......x.......", "snare": "....x.......x...", "hat": "o.o.o.o.o.o.o.o."},
        bass="x...............", chords="x.......x.......",
    )
    return dataclasses.replace(base, **changes)


def note_ons_from_file(path: Path) -> tuple[dict[int, list[float]], int]:
    """Note-on times per channel as mido plays the file (its own tick->seconds), and the meter."""
    times: dict[int, list[float]] = {}
    now, numerator = 0.0, 4
    for msg in mido.MidiFile(str(path)):
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            times.setdefault(msg.channel, []).append(now)
        elif msg.type == "time_signature":
            numerator = msg.numerator
    return times, numerator


def test_constant_tempo_beats_and_hits_land_on_the_grid(devset):
    truth = devset.truth_of(devset.compose(small(devset)))
    beats = np.array(truth["beat_times_s"])
    # one beat of lead-in at 120 BPM, then a beat every 0.5 s, ending on the final hit
    np.testing.assert_allclose(beats, 0.5 + 0.5 * np.arange(len(beats)), atol=1e-9)
    np.testing.assert_allclose(truth["downbeat_times_s"], beats[::4], atol=1e-9)
    np.testing.assert_allclose(truth["onsets_by_part_s"]["kick"][:2], [0.5, 1.5], atol=1e-6)
    np.testing.assert_allclose(truth["onsets_by_part_s"]["snare"][:2], [1.0, 2.0], atol=1e-6)
    # 8th-note hats on a 16th grid: every 0.25 s, all of them drum onsets
    assert np.allclose(np.diff(truth["onsets_by_part_s"]["hat"][:4]), 0.25)
    assert truth["tempo_bpm"] == pytest.approx(120.0)
    assert truth["music_end_s"] == pytest.approx(beats[-1])


@pytest.mark.parametrize("changes", [
    {"end_bpm": 150.0, "target_s": 8.0},
    {"swing": 0.66, "humanize_ms": 8.0},
    {"beats_per_bar": 3, "drums": {"kick": "x...........", "hat": "..o...o...o."}, "bass": "x...........",
     "chords": "....o...o...", "lead_program": 73},
])
def test_truth_matches_the_midi_file_as_a_player_reads_it(devset, tmp_path, changes):
    comp = devset.compose(small(devset, **changes))
    truth = devset.truth_of(comp)
    devset.write_midi(comp, tmp_path / "t.mid")
    ons, numerator = note_ons_from_file(tmp_path / "t.mid")
    assert numerator == comp.spec.beats_per_bar
    drums = ons.pop(devset.DRUM_CHANNEL)
    everything = drums + [t for ts in ons.values() for t in ts]
    np.testing.assert_allclose(devset.merge_onsets(np.array(drums)), truth["drum_onset_times_s"], atol=1e-5)
    np.testing.assert_allclose(devset.merge_onsets(np.array(everything)), truth["onset_times_s"], atol=1e-5)


def test_tempo_ramp_speeds_up_the_beats(devset):
    truth = devset.truth_of(devset.compose(small(devset, end_bpm=150.0, target_s=8.0)))
    ibi = np.diff(truth["beat_times_s"])
    # 120 BPM at the first beat, 150 BPM into the final hit
    assert ibi[0] == pytest.approx(0.5, abs=1e-6) and ibi[-1] == pytest.approx(0.4, abs=1e-6)
    assert np.all(np.diff(ibi) < 0)  # every beat is shorter than the one before
    assert truth["tempo_curve"][-1][1] == pytest.approx(150.0, rel=1e-3)


def test_swing_moves_the_offbeat_eighth(devset):
    truth = devset.truth_of(devset.compose(small(devset, swing=0.66)))
    hats = np.array(truth["onsets_by_part_s"]["hat"])
    # at 120 BPM the swung off-beat lands 0.66 beat (0.33 s) after the beat, not 0.25 s
    np.testing.assert_allclose(hats[:4] - 0.5, [0.0, 0.33, 0.5, 0.83], atol=1e-3)


def test_three_four_has_a_downbeat_every_three_beats(devset):
    truth = devset.truth_of(devset.compose(small(
        devset, beats_per_bar=3, drums={"kick": "x..........."}, bass="x...........", chords="x...........")))
    np.testing.assert_allclose(truth["downbeat_times_s"], truth["beat_times_s"][::3])
    assert truth["beats_per_bar"] == 3


def test_breaks_silence_the_drums_but_keep_the_beats(devset):
    truth = devset.truth_of(devset.compose(small(devset, target_s=12.0, drums_out_bars=(2, 3))))
    start, end = truth["drums_out_s"][0][0], truth["drums_out_s"][-1][1]
    assert (start, end) == pytest.approx((4.5, 8.5))
    drums = np.array(truth["drum_onset_times_s"])
    assert not np.any((drums >= start) & (drums < end))
    assert np.any((np.array(truth["onset_times_s"]) >= start) & (np.array(truth["onset_times_s"]) < end))
    beats = np.array(truth["beat_times_s"])
    assert np.sum((beats >= start) & (beats < end)) == 8


def test_dev_set_covers_the_listed_cases(devset):
    tracks = devset.dev_tracks()
    assert len(tracks) >= 16 and len({t.name for t in tracks}) == len(tracks)
    tags = {tag for t in tracks for tag in t.tags}
    assert {"swing8", "swing16", "syncopation", "offbeat_hats", "breaks", "ramp", "3/4", "halftime",
            "sparse", "busy"} <= tags
    bpms = [t.bpm for t in tracks]
    assert min(bpms) <= 72 and max(bpms) >= 174
    for t in tracks:
        truth = devset.truth_of(devset.compose(t))
        assert 30.0 <= truth["music_end_s"] <= 45.0, t.name


def test_generation_is_deterministic(devset, tmp_path):
    spec = small(devset, humanize_ms=6.0, lead_program=80, seed=7)
    devset.write_midi(devset.compose(spec), tmp_path / "a.mid")
    devset.write_midi(devset.compose(spec), tmp_path / "b.mid")
    assert (tmp_path / "a.mid").read_bytes() == (tmp_path / "b.mid").read_bytes()
    other = devset.compose(dataclasses.replace(spec, seed=8))
    assert other.notes != devset.compose(spec).notes


@pytest.mark.skipif(shutil.which("fluidsynth") is None or not Path("/usr/share/sounds/sf2/FluidR3_GM.sf2").is_file(),
                    reason="fluidsynth or FluidR3_GM.sf2 not installed")
def test_rendered_audio_starts_at_the_first_truth_onset(devset, tmp_path):
    spec = small(devset, target_s=2.0)
    assert devset.build_track(spec, tmp_path) is True
    assert devset.build_track(spec, tmp_path) is False  # idempotent: up to date, skipped
    with wave.open(str(tmp_path / "t.wav"), "rb") as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), np.int16).reshape(-1, w.getnchannels()) / 32768.0
    truth = devset.truth_of(devset.compose(spec))
    assert rate == 48000
    assert len(x) / rate == pytest.approx(truth["music_end_s"] + devset.TAIL_S, abs=0.01)
    first = int(truth["onset_times_s"][0] * rate)
    before, after = np.abs(x[: first - 48]).max(), np.abs(x[first + 48: first + 960]).max()
    assert before < 1e-3 and after > 0.05  # silent lead-in, sound within 1-20 ms of the first hit
