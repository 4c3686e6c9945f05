"""VideoSink: what a clip maker notices in the file (streams, lengths, colours, sync, safety)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from fractions import Fraction

import av
import numpy as np
import pytest

from reactor.errors import OutputError
from reactor.output.probe import probe
from reactor.output.video import VideoSink

W, H, SR = 64, 48, 48000


def _frames(n: int, *, seed: int = 0) -> list[np.ndarray]:
    """Moving gradients with a little noise: cheap to encode, never all identical."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:H, 0:W]
    out = []
    for i in range(n):
        base = np.stack([(x * 4 + i * 7) % 256, (y * 5 + i * 3) % 256, (x + y + i) % 256], axis=-1)
        out.append((base + rng.integers(0, 8, base.shape)).clip(0, 255).astype(np.uint8))
    return out


def _stereo_tones(n: int) -> np.ndarray:
    t = np.arange(n) / SR
    return np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 1320 * t)], axis=1).astype(np.float32)


def _write(path, frames, audio=None, *, audio_blocks=None, fps=30, **kwargs):
    with VideoSink(path, width_px=W, height_px=H, fps=fps, **kwargs) as sink:
        if audio is not None:  # audio_blocks: sizes of the first few write_audio calls
            for block in np.split(audio, np.cumsum(audio_blocks or [], dtype=int)):
                sink.write_audio(block)
        for frame in frames:
            sink.write_frame(frame)
    return sink


def _decode_audio(path) -> np.ndarray:
    with av.open(str(path)) as c:
        chunks = [f.to_ndarray() for f in c.decode(c.streams.audio[0])]
    return np.concatenate(chunks, axis=1).T  # (n, channels)


