"""Render targets with ping-pong feedback, and the dithering present pass.

Each scene pass draws into a ``FeedbackTarget``: two textures of one size, ``read`` (the latest
finished frame) and ``write``. A pass samples ``read`` as ``u_prev`` while drawing into ``write``;
``swap`` then makes the new frame the readable one. Later passes of the same frame therefore see
this frame's output as ``u_pass_<name>``; earlier passes see last frame's.

``Presenter`` turns the half-float output into 8-bit pixels with triangular-PDF dither (so dark
gradients and feedback trails do not band after H.264), into its own RGBA8 framebuffer stored
upside down so that a single ``read_into`` yields rows top first. An output pass that no pass
reads back (no ``u_prev``, no ``u_pass_<its target>``) skips it: the renderer compiles it with
``DITHER_EPILOGUE``, the same dither, into an 8-bit target, saving a full-screen pass per frame
(9 ms at 720p on llvmpipe); its readback flips rows on the CPU (under 1 ms). An output pass that
does read itself back (feedback trails) keeps its half-float target and writes the dithered picture
to a second, 8-bit attachment in the same draw (``DITHER_MRT_EPILOGUE``), so it skips it too.
"""

from __future__ import annotations

import numpy as np

from reactor.render.programs import VERTEX_SHADER

# The dither, shared by the present pass and by output passes that dither themselves
# (``DITHER_EPILOGUE``), so both give the same bytes for the same colour and pixel.
_DITHER_GLSL = """
// Interleaved gradient noise (Jimenez 2014): one dot product and two fracts per sample. On a
// CPU rasterizer (Mesa llvmpipe, 1280x720) this pass took 9 ms against 16 ms with three PCG
// integer hashes per pixel; a plain copy takes 6 ms.
float reactor_ign(vec2 p) {
    return fract(52.9829189 * fract(dot(p, vec2(0.06711056, 0.00583715))));
}

// Triangular-PDF dither of +-1 LSB per channel of c (0..1) at noise position p: the sum of two
// noise samples at unrelated offsets. The amplitude fades to zero at pure black and white so
// flat black stays flat (cheaper to encode, no sparkle).
vec3 reactor_dither(vec3 c, vec2 p) {
    vec3 n = vec3(reactor_ign(p) + reactor_ign(p + vec2(47.0, 17.0)),
                  reactor_ign(p + vec2(13.0, 71.0)) + reactor_ign(p + vec2(89.0, 5.0)),
                  reactor_ign(p + vec2(29.0, 43.0)) + reactor_ign(p + vec2(61.0, 97.0))) - 1.0;
    vec3 amp = clamp(min(c, 1.0 - c) * 255.0, 0.0, 1.0);
    return clamp(c + n * amp / 255.0, 0.0, 1.0);
}
"""

DITHER_GLSL = _DITHER_GLSL
"""GLSL of ``reactor_dither(c, p)`` (and ``reactor_ign``), for other passes that output 8 bits."""

_PRESENT_SHADER = """#version 330 core
in vec2 v_uv;
out vec4 fragColor;
uniform sampler2D u_src;
uniform int u_mode;        // 0: dithered, scaled (window); 1: dithered exact texel copy, flipped
                           // vertically for top-row-first readback; 2: scaled copy, no dither
uniform vec2 u_jitter;     // per-frame offset of the noise pattern, from the frame seed
""" + _DITHER_GLSL + """
void main() {
    vec3 c;
    ivec2 px = ivec2(gl_FragCoord.xy);
    if (u_mode == 1) {
        ivec2 size = textureSize(u_src, 0);
        c = texelFetch(u_src, ivec2(px.x, size.y - 1 - px.y), 0).rgb;
    } else {
        c = texture(u_src, v_uv).rgb;
    }
    if (u_mode == 2) {
        fragColor = vec4(c, 1.0);
        return;
    }
    c = clamp(c, 0.0, 1.0);
    fragColor = vec4(reactor_dither(c, gl_FragCoord.xy + u_jitter), 1.0);
}
"""

