"""``probe``: what a written clip contains (what ffprobe would say), read with PyAV.

Used by tests, benchmarks and the render command to check streams, lengths and colour tags.
"""

from __future__ import annotations

import os

import av

from reactor.errors import OutputError

_PRIMARIES = {1: "bt709", 2: "unknown", 5: "bt470bg", 6: "smpte170m", 9: "bt2020"}
_TRANSFERS = {1: "bt709", 2: "unknown", 6: "smpte170m", 13: "iec61966-2-1", 16: "smpte2084"}
_MATRICES = {0: "gbr", 1: "bt709", 2: "unknown", 5: "bt470bg", 6: "smpte170m", 9: "bt2020nc"}
_RANGES = {0: "unknown", 1: "tv", 2: "pc"}


def probe(path: str | os.PathLike, *, decode: bool = False) -> dict:
    """Describe a video file's streams (what ffprobe would say), using PyAV.

    Parameters
    ----------
    path : str or os.PathLike
    decode : bool
        Count video frames by decoding (slower) instead of reading the container index.

    Returns
    -------
    dict
        ``{"format", "duration_s", "video": {...} or None, "audio": {...} or None}``. Video:
        ``codec, profile, width_px, height_px, pix_fmt, fps, frames, start_s, duration_s,
        color_primaries, color_trc, colorspace, color_range`` (names as ffprobe prints them).
        Audio: ``codec, sample_rate_hz, channels, samples, start_s, duration_s``.

    Raises
    ------
    OutputError
        The file is missing or not a readable media file.
    """
    name = os.fspath(path)
    try:
        with av.open(name) as container:
            info = {"format": container.format.name,
                    "duration_s": (container.duration or 0) / 1e6, "video": None, "audio": None}
            if container.streams.video:
                info["video"] = _probe_video(container, container.streams.video[0], decode)
            if container.streams.audio:
                info["audio"] = _probe_audio(container.streams.audio[0])
    except (av.FFmpegError, OSError) as exc:
        raise OutputError(f"cannot read video {name}: {getattr(exc, 'strerror', None) or exc}") from exc
    return info


def _seconds(value, time_base) -> float:
    return float(value * time_base) if value is not None and time_base else 0.0


def _probe_video(container, stream, decode: bool) -> dict:
    ctx = stream.codec_context
    info = {"codec": ctx.name, "profile": ctx.profile, "width_px": ctx.width, "height_px": ctx.height,
            "pix_fmt": ctx.pix_fmt, "fps": stream.average_rate, "frames": stream.frames,
            "start_s": _seconds(stream.start_time, stream.time_base),
            "duration_s": _seconds(stream.duration, stream.time_base),
            "color_primaries": _PRIMARIES.get(ctx.color_primaries, str(ctx.color_primaries)),
            "color_trc": _TRANSFERS.get(ctx.color_trc, str(ctx.color_trc)),
            "colorspace": _MATRICES.get(ctx.colorspace, str(ctx.colorspace)),
            "color_range": _RANGES.get(ctx.color_range, str(ctx.color_range))}
    if decode:  # after reading the tags: decoding overwrites them with the last frame's
        info["frames"] = sum(1 for _ in container.decode(stream))
    return info


def _probe_audio(stream) -> dict:
    ctx = stream.codec_context
    duration_s = _seconds(stream.duration, stream.time_base)
    # from the edit list (exact); decoders may hand out up to one codec frame more
    samples = round(duration_s * ctx.sample_rate)
    return {"codec": ctx.name, "sample_rate_hz": ctx.sample_rate, "channels": ctx.channels,
            "samples": samples, "start_s": _seconds(stream.start_time, stream.time_base),
            "duration_s": duration_s}
