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
    d = OfflineDataset([0, 1, 0, 1], [1, 0, 0, 0], [0.0] * 4, [1, 0, 1, 0], n_states=2, n_actions=2, gamma=1.0,
                       horizon=2, stages=[0, 1, 0, 1], episodes=[0, 0, 1, 1])
    pooled = behavior_cloning(d)
    assert pooled.action_probabilities.tolist() == [[0.5, 0.5], [1.0, 0.0]] and pooled.policy.tolist() == [0, 0]
    staged = behavior_cloning(d, per_stage=True)
    assert staged.visited.tolist() == [[True, False], [False, True]]
    assert staged.action_probabilities[0, 0].tolist() == [0.5, 0.5]
    with pytest.raises(ValueError, match="needs an episodic dataset"):
        behavior_cloning(OfflineDataset([0], [0], [0.0], [0], n_states=1, n_actions=1, gamma=0.5), per_stage=True)
