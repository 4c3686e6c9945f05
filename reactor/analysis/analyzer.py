"""The streaming analyzer: the same causal code for live input and offline files.

Feed it blocks of any size with ``process``; it runs one analysis hop every ``hop_samples``
samples (512 at 48 kHz: 10.7 ms, see ``HOP_SAMPLES_48K``) on a 1024-sample window, and its
per-hop results do not depend on how the input was cut into blocks. ``snapshot(t)`` turns the
latest state into an immutable ``Features`` for one video frame.

Threading: an analyzer belongs to one thread (the main/render thread). Live capture copies
samples into a ring on the audio thread; the main thread drains the ring into ``process``.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.fft

from reactor.analysis import kernels as K
from reactor.analysis.beats import (B_PERIOD, B_PHASE_REF, BO_FIRED, BO_TIME, PH_BPM, PH_CONF, BeatTracker,
                                    LevelSelector, make_state_space)
from reactor.analysis.downbeats import DownbeatTracker
from reactor.analysis.loudness import LoudnessMeter
from reactor.analysis.voice import VoiceTracker
from reactor.analysis.spectral import SpectralLayout, make_layout
from reactor.analysis.webaudio import FFT_SIZE, FRAME_HZ, WebAudioAnalyser
from reactor.features import BAND_NAMES, SPECTRUM_BINS, WAVEFORM_SAMPLES, Features, make_features

HOP_SAMPLES_48K = 512
"""Hop at 48 kHz. 10.7 ms keeps onset emission within ~1 hop of the event while the analyzer
runs well over 1000x real time on one core; 256 would halve latency and double the cost."""

# Calibrated delays between a sound's start and the hop end where the analysis sees it
# (window weighting and flux rise), measured on click trains and drum grooves; see
# tests/test_analyzer.py and benchmarks/eval_analysis.py.
ONSET_DELAY_S = 0.004
BEAT_DELAY_S = 0.008

ACT_POWER = 2.0
"""Contrast applied to the beat activation before the tracker sees it (see beats.forward_kernel)."""

MAX_BATCH_HOPS = 256
"""Hops analysed per kernel call at most (large blocks are split; results are identical)."""

OBS_LAMBDA = 16.0
"""How much more a beat-region hop expects activation than any other hop."""

SALIENCE_GAIN = 0.25
"""Weight of the autocorrelation tempo salience against the beat-by-beat evidence."""

_WA_TICKS = 180
"""Shadertoy-row smoothing ticks kept for a late read (0.8**180 = 1e-17)."""

TempoSource = Callable[[float], "tuple | None"]
"""A tempo override: ``source(time_s) -> (bpm, beat_phase, beat_count)`` or None to defer; a source
that knows the bar adds ``beats_per_bar, position_in_bar`` (0 = downbeat) and may add ``bar_count``."""


@dataclass
class Events:
    """Causal event lists: event time (when it happened) and emission time (when it was known)."""

    onset_times_s: list[float] = field(default_factory=list)
    onset_emitted_s: list[float] = field(default_factory=list)
    onset_strength: list[float] = field(default_factory=list)
    beat_times_s: list[float] = field(default_factory=list)
    beat_emitted_s: list[float] = field(default_factory=list)
    beat_bar_position: list[int] = field(default_factory=list)
    bar_count: list[int] = field(default_factory=list)  # downbeats up to and including each beat
    downbeat_confidence: list[float] = field(default_factory=list)
    tempo_bpm: list[float] = field(default_factory=list)
    onsets_forgotten: int = 0
    """Onsets dropped from the front of the lists by ``forget_before`` (counts stay absolute)."""
    beats_forgotten: int = 0

    @property
    def onset_total(self) -> int:
        """Onsets so far, including forgotten ones."""
        return self.onsets_forgotten + len(self.onset_times_s)

    @property
    def beat_total(self) -> int:
        """Beats so far, including forgotten ones."""
        return self.beats_forgotten + len(self.beat_times_s)

    def forget_before(self, time_s: float) -> None:
        """Drop events emitted before ``time_s`` (a show that runs for days keeps minutes, not days,
        of history). Counts stay absolute (``onset_total``, ``beat_count``); the last beat and the
        last onset are always kept, since the scalars are computed from them."""
        n = min(bisect_left(self.onset_emitted_s, time_s), len(self.onset_times_s) - 1)
        if n > 0:
            for lst in (self.onset_times_s, self.onset_emitted_s, self.onset_strength):
                del lst[:n]
            self.onsets_forgotten += n
        n = min(bisect_left(self.beat_emitted_s, time_s), len(self.beat_times_s) - 1)
        if n > 0:
            for lst in (self.beat_times_s, self.beat_emitted_s, self.beat_bar_position, self.bar_count,
                        self.downbeat_confidence, self.tempo_bpm):
                del lst[:n]
            self.beats_forgotten += n


def _ring_put(ring: np.ndarray, start: int, data: np.ndarray) -> None:
    """Write ``data`` (no longer than ``ring``) into ``ring`` from index ``start``, wrapping around."""
    k = min(data.shape[0], ring.shape[0] - start)
    ring[start:start + k] = data[:k]
    ring[:data.shape[0] - k] = data[k:]


class StreamingAnalyzer:
    """Causal audio analyzer producing per-hop features and per-frame ``Features`` snapshots.

    Parameters
    ----------
    sample_rate_hz : int
        Input rate, 8000..192000 (the engine runs at 48000).
    channels : int
        Channels of the blocks passed to ``process`` (1..16).
    gate_db : float
        Noise gate in dBFS RMS: below it the analyzer reports silence.
    record : bool
        Keep every hop's outputs (for ``analyze_clip`` and plots); off for live use.
    level_choice : bool
        Run the causal metrical-level choice (``beats.LevelSelector``: halve a tracker locked to
        the eighths). Off by default: on the real-music train split it raised CMLt from 0.49 to
        0.64 but beat F only from 0.710 to 0.728, and on the test split beat F fell (0.665 -> 0.636).
    """

    def __init__(self, *, sample_rate_hz: int = 48000, channels: int = 2, gate_db: float = -60.0,
                 record: bool = False, level_choice: bool = False) -> None:
        if not 8000 <= int(sample_rate_hz) <= 192000:
            raise ValueError(f"sample_rate_hz must be 8000..192000, got {sample_rate_hz}")
        if not 1 <= int(channels) <= 16:
            raise ValueError(f"channels must be 1..16, got {channels}")
        if not -120.0 <= gate_db <= -10.0:
            raise ValueError(f"gate_db must be -120..-10 dBFS, got {gate_db}")
        self.sample_rate_hz = int(sample_rate_hz)
        self.channels = int(channels)
        self.gate_db = float(gate_db)
        self.hop_samples = max(64, int(round(HOP_SAMPLES_48K * self.sample_rate_hz / 48000)))
        self.hop_s = self.hop_samples / self.sample_rate_hz
        self.layout: SpectralLayout = make_layout(window=2 * self.hop_samples, sample_rate_hz=self.sample_rate_hz)
        self._space = make_state_space(fps=1.0 / self.hop_s)
        self._record = record
        self._level_choice = bool(level_choice)
        self._tempo_source: TempoSource | None = None
        self.events = Events()
        self.repaired_samples = 0
        self._reset_state()

    # ------------------------------------------------------------------ state
    def _reset_state(self) -> None:
        L = self.layout
        self._hist = np.zeros(L.window - self.hop_samples, dtype=np.float32)  # mono before the pending hop
        self._win32 = L.win.astype(np.float32)
        self._pending = np.zeros((0, self.channels), dtype=np.float32)
        self._recent_raw = np.zeros((FFT_SIZE, self.channels), dtype=np.float32)  # latest input (snapshots)
        self._samples_done = 0  # samples consumed by hops
        self._samples_in = 0
        self._prev_log = np.zeros(L.n_logbands)
        dyn = np.zeros(K.N_DYN)
        dyn[K.S_REF_DB] = self.gate_db + 12.0
        dyn[K.S_ARMED] = 1.0
        dyn[K.S_LAST_ONSET] = -1.0
        dyn[K.S_ACT_MAX] = 1e-3
        dyn[K.S_ACTIVE] = 1e3
        dyn[K.S_VFLOOR] = -999.0
        self._dyn = dyn
        self._band_ref = np.full(6, -999.0)  # unset until the gate first opens
        self._band_env = np.zeros(6)
        self._band_hit = np.zeros(6)
        self._band_pres = np.zeros(6)
        self._band_fmean = np.zeros(6)
        self._band_fprev = np.zeros(6)
        self._band_armed = np.ones(6)
        self._tracker = BeatTracker(hop_s=self.hop_s, beat_delay_s=BEAT_DELAY_S, act_power=ACT_POWER,
                                    obs_lambda=OBS_LAMBDA, salience_gain=SALIENCE_GAIN, space=self._space)
        self._beat = self._tracker.beat
        self._downbeats = DownbeatTracker()
        self._bar_pos_next = 0
        self._last_beat_hop = 0
        # per-hop cues for the downbeat tracker: must hold a batch plus the longest beat
        self._lowband_ring = np.zeros((2 * MAX_BATCH_HOPS, L.n_low))
        self._lowflux_ring = np.zeros(2 * MAX_BATCH_HOPS)
        self._level = LevelSelector() if self._level_choice else None
        self._prev_tracked_s = None  # time of the previous tracked beat (its accent is read at the next)
        self._hop_index = 0
        self._last = _LastHop.empty()
        self._webaudio = WebAudioAnalyser()
        self._wa_period = max(1, int(round(self.sample_rate_hz / FRAME_HZ)))
        self._wa_tick = 0  # last tick folded into the smoothing
        self._mono_ring = np.zeros(_WA_TICKS * self._wa_period + FFT_SIZE, dtype=np.float32)
        # The same row per input channel (ISF audioFFT has one row per channel); with one channel
        # the mono row is that row.
        self._chan_ring = (np.zeros((self._mono_ring.shape[0], self.channels), dtype=np.float32)
                           if self.channels > 1 else None)
        self._chan_webaudio = [WebAudioAnalyser() for _ in range(self.channels)] if self.channels > 1 else []
        self._pitch = None
        self._chunks: list[dict[str, np.ndarray]] = []
        # listener loudness (not gain-normalized) and mouth shapes: reactor.analysis.loudness / .voice
        self._loudness = LoudnessMeter(sample_rate_hz=self.sample_rate_hz, channels=self.channels,
                                       window=L.window, window_sum_sq=float((L.win ** 2).sum()), hop_s=self.hop_s)
        self._voice = VoiceTracker(sample_rate_hz=self.sample_rate_hz, window=L.window, hop_s=self.hop_s)

    def set_tempo_source(self, source: TempoSource | None) -> None:
        """Override tempo and beat phase (tap tempo, MIDI clock); None returns to the detector."""
        self._tempo_source = source

    @property
    def time_s(self) -> float:
        """Audio time of the last sample received."""
        return self._samples_in / self.sample_rate_hz

    # ------------------------------------------------------------------ processing
    def process(self, block: np.ndarray) -> int:
        """Consume a block of samples; returns the number of hops analysed.

        Parameters
        ----------
        block : float array (n,) or (n, channels)
            Any n >= 0. Non-finite samples are replaced by 0 and counted in ``repaired_samples``.
        """
        x = np.asarray(block, dtype=np.float32)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.channels:
            raise ValueError(f"expected blocks of shape (n, {self.channels}), got {np.shape(block)}")
        if x.shape[0] == 0:
            return 0
        if not np.isfinite(np.sum(x)):  # one pass; NaN and Inf both survive a sum
            bad = ~np.isfinite(x)
            self.repaired_samples += int(bad.sum())
            x = np.where(bad, np.float32(0.0), x)
        self._keep_mono(x)
        self._samples_in += x.shape[0]
        keep = min(FFT_SIZE, x.shape[0])
        self._recent_raw = np.concatenate([self._recent_raw[keep:], x[-keep:]])
        pend = np.concatenate([self._pending, x]) if self._pending.shape[0] else x
        n_hops = pend.shape[0] // self.hop_samples
        H = self.hop_samples
        for k in range(0, n_hops, MAX_BATCH_HOPS):  # bounded batches keep per-beat rings valid
            self._run_hops(pend[k * H:min(n_hops, k + MAX_BATCH_HOPS) * H])
        pend = pend[n_hops * H:]
        self._pending = pend.copy()
        return n_hops

    def _keep_mono(self, x: np.ndarray) -> None:
        """Append the block's mono downmix to the ring the Shadertoy row is computed from."""
        ring = self._mono_ring
        R = ring.shape[0]
        if x.shape[1] == 2:  # the same bits as x.mean(axis=1), ~10x faster than numpy's strided mean
            m = (x[:, 0] + x[:, 1]) * x.dtype.type(0.5)
        else:
            m = x.mean(axis=1) if x.shape[1] > 1 else x[:, 0]
        if m.shape[0] >= R:
            m = m[-R:]
        start = (self._samples_in + x.shape[0] - m.shape[0]) % R
        _ring_put(ring, start, m)
        if self._chan_ring is not None:
            _ring_put(self._chan_ring, start, x[-m.shape[0]:])

    def _shadertoy_fft(self) -> np.ndarray:
        """The Web Audio row as of the latest ``FRAME_HZ`` tick of consumed audio.

        The smoothing steps once per tick at fixed sample positions, so it is a function of the
        samples consumed only; the FFTs are done here, lazily, and cached (reading twice, or
        reading at any rate, gives the same row). Ticks more than ``_WA_TICKS`` back weigh
        < 0.8**180 (1e-17) and are dropped."""
        period = self._wa_period
        now = self._samples_in // period
        if now > self._wa_tick:
            first = max(self._wa_tick + 1, now - _WA_TICKS + 1)
            R = self._mono_ring.shape[0]
            ends = np.arange(first, now + 1) * period
            if ends.size:
                idx = (ends[:, None] - FFT_SIZE + np.arange(FFT_SIZE)[None, :]) % R
                self._webaudio.advance(self._mono_ring[idx])
                for ch, wa in enumerate(self._chan_webaudio):
                    wa.advance(self._chan_ring[idx, ch])
            self._wa_tick = now
        return self._webaudio.fft_row()

    def _run_hops(self, x: np.ndarray) -> None:
        L, H = self.layout, self.hop_samples
        n = x.shape[0] // H
        frames = np.empty((n, L.window), dtype=np.float32)
        td = np.empty((n, 6))
        K.frame_kernel(x, self._hist, self._win32, H, frames, td)
        spec = scipy.fft.rfft(frames, axis=1)
        t_end = (self._samples_done + H * np.arange(1, n + 1)) / self.sample_rate_hz
        self._samples_done += n * H

        flux = np.zeros((n, 6))
        bpow = np.zeros((n, 6))
        cent = np.zeros(n)
        voiced = np.zeros(n)
        logb = np.zeros((n, L.n_logbands))
        K.spectral_kernel(spec, L.mag_scale, L.lb_edges, L.logband_named, L.nb_edges, L.bin_log2f,
                          L.voice_lo, L.voice_hi, self._prev_log, flux, bpow, cent, voiced, logb)
        band = np.zeros((n, 6, 4))
        onset = np.zeros((n, K.N_ONSET))
        act = np.zeros(n)
        sc = np.zeros((n, K.N_SCALARS))
        K.dynamics_kernel(t_end, self.hop_s, td, bpow, flux, cent, voiced, self.gate_db,
                          self._dyn, self._band_ref, self._band_env, self._band_hit, self._band_pres,
                          self._band_fmean, self._band_fprev, self._band_armed, L.act_weights,
                          ONSET_DELAY_S, band, onset, act, sc)
        beats, phase = self._tracker.step(act, t_end, sc[:, K.SC_QUIET_S])
        self._collect_events(t_end, onset, beats, phase, logb[:, : L.n_low], flux)
        power = spec.real ** 2 + spec.imag ** 2
        loud = self._loudness.step(power)
        mouth = self._voice.step(power, td[:, 0] > self.gate_db)
        self._last = _LastHop(t_end=float(t_end[-1]), rms_db=float(td[-1, 0]), peak_db=float(td[-1, 1]),
                              band=band[-1].copy(), scalars=sc[-1].copy(), phase=phase[-1].copy(),
                              mag=np.abs(spec[-1]).astype(np.float64) * L.mag_scale,
                              ref_db=float(self._dyn[K.S_REF_DB]), gate=float(self._dyn[K.S_GATE]))
        if self._record:
            self._chunks.append({"t": t_end, "rms_db": td[:, 0], "peak_db": td[:, 1], "band": band,
                                 "scalars": sc, "act": act, "phase": phase, "flux": flux, "loudness_lufs": loud,
                                 "vowel_open": mouth})

    def _accent(self, time_s: float, now_hop: int) -> float | None:
        """The low-band (sub + bass) flux at a past beat: its maximum over the hop before to 2 hops
        after the hop where the beat's onset shows (None when that is no longer, or not yet, in the
        ring). Kicks mark the beat that is kept when the level is halved."""
        ring_n = self._lowflux_ring.shape[0]
        h = int(np.ceil((time_s + BEAT_DELAY_S) / self.hop_s)) - 1
        lo, hi = max(0, h - 1), min(h + 3, now_hop + 1)
        if hi <= lo or now_hop - lo >= ring_n:
            return None
        return float(max(self._lowflux_ring[k % ring_n] for k in range(lo, hi)))

    def _collect_events(self, t_end, onset, beats, phase, lowbands, flux) -> None:
        ev = self.events
        n = t_end.shape[0]
        ring_n = self._lowband_ring.shape[0]
        fired = np.flatnonzero(onset[:, K.ON_STRENGTH] > 0.0)
        if fired.size:
            ev.onset_times_s.extend(onset[fired, K.ON_TIME].tolist())
            ev.onset_emitted_s.extend(t_end[fired].tolist())
            ev.onset_strength.extend(onset[fired, K.ON_STRENGTH].tolist())
        start = self._hop_index
        idx = np.arange(start, start + n) % ring_n
        self._lowband_ring[idx] = lowbands
        self._lowflux_ring[idx] = flux[:, 0] + flux[:, 1]
        seg_start = 0  # hops [seg_start, j) report the tempo at the level chosen before beat j
        level = self._level
        factor = 1
        for j in np.flatnonzero(beats[:, BO_FIRED] > 0.0):
            g = start + j
            if level is not None:
                # metrical level: the tracker may run at the eighths; keep every other beat then
                phase[seg_start:j, PH_BPM] /= level.factor
                seg_start = j
                prev = self._prev_tracked_s
                acc = self._accent(prev, g) if prev is not None else None
                self._prev_tracked_s = float(beats[j, BO_TIME])
                keep = level.step(60.0 / float(phase[j, PH_BPM]), acc)
                factor = level.factor
                if not keep:
                    continue
            seg_len = min(g - self._last_beat_hop, ring_n)
            if seg_len > 0 and self._last_beat_hop > 0:
                a, b = (g - seg_len) % ring_n, g % ring_n
                if a < b:  # contiguous in the ring (the usual case): slices, no fancy indexing
                    vec = self._lowband_ring[a:b].mean(axis=0)
                else:
                    vec = np.concatenate([self._lowband_ring[a:], self._lowband_ring[:b]]).mean(axis=0)
                head = min(4, seg_len)
                hit = max(float(self._lowflux_ring[(a + i) % ring_n]) for i in range(head))
                pos, meter, _ = self._downbeats.step(vec, min(1.0, hit / 4.0))
                self._bar_pos_next = (pos + 1) % meter
            self._last_beat_hop = g
            ev.beat_times_s.append(float(beats[j, BO_TIME]))
            ev.beat_emitted_s.append(float(t_end[j]))
            ev.beat_bar_position.append(int(self._bar_pos_next))
            ev.bar_count.append((ev.bar_count[-1] if ev.bar_count else 0) + (self._bar_pos_next == 0))
            ev.downbeat_confidence.append(float(self._downbeats.confidence))
            ev.tempo_bpm.append(float(phase[j, PH_BPM]) / factor)
        if level is not None:
            phase[seg_start:, PH_BPM] /= level.factor
        self._hop_index += n

    # ------------------------------------------------------------------ snapshots
    def snapshot(self, time_s: float | None = None) -> Features:
        """The features at ``time_s`` (default: the latest sample), as one frozen value.

        A pure read: state advances only in ``process``, so snapshotting more often than
        processing (or twice at the same time) changes nothing."""
        t = self.time_s if time_s is None else float(time_s)
        last = self._last
        recent = self._recent_raw.mean(axis=1)
        s: dict[str, float] = {"time": t, "rms_db": max(-120.0, last.rms_db), "peak_db": max(-120.0, last.peak_db)}
        s["silence"] = 0.0 if last.gate > 0.0 else 1.0
        s["level"] = float(last.scalars[K.SC_LEVEL])
        dt = max(0.0, t - last.t_end)
        for k, name in enumerate(BAND_NAMES):
            s[name] = float(last.band[k, 0])
            s[f"{name}_env"] = float(last.band[k, 1])
            s[f"{name}_hit"] = float(last.band[k, 2] * np.exp(-dt / 0.12))
            s[f"{name}_presence"] = float(last.band[k, 3])
        s.update(self._onset_scalars(t))
        s.update(self._beat_scalars(t))
        s["brightness"], s["voice"] = float(last.scalars[K.SC_BRIGHT]), float(last.scalars[K.SC_VOICE])
        s["balance"], s["width"] = float(last.scalars[K.SC_BALANCE]), float(last.scalars[K.SC_WIDTH])
        s["pitch_hz"], s["pitch_confidence"] = self._pitch_now(recent, last.gate)
        s.update(self._loudness.scalars())
        s.update(self._voice.scalars())
        mono_fft = self._shadertoy_fft().copy()
        return make_features(t, s, spectrum=self._spectrum64(), waveform=self._waveform(recent),
                             shadertoy_fft=mono_fft, shadertoy_wave=self._webaudio.wave_row(recent),
                             channel_fft=self._channel_fft(mono_fft), channel_waveform=self._channel_waveform())

    def _onset_scalars(self, t: float) -> dict[str, float]:
        ev = self.events
        if not ev.onset_times_s:
            return {"onset": 0.0, "onset_strength": 0.0, "onset_count": 0.0}
        st = ev.onset_strength[-1]
        age = max(0.0, t - ev.onset_emitted_s[-1])
        return {"onset": st * float(np.exp(-age / 0.12)), "onset_strength": st,
                "onset_count": float(ev.onset_total)}

    def _beat_scalars(self, t: float) -> dict[str, float]:
        ph = self._last.phase
        bpm, conf = float(ph[PH_BPM]) if ph[PH_BPM] > 0 else 120.0, float(ph[PH_CONF])
        out = {"tempo_bpm": bpm, "tempo_confidence": conf}
        override = self._tempo_source(t) if self._tempo_source is not None else None
        if override is not None:
            # (bpm, phase, count) or (bpm, phase, count, beats_per_bar, position_in_bar)
            obpm, ophase, ocount = override[:3]
            per_bar, pos = (int(override[3]), int(override[4])) if len(override) >= 5 else (4, int(ocount) % 4)
            known = len(override) >= 5
            # pulse decays over a quarter beat, as the detector's
            out.update(tempo_bpm=float(obpm), tempo_confidence=1.0, beat_phase=float(ophase) % 1.0,
                       beat_count=float(ocount), beat_pulse=float(np.exp(-4.0 * (ophase % 1.0))))
            out.update(bar_phase=(pos % per_bar + ophase % 1.0) / per_bar, beats_per_bar=float(per_bar),
                       downbeat_pulse=out["beat_pulse"] if pos % per_bar == 0 else 0.0,
                       downbeat_confidence=1.0 if known else 0.0,
                       bar_count=float(ocount // per_bar) if not known else float(self._bars_of(override)))
            return out
        ev = self.events
        # beats emitted ahead of time count only once their time has come
        k = len(ev.beat_times_s)
        while k > 0 and ev.beat_times_s[k - 1] > t:
            k -= 1
        period = 60.0 / bpm
        if k == 0:
            out.update(beat_phase=0.0, beat_count=0.0, beat_pulse=0.0, bar_phase=0.0, beats_per_bar=4.0,
                       downbeat_pulse=0.0, downbeat_confidence=0.0, bar_count=0.0)
            return out
        last = ev.beat_times_s[k - 1]
        if k < len(ev.beat_times_s):
            nxt = ev.beat_times_s[k]
        else:  # the tracker's next beat, or the one after it where that one is not an output beat
            nxt = float(self._beat[B_PHASE_REF])
            if self._level is not None and not self._level.keeps(self._level.index):
                nxt += float(self._beat[B_PERIOD])
        if nxt <= last + 0.25 * period:
            nxt = last + period
        phase = min(0.999, max(0.0, (t - last) / (nxt - last)))
        pulse = float(np.exp(-(t - last) / (0.25 * period)))
        meter = self._downbeats.meter
        pos = ev.beat_bar_position[k - 1] % meter
        dconf = ev.downbeat_confidence[k - 1]
        out.update(beat_phase=phase, beat_count=float(ev.beats_forgotten + k - 1), beat_pulse=pulse, bar_phase=(pos + phase) / meter,
                   beats_per_bar=float(meter), downbeat_pulse=pulse if pos == 0 else 0.0,
                   downbeat_confidence=dconf, bar_count=float(ev.bar_count[k - 1]))
        return out

    @staticmethod
    def _bars_of(override) -> int:
        """Bars started up to this beat, for a source that reports bar positions: extra field 5
        when given, else the beat count over the bar length (exact for a steady meter)."""
        if len(override) >= 6:
            return int(override[5])
        return int(override[2]) // max(1, int(override[3])) + (1 if int(override[4]) == 0 else 0)

    def _spectrum64(self) -> np.ndarray:
        L = self.layout
        if self._last.mag.shape[0] != L.spec64_weights.shape[1]:
            return np.zeros(SPECTRUM_BINS)
        e = L.spec64_weights @ (self._last.mag ** 2)
        db = 10.0 * np.log10(e + 1e-20) + L.spec64_tilt_db
        ref = self._last.ref_db
        return np.clip((db - (ref - 60.0)) / 50.0, 0.0, 1.0) * self._last.gate

    def _channel_fft(self, mono_fft: np.ndarray) -> np.ndarray:
        """``(channels, 512)``: the Web Audio row of each input channel (``_shadertoy_fft`` has
        advanced their smoothing to the same tick); one channel: the mono row."""
        if not self._chan_webaudio:
            return mono_fft[None, :]
        return np.stack([wa.fft_row() for wa in self._chan_webaudio])

    def _channel_waveform(self) -> np.ndarray:
        """``(channels, WAVEFORM_SAMPLES)``: each channel's latest samples, gain-normalized and
        gated like ``waveform``."""
        gain = 1.0 / (3.0 * 10.0 ** (self._last.ref_db / 20.0))
        x = self._recent_raw[-WAVEFORM_SAMPLES:].T
        return np.clip(x * gain, -1.0, 1.0) * self._last.gate

    def _waveform(self, recent: np.ndarray) -> np.ndarray:
        gain = 1.0 / (3.0 * 10.0 ** (self._last.ref_db / 20.0))
        return np.clip(recent[-WAVEFORM_SAMPLES:] * gain, -1.0, 1.0) * self._last.gate

    def _pitch_now(self, recent: np.ndarray, gate: float) -> tuple[float, float]:
        if gate <= 0.0:
            return 0.0, 0.0
        if self._pitch is None:
            import aubio  # imported lazily: optional at import time, only needed for snapshots

            # "yinfast": the same YIN answer and confidence as "yin" at ~1/7 of the cost;
            # aubio 0.4.9's "yinfft" reports zero confidence.
            self._pitch = aubio.pitch("yinfast", FFT_SIZE, FFT_SIZE, self.sample_rate_hz)
            self._pitch.set_unit("Hz")
        hz = float(self._pitch(recent.astype(np.float32))[0])
        conf = float(self._pitch.get_confidence())
        if not (40.0 <= hz <= 2000.0) or conf < 0.5:
            return 0.0, max(0.0, conf)
        return hz, min(1.0, conf)

    def recorded(self) -> dict[str, np.ndarray]:
        """Every hop's outputs so far, concatenated (requires ``record=True``)."""
        if not self._record:
            raise RuntimeError("construct the analyzer with record=True to keep per-hop outputs")
        if not self._chunks:
            return {}
        return {k: np.concatenate([c[k] for c in self._chunks]) for k in self._chunks[0]}


@dataclass(frozen=True)
class _LastHop:
    t_end: float
    rms_db: float
    peak_db: float
    band: np.ndarray
    scalars: np.ndarray
    phase: np.ndarray
    mag: np.ndarray
    ref_db: float
    gate: float

    @classmethod
    def empty(cls) -> "_LastHop":
        return cls(0.0, -120.0, -120.0, np.zeros((6, 4)), np.zeros(K.N_SCALARS), np.array([120.0, 0.0, 0.0]),
                   np.zeros(1), -120.0, 0.0)


def warm_up() -> float:
    """Compile (or load from cache) every kernel before the first frame; returns seconds taken."""
    import time

    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal((4096, 4)) * 0.1).astype(np.float32)
    frozen = noise[:, :2].copy()
    frozen.setflags(write=False)
    # Numba compiles one variant per argument type: float64 and float32 blocks, read-only views (a
    # live source's ring hands those out), strided column views, and the tempo-override path (a
    # MIDI clock, Link, taps) -- each would otherwise compile inside the first frames of a show
    a = StreamingAnalyzer(sample_rate_hz=48000, channels=2)
    for block in (noise[:, :2].astype(np.float64), noise[:, :2].copy(), frozen, noise[:, 1:3]):
        a.process(block)
        a.snapshot()
    b = StreamingAnalyzer(sample_rate_hz=48000, channels=2)
    b.set_tempo_source(lambda t: (120.0, (t * 2.0) % 1.0, int(t * 2.0), 4, int(t * 2.0) % 4, int(t * 0.5)))
    b.process(frozen)
    b.snapshot()
    return time.perf_counter() - t0
