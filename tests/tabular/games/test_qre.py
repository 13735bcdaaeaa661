"""Logit QRE: the fixed-point certificate, an independent 2x2 root, the tau -> infinity and tau -> 0 limits.

Checked: residual max_i ||x_i - softmax(u_i(x_-i)/tau)||_1 recomputed here <= tol; the regularized NashConv is
>= 0 and ~0 (Gibbs variational principle); in 2x2 zero-sum games the QRE is the unique root of a monotone
scalar equation (solved independently by scipy.optimize.brentq); NashConv(QRE) <= tau sum_i log A_i (each player
loses at most tau H(x_i) <= tau log A_i against the regularized best response); as tau -> 0 the QRE of a game
with a unique equilibrium approaches it at the first-order rate (claim games.qre.zero-temperature-limit).
"""

import numpy as np
import pytest
import scipy.optimize
import scipy.special
from hypothesis import given
from hypothesis import strategies as st

from rltheory.tabular.games import MatrixGame, QREResult, qre


def residual(game, xs, tau):
    out = 0.0
    for i in range(game.n_players):
        u = game.deviation_payoffs(xs, i)
        out = max(out, float(np.sum(np.abs(xs[i] - scipy.special.softmax(u / tau)))))
    return out


@st.composite
def games(draw):
    n = draw(st.integers(2, 3))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(n))
    size = n * int(np.prod(shape))
    U = np.array(draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=size, max_size=size)))
    return MatrixGame(U.reshape((n,) + shape)), draw(st.sampled_from([5.0, 1.0, 0.3, 0.1]))


@given(games())
def test_fixed_point_certificate(instance):
    game, tau = instance
    res = qre(game, tau)
    assert isinstance(res, QREResult) and res.converged
    assert residual(game, res.strategies, tau) <= 1e-10
    assert res.residual <= 1e-10 and -1e-12 <= res.regularized_nash_conv <= 1e-9
    # an entropy-regularized equilibrium loses at most tau * log(A_i) per player
    assert res.nash_conv <= tau * sum(np.log(k) for k in game.n_actions) + 1e-9
    assert all(not x.flags.writeable for x in res.strategies)


@given(st.lists(st.floats(-3, 3, allow_nan=False), min_size=4, max_size=4), st.sampled_from([2.0, 0.5, 0.1]))
def test_two_by_two_zero_sum_against_brentq(vals, tau):
    A = np.array(vals).reshape(2, 2)
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731

    def y1(x1):  # the column player's logit response (she minimizes x^T A y)
        cost = x1 * A[0] + (1 - x1) * A[1]
        return sig(-(cost[0] - cost[1]) / tau)

    def f(x1):  # x1 - row's logit response to y(x1): increasing in x1, so a unique root
        y = y1(x1)
        pay = A[:, 0] * y + A[:, 1] * (1 - y)
        return x1 - sig((pay[0] - pay[1]) / tau)

    x1 = scipy.optimize.brentq(f, 0.0, 1.0, xtol=1e-15, rtol=1e-15)
    res = qre(MatrixGame.zero_sum(A), tau)
    assert res.strategies[0][0] == pytest.approx(x1, abs=1e-9)
    assert res.strategies[1][0] == pytest.approx(y1(x1), abs=1e-9)


def test_high_temperature_is_nearly_uniform():
    game = MatrixGame(np.random.default_rng(0).normal(size=(2, 3, 4)))
    res = qre(game, 1e6)
    # |x - uniform| <= |softmax(u/tau) - uniform| = O(max|u| / tau)
    assert np.allclose(res.strategies[0], 1 / 3, atol=1e-5) and np.allclose(res.strategies[1], 1 / 4, atol=1e-5)


def test_low_temperature_approaches_the_unique_equilibrium():
    game = MatrixGame.zero_sum([[9.0, 0.0], [0.0, 1.0]])  # x* = y* = (1/10, 9/10)
    d = [abs(qre(game, tau).strategies[0][0] - 0.1) for tau in (1e-2, 1e-3, 1e-4)]
    assert d[0] > d[1] > d[2] and d[2] <= 3e-5
    # first order: |x_1(tau) - 1/10| / tau -> log(9) / 10 (games.qre.zero-temperature-limit)
    assert d[2] / 1e-4 == pytest.approx(np.log(9) / 10, rel=1e-2)


def test_max_iter_zero_and_errors():
    game = MatrixGame.zero_sum([[1.0, -1.0], [-1.0, 1.0]])
    res = qre(game, 0.5, max_iter=0)
    assert res.iterations == 0 and not res.converged
    with pytest.raises(ValueError, match=r"temperature = 0.0 must be > 0.0"):
        qre(game, 0.0)
    with pytest.raises(ValueError, match=r"needs a MatrixGame"):
        qre(np.eye(2), 1.0)
