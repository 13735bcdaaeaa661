"""General-utility MDPs: exact optima, the Frank-Wolfe certificate and rate, the variational policy gradient.

Theorems asserted: weak duality of the Frank-Wolfe gap (F* - F(lam) <= g(lam) for concave F; Jaggi 2013, Sec. 2);
Jaggi's Theorem 1 bound F* - F(lam_k) <= 8 L / (k + 2) at every iterate; the linear utility's optimum is the MDP's
(1 - gamma) mu^T v* (Puterman 2005, Thm 6.9.1); the imitation optimum is the expert's occupancy (divergence 0);
closed-form maximum-entropy answers; the variational policy gradient theorem (Zhang et al. 2020, Thm 1) against
finite differences.
"""

import numpy as np
import pytest

from rltheory.tabular import (
    FiniteMDP,
    discounted_occupancy,
    divergence_utility,
    entropy_utility,
    frank_wolfe_gap,
    linear_utility,
    maximize_utility,
    policy_iteration,
)
from rltheory.tabular._occupancy_lp import deterministic_policies


def random_mdp(seed, S=4, A=3, gamma=0.8, mask=False):
    rng = np.random.default_rng(seed)
    action_mask = None
    if mask:
        action_mask = rng.uniform(size=(S, A)) < 0.7
        action_mask[np.arange(S), rng.integers(0, A, S)] = True
    return FiniteMDP(
        rng.dirichlet(np.full(S, 0.5), size=(S, A)),
        np.zeros((S, A)),
        gamma=gamma,
        initial_distribution=rng.dirichlet(np.ones(S)),
        action_mask=action_mask,
    )


def normalized_occupancy(mdp, policy):
    return (1 - mdp.gamma) * discounted_occupancy(mdp, policy)


def random_policy(mdp, rng):
    mask = np.asarray(mdp.action_mask)
    pi = np.where(mask, rng.dirichlet(np.ones(mdp.n_actions), size=mdp.n_states), 0.0)
    return pi / pi.sum(axis=1, keepdims=True)


def utilities(mdp, rng):
    S, A = mdp.n_states, mdp.n_actions
    target = normalized_occupancy(mdp, random_policy(mdp, rng))
    target = 0.9 * target + 0.1 / (S * A)  # strictly positive, also on disallowed pairs (where lam = 0)
    return [
        entropy_utility("state"),
        entropy_utility("state_action", smoothing=0.05),
        divergence_utility(target, "kl"),
        divergence_utility(target, "chi2"),
        linear_utility(rng.uniform(-1, 1, size=(S, A))),
    ]


@pytest.mark.parametrize("seed", range(4))
def test_cvxpy_optimum_beats_every_policy_and_the_gap_certifies_it(seed):
    mdp = random_mdp(seed, mask=seed % 2 == 1)
    rng = np.random.default_rng(seed)
    for U in utilities(mdp, rng):
        res = maximize_utility(mdp, U)
        assert res.status == "optimal" and res.primal_infeasibility <= 1e-6
        assert res.duality_gap <= 1e-6 and res.converged
        np.testing.assert_allclose(res.occupancy, normalized_occupancy(mdp, res.action_probabilities), atol=1e-12)
        candidates = [normalized_occupancy(mdp, p) for p in deterministic_policies(mdp)]
        candidates += [normalized_occupancy(mdp, random_policy(mdp, rng)) for _ in range(20)]
        for lam in candidates:
            F = U.value(lam)
            assert F <= res.value + res.duality_gap + 1e-12
            # weak duality of the Frank-Wolfe gap at any feasible point
            if np.all(np.isfinite(U.gradient(lam))):
                assert res.value - F <= frank_wolfe_gap(mdp, U, lam) + 1e-9


