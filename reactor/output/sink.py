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

- ``ClipSink``: a ``VideoSink`` for ``reactor render`` (frame ``n`` of the clip per write).
- ``reactor.output.recorder.LiveRecorder``: a live recording (synchronous read).
- ``reactor.render.readback.ReadbackSink``: asynchronous PBO readback into a ``LiveRecorder``.

All sink methods run on the thread that owns the GL context (the render thread).
"""

from __future__ import annotations

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
    """A ``FrameSink`` writing each frame, read synchronously, to a ``VideoSink``.

    Parameters
    ----------
    video : reactor.output.video.VideoSink
        The clip; its audio is written by the caller (``video.write_audio``) as before.
    transform : callable, optional
        ``rgb -> rgb`` applied before encoding (e.g. ``reactor.flashes.FlashLimiter.apply``).

    Attributes
    ----------
    last_rgb : np.ndarray or None
        The last frame written, as encoded (for a poster picker).
    """

    def __init__(self, video, *, transform=None) -> None:
        self.video = video
        self.transform = transform
        self.last_rgb = None

    def write(self, frame_source, frame) -> None:
        """Append ``frame_source.read_rgb()`` as the clip's next frame (``frame`` is unused:
        the clip is constant frame rate, one frame per write)."""
        rgb = frame_source.read_rgb()
        if self.transform is not None:
            rgb = self.transform(rgb)
        self.last_rgb = rgb
        self.video.write_frame(rgb)

    def close(self):
        """Finish the clip; returns ``EncodeStats``."""
        return self.video.close()

    def abort(self):
        """Keep a playable partial clip; returns ``EncodeStats`` or None."""
        return self.video.abort()
