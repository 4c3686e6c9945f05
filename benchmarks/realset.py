"""Build the real-music dev set: composed MIDI songs, rendered and produced, with exact truth.

Source: the Freedoom soundtrack (Debian ``freedoom``), stored as standard MIDI files (lumps named
``D_*``) inside ``freedoom1.wad`` / ``freedoom2.wad``. These are real compositions by many
composers (rock, metal, funk, ambient, 3/4, 6/8, 7/4, tempo changes, intros without drums), not
grooves written by code. Each piece gives one excerpt (``EXCERPT_S`` long; from the start for
every third piece, so intros are covered, else from a bar line about a quarter in), rendered by
fluidsynth through one of three GM soundfonts (FluidR3, TimGM6mb, MuseScore General) and then
"produced" with a seeded chain: EQ tilt and a low shelf, a short stereo reverb, a slow level
ride and a light compressor (all causal filters: the truth does not move).

Truth from the MIDI itself: beats from its tempo map and time signatures (the notated beat: a
quarter in x/4, a dotted quarter in 6/8, 9/8 and 12/8), downbeats at bar lines, onsets from its
note-ons (``drum_onset_times_s`` from channel 10), merged within 30 ms as ``devset.py`` does.
The truth JSON has the same keys as ``devset.py``'s, plus ``split`` ("train" or "test": fixed
by a hash of the piece name, so a piece is never in both) and ``source``.

Usage::

    python benchmarks/realset.py [--out benchmarks/data/realset] [--force] [--tracks GLOB] [--list]

Needs ``apt-get install freedoom fluidsynth fluid-soundfont-gm timgm6mb-soundfont
musescore-general-soundfont``; a missing soundfont is replaced by the next one present.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import io
import json
import struct
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import mido
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import devset  # noqa: E402  (the sibling script: onset merging, WAV trimming conventions)

VERSION = 1
SAMPLE_RATE_HZ = 48000
EXCERPT_S = 60.0
WADS = (Path("/usr/share/games/doom/freedoom1.wad"), Path("/usr/share/games/doom/freedoom2.wad"))
SOUNDFONTS = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
              Path("/usr/share/sounds/sf3/MuseScore_General.sf3"))
MIN_MUSIC_S = 45.0  # pieces shorter than this (jingles) are left out
DEFAULT_OUT = HERE / "data" / "realset"


def wad_midis(paths=WADS) -> dict[str, bytes]:
    """``{lump name: MIDI bytes}`` for every D_* lump that is a standard MIDI file (deduplicated)."""
    out: dict[str, bytes] = {}
    seen: set[str] = set()
    for path in paths:
        if not path.is_file():
            continue
        b = path.read_bytes()
        _ident, n, off = struct.unpack("<4sii", b[:12])
        for i in range(n):
            o, sz, raw = struct.unpack("<ii8s", b[off + 16 * i: off + 16 * i + 16])
            name = raw.rstrip(b"\0").decode("ascii", "replace")
            data = b[o:o + sz]
            if not name.startswith("D_") or data[:4] != b"MThd":
                continue
            digest = hashlib.sha1(data).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            key = name[2:].lower()
            if key in out:
                key = f"{key}_{path.stem[-1]}"
            out[key] = data
    return out


def _abs_messages(mid: mido.MidiFile):
    """All messages as (abs_tick, track_index, msg), time-ordered."""
    rows = []
    for ti, tr in enumerate(mid.tracks):
        tick = 0
        for msg in tr:
            tick += msg.time
            rows.append((tick, ti, msg))
    rows.sort(key=lambda r: r[0])
    return rows


def tempo_map(mid: mido.MidiFile) -> list[tuple[int, int]]:
    """[(tick, microseconds per beat)], starting at tick 0."""
    tm = [(0, 500000)]
    for tick, _, msg in _abs_messages(mid):
        if msg.type == "set_tempo":
            if tick == tm[-1][0]:
                tm[-1] = (tick, msg.tempo)
            else:
                tm.append((tick, msg.tempo))
    return tm


def ticks_to_seconds(ticks: np.ndarray, tm: list[tuple[int, int]], tpb: int) -> np.ndarray:
    """Ticks to seconds through a piecewise-constant tempo map, at ``tpb`` ticks per beat."""
    starts = np.array([t for t, _ in tm], dtype=np.float64)
    us = np.array([u for _, u in tm], dtype=np.float64)
    offsets = np.concatenate([[0.0], np.cumsum(np.diff(starts) * us[:-1] / 1e6 / tpb)])
    idx = np.searchsorted(starts, ticks, side="right") - 1
    return offsets[idx] + (np.asarray(ticks, float) - starts[idx]) * us[idx] / 1e6 / tpb


def truth_of_midi(mid: mido.MidiFile) -> dict:
    """Beat, downbeat and onset times (s) of a whole MIDI file, from its ticks and tempo map."""
    tpb = mid.ticks_per_beat
    rows = _abs_messages(mid)
    tm = tempo_map(mid)
    sigs = [(0, 4, 4)]
    notes, drums = [], []
    last_tick = 0
    for tick, _, msg in rows:
        if msg.type == "time_signature":
            if tick == sigs[-1][0]:
                sigs[-1] = (tick, msg.numerator, msg.denominator)
            else:
                sigs.append((tick, msg.numerator, msg.denominator))
        elif msg.type == "note_on" and msg.velocity > 0:
            (drums if msg.channel == 9 else notes).append(tick)
            last_tick = max(last_tick, tick)
    beats, downs = [], []
    for k, (start, num, den) in enumerate(sigs):
        end = sigs[k + 1][0] if k + 1 < len(sigs) else last_tick + 1
        compound = den == 8 and num in (6, 9, 12)
        beat_ticks = tpb * 4 / den * (3 if compound else 1)
        per_bar = num // 3 if compound else num
        tick, i = float(start), 0
        while tick < end:
            beats.append(tick)
            if i % per_bar == 0:
                downs.append(tick)
            tick += beat_ticks
            i += 1
    to_s = lambda t: ticks_to_seconds(np.asarray(t, float), tm, tpb)  # noqa: E731
    beat_s, down_s = to_s(beats), to_s(downs)
    bpm = [[float(to_s([t])[0]), 6e7 / us] for t, us in tm]
    return {"beat_times_s": beat_s, "downbeat_times_s": down_s, "drum_onsets": to_s(sorted(drums)),
            "note_onsets": to_s(sorted(notes + drums)), "tempo_curve": bpm, "meters": sigs,
            "last_note_s": float(to_s([last_tick])[0]) if rows else 0.0}


GRID_MIN_SHARE = 0.8
"""Pieces whose note-ons sit on the beat grid (16ths or triplets, +-3 % of a beat) less often than
this are left out: their tempo map does not mark the beat (performance-timed files)."""


def grid_share(mid: mido.MidiFile) -> float:
    """Share of note-ons within 3 % of a beat of a 16th-note or triplet grid position."""
    tpb = mid.ticks_per_beat
    r = np.array([(tick % tpb) / tpb for tick, _, m in _abs_messages(mid) if m.type == "note_on" and m.velocity > 0])
    if r.size == 0:
        return 0.0
    d = np.minimum(np.abs(r * 4 - np.round(r * 4)) / 4, np.abs(r * 3 - np.round(r * 3)) / 3)
    return float(np.mean(d <= 0.03))


def _beat_bpm(beats: np.ndarray) -> float:
    return float(60.0 / np.median(np.diff(beats))) if beats.size > 2 else 0.0


def _truncated_midi(mid: mido.MidiFile, end_s: float) -> bytes:
    """The MIDI file cut after ``end_s`` (with all notes released), as bytes."""
    tm = tempo_map(mid)
    out = mido.MidiFile(type=1, ticks_per_beat=mid.ticks_per_beat)
    for tr in mid.tracks:
        new, tick, kept = mido.MidiTrack(), 0, 0
        for msg in tr:
            tick += msg.time
            if msg.is_meta and msg.type == "end_of_track":
                continue
            if ticks_to_seconds(np.array([tick], float), tm, mid.ticks_per_beat)[0] > end_s:
                break
            new.append(msg.copy(time=tick - kept))
            kept = tick
        for ch in range(16):
            new.append(mido.Message("control_change", channel=ch, control=123, value=0, time=0))
        out.tracks.append(new)
    buf = io.BytesIO()
    out.save(file=buf)
    return buf.getvalue()


def _seed(name: str) -> int:
    return int(hashlib.sha1(name.encode()).hexdigest()[:8], 16)


def split_of(name: str) -> str:
    """'train' or 'test', fixed by the piece's name."""
    return "test" if _seed("split:" + name) % 2 else "train"


