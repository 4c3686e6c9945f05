"""Samples for the render loop, from a decoded clip or a stream, in order and in bounded memory.

``SampleFeed`` hands out the samples ``[pos, until)`` one frame span at a time. Over an
``AudioClip`` it slices the array; over an ``AudioStream`` it decodes just enough blocks and
keeps only what has not been handed out yet (a block or two), so a two-hour mix renders in the
memory of a two-minute one. ``total`` is known once the stream has ended.
"""

from __future__ import annotations

import numpy as np

from reactor.blocks import take_frames


class SampleFeed:
    """Ordered access to ``source`` (an ``AudioClip`` or an ``AudioStream``); main thread."""

    def __init__(self, source) -> None:
        self.sample_rate_hz = source.sample_rate_hz
        self.pos = 0
        samples = getattr(source, "samples", None)
        if samples is not None:  # a decoded clip: everything is already here
            self._array = samples
            self.channels = samples.shape[1]
            self.total: int | None = samples.shape[0]
            self.duration_estimate_s = samples.shape[0] / self.sample_rate_hz
            self._blocks = None
        else:
            self._array = None
            self.channels = source.channels
            self.total = None
            self.duration_estimate_s = source.duration_estimate_s
            self._blocks = source.blocks()
        self._buf: list[np.ndarray] = []
        self._buf_n = 0  # samples buffered beyond pos

    @property
    def ended(self) -> bool:
        return self.total is not None

    def fill(self, until: int) -> None:
        """Decode until ``until`` samples are available (or the stream ends)."""
        if self._blocks is None:
            return
        while self.total is None and self.pos + self._buf_n < until:
            block = next(self._blocks, None)
            if block is None:
                self.total = self.pos + self._buf_n
                break
            self._buf.append(block)
            self._buf_n += len(block)

    def take(self, until: int) -> np.ndarray:
        """Samples ``[pos, until)`` (fewer at the end), as float32 ``(n, channels)``; advances ``pos``."""
        if self._array is not None:
            a, self.pos = self.pos, max(self.pos, min(until, self._array.shape[0]))
            return self._array[a:self.pos]
        self.fill(until)
        want = max(0, min(until - self.pos, self._buf_n))
        out, _ = take_frames(self._buf, want, self.channels)  # want <= what is buffered
        self._buf_n -= want
        self.pos += want
        return out

    def rest(self) -> np.ndarray:
        """Everything not yet taken, to the end (for the mux's tail; a stream's last blocks)."""
        if self._array is not None:
            return self.take(self._array.shape[0])
        self.fill(1 << 62)
        return self.take(self.total)
