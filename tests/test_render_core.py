"""Render core: scene discovery, loader (includes, header, error mapping), renderer, textures."""

from __future__ import annotations

import math
import re
import textwrap

import numpy as np
import pytest

from reactor.errors import ReactorError, ShaderError, UsageError
from reactor.features import Features
from reactor.render import programs
from reactor.render.renderer import Renderer
from reactor.render.scenes import list_scenes, load_scene
from reactor.render.textures import HISTORY_ROW_S, HistoryRing
from tests.render_util import feature_sequence, gl_ctx, groove_features, render_frames  # noqa: F401

ALL_SCENES = sorted(list_scenes())


def write_scene(tmp_path, body: str, name: str = "probe.frag") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip("\n"))
    return str(path)


def render_once(ctx, scene, features=None, params=None, *, size=(8, 4), frames=1):
    with Renderer(ctx, scene, width_px=size[0], height_px=size[1]) as r:
        for n in range(frames):
            r.render(features or Features.silent(n / 30), params or {}, time_s=n / 30, dt_s=1 / 30)
        return r.read_rgb()


@pytest.mark.parametrize("name", ALL_SCENES)
def test_every_scene_compiles_and_renders_a_picture(gl_ctx, name):
    info = load_scene(name, ctx=gl_ctx)
    assert info.description, f"{name} has no // @description"
    frames = render_frames(gl_ctx, name, feature_sequence(4, make=groove_features), width_px=96, height_px=54)
    last = frames[-1].astype(np.float32)
    assert last.shape == (54, 96, 3)
    assert last.std() > 2.0, f"{name} renders a flat frame"
    assert last.mean() > 3.0, f"{name} renders black"


def test_built_in_scene_list_has_the_image_scenes():
    scenes = list_scenes()
    for name in ("pulse", "breathe", "performer", "parallax"):
        assert scenes[name].uses_image
    assert all(s.name == n for n, s in scenes.items())


def test_unknown_scene_lists_the_valid_ones():
    with pytest.raises(UsageError) as err:
        load_scene("no_such_scene")
    msg = str(err.value)
    assert "no_such_scene" in msg and "pulse" in msg and "\n" not in msg


def test_compile_error_names_file_line_and_source(gl_ctx, tmp_path):
    path = write_scene(tmp_path, """
        // @description broken on purpose
        void main() {
            vec3 c = vec3(0.5);
            fragColor = vec4(c * undefined_thing, 1.0);
        }
    """)
    with pytest.raises(ShaderError) as err:
        load_scene(path, ctx=gl_ctx)
    msg = str(err.value)
    assert "probe.frag:4:" in msg
    assert "fragColor = vec4(c * undefined_thing, 1.0);" in msg
    assert "\n" not in msg
    assert err.value.errors[0][1] == 4


def test_error_inside_an_include_maps_to_the_included_file(gl_ctx, tmp_path):
    (tmp_path / "helper.glsl").write_text("float helper(float x) {\n    return x * nope;\n}\n")
    path = write_scene(tmp_path, """
        #include "helper.glsl"
        void main() { fragColor = vec4(helper(u_time)); }
    """)
    with pytest.raises(ShaderError, match=r"helper\.glsl:2: .*return x \* nope;"):
        Renderer(gl_ctx, path, width_px=4, height_px=4)


def test_includes_resolve_recursively_once_each_and_from_lib(gl_ctx, tmp_path):
    (tmp_path / "a.glsl").write_text('#include "b.glsl"\nfloat a_val() { return b_val() * 2.0; }\n')
    (tmp_path / "b.glsl").write_text('#include "a.glsl"\nfloat b_val() { return 0.25; }\n')
    path = write_scene(tmp_path, """
        #include "a.glsl"
        #include "b.glsl"
        #include "math.glsl"
        void main() { fragColor = vec4(vec3(saturate(a_val())), 1.0); }
    """)
    rgb = render_once(gl_ctx, path)
    assert abs(int(rgb[0, 0, 0]) - 128) <= 1  # 0.5 after both includes, lib math.glsl found


def test_missing_include_is_a_shader_error_with_line(tmp_path):
    path = write_scene(tmp_path, '// top\n#include "nowhere.glsl"\nvoid main() { fragColor = vec4(1.0); }\n')
    with pytest.raises(ShaderError, match=r'probe\.frag:2: cannot find include "nowhere\.glsl"'):
        load_scene(path)


