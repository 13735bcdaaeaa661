"""Feature maps: shapes, layouts, rank validation."""

import numpy as np
import pytest

from rltheory.linear import (
    check_features,
    fourier_features,
    one_hot_features,
    polynomial_features,
    random_features,
    state_action_features,
)


def test_one_hot_is_identity_and_read_only():
    phi = one_hot_features(5)
    assert np.array_equal(phi, np.eye(5))
    assert not phi.flags.writeable


@pytest.mark.parametrize("S,k", [(2, 1), (5, 3), (10, 9)])
def test_polynomial_and_fourier_full_rank_below_n_states(S, k):
    # Vandermonde / cosine matrices on distinct nodes have full column rank when k < S
    for phi in (polynomial_features(S, k), fourier_features(S, k)):
        assert phi.shape == (S, k + 1)
        check_features(phi, S)


def test_polynomial_too_many_columns_is_rank_error():
    with pytest.raises(ValueError, match="only 3 rows"):
        check_features(polynomial_features(3, 5), 3)


def test_random_features_unit_rows_and_seeded():
    a = random_features(6, 3, rng=1)
    b = random_features(6, 3, rng=1)
    assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, rtol=0, atol=1e-15)


def test_state_action_layout_row_s_times_A_plus_a():
    phi = np.arange(6.0).reshape(3, 2)
    sa = state_action_features(phi, 2)
    assert sa.shape == (6, 4)
    for s in range(3):
        for a in range(2):
            row = sa[s * 2 + a]
            assert np.array_equal(row[a * 2 : a * 2 + 2], phi[s])
            assert np.count_nonzero(row) == np.count_nonzero(phi[s])


@pytest.mark.parametrize(
    "bad,match",
    [
        (np.ones(3), "2-d"),
        (np.array([[1.0, np.nan]]), "finite"),
        (np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]), "numerical rank 1"),
    ],
)
def test_check_features_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        check_features(bad)


def test_check_features_row_count_and_rank_opt_out():
    with pytest.raises(ValueError, match="has 2 rows, expected 3"):
        check_features(np.eye(2), 3)
    dep = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert check_features(dep, full_rank=False).shape == (2, 2)


@pytest.mark.parametrize(
    "fn,args", [(one_hot_features, (0,)), (polynomial_features, (3, -1)), (random_features, (3, True))]
)
def test_bad_sizes(fn, args):
    with pytest.raises(ValueError):
        fn(*args)
