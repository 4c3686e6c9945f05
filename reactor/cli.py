"""The ``reactor`` command line. Errors a user can cause are one line and exit status 2."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from reactor import __version__
from reactor.errors import ReactorError, UsageError
from reactor.render_job import parse_size  # --size; typed, so reactor batch parses sizes the same way


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is one line on stderr (not usage + message)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _add_audio_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("audio", nargs="?", help="audio file (any format FFmpeg reads, or a video's sound)")
    p.add_argument("--demo", action="store_true", help="use the built-in demo track instead of a file")
    p.add_argument("--start", type=float, default=0.0, metavar="S", help="start at S seconds")
    p.add_argument("--duration", type=float, default=None, metavar="D", help="use D seconds")


def build_parser() -> argparse.ArgumentParser:
    """The full parser (also used to document the CLI)."""
    p = _Parser(prog="reactor", description="Sound drives pictures: audio analysis, audio-reactive scenes, sound-on clips.")
    p.add_argument("--version", action="version", version=f"reactor {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    a = sub.add_parser("analyze", help="beats, tempo, onsets and bands of a track")
    _add_audio_args(a)
    a.add_argument("--json", metavar="PATH", help="write events as JSON ('-' for stdout)")
    a.add_argument("--csv", metavar="PATH", help="write a spotting list (time, kind, strength)")
    a.add_argument("--labels", metavar="PATH", help="write an Audacity label track")
    a.add_argument("--plot", metavar="PNG", help="write a plot of the analysis")
    a.add_argument("--causal", action="store_true",
                   help="beats as a live show knows them (default: decoded with the whole file known)")

    r = sub.add_parser("render", help="render an audio-reactive clip with its sound")
    _add_audio_args(r)
    r.add_argument("-o", "--output", required=True, metavar="OUT.mp4", help="output video file")
    r.add_argument("--image", metavar="IMG", help="reference image (or video frame: clip.mp4@12.5)")
    r.add_argument("--depth", metavar="IMG", help="depth map for the parallax scene (white = near)")
    r.add_argument("--preset", metavar="NAME|FILE", help="preset name or .toml path")
    r.add_argument("--scene", metavar="NAME|FILE", help="scene name or shader file (default preset for it)")
    r.add_argument("--size", default="1280x720", metavar="WxH", help="frame size (default 1280x720)")
    r.add_argument("--fps", type=float, default=30.0, help="frames per second (default 30)")
    r.add_argument("--aspect", choices=("16:9", "9:16", "1:1", "4:5"), default=None,
                   help="frame shape for posting; keeps the short side of --size (9:16 -> 720x1280)")
    r.add_argument("--poster", metavar="PNG", help="also save the most characteristic frame as a PNG")
    r.add_argument("--fit", choices=("face", "cover", "contain"), default="face",
                   help="how the image fills the frame: face (default: frame the faces found, else the "
                        "salient region), cover (centred crop), contain (whole picture on a blurred copy)")
    r.add_argument("--mouth", metavar="X,Y,W,H", help="mouth region for the performer scene (0..1, origin top-left)")
    r.add_argument("--quality", choices=("draft", "normal", "high", "lossless"), default="normal")
    r.add_argument("--codec", choices=("h264", "hevc", "prores"), default="h264")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--causal", action="store_true",
                   help="beat phase from the live tracker (default: from the whole file, looked ahead)")

    b = sub.add_parser("batch", help="render a catalogue of clips (JOBS.toml or --audio-dir), locally or on Ray")
    b.add_argument("jobs", nargs="?", metavar="JOBS.toml", help="jobs file: defaults at the top, one [[job]] per clip")
    b.add_argument("--audio-dir", metavar="DIR", help="one job per audio file in DIR (instead of a jobs file)")
    b.add_argument("-o", "--output-dir", metavar="OUTDIR", help="with --audio-dir: where the clips go")
    b.add_argument("--image", metavar="IMG", help="with --audio-dir: reference image for every clip")
    b.add_argument("--preset", metavar="NAME|FILE", help="with --audio-dir: preset for every clip")
    b.add_argument("--size", metavar="WxH", help="with --audio-dir: frame size (default 1280x720)")
    b.add_argument("--aspect", choices=("16:9", "9:16", "1:1", "4:5"), help="with --audio-dir: size from aspect")
    b.add_argument("--fps", type=float, help="with --audio-dir: frames per second (default 30)")
    b.add_argument("--quality", choices=("draft", "normal", "high", "lossless"), help="with --audio-dir")
    b.add_argument("--workers", type=int, metavar="N", help="local processes (default: one per two cores)")
    b.add_argument("--ray", nargs="?", const="auto", metavar="ADDRESS",
                   help="run the jobs as tasks on an existing Ray cluster (default address: auto)")
    b.add_argument("--dry-run", action="store_true", help="validate and list what would be rendered or skipped")
    b.add_argument("--json-report", metavar="PATH", help="write per-job results as JSON ('-' for stdout)")
    b.add_argument("--no-progress", action="store_true", help="no progress line (failures are still reported)")

    pr = sub.add_parser("presets", help="list presets")
    pr.add_argument("--json", action="store_true", help="machine-readable list")

    sc = sub.add_parser("scenes", help="list scenes")
    sc.add_argument("--json", action="store_true", help="machine-readable list")

    lv = sub.add_parser("live", help="perform: a window that follows the sound as it plays or is heard",
                        description="Live show in a window. Sound: AUDIO (played through the default output), "
                                    "--demo (the default), or --mic [DEVICE]. --audio-out none plays nothing and "
                                    "paces the clip by the CPU clock instead of a sound device (CI, headless "
                                    "benchmarks). Several --preset flags become the slots of the number keys; "
                                    "'reactor live --keys' prints the key map. --stats-json writes frames, "
                                    "frame_ms_p50/p99/max, late_frames, fps, xruns, input/output_latency_ms, "
                                    "tempo_bpm, tempo_source, beats, onsets, recorded_frames, dropped_recorded_frames, "
                                    "errors (and link_peers, midi_clock_out_* with those flags).")
    lv.add_argument("audio", nargs="?", help="audio file to play (any format FFmpeg reads)")
    lv.add_argument("--demo", action="store_true", help="the built-in demo track (the default)")
    lv.add_argument("--mic", nargs="?", const="", default=None, metavar="DEVICE",
                    help="listen to an input (default input, or an index / name part; see 'reactor devices')")
    lv.add_argument("--loop", action="store_true", help="play the track again at the end")
    lv.add_argument("--start", type=float, default=0.0, metavar="S", help="start the track at S seconds")
    lv.add_argument("--audio-out", metavar="DEVICE|none", default=None,
                    help="output device for AUDIO/--demo; 'none': silent clock paced by the CPU clock")
    lv.add_argument("--preset", action="append", metavar="NAME|FILE",
                    help="a preset for the next slot (repeat; default: the abstract presets)")
    lv.add_argument("--safe-preset", default="scope", metavar="NAME|FILE", help="what panic (Escape) shows")
    lv.add_argument("--size", default="1280x720", metavar="WxH", help="window size (default 1280x720)")
    lv.add_argument("--fullscreen", action="store_true", help="fullscreen on --monitor")
    lv.add_argument("--monitor", type=int, default=0, metavar="N", help="monitor for fullscreen (0 = primary)")
    lv.add_argument("--scale", default="1", metavar="F|auto",
                    help="internal render scale 0.25..1 (upscaled, see --upscale), or 'auto' (default 1)")
    lv.add_argument("--transition", metavar="FILE.fs",
                    help="an ISF transition (startImage, endImage, progress) for crossfades between presets")
    lv.add_argument("--upscale", choices=("catmull-rom", "bilinear"), default=None,
                    help="filter for --scale < 1 (default: catmull-rom on a GPU, bilinear on a CPU rasterizer)")
    lv.add_argument("--fps", type=float, default=None, metavar="N",
                    help="frame rate where vsync does not pace (default: the display's refresh rate)")
    lv.add_argument("--fade", type=float, default=1.0, metavar="S", help="crossfade seconds (default 1)")
    lv.add_argument("--quantize", choices=("now", "beat", "bar"), default="beat",
                    help="crossfades start now / on the next beat / bar (default beat)")
    lv.add_argument("--record", metavar="OUT.mp4", help="record the show (no HUD) with its sound from the start")
    lv.add_argument("--frames", type=int, default=None, metavar="N", help="run N frames, then exit")
    lv.add_argument("--stats-json", metavar="PATH", help="write run statistics at exit ('-' for stdout)")
    lv.add_argument("--no-hud", action="store_true", help="start with the HUD hidden (H shows it)")
    lv.add_argument("--no-watch", action="store_true", help="no hot reload of shaders and presets")
    lv.add_argument("--offscreen", action="store_true",
                    help="no window: draw into an offscreen framebuffer (headless checks of a show, soak runs)")
    lv.add_argument("--keys", action="store_true", help="print the key map and exit")
    lv.add_argument("--tempo-source", choices=("auto", "detector", "tap", "midi", "link"), default="auto",
                    help="who leads the beat: auto (a running MIDI clock, then a Link session with peers, then "
                         "taps, then the audio detector) or force one (a forced clock that stops hands over "
                         "to the detector); the HUD and --stats-json (tempo_source) name the leader")
    lv.add_argument("--install", metavar="SHOW.toml",
                    help="an unattended installation: playlist, sound devices, OSC, MIDI, window and log from a "
                         "file (see the README's Installations; flags given here win)")
    lv.add_argument("--log", metavar="FILE", help="also log to FILE, rotated at 5 MB, 5 old files kept")
    for module in _surface_modules():  # MIDI, OSC, ...: each adds its own flags
        module.add_arguments(lv)

    from reactor.control.midi_ports import API_NAMES  # names only: no MIDI library is imported

    dv = sub.add_parser("devices", help="list sound inputs and outputs (for live --mic) and MIDI ports (--midi)")
    dv.add_argument("--json", action="store_true", help="machine-readable list")
    dv.add_argument("--midi-api", choices=tuple(API_NAMES), default=None, help="MIDI system to list")
    mm = sub.add_parser("midi-monitor", help="print incoming MIDI messages, one a line (time, port, message)")
    mm.add_argument("port", nargs="?", default="all", metavar="PORT",
                    help="part of an input port's name (default: every port); see 'reactor devices'")
    mm.add_argument("--midi-api", choices=tuple(API_NAMES), default=None,
                    help="MIDI system (default: $REACTOR_MIDI_API, else python-rtmidi's default)")
    mm.add_argument("--seconds", type=float, default=None, metavar="S", help="stop after S seconds")
    mm.add_argument("--count", type=int, default=None, metavar="N", help="stop after N messages")
    ck = sub.add_parser("check-shaders", help="compile and render every Shadertoy/ISF/native shader in files or folders")
    ck.add_argument("paths", nargs="+", metavar="PATH", help="shader files or folders (walked recursively)")
    ck.add_argument("--json", metavar="PATH", help="write the report as JSON ('-' for stdout)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``reactor`` console script."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        return _COMMANDS[args.command](args)
    except ReactorError as e:
        print(f"reactor: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("reactor: interrupted", file=sys.stderr)
        return 130


def parse_region(text: str, flag: str) -> tuple[float, float, float, float]:
    """``"0.45,0.55,0.1,0.06"`` -> normalized (x, y, w, h), origin top-left."""
    try:
        vals = tuple(float(v) for v in text.split(","))
    except ValueError:
        vals = ()
    if len(vals) != 4 or not all(0.0 <= v <= 1.0 for v in vals) or vals[2] <= 0 or vals[3] <= 0:
        raise UsageError(f"{flag} must be four numbers 0..1 'x,y,w,h' (origin top-left), got {text!r}")
    return vals  # type: ignore[return-value]


def _check_audio_args(args) -> None:
    """The audio flags make sense: one of a file and --demo, a positive duration, start >= 0."""
    if args.demo and args.audio:
        raise UsageError("give an audio file or --demo, not both")
    if args.duration is not None and args.duration <= 0:
        raise UsageError(f"--duration must be positive, got {args.duration:g}")
    if args.start < 0:
        raise UsageError(f"--start must be >= 0, got {args.start:g}")
    if not args.demo and not args.audio:
        raise UsageError("give an audio file, or --demo for the built-in track")


def clip_from_args(args):
    """The (trimmed) audio named by ``audio``/``--demo``/``--start``/``--duration``, and its name."""
    from reactor.audio.clips import DEMO_SOURCE, load_clip

    _check_audio_args(args)
    clip = load_clip(args.audio, demo=args.demo, start_s=args.start, duration_s=args.duration)
    return clip, (DEMO_SOURCE if args.demo else args.audio)


def _cmd_analyze(args) -> int:
    from reactor.analysis import report
    from reactor.analysis.offline import analyze_clip

    if args.plot:
        report.require_plotting()  # before the work, not after it
    clip, name = clip_from_args(args)
    result = analyze_clip(clip, mode="causal" if args.causal else "offline")
    if clip.repaired:
        from dataclasses import replace

        result = replace(result, repaired_samples=result.repaired_samples + clip.repaired)
    if args.json:
        report.write_text(args.json, report.to_json(result))
    if args.csv:
        report.write_text(args.csv, report.to_csv(result))
    if args.labels:
        report.write_text(args.labels, report.to_labels(result))
    if args.plot:
        report.plot(result, clip.samples, args.plot)
    out = sys.stderr if args.json == "-" else sys.stdout
    print(report.summary(result, source=name), file=out)
    return 0


def _cmd_render(args) -> int:
    from reactor.render_job import render_file, size_for_aspect

    width, height = size_for_aspect(parse_size(args.size), args.aspect)
    if not 1.0 <= args.fps <= 240.0:
        raise UsageError(f"--fps must be 1..240, got {args.fps:g}")
    _check_audio_args(args)
    mouth = parse_region(args.mouth, "--mouth") if args.mouth else None
    result, preset = render_file(out_path=args.output, audio=args.audio, demo=args.demo, start_s=args.start,
                                 duration_s=args.duration, preset=args.preset, scene=args.scene,
                                 image_path=args.image, depth_path=args.depth, fit=args.fit, mouth=mouth,
                                 width_px=width, height_px=height, fps=args.fps, quality=args.quality,
                                 codec=args.codec, causal=args.causal, poster_path=args.poster,
                                 progress=not args.no_progress)
    verb = "stopped early; wrote a playable partial clip" if result.aborted else "wrote"
    print(f"{verb} {result.path}: {result.frames} frames, {result.duration_s:.2f} s, "
          f"{width}x{height} @ {args.fps:g} fps, preset {preset.name} ({preset.scene}), "
          f"{result.duration_s / max(result.wall_s, 1e-9):.2f}x real time", file=sys.stderr)
    return 130 if result.aborted else 0


def _cmd_batch(args) -> int:
    from reactor.batch.command import batch_command

    if args.jobs is None and args.ray and args.ray.endswith(".toml"):  # `--ray jobs.toml`: no address given
        args.jobs, args.ray = args.ray, "auto"
    settings = {k: getattr(args, k) for k in ("image", "preset", "size", "aspect", "fps", "quality")
                if getattr(args, k) is not None}
    return batch_command(jobs_file=args.jobs, audio_dir=args.audio_dir, output_dir=args.output_dir,
                         settings=settings, workers=args.workers, ray_address=args.ray, dry_run=args.dry_run,
                         report_path=args.json_report, progress=not args.no_progress)


def _print_folders(dirs) -> None:
    """The folders searched, in order, each with its origin and whether it exists."""
    print("\nsearched in this order (the first file with a name wins):")
    for d in dirs:
        print(f"  {d.origin:<18} {d.path}{'' if d.path.is_dir() else '  (not there)'}")


def _cmd_presets(args) -> int:
    from reactor import resources
    from reactor.presets import list_presets

    rows = list_presets()
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=1))
        return 0
    for r in rows:
        tags = ",".join(r.tags)
        img = "image" if r.image else "     "
        err = f"  [broken: {r.error}]" if r.error else ""
        print(f"{r.name:<16} {r.scene:<12} {img}  {r.origin:<9} {tags:<20} {r.description}{err}")
    _print_folders(resources.preset_dirs())
    return 0


def _cmd_scenes(args) -> int:
    from reactor import resources
    from reactor.render.scenes import list_scenes

    scenes = list_scenes()
    folders = resources.scene_folders()
    if args.json:
        print(json.dumps([{"name": s.name, "description": s.description, "image": s.uses_image,
                           "path": str(s.path), "origin": resources.origin_of(s.path, folders)}
                          for s in scenes.values()], indent=1))
        return 0
    for s in scenes.values():
        origin = resources.origin_of(s.path, folders)
        print(f"{s.name:<12} {'image' if s.uses_image else '     '}  {origin:<9} {s.description}")
    _print_folders(resources.shader_dirs())
    return 0


def _cmd_check_shaders(args) -> int:
    from reactor.analysis import report
    from reactor.render import check

    rows, skipped = check.check_paths(args.paths)
    if args.json:
        report.write_text(args.json, check.to_json(rows))
    print(check.table(rows, skipped), file=sys.stderr if args.json == "-" else sys.stdout)
    return 0 if all(r.ok for r in rows) else 1


def _cmd_live(args) -> int:
    from reactor.control.keys import format_keys

    if args.keys:
        print(format_keys())
        return 0
    from reactor.live.job import DEFAULT_PRESETS, SourceSpec, run_live
    from reactor.live.show import LiveOptions

    installed = _apply_install(args) if args.install else []
    width, height = parse_size(args.size)
    auto = args.scale.strip().lower() == "auto"
    try:
        scale = 1.0 if auto else float(args.scale)
    except ValueError:
        raise UsageError(f"--scale must be a number 0.25..1 or 'auto', got {args.scale!r}") from None
    if not 0.25 <= scale <= 1.0:
        raise UsageError(f"--scale must be 0.25..1 or 'auto', got {args.scale}")
    if args.fps is not None and not 1.0 <= args.fps <= 240.0:
        raise UsageError(f"--fps must be 1..240, got {args.fps:g}")
    if args.frames is not None and args.frames < 1:
        raise UsageError(f"--frames must be >= 1, got {args.frames}")
    if args.fade < 0:
        raise UsageError(f"--fade must be >= 0 seconds, got {args.fade:g}")
    mic = args.mic is not None
    spec = SourceSpec(audio=args.audio, demo=args.demo or not (args.audio or mic), mic=mic,
                      mic_device=args.mic or None, loop=args.loop, audio_out=args.audio_out, start_s=args.start)
    if mic and (args.audio or args.demo):
        raise UsageError("give an audio file, --demo or --mic, not several")
    options = LiveOptions(presets=tuple(args.preset or DEFAULT_PRESETS), width_px=width, height_px=height,
                          fullscreen=args.fullscreen, monitor=args.monitor, scale=scale, auto_scale=auto,
                          fps=args.fps, record_path=args.record, frames=args.frames, stats_json=args.stats_json,
                          fade_s=args.fade, quantize=args.quantize, safe_preset=args.safe_preset, mic=mic,
                          hud=not args.no_hud, watch=not args.no_watch, upscale=args.upscale,
                          transition_path=args.transition, tempo_source=args.tempo_source,
                          offscreen=args.offscreen)
    if args.tempo_source == "link" and not getattr(args, "link", False):
        raise UsageError("--tempo-source link needs --link (join a Link session)")
    if getattr(args, "link", False) and not 1 <= args.link_quantum <= 32:
        raise UsageError(f"--link-quantum must be 1..32 beats, got {args.link_quantum}")
    surfaces = [surface for module in _surface_modules() for surface in module.surfaces_from_args(args)]
    return run_live(options, spec, surfaces=installed + surfaces, log_file=args.log,
                    log_max_bytes=getattr(args, "log_max_bytes", None), log_backups=getattr(args, "log_backups", None))


INSTALL_MIDI_ARGS = {"ports": "midi", "profile": "midi_profile"}
"""Where ``[midi]`` of an install file lands on the parsed arguments (the MIDI module's flag names)."""


def _apply_install(args) -> list:
    """Fill ``args`` from ``--install FILE`` where the command line left a flag at its default;
    returns the surfaces it adds (the playlist)."""
    from reactor.live.install import load_install

    inst = load_install(args.install)
    defaults = vars(build_parser().parse_args(["live"]))

    def fill(key, value):
        if value is not None and getattr(args, key, None) == defaults.get(key):
            setattr(args, key, value)

    fill("size", inst.size)
    fill("fullscreen", inst.fullscreen)
    fill("monitor", inst.monitor)
    fill("fps", inst.fps)
    fill("scale", inst.scale)
    fill("no_hud", not inst.hud)
    fill("no_watch", not inst.hot_reload)
    fill("preset", list(inst.presets))
    fill("safe_preset", inst.safe_preset)
    fill("fade", inst.fade_s)
    fill("quantize", inst.quantize)
    fill("osc_in", inst.osc_in)
    fill("osc_out", list(inst.osc_out) or None)
    fill("log", inst.log_file)
    args.log_max_bytes, args.log_backups = inst.log_max_bytes, inst.log_backups
    if inst.midi_ports and not getattr(args, INSTALL_MIDI_ARGS["ports"], None):
        setattr(args, INSTALL_MIDI_ARGS["ports"], list(inst.midi_ports))
    if inst.midi_profile and not getattr(args, INSTALL_MIDI_ARGS["profile"], None):
        setattr(args, INSTALL_MIDI_ARGS["profile"], inst.midi_profile)
    notices = list(_install_sound(args, inst))
    if not inst.entries:
        from reactor.live.install import InstallNotices

        return [InstallNotices(notices)] if notices else []
    from reactor.control.playlist import Playlist

    return [Playlist(inst.entries, mode=inst.mode, hold_s=inst.hold_s, min_hold_s=inst.min_hold_s,
                     window_s=inst.window_s, thresholds=inst.thresholds, shuffle=inst.shuffle, notices=notices)]


def _install_sound(args, inst):
    """The install's sound source and devices, unless the command line names a sound; yields notices."""
    if args.audio or args.demo or args.mic is not None:
        return
    if inst.audio_source == "file":
        args.audio = inst.audio_file
    elif inst.audio_source == "demo":
        args.demo = True
    if inst.audio_source in ("file", "demo", None) and not args.loop:
        args.loop = inst.loop
    if inst.audio_source == "mic":
        args.mic = ""
        if inst.inputs:
            from reactor.audio.devices import first_present

            name, notice = first_present(inst.inputs, kind="input")
            args.mic = name or ""
            yield notice
    elif inst.outputs and args.audio_out is None:
        from reactor.audio.devices import first_present

        name, notice = first_present(inst.outputs, kind="output")
        args.audio_out = name
        yield notice


SURFACE_MODULES: tuple[str, ...] = ("reactor.control.midi", "reactor.control.link", "reactor.control.clock_out",
                                   "reactor.control.osc")
"""Modules that give ``reactor live`` control surfaces: each has ``add_arguments(parser)`` and
``surfaces_from_args(args) -> list`` (``reactor.control.actions.Surface``); imported when the
parser is built, so they import their libraries (mido, python-osc) lazily."""


def _surface_modules():
    import importlib

    return [importlib.import_module(name) for name in SURFACE_MODULES]


def _cmd_devices(args) -> int:
    from reactor.audio.devices import format_devices, list_devices
    from reactor.control.midi_ports import list_ports

    rows = list_devices()
    try:
        midi, midi_error = list_ports(args.midi_api), None
    except ReactorError as exc:  # no MIDI library or system: the sound devices are still worth listing
        midi, midi_error = [], str(exc)
    if args.json:
        print(json.dumps(rows + midi, indent=1))
        return 0
    print(format_devices(rows))
    print(f"\nMIDI: {midi_error}" if midi_error else _format_midi(midi))
    return 0


def _format_midi(rows: list[dict]) -> str:
    if not rows:
        return "\nno MIDI ports found"
    lines = [f"\nMIDI ({rows[0]['hostapi']}):", f"  {'in':>3} {'out':>3}  name"]
    lines += [f"  {'x' if r['inputs'] else '':>3} {'x' if r['outputs'] else '':>3}  {r['name']}" for r in rows]
    lines.append("in: reactor live --midi NAME reads it (any part of the name)")
    return "\n".join(lines)


def _cmd_midi_monitor(args) -> int:
    from reactor.control.midi import monitor

    if args.count is not None and args.count < 1:
        raise UsageError(f"--count must be >= 1, got {args.count}")
    if args.seconds is not None and args.seconds <= 0:
        raise UsageError(f"--seconds must be positive, got {args.seconds:g}")
    return monitor(args.port, api=args.midi_api, seconds=args.seconds, count=args.count)


_COMMANDS = {"analyze": _cmd_analyze, "render": _cmd_render, "presets": _cmd_presets, "scenes": _cmd_scenes,
             "batch": _cmd_batch, "devices": _cmd_devices, "live": _cmd_live,
             "check-shaders": _cmd_check_shaders, "midi-monitor": _cmd_midi_monitor}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
