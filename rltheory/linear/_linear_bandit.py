r"""Linear and contextual bandits: the instance and the OFUL confidence radius.

Rewards are :math:`X_t = \langle \theta, A_t\rangle + \eta_t` with
:math:`\eta_t \sim N(0, \sigma^2)`. Arms are either a fixed set
:math:`\mathcal{A} \subset \mathbb{R}^d` of :math:`K` vectors, or (contextual)
a pool of :math:`N` context sets, one drawn uniformly at random each round.
Instances are problems of the ``"linear-bandit"`` kind of
:func:`rltheory.simulation.simulate` (agents in :mod:`._linear_bandit_agents`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import as_generator, check_finite, check_int, check_real, readonly

__all__ = ["LinearBandit", "oful_radius"]


@dataclass(frozen=True, eq=False)
class LinearBandit:
    r"""A stochastic linear bandit with Gaussian noise.

    Parameters
    ----------
    arms : array_like, shape (K, d) or (N, K, d)
        A fixed arm set, or a pool of ``N`` context sets (one drawn uniformly
        at random per round, independently of the past).
    theta : array_like, shape (d,)
        The unknown parameter.
    noise_sigma : float >= 0
        Standard deviation of the Gaussian noise (a :math:`\sigma`-sub-Gaussian
        noise in the sense of Abbasi-Yadkori et al. 2011).

    Attributes
    ----------
    contexts : (N, K, d) ndarray
        The arm sets (``N = 1`` for a fixed set).
    means : (N, K) ndarray
        :math:`\langle\theta, a\rangle`.
    best_means : (N,) ndarray
    gaps : (N, K) ndarray

    Examples
    --------
    >>> import numpy as np
    >>> bandit = LinearBandit(np.eye(2), [1.0, 0.5], noise_sigma=0.1)
    >>> bandit.n_arms, bandit.dim, bandit.gaps.tolist()
    (2, 2, [[0.0, 0.5]])
    """

    arms: np.ndarray
    theta: np.ndarray
    noise_sigma: float = 1.0

    def __post_init__(self):
        arms = np.array(self.arms, dtype=np.float64)
        if arms.ndim == 2:
            arms = arms[None]
        if arms.ndim != 3 or min(arms.shape) < 1:
            raise ValueError(f"arms must have shape (K, d) or (N, K, d) with positive sizes, got {np.shape(self.arms)}")
        check_finite("arms", arms)
        theta = np.array(self.theta, dtype=np.float64)
        if theta.shape != (arms.shape[2],):
            raise ValueError(f"theta has shape {theta.shape}, expected ({arms.shape[2]},) to match the arms")
        check_finite("theta", theta)
        sigma = check_real("noise_sigma", self.noise_sigma, low=0.0)
        means = arms @ theta
        object.__setattr__(self, "arms", readonly(np.ascontiguousarray(arms)))
        object.__setattr__(self, "theta", readonly(theta))
        object.__setattr__(self, "noise_sigma", sigma)
        object.__setattr__(self, "means", readonly(means))
        object.__setattr__(self, "best_means", readonly(means.max(axis=1)))
        object.__setattr__(self, "gaps", readonly(means.max(axis=1, keepdims=True) - means))

    @property
    def contexts(self) -> np.ndarray:
        """The arm sets, ``(N, K, d)`` (``N = 1`` for a fixed arm set).

        Examples
        --------
        >>> b = LinearBandit.random(3, 5, n_contexts=2, rng=0)
        >>> b.contexts.shape
        (2, 5, 3)
        """
        return self.arms

    @property
    def n_arms(self) -> int:
        """``K``, the number of arms of each arm set.

        Examples
        --------
        >>> b = LinearBandit.random(3, 5, n_contexts=2, rng=0)
        >>> b.n_arms
        5
        """
        return int(self.arms.shape[1])

    @property
    def dim(self) -> int:
        """``d``, the dimension of the arms and of ``theta``.

        Examples
        --------
        >>> b = LinearBandit.random(3, 5, n_contexts=2, rng=0)
        >>> b.dim
        3
        """
        return int(self.arms.shape[2])

    @property
    def n_contexts(self) -> int:
        """``N``, the number of arm sets in the pool.

        Examples
        --------
        >>> b = LinearBandit.random(3, 5, n_contexts=2, rng=0)
        >>> b.n_contexts
        2
        """
        return int(self.arms.shape[0])

    @property
    def is_contextual(self) -> bool:
        """Whether the arm set changes from round to round (``N > 1``).

        Examples
        --------
        >>> b = LinearBandit.random(3, 5, n_contexts=2, rng=0)
        >>> b.is_contextual, LinearBandit.random(3, 5, rng=0).is_contextual
        (True, False)
        """
        return self.n_contexts > 1

    @classmethod
    def random(cls, dim: int, n_arms: int, *, n_contexts: int = 1, noise_sigma: float = 1.0, rng=None) -> LinearBandit:
        r"""Arms and :math:`\theta` uniform on the unit sphere of :math:`\mathbb{R}^d` (so means lie in [-1, 1]).

        Examples
        --------
        >>> b = LinearBandit.random(3, 10, n_contexts=4, rng=0)
        >>> b.contexts.shape, b.is_contextual, bool(abs(b.means).max() <= 1.0)
        ((4, 10, 3), True, True)
        """
        d = check_int("dim", dim, low=1)
        K = check_int("n_arms", n_arms, low=1)
        N = check_int("n_contexts", n_contexts, low=1)
        g = as_generator(rng)
        X = g.standard_normal((N, K, d))
        X /= np.linalg.norm(X, axis=2, keepdims=True)
        th = g.standard_normal(d)
        th /= np.linalg.norm(th)
        return cls(X if N > 1 else X[0], th, noise_sigma)

    def to_spec(self) -> dict:
        """JSON-serialisable description (arrays as nested lists).

        Examples
        --------
        >>> LinearBandit([[1.0, 0.0], [0.0, 1.0]], [1.0, 0.5]).to_spec()["theta"]
        [1.0, 0.5]
        """
        return {
            "type": "LinearBandit",
            "arms": self.arms.tolist() if self.is_contextual else self.arms[0].tolist(),
            "theta": self.theta.tolist(),
            "noise_sigma": self.noise_sigma,
        }


def oful_radius(
    log_det_V: float, dim: int, regularization: float, delta: float, sigma: float, theta_bound: float
) -> float:
    r"""Radius of the OFUL confidence ellipsoid (Abbasi-Yadkori, Pal & Szepesvari 2011, Theorem 2).

    With probability at least :math:`1-\delta`, for all :math:`t \ge 0`,
    :math:`\|\hat\theta_t - \theta\|_{V_t} \le \sqrt{\beta_t}` where
    :math:`V_t = \lambda I + \sum_{s\le t} A_s A_s^\top` and

    .. math::

        \sqrt{\beta_t} = \sigma\sqrt{2\log\frac{\det(V_t)^{1/2}\det(\lambda I)^{-1/2}}{\delta}} + \lambda^{1/2} S ,

    for :math:`\sigma`-sub-Gaussian noise and :math:`\|\theta\|_2 \le S`.

    Examples
    --------
    >>> round(oful_radius(0.0, 2, 1.0, 0.05, 1.0, 1.0), 4)  # t = 0: sigma sqrt(2 log(1/delta)) + sqrt(lambda) S
    3.4477
    """
    # Abbasi-Yadkori et al. (2011), Theorem 2: 2 log(det(V)^(1/2) det(lambda I)^(-1/2) / delta)
    inner = log_det_V - dim * math.log(regularization) + 2.0 * math.log(1.0 / delta)
    return sigma * math.sqrt(max(inner, 0.0)) + math.sqrt(regularization) * theta_bound
