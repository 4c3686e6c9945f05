"""The live show: one window, one loop, one ``Engine.step`` per frame.

Each frame, on the main thread::

    keys -> actions          sound: source.poll() -> (samples, heard/captured clock time)
    file changes -> reload   overrides: queue -> store
    t = clock + lead         (lead: when this frame will be seen, so beats land when heard)
    engine.step(t, samples)  (one layer, two while crossfading; draw=False while frozen)
    compositor -> [recording framebuffer -> async readback -> recorder] -> window, HUD, swap
    stats, pacing

The show goes on: every failure inside a frame is caught at one place (``_frame``), reported
once per distinct message (log + HUD + ``errors`` in the stats) and the last good picture stays
up; a shader or preset that fails to reload keeps the previous version running.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from reactor.errors import ReactorError

log = logging.getLogger("reactor.live")

RESIZE_SETTLE_S = 0.2
"""A window size must hold this long before the renderers are resized (not on every drag step)."""
BLACKOUT_FADE_S = 0.25
NUDGE_STEP_S = 0.010
MAX_MESSAGES = 6
REPORT_AGAIN_S = 60.0
"""A problem that keeps recurring is logged again (with its count) at most this often."""
FLASH_LIFT = 0.8
"""A full flash lifts the compositor gain to 1 + this: the picture moves 0.6 x this toward white."""
EVENT_KEEP_S = 120.0
"""Beats and onsets older than this are dropped from the analyzer's lists (a show runs for days)."""
EVENT_TRIM_EVERY_S = 30.0
KEEP_EVENTS = 1000
"""Notes (switches, reloads) and distinct errors kept for the stats: the most recent ones."""


@dataclass
class LiveOptions:
    """Typed options of ``reactor live`` (the CLI builds them; nothing here reads argparse)."""

    presets: tuple[str, ...]
    width_px: int = 1280
    height_px: int = 720
    fullscreen: bool = False
    monitor: int = 0
    scale: float = 1.0
    auto_scale: bool = False
    fps: float | None = None
    record_path: str | None = None
    frames: int | None = None
    stats_json: str | None = None
    fade_s: float = 1.0
    quantize: str = "beat"
    safe_preset: str = "scope"
    mic: bool = False
    hud: bool = True
    vsync: bool = True
    watch: bool = True
    record_quality: str = "draft"
    extra_watch: tuple[Path, ...] = field(default_factory=tuple)
    upscale: str | None = None  # "catmull-rom" | "bilinear"; None: by GL renderer (compositor.default_upscale)
    transition_path: str | None = None  # an ISF transition (startImage, endImage, progress) for crossfades
    trace: bool = False  # keep (frame time, clock time, swap end perf) per frame: stats["trace"]
    offscreen: bool = False  # no window: draw into an offscreen framebuffer (soak runs, tests, benchmarks)
    unpaced: bool = False  # never wait for the next frame's deadline (a fast clock drives the source)
    direct: bool = True  # at scale 1, let a scene draw straight into the window when nothing composites it
    tempo_source: str = "auto"  # auto | detector | tap | midi | link (reactor.control.actions.TEMPO_SOURCES)


@dataclass
class _Slot:
    spec: str
    preset: object
    modulator: object
    renderer: object = None