def test_mp4_has_both_streams_of_equal_length_and_bt709_tags(tmp_path):
    path = tmp_path / "clip.mp4"
    _write(path, _frames(45), _stereo_tones(SR * 2))  # more audio than video: trimmed
    info = probe(path, decode=True)
    v, a = info["video"], info["audio"]
    assert (v["codec"], v["profile"], v["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (v["width_px"], v["height_px"], v["frames"], v["fps"]) == (W, H, 45, 30)
    assert (v["color_primaries"], v["color_trc"], v["colorspace"], v["color_range"]) == ("bt709",) * 3 + ("tv",)
    assert (a["codec"], a["sample_rate_hz"], a["channels"]) == ("aac", SR, 2)
    assert v["start_s"] == 0 and a["start_s"] == 0
    assert abs(v["duration_s"] - 1.5) < 1e-6
    assert abs(a["duration_s"] - v["duration_s"]) < 1 / 30
    assert a["samples"] == 72000
    with av.open(str(path)) as c:  # the tags are in the H.264 bitstream too, not only the container
        frame = next(c.decode(video=0))
        assert (frame.color_primaries, frame.color_trc, frame.colorspace, frame.color_range) == (1, 1, 1, 1)
        assert [round(float(f.time) * 30) for f in c.decode(video=0)] == list(range(1, 45))


def test_colours_use_bt709_limited_range(tmp_path):
    colours = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "white": (255, 255, 255),
               "black": (0, 0, 0), "orange": (200, 100, 50)}
    frames = [np.full((H, W, 3), rgb, np.uint8) for rgb in colours.values()]
    path = tmp_path / "colours.mp4"
    _write(path, frames, audio_channels=0, quality="lossless")
    with av.open(str(path)) as c:
        decoded = list(c.decode(video=0))
    for (name, rgb), frame in zip(colours.items(), decoded):
        y, u, v = (np.frombuffer(p, np.uint8)[0] for p in frame.planes)
        r, g, b = np.array(rgb) / 255
        luma = 0.2126 * r + 0.7152 * g + 0.0722 * b
        want = (16 + 219 * luma, 128 + 224 * (b - luma) / 1.8556, 128 + 224 * (r - luma) / 1.5748)
        assert np.allclose((y, u, v), want, atol=1), (name, (y, u, v), want)


@pytest.mark.parametrize("fps", [30, Fraction(30000, 1001)])
def test_click_lines_up_with_flash(tmp_path, fps):
    flash_frames = [0, 7, 20, 33]
    n_frames = 40
    audio = np.zeros((int(n_frames / fps * SR) + SR, 2), np.float32)
    for k in flash_frames:
        audio[round(k / fps * SR)] = 0.9
    frames = [np.full((H, W, 3), 255 if i in flash_frames else 0, np.uint8) for i in range(n_frames)]
    path = tmp_path / "sync.mp4"
    _write(path, frames, audio, audio_blocks=[1000, 1001, 5000], fps=fps)
    with av.open(str(path)) as c:
        flash_s = [float(f.time) for f in c.decode(video=0) if f.to_ndarray(format="gray").mean() > 128]
    decoded = _decode_audio(path)[:, 0]
    window = int(0.02 * SR)
    click_s = []
    for t in flash_s:
        lo = max(0, int(t * SR) - window)
        click_s.append((lo + int(np.argmax(np.abs(decoded[lo:lo + 2 * window])))) / SR)
    assert len(flash_s) == len(flash_frames)
    assert flash_s[0] == 0.0 and click_s[0] < 0.001  # the AAC priming is hidden by the edit list
    assert np.max(np.abs(np.array(click_s) - np.array(flash_s))) < 0.001


def test_audio_content_and_channel_order_survive(tmp_path):
    path = tmp_path / "tones.mp4"
    tones = _stereo_tones(SR)
    _write(path, _frames(30), tones)
    decoded = _decode_audio(path)[: len(tones)]
    for ch in (0, 1):
        corr = np.dot(decoded[4800:, ch], tones[4800:, ch]) / np.dot(tones[4800:, ch], tones[4800:, ch])
        assert 0.95 < corr < 1.05  # right tone in the right channel, at the right level


def test_threaded_and_unthreaded_files_are_byte_identical(tmp_path):
    frames, audio = _frames(40), _stereo_tones(SR)
    a, b, c = tmp_path / "a.mp4", tmp_path / "b.mp4", tmp_path / "c.mp4"
    _write(a, frames, audio, audio_blocks=[777, 1600, 20000], threaded=True)
    _write(b, frames, audio, audio_blocks=[777, 1600, 20000], threaded=False)
    _write(c, frames, audio, threaded=True)  # whole track at once
    assert a.read_bytes() == b.read_bytes() == c.read_bytes()


def test_short_audio_is_padded_and_missing_audio_is_silence(tmp_path):
    path = tmp_path / "short.mp4"
    _write(path, _frames(30), _stereo_tones(SR // 2))
    info = probe(path)
    assert abs(info["audio"]["duration_s"] - info["video"]["duration_s"]) < 1 / 30
    assert np.abs(_decode_audio(path)[SR // 2 + 2048:SR]).max() < 1e-3
    _write(tmp_path / "none.mp4", _frames(10), audio_channels=0)
    assert probe(tmp_path / "none.mp4")["audio"] is None


def test_mono_stays_mono_and_surround_is_mixed_to_stereo(tmp_path):
    _write(tmp_path / "mono.mp4", _frames(5), np.zeros((SR, 1), np.float32), audio_channels=1)
    assert probe(tmp_path / "mono.mp4")["audio"]["channels"] == 1
    six = np.zeros((SR, 6), np.float32)
    six[:, 1] = _stereo_tones(SR)[:, 0]  # only front-right carries sound
    _write(tmp_path / "six.mp4", _frames(30), six, audio_channels=6)
    decoded = _decode_audio(tmp_path / "six.mp4")
    assert decoded.shape[1] == 2
    assert np.abs(decoded[:, 0]).max() < 0.01 < np.abs(decoded[:, 1]).max()


def test_abort_keeps_a_playable_partial_clip(tmp_path):
    path = tmp_path / "partial.mp4"
    sink = VideoSink(path, width_px=W, height_px=H, fps=25)
    sink.write_audio(_stereo_tones(SR * 10))
    for frame in _frames(20):
        sink.write_frame(frame)
    assert not path.exists() and (tmp_path / "partial.mp4.part").exists()
    stats = sink.abort()
    assert stats.aborted and stats.frames == 20 and stats.audio_samples == 20 * SR // 25
    assert sorted(os.listdir(tmp_path)) == ["partial.mp4"]
    info = probe(path, decode=True)
    assert info["video"]["frames"] == 20
    assert abs(info["audio"]["duration_s"] - 0.8) < 1e-6


def test_exception_inside_with_block_aborts_and_propagates(tmp_path):
    path = tmp_path / "ctrl_c.mp4"
    with pytest.raises(KeyboardInterrupt):
        with VideoSink(path, width_px=W, height_px=H, fps=30) as sink:
            sink.write_audio(_stereo_tones(SR * 5))
            for i, frame in enumerate(_frames(30)):
                if i == 12:
                    raise KeyboardInterrupt
                sink.write_frame(frame)
    assert probe(path, decode=True)["video"]["frames"] == 12
    with VideoSink(tmp_path / "empty.mp4", width_px=W, height_px=H, fps=30) as sink:
        assert sink.abort().path is None  # nothing written: nothing saved
    assert sorted(os.listdir(tmp_path)) == ["ctrl_c.mp4"]


@pytest.mark.parametrize("size", [(65, 48), (64, 47)])
def test_odd_size_is_refused(tmp_path, size):
    with pytest.raises(OutputError, match="even") as err:
        VideoSink(tmp_path / "odd.mp4", width_px=size[0], height_px=size[1], fps=30)
    assert "\n" not in str(err.value)


def test_unwritable_destination_fails_before_any_frame(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    for bad in (tmp_path / "missing" / "x.mp4", blocker / "x.mp4"):
        with pytest.raises(OutputError, match="folder"):
            VideoSink(bad, width_px=W, height_px=H, fps=30)
    with pytest.raises(OutputError, match="needs a file ending"):
        VideoSink(tmp_path / "x.avi", width_px=W, height_px=H, fps=30)
    assert os.listdir(tmp_path) == ["file.txt"]


def test_read_only_folder_fails_before_any_frame(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: permissions do not stop writes")
        with pytest.raises(OutputError, match="cannot write video .*Permission denied"):
            VideoSink(folder / "x.mp4", width_px=W, height_px=H, fps=30)
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o755)


_DISK_FULL = textwrap.dedent("""
    import json, os, resource, signal, sys
    import numpy as np
    from reactor.errors import OutputError
    from reactor.output.video import VideoSink
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # make over-size writes fail with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))
    folder, result = sys.argv[1], {}
    rng = np.random.default_rng(0)
    for threaded in (False, True):
        try:
            with VideoSink(os.path.join(folder, f"full{threaded}.mp4"), width_px=128, height_px=96,
                           fps=25, threaded=threaded, quality="draft") as sink:
                sink.write_audio(np.zeros((48000 * 10, 2), np.float32))
                for i in range(250):
                    sink.write_frame(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8))
            result[str(threaded)] = "no error"
        except OutputError as exc:
            result[str(threaded)] = [str(exc), i]
    print(json.dumps(result))
""")


def test_disk_full_raises_one_line_and_leaves_no_garbage(tmp_path):
    done = subprocess.run([sys.executable, "-c", _DISK_FULL, str(tmp_path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    for threaded in ("False", "True"):
        message, frame = result[threaded]
        assert "File too large" in message and "\n" not in message
        assert frame < 249  # raised by a write_frame while rendering, not only at close
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("codec, ext, pix_fmt, audio", [("hevc", ".mp4", "yuv420p", "aac"),
                                                       ("prores", ".mov", "yuv422p10le", "pcm_s24le")])
def test_alternative_codecs(tmp_path, codec, ext, pix_fmt, audio):
    encoder = {"hevc": "libx265", "prores": "prores_ks"}[codec]
    try:
        av.codec.Codec(encoder, "w")
    except (av.FFmpegError, ValueError):
        pytest.skip(f"{encoder} is not in this PyAV build")
    path = tmp_path / f"clip{ext}"
    _write(path, _frames(25), _stereo_tones(SR), fps=25, codec=codec, quality="normal")
    info = probe(path, decode=True)
    assert (info["video"]["codec"], info["video"]["pix_fmt"], info["audio"]["codec"]) == (codec, pix_fmt, audio)
    assert info["video"]["frames"] == 25 and info["video"]["color_primaries"] == "bt709"
    assert abs(info["audio"]["duration_s"] - info["video"]["duration_s"]) < 1 / 25
    with av.open(str(path)) as c:
        frame = next(c.decode(video=0))
        assert (frame.color_primaries, frame.color_trc, frame.colorspace, frame.color_range) == (1, 1, 1, 1)
    with pytest.raises(OutputError, match="ending in .mov"):
        VideoSink(tmp_path / "x.mp4", width_px=W, height_px=H, fps=25, codec="prores")


def test_bad_calls_are_reported(tmp_path):
    with pytest.raises(OutputError, match="unknown codec"):
        VideoSink(tmp_path / "x.mp4", width_px=W, height_px=H, fps=30, codec="vp9")
    with pytest.raises(OutputError, match="cannot store"):
        VideoSink(tmp_path / "x.mp4", width_px=W, height_px=H, fps=30, sample_rate_hz=12345)
    with VideoSink(tmp_path / "x.mp4", width_px=W, height_px=H, fps=30, audio_channels=2) as sink:
        with pytest.raises(ValueError, match="uint8"):
            sink.write_frame(np.zeros((H, W, 3), np.float32))
        with pytest.raises(ValueError, match="audio must be"):
            sink.write_audio(np.zeros((100, 1), np.float32))
        sink.write_frame(_frames(1)[0])
    with pytest.raises(OutputError, match="already closed"):
        sink.write_frame(_frames(1)[0])
    with pytest.raises(OutputError, match="cannot read"):
        probe(tmp_path / "missing.mp4")
    for bad_fps in (0, -30, float("nan")):
        with pytest.raises(OutputError, match="fps"):
            VideoSink(tmp_path / "x.mp4", width_px=W, height_px=H, fps=bad_fps)


def test_float_ntsc_rates_mean_the_exact_1001_rates(tmp_path):
    path = tmp_path / "ntsc.mp4"
    sink = VideoSink(path, width_px=W, height_px=H, fps=29.97, threaded=False)
    assert sink.fps == Fraction(30000, 1001)
    for frame in _frames(3):
        sink.write_frame(frame)
    sink.close()
    assert probe(path)["video"]["fps"] == Fraction(30000, 1001)
    other = VideoSink(tmp_path / "b.mp4", width_px=W, height_px=H, fps=12.5)
    assert other.fps == Fraction(25, 2) and other.abort().path is None


class _FakeClock:
    def __init__(self):
        self.now_s = 100.0

    def __call__(self):
        return self.now_s


def test_progress_reports_speed_against_real_time_and_time_left():
    import io

    from reactor.output.progress import Progress

    clock, out = _FakeClock(), io.StringIO()
    progress = Progress(900, fps=30, stream=out, log_interval_s=5.0, clock=clock)
    clock.now_s += 10.0
    progress.update(150)  # 15 fps = half real time; 750 frames left at 15 fps = 50 s
    clock.now_s += 1.0
    progress.update(165)  # within the interval: not printed
    clock.now_s += 9.0
    progress.update(300)
    progress.finish("out.mp4")
    lines = out.getvalue().splitlines()
    assert lines[0] == "frame 150/900  17% | 15.0 fps, 0.50x real time | 0:50 left"
    assert len(lines) == 3 and lines[1].startswith("frame 300/900")
    assert lines[2].endswith("took 0:20 | out.mp4")
