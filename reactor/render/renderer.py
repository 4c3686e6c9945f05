"""The renderer: one scene, its passes and textures, drawn from a Features snapshot and params.

Runs on the thread that owns the GL context (the main thread). Every GL object is created in
``__init__`` (or on ``set_image``/``reload``) and reused: ``render`` allocates nothing on the GPU.
Same inputs give the same pixels: the only randomness is the dither, seeded by the frame count.

When nothing reads the output pass back (see ``_fusable``) it dithers its own output into an 8-bit
target; when something does (feedback) it writes the dithered picture to a second, 8-bit
attachment of its target in the same draw. Either way the separate present pass is skipped; only
an output pass of another size or sharing its target goes through ``Presenter``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from reactor import demo_image, imageio
from reactor.errors import ReactorError, ShaderError
from reactor.features import Features
from reactor.render.binding import FrameState, apply, bind_program
from reactor.render.passes import (DITHER_EPILOGUE, DITHER_MRT_EPILOGUE, FeedbackTarget, Presenter, dither_jitter,
                                   draw_fullscreen, draw_region, fullscreen_vao)
from reactor.render.programs import (OUTSIDE_REGION_DEFINE, REGION_INSIDE_VERTEX, REGION_OUTSIDE_VERTEX,
                                     compile_program, display_path, vertex_source, with_define, wrap_main)
from reactor.render.scenes import SceneInfo, load_chain, load_scene
from reactor.render.textures import (AudioTextures, image_bytes, make_black_texture, make_noise_cube,
                                     make_noise_texture)

log = logging.getLogger(__name__)

_MAX_SIDE_PX = 16384
_MAX_REPAIRS = 4  # one per Shadertoy channel at most
_AUDIO_KEYS = {"spectrum": "u_spectrum", "waveform": "u_waveform", "history": "u_history", "sound": "u_sound"}


@dataclass
class _Pass:
    program: object
    vao: object
    target: FeedbackTarget | None  # None only for a region pass's outer part
    spec: object = None
    setters: list = field(default_factory=list)    # (uniform, fn(FrameState))
    samplers: list = field(default_factory=list)   # (uniform name, texture key), unit = index
    outer: "_Pass | None" = None  # a region pass's code for the pixels outside its region (its
    # target is None: it is drawn with its pass, whose target resizing and swapping move)

    @property
    def parts(self) -> tuple["_Pass", ...]:
        """The programs drawn for this pass: the region's outside first, then the pass itself."""
        return (self.outer, self) if self.outer is not None else (self,)


