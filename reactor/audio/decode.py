"""Decode any audio FFmpeg can read into one float32 clip at a chosen rate, trimmed exactly.

``load_audio`` is the only way audio files enter the engine. It keeps the source's channels,
resamples with PyAV's ``AudioResampler`` and trims by output sample, so a click 1.000 s into a
file is 1.000 s into the clip whatever the container, codec or rate. Time zero is the first
sample the decoder emits: FFmpeg already drops MP3/AAC encoder priming (and moves the stream's
start time instead), so positions count from the stream start, not from pts 0.

A start far into the file seeks (only in containers whose timestamps are exact after a seek),
lands on a sample that is also on the output grid, and so returns the very samples a decode
from the top would.
"""

from __future__ import annotations

import logging
import math
import os
import wave
from dataclasses import dataclass, field
from fractions import Fraction

import av
import numpy as np

from reactor.errors import AudioError

log = logging.getLogger(__name__)

_SEEK_MIN_S = 5.0
"""Seek only when the start is this far in; decoding a few seconds is cheaper than a wrong seek."""
_SEEK_PREROLL_S = 1.0
"""Land this much before the start: codecs need pre-roll (MP3 bit reservoir, Opus 80 ms) and the
resampler's filter needs history before the first sample we keep."""
_FLOAT_FORMATS = frozenset({"flt", "fltp", "dbl", "dblp"})
_LOSSY_DECODERS = frozenset({"mp3", "mp3float", "mp2", "mp2float", "aac", "aac_fixed", "vorbis", "libvorbis",
                             "opus", "libopus", "ac3", "eac3", "wmav1", "wmav2", "atrac3"})
"""Decoders whose float output is computed, not stored: a bitstream cannot carry NaN or Inf to
them, so their frames skip the per-frame NaN check (the resampled blocks are still checked)."""
_BLOCK_SAMPLES = 8192
"""The resampler hands out blocks this long (an MP3 frame is 1152 samples): per-block Python
work is paid 7x less often on a long file, and a stream's blocks stay small (0.17 s)."""
_PCM_CONTAINERS = frozenset({"wav", "w64", "aiff"})
_SKIP = object()
# Containers whose timestamps after a seek are exact (sample tables, granules, frame numbers).
# MP3 and raw AAC timestamps after a seek are estimated from the bitrate, so they decode from the top.
_SEEK_EXACT = frozenset({"wav", "w64", "aiff", "flac", "mov", "mp4", "matroska", "webm", "ogg"})
_NOT_MEDIA_FORMATS = frozenset({"tty", "image2", "txt"})  # text and still images FFmpeg can "play"


@dataclass(frozen=True, eq=False)  # arrays inside: compare contents explicitly
class AudioClip:
    """Decoded audio: a read-only float32 ``(n, channels)`` array at one sample rate.

    Attributes
    ----------
    samples : np.ndarray
        float32, shape ``(n, channels)``, C-contiguous, read-only; nominally -1..1 but values
        outside are kept (clipping and DC are valid audio).
    sample_rate_hz : int
        Samples per second per channel.
    source : str
        Where the audio came from (a path, or ``"demo"``).
    repaired : int
        How many non-finite (NaN/Inf) samples were replaced by 0 while decoding.
    """

    samples: np.ndarray
    sample_rate_hz: int
    source: str
    repaired: int = field(default=0)

    def __post_init__(self) -> None:
        a = np.ascontiguousarray(self.samples, dtype=np.float32)
        if a.ndim == 1:
            a = a.reshape(-1, 1)
        if a.ndim != 2 or a.shape[1] < 1:
            raise ValueError(f"AudioClip samples must have shape (n, channels), got {a.shape}")
        if int(self.sample_rate_hz) <= 0:
            raise ValueError(f"AudioClip sample_rate_hz must be positive, got {self.sample_rate_hz}")
        a = a.view()  # a view, so freezing it never freezes the caller's array
        a.setflags(write=False)
        object.__setattr__(self, "samples", a)
        object.__setattr__(self, "sample_rate_hz", int(self.sample_rate_hz))

    @property
    def duration_s(self) -> float:
        """Length in seconds (``n / sample_rate_hz``)."""
        return self.samples.shape[0] / self.sample_rate_hz

    @property
    def channels(self) -> int:
        """Number of channels (columns of ``samples``)."""
        return self.samples.shape[1]

    def trimmed(self, start_s: float = 0.0, duration_s: float | None = None) -> "AudioClip":
        """The part from ``start_s`` lasting ``duration_s`` (to the end if None), by exact sample,
        as :func:`load_audio` trims a file. Raises ``AudioError`` naming the source."""
        _check_args(self.source, self.sample_rate_hz, start_s, duration_s)
        a = int(round(start_s * self.sample_rate_hz))
        if a >= self.samples.shape[0]:
            raise AudioError(f"{self.source}: start {start_s:g} s is past the end ({self.duration_s:.2f} s)")
        b = None if duration_s is None else a + int(round(duration_s * self.sample_rate_hz))
        return AudioClip(samples=self.samples[a:b], sample_rate_hz=self.sample_rate_hz, source=self.source,
                         repaired=self.repaired)

    def mono(self) -> np.ndarray:
        """Mean of all channels, float32 shape ``(n,)`` (a new writable array)."""
        if self.channels == 1:
            return self.samples[:, 0].copy()
        return self.samples.mean(axis=1, dtype=np.float64).astype(np.float32)


