"""Representations: validation, moments, CDF / quantile function, sampling (DKW)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rltheory.distributional import CategoricalDistribution, FiniteDistribution, QuantileDistribution
from tests.distributional._helpers import finite_distributions


def test_finite_merges_sorts_and_drops_zero_mass():
    d = FiniteDistribution([2.0, -1.0, 2.0, 5.0], [0.25, 0.25, 0.5, 0.0])
    np.testing.assert_array_equal(d.atoms, [-1.0, 2.0])
    np.testing.assert_array_equal(d.probs, [0.25, 0.75])
    assert not d.atoms.flags.writeable and not d.probs.flags.writeable


@given(finite_distributions())
def test_moments_match_definitions(d):
    x, p = d.atoms, d.probs
    m = float(np.sum(p * x))
    assert math.isclose(d.mean(), m, rel_tol=1e-12, abs_tol=1e-12)
    assert d.variance() >= 0
    assert math.isclose(d.variance(), float(np.sum(p * x * x)) - m * m, rel_tol=1e-9, abs_tol=1e-9)


@given(finite_distributions(), st.floats(0.0, 1.0))
def test_cdf_monotone_and_quantile_is_generalized_inverse(d, tau):
    grid = np.linspace(d.atoms[0] - 1, d.atoms[-1] + 1, 101)
    F = d.cdf(grid)
    assert np.all(np.diff(F) >= 0) and F[0] == 0.0 and F[-1] == 1.0
    q = d.quantile(tau)
    # F(q) >= tau and F(x) < tau for every atom x < q  (inf{x : F(x) >= tau})
    assert d.cdf(q) >= tau - 1e-12
    below = d.atoms[d.atoms < q]
    assert np.all(d.cdf(below) < tau + 1e-12)


def test_categorical_and_quantile_laws():
    c = CategoricalDistribution([0.0, 1.0, 3.0], [0.5, 0.0, 0.5])
    assert c.mean() == 1.5 and c.cdf(0.9) == 0.5 and c.quantile(0.5) == 0.0 and c.quantile(0.51) == 3.0
    q = QuantileDistribution([4.0, 0.0, 2.0, 2.0])
    np.testing.assert_array_equal(q.locations, [0.0, 2.0, 2.0, 4.0])
    assert q.n_quantiles == 4 and q.mean() == 2.0 and q.variance() == 2.0
    assert q.quantile(0.125) == 0.0 and q.quantile(0.375) == 2.0 and q.quantile(0.875) == 4.0


@given(finite_distributions(max_atoms=4))
def test_sampling_within_dkw_band(d):
    # Dvoretzky-Kiefer-Wolfowitz with Massart's constant: P(sup|F_n - F| > eps) <= 2 exp(-2 n eps^2)
    n, delta = 4000, 1e-6
    eps = math.sqrt(math.log(2 / delta) / (2 * n))
    s = np.sort(d.sample(n, rng=123))
    emp = np.searchsorted(s, d.atoms, side="right") / n
    assert np.max(np.abs(emp - d.cdf(d.atoms))) <= eps
    np.testing.assert_array_equal(d.sample(5, rng=7), d.sample(5, rng=7))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: FiniteDistribution([], []), "empty"),
        (lambda: FiniteDistribution([0.0, 1.0], [0.5, 0.6]), "sums to"),
        (lambda: FiniteDistribution([0.0, 1.0], [1.5, -0.5]), r"probs\[1\]"),
        (lambda: FiniteDistribution([0.0, np.nan], [0.5, 0.5]), "finite"),
        (lambda: FiniteDistribution([0.0, 1.0], [1.0]), "shape"),
        (lambda: CategoricalDistribution([0.0, 0.0], [0.5, 0.5]), "strictly increasing"),
        (lambda: QuantileDistribution([]), "empty"),
        (lambda: QuantileDistribution([np.inf]), "finite"),
    ],
)
def test_bad_input_raises(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_quantile_level_out_of_range():
    with pytest.raises(ValueError, match="tau"):
        FiniteDistribution([0.0], [1.0]).quantile(1.5)
