r"""Gittins indices of Bernoulli arms with a Beta prior, certified by two independent formulations.

For an arm whose success probability has the posterior :math:`\mathrm{Beta}(\alpha, \beta)` and discount
:math:`\gamma \in (0, 1)`, the Gittins index is (Gittins 1979; Gittins, Glazebrook & Weber 2011, Ch. 2)

.. math:: \nu(\alpha, \beta) = \sup_{\tau \ge 1} \frac{\mathbb E\big[\sum_{t=0}^{\tau-1}\gamma^t r_t\big]}
   {\mathbb E\big[\sum_{t=0}^{\tau-1}\gamma^t\big]},

with the posterior mean :math:`\alpha_t/(\alpha_t + \beta_t)` as the expected reward :math:`r_t` and the
posterior updated by every pull. Two formulations, both on the tree of posteriors reachable in
:math:`N` pulls:

* ``method="calibration"`` (Gittins 1979's retirement calibration; Gittins, Glazebrook & Weber 2011,
  Sec. 2.5): :math:`\nu` is the retirement reward per step :math:`\lambda` at which retiring
  (:math:`\lambda/(1-\gamma)`) and continuing are equally good in the optimal-stopping problem
  :math:`W(s) = \max(\lambda/(1-\gamma),\ m_s + \gamma\,[m_s W(s^+) + (1 - m_s) W(s^-)])`, solved by
  backward recursion and bisection in :math:`\lambda`.
* ``method="restart"`` (Katehakis & Veinott 1987, *The multi-armed bandit problem: decomposition and
  computation*, Math. Oper. Res. 12(2), Sec. 3): :math:`\nu(x_0) = (1 - \gamma) V_{x_0}(x_0)`, with
  :math:`V_{x_0}` the optimal value of the MDP whose actions in every state are "continue" and "restart
  from :math:`x_0`", solved with :func:`rltheory.tabular.value_iteration` (its certified interval).

**Certified truncation.** At depth :math:`N` the continuation is replaced by a lower model (keep pulling
without learning: value :math:`m_s/(1-\gamma)`, a feasible policy) and an upper model (the
perfect-information relaxation :math:`\mathbb E_{\theta \sim \mathrm{Beta}}[\max(\lambda, \theta)]/(1-\gamma)`
for the calibration, and reward 1 per step for the restart MDP); the index of the lower model is a
lower bound of :math:`\nu`, that of the upper model an upper bound (monotonicity of the Bellman
operators). The returned interval ``[lower, upper]`` contains :math:`\nu` (up to floating-point
rounding of order :math:`10^{-15}/(1-\gamma)`), and the depth is increased until it is narrower than
``tol``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._validation import check_choice, check_real, check_tol

__all__ = ["GittinsIndex", "gittins_index"]


@dataclass(frozen=True)
class GittinsIndex:
    r"""A certified Gittins index of a Bernoulli arm with a :math:`\mathrm{Beta}(\alpha, \beta)` posterior.

    Attributes
    ----------
    index : float
        Midpoint of ``[lower, upper]``.
    lower, upper : float
        Certified bounds: :math:`\text{lower} \le \nu(\alpha, \beta) \le \text{upper}`.
    alpha, beta, discount : float
        The posterior and the discount.
    method : str
        ``"calibration"`` or ``"restart"``.
    depth : int
        Number of pulls of the truncated posterior tree.

    Examples
    --------
    >>> from rltheory.bandits import gittins_index
    >>> g = gittins_index(1, 1, 0.9, tol=1e-6)
    >>> g.upper - g.lower <= 1e-6, round(g.index, 4)  # Gittins' table, gamma = 0.9: 0.7029
    (True, 0.7029)
    """

    index: float
    lower: float
    upper: float
    alpha: float
    beta: float
    discount: float
    method: str
    depth: int


def _depth_bound(discount, tol):
    """N with gamma^N / (1 - gamma) <= tol / 2: the two truncated models then differ by at most tol (see below)."""
    return max(1, math.ceil(math.log(0.5 * tol * (1.0 - discount)) / math.log(discount)))


def _calibration_root_gap(a, b, gamma, lam, depth, upper):
    r"""Continue-minus-retire value at the root, :math:`C(\lambda) - \lambda/(1-\gamma)` (non-increasing in lambda)."""
    M = lam / (1.0 - gamma)
    k = depth
    i = np.arange(k + 1, dtype=np.float64)
    A, B = a + i, b + (k - i)
    if upper:
        from scipy import stats

        # E[max(lam, theta)] = lam F_{A,B}(lam) + m (1 - F_{A+1,B}(lam)) (perfect information after depth N)
        m = A / (A + B)
        W = (lam * stats.beta.cdf(lam, A, B) + m * stats.beta.sf(lam, A + 1, B)) / (1.0 - gamma)
    else:
        W = np.maximum(M, A / (A + B) / (1.0 - gamma))
    for k in range(depth - 1, -1, -1):
        i = np.arange(k + 1, dtype=np.float64)
        m = (a + i) / (a + b + k)
        cont = m + gamma * (m * W[1:] + (1.0 - m) * W[:-1])
        if k == 0:
            return float(cont[0] - M)
        W = np.maximum(M, cont)
    raise AssertionError("unreachable")  # pragma: no cover


def _bisect(f, lo, hi, width):
    """Bracket [lo, hi] of the crossing of a non-increasing f with f(lo) >= 0 >= f(hi), to ``width``."""
    while hi - lo > width:
        mid = 0.5 * (lo + hi)
        if f(mid) > 0.0:
            lo = mid
        else:
            hi = mid
    return lo, hi


def _calibration(a, b, gamma, tol, depth):
    mean = a / (a + b)
    # f(lambda) = C(lambda) - lambda / (1 - gamma): f(mean) >= 0 (continuing earns at least mean per step... and
    # may retire later), f(1) <= 0; its slope is <= -1, so lambda's error is at most f's error (< gamma^N/(1-gamma))
    lo, _ = _bisect(lambda x: _calibration_root_gap(a, b, gamma, x, depth, False), mean, 1.0, tol / 8)
    _, hi = _bisect(lambda x: _calibration_root_gap(a, b, gamma, x, depth, True), mean, 1.0, tol / 8)
    return lo, hi


def _restart(a, b, gamma, tol, depth):
    from ..tabular import FiniteMDP, value_iteration

    # nodes (k, i): k pulls, i successes, index k (k + 1) / 2 + i
    n_nodes = (depth + 1) * (depth + 2) // 2
    k = np.repeat(np.arange(depth + 1), np.arange(1, depth + 2))
    i = np.arange(n_nodes) - k * (k + 1) // 2
    m = (a + i) / (a + b + k)
    inner = k < depth
    child_up = (k + 1) * (k + 2) // 2 + i + 1
    child_down = (k + 1) * (k + 2) // 2 + i
    m0 = m[0]
    ends = []
    for upper in (False, True):
        rows, cols, vals = [], [], []
        s = np.arange(n_nodes)
        # action 0: continue (inner nodes branch; boundary nodes loop)
        rows += [2 * s[inner], 2 * s[inner], 2 * s[~inner]]
        cols += [child_up[inner], child_down[inner], s[~inner]]
        vals += [m[inner], 1.0 - m[inner], np.ones((~inner).sum())]
        # action 1: restart from the root (the root's continuation)
        rows += [2 * s + 1, 2 * s + 1]
        cols += [np.full(n_nodes, 2), np.full(n_nodes, 1)]  # success: node (1, 1) = 2; failure: (1, 0) = 1
        vals += [np.full(n_nodes, m0), np.full(n_nodes, 1.0 - m0)]
        P = sp.csr_array(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(2 * n_nodes, n_nodes)
        )
        R = np.empty((n_nodes, 2))
        R[:, 0] = np.where(inner, m, 1.0 if upper else m)
        R[:, 1] = m0
        res = value_iteration(FiniteMDP(P, R, gamma), tol=tol / (4.0 * (1.0 - gamma)))
        ends.append((1.0 - gamma) * (res.v_upper[0] if upper else res.v_lower[0]))
    return ends[0], ends[1]


def gittins_index(alpha, beta, discount, *, tol=1e-6, method="calibration") -> GittinsIndex:
    r"""The Gittins index of a Bernoulli arm with a :math:`\mathrm{Beta}(\alpha, \beta)` posterior.

    Parameters
    ----------
    alpha, beta : float
        Posterior parameters (> 0): with a uniform prior, :math:`\alpha = 1 + \text{successes}`,
        :math:`\beta = 1 + \text{failures}`.
    discount : float
        :math:`\gamma \in (0, 1)`.
    tol : float
        Width of the certified interval (module docstring).
    method : {"calibration", "restart"}
        Retirement calibration by bisection (fast, any discount), or Katehakis & Veinott's
        restart-in-state MDP solved by value iteration (an independent check; its tree has
        :math:`O(N^2)` states with :math:`\gamma^N \le \text{tol}/2`, so keep :math:`\gamma \le 0.95`).

    Returns
    -------
    GittinsIndex

    References
    ----------
    J. C. Gittins, Bandit processes and dynamic allocation indices, JRSS B 41 (1979); M. N. Katehakis,
    A. F. Veinott, Math. Oper. Res. 12(2) (1987); J. Gittins, K. Glazebrook, R. Weber, *Multi-armed Bandit
    Allocation Indices*, 2nd ed., Wiley (2011).

    Examples
    --------
    >>> from rltheory.bandits import gittins_index
    >>> c = gittins_index(2, 2, 0.9, tol=1e-5)
    >>> r = gittins_index(2, 2, 0.9, tol=1e-5, method="restart")
    >>> max(c.lower, r.lower) <= min(c.upper, r.upper), round(c.index, 4)  # the intervals meet; table: 0.6346
    (True, 0.6346)
    """
    a = check_real("gittins_index: alpha", alpha, low=0.0, low_open=True)
    b = check_real("gittins_index: beta", beta, low=0.0, low_open=True)
    gamma = check_real("gittins_index: discount", discount, low=0.0, high=1.0, low_open=True, high_open=True)
    tol = check_tol(tol, "gittins_index: tol")
    method = check_choice("gittins_index: method", method, ("calibration", "restart"))
    n_max = _depth_bound(gamma, tol)
    depth = min(n_max, 64)
    while True:
        if method == "calibration":
            lo, hi = _calibration(a, b, gamma, tol, depth)
        else:
            lo, hi = _restart(a, b, gamma, tol, depth)
        if hi - lo <= tol or depth >= n_max:
            break
        depth = min(n_max, 2 * depth)
    return GittinsIndex(float(0.5 * (lo + hi)), float(lo), float(hi), a, b, gamma, method, int(depth))
