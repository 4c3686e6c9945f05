"""A FIFO of sample blocks: the one loop that hands out the first ``n`` frames of it.

Used where audio arrives in blocks of arbitrary length and leaves in spans of another length:
the render loop's sample feed (``reactor.audio.feed``) and the video muxer's audio queue
(``reactor.output.video``). Plain numpy, no state of its own.
"""

from __future__ import annotations

import numpy as np


def take_frames(blocks: list[np.ndarray], n: int, channels: int) -> tuple[np.ndarray, int]:
    """Pop up to ``n`` frames from the front of ``blocks`` (``(k, channels)`` arrays, oldest first).

    Returns a new float32 ``(n, channels)`` array (zero past what the blocks held) and how many
    frames were taken. ``blocks`` is consumed in place: emptied blocks are removed, a partly
    used first block is replaced by its remainder.
    """
    out = np.zeros((n, channels), np.float32)
    got = 0
    while got < n and blocks:
        head = blocks[0]
        k = min(n - got, len(head))
        out[got:got + k] = head[:k]
        got += k
        if k == len(head):
            blocks.pop(0)
        else:
            blocks[0] = head[k:]
    return out, got
