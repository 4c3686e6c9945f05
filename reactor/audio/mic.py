"""Live sound in: a PortAudio input stream copied into a ring, drained by the render thread.

Threads: ``_callback`` runs on the PortAudio thread and only copies the block into the
:class:`SampleRing` and stores counters and one timing tuple; everything else runs on the
render thread (see :mod:`reactor.audio._stream`).

Timeline: the samples ``poll`` returns are contiguous in capture time. Frames the ring lost
(the render thread stalled longer than the ring) and time while the device is away come back as
silence, so ``sum(len(samples)) / sample_rate_hz`` stays equal to the clock and an analyzer fed
with them keeps its beat times on the picture's time.
"""

from __future__ import annotations

import time

import numpy as np

from reactor.audio._stream import MESSAGE_EVERY_S, StreamSource
from reactor.audio.devices import negotiate_rate
from reactor.audio.liveclock import LiveClock
from reactor.audio.ring import SampleRing
from reactor.errors import AudioDeviceError

RING_S = 2.0
"""Sound the ring keeps for a stalled render thread, seconds (a shader compile, a reload)."""

_perf = time.perf_counter


class MicSource(StreamSource):
    """Capture from an input device (a microphone, a line in, a monitor/loopback device).

    Parameters
    ----------
    device : int, str or None
        Index, case-insensitive name substring, or None for the default input.
    sample_rate_hz : int or None
        Wanted rate; None takes 48000 if the device accepts it, else its default rate.
    block_samples : int
        Samples per callback (128-256 keeps latency low; 32..4096 accepted).
    channels : int or None
        Channels to capture; None takes up to 2.

    Raises
    ------
    AudioDeviceError
        No such device, no inputs, or no usable rate (the message names what would work).
    """

    kind = "input"

    def __init__(self, *, device: int | str | None = None, sample_rate_hz: int | None = None,
                 block_samples: int = 256, channels: int | None = None) -> None:
        super().__init__(device=device, block_samples=block_samples)
        max_ch = int(self._info["max_input_channels"])
        if max_ch < 1:
            raise AudioDeviceError(f"{self.name!r} has no inputs; see 'reactor devices'")
        ch = min(2, max_ch) if channels is None else int(channels)
        if not 1 <= ch <= max_ch:
            raise AudioDeviceError(f"{self.name!r} has {max_ch} input channel(s); asked for {channels}")
        self.channels = ch
        self.sample_rate_hz = negotiate_rate(self._sd, self._device, kind="input", channels=ch,
                                             wanted_hz=sample_rate_hz)
        self._ring = SampleRing(capacity_frames=int(RING_S * self.sample_rate_hz), channels=ch)
        self._clock = LiveClock()
        self._anchor: tuple[int, float, float] | None = None  # (ring frames, perf, adc delay): PortAudio thread
        self._seen: tuple[int, float, float] | None = None
        self._base = 0  # timeline frame of ring frame 0 (grows by the silence filled in while lost)
        self._out_frames = 0
        self._input_delay_s: float | None = None

    @property
    def clock(self) -> LiveClock:
        """The clock ``poll`` reads (render thread)."""
        return self._clock

    def _open_stream(self, sd, device):
        return sd.InputStream(device=device, channels=self.channels, samplerate=self.sample_rate_hz,
                              blocksize=self.block_samples, dtype="float32", latency="low",
                              callback=self._callback, finished_callback=self._finished)

    def _on_open(self, stream) -> None:
        pass

    def _callback(self, indata, frames, time_info, status) -> None:
        """PortAudio thread: copy, count, stamp. No allocation of arrays, no logging, no locks."""
        now = _perf()
        if status:
            self._xruns += 1
        self._ring.write(indata)
        self._calls += 1
        self._last_call = now
        self._anchor = (self._ring.frames_written, now, time_info.currentTime - time_info.inputBufferAdcTime)

    def _poll_samples(self, now: float) -> tuple[np.ndarray, float]:
        sr = self.sample_rate_hz
        lost = self._ring.lost_frames
        data = self._ring.read()
        lost = self._ring.lost_frames - lost
        if lost:
            self._say("ring", f"audio input {self.name!r}: the picture fell behind, {1000.0 * lost / sr:.0f} ms "
                      "of sound skipped", now, every_s=MESSAGE_EVERY_S)
            data = np.concatenate([np.zeros((lost, self.channels), np.float32), data])
        a = self._anchor
        if a is not None and a is not self._seen and self._status == "ok":
            self._seen = a
            self._clock.observe((a[0] + self._base) / sr, a[1])
            if 0.0 < a[2] < 1.0:
                self._input_delay_s = a[2]
        if self._status != "ok" and not self._clock.started:  # lost before the first sound
            self._clock.observe(0.0, now)
        t = self._clock.time_s(now)
        self._out_frames += len(data)
        # device away (or reopened, no sound yet): silence keeps the timeline
        if self._clock.started and (self._status != "ok" or self._calls == 0):
            fill = int(t * sr) - self._out_frames
            if fill > 0:
                data = np.concatenate([data, np.zeros((fill, self.channels), np.float32)])
                self._out_frames += fill
                self._base += fill
        return data, t

    def _fallback(self, now: float) -> tuple[np.ndarray, float]:
        return np.zeros((0, self.channels), np.float32), self._clock.time_s(now)

    def stats(self) -> dict:
        """Counters and latencies for the HUD; see :class:`reactor.audio.live.LiveSource`."""
        reported = self._stream_latency_s() if self._stream is not None else None
        delay = self._input_delay_s if self._input_delay_s is not None else reported
        return {"xruns": self._xruns, "input_latency_ms": None if delay is None else 1000.0 * delay,
                "output_latency_ms": None, "status": self.status(), "device": self.name,
                "reported_input_latency_ms": None if reported is None else 1000.0 * reported,
                "sample_rate_hz": self.sample_rate_hz, "channels": self.channels, "block_samples": self.block_samples,
                "ring_overflows": self._ring.overflows, "lost_frames": self._ring.lost_frames,
                "clock_error_ms": 1000.0 * self._clock.error_s}
