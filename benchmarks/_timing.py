"""Shared timing helpers for the ratio benchmarks (not part of the library).

``median_time(fn, repeats, warmup)`` calls ``fn`` ``warmup`` times (so OpenMP
workers, caches and JIT-ed peers are warm), then ``repeats`` times, and returns
the median wall time in seconds. Ratios are always taken between numbers
measured in the same run.

For load-robust comparisons on a shared machine, ``interleaved_times(fns,
repeats, warmup)`` runs the candidates round-robin (candidate 1, 2, ..., 1, 2,
...) so that a burst of load hits all of them alike, and returns the minimum
and the median of each; ``print_ratio_table`` prints both with their ratios to
a reference row. The minimum is the least load-sensitive estimate of what the
code costs; the median shows what a user sees on the same machine.
``thread_limit(n)`` caps OpenMP and BLAS threads (threadpoolctl);
``load_average()`` returns the 1/5/15-minute load averages to print with the
figures.
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


def interleaved_times(fns, repeats=11, warmup=2):
    """``{label: (min, median)}`` wall seconds of each ``fns[label]()``, run round-robin."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {label: [] for label in fns}
    for _ in range(repeats):
        for label, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - t0)
    return {label: (min(t), statistics.median(t)) for label, t in times.items()}


def load_average():
    try:
        return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:  # pragma: no cover - not on Unix
        return "load average unavailable"


class thread_limit:
    """Context manager: at most ``n`` OpenMP and BLAS threads (``None`` = no limit)."""

    def __init__(self, n):
        self.n = n
        self._ctl = None

    def __enter__(self):
        if self.n is not None:
            from threadpoolctl import threadpool_limits

            self._ctl = threadpool_limits(limits=self.n)
        return self

    def __exit__(self, *exc):
        if self._ctl is not None:
            self._ctl.restore_original_limits()
        return False


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


def print_ratio_table(title, stats, ref, ratio="ref/time"):
    """Rows ``label -> (min, median)``; ratio columns against row ``ref``.

    ``ratio="ref/time"``: > 1 means faster than the reference row;
    ``ratio="time/ref"``: the reference's speed relative to each row (roof tables).
    """
    width = max(len("what"), *(len(k) for k in stats))
    rmin, rmed = stats[ref]
    print(f"\n{title}")
    print(f"{'what':<{width}}  {'min':>12}  {'median':>12}  {'ratio(min)':>10}  {'ratio(med)':>10}")
    for label, (tmin, tmed) in stats.items():
        if ratio == "ref/time":
            a, b = rmin / tmin, rmed / tmed
        else:
            a, b = tmin / rmin, tmed / rmed
        print(f"{label:<{width}}  {fmt_time(tmin):>12}  {fmt_time(tmed):>12}  {a:10.2f}  {b:10.2f}")
