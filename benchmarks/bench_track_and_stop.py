"""Track-and-Stop benchmarks (run: python benchmarks/bench_track_and_stop.py [--ref-steps N] [--runs N]).

1. Time per step of Track-and-Stop (D-tracking, GLR stopping, Kaufmann-Koolen threshold), K = 10
   Bernoulli arms, delta = 0.01: the compiled agent through ``simulate`` (warm; whole runs to their
   stopping time, time / total steps) against the plain-Python reference of
   ``rltheory.bandits._bai_reference`` that recomputes w*(mu_hat) by nested ``scipy.optimize.brentq``
   at every step (the first ``--ref-steps`` steps of one run, on the same random streams; the arm
   sequences are compared). Target: >= 20x per step.
2. ``characteristic_time`` for K = 100 Bernoulli arms (certified to tol = 1e-10; median of warm repeats)
   against the nested-``brentq`` SciPy reference ``scipy_optimal_weights`` (uncertified) on the same means,
   and the two T* compared. Target: under 10 ms.

Ratios are between numbers measured in the same run; never a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import fmt_time, load_average, median_time, print_ratio_table  # noqa: E402

from rltheory.bandits import (  # noqa: E402
    BernoulliBandit,
    IdentificationProblem,
    TrackAndStop,
    characteristic_time,
    optimal_weights,
)
from rltheory.bandits._bai_reference import reference_runs, scipy_optimal_weights  # noqa: E402
from rltheory.simulation import simulate  # noqa: E402

K, DELTA = 10, 0.01
MEANS = np.linspace(0.85, 0.2, K)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref-steps", type=int, default=500, help="steps of the SciPy reference (one run)")
    ap.add_argument("--runs", type=int, default=10, help="compiled runs (each to its stopping time)")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(load_average())

    problem = IdentificationProblem(BernoulliBandit(MEANS), DELTA)
    agent = TrackAndStop()
    T = characteristic_time(problem.bandit)
    print(f"K = {K}, means = {np.round(MEANS, 4).tolist()}, delta = {DELTA}, T* = {T:.1f}")

    simulate(problem, agent, n_rounds=10**7, n_runs=1, seed=0)  # compile / load the kernel
    steps = []
    compiled = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        res = simulate(problem, agent, n_rounds=10**7, n_runs=args.runs, seed=1)
        compiled.append(time.perf_counter() - t0)
        steps.append(int(res.stopping_times.sum()))
    per_step = [c / s for c, s in zip(compiled, steps)]
    print(
        f"compiled: {args.runs} runs, {steps[0]} steps in all (mean tau {res.mean_stopping_time:.0f}), "
        f"errors {res.n_errors}"
    )

    # the reference on the same streams, capped: its first ref-steps decisions must be the compiled agent's
    cap = args.ref_steps
    t0 = time.perf_counter()
    tau_ref, rec_ref, pulls_ref, _ = reference_runs(problem, agent, cap, 1, seed=1)
    ref_time = time.perf_counter() - t0
    capped = simulate(problem, agent, n_rounds=cap, n_runs=1, seed=1)
    same = bool((capped.pulls == pulls_ref).all() and (capped.stopping_times == tau_ref).all())
    ref_per_step = ref_time / int(tau_ref[0])
    print(f"reference: {int(tau_ref[0])} steps in {ref_time:.2f} s; identical pulls on the capped run: {same}")

    stats = {
        "compiled (simulate)": (min(per_step), float(np.median(per_step))),
        "NumPy/SciPy reference": (ref_per_step, ref_per_step),
    }
    print_ratio_table(
        "Track-and-Stop, time per step (ratio = reference / compiled)",
        stats,
        ref="compiled (simulate)",
        ratio="time/ref",
    )

    m100 = np.linspace(0.9, 0.1, 100)
    b100 = BernoulliBandit(m100)
    t100 = median_time(lambda: characteristic_time(b100), repeats=21, warmup=3)
    t_ref = median_time(lambda: scipy_optimal_weights(m100), repeats=3, warmup=1)
    ow = optimal_weights(b100)
    w_ref = scipy_optimal_weights(m100)
    print(
        f"\ncharacteristic_time, K = 100 Bernoulli: {fmt_time(t100).strip()} (median of 21; certified "
        f"[{ow.lower:.10g}, {ow.upper:.10g}]); SciPy nested brentq: {fmt_time(t_ref).strip()} (median of 3), "
        f"ratio {t_ref / t100:.1f}x; max |w - w_scipy| = {np.abs(ow.weights - w_ref).max():.1e}"
    )
    print(load_average())


if __name__ == "__main__":
    main()
