"""Clips from a user's photo: framing around faces, lip-sync from a real voice, blinks, formats."""

from __future__ import annotations

import numpy as np
import pytest

from reactor import faces as faces_mod
from reactor.features import Features
from reactor.framing import face_params, frame_image
from tests.real_media import SR, envelope, face_photo, freedoom_music, speech
from tests.render_util import gl_ctx, region_change, render_frames  # noqa: F401

needs_cv = pytest.mark.skipif(not faces_mod.detector_available(), reason="opencv-python-headless<5 not installed")


@pytest.fixture(scope="module")
def astronaut():
    img = face_photo()
    if img is None:
        pytest.skip("scikit-image not installed")
    return img


def _inside(face, margin=0.0):
    x, y, w, h = face.head
    return (face.eye_y > margin and face.chin_y < 1.0 - margin and face.mouth[1] > margin
            and face.mouth[1] + face.mouth[3] < 1.0 - margin and x >= -0.02 and x + w <= 1.02)


@needs_cv
def test_detector_finds_the_astronauts_face_and_features(astronaut):
    found = faces_mod.detect_faces(astronaut)
    assert len(found) == 1
    f = found[0]
    # Known positions in skimage's astronaut (512x512): eyes ~ (0.40, 0.20) and (0.47, 0.20),
    # lip line ~ 0.28, chin ~ 0.34.
    assert f.left_eye == pytest.approx((0.40, 0.20), abs=0.03)
    assert f.right_eye == pytest.approx((0.475, 0.20), abs=0.03)
    assert f.mouth[1] + 0.5 * f.mouth[3] == pytest.approx(0.28, abs=0.025)
    assert f.chin_y == pytest.approx(0.34, abs=0.03)


@needs_cv
@pytest.mark.parametrize("size", [(320, 180), (180, 320), (240, 240), (240, 300)])
def test_face_fit_keeps_the_face_in_frame_where_cover_cuts_it(astronaut, size):
    w, h = size
    framed = frame_image(astronaut, w, h, fit="face")
    assert framed.image.shape == (h, w, 4) and framed.mode == "face"
    (f,) = framed.faces
    assert _inside(f, 0.02), f"face cut at {size}: {f}"
    assert f.eye_y < 0.5, "eyes below the middle of the frame"
    assert abs(f.centre_x - 0.5) < 0.3
    if (w, h) == (320, 180):  # the case: a square portrait at 16:9, centred crop
        cover = frame_image(astronaut, w, h, fit="cover", faces=faces_mod.detect_faces(astronaut))
        assert cover.faces[0].eye_y < 0.0, "expected the centred crop to cut the eyes off"


def test_contain_fills_bars_with_a_blurred_darker_picture(astronaut):
    framed = frame_image(astronaut, 320, 180, fit="contain")
    bar = framed.image[:, :60, :3]
    assert bar.std() > 0.01, "bars are flat colour"
    assert bar.mean() < 0.6 * astronaut[..., :3].mean()
    inner = framed.image[:, 70:250, :3]
    assert inner.std() > bar.std()


def test_without_a_detector_rendering_frames_the_salient_region(monkeypatch, astronaut):
    monkeypatch.setattr(faces_mod, "_cascades", (None, None, "missing"))
    from reactor.picture import prepare_picture
    from reactor.presets import load_preset

    pic = prepare_picture(astronaut, load_preset("performer"), width_px=320, height_px=180)
    assert pic.faces == 0 and "no face detector" in pic.note and "\n" not in pic.note
    assert pic.image.shape == (180, 320, 4)


@needs_cv
def test_face_rig_moves_the_mouth_of_the_real_face_and_holds_the_rest(gl_ctx, astronaut):
    framed = frame_image(astronaut, 320, 180)
    params = face_params(framed.faces[0])
    shut = render_frames(gl_ctx, "performer", [Features.silent(1.0)], width_px=320, height_px=180,
                         image=framed.image, params=params)[0]
    sung = render_frames(gl_ctx, "performer", [Features.silent(1.0, vowel_open=1.0)], width_px=320, height_px=180,
                         image=framed.image, params=params)[0]
    mx, my, mw, mh = framed.faces[0].mouth
    mouth = region_change(shut, sung, (mx, my - mh, mw, 3 * mh))
    hx, hy, hw, hh = framed.faces[0].head
    outside = region_change(shut, sung, (0.0, 0.0, max(0.01, hx - 0.05), 1.0))
    assert mouth > 10.0 and outside < 0.3


