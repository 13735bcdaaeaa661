"""Offline zero-sum Markov games (PMVI): the data-dependent certificate judged by exact duality gaps.

Checked against independent code:
- pessimism (module docstring; l1 deviation bound, probability >= 1 - delta): the exact duality gap of the output
  (markov_exploitability, backward induction on the true model) is at most rho^T(V_upper_1 - V_lower_1), on
  several games, behavior policies and dataset sizes;
- unilateral coverage (Cui & Du 2022): with uniform data the certificate and the exact gap shrink with K; with data
  from the Nash pair only, on this instance (pure equilibrium strategies at some states, so deviations are never
  observed) the exact gap stays above 0.5 at 10^5 episodes;
- the sampler: at step 0 the joint counts follow rho(s) pi_0(a, b | s) within Hoeffding's bound at level 1e-6.
"""

import numpy as np
import pytest

from rltheory.tabular.games import (
    MarkovGame,
    pessimistic_minimax_value_iteration,
    sample_transition_counts,
    shapley_backward_induction,
)

EPS = np.finfo(float).eps


def _game(seed, S=3, A=2, B=2, H=3):
    rng = np.random.default_rng(seed)
    return MarkovGame(rng.dirichlet(np.ones(S), size=(S, A, B)), rng.uniform(size=(S, A, B)), gamma=1.0, horizon=H)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("K", [30, 3000])
def test_certificate_bounds_the_exact_gap(seed, K):
    game = _game(seed)
    H, S, A, B = game.horizon, game.n_states, game.n_max_actions, game.n_min_actions
    behavior = np.random.default_rng(seed + 100).dirichlet(np.ones(A * B), size=(H, S)).reshape(H, S, A, B)
    res = pessimistic_minimax_value_iteration(game, sample_transition_counts(game, behavior, K, rng=seed))
    tol = 64 * (S + A * B) * H * EPS * H
    assert -tol <= res.duality_gap <= res.certified_gap + tol
    assert (np.asarray(res.v_lower) <= np.asarray(res.v_upper) + tol).all()
    assert res.stage_failures == 0


def test_unilateral_coverage_is_needed():
    game = _game(0)
    H, S, A, B = game.horizon, game.n_states, game.n_max_actions, game.n_min_actions
    uniform = np.full((H, S, A, B), 1.0 / (A * B))
    small = pessimistic_minimax_value_iteration(game, sample_transition_counts(game, uniform, 1000, rng=1))
    large = pessimistic_minimax_value_iteration(game, sample_transition_counts(game, uniform, 100_000, rng=2))
    assert large.duality_gap <= large.certified_gap < small.certified_gap / 4
    assert large.duality_gap < 0.01
    sb = shapley_backward_induction(game)
    nash = np.einsum("hsa,hsb->hsab", sb.max_action_probabilities, sb.min_action_probabilities)
    only_nash = pessimistic_minimax_value_iteration(game, sample_transition_counts(game, nash, 100_000, rng=3))
    assert only_nash.duality_gap > 0.5


def test_sampler_frequencies():
    game = _game(4, S=2, H=2)
    rng = np.random.default_rng(5)
    behavior = rng.dirichlet(np.ones(4), size=(2, 2)).reshape(2, 2, 2, 2)
    K = 20_000
    counts = sample_transition_counts(game, behavior, K, rng=6)
    freq = counts[0].sum(axis=3) / K
    want = 0.5 * behavior[0]  # uniform start (no initial distribution)
    assert np.abs(freq - want).max() <= np.sqrt(np.log(2 * 8 / 1e-6) / (2 * K))
    assert (counts.sum(axis=(1, 2, 3, 4)) == K).all()


def test_validation():
    game = _game(0, S=2, H=2)
    with pytest.raises(ValueError, match="finite-horizon"):
        pessimistic_minimax_value_iteration(
            MarkovGame(np.ones((1, 1, 1, 1)), np.zeros((1, 1, 1)), gamma=0.5), np.zeros((1, 1, 1, 1, 1), dtype=int)
        )
    bad = np.zeros((2, 2, 2, 2, 2), dtype=int)
    bad[0, 0, 0, 0, 0] = 3
    bad[1, 0, 0, 0, 0] = 2
    with pytest.raises(ValueError, match=r"same number K >= 1 of episodes at every step; got \[3, 2\]"):
        pessimistic_minimax_value_iteration(game, bad)
    with pytest.raises(ValueError, match="behavior must be a joint distribution"):
        sample_transition_counts(game, np.full((2, 2, 2, 2), 0.3), 5, rng=0)
