"""Winners: exact answers (Fractions, published instances) and the certified von Neumann winner LP."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.bandits import (
    BradleyTerry,
    PreferenceMatrix,
    borda_scores,
    borda_winner,
    condorcet_winner,
    copeland_scores,
    copeland_winners,
    von_neumann_winner,
)

RPS = [[0.5, 1.0, 0.0], [0.0, 0.5, 1.0], [1.0, 0.0, 0.5]]


def test_rock_paper_scissors_has_no_condorcet_winner_and_the_uniform_maximal_lottery():
    assert condorcet_winner(RPS) is None
    np.testing.assert_array_equal(copeland_winners(RPS), [0, 1, 2])
    res = von_neumann_winner(RPS)
    np.testing.assert_allclose(res.lottery, [1 / 3] * 3, atol=1e-12)
    assert res.status == "optimal" and abs(res.value - 0.5) <= 1e-12 and res.duality_gap <= 1e-12


def test_weighted_rock_paper_scissors_has_the_published_closed_form():
    # payoff P - 1/2 = [[0, a, -b], [-a, 0, c], [b, -c, 0]] with a, b, c > 0: the unique equilibrium is
    # (c, b, a) / (a + b + c) (the kernel of the antisymmetric matrix)
    a, b, c = Fraction(1, 10), Fraction(3, 10), Fraction(2, 10)
    P = np.array([[0.5, 0.5 + a, 0.5 - b], [0.5 - a, 0.5, 0.5 + c], [0.5 + b, 0.5 - c, 0.5]], dtype=float)
    expected = np.array([c, b, a], dtype=float) / float(a + b + c)
    res = von_neumann_winner(P)
    np.testing.assert_allclose(res.lottery, expected, atol=1e-12)


def test_bradley_terry_winners_are_the_reward_maximizer():
    # Wang, Liu & Jin (2023): with BTL preferences a reward-based oracle suffices: argmax r is the Condorcet
    # winner, the unique Copeland and Borda winner, and the von Neumann winner is its point mass
    r = np.array([0.2, 1.5, -0.3, 1.1])
    bt = BradleyTerry(r)
    assert condorcet_winner(bt) == 1 == borda_winner(bt)
    np.testing.assert_array_equal(copeland_winners(bt), [1])
    np.testing.assert_array_equal(copeland_scores(bt), [1 / 3, 1.0, 0.0, 2 / 3])  # ranks 2, 4, 1, 3 of 4
    np.testing.assert_allclose(von_neumann_winner(bt).lottery, [0, 1, 0, 0], atol=1e-12)


def test_borda_winner_can_differ_from_the_condorcet_winner():
    # 0 beats everyone narrowly; 1 loses to 0 but crushes 2
    P = PreferenceMatrix([[0.5, 0.55, 0.55], [0.45, 0.5, 0.99], [0.45, 0.01, 0.5]])
    assert condorcet_winner(P) == 0 and borda_winner(P) == 1
    np.testing.assert_allclose(borda_scores(P), [0.55, 0.72, 0.23])


@st.composite
def preference_matrices(draw, max_k=6):
    K = draw(st.integers(2, max_k))
    upper = draw(st.lists(st.floats(0.0, 1.0), min_size=K * (K - 1) // 2, max_size=K * (K - 1) // 2))
    P = np.full((K, K), 0.5)
    iu = np.triu_indices(K, 1)
    P[iu] = upper
    P[(iu[1], iu[0])] = 1 - np.asarray(upper)
    return P


@settings(max_examples=60, deadline=None, derandomize=True)
@given(preference_matrices())
def test_von_neumann_winner_is_unexploitable(P):
    res = von_neumann_winner(P)
    # minimax theorem: the lottery wins with probability >= 1/2 against every pure alternative
    assert float(np.min(P.T @ res.lottery)) >= 0.5 - 1e-8
    assert res.lottery.min() >= 0 and abs(res.lottery.sum() - 1) <= 1e-12
    c = condorcet_winner(P)
    if c is not None:  # a Condorcet winner is the unique von Neumann winner
        assert res.lottery[c] >= 1 - 1e-7


def test_bad_inputs():
    with pytest.raises(ValueError, match="preference model"):
        condorcet_winner("abc")
    with pytest.raises(ValueError, match=r"\+ matrix"):
        von_neumann_winner([[0.5, 0.9], [0.9, 0.5]])
