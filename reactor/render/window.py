"""The live window: glfw, an OpenGL 3.3 core context, key events as plain names.

Main thread only (glfw requires it): creation, event polling, swapping and closing. Key events
are collected by glfw callbacks during ``poll()`` (on the same thread) and returned as names
(``"right"``, ``"1"``, ``"?"``, ``"ctrl+q"``, ``"f11"``) so nothing outside ``render/`` sees glfw.

Printable keys arrive through the character callback (layout independent, so ``?`` is ``?``
whatever the keyboard); keys without a character (arrows, Escape, F-keys, Enter, Backspace) and
Ctrl combinations through the key callback.
"""

from __future__ import annotations

import time

from reactor.errors import ReactorError

_SPECIAL_KEYS = {
    "RIGHT": "right", "LEFT": "left", "UP": "up", "DOWN": "down", "ESCAPE": "escape",
    "ENTER": "enter", "KP_ENTER": "enter", "BACKSPACE": "backspace", "TAB": "tab",
    "PAGE_UP": "pageup", "PAGE_DOWN": "pagedown", "HOME": "home", "END": "end",
    **{f"F{i}": f"f{i}" for i in range(1, 13)},
}


class Window:
    """A glfw window with a current GL context attached to moderngl.

    Parameters
    ----------
    width_px, height_px : int
        Windowed size in screen coordinates (the framebuffer may be larger on a HiDPI screen).
    title : str
    fullscreen : bool
        Start fullscreen on ``monitor`` at its current video mode.
    monitor : int
        Index into the connected monitors (0 = primary).
    vsync : bool
        Ask for swap interval 1. Whether it actually blocks is measured by the caller
        (``last_swap_s``): Xvfb and some drivers return at once.
    visible : bool

    Raises
    ------
    ReactorError
        No display, no glfw, or no OpenGL 3.3 core context; the message says what to do.
    """

    def __init__(self, *, width_px: int, height_px: int, title: str = "reactor", fullscreen: bool = False,
                 monitor: int = 0, vsync: bool = True, visible: bool = True) -> None:
        try:
            import glfw
        except ImportError:
            raise ReactorError("the live window needs glfw: pip install 'reactor[live]'") from None
        self._glfw = glfw
        if not glfw.init():
            raise ReactorError("cannot open a window: no display (set DISPLAY, or run under xvfb-run)")
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        glfw.window_hint(glfw.VISIBLE, bool(visible))
        glfw.window_hint(glfw.SCALE_TO_MONITOR, True)
        monitors = glfw.get_monitors() or []
        if monitors and not 0 <= monitor < len(monitors):
            glfw.terminate()
            raise ReactorError(f"--monitor {monitor}: there are {len(monitors)} monitors (0..{len(monitors) - 1})")
        self._monitor = monitors[monitor] if monitors else None
        self._windowed = (int(width_px), int(height_px))
        self._win = glfw.create_window(int(width_px), int(height_px), title, None, None)
        if not self._win:
            glfw.terminate()
            raise ReactorError("cannot create an OpenGL 3.3 core window (driver too old, or no GLX on this display)")
        glfw.make_context_current(self._win)
        glfw.swap_interval(1 if vsync else 0)
        from reactor.render.context import attach_context

        self.ctx = attach_context()
        self._events: list[str] = []
        glfw.set_char_callback(self._win, self._on_char)
        glfw.set_key_callback(self._win, self._on_key)
        # the drawable size, kept from resize events: asking the X server each frame is a round
        # trip (0.2 ms and more on a loaded machine)
        self._fb_size = tuple(int(v) for v in glfw.get_framebuffer_size(self._win))
        glfw.set_framebuffer_size_callback(self._win, self._on_framebuffer_size)
        self.last_swap_s = 0.0
        self.fullscreen = False
        if fullscreen:
            self.set_fullscreen(True)

    # -- events (main thread, inside glfw.poll_events) --------------------------------------
    def _on_char(self, _win, codepoint: int) -> None:
        ch = chr(codepoint)
        self._events.append("space" if ch == " " else ch)

    def _on_framebuffer_size(self, _win, width: int, height: int) -> None:
        self._fb_size = (int(width), int(height))

    def _on_key(self, _win, key: int, _scancode: int, action: int, mods: int) -> None:
        glfw = self._glfw
        if action not in (glfw.PRESS, glfw.REPEAT):
            return
        if mods & glfw.MOD_CONTROL and glfw.KEY_A <= key <= glfw.KEY_Z:
            self._events.append("ctrl+" + chr(ord("a") + key - glfw.KEY_A))
            return
        for name, label in _SPECIAL_KEYS.items():
            if key == getattr(glfw, f"KEY_{name}"):
                self._events.append(("alt+" if mods & glfw.MOD_ALT else "") + label)
                return

    def poll(self) -> list[str]:
        """Process window events; the key names pressed since the last call, in order."""
        self._glfw.poll_events()
        events, self._events = self._events, []
        return events

    # -- state ------------------------------------------------------------------------------
    @property
    def should_close(self) -> bool:
        """The user closed the window (or ``request_close`` was called)."""
        return bool(self._glfw.window_should_close(self._win))

    def request_close(self) -> None:
        """Ask the loop to end at the next frame."""
        self._glfw.set_window_should_close(self._win, True)

    @property
    def screen(self):
        """The framebuffer the frame is drawn into (the window's default framebuffer)."""
        return self.ctx.screen

    @property
    def framebuffer_size(self) -> tuple[int, int]:
        """Drawable size in pixels (0 x 0 while minimised), as of the last ``poll``."""
        return self._fb_size

    @property
    def content_scale(self) -> float:
        """Pixels per screen coordinate x DPI factor (1.0 on a plain screen; 2.0 on Retina)."""
        sx, sy = self._glfw.get_window_content_scale(self._win)
        return float(max(sx, sy, 1.0))

    @property
    def refresh_hz(self) -> float:
        """The monitor's refresh rate (60 when unknown)."""
        mon = self._monitor
        mode = self._glfw.get_video_mode(mon) if mon is not None else None
        return float(mode.refresh_rate) if mode and mode.refresh_rate > 0 else 60.0

    @property
    def x_window_id(self) -> int | None:
        """The X11 window id (for screenshots and key injection in tests), else None."""
        try:
            return int(self._glfw.get_x11_window(self._win))
        except Exception:  # not on X11
            return None

    def set_fullscreen(self, on: bool) -> None:
        """Switch between fullscreen on the chosen monitor (its current mode) and the window."""
        glfw = self._glfw
        if on == self.fullscreen or self._monitor is None:
            return
        if on:
            mode = glfw.get_video_mode(self._monitor)
            glfw.set_window_monitor(self._win, self._monitor, 0, 0, mode.size.width, mode.size.height,
                                    mode.refresh_rate)
        else:
            w, h = self._windowed
            glfw.set_window_monitor(self._win, None, 40, 40, w, h, 0)
        glfw.swap_interval(1)
        self.fullscreen = on

    def swap(self) -> float:
        """Show the frame; returns (and keeps in ``last_swap_s``) seconds the swap blocked."""
        t0 = time.perf_counter()
        self._glfw.swap_buffers(self._win)
        self.last_swap_s = time.perf_counter() - t0
        return self.last_swap_s

    def close(self) -> None:
        """Destroy the window and end glfw (the GL context goes with it)."""
        if self._win is not None:
            self.ctx.release()
            self._glfw.destroy_window(self._win)
            self._win = None
            self._glfw.terminate()
