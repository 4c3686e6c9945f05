"""LiveRecorder: what someone recording a live show notices in the file (sync, safety, no stalls)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import av
import numpy as np
import pytest

from reactor.errors import OutputError
from reactor.output import record_encoder, recorder as recorder_mod
from reactor.output.probe import probe
from reactor.output.recorder import LiveRecorder

W, H, SR = 96, 64, 48000
BLOCK = 480  # audio samples per push (10 ms)
UNHURRIED = 1000  # queue_frames for tests that push faster than real time and must drop nothing


def top_level_boxes(path) -> list[str]:
    """The MP4 box types at the top level of the file, in order."""
    data, pos, names = open(path, "rb").read(), 0, []
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        names.append(data[pos + 4:pos + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[pos + 8:pos + 16], "big")
        if size < 8:
            break
        pos += size
    return names


def grey(level: int) -> np.ndarray:
    return np.full((H, W, 3), level, np.uint8)


def decoded_levels(path) -> list[float]:
    with av.open(str(path)) as c:
        return [float(f.to_ndarray(format="gray").mean()) for f in c.decode(video=0)]


def decoded_audio(path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1).T


def show(rec, frame_times, level_of, *, t_audio0, audio_end, audio_of=None, block=BLOCK):
    """Push audio blocks (stamped, ahead of the picture as in a live loop) and frames in time order."""
    t_audio = t_audio0
    for i, t in enumerate(frame_times):
        while t_audio < min(t + 0.03, audio_end):
            n = block
            samples = np.zeros((n, 2), np.float32) if audio_of is None else audio_of(t_audio, n)
            rec.push_audio(samples, t_audio)
            t_audio += n / SR
        rec.push_frame(grey(level_of(i, t)), t)


def test_clean_stop_gives_a_faststart_mp4_with_equal_stream_lengths(tmp_path):
    path = tmp_path / "show.mp4"
    rec = LiveRecorder(path, width_px=W, height_px=H, fps=30, sample_rate_hz=SR, audio_channels=2,
                       queue_frames=UNHURRIED)
    times = 5.0 + np.arange(60) / 30
    show(rec, times, lambda i, t: (i * 4) % 256, t_audio0=4.9, audio_end=7.2)
    stats = rec.close()
    boxes = top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat") and "moof" not in boxes  # faststart, not fragmented
    info = probe(path, decode=True)
    v, a = info["video"], info["audio"]
    assert v["frames"] == stats["frames"] == 60 and v["fps"] == 30
    assert v["duration_s"] == pytest.approx(2.0, abs=1e-9)
    assert a["duration_s"] == pytest.approx(v["duration_s"], abs=1e-9) and a["samples"] == 2 * SR
    assert v["start_s"] == 0 and a["start_s"] == 0
    assert (v["color_primaries"], v["colorspace"], v["color_range"]) == ("bt709", "bt709", "tv")
    assert stats["faststart"] and stats["dropped_frames"] == 0 and stats["duplicated_frames"] == 0
    assert sorted(os.listdir(tmp_path)) == ["show.mp4"]
    levels = decoded_levels(path)
    assert all(abs(lv - (i * 4) % 256) < 6 for i, lv in enumerate(levels[:60])), levels[:8]


def test_irregular_display_times_become_a_constant_rate_of_nearest_frames(tmp_path):
    """60 fps display with jitter into 30 fps: each output frame is the displayed one nearest
    its time; a 20 fps stretch repeats frames; nothing is counted as dropped."""
    rng = np.random.default_rng(1)
    fast = np.arange(60) / 60 + rng.uniform(-0.003, 0.003, 60)
    slow = 1.0 + np.arange(1, 21) / 20
    times = 100.0 + np.concatenate([fast, slow])
    times[0] = 100.0
    path = tmp_path / "cfr.mp4"
    rec = LiveRecorder(path, width_px=W, height_px=H, fps=30, sample_rate_hz=SR, audio_channels=2,
                       queue_frames=UNHURRIED)
    level = lambda i, t: 8 * (i % 30) + 4  # noqa: E731
    show(rec, times, level, t_audio0=100.0, audio_end=times[-1] + 0.1)
    stats = rec.close()
    levels = decoded_levels(path)
    slots = 100.0 + np.arange(len(levels)) / 30
    want = [level(int(np.argmin(np.abs(times - s))), 0) for s in slots]
    assert np.max(np.abs(np.array(levels) - want)) < 3, (levels[:10], want[:10])
    assert len(levels) == stats["frames"] == round((times[-1] - 100.0) * 30) + 1
    assert stats["dropped_frames"] == 0
    assert stats["recorded_frames"] + stats["skipped_frames"] == len(times)
    assert stats["skipped_frames"] >= 25 and stats["duplicated_frames"] >= 8


def test_a_click_and_a_white_frame_at_the_same_clock_time_stay_together(tmp_path):
    """Frames reach the recorder late (as after asynchronous readback) and at jittered times;
    audio comes in jittered, stamped blocks. Click and flash land within one frame."""
    fps, t0 = 30, 50.0
    flash_times = [t0 + 0.61, t0 + 1.37, t0 + 2.2]
    rng = np.random.default_rng(7)
    display = t0 + np.cumsum(np.r_[0.0, rng.uniform(1 / 75, 1 / 45, 200)])
    display = display[display < t0 + 3.0]

    def level_of(i, t):
        return 255 if any(ft <= t < ft + 0.15 for ft in flash_times) else 0

    def audio_of(t_first, n):
        block = np.zeros((n, 2), np.float32)
        for ft in flash_times:
            k = int(round((ft - t_first) * SR))
            if 0 <= k < n:
                block[k] = 0.9
        return block

    path = tmp_path / "sync.mp4"
    rec = LiveRecorder(path, width_px=W, height_px=H, fps=fps, sample_rate_hz=SR, audio_channels=2,
                       queue_frames=UNHURRIED)
    t_audio, pending = t0 - 0.2, []
    for i, t in enumerate(display):
        while t_audio < t + 0.02:
            n = int(rng.integers(256, 1024))
            stamp = t_audio + rng.uniform(-0.002, 0.002)  # jittered stamps, continuous samples
            rec.push_audio(audio_of(t_audio, n), stamp)
            t_audio += n / SR
        pending.append((grey(level_of(i, t)), t))
        if len(pending) > 2:  # two frames of readback latency
            rec.push_frame(*pending.pop(0))
    for item in pending:
        rec.push_frame(*item)
    stats = rec.close()
    assert stats["audio_gap_s"] == 0 and stats["audio_cut_s"] == 0  # jitter joined seamlessly
    levels = np.array(decoded_levels(path))
    onsets = [i for i in range(1, len(levels)) if levels[i] > 128 >= levels[i - 1]]
    flash_s = np.array(onsets) / fps
    audio = decoded_audio(path)[:, 0]
    clicks = np.flatnonzero(np.abs(audio) > 0.3)
    click_s = np.array([c for j, c in enumerate(clicks) if j == 0 or c - clicks[j - 1] > SR // 10]) / SR
    assert len(flash_s) == len(click_s) == 3, (flash_s, click_s)
    assert np.allclose(click_s, np.array(flash_times) - t0, atol=0.003)  # sound placed by its clock time
    assert np.max(np.abs(flash_s - click_s)) <= 1 / fps, (flash_s, click_s)
    print(f"sync: flash - click = {np.round((flash_s - click_s) * 1000, 1)} ms")


def _slow_encode(monkeypatch, delay_s: float) -> None:
    real = recorder_mod._Encoder.encode_frame

    def slow(self, frame):
        time.sleep(delay_s)
        real(self, frame)

    monkeypatch.setattr(recorder_mod._Encoder, "encode_frame", slow)


def test_a_slow_encoder_drops_recorded_frames_but_never_blocks_the_show(tmp_path, monkeypatch):
    _slow_encode(monkeypatch, 0.06)  # ~16 fps encoder against a 60 fps show
    path = tmp_path / "slow.mp4"
    rec = LiveRecorder(path, width_px=W, height_px=H, fps=60, sample_rate_hz=SR, audio_channels=2,
                       queue_frames=4)
    n, push_s, t0 = 120, [], time.perf_counter()
    for i in range(n):
        t = t0 + i / 60
        while time.perf_counter() < t:  # the show's own pace
            time.sleep(0.001)
        rec.push_audio(np.zeros((800, 2), np.float32), t)
        start = time.perf_counter()
        rec.push_frame(grey(i * 2), t)
        push_s.append(time.perf_counter() - start)
    live_dropped = rec.dropped_frames
    stats = rec.close()
    assert live_dropped > 30 and stats["dropped_frames"] >= live_dropped
    assert stats["recorded_frames"] + stats["dropped_frames"] + stats["skipped_frames"] == n
    assert stats["recorded_frames"] < 60
    # far below one encode (60 ms): the show never waits for the encoder
    assert np.median(push_s) < 0.002 and max(push_s) < 0.03, (np.median(push_s), max(push_s))
    info = probe(path, decode=True)  # the timeline is whole: dropped slots repeat a frame
    assert info["video"]["frames"] == stats["frames"] == n
    assert info["audio"]["duration_s"] == pytest.approx(info["video"]["duration_s"], abs=1e-9)
    assert stats["duplicated_frames"] == n - stats["recorded_frames"]


_RECORD_UNTIL_KILLED = textwrap.dedent("""
    import sys, time
    import numpy as np
    from reactor.output.recorder import LiveRecorder
    W, H, SR = 320, 180, 48000
    rec = LiveRecorder(sys.argv[1], width_px=W, height_px=H, fps=30, sample_rate_hz=SR, audio_channels=2)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for i in range(100000):
        t = t0 + i / 30
        while time.perf_counter() < t:
            time.sleep(0.002)
        tone = 0.3 * np.sin(2 * np.pi * 440 * (np.arange(1600) + i * 1600) / SR).astype(np.float32)
        rec.push_audio(np.stack([tone, tone], axis=1), t)
        img = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
        img[:, : (i * 3) % W] = 255
        rec.push_frame(img, t)
        print(i + 1, flush=True)
