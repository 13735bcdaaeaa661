"""Cold and warm start of ``rltheory reproduce`` (issue 11, section 2): how long before work begins.

Each measurement runs the command line in a fresh interpreter, as a user does::

    python -m rltheory.cli reproduce NAME --out DIR --no-progress [--workers 2]

with ``RLTHEORY_CACHE_DIR`` pointing to a folder of this benchmark, and
reports the wall time to the first line printed (the run's header) and to the end,
and counts the compilation messages on stderr (driver and workers). The scenarios:

* ``cold serial``: an empty cache folder (every kernel is compiled);
* ``warm serial``: the same command again (kernels loaded from the cache);
* ``warm --workers 2``: after the serial runs, two worker processes: they must
  load the cache the serial run wrote (before the fix they compiled every
  kernel again: pickling made the problem's read-only arrays writable, another
  Numba signature);
* ``cold --workers 2``: an empty cache folder, two workers (chunks are handed
  out round-robin over configurations, so the workers compile different kernels);
* ``compile, then warm``: ``rltheory compile NAME`` on an empty cache, then the
  serial command.

Usage::

    python benchmarks/bench_startup.py [--name bernoulli-two-arms] [--runs 100] [--horizon 5000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import load_average  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def run_cli(args, cache):
    """``(seconds to the first stdout line, number of compile messages, total seconds)``."""
    env = dict(os.environ, RLTHEORY_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    env.pop("NUMBA_CACHE_DIR", None)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "rltheory.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first_out = None
    for _ in proc.stdout:
        if first_out is None:
            first_out = time.perf_counter() - t0
    err = proc.stderr.read()
    proc.wait()
    total = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{err}")
    # "compiling X (first run only ...)" from the driver, "worker PID: compiling X ..." from a worker
    compiling = sum(1 for line in err.splitlines() if "compiling " in line and "(first run only" in line)
    return first_out, compiling, total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="bernoulli-two-arms")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--horizon", type=int, default=None)
    opts = parser.parse_args()
    size = ["--runs", str(opts.runs)] if opts.runs else []
    size += ["--horizon", str(opts.horizon)] if opts.horizon else []
    base = Path(tempfile.mkdtemp(prefix="rltheory-bench-startup-"))
    rows = []
    try:

        def reproduce(label, cache, out, *extra):
            first, compiling, total = run_cli(
                ["reproduce", opts.name, "--out", str(base / out), "--no-progress", *size, *extra], cache
            )
            rows.append((label, first, compiling, total))
            print(
                f"{label:<26} first line {first:6.2f} s   compile messages {compiling:2d}   total {total:7.1f} s",
                flush=True,
            )

        print(f"rltheory reproduce {opts.name} {' '.join(size)}  ({load_average()})", flush=True)
        reproduce("cold serial", base / "cache-a", "o1")
        reproduce("warm serial", base / "cache-a", "o2")
        reproduce("warm --workers 2", base / "cache-a", "o3", "--workers", "2")
        reproduce("cold --workers 2", base / "cache-b", "o4", "--workers", "2")
        t0 = time.perf_counter()
        _, compiling, _ = run_cli(["compile", opts.name], base / "cache-c")
        print(
            f"{'rltheory compile (cold)':<26} {'':17} compile messages {compiling:2d}   "
            f"total {time.perf_counter() - t0:7.1f} s",
            flush=True,
        )
        reproduce("after compile: serial", base / "cache-c", "o5")
        print(f"(at the end: {load_average()})")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
