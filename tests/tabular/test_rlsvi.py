"""Tabular RLSVI (Osband, Van Roy & Wen 2016): parity with the Python reference, the posterior's moments."""

import numpy as np
import pytest

from rltheory.tabular import RLSVI

from ._learning import assert_parity, small_mdp


def test_parity_with_reference():
    assert_parity(small_mdp(10), RLSVI(noise_variance=0.1), n_episodes=30)


def test_unvisited_values_are_prior_draws():
    # Algorithm 1 with no data: theta ~ N(0, 1/lambda) per pair; at step H the sampled Q are prior draws, so
    # V_H = max of A independent N(0, 1/lambda): check the mean of the max of two against E = 1/sqrt(pi lambda)
    agent = RLSVI(prior_precision=4.0)
    mdp = small_mdp(0, S=1, A=2, H=1)
    params = agent.compiled_params(mdp, 1)
    cls = type(agent)
    rng = np.array([9, 8, 7, 6], dtype=np.uint64)
    pol = np.zeros((1, 1), dtype=np.int64)
    draws = []
    for _ in range(20_000):
        state = cls.init(params, 1, 2, 1, np.zeros((1, 2, 0)))
        cls.plan(params, state, 0, pol, rng)
        draws.append(state[0][0, 0])
    mean = 1.0 / np.sqrt(np.pi * 4.0)  # E max(X, Y), X, Y iid N(0, s^2): s / sqrt(pi)
    sd = np.std(draws) / np.sqrt(len(draws))
    assert abs(np.mean(draws) - mean) < 5 * sd


def test_bad_input():
    with pytest.raises(ValueError, match="noise_variance"):
        RLSVI(noise_variance=-1.0)
