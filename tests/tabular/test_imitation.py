"""Behaviour cloning: maximum-likelihood action frequencies."""

import numpy as np
import pytest

from rltheory.tabular import OfflineDataset, behavior_cloning, collect, policy_iteration
from tests.tabular._helpers import random_mdp


def test_expert_data_are_cloned_on_visited_states():
    mdp = random_mdp(6, 3, 0.9, seed=0)
    expert = policy_iteration(mdp).policy
    data = collect(mdp, expert, n_transitions=500, rng=0)
    bc = behavior_cloning(data)
    seen = bc.visited
    np.testing.assert_array_equal(bc.policy[seen], expert[seen])
    np.testing.assert_array_equal(bc.action_probabilities[seen], np.eye(3)[expert[seen]])
    np.testing.assert_allclose(bc.action_probabilities[~seen], 1 / 3)


def test_frequencies_are_exact_and_per_stage_counts_stages():
    d = OfflineDataset(
        [0, 1, 0, 1],
        [1, 0, 0, 0],
        [0.0] * 4,
        [1, 0, 1, 0],
        n_states=2,
        n_actions=2,
        gamma=1.0,
        horizon=2,
        stages=[0, 1, 0, 1],
        episodes=[0, 0, 1, 1],
    )
    pooled = behavior_cloning(d)
    assert pooled.action_probabilities.tolist() == [[0.5, 0.5], [1.0, 0.0]] and pooled.policy.tolist() == [0, 0]
    staged = behavior_cloning(d, per_stage=True)
    assert staged.visited.tolist() == [[True, False], [False, True]]
    assert staged.action_probabilities[0, 0].tolist() == [0.5, 0.5]
    with pytest.raises(ValueError, match="needs an episodic dataset"):
        behavior_cloning(OfflineDataset([0], [0], [0.0], [0], n_states=1, n_actions=1, gamma=0.5), per_stage=True)


# ----------------------------------------------------------------------------- demonstration-regularized RL
def _expert_setup(seed, S=6, A=3, gamma=0.8):
    from rltheory.tabular import FiniteMDP, policy_iteration
    from rltheory.tabular.envs import garnet

    base = garnet(S, A, 2, rng=seed, gamma=gamma)
    mdp = FiniteMDP(base.P, base.R, gamma=gamma, initial_distribution=np.full(S, 1.0 / S))
    return mdp, policy_iteration(mdp)


def test_reference_is_the_add_kappa_smoothed_bc():
    from rltheory.tabular import OfflineDataset, demonstration_regularized_rl

    mdp, _ = _expert_setup(0, S=2, A=3)
    d = OfflineDataset([0, 0, 0, 0], [2, 2, 2, 1], [0.0] * 4, [0, 1, 0, 1], n_states=2, n_actions=3, gamma=0.8)
    res = demonstration_regularized_rl(mdp, d, temperature=1.0, smoothing=0.5)
    np.testing.assert_allclose(res.reference_probabilities, [[0.5 / 5.5, 1.5 / 5.5, 3.5 / 5.5], [1 / 3] * 3])
    assert res.converged and not res.action_probabilities.flags.writeable


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("lam", [0.01, 0.3, 3.0])
def test_suboptimality_is_at_most_lambda_times_the_expert_kl(seed, lam):
    # v^{pi_E} - v^{pi_lambda} <= lambda K^{pi_E} statewise: pi_lambda maximizes v - lambda K, and K >= 0
    from rltheory.tabular import collect, demonstration_regularized_rl, policy_evaluation, regularized_policy_evaluation

    mdp, opt = _expert_setup(seed)
    demos = collect(mdp, opt.policy, n_transitions=int(np.random.default_rng(seed).integers(5, 500)), rng=seed)
    res = demonstration_regularized_rl(mdp, demos, temperature=lam, tol=1e-12)
    gap = np.asarray(opt.v) - np.asarray(policy_evaluation(mdp, res.action_probabilities).v)
    k = np.asarray(opt.v) - np.asarray(
        regularized_policy_evaluation(mdp, np.eye(3)[opt.policy], 1.0, res.reference_probabilities).v
    )
    assert np.all(k >= 0) and np.all(gap <= lam * k + 1e-9)


def test_limits_of_the_temperature():
    from rltheory.tabular import collect, demonstration_regularized_rl, policy_evaluation

    mdp, opt = _expert_setup(7)
    demos = collect(mdp, np.full((6, 3), 1 / 3), n_transitions=300, rng=0)  # non-expert demonstrations
    cold = demonstration_regularized_rl(mdp, demos, temperature=1e-6, tol=1e-12)
    np.testing.assert_allclose(policy_evaluation(mdp, cold.action_probabilities).v, opt.v, rtol=0, atol=1e-4)
    hot = demonstration_regularized_rl(mdp, demos, temperature=1e6, tol=1e-12)
    np.testing.assert_allclose(hot.action_probabilities, hot.reference_probabilities, rtol=0, atol=1e-4)


def test_demonstration_regularized_rl_refuses_bad_inputs():
    from rltheory.tabular import OfflineDataset, demonstration_regularized_rl

    mdp, _ = _expert_setup(0)
    d = OfflineDataset([0], [0], [0.0], [0], n_states=6, n_actions=3, gamma=0.8)
    with pytest.raises(ValueError, match="temperature"):
        demonstration_regularized_rl(mdp, d, temperature=0.0)
    with pytest.raises(ValueError, match="smoothing"):
        demonstration_regularized_rl(mdp, d, temperature=1.0, smoothing=-1.0)
    with pytest.raises(ValueError, match=r"demonstrations have \(S, A\) = \(2, 3\), the model \(6, 3\)"):
        demonstration_regularized_rl(
            mdp, OfflineDataset([0], [0], [0.0], [0], n_states=2, n_actions=3, gamma=0.8), temperature=1.0
        )
    with pytest.raises(ValueError, match="needs an OfflineDataset"):
        demonstration_regularized_rl(mdp, None, temperature=1.0)
