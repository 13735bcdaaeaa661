"""Soft (log-sum-exp) Bellman sweep against the hard (max) sweep on the S = 2000 garnet.

Run: ``python benchmarks/bench_soft_vi.py [--states 2000] [--actions 10] [--branching 10] [--sparse]``

Both sweeps are compiled (``_soft_kernels.soft_backup_*`` vs
``_kernels.bellman_backup_*``), read all of P once and are timed warm in the
same run. The soft sweep adds one ``exp`` per (s, a) and one ``log`` per
state to the same number of multiply-adds. Target: soft / hard <= 1.5.
Also shown: the NumPy reference of the soft sweep, and one full certified
soft VI solve (tol 1e-6) against ``value_iteration`` at the same tolerance.
"""

import argparse

import numpy as np
from _timing import median_time, print_table

from rltheory.tabular import _kernels as K
from rltheory.tabular import _soft_kernels as SK
from rltheory.tabular import soft_value_iteration, value_iteration
from rltheory.tabular._operators import _kernel_inputs
from rltheory.tabular._regularized import soft_backup_reference
from rltheory.tabular.envs import garnet


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--states", type=int, default=2000)
    ap.add_argument("--actions", type=int, default=10)
    ap.add_argument("--branching", type=int, default=10)
    ap.add_argument("--temperature", type=float, default=0.1)
    ap.add_argument("--sparse", action="store_true")
    ap.add_argument("--repeats", type=int, default=11)
    args = ap.parse_args()
    S, A = args.states, args.actions
    mdp = garnet(S, A, args.branching, rng=0, sparse=args.sparse, gamma=0.99)
    kind, P, mask, use_mask = _kernel_inputs(mdp)
    v = np.random.default_rng(1).normal(size=S)
    tv, pi = np.empty(S), np.empty(S, dtype=np.int64)
    out, q = np.empty(S), np.empty((S, A))
    logref = np.zeros((S, A))
    hard = K.bellman_backup_dense if kind == "dense" else K.bellman_backup_csr
    soft = SK.soft_backup_dense if kind == "dense" else SK.soft_backup_csr
    tau = args.temperature

    t_hard = median_time(lambda: hard(*P, mdp.R, mdp.gamma, v, mask, use_mask, tv, pi), args.repeats, warmup=3)
    t_soft = median_time(
        lambda: soft(*P, mdp.R, mdp.gamma, v, tau, logref, mask, use_mask, out, q), args.repeats, warmup=3
    )
    t_ref = median_time(
        lambda: soft_backup_reference(mdp.P, mdp.R, mdp.gamma, v, tau, logref, np.asarray(mdp.action_mask)),
        max(3, args.repeats // 3),
    )
    t_vi = median_time(lambda: value_iteration(mdp, tol=1e-6), 3, warmup=1)
    t_svi = median_time(lambda: soft_value_iteration(mdp, tau, tol=1e-6), 3, warmup=1)
    vi_it = value_iteration(mdp, tol=1e-6).iterations
    svi_it = soft_value_iteration(mdp, tau, tol=1e-6).iterations
    print(f"garnet S={S} A={A} b={args.branching} ({kind}), tau={tau}, median of {args.repeats} warm repeats")
    print_table(
        "one sweep (ratio = time / hard sweep; target soft <= 1.5)",
        [
            ("hard Bellman backup (max)", t_hard, 1.0),
            ("soft backup (log-sum-exp, compiled)", t_soft, t_soft / t_hard),
            ("soft backup, NumPy reference", t_ref, t_ref / t_hard),
        ],
    )
    print_table(
        "full certified solve to tol 1e-6 (ratio = time / value_iteration)",
        [
            (f"value_iteration ({vi_it} sweeps)", t_vi, 1.0),
            (f"soft_value_iteration ({svi_it} sweeps)", t_svi, t_svi / t_vi),
        ],
    )


if __name__ == "__main__":
    main()
