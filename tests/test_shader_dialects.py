"""Shadertoy and ISF scenes: loading, the binding table, the sound texture, multipass, chains,
transitions, errors and ``reactor check-shaders``. Fixtures are our own (tests/fixtures/shaders)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from reactor.errors import ShaderError
from reactor.features import Features
from reactor.render.renderer import Renderer
from reactor.render.scenes import load_chain, load_scene, scene_kind
from tests.render_util import gl_ctx, groove_features  # noqa: F401

FIX = Path(__file__).parent / "fixtures" / "shaders"


def write(tmp_path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip("\n"))
    return str(path)


def frames(ctx, scene, n=3, *, size=(32, 18), params=None, make=groove_features):
    with Renderer(ctx, scene, width_px=size[0], height_px=size[1]) as r:
        for i in range(n):
            r.render(make(i / 30), params or {}, time_s=i / 30, dt_s=1 / 30)
        return r.read_rgb().astype(int), list(r.notices)


# -- the Web Audio sound texture -------------------------------------------------------------

def webaudio_reference(windows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The Web Audio AnalyserNode maths written out from the specification, independently of
    reactor.analysis.webaudio: periodic Blackman (alpha 0.16), full complex DFT, |X|/N, smoothing
    0.8 across calls, 20 log10, [-100, -30] dB -> 0..255 bytes (floor), time domain 128 (1 + x)."""
    n = 2048
    alpha = 0.16
    k = np.arange(n)
    window = (1 - alpha) / 2 - 0.5 * np.cos(2 * np.pi * k / n) + alpha / 2 * np.cos(4 * np.pi * k / n)
    smoothed = np.zeros(n // 2)
    for x in windows:
        spectrum = np.fft.fft(x * window)[: n // 2]
        smoothed = 0.8 * smoothed + 0.2 * (np.abs(spectrum) / n)
    with np.errstate(divide="ignore"):
        db = 20 * np.log10(smoothed[:512])
    fft_bytes = np.clip(np.floor(255 / 70 * (db + 100)), 0, 255)
    wave_bytes = np.clip(np.floor(128 * (1 + windows[-1][:512])), 0, 255)
    return fft_bytes / 255, wave_bytes / 255


def test_sound_texture_matches_an_independent_web_audio_implementation(gl_ctx, tmp_path):
    from reactor.analysis.analyzer import StreamingAnalyzer
    from tests.signals import tone

    sr, fps = 48000, 30
    x = tone(1000.0, duration_s=0.5, sample_rate_hz=sr, amplitude=0.3)
    x = x + tone(220.0, duration_s=0.5, sample_rate_hz=sr, amplitude=0.2)
    mono = x.mean(axis=1) if x.ndim == 2 else x
    scene = write(tmp_path, "probe.glsl", """
        void mainImage(out vec4 o, in vec2 p) {
            o = vec4(texture(iChannel0, vec2(p.x / iResolution.x, 0.25)).x,
                     texelFetch(iChannel0, ivec2(int(p.x), 1), 0).x, texture(iChannel0, vec2(0.3, 0.25)).g, 1.0);
        }
    """)
    analyzer = StreamingAnalyzer(sample_rate_hz=sr, channels=1)
    done = 0
    with Renderer(gl_ctx, scene, width_px=512, height_px=2) as r:
        for n in range(10):
            t = 0.1 + n / fps
            upto = int(round(t * sr))
            analyzer.process(x[done:upto].reshape(-1, 1))
            done = upto
            f = analyzer.snapshot(t)
            r.render(f, {}, time_s=t, dt_s=1 / fps)
        tex = np.frombuffer(r._audio.textures["u_sound"].read(), np.float32).reshape(2, 512)
        rgb = r.read_rgb().astype(int)
    # The analyser is read the way a 60 Hz display reads it in a browser: the smoothing steps once
    # per 1/60 s of audio (at fixed sample positions), whatever the render's frame rate.
    period = sr // 60
    padded = np.concatenate([np.zeros(2048), mono.astype(np.float64)])
    windows = [padded[e:e + 2048] for e in range(period, done + 1, period)]
    fft_ref, _ = webaudio_reference(windows)
    _, wave_ref = webaudio_reference([mono[done - 2048:done].astype(np.float64)])
    np.testing.assert_allclose(tex[0], fft_ref, atol=1.01 / 255)   # a byte may round either way
    assert np.mean(np.abs(tex[0] - fft_ref) > 0.5 / 255) < 0.02      # ... but almost never does
    np.testing.assert_allclose(tex[1], wave_ref, atol=1e-6)
    peak = int(round(1000.0 / (sr / 2048)))                          # 1 kHz is bin 43
    assert tex[0][peak] > 0.8 and tex[0][peak] > tex[0][peak + 40] + 0.3
    # as a shader samples it: row 0 at v = 0.25, row 1 by texelFetch, luminance in .g too
    assert np.abs(rgb[0, :, 0] - np.round(fft_ref * 255)).max() <= 2
    assert np.abs(rgb[0, :, 1] - np.round(wave_ref * 255)).max() <= 2
    assert abs(rgb[0, 0, 2] - fft_ref[int(0.3 * 512)] * 255) <= 3


def test_spectrum_shader_follows_the_music(gl_ctx):
    silent = Features.silent()
    loud_rgb, _ = frames(gl_ctx, str(FIX / "st_spectrum.glsl"), 1, size=(64, 36))
    flat_rgb, _ = frames(gl_ctx, str(FIX / "st_spectrum.glsl"), 1, size=(64, 36), make=lambda t: silent)
    assert loud_rgb[:, :32].mean() > flat_rgb[:, :32].mean() + 10  # bars rise with the bass end


# -- Shadertoy ---------------------------------------------------------------------------------

def test_shadertoy_uniforms_are_bound(gl_ctx, tmp_path):
    scene = write(tmp_path, "u.glsl", """
        precision mediump float;
        void mainImage(out vec4 fragColor, vec2 fragCoord) {
            fragColor = vec4(iTime / 10.0, float(iFrame) / 10.0, iResolution.x / 100.0 + iTimeDelta * 0.0, 1.0);
            fragColor.a = iDate.x + iMouse.x + iSampleRate + iFrameRate + iChannelTime[0] + iChannelResolution[1].x;
        }
    """)
    with Renderer(gl_ctx, scene, width_px=20, height_px=10) as r:
        for n in range(3):
            r.render(Features.silent(), {}, time_s=4.0, dt_s=1 / 30)
        px = r.read_rgb()[0, 0].astype(int)
        assert not r.notices
    assert abs(px[0] - 102) <= 1 and abs(px[1] - 51) <= 1 and abs(px[2] - 51) <= 1


def test_shadertoy_shims_compile_es_code_unmodified(gl_ctx):
    info = load_scene(FIX / "st_spectrum.glsl", ctx=gl_ctx)  # #version 300 es, #extension, texture2D, const arrays
    assert info.kind == "shadertoy" and info.passes[0].target == "Image"
    assert scene_kind(FIX / "st_legacy.frag") == "shadertoy"
    rgb, notices = frames(gl_ctx, str(FIX / "st_legacy.frag"))
    assert rgb.std() > 5 and not notices


def test_shadertoy_error_points_at_the_users_line(gl_ctx, tmp_path):
    scene = write(tmp_path, "bad.glsl", """
        float helper(float x) { return x; }
        void mainImage(out vec4 fragColor, in vec2 fragCoord) {
            fragColor = vec4(helper(nope), 0.0, 0.0, 1.0);
        }
    """)
    with pytest.raises(ShaderError) as err:
        load_scene(scene, ctx=gl_ctx)
    assert str(err.value).startswith(f"{scene}:3: ") and "\n" not in str(err.value)


def test_shadertoy_multipass_buffer_feeds_back_and_image_reads_it(gl_ctx, tmp_path):
    info = load_scene(FIX / "st_multipass")
    assert [p.target for p in info.passes] == ["A", "Image"] and info.passes[0].format == "rgba32f"
    binds = {b.uniform: b.key for b in info.passes[0].bindings if b.source == "texture"}
    assert binds["iChannel0"] == "prev" and binds["iChannel1"] == "sound"
    # a counter in Buffer A: +0.1 per frame through self-feedback, shown by Image
    (tmp_path / "a.glsl").write_text("void mainImage(out vec4 c, in vec2 p) { c = texture(iChannel0, p / iResolution.xy) + vec4(0.1); }\n")
    (tmp_path / "img.glsl").write_text("void mainImage(out vec4 c, in vec2 p) { c = texture(iChannel2, p / iResolution.xy); }\n")
    (tmp_path / "s.toml").write_text('kind = "shadertoy"\n[A]\nshader = "a.glsl"\niChannel0 = "A"\n'
                                     '[Image]\nshader = "img.glsl"\niChannel2 = "buffer A"\n')
    rgb, _ = frames(gl_ctx, str(tmp_path / "s.toml"), 3, size=(8, 4))
    assert abs(rgb[1, 1, 0] - 77) <= 1


def test_shadertoy_sidecar_errors_are_one_line(tmp_path):
    (tmp_path / "a.glsl").write_text("void mainImage(out vec4 c, in vec2 p) { c = vec4(1.0); }\n")
    (tmp_path / "s.toml").write_text('kind = "shadertoy"\n[Image]\nshader = "a.glsl"\niChannel0 = "B"\n')
    with pytest.raises(ShaderError, match=r"Image\.iChannel0: reads buffer B, which the file does not define"):
        load_scene(tmp_path / "s.toml")
    (tmp_path / "s.toml").write_text('kind = "shadertoy"\n[Image]\nshader = "a.glsl"\niChannel1 = "lava.png"\n')
    with pytest.raises(ShaderError, match=r"iChannel1: image file not found"):
        load_scene(tmp_path / "s.toml")


def test_shadertoy_channel_reads_the_reference_image_or_a_file(gl_ctx, tmp_path):
    from PIL import Image

    Image.fromarray(np.full((4, 4, 3), (255, 0, 0), np.uint8)).save(tmp_path / "red.png")
    (tmp_path / "a.glsl").write_text("void mainImage(out vec4 c, in vec2 p) { c = vec4(texture(iChannel1, vec2(0.5)).r, "
                                     "texture(iChannel2, vec2(0.5)).r * 0.0 + iChannelResolution[1].x / 255.0, 1.0, 1.0); }\n")
    (tmp_path / "s.toml").write_text('kind = "shadertoy"\n[Image]\nshader = "a.glsl"\niChannel1 = "red.png"\niChannel2 = "image"\n')
    info = load_scene(tmp_path / "s.toml")
    assert info.uses_image
    rgb, notices = frames(gl_ctx, str(tmp_path / "s.toml"), 1, size=(4, 4))
    assert rgb[0, 0, 0] == 255 and abs(rgb[0, 0, 1] - 4) <= 1 and not notices


# -- ISF ---------------------------------------------------------------------------------------

def test_isf_inputs_become_parameters_with_their_ranges():
    info = load_scene(FIX / "isf_gen.fs")
    assert info.kind == "isf" and info.role == "generator"
    assert info.params["gain"] == 1.0 and info.param_ranges["gain"] == (0.0, 4.0)
    assert info.params["center_x"] == 0.5 and info.param_ranges["center_y"] == (0.0, 1.0)
    assert info.params["tint_g"] == 0.6 and info.params["mode"] == 1.0 and info.param_ranges["mode"] == (0.0, 2.0)
    kinds = {b.uniform: (b.source, b.kind) for b in info.passes[0].bindings}
    assert kinds["invert"] == ("param", "bool") and kinds["flash"] == ("param", "event")
    assert kinds["mode"] == ("param", "int") and kinds["center"] == ("param", "vec2")
    keys = {b.uniform: b.key for b in info.passes[0].bindings if b.source == "texture"}
    assert keys["fft"] == "isf_fft:64" and keys["wave"] == "isf_audio:512"


def test_isf_parameters_reach_the_shader(gl_ctx, tmp_path):
    scene = write(tmp_path, "p.fs", """
        /*{"ISFVSN": "2", "INPUTS": [
            {"NAME": "level", "TYPE": "float", "DEFAULT": 0.5},
            {"NAME": "on", "TYPE": "bool", "DEFAULT": true},
            {"NAME": "pick", "TYPE": "long", "VALUES": [0, 10, 20], "DEFAULT": 10},
            {"NAME": "where", "TYPE": "point2D", "DEFAULT": [0.25, 0.75]},
            {"NAME": "tint", "TYPE": "color", "DEFAULT": [0.1, 0.2, 0.3, 1.0]}]}*/
        void main() {
            gl_FragColor = vec4(level, on ? float(pick) / 40.0 : 1.0, where.y + tint.b * 0.0, 1.0);
        }
    """)
    rgb, notices = frames(gl_ctx, scene, 1, size=(4, 4))
    assert abs(rgb[0, 0, 0] - 128) <= 1 and abs(rgb[0, 0, 1] - 64) <= 1 and abs(rgb[0, 0, 2] - 191) <= 1
    rgb, _ = frames(gl_ctx, scene, 1, size=(4, 4), params={"level": 1.0, "on": 0.0, "where_y": 0.0})
    assert rgb[0, 0, 0] == 255 and rgb[0, 0, 1] == 255 and rgb[0, 0, 2] <= 1
    rgb, _ = frames(gl_ctx, scene, 1, size=(4, 4), params={"pick": 17.0})  # nearest of VALUES: 20
    assert abs(rgb[0, 0, 1] - 128) <= 1
    assert not notices


def test_isf_audio_textures_carry_the_sound(gl_ctx, tmp_path):
    scene = write(tmp_path, "a.fs", """
        /*{"INPUTS": [{"NAME": "fft", "TYPE": "audioFFT", "MAX": 16}, {"NAME": "wav", "TYPE": "audio"}]}*/
        void main() { gl_FragColor = vec4(IMG_NORM_PIXEL(fft, vec2(0.0, 0.5)).r, IMG_PIXEL(wav, vec2(0.5, 0.5)).r,
                                          IMG_SIZE(fft).x / 255.0, 1.0); }
    """)
    f = groove_features(0.0)
    rgb, _ = frames(gl_ctx, scene, 1, size=(4, 4), make=lambda t: f)
    assert abs(rgb[0, 0, 0] - round(f.shadertoy_fft[0] * 255)) <= 1
    assert abs(rgb[0, 0, 1] - round((0.5 + 0.5 * f.waveform[0]) * 255)) <= 1
    assert abs(rgb[0, 0, 2] - 16) <= 1


def test_isf_audio_textures_have_one_row_per_channel(gl_ctx, tmp_path):
    """Stereo input: a 1 kHz tone in the left channel only shows in row 0 (left) of audioFFT and
    audio, and row 1 (right) stays quiet; the rows match the analyzer's per-channel arrays."""
    from reactor.analysis.analyzer import StreamingAnalyzer
    from tests.signals import tone

    sr = 48000
    left = tone(1000.0, duration_s=0.6, sample_rate_hz=sr, amplitude=0.5)
    left = left.mean(axis=1) if left.ndim == 2 else left
    x = np.stack([left, np.zeros_like(left)], axis=1).astype(np.float32)
    an = StreamingAnalyzer(sample_rate_hz=sr, channels=2)
    an.process(x)
    f = an.snapshot(0.6)
    assert f.channel_fft.shape == (2, 512) and f.channel_waveform.shape == (2, 512)
    peak = int(round(1000.0 / (sr / 2048)))
    assert f.channel_fft[0, peak] > 0.8 and f.channel_fft[1].max() < 0.05
    assert np.abs(f.channel_waveform[1]).max() == 0.0 and np.abs(f.channel_waveform[0]).max() > 0.1
    scene = write(tmp_path, "st.fs", """
        /*{"INPUTS": [{"NAME": "fft", "TYPE": "audioFFT"}, {"NAME": "wav", "TYPE": "audio"}]}*/
        void main() {
            int x = int(gl_FragCoord.x);
            int row = int(gl_FragCoord.y);
            gl_FragColor = vec4(texelFetch(fft, ivec2(x, row), 0).r, texelFetch(wav, ivec2(x, row), 0).r,
                                IMG_SIZE(fft).y / 255.0, 1.0);
        }
    """)
    with Renderer(gl_ctx, scene, width_px=512, height_px=2) as r:
        r.render(f, {}, time_s=0.6, dt_s=1 / 30)
        rgb = r.read_rgb().astype(int)[::-1]  # rows bottom first: row 0 is channel 0
    assert np.abs(rgb[0, :, 0] - np.round(f.channel_fft[0] * 255)).max() <= 2
    assert np.abs(rgb[1, :, 0] - np.round(f.channel_fft[1] * 255)).max() <= 2
    assert np.abs(rgb[1, :, 1] - 128).max() <= 1 and np.abs(rgb[0, :, 1] - 128).max() > 20
    assert abs(rgb[0, 0, 2] - 2) <= 1  # two rows


def test_isf_passes_targets_float_and_size_expressions(gl_ctx):
    info = load_scene(FIX / "isf_passes.fs")
    assert [p.target for p in info.passes] == ["trail", "small", "main"]
    assert info.passes[0].format == "rgba32f" and info.passes[0].persistent and info.passes[1].format == "rgba8"
    with Renderer(gl_ctx, info, width_px=64, height_px=36) as r:
        r.render(groove_features(0.0), {}, time_s=0.0, dt_s=1 / 30)
        assert r._targets["small"].size_px == (16, 9)  # floor($WIDTH / $scale), scale = 4
        r.render(groove_features(0.0), {"scale": 8.0}, time_s=0.0, dt_s=1 / 30)
        assert r._targets["small"].size_px == (8, 4)
        assert r._targets["trail"].dtype == "f4"
        assert r.read_rgb().max() > 8  # the dot, through the quarter-size pass


def test_isf_v1_and_vertex_shader(gl_ctx):
    rgb, notices = frames(gl_ctx, str(FIX / "isf_v1.fs"), 2, size=(16, 8))
    assert not notices and abs(rgb[4, 0, 0] - 51) <= 2  # two frames of +0.1 through the v1 persistent buffer
    rgb, notices = frames(gl_ctx, str(FIX / "isf_vertex.fs"), 1, size=(16, 8))
    assert not notices and rgb[4, 0, 0] > 50  # the .vs shifted x by 0.25: the left edge is not black


def test_isf_filter_reads_the_reference_image(gl_ctx):
    info = load_scene(FIX / "isf_filter.fs")
    assert info.role == "filter" and info.uses_image
    rgb, _ = frames(gl_ctx, str(FIX / "isf_filter.fs"), 1, size=(32, 18), params={"amount": 0.0})
    with Renderer(gl_ctx, str(FIX / "isf_filter.fs"), width_px=32, height_px=18) as r:
        image = (r._image_tex.read(), r._image_tex.size)
    demo = np.frombuffer(image[0], np.uint8).reshape(18, 32, 4)[::-1, :, :3].astype(int)
    assert np.abs(rgb - demo).mean() < 2.0  # amount 0: the input image itself


@pytest.mark.parametrize("header, message", [
    ('/*{"INPUTS": [{"NAME": "a", "TYPE": float}]}*/', r"bad\.fs:1: malformed ISF JSON header: Expecting value"),
    ('/*{\n "INPUTS": [\n  {"NAME": "a" "TYPE": "float"}]}*/', r"bad\.fs:3: malformed ISF JSON header: Expecting ','"),
    ('/*{"INPUTS": [{"NAME": "a", "TYPE": "vec9"}]}*/', r"INPUTS\[0\] 'a'\.TYPE: unknown type 'vec9'"),
    ('/*{"INPUTS": [{"TYPE": "float"}]}*/', r"INPUTS\[0\]\.NAME: must be a GLSL identifier"),
    ('/*{"PASSES": [{"TARGET": "t", "WIDTH": "$WIDTH +* 2"}, {}]}*/', r"PASSES\[0\]\.WIDTH: bad size expression"),
    ('/*{"PASSES": [{"TARGET": "t", "WIDTH": "$WIDTH / $quality"}, {}]}*/', r"PASSES\[0\]\.WIDTH: unknown variable \$quality"),
    ('/*{"IMPORTED": {"tex": {"PATH": ["a.png", "b.png"]}}}*/', r"IMPORTED 'tex': a cube map; a single image file"),
    ('/*{"INPUTS": [] ', r"ISF header comment is not closed"),
])
def test_isf_header_errors_are_one_line(tmp_path, header, message):
    path = write(tmp_path, "bad.fs", header + "\nvoid main() { gl_FragColor = vec4(1.0); }\n")
    with pytest.raises(ShaderError, match=message) as err:
        load_scene(path)
    assert "\n" not in str(err.value)


def test_isf_header_with_a_trailing_comma_is_read_and_reported(gl_ctx, tmp_path):
    path = write(tmp_path, "t.fs", '/*{\n "INPUTS": [{"NAME": "a", "TYPE": "float", "DEFAULT": 0.5,},],\n}*/\n'
                                   'void main() { gl_FragColor = vec4(a); }\n')
    rgb, notices = frames(gl_ctx, path, 1, size=(4, 4))
    assert abs(rgb[0, 0, 0] - 128) <= 1
    assert len(notices) == 1 and "t.fs:2: the ISF header is not strict JSON" in notices[0]


def test_isf_glsl_error_maps_to_the_users_line(gl_ctx, tmp_path):
    path = write(tmp_path, "e.fs", '/*{\n "INPUTS": []\n}*/\nvoid main() {\n    gl_FragColor = vec4(oops);\n}\n')
    with pytest.raises(ShaderError, match=r"e\.fs:5: .*gl_FragColor = vec4\(oops\);"):
        load_scene(path, ctx=gl_ctx)


def test_isf_imported_image_is_bound_and_a_missing_one_is_reported(gl_ctx, tmp_path):
    from PIL import Image

    Image.fromarray(np.full((2, 2, 3), (0, 255, 0), np.uint8)).save(tmp_path / "green.png")
    path = write(tmp_path, "imp.fs", '/*{"IMPORTED": {"lut": {"PATH": "green.png"}, "gone": {"PATH": "gone.png"}}}*/\n'
                                     'void main() { gl_FragColor = IMG_NORM_PIXEL(lut, vec2(0.5)) + IMG_NORM_PIXEL(gone, vec2(0.5)); }\n')
    rgb, notices = frames(gl_ctx, path, 1, size=(4, 4))
    assert rgb[0, 0, 1] == 255 and rgb[0, 0, 0] == 0
    assert len(notices) == 1 and "IMPORTED 'gone': image file not found" in notices[0] and "black instead" in notices[0]


def test_isf_bad_default_is_reported_once_not_dropped(gl_ctx, tmp_path):
    path = write(tmp_path, "d.fs", '/*{"INPUTS": [{"NAME": "k", "TYPE": "float", "DEFAULT": "big"}]}*/\n'
                                   'void main() { gl_FragColor = vec4(k); }\n')
    _, notices = frames(gl_ctx, path, 2, size=(4, 4))
    assert len(notices) == 1 and "DEFAULT: 'big' is not a number; using 0" in notices[0]


def test_unbound_uniform_is_reported(gl_ctx, tmp_path):
    path = write(tmp_path, "u.glsl", "uniform float mystery;\nvoid mainImage(out vec4 c, in vec2 p) { c = vec4(mystery); }\n")
    _, notices = frames(gl_ctx, path, 2, size=(4, 4))
    assert notices == [f"{path}: uniform 'mystery' has no data source in this dialect; it stays at its initial value"]


def test_isf_expression_parser_is_safe_and_complete():
    from reactor.render.dialects.expr import parse_expr

    e = parse_expr("max(floor($WIDTH / 2.0) - 1, $HEIGHT % 7) * ($q > 0.5 ? 2 : 1) + 2^3", where="x")
    assert e.evaluate({"WIDTH": 101, "HEIGHT": 90, "q": 1.0}) == 49 * 2 + 8
    assert e.names == {"WIDTH", "HEIGHT", "q"}
    for bad in ("__import__('os')", "$WIDTH.real", "1 +", "()", "open(1)"):
        with pytest.raises(ShaderError):
            parse_expr(bad, where="x")


# -- chains, transitions, reload ---------------------------------------------------------------

def test_chain_runs_generator_then_filters_each_with_its_own_params(gl_ctx, tmp_path):
    gen = write(tmp_path, "g.glsl", "void mainImage(out vec4 c, in vec2 p) { c = vec4(0.2, 0.4, 0.6, 1.0); }\n")
    fx = write(tmp_path, "fx.fs", """
        /*{"INPUTS": [{"NAME": "inputImage", "TYPE": "image"}, {"NAME": "gain", "TYPE": "float", "DEFAULT": 1.0, "MAX": 2.0}]}*/
        void main() { gl_FragColor = IMG_THIS_PIXEL(inputImage) * gain; }
    """)
    chain = load_chain([(gen, ""), (fx, "fx1_"), (fx, "fx2_")])
    assert chain.kind == "chain" and set(chain.params) == {"fx1_gain", "fx2_gain"}
    rgb, notices = frames(gl_ctx, chain, 1, size=(8, 4), params={"fx1_gain": 2.0, "fx2_gain": 0.5})
    assert abs(rgb[1, 1, 0] - 51) <= 1 and abs(rgb[1, 1, 2] - 153) <= 1 and not notices
    rgb, _ = frames(gl_ctx, chain, 1, size=(8, 4), params={"fx1_gain": 2.0, "fx2_gain": 1.0})
    assert abs(rgb[1, 1, 0] - 102) <= 1
    with pytest.raises(ShaderError, match="an effect must be an ISF filter"):
        load_chain([(gen, ""), (gen, "fx1_")])


def test_preset_with_effects_routes_the_effect_params(tmp_path):
    from reactor.presets import load_preset

    (tmp_path / "fx.fs").write_text((FIX / "isf_filter.fs").read_text())
    (tmp_path / "p.toml").write_text(textwrap.dedent(f"""
        scene = "{FIX / 'isf_gen.fs'}"
        [[route]]
        param = "gain"
        source = "bass_env"
        [[effect]]
        scene = "fx.fs"
        [[effect.route]]
        param = "amount"
        source = "beat_pulse"
        amount = 0.5
    """))
    p = load_preset(tmp_path / "p.toml")
    assert p.params["gain"].max == 4.0 and p.params["fx1_amount"].default == 0.5
    assert [r.param for r in p.routes] == ["gain", "fx1_amount"]
    assert p.render_scene().kind == "chain" and p.stages()[1][1] == "fx1_"
    (tmp_path / "bad.toml").write_text(f'scene = "tunnel"\n[[effect]]\nscene = "{FIX / "isf_gen.fs"}"\n')
    from reactor.errors import PresetError
    with pytest.raises(PresetError, match=r"effect\[1\]\.scene: .* is not an ISF filter"):
        load_preset(tmp_path / "bad.toml")


def test_isf_transition_crossfades_two_textures(gl_ctx):
    from reactor.render.transition import ShaderTransition

    size = (8, 2)
    a = gl_ctx.texture(size, 4, bytes([255, 0, 0, 255] * 16))
    b = gl_ctx.texture(size, 4, bytes([0, 0, 255, 255] * 16))
    out = gl_ctx.texture(size, 4)
    fbo = gl_ctx.framebuffer(color_attachments=[out])
    t = ShaderTransition(gl_ctx, FIX / "isf_transition.fs")
    for progress, red_cols in ((0.0, 8), (0.5, 4), (1.0, 0)):
        t.draw(a, b, progress, fbo)
        px = np.frombuffer(out.read(), np.uint8).reshape(2, 8, 4)
        assert int((px[0, :, 0] > 128).sum()) == red_cols
    t.release()
    with pytest.raises(ShaderError, match="not an ISF transition"):
        ShaderTransition(gl_ctx, FIX / "isf_filter.fs")
    for obj in (a, b, out, fbo):
        obj.release()


def test_reload_keeps_the_last_good_shadertoy_and_isf(gl_ctx, tmp_path):
    for name, good, bad in (
        ("r.glsl", "void mainImage(out vec4 c, in vec2 p) { c = vec4(1.0); }\n",
         "void mainImage(out vec4 c, in vec2 p) { c = vec4(nope); }\n"),
        ("r.fs", '/*{"INPUTS": []}*/\nvoid main() { gl_FragColor = vec4(1.0); }\n', '/*{"INPUTS": [}*/\nvoid main() {}\n'),
    ):
        path = tmp_path / name
        path.write_text(good)
        with Renderer(gl_ctx, str(path), width_px=4, height_px=4) as r:
            path.write_text(bad)
            with pytest.raises(ShaderError):
                r.reload()
            r.render(Features.silent(), {}, time_s=0.0, dt_s=0.0)
            assert r.read_rgb().min() == 255  # the last good program is still drawing
            path.write_text(good.replace("1.0", "0.0", 1))
            r.reload()
            r.render(Features.silent(), {}, time_s=0.0, dt_s=0.0)
            assert r.read_rgb().max() == 0


# -- check-shaders -----------------------------------------------------------------------------

def test_check_shaders_reports_every_fixture_and_errors_as_file_line(gl_ctx, tmp_path, capsys):
    from reactor.cli import main

    bad = write(tmp_path, "broken.glsl", "void mainImage(out vec4 c, in vec2 p) {\n  c = vec4(nope);\n}\n")
    out = tmp_path / "r.json"
    status = main(["check-shaders", str(FIX), bad, "--json", str(out)])
    rows = json.loads(out.read_text())
    assert status == 1
    assert all(set(r) == {"file", "kind", "ok", "error"} for r in rows)
    by_name = {Path(r["file"]).name: r for r in rows}
    assert by_name["broken.glsl"]["ok"] is False and by_name["broken.glsl"]["error"].startswith(f"{bad}:2: ")
    assert all(r["ok"] for n, r in by_name.items() if n != "broken.glsl"), rows
    assert {"isf", "shadertoy", "shadertoy-multipass"} <= {r["kind"] for r in rows}
    assert "isf_vertex.vs" not in by_name and "buffer_a.glsl" not in by_name  # companions, not scenes
    printed = capsys.readouterr().out
    assert "broken.glsl" in printed and "ok (" in printed


def test_shadertoy_cube_channels_and_complete_es_files(gl_ctx):
    from reactor.render.dialects.shadertoy import cube_channels

    info = load_scene(FIX / "st_cube.glsl")
    keys = {b.uniform: b.key for b in info.passes[0].bindings if b.source == "texture"}
    assert keys == {"iChannel0": "sound", "iChannel1": "noise_cube", "iChannel2": "noise", "iChannel3": "noise"}
    assert cube_channels("vec2 p; void f() { texture(iChannel3, p); texture(iChannel2, q.xyz); }") == {2}
    rgb, notices = frames(gl_ctx, str(FIX / "st_cube.glsl"), 1)
    assert rgb.std() > 5 and not notices
    info = load_scene(FIX / "st_es_main.glsl")
    assert info.passes[0].output == "outColor"
    rgb, notices = frames(gl_ctx, str(FIX / "st_es_main.glsl"), 1, size=(16, 8))
    assert rgb[0, -1, 0] > 200 and rgb[0, 0, 0] < 30 and not notices


def test_isf_vertex_shader_varyings_arrays_and_half_size_passes(gl_ctx):
    info = load_scene(FIX / "isf_blur.fs", ctx=gl_ctx)
    assert info.role == "filter" and info.passes[0].vertex is not None
    sharp, _ = frames(gl_ctx, str(FIX / "isf_blur.fs"), 1, size=(64, 36), params={"keepEdges": 1.0})
    soft, notices = frames(gl_ctx, str(FIX / "isf_blur.fs"), 1, size=(64, 36), params={"radius": 6.0})
    assert not notices
    edges = lambda a: np.abs(np.diff(a.astype(float), axis=1)).mean()  # noqa: E731
    assert edges(soft) < 0.8 * edges(sharp)  # blurred: fewer sharp steps than the input itself


def test_render_command_accepts_shadertoy_and_isf_files(tmp_path):
    from reactor.cli import main
    from reactor.presets import preset_from_scene

    p = preset_from_scene(str(FIX / "isf_gen.fs"))
    assert p.params["gain"].max == 4.0 and p.uses_image() is False
    assert preset_from_scene(str(FIX / "isf_filter.fs")).uses_image() is True
    for scene in (FIX / "st_spectrum.glsl", FIX / "isf_filter.fs"):
        out = tmp_path / f"{scene.stem}.mp4"
        assert main(["render", "--demo", "--duration", "0.3", "--size", "64x36", "--no-progress",
                     "--scene", str(scene), "-o", str(out)]) == 0
        assert out.stat().st_size > 1000


def test_shadertoy_and_isf_outputs_dither_themselves(gl_ctx):
    for scene in ("st_spectrum.glsl", "isf_gen.fs", "isf_passes.fs", "st_multipass", "st_es_main.glsl"):
        with Renderer(gl_ctx, str(FIX / scene), width_px=16, height_px=8) as r:
            assert r.self_dithered, scene  # no pass reads the output back: no separate present pass
            r.render(groove_features(0.0), {}, time_s=0.0, dt_s=1 / 30)
            assert not r.notices, (scene, r.notices)


def test_isf_event_fires_on_the_rising_edge_and_identity_is_kept(gl_ctx, tmp_path):
    path = write(tmp_path, "ev.fs", """
        /*{"INPUTS": [{"NAME": "hit", "TYPE": "event"},
                      {"NAME": "mixAmt", "TYPE": "float", "DEFAULT": 0.3, "IDENTITY": 0.0}]}*/
        void main() { gl_FragColor = vec4(hit ? 1.0 : 0.0, mixAmt, 0.0, 1.0); }
    """)
    info = load_scene(path)
    assert info.param_identity == {"mixAmt": 0.0}
    seen = []
    with Renderer(gl_ctx, path, width_px=4, height_px=4) as r:
        for value in (1.0, 0.0, 1.0, 1.0, 0.2, 0.9):
            r.render(Features.silent(), {"hit": value}, time_s=0.0, dt_s=1 / 30)
            seen.append(int(r.read_rgb()[0, 0, 0]) > 128)
    assert seen == [False, False, True, False, False, True]  # never on the first frame


def test_shadertoy_json_export_runs_every_pass_with_its_channels(gl_ctx, tmp_path):
    info = load_scene(FIX / "st_export.json")
    assert [p.target for p in info.passes] == ["A", "Image"] and info.description == "Kick trails (fixture)"
    keys = [{b.uniform: b.key for b in p.bindings if b.source == "texture"} for p in info.passes]
    assert keys[0]["iChannel0"] == "prev" and keys[0]["iChannel1"] == "sound" and keys[0]["iChannel3"] == "black"
    assert keys[1]["iChannel0"] == "pass:A" and keys[1]["iChannel1"] == "noise" and keys[1]["iChannel2"] == "black"
    assert any("'sound' pass is not supported" in w for w in info.warnings)
    assert any("iChannel1 is a Shadertoy texture" in w for w in info.warnings)
    rgb, _ = frames(gl_ctx, str(FIX / "st_export.json"), 4, size=(32, 18))
    assert rgb[9, 16].max() > rgb[1, 1].max() + 20  # the bass dot accumulates in Buffer A
    doc = json.loads((FIX / "st_export.json").read_text())
    doc["Shader"]["renderpass"][2]["code"] = "void mainImage(out vec4 c, in vec2 p) {\n  c = vec4(nope);\n}\n"
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(ShaderError, match=r"bad\.json\[Image\]:2: "):
        load_scene(tmp_path / "bad.json", ctx=gl_ctx)
    assert scene_kind(tmp_path / "bad.json") == "shadertoy-json"
    (tmp_path / "package.json").write_text('{"name": "x"}')
    assert scene_kind(tmp_path / "package.json") == "unknown"


def test_single_shadertoy_file_gets_a_sibling_common_file(gl_ctx, tmp_path):
    (tmp_path / "Common.glsl").write_text("float helper() { return 0.5; }\n")
    path = write(tmp_path, "Image.glsl", "void mainImage(out vec4 c, in vec2 p) {\n  c = vec4(helper() + nope);\n}\n")
    with pytest.raises(ShaderError, match=r"Image\.glsl:2: "):  # lines still point into the pass file
        load_scene(path, ctx=gl_ctx)
    (tmp_path / "Image.glsl").write_text("void mainImage(out vec4 c, in vec2 p) { c = vec4(helper()); }\n")
    rgb, notices = frames(gl_ctx, path, 1, size=(4, 4))
    assert abs(rgb[0, 0, 0] - 128) <= 1 and "Common.glsl (the Common tab)" in notices[0]
    assert scene_kind(tmp_path / "Common.glsl") == "unknown"


def test_chain_reload_rereads_every_stage(gl_ctx, tmp_path):
    gen = write(tmp_path, "g.glsl", "void mainImage(out vec4 c, in vec2 p) { c = vec4(0.5); }\n")
    fx = write(tmp_path, "fx.fs", '/*{"INPUTS": [{"NAME": "inputImage", "TYPE": "image"}]}*/\n'
                                  'void main() { gl_FragColor = IMG_THIS_PIXEL(inputImage) * 2.0; }\n')
    with Renderer(gl_ctx, load_chain([(gen, ""), (fx, "fx1_")]), width_px=4, height_px=4) as r:
        Path(fx).write_text(Path(fx).read_text().replace("* 2.0", "* 0.5"))
        r.reload()
        r.render(Features.silent(), {}, time_s=0.0, dt_s=0.0)
        assert abs(int(r.read_rgb()[0, 0, 0]) - 64) <= 1 and r.scene.kind == "chain"


def test_isf_point3d_input_from_the_wild(gl_ctx, tmp_path):
    path = write(tmp_path, "p3.fs", """
        /*{"INPUTS": [{"NAME": "row", "TYPE": "point3D", "DEFAULT": [0.25, 0.5, 1.0]}], "OUTPUTS": []}*/
        void main() { gl_FragColor = vec4(row, 1.0); }
    """)
    info = load_scene(path)
    assert (info.params["row_x"], info.params["row_z"]) == (0.25, 1.0)
    rgb, notices = frames(gl_ctx, path, 1, size=(4, 4), params={"row_y": 0.0})
    assert abs(rgb[0, 0, 0] - 64) <= 1 and rgb[0, 0, 1] <= 1 and rgb[0, 0, 2] == 255 and not notices


def test_built_in_effect_chain_preset_renders(gl_ctx):
    from reactor.control.params import Modulator
    from reactor.presets import load_preset

    preset = load_preset("tunnel-fx")
    assert len(preset.effects) == 2 and "fx2_split" in preset.params
    modulator = Modulator(preset)
    with Renderer(gl_ctx, preset.render_scene(), width_px=48, height_px=27) as r:
        for n in range(3):
            f = groove_features(n / 30)
            r.render(f, modulator.step(f, dt_s=1 / 30), time_s=n / 30, dt_s=1 / 30)
        rgb = r.read_rgb()
        assert not r.notices and rgb.std() > 10


def test_reload_with_a_broken_image_channel_keeps_the_running_scene(gl_ctx, tmp_path):
    from reactor.errors import ReactorError

    (tmp_path / "a.glsl").write_text("void mainImage(out vec4 c, in vec2 p) { c = vec4(1.0); }\n")
    (tmp_path / "s.toml").write_text('kind = "shadertoy"\n[Image]\nshader = "a.glsl"\n')
    with Renderer(gl_ctx, str(tmp_path / "s.toml"), width_px=4, height_px=4) as r:
        (tmp_path / "bad.png").write_bytes(b"not a png")
        (tmp_path / "s.toml").write_text('kind = "shadertoy"\n[Image]\nshader = "a.glsl"\niChannel1 = "bad.png"\n')
        with pytest.raises(ReactorError):
            r.reload()
        r.render(Features.silent(), {}, time_s=0.0, dt_s=0.0)
        assert r.read_rgb().min() == 255


def test_cube_lookup_found_by_the_compiler_is_repaired_and_reported(gl_ctx):
    info = load_scene(FIX / "st_cube_expr.glsl")
    keys = {b.uniform: b.key for b in info.passes[0].bindings if b.source == "texture"}
    assert keys["iChannel2"] == "noise"                      # the text alone does not show it
    repaired = load_scene(FIX / "st_cube_expr.glsl", ctx=gl_ctx)
    keys = {b.uniform: b.key for b in repaired.passes[0].bindings if b.source == "texture"}
    assert keys["iChannel2"] == "noise_cube" and keys["iChannel0"] == "sound"
    rgb, notices = frames(gl_ctx, str(FIX / "st_cube_expr.glsl"), 1)
    assert rgb.std() > 5 and len(notices) == 1 and "iChannel2 of Image is sampled with a 3D direction" in notices[0]


@pytest.mark.parametrize("word, expected", [("no", False), ("yes", True), ("0", False), ("true", True)])
def test_native_metadata_has_one_reading_for_renderer_and_presets(tmp_path, word, expected):
    from reactor.presets import preset_from_scene

    path = write(tmp_path, "m.frag", f"// @description d\n// @image {word}\nvoid main() {{ fragColor = vec4(1.0); }}\n")
    assert load_scene(path).uses_image is expected
    assert preset_from_scene(path).uses_image() is expected