class Show:
    """Run a live show from ``options`` with sound from ``source`` (a ``LiveSource``).

    ``surfaces``: control surfaces polled once per frame (``reactor.control.actions.Surface``:
    MIDI ports, an OSC server, a playlist); their actions go through ``perform`` like keys.
    """

    def __init__(self, options: LiveOptions, source, surfaces=()) -> None:
        self.opt = options
        self.source = source
        self.surfaces = list(surfaces)
        from collections import deque

        self.errors: deque[str] = deque(maxlen=KEEP_EVENTS)  # distinct problems, in order (stats; the latest)
        self.messages: list[str] = []        # recent warnings and errors (HUD)
        self.events: deque[str] = deque(maxlen=KEEP_EVENTS)  # what happened (switches, reloads): stats + log
        self._seen_errors: dict[str, list[float]] = {}  # message -> [repeats not yet logged, when last logged]
        self.frozen = self.blackout = False
        self.show_hud, self.show_help = options.hud, False
        self.nudge_s = 0.0
        self._gain = 1.0
        self._flash = 0.0
        self._drew_direct = False  # the last frame went straight to the window (its texture is older)
        self._held = False  # frozen, and the held frame is drawn
        self.direct_frames = 0
        self._want_quit = False
        self._now = self._clock_s = self._heard_s = 0.0
        self._heard_perf: float | None = None  # perf_counter when _heard_s was read
        self._host_offset_s = time.perf_counter()  # perf_counter - engine time, per frame (host_time_s)
        self.trace: list[tuple[float, float, float]] = []
        self.recorder = None
        self.rec_stats: list[dict] = []

    # -- reporting -----------------------------------------------------------------------------
    def report(self, message: str, *, error: bool = True) -> None:
        """Log a problem and show it in the HUD. Repeats are counted, not repeated: a message that
        keeps coming (a frame failing every frame) is logged again at most every
        ``REPORT_AGAIN_S`` with how often it came, so a problem that returns on day three of an
        installation is in the log, not only its first time."""
        message = " ".join(str(message).split())
        now = time.monotonic()
        seen = self._seen_errors.get(message)
        if seen is not None:
            seen[0] += 1
            if now - seen[1] < REPORT_AGAIN_S:
                return
            text = f"{message} (again: {int(seen[0])} times in the last {now - seen[1]:.0f} s)"
            seen[0], seen[1] = 0, now
        else:
            if len(self._seen_errors) >= 4 * KEEP_EVENTS:  # bounded: an old message may be reported again
                self._seen_errors.clear()
            self._seen_errors[message] = [0, now]
            text = message
        self.messages = ([m for m in self.messages if m != message] + [message])[-MAX_MESSAGES:]
        if error:
            self.errors.append(text)
            log.error("%s", text)
        else:
            log.warning("%s", text)

    def note(self, event: str) -> None:
        """Record something that happened (a switch, a reload) in the log and the stats."""
        self.events.append(event)
        log.info("%s", event)

    # -- set-up --------------------------------------------------------------------------------
    def _setup(self) -> None:
        from reactor.analysis.analyzer import StreamingAnalyzer, warm_up
        from reactor.control.actions import FlashLimiter, TempoArbiter, TriggerBank
        from reactor.control.overrides import OverrideStore
        from reactor.control.params import Modulator
        from reactor.control.tempo import TapTempo
        from reactor.engine import Engine
        from reactor.live.pacing import AutoScale, FramePacer
        from reactor.live.stats import FrameStats
        from reactor.live.transitions import Slots
        from reactor.presets import load_preset
        from reactor.render.compositor import Compositor
        from reactor.render.hud import Hud
        from reactor.render.window import Window

        opt = self.opt
        presets = [load_preset(p) for p in opt.presets]  # a typo fails here, before any window
        self.safe = load_preset(opt.safe_preset)
        if opt.offscreen:
            from reactor.render.offscreen_window import OffscreenWindow

            self.window = OffscreenWindow(width_px=opt.width_px, height_px=opt.height_px,
                                          refresh_hz=opt.fps or 60.0)
        else:
            self.window = Window(width_px=opt.width_px, height_px=opt.height_px, title="reactor live",
                                 fullscreen=opt.fullscreen, monitor=opt.monitor, vsync=opt.vsync)
        self.ctx = self.window.ctx
        self.out_size = self._window_size()
        self.scale = opt.scale
        self.slots = [_Slot(spec, p, Modulator(p)) for spec, p in zip(opt.presets, presets)]
        for slot in self.slots:
            self._ensure_renderer(slot)
        self.seq = Slots(len(self.slots), fade_s=opt.fade_s, quantize=opt.quantize)
        warm_up()
        self.analyzer = StreamingAnalyzer(sample_rate_hz=self.source.sample_rate_hz, channels=self.source.channels)
        self.tap = TapTempo(clock=lambda: self._now)
        self.arbiter = TempoArbiter(forced=opt.tempo_source)
        for surface in self.surfaces:  # a MIDI clock or a Link session leads over taps
            for name, tempo_source in getattr(surface, "tempo_sources", lambda: [])():
                self.arbiter.add(name, tempo_source)
        self.arbiter.add("tap", self.tap)
        if opt.tempo_source not in ("auto", "detector", *self.arbiter.names):
            self.report(f"--tempo-source {opt.tempo_source}: no such source in this show "
                        f"(have {', '.join(self.arbiter.names)}); the detector leads", error=False)
        self.analyzer.set_tempo_source(self.arbiter)
        self.triggers = TriggerBank()
        self.flashes = FlashLimiter()
        self._events_seen = (0, 0)  # beat count, onsets already handed to surfaces
        self._trimmed_s = 0.0
        first = self.slots[0]
        self.engine = Engine(analyzer=self.analyzer, modulator=first.modulator, renderer=first.renderer)
        self.overrides = OverrideStore()
        self.compositor = Compositor(self.ctx, upscale=opt.upscale, transition=self._load_transition())
        self.hud = Hud(self.ctx)
        refresh = self.window.refresh_hz
        target = opt.fps or refresh
        self.period_s = 1.0 / target
        self.pacer = FramePacer(target_fps=target, refresh_hz=refresh)
        self.stats = FrameStats(period_s=self.period_s)
        self.autoscale = AutoScale(budget_s=self.period_s, start=self.scale) if opt.auto_scale else None
        self.watcher = None
        if opt.watch:
            self._start_watcher()
        self._pending_size: tuple[tuple[int, int], float] | None = None
        self._last_work_s = 0.0
        self._rec_fbo = self._rec_tex = self._readback = None
        self._rec_times: list[float] = []
        self._features = None
        from collections import deque

        self._analysis_s: deque[float] = deque(maxlen=600)
        for surface in self.surfaces:  # read access to the show (MIDI learn needs the preset's parameters)
            if hasattr(surface, "attach"):
                surface.attach(self)

    def _load_transition(self):
        """The ISF transition of ``--transition``, or None (the plain mix); a file that fails is
        reported (HUD, log, stats) and the show crossfades with the plain mix instead."""
        if not self.opt.transition_path:
            return None
        from reactor.errors import ReactorError
        from reactor.render.transition import ShaderTransition

        try:
            return ShaderTransition(self.ctx, self.opt.transition_path)
        except ReactorError as exc:
            self.report(f"{exc} (crossfading with the plain mix)")
            return None

    def _start_watcher(self) -> None:
        from reactor.live.watch import ReloadWatcher
        from reactor.presets import preset_dirs
        from reactor.render.programs import shader_dir

        folders = {shader_dir(), *preset_dirs(), *self.opt.extra_watch}
        for slot in self.slots:
            if slot.preset.source is not None:
                folders.add(Path(slot.preset.source).parent)
            scene = Path(slot.preset.scene)
            if scene.is_absolute():
                folders.add(scene.parent)
        try:
            self.watcher = ReloadWatcher(folders)
            self.watcher.start()
        except Exception as exc:  # no watchdog: the show runs, without hot reload
            self.watcher = None
            self.report(f"hot reload off: {exc}", error=False)

    def _window_size(self, *, fresh: bool = False) -> tuple[int, int]:
        # an X round trip (ms on a loaded machine): asked once per frame, at its start
        if fresh or not hasattr(self, "_fb_size"):
            w, h = self.window.framebuffer_size
            self._fb_size = (w, h) if w > 0 and h > 0 else (self.opt.width_px, self.opt.height_px)
        return self._fb_size

    def _render_size(self) -> tuple[int, int]:
        w, h = self.out_size
        return max(16, round(w * self.scale)), max(16, round(h * self.scale))

    def _ensure_renderer(self, slot: _Slot) -> None:
        from reactor.render.renderer import Renderer

        if slot.renderer is None:
            w, h = self._render_size()
            slot.renderer = Renderer(self.ctx, slot.preset.scene, width_px=w, height_px=h)
            slot.renderer.present_output = False  # the compositor dithers output_texture itself

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> dict:
        """Run until the window closes, ``ctrl+q``, ``--frames`` or the end of the track; returns stats."""
        self._setup()
        try:
            if self.opt.record_path:
                self._start_recording(self.opt.record_path)
            self.source.start()
            self._loop()
        finally:
            self._teardown()
        return self.summary()

    def _loop(self) -> None:
        last_end = time.perf_counter()
        while not (self._want_quit or self.window.should_close):
            start = time.perf_counter()
            self._frame()
            if self.pacer.mode == "probing":
                self.ctx.finish()  # while probing, so the swap time is the wait for vsync alone
            work = time.perf_counter() - start
            self.window.swap()
            end = time.perf_counter()
            if self.opt.trace:
                self.trace.append((self._now, self._clock_s, end))
            self._last_work_s = work + self.window.last_swap_s
            interval = self.stats.add(end_s=end, work_s=self._last_work_s)
            self.pacer.frame_done(end, interval, self.window.last_swap_s)
            self._adapt_scale(end - last_end)
            last_end = end
            if self.stats.frames == 1:
                w, h = self._window_size()
                self.note(f"first frame shown ({w}x{h}, render scale {self.scale:g})")
            if self.opt.frames is not None and self.stats.frames >= self.opt.frames:
                break
            if getattr(self.source, "finished", False) and not getattr(self.source, "loop", False):
                self.note("end of the track")
                break
            deadline = None if self.opt.unpaced else self.pacer.deadline(time.perf_counter())
            if deadline is not None:
                delay = deadline - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)

    def _frame(self) -> None:
        """One frame; nothing escapes (see the module docstring)."""
        try:
            for key in self.window.poll():  # taps, MIDI ticks, OSC: stamped on the heard clock
                self._key(key)
            self._poll_surfaces()
            samples, clock_s = self.source.poll()
            self._clock_s = clock_s
            self._heard_s, self._heard_perf = clock_s - self._input_latency_s(), time.perf_counter()
            self._host_offset_s = self._heard_perf - self._heard_s - self.nudge_s
            for m in self.source.messages():
                self.report(m, error=False)
            self._reloads()
            self._resize_if_settled()
            lead = self.lead_s()
            t = clock_s + lead + self.nudge_s
            self._now = t
            incoming, progress = self._advance_fade(t)
            self.overrides.drain(self.slots[self.seq.current].preset.param_defaults())
            self.overrides.controls.update(self.triggers.advance(self.period_s))
            direct = self._direct_target(incoming, t)
            first = self.engine.layers[0].renderer
            # a freeze holds the frame drawn as it starts, into the texture (the window's last
            # picture may have gone straight to the screen)
            draw = not (self.frozen and self._held)
            self._held = self.frozen
            self._drew_direct = False
            if first is not None:
                first.direct_fbo = direct
            try:
                frame = self.engine.step(t, samples, controls=self.overrides.controls, bases=self.overrides.params,
                                         draw=draw)
            finally:
                if first is not None:
                    first.direct_fbo = None
            self._drew_direct = direct is not None and draw
            self.direct_frames += self._drew_direct
            self._features = frame.features
            self._analysis_s.append(self.engine.analysis_s)
            self._publish(frame.features)
            if t >= self._trimmed_s + EVENT_TRIM_EVERY_S:
                self._trimmed_s = t
                self.analyzer.events.forget_before(t - EVENT_KEEP_S)
        except Exception as exc:  # a bug or a driver error: report it once; the last frame stays up
            self._frame_failed(exc)
            samples, progress = None, 0.0
        try:
            self._gain = _toward(self._gain, 0.0 if self.blackout else 1.0, self.period_s / BLACKOUT_FADE_S)
            self._flash = self.flashes.level(self._now)
            current = self.engine.layers[0].renderer
            other = self.engine.layers[1].renderer if len(self.engine.layers) > 1 else None
            if self.recorder is not None:
                self._record(current, other, progress, self._now, samples, self._clock_s)
            if not self._drew_direct:
                current.settle_output()  # a frame that failed after a direct one: keep that picture
                self._composite(current, other, progress, self.window.screen, self._window_size())
            if self.show_hud:
                self._draw_hud()
        except Exception as exc:
            self._frame_failed(exc)

    def _direct_target(self, incoming, t: float):
        """The window's framebuffer when this frame's scene can draw into it directly (no
        composite pass: at scale 1, a self-dithering scene, no fade, blackout, flash, freeze or
        recording), else None. On a CPU rasterizer that saves a full-screen copy (~4 ms at 720p)."""
        first = self.engine.layers[0].renderer
        if (not self.opt.direct or first is None or incoming is not None or len(self.engine.layers) > 1
                or self.frozen or self.blackout or self.recorder is not None or self._gain != 1.0
                or self.flashes.level(t) > 0.0 or not first.can_draw_direct
                or (first.width_px, first.height_px) != tuple(self._window_size())):
            return None
        return self.window.screen

    def _frame_failed(self, exc: Exception) -> None:
        if isinstance(exc, ReactorError):
            self.report(str(exc))
        else:
            self.report(f"frame failed: {type(exc).__name__}: {exc}")
            if not getattr(self, "_traced", False):  # the traceback of a bug, once, in the log
                self._traced = True
                log.debug("frame failure", exc_info=exc)

    def _composite(self, current, other, progress, fbo, size) -> None:
        self.compositor.draw(current.output_texture, fbo, viewport=(0, 0, *size),
                             incoming=other.output_texture if other is not None else None,
                             progress=progress, gain=self._gain * (1.0 + FLASH_LIFT * self._flash),
                             frame=current.frame,
                             source_dithered=current.self_dithered,
                             source_fbo=current.output_fbo if current.self_dithered else None)

    # -- timing ----------------------------------------------------------------------------------
    def host_time_s(self, engine_time_s: float) -> float:
        """The ``perf_counter`` time at which the picture for ``engine_time_s`` is seen (its sound
        heard): for clocks sent out (MIDI clock out, Ableton Link), as of the latest frame."""
        return engine_time_s + self._host_offset_s

    def engine_time_s(self, host_time_s: float) -> float:
        """The engine time of an event stamped with ``perf_counter`` (a MIDI message's arrival)."""
        return host_time_s - self._host_offset_s

    def lead_s(self) -> float:
        """How far ahead of the clock this frame is drawn: when it will be seen.

        The frame is seen after its own work (render + swap) and, with real vsync, about one
        refresh later; a mic's clock is the capture position, so its input latency is added
        too (the sound was heard that long before the clock says). Unpaced (a fast clock, no
        one watching in real time) there is no lead, so such runs do not depend on how busy
        the machine is.
        """
        if self.opt.unpaced:
            return 0.0
        lead = self._last_work_s + (0.0 if self.pacer.self_paced else self.period_s)
        return min(lead + self._input_latency_s(), 0.25)

    def heard_now_s(self) -> float:
        """What the listener hears now on the engine clock: the latest heard position moved on
        by the time since it was read (taps, MIDI and OSC arrivals are stamped on this). Unpaced
        (a fast clock) the wall clock says nothing about engine time: the latest position as read."""
        if self._heard_perf is None or self.opt.unpaced:
            return self._heard_s
        return self._heard_s + (time.perf_counter() - self._heard_perf)

    def _input_latency_s(self) -> float:
        """A mic's clock is its capture position: the room heard the sound this much earlier."""
        if not self.opt.mic:
            return 0.0
        return (self.source.stats().get("input_latency_ms") or 0.0) / 1000.0

    def _adapt_scale(self, dt_s: float) -> None:
        if self.autoscale is None:
            return
        new = self.autoscale.update(self._last_work_s, dt_s)
        if new is not None:
            self.report(f"auto {self.autoscale.last_change}", error=False)
            self._set_scale(new)

    def _set_scale(self, scale: float) -> None:
        self.scale = max(0.1, min(1.0, scale))
        w, h = self._render_size()
        for slot in self.slots:
            if slot.renderer is not None:
                slot.renderer.resize(w, h)

    def _resize_if_settled(self) -> None:
        size = self._window_size(fresh=True)
        if size == self.out_size:
            self._pending_size = None
            return
        now = time.perf_counter()
        if self._pending_size is None or self._pending_size[0] != size:
            self._pending_size = (size, now)
            return
        if now - self._pending_size[1] >= RESIZE_SETTLE_S:
            self.out_size = size
            self._set_scale(self.scale)
            self.note(f"window {size[0]}x{size[1]}")
            self._pending_size = None

    # -- presets and crossfades -------------------------------------------------------------------
    def switch_to(self, index: int, *, cut: bool = False) -> None:
        """Fade (or cut) to slot ``index``, starting now or on the next beat/bar."""
        from reactor.live.transitions import next_boundary_s

        f = self._features
        s = f.scalars if f is not None else {}
        start = next_boundary_s(self._now, "now" if cut else self.seq.quantize,
                                beat_phase=s.get("beat_phase", 0.0), bar_phase=s.get("bar_phase", 0.0),
                                bpm=s.get("tempo_bpm", 0.0), beats_per_bar=s.get("beats_per_bar", 4.0),
                                confident=s.get("tempo_confidence", 0.0) > 0.3 and s.get("silence", 1.0) < 0.5)
        fade = self.seq.request(index, start_s=start, now=cut)
        if fade is not None:
            name = self.slots[fade.target].preset.name
            self.note(f"preset -> {name} (slot {fade.target + 1}, {fade.length_s:g} s fade"
                      f"{'' if start <= self._now else f', starts in {start - self._now:.2f} s'})")

    def _advance_fade(self, t: float) -> tuple[object | None, float]:
        incoming, progress, finished = self.seq.advance(t)
        cur = self.slots[self.seq.current]
        from reactor.engine import Layer

        layers = [Layer(cur.modulator, cur.renderer)]
        if incoming is not None and progress > 0.0:
            inc = self.slots[incoming]
            if len(self.engine.layers) < 2 or self.engine.layers[1].renderer is not inc.renderer:
                inc.renderer.reset()  # starts its feedback fresh as it fades in
                inc.modulator.reset()
            layers.append(Layer(inc.modulator, inc.renderer))
        elif finished and self.engine.layers[0].renderer is not cur.renderer and len(self.engine.layers) < 2:
            cur.renderer.reset()  # a cut (zero-length fade)
            cur.modulator.reset()
        self.engine.layers = layers
        return incoming, progress

    def panic(self) -> None:
        """Back to a safe state: the safe preset at once, no blackout, freeze or overrides."""
        from reactor.control.params import Modulator

        self.blackout = self.frozen = False
        self._gain = 1.0
        self.overrides.queue.clear_all()
        names = [s.preset.name for s in self.slots]
        if self.safe.name in names:
            index = names.index(self.safe.name)
        else:
            self.slots.append(_Slot(self.opt.safe_preset, self.safe, Modulator(self.safe)))
            self._ensure_renderer(self.slots[-1])
            self.seq.count = len(self.slots)
            index = len(self.slots) - 1
        self.switch_to(index, cut=True)
        self.note("panic: safe preset")

    # -- reload ------------------------------------------------------------------------------------
    def _reloads(self) -> None:
        if self.watcher is None:
            return
        changed = self.watcher.changed(time.perf_counter())
        if not changed:
            return
        from reactor.control.params import Modulator
        from reactor.errors import PresetError
        from reactor.presets import load_preset

        shader_change = any(p.suffix in (".frag", ".glsl", ".vert") or p.parent.name == "scenes" for p in changed)
        for slot in self.slots:
            src = Path(slot.preset.source).resolve() if slot.preset.source is not None else None
            if src is not None and src in changed:
                try:
                    preset = load_preset(src)
                except PresetError as exc:
                    self.report(str(exc))
                    continue
                scene_changed = preset.scene != slot.preset.scene
                slot.preset, slot.modulator = preset, Modulator(preset)
                self._reload_renderer(slot, preset.scene if scene_changed else None)
                self.note(f"reloaded preset {preset.name}")
            elif shader_change and slot.renderer is not None:
                self._reload_renderer(slot, None)
        self._retire_messages_of(changed)

    def _reload_renderer(self, slot: _Slot, scene) -> None:
        try:
            slot.renderer.reload(scene)
        except ReactorError as exc:
            self.report(str(exc))
            return
        self.note(f"reloaded scene {slot.renderer.scene.name}")

    def _retire_messages_of(self, changed) -> None:
        # a file that reloads cleanly takes its old error off the HUD (stats keep it)
        names = {p.name for p in changed}
        ok = [m for m in self.messages if not any(n in m for n in names)]
        if len(ok) != len(self.messages) and not any(n in (self.errors[-1] if self.errors else "") for n in names):
            self.messages = ok
        for n in names:
            self._seen_errors = {e: v for e, v in self._seen_errors.items() if n not in e}

    # -- keys and control surfaces ----------------------------------------------------------------
    def _key(self, key: str) -> None:
        from reactor.control.actions import Action
        from reactor.control.keys import action_for

        action = action_for(key)
        if action is None:
            return
        log.info("key %s -> %s", key, action)
        self.perform(Action(action, arg=key, origin="key"))

    def _poll_surfaces(self) -> None:
        for surface in self.surfaces:
            try:
                for action in surface.poll(self.heard_now_s()):
                    self.perform(action)
                for m in getattr(surface, "notices", lambda: [])():
                    self.report(m, error=False)
            except Exception as exc:  # a controller's bug must not stop the show
                self.report(f"{getattr(surface, 'name', 'control')}: {type(exc).__name__}: {exc}")
        for name, source in getattr(getattr(self, "arbiter", None), "sources", ()):
            if name != "tap" and hasattr(source, "notices") and source not in self.surfaces:
                for m in source.notices():  # a MIDI clock lost or back
                    self.report(m, error=False)

    def _publish(self, features) -> None:
        """Hand what this frame showed to the surfaces that publish (OSC out, MIDI clock out).

        Beats are the ones the picture shows (the leading tempo's ``beat_count`` stepping on,
        dated back by its phase), so a lighting rig hears the same beat the screen pulses on;
        onsets come from the detector.
        """
        publishers = [s for s in self.surfaces if hasattr(s, "after_frame")]
        ev = self.analyzer.events
        s = features.scalars
        count = int(s.get("beat_count", 0))
        last_count, no = self._events_seen
        self._events_seen = (count, ev.onset_total)
        if not publishers:
            return
        from reactor.control.actions import FrameView
        from reactor.features import BAND_NAMES

        bpm = float(s.get("tempo_bpm", 0.0))
        beats = ()
        if count != last_count and bpm > 0.0:  # a new beat (or several, after a stall)
            period = 60.0 / bpm
            latest = self._now - float(s.get("beat_phase", 0.0)) * period
            n = max(1, min(8, count - last_count)) if count > last_count else 1
            beats = tuple(latest - k * period for k in reversed(range(n)))
        view = FrameView(time_s=self._now, scalars=s, beats=beats,
                         onsets=tuple(zip(ev.onset_times_s[max(0, no - ev.onsets_forgotten):],
                                          ev.onset_strength[max(0, no - ev.onsets_forgotten):])),
                         preset=self.slots[self.seq.current].preset.name, tempo_source=self.arbiter.leader,
                         bands=tuple(float(s.get(b, 0.0)) for b in BAND_NAMES))
        for surface in publishers:
            try:
                surface.after_frame(view)
            except Exception as exc:
                self.report(f"{getattr(surface, 'name', 'output')}: {type(exc).__name__}: {exc}")

    def perform(self, action) -> None:
        """Carry out one :class:`reactor.control.actions.Action` (keys, MIDI, OSC, playlists)."""
        name, arg, value = action.name, action.arg, action.value
        seq = self.seq
        showing = seq.fade.target if seq.fade is not None else seq.current
        if name == "next":
            self.switch_to(showing + 1)
        elif name == "previous":
            self.switch_to(showing - 1)
        elif name == "slot":
            if str(arg).isdigit() and 1 <= int(arg) <= len(self.slots):
                self.switch_to(int(arg) - 1)
        elif name in ("preset", "cut"):
            index = self._slot_index(arg)
            if index is None:
                self.report(f"{action.origin or 'control'}: no preset {arg!r} in this show "
                            f"({', '.join(s.preset.name for s in self.slots)})", error=False)
            else:
                self.switch_to(index, cut=name == "cut")
        elif name == "fade_length":
            seq.fade_s = max(0.0, min(60.0, float(value)))
        elif name == "fade_shorter":
            seq.shorter()
        elif name == "fade_longer":
            seq.longer()
        elif name == "quantize":
            if arg in ("now", "beat", "bar"):
                seq.quantize = arg
            else:
                seq.cycle_quantize()
        elif name == "tap":
            self.tap.tap(self.heard_now_s() if action.time_s is None else action.time_s)
        elif name == "untap":
            self.tap.reset()
        elif name == "nudge_earlier":
            self.nudge_s -= NUDGE_STEP_S
        elif name == "nudge_later":
            self.nudge_s += NUDGE_STEP_S
        elif name == "nudge":
            self.nudge_s += max(-0.5, min(0.5, float(value)))
        elif name == "freeze":
            self.frozen = not self.frozen
        elif name == "freeze_on":
            self.frozen = value > 0.5
        elif name == "blackout":
            self.blackout = not self.blackout
        elif name == "blackout_on":
            self.blackout = value > 0.5
        elif name == "flash":
            self.flashes.hit(self._now, value)
        elif name == "trigger":
            self.triggers.hit(f"ctl:{arg}", value)
        elif name == "param":
            self.overrides.queue.put_param(str(arg), float(value))
        elif name == "param_clear":
            self.overrides.queue.clear_param(str(arg))
        elif name == "control":
            self.overrides.queue.put_control(str(arg), float(value))
        elif name == "hud":
            self.show_hud = not self.show_hud
        elif name == "help":
            self.show_help = not self.show_help
            self.show_hud = self.show_hud or self.show_help
        elif name == "record":
            self.toggle_recording()
        elif name in ("scale_down", "scale_up"):
            from reactor.live.pacing import SCALE_LEVELS

            levels = sorted(SCALE_LEVELS)
            i = min(range(len(levels)), key=lambda k: abs(levels[k] - self.scale))
            i = max(0, i - 1) if name == "scale_down" else min(len(levels) - 1, i + 1)
            self.autoscale = None
            self._set_scale(levels[i])
        elif name == "scale_auto":
            from reactor.live.pacing import AutoScale

            self.autoscale = None if self.autoscale else AutoScale(budget_s=self.period_s, start=self.scale)
        elif name == "fullscreen":
            self.window.set_fullscreen(not self.window.fullscreen)
        elif name == "panic":
            self.panic()
        elif name == "quit":
            self._want_quit = True
        elif name == "learn":  # MIDI learn lives in the surfaces that can learn
            learners = [s for s in self.surfaces if hasattr(s, "learn")]
            for surface in learners:
                surface.learn(action)
            if not learners:
                self.report("MIDI learn needs a MIDI input (--midi NAME)", error=False)
        else:
            self.report(f"{action.origin or 'control'}: unknown action {name!r}", error=False)

    def _slot_index(self, arg) -> int | None:
        """A slot from a 0-based index or a preset name (case-insensitive)."""
        if isinstance(arg, int) and not isinstance(arg, bool):
            return arg if 0 <= arg < len(self.slots) else None
        want = str(arg).strip().lower()
        for i, slot in enumerate(self.slots):
            if slot.preset.name.lower() == want or slot.spec.lower() == want:
                return i
        return None

    # -- recording ------------------------------------------------------------------------------
    def toggle_recording(self) -> None:
        """``R``: start a recording (``--record`` path, else a timestamped name) or stop it."""
        if self.recorder is not None:
            self._stop_recording()
            return
        import datetime

        path = self.opt.record_path or datetime.datetime.now().strftime("reactor-live-%Y%m%d-%H%M%S.mp4")
        self._start_recording(path)

    def _start_recording(self, path: str) -> None:
        from reactor.output.recorder import LiveRecorder
        from reactor.render.readback import AsyncReadback

        w, h = self.out_size
        w, h = w - w % 2, h - h % 2
        fps = round(1.0 / self.period_s)
        try:
            self.recorder = LiveRecorder(path, width_px=w, height_px=h, fps=fps,
                                         sample_rate_hz=self.source.sample_rate_hz,
                                         audio_channels=min(2, self.source.channels), quality=self.opt.record_quality)
        except ReactorError as exc:
            self.report(f"recording not started: {exc}")
            return
        self._rec_tex = self.ctx.texture((w, h), 4)
        self._rec_fbo = self.ctx.framebuffer(color_attachments=[self._rec_tex])
        self._readback = AsyncReadback(self.ctx, width_px=w, height_px=h, depth=2)
        self._rec_times = []
        self._rec_start_s = None
        self.note(f"recording {path} ({w}x{h} @ {fps} fps)")

    def _record(self, current, other, progress, t, samples, clock_s) -> None:
        """Composite (no HUD) into the recording framebuffer, read it back late, push it on."""
        w, h = self._rec_tex.size
        self._composite(current, other, progress, self._rec_fbo, (w, h))
        self._rec_times.append(t)
        rgb = self._readback.push(self._rec_fbo)
        if rgb is not None:
            t_frame = self._rec_times.pop(0)
            if self._rec_start_s is None:
                self._rec_start_s = t_frame
            self.recorder.push_frame(rgb, t_frame)
        if samples is not None and len(samples):
            audio = samples if samples.shape[1] <= 2 else samples[:, :2]
            # the samples end at the clock time; their first one was heard len/sr earlier
            self.recorder.push_audio(audio, clock_s - len(samples) / self.source.sample_rate_hz)
        if self.recorder.error:
            self.report(f"recording: {self.recorder.error}")

    def _stop_recording(self) -> None:
        rec, self.recorder = self.recorder, None
        for rgb in self._readback.flush():
            rec.push_frame(rgb, self._rec_times.pop(0))
        try:
            stats = rec.close()
        except ReactorError as exc:
            self.report(f"recording: {exc}")
            stats = {"recorded_frames": rec.recorded_frames, "dropped_frames": rec.dropped_frames}
        stats = dict(stats, start_s=self._rec_start_s)  # clock time of the file's first frame
        self.rec_stats.append(stats)
        self.note(f"recording stopped: {stats.get('path')} ({stats.get('frames', 0)} frames, "
                  f"{stats.get('dropped_frames', 0)} dropped)")
        self._readback.release()
        self._rec_fbo.release()
        self._rec_tex.release()
        self._readback = self._rec_fbo = self._rec_tex = None

    # -- HUD and stats ----------------------------------------------------------------------------
    def _draw_hud(self) -> None:
        if getattr(self, "_hud_view", None) is None:
            from reactor.live.hud_view import HudView

            self._hud_view = HudView()
        self._hud_view.draw(self, self.hud, self._window_size(), time.perf_counter())
        self.hud.end(self.window.screen)

    def summary(self) -> dict:
        """The ``--stats-json`` dictionary (see ``reactor live --help``)."""
        st = self.source.stats() if self.source is not None else {}
        out = dict(self.stats.summary()) if hasattr(self, "stats") else {"frames": 0}
        ev = self.analyzer.events if hasattr(self, "analyzer") else None
        f = self._features.scalars if getattr(self, "_features", None) is not None else {}
        out.update({
            "xruns": int(st.get("xruns") or 0),
            "input_latency_ms": st.get("input_latency_ms"),
            "output_latency_ms": st.get("output_latency_ms"),
            "lead_ms": 1e3 * self.lead_s() if hasattr(self, "pacer") else 0.0,
            "analysis_ms_p50": self._analysis_p50_ms(),
            "tempo_bpm": float(f.get("tempo_bpm", 0.0)),
            "beats": ev.beat_total if ev else 0,
            "onsets": ev.onset_total if ev else 0,
            "recorded_frames": sum(int(s.get("recorded_frames", 0)) for s in self.rec_stats),
            "dropped_recorded_frames": sum(int(s.get("dropped_frames", 0)) for s in self.rec_stats),
            "recordings": [{"path": s.get("path"), "start_s": s.get("start_s"), "frames": s.get("frames")}
                           for s in self.rec_stats],
            "preset": self.slots[self.seq.current].preset.name if hasattr(self, "seq") else None,
            "tempo_source": self.arbiter.leader if hasattr(self, "arbiter") else "detector",
            "flashes": self.flashes.count if hasattr(self, "flashes") else 0,
            "pacing": self.pacer.mode if hasattr(self, "pacer") else None,
            "scale": self.scale if hasattr(self, "scale") else None,
            "direct_frames": self.direct_frames,
            "events": list(self.events),
            "errors": list(self.errors),
        })
        sources = [s for n, s in getattr(getattr(self, "arbiter", None), "sources", ()) if n != "tap"]
        for surface in self.surfaces + [s for s in sources if s not in self.surfaces]:  # a MIDI clock's state
            if hasattr(surface, "stats"):
                try:
                    out.update(surface.stats())
                except Exception as exc:
                    out["errors"].append(f"{getattr(surface, 'name', 'control')} stats: {exc}")
        if self.opt.trace:
            out["trace"] = [list(row) for row in self.trace]
        return out

    def _analysis_p50_ms(self) -> float:
        times = getattr(self, "_analysis_s", None)
        return 1e3 * sorted(times)[len(times) // 2] if times else 0.0

    def _teardown(self) -> None:
        if self.recorder is not None:
            try:
                self._stop_recording()
            except Exception as exc:
                self.report(f"recording: {exc}")
        if getattr(self, "watcher", None) is not None:
            self.watcher.stop()
        for surface in self.surfaces:
            if hasattr(surface, "close"):
                try:
                    surface.close()
                except Exception as exc:
                    self.report(f"closing {getattr(surface, 'name', 'control')}: {exc}")
        try:
            self.source.close()
        except Exception as exc:
            self.report(f"closing the sound source: {exc}")
        for slot in getattr(self, "slots", []):
            if slot.renderer is not None:
                slot.renderer.release()
        for obj in ("compositor", "hud"):
            if hasattr(self, obj):
                getattr(self, obj).release()
        if hasattr(self, "window"):
            self.window.close()


def _toward(value: float, goal: float, step: float) -> float:
    return min(goal, value + step) if goal > value else max(goal, value - step)
