"""Reading frames back from the GPU without waiting for it: pixel buffer objects in a ring.

``fbo.read()`` makes the CPU wait until the GPU has finished the frame and copied it. Here each
frame is instead read *into a pixel buffer object* (``fbo.read_into(ctx.buffer)``, which only
queues the copy), and the buffer is mapped ``depth`` frames later, when the copy is long done.
The price is ``depth`` frames of latency, which a recording does not mind.

Used by ``reactor render`` (``ClipSink(readback=...)``: frames reach the clip two steps late, in
order, byte for byte what a plain read gives) and by live recording (``ReadbackSink``).

API (everything on the thread that owns the GL context)::

    rb = AsyncReadback(ctx, width_px=1280, height_px=720, depth=2)
    rgb = rb.push(fbo)          # None for the first `depth` pushes, then the frame pushed
                                # `depth` calls ago: a new uint8 (h, w, 3), top row first
    rest = rb.flush()           # the frames still in flight, oldest first
    rb.release()

    sink = ReadbackSink(ctx, recorder, width_px=1280, height_px=720)   # a FrameSink
    sink.write(renderer, frame)  # reads renderer.output_fbo, passes (rgb, frame.time_s) on
    stats = sink.close()         # flushes, then recorder.close()

On Mesa llvmpipe (software GL) the "GPU" is the CPU, so the copy is not truly asynchronous
(``benchmarks/bench_readback.py`` measures both ways); on a hardware driver the map is a memcpy
of a finished transfer.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from reactor.errors import ReactorError

__all__ = ["AsyncReadback", "ReadbackSink"]


class AsyncReadback:
    """A ring of ``depth`` pixel buffer objects giving frames back ``depth`` pushes late.

    Parameters
    ----------
    ctx : moderngl.Context
    width_px, height_px : int
        Size read from each framebuffer (its lower-left ``width_px x height_px`` region).
    depth : int
        Frames in flight (1..8); 2 hides a frame of GPU latency with room to spare.
    """

    def __init__(self, ctx, *, width_px: int, height_px: int, depth: int = 2) -> None:
        if not 1 <= int(depth) <= 8:
            raise ReactorError(f"readback depth must be 1..8 frames, got {depth}")
        if int(width_px) < 1 or int(height_px) < 1:
            raise ReactorError(f"readback size must be positive, got {width_px}x{height_px}")
        self.width_px, self.height_px, self.depth = int(width_px), int(height_px), int(depth)
        size = self.width_px * self.height_px * 3
        self._buffers = [ctx.buffer(reserve=size) for _ in range(self.depth)]
        self._flipped = np.empty((self.height_px, self.width_px, 3), np.uint8)  # scratch
        self._in_flight: deque[tuple[int, bool]] = deque()  # (buffer index, rows top first)
        self._next = 0

    def push(self, fbo, *, rows_top_first: bool = False) -> np.ndarray | None:
        """Start reading ``fbo`` (colour attachment 0, 8-bit) and return the oldest frame in flight.

        Parameters
        ----------
        fbo : moderngl.Framebuffer
        rows_top_first : bool
            True when the framebuffer already stores the picture upside down (the renderer's
            present pass does, see ``Renderer.output_rows_top_first``); GL's usual layout is
            bottom row first, which is flipped here.

        Returns
        -------
        np.ndarray or None
            The frame pushed ``depth`` calls ago as a new ``uint8 (height_px, width_px, 3)``, top
            row first; None while the ring is filling.
        """
        out = self._take() if len(self._in_flight) == self.depth else None
        index = self._next
        fbo.read_into(self._buffers[index], viewport=(0, 0, self.width_px, self.height_px),
                      components=3, alignment=1)
        self._in_flight.append((index, rows_top_first))
        self._next = (index + 1) % self.depth
        return out

    def flush(self) -> list[np.ndarray]:
        """The frames still in flight, oldest first; the ring is empty afterwards."""
        frames = []
        while self._in_flight:
            frames.append(self._take())
        return frames

    def release(self) -> None:
        """Free the buffers (frames still in flight are lost)."""
        for buf in self._buffers:
            buf.release()
        self._buffers = []
        self._in_flight.clear()

    def _take(self) -> np.ndarray:
        index, top_first = self._in_flight.popleft()
        out = np.empty((self.height_px, self.width_px, 3), np.uint8)
        if top_first:
            self._buffers[index].read_into(out)
        else:
            self._buffers[index].read_into(self._flipped)
            np.copyto(out, self._flipped[::-1])
        return out


class ReadbackSink:
    """A ``FrameSink`` that reads frames asynchronously and hands them to a frame consumer.

    Parameters
    ----------
    ctx : moderngl.Context
    consumer : object
        Has ``push_frame(rgb, time_s)``, ``close()`` and ``abort()``
        (``reactor.output.recorder.LiveRecorder``).
    width_px, height_px, depth : int
        As for ``AsyncReadback``.

    Notes
    -----
    ``write(frame_source, frame)`` reads ``frame_source.output_fbo`` (the dithered 8-bit output,
    e.g. ``Renderer.output_fbo`` or a live compositor's framebuffer without the HUD); a source
    storing rows top first says so with ``output_rows_top_first = True``. Each frame reaches the
    consumer ``depth`` writes later, stamped with its own ``frame.time_s``.
    """

    def __init__(self, ctx, consumer, *, width_px: int, height_px: int, depth: int = 2) -> None:
        self.consumer = consumer
        self._readback = AsyncReadback(ctx, width_px=width_px, height_px=height_px, depth=depth)
        self._times: deque[float] = deque()

    def write(self, frame_source, frame) -> None:
        """Queue the current picture of ``frame_source`` (shown at ``frame.time_s``)."""
        top_first = bool(getattr(frame_source, "output_rows_top_first", False))
        self._times.append(frame.time_s)
        rgb = self._readback.push(frame_source.output_fbo, rows_top_first=top_first)
        if rgb is not None:
            self.consumer.push_frame(rgb, self._times.popleft())

    def close(self):
        """Pass on the frames in flight, free the buffers and close the consumer (its result)."""
        for rgb in self._readback.flush():
            self.consumer.push_frame(rgb, self._times.popleft())
        self._readback.release()
        return self.consumer.close()

    def abort(self) -> None:
        """Drop the frames in flight, free the buffers and abort the consumer."""
        self._readback.release()
        self._times.clear()
        self.consumer.abort()
