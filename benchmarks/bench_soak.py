"""Soak: the full live loop of an installation for hours of engine time, in minutes.

    LP_NUM_THREADS=1 nice python benchmarks/bench_soak.py [--hours 3] [--fps 5] [--size 64x36] [--hold-s 60]
                                         [--reload-every-s 900] [--samples 7] [--max-wall-min 14]

(``LP_NUM_THREADS=1``: at this tiny size one llvmpipe thread is faster than two on a shared
machine, 21 against 25 ms a frame here.)

The real show (``Show``, offscreen EGL framebuffer, unpaced) on a frame-stepped clock: each frame
advances the engine clock by ``1 / fps`` seconds, so an hour of music passes in a few minutes.
A Freedoom song loops as the sound (the demo track without freedoom); a time playlist rotates
through four presets every ``--hold-s``; OSC is live both ways over loopback UDP (a python-osc
client sends a flash, a fader and a parameter every few seconds and a preset change now and
then, a python-osc server receives the whole feature stream); every ``--reload-every-s`` a
preset file is saved broken, then fixed (hot reload: the error, then the recompile).

It prints a table of resident memory (``VmRSS``), Python objects, the show's growing lists and
live GL objects at evenly spaced points. GL objects are counted twice: by moderngl's Python
objects created and not released (patched factory and ``release`` methods), and by asking the
driver (``glIsTexture``, ``glIsBuffer``, ``glIsFramebuffer``, ``glIsProgram``,
``glIsVertexArray`` over the names in use), which also catches objects dropped without release.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PRESETS = ("tunnel", "kaleido", "rings", "scope")


# -- GL object counts ------------------------------------------------------------------------------

class GLCounter:
    """Live moderngl objects by kind (created by a Context method, not yet released)."""

    FACTORIES = ("texture", "texture_array", "texture3d", "texture_cube", "depth_texture", "buffer", "framebuffer",
                 "simple_framebuffer", "renderbuffer", "depth_renderbuffer", "program", "vertex_array",
                 "simple_vertex_array", "sampler", "query", "scope", "compute_shader")

    def __init__(self) -> None:
        import moderngl

        self.live: dict[int, str] = {}
        for name in self.FACTORIES:
            if hasattr(moderngl.Context, name):
                setattr(moderngl.Context, name, self._wrap(getattr(moderngl.Context, name)))
        for cls in ("Buffer", "Framebuffer", "Program", "Renderbuffer", "Sampler", "Texture", "Texture3D",
                    "TextureArray", "TextureCube", "VertexArray", "ComputeShader", "Scope", "Query"):
            klass = getattr(moderngl, cls, None)
            if klass is not None and hasattr(klass, "release"):
                klass.release = self._wrap_release(klass.release)

    def _wrap(self, fn):
        live = self.live

        def made(ctx, *a, **kw):
            obj = fn(ctx, *a, **kw)
            live[id(obj)] = type(obj).__name__
            return obj
        return made

    def _wrap_release(self, fn):
        live = self.live

        def release(obj, *a, **kw):
            live.pop(id(obj), None)
            return fn(obj, *a, **kw)
        return release

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for kind in self.live.values():
            out[kind] = out.get(kind, 0) + 1
        return out


def driver_counts(max_name: int = 65536) -> dict[str, int]:
    """Names the current GL context's driver says are live, per kind (glIs* over 1..max_name)."""
    try:
        gl = ctypes.CDLL("libOpenGL.so.0")
    except OSError:
        return {}
    out = {}
    for kind, fn in (("tex", "glIsTexture"), ("buf", "glIsBuffer"), ("fbo", "glIsFramebuffer"),
                     ("prog", "glIsProgram"), ("vao", "glIsVertexArray")):
        f = getattr(gl, fn)
        f.restype, f.argtypes = ctypes.c_ubyte, [ctypes.c_uint]
        out[kind] = sum(1 for n in range(1, max_name) if f(n))
    return out


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


# -- the driver ------------------------------------------------------------------------------------

