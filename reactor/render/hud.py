"""The heads-up display: crisp text and rectangles drawn over the show as textured quads.

Text comes from a glyph atlas rendered with Pillow (a dependency already) from DejaVu Sans Mono
when the system has it, else Pillow's built-in scalable font, at the pixel size the window needs
*now*: the atlas is rebuilt when the window's pixel size changes, and glyphs are drawn at whole
pixels with nearest sampling, so each texel is one screen pixel and the text is sharp at any
window size or DPI. Rectangles (meters, the beat light) use a white texel of the same atlas, so a
whole HUD is one vertex upload and one draw call.

Usage, once per frame on the main thread::

    hud.begin((fb_w, fb_h))
    hud.text(x_px, y_px, "fps 60", (1, 1, 1, 1))
    hud.rect(x_px, y_px, w_px, h_px, (0, 0, 0, 0.5))
    hud.end(framebuffer)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

_FIRST, _LAST = 32, 126  # printable ASCII; anything else is drawn as '?'
_FONT_CANDIDATES = ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
                    "/usr/share/fonts/TTF/DejaVuSansMono.ttf",
                    "/Library/Fonts/DejaVuSansMono.ttf")
_MAX_QUADS = 16384
_MAX_CACHED_TEXTS = 512
"""Strings whose vertex data is kept (meter labels, messages, the key map, the status lines
between refreshes); beyond this the cache starts again (text that changes every frame)."""
_FLOATS_PER_VERTEX = 8  # x, y, u, v, r, g, b, a

_VERTEX = """#version 330 core
in vec2 in_pos;
in vec2 in_uv;
in vec4 in_color;
uniform vec2 u_size;
out vec2 v_uv;
out vec4 v_color;
void main() {
    v_uv = in_uv;
    v_color = in_color;
    gl_Position = vec4(in_pos.x / u_size.x * 2.0 - 1.0, 1.0 - in_pos.y / u_size.y * 2.0, 0.0, 1.0);
}
"""

_FRAGMENT = """#version 330 core
in vec2 v_uv;
in vec4 v_color;
uniform sampler2D u_atlas;
out vec4 fragColor;
void main() {
    fragColor = vec4(v_color.rgb, v_color.a * texture(u_atlas, v_uv).r);
}
"""


def font_px_for(height_px: int) -> int:
    """The HUD's text size for a framebuffer ``height_px`` tall (16 px at 720, 24 at 1080)."""
    return int(max(12, min(64, round(height_px * 0.022))))