""")


def test_a_killed_recording_leaves_a_file_that_plays_with_picture_and_sound(tmp_path):
    path = tmp_path / "killed.mp4"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")])))
    p = subprocess.Popen([sys.executable, "-c", _RECORD_UNTIL_KILLED, str(path)], stdout=subprocess.PIPE,
                         text=True, env=env)
    pushed = 0
    deadline = time.monotonic() + 120
    while pushed < 150 and time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        pushed = int(line)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    assert pushed >= 150, "the recording never got going"
    with av.open(str(path)) as c:
        assert c.streams.video and c.streams.audio
        frames = sum(1 for _ in c.decode(video=0))
    with av.open(str(path)) as c:
        audio_s = sum(f.samples for f in c.decode(audio=0)) / SR
    assert frames >= pushed - 45, (frames, pushed)  # all but the last fragment (GOP 0.5 s) or so
    assert audio_s >= frames / 30 - 0.6, (audio_s, frames)
    print(f"SIGKILL after {pushed} frames pushed: {frames} frames and {audio_s:.2f} s of audio kept")


def test_nothing_recorded_leaves_no_file_and_bad_settings_fail_at_once(tmp_path):
    rec = LiveRecorder(tmp_path / "empty.mp4", width_px=W, height_px=H, fps=30, sample_rate_hz=SR,
                       audio_channels=2)
    rec.push_audio(np.zeros((BLOCK, 2), np.float32), 1.0)
    stats = rec.close()
    assert stats["path"] is None and stats["frames"] == 0
    assert os.listdir(tmp_path) == []
    with pytest.raises(OutputError, match="even"):
        LiveRecorder(tmp_path / "odd.mp4", width_px=95, height_px=64, fps=30, sample_rate_hz=SR, audio_channels=2)
    with pytest.raises(OutputError, match="folder"):
        LiveRecorder(tmp_path / "no" / "x.mp4", width_px=W, height_px=H, fps=30, sample_rate_hz=SR,
                     audio_channels=2)
    with pytest.raises(OutputError, match="fps"):
        LiveRecorder(tmp_path / "x.mp4", width_px=W, height_px=H, fps=0, sample_rate_hz=SR, audio_channels=2)
    rec = LiveRecorder(tmp_path / "x.mp4", width_px=W, height_px=H, fps=30, sample_rate_hz=SR, audio_channels=2)
    with pytest.raises(ValueError, match="uint8"):
        rec.push_frame(np.zeros((H, W, 3), np.float32), 0.0)
    with pytest.raises(ValueError, match="audio must be"):
        rec.push_audio(np.zeros((10, 1), np.float32), 0.0)
    rec.abort()


def test_stop_returns_at_once_and_wait_gives_the_stats_later(tmp_path):
    path = tmp_path / "bg.mp4"
    rec = LiveRecorder(path, width_px=W, height_px=H, fps=30, sample_rate_hz=SR, audio_channels=0)
    for i in range(30):
        rec.push_frame(grey(i), i / 30)
    start = time.perf_counter()
    rec.stop()
    assert time.perf_counter() - start < 0.01
    stats = None
    while stats is None:
        stats = rec.wait(timeout_s=0.05)
    assert rec.finished and stats["frames"] == 30 and probe(path)["audio"] is None


def test_audio_gaps_become_silence_and_overlaps_are_cut(tmp_path):
    path = tmp_path / "gaps.mp4"
    rec = LiveRecorder(path, width_px=W, height_px=H, fps=30, sample_rate_hz=SR, audio_channels=1)
    ones = np.full((SR // 2, 1), 0.5, np.float32)
    rec.push_audio(ones, 0.0)            # 0.0 .. 0.5
    rec.push_audio(ones, 0.75)           # a 0.25 s gap: silence
    rec.push_audio(ones, 1.0)            # overlaps the previous by 0.25 s: cut
    for i in range(46):
        rec.push_frame(grey(0), i / 30)
    stats = rec.close()
    assert stats["audio_gap_s"] == pytest.approx(0.25) and stats["audio_cut_s"] == pytest.approx(0.25)
    audio = decoded_audio(path)[:, 0]
    assert np.abs(audio[int(0.55 * SR):int(0.7 * SR)]).max() < 0.01
    assert np.abs(audio[int(0.8 * SR):int(1.4 * SR)]).min() > 0.3
    assert stats["audio_samples"] == stats["frames"] * SR // 30


_DISK_FULL = textwrap.dedent("""
    import json, os, resource, signal, sys, time
    import numpy as np
    from reactor.output.recorder import LiveRecorder
    from reactor.errors import OutputError
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over-size writes fail with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
    rec = LiveRecorder(sys.argv[1], width_px=160, height_px=96, fps=30, sample_rate_hz=48000,
                       audio_channels=2, quality="draft")
    rng = np.random.default_rng(0)
    worst = 0.0
    for i in range(300):
        rec.push_audio(np.zeros((1600, 2), np.float32), i / 30)
        t = time.perf_counter()
        rec.push_frame(rng.integers(0, 255, (96, 160, 3), dtype=np.uint8), i / 30)
        worst = max(worst, time.perf_counter() - t)
        time.sleep(0.005)
    seen = rec.error
    try:
        rec.close()
        print(json.dumps({"closed": "no error"}))
    except OutputError as exc:
        print(json.dumps({"error_while_recording": seen, "close": str(exc), "worst_push_s": worst}))
