"""What a performer (or a controller, an OSC client, an installation playlist) can ask the show to do.

One vocabulary for every input: keys (``reactor.control.keys``), MIDI notes and program changes,
OSC messages and playlists all become :class:`Action` values, and ``Show.perform`` carries them
out on the render thread. Continuous values (a knob on a parameter, a fader on a control source)
are actions too (``param`` and ``control``); they end in the override store, so the modulator
glides to them without a jump.

A **control surface** is anything the show polls once per frame on the render thread
(:class:`Surface`): a MIDI port set, an OSC server's queue, a playlist. Surfaces never touch engine
state themselves; they hand back actions, and may publish what the show did after each frame
(an OSC feature stream, MIDI clock out) in ``after_frame``. They may also offer tempo sources
(a MIDI clock, an Ableton Link session), which :class:`TempoArbiter` ranks.

Actions (``name``: ``arg`` / ``value``):

===================  ========================================================================
``next``/``previous``  next / previous preset (crossfade, quantized as set)
``slot``             ``arg``: slot number 1..N (the ``--preset`` list, in order)
``preset``           ``arg``: a preset name or slot index (0-based int): crossfade to it
``cut``              the same, at once (no fade, not quantized)
``fade_length``      ``value``: crossfade length in seconds
``fade_shorter``/``fade_longer``/``quantize``   as the keys
``tap``              tap tempo; ``time_s``: when the tap happened (engine clock), else now
``untap``            forget the tapped tempo
``nudge_earlier``/``nudge_later``  move the beat 10 ms
``nudge``            ``value``: seconds to move the beat by
``freeze``/``blackout``/``hud``/``help``/``record``/``fullscreen``/``panic``/``quit``  toggles, as keys
``freeze_on``/``blackout_on``  ``value`` > 0.5 on, else off (a held pad, an OSC flag)
``flash``            ``value``: intensity 0..1 (full-frame flash; at most 3 per second)
``trigger``          ``arg``: a name; sets route source ``ctl:<name>`` to ``value`` and lets it decay
``param``            ``arg``: parameter name (without ``p_``); ``value``: new base value
``param_clear``      ``arg``: parameter name, back to the preset's default
``control``          ``arg``: route source (``cc:1:74``, ``ctl:name``); ``value`` 0..1
``scale_down``/``scale_up``/``scale_auto``  render scale, as keys
``learn``            MIDI learn: the surfaces with a ``learn(action)`` method pick the next target
===================  ========================================================================
"""

from __future__ import annotations

import math
from typing import Iterable, NamedTuple, Protocol, runtime_checkable

__all__ = ["Action", "ACTIONS", "Surface", "TriggerBank", "TempoArbiter", "FlashLimiter", "TEMPO_SOURCES"]


class Action(NamedTuple):
    """One request to the show; see the module docstring for names and arguments."""

    name: str
    arg: object = None
    value: float = 1.0
    time_s: float | None = None
    origin: str = ""
    """Who asked (``key``, ``midi``, ``osc``, ``playlist``): for the log and the HUD."""


ACTIONS = frozenset({
    "next", "previous", "slot", "preset", "cut", "fade_length", "fade_shorter", "fade_longer", "quantize",
    "tap", "untap", "nudge_earlier", "nudge_later", "nudge", "freeze", "freeze_on", "blackout",
    "blackout_on", "hud", "help", "record", "fullscreen", "panic", "quit", "flash", "trigger", "param",
    "param_clear", "control", "scale_down", "scale_up", "scale_auto", "learn",
})
"""Every action name ``Show.perform`` knows (profiles and OSC addresses are validated against it)."""


@runtime_checkable
class Surface(Protocol):
    """A source of actions polled on the render thread once per frame.

    Only ``poll`` is required; the show calls the other methods when a surface has them:
    ``attach(show)`` once after set-up (read access: the slots, the current preset's parameters;
    change the show only through the actions ``poll`` returns),
    ``after_frame(view)`` (a :class:`FrameView` of what was just drawn), ``notices()`` (one-line
    messages for the HUD and log, e.g. "MIDI port 'nanoKONTROL2' lost, waiting for it"),
    ``stats()`` (merged into ``--stats-json``), ``tempo_sources()`` (``[(name, source)]`` for the
    :class:`TempoArbiter`, highest priority first), ``hud_lines()`` (status lines for the HUD, such
    as the MIDI learn state), ``learn(action)`` (the ``learn`` action) and ``close()``.
    """

    name: str

    def poll(self, now_s: float) -> Iterable[Action]:
        """Actions that arrived since the last frame (never blocks).

        ``now_s``: what the listener hears now, on the engine clock (the frame being drawn
        shows a little later than this: ``Show.lead_s``). Stamp arrivals from it: an event
        that came ``d`` seconds ago happened at ``now_s - d``."""
        ...


class FrameView(NamedTuple):
    """What a surface may publish after a frame (OSC out, MIDI clock out): read-only."""

    time_s: float
    """The frame's engine time (when it is seen)."""
    scalars: dict
    """The analyzer's scalar features of this frame (``tempo_bpm``, ``beat_phase``, ``onset`` ...)."""
    beats: tuple[float, ...]
    """Beats the picture showed since the previous frame (engine clock; the leading tempo's grid)."""
    onsets: tuple[tuple[float, float], ...]
    """(time, strength) of onsets since the previous frame."""
    preset: str
    tempo_source: str
    bands: tuple[float, ...]
    """Band levels (the analyzer's ``bands`` vector, 0..1 each)."""


