"""MarkovGame validation and policy evaluation; the induced MDPs; best-response certificates.

Checked: v^{x,y} = sum_t gamma^t (P^{x,y})^t r^{x,y} (power series, independent of the LU solve); fixing one
player gives an MDP whose policy evaluation is v^{x,y} (tabular.policy_evaluation, independent code); the
best-response values bracket v^{x,y}: min_y' v^{x,y'} <= v^{x,y} <= max_x' v^{x',y}; a one-state game is the
repeated matrix game with v* = val(A) / (1 - gamma).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rltheory.proofs_checks.strategies import stochastic_matrices
from rltheory.tabular import policy_evaluation
from rltheory.tabular.games import (
    MarkovExploitabilityResult,
    MarkovGame,
    MatrixGame,
    evaluate_policies,
    markov_exploitability,
    solve_zero_sum,
)


@st.composite
def games_and_policies(draw):
    S, A, B = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    P = draw(stochastic_matrices(n_rows=S * A * B, n_cols=S)).reshape(S, A, B, S)
    R = np.array(draw(st.lists(st.floats(-5, 5, allow_nan=False), min_size=S * A * B, max_size=S * A * B)))
    game = MarkovGame(P, R.reshape(S, A, B), gamma=draw(st.sampled_from([0.0, 0.3, 0.8])))
    x = draw(stochastic_matrices(n_rows=S, n_cols=A))
    y = draw(stochastic_matrices(n_rows=S, n_cols=B))
    return game, x, y


@given(games_and_policies())
def test_evaluation_power_series_and_induced_mdps(instance):
    game, x, y = instance
    v = evaluate_policies(game, x, y)
    Pxy, rxy = game.joint_transition(x, y), game.joint_reward(x, y)
    series, term = np.zeros(game.n_states), rxy.copy()
    for _ in range(400):  # gamma <= 0.8: the tail is below 0.8^400 * |r| / 0.2
        series += term
        term = game.gamma * Pxy @ term
    scale = 5.0 / (1 - game.gamma)
    assert np.allclose(v, series, rtol=0, atol=1e-12 * scale)
    assert np.allclose(policy_evaluation(game.max_player_mdp(y), x).v, v, rtol=0, atol=1e-12 * scale)
    assert np.allclose(-policy_evaluation(game.min_player_mdp(x), y).v, v, rtol=0, atol=1e-12 * scale)
    ex = markov_exploitability(game, x, y)
    assert isinstance(ex, MarkovExploitabilityResult)
    assert np.all(ex.v_max_guarantee <= v + 1e-10 * scale) and np.all(v <= ex.v_min_guarantee + 1e-10 * scale)
    assert ex.duality_gap == pytest.approx(float(np.max(ex.gap)), abs=0)
    # the best responses are deterministic policies attaining the guarantees
    assert np.allclose(evaluate_policies(game, ex.max_best_response, y), ex.v_min_guarantee, atol=1e-10 * scale)
    assert np.allclose(evaluate_policies(game, x, ex.min_best_response), ex.v_max_guarantee, atol=1e-10 * scale)


def test_repeated_matrix_game():
    A = np.array([[3.0, -1.0], [-2.0, 1.0]])
    game = MarkovGame(np.ones((1, 2, 2, 1)), A[None], gamma=0.75)
    zs = solve_zero_sum(MatrixGame.zero_sum(A))
    ex = markov_exploitability(game, zs.max_strategy[None], zs.min_strategy[None])
    assert ex.duality_gap <= 1e-9
    assert ex.v[0] == pytest.approx((1 / 7) / 0.25, abs=1e-9)


def test_reward_with_next_state_is_reduced():
    P = np.zeros((2, 1, 2, 2))
    P[:, 0, 0] = [0.5, 0.5]
    P[:, 0, 1] = [1.0, 0.0]
    R4 = np.zeros((2, 1, 2, 2))
    R4[:, 0, 0, 1] = 4.0
    game = MarkovGame(P, R4, gamma=0.5)
    assert np.allclose(game.R[:, 0, 0], 2.0) and np.allclose(game.R[:, 0, 1], 0.0)
    assert "MarkovGame(n_states=2, n_max_actions=1, n_min_actions=2" in repr(game)


@pytest.mark.parametrize(
    "P, R, gamma, match",
    [
        (np.full((2, 1, 1, 2), 0.5), np.zeros((2, 1, 1)), 1.0, r"gamma = 1.0 is outside \[0, 1\)"),
        (np.full((2, 1, 1, 2), 0.5), np.zeros((2, 1, 1)), -0.1, r"gamma = -0.1 is outside"),
        (np.full((2, 1, 1, 3), 0.5), np.zeros((2, 1, 1)), 0.5, r"P has shape \(2, 1, 1, 3\)"),
        (np.full((2, 1, 1), 0.5), np.zeros((2, 1, 1)), 0.5, r"expected \(S, A, B, S\)"),
        (np.array([[[[np.nan, 1.0]]], [[[0.5, 0.5]]]]), np.zeros((2, 1, 1)), 0.5, r"P\[0, 0, 0, 0\] is nan"),
        (np.array([[[[1.5, -0.5]]], [[[0.5, 0.5]]]]), np.zeros((2, 1, 1)), 0.5, r"P\[0, 0, 0, 1\] = -0.5 is negative"),
        (np.array([[[[0.5, 0.4]]], [[[0.5, 0.5]]]]), np.zeros((2, 1, 1)), 0.5, r"P\[s=0, a=0, b=0\] sums to 0.9"),
        (np.full((2, 1, 1, 2), 0.5), np.zeros((2, 2, 1)), 0.5, r"R has shape \(2, 2, 1\), expected \(2, 1, 1\)"),
        (np.full((2, 1, 1, 2), 0.5), np.array([[[np.inf]], [[0.0]]]), 0.5, r"R\[0, 0, 0\] is inf"),
    ],
)
def test_bad_games_raise_clear_errors(P, R, gamma, match):
    with pytest.raises(ValueError, match=match):
        MarkovGame(P, R, gamma=gamma)


def test_bad_policies_and_horizon():
    game = MarkovGame(np.full((2, 2, 3, 2), 0.5), np.zeros((2, 2, 3)), gamma=0.5)
    with pytest.raises(ValueError, match=r"min_policy has shape \(2, 2\), expected \(2, 3\)"):
        evaluate_policies(game, np.full((2, 2), 0.5), np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match=r"max_policy\[1\] = 2 is not an action in \[0, 2\)"):
        evaluate_policies(game, np.array([0, 2]), np.array([0, 0]))
    with pytest.raises(ValueError, match=r"max_policy\[0\] sums to 0.6"):
        markov_exploitability(game, np.array([[0.3, 0.3], [0.5, 0.5]]), np.array([0, 0]))
    with pytest.raises(ValueError, match=r"player = 'row' must be 'max' or 'min'"):
        game.policy_matrix([0, 0], "row")
    finite = MarkovGame(np.full((2, 2, 3, 2), 0.5), np.zeros((2, 2, 3)), gamma=1.0, horizon=3)
    with pytest.raises(ValueError, match=r"max_policy has shape \(2, 2, 2\); a policy of a game with horizon 3"):
        evaluate_policies(finite, np.full((2, 2, 2), 0.5), [0, 0])
    with pytest.raises(ValueError, match=r"stage 1: min_policy\[0\] = 3 is not an action in \[0, 3\)"):
        evaluate_policies(finite, [0, 0], np.array([[0, 0], [3, 0], [0, 0]]))
    with pytest.raises(ValueError, match=r"stage_policies needs a finite-horizon game"):
        game.stage_policies([0, 0], "max")
    with pytest.raises(ValueError, match=r"horizon = 0 must be an integer >= 1"):
        MarkovGame(np.full((2, 2, 3, 2), 0.5), np.zeros((2, 2, 3)), gamma=0.5, horizon=0)
    with pytest.raises(ValueError, match=r"initial_distribution sums to"):
        MarkovGame(np.full((2, 2, 3, 2), 0.5), np.zeros((2, 2, 3)), gamma=0.5, initial_distribution=[0.5, 0.6])
