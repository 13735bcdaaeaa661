"""Metrics: identities against scipy.stats and between orders, metric axioms."""

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

from rltheory.distributional import (
    FiniteDistribution,
    QuantileDistribution,
    cramer_distance,
    kolmogorov_distance,
    supremum_distance,
    wasserstein_distance,
)
from tests.distributional._helpers import finite_distributions

TOL = 1e-9  # sums of <= 24 products of numbers <= 20: rounding far below this


@given(finite_distributions(), finite_distributions())
def test_w1_equals_scipy(a, b):
    ref = scipy.stats.wasserstein_distance(a.atoms, b.atoms, a.probs, b.probs)
    assert math.isclose(wasserstein_distance(a, b, 1), ref, rel_tol=1e-9, abs_tol=TOL)


@given(finite_distributions(), finite_distributions())
def test_cramer_is_energy_distance_over_sqrt2(a, b):
    # scipy: energy distance = sqrt(2) * (int (F - G)^2)^(1/2)  (Szekely & Rizzo 2013, Eq. 2.3)
    ref = scipy.stats.energy_distance(a.atoms, b.atoms, a.probs, b.probs) / math.sqrt(2)
    assert math.isclose(cramer_distance(a, b), ref, rel_tol=1e-7, abs_tol=1e-7)


@given(st.integers(1, 8), st.data())
def test_equal_weight_quantile_laws_have_sorted_coupling(n, data):
    xs = data.draw(st.lists(st.floats(-10, 10), min_size=n, max_size=n))
    ys = data.draw(st.lists(st.floats(-10, 10), min_size=n, max_size=n))
    a, b = QuantileDistribution(xs), QuantileDistribution(ys)
    d = np.abs(np.sort(xs) - np.sort(ys))
    assert math.isclose(wasserstein_distance(a, b, 2), math.sqrt(np.mean(d**2)), rel_tol=1e-9, abs_tol=TOL)
    assert math.isclose(wasserstein_distance(a, b, np.inf), d.max(), rel_tol=1e-12, abs_tol=TOL)


@given(finite_distributions(), finite_distributions(), finite_distributions())
def test_metric_axioms_and_order_monotonicity(a, b, c):
    for d in (
        lambda x, y: wasserstein_distance(x, y, 1),
        lambda x, y: wasserstein_distance(x, y, 2),
        lambda x, y: wasserstein_distance(x, y, np.inf),
        cramer_distance,
        kolmogorov_distance,
    ):
        assert d(a, a) == 0
        assert math.isclose(d(a, b), d(b, a), rel_tol=1e-12, abs_tol=TOL)
        assert d(a, c) <= d(a, b) + d(b, c) + TOL
    # W_p is non-decreasing in p (Jensen / Lyapunov)
    w1, w2, winf = (wasserstein_distance(a, b, p) for p in (1, 2, np.inf))
    assert w1 <= w2 + TOL and w2 <= winf + TOL
    assert 0 <= kolmogorov_distance(a, b) <= 1


@given(finite_distributions(), finite_distributions())
def test_kolmogorov_is_sup_over_a_fine_grid(a, b):
    grid = np.union1d(a.atoms, b.atoms)
    assert kolmogorov_distance(a, b) == pytest.approx(np.max(np.abs(a.cdf(grid) - b.cdf(grid))), abs=1e-12)


def test_supremum_distance_and_errors():
    a = [FiniteDistribution([0.0], [1.0]), FiniteDistribution([0.0, 1.0], [0.5, 0.5])]
    b = [FiniteDistribution([1.0], [1.0]), FiniteDistribution([1.0], [1.0])]
    assert supremum_distance(a, b, metric="kolmogorov") == 1.0
    assert supremum_distance(a, b, metric="cramer") == 1.0
    with pytest.raises(ValueError, match="metric"):
        supremum_distance(a, b, metric="tv")
    with pytest.raises(ValueError, match="lengths"):
        supremum_distance(a, b[:1])
    with pytest.raises(ValueError, match="order"):
        wasserstein_distance(a[0], b[0], 0.5)
    with pytest.raises(ValueError, match="expected a FiniteDistribution"):
        cramer_distance([0.0], b[0])
