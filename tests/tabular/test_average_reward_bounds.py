"""The published forms of Jaksch, Ortner & Auer (2010), Theorems 2 and 5, and their conditions."""

import math

import numpy as np
import pytest

from rltheory.tabular import ucrl2_lower_bound, ucrl2_regret_bound


def test_theorem_2_formula():
    T = np.array([2.0, 10.0, 1e6])
    for S, A, D, delta in ((2, 2, 1.0, 0.1), (6, 2, 14.72, 0.05), (100, 5, 30.0, 0.01)):
        got = ucrl2_regret_bound(S, A, D, T, delta=delta)
        want = [34 * D * S * math.sqrt(A * t * math.log(t / delta)) for t in T]
        np.testing.assert_allclose(got, want, rtol=1e-15)
    # sqrt(T log T) growth: the ratio bound(4T) / bound(T) -> 2 from above
    r = ucrl2_regret_bound(3, 3, 5.0, [4e12], delta=0.1) / ucrl2_regret_bound(3, 3, 5.0, [1e12], delta=0.1)
    assert 2.0 < r[0] < 2.05


def test_theorem_2_domain():
    with pytest.raises(ValueError, match="times must be > 1"):
        ucrl2_regret_bound(2, 2, 1.0, [1.0], delta=0.1)
    with pytest.raises(ValueError, match="delta = 1.0 must be < 1.0"):
        ucrl2_regret_bound(2, 2, 1.0, [10.0], delta=1.0)
    with pytest.raises(ValueError, match="diameter must be a finite real number"):
        ucrl2_regret_bound(2, 2, math.inf, [10.0], delta=0.1)


def test_theorem_5_formula_and_conditions():
    got = ucrl2_lower_bound(10, 10, 20.0, [2000.0, 1e6])
    np.testing.assert_allclose(got, 0.015 * np.sqrt(20 * 10 * 10 * np.array([2000.0, 1e6])), rtol=1e-15)
    with pytest.raises(ValueError, match="needs S >= 10 and A >= 10"):
        ucrl2_lower_bound(9, 10, 40.0, [1e6])
    with pytest.raises(ValueError, match=r"needs D >= 20 log_A S = 20"):
        ucrl2_lower_bound(10, 10, 19.0, [1e6])
    with pytest.raises(ValueError, match=r"needs T >= D S A = 2000"):
        ucrl2_lower_bound(10, 10, 20.0, [1999.0])
    # a reference curve outside the theorem's conditions, on request
    np.testing.assert_allclose(
        ucrl2_lower_bound(6, 2, 15.0, [100.0], check_conditions=False), [0.015 * math.sqrt(15 * 6 * 2 * 100)]
    )
