"""Tabular mean-field games: exploitability by brute force, the Wardrop equilibrium, and the learning schemes.

Checked against independent code and theorems:
- the flow and J(pi', mu) by explicit enumeration of every trajectory (mean-field dependent dynamics included), and
  max_{pi'} J(pi', mu^pi) by enumerating every deterministic Markov policy: the exploitability is their difference;
- a one-shot congestion game (start in state 0, choose the next state, reward c + M mu_1): the MFNE is the Wardrop
  equilibrium found by support enumeration (independent linear solves); its policy has exploitability 0;
- strong monotonicity (module docstring, derived): sum_h ||mu_h - mu*_h||^2 <= phi(pi) / lambda for every iterate
  of fictitious play and mirror descent, lambda = min eig of -(M + M^T)/2;
- the naive fixed-point iteration cycles with period 2 on crowd aversion (exact exploitability 1), while fictitious
  play (Perrin et al. 2020: O(1/t) in continuous time) and mirror descent (Perolat et al. 2022; step 1/||M||_2, a
  larger discrete step can cycle) converge; the log-log
  slope of fictitious play's exploitability over k in [100, 1000] is below -1/2 (measured ~ -1; no discrete-time
  rate theorem is asserted);
- N players (exact law of the counts): with population-independent dynamics the players are i.i.d., E mu^N = mu and
  E||mu^N_h - mu_h||_1 is de Moivre's closed form of the binomial mean absolute deviation; with population-dependent
  dynamics the fitted exponent of E||mu^N - mu||_1 over N in 8..64 has a CI containing -1/2 (propagation of chaos).
"""

import itertools

import numpy as np
import pytest

from rltheory.proofs_checks.rates import assert_rate_at_least, assert_rate_at_most, fit_power_law
from rltheory.tabular.games import (
    MeanFieldGame,
    mean_field_exploitability,
    mean_field_fictitious_play,
    mean_field_fixed_point,
    mean_field_mirror_descent,
    n_player_flow,
)

EPS = np.finfo(float).eps


def _random_game(seed, S=2, A=2, H=3, dependent=True):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(S, S, A) if dependent else (S, A))
    return MeanFieldGame(
        P,
        rng.uniform(-1, 1, size=(S, A)),
        rng.normal(size=(S, S)),
        horizon=H,
        initial_distribution=rng.dirichlet(np.ones(S)),
    )


def _enumerate(game, pi_agent, flow):
    """J(pi_agent, flow) and the population flow of pi_agent, by summing over every trajectory."""
    S, A, H = game.n_states, game.n_actions, game.horizon
    P = np.asarray(game.P)  # (x, s, a, s')
    J = 0.0
    for s0 in range(S):
        for path in itertools.product(range(A), range(S), repeat=H):
            p, s, ret = game.initial_distribution[s0], s0, 0.0
            for h in range(H):
                a, t = path[2 * h], path[2 * h + 1]
                mu = flow[h]
                p *= pi_agent[h, s, a] * sum(mu[x] * P[x, s, a, t] for x in range(S))
                ret += game.R[s, a] + sum(game.interaction[s, x] * mu[x] for x in range(S))
                s = t
            J += p * ret
    return J


def _enumerate_flow(game, pi):
    S, A, H = game.n_states, game.n_actions, game.horizon
    P = np.asarray(game.P)
    mu = [np.asarray(game.initial_distribution, dtype=float)]
    for h in range(H - 1):
        nxt = np.zeros(S)
        for s, a, t in itertools.product(range(S), range(A), range(S)):
            nxt[t] += mu[h][s] * pi[h, s, a] * sum(mu[h][x] * P[x, s, a, t] for x in range(S))
        mu.append(nxt)
    return np.array(mu)


