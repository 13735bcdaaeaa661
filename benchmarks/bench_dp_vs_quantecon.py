"""Whole value iteration on a small dense MDP: rltheory vs quantecon.

Run: ``python benchmarks/bench_dp_vs_quantecon.py``

S = 100, A = 10, gamma = 0.99, random dense P (seeded numpy Generator).
Equal guarantees: quantecon's ``DiscreteDP.solve("value_iteration",
epsilon=eps)`` stops when ``||T v - v|| < eps (1 - beta) / (2 beta)``, which
guarantees an eps-optimal greedy policy and ``||v - v*|| <= eps / 2``
(Puterman 2005, Thm. 6.3.1). ``value_iteration(mdp, tol=eps)`` guarantees
``||v - v*|| <= bound / 2 <= eps / 2`` and a policy within
``gamma * eps`` of optimal (MacQueen-Porteus bounds), i.e. at least as much.
quantecon's default ``max_iter`` (250) is raised so that its rule is met.

Two comparisons, both warm (median of repeats), both from v_init = 0:

1. each library's own VI stopping rule at equal guarantees (quantecon VI uses
   the sup-norm rule, which needs far more sweeps than the span rule);
2. the same algorithm and the same rule: quantecon's
   ``modified_policy_iteration`` with ``k=0`` is value iteration stopped when
   ``beta / (1 - beta) span(T v - v) < eps``, exactly our rule, so both run the
   same iterates and the ratio is the per-sweep implementation speed.

Target: >= 3x faster.
"""

import argparse

import numpy as np
from _timing import median_time, print_table

from rltheory.tabular import FiniteMDP, value_iteration


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--states", type=int, default=100)
    ap.add_argument("--actions", type=int, default=10)
    ap.add_argument("--gamma", type=float, default=0.99)
    ap.add_argument("--eps", type=float, default=1e-8)
    ap.add_argument("--repeats", type=int, default=15)
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

    ours = value_iteration(mdp, tol=args.eps, v0=v0)
    qe_vi = lambda: ddp.solve(method="value_iteration", epsilon=args.eps, v_init=v0, max_iter=10**6)  # noqa: E731
    qe_span = lambda: ddp.solve(  # noqa: E731
        method="modified_policy_iteration", epsilon=args.eps, v_init=v0, max_iter=10**6, k=0
    )
    theirs, theirs_span = qe_vi(), qe_span()
    t_ours = median_time(lambda: value_iteration(mdp, tol=args.eps, v0=v0), args.repeats)
    t_qe = median_time(qe_vi, max(3, args.repeats // 3))
    t_qe_span = median_time(qe_span, args.repeats)
    print(f"dense S={S} A={A} gamma={args.gamma} eps={args.eps:g}; median of {args.repeats} warm repeats")
    print(f"rltheory: {ours.iterations} sweeps, bound={ours.bound:.2e}, policy bound={ours.policy_suboptimality_bound:.2e}")
    print(f"quantecon VI (sup-norm rule): {theirs.num_iter} sweeps; max|v_ours - v_qe| = "
          f"{np.max(np.abs(ours.v - theirs.v)):.2e}, same policy: {bool(np.array_equal(ours.policy, theirs.sigma))}")
    print(f"quantecon MPI k=0 (span rule): {theirs_span.num_iter} sweeps; max|v_ours - v_qe| = "
          f"{np.max(np.abs(ours.v - theirs_span.v)):.2e}")
    print_table(
        "time to an eps-certified solution (ratio = quantecon time / time)",
        [("quantecon value_iteration (own sup-norm rule)", t_qe, None),
         ("quantecon MPI k=0 (= VI, same span rule as ours)", t_qe_span, None),
         ("rltheory value_iteration (jacobi)", t_ours, None)],
    )
    print(f"\nspeed-up at equal guarantees, each library's VI rule: {t_qe / t_ours:.1f}x")
    print(f"speed-up, same algorithm and same rule (same iterates):  {t_qe_span / t_ours:.1f}x  (target >= 3x)")


if __name__ == "__main__":
    main()
