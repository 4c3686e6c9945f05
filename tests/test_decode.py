"""load_audio: formats, rates, channels, exact trimming, timing of clicks, and every bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reactor.audio.decode import AudioClip, load_audio, save_wav
from reactor.errors import AudioError
from tests import signals as S

CLICKS_S = (0.25, 1.0, 1.5, 2.2)
DURATION_S = 2.5


@pytest.fixture(scope="module")
def click_signal() -> np.ndarray:
    return S.clicks(CLICKS_S, duration_s=DURATION_S, channels=2)


@pytest.fixture(scope="module")
def encoded(tmp_path_factory, click_signal):
    """The click signal encoded once per container (48 kHz stereo)."""
    root = tmp_path_factory.mktemp("enc")
    return {ext: S.write_audio(root / f"clicks{ext}", click_signal)
            for ext in (".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus")}


@pytest.mark.parametrize("ext,tol_ms", [(".wav", 0.02), (".flac", 0.02), (".mp3", 1.0), (".m4a", 1.0),
                                        (".ogg", 1.0), (".opus", 1.0)])
def test_click_times_survive_each_codec(encoded, ext, tol_ms):
    clip = load_audio(encoded[ext])
    assert clip.samples.dtype == np.float32 and clip.channels == 2 and clip.sample_rate_hz == 48000
    # encoder priming is removed, padding may add at most a frame or two at the end
    assert DURATION_S <= clip.duration_s < DURATION_S + 0.05
    found = S.locate_clicks(clip.samples, CLICKS_S)
    np.testing.assert_allclose(found, CLICKS_S, atol=tol_ms / 1000)


def test_wav_click_lands_on_its_exact_sample(tmp_path):
    x = S.clicks([1.0], duration_s=2.0, width_s=0.0002)
    clip = load_audio(S.write_wav(tmp_path / "c.wav", x))
    assert int(np.argmax(clip.samples[:, 0])) == 48000


@pytest.mark.parametrize("source_hz", [8000, 44100, 192000])
def test_resampling_keeps_duration_pitch_and_timing(tmp_path, source_hz):
    tone = S.tone(1000.0, duration_s=2.0, sample_rate_hz=source_hz, amplitude=0.3)
    click = S.clicks([1.25], duration_s=2.0, sample_rate_hz=source_hz, amplitude=0.6, width_s=0.002)
    clip = load_audio(S.write_wav(tmp_path / f"t{source_hz}.wav", tone + click, sample_rate_hz=source_hz))
    assert clip.sample_rate_hz == 48000 and clip.samples.shape == (96000, 1)
    seg = clip.samples[4800:43200, 0]  # 0.1-0.9 s: tone only
    spec = np.abs(np.fft.rfft(seg * np.hanning(seg.size)))
    assert abs(np.fft.rfftfreq(seg.size, 1 / 48000)[np.argmax(spec)] - 1000.0) <= 1.5
    assert abs(np.sqrt(2 * np.mean(seg ** 2)) - 0.3) < 0.01  # level kept
    assert abs(S.locate_clicks(clip.samples, [1.25], search_s=0.004)[0] - 1.25) < 0.0002


def test_output_rate_is_selectable(encoded):
    clip = load_audio(encoded[".flac"], sample_rate_hz=22050)
    assert clip.sample_rate_hz == 22050 and clip.samples.shape[0] == round(DURATION_S * 22050)
    np.testing.assert_allclose(S.locate_clicks(clip.samples, CLICKS_S, sample_rate_hz=22050), CLICKS_S, atol=1e-4)


def test_six_channels_stay_six_in_order(tmp_path):
    freqs = [200.0, 300.0, 450.0, 700.0, 1100.0, 1700.0]
    x = np.concatenate([S.tone(f, duration_s=1.0, amplitude=0.2) for f in freqs], axis=1)
    clip = load_audio(S.write_audio(tmp_path / "six.flac", x))
    assert clip.channels == 6
    spec = np.abs(np.fft.rfft(clip.samples, axis=0))
    peaks = np.fft.rfftfreq(clip.samples.shape[0], 1 / 48000)[np.argmax(spec, axis=0)]
    np.testing.assert_allclose(peaks, freqs, atol=1.0)


@pytest.mark.parametrize("ext", [".wav", ".mp3"])
def test_trim_is_exact_to_the_sample(encoded, ext):
    full = load_audio(encoded[ext]).samples
    part = load_audio(encoded[ext], start_s=0.5, duration_s=0.25)
    assert part.samples.shape == (12000, 2)
    np.testing.assert_array_equal(part.samples, full[24000:36000])
    odd = load_audio(encoded[ext], start_s=2.2 / 48000, duration_s=6.8 / 48000)  # rounds to 2 and 7 samples
    np.testing.assert_array_equal(odd.samples, full[2:9])
    tail = load_audio(encoded[ext], start_s=2.0, duration_s=10.0)  # asks past the end: gets the rest
    np.testing.assert_array_equal(tail.samples, full[96000:])


@pytest.mark.parametrize("ext", [".wav", ".flac", ".mp3", ".m4a", ".ogg"])
def test_far_start_seeks_and_matches_full_decode(tmp_path, ext):
    sr = 44100  # not a divisor of 48 kHz: the seek must land on the output grid
    t = np.arange(12 * sr) / sr
    x = (0.3 * np.sin(2 * np.pi * 440 * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t)))[:, None]
    path = S.write_audio(tmp_path / f"long{ext}", np.repeat(x, 2, axis=1), sample_rate_hz=sr)
    full = load_audio(path).samples
    part = load_audio(path, start_s=8.3, duration_s=1.2)
    assert part.samples.shape == (57600, 2)
    np.testing.assert_allclose(part.samples, full[398400:456000], atol=1e-6)


def test_audio_track_of_a_video(tmp_path):
    audio = S.clicks(CLICKS_S, duration_s=DURATION_S, channels=2)
    clip = load_audio(S.write_video(tmp_path / "v.mp4", duration_s=DURATION_S, audio=audio))
    assert clip.channels == 2
    np.testing.assert_allclose(S.locate_clicks(clip.samples, CLICKS_S), CLICKS_S, atol=0.001)


def test_nan_and_inf_are_repaired_and_counted(tmp_path):
    x = S.tone(440.0, duration_s=0.5, channels=2)
    x[1000:1010, 0] = np.nan
    x[2000, 1] = np.inf
    x[3000, :] = -np.inf
    clip = load_audio(S.write_wav(tmp_path / "nan.wav", x, float32=True))
    assert clip.repaired == 13
    assert np.isfinite(clip.samples).all()
    good = np.isfinite(x)
    np.testing.assert_array_equal(clip.samples[good], x[good])
    assert (clip.samples[~good] == 0).all()


def test_nan_is_repaired_before_resampling(tmp_path):
    """A NaN in a 44.1 kHz file must not smear through the resampling filter."""
    x = S.tone(440.0, duration_s=0.5, sample_rate_hz=44100)
    x[5000:5004] = np.nan
    clean = np.where(np.isfinite(x), x, 0)
    clip = load_audio(S.write_wav(tmp_path / "nan441.wav", x, sample_rate_hz=44100, float32=True))
    ref = load_audio(S.write_wav(tmp_path / "zero441.wav", clean, sample_rate_hz=44100, float32=True))
    assert clip.repaired == 4
    np.testing.assert_array_equal(clip.samples, ref.samples)


def test_silence_dc_and_overs_come_back_as_they_are(tmp_path):
    x = np.zeros((4800, 3), np.float32)
    x[:, 1] = 0.5  # DC
    x[::2, 2], x[1::2, 2] = 1.5, -1.5  # beyond full scale (float WAV)
    clip = load_audio(S.write_wav(tmp_path / "odd.wav", x, float32=True))
    np.testing.assert_array_equal(clip.samples, x)
    assert clip.repaired == 0


def test_audioclip_shape_and_helpers():
    stereo = np.stack([np.full(480, 0.2), np.full(480, 0.6)], axis=1)
    clip = AudioClip(samples=stereo, sample_rate_hz=48000, source="x")
    assert clip.samples.dtype == np.float32 and clip.samples.flags.c_contiguous
    assert clip.duration_s == pytest.approx(0.01) and clip.channels == 2
    mono = clip.mono()
    assert mono.shape == (480,) and mono.dtype == np.float32 and np.allclose(mono, 0.4)
    with pytest.raises(ValueError):
        clip.samples[0, 0] = 1.0  # frozen like every value type the layers share
    stereo[0, 0] = 0.9  # and the caller's array stays theirs
    assert AudioClip(samples=np.zeros(5), sample_rate_hz=8000, source="m").samples.shape == (5, 1)


def test_save_wav_round_trip(tmp_path):
    x = S.chirp(100.0, 8000.0, duration_s=0.5, channels=2, amplitude=0.7)
    path = tmp_path / "out.wav"
    save_wav(path, AudioClip(samples=x, sample_rate_hz=48000, source="t"))
    np.testing.assert_allclose(load_audio(path).samples, x, atol=0.5 / 32768 + 1e-7)


def _bad_files(tmp: Path, encoded) -> dict[str, str]:
    from PIL import Image

    files = {}
    text = tmp / "notes.txt"
    text.write_text("this is not audio\n" * 40)
    files["text"] = str(text)
    png = tmp / "picture.png"
    Image.new("RGB", (16, 16), (255, 0, 0)).save(png)
    files["png"] = str(png)
    files["video_only"] = S.write_video(tmp / "silent_movie.mp4", duration_s=1.0)
    files["empty_wav"] = S.write_wav(tmp / "empty.wav", np.zeros((0, 2), np.float32))
    zero = tmp / "zero_bytes.mp3"
    zero.write_bytes(b"")
    files["zero_bytes"] = str(zero)
    data = open(encoded[".m4a"], "rb").read()
    cut = tmp / "cut_short.m4a"  # the index (moov) is at the end: nothing is decodable
    cut.write_bytes(data[: len(data) // 2])
    files["truncated_m4a"] = str(cut)
    return files


@pytest.mark.parametrize("kind", ["text", "png", "video_only", "empty_wav", "zero_bytes", "truncated_m4a"])
def test_bad_files_raise_one_line_naming_the_file(tmp_path, encoded, kind):
    path = _bad_files(tmp_path, encoded)[kind]
    with pytest.raises(AudioError) as err:
        load_audio(path)
    msg = str(err.value)
    assert path in msg and "\n" not in msg


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(AudioError, match="nope.wav: file not found"):
        load_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioError, match="directory"):
        load_audio(tmp_path)


@pytest.mark.parametrize("ext", [".flac", ".mp3", ".wav", ".ogg"])
def test_truncated_file_gives_what_it_can(tmp_path, click_signal, ext):
    x = click_signal + S.tone(330.0, duration_s=DURATION_S, amplitude=0.05, channels=2)
    data = open(S.write_audio(tmp_path / f"full{ext}", x), "rb").read()
    path = tmp_path / f"cut{ext}"
    path.write_bytes(data[: int(len(data) * 0.6)])
    clip = load_audio(path)
    assert 0.8 < clip.duration_s < 0.7 * DURATION_S  # about 60 % of the bytes hold audio
    # what was decoded is the right audio, at the right time
    inside = [t for t in CLICKS_S if t < clip.duration_s - 0.05]
    np.testing.assert_allclose(S.locate_clicks(clip.samples, inside), inside, atol=0.001)


def test_garbage_after_a_valid_start_keeps_the_start(tmp_path, encoded):
    data = bytearray(open(encoded[".mp3"], "rb").read())
    cut = len(data) // 2
    data[cut:] = np.random.default_rng(3).integers(0, 256, len(data) - cut, dtype=np.uint8).tobytes()
    path = tmp_path / "garbled.mp3"
    path.write_bytes(bytes(data))
    clip = load_audio(path)
    assert 0.8 < clip.duration_s and np.isfinite(clip.samples).all()
    assert abs(S.locate_clicks(clip.samples, [0.25])[0] - 0.25) < 0.001


@pytest.mark.parametrize("kwargs,words", [
    ({"start_s": 3.0}, "beyond the end"),
    ({"start_s": 30.0}, "beyond the end"),  # takes the seek path
    ({"duration_s": 0.0}, "duration"),
    ({"duration_s": -1.0}, "duration"),
    ({"start_s": -0.5}, "start"),
    ({"sample_rate_hz": 100}, "sample_rate_hz"),
])
def test_bad_ranges_raise(encoded, kwargs, words):
    path = encoded[".wav"]
    with pytest.raises(AudioError, match=words) as err:
        load_audio(path, **kwargs)
    assert path in str(err.value)


def test_trimmed_clip_cuts_by_exact_sample_and_refuses_a_start_past_the_end():
    from reactor.audio.decode import AudioClip
    from reactor.errors import AudioError

    x = np.arange(48000 * 2, dtype=np.float32).reshape(-1, 2) / 1e6
    clip = AudioClip(samples=x, sample_rate_hz=48000, source="t", repaired=3)
    part = clip.trimmed(0.25, 0.5)
    assert part.samples.shape == (24000, 2) and part.samples[0, 0] == x[12000, 0] and part.repaired == 3
    assert clip.trimmed(0.75).samples.shape[0] == 12000  # to the end
    with pytest.raises(AudioError, match="past the end"):
        clip.trimmed(1.0)
    with pytest.raises(AudioError, match="duration"):
        clip.trimmed(0.0, -1.0)
