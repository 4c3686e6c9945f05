"""Train the look-ahead tracker's small beat activation on the train splits.

One tanh layer (16 units) over the analyzer's six per-band flux curves at -8..+8 hops
(``reactor.analysis.lookahead.band_features``), a sigmoid output, trained with Adam on a
cross-entropy against the true beats (1 at the hop of each beat, 0.5 either side). Seeded, so a
run on the same set gives the same weights. Writes ``reactor/analysis/beat_mlp.npz`` (~7 KB).

``--sets`` picks the train splits: ``real`` (``realset.py``, exact MIDI truth) and/or
``recorded`` (``recset.py``, madmom's pseudo-truth). ``--synthetic N`` adds N seeded drum
grooves built to teach what GM kits never show: off-beat hats up to 5x louder than the kick,
sixteenth hats, quiet kicks, a drumless pad intro (their own sounds and tempi, not the
failure-mode tests' signals). Analyzer recordings of the sets are cached as ``beat_errors.py``
caches them.

Usage::

    python benchmarks/realset.py                     # the set, if not built
    python benchmarks/train_activation.py [--sets real,recorded] [--synthetic 24] [--iterations 400] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "reactor" / "analysis" / "beat_mlp.npz"
LAGS = np.arange(-8, 9)
HIDDEN = 16


def recordings(split: str, data: Path, cache: Path):
    """(truth, analyzer recording, hop_s) for every track of ``split`` (recordings cached in ``cache``)."""
    import beat_errors

    for tp in sorted(data.glob("*.truth.json")):
        truth = json.loads(tp.read_text())
        if truth.get("split") != split:
            continue
        rec = beat_errors.recording(tp.with_name(truth["name"] + ".wav"), cache)
        yield truth, rec, float(rec["hop_s"])


SR = 48000


def _hit(n: int, rng: np.random.Generator, kind: str) -> np.ndarray:
    t = np.arange(n) / SR
    if kind == "kick":
        f0 = rng.uniform(40.0, 70.0)
        return np.sin(2 * np.pi * (f0 * t + rng.uniform(60, 140) * 0.02 * (1 - np.exp(-t / 0.02)))) * np.exp(-t / rng.uniform(0.05, 0.15))
    if kind == "snare":
        return (rng.uniform(-1, 1, n) * 0.7 + 0.4 * np.sin(2 * np.pi * rng.uniform(160, 240) * t)) * np.exp(-t / rng.uniform(0.03, 0.08))
    noise = rng.uniform(-1, 1, n + 2)
    return (noise[2:] - 2 * noise[1:-1] + noise[:-2]) * 0.15 * np.exp(-t / rng.uniform(0.005, 0.03))  # hat: high-passed


def synthetic_groove(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One seeded training groove (stereo float32 at 48 kHz, 32 s) and its beat times.

    Kicks on the beats (sometimes only on 1 and 3), snares on 2 and 4, hats between them far
    louder than either; a third of them open with 6-12 s of sustained chords and no drums.
    """
    rng = np.random.default_rng(10_000 + seed)
    bpm = rng.uniform(75.0, 165.0)
    intro = rng.uniform(6.0, 12.0) if seed % 3 == 0 else 0.0
    duration = 32.0
    beats = np.arange(intro + rng.uniform(0.1, 0.6), duration - 1.0, 60.0 / bpm)
    x = np.zeros(int(duration * SR))
    kick, snare, hat = (_hit(int(0.3 * SR), rng, k) for k in ("kick", "snare", "hat"))
    kick_gain, hat_gain = rng.uniform(0.3, 0.8), rng.uniform(1.0, 5.0)
    sixteenths = rng.random() < 0.4
    sparse_kick = rng.random() < 0.3
    period = 60.0 / bpm
    events = []
    for i, b in enumerate(beats):
        if not sparse_kick or i % 2 == 0:
            events.append((b, kick * kick_gain))
        if i % 2 == 1:
            events.append((b, snare * rng.uniform(0.3, 0.6)))
        events.append((b + period / 2, hat * hat_gain))
        if sixteenths:
            events += [(b + period / 4, hat * hat_gain * 0.4), (b + 3 * period / 4, hat * hat_gain * 0.4)]
    for when, sound in events:
        lo = int(round(when * SR))
        hi = min(lo + sound.size, x.size)
        if lo < x.size:
            x[lo:hi] += sound[:hi - lo]
    if intro > 0:
        tt = np.arange(int(intro * SR)) / SR
        root = rng.uniform(90.0, 180.0) * 2 ** (np.floor(tt / 3.0) % 4 / 12 * 3)
        x[:tt.size] += sum(np.sin(2 * np.pi * root * r * tt) for r in (1.0, 1.26, 1.5)) * 0.07
    x *= 0.5 / max(float(np.abs(x).max()), 1e-9)
    return np.repeat(x.astype(np.float32)[:, None], 2, axis=1), beats


