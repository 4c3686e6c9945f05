"""The installation playlist in a real show loop (offscreen, frame-stepped clock, real music):
presets rotate on a timer, or follow the music's energy from quiet to loud; a hand-picked preset
is held; crossfades wait for the beat."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest

from reactor.control.actions import Action
from reactor.control.playlist import EnergyMeter, Entry, Playlist

FPS = 15.0


class Stepper:
    """Steps the engine clock one frame per poll; sends planned actions (a person at the keys)."""

    name = "stepper"

    def __init__(self, clock, plan=None):
        self.clock, self.frame, self.plan = clock, 0, dict(plan or {})

    def poll(self, now_s):
        self.frame += 1
        self.clock.t = self.frame / FPS
        return self.plan.pop(self.frame, [])


class Clock:
    t = 0.0

    def __call__(self):
        return self.t


def _run(playlist, samples, presets, *, plan=None, fade_s=0.5, quantize="beat"):
    from reactor.audio.paced import PacedSource
    from reactor.live.show import LiveOptions, Show

    clock = Clock()
    frames = int(len(samples) / 48000 * FPS) - 2
    source = PacedSource(SimpleNamespace(samples=samples, sample_rate_hz=48000), clock=clock)
    opt = LiveOptions(presets=presets, width_px=48, height_px=27, fps=FPS, frames=frames, offscreen=True,
                      unpaced=True, watch=False, hud=False, fade_s=fade_s, quantize=quantize)
    show = Show(opt, source, surfaces=[Stepper(clock, plan), playlist])
    return show.run(), show


def _switches(stats):
    """(slot name, starts-in seconds) of every preset switch the show made."""
    out = []
    for e in stats["events"]:
        m = re.match(r"preset -> (\S+) .*?(?:starts in ([\d.]+) s)?\)$", e)
        if m:
            out.append((m.group(1), float(m.group(2) or 0.0)))
    return out


def _music(seconds):
    """A Freedoom song (cached after its first render), else the demo track (made in ~5 s)."""
    from reactor.audio.clips import load_clip
    from tests.real_media import freedoom_music

    music = freedoom_music("D_RUNNIN", seconds=seconds)
    if music is not None:
        return np.ascontiguousarray(music, dtype=np.float32)
    return np.asarray(load_clip(None, demo=True, duration_s=seconds).samples)


def test_rotation_by_time_with_beat_quantized_fades_and_a_hand_picked_hold():
    entries = [Entry("scope"), Entry("tunnel", hold_s=2.0)]
    playlist = Playlist(entries, mode="time", hold_s=3.0)
    # at 9.0 s someone picks rings (a slot the playlist does not play): it is held for hold_s
    stats, show = _run(playlist, _music(14.0), ("scope", "tunnel", "rings"),
                       plan={int(9.0 * FPS): [Action("preset", "rings", origin="osc")]})
    times = [t for t, *_ in playlist.history]
    names = [n for _, n, *_ in playlist.history]
    assert names[:3] == ["tunnel", "scope", "tunnel"], names
    assert times[:3] == pytest.approx([3.0, 5.0, 8.0], abs=1.5 / FPS)  # tunnel holds its own 2 s
    # the hand-picked rings at 9 s (shown from the next beat): the playlist waits hold_s before moving on
    after = [(t, n) for t, n, *_ in playlist.history if t > 8.5]
    assert after and after[0][0] >= 9.0 + 3.0 - 1.0 / FPS, after
    # crossfades start on the next beat (the tempo is confident by then): never more than a beat late
    beat_s = 60.0 / stats["tempo_bpm"]
    waits = [w for name, w in _switches(stats) if name != "rings"]
    assert len(waits) >= 3 and max(waits) <= beat_s + 0.01 and any(w > 0.02 for w in waits)
    assert stats["playlist_switches"] == len(playlist.history) and stats["errors"] == []


def test_rotation_by_energy_follows_real_music_from_quiet_to_loud():
    from tests.real_media import freedoom_music

    music = freedoom_music("D_RUNNIN", seconds=36.0)
    if music is None:
        pytest.skip("needs freedoom and fluidsynth (tools/setup.sh --test)")
    quiet, loud = music[: 18 * 48000] * 10 ** (-32 / 20), music[18 * 48000:]
    samples = np.ascontiguousarray(np.concatenate([quiet, loud]), dtype=np.float32)
    entries = [Entry("breathe", "low"), Entry("flow", "low"), Entry("rings", "mid"), Entry("tunnel", "high")]
    playlist = Playlist(entries, mode="energy", hold_s=7.0, min_hold_s=3.0, window_s=5.0)
    stats, show = _run(playlist, samples, ("breathe", "flow", "rings", "tunnel"))
    hist = list(playlist.history)
    during_quiet = [(t, n, lv, e) for t, n, lv, e in hist if t < 18.0]
    during_loud = [(t, n, lv, e) for t, n, lv, e in hist if t >= 18.0]
    # quiet: only the low presets take turns (breathe -> flow after hold_s), energy well under the thresholds
    assert during_quiet and all(lv == "low" and e < 0.35 for _, _, lv, e in during_quiet), during_quiet
    assert [n for _, n, *_ in during_quiet][0] == "flow"
    # loud: as the window fills the energy climbs (through mid, perhaps) and the high preset comes
    # in within a window plus two minimum holds, then stays; the level never falls back meanwhile
    order = {"low": 0, "mid": 1, "high": 2}
    assert during_loud and np.all(np.diff([order[lv] for _, _, lv, _ in during_loud]) >= 0), during_loud
    high = [(t, n, e) for t, n, lv, e in during_loud if lv == "high"]
    assert high and high[0][1] == "tunnel" and high[0][2] > 0.65 + 0.03, during_loud
    assert 18.0 < high[0][0] < 18.0 + 5.0 + 2 * 3.0
    assert stats["preset"] == "tunnel" and stats["playlist_level"] == "high"
    # no change sooner than the minimum hold
    assert np.all(np.diff([t for t, *_ in hist]) >= 3.0 - 1e-6)
    assert stats["errors"] == []


def test_energy_meter_is_frame_rate_independent_and_bounded():
    def run(fps):
        m = EnergyMeter(window_s=10.0)
        for i in range(int(60 * fps)):
            t = i / fps
            loud = 0.2 if t < 30 else 0.9
            m.add(t, loud, 1 if (i % int(fps / 2)) == 0 else 0)  # two onsets a second
        return m

    a, b = run(30), run(144)
    assert a.energy() == pytest.approx(b.energy(), abs=0.01)
    assert a.energy() == pytest.approx(0.7 * 0.9 + 0.3 * 2 / 6, abs=0.02)
    assert len(a._bins) <= 11 and len(b._bins) <= 11


def test_levels_have_hysteresis_and_a_missing_level_borrows_the_nearest():
    p = Playlist([Entry("a", "low"), Entry("b", "high")], mode="energy", thresholds=(0.35, 0.65))
    assert p._classify(0.5) == "mid"
    p.level = "mid"
    assert p._classify(0.66) == "mid" and p._classify(0.69) == "high"
    p.level = "high"
    assert p._classify(0.63) == "high" and p._classify(0.60) == "mid"
    assert p._of_level("mid") == [0]  # no mid entry: low is nearest (first in the order mid, low, high)
