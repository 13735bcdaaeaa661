"""Shapley value iteration and Hoffman-Karp: certified bounds judged by exact best responses and known answers.

Checked (tolerances: the certificates plus rounding of O((S + AB) eps scale / (1 - gamma)), Higham 2002):
- the policies' exact best-response values (policy iteration on the induced MDPs) bracket v* and their gap is at
  most policy_suboptimality_bound; v_lower <= max_x' v^{x',y} and min_y' v^{x,y'} <= v_upper;
- the midpoint is a near fixed point of the linprog reference backup: ||T v - v|| <= (1 + gamma) bound / 2;
- one-state games: v* = val(A) / (1 - gamma); one-player games (B = 1 / A = 1) reduce to MDPs solved by the
  tabular value_iteration (independent code);
- Hoffman-Karp reaches the same certified interval; the LP fallback path gives the same answers;
- Littman's soccer is antisymmetric under the point reflection that swaps the players: v(sigma s) = -v(s).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rltheory.proofs_checks.strategies import stochastic_matrices
from rltheory.tabular import FiniteMDP, value_iteration
from rltheory.tabular.games import (
    MarkovGame,
    MatrixGame,
    ShapleyResult,
    _stage,
    littman_soccer,
    markov_exploitability,
    minimax_policy_iteration,
    shapley_value_iteration,
    solve_zero_sum,
)
from rltheory.tabular.games._reference import shapley_backup_reference
from tests.tabular.games._helpers import EPS


@st.composite
def markov_games(draw, A=None, B=None):
    S = draw(st.integers(1, 5))
    A = draw(st.integers(1, 3)) if A is None else A
    B = draw(st.integers(1, 3)) if B is None else B
    P = draw(stochastic_matrices(n_rows=S * A * B, n_cols=S)).reshape(S, A, B, S)
    R = np.array(draw(st.lists(st.floats(-5, 5, allow_nan=False), min_size=S * A * B, max_size=S * A * B)))
    return MarkovGame(P, R.reshape(S, A, B), gamma=draw(st.sampled_from([0.0, 0.5, 0.9, 0.95])))


def rounding(game):
    scale = (float(np.max(np.abs(game.R))) + 1.0) / (1.0 - game.gamma)
    return 64 * (game.n_states + game.n_max_actions * game.n_min_actions + 4) * EPS * scale / (1.0 - game.gamma)


def check(game, res, tol):
    slack = rounding(game)
    ex = markov_exploitability(game, res.max_action_probabilities, res.min_action_probabilities)
    lo, hi = np.asarray(ex.v_max_guarantee), np.asarray(ex.v_min_guarantee)  # lo <= v* <= hi
    assert np.all(res.v_lower <= hi + slack) and np.all(lo <= res.v_upper + slack)
    assert ex.duality_gap <= res.policy_suboptimality_bound + slack
    assert res.bound == pytest.approx(float(np.max(res.v_upper - res.v_lower)), abs=slack)
    assert np.all(res.v_lower <= res.v + slack) and np.all(res.v <= res.v_upper + slack)
    if res.converged:
        assert res.bound <= tol
    tv, _, _ = shapley_backup_reference(game.P, game.R, game.gamma, np.asarray(res.v))
    scale = float(np.max(np.abs(game.R))) + float(np.max(np.abs(res.v)))
    assert np.max(np.abs(tv - res.v)) <= (1 + game.gamma) * res.bound / 2 + 1e-7 * scale + slack
    for pol in (res.max_action_probabilities, res.min_action_probabilities):
        assert np.allclose(pol.sum(axis=1), 1.0) and np.all(pol >= 0)
    return ex


@given(markov_games(), st.sampled_from([1e-3, 1e-9]))
def test_shapley_certificate(game, tol):
    res = shapley_value_iteration(game, tol=tol)
    assert isinstance(res, ShapleyResult) and res.converged and res.method == "shapley-value-iteration"
    check(game, res, tol)
    assert res.stage_gap <= 1e-9 * (1 + float(np.max(np.abs(res.q))))
    assert res.policy_suboptimality_bound <= 2 * res.bound + rounding(game)  # at most gamma * bound + stage gaps


@given(markov_games(), st.integers(0, 4))
def test_bounds_hold_when_not_converged(game, max_iter):
    res = shapley_value_iteration(game, tol=1e-12, max_iter=max_iter)
    assert res.iterations <= max_iter
    check(game, res, 1e-12)


@given(markov_games(), st.sampled_from([1e-3, 1e-9]))
def test_hoffman_karp_certificate_and_agreement(game, tol):
    hk = minimax_policy_iteration(game, tol=tol)
    assert hk.converged and hk.method == "hoffman-karp"
    check(game, hk, tol)
    sv = shapley_value_iteration(game, tol=tol)
    # both intervals contain v*: they intersect
    assert np.all(np.maximum(hk.v_lower, sv.v_lower) <= np.minimum(hk.v_upper, sv.v_upper) + rounding(game))


@given(markov_games(B=1))
def test_one_player_games_are_mdps(game):
    mdp = FiniteMDP(game.P[:, :, 0, :], game.R[:, :, 0], gamma=game.gamma)
    if game.gamma == 0.0:
        v_star = game.R[:, :, 0].max(axis=1)
    else:
        v_star = value_iteration(mdp, tol=1e-12).v
    res = shapley_value_iteration(game, tol=1e-10)
    assert np.all(res.v_lower <= v_star + 1e-9) and np.all(v_star <= res.v_upper + 1e-9)
    flipped = MarkovGame(np.moveaxis(game.P, 1, 2), -np.moveaxis(game.R, 1, 2), gamma=game.gamma)  # A = 1
    res_min = shapley_value_iteration(flipped, tol=1e-10)
    assert np.allclose(res_min.v, -res.v, atol=1e-9)


def test_one_state_game_known_value():
    A = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]]) + 0.25
    game = MarkovGame(np.ones((1, 3, 3, 1)), A[None], gamma=0.9)
    res = shapley_value_iteration(game, tol=1e-12)
    assert res.v[0] == pytest.approx(0.25 / 0.1, abs=1e-11)
    assert np.allclose(res.max_action_probabilities, 1 / 3, atol=1e-12)
    zs = solve_zero_sum(MatrixGame.zero_sum(A))
    assert res.v[0] * 0.1 == pytest.approx(zs.value, abs=1e-9)


def test_max_iter_zero_certifies_the_start():
    game = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, -1.0], [-1.0, 1.0]]], gamma=0.5)
    res = shapley_value_iteration(game, tol=1e-12, max_iter=0, v0=[5.0])
    assert res.iterations == 0
    assert res.v_lower[0] <= 0.0 <= res.v_upper[0]  # v* = 0


def test_lp_fallback_gives_the_same_answer(monkeypatch):
    rng = np.random.default_rng(0)
    S, A, B = 6, 3, 3
    game = MarkovGame(rng.dirichlet(np.ones(S), size=(S, A, B)), rng.normal(size=(S, A, B)), gamma=0.8)
    fast = shapley_value_iteration(game, tol=1e-9)

    def failing(Q, X, Y, lo, hi, ok):
        X[:] = 1.0 / X.shape[1]
        Y[:] = 1.0 / Y.shape[1]
        lo[:] = -np.inf
        hi[:] = np.inf
        ok[:] = False
        return Q.shape[0]

    monkeypatch.setattr(_stage, "solve_stages", failing)
    slow = shapley_value_iteration(game, tol=1e-9)
    assert slow.lp_fallbacks == S * (slow.iterations + 2)
    assert np.allclose(slow.v, fast.v, atol=2e-9)
    check(game, slow, 1e-9)


def mirror(soccer):
    rows, cols = soccer.rows, soccer.cols

    def refl(cell):
        r, c = divmod(int(cell), cols)
        return (rows - 1 - r) * cols + (cols - 1 - c)

    return np.array([soccer.state_index(refl(b), refl(a), 1 - ball) for a, b, ball in soccer.states])


def test_soccer_value_is_antisymmetric():
    soccer = littman_soccer(rows=2, cols=3, gamma=0.9)
    res = shapley_value_iteration(soccer.game, tol=1e-10)
    sigma = mirror(soccer)
    assert np.allclose(res.v[sigma], -res.v, atol=1e-9)
    i = soccer.initial_states
    assert res.v[i[0]] == pytest.approx(-res.v[i[1]], abs=1e-9)


def test_errors():
    finite = MarkovGame(np.full((2, 1, 1, 2), 0.5), np.zeros((2, 1, 1)), gamma=1.0, horizon=2)
    with pytest.raises(ValueError, match=r"shapley_value_iteration solves discounted games"):
        shapley_value_iteration(finite)
    game = MarkovGame(np.full((2, 1, 1, 2), 0.5), np.zeros((2, 1, 1)), gamma=0.5)
    with pytest.raises(ValueError, match=r"v0 has shape \(3,\), expected \(2\)"):
        shapley_value_iteration(game, v0=np.zeros(3))
    with pytest.raises(ValueError, match=r"tol = 0 must be > 0.0"):
        shapley_value_iteration(game, tol=0)
    with pytest.raises(ValueError, match=r"max_iter = -1 must be >= 0"):
        minimax_policy_iteration(game, max_iter=-1)
    with pytest.raises(ValueError, match=r"needs a MarkovGame"):
        minimax_policy_iteration(np.zeros((2, 2)))
