r"""The edge-of-reach problem of offline model-based RL, exactly, on a tabular model.

Offline model-based methods (MBPO-style) train a Q-function on :math:`k`-step rollouts of a model started
from the dataset's states. A state first reached at the *last* step of the rollouts -- an **edge-of-reach**
state -- appears only as a next state :math:`s'`, never as a state whose value is updated; its Q-values stay
whatever the function approximator says (here: its initialization), and the Bellman targets of the states
before it bootstrap from them. Sims, Lu, Foerster & Teh (2024) show that this, not model error, is what makes
values blow up: it happens with the *true* dynamics. Their fix, RAVL (reach-aware value learning), trains an
ensemble of Q-functions with the minimum over the ensemble in the target (EDAC's pessimism, An et al. 2021):
the members agree where the data update them and disagree exactly at the edge of reach, so the minimum is
pessimistic there.

:func:`rollout_value_learning` is the exact tabular version: the fixed point of the Bellman optimality backup on
the pairs of the rollouts' states, with the edge-of-reach values frozen at their initialization (ensemble
minimum). Its error has an exact form (see the function).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import check_finite, check_int, check_iteration_settings, readonly
from rltheory.tabular._model import FiniteMDP

__all__ = ["EdgeOfReachResult", "rollout_value_learning"]


@dataclass(frozen=True, eq=False)
class EdgeOfReachResult:
    r"""Result of :func:`rollout_value_learning`.

    Attributes
    ----------
    q : numpy.ndarray, shape (S, A)
        The learned Q: the fixed point on the updated states, the ensemble minimum of the initialization elsewhere.
    policy : numpy.ndarray of int64, shape (S,)
        Greedy on ``q`` (ties to the lowest action).
    v_estimate : numpy.ndarray, shape (S,)
        :math:`\max_a q(s, a)`: the value the method believes its policy has.
    updated : numpy.ndarray of bool, shape (S,)
        States at depth :math:`< k` from the start states (the states of rollout transitions, updated by the
        backup).
    edge_of_reach : numpy.ndarray of bool, shape (S,)
        States at depth exactly :math:`k`: reached by the rollouts, never updated.
    depth : numpy.ndarray of int64, shape (S,)
        Fewest steps from a start state under some action sequence (``-1`` where unreachable).
    iterations : int
        Backups until the sup-norm change fell below ``tol``.
    converged : bool

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, rollout_value_learning
    >>> P = np.zeros((3, 1, 3)); P[0, 0, 1] = P[1, 0, 2] = P[2, 0, 2] = 1.0
    >>> res = rollout_value_learning(FiniteMDP(P, np.zeros((3, 1)), gamma=0.5), [0], 1, q_init=np.full((3, 1), 8.0))
    >>> res.updated.tolist(), res.edge_of_reach.tolist(), res.v_estimate.tolist()
    ([True, False, False], [False, True, False], [4.0, 8.0, 8.0])
    """

    q: np.ndarray
    policy: np.ndarray
    v_estimate: np.ndarray
    updated: np.ndarray
    edge_of_reach: np.ndarray
    depth: np.ndarray
    iterations: int
    converged: bool


def _depths(mdp: FiniteMDP, starts: np.ndarray) -> np.ndarray:
    S = mdp.n_states
    M = mdp.csr_P
    mask = np.asarray(mdp.action_mask)
    depth = np.full(S, -1, dtype=np.int64)
    depth[starts] = 0
    frontier = np.unique(starts)
    d = 0
    while frontier.size:
        d += 1
        rows = (frontier[:, None] * mdp.n_actions + np.arange(mdp.n_actions)[None, :])[mask[frontier]]
        nxt = np.unique(M[rows].indices) if rows.size else np.array([], dtype=np.int64)
        nxt = nxt[depth[nxt] < 0]
        depth[nxt] = d
        frontier = nxt
    return depth


def rollout_value_learning(
    mdp: FiniteMDP, start_states, rollout_length: int, *, q_init, tol: float = 1e-10, max_iter: int = 100_000
) -> EdgeOfReachResult:
    r"""Q-learning on every :math:`k`-step model rollout from ``start_states``, solved exactly.

    Rollouts of length :math:`k` = ``rollout_length`` in ``mdp`` (the model; the true one shows that no model error
    is needed) from the start states, under a rollout policy that tries every allowed action, contain the
    transitions :math:`(s, a, r, s')` of exactly the states :math:`s` at depth :math:`d(s) < k` (fewest steps from a
    start state). Value learning on them converges to the fixed point

    .. math::
        q(s, a) = r(s, a) + \gamma \sum_{s'} P(s'|s,a) \max_{a'} q(s', a') \quad (d(s) < k), \qquad
        q(s, a) = \min_j q^{(j)}_0(s, a) \quad (\text{else}),

    where :math:`q^{(j)}_0` are the initial values of the ensemble members (one member: plain value learning; RAVL:
    the minimum over the ensemble, whose members receive the same targets and so agree on the updated states).
    The values of edge-of-reach states (:math:`d(s) = k`) are never corrected.

    **The error is the edge-of-reach error, exactly.** Let :math:`\hat\pi` be greedy on :math:`q`, :math:`U` the
    updated states and :math:`\tau` the first time :math:`\hat\pi` leaves :math:`U`. Since :math:`q` satisfies the
    Bellman equation of :math:`\hat\pi` on :math:`U`,

    .. math:: \hat v(s) - v^{\hat\pi}(s) = \mathbb E^{\hat\pi}_s\big[\gamma^\tau
              \big(\hat v(s_\tau) - v^{\hat\pi}(s_\tau)\big) \mathbf 1\{\tau < \infty\}\big], \qquad s \in U,

    so an optimistic initialization (:math:`\hat v \ge v^{\hat\pi}` at the edge) overestimates every updated
    state that reaches the edge, and a pessimistic one (e.g. the ensemble minimum below
    :math:`r_{\min}/(1-\gamma)`) underestimates -- with zero model error (Sims et al. 2024, Section 4).

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted (:math:`\gamma < 1`).
    start_states : array_like of int
        The dataset's states the rollouts start from (non-empty).
    rollout_length : int
        :math:`k \ge 1`.
    q_init : array_like, shape (S, A) or (N, S, A)
        Initial Q-values (of ``N`` ensemble members), finite.
    tol, max_iter
        Stopping rule of the value iteration on :math:`U` (a :math:`\gamma`-contraction).

    Returns
    -------
    EdgeOfReachResult

    Raises
    ------
    ValueError
        On a model that is not discounted, start states out of range or empty, or a ``q_init`` of the wrong shape
        or not finite.

    References
    ----------
    A. Sims, C. Lu, J. Foerster, Y. W. Teh, "The edge-of-reach problem in offline model-based reinforcement
    learning", NeurIPS 2024 (arXiv:2402.12527), Sections 3-5 (RAVL).
    G. An, S. Moon, J.-H. Kim, H. O. Song, "Uncertainty-based offline reinforcement learning with diversified
    Q-ensemble", NeurIPS 2021 (EDAC: the ensemble minimum).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, policy_evaluation, rollout_value_learning
    >>> P = np.zeros((3, 2, 3)); P[0, 0, 1] = P[0, 1, 2] = 1.0; P[1, :, 1] = P[2, :, 2] = 1.0
    >>> R = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])  # state 1 pays 1 forever; state 2 nothing
    >>> mdp = FiniteMDP(P, R, gamma=0.5)
    >>> naive = rollout_value_learning(mdp, [0], 1, q_init=np.array([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0]]))
    >>> naive.policy[0].item(), naive.v_estimate[0].item(), policy_evaluation(mdp, naive.policy).v[0].item()
    (1, 2.5, 0.0)
    >>> ravl = rollout_value_learning(mdp, [0], 1, q_init=np.array([[[0.0] * 2, [0.0] * 2, [5.0] * 2],
    ...                                                                [[0.0] * 2, [3.0] * 2, [-1.0] * 2]]))
    >>> ravl.policy[0].item(), ravl.v_estimate[0].item()  # the ensemble minimum is pessimistic at the edge
    (0, 0.0)
    """
    FiniteMDP.require(mdp, ("discounted",), "rollout_value_learning")
    S, A, g = mdp.n_states, mdp.n_actions, float(mdp.gamma)
    k = check_int("rollout_length", rollout_length, low=1)
    tol, max_iter = check_iteration_settings(tol, max_iter)
    starts = np.asarray(start_states)
    if starts.ndim != 1 or starts.size == 0 or starts.dtype.kind not in "iu":
        raise ValueError(f"start_states must be a non-empty 1-d array of state indices, got {starts!r}")
    bad = (starts < 0) | (starts >= S)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"start_states[{i}] = {int(starts[i])} is not a state in [0, {S})")
    q0 = np.array(q_init, dtype=float)
    if q0.ndim == 2:
        q0 = q0[None]
    if q0.ndim != 3 or q0.shape[1:] != (S, A) or q0.shape[0] < 1:
        raise ValueError(f"q_init has shape {np.shape(q_init)}, expected ({S}, {A}) or (N, {S}, {A})")
    check_finite("q_init", q0)
    depth = _depths(mdp, starts.astype(np.int64))
    updated = (depth >= 0) & (depth < k)
    edge = depth == k
    mask = np.asarray(mdp.action_mask)
    P, R = mdp.csr_P, np.asarray(mdp.R)
    q = q0.min(axis=0)
    q = np.where(mask, q, -np.inf)
    rows = np.flatnonzero(updated)
    sa = (rows[:, None] * A + np.arange(A)[None, :]).ravel()
    allowed = mask[rows].ravel()
    sub = P[sa[allowed]]
    r_sub = R[rows].ravel()[allowed]
    flat = q.reshape(-1)
    target_idx = sa[allowed]
    converged, it = False, 0
    for _ in range(max_iter):
        v = q.max(axis=1)
        new = r_sub + g * (sub @ v)
        change = float(np.max(np.abs(new - flat[target_idx]))) if new.size else 0.0
        flat[target_idx] = new
        if change <= tol:
            converged = True
            break
    q_out = np.where(mask, q, -np.inf)
    return EdgeOfReachResult(
        q=readonly(q_out),
        policy=readonly(np.argmax(q_out, axis=1).astype(np.int64)),
        v_estimate=readonly(q_out.max(axis=1)),
        updated=readonly(updated),
        edge_of_reach=readonly(edge),
        depth=readonly(depth),
        iterations=int(it),
        converged=bool(converged),
    )
