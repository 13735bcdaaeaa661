"""Shapley backward induction and finite-horizon evaluation: certificates judged by exact best responses and brute
force.

Checked (tolerances: the certificates plus rounding O((S + AB) H eps scale), Higham 2002):
- finite-horizon evaluation equals the explicit sum over every trajectory (enumeration, independent code);
- the value v*_h is the recursion of stage values computed by vertex enumeration (tests/_helpers.brute_value);
- the returned Markov policies' exact best-response values (backward induction on the induced MDPs) bracket v*
  and their gap is at most policy_suboptimality_bound; v_lower <= v* <= v_upper;
- one-player games reduce to the tabular backward_induction (independent code);
- the H-stage value of a discounted game is within gamma^H ||v*|| of the discounted value (contraction from 0).
"""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rltheory.proofs_checks.strategies import stochastic_matrices
from rltheory.tabular import backward_induction
from rltheory.tabular.games import (
    MarkovGame,
    ShapleyBackwardInductionResult,
    evaluate_policies,
    markov_exploitability,
    shapley_backward_induction,
    shapley_value_iteration,
)
from tests.tabular.games._helpers import EPS, brute_value


@st.composite
def finite_games(draw, A=None, B=None, max_states=4, max_horizon=4):
    S = draw(st.integers(1, max_states))
    A = draw(st.integers(1, 3)) if A is None else A
    B = draw(st.integers(1, 3)) if B is None else B
    P = draw(stochastic_matrices(n_rows=S * A * B, n_cols=S)).reshape(S, A, B, S)
    R = np.array(draw(st.lists(st.floats(-5, 5, allow_nan=False), min_size=S * A * B, max_size=S * A * B)))
    H = draw(st.integers(1, max_horizon))
    return MarkovGame(P, R.reshape(S, A, B), gamma=draw(st.sampled_from([1.0, 0.9, 0.5, 0.0])), horizon=H)


def rounding(game):
    scale = (float(np.max(np.abs(game.R))) + 1.0) * game.horizon
    return 64 * (game.n_states + game.n_max_actions * game.n_min_actions + 4) * game.horizon * EPS * scale


def enumerate_value(game, X, Y):
    """V_0(s) as an explicit sum over every trajectory (a_0, b_0, s_1, ..., a_{H-1}, b_{H-1})."""
    S, A, B, H = game.n_states, game.n_max_actions, game.n_min_actions, game.horizon
    out = np.zeros(S)
    for s0 in range(S):
        total = 0.0
        for path in itertools.product(*([range(A), range(B), range(S)] * H)):
            p, s, ret, disc = 1.0, s0, 0.0, 1.0
            for h in range(H):
                a, b, t = path[3 * h : 3 * h + 3]
                p *= X[h, s, a] * Y[h, s, b]
                ret += disc * game.R[s, a, b]
                disc *= game.gamma
                p *= game.P[s, a, b, t]
                s = t
            total += p * ret
        out[s0] = total
    return out


@given(finite_games(max_states=2, max_horizon=2), st.data())
def test_evaluation_is_the_trajectory_sum(game, data):
    S, A, B, H = game.n_states, game.n_max_actions, game.n_min_actions, game.horizon
    X = data.draw(stochastic_matrices(n_rows=H * S, n_cols=A)).reshape(H, S, A)
    Y = data.draw(stochastic_matrices(n_rows=H * S, n_cols=B)).reshape(H, S, B)
    V = evaluate_policies(game, X, Y)
    assert V.shape == (H + 1, S) and np.all(V[H] == 0)
    assert np.allclose(V[0], enumerate_value(game, X, Y), rtol=0, atol=rounding(game) + 1e-12)
    ex = markov_exploitability(game, X, Y)
    # the best responses are deterministic Markov policies attaining the guarantees
    assert np.allclose(evaluate_policies(game, ex.max_best_response, Y), ex.v_min_guarantee, atol=rounding(game))
    assert np.allclose(evaluate_policies(game, X, ex.min_best_response), ex.v_max_guarantee, atol=rounding(game))
    assert np.all(ex.v_max_guarantee <= V + rounding(game)) and np.all(V <= ex.v_min_guarantee + rounding(game))
    assert ex.duality_gap == pytest.approx(float(np.max(ex.gap[0])), abs=0)


