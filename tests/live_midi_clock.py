"""MIDI clock over real JACK MIDI between two processes: reactor's clock out sends, its clock in follows.

Usage (``test_midi_clock_jack.py`` runs it)::

    python tests/live_midi_clock.py receive OUT.json     # jackd, a virtual input, the sender process
    python tests/live_midi_clock.py send PORT SECONDS SEND.json
    python tests/live_midi_clock.py show OUT.json        # jackd, a virtual input, a show sending clock

``receive`` starts a private jackd (dummy driver, 128-frame periods, real-time scheduling as
JACK is run for music; without it, on a loaded machine, its cycles came late by up to 10 ms), opens the virtual input
``reactor_clock_in`` (its callback only stamps ``perf_counter`` and queues, as the show's MIDI
port does), and starts ``send`` in a second process, which opens that port by its full name and
runs ``MidiClockOut`` from a 60 fps loop publishing a 123 BPM grid. The receiver feeds the
queued messages to ``MidiClockIn`` once per 60 fps frame and samples it. Both write what they
measured; the test decides. Times are ``perf_counter`` (CLOCK_MONOTONIC: the same in both
processes). ``show`` runs a real show (offscreen, paced in real time, a 123 BPM grid leading)
with ``--midi-clock-out`` (its sender in a process of its own) to the virtual input, and records
each tick's arrival with the show's engine-to-perf_counter offset. Exit status 3: jackd could
not be started.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import time

BPM = 123.0
PORT = "reactor_clock_in"
JACK_PERIOD = 128
BACKEND = "mido.backends.rtmidi/UNIX_JACK"


def send(port_name: str, seconds: float, out_path: str) -> None:
    import mido

    from reactor.control.clock_out import MidiClockOut
    from reactor.control.tempo import FixedTempo

    lib = mido.Backend(BACKEND)
    out = MidiClockOut(port_name, open_port=lambda: lib.open_output(port_name), host_time=lambda t: t)
    t0 = time.perf_counter()
    tempo = FixedTempo(BPM, offset_s=t0 + 0.2)  # the show's leading grid, in perf_counter time
    out.poll(0.0)
    frame = 0
    while time.perf_counter() < t0 + seconds:  # a render loop at 60 fps, published after each frame
        now = time.perf_counter()
        bpm, phase, count = tempo(now)
        out.after_frame(_view(now, bpm, phase, count))
        frame += 1
        time.sleep(max(0.0, t0 + frame / 60.0 - time.perf_counter()))
    out.close()
    with open(out_path, "w") as f:
        json.dump({"bpm": BPM, "offset_s": tempo.offset_s, "sent": out.sent,
                   "late_s": [sent - due for kind, due, sent in out.sent if kind == "clock"],
                   "starts": sum(kind == "start" for kind, _, _ in out.sent)}, f)


def _view(now, bpm, phase, count):
    from types import SimpleNamespace

    return SimpleNamespace(time_s=now, scalars={"tempo_bpm": bpm, "beat_phase": phase, "beat_count": count,
                                                "bar_phase": ((count % 4) + phase) / 4.0, "beats_per_bar": 4.0})


def receive(out_path: str) -> None:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from tests.live_jack import Jackd

    jackd = Jackd(period=JACK_PERIOD, realtime=True)
    try:
        result = _receive(out_path)
    finally:
        jackd.stop()
    with open(out_path, "w") as f:
        json.dump(result, f)


def _receive(out_path: str) -> dict:
    import mido

    from reactor.control.clock import MidiClockIn

    lib = mido.Backend(BACKEND)
    inbox: queue.SimpleQueue = queue.SimpleQueue()
    port = lib.open_input(PORT, virtual=True, callback=lambda m: inbox.put((time.perf_counter(), m)))
    full_name = next(n for n in lib.get_output_names() if n.endswith(":" + PORT))
    send_json = out_path + ".send.json"
    seconds = 7.0
    sender = subprocess.Popen([sys.executable, os.path.abspath(__file__), "send", full_name, str(seconds), send_json],
                              env=dict(os.environ), stderr=subprocess.PIPE, text=True)
    clock = MidiClockIn()
    arrivals, samples, kinds = [], [], []
    t0 = time.perf_counter()
    frame = 0
    while sender.poll() is None and time.perf_counter() < t0 + seconds + 10:
        while True:  # the render thread's poll: drain what arrived, in order
            try:
                stamp, m = inbox.get_nowait()
            except queue.Empty:
                break
            clock.feed(m, stamp)
            kinds.append(m.type)
            if m.type == "clock":
                arrivals.append((stamp, clock.state))
        now = time.perf_counter()
        s = clock.sample(now)
        if s is not None and clock.state == "running":
            samples.append((now, s[0], s[2] + s[1], s[4]))
        frame += 1
        time.sleep(max(0.0, t0 + frame / 60.0 - time.perf_counter()))
    err = sender.stderr.read()
    port.close()
    if sender.returncode != 0:
        raise RuntimeError(f"sender failed ({sender.returncode}): {err[-2000:]}")
    with open(send_json) as f:
        sent = json.load(f)
    return {"sent": sent, "arrivals": arrivals, "samples": samples, "kinds": kinds,
            "final_state": clock.state, "jack_period": JACK_PERIOD}


def show(out_path: str) -> None:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from tests.live_jack import Jackd

    jackd = Jackd(period=JACK_PERIOD, realtime=True)
    try:
        result = _show()
    finally:
        jackd.stop()
    with open(out_path, "w") as f:
        json.dump(result, f)


def _show() -> dict:
    from types import SimpleNamespace

    import numpy as np

    from reactor.audio.paced import PacedSource
    from reactor.control.clock_out import MidiClockOut
    from reactor.control.tempo import FixedTempo
    from reactor.live.show import LiveOptions, Show
    from tests import signals

    class Lead:  # a tempo source that leads the show: a 123 BPM grid from engine time 0
        name = "grid"

        def tempo_sources(self):
            return [("midi", FixedTempo(BPM, offset_s=0.0))]

        def poll(self, now_s):
            return []

    listener = subprocess.Popen([sys.executable, os.path.abspath(__file__), "listen"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    full_name = listener.stdout.readline().strip()  # the gear: its own process, its input's full name
    if not full_name:
        raise RuntimeError(f"listener failed: {listener.stderr.read()[-2000:]}")
    out = MidiClockOut(full_name, backend=BACKEND)
    clicks = signals.clicks(np.arange(0.1, 8.0, 0.6), duration_s=8.0, channels=2, amplitude=0.8)
    source = PacedSource(SimpleNamespace(samples=clicks, sample_rate_hz=signals.SR))
    opt = LiveOptions(presets=("scope",), width_px=160, height_px=90, fps=30.0, frames=100, offscreen=True,
                      watch=False, hud=False)
    show = Show(opt, source, surfaces=[Lead(), out])
    stats = show.run()
    arrivals = json.loads(listener.communicate(timeout=10)[0])
    return {"arrivals": arrivals, "offset_s": show.host_time_s(0.0), "bpm": BPM,
            "stats": {k: v for k, v in stats.items() if k.startswith("midi_clock_out") or k in (
                "tempo_source", "errors", "fps", "frames")}}


def listen() -> None:
    """Gear on the other end: print the input's full name, record arrivals until ``stop``."""
    import mido

    lib = mido.Backend(BACKEND)
    arrivals = []
    port = lib.open_input(PORT, virtual=True, callback=lambda m: arrivals.append((m.type, time.perf_counter())))
    print(next(n for n in lib.get_output_names() if n.endswith(":" + PORT)), flush=True)
    t0 = time.perf_counter()
    while not (arrivals and arrivals[-1][0] == "stop") and time.perf_counter() < t0 + 60:
        time.sleep(0.05)
    port.close()
    print(json.dumps(arrivals), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "listen":
        listen()
    elif sys.argv[1] == "show":
        show(sys.argv[2])
    elif sys.argv[1] == "send":
        send(sys.argv[2], float(sys.argv[3]), sys.argv[4])
    else:
        receive(sys.argv[2])