class Driver:
    """A surface that steps the clock, plays an OSC controller and a file editor, and samples."""

    name = "soak"

    def __init__(self, clock, *, fps, total_s, samples, client, control, reload_path, reload_every_s, counter,
                 max_wall_s=float("inf")):
        self.clock, self.fps, self.total_s = clock, fps, total_s
        self.frame, self.client, self.control = 0, client, control
        self.marks = list(np.linspace(0.0, total_s, samples))
        self.rows: list[dict] = []
        self.reload_path, self.reload_every_s = reload_path, reload_every_s
        self.good_text = reload_path.read_text()
        self.reloads = 0
        self.counter = counter
        self.show = None
        self.t_wall0 = time.perf_counter()
        self.osc_sent = 0
        self.udp_lat: list[float] = []
        self.max_wall_s = max_wall_s
        self.stopped_early = False

    def attach(self, show):
        self.show = show

    def poll(self, now_s):
        self.frame += 1
        t = self.frame / self.fps
        self.clock.t = t
        if self.marks and t >= self.marks[0]:
            self.marks.pop(0)
            self.sample(t)
        if time.perf_counter() - self.t_wall0 > self.max_wall_s and not self.stopped_early:
            self.stopped_early = True  # out of wall time: a last row, then quit like ctrl+q
            self.sample(t)
            from reactor.control.actions import Action

            return [Action("quit", origin="soak")]
        if self.frame % int(5 * self.fps) == 0:  # every 5 s of music: a flash, a fader, a parameter
            k = self.frame // int(5 * self.fps)
            self._send("/reactor/flash", 0.7)
            self._send("/reactor/control/fader", (k % 10) / 10.0)
            self._send("/reactor/param/speed", 0.5 + (k % 4) * 0.25)
            if k % 7 == 0:
                self._send("/reactor/preset", PRESETS[k % len(PRESETS)])
            if k % 13 == 0:
                self._send("/reactor/nonsense", k)  # a bad address: one notice, then counted
        phase = t % self.reload_every_s
        step = 1.0 / self.fps
        if self.reload_every_s - 2 * step <= phase < self.reload_every_s - step:
            self.reload_path.write_text(self.good_text.replace("[params", "[params broken", 1))
            time.sleep(0.3)  # past the watcher's debounce (real time): the broken save is loaded, and refused
        elif phase < step and t > 1.0:
            self.reload_path.write_text(self.good_text.replace("default = 1.0", f"default = {1.0 + 0.01 * (self.reloads % 5)}", 1))
            self.reloads += 1
            time.sleep(0.3)  # the same for the fix, so the reload lands
        return []

    def _send(self, address, value):
        start = time.perf_counter()
        before = self.control.inbox.qsize()
        self.client.send_message(address, value)
        while self.control.inbox.qsize() == before and time.perf_counter() - start < 0.5:
            pass  # spin: UDP send -> server thread decode -> queued
        self.udp_lat.append(time.perf_counter() - start)
        self.osc_sent += 1

    def sample(self, t):
        gc.collect()
        show = self.show
        ev = show.analyzer.events
        row = {"engine_h": t / 3600.0, "frames": self.frame, "wall_s": time.perf_counter() - self.t_wall0,
               "rss_mb": rss_mb(), "py_objects": len(gc.get_objects()),
               "lists": len(ev.beat_times_s) + len(ev.onset_times_s) + len(show.events) + len(show.errors),
               "gl": sum(self.counter.counts().values()), "load": os.getloadavg()[0],
               "analysis_ms": 1e3 * float(np.median(show._analysis_s)) if show._analysis_s else float("nan"),
               "work_ms": 1e3 * float(np.median(list(show.stats.work_s)[-600:])) if show.stats.work_s else float("nan"), "gl_kinds": self.counter.counts(),
               "driver": driver_counts()}
        self.rows.append(row)
        print(f"  sample: {row['engine_h']:.2f} h, frame {row['frames']}, {row['wall_s'] / 60:.1f} min, "
              f"RSS {row['rss_mb']:.1f} MB, GL {row['gl']}, {row['driver']}, work {row['work_ms']:.1f} ms, "
              f"analysis {row['analysis_ms']:.1f} ms", flush=True)