@given(finite_games())
def test_backward_induction_certificates(game):
    res = shapley_backward_induction(game)
    assert isinstance(res, ShapleyBackwardInductionResult) and res.converged and res.iterations == game.horizon
    H, S = game.horizon, game.n_states
    slack = rounding(game)
    # brute force: v*_h by the recursion of stage values from vertex enumeration
    v = np.zeros(S)
    for h in range(H - 1, -1, -1):
        Q = game.R + game.gamma * (game.P @ v)
        v = np.array([brute_value(Q[s]) for s in range(S)])
        assert np.all(res.v_lower[h] <= v + slack + 1e-9) and np.all(v <= res.v_upper[h] + slack + 1e-9)
    ex = markov_exploitability(game, res.max_action_probabilities, res.min_action_probabilities)
    assert ex.duality_gap <= res.policy_suboptimality_bound + slack
    assert np.all(res.v_lower <= ex.v_min_guarantee + slack) and np.all(ex.v_max_guarantee <= res.v_upper + slack)
    assert res.bound <= 1e-9 * (1 + float(np.max(np.abs(res.q)))) * H + slack
    assert np.all(res.v[H] == 0) and res.q.shape == (H, S, game.n_max_actions, game.n_min_actions)


@given(finite_games(B=1))
def test_one_player_game_is_backward_induction(game):
    mdp = game.max_player_mdp(np.ones((game.n_states, 1)))
    ref = backward_induction(mdp)
    res = shapley_backward_induction(game)
    assert np.allclose(res.v, ref.v, rtol=0, atol=rounding(game) + res.bound)


@given(finite_games(A=1))
def test_min_player_alone(game):
    mdp = game.min_player_mdp(np.ones((game.n_states, 1)))
    ref = backward_induction(mdp)
    res = shapley_backward_induction(game)
    assert np.allclose(res.v, -np.asarray(ref.v), rtol=0, atol=rounding(game) + res.bound)


def test_repeated_matrix_game_and_discounted_limit():
    A = np.array([[3.0, -1.0], [-2.0, 1.0]])  # val = 1/7
    res = shapley_backward_induction(MarkovGame(np.ones((1, 2, 2, 1)), A[None], gamma=1.0, horizon=5))
    assert np.allclose(res.v[:, 0], (5 - np.arange(6)) / 7, rtol=0, atol=1e-14)
    rng = np.random.default_rng(3)
    P = rng.dirichlet(np.ones(4), size=(4, 3, 2))
    R = rng.uniform(-1, 1, size=(4, 3, 2))
    vstar = shapley_value_iteration(MarkovGame(P, R, gamma=0.8), tol=1e-12)
    for H in (1, 5, 20):
        fin = shapley_backward_induction(MarkovGame(P, R, gamma=0.8, horizon=H))
        # T^H 0 - v* <= gamma^H ||0 - v*|| (Shapley's contraction)
        err = float(np.max(np.abs(fin.v[0] - vstar.v)))
        assert err <= 0.8**H * float(np.max(np.abs(vstar.v))) + vstar.bound + fin.bound + 1e-12


def test_refuses_discounted_games():
    with pytest.raises(ValueError, match=r"solves finite-horizon games .* use shapley_value_iteration"):
        shapley_backward_induction(MarkovGame(np.ones((1, 1, 1, 1)), np.zeros((1, 1, 1)), gamma=0.5))
    with pytest.raises(ValueError, match=r"needs a MarkovGame, got ndarray"):
        shapley_backward_induction(np.zeros(3))
