"""Dual RL: strong duality and KKT recovery of the f-divergence-regularized occupancy program (KL, chi2, TV).

Theorems asserted: weak and strong duality of the concave program with linear constraints (Sikchi et al. 2024,
Sec. 3-4; Boyd & Vandenberghe 2004, Sec. 5.2.3 Slater), the dual being unconstrained for KL and chi2 (checked by
minimizing it with L-BFGS, independently of cvxpy), the KKT recovery d* = d^O w*, the conjugates f*_p against a
brute-force supremum, and the sandwich J* - alpha D_f(d_0* || d^O) <= P_alpha <= J* (D_f >= 0).
"""

import numpy as np
import pytest
import scipy.optimize as so

from rltheory.tabular import FiniteMDP, conjugate_generator, discounted_occupancy, dual_rl, linear_programming


def instance(seed, S=4, A=3, mask=False):
    rng = np.random.default_rng(seed)
    action_mask = None
    if mask:
        action_mask = rng.uniform(size=(S, A)) < 0.7
        action_mask[:, 0] = True
    mdp = FiniteMDP(
        rng.dirichlet(np.ones(S), size=(S, A)),
        rng.uniform(-1, 1, size=(S, A)),
        gamma=0.85,
        initial_distribution=rng.dirichlet(np.ones(S)),
        action_mask=action_mask,
    )
    dO = rng.dirichlet(np.ones(S * A)).reshape(S, A)
    if mask:
        dO = np.where(action_mask, dO, 0.0)
        dO /= dO.sum()
    return mdp, dO


@pytest.mark.parametrize("divergence", ["kl", "chi2", "tv"])
@pytest.mark.parametrize("seed", range(3))
def test_dual_optimum_equals_primal_and_kkt_recovers_the_occupancy(divergence, seed):
    mdp, dO = instance(seed, mask=seed == 2)
    for alpha in (0.05, 1.0):
        res = dual_rl(mdp, dO, alpha, divergence)
        assert res.status == "optimal"
        assert 0.0 <= res.duality_gap <= 1e-8 * max(1.0, abs(res.primal_value))
        assert res.dual_value >= res.primal_value - 1e-12  # weak duality at the returned points
        assert res.kkt_residual <= 1e-4
        # the regularized optimum is sandwiched by the unregularized one: D_f >= 0 and D_f(d_0*) >= P gap
        lp = linear_programming(FiniteMDP(mdp.P, mdp.R, gamma=mdp.gamma, action_mask=mdp.action_mask))
        mu = np.asarray(mdp.initial_distribution)
        J_star = (1 - mdp.gamma) * float(mu @ lp.v)
        d0 = (1 - mdp.gamma) * discounted_occupancy(mdp, lp.policy, initial_distribution=mu)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(dO > 0, d0 / np.where(dO > 0, dO, 1), 0)
        f = {
            "kl": np.where(w > 0, w * np.log(np.where(w > 0, w, 1)), 0),
            "chi2": (w - 1) ** 2,
            "tv": 0.5 * np.abs(w - 1),
        }[divergence]
        Df0 = float(np.sum(np.where(np.asarray(mdp.action_mask), dO * f, 0)))
        assert J_star - alpha * Df0 - 1e-7 <= res.primal_value <= J_star + 1e-7


@pytest.mark.parametrize("divergence", ["kl", "chi2"])
def test_the_unconstrained_dual_minimized_by_lbfgs_matches(divergence):
    mdp, dO = instance(5)
    alpha = 0.5
    res = dual_rl(mdp, dO, alpha, divergence)
    S, A = dO.shape
    P = np.asarray(mdp.dense_P)
    r = np.asarray(mdp.R)
    mu = np.asarray(mdp.initial_distribution)

    def dual(V):
        delta = (r + mdp.gamma * P @ V - V[:, None]) / alpha
        return (1 - mdp.gamma) * mu @ V + alpha * np.sum(dO * conjugate_generator(divergence, delta))

    out = so.minimize(dual, np.zeros(S), method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000})
    assert out.fun == pytest.approx(res.primal_value, abs=1e-7)
    np.testing.assert_allclose(out.x, res.v, atol=1e-4)


@pytest.mark.parametrize("divergence", ["kl", "chi2", "tv"])
def test_conjugates_against_a_brute_force_supremum(divergence):
    w = np.linspace(0, 50, 500_001)
    f = {"kl": np.where(w > 0, w * np.log(np.where(w > 0, w, 1)), 0), "chi2": (w - 1) ** 2, "tv": 0.5 * np.abs(w - 1)}[
        divergence
    ]
    for y in (-3.0, -1.0, -0.5, 0.0, 0.3, 0.5, 1.5):
        if divergence == "tv" and y > 0.5:
            assert conjugate_generator("tv", y) == np.inf
            continue
        brute = float(np.max(w * y - f))
        assert conjugate_generator(divergence, y) == pytest.approx(brute, abs=1e-6)


def test_errors():
    mdp, dO = instance(0)
    bad = dO.copy()
    bad[0, 0] = 0.0
    with pytest.raises(ValueError, match="positive on every allowed pair"):
        dual_rl(mdp, bad / bad.sum(), 0.1)
    with pytest.raises(ValueError, match="divergence"):
        dual_rl(mdp, dO, 0.1, "hellinger")
    with pytest.raises(ValueError, match="alpha"):
        dual_rl(mdp, dO, 0.0)
