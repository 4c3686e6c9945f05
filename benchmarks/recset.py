"""Build the recorded-music set: game soundtracks shipped in Debian, with madmom's beats as pseudo-truth.

Source: ogg recordings in Debian game data packages (``PACKAGES``: SuperTux, Hedgewars, Extreme
Tux Racer, X-Moto, Frozen Bubble, LinCity-NG): produced and mixed music by many composers, in
styles from chiptune to orchestral, not renders made for the test. Tracks shorter than
``MIN_TRACK_S`` (jingles) are left out; a package with more than its cap gives the first
tracks in an order fixed by a hash of the file name. Each track gives one ``EXCERPT_S``
excerpt (from ``excerpt_start``), decoded with PyAV (``reactor.audio.decode``) to 48 kHz stereo
16-bit WAV, faded over its last 0.5 s.

There is no exact truth for a recording. The pseudo-truth is madmom's offline tracker (the
bidirectional RNN ensemble + Viterbi DBN; ``madmom_truth.py``, run in the benchmark venv and
cached in ``benchmarks/results/recset_madmom/``) and, with ``--downbeats``, its downbeat tracker
(3 or 4 beats per bar; without it the truth has no downbeats and downbeat scores are skipped).
Every table that scores this set says "pseudo-truth (madmom offline)"; scoring madmom offline
itself against it is meaningless, and madmom online shares its network family. The madmom cache
is keyed by piece name only: after changing how excerpts are cut, remove it (and ``--force``).

Selection (decided from madmom's output alone, before any reactor scoring): a piece is kept if
its excerpt has a pulse, i.e. ``keep_piece``: at least ``MIN_BEATS`` pseudo-truth beats after
5 s, the median beat activation at those beats (``pulse_strength``) at least
``PULSE_MIN``, and the inter-beat intervals steady (``ibi_spread``: median absolute deviation
over the median, at most ``IBI_SPREAD_MAX``). Rejected pieces and why are listed in
``rejected.json``; their WAVs are removed.

The truth JSON has ``realset.py``'s beat keys (``beat_times_s``, ``downbeat_times_s`` with
``--downbeats``, ``tempo_bpm``, ``tempo_curve``, ``meters``, ``music_start_s``, ``music_end_s``,
``audio_duration_s``) plus ``split`` ("train" / "test", a hash of the piece name), ``source``
(package and file) and ``truth`` = "pseudo (madmom offline)". It has no onset lists, so onset
scores are skipped for this set.

Usage::

    python benchmarks/recset.py [--out benchmarks/data/recset] [--python /work/venvs/bench/bin/python]
        [--tracks GLOB] [--downbeats] [--list] [--force]

Needs ``apt-get install supertux-data hedgewars-data extremetuxracer-data xmoto-data
frozen-bubble-data lincity-ng-data`` (a missing package is skipped with a note) and the
benchmark venv with madmom.
"""

from __future__ import annotations

import argparse
import fnmatch
import glob
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "data" / "recset"
MADMOM_CACHE = HERE / "results" / "recset_madmom"
DEFAULT_PYTHON = "/work/venvs/bench/bin/python"
VERSION = 1
SAMPLE_RATE_HZ = 48000
EXCERPT_S = 60.0
FADE_S = 0.5
MIN_TRACK_S = 60.0
TRUTH_LABEL = "pseudo (madmom offline)"
# (short name, Debian package, glob of its music files, most tracks taken)
PACKAGES = (
    ("stux", "supertux-data", "/usr/share/games/supertux2/music/*/*.ogg", 16),
    ("hw", "hedgewars-data", "/usr/share/games/hedgewars/Data/Music/*.ogg", 14),
    ("etr", "extremetuxracer-data", "/usr/share/games/etr/music/*.ogg", 8),
    ("xm", "xmoto-data", "/usr/share/games/xmoto/Textures/Musics/*.ogg", 8),
    ("fb", "frozen-bubble-data", "/usr/share/games/frozen-bubble/snd/*zik*.ogg", 4),
    ("lc", "lincity-ng-data", "/usr/share/games/lincity-ng/music/default/*.ogg", 4),
)
# the selection rule (see the module docstring); fixed from madmom's figures before reactor ran
TRIM_S = 5.0
MIN_BEATS = 20
PULSE_MIN = 0.25
IBI_SPREAD_MAX = 0.05
PEAK_RADIUS_S = 0.03


class RecsetError(Exception):
    """A recorded-set build step failed (one line, for the CLI)."""


def _hash(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)


def split_of(name: str) -> str:
    """'train' or 'test', fixed by the piece's name (the same rule as ``realset.split_of``)."""
    return "test" if _hash("split:" + name) % 2 else "train"


