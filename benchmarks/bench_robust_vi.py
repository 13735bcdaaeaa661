"""(s,a)-rectangular L1 robust value iteration: compiled exact inner problem vs cvxpy and a NumPy sort-based reference.

Run: ``python benchmarks/bench_robust_vi.py [--states 1000] [--actions 10] [--branching 10] [--radius 0.2]``

On a dense garnet (``rltheory.tabular.envs.garnet``, (S, A, S) float64), one
robust Bellman sweep ``(T v)(s) = max_a [r(s,a) + gamma min_{||p - q||_1 <= kappa} p.v]``
is timed as robust VI runs it (``rltheory.tabular._robust._backup``: argsort
of ``v``, the house nominal ``q`` kernel, the compiled L1 corrections, the
max over actions and the upper bound) against

* the nominal sweep (``_kernels.bellman_backup_dense``, one fused backup);
* a NumPy sort-based reference, vectorized over all pairs (``P @ v`` by
  BLAS, then the mass removal by cumulative sums over the rows gathered in
  decreasing order of ``v``);
* cvxpy (one certified program per pair, ``_robust._inner_cvxpy``, CLARABEL)
  on a sample of pairs, extrapolated to all ``S * A`` pairs.

Targets (issue 14): compiled >= 1000x cvxpy, >= 3x NumPy, robust sweep /
nominal sweep <= 3. Candidates run round-robin (``_timing.interleaved_times``);
min and median of the warm repeats; every ratio is within one run.
"""

import argparse
import time

import numpy as np
from _timing import fmt_time, interleaved_times, load_average, print_ratio_table, thread_limit

from rltheory.tabular import UncertaintySet
from rltheory.tabular import _kernels as K
from rltheory.tabular import _robust as RB
from rltheory.tabular._operators import _kernel_inputs
from rltheory.tabular.envs import garnet


def numpy_l1_sweep(P, R, gamma, v, kappa):
    """Vectorized NumPy reference of the L1 robust backup (sort-based): returns T v."""
    j_star = int(np.argmin(v))
    desc = np.argsort(-v, kind="stable")
    desc = desc[desc != j_star]
    Q = P[:, :, desc]  # rows in decreasing order of v
    eps = np.minimum(kappa / 2.0, 1.0 - P[:, :, j_star])
    prev = np.cumsum(Q, axis=2) - Q
    take = np.clip(eps[:, :, None] - prev, 0.0, Q)
    corr = take @ (v[j_star] - v[desc])
    q = R + gamma * (P @ v + corr)
    return q.max(axis=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--states", type=int, default=1000)
    ap.add_argument("--actions", type=int, default=10)
    ap.add_argument("--branching", type=int, default=10)
    ap.add_argument("--radius", type=float, default=0.2)
    ap.add_argument("--gamma", type=float, default=0.95)
    ap.add_argument("--sample", type=int, default=50, help="pairs solved by cvxpy (extrapolated)")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 0], help="thread limits (0 = all cores)")
    args = ap.parse_args()
    S, A, kappa = args.states, args.actions, args.radius
    mdp = garnet(S, A, args.branching, rng=0, gamma=args.gamma)
    U = UncertaintySet("l1", kappa)
    bound = RB._bind(mdp, U, "bench")
    _, (P,), mask, use_mask = _kernel_inputs(mdp)
    R = np.asarray(mdp.R)
    rng = np.random.default_rng(1)
    v = rng.normal(size=S) * 10
    tv, pi = np.empty(S), np.empty(S, dtype=np.int64)
    print(
        f"dense garnet S={S} A={A} b={args.branching}, L1 radius {kappa}, gamma {args.gamma}; "
        f"{args.repeats} interleaved warm repeats; {load_average()}"
    )

    # the three exact implementations agree (the compiled sweep is certified: lower = upper here)
    t_lo, t_hi, _, _ = RB._backup(mdp, bound, v, 1e-12)
    ref = numpy_l1_sweep(P, R, mdp.gamma, v, kappa)
    print(
        f"max |compiled - NumPy reference| = {np.max(np.abs(t_lo - ref)):.2e}, compiled certified width "
        f"{np.max(t_hi - t_lo):.1e}"
    )

    # cvxpy on a sample of pairs, extrapolated to all S*A pairs
    pairs = [(int(s), int(a)) for s, a in zip(rng.integers(0, S, args.sample), rng.integers(0, A, args.sample))]
    worst = 0.0
    t0 = time.perf_counter()
    for s, a in pairs:
        lo, hi, _ = RB._inner_cvxpy(
            "l1", P[s, a], v, kappa, None, None, None, solver="CLARABEL", tol=1e-6, solver_options={}
        )
        ex = RB._inner_l1(P[s, a], v, kappa)[0]
        worst = max(worst, max(lo - ex, ex - hi, 0.0))
    t_cvx = (time.perf_counter() - t0) / len(pairs) * S * A
    print(
        f"cvxpy: {len(pairs)} pairs, {fmt_time(t_cvx / (S * A)).strip()} per pair, extrapolated sweep "
        f"{fmt_time(t_cvx).strip()}; exact value outside a cvxpy certified interval by at most {worst:.1e}"
    )

    for n in args.threads:
        with thread_limit(None if n == 0 else n):
            stats = interleaved_times(
                {
                    "nominal sweep (house kernel)": lambda: K.bellman_backup_dense(
                        P, R, mdp.gamma, v, mask, use_mask, tv, pi
                    ),
                    "robust L1 sweep (compiled)": lambda: RB._backup(mdp, bound, v, 1e-12),
                    "robust L1 sweep (NumPy sort)": lambda: numpy_l1_sweep(P, R, mdp.gamma, v, kappa),
                },
                repeats=args.repeats,
                warmup=3,
            )
        stats["robust L1 sweep (cvxpy, extrapolated)"] = (t_cvx, t_cvx)
        label = "1 thread" if n == 1 else ("all cores" if n == 0 else f"{n} threads")
        print_ratio_table(
            f"one sweep, {label} (ratio = time / nominal sweep)",
            stats,
            "nominal sweep (house kernel)",
            ratio="time/ref",
        )
        c_min, c_med = stats["robust L1 sweep (compiled)"]
        n_min, n_med = stats["robust L1 sweep (NumPy sort)"]
        print(
            f"  compiled vs NumPy: {n_min / c_min:.1f}x (min) / {n_med / c_med:.1f}x (med); "
            f"vs cvxpy: {t_cvx / c_min:.0f}x (min) / {t_cvx / c_med:.0f}x (med)"
        )

    t0 = time.perf_counter()
    res = RB.robust_value_iteration(mdp, U, tol=1e-6)
    t_vi = time.perf_counter() - t0
    print(
        f"\nrobust_value_iteration to a certified width 1e-6: {res.iterations} updates in {fmt_time(t_vi).strip()} "
        f"(converged={res.converged}, bound={res.bound:.1e})"
    )


if __name__ == "__main__":
    main()
