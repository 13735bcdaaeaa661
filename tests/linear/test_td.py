"""TD fixed point theory (Tsitsiklis & Van Roy 1997), LSTD identities, compiled TD/GTD2/TDC, Baird."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.linear import (
    baird_counterexample,
    gtd2,
    lstd,
    mspbe,
    one_hot_features,
    polynomial_features,
    projection,
    random_features,
    td,
    td_fixed_point,
    tdc,
)
from rltheory.proofs_checks.strategies import finite_mdps, policies
from rltheory.tabular import FiniteMDP, policy_evaluation, stationary_distribution

EPS = np.finfo(float).eps


def _positive_mdp(seed, S, A, gamma):
    """Strictly positive kernel: P^pi is irreducible and aperiodic, xi > 0, A is invertible (TvR 1997, Lemma 1)."""
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(S, A))
    return FiniteMDP(P, rng.uniform(-1, 1, (S, A)), gamma=gamma), rng


def _bellman_residual(mdp, policy, v):
    Ppi = mdp.policy_transition(policy)
    Ppi = Ppi.toarray() if hasattr(Ppi, "toarray") else Ppi
    return float(np.max(np.abs(v - mdp.policy_reward(policy) - mdp.gamma * (Ppi @ v))))


# ------------------------------------------------------------------ exact objects
@settings(max_examples=40)
@given(mdp=finite_mdps(n_states=st.integers(1, 6), n_actions=st.integers(1, 3), sparse=st.booleans()), data=st.data())
def test_one_hot_features_reproduce_tabular_value(mdp, data):
    """With one-hot features Pi = I, so the TD fixed point is v^pi for any positive weights."""
    policy = data.draw(policies(mdp, deterministic=data.draw(st.booleans())))
    S = mdp.n_states
    res = td_fixed_point(mdp, policy, one_hot_features(S), weights=np.full(S, 1.0 / S))
    v = policy_evaluation(mdp, policy).v
    # ||x - v^pi||_inf <= ||T^pi x - x||_inf / (1 - gamma) (Puterman 2005, Thm 6.2.3 argument); the residuals
    # are computed in floating point, which adds a few ulps of the magnitudes involved.
    scale = 1.0 + np.max(np.abs(v)) + np.max(np.abs(mdp.R))
    tol = (_bellman_residual(mdp, policy, res.value) + _bellman_residual(mdp, policy, v) + 8 * S * EPS * scale) / (1 - mdp.gamma)
    assert np.max(np.abs(res.value - v)) <= tol
    assert res.approximation_error <= 8 * S * EPS * scale


@settings(max_examples=40)
@given(
    seed=st.integers(0, 2**32 - 1),
    S=st.integers(2, 8),
    A=st.integers(1, 3),
    gamma=st.floats(0.0, 0.99),
    lam=st.sampled_from([0.0, 0.3, 0.9, 1.0]),
)
def test_tsitsiklis_van_roy_bound(seed, S, A, gamma, lam):
    """||Phi theta - v||_D <= ||Pi v - v||_D / sqrt(1 - alpha^2) <= (1 - lam gamma)/(1 - gamma) ||Pi v - v||_D (TvR 1997, Thm 1)."""
    mdp, rng = _positive_mdp(seed, S, A, gamma)
    d = int(rng.integers(1, S + 1))
    phi = random_features(S, d, rng=rng)
    policy = rng.dirichlet(np.ones(A), size=S)
    res = td_fixed_point(mdp, policy, phi, lambda_=lam)
    assert res.weights_stationary
    # rounding: solves with condition number kappa lose ~kappa * eps relative accuracy
    allow = 1e3 * EPS * np.linalg.cond(res.A) * (1.0 + np.max(np.abs(res.v_pi)))
    assert res.approximation_error <= res.error + allow  # Pi v is the best approximation in ||.||_D
    assert res.error <= res.bound + allow
    assert res.bound <= res.tvr_bound + allow  # 1/sqrt(1 - alpha^2) <= (1 - lam gamma)/(1 - gamma)
    assert res.mspbe <= allow**2 + allow


def test_td_fixed_point_solves_projected_bellman_equation_and_lambda_one_is_projection():
    mdp, rng = _positive_mdp(3, 6, 2, 0.9)
    phi = random_features(6, 3, rng=rng)
    pi = np.zeros(6, dtype=int)
    r0 = td_fixed_point(mdp, pi, phi)
    assert np.allclose(r0.A @ r0.theta, r0.b, rtol=0, atol=1e-12 * np.abs(r0.b).max())
    # lambda = 1: T^(1) v = v^pi, so the fixed point is Pi v^pi (TvR 1997, Thm 1 with lambda = 1)
    r1 = td_fixed_point(mdp, pi, phi, lambda_=1.0)
    assert np.allclose(r1.value, r1.projected_v_pi, rtol=0, atol=1e-10)
    assert r1.modulus == 0.0


def test_projection_is_idempotent_and_orthogonal():
    rng = np.random.default_rng(0)
    phi = random_features(7, 3, rng=rng)
    xi = rng.dirichlet(np.ones(7))
    v = rng.normal(size=7)
    p = projection(phi, v, xi)
    assert np.allclose(projection(phi, p, xi), p, atol=1e-12)
    assert np.allclose(phi.T @ (xi * (v - p)), 0.0, atol=1e-12)  # normal equations


def test_stationary_distribution_and_errors():
    mdp, _ = _positive_mdp(1, 5, 2, 0.9)
    pi = np.ones((5, 2)) / 2
    # default weights are the stationary distribution of P^pi (rltheory.tabular's GTH)
    xi = td_fixed_point(mdp, pi, np.eye(5)).weights
    assert np.allclose(xi @ mdp.policy_transition(pi), xi, atol=1e-13)
    np.testing.assert_array_equal(xi, stationary_distribution(mdp.policy_transition(pi)))
    P = np.zeros((2, 1, 2))
    P[0, 0, 0] = P[1, 0, 1] = 1.0
    two_classes = FiniteMDP(P, np.zeros((2, 1)), gamma=0.5)
    with pytest.raises(ValueError, match="2 recurrent classes.*pass weights explicitly"):
        td_fixed_point(two_classes, np.zeros(2, dtype=int), np.eye(2))
    with pytest.raises(ValueError, match="rows"):
        td_fixed_point(mdp, pi, np.eye(3))
    with pytest.raises(ValueError, match="lambda_"):
        td_fixed_point(mdp, pi, np.eye(5), lambda_=1.5)
    with pytest.raises(ValueError, match="weights"):
        td_fixed_point(mdp, pi, np.eye(5), weights=np.ones(5))


def test_lstd_exact_matrices_equal_the_fixed_point_matrices():
    """E_xi[phi(s)(phi(s) - gamma phi(s'))^T] summed over exact transition probabilities is A; r-weighted is b."""
    mdp, rng = _positive_mdp(5, 5, 2, 0.8)
    phi = random_features(5, 3, rng=rng)
    pi = rng.dirichlet(np.ones(2), size=5)
    res = td_fixed_point(mdp, pi, phi)
    A = np.zeros((3, 3))
    b = np.zeros(3)
    for s in range(5):
        for a in range(2):
            w = res.weights[s] * pi[s, a]
            b += w * mdp.R[s, a] * phi[s]
            for s2 in range(5):
                A += w * mdp.P[s, a, s2] * np.outer(phi[s], phi[s] - mdp.gamma * phi[s2])
    assert np.allclose(A, res.A, atol=1e-13)
    assert np.allclose(b, res.b, atol=1e-13)
    assert np.allclose(np.linalg.solve(A, b), res.theta, atol=1e-10)


def test_lstd_sample_matrices_converge_to_exact():
    """Ergodic theorem: A_hat_n -> A; the error shrinks roughly like n^(-1/2) (here: 10x more steps, >2x smaller)."""
    mdp, rng = _positive_mdp(7, 6, 2, 0.7)
    phi = random_features(6, 3, rng=rng)
    pi = rng.dirichlet(np.ones(2), size=6)
    exact = td_fixed_point(mdp, pi, phi)
    errs, terr = [], []
    for n in (2_000, 20_000, 200_000):
        r = lstd(mdp, phi, pi, n_steps=n, n_runs=8, seed=3)
        errs.append(np.mean(np.linalg.norm(r.A - exact.A, axis=(1, 2))))
        terr.append(np.mean(np.linalg.norm(r.theta - exact.theta, axis=1)))
    assert errs[1] < errs[0] / 2 and errs[2] < errs[1] / 2
    assert terr[2] < terr[0] / 4


def test_td_converges_to_fixed_point_on_policy():
    """TvR (1997) Thm 1: Robbins-Monro steps -> theta_TD; mean error falls by >= 4x over two decades of steps."""
    mdp, rng = _positive_mdp(11, 6, 2, 0.8)
    phi = random_features(6, 3, rng=rng)
    pi = rng.dirichlet(np.ones(2), size=6)
    exact = td_fixed_point(mdp, pi, phi)
    r = td(mdp, phi, pi, alpha=0.5, decay=1.0, decay_offset=100.0, n_steps=200_000, n_runs=8, seed=2, checkpoints=[2_000, 20_000, 200_000])
    err = np.linalg.norm(r.trajectory - exact.theta, axis=2).mean(axis=0)
    assert err[2] < err[0] / 4
    assert np.linalg.norm(phi @ r.theta.mean(axis=0) - exact.v_pi) <= 2 * exact.bound * np.sqrt(1 / exact.weights.min()) + err[2] * np.linalg.norm(phi, 2)


def test_seeded_runs_reproducible_and_independent_of_run_count():
    mdp, rng = _positive_mdp(2, 4, 2, 0.5)
    phi = random_features(4, 2, rng=rng)
    a = td(mdp, phi, np.zeros(4, dtype=int), n_steps=500, n_runs=3, seed=9)
    b = td(mdp, phi, np.zeros(4, dtype=int), n_steps=500, n_runs=1, seed=9)
    assert np.array_equal(a.trajectory[0], b.trajectory[0])
    assert not np.array_equal(a.theta[0], a.theta[1])


# ------------------------------------------------------------------ Baird
def test_baird_expected_off_policy_td_is_unstable():
    """Expected off-policy TD theta <- theta + alpha (b - A theta) diverges iff A has an eigenvalue with Re < 0."""
    bc = baird_counterexample()
    D = np.full(7, 1.0 / 7.0)
    assert np.allclose(stationary_distribution(bc.mdp.policy_transition(bc.behavior)), D, atol=1e-14)
    Ppi = bc.mdp.policy_transition(bc.target)
    A = bc.features.T @ np.diag(D) @ (np.eye(7) - bc.mdp.gamma * Ppi) @ bc.features
    assert np.linalg.eigvals(A).real.min() < 0


def test_baird_td_diverges_while_gtd2_and_tdc_converge():
    bc = baird_counterexample()
    D = np.full(7, 1.0 / 7.0)
    kw = dict(behavior=bc.behavior, theta0=bc.theta0, n_steps=20_000, n_runs=4, seed=0, checkpoints=[1_000, 20_000])
    r = td(bc.mdp, bc.features, bc.target, alpha=0.01, **kw)
    assert (np.linalg.norm(r.theta, axis=1) > 1e6 * np.linalg.norm(bc.theta0)).all()
    start = mspbe(bc.mdp, bc.target, bc.features, bc.theta0, weights=D)
    for learner in (gtd2, tdc):
        res = learner(bc.mdp, bc.features, bc.target, **kw)
        finals = [mspbe(bc.mdp, bc.target, bc.features, t, weights=D) for t in res.theta]
        assert max(finals) < 1e-3 * start
        assert np.abs(res.trajectory).max() < 100 * np.abs(bc.theta0).max()


def test_learner_validation():
    bc = baird_counterexample()
    with pytest.raises(ValueError, match="not covered"):
        td(bc.mdp, bc.features, bc.behavior, behavior=bc.target, n_steps=10)
    with pytest.raises(ValueError, match="alpha"):
        tdc(bc.mdp, bc.features, bc.target, behavior=bc.behavior, alpha=-1.0)
    with pytest.raises(ValueError, match="n_steps"):
        gtd2(bc.mdp, bc.features, bc.target, behavior=bc.behavior, n_steps=0)
    with pytest.raises(ValueError, match="theta0"):
        td(bc.mdp, bc.features, bc.target, behavior=bc.behavior, theta0=np.zeros(3))


@pytest.mark.parametrize("algorithm", ["td", "gtd2", "tdc"])
def test_compiled_learners_match_the_numpy_reference(algorithm):
    from rltheory.linear import gtd2 as g2, td as t0, tdc as tc
    from rltheory.linear._td import td_reference_run

    mdp, rng = _positive_mdp(13, 5, 2, 0.9)
    phi = random_features(5, 3, rng=rng)
    pi = rng.dirichlet(np.ones(2), size=5)
    mu = rng.dirichlet(np.ones(2), size=5)
    kw = dict(behavior=mu, alpha=0.05, decay=0.6, decay_offset=10.0, n_steps=3_000, seed=4)
    fn = {"td": t0, "gtd2": g2, "tdc": tc}[algorithm]
    extra = {"lambda_": 0.7} if algorithm == "td" else {"beta": 0.1}
    res = fn(mdp, phi, pi, checkpoints=1, **kw, **extra)
    ref = td_reference_run(algorithm, mdp, phi, pi, **kw, **extra)
    # same samples, same operations up to reassociation of d-term dot products: a few ulps per step, amplified
    # by at most the number of steps
    assert np.allclose(res.theta[0], ref, rtol=0, atol=1e-9 * (1 + np.abs(ref).max()))
