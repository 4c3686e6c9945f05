"""Build the analysis dev set: seeded MIDI grooves with exact truth, rendered to WAV by fluidsynth.

Each track is a few parts written on a 16th-note grid (drums on MIDI channel 10 with the GM kit,
a bass line, a chord/pad part, sometimes a lead), so the truth is exact and comes from the same
ticks and tempo map that go into the ``.mid`` file:

- ``beat_times_s`` / ``downbeat_times_s``: every notated beat / the first beat of each bar,
- ``drum_onset_times_s``: any drum note-on; ``onset_times_s``: any note-on (both merged within
  30 ms, as onset annotations usually are); ``onsets_by_part_s``: raw note-on times per part,
- ``tempo_bpm`` (nominal; the median for the ramp) and ``tempo_curve`` ``[[time_s, bpm], ...]``.

Usage::

    python benchmarks/devset.py [--out benchmarks/data/devset] [--force] [--tracks GLOB]

Writes ``NAME.mid``, ``NAME.wav`` (48 kHz, 16-bit stereo) and ``NAME.truth.json`` per track.
Idempotent: a track whose three files exist and whose truth records the current spec is skipped.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import shutil
import subprocess
import sys
import wave
from dataclasses import dataclass, field
from pathlib import Path

import mido
import numpy as np

GENERATOR_VERSION = 1  # bump when composing or rendering changes, so existing tracks are rebuilt
SAMPLE_RATE_HZ = 48000
TICKS_PER_BEAT = 480
STEPS_PER_BEAT = 4  # grids are written in 16th notes
ONSET_MERGE_S = 0.030
TAIL_S, TAIL_FADE_S = 2.0, 1.0  # audio kept after the final hit, and its fade-out
DEFAULT_OUT = Path(__file__).resolve().parent / "data" / "devset"
DEFAULT_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")

DRUM_NOTES = {"kick": 36, "rim": 37, "snare": 38, "clap": 39, "hat": 42, "ohat": 46, "crash": 49, "ride": 51}
VELOCITY = {"x": 112, "o": 88, "g": 44}  # accent, normal, ghost
CHORD_TONES = {"M": (0, 4, 7), "m": (0, 3, 7), "M7": (0, 4, 7, 11), "m7": (0, 3, 7, 10), "7": (0, 4, 7, 10)}
PENTATONIC_MINOR = (0, 3, 5, 7, 10)
DRUM_CHANNEL, BASS_CHANNEL, CHORD_CHANNEL, LEAD_CHANNEL = 9, 0, 1, 2


class DevsetError(RuntimeError):
    """A dev-set build step failed; the message is one line naming the file and the problem."""


@dataclass(frozen=True)
class TrackSpec:
    """One groove. Grids hold one character per 16th ('x' accent, 'o' normal, 'g' ghost, '.' rest);
    a grid may span several bars and loops. Bass grids may also use '5' (fifth) and '8' (octave)."""

    name: str
    description: str
    bpm: float
    drums: dict[str, str]
    bass: str
    chords: str
    progression: tuple[tuple[int, str], ...] = ((0, "m"), (8, "M"), (3, "M"), (10, "M"))
    end_bpm: float | None = None  # linear tempo ramp from bpm to end_bpm, one set_tempo per beat
    beats_per_bar: int = 4
    swing: float = 0.5  # where the off-beat of a swung pair falls (0.5 straight, 0.667 triplet)
    swing_unit: str = "8th"  # "8th" or "16th"
    key_midi: int = 45  # A2
    bass_program: int = 33
    chord_program: int = 4
    lead_program: int | None = None
    lead_style: str = "melody"  # "melody" (8ths, random rests) or "arp" (16th chord arpeggio)
    drums_out_bars: tuple[int, ...] = ()
    crash_every_bars: int = 0
    fill: str = ""  # snare grid for the last bar of every 8
    humanize_ms: float = 0.0
    gain: float = 0.5  # fluidsynth -g; lowered where the default would clip
    target_s: float = 36.0
    seed: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)


def dev_tracks() -> list[TrackSpec]:
    """The dev set: tempi 72-180 BPM, swing, syncopation, breaks, a ramp, 3/4, half-time, sparse, busy."""
    h8, h16 = "o.o.o.o.o.o.o.o.", "ogogogogogogogog"
    back = "....x.......x..."
    rock = dict(kick="x.......x.x.....", snare=back, hat=h8)
    T = TrackSpec
    return [
        T("ballad_72", "slow ballad, piano chords, flute lead", 72, rock | {"kick": "x.........x....."},
          "x.........x.....", "x.......x.......", chord_program=0, lead_program=73, seed=1,
          target_s=40, tags=("slow",)),
        T("hiphop_90_swing16", "boom-bap with swung 16th hats", 90,
          dict(kick="x.....x...x..x..", snare=back, hat=h16), "x.....x...x.....", "x.......x.......",
          swing=0.62, swing_unit="16th", humanize_ms=6, seed=2, tags=("swing16",)),
        T("reggaeton_96", "dembow: 4-floor kick, syncopated snare", 96,
          dict(kick="x...x...x...x...", snare="...x..x....x..x.", hat=h8), "x...x...x...x...",
          "x.......x.......", chord_program=90, gain=0.35, seed=3, tags=("syncopation",)),
        T("shuffle_100_swing8", "blues shuffle, swung 8ths", 100,
          dict(kick="x.....o.x.....o.", snare=back, hat=h8), "x.o.5.o.8.o.5.o.", "x.......x.......",
          progression=((0, "7"), (0, "7"), (5, "7"), (0, "7")), swing=0.66, seed=4, tags=("swing8",)),
        T("funk_100", "funk, 16th hats, ghost snares, kick syncopations", 100,
          dict(kick="x.x...x..x.x....", snare="....x..g.g..x..g", hat=h16), "x.x...x..x.x..8.",
          "...o.......o....", chord_program=27, humanize_ms=5, seed=5, tags=("syncopation", "busy")),
        T("ramp_100_130", "rock beat, tempo ramp 100 -> 130 BPM", 100, rock, "x.......x.x.....",
          "x.......x.......", end_bpm=130, crash_every_bars=8, seed=6, tags=("ramp",)),
        T("pop_110", "pop, pad chords, melodic lead", 110, rock | {"kick": "x.....x.x......."},
          "x..o..x.x..o....", "x...............", chord_program=89, lead_program=80, gain=0.4, seed=7,
          crash_every_bars=8, tags=("lead",)),
        T("synco_116", "kicks never on the beat", 116,
          dict(kick="...x..x...x...x.", snare=back, hat=h8), "...x..x...x...x.", "x.......x.......",
          seed=8, tags=("syncopation",)),
        T("rock_120", "straight rock, fills and crashes", 120, rock, "x.......x.x.....", "x.......x.......",
          chord_program=29, crash_every_bars=8, fill="....x...x.x.xxxx", seed=9, tags=("fills",)),
        T("breaks_120", "pop beat, drums drop out for 2 bars twice", 120, rock, "x..o..x.x..o....",
          "x.......x.......", drums_out_bars=(6, 7, 14, 15), crash_every_bars=8, seed=10, tags=("breaks",)),
        T("house_124", "house: 4-floor, off-beat open hats, off-beat bass", 124,
          dict(kick="x...x...x...x...", clap=back, ohat="..o...o...o...o."), "..x...x...x...x.",
          "...o.......o....", chord_program=4, seed=11, tags=("offbeat_hats",)),
        T("trance_128", "4-floor with a 16th arpeggio lead", 128,
          dict(kick="x...x...x...x...", clap=back, ohat="..o...o...o...o.", hat="g.g.g.g.g.g.g.g."),
          "..o...o...o...o.", "x...............", chord_program=89, lead_program=81, lead_style="arp",
          gain=0.3, seed=12, tags=("lead", "offbeat_hats")),
        T("breakbeat_136", "busy amen-like breakbeat, 2-bar pattern", 136,
          dict(kick="x.x.......xx......x.......x.....", snare="....x..g.g..x..g.g..x..g.g....x.",
               ride=h8 * 2), "x.........x.....", "x.......x.......", chord_program=4, humanize_ms=4,
          seed=13, tags=("busy",)),
        T("halftime_140", "half-time feel: snare on 3", 140,
          dict(kick="x.....x...x.....", snare="........x.......", hat=h8), "x.........x.....",
          "x...............", chord_program=89, seed=14, tags=("halftime",)),
        T("waltz_150", "3/4 waltz, oom-pah-pah", 150,
          dict(kick="x...........", hat="....o...o...", snare="....g...g..."), "x.......5...",
          "....o...o...", beats_per_bar=3, progression=((0, "M"), (7, "M"), (7, "7"), (0, "M")),
          key_midi=41, chord_program=0, lead_program=73, seed=15, tags=("3/4",)),
        T("jazz_150_swing8", "jazz ride, walking bass, comping", 150,
          dict(ride="o...o.o.o...o.o.", hat="....o.......o...", kick="g...g...g...g..."),
          "o...5...8...5...", "...o.....o......", progression=((2, "m7"), (7, "7"), (0, "M7"), (0, "M7")),
          key_midi=43, bass_program=32, swing=0.66, humanize_ms=6, seed=16, tags=("swing8",)),
        T("waltz_96_ballad", "3/4 ballad with strings and piano lead", 96,
          dict(kick="x...........", rim="....o.......", hat="o.o.o.o.o.o."), "x.......5...", "x...........",
          beats_per_bar=3, chord_program=48, lead_program=0, seed=17, tags=("3/4", "slow")),
        T("sparse_80", "sparse: one kick per bar, rim on 3, pad", 80,
          dict(kick="x...............", rim="........o......."), "x...............", "x...............",
          chord_program=89, seed=18, tags=("sparse",)),
        T("dnb_174", "drum and bass two-step", 174,
          dict(kick="x.........x.....", snare=back, hat=h8), "x.........x.....", "x...............",
          bass_program=38, chord_program=89, seed=19, tags=("fast",)),
        T("punk_180", "punk: 8th bass and guitar", 180,
          dict(kick="x.......x.x.....", snare=back, hat=h8), "o.o.o.o.o.o.o.o.", "o.o.o.o.o.o.o.o.",
          progression=((0, "M"), (5, "M"), (7, "M"), (5, "M")), bass_program=34, chord_program=29,
          crash_every_bars=8, seed=20, target_s=34, tags=("fast", "busy")),
    ]


@dataclass
class Composition:
    """Notes as (tick, duration_ticks, channel, note, velocity, part) plus the tempo map."""

    spec: TrackSpec
    notes: list[tuple[int, int, int, int, int, str]]
    tempo_map: list[tuple[int, int]]  # (tick, microseconds per beat), sorted, first at tick 0
    start_tick: int
    n_bars: int


def _swung(frac: float, ratio: float) -> float:
    """Map a position in [0, 1) of a swing pair so the pair's midpoint lands at ``ratio``."""
    return frac * 2 * ratio if frac < 0.5 else ratio + (frac - 0.5) * 2 * (1 - ratio)


