"""MVP (Zhang, Ji & Du 2021): parity with the Python reference, the doubling refresh, the total-reward assumption."""

import numpy as np
import pytest

from rltheory.simulation import simulate
from rltheory.tabular import MVP, FiniteMDP, max_episode_return

from ._learning import assert_parity, small_mdp


def test_parity_with_reference():
    assert_parity(small_mdp(11, scale=1.0 / 3), MVP(bonus_scale=0.01), n_episodes=40)


def test_statistics_refresh_only_at_powers_of_two():
    agent = MVP()
    mdp = small_mdp(12, S=2, A=1, H=1, scale=1.0)
    params = agent.compiled_params(mdp, 100)
    cls = type(agent)
    state = cls.init(params, 2, 1, 1, np.zeros((2, 1, 0)))
    rng = np.zeros(4, dtype=np.uint64) + 1
    frozen = []
    for n in range(1, 20):
        cls.observe(params, state, 0, 0, 0, 0.5, n % 2, rng)
        frozen.append(state[2][0, 0])
    assert frozen == [1, 2, 2, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 16, 16, 16, 16]


def test_max_episode_return_is_the_largest_path_sum():
    # two states; from 0 action 0 may stay (reward 0.1) or move to 1 (reward 0.4 forever): best path 0 -> 1 -> 1
    P = np.array([[[0.5, 0.5]], [[0.0, 1.0]]])
    mdp = FiniteMDP(P, np.array([[0.1], [0.4]]), gamma=1.0, horizon=3)
    assert max_episode_return(mdp) == pytest.approx(1.2, abs=1e-15)


def test_refuses_a_problem_outside_its_assumption():
    with pytest.raises(ValueError, match="total reward"):
        simulate(small_mdp(0), MVP(), n_episodes=2)
