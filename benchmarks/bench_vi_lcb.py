"""VI-LCB from a logged dataset to a policy, against NumPy references, and the memory of counting 1e7 transitions.

Run: ``python benchmarks/bench_vi_lcb.py [--states 1000] [--actions 10] [--transitions 1000000] [--gamma 0.9]
[--count 10000000] [--repeats 3]``

Speed (issue 13, target >= 5x): ``rltheory.tabular.vi_lcb`` (random split, one compiled pass per subset:
:func:`rltheory.tabular._sample_kernels.vi_lcb_loop`) against

* the reference the issue names, :func:`rltheory.tabular._sample_reference.vi_lcb_reference`: per subset dense
  ``(S*A, S)`` next-state counts by ``np.bincount``, the empirical model and one NumPy Bellman step;
* a leaner NumPy implementation written here: per subset, ``np.bincount`` of the per-transition targets
  ``r_i + gamma V(s'_i)`` (what the kernel computes, vectorized);

all on the same split (``rng=0``), timed round-robin in the same run, and checked to return the same policy.
The data: ``N`` i.i.d. transitions of a sparse Garnet MDP (branching 10) from the uniform data distribution.

Memory (target < 1 GB): each measurement runs in a fresh subprocess and reports its maximum resident set size
(``resource.getrusage``, Linux kilobytes) and the peak of ``tracemalloc`` (NumPy reports its buffers to it)
during the counting call alone:

* ``generative_samples(mdp, n)`` with ``n * S * A = count`` draws (multinomial counts per pair);
* ``empirical_mdp(dataset)`` of an ``OfflineDataset`` of ``count`` transitions (the dataset itself is built
  before the measured call; its arrays are part of the RSS).
"""

import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np
from _timing import interleaved_times, load_average, print_ratio_table

from rltheory.tabular import FiniteMDP, vi_lcb
from rltheory.tabular._sample_reference import vi_lcb_reference
from rltheory.tabular.envs import garnet


def _lean_numpy(pairs, rewards, nxt, order, bounds, S, A, gamma, v_max, L):
    """VI-LCB by per-subset bincounts of the transition targets (same arithmetic as the kernel)."""
    m0 = np.bincount(pairs[order[bounds[0] : bounds[1]]], minlength=S * A).reshape(S, A)
    policy = np.argmax(m0, axis=1)
    v = np.zeros(S)
    for t in range(1, len(bounds) - 1):
        idx = order[bounds[t] : bounds[t + 1]]
        p = pairs[idx]
        m = np.bincount(p, minlength=S * A)
        sums = np.bincount(p, weights=rewards[idx] + gamma * v[nxt[idx]], minlength=S * A)
        safe = np.maximum(m, 1)
        q = np.where(m > 0, sums / safe - v_max * np.sqrt(L / safe), -v_max * math.sqrt(L)).reshape(S, A)
        best = q.max(axis=1)
        better = best > v
        policy = np.where(better, np.argmax(q, axis=1), policy)
        v = np.where(better, best, v)
    return policy, v


