"""Preference games: validation, the certified regularized Nash equilibrium, Nash-MD, Nash-MP and SPO.

Checked: pi*_tau is the fixed point pi ∝ mu exp(P pi / tau) (residual recomputed here) and its regularized
duality gap, recomputed from the closed form, is ~0 and >= 2 tau KL(pi || pi*) for other policies pi; Nash-MD's
one-step inequality KL_{t+1} <= (1 - eta tau) KL_t + 2 eta^2 and its 8 / (tau^2 (T + 1)) bound (Munos et al. 2023,
Thm. 1); Nash-MP's KL_k <= (1 + 2 beta)^{-k} KL_0 at eta = 2 (Tiapkin et al. 2025); SPO's exact identity
exploitability(avg) = Reg_T / T and Hedge's sqrt(ln n / (2T)) bound; on a cyclic (rock-paper-scissors)
preference the minimax winner is uniform and pi*_tau is uniform for every tau with a uniform reference.
"""

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st

from rltheory.tabular.games import (
    PreferenceDynamicsResult,
    PreferenceGame,
    RegularizedNashResult,
    nash_md,
    nash_mp,
    regularized_nash,
    self_play_preference_optimization,
    solve_zero_sum,
)
from tests.tabular.games._helpers import kl, random_preference_matrix

RPS = np.array([[0.5, 1.0, 0.0], [0.0, 0.5, 1.0], [1.0, 0.0, 0.5]])


def gap(P, pi, mu, tau):
    a = tau * scipy.special.logsumexp(np.log(mu) + P @ pi / tau)
    b = tau * scipy.special.logsumexp(np.log(mu) - P.T @ pi / tau)
    return a + b + 2 * tau * kl(pi, mu)


@st.composite
def instances(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(2, 10))
    return PreferenceGame(random_preference_matrix(rng, n)), draw(st.sampled_from([0.05, 0.2, 1.0])), rng


@given(instances())
def test_regularized_nash_certificate(instance):
    game, tau, rng = instance
    n = game.n_responses
    mu = rng.dirichlet(np.ones(n))
    res = regularized_nash(game, tau, mu)
    assert isinstance(res, RegularizedNashResult) and res.converged
    P = np.asarray(game.P)
    pi = np.asarray(res.policy)
    assert np.sum(np.abs(pi - scipy.special.softmax(np.log(mu) + P @ pi / tau))) <= 1e-11
    assert abs(gap(P, pi, mu, tau)) <= 1e-12
    # any other policy has gap >= 2 tau KL(q || pi*) (strong convexity at the saddle point)
    q = rng.dirichlet(np.ones(n))
    assert gap(P, q, mu, tau) >= 2 * tau * kl(q, pi) - 1e-12


@given(instances())
def test_nash_md_one_step_inequality_and_rate(instance):
    game, tau, rng = instance
    n = game.n_responses
    mu, x0 = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))
    star = regularized_nash(game, tau, mu).policy
    res = nash_md(game, tau, n_iterations=150, reference=mu, initial=x0)
    assert isinstance(res, PreferenceDynamicsResult) and res.preference_queries == 150
    K = np.array([kl(star, p) for p in res.trajectory])
    e = np.asarray(res.step_sizes)
    assert np.all(K[1:] <= (1 - e * tau) * K[:-1] + 2 * e**2 + 1e-9)
    assert K[-1] <= 8 / (tau**2 * 151) + 1e-9
    const = nash_md(game, tau, n_iterations=150, step_size=0.5 / tau, reference=mu, initial=x0)
    Kc = np.array([kl(star, p) for p in const.trajectory])
    assert np.all(Kc[1:] <= (1 - 0.5) * Kc[:-1] + 2 * (0.5 / tau) ** 2 + 1e-9)


@given(instances())
def test_nash_mp_linear_rate(instance):
    game, beta, rng = instance
    n = game.n_responses
    mu, x0 = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))
    star = regularized_nash(game, beta, mu).policy
    res = nash_mp(game, beta, n_iterations=40, reference=mu, initial=x0)
    assert res.preference_queries == 80
    K = np.array([kl(star, p) for p in res.trajectory])
    assert np.all(K <= (1 + 2 * beta) ** -np.arange(41) * K[0] + 1e-10)


@given(instances(), st.integers(5, 1500))
def test_spo_identity_and_bound(instance, T):
    game, _, _ = instance
    res = self_play_preference_optimization(game, n_iterations=T)
    e = game.exploitability(res.average_iterate)
    assert e == pytest.approx(res.regret_history[-1] / T, abs=1e-12)
    assert e <= np.sqrt(np.log(game.n_responses) / (2 * T)) + 1e-12
    assert res.exploitability.shape == (T + 1,)


def test_cyclic_preference_has_uniform_winner():
    game = PreferenceGame(RPS)
    for tau in (0.01, 0.5):
        assert np.allclose(regularized_nash(game, tau).policy, 1 / 3, atol=1e-12)
    zs = solve_zero_sum(game.matrix_game())
    assert np.allclose(zs.max_strategy, 1 / 3, atol=1e-8) and zs.value == pytest.approx(0.5, abs=1e-9)
    assert game.exploitability(np.full(3, 1 / 3)) == pytest.approx(0.0, abs=1e-15)


def test_small_temperature_approaches_a_minimax_winner():
    P = np.array([[0.5, 0.9, 0.2], [0.1, 0.5, 0.7], [0.8, 0.3, 0.5]])
    game = PreferenceGame(P)
    e = [game.exploitability(regularized_nash(game, tau).policy) for tau in (0.1, 0.01, 0.001)]
    # (P pi*)_y = tau log(pi*_y / mu_y) + c, so exploitability = tau (max log(pi* / mu) - KL(pi* || mu)) <= tau log n
    assert all(x <= tau * np.log(3) + 1e-12 for x, tau in zip(e, (0.1, 0.01, 0.001)))
    assert e[2] < e[1] < e[0]


def test_validation():
    with pytest.raises(ValueError, match=r"P\[0, 1\] \+ P\[1, 0\] = 1.2"):
        PreferenceGame([[0.5, 0.6], [0.6, 0.5]])
    with pytest.raises(ValueError, match=r"P\[0, 1\] = 1.5 is not a probability"):
        PreferenceGame([[0.5, 1.5], [-0.5, 0.5]])
    with pytest.raises(ValueError, match=r"square"):
        PreferenceGame(np.ones((2, 3)) / 2)
    with pytest.raises(ValueError, match=r"P\[0, 0\] is nan"):
        PreferenceGame([[np.nan, 0.5], [0.5, 0.5]])
    game = PreferenceGame(RPS)
    with pytest.raises(ValueError, match=r"reference\[0\] = 0"):
        nash_md(game, 0.1, n_iterations=3, reference=[0.0, 0.5, 0.5])
    with pytest.raises(ValueError, match=r"step_size = 20.0 must be <= 10.0"):
        nash_md(game, 0.1, n_iterations=3, step_size=20.0)
    with pytest.raises(ValueError, match=r"needs a PreferenceGame"):
        nash_mp(RPS, 0.1, n_iterations=3)
    with pytest.raises(ValueError, match=r"temperature = -1.0"):
        regularized_nash(game, -1.0)
