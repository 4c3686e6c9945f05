"""The ``reactor`` command line. Errors a user can cause are one line and exit status 2."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from reactor import __version__
from reactor.errors import ReactorError, UsageError


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

    pr = sub.add_parser("presets", help="list presets")
    pr.add_argument("--json", action="store_true", help="machine-readable list")

    sc = sub.add_parser("scenes", help="list scenes")
    sc.add_argument("--json", action="store_true", help="machine-readable list")
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


def load_clip(args):
    """The (trimmed) audio named by ``audio``/``--demo``/``--start``/``--duration``."""
    from reactor.audio.decode import load_audio

    if args.demo and args.audio:
        raise UsageError("give an audio file or --demo, not both")
    if args.duration is not None and args.duration <= 0:
        raise UsageError(f"--duration must be positive, got {args.duration:g}")
    if args.start < 0:
        raise UsageError(f"--start must be >= 0, got {args.start:g}")
    if args.demo:
        from reactor.audio.demo import demo_clip

        return demo_clip().trimmed(args.start, args.duration), "demo"
    if not args.audio:
        raise UsageError("give an audio file, or --demo for the built-in track")
    return load_audio(args.audio, start_s=args.start, duration_s=args.duration), args.audio


def _cmd_analyze(args) -> int:
    from reactor.analysis import report
    from reactor.analysis.offline import analyze_clip

    clip, name = load_clip(args)
    result = analyze_clip(clip)
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
    from reactor.render_job import run_render

    return run_render(args)


def _cmd_presets(args) -> int:
    from reactor.presets import list_presets

    rows = list_presets()
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=1))
        return 0
    for r in rows:
        tags = ",".join(r.tags)
        img = "image" if r.image else "     "
        err = f"  [broken: {r.error}]" if getattr(r, "error", None) else ""
        print(f"{r.name:<16} {r.scene:<12} {img}  {tags:<20} {r.description}{err}")
    return 0


def _cmd_scenes(args) -> int:
    from reactor.render.scenes import list_scenes

    scenes = list_scenes()
    if args.json:
        print(json.dumps([{"name": s.name, "description": s.description, "image": s.uses_image}
                          for s in scenes.values()], indent=1))
        return 0
    for s in scenes.values():
        print(f"{s.name:<12} {'image' if s.uses_image else '     '}  {s.description}")
    return 0


_COMMANDS = {"analyze": _cmd_analyze, "render": _cmd_render, "presets": _cmd_presets, "scenes": _cmd_scenes}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