@pytest.mark.parametrize("log, line, text", [
    ("0:12(5): error: `foo' undeclared", 12, "`foo' undeclared"),
    ("ERROR: 0:7: 'bar' : undeclared identifier", 7, "'bar' : undeclared identifier"),
    ("0(31) : error C1008: undefined variable \"baz\"", 31, 'undefined variable "baz"'),
    ("0:3(1): warning: unused\n0:9(2): error: real one", 9, "real one"),
])
def test_driver_log_formats_are_parsed(log, line, text):
    assert programs.parse_log(log)[0] == (line, text)


def test_uniforms_reach_the_shader_params_default_from_initializer(gl_ctx, tmp_path):
    path = write_scene(tmp_path, """
        uniform float p_gain = 0.25;
        void main() { fragColor = vec4(u_bass, p_gain, u_time / 10.0, 1.0); }
    """)
    f = Features.silent(bass=0.5)
    with Renderer(gl_ctx, path, width_px=4, height_px=4) as r:
        r.render(f, {}, time_s=4.0, dt_s=0.1)
        px = r.read_rgb()[0, 0].astype(int)
        assert abs(px[0] - 128) <= 1 and abs(px[1] - 64) <= 1 and abs(px[2] - 102) <= 1
        r.render(f, {"gain": 1.0, "unused": 3.0}, time_s=4.0, dt_s=0.1)
        assert r.read_rgb()[0, 0, 1] == 255


def test_readback_is_top_row_first(gl_ctx, tmp_path):
    path = write_scene(tmp_path, "void main() { fragColor = vec4(v_uv.y, v_uv.x, 0.0, 1.0); }\n")
    rgb = render_once(gl_ctx, path, size=(16, 16)).astype(int)
    assert rgb[0, 0, 0] > 240 and rgb[-1, 0, 0] < 15  # v_uv.y is 1 at the top
    assert rgb[0, 0, 1] < 15 and rgb[0, -1, 1] > 240


def test_feedback_reads_previous_frame_and_reset_clears_it(gl_ctx, tmp_path):
    path = write_scene(tmp_path, "void main() { fragColor = texture(u_prev, v_uv) + vec4(0.1); }\n")
    with Renderer(gl_ctx, path, width_px=4, height_px=4) as r:
        for n in range(3):
            r.render(Features.silent(), {}, time_s=n / 30, dt_s=1 / 30)
        assert abs(int(r.read_rgb()[1, 1, 0]) - 77) <= 1  # 0.3 after three frames
        r.reset()
        r.render(Features.silent(), {}, time_s=0.0, dt_s=1 / 30)
        assert abs(int(r.read_rgb()[1, 1, 0]) - 26) <= 1


def test_multipass_scene_passes_targets_between_passes(gl_ctx, tmp_path):
    (tmp_path / "a.frag").write_text("void main() { fragColor = vec4(0.25, u_resolution / 100.0, 1.0); }\n")
    (tmp_path / "b.frag").write_text(
        "void main() { vec4 a = texture(u_pass_half, v_uv); fragColor = vec4(a.r * 2.0, a.g, a.b, 1.0); }\n")
    (tmp_path / "two.toml").write_text(textwrap.dedent("""
        description = "two passes"
        [[pass]]
        shader = "a.frag"
        target = "half"
        float = true
        scale = 0.5
        [[pass]]
        shader = "b.frag"
        target = "out"
    """))
    assert list(list_scenes(tmp_path)) == ["two"]  # the pass files are not scenes of their own
    rgb = render_once(gl_ctx, str(tmp_path / "two.toml"), size=(80, 40)).astype(int)
    assert abs(rgb[5, 5, 0] - 128) <= 1        # 0.25 * 2 from the first pass
    assert abs(rgb[5, 5, 1] - 102) <= 1        # the half-size pass saw u_resolution = (40, 20)
    assert abs(rgb[5, 5, 2] - 51) <= 1


