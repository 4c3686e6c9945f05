"""Image loading, fitting, the demo picture and the depth heuristic."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

from reactor import demo_image, imageio
from reactor.errors import ImageError


def gradient_rgb(w: int = 64, h: int = 48) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.dstack([x * 255 // (w - 1), y * 255 // (h - 1), np.full_like(x, 90)]).astype(np.uint8)


@pytest.mark.parametrize("ext, mode", [("png", "RGB"), ("png", "RGBA"), ("png", "L"), ("png", "P"),
                                       ("jpg", "RGB"), ("webp", "RGB"), ("bmp", "RGB"), ("tiff", "RGB"),
                                       ("gif", "P")])
def test_common_formats_load_as_float_rgba(tmp_path, ext, mode):
    img = Image.fromarray(gradient_rgb()).convert(mode)
    path = tmp_path / f"pic.{ext}"
    img.save(path, **({"quality": 95} if ext in ("jpg", "webp") else {}))
    a = imageio.load_image(path)
    assert a.shape == (48, 64, 4) and a.dtype == np.float32
    assert 0.0 <= a.min() and a.max() <= 1.0
    ref = np.asarray(img.convert("RGBA"), np.float32) / 255.0
    assert np.abs(a - ref).mean() < 0.03  # lossy formats within a few levels
    if mode not in ("L",):
        assert a[:, -1, 0].mean() > a[:, 0, 0].mean() + 0.5  # red grows left to right


def test_sixteen_bit_greyscale_keeps_its_range(tmp_path):
    ramp = (np.linspace(0, 65535, 100).astype(np.uint16)[None, :].repeat(10, 0))
    path = tmp_path / "deep.png"
    Image.fromarray(ramp).save(path)
    a = imageio.load_image(path)
    assert a.shape == (10, 100, 4)
    assert a[0, 0, 0] < 0.01 and a[0, -1, 0] > 0.99 and abs(a[0, 50, 1] - 0.505) < 0.02


def test_exif_orientation_is_applied(tmp_path):
    img = Image.fromarray(gradient_rgb(64, 32))  # landscape pixels, camera says "rotate 90"
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "phone.jpg"
    img.save(path, exif=exif, quality=95)
    assert imageio.load_image(path).shape == (64, 32, 4)


def test_gif_gives_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    a = imageio.load_image(path)
    assert a[10, 10, 0] > 0.9 and a[10, 10, 2] < 0.1


def test_big_image_is_downscaled_with_a_warning(tmp_path):
    path = tmp_path / "big.jpg"
    Image.fromarray(gradient_rgb(3000, 1000)).save(path, quality=90)
    with pytest.warns(UserWarning, match=r"big\.jpg: 3000x1000 px downscaled to 600x200"):
        a = imageio.load_image(path, max_side_px=600)
    assert a.shape == (200, 600, 4)
    assert a[:, -5:, 0].mean() > 0.95 and a[:, :5, 0].mean() < 0.05  # content kept, not cropped


def test_pillows_bomb_limit_does_not_reject_legit_big_photos(tmp_path, monkeypatch):
    path = tmp_path / "photo.png"
    Image.fromarray(gradient_rgb(300, 200)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # as if 300x200 were a 20000x20000 photo
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning either
        assert imageio.load_image(path).shape == (200, 300, 4)
    assert Image.MAX_IMAGE_PIXELS == 1000  # restored


def test_absurdly_large_image_fails_clearly(tmp_path, monkeypatch):
    path = tmp_path / "bomb.png"
    Image.fromarray(gradient_rgb(300, 200)).save(path)
    monkeypatch.setattr(imageio, "MAX_PIXELS", 50_000)
    with pytest.raises(ImageError, match=r"bomb\.png: 300x200 px is too large"):
        imageio.load_image(path)


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_corrupt_files_are_image_errors_naming_the_file(tmp_path, content):
    path = tmp_path / "broken.png"
    path.write_bytes(content)
    with pytest.raises(ImageError, match="broken.png") as err:
        imageio.load_image(path)
    assert "\n" not in str(err.value)


def test_missing_file_is_an_image_error(tmp_path):
    with pytest.raises(ImageError, match="nope.jpg: image file not found"):
        imageio.load_image(tmp_path / "nope.jpg")


def _write_clip(path, *, seconds: float = 2.0, fps: int = 10):
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for n in range(int(seconds * fps)):
            grey = np.full((48, 64, 3), 10 * n, np.uint8)  # frame n has grey level 10 n
            for packet in stream.encode(av.VideoFrame.from_ndarray(grey, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def test_video_frame_at_a_time(tmp_path):
    clip = tmp_path / "clip.mp4"
    _write_clip(clip)
    a = imageio.load_image(f"{clip}@1.25")  # frame 12 at 10 fps -> grey 120
    assert a.shape == (48, 64, 4)
    assert abs(a[..., :3].mean() * 255 - 120) < 6
    first = imageio.load_image(clip)
    assert first[..., :3].mean() * 255 < 8
    with pytest.raises(ImageError, match="shorter"):
        imageio.load_image(f"{clip}@30")


def test_fit_cover_and_contain_keep_the_aspect():
    h, w = 200, 400
    y, x = np.mgrid[0:h, 0:w]
    disc = ((x - 200) ** 2 + (y - 100) ** 2 < 60 ** 2).astype(np.float32)
    img = np.dstack([disc, disc, disc, np.ones_like(disc)])
    cover = imageio.fit(img, 100, 100, mode="cover")
    assert cover.shape == (100, 100, 4)
    rows, cols = np.nonzero(cover[..., 0] > 0.5)
    assert abs((np.ptp(rows) + 1) - (np.ptp(cols) + 1)) <= 2  # still round
    assert abs(np.ptp(rows) + 1 - 60) <= 3  # scale 0.5: the 120 px disc is 60 px, centred crop
    contain = imageio.fit(img, 100, 100, mode="contain")
    assert contain.shape == (100, 100, 4)
    rows, cols = np.nonzero(contain[..., 0] > 0.5)
    assert abs((np.ptp(rows) + 1) - (np.ptp(cols) + 1)) <= 2 and abs(np.ptp(cols) + 1 - 30) <= 3
    # letterbox: a blurred, darkened copy rather than black bars
    band = contain[:15, :, 0]
    assert 0.0 < band.max() < 0.5


def test_fit_accepts_single_channel_depth():
    d = np.linspace(0, 1, 50, dtype=np.float32)[None, :].repeat(30, 0)
    out = imageio.fit(d, 20, 20)
    assert out.shape == (20, 20) and out[:, 0].mean() < out[:, -1].mean()


def test_demo_image_has_a_face_where_it_says():
    img = demo_image.demo_image(640, 360)
    assert img.shape == (360, 640, 4) and img.dtype == np.float32
    x, y, w, h = demo_image.DEMO_MOUTH
    mouth = img[int(y * 360):int((y + h) * 360), int(x * 640):int((x + w) * 640), :3]
    lips = mouth[..., 0] - mouth[..., 1]
    assert (lips > 0.45).mean() > 0.15, "red lips in the mouth region"
    assert (mouth.sum(axis=2) < 0.6).any(), "a dark gap between the lips"
    hx, hy, hw, hh = demo_image.DEMO_HEAD
    head = img[int(hy * 360):int((hy + hh) * 360), int(hx * 640):int((hx + hw) * 640), :3]
    skin = (head[..., 0] > 0.7) & (head[..., 1] > 0.45) & (head[..., 2] > 0.3) & (head[..., 2] < 0.65)
    assert skin.mean() > 0.2
    assert demo_image.demo_regions(1920, 1080)["mouth"] == pytest.approx(demo_image.DEMO_MOUTH)


def test_depth_estimate_is_a_soft_map_with_the_subject_near():
    img = demo_image.demo_image(320, 180)
    d = imageio.estimate_depth(img)
    assert d.shape == (180, 320) and d.dtype == np.float32
    assert 0.0 <= d.min() and d.max() <= 1.0
    face = d[60:100, 140:180].mean()
    corners = np.mean([d[:20, :20].mean(), d[:20, -20:].mean()])
    assert face > corners + 0.3
    drawn = demo_image.demo_depth(320, 180)
    assert drawn[80, 160] > drawn[10, 10] + 0.5
