"""A show that runs for days keeps minutes of event history, not days: the analyzer's beat and
onset lists are trimmed without changing a single feature (counts stay absolute)."""

from __future__ import annotations

import numpy as np


def test_forgetting_old_events_changes_no_feature():
    from reactor.analysis.analyzer import StreamingAnalyzer
    from tests.real_media import freedoom_music

    x = freedoom_music("D_RUNNIN", seconds=14.0)
    if x is None:  # no freedoom: the demo track
        from reactor.audio.clips import load_clip

        x = np.asarray(load_clip(None, demo=True, duration_s=14.0).samples)
    an = StreamingAnalyzer(sample_rate_hz=48000, channels=x.shape[1])
    for i in range(0, len(x), 4800):
        an.process(x[i:i + 4800])
    t = an.time_s - 0.05
    before = dict(an.snapshot(t).scalars)
    ev = an.events
    beats, onsets = len(ev.beat_times_s), len(ev.onset_times_s)
    assert beats > 20 and onsets > 20
    ev.forget_before(t - 5.0)
    assert len(ev.beat_times_s) < beats / 2 and len(ev.onset_times_s) < onsets / 2
    assert ev.beat_total == beats and ev.onset_total == onsets
    after = dict(an.snapshot(t).scalars)
    assert after == before  # beat_count, onset_count, phases, bar position: all the same
    ev.forget_before(t + 100.0)  # never forgets the last beat and onset (the scalars need them)
    assert len(ev.beat_times_s) == 1 and len(ev.onset_times_s) == 1
    assert dict(an.snapshot(t + 0.01).scalars)["beat_count"] == before["beat_count"]


def test_a_reload_reading_the_file_does_not_trigger_the_next_reload(tmp_path):
    """A saved preset reloads once. Reading it back (as the reload does) must not count as a change:
    on inotify it is an event too, and the soak run found the show reloading every frame after the
    first save, for the rest of the run (frames 4x slower within half an hour)."""
    import time

    from reactor.live.watch import DEBOUNCE_S, ReloadWatcher

    preset = tmp_path / "mine.toml"
    preset.write_text('name = "mine"\n')
    w = ReloadWatcher([tmp_path])
    w.start()
    try:
        time.sleep(0.2)

        def settle():
            found, end = [], time.perf_counter() + 1.0
            while time.perf_counter() < end:
                found += w.changed(time.perf_counter())
                time.sleep(0.02)
            return found

        preset.write_text('name = "mine"\ndescription = "saved"\n')
        assert settle() == [preset.resolve()]  # the save: once
        for _ in range(3):
            preset.read_text()  # what load_preset does
            time.sleep(DEBOUNCE_S)
        assert settle() == []
    finally:
        w.stop()
