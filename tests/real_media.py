"""Real test media from public-domain / free packages, made on demand and cached.

- music: Freedoom's soundtrack (Debian ``freedoom``: standard MIDI files inside the WAD, BSD
  licence) rendered with ``fluidsynth`` and the FluidR3 GM soundfont;
- speech: ``espeak-ng`` (Debian), with the clean stem kept so syllable times are known;
- faces: scikit-image's public-domain photos (``skimage.data.astronaut``).

Each helper returns None (and the test skips) where the package is missing.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np

SR = 48000
CACHE = Path(tempfile.gettempdir()) / "reactor-test-media"
WADS = ("/usr/share/games/doom/freedoom2.wad", "/usr/share/games/doom/freedoom1.wad")
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"


def _wad_lump(wad: str, name: str) -> bytes | None:
    data = Path(wad).read_bytes()
    _, n, off = struct.unpack_from("<4sii", data, 0)
    for i in range(n):
        pos, size, raw = struct.unpack_from("<ii8s", data, off + 16 * i)
        if raw.rstrip(b"\0").decode("ascii", "replace") == name:
            return data[pos:pos + size]
    return None


def freedoom_music(lump: str = "D_RUNNIN", *, seconds: float = 30.0) -> np.ndarray | None:
    """A Freedoom song, stereo float32 (n, 2) at 48 kHz, its first ``seconds``; None if unavailable."""
    wad = next((w for w in WADS if Path(w).is_file()), None)
    if wad is None or shutil.which("fluidsynth") is None or not Path(SOUNDFONT).is_file():
        return None
    CACHE.mkdir(exist_ok=True)
    wav = CACHE / f"{lump}.wav"
    if not wav.is_file():
        midi = _wad_lump(wad, lump)
        if midi is None or not midi.startswith(b"MThd"):
            return None
        mid = CACHE / f"{lump}.mid"
        mid.write_bytes(midi)
        subprocess.run(["fluidsynth", "-ni", "-g", "0.6", "-r", str(SR), "-F", str(wav), SOUNDFONT, str(mid)],
                       check=True, capture_output=True, timeout=300)
    x = _read_wav(wav)
    return x[: int(seconds * SR)]


def speech(text: str, *, words_per_min: int = 140, pitch: int = 50) -> np.ndarray | None:
    """``text`` spoken by espeak-ng, mono float32 at 48 kHz; None if espeak-ng is missing."""
    if shutil.which("espeak-ng") is None:
        return None
    CACHE.mkdir(exist_ok=True)
    out = CACHE / f"speech-{abs(hash((text, words_per_min, pitch))) % 10**12}.wav"
    if not out.is_file():
        subprocess.run(["espeak-ng", "-v", "en", "-s", str(words_per_min), "-p", str(pitch), "-w", str(out), text],
                       check=True, capture_output=True, timeout=60)
    x = _read_wav(out)
    return x.mean(axis=1)


def _read_wav(path: Path) -> np.ndarray:
    from reactor.audio.decode import load_audio

    return np.array(load_audio(str(path), sample_rate_hz=SR).samples)


def face_photo() -> np.ndarray | None:
    """scikit-image's ``astronaut`` (public domain, NASA) as float32 (h, w, 4); None without skimage."""
    try:
        from skimage import data
    except ImportError:
        return None
    rgb = data.astronaut().astype(np.float32) / 255.0
    return np.dstack([rgb, np.ones(rgb.shape[:2], np.float32)])


def envelope(x: np.ndarray, *, hop: int = 512, sr: int = SR) -> tuple[np.ndarray, np.ndarray]:
    """(times at hop ends, RMS dB per hop) of mono ``x``."""
    n = len(x) // hop
    rms = np.sqrt((x[: n * hop].reshape(n, hop) ** 2).mean(axis=1) + 1e-12)
    return (np.arange(1, n + 1) * hop) / sr, 20 * np.log10(rms)
