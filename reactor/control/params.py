"""Modulation: turn a Features snapshot into scene parameter values, once per frame.

Each route reads one source (a feature scalar or the beat-locked LFO), maps it to 0..1, shapes it
with a curve, smooths it with separate attack/release time constants, and adds ``amount`` times the
result to its parameter's default; the sum is clamped to the parameter's range::

    value = clamp(default + sum(amount * smooth(curve(map(source)))), min, max)

A route's source is looked up in one namespace: the sound features (``Features.scalars``), the
beat-locked LFO, and external controls (``cc:1:74``, ``ctl:name``; see
``reactor.preset_schema.CONTROL_SOURCE``) passed to ``step`` as ``controls``. Live parameter
overrides (``bases``) replace a parameter's default while the show runs; they glide over
``BASE_GLIDE_S`` and never reset the routes' smoothing, so a change never jumps.

Smoothing is an exact one-pole step for the elapsed ``dt_s`` (``a = 1 - exp(-dt / tau)``), so a
preset looks the same at 30, 60 or 144 fps. A ``Modulator`` lives on the main thread (it holds
smoothing state); nothing here is shared with other threads.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping

from reactor.features import Features
from reactor.presets import LFO, Preset, Route, natural_range

__all__ = ["Modulator", "apply_curve", "lfo_value", "smoothing_coefficient", "CURVE_FUNCTIONS"]

BASE_GLIDE_S = 0.08
"""Time constant of a parameter's base value moving to a live override (no jumps, no lag felt)."""

_EXP_K = 3.0
"""Steepness of the exp/log curves: exp(0.5) ~ 0.18 (between x^2 and x^3), log(0.5) ~ 0.79."""
_EXP_NORM = math.expm1(_EXP_K)


def _exp(x: float) -> float:
    return math.expm1(_EXP_K * x) / _EXP_NORM


def _log(x: float) -> float:
    # exact inverse of _exp: quick rise, gentle top (good for quiet sources such as hats)
    return math.log1p(_EXP_NORM * x) / _EXP_K


CURVE_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "linear": lambda x: x,
    "exp": _exp,
    "log": _log,
    "smooth": lambda x: x * x * (3.0 - 2.0 * x),
    "step": lambda x: 1.0 if x > 0.5 else 0.0,
}
"""Curve name -> function mapping 0..1 to 0..1 (each maps 0 -> 0 and 1 -> 1)."""


def apply_curve(name: str, x: float) -> float:
    """Shape a 0..1 value with the named curve (``reactor.presets.CURVES``); x is clamped first."""
    return CURVE_FUNCTIONS[name](min(1.0, max(0.0, x)))


def lfo_value(shape: str, *, beat_count: float, beat_phase: float, beats: float) -> float:
    """The beat-locked LFO in 0..1.

    Parameters
    ----------
    shape : {"sine", "triangle", "saw", "square"}
        sine is ``0.5 - 0.5 cos``, so every shape except square starts at 0 when the cycle starts;
        square is 1 for the first half of the cycle (on the beat), 0 for the second half.
    beat_count, beat_phase : float
        From the Features snapshot; ``beat_count + beat_phase`` is the position in beats.
    beats : float
        Period in beats (0.25 .. 8). The cycle restarts whenever the beat position is a multiple.
    """
    phase = ((beat_count + beat_phase) / beats) % 1.0
    if shape == "sine":
        return 0.5 - 0.5 * math.cos(2.0 * math.pi * phase)
    if shape == "triangle":
        return 1.0 - abs(2.0 * phase - 1.0)
    if shape == "saw":
        return phase
    if shape == "square":
        return 1.0 if phase < 0.5 else 0.0
    raise ValueError(f"unknown LFO shape {shape!r}")


