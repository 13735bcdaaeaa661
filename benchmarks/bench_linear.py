"""Linear bandits and linear MDPs: compiled rank-one kernels against NumPy references.

Run: ``python benchmarks/bench_linear.py [--dim 20] [--arms 1000] [--rounds 2000] [--episodes 200]``

1. LinUCB round time at d = 20, K = 1000 (fixed arm set, one run). Compiled:
   ``simulate`` with ``LinUCB`` (Numba; Sherman-Morrison updates of V^-1, of the widths
   ||a||^2_{V^-1} and of the predictions: O(Kd + d^2) per round). References:
   (a) ``linucb_reference_run``, plain NumPy recomputing the widths with one
   einsum per round (O(K d^2)), the algorithm as usually written; (b) NumPy
   with the same O(Kd) incremental updates, to separate the algorithmic gain
   from the compilation gain. Target: >= 3x against (a).
2. LSVI-UCB episode time at d = 20, H = 10 (random low-rank linear MDP,
   S = 50, A = 5), averaged over the first ``--episodes`` episodes. Compiled:
   ``LSVIUCB`` (O(H(SAd + dS + d^2)) per episode, independent of the episode
   index). Reference: ``lsvi_ucb_reference``, which re-solves every regression
   from all stored data (O(H(k d^2 + d^3 + SAd^2)) at episode k). Target: >= 5x.
Both kernels are timed warm (compiled once before timing) and single-run.
"""

import argparse
import math
import time

import numpy as np
from _timing import median_time, print_table

from rltheory.linear import LSVIUCB, LinearBandit, LinearMDP, LinUCB, oful_radius
from rltheory.linear._reference import linucb_reference_run, lsvi_ucb_reference
from rltheory.simulation import run_states, simulate


def numpy_incremental_linucb(bandit, policy, T, rng):
    X = bandit.arms[0]
    means = bandit.means[0]
    K, d = X.shape
    lam = policy.regularization
    Vinv = np.eye(d) / lam
    th = np.zeros(d)
    widths = (X * X).sum(axis=1) / lam
    preds = np.zeros(K)
    logdet = d * math.log(lam)
    for _ in range(T):
        rad = oful_radius(logdet, d, lam, policy.delta, bandit.noise_sigma, policy.theta_bound)
        a = int(np.argmax(preds + rad * np.sqrt(np.maximum(widths, 0.0))))
        r = means[a] + bandit.noise_sigma * rng.standard_normal()
        x = X[a]
        u = Vinv @ x
        den = 1.0 + x @ u
        err = r - preds[a]
        p = X @ u
        widths -= p * p / den
        preds += p * err / den
        th += u * err / den
        Vinv -= np.outer(u, u) / den
        logdet += math.log(den)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dim", type=int, default=20)
    ap.add_argument("--arms", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2000)
    ap.add_argument("--horizon", type=int, default=10)
    ap.add_argument("--states", type=int, default=50)
    ap.add_argument("--actions", type=int, default=5)
    ap.add_argument("--episodes", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    d, K, T = args.dim, args.arms, args.rounds
    bandit = LinearBandit.random(d, K, noise_sigma=1.0, rng=0)
    pol = LinUCB()
    simulate(bandit, pol, n_rounds=10, n_runs=1, seed=0, checkpoints=1)  # compile
    t_c = (
        median_time(
            lambda: simulate(bandit, pol, n_rounds=T, n_runs=1, seed=0, checkpoints=1), repeats=args.repeats, warmup=1
        )
        / T
    )
    st = run_states(0, np.arange(1), 2)
    Tr = max(200, T // 10)
    t_ref = median_time(lambda: linucb_reference_run(bandit, pol, Tr, st[0, 0], st[0, 1]), repeats=3, warmup=1) / Tr
    t_inc = (
        median_time(lambda: numpy_incremental_linucb(bandit, pol, Tr, np.random.default_rng(0)), repeats=3, warmup=1)
        / Tr
    )
    print_table(
        f"LinUCB round, d = {d}, K = {K} (fixed arms, one run)",
        [
            ("compiled (Numba, rank-one updates)", t_c, 1.0),
            ("NumPy reference (einsum widths each round)", t_ref, t_ref / t_c),
            ("NumPy with the same rank-one updates", t_inc, t_inc / t_c),
        ],
        header=("what", "per round", "x slower"),
    )

    H, S, A, E = args.horizon, args.states, args.actions, args.episodes
    mdp = LinearMDP.random(S, A, d, horizon=H, rng=0)
    simulate(mdp, LSVIUCB(beta=0.5), n_episodes=2, checkpoints=1)  # compile
    t0 = time.perf_counter()
    curve = simulate(mdp, LSVIUCB(beta=0.5), n_episodes=E, seed=0, checkpoints=1)
    t_k = (time.perf_counter() - t0) / E
    t0 = time.perf_counter()
    ref = lsvi_ucb_reference(mdp, E, beta=0.5, seed=0)
    t_n = (time.perf_counter() - t0) / E
    agree = abs(ref[-1] - curve.final[0]) <= 1e-8 * E * H
    print_table(
        f"LSVI-UCB episode, d = {d}, H = {H}, S = {S}, A = {A}, mean over {E} episodes (same episodes: {agree})",
        [("compiled (Numba, incremental sufficient statistics)", t_k, 1.0), ("naive NumPy re-solve", t_n, t_n / t_k)],
        header=("what", "per episode", "x slower"),
    )


if __name__ == "__main__":
    main()
