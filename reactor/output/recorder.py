"""Live recording: what the show displays and what the audience hears, into a crash-safe MP4.

``LiveRecorder`` takes frames that arrive at irregular times (whenever the live loop draws one)
and audio blocks stamped with the clock time of their first sample, and writes a constant frame
rate H.264 + AAC file in which picture and sound stay in sync. It knows nothing about GL: frames
are ``uint8 (h, w, 3)`` RGB, top row first (``reactor.render.readback`` reads them from the GPU
without stalling and feeds a recorder through the ``FrameSink`` interface).

Use (all on the render/main thread)::

    rec = LiveRecorder("show.mp4", width_px=1280, height_px=720, fps=30, sample_rate_hz=48000,
                       audio_channels=2)
    every loop:  rec.push_audio(block, time_s=t_first_sample)   # what was heard / captured
                 rec.push_frame(rgb, time_s=t_of_picture)       # never blocks
    HUD:         rec.recorded_frames, rec.dropped_frames, rec.error
    stop:        stats = rec.close()      # or rec.stop() now and rec.wait() later (no stall)

Timeline (one clock for both: the audio clock where there is one, else ``perf_counter``):

- The recording starts at the first frame's ``time_s`` (``t0``). Output frame ``n`` is at
  ``t0 + n / fps``; it shows the pushed frame whose time is nearest to that (the recorder holds
  the latest frame until the next one shows which is nearer). Faster display rates skip frames
  (``skipped_frames``), slower ones or stalls repeat the previous frame (``duplicated_frames``).
- Audio sample ``k`` of the file is at ``t0 + k / sample_rate_hz``. A block is placed where its
  time says; blocks that continue the previous one within ``AUDIO_SLACK_S`` are joined without a
  gap (clock jitter is not a click), larger gaps are filled with silence and overlaps dropped.
  Audio stamped before ``t0`` is discarded, so it may be pushed before the first frame.
- A clock that jumps back by more than ``CLOCK_JUMP_S`` (a played file looping or seeking back)
  does not rewind the recording: pictures and sound each continue from where they were (and stay
  within a frame of each other). Jumps forward are recorded as they are (the last picture held,
  silence) so that a stalled picture never drifts from the sound.

Not stalling the show: ``push_frame`` copies the frame (~0.2 ms at 720p) and hands it to an
encoder thread through a queue of at most ``queue_frames`` frames. When the encoder falls behind
and the queue is full, the recorded frame is dropped and counted (``dropped_frames``); the output
slot then repeats the last encoded picture, so the file's timing (and sync) is unaffected. The
displayed frame is never held up.

Crash safety: while recording the file is a fragmented MP4 (a fragment per keyframe, keyframes
every ``GOP_S``, packets flushed to disk as written) at ``path`` itself, so a killed process
leaves a file that plays up to its last fragment. ``close()`` remuxes it (no re-encode) into a
normal ``faststart`` MP4 with exact stream lengths (the AAC priming hidden by an edit list) via
``<path>.part`` and renames it over ``path``.

Threading: the recorder's public methods are for one thread (the render thread). The only object
shared with the encoder thread is ``self._queue`` (an unbounded ``queue.Queue`` of
``(kind, payload)`` items, frames copied into it), admission of frames being bounded by the
``self._slots`` semaphore that the encoder releases as it finishes each frame. The encoder
thread's ``error`` string is written once by it and read by anyone; its statistics are read only
after ``wait()`` has joined it.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from fractions import Fraction

import av
import numpy as np

from reactor.errors import OutputError
from reactor.output.video import _Encoder, _error, _mix, _remove, _to_fraction, validate_output

__all__ = ["LiveRecorder", "AUDIO_SLACK_S", "CLOCK_JUMP_S", "GOP_S"]

log = logging.getLogger(__name__)

GOP_S = 0.5
"""Keyframe interval of a recording, seconds: a crash loses at most about this much picture."""
AUDIO_SLACK_S = 0.015
"""Audio blocks whose stamps are this close to continuing the previous block are joined
seamlessly (time-stamp jitter); a larger gap becomes silence, a larger overlap is cut."""
CLOCK_JUMP_S = 0.25
"""A frame or audio block this far behind the recording's time is a clock jump back (loop, seek)."""
_MAX_FPS = 240.0
_MAX_FRAME_GAP_S = 0.1  # longest display interval assumed across a jump