def _step_beats(step: int, spec: TrackSpec) -> float:
    """Beat offset (from the bar start) of a 16th step, after swing."""
    beat, frac = divmod(step / STEPS_PER_BEAT, 1.0)
    if spec.swing_unit == "16th":
        half, f = divmod(frac * 2, 1.0)
        return beat + (half + _swung(f, spec.swing)) / 2
    return beat + _swung(frac, spec.swing)


def _bar_count(spec: TrackSpec) -> int:
    mean_bpm = spec.bpm if spec.end_bpm is None else (spec.bpm + spec.end_bpm) / 2
    return max(2, round(spec.target_s * mean_bpm / 60 / spec.beats_per_bar))


def _tempo_map(spec: TrackSpec, n_beats: int, start_tick: int) -> list[tuple[int, int]]:
    if spec.end_bpm is None:
        return [(0, round(60e6 / spec.bpm))]
    bpms = np.linspace(spec.bpm, spec.end_bpm, n_beats)
    ramp = [(start_tick + k * TICKS_PER_BEAT, round(60e6 / b)) for k, b in enumerate(bpms)]
    return [(0, round(60e6 / spec.bpm))] + ramp


def _grid_hits(grid: str, bar: int, steps_per_bar: int) -> list[tuple[int, str]]:
    """(step in bar, character) of the hits of a looping grid in one bar."""
    if len(grid) % steps_per_bar:
        raise DevsetError(f"devset.py: grid {grid!r} is not a whole number of {steps_per_bar}-step bars")
    bars = len(grid) // steps_per_bar
    seg = grid[(bar % bars) * steps_per_bar:(bar % bars + 1) * steps_per_bar]
    return [(s, c) for s, c in enumerate(seg) if c != "."]


