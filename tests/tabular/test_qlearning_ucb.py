"""Q-learning with UCB-H / UCB-B bonuses (Jin et al. 2018) and epsilon-greedy Q-learning: parity and invariants."""

import numpy as np
import pytest

from rltheory.simulation import simulate
from rltheory.tabular import EpsilonGreedyQ, NoisyRewards, QLearningUCB, backward_induction

from ._learning import assert_parity, small_mdp


@pytest.mark.parametrize("bonus", ["hoeffding", "bernstein"])
def test_parity_with_reference(bonus):
    assert_parity(small_mdp(3), QLearningUCB(bonus=bonus, bonus_scale=0.05), n_episodes=40)


def test_parity_of_the_stochastic_epsilon_greedy_policy_with_bernoulli_rewards():
    assert_parity(NoisyRewards(small_mdp(4)), EpsilonGreedyQ(epsilon=0.3), n_episodes=40)


def test_learning_rate_weights_and_optimism():
    # Jin et al. (2018), Lemma 4.3: with the paper's bonus Q^k_h >= Q*_h, hence V^k_h >= V*_h, on this run
    from rltheory.tabular._learning_reference import reference_run

    mdp = small_mdp(5)
    for bonus in ("hoeffding", "bernstein"):
        run = reference_run(
            mdp, QLearningUCB(bonus=bonus), 200, seed=1, compiled=True, record_values=True, exact_regret=False
        )
        assert run.value_gaps.min() >= 0.0


def test_epsilon_one_is_uniform_play():
    mdp = small_mdp(6)
    H, S = mdp.horizon, mdp.n_states
    V = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        V[h] = (mdp.R + mdp.P @ V[h + 1]).mean(axis=1)
    gap = mdp.initial_distribution @ (backward_induction(mdp).v[0] - V[0])
    curve = simulate(mdp, EpsilonGreedyQ(epsilon=1.0), n_episodes=50, n_runs=2, checkpoints=[50])
    np.testing.assert_allclose(curve.regret[:, -1], 50 * gap, rtol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="c = 0.0 must be > 0.0"):
        QLearningUCB(c=0.0)
    with pytest.raises(ValueError, match="epsilon"):
        EpsilonGreedyQ(epsilon=1.5)
