"""Compositor (upscale filter, crossfade, blackout) and HUD text, on headless EGL."""

from __future__ import annotations

import numpy as np

from reactor.render.compositor import Compositor
from reactor.render.hud import Hud, font_px_for, glyph_atlas
from tests.render_util import gl_ctx  # noqa: F401  (fixture)


def _texture(ctx, rgb: np.ndarray):
    h, w = rgb.shape[:2]
    tex = ctx.texture((w, h), 4, dtype="f2")
    rgba = np.concatenate([rgb, np.ones((h, w, 1))], axis=2).astype(np.float16)
    tex.write(rgba.tobytes())
    return tex


def _target(ctx, w, h):
    tex = ctx.texture((w, h), 4)
    return tex, ctx.framebuffer(color_attachments=[tex])


def _read(fbo, w, h) -> np.ndarray:
    out = np.frombuffer(fbo.read(components=3, alignment=1), np.uint8).reshape(h, w, 3)
    return out.astype(np.float32)


def _smooth(w, h):
    """A band-limited test picture sampled at pixel centres (so grids of any size agree)."""
    y, x = (np.mgrid[0:h, 0:w] + 0.5) / np.array([h, w])[:, None, None]
    return np.stack([0.5 + 0.4 * np.sin(40 * x), 0.5 + 0.4 * np.cos(30 * y), 0.5 + 0.3 * np.sin(25 * (x + y))], 2)


def test_catmull_rom_upscale_beats_nearest_and_bilinear(gl_ctx):
    comp = Compositor(gl_ctx, upscale="catmull-rom")
    half = _smooth(128, 72)
    src = _texture(gl_ctx, half)
    tex, fbo = _target(gl_ctx, 256, 144)
    comp.draw(src, fbo, viewport=(0, 0, 256, 144))
    up = _read(fbo, 256, 144) / 255.0
    truth = _smooth(256, 144)
    err_cr = np.abs(up - truth)[4:-4, 4:-4].mean()
    nearest = np.repeat(np.repeat(half, 2, axis=0), 2, axis=1)
    err_nn = np.abs(nearest - truth)[4:-4, 4:-4].mean()
    ys, xs = (np.mgrid[0:144, 0:256] + 0.5) / 2.0 - 0.5  # bilinear from the coarse grid, on the CPU
    x0, y0 = np.clip(np.floor(xs).astype(int), 0, 126), np.clip(np.floor(ys).astype(int), 0, 70)
    fx, fy = (xs - x0)[..., None], (ys - y0)[..., None]
    bil = ((half[y0, x0] * (1 - fx) + half[y0, x0 + 1] * fx) * (1 - fy)
           + (half[y0 + 1, x0] * (1 - fx) + half[y0 + 1, x0 + 1] * fx) * fy)
    err_bl = np.abs(bil - truth)[4:-4, 4:-4].mean()
    assert err_cr < 0.5 * err_nn and err_cr < 0.8 * err_bl, (err_cr, err_bl, err_nn)
    for obj in (src, tex, fbo):
        obj.release()
    comp.release()


def test_crossfade_and_blackout(gl_ctx):
    comp = Compositor(gl_ctx)
    a = _texture(gl_ctx, np.full((36, 64, 3), 0.8))
    b = _texture(gl_ctx, np.full((36, 64, 3), 0.2))
    tex, fbo = _target(gl_ctx, 64, 36)
    comp.draw(a, fbo, viewport=(0, 0, 64, 36), incoming=b, progress=0.25)
    assert abs(_read(fbo, 64, 36).mean() / 255 - 0.65) < 0.01
    comp.draw(a, fbo, viewport=(0, 0, 64, 36), incoming=b, progress=1.0)
    assert abs(_read(fbo, 64, 36).mean() / 255 - 0.2) < 0.01
    comp.draw(a, fbo, viewport=(0, 0, 64, 36), gain=0.0)
    assert _read(fbo, 64, 36).max() == 0.0

    class Wipe:  # the seam for shader transitions: anything with draw(start, end, progress, fbo)
        calls = []

        def draw(self, start_tex, end_tex, progress, out_fbo):
            self.calls.append(progress)
            out_fbo.use()
            out_fbo.clear(1.0, 0.0, 0.0, 1.0)

    comp.transition = Wipe()
    comp.draw(a, fbo, viewport=(0, 0, 64, 36), incoming=b, progress=0.5)
    px = _read(fbo, 64, 36)
    assert Wipe.calls == [0.5] and px[..., 0].min() > 250 and px[..., 1].max() < 2
    for obj in (a, b, tex, fbo):
        obj.release()
    comp.release()


