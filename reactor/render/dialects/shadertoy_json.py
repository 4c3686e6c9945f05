"""Shadertoy's own JSON (the site's API reply or an export: ``{"Shader": {"info": ..., "renderpass":
[...]}}``) as a scene: every pass, its code and what each channel reads, exactly as saved.

Channel types map to reactor's textures: ``music``/``musicstream``/``mic``/``soundcloud`` -> the
sound texture; ``buffer`` -> that buffer; ``keyboard`` -> black (no key is down); ``texture``,
``cubemap``, ``volume`` -> noise (2D or cube; Shadertoy's media files are not shipped), ``video``
and ``webcam`` -> the reference image. Each substitution is reported once. An unbound channel
reads black, as on the site. ``Sound`` and ``Cube A`` passes are skipped, with a notice.
Errors in a pass read ``file.json[Buffer A]:12: message``.
"""

from __future__ import annotations

import json
from pathlib import Path

from reactor.errors import ShaderError
from reactor.render.dialects import shadertoy
from reactor.render.programs import display_path

# The site's fixed output ids of Buffers A-D (also in older "/media/previz/bufferNN.png" sources).
_BUFFER_IDS = {"4dXGR8": "A", "XsXGR8": "B", "4sXGR8": "C", "XdfGR8": "D"}
_SOUND = {"music", "musicstream", "mic", "soundcloud"}
_STANDINS = {"texture": "noise", "cubemap": "noise_cube", "volume": "noise_cube", "keyboard": "black",
             "video": "image", "webcam": "image"}


def shader_object(data):
    """The shader dict inside a parsed JSON document, or None when it is not a Shadertoy shader."""
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if isinstance(data, dict) and isinstance(data.get("Shader"), dict):
        data = data["Shader"]
    if isinstance(data, dict) and isinstance(data.get("renderpass"), list):
        return data
    return None


def read(path: Path):
    """Parse ``path``; one-line ShaderError when it is not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ShaderError(f"{display_path(path)}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ShaderError(f"{display_path(path)}:{exc.lineno}: not valid JSON: {exc.msg}") from None


def _pass_name(rp: dict) -> str | None:
    kind = str(rp.get("type", "")).lower()
    if kind == "image":
        return "Image"
    if kind == "buffer":
        name = str(rp.get("name", ""))
        letter = name[-1:].upper()
        if letter in shadertoy.BUFFERS:
            return letter
        for out in rp.get("outputs", []) or []:
            if isinstance(out, dict) and str(out.get("id")) in _BUFFER_IDS:
                return _BUFFER_IDS[str(out["id"])]
    return None


def _buffer_of(inp: dict, ids: dict) -> str | None:
    key = str(inp.get("id", ""))
    if key in ids:
        return ids[key]
    if key in _BUFFER_IDS:
        return _BUFFER_IDS[key]
    src = str(inp.get("src", "") or inp.get("filepath", ""))
    for n, letter in enumerate(shadertoy.BUFFERS):
        if f"buffer0{n}" in src:
            return letter
    return None


def json_info(path: Path):
    """A Shadertoy JSON export as one ``SceneInfo``."""
    shown = display_path(path)
    shader = shader_object(read(path))
    if shader is None:
        raise ShaderError(f"{shown}: not a Shadertoy JSON export (no \"renderpass\" list)")
    notes: list[str] = []
    ids: dict[str, str] = {}
    named = []
    common_lines: list = []
    for i, rp in enumerate(shader["renderpass"]):
        if not isinstance(rp, dict) or not isinstance(rp.get("code"), str):
            raise ShaderError(f"{shown}: renderpass[{i}] has no \"code\" string")
        kind = str(rp.get("type", "")).lower()
        label = f"{shown}[{rp.get('name') or kind or i}]"
        lines = [(t, label, n) for n, t in enumerate(rp["code"].splitlines(), start=1)]
        if kind == "common":
            common_lines = lines
            continue
        name = _pass_name(rp)
        if name is None:
            notes.append(f"{label}: a '{kind}' pass is not supported; skipped")
            continue
        for out in rp.get("outputs", []) or []:
            if isinstance(out, dict) and "id" in out:
                ids[str(out["id"])] = name
        named.append((name, rp, lines, label))
    if not any(n == "Image" for n, *_ in named):
        raise ShaderError(f"{shown}: no Image pass")
    passes = {}
    for name, rp, lines, label in named:
        channels = ["black"] * 4
        for inp in rp.get("inputs", []) or []:
            if not isinstance(inp, dict):
                continue
            ch = inp.get("channel")
            if not isinstance(ch, int) or not 0 <= ch <= 3:
                continue
            ctype = str(inp.get("ctype", inp.get("type", ""))).lower()
            if ctype in _SOUND:
                channels[ch] = "sound"
            elif ctype == "buffer":
                letter = _buffer_of(inp, ids)
                if letter is None or all(n != letter for n, *_ in named):
                    notes.append(f"{label}: iChannel{ch} reads a buffer the file does not contain; black instead")
                else:
                    channels[ch] = f"pass:{letter}"
            elif ctype in _STANDINS:
                channels[ch] = _STANDINS[ctype]
                if ctype != "keyboard":
                    what = inp.get("src") or inp.get("filepath") or ctype
                    notes.append(f"{label}: iChannel{ch} is a Shadertoy {ctype} ({what}); "
                                 f"{_STANDINS[ctype].replace('_', ' ')} stands in for it")
            else:
                notes.append(f"{label}: iChannel{ch} has unknown type {ctype!r}; black instead")
        passes[name] = (path, channels, lines)
    info = shader.get("info", {}) if isinstance(shader.get("info"), dict) else {}
    scene = shadertoy._info(path, passes, description=str(info.get("name", "")), common_lines=common_lines,
                            notes=notes)
    return scene
