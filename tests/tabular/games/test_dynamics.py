"""Learning dynamics: the update rules, the folk-theorem and CCE identities on every run, the regret bounds,
last-iterate behaviour of MWU / OMWU / MMD, and the replicator dynamics' conserved quantity.

Theorems: NashConv(avg) = (R_1 + R_2)/T in zero-sum games and cce_violation(sigma_T) = max_i R_i / T in any game
(exact identities, Cesa-Bianchi & Lugosi 2006, Sec. 7); Hedge R <= ln A / eta + eta T Delta^2 / 8 (ibid., Thm. 2.2);
regret matching (+) R <= Delta sqrt(A T); MWU moves away from an interior equilibrium (Bailey & Piliouras 2018);
OMWU converges in the last iterate (Daskalakis & Panageas 2019); MMD converges linearly to the QRE (Sokota et al.
2023); the replicator flow conserves KL(x*, x) + KL(y*, y) (Hofbauer & Sigmund 1998) and has regret <= log(1/x_0).
Tolerances: rounding of T-term sums (Higham 2002), and for the ODE the integrator's rtol times the scale.
"""

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st

from rltheory.tabular.games import (
    LearningDynamicsResult,
    MatrixGame,
    ReplicatorResult,
    cce_violation,
    fictitious_play,
    magnetic_mirror_descent,
    multiplicative_weights,
    optimistic_multiplicative_weights,
    qre,
    regret_matching,
    regret_matching_plus,
    replicator_dynamics,
)
from tests.tabular.games._helpers import EPS, kl

LEARNERS = {
    "mwu": lambda g, T: multiplicative_weights(g, n_iterations=T),
    "omwu": lambda g, T: optimistic_multiplicative_weights(g, n_iterations=T),
    "rm": lambda g, T: regret_matching(g, n_iterations=T),
    "rm+": lambda g, T: regret_matching_plus(g, n_iterations=T),
    "fp": lambda g, T: fictitious_play(g, n_iterations=T),
    "mmd": lambda g, T: magnetic_mirror_descent(g, n_iterations=T, temperature=0.1),
}


@st.composite
def games(draw, zero_sum):
    if zero_sum:
        m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        A = np.array(draw(st.lists(st.floats(-5, 5, allow_nan=False), min_size=m * n, max_size=m * n)))
        return MatrixGame.zero_sum(A.reshape(m, n))
    k = draw(st.integers(2, 3))
    shape = tuple(draw(st.integers(1, 3)) for _ in range(k))
    size = k * int(np.prod(shape))
    U = np.array(draw(st.lists(st.floats(-5, 5, allow_nan=False), min_size=size, max_size=size)))
    return MatrixGame(U.reshape((k,) + shape))


def allowance(game, T):
    scale = max(1.0, float(np.max(np.abs(game.payoffs))))
    return 16 * game.n_players * (T + int(np.prod(game.n_actions)) + 4) * EPS * scale


@given(games(zero_sum=True), st.sampled_from(sorted(LEARNERS)), st.integers(1, 200))
def test_folk_identity_every_round(game, name, T):
    res = LEARNERS[name](game, T)
    assert isinstance(res, LearningDynamicsResult) and res.iterations == T
    rhs = np.asarray(res.regret_history).sum(axis=1) / np.arange(1, T + 1)
    assert np.max(np.abs(np.asarray(res.nash_conv_average) - rhs)) <= allowance(game, T)
    assert np.all(np.asarray(res.nash_conv_average) <= rhs + allowance(game, T))


@given(games(zero_sum=False), st.sampled_from(sorted(LEARNERS)), st.integers(1, 150))
def test_cce_identity(game, name, T):
    res = LEARNERS[name](game, T)
    d = np.asarray(res.empirical_distribution)
    assert abs(cce_violation(game, d / d.sum()) - float(np.max(res.regrets)) / T) <= allowance(game, T)
    # the played strategies and averages are probability vectors
    for traj, avg in zip(res.trajectory, res.average_iterate):
        assert np.allclose(traj.sum(axis=1), 1.0) and np.all(traj >= 0)
        assert np.allclose(avg, traj.mean(axis=0))


@given(games(zero_sum=False), st.integers(1, 300), st.sampled_from([None, 0.05, 1.0]))
def test_hedge_regret_bound(game, T, eta):
    res = multiplicative_weights(game, n_iterations=T, step_size=eta)
    U = np.asarray(game.payoffs)
    for i, k in enumerate(game.n_actions):
        delta = float(U[i].max() - U[i].min())
        e = float(res.step_size[i])
        bound = np.log(k) / e + e * T * delta**2 / 8 if delta > 0 else 0.0
        assert res.regrets[i] <= bound + allowance(game, T)


@given(games(zero_sum=False), st.integers(1, 300), st.sampled_from([regret_matching, regret_matching_plus]))
def test_regret_matching_bound(game, T, learner):
    res = learner(game, n_iterations=T)
    U = np.asarray(game.payoffs)
    for i, k in enumerate(game.n_actions):
        assert res.regrets[i] <= float(U[i].max() - U[i].min()) * np.sqrt(k * T) + allowance(game, T)


