"""What the HUD shows, laid out in pixels (text lines, beat light, band meters, messages).

Sizes follow the HUD's font size, which follows the window height, so the layout looks the same
at 720p and 4K. Runs on the main thread inside the show's frame.
"""

from __future__ import annotations

import re

from reactor.features import BAND_NAMES

TEXT_REFRESH_S = 0.25
"""The status figures are redrawn this often (4 Hz: as fast as anyone reads them); a change that
is not a figure (a preset, FROZEN, REC) shows at once. Between refreshes the HUD reuses the
strings' vertices instead of rebuilding them."""
_FIGURES = re.compile(r"[-+]?\d[\d.]*")

WHITE = (1.0, 1.0, 1.0, 1.0)
DIM = (0.75, 0.78, 0.85, 1.0)
WARN = (1.0, 0.82, 0.3, 1.0)
ERROR = (1.0, 0.4, 0.35, 1.0)
BACKDROP = (0.0, 0.0, 0.0, 0.55)
ACCENT = (0.35, 0.9, 1.0, 1.0)


def _ms(value) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def _tempo_colour(arbiter) -> tuple:
    """The tempo line stands out while a clock, a Link session or taps lead, and warns while a
    forced source has nothing to say (the detector stands in)."""
    if arbiter.forced not in ("auto", arbiter.leader):
        return WARN
    return DIM if arbiter.leader == "detector" else ACCENT


def status_lines(show) -> list[tuple[str, tuple]]:
    """The HUD's text lines with their colours (also handy for tests and logs)."""
    f = show._features.scalars if show._features is not None else {}
    rec = show.stats.recent()
    seq = show.seq
    cur = show.slots[seq.current].preset.name
    fade = ""
    if seq.fade is not None:
        p = seq.fade.progress(show._now)
        fade = f" -> {show.slots[seq.fade.target].preset.name} {100 * p:.0f}%"
    scale = f"{show.scale:g}" + (" auto" if show.autoscale is not None else "")
    src = show.source.stats()
    tap = f"  tap {show.tap.bpm:.1f}" if show.tap.bpm else ""
    flags = [n for n, on in (("FROZEN", show.frozen), ("BLACKOUT", show.blackout)) if on]
    if show.recorder is not None:
        flags.append(f"REC {show.recorder.recording_s:.0f} s")
    lines = [
        (f"{cur} ({seq.current + 1}/{len(show.slots)}){fade}", WHITE),
        (f"{rec['fps']:.1f} fps  frame {rec['frame_ms']:.1f} ms (p99 {rec['frame_ms_p99']:.0f})  "
         f"work {rec['work_ms']:.1f} ms  late {show.stats.late_frames}  scale {scale}  {show.pacer.mode}", DIM),
        (f"{f.get('tempo_bpm', 0.0):.1f} BPM  from {show.arbiter.label}  conf {f.get('tempo_confidence', 0.0):.2f}{tap}  "
         f"nudge {1e3 * show.nudge_s:+.0f} ms", _tempo_colour(show.arbiter)),
        (f"latency in {_ms(src.get('input_latency_ms'))}  analysis {show.engine.analysis_s * 1e3:.1f} ms  "
         f"frame {show._last_work_s * 1e3:.0f} ms  "
         f"out {_ms(src.get('output_latency_ms'))}  lead {1e3 * show.lead_s():.0f} ms  xruns {src.get('xruns', 0)}",
         DIM),
        (f"fade {seq.fade_s:g} s  on {seq.quantize}  {show.source.name}", DIM),
    ]
    if flags:
        lines.append(("  ".join(flags), WARN))
    for surface in show.surfaces:  # e.g. the MIDI learn state
        lines.extend((text, ACCENT) for text in getattr(surface, "hud_lines", lambda: [])())
    return lines


