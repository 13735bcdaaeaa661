r"""Imitation from logged data: behaviour cloning, and demonstration-regularized RL.

Behaviour cloning (BC) fits the logged policy by maximum likelihood: in each
state, the empirical distribution of the logged actions. On expert data it is
the imitation baseline of offline RL: Rajaraman, Yang, Jiao & Ramchandran
(2020, Theorem 4.2) show that in episodic MDPs with a deterministic expert its
suboptimality is :math:`\tilde O(S H^2 / N)` with :math:`N` expert trajectories,
the :math:`1/N` rate that pessimistic offline RL recovers on nearly expert
data (Rashidinejad et al. 2021); on non-expert data it imitates the behaviour,
whatever its quality.

Demonstration-regularized RL (Tiapkin et al. 2023) uses a (smoothed) BC policy of
expert demonstrations as the reference of a KL-regularized RL problem:
:func:`demonstration_regularized_rl` solves it exactly in a given model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import check_iteration_settings, check_real, readonly
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._offline_data import OfflineDataset
from rltheory.tabular._regularized import soft_value_iteration

__all__ = [
    "BehaviorCloningResult",
    "DemonstrationRegularizedResult",
    "behavior_cloning",
    "demonstration_regularized_rl",
]


@dataclass(frozen=True, eq=False)
class BehaviorCloningResult:
    r"""Result of :func:`behavior_cloning`.

    Attributes
    ----------
    policy : numpy.ndarray of int64, shape (S,) (per stage: (H, S))
        The most frequent logged action of each state (ties to the lowest action; action 0 where the data
        never visit).
    action_probabilities : numpy.ndarray, shape (S, A) (per stage: (H, S, A))
        The empirical action distribution :math:`\hat\pi(a|s) = N(s, a) / N(s)`, uniform where :math:`N(s) = 0`.
    visited : numpy.ndarray of bool, shape (S,) (per stage: (H, S))
        :math:`N(s) > 0`.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import OfflineDataset, behavior_cloning
    >>> d = OfflineDataset([0, 0, 0, 1], [1, 1, 0, 0], [0.0] * 4, [0, 0, 1, 1], n_states=3, n_actions=2, gamma=0.9)
    >>> bc = behavior_cloning(d)
    >>> bc.policy.tolist(), bc.action_probabilities[0].round(3).tolist(), bc.visited.tolist()
    ([1, 0, 0], [0.333, 0.667], [True, True, False])
    """

    policy: np.ndarray
    action_probabilities: np.ndarray
    visited: np.ndarray


def behavior_cloning(dataset, *, per_stage: bool = False) -> BehaviorCloningResult:
    r"""Behaviour cloning: the maximum-likelihood policy of the logged actions.

    .. math:: \hat\pi(a|s) = \frac{N(s, a)}{N(s)}, \qquad \hat\pi_{\det}(s) = \arg\max_a N(s, a),

    pooled over the stages (a stationary policy) or, with ``per_stage=True`` on episodic data, one policy per
    stage :math:`\hat\pi_h(a|s) = N_h(s,a)/N_h(s)` (the non-stationary BC of Rajaraman et al. 2020). States
    without data get the uniform distribution and action 0.

    Parameters
    ----------
    dataset : OfflineDataset
    per_stage : bool
        Episodic data only.

    Returns
    -------
    BehaviorCloningResult

    References
    ----------
    N. Rajaraman, L. F. Yang, J. Jiao, K. Ramchandran, "Toward the fundamental limits of imitation learning",
    NeurIPS 2020, Theorem 4.2. D. Pomerleau, "ALVINN: an autonomous land vehicle in a neural network", NeurIPS
    1988 (behaviour cloning).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, behavior_cloning, collect
    >>> mdp = FiniteMDP(np.ones((2, 2, 2)) / 2, np.zeros((2, 2)), gamma=1.0, horizon=2, initial_distribution=[1, 0])
    >>> bc = behavior_cloning(collect(mdp, np.array([[0, 1], [1, 1]]), n_episodes=50, rng=0), per_stage=True)
    >>> bc.policy.tolist(), bc.visited.tolist()
    ([[0, 0], [1, 1]], [[True, False], [True, True]])
    """
    if not isinstance(dataset, OfflineDataset):
        raise ValueError(f"behavior_cloning needs an OfflineDataset, got {type(dataset).__name__}")
    if not isinstance(per_stage, (bool, np.bool_)):
        raise ValueError(f"per_stage = {per_stage!r} must be True or False")
    S, A = dataset.n_states, dataset.n_actions
    if per_stage:
        if not dataset.is_episodic:
            raise ValueError("behavior_cloning(per_stage=True) needs an episodic dataset")
        H = dataset.horizon
        key = (np.asarray(dataset.stages) * S + np.asarray(dataset.states)) * A + np.asarray(dataset.actions)
        counts = np.bincount(key, minlength=H * S * A).reshape(H, S, A)
    else:
        counts = np.asarray(dataset.pair_counts)
    totals = counts.sum(axis=-1, keepdims=True)
    visited = totals[..., 0] > 0
    probs = np.where(totals > 0, counts / np.maximum(totals, 1), 1.0 / A)
    policy = np.argmax(counts, axis=-1).astype(np.int64)
    return BehaviorCloningResult(
        policy=readonly(policy), action_probabilities=readonly(probs), visited=readonly(visited)
    )


@dataclass(frozen=True, eq=False)
class DemonstrationRegularizedResult:
    r"""Result of :func:`demonstration_regularized_rl`.

    Attributes
    ----------
    action_probabilities : numpy.ndarray, shape (S, A)
        :math:`\pi_\lambda`, optimal for :math:`v^\pi - \lambda K^\pi` (see :func:`demonstration_regularized_rl`).
    reference_probabilities : numpy.ndarray, shape (S, A)
        The smoothed BC policy :math:`\pi_{BC}`.
    v : numpy.ndarray, shape (S,)
        The regularized optimal value :math:`v^{\pi_\lambda} - \lambda K^{\pi_\lambda}` (soft value iteration's
        midpoint, within ``bound``).
    iterations : int
    converged : bool
    bound : float
        Sup-norm certificate of ``v`` (from :func:`~rltheory.tabular.soft_value_iteration`).
    temperature : float
        :math:`\lambda`.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, OfflineDataset, demonstration_regularized_rl
    >>> demos = OfflineDataset([0, 0, 0], [1, 1, 1], [1.0] * 3, [0] * 3, n_states=1, n_actions=2, gamma=0.5)
    >>> res = demonstration_regularized_rl(FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=0.5), demos,
    ...                                    temperature=0.1)
    >>> res.reference_probabilities.round(3).tolist(), bool(res.action_probabilities[0, 1] > 0.99)
    ([[0.2, 0.8]], True)
    """

    action_probabilities: np.ndarray
    reference_probabilities: np.ndarray
    v: np.ndarray
    iterations: int
    converged: bool
    bound: float
    temperature: float


def demonstration_regularized_rl(
    mdp: FiniteMDP,
    demonstrations,
    *,
    temperature: float,
    smoothing: float = 1.0,
    tol: float = 1e-10,
    max_iter: int = 100_000,
) -> DemonstrationRegularizedResult:
    r"""Demonstration-regularized RL: KL-regularized planning towards the smoothed BC policy of demonstrations.

    Tiapkin et al. (2023): first behaviour cloning of :math:`N^E` expert demonstrations, with add-:math:`\kappa`
    smoothing so that every action keeps positive probability,

    .. math:: \pi_{BC}(a|s) = \frac{N(s, a) + \kappa}{N(s) + \kappa A},

    then the RL problem regularized towards it,

    .. math:: \pi_\lambda \in \arg\max_\pi\; v^\pi - \lambda K^\pi, \qquad
              K^\pi(s) = \mathbb E^\pi_s\Big[\sum_t \gamma^t \mathrm{KL}\big(\pi(\cdot|s_t) \,\|\,
              \pi_{BC}(\cdot|s_t)\big)\Big],

    solved here exactly in the given model by :func:`~rltheory.tabular.soft_value_iteration` with
    ``reference_policy`` :math:`\pi_{BC}` (the paper solves it by online exploration; this is its planning step,
    in a known or a separately estimated model). Since :math:`\pi_\lambda` is statewise optimal for the
    regularized value and :math:`K \ge 0`, for the expert :math:`\pi_E`,

    .. math:: v^{\pi_E}(s) - v^{\pi_\lambda}(s) \le \lambda K^{\pi_E}(s) \quad \text{for every } s,

    and :math:`K^{\pi_E}` is the expert-trajectory KL of BC, which decreases like :math:`1/N^E` (the BC-in-KL rate
    behind the :math:`\tilde O(1/(\varepsilon^2 N^E))` sample complexity of Tiapkin et al.).

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted model of the task.
    demonstrations : OfflineDataset
        Expert transitions (or episodes, pooled over stages) on the same ``S`` and ``A``.
    temperature : float
        :math:`\lambda > 0`.
    smoothing : float
        :math:`\kappa > 0`.
    tol, max_iter
        Stopping rule of the soft value iteration.

    Returns
    -------
    DemonstrationRegularizedResult

    Raises
    ------
    ValueError
        On demonstrations of another shape, a non-discounted model, or non-positive temperature or smoothing.

    References
    ----------
    D. Tiapkin, D. Belomestny, D. Calandriello, E. Moulines, A. Naumov, P. Perrault, M. Valko, P. Menard,
    "Demonstration-regularized RL", ICLR 2024 (arXiv:2310.17303): behaviour cloning in KL and the regularized
    RL step (theorem numbers not verified here). M. Geist, B. Scherrer, O. Pietquin, "A theory of regularized
    Markov decision processes", ICML 2019 (the regularized MDP).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import (FiniteMDP, collect, demonstration_regularized_rl, policy_evaluation,
    ...                               policy_iteration, regularized_policy_evaluation)
    >>> P = np.array([[[0.9, 0.1], [0.1, 0.9]], [[0.1, 0.9], [0.9, 0.1]]])
    >>> mdp = FiniteMDP(P, np.array([[1.0, 0.0], [0.0, 0.5]]), gamma=0.8, initial_distribution=[0.5, 0.5])
    >>> expert = policy_iteration(mdp)
    >>> res = demonstration_regularized_rl(mdp, collect(mdp, expert.policy, n_transitions=50, rng=0), temperature=0.5)
    >>> gap = expert.v - policy_evaluation(mdp, res.action_probabilities).v
    >>> k = (expert.v - regularized_policy_evaluation(mdp, np.eye(2)[expert.policy], 1.0,
    ...                                                 res.reference_probabilities).v)
    >>> bool(np.all(gap <= 0.5 * k + 1e-9))
    True
    """
    FiniteMDP.require(mdp, ("discounted",), "demonstration_regularized_rl")
    if not isinstance(demonstrations, OfflineDataset):
        raise ValueError(f"demonstration_regularized_rl needs an OfflineDataset, got {type(demonstrations).__name__}")
    S, A = mdp.n_states, mdp.n_actions
    if (demonstrations.n_states, demonstrations.n_actions) != (S, A):
        raise ValueError(
            f"demonstrations have (S, A) = ({demonstrations.n_states}, {demonstrations.n_actions}), "
            f"the model ({S}, {A})"
        )
    lam = check_real("temperature", temperature, low=0.0, low_open=True)
    kappa = check_real("smoothing", smoothing, low=0.0, low_open=True)
    tol, max_iter = check_iteration_settings(tol, max_iter)
    counts = np.asarray(demonstrations.pair_counts, dtype=float)
    ref = (counts + kappa) / (counts.sum(axis=1, keepdims=True) + kappa * A)
    res = soft_value_iteration(mdp, lam, reference_policy=ref, tol=tol, max_iter=max_iter)
    return DemonstrationRegularizedResult(
        action_probabilities=readonly(np.array(res.action_probabilities)),
        reference_probabilities=readonly(ref),
        v=readonly(np.array(res.v)),
        iterations=int(res.iterations),
        converged=bool(res.converged),
        bound=float(res.bound),
        temperature=float(lam),
    )
