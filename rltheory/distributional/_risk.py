r"""Risk functionals of a return distribution (returns are gains: larger is better).

The mean and the variance are the ``mean()`` / ``variance()`` methods of every
representation; this module adds

* :func:`value_at_risk`: the lower :math:`\alpha`-quantile
  :math:`\mathrm{VaR}_\alpha(G) = F^{-1}(\alpha) = \inf\{x : F(x) \ge \alpha\}`;
* :func:`cvar`: the lower-tail conditional value at risk in the
  Rockafellar-Uryasev form
  :math:`\mathrm{CVaR}_\alpha(G) = \sup_b \{ b - \mathbb{E}[(b - G)^+]/\alpha \}
  = \frac1\alpha \int_0^\alpha F^{-1}(u)\,du`, the supremum attained at
  :math:`b = \mathrm{VaR}_\alpha` (Rockafellar & Uryasev 2000, Theorem 1,
  written for gains);
* :func:`entropic_risk`: :math:`-\frac1\beta \log \mathbb{E}\, e^{-\beta G}`
  (the certainty equivalent of exponential utility; Föllmer & Schied,
  *Stochastic Finance*, entropic risk measure), the mean at :math:`\beta = 0`;
* :func:`mean_variance`: :math:`\mathbb{E}G - \lambda \operatorname{Var} G`
  (Markowitz 1952);
* :func:`band_probability`: the homeostatic objective
  :math:`\Pr(lo \le G \le hi)` (Ávila Pires et al. 2025, Sec. 5).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy.special import logsumexp

from rltheory.distributional._representations import as_atoms_probs

__all__ = ["band_probability", "cvar", "entropic_risk", "mean_variance", "value_at_risk"]


def _real(name: str, x, *, lo=-math.inf, hi=math.inf, lo_open=False) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x):
        raise ValueError(f"{name} = {x!r} must be a finite real number")
    x = float(x)
    if x < lo or x > hi or (lo_open and x == lo):
        raise ValueError(f"{name} = {x!r} is outside {'(' if lo_open else '['}{lo}, {hi}]")
    return x


def value_at_risk(distribution, alpha: float) -> float:
    r"""Lower :math:`\alpha`-quantile :math:`F^{-1}(\alpha)`, :math:`\alpha \in (0, 1]`.

    Examples
    --------
    >>> from rltheory.distributional import FiniteDistribution
    >>> from rltheory.distributional import value_at_risk
    >>> value_at_risk(FiniteDistribution([-1.0, 0.0, 5.0], [0.1, 0.4, 0.5]), 0.1)
    -1.0
    """
    a = _real("alpha", alpha, lo=0.0, hi=1.0, lo_open=True)
    x, p = as_atoms_probs(distribution)
    c = np.cumsum(p)
    return float(x[min(int(np.searchsorted(c, a, side="left")), x.size - 1)])


def cvar(distribution, alpha: float) -> float:
    r"""Lower-tail CVaR: :math:`\frac1\alpha\int_0^\alpha F^{-1}(u)\,du = \sup_b\{b - \mathbb{E}(b-G)^+/\alpha\}`.

    Computed exactly as the average of the lowest :math:`\alpha` of the mass;
    :math:`\alpha = 1` gives the mean.

    Examples
    --------
    >>> from rltheory.distributional import FiniteDistribution, cvar
    >>> cvar(FiniteDistribution([-1.0, 0.0, 5.0], [0.1, 0.4, 0.5]), 0.2)
    -0.5
    """
    a = _real("alpha", alpha, lo=0.0, hi=1.0, lo_open=True)
    x, p = as_atoms_probs(distribution)
    before = np.concatenate(([0.0], np.cumsum(p)[:-1]))
    take = np.clip(a - before, 0.0, p)  # mass of each atom inside the lowest alpha
    return float(np.dot(take, x) / a)


def entropic_risk(distribution, beta: float) -> float:
    r"""Entropic risk :math:`-\frac1\beta\log\mathbb{E}e^{-\beta G}` (:math:`\beta>0` risk-averse; mean at 0).

    Examples
    --------
    >>> from rltheory.distributional import FiniteDistribution, entropic_risk
    >>> round(entropic_risk(FiniteDistribution([0.0, 2.0], [0.5, 0.5]), 1e-9), 6)
    1.0
    """
    b = _real("beta", beta)
    x, p = as_atoms_probs(distribution)
    if b == 0.0:
        return float(np.dot(p, x))
    keep = p > 0
    return float(-logsumexp(-b * x[keep], b=p[keep]) / b)


def mean_variance(distribution, risk_aversion: float) -> float:
    r""":math:`\mathbb{E}G - \lambda \operatorname{Var} G` with :math:`\lambda =` ``risk_aversion`` :math:`\ge 0`.

    Examples
    --------
    >>> from rltheory.distributional import FiniteDistribution, mean_variance
    >>> mean_variance(FiniteDistribution([0.0, 2.0], [0.5, 0.5]), 0.5)
    0.5
    """
    lam = _real("risk_aversion", risk_aversion, lo=0.0)
    x, p = as_atoms_probs(distribution)
    m = float(np.dot(p, x))
    return m - lam * float(np.dot(p, (x - m) ** 2))


def band_probability(distribution, lo: float, hi: float) -> float:
    r"""Homeostatic objective :math:`\Pr(lo \le G \le hi)`.

    Examples
    --------
    >>> from rltheory.distributional import FiniteDistribution, band_probability
    >>> band_probability(FiniteDistribution([0.0, 1.0, 2.0], [0.25, 0.5, 0.25]), 1.0, 2.0)
    0.75
    """
    lo = _real("lo", lo)
    hi = _real("hi", hi)
    if lo > hi:
        raise ValueError(f"lo = {lo!r} > hi = {hi!r}")
    x, p = as_atoms_probs(distribution)
    return float(p[(x >= lo) & (x <= hi)].sum())