def test_an_isf_transition_file_is_the_crossfade(gl_ctx):
    """``reactor live --transition wipe.fs``: the ISF transition (startImage, endImage, progress)
    draws the crossfade between two presets' pictures in place of the plain mix."""
    from pathlib import Path

    from reactor.render.transition import ShaderTransition

    fixture = Path(__file__).parent / "fixtures" / "shaders" / "isf_transition.fs"
    comp = Compositor(gl_ctx, transition=ShaderTransition(gl_ctx, fixture))
    red = np.zeros((36, 64, 3))
    red[..., 0] = 1.0
    blue = np.zeros((36, 64, 3))
    blue[..., 2] = 1.0
    a, b = _texture(gl_ctx, red), _texture(gl_ctx, blue)
    tex, fbo = _target(gl_ctx, 64, 36)
    reds = []
    for progress in (0.25, 0.5, 0.75):
        comp.draw(a, fbo, viewport=(0, 0, 64, 36), incoming=b, progress=progress)
        px = _read(fbo, 64, 36)
        reds.append(float((px[..., 0] > 128).mean()))
        assert ((px[..., 0] > 128) ^ (px[..., 2] > 128)).all()  # a wipe: each pixel one picture, not a blend
    assert reds == sorted(reds, reverse=True) and abs(reds[1] - 0.5) < 0.1
    comp.transition.release()
    for obj in (a, b, tex, fbo):
        obj.release()
    comp.release()


def test_hud_text_is_crisp_at_any_size(gl_ctx):
    assert font_px_for(720) == 16 and font_px_for(2160) == 48
    atlas, cw, ch = glyph_atlas(24)
    assert atlas.dtype == np.uint8 and cw >= 10 and ch >= 24
    hud = Hud(gl_ctx)
    for height in (360, 1440):
        width = height * 16 // 9
        tex, fbo = _target(gl_ctx, width, height)
        fbo.use()
        fbo.clear(0.0, 0.0, 0.0, 1.0)
        hud.begin((width, height))
        end_x = hud.text(10, 10, "reactor 128.0 BPM", (1, 1, 1, 1))
        hud.rect(10, 100, 50, 20, (1, 0, 0, 1))
        hud.end(fbo)
        px = _read(fbo, width, height)[::-1]  # top row first
        assert end_x == 10 + len("reactor 128.0 BPM") * hud.cell_w_px
        text = px[10:10 + hud.cell_h_px, 10:int(end_x), 0]
        lit = text[text > 0]
        # crisp: most lit pixels are fully on (nearest sampling at 1 texel = 1 pixel), not smeared
        assert lit.size > 50 and (lit > 200).mean() > 0.3
        assert px[110, 30, 0] > 250 and px[110, 30, 1] < 5
        assert hud.font_px == font_px_for(height)
        tex.release()
        fbo.release()
    hud.release()


def test_unchanged_same_size_output_is_blitted_exactly(gl_ctx):
    comp = Compositor(gl_ctx)
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (36, 64, 4), dtype=np.uint8)
    src = gl_ctx.texture((64, 36), 4, data=pixels.tobytes())
    src_fbo = gl_ctx.framebuffer(color_attachments=[src])
    tex, fbo = _target(gl_ctx, 64, 36)
    comp.draw(src, fbo, viewport=(0, 0, 64, 36), source_dithered=True, source_fbo=src_fbo)
    assert np.array_equal(_read(fbo, 64, 36), pixels[..., :3].astype(np.float32))
    for obj in (src, src_fbo, tex, fbo):
        obj.release()
    comp.release()


def test_hud_figures_refresh_at_4_hz_but_other_changes_show_at_once(monkeypatch):
    """The status figures change every frame; redrawn at 60 Hz they are unreadable and cost the
    text geometry each frame. A change that is not a figure (another preset, FROZEN) shows at once."""
    from reactor.live import hud_view

    state = {"fps": 59.0, "preset": "tunnel"}
    def lines(show):
        return [(f"{state['preset']} (1/2)", hud_view.WHITE), (f"{state['fps']:.1f} fps", hud_view.DIM)]

    monkeypatch.setattr(hud_view, "status_lines", lines)
    view = hud_view.HudView()
    shown = []
    for i in range(60):  # one second at 60 fps, the figure changing every frame
        state["fps"] = 59.0 + (i % 7) / 10
        if i == 30:
            state["preset"] = "scope"
        shown.append(view.lines(None, i / 60)[0][0] + " " + view.lines(None, i / 60)[1][0])
    assert shown[30].startswith("scope")  # the switch is not held back
    figures = [s.split()[-2] for s in shown]
    changes = sum(a != b for a, b in zip(figures, figures[1:]))
    assert 3 <= changes <= 5, figures