def load_audio(path: str | os.PathLike, *, sample_rate_hz: int = 48000, start_s: float = 0.0,
               duration_s: float | None = None) -> AudioClip:
    """Decode an audio file (or the audio track of a video) into an :class:`AudioClip`.

    Parameters
    ----------
    path : str or PathLike
        Anything FFmpeg reads: wav, flac, mp3, m4a/aac, ogg, opus, mp4/mkv/mov/webm with audio, ...
    sample_rate_hz : int
        Output rate; the source (8-192 kHz) is resampled to it. Channels are kept as they are.
    start_s : float
        First output sample is ``round(start_s * sample_rate_hz)`` of the resampled stream.
    duration_s : float or None
        Output has exactly ``round(duration_s * sample_rate_hz)`` samples, or fewer if the audio
        ends first; ``None`` reads to the end.

    Returns
    -------
    AudioClip
        float32 ``(n, channels)``; NaN/Inf replaced by 0 and counted in ``repaired``.

    Raises
    ------
    AudioError
        One line naming the file: missing, not audio, no audio stream, corrupt with nothing
        decodable, no samples, start beyond the end, or bad start/duration/rate.
    """
    name = os.fspath(path)
    rate = _check_args(name, sample_rate_hz, start_s, duration_s)
    first = int(round(start_s * rate))
    stop = None if duration_s is None else first + int(round(duration_s * rate))
    if stop is not None and stop <= first:
        raise AudioError(f"{name}: duration {duration_s} s is shorter than one sample at {rate} Hz")
    if not os.path.exists(name):
        raise AudioError(f"{name}: file not found")
    if os.path.isdir(name):
        raise AudioError(f"{name}: is a directory, not an audio file")

    result = None
    if start_s >= _SEEK_MIN_S:
        result = _decode(name, rate, first, stop, seek_s=start_s - _SEEK_PREROLL_S)
    if result is None:  # no seek wanted, or the seek could not be trusted: decode from the top
        result = _decode(name, rate, first, stop, seek_s=None)
    chunks, end, repaired, errors = result
    if end == 0:
        what = "corrupt, nothing could be decoded" if errors else "contains no audio samples"
        raise AudioError(f"{name}: {what}")
    if end <= first:
        raise AudioError(f"{name}: start {start_s:g} s is beyond the end of the audio ({end / rate:.3f} s)")
    if errors:
        log.warning("%s: %d undecodable packet(s) skipped; using what could be decoded", name, errors)
    samples = np.concatenate(chunks) if len(chunks) != 1 else chunks[0]
    return AudioClip(samples=samples, sample_rate_hz=rate, source=name, repaired=repaired)