""")


def test_a_full_disk_stops_the_recording_with_one_line_but_not_the_show(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", _DISK_FULL, str(tmp_path / "full.mp4")], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    import json

    result = json.loads(done.stdout.splitlines()[-1])
    assert "File too large" in result["close"] and "\n" not in result["close"], result
    assert result["error_while_recording"] == result["close"]  # visible (for a HUD) before stopping
    assert result["worst_push_s"] < 0.05


def test_a_failed_finalise_is_reported_and_keeps_the_fragmented_file(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(record_encoder, "remux_faststart", broken)
    path = tmp_path / "frag.mp4"
    rec = LiveRecorder(path, width_px=W, height_px=H, fps=30, sample_rate_hz=SR, audio_channels=2,
                       queue_frames=UNHURRIED)
    show(rec, 3.0 + np.arange(30) / 30, lambda i, t: 100, t_audio0=3.0, audio_end=4.1)
    with pytest.raises(OutputError, match="No space left") as err:
        rec.close()
    assert "\n" not in str(err.value)
    assert "moof" in top_level_boxes(path) and sum(1 for _ in av.open(str(path)).decode(video=0)) == 30
    assert sorted(os.listdir(tmp_path)) == ["frag.mp4"]


def test_a_looping_clock_does_not_rewind_or_freeze_the_recording(tmp_path):
    """File playback that loops: the clock jumps back 1.5 s; picture and sound carry on together."""
    fps, t0, loop_s = 30, 0.0, 1.5
    shown = t0 + np.arange(0, 2.5, 1 / 60)  # 2.5 s of show; the clock reads t, or t - 1.5 after the loop
    flash_show = [0.7, 1.9]  # show time of flashes/clicks (the second one after the loop)

    def clock(t):
        return t if t < 1.0 else t - loop_s

    path = tmp_path / "loop.mp4"
    rec = LiveRecorder(path, width_px=W, height_px=H, fps=fps, sample_rate_hz=SR, audio_channels=1,
                       queue_frames=UNHURRIED)
    t_audio = -0.05
    for t in shown:
        while t_audio < t + 0.02:
            block = np.zeros((BLOCK, 1), np.float32)
            for f in flash_show:
                k = int(round((f - t_audio) * SR))
                if 0 <= k < BLOCK:
                    block[k] = 0.9
            rec.push_audio(block, clock(t_audio))
            t_audio += BLOCK / SR
        white = any(f <= t < f + 0.2 for f in flash_show)
        rec.push_frame(grey(255 if white else 0), clock(t))
    stats = rec.close()
    assert stats["clock_jumps"] == 1
    assert stats["duration_s"] == pytest.approx(2.5, abs=0.05)  # neither rewound nor frozen
    assert stats["audio_gap_s"] == 0 and stats["audio_cut_s"] == 0
    levels = np.array(decoded_levels(path))
    flash_s = np.array([i for i in range(1, len(levels)) if levels[i] > 128 >= levels[i - 1]]) / fps
    audio = decoded_audio(path)[:, 0]
    hits = np.flatnonzero(np.abs(audio) > 0.3)
    click_s = np.array([h for j, h in enumerate(hits) if j == 0 or h - hits[j - 1] > SR // 10]) / SR
    assert np.allclose(click_s, flash_show, atol=0.005), click_s
    assert len(flash_s) == 2 and np.max(np.abs(flash_s - click_s)) <= 1 / fps, (flash_s, click_s)