def test_linear_utility_is_ordinary_rl():
    mdp = random_mdp(5)
    r = np.random.default_rng(5).uniform(size=(4, 3))
    pi_res = policy_iteration(FiniteMDP(mdp.P, r, gamma=mdp.gamma))
    exact = (1 - mdp.gamma) * float(np.asarray(mdp.initial_distribution) @ pi_res.v)
    for method in ("cvxpy", "frank_wolfe"):
        res = maximize_utility(mdp, linear_utility(r), method=method, tol=1e-9)
        assert res.value == pytest.approx(exact, abs=1e-9)
        assert res.value + res.duality_gap >= exact - 1e-12


def test_maximum_state_entropy_closed_forms():
    # action a moves deterministically to state a; lam = (1 - gamma) e_0 + gamma q for the common choice q
    cases = ((2, 0.5, np.log(2)), (3, 0.5, 1.5 * np.log(2)), (4, 0.5, np.log(2) + 0.5 * np.log(3)))
    for S, gamma, expected in cases:
        P = np.zeros((S, S, S))
        P[:, np.arange(S), np.arange(S)] = 1.0
        mu = np.eye(S)[0]
        mdp = FiniteMDP(P, np.zeros((S, S)), gamma=gamma, initial_distribution=mu)
        res = maximize_utility(mdp, entropy_utility("state"))
        # lam_0 >= 1 - gamma is forced; entropy puts the rest uniformly on the other states when 1 - gamma >= 1/S
        lam0 = max(1 - gamma, 1 / S)
        closed = -lam0 * np.log(lam0) - (1 - lam0) * np.log((1 - lam0) / (S - 1))
        assert closed == pytest.approx(expected)
        assert res.value == pytest.approx(closed, abs=1e-9) and res.duality_gap <= 1e-8


@pytest.mark.parametrize("divergence", ["kl", "chi2"])
def test_imitation_recovers_the_expert(divergence):
    mdp = random_mdp(7, S=4, A=3, gamma=0.7)
    rng = np.random.default_rng(1)
    expert = random_policy(mdp, rng)
    target = normalized_occupancy(mdp, expert)
    assert np.all(target > 0)
    res = maximize_utility(mdp, divergence_utility(target, divergence))
    assert -1e-15 <= -res.value <= res.duality_gap <= 1e-9
    np.testing.assert_allclose(res.action_probabilities, expert, atol=1e-5)
    if divergence == "chi2":  # Frank-Wolfe: Jaggi's bound on the divergence left after k steps
        fw = maximize_utility(mdp, divergence_utility(target, "chi2"), method="frank_wolfe", max_iter=200)
        L = divergence_utility(target, "chi2").smoothness
        assert -fw.value <= 8 * L / (fw.iterations + 2)
    else:  # the variational policy gradient closes the gap
        pg = maximize_utility(
            mdp, divergence_utility(target, "kl"), method="policy_gradient", step_size=2.0, max_iter=3000, tol=1e-8
        )
        assert pg.converged and -pg.value <= pg.duality_gap <= 1e-8


@pytest.mark.parametrize(
    "make", [lambda t: divergence_utility(t, "chi2"), lambda t: entropy_utility("state", smoothing=0.1)]
)
def test_frank_wolfe_meets_jaggi_bound_at_every_iterate(make):
    mdp = random_mdp(11, S=5, A=3, gamma=0.8)
    target = normalized_occupancy(mdp, random_policy(mdp, np.random.default_rng(2)))
    U = make(0.8 * target + 0.2 / 15)
    star = maximize_utility(mdp, U)
    F_star_upper = star.value + star.duality_gap
    res = maximize_utility(mdp, U, method="frank_wolfe", max_iter=300, tol=1e-12)
    k = np.arange(len(res.utility_history))
    h = F_star_upper - res.utility_history
    # Jaggi 2013, Theorem 1 (step 2/(k+2)), C_F <= L diam_1^2 = 4 L: F* - F(lam_k) <= 8 L / (k + 2), for k >= 1
    assert np.all(h[1:] <= 8 * U.smoothness / (k[1:] + 2) + 1e-9)
    # the FW gap upper-bounds the primal gap (weak duality) at every iterate
    assert np.all(res.utility_history <= star.value + star.duality_gap + 1e-12)
    assert np.all(res.gap_history >= star.value - res.utility_history - 1e-9)


