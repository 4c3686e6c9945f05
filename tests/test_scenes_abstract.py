"""The eight abstract scenes react to the music, move smoothly, and keep their feedback healthy.

Every test renders headless (EGL) at small sizes with deterministic synthetic features, and
checks something a viewer would notice: the beat changes the picture, the spectrum alone
changes a spectrum scene, nothing jumps while the sound holds still, feedback neither burns
to white nor fades to black, and loud music flies the tunnel faster than quiet music.
"""

from __future__ import annotations

import numpy as np
import pytest

from reactor.features import SPECTRUM_BINS, WAVEFORM_SAMPLES, Features, make_features
from reactor.render.renderer import Renderer
from tests.render_util import gl_ctx, groove_features  # noqa: F401  (gl_ctx is a fixture)

SCENES = ("tunnel", "kaleido", "flow", "rings", "trails", "scope", "raymarch", "fractal")
FEEDBACK = ("tunnel", "flow", "trails", "scope")
W, H = 320, 180
FPS = 30.0


def _render(ctx, scene, features, *, width_px=W, height_px=H, fps=FPS, params=None, start_s=0.0):
    """Render one frame per snapshot (t = start + n / fps); return the frames as float arrays."""
    frames = []
    with Renderer(ctx, scene, width_px=width_px, height_px=height_px) as r:
        for n, f in enumerate(features):
            r.render(f, params or {}, time_s=start_s + n / fps, dt_s=1.0 / fps)
            frames.append(r.read_rgb().astype(np.float32))
    return frames


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference in 8-bit levels."""
    return float(np.abs(a - b).mean())


def _loud(time_s: float, **overrides: float) -> Features:
    """A loud moment exactly on a downbeat: pulses at 1, kick hitting, bright spectrum."""
    base = groove_features(time_s)
    scalars = dict(base.scalars)
    scalars.update(level=1.0, beat_phase=0.0, beat_pulse=1.0, downbeat_pulse=1.0, bar_phase=0.0,
                   onset=1.0, sub_env=1.0, bass_env=1.0, sub_hit=1.0, bass_hit=1.0,
                   mid_env=0.8, high_env=0.8, high_hit=0.8, silence=0.0)
    scalars.update(overrides)
    spectrum = np.linspace(1.0, 0.5, SPECTRUM_BINS, dtype=np.float32)
    waveform = 0.8 * np.sin(np.arange(WAVEFORM_SAMPLES, dtype=np.float32) * 0.06)
    return make_features(time_s, scalars, spectrum=spectrum, waveform=waveform,
                         shadertoy_fft=base.shadertoy_fft, shadertoy_wave=base.shadertoy_wave)


def _held(time_s: float, features: Features) -> Features:
    """``features`` with its clock moved to ``time_s`` and everything else held."""
    scalars = dict(features.scalars)
    scalars["time"] = time_s
    return make_features(time_s, scalars, spectrum=features.spectrum, waveform=features.waveform,
                         shadertoy_fft=features.shadertoy_fft, shadertoy_wave=features.shadertoy_wave)


@pytest.mark.parametrize("scene", SCENES)
def test_loud_beat_looks_clearly_different_from_silence(gl_ctx, scene):
    # Feedback scenes get a few frames to build up; both runs see the same clock.
    n = 15 if scene in FEEDBACK else 1
    t0 = 4.0
    silent = _render(gl_ctx, scene, [Features.silent(t0 + k / FPS) for k in range(n)], start_s=t0)[-1]
    loud = _render(gl_ctx, scene, [_loud(t0 + k / FPS) for k in range(n)], start_s=t0)[-1]
    assert silent.std() > 2.0, f"{scene} is a flat picture in silence (it should idle, not go blank)"
    assert _diff(silent, loud) > 8.0, f"{scene}: a loud downbeat barely changes the picture"


@pytest.mark.parametrize("scene", SCENES)
def test_the_beat_alone_changes_the_picture(gl_ctx, scene):
    # Same sound, same clock; only the beat pulse (and its downbeat) differs.
    n = 15 if scene in FEEDBACK else 1
    t0 = 2.0
    base = groove_features(t0, beat_pulse=0.0, downbeat_pulse=0.0, beat_phase=0.5)
    hit = groove_features(t0, beat_pulse=1.0, downbeat_pulse=1.0, beat_phase=0.5)
    off = _render(gl_ctx, scene, [_held(t0 + k / FPS, base) for k in range(n)], start_s=t0)[-1]
    on = _render(gl_ctx, scene, [_held(t0 + k / FPS, hit) for k in range(n)], start_s=t0)[-1]
    assert _diff(off, on) > 3.0, f"{scene} ignores the beat pulse"


@pytest.mark.parametrize("scene", ["tunnel", "rings"])
def test_spectrum_alone_changes_a_spectrum_scene(gl_ctx, scene):
    base = groove_features(3.0)
    low = np.zeros(SPECTRUM_BINS, np.float32)
    high = np.full(SPECTRUM_BINS, 0.95, np.float32)

    def frames(spectrum):
        seq = [make_features(3.0 + k / FPS, dict(base.scalars, time=3.0 + k / FPS), spectrum=spectrum,
                             waveform=base.waveform) for k in range(8)]
        return _render(gl_ctx, scene, seq, start_s=3.0)[-1]

    assert _diff(frames(low), frames(high)) > 3.0, f"{scene} does not show the spectrum"


def test_scope_draws_the_waveform(gl_ctx):
    base = groove_features(3.0)
    flat = np.zeros(WAVEFORM_SAMPLES, np.float32)
    wavy = (0.9 * np.sin(np.arange(WAVEFORM_SAMPLES) * 0.08)).astype(np.float32)

    def last(wave):
        seq = [make_features(3.0 + k / FPS, dict(base.scalars, time=3.0 + k / FPS), spectrum=base.spectrum,
                             waveform=wave) for k in range(4)]
        return _render(gl_ctx, "scope", seq, start_s=3.0)[-1]

    assert _diff(last(flat), last(wavy)) > 2.0


@pytest.mark.parametrize("scene", SCENES)
def test_no_jumps_while_the_sound_holds_still(gl_ctx, scene):
    # Features frozen mid-beat; only the clock runs. Motion must be smooth: no frame-to-frame
    # change much bigger than the typical one, and no strobing (a bounded change per frame).
    held = groove_features(5.3)
    n_warm, n = 12, 12
    seq = [_held(5.3 + k / FPS, held) for k in range(n_warm + n)]
    frames = _render(gl_ctx, scene, seq, width_px=192, height_px=108, start_s=5.3)[n_warm:]
    steps = np.array([_diff(a, b) for a, b in zip(frames, frames[1:])])
    assert steps.max() < 25.0, f"{scene}: a {steps.max():.1f}-level jump between frames"
    assert steps.max() <= 3.0 * max(float(np.median(steps)), 0.5), f"{scene}: uneven motion {steps.round(2)}"


@pytest.mark.parametrize("scene", ["trails", "scope", "flow"])
def test_feedback_neither_burns_to_white_nor_dies(gl_ctx, scene):
    loud = [groove_features(k / FPS) for k in range(240)]  # 8 s of a steady groove
    frames = _render(gl_ctx, scene, loud, width_px=160, height_px=90)
    late = np.array([f.mean() for f in frames[-60:]])
    assert late.max() < 200.0, f"{scene} feedback saturates (mean level {late.max():.0f})"
    assert late.min() > 4.0, f"{scene} feedback dies out (mean level {late.min():.1f})"
    quiet = _render(gl_ctx, scene, [Features.silent(k / FPS) for k in range(120)], width_px=160, height_px=90)
    lit = (quiet[-1].max(axis=2) > 60.0).mean()
    assert lit > 0.005, f"{scene} goes black in silence ({lit:.2%} of pixels lit)"


@pytest.mark.parametrize("scene", ["trails", "flow", "scope", "tunnel"])
def test_feedback_looks_the_same_at_30_and_60_fps(gl_ctx, scene):
    # Decay and motion are per second, so after the same 2 s the picture has the same energy.
    def final(fps):
        n = int(2.0 * fps)
        seq = [groove_features(k / fps) for k in range(n + 1)]
        return _render(gl_ctx, scene, seq, width_px=160, height_px=90, fps=fps)[-1]

    a, b = final(30.0), final(60.0)
    assert abs(a.mean() - b.mean()) < 0.15 * max(a.mean(), b.mean()) + 2.0


def _flashes_per_s(frames, fps):
    """Rises of the frame's mean relative luminance by more than 0.1 (linear light) per second:
    a simplified whole-frame version of the WCAG 2.3.1 general-flash count."""
    lum = []
    for f in frames:
        c = f / 255.0
        lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        lum.append(float((lin @ np.array([0.2126, 0.7152, 0.0722])).mean()))
    rises = sum(1 for a, b in zip(lum, lum[1:]) if b - a > 0.1 and a < 0.8)
    return rises / (len(frames) / fps)


@pytest.mark.parametrize("scene", SCENES)
def test_fewer_than_three_full_frame_flashes_a_second_at_180_bpm(gl_ctx, scene):
    seq = [groove_features(k / FPS, bpm=180.0) for k in range(int(4 * FPS))]
    frames = _render(gl_ctx, scene, seq, width_px=96, height_px=54)[int(FPS):]
    assert _flashes_per_s(frames, FPS) < 3.0


def test_tunnel_flies_faster_when_the_music_is_louder(gl_ctx):
    # Travel integrates a level-driven speed: the same seconds of louder music cover more tunnel,
    # so frames change more from one to the next.
    def motion(level):
        seq = [Features.silent(1.0 + k / FPS, level=level, silence=0.0) for k in range(16)]
        frames = _render(gl_ctx, "tunnel", seq, width_px=192, height_px=108, start_s=1.0)[4:]
        return np.mean([_diff(a, b) for a, b in zip(frames, frames[1:])])

    assert motion(1.0) > 1.5 * motion(0.1)


@pytest.mark.parametrize("scene", SCENES)
def test_preset_loads_and_routes_only_to_parameters_the_scene_has(scene):
    presets = pytest.importorskip("reactor.presets", reason="preset loader not available")
    from reactor.render.scenes import load_scene

    preset = presets.load_preset(scene)
    info = load_scene(preset.scene)
    assert preset.scene == scene and not preset.uses_image()
    assert set(preset.params) <= set(info.params), f"{scene}: preset sets parameters the shader lacks"
    assert {r.param for r in preset.routes} <= set(preset.params)
    # The preset's defaults are what the scene was tuned for: same values as the shader's own.
    for name, spec in preset.params.items():
        assert spec.default == pytest.approx(info.params[name]), f"{scene}: p_{name} default differs"
