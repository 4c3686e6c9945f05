"""The recorded-set builder's pure logic (benchmarks/recset.py): split, excerpt and selection rule.

Nothing here needs the Debian packages or madmom: the selection rule runs on synthetic activations.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

RECSET_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "recset.py"
FPS = 100.0


@pytest.fixture(scope="module")
def recset():
    spec = importlib.util.spec_from_file_location("reactor_bench_recset", RECSET_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def pulse_train(beats_s: np.ndarray, *, height: float, length_s: float = 60.0, floor: float = 0.02) -> np.ndarray:
    """An activation with a peak of ``height`` at each beat on a low floor."""
    act = np.full(int(length_s * FPS), floor)
    act[np.clip(np.round(beats_s * FPS).astype(int), 0, act.size - 1)] = height
    return act


def test_split_is_fixed_by_name_and_near_half(recset):
    names = [f"piece_{i}" for i in range(400)]
    splits = [recset.split_of(n) for n in names]
    assert splits == [recset.split_of(n) for n in names]
    assert set(splits) == {"train", "test"}
    assert 0.4 < splits.count("test") / len(splits) < 0.6


def test_excerpt_starts_a_fifth_in_and_never_runs_past_the_end(recset):
    assert recset.excerpt_start(200.0) == 40.0
    assert recset.excerpt_start(70.0) == 10.0  # a fifth in would be 14 s: the excerpt would overrun
    assert recset.excerpt_start(55.0) == 0.0
    for d in np.linspace(60.0, 400.0, 50):
        assert recset.excerpt_start(d) + recset.EXCERPT_S <= d + 1e-9


def test_steady_salient_pulse_is_kept(recset):
    beats = np.arange(0.5, 59.5, 0.5)
    keep, why = recset.keep_piece(pulse_train(beats, height=0.6), beats, fps=FPS)
    assert keep, why


def test_weak_activation_is_rejected(recset):
    beats = np.arange(0.5, 59.5, 0.5)  # a steady grid the decoder imposed on an activation with no pulse
    keep, why = recset.keep_piece(pulse_train(beats, height=0.1), beats, fps=FPS)
    assert not keep and "pulse strength" in why


def test_wandering_tempo_is_rejected(recset):
    rng = np.random.default_rng(1)
    beats = np.cumsum(rng.uniform(0.35, 0.75, 140))
    beats = beats[beats < 59.0]
    keep, why = recset.keep_piece(pulse_train(beats, height=0.6), beats, fps=FPS)
    assert not keep and "spread" in why


def test_too_few_beats_is_rejected(recset):
    beats = np.arange(5.0, 15.0, 1.0)
    keep, why = recset.keep_piece(pulse_train(beats, height=0.9), beats, fps=FPS)
    assert not keep and "beats after" in why


def test_tempo_curve_follows_a_tempo_change(recset):
    beats = np.concatenate([np.arange(0, 20, 0.5), 20 + np.arange(0, 20, 0.4)])
    curve = np.array(recset.tempo_curve(beats))
    assert curve[0, 0] == 0.0
    assert curve[5, 1] == pytest.approx(120.0)
    assert curve[-1, 1] == pytest.approx(150.0)
