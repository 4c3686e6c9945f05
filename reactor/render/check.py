"""``reactor check-shaders``: compile and render a few frames of every shader in some files and
folders, with the demo audio, and report one row per scene: file, kind, ok, first error.

Runs headless (EGL). Errors are the loader's one-line ``file:line: message``; a file that is
not a scene (an include, a ``.vs``) found while walking a folder is counted as skipped, not
checked; a file named explicitly is always checked.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

from reactor.errors import ReactorError, UsageError

SHADER_SUFFIXES = (".frag", ".fs", ".isf", ".glsl", ".txt", ".shader", ".toml", ".json")
CHECK_SIZE_PX = (160, 90)
CHECK_FRAMES = 3
CHECK_START_S = 4.0  # into the demo track, where the music is playing
FPS = 30.0


@dataclass(frozen=True)
class CheckResult:
    """One row of the report."""

    file: str
    kind: str
    ok: bool
    error: str | None


def collect(paths: Sequence[str]) -> tuple[list[Path], int]:
    """Scene files under ``paths`` (files as given, folders walked) and how many were skipped."""
    from reactor.render.scenes import scene_kind

    files: list[Path] = []
    skipped = 0
    for text in paths:
        p = Path(text).expanduser()
        if p.is_file():
            files.append(p)
            continue
        if not p.is_dir():
            raise UsageError(f"check-shaders: {text}: no such file or folder")
        found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SHADER_SUFFIXES)
        claimed: set[Path] = set()
        for f in found:
            if f.suffix == ".toml" and scene_kind(f) != "unknown":
                claimed |= _claimed_by(f)
        for f in found:
            if f.resolve() in claimed or scene_kind(f) == "unknown":
                skipped += 1
                continue
            files.append(f)
    return files, skipped


def _claimed_by(sidecar: Path) -> set[Path]:
    from reactor.render.dialects.native import read_toml

    try:
        data = read_toml(sidecar)
    except ReactorError:
        return set()
    names = [t.get("shader") for t in data.get("pass", []) if isinstance(t, dict)]
    names += [v.get("shader") for k, v in data.items() if isinstance(v, dict)]
    names += [data.get("common")]
    return {(sidecar.parent / n).resolve() for n in names if isinstance(n, str)}


def demo_features(n_frames: int = CHECK_FRAMES, *, start_s: float = CHECK_START_S, fps: float = FPS):
    """Features of ``n_frames`` frames of the demo track from ``start_s``, from the real analyzer."""
    from reactor.analysis.analyzer import StreamingAnalyzer, warm_up
    from reactor.audio.demo import demo_clip

    clip = demo_clip()
    warm_up()
    analyzer = StreamingAnalyzer(sample_rate_hz=clip.sample_rate_hz, channels=clip.samples.shape[1])
    out, done = [], 0
    for n in range(n_frames):
        t = start_s + n / fps
        upto = int(round(t * clip.sample_rate_hz))
        analyzer.process(clip.samples[done:upto])
        done = upto
        out.append(analyzer.snapshot(t))
    return out, clip.sample_rate_hz


def check_file(ctx, path: Path, features, *, sample_rate_hz: float = 48000.0,
               size_px: tuple[int, int] = CHECK_SIZE_PX) -> CheckResult:
    """Load, compile and render ``len(features)`` frames of one scene."""
    from reactor.render.renderer import Renderer
    from reactor.render.scenes import scene_kind

    from reactor.render.programs import display_path

    shown, kind = display_path(path), scene_kind(path)
    try:
        with Renderer(ctx, str(path), width_px=size_px[0], height_px=size_px[1]) as r:
            r.sample_rate_hz = sample_rate_hz
            for n, f in enumerate(features):
                r.render(f, {}, time_s=f.time_s, dt_s=1.0 / FPS)
            r.read_rgb()
        return CheckResult(shown, kind, True, None)
    except ReactorError as exc:
        return CheckResult(shown, kind, False, str(exc).split(" | ", 1)[0])
    except Exception as exc:  # a driver/moderngl failure on one file must not stop the report
        first = (str(exc).strip().splitlines() or [""])[0]
        return CheckResult(shown, kind, False, f"{shown}: {type(exc).__name__}: {first}")


def check_paths(paths: Sequence[str], *, ctx=None) -> tuple[list[CheckResult], int]:
    """Check every scene under ``paths``; returns the rows and the number of skipped files."""
    from reactor.render.context import create_context

    files, skipped = collect(paths)
    features, rate = demo_features()
    own = ctx is None
    ctx = create_context(headless=True) if own else ctx
    try:
        return [check_file(ctx, f, features, sample_rate_hz=rate) for f in files], skipped
    finally:
        if own:
            ctx.release()


def table(rows: Iterable[CheckResult], skipped: int = 0) -> str:
    """The plain-text report: one line per file, then a summary line."""
    rows = list(rows)
    width = max([len(r.file) for r in rows] + [4])
    lines = [f"{'file':<{width}}  {'kind':<19}  ok   error"]
    for r in rows:
        lines.append(f"{r.file:<{width}}  {r.kind:<19}  {'yes' if r.ok else 'NO ':<3}  {r.error or ''}")
    good = sum(r.ok for r in rows)
    lines.append(f"{good}/{len(rows)} ok ({100.0 * good / max(len(rows), 1):.1f} %)"
                 + (f"; {skipped} non-scene file(s) skipped" if skipped else ""))
    return "\n".join(lines)


def to_json(rows: Iterable[CheckResult]) -> str:
    """The report as a JSON list of ``{"file", "kind", "ok", "error"}``."""
    return json.dumps([asdict(r) for r in rows], indent=1)
