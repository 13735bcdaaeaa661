r"""The characteristic time :math:`T^*(\mu)` of best-arm identification and the optimal weights :math:`w^*(\mu)`.

Garivier & Kaufmann (2016), *Optimal best arm identification with fixed
confidence*, COLT, JMLR W&CP 49:998-1027. For a one-parameter exponential
family with divergence :math:`d` and a bandit :math:`\mu` with a unique best
arm (arm 1 after sorting), Theorem 1: every :math:`\delta`-correct strategy has

.. math:: \mathbb E_\mu[\tau_\delta] \ge T^*(\mu)\,\mathrm{kl}(\delta, 1 - \delta),
   \qquad T^*(\mu)^{-1} = \sup_{w \in \Sigma_K} \inf_{\lambda \in \mathrm{Alt}(\mu)} \sum_a w_a d(\mu_a, \lambda_a),

with :math:`\mathrm{kl}` the Bernoulli divergence. Section 2.2 (Lemma 3 and
Theorem 5) computes both: with :math:`m_a(x) = (\mu_1 + x\mu_a)/(1 + x)`,

.. math:: g_a(x) = d(\mu_1, m_a(x)) + x\, d(\mu_a, m_a(x))

increases from 0 to :math:`d(\mu_1, \mu_a)` on :math:`[0, \infty)`; its inverse
:math:`x_a(y)` defines :math:`F_\mu(y) = \sum_{a \ne 1} d(\mu_1, m_a(x_a(y))) / d(\mu_a, m_a(x_a(y)))`,
increasing from 0 to :math:`+\infty` on :math:`[0, d(\mu_1, \mu_2))`; with
:math:`y^*` the root of :math:`F_\mu(y) = 1`,

.. math:: w^*_1 = \frac{1}{1 + \sum_{a\ne1} x_a(y^*)},\quad w^*_a = \frac{x_a(y^*)}{1 + \sum_{b\ne1} x_b(y^*)},
   \quad T^*(\mu) = \frac{1 + \sum_{a\ne1} x_a(y^*)}{y^*}.

The last identity is :math:`T^*(\mu)^{-1} = w^*_1 y^*` (the value of the
:math:`\sup`, Lemma 3: :math:`\inf_\lambda \sum_a w_a d(\mu_a, \lambda_a) = \min_{a\ne1} w_1 g_a(w_a/w_1)`).

Certified computation (nested bisection, as in the paper, with safeguarded
steps). :math:`g_a` is concave (:math:`g_a'(x) = d(\mu_a, m_a(x))`, decreasing), so a
Newton step for :math:`g_a(x) = y` from any point lands at or below the root,
and the inner solve keeps a bracket :math:`[x^-, x^+]` with
:math:`g_a(x^-) \le y \le g_a(x^+)` checked by evaluation. Each term of
:math:`F_\mu` increases with :math:`x`, so the brackets give
:math:`F^-(y) \le F_\mu(y) \le F^+(y)`, and the outer iteration keeps
:math:`y^- < y^* < y^+` certified by :math:`F^+(y^-) < 1 < F^-(y^+)`. Since every
:math:`x_a` increases with :math:`y`,

.. math:: \frac{1 + \sum_a x_a^-(y^-)}{y^+} \le T^*(\mu) \le \frac{1 + \sum_a x_a^+(y^+)}{y^-},

and any weights :math:`w` give :math:`T^*(\mu) \le T(w) := (\min_a w_1 g_a(w_a/w_1))^{-1}`;
the iteration stops when the certified interval is narrower than ``tol``
relative to :math:`T^*`. The certificate holds up to the floating-point
rounding of the evaluations of :math:`d` and :math:`g_a` (the Bernoulli
divergence is evaluated in a form without cancellation,
:func:`bernoulli_kl_accurate`); :data:`ROUNDING_ALLOWANCE` (``1e-13``
relative) is added on each side for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from .._validation import check_iteration_settings, check_probability, readonly
from ._instances import BernoulliBandit, GaussianBandit

__all__ = ["ROUNDING_ALLOWANCE", "OptimalWeights", "bai_lower_bound", "characteristic_time", "optimal_weights"]

FAMILY_BERNOULLI = 0
FAMILY_GAUSSIAN = 1

#: Relative allowance added on each side of the certified interval of T* (and to T(w)) for the rounding of
#: the floating-point evaluations behind it (each a few tens of operations with ~1 ulp error): 450 ulps.
ROUNDING_ALLOWANCE = 1e-13


@njit(cache=True, inline="always")
def _log1p_minus(u):
    r""":math:`\log(1 + u) - u` without cancellation.

    For :math:`|u| < 0.1`: with :math:`s = u/(2 + u)`, :math:`\log(1+u) = 2\,\mathrm{atanh}(s)`, so
    :math:`\log(1+u) - u = -u^2/(2+u) + 2\sum_{j\ge1} s^{2j+1}/(2j+1)`, summed to :math:`s^{15}`
    (:math:`s^2 < 0.003`: the truncation is below :math:`10^{-17}` relative).
    """
    if abs(u) >= 0.1:
        return math.log1p(u) - u
    s = u / (2.0 + u)
    s2 = s * s
    tail = s2 * (
        1.0 / 3.0
        + s2
        * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 * (1.0 / 15.0))))))
    )
    return -u * u / (2.0 + u) + 2.0 * s * tail


@njit(cache=True)
def bernoulli_kl_accurate(p, q):
    r"""The Bernoulli divergence with full relative precision when ``p`` and ``q`` are close.

    :math:`d(p, q) = \frac{(p - q)^2}{q(1 - q)} + p\,\varphi(u) + (1 - p)\,\varphi(v)` with
    :math:`u = (p - q)/q`, :math:`v = (q - p)/(1 - q)`, :math:`\varphi(u) = \log(1 + u) - u`
    (the first-order terms of :math:`p\log(1+u) + (1-p)\log(1+v)` sum to the first fraction), so no
    term cancels to first order. Same conventions as :func:`rltheory.bandits.bernoulli_kl` (``+inf``
    when ``q`` is 0 or 1 and ``p != q``). :func:`~rltheory.bandits.bernoulli_kl` itself is kept as it is
    (the pinned regret curves of the KL-UCB family depend on its rounding).
    """
    if p == q:
        return 0.0
    if q <= 0.0 or q >= 1.0:
        return math.inf
    d = p - q
    out = d * d / (q * (1.0 - q))
    if p > 0.0:
        out += p * _log1p_minus(d / q)
    if p < 1.0:
        out += (1.0 - p) * _log1p_minus(-d / (1.0 - q))
    return max(out, 0.0)


@njit(cache=True, inline="always")
def family_kl(family, p, q, sigma):
    """The divergence of the family: Bernoulli (``family == 0``, :func:`bernoulli_kl_accurate`) or Gaussian
    ``(p - q)^2 / (2 sigma^2)``."""
    if family == 0:
        return bernoulli_kl_accurate(p, q)
    return (p - q) * (p - q) / (2.0 * sigma * sigma)


@njit(cache=True, inline="always")
def _mix(m1, ma, x):
    r""":math:`m_a(x) = (\\mu_1 + x\\mu_a)/(1 + x)`, written to keep its precision as ``x`` grows."""
    return ma + (m1 - ma) / (1.0 + x)


@njit(cache=True, inline="always")
def _g(family, m1, ma, x, sigma):
    if x <= 0.0:
        return 0.0  # (0 * d(mu_a, mu_1) with d infinite for Bernoulli means 0 and 1)
    m = _mix(m1, ma, x)
    return family_kl(family, m1, m, sigma) + x * family_kl(family, ma, m, sigma)


@njit(cache=True, inline="always")
def _ratio(family, m1, ma, x, sigma):
    r"""The term :math:`d(\\mu_1, m_a(x)) / d(\\mu_a, m_a(x))` of :math:`F_\\mu` (increasing in ``x``)."""
    m = _mix(m1, ma, x)
    den = family_kl(family, ma, m, sigma)
    if den <= 0.0:
        return math.inf
    return family_kl(family, m1, m, sigma) / den


@njit(cache=True)
def x_of_y(family, m1, ma, y, sigma, x_start, rtol, certify, out, k):
    r"""Bracket the root :math:`x_a(y)` of :math:`g_a(x) = y` into ``out[0, k] <= x_a(y) <= out[1, k]``.

    Requires :math:`0 \le y < d(\mu_1, \mu_a)`. Newton steps (each lands at or below the root, ``g_a`` being
    concave) from ``x_start``, safeguarded by bisection; when a step is below ``rtol / 4`` relative, the point
    ``x (1 + rtol / 2)`` is evaluated to certify the upper end (``certify``; otherwise ``out[1, k] = out[0, k]``).
    Returns the number of evaluations of ``g_a``, negative when 400 did not suffice.
    """
    if y <= 0.0:
        out[0, k] = 0.0
        out[1, k] = 0.0
        return 0
    lo = 0.0
    hi = math.inf
    # g_a(x) <= g_a'(0) x = d(mu_a, mu_1) x (concavity): the root is at least y / d(mu_a, mu_1)
    x_floor = y / family_kl(family, ma, m1, sigma)
    x = x_start if x_start > x_floor else x_floor
    if not x > 0.0:
        x = 1.0
    evals = 0
    for _ in range(400):
        gx = _g(family, m1, ma, x, sigma)
        evals += 1
        if gx <= y:
            lo = max(lo, x)
        else:
            hi = min(hi, x)
        if hi < math.inf and hi - lo <= rtol * hi:
            out[0, k] = lo
            out[1, k] = hi if certify else lo
            return evals
        slope = family_kl(family, ma, _mix(m1, ma, x), sigma)
        step_ok = slope > 0.0 and slope < math.inf
        x_new = x + (y - gx) / slope if step_ok else -1.0
        if x_new <= lo or x_new >= hi or x_new != x_new:
            if hi == math.inf:
                x_new = 2.0 * lo + 1.0
            else:
                x_new = x_floor if (lo < x_floor and x_floor < hi) else 0.5 * (lo + hi)
        elif abs(x_new - x) <= 0.25 * rtol * x_new:
            if not certify:
                out[0, k] = x_new
                out[1, k] = x_new
                return evals
            if gx <= y:
                # Newton has converged from below: certify the upper end
                x_new = x_new * (1.0 + 0.5 * rtol) + 1e-300
                if x_new >= hi:
                    x_new = 0.5 * (lo + hi)
        x = x_new
    out[0, k] = lo
    out[1, k] = hi if certify else lo
    return -evals


@njit(cache=True, inline="always")
def _variance(family, m, sigma):
    r"""The variance function :math:`V(m)`: :math:`m(1 - m)` (Bernoulli), :math:`\sigma^2` (Gaussian)."""
    if family == 0:
        return m * (1.0 - m)
    return sigma * sigma


@njit(cache=True)
def _f_and_slope(family, m1, others, y, sigma, rtol, xs):
    r"""Uncertified ``(F(y), F'(y))``, with every ``x_a(y)`` (warm-started from ``xs[0]``) written into ``xs[0]``.

    :math:`F'(y) = \sum_a r_a'(x_a) / g_a'(x_a)` with :math:`g_a' = d(\mu_a, m_a)` and
    :math:`r_a = d(\mu_1, m_a) / d(\mu_a, m_a)`, :math:`\partial_m d(p, m) = (m - p) / V(m)`.
    """
    f = 0.0
    fp = 0.0
    for k in range(others.shape[0]):
        ma = others[k]
        x_of_y(family, m1, ma, y, sigma, xs[0, k], rtol, False, xs, k)
        x = xs[0, k]
        m = _mix(m1, ma, x)
        num = family_kl(family, m1, m, sigma)
        den = family_kl(family, ma, m, sigma)
        if den <= 0.0:
            return math.inf, math.inf
        f += num / den
        v = _variance(family, m, sigma)
        if v <= 0.0:
            fp = math.inf
            continue
        dm_dx = -(m1 - ma) / ((1.0 + x) * (1.0 + x))
        dr_dx = ((m - m1) / v * den - num * (m - ma) / v) / (den * den) * dm_dx
        fp += dr_dx / den
    return f, fp


@njit(cache=True)
def _f_bounds(family, m1, others, y, sigma, rtol, xs):
    """Certified ``(F^-(y), F^+(y))`` from brackets of every ``x_a(y)``, written into ``xs`` (2, K - 1)."""
    f_lo = 0.0
    f_hi = 0.0
    ok = True
    for k in range(others.shape[0]):
        n = x_of_y(family, m1, others[k], y, sigma, xs[0, k], rtol, True, xs, k)
        ok = ok and n >= 0
        f_lo += _ratio(family, m1, others[k], xs[0, k], sigma)
        f_hi += _ratio(family, m1, others[k], xs[1, k], sigma)
    if not ok:
        f_lo = 0.0
        f_hi = math.inf
    return f_lo, f_hi


@njit(cache=True)
def _t_bounds(y_lo, y_hi, x_lo, x_hi, bounds):
    """Certified ``(T_lower, T_upper, y_lo, y_hi)`` from the brackets at ``y_lo < y* < y_hi`` into ``bounds``."""
    s_lo = 0.0
    s_hi = 0.0
    for k in range(x_lo.shape[1]):
        s_lo += x_lo[0, k]
        s_hi += x_hi[1, k]
    bounds[0] = (1.0 + s_lo) / y_hi
    bounds[1] = (1.0 + s_hi) / y_lo
    bounds[2] = y_lo
    bounds[3] = y_hi


@njit(cache=True)
def solve_y(family, m1, others, sigma, ytol, max_iter, xs):
    r"""The root :math:`y^*` of :math:`F_\mu(y) = 1` by Newton's method safeguarded by a bracket (uncertified).

    Starts at the middle of :math:`(0, d(\mu_1, \mu_2))` (or at 1 and doubling when that is infinite);
    a step leaving the current bracket is replaced by bisection. Stops when a step is below ``ytol``
    relative. ``xs[0]`` holds the ``x_a(y)`` of the returned ``y`` (and warm-starts the inner solves).
    Returns ``(y, iterations)``; ``iterations < 0`` when ``max_iter`` was reached.
    """
    n = others.shape[0]
    rtol = max(min(ytol, 1e-6) / 64.0, 1e-13)
    y_max = math.inf
    for k in range(n):
        y_max = min(y_max, family_kl(family, m1, others[k], sigma))
    lo = 0.0
    hi = y_max
    y = 0.5 * y_max if y_max < math.inf else 1.0
    for k in range(n):
        xs[0, k] = 0.0  # cold start: each inner solve starts at its lower bound y / d(mu_a, mu_1)
    for it in range(1, max_iter + 1):
        f, fp = _f_and_slope(family, m1, others, y, sigma, rtol, xs)
        if f < 1.0:
            lo = y
        else:
            hi = y
        if f == 1.0 or (hi < math.inf and hi - lo <= ytol * hi):
            return y, it
        y_new = y - (f - 1.0) / fp if (fp > 0.0 and fp < math.inf) else -1.0
        # a Newton step below ytol ends the iteration before the bracket test: at the resolution of F the step
        # can land on an end of the bracket (F(y) - 1 = 1 ulp makes y the upper end), and bisecting the whole
        # bracket then would throw the converged iterate away
        if y_new > 0.0 and abs(y_new - y) <= ytol * y_new:
            _f_and_slope(family, m1, others, y_new, sigma, rtol, xs)
            return y_new, it
        if not (y_new > lo and y_new < hi):
            y_new = 2.0 * lo + 1.0 if hi == math.inf else 0.5 * (lo + hi)
            if abs(y_new - y) <= ytol * y_new:
                _f_and_slope(family, m1, others, y_new, sigma, rtol, xs)
                return y_new, it
        y = y_new
    return y, -max_iter


@njit(cache=True)
def allocation(family, m1, others, sigma, tol, max_iter, certify, x_lo, x_hi, bounds):
    r"""Solve :math:`F_\mu(y) = 1` for a best mean ``m1`` and the other means ``others`` (all ``< m1``).

    :func:`solve_y` finds :math:`y^*` (to ``1e-13`` relative when ``certify``, else to ``tol``); with
    ``certify``, the points :math:`y^\mp = y^*(1 \mp \eta)` are then checked, with certified inner brackets,
    to satisfy :math:`F^+(y^-) < 1 < F^-(y^+)` (so :math:`y^- < y^* < y^+`), for
    :math:`\eta = \text{tol}/4, \text{tol}/40, \ldots` until the certified interval of :math:`T^*` is
    narrower than ``tol`` relative. The brackets of every :math:`x_a` at :math:`y^-` go to ``x_lo`` and at
    :math:`y^+` to ``x_hi`` (shape ``(2, K - 1)``: row 0 lower ends, row 1 upper ends), and
    ``(T_lower, T_upper, y^-, y^+)`` to ``bounds``. Returns the outer iterations, negative when ``tol``
    was not certified (``max_iter`` reached, or the floating-point resolution of :math:`F` reached first).
    """
    n = others.shape[0]
    y, it = solve_y(family, m1, others, sigma, 1e-13 if certify else tol, max_iter, x_lo)
    if not certify:
        s = 0.0
        for k in range(n):
            x_lo[1, k] = x_lo[0, k]
            x_hi[0, k] = x_lo[0, k]
            x_hi[1, k] = x_lo[0, k]
            s += x_lo[0, k]
        bounds[0] = (1.0 + s) / y
        bounds[1] = bounds[0]
        bounds[2] = y
        bounds[3] = y
        return it
    for k in range(n):
        x_hi[0, k] = x_lo[0, k]
    rtol = max(tol / 64.0, 1e-13)
    eta = 0.25 * tol
    bounds[0] = 0.0
    bounds[1] = math.inf
    bounds[2] = 0.0
    bounds[3] = math.inf
    for _ in range(12):
        y_a = y * (1.0 - eta)
        y_b = y * (1.0 + eta)
        if not (y_a < y and y < y_b):
            break
        f_a_lo, f_a_hi = _f_bounds(family, m1, others, y_a, sigma, rtol, x_lo)
        f_b_lo, f_b_hi = _f_bounds(family, m1, others, y_b, sigma, rtol, x_hi)
        if not (f_a_hi < 1.0 and f_b_lo > 1.0):
            break  # the bracket is below the resolution of F
        _t_bounds(y_a, y_b, x_lo, x_hi, bounds)
        if bounds[1] - bounds[0] <= tol * bounds[0]:
            return abs(it)
        eta *= 0.1
        for k in range(n):  # warm starts for the next, narrower, bracket
            x_lo[0, k] = 0.5 * (x_lo[0, k] + x_hi[0, k])
            x_hi[0, k] = x_lo[0, k]
    return -abs(it)


@njit(cache=True)
def weights_value(family, means, best, w, sigma):
    r""":math:`T(w)^{-1} = \min_{a \ne 1} w_1 g_a(w_a / w_1)` (Garivier & Kaufmann 2016, Lemma 3); a lower bound of
    :math:`T^*(\mu)^{-1}` for every ``w`` in the simplex."""
    out = math.inf
    w1 = w[best]
    for a in range(means.shape[0]):
        if a == best:
            continue
        if w1 <= 0.0 or w[a] <= 0.0:
            return 0.0
        out = min(out, w1 * _g(family, means[best], means[a], w[a] / w1, sigma))
    return out


@njit(cache=True)
def optimal_weights_into(family, means, sigma, tol, max_iter, certify, w, bounds):
    r"""``w*(means)`` written into ``w`` (the original arm order); returns the outer iterations (see
    :func:`allocation`).

    When the largest mean is not unique, ``w`` is uniform over the maximisers, ``bounds`` is
    ``(inf, inf, 0, 0)`` and 0 is returned (the convention of Garivier & Kaufmann's reference code:
    :math:`T^* = +\\infty`).
    """
    K = means.shape[0]
    best = 0
    for a in range(1, K):
        if means[a] > means[best]:
            best = a
    n_best = 0
    for a in range(K):
        if means[a] == means[best]:
            n_best += 1
    if n_best > 1:
        for a in range(K):
            w[a] = 1.0 / n_best if means[a] == means[best] else 0.0
        bounds[0] = math.inf
        bounds[1] = math.inf
        bounds[2] = 0.0
        bounds[3] = 0.0
        return 0
    others = np.empty(K - 1)
    j = 0
    for a in range(K):
        if a != best:
            others[j] = means[a]
            j += 1
    x_lo = np.empty((2, K - 1))
    x_hi = np.empty((2, K - 1))
    it = allocation(family, means[best], others, sigma, tol, max_iter, certify, x_lo, x_hi, bounds)
    total = 1.0
    j = 0
    for a in range(K):
        if a != best:
            # the middle of the y-bracket: average of the x brackets at its two ends
            x = 0.25 * (x_lo[0, j] + x_lo[1, j] + x_hi[0, j] + x_hi[1, j])
            w[a] = x
            total += x
            j += 1
    w[best] = 1.0
    for a in range(K):
        w[a] /= total
    return it


def _family(bandit, who):
    if isinstance(bandit, BernoulliBandit):
        return FAMILY_BERNOULLI, 1.0
    if isinstance(bandit, GaussianBandit):
        return FAMILY_GAUSSIAN, float(bandit.sigma)
    raise ValueError(
        f"{who} needs a BernoulliBandit or a GaussianBandit (one-parameter exponential families), "
        f"got {type(bandit).__name__}"
    )


def _unique_best(bandit, who):
    means = np.asarray(bandit.means, dtype=np.float64)
    top = np.flatnonzero(means == means.max())
    if top.size > 1:
        raise ValueError(
            f"{who}: arms {top.tolist()} share the largest mean {float(means.max())!r}; best-arm identification "
            "needs a unique best arm (T*(mu) is infinite otherwise)"
        )
    return means


@dataclass(frozen=True)
class OptimalWeights:
    r"""The optimal allocation :math:`w^*(\mu)` and the characteristic time :math:`T^*(\mu)` of a bandit.

    Attributes
    ----------
    weights : (K,) float64
        :math:`w^*(\mu)` (sums to 1), from the middle of the final bracket of :math:`y^*`.
    characteristic_time : float
        :math:`T^*(\mu)`: the midpoint of ``[lower, upper]``.
    lower, upper : float
        Certified bounds :math:`\text{lower} \le T^*(\mu) \le \text{upper}` (module docstring, with the
        rounding allowance); ``upper`` is the smaller of the bracket's bound and :math:`T(w)` of the
        returned weights.
    weights_time : float
        :math:`T(w) = (\min_a w_1 g_a(w_a/w_1))^{-1} \ge T^*(\mu)` of the returned weights (times
        ``1 + ROUNDING_ALLOWANCE``).
    y_star : float
        The midpoint of the certified bracket of the root :math:`y^*` of :math:`F_\mu(y) = 1`.
    iterations : int
        Outer iterations.
    converged : bool
        Whether ``upper - lower <= tol * lower`` was reached within ``max_iter``.
    tol : float

    Examples
    --------
    Two unit-variance Gaussian arms with gap 1: :math:`w^* = (1/2, 1/2)` and :math:`T^* = 8\sigma^2/\Delta^2 = 8`.

    >>> from rltheory.bandits import GaussianBandit, optimal_weights
    >>> ow = optimal_weights(GaussianBandit([1.0, 0.0], sigma=1.0))
    >>> ow.weights.round(10).tolist(), round(ow.characteristic_time, 8), ow.converged, ow.tol
    ([0.5, 0.5], 8.0, True, 1e-10)
    >>> bool(ow.lower <= 8.0 <= ow.upper <= ow.weights_time)
    True
    """

    weights: np.ndarray
    characteristic_time: float
    lower: float
    upper: float
    weights_time: float
    y_star: float
    iterations: int
    converged: bool
    tol: float

    def __post_init__(self):
        object.__setattr__(self, "weights", readonly(self.weights))


def optimal_weights(bandit, *, tol: float = 1e-10, max_iter: int = 200) -> OptimalWeights:
    r"""Optimal weights :math:`w^*(\mu)` and characteristic time :math:`T^*(\mu)`, certified to relative ``tol``.

    Garivier & Kaufmann (2016), Theorem 5 (Sec. 2.2), computed by their nested root finding with
    certified brackets (module docstring): ``lower <= T*(mu) <= upper`` with
    ``upper - lower <= tol * lower`` when ``converged``.

    Parameters
    ----------
    bandit : BernoulliBandit or GaussianBandit
        With a unique best arm.
    tol : float
        Relative width of the certified interval of :math:`T^*`; reachable down to about ``1e-12``
        (floating-point resolution); a smaller one ends with ``converged=False``.
    max_iter : int
        Outer iterations (each solves the ``K - 1`` inner equations).

    Returns
    -------
    OptimalWeights

    Examples
    --------
    Two Gaussian arms: :math:`w^* = (1/2, 1/2)` and :math:`T^* = 8\sigma^2/\Delta^2`.

    >>> from rltheory.bandits import BernoulliBandit, GaussianBandit, optimal_weights
    >>> ow = optimal_weights(GaussianBandit([1.0, 0.5], sigma=1.0))
    >>> ow.weights.round(10).tolist(), round(ow.characteristic_time, 8), ow.converged
    ([0.5, 0.5], 32.0, True)
    >>> ow = optimal_weights(BernoulliBandit([0.5, 0.45, 0.43, 0.4]))
    >>> ow.weights.round(3).tolist(), ow.lower <= ow.characteristic_time <= ow.upper
    ([0.417, 0.39, 0.136, 0.057], True)
    """
    tol, max_iter = check_iteration_settings(tol, max_iter)
    family, sigma = _family(bandit, "optimal_weights")
    means = _unique_best(bandit, "optimal_weights")
    w = np.empty(means.size)
    bounds = np.empty(4)
    it = optimal_weights_into(family, means, sigma, tol, max_iter, True, w, bounds)
    lower, upper, y_lo, y_hi = (float(b) for b in bounds)
    value = float(weights_value(family, means, int(np.argmax(means)), w, sigma))
    weights_time = (1.0 + ROUNDING_ALLOWANCE) / value if value > 0 else math.inf
    lower *= 1.0 - ROUNDING_ALLOWANCE
    upper = min(upper * (1.0 + ROUNDING_ALLOWANCE), weights_time)
    converged = it >= 0 and upper - lower <= tol * lower
    return OptimalWeights(
        weights=w,
        characteristic_time=0.5 * (lower + upper),
        lower=lower,
        upper=upper,
        weights_time=weights_time,
        y_star=0.5 * (y_lo + y_hi),
        iterations=abs(int(it)),
        converged=bool(converged),
        tol=tol,
    )


def characteristic_time(bandit, *, tol: float = 1e-10, max_iter: int = 200) -> float:
    r"""The characteristic time :math:`T^*(\mu)` of best-arm identification (Garivier & Kaufmann 2016, Thm 1).

    ``optimal_weights(bandit, tol=tol, max_iter=max_iter).characteristic_time``: certified to relative
    ``tol`` (see :func:`optimal_weights` for the interval and the weights).

    Examples
    --------
    >>> from rltheory.bandits import GaussianBandit, characteristic_time
    >>> round(characteristic_time(GaussianBandit([0.0, 1.0], sigma=0.5)), 9)  # 8 sigma^2 / Delta^2
    2.0
    """
    return optimal_weights(bandit, tol=tol, max_iter=max_iter).characteristic_time


def _kl_delta(delta: float) -> float:
    r""":math:`\\mathrm{kl}(\\delta, 1 - \\delta) = (1 - 2\\delta)\\log\\frac{1 - \\delta}{\\delta}`."""
    return (1.0 - 2.0 * delta) * math.log((1.0 - delta) / delta)


def bai_lower_bound(bandit, delta, *, tol: float = 1e-10) -> float:
    r"""The lower bound :math:`T^*(\mu)\,\mathrm{kl}(\delta, 1-\delta)` on :math:`\mathbb E[\tau_\delta]`.

    Garivier & Kaufmann (2016), Theorem 1: every strategy that is :math:`\delta`-correct on the
    family (Bernoulli or Gaussian with the bandit's variance) satisfies
    :math:`\mathbb E_\mu[\tau_\delta] \ge T^*(\mu)\,\mathrm{kl}(\delta, 1 - \delta)`, with
    :math:`\mathrm{kl}(\delta, 1 - \delta) = (1 - 2\delta)\log\frac{1-\delta}{\delta} \sim \log(1/\delta)`.
    Uses the certified lower end of :math:`T^*` (so the value returned is a valid lower bound).

    Examples
    --------
    >>> import math
    >>> from rltheory.bandits import GaussianBandit, bai_lower_bound
    >>> lb = bai_lower_bound(GaussianBandit([1.0, 0.5]), 0.01)
    >>> math.isclose(lb, 32.0 * 0.98 * math.log(99.0), rel_tol=1e-9)
    True
    """
    delta = check_probability("delta", delta)
    if delta >= 0.5:
        raise ValueError(f"delta = {delta!r} must be < 1/2 (kl(delta, 1 - delta) vanishes at 1/2)")
    return optimal_weights(bandit, tol=tol).lower * _kl_delta(delta)
