"""Dense Bellman sweep against the memory-bandwidth roof.

Run: ``python benchmarks/bench_dp_dense.py [--states 2000] [--actions 10] [--threads 1 2]``

A dense garnet (Archibald et al. 1995: each (s, a) reaches ``b`` random states
with random probabilities) stored as a C-contiguous (S, A, S) float64 tensor.
One fused optimality backup (``T v``, greedy policy, min/max of ``T v - v``)
reads all of P once. The roof is the fastest honest read-only pass over the
same array measured in the same run: our streaming sum
(``_kernels.stream_sum_dense``, same chunk layout and threads as the backup),
NumPy's ``P.sum()`` and BLAS ``dasum`` (both at the same thread limit).
Target: backup throughput >= 0.9 of the roof. Also shown: the NumPy
reference (``P @ v`` via BLAS, then max/argmax).

All candidates run round-robin (load-robust); the table shows the minimum and
the median of the repeats, for each thread limit asked for (OpenMP and BLAS
threads capped with threadpoolctl).
"""

import argparse

import numpy as np
from _timing import interleaved_times, load_average, print_ratio_table, thread_limit

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
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument(
        "--threads", type=int, nargs="+", default=[1, 0], help="thread limits to run (0 = no limit, all cores)"
    )
    args = ap.parse_args()
    from scipy.linalg.blas import dasum

    S, A = args.states, args.actions
    mdp = dense_garnet(S, A, args.branching, 0.99, seed=0)
    _, (P,), mask, use_mask = _kernel_inputs(mdp)
    flat = P.reshape(-1)
    v = np.random.default_rng(1).normal(size=S)
    tv, pi = np.empty(S), np.empty(S, dtype=np.int64)
    gb = P.nbytes / 1e9
    print(
        f"dense garnet S={S} A={A} (P = {gb:.2f} GB, address mod 64 = {P.ctypes.data % 64}); "
        f"{args.repeats} interleaved warm repeats; {load_average()}"
    )
    summary = []
    for n in args.threads:
        limit = None if n == 0 else n
        with thread_limit(limit):
            roofs = {
                "read-only pass: rltheory stream_sum_dense": lambda: K.stream_sum_dense(P),
                "read-only pass: NumPy P.sum()": lambda: P.sum(),
                "read-only pass: BLAS dasum": lambda: dasum(flat),
            }
            fns = dict(roofs)
            fns["rltheory fused Bellman backup"] = lambda: K.bellman_backup_dense(
                P, mdp.R, mdp.gamma, v, mask, use_mask, tv, pi
            )
            fns["NumPy reference P @ v + max/argmax"] = lambda: bellman_backup_reference(P, mdp.R, mdp.gamma, v)
            stats = interleaved_times(fns, args.repeats, warmup=2)
        roof = min(roofs, key=lambda k: stats[k][0])
        label = "all cores" if limit is None else f"{limit} thread(s)"
        print_ratio_table(
            f"[{label}] time per pass over P; ratio = roof time / time (1.0 = at the roof; roof = {roof})", stats, roof
        )
        (rmin, rmed), (bmin, bmed) = stats[roof], stats["rltheory fused Bellman backup"]
        print(f"roof {gb / rmin:.1f} GB/s (min), backup {gb / bmin:.1f} GB/s (min)")
        summary.append((label, rmin / bmin, rmed / bmed))
    print(f"\nbackup throughput / roof throughput (target >= 0.9); {load_average()}")
    for label, a, b in summary:
        print(f"  {label:<12} min-based {a:.3f}   median-based {b:.3f}")


if __name__ == "__main__":
    main()
