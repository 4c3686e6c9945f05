"""``reactor render`` end to end: real EGL rendering, real encoding, a clip a person can play."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import av
import numpy as np
import pytest

from reactor.audio.decode import AudioClip
from reactor.output.probe import probe
from reactor.presets import load_preset
from reactor.render_job import render_clip
from tests import signals
from tests.test_cli_analyze import one_line_error, reactor

SMALL = ["--size", "320x180", "--quality", "draft", "--no-progress"]


def frames_of(path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def test_demo_render_is_a_sound_on_clip_with_equal_streams(tmp_path):
    out = tmp_path / "demo.mp4"
    r = reactor("render", "--demo", "--duration", "3", "-o", out, *SMALL)
    assert r.returncode == 0, r.stderr
    info = probe(out, decode=True)
    v, a = info["video"], info["audio"]
    assert (v["codec"], v["pix_fmt"], v["width_px"], v["height_px"]) == ("h264", "yuv420p", 320, 180)
    assert v["frames"] == 90
    assert a["codec"] == "aac" and a["sample_rate_hz"] == 48000
    assert abs(a["duration_s"] - v["duration_s"]) <= 1 / 30
    assert v["color_primaries"] == "bt709"
    frames = frames_of(out)
    assert np.std(frames[45]) > 20  # a picture, not a test card of one colour
    assert not np.array_equal(frames[10], frames[80])  # it moves


def _clip(samples) -> AudioClip:
    return AudioClip(samples=np.ascontiguousarray(samples, np.float32), sample_rate_hz=48000, source="test")


def _render(tmp_path, name, samples, preset="pulse", **kw):
    from reactor import demo_image

    out = tmp_path / name
    render_clip(_clip(samples), preset=load_preset(preset), out_path=str(out), width_px=192, height_px=108,
                fps=30.0, image=demo_image.demo_image(192, 108), quality="lossless", progress=False, **kw)
    return frames_of(out)


def test_a_kick_changes_the_picture_on_its_frame_not_before(tmp_path):
    quiet = signals.silence(duration_s=2.0, channels=2)
    kick_at = 1.005  # frame 30 is at 1.000 s (no kick yet); frame 31 at 1.033 s has heard it
    g = signals.groove(bpm=120.0, bars=1, lead_in_s=kick_at)
    loud = quiet.copy()
    n = min(len(g.samples), len(loud) - int(kick_at * 48000))
    loud[int(kick_at * 48000):][:n] = g.samples[int(kick_at * 48000):][:n]
    a = _render(tmp_path, "quiet.mp4", quiet)
    b = _render(tmp_path, "kick.mp4", loud)
    diff = [float(np.mean(np.abs(x.astype(int) - y.astype(int)))) for x, y in zip(a, b)]
    assert max(diff[:31]) < 0.5, diff[:31]  # nothing before the kick is heard
    assert diff[31] > 3.0, diff[29:34]  # the first frame that has heard it shows it


def test_rendering_is_deterministic(tmp_path):
    g = signals.groove(bpm=128.0, bars=2)
    a = _render(tmp_path, "a.mp4", g.samples, preset="tunnel")
    b = _render(tmp_path, "b.mp4", g.samples, preset="tunnel")
    assert len(a) == len(b)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()


@pytest.mark.parametrize("preset", ["trails", "rings"])  # a feedback output (second attachment), an 8-bit one
def test_asynchronous_readback_gives_the_same_file_as_reading_each_frame_at_once(tmp_path, preset):
    g = signals.groove(bpm=128.0, bars=1)
    ring = _render(tmp_path, "ring.mp4", g.samples, preset=preset, readback_depth=3)
    now = _render(tmp_path, "now.mp4", g.samples, preset=preset, readback_depth=0)
    assert len(ring) == len(now) == round(len(g.samples) / 48000 * 30)  # no frame dropped or repeated
    assert not np.array_equal(ring[5], ring[-1])
    assert (tmp_path / "ring.mp4").read_bytes() == (tmp_path / "now.mp4").read_bytes()


def test_contain_fit_letterboxes_a_portrait_image(tmp_path):
    from PIL import Image

    img = np.zeros((400, 200, 3), np.uint8)
    img[:, :, 0] = 255
    Image.fromarray(img).save(tmp_path / "tall.png")
    out = tmp_path / "tall.mp4"
    r = reactor("render", "--demo", "--duration", "1", "--image", tmp_path / "tall.png", "--fit", "contain",
                "--preset", "breathe", "-o", out, *SMALL)
    assert r.returncode == 0, r.stderr
    f = frames_of(out)[15].astype(int)
    centre, side = f[:, 140:180], f[:, :40]
    assert centre[..., 0].mean() > 150 and centre[..., 2].mean() < 80  # the red picture, whole
    assert side[..., 0].mean() < centre[..., 0].mean() - 40  # darker letterbox beside it


@pytest.mark.parametrize("args, needles", [
    (["--image", "nope.png"], ["nope.png"]),
    (["--preset", "tunel"], ["tunel", "tunnel"]),
    (["--size", "321x180"], ["even"]),
    (["--fps", "0"], ["--fps"]),
    (["--mouth", "1,2,3"], ["--mouth"]),
])
def test_bad_render_arguments_fail_fast_with_one_line(tmp_path, args, needles):
    out = tmp_path / "x.mp4"
    one_line_error(reactor("render", "--demo", "-o", out, *args), *needles)
    assert not out.exists() and not (tmp_path / "x.mp4.part").exists()


def test_image_preset_without_image_says_what_to_do(tmp_path):
    g = signals.groove(bpm=120, bars=2)
    wav = signals.write_wav(tmp_path / "g.wav", np.clip(g.samples, -1, 1))
    one_line_error(reactor("render", wav, "--preset", "pulse", "-o", tmp_path / "x.mp4"), "--image")


def test_broken_shader_names_file_and_line(tmp_path):
    frag = tmp_path / "broken.frag"
    frag.write_text("// @description broken on purpose\nvoid main() {\n    fragColor = vec4(u_level, 0.0, 0.0 1.0);\n}\n")
    line = one_line_error(reactor("render", "--demo", "--scene", frag, "-o", tmp_path / "x.mp4", *SMALL),
                          "broken.frag:3")
    assert not (tmp_path / "x.mp4").exists(), line


def test_unwritable_output_fails_before_rendering(tmp_path):
    t0 = time.perf_counter()
    one_line_error(reactor("render", "--demo", "-o", "/proc/nope/clip.mp4", *SMALL), "/proc/nope/clip.mp4")
    assert time.perf_counter() - t0 < 60


def test_ctrl_c_leaves_a_playable_partial_clip(tmp_path):
    out = tmp_path / "partial.mp4"
    p = subprocess.Popen([sys.executable, "-m", "reactor", "render", "--demo", "-o", str(out), "--size", "320x180",
                          "--quality", "draft"], stderr=subprocess.PIPE, text=True)
    # wait until frames are flowing (the progress line reports frame counts), then interrupt
    deadline = time.monotonic() + 240
    seen = ""
    while time.monotonic() < deadline:
        ch = p.stderr.read(1)
        seen += ch
        if "frame " in seen and seen.count("\n") >= 1 or not ch:
            break
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    rest = p.communicate(timeout=120)[1]
    assert p.returncode == 130, seen + rest
    info = probe(out, decode=True)
    assert 0 < info["video"]["frames"] < 900
    assert abs(info["audio"]["duration_s"] - info["video"]["duration_s"]) <= 1 / 30 + 0.025
    assert not os.path.exists(str(out) + ".part")
