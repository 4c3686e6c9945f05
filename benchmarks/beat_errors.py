"""Where the beat errors come from on the real-music set: octave, off-beat or lost pulse, per piece.

The analyzer's front end (spectrum, flux, activation) runs once per piece and its per-hop outputs
are cached (``benchmarks/results/realrec/NAME.npz``); the causal tracker (``beats.forward_kernel``)
and the look-ahead decoder (``lookahead.track_from_recording``) are then re-run from the cache, so a
change to either is scored on the whole split in seconds. The cache is keyed by the analyzer's
source files, so a front-end change re-renders it.

Each piece's estimated beats are scored (mir_eval, first 5 s trimmed, +-70 ms) against the truth
and against its metrical variants; the variant that fits best names the error:

- ``ok``: the notated beat fits best,
- ``double`` / ``half`` / ``third`` / ``triple``: the estimate runs at 2x, 1/2, 1/3, 3x the notated tempo,
- ``offbeat``: the notated tempo, half a beat out,
- ``lost``: no variant reaches F 0.5 (phase wander, tempo drift, no pulse).

``--set recorded`` reads the recorded-music set instead (``recset.py``: game soundtracks, scored
against madmom's offline beats, labelled pseudo-truth in the output; recordings cached in
``benchmarks/results/recrec/``).

Usage::

    python benchmarks/beat_errors.py [--set real|recorded] [--split train|test|all] [--tracks GLOB] [--no-level] [--causal-level]
        [--learned | --weights NPZ] [--json PATH]

``--learned`` decodes the look-ahead track from the shipped learned activation, ``--weights``
from another ``train_activation.py`` output (to compare weights without replacing the shipped ones).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data" / "realset"
CACHE = HERE / "results" / "realrec"
SETS = {"real": (HERE / "data" / "realset", HERE / "results" / "realrec", "truth: exact (MIDI)"),
        "recorded": (HERE / "data" / "recset", HERE / "results" / "recrec", "truth: PSEUDO-TRUTH (madmom offline)")}
TRIM_S, WINDOW_S = 5.0, 0.07
KEEP = ("t", "act", "flux", "rms_db", "quiet_s")


def _front_end_digest() -> str:
    h = hashlib.sha1()
    for name in ("analyzer.py", "kernels.py", "spectral.py"):
        h.update((ROOT / "reactor" / "analysis" / name).read_bytes())
    return h.hexdigest()[:12]


def recording(wav: Path, cache_dir: Path | None = None) -> dict[str, np.ndarray]:
    """The analyzer's per-hop outputs for one WAV (cached in ``cache_dir``, default ``CACHE``)."""
    from reactor.analysis import kernels as K

    cache_dir = CACHE if cache_dir is None else cache_dir
    cache = cache_dir / f"{wav.stem}.{_front_end_digest()}.npz"
    if cache.is_file():
        with np.load(cache) as f:
            return {k: f[k] for k in f.files}
    from reactor.analysis.analyzer import StreamingAnalyzer
    from reactor.audio.decode import load_audio

    clip = load_audio(str(wav), sample_rate_hz=48000)
    an = StreamingAnalyzer(sample_rate_hz=48000, channels=clip.samples.shape[1], record=True)
    for i in range(0, clip.samples.shape[0], 65536):
        an.process(clip.samples[i:i + 65536])
    rec = an.recorded()
    out = {k: rec[k] for k in ("t", "act", "flux", "rms_db")}
    out["quiet_s"] = rec["scalars"][:, K.SC_QUIET_S]
    out["hop_s"] = np.array(an.hop_s)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **out)
    return out


LEVEL = True  # False: the look-ahead track without its metrical-level choice (``--no-level``)
CAUSAL_LEVEL = False  # True: the live tracker with its (optional) level choice (``--causal-level``)
LEARNED = False  # True: the look-ahead track over the learned activation (``--learned``, ``--weights``)


def causal_beats(rec: dict) -> np.ndarray:
    """The live tracker's beats (reported times) from a cached recording."""
    from reactor.analysis import analyzer as A
    from reactor.analysis.beats import run_tracker

    low = rec["flux"][:, 0] + rec["flux"][:, 1]  # the analyzer's level-choice accent
    return run_tracker(rec["act"], rec["t"], float(rec["hop_s"]), rec["quiet_s"], beat_delay_s=A.BEAT_DELAY_S,
                       accent=low, level=CAUSAL_LEVEL)[0]


def lookahead_beats(rec: dict) -> np.ndarray:
    from reactor.analysis.analyzer import BEAT_DELAY_S
    from reactor.analysis.lookahead import track_from_recording

    full = dict(rec)
    return track_from_recording(full, hop_s=float(rec["hop_s"]), beat_delay_s=BEAT_DELAY_S, level=LEVEL,
                                learned=LEARNED).beat_times_s


def variants(ref: np.ndarray) -> dict[str, np.ndarray]:
    """The truth's metrical variants: the estimate a tracker at another level or phase would give."""
    mid = ref[:-1] + np.diff(ref) / 2
    third1 = ref[:-1] + np.diff(ref) / 3
    third2 = ref[:-1] + 2 * np.diff(ref) / 3
    return {
        "ok": ref,
        "offbeat": mid,
        "double": np.sort(np.concatenate([ref, mid])),
        "triple": np.sort(np.concatenate([ref, third1, third2])),
        "half": ref[::2],
        "half_": ref[1::2],
        "third": ref[::3],
        "third_": ref[1::3],
        "third__": ref[2::3],
    }


