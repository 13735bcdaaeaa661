r"""Probability metrics between return distributions, exact for finite supports.

For laws :math:`\mu, \nu` on :math:`\mathbb{R}` with CDFs :math:`F, G`:

* :math:`p`-Wasserstein, via the quantile coupling (optimal in one dimension),
  :math:`W_p(\mu,\nu) = \big(\int_0^1 |F^{-1}(u) - G^{-1}(u)|^p\,du\big)^{1/p}`,
  and :math:`W_\infty = \operatorname{ess\,sup}_u |F^{-1}(u)-G^{-1}(u)|`
  (Bellemare, Dabney & Munos 2017, Sec. 3, and Lemma 2 there);
* Cramér, :math:`\ell_2(\mu,\nu) = \big(\int (F(x)-G(x))^2\,dx\big)^{1/2}`
  (Rowland et al. 2018, Sec. 3);
* Kolmogorov(-Smirnov), :math:`\sup_x |F(x) - G(x)|`.

For finite supports both functions are step functions, so the integrals are
finite sums over the merged breakpoints: no quadrature error. The supremum
over states :math:`\bar d(\eta, \eta') = \max_s d(\eta(s), \eta'(s))` is the
metric of the contraction theorems (:func:`supremum_distance`).
"""

from __future__ import annotations

import numbers

import numpy as np

from rltheory.distributional._representations import as_atoms_probs

__all__ = [
    "cramer_distance",
    "kolmogorov_distance",
    "supremum_distance",
    "wasserstein_distance",
]

#: Quantile-level intervals shorter than this are rounding artefacts of two
#: cumulative sums that agree mathematically; ``W_inf`` ignores them.
_W_INF_LEVEL_ATOL = 1e-12


def _cum(p: np.ndarray) -> np.ndarray:
    c = np.cumsum(p)
    c[-1] = 1.0
    return c


def _check_order(order) -> float:
    if order == np.inf:
        return np.inf
    if isinstance(order, bool) or not isinstance(order, numbers.Real) or not np.isfinite(order) or order < 1:
        raise ValueError(f"order = {order!r} must be a real number >= 1 or numpy.inf")
    return float(order)


def wasserstein_distance(first, second, order=1) -> float:
    r"""The :math:`p`-Wasserstein distance between two return distributions.

    Parameters
    ----------
    first, second : FiniteDistribution, CategoricalDistribution or QuantileDistribution
    order : float >= 1 or numpy.inf

    Returns
    -------
    float
        :math:`W_p` computed exactly from the merged quantile breakpoints
        (for ``order=inf``, level intervals shorter than ``1e-12`` are ignored
        as rounding artefacts).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.distributional import FiniteDistribution, wasserstein_distance
    >>> a = FiniteDistribution([0.0, 1.0], [0.5, 0.5])
    >>> b = FiniteDistribution([0.0], [1.0])
    >>> wasserstein_distance(a, b, 1), round(wasserstein_distance(a, b, 2), 6), wasserstein_distance(a, b, np.inf)
    (0.5, 0.707107, 1.0)
    """
    p = _check_order(order)
    xa, pa = as_atoms_probs(first)
    xb, pb = as_atoms_probs(second)
    ca, cb = _cum(pa), _cum(pb)
    u = np.union1d(ca, cb)
    lo = np.concatenate(([0.0], u[:-1]))
    length = u - lo
    mid = 0.5 * (lo + u)
    ia = np.minimum(np.searchsorted(ca, mid, side="left"), xa.size - 1)
    ib = np.minimum(np.searchsorted(cb, mid, side="left"), xb.size - 1)
    diff = np.abs(xa[ia] - xb[ib])
    if p == np.inf:
        return float(diff[length > _W_INF_LEVEL_ATOL].max())
    return float(np.sum(length * diff**p) ** (1.0 / p))


