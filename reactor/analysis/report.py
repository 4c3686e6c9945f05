"""Writers for ``reactor analyze``: JSON, a CSV spotting list, Audacity labels and a PNG plot."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np

from reactor.analysis.offline import Analysis
from reactor.errors import OutputError
from reactor.features import BAND_NAMES


def summary(a: Analysis, *, source: str) -> str:
    """A few human lines: duration, tempo, confidence, counts."""
    conf = float(np.median(a.tempo_confidence[len(a.tempo_confidence) // 4:])) if a.tempo_confidence.size else 0.0
    tempo = f"{a.tempo_bpm:.1f} BPM" if a.tempo_bpm > 0 else "no steady beat"
    lines = [
        f"{source}: {a.duration_s:.2f} s at {a.sample_rate_hz} Hz (hop {a.hop_s * 1000:.1f} ms)",
        f"tempo {tempo}, confidence {conf:.2f}",
        f"{len(a.beat_times_s)} beats, {len(a.downbeat_times_s)} downbeats, {len(a.onset_times_s)} onsets",
    ]
    if len(a.onset_times_s):
        lat = (a.onset_emitted_s - a.onset_times_s) * 1000.0
        lines.append(f"onsets known {np.median(lat):.1f} ms after they happen (median)")
    if a.repaired_samples:
        lines.append(f"warning: {a.repaired_samples} NaN/Inf samples were replaced by silence")
    return "\n".join(lines)


def events(a: Analysis) -> list[tuple[float, str, float]]:
    """All events as (time_s, kind, strength), sorted by time; kinds: downbeat, beat, onset."""
    rows = [(float(t), "onset", float(s)) for t, s in zip(a.onset_times_s, a.onset_strength)]
    down = set(np.round(a.downbeat_times_s, 6))
    for t in a.beat_times_s:
        rows.append((float(t), "downbeat" if round(float(t), 6) in down else "beat", 1.0))
    return sorted(rows, key=lambda r: (r[0], r[1]))


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` or stdout for ``-``; one-line OutputError on failure."""
    if path == "-":
        import sys

        sys.stdout.write(text)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({e.strerror or e})") from None


def to_json(a: Analysis) -> str:
    return json.dumps(a.to_json_dict(), indent=1) + "\n"


def to_csv(a: Analysis) -> str:
    """Spotting list an editor can import: ``time_s,kind,strength`` with a header row."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["time_s", "kind", "strength"])
    for t, kind, s in events(a):
        w.writerow([f"{t:.4f}", kind, f"{s:.3f}"])
    return buf.getvalue()


def to_labels(a: Analysis) -> str:
    """Audacity label track: ``start<TAB>end<TAB>label`` per line (point labels)."""
    lines = []
    for t, kind, s in events(a):
        label = "B" if kind == "beat" else ("DB" if kind == "downbeat" else f"onset {s:.2f}")
        lines.append(f"{t:.6f}\t{t:.6f}\t{label}")
    return "\n".join(lines) + ("\n" if lines else "")


def require_plotting() -> None:
    """Raise a one-line ``UsageError`` when matplotlib (the ``plot`` extra) is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        from reactor.errors import UsageError

        raise UsageError("--plot needs matplotlib: pip install 'reactor[plot]'") from None


def plot(a: Analysis, samples: np.ndarray, path: str | os.PathLike) -> None:
    """PNG with waveform, onset strength and events, beats/downbeats and band envelopes."""
    require_plotting()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mono = np.asarray(samples, dtype=np.float32)
    if mono.ndim == 2:
        mono = mono.mean(axis=1)
    fig, ax = plt.subplots(3, 1, figsize=(14, 8), sharex=True, gridspec_kw={"height_ratios": [1.2, 1, 1.4]})
    step = max(1, mono.size // 20000)
    env = np.abs(mono[: mono.size // step * step]).reshape(-1, step).max(axis=1) if mono.size else mono
    tt = np.arange(env.size) * step / a.sample_rate_hz
    ax[0].fill_between(tt, -env, env, color="#4a6fa5", lw=0)
    ax[0].set_ylabel("waveform")
    ax[0].set_title(f"tempo {a.tempo_bpm:.1f} BPM  ·  {len(a.beat_times_s)} beats  ·  {len(a.onset_times_s)} onsets")
    ax[1].plot(a.times_s, a.onset_curve, color="#333", lw=0.7, label="onset strength")
    ax[1].vlines(a.onset_times_s, 0, 1, color="#e07a5f", lw=0.6, alpha=0.7, label="onsets")
    ax[1].set_ylim(0, 1.05)
    ax[1].set_ylabel("onsets")
    for axis in ax[:2]:
        axis.vlines(a.beat_times_s, *axis.get_ylim(), color="#3d9970", lw=0.8, alpha=0.6)
        axis.vlines(a.downbeat_times_s, *axis.get_ylim(), color="#b10dc9", lw=1.6, alpha=0.8)
    ax[1].legend(loc="upper right", fontsize=8)
    for k, name in enumerate(BAND_NAMES):
        if a.bands.size:
            ax[2].plot(a.times_s, a.bands[:, k, 1] + (len(BAND_NAMES) - 1 - k) * 1.1, lw=0.7)
            ax[2].text(0, (len(BAND_NAMES) - 1 - k) * 1.1 + 0.3, name, fontsize=8)
    ax[2].set_yticks([])
    ax[2].set_ylabel("band envelopes")
    ax[2].set_xlabel("time (s)  ·  green: beats, purple: downbeats")
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=90)
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({e.strerror or e})") from None
    finally:
        plt.close(fig)
