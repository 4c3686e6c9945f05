"""ISF transitions as crossfades between two pictures (e.g. presets in ``reactor live``).

``ShaderTransition(ctx, "wipe.fs").draw(start_tex, end_tex, progress, fbo)`` draws the ISF
transition's output for ``progress`` 0 (all start) .. 1 (all end) into ``fbo``. Its other
inputs take their defaults unless given in ``params``. Runs on the thread that owns the GL
context. A single-pass transition is drawn directly; multipass transitions are not supported
(the constructor says so).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

from reactor.errors import ShaderError
from reactor.render.binding import FrameState, apply, bind_program
from reactor.render.passes import draw_fullscreen, fullscreen_vao
from reactor.render.programs import compile_program, display_path
from reactor.render.scenes import load_scene

log = logging.getLogger(__name__)


class ShaderTransition:
    """A compiled ISF transition (``startImage``, ``endImage``, ``progress``).

    Raises
    ------
    ShaderError
        Not an ISF transition, a multipass one, or a compile error (``file:line: message``).
    """

    def __init__(self, ctx, path: str | Path):
        self.ctx = ctx
        self.info = load_scene(path)
        shown = display_path(self.info.path)
        if self.info.kind != "isf" or self.info.role != "transition":
            raise ShaderError(f"{shown}: not an ISF transition (needs startImage, endImage and progress inputs)")
        if len(self.info.passes) != 1:
            raise ShaderError(f"{shown}: multipass ISF transitions are not supported")
        spec = self.info.passes[0]
        self.notices: list[str] = []
        self._program = compile_program(ctx, spec.source, vertex=spec.vertex)
        self._setters, self._samplers = bind_program(self._program, spec.bindings, where=shown, warn=self._notice)
        self._vao = fullscreen_vao(ctx, self._program)
        self._frame = 0

    def _notice(self, text: str) -> None:
        if text not in self.notices:
            self.notices.append(text)
            log.warning("%s", text)

    def draw(self, start_tex, end_tex, progress: float, fbo, *, time_s: float = 0.0, dt_s: float = 0.0,
             params: Mapping[str, float] | None = None) -> None:
        """Draw the transition at ``progress`` (clamped to 0..1) into ``fbo`` (its full viewport).

        ``start_tex``/``end_tex`` are moderngl textures (e.g. two renderers' ``output_texture``).
        """
        values = dict(params or {})
        values["progress"] = min(1.0, max(0.0, float(progress)))
        textures = {"start": start_tex, "end": end_tex, "input": start_tex}
        state = FrameState(time_s=time_s, dt_s=dt_s, frame=self._frame, size_px=tuple(fbo.size), output_px=tuple(fbo.size),
                           params=values, defaults=self.info.params,
                           texture_size=lambda k: tuple(textures[k].size) if k in textures else (1, 1))
        apply(self._setters, state)
        for unit, (name, key) in enumerate(self._samplers):
            if key not in textures:
                raise ShaderError(f"{display_path(self.info.path)}: transition input '{name}' reads "
                                  f"'{key}', which a crossfade cannot provide")
            textures[key].use(location=unit)
        fbo.use()
        draw_fullscreen(self._vao)
        self._frame += 1

    def release(self) -> None:
        """Free the GL objects."""
        self._vao.release()
        self._program.release()
