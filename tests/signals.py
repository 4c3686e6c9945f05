"""Deterministic test audio for every test suite: clicks, tones, chirps, noise bursts, a groove
with known beat times, and writers that encode them to any container with PyAV.

All makers return float32 arrays shaped ``(n, channels)`` (``channels=1`` by default) so they can
be fed straight to ``AudioClip`` or an analyzer. Randomness comes only from ``seed``.
"""

from __future__ import annotations

import os
import wave
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

SR = 48000
"""Default sample rate of every maker, Hz."""


def _frames(duration_s: float, sample_rate_hz: int) -> int:
    return int(round(duration_s * sample_rate_hz))


def _shape(x: np.ndarray, channels: int) -> np.ndarray:
    return np.ascontiguousarray(np.repeat(x.astype(np.float32)[:, None], channels, axis=1))


def silence(*, duration_s: float, sample_rate_hz: int = SR, channels: int = 1) -> np.ndarray:
    """Digital silence, ``(n, channels)``."""
    return np.zeros((_frames(duration_s, sample_rate_hz), channels), np.float32)


def clicks(times_s, *, duration_s: float, sample_rate_hz: int = SR, channels: int = 1,
           amplitude: float = 0.8, width_s: float = 0.001) -> np.ndarray:
    """Hann-shaped clicks ``width_s`` wide, each *centred* on a time in ``times_s``.

    A symmetric click keeps its energy centre under lossy codecs, so ``locate_clicks`` finds
    it within a fraction of a millisecond after an MP3/AAC round trip.
    """
    n = _frames(duration_s, sample_rate_hz)
    x = np.zeros(n, np.float64)
    w = max(int(round(width_s * sample_rate_hz)) | 1, 3)  # odd: the peak sample is the centre
    shape = np.hanning(w + 2)[1:-1] * amplitude
    for t in times_s:
        c = int(round(t * sample_rate_hz))
        lo = c - w // 2
        seg = slice(max(lo, 0), min(lo + w, n))
        x[seg] += shape[seg.start - lo:seg.stop - lo]
    return _shape(x, channels)


def locate_clicks(x: np.ndarray, expected_s, *, sample_rate_hz: int = SR, search_s: float = 0.02) -> np.ndarray:
    """Energy centre (s) of the click nearest each expected time, searching +-``search_s``."""
    mono = np.asarray(x, np.float64).reshape(len(x), -1).mean(axis=1)
    found = []
    for t in expected_s:
        lo = max(int(round((t - search_s) * sample_rate_hz)), 0)
        hi = min(int(round((t + search_s) * sample_rate_hz)), len(mono))
        e = mono[lo:hi] ** 2
        e = np.where(e >= 0.25 * e.max(), e, 0.0)  # ignore codec noise around the click
        found.append((lo + np.sum(np.arange(len(e)) * e) / np.sum(e)) / sample_rate_hz)
    return np.array(found)


def tone(freq_hz: float, *, duration_s: float, sample_rate_hz: int = SR, amplitude: float = 0.5,
         channels: int = 1, phase_rad: float = 0.0) -> np.ndarray:
    """A sine at ``freq_hz``."""
    t = np.arange(_frames(duration_s, sample_rate_hz)) / sample_rate_hz
    return _shape(amplitude * np.sin(2 * np.pi * freq_hz * t + phase_rad), channels)


def chirp(start_hz: float, end_hz: float, *, duration_s: float, sample_rate_hz: int = SR,
          amplitude: float = 0.5, channels: int = 1, log_sweep: bool = True) -> np.ndarray:
    """A sine sweep from ``start_hz`` to ``end_hz`` (exponential unless ``log_sweep=False``)."""
    n = _frames(duration_s, sample_rate_hz)
    t = np.arange(n) / sample_rate_hz
    if log_sweep:
        k = np.log(end_hz / start_hz) / duration_s
        phase = 2 * np.pi * start_hz * np.expm1(k * t) / k
    else:
        phase = 2 * np.pi * (start_hz * t + 0.5 * (end_hz - start_hz) / duration_s * t * t)
    return _shape(amplitude * np.sin(phase), channels)


def noise_bursts(times_s, *, duration_s: float, burst_s: float = 0.05, sample_rate_hz: int = SR,
                 amplitude: float = 0.5, channels: int = 1, seed: int = 0) -> np.ndarray:
    """White-noise bursts starting at ``times_s``, each ``burst_s`` long with a 2 ms fade out."""
    rng = np.random.default_rng(seed)
    n = _frames(duration_s, sample_rate_hz)
    x = np.zeros(n)
    m = _frames(burst_s, sample_rate_hz)
    env = np.minimum(1.0, np.arange(m, 0, -1) / max(_frames(0.002, sample_rate_hz), 1))
    for t in times_s:
        lo = _frames(t, sample_rate_hz)
        hi = min(lo + m, n)
        x[lo:hi] += amplitude * env[:hi - lo] * rng.uniform(-1, 1, hi - lo)
    return _shape(x, channels)


@dataclass(frozen=True)
class Groove:
    """A drum groove and its ground truth (all times in seconds)."""

    samples: np.ndarray
    sample_rate_hz: int
    bpm: float
    beat_times_s: np.ndarray
    downbeat_times_s: np.ndarray
    kick_times_s: np.ndarray
    snare_times_s: np.ndarray
    hat_times_s: np.ndarray


