r"""Return-distribution representations: finite support, categorical, quantile.

Every representation is a probability law on :math:`\mathbb{R}` with finitely
many atoms, stored as a frozen, validated dataclass with read-only arrays:

* :class:`FiniteDistribution` -- arbitrary atoms :math:`x_1 < \dots < x_K`
  with probabilities :math:`p_k` (the exact laws of finite-horizon returns);
* :class:`CategoricalDistribution` -- probabilities on a fixed support
  :math:`z_1 < \dots < z_m` (Bellemare, Dabney & Munos 2017, Sec. 4);
* :class:`QuantileDistribution` -- :math:`n` equally weighted locations
  :math:`\frac1n \sum_i \delta_{\theta_i}` (Dabney et al. 2018, Sec. 3).

All share ``mean()``, ``variance()``, ``cdf(x)``, ``quantile(tau)`` and
``sample(size, rng)``. The CDF is right-continuous,
:math:`F(x) = \Pr(G \le x)`, and the quantile function is the generalized
inverse :math:`F^{-1}(\tau) = \inf\{x : F(x) \ge \tau\}` for
:math:`\tau \in (0, 1]` (with :math:`F^{-1}(0)` the smallest atom).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import as_generator, check_finite, check_shape, readonly

__all__ = [
    "CategoricalDistribution",
    "FiniteDistribution",
    "QuantileDistribution",
    "DISTRIBUTION_SUM_ATOL",
]

#: Tolerance on the total mass of a distribution given by the user. Sums of a
#: few thousand probabilities computed in floating point are off by far less.
DISTRIBUTION_SUM_ATOL = 1e-9


def _check_probs(name: str, probs, n: int | None = None) -> np.ndarray:
    p = np.array(probs, dtype=float)
    check_shape(name, p, (n,))
    check_finite(name, p)
    if (p < 0).any():
        i = int(np.argmax(p < 0))
        raise ValueError(f"{name}[{i}] = {float(p[i])!r} is negative")
    total = float(p.sum())
    if abs(total - 1.0) > DISTRIBUTION_SUM_ATOL:
        raise ValueError(f"{name} sums to {total!r}, expected 1 within {DISTRIBUTION_SUM_ATOL:g}")
    return p


class _FiniteLaw:
    """Shared methods of the finite-support representations (via ``_law``)."""

    def _law(self) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - overridden
        raise NotImplementedError

    def mean(self) -> float:
        r""":math:`\mathbb{E}[G] = \sum_k p_k x_k`."""
        x, p = self._law()
        return float(np.dot(p, x))

    def variance(self) -> float:
        r""":math:`\operatorname{Var}[G] = \sum_k p_k (x_k - \mathbb{E}G)^2` (centred, so never negative)."""
        x, p = self._law()
        m = float(np.dot(p, x))
        return float(np.dot(p, (x - m) ** 2))

    def cdf(self, x):
        r"""Right-continuous CDF :math:`F(x) = \Pr(G \le x)`, vectorized over ``x``."""
        atoms, p = self._law()
        c = np.cumsum(p)
        c[-1] = 1.0 if abs(c[-1] - 1.0) <= DISTRIBUTION_SUM_ATOL else c[-1]
        xs = np.asarray(x, dtype=float)
        idx = np.searchsorted(atoms, xs, side="right")
        out = np.where(idx > 0, c[np.maximum(idx - 1, 0)], 0.0)
        return float(out) if out.ndim == 0 else out

    def quantile(self, tau):
        r"""Generalized inverse :math:`F^{-1}(\tau) = \inf\{x: F(x) \ge \tau\}`, ``tau`` in ``[0, 1]``."""
        atoms, p = self._law()
        t = np.asarray(tau, dtype=float)
        if not np.isfinite(t).all() or (t < 0).any() or (t > 1).any():
            raise ValueError(f"tau must lie in [0, 1], got {tau!r}")
        c = np.cumsum(p)
        idx = np.minimum(np.searchsorted(c, t, side="left"), len(atoms) - 1)
        out = atoms[idx]
        return float(out) if out.ndim == 0 else out

    def sample(self, size, rng=None) -> np.ndarray:
        """Draw ``size`` independent returns (``rng``: Generator, seed or None)."""
        atoms, p = self._law()
        gen = as_generator(rng)
        return atoms[gen.choice(len(atoms), size=size, p=p / p.sum())]


@dataclass(frozen=True, eq=False)
class FiniteDistribution(_FiniteLaw):
    r"""A law :math:`\sum_k p_k \delta_{x_k}` with finitely many atoms.

    Parameters
    ----------
    atoms : array_like, shape (K,)
        Finite atom locations, in any order, repeats allowed.
    probs : array_like, shape (K,)
        Non-negative probabilities summing to 1 within ``1e-9``.

    Notes
    -----
    On construction the atoms are sorted, exactly equal atoms are merged
    (probabilities added) and zero-probability atoms dropped, so two equal
    laws have identical arrays. At least one atom must carry mass.

    Examples
    --------
    >>> from rltheory.distributional import FiniteDistribution
    >>> d = FiniteDistribution([1.0, 0.0, 1.0], [0.25, 0.5, 0.25])
    >>> d.atoms, d.probs
    (array([0., 1.]), array([0.5, 0.5]))
    >>> d.mean(), d.variance(), d.cdf(0.5), d.quantile(0.75)
    (0.5, 0.25, 0.5, 1.0)
    """

    atoms: np.ndarray
    probs: np.ndarray

    def __post_init__(self):
        x = np.array(self.atoms, dtype=float)
        check_shape("atoms", x, (None,))
        if x.size == 0:
            raise ValueError("atoms is empty; a distribution needs at least one atom")
        check_finite("atoms", x)
        p = _check_probs("probs", self.probs, x.size)
        keep = p > 0
        x, p = x[keep], p[keep]
        x, inverse = np.unique(x, return_inverse=True)
        p = np.bincount(inverse.ravel(), weights=p, minlength=x.size)
        object.__setattr__(self, "atoms", readonly(x))
        object.__setattr__(self, "probs", readonly(p))

    def _law(self):
        return self.atoms, self.probs

    def __repr__(self) -> str:
        return f"FiniteDistribution(n_atoms={self.atoms.size}, mean={self.mean():.6g})"


@dataclass(frozen=True, eq=False)
class CategoricalDistribution(_FiniteLaw):
    r"""A categorical law :math:`\sum_{i=1}^m p_i \delta_{z_i}` on a fixed support.

    Parameters
    ----------
    support : array_like, shape (m,)
        Strictly increasing finite locations :math:`z_1 < \dots < z_m`
        (need not be evenly spaced).
    probs : array_like, shape (m,)
        Non-negative probabilities summing to 1 within ``1e-9`` (zeros kept).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.distributional import CategoricalDistribution
    >>> d = CategoricalDistribution(np.linspace(0, 2, 3), [0.25, 0.5, 0.25])
    >>> d.mean(), d.variance(), d.quantile(0.5)
    (1.0, 0.5, 1.0)
    """

    support: np.ndarray
    probs: np.ndarray

    def __post_init__(self):
        z = np.array(self.support, dtype=float)
        check_shape("support", z, (None,))
        if z.size == 0:
            raise ValueError("support is empty")
        check_finite("support", z)
        bad = np.diff(z) <= 0
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"support must be strictly increasing: support[{i}] = {z[i]!r} >= support[{i + 1}] = {z[i + 1]!r}"
            )
        p = _check_probs("probs", self.probs, z.size)
        object.__setattr__(self, "support", readonly(z))
        object.__setattr__(self, "probs", readonly(p))

    def _law(self):
        return self.support, self.probs

    def __repr__(self) -> str:
        return f"CategoricalDistribution(n_atoms={self.support.size}, mean={self.mean():.6g})"


@dataclass(frozen=True, eq=False)
class QuantileDistribution(_FiniteLaw):
    r"""A quantile law :math:`\frac1n \sum_{i=1}^n \delta_{\theta_i}`.

    Parameters
    ----------
    locations : array_like, shape (n,)
        Finite locations; stored sorted, so ``locations[i]`` is the
        :math:`\hat\tau_i = (2i+1)/(2n)` quantile (0-based ``i``).

    Examples
    --------
    >>> from rltheory.distributional import QuantileDistribution
    >>> d = QuantileDistribution([3.0, 1.0])
    >>> d.locations, d.mean(), d.cdf(1.0)
    (array([1., 3.]), 2.0, 0.5)
    """

    locations: np.ndarray

    def __post_init__(self):
        theta = np.array(self.locations, dtype=float)
        check_shape("locations", theta, (None,))
        if theta.size == 0:
            raise ValueError("locations is empty")
        check_finite("locations", theta)
        object.__setattr__(self, "locations", readonly(np.sort(theta)))

    @property
    def n_quantiles(self) -> int:
        """Number of locations ``n``.

        Examples
        --------
        >>> from rltheory.distributional import QuantileDistribution
        >>> QuantileDistribution([0.0, 1.0, 1.0]).n_quantiles
        3
        """
        return int(self.locations.size)

    def _law(self):
        n = self.locations.size
        return self.locations, np.full(n, 1.0 / n)

    def __repr__(self) -> str:
        return f"QuantileDistribution(n_quantiles={self.n_quantiles}, mean={self.mean():.6g})"


def as_atoms_probs(distribution) -> tuple[np.ndarray, np.ndarray]:
    """Atoms (sorted) and probabilities of any representation; ValueError otherwise."""
    if isinstance(distribution, _FiniteLaw):
        return distribution._law()
    raise ValueError(
        "expected a FiniteDistribution, CategoricalDistribution or QuantileDistribution, "
        f"got {type(distribution).__name__}"
    )
