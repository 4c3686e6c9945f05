"""Whole-file analysis by running the streaming analyzer over it (no second algorithm)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from reactor.analysis import kernels as K
from reactor.analysis.analyzer import StreamingAnalyzer
from reactor.analysis.beats import PH_BPM, PH_CONF
from reactor.features import BAND_NAMES

DOWNBEAT_MIN_CONFIDENCE = 0.3
"""Downbeats are reported only where the bar tracker is at least this sure."""


@dataclass(frozen=True)
class Analysis:
    """What the causal analyzer saw over a whole clip.

    Event arrays are parallel: ``beat_times_s[i]`` happened (was predicted to happen) at that time
    and was known at ``beat_emitted_s[i]``. Times are seconds from the start of the (trimmed)
    audio. Time series are per hop (``hop_s`` apart, ``times_s`` = end of each hop).
    """

    duration_s: float
    sample_rate_hz: int
    hop_s: float
    tempo_bpm: float
    beat_times_s: np.ndarray
    beat_emitted_s: np.ndarray
    downbeat_times_s: np.ndarray
    onset_times_s: np.ndarray
    onset_emitted_s: np.ndarray
    onset_strength: np.ndarray
    times_s: np.ndarray
    level: np.ndarray  # (n,)
    bands: np.ndarray  # (n, 6, 4): level, env, hit, presence per band
    onset_curve: np.ndarray  # (n,) onset function scaled 0..1
    tempo_curve_bpm: np.ndarray  # (n,)
    tempo_confidence: np.ndarray  # (n,)
    repaired_samples: int = 0
    mode: str = "causal"  # "causal": what a live show knows; "offline": beats decoded with look-ahead
    beats_per_bar: int = 4
    sections_s: np.ndarray = field(default_factory=lambda: np.zeros(1))  # section starts (offline)
    drops_s: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def to_json_dict(self) -> dict:
        """Exactly the keys of ``reactor analyze --json`` (times rounded to 0.1 ms)."""

        def r(a):
            return [round(float(v), 4) for v in a]

        return {
            "tempo_bpm": round(float(self.tempo_bpm), 2),
            "beat_times_s": r(self.beat_times_s),
            "beat_emitted_s": r(self.beat_emitted_s),
            "downbeat_times_s": r(self.downbeat_times_s),
            "onset_times_s": r(self.onset_times_s),
            "onset_emitted_s": r(self.onset_emitted_s),
            "duration_s": round(float(self.duration_s), 6),
            "sample_rate_hz": int(self.sample_rate_hz),
            "hop_s": round(float(self.hop_s), 9),
            "mode": self.mode,
            "beats_per_bar": int(self.beats_per_bar),
            "sections_s": r(self.sections_s),
            "drops_s": r(self.drops_s),
        }

    def band_envelope(self, name: str) -> np.ndarray:
        """Envelope of one named band over time (n,)."""
        return self.bands[:, BAND_NAMES.index(name), 1]


MODES = ("causal", "offline")


def analyze_samples(samples: np.ndarray, *, sample_rate_hz: int, block_samples: int = 65536,
                    mode: str = "causal") -> Analysis:
    """Run the streaming analyzer over ``samples`` (n,) or (n, channels) in fixed blocks.

    ``mode="offline"`` replaces the causal beats, downbeats and tempo by the look-ahead track
    (``lookahead.track_from_recording``: the same state space decoded over the whole clip) and
    adds sections; onsets and curves are the causal analyzer's in both modes. Offline beats are
    known before the audio plays, so their emission times equal their times.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    causal, an = _causal(samples, sample_rate_hz=sample_rate_hz, block_samples=block_samples)
    return _with_lookahead(causal, an) if mode == "offline" else causal


def analyze_both(samples: np.ndarray, *, sample_rate_hz: int, block_samples: int = 65536) -> tuple[Analysis, Analysis]:
    """The causal and the offline analysis from one pass of the analyzer (for side-by-side scoring)."""
    causal, an = _causal(samples, sample_rate_hz=sample_rate_hz, block_samples=block_samples)
    return causal, _with_lookahead(causal, an)


def _causal(samples, *, sample_rate_hz: int, block_samples: int):
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    an = StreamingAnalyzer(sample_rate_hz=sample_rate_hz, channels=x.shape[1], record=True)
    for i in range(0, x.shape[0], block_samples):
        an.process(x[i:i + block_samples])
    return _collect(an, duration_s=x.shape[0] / sample_rate_hz), an