class HudView:
    """Lays out the HUD each frame; the status text is refreshed at ``TEXT_REFRESH_S`` (main thread)."""

    def __init__(self, *, refresh_s: float = TEXT_REFRESH_S) -> None:
        self.refresh_s = float(refresh_s)
        self._lines: list[tuple[str, tuple]] | None = None
        self._shape: list[str] = []
        self._at = float("-inf")

    def lines(self, show, now_s: float) -> list[tuple[str, tuple]]:
        """The status lines to show at ``now_s``: fresh ones when due or when more than a figure changed."""
        lines = status_lines(show)
        shape = [_FIGURES.sub("#", t) for t, _ in lines]
        if self._lines is None or now_s - self._at >= self.refresh_s or shape != self._shape:
            self._lines, self._shape, self._at = lines, shape, now_s
        return self._lines

    def draw(self, show, hud, size: tuple[int, int], now_s: float) -> None:
        """Queue the whole HUD for this frame into ``hud`` (the caller ends it)."""
        draw_hud(show, hud, size, lines=self.lines(show, now_s))


def draw_hud(show, hud, size: tuple[int, int], *, lines: list[tuple[str, tuple]] | None = None) -> None:
    """Queue the whole HUD for this frame into ``hud`` (the caller ends it); ``lines``: the
    status lines (default: fresh ones)."""
    from reactor.control.keys import format_keys

    hud.begin(size)
    cw, ch = hud.cell_w_px, hud.cell_h_px
    pad = max(4, ch // 3)
    lines = status_lines(show) if lines is None else lines
    width = max(len(t) for t, _ in lines) * cw + 2 * pad + 3 * ch
    hud.rect(0, 0, width, len(lines) * ch + 2 * pad, BACKDROP)
    for i, (text, color) in enumerate(lines):
        hud.text(pad + (2 * ch if i == 2 else 0), pad + i * ch, text, color)
    f = show._features.scalars if show._features is not None else {}
    # beat light: lit on the beat, fading over the beat; brighter on the downbeat
    pulse = float(f.get("beat_pulse", 0.0))
    down = float(f.get("downbeat_pulse", 0.0))
    hud.rect(pad, pad + 2 * ch + ch // 6, ch * 1.4, ch * 0.7, (0.15 + 0.85 * pulse, 0.2 + 0.5 * down, 0.1, 1.0))
    # band meters, bottom left
    w, h = size
    meter_w, meter_h = ch * 0.8, ch * 4
    x0, y0 = pad, h - pad - meter_h - ch
    hud.rect(0, y0 - pad, len(BAND_NAMES) * (meter_w + pad) + 2 * pad, meter_h + ch + 2 * pad, BACKDROP)
    for i, band in enumerate(BAND_NAMES):
        v = max(0.0, min(1.0, float(f.get(band, 0.0))))
        hit = max(0.0, min(1.0, float(f.get(f"{band}_hit", 0.0))))
        x = x0 + i * (meter_w + pad)
        hud.rect(x, y0, meter_w, meter_h, (0.2, 0.2, 0.25, 0.8))
        hud.rect(x, y0 + meter_h * (1 - v), meter_w, meter_h * v, (0.3 + 0.7 * hit, 0.8, 1.0 - 0.6 * hit, 1.0))
        hud.text(x, y0 + meter_h + 2, band[:2], DIM)
    # warnings and errors, bottom right, newest last
    msgs = show.messages[-4:]
    for i, m in enumerate(msgs):
        text = m if len(m) * cw < w * 0.6 else m[: max(8, int(w * 0.6 / cw) - 3)] + "..."
        color = ERROR if m in show.errors else WARN
        y = h - pad - (len(msgs) - i) * ch
        x = w - pad - len(text) * cw
        hud.rect(x - pad, y, len(text) * cw + 2 * pad, ch, BACKDROP)
        hud.text(x, y, text, color)
    if show.show_help:
        keys = format_keys().splitlines()
        kx = max(pad, w - pad - max(len(k) for k in keys) * cw)
        ky = len(lines) * ch + 3 * pad  # below the status block
        hud.rect(kx - pad, ky - pad, w - kx + pad, (len(keys) + 1) * ch + 2 * pad, BACKDROP)
        hud.text(kx, ky, "keys", ACCENT)
        for i, k in enumerate(keys, start=1):
            hud.text(kx, ky + i * ch, k, WHITE)
