"""Linear MDPs: validation, one-hot reduction, LSVI-UCB kernel = naive re-solve, regret, Langevin moments, FQI."""

import numpy as np
import pytest

from rltheory.linear import (
    LinearMDP,
    fitted_q_iteration,
    langevin_ridge_samples,
    lmc_lsvi,
    lsvi_ucb,
    lsvi_ucb_reference,
    one_hot_features,
    random_features,
    ula_gaussian_moments,
)
from rltheory.tabular import FiniteMDP
from rltheory.tabular.envs import chain

EPS = np.finfo(float).eps


def test_validation():
    phi = np.ones((2, 1, 1))
    mu = np.array([[[0.5, 0.5]]])
    with pytest.raises(ValueError, match="sums to"):
        LinearMDP(phi, 2 * mu, [[0.5]], [1.0, 0.0])
    with pytest.raises(ValueError, match="negative"):
        LinearMDP(phi, np.array([[[1.5, -0.5]]]), [[0.5]], [1.0, 0.0])
    with pytest.raises(ValueError, match="outside"):
        LinearMDP(phi, mu, [[1.5]], [1.0, 0.0])
    with pytest.raises(ValueError, match="mu has shape"):
        LinearMDP(phi, np.ones((1, 2, 2)), [[0.5]], [1.0, 0.0])
    m = LinearMDP(phi, mu, [[0.5]], [1.0, 0.0])
    with pytest.raises(ValueError, match="policy"):
        m.policy_values(np.zeros((2, 2), dtype=int))


def test_from_tabular_one_hot_reproduces_the_tabular_kernel_and_values():
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(4), size=(4, 2))
    R = rng.uniform(0, 1, (4, 2))
    mdp = FiniteMDP(P, R, gamma=0.9)
    lin = LinearMDP.from_tabular(mdp, 6)
    assert lin.dim == 8
    assert np.allclose(lin.P, P[None], atol=1e-15) and np.allclose(lin.R, R[None], atol=1e-15)
    V, Q, pol = lin.optimal_values()
    # Bellman optimality equations hold; the greedy policy attains V* (backward induction, Puterman 2005 Thm 4.5.1)
    for h in range(6):
        assert np.allclose(Q[h], R + P @ V[h + 1], atol=1e-13)
    assert np.allclose(lin.policy_values(pol), V, atol=1e-12)


def test_random_low_rank_model_has_rank_at_most_d():
    m = LinearMDP.random(12, 3, 4, horizon=3, rng=1)
    for h in range(3):
        assert np.linalg.matrix_rank(m.P[h].reshape(36, 12)) <= 4


def test_lsvi_ucb_kernel_equals_naive_resolve():
    m = LinearMDP.random(6, 2, 4, horizon=4, rng=2)
    K = 60
    ref = lsvi_ucb_reference(m, K, beta=0.3, seed=4)
    curve = lsvi_ucb(m, K, beta=0.3, n_runs=1, seed=4, checkpoints=np.arange(1, K + 1))
    # same episodes; the two differ only by rounding of Sherman-Morrison vs a fresh inverse
    assert np.allclose(curve.regret[0], ref, rtol=0, atol=1e-9 * K * m.horizon)


def test_lsvi_ucb_regret_is_monotone_and_sublinear():
    m = LinearMDP.random(8, 3, 4, horizon=5, rng=3)
    curve = lsvi_ucb(m, 3_000, beta=0.3, n_runs=6, seed=0, checkpoints=12)
    # every episode's gap rho^T (V* - V^pi) >= 0 since V* is optimal
    assert (np.diff(curve.regret, axis=1) >= -1e-9).all()
    assert curve.slope(t_min=300).upper < 1.0


def test_lmc_lsvi_runs_and_is_reproducible():
    m = LinearMDP.random(6, 2, 3, horizon=4, rng=4)
    a = lmc_lsvi(m, 300, n_runs=3, seed=2, checkpoints=5, inverse_temperature=10.0)
    b = lmc_lsvi(m, 300, n_runs=1, seed=2, checkpoints=5, inverse_temperature=10.0, run_start=1)
    assert np.array_equal(a.regret[1], b.regret[0])
    assert (np.diff(a.regret, axis=1) >= -1e-9).all()
    with pytest.raises(ValueError, match="step_scale"):
        lmc_lsvi(m, 10, step_scale=0.6)


