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


@dataclass
class _Slot:
    spec: str
    preset: object
    modulator: object
    renderer: object = None


class Show:
    """Run a live show from ``options`` with sound from ``source`` (a ``LiveSource``)."""

    def __init__(self, options: LiveOptions, source) -> None:
        self.opt = options
        self.source = source
        self.errors: list[str] = []          # every distinct problem, in order (stats)
        self.messages: list[str] = []        # recent warnings and errors (HUD)
        self.events: list[str] = []          # what happened (preset switches, reloads): stats + log
        self._seen_errors: set[str] = set()
        self.frozen = self.blackout = False
        self.show_hud, self.show_help = options.hud, False
        self.nudge_s = 0.0
        self._gain = 1.0
        self._want_quit = False
        self._now = self._clock_s = 0.0
        self.trace: list[tuple[float, float, float]] = []
        self.recorder = None
        self.rec_stats: list[dict] = []

    # -- reporting -----------------------------------------------------------------------------
    def report(self, message: str, *, error: bool = True) -> None:
        """Log a problem once and show it in the HUD (repeats are counted, not repeated)."""
        message = " ".join(str(message).split())
        if message in self._seen_errors:
            return
        self.messages = ([m for m in self.messages if m != message] + [message])[-MAX_MESSAGES:]
        self._seen_errors.add(message)
        if error:
            self.errors.append(message)
            log.error("%s", message)
        else:
            log.warning("%s", message)

    def note(self, event: str) -> None:
        """Record something that happened (a switch, a reload) in the log and the stats."""
        self.events.append(event)
        log.info("%s", event)

    # -- set-up --------------------------------------------------------------------------------
    def _setup(self) -> None:
        from reactor.analysis.analyzer import StreamingAnalyzer, warm_up
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
        self.analyzer.set_tempo_source(self.tap)
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
            deadline = self.pacer.deadline(time.perf_counter())
            if deadline is not None:
                delay = deadline - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)

    def _frame(self) -> None:
        """One frame; nothing escapes (see the module docstring)."""
        try:
            for key in self.window.poll():
                self._key(key)
            samples, clock_s = self.source.poll()
            self._clock_s = clock_s
            for m in self.source.messages():
                self.report(m, error=False)
            self._reloads()
            self._resize_if_settled()
            lead = self.lead_s()
            t = clock_s + lead + self.nudge_s
            self._now = t
            incoming, progress = self._advance_fade(t)
            self.overrides.drain(self.slots[self.seq.current].preset.param_defaults())
            frame = self.engine.step(t, samples, controls=self.overrides.controls, bases=self.overrides.params,
                                     draw=not self.frozen)
            self._features = frame.features
            self._analysis_s.append(self.engine.analysis_s)
        except Exception as exc:  # a bug or a driver error: report it once; the last frame stays up
            self._frame_failed(exc)
            samples, progress = None, 0.0
        try:
            self._gain = _toward(self._gain, 0.0 if self.blackout else 1.0, self.period_s / BLACKOUT_FADE_S)
            current = self.engine.layers[0].renderer
            other = self.engine.layers[1].renderer if len(self.engine.layers) > 1 else None
            if self.recorder is not None:
                self._record(current, other, progress, self._now, samples, self._clock_s)
            self._composite(current, other, progress, self.ctx.screen, self._window_size())
            if self.show_hud:
                self._draw_hud()
        except Exception as exc:
            self._frame_failed(exc)

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
                             progress=progress, gain=self._gain, frame=current.frame,
                             source_dithered=current.self_dithered,
                             source_fbo=current.output_fbo if current.self_dithered else None)

    # -- timing ----------------------------------------------------------------------------------
    def lead_s(self) -> float:
        """How far ahead of the clock this frame is drawn: when it will be seen.

        The frame is seen after its own work (render + swap) and, with real vsync, about one
        refresh later; a mic's clock is the capture position, so its input latency is added
        too (the sound was heard that long before the clock says).
        """
        lead = self._last_work_s + (0.0 if self.pacer.self_paced else self.period_s)
        if self.opt.mic:
            st = self.source.stats()
            lead += (st.get("input_latency_ms") or 0.0) / 1000.0
        return min(lead, 0.25)

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
            self._seen_errors = {e for e in self._seen_errors if n not in e}

    # -- keys ----------------------------------------------------------------------------------
    def _key(self, key: str) -> None:
        from reactor.control.keys import action_for

        action = action_for(key)
        if action is None:
            return
        log.info("key %s -> %s", key, action)
        seq = self.seq
        showing = seq.fade.target if seq.fade is not None else seq.current
        if action == "next":
            self.switch_to(showing + 1)
        elif action == "previous":
            self.switch_to(showing - 1)
        elif action == "slot":
            if int(key) <= len(self.slots):
                self.switch_to(int(key) - 1)
        elif action == "fade_shorter":
            seq.shorter()
        elif action == "fade_longer":
            seq.longer()
        elif action == "quantize":
            seq.cycle_quantize()
        elif action == "tap":
            self.tap.tap(self._now)
        elif action == "untap":
            self.tap.reset()
        elif action == "nudge_earlier":
            self.nudge_s -= NUDGE_STEP_S
        elif action == "nudge_later":
            self.nudge_s += NUDGE_STEP_S
        elif action == "freeze":
            self.frozen = not self.frozen
        elif action == "blackout":
            self.blackout = not self.blackout
        elif action == "hud":
            self.show_hud = not self.show_hud
        elif action == "help":
            self.show_help = not self.show_help
            self.show_hud = self.show_hud or self.show_help
        elif action == "record":
            self.toggle_recording()
        elif action in ("scale_down", "scale_up"):
            from reactor.live.pacing import SCALE_LEVELS

            levels = sorted(SCALE_LEVELS)
            i = min(range(len(levels)), key=lambda k: abs(levels[k] - self.scale))
            i = max(0, i - 1) if action == "scale_down" else min(len(levels) - 1, i + 1)
            self.autoscale = None
            self._set_scale(levels[i])
        elif action == "scale_auto":
            from reactor.live.pacing import AutoScale

            self.autoscale = None if self.autoscale else AutoScale(budget_s=self.period_s, start=self.scale)
        elif action == "fullscreen":
            self.window.set_fullscreen(not self.window.fullscreen)
        elif action == "panic":
            self.panic()
        elif action == "quit":
            self._want_quit = True

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
        self.hud.end(self.ctx.screen)

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
            "beats": len(ev.beat_times_s) if ev else 0,
            "onsets": len(ev.onset_times_s) if ev else 0,
            "recorded_frames": sum(int(s.get("recorded_frames", 0)) for s in self.rec_stats),
            "dropped_recorded_frames": sum(int(s.get("dropped_frames", 0)) for s in self.rec_stats),
            "recordings": [{"path": s.get("path"), "start_s": s.get("start_s"), "frames": s.get("frames")}
                           for s in self.rec_stats],
            "preset": self.slots[self.seq.current].preset.name if hasattr(self, "seq") else None,
            "pacing": self.pacer.mode if hasattr(self, "pacer") else None,
            "scale": self.scale if hasattr(self, "scale") else None,
            "events": list(self.events),
            "errors": list(self.errors),
        })
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
