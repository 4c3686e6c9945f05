"""Turn a pass's binding table (``scene_spec.Bind``) into uniform setters for one compiled program.

The renderer (and ``ShaderTransition``) call ``bind_program`` once per compiled program and then,
every frame, ``apply`` the setters with a ``FrameState``. Only the table is consulted: a uniform
the program uses that no row names, or a row whose GLSL type does not match its source, is
reported once through ``warn`` and left alone, never guessed at.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Callable, Mapping

from reactor.errors import ReactorError

_GL = {0x1406: ("float", 1), 0x8B50: ("float", 2), 0x8B51: ("float", 3), 0x8B52: ("float", 4),
       0x1404: ("int", 1), 0x8B56: ("bool", 1), 0x8B5E: ("sampler", 2), 0x8B60: ("sampler", 6),
       0x8DCA: ("sampler", 2), 0x8B5F: ("sampler", 3)}
_EXPECT = {"time": ("float", 1), "dt": ("float", 1), "frame_rate": ("float", 1), "aspect": ("float", 1),
           "sample_rate": ("float", 1), "feature": ("float", 1), "date": ("float", 4), "mouse": ("float", 4),
           "frame": ("int", 1), "const": ("int", 1)}
_PARAM_EXPECT = {"float": ("float", 1), "int": ("int", 1), "bool": ("bool", 1), "event": ("bool", 1), "vec2": ("float", 2), "vec3": ("float", 3),
                 "vec4": ("float", 4)}
RESERVED_PREFIX = "reactor_"
"""Uniforms the renderer sets itself (``reactor_jitter``, ``reactor_height``), outside any table."""
DATE_ORIGIN = _dt.datetime(2000, 1, 1)
"""``iDate``/``DATE`` at time 0 unless the renderer is given another origin (offline renders stay
byte-identical run to run; a live show sets ``Renderer.date_origin`` to now)."""


@dataclass
class FrameState:
    """What one pass's setters read this frame."""

    time_s: float = 0.0
    dt_s: float = 0.0
    frame: int = 0
    size_px: tuple[int, int] = (1, 1)
    output_px: tuple[int, int] = (1, 1)  # the frame the scene outputs (every pass sees the same)
    scalars: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, float] = field(default_factory=dict)
    defaults: Mapping[str, float] = field(default_factory=dict)
    sample_rate_hz: float = 48000.0
    date_origin: _dt.datetime | None = None
    texture_size: Callable[[str], tuple[int, int]] = lambda key: (1, 1)


def uniform_names(program) -> dict[str, object]:
    """Active uniforms of a program: name (arrays without ``[0]``) -> moderngl Uniform."""
    import moderngl

    return {name: program[name] for name in program if isinstance(program[name], moderngl.Uniform)}


def _date(state: FrameState, shadertoy: bool) -> tuple[float, float, float, float]:
    t = (state.date_origin or DATE_ORIGIN) + _dt.timedelta(seconds=state.time_s)
    seconds = t.hour * 3600.0 + t.minute * 60.0 + t.second + t.microsecond / 1e6
    return float(t.year), float(t.month - 1 if shadertoy else t.month), float(t.day), seconds


def _param(state: FrameState, key: str) -> float:
    if key in state.params:
        return float(state.params[key])
    return float(state.defaults.get(key, 0.0))


def _nearest(values, x: float) -> int:
    return int(round(min(values, key=lambda v: abs(v - x)))) if values else int(round(x))


def _event(key: str) -> Callable[[FrameState], bool]:
    """An ISF event: true on the frame its parameter rises above 0.5, false otherwise."""
    last = [True]  # no event on the very first frame, even if the parameter starts high

    def fire(st: FrameState) -> bool:
        high = _param(st, key) > 0.5
        rose = high and not last[0]
        last[0] = high
        return rose
    return fire


