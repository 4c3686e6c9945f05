"""``reactor analyze`` and the CLI's contract: outputs, and a one-line error (exit 2) for bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from reactor.audio.demo import demo_truth
from tests import signals

JSON_KEYS = {"tempo_bpm", "beat_times_s", "beat_emitted_s", "downbeat_times_s", "onset_times_s",
             "onset_emitted_s", "duration_s", "sample_rate_hz", "hop_s", "mode", "beats_per_bar", "sections_s",
             "drops_s"}


def reactor(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "reactor", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def one_line_error(r, *needles):
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def test_help_version_and_bad_commands():
    assert "render" in reactor("--help").stdout
    assert reactor("--version").stdout.startswith("reactor ")
    one_line_error(reactor("dance"), "dance")
    one_line_error(reactor("analyze", "--demo", "--frobnicate"), "--frobnicate")
    one_line_error(reactor("analyze"), "--demo")


@pytest.fixture(scope="module")
def demo_outputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("analyze")
    r = reactor("analyze", "--demo", "--json", d / "a.json", "--csv", d / "a.csv", "--labels", d / "a.txt",
                "--plot", d / "a.png")
    assert r.returncode == 0, r.stderr
    return d, r


def test_demo_json_has_exactly_the_documented_keys_and_the_right_tempo(demo_outputs):
    d, r = demo_outputs
    data = json.loads((d / "a.json").read_text())
    assert set(data) == JSON_KEYS
    truth = demo_truth()
    assert data["tempo_bpm"] == pytest.approx(truth.bpm, rel=0.02)
    assert data["duration_s"] == pytest.approx(truth.duration_s, abs=1e-3)
    assert len(data["beat_times_s"]) == len(data["beat_emitted_s"])
    assert len(data["onset_times_s"]) == len(data["onset_emitted_s"])
    beats = np.array(data["beat_times_s"])
    groove = truth.beat_times_s[(truth.beat_times_s > 8.0) & (truth.beat_times_s < 18.0)]
    err = np.array([np.min(np.abs(beats - b)) for b in groove])
    assert np.mean(err < 0.07) > 0.9
    assert "BPM" in r.stdout and "beats" in r.stdout


def test_csv_and_labels_are_importable_event_lists(demo_outputs):
    d, _ = demo_outputs
    rows = list(csv.DictReader((d / "a.csv").open()))
    kinds = {row["kind"] for row in rows}
    assert {"beat", "onset"} <= kinds
    times = [float(row["time_s"]) for row in rows]
    assert times == sorted(times)
    labels = [ln.split("\t") for ln in (d / "a.txt").read_text().splitlines()]
    assert all(len(x) == 3 and float(x[0]) == float(x[1]) for x in labels)
    assert len(labels) == len(rows)


def test_plot_is_a_real_png(demo_outputs):
    from PIL import Image

    d, _ = demo_outputs
    with Image.open(d / "a.png") as im:
        assert im.size[0] > 800 and im.size[1] > 500
        px = np.asarray(im.convert("L"))
    assert px.std() > 10  # drawn, not blank


def test_json_to_stdout_is_pure_json():
    r = reactor("analyze", "--demo", "--duration", "6", "--json", "-")
    assert r.returncode == 0
    assert set(json.loads(r.stdout)) == JSON_KEYS


def test_trimming_is_exact(tmp_path):
    r = reactor("analyze", "--demo", "--start", "8", "--duration", "4.5", "--json", tmp_path / "t.json")
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["duration_s"] == pytest.approx(4.5, abs=1e-6)
    assert max(data["onset_times_s"]) < 4.5


@pytest.mark.parametrize("make, needles", [
    (lambda p: p / "missing.wav", ["missing.wav"]),
    (lambda p: (p / "notes.txt").write_text("not audio at all\n" * 50) and p / "notes.txt", ["notes.txt"]),
    (lambda p: (p / "empty.wav").write_bytes(b"") or p / "empty.wav", ["empty.wav"]),
])
def test_bad_files_give_one_line_errors(tmp_path, make, needles):
    path = make(tmp_path)
    one_line_error(reactor("analyze", path), *needles)


def test_truncated_file_analyses_what_is_there_or_says_why(tmp_path):
    g = signals.groove(bpm=120, bars=8)
    src = signals.write_audio(tmp_path / "song.mp3", g.samples)
    data = open(src, "rb").read()
    (tmp_path / "cut.mp3").write_bytes(data[: len(data) // 2])
    r = reactor("analyze", tmp_path / "cut.mp3", "--json", tmp_path / "cut.json")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "cut.json").read_text())["duration_s"] > 3.0


def test_start_past_the_end_and_bad_durations(tmp_path):
    one_line_error(reactor("analyze", "--demo", "--start", "100"), "past the end")
    one_line_error(reactor("analyze", "--demo", "--duration", "-1"), "--duration")


@pytest.mark.parametrize("kind", ["silence", "dc", "clipped", "six_channels", "8k", "192k", "nan"])
def test_odd_but_valid_audio_is_handled(tmp_path, kind):
    sr = 48000
    g = signals.groove(bpm=120, bars=6)
    x = g.samples
    if kind == "silence":
        x = np.zeros_like(x)
    elif kind == "dc":
        x = x * 0.5 + 0.4
    elif kind == "clipped":
        x = np.clip(x * 8, -1, 1)
    elif kind == "six_channels":
        x = np.repeat(x[:, :1], 6, axis=1)
    elif kind in ("8k", "192k"):
        sr = 8000 if kind == "8k" else 192000
        x = signals.groove(bpm=120, bars=6, sample_rate_hz=sr).samples
    path = tmp_path / f"{kind}.wav"
    if kind == "nan":
        x = x.copy()
        x[10000:10100] = np.nan
        signals.write_wav(path, x, float32=True)
    else:
        signals.write_wav(path, np.clip(x, -1, 1), sample_rate_hz=sr)
    r = reactor("analyze", path, "--json", tmp_path / "o.json")
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "o.json").read_text())
    if kind == "silence":
        assert data["beat_times_s"] == [] and data["onset_times_s"] == []
        assert "no steady beat" in r.stdout
    else:
        assert data["tempo_bpm"] == pytest.approx(120, rel=0.03), kind
    if kind == "nan":
        assert "NaN" in r.stdout or "NaN" in r.stderr


def test_plot_without_matplotlib_fails_before_the_work_with_the_extra_named(tmp_path):
    # matplotlib is the `plot` extra: a core install that asks for --plot is told what to install,
    # at once, and writes nothing
    code = ("import sys; sys.modules['matplotlib'] = None; from reactor.cli import main; "
            f"sys.exit(main(['analyze', '--demo', '--json', {str(tmp_path / 'a.json')!r}, "
            f"'--plot', {str(tmp_path / 'a.png')!r}]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "reactor[plot]" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "a.json").exists()