def slug(text: str) -> str:
    """A file-name-safe lower-case name: letters, digits and single underscores."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def excerpt_start(duration_s: float, excerpt_s: float = EXCERPT_S) -> float:
    """Where the excerpt starts: a fifth into the track, so the intro is past, whole-second aligned.

    The excerpt never runs past the end; a track no longer than ``excerpt_s`` starts at 0.
    """
    if duration_s <= excerpt_s:
        return 0.0
    return float(min(np.floor(0.2 * duration_s), np.floor(duration_s - excerpt_s)))


def pulse_strength(activation: np.ndarray, beats_s: np.ndarray, *, fps: float, trim_s: float = TRIM_S) -> float:
    """Median over beats after ``trim_s`` of the activation's peak within ``PEAK_RADIUS_S`` of each beat.

    Parameters
    ----------
    activation : ndarray, shape (n_frames,)
        Beat activation in 0..1 at ``fps`` frames per second.
    beats_s : ndarray
        Beat times, s.

    Returns
    -------
    float
        0 when there are no beats after ``trim_s``.
    """
    act = np.asarray(activation, float)
    beats = np.asarray(beats_s, float)
    beats = beats[beats >= trim_s]
    if beats.size == 0 or act.size == 0:
        return 0.0
    r = max(1, int(round(PEAK_RADIUS_S * fps)))
    idx = np.clip(np.round(beats * fps).astype(int), 0, act.size - 1)
    peaks = [act[max(0, i - r): i + r + 1].max() for i in idx]
    return float(np.median(peaks))


def ibi_spread(beats_s: np.ndarray, *, trim_s: float = TRIM_S) -> float:
    """Median absolute deviation of the inter-beat intervals after ``trim_s``, over their median (inf if < 3 beats)."""
    beats = np.asarray(beats_s, float)
    ibi = np.diff(beats[beats >= trim_s])
    if ibi.size < 2:
        return float("inf")
    med = float(np.median(ibi))
    return float(np.median(np.abs(ibi - med)) / med) if med > 0 else float("inf")


def keep_piece(activation: np.ndarray, beats_s: np.ndarray, *, fps: float) -> tuple[bool, str]:
    """The selection rule: (keep, reason). Kept pieces have a steady, salient pseudo-truth pulse."""
    beats = np.asarray(beats_s, float)
    n = int((beats >= TRIM_S).sum())
    if n < MIN_BEATS:
        return False, f"{n} beats after {TRIM_S:g} s (< {MIN_BEATS})"
    pulse = pulse_strength(activation, beats, fps=fps)
    if pulse < PULSE_MIN:
        return False, f"pulse strength {pulse:.2f} (< {PULSE_MIN})"
    spread = ibi_spread(beats)
    if spread > IBI_SPREAD_MAX:
        return False, f"inter-beat spread {spread:.3f} (> {IBI_SPREAD_MAX})"
    return True, f"pulse {pulse:.2f}, spread {spread:.3f}"


def tempo_curve(beats_s: np.ndarray, *, span: int = 8) -> list[list[float]]:
    """``[[time_s, bpm], ...]`` from the beats: 60 / the median of the ``span`` intervals ending at each beat."""
    beats = np.asarray(beats_s, float)
    ibi = np.diff(beats)
    if ibi.size == 0:
        return [[0.0, 120.0]]
    out = []
    for i in range(ibi.size):
        bpm = 60.0 / float(np.median(ibi[max(0, i - span + 1): i + 1]))
        out.append([round(float(beats[i + 1]) if out else 0.0, 4), round(bpm, 2)])
    return out


def candidates(packages=PACKAGES) -> list[dict]:
    """Every track a package offers, capped per package: name, package, path, duration."""
    import av

    out = []
    for short, package, pattern, cap in packages:
        files = sorted(glob.glob(pattern))
        if not files:
            print(f"note: {package}: no music found at {pattern} (apt-get install {package})", file=sys.stderr)
            continue
        items = []
        for f in files:
            with av.open(f) as c:
                duration = (c.duration or 0) / 1e6
            if duration >= MIN_TRACK_S:
                items.append({"name": f"{short}_{slug(Path(f).stem)}", "package": package, "path": f,
                              "duration_s": round(duration, 2)})
        items.sort(key=lambda it: _hash("pick:" + it["name"]))
        out.extend(sorted(items[:cap], key=lambda it: it["name"]))
    return out


def write_excerpt(item: dict, wav: Path) -> float:
    """Decode the excerpt to a 48 kHz stereo WAV (faded at the end); returns its start in the track, s."""
    from reactor.audio.decode import AudioClip, load_audio, save_wav

    start = excerpt_start(item["duration_s"])
    clip = load_audio(item["path"], sample_rate_hz=SAMPLE_RATE_HZ, start_s=start, duration_s=EXCERPT_S)
    x = clip.samples
    if x.shape[1] == 1:
        x = np.repeat(x, 2, axis=1)
    x = x[:, :2].copy()
    fade = int(FADE_S * SAMPLE_RATE_HZ)
    x[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    wav.parent.mkdir(parents=True, exist_ok=True)
    save_wav(wav, AudioClip(samples=x, sample_rate_hz=SAMPLE_RATE_HZ, source=item["path"]))
    return start


def run_madmom(python: str, wavs: list[Path], *, downbeats: bool) -> None:
    """madmom offline over ``wavs`` in the benchmark venv (cached per WAV in ``MADMOM_CACHE``)."""
    if not wavs:
        return
    cmd = [python, str(HERE / "madmom_truth.py")] + (["--downbeats"] if downbeats else []) + [str(MADMOM_CACHE)]
    proc = subprocess.run(cmd + [str(w) for w in wavs], stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RecsetError(f"madmom_truth.py failed: {proc.stderr.strip()[-300:]}")


def truth_of(item: dict, start_s: float, duration_s: float, mm: dict, *, downbeats: bool = False) -> dict:
    """The truth JSON of one kept piece from madmom's cached output (downbeats only if asked for)."""
    end = duration_s - FADE_S
    beats = [b for b in mm["beat_times_s"] if b <= end]
    ibi = np.diff(beats)
    return {
        "name": item["name"], "truth": TRUTH_LABEL, "split": split_of(item["name"]),
        "source": f"{item['package']}: {item['path']}", "start_in_track_s": start_s,
        "beat_times_s": beats,
        "tempo_bpm": round(60.0 / float(np.median(ibi)), 2) if ibi.size else 0.0,
        "tempo_curve": tempo_curve(np.asarray(beats)),
        "meters": [f"{mm['beats_per_bar']}/beat"] if downbeats and mm.get("beats_per_bar") else [],
        "music_start_s": 0.0, "music_end_s": end, "audio_duration_s": duration_s,
        "selection": keep_piece(np.asarray(mm["activation"]), np.asarray(mm["beat_times_s"]), fps=mm["fps"])[1],
        "tags": ["recorded", "pseudo-truth", item["package"]], "version": VERSION,
    } | ({"downbeat_times_s": [b for b in mm["downbeat_times_s"] if b <= end]} if downbeats else {})


