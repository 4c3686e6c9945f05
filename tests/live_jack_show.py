"""Run ``reactor live`` playing through a real PortAudio device (a private JACK server, dummy
driver) and log, independently of PortAudio's time stamps, when each sample is heard.

    python tests/live_jack_show.py OUT.json      (DISPLAY must name an X server)

A JACK client listens to the program's output ports and logs each cycle's first frame with the
``perf_counter`` of the cycle start and what it carried. At each swap the JACK frame is taken from
the cycle that began last before it, the device's declared playback latency (``jack_lsp -l``)
says which frame was at the (dummy) DAC then, and the played sound there is located in the clip
(seeded noise). OUT.json gets the show's per-frame trace (frame time, clock time, swap end), the
heard position at each swap and the server's measured rate. Exit status 3: jackd could not be
started. A subprocess, because jackd must be up before sounddevice is imported and must stop
after PortAudio let go of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import numpy as np

RATE = 48000
PERIOD = int(os.environ.get("REACTOR_TEST_JACK_PERIOD", "1024"))
JACKD_OPTS = [os.environ["REACTOR_TEST_JACKD_OPTS"].split()] if "REACTOR_TEST_JACKD_OPTS" in os.environ else \
    [["-R", "-S"], ["--no-realtime", "-S"]]
"""Server options tried in turn. Synchronous mode (-S) with 1024-frame periods, real-time
scheduling where the system allows it. Measured in 5 s shows on a 2-core machine at load 8
(other work running): real-time 24 xruns and the server at 47.2 kHz; without it 104 xruns and
36.7 kHz, or, at load 4, 8-28 xruns at 42-47 kHz; asynchronous with 256-frame periods 90-170
xruns. A slow server is what the show's clock must follow; one far from real time is a broken
run (the test says so)."""


def main(out_path: str) -> int:
    name = f"reactor-show-{os.getpid()}"
    os.environ["JACK_DEFAULT_SERVER"] = name
    server = None
    try:
        for opts in JACKD_OPTS:
            server = subprocess.Popen(["jackd", "-n", name, *opts, "-d", "dummy", "-r", str(RATE), "-p", str(PERIOD),
                                       "-C", "2", "-P", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            up = subprocess.run(["jack_wait", "-s", name, "-w", "-t", "10"], capture_output=True).returncode == 0
            if up and server.poll() is None:
                return _run(out_path, opts)
            print(f"jackd {' '.join(opts)} did not start (exit status {server.poll()})", file=sys.stderr)
            _stop(server)
            server = None
        return 3
    finally:
        sd = sys.modules.get("sounddevice")
        if sd is not None:
            while sd._initialized:
                sd._terminate()
        if server is not None:
            _stop(server)


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _run(out_path: str, jackd_opts: list[str]) -> int:
    import jack

    from reactor.audio.decode import AudioClip
    from reactor.audio.playback import PlaybackSource
    from reactor.live.show import LiveOptions, Show

    jack.set_error_function(lambda msg: None)
    listener = jack.Client("listener", no_start_server=True)
    ins = [listener.inports.register(f"in_{c}") for c in range(2)]
    cycles: list[tuple[int, float]] = []
    chunks: list[tuple[int, np.ndarray]] = []

    @listener.set_process_callback
    def process(frames):  # JACK thread: cycle log and what the program played (copied)
        cycles.append((listener.last_frame_time, time.perf_counter() - listener.frames_since_cycle_start / RATE))
        chunks.append((listener.last_frame_time, ins[0].get_array().copy()))

    listener.activate()
    n = RATE * 8
    # seeded noise: any 20 ms of it says exactly where in the clip it comes from, even after gaps
    noise = (0.5 * np.random.default_rng(7).standard_normal(n)).clip(-1, 1).astype(np.float32)
    clip = AudioClip(samples=np.repeat(noise[:, None], 2, axis=1), sample_rate_hz=RATE, source="noise")
    source = PlaybackSource(clip, block_samples=256)

    def connect():
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline:
            ports = sorted(p.name for p in listener.get_ports("PortAudio:out"))
            if ports:
                for src, dst in zip(ports, ins):
                    listener.connect(src, dst)
                return
            time.sleep(0.01)

    threading.Thread(target=connect, daemon=True).start()
    opts = LiveOptions(presets=("scope",), width_px=160, height_px=96, frames=150, watch=False, trace=True,
                       fps=30.0)
    stats = Show(opts, source).run()
    listener.deactivate()
    listener.close()
    f = np.array([c[0] for c in cycles], np.float64)
    p = np.array([c[1] for c in cycles], np.float64)
    latency = _playback_latency_frames(os.environ["JACK_DEFAULT_SERVER"])
    trace = np.asarray(stats["trace"])
    start = chunks[0][0]
    played = np.zeros(chunks[-1][0] + len(chunks[-1][1]) - start, np.float32)
    for frame, a in chunks:
        played[frame - start:frame - start + len(a)] = a
    heard = []
    for t_clock, end in zip(trace[:, 1], trace[:, 2]):
        # JACK's frame at the swap, from the cycle that began last before it (a server that
        # cannot keep real time runs slow and unevenly: no single line fits the whole run)
        i = int(np.searchsorted(p, end, side="right")) - 1
        if i < 0 or i + 1 >= len(f):
            heard.append(None)
            continue
        now = f[i] + min((end - p[i]) * RATE, f[i + 1] - f[i])
        # the sample at the DAC then is the one JACK passed on `latency` frames before
        j = int(round(now)) - latency - start
        heard.append(_clip_position(played, j, noise, around=int(t_clock * RATE)))
    shown = (p >= trace[0, 2]) & (p <= trace[-1, 2])  # the server's pace while the show ran
    rate = float(np.polyfit(p[shown] - p[0], f[shown] - f[0], 1)[0]) if shown.sum() > 2 else 0.0
    with open(out_path, "w") as fh:
        json.dump({"trace": trace.tolist(), "heard_s": heard, "latency_frames": latency,
                   "jack_rate_hz": rate, "period": PERIOD, "jackd_opts": jackd_opts,
                   "cycles": [list(c) for c in cycles], "first_frame": start,
                   "stats": {k: v for k, v in stats.items() if k != "trace"}}, fh)
    return 0


def _playback_latency_frames(server: str) -> int:
    """The dummy device's declared playback latency (``jack_lsp -l``): when a sample JACK passes
    on reaches its DAC. PortAudio's ``outputBufferDacTime`` is built from the same figure."""
    out = subprocess.run(["jack_lsp", "-s", server, "-l", "system:playback_1"], capture_output=True,
                         text=True, timeout=10).stdout
    for line in out.splitlines():
        if "playback latency" in line:
            return int(line.split("[")[1].split()[1])  # [ min max ]
    raise RuntimeError(f"no playback latency from jack_lsp: {out!r}")


def _clip_position(played: np.ndarray, j: int, clip: np.ndarray, *, around: int, win: int = 960,
                   search: int = RATE) -> float | None:
    """Clip time (s) of the sample at index ``j`` of ``played``, found by matching the 20 ms
    before it against the clip within ``search`` samples of ``around``; None when silent."""
    if j - win < 0 or j > len(played):
        return None
    seg = played[j - win:j]
    if np.abs(seg).max() < 1e-3:
        return None
    lo, hi = max(0, around - search - win), min(len(clip), around + search)
    ref = clip[lo:hi]
    if len(ref) < win:
        return None
    from scipy.signal import fftconvolve

    corr = fftconvolve(ref, seg[::-1], mode="valid")
    k = int(np.argmax(corr))
    if corr[k] < 0.5 * float(np.dot(seg, seg)):
        return None  # no clean match (a gap inside the window)
    return (lo + k + win) / RATE


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main(sys.argv[1]))