def smoothing_coefficient(dt_s: float, tau_s: float) -> float:
    """Fraction of the remaining distance a one-pole smoother covers in ``dt_s`` seconds.

    ``1 - exp(-dt/tau)``: exact for a source held constant over the frame, hence frame-rate
    independent. ``tau_s == 0`` (or a non-finite/negative ``dt_s``, i.e. a time jump) snaps: 1.
    """
    if tau_s <= 0.0 or not math.isfinite(dt_s) or dt_s < 0.0:
        return 1.0
    return -math.expm1(-dt_s / tau_s)


class Modulator:
    """Per-frame parameter values for one preset.

    Parameters
    ----------
    preset : Preset
        A validated preset (``reactor.presets.load_preset``); its routes are fixed for the
        lifetime of the modulator (make a new one when the preset changes or reloads).
    """

    def __init__(self, preset: Preset) -> None:
        self._preset = preset
        self._routes: tuple[Route, ...] = preset.routes
        self._ranges = [r.range or natural_range(r.source) or (0.0, 1.0) for r in self._routes]
        self._state: list[float | None] = [None] * len(self._routes)
        self._bases: dict[str, float] = {}  # parameter -> current (gliding) base value

    @property
    def preset(self) -> Preset:
        """The preset this modulator applies."""
        return self._preset

    def reset(self) -> None:
        """Forget smoothing state (after a seek): the next step starts at the current sources."""
        self._state = [None] * len(self._routes)

    def route_values(self) -> list[float]:
        """Last smoothed 0..1 value of each route, in route order (for a HUD/meters)."""
        return [0.0 if v is None else v for v in self._state]

    def step(self, features: Features, *, dt_s: float, controls: Mapping[str, float] | None = None,
             bases: Mapping[str, float] | None = None) -> dict[str, float]:
        """Advance by ``dt_s`` seconds and return every parameter's value.

        Parameters
        ----------
        features : Features
            The snapshot for this frame.
        dt_s : float
            Seconds since the previous step (``1 / fps`` offline). A negative or non-finite
            value is treated as a jump in time: smoothers snap to the current source.
        controls : Mapping[str, float], optional
            External control values 0..1 by source name (``cc:1:74``); unset controls read 0.
        bases : Mapping[str, float], optional
            Live overrides of parameter defaults (name -> value); the base glides to them over
            ``BASE_GLIDE_S``. Names the preset does not declare are ignored.

        Returns
        -------
        dict
            Parameter name -> value, for every parameter the preset declares (unrouted ones at
            their default), clamped to the parameter's min..max.
        """
        sums = {name: 0.0 for name in self._preset.params}
        scalars = features.scalars
        for i, route in enumerate(self._routes):
            if route.source == LFO:
                x = lfo_value(route.shape, beat_count=scalars["beat_count"],
                              beat_phase=scalars["beat_phase"], beats=route.beats)
            else:
                lo, hi = self._ranges[i]
                if route.source in scalars:
                    v = scalars[route.source]
                else:  # an external control (cc:1:74, ctl:name); unset reads 0
                    v = float(controls.get(route.source, 0.0)) if controls else 0.0
                x = (v - lo) / (hi - lo) if math.isfinite(v) else 0.0
            target = apply_curve(route.curve, x)
            prev = self._state[i]
            if prev is None:
                value = target  # first frame: start where the sound is, no fade-in from zero
            else:
                tau = route.attack_s if target > prev else route.release_s
                value = prev + smoothing_coefficient(dt_s, tau) * (target - prev)
            self._state[i] = value
            sums[route.param] += route.amount * value
        out = {}
        glide = smoothing_coefficient(dt_s, BASE_GLIDE_S)
        for name, spec in self._preset.params.items():
            base = spec.default
            target = bases.get(name) if bases else None
            if target is not None or name in self._bases:
                goal = spec.default if target is None else min(spec.max, max(spec.min, float(target)))
                prev = self._bases.get(name, spec.default)
                base = prev + glide * (goal - prev)
                if target is None and abs(base - spec.default) < 1e-6:
                    self._bases.pop(name, None)  # back home: stop tracking
                else:
                    self._bases[name] = base
            out[name] = min(spec.max, max(spec.min, base + sums[name]))
        return out
