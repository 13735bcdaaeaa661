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
families).
"""

from __future__ import annotations

import math

from numba import njit

__all__ = ["KL_EPS", "bernoulli_kl", "gaussian_kl", "klucb_bernoulli", "klucb_gaussian"]

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
