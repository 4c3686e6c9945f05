"""MIDI input ports opened by name and kept open across unplug and replug: :class:`PortSet`.

Threads (the contract):

- a **keeper** thread owns every rtmidi object: it lists the ports every ``scan_s`` with one
  long-lived client (listing with a fresh client costs ~0.2 s under JACK; opening a port ~0.1 s,
  too long for the render thread), opens the ones asked for, closes the ones that vanished and
  reopens them by name when they come back, and queues one-line notices about it;
- rtmidi's input thread runs the callback, which only stamps ``perf_counter()`` and queues
  ``(port, bytes, stamp)``;
- the render thread calls :meth:`PortSet.drain` and :meth:`PortSet.notices`.

Two ``queue.SimpleQueue`` objects and an immutable status tuple are all that cross threads.
rtmidi (python-rtmidi) and mido are imported only when a port set starts.
"""

from __future__ import annotations

import os
import queue
import re
import threading
import time
from typing import Sequence

from reactor.errors import MidiError

__all__ = ["PortSet", "API_NAMES", "API_ENV", "list_ports", "load_rtmidi", "api_id"]

API_NAMES = {"jack": "UNIX_JACK", "alsa": "LINUX_ALSA", "coremidi": "MACOSX_CORE", "winmm": "WINDOWS_MM"}
"""``--midi-api`` names -> rtmidi's API names (default: rtmidi's own choice)."""
API_ENV = "REACTOR_MIDI_API"
"""Environment variable naming the MIDI API when ``--midi-api`` is not given."""
INSTALL_HINT = "pip install 'reactor[live]' (mido and python-rtmidi)"
SCAN_S = 0.5
"""How often the keeper looks for ports that vanished or came back."""
RETRY_S = 2.0
"""How often the keeper tries again while the MIDI system itself is unavailable."""
CLIENT = "reactor"
_ALSA_ADDRESS = re.compile(r"\s+\d+:\d+$")


def load_rtmidi():
    """The ``rtmidi`` module, or ``MidiError`` saying what to install."""
    try:
        import rtmidi
    except ImportError:
        raise MidiError(f"MIDI needs the python-rtmidi package: {INSTALL_HINT}") from None
    return rtmidi


def api_id(rtmidi, api: str | None) -> int:
    """rtmidi's API constant for ``api`` (``jack``, ``alsa``, ...; None: ``$REACTOR_MIDI_API``, else default)."""
    api = api or os.environ.get(API_ENV) or None
    if api is None:
        return rtmidi.API_UNSPECIFIED
    name = API_NAMES.get(api.lower(), api.upper())
    value = getattr(rtmidi, f"API_{name}", None)
    if value is None:
        raise MidiError(f"unknown MIDI API {api!r} (choices: {', '.join(API_NAMES)})")
    if value not in rtmidi.get_compiled_api():
        have = [k for k, v in API_NAMES.items() if getattr(rtmidi, f"API_{v}", None) in rtmidi.get_compiled_api()]
        raise MidiError(f"this python-rtmidi has no {api} support (it has: {', '.join(have) or 'none'})")
    return value


def base_name(port: str) -> str:
    """A port's name without ALSA's ``client:port`` address, which changes when a device is replugged."""
    return _ALSA_ADDRESS.sub("", port)


def list_ports(api: str | None = None) -> list[dict]:
    """MIDI ports for ``reactor devices``: rows with ``kind`` "midi", ``index``, ``name``,
    ``inputs`` / ``outputs`` (1 when the port sends to / receives from reactor) and ``hostapi``.

    An input here is a port reactor can read (a controller); an output one it could send to.
    """
    rtmidi = load_rtmidi()
    rt_api = api_id(rtmidi, api)
    try:
        mi, mo = rtmidi.MidiIn(rt_api, name=f"{CLIENT} list"), rtmidi.MidiOut(rt_api, name=f"{CLIENT} list")
    except Exception as exc:  # no ALSA sequencer, no JACK server: rtmidi raises a SystemError
        raise MidiError(f"cannot list MIDI ports: {exc}") from None
    try:
        host = rtmidi.get_api_name(mi.get_current_api())
        ins, outs = mi.get_ports(), mo.get_ports()
    finally:
        mi.delete()
        mo.delete()
    names = list(dict.fromkeys(ins + outs))
    return [{"kind": "midi", "index": i, "name": n, "inputs": int(n in ins), "outputs": int(n in outs),
             "hostapi": host} for i, n in enumerate(names)]


