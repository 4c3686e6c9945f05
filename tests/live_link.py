"""Two reactor processes in one Ableton Link session (``test_link.py`` runs it).

Usage, inside a private network namespace (so Link's multicast stays on its loopback)::

    python tests/live_link.py pair OUT.json   # checks multicast, runs the three peers at once, collects
    python tests/live_link.py lead STOPFILE OUT.json
    python tests/live_link.py session OUT.json | show OUT.json

``lead`` is a reactor whose tempo comes from elsewhere (a 123 BPM grid, as from a MIDI clock):
its ``LinkSession`` publishes each 60 fps frame to the session and it records the session's
beat at each frame, until STOPFILE appears. ``session`` is a second reactor's Link tempo source
behind its arbiter (tempo source auto), sampled at 60 fps for 4 s once it has a peer. ``show``
runs a real show (offscreen window, the demo track against perf_counter, ``--link``, auto)
and records, per frame, the beat the picture shows and when it is seen (``show.host_time_s``).
Times are perf_counter in all processes. Exit status 4: multicast does not work on this
loopback (the reason is printed).
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time

BPM = 123.0
GROUP, PROBE_PORT = "224.76.78.75", 20809  # Link's group, a port beside Link's own (20808)


def multicast_probe() -> str | None:
    """None when the loopback can carry Link's discovery: it has the MULTICAST flag (without it
    discovery was unreliable here: one peer saw the other and not back) and a datagram sent to
    Link's group comes back to a member socket; else the reason."""
    import fcntl

    try:  # SIOCGIFFLAGS (sysfs would show the flags of the namespace that mounted it)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            req = fcntl.ioctl(s, 0x8913, struct.pack("16sh14x", b"lo", 0))
        flags = struct.unpack("16sh14x", req)[1]
    except OSError as exc:
        return f"cannot read the loopback's flags: {exc}"
    if not flags & 0x1000:  # IFF_MULTICAST
        return f"the loopback has no MULTICAST flag (flags {flags:#x}; 'ip link set lo multicast on' failed)"
    try:
        rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        rx.bind(("", PROBE_PORT))
        rx.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                      struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton("127.0.0.1")))
        rx.settimeout(1.0)
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
        tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        tx.sendto(b"reactor-probe", (GROUP, PROBE_PORT))
        data, _ = rx.recvfrom(64)
        return None if data == b"reactor-probe" else f"multicast probe got {data!r}"
    except OSError as exc:
        return f"multicast on the loopback does not work: {exc}"


def lead(stop_file: str, out_path: str) -> None:
    from types import SimpleNamespace

    from reactor.control.link import LinkSession
    from reactor.control.tempo import FixedTempo

    session = LinkSession(bpm=100.0, host_time=lambda t: t)
    session.start()
    t0 = time.perf_counter()
    grid = FixedTempo(BPM, offset_s=t0)
    rows, frame = [], 0
    while not os.path.exists(stop_file) and time.perf_counter() < t0 + 90.0:
        session.poll(0.0)
        now = time.perf_counter()
        bpm, phase, count = grid(now)
        session.after_frame(SimpleNamespace(time_s=now, tempo_source="midi", scalars={
            "tempo_bpm": bpm, "beat_phase": phase, "beat_count": count,
            "bar_phase": ((count % 4) + phase) / 4.0, "beats_per_bar": 4.0}))
        link_bpm, beat, _ = session.beats(now)
        rows.append((now, link_bpm, beat, session.peers))
        frame += 1
        time.sleep(max(0.0, t0 + frame / 60.0 - time.perf_counter()))
    stats = session.stats()
    session.close()
    with open(out_path, "w") as f:
        json.dump({"rows": rows, "grid_offset_s": grid.offset_s, "stats": stats}, f)


