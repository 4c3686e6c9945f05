"""How fast VideoSink encodes, per quality preset, and what the alternatives cost.

Prints four tables (medians of ``--runs`` runs, each ``--seconds`` of 30 fps video):

1. Encoder alone (frames ready in memory): fps of VideoSink unthreaded / threaded, and of what a
   user would otherwise do -- pipe raw RGB frames to an ``ffmpeg`` subprocess with the same x264
   settings (column skipped when no ``ffmpeg`` binary is on PATH) -- plus the bitrate.
2. Render + encode: the caller spends ``--render-ms`` per frame on GIL-free numpy work standing in
   for rendering; shows how much the threaded sink overlaps it. 2b: the same with a real built-in
   scene (``--scene``) rendered on headless GL, when the render layer is importable.
3. RGB -> YUV 4:2:0 conversion cost per frame: swscale (what VideoSink uses) vs a plain numpy
   BT.709 implementation vs the frame copy alone.
4. x264 preset candidates for the ``high`` preset at 1280x720.
5. (``--scenes``) x264 settings for ``normal`` on frames of real built-in scenes at 1280x720: CPU
   per frame, bitrate and PSNR of Y against the frames as given (``--only-scenes``: just this).

Run: ``python benchmarks/bench_encode.py [--seconds 3] [--runs 3] [--sizes 1280x720,1920x1080]``.
Absolute figures on a shared 2-core box are noisy; compare within a row.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import statistics
import subprocess
import tempfile
import sys
import time
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, VideoReformatter

from reactor.output import video

FPS = 30


def plasma_frames(width_px: int, height_px: int, count: int) -> list[np.ndarray]:
    """Moving colour plasma with rings: smooth like most scenes, busy enough to cost bits."""
    y, x = np.mgrid[0:height_px, 0:width_px].astype(np.float32)
    r = np.hypot(x - width_px / 2, y - height_px / 2)
    frames = []
    for i in range(count):
        t = i / FPS
        v = np.sin(x / 40 + t * 3) + np.sin(y / 27 - t * 2) + np.sin(r / 15 - t * 5)
        rgb = np.stack([np.sin(v * 2 + k * 2.1) * 127 + 128 for k in range(3)], axis=-1)
        frames.append(rgb.astype(np.uint8))
    return frames


class FakeRender:
    """GIL-free numpy work of roughly ``ms`` per call, standing in for the GL render + readback."""

    def __init__(self, ms: float, width_px: int, height_px: int) -> None:
        self.buf = np.ones((height_px, width_px, 3), np.float32)
        self.reps = 0
        if ms > 0:
            t0 = time.perf_counter()
            for _ in range(20):
                np.multiply(self.buf, 1.0, out=self.buf)
            per = (time.perf_counter() - t0) / 20
            self.reps = max(1, round(ms / 1000 / per))

    def __call__(self) -> None:
        for _ in range(self.reps):
            np.multiply(self.buf, 1.0, out=self.buf)


def time_sink(next_frame, n_frames, size, quality, threaded, folder):
    """(fps, kbit/s, CPU ms/frame) of rendering (``next_frame(i)``) and encoding with sound.

    CPU time (all threads of this process) hardly changes when other programs load the machine,
    unlike wall-clock fps, so it is the figure to compare on a busy box.
    """
    path = os.path.join(folder, "bench.mp4")
    audio = np.zeros((n_frames * 48000 // FPS, 2), np.float32)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    with video.VideoSink(path, width_px=size[0], height_px=size[1], fps=FPS, quality=quality,
                         threaded=threaded) as sink:
        sink.write_audio(audio)
        for i in range(n_frames):
            sink.write_frame(next_frame(i))
    wall_s, cpu_s = time.perf_counter() - t0, time.process_time() - cpu0
    return n_frames / wall_s, os.path.getsize(path) * 8 / (n_frames / FPS) / 1000, cpu_s / n_frames * 1000


def from_memory(frames):
    return lambda i: frames[i % len(frames)]


def with_fake_render(frames, render):
    def next_frame(i):
        render()
        return frames[i % len(frames)]
    return next_frame


def real_scene(name: str, size):
    """A frame source rendering a built-in scene on headless GL (silent features), or an error text."""
    try:
        from reactor.features import Features
        from reactor.render.context import create_context
        from reactor.render.renderer import Renderer
        from reactor.render.scenes import list_scenes

        renderer = Renderer(create_context(), list_scenes()[name], width_px=size[0], height_px=size[1])
    except Exception as exc:  # the render layer is optional here; say why the row is missing
        return f"{type(exc).__name__}: {exc}"

    def next_frame(i):
        renderer.render(Features.silent(i / FPS), {}, time_s=i / FPS, dt_s=1 / FPS)
        return renderer.read_rgb()
    return next_frame


def groove_scene(name: str, size):
    """A frame source rendering built-in preset ``name`` to the test groove (moving, as in a clip),
    with the demo picture where it uses one; or an error text."""
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from reactor import demo_image
        from reactor.presets import load_preset
        from reactor.render.context import create_context
        from reactor.render.renderer import Renderer
        from tests.render_util import groove_features

        renderer = Renderer(create_context(), load_preset(name).render_scene(), width_px=size[0], height_px=size[1],
                            image=demo_image.demo_image(*size), depth=demo_image.demo_depth(*size))
    except Exception as exc:  # the render layer is optional here; say why the row is missing
        return f"{type(exc).__name__}: {exc}"

    def next_frame(i):
        renderer.render(groove_features(i / FPS), {}, time_s=i / FPS, dt_s=1 / FPS)
        return renderer.read_rgb()
    return next_frame


def time_ffmpeg(frames, n_frames, size, quality, folder):
    opts = video.CODECS["h264"].options[quality]
    x264 = [a for k, v in opts.items() for a in (f"-{k}", v)]
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{size[0]}x{size[1]}",
           "-r", str(FPS), "-i", "-", "-vf", "scale=out_color_matrix=bt709:out_range=tv",
           "-c:v", "libx264", *x264, "-pix_fmt", "yuv420p", "-colorspace", "bt709",
           "-color_primaries", "bt709", "-color_trc", "bt709", "-movflags", "+faststart",
           os.path.join(folder, "pipe.mp4")]
    t0, cpu0 = time.perf_counter(), time.process_time()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    for i in range(n_frames):
        proc.stdin.write(frames[i % len(frames)].tobytes())
    proc.stdin.close()
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped by wait4 above
    wall_s = time.perf_counter() - t0
    cpu_s = time.process_time() - cpu0 + usage.ru_utime + usage.ru_stime
    return n_frames / wall_s, 0.0, cpu_s / n_frames * 1000


def numpy_bt709(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The straightforward numpy version: float matrix, 2x2 chroma average, round."""
    f = rgb.astype(np.float32) / 255
    luma = f @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    cb = (f[..., 2] - luma) / 1.8556
    cr = (f[..., 0] - luma) / 1.5748
    half = lambda c: c.reshape(c.shape[0] // 2, 2, c.shape[1] // 2, 2).mean(axis=(1, 3))  # noqa: E731
    to8 = lambda v: np.clip(np.rint(v), 0, 255).astype(np.uint8)  # noqa: E731
    return to8(16 + 219 * luma), to8(128 + 224 * half(cb)), to8(128 + 224 * half(cr))


def conversion_ms(frame: np.ndarray, runs: int = 30) -> dict[str, float]:
    reformatter = VideoReformatter()

    def swscale():
        rgb = av.VideoFrame.from_ndarray(frame, format="rgb24")
        reformatter.reformat(rgb, format="yuv420p", src_colorspace=Colorspace.ITU709,
                             dst_colorspace=Colorspace.ITU709, src_color_range=ColorRange.JPEG,
                             dst_color_range=ColorRange.MPEG, threads=1)

    out = {}
    for name, fn in (("copy only", lambda: av.VideoFrame.from_ndarray(frame, format="rgb24")),
                     ("swscale", swscale), ("numpy", lambda: numpy_bt709(frame))):
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        out[name] = statistics.median(times) * 1000
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="1280x720,1920x1080")
    parser.add_argument("--render-ms", type=float, default=15.0)
    parser.add_argument("--scene", default="rings", help="built-in scene for table 2b ('' to skip)")
    parser.add_argument("--scenes", default="kaleido,tunnel,trails,breathe",
                        help="built-in presets for table 5 ('' to skip)")
    parser.add_argument("--only-scenes", action="store_true", help="print table 5 only")
    args = parser.parse_args()
    if args.only_scenes:
        quality_table(args.scenes.split(","), int(args.seconds * FPS))
        return
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    n_frames = int(args.seconds * FPS)
    have_ffmpeg = shutil.which("ffmpeg") is not None
    med = lambda fn: statistics.median(fn() for _ in range(args.runs))  # noqa: E731
    print(f"{os.cpu_count()} CPUs, PyAV {av.__version__}, {n_frames} frames/run, median of {args.runs}, "
          f"load average at start {os.getloadavg()[0]:.2f} (1 min)")

    with tempfile.TemporaryDirectory() as folder:
        frames_by_size = {size: plasma_frames(*size, 60) for size in sizes}
        print("\n1. encoder alone: fps (wall clock, higher is better) and CPU ms per frame (lower is better)")
        print(f"{'':17} {'---------- fps -----------':>34}  {'------ CPU ms/frame -------':>34}")
        print(f"{'size':>10} {'quality':>9} {'unthreaded':>11} {'threaded':>9} {'ffmpeg pipe':>12}  "
              f"{'unthreaded':>11} {'threaded':>9} {'ffmpeg pipe':>12} {'kbit/s':>8}")
        for size, frames in frames_by_size.items():
            for quality in video.QUALITIES:
                modes = {"plain": lambda: time_sink(from_memory(frames), n_frames, size, quality, False, folder),
                         "threaded": lambda: time_sink(from_memory(frames), n_frames, size, quality, True, folder)}
                if have_ffmpeg:
                    modes["pipe"] = lambda: time_ffmpeg(frames, n_frames, size, quality, folder)
                got = interleaved(modes, args.runs)
                pipe = (f"{got['pipe'][0]:12.1f}", f"{got['pipe'][2]:12.1f}") if have_ffmpeg else (f"{'n/a':>12}",) * 2
                print(f"{size[0]}x{size[1]:<5} {quality:>9} {got['plain'][0]:11.1f} {got['threaded'][0]:9.1f} "
                      f"{pipe[0]}  {got['plain'][2]:11.1f} {got['threaded'][2]:9.1f} {pipe[1]} {got['plain'][1]:8.0f}")

        print(f"\n2. render ({args.render_ms:g} ms/frame of GIL-free numpy) + encode, fps")
        print(f"{'size':>10} {'quality':>9} {'render only':>12} {'unthreaded':>11} {'threaded':>9}")
        for size, frames in frames_by_size.items():
            render = FakeRender(args.render_ms, *size)
            alone = med(lambda: n_frames / _timed(lambda: [render() for _ in range(n_frames)]))
            for quality in ("draft", "normal", "high"):
                source = with_fake_render(frames, render)
                got = interleaved({t: lambda t=t: time_sink(source, n_frames, size, quality, t, folder)
                                   for t in (False, True)}, args.runs)
                print(f"{size[0]}x{size[1]:<5} {quality:>9} {alone:12.1f} {got[False][0]:11.1f} {got[True][0]:9.1f}")
        if args.scene:
            size = sizes[0]
            source = real_scene(args.scene, size)
            print(f"\n2b. real scene {args.scene!r} on headless GL + encode, {size[0]}x{size[1]}, fps")
            if isinstance(source, str):
                print(f"   skipped: {source}")
            else:
                n = max(10, n_frames // 3)  # software GL is slow; fewer frames
                alone = med(lambda: n / _timed(lambda: [source(i) for i in range(n)]))
                print(f"{'quality':>9} {'render only':>12} {'unthreaded':>11} {'threaded':>9}")
                for quality in ("draft", "normal", "high"):
                    got = interleaved({t: lambda t=t: time_sink(source, n, size, quality, t, folder)
                                       for t in (False, True)}, args.runs)
                    print(f"{quality:>9} {alone:12.1f} {got[False][0]:11.1f} {got[True][0]:9.1f}")

        print("\n3. RGB -> YUV 4:2:0 BT.709 per frame, ms (lower is better)")
        print(f"{'size':>10} {'copy only':>10} {'swscale':>8} {'numpy':>8}")
        for size, frames in frames_by_size.items():
            ms = conversion_ms(frames[0])
            print(f"{size[0]}x{size[1]:<5} {ms['copy only']:10.2f} {ms['swscale']:8.2f} {ms['numpy']:8.2f}")

        print("\n4. x264 presets considered for quality='high', 1280x720, encoder alone")
        print(f"{'preset':>10} {'crf':>4} {'fps':>7} {'CPU ms/frame':>13} {'kbit/s':>8}")
        frames = frames_by_size.get((1280, 720)) or plasma_frames(1280, 720, 60)
        h264 = video.CODECS["h264"]
        # benchmark-only qualities, added to this process's table so VideoSink accepts them
        presets = ("veryfast", "faster", "fast", "medium")
        video.CODECS["h264"] = dataclasses.replace(h264, options=dict(
            h264.options, **{p: {"preset": p, "crf": "17"} for p in presets}))
        got = interleaved({p: lambda p=p: time_sink(from_memory(frames), n_frames, (1280, 720), p, True, folder)
                           for p in presets}, args.runs)
        video.CODECS["h264"] = h264
        for preset in presets:
            print(f"{preset:>10} {17:4d} {got[preset][0]:7.1f} {got[preset][2]:13.1f} {got[preset][1]:8.0f}")
    if args.scenes:
        quality_table(args.scenes.split(","), n_frames)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (1 min)")


# Candidates for quality='normal': the earlier setting, the one chosen, and neighbours.
NORMAL_CANDIDATES = (("veryfast", 20), ("superfast", 21), ("superfast", 22), ("ultrafast", 20))


def quality_table(presets: list[str], n_frames: int, size=(1280, 720)) -> None:
    """Table 5: each candidate encodes the same frames of a real scene (rendered once, groove
    features); CPU of the encode alone, bitrate, and PSNR of the decoded Y plane against the
    encoder's input (the frames after the same BT.709 conversion), mean and worst frame."""
    import io

    print(f"\n5. x264 settings for quality='normal' on real scenes, {size[0]}x{size[1]}, {n_frames} frames, "
          "encoder alone, CPU of all its threads")
    print(f"{'scene':>10} {'preset':>10} {'crf':>4} {'CPU ms/frame':>13} {'kbit/s':>8} {'PSNR-Y dB':>10} {'worst':>6}")
    for name in presets:
        source = groove_scene(name, size)
        if isinstance(source, str):
            print(f"   {name} skipped: {source}")
            continue
        w, h = size
        frames = [video_frame(source(i)) for i in range(n_frames)]
        refs = [np.frombuffer(f.planes[0], np.uint8).reshape(h, -1)[:, :w].astype(np.float64) for f in frames]
        for preset, crf in NORMAL_CANDIDATES:
            buf = io.BytesIO()
            out = av.open(buf, "w", format="mp4")
            stream = out.add_stream("libx264", rate=FPS)
            stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
            stream.options = {"preset": preset, "crf": str(crf)}
            t0 = time.process_time()
            for f in frames:
                out.mux(stream.encode(f))
            out.mux(stream.encode())
            cpu_ms = (time.process_time() - t0) / n_frames * 1e3
            out.close()
            kbit = len(buf.getvalue()) * 8 / (n_frames / FPS) / 1e3
            buf.seek(0)
            with av.open(buf) as back:
                psnr = [10 * np.log10(255.0 ** 2 / max(float(np.mean((
                        np.frombuffer(g.planes[0], np.uint8).reshape(h, -1)[:, :w] - ref) ** 2)), 1e-9))
                        for g, ref in zip(back.decode(video=0), refs)]
            print(f"{name:>10} {preset:>10} {crf:4d} {cpu_ms:13.1f} {kbit:8.0f} {statistics.mean(psnr):10.2f} "
                  f"{min(psnr):6.2f}", flush=True)


def video_frame(rgb: np.ndarray):
    """``rgb`` as the yuv420p frame VideoSink would give x264 (BT.709, limited range)."""
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
        format="yuv420p", src_colorspace=Colorspace.ITU709, dst_colorspace=Colorspace.ITU709,
        dst_color_range=ColorRange.MPEG)


def interleaved(modes: dict, runs: int) -> dict:
    """Median (fps, kbit/s, CPU ms/frame) per mode, taking turns so drifting load hits all alike."""
    results = {name: [] for name in modes}
    for _ in range(runs):
        for name, fn in modes.items():
            results[name].append(fn())
    return {name: (statistics.median(r[0] for r in rs), rs[0][1], statistics.median(r[2] for r in rs))
            for name, rs in results.items()}


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
