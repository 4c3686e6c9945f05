"""Sound devices: list them, find one by index or name, and load the sound library lazily.

``sounddevice`` (and the PortAudio library under it) is imported only here and only when a
function is called, so ``reactor render``/``analyze`` run on machines without either. PortAudio
enumerates devices once when it is loaded; :func:`refresh` reloads it so a device plugged in
(or back) later can be found.
"""

from __future__ import annotations

from typing import Any

from reactor.errors import AudioDeviceError

INSTALL_HINT = "pip install 'reactor[live]' and, on Debian/Ubuntu, apt-get install libportaudio2"
_KINDS = ("input", "output")


def load_sounddevice() -> Any:
    """The ``sounddevice`` module, or ``AudioDeviceError`` saying what to install."""
    try:
        import sounddevice
    except ImportError:
        raise AudioDeviceError(f"live audio needs the sounddevice package: {INSTALL_HINT}") from None
    except OSError:  # sounddevice is there, the PortAudio shared library is not
        raise AudioDeviceError(f"live audio needs the PortAudio library: {INSTALL_HINT}") from None
    return sounddevice


def refresh() -> None:
    """Re-enumerate devices (reloads PortAudio). Closes every open stream: call it only when none is."""
    sd = load_sounddevice()
    sd._terminate()
    sd._initialize()


def list_devices() -> list[dict]:
    """Every sound device PortAudio sees.

    Returns
    -------
    list of dict
        ``kind`` ("audio"; MIDI ports will be listed with kind "midi"), ``index``, ``name``,
        ``inputs``, ``outputs`` (channel counts), ``default_samplerate`` (Hz), ``hostapi``
        (name), ``is_default_input``, ``is_default_output``, ``input_latency_ms`` and
        ``output_latency_ms`` (PortAudio's default low latency).
    """
    sd = load_sounddevice()
    try:
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
        default_in, default_out = _defaults(sd)
    except sd.PortAudioError as e:
        raise AudioDeviceError(f"cannot list sound devices: {e}") from None
    rows = []
    for d in devices:
        i = int(d["index"])
        rows.append({
            "kind": "audio", "index": i, "name": str(d["name"]),
            "inputs": int(d["max_input_channels"]), "outputs": int(d["max_output_channels"]),
            "default_samplerate": float(d["default_samplerate"]),
            "hostapi": str(hostapis[d["hostapi"]]["name"]),
            "is_default_input": i == default_in, "is_default_output": i == default_out,
            "input_latency_ms": round(1000.0 * float(d["default_low_input_latency"]), 2),
            "output_latency_ms": round(1000.0 * float(d["default_low_output_latency"]), 2),
        })
    return rows


def _defaults(sd) -> tuple[int, int]:
    dev = sd.default.device
    try:
        i, o = dev
    except TypeError:  # one value for both
        i = o = dev
    i = -1 if i is None else int(i)
    o = -1 if o is None else int(o)
    if i < 0 or o < 0:  # sounddevice's default is -1 ("PortAudio's default"): ask PortAudio
        for kind in _KINDS:
            try:
                idx = int(sd.query_devices(kind=kind)["index"])
            except (sd.PortAudioError, ValueError, KeyError):
                idx = -1
            if kind == "input" and i < 0:
                i = idx
            if kind == "output" and o < 0:
                o = idx
    return i, o


