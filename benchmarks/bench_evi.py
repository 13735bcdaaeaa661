"""UCRL2's extended value iteration: the compiled kernel against its vectorised NumPy reference.

Run: ``python benchmarks/bench_evi.py [--visits 100000] [--sweeps 200] [--repeats 11]``

Two instances: RiverSwim with 20 states (Osband et al.'s parameters) and a
garnet with S = 100, A = 4, branching 10 (rewards U[0, 1] per state). Each
stands for UCRL2's state at the start of an episode after ``--visits`` visits
of every pair: ``p_hat`` is the empirical law of that many multinomial draws
from the true rows, ``r_hat`` the true mean rewards, and the radii are Jaksch,
Ortner & Auer (2010)'s Eqs. (1)-(2) at ``t_k = S A visits`` with delta = 0.05.

Candidates (same inputs, run round-robin, warm; ratios in the same run):

* ``rltheory.tabular._ucrl2._evi``: the compiled EVI (one stable sort per
  sweep, Fig. 2's sorting argument on each pair's support, indexed once per
  call: the same numbers as on the dense rows);
* ``rltheory.tabular._average_reward_reference.extended_value_iteration_reference``:
  the same algorithm vectorised over all pairs with NumPy (cumulative sums
  over the sorted successor states).

Two workloads per instance: the paper's stopping rule (span of
``u_{i+1} - u_i`` below ``1/sqrt(t_k)``) and a fixed number of sweeps
(``eps = 0``, ``--sweeps`` sweeps: the cost per sweep). Before timing, the
script checks that both return the same number of sweeps, the same policy and
the same gain bounds (and prints the share of states with the same greedy action). At the default
100,000 visits per pair the L1 radii are below 1 (0.23 and 0.54), so the optimistic model is not trivial. Target (issue
12): compiled >= 10x the NumPy reference.
"""

import argparse
import math

import numpy as np
from _timing import interleaved_times, load_average, print_ratio_table

from rltheory.tabular._average_reward_reference import extended_value_iteration_reference
from rltheory.tabular._ucrl2 import _evi
from rltheory.tabular.envs import garnet, river_swim


def ucrl2_inputs(mdp, visits, delta, rng):
    """UCRL2's confidence set after ``visits`` visits of every pair (Jaksch et al. 2010, Eqs. (1)-(2))."""
    P = np.asarray(mdp.dense_P, dtype=float)
    R = np.asarray(mdp.R, dtype=float)
    R = (R - R.min()) / (R.max() - R.min()) if R.max() > R.min() else np.zeros_like(R)
    S, A = R.shape
    counts = rng.multinomial(visits, P.reshape(S * A, S) / P.reshape(S * A, S).sum(axis=1, keepdims=True))
    p_hat = (counts / visits).reshape(S, A, S)
    t_k = S * A * visits
    r_radius = np.full((S, A), math.sqrt(7.0 * math.log(2.0 * S * A * t_k / delta) / (2.0 * visits)))
    p_radius = np.full((S, A), math.sqrt(14.0 * S * math.log(2.0 * A * t_k / delta) / visits))
    r_tilde = np.minimum(1.0, R + r_radius)
    return p_hat, r_tilde, p_radius, np.ones((S, A), dtype=bool), t_k


def compiled(p_hat, r_tilde, p_radius, allowed, eps, max_iter):
    S = r_tilde.shape[0]
    u, u_new, p = np.zeros(S), np.zeros(S), np.zeros(S)
    policy = np.zeros(S, dtype=np.int64)
    sweeps, converged, dmin, dmax = _evi(p_hat, r_tilde, p_radius, allowed, eps, max_iter, u, u_new, p, policy)
    return policy, sweeps, converged, dmin, dmax


def reference(p_hat, r_tilde, p_radius, allowed, eps, max_iter):
    _, policy, sweeps, converged, dmin, dmax = extended_value_iteration_reference(
        p_hat, r_tilde, p_radius, allowed, eps, max_iter
    )
    return policy, sweeps, converged, dmin, dmax


def check_same(a, b, label):
    """Same sweeps and gain bounds; returns the share of states where the greedy actions agree (exact ties in
    the optimistic values, e.g. gain 1 when the radii are wide, may be broken differently by rounding)."""
    pa, sa, ca, lo_a, hi_a = a
    pb, sb, cb, lo_b, hi_b = b
    if sa != sb or ca != cb or not np.allclose([lo_a, hi_a], [lo_b, hi_b], atol=1e-9):
        raise SystemExit(
            f"{label}: compiled and NumPy EVI disagree (sweeps {sa} vs {sb}, gain bounds "
            f"[{lo_a}, {hi_a}] vs [{lo_b}, {hi_b}])"
        )
    return float(np.mean(pa == pb))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visits", type=int, default=100_000)
    ap.add_argument("--sweeps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=11)
    ap.add_argument("--delta", type=float, default=0.05)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    instances = {
        "RiverSwim-20": river_swim(20, gamma=0.99, variant="osband"),
        "garnet S=100 A=4 b=10": garnet(100, 4, 10, rng=1, gamma=0.99),
    }
    print(load_average())
    for name, mdp in instances.items():
        p_hat, r_tilde, p_radius, allowed, t_k = ucrl2_inputs(mdp, args.visits, args.delta, rng)
        for workload, eps, max_iter in (
            (f"paper's stop sp < 1/sqrt(t_k) = {1 / math.sqrt(t_k):.2e}", 1.0 / math.sqrt(t_k), 100_000),
            (f"{args.sweeps} sweeps (eps = 0)", 0.0, args.sweeps),
        ):
            inputs = (p_hat, r_tilde, p_radius, allowed, eps, max_iter)
            out_c, out_r = compiled(*inputs), reference(*inputs)
            agree = check_same(out_c, out_r, f"{name}, {workload}")
            stats = interleaved_times(
                {
                    "NumPy reference": lambda inputs=inputs: reference(*inputs),
                    "compiled EVI": lambda inputs=inputs: compiled(*inputs),
                },
                repeats=args.repeats,
                warmup=2,
            )
            print_ratio_table(
                f"{name}, {workload}: {out_c[1]} sweeps, L1 radius {p_radius[0, 0]:.3f}, gain in "
                f"[{out_c[3]:.6f}, {out_c[4]:.6f}], same greedy action in {agree:.0%} of the states "
                f"(ratio = NumPy / time; target compiled >= 10)",
                stats,
                "NumPy reference",
            )
    print(load_average())


if __name__ == "__main__":
    main()