class LiveRecorder:
    """Record pushed frames and audio into a crash-safe, constant-frame-rate MP4.

    Parameters
    ----------
    path : str or os.PathLike
        Output ``.mp4``/``.m4v``/``.mov``; written while recording (fragmented), replaced by the
        finished file on ``close()``. An existing file is overwritten.
    width_px, height_px : int
        Frame size in pixels, both even.
    fps : int, float or Fraction
        Frame rate of the file (1..240), independent of the display's rate.
    sample_rate_hz : int
        Rate of the pushed audio (it is not resampled).
    audio_channels : int
        Channels of the pushed audio; 0: no audio stream. More than 2 are mixed to stereo.
    quality : {"draft", "normal", "high"}
        x264 settings as in ``reactor.output.video`` (``tune=zerolatency``, so nothing waits in
        the encoder's lookahead). ``draft`` costs about a third of ``normal``'s CPU.
    queue_frames : int
        Frames that may wait for the encoder; beyond that recorded frames are dropped.

    Raises
    ------
    OutputError
        Bad size, rate or quality, or a path that cannot be written (checked here).
    """

    def __init__(self, path, *, width_px: int, height_px: int, fps, sample_rate_hz: int,
                 audio_channels: int, quality: str = "normal", queue_frames: int = 8) -> None:
        self.path = os.fspath(path)
        self.width_px, self.height_px = int(width_px), int(height_px)
        self.fps = _to_fraction(fps)
        if not 1 <= self.fps <= _MAX_FPS:
            raise OutputError(f"{self.path}: recording fps must be 1..{_MAX_FPS:g}, got {float(self.fps):g}")
        if int(queue_frames) < 1:
            raise OutputError(f"{self.path}: queue_frames must be >= 1, got {queue_frames}")
        if quality == "lossless":
            raise OutputError(f"{self.path}: a live recording cannot be lossless (too slow); "
                              f"use draft, normal or high")
        self.sample_rate_hz, self.audio_channels = int(sample_rate_hz), int(audio_channels)
        spec, container_format = validate_output(
            self.path, width_px=self.width_px, height_px=self.height_px, codec="h264", quality=quality,
            sample_rate_hz=self.sample_rate_hz, audio_channels=self.audio_channels)
        self._container_format = container_format
        gop = max(1, round(GOP_S * float(self.fps)))
        try:
            self._encoder = _Encoder(self.path, container_format, spec, quality, width_px=self.width_px,
                                     height_px=self.height_px, fps=self.fps,
                                     sample_rate_hz=self.sample_rate_hz, audio_channels=self.audio_channels,
                                     fragmented=True, gop_frames=gop)
        except (av.FFmpegError, OSError, ValueError) as exc:
            _remove(self.path)
            raise _error(self.path, exc) from exc
        # render thread state
        self.recorded_frames = 0   # frames handed to the encoder
        self.dropped_frames = 0    # frames chosen for the recording but refused: encoder behind
        self.skipped_frames = 0    # frames no output slot needed (display faster than fps)
        self.push_s = 0.0          # render-thread seconds spent in push_frame/push_audio
        self._t0: float | None = None
        self._slot = 0             # next output slot to decide
        self._held: _Held | None = None
        self._offset_s = 0.0       # added to frame times: the sum of the clock's jumps back
        self._frame_dt = 1.0 / float(self.fps)  # latest display interval, to bridge a jump
        self.clock_jumps = 0
        self._stopped = False
        self._stats: dict | None = None
        # shared with the encoder thread (see the module docstring)
        self.error: str | None = None
        self._queue: queue.Queue = queue.Queue()
        self._slots = threading.BoundedSemaphore(int(queue_frames))
        self._worker = _Worker(self)
        self._thread = threading.Thread(target=self._worker.run, name="reactor-live-recorder", daemon=True)
        self._thread.start()

    # -- render thread -------------------------------------------------------------------------

    def push_frame(self, rgb: np.ndarray, time_s: float) -> None:
        """Offer the frame displayed at clock time ``time_s``; never blocks, never raises for
        encoder trouble (see ``error``).

        ``rgb`` is ``uint8 (height_px, width_px, 3)``, top row first; it is copied (the caller may
        reuse it). ``time_s`` is on the same clock as ``push_audio``'s. A frame at (or up to
        ``CLOCK_JUMP_S`` before) the previous frame's time replaces it; a larger jump back (a
        looping file) is bridged, see the module docstring.
        """
        t_start = time.perf_counter()
        if rgb.dtype != np.uint8 or rgb.shape != (self.height_px, self.width_px, 3):
            raise ValueError(f"frame must be uint8 ({self.height_px}, {self.width_px}, 3), "
                             f"got {rgb.dtype} {rgb.shape}")
        if self._stopped or self.error is not None:
            return  # a failed recording stays failed; the show goes on
        time_s = self._continuous(float(time_s))
        new = _Held(np.array(rgb, copy=True, order="C"), time_s)
        if self._t0 is None:
            self._t0 = time_s
            self._queue.put(("start", time_s))
        elif self._held is not None and time_s <= self._held.time_s:
            self._retire(self._held)  # same (or an earlier) time: the newer picture wins
        else:
            while self._held is not None:
                s = self._slot_time(self._slot)
                if s - self._held.time_s > time_s - s:
                    break  # this slot and later ones are nearer the new frame
                self._assign(self._held)
            if self._held is not None:
                self._retire(self._held)
        self._held = new
        self.push_s += time.perf_counter() - t_start

    def push_audio(self, samples: np.ndarray, time_s: float) -> None:
        """Offer audio whose first sample was heard (or captured) at clock time ``time_s``.

        ``samples``: float ``(n, audio_channels)``, -1..1; copied. Never blocks.
        """
        t_start = time.perf_counter()
        samples = np.asarray(samples)
        if self.audio_channels == 0:
            raise ValueError("this recorder has no audio stream (audio_channels=0)")
        if samples.ndim != 2 or samples.shape[1] != self.audio_channels or samples.dtype.kind != "f":
            raise ValueError(f"audio must be float (n, {self.audio_channels}), got {samples.dtype} {samples.shape}")
        if self._stopped or self.error is not None or not len(samples):
            return
        self._queue.put(("audio", (_mix(samples, self.audio_channels), float(time_s))))
        self.push_s += time.perf_counter() - t_start

    def write(self, frame_source, frame) -> None:
        """``FrameSink``: record ``frame_source.read_rgb()`` at ``frame.time_s``.

        This reads the pixels synchronously; ``reactor.render.readback.ReadbackSink`` does the
        same without waiting for the GPU.
        """
        self.push_frame(frame_source.read_rgb(), frame.time_s)

    @property
    def recording_s(self) -> float:
        """Length of the recording decided so far, seconds (for a HUD)."""
        return float(self._slot / self.fps)

    def stop(self) -> None:
        """End the recording without waiting: the encoder thread drains its queue and finishes
        the file in the background. Call ``wait()`` (now or on a later frame) for the stats."""
        if self._stopped:
            return
        if self._held is not None:  # the last frame fills the slots up to its own time
            while self._slot_time(self._slot) < self._held.time_s + 0.5 / float(self.fps) or self._slot == 0:
                self._assign(self._held)
            self._retire(self._held)
            self._held = None
        self._stopped = True
        self._queue.put(("stop", self._slot))

    @property
    def finished(self) -> bool:
        """True once the file is finished (or failed) after ``stop()``; ``wait()`` returns at once."""
        return self._stopped and not self._thread.is_alive()

    def wait(self, timeout_s: float | None = None) -> dict | None:
        """Wait for the file after ``stop()``; returns the stats (None if still busy at ``timeout_s``).

        Raises
        ------
        OutputError
            The recording could not be written (disk full, ...); the fragmented file, if any, is
            left at ``path``.
        """
        if not self._stopped:
            raise OutputError(f"{self.path}: wait() before stop()")
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            return None
        if self._stats is None:
            w = self._worker
            self._stats = {
                "path": self.path if w.saved else None, "frames": w.frames, "recorded_frames": self.recorded_frames,
                "dropped_frames": self.dropped_frames, "skipped_frames": self.skipped_frames,
                "duplicated_frames": w.duplicated, "audio_samples": w.audio_samples,
                "audio_gap_s": w.gap_samples / self.sample_rate_hz if self.audio_channels else 0.0,
                "audio_cut_s": w.cut_samples / self.sample_rate_hz if self.audio_channels else 0.0,
                "duration_s": float(w.frames / self.fps), "clock_jumps": self.clock_jumps,
                "encode_s": w.encode_s,
                "finalise_s": w.finalise_s, "push_s": self.push_s, "faststart": w.finalised,
                "error": self.error,
            }
        if self.error is not None:
            raise OutputError(self.error)
        return dict(self._stats)

    def close(self) -> dict:
        """Stop, wait for the encoder and finalise to a faststart MP4; returns the stats.

        Stats keys: ``path`` (None when nothing was recorded), ``frames`` (in the file),
        ``recorded_frames``, ``dropped_frames``, ``skipped_frames``, ``duplicated_frames``,
        ``audio_samples``, ``audio_gap_s`` (silence inserted), ``audio_cut_s`` (overlap removed),
        ``duration_s``, ``clock_jumps`` (jumps back bridged), ``encode_s``, ``finalise_s``,
        ``push_s``, ``faststart``, ``error``.
        """
        self.stop()
        return self.wait()

    def abort(self) -> None:
        """Stop at once: frames still queued are discarded, what was encoded is finalised."""
        if not self._stopped:
            self._worker.discard_frames = True
        self.stop()
        try:
            self.wait()
        except OutputError as exc:
            log.warning("%s", exc)

    def __enter__(self) -> "LiveRecorder":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _continuous(self, time_s: float) -> float:
        """``time_s`` on the recording's timeline, bridging clock jumps back (see module doc)."""
        time_s += self._offset_s
        held = self._held
        if held is None:
            return time_s
        if time_s < held.time_s - CLOCK_JUMP_S:
            bridged = held.time_s + self._frame_dt
            self._offset_s += bridged - time_s
            self.clock_jumps += 1
            return bridged
        if time_s > held.time_s:
            self._frame_dt = min(time_s - held.time_s, _MAX_FRAME_GAP_S)
        return time_s

    def _slot_time(self, n: int) -> float:
        return self._t0 + float(n / self.fps)

    def _assign(self, held: "_Held") -> None:
        """Give the current output slot to ``held`` (queued once; later slots repeat it)."""
        if not held.queued:
            if self._slots.acquire(blocking=False):
                self._queue.put(("frame", (self._slot, held.rgb)))
                held.queued = True
                self.recorded_frames += 1
            else:
                held.refused = True
        self._slot += 1

    def _retire(self, held: "_Held") -> None:
        if held.queued:
            return
        if held.refused:
            self.dropped_frames += 1
        else:
            self.skipped_frames += 1


