"""T*(mu) and w*(mu): closed forms, exact (sympy / mpmath) values inside the certified interval, published weights."""

import math

import mpmath
import numpy as np
import pytest
from scipy import optimize

from rltheory.bandits import (
    BernoulliBandit,
    BoundedBandit,
    GaussianBandit,
    bai_lower_bound,
    characteristic_time,
    optimal_weights,
)
from rltheory.bandits._characteristic_time import bernoulli_kl_accurate


def test_two_gaussian_arms_closed_form():
    # w* = (1/2, 1/2) and T* = 8 sigma^2 / Delta^2 (T*^{-1} = sup_w w1 w2 / (w1 + w2) Delta^2 / (2 sigma^2))
    for sigma, means in ((1.0, [1.0, 0.5]), (0.3, [0.0, 2.0]), (2.0, [-1.0, -1.25])):
        ow = optimal_weights(GaussianBandit(means, sigma=sigma))
        exact = 8 * sigma**2 / (means[0] - means[1]) ** 2
        assert ow.converged and ow.lower <= exact <= ow.upper
        np.testing.assert_allclose(ow.weights, [0.5, 0.5], atol=1e-9)


def _mp_bisect(f, lo, hi, n=200):
    """Root of an increasing function on [lo, hi] by n bisection steps (mpmath numbers)."""
    for _ in range(n):
        mid = (lo + hi) / 2
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _gaussian_exact(means, sigma):
    """Gaussian arms: x_a(y) = y / (c_a - y), c_a = Delta_a^2 / (2 sigma^2), F(y) = sum_a x_a(y)^2 (exact forms)."""
    mpmath.mp.dps = 50
    mu = [mpmath.mpf(str(m)) for m in means]
    s2 = mpmath.mpf(str(sigma)) ** 2
    best = max(mu)
    cs = [(best - m) ** 2 / (2 * s2) for m in mu if m != best]
    ystar = _mp_bisect(lambda y: sum((y / (c - y)) ** 2 for c in cs) - 1, mpmath.mpf(0), min(cs))
    xs = [ystar / (c - ystar) for c in cs]
    return float((1 + sum(xs)) / ystar), [float(x / (1 + sum(xs))) for x in xs]


@pytest.mark.parametrize(
    ("means", "sigma"), [([1.0, 0.5, 0.2], 1.0), ([0.0, -0.1, -0.3, -0.35, -1.0], 0.5), ([3, 2.9, 2.9, 1.0], 2.0)]
)
def test_gaussian_exact_value_lies_in_the_certified_interval(means, sigma):
    exact, w_rest = _gaussian_exact(means, sigma)
    ow = optimal_weights(GaussianBandit(means, sigma=sigma), tol=1e-10)
    assert ow.converged and ow.lower <= exact <= ow.upper and ow.upper - ow.lower <= 1e-10 * ow.lower
    best = int(np.argmax(means))
    np.testing.assert_allclose(np.delete(ow.weights, best), w_rest, rtol=1e-8)


def _mp_bernoulli_tstar(means):
    """An independent evaluation of G&K's Theorem 5 in 30-digit arithmetic (bisection to 2^-100 relative)."""
    mpmath.mp.dps = 30
    mu = [mpmath.mpf(str(m)) for m in means]
    m1 = max(mu)
    others = [m for m in mu if m != m1]

    def d(p, q):
        out = mpmath.mpf(0)
        if p > 0:
            out += p * mpmath.log(p / q)
        if p < 1:
            out += (1 - p) * mpmath.log((1 - p) / (1 - q))
        return out

    def x_of(y, ma):
        g = lambda x: d(m1, (m1 + x * ma) / (1 + x)) + x * d(ma, (m1 + x * ma) / (1 + x)) - y  # noqa: E731
        hi = mpmath.mpf(1)
        while g(hi) < 0:
            hi *= 2
        return _mp_bisect(g, mpmath.mpf(0), hi, n=100 + int(mpmath.log(hi, 2)))

    def F(y):
        total = mpmath.mpf(0)
        for ma in others:
            x = x_of(y, ma)
            m = (m1 + x * ma) / (1 + x)
            total += d(m1, m) / d(ma, m)
        return total - 1

    ymax = min(d(m1, ma) for ma in others)
    ystar = _mp_bisect(F, mpmath.mpf(0), ymax * (1 - mpmath.mpf("1e-25")), n=100)
    xs = [x_of(ystar, ma) for ma in others]
    return float((1 + sum(xs)) / ystar)


@pytest.mark.parametrize("means", [[0.5, 0.45, 0.43, 0.4], [0.9, 0.6, 0.1], [0.99, 0.98], [0.2, 0.01, 0.005]])
def test_bernoulli_30_digit_value_lies_in_the_certified_interval(means):
    exact = _mp_bernoulli_tstar(means)
    ow = optimal_weights(BernoulliBandit(means), tol=1e-10)
    assert ow.converged and ow.upper - ow.lower <= 1e-10 * ow.lower
    assert ow.lower <= exact <= ow.upper


def test_garivier_kaufmann_published_weights():
    # Garivier & Kaufmann (2016), Sec. 6: w*(mu_1) = [0.417 0.390 0.136 0.057], w*(mu_2) = [0.336 0.251 0.177 0.132
    # 0.104]
    w1 = optimal_weights(BernoulliBandit([0.5, 0.45, 0.43, 0.4])).weights
    w2 = optimal_weights(BernoulliBandit([0.3, 0.21, 0.2, 0.19, 0.18])).weights
    assert np.round(w1, 3).tolist() == [0.417, 0.390, 0.136, 0.057]
    assert np.round(w2, 3).tolist() == [0.336, 0.251, 0.177, 0.132, 0.104]


