"""TD fixed point theory (Tsitsiklis & Van Roy 1997), LSTD identities, compiled TD/GTD2/TDC, Baird."""

from fractions import Fraction

import numpy as np
import pytest
import scipy.stats
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.linear import (
    baird_counterexample,
    boyan_chain,
    gtd2,
    lstd,
    mspbe,
    one_hot_features,
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
    residuals = _bellman_residual(mdp, policy, res.v) + _bellman_residual(mdp, policy, v)
    tol = (residuals + 8 * S * EPS * scale) / (1 - mdp.gamma)
    assert np.max(np.abs(res.v - v)) <= tol
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
    """||Phi theta - v||_D <= ||Pi v - v||_D / sqrt(1 - alpha^2) <= (1 - lam gamma)/(1 - gamma) ||Pi v - v||_D.

    Tsitsiklis & Van Roy (1997), Lemma 4 and Theorem 1."""
    mdp, rng = _positive_mdp(seed, S, A, gamma)
    d = int(rng.integers(1, S + 1))
    phi = random_features(S, d, rng=rng)
    policy = rng.dirichlet(np.ones(A), size=S)
    res = td_fixed_point(mdp, policy, phi, lambda_=lam)
    assert res.on_policy_weights
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
    assert np.allclose(r1.v, r1.projected_v_pi, rtol=0, atol=1e-10)
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
        r = lstd(mdp, pi, phi, n_steps=n, n_runs=8, seed=3)
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
    r = td(
        mdp,
        pi,
        phi,
        alpha=0.5,
        decay=1.0,
        decay_offset=100.0,
        n_steps=200_000,
        n_runs=8,
        seed=2,
        checkpoints=[2_000, 20_000, 200_000],
    )
    err = np.linalg.norm(r.trajectory - exact.theta, axis=2).mean(axis=0)
    assert err[2] < err[0] / 4
    allowed = 2 * exact.bound * np.sqrt(1 / exact.weights.min()) + err[2] * np.linalg.norm(phi, 2)
    assert np.linalg.norm(phi @ r.theta.mean(axis=0) - exact.v_pi) <= allowed


def test_seeded_runs_reproducible_and_independent_of_run_count():
    mdp, rng = _positive_mdp(2, 4, 2, 0.5)
    phi = random_features(4, 2, rng=rng)
    a = td(mdp, np.zeros(4, dtype=int), phi, n_steps=500, n_runs=3, seed=9)
    b = td(mdp, np.zeros(4, dtype=int), phi, n_steps=500, n_runs=1, seed=9)
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
    r = td(bc.mdp, bc.target, bc.features, alpha=0.01, **kw)
    assert (np.linalg.norm(r.theta, axis=1) > 1e6 * np.linalg.norm(bc.theta0)).all()
    start = mspbe(bc.mdp, bc.target, bc.features, bc.theta0, weights=D)
    for learner in (gtd2, tdc):
        res = learner(bc.mdp, bc.target, bc.features, **kw)
        finals = [mspbe(bc.mdp, bc.target, bc.features, t, weights=D) for t in res.theta]
        assert max(finals) < 1e-3 * start
        assert np.abs(res.trajectory).max() < 100 * np.abs(bc.theta0).max()


def test_learner_validation():
    bc = baird_counterexample()
    with pytest.raises(ValueError, match="not covered"):
        td(bc.mdp, bc.behavior, bc.features, behavior=bc.target, n_steps=10)
    with pytest.raises(ValueError, match="alpha"):
        tdc(bc.mdp, bc.target, bc.features, behavior=bc.behavior, alpha=-1.0)
    with pytest.raises(ValueError, match="n_steps"):
        gtd2(bc.mdp, bc.target, bc.features, behavior=bc.behavior, n_steps=0)
    with pytest.raises(ValueError, match="theta0"):
        td(bc.mdp, bc.target, bc.features, behavior=bc.behavior, theta0=np.zeros(3))


@pytest.mark.parametrize("algorithm", ["td", "gtd2", "tdc"])
def test_compiled_learners_match_the_numpy_reference(algorithm):
    from rltheory.linear import gtd2 as g2
    from rltheory.linear import td as t0
    from rltheory.linear import tdc as tc
    from rltheory.linear._td import td_reference_run

    mdp, rng = _positive_mdp(13, 5, 2, 0.9)
    phi = random_features(5, 3, rng=rng)
    pi = rng.dirichlet(np.ones(2), size=5)
    mu = rng.dirichlet(np.ones(2), size=5)
    kw = dict(behavior=mu, alpha=0.05, decay=0.6, decay_offset=10.0, n_steps=3_000, seed=4)
    fn = {"td": t0, "gtd2": g2, "tdc": tc}[algorithm]
    extra = {"lambda_": 0.7} if algorithm == "td" else {"beta": 0.1}
    res = fn(mdp, pi, phi, checkpoints=1, **kw, **extra)
    ref = td_reference_run(algorithm, mdp, pi, phi, **kw, **extra)
    # same samples, same operations up to reassociation of d-term dot products: a few ulps per step, amplified
    # by at most the number of steps
    assert np.allclose(res.theta[0], ref, rtol=0, atol=1e-9 * (1 + np.abs(ref).max()))


# ------------------------------------------------------------------ episodic (gamma = 1, terminal states)
def _episodic_mdp(seed, n_transient, A):
    """Random episodic chain: states 0..n-1 transient, state n terminal; each (s, a) ends w.p. in [0.1, 0.3]."""
    rng = np.random.default_rng(seed)
    S = n_transient + 1
    P = np.zeros((S, A, S))
    end = rng.uniform(0.1, 0.3, size=(n_transient, A))
    P[:n_transient, :, :n_transient] = (1 - end)[..., None] * rng.dirichlet(np.ones(n_transient), size=(n_transient, A))
    P[:n_transient, :, n_transient] = end
    P[n_transient, :, n_transient] = 1.0
    R = np.zeros((S, A))
    R[:n_transient] = rng.uniform(-1, 1, (n_transient, A))
    mu = np.zeros(S)
    mu[:n_transient] = rng.dirichlet(np.ones(n_transient))
    return FiniteMDP(P, R, gamma=1.0, terminal_states=[n_transient], initial_distribution=mu), rng


def _ci_halfwidth(samples, level=1e-3):
    """Half-widths of simultaneous Student-t confidence intervals for the means of the columns (Bonferroni)."""
    samples = np.asarray(samples).reshape(len(samples), -1)
    n, k = samples.shape
    q = scipy.stats.t.ppf(1 - level / (2 * k), df=n - 1)
    return q * samples.std(axis=0, ddof=1) / np.sqrt(n)


def test_boyan_exact_value_weights_and_fixed_point():
    """v(s) = -2 s solves Boyan's Bellman equation, lies in the span with theta* = (-24, -16, -8, 0), and the episodic
    fixed point (weights: expected visits per episode) is theta* for every lambda (the true value is in the span)."""
    b = boyan_chain()
    S = 13
    v = -2.0 * np.arange(S)
    # Bellman equation by hand: v(1) = -2 + v(0), v(s) = -3 + (v(s-1) + v(s-2)) / 2, v(0) = 0
    assert v[0] == 0 and v[1] == -2 + v[0]
    assert all(v[s] == -3 + 0.5 * (v[s - 1] + v[s - 2]) for s in range(2, S))
    np.testing.assert_allclose(policy_evaluation(b.mdp, b.policy).v, v, rtol=0, atol=1e-12)
    theta_star = np.array([-24.0, -16.0, -8.0, 0.0])
    np.testing.assert_array_equal(b.features @ theta_star, v)  # exact in binary (quarters of multiples of 8)
    # expected visits by the recursion eta(12) = 1, eta(s) = sum_s' eta(s') P(s' -> s), in exact rationals
    eta = [Fraction(0)] * S
    eta[12] = Fraction(1)
    for s in range(11, 0, -1):
        eta[s] = Fraction(1, 2) * eta[s + 1] + (Fraction(1, 2) * eta[s + 2] if s + 2 <= 12 else 0)
    xi = np.array([float(e / sum(eta)) for e in eta])
    for lam in (0.0, 0.3, 0.7, 1.0):
        res = td_fixed_point(b.mdp, b.policy, b.features, lambda_=lam)
        allow = 1e3 * EPS * np.linalg.cond(res.A) * 24
        np.testing.assert_allclose(res.theta, theta_star, rtol=0, atol=allow)
        np.testing.assert_allclose(res.weights, xi, rtol=0, atol=1e-14)
        assert res.on_policy_weights
        assert res.error <= allow and res.approximation_error <= allow and res.mspbe <= allow**2
        assert res.v[0] == 0.0
        # the support of eta is closed under P: ||P^(lambda)||_D <= 1 (docstring proof); Boyan's is < 1
        assert res.modulus < 1.0
        assert np.isinf(res.tvr_bound)
        # existence: the symmetric part of A is positive definite
        assert np.linalg.eigvalsh(res.A + res.A.T).min() > 0


@pytest.mark.parametrize("lam", [0.0, 0.5, 1.0])
def test_boyan_lstd_converges_to_the_published_solution_within_ci(lam):
    """LSTD(lambda) on Boyan's chain (episodes from state 12 to state 0): theta_hat -> theta* = (-24, -16, -8, 0).

    16 independent runs of 50 000 transitions; the run means must lie in simultaneous 99.9% Student-t intervals
    (Bonferroni over the 4 coordinates) around theta* (LSTD's O(1/n) bias is ~1% of the interval here)."""
    b = boyan_chain()
    theta_star = np.array([-24.0, -16.0, -8.0, 0.0])
    res = lstd(b.mdp, b.policy, b.features, lambda_=lam, n_steps=50_000, n_runs=16, seed=11, checkpoints=1)
    half = _ci_halfwidth(res.theta)
    assert np.all(np.abs(res.theta.mean(axis=0) - theta_star) <= half), (res.theta.mean(axis=0), half)
    exact = td_fixed_point(b.mdp, b.policy, b.features, lambda_=lam)
    assert np.all(np.abs(res.A.mean(axis=0) - exact.A) <= _ci_halfwidth(res.A).reshape(4, 4))


@pytest.mark.parametrize("lam", [0.0, 0.9])
def test_boyan_td_converges_to_the_published_solution_within_ci(lam):
    """TD(lambda) with Robbins-Monro steps alpha_t = a / (1 + t / t0) converges to the episodic fixed point theta*
    (Bertsekas & Tsitsiklis 1996, Sec. 6.3). With a t0 min Re eig(A) > 1/2 the mean recursion forgets theta_0
    like (t / t0)^(-a t0 min Re eig(A)), far below the t^(-1/2) noise, so the spread across 16 runs is the error:
    the run means lie in simultaneous 99.9% Student-t intervals around theta*."""
    b = boyan_chain()
    theta_star = np.array([-24.0, -16.0, -8.0, 0.0])
    exact = td_fixed_point(b.mdp, b.policy, b.features, lambda_=lam)
    a, t0 = 0.1, 1_000.0
    assert a * t0 * np.linalg.eigvals(exact.A).real.min() > 2.0  # the forgetting exponent, with room
    res = td(
        b.mdp,
        b.policy,
        b.features,
        lambda_=lam,
        alpha=a,
        decay=1.0,
        decay_offset=t0,
        n_steps=200_000,
        n_runs=16,
        seed=5,
        checkpoints=1,
    )
    half = _ci_halfwidth(res.theta)
    assert np.all(np.abs(res.theta.mean(axis=0) - theta_star) <= half), (res.theta.mean(axis=0), half)
    assert half.max() < 0.5  # and the interval is informative (values are in [-24, 0])


@pytest.mark.parametrize("lam", [0.0, 0.7])
def test_episodic_lstd_limit_is_the_fixed_point_within_ci(lam):
    """Random episodic chain, features not spanning v^pi: LSTD(lambda)'s per-transition averages converge to A, b of
    td_fixed_point with expected-visit weights (renewal-reward theorem), hence theta_hat -> theta_TD."""
    mdp, rng = _episodic_mdp(21, 6, 2)
    phi = random_features(7, 3, rng=rng)
    pi = rng.dirichlet(np.ones(2), size=7)
    exact = td_fixed_point(mdp, pi, phi, lambda_=lam)
    assert exact.approximation_error > 1e-2  # a genuinely approximate instance
    res = lstd(mdp, pi, phi, lambda_=lam, n_steps=100_000, n_runs=16, seed=3, checkpoints=1)
    assert np.all(np.abs(res.theta.mean(axis=0) - exact.theta) <= _ci_halfwidth(res.theta))
    assert np.all(np.abs(res.A.mean(axis=0) - exact.A) <= _ci_halfwidth(res.A).reshape(3, 3))
    assert np.all(np.abs(res.b.mean(axis=0) - exact.b) <= _ci_halfwidth(res.b))


@pytest.mark.parametrize("lam", [Fraction(0), Fraction(1, 2), Fraction(1)])
def test_episodic_fixed_point_equals_the_exact_rational_solution(lam):
    """Tiny episodic chain in exact rationals (sympy): eta = mu^T (I - P)^(-1), D = diag(eta / sum eta), and theta
    solving the normal equations Phi^T D (T^(lambda) Phi theta - Phi theta) = 0 of the projected Bellman equation,
    T^(lambda) v = (I - lambda P)^(-1) (r + (1 - lambda) P v); td_fixed_point must agree to rounding."""
    F = Fraction
    # states 0, 1, 2 transient, 3 terminal; one action
    Pn = [[F(1, 4), F(1, 2), F(0)], [F(0), F(1, 3), F(1, 3)], [F(1, 5), F(1, 5), F(1, 5)]]
    P = np.zeros((4, 1, 4), dtype=object)
    for s in range(3):
        for t in range(3):
            P[s, 0, t] = Pn[s][t]
        P[s, 0, 3] = 1 - sum(Pn[s])
    P[3, 0, 3] = F(1)
    for s in range(4):
        for t in range(4):
            P[s, 0, t] = F(P[s, 0, t])
    R = np.array([[F(1)], [F(-2)], [F(3, 2)], [F(0)]], dtype=object)
    mu = [F(1, 2), F(1, 2), F(0), F(0)]
    Phi = [[F(1), F(0)], [F(1), F(1)], [F(0), F(2)], [F(5), F(7)]]  # the terminal row is not used
    mdp = FiniteMDP(P, R, gamma=1, terminal_states=[3], initial_distribution=[float(m) for m in mu])

    Pm = sympy.Matrix(Pn)
    I3 = sympy.eye(3)
    eta = (sympy.Matrix([mu[:3]]) * (I3 - Pm).inv()).T
    D = sympy.diag(*(eta / sum(eta)))
    Phim = sympy.Matrix(Phi[:3])
    r = sympy.Matrix([R[s, 0] for s in range(3)])
    th = sympy.symbols("t0 t1")
    v = Phim * sympy.Matrix(th)
    lam_ = sympy.Rational(lam.numerator, lam.denominator)
    Tv = (I3 - lam_ * Pm).inv() * (r + (1 - lam_) * Pm * v)
    sol = sympy.solve(list(Phim.T * D * (Tv - v)), th, dict=True)[0]
    exact_theta = np.array([float(sol[t]) for t in th])

    res = td_fixed_point(mdp, np.zeros(4, dtype=int), np.array(Phi, dtype=float), lambda_=float(lam))
    allow = 1e3 * EPS * np.linalg.cond(res.A) * (1 + np.abs(exact_theta).max())
    np.testing.assert_allclose(res.theta, exact_theta, rtol=0, atol=allow)
    np.testing.assert_allclose(res.weights[:3], [float(x) for x in eta / sum(eta)], rtol=0, atol=1e-15)
    assert res.weights[3] == 0.0 and res.v[3] == 0.0


def test_episodic_lambda_one_is_the_weighted_least_squares_projection():
    """T^(1) v = v^pi, so the lambda = 1 fixed point is the D-weighted least-squares fit of v^pi over the
    non-terminal states (TvR 1997 Thm 1 at lambda = 1; Bertsekas & Tsitsiklis 1996 Sec. 6.3), modulus 0."""
    mdp, rng = _episodic_mdp(4, 7, 3)
    phi = random_features(8, 3, rng=rng)
    pi = rng.dirichlet(np.ones(3), size=8)
    res = td_fixed_point(mdp, pi, phi, lambda_=1.0)
    v = policy_evaluation(mdp, pi).v
    xi = res.weights[:7]
    sq = np.sqrt(xi)
    theta_ls = np.linalg.lstsq(phi[:7] * sq[:, None], v[:7] * sq, rcond=None)[0]
    np.testing.assert_allclose(res.theta, theta_ls, rtol=0, atol=1e-10 * (1 + np.abs(theta_ls).max()))
    np.testing.assert_allclose(res.v, res.projected_v_pi, rtol=0, atol=1e-10)
    assert res.modulus == 0.0
    assert abs(res.error - res.approximation_error) <= 1e-12 and abs(res.bound - res.approximation_error) <= 1e-12


@settings(max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), A=st.integers(1, 3), lam=st.sampled_from([0.0, 0.4, 1.0]))
def test_episodic_fixed_point_existence_and_pythagorean_bound(seed, n, A, lam):
    """Proper policy + full-rank features: A is positive definite (the existence proof of td_fixed_point),
    ||P^(lambda)||_D <= 1, ||Pi v - v||_D <= ||Phi theta - v||_D <= ||Pi v - v||_D / sqrt(1 - alpha^2)."""
    mdp, rng = _episodic_mdp(seed, n, A)
    phi = random_features(n + 1, int(rng.integers(1, n + 1)), rng=rng)
    pi = rng.dirichlet(np.ones(A), size=n + 1)
    res = td_fixed_point(mdp, pi, phi, lambda_=lam)
    allow = 1e3 * EPS * np.linalg.cond(res.A) * (1.0 + np.max(np.abs(res.v_pi)))
    assert res.on_policy_weights
    assert np.linalg.eigvalsh(res.A + res.A.T).min() > -allow
    assert res.modulus <= 1.0 + 1e-12
    assert res.approximation_error <= res.error + allow
    if np.isfinite(res.bound):
        assert res.error <= res.bound + allow
    assert res.mspbe <= allow**2 + allow
    if lam == 0.0:  # mspbe is the lambda = 0 objective
        assert mspbe(mdp, pi, phi, res.theta) <= allow**2 + allow


