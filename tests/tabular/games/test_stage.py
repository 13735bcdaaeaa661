"""The compiled stage-game solver (games._stage) against the linprog reference (games._reference).

Parity within the certificates: the compiled strategies (x, y) satisfy lo = min(x^T M) <= v <= max(M y) = hi
with v the HiGHS LP value (v known to the LP tolerance 1e-7 scale); its gap hi - lo is at rounding level; the
2x2 closed form and the pure-saddle path are exact on rationals; degenerate matrices (constant, repeated
rows/columns, integer ties) make the simplex pivot degenerately (Bland's rule then guarantees termination).
"""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rltheory.tabular.games import _stage
from rltheory.tabular.games._reference import stage_values_reference
from tests.tabular.games._helpers import EPS, brute_value


def solve(Q):
    S, m, n = Q.shape
    X, Y, lo, hi, ok = np.empty((S, m)), np.empty((S, n)), np.empty(S), np.empty(S), np.empty(S, dtype=bool)
    failed = _stage.solve_stages(np.ascontiguousarray(Q), X, Y, lo, hi, ok)
    return X, Y, lo, hi, ok, failed


@st.composite
def stacks(draw):
    S, m, n = draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.integers(1, 6))
    if draw(st.booleans()):
        vals = draw(st.lists(st.integers(-2, 2), min_size=S * m * n, max_size=S * m * n))
    else:
        vals = draw(st.lists(st.floats(-100, 100, allow_nan=False), min_size=S * m * n, max_size=S * m * n))
    return np.array(vals, dtype=float).reshape(S, m, n)


@given(stacks())
def test_parity_with_linprog_within_certificates(Q):
    X, Y, lo, hi, ok, failed = solve(Q)
    assert failed == 0 and ok.all()
    values, _, _ = stage_values_reference(Q)
    for s in range(Q.shape[0]):
        scale = max(1.0, float(np.max(np.abs(Q[s]))))
        rnd = 8 * (max(Q.shape[1:]) + 2) * EPS * scale
        # the strategies are exactly on the simplex and the certificate is recomputed here
        assert np.all(X[s] >= 0) and abs(X[s].sum() - 1) <= 8 * EPS * Q.shape[1]
        assert np.all(Y[s] >= 0) and abs(Y[s].sum() - 1) <= 8 * EPS * Q.shape[2]
        assert lo[s] == pytest.approx(float(np.min(X[s] @ Q[s])), abs=rnd)
        assert hi[s] == pytest.approx(float(np.max(Q[s] @ Y[s])), abs=rnd)
        assert lo[s] - rnd - 1e-7 * scale <= values[s] <= hi[s] + rnd + 1e-7 * scale
        assert hi[s] - lo[s] <= 1e-9 * scale  # the exact solver is exact up to rounding


@given(st.integers(1, 3), st.integers(1, 3), st.lists(st.integers(-3, 3), min_size=9, max_size=9))
def test_brute_force_value(m, n, entries):
    M = np.array(entries[: m * n], dtype=float).reshape(m, n)
    _, _, lo, hi, _, _ = solve(M[None])
    v = brute_value(M)
    assert lo[0] - 1e-12 <= v <= hi[0] + 1e-12


@given(st.lists(st.integers(-9, 9), min_size=4, max_size=4))
def test_two_by_two_closed_form_is_exact_on_rationals(e):
    a, b, c, d = e
    M = np.array([[a, b], [c, d]], dtype=float)
    X, Y, lo, hi, _, _ = solve(M[None])
    lower, upper = max(min(a, b), min(c, d)), min(max(a, c), max(b, d))
    v = Fraction(lower) if lower == upper else Fraction(a * d - b * c, a - b - c + d)
    assert abs(lo[0] - float(v)) <= 64 * EPS * 9 and abs(hi[0] - float(v)) <= 64 * EPS * 9


@pytest.mark.parametrize(
    "M",
    [
        np.zeros((4, 4)),
        np.ones((3, 5)) * 2.5,
        np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),  # repeated rows and columns
        np.kron(np.eye(3), np.ones((2, 2))),  # block-degenerate 6x6
        np.array([[0, -1, 1], [-1, 0, 1], [-1, 0, 1]], dtype=float),  # nashpy's degenerate example
        np.round(np.random.default_rng(0).normal(size=(10, 10))),
        np.array([[3.0, -1.0, 2.0]]),
        np.array([[3.0], [-1.0], [2.0]]),
    ],
)
def test_degenerate_and_edge_matrices(M):
    X, Y, lo, hi, ok, failed = solve(M[None])
    assert failed == 0
    v = brute_value(M) if M.shape[0] <= 6 else float(stage_values_reference(M[None])[0][0])
    assert lo[0] - 1e-9 <= v <= hi[0] + 1e-9 and hi[0] - lo[0] <= 1e-12


def test_rock_paper_scissors_stage():
    rps = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], dtype=float)
    X, Y, lo, hi, _, _ = solve(rps[None])
    assert np.allclose(X[0], 1 / 3, atol=1e-14) and np.allclose(Y[0], 1 / 3, atol=1e-14)
    assert abs(lo[0]) <= 1e-15 and abs(hi[0]) <= 1e-15


def test_failed_simplex_reports_failure():
    # a pivot budget of zero makes the simplex give up; the batch caller then falls back to an LP (test_shapley)
    M = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], dtype=float)
    x, y = np.empty(3), np.empty(3)
    T, basis = np.empty((4, 7)), np.empty(3, dtype=np.int64)
    assert not _stage._simplex(M, x, y, T, basis, 0)