def _memory_child(kind, S, A, count):
    import resource
    import tracemalloc

    from rltheory.tabular import collect, empirical_mdp, generative_samples

    mdp = garnet(S, A, 10, rng=0, sparse=True, gamma=0.9)
    if kind == "generative":
        n = max(1, count // (S * A))
        tracemalloc.start()
        samples = generative_samples(mdp, n, rng=0)
        peak = tracemalloc.get_traced_memory()[1]
        counted = samples.n_samples
    else:
        data = collect(mdp, data_distribution=np.full((S, A), 1.0 / (S * A)), n_transitions=count, rng=0)
        tracemalloc.start()
        model = empirical_mdp(data)
        peak = tracemalloc.get_traced_memory()[1]
        counted = int(np.asarray(model.counts).sum())
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"kind": kind, "counted": counted, "traced_peak": peak, "max_rss": rss}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--states", type=int, default=1000)
    ap.add_argument("--actions", type=int, default=10)
    ap.add_argument("--transitions", type=int, default=1_000_000)
    ap.add_argument("--gamma", type=float, default=0.9)
    ap.add_argument("--count", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--memory-child", nargs=2, metavar=("KIND", "COUNT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    S, A = args.states, args.actions
    if args.memory_child:
        _memory_child(args.memory_child[0], S, A, int(args.memory_child[1]))
        return
    print(load_average())
    if not args.skip_speed:
        from rltheory.tabular import collect

        base = garnet(S, A, 10, rng=0, sparse=True, gamma=args.gamma)
        mdp = FiniteMDP(base.P, base.R, gamma=args.gamma)
        data = collect(
            mdp,
            data_distribution=np.full((S, A), 1.0 / (S * A)),
            n_transitions=args.transitions,
            reward_noise="bernoulli",
            rng=1,
        )
        N, g = data.n_transitions, data.gamma
        T = int(math.ceil(math.log(N) / (1.0 - g)))
        L = 0.5 * math.log(2 * (T + 1) * S * A / 0.05)
        v_max = 1.0 / (1.0 - g)
        pairs = np.asarray(data.pairs, dtype=np.int64)
        rewards = np.asarray(data.rewards, dtype=float)
        nxt = np.asarray(data.next_states, dtype=np.int64)
        states, actions = np.asarray(data.states), np.asarray(data.actions)
        bounds = np.round(np.linspace(0, N, T + 2)).astype(np.int64)

        def split():  # the same permutation vi_lcb draws with rng=0
            return np.random.default_rng(0).permutation(N).astype(np.int64)

        ours = vi_lcb(data, rng=0)
        ref = vi_lcb_reference(states, actions, rewards, nxt, split(), bounds, S, A, g, v_max, L)
        lean = _lean_numpy(pairs, rewards, nxt, split(), bounds, S, A, g, v_max, L)
        np.testing.assert_array_equal(ours.policy, ref[1])
        np.testing.assert_array_equal(ours.policy, lean[0])
        np.testing.assert_allclose(ours.v_lower, ref[0], rtol=0, atol=1e-9)
        stats = interleaved_times(
            {
                "rltheory vi_lcb (compiled)": lambda: vi_lcb(data, rng=0),
                "NumPy reference (dense bincount counts + VI)": lambda: vi_lcb_reference(
                    states, actions, rewards, nxt, split(), bounds, S, A, g, v_max, L
                ),
                "lean NumPy (bincount of targets)": lambda: _lean_numpy(
                    pairs, rewards, nxt, split(), bounds, S, A, g, v_max, L
                ),
            },
            repeats=args.repeats,
            warmup=1,
        )
        print(
            f"VI-LCB: garnet S={S} A={A} (sparse, b=10), gamma={g}, N={N} transitions, T={T} subsets of "
            f"~{N // (T + 1)}; same split, same policy"
        )
        print_ratio_table(
            "dataset -> policy (ratio = reference time / our time; target >= 5x vs the NumPy reference)",
            {
                k: stats[k]
                for k in (
                    "NumPy reference (dense bincount counts + VI)",
                    "lean NumPy (bincount of targets)",
                    "rltheory vi_lcb (compiled)",
                )
            },
            ref="NumPy reference (dense bincount counts + VI)",
        )
    print(f"\ncounting {args.count:.3g} transitions, S={S} A={A} (fresh subprocess each; target < 1 GB)")
    here = os.path.abspath(__file__)
    for kind in ("generative", "dataset"):
        out = subprocess.run(
            [sys.executable, here, "--states", str(S), "--actions", str(A), "--memory-child", kind, str(args.count)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        what = "generative_samples (multinomial counts)" if kind == "generative" else "empirical_mdp(OfflineDataset)"
        print(
            f"{what:<42} counted {r['counted']:.3g}: peak traced during the call {r['traced_peak'] / 2**20:8.1f} "
            f"MiB, process max RSS {r['max_rss'] / 2**20:8.1f} MiB"
        )


if __name__ == "__main__":
    main()