class AudioStream:
    """An audio file decoded as it is read, for long mixes in bounded memory.

    The same samples as :func:`load_audio` with the same arguments, delivered as float32
    ``(n, channels)`` blocks (one decoded frame's worth, a few thousand samples) by ``blocks()``;
    only the current block is held. ``duration_estimate_s`` comes from the container (for a
    progress bar; the exact length is known at the end). Errors (missing file, no audio, start
    past the end) are raised when the stream is opened, before any rendering starts.
    """

    def __init__(self, path: str | os.PathLike, *, sample_rate_hz: int = 48000, start_s: float = 0.0,
                 duration_s: float | None = None) -> None:
        name = os.fspath(path)
        self.source = name
        self.start_s, self.duration_s = float(start_s), duration_s
        self.sample_rate_hz = rate = _check_args(name, sample_rate_hz, start_s, duration_s)
        if not os.path.isfile(name):
            raise AudioError(f"{name}: file not found" if not os.path.exists(name) else f"{name}: not a file")
        first = int(round(start_s * rate))
        stop = None if duration_s is None else first + int(round(duration_s * rate))
        container, stream = _open(name)
        try:
            total = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else (
                container.duration / 1e6 if container.duration else None)
        finally:
            container.close()
        self.duration_estimate_s = None if total is None else max(0.0, min(total, (stop or 1e18) / rate) - first / rate)
        self._state = _Collect(rate=rate, first=first, stop=stop)
        seek = start_s - _SEEK_PREROLL_S if start_s >= _SEEK_MIN_S else None
        self._gen = self._open_blocks(name, seek)
        self._head = next(self._gen, None)  # decode the first block now: errors surface here
        if self._head is None:
            end = self._state.pos or 0
            if end == 0:
                what = "corrupt, nothing could be decoded" if self._state.errors else "contains no audio samples"
                raise AudioError(f"{name}: {what}")
            raise AudioError(f"{name}: start {start_s:g} s is beyond the end of the audio ({end / rate:.3f} s)")
        self.channels = self._head.shape[1]

    def reopen(self) -> "AudioStream":
        """A new stream over the same file and range, from its start (e.g. for a first pass)."""
        return AudioStream(self.source, sample_rate_hz=self.sample_rate_hz, start_s=self.start_s,
                           duration_s=self.duration_s)

    def _open_blocks(self, name: str, seek_s: float | None):
        if seek_s is not None:
            try:
                first_block = True
                for block in _decode_blocks(name, self._state, seek_s=seek_s):
                    first_block = False
                    yield block
                return
            except _SeekUntrusted:
                if not first_block:
                    raise
                self._state = _Collect(rate=self._state.rate, first=self._state.first, stop=self._state.stop)
        yield from _decode_blocks(name, self._state, seek_s=None)

    @property
    def repaired(self) -> int:
        return self._state.repaired

    def blocks(self):
        """The decoded samples, block by block, from the start to the end (once)."""
        head, self._head = self._head, None
        if head is not None:
            yield head
        for block in self._gen:
            yield block
        if self._state.errors:
            log.warning("%s: %d undecodable packet(s) skipped; using what could be decoded",
                        self.source, self._state.errors)


def save_wav(path: str | os.PathLike, clip: AudioClip) -> None:
    """Write ``clip`` as 16-bit PCM WAV (x * 32768 rounded, clipped to the 16-bit range, no dither).

    The scale matches FFmpeg's, so ``load_audio`` returns the samples within half an LSB.
    """
    pcm = np.clip(np.round(clip.samples * 32768.0), -32768, 32767).astype("<i2")
    try:
        with wave.open(os.fspath(path), "wb") as w:
            w.setnchannels(clip.channels)
            w.setsampwidth(2)
            w.setframerate(clip.sample_rate_hz)
            w.writeframes(pcm.tobytes())
    except OSError as e:
        raise AudioError(f"{os.fspath(path)}: cannot write WAV ({e.strerror or e})") from None


