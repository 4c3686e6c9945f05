"""Score beat, downbeat, onset and tempo tracking on the dev set: reactor and aubio side by side.

For every dev track (``benchmarks/devset.py``) this runs, in the same process:

- ``reactor``: ``reactor.analysis.offline.analyze_file`` (the causal streaming analyzer),
- ``aubio``: ``aubio.tempo("default")`` beats + tempo and ``aubio.onset("hfc")`` (aubio's default),
- ``aubio-sf``: ``aubio.onset("specflux")`` onsets,
- ``reactor-la``: reactor's look-ahead (offline) mode, ``analyze_both`` from the same analyzer pass
  (what ``reactor analyze`` and ``reactor render`` use for files; its beats are known in advance),
- with ``--others PYTHON`` (a separate venv, see ``other_trackers.py``): ``madmom-on`` (online LSTM +
  forward DBN), ``madmom-off`` (offline RNN + Viterbi DBN), ``essentia`` (BeatTrackerMultiFeature,
  offline), ``beatnet`` (online particle filter); results are cached per track in
  ``benchmarks/results/others/`` because they are slow (madmom online runs ~1-20x real time here).

aubio fed hop by hop (1024/512 at 48 kHz) as a live user would, recording both the time it reports
(``get_last_s()``) and the emission time (the end of the hop in which it reported the event).
Scores come from mir_eval (beats: first 5 s trimmed, +-70 ms; onsets: +-50 ms). Estimated events
after the song's final hit are not scored: the audio there is only a fading tail.

Usage::

    python benchmarks/eval_analysis.py [--set dev|real] [--split train|test|all] [--data DIR] [--tracks GLOB]
        [--only reactor,aubio] [--others /work/venvs/bench/bin/python] [--json PATH]

``--set real`` scores the real-music dev set (``realset.py``: Freedoom's composed MIDI, rendered
and produced); ``--split`` picks its half (weights were chosen on ``train``; report ``test``).
``--set recorded`` scores the recorded-music set (``recset.py``: game soundtracks from Debian
packages) against pseudo-truth, madmom's offline beats, and says so in every table; it has no
onset truth (onset columns stay empty), and of the other trackers only ``madmom-on`` runs
(madmom offline is the truth itself; madmom online shares its network family).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reactor.errors import ReactorError

HOP, WIN = 512, 1024
BEAT_WINDOW_S, ONSET_WINDOW_S, TEMPO_TOL = 0.07, 0.05, 0.04
TRIM_S = 5.0  # mir_eval.beat's default: beat trackers get 5 s to lock on
END_SLACK_S = 0.1
SYSTEMS = ("reactor", "reactor-la", "aubio", "aubio-sf", "madmom-on", "madmom-off", "essentia", "beatnet")
OTHERS = ("madmom-on", "madmom-off", "essentia", "beatnet")
OTHERS_CACHE = Path(__file__).resolve().parent / "results" / "others"
# (key, header, kind): kind "f" is 0..1, "ms" milliseconds
METRICS = (
    ("beat_f", "beatF", "f"), ("beat_f_emit", "beatFe", "f"), ("cmlt", "CMLt", "f"), ("amlt", "AMLt", "f"),
    ("beat_emit_ms", "bLat", "ms"), ("downbeat_f", "dbF", "f"),
    ("onset_f_drums", "onDr", "f"), ("onset_f_drums_emit", "onDre", "f"),
    ("onset_f_all", "onAll", "f"), ("onset_f_all_emit", "onAlle", "f"),
    ("onset_lat_med_ms", "latMed", "ms"), ("onset_lat_p90_ms", "latP90", "ms"),
    ("tempo_acc1", "tmpA1", "f"), ("tempo_acc2", "tmpA2", "f"),
)
PSEUDO_OTHERS = ("madmom-on",)  # the other trackers scored against pseudo-truth (madmom offline)
LEGEND = """columns: beatF/beatFe beat F-measure at reported/emission time; CMLt AMLt continuity (reported);
  bLat median(emission - matched true beat) ms, negative = announced ahead; dbF downbeat F;
  onDr/onDre onset F vs drum onsets at reported/emission time; onAll/onAlle the same vs all note onsets;
  latMed/latP90 onset emission latency (emission - matched true onset) ms; tmpA1 fraction of time
  (after 5 s) with tempo within 4%; tmpA2 the same allowing x2, x1/2, x3, x1/3 octave errors."""


@dataclass
class Estimates:
    """One system's output for one track; any field may be None where the system has no such output."""

    beat_times_s: np.ndarray | None = None
    beat_emitted_s: np.ndarray | None = None
    downbeat_times_s: np.ndarray | None = None
    onset_times_s: np.ndarray | None = None
    onset_emitted_s: np.ndarray | None = None
    tempo_times_s: np.ndarray | None = None  # when each tempo_bpm value held
    tempo_bpm: np.ndarray | None = None
    seconds: float = 0.0  # wall time of the analysis