def build_recset(out_dir: Path = DEFAULT_OUT, *, python: str = DEFAULT_PYTHON, pattern: str = "*",
                 force: bool = False, downbeats: bool = False, log=print) -> list[Path]:
    """Decode, pseudo-annotate and select the recorded set; returns the kept pieces' truth paths.

    ``downbeats`` also runs madmom's downbeat tracker on the kept pieces (about as costly again);
    without it the truth has no ``downbeat_times_s`` and downbeat scores are skipped.
    """
    items = [it for it in candidates() if any(fnmatch.fnmatch(it["name"], g.strip()) for g in pattern.split(","))]
    if not items:
        raise RecsetError("recset.py: no candidate tracks (install the packages in PACKAGES)")
    starts = {}
    for it in items:
        wav = out_dir / f"{it['name']}.wav"
        if force or not wav.is_file():
            starts[it["name"]] = write_excerpt(it, wav)
        else:
            starts[it["name"]] = excerpt_start(it["duration_s"])
    run_madmom(python, [out_dir / f"{it['name']}.wav" for it in items], downbeats=False)
    kept, rejected = [], {}
    for it in items:
        mm = json.loads((MADMOM_CACHE / f"{it['name']}.json").read_text())
        ok, why = keep_piece(np.asarray(mm["activation"]), np.asarray(mm["beat_times_s"]), fps=mm["fps"])
        if ok:
            kept.append(it)
        else:
            rejected[it["name"]] = {"source": f"{it['package']}: {it['path']}", "reason": why}
            (out_dir / f"{it['name']}.wav").unlink(missing_ok=True)
            (out_dir / f"{it['name']}.truth.json").unlink(missing_ok=True)
            log(f"rejected {it['name']}: {why}")
    if downbeats:
        run_madmom(python, [out_dir / f"{it['name']}.wav" for it in kept], downbeats=True)
    paths = []
    for it in kept:
        mm = json.loads((MADMOM_CACHE / f"{it['name']}.json").read_text())
        duration = min(EXCERPT_S, it["duration_s"] - starts[it["name"]])
        truth = truth_of(it, starts[it["name"]], duration, mm, downbeats=downbeats)
        path = out_dir / f"{it['name']}.truth.json"
        path.write_text(json.dumps(truth, indent=1) + "\n")
        paths.append(path)
        log(f"kept {it['name']} ({truth['split']}): {truth['selection']}")
    if pattern == "*":
        (out_dir / "rejected.json").write_text(json.dumps(rejected, indent=1) + "\n")
    return paths


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--python", default=DEFAULT_PYTHON, help="interpreter with madmom (default: %(default)s)")
    p.add_argument("--tracks", default="*", help="glob(s) of piece names, comma-separated")
    p.add_argument("--force", action="store_true", help="decode the excerpts again")
    p.add_argument("--downbeats", action="store_true", help="also madmom's downbeat tracker (doubles the cost)")
    p.add_argument("--list", action="store_true", help="print the candidate tracks and exit")
    args = p.parse_args(argv)
    sys.path.insert(0, str(HERE.parent))
    if args.list:
        for it in candidates():
            print(f"{it['name']:32s} {split_of(it['name']):5s} {it['duration_s']:6.1f} s  {it['path']}")
        return 0
    try:
        build_recset(args.out, python=args.python, pattern=args.tracks, force=args.force, downbeats=args.downbeats)
    except RecsetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
