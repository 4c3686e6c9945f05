"""Causal tempo and beat-phase tracking: a bar-pointer state space run forward only.

The hidden state is (beat interval in hops, position within the beat). Position advances one
hop per hop; at the end of a beat the interval may change to a neighbour (tempo change) with a
probability falling off with the relative change, weighted by a log-normal tempo prior centred on
the tempo listeners tap to (the octave choice). The observation is the beat activation: states in
the first ~21 ms of a beat expect a high activation, the rest expect a low one (after Krebs, Böck &
Widmer, ISMIR 2015; madmom's online tracker runs the same forward recursion over an RNN output,
here it runs over a hand-made multi-band spectral-flux activation).

Beats are *predicted*: each hop the most likely state says how many hops remain until the next
beat, and a beat is emitted in the hop before it happens, with its predicted time. So a picture
flashes on the beat, not one onset-detection later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

# Beat-state vector indices (float64)
B_LAST_BEAT = 0  # time of the last emitted beat, s
B_PERIOD = 1  # current beat period, s
B_CONF = 2  # confidence 0..1
B_PHASE_REF = 3  # predicted time of the next beat, s
B_COUNT = 4  # beats emitted
B_PREV_PHASE = 5  # beat phase at the previous hop
B_ACT_MEAN = 6  # slow mean of the activation (removed before autocorrelation)
B_HOP = 7  # hops processed (ring index of the activation history)
B_MAP_TEMPO = 8  # index of the most likely tempo at the last hop
B_TOT_OVER_BEST = 9  # total mass / best state's mass at the last full pass
N_BEAT_STATE = B_TOT_OVER_BEST + 1

# Columns of ``forward_kernel``'s outputs: ``out_beats`` (n, N_BEATS_OUT) and ``out_phase``
# (n, N_PHASE_OUT, recorded as ``rec["phase"]``).
BO_TIME = 0  # predicted time of the emitted beat, s
BO_FIRED = 1  # 1 in the hop where a beat is emitted
N_BEATS_OUT = 2
PH_BPM = 0  # tempo of the most likely state
PH_PHASE = 1  # beat phase 0..1 at the hop end
PH_CONF = 2  # confidence 0..1
N_PHASE_OUT = 3
COMB = 4  # multiples of the beat interval summed by the tempo salience

# The kernel's parameters, by position in its ``params`` vector (float64).
P_HOP_S = 0  # hop duration, s
P_BEAT_DELAY_S = 1  # how long after a beat its activation peaks (window and flux delay), s
P_REGION = 2  # hops at the start of each beat where a beat is expected (a whole number)
P_ACT_POWER = 3  # contrast applied to the activation (see ``ACT_FLOOR``)
P_OBS_LAMBDA = 4  # how much likelier a hop in the beat region makes a beat than one outside it
P_SALIENCE_GAIN = 5  # weight of the autocorrelation's tempo salience, per completed beat
N_PARAMS = P_SALIENCE_GAIN + 1

# Tuning constants of the kernel (compile-time constants for Numba).
ACF_MEMORY_S = 4.0  # time constant of the running autocorrelation behind the tempo salience
ACT_MEAN_S = 2.0  # time constant of the activation mean removed before the autocorrelation
ACT_FLOOR = 0.02  # the observation's floor: an activation a maps to ACT_FLOOR + ACT_SPAN * a**power
ACT_SPAN = 0.96
MIN_BEAT_GAP = 0.55  # beats closer than this fraction of the period to the last one are not emitted
EMIT_CONF = 0.15  # no beat is emitted below this confidence
QUIET_START_S = 2.0  # after this much quiet the confidence starts to fall ...
QUIET_FADE_S = 4.0  # ... reaching 0 this much later


@dataclass(frozen=True)
class StateSpace:
    """Arrays describing the (interval, position) state space for the forward kernel."""

    intervals: np.ndarray  # int64 (n_tempi,), hops per beat
    offsets: np.ndarray  # int64 (n_tempi,), start of each tempo's positions in the flat vector
    trans: np.ndarray  # float64 (n_tempi, n_tempi), from -> to, rows sum to 1, prior folded in
    src_lo: np.ndarray  # int64 (n_tempi,): first tempo that can move into tempo j
    src_hi: np.ndarray  # int64 (n_tempi,): one past the last
    tempo_weight: np.ndarray  # float64 (n_tempi,): prior likelihood applied when a beat completes
    n_states: int

    def bpm_at(self, fps: float) -> np.ndarray:
        """Tempo of each interval state in BPM, for a hop rate of ``fps``."""
        return 60.0 * fps / self.intervals

    def kernel_arrays(self) -> tuple:
        """The arrays ``forward_kernel`` takes as its ``space`` tuple, in its order."""
        return (self.intervals, self.offsets, self.trans, self.src_lo, self.src_hi, self.tempo_weight)


def make_state_space(*, fps: float, min_bpm: float = 55.0, max_bpm: float = 215.0,
                     n_tempi: int = 40, transition_lambda: float = 100.0,
                     prior_bpm: float = 120.0, prior_octaves: float = 0.9, prior_plateau: float = 0.0) -> StateSpace:
    """Build the state space.

    Parameters
    ----------
    fps : float
        Hops per second of the activation.
    min_bpm, max_bpm : float
        Tempo range tracked.
    n_tempi : int
        Number of interval states, log-spaced (duplicates after rounding are merged).
    transition_lambda : float
        Tempo-change stiffness: p(i -> j) ~ exp(-lambda * |N_j / N_i - 1|).
    prior_bpm, prior_octaves : float
        Log-normal tempo prior (centre, standard deviation in octaves) applied at each beat.
    prior_plateau : float
        Half-width (octaves) of a flat top around ``prior_bpm``: tempi within it pay nothing,
        the log-normal fall-off starts at its edges (``tempo_log_prior``).
    """
    if not (20.0 <= min_bpm < max_bpm <= 400.0):
        raise ValueError("need 20 <= min_bpm < max_bpm <= 400")
    lo = 60.0 * fps / max_bpm
    hi = 60.0 * fps / min_bpm
    iv = np.unique(np.round(np.exp(np.linspace(np.log(lo), np.log(hi), n_tempi))).astype(np.int64))
    offsets = np.concatenate([[0], np.cumsum(iv)[:-1]]).astype(np.int64)
    ratio = iv[None, :] / iv[:, None]
    trans = np.exp(-transition_lambda * np.abs(ratio - 1.0))
    trans[trans < 1e-6] = 0.0
    bpm = 60.0 * fps / iv
    trans /= trans.sum(axis=1, keepdims=True)
    # The prior is a likelihood, not part of the (mass-preserving) transition: applied each time
    # a beat completes, raised to N/N_ref so every tempo pays it at the same rate per second.
    # Inside the row-normalized transition it could only shuffle mass between neighbouring
    # tempi and would never choose between 100 and 200 BPM.
    log_prior = tempo_log_prior(bpm, prior_bpm, prior_octaves, prior_plateau)
    n_ref = 60.0 * fps / prior_bpm
    tempo_weight = np.exp(log_prior * iv / n_ref)
    nz = trans > 0.0
    src_lo = np.array([np.argmax(nz[:, j]) for j in range(len(iv))], dtype=np.int64)
    src_hi = np.array([len(iv) - np.argmax(nz[::-1, j]) for j in range(len(iv))], dtype=np.int64)
    return StateSpace(intervals=iv, offsets=offsets, trans=trans, src_lo=src_lo, src_hi=src_hi,
                      tempo_weight=tempo_weight, n_states=int(iv.sum()))


def tempo_log_prior(bpm, centre_bpm: float, octaves: float, plateau: float = 0.0):
    """Log tempo prior: flat within ``plateau`` octaves of ``centre_bpm``, then a Gaussian fall-off
    in log tempo with standard deviation ``octaves``."""
    d = np.maximum(np.abs(np.log2(np.asarray(bpm, float) / centre_bpm)) - plateau, 0.0)
    return -0.5 * (d / octaves) ** 2


@njit(cache=True, fastmath=True, error_model="numpy")
def forward_kernel(act, t_end, active_s, params, space, state, out_beats, out_phase):
    """Run the forward recursion over a batch of hops and predict/emit beats.

    Per hop: ``act`` (the beat activation), ``t_end`` (time at the hop's end, s) and ``active_s``
    (seconds of quiet so far). ``params`` (``N_PARAMS``, float64) holds the ``P_*`` parameters.
    ``space`` is ``StateSpace.kernel_arrays()``: (intervals, offsets, trans, src_lo, src_hi,
    tempo_weight). ``state`` is the tracker's state, updated in place: (alpha, heads, beat_state,
    act_hist, acf, sal_w). ``alpha`` (n_states,) and ``heads`` (n_tempi,) are the recursion state
    (each tempo's positions are a ring: ``heads[i]`` is the slot of position 0); ``beat_state``
    the ``B_*`` vector; ``acf`` (L = ``COMB * max(intervals) + 1``) and ``act_hist`` (2L, a
    doubled ring) the activation history and its running autocorrelation; ``sal_w`` (n_tempi,) the
    tempo-salience likelihood applied when a beat completes.
    ``out_beats`` (n, ``N_BEATS_OUT``) receives (event_time_s, 1) in the hop where a beat is
    emitted, else (0, 0). ``out_phase`` (n, ``N_PHASE_OUT``) receives (bpm, phase 0..1 at the hop
    end, confidence).
    """
    intervals, offsets, trans, src_lo, src_hi, tempo_weight = space
    alpha, heads, beat_state, act_hist, acf, sal_w = state
    hop_s = params[P_HOP_S]
    c_beat_s = params[P_BEAT_DELAY_S]
    region = int(params[P_REGION])
    act_power = params[P_ACT_POWER]
    obs_lambda = params[P_OBS_LAMBDA]
    salience_gain = params[P_SALIENCE_GAIN]
    n = act.shape[0]
    nt = intervals.shape[0]
    wrapped = np.zeros(nt)
    fps = 1.0 / hop_s
    L = acf.shape[0]
    decay = np.exp(-hop_s / ACF_MEMORY_S)
    n_ref = 0.5 * fps  # interval of 120 BPM
    lag_min = intervals.min() - 1
    for t in range(n):
        # --- tempo salience (octave choice): running autocorrelation of the mean-removed
        # activation, summed over COMB multiples of each beat interval. The true beat period
        # has every multiple strong; its double tempo has weak odd multiples (off-beats).
        beat_state[B_ACT_MEAN] += (act[t] - beat_state[B_ACT_MEAN]) * (1.0 - np.exp(-hop_s / ACT_MEAN_S))
        x = act[t] - beat_state[B_ACT_MEAN]
        h = int(beat_state[B_HOP])
        # act_hist is a doubled ring (2L): the L most recent values are always one contiguous
        # run ending at hl + L, so the lag loop needs no modulo.
        hl = h % L
        act_hist[hl] = x
        act_hist[hl + L] = x
        base = hl + L
        for lag in range(lag_min, L):  # the comb never reads shorter lags
            acf[lag] = decay * acf[lag] + x * act_hist[base - lag]
        beat_state[B_HOP] = h + 1
        if h % 4 == 0:
            smax = 1e-12
            for j in range(nt):
                sj = 0.0
                for k in range(1, COMB + 1):
                    # the activation is spiky and a real period falls between whole hops:
                    # take the best lag within +-k hops of the k-th multiple
                    best = -1e30
                    for lag in range(k * intervals[j] - k, min(k * intervals[j] + k + 1, L)):
                        best = max(best, acf[lag])
                    sj += best
                sal_w[j] = max(sj, 1e-12)
                smax = max(smax, sal_w[j])
            for j in range(nt):
                # per completed beat, raised to N/N_ref: the same evidence rate at every tempo
                sal_w[j] = np.exp(salience_gain * intervals[j] / n_ref * np.log(sal_w[j] / smax))
        # Raised to a power > 1: with a beat region of 1/16, any activation above ~0.06 would argue for a beat.
        # Off-beat hats sit at 0.1-0.2 of a kick; squaring makes them argue against one.
        a = ACT_FLOOR + ACT_SPAN * act[t] ** act_power
        # --- transition: every tempo's ring advances one position; the mass that completed a
        # beat (position N-1) is redistributed over tempi into position 0.
        for i in range(nt):
            N = intervals[i]
            slot_last = offsets[i] + (heads[i] + N - 1) % N
            wrapped[i] = alpha[slot_last]
        for i in range(nt):
            N = intervals[i]
            heads[i] = (heads[i] + N - 1) % N
        for j in range(nt):
            s = 0.0
            for i in range(src_lo[j], src_hi[j]):
                s += wrapped[i] * trans[i, j]
            alpha[offsets[j] + heads[j]] = s * tempo_weight[j] * sal_w[j]
        # --- observation: beat region (the first ``region`` hops of each beat, the same
        # duration at every tempo so slow tempi are not penalized for the quiet hops around a
        # short peak) vs the rest
        ratio = a * (obs_lambda - 1.0) / (1.0 - a)
        for i in range(nt):
            N = intervals[i]
            for p in range(region):
                alpha[offsets[i] + (heads[i] + p) % N] *= ratio
        # --- find the most likely state. Every 4th hop: a full pass, which also measures the
        # total mass (for confidence and renormalization). In between the best state can only
        # have moved by a beat-completion transition, so it is sought among the tempi near the
        # last best one: a quarter of the work, and any far jump is caught within 3 hops.
        if h % 4 == 0:
            tot = 0.0
            best = -1.0
            bslot = 0
            for k in range(alpha.shape[0]):
                v = alpha[k]
                tot += v
                if v > best:
                    best = v
                    bslot = k
            if tot > 1e30 or tot < 1e-30:
                inv = 1.0 / tot
                for k in range(alpha.shape[0]):
                    alpha[k] *= inv
                best *= inv
                tot = 1.0
            beat_state[B_TOT_OVER_BEST] = tot / best
        else:
            prev = int(beat_state[B_MAP_TEMPO])
            best = -1.0
            bslot = 0
            for k in range(offsets[max(0, prev - 3)], offsets[min(nt - 1, prev + 3)] + intervals[min(nt - 1, prev + 3)]):
                v = alpha[k]
                if v > best:
                    best = v
                    bslot = k
            tot = best * beat_state[B_TOT_OVER_BEST]
        bi = 0
        for i in range(nt):
            if offsets[i] <= bslot:
                bi = i
        beat_state[B_MAP_TEMPO] = bi
        N = intervals[bi]
        pos = (bslot - offsets[bi] - heads[bi] + N) % N
        # confidence: posterior mass on the winning tempo and its neighbours
        lo = bi - 1 if bi > 0 else 0
        hi = bi + 1 if bi < nt - 1 else nt - 1
        mass = 0.0
        for k in range(offsets[lo], offsets[hi] + intervals[hi]):
            mass += alpha[k]
        mass /= tot
        quiet = min(1.0, max(0.0, (active_s[t] - QUIET_START_S) / QUIET_FADE_S))
        conf = mass * (1.0 - quiet)
        beat_state[B_CONF] = conf
        # A real tempo usually falls between two interval states, and the single best state
        # then alternates between them, placing beats a hop or two early or late. Averaging
        # the hops-to-next-beat and the interval over the posterior near the best state
        # (neighbouring tempi, phases within a quarter beat) gives sub-hop predictions.
        ttb_map = N - pos
        acc_t = 0.0
        acc_n = 0.0
        acc_w = 0.0
        for i in range(lo, hi + 1):
            Ni = intervals[i]
            q = Ni // 4
            p0 = max(0, Ni - ttb_map - q)
            p1 = min(Ni, Ni - ttb_map + q + 1)
            slot = offsets[i] + (heads[i] + p0) % Ni
            end = offsets[i] + Ni
            for p in range(p0, p1):
                w = alpha[slot]
                ttb = Ni - p
                acc_t += w * ttb
                acc_n += w * Ni
                acc_w += w
                slot += 1
                if slot == end:
                    slot = offsets[i]
        ttb_mean = acc_t / acc_w if acc_w > 0.0 else ttb_map
        period = (acc_n / acc_w if acc_w > 0.0 else N) * hop_s
        beat_state[B_PERIOD] = period
        # The activation of a beat peaks c_beat_s after the beat itself (window and flux
        # delay); position 0 of the state is aligned to that peak.
        now = t_end[t]
        next_beat = now - c_beat_s + ttb_mean * hop_s
        if ttb_map >= N:
            next_beat -= period
        beat_state[B_PHASE_REF] = next_beat
        out_beats[t, BO_TIME] = 0.0
        out_beats[t, BO_FIRED] = 0.0
        ph = 1.0 - (next_beat - now) / period
        ph -= np.floor(ph)
        # Emit the beat in the last hop before it happens (predicted, not late).
        emit = -1.0
        if next_beat <= now + hop_s and next_beat - beat_state[B_LAST_BEAT] > MIN_BEAT_GAP * period:
            emit = next_beat
        elif ph < beat_state[B_PREV_PHASE] - 0.5:
            # The most likely state jumped past the end of a beat (a phase or tempo correction)
            # without passing through the hop before it: the beat it skipped still happened.
            b = next_beat - period
            if b - beat_state[B_LAST_BEAT] > MIN_BEAT_GAP * period:
                emit = b
        beat_state[B_PREV_PHASE] = ph
        if emit > -1.0 and conf > EMIT_CONF:
            out_beats[t, BO_TIME] = emit
            out_beats[t, BO_FIRED] = 1.0
            beat_state[B_LAST_BEAT] = emit
            beat_state[B_COUNT] += 1.0
        out_phase[t, PH_BPM] = 60.0 * fps / N
        out_phase[t, PH_PHASE] = ph - np.floor(ph)
        out_phase[t, PH_CONF] = conf


class BeatTracker:
    """The forward tracker's state and parameters, stepped over runs of hops (``step``).

    Results do not depend on how the hops are batched. ``beat`` is the beat-state vector
    (``B_*`` indices); ``step`` returns the per-hop ``(beats, phase)`` outputs of ``forward_kernel``.
    """

    def __init__(self, *, hop_s: float, beat_delay_s: float, act_power: float = 2.0, obs_lambda: float = 16.0,
                 salience_gain: float = 0.25, space: StateSpace | None = None) -> None:
        self.hop_s = float(hop_s)
        self.beat_delay_s = float(beat_delay_s)
        self.act_power = float(act_power)
        self.obs_lambda = float(obs_lambda)
        self.salience_gain = float(salience_gain)
        self.space = space if space is not None else make_state_space(fps=1.0 / self.hop_s)
        self.region = max(1, int(round(0.021 / self.hop_s)))  # hops where a beat is expected
        sp = self.space
        self.alpha = np.full(sp.n_states, 1.0 / sp.n_states)
        self.heads = np.zeros(len(sp.intervals), dtype=np.int64)
        lags = COMB * int(sp.intervals.max()) + 1
        self.act_hist = np.zeros(2 * lags)
        self.acf = np.zeros(lags)
        self.sal_w = np.ones(len(sp.intervals))
        self.beat = np.zeros(N_BEAT_STATE)
        self.beat[B_LAST_BEAT] = -1e9
        self._params = np.zeros(N_PARAMS)
        self._params[[P_HOP_S, P_BEAT_DELAY_S, P_REGION, P_ACT_POWER, P_OBS_LAMBDA, P_SALIENCE_GAIN]] = (
            self.hop_s, self.beat_delay_s, self.region, self.act_power, self.obs_lambda, self.salience_gain)
        self._space_arrays = sp.kernel_arrays()

    def step(self, act: np.ndarray, t_end: np.ndarray, quiet_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = act.shape[0]
        beats = np.zeros((n, N_BEATS_OUT))
        phase = np.zeros((n, N_PHASE_OUT))
        forward_kernel(np.ascontiguousarray(act, dtype=np.float64), np.ascontiguousarray(t_end, dtype=np.float64),
                       np.ascontiguousarray(quiet_s, dtype=np.float64), self._params, self._space_arrays,
                       (self.alpha, self.heads, self.beat, self.act_hist, self.acf, self.sal_w), beats, phase)
        return beats, phase


def run_tracker(act, t_end, hop_s: float, quiet_s, *, beat_delay_s: float, level: bool = False,
                accent=None, level_kw=None, **kw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The causal tracker over a whole activation, as the analyzer runs it: (beat times, emission
    times, per-hop phase outputs). ``level=True`` adds the metrical-level choice (``LevelSelector``, as
    ``StreamingAnalyzer(level_choice=True)``);
    ``accent`` (per hop) is what the level choice reads at each beat: the analyzer's low-band
    (sub + bass) flux; the activation if None."""
    act = np.asarray(act, float)
    t_end = np.asarray(t_end, float)
    tr = BeatTracker(hop_s=hop_s, beat_delay_s=beat_delay_s, **kw)
    beats, phase = tr.step(act, t_end, np.asarray(quiet_s, float))
    fired = np.flatnonzero(beats[:, BO_FIRED] > 0.0)
    if not level:
        return beats[fired, BO_TIME], t_end[fired], phase
    sel = LevelSelector(**(level_kw or {}))
    acc_sig = act if accent is None else np.asarray(accent, float)
    keep = np.zeros(fired.size, dtype=bool)
    prev = None
    for n, j in enumerate(fired):
        acc = None
        if prev is not None:
            h = int(np.ceil((prev + beat_delay_s) / hop_s)) - 1
            lo, hi = max(0, h - 1), min(h + 3, j + 1)
            acc = float(acc_sig[lo:hi].max()) if hi > lo else None
        prev = float(beats[j, BO_TIME])
        keep[n] = sel.step(60.0 / float(phase[j, PH_BPM]), acc)
    return beats[fired[keep], BO_TIME], t_end[fired[keep]], phase


LEVEL_PRIOR_BPM = 120.0
LEVEL_PRIOR_OCTAVES = 0.3
LEVEL_PRIOR_PLATEAU = 0.4
"""The tempo prior of the metrical-level choice: flat from 91 to 158 BPM, falling off outside
(chosen on the real-music train split, ``benchmarks/beat_errors.py``)."""


class LevelSelector:
    """Causal choice of the metrical level: keep every tracked beat, or every other one.

    The forward tracker locks to the strongest regular pulse, and music at 80-105 BPM with busy
    eighths gives it the eighths (the double tempo). After each tracked beat this compares the
    tempo prior at the tracked tempo with the prior at half of it plus the accent contrast
    between the two alternating beat parities (leaky means of the low-band flux at each beat), and
    with hysteresis halves the output, keeping the accented parity. ``step(period_s, accent_of_previous)``
    is called once per tracked beat and says whether that beat is a beat of the output. The
    defaults were chosen on the train splits of the real-music and recorded-music sets together
    (``benchmarks/beat_errors.py --set real|recorded --causal-level``): a longer accent memory
    (64 beats, was 32), a stronger accent weight (1.0, was 0.5) and a narrower flat prior
    (+-0.25 octave, was 0.35) raised beat F on both.
    """

    def __init__(self, *, memory_beats: float = 64.0, accent_gain: float = 1.0, hysteresis: float = 0.2,
                 parity_margin: float = 0.5, prior_bpm: float = LEVEL_PRIOR_BPM,
                 prior_octaves: float = LEVEL_PRIOR_OCTAVES, prior_plateau: float = 0.25) -> None:
        self._decay = float(np.exp(-1.0 / memory_beats))
        self._gain, self._hyst, self._margin = float(accent_gain), float(hysteresis), float(parity_margin)
        self._prior = (float(prior_bpm), float(prior_octaves), float(prior_plateau))
        self._sum = [0.0, 0.0]
        self._cnt = [0.0, 0.0]
        self._periods: list[float] = []
        self.index = 0  # tracked beats seen
        self.parity = 0  # parity (index % 2) of the kept beats while halved
        self.halved = False

    @property
    def factor(self) -> int:
        """Tracked beats per output beat (1 or 2)."""
        return 2 if self.halved else 1

    def keeps(self, index: int) -> bool:
        """Whether tracked beat ``index`` is an output beat under the current decision."""
        return not self.halved or index % 2 == self.parity

    def step(self, period_s: float, accent_prev: float | None) -> bool:
        """Advance by one tracked beat (``period_s``: the tracked beat period; ``accent_prev``: the
        accent (low-band flux) at the previous tracked beat, now that it has passed; None if unknown)."""
        j = self.index
        if accent_prev is not None and j > 0:
            p = (j - 1) % 2
            d = self._decay
            self._sum = [v * d for v in self._sum]
            self._cnt = [v * d for v in self._cnt]
            self._sum[p] += accent_prev
            self._cnt[p] += 1.0
        self._periods = (self._periods + [period_s])[-8:]
        if j >= 3 and min(self._cnt) > 0.0:
            m = [self._sum[k] / self._cnt[k] for k in (0, 1)]
            if m[1 - self.parity] > m[self.parity] * (1.0 + self._margin):
                self.parity = 1 - self.parity
            contrast = (m[self.parity] - m[1 - self.parity]) / (0.5 * (m[0] + m[1]) + 1e-9)
            bpm = 60.0 / float(np.median(self._periods))
            c, o, w = self._prior
            d = float(tempo_log_prior(bpm / 2.0, c, o, w) + self._gain * contrast - tempo_log_prior(bpm, c, o, w))
            if d > self._hyst:
                self.halved = True
            elif d < -self._hyst:
                self.halved = False
        self.index = j + 1
        return self.keeps(j)
