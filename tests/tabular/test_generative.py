"""Model-based planning on the plug-in model and synchronous Q-learning against exact answers."""

import numpy as np
import pytest

from rltheory.tabular import (
    FiniteMDP,
    backward_induction,
    collect,
    generative_samples,
    model_based_planning,
    policy_iteration,
    synchronous_q_learning,
)
from tests.tabular._helpers import random_mdp

Z = 5.0  # normal approximation of means of >= 1000 bounded draws: a correct check fails with probability ~6e-7


def test_deterministic_transitions_make_the_plug_in_exact():
    S, A = 4, 2
    P = np.zeros((S, A, S))
    for s in range(S):
        P[s, 0, (s + 1) % S] = 1.0
        P[s, 1, s] = 1.0
    mdp = FiniteMDP(P, np.random.default_rng(0).random((S, A)), gamma=0.9)
    res = model_based_planning(generative_samples(mdp, 3, rng=0))
    exact = policy_iteration(mdp)
    np.testing.assert_array_equal(res.policy, exact.policy)
    np.testing.assert_allclose(res.v, exact.v, rtol=0, atol=1e-12)


def test_many_samples_recover_the_optimal_policy_and_perturbation_moves_values_little():
    mdp = random_mdp(5, 3, 0.8, seed=1)
    samples = generative_samples(mdp, 200_000, rng=1)
    plain = model_based_planning(samples)
    np.testing.assert_array_equal(plain.policy, policy_iteration(mdp).policy)
    xi = 1e-3
    pert = model_based_planning(samples, reward_perturbation=xi, rng=2)
    assert np.all((pert.reward_perturbation >= 0) & (pert.reward_perturbation <= xi))
    # a reward shift in [0, xi] moves every optimal value by at most xi / (1 - gamma)
    assert np.all(pert.v - plain.v >= -1e-12) and np.all(pert.v - plain.v <= xi / 0.2 + 1e-12)


def test_planning_on_episodic_data_is_backward_induction_on_the_plug_in():
    mdp = random_mdp(3, 2, 1.0, seed=2, horizon=3)
    data = collect(mdp, np.full((3, 2), 0.5), n_episodes=500, rng=3)
    res = model_based_planning(data)
    again = backward_induction(res.model.mdp)
    np.testing.assert_array_equal(res.policy, again.policy)
    assert res.policy.shape == (3, 3) and res.model.mdp.horizon == 3


def test_q_learning_on_a_deterministic_model_follows_the_closed_form():
    mdp = FiniteMDP(np.ones((1, 1, 1)), np.array([[1.0]]), gamma=0.6)
    res = synchronous_q_learning(mdp, 50, step_size=0.2, checkpoints=5, rng=0)
    t = res.checkpoint_iterations
    # Q_t = (1 - 0.2) Q_{t-1} + 0.2 (1 + 0.6 Q_{t-1}): Q_t = 2.5 (1 - 0.92^t)
    np.testing.assert_allclose(res.q_history[:, 0, 0], 2.5 * (1 - 0.92**t), rtol=0, atol=1e-14)
    assert t.tolist() == [0, 10, 20, 30, 40, 50]


def test_td_learning_mean_follows_the_expected_recursion():
    # with one action Q-learning is TD(0): linear in Q, so
    # E[Q_t] = (1 - eta_t) E[Q_{t-1}] + eta_t (r + gamma P E[Q_{t-1}])
    mdp = random_mdp(4, 1, 0.7, seed=4)
    T, reps = 60, 2000
    runs = np.array([synchronous_q_learning(mdp, T, rng=np.random.default_rng([5, i])).q[:, 0] for i in range(reps)])
    etas = synchronous_q_learning(mdp, T, rng=0).step_sizes
    m = np.zeros(4)
    P, R = mdp.dense_P[:, 0], np.asarray(mdp.R)[:, 0]
    for eta in etas:
        m = (1 - eta) * m + eta * (R + 0.7 * P @ m)
    se = runs.std(axis=0, ddof=1) / np.sqrt(reps)
    assert np.all(np.abs(runs.mean(axis=0) - m) <= Z * se)


def test_q_learning_over_estimates_identical_actions():
    # state 0 has two identical actions (reward 1, stay w.p. p); the max of two noisy estimates is biased up
    g = 0.9
    p = (4 * g - 1) / (3 * g)
    P = np.zeros((2, 2, 2))
    P[0, :, 0], P[0, :, 1], P[1, :, 1] = p, 1 - p, 1.0
    R = np.array([[1.0, 1.0], [0.0, 0.0]])
    mdp = FiniteMDP(P, R, gamma=g, action_mask=[[True, True], [True, False]])
    q_star = 1 / (1 - g * p)
    errs = np.array(
        [
            synchronous_q_learning(mdp, 2000, step_size=0.05, rng=np.random.default_rng([6, i])).q[0].mean() - q_star
            for i in range(300)
        ]
    )
    assert errs.mean() - Z * errs.std(ddof=1) / np.sqrt(300) > 0


def test_q_learning_converges_and_respects_the_mask():
    mdp = FiniteMDP(
        random_mdp(3, 2, 0.5, seed=7).P,
        np.ones((3, 2)),
        gamma=0.5,
        action_mask=[[True, False], [True, True], [True, True]],
    )
    res = synchronous_q_learning(mdp, 3000, rng=0)
    assert res.q[0, 1] == -np.inf and res.policy[0] == 0
    np.testing.assert_allclose(res.q[np.asarray(mdp.action_mask)], 2.0, atol=1e-6)  # r = 1 everywhere: Q* = 2
    T = 3000
    np.testing.assert_allclose(res.step_sizes, 1 / (1 + 0.5 * np.arange(1, T + 1) / np.log(T) ** 2), rtol=1e-14)


def test_bad_arguments():
    mdp = random_mdp(2, 2, 0.9)
    with pytest.raises(ValueError, match="step_size = 0.0 must be > 0.0"):
        synchronous_q_learning(mdp, 5, step_size=0.0)
    with pytest.raises(ValueError, match="step_size = 'linear' must be a number in"):
        synchronous_q_learning(mdp, 5, step_size="linear")
    with pytest.raises(ValueError, match=r"q_init has shape \(3,\)"):
        synchronous_q_learning(mdp, 5, q_init=np.zeros(3))
    with pytest.raises(ValueError, match="synchronous_q_learning solves infinite-horizon discounted"):
        synchronous_q_learning(random_mdp(2, 2, 1.0, horizon=2), 5)
    with pytest.raises(ValueError, match="reward_perturbation = -1.0 must be >= 0.0"):
        model_based_planning(generative_samples(mdp, 2, rng=0), reward_perturbation=-1.0)
