"""PSRL (Osband, Russo & Van Roy 2013) and greedy certainty equivalence: parity with the Python references."""

import numpy as np
import pytest

from rltheory.simulation import simulate
from rltheory.tabular import PSRL, FiniteMDP, GreedyCertaintyEquivalence, NoisyRewards

from ._learning import assert_parity, small_mdp


def test_psrl_parity_with_reference():
    assert_parity(small_mdp(7), PSRL(), n_episodes=25)


def test_psrl_parity_with_bernoulli_rewards_and_a_sparse_prior():
    assert_parity(NoisyRewards(small_mdp(8)), PSRL(transition_prior=0.3), n_episodes=25)


def test_certainty_equivalence_parity_with_reference():
    assert_parity(small_mdp(9), GreedyCertaintyEquivalence(), n_episodes=30)


def test_certainty_equivalence_can_lock_onto_a_bad_action():
    # one state, rewards (0.5, 1): action 0 is tried first (ties to the lowest action), its estimate 0.5 > 0 = the
    # value of the untried action, so action 1 is never tried: regret 0.5 per step, forever
    mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.5, 1.0]]), gamma=1.0, horizon=3, initial_distribution=[1.0])
    curve = simulate(mdp, GreedyCertaintyEquivalence(), n_episodes=100, checkpoints=[100])
    assert curve.regret[0, -1] == 150.0 and curve.pulls[0, -1].tolist() == [300, 0]


def test_psrl_learns_the_two_armed_problem():
    # posterior sampling concentrates on the better action: far fewer pulls of the worse one than uniform play
    mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.2, 0.8]]), gamma=1.0, horizon=1, initial_distribution=[1.0])
    curve = simulate(NoisyRewards(mdp), PSRL(), n_episodes=2000, n_runs=4, checkpoints=[2000])
    assert (curve.pulls[:, -1, 0] < 200).all()


def test_bad_prior():
    with pytest.raises(ValueError, match="transition_prior"):
        PSRL(transition_prior=0.0)
