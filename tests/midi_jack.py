"""MIDI between processes over a private JACK server (dummy driver): a controller in one process,
reactor in another.

Usage (``tests/test_midi_jack.py`` runs it in a subprocess)::

    python tests/midi_jack.py show OUT.json      # CC sweeps into an offscreen show; the port vanishes and
                                                 # returns; then its MIDI clock leads the tempo and stops
    python tests/midi_jack.py monitor OUT.json   # reactor midi-monitor and reactor devices see the controller
    python tests/midi_jack.py send NAME          # (internal) the controller: a virtual output port NAME

The controller is a separate process with a virtual JACK MIDI output named like a device
(``nanoKEYS ctl``); reactor opens it by a part of its name, as it would a USB controller. Killing
that process makes the port vanish; starting it again brings it back. Each mode writes what it
measured to OUT.json (send and arrival times are both ``perf_counter``, one clock for every
process on Linux); the test decides what is right. Exit status 3: jackd could not be started.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

PORT = "nanoKEYS ctl"
CC = 74


def run_sender(name: str) -> int:
    """The controller: reads commands on stdin, answers each with one JSON line of send times."""
    import mido

    out = mido.Backend("mido.backends.rtmidi/UNIX_JACK").open_output(name, virtual=True)
    print("ready", flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        sent = []
        if cmd[0] == "sweep":  # sweep a b delay_ms: CC 74 from a to b, one value every delay_ms
            a, b, delay = int(cmd[1]), int(cmd[2]), float(cmd[3]) / 1000.0
            for v in range(a, b + (1 if b >= a else -1), 1 if b >= a else -1):
                sent.append((v, time.perf_counter()))
                out.send(mido.Message("control_change", control=CC, value=v))
                time.sleep(delay)
        elif cmd[0] == "burst":  # burst n: n CCs on controller 75 as fast as the port takes them
            for i in range(int(cmd[1])):
                sent.append((i % 128, time.perf_counter()))
                out.send(mido.Message("control_change", control=75, value=i % 128))
        elif cmd[0] == "clock":  # clock bpm seconds: start, then 24 ticks a beat on time, then stop
            period, end = 60.0 / float(cmd[1]) / 24.0, float(cmd[2])
            out.send(mido.Message("start"))
            t0 = time.perf_counter()
            k = 0
            while k * period < end:
                while time.perf_counter() < t0 + k * period:
                    time.sleep(0.0005)
                sent.append((k, time.perf_counter()))
                out.send(mido.Message("clock"))
                k += 1
            out.send(mido.Message("stop"))
        elif cmd[0] == "kinds":  # one message of each kind the monitor prints
            for msg in (mido.Message("control_change", channel=2, control=7, value=99),
                        mido.Message("note_on", note=36, velocity=100), mido.Message("program_change", program=3),
                        mido.Message("pitchwheel", pitch=-8192), mido.Message("aftertouch", value=20)):
                out.send(msg)
                sent.append((msg.type, time.perf_counter()))
                time.sleep(0.01)
        print(json.dumps(sent), flush=True)
    out.close()
    return 0


class Sender:
    """The controller process (started and stopped by the receiver's side of the test)."""

    def __init__(self, name: str = PORT) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "send", name], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def ask(self, command: str) -> list:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def quit(self) -> None:
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=10)


def _wait(predicate, timeout_s: float = 10.0, what: str = "") -> float:
    end = time.perf_counter() + timeout_s
    while time.perf_counter() < end:
        if predicate():
            return time.perf_counter()
        time.sleep(0.005)
    raise RuntimeError(f"timed out waiting for {what}")


def _steady(rows, span_s: float = 1.0, gap_s: float = 0.25) -> bool:
    """The last ``span_s`` of frames came without a gap over ``gap_s``."""
    if len(rows) < 10 or rows[-1][0] - rows[0][0] < span_s:
        return False
    recent = [r[0] for r in rows if r[0] >= rows[-1][0] - span_s]
    return len(recent) > 5 and max(b - a for a, b in zip(recent, recent[1:])) < gap_s and \
        time.perf_counter() - rows[-1][0] < gap_s


class Recorder:
    """A surface that notes, each frame, the override and route source the knob drives."""

    name = "recorder"

    def __init__(self) -> None:
        self.show = None
        self.rows: list[tuple] = []  # perf, speed override, cc:1:74, tempo leader, tempo_bpm
        self.quit = threading.Event()

    def attach(self, show) -> None:
        self.show = show

    def poll(self, now_s):
        o = self.show.overrides
        f = self.show._features.scalars if self.show._features is not None else {}
        self.rows.append((time.perf_counter(), o.params.get("speed"), o.controls.get(f"cc:1:{CC}"),
                          self.show.arbiter.leader, float(f.get("tempo_bpm", 0.0))))
        from reactor.control.actions import Action

        return [Action("quit")] if self.quit.is_set() else []


