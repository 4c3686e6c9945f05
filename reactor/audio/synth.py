"""Instruments and mastering for the built-in demo track: drums, bass, pads, a formant voice, a
riser, and a loudness-normalizing limiter. Pure numpy, deterministic given the generator passed in.
"""

from __future__ import annotations

import numpy as np


def midi_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12.0)


def smoothstep(x: np.ndarray) -> np.ndarray:
    """Smoothstep of x clipped to 0..1: click-free ramps."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _pan(x: np.ndarray, pan: float) -> np.ndarray:
    """Mono -> (2, m), equal power, unity gain in the centre; pan -1 left .. +1 right."""
    a = (pan + 1.0) * np.pi / 4.0
    return np.sqrt(2.0) * np.stack([np.cos(a) * x, np.sin(a) * x])


def place(buf: np.ndarray, sound: np.ndarray, time_s: float, sr: int, gain: float) -> None:
    """Add ``gain * sound`` into ``buf`` (2, n) starting at ``time_s``, cut at the end."""
    lo = int(round(time_s * sr))
    hi = min(lo + sound.shape[-1], buf.shape[1])
    if hi > lo:
        buf[:, lo:hi] += gain * sound[..., :hi - lo]


def _fft_size(n: int) -> int:
    """Smallest 2^a 3^b 5^c >= n: FFTs of lengths with large prime factors are many times slower."""
    best = 1 << max(n - 1, 0).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            p = p35
            while p < n:
                p *= 2
            best = min(best, p)
            p35 *= 3
        p5 *= 5
    return best


def spectral(x: np.ndarray, sr: int, gain) -> np.ndarray:
    """Zero-phase filter along the last axis: multiply the spectrum by ``gain(freqs_hz)``."""
    n = x.shape[-1]
    size = _fft_size(n)
    spec = np.fft.rfft(x, size, axis=-1) * gain(np.fft.rfftfreq(size, 1.0 / sr))
    return np.fft.irfft(spec, size, axis=-1)[..., :n]


def _band(lo_hz: float, hi_hz: float, sr: int):
    """Second-order high-pass at ``lo_hz`` times second-order low-pass at ``hi_hz`` (capped by Nyquist)."""
    lo_hz, hi_hz = min(lo_hz, 0.3 * sr), min(hi_hz, 0.45 * sr)
    return lambda f: (f * f / (f * f + lo_hz * lo_hz)) / (1.0 + (f / hi_hz) ** 2)


def _resonance(f: np.ndarray, centre_hz, bandwidth_hz) -> np.ndarray:
    """Magnitude of a two-pole band-pass (peak 1 at ``centre_hz``)."""
    return 1.0 / np.sqrt(1.0 + ((f * f - centre_hz * centre_hz) / (np.maximum(f, 1.0) * bandwidth_hz)) ** 2)


def _noise(rng: np.random.Generator, sr: int, n: int, lo_hz: float, hi_hz: float, channels: int = 1):
    """Band-passed white noise, (channels, n), peak 1."""
    x = spectral(rng.standard_normal((channels, n)), sr, _band(lo_hz, hi_hz, sr))
    return x / np.abs(x).max()


def kick_drum(sr: int, rng: np.random.Generator) -> np.ndarray:
    """Sine sweep ~400 -> 50 Hz with a noise click, gently saturated."""
    t = np.arange(int(0.45 * sr)) / sr
    f = 50.0 + 100.0 * np.exp(-t / 0.035) + 250.0 * np.exp(-t / 0.003)
    body = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / 0.16) * smoothstep(t / 0.0005)
    click = 0.35 * _noise(rng, sr, t.size, 1500, 9000)[0] * np.exp(-t / 0.0015)
    return np.tanh(1.8 * (body + click)) / np.tanh(1.8) * smoothstep((t[-1] - t) / 0.02)


def snare(sr: int, rng: np.random.Generator) -> np.ndarray:
    """Tone body (175 Hz + 330 Hz modes) under band-passed noise with a clap-like triple attack."""
    t = np.arange(int(0.32 * sr)) / sr
    body = 0.8 * np.sin(2 * np.pi * np.cumsum(175.0 + 40.0 * np.exp(-t / 0.01)) / sr) * np.exp(-t / 0.075)
    body += 0.35 * np.sin(2 * np.pi * 330.0 * t) * np.exp(-t / 0.035)
    bursts = sum(np.exp(-np.maximum(t - d, 0) / 0.004) * (t >= d) for d in (0.0, 0.009, 0.018))
    noise = _noise(rng, sr, t.size, 1200, 8000)[0] * (0.5 * bursts + np.exp(-t / 0.13))
    x = (body + 1.2 * noise) * smoothstep(t / 0.0008) * smoothstep((t[-1] - t) / 0.02)
    return x / np.abs(x).max()


def hat(sr: int, rng: np.random.Generator, *, decay_s: float, pan: float) -> np.ndarray:
    t = np.arange(int((6 * decay_s + 0.01) * sr)) / sr
    x = _noise(rng, sr, t.size, 5000, 14000)[0] * np.exp(-t / decay_s) * smoothstep(t / 0.0003)
    return _pan(x * smoothstep((t[-1] - t) / 0.01), pan)


def crash(sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(2.5 * sr)) / sr
    return _noise(rng, sr, t.size, 3500, 14000, 2) * (np.exp(-t / 0.9) * smoothstep(t / 0.002)
                                                           * smoothstep((t[-1] - t) / 0.3))


def bass_note(sr: int, freq_hz: float, *, length_s: float) -> np.ndarray:
    """Additive saw pluck: harmonic k decays faster as k grows, like a closing filter envelope."""
    t = np.arange(int(length_s * sr)) / sr
    k = np.arange(1, int(min(1000.0, 0.45 * sr) // freq_hz) + 1)[:, None]
    amp = (1.0 / k) * np.exp(-t / (0.22 / (1.0 + 0.45 * (k - 1))))
    amp[0] *= 1.6  # a fuller fundamental: this is the sub the kick leaves room for
    x = (amp * np.sin(2 * np.pi * freq_hz * k * t)).sum(axis=0) * smoothstep(t / 0.003) * smoothstep((t[-1] - t) / 0.012)
    return x / np.abs(x).max()


def _wavetable(cycle: np.ndarray, freq_hz: float, n: int, sr: int, phase: float) -> np.ndarray:
    """Play one period ``cycle`` at ``freq_hz`` (nearest-sample lookup: the tables are smooth)."""
    size = cycle.size
    idx = ((phase + (freq_hz / sr) * np.arange(n, dtype=np.float64)) * size).astype(np.int64) % size
    return cycle[idx]


def _saw_cycle(freq_hz: float, sr: int, *, top_hz: float, size: int = 2048) -> np.ndarray:
    """One period of a sawtooth with harmonics up to ``top_hz`` (and Nyquist): no aliasing."""
    k = np.arange(1, max(int(min(top_hz, 0.45 * sr) // freq_hz), 1) + 1)
    spec = np.zeros(size // 2 + 1, complex)
    spec[k] = -1j / k  # sin(k x) / k series, scaled below
    return (np.fft.irfft(spec, size) * size / np.pi).astype(np.float32)


def pad_chord(sr: int, rng: np.random.Generator, freqs_hz, *, length_s: float) -> np.ndarray:
    """Detuned saws (+-7 cents spread left/right around a shared centre saw), slow attack and release."""
    n = int(round(length_s * sr))
    out = np.zeros((2, n), np.float32)
    for f in freqs_hz:
        cycle = _saw_cycle(f, sr, top_hz=6000.0)  # the pad filter never opens past ~3 kHz
        centre = 0.6 * _wavetable(cycle, f, n, sr, rng.random())
        out[0] += centre + _wavetable(cycle, f * 2 ** (-7 / 1200), n, sr, rng.random())
        out[1] += centre + _wavetable(cycle, f * 2 ** (7 / 1200), n, sr, rng.random())
    t = np.arange(n) / sr
    return out * (smoothstep(t / 0.28) * smoothstep((length_s - t) / 0.5) / (1.6 * len(freqs_hz)))


def lowpass_gain(sr: int, cutoff_hz: float):
    """Resonant two-pole low-pass magnitude (Q 0.9)."""
    fc = min(cutoff_hz, 0.45 * sr)
    return lambda f: 1.0 / np.sqrt((1 - (f / fc) ** 2) ** 2 + (f / (fc * 0.9)) ** 2)


def _stft_filter(x: np.ndarray, sr: int, magnitude, *, top_hz: float) -> np.ndarray:
    """Time-varying zero-phase filter: ``magnitude(frame_times_s, freqs_hz) -> (frames, bins)``.

    Hann frames of ~21 ms at 50 % overlap (they sum to 1), each centred in a buffer twice as
    long so the filter's ring-out (and, being zero-phase, its ring-in) has room on both sides,
    buffer ends tapered so what little ringing is left cannot click, then overlap-added.
    ``magnitude`` is evaluated only below ``top_hz``; everything above is removed.
    """
    size = 1 << int(round(np.log2(0.0213 * sr)))
    hop = size // 2
    front = 2 * size
    xp = np.concatenate([np.zeros(front), x, np.zeros(size + hop)])
    frames = np.lib.stride_tricks.sliding_window_view(xp, size)[::hop]
    spec = np.fft.rfft(frames * np.hanning(size + 1)[:-1], n=2 * size, axis=1)
    freqs = np.fft.rfftfreq(2 * size, 1.0 / sr)
    keep = int(np.searchsorted(freqs, min(top_hz, 0.5 * sr)))
    spec[:, keep:] = 0
    spec[:, :keep] *= magnitude((np.arange(len(frames)) * hop + size // 2 - front) / sr, freqs[:keep])
    y = np.roll(np.fft.irfft(spec, axis=1), hop, axis=1)  # the ring-in, wrapped to the end, goes first
    edge = size // 8
    taper = np.ones(2 * size)
    taper[:edge] = taper[-edge:][::-1] = smoothstep(np.arange(edge) / edge)
    y *= taper
    out = np.zeros((len(frames) + 3, hop))
    for j in range(4):
        out[j:j + len(frames)] += y[:, j * hop:(j + 1) * hop]
    return out.reshape(-1)[front + hop:front + hop + x.size]


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average over ``width`` samples, edges held (O(n) via cumsum)."""
    if width <= 1:
        return x
    c = np.cumsum(np.pad(x, (width // 2 + 1, width - width // 2), mode="edge"))
    return (c[width:width + x.size] - c[:x.size]) / width


_VOWELS = {"a": (800, 1150, 2900), "e": (450, 2000, 2700), "o": (450, 800, 2830), "u": (325, 700, 2700)}
_FORMANT_GAIN = (1.0, 0.6, 0.45)
_FORMANT_BW_HZ = (90.0, 110.0, 170.0)


def voice(sr: int, rng: np.random.Generator, syllables, n: int, *, echo_s: float) -> np.ndarray:
    """Sung syllables: Rosenberg glottal pulses through three formant resonators, with vibrato,
    glides, a syllable-rate envelope and a ping-pong echo. Returns (2, n), peak about 1."""
    mono = np.zeros(n)
    t = np.linspace(0.0, 1.0, 2048, endpoint=False)
    tp, tn = 0.42, 0.1  # glottal opening and closing fractions of the period
    flow = np.where(t < tp, 0.5 * (1 - np.cos(np.pi * t / tp)), np.cos(0.5 * np.pi * np.clip((t - tp) / tn, 0, 1)))
    pulse = np.diff(flow, append=flow[0]) * 2048 / 20.0  # radiated flow derivative, peak about -0.8
    for k in sorted({s[4] for s in syllables}):
        syl = [s for s in syllables if s[4] == k]
        lo = int(round(syl[0][0] * sr))
        y = _phrase(sr, rng, syl, pulse)
        mono[lo:lo + y.size] += y[:n - lo]
    mono /= np.abs(mono).max()
    out = _pan(mono, 0.15)
    d = int(round(echo_s * sr))
    out[:, d:] += 0.28 * _pan(mono[:-d], -0.6)  # dotted-eighth echo, left then right
    out[:, 2 * d:] += 0.12 * _pan(mono[:-2 * d], 0.6)
    return out


def _phrase(sr: int, rng: np.random.Generator, syl, pulse: np.ndarray) -> np.ndarray:
    """One phrase of (start, end, midi, vowels, _) syllables, from the first start to 90 ms after the end.

    Pitch and envelope are computed at a 1.5 kHz control rate and interpolated: they move slowly,
    and this keeps the whole track under a second to synthesize.
    """
    start, release = syl[0][0], 0.09
    n = int(round((syl[-1][1] + release - start) * sr))
    t = np.arange(0.0, n / sr + 0.002, 1.0 / 1500.0)  # control times since the phrase start
    starts = np.array([s[0] for s in syl]) - start
    durs = np.array([s[1] - s[0] for s in syl])
    i = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(syl) - 1)
    tau = t - starts[i]
    pitch = _moving_average(np.log2([midi_hz(s[2]) for s in syl])[i], 60)  # 40 ms glides
    vib = 0.35 * smoothstep((tau - 0.18) / 0.25) * np.sin(2 * np.pi * 5.4 * t) + 0.06 * np.sin(2 * np.pi * 0.7 * t)
    floor = np.where(i > 0, 0.3, 0.0)  # syllables dip to 30 %, they do not stop
    attack = floor + (1 - floor) * smoothstep(tau / 0.035)
    fall = np.where(i == len(syl) - 1, smoothstep((durs[i] + release - tau) / release),
                    0.3 + 0.7 * smoothstep((durs[i] - tau) / 0.05))
    env = np.minimum(attack, fall) * (1 - 0.12 * np.clip(tau / durs[i], 0, 1))
    ts = np.arange(n) / sr
    f0 = np.interp(ts, t, np.exp2(pitch + vib / 12.0))
    src = pulse[(np.cumsum(f0) * (pulse.size / sr)).astype(np.int64) % pulse.size]
    src += 0.08 * rng.standard_normal(n)  # a little breath
    v0 = np.array([_VOWELS[s[3][0]] for s in syl], float)
    v1 = np.array([_VOWELS[s[3][-1]] for s in syl], float)
    gain, bw = np.array(_FORMANT_GAIN), np.array(_FORMANT_BW_HZ)

    def formants(times_s, freqs_hz):
        j = np.clip(np.searchsorted(starts, times_s, side="right") - 1, 0, len(syl) - 1)
        morph = smoothstep(((times_s - starts[j]) / durs[j] - 0.35) / 0.5)[:, None]  # "aah" -> "ooh"
        fr = v0[j] * (1 - morph) + v1[j] * morph
        fr = np.stack([_moving_average(c, 3) for c in fr.T], axis=1)  # ~30 ms formant transitions
        h = (gain * _resonance(freqs_hz[None, :, None], fr[:, None, :], bw)).sum(axis=2)
        return h * (freqs_hz * freqs_hz / (freqs_hz * freqs_hz + 120.0 ** 2))

    return _stft_filter(src, sr, formants, top_hz=6000.0) * np.interp(ts, t, env)


def riser(sr: int, rng: np.random.Generator, *, length_s: float) -> np.ndarray:
    """Noise swelling through a band-pass that sweeps 300 Hz -> 8 kHz: the break's build-up."""
    x = rng.standard_normal((2, int(round(length_s * sr))))
    top = min(8000.0, 0.4 * sr)

    def sweep(times_s, freqs_hz):
        fc = 300.0 * (top / 300.0) ** np.clip(times_s / length_s, 0, 1)[:, None]
        return _resonance(freqs_hz[None, :], fc, fc / 1.5)

    y = np.stack([_stft_filter(c, sr, sweep, top_hz=2 * top) for c in x])
    u = np.arange(y.shape[1]) / y.shape[1]
    return y / np.abs(y).max() * u ** 2 * smoothstep((1 - u) * length_s / 0.02)


# --- master -------------------------------------------------------------------------------------

def master_mix(mix: np.ndarray, sr: int, *, target_lufs: float, ceiling_dbfs: float) -> np.ndarray:
    """Normalise to ``target_lufs`` (gated, BS.1770-style), then limit peaks to ``ceiling_dbfs``."""
    mix = mix * 10.0 ** ((target_lufs - _loudness_lufs(mix, sr)) / 20.0)
    mix = mix * _limiter_gain(np.abs(mix).max(axis=0), sr, ceiling=10.0 ** (ceiling_dbfs / 20.0) * 0.999)
    t = np.arange(mix.shape[1]) / sr
    return mix * (smoothstep(t / 0.003) * smoothstep((t[-1] - t) / 0.03))


def _loudness_lufs(x: np.ndarray, sr: int) -> float:
    """Integrated loudness, BS.1770-style: K-weighted power per 100 ms (Parseval on each slice),
    400 ms blocks with 75 % overlap, absolute (-70 LUFS) and relative (-10 LU) gates."""
    step = int(0.1 * sr)
    m = x.shape[1] // step
    size = _fft_size(step)
    spec = np.fft.rfft(x[:, :m * step].reshape(2, m, step), size, axis=2)
    f = np.fft.rfftfreq(size, 1.0 / sr)
    # K-weighting: the BS.1770 48 kHz biquads (shelf, then RLB high-pass) as a power response
    z = np.exp(-2j * np.pi * np.minimum(f, 23900.0) / 48000.0)
    shelf = (1.53512485958697 - 2.69169618940638 * z + 1.19839281085285 * z * z) / (
        1.0 - 1.69065929318241 * z + 0.73248077421585 * z * z)
    high_pass = (1.0 - z) ** 2 / (1.0 - 1.99004745483398 * z + 0.99007225036621 * z * z)
    k2 = np.abs(shelf * high_pass) ** 2
    one_sided = np.where((f == 0) | (f == sr / 2), 1.0, 2.0)
    slices = ((spec.real ** 2 + spec.imag ** 2) * (one_sided * k2 / (size * step))).sum(axis=(0, 2))
    power = np.convolve(slices, np.ones(4) / 4, "valid")
    power = power[power > 10.0 ** ((-70.0 + 0.691) / 10.0)]
    gate = power.mean() * 0.1  # -10 LU relative gate
    return float(-0.691 + 10.0 * np.log10(power[power > gate].mean()))


def _limiter_gain(peak: np.ndarray, sr: int, *, ceiling: float) -> np.ndarray:
    """Look-ahead limiter gain per sample so that ``peak * gain <= ceiling`` everywhere.

    Per 1 ms block: the gain each block needs, a minimum over +-(w+1) blocks, then a moving
    average over +-w blocks. Every averaged value is <= the need of its own and of the next
    block, so linear interpolation between block starts never lets a sample through.
    """
    b, w = max(int(sr // 1000), 1), 10
    n = peak.size
    blocks = np.pad(peak, (0, -n % b)).reshape(-1, b).max(axis=1)
    need = np.pad(np.minimum(1.0, ceiling / np.maximum(blocks, 1e-12)), 2 * w + 1, constant_values=1.0)
    low = np.lib.stride_tricks.sliding_window_view(need, 2 * w + 3).min(axis=1)
    smooth = np.convolve(low, np.ones(2 * w + 1) / (2 * w + 1), "valid")
    return np.interp(np.arange(n), np.arange(smooth.size) * b, smooth)
