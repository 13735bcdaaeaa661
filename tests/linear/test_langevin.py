"""The Langevin check: ULA on ridge regression against its exact Gaussian law."""

import numpy as np

from rltheory.linear import langevin_ridge_samples, ula_gaussian_moments


def test_langevin_samples_match_exact_gaussian_law():
    """The ULA iterate is Gaussian with the closed-form moments; check mean (z-test) and covariance (entrywise CLT)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = X @ np.array([1.0, -0.5, 0.2]) + 0.1 * rng.normal(size=20)
    lam, beta, J, n = 1.0, 2.0, 40, 20_000
    Lam = X.T @ X + lam * np.eye(3)
    eta = 0.2 / np.linalg.eigvalsh(Lam).max()
    w = langevin_ridge_samples(
        X, y, regularization=lam, inverse_temperature=beta, step=eta, n_steps=J, n_samples=n, seed=1
    )
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