@needs_cv
def test_eyes_blink_now_and_then_briefly(gl_ctx, astronaut):
    framed = frame_image(astronaut, 320, 180)
    f = framed.faces[0]
    params = face_params(f)
    fps = 20.0
    feats = [Features.silent(n / fps) for n in range(int(9 * fps))]
    frames = render_frames(gl_ctx, "performer", feats, width_px=320, height_px=180, fps=fps,
                           image=framed.image, params=params)
    ew = params["eye_w"]
    eye_box = (f.left_eye[0] - ew, f.left_eye[1] - 0.6 * ew * 320 / 180, 2 * ew, 1.2 * ew * 320 / 180)
    change = np.array([region_change(frames[0], fr, eye_box) for fr in frames])
    closed = change > 4.0
    assert closed.any(), "no blink in 9 s"
    runs = np.diff(np.flatnonzero(np.diff(np.r_[0, closed.astype(int), 0])))[::2]
    assert runs.max() <= 0.3 * fps, "a blink lasted too long"
    assert 1 <= len(runs) <= 5


@pytest.fixture(scope="module")
def speech_over_music():
    music = freedoom_music("D_RUNNIN", seconds=14.0)
    voice = speech("Hello there. I am singing a song about the sky, and the night is bright.")
    if music is None or voice is None:
        pytest.skip("needs freedoom, fluidsynth, fluid-soundfont-gm and espeak-ng")
    x = 0.5 * music.mean(axis=1)
    x[int(10 * SR):int(12 * SR)] = 0.0  # two seconds of silence
    start = int(3 * SR)
    x[start:start + len(voice)] += 0.8 * voice
    clean = np.zeros_like(x)
    clean[start:start + len(voice)] = voice
    return x.astype(np.float32), clean, (3.0, 3.0 + len(voice) / SR)


def test_mouth_opens_with_the_syllables_of_real_speech_over_music(speech_over_music):
    from reactor.analysis.analyzer import StreamingAnalyzer

    x, clean, (s0, s1) = speech_over_music
    a = StreamingAnalyzer(channels=1, record=True)
    a.process(x[:, None])
    rec = a.recorded()
    t, mouth = rec["t"], rec["vowel_open"]
    _, db = envelope(clean)
    n = min(len(mouth), len(db))
    syllables = np.clip((db[:n] + 45.0) / 25.0, 0.0, 1.0)  # the clean voice's own envelope
    r = np.corrcoef(mouth[:n], syllables)[0, 1]
    assert r > 0.6, f"mouth opening correlates {r:.2f} with the syllables"
    speaking = (t > s0) & (t < s1)
    silent = (t > 10.2) & (t < 12.0)
    music_only = (t > 0.5) & (t < s0)
    assert mouth[silent].max() < 0.01, "the mouth moves in silence"
    assert mouth[music_only].mean() < 0.35 * mouth[speaking].mean(), "the mouth sings along with the band"
    # between syllables it closes: the opening dips below a quarter of its peak many times
    seg = mouth[speaking]
    closings = np.sum((seg[1:] < 0.25 * seg.max()) & (seg[:-1] >= 0.25 * seg.max()))
    assert closings >= 8


