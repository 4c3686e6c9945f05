"""What every scene dialect produces: sources, pass specs and the binding table.

A ``Bind`` says where one uniform or sampler of one pass gets its value. ``source`` is one of:

==================  =====================================================================
``time``            float seconds (``u_time``, ``iTime``, ``TIME``)
``dt``              float seconds since the previous frame
``frame``           int frames rendered by this renderer
``frame_rate``      float 1 / dt (60 before the first interval is known)
``date``            vec4 (year, month, day, seconds): Shadertoy month is 0-based (``key="shadertoy"``)
``resolution``      vec2 (or vec3 with ``key=3``) pixels of the pass being drawn
``aspect``          float width / height of the pass
``sample_rate``     float Hz of the analysed audio
``mouse``           vec4 zeros (no pointer offline)
``const``           ``key`` as is (``PASSINDEX``)
``feature``         float, the scalar ``key`` of the Features snapshot
``param``           the preset parameter(s) ``key``: ``kind`` float, int (``values``: nearest
                    allowed), bool/event (> 0.5), vec2 (two names), vec4 (four names)
``texture``         sampler: ``key`` names a texture (see ``TEXTURES``)
``channel_time``    float[4]: time for each of ``key`` (texture keys)
``channel_res``     vec3[4]: size of each of ``key`` (texture keys), z = 1
==================  =====================================================================

Texture keys (``TEXTURES``): ``spectrum``, ``waveform``, ``history``, ``sound``, ``noise``,
``noise_cube``, ``image``, ``depth``, ``prev`` (the pass's own previous output), ``pass:<target>``,
``input`` (the chain's input: the previous stage's output, else the reference image),
``start`` / ``end`` (a transition's two images),
``file:<absolute path>``, ``isf_audio:<width>``, ``isf_fft:<width>``, ``black``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

TEXTURES = ("spectrum", "waveform", "history", "sound", "noise", "noise_cube", "image", "depth", "prev",
            "input", "start", "end", "black")
"""Texture keys without an argument; ``pass:``, ``file:``, ``isf_audio:`` and ``isf_fft:`` take one."""

FORMATS = {"rgba8": "f1", "rgba16f": "f2", "rgba32f": "f4"}
"""Target format name -> moderngl dtype."""


@dataclass(frozen=True)
class Bind:
    """One row of the binding table: ``uniform`` <- ``source`` (see the module docstring)."""

    uniform: str
    source: str
    key: Any = None
    kind: str = "float"
    values: tuple[float, ...] = ()


@dataclass(frozen=True)
class PassSpec:
    """One render pass.

    Attributes
    ----------
    shader : Path
        The user's file this pass comes from (for messages and ``reload``).
    target : str
        Name of its persistent target (ping-pong pair); other passes read it as ``pass:<target>``.
    float_target : bool
        Kept for the native dialect: RGBA16F when True, else RGBA8 (see ``format``).
    scale : float
        Size as a fraction of the output when ``size`` is None.
    format : str or None
        ``rgba8`` / ``rgba16f`` / ``rgba32f``; None: from ``float_target``.
    size : tuple or None
        ``(width_expr, height_expr)``: ``reactor.render.dialects.expr.Expr`` evaluated per frame
        with ``WIDTH``, ``HEIGHT`` and the scene's parameters.
    persistent : bool
        Keeps its content across frames (feedback); all targets do today, so it is informative.
    bindings : tuple[Bind, ...]
        Everything the pass reads. The renderer binds these and nothing else.
    source : object
        The complete fragment ``ShaderSource``; None: built from ``shader`` (native).
    vertex : object
        A vertex ``ShaderSource``; None: the standard full-screen triangle.
    prefix : str
        Prefix of its parameter names in a chain (``fx1_``); size expressions see them without it.
    output : str
        Name of the fragment output variable (dialects pick one user code cannot clash with).
    region : str or None
        Target of an earlier 1x1 pass whose texel holds this frame's rectangle (x0, y0, x1, y1 in
        uv, bottom-left origin) where this pass does its work; outside it the pass runs its code
        compiled with ``REACTOR_OUTSIDE_REGION`` defined (a cheap copy, say). None: one draw.
    """

    shader: Path
    target: str
    float_target: bool = True
    scale: float = 1.0
    format: str | None = None
    size: tuple | None = None
    persistent: bool = True
    bindings: tuple[Bind, ...] = ()
    source: Any = None
    vertex: Any = None
    prefix: str = ""
    output: str = "fragColor"
    region: str | None = None

    @property
    def dtype(self) -> str:
        """moderngl dtype of the target."""
        return FORMATS[self.format] if self.format else ("f2" if self.float_target else "f1")


@dataclass(frozen=True)
class SceneInfo:
    """What a scene is, without compiling it.

    Attributes
    ----------
    name, description : str
    uses_image : bool
        Whether the scene shows the reference image.
    path : Path
        The file (or folder / sidecar) it was loaded from.
    feedback : bool
        Whether the scene reads its previous frame.
    passes : tuple[PassSpec, ...]
        Render passes in order; the last is the output.
    params : Mapping[str, float]
        Parameter name -> default (what the renderer uses when a preset does not set it).
    kind : str
        ``native``, ``shadertoy``, ``isf`` or ``chain``.
    role : str
        ``generator``, ``filter`` (reads ``input``) or ``transition``.
    param_ranges : Mapping[str, tuple[float, float]]
        Declared (min, max) of parameters that have one (ISF inputs).
    warnings : tuple[str, ...]
        Bindings or defaults that cannot be honoured; the renderer logs each once.
    stages : tuple
        For a chain: ``(path, param_prefix)`` of each stage, to reload it.
    param_identity : Mapping[str, float]
        ISF ``IDENTITY`` values: the parameter value at which an effect leaves its input as it is
        (for a UI's reset or to bypass an effect in a chain).
    repair : callable or None
        ``repair(ShaderError) -> SceneInfo | None``: the dialect's answer to a compile error it
        can fix by binding differently (Shadertoy: a 2D channel sampled as a cube map); the
        renderer tries it and reports what changed (``warnings`` of the new scene).
    """

    name: str
    description: str
    uses_image: bool
    path: Path
    feedback: bool = False
    passes: tuple[PassSpec, ...] = ()
    params: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    kind: str = "native"
    role: str = "generator"
    param_ranges: Mapping[str, tuple[float, float]] = field(default_factory=lambda: MappingProxyType({}))
    warnings: tuple[str, ...] = ()
    stages: tuple = ()
    param_identity: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    repair: Any = field(default=None, compare=False, repr=False)

    def sources(self):
        """Each pass's complete fragment ``ShaderSource`` (includes resolved, header prepended)."""
        from reactor.render.programs import build_source

        targets = [p.target for p in self.passes]
        return [p.source if p.source is not None else build_source(p.shader, pass_targets=targets)
                for p in self.passes]
