"""Play a clip through an output device; the picture follows what the listener hears now.

The PortAudio callback copies the next block of the clip into the device buffer and stamps it:
the timeline frame of its first sample, ``perf_counter`` at the callback and the delay until
that sample reaches the DAC (``outputBufferDacTime - currentTime``, else the stream latency).
The render thread turns each stamp into "frame F is heard at perf time P" for the
:class:`LiveClock`, so the time ``poll`` returns is the heard position at any frame rate, and
the samples it returns are those heard since the previous poll.

Timeline: seconds since the first sample was heard, always increasing. With ``loop`` the clip
repeats (``loop_count`` counts the wraps). Past the end (no loop) it plays silence, ``finished``
becomes True and time goes on. While the device is away time goes on with silence (features
decay); when it is back the sound resumes where the picture is, like a broadcast, so picture
and sound stay together rather than the song resuming late.

Threads: ``_callback`` on the PortAudio thread, the rest on the render thread (see
:mod:`reactor.audio._stream`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from reactor.audio._stream import StreamSource
from reactor.audio.devices import negotiate_rate
from reactor.audio.liveclock import LiveClock
from reactor.errors import AudioDeviceError

if TYPE_CHECKING:  # decode imports PyAV; playback needs only the clip it is given
    from reactor.audio.decode import AudioClip

_perf = time.perf_counter


class PlaybackSource(StreamSource):
    """Play ``clip`` on an output device and report the heard position.

    Parameters
    ----------
    clip : AudioClip
        What to play; its rate must be one the device accepts (load it at the rate of
        ``reactor.audio.devices.negotiate_rate`` when unsure; JACK runs at one fixed rate).
    loop : bool
        Start again at the end (time keeps increasing).
    device : int, str or None
        Output index, case-insensitive name substring, or None for the default output.
    block_samples : int
        Samples per callback (32..4096).

    Attributes
    ----------
    finished : bool
        True once the end of the clip has been heard (never with ``loop``).
    loop_count : int
        Complete passes heard.
    """

    kind = "output"

    def __init__(self, clip: "AudioClip", *, loop: bool = False, device: int | str | None = None,
                 block_samples: int = 256) -> None:
        super().__init__(device=device, block_samples=block_samples)
        if clip.samples.shape[0] == 0:
            raise AudioDeviceError(f"{clip.source}: nothing to play (empty clip)")
        max_out = int(self._info["max_output_channels"])
        if max_out < 1:
            raise AudioDeviceError(f"{self.name!r} has no outputs; see 'reactor devices'")
        self.clip = clip
        self.loop = bool(loop)
        self.sample_rate_hz = clip.sample_rate_hz
        self.channels = clip.channels  # what poll returns (for the analyzer): the clip's own channels
        self._out_channels = min(max(clip.channels, 2), max_out)
        negotiate_rate(self._sd, self._device, kind="output", channels=self._out_channels,
                       wanted_hz=clip.sample_rate_hz)
        # mono feeds every output channel by broadcasting; extra clip channels are not played
        self._src = clip.samples[:, :1] if clip.channels == 1 else clip.samples[:, :self._out_channels]
        self._n = clip.samples.shape[0]
        self._clock = LiveClock()
        self._play_frame = 0  # PortAudio thread: timeline frame of the next sample to play
        self._anchor: tuple[int, float, float] | None = None  # (frame, perf, dac delay): PortAudio thread
        self._seen: tuple[int, float, float] | None = None
        self._fallback_delay_s = 0.0
        self._output_delay_s: float | None = None
        self._heard = 0  # timeline frames returned by poll
        self._hint: tuple[float, float] | None = None  # (time, perf) of the last poll, for a reopen
        self.finished = False
        self.loop_count = 0

    @property
    def clock(self) -> LiveClock:
        """The clock ``poll`` reads (render thread)."""
        return self._clock

    @property
    def position_s(self) -> float:
        """Where in the clip the listener is now (wraps with ``loop``), seconds."""
        f = self._heard % self._n if self.loop else min(self._heard, self._n)
        return f / self.sample_rate_hz

    def _open_stream(self, sd, device):
        return sd.OutputStream(device=device, channels=self._out_channels, samplerate=self.sample_rate_hz,
                               blocksize=self.block_samples, dtype="float32", latency="low",
                               callback=self._callback, finished_callback=self._finished)

    def _on_open(self, stream) -> None:
        self._fallback_delay_s = float(stream.latency)
        hint = self._hint
        if hint is not None:  # reopened: resume where the picture is by the time this is heard
            t = hint[0] + (_perf() - hint[1]) + self._fallback_delay_s
            self._play_frame = int(round(t * self.sample_rate_hz))

    def _callback(self, outdata, frames, time_info, status) -> None:
        """PortAudio thread: copy the next block, stamp it. No array allocation, no logging, no locks."""
        now = _perf()
        if status:
            self._xruns += 1
        f = self._play_frame
        self._fill(outdata, f, frames)
        self._play_frame = f + frames
        self._calls += 1
        self._last_call = now
        self._anchor = (f, now, time_info.outputBufferDacTime - time_info.currentTime)

    def _fill(self, out: np.ndarray, f: int, frames: int) -> None:
        src, n = self._src, self._n
        if not self.loop:
            k = max(0, min(frames, n - f))
            if k:
                out[:k] = src[f:f + k]
            out[k:] = 0.0
            return
        done = 0
        while done < frames:  # a clip shorter than a block wraps more than once
            i = (f + done) % n
            k = min(frames - done, n - i)
            out[done:done + k] = src[i:i + k]
            done += k

    def _poll_samples(self, now: float) -> tuple[np.ndarray, float]:
        sr = self.sample_rate_hz
        a = self._anchor
        if a is not None and a is not self._seen and self._status == "ok":
            self._seen = a
            delay = a[2] if 0.0 < a[2] < 1.0 else self._fallback_delay_s
            self._output_delay_s = delay
            self._clock.observe(a[0] / sr, a[1] + delay)
        if self._status != "ok" and not self._clock.started:  # lost before the first sound
            self._clock.observe(0.0, now)
        t = self._clock.time_s(now)
        self._hint = (t, now)
        heard = int(round(t * sr))
        start, self._heard = self._heard, max(self._heard, heard)
        if self._status == "ok":
            data = self._span(start, self._heard)
        else:
            data = np.zeros((self._heard - start, self.channels), np.float32)
        if self.loop:
            self.loop_count = self._heard // self._n
        elif self._heard >= self._n:
            self.finished = True
        return data, t

    def _span(self, a: int, b: int) -> np.ndarray:
        """Clip samples of timeline frames ``[a, b)`` (wrapped with loop, silence past the end)."""
        s, n = self.clip.samples, self._n
        if self.loop:
            idx = np.arange(a, b) % n
            return s[idx]
        out = np.zeros((b - a, self.channels), np.float32)
        k = max(0, min(b, n) - a)
        if k:
            out[:k] = s[a:a + k]
        return out

    def _fallback(self, now: float) -> tuple[np.ndarray, float]:
        return np.zeros((0, self.channels), np.float32), self._clock.time_s(now)

    def stats(self) -> dict:
        """Counters and latencies for the HUD; see :class:`reactor.audio.live.LiveSource`."""
        reported = self._stream_latency_s() if self._stream is not None else None
        delay = self._output_delay_s if self._output_delay_s is not None else reported
        return {"xruns": self._xruns, "input_latency_ms": None,
                "output_latency_ms": None if delay is None else 1000.0 * delay,
                "status": self.status(), "device": self.name,
                "reported_output_latency_ms": None if reported is None else 1000.0 * reported,
                "sample_rate_hz": self.sample_rate_hz, "channels": self.channels, "block_samples": self.block_samples,
                "position_s": self.position_s, "loop_count": self.loop_count, "finished": self.finished,
                "clock_error_ms": 1000.0 * self._clock.error_s}