class TriggerBank:
    """Decaying trigger envelopes for ``ctl:<name>`` route sources (a pad hit -> a short pulse).

    ``hit(name, level)`` raises the envelope to ``level`` (never lowers it); ``advance(dt)``
    decays every envelope by ``half_life_s`` and returns the current levels. A decayed envelope
    (under 0.001) is dropped and its source reads 0 (``values`` still names it once at 0 so the
    override store's copy falls back).
    """

    def __init__(self, half_life_s: float = 0.12) -> None:
        self.half_life_s = float(half_life_s)
        self.levels: dict[str, float] = {}

    def hit(self, name: str, level: float = 1.0) -> None:
        level = min(1.0, max(0.0, float(level)))
        self.levels[name] = max(self.levels.get(name, 0.0), level)

    def advance(self, dt_s: float) -> dict[str, float]:
        """Decay by ``dt_s`` seconds; returns ``{source: level}`` for every live envelope."""
        k = 0.5 ** (max(0.0, dt_s) / self.half_life_s)
        out = {}
        for name in list(self.levels):
            v = self.levels[name] * k
            if v < 1e-3:
                del self.levels[name]
                v = 0.0
            else:
                self.levels[name] = v
            out[name] = v
        return out


class FlashLimiter:
    """Full-frame flashes at most ``max_per_s`` per second (WCAG 2.3.1: no more than three).

    ``hit(now, intensity)`` starts a flash unless the previous one started less than
    ``1 / max_per_s`` ago (then it is ignored and counted in ``refused``); ``level(now)`` is the
    flash's brightness lift 0..1, a fast attack and a ~120 ms decay.
    """

    def __init__(self, max_per_s: float = 3.0, decay_s: float = 0.12) -> None:
        self.min_gap_s = 1.0 / max_per_s
        self.decay_s = decay_s
        self._start: float | None = None
        self._intensity = 0.0
        self.count = 0
        self.refused = 0

    def hit(self, now_s: float, intensity: float = 1.0) -> bool:
        if self._start is not None and 0.0 <= now_s - self._start < self.min_gap_s:
            self.refused += 1
            return False
        self._start, self._intensity = now_s, min(1.0, max(0.0, float(intensity)))
        self.count += 1
        return True

    def level(self, now_s: float) -> float:
        if self._start is None:
            return 0.0
        age = now_s - self._start
        if age < 0.0:
            return 0.0
        return self._intensity * math.exp(-age / self.decay_s) if age < 8 * self.decay_s else 0.0


TEMPO_SOURCES = ("auto", "detector", "tap", "midi", "link")
"""Values of ``--tempo-source``: ``auto`` ranks the sources, any other name forces that one."""

SOURCE_RANK = {"midi": 0, "link": 1, "tap": 2}
"""Who leads in ``auto``, first first: a running MIDI clock (someone routed it on purpose), a Link
session with peers, taps; the audio detector when none of them has an opinion."""

SOURCE_LABELS = {"detector": "detector", "tap": "tap", "midi": "MIDI clock", "link": "Link"}
"""How the HUD names the leading source."""


class TempoArbiter:
    """Decides which tempo source leads: the first of ``sources`` with an opinion, else the detector.

    ``sources`` are ``(name, source)`` pairs, ranked by :data:`SOURCE_RANK` (a name not in it comes
    after those in it, in the order added); a source says nothing (``sample`` -> None) when it
    has no tempo (a MIDI clock that stopped, no taps yet, a Link session without peers), and the
    next one leads. ``leader`` is the name of the source that answered last (``detector`` when
    none did): ``tempo_source`` in the stats; ``label`` is the HUD's indicator. The analyzer calls
    the arbiter like any tempo source.

    ``forced`` (``--tempo-source``): only that source is asked (``detector``: none); when it has
    no opinion (a stopped clock) the detector leads, and ``label`` says what is awaited.
    """

    def __init__(self, sources: Iterable[tuple[str, object]] = (), *, forced: str = "auto") -> None:
        if forced not in TEMPO_SOURCES:
            raise ValueError(f"tempo source must be one of {', '.join(TEMPO_SOURCES)}, got {forced!r}")
        self.sources: list[tuple[str, object]] = []
        self.forced = forced
        self.leader = "detector"
        for name, source in sources:
            self.add(name, source)

    def add(self, name: str, source, *, first: bool = False) -> None:
        """Add ``source`` in its rank (``first``: above all the others)."""
        if first:
            self.sources.insert(0, (name, source))
            return
        rank = SOURCE_RANK.get(name, len(SOURCE_RANK))
        at = len(self.sources)
        for k, (other, _) in enumerate(self.sources):
            if SOURCE_RANK.get(other, len(SOURCE_RANK)) > rank:
                at = k
                break
        self.sources.insert(at, (name, source))

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.sources]

    @property
    def label(self) -> str:
        """The HUD's indicator: who leads (with the source's ``detail()`` where it has one), and
        whether by force (``MIDI clock (forced)``, ``detector (forced link: no opinion)``)."""
        text = SOURCE_LABELS.get(self.leader, self.leader)
        source = next((src for name, src in self.sources if name == self.leader), None)
        detail = getattr(source, "detail", None)
        if callable(detail) and detail():
            text = f"{text} ({detail()})"  # "Link (2 peers)", "MIDI clock (no start)"
        if self.forced == "auto":
            return text
        if self.leader == self.forced:
            return f"{text} (forced)"
        return f"{text} (forced {self.forced}: no opinion)"

    def sample(self, time_s: float):
        for name, source in self.sources:
            if self.forced != "auto" and name != self.forced:
                continue
            answer = source.sample(time_s)
            if answer is not None:
                self.leader = name
                return answer
        self.leader = "detector"
        return None

    __call__ = sample
