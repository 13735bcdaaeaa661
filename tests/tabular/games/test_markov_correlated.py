"""Markov CE/CCE of general-sum games by backward induction: deviation gains by brute force.

Checked against independent code:
- CCE gains: every deterministic Markov deviation policy of each player, evaluated by enumerating trajectories
  (the others draw their joint action from the marginal of the correlated policy): the best equals
  markov_deviation_gains; CE gains: every deterministic strategy modification phi_h(s, a_i);
- the backward-induction equilibrium has every gain at most H * stage_violation (regret decomposition, module
  docstring), every stage distribution satisfies the stage incentive constraints (ce_violation / cce_violation of
  the stage game Q_h(s) rebuilt from the enumerated values), and a CE is a CCE;
- a two-step prisoner's dilemma: the unique CE defects at every step (doctest).
"""

import itertools

import numpy as np
import pytest

from rltheory.tabular.games import (
    GeneralSumMarkovGame,
    MatrixGame,
    cce_violation,
    ce_violation,
    markov_correlated_equilibrium,
    markov_deviation_gains,
)


def _game(seed, S=2, A=2, B=2, H=2):
    rng = np.random.default_rng(seed)
    return GeneralSumMarkovGame(
        rng.dirichlet(np.ones(S), size=(S, A, B)),
        rng.uniform(-1, 1, size=(2, S, A, B)),
        horizon=H,
        initial_distribution=rng.dirichlet(np.ones(S)),
    )


def _value(game, i, step_law):
    """rho^T V_i by trajectory enumeration; ``step_law(h, s)`` -> joint action distribution (A, B)."""
    S, H = game.n_states, game.horizon
    A, B = game.n_actions
    total = 0.0
    for s0 in range(S):
        for path in itertools.product(range(A), range(B), range(S), repeat=H):
            p, s, ret = game.initial_distribution[s0], s0, 0.0
            for h in range(H):
                a, b, t = path[3 * h : 3 * h + 3]
                p *= step_law(h, s)[a, b] * game.P[s, a, b, t]
                ret += game.R[i, s, a, b]
                s = t
            total += p * ret
    return total


def _brute_gains(game, pi, kind):
    S, H = game.n_states, game.horizon
    A, B = game.n_actions
    gains = []
    for i, (n_own, axis) in enumerate([(A, 0), (B, 1)]):
        base = _value(game, i, lambda h, s: pi[h, s])
        best = -np.inf
        if kind == "cce":
            for acts in itertools.product(range(n_own), repeat=H * S):

                def law(h, s, acts=acts):
                    e = np.eye(n_own)[acts[h * S + s]]
                    other = pi[h, s].sum(axis=axis)
                    return np.outer(e, other) if i == 0 else np.outer(other, e)

                best = max(best, _value(game, i, law))
        else:
            for phi in itertools.product(range(n_own), repeat=H * S * n_own):

                def law(h, s, phi=phi):
                    m = np.zeros((n_own, n_own))
                    for r in range(n_own):
                        m[r, phi[(h * S + s) * n_own + r]] = 1.0
                    return m.T @ pi[h, s] if i == 0 else pi[h, s] @ m

                best = max(best, _value(game, i, law))
        gains.append(best - base)
    return np.array(gains)


@pytest.mark.parametrize("kind", ["cce", "ce"])
@pytest.mark.parametrize("seed", [0, 1])
def test_deviation_gains_by_brute_force(kind, seed):
    game = _game(seed)
    pi = np.random.default_rng(seed + 7).dirichlet(np.ones(4), size=(2, 2)).reshape(2, 2, 2, 2)
    np.testing.assert_allclose(markov_deviation_gains(game, pi, kind), _brute_gains(game, pi, kind), atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_induction_equilibria(seed):
    game = _game(seed, S=2, A=2, B=3, H=3)
    H = game.horizon
    for kind, violation in (("cce", cce_violation), ("ce", ce_violation)):
        res = markov_correlated_equilibrium(game, kind)
        assert res.stage_violation <= 1e-6
        assert (np.asarray(res.deviation_gains) <= H * res.stage_violation + 1e-9).all()
        if kind == "ce":  # the identity modification is a deviation (a CCE may beat every fixed deviation)
            assert (np.asarray(res.deviation_gains) >= -1e-9).all()
        V = np.asarray(res.values)
        for h in range(H):
            Q = game.q_values(V[h + 1])
            for s in range(game.n_states):
                assert violation(MatrixGame(Q[:, s]), res.policy[h, s]) <= 1e-6
        if kind == "ce":  # a CE is a CCE
            assert (markov_deviation_gains(game, res.policy, "cce") <= H * res.stage_violation + 1e-9).all()
