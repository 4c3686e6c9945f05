"""SampleRing: order, wraparound, overflow (oldest dropped, counted), and a write path that allocates nothing."""

import threading
import tracemalloc

import numpy as np
import pytest

from reactor.audio.ring import SampleRing


def _ramp(start, n, channels=2):
    """Frames numbered start..start+n-1 (each channel c holds frame + c / 10)."""
    f = np.arange(start, start + n, dtype=np.float32)[:, None]
    return np.ascontiguousarray(f + np.arange(channels, dtype=np.float32)[None, :] / 10)


def test_reads_everything_written_in_order_across_wraparound():
    ring = SampleRing(capacity_frames=100, channels=2)
    got, pos = [], 0
    for n in [30, 30, 30, 30, 7, 99, 1, 64]:  # crosses the end of the buffer many times
        ring.write(_ramp(pos, n))
        pos += n
        got.append(ring.read())
    out = np.concatenate(got)
    np.testing.assert_array_equal(out, _ramp(0, pos))
    assert ring.overflows == 0 and ring.lost_frames == 0
    assert ring.read().shape == (0, 2)


def test_overflow_drops_the_oldest_frames_and_counts_them():
    ring = SampleRing(capacity_frames=100, channels=2)
    for k in range(5):  # 160 frames into a ring of 100 without reading
        ring.write(_ramp(32 * k, 32))
    assert ring.overflows == 2  # the 4th and the 5th write overwrote unread frames
    out = ring.read()
    np.testing.assert_array_equal(out, _ramp(60, 100))  # the newest 100 survive
    assert ring.lost_frames == 60
    ring.write(_ramp(160, 10))
    np.testing.assert_array_equal(ring.read(), _ramp(160, 10))
    assert ring.lost_frames == 60


def test_block_longer_than_the_ring_keeps_its_newest_part():
    ring = SampleRing(capacity_frames=50, channels=1)
    ring.write(_ramp(0, 120, 1))
    np.testing.assert_array_equal(ring.read(), _ramp(70, 50, 1))
    assert ring.lost_frames == 70 and ring.frames_written == 120


def test_write_allocates_no_arrays():
    ring = SampleRing(capacity_frames=48000, channels=2)
    block = _ramp(0, 4096)  # 32 KiB: any copy of it would show in the traced peak
    ring.write(block)  # first call warms caches
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(200):  # wraps the ring many times
            ring.write(block)
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - before < 2048, f"write allocated {peak - before} bytes at peak"
    assert after - before < 512


def test_concurrent_writer_and_reader_see_a_gapless_or_correctly_counted_stream():
    """A real producer thread against a real consumer: every frame read is in order, and frames
    read + frames lost == frames written."""
    ring = SampleRing(capacity_frames=1024, channels=1)
    total = 200_000
    done = threading.Event()

    def produce():
        pos = 0
        while pos < total:
            n = min(256, total - pos)
            ring.write(_ramp(pos, n, 1))
            pos += n
        done.set()

    t = threading.Thread(target=produce)
    t.start()
    parts, expect = [], 0
    while True:
        finished = done.is_set()
        lost_before = ring.lost_frames
        part = ring.read()
        expect += ring.lost_frames - lost_before  # lost frames come first
        if len(part):
            np.testing.assert_array_equal(part[:, 0], np.arange(expect, expect + len(part), dtype=np.float32))
            expect += len(part)
            parts.append(part)
        if finished and not len(part):
            break
    t.join()
    assert expect == total
    assert sum(map(len, parts)) + ring.lost_frames == total


@pytest.mark.parametrize("kw", [dict(capacity_frames=8, channels=2), dict(capacity_frames=100, channels=0)])
def test_bad_sizes_are_refused(kw):
    with pytest.raises(ValueError):
        SampleRing(**kw)