def _check_args(name: str, sample_rate_hz: int, start_s: float, duration_s: float | None) -> int:
    if not (isinstance(sample_rate_hz, (int, np.integer)) and 8000 <= sample_rate_hz <= 384000):
        raise AudioError(f"{name}: sample_rate_hz must be an integer 8000..384000, got {sample_rate_hz!r}")
    if not math.isfinite(start_s) or start_s < 0:
        raise AudioError(f"{name}: start must be >= 0 s, got {start_s}")
    if duration_s is not None and (not math.isfinite(duration_s) or duration_s <= 0):
        raise AudioError(f"{name}: duration must be > 0 s, got {duration_s}")
    return int(sample_rate_hz)


def _open(name: str):
    try:
        container = av.open(name, "r")
    except (av.FFmpegError, OSError, UnicodeDecodeError) as e:
        raise AudioError(f"{name}: cannot be read as audio, not audio or truncated ({_reason(e)})") from None
    stream = container.streams.best("audio")
    if stream is None:
        fmt = container.format.name
        container.close()
        if fmt in _NOT_MEDIA_FORMATS or fmt.endswith("_pipe"):
            raise AudioError(f"{name}: not an audio file (FFmpeg reads it as {fmt!r})")
        raise AudioError(f"{name}: no audio stream in this {fmt.split(',')[0]} file")
    if stream.codec_context is None:
        container.close()
        raise AudioError(f"{name}: audio codec is not supported by this FFmpeg build")
    return container, stream


class _SeekUntrusted(Exception):
    """The seek landed somewhere we cannot place exactly: decode from the top instead."""


def _decode(name: str, rate: int, first: int, stop: int | None, *, seek_s: float | None):
    """Decode into output samples ``[first, stop)``; returns None when a seek was not trustworthy.

    Returns ``(chunks, end, repaired, errors)`` where ``end`` is the output-sample index just
    after the last sample decoded (the length of the audio when decoding ran to EOF).
    """
    state = _Collect(rate=rate, first=first, stop=stop)
    chunks: list[np.ndarray] = []
    try:
        for block in _decode_blocks(name, state, seek_s=seek_s):
            chunks.append(block)
    except _SeekUntrusted:
        return None
    return chunks, state.pos or 0, state.repaired, state.errors


def _decode_blocks(name: str, state: "_Collect", *, seek_s: float | None):
    """Yield the output samples ``[state.first, state.stop)`` as float32 ``(n, ch)`` blocks, as
    they are decoded (one decoded frame's worth at a time). Raises ``_SeekUntrusted`` before
    yielding anything when the seek cannot be trusted."""
    container, stream = _open(name)
    try:
        tb = stream.time_base
        origin = Fraction(stream.start_time) * tb if stream.start_time is not None else None
        if origin is None and container.format.name in _PCM_CONTAINERS:
            origin = Fraction(0)  # plain PCM has no start time, and no priming either
        if seek_s is not None:
            if origin is None or tb is None or not _SEEK_EXACT & set(container.format.name.split(",")):
                raise _SeekUntrusted
            try:
                container.seek(int((origin + Fraction(seek_s)) / tb), stream=stream, backward=True)
            except av.FFmpegError:
                raise _SeekUntrusted from None
        resampler = layout = None
        check = stream.codec_context.name not in _LOSSY_DECODERS
        for frame in _frames(container, stream, state):
            if check:
                frame = _repair(frame, state)
            if state.pos is None:
                if seek_s is None:
                    state.pos = 0
                else:
                    frame = _align_after_seek(frame, state, origin)
                    if frame is None:
                        raise _SeekUntrusted
                    if frame is _SKIP:
                        continue
            if resampler is None:
                layout = frame.layout.name
                resampler = _resampler(layout, state.rate)
            try:
                outs = resampler.resample(frame)
            except ValueError:  # format/layout/rate changed mid-stream: start a new resampler
                outs = resampler.resample(None)
                resampler = _resampler(layout, state.rate)
                outs += resampler.resample(frame)
            for out in outs:
                state.add(out)
            yield from state.drain()
            if state.done:
                break
        else:
            for out in resampler.resample(None) if resampler is not None else []:
                state.add(out)
            yield from state.drain()
        if seek_s is not None and state.pos is None:
            raise _SeekUntrusted
    finally:
        container.close()


def _resampler(layout: str, rate: int):
    return av.AudioResampler(format="flt", layout=layout, rate=rate, frame_size=_BLOCK_SAMPLES)


