"""``reactor live`` from typed arguments: choose the sound source, run the show, write the stats."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass

from reactor.errors import UsageError
from reactor.live.show import LiveOptions, Show

DEFAULT_PRESETS = ("tunnel", "kaleido", "rings", "trails", "fractal", "scope")
"""Slots when no ``--preset`` is given: the abstract scenes (no image needed)."""


@dataclass(frozen=True)
class SourceSpec:
    """Where the sound comes from: a file, the demo track, or a microphone.

    ``audio_out``: None plays through the default output; ``"none"`` uses the silent clock (a
    ``PacedSource`` paced by perf_counter: no sound device, for CI and headless benchmarks);
    anything else names an output device.
    """

    audio: str | None = None
    demo: bool = False
    mic: bool = False
    mic_device: str | None = None
    loop: bool = False
    audio_out: str | None = None
    start_s: float = 0.0
    duration_s: float | None = None


def make_source(spec: SourceSpec):
    """Build (do not start) the ``LiveSource`` for ``spec``."""
    if spec.mic:
        if spec.audio or spec.demo:
            raise UsageError("give an audio file, --demo or --mic, not several")
        from reactor.audio.mic import MicSource

        device = spec.mic_device
        return MicSource(device=int(device) if device and device.isdigit() else device)
    from reactor.audio.clips import load_clip

    if spec.audio and spec.demo:
        raise UsageError("give an audio file or --demo, not both")
    device = spec.audio_out
    device = int(device) if device and device.isdigit() else device
    if spec.audio and spec.audio_out != "none":
        from reactor.audio.decode import load_audio
        from reactor.audio.devices import device_rate_hz

        # decode straight to a rate the output accepts (JACK, for one, runs at a single rate)
        clip = load_audio(spec.audio, sample_rate_hz=device_rate_hz(device, wanted_hz=48000),
                          start_s=spec.start_s, duration_s=spec.duration_s)
    else:
        clip = load_clip(spec.audio or None, demo=not spec.audio, start_s=spec.start_s, duration_s=spec.duration_s)
    if spec.audio_out == "none":
        from reactor.audio.paced import PacedSource

        return PacedSource(clip, loop=spec.loop)
    from reactor.audio.playback import PlaybackSource

    return PlaybackSource(clip, loop=spec.loop, device=device)


def run_live(options: LiveOptions, spec: SourceSpec, surfaces=(), *, log_file: str | None = None,
             log_max_bytes: int | None = None, log_backups: int | None = None) -> int:
    """Run the show; write ``options.stats_json``; returns the exit status.

    ``surfaces``: control surfaces (``reactor.control.actions.Surface``) the show polls per frame.
    ``log_file``: also log to this file, rotated by size (``reactor.live.logfile``)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="reactor live: %(message)s", stream=sys.stderr)
    handler = None
    if log_file:
        from reactor.live import logfile

        handler = logfile.open_log_file(log_file, max_bytes=log_max_bytes or logfile.LOG_MAX_BYTES,
                                        backups=log_backups or logfile.LOG_BACKUPS)
    try:
        source = make_source(spec)
        show = Show(options, source, surfaces=surfaces)
        stats = show.run()
    finally:
        if handler is not None:
            logging.getLogger("reactor.live").info("show ended")
            logfile.close_log_file(handler)
    if options.stats_json:
        text = json.dumps(stats, indent=1)
        if options.stats_json == "-":
            print(text)
        else:
            with open(options.stats_json, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
    print(f"reactor live: {stats['frames']} frames, {stats['fps']:.1f} fps, frame p50 {stats['frame_ms_p50']:.1f} ms "
          f"p99 {stats['frame_ms_p99']:.1f} ms, {stats['late_frames']} late, {len(stats['errors'])} errors",
          file=sys.stderr)
    return 0
