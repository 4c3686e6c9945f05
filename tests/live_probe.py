"""Run a live show in this process and dump what the tests need as JSON (run in a subprocess:
a glfw/GLX window must not share a process with the suite's headless EGL context).

    python tests/live_probe.py sync OUT.json     frame clock vs heard position (silent clock)
    python tests/live_probe.py flaky OUT.json    every frame from the 15th fails to render
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np


def _source():
    from reactor.audio.clips import load_clip
    from reactor.audio.paced import PacedSource

    return PacedSource(load_clip(demo=True, start_s=8.0), loop=True)


def sync() -> dict:
    from reactor.live.show import LiveOptions, Show

    source = _source()
    opts = LiveOptions(presets=("scope",), width_px=160, height_px=96, frames=90, watch=False, hud=True,
                       fps=30.0, trace=True)
    stats = Show(opts, source).run()
    return {"stats": stats, "started_s": source.started_s}


def flaky() -> dict:
    from reactor.live.show import LiveOptions, Show
    from reactor.render.renderer import Renderer

    real = Renderer.render

    def render(self, *a, **kw):
        if self.frame >= 15:
            raise RuntimeError("boom")
        return real(self, *a, **kw)

    Renderer.render = render
    lit: list[float] = []

    class Probe(Show):
        def _frame(self):
            super()._frame()
            lit.append(float(np.frombuffer(self.ctx.screen.read(viewport=(0, 0, 160, 96)), np.uint8).mean()))

    stats = Probe(LiveOptions(presets=("tunnel",), width_px=160, height_px=96, frames=40, watch=False, hud=False),
                  _source()).run()
    return {"stats": stats, "lit": lit}


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    mode, out = sys.argv[1:]
    with open(out, "w") as fh:
        json.dump({"sync": sync, "flaky": flaky}[mode](), fh)
