"""madmom's offline beats (and optionally downbeats) for WAV files: pseudo-truth for ``recset.py``.

Runs in the benchmark virtual environment (see ``other_trackers.py``), never in reactor's::

    /work/venvs/bench/bin/python benchmarks/madmom_truth.py [--downbeats] OUT_DIR A.wav [B.wav ...]

For each ``NAME.wav`` it writes ``OUT_DIR/NAME.json`` as soon as that file is done (so an
interrupted run keeps what it finished): ``beat_times_s`` from the offline RNN ensemble
(``RNNBeatProcessor``, bidirectional) decoded by the Viterbi bar-pointer DBN
(``DBNBeatTrackingProcessor``), the beat activation itself (``activation``, 100 frames per second,
rounded to 1e-4) for the selection rule, and with ``--downbeats`` the joint beat/downbeat network
decoded for 3 or 4 beats per bar (``downbeat_times_s``, ``beats_per_bar``). A file whose JSON
already holds what is asked for is skipped.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
import other_trackers  # noqa: E402  (the distribution-name shim and the 44.1 kHz loader)

FPS = 100


def beats_of(sig) -> dict:
    """Offline beats and the beat activation of one signal."""
    from madmom.features.beats import DBNBeatTrackingProcessor, RNNBeatProcessor

    act = RNNBeatProcessor()(sig)
    beats = DBNBeatTrackingProcessor(fps=FPS)(act)
    return {"beat_times_s": [round(float(b), 4) for b in beats],
            "activation": [round(float(a), 4) for a in act], "fps": FPS}


def downbeats_of(sig) -> dict:
    """Offline downbeats (3 or 4 beats per bar) of one signal."""
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor, RNNDownBeatProcessor

    out = DBNDownBeatTrackingProcessor(beats_per_bar=[3, 4], fps=FPS)(RNNDownBeatProcessor()(sig))
    if not len(out):
        return {"downbeat_times_s": [], "beats_per_bar": 0}
    pos = out[:, 1].astype(int)
    return {"downbeat_times_s": [round(float(t), 4) for t in out[pos == 1, 0]],
            "beats_per_bar": int(pos.max())}


def main(argv: list[str]) -> int:
    downbeats = "--downbeats" in argv
    argv = [a for a in argv if a != "--downbeats"]
    if len(argv) < 2:
        print("usage: madmom_truth.py [--downbeats] OUT_DIR A.wav [B.wav ...]", file=sys.stderr)
        return 2
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    warnings.filterwarnings("ignore")
    other_trackers._madmom()
    from madmom.audio.signal import Signal

    for wav in map(Path, argv[1:]):
        path = out_dir / (wav.stem + ".json")
        have = json.loads(path.read_text()) if path.is_file() else {}
        if "beat_times_s" in have and (not downbeats or "downbeat_times_s" in have):
            continue
        t0 = time.perf_counter()
        sig = Signal(other_trackers.load_44k(str(wav)), sample_rate=44100, num_channels=1)
        if "beat_times_s" not in have:
            have.update(beats_of(sig))
        if downbeats and "downbeat_times_s" not in have:
            have.update(downbeats_of(sig))
        have["seconds"] = round(have.get("seconds", 0.0) + time.perf_counter() - t0, 2)
        path.write_text(json.dumps(have) + "\n")
        print(f"madmom: {wav.name} {have['seconds']:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
