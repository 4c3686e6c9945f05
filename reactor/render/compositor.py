"""The live compositor: scene output(s) -> window (or recording) framebuffer, in one pass.

One full-screen pass does everything between the scenes and the screen, because on a CPU
rasterizer each extra 720p pass costs several ms: it upscales the (possibly lower-resolution)
scene output with a Catmull-Rom filter (9 bilinear taps; sharp, no ringing worth noticing at 2x;
one bilinear tap on a software rasterizer, see ``default_upscale``), crossfades to the incoming
scene, applies the blackout gain and dithers to 8 bits. At 1:1 with an 8-bit already-dithered
source and no fade the pixels are blitted instead.

The seam for shader transitions: a ``Compositor(transition=obj)`` with any object that has
``draw(start_tex, end_tex, progress, fbo)`` (e.g. an ISF transition with startImage, endImage,
progress) draws the mix into an internal-size framebuffer, which the pass then scales like a
single scene. Without one the plain mix is fused into the pass.

Main thread only (owns GL objects).
"""

from __future__ import annotations

from typing import Protocol

from reactor.render.passes import DITHER_GLSL, dither_jitter, draw_fullscreen, fullscreen_vao
from reactor.render.programs import VERTEX_SHADER

_SHADER = """#version 330 core
// Variants are compiled with #defines (FILTER, MIX, DITHER), not chosen by uniforms: a CPU
// rasterizer (llvmpipe) runs both sides of a branch, so one shader with every path costs a
// 9-tap filter even for a plain copy.
in vec2 v_uv;
out vec4 fragColor;
uniform sampler2D u_a;
uniform sampler2D u_b;
uniform float u_mix;      // 0: a only .. 1: b only
uniform float u_gain;     // 1 normal, 0 black, 1..2 a flash (toward white)
uniform vec2 u_jitter;
uniform ivec2 u_origin;   // viewport origin (texel copy)
""" + DITHER_GLSL + """
#if FILTER == 2
// Catmull-Rom as 9 bilinear taps: the two middle weights of each axis are merged into one
// bilinear fetch at the weighted position between them.
vec3 fetch(sampler2D tex) {
    vec2 size = vec2(textureSize(tex, 0));
    vec2 pos = v_uv * size;
    vec2 p1 = floor(pos - 0.5) + 0.5;
    vec2 f = pos - p1;
    vec2 w0 = f * (-0.5 + f * (1.0 - 0.5 * f));
    vec2 w1 = 1.0 + f * f * (-2.5 + 1.5 * f);
    vec2 w2 = f * (0.5 + f * (2.0 - 1.5 * f));
    vec2 w3 = f * f * (-0.5 + 0.5 * f);
    vec2 w12 = w1 + w2;
    vec2 t0 = (p1 - 1.0) / size;
    vec2 t3 = (p1 + 2.0) / size;
    vec2 t12 = (p1 + w2 / w12) / size;
    vec3 c = texture(tex, vec2(t0.x, t0.y)).rgb * (w0.x * w0.y)
           + texture(tex, vec2(t12.x, t0.y)).rgb * (w12.x * w0.y)
           + texture(tex, vec2(t3.x, t0.y)).rgb * (w3.x * w0.y)
           + texture(tex, vec2(t0.x, t12.y)).rgb * (w0.x * w12.y)
           + texture(tex, vec2(t12.x, t12.y)).rgb * (w12.x * w12.y)
           + texture(tex, vec2(t3.x, t12.y)).rgb * (w3.x * w12.y)
           + texture(tex, vec2(t0.x, t3.y)).rgb * (w0.x * w3.y)
           + texture(tex, vec2(t12.x, t3.y)).rgb * (w12.x * w3.y)
           + texture(tex, vec2(t3.x, t3.y)).rgb * (w3.x * w3.y);
    return max(c, 0.0);
}
#elif FILTER == 1
vec3 fetch(sampler2D tex) { return texture(tex, v_uv).rgb; }
#else
vec3 fetch(sampler2D tex) { return texelFetch(tex, ivec2(gl_FragCoord.xy) - u_origin, 0).rgb; }
#endif

void main() {
    vec3 c = fetch(u_a);
#if MIX
    c = mix(c, fetch(u_b), u_mix);
#endif
    c = clamp(c * min(u_gain, 1.0), 0.0, 1.0);
    c = mix(c, vec3(1.0), 0.6 * max(u_gain - 1.0, 0.0));  // a flash: toward white
#if DITHER
    c = reactor_dither(c, gl_FragCoord.xy + u_jitter);
#endif
    fragColor = vec4(c, 1.0);
}
"""

FILTERS = {"copy": 0, "bilinear": 1, "catmull-rom": 2}
"""Upscale filters: ``catmull-rom`` (sharp; 9 bilinear taps) and ``bilinear`` (one tap: for CPU
rasterizers, where the 9 taps cost more than a light scene); ``copy`` is used at 1:1."""


