"""Divergences and KL confidence indices: closed forms against the definitions, indices as exact roots."""

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from rltheory.bandits import (
    bernoulli_kl,
    exponential_kl,
    gaussian_kl,
    kllcb_bernoulli,
    kllcb_gaussian,
    klucb_bernoulli,
    klucb_exponential,
    klucb_gaussian,
    klucb_poisson,
    poisson_kl,
)


@pytest.mark.parametrize(("p", "q"), [(2.0, 1.0), (0.3, 4.0), (7.5, 7.0), (1e-3, 2.0)])
def test_poisson_kl_is_the_sum_over_the_pmf(p, q):
    # KL(Poi(p) || Poi(q)) = sum_k p_k log(p_k / q_k), summed far into both tails
    k = np.arange(0, 400)
    pk, lpk, lqk = stats.poisson.pmf(k, p), stats.poisson.logpmf(k, p), stats.poisson.logpmf(k, q)
    direct = float(np.sum(np.where(pk > 0, pk * (lpk - lqk), 0.0)))
    assert poisson_kl(p, q) == pytest.approx(direct, rel=1e-10, abs=1e-14)


@pytest.mark.parametrize(("p", "q"), [(2.0, 1.0), (0.5, 3.0), (1.0, 1.1)])
def test_exponential_kl_is_the_integral_of_the_densities(p, q):
    # densities of means p and q: x -> exp(-x / m) / m
    f = lambda x: math.exp(-x / p) / p * ((-x / p - math.log(p)) - (-x / q - math.log(q)))  # noqa: E731
    direct, _ = integrate.quad(f, 0, math.inf, epsabs=1e-13, epsrel=1e-12)
    assert exponential_kl(p, q) == pytest.approx(direct, rel=1e-9)


def test_boundary_conventions():
    assert poisson_kl(0.0, 2.5) == 2.5 and poisson_kl(1.0, 0.0) == math.inf and poisson_kl(3.0, 3.0) == 0.0
    assert exponential_kl(0.0, 1.0) == math.inf and exponential_kl(2.0, 2.0) == 0.0
    assert gaussian_kl(1.0, 3.0, 2.0) == 0.5


@pytest.mark.parametrize(
    ("index", "kl", "means"),
    [
        (klucb_poisson, poisson_kl, [0.0, 1e-6, 0.4, 2.0, 30.0]),
        (klucb_exponential, exponential_kl, [1e-6, 0.4, 2.0, 30.0]),
    ],
)
def test_exponential_family_indices_are_the_roots(index, kl, means):
    for p in means:
        for level in (1e-8, 0.01, 0.3, 2.0, 20.0):
            q = index(p, level)
            assert q >= p
            # the exact root by brentq on [p, hi] (d(p, .) increases on [p, inf))
            hi = max(2 * p, 1.0)
            while kl(p, hi) < level:
                hi *= 2
            root = optimize.brentq(lambda x: kl(p, x) - level, p, hi, xtol=1e-15, rtol=1e-15)
            assert q == pytest.approx(root, rel=1e-10, abs=1e-12)
    assert index(1.0, 0.0) == 1.0


def test_bernoulli_lower_index_mirrors_the_upper_one():
    for p in (0.0, 0.01, 0.37, 0.5, 0.99, 1.0):
        for level in (1e-6, 0.05, 0.7, 5.0):
            lo = kllcb_bernoulli(p, level)
            assert lo <= p
            assert lo == pytest.approx(1.0 - klucb_bernoulli(1.0 - p, level), abs=1e-15)
            if 0 < lo < p:
                assert bernoulli_kl(p, lo) == pytest.approx(level, rel=1e-8)


def test_gaussian_indices_are_symmetric_closed_forms():
    assert klucb_gaussian(1.0, 0.5, 2.0) - 1.0 == pytest.approx(1.0 - kllcb_gaussian(1.0, 0.5, 2.0))
    assert gaussian_kl(1.0, kllcb_gaussian(1.0, 0.5, 2.0), 2.0) == pytest.approx(0.5)