def cramer_distance(first, second) -> float:
    r"""The Cramér distance :math:`\ell_2 = (\int (F - G)^2\,dx)^{1/2}`.

    Equals :math:`1/\sqrt{2}` times the energy distance
    (``scipy.stats.energy_distance``; Székely & Rizzo 2013, Eq. (2.3)).

    Examples
    --------
    >>> from rltheory.distributional import FiniteDistribution, cramer_distance
    >>> cramer_distance(FiniteDistribution([0.0], [1.0]), FiniteDistribution([4.0], [1.0]))
    2.0
    """
    xa, pa = as_atoms_probs(first)
    xb, pb = as_atoms_probs(second)
    x = np.union1d(xa, xb)
    F = _step_cdf(xa, pa, x)
    G = _step_cdf(xb, pb, x)
    return float(np.sqrt(np.sum(np.diff(x) * (F[:-1] - G[:-1]) ** 2)))


def kolmogorov_distance(first, second) -> float:
    r"""The Kolmogorov distance :math:`\sup_x |F(x) - G(x)|`.

    Examples
    --------
    >>> from rltheory.distributional import FiniteDistribution, kolmogorov_distance
    >>> kolmogorov_distance(FiniteDistribution([0.0, 1.0], [0.5, 0.5]), FiniteDistribution([0.0], [1.0]))
    0.5
    """
    xa, pa = as_atoms_probs(first)
    xb, pb = as_atoms_probs(second)
    x = np.union1d(xa, xb)
    return float(np.max(np.abs(_step_cdf(xa, pa, x) - _step_cdf(xb, pb, x))))


def _step_cdf(atoms: np.ndarray, probs: np.ndarray, x: np.ndarray) -> np.ndarray:
    c = _cum(probs)
    idx = np.searchsorted(atoms, x, side="right")
    return np.where(idx > 0, c[np.maximum(idx - 1, 0)], 0.0)


_METRICS = ("wasserstein", "cramer", "kolmogorov")


def _distance(metric: str, order, a, b) -> float:
    if metric == "wasserstein":
        return wasserstein_distance(a, b, order)
    if metric == "cramer":
        return cramer_distance(a, b)
    if metric == "kolmogorov":
        return kolmogorov_distance(a, b)
    raise ValueError(f"metric = {metric!r} must be one of {_METRICS}")


def supremum_distance(first, second, *, metric: str = "wasserstein", order=1) -> float:
    r"""Supremum over states :math:`\bar d(\eta,\eta') = \max_s d(\eta(s), \eta'(s))`.

    This is the metric in which :math:`T^\pi` is a :math:`\gamma`-contraction
    for :math:`d = W_p` (Bellemare, Dabney & Munos 2017, Lemma 3) and a
    :math:`\sqrt\gamma`-contraction for :math:`d = \ell_2` (derived in
    :func:`~rltheory.distributional.distributional_bellman_operator`; for the
    projected :math:`\Pi_C T^\pi`, Rowland et al. 2018, Proposition 2).

    Parameters
    ----------
    first, second : sequence of distributions, one per state, same length
    metric : {"wasserstein", "cramer", "kolmogorov"}
    order : float >= 1 or numpy.inf
        Wasserstein order (ignored by the other metrics).

    Examples
    --------
    >>> from rltheory.distributional import FiniteDistribution, supremum_distance
    >>> a = [FiniteDistribution([0.0], [1.0]), FiniteDistribution([1.0], [1.0])]
    >>> b = [FiniteDistribution([0.5], [1.0]), FiniteDistribution([3.0], [1.0])]
    >>> supremum_distance(a, b, metric="wasserstein", order=1)
    2.0
    """
    if metric not in _METRICS:
        raise ValueError(f"metric = {metric!r} must be one of {_METRICS}")
    first, second = list(first), list(second)
    if len(first) != len(second) or not first:
        raise ValueError(f"first has {len(first)} distributions and second {len(second)}; need equal, non-zero lengths")
    return max(_distance(metric, order, a, b) for a, b in zip(first, second))


# ---------------------------------------------------------------- array forms
def cramer_rows(support: np.ndarray, P: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Per-row Cramér distance between categorical rows ``P, Q`` (N, m) on one support."""
    d = np.cumsum(P - Q, axis=1)[:, :-1]
    return np.sqrt(np.sum(np.diff(support)[None, :] * d * d, axis=1))


def winf_quantile_rows(L1: np.ndarray, L2: np.ndarray) -> np.ndarray:
    """Per-row :math:`W_\\infty` between sorted equal-weight quantile rows ``(N, n)``."""
    return np.max(np.abs(L1 - L2), axis=1)