class _Collect:
    """Keeps the resampled samples that fall in ``[first, stop)``; tracks the output position."""

    def __init__(self, *, rate: int, first: int, stop: int | None) -> None:
        self.rate, self.first, self.stop = rate, first, stop
        self.chunks: list[np.ndarray] = []
        self.pos: int | None = None
        self.repaired = 0
        self.errors = 0

    @property
    def done(self) -> bool:
        return self.stop is not None and self.pos is not None and self.pos >= self.stop

    def add(self, out) -> None:
        """Append the part of one resampled frame that falls inside ``[first, stop)``."""
        a = out.to_ndarray().reshape(out.samples, -1)  # packed float: (1, n * ch) -> (n, ch)
        lo, hi = self.pos, self.pos + a.shape[0]
        self.pos = hi
        begin = max(self.first - lo, 0)
        end = a.shape[0] if self.stop is None else min(self.stop, hi) - lo
        a = a[begin:max(end, begin)]
        if a.shape[0]:
            bad = ~np.isfinite(a)
            if bad.any():  # e.g. huge doubles that overflow float32
                a = np.where(bad, np.float32(0), a)
                self.repaired += int(bad.sum())
            self.chunks.append(a)

    def drain(self) -> list[np.ndarray]:
        """The blocks collected since the last drain (and forget them)."""
        out, self.chunks = self.chunks, []
        return out


def _frames(container, stream, state: _Collect):
    """Decoded frames of ``stream``; undecodable packets are counted and skipped."""
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.FFmpegError:  # truncated/corrupt container: keep what we have
            state.errors += 1
            return
        try:
            frames = packet.decode()
        except av.FFmpegError:
            state.errors += 1
            continue
        yield from frames


def _align_after_seek(frame, state: _Collect, origin: Fraction):
    """Trim the first frame after a seek so it starts on the output grid; sets ``state.pos``.

    A fresh resampler's first output sample sits at its first input sample. Starting that input
    on a time that is also a whole output sample (a multiple of ``in_rate / gcd``) makes the
    seek path give the same samples as decoding from the top. Returns None if the frame has no
    timestamp or starts after the first wanted sample (the seek overshot).
    """
    if frame.pts is None or frame.time_base is None:
        return None
    in_rate = frame.sample_rate
    p = int(round((Fraction(frame.pts) * frame.time_base - origin) * in_rate))
    k = -p % (in_rate // math.gcd(in_rate, state.rate))
    if p < 0 or (p + k) * state.rate // in_rate > state.first:
        return None
    if k >= frame.samples:  # no grid point in this frame: wait for the next one
        return _SKIP
    state.pos = (p + k) * state.rate // in_rate
    return _drop_leading(frame, k)


def _drop_leading(frame, k: int):
    if k == 0:
        return frame
    a = frame.to_ndarray()
    a = a[:, k:] if frame.format.is_planar else a[:, k * len(frame.layout.channels):]
    out = av.AudioFrame.from_ndarray(np.ascontiguousarray(a), format=frame.format.name,
                                     layout=frame.layout.name)
    out.sample_rate, out.time_base = frame.sample_rate, frame.time_base
    out.pts = frame.pts + int(round(Fraction(k, frame.sample_rate) / frame.time_base))
    return out


def _repair(frame, state: _Collect):
    """Replace NaN/Inf in float frames by 0 before resampling (the filter would smear them)."""
    if frame.format.name not in _FLOAT_FORMATS:
        return frame
    a = frame.to_ndarray()
    bad = ~np.isfinite(a)
    if not bad.any():
        return frame
    state.repaired += int(bad.sum())
    fixed = av.AudioFrame.from_ndarray(np.where(bad, 0, a).astype(a.dtype), format=frame.format.name,
                                       layout=frame.layout.name)
    fixed.sample_rate, fixed.pts, fixed.time_base = frame.sample_rate, frame.pts, frame.time_base
    return fixed


def _reason(e: BaseException) -> str:
    text = getattr(e, "strerror", None) or str(e) or type(e).__name__
    return text.splitlines()[0] if text else type(e).__name__
