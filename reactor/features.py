"""The feature vocabulary: one immutable snapshot of the sound at one instant.

``Features`` is the value type every layer shares (analysis makes it, control and render read
it). Its scalar names are a public API: presets route them to parameters and native shaders read
them as ``uniform float u_<name>``. Arrays become textures (see ``reactor.render.textures``).

The table ``SCALARS`` is the single source of truth for names, units and ranges; the README's
uniform reference is generated from it (``python -m reactor.features``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np

BAND_NAMES: tuple[str, ...] = ("sub", "bass", "lowmid", "mid", "highmid", "high")
"""The six bands, low to high."""

BAND_EDGES_HZ: tuple[tuple[float, float], ...] = (
    (20.0, 60.0),
    (60.0, 250.0),
    (250.0, 500.0),
    (500.0, 2000.0),
    (2000.0, 6000.0),
    (6000.0, 20000.0),
)
"""Band edges in Hz, parallel to ``BAND_NAMES``."""

SPECTRUM_BINS = 64
"""Bins of the normalized log-frequency spectrum texture (30 Hz .. 16 kHz)."""

WAVEFORM_SAMPLES = 512
"""Samples of the waveform texture (the most recent ~10.7 ms at 48 kHz)."""

SHADERTOY_BINS = 512
"""Bins of the Shadertoy / Web Audio analyser row."""


def _scalar_table() -> dict[str, tuple[str, str, str]]:
    t: dict[str, tuple[str, str, str]] = {
        "time": ("s", ">= 0", "Position in the audio, seconds from the start of the (trimmed) track."),
        "level": ("", "0..1", "Normalized loudness after adaptive gain (0 = gated silence)."),
        "rms_db": ("dBFS", "-120..0", "RMS level of the raw input over the last hop window."),
        "peak_db": ("dBFS", "-120..0", "Peak absolute sample of the raw input over the last hop."),
        "silence": ("", "0 or 1", "1 while the gate is closed (input below the noise gate)."),
    }
    for b, (lo, hi) in zip(BAND_NAMES, BAND_EDGES_HZ):
        rng = f"{lo:g}-{hi:g} Hz"
        t[b] = ("", "0..1", f"Band level, {rng}, normalized by adaptive gain.")
        t[f"{b}_env"] = ("", "0..1", f"Band envelope, {rng}: fast attack, slower release.")
        t[f"{b}_hit"] = ("", "0..1", f"Band transient, {rng}: jumps on a hit, decays exponentially.")
        t[f"{b}_presence"] = ("", "0..1", f"Slow band presence, {rng}: is this band active in this part of the song.")
    t.update(
        {
            "onset": ("", "0..1", "Onset impulse: strength of the last onset, decaying (~120 ms)."),
            "onset_strength": ("", "0..1", "Strength of the most recent onset event."),
            "onset_count": ("", ">= 0", "Number of onsets so far."),
            "tempo_bpm": ("BPM", "50..220", "Current tempo estimate (or the override source's tempo)."),
            "tempo_confidence": ("", "0..1", "Confidence of the tempo/phase estimate."),
            "beat_phase": ("", "0..1", "Phase within the current beat; 0 on the beat."),
            "beat_pulse": ("", "0..1", "1 exactly on each (predicted) beat, decaying over ~1/4 beat."),
            "beat_count": ("", ">= 0", "Index of the current beat: 0 from the first beat on (and before it), +1 per beat."),
            "bar_phase": ("", "0..1", "Phase within the current bar; 0 on the downbeat."),
            "downbeat_pulse": ("", "0..1", "Like beat_pulse, on downbeats only."),
            "downbeat_confidence": ("", "0..1", "Confidence that bar_phase is right; ignore bars below ~0.5."),
            "beats_per_bar": ("", "3 or 4", "Meter estimate."),
            "bar_count": ("", ">= 0", "Number of downbeats so far."),
            "balance": ("", "-1..1", "Stereo balance: -1 left, +1 right (0 for mono)."),
            "width": ("", "0..1", "Stereo width: 0 mono, 1 uncorrelated/anti-phase."),
            "brightness": ("", "0..1", "Normalized spectral centroid (log-frequency, 0 = 30 Hz, 1 = 16 kHz)."),
            "voice": ("", "0..1", "Voice envelope: speech-band (300-3400 Hz) energy, syllable-rate smoothing; drives mouths."),
            "pitch_hz": ("Hz", "0 or 40..2000", "Fundamental frequency estimate (aubio yin), 0 when unvoiced."),
            "pitch_confidence": ("", "0..1", "Confidence of pitch_hz."),
            "loudness": ("", "0..1", "Loudness as heard, NOT gain-normalized: loudness_lufs mapped from -50 LUFS (0) to -8 LUFS (1). Swells with a crescendo."),
            "loudness_lufs": ("LUFS", "-120..0", "Short-term loudness: K-weighted (ITU-R BS.1770), 3 s window, ungated; -120 in silence."),
            "loudness_momentary_lufs": ("LUFS", "-120..0", "Momentary loudness: as loudness_lufs over 400 ms."),
            "voicing": ("", "0..1", "Voiced sound (harmonic, pitched like a vowel): cepstral peak prominence, 80-500 Hz pitch, ~30 ms smoothing."),
            "vowel_open": ("", "0..1", "Mouth opening for lip-sync: speech-band level x voicing, wider for open vowels (high F1); closes between syllables (~60 ms release)."),
            "vowel_spread": ("", "-1..1", "Lip spread from the second formant: +1 spread (/i/, /e/), -1 rounded (/u/, /o/), 0 closed."),
            "f1_hz": ("Hz", "0 or 250..1100", "Rough first-formant estimate (F1-region centroid) while voiced, else 0."),
            "f2_hz": ("Hz", "0 or 900..2900", "Rough second-formant estimate (F2-region centroid) while voiced, else 0."),
        }
    )
    return t


SCALARS: Mapping[str, tuple[str, str, str]] = MappingProxyType(_scalar_table())
"""name -> (unit, range, description) for every scalar feature."""

ARRAYS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "spectrum": (f"({SPECTRUM_BINS},) float32 0..1", "Log-frequency magnitude spectrum, 30 Hz..16 kHz, adaptive-gain normalized."),
        "waveform": (f"({WAVEFORM_SAMPLES},) float32 -1..1", "Most recent mono samples, gain-normalized."),
        "shadertoy_fft": (f"({SHADERTOY_BINS},) float32 0..1", "Web Audio AnalyserNode byte-frequency row / 255 (Shadertoy iChannel row 0)."),
        "shadertoy_wave": (f"({SHADERTOY_BINS},) float32 0..1", "Web Audio byte time-domain row / 255, 0.5-centred (Shadertoy row 1)."),
        "channel_fft": (f"(channels, {SHADERTOY_BINS}) float32 0..1", "shadertoy_fft of each input channel (ISF audioFFT rows); one channel: the mono row."),
        "channel_waveform": (f"(channels, {WAVEFORM_SAMPLES}) float32 -1..1", "waveform of each input channel (ISF audio rows), gain-normalized as waveform."),
    }
)


@dataclass(frozen=True)
class Features:
    """Immutable snapshot of every feature at one instant.

    Attributes
    ----------
    time_s : float
        Audio time this snapshot describes.
    scalars : Mapping[str, float]
        Every name in ``SCALARS`` -> value (read-only mapping).
    spectrum, waveform, shadertoy_fft, shadertoy_wave, channel_fft, channel_waveform : np.ndarray
        Read-only float32 arrays, shapes in ``ARRAYS``.
    """

    time_s: float
    scalars: Mapping[str, float]
    spectrum: np.ndarray = field(default_factory=lambda: _ro(np.zeros(SPECTRUM_BINS, np.float32)))
    waveform: np.ndarray = field(default_factory=lambda: _ro(np.zeros(WAVEFORM_SAMPLES, np.float32)))
    shadertoy_fft: np.ndarray = field(default_factory=lambda: _ro(np.zeros(SHADERTOY_BINS, np.float32)))
    shadertoy_wave: np.ndarray = field(default_factory=lambda: _ro(np.full(SHADERTOY_BINS, 0.5, np.float32)))
    channel_fft: np.ndarray = field(default_factory=lambda: _ro(np.zeros((1, SHADERTOY_BINS), np.float32)))
    channel_waveform: np.ndarray = field(default_factory=lambda: _ro(np.zeros((1, WAVEFORM_SAMPLES), np.float32)))

    def __getitem__(self, name: str) -> float:
        return self.scalars[name]

    @classmethod
    def silent(cls, time_s: float = 0.0, **overrides: float) -> "Features":
        """A snapshot of silence (every scalar at rest), with optional overrides (tests, previews)."""
        values = {name: 0.0 for name in SCALARS}
        values.update({"time": time_s, "rms_db": -120.0, "peak_db": -120.0, "silence": 1.0,
                       "loudness_lufs": -120.0, "loudness_momentary_lufs": -120.0,
                       "tempo_bpm": 120.0, "beats_per_bar": 4.0})
        for k, v in overrides.items():
            if k not in SCALARS:
                raise KeyError(f"unknown feature {k!r}")
            values[k] = float(v)
        return cls(time_s=time_s, scalars=MappingProxyType(values))


def _ro(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def make_features(time_s: float, scalars: dict[str, float], **arrays: np.ndarray) -> Features:
    """Build a frozen snapshot; arrays are copied to float32 and made read-only.

    Without per-channel arrays, the mono ones stand for a single channel (``channel_fft`` is
    ``shadertoy_fft`` as one row, ``channel_waveform`` is ``waveform``)."""
    if "channel_fft" not in arrays and "shadertoy_fft" in arrays:
        arrays["channel_fft"] = np.asarray(arrays["shadertoy_fft"])[None, :]
    if "channel_waveform" not in arrays and "waveform" in arrays:
        arrays["channel_waveform"] = np.asarray(arrays["waveform"])[None, :]
    frozen = {k: _ro(np.array(v, dtype=np.float32, copy=True)) for k, v in arrays.items()}
    return Features(time_s=time_s, scalars=MappingProxyType(dict(scalars)), **frozen)


def markdown_table() -> str:
    """The scalar vocabulary as a Markdown table (for the README)."""
    rows = ["| name | uniform | unit | range | meaning |", "| --- | --- | --- | --- | --- |"]
    for name, (unit, rng, desc) in SCALARS.items():
        rows.append(f"| `{name}` | `u_{name}` | {unit or '-'} | {rng} | {desc} |")
    return "\n".join(rows)


if __name__ == "__main__":  # pragma: no cover
    print(markdown_table())
