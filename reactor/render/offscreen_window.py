"""A window-shaped offscreen target: the live loop without a display.

Same interface as :class:`reactor.render.window.Window` (``ctx``, ``screen``, ``poll``, ``swap``,
``framebuffer_size`` ...), drawn into a framebuffer of a headless EGL context. For soak runs of an
installation's full loop, benchmarks, and tests of control surfaces that need no window system.
Keys can be queued with ``press`` (a test or a scripted run); nothing is ever shown.
"""

from __future__ import annotations


class OffscreenWindow:
    """An invisible ``width_px`` x ``height_px`` screen; ``refresh_hz`` is what the loop paces to."""

    fullscreen = False
    content_scale = 1.0
    x_window_id = None

    def __init__(self, *, width_px: int, height_px: int, refresh_hz: float = 60.0, **_ignored) -> None:
        from reactor.render.context import create_context

        self.ctx = create_context(headless=True)
        self._size = (int(width_px), int(height_px))
        self._tex = self.ctx.texture(self._size, 4)
        self.screen = self.ctx.framebuffer(color_attachments=[self._tex])
        self.refresh_hz = float(refresh_hz)
        self.last_swap_s = 0.0
        self._events: list[str] = []
        self._close = False

    def press(self, *keys: str) -> None:
        """Queue key names (as ``Window.poll`` reports them) for the next frame."""
        self._events.extend(keys)

    def poll(self) -> list[str]:
        events, self._events = self._events, []
        return events

    @property
    def should_close(self) -> bool:
        return self._close

    def request_close(self) -> None:
        self._close = True

    @property
    def framebuffer_size(self) -> tuple[int, int]:
        return self._size

    def set_fullscreen(self, on: bool) -> None:
        """No screen to fill: a no-op."""

    def swap(self) -> float:
        self.last_swap_s = 0.0
        return 0.0

    def read_rgb(self):
        """What is 'on screen' now, as an (h, w, 3) uint8 array, top row first."""
        import numpy as np

        data = self.screen.read(components=3, alignment=1)
        w, h = self._size
        return np.frombuffer(data, np.uint8).reshape(h, w, 3)[::-1]

    def close(self) -> None:
        if self.ctx is not None:
            self.screen.release()
            self._tex.release()
            self.ctx.release()
            self.ctx = None
