"""MIDI input over JACK between processes: latency, timing error, throughput, mapping cost.

    python benchmarks/bench_midi.py [--messages 400] [--json PATH]

A private JACK server (dummy driver) and a controller process with a virtual output port
(``tests/midi_jack.py send``) that sends CC sweeps, noting ``perf_counter`` before each send (one
clock for every process on Linux). Two receivers listen to the same port at once, both drained at
60 Hz as a show's render thread would:

- **reactor**: ``PortSet`` (rtmidi callback that only stamps the arrival time and queues);
- **mido polled**: ``mido`` ``open_input`` + ``iter_pending()`` at each frame, the plain way, where
  a message's time is only known as the frame that found it.

Columns: *time error* = the time each receiver gives a message minus when it was sent (median,
p99, max), *delivered* (of those sent, paced sweep and a burst sent as fast as the port takes
them), burst *msgs/s* at the receiver. Then the profile mapping's own cost on the render thread.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _stats(errors) -> tuple[float, float, float]:
    e = 1e3 * np.asarray(errors)
    return float(np.median(e)), float(np.percentile(e, 99)), float(np.max(e))


def run(messages: int) -> dict:
    from tests.live_jack import Jackd

    server = Jackd()
    try:
        import mido

        from reactor.control.midi_ports import PortSet
        from tests.midi_jack import PORT, Sender

        sender = Sender()
        ports = PortSet(["nanokeys"], api="jack", scan_s=0.1)
        ports.start()
        backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK")
        name = next(n for n in backend.get_input_names() if PORT in n)
        plain = backend.open_input(name)
        ports.ready.wait(5.0)
        while not ports.open_ports():
            time.sleep(0.01)
        got_r, got_m, stop = [], [], threading.Event()

        def frames() -> None:  # a 60 Hz render thread draining both
            while not stop.is_set():
                now = time.perf_counter()
                got_r.extend((m.control, m.value, stamp) for _, m, stamp in ports.drain())
                got_m.extend((m.control, m.value, now) for m in plain.iter_pending())
                time.sleep(max(0.0, 1 / 60 - (time.perf_counter() - now)))

        loop = threading.Thread(target=frames)
        loop.start()
        time.sleep(0.2)
        sent = []
        for k in range(max(1, messages // 128)):
            sent += sender.ask(f"sweep {0 if k % 2 == 0 else 127} {127 if k % 2 == 0 else 0} 2")
        time.sleep(0.3)
        burst = sender.ask("burst 1000")
        time.sleep(1.0)
        stop.set()
        loop.join()
        sender.quit()
        plain.close()
        ports.close()
    finally:
        server.stop()
    rows = {}
    for label, got in (("reactor (stamped callback)", got_r), ("mido polled at 60 Hz", got_m)):
        sweep = [g for g in got if g[0] == 74]
        n = min(len(sweep), len(sent))
        err = [sweep[i][2] - sent[i][1] for i in range(n)]
        b = [g for g in got if g[0] == 75]
        span = (b[-1][2] - b[0][2]) if len(b) > 1 else float("nan")
        med, p99, mx = _stats(err)
        rows[label] = {"error_ms_p50": med, "error_ms_p99": p99, "error_ms_max": mx, "sweep_sent": len(sent),
                       "sweep_got": len(sweep), "burst_sent": len(burst), "burst_got": len(b),
                       "burst_msgs_per_s": len(b) / span if span > 0 else float("nan")}
    rows["mapping"] = _mapping_cost()
    return rows


def _mapping_cost(n: int = 20000) -> dict:
    """Render-thread cost of the profile mapping (soft takeover, cc source, coalescing) per message."""
    import mido

    from reactor.control.midi_map import Context, Mapper
    from reactor.control.midi_profile import load_profile
    from reactor.presets import ParamSpec

    mapper = Mapper(load_profile("generic-8x8"))
    params = {p: ParamSpec(default=0.5) for p in ("hue", "intensity", "speed", "zoom", "glow", "spin")}
    ctx = Context("tunnel", params, lambda name: params[name].default if name in params else None)
    msgs = [(mido.Message("control_change", control=1 + i % 8, value=i % 128), 0.0) for i in range(n)]
    t0 = time.perf_counter()
    for i in range(0, n, 50):  # 50 messages a frame
        mapper.handle(msgs[i:i + 50], i / 50 / 60, ctx)
    dt = time.perf_counter() - t0
    return {"messages": n, "us_per_message": 1e6 * dt / n}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=384, help="CCs in the paced sweeps (2 ms apart)")
    ap.add_argument("--json", metavar="PATH", help="save the numbers")
    args = ap.parse_args()
    rows = run(args.messages)
    print(f"{'receiver':<28} {'err p50 ms':>10} {'p99':>7} {'max':>7} {'sweep':>9} {'burst':>10} {'burst msg/s':>11}")
    for label, r in rows.items():
        if label == "mapping":
            continue
        print(f"{label:<28} {r['error_ms_p50']:>10.2f} {r['error_ms_p99']:>7.2f} {r['error_ms_max']:>7.2f} "
              f"{r['sweep_got']:>4}/{r['sweep_sent']:<4} {r['burst_got']:>5}/{r['burst_sent']:<4} "
              f"{r['burst_msgs_per_s']:>11.0f}")
    m = rows["mapping"]
    print(f"profile mapping on the render thread: {m['us_per_message']:.1f} us per message ({m['messages']} CCs)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
