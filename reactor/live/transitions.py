"""Preset slots and crossfades: which slot shows, which fades in, and how far (pure logic).

A switch request becomes a ``Crossfade`` that starts now, on the next beat or on the next bar
(from the frame's beat phase and tempo), and lasts the current fade length. The loop draws both
renderers while a fade runs (each keeps its feedback) and drops the old one when it ends.
"""

from __future__ import annotations

from dataclasses import dataclass

FADE_LENGTHS_S = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)
QUANTIZE_MODES = ("now", "beat", "bar")


@dataclass(frozen=True)
class Crossfade:
    """A fade to slot ``target`` from ``start_s`` lasting ``length_s`` (clock seconds)."""

    target: int
    start_s: float
    length_s: float

    def progress(self, now_s: float) -> float:
        """0 before the start, 1 at the end and after."""
        if now_s < self.start_s:
            return 0.0
        if self.length_s <= 0.0:
            return 1.0
        return min(1.0, (now_s - self.start_s) / self.length_s)


def next_boundary_s(now_s: float, mode: str, *, beat_phase: float, bar_phase: float, bpm: float,
                    beats_per_bar: float, confident: bool) -> float:
    """When a quantized change should start: now, the next beat, or the next bar (seconds).

    Without a confident tempo the change starts now (waiting for a beat that is not there reads
    as a key that does not work).
    """
    if mode == "now" or not confident or bpm <= 0.0:
        return now_s
    beat_s = 60.0 / bpm
    if mode == "beat":
        return now_s + (1.0 - beat_phase) % 1.0 * beat_s
    return now_s + (1.0 - bar_phase) % 1.0 * beats_per_bar * beat_s


class Slots:
    """The preset list (``--preset`` in order), the current slot and the running fade.

    Parameters
    ----------
    count : int
        Number of slots (>= 1).
    fade_s : float
        Initial crossfade length (snapped to ``FADE_LENGTHS_S``).
    quantize : str
        Initial quantize mode (``QUANTIZE_MODES``).
    """

    def __init__(self, count: int, *, fade_s: float = 1.0, quantize: str = "beat") -> None:
        if count < 1:
            raise ValueError("need at least one slot")
        self.count = count
        self.current = 0
        self.fade: Crossfade | None = None
        self._fade_i = min(range(len(FADE_LENGTHS_S)), key=lambda i: abs(FADE_LENGTHS_S[i] - fade_s))
        self.quantize = quantize if quantize in QUANTIZE_MODES else "beat"

    @property
    def fade_s(self) -> float:
        return FADE_LENGTHS_S[self._fade_i]

    def longer(self) -> None:
        self._fade_i = min(self._fade_i + 1, len(FADE_LENGTHS_S) - 1)

    def shorter(self) -> None:
        self._fade_i = max(self._fade_i - 1, 0)

    def cycle_quantize(self) -> None:
        self.quantize = QUANTIZE_MODES[(QUANTIZE_MODES.index(self.quantize) + 1) % len(QUANTIZE_MODES)]

    def request(self, target: int, *, start_s: float, now: bool = False) -> Crossfade | None:
        """Fade to ``target`` (index, wrapped) from ``start_s``; ``now``: cut at once. None if already there."""
        target %= self.count
        showing = self.fade.target if self.fade is not None else self.current
        if target == showing:
            return None
        if self.fade is not None:  # a new request during a fade: the fade's target becomes current
            self.current = self.fade.target
        self.fade = Crossfade(target, start_s, 0.0 if now else self.fade_s)
        return self.fade

    def advance(self, now_s: float) -> tuple[int | None, float, bool]:
        """(incoming slot or None, progress 0..1, finished) at ``now_s``; a finished fade becomes current."""
        if self.fade is None:
            return None, 0.0, False
        p = self.fade.progress(now_s)
        if p >= 1.0:
            self.current = self.fade.target
            self.fade = None
            return None, 1.0, True
        return self.fade.target, p, False