DITHER_EPILOGUE = _DITHER_GLSL + """
uniform vec2 reactor_jitter;   // as the present pass's u_jitter
uniform float reactor_height;  // output height in pixels

// The scene's main, then the present pass's dither, into an 8-bit target. The noise is taken
// where the present pass would take it for this pixel (its buffer is upside down), so the bytes
// are those of the present pass up to the half-float rounding it no longer sees. Code whose
// colour is already exact 8-bit levels (a 1:1 copy of the picture) defines REACTOR_UNDITHERED:
// dither would only make its still pixels flicker by a level.
void main() {
    reactor_scene_main();
    vec3 c = clamp(fragColor.rgb, 0.0, 1.0);
#ifdef REACTOR_UNDITHERED
    fragColor = vec4(c, 1.0);
#else
    vec2 p = vec2(gl_FragCoord.x, reactor_height - gl_FragCoord.y);
    fragColor = vec4(reactor_dither(c, p + reactor_jitter), 1.0);
#endif
}
"""
"""GLSL appended (with ``programs.wrap_main``) to an output pass that dithers its own output."""

DITHER_MRT_EPILOGUE = _DITHER_GLSL + """
uniform vec2 reactor_jitter;   // as the present pass's u_jitter
uniform float reactor_height;  // output height in pixels
layout(location = 1) out vec4 reactor_out8;  // second colour attachment: the 8-bit picture

// For an output pass that reads itself back (feedback): the scene's colour still goes, at full
// precision, into its own target (attachment 0, the next frame's u_prev), and the dithered 8-bit
// picture goes into attachment 1 in the same pass, so no present pass is needed.
void main() {
    reactor_scene_main();
    vec3 c = clamp(fragColor.rgb, 0.0, 1.0);
#ifdef REACTOR_UNDITHERED
    reactor_out8 = vec4(c, 1.0);
#else
    vec2 p = vec2(gl_FragCoord.x, reactor_height - gl_FragCoord.y);
    reactor_out8 = vec4(reactor_dither(c, p + reactor_jitter), 1.0);
#endif
}
"""
"""Like ``DITHER_EPILOGUE`` but for a feedback output pass: the dithered colour goes to a second,
8-bit attachment (``FeedbackTarget(out8=True)``); the scene's output must be at location 0."""


def _frame_seed(frame: int) -> int:
    """A well-mixed 32-bit seed per frame (so the dither pattern changes every frame)."""
    x = (int(frame) * 0x9E3779B1 + 0x7F4A7C15) & 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x85EBCA6B) & 0xFFFFFFFF
    return x ^ (x >> 13)


def dither_jitter(frame: int) -> tuple[float, float]:
    """The noise offset of frame ``frame`` in pixels (``u_jitter`` / ``reactor_jitter``)."""
    seed = _frame_seed(frame)
    return float(seed & 1023), float((seed >> 10) & 1023)


def fullscreen_vao(ctx, program):
    """A vertex array that draws one full-screen triangle with ``program`` (no buffers)."""
    return ctx.vertex_array(program, [])


def draw_fullscreen(vao) -> None:
    """Draw the full-screen triangle of ``vao`` into the bound framebuffer."""
    import moderngl

    vao.render(mode=moderngl.TRIANGLES, vertices=3)


def draw_region(vao, *, outside: bool) -> None:
    """Draw a region pass's part (``programs.REGION_INSIDE_VERTEX`` / ``REGION_OUTSIDE_VERTEX``):
    the rectangle as a strip of four vertices, or the four quads around it."""
    import moderngl

    if outside:
        vao.render(mode=moderngl.TRIANGLES, vertices=24)
    else:
        vao.render(mode=moderngl.TRIANGLE_STRIP, vertices=4)


