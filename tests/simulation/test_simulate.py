"""simulate: dispatch on the problem kind, the budget keywords, validation, the up-front memory check."""

import numpy as np
import pytest

from rltheory.bandits import UCB1, BernoulliBandit
from rltheory.linear import LSVIUCB, LinearBandit, LinearMDP, LinUCB
from rltheory.simulation import problem_kinds, simulate

B = BernoulliBandit([0.6, 0.5])


def test_every_problem_kind_is_registered_by_its_subpackage():
    kinds = problem_kinds()
    assert kinds["bandit"] == ["BernoulliBandit", "BoundedBandit", "GaussianBandit", "SequenceBandit"]
    assert "LinearBandit" in kinds["linear-bandit"] and "LinearMDP" in kinds["episodic"]


def test_budget_keyword_follows_the_problem_kind():
    lin = LinearBandit.random(2, 3, rng=0)
    mdp = LinearMDP.random(3, 2, 2, horizon=3, rng=0)
    assert simulate(lin, LinUCB(), n_rounds=20, n_runs=1, checkpoints=2).unit == "rounds"
    assert simulate(mdp, LSVIUCB(beta=0.1), n_episodes=5, n_runs=1, checkpoints=2).unit == "episodes"
    with pytest.raises(
        ValueError, match="a problem of the episodic kind takes its budget as n_episodes=, not n_rounds="
    ):
        simulate(mdp, LSVIUCB(), n_rounds=5)
    with pytest.raises(
        ValueError, match="LSVIUCB is an agent of the episodic kind; a problem of the bandit kind needs a BanditAgent"
    ):
        simulate(B, LSVIUCB(), n_rounds=5)


def test_metadata_records_kind_specs_budget_and_versions():
    curve = simulate(B, UCB1(), n_rounds=50, n_runs=2, seed=4, checkpoints=3)
    meta = curve.metadata
    assert meta["kind"] == "bandit" and meta["problem"] == B.to_spec() and meta["agent"] == UCB1().to_spec()
    assert (meta["seed"], meta["budget"], meta["unit"]) == (4, 50, "rounds")
    assert set(meta["versions"]) == {"rltheory", "numpy", "numba", "python"}


def test_outputs_that_cannot_fit_are_refused_before_any_work():
    # 10^8 checkpoints x 100 runs x (2 + K) doubles is refused up front with the memory it would need
    with pytest.raises(ValueError, match=r"100 runs x 100000000 checkpoints of output would need .* GiB"):
        simulate(B, UCB1(), n_rounds=10**8, n_runs=100, checkpoints=10**8)


def test_progress_bar_does_not_change_numbers(capsys):
    a = simulate(B, UCB1(), n_rounds=100, n_runs=21, seed=2, checkpoints=4)
    b = simulate(B, UCB1(), n_rounds=100, n_runs=21, seed=2, checkpoints=4, progress=True)
    np.testing.assert_array_equal(a.regret, b.regret)
