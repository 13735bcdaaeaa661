"""The compiled regularized stage solver against the QRE continuation and the closed-form certificates.

Checked: the certificate of the kernel equals the closed forms lo(x) = tau H(x) - tau lse(-M^T x / tau),
hi(y) = -tau H(y) + tau lse(M y / tau) computed with scipy; the certified interval contains the one of qre()'s
strategies (both bracket val_tau); by tau-strong concavity of x -> lo(x) in the l1 norm (Pinsker), ||x - x*||_1 <=
sqrt(2 (hi - lo) / tau), which bounds the distance between the two solvers' strategies; val(M) - tau log n <=
val_tau(M) <= val(M) + tau log m (entropy between 0 and log k).
"""

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st

from rltheory.tabular.games import MatrixGame, _soft_stage, qre, solve_zero_sum
from tests.tabular.games._helpers import EPS


def closed_form(M, tau, x, y):
    H = lambda p: float(np.sum(scipy.special.entr(p)))  # noqa: E731
    lo = tau * H(x) - tau * float(scipy.special.logsumexp(-(x @ M) / tau))
    hi = -tau * H(y) + tau * float(scipy.special.logsumexp((M @ y) / tau))
    return lo, hi


def solve(M, tau, rtol=1e-13):
    m, n = M.shape
    Q = np.ascontiguousarray(M[None], dtype=float)
    ZX, ZY, X, Y = np.zeros((1, m)), np.zeros((1, n)), np.empty((1, m)), np.empty((1, n))
    lo, hi, ok = np.empty(1), np.empty(1), np.empty(1, dtype=np.bool_)
    failed = _soft_stage.solve_soft_stages(Q, tau, ZX, ZY, X, Y, lo, hi, ok, rtol)
    return X[0], Y[0], float(lo[0]), float(hi[0]), failed


@st.composite
def instances(draw):
    m, n = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    scale = draw(st.sampled_from([1.0, 10.0, 100.0]))
    vals = draw(st.lists(st.floats(-1, 1, allow_nan=False), min_size=m * n, max_size=m * n))
    tau = draw(st.sampled_from([1e-3, 1e-2, 0.1, 1.0, 10.0]))
    return np.array(vals).reshape(m, n) * scale, tau


@given(instances())
def test_kernel_is_certified_and_agrees_with_qre(instance):
    M, tau = instance
    x, y, lo, hi, failed = solve(M, tau)
    scale = tau + float(np.max(np.abs(M)))
    rounding = 64 * (sum(M.shape) + 4) * EPS * (scale + tau * np.log(max(M.shape) + 1))
    assert failed == 0 and hi - lo <= 1e-13 * scale
    assert np.isclose(x.sum(), 1.0) and np.isclose(y.sum(), 1.0) and (x >= 0).all() and (y >= 0).all()
    clo, chi = closed_form(M, tau, x, y)
    assert abs(clo - lo) <= rounding and abs(chi - hi) <= rounding
    res = qre(MatrixGame.zero_sum(M), tau)
    qx, qy = res.strategies
    qlo, qhi = closed_form(M, tau, qx, qy)
    assert lo <= qhi + 2 * rounding and qlo <= hi + 2 * rounding  # both intervals contain val_tau(M)
    dist = np.sqrt(2 * max(hi - lo + 2 * rounding, 0) / tau) + np.sqrt(2 * max(qhi - qlo + 2 * rounding, 0) / tau)
    assert np.sum(np.abs(x - qx)) <= dist + 1e-12 and np.sum(np.abs(y - qy)) <= dist + 1e-12
    # entropy brackets: val(M) - tau log n <= val_tau(M) <= val(M) + tau log m
    zs = solve_zero_sum(MatrixGame.zero_sum(M))
    m, n = M.shape
    assert lo <= zs.value_upper + tau * np.log(m) + rounding
    assert hi >= zs.value_lower - tau * np.log(n) - rounding


def test_warm_start_and_degenerate_games():
    M = np.array([[1.0, 2.0], [3.0, 4.0]])
    x, y, lo, hi, _ = solve(M, 1e9)  # huge temperature: uniform strategies
    assert np.allclose(x, 0.5, atol=1e-8) and np.allclose(y, 0.5, atol=1e-8)
    x, y, lo, hi, _ = solve(np.zeros((3, 2)), 0.5)  # constant game: uniform, value tau (log 3 - log 2)
    assert np.allclose(x, 1 / 3) and lo == pytest.approx(0.5 * (np.log(3) - np.log(2)), abs=1e-14)
    x, y, lo, hi, _ = solve(np.array([[2.0]]), 0.3)
    assert lo == hi == 2.0
    # warm start from the solution: one certificate evaluation, same answer
    rng = np.random.default_rng(1)
    Q = rng.normal(size=(50, 4, 3))
    ZX, ZY, X, Y = np.zeros((50, 4)), np.zeros((50, 3)), np.empty((50, 4)), np.empty((50, 3))
    lo, hi, ok = np.empty(50), np.empty(50), np.empty(50, dtype=np.bool_)
    assert _soft_stage.solve_soft_stages(Q, 0.05, ZX, ZY, X, Y, lo, hi, ok, 1e-13) == 0
    X0 = X.copy()
    assert _soft_stage.solve_soft_stages(Q, 0.05, ZX, ZY, X, Y, lo, hi, ok, 1e-13) == 0
    assert np.allclose(X, X0, atol=1e-12) and ok.all()
