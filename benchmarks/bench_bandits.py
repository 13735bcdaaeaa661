"""Bandit engine benchmarks (run: python benchmarks/bench_bandits.py [--smpy] [--memory-runs N]).

1. Time per arm pull, K = 10 Bernoulli arms, T = 10^5, 100 runs, for UCB1 and
   Beta-Bernoulli Thompson sampling: the compiled engine (warm) against a
   NumPy implementation vectorised over runs (below).  Targets: UCB1 >= 3x,
   Thompson >= 1.2x.
2. Optionally (--smpy) SMPyBandits on the same workload if it is installed.
3. Peak memory of ``simulate`` for T = 10^7 and 200 checkpoints, measured in
   a fresh subprocess with ``resource.getrusage`` (max RSS) and
   ``tracemalloc`` (peak of Python-tracked allocations, i.e. the NumPy
   outputs).  ``--memory-runs 1000`` runs the full 1000-run workload (10^10
   pulls: long on a small machine); the default measures fewer runs and
   reports the size of the 1000-run outputs, which is all that grows with
   ``n_runs``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rltheory.bandits import UCB1, BernoulliBandit, ThompsonSampling, simulate  # noqa: E402

K, T, RUNS = 10, 10**5, 100
MEANS = np.linspace(0.1, 0.9, K)


def numpy_ucb1(means, horizon, runs, seed=0):
    """UCB1 (Auer et al. 2002) vectorised over runs with NumPy."""
    rng = np.random.default_rng(seed)
    k = means.size
    n = np.zeros((runs, k))
    s = np.zeros((runs, k))
    rows = np.arange(runs)
    regret = np.zeros(runs)
    gaps = means.max() - means
    for t in range(1, horizon + 1):
        if t <= k:
            arm = np.full(runs, t - 1)
        else:
            arm = np.argmax(s / n + np.sqrt(2.0 * np.log(t - 1) / n), axis=1)
        x = rng.random(runs) < means[arm]
        n[rows, arm] += 1
        s[rows, arm] += x
        regret += gaps[arm]
    return regret


def numpy_thompson(means, horizon, runs, seed=0):
    """Beta-Bernoulli Thompson sampling vectorised over runs with NumPy."""
    rng = np.random.default_rng(seed)
    k = means.size
    n = np.zeros((runs, k))
    s = np.zeros((runs, k))
    rows = np.arange(runs)
    regret = np.zeros(runs)
    gaps = means.max() - means
    for _ in range(horizon):
        arm = np.argmax(rng.beta(s + 1.0, n - s + 1.0), axis=1)
        x = rng.random(runs) < means[arm]
        n[rows, arm] += 1
        s[rows, arm] += x
        regret += gaps[arm]
    return regret


def timed(f, *args, **kwargs):
    t0 = time.perf_counter()
    out = f(*args, **kwargs)
    return time.perf_counter() - t0, out


def bench_speed():
    bandit = BernoulliBandit(MEANS)
    pulls = T * RUNS
    rows = []
    for name, policy, ref in (("UCB1", UCB1(), numpy_ucb1), ("Thompson", ThompsonSampling(), numpy_thompson)):
        simulate(bandit, policy, 1000, 4)  # warm (compile or load the cache)
        t_nb, curve = timed(simulate, bandit, policy, T, RUNS, checkpoints=200)
        t_np, reg = timed(ref, MEANS, T, RUNS)
        rows.append((name, t_nb / pulls * 1e9, t_np / pulls * 1e9, t_np / t_nb, curve.mean[-1], reg.mean()))
    print(f"K={K} Bernoulli arms, T={T}, {RUNS} runs")
    print(f"{'policy':10s} {'engine ns/pull':>15s} {'numpy ns/pull':>14s} {'speed-up':>9s} {'regret(engine)':>15s} {'regret(numpy)':>14s}")
    for r in rows:
        print(f"{r[0]:10s} {r[1]:15.1f} {r[2]:14.1f} {r[3]:8.1f}x {r[4]:15.1f} {r[5]:14.1f}")
    return rows


def bench_smpy(horizon=10**4, runs=10):
    try:
        from SMPyBandits.Arms import Bernoulli
        from SMPyBandits.Policies import UCB, Thompson
    except Exception as exc:  # noqa: BLE001 - report why the peer library is unavailable
        print(f"SMPyBandits unavailable: {exc!r}")
        return
    rng = np.random.default_rng(0)
    for name, cls in (("UCB1", UCB), ("Thompson", Thompson)):
        arms = [Bernoulli(float(m)) for m in MEANS]
        t0 = time.perf_counter()
        for _ in range(runs):
            pol = cls(K)
            pol.startGame()
            for _t in range(horizon):
                a = pol.choice()
                pol.getReward(a, float(rng.random() < MEANS[a]))
        dt = (time.perf_counter() - t0) / (horizon * runs)
        print(f"SMPyBandits {name}: {dt * 1e9:.0f} ns/pull (T={horizon}, {runs} runs, pure-Python loop of the library's policy objects)")


_MEMORY_CHILD = """
import resource, sys, tracemalloc, time, json
sys.path.insert(0, {root!r})
import numpy as np
from rltheory.bandits import BernoulliBandit, EpsilonGreedy, simulate
b = BernoulliBandit(np.linspace(0.1, 0.9, 10))
simulate(b, EpsilonGreedy(epsilon=0.0), 100, 2)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
t0 = time.perf_counter()
c = simulate(b, EpsilonGreedy(epsilon=0.0), {horizon}, {runs}, checkpoints=200)
dt = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps(dict(maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, base_kb=base, traced_peak=peak, seconds=dt, n_ckpt=int(c.times.size))))
"""


def bench_memory(runs):
    horizon = 10**7
    root = str(Path(__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD.format(root=root, horizon=horizon, runs=runs)], capture_output=True, text=True, check=True)
    d = json.loads(out.stdout.strip().splitlines()[-1])
    full = 1000 * d["n_ckpt"] * (8 + 8 + 8 * K) + 1000 * (K + 1) * 32
    print(
        f"memory, T=10^7, {runs} runs, {d['n_ckpt']} checkpoints: max RSS {d['maxrss_kb'] / 1024:.0f} MiB "
        f"(interpreter+numba after warm-up {d['base_kb'] / 1024:.0f} MiB), tracemalloc peak {d['traced_peak'] / 2**20:.1f} MiB, "
        f"{d['seconds']:.1f} s; outputs+seeds for 1000 runs: {full / 2**20:.1f} MiB"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smpy", action="store_true")
    ap.add_argument("--memory-runs", type=int, default=4)
    ap.add_argument("--skip-speed", action="store_true")
    args = ap.parse_args()
    if not args.skip_speed:
        bench_speed()
    if args.smpy:
        bench_smpy()
    bench_memory(args.memory_runs)


if __name__ == "__main__":
    main()
