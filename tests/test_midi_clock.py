"""MIDI clock in (tempo and phase locked to 24 ppqn ticks with arrival jitter), the tempo arbiter's
ranking and forcing, and the MIDI clock out's grid and sender thread.

Ticks are made here with known times and seeded jitter, so the truth is exact; the same classes
run over real JACK MIDI between two processes in ``test_midi_clock_jack.py``.
"""

from __future__ import annotations

import os
import random
import time
from types import SimpleNamespace

import numpy as np
import pytest

from reactor.control.actions import TempoArbiter
from reactor.control.clock import PPQN, MidiClockIn
from reactor.control.clock_out import MidiClockOut, OutGrid
from reactor.control.tempo import FixedTempo, TapTempo


def msg(kind, **kw):
    return SimpleNamespace(type=kind, **kw)


def ticks(clock, *, bpm, start_s, n, first_index=0, jitter_s=0.002, seed=1):
    """Feed ``n`` ticks of a clock at ``bpm`` whose tick ``first_index`` is at ``start_s``, each
    late or early by up to ``jitter_s`` (uniform); returns the time after the last one."""
    rng = random.Random(seed)
    period = 60.0 / bpm / PPQN
    for k in range(first_index, first_index + n):
        clock.feed(msg("clock"), start_s + k * period + rng.uniform(-jitter_s, jitter_s))
    return start_s + (first_index + n) * period


def phase_errors_s(clock, *, bpm, beat0_s, t_from, t_to, step_s=0.0037):
    """(estimated - true) beat position in seconds, sampled between ticks."""
    period = 60.0 / bpm
    out = []
    for t in np.arange(t_from, t_to, step_s):
        s = clock.sample(t)
        out.append((s[2] + s[1] - (t - beat0_s) / period) * period)
    return np.asarray(out)


def test_clock_at_123_bpm_with_jitter_gives_tempo_and_locked_phase():
    clock = MidiClockIn()
    clock.feed(msg("start"), 0.0)
    bpm, beat0 = 123.0, 0.25
    period = 60.0 / bpm / PPQN
    rng = random.Random(7)
    errors = []
    for k in range(PPQN * 16):  # 16 beats, +-2 ms on every tick
        t = beat0 + k * period + rng.uniform(-0.002, 0.002)
        clock.feed(msg("clock"), t)
        if k >= PPQN:  # locked after one beat: sample between this tick and the next
            errors.append(phase_errors_s(clock, bpm=bpm, beat0_s=beat0, t_from=beat0 + (k + 0.3) * period,
                                         t_to=beat0 + (k + 1) * period)[0])
        if k >= PPQN * 4:
            assert abs(clock.bpm - bpm) < 0.1
    errors = np.abs(errors)
    assert np.max(errors) < 0.003 and np.median(errors) < 0.001  # phase locked within a few ms
    s = clock.sample(beat0 + 16 * 60 / bpm + 0.001)  # just after beat 16: bar 5, its downbeat
    assert s[2] == 16 and s[4] == 0 and s[5] == 5 and s[1] < 0.01


def test_start_is_beat_zero_of_bar_one_stop_defers_continue_resumes():
    clock = MidiClockIn()
    arbiter = TempoArbiter([("midi", clock)])
    end = ticks(clock, bpm=120.0, start_s=0.0, n=PPQN * 2)  # a free clock (no start yet) leads
    assert arbiter(end)[0] == pytest.approx(120.0, abs=0.3) and arbiter.leader == "midi"
    assert arbiter.label == "MIDI clock (no start)"
    clock.feed(msg("start"), end)
    period = 60.0 / 120.0 / PPQN
    t_first = end + 0.5 * period  # the next tick after start is beat 0 of bar 1
    ticks(clock, bpm=120.0, start_s=t_first, n=PPQN * 3 + 12, jitter_s=0.001)
    s = clock.sample(t_first + 2.0 * 0.5 + 0.1)  # 2.2 beats after the first tick
    assert s[2] == 2 and s[1] == pytest.approx(0.2, abs=0.01) and s[4] == 2 and s[5] == 1
    stop_t = t_first + (3 * PPQN + 12) * period
    clock.feed(msg("stop"), stop_t)
    assert clock.sample(stop_t + 0.01) is None
    assert arbiter(stop_t + 0.01) is None and arbiter.leader == "detector"
    # the clock keeps ticking while stopped (tempo known), then continue resumes at beat 3.5
    ticks(clock, bpm=120.0, start_s=stop_t + period, n=PPQN, jitter_s=0.0)
    assert clock.sample(stop_t + 0.3) is None
    clock.feed(msg("continue"), stop_t + 0.51)
    resume = stop_t + (PPQN + 1) * period
    ticks(clock, bpm=120.0, start_s=resume, n=PPQN, jitter_s=0.0)
    s = clock.sample(resume + 0.001)
    assert s[2] + s[1] == pytest.approx(3.5, abs=0.01)
    assert arbiter(resume + 0.001) is not None and arbiter.leader == "midi"