def _value_fn(bind) -> Callable[[FrameState], object]:
    s, key = bind.source, bind.key
    if s == "time":
        return lambda st: float(st.time_s)
    if s == "dt":
        return lambda st: float(st.dt_s)
    if s == "frame":
        return lambda st: int(st.frame)
    if s == "frame_rate":
        return lambda st: 1.0 / st.dt_s if st.dt_s > 0 else 60.0
    if s == "date":
        return lambda st: _date(st, key == "shadertoy")
    if s == "resolution":
        if key == 3:
            return lambda st: (float(st.size_px[0]), float(st.size_px[1]), 1.0)
        return lambda st: (float(st.size_px[0]), float(st.size_px[1]))
    if s == "aspect":
        return lambda st: st.size_px[0] / st.size_px[1]
    if s == "output_resolution":
        return lambda st: (float(st.output_px[0]), float(st.output_px[1]))
    if s == "sample_rate":
        return lambda st: float(st.sample_rate_hz)
    if s == "mouse":
        return lambda st: (0.0, 0.0, 0.0, 0.0)
    if s == "const":
        return lambda st: key
    if s == "feature":
        return lambda st: float(st.scalars.get(key, 0.0))
    if s == "param":
        if bind.kind == "int":
            return lambda st: _nearest(bind.values, _param(st, key))
        if bind.kind == "bool":
            return lambda st: _param(st, key) > 0.5
        if bind.kind == "event":
            return _event(key)
        if bind.kind in ("vec2", "vec3", "vec4"):
            return lambda st: tuple(_param(st, k) for k in key)
        return lambda st: _param(st, key)
    if s == "channel_time":
        return lambda st: [float(st.time_s) if k == "sound" else 0.0 for k in key]
    if s == "channel_res":
        return lambda st: [(*map(float, st.texture_size(k)), 1.0) for k in key]
    raise ReactorError(f"binding {bind.uniform}: unknown source {s!r}")


def _expected(bind):
    if bind.source == "param":
        return _PARAM_EXPECT.get(bind.kind, ("float", 1))
    if bind.source in ("resolution", "output_resolution"):
        return ("float", bind.key or 2)
    if bind.source == "channel_time":
        return ("float", 1)
    if bind.source == "channel_res":
        return ("float", 3)
    return _EXPECT.get(bind.source)


def bind_program(program, bindings, *, where: str, warn: Callable[[str], None]):
    """Setters and samplers of ``program`` from its table.

    Returns
    -------
    setters : list of (uniform, fn(FrameState) -> value)
    samplers : list of (uniform name, texture key), in texture-unit order (units already set)
    """
    active = uniform_names(program)
    setters, samplers = [], []
    table = {}
    for b in bindings:
        table.setdefault(b.uniform, b)
    for name, uniform in sorted(active.items()):
        bind = table.get(name)
        gl = _GL.get(uniform.gl_type)
        if bind is None and name.startswith(RESERVED_PREFIX):
            continue  # set by the renderer itself (the fused dither)
        if bind is None:
            warn(f"{where}: uniform '{name}' has no data source in this dialect; it stays at its initial value")
            continue
        if bind.source == "texture":
            if gl is None or gl[0] != "sampler":
                warn(f"{where}: '{name}' is declared as a non-sampler but is the texture '{bind.key}'; not bound")
                continue
            uniform.value = len(samplers)
            samplers.append((name, bind.key))
            continue
        expected = _expected(bind)
        if gl is None or expected is None or gl != expected:
            shown = f"{gl[0]}{gl[1]}" if gl else hex(uniform.gl_type)
            want = f"{expected[0]}{expected[1]}" if expected else "?"
            warn(f"{where}: uniform '{name}' is {shown} but its source '{bind.source}' gives {want}; not bound")
            continue
        try:
            # a value the driver rejects is found now, not mid-show (on a throwaway setter, so a
            # stateful one such as an event starts fresh)
            uniform.value = _setter(bind, uniform)(FrameState())
        except Exception as exc:  # moderngl raises several types for a value of the wrong shape
            warn(f"{where}: uniform '{name}' cannot take its '{bind.source}' value ({exc}); not bound")
            continue
        fn = _setter(bind, uniform)
        setters.append((uniform, fn))
    return setters, samplers


def _setter(bind, uniform) -> Callable[[FrameState], object]:
    fn = _value_fn(bind)
    if bind.source in ("channel_time", "channel_res"):
        # the driver trims an array to the last element the code reads, and moderngl takes a
        # one-element array as a plain value
        n = uniform.array_length
        return (lambda st: fn(st)[0]) if n == 1 else (lambda st: fn(st)[:n])
    return fn


def apply(setters, state: FrameState) -> None:
    """Write every setter's value for ``state``."""
    for uniform, fn in setters:
        uniform.value = fn(state)
