r"""Exact quantities of a fixed (possibly non-stationary) policy over a finite horizon.

For a finite-horizon :class:`~rltheory.tabular.FiniteMDP` (horizon :math:`H`,
discount :math:`\gamma \in [0, 1]`) and a Markov policy
:math:`\pi = (\pi_0, \dots, \pi_{H-1})`:

* :func:`finite_horizon_policy_evaluation`: the values by backward recursion
  :math:`q_h = r + \gamma P v_{h+1}`, :math:`v_h(s) = \sum_a \pi_h(a|s) q_h(s,a)`,
  :math:`v_H = 0` (Puterman 2005, Sec. 4.2, the finite-horizon policy evaluation
  algorithm);
* :func:`stage_occupancy`: the state-action marginals
  :math:`d^\pi_h(s,a) = \Pr^\pi_\mu(s_h = s, a_h = a)` by the forward recursion
  :math:`d_0(s) = \mu(s)`, :math:`d_{h+1}(s') = \sum_{s,a} d_h(s)\pi_h(a|s)P(s'|s,a)`,
  so that :math:`\mu^\top v_0 = \sum_h \gamma^h \sum_{s,a} d^\pi_h(s,a) r(s,a)`.

A policy is ``(S,)`` actions or ``(S, A)`` probabilities (stationary), or ``(H, S)``
/ ``(H, S, A)`` (one per stage); :func:`policy_tensor` turns any of them into
``(H, S, A)`` probabilities, validated stage by stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import check_probability_vector, readonly
from rltheory.tabular._model import FiniteMDP

__all__ = ["FiniteHorizonEvaluationResult", "finite_horizon_policy_evaluation", "stage_occupancy", "policy_tensor"]


def policy_tensor(mdp: FiniteMDP, policy, name: str = "policy") -> np.ndarray:
    """``(H, S, A)`` action probabilities of a stationary or per-stage policy of the finite-horizon ``mdp``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=1.0, horizon=2)
    >>> policy_tensor(mdp, np.array([[0], [1]])).tolist()
    [[[1.0, 0.0]], [[0.0, 1.0]]]
    """
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    pol = np.asarray(policy)
    stagewise = (pol.ndim == 2 and pol.dtype.kind in "iu") or pol.ndim == 3
    if not stagewise:
        try:
            one = mdp.policy_matrix(pol)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
        return np.broadcast_to(one, (H, S, A)).copy()
    if pol.shape[0] != H:
        raise ValueError(f"{name} has {pol.shape[0]} stages (shape {pol.shape}), expected the horizon H = {H}")
    out = np.empty((H, S, A))
    for h in range(H):
        try:
            out[h] = mdp.policy_matrix(pol[h])
        except ValueError as exc:
            raise ValueError(f"{name}[{h}] (stage {h}): {exc}") from None
    return out


@dataclass(frozen=True, eq=False)
class FiniteHorizonEvaluationResult:
    r"""Result of :func:`finite_horizon_policy_evaluation`.

    Attributes
    ----------
    v : numpy.ndarray, shape (H+1, S)
        ``v[h, s]``: expected (discounted) reward of the policy from state ``s`` at stage ``h`` to the end;
        ``v[H] = 0``.
    q : numpy.ndarray, shape (H, S, A)
        ``q[h, s, a] = r(s, a) + gamma * sum_s' P(s'|s, a) v[h+1, s']`` (``-inf`` on disallowed actions).
    value : float or None
        :math:`\mu^\top v_0` for the model's (or the given) initial distribution, else ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, finite_horizon_policy_evaluation
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 2.0]]), gamma=1.0, horizon=3, initial_distribution=[1.0])
    >>> res = finite_horizon_policy_evaluation(mdp, np.array([[0.5, 0.5]]))
    >>> res.v[:, 0].tolist(), res.value
    ([4.5, 3.0, 1.5, 0.0], 4.5)
    """

    v: np.ndarray
    q: np.ndarray
    value: float | None


def finite_horizon_policy_evaluation(
    mdp: FiniteMDP, policy, initial_distribution=None
) -> FiniteHorizonEvaluationResult:
    r"""Exact values of a Markov policy of a finite-horizon MDP by backward recursion.

    .. math::
        v_H = 0, \qquad q_h(s,a) = r(s,a) + \gamma \sum_{s'} P(s'|s,a)\, v_{h+1}(s'), \qquad
        v_h(s) = \sum_a \pi_h(a|s)\, q_h(s,a)

    (Puterman 2005, Sec. 4.2: :math:`v_h` is the expected total reward of the policy from stage :math:`h`).

    Parameters
    ----------
    mdp : FiniteMDP
        A finite-horizon model.
    policy : array_like
        ``(S,)``, ``(S, A)``, ``(H, S)`` or ``(H, S, A)`` (see :func:`policy_tensor`).
    initial_distribution : array_like, optional
        :math:`\mu` for :attr:`FiniteHorizonEvaluationResult.value`; default the model's.

    Returns
    -------
    FiniteHorizonEvaluationResult

    References
    ----------
    M. L. Puterman, *Markov Decision Processes*, Wiley 2005, Sec. 4.2 (finite-horizon policy evaluation).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, finite_horizon_policy_evaluation
    >>> P = np.array([[[0.0, 1.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> mdp = FiniteMDP(P, np.array([[0.0, 1.0], [2.0, 2.0]]), gamma=0.5, horizon=2)
    >>> finite_horizon_policy_evaluation(mdp, np.array([0, 0])).v.tolist()  # 0 -> 1: 0 + 0.5 * 2
    [[1.0, 3.0], [0.0, 2.0], [0.0, 0.0]]
    """
    FiniteMDP.require(mdp, "finite_horizon", "finite_horizon_policy_evaluation")
    pi = policy_tensor(mdp, policy)
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    M = mdp.csr_P
    R = np.asarray(mdp.R)
    mask = np.asarray(mdp.action_mask)
    v = np.zeros((H + 1, S))
    q = np.empty((H, S, A))
    for h in range(H - 1, -1, -1):
        qh = R + mdp.gamma * (M @ v[h + 1]).reshape(S, A)
        v[h] = np.einsum("sa,sa->s", pi[h], np.where(mask, qh, 0.0))
        q[h] = np.where(mask, qh, -np.inf)
    mu = _initial(mdp, initial_distribution, required=False)
    value = None if mu is None else float(mu @ v[0])
    return FiniteHorizonEvaluationResult(v=readonly(v), q=readonly(q), value=value)


def _initial(mdp: FiniteMDP, initial_distribution, *, required: bool, who: str = "") -> np.ndarray | None:
    if initial_distribution is not None:
        return check_probability_vector("initial_distribution", initial_distribution, mdp.n_states)
    if mdp.initial_distribution is not None:
        return np.asarray(mdp.initial_distribution, dtype=float)
    if required:
        raise ValueError(
            f"{who} needs an initial distribution: pass initial_distribution= or build the FiniteMDP with "
            "initial_distribution="
        )
    return None


def stage_occupancy(mdp: FiniteMDP, policy, initial_distribution=None) -> np.ndarray:
    r"""State-action marginals :math:`d^\pi_h(s, a) = \Pr^\pi_\mu(s_h = s, a_h = a)` of a finite-horizon policy.

    .. math::
        d_0(s) = \mu(s), \qquad d_h(s, a) = d_h(s)\, \pi_h(a|s), \qquad
        d_{h+1}(s') = \sum_{s, a} d_h(s, a)\, P(s'|s, a),

    so every stage sums to 1 and :math:`\mu^\top v^\pi_0 = \sum_h \gamma^h \langle d^\pi_h, r\rangle`.

    Parameters
    ----------
    mdp : FiniteMDP
        A finite-horizon model.
    policy : array_like
        ``(S,)``, ``(S, A)``, ``(H, S)`` or ``(H, S, A)``.
    initial_distribution : array_like, optional
        :math:`\mu`; default the model's (one of the two is required).

    Returns
    -------
    numpy.ndarray, shape (H, S, A)

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, stage_occupancy
    >>> P = np.array([[[0.0, 1.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> mdp = FiniteMDP(P, np.zeros((2, 2)), gamma=1.0, horizon=2, initial_distribution=[1.0, 0.0])
    >>> stage_occupancy(mdp, np.array([[0.5, 0.5], [1.0, 0.0]])).tolist()
    [[[0.5, 0.5], [0.0, 0.0]], [[0.25, 0.25], [0.5, 0.0]]]
    """
    FiniteMDP.require(mdp, "finite_horizon", "stage_occupancy")
    mu = _initial(mdp, initial_distribution, required=True, who="stage_occupancy")
    pi = policy_tensor(mdp, policy)
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    MT = mdp.csr_P.T.tocsr()
    d = np.empty((H, S, A))
    state = mu
    for h in range(H):
        d[h] = state[:, None] * pi[h]
        state = MT @ d[h].ravel()
    return d