def test_update_rules_by_hand():
    A = np.array([[2.0, -1.0], [0.0, 1.0]])
    g = MatrixGame.zero_sum(A)
    x0, y0 = np.array([0.7, 0.3]), np.array([0.4, 0.6])
    eta = 0.3
    r = multiplicative_weights(g, n_iterations=3, step_size=eta, initial=[x0, y0])
    gx, gy = A @ y0, -(x0 @ A)
    assert np.allclose(r.trajectory[0][1], scipy.special.softmax(np.log(x0) + eta * gx))
    assert np.allclose(r.trajectory[1][1], scipy.special.softmax(np.log(y0) + eta * gy))
    o = optimistic_multiplicative_weights(g, n_iterations=3, step_size=eta, initial=[x0, y0])
    x1, y1 = o.trajectory[0][1], o.trajectory[1][1]
    assert np.allclose(x1, scipy.special.softmax(np.log(x0) + 2 * eta * gx))  # G^1 + g^1 = 2 g^1
    x2 = scipy.special.softmax(np.log(x1) + eta * (2 * (A @ y1) - gx))  # x^{t+1} ∝ x^t exp(eta(2 g^t - g^{t-1}))
    assert np.allclose(o.trajectory[0][2], x2)
    rm = regret_matching(g, n_iterations=2, initial=[x0, y0])
    reg = gx - x0 @ gx
    assert np.allclose(rm.trajectory[0][1], np.maximum(reg, 0) / np.maximum(reg, 0).sum())
    fp = fictitious_play(g, n_iterations=2, initial=[x0, y0])
    assert fp.trajectory[0][1].tolist() == np.eye(2)[np.argmax(gx)].tolist()
    alpha = 0.5
    m = magnetic_mirror_descent(g, n_iterations=2, temperature=alpha, step_size=eta, initial=[x0, y0])
    expect = (x0 * 0.5 ** (eta * alpha) * np.exp(eta * gx)) ** (1 / (1 + eta * alpha))
    assert np.allclose(m.trajectory[0][1], expect / expect.sum())


def test_last_iterates_mwu_diverges_omwu_converges():
    A = np.array([[1.0, -1.0], [-1.0, 1.0]])
    g = MatrixGame.zero_sum(A)
    start = [[0.9, 0.1], [0.2, 0.8]]
    star = np.array([0.5, 0.5])
    mwu = multiplicative_weights(g, n_iterations=1000, step_size=0.125, initial=start)
    K = [kl(star, x) + kl(star, y) for x, y in zip(*mwu.trajectory)]
    assert np.all(np.diff(K) >= -64 * EPS)  # Bailey & Piliouras (2018)
    assert mwu.nash_conv_last[-1] > mwu.nash_conv_last[0]
    assert mwu.nash_conv_average[-1] < 0.1  # yet the average converges (folk theorem)
    omwu = optimistic_multiplicative_weights(g, n_iterations=3000, initial=start)
    assert omwu.nash_conv_last[-1] <= 1e-9


def test_mmd_converges_linearly_to_the_qre():
    rng = np.random.default_rng(3)
    A = rng.uniform(-1, 1, size=(3, 4))
    g = MatrixGame.zero_sum(A)
    alpha = 0.2
    star = qre(g, alpha, tol=1e-13)
    res = magnetic_mirror_descent(g, n_iterations=400, temperature=alpha)
    eta = float(res.step_size[0])
    K = np.array([kl(star.strategies[0], x) + kl(star.strategies[1], y) for x, y in zip(*res.trajectory)])
    assert np.all(K <= (1 + eta * alpha) ** -np.arange(len(K)) * K[0] + 1e-12)


def test_replicator_conserves_kl_and_has_bounded_regret():
    A = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
    x0 = [[0.5, 0.3, 0.2], [0.2, 0.5, 0.3]]
    res = replicator_dynamics(MatrixGame.zero_sum(A), final_time=60.0, n_points=300, initial=x0)
    assert isinstance(res, ReplicatorResult) and res.status == 0
    star = np.full(3, 1 / 3)
    K = np.array([kl(star, x) + kl(star, y) for x, y in zip(*res.trajectory)])
    assert np.max(np.abs(K - K[0])) <= 1e-7  # DOP853 at rtol 1e-10 over t = 60
    assert np.all(res.regret_history <= np.log(1 / 0.2) + 1e-7)
    assert res.nash_conv_average[-1] <= 2 * np.log(5) / 60 + 1e-7  # (R_1 + R_2) / t


def test_errors():
    g = MatrixGame.zero_sum(np.eye(2))
    with pytest.raises(ValueError, match=r"n_iterations = 0 must be >= 1"):
        multiplicative_weights(g, n_iterations=0)
    with pytest.raises(ValueError, match=r"step_size = -1.0 must be > 0.0"):
        multiplicative_weights(g, n_iterations=5, step_size=-1.0)
    with pytest.raises(ValueError, match=r"step_size has shape \(3,\)"):
        optimistic_multiplicative_weights(g, n_iterations=5, step_size=[0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match=r"initial\[player 0\] sums to"):
        regret_matching(g, n_iterations=5, initial=[[0.3, 0.3], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"temperature = 0.0 must be > 0.0"):
        magnetic_mirror_descent(g, n_iterations=5, temperature=0.0)
    with pytest.raises(ValueError, match=r"needs a MatrixGame"):
        fictitious_play(np.eye(2), n_iterations=5)
    with pytest.raises(ValueError, match=r"final_time = 0.0 must be > 0.0"):
        replicator_dynamics(g, final_time=0.0)
