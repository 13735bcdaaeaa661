"""Preference models: validation, exact Bradley-Terry / Plackett-Luce probabilities, samplers against their laws."""

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from rltheory.bandits import (
    BradleyTerry,
    PairwiseComparisons,
    PlackettLuce,
    PreferenceMatrix,
    Rankings,
    preference_model_from_spec,
    sample_comparisons,
    sample_rankings,
)


def test_preference_matrix_validation_names_the_entry():
    with pytest.raises(ValueError, match=r"matrix\[0, 1\] \+ matrix\[1, 0\]"):
        PreferenceMatrix([[0.5, 0.7], [0.4, 0.5]])
    with pytest.raises(ValueError, match=r"matrix\[1, 1\] = 0.4"):
        PreferenceMatrix([[0.5, 0.6], [0.4, 0.4]])
    with pytest.raises(ValueError, match="finite"):
        PreferenceMatrix([[0.5, np.nan], [np.nan, 0.5]])
    with pytest.raises(ValueError, match="not a probability"):
        PreferenceMatrix([[0.5, 1.5], [-0.5, 0.5]])
    with pytest.raises(ValueError, match="at least 2"):
        BradleyTerry([1.0])
    with pytest.raises(ValueError, match="finite"):
        PlackettLuce([0.0, np.inf])
    M = PreferenceMatrix([[0.5, 0.25], [0.75, 0.5]])
    assert not M.matrix.flags.writeable


def test_bradley_terry_matrix_is_the_logistic_of_reward_differences():
    r = np.array([0.3, -1.2, 2.0])
    P = BradleyTerry(r).matrix
    for i, j in itertools.product(range(3), repeat=2):
        expected = 0.5 if i == j else math.exp(r[i]) / (math.exp(r[i]) + math.exp(r[j]))
        assert P[i, j] == pytest.approx(expected, rel=1e-15)
    PreferenceMatrix(P)  # a valid preference matrix


def test_plackett_luce_probabilities_sum_to_one_and_match_bradley_terry_for_pairs():
    pl = PlackettLuce([0.5, -0.2, 1.0, 0.0])
    total = sum(pl.ranking_probability(np.array(p)) for p in itertools.permutations(range(4)))
    assert total == pytest.approx(1.0, abs=1e-14)
    assert pl.ranking_probability(np.array([2, 0])) == pytest.approx(float(BradleyTerry(pl.rewards).matrix[2, 0]))
    # the probability that i is ranked above j in a full ranking is sigma(r_i - r_j) (Luce's choice axiom)
    above = sum(
        pl.ranking_probability(np.array(p)) for p in itertools.permutations(range(4)) if p.index(1) < p.index(3)
    )
    assert above == pytest.approx(float(pl.matrix[1, 3]), abs=1e-14)


def test_spec_round_trip_and_equality():
    for m in (BradleyTerry([1.0, 0.0]), PlackettLuce([0.0, 1.0, 2.0]), PreferenceMatrix([[0.5, 0.2], [0.8, 0.5]])):
        assert preference_model_from_spec(m.to_spec()) == m and hash(preference_model_from_spec(m.to_spec())) == hash(m)
    with pytest.raises(ValueError, match="type"):
        preference_model_from_spec({"type": "Nope"})


def test_sample_comparisons_follows_the_preference_matrix():
    M = PreferenceMatrix([[0.5, 0.9, 0.3], [0.1, 0.5, 0.6], [0.7, 0.4, 0.5]])
    n = 60_000
    data = sample_comparisons(M, n, rng=0)
    W = np.asarray(data.wins)
    N = W + W.T
    for i, j in ((0, 1), (0, 2), (1, 2)):
        # pairs uniform: chi-square-free check with a 5-sigma binomial band on both the pair and the winner
        assert abs(N[i, j] / n - 1 / 3) < 5 * math.sqrt(1 / 3 * 2 / 3 / n)
        p = M.matrix[i, j]
        assert abs(W[i, j] / N[i, j] - p) < 5 * math.sqrt(p * (1 - p) / N[i, j])
    weighted = sample_comparisons(M, 1000, pair_weights=[[0, 1, 0], [0, 0, 0], [0, 0, 0]], rng=1)
    assert set(map(tuple, np.sort(np.c_[weighted.winners, weighted.losers], axis=1))) == {(0, 1)}
    with pytest.raises(ValueError, match="no mass"):
        sample_comparisons(M, 5, pair_weights=np.eye(3), rng=0)


def test_sample_rankings_has_the_plackett_luce_law():
    pl = PlackettLuce([1.0, 0.0, -0.5])
    n = 60_000
    R = sample_rankings(pl, n, rng=3).rankings
    perms = list(itertools.permutations(range(3)))
    observed = np.array([np.sum(np.all(R == np.array(p), axis=1)) for p in perms])
    expected = np.array([pl.ranking_probability(np.array(p)) for p in perms]) * n
    assert stats.chisquare(observed, expected).pvalue > 1e-4
    sub = sample_rankings(pl, 2000, subset_size=2, rng=4)
    assert sub.subset_size == 2 and sub.pairwise().n_comparisons == 2000


def test_comparison_and_ranking_records_validate():
    with pytest.raises(ValueError, match="itself"):
        PairwiseComparisons([0, 1], [0, 0], 2)
    with pytest.raises(ValueError, match="outside"):
        PairwiseComparisons([0, 3], [1, 0], 2)
    with pytest.raises(ValueError, match="distinct"):
        Rankings([[0, 0, 1]], 3)
    R = Rankings([[2, 0, 1]], 3)
    assert np.asarray(R.pairwise().wins).tolist() == [[0, 1, 0], [0, 0, 0], [1, 1, 0]]
