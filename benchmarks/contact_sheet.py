"""Contact sheet of two renders of the same clip, before and after a change, to look at.

    python benchmarks/contact_sheet.py BEFORE.mp4 AFTER.mp4 OUT.png [--times 1,2.5,4,5.5] [--crop 0.4,0.35]

Each row is one time: the whole frame before, after, the difference (x8, so one-level changes
show), and a 2x crop (no interpolation) of before and after around ``--crop`` (x, y of its
centre, 0..1 of the frame, origin top-left), where fine detail shows what an upscale lost. The
two clips should be lossless renders (``--quality lossless``) so the encoder adds nothing.
Prints the mean and 99th percentile of the absolute difference per row.
"""

from __future__ import annotations

import argparse
import sys

import av
import numpy as np
from PIL import Image, ImageDraw


def frames_at(path: str, times_s: list[float]) -> list[np.ndarray]:
    """RGB frames of ``path`` nearest ``times_s``."""
    with av.open(path) as c:
        stream = c.streams.video[0]
        rate = float(stream.average_rate)
        want = {round(t * rate): i for i, t in enumerate(times_s)}
        out: list = [None] * len(times_s)
        for n, frame in enumerate(c.decode(video=0)):
            if n in want:
                out[want[n]] = frame.to_ndarray(format="rgb24")
    if any(f is None for f in out):
        raise SystemExit(f"{path}: shorter than {max(times_s)} s")
    return out


def sheet(before: list[np.ndarray], after: list[np.ndarray], times_s: list[float], crop_xy: tuple[float, float],
          thumb_w: int = 480) -> tuple[Image.Image, list[tuple[float, float]]]:
    h, w = before[0].shape[:2]
    th = round(thumb_w * h / w)
    cw, ch = thumb_w // 2, th // 2  # crop size in source pixels, shown 2x
    cx = int(np.clip(crop_xy[0] * w - cw / 2, 0, w - cw))
    cy = int(np.clip(crop_xy[1] * h - ch / 2, 0, h - ch))
    cols, pad, label = 5, 4, 18
    img = Image.new("RGB", (cols * (thumb_w + pad) + pad, len(times_s) * (th + pad + label) + pad), (40, 40, 40))
    draw = ImageDraw.Draw(img)
    stats = []
    for row, (b, a, t) in enumerate(zip(before, after, times_s)):
        diff = np.abs(a.astype(np.int16) - b.astype(np.int16))
        stats.append((float(diff.mean()), float(np.percentile(diff, 99))))
        tiles = [b, a, np.clip(diff * 8, 0, 255).astype(np.uint8)]
        tiles = [Image.fromarray(x).resize((thumb_w, th), Image.LANCZOS) for x in tiles]
        for x in (b, a):
            tiles.append(Image.fromarray(x[cy:cy + ch, cx:cx + cw]).resize((thumb_w, th), Image.NEAREST))
        y = pad + row * (th + pad + label)
        names = ("before", "after", "|diff| x8", "before, 2x crop", "after, 2x crop")
        for col, (tile, name) in enumerate(zip(tiles, names)):
            x = pad + col * (thumb_w + pad)
            draw.text((x, y), f"{name}  t={t:g}s" if col == 0 else name, fill=(230, 230, 230))
            img.paste(tile, (x, y + label))
    return img, stats


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("out")
    ap.add_argument("--times", default="1,2.5,4,5.5")
    ap.add_argument("--crop", default="0.4,0.35")
    args = ap.parse_args(argv)
    times = [float(t) for t in args.times.split(",")]
    crop = tuple(float(v) for v in args.crop.split(","))
    img, stats = sheet(frames_at(args.before, times), frames_at(args.after, times), times, crop)
    img.save(args.out)
    for t, (mean, p99) in zip(times, stats):
        print(f"t={t:g}s  mean |diff| {mean:.2f}  p99 {p99:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
