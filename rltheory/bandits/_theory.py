"""Theory curves: asymptotic and minimax lower bounds, finite-time upper bounds.

All functions take the instance (or its number of arms) and the horizon(s)
``T`` (an int or an array of ints, e.g. ``curve.times``) and return floats or
arrays of the same shape.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._instances import BernoulliBandit, BoundedBandit, GaussianBandit, SequenceBandit
from ._kl import bernoulli_kl

__all__ = [
    "exp3_regret_bound",
    "klucb_regret_bound",
    "lai_robbins_constant",
    "lai_robbins_curve",
    "minimax_lower_bound",
    "moss_regret_bound",
    "ucb1_regret_bound",
]


def _horizons(times) -> np.ndarray:
    t = np.asarray(times)
    if t.dtype.kind not in "iuf" or not np.all(np.isfinite(t)) or np.any(t < 1):
        raise ValueError(f"horizons must be numbers >= 1, got {times!r:.200}")
    return t.astype(np.float64)


def _out(values, times):
    return float(values) if np.ndim(times) == 0 else values


def _stochastic(bandit, what):
    if isinstance(bandit, SequenceBandit):
        raise ValueError(f"{what} is defined for stochastic bandits, not for a SequenceBandit")
    if not isinstance(bandit, (BernoulliBandit, GaussianBandit, BoundedBandit)):
        raise ValueError(f"{what} needs a bandit instance, got {type(bandit).__name__}")


def _bounded(bandit, what):
    _stochastic(bandit, what)
    if isinstance(bandit, GaussianBandit):
        raise ValueError(f"{what} assumes rewards in [0, 1]; a GaussianBandit is unbounded")


def lai_robbins_constant(bandit) -> float:
    r"""Lai-Robbins constant :math:`C(\nu) = \sum_{i:\Delta_i>0} \Delta_i / \mathrm{KL}(\mu_i, \mu^*)`.

    Lai & Robbins (1985), *Asymptotically efficient adaptive allocation
    rules*, Adv. Appl. Math. 6, Theorem 2: every consistent policy satisfies
    :math:`\liminf_{T\to\infty} R_T/\log T \ge C(\nu)` in a one-parameter
    family (Bernoulli KL for Bernoulli arms, :math:`\Delta^2/(2\sigma^2)` for
    Gaussian arms).  For a :class:`BoundedBandit` the Bernoulli KL of the means
    is used (the worst case of the [0, 1] model, Burnetas & Katehakis 1996).
    Arms with infinite KL (e.g. :math:`\mu^* = 1`) contribute 0.

    Examples
    --------
    >>> round(lai_robbins_constant(BernoulliBandit([0.9, 0.8])), 4)
    2.2521
    >>> lai_robbins_constant(GaussianBandit([1.0, 0.0]))
    2.0
    """
    _stochastic(bandit, "lai_robbins_constant")
    best = bandit.best_arm
    total = 0.0
    for i in range(bandit.n_arms):
        gap = float(bandit.gaps[i])
        if gap > 0:
            kl = bandit.kl(i, best)
            # Lai & Robbins (1985), Theorem 2: sum_i gap_i / KL(mu_i, mu*)
            total += 0.0 if math.isinf(kl) else gap / kl
    return total


def lai_robbins_curve(bandit, times):
    r"""Asymptotic lower-bound curve :math:`C(\nu)\log t` (Lai & Robbins 1985, Theorem 2).

    Examples
    --------
    >>> lai_robbins_curve(GaussianBandit([1.0, 0.0]), [1, 100]).round(3).tolist()
    [0.0, 9.21]
    """
    t = _horizons(times)
    return _out(lai_robbins_constant(bandit) * np.log(t), times)


def minimax_lower_bound(n_arms: int, times):
    r"""Minimax lower bound :math:`\frac{1}{27}\sqrt{(K-1)T}`.

    Lattimore & Szepesvári (2020), *Bandit Algorithms*, Theorem 15.2: for
    :math:`K > 1` and :math:`T \ge K - 1`, for every policy there is a
    Gaussian (unit variance) bandit with means in :math:`[0, 1]` on which
    :math:`R_T \ge \frac{1}{27}\sqrt{(K-1)T}`.  The shape is
    :math:`\Theta(\sqrt{KT})`.

    Examples
    --------
    >>> round(minimax_lower_bound(10, 10**4), 3)
    11.111
    """
    if isinstance(n_arms, bool) or not isinstance(n_arms, numbers.Integral) or n_arms < 2:
        raise ValueError(f"n_arms = {n_arms!r} must be an integer >= 2")
    t = _horizons(times)
    if np.any(t < n_arms - 1):
        raise ValueError(f"Theorem 15.2 needs T >= K - 1 = {n_arms - 1}")
    # Lattimore & Szepesvari (2020), Theorem 15.2: R_T >= sqrt((K - 1) T) / 27
    return _out(np.sqrt((n_arms - 1) * t) / 27.0, times)


def ucb1_regret_bound(bandit, times):
    r"""UCB1 finite-time bound of Auer, Cesa-Bianchi & Fischer (2002), Theorem 1.

    For rewards in ``[0, 1]`` and any number of plays ``n``,

    .. math:: \mathbb E[R_n] \le 8\sum_{i:\Delta_i>0}\frac{\ln n}{\Delta_i}
              + \Bigl(1 + \frac{\pi^2}{3}\Bigr)\sum_{j}\Delta_j,

    for :class:`UCB1` with ``alpha=2``.

    Examples
    --------
    >>> round(ucb1_regret_bound(BernoulliBandit([0.9, 0.8]), 1000), 2)
    553.05
    """
    _bounded(bandit, "ucb1_regret_bound")
    t = _horizons(times)
    gaps = np.asarray(bandit.gaps)
    pos = gaps[gaps > 0]
    # Auer et al. (2002), Theorem 1: 8 sum ln n / gap_i + (1 + pi^2/3) sum gap_j
    return _out(8.0 * np.log(t) * np.sum(1.0 / pos) + (1.0 + math.pi**2 / 3.0) * gaps.sum(), times)


def klucb_regret_bound(bandit, times, *, grid: int = 40):
    r"""Explicit finite-time regret bound for KL-UCB on Bernoulli / [0, 1] arms.

    Garivier & Cappé (2011), Theorem 1, states for ``c = 3``
    :math:`\mathbb E[N_n(a)] \le (1+\varepsilon)\frac{\log n}{d(\mu_a,\mu^*)}
    + C_1\log\log n + C_2(\varepsilon) n^{-\beta(\varepsilon)}` with
    constants :math:`C_1, C_2(\varepsilon), \beta(\varepsilon)` that the paper
    does not give in closed form, so that statement cannot be evaluated.  This
    function evaluates the explicit version of Lattimore & Szepesvári (2020),
    *Bandit Algorithms*, Theorem 10.6 (KL-UCB with exploration
    :math:`\log f(t)`, :math:`f(t) = 1 + t\log^2 t`): for every suboptimal
    arm and :math:`\varepsilon_1, \varepsilon_2 > 0` with
    :math:`\varepsilon_1+\varepsilon_2 < \Delta_i`,

    .. math:: \mathbb E[T_i(n)] \le \frac{\log f(n)}{d(\mu_i+\varepsilon_1,
              \mu^*-\varepsilon_2)} + \frac{1}{2\varepsilon_1^2}
              + \frac{2}{\varepsilon_2^2},

    minimised over a ``grid x grid`` lattice of
    :math:`(\varepsilon_1, \varepsilon_2)`, and returns
    :math:`\sum_i \Delta_i \min(n, \text{bound}_i)`.  :class:`KLUCB` with
    ``c = 2`` uses :math:`\log t + 2\log\log t`, which is below
    :math:`\log f(t)` by at most :math:`\log(1 + 1/(t\log^2 t))`; the bound
    is stated for the book's exploration function.  Its leading term
    :math:`\log n \sum_i \Delta_i/d(\mu_i, \mu^*)` is the Lai-Robbins curve.

    Examples
    --------
    >>> b = BernoulliBandit([0.9, 0.8])
    >>> bool(klucb_regret_bound(b, 10**6) > lai_robbins_curve(b, 10**6))
    True
    """
    _bounded(bandit, "klucb_regret_bound")
    if isinstance(grid, bool) or not isinstance(grid, numbers.Integral) or grid < 2:
        raise ValueError(f"grid = {grid!r} must be an integer >= 2")
    t = _horizons(times)
    mu = np.asarray(bandit.means)
    mstar = float(mu.max())
    u = (np.arange(1, grid + 1) / (grid + 1))[:, None] * np.ones(grid)[None, :]
    v = u.T.copy()
    ok = u + v < 1.0
    total = np.zeros_like(t)
    logf = np.log1p(t * np.log(t) ** 2)
    for m in mu:
        gap = mstar - m
        if gap <= 0:
            continue
        e1 = (u * gap)[ok]
        e2 = (v * gap)[ok]
        d = np.array([bernoulli_kl(m + a, mstar - b) for a, b in zip(e1, e2)])
        # Lattimore & Szepesvari (2020), Theorem 10.6:
        # E[T_i(n)] <= log f(n) / d(mu_i + e1, mu* - e2) + 1 / (2 e1^2) + 2 / e2^2
        per = logf[..., None] / d + 1.0 / (2.0 * e1**2) + 2.0 / e2**2
        total = total + gap * np.minimum(t, per.min(axis=-1))
    return _out(total, times)


def moss_regret_bound(bandit, times):
    r"""MOSS distribution-free bound :math:`49\sqrt{nK}` (Audibert & Bubeck 2009, Theorem 5).

    Audibert & Bubeck (2009), *Minimax policies for adversarial and
    stochastic bandits*, COLT, Theorem 5: for rewards in ``[0, 1]`` and
    :math:`n \ge K`, MOSS satisfies :math:`\sup \mathbb E R_n \le 49\sqrt{nK}`.

    Examples
    --------
    >>> moss_regret_bound(BernoulliBandit([0.5, 0.4, 0.3, 0.2]), 100)
    980.0
    """
    _bounded(bandit, "moss_regret_bound")
    t = _horizons(times)
    # Audibert & Bubeck (2009), Theorem 5: sup E R_n <= 49 sqrt(n K)
    return _out(49.0 * np.sqrt(t * bandit.n_arms), times)


def exp3_regret_bound(bandit, times, *, g=None):
    r"""EXP3 bound :math:`2\sqrt{e-1}\sqrt{gK\ln K}` (Auer et al. 2002b, Corollary 3.2).

    Auer, Cesa-Bianchi, Freund & Schapire (2002), *The nonstochastic
    multiarmed bandit problem*, SIAM J. Comput. 32(1), Corollary 3.2: if
    :math:`g \ge G_{\max}` and EXP3 runs with :math:`\gamma = \min\{1,
    \sqrt{K\ln K/((e-1)g)}\}` then :math:`G_{\max} - \mathbb E[G_{\rm Exp3}]
    \le 2\sqrt{e-1}\sqrt{gK\ln K} \le 2.63\sqrt{gK\ln K}`.  This is the
    *expected weak regret* against the best fixed arm of an oblivious
    sequence; ``g`` defaults to ``T`` (valid for rewards in ``[0, 1]``), the
    tuning used by :class:`EXP3` with ``gamma=None``.

    Examples
    --------
    >>> round(exp3_regret_bound(BernoulliBandit([0.5, 0.4]), 10**4), 2)
    308.68
    """
    if not isinstance(bandit, (BernoulliBandit, BoundedBandit, SequenceBandit)):
        raise ValueError(
            "exp3_regret_bound needs rewards in [0, 1] (Bernoulli, Bounded or Sequence bandit), got "
            f"{type(bandit).__name__}"
        )
    t = _horizons(times)
    gg = t if g is None else _horizons(g)
    K = bandit.n_arms
    # Auer et al. (2002b), Corollary 3.2: G_max - E[G_Exp3] <= 2 sqrt(e - 1) sqrt(g K ln K)
    return _out(2.0 * math.sqrt(math.e - 1.0) * np.sqrt(gg * K * math.log(K)), times)
