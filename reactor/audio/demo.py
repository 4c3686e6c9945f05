"""The built-in demo track: 30 s of 128 BPM house made by code, with its ground truth.

Sixteen bars: a 4-bar intro (pads and voice, no drums), a 6-bar groove, a 2-bar break (drums
out, a noise riser into the return) and a 4-bar return. Kick, snare, hats, an off-beat bass, pad
chords (Am7 Fmaj7 C G6) and a sung "aah-ooh" formant voice. Everything is deterministic (fixed
seeds) and vectorised: each sound is rendered once and placed at its score times, pads and the
voice are filtered in the frequency domain (no per-sample Python loops, no files on disk).

``demo_truth()`` gives the score the clip was rendered from, so trackers can be scored on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reactor.audio import synth
from reactor.audio.decode import AudioClip
from reactor.errors import AudioError

DEMO_BPM = 128.0
"""Tempo of the demo track, beats per minute (4/4)."""

_BEAT_S = 60.0 / DEMO_BPM
_BARS = 16
_DURATION_S = _BARS * 4 * _BEAT_S  # 30.0 s
_SECTIONS = (("intro", 0, 4), ("groove", 4, 10), ("break", 10, 12), ("return", 12, 16))  # bars
_DRUM_BARS = frozenset(range(4, 10)) | frozenset(range(12, 16))
_CHORDS = ((57, 60, 64, 67), (53, 57, 60, 64), (55, 60, 64, 67), (55, 59, 62, 64))  # Am7 Fmaj7 C G6
_ROOTS = (33, 29, 36, 31)  # A1 F1 C2 G1
_BASS_STEPS = ((0.5, 0), (1.5, 0), (2.5, 12), (3.5, 7))  # (beat in bar, semitones): off-beat bass
_PAD_CUTOFF_HZ = (500, 800, 1300, 2000, 3000, 3000, 3000, 3000, 3000, 3000, 1500, 900,
                  3500, 3500, 3500, 3500)  # per bar: opens through the intro, dips in the break
# Sung phrases: (bar, beat) of the first syllable, then (beats, midi note, vowels) per syllable.
_M1 = ((0.5, 69, "a"), (0.5, 72, "o"), (0.5, 74, "a"), (1.0, 76, "a"), (0.5, 74, "u"), (0.5, 72, "o"),
       (2.0, 69, "au"))
_M2 = ((0.5, 67, "e"), (0.5, 69, "a"), (0.5, 72, "a"), (1.0, 74, "o"), (0.25, 72, "a"), (0.25, 74, "a"),
       (0.5, 76, "e"), (2.0, 74, "ao"))
_M3 = ((0.5, 76, "a"), (0.5, 74, "o"), (0.5, 72, "a"), (0.5, 69, "e"), (1.0, 67, "a"), (0.5, 69, "o"),
       (2.0, 64, "au"))
_BREAK = ((0.5, 69, "a"), (0.5, 72, "o"), (1.0, 76, "au"), (0.5, 74, "a"), (0.5, 72, "e"), (0.5, 69, "a"),
          (0.5, 67, "o"), (2.0, 69, "au"))
_PHRASES = (((0, 1.0), _M1), ((2, 1.0), _M2), ((4, 1.0), _M1), ((6, 1.0), _M2), ((8, 1.0), _M3),
            ((10, 0.5), _BREAK), ((12, 1.0), _M1), ((14, 1.0), _M3))
_SCORE_SEED = 128
_SOUND_SEED = 2024
# Stem levels (linear) before loudness normalisation; balanced by ear and by band energies.
_LEVELS = {"kick": 0.8, "snare": 1.4, "hat": 0.65, "open_hat": 0.45, "crash": 0.35, "bass": 0.8,
           "pad": 0.55, "voice": 0.8, "riser": 0.3}


@dataclass(frozen=True, eq=False)  # arrays inside: compare contents explicitly
class DemoTruth:
    """Ground truth of the demo track; every time in seconds from the start of the clip.

    ``beat_times_s`` covers the whole track, including the drumless intro and break;
    ``beat_in_break`` marks the beats of the 2-bar break. ``voice_segments_s`` lists the
    (start, end) of each sung phrase. ``sections`` lists (name, start_s, end_s).
    """

    beat_times_s: np.ndarray
    downbeat_times_s: np.ndarray
    beat_in_break: np.ndarray
    kick_times_s: np.ndarray
    snare_times_s: np.ndarray
    hat_times_s: np.ndarray
    bass_times_s: np.ndarray
    crash_times_s: np.ndarray
    voice_segments_s: tuple[tuple[float, float], ...]
    sections: tuple[tuple[str, float, float], ...]
    bpm: float
    duration_s: float


@dataclass(frozen=True)
class _Score:
    truth: DemoTruth
    snares: tuple[tuple[float, float], ...]  # (time, velocity)
    hats: tuple[tuple[float, float, bool], ...]  # (time, velocity, open)
    bass: tuple[tuple[float, int], ...]  # (time, midi)
    syllables: tuple[tuple[float, float, int, str, int], ...]  # (start, end, midi, vowels, phrase)


def demo_truth() -> DemoTruth:
    """The beat, onset and voice ground truth of :func:`demo_clip` (independent of sample rate)."""
    return _score().truth


def demo_clip(sample_rate_hz: int = 48000) -> AudioClip:
    """Synthesize the demo track: 30 s stereo float32 at ``sample_rate_hz`` (~-14 LUFS, peak <= -1 dBFS).

    Takes well under a second at 48 kHz. The result is identical on every call.
    """
    if not (isinstance(sample_rate_hz, (int, np.integer)) and 8000 <= sample_rate_hz <= 192000):
        raise AudioError(f"demo: sample_rate_hz must be an integer 8000..192000, got {sample_rate_hz!r}")
    sr = int(sample_rate_hz)
    score = _score()
    truth = score.truth
    rng = np.random.default_rng(_SOUND_SEED)
    mix = np.zeros((2, int(round(_DURATION_S * sr))))
    kick = synth.kick_drum(sr, rng)
    for t in truth.kick_times_s:
        synth.place(mix, kick, t, sr, _LEVELS["kick"])
    snare = synth.snare(sr, rng)
    for t, vel in score.snares:
        synth.place(mix, snare, t, sr, _LEVELS["snare"] * vel)
    hats = [synth.hat(sr, rng, decay_s=0.03, pan=-0.25) for _ in range(4)]
    open_hat = synth.hat(sr, rng, decay_s=0.22, pan=-0.25)
    for i, (t, vel, is_open) in enumerate(score.hats):
        sound, level = (open_hat, _LEVELS["open_hat"]) if is_open else (hats[i % 4], _LEVELS["hat"])
        synth.place(mix, sound, t, sr, level * vel)
    crash = synth.crash(sr, rng)
    for t in truth.crash_times_s:
        synth.place(mix, crash, t, sr, _LEVELS["crash"])
    notes = {}
    for t, midi in score.bass:
        if midi not in notes:
            notes[midi] = synth.bass_note(sr, synth.midi_hz(midi), length_s=0.8 * _BEAT_S / 2 + 0.02)
        synth.place(mix, notes[midi], t, sr, _LEVELS["bass"])
    pads = np.zeros_like(mix)
    length_s = 4 * _BEAT_S + 0.5  # a bar plus the release tail
    chords = [synth.pad_chord(sr, rng, [synth.midi_hz(m) for m in c], length_s=length_s) for c in _CHORDS]
    for bar, cutoff_hz in enumerate(_PAD_CUTOFF_HZ):  # the same four chords, filtered per bar
        synth.place(pads, synth.spectral(chords[bar % 4], sr, synth.lowpass_gain(sr, cutoff_hz)), bar * 4 * _BEAT_S, sr, 1.0)
    mix += _LEVELS["pad"] * pads * _duck(mix.shape[1], sr, truth.kick_times_s)
    mix += _LEVELS["voice"] * synth.voice(sr, rng, score.syllables, mix.shape[1], echo_s=0.75 * _BEAT_S)
    riser_s = 4 * _BEAT_S
    synth.place(mix, synth.riser(sr, rng, length_s=riser_s), 12 * 4 * _BEAT_S - riser_s, sr, _LEVELS["riser"])
    out = synth.master_mix(mix, sr, target_lufs=-14.0, ceiling_dbfs=-1.0)
    return AudioClip(samples=out.T.astype(np.float32), sample_rate_hz=sr, source="demo")


def _duck(n: int, sr: int, kick_times_s: np.ndarray) -> np.ndarray:
    """Side-chain gain for the pads: dips 45 % on each kick, recovers over ~150 ms."""
    t = np.arange(int(_BEAT_S * sr)) / sr
    # 4 ms ramp down (no click), back to exactly 1 at the next beat
    curve = 1.0 - 0.45 * synth.smoothstep(t / 0.004) * np.exp(-t / 0.15) * (1.0 - t / _BEAT_S)
    gain = np.ones(n)
    for k in kick_times_s:  # kicks are a beat apart, so each curve runs until the next kick
        lo = int(round(k * sr))
        gain[lo:lo + curve.size] = curve[:n - lo]
    return gain


def _score() -> _Score:
    rng = np.random.default_rng(_SCORE_SEED)
    beats = np.arange(_BARS * 4) * _BEAT_S
    bar_of = np.arange(_BARS * 4) // 4
    in_break = (bar_of >= 10) & (bar_of < 12)
    drums = np.isin(bar_of, list(_DRUM_BARS))
    kicks = beats[drums]
    snares = [(b, 1.0) for b, i in zip(beats, range(beats.size)) if drums[i] and i % 2 == 1]
    fill = 9 * 4 + 3  # 16th-note snare fill on the last beat before the break
    snares += [((fill + f) * _BEAT_S, v) for f, v in ((0.25, 0.55), (0.5, 0.7), (0.75, 0.85))]
    hats, bass = [], []
    for bar in sorted(_DRUM_BARS):
        dense = 0.85 if bar >= 12 else 0.55  # the return is busier
        for six in range(16):
            t = (bar * 4 + six / 4) * _BEAT_S
            if six % 4 == 2:
                hats.append((t, 1.0, six == 14 and bar % 2 == 1))  # open hat ends every other bar
            elif six % 2 == 1 and rng.random() < dense:
                hats.append((t, float(rng.uniform(0.35, 0.6)), False))
        bass += [((bar * 4 + b) * _BEAT_S, _ROOTS[bar % 4] + st) for b, st in _BASS_STEPS]
    syllables, segments = [], []
    for k, ((bar, beat), motif) in enumerate(_PHRASES):
        t = (bar * 4 + beat) * _BEAT_S
        start = t
        for beats_len, midi, vowels in motif:
            syllables.append((t, t + beats_len * _BEAT_S, midi, vowels, k))
            t += beats_len * _BEAT_S
        segments.append((round(start, 6), round(t, 6)))
    snares.sort()
    sections = tuple((name, a * 4 * _BEAT_S, b * 4 * _BEAT_S) for name, a, b in _SECTIONS)
    truth = DemoTruth(
        beat_times_s=_ro(beats), downbeat_times_s=_ro(beats[::4]), beat_in_break=_ro(in_break),
        kick_times_s=_ro(kicks), snare_times_s=_ro(np.array([s[0] for s in snares])),
        hat_times_s=_ro(np.array([h[0] for h in hats])), bass_times_s=_ro(np.array([b[0] for b in bass])),
        crash_times_s=_ro(np.array([4 * 4 * _BEAT_S, 12 * 4 * _BEAT_S])),
        voice_segments_s=tuple(segments), sections=sections, bpm=DEMO_BPM, duration_s=_DURATION_S)
    return _Score(truth=truth, snares=tuple(snares), hats=tuple(hats), bass=tuple(bass),
                  syllables=tuple(syllables))


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.setflags(write=False)
    return a


# --- sounds -------------------------------------------------------------------------------------
# Each returns float64 (m,) mono or (2, m) stereo, peak about 1, rendered once and placed many times.