class Clock:
    t = 0.0

    def __call__(self):
        return self.t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=3.0, help="engine hours to run")
    ap.add_argument("--fps", type=float, default=5.0, help="engine frames per second (the clock's step)")
    ap.add_argument("--size", default="64x36")
    ap.add_argument("--hold-s", type=float, default=60.0, help="playlist: seconds per preset")
    ap.add_argument("--reload-every-s", type=float, default=900.0, help="a broken then fixed preset save this often")
    ap.add_argument("--samples", type=int, default=7, help="rows in the table")
    ap.add_argument("--max-wall-min", type=float, default=14.0, help="stop (with a last row) after this long")
    a = ap.parse_args()

    counter = GLCounter()
    from pythonosc.dispatcher import Dispatcher
    from pythonosc.osc_server import BlockingOSCUDPServer
    from pythonosc.udp_client import SimpleUDPClient

    from reactor.audio.paced import PacedSource
    from reactor.control.osc import OscControl, OscFeed
    from reactor.control.playlist import Entry, Playlist
    from reactor.live.show import LiveOptions, Show
    from reactor.presets import load_preset
    from tests.real_media import freedoom_music

    music = freedoom_music("D_RUNNIN", seconds=180.0)
    if music is None:
        from reactor.audio.clips import load_clip

        music = np.asarray(load_clip(None, demo=True, duration_s=60.0).samples)
    clip = SimpleNamespace(samples=np.ascontiguousarray(music, dtype=np.float32), sample_rate_hz=48000)

    tmp = Path(tempfile.mkdtemp(prefix="reactor-soak-"))
    files = []
    for name in PRESETS:  # copies, so a save in the temp folder is a hot reload
        src = Path(load_preset(name).source)
        dst = tmp / src.name
        shutil.copy(src, dst)
        files.append(str(dst))
    reload_path = tmp / Path(files[0]).name
    if "default = 1.0" not in reload_path.read_text():
        raise SystemExit(f"{reload_path.name}: no 'default = 1.0' to edit")

    received = [0]

    def on_any(address, *args):
        received[0] += 1

    d = Dispatcher()
    d.set_default_handler(on_any)
    rx = BlockingOSCUDPServer(("127.0.0.1", 0), d)
    rx.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)  # a receiver thread in this process
    threading.Thread(target=rx.serve_forever, daemon=True).start()
    control = OscControl(host="127.0.0.1", port=0)
    feed = OscFeed([("127.0.0.1", rx.server_address[1])])
    client = SimpleUDPClient("127.0.0.1", control.port)
    playlist = Playlist([Entry(f) for f in files], mode="time", hold_s=a.hold_s)

    w, h = (int(v) for v in a.size.split("x"))
    total_s = a.hours * 3600.0
    frames = int(total_s * a.fps)
    clock = Clock()
    driver = Driver(clock, fps=a.fps, total_s=total_s - 1.0 / a.fps, samples=a.samples, client=client,
                    control=control, reload_path=reload_path, reload_every_s=a.reload_every_s, counter=counter,
                    max_wall_s=60.0 * a.max_wall_min)
    source = PacedSource(clip, loop=True, clock=clock)
    opt = LiveOptions(presets=tuple(files), width_px=w, height_px=h, fps=a.fps, frames=frames, offscreen=True,
                      unpaced=True, watch=True, hud=False, fade_s=2.0, quantize="beat", safe_preset="scope")
    show = Show(opt, source, surfaces=[driver, playlist, control, feed])
    t0 = time.perf_counter()
    stats = show.run()
    wall = time.perf_counter() - t0
    rx.shutdown()

    ran_s = driver.frame / a.fps
    print(f"soak: {ran_s / 3600:.2f} h of engine time ({driver.frame} frames at {a.fps:g} fps, {w}x{h}) in "
          f"{wall / 60:.1f} min wall ({ran_s / wall:.0f}x real time)"
          f"{f'; stopped at --max-wall-min of the {a.hours:g} h asked' if driver.stopped_early else ''}")
    print(f"playlist switches {stats['playlist_switches']}, hot reloads {driver.reloads} (broken then fixed), "
          f"OSC in {stats['osc_received']} ({stats['osc_bad_messages']} bad), OSC out {stats['osc_sent']} sent / "
          f"{received[0]} received, errors {len(stats['errors'])}: {stats['errors'][:3]}")
    lat = np.array(driver.udp_lat) * 1e3
    print(f"OSC in, client send -> queued for the render thread: median {np.median(lat):.2f} ms, "
          f"p99 {np.percentile(lat, 99):.2f} ms, max {lat.max():.2f} ms ({len(lat)} messages)")
    print()
    print("| engine h | frames | wall min | ms/frame | work ms | analysis ms | load | RSS MB | Python objects | event lists | GL objects (moderngl) "
          "| GL names (driver) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    prev = None
    for r in driver.rows:
        drv = " ".join(f"{k} {v}" for k, v in r["driver"].items()) or "n/a"
        per = (1e3 * (r["wall_s"] - prev["wall_s"]) / max(1, r["frames"] - prev["frames"])) if prev else float("nan")
        prev = r
        print(f"| {r['engine_h']:.2f} | {r['frames']} | {r['wall_s'] / 60:.1f} | {per:.1f} | {r['work_ms']:.1f} | {r['analysis_ms']:.1f} | {r['load']:.1f} | {r['rss_mb']:.1f} | "
              f"{r['py_objects']} | {r['lists']} | {r['gl']} | {drv} |")
    first, last = driver.rows[1] if len(driver.rows) > 1 else driver.rows[0], driver.rows[-1]
    span_h = max(last["engine_h"] - first["engine_h"], 1e-9)
    print()
    print(f"from {first['engine_h']:.2f} h to {last['engine_h']:.2f} h: RSS {last['rss_mb'] - first['rss_mb']:+.1f} MB "
          f"({(last['rss_mb'] - first['rss_mb']) / span_h:+.2f} MB/h), Python objects "
          f"{last['py_objects'] - first['py_objects']:+d}, GL objects {last['gl'] - first['gl']:+d}, "
          f"kinds at the end: {last['gl_kinds']}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
