"""What the microphone and playback sources share: one PortAudio stream kept alive for a show.

Threads (each method says which it runs on):

- **render thread**: ``start``, ``poll``, ``stats``, ``messages``, ``close``. It watches the stream's
  health from values the callback stores and never calls PortAudio while a reopen is running.
- **PortAudio thread**: the subclass's callback. It copies samples, stores counters and one
  timing tuple, nothing else.
- **reopen thread**: started by ``poll`` when the device is lost. It closes the dead stream,
  waits for the device to come back by name (reloading PortAudio's device list), opens a new
  stream and hands it over under ``_lock``. It is the only thread touching PortAudio meanwhile.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time

import numpy as np

from reactor.audio.devices import find_device, load_sounddevice, refresh
from reactor.errors import AudioDeviceError

log = logging.getLogger(__name__)
_perf = time.perf_counter  # module global so tests can drive time

LOST_AFTER_S = 0.5
"""No callback for this long (beyond the stream's latency) means the device is gone."""
FIRST_CALLBACK_S = 3.0
"""A new stream whose first callback has not come after this long is lost too (PulseAudio can
take 1.6 s for the first one)."""
REOPEN_EVERY_S = 1.0
"""How often the reopen thread looks for the device again."""
MESSAGE_EVERY_S = 1.0
"""At most one message per kind (xrun, ring overflow) this often, so a HUD is not flooded."""
MAX_PENDING_MESSAGES = 100


class StreamSource:
    """Base of :class:`MicSource` and :class:`PlaybackSource`; see the module docstring.

    Subclasses set ``kind`` ("input"/"output"), implement ``_open_stream(sd, device)`` (an
    unstarted stream whose callback is theirs), ``_on_open(stream)`` and ``_poll_samples(now)``.
    """

    kind = "input"

    def __init__(self, *, device: int | str | None, block_samples: int) -> None:
        if not 32 <= int(block_samples) <= 4096:
            raise ValueError(f"block_samples must be 32..4096, got {block_samples}")
        self.block_samples = int(block_samples)
        self._sd = load_sounddevice()
        self._device = find_device(device, kind=self.kind)
        try:
            info = self._sd.query_devices(self._device) if self._device is not None else \
                self._sd.query_devices(kind=self.kind)
        except (self._sd.PortAudioError, ValueError):
            raise AudioDeviceError(f"no default {self.kind} device; see 'reactor devices'") from None
        self.name = str(info["name"])
        self._info = info
        try:
            self.hostapi = str(self._sd.query_hostapis(info["hostapi"])["name"])
        except (self._sd.PortAudioError, KeyError, IndexError, TypeError):
            self.hostapi = ""
        self._dead_streams: list = []  # streams PortAudio cannot close safely (JACK server gone)
        self._stream = None
        self._status = "stopped"
        self._lock = threading.Lock()  # guards _handover and _reopen_error (render vs reopen thread)
        self._handover = None
        self._reopen_error: str | None = None
        self._reopening = False  # set by the reopen thread once the device is listed again
        self._announce_back = False
        self._reopener: threading.Thread | None = None
        self._closing = threading.Event()
        self._messages: list[str] = []
        self._last_msg_at: dict[str, float] = {}
        self._opened_at = 0.0
        # written by the PortAudio thread, read by the render thread
        self._xruns = 0
        self._calls = 0
        self._last_call = 0.0
        self._ended = False
        self._reported_xruns = 0

    # ------------------------------------------------------------------ render thread
    def start(self) -> None:
        """Open and start the stream. Raises ``AudioDeviceError`` if the device cannot be opened."""
        if self._stream is not None:
            return
        stream = None
        try:
            stream = self._open_stream(self._sd, self._device)
            self._on_open(stream)
            stream.start()
        except (self._sd.PortAudioError, ValueError) as e:
            _close_quietly(stream)
            raise AudioDeviceError(f"cannot open {self.kind} device {self.name!r}: {_first_line(e)}") from None
        self._stream = stream
        self._status = "ok"
        self._opened_at = _perf()

    def poll(self) -> tuple[np.ndarray, float]:
        """Samples that became available since the last poll and the time to show; never raises."""
        now = _perf()
        try:
            self._watch(now)
            return self._poll_samples(now)
        except Exception as e:  # the show goes on: report once, keep the picture running
            key = f"internal:{type(e).__name__}"
            if key not in self._last_msg_at:
                log.exception("audio source %r: unexpected error in poll", self.name)
            self._say(key, f"audio {self.kind} {self.name!r}: internal error {type(e).__name__}: {_first_line(e)}",
                      now, every_s=10.0)
            return self._fallback(now)

    def messages(self) -> list[str]:
        """New one-line warnings since the last call (device lost, overflow, reopened)."""
        out, self._messages = self._messages, []
        return out

    def status(self) -> str:
        """"ok", "lost" (device gone, waiting for it), "reopening" (found again, opening), "stopped"
        (before ``start``) or "closed"."""
        if self._status == "lost" and self._reopening:
            return "reopening"
        return self._status

    def close(self) -> None:
        """Stop the stream and any reopen attempt. Safe to call twice."""
        self._closing.set()
        if self._reopener is not None:
            self._reopener.join(timeout=5.0)
            self._reopener = None
        with self._lock:
            handed, self._handover = self._handover, None
        for s in (self._stream, handed):
            _close_quietly(s)
        self._stream = None
        self._status = "closed"

    # ------------------------------------------------------------------ health (render thread)
    def _say(self, key: str, text: str, now: float, *, every_s: float = 0.0) -> None:
        if every_s and now - self._last_msg_at.get(key, -1e9) < every_s:
            return
        self._last_msg_at[key] = now
        if len(self._messages) < MAX_PENDING_MESSAGES:  # nobody reading them: do not grow forever
            self._messages.append(text)
        log.warning("%s", text)

    def _watch(self, now: float) -> None:
        if self._status == "ok":
            if self._xruns != self._reported_xruns:
                self._say("xrun", f"audio {self.kind} {self.name!r}: {self._xruns} xrun(s) so far "
                          "(the sound system missed a deadline)", now, every_s=MESSAGE_EVERY_S)
                self._reported_xruns = self._xruns
            if self._announce_back and self._calls:
                self._announce_back = False
                self._say("back", f"audio {self.kind} {self.name!r} is back", now)
            why = self._lost_reason(now)
            if why:
                self._lose(why, now)
        elif self._status == "lost":
            with self._lock:
                stream, self._handover = self._handover, None
                err, self._reopen_error = self._reopen_error, None
            if err:
                self._say("reopen", f"audio {self.kind} {self.name!r}: still away ({err})", now, every_s=10.0)
            if stream is not None:
                self._reopener = None
                self._reopening = False
                self._stream = stream
                self._status = "ok"
                self._opened_at = now
                self._announce_back = True  # once sound flows again, not when merely reopened

    def _lost_reason(self, now: float) -> str | None:
        if self._ended:
            return "the stream stopped"
        if self._calls == 0:
            return "no sound from it" if now - self._opened_at > FIRST_CALLBACK_S else None
        latency = self._stream_latency_s()
        if now - max(self._last_call, self._opened_at) > LOST_AFTER_S + latency:
            return f"no callback for {now - self._last_call:.1f} s"
        return None

    def _stream_latency_s(self) -> float:
        lat = getattr(self._stream, "latency", 0.0)
        return float(max(lat) if isinstance(lat, (tuple, list)) else lat or 0.0)

    def _lose(self, why: str, now: float) -> None:
        self._status = "lost"
        dead, self._stream = self._stream, None
        if "JACK" in self.hostapi:
            # PortAudio's JACK host API aborts the process when a stream or PortAudio itself is
            # closed after the JACK server went away, so it cannot be reopened in-process: keep
            # the dead stream, skip PortAudio's exit-time clean-up, and say so.
            self._dead_streams.append(dead)
            atexit.unregister(getattr(self._sd, "_exit_handler", lambda: None))
            self._say("lost", f"audio {self.kind} {self.name!r} lost ({why}); the picture goes on; "
                      "PortAudio cannot reconnect to JACK: restart reactor once JACK runs again", now)
            return
        self._say("lost", f"audio {self.kind} {self.name!r} lost ({why}); the picture goes on, "
                  "reopening it when it returns", now)
        self._reopener = threading.Thread(target=self._reopen, args=(dead,), name="reactor-audio-reopen",
                                          daemon=True)
        self._reopener.start()

    # ------------------------------------------------------------------ reopen thread
    def _reopen(self, dead) -> None:
        _close_quietly(dead)
        while not self._closing.wait(REOPEN_EVERY_S):
            stream = None
            try:
                refresh()  # PortAudio lists devices only when loaded
                device = find_device(self.name, kind=self.kind)
                self._reopening = True
                stream = self._open_stream(self._sd, device)
                self._ended = False
                self._calls = 0
                self._on_open(stream)
                stream.start()
            except (AudioDeviceError, self._sd.PortAudioError, ValueError) as e:
                self._reopening = False
                _close_quietly(stream)
                with self._lock:
                    self._reopen_error = _first_line(e)
                continue
            with self._lock:
                if self._closing.is_set():
                    _close_quietly(stream)
                else:
                    self._device = device
                    self._handover = stream
            return

    # ------------------------------------------------------------------ PortAudio thread
    def _finished(self) -> None:
        """``finished_callback``: PortAudio stopped the stream (error or device gone)."""
        if not self._closing.is_set():
            self._ended = True

    # ------------------------------------------------------------------ subclass hooks
    def _open_stream(self, sd, device):  # pragma: no cover - abstract
        raise NotImplementedError

    def _on_open(self, stream) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _poll_samples(self, now: float) -> tuple[np.ndarray, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fallback(self, now: float) -> tuple[np.ndarray, float]:  # pragma: no cover - abstract
        raise NotImplementedError


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _close_quietly(stream) -> None:
    """Close a stream that may already be dead; errors here change nothing for the show."""
    if stream is None:
        return
    try:
        stream.abort(ignore_errors=True)
        stream.close(ignore_errors=True)
    except Exception as e:  # a dead device may fail in any way; it is gone either way
        log.debug("closing a lost stream: %s", e)