class PortSet:
    """Input ports whose names contain one of ``specs`` (case-insensitive; ``"all"``: every port
    but reactor's own), opened on :meth:`start` and kept open; see the module docstring."""

    def __init__(self, specs: Sequence[str], *, api: str | None = None, scan_s: float = SCAN_S) -> None:
        if not specs:
            raise MidiError("give at least one MIDI port name (or 'all')")
        self.specs = tuple(str(s) for s in specs)
        self.api = api
        self.scan_s = float(scan_s)
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._notes: queue.SimpleQueue = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.status: tuple[dict, ...] = ()
        """Per port seen: name, ``open`` (bool), ``reopened`` (count); replaced whole by the keeper."""
        self.ready = threading.Event()  # set after the first scan
        self._matched: set[str] = set()  # keeper thread: specs that have matched a port

    # -- render thread ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the keeper thread (once). Raises ``MidiError`` when rtmidi or the API is missing."""
        if self._thread is not None:
            return
        rtmidi = load_rtmidi()
        api = api_id(rtmidi, self.api)
        try:
            import mido  # parses the bytes on the render thread
        except ImportError:
            raise MidiError(f"MIDI needs the mido package: {INSTALL_HINT}") from None

        self._parse = mido.Message.from_bytes
        self._thread = threading.Thread(target=self._keep, args=(rtmidi, api), name="reactor-midi-ports", daemon=True)
        self._thread.start()

    def drain(self) -> list[tuple[str, object, float]]:
        """Everything received since the last call: (port name, mido message, perf_counter stamp)."""
        out = []
        while True:
            try:
                port, data, stamp = self._inbox.get_nowait()
            except queue.Empty:
                return out
            try:
                out.append((port, self._parse(data), stamp))
            except (ValueError, TypeError):  # a broken or partial message: skip it
                continue

    def notices(self) -> list[str]:
        """One-line messages from the keeper (opened, lost, back, unavailable)."""
        out = []
        while True:
            try:
                out.append(self._notes.get_nowait())
            except queue.Empty:
                return out

    def open_ports(self) -> list[str]:
        return [p["name"] for p in self.status if p["open"]]

    def close(self) -> None:
        """Stop the keeper; it closes every port."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    # -- keeper thread ---------------------------------------------------------------------------
    def _wants(self, name: str) -> bool:
        low = name.lower()
        return any((spec.lower() == "all" and not low.startswith(CLIENT)) or spec.lower() in low for spec in self.specs)

    def _callback(self, port: str):
        inbox, stamp_now = self._inbox, time.perf_counter

        def received(event, data=None) -> None:  # rtmidi's input thread: stamp and queue, nothing else
            inbox.put((port, event[0], stamp_now()))

        return received

    def _keep(self, rtmidi, api: int) -> None:
        scanner, opened, reopened, lost = None, {}, {}, set()
        said: set[str] = set()

        def say(text: str, *, once: bool = False) -> None:
            if once and text in said:
                return
            said.add(text)
            self._notes.put(text)

        while True:
            try:
                if scanner is None:
                    scanner = rtmidi.MidiIn(api, name=f"{CLIENT} scan")
                names = scanner.get_ports()
                self._update(rtmidi, api, names, opened, reopened, lost, say)
            except Exception as exc:  # the MIDI system went away (JACK stopped, no sequencer): keep trying
                say(f"MIDI unavailable: {str(exc).rstrip('.')}; trying again", once=True)
                scanner = _delete(scanner)
                if self._stop.wait(max(0.0, RETRY_S - self.scan_s)):  # each try may log in the C library
                    break
            self.status = tuple({"name": n, "open": n in opened, "reopened": reopened.get(base_name(n), 0)}
                                for n in sorted(set(opened) | {p["name"] for p in self.status}))
            self.ready.set()
            if self._stop.wait(self.scan_s):
                break
        for port in opened.values():
            _delete(port)
        _delete(scanner)

    def _update(self, rtmidi, api, names, opened, reopened, lost, say) -> None:
        for name in [n for n in opened if n not in names]:
            _delete(opened.pop(name))
            base = base_name(name)
            lost.add(base)
            count = reopened.get(base, 0)
            say(f"MIDI port '{name}' lost; waiting for it to come back" + (f" (lost {count + 1} times)" if count else ""))
        for name in names:
            if name in opened or not self._wants(name):
                continue
            port = None
            try:
                port = rtmidi.MidiIn(api, name=CLIENT)
                port.ignore_types(sysex=True, timing=False, active_sense=True)
                here = port.get_ports()  # by name in this client's own list: ports may have come and gone
                if name not in here:
                    _delete(port)
                    continue
                port.open_port(here.index(name), name=f"in {len(opened) + 1}")
                port.set_callback(self._callback(name))
            except Exception as exc:
                _delete(port)
                say(f"MIDI port '{name}' cannot be opened: {exc}", once=True)
                continue
            opened[name] = port
            base = base_name(name)
            if base in lost:
                lost.discard(base)
                reopened[base] = reopened.get(base, 0) + 1
                n = reopened[base]
                say(f"MIDI port '{name}' is back" + (f" (reopened {n} times)" if n > 1 else ""))
            else:
                say(f"MIDI port '{name}' open")
        for spec in self.specs:
            if any(spec.lower() in n.lower() for n in opened):
                self._matched.add(spec)
            elif spec.lower() != "all" and spec not in self._matched:  # a lost port has said so itself
                others = ", ".join(names) or "none"
                say(f"MIDI: no port matches '{spec}' (ports: {others}); waiting for it", once=True)


def _delete(port) -> None:
    """Close and free an rtmidi object (keeper thread); errors on the way out are of no use."""
    if port is None:
        return None
    for step in ("cancel_callback", "close_port", "delete"):
        try:
            getattr(port, step)()
        except Exception:
            pass
    return None
