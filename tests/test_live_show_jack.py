"""Playback through a real PortAudio device (private JACK server): each frame shows the clip
position heard when it appears, within one frame, though the loaded server runs slower than
real time (the clock follows what the device consumes, not the wall clock). The heard position
is measured independently: a JACK client records what the program plays and locates it in the
clip (seeded noise)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from reactor.audio.liveclock import MAX_RATE_OFF
from tests.live_util import REPO, env_for, xvfb_display  # noqa: F401  (fixture)


def test_playback_frames_follow_the_heard_position(xvfb_display, tmp_path):
    for tool in ("jackd", "jack_wait", "jack_lsp"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (apt-get install jackd2)")
    pytest.importorskip("jack")
    pytest.importorskip("sounddevice")
    out = tmp_path / "sync.json"
    run = subprocess.run([sys.executable, str(REPO / "tests" / "live_jack_show.py"), str(out)],
                         env=env_for(xvfb_display), capture_output=True, text=True, timeout=300)
    if run.returncode == 3:
        pytest.skip(f"jackd did not start: {run.stderr.strip()[-300:]}")
    assert run.returncode == 0, run.stderr[-2000:]
    d = json.loads(out.read_text())
    assert d["stats"]["errors"] == []
    trace = np.asarray(d["trace"])[10:]
    heard = np.array([np.nan if h is None else h for h in d["heard_s"]])[10:]
    ok = ~np.isnan(heard)
    if ok.mean() < 0.8:  # the recorded sound has gaps around most swaps: nothing to compare with
        pytest.skip(f"the played sound could not be located in the clip at most swaps "
                    f"({d['stats']['xruns']} xruns, {100 * ok.mean():.0f} % matched)")
    err = trace[ok, 0] - heard[ok]
    frame_s = np.median(np.diff(trace[:, 2]))
    within = float((np.abs(err) <= frame_s).mean())
    why = (f"jackd {' '.join(d['jackd_opts'])}: {d['stats']['xruns']} xruns, JACK at {d['jack_rate_hz']:.0f} Hz "
           f"for 48000; frame - heard median {1e3 * np.median(err):.1f} ms, max {1e3 * np.abs(err).max():.1f} ms, "
           f"{100 * within:.0f} % within a frame")
    # A slow server is what the clock must follow (passed here at 40.4 kHz, 16 % slow: median
    # 0.3 ms, max 23 ms). A broken run is one that stalls in a fifth of its cycles (seen at load
    # 9-11 on 2 cores: 68-156 xruns in 5 s, stalls of 100-400 ms), or that runs further from real
    # time than the clock's rate estimate reaches (MAX_RATE_OFF).
    if d["stats"]["xruns"] > 50 or d["jack_rate_hz"] < (1.0 - MAX_RATE_OFF) * 48000:
        pytest.skip(f"the machine could not keep JACK running ({why})")
    # seen here: median -2 ms, all within 8 ms, with the server 2-4 % slow and 8-24 xruns
    assert abs(np.median(err)) <= frame_s / 3, why
    assert within >= 0.9, why
