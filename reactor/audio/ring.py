"""The sample ring: the one object that carries audio from the PortAudio thread to the render thread.

Contract (single producer, single consumer, no lock):

- Exactly one thread calls :meth:`SampleRing.write` (the audio callback) and exactly one other
  thread calls :meth:`SampleRing.read` (the render thread). Anything else is a bug.
- ``write`` never blocks and never allocates an array: it copies the block into a buffer made
  once at construction and moves the write counter. When the reader has fallen behind by more
  than ``capacity_frames``, the **oldest** unread frames are overwritten (the show wants the
  newest sound, and latency must stay bounded); the writer counts each such write in
  ``overflows``.
- ``read`` copies out every frame still intact, oldest first, and tells by ``lost_frames`` how
  many frames were overwritten before it could copy them. Lost frames always come *before* the
  frames a read returns, so a consumer can keep its timeline by inserting silence for them.

Why it is safe without a lock: the writer publishes two absolute frame counters. ``_claim`` moves
*before* it copies (frames below ``_claim - capacity`` may be overwritten from then on) and
``_written`` moves *after* (frames below it are complete). The reader copies ``[start, _written)``,
then re-reads ``_claim`` and throws away the prefix the writer may have overwritten during the
copy, like a seqlock. Counter updates are single attribute stores, atomic under the interpreter.
"""

from __future__ import annotations

import numpy as np


class SampleRing:
    """Single-producer / single-consumer float32 ring of ``(frames, channels)`` audio.

    Parameters
    ----------
    capacity_frames : int
        Frames kept for the reader (16..2**24). Size it for the longest render-thread stall
        you want to survive without losing sound (a second or two).
    channels : int
        Channels per frame (1..64). Blocks must have exactly this many columns.

    Attributes
    ----------
    overflows : int
        Writes that overwrote frames the reader had not read yet (written by the producer).
    lost_frames : int
        Frames overwritten before the reader copied them (written by the consumer).
    """

    def __init__(self, *, capacity_frames: int, channels: int) -> None:
        if not 16 <= int(capacity_frames) <= 1 << 24:
            raise ValueError(f"capacity_frames must be 16..{1 << 24}, got {capacity_frames}")
        if not 1 <= int(channels) <= 64:
            raise ValueError(f"channels must be 1..64, got {channels}")
        self.capacity_frames = int(capacity_frames)
        self.channels = int(channels)
        self._buf = np.zeros((self.capacity_frames, self.channels), dtype=np.float32)
        self._claim = 0  # producer: frames that are being or have been written
        self._written = 0  # producer: frames completely written
        self._read = 0  # consumer: frames read or lost
        self.overflows = 0  # producer
        self.lost_frames = 0  # consumer

    @property
    def frames_written(self) -> int:
        """Frames written since construction (either thread may read it)."""
        return self._written

    def write(self, block: np.ndarray) -> None:
        """Append ``block`` (``(n, channels)``, float32 for a copy without conversion).

        Audio thread only. Never allocates an array, never blocks, never raises for n == 0. A
        block longer than the ring keeps only its last ``capacity_frames`` frames.
        """
        n = block.shape[0]
        if n == 0:
            return
        cap = self.capacity_frames
        w = self._written
        if w + n - self._read > cap:
            self.overflows += 1
        if n > cap:  # only the newest part can survive anyway
            block = block[n - cap:]
            w += n - cap
            n = cap
        self._claim = w + n
        i = w % cap
        first = min(n, cap - i)
        self._buf[i:i + first] = block[:first]
        if first < n:
            self._buf[:n - first] = block[first:]
        self._written = w + n

    def read(self) -> np.ndarray:
        """Every intact unread frame, oldest first, as a new ``(n, channels)`` float32 array.

        Render thread only. Frames the writer overwrote first are skipped and added to
        ``lost_frames`` (they precede the returned frames).
        """
        cap = self.capacity_frames
        end = self._written
        start = max(self._read, end - cap)
        out = np.empty((end - start, self.channels), dtype=np.float32)
        i = start % cap
        first = min(end - start, cap - i)
        out[:first] = self._buf[i:i + first]
        if first < end - start:
            out[first:] = self._buf[:end - start - first]
        # frames the writer may have overwritten while we copied
        clobbered = min(self._claim - cap - start, end - start)
        if clobbered > 0:
            out = out[clobbered:]
            start += clobbered
        self.lost_frames += start - self._read
        self._read = end
        return out
