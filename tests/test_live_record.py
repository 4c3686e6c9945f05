"""``reactor live --record``: the recording shows the beat on the frame where it is heard."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from tests.live_util import env_for, live_cmd, read_stats, xvfb_display  # noqa: F401  (fixture)

FPS = 20
START_S = 8.0  # the demo's groove: drums on every beat

_FLASH = """// @description white on the beat, decaying: the beat made visible
void main() { fragColor = vec4(vec3(u_beat_pulse), 1.0); }
"""


def _gray_frames(path) -> np.ndarray:
    import av

    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="gray").astype(np.float32) for f in c.decode(video=0)])


def test_recording_flashes_on_the_heard_beat(xvfb_display, tmp_path):
    from reactor.audio.demo import demo_truth

    scene = tmp_path / "flash.frag"
    scene.write_text(_FLASH)
    preset = tmp_path / "flash.toml"
    preset.write_text(f'name = "flash"\ndescription = "test"\nscene = "{scene}"\n')
    out = tmp_path / "rec.mp4"
    stats_path = tmp_path / "stats.json"
    run = subprocess.run(live_cmd("--demo", "--start", str(START_S), "--audio-out", "none", "--preset", str(preset),
                                  "--size", "160x96", "--fps", str(FPS), "--no-hud", "--no-watch",
                                  "--record", str(out), "--frames", str(FPS * 7), "--stats-json", str(stats_path)),
                         env=env_for(xvfb_display), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    st = read_stats(stats_path)
    assert st["errors"] == []
    if st["frame_ms_max"] > 1000.0:
        pytest.skip(f"a {st['frame_ms_max']:.0f} ms stall (machine overloaded): frame timing cannot be judged")
    assert st["recorded_frames"] > FPS * 4
    rec = st["recordings"][0]
    frames = _gray_frames(out)
    assert len(frames) >= FPS * 4
    level = frames.mean(axis=(1, 2))
    change = np.r_[0.0, np.diff(level)]  # the jump up when the flash starts
    beats = demo_truth().beat_times_s - START_S  # clock time of each beat (clip time 0 = song 8 s)
    t0 = rec["start_s"]
    # the beats well inside the recording, after the tracker has locked (2 s)
    k = np.round((beats[(beats > t0 + 2.0) & (beats < t0 + len(frames) / FPS - 0.5)] - t0) * FPS).astype(int)
    assert len(k) >= 6
    offsets = np.arange(-3, 4)
    folded = np.array([change[k + d].mean() for d in offsets])
    best = int(offsets[np.argmax(folded)])
    assert best in (0, 1), f"visual beat at frame offset {best} (folded change {folded.round(1).tolist()})"
    assert folded.max() > 20.0  # a real flash, not noise