def test_langevin_samples_match_exact_gaussian_law():
    """The ULA iterate is Gaussian with the closed-form moments; check mean (z-test) and covariance (entrywise CLT)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = X @ np.array([1.0, -0.5, 0.2]) + 0.1 * rng.normal(size=20)
    lam, beta, J, n = 1.0, 2.0, 40, 20_000
    Lam = X.T @ X + lam * np.eye(3)
    eta = 0.2 / np.linalg.eigvalsh(Lam).max()
    w = langevin_ridge_samples(X, y, regularization=lam, inverse_temperature=beta, step=eta, n_steps=J, n_samples=n, seed=1)
    mean, cov = ula_gaussian_moments(X, y, regularization=lam, inverse_temperature=beta, step=eta, n_steps=J)
    z = (w.mean(axis=0) - mean) / np.sqrt(np.diag(cov) / n)
    assert np.abs(z).max() < 4.5  # Bonferroni over 3 coordinates at ~2e-5 each
    emp = np.cov(w, rowvar=False)
    # Var of a sample covariance entry of a Gaussian: (S_ii S_jj + S_ij^2) / n
    sd = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert (np.abs(emp - cov) < 5 * sd).all()


def test_langevin_stationary_covariance_approaches_exact_posterior():
    """Stationary ULA covariance = beta^-1 (2 Lambda)^-1 (I - eta Lambda)^-1: relative gap eta l / (1 - eta l) -> 0."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(10, 2))
    y = rng.normal(size=10)
    m_post, c_post = ula_gaussian_moments(X, y, inverse_temperature=3.0)
    lmax = np.linalg.eigvalsh(X.T @ X + np.eye(2)).max()
    for frac in (0.1, 0.01, 0.001):
        eta = frac / lmax
        m, c = ula_gaussian_moments(X, y, inverse_temperature=3.0, step=eta, n_steps=int(200 / frac))
        assert np.allclose(m, m_post, atol=1e-10)
        rel = np.linalg.norm(c - c_post, 2) / np.linalg.norm(c_post, 2)
        assert rel <= frac / (1 - frac) + 1e-9


def test_fqi_one_hot_exact_is_value_iteration_geometric_decay():
    mdp = chain(5, gamma=0.9)
    res = fitted_q_iteration(mdp, one_hot_features(10), 60)
    scale = 1 + np.abs(res.q).max()
    assert (res.q_errors <= res.algorithmic_bound + 1e3 * EPS * scale / (1 - 0.9)).all()
    assert res.policy_errors[-1] <= 2 * 0.9 * res.q_errors[-1] / (1 - 0.9) + 1e-9  # Singh & Yee (1994)


def test_fqi_statistical_floor_shrinks_with_samples():
    mdp = chain(4, gamma=0.8)
    floors = []
    for n in (200, 20_000):
        errs = [fitted_q_iteration(mdp, one_hot_features(8), 40, n_samples=n, rng=s).q_errors[-10:].mean() for s in range(4)]
        floors.append(np.mean(errs))
    assert floors[1] < floors[0] / 3  # ~ n^(-1/2): 100x the samples, ~10x smaller error


def test_fqi_with_misspecified_features_runs():
    mdp = chain(6, gamma=0.8)
    res = fitted_q_iteration(mdp, random_features(12, 4, rng=0), 10)
    assert res.q.shape == (11, 6, 2) and np.isfinite(res.q_errors).all()


def test_lmc_lsvi_kernel_equals_numpy_reference():
    from rltheory.linear import lmc_lsvi_reference

    m = LinearMDP.random(5, 2, 3, horizon=3, rng=5)
    K = 40
    kw = dict(inverse_temperature=5.0, n_langevin_steps=6, n_samples=2, seed=7)
    ref = lmc_lsvi_reference(m, K, **kw)
    curve = lmc_lsvi(m, K, n_runs=1, checkpoints=np.arange(1, K + 1), **kw)
    assert np.allclose(curve.regret[0], ref, rtol=0, atol=1e-9 * K * m.horizon)


def test_agent_records_run_the_algorithms_with_their_parameters():
    import json

    from rltheory.bandits import RegretCurve
    from rltheory.linear import LMCLSVI, LSVIUCB, lmc_lsvi, lsvi_ucb, simulate_linear_mdp

    m = LinearMDP.random(5, 2, 3, horizon=3, rng=7)
    agent = LMCLSVI(inverse_temperature=10.0, n_langevin_steps=5, n_samples=2)
    got = simulate_linear_mdp(m, agent, 40, 3, seed=5, checkpoints=4)
    want = lmc_lsvi(m, 40, inverse_temperature=10.0, n_langevin_steps=5, n_samples=2, n_runs=3, seed=5, checkpoints=4)
    np.testing.assert_array_equal(got.regret, want.regret)
    got = simulate_linear_mdp(m, LSVIUCB(beta=0.3), 40, 3, seed=5, checkpoints=4)
    np.testing.assert_array_equal(got.regret, lsvi_ucb(m, 40, beta=0.3, n_runs=3, seed=5, checkpoints=4).regret)
    # chunk semantics: runs [0, 1) + [1, 3) = runs [0, 3)
    parts = [simulate_linear_mdp(m, LSVIUCB(beta=0.3), 40, n, seed=5, checkpoints=4, run_start=a) for a, n in ((0, 1), (1, 2))]
    np.testing.assert_array_equal(RegretCurve.concatenate(parts).regret, got.regret)
    # the spec covers every defining array and survives JSON
    spec = json.loads(json.dumps(m.to_spec()))
    back = LinearMDP(spec["features"], spec["mu"], spec["theta"], spec["initial_distribution"])
    for name in ("features", "mu", "theta", "initial_distribution", "P", "R"):
        np.testing.assert_array_equal(getattr(back, name), getattr(m, name))
    assert json.loads(json.dumps(agent.to_spec())) == {"type": "LMC-LSVI", "params": agent.params()}
    with pytest.raises(ValueError, match="agent must be LSVIUCB or LMCLSVI"):
        simulate_linear_mdp(m, "LSVI-UCB", 10)
    with pytest.raises(ValueError, match="n_langevin_steps"):
        LMCLSVI(n_langevin_steps=0)
