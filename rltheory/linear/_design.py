r"""G-optimal (equivalently D-optimal) experimental design over a finite set of arms.

For a design :math:`\pi` on arms :math:`a_1..a_K \in \mathbb{R}^d` let
:math:`V(\pi) = \sum_a \pi(a)\, a a^\top` and
:math:`g(\pi) = \max_a \|a\|^2_{V(\pi)^{-1}}`. The Kiefer-Wolfowitz theorem
(Lattimore & Szepesvari 2020, *Bandit Algorithms*, Theorem 21.1): when the
arms span :math:`\mathbb{R}^d`, :math:`\pi^*` maximizes
:math:`\log\det V(\pi)` iff it minimizes :math:`g`, iff :math:`g(\pi^*) = d`;
an optimal design with support at most :math:`d(d+1)/2` exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .._validation import check_iteration_settings, readonly
from ._features import check_features

__all__ = ["DesignResult", "LogDetDesignResult", "g_optimal_design", "log_det_design_cvxpy"]


@dataclass(frozen=True)
class DesignResult:
    r"""A design with its Kiefer-Wolfowitz certificate.

    Attributes
    ----------
    weights : (K,) ndarray
        :math:`\pi(a)`, non-negative, summing to one.
    support : (m,) int64 ndarray
        Arms with positive weight; ``m <= d(d+1)/2`` after pruning.
    g_value : float
        :math:`g(\pi) = \max_a \|a\|^2_{V(\pi)^{-1}}` (computed afresh from
        ``weights``).
    converged : bool
        The Kiefer-Wolfowitz certificate :math:`g(\pi) \le d(1+\text{tol})`
        holds (``False`` when ``max_iter`` was hit first).
    residual : float
        :math:`g(\pi)/d - 1`, the stopping rule's quantity (``converged`` iff
        it is at most ``tol``); :math:`\ge 0` up to rounding, since
        :math:`\min_\pi g(\pi) = d`.
    log_det : float
        :math:`\log\det V(\pi)`.
    log_det_gap_bound : float
        :math:`g(\pi) - d \ge \log\det V(\pi^*) - \log\det V(\pi)` (concavity
        of :math:`\log\det`; see :func:`g_optimal_design`).
    iterations : int
        Frank-Wolfe iterations.
    dim : int

    Examples
    --------
    >>> import numpy as np
    >>> res = g_optimal_design(np.eye(2))
    >>> res.converged, res.iterations, round(res.g_value, 12), res.support.tolist()
    (True, 0, 2.0, [0, 1])
    """

    weights: np.ndarray
    support: np.ndarray
    g_value: float
    converged: bool
    residual: float
    log_det: float
    log_det_gap_bound: float
    iterations: int
    dim: int

    def __post_init__(self):
        object.__setattr__(self, "weights", readonly(np.asarray(self.weights)))
        object.__setattr__(self, "support", readonly(np.asarray(self.support)))


def _g(arms, weights):
    V = (arms * weights[:, None]).T @ arms
    L = np.linalg.cholesky(V)
    Z = np.linalg.solve(L, arms.T)
    return np.einsum("ij,ij->j", Z, Z), 2.0 * float(np.log(np.diag(L)).sum())


def _prune(arms, weights):
    r"""Caratheodory-type pruning that never increases :math:`g`.

    While the support has more than :math:`d(d+1)/2` points, the matrices
    :math:`a a^\top` (as vectors of the :math:`d(d+1)/2`-dimensional space of
    symmetric matrices) are linearly dependent: some :math:`c \ne 0` has
    :math:`\sum_a c_a a a^\top = 0`. Orient it so :math:`\sum_a c_a \le 0` and
    move :math:`w \leftarrow w + t c` until a weight hits zero: the
    unnormalized moment matrix is unchanged and the mass :math:`m \le 1`, so
    after renormalizing :math:`V` becomes :math:`V/m` and :math:`g` becomes
    :math:`m\, g \le g`. Each step removes one support point.
    """
    d = arms.shape[1]
    iu = np.triu_indices(d)
    limit = d * (d + 1) // 2
    w = weights.copy()
    while True:
        sup = np.flatnonzero(w > 0)
        if sup.size <= limit:
            break
        X = arms[sup]
        M = (X[:, :, None] * X[:, None, :])[:, iu[0], iu[1]].T  # (d(d+1)/2, m)
        c = np.linalg.svd(M)[2][-1]  # a null vector: m > rank(M)
        if c.sum() > 0:
            c = -c
        neg = c < -1e-14 * np.abs(c).max()
        ratios = np.where(neg, w[sup] / np.where(neg, -c, 1.0), np.inf)
        j = int(np.argmin(ratios))
        new = np.clip(w[sup] + ratios[j] * c, 0.0, None)
        new[j] = 0.0
        w[sup] = new
        w /= w.sum()
    return w


def g_optimal_design(arms, *, tol: float = 1e-3, max_iter: int = 100_000, prune: bool = True) -> DesignResult:
    r"""A G-optimal design by Frank-Wolfe (Fedorov-Wynn) with the Kiefer-Wolfowitz certificate.

    Frank-Wolfe on :math:`f(\pi) = \log\det V(\pi)` (Lattimore & Szepesvari
    2020, Note 21.2; Todd 2016, *Minimum-Volume Ellipsoids*, Alg. 3.1): with
    :math:`a_k = \arg\max_a \|a\|^2_{V(\pi_k)^{-1}}` and
    :math:`g_k = \|a_k\|^2_{V(\pi_k)^{-1}}`,

    .. math::

        \pi_{k+1} = (1-\gamma_k)\pi_k + \gamma_k e_{a_k},\qquad
        \gamma_k = \frac{g_k/d - 1}{g_k - 1}

    (the exact line search), started from the uniform design on :math:`d`
    spanning arms (column-pivoted QR). It stops when
    :math:`g(\pi) \le d(1 + \text{tol})` (``converged``), the certificate,
    or after ``max_iter`` iterations (``converged=False``); by the
    Kiefer-Wolfowitz theorem (Theorem 21.1) :math:`g(\pi^*) = d`, so the
    design is within a factor :math:`1 + \text{tol}` of optimal. The rank-one
    update of :math:`V^{-1}` (Sherman-Morrison) makes an iteration
    :math:`O(Kd + d^2)` after the first.

    Optimality gap: by concavity of :math:`\log\det`,
    :math:`\log\det V^* \le \log\det V(\pi) + \mathrm{tr}(V(\pi)^{-1}(V^* - V(\pi)))
    \le \log\det V(\pi) + g(\pi) - d`, reported as ``log_det_gap_bound``.

    With ``prune`` the support is reduced to at most :math:`d(d+1)/2` points
    without increasing :math:`g` (see ``_prune``; the existence of such
    an optimal design is part of Theorem 21.1).

    Parameters
    ----------
    arms : array_like, shape (K, d)
        Must span :math:`\mathbb{R}^d` (full column rank).
    tol : float > 0
    max_iter : int >= 0
        ``0`` returns the starting design (``converged`` only if it is
        already certified).
    prune : bool

    Returns
    -------
    DesignResult

    Raises
    ------
    ValueError
        Arms not spanning :math:`\mathbb{R}^d`, bad ``tol`` or ``max_iter``.
        Hitting ``max_iter`` is not an error: the result says ``converged=False``.

    Examples
    --------
    >>> import numpy as np
    >>> res = g_optimal_design(np.vstack([np.eye(3), np.ones((1, 3)) / 3]), tol=1e-6)
    >>> res.converged, res.weights.round(3).tolist()
    (True, [0.333, 0.333, 0.333, 0.0])
    >>> X = np.random.default_rng(0).normal(size=(50, 5))
    >>> g_optimal_design(X, tol=1e-9, max_iter=3).converged
    False
    """
    X = check_features(arms, name="arms")
    K, d = X.shape
    tol, max_iter = check_iteration_settings(tol, max_iter)
    # start: uniform on d spanning arms (column-pivoted QR of X^T), so the support stays small
    basis = scipy.linalg.qr(X.T, mode="r", pivoting=True)[1][:d]
    w = np.zeros(K)
    w[basis] = 1.0 / d
    V = (X * w[:, None]).T @ X
    Vinv = np.linalg.inv(V)
    norms = np.einsum("kd,de,ke->k", X, Vinv, X)
    target = d * (1.0 + tol)
    it = 0
    while True:
        if it % 64 == 0:  # refresh against accumulated rounding of the rank-one updates
            Vinv = np.linalg.inv((X * w[:, None]).T @ X)
            norms = np.einsum("kd,de,ke->k", X, Vinv, X)
        k = int(np.argmax(norms))
        g = float(norms[k])
        if g <= target or it >= max_iter:
            break
        step = (g / d - 1.0) / (g - 1.0)  # Lattimore & Szepesvari (2020), Note 21.2: exact line search
        w *= 1.0 - step
        w[k] += step
        # V' = (1-s) V + s x x^T;  V'^{-1} = (Vinv - s' u u^T) / (1-s), u = Vinv x, s' = s / (1 - s + s g)
        u = Vinv @ X[k]
        coef = step / (1.0 - step + step * g)
        proj = X @ u
        Vinv = (Vinv - coef * np.outer(u, u)) / (1.0 - step)
        norms = (norms - coef * proj * proj) / (1.0 - step)
        it += 1
    if prune:
        w = _prune(X, w)
    norms, logdet = _g(X, w)
    gval = float(norms.max())
    return DesignResult(
        weights=w,
        support=np.flatnonzero(w > 0).astype(np.int64),
        g_value=gval,
        converged=bool(gval <= target),
        residual=gval / d - 1.0,
        log_det=logdet,
        log_det_gap_bound=max(gval - d, 0.0),
        iterations=it,
        dim=d,
    )


@dataclass(frozen=True)
class LogDetDesignResult:
    r"""The D-optimal design of the conic solver, checked.

    Attributes
    ----------
    weights : (K,) ndarray
        :math:`\pi(a)`, non-negative, summing to one.
    log_det : float
        :math:`\log\det V(\pi)`, recomputed from ``weights``.
    g_value : float
        :math:`g(\pi) = \max_a \|a\|^2_{V(\pi)^{-1}}`, recomputed from ``weights``.
    log_det_gap_bound : float
        :math:`\max(g(\pi) - d, 0) \ge \log\det V(\pi^*) - \log\det V(\pi)`,
        a certificate independent of the solver (concavity, as in
        :func:`g_optimal_design`).
    status : str
        The solver's status (always ``"optimal"``: other statuses raise).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.linear import log_det_design_cvxpy
    >>> res = log_det_design_cvxpy(np.eye(3))
    >>> res.status, res.weights.round(4).tolist()
    ('optimal', [0.3333, 0.3333, 0.3333])
    """

    weights: np.ndarray
    log_det: float
    g_value: float
    log_det_gap_bound: float
    status: str

    def __post_init__(self):
        object.__setattr__(self, "weights", readonly(np.asarray(self.weights)))


def log_det_design_cvxpy(arms, *, solver: str = "CLARABEL", **solver_options) -> LogDetDesignResult:
    r"""The D-optimal design :math:`\max_\pi \log\det\sum_a\pi_a a a^\top` as a cvxpy program (cross-check).

    The solve is checked: status ``optimal``, primal feasibility of the
    weights (non-negative, sum one within 1e-6); the returned
    ``log_det_gap_bound`` :math:`g(\pi) - d` certifies the optimality gap
    independently of the solver. By Kiefer-Wolfowitz its optimum equals
    :func:`g_optimal_design`'s up to the two gap bounds.

    Examples
    --------
    >>> import numpy as np
    >>> res = log_det_design_cvxpy(np.eye(2))
    >>> res.status, bool(abs(res.log_det - 2 * np.log(0.5)) < 1e-6), bool(res.log_det_gap_bound < 1e-4)
    ('optimal', True, True)
    """
    import cvxpy as cp

    X = check_features(arms, name="arms")
    K, d = X.shape
    w = cp.Variable(K, nonneg=True)
    V = X.T @ cp.diag(w) @ X
    prob = cp.Problem(cp.Maximize(cp.log_det((V + V.T) / 2)), [cp.sum(w) == 1])
    prob.solve(solver=solver, **solver_options)
    if prob.status != cp.OPTIMAL:
        raise ValueError(f"log-det design: solver {solver} returned status {prob.status!r}")
    weights = np.asarray(w.value, dtype=np.float64)
    if weights.min() < -1e-6 or abs(weights.sum() - 1.0) > 1e-6:
        raise ValueError(f"log-det design: infeasible weights (min {weights.min():.3g}, sum {weights.sum():.9g})")
    weights = np.clip(weights, 0.0, None)
    weights /= weights.sum()
    norms, logdet = _g(X, weights)
    gval = float(norms.max())
    return LogDetDesignResult(
        weights=weights, log_det=logdet, g_value=gval, log_det_gap_bound=max(gval - d, 0.0), status=str(prob.status)
    )