def find_device(spec: int | str | None, *, kind: str) -> int | None:
    """The index of the device ``spec`` names, for ``kind`` "input" or "output".

    ``spec`` is an index (int or a string of digits), a case-insensitive substring of the name
    (an exact name wins over substrings), or None for PortAudio's default (returns None).
    Raises ``AudioDeviceError`` listing the devices of that kind when none or several match.
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'input' or 'output', got {kind!r}")
    if spec is None:
        return None
    rows = list_devices()
    key = "inputs" if kind == "input" else "outputs"
    usable = [r for r in rows if r[key] > 0]
    choices = "; ".join(f"{r['index']}: {r['name']}" for r in usable) or "none"
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        idx = int(spec)
        for r in usable:
            if r["index"] == idx:
                return idx
        raise AudioDeviceError(f"no {kind} device with index {idx} (choices: {choices})")
    want = str(spec).strip().lower()
    exact = [r for r in usable if r["name"].lower() == want]
    matches = exact or [r for r in usable if want in r["name"].lower()]
    if len(matches) == 1:
        return matches[0]["index"]
    if not matches:
        raise AudioDeviceError(f"no {kind} device matches {spec!r} (choices: {choices})")
    names = "; ".join(f"{r['index']}: {r['name']}" for r in matches)
    raise AudioDeviceError(f"{len(matches)} {kind} devices match {spec!r}: {names}; give more of the name or the index")


def format_devices(devices: list[dict]) -> str:
    """A table of :func:`list_devices` rows; ``>`` marks the default input, ``<`` the default output."""
    if not devices:
        return "no sound devices found"
    lines = [f"{'':2}{'#':>3}  {'in':>3} {'out':>3}  {'rate':>6}  {'host api':<14} name"]
    for d in devices:
        mark = (">" if d.get("is_default_input") else " ") + ("<" if d.get("is_default_output") else " ")
        lines.append(f"{mark}{d['index']:>3}  {d['inputs']:>3} {d['outputs']:>3}  {d['default_samplerate']:>6.0f}  "
                     f"{d['hostapi'][:14]:<14} {d['name']}")
    lines.append("> default input, < default output; pick one with --mic INDEX or --mic NAME")
    return "\n".join(lines)


def device_rate_hz(spec: int | str | None = None, *, kind: str = "output", channels: int = 2,
                   wanted_hz: int | None = None) -> int:
    """The rate to use with device ``spec`` (as in :func:`find_device`): ``wanted_hz`` if it
    works, else 48000, else the device's default. Load a clip for ``PlaybackSource`` at it::

        clip = load_audio(path, sample_rate_hz=device_rate_hz(args.device))
    """
    sd = load_sounddevice()
    device = find_device(spec, kind=kind)
    info = sd.query_devices(device) if device is not None else sd.query_devices(kind=kind)
    most = int(info["max_input_channels" if kind == "input" else "max_output_channels"])
    if most < 1:
        raise AudioDeviceError(f"{info['name']!r} has no {kind}s; see 'reactor devices'")
    ch = min(channels, most)
    if wanted_hz:
        try:
            return negotiate_rate(sd, device, kind=kind, channels=ch, wanted_hz=wanted_hz)
        except AudioDeviceError:
            pass
    return negotiate_rate(sd, device, kind=kind, channels=ch, wanted_hz=None)


def negotiate_rate(sd, device: int | None, *, kind: str, channels: int, wanted_hz: int | None) -> int:
    """A sample rate the device accepts: ``wanted_hz`` if given (else 48000 if it works),
    else the device's default. Raises ``AudioDeviceError`` naming what would work."""
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    info = sd.query_devices(device, kind=kind) if device is None else sd.query_devices(device)
    default_hz = int(round(float(info["default_samplerate"])))
    for rate in ([wanted_hz] if wanted_hz else [48000, default_hz]):
        try:
            check(device=device, channels=channels, samplerate=rate, dtype="float32")
            return int(rate)
        except (sd.PortAudioError, ValueError):
            continue
    if wanted_hz:
        raise AudioDeviceError(f"{info['name']!r} cannot {'record' if kind == 'input' else 'play'} at {wanted_hz} Hz "
                               f"({channels} channels); its default is {default_hz} Hz")
    raise AudioDeviceError(f"{info['name']!r} accepts neither 48000 Hz nor its default {default_hz} Hz "
                           f"for {channels} channels")


def first_present(names, *, kind: str) -> tuple[str | None, str]:
    """The first of ``names`` (in order of preference) that names one ``kind`` device, and a notice.

    Returns ``(name, notice)``: the device's full name (so the stream finds it again when it
    comes back) or ``"none"`` where that entry is reached first, or ``(None, notice)`` when no
    entry is present (then PortAudio's default device is used). The notice is one line saying
    what was chosen and what was missing.
    """
    names = [str(n) for n in names]
    missing: list[str] = []
    for name in names:
        if name.strip().lower() == "none" and kind == "output":
            return "none", _choice_notice(kind, "none (the silent clock)", missing)
        try:
            index = find_device(name, kind=kind)
        except AudioDeviceError:
            missing.append(name)
            continue
        full = next(r["name"] for r in list_devices() if r["index"] == index)
        return full, _choice_notice(kind, repr(full), missing)
    return None, f"audio {kind}: none of {', '.join(repr(n) for n in names)} is present; using the default {kind}"


def _choice_notice(kind: str, chosen: str, missing: list[str]) -> str:
    skipped = f" ({', '.join(repr(m) for m in missing)} not present)" if missing else ""
    return f"audio {kind}: using {chosen}{skipped}"
