"""Whole value iteration on a small dense MDP: rltheory vs quantecon.

Run: ``python benchmarks/bench_dp_vs_quantecon.py [--threads 1 0]``

S = 100, A = 10, gamma = 0.99, random dense P (seeded numpy Generator).
Equal guarantees: quantecon's ``DiscreteDP.solve("value_iteration",
epsilon=eps)`` stops when ``||T v - v|| < eps (1 - beta) / (2 beta)``, which
guarantees an eps-optimal greedy policy and ``||v - v*|| <= eps / 2``
(Puterman 2005, Thm. 6.3.1). ``value_iteration(mdp, tol=eps)`` guarantees
``||v - v*|| <= bound / 2 <= eps / 2`` and a policy within
``gamma * eps`` of optimal (MacQueen-Porteus bounds), i.e. at least as much.
quantecon's default ``max_iter`` (250) is raised so that its rule is met.

Comparisons, all warm, candidates run round-robin, min and median of the
repeats, from v_init = 0:

1. each library's own VI stopping rule at equal guarantees (quantecon VI uses
   the sup-norm rule, which needs far more sweeps than the span rule);
2. the same algorithm and the same rule: quantecon's
   ``modified_policy_iteration`` with ``k=0`` is value iteration stopped when
   ``beta / (1 - beta) span(T v - v) < eps``, exactly our rule, so both run the
   same iterates (and both then return a greedy policy of the final values);
3. per sweep: one optimality backup, our compiled kernel vs quantecon's
   ``bellman_operator`` + ``compute_greedy`` (what its VI loop does per sweep).

Target: >= 3x faster.
"""

import argparse

import numpy as np
from _timing import interleaved_times, load_average, print_ratio_table, thread_limit

from rltheory.tabular import FiniteMDP, value_iteration
from rltheory.tabular import _kernels as K
from rltheory.tabular._operators import _kernel_inputs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--states", type=int, default=100)
    ap.add_argument("--actions", type=int, default=10)
    ap.add_argument("--gamma", type=float, default=0.99)
    ap.add_argument("--eps", type=float, default=1e-8)
    ap.add_argument("--repeats", type=int, default=201)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 0])
    args = ap.parse_args()
    from quantecon.markov import DiscreteDP

    rng = np.random.default_rng(0)
    S, A = args.states, args.actions
    P = rng.random((S, A, S))
    P /= P.sum(axis=2, keepdims=True)
    R = rng.uniform(0, 1, (S, A))
    mdp = FiniteMDP(P, R, gamma=args.gamma)
    ddp = DiscreteDP(R, P, args.gamma)
    v0 = np.zeros(S)
    _, (Pk,), mask, use_mask = _kernel_inputs(mdp)
    tv, pi = np.empty(S), np.empty(S, dtype=np.int64)

    ours = lambda: value_iteration(mdp, tol=args.eps, v0=v0)  # noqa: E731
    qe_vi = lambda: ddp.solve(method="value_iteration", epsilon=args.eps, v_init=v0, max_iter=10**6)  # noqa: E731
    qe_span = lambda: ddp.solve(  # noqa: E731
        method="modified_policy_iteration", epsilon=args.eps, v_init=v0, max_iter=10**6, k=0
    )
    mine, theirs, theirs_span = ours(), qe_vi(), qe_span()
    print(f"dense S={S} A={A} gamma={args.gamma} eps={args.eps:g}; {load_average()}")
    print(
        f"rltheory: {mine.iterations} sweeps, bound={mine.bound:.2e}, policy "
        f"bound={mine.policy_suboptimality_bound:.2e}"
    )
    print(
        f"quantecon VI (sup-norm rule): {theirs.num_iter} sweeps; max|v_ours - v_qe| = "
        f"{np.max(np.abs(mine.v - theirs.v)):.2e}, same policy: {bool(np.array_equal(mine.policy, theirs.sigma))}"
    )
    print(
        f"quantecon MPI k=0 (span rule): {theirs_span.num_iter} sweeps; max|v_ours - v_qe| = "
        f"{np.max(np.abs(mine.v - theirs_span.v)):.2e}"
    )
    summary = []
    for n in args.threads:
        limit = None if n == 0 else n
        label = "all cores" if limit is None else f"{limit} thread(s)"
        with thread_limit(limit):
            whole = interleaved_times(
                {
                    "quantecon MPI k=0 (= VI, same span rule as ours)": qe_span,
                    "rltheory value_iteration (jacobi)": ours,
                },
                args.repeats,
                warmup=5,
            )
            own = interleaved_times(
                {"quantecon value_iteration (own sup-norm rule)": qe_vi, "rltheory value_iteration (jacobi)": ours},
                max(3, args.repeats // 40),
                warmup=1,
            )
            sweep = interleaved_times(
                {
                    "quantecon bellman_operator + compute_greedy": lambda: ddp.compute_greedy(ddp.bellman_operator(v0)),
                    "rltheory compiled backup (Tv, greedy, min/max)": lambda: K.bellman_backup_dense(
                        Pk, mdp.R, mdp.gamma, v0, mask, use_mask, tv, pi
                    ),
                },
                args.repeats * 2,
                warmup=5,
            )
        print_ratio_table(
            f"[{label}] same algorithm, same rule, same iterates (ratio = quantecon / time)",
            whole,
            "quantecon MPI k=0 (= VI, same span rule as ours)",
        )
        print_ratio_table(
            f"[{label}] each library's own VI rule at equal guarantees",
            own,
            "quantecon value_iteration (own sup-norm rule)",
        )
        print_ratio_table(f"[{label}] one sweep", sweep, "quantecon bellman_operator + compute_greedy")
        r = lambda st, a, b: (st[a][0] / st[b][0], st[a][1] / st[b][1])  # noqa: E731
        summary.append(
            (
                label,
                r(whole, "quantecon MPI k=0 (= VI, same span rule as ours)", "rltheory value_iteration (jacobi)"),
                r(own, "quantecon value_iteration (own sup-norm rule)", "rltheory value_iteration (jacobi)"),
                r(
                    sweep,
                    "quantecon bellman_operator + compute_greedy",
                    "rltheory compiled backup (Tv, greedy, min/max)",
                ),
            )
        )
    print(f"\nspeed-ups over quantecon, min-based / median-based (target >= 3x); {load_average()}")
    for label, same, own_rule, per_sweep in summary:
        print(
            f"  {label:<12} same rule {same[0]:.2f} / {same[1]:.2f};  own rules {own_rule[0]:.0f} / {own_rule[1]:.0f};"
            f"  per sweep {per_sweep[0]:.2f} / {per_sweep[1]:.2f}"
        )


if __name__ == "__main__":
    main()
