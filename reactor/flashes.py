"""Count general flashes in a clip, after WCAG 2.3.1's definition, to keep clips under 3 a second.

A *general flash* is a pair of opposing changes in relative luminance of 10 % or more of white,
where the darker state is below 0.80 (WCAG 2.x). It counts when it covers about a quarter of a
10-degree field of view; for a clip watched full screen we take each of nine overlapping
windows of a quarter of the frame (half width x half height). A clip passes when no window has
more than three flashes (six opposing transitions) in any one second.

``FlashCounter`` is fed one frame at a time (uint8 sRGB ``(h, w, 3)``); it subsamples, so it
costs well under a millisecond at 720p.
"""

from __future__ import annotations

from collections import deque

import numpy as np

DELTA = 0.10
"""A transition: relative luminance changes by at least this (fraction of white)."""
DARK_MAX = 0.80
"""The darker state of a transition must be below this."""
LIMIT_PER_S = 3.0


def _srgb_table() -> np.ndarray:
    c = np.arange(256, dtype=np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4).astype(np.float32)


_LINEAR = _srgb_table()


def relative_luminance(rgb_u8: np.ndarray) -> np.ndarray:
    """sRGB uint8 -> linear relative luminance 0..1 (WCAG/sRGB formula)."""
    lin = _LINEAR[rgb_u8]
    return lin[..., 0] * 0.2126 + lin[..., 1] * 0.7152 + lin[..., 2] * 0.0722


def window_means(rgb_u8: np.ndarray) -> np.ndarray:
    """Mean relative luminance of the nine quarter-frame windows (3 x 3, stride a quarter)."""
    h, w = rgb_u8.shape[:2]
    step = max(1, min(h, w) // 90)
    lum = relative_luminance(rgb_u8[::step, ::step])
    hh, ww = lum.shape
    out = []
    for i in range(3):
        for j in range(3):
            y0, x0 = i * hh // 4, j * ww // 4
            out.append(lum[y0:y0 + hh // 2, x0:x0 + ww // 2].mean())
    return np.array(out)


class FlashCounter:
    """Transitions per window; ``max_flashes_per_s`` is the worst one-second count so far."""

    def __init__(self, *, fps: float) -> None:
        self.fps = float(fps)
        self._frame = 0
        self._ext: np.ndarray | None = None   # last extreme luminance per window
        self._dir = np.zeros(9)               # direction of the last transition (+1 up, -1 down)
        self._times = [deque() for _ in range(9)]
        self.max_flashes_per_s = 0.0
        self.transitions = 0

    def add(self, rgb_u8: np.ndarray, means: np.ndarray | None = None) -> None:
        """Count the frame ``rgb_u8``; ``means``: its ``window_means`` when already known."""
        L = window_means(rgb_u8) if means is None else means
        t = self._frame / self.fps
        self._frame += 1
        if self._ext is None:
            self._ext = L.copy()
            return
        for k in range(9):
            d = L[k] - self._ext[k]
            if self._dir[k] != 0.0 and d * self._dir[k] >= 0.0:
                self._ext[k] = L[k]  # still going the same way: the extreme moves on
            elif abs(d) >= DELTA and min(L[k], self._ext[k]) < DARK_MAX:
                self._dir[k] = 1.0 if d > 0 else -1.0
                self._ext[k] = L[k]
                q = self._times[k]
                q.append(t)
                self.transitions += 1
                while q and q[0] <= t - 1.0 + 0.5 / self.fps:  # a half-open one-second window
                    q.popleft()
                self.max_flashes_per_s = max(self.max_flashes_per_s, len(q) / 2.0)

    @property
    def passes(self) -> bool:
        return self.max_flashes_per_s <= LIMIT_PER_S


class FlashLimiter:
    """Keeps rendered frames under the three-flash threshold (main thread, in the render loop).

    It counts transitions on the frames it *outputs*; when a frame would make the seventh
    opposing transition (the fourth flash) within one second in any window, it blends the frame
    toward the previous output just enough that the change stays under ``DELTA``. Rare by design
    (a few frames of a strobe-like preset), so its cost is one subsampled luminance per frame.
    """

    MAX_TRANSITIONS = int(2 * LIMIT_PER_S)

    def __init__(self, *, fps: float) -> None:
        self.counter = FlashCounter(fps=fps)
        self._prev: np.ndarray | None = None
        self.limited_frames = 0

    def _over_budget(self, L: np.ndarray) -> bool:
        """Would windows at luminance ``L`` make a transition past the one-second budget?"""
        c = self.counter
        t = c._frame / c.fps
        for k in range(9):
            d = L[k] - c._ext[k]
            reverses = c._dir[k] == 0.0 or d * c._dir[k] < 0.0
            if reverses and abs(d) >= DELTA and min(L[k], c._ext[k]) < DARK_MAX:
                if sum(1 for s in c._times[k] if s > t - 1.0 + 0.5 / c.fps) >= self.MAX_TRANSITIONS:
                    return True
        return False

    def apply(self, rgb_u8: np.ndarray) -> np.ndarray:
        """The frame to show instead of ``rgb_u8`` (the same array when nothing is limited)."""
        c = self.counter
        out = rgb_u8
        means = window_means(rgb_u8)  # once a frame: the check and the count share it
        if self._prev is not None and c._ext is not None and self._over_budget(means):
            prev = self._prev.astype(np.float32)
            step = rgb_u8.astype(np.float32) - prev
            alpha = 0.5
            for _ in range(6):  # luminance is not linear in sRGB: shrink until it fits
                out = (prev + alpha * step + 0.5).astype(np.uint8)
                if not self._over_budget(window_means(out)):
                    break
                alpha *= 0.5
            else:
                out = self._prev
            self.limited_frames += 1
            means = None
        c.add(out, means)
        self._prev = out
        return out
