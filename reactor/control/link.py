"""Ableton Link (``--link``): join a session; its tempo and beat can lead the show, and the show's
tempo is published to it when another source leads.

Built on ``LinkPython-extern`` (the ``link`` module: bindings of Ableton's own Link library with
its full session-state API). It was chosen over ``aalink`` because the show needs the beat at an
arbitrary host time (the moment a frame will be seen), ``setTempo``/``forceBeatAtTime`` at a
given time, and the peer count, all from the render loop without an asyncio event loop;
``aalink`` exposes the beat "now" and waits through asyncio.

Who leads (see ``reactor.control.actions.TempoArbiter``): ``link`` answers when the session has
peers (or always, with ``--tempo-source link``); alone, it says nothing and the next source
leads. Publishing: when another source leads (a MIDI clock, taps, the detector), each frame's
tempo is set on the session timeline, and its bar phase is forced onto it when they differ by
more than ``PHASE_TOLERANCE_S`` (at most ``FORCE_PER_S`` times a second), so Link peers follow
the show. While Link leads nothing is published (the show follows the session).

Time: Link's clock is ``CLOCK_MONOTONIC_RAW`` in microseconds on Linux, ``perf_counter`` is
``CLOCK_MONOTONIC``; the offset between them is measured on every poll. Engine time is mapped
to ``perf_counter`` through ``show.host_time_s`` (when the frame is seen).

Discovery is UDP multicast (224.76.78.75:20808) on every network interface with the flag; on a
machine whose only interface is a loopback without ``MULTICAST`` no peer is ever found.
"""

from __future__ import annotations

import math
import time

__all__ = ["LinkSession", "add_arguments", "surfaces_from_args"]

PHASE_TOLERANCE_S = 0.008
"""A published bar phase this far off the session's is forced onto it."""
FORCE_PER_S = 2.0
"""At most this many phase forces a second (the detector's beat wobbles; peers should not)."""
TEMPO_TOLERANCE_BPM = 0.005


