"""Bandit engine benchmarks (run: python benchmarks/bench_bandits.py [--smpy] [--memory-runs N]).

1. Time per arm pull, K = 10 Bernoulli arms, T = 10^5, 100 runs, for UCB1 and
   Beta-Bernoulli Thompson sampling: the compiled engine (warm; min of
   ``--repeats`` calls, all threads and one thread) against a NumPy
   implementation vectorised over runs (below, single-threaded, one call).
   Targets: UCB1 >= 3x, Thompson >= 1.2x.
2. Optionally (--smpy) SMPyBandits' ``UCB`` and ``Thompson`` on a reduced
   workload (T = 10^4, 5 runs; pure-Python loops of the library's policy
   objects).  Target: >= 200x per pull.  SMPyBandits 0.9.7 imports
   ``scipy.special.btdtri``, removed from current SciPy: this script (only)
   installs ``btdtri(a, b, p) = betaincinv(a, b, p)`` before importing it.
3. Peak memory of ``simulate(UCB1)`` for T = 10^7 and 200 checkpoints,
   measured in a fresh subprocess with ``resource.getrusage`` (max RSS) and
   ``tracemalloc`` (peak of Python-tracked allocations, i.e. the NumPy
   outputs).  ``--memory-runs 1000`` runs the full 1000-run workload (10^10
   pulls, ~3.5 min on 2 quiet cores); the default measures fewer runs and
   reports the size of the 1000-run outputs, which is all that grows with
   ``n_runs``.  Target: < 1 GB.

Everything ends with one ratio table (figures measured in the same run).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rltheory.bandits import UCB1, BernoulliBandit, ThompsonSampling  # noqa: E402
from rltheory.simulation import simulate  # noqa: E402

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


def best_of(repeats, f, *args, **kwargs):
    best, out = np.inf, None
    for _ in range(repeats):
        t, out = timed(f, *args, **kwargs)
        best = min(best, t)
    return best, out


def bench_speed(repeats):
    """ns per pull: engine (all threads, one thread) and NumPy; returns {policy: dict}."""
    bandit = BernoulliBandit(MEANS)
    pulls = T * RUNS
    threads = numba.get_num_threads()
    res = {}
    for name, policy, ref in (("UCB1", UCB1(), numpy_ucb1), ("Thompson", ThompsonSampling(), numpy_thompson)):
        simulate(bandit, policy, n_rounds=1000, n_runs=4)  # warm (compile or load the cache)
        t_nb, curve = best_of(
            repeats, lambda policy=policy: simulate(bandit, policy, n_rounds=T, n_runs=RUNS, checkpoints=200)
        )
        numba.set_num_threads(1)
        try:
            t_1, _ = best_of(
                repeats, lambda policy=policy: simulate(bandit, policy, n_rounds=T, n_runs=RUNS, checkpoints=200)
            )
        finally:
            numba.set_num_threads(threads)
        t_np, reg = timed(ref, MEANS, T, RUNS)
        res[name] = dict(
            engine=t_nb / pulls * 1e9,
            engine_1=t_1 / pulls * 1e9,
            numpy=t_np / pulls * 1e9,
            regret=curve.mean[-1],
            regret_np=reg.mean(),
        )
    print(f"K={K} Bernoulli arms, T={T}, {RUNS} runs; engine: min of {repeats} calls, {threads} threads and 1 thread")
    print(
        f"{'policy':10s} {'engine ns/pull':>15s} {'1-thread':>9s} {'numpy ns/pull':>14s} {'regret(engine)':>15s} "
        f"{'regret(numpy)':>14s}"
    )
    for name, r in res.items():
        print(
            f"{name:10s} {r['engine']:15.1f} {r['engine_1']:9.1f} {r['numpy']:14.1f} {r['regret']:15.1f} "
            f"{r['regret_np']:14.1f}"
        )
    return res


def _import_smpy():
    import scipy.special

    if not hasattr(scipy.special, "btdtri"):
        # SMPyBandits imports scipy.special.btdtri (removed in SciPy 1.14); same function
        scipy.special.btdtri = lambda a, b, p: scipy.special.betaincinv(a, b, p)
    from SMPyBandits.Policies import UCB, Thompson

    return UCB, Thompson


def bench_smpy(horizon=10**4, runs=5):
    """ns per pull of SMPyBandits' UCB (UCB1) and Thompson (Beta posterior); None if unavailable."""
    try:
        UCB, Thompson = _import_smpy()
    except Exception as exc:  # noqa: BLE001 - report why the peer library is unavailable
        print(f"SMPyBandits unavailable: {exc!r}")
        return None
    rng = np.random.default_rng(0)
    res = {}
    for name, cls in (("UCB1", UCB), ("Thompson", Thompson)):
        t0 = time.perf_counter()
        for _ in range(runs):
            pol = cls(K)
            pol.startGame()
            for _t in range(horizon):
                a = pol.choice()
                pol.getReward(a, float(rng.random() < MEANS[a]))
        res[name] = (time.perf_counter() - t0) / (horizon * runs) * 1e9
        print(
            f"SMPyBandits {name}: {res[name]:.0f} ns/pull (T={horizon}, {runs} runs, pure-Python loop of the "
            "library's policy objects)"
        )
    return res