def classify(truth: dict, est: np.ndarray) -> dict:
    import mir_eval

    end = truth["music_end_s"] + 0.1
    ref = mir_eval.beat.trim_beats(np.asarray(truth["beat_times_s"], float), min_beat_time=TRIM_S)
    est = np.sort(np.asarray(est, float))
    est = mir_eval.beat.trim_beats(est[(est >= 0) & (est <= end)], min_beat_time=TRIM_S)
    f = {k: mir_eval.beat.f_measure(v, est, WINDOW_S) for k, v in variants(ref).items()}
    best = max(f, key=f.get)
    kind = best.rstrip("_") if f[best] >= 0.5 else "lost"
    _, cmlt, _, amlt = mir_eval.beat.continuity(ref, est)
    return {"f": f["ok"], "cmlt": cmlt, "amlt": amlt, "kind": kind, "best_f": f[best]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--set", choices=tuple(SETS), default="real", help="real: realset.py; recorded: recset.py")
    p.add_argument("--split", choices=("train", "test", "all"), default="train")
    p.add_argument("--tracks", default="*")
    p.add_argument("--only", default="causal,lookahead")
    p.add_argument("--json", type=Path)
    p.add_argument("--no-level", action="store_true", help="look-ahead without its metrical-level choice")
    p.add_argument("--causal-level", action="store_true", help="live tracker with the optional level choice")
    p.add_argument("--learned", action="store_true", help="look-ahead over the shipped learned activation")
    p.add_argument("--weights", type=Path, help="look-ahead over the learned activation in this .npz instead")
    p.add_argument("-q", "--quiet", action="store_true", help="summary only")
    args = p.parse_args(argv)
    global LEVEL, CAUSAL_LEVEL, LEARNED, DATA, CACHE
    LEVEL, CAUSAL_LEVEL, LEARNED = not args.no_level, args.causal_level, args.learned or args.weights is not None
    DATA, CACHE, truth_note = SETS[args.set]
    sys.path.insert(0, str(ROOT))
    if args.weights is not None:
        from reactor.analysis import lookahead

        if not args.weights.is_file():
            print(f"error: {args.weights}: no such weights file", file=sys.stderr)
            return 2
        with np.load(args.weights) as f:
            lookahead._WEIGHTS = {k: f[k] for k in f.files}
    warnings.filterwarnings("ignore", module="mir_eval")
    truths = []
    for path in sorted(DATA.glob("*.truth.json")):
        tr = json.loads(path.read_text())
        if args.split != "all" and tr["split"] != args.split:
            continue
        if fnmatch.fnmatch(tr["name"], args.tracks):
            truths.append((path, tr))
    if not truths:
        script = "recset.py" if args.set == "recorded" else "realset.py"
        print(f"error: no pieces in {DATA} (build them with benchmarks/{script})", file=sys.stderr)
        return 2
    systems = [s for s in ("causal", "lookahead") if s in args.only]
    rows: dict[str, dict] = {}
    for path, tr in truths:
        rec = recording(path.with_name(tr["name"] + ".wav"))
        row = {"bpm": tr["tempo_bpm"], "meters": ",".join(tr.get("meters", []))}
        for s in systems:
            est = causal_beats(rec) if s == "causal" else lookahead_beats(rec)
            row[s] = classify(tr, est)
            ibi = np.diff(est[est > TRIM_S])
            row[s]["est_bpm"] = float(60.0 / np.median(ibi)) if ibi.size else 0.0
        rows[tr["name"]] = row
    if not args.quiet:
        print(f"{'piece':14s} {'bpm':>6s} {'meter':8s} " + " ".join(
            f"{s[:6]:>6s}F {'CMLt':>5s} {'AMLt':>5s} {'estBPM':>6s} {'kind':8s}" for s in systems))
        for name, r in rows.items():
            cells = " ".join(f"{r[s]['f']:7.3f} {r[s]['cmlt']:5.2f} {r[s]['amlt']:5.2f} {r[s]['est_bpm']:6.1f} "
                             f"{r[s]['kind']:8s}" for s in systems)
            print(f"{name:14s} {r['bpm']:6.1f} {r['meters'][:8]:8s} {cells}")
    print(truth_note)
    for s in systems:
        f = np.array([r[s]["f"] for r in rows.values()])
        c = np.array([r[s]["cmlt"] for r in rows.values()])
        a = np.array([r[s]["amlt"] for r in rows.values()])
        kinds: dict[str, list] = {}
        for name, r in rows.items():
            kinds.setdefault(r[s]["kind"], []).append(r[s]["f"])
        lost = {k: f"{len(v)} (F lost {sum(1.0 - x for x in v):.1f})" for k, v in sorted(kinds.items())}
        print(f"{s:10s} {args.split} n={len(rows)}  beat F {f.mean():.3f}  CMLt {c.mean():.3f}  AMLt {a.mean():.3f}  "
              f"kinds: {lost}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
