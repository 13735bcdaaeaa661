"""Tests of the shared validation helpers."""

import numpy as np
import pytest

from rltheory._validation import (
    as_generator,
    check_discount,
    check_finite,
    check_probability_vector,
    check_shape,
    readonly,
)


def test_readonly_clears_write_flag_without_touching_the_input():
    a = np.zeros(3)
    r = readonly(a)
    assert not r.flags.writeable
    assert a.flags.writeable
    with pytest.raises(ValueError):
        r[0] = 1.0


def test_check_shape_names_the_array_and_both_shapes():
    check_shape("x", np.zeros((2, 3)), (2, None))
    with pytest.raises(ValueError, match=r"x has shape \(2, 3\), expected \(3, any\)"):
        check_shape("x", np.zeros((2, 3)), (3, None))


def test_check_finite_reports_the_first_bad_index():
    a = np.zeros((2, 2))
    a[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"R\[1, 0\] is nan"):
        check_finite("R", a)


@pytest.mark.parametrize(
    "p, match",
    [
        ([0.5, 0.6], "sums to 1.1"),
        ([1.5, -0.5], r"p\[1\] = -0.5 is negative"),
        ([np.inf, 0.0], "must be finite"),
        ([[1.0]], "has shape"),
    ],
)
def test_check_probability_vector_errors(p, match):
    with pytest.raises(ValueError, match=match):
        check_probability_vector("p", p)


def test_check_probability_vector_accepts_tolerance():
    out = check_probability_vector("p", [0.5, 0.5 + 1e-12])
    assert out.dtype == float


@pytest.mark.parametrize("gamma", [-0.1, 1.0, 1.5, np.nan, "0.9", True])
def test_check_discount_rejects(gamma):
    with pytest.raises(ValueError, match="gamma"):
        check_discount(gamma)


def test_check_discount_allows_one_when_asked():
    assert check_discount(1.0, allow_one=True) == 1.0
    assert check_discount(0) == 0.0


def test_as_generator_is_reproducible_and_never_global():
    state = np.random.get_state()[1].copy()
    a = as_generator(3).random(4)
    b = as_generator(np.random.SeedSequence(3)).random(4)
    np.testing.assert_array_equal(a, b)
    g = np.random.default_rng(0)
    assert as_generator(g) is g
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    with pytest.raises(ValueError, match="rng"):
        as_generator("seed")