class _Held:
    __slots__ = ("rgb", "time_s", "queued", "refused")

    def __init__(self, rgb: np.ndarray, time_s: float) -> None:
        self.rgb, self.time_s = rgb, time_s
        self.queued = self.refused = False


class _Worker:
    """The encoder thread: places audio by time, fills the CFR timeline, encodes, finalises."""

    def __init__(self, rec: LiveRecorder) -> None:
        self.rec = rec
        self.enc: _Encoder = rec._encoder
        self.discard_frames = False  # set by abort() on the render thread (a one-way flag)
        self.frames = self.duplicated = self.audio_samples = 0
        self.gap_samples = self.cut_samples = 0
        self.encode_s = self.finalise_s = 0.0
        self.saved = self.finalised = False
        self._t0: float | None = None
        self._early: list[tuple[np.ndarray, float]] = []  # audio pushed before the first frame
        self._audio_next = 0  # file position (samples) of the next audio sample
        self._last: av.VideoFrame | None = None
        self._rate = rec.sample_rate_hz
        self._slack = int(round(AUDIO_SLACK_S * rec.sample_rate_hz))
        self._jump = int(round(CLOCK_JUMP_S * rec.sample_rate_hz))
        self._audio_offset = 0  # samples added to stamped positions: the clock's jumps back

    def run(self) -> None:
        rec = self.rec
        while True:
            kind, payload = rec._queue.get()
            try:
                if kind == "stop":
                    if rec.error is None:
                        self._finish(payload)
                    return
                if rec.error is None:
                    getattr(self, "_on_" + kind)(payload)
            except Exception as exc:  # reported through rec.error; the show goes on
                self._fail(exc)
                if kind == "stop":
                    return
            finally:
                if kind == "frame":
                    rec._slots.release()

    def _fail(self, exc: Exception) -> None:
        rec = self.rec
        if isinstance(exc, (av.FFmpegError, OSError)):
            rec.error = str(_error(rec.path, exc))
        else:
            rec.error = f"{rec.path}: recording failed: {type(exc).__name__}: {exc}"
        log.error("%s", rec.error)
        self.enc.discard()

    def _on_start(self, t0: float) -> None:
        self._t0 = t0
        early, self._early = self._early, []
        for block in early:
            self._on_audio(block)

    def _on_frame(self, payload) -> None:
        slot, rgb = payload
        if self.discard_frames:
            return
        t = time.perf_counter()
        self._fill_to(slot)
        self._last = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        self.enc.encode_frame(self._last)
        self.encode_s += time.perf_counter() - t

    def _fill_to(self, slot: int) -> None:
        while self.enc.frames < slot:  # slots whose frame was dropped or repeated
            if self._last is None:
                black = np.zeros((self.rec.height_px, self.rec.width_px, 3), np.uint8)
                self._last = av.VideoFrame.from_ndarray(black, format="rgb24")
            self.enc.encode_frame(self._last)
            self.duplicated += 1

    def _on_audio(self, payload) -> None:
        samples, time_s = payload
        if self._t0 is None:
            self._early.append(payload)
            return
        pos = int(round((time_s - self._t0) * self._rate)) + self._audio_offset
        gap = pos - self._audio_next
        if self._audio_next and gap < -self._jump:  # the clock jumped back: continue seamlessly
            self._audio_offset -= gap
            gap = 0
        slack = self._slack if self._audio_next else 0  # the first sample is placed exactly
        if gap > slack:
            self.enc.add_audio(np.zeros((gap, samples.shape[1]), np.float32))
            self.gap_samples += gap
            self._audio_next += gap
        elif gap < -slack:
            cut = min(-gap, len(samples))
            if self._audio_next > 0:  # audio from before the recording began is not a cut
                self.cut_samples += cut
            samples = samples[cut:]
        if len(samples):
            t = time.perf_counter()
            self.enc.add_audio(samples)
            self.encode_s += time.perf_counter() - t
            self._audio_next += len(samples)

    def _finish(self, n_slots: int) -> None:
        rec = self.rec
        t = time.perf_counter()
        if self.enc.frames == 0 and n_slots == 0:
            self.enc.discard()
            _remove(rec.path)
            return
        if not self.discard_frames:
            self._fill_to(n_slots)
        self.enc.finish()
        self.frames, self.audio_samples = self.enc.frames, self.enc.audio_pos
        self.saved = True
        self.encode_s += time.perf_counter() - t
        t = time.perf_counter()
        part = rec.path + ".part"
        try:
            remux_faststart(rec.path, part, fps=rec.fps, audio_samples=self.audio_samples,
                            container_format=rec._container_format)
            os.replace(part, rec.path)
            self.finalised = True
        finally:
            _remove(part)
            self.finalise_s = time.perf_counter() - t


