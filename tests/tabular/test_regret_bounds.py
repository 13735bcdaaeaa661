"""The published bounds: exact formulas at known points, orders of growth, bad input."""

import math

import numpy as np
import pytest

from rltheory.tabular import episodic_lower_bound, psrl_regret_bound, qlearning_regret_bound, ucbvi_regret_bound


def test_ucbvi_bounds_are_the_theorems():
    S, A, H, K, d = 5, 2, 4, np.array([10.0, 1000.0]), 0.05
    T = K * H
    L = np.log(5 * S * A * T / d)
    np.testing.assert_array_equal(
        ucbvi_regret_bound(S, A, H, K, delta=d), 20 * H * L * np.sqrt(S * A * T) + 250 * H**2 * S**2 * A * L**2
    )
    np.testing.assert_array_equal(
        ucbvi_regret_bound(S, A, H, K, delta=d, bonus="bernstein"),
        30 * L * np.sqrt(H * S * A * T) + 2500 * H**2 * S**2 * A * L**2 + 4 * H * np.sqrt(T * L),
    )


def test_rates_grow_like_sqrt_k_up_to_logs():
    K = np.array([1e6, 1e8])
    for f in (psrl_regret_bound, episodic_lower_bound):
        r = f(5, 2, 4, K)
        assert r[1] / r[0] == pytest.approx(10.0, rel=0.2)
    h = qlearning_regret_bound(5, 2, 4, K)
    assert 10.0 < h[1] / h[0] < 10.0 * math.sqrt(math.log(5 * 2 * 4e8 / 0.1) / math.log(5 * 2 * 4e6 / 0.1)) + 1e-9
    # lower bound below the upper bounds everywhere
    assert (episodic_lower_bound(5, 2, 4, K) <= ucbvi_regret_bound(5, 2, 4, K)).all()


def test_bad_input():
    with pytest.raises(ValueError, match="episodes"):
        psrl_regret_bound(5, 2, 4, 0)
    with pytest.raises(ValueError, match="bonus"):
        ucbvi_regret_bound(5, 2, 4, 10, bonus="x")
