"""Run a live source against a real PortAudio device: a private JACK server with the dummy driver.

Usage (the tests run it in a subprocess, because jackd must be up before sounddevice is
imported and must stop only after PortAudio let go of it)::

    python tests/live_jack.py mic  IN.wav OUT.json    # a JACK client plays IN.wav into the mic input
    python tests/live_jack.py play IN.wav OUT.json    # PlaybackSource plays IN.wav, a JACK client records it
    python tests/live_jack.py lost IN.wav OUT.json    # the JACK server stops under a running mic

Each writes what it measured to OUT.json; the test decides what is right. JACK's own cycle
times are taken from ``perf_counter`` inside the JACK process callback, so "when JACK consumed
a sample" is measured independently of PortAudio's time stamps. Exit status 3: jackd could not
be started.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import wave

import numpy as np

RATE = 48000
PERIOD = 512
POLL_HZ = 144.0
JACKD_OPTS = os.environ.get("REACTOR_TEST_JACKD_OPTS", "-S").split()
"""Server options before the driver; -S (synchronous) waits for every client each cycle, so a
late client delays a cycle instead of losing its buffer."""


def _load_wav(path: str) -> np.ndarray:
    with wave.open(path, "rb") as w:
        assert w.getframerate() == RATE and w.getsampwidth() == 2, "test WAVs are 16-bit at 48 kHz"
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, w.getnchannels())
    return (pcm.astype(np.float32) / 32768.0)


class Jackd:
    """A private jackd (its own server name, so parallel runs never meet)."""

    def __init__(self, *, period: int = PERIOD, realtime: bool = False) -> None:
        self.name = f"reactor-test-{os.getpid()}"
        os.environ["JACK_DEFAULT_SERVER"] = self.name  # every JACK client of this process, PortAudio's too
        self.proc = subprocess.Popen(["jackd", "-n", self.name, "--realtime" if realtime else "--no-realtime", *JACKD_OPTS, "-d", "dummy", "-r", str(RATE),
                                      "-p", str(period), "-C", "2", "-P", "2"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     preexec_fn=_die_with_parent)
        ok = subprocess.run(["jack_wait", "-s", self.name, "-w", "-t", "10"], capture_output=True).returncode == 0
        if not ok or self.proc.poll() is not None:
            self.stop()
            err = self.proc.stderr.read().decode(errors="replace")[-300:] if self.proc.stderr else ""
            print(f"jackd did not start: {err}", file=sys.stderr)
            sys.exit(3)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _die_with_parent() -> None:
    """jackd gets SIGTERM if this helper dies (PortAudio aborts the process on some errors)."""
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class CycleLog:
    """Per JACK cycle: its first frame (``last_frame_time``) and ``perf_counter`` in the callback."""

    def __init__(self) -> None:
        self.frames: list[int] = []
        self.perf: list[float] = []

    def add(self, client) -> None:
        self.frames.append(client.last_frame_time)
        self.perf.append(time.perf_counter() - client.frames_since_cycle_start / RATE)

    def frame_to_perf(self):
        """A line frame -> perf of the cycle start, fitted to the earliest callbacks (the lower
        envelope: a callback is never early, only late)."""
        f = np.asarray(self.frames, np.float64)
        p = np.asarray(self.perf, np.float64)
        slope, icpt = np.polyfit(f - f[0], p, 1)
        icpt += np.min(p - (icpt + slope * (f - f[0])))
        return lambda frame: icpt + slope * (np.asarray(frame, np.float64) - f[0]), slope


def _wait_ports(client, pattern: str, n: int, timeout_s: float = 5.0) -> list[str]:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        ports = sorted(p.name for p in client.get_ports(pattern))
        if len(ports) >= n:
            return ports[:n]
        time.sleep(0.01)
    raise RuntimeError(f"PortAudio ports {pattern!r} did not appear: {[p.name for p in client.get_ports()]}")


def run_mic(wav: np.ndarray, jack) -> dict:
    from reactor.analysis.analyzer import StreamingAnalyzer, warm_up
    from reactor.audio.live import MicSource

    warm_up()
    feeder = jack.Client("feeder", no_start_server=True)
    outs = [feeder.outports.register(f"out_{c}") for c in range(2)]
    log, state, fed = CycleLog(), {"go": False, "pos": 0, "start_frame": None}, []

    @feeder.set_process_callback
    def process(frames):  # JACK thread: play the WAV once "go" is set
        log.add(feeder)
        pos = state["pos"] if state["go"] else len(wav)
        k = max(0, min(frames, len(wav) - pos))
        for c, port in enumerate(outs):
            buf = port.get_array()
            buf[:] = 0.0
            if k:
                buf[:k] = wav[pos:pos + k, c % wav.shape[1]]
        if state["go"] and state["start_frame"] is None:
            state["start_frame"] = feeder.last_frame_time
        if state["go"]:
            state["pos"] = pos + frames
        fed.append(state["pos"])  # WAV frames handed to JACK by the end of this cycle

    feeder.activate()
    source = MicSource(block_samples=256)
    analyzer = StreamingAnalyzer(sample_rate_hz=source.sample_rate_hz, channels=source.channels)
    _CLEANUP.append(source.close)
    source.start()
    for src, dst in zip(outs, _wait_ports(feeder, "PortAudio:in", 2)):
        feeder.connect(src, dst)
    captured, polls = [], []
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.5:  # lead-in of silence
        samples, t = source.poll()
        analyzer.process(samples)
        captured.append(samples)
        time.sleep(1.0 / POLL_HZ)
    state["go"] = True
    give_up = time.perf_counter() + len(wav) / RATE + 10.0
    end = give_up
    while time.perf_counter() < end:
        if state["pos"] >= len(wav) and end == give_up:  # all fed (a loaded server runs slow): a bit more
            end = time.perf_counter() + 0.3
        samples, t = source.poll()
        now = time.perf_counter()
        analyzer.process(samples)
        analyzer.snapshot(t)
        captured.append(samples)
        polls.append((now, t, feeder.frame_time))
        time.sleep(max(0.0, 1.0 / POLL_HZ - (time.perf_counter() - now)))
    stats, messages = source.stats(), source.messages()
    source.close()
    _release_portaudio()
    feeder.deactivate()
    feeder.close()
    cap = np.concatenate(captured)
    _, slope = log.frame_to_perf()
    poll_perf = np.array([p[0] for p in polls])
    n = min(len(fed), len(log.perf))
    return {"captured": cap[:, 0].tolist(), "onset_times_s": analyzer.events.onset_times_s,
            "onset_emitted_s": analyzer.events.onset_emitted_s, "beat_times_s": analyzer.events.beat_times_s,
            "tempo_bpm": analyzer.events.tempo_bpm[-1] if analyzer.events.tempo_bpm else 0.0,
            "poll_perf": poll_perf.tolist(), "poll_t": [p[1] for p in polls],
            "poll_jack_frame": [p[2] for p in polls],
            "cycle_perf": log.perf[:n], "cycle_fed": fed[:n],
            "jack_slope": slope, "stats": stats, "messages": messages}


def run_play(wav: np.ndarray, jack) -> dict:
    from reactor.audio.decode import AudioClip
    from reactor.audio.live import PlaybackSource

    listener = jack.Client("listener", no_start_server=True)
    ins = [listener.inports.register(f"in_{c}") for c in range(2)]
    log, chunks, lock = CycleLog(), [], threading.Lock()

    @listener.set_process_callback
    def process(frames):  # JACK thread: keep what PortAudio sent, with the cycle's first frame
        log.add(listener)
        with lock:
            chunks.append((listener.last_frame_time, log.perf[-1], ins[0].get_array().copy()))

    listener.activate()
    clip = AudioClip(samples=wav, sample_rate_hz=RATE, source="test")
    source = PlaybackSource(clip, block_samples=256)
    _CLEANUP.append(source.close)
    source.start()
    for src, dst in zip(_wait_ports(listener, "PortAudio:out", 2), ins):
        listener.connect(src, dst)
    got, polls = [], []
    give_up = time.perf_counter() + len(wav) / RATE + 10.0
    end = give_up
    while time.perf_counter() < end:
        if source.finished and end == give_up:  # heard to the end (a loaded server runs slow): a bit more
            end = time.perf_counter() + 0.3
        samples, t = source.poll()
        now = time.perf_counter()
        got.append(samples)
        polls.append((now, t, source.clock.error_s))
        time.sleep(max(0.0, 1.0 / POLL_HZ - (time.perf_counter() - now)))
    stats, messages, finished = source.stats(), source.messages(), source.finished
    source.close()
    _release_portaudio()
    listener.deactivate()
    listener.close()
    _, slope = log.frame_to_perf()
    with lock:  # what JACK took from PortAudio, cycle by cycle, with the perf time of each cycle start
        recorded = np.concatenate([c[2] for c in chunks])
        cycle_perf = np.repeat([c[1] for c in chunks], [len(c[2]) for c in chunks])
        cycle_perf += np.concatenate([np.arange(len(c[2])) for c in chunks]) / RATE
    return {"recorded": recorded.tolist(), "recorded_perf": cycle_perf.tolist(),
            "xrun_cycles": int(np.sum(np.diff([c[0] for c in chunks]) != PERIOD)),
            "poll_perf": [p[0] for p in polls], "poll_t": [p[1] for p in polls],
            "clock_error_s": [p[2] for p in polls],
            "returned": np.concatenate(got)[:, 0].tolist(),
            "jack_slope": slope, "stats": stats, "messages": messages, "finished": finished}


def run_lost(wav: np.ndarray, jack, server: Jackd) -> dict:
    from reactor.audio.live import MicSource

    source = MicSource(block_samples=256)
    _CLEANUP.append(source.close)
    source.start()
    polls = []
    t0 = time.perf_counter()
    stopped = None
    while time.perf_counter() - t0 < 3.5:
        if stopped is None and time.perf_counter() - t0 > 1.0:
            server.stop()  # the sound server goes away under a running stream
            stopped = time.perf_counter()
        samples, t = source.poll()
        polls.append((time.perf_counter(), t, len(samples), float(np.max(np.abs(samples))) if len(samples) else 0.0,
                      source.stats()["status"]))
        time.sleep(1.0 / POLL_HZ)
    messages = source.messages()
    source.close()
    _CLEANUP.clear()
    return {"stopped_perf": stopped, "poll_perf": [p[0] for p in polls], "poll_t": [p[1] for p in polls],
            "poll_n": [p[2] for p in polls], "poll_peak": [p[3] for p in polls], "poll_status": [p[4] for p in polls],
            "messages": messages, "sample_rate_hz": source.sample_rate_hz}


_CLEANUP: list = []  # source.close of a run that failed half-way


def _release_portaudio() -> None:
    """Let PortAudio leave the JACK server before it stops (it asserts otherwise)."""
    while _CLEANUP:
        _CLEANUP.pop()()
    if "sounddevice" in sys.modules:
        sd = sys.modules["sounddevice"]
        while sd._initialized:
            sd._terminate()


def main(argv: list[str]) -> int:
    mode, wav_path, out_path = argv
    wav = _load_wav(wav_path)
    server = Jackd()  # before sounddevice is imported
    try:
        import jack

        jack.set_error_function(lambda msg: None)
        if mode == "lost":
            result = run_lost(wav, jack, server)  # PortAudio must not be terminated after that
        else:
            result = (run_mic if mode == "mic" else run_play)(wav, jack)
            _release_portaudio()
    finally:
        if mode != "lost":
            _release_portaudio()
        server.stop()
    with open(out_path, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main(sys.argv[1:]))