class LinkSession:
    """A Link session as a surface and a tempo source.

    Parameters
    ----------
    bpm : float
        Tempo of a new session (before any peer or published tempo).
    quantum : int
        Beats per bar on the Link timeline (phase is aligned to it).
    always : bool
        Lead even without peers (``--tempo-source link``).
    publish : bool
        Set the show's tempo and phase on the session when another source leads.
    host_time : callable (engine_s) -> perf_counter s, optional
        ``attach(show)`` sets it to ``show.host_time_s``.
    """

    name = "link"

    def __init__(self, *, bpm: float = 120.0, quantum: int = 4, always: bool = False, publish: bool = True,
                 host_time=None) -> None:
        self.bpm0 = float(bpm)
        self.quantum = max(1, int(quantum))
        self.always = bool(always)
        self.publish = bool(publish)
        self._host_time = host_time or (lambda t: t)
        self.link = None
        self._failed = False
        self.peers = 0
        self._offset_s = 0.0  # Link clock - perf_counter
        self._notices: list[str] = []
        self._last_force_s = -1e9
        self.tempo_sets = 0
        self.phase_forces = 0

    # -- set-up (render thread) --------------------------------------------------------------
    def start(self) -> bool:
        """Join the session (starts Link's threads); False (with a notice) when Link cannot run."""
        if self.link is not None or self._failed:
            return self.link is not None
        try:
            import link as ableton_link
        except ImportError:
            self._failed = True
            self._notices.append("Ableton Link: the 'link' module is missing (pip install 'reactor[link]'); "
                                 "--link is off")
            return False
        self.link = ableton_link.Link(self.bpm0)
        self.link.enabled = True
        self._measure_offset()
        return True

    def attach(self, show) -> None:
        self._host_time = show.host_time_s
        self._forced = getattr(show.opt, "tempo_source", "auto")
        self.start()

    def tempo_sources(self):
        return [("link", self)]

    def _measure_offset(self) -> None:
        # the pair read closest together of three tries (a pre-emption between reads shows as a wide gap)
        clock = self.link.clock()
        best = None
        for _ in range(3):
            p0 = time.perf_counter()
            us = clock.micros()
            p1 = time.perf_counter()
            if best is None or p1 - p0 < best[0]:
                best = (p1 - p0, us * 1e-6 - 0.5 * (p0 + p1))
        self._offset_s = best[1]

    def _micros(self, engine_s: float) -> int:
        return int(round((self._host_time(engine_s) + self._offset_s) * 1e6))

    def poll(self, now_s: float):
        if not self.start():
            return []
        self._measure_offset()
        peers = int(self.link.numPeers())
        if peers != self.peers:
            st = self.link.captureAppSessionState()
            self._notices.append(f"Link: {peers} peer{'s' if peers != 1 else ''} "
                                 f"(session {st.tempo():.1f} BPM)" + (": Link leads" if peers and not self.always
                                                                       else ""))
            self.peers = peers
        return []

    # -- tempo source ------------------------------------------------------------------------
    def beats(self, engine_s: float) -> tuple[float, float, float] | None:
        """``(bpm, beat, phase_in_bar)`` of the session timeline at ``engine_s``, or None before start."""
        if self.link is None:
            return None
        st = self.link.captureAppSessionState()
        us = self._micros(engine_s)
        return st.tempo(), st.beatAtTime(us, self.quantum), st.phaseAtTime(us, self.quantum)

    def sample(self, time_s: float):
        """``(bpm, beat_phase, beat_count, beats_per_bar, position_in_bar, bar_count)``, or None
        while the session has no peers (unless ``always``)."""
        if self.link is None or not (self.always or self.peers > 0):
            return None
        bpm, beat, phase = self.beats(time_s)
        whole = math.floor(beat)
        count = max(0, whole)
        q = self.quantum
        return (bpm, beat - whole, count, q, int(math.floor(phase)) % q, max(0, math.floor(beat / q)) + 1)

    __call__ = sample

    # -- publishing --------------------------------------------------------------------------
    def after_frame(self, view) -> None:
        if self.link is None or not self.publish or view.tempo_source == "link":
            return
        if (view.tempo_source == "detector" and getattr(self, "_forced", "auto") != "detector"
                and self.link.numPeers() > 0):
            # peers found since this frame chose its leader: the session's tempo leads from the next
            # frame, so a show that joins does not yank everyone to its own detector's tempo first
            # (with --tempo-source detector it does publish: the others follow reactor)
            return
        s = view.scalars
        bpm = float(s.get("tempo_bpm", 0.0))
        if not 20.0 <= bpm <= 999.0:
            return
        us = self._micros(view.time_s)
        st = self.link.captureAppSessionState()
        changed = False
        if abs(st.tempo() - bpm) > TEMPO_TOLERANCE_BPM:
            st.setTempo(bpm, us)
            self.tempo_sets += 1
            changed = True
        q = self.quantum
        per_bar = int(s.get("beats_per_bar", q) or q)
        if per_bar == q:  # the bar's phase (downbeats line up)
            want = float(s.get("bar_phase", 0.0)) * q
            err = (want - st.phaseAtTime(us, q) + q / 2.0) % q - q / 2.0
        else:  # a different meter: beats line up, bars cannot
            want = float(s.get("beat_phase", 0.0))
            err = (want - st.phaseAtTime(us, 1) + 0.5) % 1.0 - 0.5
        now = time.perf_counter()
        if abs(err) * 60.0 / bpm > PHASE_TOLERANCE_S and now - self._last_force_s >= 1.0 / FORCE_PER_S:
            st.forceBeatAtTime(st.beatAtTime(us, q) + err, us, q)
            self._last_force_s = now
            self.phase_forces += 1
            changed = True
        if changed:
            self.link.commitAppSessionState(st)

    def detail(self) -> str:
        """For the HUD's tempo line: the peer count."""
        return f"{self.peers} peer{'s' if self.peers != 1 else ''}"

    def notices(self) -> list[str]:
        out, self._notices = self._notices, []
        return out

    def stats(self) -> dict:
        bpm = self.link.captureAppSessionState().tempo() if self.link is not None else None
        return {"link_peers": self.peers, "link_bpm": round(bpm, 3) if bpm else None,
                "link_tempo_sets": self.tempo_sets, "link_phase_forces": self.phase_forces}

    def close(self) -> None:
        if self.link is not None:
            self.link.enabled = False
            self.link = None


def add_arguments(parser) -> None:
    parser.add_argument("--link", action="store_true",
                        help="join an Ableton Link session: with peers its tempo leads (see --tempo-source); "
                             "otherwise the show's tempo is published to it")
    parser.add_argument("--link-quantum", type=int, default=4, metavar="N",
                        help="beats per bar on the Link timeline (default 4)")


def surfaces_from_args(args) -> list:
    if not getattr(args, "link", False):
        return []
    return [LinkSession(quantum=args.link_quantum, always=getattr(args, "tempo_source", "auto") == "link")]