def test_variational_policy_gradient_matches_finite_differences():
    from rltheory.tabular._utility import _exact_occupancy

    mdp = random_mdp(3, S=3, A=2, gamma=0.7)
    mu = np.asarray(mdp.initial_distribution)
    U = entropy_utility("state_action")
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(3, 2))

    def F_of(th):
        pi = np.exp(th - th.max(axis=1, keepdims=True))
        pi /= pi.sum(axis=1, keepdims=True)
        return U.value(_exact_occupancy(mdp, pi, mu)), pi

    F0, pi = F_of(theta)
    lam = _exact_occupancy(mdp, pi, mu)
    r = U.gradient(lam)
    P = np.asarray(mdp.dense_P)
    v = np.linalg.solve(np.eye(3) - mdp.gamma * np.einsum("sa,sat->st", pi, P), np.sum(pi * r, axis=1))
    adv = r + mdp.gamma * P @ v - v[:, None]
    grad = lam.sum(axis=1, keepdims=True) * pi * adv
    h = 1e-6
    fd = np.zeros_like(theta)
    for s in range(3):
        for a in range(2):
            e = np.zeros_like(theta)
            e[s, a] = h
            fd[s, a] = (F_of(theta + e)[0] - F_of(theta - e)[0]) / (2 * h)
    np.testing.assert_allclose(grad, fd, atol=1e-7)


def test_policy_gradient_ascends_to_the_optimum():
    mdp = random_mdp(4, S=3, A=2, gamma=0.6)
    U = entropy_utility("state_action")
    star = maximize_utility(mdp, U)
    res = maximize_utility(mdp, U, method="policy_gradient", step_size=1.0, max_iter=3000, tol=1e-7)
    assert np.all(np.diff(res.utility_history) >= -1e-12)
    assert star.value - res.value <= res.duality_gap + 1e-9
    assert res.duality_gap <= 1e-6 and res.converged


def test_unreachable_states_do_not_break_the_certificate():
    # state 2 is never reached from state 0 (transitions stay in {0, 1}); its gradient is +inf but irrelevant
    P = np.zeros((3, 2, 3))
    P[0, 0, 0] = P[0, 1, 1] = P[1, 0, 0] = P[1, 1, 1] = 1.0
    P[2, :, 2] = 1.0
    mdp = FiniteMDP(P, np.zeros((3, 2)), gamma=0.5, initial_distribution=[1.0, 0.0, 0.0])
    res = maximize_utility(mdp, entropy_utility("state_action"))
    assert np.isfinite(res.duality_gap) and res.duality_gap <= 1e-8
    assert np.all(res.occupancy[2] == 0)


def test_errors():
    mdp = random_mdp(0)
    with pytest.raises(ValueError, match="smooth"):
        maximize_utility(mdp, entropy_utility("state"), method="frank_wolfe")
    with pytest.raises(ValueError, match="strictly positive"):
        divergence_utility(np.eye(4, 3) / 3)
    with pytest.raises(ValueError, match="expected 1"):
        divergence_utility(np.full((4, 3), 0.5))
    with pytest.raises(ValueError, match="Utility"):
        maximize_utility(mdp, lambda lam: 0.0)
    with pytest.raises(ValueError, match="method"):
        maximize_utility(mdp, entropy_utility(), method="newton")
    with pytest.raises(ValueError, match="kind"):
        entropy_utility("action")
    with pytest.raises(ValueError, match="initial distribution"):
        maximize_utility(FiniteMDP(mdp.P, mdp.R, gamma=0.8), entropy_utility())
