"""Render targets with ping-pong feedback, and the dithering present pass.

Each scene pass draws into a ``FeedbackTarget``: two textures of one size, ``read`` (the latest
finished frame) and ``write``. A pass samples ``read`` as ``u_prev`` while drawing into ``write``;
``swap`` then makes the new frame the readable one. Later passes of the same frame therefore see
this frame's output as ``u_pass_<name>``; earlier passes see last frame's.

``Presenter`` turns the half-float output into 8-bit pixels with triangular-PDF dither (so dark
gradients and feedback trails do not band after H.264), into its own RGBA8 framebuffer stored
upside down so that a single ``read_into`` yields rows top first.
"""

from __future__ import annotations

import numpy as np

from reactor.render.programs import VERTEX_SHADER

_PRESENT_SHADER = """#version 330 core
in vec2 v_uv;
out vec4 fragColor;
uniform sampler2D u_src;
uniform int u_readback;   // 1: exact texel copy, flipped vertically for top-row-first readback

uniform vec2 u_jitter;     // per-frame offset of the noise pattern, from the frame seed

// Interleaved gradient noise (Jimenez 2014): one dot product and two fracts per sample. On a
// CPU rasterizer (Mesa llvmpipe, 1280x720) this pass took 9 ms against 16 ms with three PCG
// integer hashes per pixel; a plain copy takes 6 ms.
float ign(vec2 p) {
    return fract(52.9829189 * fract(dot(p, vec2(0.06711056, 0.00583715))));
}

void main() {
    vec3 c;
    ivec2 px = ivec2(gl_FragCoord.xy);
    if (u_readback == 1) {
        ivec2 size = textureSize(u_src, 0);
        c = texelFetch(u_src, ivec2(px.x, size.y - 1 - px.y), 0).rgb;
    } else {
        c = texture(u_src, v_uv).rgb;
    }
    c = clamp(c, 0.0, 1.0);
    // Triangular-PDF dither of +-1 LSB per channel: the sum of two noise samples at unrelated
    // offsets. The amplitude fades to zero at pure black and white so flat black stays flat
    // (cheaper to encode, no sparkle).
    vec2 p = gl_FragCoord.xy + u_jitter;
    vec3 n = vec3(ign(p) + ign(p + vec2(47.0, 17.0)),
                  ign(p + vec2(13.0, 71.0)) + ign(p + vec2(89.0, 5.0)),
                  ign(p + vec2(29.0, 43.0)) + ign(p + vec2(61.0, 97.0))) - 1.0;
    vec3 amp = clamp(min(c, 1.0 - c) * 255.0, 0.0, 1.0);
    fragColor = vec4(clamp(c + n * amp / 255.0, 0.0, 1.0), 1.0);
}
"""


def _frame_seed(frame: int) -> int:
    """A well-mixed 32-bit seed per frame (so the dither pattern changes every frame)."""
    x = (int(frame) * 0x9E3779B1 + 0x7F4A7C15) & 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x85EBCA6B) & 0xFFFFFFFF
    return x ^ (x >> 13)


def fullscreen_vao(ctx, program):
    """A vertex array that draws one full-screen triangle with ``program`` (no buffers)."""
    return ctx.vertex_array(program, [])


def draw_fullscreen(vao) -> None:
    """Draw the full-screen triangle of ``vao`` into the bound framebuffer."""
    import moderngl

    vao.render(mode=moderngl.TRIANGLES, vertices=3)


class FeedbackTarget:
    """Two same-size textures (and framebuffers) swapped every frame.

    Parameters
    ----------
    ctx : moderngl.Context
    size_px : tuple[int, int]
        (width, height) in pixels.
    float_target : bool
        RGBA16F when True, else RGBA8.
    """

    def __init__(self, ctx, *, size_px: tuple[int, int], float_target: bool):
        self.size_px = size_px
        dtype = "f2" if float_target else "f1"
        self._textures = [ctx.texture(size_px, 4, dtype=dtype) for _ in range(2)]
        for tex in self._textures:
            tex.repeat_x = tex.repeat_y = False  # feedback sampling past the edge clamps
        self._fbos = [ctx.framebuffer(color_attachments=[t]) for t in self._textures]
        self._read = 0
        self.clear()

    @property
    def read(self):
        """The texture holding the latest finished frame."""
        return self._textures[self._read]

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
        for obj in self._fbos + self._textures:
            obj.release()
        self._fbos, self._textures = [], []


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

    def _draw(self, source, frame: int, *, readback: bool) -> None:
        source.use(location=0)
        seed = _frame_seed(frame)
        self._program["u_jitter"].value = (float(seed & 1023), float((seed >> 10) & 1023))
        self._program["u_readback"].value = 1 if readback else 0
        draw_fullscreen(self._vao)

    def present(self, source, *, frame: int) -> None:
        """Dither ``source`` (a texture of the output size) into the readback buffer."""
        self._fbo.use()
        self._draw(source, frame, readback=True)

    def present_to(self, source, framebuffer, *, frame: int, viewport: tuple[int, int, int, int]) -> None:
        """Draw ``source`` upright, dithered and scaled to ``viewport`` (x, y, w, h) of ``framebuffer``."""
        framebuffer.use()
        framebuffer.viewport = viewport
        self._draw(source, frame, readback=False)

    def read_rgb(self) -> np.ndarray:
        """A new ``uint8 (height, width, 3)`` array of the last presented frame, top row first."""
        out = np.empty((self.height_px, self.width_px, 3), np.uint8)
        self._fbo.read_into(out, components=3, alignment=1)
        return out

    def release(self) -> None:
        """Free the GL objects."""
        for obj in (self._vao, self._program, self._fbo, self._texture):
            obj.release()
