"""Sound-on video files: numpy RGB frames plus float audio in, a tagged, synced clip out.

``VideoSink`` encodes H.264 (default), HEVC or ProRes with PyAV. It knows nothing about GL: it takes
``uint8 (h, w, 3)`` frames, top row first, and ``float32 (n, channels)`` audio blocks.

What a clip maker can rely on:

- Colour: RGB is converted with the BT.709 matrix to limited ("tv") range and the stream is tagged
  bt709 primaries / transfer / matrix, tv range, so players do not guess (and shift colours).
- Timing: constant frame rate, frame ``n`` at ``n / fps``. Audio is sample-accurate: the AAC
  encoder's 1024-sample priming is hidden by the MP4 edit list, so sample 0 plays with frame 0,
  and the audio is trimmed or padded with silence to the video's length.
- Safety: the file is written as ``<path>.part`` and renamed when finished, so a killed process
  never leaves a half file under the final name; ``abort()`` (Ctrl-C) finishes a playable partial
  clip; write errors (disk full) raise ``OutputError`` and remove the ``.part`` file.

Quality presets (CPU per 1280x720 frame, all threads, from ``benchmarks/bench_encode.py`` on the
2-core dev box; a real scene on software GL costs ~100+ ms per frame on top):

- ``draft``: x264 ultrafast, crf 28, 8x8dct on (keeps the High profile): ~14 ms, ~3.9 Mbit/s.
- ``normal``: x264 superfast, crf 21. On rendered scenes (``bench_encode.py --scenes``, 720p)
  it costs 41-49 % less CPU than veryfast crf 20 (the earlier setting: kaleido 12.6 against 24.6
  core-ms a frame) at the same or better PSNR (42.4 against 42.2 dB on kaleido, the busiest),
  for 17-180 % more bytes (kaleido 9.6 against 8.2 Mbit/s): the encoder is most of a frame's
  cost once the scene is light, so this is what lets clips render faster than real time.
- ``high``: x264 veryfast, crf 17: ~40 ms, ~5.1 Mbit/s. Presets faster/fast/medium cost 66/80/100
  ms for no fewer bytes at the same crf, so they cannot keep 720p30 render+encode near real time.
- ``lossless``: x264 ultrafast, crf 0 (High 4:4:4 Predictive, exact YUV): ~18 ms, ~110 Mbit/s.

HEVC (libx265) uses the same speed presets with crf 32/24/21 and x265 lossless; ProRes (prores_ks,
``.mov`` only, yuv422p10le, 24-bit PCM audio) maps draft/normal/high to LT/standard/HQ.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from av.video.reformatter import ColorPrimaries, ColorRange, ColorTrc, Colorspace, VideoReformatter

from reactor.blocks import take_frames
from reactor.errors import OutputError

__all__ = ["VideoSink", "EncodeStats", "CODECS", "QUALITIES", "validate_output"]

QUALITIES = ("draft", "normal", "high", "lossless")
_CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov"}
_QUEUE_ITEMS = 4  # frames in flight: enough to overlap render and encode, small enough for RAM
_AAC_BITS_PER_CHANNEL = 96_000
# Fragmented MP4 for recordings that must survive a crash: a fragment per keyframe, each written
# to disk at once (MACHINE-NOTES "Video files": kill -9 keeps all but the last fragment).
_FRAGMENTED_OPTIONS = {"movflags": "frag_keyframe+empty_moov+default_base_moof", "flush_packets": "1"}


@dataclass(frozen=True)
class _Codec:
    encoder: str
    pix_fmt: str
    extensions: tuple[str, ...]
    audio_codec: str
    options: dict[str, dict[str, str]]  # quality -> encoder options


CODECS: dict[str, _Codec] = {
    "h264": _Codec("libx264", "yuv420p", (".mp4", ".m4v", ".mov"), "aac", {
        "draft": {"preset": "ultrafast", "crf": "28", "x264-params": "8x8dct=1"},
        "normal": {"preset": "superfast", "crf": "21"},
        "high": {"preset": "veryfast", "crf": "17"},
        "lossless": {"preset": "ultrafast", "crf": "0"},
    }),
    "hevc": _Codec("libx265", "yuv420p", (".mp4", ".m4v", ".mov"), "aac", {
        "draft": {"preset": "ultrafast", "crf": "32", "x265-params": "log-level=error"},
        "normal": {"preset": "veryfast", "crf": "24", "x265-params": "log-level=error"},
        "high": {"preset": "veryfast", "crf": "21", "x265-params": "log-level=error"},
        "lossless": {"preset": "ultrafast", "x265-params": "log-level=error:lossless=1"},
    }),
    "prores": _Codec("prores_ks", "yuv422p10le", (".mov",), "pcm_s24le", {
        "draft": {"profile": "lt", "vendor": "apl0"},
        "normal": {"profile": "standard", "vendor": "apl0"},
        "high": {"profile": "hq", "vendor": "apl0"},
    }),
}
"""Codec name -> encoder, pixel format, allowed file extensions, audio codec, options per quality."""


@dataclass(frozen=True)
class EncodeStats:
    """What a finished (or aborted) encode produced.

    Attributes
    ----------
    path : str or None
        The clip written, or None when nothing was saved (no frames).
    frames : int
        Video frames in the file.
    audio_samples : int
        Audio samples per channel in the file (trimmed/padded to the video length).
    duration_s : float
        ``frames / fps``.
    encode_s : float
        Seconds spent converting, encoding and muxing (on the worker thread when threaded).
    wait_s : float
        Seconds the caller was blocked waiting for the encoder (0 when encoding keeps up).
    aborted : bool
        True for a partial clip from ``abort()``.
    """

    path: str | None
    frames: int
    audio_samples: int
    duration_s: float
    encode_s: float
    wait_s: float
    aborted: bool


def _error(path: str, exc: BaseException) -> OutputError:
    reason = getattr(exc, "strerror", None) or str(exc).strip() or type(exc).__name__
    reason = reason.splitlines()[0]
    return OutputError(f"cannot write video {path}: {reason}")


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _audio_samples_for(frames: int, *, fps: Fraction, sample_rate_hz: int) -> int:
    """Audio samples per channel that span ``frames`` video frames (rounded to nearest)."""
    exact = Fraction(frames * sample_rate_hz) / fps
    return int(exact + Fraction(1, 2))


def _to_fraction(fps: float | Fraction) -> Fraction:
    """Exact frame rate; floats like 29.97 or 23.976 mean the NTSC rates n*1000/1001."""
    try:
        rate = Fraction(fps)
    except (TypeError, ValueError, OverflowError):
        raise OutputError(f"fps must be a positive number, got {fps!r}") from None
    if isinstance(fps, float):
        ntsc = Fraction(round(fps * 1.001) * 1000, 1001)
        rate = ntsc if abs(fps - ntsc) < 0.002 and fps != round(fps) else rate.limit_denominator(1001)
    if rate <= 0:
        raise OutputError(f"fps must be a positive number, got {fps!r}")
    return rate


def validate_output(path: str, *, width_px: int, height_px: int, codec: str, quality: str,
                    sample_rate_hz: int, audio_channels: int) -> tuple[_Codec, str]:
    """Check a clip's settings before any work; returns the codec spec and container format.

    Raises ``OutputError`` (one line naming ``path``) for an odd size, unknown codec or quality,
    a missing encoder, a wrong file extension, an audio rate the codec cannot store, or a
    missing output folder.
    """
    if width_px <= 0 or height_px <= 0 or width_px % 2 or height_px % 2:
        raise OutputError(f"{path}: video size must be even and positive, got "
                          f"{width_px}x{height_px} (try {width_px // 2 * 2 or 2}x"
                          f"{height_px // 2 * 2 or 2})")
    if codec not in CODECS:
        raise OutputError(f"{path}: unknown codec {codec!r}; choose one of {', '.join(CODECS)}")
    spec = CODECS[codec]
    if quality not in spec.options:
        raise OutputError(f"{path}: quality {quality!r} is not available for {codec}; "
                          f"choose one of {', '.join(spec.options)}")
    if not _has_encoder(spec.encoder):
        have = [name for name, c in CODECS.items() if _has_encoder(c.encoder)]
        raise OutputError(f"{path}: encoder {spec.encoder} for {codec} is not in this PyAV "
                          f"build; available: {', '.join(have)}") from None
    ext = os.path.splitext(path)[1].lower()
    if ext not in spec.extensions:
        raise OutputError(f"{path}: {codec} needs a file ending in {' or '.join(spec.extensions)}")
    if audio_channels < 0:
        raise OutputError(f"{path}: audio_channels must be >= 0, got {audio_channels}")
    if audio_channels:
        rates = av.codec.Codec(spec.audio_codec, "w").audio_rates
        if rates and sample_rate_hz not in rates:
            raise OutputError(f"{path}: {spec.audio_codec} cannot store {sample_rate_hz} Hz "
                              f"audio; resample to 48000 Hz")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"{path}: output folder {folder} does not exist or is not a folder")
    return spec, _CONTAINERS[ext]


class _Encoder:
    """PyAV container, encoders and audio buffer. Used by one thread at a time (see VideoSink)."""

    def __init__(self, part_path: str, container_format: str, codec: _Codec, quality: str, *,
                 width_px: int, height_px: int, fps: Fraction, sample_rate_hz: int,
                 audio_channels: int, fragmented: bool = False, gop_frames: int | None = None) -> None:
        self.fps = fps
        self.sample_rate_hz = sample_rate_hz
        self.frames = 0
        self.audio_pos = 0  # samples encoded so far
        self.encode_s = 0.0
        self._pending: list[np.ndarray] = []  # mixed (n, out_channels) float32 blocks not yet encoded
        self._pending_n = 0
        self._pix_fmt = codec.pix_fmt
        self._reformatter = VideoReformatter()
        # movie_timescale = sample rate makes the edit list (which hides the AAC priming and
        # trims the last AAC frame) exact to the sample instead of to the millisecond
        # fragmented (live recording): a playable file up to the last fragment if the process dies
        container_options = dict(_FRAGMENTED_OPTIONS) if fragmented else {"movflags": "+faststart"}
        container_options["movie_timescale"] = str(sample_rate_hz if audio_channels else 1000)
        video_options = dict(codec.options[quality])
        if fragmented and codec.encoder in ("libx264", "libx265"):
            video_options["tune"] = "zerolatency"  # no lookahead/B-frames held inside the encoder
        self._out = av.open(part_path, "w", format=container_format, container_options=container_options)
        try:
            self._video = self._out.add_stream(codec.encoder, rate=fps, options=video_options)
            ctx = self._video.codec_context
            ctx.width, ctx.height, ctx.pix_fmt = width_px, height_px, codec.pix_fmt
            ctx.time_base = 1 / fps
            if gop_frames is not None:
                ctx.gop_size = gop_frames
            ctx.color_primaries, ctx.color_trc = ColorPrimaries.BT709, ColorTrc.BT709
            ctx.colorspace, ctx.color_range = 1, ColorRange.MPEG  # 1 = AVCOL_SPC_BT709
            if codec.encoder == "libx265":
                ctx.codec_tag = "hvc1"  # Apple players refuse HEVC tagged hev1
            self._audio = None
            self._out_channels = min(audio_channels, 2)
            if audio_channels:
                layout = "mono" if self._out_channels == 1 else "stereo"
                self._audio = self._out.add_stream(codec.audio_codec, rate=sample_rate_hz, layout=layout)
                if codec.audio_codec == "aac":
                    self._audio.codec_context.bit_rate = _AAC_BITS_PER_CHANNEL * self._out_channels
                self._audio.codec_context.time_base = Fraction(1, sample_rate_hz)
            self._out.start_encoding()  # opens the file now, so a bad path fails before rendering
        except BaseException:
            self._out.close()
            raise

    def encode_frame(self, rgb_frame: av.VideoFrame) -> None:
        t0 = time.perf_counter()
        frame = self._reformatter.reformat(
            rgb_frame, format=self._pix_fmt, src_colorspace=Colorspace.ITU709,
            dst_colorspace=Colorspace.ITU709, src_color_range=ColorRange.JPEG,
            dst_color_range=ColorRange.MPEG, threads=1)
        # some encoders (prores_ks) copy the tags from each frame rather than from the stream
        frame.color_primaries, frame.color_trc = ColorPrimaries.BT709, ColorTrc.BT709
        frame.pts = self.frames
        frame.time_base = self._video.codec_context.time_base
        self._out.mux(self._video.encode(frame))
        self.frames += 1
        self._encode_audio(pad=False)
        self.encode_s += time.perf_counter() - t0

    def add_audio(self, mixed: np.ndarray) -> None:
        if self._audio is None or not len(mixed):
            return
        self._pending.append(mixed)
        self._pending_n += len(mixed)
        t0 = time.perf_counter()
        self._encode_audio(pad=False)
        self.encode_s += time.perf_counter() - t0

    def _encode_audio(self, *, pad: bool) -> None:
        """Encode buffered audio, never past the end of the frames encoded so far.

        Staying behind the video is what lets ``abort()`` trim the audio to the frames written.
        With ``pad`` the audio is completed with silence up to the video's end.
        """
        if self._audio is None:
            return
        ctx = self._audio.codec_context
        block = ctx.frame_size or 1024
        target = _audio_samples_for(self.frames, fps=self.fps, sample_rate_hz=self.sample_rate_hz)
        while self.audio_pos < target:
            available = self._pending_n if not pad else target - self.audio_pos
            n = min(block, target - self.audio_pos, available)
            if n < block and not pad:
                return  # wait for a full block (only the last frame of the file may be short)
            self._mux_audio(self._take(n), ctx)

    def _take(self, n: int) -> np.ndarray:
        out, got = take_frames(self._pending, n, self._out_channels)
        self._pending_n -= got
        return out

    def _mux_audio(self, samples: np.ndarray, ctx) -> None:
        if ctx.format.name == "s32":  # pcm_s24le takes the top 24 bits of s32
            packed = (np.clip(samples, -1.0, 1.0) * 8388607.0).round().astype(np.int32) << 8
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(packed.reshape(1, -1)),
                                               format="s32", layout=ctx.layout)
        else:
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.T), format="fltp",
                                               layout=ctx.layout)
        frame.sample_rate = self.sample_rate_hz
        frame.pts = self.audio_pos
        frame.time_base = ctx.time_base
        self._out.mux(self._audio.encode(frame))
        self.audio_pos += len(samples)

    def finish(self) -> None:
        """Complete the audio to the video's length, flush both encoders and write the index."""
        t0 = time.perf_counter()
        self._encode_audio(pad=True)
        self._out.mux(self._video.encode(None))
        if self._audio is not None:
            self._out.mux(self._audio.encode(None))
        self._out.close()
        self.encode_s += time.perf_counter() - t0

    def discard(self) -> None:
        try:
            self._out.close()
        except (av.FFmpegError, OSError):
            pass  # the file is being deleted anyway; the first error is the one reported


