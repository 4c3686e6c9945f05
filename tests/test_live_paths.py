"""``reactor live`` in a real window under Xvfb, the paths a performer uses mid-show: R starts and
stops a recording, an edited preset file reloads (a broken edit keeps the last good preset), and
``--scale auto`` lowers the render scale when frames are late. Each show runs in a subprocess
(a GLX window must not share a process with the suite's headless EGL context)."""

from __future__ import annotations

import subprocess
import time

import numpy as np
import pytest

from tests.live_util import (env_for, finish, live_cmd, read_stats, screenshot, send_keys, start_show,
                             wait_for_line, window_id, xvfb_display)  # noqa: F401  (fixture)

SMALL = ("--size", "320x180", "--audio-out", "none")


def test_r_key_records_a_file_with_picture_and_sound(xvfb_display, tmp_path):
    av = pytest.importorskip("av")
    stats_path = tmp_path / "stats.json"
    log = tmp_path / "show.log"
    with open(log, "w") as fh:  # in tmp_path: without --record, R names the file after the time
        proc = subprocess.Popen(live_cmd("--demo", "--start", "8", "--loop", "--preset", "scope", "--fps", "30",
                                         "--no-watch", "--stats-json", str(stats_path), *SMALL),
                                env=env_for(xvfb_display), cwd=tmp_path, stdout=fh, stderr=subprocess.STDOUT)
    try:
        win = window_id(xvfb_display)
        wait_for_line(log, "first frame shown", timeout_s=120)
        assert not list(tmp_path.glob("*.mp4"))
        send_keys(xvfb_display, win, "r")
        wait_for_line(log, "recording reactor-live-", timeout_s=30)
        time.sleep(2.5)
        send_keys(xvfb_display, win, "r")
        stopped = wait_for_line(log, "recording stopped:", timeout_s=30)
    finally:
        rc = finish(proc, xvfb_display, win) if proc.poll() is None else proc.returncode
    assert rc == 0, log.read_text()[-2000:]
    files = list(tmp_path.glob("reactor-live-*.mp4"))
    assert len(files) == 1 and files[0].name in stopped, (files, stopped)
    with av.open(str(files[0])) as c:
        video = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    with av.open(str(files[0])) as c:
        rate, channels = c.streams.audio[0].rate, c.streams.audio[0].channels
        audio = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])
    assert video[0].shape == (180, 320, 3)
    video_s, audio_s = len(video) / 30, len(audio) / channels / rate
    assert 1.5 < video_s < 6.0, video_s  # about the 2.5 s between the presses
    assert abs(audio_s - video_s) < 0.25, (audio_s, video_s)
    assert np.sqrt(np.mean(audio.astype(np.float64) ** 2)) > 0.01  # the demo's music, not silence
    assert np.mean(video) > 3.0  # a picture, not black
    st = read_stats(stats_path)
    assert st["errors"] == []
    # a constant-rate file: a show slower than 30 fps repeats frames, so the file may hold more
    # frames than the show drew
    assert len(st["recordings"]) == 1 and st["recordings"][0]["frames"] == len(video)
    assert 0 < st["recorded_frames"] <= len(video)


_SOLID = """// @description test scene: a colour from the preset
uniform float p_red = 0.5;
uniform float p_green = 0.5;
void main() { fragColor = vec4(p_red, p_green, 0.1, 1.0); }
"""


def _preset(red: float, green: float, scene) -> str:
    return (f'name = "solid"\ndescription = "test"\nscene = "{scene}"\n\n'
            f"[params.red]\ndefault = {red}\n\n[params.green]\ndefault = {green}\n")


def _center(shot: np.ndarray) -> np.ndarray:
    h, w = shot.shape[:2]
    return shot[h // 4: 3 * h // 4, w // 4: 3 * w // 4].reshape(-1, 3).mean(axis=0)


def test_edited_preset_file_reloads_and_a_broken_one_keeps_the_last_good(xvfb_display, tmp_path):
    scene = tmp_path / "solid.frag"
    scene.write_text(_SOLID)
    preset = tmp_path / "solid.toml"
    preset.write_text(_preset(0.9, 0.1, scene))
    stats_path = tmp_path / "stats.json"
    log = tmp_path / "show.log"
    proc = start_show(xvfb_display, "--demo", "--loop", "--preset", str(preset), "--no-hud",
                      "--stats-json", str(stats_path), *SMALL, log_path=log)
    try:
        win = window_id(xvfb_display)
        wait_for_line(log, "first frame shown", timeout_s=120)
        red = _center(screenshot(xvfb_display, win))
        assert red[0] > 180 and red[1] < 60, red
        preset.write_text(_preset(0.1, 0.9, scene))
        wait_for_line(log, "reloaded preset solid", timeout_s=30)
        time.sleep(0.3)
        green = _center(screenshot(xvfb_display, win))
        assert green[1] > 180 and green[0] < 60, green
        preset.write_text(_preset(0.1, 0.9, scene).replace("default = 0.9", "default = "))  # a TOML typo
        line = wait_for_line(log, "solid.toml", timeout_s=30)
        time.sleep(0.3)
        still = _center(screenshot(xvfb_display, win))
        assert still[1] > 180 and still[0] < 60, ("the last good preset must stay", still, line)
    finally:
        rc = finish(proc, xvfb_display, win) if proc.poll() is None else proc.returncode
    assert rc == 0, log.read_text()[-2000:]
    st = read_stats(stats_path)
    # one reload per save (the reload's own read of the file is not a change)
    assert [e for e in st["events"] if e.startswith("reloaded preset")] == ["reloaded preset solid"]
    assert len(st["errors"]) == 1 and "solid.toml" in st["errors"][0], st["errors"]
    assert "\n" not in st["errors"][0]


_HEAVY = """// @description deliberately slow: a long loop per pixel, so frames run late at full scale
void main() {
    vec2 uv = gl_FragCoord.xy / u_resolution.xy;
    float a = 0.0;
    for (int i = 0; i < 100; i++) a += sin(a * 1.3 + uv.x * float(i) + uv.y);
    fragColor = vec4(vec3(0.5 + 0.5 * sin(a)), 1.0);
}
"""


def test_auto_scale_lowers_the_scale_when_frames_are_late(xvfb_display, tmp_path):
    scene = tmp_path / "heavy.frag"
    scene.write_text(_HEAVY)
    preset = tmp_path / "heavy.toml"
    preset.write_text(f'name = "heavy"\ndescription = "test"\nscene = "{scene}"\n')
    stats_path = tmp_path / "stats.json"
    run = subprocess.run(live_cmd("--demo", "--start", "8", "--preset", str(preset), "--scale", "auto",
                                  "--fps", "60", "--frames", "60", "--no-watch", "--stats-json", str(stats_path),
                                  "--size", "480x270", "--audio-out", "none"),
                         env=env_for(xvfb_display), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    st = read_stats(stats_path)
    assert st["errors"] == []
    if st["work_ms_p50"] < 16.7:
        pytest.skip(f"this machine renders the heavy scene in {st['work_ms_p50']:.1f} ms: nothing to lower")
    assert st["scale"] < 1.0, st
    assert "auto scale 1 -> 0.85: frames late" in run.stderr, run.stderr[-2000:]
