"""Generative samples and the plug-in model: exact counts, the multinomial law, unvisited pairs."""

import numpy as np
import pytest
import scipy.sparse as sp

from rltheory.tabular import FiniteMDP, OfflineDataset, empirical_mdp, generative_samples
from tests.tabular._helpers import hoeffding_radius, random_mdp


@pytest.mark.parametrize("sparse", [False, True])
def test_counts_are_multinomial_draws_of_the_rows(sparse):
    mdp = random_mdp(5, 3, 0.9, seed=1, sparse=sparse, support=3)
    n = 20_000
    samples = generative_samples(mdp, n, rng=2)
    C = samples.next_state_counts.toarray().reshape(5, 3, 5)
    assert samples.next_state_counts.dtype == np.int64
    np.testing.assert_array_equal(C.sum(axis=2), n)
    P = mdp.dense_P
    assert np.all(C[P == 0] == 0)  # never a successor of probability 0
    # each frequency is a mean of n Bernoulli draws: Hoeffding, union over the 75 entries
    assert np.all(np.abs(C / n - P) <= hoeffding_radius(n, 1e-9 / 75))
    assert samples.rewards.tolist() == np.asarray(mdp.R).tolist() and samples.n_samples == 15 * n


def test_disallowed_pairs_are_not_sampled_and_stay_disallowed():
    P = np.ones((2, 2, 2)) / 2
    mask = np.array([[True, False], [True, True]])
    mdp = FiniteMDP(P, np.array([[1.0, 0.0], [0.0, 1.0]]), gamma=0.5, action_mask=mask)
    samples = generative_samples(mdp, 10, rng=0)
    assert samples.next_state_counts.toarray()[1].sum() == 0 and samples.n_samples == 30
    model = empirical_mdp(samples)
    np.testing.assert_array_equal(model.mdp.action_mask, mask)
    assert model.counts.tolist() == [[10, 0], [10, 10]]


def test_empirical_model_is_counts_over_n_exactly():
    mdp = random_mdp(4, 2, 0.8, seed=3)
    samples = generative_samples(mdp, 37, rng=4)
    model = empirical_mdp(samples)
    C = samples.next_state_counts.toarray().reshape(4, 2, 4)
    np.testing.assert_array_equal(model.mdp.P, C / 37)
    np.testing.assert_array_equal(model.mdp.R, mdp.R)
    assert model.mdp.gamma == 0.8 and model.visited.all()
    np.testing.assert_array_equal(model.mdp.initial_distribution, mdp.initial_distribution)


def test_empirical_model_of_a_dataset_by_hand():
    # rows: (0,0)->1 r=1, (0,0)->0 r=0, (0,0)->1 r=2, (1,1)->1 r=5
    data = OfflineDataset(
        [0, 0, 0, 1], [0, 0, 0, 1], [1.0, 0.0, 2.0, 5.0], [1, 0, 1, 1], n_states=3, n_actions=2, gamma=0.9
    )
    model = empirical_mdp(data, unvisited_reward=-1.0)
    assert model.counts.tolist() == [[3, 0], [0, 1], [0, 0]]
    np.testing.assert_allclose(model.mdp.P[0, 0], [1 / 3, 2 / 3, 0.0], rtol=0, atol=1e-15)
    assert model.mdp.R[0, 0] == 1.0 and model.mdp.R[1, 1] == 5.0
    for s, a in [(0, 1), (1, 0), (2, 0), (2, 1)]:  # unvisited: self-loop with the fill-in reward
        assert not model.visited[s, a] and model.mdp.P[s, a, s] == 1.0 and model.mdp.R[s, a] == -1.0


def test_episodic_dataset_gives_a_finite_horizon_model_with_the_empirical_start():
    data = OfflineDataset(
        [0, 1, 1, 0],
        [0, 0, 0, 0],
        [1.0, 0.0, 0.0, 1.0],
        [1, 0, 0, 1],
        n_states=2,
        n_actions=1,
        gamma=1.0,
        horizon=2,
        stages=[0, 1, 0, 1],
        episodes=[0, 0, 1, 1],
    )
    model = empirical_mdp(data)
    assert model.mdp.horizon == 2 and model.mdp.initial_distribution.tolist() == [0.5, 0.5]
    np.testing.assert_array_equal(model.mdp.P[:, 0], [[0.0, 1.0], [1.0, 0.0]])


def test_large_models_are_sparse_and_agree_with_the_dense_counts():
    rng = np.random.default_rng(0)
    S, A, N = 1000, 10, 20_000
    s, a, s2 = rng.integers(0, S, N), rng.integers(0, A, N), rng.integers(0, S, N)
    data = OfflineDataset(s, a, rng.random(N), s2, n_states=S, n_actions=A, gamma=0.9)
    model = empirical_mdp(data)
    assert model.mdp.is_sparse  # a dense (S, A, S) float64 tensor would take 80 MB > 64 MiB
    C = np.zeros((S * A, S))
    np.add.at(C, (s * A + a, s2), 1.0)
    visited = C.sum(axis=1) > 0
    P = model.mdp.csr_P.toarray()
    np.testing.assert_allclose(P[visited], C[visited] / C[visited].sum(axis=1, keepdims=True), rtol=0, atol=1e-15)


def test_transition_counts_by_sorted_keys_equal_bincount():
    from rltheory.tabular._samples import _transition_counts

    rng = np.random.default_rng(1)
    pairs, nxt = rng.integers(0, 5000, 1000), rng.integers(0, 4000, 1000)
    sorted_keys = _transition_counts(pairs.copy(), nxt, 5000, 4000)  # 2e7 > max(4N, 2^24): the sort path
    dense = np.zeros((5000, 4000), dtype=np.int64)
    np.add.at(dense, (pairs, nxt), 1)
    assert (sorted_keys != sp.csr_array(dense)).nnz == 0


def test_bad_inputs():
    with pytest.raises(ValueError, match="n_per_pair = 0 must be >= 1"):
        generative_samples(random_mdp(), 0)
    with pytest.raises(ValueError, match="empirical_mdp needs GenerativeSamples or an OfflineDataset"):
        empirical_mdp(np.zeros(3))
    with pytest.raises(ValueError, match="unvisited_reward must be a finite real number"):
        empirical_mdp(generative_samples(random_mdp(), 1, rng=0), unvisited_reward=np.nan)
