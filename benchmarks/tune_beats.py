"""Grids over beat-tracking settings on the train splits of the MIDI and recorded sets, from cached recordings.

Two grids, each printing beat F / CMLt / AMLt (mean over pieces) per set and setting:

- ``level``: the causal metrical-level choice (``beats.LevelSelector``): accent memory, accent
  weight, hysteresis, flat prior width and centre. The forward tracker runs once per piece; only
  the level choice is re-run per setting.
- ``bands``: the hand-made activation's band weights (``spectral.ACTIVATION_IMPORTANCE``), 0.5 or
  1.0 per band (the top band 0.25 or 0.5). The activation is rebuilt from the cached per-band
  flux exactly as the analyzer's kernel builds it (the gate read off the recorded activation), and
  the causal tracker re-run; ``--lookahead W,W,W,W,W,W`` scores given weights with the look-ahead
  decoder as well (about a second per piece).

Recordings come from ``beat_errors.recording`` (cached under ``benchmarks/results/``). Choose on
``--split train``; score a chosen setting on ``test`` once.

Usage::

    python benchmarks/tune_beats.py level [--split train]
    python benchmarks/tune_beats.py bands [--split train] [--lookahead 0.5,0.5,0.5,1,1,0.5 ...]
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import beat_errors as BE  # noqa: E402

Scores = dict[str, tuple[float, float, float]]


def pieces(split: str) -> list[tuple[str, dict, dict]]:
    """(set name, truth, cached recording) for every piece of ``split`` in both sets."""
    out = []
    for name, (data, cache, _note) in BE.SETS.items():
        for path in sorted(data.glob("*.truth.json")):
            truth = json.loads(path.read_text())
            if truth["split"] == split:
                out.append((name, truth, BE.recording(path.with_name(truth["name"] + ".wav"), cache)))
    return out


def mean_scores(rows: dict[str, list[dict]]) -> Scores:
    """Mean beat F, CMLt and AMLt per key."""
    return {k: tuple(float(np.mean([r[m] for r in v])) for m in ("f", "cmlt", "amlt")) for k, v in rows.items()}


def show(label: str, scores: Scores) -> None:
    cells = "  ".join(f"{k} {v[0]:.3f} {v[1]:.3f} {v[2]:.3f}" for k, v in sorted(scores.items()))
    print(f"{label:52s} {cells}", flush=True)


def tracked_beats(rec: dict) -> tuple[np.ndarray, np.ndarray, list]:
    """The forward tracker's beats, their periods and the accent at each previous beat (as run_tracker reads it)."""
    from reactor.analysis import analyzer as A
    from reactor.analysis.beats import BO_FIRED, BO_TIME, PH_BPM, BeatTracker

    hop_s = float(rec["hop_s"])
    tracker = BeatTracker(hop_s=hop_s, beat_delay_s=A.BEAT_DELAY_S)
    beats, phase = tracker.step(np.asarray(rec["act"], float), np.asarray(rec["t"], float),
                                np.asarray(rec["quiet_s"], float))
    fired = np.flatnonzero(beats[:, BO_FIRED] > 0.0)
    accent = rec["flux"][:, 0] + rec["flux"][:, 1]
    accents: list = [None]
    for n in range(1, fired.size):
        h = int(np.ceil((float(beats[fired[n - 1], BO_TIME]) + A.BEAT_DELAY_S) / hop_s)) - 1
        lo, hi = max(0, h - 1), min(h + 3, fired[n] + 1)
        accents.append(float(accent[lo:hi].max()) if hi > lo else None)
    return beats[fired, BO_TIME], 60.0 / phase[fired, PH_BPM], accents


