"""The one loop body shared by offline rendering and (later) live performance.

``Engine.step(time_s, samples)`` feeds the analyzer the samples that arrived since the last step,
takes one ``Features`` snapshot at ``time_s``, runs the modulation and draws one frame. Offline,
the caller passes frame ``n`` at ``t = n / fps`` with exactly the samples up to ``t``; live, the
caller passes the audio clock and whatever the capture ring holds. Nothing here knows which.

Threading: an engine and everything it owns live on one thread (the main/render thread).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from reactor.analysis.analyzer import StreamingAnalyzer
from reactor.control.params import Modulator
from reactor.features import Features


@dataclass(frozen=True)
class Frame:
    """What one step produced: the snapshot and the parameter values it was drawn with
    (``params`` of the first layer; ``layer_params`` of every layer, in order)."""

    index: int
    time_s: float
    features: Features
    params: Mapping[str, float]
    layer_params: tuple = ()


@dataclass
class Layer:
    """One preset being shown: its modulator and its renderer (None: modulation only)."""

    modulator: Modulator
    renderer: object = None


class Engine:
    """Wires analyzer -> modulator(s) -> renderer(s). See the module docstring for the contract.

    Parameters
    ----------
    analyzer : StreamingAnalyzer
    modulator : Modulator
        The first layer's modulator (offline rendering has exactly one layer).
    renderer : object with ``render(features, params, time_s=, dt_s=)`` (``reactor.render.renderer.Renderer``),
        or None to run analysis and modulation only.

    Live, ``layers`` holds one layer, or two during a crossfade (both draw every frame, so both
    keep their feedback running).
    """

    def __init__(self, *, analyzer: StreamingAnalyzer, modulator: Modulator, renderer=None,
                 analysis_offset_s: float = 0.0) -> None:
        self.analyzer = analyzer
        self.analysis_offset_s = float(analysis_offset_s)  # audio the analyzer heard before time 0 (pre-roll)
        self.layers: list[Layer] = [Layer(modulator, renderer)]
        self._index = 0
        self._last_t: float | None = None
        self.analysis_s = 0.0

    @property
    def modulator(self) -> Modulator:
        """The first layer's modulator."""
        return self.layers[0].modulator

    @property
    def renderer(self):
        """The first layer's renderer."""
        return self.layers[0].renderer

    def step(self, time_s: float, samples: np.ndarray | None = None, *, controls: Mapping[str, float] | None = None,
             bases: Mapping[str, float] | None = None, draw: bool = True) -> Frame:
        """Advance to ``time_s`` (seconds of audio) after consuming ``samples`` (n, channels).

        ``controls`` and ``bases`` are live external controls and parameter overrides (see
        ``Modulator.step``); ``draw=False`` advances analysis and modulation without drawing
        (a frozen picture). Offline rendering passes none of them.
        """
        t0 = time.perf_counter()
        if samples is not None and len(samples):
            self.analyzer.process(samples)
        features = self.analyzer.snapshot(time_s + self.analysis_offset_s)
        self.analysis_s = time.perf_counter() - t0  # for a HUD; never affects the output
        # dt is what the picture experienced; a backwards jump (seek, loop) is not negative time
        dt = 0.0 if self._last_t is None else time_s - self._last_t
        all_params = []
        for layer in self.layers:
            params = layer.modulator.step(features, dt_s=dt, controls=controls, bases=bases)
            if draw and layer.renderer is not None:
                layer.renderer.render(features, params, time_s=time_s, dt_s=max(dt, 0.0))
            all_params.append(params)
        self._last_t = time_s
        frame = Frame(index=self._index, time_s=time_s, features=features, params=all_params[0],
                      layer_params=tuple(all_params))
        self._index += 1
        return frame


class OfflineClock:
    """Frame ``n`` is at ``n / fps``; ``samples_until(n)`` slices exactly the audio up to that time."""

    def __init__(self, *, fps: float, sample_rate_hz: int) -> None:
        if not 1.0 <= fps <= 240.0:
            raise ValueError(f"fps must be 1..240, got {fps:g}")
        self.fps = float(fps)
        self.sample_rate_hz = int(sample_rate_hz)

    def time_of(self, n: int) -> float:
        """Time of frame ``n`` in seconds."""
        return n / self.fps

    def sample_of(self, n: int) -> int:
        """Index of the first sample *after* frame ``n``'s time (the analyzer has all before it)."""
        return int(round(n * self.sample_rate_hz / self.fps))

    def sample_span(self, n: int) -> tuple[int, int]:
        """(start, stop) of the samples that arrive between frame ``n - 1`` and frame ``n``."""
        return (self.sample_of(n - 1) if n else 0), self.sample_of(n)

    def frame_count(self, duration_s: float) -> int:
        """Frames covering ``duration_s`` so the video lasts as long as the audio (within a frame)."""
        return max(1, int(round(duration_s * self.fps)))