@pytest.mark.parametrize("seed, dependent", [(0, True), (1, False), (2, True)])
def test_exploitability_by_brute_force(seed, dependent):
    game = _random_game(seed, dependent=dependent)
    S, A, H = game.n_states, game.n_actions, game.horizon
    pi = np.random.default_rng(10 + seed).dirichlet(np.ones(A), size=(H, S))
    res = mean_field_exploitability(game, pi)
    flow = _enumerate_flow(game, pi)
    np.testing.assert_allclose(res.flow, flow, rtol=0, atol=64 * EPS)
    tol = 64 * H * (S + A) * EPS * (1 + np.abs(game.R).max() + np.abs(game.interaction).sum())
    assert abs(res.value - _enumerate(game, pi, flow)) <= tol
    best = -np.inf
    for acts in itertools.product(range(A), repeat=H * S):
        det = np.zeros((H, S, A))
        det[np.repeat(np.arange(H), S), np.tile(np.arange(S), H), acts] = 1.0
        best = max(best, _enumerate(game, det, flow))
    assert abs(res.best_response_value - best) <= tol
    assert abs(res.exploitability - (best - res.value)) <= 2 * tol and res.exploitability >= -tol
    assert abs(_enumerate(game, np.asarray(res.best_response), flow) - best) <= tol


def _congestion(seed, S=3):
    rng = np.random.default_rng(seed)
    P = np.zeros((S, S, S))
    for a in range(S):
        P[:, a, a] = 1.0  # action a moves to state a
    c = rng.uniform(0, 1, size=S)
    L = rng.normal(size=(S, S))
    K = rng.normal(size=(S, S))
    M = -(L @ L.T + 0.5 * np.eye(S)) + (K - K.T)  # symmetric part <= -0.5 I: strongly monotone
    game = MeanFieldGame(P, np.repeat(c[:, None], S, axis=1), M, horizon=2, initial_distribution=np.eye(S)[0])
    return game, c, M


def _wardrop(c, M):
    """x in the simplex with c + M x = v on its support and <= v off it (support enumeration)."""
    S = len(c)
    found = []
    for k in range(1, S + 1):
        for T in map(list, itertools.combinations(range(S), k)):
            n = len(T)
            lhs = np.zeros((n + 1, n + 1))
            lhs[:n, :n] = M[np.ix_(T, T)]
            lhs[:n, n] = -1.0
            lhs[n, :n] = 1.0
            rhs = np.concatenate([-c[T], [1.0]])
            try:
                z = np.linalg.solve(lhs, rhs)
            except np.linalg.LinAlgError:
                continue
            x = np.zeros(S)
            x[T] = z[:n]
            if (x >= -1e-12).all() and (c + M @ x <= z[n] + 1e-12).all():
                found.append(x)
    assert len(found) == 1  # strict monotonicity: unique
    return found[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wardrop_equilibrium_and_monotone_learning(seed):
    game, c, M = _congestion(seed)
    S = game.n_states
    lam = float(np.linalg.eigvalsh(-(M + M.T) / 2).min())
    assert lam >= 0.5 - 1e-12
    x = _wardrop(c, M)
    pi = np.full((2, S, S), 1.0 / S)
    pi[0, 0] = x
    assert abs(mean_field_exploitability(game, pi).exploitability) <= 64 * S * EPS * (1 + np.abs(M).sum())
    lr = 1.0 / np.linalg.norm(M, 2)
    for res in (mean_field_fictitious_play(game, 200), mean_field_mirror_descent(game, 200, learning_rate=lr)):
        phi = res.exploitability
        assert phi == res.exploitability_history[-1] and phi >= -1e-14
        assert np.sum((res.flow[1] - x) ** 2) <= phi / lam + 1e-12
        assert phi <= 0.05 * res.exploitability_history[0]
    fp = mean_field_fictitious_play(game, 1000).exploitability_history
    slope = np.polyfit(np.log([100, 300, 1000]), np.log(fp[[100, 300, 1000]]), 1)[0]
    assert slope < -0.5


def test_fixed_point_iteration_cycles_on_crowd_aversion():
    P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])  # action 0 stays, 1 switches
    game = MeanFieldGame(P, np.zeros((2, 2)), -np.eye(2), horizon=2, initial_distribution=[1.0, 0.0])
    stay = np.zeros((2, 2, 2))
    stay[..., 0] = 1.0
    res = mean_field_fixed_point(game, 6, initial_policy=stay)
    # everyone in one state at the last step pays 1; fleeing to the empty state pays 0
    assert res.exploitability_history.tolist() == [1.0] * 7
    assert mean_field_fictitious_play(game, 100, initial_policy=stay).exploitability <= 1e-2
    mostly_stay = 0.9 * stay + 0.1 * stay[..., ::-1]  # full support; phi = 0.9^2 + 0.1^2 - 0.1 = 0.72
    assert abs(mean_field_exploitability(game, mostly_stay).exploitability - 0.72) <= 8 * EPS
    assert mean_field_mirror_descent(game, 100, initial_policy=mostly_stay).exploitability <= 1e-6
    with pytest.raises(ValueError, match=r"full support; initial_policy\[0, 0, 1\] = 0"):
        mean_field_mirror_descent(game, 3, initial_policy=stay)


