"""Dense Bellman sweep against the memory-bandwidth roof.

Run: ``python benchmarks/bench_dp_dense.py [--states 2000] [--actions 10]``

A dense garnet (Archibald et al. 1995: each (s, a) reaches ``b`` random states
with random probabilities) stored as a C-contiguous (S, A, S) float64 tensor.
One fused optimality backup reads all of P once; the roof is a read-only
streaming pass over P with the same parallel layout
(``_kernels.stream_sum_dense``). Target: sweep throughput >= 0.9 of the roof.
Also shown: the NumPy reference (``P @ v`` then max/argmax).
"""

import argparse

import numpy as np
from _timing import median_time, print_table

from rltheory.tabular import FiniteMDP
from rltheory.tabular import _kernels as K
from rltheory.tabular._operators import _kernel_inputs
from rltheory.tabular._reference import bellman_backup_reference


def dense_garnet(S, A, b, gamma, seed):
    rng = np.random.default_rng(seed)
    P = np.zeros((S, A, S))
    for s in range(S):
        for a in range(A):
            nxt = rng.choice(S, size=b, replace=False)
            P[s, a, nxt] = rng.dirichlet(np.ones(b))
    return FiniteMDP(P, rng.uniform(0, 1, (S, A)), gamma=gamma)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--states", type=int, default=2000)
    ap.add_argument("--actions", type=int, default=10)
    ap.add_argument("--branching", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=11)
    args = ap.parse_args()
    S, A = args.states, args.actions
    mdp = dense_garnet(S, A, args.branching, 0.99, seed=0)
    _, (P,), mask, use_mask = _kernel_inputs(mdp)
    v = np.random.default_rng(1).normal(size=S)
    tv, pi = np.empty(S), np.empty(S, dtype=np.int64)

    t_roof = median_time(lambda: K.stream_sum_dense(P), args.repeats, warmup=3)
    t_sweep = median_time(lambda: K.bellman_backup_dense(P, mdp.R, mdp.gamma, v, mask, use_mask, tv, pi),
                          args.repeats, warmup=3)
    t_numpy = median_time(lambda: bellman_backup_reference(P, mdp.R, mdp.gamma, v), max(3, args.repeats // 3))
    gb = P.nbytes / 1e9
    print(f"dense garnet S={S} A={A} (P = {gb:.2f} GB), median of {args.repeats} warm repeats")
    print_table(
        "time per pass over P (ratio = roof time / time; 1.0 = at the bandwidth roof)",
        [
            (f"read-only stream (roof, {gb / t_roof:.1f} GB/s)", t_roof, 1.0),
            (f"fused Bellman backup ({gb / t_sweep:.1f} GB/s)", t_sweep, t_roof / t_sweep),
            ("NumPy reference P @ v + max", t_numpy, t_roof / t_numpy),
        ],
    )
    print(f"\nbackup / roof throughput = {t_roof / t_sweep:.3f} (target >= 0.9); "
          f"speed-up over NumPy = {t_numpy / t_sweep:.2f}x")


if __name__ == "__main__":
    main()