class FeedbackTarget:
    """Two same-size textures (and framebuffers) swapped every frame.

    Parameters
    ----------
    ctx : moderngl.Context
    size_px : tuple[int, int]
        (width, height) in pixels.
    float_target : bool
        RGBA16F when True, else RGBA8.
    dtype : str, optional
        moderngl dtype (``f1``, ``f2``, ``f4`` for RGBA32F); overrides ``float_target``.
    out8 : bool
        Also attach one RGBA8 texture as colour attachment 1 of both framebuffers (written every
        frame by a pass compiled with ``DITHER_MRT_EPILOGUE``); ``out8_fbo`` reads it.
    """

    def __init__(self, ctx, *, size_px: tuple[int, int], float_target: bool, dtype: str | None = None,
                 out8: bool = False):
        self.size_px = size_px
        dtype = dtype or ("f2" if float_target else "f1")
        self.dtype = dtype
        self._textures = [ctx.texture(size_px, 4, dtype=dtype) for _ in range(2)]
        for tex in self._textures:
            tex.repeat_x = tex.repeat_y = False  # feedback sampling past the edge clamps
        self.out8 = ctx.texture(size_px, 4) if out8 else None
        extra = [self.out8] if out8 else []
        self._fbos = [ctx.framebuffer(color_attachments=[t, *extra]) for t in self._textures]
        self._out8_fbo = ctx.framebuffer(color_attachments=[self.out8]) if out8 else None
        self._read = 0
        self.clear()

    @property
    def has_out8(self) -> bool:
        """Whether the target carries the 8-bit second attachment."""
        return self.out8 is not None

    @property
    def out8_fbo(self):
        """A framebuffer of the 8-bit attachment alone (for reading it back), or None."""
        return self._out8_fbo

    @property
    def read(self):
        """The texture holding the latest finished frame."""
        return self._textures[self._read]

    @property
    def read_fbo(self):
        """The framebuffer of ``read``."""
        return self._fbos[self._read]

    @property
    def write_fbo(self):
        """The framebuffer to draw the next frame into."""
        return self._fbos[1 - self._read]

    def swap(self) -> None:
        """Make the frame just drawn the readable one."""
        self._read = 1 - self._read

    def clear(self) -> None:
        """Black both textures (frame 0 sees a black ``u_prev``)."""
        for fbo in self._fbos:
            fbo.clear(0.0, 0.0, 0.0, 0.0)

    def release(self) -> None:
        """Free the GL objects."""
        extra = [self._out8_fbo, self.out8] if self.out8 is not None else []
        for obj in self._fbos + extra + self._textures:
            obj.release()
        self._fbos, self._textures = [], []
        self.out8 = self._out8_fbo = None


class Presenter:
    """Dither a scene's output to 8 bits and read it back as ``uint8 (h, w, 3)`` rows top first."""

    def __init__(self, ctx, *, width_px: int, height_px: int):
        self._ctx = ctx
        self.width_px, self.height_px = width_px, height_px
        self._program = ctx.program(vertex_shader=VERTEX_SHADER, fragment_shader=_PRESENT_SHADER)
        self._program["u_src"].value = 0
        self._vao = fullscreen_vao(ctx, self._program)
        self._texture = ctx.texture((width_px, height_px), 4)
        self._fbo = ctx.framebuffer(color_attachments=[self._texture])
        self._fbo.clear(0.0, 0.0, 0.0, 1.0)
        self._scratch = np.empty((height_px, width_px, 3), np.uint8)

    @property
    def fbo(self):
        """The RGBA8 framebuffer ``present`` draws into, rows stored top first."""
        return self._fbo

    def _draw(self, source, frame: int, *, mode: int) -> None:
        source.use(location=0)
        self._program["u_jitter"].value = dither_jitter(frame)
        self._program["u_mode"].value = mode
        draw_fullscreen(self._vao)

    def present(self, source, *, frame: int) -> None:
        """Dither ``source`` (a texture of the output size) into the readback buffer."""
        self._fbo.use()
        self._draw(source, frame, mode=1)

    def present_to(self, source, framebuffer, *, frame: int, viewport: tuple[int, int, int, int],
                   dither: bool = True) -> None:
        """Draw ``source`` upright and scaled to ``viewport`` (x, y, w, h) of ``framebuffer``.

        ``dither=False`` for a source that is already dithered 8-bit colour.
        """
        framebuffer.use()
        framebuffer.viewport = viewport
        self._draw(source, frame, mode=0 if dither else 2)

    def read_rgb(self, upright_fbo=None) -> np.ndarray:
        """A new ``uint8 (height, width, 3)`` array of the last frame, top row first.

        ``upright_fbo``: read this output-size 8-bit framebuffer (bottom row first, as drawn)
        and flip it on the CPU, instead of the present pass's buffer.
        """
        if upright_fbo is not None:
            upright_fbo.read_into(self._scratch, components=3, alignment=1)
            return self._scratch[::-1].copy()
        out = np.empty((self.height_px, self.width_px, 3), np.uint8)
        self._fbo.read_into(out, components=3, alignment=1)
        return out

    def release(self) -> None:
        """Free the GL objects."""
        for obj in (self._vao, self._program, self._fbo, self._texture):
            obj.release()
