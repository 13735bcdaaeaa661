"""Sparse (CSR) Bellman sweeps and time-to-certified-policy on a large gridworld.

Run: ``python benchmarks/bench_dp_sparse.py [--side 300] [--skip-pi] [--threads 1 0]``

``rltheory.tabular.envs.gridworld((side, side), slip=0.1, step_reward=-1,
terminal_rewards={(side-1, side-1): 0})``: S = side^2 states, 4 compass
actions, the intended move with probability 0.9 and each other direction with
0.1/3, moves into the border stay put, reward -1 per step, the bottom-right
cell absorbing with reward 0; gamma = 0.99. P is CSR (S*A, S) with about 4
non-zeros per row (int64 indices as built).

1. Time per sweep (candidates run round-robin; min and median of the
   repeats): our fused CSR backup (T v, greedy policy, min/max of T v - v) vs
   scipy.sparse ``P @ v`` + max/argmax vs quantecon's sparse
   ``DiscreteDP.bellman_operator`` (T v only). Target >= 2.5x quantecon.
2. Time to a policy certified 1e-6-optimal: ours stop on the MacQueen-Porteus
   certificate and return ``policy_suboptimality_bound <= 1e-6``;
   quantecon's ``policy_iteration`` is exact and its
   ``modified_policy_iteration`` with ``epsilon=1e-6`` guarantees a
   1e-6-optimal policy (span rule). Target: >= 3x quantecon's fastest.

Each part runs for every thread limit in ``--threads`` (0 = all cores; OpenMP
and BLAS capped with threadpoolctl).
"""

import argparse
import time

import numpy as np
import scipy.sparse as sp
from _timing import fmt_time, interleaved_times, load_average, print_ratio_table, thread_limit

from rltheory.tabular import _kernels as K
from rltheory.tabular import modified_policy_iteration, value_iteration
from rltheory.tabular._operators import _kernel_inputs
from rltheory.tabular.envs import gridworld


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--side", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=31, help="repeats of one sweep")
    ap.add_argument("--solve-repeats", type=int, default=3, help="repeats of each whole solve")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 0])
    ap.add_argument("--skip-pi", action="store_true", help="skip quantecon's policy_iteration (slow)")
    args = ap.parse_args()
    from quantecon.markov import DiscreteDP

    side = args.side
    mdp = gridworld((side, side), slip=0.1, step_reward=-1.0, terminal_rewards={(side - 1, side - 1): 0.0}, gamma=0.99)
    S, A = mdp.n_states, mdp.n_actions
    _, (data, ind, ptr), mask, use_mask = _kernel_inputs(mdp)
    P = mdp.P
    ddp = DiscreteDP(mdp.R.ravel(), sp.csr_matrix(P), mdp.gamma, np.repeat(np.arange(S), A), np.tile(np.arange(A), S))
    v = -np.random.default_rng(0).uniform(0, 100, S)
    tv, pi = np.empty(S), np.empty(S, dtype=np.int64)
    print(
        f"gridworld {side}x{side}: S={S}, A={A}, nnz={P.nnz}, index dtype {ind.dtype}, gamma={mdp.gamma}; "
        f"{load_average()}"
    )

    def scipy_sweep():
        q = (P @ v).reshape(S, A)
        q *= mdp.gamma
        q += mdp.R
        return q.max(axis=1), q.argmax(axis=1)

    eps = 1e-6
    ours_methods = [
        ("rltheory value_iteration (jacobi)", lambda: value_iteration(mdp, tol=eps)),
        ("rltheory value_iteration gauss-seidel", lambda: value_iteration(mdp, tol=eps, method="gauss-seidel")),
        ("rltheory MPI m=10", lambda: modified_policy_iteration(mdp, m=10, tol=eps)),
        ("rltheory MPI m=20", lambda: modified_policy_iteration(mdp, m=20, tol=eps)),
        ("rltheory MPI m=50", lambda: modified_policy_iteration(mdp, m=50, tol=eps)),
    ]
    qe_methods = [
        (
            f"quantecon MPI k={k} eps=1e-6",
            lambda k=k: ddp.solve(method="modified_policy_iteration", epsilon=eps, k=k, max_iter=10**6),
        )
        for k in (10, 20, 100)
    ]
    summary = []
    for n in args.threads:
        limit = None if n == 0 else n
        label = "all cores" if limit is None else f"{limit} thread(s)"
        with thread_limit(limit):
            stats = interleaved_times(
                {
                    "quantecon sparse bellman_operator (Tv)": lambda: ddp.bellman_operator(v),
                    "rltheory CSR backup (Tv, argmax, min/max)": lambda: K.bellman_backup_csr(
                        data, ind, ptr, mdp.R, mdp.gamma, v, mask, use_mask, tv, pi
                    ),
                    "scipy.sparse P @ v + max + argmax": scipy_sweep,
                    "read-only pass over P.data": lambda: K.stream_sum_csr(data, ind, ptr, S, A),
                },
                args.repeats,
                warmup=3,
            )
            print_ratio_table(
                f"[{label}] time per sweep (ratio = quantecon time / time)",
                stats,
                "quantecon sparse bellman_operator (Tv)",
            )
            qe_t, our_t = (
                stats["quantecon sparse bellman_operator (Tv)"],
                stats["rltheory CSR backup (Tv, argmax, min/max)"],
            )
            sweep = (qe_t[0] / our_t[0], qe_t[1] / our_t[1])

            # ------------------------------------------------- time to certified policy
            iters = {}
            for name, fn in ours_methods:
                res = fn()
                assert res.converged and res.policy_suboptimality_bound <= eps
                iters[name] = f"{res.iterations} it, policy bound {res.policy_suboptimality_bound:.1e}"
            for name, fn in qe_methods:
                iters[name] = f"{fn().num_iter} it"
            solve = interleaved_times(dict(ours_methods + qe_methods), args.solve_repeats, warmup=0)
            if not args.skip_pi:
                t0 = time.perf_counter()
                res = ddp.solve(method="policy_iteration", max_iter=10**6)
                t = time.perf_counter() - t0
                solve["quantecon policy_iteration (exact, 1 run)"] = (t, t)
                iters["quantecon policy_iteration (exact, 1 run)"] = f"{res.num_iter} it"
        best_qe = min((k for k in solve if k.startswith("quantecon")), key=lambda k: solve[k][0])
        best_ours = min((k for k in solve if k.startswith("rltheory")), key=lambda k: solve[k][0])
        print_ratio_table(
            f"[{label}] time to a policy certified 1e-6-optimal (ratio = fastest quantecon / time)",
            {f"{k} ({iters[k]})": t for k, t in solve.items()},
            f"{best_qe} ({iters[best_qe]})",
        )
        ratio = (solve[best_qe][0] / solve[best_ours][0], solve[best_qe][1] / solve[best_ours][1])
        summary.append((label, sweep, ratio, best_ours, best_qe, solve[best_ours]))

    print(f"\nsummary ({load_average()}); ratios as min-based / median-based")
    for label, sweep, ratio, best_ours, best_qe, t in summary:
        print(f"  {label:<12} sweep vs quantecon {sweep[0]:.2f} / {sweep[1]:.2f} (target >= 2.5)")
        print(
            f"  {'':<12} certified policy: {best_ours} ({fmt_time(t[0]).strip()}) vs {best_qe}: "
            f"{ratio[0]:.2f} / {ratio[1]:.2f} (target >= 3)"
        )


if __name__ == "__main__":
    main()
