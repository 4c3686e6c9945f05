"""The audio a command works on: a file or the built-in demo track, trimmed to a time range.

``load_clip`` is what ``reactor analyze``, ``reactor render`` (and a file played by ``reactor live``)
start from; the command line only turns its flags into these typed arguments.
"""

from __future__ import annotations

import math
import os

from reactor.audio.decode import AudioClip, load_audio
from reactor.errors import AudioError

__all__ = ["load_clip", "open_audio", "preroll_samples", "DEMO_SOURCE", "PREROLL_S"]

DEMO_SOURCE = "demo"
"""``AudioClip.source`` of the built-in demo track."""


def load_clip(path: str | os.PathLike | None = None, *, demo: bool = False, start_s: float = 0.0,
              duration_s: float | None = None) -> AudioClip:
    """Decode ``path`` (or make the demo track) and keep ``duration_s`` seconds from ``start_s``.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Any file FFmpeg reads (or a video's sound). Exactly one of ``path`` and ``demo``.
    demo : bool
        Use the built-in 30 s demo track (``reactor.audio.demo``).
    start_s : float
        Seconds to skip, >= 0.
    duration_s : float, optional
        Seconds to keep (> 0); None: to the end.

    Returns
    -------
    AudioClip
        float32 ``(n, channels)``; ``source`` is the path or ``"demo"``.

    Raises
    ------
    AudioError
        Both or neither of ``path``/``demo``, a bad time range, or audio that cannot be read.
    """
    if demo and path:
        raise AudioError("give an audio file or the demo track, not both")
    if not demo and not path:
        raise AudioError("no audio given: name an audio file, or use the demo track")
    if duration_s is not None and not duration_s > 0:
        raise AudioError(f"duration must be positive, got {duration_s:g} s")
    if not (start_s >= 0 and math.isfinite(start_s)):
        raise AudioError(f"start must be >= 0, got {start_s:g} s")
    if demo:
        from reactor.audio.demo import demo_clip

        return demo_clip().trimmed(start_s, duration_s)
    return load_audio(path, start_s=start_s, duration_s=duration_s)


PREROLL_S = 8.0
"""Audio before the start that the analyzer hears (not rendered), so gain and tempo have settled."""


def open_audio(path: str | os.PathLike | None = None, *, demo: bool = False, start_s: float = 0.0,
               duration_s: float | None = None):
    """As ``load_clip``, but a file is opened as an ``AudioStream`` decoded as it is read (long
    mixes render in bounded memory); the demo track is an ``AudioClip``. Same checks and errors."""
    if demo or not path:
        return load_clip(path, demo=demo, start_s=start_s, duration_s=duration_s)
    if duration_s is not None and not duration_s > 0:
        raise AudioError(f"duration must be positive, got {duration_s:g} s")
    if not (start_s >= 0 and math.isfinite(start_s)):
        raise AudioError(f"start must be >= 0, got {start_s:g} s")
    from reactor.audio.decode import AudioStream

    return AudioStream(path, start_s=start_s, duration_s=duration_s)


def preroll_samples(path: str | os.PathLike | None = None, *, demo: bool = False, start_s: float = 0.0,
                    sample_rate_hz: int = 48000):
    """The audio just before ``start_s`` (up to ``PREROLL_S``), float32 ``(n, channels)``, or None at 0."""
    if not start_s > 0:
        return None
    a = max(0.0, start_s - PREROLL_S)
    if demo:
        from reactor.audio.demo import demo_clip

        return demo_clip().trimmed(a, start_s - a).samples
    return load_audio(path, sample_rate_hz=sample_rate_hz, start_s=a, duration_s=start_s - a).samples