def _sup_inf_by_optimization(means):
    """T*^{-1} = sup_w min_a (w_1 + w_a) I_{w_1/(w_1+w_a)}(mu_1, mu_a) by SLSQP on the epigraph (independent method)."""
    mu = np.asarray(means, float)
    best = int(np.argmax(mu))
    others = [a for a in range(mu.size) if a != best]

    def kl(p, q):
        return bernoulli_kl_accurate(p, q)

    def cost(w, a):
        s = w[best] + w[a]
        m = (w[best] * mu[best] + w[a] * mu[a]) / s
        return w[best] * kl(mu[best], m) + w[a] * kl(mu[a], m)

    cons = [{"type": "ineq", "fun": (lambda z, a=a: cost(z[:-1], a) - z[-1])} for a in others]
    cons.append({"type": "eq", "fun": lambda z: z[:-1].sum() - 1})
    z0 = np.append(np.full(mu.size, 1 / mu.size), 0.0)
    res = optimize.minimize(
        lambda z: -z[-1],
        z0,
        constraints=cons,
        bounds=[(1e-9, 1)] * mu.size + [(0, None)],
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 500},
    )
    return 1 / res.x[-1], res.x[:-1]


@pytest.mark.parametrize("means", [[0.5, 0.45, 0.43, 0.4], [0.7, 0.5, 0.5, 0.1]])
def test_nested_bisection_agrees_with_direct_maximisation(means):
    t_opt, w_opt = _sup_inf_by_optimization(means)
    ow = optimal_weights(BernoulliBandit(means))
    # the direct maximisation is only an approximate optimum: T(w_opt) >= T*, and close to it
    assert ow.lower <= t_opt * (1 + 1e-12)
    assert t_opt == pytest.approx(ow.characteristic_time, rel=1e-5)
    np.testing.assert_allclose(ow.weights, w_opt, atol=1e-3)


def test_weights_equalise_the_pairwise_costs():
    # at w*, w_1 g_a(w_a / w_1) = T*^{-1} for every a != 1 (G&K 2016, Thm 5: all x_a(y*) share one y*)
    from rltheory.bandits._characteristic_time import _g

    means = np.array([0.3, 0.21, 0.2, 0.19, 0.18])
    ow = optimal_weights(BernoulliBandit(means))
    w = ow.weights
    values = [w[0] * _g(0, means[0], means[a], w[a] / w[0], 1.0) for a in range(1, 5)]
    np.testing.assert_allclose(values, 1 / ow.characteristic_time, rtol=1e-9)
    assert ow.weights_time >= ow.lower and ow.upper <= ow.weights_time


def test_boundary_means_and_k100():
    ow = optimal_weights(BernoulliBandit([1.0, 0.0, 0.0]))  # d(1, 0) infinite: the doubling start
    assert ow.converged and math.isfinite(ow.characteristic_time)
    rng = np.random.default_rng(0)
    ow = optimal_weights(BernoulliBandit(rng.uniform(0.1, 0.9, 100)))
    assert ow.converged and ow.upper - ow.lower <= 1e-10 * ow.lower
    assert ow.weights.sum() == pytest.approx(1.0, abs=1e-12) and (ow.weights > 0).all()


def test_bernoulli_kl_accurate_has_full_relative_precision():
    mpmath.mp.dps = 40
    for p, q in [(0.5, 0.5000001), (0.3, 0.31), (0.01, 0.0100003), (0.99, 0.9), (0.0, 0.2), (1.0, 0.7)]:
        P, Q = mpmath.mpf(p), mpmath.mpf(q)
        exact = (P * mpmath.log(P / Q) if p > 0 else 0) + ((1 - P) * mpmath.log((1 - P) / (1 - Q)) if p < 1 else 0)
        assert abs(bernoulli_kl_accurate(p, q) - float(exact)) <= 4e-16 * float(exact)


def test_lower_bound_and_characteristic_time():
    b = GaussianBandit([1.0, 0.5])
    assert characteristic_time(b) == pytest.approx(32.0, rel=1e-10)
    # kl(delta, 1 - delta) = (1 - 2 delta) log((1 - delta) / delta)
    assert bai_lower_bound(b, 0.05) == pytest.approx(32.0 * 0.9 * math.log(19.0), rel=1e-9)
    assert bai_lower_bound(b, 0.05) <= characteristic_time(b) * 0.9 * math.log(19.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: optimal_weights(BernoulliBandit([0.5, 0.5, 0.1])), "share the largest mean"),
        (lambda: optimal_weights(BoundedBandit([1.0, 2.0], [1.0, 1.0])), "BernoulliBandit or a GaussianBandit"),
        (lambda: optimal_weights(BernoulliBandit([0.5, 0.1]), tol=0.0), "tol"),
        (lambda: bai_lower_bound(BernoulliBandit([0.5, 0.1]), 0.7), "delta"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_unreachable_tolerance_is_reported_not_raised():
    ow = optimal_weights(BernoulliBandit([0.5, 0.45, 0.43, 0.4]), tol=1e-16)
    assert not ow.converged and ow.lower <= ow.characteristic_time <= ow.upper


def test_outer_newton_converges_quadratically_without_falling_back_to_bisection():
    # F is smooth and increasing near y*: safeguarded Newton from inside the bracket reaches 1e-13 in a handful of
    # steps (quadratic convergence); a converged iterate must not be thrown away for a bisection of the whole
    # bracket when F(y) - 1 is one ulp above 0 (regression: 51 outer iterations for this instance)
    from rltheory.bandits._characteristic_time import solve_y

    means = np.linspace(0.9, 0.1, 100)
    y, iterations = solve_y(0, means[0], means[1:], 1.0, 1e-13, 200, np.empty((2, 99)))
    assert 0 < iterations <= 8
    assert optimal_weights(BernoulliBandit(means)).iterations <= 8
