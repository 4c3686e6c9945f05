"""The renderer: one scene, its passes and textures, drawn from a Features snapshot and params.

Runs on the thread that owns the GL context (the main thread). Every GL object is created in
``__init__`` (or on ``set_image``/``reload``) and reused: ``render`` allocates nothing on the GPU.
Same inputs give the same pixels: the only randomness is the dither, seeded by the frame count.

When nothing reads the output pass back (see ``_fusable``) it dithers its own output into an 8-bit
target and the separate present pass is skipped; otherwise ``Presenter`` dithers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from reactor import demo_image, imageio
from reactor.errors import ReactorError, ShaderError
from reactor.features import SCALARS, Features
from reactor.render.passes import (DITHER_EPILOGUE, FeedbackTarget, Presenter, dither_jitter, draw_fullscreen,
                                   fullscreen_vao)
from reactor.render.programs import compile_program, wrap_main
from reactor.render.scenes import SceneInfo, load_scene
from reactor.render.textures import AudioTextures, image_bytes, make_noise_texture

_FRAME_UNIFORMS = ("u_time", "u_dt", "u_frame", "u_resolution", "u_aspect")
_MAX_SIDE_PX = 16384
_GL_FLOAT = 0x1406


@dataclass
class _Pass:
    program: object
    vao: object
    target: FeedbackTarget
    features: list = field(default_factory=list)   # (uniform, feature name)
    params: list = field(default_factory=list)     # (uniform, param name)
    frame: dict = field(default_factory=dict)      # standard frame uniform name -> uniform
    samplers: list = field(default_factory=list)   # (unit, texture getter)


class Renderer:
    """Draw ``scene`` at ``width_px`` x ``height_px`` and read the pixels back.

    Parameters
    ----------
    ctx : moderngl.Context
    scene : str | Path | SceneInfo
        Built-in scene name, a ``.frag``/``.toml`` path, or a loaded ``SceneInfo``.
    width_px, height_px : int
        Output size in pixels.
    image : np.ndarray, optional
        Reference image, float 0..1 or uint8, (h, w, 3|4), sRGB-encoded values; fitted to the
        output size (cover). ``None``: the built-in demo image.
    depth : np.ndarray, optional
        (h, w) float 0..1, near = 1, aligned with ``image``; estimated from the image when None.

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
        self._image_src, self._depth_src = image, depth
        self._audio = AudioTextures(ctx)
        self._noise = make_noise_texture(ctx)
        self._image_tex = self._depth_tex = None
        self._presenter = Presenter(ctx, width_px=self.width_px, height_px=self.height_px)
        self._passes: list[_Pass] = []
        self._targets: dict[str, FeedbackTarget] = {}
        self._dither = None  # (jitter, height) uniforms of a self-dithering output pass
        self.present_output = True
        """Run the dithering present pass each frame (``read_rgb``/``output_fbo``). A live window
        that composites ``output_texture`` itself sets it False and saves a full-screen pass."""
        self._build(self.scene)

    # -- building -------------------------------------------------------------------------
    def _build(self, info: SceneInfo) -> None:
        sources = info.sources()
        programs = []
        fused = False
        try:
            for source in sources[:-1]:
                programs.append(compile_program(self.ctx, source))
            if self._fusable(info, sources[-1], programs):
                try:
                    programs.append(compile_program(self.ctx, wrap_main(sources[-1], DITHER_EPILOGUE)))
                    fused = True
                except ShaderError:  # report the scene's own error, or (a name clash) do without
                    pass
            if not fused:
                programs.append(compile_program(self.ctx, sources[-1]))
        except Exception:
            for p in programs:
                p.release()
            raise
        # Feedback survives a reload: a target of the same name, size and format is kept.
        old_targets = self._targets
        self._release_passes(keep_targets=True)
        for i, spec in enumerate(info.passes):
            if spec.target in self._targets:
                continue
            size = self._size(spec)
            float_target = spec.float_target and not (fused and i == len(info.passes) - 1)
            prev = old_targets.pop(spec.target, None)
            if prev is not None and prev.size_px == size and _is_half_float(prev) == float_target:
                self._targets[spec.target] = prev
                continue
            if prev is not None:
                prev.release()
            self._targets[spec.target] = FeedbackTarget(self.ctx, size_px=size, float_target=float_target)
        for prev in old_targets.values():
            prev.release()
        for spec, program in zip(info.passes, programs):
            self._passes.append(self._bind(program, self._targets[spec.target]))
        last = programs[-1]
        # Either uniform is optimized away when the scene's colour is constant black or white.
        self._dither = (last.get("reactor_jitter", None), last.get("reactor_height", None)) if fused else None
        self.scene = info
        self._used = frozenset(n for p in self._passes for n in _uniform_names(p.program))
        if {"u_image", "u_depth"} & self._used and self._image_tex is None:
            self.set_image(self._image_src, depth=self._depth_src)

    def _size(self, spec) -> tuple[int, int]:
        return max(1, round(self.width_px * spec.scale)), max(1, round(self.height_px * spec.scale))

    def _fusable(self, info: SceneInfo, last_source, earlier_programs) -> bool:
        """Whether the output pass can dither itself: no pass reads its target back.

        Its target must be exactly the output size and neither it (``u_prev``,
        ``u_pass_<target>``) nor an earlier pass (``u_pass_<target>``) may sample it.
        """
        spec = info.passes[-1]
        own = f"u_pass_{spec.target}"
        return (self._size(spec) == (self.width_px, self.height_px)
                and not any(last_source.references(n) for n in ("u_prev", own))
                and not any(own in _uniform_names(p) for p in earlier_programs))

    def _bind(self, program, target: FeedbackTarget) -> _Pass:
        names = _uniform_names(program)
        rp = _Pass(program=program, vao=fullscreen_vao(self.ctx, program), target=target)
        rp.frame = {n: program[n] for n in _FRAME_UNIFORMS if n in names}
        # Scalars are floats in the generated header; a scene that declares one itself with
        # another type (or a vector p_*) is left alone rather than crashing every frame.
        rp.features = [(program[f"u_{k}"], k) for k in SCALARS
                       if k != "time" and f"u_{k}" in names and _is_float(program[f"u_{k}"])]
        rp.params = [(program[n], n[2:]) for n in sorted(names) if n.startswith("p_") and _is_float(program[n])]
        unit = 0
        for name in sorted(names):
            getter = self._sampler_getter(name, target)
            if getter is None:
                continue
            program[name].value = unit
            rp.samplers.append((unit, getter))
            unit += 1
        return rp

    def _sampler_getter(self, name: str, target: FeedbackTarget) -> Callable | None:
        if name == "u_prev":
            return lambda: target.read
        if name.startswith("u_pass_") and name[7:] in self._targets:
            other = self._targets[name[7:]]
            return lambda: other.read
        if name in self._audio.textures:
            tex = self._audio.textures[name]
            return lambda: tex
        if name == "u_noise":
            return lambda: self._noise
        if name == "u_image":
            return lambda: self._image_tex
        if name == "u_depth":
            return lambda: self._depth_tex
        return None

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
            scene's shader default.
        time_s, dt_s : float
            Frame time and time since the previous frame, seconds.
        """
        self._audio.update(features, time_s=time_s, used=self._used)
        scalars = features.scalars
        defaults = self.scene.params
        if self._dither is not None:
            jitter, height = self._dither
            if jitter is not None:
                jitter.value = dither_jitter(self.frame)
            if height is not None:
                height.value = float(self.height_px)
        for rp in self._passes:
            w, h = rp.target.size_px
            frame_values = {"u_time": float(time_s), "u_dt": float(dt_s), "u_frame": self.frame,
                            "u_resolution": (float(w), float(h)), "u_aspect": w / h}
            for name, uniform in rp.frame.items():
                uniform.value = frame_values[name]
            for uniform, key in rp.features:
                uniform.value = float(scalars.get(key, 0.0))
            for uniform, key in rp.params:
                if key in params:
                    uniform.value = float(params[key])
                elif key in defaults:
                    uniform.value = float(defaults[key])
            for unit, getter in rp.samplers:
                getter().use(location=unit)
            rp.target.write_fbo.use()
            draw_fullscreen(rp.vao)
            rp.target.swap()
        if self._dither is None and self.present_output:
            self._presenter.present(self.output_texture, frame=self.frame)
        self.frame += 1

    @property
    def output_texture(self):
        """The last pass's latest output, e.g. for a live window: RGBA16F, or RGBA8 already
        dithered when the output pass dithers itself (``self_dithered``)."""
        return self._passes[-1].target.read

    @property
    def output_fbo(self):
        """The 8-bit framebuffer holding the dithered pixels ``read_rgb`` returns (for
        asynchronous readback); its row order is given by ``output_rows_top_first``."""
        return self._passes[-1].target.read_fbo if self._dither is not None else self._presenter.fbo

    @property
    def output_rows_top_first(self) -> bool:
        """Whether ``output_fbo`` stores rows top first (the present pass draws upside down);
        a self-dithering output pass stores them bottom first, as GL draws."""
        return self._dither is None

    @property
    def self_dithered(self) -> bool:
        """Whether the output pass dithers itself (no separate present pass)."""
        return self._dither is not None

    def read_rgb(self) -> np.ndarray:
        """The last rendered frame, dithered, as a new ``uint8 (height, width, 3)``, top row first."""
        if self._dither is not None:
            return self._presenter.read_rgb(self._passes[-1].target.read_fbo)
        return self._presenter.read_rgb()

    def present_to(self, framebuffer, *, viewport: tuple[int, int, int, int]) -> None:
        """Draw the last frame, dithered and upright, into ``viewport`` of ``framebuffer`` (a window)."""
        self._presenter.present_to(self.output_texture, framebuffer, frame=self.frame, viewport=viewport,
                                   dither=self._dither is None)

    def reload(self, scene=None) -> None:
        """Recompile this scene (or switch to ``scene``) in place, keeping the output size.

        On a ``ShaderError`` the previous programs stay in use: the show goes on.
        """
        info = load_scene(scene if scene is not None else self.scene.path)
        self._build(info)

    def resize(self, width_px: int, height_px: int) -> None:
        """Change the output size, keeping the feedback content (resampled into the new targets).

        Programs are kept (no recompile); the reference image is refitted to the new size.
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
            new = FeedbackTarget(self.ctx, size_px=self._size(spec), float_target=_is_half_float(prev))
            for fbo in (new.read_fbo, new.write_fbo):  # bilinear resample of the latest frame
                old_presenter.present_to(prev.read, fbo, frame=0, viewport=(0, 0, *new.size_px), dither=False)
            self._targets[spec.target] = new
        programs = [rp.program for rp in self._passes]
        for rp in self._passes:
            rp.vao.release()
        self._passes = [self._bind(program, self._targets[spec.target])
                        for spec, program in zip(self.scene.passes, programs)]
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
        for obj in (self._noise, self._image_tex, self._depth_tex):
            if obj is not None:
                obj.release()
        self._image_tex = self._depth_tex = None
        self._presenter.release()

    def _release_passes(self, *, keep_targets: bool = False) -> None:
        for rp in self._passes:
            rp.vao.release()
            rp.program.release()
        if not keep_targets:
            for target in self._targets.values():
                target.release()
        self._passes, self._targets = [], {}

    def __enter__(self) -> "Renderer":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _uniform_names(program) -> set[str]:
    import moderngl

    return {name for name in program if isinstance(program[name], moderngl.Uniform)}


def _is_float(uniform) -> bool:
    return uniform.gl_type == _GL_FLOAT and uniform.array_length == 1


def _is_half_float(target: FeedbackTarget) -> bool:
    return target.read.dtype == "f2"


def _as_float(a) -> np.ndarray:
    a = np.asarray(a)
    return a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32, copy=False)

