"""The discounted reduction of average-reward learning: its exact bias bound and the learned policy."""

import itertools

import numpy as np
import pytest

from rltheory.tabular import (
    FiniteMDP,
    average_reward_policy_iteration,
    average_reward_reduction,
    gain_and_bias,
    generative_samples,
    policy_evaluation,
    policy_iteration,
)


def _ergodic(seed, S=4, A=2):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(S, A))  # all transitions positive: every policy unichain and aperiodic
    return FiniteMDP(P, rng.random((S, A)), gamma=1.0)


def _span(x):
    return float(np.max(x) - np.min(x))


@pytest.mark.parametrize("seed", range(4))
def test_discounted_values_are_within_gamma_span_of_the_gain(seed):
    # derived in the module docstring: |(1 - gamma) v^pi_gamma - g^pi| <= (1 - gamma) span(h^pi)
    mdp = _ergodic(seed)
    for pol in itertools.product(range(2), repeat=4):
        pol = np.array(pol)
        gb = gain_and_bias(mdp, pol)
        for gamma in (0.5, 0.9, 0.99):
            v = policy_evaluation(FiniteMDP(mdp.P, mdp.R, gamma=gamma), pol).v
            assert np.max(np.abs((1 - gamma) * v - gb.gain)) <= (1 - gamma) * _span(gb.bias) + 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_the_discounted_optimal_policy_is_nearly_gain_optimal(seed):
    # g* - g^{pi_gamma} <= (1 - gamma) (span h* + span h^{pi_gamma})
    mdp = _ergodic(seed)
    star = average_reward_policy_iteration(mdp)
    h_star = gain_and_bias(mdp, star.policy).bias
    for gamma in (0.3, 0.6, 0.9, 0.99):
        pol = policy_iteration(FiniteMDP(mdp.P, mdp.R, gamma=gamma)).policy
        gb = gain_and_bias(mdp, pol)
        gap = float(np.max(star.gain - gb.gain))
        assert gap <= (1 - gamma) * (_span(h_star) + _span(gb.bias)) + 1e-12


def test_learned_policy_is_epsilon_optimal_with_enough_samples():
    mdp = _ergodic(7)
    g_star = float(np.max(average_reward_policy_iteration(mdp).gain))
    res = average_reward_reduction(
        generative_samples(mdp, 100_000, rng=0), epsilon=0.01, mixing_time=2.0, reward_perturbation=1e-6, rng=0
    )
    assert res.gamma == pytest.approx(0.995)
    assert g_star - float(np.max(gain_and_bias(mdp, res.policy).gain)) <= 0.01


def test_bad_requests():
    disc = FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=0.9)
    with pytest.raises(ValueError, match="needs samples of an average-reward model"):
        average_reward_reduction(generative_samples(disc, 2, rng=0), epsilon=0.1, mixing_time=1.0)
    avg = FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=1.0)
    with pytest.raises(ValueError, match="epsilon = 2.0 must be < 1.0"):
        average_reward_reduction(generative_samples(avg, 2, rng=0), epsilon=2.0, mixing_time=1.0)
