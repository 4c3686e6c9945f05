"""The batch job list: ``JOBS.toml`` (or one job per file of ``--audio-dir``), validated up front.

A jobs file is data only. Top-level keys are defaults shared by every job; each ``[[job]]``
table names one clip and may override any default::

    preset = "pulse"            # defaults for every job
    image = "cover.jpg"
    size = "1280x720"           # or aspect = "9:16" (size derived: short side 720 px)
    fps = 30
    output_dir = "clips"        # where outputs go unless a job gives `output`

    [[job]]
    audio = "01 Opening.flac"   # -> clips/01 Opening.mp4

    [[job]]
    audio = "02 Single.flac"
    aspect = "9:16"
    start = 30.0                # seconds into the track
    duration = 15.0             # seconds of it
    output = "teasers/02.mp4"

Relative paths are relative to the jobs file, so a catalogue folder can move as a whole. Every
schema problem is one ``BatchError`` line naming the file and the key (``jobs.toml: job[2].sise:
unknown key; did you mean 'size'?``), raised before any rendering starts. Inputs that are missing
on disk are not schema errors: that job fails with its one-line error and the others go on.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from reactor.errors import PresetError, ReactorError
from reactor.preset_schema import display_path, read_toml, suggest

QUALITIES = ("draft", "normal", "high", "lossless")
CODECS = {"h264": ".mp4", "hevc": ".mp4", "prores": ".mov"}
"""Codec -> the output extension used for outputs named after their audio file."""
FITS = ("face", "cover", "contain")
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".aif", ".aiff",
                  ".wv", ".mka")
"""Files ``--audio-dir`` picks up (case-insensitive)."""
DEFAULT_SIZE = "1280x720"
DEFAULT_FPS = 30.0

JOB_KEYS = ("audio", "image", "preset", "size", "aspect", "fps", "start", "duration", "quality", "codec",
            "fit", "output")
DEFAULT_KEYS = tuple(k for k in JOB_KEYS if k not in ("audio", "output")) + ("output_dir",)
TOP_KEYS = DEFAULT_KEYS + ("job",)


class BatchError(ReactorError):
    """A jobs file or batch command line that cannot be run; one line naming file and key."""


@dataclass(frozen=True)
class Job:
    """One clip to render; paths are absolute, values validated.

    Attributes
    ----------
    index : int
        1-based position in the jobs file (``job[index]`` in messages).
    audio, output : str
        Input audio and output video paths.
    image : str or None
        Reference image (or ``video@seconds``), None for abstract presets.
    preset : str
        Preset name or absolute ``.toml`` path.
    width_px, height_px : int
    fps : float
    start_s : float
    duration_s : float or None
        Trim of the audio (None: to the end).
    quality, codec, fit : str
        As the ``reactor render`` options of the same names.
    """

    index: int
    audio: str
    output: str
    image: str | None
    preset: str
    width_px: int
    height_px: int
    fps: float
    start_s: float = 0.0
    duration_s: float | None = None
    quality: str = "normal"
    codec: str = "h264"
    fit: str = "face"

    @property
    def label(self) -> str:
        """``job[3]`` as messages name it."""
        return f"job[{self.index}]"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (what the report and the done marker record)."""
        return {"audio": self.audio, "image": self.image, "preset": self.preset, "output": self.output,
                "size": f"{self.width_px}x{self.height_px}", "fps": self.fps, "start_s": self.start_s,
                "duration_s": self.duration_s, "quality": self.quality, "codec": self.codec, "fit": self.fit}


