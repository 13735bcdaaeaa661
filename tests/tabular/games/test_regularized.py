"""Entropy-regularized Markov games and HASAC's tabular form, judged by exact (certified) regularized best responses.

Checked (tolerances: the certificates plus rounding O((S + AB) eps scale / (1 - gamma)), Higham 2002):
- the returned pair's regularized duality gap, computed by soft value iteration on the two induced MDPs
  (tabular.soft_value_iteration, independent code), is at most policy_suboptimality_bound, and the guarantees
  bracket [v_lower, v_upper];
- one-state games: v*_tau = val_tau(A) / (1 - gamma), the stage policy the QRE of A (qre, independent code);
- one-player games (B = 1) are soft-optimal control: v*_tau = the soft value iteration fixed point;
- the temperature bias: -tau log B / (1 - gamma) <= v*_tau - v* <= tau log A / (1 - gamma);
- HASAC: the joint MaxEnt value never decreases (monotonic improvement), and each agent is near soft-optimal
  against the other: V*_i - V <= alpha max_s KL(pi_i(s) || softmax(Q_i(s) / alpha)) / (1 - gamma) (the soft
  Bellman residual of a policy is alpha KL to its soft-greedy policy, Gibbs; divided by 1 - gamma by contraction).
"""

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st

from rltheory.proofs_checks.strategies import stochastic_matrices
from rltheory.tabular import FiniteMDP, soft_value_iteration
from rltheory.tabular.games import (
    MarkovGame,
    MatrixGame,
    RegularizedShapleyResult,
    heterogeneous_agent_soft_policy_iteration,
    qre,
    regularized_markov_exploitability,
    regularized_shapley_value_iteration,
    shapley_value_iteration,
)
from tests.tabular.games._helpers import EPS


@st.composite
def markov_games(draw, A=None, B=None):
    S = draw(st.integers(1, 4))
    A = draw(st.integers(1, 3)) if A is None else A
    B = draw(st.integers(1, 3)) if B is None else B
    P = draw(stochastic_matrices(n_rows=S * A * B, n_cols=S)).reshape(S, A, B, S)
    R = np.array(draw(st.lists(st.floats(-5, 5, allow_nan=False), min_size=S * A * B, max_size=S * A * B)))
    return MarkovGame(P, R.reshape(S, A, B), gamma=draw(st.sampled_from([0.0, 0.5, 0.9])))


temperatures = st.sampled_from([0.01, 0.1, 1.0, 5.0])


def rounding(game, tau):
    scale = (float(np.max(np.abs(game.R))) + tau * np.log(6) + 1.0) / (1.0 - game.gamma)
    return 64 * (game.n_states + game.n_max_actions * game.n_min_actions + 4) * EPS * scale / (1.0 - game.gamma)


@given(markov_games(), temperatures)
def test_regularized_fixed_point_certificate(game, tau):
    res = regularized_shapley_value_iteration(game, tau, tol=1e-9)
    assert isinstance(res, RegularizedShapleyResult) and res.converged and res.bound <= 1e-9
    ex = regularized_markov_exploitability(game, res.max_action_probabilities, res.min_action_probabilities, tau)
    slack = rounding(game, tau) + ex.bound
    assert ex.duality_gap <= res.policy_suboptimality_bound + slack
    assert np.all(res.v_lower <= ex.v_min_guarantee + slack) and np.all(ex.v_max_guarantee <= res.v_upper + slack)
    assert res.policy_suboptimality_bound <= 2 * res.bound + res.stage_gap * 2 / (1 - game.gamma) + rounding(game, tau)


@given(markov_games(), st.integers(0, 3))
def test_bounds_hold_before_convergence(game, max_iter):
    res = regularized_shapley_value_iteration(game, 0.5, tol=1e-12, max_iter=max_iter)
    assert res.iterations <= max_iter
    ex = regularized_markov_exploitability(game, res.max_action_probabilities, res.min_action_probabilities, 0.5)
    slack = rounding(game, 0.5) + ex.bound
    assert ex.duality_gap <= res.policy_suboptimality_bound + slack
    assert np.all(res.v_lower <= ex.v_min_guarantee + slack) and np.all(ex.v_max_guarantee <= res.v_upper + slack)


def test_one_state_game_is_the_matrix_qre():
    A = np.array([[3.0, -1.0, 0.5], [-2.0, 1.0, 0.0]])
    for tau in (0.05, 0.5, 2.0):
        res = regularized_shapley_value_iteration(
            MarkovGame(np.ones((1, 2, 3, 1)), A[None], gamma=0.75), tau, tol=1e-12
        )
        q = qre(MatrixGame.zero_sum(A), tau)
        x, y = q.strategies
        H = lambda p: float(np.sum(scipy.special.entr(p)))  # noqa: E731
        val_lo = tau * H(x) - tau * scipy.special.logsumexp(-(x @ A) / tau)
        val_hi = -tau * H(y) + tau * scipy.special.logsumexp((A @ y) / tau)
        assert val_lo / 0.25 - 1e-9 <= res.v[0] <= val_hi / 0.25 + 1e-9
        assert np.allclose(res.max_action_probabilities[0], x, atol=1e-6)


