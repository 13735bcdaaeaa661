"""Shapley value iteration: one certified sweep against a NumPy + ``scipy.optimize.linprog``-per-state reference.

Run: ``python benchmarks/bench_shapley.py [--states 500] [--actions 5] [--repeats 7] [--threads 1 0]``

Random zero-sum Markov game: ``P[s, a, b] ~ Dirichlet(1)`` over all S next states (dense, 8 S^2 A B bytes:
50 MB at S = 500, A = B = 5), ``r ~ N(0, 1)``, gamma = 0.95. One *sweep* is the backup ``Q = r + gamma P v``
(one BLAS matrix-vector product over P viewed as (S A B, S)) plus the S stage games:

* ours: ``rltheory.tabular.games._shapley._Backup`` -- the same matvec, then one compiled call solving all S
  stage games (pure-saddle test, 2x2 closed form, dense simplex) and certifying each by weak duality;
* reference: the same matvec in NumPy, then one HiGHS ``linprog`` per state
  (``rltheory.tabular.games._reference.shapley_backup_reference``).

Target (issue 16): ours >= 50x faster per sweep. Also printed: the stage solves alone, the matvec alone, and a
whole certified solve to tol 1e-6. Candidates run round-robin; min and median of warm repeats (_timing.py).
"""

import argparse

import numpy as np
from _timing import fmt_time, interleaved_times, load_average, print_ratio_table, thread_limit

from rltheory.tabular.games import MarkovGame, _stage, shapley_value_iteration
from rltheory.tabular.games._reference import shapley_backup_reference, stage_values_reference
from rltheory.tabular.games._shapley import _Backup


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--states", type=int, default=500)
    ap.add_argument("--actions", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 0], help="thread limits; 0 = no limit")
    args = ap.parse_args()
    S, A = args.states, args.actions
    rng = np.random.default_rng(0)
    game = MarkovGame(rng.dirichlet(np.ones(S), size=(S, A, A)), rng.normal(size=(S, A, A)), gamma=0.95)
    v = rng.normal(size=S)
    backup = _Backup(game)
    P2 = np.asarray(game.P).reshape(S * A * A, S)
    Q = np.asarray(game.R) + game.gamma * (P2 @ v).reshape(S, A, A)
    X, Y, lo, hi, ok = np.empty((S, A)), np.empty((S, A)), np.empty(S), np.empty(S), np.empty(S, dtype=bool)

    # the two sweeps agree within the certificates
    backup(v)
    ref_v, _, _ = shapley_backup_reference(game.P, game.R, game.gamma, v)
    assert np.all(backup.lo - 1e-7 <= ref_v) and np.all(ref_v <= backup.hi + 1e-7)
    print(f"random zero-sum Markov game S={S}, A=B={A}, dense P ({P2.nbytes / 2**20:.0f} MiB), gamma=0.95")
    print(f"max stage certificate gap hi - lo: {np.max(backup.hi - backup.lo):.2e}; {load_average()}")
    for threads in args.threads:
        label = "all cores" if threads == 0 else f"{threads} thread"
        with thread_limit(None if threads == 0 else threads):
            stats = interleaved_times(
                {
                    "reference sweep (NumPy matvec + linprog per state)": lambda: shapley_backup_reference(
                        game.P, game.R, game.gamma, v
                    ),
                    "ours: certified sweep (matvec + compiled stage solves)": lambda: backup(v),
                    "reference stage solves only (linprog x S)": lambda: stage_values_reference(Q),
                    "ours: stage solves only (compiled)": lambda: _stage.solve_stages(Q, X, Y, lo, hi, ok),
                    "matvec Q = r + gamma P v only": lambda: np.asarray(game.R).ravel() + game.gamma * (P2 @ v),
                },
                repeats=args.repeats,
                warmup=1,
            )
            print_ratio_table(
                f"one Shapley sweep, {label} (ratio = reference / time)",
                stats,
                "reference sweep (NumPy matvec + linprog per state)",
            )
            sweep_ratio = (
                stats["reference sweep (NumPy matvec + linprog per state)"][0]
                / stats["ours: certified sweep (matvec + compiled stage solves)"][0]
            )
            stage_ratio = (
                stats["reference stage solves only (linprog x S)"][0] / stats["ours: stage solves only (compiled)"][0]
            )
            print(
                f"target >= 50x per sweep: {sweep_ratio:.0f}x (min) -> {'met' if sweep_ratio >= 50 else 'missed'}; "
                f"stage solves alone {stage_ratio:.0f}x"
            )
            solve = interleaved_times({"solve": lambda: shapley_value_iteration(game, tol=1e-6)}, repeats=3, warmup=1)
            res = shapley_value_iteration(game, tol=1e-6)
            print(
                f"whole certified solve to tol 1e-6: {fmt_time(solve['solve'][0])} (min), {res.iterations} sweeps, "
                f"bound {res.bound:.1e}, policy bound {res.policy_suboptimality_bound:.1e}"
            )


if __name__ == "__main__":
    main()