def load_jobs(path: str | os.PathLike) -> list[Job]:
    """Read and validate a jobs file.

    Raises
    ------
    BatchError
        One line: TOML syntax (file:line:column), an unknown key (with the closest valid one),
        a bad value, a preset that does not load, or two jobs writing the same output.
    """
    path = Path(path)
    where = display_path(path)
    try:
        data = read_toml(path)
    except PresetError as e:  # same one-line message, under the batch's own error
        raise BatchError(str(e)) from None
    _known(data, TOP_KEYS, where, "")
    defaults = {k: v for k, v in data.items() if k != "job"}
    raw_jobs = data.get("job")
    if raw_jobs is None:
        raise BatchError(f"{where}: job: no jobs; add [[job]] tables with audio = \"track.flac\"")
    if not isinstance(raw_jobs, list) or not all(isinstance(t, dict) for t in raw_jobs):
        raise BatchError(f"{where}: job: must be an array of tables ([[job]])")
    base = path.resolve().parent
    out_dir = _out_dir(defaults, base, where)
    jobs = []
    for i, table in enumerate(raw_jobs, start=1):
        _known(table, JOB_KEYS, where, f"job[{i}].")
        if "audio" not in table:
            raise BatchError(f"{where}: job[{i}].audio: missing key (the track to render, e.g. audio = \"01.flac\")")
        merged = {**defaults, **table}
        jobs.append(_job(merged, i, base, out_dir, where, overridden=set(table)))
    check_unique_outputs(jobs, where)
    return jobs


def jobs_from_audio_dir(audio_dir: str | os.PathLike, *, output_dir: str | os.PathLike,
                        settings: Mapping[str, Any]) -> list[Job]:
    """One job per audio file in ``audio_dir`` (sorted by name), written to ``output_dir``.

    ``settings`` holds job keys as in a jobs file (``image``, ``preset``, ``size``, ...); relative
    paths in it are relative to the working directory.
    """
    folder = Path(audio_dir)
    if not folder.is_dir():
        raise BatchError(f"--audio-dir {folder}: not a folder")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise BatchError(f"--audio-dir {folder}: no audio files ({', '.join(AUDIO_SUFFIXES)})")
    _known(settings, DEFAULT_KEYS, "command line", "--")
    base = Path.cwd()
    out_dir = Path(output_dir).resolve()
    jobs = [_job({**settings, "audio": str(p.resolve())}, i, base, out_dir, "--audio-dir", overridden=set())
            for i, p in enumerate(files, start=1)]
    check_unique_outputs(jobs, f"--audio-dir {folder}")
    return jobs


def check_unique_outputs(jobs: list[Job], where: str) -> None:
    """Two jobs writing one file would overwrite each other (e.g. ``a.wav`` and ``a.flac``)."""
    seen: dict[str, Job] = {}
    for job in jobs:
        key = os.path.normcase(job.output)
        if key in seen:
            raise BatchError(f"{where}: {job.label}.output: {display_path(Path(job.output))} is also the output "
                             f"of {seen[key].label}; give one of them its own output")
        seen[key] = job


# -- one job -------------------------------------------------------------------------------------

def _job(d: Mapping[str, Any], i: int, base: Path, out_dir: Path, where: str, *, overridden: set[str]) -> Job:
    from reactor.scene_setup import DEFAULT_ABSTRACT_PRESET, DEFAULT_IMAGE_PRESET

    key = f"job[{i}]"

    def k(name: str) -> str:  # a default's error names the top-level key, an override the job's
        return f"{key}.{name}" if name in overridden else name

    audio = _path(_string(d["audio"], where, k("audio")), base)
    image = _path(_string(d["image"], where, k("image")), base) if "image" in d else None
    preset = _string(d.get("preset", DEFAULT_IMAGE_PRESET if image else DEFAULT_ABSTRACT_PRESET), where, k("preset"))
    preset = _preset(preset, base, image is not None, where, k("preset"))
    width, height = _size(d, where, k)
    fps = _number(d.get("fps", DEFAULT_FPS), where, k("fps"))
    if not 1.0 <= fps <= 240.0:
        raise BatchError(f"{where}: {k('fps')}: must be 1..240 frames per second, got {fps:g}")
    start = _number(d.get("start", 0.0), where, k("start"))
    if start < 0:
        raise BatchError(f"{where}: {k('start')}: must be >= 0 seconds, got {start:g}")
    duration = _number(d["duration"], where, k("duration")) if "duration" in d else None
    if duration is not None and duration <= 0:
        raise BatchError(f"{where}: {k('duration')}: must be > 0 seconds, got {duration:g}")
    quality = _choice(d.get("quality", "normal"), QUALITIES, where, k("quality"))
    codec = _choice(d.get("codec", "h264"), tuple(CODECS), where, k("codec"))
    fit = _choice(d.get("fit", "face"), FITS, where, k("fit"))
    if "output" in d:
        output = _path(_string(d["output"], where, k("output")), out_dir)
    else:
        output = str(out_dir / (Path(audio).stem + CODECS[codec]))
    ext = Path(output).suffix.lower()
    allowed = (".mov",) if codec == "prores" else (".mp4", ".m4v", ".mov")
    if ext not in allowed:
        raise BatchError(f"{where}: {k('output')}: {codec} needs a file ending in {' or '.join(allowed)}, "
                         f"got {Path(output).name!r}")
    return Job(index=i, audio=audio, output=output, image=image, preset=preset, width_px=width, height_px=height,
               fps=fps, start_s=start, duration_s=duration, quality=quality, codec=codec, fit=fit)


