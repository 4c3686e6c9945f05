"""The ISF file header: the leading ``/*{ JSON }*/`` comment, parsed once, with the body's lines
kept at their numbers (the header's lines become blank) so GLSL errors point at the user's line."""

from __future__ import annotations

import json
import re
from pathlib import Path

from reactor.errors import ShaderError
from reactor.render.dialects.common import Line, read_lines
from reactor.render.programs import display_path

_HEADER_START = re.compile(r"^\s*/\*")


def is_isf(text: str) -> bool:
    """Whether source text starts with an ISF JSON header comment."""
    m = _HEADER_START.match(text)
    return m is not None and text[m.end():].lstrip().startswith("{")


def split_header(path: Path) -> tuple[dict, list[Line]]:
    """The parsed JSON header and the body lines (the header's lines blanked, numbers kept).

    Raises
    ------
    ShaderError
        ``file:line: malformed ISF JSON header: reason``.
    """
    lines = read_lines(path)
    shown = display_path(path)
    text = "\n".join(t for t, _, _ in lines)
    start = text.find("/*")
    end = text.find("*/", start + 2)
    if start < 0 or not is_isf(text):
        raise ShaderError(f"{shown}:1: not an ISF file (it must start with a /*{{ JSON }}*/ header)")
    if end < 0:
        raise ShaderError(f"{shown}:{text[:start].count(chr(10)) + 1}: ISF header comment is not closed with */")
    raw = text[start + 2:end]
    first_line = text[:start + 2].count("\n") + 1
    lenient = None
    try:
        header = json.loads(raw)
    except json.JSONDecodeError as exc:
        # Hand-edited headers often carry a trailing comma, which ISF hosts accept; take it, say so.
        header, lenient = _lenient_json(raw), exc
        if header is None:
            raise ShaderError(f"{shown}:{first_line + exc.lineno - 1}: malformed ISF JSON header: {exc.msg} "
                              f"(column {exc.colno})") from None
    if not isinstance(header, dict):
        raise ShaderError(f"{shown}:{first_line}: malformed ISF JSON header: expected an object {{...}}")
    if lenient is not None:
        header = dict(header)
        header["__lenient__"] = (f"{shown}:{first_line + lenient.lineno - 1}: the ISF header is not strict JSON "
                                 f"({lenient.msg}: a trailing comma); read it anyway")
    last_line = text[:end].count("\n") + 1
    tail = text[end + 2:].split("\n", 1)[0]
    body = [("", f, n) if n < last_line else ((tail, f, n) if n == last_line else (t, f, n))
            for t, f, n in lines]
    return header, body


_TRAILING_COMMA = re.compile(r",(\s*[\]}])")


def _lenient_json(raw: str):
    """``raw`` parsed with trailing commas allowed (outside strings), else None."""
    out, in_string, escaped = [], False, False
    for ch in raw:  # blank string contents so the comma pattern cannot match inside them
        if in_string:
            out.append(" " if ch not in '"\\' else ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        else:
            out.append(ch)
            in_string = ch == '"'
    masked = "".join(out)
    cleaned = list(raw)
    for m in reversed(list(_TRAILING_COMMA.finditer(masked))):
        cleaned[m.start()] = " "
    try:
        return json.loads("".join(cleaned))
    except json.JSONDecodeError:
        return None