def test_vowel_shape_follows_the_formants():
    """/a/ (high F1) opens wider than /i/; /i/ (high F2) spreads, /u/ (low F2) rounds."""
    from reactor.analysis.analyzer import StreamingAnalyzer

    def vowel(f1, f2, f0=140.0, seconds=0.3):
        t = np.arange(int(seconds * SR)) / SR
        out = np.zeros_like(t)
        for k in range(1, int(4000 / f0)):
            f = k * f0
            gain = np.exp(-((f - f1) / 120.0) ** 2) + 0.7 * np.exp(-((f - f2) / 180.0) ** 2) + 0.02
            out += gain * np.sin(2 * np.pi * f * t) / k ** 0.3
        return 0.1 * out / np.abs(out).max()

    def shape(f1, f2):
        a = StreamingAnalyzer(channels=1)
        gap = 0.002 * np.random.default_rng(1).standard_normal(int(0.5 * SR))  # a quiet room
        a.process(np.concatenate([gap, vowel(f1, f2)[: int(0.2 * SR)]])[:, None].astype(np.float32))
        s = a.snapshot().scalars
        return s["vowel_open"], s["vowel_spread"]

    open_a, _ = shape(800, 1250)
    open_i, spread_i = shape(300, 2300)
    _, spread_u = shape(320, 850)
    assert open_a > 1.3 * open_i
    assert spread_i > 0.3 and spread_u < -0.3


def test_aspect_flag_sizes():
    from reactor.render_job import size_for_aspect

    assert size_for_aspect((1280, 720), "9:16") == (720, 1280)
    assert size_for_aspect((1280, 720), "1:1") == (720, 720)
    assert size_for_aspect((1280, 720), "4:5") == (720, 900)
    assert size_for_aspect((1920, 1080), "16:9") == (1920, 1080)
    assert size_for_aspect((1280, 720), None) == (1280, 720)


def test_a_depth_map_is_framed_exactly_like_its_picture(astronaut):
    framed = frame_image(astronaut, 320, 180, fit="face" if faces_mod.detector_available() else "cover")
    grey = astronaut[..., :3].mean(axis=2)
    half = np.asarray(grey[::2, ::2])  # the same picture at another resolution
    placed = framed.place_like(half)
    expect = framed.image[..., :3].mean(axis=2)
    assert placed.shape == (180, 320)
    assert np.abs(placed - expect).mean() < 0.03


def test_poster_is_the_loudest_beat_after_the_first_second(tmp_path):
    from PIL import Image

    from reactor.poster import PosterPicker

    pick = PosterPicker()
    for n in range(90):
        t = n / 30.0
        s = {"loudness": 1.0 if n in (10, 60) else 0.3, "beat_pulse": 1.0 if n == 60 else 0.0}
        pick.offer(t, s, np.full((4, 6, 3), n, np.uint8))
    assert pick.best_time_s == pytest.approx(2.0)
    pick.save(str(tmp_path / "p.png"))
    assert np.asarray(Image.open(tmp_path / "p.png"))[0, 0, 0] == 60


def test_cli_renders_a_vertical_clip_from_a_photo_with_a_poster(tmp_path, astronaut, capsys):
    import av
    from PIL import Image

    from reactor.cli import main
    from tests.signals import write_wav

    Image.fromarray((astronaut[..., :3] * 255).astype(np.uint8)).save(tmp_path / "face.png")
    t = np.arange(int(1.5 * SR)) / SR
    wav = write_wav(tmp_path / "a.wav", (0.2 * np.sin(2 * np.pi * 220 * t))[:, None])
    out, poster = tmp_path / "c.mp4", tmp_path / "p.png"
    rc = main(["render", wav, "--image", str(tmp_path / "face.png"), "--preset", "performer", "--size", "96x54",
               "--aspect", "9:16", "--poster", str(poster), "--no-progress", "-o", str(out)])
    assert rc == 0
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert (v.codec_context.width, v.codec_context.height) == (54, 96)
    assert Image.open(poster).size == (54, 96)
    err = capsys.readouterr().err
    if faces_mod.detector_available():
        assert "1 face(s) found" in err and "rigged" in err


@needs_cv
def test_pulse_zooms_on_the_face_it_found(astronaut):
    from reactor.picture import prepare_picture
    from reactor.presets import load_preset

    pic = prepare_picture(astronaut, load_preset("pulse"), width_px=320, height_px=180)
    f = frame_image(astronaut, 320, 180).faces[0]
    cx, cy = pic.preset.params["center_x"].default, pic.preset.params["center_y"].default
    assert f.box[0] < cx < f.box[0] + f.box[2] and f.eye_y < cy < f.mouth[1] + f.mouth[3]