def default_upscale(ctx) -> str:
    """``catmull-rom`` on a GPU, ``bilinear`` on a software rasterizer (llvmpipe, softpipe, swrast)."""
    name = str(ctx.info.get("GL_RENDERER", "")).lower()
    return "bilinear" if any(k in name for k in ("llvmpipe", "softpipe", "swrast", "software")) else "catmull-rom"


class Transition(Protocol):
    """A shader transition: draws ``start_tex`` -> ``end_tex`` at ``progress`` 0..1 into ``fbo``."""

    def draw(self, start_tex, end_tex, progress: float, fbo) -> None: ...


class Compositor:
    """Scale, crossfade, black out and dither scene output into a framebuffer.

    Parameters
    ----------
    ctx : moderngl.Context
    transition : Transition, optional
        Replaces the plain mix during crossfades (see the module docstring).
    """

    def __init__(self, ctx, *, transition: Transition | None = None, upscale: str | None = None) -> None:
        self._ctx = ctx
        self.transition = transition
        self.upscale = upscale or default_upscale(ctx)
        if self.upscale not in FILTERS or self.upscale == "copy":
            raise ValueError(f"upscale must be 'catmull-rom' or 'bilinear', got {upscale!r}")
        self._programs: dict[tuple[int, bool, bool], tuple[object, object]] = {}
        self._mix_tex = self._mix_fbo = None

    def _program(self, filt: int, mix: bool, dither: bool):
        key = (filt, mix, dither)
        if key not in self._programs:
            head, rest = _SHADER.split("\n", 1)
            text = f"{head}\n#define FILTER {filt}\n#define MIX {int(mix)}\n#define DITHER {int(dither)}\n{rest}"
            prog = self._ctx.program(vertex_shader=VERTEX_SHADER, fragment_shader=text)
            for name, value in (("u_a", 0), ("u_b", 1)):
                if name in prog:
                    prog[name].value = value
            self._programs[key] = (prog, fullscreen_vao(self._ctx, prog))
        return self._programs[key]

    def _mix_target(self, size: tuple[int, int]):
        if self._mix_tex is None or self._mix_tex.size != size:
            if self._mix_tex is not None:
                self._mix_fbo.release()
                self._mix_tex.release()
            self._mix_tex = self._ctx.texture(size, 4, dtype="f2")
            self._mix_tex.repeat_x = self._mix_tex.repeat_y = False
            self._mix_fbo = self._ctx.framebuffer(color_attachments=[self._mix_tex])
        return self._mix_tex, self._mix_fbo

    def draw(self, source, framebuffer, *, viewport: tuple[int, int, int, int], incoming=None,
             progress: float = 0.0, gain: float = 1.0, frame: int = 0, source_dithered: bool = False,
             source_fbo=None) -> None:
        """Composite into ``viewport`` (x, y, w, h) of ``framebuffer``.

        Parameters
        ----------
        source : moderngl.Texture
            The current scene's output (any size; scaled to the viewport).
        incoming : moderngl.Texture, optional
            The scene being faded in (same size as ``source``), shown at ``progress`` 0..1.
        gain : float
            Brightness multiplier, 0..2 (blackout fades it to 0; a flash lifts it above 1).
        frame : int
            Frame count, seeds the dither pattern.
        source_dithered : bool
            ``source`` is already dithered 8-bit colour (skip the dither when nothing else changes it).
        source_fbo : moderngl.Framebuffer, optional
            A framebuffer of ``source`` (bottom row first): when nothing changes the pixels
            (same size, no fade, no blackout, already dithered) they are blitted, not drawn,
            which on a CPU rasterizer costs a fraction of a full-screen pass.
        """
        mixing = incoming is not None and progress > 0.0
        if mixing and progress >= 1.0:
            source, mixing, source_dithered = incoming, False, False
        if mixing and self.transition is not None:
            tex, fbo = self._mix_target(source.size)
            self.transition.draw(source, incoming, float(progress), fbo)
            source, mixing, source_dithered = tex, False, False
        x, y, w, h = viewport
        same_size = tuple(source.size) == (w, h)
        if (source_fbo is not None and source_dithered and same_size and not mixing and gain == 1.0
                and (x, y) == (0, 0)):
            self._ctx.copy_framebuffer(framebuffer, source_fbo)
            return
        # an already dithered source keeps its dither through a plain upscale
        dither = not (source_dithered and not mixing and gain == 1.0)
        prog, vao = self._program(0 if same_size else FILTERS[self.upscale], mixing, dither)
        values = {"u_mix": float(progress), "u_gain": float(max(0.0, min(2.0, gain))),
                  "u_jitter": dither_jitter(frame), "u_origin": (int(x), int(y))}
        for name, value in values.items():
            if name in prog:  # optimized away in some variants
                prog[name].value = value
        source.use(location=0)
        (incoming if mixing else source).use(location=1)
        framebuffer.use()
        framebuffer.viewport = viewport
        draw_fullscreen(vao)

    def release(self) -> None:
        """Free the GL objects."""
        for prog, vao in self._programs.values():
            vao.release()
            prog.release()
        self._programs = {}
        if self._mix_tex is not None:
            self._mix_fbo.release()
            self._mix_tex.release()
            self._mix_tex = self._mix_fbo = None