def read_mono(path: Path) -> tuple[np.ndarray, int]:
    """Read a WAV as float32 mono in -1..1 and its sample rate."""
    from scipy.io import wavfile

    rate, x = wavfile.read(str(path))
    if np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.float32) / float(np.iinfo(x.dtype).max + 1)
    x = np.asarray(x, np.float32)
    return (x.mean(axis=1) if x.ndim == 2 else x).astype(np.float32), int(rate)


def run_aubio(path: Path) -> dict[str, Estimates]:
    """aubio tempo + hfc onsets (``aubio``) and specflux onsets (``aubio-sf``), fed hop by hop."""
    import aubio

    x, rate = read_mono(path)
    t0 = time.perf_counter()
    tempo = aubio.tempo("default", WIN, HOP, rate)
    detectors = {"aubio": aubio.onset("hfc", WIN, HOP, rate), "aubio-sf": aubio.onset("specflux", WIN, HOP, rate)}
    n_hops = -(-len(x) // HOP)
    x = np.concatenate([x, np.zeros(n_hops * HOP - len(x), np.float32)])
    beats, beat_emit, bpm = [], [], np.zeros(n_hops)
    onsets: dict[str, list[tuple[float, float]]] = {k: [] for k in detectors}
    for i in range(n_hops):
        hop = x[i * HOP:(i + 1) * HOP]
        emitted = (i + 1) * HOP / rate
        if tempo(hop)[0]:
            beats.append(tempo.get_last_s())
            beat_emit.append(emitted)
        bpm[i] = tempo.get_bpm()
        for name, det in detectors.items():
            if det(hop)[0]:
                onsets[name].append((det.get_last_s(), emitted))
    seconds = time.perf_counter() - t0
    out = {}
    for name, pairs in onsets.items():
        arr = np.array(pairs, float).reshape(-1, 2)
        out[name] = Estimates(onset_times_s=arr[:, 0], onset_emitted_s=arr[:, 1], seconds=seconds)
    out["aubio"].beat_times_s, out["aubio"].beat_emitted_s = np.array(beats), np.array(beat_emit)
    out["aubio"].tempo_times_s, out["aubio"].tempo_bpm = (np.arange(n_hops) + 1) * HOP / rate, bpm
    return out


def run_reactor(path: Path, duration_s: float) -> dict[str, Estimates]:
    """reactor's causal analyzer (``reactor``) and its look-ahead mode (``reactor-la``), one pass."""
    from reactor.analysis.offline import analyze_both
    from reactor.audio.decode import load_audio

    clip = load_audio(str(path), sample_rate_hz=48000)
    t0 = time.perf_counter()
    causal, offline = analyze_both(clip.samples, sample_rate_hz=clip.sample_rate_hz)
    seconds = time.perf_counter() - t0
    return {"reactor": _estimates(causal, duration_s, seconds), "reactor-la": _estimates(offline, duration_s, seconds)}


def run_others(python: str, path: Path, only: tuple[str, ...] = OTHERS) -> dict[str, Estimates]:
    """The other trackers' beats for one WAV, run in another interpreter (cached per track).

    ``only`` names the trackers to run; a cached result holding all of them is reused.
    """
    import subprocess

    cache = OTHERS_CACHE / (path.name[:-4] + ".json")
    cached = next(iter(json.loads(cache.read_text()).values()), {}) if cache.is_file() else {}
    if not set(only) <= set(cached):
        cache.parent.mkdir(parents=True, exist_ok=True)
        script = Path(__file__).resolve().parent / "other_trackers.py"
        pick = [] if set(only) == set(OTHERS) else ["--only=" + ",".join(only)]
        proc = subprocess.run([python, str(script), str(cache)] + pick + [str(path)], capture_output=True, text=True)
        if proc.returncode != 0 or not cache.is_file():
            print(f"note: other trackers failed on {path.name}: {proc.stderr.strip()[-300:]}", file=sys.stderr)
            return {}
    data = next(iter(json.loads(cache.read_text()).values()), {})
    out = {}
    for name, r in data.items():
        if name not in only:
            continue
        arr = lambda k: None if r.get(k) is None else np.asarray(r[k], float)  # noqa: E731
        out[name] = Estimates(beat_times_s=arr("beat_times_s"), beat_emitted_s=arr("beat_emitted_s"),
                              downbeat_times_s=arr("downbeat_times_s"), seconds=float(r.get("seconds", 0.0)))
    return out


def _estimates(res, duration_s: float, seconds: float) -> Estimates:
    def arr(name: str, required: bool = True) -> np.ndarray | None:
        if not hasattr(res, name):
            if required:
                raise AttributeError(f"reactor analysis result has no {name!r}")
            return None
        return np.asarray(getattr(res, name), float).ravel()

    # prefer the per-hop tempo series (``tempo_curve_bpm`` over ``times_s``) to the final scalar
    bpm = arr("tempo_curve_bpm", False)
    if bpm is None or bpm.size == 0 or getattr(res, "mode", "causal") == "offline":
        bpm = np.array([float(res.tempo_bpm)])
    times = next((arr(n, False) for n in ("tempo_times_s", "times_s", "frame_times_s", "time_s")
                  if hasattr(res, n) and np.size(getattr(res, n)) == bpm.size), None)
    if times is None:  # a scalar tempo holds throughout; a bare series is assumed evenly spaced
        times = np.linspace(0.0, duration_s, bpm.size, endpoint=bpm.size == 1)
    return Estimates(arr("beat_times_s"), arr("beat_emitted_s"), arr("downbeat_times_s"),
                     arr("onset_times_s"), arr("onset_emitted_s"), times, bpm, seconds)


def _clip(times: np.ndarray | None, end_s: float, *others: np.ndarray | None):
    """Drop events after ``end_s`` and sort by time; ``others`` are parallel arrays kept in step."""
    if times is None:
        return (None,) * (1 + len(others))
    times = np.asarray(times, float)
    keep = np.isfinite(times) & (times <= end_s) & (times >= 0)
    order = np.argsort(times[keep], kind="stable")
    return (times[keep][order],) + tuple(None if o is None else np.asarray(o, float)[keep][order] for o in others)


def _lat_ms(ref: np.ndarray, est: np.ndarray, emitted: np.ndarray, window_s: float) -> np.ndarray:
    import mir_eval

    pairs = mir_eval.util.match_events(ref, est, window_s)
    return np.array([(emitted[j] - ref[i]) * 1000 for i, j in pairs])


def _tempo_acc(truth: dict, est: Estimates, end_s: float) -> tuple[float, float]:
    curve = np.array(truth["tempo_curve"], float)
    t, bpm = est.tempo_times_s, est.tempo_bpm
    sel = (t >= TRIM_S) & (t <= end_s)
    if not sel.any():
        return float("nan"), float("nan")
    true_bpm = curve[np.searchsorted(curve[:, 0], t[sel], side="right") - 1, 1]
    ratio = bpm[sel] / true_bpm
    acc1 = np.abs(ratio - 1) <= TEMPO_TOL
    acc2 = np.any([np.abs(ratio / f - 1) <= TEMPO_TOL for f in (1, 2, 0.5, 3, 1 / 3)], axis=0)
    return float(acc1.mean()), float(acc2.mean())


def score(truth: dict, est: Estimates) -> dict[str, float]:
    """mir_eval scores of one system on one track (NaN where the system has no such output)."""
    import mir_eval

    end_s = truth["music_end_s"] + END_SLACK_S
    m = {k: float("nan") for k, _, _ in METRICS}
    trim = mir_eval.beat.trim_beats
    ref_beats = trim(np.array(truth["beat_times_s"]), min_beat_time=TRIM_S)
    beats, beat_emit = _clip(est.beat_times_s, end_s, est.beat_emitted_s)
    if beats is not None:
        m["beat_f"] = mir_eval.beat.f_measure(ref_beats, trim(beats), BEAT_WINDOW_S)
        _, m["cmlt"], _, m["amlt"] = mir_eval.beat.continuity(ref_beats, trim(beats))
        if beat_emit is not None:
            m["beat_f_emit"] = mir_eval.beat.f_measure(ref_beats, trim(np.sort(beat_emit)), BEAT_WINDOW_S)
            lat = _lat_ms(ref_beats, beats, beat_emit, BEAT_WINDOW_S)
            m["beat_emit_ms"] = float(np.median(lat)) if lat.size else float("nan")
    (downbeats,) = _clip(est.downbeat_times_s, end_s)
    if downbeats is not None and "downbeat_times_s" in truth:  # absent from pseudo-truth without downbeats
        ref_db = trim(np.array(truth["downbeat_times_s"]), min_beat_time=TRIM_S)
        m["downbeat_f"] = mir_eval.beat.f_measure(ref_db, trim(downbeats), BEAT_WINDOW_S)
    onsets, onset_emit = _clip(est.onset_times_s, end_s, est.onset_emitted_s)
    if onsets is not None and "onset_times_s" in truth:  # pseudo-truth sets have no onset truth
        for ref_key, tag in (("drum_onset_times_s", "drums"), ("onset_times_s", "all")):
            ref = np.array(truth[ref_key])
            m[f"onset_f_{tag}"] = mir_eval.onset.f_measure(ref, onsets, window=ONSET_WINDOW_S)[0]
            if onset_emit is not None:
                m[f"onset_f_{tag}_emit"] = mir_eval.onset.f_measure(ref, np.sort(onset_emit), window=ONSET_WINDOW_S)[0]
        if onset_emit is not None:
            lat = _lat_ms(np.array(truth["onset_times_s"]), onsets, onset_emit, ONSET_WINDOW_S)
            if lat.size:
                m["onset_lat_med_ms"], m["onset_lat_p90_ms"] = float(np.median(lat)), float(np.percentile(lat, 90))
    if est.tempo_bpm is not None:
        m["tempo_acc1"], m["tempo_acc2"] = _tempo_acc(truth, est, end_s)
    m["x_realtime"] = truth.get("audio_duration_s", truth["music_end_s"]) / max(est.seconds, 1e-9)
    return {k: float(v) for k, v in m.items()}


def _fmt(value: float, kind: str) -> str:
    if not np.isfinite(value):
        return "-"
    return f"{value:.0f}" if kind == "ms" else f"{value:.3f}"


def print_tables(results: dict[str, dict[str, dict[str, float]]], systems: list[str], truth_note: str = "") -> dict:
    """Print the per-track and summary tables; return the summary {system: {metric: {median, mean}}}.

    ``truth_note`` (e.g. that the truth is madmom's pseudo-truth) heads both tables.
    """
    widths = [max(len(h), 6) for _, h, _ in METRICS]
    name_w = max([len(n) for n in results] + [5])
    print(LEGEND)
    if truth_note:
        print(truth_note)
    headers = " ".join(f"{h:>{w}s}" for (_, h, _), w in zip(METRICS, widths))
    print(f"\n{'track':{name_w}s} {'system':10s} {headers}")
    for name, per_sys in results.items():
        for s in systems:
            if s in per_sys:
                cells = (_fmt(per_sys[s][k], kind) for k, _, kind in METRICS)
                print(f"{name:{name_w}s} {s:10s} " + " ".join(f"{c:>{w}s}" for c, w in zip(cells, widths)))
    summary: dict = {}
    for s in systems:
        summary[s] = {}
        for k, _, _ in METRICS + (("x_realtime", "", ""),):
            vals = np.array([r[s][k] for r in results.values() if s in r], float)
            vals = vals[np.isfinite(vals)]
            summary[s][k] = {"median": float(np.median(vals)) if vals.size else float("nan"),
                             "mean": float(np.mean(vals)) if vals.size else float("nan")}
    print(f"\nsummary over {len(results)} tracks (median / mean across tracks)" + (f"; {truth_note}" if truth_note else ""))
    print(f"{'metric':8s} " + " ".join(f"{s:>17s}" for s in systems))
    for k, h, kind in METRICS:
        cells = [f"{_fmt(summary[s][k]['median'], kind)} / {_fmt(summary[s][k]['mean'], kind)}" for s in systems]
        print(f"{h:8s} " + " ".join(f"{c:>17s}" for c in cells))
    return summary


def _nan_to_none(obj):
    """JSON has no NaN: metrics a system cannot produce are saved as null."""
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = Path(__file__).resolve().parent
    parser.add_argument("--data", type=Path, default=here / "data" / "devset",
                        help="folder of NAME.wav + NAME.truth.json (default: %(default)s, built if missing)")
    parser.add_argument("--tracks", default="*", help="glob(s) of track names, comma-separated")
    parser.add_argument("--only", default="reactor,aubio", help="systems: reactor, aubio (comma-separated)")
    parser.add_argument("--set", choices=("dev", "real", "recorded"), default="dev",
                        help="dev: code-made grooves (devset.py); real: composed music (realset.py); "
                             "recorded: game soundtracks, pseudo-truth (recset.py)")
    parser.add_argument("--split", choices=("train", "test", "all"), default="all",
                        help="real and recorded sets: which half to score (default all)")
    parser.add_argument("--others", metavar="PYTHON", help="interpreter with madmom/essentia/BeatNet (other_trackers.py)")
    parser.add_argument("--json", type=Path, help="also save all scores here")
    args = parser.parse_args(argv)
    wanted = {s.strip() for s in args.only.split(",") if s.strip()}
    if not wanted or wanted - {"reactor", "aubio"}:
        print(f"error: --only takes reactor and/or aubio, got {args.only!r}", file=sys.stderr)
        return 2
    globs = [g.strip() for g in args.tracks.split(",") if g.strip()]
    truth_note, others = "", OTHERS
    if args.set == "recorded" and args.data.resolve() == (here / "data" / "devset").resolve():
        args.data = here / "data" / "recset"
        truth_note = ("truth: PSEUDO-TRUTH (madmom offline RNN + DBN beats on recorded game music); "
                      "madmom-on shares its network family")
        others = PSEUDO_OTHERS
        if not any(args.data.glob("*.truth.json")):
            print(f"error: {args.data}: no recorded set; build it with benchmarks/recset.py", file=sys.stderr)
            return 2
    elif args.set == "real" and args.data.resolve() == (here / "data" / "devset").resolve():
        args.data = here / "data" / "realset"
        sys.path.insert(0, str(here))
        import realset

        try:
            realset.build_realset(args.data, pattern=args.tracks, log=lambda m: None)
        except realset.devset.DevsetError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    elif args.data.resolve() == (here / "data" / "devset").resolve():
        sys.path.insert(0, str(here))
        import devset  # the sibling script; building is idempotent and quick when up to date

        try:
            devset.build_devset(args.data, pattern=args.tracks, log=lambda m: None)
        except devset.DevsetError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    truths = sorted(p for p in args.data.glob("*.truth.json")
                    if any(fnmatch.fnmatch(p.name[: -len(".truth.json")], g) for g in globs))
    if args.split != "all":
        truths = [p for p in truths if json.loads(p.read_text()).get("split", "train") == args.split]
    if not truths:
        print(f"error: {args.data}: no NAME.truth.json matches {args.tracks!r}", file=sys.stderr)
        return 2
    if "reactor" in wanted:
        try:
            from reactor.analysis.offline import analyze_file  # noqa: F401
        except ImportError as e:
            if args.only.strip() == "reactor":
                print(f"error: reactor analyzer not importable ({e})", file=sys.stderr)
                return 2
            print(f"note: reactor analyzer not importable ({e}); scoring aubio only", file=sys.stderr)
            wanted.discard("reactor")
    systems = [s for s in SYSTEMS if s in wanted or (s == "aubio-sf" and "aubio" in wanted)
               or (s == "reactor-la" and "reactor" in wanted) or (s in others and args.others)]
    results: dict[str, dict[str, dict[str, float]]] = {}
    warnings.filterwarnings("ignore", module="mir_eval")  # empty-estimate warnings; scored as 0
    for path in truths:
        truth = json.loads(path.read_text())
        wav = path.with_name(path.name.replace(".truth.json", ".wav"))
        est: dict[str, Estimates] = {}
        if "aubio" in wanted:
            est.update(run_aubio(wav))
        if "reactor" in wanted:
            try:
                est.update(run_reactor(wav, truth.get("audio_duration_s", truth["music_end_s"])))
            except ReactorError as e:  # a user-facing error (unreadable file...): one line, exit 2
                print(f"error: {e}", file=sys.stderr)
                return 2
        if args.others:
            est.update(run_others(args.others, wav, others))
        if truth.get("truth", "").startswith("pseudo") and not truth_note:
            truth_note = f"truth: PSEUDO-TRUTH ({truth['truth']})"
        results[truth["name"]] = {s: score(truth, e) for s, e in est.items()}
        print(f"scored {truth['name']}", file=sys.stderr)
    summary = print_tables(results, systems, truth_note)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"data": str(args.data), "truth": truth_note or "exact (from the score)", "systems": systems, "tracks": results, "summary": summary,
                   "settings": {"hop": HOP, "win": WIN, "beat_window_s": BEAT_WINDOW_S,
                                "onset_window_s": ONSET_WINDOW_S, "tempo_tolerance": TEMPO_TOL, "trim_s": TRIM_S}}
        args.json.write_text(json.dumps(_nan_to_none(payload), indent=1) + "\n")
        print(f"\nsaved {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