def _preset(name: str, base: Path, have_image: bool, where: str, key: str) -> str:
    """Load the preset now, so a typo stops the batch before it starts; keep a path absolute."""
    from reactor.presets import load_preset

    if "/" in name or os.sep in name or name.endswith(".toml"):
        name = _path(name, base)
    try:
        preset = load_preset(name)
    except PresetError as e:
        raise BatchError(f"{where}: {key}: {e}") from None
    if preset.uses_image() and not have_image:
        raise BatchError(f"{where}: {key}: preset '{preset.name}' animates an image; give image = \"cover.jpg\" "
                         f"(or an abstract preset, see 'reactor presets')")
    return name


def _size(d: Mapping[str, Any], where: str, k) -> tuple[int, int]:
    from reactor.render_job import ASPECTS, parse_size, size_for_aspect

    aspect = _choice(d["aspect"], tuple(ASPECTS), where, k("aspect")) if "aspect" in d else None
    if "size" not in d:  # as `reactor render --aspect`: the default size's short side (720 px) is kept
        return size_for_aspect(parse_size(DEFAULT_SIZE), aspect)
    try:
        w, h = parse_size(_string(d["size"], where, k("size")))
    except ReactorError as e:
        raise BatchError(f"{where}: {k('size')}: {str(e).replace('--size ', '')}") from None
    if aspect:
        aw, ah = (int(v) for v in aspect.split(":"))
        if w * ah != h * aw:
            raise BatchError(f"{where}: {k('size')}: {w}x{h} is not {aspect} (aspect); drop one of size/aspect")
    return w, h


def _out_dir(defaults: Mapping[str, Any], base: Path, where: str) -> Path:
    if "output_dir" not in defaults:
        return base
    return Path(_path(_string(defaults["output_dir"], where, "output_dir"), base))


def _path(text: str, base: Path) -> str:
    p = Path(text).expanduser()
    return str(p if p.is_absolute() else (base / p).resolve())


# -- values --------------------------------------------------------------------------------------

def _known(table: Mapping[str, Any], allowed: tuple[str, ...], where: str, prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise BatchError(f"{where}: {prefix}{key}: unknown key{suggest(key, allowed)}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _string(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BatchError(f"{where}: {key}: must be a non-empty string, got {_short(value)}")
    return value


def _number(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BatchError(f"{where}: {key}: must be a finite number, got {_short(value)}")
    return float(value)


def _choice(value: Any, choices: tuple[str, ...], where: str, key: str) -> str:
    if not isinstance(value, str) or value not in choices:
        hint = suggest(value, choices, listing=False) if isinstance(value, str) else ""
        raise BatchError(f"{where}: {key}: unknown value {_short(value)}{hint} (allowed: {', '.join(choices)})")
    return value