def compose(spec: TrackSpec) -> Composition:
    """Lay out every note of a track, deterministically from ``spec.seed``."""
    rng = np.random.default_rng(spec.seed)
    n_bars, bpb = _bar_count(spec), spec.beats_per_bar
    spb = STEPS_PER_BEAT * bpb
    start_tick = TICKS_PER_BEAT  # one beat of silence so the first hit is not at sample 0
    jitter_ticks = spec.humanize_ms / 1000 * spec.bpm / 60 * TICKS_PER_BEAT
    notes: list[tuple[int, int, int, int, int, str]] = []

    def add(bar: int, step: int, dur_steps: float, channel: int, note: int, char: str, part: str) -> None:
        beats = bar * bpb + _step_beats(step, spec)
        tick = start_tick + round(beats * TICKS_PER_BEAT + rng.normal(0, 1) * jitter_ticks)
        vel = int(np.clip(VELOCITY.get(char, 88) + rng.integers(-6, 7), 1, 127))
        dur = max(30, round(dur_steps * TICKS_PER_BEAT / STEPS_PER_BEAT))
        notes.append((max(start_tick - TICKS_PER_BEAT // 2, tick), dur, channel, note, vel, part))

    def chord_at(bar: int) -> tuple[int, tuple[int, ...]]:
        offset, quality = spec.progression[bar % len(spec.progression)]
        return spec.key_midi + offset, CHORD_TONES[quality]

    def pitched(grid: str, bar: int, channel: int, part: str) -> None:
        hits = _grid_hits(grid, bar, spb)
        root, tones = chord_at(bar)
        for i, (step, char) in enumerate(hits):
            gap = (hits[i + 1][0] if i + 1 < len(hits) else spb) - step
            if part == "bass":
                base = 36 + (root - 36) % 12
                note = base + {"5": 7, "8": 12}.get(char, 0)
                add(bar, step, gap * 0.85, channel, note, "o" if char in "58" else char, part)
            else:
                base = 55 + (root - 55) % 12
                for t in tones:
                    add(bar, step, gap * 0.9, channel, base + t, char, part)

    for bar in range(n_bars):
        drums_in = bar not in spec.drums_out_bars
        if drums_in:
            fill_bar = spec.fill and bar % 8 == 7 and bar < n_bars - 1
            for name, grid in spec.drums.items():
                if fill_bar and name in ("hat", "ohat", "ride"):
                    continue
                for step, char in _grid_hits(spec.fill if fill_bar and name == "snare" else grid, bar, spb):
                    add(bar, step, 0.5, DRUM_CHANNEL, DRUM_NOTES[name], char, name)
            back_from_break = bar > 0 and (bar - 1) in spec.drums_out_bars
            if spec.crash_every_bars and (bar % spec.crash_every_bars == 0 or back_from_break):
                add(bar, 0, 0.5, DRUM_CHANNEL, DRUM_NOTES["crash"], "x", "crash")
        pitched(spec.bass, bar, BASS_CHANNEL, "bass")
        pitched(spec.chords, bar, CHORD_CHANNEL, "chords")
        if spec.lead_program is not None:
            root, tones = chord_at(bar)
            if spec.lead_style == "arp":
                for step in range(spb):
                    t = tones[step % len(tones)] + 12 * ((step // len(tones)) % 2)
                    add(bar, step, 0.8, LEAD_CHANNEL, 69 + (root - 69) % 12 + t, "o", "lead")
            else:
                degree = 5
                for step in range(0, spb, 2):
                    if rng.random() < 0.55:
                        degree = int(np.clip(degree + rng.integers(-2, 3), 0, 9))
                        octave, idx = divmod(degree, 5)
                        note = 69 + (spec.key_midi - 69) % 12 + 12 * octave + PENTATONIC_MINOR[idx]
                        add(bar, step, 1.8, LEAD_CHANNEL, note, "o", "lead")
    # a final hit on the next downbeat ends the song on a beat the truth can name
    root, tones = chord_at(0)
    for name in ("kick", "crash"):
        add(n_bars, 0, 0.5, DRUM_CHANNEL, DRUM_NOTES[name], "x", name)
    add(n_bars, 0, 2 * STEPS_PER_BEAT, BASS_CHANNEL, 36 + (root - 36) % 12, "x", "bass")
    for t in tones:
        add(n_bars, 0, 2 * STEPS_PER_BEAT, CHORD_CHANNEL, 55 + (root - 55) % 12 + t, "x", "chords")
    notes.sort()
    return Composition(spec, notes, _tempo_map(spec, n_bars * bpb, start_tick), start_tick, n_bars)


def write_midi(comp: Composition, path: Path) -> None:
    """Write a type-1 MIDI file: a conductor track (meter, tempo map) and one track per channel."""
    spec = comp.spec
    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    conductor = [(0, mido.MetaMessage("time_signature", numerator=spec.beats_per_bar, denominator=4, time=0))]
    conductor += [(tick, mido.MetaMessage("set_tempo", tempo=us, time=0)) for tick, us in comp.tempo_map]
    programs = {BASS_CHANNEL: spec.bass_program, CHORD_CHANNEL: spec.chord_program, LEAD_CHANNEL: spec.lead_program}
    tracks = [conductor]
    for channel in (DRUM_CHANNEL, BASS_CHANNEL, CHORD_CHANNEL, LEAD_CHANNEL):
        events: list[tuple[int, mido.Message]] = []
        if programs.get(channel) is not None:
            events.append((0, mido.Message("program_change", channel=channel, program=programs[channel])))
        for tick, dur, ch, note, vel, _ in comp.notes:
            if ch == channel:
                events.append((tick, mido.Message("note_on", channel=ch, note=note, velocity=vel)))
                events.append((tick + dur, mido.Message("note_off", channel=ch, note=note, velocity=0)))
        if len(events) > (programs.get(channel) is not None):
            tracks.append(events)
    for events in tracks:
        # note_off before note_on at the same tick, so a repeated note retriggers
        events.sort(key=lambda e: (e[0], e[1].type == "note_on"))
        track, last = mido.MidiTrack(), 0
        for tick, msg in events:
            track.append(msg.copy(time=tick - last))
            last = tick
        mid.tracks.append(track)
    mid.save(str(path))


def ticks_to_seconds(ticks: np.ndarray, tempo_map: list[tuple[int, int]]) -> np.ndarray:
    """Convert ticks to seconds through a piecewise-constant tempo map (as the MIDI player does)."""
    starts = np.array([t for t, _ in tempo_map], dtype=np.float64)
    us = np.array([u for _, u in tempo_map], dtype=np.float64)
    seg_s = np.diff(starts) * us[:-1] / 1e6 / TICKS_PER_BEAT
    offsets = np.concatenate([[0.0], np.cumsum(seg_s)])
    idx = np.searchsorted(starts, ticks, side="right") - 1
    return offsets[idx] + (np.asarray(ticks, float) - starts[idx]) * us[idx] / 1e6 / TICKS_PER_BEAT


def merge_onsets(times_s: np.ndarray, *, window_s: float = ONSET_MERGE_S) -> np.ndarray:
    """Sorted onsets with any onset closer than ``window_s`` to the previous kept one dropped."""
    kept: list[float] = []
    for t in np.sort(np.asarray(times_s, float)):
        if not kept or t - kept[-1] >= window_s:
            kept.append(float(t))
    return np.array(kept)


def truth_of(comp: Composition) -> dict:
    """Truth in seconds for a composition (the same ticks and tempo map as its MIDI file)."""
    spec, bpb = comp.spec, comp.spec.beats_per_bar
    n_beats = comp.n_bars * bpb + 1  # the bars plus the final hit
    beat_ticks = comp.start_tick + TICKS_PER_BEAT * np.arange(n_beats)
    beats = ticks_to_seconds(beat_ticks, comp.tempo_map)
    end_s = float(beats[-1])
    note_ticks = np.array([n[0] for n in comp.notes])
    note_s = ticks_to_seconds(note_ticks, comp.tempo_map)
    is_drum = np.array([n[2] == DRUM_CHANNEL for n in comp.notes])
    parts = sorted({n[5] for n in comp.notes})
    by_part = {p: sorted({round(float(t), 6) for t, n in zip(note_s, comp.notes) if n[5] == p}) for p in parts}
    change_s = ticks_to_seconds(np.array([t for t, _ in comp.tempo_map]), comp.tempo_map)
    curve = [(float(s), 60e6 / us) for s, (_, us) in zip(change_s, comp.tempo_map)]
    out_bars = sorted(set(spec.drums_out_bars))
    drums_out = [[float(beats[b * bpb]), float(beats[(b + 1) * bpb])] for b in out_bars if b < comp.n_bars]
    return {
        "name": spec.name, "description": spec.description, "tags": list(spec.tags),
        "generator_version": GENERATOR_VERSION, "spec_digest": spec_digest(spec),
        "sample_rate_hz": SAMPLE_RATE_HZ, "beats_per_bar": bpb,
        "tempo_bpm": float(np.median([b for _, b in curve[1:]] if len(curve) > 1 else [curve[0][1]])),
        "tempo_curve": [[round(t, 6), round(b, 4)] for t, b in curve],
        "swing": spec.swing, "swing_unit": spec.swing_unit,
        "music_start_s": float(beats[0]), "music_end_s": end_s,
        "drums_out_s": drums_out,
        "beat_times_s": [round(float(t), 6) for t in beats],
        "downbeat_times_s": [round(float(t), 6) for t in beats[::bpb]],
        "drum_onset_times_s": [round(t, 6) for t in merge_onsets(note_s[is_drum])],
        "onset_times_s": [round(t, 6) for t in merge_onsets(note_s)],
        "onsets_by_part_s": by_part,
    }


def spec_digest(spec: TrackSpec) -> str:
    """Short hash of a spec and the generator version: changes when the track would change."""
    return hashlib.sha256(f"{GENERATOR_VERSION}|{spec!r}".encode()).hexdigest()[:16]


def render_wav(midi_path: Path, wav_path: Path, *, gain: float = 0.5, keep_s: float | None = None,
               soundfont: Path = DEFAULT_SOUNDFONT) -> None:
    """Render a MIDI file to a 48 kHz WAV with fluidsynth (written to a temp name, then renamed).

    ``keep_s`` trims the render to that many seconds, fading out over the last ``TAIL_FADE_S``:
    fluidsynth keeps rendering release and reverb tails for several seconds after the last note.
    """
    exe = shutil.which("fluidsynth")
    if exe is None:
        raise DevsetError("devset.py: fluidsynth not found; install it (apt-get install fluidsynth fluid-soundfont-gm)")
    if not soundfont.is_file():
        raise DevsetError(f"{soundfont}: soundfont not found; install fluid-soundfont-gm or pass --soundfont")
    tmp = wav_path.with_name(wav_path.stem + ".part.wav")
    cmd = [exe, "-ni", "-g", f"{gain:g}", "-r", str(SAMPLE_RATE_HZ), "-F", str(tmp), str(soundfont), str(midi_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or not tmp.is_file():
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise DevsetError(f"{midi_path}: fluidsynth failed (exit {proc.returncode}): {last}")
    if keep_s is not None:
        _trim_wav(tmp, keep_s=keep_s)
    tmp.replace(wav_path)


def _trim_wav(path: Path, *, keep_s: float) -> None:
    with wave.open(str(path), "rb") as w:
        params, sr = w.getparams(), w.getframerate()
        if params.sampwidth != 2:
            raise DevsetError(f"{path}: expected 16-bit PCM from fluidsynth, got {8 * params.sampwidth}-bit")
        x = np.frombuffer(w.readframes(w.getnframes()), np.int16).reshape(-1, params.nchannels)
    x = x[: int(round(keep_s * sr))].astype(np.float64)
    fade = min(len(x), int(TAIL_FADE_S * sr))
    x[len(x) - fade:] *= np.linspace(1.0, 0.0, fade)[:, None]
    with wave.open(str(path), "wb") as w:
        w.setparams(params)
        w.writeframes(np.round(x).astype(np.int16).tobytes())


def _up_to_date(spec: TrackSpec, out_dir: Path) -> bool:
    paths = [out_dir / f"{spec.name}{ext}" for ext in (".mid", ".wav", ".truth.json")]
    if not all(p.is_file() for p in paths):
        return False
    try:
        return json.loads(paths[2].read_text()).get("spec_digest") == spec_digest(spec)
    except (OSError, ValueError):
        return False


def build_track(spec: TrackSpec, out_dir: Path, *, force: bool = False,
                soundfont: Path = DEFAULT_SOUNDFONT) -> bool:
    """Write ``NAME.mid``, ``NAME.wav`` and ``NAME.truth.json``; return False if it was up to date."""
    if not force and _up_to_date(spec, out_dir):
        return False
    out_dir.mkdir(parents=True, exist_ok=True)
    comp = compose(spec)
    midi_path, wav_path = out_dir / f"{spec.name}.mid", out_dir / f"{spec.name}.wav"
    write_midi(comp, midi_path)
    truth = truth_of(comp)
    render_wav(midi_path, wav_path, gain=spec.gain, keep_s=truth["music_end_s"] + TAIL_S, soundfont=soundfont)
    with wave.open(str(wav_path), "rb") as w:
        truth["audio_duration_s"] = w.getnframes() / w.getframerate()
    # truth last: its presence (with the right digest) marks the track complete
    (out_dir / f"{spec.name}.truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    return True


def build_devset(out_dir: Path = DEFAULT_OUT, *, pattern: str = "*", force: bool = False,
                 soundfont: Path = DEFAULT_SOUNDFONT, log=print) -> list[Path]:
    """Build every dev track whose name matches ``pattern`` (fnmatch, comma-separated); return truth paths."""
    globs = [p.strip() for p in pattern.split(",") if p.strip()]
    specs = [s for s in dev_tracks() if any(fnmatch.fnmatch(s.name, g) for g in globs)]
    if not specs:
        raise DevsetError(f"devset.py: no dev track matches {pattern!r}")
    for spec in specs:
        built = build_track(spec, out_dir, force=force, soundfont=soundfont)
        log(f"{'built' if built else 'up to date':>10}  {out_dir / spec.name}.wav")
    return [out_dir / f"{s.name}.truth.json" for s in specs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    parser.add_argument("--tracks", default="*", help="glob(s) of track names, comma-separated")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument("--soundfont", type=Path, default=DEFAULT_SOUNDFONT)
    parser.add_argument("--list", action="store_true", help="list the tracks and exit")
    args = parser.parse_args(argv)
    if args.list:
        for s in dev_tracks():
            print(f"{s.name:20s} {s.bpm:5g}{'->' + format(s.end_bpm, 'g') if s.end_bpm else '':6s} "
                  f"{s.beats_per_bar}/4  {s.description}")
        return 0
    try:
        build_devset(args.out, pattern=args.tracks, force=args.force, soundfont=args.soundfont)
    except DevsetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
