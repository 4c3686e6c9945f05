"""Train the look-ahead tracker's small beat activation on the real-music set's train split.

One tanh layer (16 units) over the analyzer's six per-band flux curves at -8..+8 hops
(``reactor.analysis.lookahead.band_features``), a sigmoid output, trained with Adam on a
cross-entropy against the true beats (1 at the hop of each beat, 0.5 either side). Seeded, so a
run on the same set gives the same weights. Writes ``reactor/analysis/beat_mlp.npz`` (~7 KB).

Usage::

    python benchmarks/realset.py                     # the set, if not built
    python benchmarks/train_activation.py [--iterations 400]
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


def recordings(split: str, data: Path):
    """(truth, analyzer recording) for every track of ``split``."""
    from scipy.io import wavfile

    from reactor.analysis.analyzer import StreamingAnalyzer

    for tp in sorted(data.glob("*.truth.json")):
        truth = json.loads(tp.read_text())
        if truth.get("split") != split:
            continue
        rate, x = wavfile.read(str(tp.with_name(truth["name"] + ".wav")))
        x = x.astype(np.float32) / 32768.0
        an = StreamingAnalyzer(sample_rate_hz=rate, channels=x.shape[1], record=True)
        for i in range(0, len(x), 65536):
            an.process(x[i:i + 65536])
        yield truth, an.recorded(), an.hop_s


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
    ap.add_argument("--data", type=Path, default=HERE / "data" / "realset")
    ap.add_argument("--iterations", type=int, default=400)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    from reactor.analysis.analyzer import BEAT_DELAY_S
    from reactor.analysis.lookahead import band_features

    xs, ys, fps = [], [], None
    for truth, rec, hop_s in recordings("train", args.data):
        xs.append(band_features(rec["flux"], LAGS))
        ys.append(target(truth, rec["t"], BEAT_DELAY_S))
        fps = 1.0 / hop_s
    if not xs:
        print(f"error: {args.data}: no train-split tracks (run benchmarks/realset.py)", file=sys.stderr)
        return 2
    w = train(np.concatenate(xs), np.concatenate(ys), iterations=args.iterations)
    np.savez(args.out, lags=LAGS, fps=np.array(fps), **w)
    print(f"wrote {args.out} ({len(xs)} tracks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