class Recorder:
    """A surface that records what each frame showed and when it is seen."""

    name = "recorder"

    def __init__(self):
        self.rows = []
        self.show = None

    def attach(self, show):
        self.show = show

    def poll(self, now_s):
        return []

    def after_frame(self, view):
        s = view.scalars
        self.rows.append((self.show.host_time_s(view.time_s), float(s["tempo_bpm"]),
                          float(s["beat_count"]) + float(s["beat_phase"]), float(s["bar_phase"]), view.tempo_source,
                          self.show.arbiter.label))


def follow_session(out_path: str) -> None:
    from reactor.control.actions import TempoArbiter
    from reactor.control.link import LinkSession

    session = LinkSession(host_time=lambda t: t)
    session.start()
    arbiter = TempoArbiter([("link", session)])
    t0 = time.perf_counter()
    while session.peers == 0 and time.perf_counter() < t0 + 15.0:
        session.poll(0.0)
        time.sleep(0.02)
    joined = time.perf_counter()
    rows, frame = [], 0
    while time.perf_counter() < joined + 4.0:
        session.poll(0.0)
        now = time.perf_counter()
        s = arbiter(now)
        rows.append((now, s[0], s[2] + s[1], (s[4] + s[1]) / s[3], arbiter.leader) if s else
                    (now, 0.0, 0.0, 0.0, arbiter.leader))
        frame += 1
        time.sleep(max(0.0, joined + frame / 60.0 - time.perf_counter()))
    stats = session.stats()
    session.close()
    with open(out_path, "w") as f:
        json.dump({"rows": rows, "join_s": joined - t0, "stats": stats}, f)


def follow_show(out_path: str) -> None:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    seconds = 4.0
    from types import SimpleNamespace

    import numpy as np

    from reactor.audio.paced import PacedSource
    from tests import signals
    from reactor.control.link import LinkSession
    from reactor.live.show import LiveOptions, Show

    fps = 30.0
    rec = Recorder()
    # 100 BPM clicks (the detector's tempo before Link leads), made here: quicker than the demo track
    clip = SimpleNamespace(samples=signals.clicks(np.arange(0.1, seconds + 2, 0.6), duration_s=seconds + 2,
                                                  channels=2, amplitude=0.8), sample_rate_hz=signals.SR)
    source = PacedSource(clip)
    opt = LiveOptions(presets=("scope",), width_px=160, height_px=90, fps=fps, frames=int(seconds * fps),
                      offscreen=True, watch=False, hud=False)
    show = Show(opt, source, surfaces=[LinkSession(), rec])
    stats = show.run()
    with open(out_path, "w") as f:
        json.dump({"rows": rec.rows, "stats": {k: stats.get(k) for k in (
            "frames", "tempo_source", "tempo_bpm", "link_peers", "link_tempo_sets", "errors", "fps")}}, f)


def pair(out_path: str) -> None:
    why = multicast_probe()
    if why is not None:
        print(why, file=sys.stderr)
        sys.exit(4)
    here = os.path.abspath(__file__)
    names = ("lead", "session", "show")
    paths = [f"{out_path}.{name}.json" for name in names]
    stop = out_path + ".stop"
    procs = [subprocess.Popen([sys.executable, here, "lead", stop, paths[0]], stderr=subprocess.PIPE, text=True)]
    procs += [subprocess.Popen([sys.executable, here, name, path], stderr=subprocess.PIPE, text=True)
              for name, path in zip(names[1:], paths[1:])]
    try:
        errs = [None] + [p.communicate(timeout=80)[1] for p in procs[1:]]
    finally:
        open(stop, "w").close()
    errs[0] = procs[0].communicate(timeout=20)[1]
    for p, e in zip(procs, errs):
        if p.returncode != 0:
            raise RuntimeError(f"peer failed ({p.returncode}): {e[-2000:]}")
    result = {}
    for name, path in zip(names, paths):
        with open(path) as f:
            result[name] = json.load(f)
    with open(out_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    if sys.argv[1] == "pair":
        pair(sys.argv[2])
    elif sys.argv[1] == "lead":
        lead(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "session":
        follow_session(sys.argv[2])
    else:
        follow_show(sys.argv[2])