def test_song_position_sets_where_continue_resumes():
    clock = MidiClockIn()
    clock.feed(msg("start"), 0.0)
    end = ticks(clock, bpm=100.0, start_s=0.01, n=PPQN * 2)
    clock.feed(msg("stop"), end)
    clock.feed(msg("songpos", pos=4 * 16 + 2), end + 0.1)  # bar 5 (16 sixteenths a bar), second sixteenth
    clock.feed(msg("continue"), end + 0.2)
    t = end + 0.3
    ticks(clock, bpm=100.0, start_s=t, n=PPQN * 2, jitter_s=0.0)
    s = clock.sample(t)
    assert s[2] + s[1] == pytest.approx(16.5, abs=0.01) and s[4] == 0 and s[5] == 5


def test_a_clock_that_stops_arriving_hands_over_and_comes_back():
    clock = MidiClockIn()
    arbiter = TempoArbiter([("midi", clock), ("tap", TapTempo(clock=lambda: 0.0))])
    clock.feed(msg("start"), 0.0)
    end = ticks(clock, bpm=123.0, start_s=0.0, n=PPQN * 4)
    assert arbiter(end + 0.4) is not None and arbiter.leader == "midi"
    assert arbiter(end + 0.6) is None and arbiter.leader == "detector"  # silent > 0.5 s
    assert any("MIDI clock lost" in m for m in clock.notices())
    assert clock.stats()["midi_clock_state"] == "lost"
    back = end + 2.0
    ticks(clock, bpm=123.0, start_s=back, n=PPQN)
    assert arbiter(back + PPQN * 60 / 123 / PPQN) is not None and arbiter.leader == "midi"
    assert clock.notices() == ["MIDI clock back"]


def test_tempo_change_is_followed_within_a_beat_or_two():
    clock = MidiClockIn()
    clock.feed(msg("start"), 0.0)
    end = ticks(clock, bpm=120.0, start_s=0.0, n=PPQN * 8)
    # from the next tick on the clock runs at 130 BPM
    new_period = 60.0 / 130.0 / PPQN
    rng = random.Random(3)
    for k in range(PPQN * 4):
        clock.feed(msg("clock"), end + k * new_period + rng.uniform(-0.002, 0.002))
        if k == PPQN:
            assert abs(clock.bpm - 130.0) < 0.5
    assert abs(clock.bpm - 130.0) < 0.1 and clock.tempo_changes == 1


def test_without_free_running_a_clock_leads_only_after_start():
    clock = MidiClockIn(free_running=False)
    end = ticks(clock, bpm=120.0, start_s=0.0, n=PPQN * 2)
    assert clock.sample(end) is None and clock.bpm == pytest.approx(120.0, abs=0.3)
    clock.feed(msg("start"), end)
    ticks(clock, bpm=120.0, start_s=end + 0.01, n=2)
    assert clock.sample(end + 0.02) is not None


def test_arbiter_ranks_midi_link_tap_and_forces_one():
    midi, link, tap = FixedTempo(130.0), FixedTempo(125.0), FixedTempo(100.0)
    arb = TempoArbiter()
    arb.add("tap", tap)
    arb.add("link", link)
    arb.add("midi", midi)
    assert arb.names == ["midi", "link", "tap"]
    assert arb(1.0)[0] == 130.0 and arb.label == "MIDI clock"
    forced = TempoArbiter([("midi", midi), ("link", link), ("tap", tap)], forced="link")
    assert forced(1.0)[0] == 125.0 and forced.label == "Link (forced)"
    assert TempoArbiter([("midi", midi)], forced="detector")(1.0) is None
    silent = MidiClockIn()
    waiting = TempoArbiter([("midi", silent), ("tap", tap)], forced="midi")
    assert waiting(1.0) is None and waiting.leader == "detector"
    assert waiting.label == "detector (forced midi: no opinion)"
    with pytest.raises(ValueError):
        TempoArbiter(forced="mtc")


def test_out_grid_smooths_frame_jitter_and_jumps_on_a_new_beat():
    grid = OutGrid()
    bpm, rng = 123.0, random.Random(5)
    beat_s = 60.0 / bpm
    for n in range(240):  # 4 s of frames at 60 fps, each stamped up to 1.5 ms off
        t = n / 60.0
        seen = t + rng.uniform(-0.0015, 0.0015)
        grid.update(host_s=seen, beat_phase=(t / beat_s) % 1.0, bpm=bpm, bar_position=(t / beat_s) % 4.0)
    st = grid.state
    # the out ticks land on the true grid to well under the frame jitter
    errs = [OutGrid.tick_time(st, k) - k / PPQN * beat_s for k in range(int(OutGrid.tick_at(st, 4.0)) + 1,
                                                                         int(OutGrid.tick_at(st, 4.0)) + 48)]
    assert max(abs(e) for e in errs) < 0.0006
    assert OutGrid.is_downbeat(st, round(OutGrid.tick_at(st, 8 * beat_s)))
    grid.update(host_s=4.0 + 1 / 60, beat_phase=((4.0 + 1 / 60) / beat_s + 0.4) % 1.0, bpm=bpm)  # a jump
    assert grid.jumps == 1