@given(markov_games(B=1), temperatures)
def test_one_player_game_is_soft_control(game, tau):
    res = regularized_shapley_value_iteration(game, tau, tol=1e-10)
    mdp = game.max_player_mdp(np.ones((game.n_states, 1)))
    ref = soft_value_iteration(mdp, tau, tol=1e-10)
    assert np.allclose(res.v, ref.v, rtol=0, atol=res.bound + ref.bound + rounding(game, tau))


@given(markov_games(), temperatures)
def test_temperature_bias(game, tau):
    reg = regularized_shapley_value_iteration(game, tau, tol=1e-10)
    hard = shapley_value_iteration(game, tol=1e-10)
    d = np.asarray(reg.v) - np.asarray(hard.v)
    slack = reg.bound + hard.bound + rounding(game, tau)
    assert np.all(d <= tau * np.log(game.n_max_actions) / (1 - game.gamma) + slack)
    assert np.all(d >= -tau * np.log(game.n_min_actions) / (1 - game.gamma) - slack)


def test_exploitability_of_a_non_equilibrium():
    game = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, -1.0], [-1.0, 1.0]]], gamma=0.5)
    r = regularized_markov_exploitability(game, [0], [[0.5, 0.5]], 1.0)
    # y uniform: r^y = 0 and the entropy terms cancel: max_x' v = (tau log 2 - tau H(y)) / (1 - gamma) = 0
    assert r.v_min_guarantee[0] == pytest.approx(0.0, abs=1e-9)
    # x = Heads (H(x) = 0): the min player's soft optimum over costs (1, -1): min_y' v = -log(e + 1/e) / (1 - gamma)
    assert r.v_max_guarantee[0] == pytest.approx(-np.log(np.exp(1) + np.exp(-1)) / 0.5, abs=1e-9)
    with pytest.raises(ValueError, match=r"temperature = 0.0 must be > 0.0"):
        regularized_markov_exploitability(game, [0], [0], 0.0)
    with pytest.raises(ValueError, match=r"solves discounted games"):
        regularized_shapley_value_iteration(
            MarkovGame(np.ones((1, 1, 1, 1)), np.zeros((1, 1, 1)), gamma=1.0, horizon=2), 1.0
        )


def agent_soft_optimality(game, x, y, V, alpha):
    """(V*_1 upper - V, bound) and (V*_2 upper - V, bound) for each agent's MDP against the other."""
    out = []
    hx = np.sum(scipy.special.entr(x), axis=1)
    hy = np.sum(scipy.special.entr(y), axis=1)
    Q = game.R + game.gamma * (game.P @ V)
    for mdp, pi, Qi in (
        (
            FiniteMDP(
                np.einsum("sb,sabt->sat", y, game.P),
                np.einsum("sb,sab->sa", y, game.R) + alpha * hy[:, None],
                gamma=game.gamma,
            ),
            x,
            np.einsum("sab,sb->sa", Q, y),
        ),
        (
            FiniteMDP(
                np.einsum("sa,sabt->sbt", x, game.P),
                np.einsum("sa,sab->sb", x, game.R) + alpha * hx[:, None],
                gamma=game.gamma,
            ),
            y,
            np.einsum("sa,sab->sb", x, Q),
        ),
    ):
        ref = soft_value_iteration(mdp, alpha, tol=1e-11)
        greedy = scipy.special.softmax(Qi / alpha, axis=1)
        kl = float(np.max(np.sum(scipy.special.rel_entr(pi, greedy), axis=1)))
        out.append((np.asarray(ref.v_lower) - V, alpha * kl / (1 - game.gamma), np.asarray(ref.v_upper) - V))
    return out


@given(markov_games(), st.sampled_from([0.05, 0.5, 2.0]), st.integers(0, 10))
def test_hasac_monotone_improvement_and_qre(game, alpha, seed):
    res = heterogeneous_agent_soft_policy_iteration(game, alpha, rng=seed, max_iter=300)
    H = np.asarray(res.values_history)
    slack = rounding(game, alpha)
    assert np.all(np.diff(H, axis=0) >= -slack)  # monotonic improvement, every state
    assert res.orders.shape == (res.iterations, 2) and set(map(tuple, res.orders)) <= {(0, 1), (1, 0)}
    for lower_gap, kl_bound, upper_gap in agent_soft_optimality(
        game, res.first_action_probabilities, res.second_action_probabilities, res.v, alpha
    ):
        assert np.all(upper_gap >= -slack)  # V is the value of a policy: at most the soft optimum
        assert np.all(lower_gap <= kl_bound + slack)


def test_hasac_validation():
    game = MarkovGame(np.ones((1, 2, 2, 1)), np.zeros((1, 2, 2)), gamma=0.5)
    with pytest.raises(ValueError, match=r"temperature = -1.0 must be > 0.0"):
        heterogeneous_agent_soft_policy_iteration(game, -1.0)
    res = heterogeneous_agent_soft_policy_iteration(game, 1.0, rng=0)
    assert res.converged and res.iterations == 0 and np.allclose(res.v, np.log(4) / 0.5)