def synthetic_recordings(n: int):
    """(truth, analyzer recording, hop_s) for ``n`` seeded failure-mode grooves."""
    from reactor.analysis.analyzer import StreamingAnalyzer

    for seed in range(n):
        x, beats = synthetic_groove(seed)
        an = StreamingAnalyzer(sample_rate_hz=SR, channels=2, record=True)
        for i in range(0, len(x), 65536):
            an.process(x[i:i + 65536])
        yield {"beat_times_s": list(beats)}, an.recorded(), an.hop_s


def target(truth: dict, t_end: np.ndarray, beat_delay_s: float) -> np.ndarray:
    t = t_end - beat_delay_s
    y = np.zeros(t.size)
    for b in truth["beat_times_s"]:
        i = int(np.argmin(np.abs(t - b)))
        for k, v in ((-1, 0.5), (0, 1.0), (1, 0.5)):
            if 0 <= i + k < y.size:
                y[i + k] = max(y[i + k], v)
    return y


def train(X: np.ndarray, Y: np.ndarray, *, iterations: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((X.shape[1], HIDDEN)) * 0.1
    b1 = np.zeros(HIDDEN)
    W2 = rng.standard_normal(HIDDEN) * 0.1
    b2 = np.array(-2.0)
    params = [W1, b1, W2, b2]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for it in range(iterations):
        idx = rng.choice(X.shape[0], min(40000, X.shape[0]), replace=False)
        x, y = X[idx], Y[idx]
        h = np.tanh(x @ W1 + b1)
        p = 1.0 / (1.0 + np.exp(-(h @ W2 + b2)))
        g = (p - y) / y.size
        gh = np.outer(g, W2) * (1.0 - h ** 2)
        grads = [x.T @ gh + 1e-4 * W1, gh.sum(0), h.T @ g, g.sum()]
        for k, gr in enumerate(grads):
            m[k] = 0.9 * m[k] + 0.1 * gr
            v[k] = 0.999 * v[k] + 0.001 * gr ** 2
            params[k] -= 0.01 * (m[k] / (1 - 0.9 ** (it + 1))) / (np.sqrt(v[k] / (1 - 0.999 ** (it + 1))) + 1e-8)
        if it % 100 == 0:
            loss = -np.mean(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9))
            print(f"iteration {it}: loss {loss:.4f}", file=sys.stderr)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default="real", help="train splits: real and/or recorded, comma-separated")
    ap.add_argument("--synthetic", type=int, default=0, help="failure-mode grooves added to the training data")
    ap.add_argument("--iterations", type=int, default=400)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    from reactor.analysis.analyzer import BEAT_DELAY_S
    from reactor.analysis.lookahead import band_features

    sys.path.insert(0, str(HERE))
    sets = {"real": (HERE / "data" / "realset", HERE / "results" / "realrec"),
            "recorded": (HERE / "data" / "recset", HERE / "results" / "recrec")}
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    if not names or set(names) - set(sets):
        print(f"error: --sets takes real and/or recorded, got {args.sets!r}", file=sys.stderr)
        return 2
    xs, ys, fps = [], [], None
    counts = {}
    sources = [(n, recordings("train", *sets[n])) for n in names] + [("synthetic", synthetic_recordings(args.synthetic))]
    for name, source in sources:
        for truth, rec, hop_s in source:
            xs.append(band_features(rec["flux"], LAGS))
            ys.append(target(truth, rec["t"], BEAT_DELAY_S))
            fps = 1.0 / hop_s
            counts[name] = counts.get(name, 0) + 1
    if not counts.keys() - {"synthetic"}:
        print(f"error: no train-split tracks in {', '.join(names)} (build them with realset.py / recset.py)", file=sys.stderr)
        return 2
    w = train(np.concatenate(xs), np.concatenate(ys), iterations=args.iterations)
    np.savez(args.out, lags=LAGS, fps=np.array(fps), **w)
    print(f"wrote {args.out} ({', '.join(f'{k}: {v}' for k, v in counts.items())} tracks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
