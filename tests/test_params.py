"""Modulation: curves, ranges, beat-locked LFOs and frame-rate-independent smoothing."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from reactor.control.params import Modulator, apply_curve, lfo_value
from reactor.features import Features
from reactor.presets import CURVES, load_preset


def make_modulator(tmp_path: Path, routes: str, params: str = "[params.x]\ndefault = 0.0\n") -> Modulator:
    path = tmp_path / "m.toml"
    path.write_text(f'scene = "test"\n{params}\n{routes}')
    return Modulator(load_preset(path))


def run(mod: Modulator, values: list[dict[str, float]], dt_s: float, param: str = "x") -> list[float]:
    return [mod.step(Features.silent(**v), dt_s=dt_s)[param] for v in values]


@pytest.mark.parametrize("curve", CURVES)
def test_curves_map_unit_interval_onto_itself_monotonically(curve: str) -> None:
    xs = np.linspace(0.0, 1.0, 101)
    ys = [apply_curve(curve, float(x)) for x in xs]
    assert ys[0] == 0.0 and ys[-1] == pytest.approx(1.0)
    assert all(b >= a for a, b in zip(ys, ys[1:]))


def test_curve_shapes() -> None:
    assert 0.1 < apply_curve("exp", 0.5) < 0.25  # accents peaks: half input gives well under half
    assert apply_curve("log", 0.5) > 0.7  # quiet sources come up fast
    assert apply_curve("log", apply_curve("exp", 0.3)) == pytest.approx(0.3)
    assert apply_curve("smooth", 0.25) == pytest.approx(0.15625)
    assert (apply_curve("step", 0.49), apply_curve("step", 0.51)) == (0.0, 1.0)
    assert apply_curve("linear", 1.7) == 1.0 and apply_curve("linear", -0.2) == 0.0


def test_default_plus_amount_with_natural_range_and_clamp(tmp_path: Path) -> None:
    mod = make_modulator(tmp_path, '[[route]]\nparam = "x"\nsource = "rms_db"\namount = 2.0\n',
                         params="[params.x]\ndefault = 0.5\nmin = 0.0\nmax = 2.0\n[params.y]\ndefault = 0.3\n")
    out = mod.step(Features.silent(rms_db=-60.0), dt_s=1 / 60)
    assert out["x"] == pytest.approx(0.5 + 2.0 * 0.5)  # -60 dB is halfway through -120..0
    assert out["y"] == 0.3  # unrouted parameters sit at their default
    assert mod.step(Features.silent(rms_db=0.0), dt_s=1 / 60)["x"] == 2.0  # 0.5 + 2.0 clamps to max


def test_explicit_and_inverted_range(tmp_path: Path) -> None:
    routes = ('[[route]]\nparam = "x"\nsource = "level"\nrange = [0.2, 0.4]\n'
              '[[route]]\nparam = "y"\nsource = "level"\nrange = [1.0, 0.0]\n')
    mod = make_modulator(tmp_path, routes, params="[params.x]\n[params.y]\n")
    out = mod.step(Features.silent(level=0.3), dt_s=0.01)
    assert out["x"] == pytest.approx(0.5) and out["y"] == pytest.approx(0.7)
    assert mod.step(Features.silent(level=0.9), dt_s=0.01)["x"] == pytest.approx(1.0)  # clamped to the range


def test_routes_to_one_param_add_up_and_negative_amount_pushes_down(tmp_path: Path) -> None:
    routes = ('[[route]]\nparam = "x"\nsource = "bass"\namount = 0.3\n'
              '[[route]]\nparam = "x"\nsource = "high"\namount = -0.1\n')
    mod = make_modulator(tmp_path, routes, params="[params.x]\ndefault = 0.5\n")
    assert mod.step(Features.silent(bass=1.0, high=1.0), dt_s=0.01)["x"] == pytest.approx(0.7)


@pytest.mark.parametrize("shape, at_zero, at_half", [("sine", 0.0, 1.0), ("triangle", 0.0, 1.0),
                                                      ("saw", 0.0, 0.5), ("square", 1.0, 0.0)])
def test_lfo_shapes_start_on_the_cycle(shape: str, at_zero: float, at_half: float) -> None:
    assert lfo_value(shape, beat_count=8, beat_phase=0.0, beats=4) == pytest.approx(at_zero)
    assert lfo_value(shape, beat_count=10, beat_phase=0.0, beats=4) == pytest.approx(at_half)


def test_lfo_follows_beat_position_not_time(tmp_path: Path) -> None:
    mod = make_modulator(tmp_path, '[[route]]\nparam = "x"\nsource = "lfo"\nbeats = 4\n')
    # a tempo that speeds up: the LFO is 0 on every 4th beat and 1 two beats later, whatever the time
    t, values = 0.0, {}
    for beat in range(12):
        period = 60.0 / (100.0 + 5.0 * beat)
        for k in range(8):
            t += period / 8
            pos = beat + k / 8
            x = mod.step(Features.silent(t, beat_count=beat, beat_phase=k / 8), dt_s=period / 8)["x"]
            values[pos] = x
    for bar_start in (0, 4, 8):
        assert values[bar_start] == pytest.approx(0.0, abs=1e-9)
        assert values[bar_start + 2] == pytest.approx(1.0)
    assert values[1] == pytest.approx(0.5) and values[5.5] == pytest.approx(0.5 - 0.5 * math.cos(2 * math.pi * 1.5 / 4))


def test_lfo_quarter_beat_cycles_four_times_per_beat() -> None:
    vals = [lfo_value("saw", beat_count=3, beat_phase=p, beats=0.25) for p in (0.0, 0.125, 0.25, 0.375)]
    assert vals == pytest.approx([0.0, 0.5, 0.0, 0.5])


def step_response(tmp_path: Path, fps: float, *, rising: bool) -> tuple[np.ndarray, np.ndarray]:
    """Values over 1 s after the source jumps (0 -> 1 or 1 -> 0) at t = 0, sampled at ``fps``."""
    mod = make_modulator(tmp_path, '[[route]]\nparam = "x"\nsource = "bass"\nattack_s = 0.1\nrelease_s = 0.25\n')
    before, after = (0.0, 1.0) if rising else (1.0, 0.0)
    mod.step(Features.silent(bass=before), dt_s=1 / fps)  # settled at the old value
    n = int(round(fps)) + 1
    times = np.arange(n) / fps
    return times, np.array(run(mod, [{"bass": after}] * n, 1 / fps))


@pytest.mark.parametrize("rising, tau", [(True, 0.1), (False, 0.25)])
def test_smoothing_is_exact_one_pole_at_any_fps(tmp_path: Path, rising: bool, tau: float) -> None:
    for fps in (30.0, 60.0, 144.0):
        times, values = step_response(tmp_path, fps, rising=rising)
        # the new value is taken to have held over the frame interval that ends at frame 0
        ideal = 1.0 - np.exp(-(times + 1.0 / fps) / tau)
        np.testing.assert_allclose(values, ideal if rising else 1.0 - ideal, atol=1e-9)


@pytest.mark.parametrize("rising, tau", [(True, 0.1), (False, 0.25)])
def test_smoothing_looks_the_same_at_30_60_144_fps(tmp_path: Path, rising: bool, tau: float) -> None:
    # when does the parameter get 20%, 50%, 80% of the way? the same time at every frame rate,
    # give or take the one frame at which a change can first be seen
    for level in (0.2, 0.5, 0.8):
        expected_s = -tau * math.log(1.0 - level)
        for fps in (30.0, 60.0, 144.0):
            times, values = step_response(tmp_path, fps, rising=rising)
            progress = values if rising else 1.0 - values
            crossed_s = float(np.interp(level, progress, times))
            assert abs(crossed_s - expected_s) <= 1.0 / fps + 1e-9, (fps, level, crossed_s, expected_s)


def test_attack_and_release_are_separate(tmp_path: Path) -> None:
    mod = make_modulator(tmp_path, '[[route]]\nparam = "x"\nsource = "bass_hit"\nrelease_s = 0.5\n')
    vals = run(mod, [{"bass_hit": 0.0}, {"bass_hit": 1.0}, {"bass_hit": 0.0}, {"bass_hit": 0.0}], 1 / 60)
    assert vals[1] == 1.0  # attack_s = 0: jumps on the hit frame
    assert 0.9 < vals[2] < vals[1] and vals[3] < vals[2]  # then decays slowly


def test_step_curve_with_release_fades_out(tmp_path: Path) -> None:
    mod = make_modulator(tmp_path, '[[route]]\nparam = "x"\nsource = "level"\ncurve = "step"\nrelease_s = 0.2\n')
    vals = run(mod, [{"level": 0.8}, {"level": 0.3}, {"level": 0.3}], 0.1)
    assert vals[0] == 1.0 and vals[1] == pytest.approx(math.exp(-0.5)) and vals[2] == pytest.approx(math.exp(-1.0))


def test_time_jump_snaps_and_reset_restarts(tmp_path: Path) -> None:
    mod = make_modulator(tmp_path, '[[route]]\nparam = "x"\nsource = "level"\nattack_s = 1.0\n')
    assert run(mod, [{"level": 0.0}, {"level": 1.0}], 1 / 60)[1] < 0.1
    assert mod.step(Features.silent(level=1.0), dt_s=-3.0)["x"] == 1.0  # seek backwards: no stale smoothing
    mod.reset()
    assert mod.step(Features.silent(level=0.25), dt_s=1 / 60)["x"] == 0.25  # first frame starts at the source


def test_nonfinite_feature_does_not_poison_parameters(tmp_path: Path) -> None:
    mod = make_modulator(tmp_path, '[[route]]\nparam = "x"\nsource = "level"\n')
    assert mod.step(Features.silent(level=float("nan")), dt_s=1 / 60)["x"] == 0.0