class ListPort:
    """Records what is sent (a MIDI port's interface; the JACK test uses a real one)."""

    def __init__(self):
        self.messages = []
        self.closed = False

    def send(self, m):
        self.messages.append((m.type, time.perf_counter()))

    def close(self):
        self.closed = True


def test_clock_out_thread_sends_ticks_on_time_with_start_on_a_downbeat():
    port = ListPort()
    out = MidiClockOut("test", open_port=lambda: port, host_time=lambda t: t)
    tempo = FixedTempo(123.0, offset_s=time.perf_counter())
    out.poll(0.0)
    t_end = time.perf_counter() + 1.2
    while time.perf_counter() < t_end:  # a 60 fps render loop publishing its frames
        now = time.perf_counter()
        bpm, phase, count = tempo(now)
        out.after_frame(SimpleNamespace(time_s=now, scalars={"tempo_bpm": bpm, "beat_phase": phase,
                                                            "beat_count": count, "bar_phase": ((count % 4) + phase) / 4,
                                                            "beats_per_bar": 4.0}))
        time.sleep(1 / 60)
    out.close()
    kinds = [k for k, _ in port.messages]
    assert port.closed and kinds[-1] == "stop" and kinds.count("start") <= 1
    clocks = np.array([t for k, t in port.messages if k == "clock"])
    assert len(clocks) > 24 * 1.5
    gaps = np.diff(clocks)
    assert np.median(gaps) == pytest.approx(60 / 123 / 24, abs=0.0005)
    if "start" in kinds:  # the clock after start is on a downbeat of the show's grid
        first = clocks[np.searchsorted(clocks, port.messages[kinds.index("start")][1])]
        _, phase, count = tempo(first + 0.002)
        assert count % 4 == 0 and phase < 0.05
    st = out.stats()
    assert st["midi_clock_out_ticks"] == len(clocks) and st["midi_clock_out_late_ms_p50"] < 5.0


def test_cli_tempo_source_link_needs_link(capsys):
    from reactor import cli

    assert cli.main(["live", "--tempo-source", "link", "--frames", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--tempo-source link needs --link" in err
    args = cli.build_parser().parse_args(["live", "--link", "--tempo-source", "link", "--midi-clock-out", "lights"])
    from reactor.control import clock_out, link

    (session,) = link.surfaces_from_args(args)
    (out,) = clock_out.surfaces_from_args(args)
    assert session.always and session.link is None  # joins only when the show attaches it
    assert out.port_name == "lights" and out._thread is None


def test_a_burst_of_late_ticks_does_not_move_the_tempo():
    clock = MidiClockIn()
    clock.feed(msg("start"), 0.0)
    bpm = 123.0
    period = 60.0 / bpm / PPQN
    end = ticks(clock, bpm=bpm, start_s=0.0, n=PPQN * 8)
    # the sender stalls for 45 ms: four ticks arrive at once, then the clock goes on
    first = PPQN * 8
    for k in range(first, first + 4):
        clock.feed(msg("clock"), first * period + 0.045)
    ticks(clock, bpm=bpm, start_s=0.0, first_index=first + 4, n=PPQN * 2, seed=9)
    assert clock.tempo_changes == 0 and abs(clock.bpm - bpm) < 0.1
    t = (first + 4 + PPQN * 2 - 0.5) * period
    s = clock.sample(t)
    assert abs((s[2] + s[1]) - t / (60.0 / bpm)) * 60.0 / bpm < 0.002
    assert end < t


def test_clock_out_without_a_port_says_so_and_the_show_goes_on(monkeypatch):
    """The sender process cannot open its port (no JACK server): a notice, no exception, retries."""
    monkeypatch.setenv("JACK_DEFAULT_SERVER", f"reactor-nowhere-{os.getpid()}")
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    out = MidiClockOut("lights", backend="mido.backends.rtmidi/UNIX_JACK")
    notes = []
    t_end = time.perf_counter() + 15.0
    while not any("cannot open 'lights'" in n for n in notes) and time.perf_counter() < t_end:
        out.poll(0.0)
        out.after_frame(SimpleNamespace(time_s=time.perf_counter(), scalars={"tempo_bpm": 120.0, "beat_phase": 0.0}))
        notes += out.notices()
        time.sleep(0.05)
    out.close()
    assert any("cannot open 'lights'" in n and "trying again" in n for n in notes), notes
    assert out.stats()["midi_clock_out_ticks"] == 0