def test_episodic_mspbe_default_weights_are_expected_visits():
    mdp, rng = _episodic_mdp(8, 5, 2)
    phi = random_features(6, 2, rng=rng)
    pi = rng.dirichlet(np.ones(2), size=6)
    res = td_fixed_point(mdp, pi, phi)
    theta = rng.normal(size=2)
    assert mspbe(mdp, pi, phi, theta) == mspbe(mdp, pi, phi, theta, weights=res.weights)
    assert mspbe(mdp, pi, phi, res.theta) < 1e-20
    with pytest.raises(ValueError, match="not both"):
        mspbe(mdp, pi, phi, theta, weights=res.weights, initial_distribution=mdp.initial_distribution)
    # other weights: still a projected fixed point, but no guarantee is claimed
    uniform = np.r_[np.full(5, 0.2), 0.0]
    off = td_fixed_point(mdp, pi, phi, uniform)
    assert not off.on_policy_weights and np.isinf(off.bound) and np.isinf(off.tvr_bound)
    np.testing.assert_array_equal(off.weights, uniform)


def test_episodic_errors_name_the_state():
    # states 0, 1, 2 transient, 3 terminal; action 0: 0 -> 1 -> 3, 2 loops on itself (no terminal reachable);
    # action 1: 0 -> 2 -> 3, 1 -> 3
    P = np.zeros((4, 2, 4))
    P[0, 0, 1] = P[0, 1, 2] = 1.0
    P[1, :, 3] = 1.0
    P[2, 0, 2] = 1.0
    P[2, 1, 3] = 1.0
    P[3, :, 3] = 1.0
    R = np.zeros((4, 2))
    R[:3] = -1.0
    mdp = FiniteMDP(P, R, gamma=1.0, terminal_states=[3], initial_distribution=[0.5, 0.0, 0.5, 0.0])
    loop = np.zeros(4, dtype=int)
    phi = np.eye(4)[:, :3]
    with pytest.raises(ValueError, match="td_fixed_point: the policy is improper: from state 2 no terminal"):
        td_fixed_point(mdp, loop, phi)
    with pytest.raises(ValueError, match="lstd: the policy is improper: from state 2 no terminal"):
        lstd(mdp, loop, phi, n_steps=10)
    # a state no episode visits may be improper for the learners (episodes still end), not for v^pi
    mdp0 = FiniteMDP(P, R, gamma=1.0, terminal_states=[3], initial_distribution=[1.0, 0.0, 0.0, 0.0])
    assert td(mdp0, loop, phi, n_steps=10).theta.shape == (1, 3)
    # off-policy: the behaviour reaches state 2 (action 1 in state 0) and loops there
    behavior = np.array([[0.5, 0.5], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="td: the behaviour policy is improper: from state 2"):
        td(mdp0, loop, phi, behavior=behavior, n_steps=10)
    with pytest.raises(ValueError, match="from state 2"):
        td_fixed_point(mdp0, loop, phi)
    proper = np.ones(4, dtype=int)
    no_mu = FiniteMDP(P, R, gamma=1.0, terminal_states=[3])
    with pytest.raises(ValueError, match="needs an initial distribution"):
        td_fixed_point(no_mu, proper, phi)
    with pytest.raises(ValueError, match="needs an initial distribution"):
        td(no_mu, proper, phi, n_steps=10)
    with pytest.raises(ValueError, match="all its mass on terminal states"):
        td_fixed_point(no_mu, proper, phi, initial_distribution=[0.0, 0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="rows of the non-terminal states of positive weight"):
        td_fixed_point(mdp, proper, np.ones((4, 2)))
    average_reward = FiniteMDP(_cycle(), np.zeros((2, 1)), gamma=1.0)
    with pytest.raises(ValueError, match="average-reward"):
        td_fixed_point(average_reward, np.zeros(2, dtype=int), np.eye(2))
    discounted, _ = _positive_mdp(0, 3, 1, 0.9)
    with pytest.raises(ValueError, match="episodic models only"):
        td_fixed_point(discounted, np.zeros(3, dtype=int), np.eye(3), initial_distribution=[1.0, 0.0, 0.0])


def _cycle():
    P = np.zeros((2, 1, 2))
    P[0, 0, 1] = P[1, 0, 0] = 1.0
    return P


@pytest.mark.parametrize("algorithm", ["td", "gtd2", "tdc"])
def test_compiled_learners_match_the_numpy_reference_on_episodes(algorithm):
    from rltheory.linear._td import td_reference_run

    mdp, rng = _episodic_mdp(17, 4, 2)
    phi = random_features(5, 3, rng=rng)
    pi = rng.dirichlet(np.ones(2), size=5)
    mu = rng.dirichlet(np.ones(2), size=5)
    kw = dict(behavior=mu, alpha=0.05, decay=0.6, decay_offset=10.0, n_steps=3_000, seed=4)
    fn = {"td": td, "gtd2": gtd2, "tdc": tdc}[algorithm]
    extra = {"lambda_": 0.7} if algorithm == "td" else {"beta": 0.1}
    res = fn(mdp, pi, phi, checkpoints=1, **kw, **extra)
    ref = td_reference_run(algorithm, mdp, pi, phi, **kw, **extra)
    assert np.allclose(res.theta[0], ref, rtol=0, atol=1e-9 * (1 + np.abs(ref).max()))
