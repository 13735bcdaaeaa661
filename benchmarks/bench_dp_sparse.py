"""Sparse (CSR) Bellman sweeps and time-to-certified-policy on a large gridworld.

Run: ``python benchmarks/bench_dp_sparse.py [--side 300] [--skip-pi]``

Gridworld ``side x side`` (S = side^2), 4 actions (up, down, left, right), slip
0.1: the intended move with probability 0.9, otherwise a uniformly random one
of the 4 moves; moves into the border stay put. Reward -1 per step; the
bottom-right cell is absorbing with reward 0. gamma = 0.99. Built directly
with scipy.sparse (CSR (S*A, S), about 4 non-zeros per row).

1. Time per sweep: our fused CSR backup (T v, greedy policy, min/max of
   T v - v) vs scipy.sparse ``P @ v`` + max/argmax vs quantecon's sparse
   ``DiscreteDP.bellman_operator`` (T v only). Target >= 2.5x quantecon.
2. Time to a policy certified 1e-6-optimal: ours returns
   ``policy_suboptimality_bound <= 1e-6`` (MacQueen-Porteus); quantecon's
   policy_iteration is exact; its modified_policy_iteration with
   ``epsilon=1e-6`` guarantees a 1e-6-optimal policy (span rule). Target:
   >= 3x quantecon's fastest.
"""

import argparse
import time

import numpy as np
import scipy.sparse as sp
from _timing import median_time, print_table

from rltheory.tabular import FiniteMDP, modified_policy_iteration, value_iteration
from rltheory.tabular import _kernels as K
from rltheory.tabular._operators import _kernel_inputs


def gridworld(side, slip=0.1, gamma=0.99):
    S, A = side * side, 4
    r, c = np.divmod(np.arange(S), side)
    moves = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    targets = np.stack([np.clip(r + dr, 0, side - 1) * side + np.clip(c + dc, 0, side - 1) for dr, dc in moves])
    goal = S - 1
    rows, cols, vals = [], [], []
    for a in range(A):
        for b in range(A):
            p = (1 - slip) * (a == b) + slip / A
            rows.append(np.arange(S) * A + a)
            cols.append(targets[b])
            vals.append(np.full(S, p))
    rows, cols, vals = map(np.concatenate, (rows, cols, vals))
    keep = rows // A != goal
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    rows = np.concatenate([rows, goal * A + np.arange(A)])
    cols = np.concatenate([cols, np.full(A, goal)])
    vals = np.concatenate([vals, np.ones(A)])
    P = sp.csr_array((vals, (rows, cols)), shape=(S * A, S))
    R = -np.ones((S, A))
    R[goal] = 0.0
    return FiniteMDP(P, R, gamma=gamma)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--side", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--skip-pi", action="store_true", help="skip quantecon's policy_iteration (slow)")
    args = ap.parse_args()
    from quantecon.markov import DiscreteDP

    mdp = gridworld(args.side)
    S, A = mdp.n_states, mdp.n_actions
    _, (data, ind, ptr), mask, use_mask = _kernel_inputs(mdp)
    P = mdp.P
    ddp = DiscreteDP(mdp.R.ravel(), sp.csr_matrix(P), mdp.gamma, np.repeat(np.arange(S), A), np.tile(np.arange(A), S))
    v = -np.random.default_rng(0).uniform(0, 100, S)
    tv, pi = np.empty(S), np.empty(S, dtype=np.int64)
    print(f"gridworld {args.side}x{args.side}: S={S}, A={A}, nnz={P.nnz}, gamma={mdp.gamma}")

    def scipy_sweep():
        q = (P @ v).reshape(S, A)
        q *= mdp.gamma
        q += mdp.R
        return q.max(axis=1), q.argmax(axis=1)

    t_ours = median_time(lambda: K.bellman_backup_csr(data, ind, ptr, mdp.R, mdp.gamma, v, mask, use_mask, tv, pi),
                         args.repeats * 5, warmup=5)
    t_roof = median_time(lambda: K.stream_sum_csr(data, ind, ptr, S, A), args.repeats * 5, warmup=5)
    t_scipy = median_time(scipy_sweep, args.repeats * 3)
    t_qe = median_time(lambda: ddp.bellman_operator(v), args.repeats * 3)
    print_table(
        "time per sweep (ratio = quantecon time / time)",
        [("read-only pass over P.data (roof)", t_roof, t_qe / t_roof),
         ("rltheory CSR backup (Tv, argmax, min/max)", t_ours, t_qe / t_ours),
         ("scipy.sparse P @ v + max + argmax", t_scipy, t_qe / t_scipy),
         ("quantecon sparse bellman_operator (Tv)", t_qe, 1.0)],
    )
    print(f"sweep speed-up vs quantecon: {t_qe / t_ours:.2f}x (target >= 2.5x); vs scipy: {t_scipy / t_ours:.2f}x")

    # ---------------------------------------------------------- time to certified policy
    eps = 1e-6
    rows = []
    ours = {}
    for label, fn in [
        ("rltheory value_iteration tol=1e-6", lambda: value_iteration(mdp, tol=eps)),
        ("rltheory value_iteration gauss-seidel", lambda: value_iteration(mdp, tol=eps, method="gauss-seidel")),
        ("rltheory MPI m=20", lambda: modified_policy_iteration(mdp, m=20, tol=eps)),
        ("rltheory MPI m=100", lambda: modified_policy_iteration(mdp, m=100, tol=eps)),
    ]:
        res = fn()
        assert res.converged and res.policy_suboptimality_bound <= eps
        t = median_time(fn, 3, warmup=0)
        ours[label] = t
        rows.append((f"{label} ({res.iterations} it)", t, None))
    qe = {}
    for k in (20, 100):
        fn = lambda k=k: ddp.solve(method="modified_policy_iteration", epsilon=eps, k=k, max_iter=10**6)  # noqa: E731
        res = fn()
        t = median_time(fn, 3, warmup=0)
        qe[f"quantecon MPI k={k}"] = t
        rows.append((f"quantecon MPI k={k} eps=1e-6 ({res.num_iter} it)", t, None))
    if not args.skip_pi:
        t0 = time.perf_counter()
        res = ddp.solve(method="policy_iteration", max_iter=10**6)
        t = time.perf_counter() - t0
        qe["quantecon policy_iteration"] = t
        rows.append((f"quantecon policy_iteration, exact ({res.num_iter} it, 1 run)", t, None))
    print_table("time to a policy certified 1e-6-optimal", rows)
    best_ours = min(ours, key=ours.get)
    best_qe = min(qe, key=qe.get)
    print(f"fastest rltheory: {best_ours}; fastest quantecon: {best_qe}; "
          f"speed-up {qe[best_qe] / ours[best_ours]:.2f}x (target >= 3x)")


if __name__ == "__main__":
    main()