_MEMORY_CHILD = """
import resource, sys, tracemalloc, time, json
sys.path.insert(0, {root!r})
import numpy as np
from rltheory.bandits import BernoulliBandit, UCB1
from rltheory.simulation import simulate
b = BernoulliBandit(np.linspace(0.1, 0.9, 10))
simulate(b, UCB1(), n_rounds=100, n_runs=2)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
t0 = time.perf_counter()
c = simulate(b, UCB1(), n_rounds={horizon}, n_runs={runs}, checkpoints=200)
dt = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps(dict(maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, base_kb=base, traced_peak=peak,
seconds=dt, n_ckpt=int(c.times.size))))
"""


def bench_memory(runs):
    horizon = 10**7
    root = str(Path(__file__).resolve().parents[1])
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD.format(root=root, horizon=horizon, runs=runs)],
        capture_output=True,
        text=True,
        check=True,
    )
    d = json.loads(out.stdout.strip().splitlines()[-1])
    full = 1000 * d["n_ckpt"] * (8 + 8 + 8 * K) + 1000 * (K + 1) * 32
    print(
        f"memory, UCB1, T=10^7, {runs} runs, {d['n_ckpt']} checkpoints: max RSS {d['maxrss_kb'] / 1024:.0f} MiB "
        f"(interpreter+numba after warm-up {d['base_kb'] / 1024:.0f} MiB), tracemalloc peak "
        f"{d['traced_peak'] / 2**20:.1f} MiB, "
        f"{d['seconds']:.1f} s; outputs+seeds for 1000 runs: {full / 2**20:.1f} MiB"
    )
    d["runs"] = runs
    d["full_outputs"] = full
    return d


def ratio_table(speed, smpy, mem):
    print("\nratio table (all figures from this run)")
    print(f"{'comparison':58s} {'ours':>12s} {'peer':>12s} {'ratio':>8s} {'target':>8s}  status")
    targets = {"UCB1": 3.0, "Thompson": 1.2}
    rows = []
    if speed:
        for name, r in speed.items():
            rows.append(
                (
                    f"{name}: engine ({numba.get_num_threads()} thr) vs NumPy, ns/pull",
                    r["engine"],
                    r["numpy"],
                    targets[name],
                )
            )
            rows.append(
                (f"{name}: engine (1 thread) vs NumPy (1 thread), ns/pull", r["engine_1"], r["numpy"], targets[name])
            )
        if smpy:
            for name, r in speed.items():
                rows.append(
                    (
                        f"{name}: engine ({numba.get_num_threads()} thr) vs SMPyBandits, ns/pull",
                        r["engine"],
                        smpy[name],
                        200.0,
                    )
                )
                rows.append((f"{name}: engine (1 thread) vs SMPyBandits, ns/pull", r["engine_1"], smpy[name], 200.0))
    for label, ours, peer, target in rows:
        ratio = peer / ours
        print(
            f"{label:58s} {ours:12.1f} {peer:12.1f} {ratio:7.1f}x {target:7.1f}x  "
            f"{'met' if ratio >= target else 'MISSED'}"
        )
    if mem is not None:
        rss = mem["maxrss_kb"] * 1024
        if mem["runs"] >= 1000:
            est, how = rss, "measured"
        else:
            est, how = rss + mem["full_outputs"], "measured RSS + 1000-run outputs"
        print(
            f"{'peak memory T=10^7, 1000 runs, 200 ckpts (' + how + ')':58s} {est / 2**20:9.0f} MiB {'':>12s} "
            f"{'':>8s} {'< 1 GiB':>8s}  {'met' if est < 2**30 else 'MISSED'}"
        )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smpy", action="store_true")
    ap.add_argument("--memory-runs", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    speed = None if args.skip_speed else bench_speed(args.repeats)
    smpy = bench_smpy() if args.smpy else None
    mem = None if args.skip_memory else bench_memory(args.memory_runs)
    ratio_table(speed, smpy, mem)


if __name__ == "__main__":
    main()
