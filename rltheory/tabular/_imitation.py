r"""Imitation from logged data: behaviour cloning.

Behaviour cloning (BC) fits the logged policy by maximum likelihood: in each
state, the empirical distribution of the logged actions. On expert data it is
the imitation baseline of offline RL: Rajaraman, Yang, Jiao & Ramchandran
(2020, Theorem 4.2) show that in episodic MDPs with a deterministic expert its
suboptimality is :math:`\tilde O(S H^2 / N)` with :math:`N` expert trajectories,
the :math:`1/N` rate that pessimistic offline RL recovers on nearly expert
data (Rashidinejad et al. 2021); on non-expert data it imitates the behaviour,
whatever its quality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import readonly
from rltheory.tabular._offline_data import OfflineDataset

__all__ = ["BehaviorCloningResult", "behavior_cloning"]


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
    return BehaviorCloningResult(policy=readonly(policy), action_probabilities=readonly(probs),
                                 visited=readonly(visited))