def run_show(tmp: str) -> dict:
    from reactor.audio.clips import load_clip
    from reactor.audio.paced import PacedSource
    from reactor.control.midi import MidiPorts
    from reactor.control.midi_profile import load_profile
    from reactor.live.show import LiveOptions, Show

    profile_path = os.path.join(tmp, "knobs.toml")
    with open(profile_path, "w") as f:
        f.write(f'name = "knobs"\n[[cc]]\ncc = {CC}\nparam = "speed"\n')
    from reactor.control.clock import MidiClockIn

    midi = MidiPorts(["nanokeys"], api="jack", profile=load_profile(profile_path), scan_s=0.1, clock=MidiClockIn())
    arrivals: list[tuple[int, int, float]] = []
    drain = midi.ports.drain

    def drain_and_note():  # the arrival stamps, for latency (the surface itself only dates messages)
        got = drain()
        arrivals.extend((m.control, m.value, stamp) for _, m, stamp in got if m.type == "control_change")
        return got

    midi.ports.drain = drain_and_note
    rec = Recorder()
    source = PacedSource(load_clip(None, demo=True, duration_s=10.0), loop=True)
    opt = LiveOptions(presets=("tunnel",), width_px=160, height_px=90, fps=60.0, frames=60 * 90, offscreen=True,
                      watch=False, hud=False)
    show = Show(opt, source, surfaces=[midi, rec])
    sender = Sender()
    plan: dict = {}

    def conduct() -> None:
        try:
            # a cold Numba cache can still compile a kernel variant in the first frames (seconds on
            # a loaded machine); the knob is turned once the show runs steadily
            _wait(lambda: midi.ports.open_ports() and _steady(rec.rows), 90.0, "the port and a steady show")
            plan["up"] = sender.ask("sweep 0 127 4")
            time.sleep(0.3)
            plan["unplug"] = time.perf_counter()
            sender.quit()
            plan["lost"] = _wait(lambda: not midi.ports.open_ports(), 5.0, "the port to vanish")
            time.sleep(0.5)  # the show runs on with no controller
            again = Sender()
            plan["back"] = _wait(lambda: midi.ports.open_ports(), 5.0, "the port to come back")
            plan["down"] = again.ask("sweep 127 0 4")
            time.sleep(0.3)
            plan["burst"] = again.ask("burst 300")
            time.sleep(0.5)
            # the controller's clock (a DAW's, say) at 123 BPM leads the tempo, then stops
            plan["clock"] = again.ask("clock 123 4")
            time.sleep(1.0)
            again.quit()
        except Exception as exc:  # the test reads it from the output
            plan["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            rec.quit.set()

    conductor = threading.Thread(target=conduct, daemon=True)
    conductor.start()
    stats = show.run()
    conductor.join(timeout=10)
    return {"stats": stats, "messages": show.messages, "rows": rec.rows, "plan": plan, "arrivals": arrivals}


def run_monitor(tmp: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sender = Sender("padKONTROL x")
    devices = subprocess.run([sys.executable, "-m", "reactor", "devices", "--json", "--midi-api", "jack"],
                             capture_output=True, text=True, env=env, timeout=60)
    mon = subprocess.Popen([sys.executable, "-m", "reactor", "midi-monitor", "padkontrol", "--midi-api", "jack",
                            "--count", "5", "--seconds", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=env)
    lines = []
    for line in mon.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("# MIDI port") and line.rstrip().endswith("open"):
            break
    sent = sender.ask("kinds")
    lines += [line.rstrip("\n") for line in mon.stdout]
    rc = mon.wait(timeout=30)
    sender.quit()
    return {"devices": devices.stdout, "devices_rc": devices.returncode, "lines": lines, "rc": rc,
            "stderr": mon.stderr.read()[-2000:], "sent": sent}


def main(argv: list[str]) -> int:
    if argv[0] == "send":
        return run_sender(argv[1])
    mode, out_path = argv
    from tests.live_jack import Jackd

    server = Jackd()
    try:
        result = (run_show if mode == "show" else run_monitor)(os.path.dirname(os.path.abspath(out_path)))
    finally:
        server.stop()
    with open(out_path, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main(sys.argv[1:]))
