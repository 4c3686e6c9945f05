"""A stand-in for the ``sounddevice`` module: devices that can vanish and come back, and streams
whose callbacks the test drives by hand (no threads, no sound card).

Install it with ``monkeypatch.setitem(sys.modules, "sounddevice", FakeSoundDevice(...))``.
"""

from __future__ import annotations

import types

import numpy as np


class PortAudioError(Exception):
    pass


class TimeInfo:
    def __init__(self, current: float, adc: float = 0.0, dac: float = 0.0) -> None:
        self.currentTime, self.inputBufferAdcTime, self.outputBufferDacTime = current, adc, dac


class FakeStream:
    def __init__(self, sd, kind, *, device, channels, samplerate, blocksize, dtype, latency, callback,
                 finished_callback) -> None:
        self.sd, self.kind, self.device, self.channels = sd, kind, device, channels
        self.samplerate, self.blocksize, self.callback = samplerate, blocksize, callback
        self.finished_callback = finished_callback
        self.latency = 0.008
        self.started = self.closed = False
        self.stream_time = 0.0
        sd.streams.append(self)

    def start(self):
        if self.sd.fail_open:
            raise PortAudioError("device unavailable")
        self.started = True

    def abort(self, ignore_errors=True):
        self.started = False

    def close(self, ignore_errors=True):
        self.closed = True

    def feed(self, block: np.ndarray, *, adc_delay_s: float = 0.004) -> None:
        """An input callback with ``block`` (n, channels)."""
        n = len(block)
        self.stream_time += n / self.samplerate
        self.callback(np.ascontiguousarray(block, np.float32), n, TimeInfo(self.stream_time,
                      adc=self.stream_time - adc_delay_s), None)

    def pull(self, frames: int, *, dac_delay_s: float = 0.02) -> np.ndarray:
        """An output callback; returns what the stream wrote."""
        out = np.full((frames, self.channels), np.nan, np.float32)
        self.callback(out, frames, TimeInfo(self.stream_time, dac=self.stream_time + dac_delay_s), None)
        self.stream_time += frames / self.samplerate
        return out


class FakeSoundDevice(types.ModuleType):
    """Devices are dicts with name, inputs, outputs, rates (the rates they accept)."""

    PortAudioError = PortAudioError

    def __init__(self, devices: list[dict]) -> None:
        super().__init__("sounddevice")
        self.all_devices = devices
        self.present = list(devices)  # what PortAudio lists after the next _initialize
        self._listed = list(devices)
        self.streams: list[FakeStream] = []
        self.fail_open = False
        self.default = types.SimpleNamespace(device=[-1, -1])
        self._initialized = 1

    # -- what reactor calls
    def _terminate(self):
        self._initialized -= 1

    def _initialize(self):
        self._initialized += 1
        self._listed = list(self.present)

    def _info(self, i: int, d: dict) -> dict:
        return {"name": d["name"], "index": i, "hostapi": 0, "max_input_channels": d.get("inputs", 0),
                "max_output_channels": d.get("outputs", 0), "default_samplerate": float(d["rates"][0]),
                "default_low_input_latency": 0.005, "default_low_output_latency": 0.01}

    def query_devices(self, device=None, kind=None):
        infos = [self._info(i, d) for i, d in enumerate(self._listed)]
        if device is not None:
            if not 0 <= device < len(infos):
                raise PortAudioError(f"Error querying device {device}")
            return infos[device]
        if kind is not None:
            key = "max_input_channels" if kind == "input" else "max_output_channels"
            for info in infos:
                if info[key] > 0:
                    return info
            raise PortAudioError(f"no default {kind} device")
        return infos

    def query_hostapis(self):
        return [{"name": "FakeAPI", "devices": list(range(len(self._listed)))}]

    def _check(self, kind, device, channels, samplerate, dtype=None):
        info = self.query_devices(device, kind=None if device is not None else kind)
        d = self._listed[info["index"]]
        key = "inputs" if kind == "input" else "outputs"
        if channels > d.get(key, 0) or samplerate not in d["rates"]:
            raise PortAudioError("Invalid sample rate" if samplerate not in d["rates"] else "Invalid channels")

    def check_input_settings(self, device=None, channels=None, samplerate=None, dtype=None):
        self._check("input", device, channels, samplerate)

    def check_output_settings(self, device=None, channels=None, samplerate=None, dtype=None):
        self._check("output", device, channels, samplerate)

    def InputStream(self, **kw):
        self.query_devices(kw["device"]) if kw["device"] is not None else None
        return FakeStream(self, "input", **kw)

    def OutputStream(self, **kw):
        self.query_devices(kw["device"]) if kw["device"] is not None else None
        return FakeStream(self, "output", **kw)
