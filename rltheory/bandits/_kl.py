r"""Divergences and KL-UCB upper confidence indices (compiled; callable from Python and from agents).

One Bernoulli KL, with one boundary semantics: :math:`0\log 0 = 0` and
:math:`d(p, q) = +\infty` when :math:`q \in \{0, 1\}` and :math:`p \ne q`.
Index computations that must stay finite (the KL-UCB index, IMED) clip their
arguments to :math:`[\epsilon, 1 - \epsilon]`, :math:`\epsilon = 10^{-15}`,
explicitly at the call.

The KL-UCB index of a family with divergence :math:`d` is
:math:`\max\{q \ge \hat\mu : d(\hat\mu, q) \le \text{level}\}` (Garivier & Cappé
2011, Alg. 1, with ``level`` :math:`= (\log t + c\log\log t)/N_a`; Cappé, Garivier,
Maillard, Munos & Stoltz 2013, *Kullback-Leibler upper confidence bounds for
optimal sequential allocation*, Ann. Statist. 41(3), eq. (5) for exponential
families). The lower index :math:`\min\{q \le \hat\mu : d(\hat\mu, q) \le
\text{level}\}` is the KL lower confidence bound of KL-LUCB (Kaufmann &
Kalyanakrishnan 2013, *Information complexity in bandit subset selection*,
COLT, Sec. 2).

Divergences of the one-parameter exponential families in the mean
parametrisation (Cappé et al. 2013, Sec. 3.1; Garivier & Kaufmann 2016, Sec. 2):

* Bernoulli: :math:`d(p, q) = p\log\frac pq + (1-p)\log\frac{1-p}{1-q}`;
* Gaussian with known variance :math:`\sigma^2`: :math:`(p - q)^2 / (2\sigma^2)`;
* Poisson: :math:`d(p, q) = q - p + p\log\frac pq`;
* exponential (mean parametrisation): :math:`d(p, q) = \frac pq - 1 - \log\frac pq`.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = [
    "KL_EPS",
    "bernoulli_kl",
    "exponential_kl",
    "gaussian_kl",
    "kllcb_bernoulli",
    "kllcb_gaussian",
    "klucb_bernoulli",
    "klucb_exponential",
    "klucb_gaussian",
    "klucb_poisson",
    "poisson_kl",
]

#: Clip applied by the index computations to means in [0, 1].
KL_EPS = 1e-15


@njit("float64(float64, float64)", cache=True)
def bernoulli_kl(p, q):
    r"""Bernoulli relative entropy :math:`d(p, q) = p\log\frac pq + (1-p)\log\frac{1-p}{1-q}`.

    Conventions :math:`0\log 0 = 0` and :math:`d(p, q) = +\infty` when ``q``
    is 0 or 1 and ``p != q``. Compiled: callable from Python and from an
    agent's jitted functions.

    Examples
    --------
    >>> from rltheory.bandits import bernoulli_kl
    >>> round(bernoulli_kl(0.8, 0.9), 6)
    0.044403
    >>> bernoulli_kl(0.5, 1.0), bernoulli_kl(1.0, 1.0)
    (inf, 0.0)
    """
    if p == q:
        return 0.0
    if q <= 0.0 or q >= 1.0:
        return math.inf
    out = 0.0
    if p > 0.0:
        out += p * math.log(p / q)
    if p < 1.0:
        out += (1.0 - p) * math.log((1.0 - p) / (1.0 - q))
    return out


@njit("float64(float64, float64, float64)", cache=True)
def gaussian_kl(p, q, sigma):
    r"""KL between :math:`N(p, \sigma^2)` and :math:`N(q, \sigma^2)`: :math:`(p-q)^2 / (2\sigma^2)`.

    Examples
    --------
    >>> from rltheory.bandits import gaussian_kl
    >>> gaussian_kl(0.0, 1.0, 1.0)
    0.5
    """
    return (p - q) ** 2 / (2.0 * sigma * sigma)


@njit(cache=True, inline="always")
def _clip(p):
    return min(max(p, KL_EPS), 1.0 - KL_EPS)


@njit(cache=True)
def _kl_clipped(p, q):
    """:func:`bernoulli_kl` of both arguments clipped to ``[KL_EPS, 1 - KL_EPS]`` (always finite)."""
    return bernoulli_kl(_clip(p), _clip(q))


@njit("float64(float64, float64)", cache=True)
def klucb_bernoulli(mean, level):
    r"""Bernoulli KL-UCB index :math:`\max\{q \in [\hat\mu, 1]: d(\hat\mu, q) \le \text{level}\}`.

    Safeguarded Newton on the convex increasing map
    :math:`q \mapsto d(\hat\mu, q) - \text{level}`, started at the Pinsker
    bound :math:`\hat\mu + \sqrt{\text{level}/2}` (where it is :math:`\ge 0`
    since :math:`d(p,q) \ge 2(q-p)^2`): the iterates decrease monotonically to
    the root, so every iterate is an upper bound of the exact index (the
    optimistic side). Divergences are evaluated on arguments clipped to
    ``[KL_EPS, 1 - KL_EPS]``; ``level <= 0`` gives ``mean``.

    Examples
    --------
    >>> from rltheory.bandits import bernoulli_kl, klucb_bernoulli
    >>> q = klucb_bernoulli(0.5, 0.1)  # d(1/2, q) = -log(4 q (1 - q)) / 2, so q = (1 + sqrt(1 - e^{-0.2})) / 2
    >>> round(q, 6), abs(bernoulli_kl(0.5, q) - 0.1) < 1e-9
    (0.712879, True)
    """
    p = mean
    if level <= 0.0:
        return p
    if p >= 1.0:
        return 1.0
    q = p + math.sqrt(0.5 * level)
    if q >= 1.0 - KL_EPS:
        q = 1.0 - KL_EPS
        if _kl_clipped(p, q) <= level:
            return 1.0
    for _ in range(100):
        f = _kl_clipped(p, q) - level
        if f <= 1e-12:
            break
        fp = (q - p) / (q * (1.0 - q))
        q_new = q - f / fp
        if q_new <= p:
            q_new = 0.5 * (q + p)
        if q - q_new < 1e-15:
            break
        q = q_new
    return q


@njit("float64(float64, float64, float64)", cache=True)
def klucb_gaussian(mean, level, sigma):
    r"""Gaussian KL-UCB index (known variance :math:`\sigma^2`): :math:`\hat\mu + \sigma\sqrt{2\,\text{level}}`.

    The closed form of :math:`\max\{q \ge \hat\mu: (q - \hat\mu)^2/(2\sigma^2) \le \text{level}\}`.

    Examples
    --------
    >>> from rltheory.bandits import gaussian_kl, klucb_gaussian
    >>> q = klucb_gaussian(0.0, 0.5, 2.0)
    >>> q, gaussian_kl(0.0, q, 2.0)
    (2.0, 0.5)
    """
    return mean + sigma * math.sqrt(2.0 * level)


@njit("float64(float64, float64)", cache=True)
def kllcb_bernoulli(mean, level):
    r"""Bernoulli KL lower confidence index :math:`\min\{q \in [0, \hat\mu]: d(\hat\mu, q) \le \text{level}\}`.

    The mirror image of :func:`klucb_bernoulli`: :math:`d(p, q) = d(1 - p, 1 - q)`, so the lower index of
    ``mean`` is ``1 - klucb_bernoulli(1 - mean, level)`` (every iterate of that Newton scheme is on the
    pessimistic side here, below the exact index). ``level <= 0`` gives ``mean``.

    Examples
    --------
    >>> from rltheory.bandits import bernoulli_kl, kllcb_bernoulli, klucb_bernoulli
    >>> q = kllcb_bernoulli(0.5, 0.1)
    >>> round(q, 6), abs(bernoulli_kl(0.5, q) - 0.1) < 1e-9, round(q + klucb_bernoulli(0.5, 0.1), 12)
    (0.287121, True, 1.0)
    """
    return 1.0 - klucb_bernoulli(1.0 - mean, level)


@njit("float64(float64, float64, float64)", cache=True)
def kllcb_gaussian(mean, level, sigma):
    r"""Gaussian KL lower confidence index: :math:`\hat\mu - \sigma\sqrt{2\,\text{level}}`.

    Examples
    --------
    >>> from rltheory.bandits import kllcb_gaussian
    >>> kllcb_gaussian(0.0, 0.5, 2.0)
    -2.0
    """
    return mean - sigma * math.sqrt(2.0 * level)


@njit("float64(float64, float64)", cache=True)
def poisson_kl(p, q):
    r"""KL between Poisson laws of means ``p`` and ``q``: :math:`q - p + p\log(p/q)`.

    Conventions :math:`0\log 0 = 0` (so :math:`d(0, q) = q`) and :math:`d(p, 0) = +\infty` for
    :math:`p > 0`. Compiled: callable from Python and from agents.

    Examples
    --------
    >>> from rltheory.bandits import poisson_kl
    >>> round(poisson_kl(2.0, 1.0), 12) == round(1.0 - 2.0 + 2.0 * __import__("math").log(2.0), 12)
    True
    >>> poisson_kl(0.0, 3.0), poisson_kl(1.0, 0.0)
    (3.0, inf)
    """
    if p == q:
        return 0.0
    if q <= 0.0:
        return math.inf
    if p <= 0.0:
        return q
    return q - p + p * math.log(p / q)


@njit("float64(float64, float64)", cache=True)
def exponential_kl(p, q):
    r"""KL between exponential laws of means ``p`` and ``q`` (both ``> 0``): :math:`p/q - 1 - \log(p/q)`.

    ``+inf`` when exactly one of the means is 0 (a degenerate law). Compiled.

    Examples
    --------
    >>> from rltheory.bandits import exponential_kl
    >>> round(exponential_kl(2.0, 1.0), 12) == round(1.0 - __import__("math").log(2.0), 12)
    True
    """
    if p == q:
        return 0.0
    if p <= 0.0 or q <= 0.0:
        return math.inf
    r = p / q
    return r - 1.0 - math.log(r)


@njit(cache=True)
def _klucb_bracketed(family, p, level):
    """Largest ``q >= p`` with ``d(p, q) <= level`` for Poisson (``family == 0``) / exponential (``1``) laws.

    ``d(p, .)`` increases from 0 to ``+inf`` on ``[p, +inf)``: an upper end is found by doubling, then the
    root is bracketed by Newton steps, safeguarded by bisection (a step leaving the bracket is replaced by
    the midpoint). Returns an iterate whose residual ``|d(p, q) - level|`` is below ``1e-14``, or else the
    upper end of a bracket narrower than ``1e-14 (1 + q)`` (the optimistic side: ``d(p, q) >= level``).
    """
    lo = p
    width = max(p, 1.0)
    hi = p + width
    for _ in range(2000):
        d = poisson_kl(p, hi) if family == 0 else exponential_kl(p, hi)
        if d > level:
            break
        lo = hi
        width *= 2.0
        hi = p + width
    q = hi
    for _ in range(200):
        d = poisson_kl(p, q) if family == 0 else exponential_kl(p, q)
        f = d - level
        if abs(f) <= 1e-14:
            return q
        if f > 0.0:
            hi = q
        else:
            lo = q
        if hi - lo <= 1e-14 * (1.0 + hi):
            break
        # d/dq d(p, q) = (q - p) / V(q): V(q) = q (Poisson), q^2 (exponential)
        fp = (q - p) / q if family == 0 else (q - p) / (q * q)
        q_new = q - f / fp if fp > 0.0 else 0.5 * (lo + hi)
        if not (q_new > lo and q_new < hi):
            q_new = 0.5 * (lo + hi)
        q = q_new
    return hi


@njit("float64(float64, float64)", cache=True)
def klucb_poisson(mean, level):
    r"""Poisson KL-UCB index :math:`\max\{q \ge \hat\mu: d(\hat\mu, q) \le \text{level}\}`.

    The largest ``q >= mean`` with :func:`poisson_kl` ``(mean, q) <= level``, by bracketed Newton
    (:func:`_klucb_bracketed`: the returned end of the bracket has ``d >= level``, the optimistic side, within
    ``1e-14 (1 + q)``). ``level <= 0`` gives ``mean``; ``mean`` must be ``>= 0``.

    Examples
    --------
    >>> from rltheory.bandits import klucb_poisson, poisson_kl
    >>> q = klucb_poisson(2.0, 0.5)
    >>> q > 2.0, abs(poisson_kl(2.0, q) - 0.5) < 1e-12
    (True, True)
    """
    if level <= 0.0:
        return mean
    return _klucb_bracketed(0, mean, level)


@njit("float64(float64, float64)", cache=True)
def klucb_exponential(mean, level):
    r"""Exponential KL-UCB index: the largest ``q >= mean`` with :func:`exponential_kl` ``(mean, q) <= level``.

    Same bracketed Newton as :func:`klucb_poisson`; ``mean`` must be ``> 0`` (``level <= 0`` gives ``mean``).

    Examples
    --------
    >>> from rltheory.bandits import exponential_kl, klucb_exponential
    >>> q = klucb_exponential(1.0, 0.2)
    >>> q > 1.0, abs(exponential_kl(1.0, q) - 0.2) < 1e-12
    (True, True)
    """
    if level <= 0.0:
        return mean
    return _klucb_bracketed(1, mean, level)
