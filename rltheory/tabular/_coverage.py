r"""Exact coverage quantities of offline data: data distributions and concentrability coefficients.

For a discounted model, a dataset of i.i.d. transitions has a *data
distribution* :math:`\mu(s, a)` over pairs; the normalized discounted occupancy
of a policy is :math:`d^\pi(s, a) = (1 - \gamma) \sum_t \gamma^t \Pr^\pi_\rho(s_t = s, a_t = a)`.
The **single-policy concentrability** of Rashidinejad, Zhu, Ma, Jiao & Russell
(2021, Definition 1 / Assumption 1 of the MDP section) is

.. math:: C^\star = \max_{s, a} \frac{d^{\pi^\star}(s, a)}{\mu(s, a)},

and :math:`C^\pi` is the same ratio for any policy :math:`\pi`
(:math:`C^\pi = \infty` when :math:`\pi` visits a pair the data never shows).
For a finite-horizon model the ratio is taken stage by stage,
:math:`\max_{h, s, a} d^\pi_h(s, a) / \mu_h(s, a)`. Everything here is exact:
the occupancies solve the linear systems of
:func:`~rltheory.tabular.discounted_occupancy` and
:func:`~rltheory.tabular.stage_occupancy`; :math:`\pi^\star` is the policy of
:func:`~rltheory.tabular.policy_iteration` (finite horizon:
:func:`~rltheory.tabular.backward_induction`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import check_finite, check_shape, readonly
from rltheory.tabular._finite_horizon import backward_induction
from rltheory.tabular._finite_horizon_evaluation import stage_occupancy
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._policy_evaluation import discounted_occupancy
from rltheory.tabular._policy_iteration import policy_iteration

__all__ = ["ConcentrabilityResult", "concentrability", "data_distribution"]

#: Entries of a data distribution may be negative or its sum differ from 1 by at most this much (rounding).
_SUM_ATOL = 1e-9


def data_distribution(mdp: FiniteMDP, behavior_policy, initial_distribution=None) -> np.ndarray:
    r"""The distribution of the pairs logged by a behaviour policy.

    Discounted model: the normalized discounted occupancy
    :math:`\mu(s,a) = (1-\gamma)\, d^{\pi_b}_\rho(s,a)` (:func:`~rltheory.tabular.discounted_occupancy` times
    :math:`1 - \gamma`), the distribution of the i.i.d. pairs that :func:`~rltheory.tabular.collect` draws with
    ``n_transitions=``; with :math:`\gamma = 0` it is :math:`\rho(s)\pi_b(a|s)` (a contextual bandit).
    Finite-horizon model: the stage marginals :math:`\mu_h(s,a) = \Pr^{\pi_b}_\rho(s_h = s, a_h = a)`,
    shape ``(H, S, A)``, of the episodes :func:`~rltheory.tabular.collect` draws with ``n_episodes=``.

    Parameters
    ----------
    mdp : FiniteMDP
        A discounted or finite-horizon model.
    behavior_policy : array_like
        ``(S,)`` or ``(S, A)`` (finite horizon also ``(H, S)`` / ``(H, S, A)``).
    initial_distribution : array_like, optional
        :math:`\rho`; default the model's.

    Returns
    -------
    numpy.ndarray, shape (S, A) or (H, S, A)

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, data_distribution
    >>> mdp = FiniteMDP(np.ones((2, 2, 2)) / 2, np.zeros((2, 2)), gamma=0.0, initial_distribution=[0.25, 0.75])
    >>> data_distribution(mdp, np.array([[0.5, 0.5], [1.0, 0.0]])).tolist()
    [[0.125, 0.125], [0.75, 0.0]]
    """
    FiniteMDP.require(mdp, ("discounted", "finite_horizon"), "data_distribution")
    if mdp.criterion == "finite_horizon":
        return stage_occupancy(mdp, behavior_policy, initial_distribution)
    return (1.0 - mdp.gamma) * discounted_occupancy(mdp, behavior_policy, initial_distribution)


@dataclass(frozen=True, eq=False)
class ConcentrabilityResult:
    r"""Result of :func:`concentrability`.

    Attributes
    ----------
    coefficient : float
        :math:`C^\pi = \max d^\pi / \mu` (``inf`` when :math:`\pi` reaches a pair of zero data probability).
    ratio : numpy.ndarray, shape (S, A) or (H, S, A)
        :math:`d^\pi / \mu` (0 where both vanish, ``inf`` where only :math:`\mu` does).
    argmax : tuple of int
        A pair ``(s, a)`` (finite horizon ``(h, s, a)``) attaining the maximum.
    occupancy : numpy.ndarray
        :math:`d^\pi` (normalized: sums to 1, per stage in finite horizon).
    policy : numpy.ndarray
        The policy compared with the data: the given one, or the optimal policy (``(S,)`` int64, finite horizon
        ``(H, S)``) when none was given.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, concentrability
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=0.0, initial_distribution=[1.0])
    >>> res = concentrability(mdp, np.array([[0.25, 0.75]]))  # pi* plays action 0, logged a quarter of the time
    >>> res.coefficient, res.argmax, res.policy.tolist()
    (4.0, (0, 0), [0])
    """

    coefficient: float
    ratio: np.ndarray
    argmax: tuple
    occupancy: np.ndarray
    policy: np.ndarray


def concentrability(mdp: FiniteMDP, data_distribution, policy=None, initial_distribution=None) -> ConcentrabilityResult:
    r"""Single-policy concentrability :math:`C^\star` (``policy=None``) or :math:`C^\pi` of a data distribution.

    .. math::
        C^\pi = \max_{s,a} \frac{d^\pi(s,a)}{\mu(s,a)}, \qquad
        C^\star = C^{\pi^\star}

    (Rashidinejad et al. 2021, the single-policy concentrability assumption: only the optimal policy's
    occupancy must be covered). :math:`d^\pi` is the normalized discounted occupancy from the initial
    distribution (finite horizon: the stage marginals, ratio maximized over stages too). :math:`C^\pi \ge 1`
    always (both sides are distributions), with equality iff the data distribution equals the occupancy
    (expert data, for :math:`\pi^\star`). :math:`\pi^\star` is *the* optimal policy of
    :func:`~rltheory.tabular.policy_iteration` (ties to the lowest action); with several optimal policies pass the
    one meant.

    Parameters
    ----------
    mdp : FiniteMDP
        A discounted or finite-horizon model.
    data_distribution : array_like, shape (S, A) or (H, S, A)
        :math:`\mu`: non-negative, summing to 1 (per stage); e.g. from :func:`data_distribution`.
    policy : array_like, optional
        :math:`\pi`; default :math:`\pi^\star`.
    initial_distribution : array_like, optional
        :math:`\rho`; default the model's.

    Returns
    -------
    ConcentrabilityResult

    References
    ----------
    P. Rashidinejad, B. Zhu, C. Ma, J. Jiao, S. Russell, "Bridging offline reinforcement learning and imitation
    learning: a tale of pessimism", NeurIPS 2021 (arXiv:2103.12021); IEEE Trans. Inf. Theory 68(12), 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, concentrability, data_distribution
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> mdp = FiniteMDP(P, np.array([[1.0, 0.0], [0.0, 0.0]]), gamma=0.5, initial_distribution=[1.0, 0.0])
    >>> mu = data_distribution(mdp, np.array([[0.5, 0.5], [1.0, 0.0]]))
    >>> # pi* stays in 0; the data are in 0 with probability (1 - g) / (1 - g/2) = 2/3, half of it on action 0
    >>> float(concentrability(mdp, mu).coefficient)
    3.0
    """
    FiniteMDP.require(mdp, ("discounted", "finite_horizon"), "concentrability")
    finite = mdp.criterion == "finite_horizon"
    S, A = mdp.n_states, mdp.n_actions
    shape = (mdp.horizon, S, A) if finite else (S, A)
    mu = np.asarray(data_distribution, dtype=float)
    check_shape("data_distribution", mu, shape)
    check_finite("data_distribution", mu)
    if (mu < -_SUM_ATOL).any():
        idx = tuple(int(i) for i in np.argwhere(mu < -_SUM_ATOL)[0])
        raise ValueError(f"data_distribution{list(idx)} = {float(mu[idx])!r} is negative")
    sums = mu.reshape(-1, S * A).sum(axis=1)
    bad = np.abs(sums - 1.0) > _SUM_ATOL
    if bad.any():
        where = f"stage {int(np.argmax(bad))} of " if finite else ""
        raise ValueError(f"{where}data_distribution sums to {float(sums[np.argmax(bad)])!r}, expected 1")
    if policy is None:
        pol = backward_induction(mdp).policy if finite else policy_iteration(mdp).policy
    else:
        pol = np.asarray(policy)
    if finite:
        d = stage_occupancy(mdp, pol, initial_distribution)
    else:
        d = (1.0 - mdp.gamma) * discounted_occupancy(mdp, pol, initial_distribution)
    d = np.where(d < 0, 0.0, d)  # rounding of the linear solve
    mu = np.where(mu < 0, 0.0, mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d > 0, d / mu, 0.0)
    k = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    return ConcentrabilityResult(
        coefficient=float(ratio[k]),
        ratio=readonly(ratio),
        argmax=tuple(int(i) for i in k),
        occupancy=readonly(d),
        policy=readonly(np.array(pol)),
    )