class VideoSink:
    """Encode RGB frames and float audio into one video file.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; ``.mp4``/``.m4v``/``.mov`` (``.mov`` only for ProRes). Written as
        ``<path>.part`` and renamed on ``close()``/``abort()``. An existing file is replaced.
    width_px, height_px : int
        Frame size in pixels; both must be even (4:2:0 chroma).
    fps : int, float or Fraction
        Constant frame rate; frame ``n`` is shown at ``n / fps`` seconds.
    sample_rate_hz : int
        Rate of the audio given to ``write_audio`` (it is encoded at this rate, not resampled).
    audio_channels : int
        Channels of the audio given to ``write_audio``; 0 means no audio stream. 1 is encoded
        mono, 2 stereo; more are mixed to stereo (even-numbered channels left, odd right).
    codec : {"h264", "hevc", "prores"}
    quality : {"draft", "normal", "high", "lossless"}
        See the module docstring for what each means per codec.
    threaded : bool
        Convert, encode and mux on a worker thread so the caller's rendering overlaps encoding.
        The file is byte-identical either way.

    Raises
    ------
    OutputError
        Bad size/rate/codec/quality, a missing encoder, or an output path that cannot be written
        (checked here, before any rendering starts).

    Notes
    -----
    All methods are for one thread (the render loop). With ``threaded=True`` the only object
    shared with the worker is a bounded ``queue.Queue`` of ``(kind, payload)`` items (frames are
    copied into it); the worker's error and counters are read by the caller only after a
    ``join``, except for the error, which is also checked (one attribute read) before each write.
    Use as a context manager: an exception inside the block aborts (keeping a partial clip).
    """

    def __init__(self, path: str | os.PathLike, *, width_px: int, height_px: int,
                 fps: float | Fraction, sample_rate_hz: int = 48000, audio_channels: int = 2,
                 codec: str = "h264", quality: str = "high", threaded: bool = True) -> None:
        self.path = os.fspath(path)
        self.width_px, self.height_px = int(width_px), int(height_px)
        self.fps = _to_fraction(fps)
        self.sample_rate_hz, self.audio_channels = int(sample_rate_hz), int(audio_channels)
        spec, container_format = validate_output(
            self.path, width_px=self.width_px, height_px=self.height_px, codec=codec, quality=quality,
            sample_rate_hz=self.sample_rate_hz, audio_channels=self.audio_channels)
        self._part = self.path + ".part"
        try:
            self._encoder = _Encoder(self._part, container_format, spec, quality,
                                     width_px=self.width_px, height_px=self.height_px, fps=self.fps,
                                     sample_rate_hz=self.sample_rate_hz,
                                     audio_channels=self.audio_channels)
        except (av.FFmpegError, OSError, ValueError) as exc:
            _remove(self._part)
            raise _error(self.path, exc) from exc
        self._closed = False
        self._stats: EncodeStats | None = None
        self._failure: BaseException | None = None  # set by the worker thread, once
        self._wait_s = 0.0
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        if threaded:
            self._queue = queue.Queue(maxsize=_QUEUE_ITEMS)
            self._thread = threading.Thread(target=self._worker, name="reactor-video-encoder",
                                            daemon=True)
            self._thread.start()

    # -- caller thread -------------------------------------------------------------------------

    def write_frame(self, rgb: np.ndarray) -> None:
        """Append one frame: ``uint8 (height_px, width_px, 3)`` RGB, top row first."""
        self._check_open()
        if rgb.dtype != np.uint8 or rgb.shape != (self.height_px, self.width_px, 3):
            raise ValueError(f"frame must be uint8 ({self.height_px}, {self.width_px}, 3), "
                             f"got {rgb.dtype} {rgb.shape}")
        # from_ndarray copies, so the caller may reuse its buffer at once
        self._submit("frame", av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24"))

    def write_audio(self, samples: np.ndarray) -> None:
        """Append audio: float ``(n, audio_channels)`` in -1..1, any ``n``, any number of calls.

        Audio may run ahead of the frames (e.g. the whole track at once); the file keeps only
        what spans the frames written, padding with silence if the audio falls short.
        """
        self._check_open()
        samples = np.asarray(samples)
        if self.audio_channels == 0:
            raise ValueError("this VideoSink has no audio stream (audio_channels=0)")
        if samples.ndim != 2 or samples.shape[1] != self.audio_channels or samples.dtype.kind != "f":
            raise ValueError(f"audio must be float (n, {self.audio_channels}), got {samples.dtype} {samples.shape}")
        self._submit("audio", _mix(samples, self.audio_channels))

    def close(self) -> EncodeStats:
        """Finish the clip (audio matched to the video length) and move it to ``path``."""
        return self._finish(aborted=False)

    def abort(self) -> EncodeStats | None:
        """Stop early (e.g. Ctrl-C) and keep a playable clip of the frames written so far.

        The audio is trimmed to those frames. With no frames written, nothing is saved. Safe to
        call after ``close()`` or a failed write (returns the earlier stats, or None).
        """
        if self._closed:
            return self._stats
        return self._finish(aborted=True)

    def __enter__(self) -> "VideoSink":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._closed:
            return
        if exc_type is None:
            self.close()
            return
        try:
            self.abort()
        except OutputError as err:  # keep the original exception; mention the lost clip
            if hasattr(exc, "add_note"):
                exc.add_note(str(err))

    def _check_open(self) -> None:
        if self._closed:
            raise OutputError(f"{self.path}: the video was already closed")
        if self._failure is not None:
            self._fail(self._failure)

    def _submit(self, kind: str, payload) -> None:
        if self._queue is None:
            try:
                self._apply(kind, payload)
            except Exception as exc:  # not KeyboardInterrupt: Ctrl-C must still abort() cleanly
                self._fail(exc)
            return
        t0 = time.perf_counter()
        self._queue.put((kind, payload))
        self._wait_s += time.perf_counter() - t0

    def _apply(self, kind: str, payload) -> None:
        if kind == "frame":
            self._encoder.encode_frame(payload)
        else:
            self._encoder.add_audio(payload)

    def _join(self) -> None:
        if self._thread is None:
            return
        self._queue.put(None)  # the worker drains the queue, so this cannot block for long
        self._thread.join()
        self._thread = None

    def _fail(self, exc: BaseException):
        """Tear down after an encoder error and raise it (as OutputError when the disk is to blame)."""
        self._closed = True
        self._join()
        self._encoder.discard()
        _remove(self._part)
        if isinstance(exc, (av.FFmpegError, OSError)):
            raise _error(self.path, exc) from exc
        raise exc

    def _finish(self, *, aborted: bool) -> EncodeStats:
        if self._closed:
            raise OutputError(f"{self.path}: the video was already closed")
        self._join()
        if self._failure is not None:
            self._fail(self._failure)
        self._closed = True
        enc = self._encoder
        if enc.frames == 0:
            enc.discard()
            _remove(self._part)
            if not aborted:
                raise OutputError(f"{self.path}: no frames were written; nothing saved")
            saved = None
        else:
            try:
                enc.finish()
                os.replace(self._part, self.path)
            except (av.FFmpegError, OSError) as exc:
                _remove(self._part)
                raise _error(self.path, exc) from exc
            saved = self.path
        self._stats = EncodeStats(path=saved, frames=enc.frames, audio_samples=enc.audio_pos,
                                  duration_s=float(enc.frames / self.fps), encode_s=enc.encode_s,
                                  wait_s=self._wait_s, aborted=aborted)
        return self._stats

    # -- worker thread -------------------------------------------------------------------------

    def _worker(self) -> None:
        """Runs on the encoder thread: apply queued items in order until the ``None`` sentinel.

        After an error it keeps taking items without encoding them, so the caller never blocks
        on a full queue.
        """
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._failure is not None:
                continue
            try:
                self._apply(*item)
            except BaseException as exc:  # handed to the caller, re-raised on its next call
                self._failure = exc


def _mix(samples: np.ndarray, channels: int) -> np.ndarray:
    """Copy to float32 with at most 2 channels (pairs averaged: even -> left, odd -> right)."""
    samples = samples.astype(np.float32, copy=True)
    if channels <= 2:
        return samples
    return np.stack([samples[:, 0::2].mean(axis=1), samples[:, 1::2].mean(axis=1)], axis=1)


def _has_encoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
    except (av.FFmpegError, ValueError):
        return False
    return True

