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

Threading: the recorder's public methods are for one thread (the render thread); the encoder
thread runs ``reactor.output.record_encoder.Worker``. The only object shared with it is
``self._queue`` (an unbounded ``queue.Queue`` of ``(kind, payload)`` items, frames copied into
it), admission of frames being bounded by the ``self._slots`` semaphore that the encoder
releases as it finishes each frame. The worker's ``error`` string is written once by it and read
by anyone; its statistics are read only after ``wait()`` has joined it.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time

import av
import numpy as np

from reactor.errors import OutputError
from reactor.output.record_encoder import Worker
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
        self._queue: queue.Queue = queue.Queue()
        self._slots = threading.BoundedSemaphore(int(queue_frames))
        self._worker = Worker(encoder=self._encoder, items=self._queue, slots=self._slots, path=self.path,
                              fps=self.fps, width_px=self.width_px, height_px=self.height_px,
                              sample_rate_hz=self.sample_rate_hz, container_format=container_format,
                              slack_s=AUDIO_SLACK_S, jump_s=CLOCK_JUMP_S)
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
    def error(self) -> str | None:
        """One line saying why the recording failed (e.g. disk full), or None; for a HUD. After a
        failure pushes are ignored and ``close()`` raises it as ``OutputError``."""
        return self._worker.error

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