def test_validation():
    P = np.full((2, 2, 2), 0.5)
    with pytest.raises(ValueError, match=r"R has shape \(2,\), expected \(2, 2\)"):
        MeanFieldGame(P, np.zeros(2), np.zeros((2, 2)), horizon=1, initial_distribution=[0.5, 0.5])
    bad = P.copy()
    bad[1, 0] = [0.5, 0.6]
    with pytest.raises(ValueError, match="does not sum to 1"):
        MeanFieldGame(bad, np.zeros((2, 2)), np.zeros((2, 2)), horizon=1, initial_distribution=[0.5, 0.5])
    game = MeanFieldGame(P, np.zeros((2, 2)), np.zeros((2, 2)), horizon=1, initial_distribution=[0.5, 0.5])
    with pytest.raises(ValueError, match=r"policy has shape \(2, 2\), expected \(1, 2, 2\)"):
        mean_field_exploitability(game, np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match="learning_rate"):
        mean_field_mirror_descent(game, 3, learning_rate=0.0)


def _de_moivre(n, p):
    """E|X - n p| for X ~ Bin(n, p) (de Moivre's closed form), k = floor(n p) + 1."""
    from math import comb, floor

    k = floor(n * p) + 1
    return 2.0 * k * comb(n, k) * p**k * (1 - p) ** (n - k + 1) if k <= n else 0.0


@pytest.mark.parametrize("n_players", [1, 5, 12])
def test_n_player_flow_independent_players_is_de_moivre(n_players):
    rng = np.random.default_rng(7)
    game = _random_game(7, S=2, A=2, H=4, dependent=False)
    pi = rng.dirichlet(np.ones(2), size=(4, 2))
    res = n_player_flow(game, pi, n_players)
    np.testing.assert_allclose(res.flow, game.flow(pi), rtol=0, atol=0)
    np.testing.assert_allclose(res.expected_flow, res.flow, rtol=0, atol=1e-13)  # i.i.d. players: unbiased
    want = [2.0 * _de_moivre(n_players, float(m[0])) / n_players for m in res.flow]
    np.testing.assert_allclose(res.mean_l1_error, want, rtol=1e-11, atol=1e-15)
    assert res.n_configurations == n_players + 1


def test_n_player_flow_error_rate_is_n_to_the_minus_half():
    game = _random_game(0, S=2, A=2, H=3, dependent=True)
    pi = np.random.default_rng(0).dirichlet(np.ones(2), size=(3, 2))
    N = np.array([8, 16, 32, 64])
    err = np.array([n_player_flow(game, pi, int(n)).mean_l1_error[-1] for n in N])
    fit = fit_power_law(N, err, seed=0)
    assert_rate_at_most(fit, -0.5)
    assert_rate_at_least(fit, -0.5)
