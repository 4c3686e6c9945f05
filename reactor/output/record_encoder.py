"""The encoder-thread side of ``reactor.output.recorder.LiveRecorder``, and the final remux.

Everything in ``Worker`` runs on the recorder's encoder thread; it talks to the render thread only
through the recorder's queue and slot semaphore (see the recorder's module docstring). It places
audio by its clock time, fills the constant-frame-rate timeline (repeating the last picture for
slots whose frame was dropped or never shown), encodes into the fragmented MP4, and on ``stop``
remuxes that into a faststart MP4 (``remux_faststart``).
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
from reactor.output.video import _Encoder, _error, _remove

__all__ = ["Worker", "remux_faststart"]

log = logging.getLogger("reactor.output.recorder")


class Worker:
    """The encoder thread: places audio by time, fills the CFR timeline, encodes, finalises."""

    def __init__(self, *, encoder: _Encoder, items: queue.Queue, slots: threading.Semaphore, path: str,
                 fps: Fraction, width_px: int, height_px: int, sample_rate_hz: int, container_format: str,
                 slack_s: float, jump_s: float) -> None:
        self.enc = encoder
        self.path, self.fps, self.container_format = path, fps, container_format
        self.width_px, self.height_px = width_px, height_px
        self._items, self._slots = items, slots
        self.error: str | None = None  # written once here, read by the render thread
        self.discard_frames = False  # set by abort() on the render thread (a one-way flag)
        self.frames = self.duplicated = self.audio_samples = 0
        self.gap_samples = self.cut_samples = 0
        self.encode_s = self.finalise_s = 0.0
        self.saved = self.finalised = False
        self._t0: float | None = None
        self._early: list[tuple[np.ndarray, float]] = []  # audio pushed before the first frame
        self._audio_next = 0  # file position (samples) of the next audio sample
        self._last: av.VideoFrame | None = None
        self._rate = sample_rate_hz
        self._slack = int(round(slack_s * sample_rate_hz))
        self._jump = int(round(jump_s * sample_rate_hz))
        self._audio_offset = 0  # samples added to stamped positions: the clock's jumps back

    def run(self) -> None:
        """The thread's body: take items until ``("stop", n_slots)``, then finish the file."""
        while True:
            kind, payload = self._items.get()
            try:
                if kind == "stop":
                    if self.error is None:
                        self._finish(payload)
                    return
                if self.error is None:
                    getattr(self, "_on_" + kind)(payload)
            except Exception as exc:  # reported through self.error; the show goes on
                self._fail(exc)
                if kind == "stop":
                    return
            finally:
                if kind == "frame":
                    self._slots.release()

    def _fail(self, exc: Exception) -> None:
        if isinstance(exc, (av.FFmpegError, OSError)):
            self.error = str(_error(self.path, exc))
        else:
            self.error = f"{self.path}: recording failed: {type(exc).__name__}: {exc}"
        log.error("%s", self.error)
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
                black = np.zeros((self.height_px, self.width_px, 3), np.uint8)
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
        t = time.perf_counter()
        if self.enc.frames == 0 and n_slots == 0:
            self.enc.discard()
            _remove(self.path)
            return
        if not self.discard_frames:
            self._fill_to(n_slots)
        self.enc.finish()
        self.frames, self.audio_samples = self.enc.frames, self.enc.audio_pos
        self.saved = True
        self.encode_s += time.perf_counter() - t
        t = time.perf_counter()
        part = self.path + ".part"
        try:
            remux_faststart(self.path, part, fps=self.fps, audio_samples=self.audio_samples,
                            container_format=self.container_format)
            os.replace(part, self.path)
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
