"""Episodic tabular learners: compiled UCBVI-BF against a NumPy reference written like rlberry's agent, and memory.

Run: ``python benchmarks/bench_tabular_agents.py [--episodes 300] [--memory-runs 1000] [--memory-episodes 2000]``

1. UCBVI-BF time per episode, garnet S = 50, A = 5 (branching 5), H = 20, one run, warm. Compiled:
   ``simulate(mdp, UCBVI(bonus="bernstein"), n_episodes=K)`` (planning and the episode inside one compiled call).
   Reference: ``numpy_ucbvi_bf``, the agent as rlberry writes it: a Python loop over the H steps of each episode
   (environment step and count updates in Python) and a NumPy backward induction over (S, A) arrays each
   episode, the same bonus (Azar et al. 2017, Algorithm 4). Target: >= 30x. rlberry's own ``UCBVIAgent``
   (rlberry-scool 0.7.3, when importable: ``--rlberry``, run in the interpreter given by ``--rlberry-python``)
   is timed on the same garnet; target >= 100x.
2. Memory of 1000 runs x 1e5 episodes of UCBVI-CH on the S = 10 garnet: peak RSS of a child process running
   ``--memory-runs`` runs x ``--memory-episodes`` episodes with 200 checkpoints (the output is O(runs x
   checkpoints), the per-run state O(S^2 A) per thread, neither grows with the episodes), and the time per run
   extrapolated linearly in the episodes to 1e5.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
from _timing import load_average

from rltheory.simulation import simulate
from rltheory.tabular import UCBVI, FiniteMDP
from rltheory.tabular._ucbvi import ucbvi_log_term
from rltheory.tabular.envs import garnet


def episodic_garnet(S, A, b, H, seed):
    g = garnet(S, A, b, rng=seed, reward="state-action")
    return FiniteMDP(g.P, g.R, gamma=1.0, horizon=H, initial_distribution=np.full(S, 1.0 / S))


def numpy_ucbvi_bf(mdp, n_episodes, budget, rng):
    """UCBVI-BF as a Python/NumPy agent (rlberry's structure): NumPy backward induction each episode."""
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    L = ucbvi_log_term(S, A, budget * H, 0.1)
    c = 100.0**2 * H**3 * S**2 * A * L**2
    N = np.zeros((S, A))
    Nsas = np.zeros((S, A, S))
    Rsum = np.zeros((S, A))
    Nh = np.zeros((H + 1, S))
    Q = np.full((H, S, A), float(H))
    V = np.zeros((H + 1, S))
    P, R, rho = mdp.P, mdp.R, mdp.initial_distribution
    for _ in range(n_episodes):
        n = np.maximum(N, 1.0)
        Phat = Nsas / n[:, :, None]
        rhat = Rsum / n
        for h in range(H - 1, -1, -1):
            pv = Phat @ V[h + 1]
            var = np.maximum(Phat @ V[h + 1] ** 2 - pv**2, 0.0)
            w = np.where(Nh[h + 1] > 0, np.minimum(c / np.maximum(Nh[h + 1], 1.0), H * H), H * H)
            corr = Phat @ w if h < H - 1 else 0.0
            b = np.sqrt(8 * L * var / n) + 14 * H * L / (3 * n) + np.sqrt(8 * corr / n)
            q = np.minimum(np.minimum(rhat + pv + b, Q[h]), H)
            Q[h] = np.where(N > 0, q, H)
            V[h] = Q[h].max(axis=1)
        pol = Q.argmax(axis=2)
        s = rng.choice(S, p=rho)
        for h in range(H):
            a = pol[h, s]
            s2 = rng.choice(S, p=P[s, a])
            N[s, a] += 1
            Nsas[s, a, s2] += 1
            Rsum[s, a] += R[s, a]
            Nh[h, s] += 1
            s = s2


RLBERRY_SNIPPET = r"""
import json, sys, time
import numpy as np
from rlberry_scool.agents import UCBVIAgent
from rlberry.envs.finite_mdp import FiniteMDP as RBFiniteMDP
data = np.load(sys.argv[1])
env = RBFiniteMDP(data["R"], data["P"], initial_state_distribution=0)
H, K = int(sys.argv[2]), int(sys.argv[3])
agent = UCBVIAgent(env, horizon=H, gamma=1.0, stage_dependent=False, real_time_dp=False)
agent.fit(budget=2)
t = time.perf_counter()
agent.fit(budget=K)
print(json.dumps({"seconds_per_episode": (time.perf_counter() - t) / K}))
"""


def memory_child(runs, episodes):
    mdp = episodic_garnet(10, 3, 3, 10, 2017)
    simulate(mdp, UCBVI(), n_episodes=20, n_runs=2, checkpoints=5)  # compile / load the kernel first
    t = time.perf_counter()
    simulate(mdp, UCBVI(), n_episodes=episodes, n_runs=runs, checkpoints=200)
    seconds = time.perf_counter() - t
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"seconds": seconds, "max_rss_mib": rss}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=300)
    ap.add_argument("--memory-runs", type=int, default=1000)
    ap.add_argument("--memory-episodes", type=int, default=2000)
    ap.add_argument("--rlberry", action="store_true")
    ap.add_argument("--rlberry-python", default=sys.executable)
    ap.add_argument("--memory-child", nargs=2, type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return
    print(load_average())
    mdp = episodic_garnet(50, 5, 5, 20, 2017)
    K = args.episodes
    agent = UCBVI(bonus="bernstein")
    simulate(mdp, agent, n_episodes=5, checkpoints=2)  # warm (compile or load from the cache)
    compiled = []
    for _ in range(3):
        t = time.perf_counter()
        simulate(mdp, agent, n_episodes=K, checkpoints=2)
        compiled.append((time.perf_counter() - t) / K)
    ref_k = max(10, K // 10)
    t = time.perf_counter()
    numpy_ucbvi_bf(mdp, ref_k, K, np.random.default_rng(0))
    ref = (time.perf_counter() - t) / ref_k
    best = min(compiled)
    print(
        f"UCBVI-BF, garnet S=50 A=5 H=20: compiled {best * 1e6:.1f} us/episode (min of 3 x {K} episodes); "
        f"NumPy reference {ref * 1e6:.1f} us/episode ({ref_k} episodes): ratio {ref / best:.1f}x (target >= 30x)"
    )
    if args.rlberry:
        import tempfile

        path = os.path.join(tempfile.mkdtemp(), "garnet.npz")
        np.savez(path, P=np.asarray(mdp.P), R=np.asarray(mdp.R))
        out = subprocess.run(
            [args.rlberry_python, "-c", RLBERRY_SNIPPET, path, "20", str(ref_k)], capture_output=True, text=True
        )
        if out.returncode != 0:
            print("rlberry: could not run UCBVIAgent:", out.stderr.strip().splitlines()[-1:] or out.returncode)
        else:
            rb = json.loads(out.stdout.strip().splitlines()[-1])["seconds_per_episode"]
            print(f"rlberry-scool UCBVIAgent: {rb * 1e6:.1f} us/episode: ratio {rb / best:.1f}x (target >= 100x)")
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(args.memory_runs), str(args.memory_episodes)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    res = json.loads(out.stdout.strip().splitlines()[-1])
    per_run = res["seconds"] / args.memory_runs
    print(
        f"UCBVI-CH, garnet S=10 A=3 H=10, {args.memory_runs} runs x {args.memory_episodes} episodes, 200 checkpoints: "
        f"peak RSS {res['max_rss_mib']:.0f} MiB (target < 1 GiB; output is O(runs x checkpoints), independent of "
        f"the episodes), {res['seconds']:.1f} s, i.e. {per_run * 1e3:.2f} ms per run; 1e5 episodes: "
        f"~{per_run * 1e5 / args.memory_episodes:.2f} s per run, "
        f"~{per_run * 1e5 / args.memory_episodes * 1000 / 60:.0f}"
        f" min for 1000 runs on this box (wall time with all threads)"
    )
    print(load_average(), "; threads:", os.environ.get("NUMBA_NUM_THREADS", "numba default"))


if __name__ == "__main__":
    main()
