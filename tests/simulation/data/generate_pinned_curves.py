"""How ``pinned_curves.npz`` was made: run once, at the pre-refactor commit it records.

The arrays are the output of the three simulators that existed before the one
``rltheory.simulation.simulate`` (``bandits.simulate``, ``linear.simulate_linear``,
``linear.simulate_linear_mdp``), at commit 13e81ed. ``tests/simulation/test_pinned.py``
asserts that the unified engine reproduces them bit for bit. This script uses
the pre-refactor API and does not run on later commits; it is kept as the
record of the configurations.
"""

import subprocess

import numpy as np

from rltheory import bandits as B
from rltheory import linear as L

if __name__ == "__main__":
    commit = subprocess.check_output(["git", "rev-parse", "HEAD"], text=True).strip()
    out = {"commit": np.array(commit)}
    bern = B.BernoulliBandit([0.9, 0.8, 0.5])
    pols = {
        "EpsilonGreedy": B.EpsilonGreedy(),
        "EpsilonGreedy-decay": B.EpsilonGreedy(schedule="decaying", c=6.0, d=0.1),
        "ExploreThenCommit": B.ExploreThenCommit(m=20),
        "UCB1": B.UCB1(),
        "UCBV": B.UCBV(),
        "MOSS": B.MOSS(),
        "KLUCB": B.KLUCB(),
        "KLUCBPlus": B.KLUCBPlus(),
        "ThompsonSampling": B.ThompsonSampling(),
        "BayesUCB": B.BayesUCB(),
        "IMED": B.IMED(),
        "EXP3": B.EXP3(),
        "EXP3IX": B.EXP3IX(),
        "TsallisINF": B.TsallisINF(),
    }

    def put(key, c):
        out[key + "/regret"] = c.regret
        out[key + "/realized"] = c.realized_regret
        out[key + "/pulls"] = c.pulls

    for name, p in pols.items():
        put("bernoulli/" + name, B.simulate(bern, p, 3000, 6, seed=3, checkpoints=15))
    gau = B.GaussianBandit([0.0, 0.3, 0.5], sigma=0.7)
    for name in ("UCB1", "KLUCB", "ThompsonSampling", "BayesUCB", "IMED"):
        p = {
            "UCB1": B.UCB1(),
            "KLUCB": B.KLUCB(family="gaussian", sigma=0.7),
            "ThompsonSampling": B.ThompsonSampling(prior="gaussian", sigma=0.7),
            "BayesUCB": B.BayesUCB(prior="gaussian", sigma=0.7),
            "IMED": B.IMED(family="gaussian", sigma=0.7),
        }[name]
        put("gaussian/" + name, B.simulate(gau, p, 2000, 5, seed=11, checkpoints=12))
    bnd = B.BoundedBandit([2.0, 3.0, 1.0], [3.0, 2.0, 1.0])
    for name in ("KLUCB", "ThompsonSampling", "UCBV"):
        put("bounded/" + name, B.simulate(bnd, pols[name], 2000, 5, seed=5, checkpoints=12))
    seq = B.SequenceBandit.adversarial(1500, 3, seed=2)
    for name in ("EXP3", "EXP3IX", "TsallisINF", "UCB1"):
        put("sequence/" + name, B.simulate(seq, pols[name], 1500, 4, seed=9, checkpoints=10))
    put("bernoulli/UCB1-chunk", B.simulate(bern, B.UCB1(), 3000, 3, seed=3, checkpoints=15, run_start=2))
    lb = L.LinearBandit.random(4, 12, noise_sigma=0.5, rng=0)
    lc = L.LinearBandit.random(3, 6, n_contexts=5, noise_sigma=0.3, rng=1)
    for pname, p in (
        ("LinUCB", L.LinUCB()),
        ("LinTS", L.LinTS()),
        ("LinUCB-scaled", L.LinUCB(radius_scale=0.3, regularization=2.0)),
    ):
        put("linear-fixed/" + pname, L.simulate_linear(lb, p, 1500, 4, seed=7, checkpoints=10))
        put("linear-contextual/" + pname, L.simulate_linear(lc, p, 800, 3, seed=8, checkpoints=8))
    m = L.LinearMDP.random(5, 2, 3, horizon=4, rng=0)
    put("linear-mdp/LSVIUCB", L.simulate_linear_mdp(m, L.LSVIUCB(beta=0.5), 120, 3, seed=2, checkpoints=6))
    put("linear-mdp/LMCLSVI", L.simulate_linear_mdp(m, L.LMCLSVI(n_samples=2), 80, 3, seed=4, checkpoints=5))
    np.savez_compressed("tests/simulation/data/pinned_curves.npz", **out)
    print(len(out), "arrays from", commit)