def level_grid(split: str) -> None:
    """The causal level choice over a grid of its settings."""
    from reactor.analysis.beats import LevelSelector

    base = [(name, truth, *tracked_beats(rec)) for name, truth, rec in pieces(split)]

    def run(kw: dict | None) -> Scores:
        rows: dict[str, list[dict]] = {}
        for name, truth, times, periods, accents in base:
            est = times
            if kw is not None:
                sel = LevelSelector(**kw)
                est = times[np.array([sel.step(float(p), a) for p, a in zip(periods, accents)], bool)]
            rows.setdefault(name, []).append(BE.classify(truth, est))
        return mean_scores(rows)

    show("no level choice", run(None))
    show("level choice, defaults", run({}))
    for mem, gain, hyst, plateau, centre in itertools.product(
            (16.0, 32.0, 64.0), (0.25, 0.5, 1.0), (0.1, 0.2, 0.4), (0.25, 0.35, 0.45), (120.0, 130.0)):
        kw = dict(memory_beats=mem, accent_gain=gain, hysteresis=hyst, prior_plateau=plateau, prior_bpm=centre)
        show(f"memory {mem:g} gain {gain:g} hyst {hyst:g} plateau {plateau:g} centre {centre:g}", run(kw))


@functools.lru_cache(maxsize=1)
def _band_counts() -> np.ndarray:
    """Log bands per named band at 48 kHz (the activation weights divide by these)."""
    from reactor.analysis.analyzer import StreamingAnalyzer

    layout = StreamingAnalyzer(sample_rate_hz=48000, channels=2).layout
    return np.maximum(np.bincount(layout.logband_named, minlength=6).astype(float), 1.0)


def rebuilt_activation(rec: dict, importance: tuple[float, ...]) -> np.ndarray:
    """The analyzer's activation from the per-band flux with other band weights (its kernel's arithmetic)."""
    raw = rec["flux"] @ (np.asarray(importance, float) / _band_counts())
    raw = raw * ((rec["act"] > 0) | (raw <= 0))  # the gate: closed where the analyzer's activation was 0
    dt = float(rec["hop_s"])
    out = np.zeros(raw.size)
    amax = 1e-3
    for t, a in enumerate(raw):  # scaled by its own slow maximum (6 s decay), as in dynamics_kernel
        amax = a if a > amax else max(amax * np.exp(-dt / 6.0), 1e-3)
        out[t] = min(1.0, a / amax)
    return out


def band_grid(split: str, lookahead: list[tuple[float, ...]]) -> None:
    """The causal tracker (and for ``lookahead`` weights also the look-ahead decoder) per band weighting."""
    from reactor.analysis.spectral import ACTIVATION_IMPORTANCE

    data = pieces(split)
    err = max(float(np.max(np.abs(rebuilt_activation(r, ACTIVATION_IMPORTANCE) - r["act"]))) for _, _, r in data)
    print(f"rebuilt activation, largest difference from the recorded one: {err:.2e}")

    def run(importance: tuple[float, ...], systems: tuple[str, ...]) -> Scores:
        rows: dict[str, list[dict]] = {}
        for name, truth, rec in data:
            r = dict(rec, act=rebuilt_activation(rec, importance))
            for s in systems:
                est = BE.causal_beats(r) if s == "causal" else BE.lookahead_beats(r)
                rows.setdefault(f"{s}/{name}", []).append(BE.classify(truth, est))
        return mean_scores(rows)

    if lookahead:
        for w in lookahead:
            show(str(w), run(w, ("causal", "lookahead")))
        return
    show(f"shipped {ACTIVATION_IMPORTANCE}", run(ACTIVATION_IMPORTANCE, ("causal",)))
    for w in itertools.product((0.5, 1.0), (0.5, 1.0), (0.5, 1.0), (0.5, 1.0), (0.5, 1.0), (0.25, 0.5)):
        show(str(w), run(w, ("causal",)))


def _weights(text: str) -> tuple[float, ...]:
    w = tuple(float(x) for x in text.split(","))
    if len(w) != 6:
        raise argparse.ArgumentTypeError(f"{text!r}: give six comma-separated band weights")
    return w


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("grid", choices=("level", "bands"))
    p.add_argument("--split", choices=("train", "test"), default="train")
    p.add_argument("--lookahead", type=_weights, nargs="*", default=[], help="bands: score these weights with both trackers")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore", module="mir_eval")
    if not any(d.glob("*.truth.json") for d, _c, _n in BE.SETS.values()):
        print("error: no sets built (benchmarks/realset.py, benchmarks/recset.py)", file=sys.stderr)
        return 2
    if args.grid == "level":
        level_grid(args.split)
    else:
        band_grid(args.split, args.lookahead)
    return 0


if __name__ == "__main__":
    sys.exit(main())
