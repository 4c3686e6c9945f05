"""Helpers shared by the dialect front-ends: reading a user's file with its line numbers, the
line-preserving shims that let Shadertoy / ISF code compile as desktop GLSL, and assembling a
``ShaderSource`` whose line map points back at the user's file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

from reactor.errors import ShaderError
from reactor.render.programs import ShaderSource, display_path

Line = tuple[str, str, int]  # (text, file shown in messages, 1-based line)

_VERSION = re.compile(r"^\s*#\s*version\b")
_EXTENSION = re.compile(r"^\s*#\s*extension\b")
_OWN_UNIFORM = re.compile(r"^\s*uniform\s+(?:(?:lowp|mediump|highp)\s+)?\w+\s+(\w+)\s*(?:\[[^\]]*\])?\s*[;=]")

GLSL_VERSION = "#version 330 core"
"""Shadertoy (GLSL ES 3.00) and ISF (GLSL 1.x) code compiles as desktop GLSL 3.30: the newest
version whose keywords do not take names real files use (``sample``, ``precise`` and ``patch``
are keywords from 4.00 on)."""

GLSL_EXTENSIONS = (
    # GLSL ES 3.00 has packHalf2x16 and friends, desktop GLSL only from 4.20: take them from the
    # extension (drivers without it only warn; code that does not pack is unaffected).
    "#extension GL_ARB_shading_language_packing : enable",
)

COMPAT_DEFINES = (
    "#define texture2D texture",
    "#define texture2DLod textureLod",
    "#define texture2DLodEXT textureLod",
    "#define texture2DGradEXT textureGrad",
    "#define texture2DProj textureProj",
    "#define textureCube texture",
    "#define textureCubeLod textureLod",
    "#define textureCubeLodEXT textureLod",
    "#define texture3D texture",
)
"""GLSL ES 1 / GLSL 1.x texture function names, as macros (no code is rewritten)."""


def read_lines(path: Path) -> list[Line]:
    """``(text, shown name, line)`` of every line of ``path``; one-line ``ShaderError`` if unreadable."""
    shown = display_path(path)
    try:
        # not every collection is UTF-8 (a cp1252 (c) in a comment): such bytes become '?' below
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise ShaderError(f"{shown}: cannot read shader: {exc}") from None
    return [(t, shown, n) for n, t in enumerate(text.splitlines(), start=1)]


def shim(lines: Iterable[Line]) -> list[Line]:
    """Blank ``#version`` and ``#extension`` lines (the generated header has its own), turn
    non-ASCII characters (in comments) into ``?``; keep the rest.

    Lines are never inserted or removed, so every ``file:line`` stays right.
    """
    out = []
    for text, file, number in lines:
        if _VERSION.match(text) or _EXTENSION.match(text):
            text = ""
        elif not text.isascii():
            # GLSL source is ASCII; some drivers reject a (c) sign even in a comment
            text = text.encode("ascii", "replace").decode("ascii")
        out.append((text, file, number))
    return out


def declared_uniforms(lines: Iterable[Line]) -> set[str]:
    """Names the user's code declares itself as uniforms (the header must not declare them again)."""
    return {m.group(1) for text, _, _ in lines if (m := _OWN_UNIFORM.match(text))}


def assemble(path: Path, header: Sequence[str], body: Sequence[Line], footer: Sequence[str] = (),
             *, tag: str) -> ShaderSource:
    """A ``ShaderSource``: generated ``header`` lines (origin ``<header>``), the user's ``body``
    lines with their own origins, then generated ``footer`` lines (origin ``<tag>``)."""
    text = list(header) + [t for t, _, _ in body] + list(footer)
    origins = ([("<header>", i + 1) for i in range(len(header))] + [(f, n) for _, f, n in body]
               + [(f"<{tag}>", i + 1) for i in range(len(footer))])
    return ShaderSource(path=path, text="\n".join(text) + "\n", origins=tuple(origins))
