"""Numba kernels of the streaming analyzer: pure functions over arrays.

Every kernel takes a batch of hops (rows) plus state arrays that it updates in place, and writes
per-hop outputs into preallocated arrays. The batch size never changes the result: each row is
processed exactly as it would be alone, which is what makes the analyzer block-size invariant.

Nothing here allocates per hop; all kernels are compiled with ``cache=True`` and warmed up by
``reactor.analysis.analyzer.warm_up()`` before the first frame.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Indices into the dynamics state vector (float64). Named so the kernel stays readable.
S_REF_DB = 0  # global loudness reference (slow peak follower), dBFS
S_GATE = 1  # 1 while the gate is open
S_GATE_HOLD = 2  # seconds the level has been below the close threshold
S_ODF_MEAN = 3  # running mean of the onset function (adaptive threshold)
S_ODF_MAX = 4  # slow running max of the onset function (scale)
S_ODF_PREV = 5  # previous onset function value
S_ARMED = 6  # 1 when a new onset may fire (re-armed after the function falls)
S_LAST_ONSET = 7  # time of the last onset event, s
S_ACT_MAX = 8  # slow running max of the beat activation
S_LEVEL = 9  # smoothed normalized level
S_BRIGHT = 10  # smoothed brightness
S_VOICE = 11  # voice envelope
S_BAL = 12  # smoothed balance
S_WIDTH = 13  # smoothed width
S_ACTIVE = 14  # seconds since the last strong activation (for beat confidence)
S_MASK = 15  # decaying envelope of recent onset-function peaks (post-attack masking)
S_VFLOOR = 16  # speech-band floor (follows minima fast, rises slowly), dB
N_DYN = S_VFLOOR + 1  # one past the highest index: a new entry goes here and moves this

# Columns of the per-hop scalar outputs of ``dynamics_kernel`` (``out_scalars``; the analyzer's
# recording keeps them as ``rec["scalars"]``). Read them by these names, never by number.
SC_LEVEL = 0  # smoothed normalized level 0..1
SC_BRIGHT = 1  # smoothed brightness 0..1
SC_VOICE = 2  # voice envelope 0..1
SC_BALANCE = 3  # smoothed stereo balance -1..1
SC_WIDTH = 4  # smoothed stereo width 0..1
SC_QUIET_S = 5  # seconds since the last strong activation (beat confidence fades after it)
SC_ONSET_CURVE = 6  # onset function scaled by its running max, 0..1
SC_ODF = 7  # raw (gated) onset function
N_SCALARS = SC_ODF + 1

# Columns of ``out_onset``: strength (0 where none fired) and event time.
ON_STRENGTH = 0
ON_TIME = 1
N_ONSET = 2


@njit(cache=True, fastmath=True, error_model="numpy")
def frame_kernel(x, hist, win, hop, out_frames, out_td):
    """Downmix, window and measure a run of whole hops in one pass over the samples.

    Parameters
    ----------
    x : float32 (n * hop, channels)
        New samples, a whole number of hops.
    hist : float32 (window - hop,)
        State: the mono samples preceding ``x`` (updated in place).
    win : float32 (window,)
        Analysis window.
    out_frames : float32 (n, window)
        Windowed frames, each ending at the end of its hop.
    out_td : float64 (n, 6)
        Per hop: RMS dBFS (mean power of the first two channels), peak dBFS, left, right, mid
        and side energies (mono input: left = right, no side).
    """
    n = out_frames.shape[0]
    w = win.shape[0]
    h = hist.shape[0]
    tot = x.shape[0]
    ch = x.shape[1]
    r = 1 if ch > 1 else 0  # column of the "right" channel
    buf = np.empty(h + tot, dtype=np.float32)  # hist ++ mono: every frame is one contiguous slice
    buf[:h] = hist
    if ch == 2:  # the common case, without an inner channel loop
        for i in range(tot):
            buf[h + i] = np.float32(0.5) * (x[i, 0] + x[i, 1])
    else:
        inv = np.float32(1.0 / ch)
        for i in range(tot):
            acc = np.float32(0.0)
            for c in range(ch):
                acc += x[i, c]
            buf[h + i] = acc * inv
    for t in range(n):
        l2 = 0.0
        r2 = 0.0
        s2 = 0.0
        pk = 0.0
        for i in range(t * hop, (t + 1) * hop):
            a = np.float64(x[i, 0])
            b = np.float64(x[i, r])
            l2 += a * a
            r2 += b * b
            s2 += 0.25 * (a - b) * (a - b)
            pk = max(pk, max(abs(a), abs(b)))
        m2 = 0.5 * (l2 + r2) - s2  # sum of ((a+b)/2)^2, since (a+b)^2 + (a-b)^2 = 2a^2 + 2b^2
        out_td[t, 0] = 10.0 * np.log10(0.5 * (l2 + r2) / hop + 1e-12)
        out_td[t, 1] = 20.0 * np.log10(pk + 1e-12)
        out_td[t, 2] = l2 / hop
        out_td[t, 3] = r2 / hop
        out_td[t, 4] = m2 / hop
        out_td[t, 5] = s2 / hop
        start = h + (t + 1) * hop - w  # frame ends at the end of this hop
        for k in range(w):
            out_frames[t, k] = buf[start + k] * win[k]
    hist[:] = buf[tot:]


@njit(cache=True, fastmath=True, error_model="numpy", inline="always")
def fast_log2(x):
    """log2(x) for x > 0 to within 1.5e-4: exponent from frexp plus a quartic for the mantissa
    (least squares, exact at both ends of the octave so the curve is continuous).

    The onset function takes ~80 logs per hop; this is several times cheaper than libm's log and
    far more precise than the flux needs (it compares logs of neighbouring frames).
    """
    m, e = math.frexp(x)  # x = m * 2**e, m in [0.5, 1)
    u = 2.0 * m - 1.0  # log2(1 + u) for u in [0, 1)
    return (e - 1) + u * (1.4380732 + u * (-0.6747667 + u * (0.3170007 + u * -0.0803073)))


@njit(cache=True, fastmath=True, error_model="numpy")
def spectral_kernel(spec, mag_scale, lb_edges, logband_named, nb_edges, bin_log2f,
                    voice_lo, voice_hi, prev_log, out_flux_named, out_band_pow, out_centroid,
                    out_voiced, out_logbands):
    """Per-hop spectral features from magnitude frames.

    Parameters
    ----------
    spec : complex64 (n, n_bins)
        Spectra of the analysis frames; magnitudes are taken here (cheaper than a separate
        numpy pass) and scaled by ``mag_scale`` (window-sum normalization).
    lb_edges : int64 (n_logbands + 1,)
        Log band b covers FFT bins ``lb_edges[b]:lb_edges[b + 1]`` (bands are contiguous and
        ascending, so sums run over contiguous memory instead of scattering bin by bin).
    nb_edges : int64 (7,)
        The same for the six named bands.
    logband_named : int64 (n_logbands,)
        Named band of each log band.
    bin_log2f : float64 (n_bins,)
        log2 of each bin's centre frequency (for the centroid).
    voice_lo, voice_hi : int
        FFT bin range of the speech band.
    prev_log : float64 (n_logbands,)
        State: log-compressed log-band magnitudes of the previous hop.
    out_* : preallocated outputs, first dimension n
        SuperFlux per named band (n, 6), power per named band (n, 6), log2 centroid (n,),
        voicing 0..1 (n,), and log-compressed log bands (n, n_logbands).
    """
    n, n_bins = spec.shape
    n_logbands = lb_edges.shape[0] - 1
    mags = np.empty(n_bins)
    lb = np.zeros(n_logbands)
    cur = np.zeros(n_logbands)
    for t in range(n):
        for k in range(n_bins):
            re = np.float64(spec[t, k].real)
            im = np.float64(spec[t, k].imag)
            mags[k] = np.sqrt(re * re + im * im) * mag_scale
        for b in range(n_logbands):
            acc = 0.0
            for k in range(lb_edges[b], lb_edges[b + 1]):
                acc += mags[k]
            lb[b] = acc
        for j in range(6):
            acc = 0.0
            for k in range(nb_edges[j], nb_edges[j + 1]):
                acc += mags[k] * mags[k]
            out_band_pow[t, j] = acc
            out_flux_named[t, j] = 0.0
        num = 0.0
        den = 0.0
        for k in range(lb_edges[0], lb_edges[n_logbands]):
            num += mags[k] * bin_log2f[k]
            den += mags[k]
        out_centroid[t] = num / den if den > 1e-12 else 0.0
        # Voicing: 1 - spectral flatness in the speech band. Vowels are peaky (low flatness),
        # snares and hats are noisy (flat), so this separates singing from drums cheaply.
        lsum = 0.0
        asum = 0.0
        cnt = 0
        prod = 1.0
        for k in range(voice_lo, voice_hi):
            m = mags[k] + 1e-9
            prod *= m
            asum += m
            cnt += 1
            if cnt % 8 == 0:  # one log per 8 bins; 8 factors >= 1e-9 cannot underflow
                lsum += np.log(prod)
                prod = 1.0
        lsum += np.log(prod)
        flat = np.exp(lsum / cnt) / (asum / cnt)
        out_voiced[t] = min(1.0, max(0.0, 1.0 - flat))
        for b in range(n_logbands):
            cur[b] = 0.30103 * fast_log2(1.0 + 1000.0 * lb[b])  # log10
        # SuperFlux: compare with a max filter (over +-1 band) of the previous frame, so vibrato
        # moving energy into a neighbouring band is not mistaken for a new note.
        for b in range(n_logbands):
            lo = b - 1 if b > 0 else 0
            hi = b + 1 if b < n_logbands - 1 else n_logbands - 1
            ref = prev_log[lo]
            for j in range(lo + 1, hi + 1):
                if prev_log[j] > ref:
                    ref = prev_log[j]
            d = cur[b] - ref
            if d > 0.0:
                out_flux_named[t, logband_named[b]] += d
            out_logbands[t, b] = cur[b]
        prev_log[:] = cur


@njit(cache=True, error_model="numpy")
def _one_pole(y, x, up_s, down_s, dt):
    """Attack/release smoothing; time constants in seconds, frame-rate independent."""
    tau = up_s if x > y else down_s
    if tau <= 0.0:
        return x
    return y + (x - y) * (1.0 - np.exp(-dt / tau))


@njit(cache=True, error_model="numpy")
def dynamics_kernel(t_end, hop_s, td, band_pow, flux_named, centroid, voiced,
                    gate_db, state, band_ref, band_env, band_hit, band_pres,
                    band_fmean, band_fprev, band_armed, act_weights, c_onset_s,
                    out_band, out_onset, out_act, out_scalars):
    """Levels, adaptive gain, gate, envelopes, hits, onsets and the beat activation, per hop.

    ``t_end`` (n,) are the times (s) of the last sample of each hop. ``out_onset`` (n, 2) gets
    (strength, event_time_s) with strength 0 where no onset fired. ``out_act`` (n,) is the beat
    activation 0..1 fed to the tempo/phase tracker. ``out_band`` (n, 6, 4) gets per band the
    normalized level, envelope, hit and presence. ``out_scalars`` (n, 8) gets smoothed level,
    brightness, voice, balance, width, seconds since strong activity, the onset function scaled by
    its running max, and the raw (gated) onset function.
    """
    n = td.shape[0]
    dt = hop_s
    for t in range(n):
        rms = td[t, 0]
        # --- gate (absolute, with hysteresis and a hold so speech pauses do not chatter)
        if rms > gate_db + 3.0:
            state[S_GATE] = 1.0
            state[S_GATE_HOLD] = 0.0
        elif rms < gate_db:
            state[S_GATE_HOLD] += dt
            if state[S_GATE_HOLD] > 0.3:
                state[S_GATE] = 0.0
        gate = state[S_GATE]
        # --- adaptive gain: a peak follower with fast attack and ~10 s release. Normalized
        # level spans the 36 dB below it, so a quiet mic and a mastered track read alike.
        if gate > 0.0:
            if rms > state[S_REF_DB]:
                state[S_REF_DB] += (rms - state[S_REF_DB]) * (1.0 - np.exp(-dt / 0.4))
            else:
                state[S_REF_DB] += (rms - state[S_REF_DB]) * (1.0 - np.exp(-dt / 10.0))
            if state[S_REF_DB] < gate_db + 12.0:
                state[S_REF_DB] = gate_db + 12.0
        ref = state[S_REF_DB]
        lvl = (rms - (ref - 36.0)) / 36.0 * gate
        lvl = min(1.0, max(0.0, lvl))
        state[S_LEVEL] = _one_pole(state[S_LEVEL], lvl, 0.005, 0.12, dt)
        # --- bands
        for k in range(6):
            bdb = 10.0 * np.log10(band_pow[t, k] + 1e-20)
            if gate > 0.0:
                # Per-band reference: a slow average of the band's level, floored 30 dB under the
                # global reference so an absent band reads low instead of amplified noise. Level
                # 0.6 means "as usual for this song"; hits push it up, gaps pull it down.
                if band_ref[k] < -900.0:  # first sound: start from it rather than adapting up
                    band_ref[k] = bdb
                band_ref[k] += (bdb - band_ref[k]) * (1.0 - np.exp(-dt / 4.0))
                if band_ref[k] < ref - 30.0:
                    band_ref[k] = ref - 30.0
            bl = min(1.0, max(0.0, 0.6 + (bdb - band_ref[k]) / 20.0)) * gate
            out_band[t, k, 0] = bl
            band_env[k] = _one_pole(band_env[k], bl, 0.005, 0.15, dt)
            pres = min(1.0, max(0.0, (bdb - (ref - 40.0)) / 24.0)) * gate
            band_pres[k] = _one_pole(band_pres[k], pres, 1.5, 4.0, dt)
            # band transient: rising edge of the band's flux over its running mean
            f = flux_named[t, k] * gate
            band_hit[k] *= np.exp(-dt / 0.12)
            thr = 1.6 * band_fmean[k] + 0.05
            if band_armed[k] > 0.0 and f > thr and f > band_fprev[k]:
                s = min(1.0, (f - thr) / (2.0 * thr + 1e-9) + 0.35)
                if s > band_hit[k]:
                    band_hit[k] = s
                band_armed[k] = 0.0
            elif f < thr:
                band_armed[k] = 1.0
            band_fmean[k] += (f - band_fmean[k]) * (1.0 - np.exp(-dt / 0.25))
            band_fprev[k] = f
            out_band[t, k, 1] = band_env[k]
            out_band[t, k, 2] = band_hit[k]
            out_band[t, k, 3] = band_pres[k]
        # --- onsets: rising-edge threshold crossing (known within one hop, no waiting for the peak)
        odf = 0.0
        act = 0.0
        for k in range(6):
            odf += flux_named[t, k]
            act += act_weights[k] * flux_named[t, k]
        odf *= gate
        act *= gate
        mean = state[S_ODF_MEAN]
        omax = state[S_ODF_MAX]
        # The mask follows recent peaks and decays in ~60 ms, so the tail of one hit (a kick's
        # falling pitch, a ringing snare) cannot fire a second onset.
        thr = max(1.5 * mean + 0.08 * omax + 0.3, 0.7 * state[S_MASK])
        out_onset[t, ON_STRENGTH] = 0.0
        out_onset[t, ON_TIME] = 0.0
        since = t_end[t] - state[S_LAST_ONSET]
        if state[S_ARMED] > 0.0 and odf > thr and odf > state[S_ODF_PREV] and since > 0.03:
            out_onset[t, ON_STRENGTH] = min(1.0, max(0.05, odf / (omax + 1e-9)))
            out_onset[t, ON_TIME] = t_end[t] - c_onset_s
            state[S_LAST_ONSET] = t_end[t]
            state[S_ARMED] = 0.0
        elif odf < thr or odf < state[S_ODF_PREV] * 0.7:
            state[S_ARMED] = 1.0
        state[S_MASK] = max(odf, state[S_MASK] * np.exp(-dt / 0.06))
        state[S_ODF_MEAN] += (odf - mean) * (1.0 - np.exp(-dt / 0.15))
        if odf > omax:
            state[S_ODF_MAX] = odf
        else:
            state[S_ODF_MAX] = omax * np.exp(-dt / 4.0)
        state[S_ODF_PREV] = odf
        # --- beat activation: weighted flux scaled by its own slow max, 0..1
        amax = state[S_ACT_MAX]
        if act > amax:
            amax = act
        else:
            amax = max(amax * np.exp(-dt / 6.0), 1e-3)
        state[S_ACT_MAX] = amax
        out_act[t] = min(1.0, act / amax)
        if out_act[t] > 0.3:
            state[S_ACTIVE] = 0.0
        else:
            state[S_ACTIVE] += dt
        # --- timbre and stereo
        bright = (centroid[t] - 4.907) / (13.966 - 4.907)  # log2(30 Hz) .. log2(16 kHz)
        bright = min(1.0, max(0.0, bright)) * gate
        state[S_BRIGHT] = _one_pole(state[S_BRIGHT], bright, 0.05, 0.3, dt)
        # Voice: speech-band level above its own running floor. The floor drops to every dip
        # at once and rises over ~1.5 s, so sustained pads and drones lift the floor and read
        # as silence while syllables (3-8 per second, with dips between) open and close it.
        vdb = band_pow_db_voice(band_pow, t)
        if vdb < state[S_VFLOOR] or state[S_VFLOOR] < -900.0:
            state[S_VFLOOR] = vdb
        else:
            state[S_VFLOOR] += (vdb - state[S_VFLOOR]) * (1.0 - np.exp(-dt / 1.5))
        vlev = min(1.0, max(0.0, (vdb - state[S_VFLOOR] - 2.0) / 12.0))
        v = vlev * np.sqrt(voiced[t]) * gate
        state[S_VOICE] = _one_pole(state[S_VOICE], v, 0.015, 0.08, dt)
        l2 = td[t, 2]
        r2 = td[t, 3]
        m2 = td[t, 4]
        s2 = td[t, 5]
        bal = (r2 - l2) / (r2 + l2) if (r2 + l2) > 1e-12 else 0.0
        wid = min(1.0, 2.0 * s2 / (m2 + s2)) if (m2 + s2) > 1e-12 else 0.0
        state[S_BAL] = _one_pole(state[S_BAL], bal * gate, 0.1, 0.1, dt)
        state[S_WIDTH] = _one_pole(state[S_WIDTH], wid * gate, 0.1, 0.1, dt)
        out_scalars[t, SC_LEVEL] = state[S_LEVEL]
        out_scalars[t, SC_BRIGHT] = state[S_BRIGHT]
        out_scalars[t, SC_VOICE] = state[S_VOICE]
        out_scalars[t, SC_BALANCE] = state[S_BAL]
        out_scalars[t, SC_WIDTH] = state[S_WIDTH]
        out_scalars[t, SC_QUIET_S] = state[S_ACTIVE]
        out_scalars[t, SC_ONSET_CURVE] = min(1.0, odf / (state[S_ODF_MAX] + 1e-9))
        out_scalars[t, SC_ODF] = odf


@njit(cache=True, error_model="numpy")
def band_pow_db_voice(band_pow, t):
    """Speech-band power (low-mid + mid + high-mid, 250 Hz..6 kHz) in dB."""
    return 10.0 * np.log10(band_pow[t, 2] + band_pow[t, 3] + 0.5 * band_pow[t, 4] + 1e-20)
