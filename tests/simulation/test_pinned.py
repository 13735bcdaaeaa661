"""The unified engine reproduces, bit for bit, the curves of the three simulators it replaced.

``data/pinned_curves.npz`` holds arrays computed by ``bandits.simulate``,
``linear.simulate_linear`` and ``linear.simulate_linear_mdp`` at commit
13e81ed, before they were merged into :func:`rltheory.simulation.simulate`
(``data/generate_pinned_curves.py`` records the configurations). Every agent
whose implementation only moved must give the same ``regret``,
``realized_regret`` and ``pulls`` exactly (``np.array_equal``, no tolerance).
"""

from pathlib import Path

import numpy as np
import pytest

from rltheory import bandits as B
from rltheory.simulation import simulate

PINNED = np.load(Path(__file__).parent / "data" / "pinned_curves.npz")

BERNOULLI = B.BernoulliBandit([0.9, 0.8, 0.5])
POLICIES = {
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
GAUSSIAN = B.GaussianBandit([0.0, 0.3, 0.5], sigma=0.7)
GAUSSIAN_POLICIES = {
    "UCB1": B.UCB1(),
    "KLUCB": B.KLUCB(family="gaussian", sigma=0.7),
    "ThompsonSampling": B.ThompsonSampling(prior="gaussian", sigma=0.7),
    "BayesUCB": B.BayesUCB(prior="gaussian", sigma=0.7),
    "IMED": B.IMED(family="gaussian", sigma=0.7),
}


def assert_pinned(key, curve):
    for field, attr in (("regret", "regret"), ("realized", "realized_regret"), ("pulls", "pulls")):
        expected = PINNED[f"{key}/{field}"]
        assert np.array_equal(getattr(curve, attr), expected), f"{key}: {attr} differs from the pre-refactor engine"


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_bernoulli_curves_are_bit_identical(name):
    assert_pinned(
        f"bernoulli/{name}", simulate(BERNOULLI, POLICIES[name], n_rounds=3000, n_runs=6, seed=3, checkpoints=15)
    )


def test_chunk_with_run_start_is_bit_identical():
    curve = simulate(BERNOULLI, B.UCB1(), n_rounds=3000, n_runs=3, seed=3, checkpoints=15, run_start=2)
    assert_pinned("bernoulli/UCB1-chunk", curve)


@pytest.mark.parametrize("name", sorted(GAUSSIAN_POLICIES))
def test_gaussian_curves_are_bit_identical(name):
    curve = simulate(GAUSSIAN, GAUSSIAN_POLICIES[name], n_rounds=2000, n_runs=5, seed=11, checkpoints=12)
    assert_pinned(f"gaussian/{name}", curve)


@pytest.mark.parametrize("name", ["KLUCB", "ThompsonSampling", "UCBV"])
def test_bounded_curves_are_bit_identical(name):
    bandit = B.BoundedBandit([2.0, 3.0, 1.0], [3.0, 2.0, 1.0])
    assert_pinned(f"bounded/{name}", simulate(bandit, POLICIES[name], n_rounds=2000, n_runs=5, seed=5, checkpoints=12))


@pytest.mark.parametrize("name", ["EXP3", "EXP3IX", "TsallisINF", "UCB1"])
def test_sequence_curves_are_bit_identical(name):
    bandit = B.SequenceBandit.adversarial(1500, 3, rng=2)
    assert_pinned(f"sequence/{name}", simulate(bandit, POLICIES[name], n_rounds=1500, n_runs=4, seed=9, checkpoints=10))


def _linear():
    from rltheory import linear as L

    return (
        L,
        L.LinearBandit.random(4, 12, noise_sigma=0.5, rng=0),
        L.LinearBandit.random(3, 6, n_contexts=5, noise_sigma=0.3, rng=1),
    )


@pytest.mark.parametrize("name", ["LinUCB", "LinTS", "LinUCB-scaled"])
def test_linear_bandit_curves_are_bit_identical(name):
    L, fixed, contextual = _linear()
    agent = {"LinUCB": L.LinUCB(), "LinTS": L.LinTS(), "LinUCB-scaled": L.LinUCB(radius_scale=0.3, regularization=2.0)}[
        name
    ]
    assert_pinned(f"linear-fixed/{name}", simulate(fixed, agent, n_rounds=1500, n_runs=4, seed=7, checkpoints=10))
    assert_pinned(
        f"linear-contextual/{name}", simulate(contextual, agent, n_rounds=800, n_runs=3, seed=8, checkpoints=8)
    )


@pytest.mark.parametrize("name", ["LSVIUCB", "LMCLSVI"])
def test_linear_mdp_curves_are_bit_identical(name):
    """Regret and action counts are pinned; ``realized_regret`` was a copy of the pseudo-regret before the move and
    is now the realized regret sum_k V*(s_1^k) - sum_h r_h^k (tests/linear/test_lsvi.py checks it)."""
    from rltheory import linear as L

    m = L.LinearMDP.random(5, 2, 3, horizon=4, rng=0)
    if name == "LSVIUCB":
        curve = simulate(m, L.LSVIUCB(beta=0.5), n_episodes=120, n_runs=3, seed=2, checkpoints=6)
    else:
        curve = simulate(m, L.LMCLSVI(n_samples=2), n_episodes=80, n_runs=3, seed=4, checkpoints=5)
    assert np.array_equal(curve.regret, PINNED[f"linear-mdp/{name}/regret"])
    assert np.array_equal(curve.pulls, PINNED[f"linear-mdp/{name}/pulls"])
    assert np.array_equal(PINNED[f"linear-mdp/{name}/realized"], PINNED[f"linear-mdp/{name}/regret"])
