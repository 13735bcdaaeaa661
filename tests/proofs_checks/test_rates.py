"""Rate fitting recovers known exponents within its bootstrap confidence intervals."""

import numpy as np
import pytest

from rltheory.proofs_checks.rates import (
    assert_rate_at_least,
    assert_rate_at_most,
    fit_exponential_rate,
    fit_log_growth,
    fit_power_law,
    sweep,
    sweep_rate,
)


def _noisy_power(seed, p=-0.5, C=3.0, runs=30):
    rng = np.random.default_rng(seed)
    x = np.array([10, 30, 100, 300, 1000, 3000], dtype=float)
    # multiplicative noise with mean 1, so E[y] = C x^p exactly
    noise = rng.gamma(shape=20.0, scale=1 / 20.0, size=(x.size, runs))
    return x, C * x[:, None] ** p * noise


def test_power_law_fit_recovers_known_exponent():
    x, y = _noisy_power(0)
    fit = fit_power_law(x, y, seed=1)
    assert fit.ci[0] <= -0.5 <= fit.ci[1]
    assert fit.kind == "power" and fit.y.shape == x.shape
    assert_rate_at_most(fit, -0.5)
    assert_rate_at_least(fit, -0.5)
    with pytest.raises(AssertionError, match="significantly above"):
        assert_rate_at_most(fit, -1.0)
    with pytest.raises(AssertionError, match="significantly below"):
        assert_rate_at_least(fit, 0.0)


def test_power_law_fit_pairs_bootstrap_without_replicates():
    x = np.geomspace(1, 1e4, 12)
    rng = np.random.default_rng(3)
    y = 2 * x**1.5 * np.exp(rng.normal(0, 0.05, x.size))
    fit = fit_power_law(x, y, seed=0)
    assert fit.ci[0] <= 1.5 <= fit.ci[1]


def test_exponential_rate_fit_recovers_known_rate():
    rng = np.random.default_rng(5)
    k = np.arange(0, 40, 2)
    e = 7.0 * 0.8**k * np.exp(rng.normal(0, 0.05, k.size))
    fit = fit_exponential_rate(k, e, seed=0)
    assert fit.ci[0] <= 0.8 <= fit.ci[1]
    assert_rate_at_most(fit, 0.8)
    with pytest.raises(AssertionError):
        assert_rate_at_most(fit, 0.7)
    np.testing.assert_allclose(fit.predict(k), 7.0 * 0.8**k, rtol=0.1)


def test_log_growth_fit():
    rng = np.random.default_rng(2)
    T = np.geomspace(100, 1e5, 8)
    y = 5 + 4 * np.log(T)[:, None] + rng.normal(0, 1.0, (T.size, 40))
    fit = fit_log_growth(T, y, seed=0)
    assert fit.ci[0] <= 4 <= fit.ci[1]


def test_sweep_seeds_are_independent_of_order():
    f = lambda n, rng: rng.normal(size=n).mean()  # noqa: E731
    a = sweep(f, [10, 20], n_repeats=3, seed=4).outputs
    b = sweep(f, [10, 20], n_repeats=3, seed=4).outputs
    np.testing.assert_array_equal(a, b)
    assert len(np.unique(a)) == a.size
    fit = sweep_rate(lambda n, rng: abs(rng.normal(size=n).mean()), [50, 200, 800, 3200], n_repeats=60, seed=0)
    # CLT: E|mean_n| = sqrt(2 / (pi n)), exponent -1/2
    assert fit.ci[0] <= -0.5 <= fit.ci[1]


def test_validation():
    with pytest.raises(ValueError, match="at least 3 points"):
        fit_power_law([1, 2], [1, 2])
    with pytest.raises(ValueError, match=r"x\[0\] = 0.0 must be > 0"):
        fit_power_law([0, 1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="mean"):
        fit_exponential_rate([0, 1, 2], [1, 0, 1])
    with pytest.raises(ValueError, match="rows"):
        fit_power_law([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="confidence"):
        fit_power_law([1, 2, 3], [1, 2, 3], confidence=1.5)
    with pytest.raises(ValueError, match="kind"):
        sweep_rate(lambda v, rng: 1.0, [1, 2, 3], kind="cubic")


@pytest.mark.slow
def test_power_law_ci_coverage_over_many_datasets():
    # percentile-bootstrap CIs are asymptotically at the nominal 95%; with 6 points and
    # 30 runs each we require coverage >= 0.85 over 100 independent datasets
    hits = 0
    for seed in range(100):
        x, y = _noisy_power(seed + 1000)
        fit = fit_power_law(x, y, seed=seed, n_bootstrap=1000)
        hits += fit.ci[0] <= -0.5 <= fit.ci[1]
    assert hits >= 85
