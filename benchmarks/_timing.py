"""Shared timing helpers for the ratio benchmarks (not part of the library).

``median_time(fn, repeats, warmup)`` calls ``fn`` ``warmup`` times (so OpenMP
workers, caches and JIT-ed peers are warm), then ``repeats`` times, and returns
the median wall time in seconds. Ratios are always taken between numbers
measured in the same run.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def median_time(fn, repeats=7, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fmt_time(t):
    if t < 1e-3:
        return f"{t * 1e6:9.1f} us"
    if t < 1.0:
        return f"{t * 1e3:9.2f} ms"
    return f"{t:9.3f} s "


def print_table(title, rows, header=("what", "time", "ratio")):
    """rows: (label, seconds, ratio-or-None)."""
    width = max(len(header[0]), *(len(r[0]) for r in rows))
    print(f"\n{title}")
    print(f"{header[0]:<{width}}  {header[1]:>12}  {header[2]:>10}")
    for label, t, ratio in rows:
        r = "" if ratio is None else f"{ratio:10.2f}"
        print(f"{label:<{width}}  {fmt_time(t):>12}  {r:>10}")