def glyph_atlas(size_px: int) -> tuple[np.ndarray, int, int]:
    """Render printable ASCII in one row-major grid: (alpha uint8 (h, w), cell_w_px, cell_h_px).

    Cell ``i`` holds character ``32 + i``; the last cell is solid white (for rectangles).
    """
    from PIL import Image, ImageDraw, ImageFont

    font = None
    for path in _FONT_CANDIDATES:
        if Path(path).is_file():
            font = ImageFont.truetype(path, size_px)
            break
    if font is None:
        font = ImageFont.load_default(size=size_px)
    ascent, descent = font.getmetrics()
    cell_w = max(1, int(round(font.getlength("M"))))
    cell_h = ascent + descent
    count = _LAST - _FIRST + 2
    cols = 16
    rows = (count + cols - 1) // cols
    img = Image.new("L", (cols * cell_w, rows * cell_h), 0)
    draw = ImageDraw.Draw(img)
    for i, code in enumerate(range(_FIRST, _LAST + 1)):
        draw.text(((i % cols) * cell_w, (i // cols) * cell_h), chr(code), fill=255, font=font)
    white = count - 1
    draw.rectangle(((white % cols) * cell_w, (white // cols) * cell_h,
                    (white % cols + 1) * cell_w - 1, (white // cols + 1) * cell_h - 1), fill=255)
    return np.asarray(img, dtype=np.uint8), cell_w, cell_h


class Hud:
    """Batches text and rectangles into one draw; see the module docstring."""

    def __init__(self, ctx) -> None:
        self._ctx = ctx
        self._prog = ctx.program(vertex_shader=_VERTEX, fragment_shader=_FRAGMENT)
        self._prog["u_atlas"].value = 0
        self._vbo = ctx.buffer(reserve=_MAX_QUADS * 6 * _FLOATS_PER_VERTEX * 4, dynamic=True)
        self._vao = ctx.vertex_array(self._prog, [(self._vbo, "2f 2f 4f", "in_pos", "in_uv", "in_color")])
        self._atlas = None
        self._font_px = 0
        self.cell_w_px = self.cell_h_px = 0
        self._size = (1, 1)
        self._quads: list[np.ndarray] = []
        self._n = 0
        self._texts: dict[tuple, np.ndarray] = {}  # (text, x, y, colour) -> its vertices

    def _ensure_atlas(self, font_px: int) -> None:
        if font_px == self._font_px:
            return
        import moderngl

        pixels, self.cell_w_px, self.cell_h_px = glyph_atlas(font_px)
        if self._atlas is not None:
            self._atlas.release()
        h, w = pixels.shape
        self._atlas = self._ctx.texture((w, h), 1, data=np.ascontiguousarray(pixels).tobytes())
        self._atlas.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self._atlas_cols = w // self.cell_w_px
        self._atlas_size = (w, h)
        self._font_px = font_px
        self._texts = {}
        u0, v0 = self._cell_uv(np.array([_LAST - _FIRST + 1]))  # the white cell, at its centre
        self._white_uv = (float(u0[0]) + 0.5 * self.cell_w_px / w, float(v0[0]) + 0.5 * self.cell_h_px / h)

    @property
    def font_px(self) -> int:
        """Current text size in pixels."""
        return self._font_px

    def begin(self, size_px: tuple[int, int], *, font_px: int | None = None) -> None:
        """Start a frame for a framebuffer of ``size_px``; text size follows its height."""
        self._size = (max(1, size_px[0]), max(1, size_px[1]))
        self._ensure_atlas(font_px or font_px_for(self._size[1]))
        self._quads = []
        self._n = 0

    def _cell_uv(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cols = self._atlas_cols
        aw, ah = self._atlas_size
        u0 = (index % cols) * self.cell_w_px / aw
        v0 = (index // cols) * self.cell_h_px / ah
        return u0, v0

    def _add(self, x0, y0, x1, y1, u0, v0, u1, v1, color) -> np.ndarray:
        n = len(x0)
        q = np.empty((n, 6, _FLOATS_PER_VERTEX), np.float32)
        corners = ((x0, y0, u0, v0), (x1, y0, u1, v0), (x0, y1, u0, v1),
                   (x1, y0, u1, v0), (x1, y1, u1, v1), (x0, y1, u0, v1))
        for k, (x, y, u, v) in enumerate(corners):
            q[:, k, 0], q[:, k, 1], q[:, k, 2], q[:, k, 3] = x, y, u, v
        q[:, :, 4:8] = np.asarray(color, np.float32)
        q = q.reshape(-1, _FLOATS_PER_VERTEX)
        self._queue(q)
        return q

    def _queue(self, vertices: np.ndarray) -> None:
        n = len(vertices) // 6
        if self._n + n > _MAX_QUADS:
            n = _MAX_QUADS - self._n
            if n <= 0:
                return
            vertices = vertices[:6 * n]
        self._quads.append(vertices)
        self._n += n

    def text(self, x_px: float, y_px: float, text: str, color=(1.0, 1.0, 1.0, 1.0)) -> float:
        """Draw ``text`` with its top-left at (x, y) pixels (origin top-left); returns the end x.

        The vertices of a string drawn at the same place in the same colour are built once.
        """
        key = (text, round(x_px), round(y_px), tuple(color))
        cached = self._texts.get(key)
        if cached is not None:
            self._queue(cached)
            return float(x_px + len(text) * self.cell_w_px)
        if len(self._texts) >= _MAX_CACHED_TEXTS:
            self._texts = {}
        codes = np.frombuffer(text.encode("ascii", "replace"), np.uint8).astype(np.int64)
        if codes.size == 0:
            return x_px
        codes = np.where((codes >= _FIRST) & (codes <= _LAST), codes, ord("?")) - _FIRST
        keep = codes != 0  # spaces draw nothing
        cw, ch = self.cell_w_px, self.cell_h_px
        x0 = np.round(x_px) + np.arange(codes.size, dtype=np.float64) * cw
        y0 = np.full(codes.size, np.round(y_px))
        u0, v0 = self._cell_uv(codes)
        aw, ah = self._atlas_size
        k = keep
        self._texts[key] = self._add(x0[k], y0[k], x0[k] + cw, y0[k] + ch, u0[k], v0[k], u0[k] + cw / aw,
                                     v0[k] + ch / ah, color)
        return float(x_px + codes.size * cw)

    def rect(self, x_px: float, y_px: float, w_px: float, h_px: float, color) -> None:
        """A filled rectangle (origin top-left), e.g. a meter or a text backdrop."""
        # plain floats into one small array: drawn every frame (meters), so no per-corner numpy work
        uc, vc = self._white_uv
        x0, y0, x1, y1 = float(x_px), float(y_px), float(x_px + w_px), float(y_px + h_px)
        r, g, b, a = (float(c) for c in color)
        self._queue(np.array([(x0, y0, uc, vc, r, g, b, a), (x1, y0, uc, vc, r, g, b, a),
                              (x0, y1, uc, vc, r, g, b, a), (x1, y0, uc, vc, r, g, b, a),
                              (x1, y1, uc, vc, r, g, b, a), (x0, y1, uc, vc, r, g, b, a)], np.float32))

    def end(self, framebuffer) -> None:
        """Upload and draw everything queued since ``begin`` over ``framebuffer`` (alpha blended)."""
        import moderngl

        if not self._quads:
            return
        data = np.concatenate(self._quads)
        self._vbo.write(data.tobytes())
        framebuffer.use()
        framebuffer.viewport = (0, 0, *self._size)
        self._prog["u_size"].value = (float(self._size[0]), float(self._size[1]))
        self._atlas.use(location=0)
        ctx = self._ctx
        ctx.enable(moderngl.BLEND)
        ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        self._vao.render(mode=moderngl.TRIANGLES, vertices=len(data))
        ctx.disable(moderngl.BLEND)
        self._quads = []

    def release(self) -> None:
        """Free the GL objects."""
        for obj in (self._vao, self._vbo, self._prog, self._atlas):
            if obj is not None:
                obj.release()
        self._atlas = None
