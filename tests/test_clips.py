"""audio.clips.load_clip: the audio a command works on, from typed arguments (no argparse)."""

from __future__ import annotations

import numpy as np
import pytest

from reactor.audio.clips import load_clip
from reactor.errors import AudioError
from tests import signals


def test_demo_and_file_are_trimmed_by_exact_sample(tmp_path):
    demo = load_clip(demo=True, start_s=2.0, duration_s=1.5)
    assert demo.source == "demo" and demo.samples.shape[0] == 72000
    full = load_clip(demo=True)
    assert np.array_equal(demo.samples, full.samples[96000:168000])
    tone = signals.write_wav(tmp_path / "t.wav", 0.2 * np.ones((48000, 2), np.float32))
    clip = load_clip(tone, start_s=0.25, duration_s=0.5)
    assert clip.samples.shape == (24000, 2) and clip.source.endswith("t.wav")


@pytest.mark.parametrize("kwargs, needle", [
    ({}, "no audio"),
    ({"path": "x.wav", "demo": True}, "not both"),
    ({"demo": True, "duration_s": 0.0}, "positive"),
    ({"demo": True, "start_s": -1.0}, "start"),
    ({"demo": True, "start_s": 100.0}, "past the end"),
    ({"path": "missing.wav"}, "missing.wav"),
])
def test_bad_requests_say_what_is_wrong_in_one_line(kwargs, needle):
    with pytest.raises(AudioError, match=needle) as err:
        load_clip(**kwargs)
    assert "\n" not in str(err.value)


def test_nothing_below_the_cli_imports_argparse_or_the_cli():
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1] / "reactor"
    for path in root.rglob("*.py"):
        if path.name in ("cli.py", "__main__.py"):
            continue
        text = path.read_text()
        for banned in ("import argparse", "from reactor.cli import", "from reactor import cli", "import reactor.cli"):
            assert banned not in text, (path, banned)