def remux_faststart(src: str, dst: str, *, fps: Fraction, audio_samples: int, container_format: str = "mp4") -> None:
    """Copy a fragmented recording into a ``faststart`` MP4 without re-encoding.

    The fragmented file keeps the AAC encoder's priming samples at the start of the audio track
    and stretches the first video frame to match; here video packet ``i`` goes back to
    ``pts = i / fps`` and the audio is shifted so the priming lies before 0, where the MP4 edit
    list hides it: both streams then last exactly ``frames / fps`` and ``audio_samples`` samples.
    Needs a recording without B-frames (``tune=zerolatency``), so decode order is display order.
    """
    with av.open(src) as inp:
        with av.open(dst, "w", format=container_format, container_options={
                "movflags": "+faststart",
                "movie_timescale": str(inp.streams.audio[0].rate if inp.streams.audio else 1000)}) as out:
            vin = inp.streams.video[0]
            ain = inp.streams.audio[0] if inp.streams.audio else None
            vout = out.add_stream_from_template(vin)
            aout = out.add_stream_from_template(ain) if ain is not None else None
            shift = None
            if ain is not None:  # priming = what the fragmented track holds beyond the real audio
                end = ain.duration if ain.duration else None
                if end is None:
                    raise OutputError(f"{src}: the audio track has no duration")
                shift = end - audio_samples if ain.time_base == Fraction(1, ain.rate) else None
                if shift is None:
                    raise OutputError(f"{src}: unexpected audio time base {ain.time_base}")
            n, last_pts = 0, None
            video_tb = Fraction(1) / fps
            for packet in inp.demux():
                if packet.size == 0:
                    continue
                if packet.stream is vin:
                    if last_pts is not None and packet.pts is not None and packet.pts <= last_pts:
                        raise OutputError(f"{src}: video frames out of display order (B-frames?); "
                                          f"the fragmented recording is kept as it is")
                    last_pts = packet.pts
                    packet.stream = vout
                    packet.time_base = video_tb
                    packet.pts = packet.dts = n
                    packet.duration = 1
                    n += 1
                else:
                    packet.stream = aout
                    packet.pts = packet.dts = packet.pts - shift
                out.mux(packet)