def groove(*, bpm: float = 120.0, bars: int = 8, beats_per_bar: int = 4, sample_rate_hz: int = SR,
           channels: int = 2, lead_in_s: float = 0.0, seed: int = 0) -> Groove:
    """Kick on every beat, snare on 2 and 4 (or beat 2 in 3/4), closed hats on the off-beats.

    The first beat is at ``lead_in_s``; the audio runs two beats past the last beat. Peaks reach
    ~1.3 where kick and snare coincide (kept: analyzer tests are tuned to this level), so scale
    it down before writing a 16-bit WAV.
    """
    rng = np.random.default_rng(seed)
    sr = sample_rate_hz
    beat_s = 60.0 / bpm
    beats = lead_in_s + beat_s * np.arange(bars * beats_per_bar)
    n = _frames(beats[-1] + 2 * beat_s, sr)
    x = np.zeros(n)
    t = np.arange(_frames(0.3, sr)) / sr
    kick = np.sin(2 * np.pi * (50 * t + 100 * 0.03 * (1 - np.exp(-t / 0.03)))) * np.exp(-t / 0.08)
    ts = t[:_frames(0.15, sr)]
    snare = (rng.uniform(-1, 1, ts.size) * 0.6 + 0.5 * np.sin(2 * np.pi * 190 * ts)) * np.exp(-ts / 0.04)
    th = t[:_frames(0.04, sr)]
    hat = np.diff(rng.uniform(-1, 1, th.size + 1)) * 0.25 * np.exp(-th / 0.01)
    snare_beats = {1} if beats_per_bar == 3 else {1, 3}
    snares = np.array([b for i, b in enumerate(beats) if i % beats_per_bar in snare_beats])
    hats = beats + beat_s / 2
    for times, sound in ((beats, kick * 0.8), (snares, snare * 0.5), (hats, hat)):
        for tt in times:
            lo = _frames(tt, sr)
            hi = min(lo + sound.size, n)
            x[lo:hi] += sound[:hi - lo]
    return Groove(samples=_shape(x, channels), sample_rate_hz=sr, bpm=bpm, beat_times_s=beats,
                  downbeat_times_s=beats[::beats_per_bar], kick_times_s=beats, snare_times_s=snares,
                  hat_times_s=hats)


def write_wav(path, samples: np.ndarray, *, sample_rate_hz: int = SR, float32: bool = False) -> str:
    """Write a WAV: 16-bit PCM via the stdlib (x * 32768, clipped), or 32-bit float via PyAV (NaN kept)."""
    x = np.asarray(samples, np.float32)
    x = x.reshape(-1, 1) if x.ndim == 1 else x
    if float32:
        return write_audio(path, x, sample_rate_hz=sample_rate_hz, codec="pcm_f32le")
    with wave.open(os.fspath(path), "wb") as w:
        w.setnchannels(x.shape[1])
        w.setsampwidth(2)
        w.setframerate(sample_rate_hz)
        w.writeframes(np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2").tobytes())
    return os.fspath(path)


_CODECS = {".wav": "pcm_s16le", ".flac": "flac", ".mp3": "libmp3lame", ".m4a": "aac", ".aac": "aac",
           ".ogg": "vorbis", ".opus": "libopus", ".mka": "flac"}


def write_audio(path, samples: np.ndarray, *, sample_rate_hz: int = SR, codec: str | None = None) -> str:
    """Encode ``samples`` ``(n, channels)`` with PyAV; codec from the extension unless given."""
    x = np.asarray(samples, np.float32)
    x = x.reshape(-1, 1) if x.ndim == 1 else x
    name = codec or _CODECS[os.path.splitext(os.fspath(path))[1].lower()]
    with av.open(os.fspath(path), "w") as container:
        stream = container.add_stream(name, rate=sample_rate_hz, layout=f"{x.shape[1]}c")
        if name == "vorbis":  # FFmpeg's native Vorbis encoder is flagged experimental
            stream.codec_context.options = {"strict": "experimental"}
        _encode_audio(container, stream, x, sample_rate_hz)
    return os.fspath(path)


def write_video(path, *, duration_s: float, fps: int = 25, size_px: tuple[int, int] = (64, 48),
                audio: np.ndarray | None = None, sample_rate_hz: int = SR) -> str:
    """An H.264 mp4 (moving gradient) with an optional AAC track made from ``audio``."""
    w, h = size_px
    with av.open(os.fspath(path), "w") as container:
        vs = container.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        ast = None
        if audio is not None:
            a = np.asarray(audio, np.float32).reshape(len(audio), -1)
            ast = container.add_stream("aac", rate=sample_rate_hz, layout=f"{a.shape[1]}c")
            ast.codec_context.open()  # before the first mux writes the header
        for i in range(int(round(duration_s * fps))):
            img = np.zeros((h, w, 3), np.uint8)
            img[..., 0] = (np.arange(w) * 4 + i * 8) % 256
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for p in vs.encode(frame):
                container.mux(p)
        for p in vs.encode(None):
            container.mux(p)
        if ast is not None:
            _encode_audio(container, ast, a, sample_rate_hz)
    return os.fspath(path)


def _encode_audio(container, stream, x: np.ndarray, sample_rate_hz: int) -> None:
    cc = stream.codec_context
    if not cc.is_open:
        cc.open()  # opening fixes the codec's sample format and frame size
    resampler = av.AudioResampler(format=cc.format, layout=cc.layout, rate=cc.sample_rate,
                                  frame_size=cc.frame_size or None)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(x).reshape(1, -1), format="flt",
                                       layout=cc.layout)
    frame.sample_rate, frame.pts, frame.time_base = sample_rate_hz, 0, Fraction(1, sample_rate_hz)
    for f in resampler.resample(frame) + resampler.resample(None):
        for p in stream.encode(f):
            container.mux(p)
    for p in stream.encode(None):
        container.mux(p)
