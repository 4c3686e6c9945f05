"""Live sound for ``reactor live``: the source protocol the render loop drives, and its makers.

A source is started once, then polled once per frame on the render thread::

    source = PlaybackSource(clip, loop=True)      # or MicSource(device="usb")
    source.start()
    while running:
        samples, t = source.poll()                # never raises, never blocks
        engine.step(t, samples)
        hud.show(source.stats(), source.messages())
    source.close()

``sounddevice`` is imported when a source is built, never when this module is imported.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from reactor.audio.liveclock import LiveClock
from reactor.audio.mic import MicSource
from reactor.audio.playback import PlaybackSource

__all__ = ["LiveClock", "LiveSource", "MicSource", "PlaybackSource"]


@runtime_checkable
class LiveSource(Protocol):
    """What the render loop needs from a live sound source. All methods: render thread.

    Attributes
    ----------
    sample_rate_hz : int
        Rate of the samples ``poll`` returns (build the analyzer with it).
    channels : int
        Columns of the samples ``poll`` returns.
    name : str
        The device's name.
    """

    sample_rate_hz: int
    channels: int
    name: str

    def start(self) -> None:
        """Open the device and start; raises ``AudioDeviceError`` (one line) if it cannot."""

    def poll(self) -> tuple[np.ndarray, float]:
        """``(samples, time_s)``: float32 ``(n, channels)`` samples that became available since
        the last poll (contiguous: gaps come back as silence), and the time the picture should
        show now (playback: the position heard now; mic: capture position of the newest
        sample). ``time_s`` never decreases; ``poll`` never raises."""

    def stats(self) -> dict:
        """``xruns``, ``input_latency_ms``, ``output_latency_ms`` (float or None), ``status``
        ("ok", "lost", "reopening", "stopped", "closed"), ``device``, and more per source."""

    def messages(self) -> list[str]:
        """New one-line warnings since the last call."""

    def close(self) -> None:
        """Stop and release the device (idempotent)."""