def produce(x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Seeded mix chain on (n, 2) float: EQ tilt + low shelf, short reverb, level ride, compressor."""
    import scipy.signal as ss

    sr = SAMPLE_RATE_HZ
    fx = {}
    # EQ: a first-order tilt (+-4 dB across the band) and a low shelf (-3..+6 dB below 120 Hz)
    tilt = float(rng.uniform(-4, 4))
    shelf = float(rng.uniform(-3, 6))
    fx.update(tilt_db=round(tilt, 2), low_shelf_db=round(shelf, 2))
    b, a = ss.butter(1, 1500 / (sr / 2), "high")
    x = x + (10 ** (tilt / 20) - 1) * ss.lfilter(b, a, x, axis=0)
    b, a = ss.butter(2, 120 / (sr / 2), "low")
    x = x + (10 ** (shelf / 20) - 1) * ss.lfilter(b, a, x, axis=0)
    # reverb: exponentially decaying noise, different per channel, 10-35 % wet
    rt = float(rng.uniform(0.4, 1.6))
    wet = float(rng.uniform(0.1, 0.35))
    n_ir = int(rt * sr)
    env = np.exp(-6.9 * np.arange(n_ir) / n_ir)
    for c in range(2):
        ir = rng.standard_normal(n_ir) * env
        ir[: int(0.012 * sr)] = 0.0  # pre-delay
        ir /= np.sqrt(np.sum(ir ** 2))
        x[:, c] = (1 - wet) * x[:, c] + wet * ss.fftconvolve(x[:, c], ir)[: x.shape[0]]
    fx.update(reverb_s=round(rt, 2), reverb_wet=round(wet, 2))
    # level ride: slow +-6 dB wander, and one -10 dB dip for a few seconds (a breakdown mix move)
    t = np.arange(x.shape[0]) / sr
    ride_db = 6.0 * np.sin(2 * np.pi * t / rng.uniform(15, 40) + rng.uniform(0, 6.3))
    dip_at = rng.uniform(10, max(11, t[-1] - 10))
    ride_db -= 10.0 * np.exp(-0.5 * ((t - dip_at) / 1.5) ** 2)
    x = x * (10 ** (ride_db / 20))[:, None]
    # compressor: 3:1 above -18 dBFS RMS, 5 ms attack, 120 ms release, then normalise to -1 dBFS peak
    lvl = np.sqrt(np.mean(x ** 2, axis=1) + 1e-12)
    a_att, a_rel = np.exp(-1 / (0.005 * sr)), np.exp(-1 / (0.12 * sr))
    env = _follow(lvl, a_att, a_rel)
    over = np.maximum(20 * np.log10(env + 1e-9) + 18.0, 0.0)
    x = x * (10 ** (-over * (1 - 1 / 3) / 20))[:, None]
    x *= 10 ** (-1 / 20) / max(np.max(np.abs(x)), 1e-9)
    fx.update(compressor="3:1 at -18 dBFS")
    return x, fx


def _follow(x: np.ndarray, a_att: float, a_rel: float) -> np.ndarray:
    from numba import njit

    @njit(cache=False)
    def run(x, a_att, a_rel):
        y = np.empty_like(x)
        e = 0.0
        for i in range(x.shape[0]):
            a = a_att if x[i] > e else a_rel
            e = a * e + (1 - a) * x[i]
            y[i] = e
        return y

    return run(x, a_att, a_rel)


def _read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        raw = w.readframes(w.getnframes())
        ch = w.getnchannels()
    return np.frombuffer(raw, "<i2").reshape(-1, ch).astype(np.float64) / 32768.0


def _write_wav(path: Path, x: np.ndarray) -> None:
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    tmp = path.with_name(path.stem + ".part.wav")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE_HZ)
        w.writeframes(pcm.tobytes())
    tmp.replace(path)


def plan(pieces: dict[str, bytes]) -> list[dict]:
    """One excerpt per piece: name, soundfont, start time; long-enough pieces only."""
    fonts = [f for f in SOUNDFONTS if f.is_file()] or [devset.DEFAULT_SOUNDFONT]
    out = []
    for k, name in enumerate(sorted(pieces)):
        mid = mido.MidiFile(file=io.BytesIO(pieces[name]))
        tr = truth_of_midi(mid)
        if tr["last_note_s"] < MIN_MUSIC_S or len(tr["beat_times_s"]) < 16 or grid_share(mid) < GRID_MIN_SHARE:
            continue
        beats, downs = tr["beat_times_s"], tr["downbeat_times_s"]
        start = 0.0
        if k % 3 and tr["last_note_s"] > EXCERPT_S + 20:
            target = min(0.25 * tr["last_note_s"], tr["last_note_s"] - EXCERPT_S)
            start = float(downs[np.argmin(np.abs(downs - target))]) if downs.size else target
            start = max(0.0, start - 0.5)  # half a second of run-up, not cut on the hit
        out.append({"name": f"fd_{name}", "piece": name, "soundfont": str(fonts[_seed(name) % len(fonts)]),
                    "start_s": round(start, 4), "split": split_of(name)})
    return out


def build_track(item: dict, midi: bytes, out_dir: Path, *, force: bool = False) -> Path:
    """Render, produce and annotate one excerpt; returns the truth path."""
    truth_path = out_dir / f"{item['name']}.truth.json"
    wav_path = out_dir / f"{item['name']}.wav"
    digest = hashlib.sha1(json.dumps(item, sort_keys=True).encode() + midi + bytes([VERSION])).hexdigest()[:16]
    if not force and truth_path.is_file() and wav_path.is_file():
        if json.loads(truth_path.read_text()).get("spec_digest") == digest:
            return truth_path
    mid = mido.MidiFile(file=io.BytesIO(midi))
    tr = truth_of_midi(mid)
    start, end = item["start_s"], item["start_s"] + EXCERPT_S
    with tempfile.TemporaryDirectory() as td:
        mpath = Path(td) / "cut.mid"
        mpath.write_bytes(_truncated_midi(mid, end))
        raw = Path(td) / "raw.wav"
        cmd = ["fluidsynth", "-ni", "-g", "0.5", "-r", str(SAMPLE_RATE_HZ), "-F", str(raw), item["soundfont"], str(mpath)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 or not raw.is_file():
            raise devset.DevsetError(f"{item['name']}: fluidsynth failed: {proc.stderr.strip()[-200:]}")
        x = _read_wav(raw)
    i0, i1 = int(round(start * SAMPLE_RATE_HZ)), int(round(end * SAMPLE_RATE_HZ))
    x = x[i0:i1]
    if x.shape[0] < i1 - i0:
        x = np.concatenate([x, np.zeros((i1 - i0 - x.shape[0], 2))])
    fade = int(0.5 * SAMPLE_RATE_HZ)
    x[-fade:] *= np.linspace(1, 0, fade)[:, None]
    x, fx = produce(x, np.random.default_rng(_seed(item["name"])))
    _write_wav(wav_path, x)

    def window(t: np.ndarray) -> list[float]:
        t = np.asarray(t, float) - start
        return [round(float(v), 6) for v in t[(t >= 0) & (t <= EXCERPT_S - 0.5)]]

    notes = devset.merge_onsets(np.asarray(tr["note_onsets"]))
    drums = devset.merge_onsets(np.asarray(tr["drum_onsets"]))
    beats = window(tr["beat_times_s"])
    curve = [[max(0.0, t - start), round(b, 3)] for t, b in tr["tempo_curve"]]
    curve = [c for c in curve if c[0] < EXCERPT_S] or [[0.0, 120.0]]
    # keep only the tempo segment in force at the start, then the later changes
    first = max(i for i, c in enumerate(curve) if c[0] <= 0.0) if any(c[0] <= 0.0 for c in curve) else 0
    curve = curve[first:]
    curve[0][0] = 0.0
    ons = window(notes)
    meters = sorted({f"{n}/{d}" for _, n, d in tr["meters"]})
    truth = {
        "name": item["name"], "source": f"Freedoom soundtrack, lump D_{item['piece'].upper()}",
        "split": item["split"], "soundfont": Path(item["soundfont"]).name, "start_in_piece_s": start,
        "production": fx, "beat_times_s": beats, "downbeat_times_s": window(tr["downbeat_times_s"]),
        "drum_onset_times_s": window(drums), "onset_times_s": ons,
        "tempo_bpm": round(_beat_bpm(np.asarray(beats)), 2), "tempo_curve": curve, "meters": meters,
        "music_start_s": ons[0] if ons else 0.0, "music_end_s": ons[-1] if ons else EXCERPT_S,
        "audio_duration_s": EXCERPT_S, "tags": ["real", "drums" if drums.size else "no-drums"] + meters,
        "spec_digest": digest,
    }
    truth_path.write_text(json.dumps(truth, indent=1) + "\n")
    return truth_path


def build_realset(out_dir: Path = DEFAULT_OUT, *, pattern: str = "*", force: bool = False, log=print) -> list[Path]:
    pieces = wad_midis()
    if not pieces:
        raise devset.DevsetError("realset.py: no Freedoom WAD found; apt-get install freedoom")
    out_dir.mkdir(parents=True, exist_ok=True)
    items = plan(pieces)
    names = {i["name"] for i in items}
    for stale in out_dir.glob("fd_*.truth.json"):  # tracks the plan no longer holds
        name = stale.name[: -len(".truth.json")]
        if name not in names:
            stale.unlink()
            stale.with_name(name + ".wav").unlink(missing_ok=True)
    paths = []
    for item in items:
        if not any(fnmatch.fnmatch(item["name"], g.strip()) for g in pattern.split(",")):
            continue
        paths.append(build_track(item, pieces[item["piece"]], out_dir, force=force))
        log(f"built {item['name']} ({item['split']})")
    return paths


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--tracks", default="*")
    p.add_argument("--force", action="store_true")
    p.add_argument("--list", action="store_true")
    args = p.parse_args(argv)
    if args.list:
        for item in plan(wad_midis()):
            print(f"{item['name']:14s} {item['split']:5s} start {item['start_s']:7.2f} s  {Path(item['soundfont']).name}")
        return 0
    try:
        build_realset(args.out, pattern=args.tracks, force=args.force)
    except devset.DevsetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
