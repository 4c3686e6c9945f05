"""``reactor batch``: a catalogue rendered locally (2 workers) and on a real local Ray cluster.

The catalogue is made by code: the demo track, trimmed and pitch-shifted, and two pictures.
Clips are tiny (160x90, draft) so the whole file runs in about a minute on two cores.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from reactor.audio.decode import AudioClip, save_wav
from reactor.audio.demo import demo_clip
from reactor.batch import BatchError, load_jobs
from reactor.batch.jobs import jobs_from_audio_dir
from reactor.batch.progress import BatchProgress
from reactor.batch.work import Outcome, marker_path
from reactor.output.probe import probe
from tests.test_cli_analyze import one_line_error, reactor

SMALL = 'size = "160x90"\nquality = "draft"\n'


def pitch_shifted(clip: AudioClip, *, semitones: float, start_s: float, duration_s: float) -> AudioClip:
    """Resample a slice of ``clip`` so it plays ``semitones`` higher (and faster), same rate."""
    ratio = 2.0 ** (semitones / 12.0)
    part = clip.trimmed(start_s, duration_s * ratio).samples
    pos = np.arange(int(round(len(part) / ratio))) * ratio
    cols = [np.interp(pos, np.arange(len(part)), part[:, c]) for c in range(part.shape[1])]
    return AudioClip(samples=np.stack(cols, axis=1).astype(np.float32), sample_rate_hz=clip.sample_rate_hz,
                     source="test")


def write_picture(path: Path, hue: int) -> Path:
    from PIL import Image

    y, x = np.mgrid[0:90, 0:160]
    img = np.stack([(x * 255 // 160 + hue) % 256, y * 255 // 90, (x + y + hue) % 256], axis=2).astype(np.uint8)
    Image.fromarray(img).save(path)
    return path


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory) -> Path:
    """Three 1 s tracks (demo, +3, -2 semitones), two pictures, and a jobs file with a missing track."""
    d = tmp_path_factory.mktemp("catalogue")
    demo = demo_clip()
    for name, semis, start in (("t1", 0.0, 8.0), ("t2", 3.0, 13.0), ("t3", -2.0, 20.0)):
        save_wav(d / f"{name}.wav", pitch_shifted(demo, semitones=semis, start_s=start, duration_s=1.0))
    write_picture(d / "red.png", 0)
    write_picture(d / "blue.png", 128)
    (d / "jobs.toml").write_text(SMALL + 'image = "red.png"\npreset = "pulse"\noutput_dir = "clips"\n\n'
                                 '[[job]]\naudio = "t1.wav"\n\n'
                                 '[[job]]\naudio = "t2.wav"\nimage = "blue.png"\npreset = "tunnel"\n\n'
                                 '[[job]]\naudio = "gone.wav"\n\n'
                                 '[[job]]\naudio = "t3.wav"\nfps = 24\n')
    return d


def batch(*args, cwd=None, timeout=400):
    return subprocess.run([sys.executable, "-m", "reactor", "batch", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, env=_env())


def _env():
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


@pytest.fixture(scope="module")
def local_run(catalogue):
    """The catalogue rendered by two local worker processes, with its JSON report."""
    report = catalogue / "local.json"
    r = batch(catalogue / "jobs.toml", "--workers", "2", "--json-report", report)
    return r, json.loads(report.read_text())


def test_local_batch_renders_good_jobs_and_reports_the_bad_one(catalogue, local_run):
    r, report = local_run
    assert r.returncode == 1, r.stderr  # one job failed: the exit status says so
    rows = {row["job"]: row for row in report["jobs"]}
    assert [rows[i]["status"] for i in (1, 2, 3, 4)] == ["done", "done", "failed", "done"]
    assert "gone.wav" in rows[3]["error"] and "not found" in rows[3]["error"]
    assert "job[3] failed" in r.stderr and "Traceback" not in r.stderr
    assert len({rows[i]["worker"] for i in (1, 2, 4)}) == 2  # both workers took jobs
    for i, fps in ((1, 30), (2, 30), (4, 24)):
        info = probe(rows[i]["output"], decode=True)
        v, a = info["video"], info["audio"]
        assert (v["width_px"], v["height_px"], v["frames"]) == (160, 90, fps)
        assert abs(a["duration_s"] - v["duration_s"]) <= 1 / fps
        assert rows[i]["audio_s"] == pytest.approx(1.0, abs=1e-6)
        assert rows[i]["seconds"] > 0 and rows[i]["x_real_time"] > 0
        assert os.path.exists(marker_path(rows[i]["output"]))
    assert not os.path.exists(rows[3]["output"])
    assert report["summary"]["done"] == 3 and report["summary"]["failed"] == 1 and not report["summary"]["ok"]
    assert not [p for p in (catalogue / "clips").iterdir() if ".partial-" in p.name]


def test_a_job_renders_the_same_bytes_in_a_batch_as_on_its_own(catalogue, local_run):
    single = catalogue / "single.mp4"
    r = reactor("render", catalogue / "t2.wav", "--image", catalogue / "blue.png", "--preset", "tunnel",
                "--size", "160x90", "--quality", "draft", "--no-progress", "-o", single)
    assert r.returncode == 0, r.stderr
    assert single.read_bytes() == (catalogue / "clips" / "t2.mp4").read_bytes()


def test_a_second_run_skips_finished_clips(catalogue, local_run):
    clips = catalogue / "clips"
    before = {p.name: p.stat().st_mtime_ns for p in clips.glob("*.mp4")}
    (clips / "t3.mp4").write_bytes(b"not a finished clip")  # replaced behind the batch's back
    report = catalogue / "again.json"
    r = batch(catalogue / "jobs.toml", "--workers", "2", "--json-report", report)
    rows = {row["job"]: row for row in json.loads(report.read_text())["jobs"]}
    assert r.returncode == 1, r.stderr
    assert [rows[i]["status"] for i in (1, 2, 3, 4)] == ["skipped", "skipped", "failed", "done"]
    assert {p.name: p.stat().st_mtime_ns for p in clips.glob("t[12].mp4")} == \
        {k: v for k, v in before.items() if k in ("t1.mp4", "t2.mp4")}
    assert probe(clips / "t3.mp4", decode=True)["video"]["frames"] == 24  # rendered again


def test_ctrl_c_leaves_finished_clips_and_no_partial_ones_then_resumes(tmp_path, catalogue):
    save_wav(tmp_path / "long.wav", demo_clip())  # 30 s: still rendering when Ctrl-C comes
    for name in ("t1.wav", "t2.wav", "red.png"):
        (tmp_path / name).write_bytes((catalogue / name).read_bytes())
    jobs = tmp_path / "jobs.toml"
    jobs.write_text(SMALL + 'image = "red.png"\n[[job]]\naudio = "t1.wav"\n[[job]]\naudio = "long.wav"\n'
                    '[[job]]\naudio = "t2.wav"\n')
    p = subprocess.Popen([sys.executable, "-m", "reactor", "batch", str(jobs), "--workers", "1"],
                         stderr=subprocess.PIPE, text=True, env=_env())
    seen = ""
    deadline = time.monotonic() + 240
    while "jobs 1/3" not in seen and time.monotonic() < deadline:
        line = p.stderr.readline()
        if not line:
            break
        seen += line
    assert "jobs 1/3" in seen, seen
    time.sleep(1.0)  # the long job is rendering now
    p.send_signal(signal.SIGINT)
    rest = p.communicate(timeout=120)[1]
    assert p.returncode == 130, seen + rest
    assert "interrupted" in rest and "Traceback" not in rest, rest
    names = sorted(f.name for f in tmp_path.iterdir() if f.suffix in (".mp4", ".part") or ".partial-" in f.name)
    assert names == ["t1.mp4"], names  # the finished clip only: no partial one, no temporary file
    assert probe(tmp_path / "t1.mp4", decode=True)["video"]["frames"] == 30

    report = tmp_path / "resume.json"
    r = batch(jobs, "--workers", "1", "--json-report", report)
    assert r.returncode == 0, r.stderr
    rows = [row["status"] for row in json.loads(report.read_text())["jobs"]]
    assert rows == ["skipped", "done", "done"]
    assert probe(tmp_path / "long.mp4", decode=True)["video"]["frames"] == 900


@pytest.mark.ray
def test_the_same_batch_on_a_local_ray_cluster_gives_identical_clips(catalogue, local_run, tmp_path, monkeypatch):
    ray = pytest.importorskip("ray")
    jobs = catalogue / "jobs_ray.toml"  # the same jobs, their clips in another folder
    jobs.write_text((catalogue / "jobs.toml").read_text().replace('output_dir = "clips"',
                                                                  f'output_dir = "{tmp_path / "ray"}"'))
    # a real local cluster (GCS, raylet, workers) that the batch joins by address like any other;
    # its workers inherit this process's environment, so they import this checkout of reactor
    monkeypatch.setenv("PYTHONPATH", _env()["PYTHONPATH"])
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=200 * 1024 * 1024, log_to_driver=False)
    try:
        address = ray.get_runtime_context().gcs_address
        report = tmp_path / "ray.json"
        r = batch(jobs, "--ray", address, "--json-report", report)
    finally:
        ray.shutdown()
    assert r.returncode == 1, r.stderr
    rows = {row["job"]: row for row in json.loads(report.read_text())["jobs"]}
    assert [rows[i]["status"] for i in (1, 2, 3, 4)] == ["done", "done", "failed", "done"]
    for name in ("t1.mp4", "t2.mp4", "t3.mp4"):
        assert (tmp_path / "ray" / name).read_bytes() == (catalogue / "clips" / name).read_bytes(), name


# -- the jobs file, refused before anything renders ----------------------------------------------

def test_a_typo_in_a_job_key_is_refused_naming_file_key_and_suggestion(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"")
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[[job]]\naudio = "a.wav"\n[[job]]\naudio = "a.wav"\nsise = "160x90"\noutput = "b.mp4"\n')
    line = one_line_error(batch(jobs), "jobs.toml", "job[2].sise", "did you mean 'size'")
    assert not list(tmp_path.glob("*.mp4")), line


@pytest.mark.parametrize("text, needles", [
    ('presett = "pulse"\n[[job]]\naudio = "a.wav"\n', ["presett", "preset"]),
    ('[[job]]\naudio = "a.wav"\npreset = "tunel"\n', ["job[1].preset", "tunnel"]),
    ('fps = 0\n[[job]]\naudio = "a.wav"\n', ["fps", "1..240"]),
    ('[[job]]\naudio = "a.wav"\naspect = "16:10"\n', ["job[1].aspect", "16:9"]),
    ('[[job]]\naudio = "a.wav"\nsize = "160x90"\naspect = "9:16"\n', ["job[1].size", "9:16"]),
    ('[[job]]\naudio = "a.wav"\nsize = "161x90"\n', ["job[1].size", "even"]),
    ('[[job]]\naudio = "a.wav"\npreset = "pulse"\n', ["job[1].preset", "image"]),
    ('[[job]]\naudio = "a.wav"\n[[job]]\naudio = "sub/../a.wav"\n', ["job[2].output", "job[1]"]),
    ('[[job]]\nimage = "x.png"\n', ["job[1].audio", "missing"]),
    ('[[job]\naudio = "a.wav"\n', ["jobs.toml:1"]),
    ('preset = "tunnel"\n', ["job", "[[job]]"]),
])
def test_bad_jobs_files_are_one_line_errors(tmp_path, text, needles):
    jobs = tmp_path / "jobs.toml"
    jobs.write_text(text)
    with pytest.raises(BatchError) as e:
        load_jobs(jobs)
    msg = str(e.value)
    assert "\n" not in msg and "jobs.toml" in msg
    for n in needles:
        assert n in msg, (n, msg)


def test_aspect_gives_the_size_and_paths_are_relative_to_the_jobs_file(tmp_path):
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('aspect = "9:16"\noutput_dir = "out"\n[[job]]\naudio = "a.wav"\n'
                    '[[job]]\naudio = "b.wav"\naspect = "4:5"\noutput = "x/b.mov"\ncodec = "prores"\n')
    a, b = load_jobs(jobs)
    assert (a.width_px, a.height_px, b.width_px, b.height_px) == (720, 1280, 720, 900)
    assert a.audio == str(tmp_path / "a.wav") and a.output == str(tmp_path / "out" / "a.mp4")
    assert b.output == str(tmp_path / "out" / "x" / "b.mov") and a.preset == "tunnel"


def test_audio_dir_makes_one_job_per_track_and_refuses_clashing_names(tmp_path):
    (tmp_path / "music").mkdir()
    for name in ("02 b.flac", "01 a.wav", "notes.txt"):
        (tmp_path / "music" / name).write_bytes(b"")
    jobs = jobs_from_audio_dir(tmp_path / "music", output_dir=tmp_path / "clips", settings={"preset": "tunnel"})
    assert [Path(j.output).name for j in jobs] == ["01 a.mp4", "02 b.mp4"]
    (tmp_path / "music" / "01 a.mp3").write_bytes(b"")
    with pytest.raises(BatchError, match=r"job\[2\]\.output.*job\[1\]"):
        jobs_from_audio_dir(tmp_path / "music", output_dir=tmp_path / "clips", settings={})
    r = batch("--audio-dir", tmp_path / "music", "--preset", "tunnel", "--dry-run")
    one_line_error(r, "--audio-dir", "-o")


def test_batch_progress_counts_jobs_audio_speed_and_eta():
    now = [0.0]
    out = io.StringIO()
    bar = BatchProgress(total_jobs=4, total_audio_s=3 * 3600.0, stream=out, clock=lambda: now[0])
    class J:  # what the failure line reads of a job
        label, audio = "job[2]", "/x/b.wav"

    now[0] = 600.0
    bar.add(Outcome(1, "done", audio_s=3600.0, wall_s=600.0), J)
    assert bar.line() == "jobs 1/4 | audio 1:00:00/3:00:00 rendered | 6.00x real time | ETA 20:00"
    bar.add(Outcome(2, "failed", error="b.wav: file not found"), J)
    assert "job[2] failed: b.wav: b.wav: file not found" in out.getvalue()
    bar.add(Outcome(3, "skipped"), J)
    assert bar.line().startswith("jobs 3/4 (1 failed, 1 skipped) |")


def test_leftovers_of_a_killed_run_are_removed_and_never_taken_for_clips(tmp_path):
    from reactor.batch.run import run_batch

    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[[job]]\naudio = "Song [live].wav"\n')
    (tmp_path / ".Song [live].partial-123-abc.mp4.part").write_bytes(b"half a clip")  # kill -9 mid-render
    (tmp_path / "Song [live].mp4").write_bytes(b"a file from somewhere else")  # no done marker
    result = run_batch(load_jobs(jobs), progress=False, stream=io.StringIO())
    assert not result.ok and "not found" in result.outcomes[1].error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Song [live].mp4", "jobs.toml"]


def test_ray_missing_is_one_line_saying_what_to_install(tmp_path, monkeypatch):
    from reactor.batch import ray_backend
    from reactor.batch.work import Task

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    (tmp_path / "jobs.toml").write_text('[[job]]\naudio = "a.wav"\n')
    task = Task(job=load_jobs(tmp_path / "jobs.toml")[0], temp_path=str(tmp_path / ".a.partial-x.mp4"),
                fingerprint="x")
    with pytest.raises(BatchError, match=r"reactor\[cluster\]"):
        list(ray_backend.execute([task], address=None))
