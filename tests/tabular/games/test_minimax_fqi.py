"""Minimax-FQI (Fan et al. 2020): the error-propagation and greedy-policy bounds, checked exactly on the true model.

Checked against independent code and theorems:
- sup-norm error propagation of a gamma-contraction: ||Q_K - Q*|| <= sum_k gamma^(K-1-k) eps_k + gamma^K ||Q*||
  (Q_0 = 0), with Q* from certified Shapley value iteration (its interval width in the tolerance);
- the greedy minimax policies of Q_K have exact duality gap (markov_exploitability) <= 4 ||Q_K - Q*|| / (1 - gamma);
- features: least squares is invariant under an invertible reparametrization of the one-hot features, so the same
  samples give the same Q.
"""

import numpy as np
import pytest

from rltheory.tabular.games import MarkovGame, minimax_fqi, shapley_value_iteration


def _game(seed, S=3, A=2, B=2, gamma=0.7):
    rng = np.random.default_rng(seed)
    return MarkovGame(rng.dirichlet(np.ones(S), size=(S, A, B)), rng.uniform(-1, 1, size=(S, A, B)), gamma=gamma)


def _q_star(game):
    res = shapley_value_iteration(game, tol=1e-12)
    v = np.asarray(res.v)
    width = float(np.max(np.asarray(res.v_upper) - np.asarray(res.v_lower)))
    return np.asarray(game.R) + game.gamma * np.einsum("sabt,t->sab", np.asarray(game.P), v), game.gamma * width


@pytest.mark.parametrize("seed, n", [(0, 50), (1, 500), (2, 5000)])
def test_error_propagation_and_policy_bound(seed, n):
    game = _game(seed)
    g, K = game.gamma, 15
    res = minimax_fqi(game, K, n, rng=seed)
    q_star, q_tol = _q_star(game)
    err = float(np.max(np.abs(np.asarray(res.q) - q_star)))
    bound = sum(g ** (K - 1 - k) * e for k, e in enumerate(res.bellman_errors)) + g**K * np.max(np.abs(q_star))
    assert err <= bound + q_tol + 1e-12
    assert -1e-12 <= res.duality_gap <= 4 * (err + q_tol) / (1 - g) + 1e-9


def test_invertible_features_give_the_tabular_answer():
    game = _game(3, S=2)
    d = 8
    M = np.random.default_rng(0).normal(size=(d, d)) + 3 * np.eye(d)
    features = M.reshape(2, 2, 2, d)  # phi(s, a, b) = row of M: an invertible map of the one-hot features
    tab = minimax_fqi(game, 5, 400, rng=9)
    lin = minimax_fqi(game, 5, 400, features=features, rng=9)
    np.testing.assert_allclose(lin.q, tab.q, rtol=0, atol=1e-9)


def test_validation():
    with pytest.raises(ValueError, match="minimax_fqi"):
        minimax_fqi(MarkovGame(np.ones((1, 1, 1, 1)), np.zeros((1, 1, 1)), gamma=1.0, horizon=2), 3, 10)
    with pytest.raises(ValueError, match=r"features has shape \(2, 2, 2\), expected \(3, 2, 2, d\)"):
        minimax_fqi(_game(0), 3, 10, features=np.zeros((2, 2, 2)))
