"""Live loop figures: frame times per scene and scale, loop overhead, analysis cost, click-to-photon.

Needs a display: run under Xvfb (``Xvfb :97 -screen 0 1280x720x24 -nolisten tcp -noreset & DISPLAY=:97``)
or ``xvfb-run -a``. Sound comes from the silent clock (``--audio-out none``), so no sound device
is needed; the latency row therefore starts at the moment the click is due on that clock (no input
latency: add the device's, which ``reactor live`` shows in its HUD).

    python benchmarks/bench_live.py [--frames 40] [--size 1280x720] [--scenes tunnel,scope]

Columns (medians over the frames of one run, milliseconds):
  loop p50 / p99   the live loop's own time per frame (analysis, modulation, render, composite +
                   upscale, HUD, swap), without the pacing wait
  alone p50        the same scene at the same internal size rendered alone (render + finish)
  overhead         (loop - alone) / loop: what the show adds around the scene
  loop / alone CPU the same in CPU time of the whole process (Python and llvmpipe's threads):
                   on a shared machine wall times swing with other work, CPU time much less
  --baseline DIR   the same rows for another checkout (e.g. ``git archive OLD | tar -x -C DIR``),
                   each scene measured for both back to back in fresh processes: before/after
                   in one run
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# --tree DIR measures another checkout's package (the --baseline comparison runs this file so)
_TREE = next((sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--tree"), None)
sys.path.insert(0, _TREE or str(Path(__file__).resolve().parents[1]))

_FLASH = """// @description white while an onset is fresh: the click made visible
void main() { fragColor = vec4(vec3(u_onset > 0.05 ? 1.0 : 0.0), 1.0); }
"""


def _show(preset: str, *, size, scale: float, frames: int, clip=None, start_s: float = 8.0, hud: bool = True):
    from reactor.audio.clips import load_clip
    from reactor.audio.paced import PacedSource
    from reactor.live.show import LiveOptions, Show

    clip = clip if clip is not None else load_clip(demo=True, start_s=start_s)
    opts = LiveOptions(presets=(preset,), width_px=size[0], height_px=size[1], scale=scale, frames=frames,
                       hud=hud, watch=False)
    return Show(opts, PacedSource(clip, loop=True))


def loop_times(preset: str, *, size, scale: float, frames: int, hud: bool = True) -> dict:
    show = _show(preset, size=size, scale=scale, frames=frames, hud=hud)
    cpu: list[float] = []
    setup = show._setup

    def patched_setup():  # CPU time of each frame, from the start of its work to the end of its swap
        setup()
        frame, swap = show._frame, show.window.swap
        began = [0.0]

        def timed_frame():
            began[0] = time.process_time()
            frame()

        def timed_swap():
            out = swap()
            cpu.append(time.process_time() - began[0])
            return out

        show._frame, show.window.swap = timed_frame, timed_swap

    show._setup = patched_setup
    stats = show.run()
    work = np.asarray(show.stats.work_s)[5:] * 1e3  # the first frames fill caches
    return {"loop_p50": float(np.median(work)), "loop_p99": float(np.percentile(work, 99)),
            "loop_cpu": float(np.median(np.asarray(cpu[5:]) * 1e3)),
            "frame_p50": stats["frame_ms_p50"], "errors": stats["errors"],
            "direct_share": stats.get("direct_frames", 0) / max(1, stats["frames"])}


def stage_times(preset: str, *, size, scale: float, frames: int) -> dict:
    """Median ms per frame of each part of the loop, with the GL pipeline drained (``finish``)
    around each so its rasterizing is charged to it: scene (``Engine.step``: analysis,
    modulation, the scene's passes), composite (upscale/dither or blit into the window), HUD
    (its Python and its draw), swap (the window system's copy of the frame)."""
    show = _show(preset, size=size, scale=scale, frames=frames)
    times: dict[str, list[float]] = {}
    setup = show._setup

    def timed(name, fn):
        def run(*a, **k):
            show.ctx.finish()
            t0 = time.perf_counter()
            out = fn(*a, **k)
            show.ctx.finish()
            times.setdefault(name, []).append(time.perf_counter() - t0)
            return out
        return run

    def patched_setup():
        setup()
        show.engine.step = timed("scene", show.engine.step)
        show._composite = timed("composite", show._composite)
        show._draw_hud = timed("hud", show._draw_hud)
        show.window.swap = timed("swap", show.window.swap)

    show._setup = patched_setup
    show.run()
    return {k: float(np.median(np.asarray(v[5:]) * 1e3)) for k, v in times.items()}


def render_alone(window, scene: str, *, size, frames: int) -> tuple[float, float]:
    """Median (wall ms, CPU ms) of rendering ``scene`` alone at ``size`` (render + finish)."""
    from reactor.features import Features
    from reactor.render.renderer import Renderer

    ctx = window.ctx
    times, cpu = [], []
    with Renderer(ctx, scene, width_px=size[0], height_px=size[1]) as r:
        r.present_output = False  # as in the live loop: the scene passes only
        for n in range(frames):
            f = Features.silent(n / 60)
            t0, c0 = time.perf_counter(), time.process_time()
            r.render(f, {}, time_s=n / 60, dt_s=1 / 60)
            ctx.finish()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    return float(np.median(np.asarray(times[5:]) * 1e3)), float(np.median(np.asarray(cpu[5:]) * 1e3))


def measure(scene: str, scale: float, *, size, frames: int, hud: bool = True) -> dict:
    """One table row: the loop, then the scene alone right after (both see the same load)."""
    lt = loop_times(scene, size=size, scale=scale, frames=frames, hud=hud)
    wall, cpu, gl = _alone(scene, size=size, scale=scale, frames=frames)
    return dict(lt, alone_p50=wall, alone_cpu=cpu, gl=gl)


def _alone(scene: str, *, size, scale: float, frames: int) -> tuple[float, float, str]:
    """(wall ms, CPU ms, GL description) of ``scene`` rendered alone at ``scale`` of ``size``, in
    a window of ``size`` (the loop's context)."""
    from reactor.render.context import describe
    from reactor.render.window import Window

    win = Window(width_px=size[0], height_px=size[1], title="bench")
    try:
        wall, cpu = render_alone(win, scene, size=(round(size[0] * scale), round(size[1] * scale)),
                                 frames=min(frames, 30))
        return wall, cpu, describe(win.ctx)
    finally:
        win.close()


FIT_SCALES = (1.0, 0.75, 0.6, 0.5, 0.4, 0.33)
"""Internal scales ``--fit`` tries, largest first."""


def fit_rows(scenes, size, frames: int, budget_ms: float = 16.7) -> None:
    """Per scene, the largest internal scale whose loop p50 (HUD off: the picture an audience
    sees) is within ``budget_ms``, with the HUD-on figure and the scene alone at that scale."""
    print(f"largest scale within {budget_ms} ms p50, {size[0]}x{size[1]} window, load "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall ms; CPU ms of the whole process)")
    print("| scene | scale | internal px | loop p50 (HUD off) | loop p99 | loop CPU | HUD on p50 | alone p50 | alone CPU "
          "| overhead (CPU) | direct frames |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for scene in scenes:
        chosen = None
        for scale in FIT_SCALES:
            m = loop_times(scene, size=size, scale=scale, frames=frames, hud=False)
            chosen = (scale, m)
            print(f"  {scene} at {scale:g}: {m['loop_p50']:.1f} ms", file=sys.stderr, flush=True)
            if m["loop_p50"] <= budget_ms:
                break
        scale, m = chosen
        hud = loop_times(scene, size=size, scale=scale, frames=frames, hud=True)
        inner = (round(size[0] * scale), round(size[1] * scale))
        wall, cpu, _ = _alone(scene, size=size, scale=scale, frames=frames)
        ok = "" if m["loop_p50"] <= budget_ms else " (over)"
        print(f"| {scene} | {scale:g}{ok} | {inner[0]}x{inner[1]} | {m['loop_p50']:.1f} | {m['loop_p99']:.1f} | "
              f"{m['loop_cpu']:.1f} | {hud['loop_p50']:.1f} | {wall:.1f} | {cpu:.1f} | "
              f"{100 * (m['loop_cpu'] - cpu) / m['loop_cpu']:.0f} % | {100 * m['direct_share']:.0f} % |", flush=True)


def analysis_cost(frames: int = 600) -> tuple[float, float]:
    """Median ms per 60 fps frame of analyzer.process (800 samples) + snapshot, and its p99."""
    from reactor.analysis.analyzer import StreamingAnalyzer, warm_up
    from reactor.audio.clips import load_clip

    warm_up()
    clip = load_clip(demo=True, start_s=8.0)
    a = StreamingAnalyzer(sample_rate_hz=clip.sample_rate_hz, channels=clip.samples.shape[1])
    step = clip.sample_rate_hz // 60
    times = []
    for n in range(frames):
        block = clip.samples[n * step:(n + 1) * step]
        t0 = time.perf_counter()
        a.process(block)
        a.snapshot((n + 1) * step / clip.sample_rate_hz)
        times.append(time.perf_counter() - t0)
    t = np.asarray(times[30:]) * 1e3
    return float(np.median(t)), float(np.percentile(t, 99))


def click_latency(*, size=(320, 180), clicks: int = 10) -> list[float]:
    """Seconds from each click being due on the clock to the end of the swap of the first frame
    that shows it (the pixel read back after the frame)."""
    from reactor.audio.decode import AudioClip
    from reactor.live.show import Show

    rate, period = 48000, 0.5
    n = int(rate * period * (clicks + 2))
    samples = np.zeros((n, 2), np.float32)
    rng = np.random.default_rng(1)
    times = [1.0 + period * i for i in range(clicks)]
    for t in times:
        a = int(t * rate)
        samples[a:a + 240] = rng.uniform(-0.8, 0.8, (240, 1))
    clip = AudioClip(samples=samples, sample_rate_hz=rate, source="clicks")
    preset = _flash_preset()

    class Probe(Show):
        seen: list[tuple[int, float]] = []

        def _frame(self):
            super()._frame()
            px = self.ctx.screen.read(viewport=(size[0] // 2, size[1] // 2, 1, 1), components=1)
            self.seen.append((self.stats.frames, px[0]))

    show = _show(preset, size=size, scale=1.0, frames=int((clicks + 1.5) * period * 60), clip=clip, hud=False)
    show.__class__ = Probe
    show.run()
    ends = show.stats.first_s + np.concatenate([[0.0], np.cumsum(show.stats.intervals_s)])
    t0 = show.source.started_s
    lit = [(ends[i], v) for i, v in Probe.seen if i < len(ends)]
    out = []
    for t in times:
        due = t0 + t
        after = [end for end, v in lit if end >= due and v > 128]
        if after:
            out.append(after[0] - due)
    return out


def _flash_preset() -> str:
    folder = Path(tempfile.mkdtemp())
    scene = folder / "flash.frag"
    scene.write_text(_FLASH)
    preset = folder / "flash.toml"
    preset.write_text(f'name = "flash"\ndescription = "bench"\nscene = "{scene}"\n')
    return str(preset)


def jack_click_latency(*, size=(320, 180), clicks: int = 10, period_s: float = 0.6) -> list[float] | str:
    """Clicks played by a JACK client into the program's capture ports (a private jackd with the
    dummy driver, a real PortAudio input stream): seconds from the JACK cycle that carries each
    click to the swap of the first frame that shows it. Returns a reason string when JACK is missing."""
    import shutil
    import subprocess
    import threading

    if shutil.which("jackd") is None:
        return "jackd not installed (apt-get install jackd2 libportaudio2)"
    rate = 48000
    name = f"reactor-bench-{os.getpid()}"
    os.environ["JACK_DEFAULT_SERVER"] = name  # before sounddevice is imported
    server = subprocess.Popen(["jackd", "-n", name, "--no-realtime", "-d", "dummy", "-r", str(rate), "-p", "256",
                               "-C", "2", "-P", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if subprocess.run(["jack_wait", "-s", name, "-w", "-t", "10"], capture_output=True).returncode != 0:
            return "jackd did not start"
        import jack

        from reactor.audio.mic import MicSource
        from reactor.live.show import LiveOptions, Show

        feeder = jack.Client("clicker", no_start_server=True)
        outs = [feeder.outports.register(f"out_{c}") for c in range(2)]
        burst = np.random.default_rng(1).uniform(-0.8, 0.8, 240).astype(np.float32)
        state = {"start": None, "due": [], "pos": None}

        @feeder.set_process_callback
        def process(frames):  # JACK thread: a click every period_s once armed
            cycle_perf = time.perf_counter() - feeder.frames_since_cycle_start / rate
            bufs = [p.get_array() for p in outs]
            for b in bufs:
                b[:] = 0.0
            f0 = feeder.last_frame_time
            if state["start"] is None:
                return
            for k in range(clicks):
                c = state["start"] + int(k * period_s * rate)
                a, b_ = max(c, f0), min(c + len(burst), f0 + frames)
                if a < b_:
                    for buf in bufs:
                        buf[a - f0:b_ - f0] = burst[a - c:b_ - c]
                    if a == c:
                        state["due"].append(cycle_perf + (c - f0) / rate)

        feeder.activate()
        preset = _flash_preset()
        source = MicSource(block_samples=256)
        seen: list[tuple[float, float]] = []

        class Probe(Show):
            def _frame(self):
                super()._frame()
                px = self.ctx.screen.read(viewport=(size[0] // 2, size[1] // 2, 1, 1), components=1)
                seen.append((time.perf_counter(), px[0]))  # read back = finished; the swap follows
                if state["start"] is not None and feeder.frame_time > state["start"] + (clicks + 1) * period_s * rate:
                    self._want_quit = True

        def connect():
            deadline = time.perf_counter() + 30
            while time.perf_counter() < deadline:
                ports = sorted(p.name for p in feeder.get_ports("PortAudio:in"))
                if len(ports) >= 1:
                    for src, dst in zip(outs, ports):
                        feeder.connect(src, dst)
                    time.sleep(1.5)  # let the analyzer settle on silence
                    state["start"] = feeder.frame_time + rate // 10
                    return
                time.sleep(0.02)

        threading.Thread(target=connect, daemon=True).start()
        opts = LiveOptions(presets=(preset,), width_px=size[0], height_px=size[1], hud=False, watch=False, mic=True)
        Probe(opts, source).run()
        feeder.deactivate()
        feeder.close()
        lat = []
        for due in state["due"]:
            after = [t for t, v in seen if t >= due and v > 128]
            if after:
                lat.append(after[0] - due)
        return lat
    finally:
        import sys as _sys

        sd = _sys.modules.get("sounddevice")
        if sd is not None:
            while sd._initialized:
                sd._terminate()
        server.terminate()
        server.wait(timeout=5)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--frames", type=int, default=40)
    p.add_argument("--size", default="1280x720")
    p.add_argument("--scales", default="1,0.5")
    p.add_argument("--scenes", default="")
    p.add_argument("--latency-only", action="store_true", help="only the click-to-photon rows")
    p.add_argument("--baseline", metavar="DIR", help="also measure the checkout in DIR, scene by scene (before/after)")
    p.add_argument("--tree", metavar="DIR", help=argparse.SUPPRESS)
    p.add_argument("--one", nargs=2, metavar=("SCENE", "SCALE"), help=argparse.SUPPRESS)
    p.add_argument("--no-latency", action="store_true", help="skip the analysis and click-to-photon rows")
    p.add_argument("--hud", choices=("on", "off"), default="on", help="the HUD in the loop rows (default on)")
    p.add_argument("--fit", action="store_true", help="per scene, the largest scale whose loop p50 (HUD off) "
                   "is within one 60 Hz frame")
    p.add_argument("--stages", action="store_true", help="only the per-part breakdown of the loop (scene, "
                   "composite, HUD, swap) per scene and scale")
    args = p.parse_args()
    if not os.environ.get("DISPLAY"):
        print("needs a display: run under Xvfb (see the docstring)", file=sys.stderr)
        return 2
    import logging

    logging.basicConfig(level=logging.ERROR if args.one else logging.WARNING)
    from reactor.render.scenes import list_scenes

    size = tuple(int(v) for v in args.size.split("x"))
    if args.latency_only:
        _latency_rows()
        return 0
    scales = [float(s) for s in args.scales.split(",")]
    scenes = args.scenes.split(",") if args.scenes else sorted(list_scenes())
    if args.stages:
        _stage_rows(scenes, scales, size, args.frames)
        return 0
    if args.fit:
        fit_rows(scenes, size, args.frames)
        return 0
    if args.one:
        import json

        print(json.dumps(measure(args.one[0], float(args.one[1]), size=size, frames=args.frames)))
        return 0
    if args.baseline:
        _compare(args.baseline, scenes, scales, args)
        return 0
    rows, gl = [], ""
    for scene in scenes:
        for scale in scales:
            m = measure(scene, scale, size=size, frames=args.frames, hud=args.hud == "on")
            rows.append((scene, scale, m))
            gl = m["gl"]
            print(f"  {scene} at scale {scale:g}: loop p50 {m['loop_p50']:.1f} ms, alone {m['alone_p50']:.1f} ms",
                  file=sys.stderr, flush=True)
    print(f"live loop, {size[0]}x{size[1]} window, HUD {args.hud}, {gl}, load {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    print("| scene | scale | loop p50 ms | loop p99 ms | alone p50 ms | overhead | loop CPU ms | alone CPU ms "
          "| CPU overhead | p50 <= 16.7 ms | direct frames |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    overheads, cpu_overheads = [], []
    for scene, scale, m in rows:
        ov = (m["loop_p50"] - m["alone_p50"]) / m["loop_p50"]
        cov = (m["loop_cpu"] - m["alone_cpu"]) / m["loop_cpu"]
        overheads.append(ov)
        cpu_overheads.append(cov)
        ok = "yes" if m["loop_p50"] <= 16.7 else "no"
        print(f"| {scene} | {scale:g} | {m['loop_p50']:.1f} | {m['loop_p99']:.1f} | {m['alone_p50']:.1f} | "
              f"{100 * ov:.0f} % | {m['loop_cpu']:.1f} | {m['alone_cpu']:.1f} | {100 * cov:.0f} % | {ok} | "
              f"{100 * m['direct_share']:.0f} % |"
              + (f" errors: {m['errors']}" if m["errors"] else ""))
    print(f"median loop overhead: {100 * float(np.median(overheads)):.0f} % of the frame "
          f"({100 * float(np.median(cpu_overheads)):.0f} % in CPU time)")
    if not args.no_latency:
        _latency_rows()
    return 0


def _compare(baseline: str, scenes, scales, args) -> None:
    """Both checkouts scene by scene, each row in fresh processes back to back (same load)."""
    import json
    import subprocess

    here = str(Path(__file__).resolve().parents[1])
    trees = (("before", str(Path(baseline).resolve())), ("after", here))
    print(f"live loop before ({trees[0][1]}) / after ({here}), {args.size} window, CPU ms per frame "
          f"(all threads), load {os.getloadavg()[0]:.1f} at the start on {os.cpu_count()} cores")
    print("| scene | scale | loop CPU before | loop CPU after | alone CPU | overhead before | overhead after "
          "| loop wall p50 before / after |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    ratios, ob, oa = [], [], []
    for scene in scenes:
        for scale in scales:
            got = {}
            for label, tree in trees:
                env = dict(os.environ, PYTHONPATH=tree)
                out = subprocess.run([sys.executable, __file__, "--tree", tree, "--one", scene, str(scale),
                                      "--frames", str(args.frames), "--size", args.size],
                                     capture_output=True, text=True, env=env, timeout=900)
                lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
                if out.returncode != 0 or not lines:
                    print(f"| {scene} | {scale:g} | {label} failed: {out.stderr.strip()[-200:]} |", flush=True)
                    break
                got[label] = json.loads(lines[-1])
            if len(got) < 2:
                continue
            b, a = got["before"], got["after"]
            alone = 0.5 * (b["alone_cpu"] + a["alone_cpu"])  # the scene is the same in both
            ovb, ova = (b["loop_cpu"] - alone) / b["loop_cpu"], (a["loop_cpu"] - alone) / a["loop_cpu"]
            ratios.append(a["loop_cpu"] / b["loop_cpu"])
            ob.append(ovb)
            oa.append(ova)
            print(f"| {scene} | {scale:g} | {b['loop_cpu']:.1f} | {a['loop_cpu']:.1f} | {alone:.1f} | {100 * ovb:.0f} % "
                  f"| {100 * ova:.0f} % | {b['loop_p50']:.0f} / {a['loop_p50']:.0f} |", flush=True)
    if ratios:
        print(f"median after/before loop CPU: {float(np.median(ratios)):.2f}; median overhead "
              f"{100 * float(np.median(ob)):.0f} % -> {100 * float(np.median(oa)):.0f} % (CPU time)")


def _stage_rows(scenes, scales, size, frames: int) -> None:
    print(f"loop parts, {size[0]}x{size[1]} window, load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(median ms, pipeline drained around each part)")
    print("| scene | scale | scene ms | composite ms | HUD ms | swap ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for scene in scenes:
        for scale in scales:
            st = stage_times(scene, size=size, scale=scale, frames=frames)
            print(f"| {scene} | {scale:g} | {st.get('scene', 0):.1f} | {st.get('composite', 0):.1f} | "
                  f"{st.get('hud', 0):.1f} | {st.get('swap', 0):.1f} |", flush=True)


def _latency_rows() -> None:
    a50, a99 = analysis_cost()
    print(f"analysis per 60 fps frame (800 samples + snapshot): p50 {a50:.2f} ms, p99 {a99:.2f} ms")
    lat = click_latency()
    if lat:
        print(f"click due -> first frame showing it swapped (silent clock, 320x180): median {1e3 * np.median(lat):.1f} ms, "
              f"max {1e3 * max(lat):.1f} ms over {len(lat)} clicks (one frame = 16.7 ms)")
    else:
        print("click latency: no frame showed a click")
    jl = jack_click_latency()
    if isinstance(jl, str):
        print(f"JACK mic click latency: skipped ({jl})")
    elif jl:
        print(f"JACK mic click -> first frame showing it (capture, analysis, frame; 320x180): median "
              f"{1e3 * np.median(jl):.1f} ms, max {1e3 * max(jl):.1f} ms over {len(jl)} clicks")
    else:
        print("JACK mic click latency: no frame showed a click")


if __name__ == "__main__":
    sys.exit(main())