def test_a_1x1_float32_state_pass_integrates_exactly_and_the_output_can_go_direct(gl_ctx, tmp_path):
    """A pass with ``size = [1, 1]`` and ``format = "rgba32f"`` keeps state (an integral) at full
    float precision; the output pass reads only it, so it needs no read-back and can draw
    straight into a window. Bad sizes and formats are one-line errors."""
    (tmp_path / "acc.frag").write_text(
        "void main() { fragColor = vec4(texelFetch(u_prev, ivec2(0), 0).r + 0.01, 0.0, 0.0, 1.0); }\n")
    (tmp_path / "show.frag").write_text(
        "void main() { fragColor = vec4(vec3(texelFetch(u_pass_acc, ivec2(0), 0).r), 1.0); }\n")
    body = textwrap.dedent("""
        description = "state"
        feedback = true
        [[pass]]
        shader = "acc.frag"
        target = "acc"
        {extra}
        [[pass]]
        shader = "show.frag"
        target = "out"
    """)
    (tmp_path / "state.toml").write_text(body.format(extra='size = [1, 1]\nformat = "rgba32f"'))
    with Renderer(gl_ctx, str(tmp_path / "state.toml"), width_px=32, height_px=18) as r:
        for n in range(300):
            r.render(Features.silent(), {}, time_s=n / 30, dt_s=1 / 30)
        acc = r._targets["acc"]
        assert acc.size_px == (1, 1) and acc.dtype == "f4"
        value = np.frombuffer(acc.read_fbo.read(components=4, dtype="f4"), np.float32)[0]
        assert abs(value - 3.0) < 1e-4  # 300 x 0.01 (half floats drift by several %)
        assert r.can_draw_direct
    for extra, message in (('size = [0, 1]', "size: must be [width, height] in pixels"),
                           ('format = "rgb9"', "format: must be one of rgba8, rgba16f, rgba32f")):
        (tmp_path / "bad.toml").write_text(body.format(extra=extra))
        with pytest.raises(ShaderError, match=re.escape(message)):
            load_scene(str(tmp_path / "bad.toml"))


def _region_scene(tmp_path, rect: str, *, feedback: bool = False) -> str:
    """A scene whose output pass has a region: ``rect`` (GLSL vec4, uv x0 y0 x1 y1) from a 1x1
    pass; inside, the pass's code draws red (plus its last picture's green when ``feedback``),
    outside (REACTOR_OUTSIDE_REGION) blue."""
    (tmp_path / "rect.frag").write_text(f"void main() {{ fragColor = {rect}; }}\n")
    grow = " + vec3(0.0, texture(u_prev, v_uv).g + 0.1, 0.0)" if feedback else ""
    keep = "texture(u_prev, v_uv).g" if feedback else "0.0"
    (tmp_path / "show.frag").write_text(textwrap.dedent(f"""
        #ifdef REACTOR_OUTSIDE_REGION
        void main() {{ fragColor = vec4(0.0, {keep}, 1.0, 1.0); }}
        #else
        void main() {{ fragColor = vec4(vec3(1.0, 0.0, 0.0){grow}, 1.0); }}
        #endif
    """))
    (tmp_path / "reg.toml").write_text(textwrap.dedent(f"""
        description = "region"
        feedback = {str(feedback).lower()}
        [[pass]]
        shader = "rect.frag"
        target = "rect"
        size = [1, 1]
        format = "rgba32f"
        [[pass]]
        shader = "show.frag"
        target = "out"
        region = "rect"
    """))
    return str(tmp_path / "reg.toml")


