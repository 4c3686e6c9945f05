"""The one interface the engine loop writes finished frames to.

A loop (``reactor render``'s offline loop, ``reactor live``'s window loop) draws a frame with the
engine and then calls ``sink.write(frame_source, frame)`` for each of its sinks; it does not know
whether the pixels go into a clip, a live recording or nowhere::

    for sink in sinks:
        sink.write(renderer, frame)      # after engine.step(...)
    ...
    for sink in sinks:
        sink.close()                     # or sink.abort() when the loop is interrupted

``frame_source`` is what drew the frame: it has ``read_rgb()`` (a new ``uint8 (h, w, 3)``, top row
first; synchronous) and, for sinks that read the GPU asynchronously, ``output_fbo`` and
``output_rows_top_first`` (a ``reactor.render.renderer.Renderer`` has all three; a live
compositor provides the same for the picture without its HUD). ``frame`` is the
``reactor.engine.Frame`` the step returned (``index``, ``time_s``, ...).

Sinks here:

- ``ClipSink``: a ``VideoSink`` for ``reactor render`` (frame ``n`` of the clip per write), read
  synchronously or through an injected asynchronous readback ring (``reactor render`` uses one).
- ``reactor.output.recorder.LiveRecorder``: a live recording (synchronous read).
- ``reactor.render.readback.ReadbackSink``: asynchronous PBO readback into a ``LiveRecorder``.

All sink methods run on the thread that owns the GL context (the render thread).
"""

from __future__ import annotations

from collections import deque
from typing import Any, Protocol, runtime_checkable

__all__ = ["FrameSink", "ClipSink"]


@runtime_checkable
class FrameSink(Protocol):
    """Where the loop's finished frames go; see the module docstring."""

    def write(self, frame_source: Any, frame: Any) -> None:
        """Take the picture ``frame_source`` just drew for ``frame``."""

    def close(self) -> Any:
        """Finish normally; returns the sink's statistics (type depends on the sink)."""

    def abort(self) -> Any:
        """Stop early (interrupted loop, error) keeping whatever can be kept."""


class ClipSink:
    """A ``FrameSink`` writing each frame to a ``VideoSink``, read synchronously or through an
    asynchronous readback ring.

    Parameters
    ----------
    video : reactor.output.video.VideoSink
        The clip; its audio is written by the caller (``video.write_audio``) as before.
    transform : callable, optional
        ``rgb -> rgb`` applied before encoding (e.g. ``reactor.flashes.FlashLimiter.apply``).
    readback : object, optional
        A ``reactor.render.readback.AsyncReadback`` (``push(fbo, rows_top_first=)``, ``flush()``,
        ``release()``) reading ``frame_source.output_fbo``: each frame then reaches the clip
        ``readback.depth`` writes later, in order, with the same bytes; the frames still in
        flight are written by ``close()`` and ``abort()``. None: ``read_rgb()`` at once.
    on_frame : callable, optional
        ``on_frame(rgb, frame)`` for each frame as it is encoded (after ``transform``), with the
        ``frame`` it was drawn for (e.g. a poster picker).

    Attributes
    ----------
    last_rgb : np.ndarray or None
        The last frame written, as encoded.
    """

    def __init__(self, video, *, transform=None, readback=None, on_frame=None) -> None:
        self.video = video
        self.transform = transform
        self.readback = readback
        self.on_frame = on_frame
        self.last_rgb = None
        self._waiting: deque = deque()  # frames in the readback ring, oldest first

    def write(self, frame_source, frame) -> None:
        """Append the picture ``frame_source`` just drew for ``frame`` as the clip's next frame
        (constant frame rate: one frame per write)."""
        if self.readback is None:
            self._encode(frame_source.read_rgb(), frame)
            return
        self._waiting.append(frame)
        rgb = self.readback.push(frame_source.output_fbo,
                                 rows_top_first=bool(getattr(frame_source, "output_rows_top_first", False)))
        if rgb is not None:
            self._encode(rgb, self._waiting.popleft())

    def _encode(self, rgb, frame) -> None:
        if self.transform is not None:
            rgb = self.transform(rgb)
        self.last_rgb = rgb
        self.video.write_frame(rgb)
        if self.on_frame is not None:
            self.on_frame(rgb, frame)

    def _drain(self) -> None:
        if self.readback is None:
            return
        try:
            for rgb in self.readback.flush():
                self._encode(rgb, self._waiting.popleft())
        finally:
            self.readback.release()
            self.readback = None
            self._waiting.clear()

    def close(self):
        """Write the frames still in flight and finish the clip; returns ``EncodeStats``."""
        self._drain()
        return self.video.close()

    def abort(self):
        """Keep a playable partial clip of every frame drawn; returns ``EncodeStats`` or None.

        The frames still in the readback ring are written first (they were drawn); if that fails
        (the GL context is gone) the clip keeps the frames already encoded.
        """
        try:
            self._drain()
        except Exception:  # noqa: BLE001 - the error being handled is the caller's to report
            pass
        return self.video.abort()
