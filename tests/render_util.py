"""Shared helpers for render tests and tools: a headless GL context, synthetic features that
groove at a known tempo, frame rendering, and contact sheets.

Everything is deterministic: the same arguments give the same features and the same pixels.
"""

from __future__ import annotations

import math
from typing import Callable, Iterable, Sequence

import numpy as np
import pytest

from reactor.features import SHADERTOY_BINS, SPECTRUM_BINS, WAVEFORM_SAMPLES, Features, SCALARS, make_features


@pytest.fixture(scope="session")
def gl_ctx():
    """A headless EGL moderngl context shared by a test session (skips when EGL is missing)."""
    from reactor.errors import ReactorError
    from reactor.render.context import create_context

    try:
        ctx = create_context(headless=True)
    except ReactorError as exc:
        pytest.skip(str(exc))
    yield ctx
    ctx.release()


def groove_features(time_s: float, *, bpm: float = 128.0, voice_hz: float = 3.0, **overrides: float) -> Features:
    """Features of an imaginary four-on-the-floor track at ``bpm``, at ``time_s`` seconds.

    Beats at t = n * 60 / bpm (beat_pulse 1 there, decaying over ~1/4 beat), kick on every beat
    (sub/bass hits), a syllable-rate ``voice`` envelope at ``voice_hz``, steady level ~0.6, and
    spectrum/waveform arrays that move with them. ``overrides`` set scalars directly.
    """
    beat_s = 60.0 / bpm
    beats = time_s / beat_s
    phase = beats - math.floor(beats)
    since_s = phase * beat_s
    pulse = math.exp(-since_s / (0.25 * beat_s / 3.0))
    bar = beats / 4.0
    bar_phase = bar - math.floor(bar)
    down = pulse if math.floor(beats) % 4 == 0 else 0.0
    kick = math.exp(-since_s / 0.08)
    voice = max(0.0, math.sin(math.pi * voice_hz * time_s)) ** 2 * (0.5 + 0.5 * math.sin(time_s * 0.7) ** 2)
    level = 0.55 + 0.25 * kick
    s: dict[str, float] = {name: 0.0 for name in SCALARS}
    s.update(time=time_s, level=level, rms_db=-14.0, peak_db=-3.0, silence=0.0,
             tempo_bpm=bpm, tempo_confidence=0.9, beat_phase=phase, beat_pulse=pulse,
             beat_count=math.floor(beats), bar_phase=bar_phase, downbeat_pulse=down,
             downbeat_confidence=0.8, beats_per_bar=4.0, bar_count=math.floor(bar),
             onset=max(kick, 0.6 * math.exp(-((beats + 0.5) % 1.0) * beat_s / 0.05)),
             onset_strength=0.8, onset_count=math.floor(2 * beats), voice=voice,
             brightness=0.45 + 0.1 * math.sin(time_s), balance=0.0, width=0.3,
             pitch_hz=220.0 if voice > 0.2 else 0.0, pitch_confidence=voice)
    for i, band in enumerate(("sub", "bass", "lowmid", "mid", "highmid", "high")):
        lo_weight = 1.0 - i / 5.0
        env = 0.3 + 0.6 * kick * lo_weight + 0.3 * voice * (1.0 - abs(i - 3) / 3.0)
        s[band] = env
        s[f"{band}_env"] = env
        s[f"{band}_hit"] = kick * lo_weight
        s[f"{band}_presence"] = 0.6
    s.update({k: float(v) for k, v in overrides.items()})
    x = np.linspace(0.0, 1.0, SPECTRUM_BINS, dtype=np.float32)
    spectrum = np.clip(0.8 * np.exp(-x * 3.0) * (0.5 + kick) + 0.3 * voice * np.exp(-((x - 0.5) / 0.1) ** 2)
                       + 0.05 * np.sin(x * 40.0 + time_s * 3.0) ** 2, 0.0, 1.0)
    n = np.arange(WAVEFORM_SAMPLES, dtype=np.float32)
    waveform = 0.6 * kick * np.sin(n * 0.05) + 0.3 * voice * np.sin(n * 0.4 + time_s * 50.0)
    fft = np.interp(np.linspace(0, 1, SHADERTOY_BINS), x, spectrum).astype(np.float32)
    wave = 0.5 + 0.5 * np.interp(np.linspace(0, 1, SHADERTOY_BINS), n / (WAVEFORM_SAMPLES - 1), waveform)
    return make_features(time_s, s, spectrum=spectrum, waveform=waveform, shadertoy_fft=fft,
                         shadertoy_wave=wave.astype(np.float32))


def render_frames(ctx, scene, features: Iterable[Features], *, width_px: int = 192, height_px: int = 108,
                  fps: float = 30.0, image=None, depth=None, params: dict | None = None) -> list[np.ndarray]:
    """Render one frame per snapshot (frame n at t = n / fps) and return the RGB frames."""
    from reactor.render.renderer import Renderer

    frames = []
    with Renderer(ctx, scene, width_px=width_px, height_px=height_px, image=image, depth=depth) as r:
        for n, f in enumerate(features):
            r.render(f, params or {}, time_s=n / fps, dt_s=1.0 / fps)
            frames.append(r.read_rgb())
    return frames


def feature_sequence(n_frames: int, *, fps: float = 30.0, make: Callable[[float], Features] | None = None) -> list[Features]:
    """``n_frames`` snapshots at t = n / fps from ``make(t)`` (default: silence)."""
    make = make or (lambda t: Features.silent(t))
    return [make(n / fps) for n in range(n_frames)]


def contact_sheet(frames: Sequence[np.ndarray], *, columns: int = 4, labels: Sequence[str] | None = None,
                  gap_px: int = 4) -> np.ndarray:
    """Tile equal-size RGB frames into one uint8 image, row-major, with optional text labels."""
    from PIL import Image, ImageDraw

    h, w = frames[0].shape[:2]
    rows = math.ceil(len(frames) / columns)
    sheet = np.full((rows * (h + gap_px) + gap_px, columns * (w + gap_px) + gap_px, 3), 16, np.uint8)
    for i, f in enumerate(frames):
        y, x = gap_px + (i // columns) * (h + gap_px), gap_px + (i % columns) * (w + gap_px)
        sheet[y:y + h, x:x + w] = f[..., :3]
    if labels:
        img = Image.fromarray(sheet)
        draw = ImageDraw.Draw(img)
        for i, text in enumerate(labels):
            y, x = gap_px + (i // columns) * (h + gap_px), gap_px + (i % columns) * (w + gap_px)
            draw.rectangle((x, y, x + 7 * len(text) + 6, y + 14), fill=(0, 0, 0))
            draw.text((x + 3, y + 2), text, fill=(255, 255, 255))
        sheet = np.asarray(img)
    return sheet


def region_change(a: np.ndarray, b: np.ndarray, region: tuple[float, float, float, float]) -> float:
    """Mean absolute RGB difference of two frames inside a normalized (x, y, w, h) top-left region."""
    h, w = a.shape[:2]
    x0, y0 = int(region[0] * w), int(region[1] * h)
    x1, y1 = max(x0 + 1, int((region[0] + region[2]) * w)), max(y0 + 1, int((region[1] + region[3]) * h))
    return float(np.abs(a[y0:y1, x0:x1].astype(np.int16) - b[y0:y1, x0:x1].astype(np.int16)).mean())