def test_a_region_pass_draws_its_code_inside_the_rectangle_and_the_outside_code_around_it(gl_ctx, tmp_path):
    """The rectangle comes from a 1x1 pass each frame; the two parts tile the frame exactly
    (every pixel drawn by one of them, none by both), the picture dithers itself and can go
    straight to a window. A NaN rectangle draws the whole frame with the pass's code, an inverted
    one none of it; region errors are one line."""
    w, h = 40, 20
    rgb = render_once(gl_ctx, _region_scene(tmp_path, "vec4(0.25, 0.5, 0.75, 1.0)"), size=(w, h)).astype(int)
    inside = np.zeros((h, w), bool)
    inside[: h // 2, w // 4: 3 * w // 4] = True  # rows top first: uv y 0.5..1 is the top half
    assert (rgb[inside] == (255, 0, 0)).all()
    assert (rgb[~inside] == (0, 0, 255)).all()
    with Renderer(gl_ctx, _region_scene(tmp_path, "vec4(0.25, 0.5, 0.75, 1.0)"), width_px=w, height_px=h) as r:
        assert r.self_dithered and r.can_draw_direct
    # edges at numbers that are not whole pixels or exact in binary (none on a pixel centre, where
    # the rasterizer's tie rule would decide): still no pixel left undrawn
    # (a gap would stay black), none drawn by the wrong part
    for x0, y0, x1, y1 in ((0.1237, 0.3311, 0.7777, 0.9013), (0.0101, 0.0001, 0.3333, 0.6667), (0.4999, 0.2, 0.511, 0.21)):
        rgb = render_once(gl_ctx, _region_scene(tmp_path, f"vec4({x0}, {y0}, {x1}, {y1})"), size=(97, 61)).astype(int)
        red = (rgb == (255, 0, 0)).all(axis=2)
        assert (red | (rgb == (0, 0, 255)).all(axis=2)).all()
        cx, cy = (np.arange(97) + 0.5) / 97, 1.0 - (np.arange(61) + 0.5) / 61  # pixel centres, uv
        want = ((cx[None, :] > x0) & (cx[None, :] < x1)) & ((cy[:, None] > y0) & (cy[:, None] < y1))
        assert (red == want).all()
    for rect, red in (("vec4(0.0 / 0.0)", True), ("vec4(0.8, 0.8, 0.2, 0.2)", False)):
        rgb = render_once(gl_ctx, _region_scene(tmp_path, rect), size=(w, h)).astype(int)
        assert (rgb == ((255, 0, 0) if red else (0, 0, 255))).all(), rect

    # feedback through the region: the inside grows its green each frame, the outside keeps its own
    with Renderer(gl_ctx, _region_scene(tmp_path, "vec4(0.0, 0.0, 0.5, 1.0)", feedback=True),
                  width_px=w, height_px=h) as r:
        for n in range(3):
            r.render(Features.silent(), {}, time_s=n / 30, dt_s=1 / 30)
        rgb = r.read_rgb().astype(int)
    assert abs(rgb[5, 5, 1] - round(0.3 * 255)) <= 1 and rgb[5, 5, 0] == 255
    assert rgb[5, w - 5, 1] == 0 and rgb[5, w - 5, 2] == 255

    base = (tmp_path / "reg.toml").read_text()
    for bad, message in ((base.replace('region = "rect"', 'region = "nope"'), "region: must name an earlier pass's target"),
                         (base.replace('size = [1, 1]', 'size = [2, 1]'), "must be size = [1, 1] and format"),
                         (base.replace('format = "rgba32f"', 'format = "rgba16f"'), "must be size = [1, 1] and format")):
        (tmp_path / "bad.toml").write_text(bad)
        with pytest.raises(ShaderError, match=re.escape(message)):
            load_scene(str(tmp_path / "bad.toml"))


def _face_features(n):
    return Features.silent(n / 10, vowel_open=0.5 + 0.5 * math.sin(n * 0.7), vowel_spread=math.sin(n * 0.3),
                           beat_pulse=abs(math.sin(n * 0.4)), beat_count=float(n // 5), level=0.8)


_FACE = {"head_x": 0.3, "head_y": 0.2, "head_w": 0.4, "head_h": 0.5, "eye_lx": 0.42, "eye_ly": 0.38, "eye_rx": 0.58,
         "eye_ry": 0.38, "eye_w": 0.08, "blink": 3.0, "open": 2.0, "spread": 2.0, "nod": 3.0, "sway": 3.0, "chin_y": 0.75}


@pytest.mark.parametrize("scene, face", [("performer", None), ("performer", _FACE), ("trails", None), ("scope", None),
                                         ("rings", None)])
def test_region_scenes_match_their_output_pass_run_on_every_pixel(gl_ctx, scene, face):
    """performer (the face), trails (the shape), scope (the ring) and rings (the disc of rings) run their costly part only
    inside the rectangle their first pass bounds each frame (on a CPU rasterizer that is what
    makes them cheaper); the picture matches the same output pass run on every pixel, frame after
    frame (trails and scope feed back, so a miss would linger): within one level, but for a rare
    pixel where a trace's seam falls on the other side of a rounding (scope). rings' dashed arcs
    anti-alias with fwidth across ring cells, and at a few pixels a frame (along the diagonals)
    that flips with the last bit of v_uv, which the inside rectangle interpolates from other
    vertices than the full-frame triangle: ~770 values over these 60 frames, the same with the
    rectangle set to the whole frame; a bound 10 % too small differs in ~100,000."""
    from reactor.presets import load_preset
    from reactor.render.programs import shader_dir

    full = shader_dir() / "scenes" / f"{scene}_show.frag"  # the output pass alone: every pixel
    params = {name: p.default for name, p in load_preset(scene).params.items()}
    if scene == "performer":  # 4.8 s: blinks come about every 1.4 s at blink = 3
        feats, params = [_face_features(n) for n in range(48)], {**params, **(face or {})}
    else:
        feats = [groove_features(1.0 + n / 30) for n in range(60)]
    a = render_frames(gl_ctx, str(full), feats, width_px=320, height_px=180, params=params)
    b = render_frames(gl_ctx, scene, feats, width_px=320, height_px=180, params=params)
    moved = sum(int((np.abs(f.astype(int) - a[0].astype(int)) > 8).sum()) for f in a)
    assert moved > 1000  # the costly part really drew in these frames
    off = [np.abs(x.astype(int) - y.astype(int)) for x, y in zip(a, b)]
    assert sum(int((o > 1).sum()) for o in off) <= (2000 if scene == "rings" else 10)  # of 10 million values


def test_undithered_code_copies_the_picture_exactly_and_dithered_code_flickers(gl_ctx, tmp_path):
    """Code whose colour is already exact 8-bit levels (a 1:1 copy of the picture, such as
    performer's outside its face) defines REACTOR_UNDITHERED: the fused dither leaves it alone, so
    a still picture gives the same bytes every frame; without it the dither moves some of its
    pixels by a level each frame (noise an encoder has to carry)."""
    img = np.random.default_rng(3).integers(1, 255, (18, 32, 3), dtype=np.uint8)
    runs = {}
    for define in ("#define REACTOR_UNDITHERED\n", ""):
        path = tmp_path / f"copy{len(define)}.frag"
        path.write_text(define + "void main() { fragColor = vec4(texture(u_image, v_uv).rgb, 1.0); }\n")
        with Renderer(gl_ctx, str(path), width_px=32, height_px=18, image=img) as r:
            assert r.self_dithered
            frames = []
            for n in range(4):
                r.render(Features.silent(n / 30), {}, time_s=n / 30, dt_s=1 / 30)
                frames.append(r.read_rgb().astype(int))
        runs[bool(define)] = frames
    exact, dithered = runs[True], runs[False]
    assert all((f == img).all() for f in exact)
    assert all(np.abs(f - img).max() <= 1 for f in dithered)
    assert sum(int((a != b).sum()) for a, b in zip(dithered, dithered[1:])) > 50


def test_spectrum_texture_carries_the_snapshot(gl_ctx, tmp_path):
    path = write_scene(tmp_path, """
        void main() { fragColor = vec4(texelFetch(u_spectrum, ivec2(10, 0), 0).r,
                                       texelFetch(u_sound, ivec2(3, 1), 0).r, 0.0, 1.0); }
    """)
    spectrum = np.zeros(64, np.float32)
    spectrum[10] = 0.75
    base = Features.silent()
    f = Features(time_s=0.0, scalars=base.scalars, spectrum=spectrum)
    px = render_once(gl_ctx, path, features=f)[0, 0].astype(int)
    assert abs(px[0] - 191) <= 1 and abs(px[1] - 128) <= 1  # Shadertoy wave row rests at 0.5


@pytest.mark.parametrize("fps", [24.0, 60.0, 144.0])
def test_history_scrolls_with_time_not_frames(fps):
    ring = HistoryRing(bins=2, rows=256)
    marker_t = 0.5
    n = int(round(1.5 * fps))
    for i in range(n + 1):
        t = i / fps
        ring.push(np.array([1.0 if abs(t - marker_t) < 0.5 / fps else 0.0, 0.0], np.float32), t)
    row = int(np.argmax(ring.rows[:, 0]))
    assert abs(row - (n / fps - marker_t) / HISTORY_ROW_S) <= 3  # 1 s ago = 60 rows at any fps


def test_dither_keeps_black_black_and_mean_grey(gl_ctx, tmp_path):
    black = render_once(gl_ctx, write_scene(tmp_path, "void main() { fragColor = vec4(0.0); }\n"), size=(64, 64))
    assert black.max() == 0
    grey = render_once(gl_ctx, write_scene(tmp_path, "void main() { fragColor = vec4(0.3); }\n", "g.frag"),
                       size=(64, 64)).astype(float)
    assert abs(grey.mean() - 0.3 * 255) < 0.3 and len(np.unique(grey)) > 1


def test_same_inputs_same_pixels(gl_ctx):
    seq = feature_sequence(6, make=groove_features)
    for scene in ("pulse", "breathe"):
        a = render_frames(gl_ctx, scene, seq, width_px=64, height_px=36)
        b = render_frames(gl_ctx, scene, seq, width_px=64, height_px=36)
        assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_rendering_allocates_no_gl_objects_per_frame(gl_ctx):
    def probe_name():
        tex = gl_ctx.texture((1, 1), 4)
        name = tex.glo
        tex.release()
        return name

    with Renderer(gl_ctx, "pulse", width_px=32, height_px=18) as r:
        r.render(groove_features(0.0), {}, time_s=0.0, dt_s=1 / 30)
        r.read_rgb()
        before = probe_name()
        for n in range(1, 30):
            r.render(groove_features(n / 30), {}, time_s=n / 30, dt_s=1 / 30)
            r.read_rgb()
        # Mesa hands out GL names in sequence (others reuse them): either way a renderer that
        # created objects per frame would have moved the next name on by at least 29.
        assert probe_name() in (before, before + 1)


def test_reload_keeps_the_last_good_program_on_error(gl_ctx, tmp_path):
    path = tmp_path / "live.frag"
    path.write_text("void main() { fragColor = vec4(1.0, 0.0, 0.0, 1.0); }\n")
    with Renderer(gl_ctx, str(path), width_px=4, height_px=4) as r:
        path.write_text("void main() { fragColor = vec4(1.0, 0.0, 0.0, 1.0) }\n")
        with pytest.raises(ShaderError, match=r"live\.frag:1:"):
            r.reload()
        r.render(Features.silent(), {}, time_s=0.0, dt_s=1 / 30)
        assert r.read_rgb()[0, 0, 0] == 255  # still the old red program
        path.write_text("void main() { fragColor = vec4(0.0, 1.0, 0.0, 1.0); }\n")
        r.reload()
        r.render(Features.silent(), {}, time_s=0.0, dt_s=1 / 30)
        assert r.read_rgb()[0, 0, 1] == 255


def test_missing_egl_is_a_one_line_error_naming_packages(monkeypatch):
    import moderngl

    from reactor.render import context

    def fail(*args, **kwargs):
        raise Exception("libEGL.so.1: cannot open shared object file")

    monkeypatch.setattr(moderngl, "create_standalone_context", fail)
    with pytest.raises(ReactorError, match="libegl1 libgl1 libgl1-mesa-dri libegl-mesa0") as err:
        context.create_context(headless=True)
    assert "\n" not in str(err.value)


def test_bad_render_size_is_refused(gl_ctx):
    with pytest.raises(ReactorError, match="0x10"):
        Renderer(gl_ctx, "pulse", width_px=0, height_px=10)


def test_feedback_output_dithers_in_its_own_pass_with_the_present_pass_bytes(gl_ctx, monkeypatch):
    """``trails`` reads its output back (u_prev): it dithers into a second 8-bit attachment in the
    same draw, and the picture equals the separate present pass's within the half-float rounding
    (1 level) that the present pass sees and it does not."""
    seq = feature_sequence(12, make=groove_features)
    with Renderer(gl_ctx, "trails", width_px=96, height_px=54) as r:
        assert r.self_dithered and r._mrt
    fused = render_frames(gl_ctx, "trails", seq, width_px=96, height_px=54)
    monkeypatch.setattr(Renderer, "_fusable", lambda self, info, sources: None)
    presented = render_frames(gl_ctx, "trails", seq, width_px=96, height_px=54)
    assert not np.array_equal(fused[2], fused[11])  # the trail moves
    for a, b in zip(fused, presented):
        diff = np.abs(a.astype(int) - b)
        assert diff.max() <= 1 and (diff > 0).mean() < 0.05