class Renderer:
    """Draw ``scene`` at ``width_px`` x ``height_px`` and read the pixels back.

    Parameters
    ----------
    ctx : moderngl.Context
    scene : str | Path | SceneInfo
        Built-in scene name, a scene path (native ``.frag``/``.toml``, Shadertoy, ISF, or a folder
        with a Shadertoy sidecar), or a loaded ``SceneInfo`` (e.g. from ``load_chain``).
    width_px, height_px : int
        Output size in pixels.
    image : np.ndarray, optional
        Reference image, float 0..1 or uint8, (h, w, 3|4), sRGB-encoded values; fitted to the
        output size (cover). ``None``: the built-in demo image.
    depth : np.ndarray, optional
        (h, w) float 0..1, near = 1, aligned with ``image``; estimated from the image when None.

    Attributes
    ----------
    sample_rate_hz : float
        Reported to Shadertoy scenes as ``iSampleRate`` (set it to the analysed audio's rate).
    date_origin : datetime or None
        ``iDate``/``DATE`` at time 0; None is 2000-01-01 00:00 so renders are reproducible.
    notices : list of str
        Every binding or default the renderer could not honour, each once (for a HUD); each is
        also logged once.

    Raises
    ------
    ShaderError
        A pass fails to compile (``file:line: message | source line``).
    ReactorError
        Bad size.
    """

    def __init__(self, ctx, scene, *, width_px: int, height_px: int, image=None, depth=None):
        if not (1 <= int(width_px) <= _MAX_SIDE_PX and 1 <= int(height_px) <= _MAX_SIDE_PX):
            raise ReactorError(f"render size {width_px}x{height_px} px is out of range 1..{_MAX_SIDE_PX}")
        self.ctx = ctx
        self.width_px, self.height_px = int(width_px), int(height_px)
        self.scene = scene if isinstance(scene, SceneInfo) else load_scene(scene)
        self.frame = 0
        self.sample_rate_hz = 48000.0
        self.date_origin = None
        self.notices: list[str] = []
        self._image_src, self._depth_src = image, depth
        self._audio = AudioTextures(ctx)
        self._noise = make_noise_texture(ctx)
        self._static: dict[str, object] = {}   # noise_cube, black, file:<path> textures
        self._image_tex = self._depth_tex = None
        self._presenter = Presenter(ctx, width_px=self.width_px, height_px=self.height_px)
        self._passes: list[_Pass] = []
        self._targets: dict[str, FeedbackTarget] = {}
        self._dither = None  # (jitter, height) uniforms of a self-dithering output pass
        self._mrt = False    # it dithers into a second attachment (it reads its own target back)
        self.present_output = True
        """Run the dithering present pass each frame (``read_rgb``/``output_fbo``). A live window
        that composites ``output_texture`` itself sets it False and saves a full-screen pass."""
        self.direct_fbo = None
        """A framebuffer of the output's size (a window) that the next ``render`` draws its
        output pass into instead of its own target, when ``can_draw_direct``: the picture goes
        straight to the screen with no copy. ``output_texture`` then keeps the frame before,
        until ``settle_output``."""
        self._direct_last = False  # the last render drew its output pass into direct_fbo
        self._build(self.scene)

    def _notice(self, text: str) -> None:
        if text not in self.notices:
            self.notices.append(text)
            log.warning("%s", text)

    # -- building -------------------------------------------------------------------------
    def _build(self, info: SceneInfo) -> None:
        """Compile and bind ``info``; a compile error the dialect can repair (``info.repair``) is
        retried with its repaired scene, which reports what it changed."""
        for _ in range(_MAX_REPAIRS):
            try:
                return self._build_once(info)
            except ShaderError as exc:
                fixed = info.repair(exc) if info.repair is not None else None
                if fixed is None:
                    raise
                info = fixed
        return self._build_once(info)

    def _build_once(self, info: SceneInfo) -> None:
        sources = info.sources()
        specs = info.passes
        programs = []  # per pass: (program, program for outside its region or None)
        fused = None  # "target": dithers into an 8-bit target; "mrt": into a second attachment
        try:
            for spec, source in zip(specs[:-1], sources[:-1]):
                programs.append(self._compile_pass(spec, source))
            mode = self._fusable(info, sources)
            if mode is not None:
                try:
                    out = specs[-1].output
                    if mode == "target":
                        def wrapped(src):
                            return wrap_main(src, DITHER_EPILOGUE.replace("fragColor", out))
                    else:  # "mrt": the scene's output must be at location 0, the 8-bit copy at 1
                        def wrapped(src):
                            return _pin_output(wrap_main(src, DITHER_MRT_EPILOGUE.replace("fragColor", out)), out)
                    programs.append(self._compile_pass(specs[-1], sources[-1], wrap=wrapped))
                    fused = mode
                except ShaderError as exc:  # report the scene's own error, or (a name clash) do without
                    log.info("output pass of %s does not dither itself (%s); using the present pass",
                             info.name, str(exc)[:120])
            if not fused:
                programs.append(self._compile_pass(specs[-1], sources[-1]))
            for spec in specs:  # image files load now: a bad one must not cost the running scene
                for b in spec.bindings:
                    if b.source == "texture" and b.key.startswith("file:"):
                        self._texture(b.key, None)
        except Exception:
            for pair in programs:
                for p in pair:
                    if p is not None:
                        p.release()
            raise
        # Feedback survives a reload: a target of the same name, size and format is kept.
        old_targets = self._targets
        self._release_passes(keep_targets=True)
        self.scene = info
        for text in info.warnings:
            self._notice(f"{display_path(info.path)}: {text}" if not text.startswith(display_path(info.path)) else text)
        for i, spec in enumerate(specs):
            if spec.target in self._targets:
                continue  # ISF passes may draw into one target in turn
            last = i == len(specs) - 1
            dtype = "f1" if fused == "target" and last else spec.dtype
            out8 = fused == "mrt" and last
            size = self._size(spec, {})
            prev = old_targets.pop(spec.target, None)
            if prev is not None and prev.size_px == size and prev.dtype == dtype and prev.has_out8 == out8:
                self._targets[spec.target] = prev
                continue
            if prev is not None:
                prev.release()
            self._targets[spec.target] = FeedbackTarget(self.ctx, size_px=size, float_target=True, dtype=dtype,
                                                        out8=out8)
        for prev in old_targets.values():
            prev.release()
        for spec, (program, outside) in zip(specs, programs):
            rp = self._bound_pass(spec, program, self._targets[spec.target])
            if outside is not None:
                rp.outer = self._bound_pass(spec, outside, None)
            self._passes.append(rp)
        # Either uniform is optimized away when the scene's colour is constant black or white.
        self._dither = ([(p.program.get("reactor_jitter", None), p.program.get("reactor_height", None))
                         for p in self._passes[-1].parts] if fused else None)
        self._mrt = fused == "mrt"
        keys = {k for p in self._passes for _, k in p.samplers}
        self._used = frozenset(_AUDIO_KEYS[k] for k in keys if k in _AUDIO_KEYS)
        if keys & {"image", "depth", "input", "start"} and self._image_tex is None:
            self.set_image(self._image_src, depth=self._depth_src)
        for key in keys:
            self._texture(key, None)  # load files, make audio textures now, not on the first frame

    def _compile_pass(self, spec, source, *, wrap=None):
        """``(program, outside)``: the pass's program and, for a pass with a region, the one for
        the pixels outside it (its code with ``REACTOR_OUTSIDE_REGION`` defined), else None.
        ``wrap`` turns a fragment source into the one to compile (the fused dither)."""
        wrap = wrap or (lambda src: src)
        if spec.region is None:
            return compile_program(self.ctx, wrap(source), vertex=spec.vertex), None
        inside = compile_program(self.ctx, wrap(source), vertex=vertex_source(REGION_INSIDE_VERTEX, "<region>"))
        try:
            outside = compile_program(self.ctx, wrap(with_define(source, OUTSIDE_REGION_DEFINE)),
                                      vertex=vertex_source(REGION_OUTSIDE_VERTEX, "<region>"))
        except Exception:
            inside.release()
            raise
        return inside, outside

    def _bound_pass(self, spec, program, target) -> _Pass:
        setters, samplers = bind_program(program, spec.bindings, where=display_path(spec.shader), warn=self._notice)
        if spec.region is not None:  # the rectangle, on the unit after the pass's own textures
            program["reactor_region"].value = len(samplers)
        return _Pass(program=program, vao=fullscreen_vao(self.ctx, program), target=target,
                     spec=spec, setters=setters, samplers=samplers)

    def _size(self, spec, params=None) -> tuple[int, int]:
        """Pixel size of a pass: its scale of the output, or its WIDTH/HEIGHT expressions."""
        params = params or {}
        if spec.size is None:
            return max(1, round(self.width_px * spec.scale)), max(1, round(self.height_px * spec.scale))
        values = {"WIDTH": float(self.width_px), "HEIGHT": float(self.height_px)}
        defaults = self.scene.params
        plen = len(spec.prefix)
        for name in set(defaults) | set(params):
            if name.startswith(spec.prefix):
                values[name[plen:]] = float(params.get(name, defaults.get(name, 0.0)))
        w, h = (e.evaluate(values) for e in spec.size)
        return (min(_MAX_SIDE_PX, max(1, int(round(w)) if w == w else 1)),
                min(_MAX_SIDE_PX, max(1, int(round(h)) if h == h else 1)))

    def _fusable(self, info: SceneInfo, sources) -> str | None:
        """How the output pass can dither itself, if it can: ``"target"`` when no pass reads its
        target back (``prev`` in the output pass, ``pass:<target>`` anywhere), so the target itself
        can be 8-bit; ``"mrt"`` when one does (feedback), so the dithered picture goes to a second
        attachment; None (use the present pass) when its target is not exactly the output size
        or is shared with an earlier pass.
        """
        spec = info.passes[-1]
        own = f"pass:{spec.target}"
        if spec.size is not None or self._size(spec, {}) != (self.width_px, self.height_px):
            return None
        if any(p.target == spec.target for p in info.passes[:-1]):
            return None
        reads = any(b.source == "texture" and b.key == own for p in info.passes for b in p.bindings)
        reads |= any(b.source in ("channel_res", "channel_time") and own in b.key for p in info.passes for b in p.bindings)
        source = sources[-1]
        reads_prev = any(b.source == "texture" and b.key == "prev" and source.references(b.uniform)
                         for b in spec.bindings)
        if reads:
            names = {b.uniform for p in info.passes for b in p.bindings if b.source == "texture" and b.key == own}
            reads = any(src.references(n) for src in sources for n in names)
        return "mrt" if (reads or reads_prev) else "target"

    def _texture(self, key: str, target: FeedbackTarget | None):
        if key == "prev":
            return target.read if target is not None else None
        if key.startswith("pass:"):
            return self._targets[key[5:]].read
        if key in _AUDIO_KEYS:
            return self._audio.textures[_AUDIO_KEYS[key]]
        if key.startswith(("isf_audio:", "isf_fft:")):
            return self._audio.extra(key)
        if key == "noise":
            return self._noise
        if key in ("image", "input", "start"):
            return self._image_tex
        if key == "depth":
            return self._depth_tex
        if key not in self._static:
            self._static[key] = self._make_static(key)
        return self._static[key]

    def _make_static(self, key: str):
        if key == "noise_cube":
            return make_noise_cube(self.ctx)
        if key in ("black", "end"):
            return make_black_texture(self.ctx)
        if key.startswith("file:"):
            pixels = imageio.load_image(key[5:])
            data, comps = image_bytes(pixels)
            tex = self.ctx.texture((pixels.shape[1], pixels.shape[0]), comps, data)
            tex.build_mipmaps()
            tex.repeat_x = tex.repeat_y = True
            return tex
        raise ReactorError(f"unknown texture source {key!r}")

    def _texture_size(self, key: str) -> tuple[int, int]:
        tex = self._texture(key, None) if key != "prev" else None
        return tuple(tex.size[:2]) if tex is not None else (self.width_px, self.height_px)

    # -- public API -----------------------------------------------------------------------
    def set_image(self, image=None, *, depth=None) -> None:
        """Replace the reference image (and depth); ``None`` uses the demo image / an estimate.

        Arrays are fitted (cover) to the output size. Textures are rewritten in place.
        """
        w, h = self.width_px, self.height_px
        self._image_src, self._depth_src = image, depth
        if image is None:
            fitted = demo_image.demo_image(w, h)
        else:
            fitted = imageio.fit(_as_float(image), w, h, mode="cover")
            if fitted.ndim == 3 and fitted.shape[2] == 4 and fitted[..., 3].min() < 1.0:
                # Straight alpha: colour under transparent pixels is arbitrary; show a dark
                # backdrop there instead (scenes ignore alpha).
                a = fitted[..., 3:4]
                fitted = np.concatenate([fitted[..., :3] * a + 0.06 * (1.0 - a), np.ones_like(a)], axis=2)
        if depth is None and image is None:
            depth_px = demo_image.demo_depth(w, h)  # drawn with the picture: exact, not estimated
        elif depth is None:
            depth_px = imageio.estimate_depth(fitted)
        else:
            depth_px = imageio.fit(_as_float(depth), w, h, mode="cover")
            depth_px = depth_px[..., 0] if depth_px.ndim == 3 else depth_px
        data, comps = image_bytes(fitted)
        if comps == 1:  # a greyscale image: expand so u_image is always RGBA
            data, comps = image_bytes(np.repeat(fitted[..., None] if fitted.ndim == 2 else fitted, 3, axis=2))
        if self._image_tex is None:
            self._image_tex = self.ctx.texture((w, h), 4)
            self._image_tex.repeat_x = self._image_tex.repeat_y = False
            self._depth_tex = self.ctx.texture((w, h), 1, dtype="f4")
            self._depth_tex.repeat_x = self._depth_tex.repeat_y = False
        self._image_tex.write(data)
        # Mipmaps: scenes get a wide blur for one tap (textureLod(u_image, uv, 4.0)), and
        # minified sampling (zoom-outs) stays smooth instead of sparkling.
        self._image_tex.build_mipmaps()
        depth_px = imageio.warp_depth(np.clip(depth_px, 0.0, 1.0))
        self._depth_tex.write(np.ascontiguousarray(depth_px[::-1], np.float32))

    def render(self, features: Features, params: Mapping[str, float], *, time_s: float, dt_s: float) -> None:
        """Draw one frame.

        Parameters
        ----------
        features : Features
            The sound at this frame.
        params : Mapping[str, float]
            Parameter values by name without ``p_`` (from the Modulator); missing ones use the
            scene's default.
        time_s, dt_s : float
            Frame time and time since the previous frame, seconds.
        """
        self._audio.update(features, time_s=time_s, used=self._used)
        for jitter, height in self._dither or ():
            if jitter is not None:
                jitter.value = dither_jitter(self.frame)
            if height is not None:
                height.value = float(self.height_px)
        state = FrameState(time_s=float(time_s), dt_s=float(dt_s), frame=self.frame, scalars=features.scalars,
                           output_px=(self.width_px, self.height_px),
                           params=params, defaults=self.scene.params, sample_rate_hz=self.sample_rate_hz,
                           date_origin=self.date_origin, texture_size=self._texture_size)
        last = self._passes[-1]
        direct = self.direct_fbo if self.can_draw_direct else None
        for rp in self._passes:
            if rp.spec.size is not None:
                self._resize_target(rp, params)
            state.size_px = rp.target.size_px
            for part in rp.parts:
                apply(part.setters, state)
            self._draw_pass(rp, direct if rp is last else None)
        self._direct_last = direct is not None
        if self._dither is None and self.present_output:
            self._presenter.present(self.output_texture, frame=self.frame)
        self.frame += 1

    def settle_output(self) -> None:
        """After a render that went straight to ``direct_fbo``, draw its output pass again into
        its own target, so ``output_texture`` holds that picture (a live show keeps it on screen
        when the next frame fails). A no-op otherwise."""
        if not self._direct_last:
            return
        self._draw_pass(self._passes[-1])
        self._direct_last = False

    def _draw_pass(self, rp: _Pass, into=None) -> None:
        """Draw one pass with its uniforms as set: into its own target (then swapped), or into
        the framebuffer ``into`` at the output's size."""
        if into is not None:
            into.use()
            into.viewport = (0, 0, self.width_px, self.height_px)
        else:
            rp.target.write_fbo.use()
        for part in rp.parts:
            for unit, (_, key) in enumerate(part.samplers):
                self._texture(key, rp.target).use(location=unit)
            if rp.spec.region is None:
                draw_fullscreen(part.vao)
                continue
            self._targets[rp.spec.region].read.use(location=len(part.samplers))
            draw_region(part.vao, outside=part is rp.outer)
        if into is None:
            rp.target.swap()

    def _resize_target(self, rp: _Pass, params) -> None:
        size = self._size(rp.spec, params)
        if size == rp.target.size_px:
            return
        old = rp.target
        new = FeedbackTarget(self.ctx, size_px=size, float_target=True, dtype=old.dtype)
        for p in self._passes:
            if p.target is old:
                p.target = new
        self._targets[rp.spec.target] = new
        old.release()

    @property
    def output_texture(self):
        """The last pass's latest output, e.g. for a live window: RGBA16F, or RGBA8 already
        dithered when the output pass dithers itself (``self_dithered``)."""
        target = self._passes[-1].target
        return target.out8 if self._mrt else target.read

    @property
    def output_fbo(self):
        """The 8-bit framebuffer holding the dithered pixels ``read_rgb`` returns (for
        asynchronous readback); its row order is given by ``output_rows_top_first``."""
        return self._dithered_fbo() if self._dither is not None else self._presenter.fbo

    def _dithered_fbo(self):
        target = self._passes[-1].target
        return target.out8_fbo if self._mrt else target.read_fbo

    @property
    def output_rows_top_first(self) -> bool:
        """Whether ``output_fbo`` stores rows top first (the present pass draws upside down);
        a self-dithering output pass stores them bottom first, as GL draws."""
        return self._dither is None

    @property
    def can_draw_direct(self) -> bool:
        """Whether the output pass can draw into ``direct_fbo``: it dithers itself into a plain
        8-bit target that no pass reads back, at the output's size."""
        spec = self._passes[-1].spec
        return self._dither is not None and not self._mrt and spec.size is None and spec.scale == 1.0

    @property
    def self_dithered(self) -> bool:
        """Whether the output pass dithers itself (no separate present pass)."""
        return self._dither is not None

    def read_rgb(self) -> np.ndarray:
        """The last rendered frame, dithered, as a new ``uint8 (height, width, 3)``, top row first."""
        if self._dither is not None:
            return self._presenter.read_rgb(self._dithered_fbo())
        return self._presenter.read_rgb()

    def present_to(self, framebuffer, *, viewport: tuple[int, int, int, int]) -> None:
        """Draw the last frame, dithered and upright, into ``viewport`` of ``framebuffer`` (a window)."""
        self._presenter.present_to(self.output_texture, framebuffer, frame=self.frame, viewport=viewport,
                                   dither=self._dither is None)

    def reload(self, scene=None) -> None:
        """Recompile this scene (or switch to ``scene``) in place, keeping the output size.

        Works for every dialect and for chains (each stage is re-read). On a ``ShaderError``
        (compile error, bad ISF header, missing file) the previous programs stay in use and the
        error is raised for the caller to show: the show goes on.
        """
        if isinstance(scene, SceneInfo):
            info = scene
        elif scene is not None:
            info = load_scene(scene)
        elif self.scene.kind == "chain":
            info = load_chain(self.scene.stages)
        else:
            info = load_scene(self.scene.path)
        self._build(info)

    def resize(self, width_px: int, height_px: int) -> None:
        """Change the output size, keeping the feedback content (resampled into the new targets).

        Programs and bindings are kept (no recompile); the reference image is refitted to the new size.
        """
        w, h = int(width_px), int(height_px)
        if not (1 <= w <= _MAX_SIDE_PX and 1 <= h <= _MAX_SIDE_PX):
            raise ReactorError(f"render size {w}x{h} px is out of range 1..{_MAX_SIDE_PX}")
        if (w, h) == (self.width_px, self.height_px):
            return
        old_targets, old_presenter = self._targets, self._presenter
        self.width_px, self.height_px = w, h
        self._targets = {}
        for spec in self.scene.passes:
            if spec.target in self._targets:
                continue
            prev = old_targets[spec.target]
            new = FeedbackTarget(self.ctx, size_px=self._size(spec, {}), float_target=True, dtype=prev.dtype,
                                 out8=prev.has_out8)
            for fbo in (new.read_fbo, new.write_fbo):  # bilinear resample of the latest frame
                old_presenter.present_to(prev.read, fbo, frame=0, viewport=(0, 0, *new.size_px), dither=False)
            self._targets[spec.target] = new
        for rp in self._passes:
            rp.target = self._targets[rp.spec.target]
        for prev in old_targets.values():
            prev.release()
        old_presenter.release()
        self._presenter = Presenter(self.ctx, width_px=w, height_px=h)
        if self._image_tex is not None:
            self._image_tex.release()
            self._depth_tex.release()
            self._image_tex = self._depth_tex = None
            self.set_image(self._image_src, depth=self._depth_src)

    def reset(self) -> None:
        """Clear feedback history and the frame count (e.g. before an offline render)."""
        for target in self._targets.values():
            target.clear()
        self.frame = 0

    def release(self) -> None:
        """Free every GL object; the renderer is unusable afterwards."""
        self._release_passes()
        self._audio.release()
        for obj in (self._noise, self._image_tex, self._depth_tex, *self._static.values()):
            if obj is not None:
                obj.release()
        self._static.clear()
        self._image_tex = self._depth_tex = None
        self._presenter.release()

    def _release_passes(self, *, keep_targets: bool = False) -> None:
        for rp in self._passes:
            for part in rp.parts:
                part.vao.release()
                part.program.release()
        if not keep_targets:
            for target in self._targets.values():
                target.release()
        self._passes, self._targets = [], {}

    def __enter__(self) -> "Renderer":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _pin_output(source, output: str):
    """``source`` with its output ``out vec4 <output>;`` declared at location 0 (the line count
    is kept, so ``file:line`` still maps); a ``ShaderError`` when the declaration is not found."""
    from reactor.render.programs import ShaderSource

    decl = f"out vec4 {output};"
    lines = source.text.split("\n")
    for i, line in enumerate(lines):
        if line.strip() == decl:
            lines[i] = f"layout(location = 0) {decl}"
            return ShaderSource(path=source.path, text="\n".join(lines), origins=source.origins)
    raise ShaderError(f"{display_path(source.path)}: no '{decl}' line to pin at location 0")


def _as_float(a) -> np.ndarray:
    a = np.asarray(a)
    return a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32, copy=False)