def _with_lookahead(a: Analysis, an: StreamingAnalyzer) -> Analysis:
    from dataclasses import replace

    from reactor.analysis.analyzer import BEAT_DELAY_S
    from reactor.analysis.lookahead import track_from_recording

    tr = track_from_recording(an.recorded(), hop_s=an.hop_s, beat_delay_s=BEAT_DELAY_S)
    keep = (tr.beat_times_s >= 0.0) & (tr.beat_times_s <= a.duration_s)
    beats = tr.beat_times_s[keep]
    downs = tr.downbeat_times_s[(tr.downbeat_times_s >= 0.0) & (tr.downbeat_times_s <= a.duration_s)]
    return replace(a, mode="offline", beat_times_s=beats, beat_emitted_s=beats.copy(), downbeat_times_s=downs,
                   tempo_bpm=_overall_tempo(beats), beats_per_bar=tr.beats_per_bar, sections_s=tr.sections_s,
                   drops_s=tr.drops_s)


def analyze_clip(clip, *, block_samples: int = 65536, mode: str = "causal") -> Analysis:
    """Analyse an ``AudioClip`` (see ``reactor.audio.decode``)."""
    return analyze_samples(clip.samples, sample_rate_hz=clip.sample_rate_hz, block_samples=block_samples, mode=mode)


def analyze_file(path: str | os.PathLike, *, start_s: float = 0.0, duration_s: float | None = None,
                 sample_rate_hz: int = 48000, mode: str = "causal") -> Analysis:
    """Decode (and trim) an audio file, then analyse it. Raises ``AudioError`` for bad files."""
    from reactor.audio.decode import load_audio

    clip = load_audio(path, sample_rate_hz=sample_rate_hz, start_s=start_s, duration_s=duration_s)
    result = analyze_clip(clip, mode=mode)
    if clip.repaired:
        result = _with_repaired(result, clip.repaired)
    return result


def _with_repaired(a: Analysis, n: int) -> Analysis:
    from dataclasses import replace

    return replace(a, repaired_samples=a.repaired_samples + n)


def _collect(an: StreamingAnalyzer, *, duration_s: float) -> Analysis:
    ev = an.events
    rec = an.recorded()
    empty = np.zeros(0)
    if rec:
        times, phase = rec["t"], rec["phase"]
        level, bands = rec["scalars"][:, K.SC_LEVEL], rec["band"]
        onset_curve = rec["scalars"][:, K.SC_ONSET_CURVE]
    else:
        times, phase = empty, np.zeros((0, 3))
        level, bands, onset_curve = empty, np.zeros((0, 6, 4)), empty
    beats = np.array(ev.beat_times_s)
    # Beats predicted past the end of the audio never happened.
    keep = beats <= duration_s
    beats = beats[keep]
    emitted = np.array(ev.beat_emitted_s)[keep]
    pos = np.array(ev.beat_bar_position, dtype=int)[keep]
    conf = np.array(ev.downbeat_confidence)[keep]
    down = beats[(pos == 0) & (conf >= DOWNBEAT_MIN_CONFIDENCE)]
    return Analysis(
        duration_s=duration_s, sample_rate_hz=an.sample_rate_hz, hop_s=an.hop_s,
        tempo_bpm=_overall_tempo(beats),
        beat_times_s=beats, beat_emitted_s=emitted, downbeat_times_s=down,
        onset_times_s=np.array(ev.onset_times_s), onset_emitted_s=np.array(ev.onset_emitted_s),
        onset_strength=np.array(ev.onset_strength), times_s=times, level=level, bands=bands,
        onset_curve=onset_curve, tempo_curve_bpm=phase[:, PH_BPM], tempo_confidence=phase[:, PH_CONF],
        repaired_samples=an.repaired_samples,
    )


def _overall_tempo(beats: np.ndarray) -> float:
    """One tempo for the whole clip: the median inter-beat interval after the tracker settled."""
    if beats.size < 4:
        return 0.0
    ibi = np.diff(beats[len(beats) // 4:]) if beats.size >= 8 else np.diff(beats)
    med = np.median(ibi)
    # Beat times come from whole-hop intervals, so single intervals jitter by a hop; the mean
    # of the intervals near the median is precise to a fraction of a BPM.
    near = ibi[np.abs(ibi - med) < 0.15 * med]
    return float(60.0 / np.mean(near))
