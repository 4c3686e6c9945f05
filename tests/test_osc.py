"""OSC control in and feature stream out, over real UDP on the loopback interface.

A python-osc client sends ``/reactor/...`` messages into an offscreen show (the demo track on a
frame-stepped clock) and a python-osc server receives the feature stream: each beat once, in the
frame that shows it; bad messages become notices and the show goes on.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

pytest.importorskip("pythonosc")

from pythonosc.dispatcher import Dispatcher  # noqa: E402
from pythonosc.osc_server import ThreadingOSCUDPServer  # noqa: E402
from pythonosc.udp_client import SimpleUDPClient  # noqa: E402

from reactor.control import osc  # noqa: E402
from reactor.errors import UsageError  # noqa: E402
from tests.test_live_actions import FrameClock  # noqa: E402

FPS = 30.0


class Receiver:
    """A lighting desk: a python-osc server on loopback recording (address, args, engine time)."""

    def __init__(self, stamp):
        self.stamp, self.got, self.lock = stamp, [], threading.Lock()
        d = Dispatcher()
        d.set_default_handler(self._on)
        self.server = ThreadingOSCUDPServer(("127.0.0.1", 0), d)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _on(self, address, *args):
        with self.lock:
            self.got.append((address, args, self.stamp()))

    def count(self):
        with self.lock:
            return len(self.got)

    def of(self, address):
        with self.lock:
            return [(a, t) for addr, a, t in self.got if addr == address]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Stepper:
    """Advances the engine clock one frame per poll, sends the planned OSC messages, and waits for
    UDP delivery both ways so the test does not depend on thread scheduling."""

    name = "stepper"

    def __init__(self, clock, client, control, feed, receiver, plan):
        self.clock, self.client, self.control, self.feed, self.rx = clock, client, control, feed, receiver
        self.plan, self.frame, self.views, self.sent_at = plan, 0, [], []

    def poll(self, now_s):
        _wait(lambda: self.rx.count() >= self.feed.sent)  # last frame's stream has landed
        self.frame += 1
        self.clock.t = self.frame / FPS
        for address, *args in self.plan.get(self.frame, []):
            self.sent_at.append(time.perf_counter())
            self.client.send_message(address, args)
        if self.frame in self.plan:
            _wait(lambda: self.control.inbox.qsize() >= len(self.plan[self.frame]))
        return []

    def after_frame(self, view):
        self.views.append(view)


def _wait(cond, timeout_s=2.0):
    end = time.perf_counter() + timeout_s
    while not cond() and time.perf_counter() < end:
        time.sleep(0.0002)


def test_osc_round_trip_on_loopback():
    from reactor.audio.clips import load_clip
    from reactor.audio.paced import PacedSource
    from reactor.live.show import LiveOptions, Show

    frames = 360
    clock = FrameClock()
    rx = Receiver(lambda: stepper.frame)  # received during which frame
    control = osc.OscControl(host="127.0.0.1", port=0)
    feed = osc.OscFeed([("127.0.0.1", rx.port)])
    client = SimpleUDPClient("127.0.0.1", control.port)
    plan = {
        30: [("/reactor/preset", "tunnel")],
        40: [("/reactor/param/speed", 2.5), ("/reactor/flash", 0.8)],
        50: [("/reactor/preset",), ("/reactor/fade", "long"), ("/reactor/bogus", 1), ("/reactor/param/nope", 1.0)],
        60: [("/reactor/blackout", 1)],
        90: [("/reactor/blackout", 0), ("/reactor/cut", 0)],
    }
    stepper = Stepper(clock, client, control, feed, rx, plan)
    source = PacedSource(load_clip(None, demo=True, duration_s=frames / FPS + 1), clock=clock)
    opt = LiveOptions(presets=("scope", "tunnel"), width_px=64, height_px=36, fps=FPS, frames=frames,
                      offscreen=True, unpaced=True, watch=False, hud=False, fade_s=0.0, quantize="now")
    show = Show(opt, source, surfaces=[stepper, control, feed])
    try:
        stats = show.run()
    finally:
        rx.close()
    assert stats["frames"] == frames
    # control in: the preset by name, then a cut back by index; a parameter; a flash; blackout on/off
    events = stats["events"]
    assert any("preset -> tunnel" in e for e in events) and stats["preset"] == "scope"
    assert show.overrides.params.get("speed") == 2.5
    assert stats["flashes"] == 1
    assert not show.blackout
    # four bad messages, four notices, no error and the show went on
    bad = [m for m in show.messages if m.startswith("OSC ")]
    assert len(bad) == 4 and stats["osc_bad_messages"] == 4, bad
    assert any("/reactor/preset: wants 1 argument, got 0" in m for m in bad)
    assert any("/reactor/fade: wants a number" in m for m in bad)
    assert any("/reactor/bogus: unknown address" in m for m in bad)
    assert any("no parameter 'nope'" in m for m in bad)
    assert stats["errors"] == []
    assert stats["osc_received"] == 10
    # stream out: each beat once, received in the frame whose picture showed it
    shown = [b for v in stepper.views for b in v.beats]
    beats = rx.of("/reactor/beat")
    assert len(shown) >= 8 and len(beats) == len(shown)
    counts = [a[0] for a, _ in beats]
    assert counts == list(range(counts[0], counts[0] + len(counts)))
    frame_of_beat = [i + 1 for i, v in enumerate(stepper.views) for _ in v.beats]
    assert [f for _, f in beats] == frame_of_beat
    # ... and that frame is at the beat or just after it (the tracker may re-date a beat by a few
    # tens of ms as its phase settles: within three frames, most within one and a half)
    lags = [v.time_s - b for v in stepper.views for b in v.beats]
    assert min(lags) >= -1e-9 and max(lags) < 3.0 / FPS and np.median(lags) < 1.5 / FPS, lags
    bpm = np.median([a[0] for a, _ in rx.of("/reactor/tempo")][-60:])
    assert np.median(np.diff(shown)[-8:]) == pytest.approx(60.0 / bpm, rel=0.05)  # once the tempo settled
    # bar positions cycle 1..beats per bar
    pos = [a[1] for a, _ in beats]
    assert set(pos) <= set(range(1, beats[0][0][2] + 1)) and len(set(pos)) > 1
    # per-frame stream: tempo, bands (six), level; preset on change
    assert len(rx.of("/reactor/tempo")) == frames
    assert all(len(a) == 6 for a, _ in rx.of("/reactor/bands"))
    assert len(rx.of("/reactor/band/bass")) == frames
    presets = [a[0] for a, _ in rx.of("/reactor/preset")]
    assert presets[0] == "scope" and "tunnel" in presets and presets[-1] == "scope"
    assert next(f for a, f in rx.of("/reactor/preset") if a[0] == "tunnel") == 30
    assert len(rx.of("/reactor/onset")) >= 5
    # every address sent is in the documented address space, and each documented one was sent
    from reactor.features import BAND_NAMES

    documented = {a for a in osc.OUT_ADDRESSES if "<" not in a} | {f"/reactor/band/{b}" for b in BAND_NAMES}
    sent = {addr for addr, _, _ in rx.got}
    assert sent == documented, sent ^ documented


def _control():
    c = osc.OscControl(host="127.0.0.1", port=0)
    return c


@pytest.mark.parametrize("address,args,notice", [
    ("/reactor/preset", (1.5,), "slot index must be a whole number"),
    ("/reactor/flash", (3.0,), "3 is outside 0..1"),
    ("/reactor/quantize", ("soon",), "wants now, beat or bar"),
    ("/reactor/fade", (float("nan"),), "finite"),
    ("/reactor/trigger/a b", (), "unknown address"),
    ("/other/preset", ("x",), "not a /reactor/ address"),
    ("/reactor/flash/x", (), "did you mean /reactor/flash"),
    (osc._MALFORMED, (7,), "not OSC (7 bytes)"),
])
def test_bad_messages_are_one_notice_each_never_an_exception(address, args, notice):
    c = _control()
    try:
        c.inbox.put((address, args, time.perf_counter()))
        c.inbox.put((address, args, time.perf_counter()))  # the same mistake again: counted, not repeated
        assert c.poll(1.0) == []
        notes = c.notices()
        assert len(notes) == 1 and notice in notes[0] and "\n" not in notes[0]
        assert c.stats()["osc_bad_messages"] == 2
    finally:
        c.close()


def test_good_messages_become_actions():
    c = _control()
    try:
        now = time.perf_counter()
        for msg in [("/reactor/preset", (2,)), ("/reactor/preset", ("kaleido",)), ("/reactor/tap", ()),
                    ("/reactor/trigger/kick", (0.5,)), ("/reactor/control/fader1", (0.25,)),
                    ("/reactor/freeze", ()), ("/reactor/freeze", (1,)), ("/reactor/param/hue/clear", ()),
                    ("/reactor/next/", ())]:
            c.inbox.put((*msg, now - 0.010))
        acts = c.poll(5.0)
        waited = time.perf_counter() - now  # the packets "arrived" 10 ms before ``now``
        assert [(a.name, a.arg) for a in acts] == [
            ("preset", 2), ("preset", "kaleido"), ("tap", None), ("trigger", "kick"), ("control", "ctl:fader1"),
            ("freeze", None), ("freeze_on", None), ("param_clear", "hue"), ("next", None)]
        assert 5.0 - 0.010 - waited - 1e-6 <= acts[2].time_s <= 5.0 - 0.010 + 1e-6  # tap dated when it arrived
        assert all(a.origin == "osc" for a in acts) and c.notices() == []
    finally:
        c.close()


def test_every_documented_control_address_is_understood():
    samples = {"s or i": ("tunnel",), "f": (0.25,), "[f]": (), "s": ("bar",), "[i or f]": (1,), "": ()}
    c = _control()
    try:
        for address, (types, _) in osc.IN_ADDRESSES.items():
            c.inbox.put((address.replace("<name>", "hue"), samples[types], 0.0))
        acts = c.poll(0.0)
        assert c.notices() == [] and len(acts) == len(osc.IN_ADDRESSES)
        from reactor.control.actions import ACTIONS

        assert {a.name for a in acts} <= ACTIONS
    finally:
        c.close()


def test_the_readme_tables_are_the_address_space():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert osc.in_markdown() in readme, "README's OSC control table is stale: paste reactor.control.osc.in_markdown()"
    assert osc.out_markdown() in readme, "README's OSC stream table is stale: paste reactor.control.osc.out_markdown()"


def test_a_flood_of_distinct_bad_addresses_is_capped():
    c = _control()
    try:
        for i in range(500):
            c.inbox.put((f"/reactor/x{i}", (), 0.0))
        c.poll(0.0)
        notes = c.notices()
        assert len(notes) == osc.MAX_DISTINCT_NOTICES + 1 and "counted" in notes[-1]
        assert c.stats()["osc_bad_messages"] == 500
    finally:
        c.close()


def test_flags_parse_and_a_port_in_use_is_one_line():
    from reactor.cli import build_parser

    args = build_parser().parse_args(["live", "--osc-out", "9123", "--osc-out", "127.0.0.1:9124"])
    (feed,) = osc.surfaces_from_args(args)
    assert [t[2] for t in feed.targets] == ["127.0.0.1:9123", "127.0.0.1:9124"]
    feed.close()
    c = _control()
    try:
        args = build_parser().parse_args(["live", "--osc-in", f"127.0.0.1:{c.port}"])
        with pytest.raises(UsageError, match=r"--osc-in 127.0.0.1:\d+: cannot listen"):
            osc.surfaces_from_args(args)
    finally:
        c.close()
    with pytest.raises(UsageError, match="port must be 1..65535"):
        osc.parse_endpoint("70000", "--osc-out", default_host="127.0.0.1")
