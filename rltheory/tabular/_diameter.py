r"""The diameter of a finite MDP (Jaksch, Ortner & Auer 2010, Definition 1), by one shortest-path solve per target.

With :math:`T(s' \mid \pi, s)` the first time step at which :math:`s'` is
reached from :math:`s` under the stationary deterministic policy :math:`\pi`,

.. math::

    D(M) = \max_{s \ne s'} \; \min_{\pi: S \to A} \; \mathbb{E}\big[T(s' \mid M, \pi, s)\big].

For a fixed target :math:`s'` the inner minimum, as a function of the start
:math:`s`, is the value of a stochastic shortest path problem: cost 1 per
step, :math:`s'` made absorbing and terminal, so :math:`h(s') = 0` and
:math:`h(s) = 1 + \min_a \sum_j p(j \mid s, a)\, h(j)` elsewhere (Bertsekas &
Tsitsiklis 1991; a stationary deterministic policy attains the minimum over
all policies, their Prop. 2). :func:`diameter` solves it for every target:

1. The states from which :math:`s'` is reached with probability one under some
   policy (the only ones with a finite minimal expected hitting time) are
   found on the graph of the allowed transitions by the fixed point of
   almost-sure reachability: keep the actions whose successors all stay in the
   current set, keep the states that still reach :math:`s'` with those actions,
   repeat (de Alfaro 1997, Sec. 3.3; Baier & Katoen 2008, Algorithm 45). Every
   other state has hitting time :math:`+\infty`.
2. On those states every improper policy has infinite cost (one per step),
   so Howard's policy iteration from a proper policy ends at the optimal
   hitting times (Bertsekas & Tsitsiklis 1991, Prop. 3):
   :func:`~rltheory.tabular.policy_iteration` with exact policy evaluation, in
   rational arithmetic when the model is exact (``mdp.is_exact``), so the
   diameter of a rational model is exact.

References
----------
T. Jaksch, R. Ortner and P. Auer, "Near-optimal regret bounds for reinforcement
learning", *JMLR* 11, 1563-1600, 2010, Definition 1.
D. P. Bertsekas and J. N. Tsitsiklis, "An analysis of stochastic shortest path
problems", *Math. Oper. Res.* 16(3), 580-595, 1991.
L. de Alfaro, *Formal verification of probabilistic systems*, PhD thesis,
Stanford, 1997. C. Baier and J.-P. Katoen, *Principles of Model Checking*, MIT
Press, 2008, Sec. 10.6.1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from rltheory._validation import readonly
from rltheory.tabular._average_reward import _support_rows
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._policy_iteration import policy_iteration

__all__ = ["DiameterResult", "diameter"]


@dataclass(frozen=True, eq=False)
class DiameterResult:
    r"""Result of :func:`diameter`.

    Attributes
    ----------
    diameter : float
        :math:`D = \max_{s \ne s'} h^*(s, s')` (``inf`` when some state is not
        reached with probability one from some other state under any policy,
        e.g. a weakly communicating or multichain model; ``0`` for one state).
    hitting_times : numpy.ndarray, shape (S, S)
        ``hitting_times[s, s']`` = :math:`\min_\pi \mathbb E[T(s'|\pi, s)]`
        (0 on the diagonal, ``inf`` where :math:`s'` cannot be reached with
        probability one).
    policies : numpy.ndarray of int64, shape (S, S)
        ``policies[s']`` is a stationary deterministic policy attaining
        ``hitting_times[:, s']`` (``-1`` at :math:`s'` itself and where the
        hitting time is infinite).
    source, target : int
        A pair attaining the diameter (the first in row-major order; ``-1``
        when there is no pair, ``S = 1``).
    diameter_exact : fractions.Fraction or None
        The exact diameter of an exact (rational) communicating model.
    hitting_times_exact : numpy.ndarray of Fraction, shape (S, S), or None
        The exact hitting times of an exact communicating model.

    Examples
    --------
    >>> from rltheory.tabular import diameter
    >>> from rltheory.tabular.envs import river_swim
    >>> res = diameter(river_swim(6, gamma=1, variant="osband"))
    >>> res.source, res.target, res.diameter_exact  # swimming upstream from the left bank to the right
    (0, 5, Fraction(106045, 7203))
    >>> round(res.diameter, 6), res.policies[5].tolist()  # swim right everywhere
    (14.722338, [1, 1, 1, 1, 1, -1])
    """

    diameter: float
    hitting_times: np.ndarray
    policies: np.ndarray
    source: int
    target: int
    diameter_exact: Fraction | None = None
    hitting_times_exact: np.ndarray | None = None


def _almost_sure_reach(M: sp.csr_array, mask: np.ndarray, target: int) -> tuple[np.ndarray, np.ndarray]:
    """States from which ``target`` is reached with probability one under some policy, and the actions kept.

    ``M`` is the boolean support ``(S*A, S)`` (row ``s*A + a``). Returns ``(inside, allowed)``: a boolean
    ``(S,)`` set and the ``(S, A)`` actions whose successors all lie inside (de Alfaro 1997, Sec. 3.3).
    """
    S, A = mask.shape
    inside = np.ones(S, dtype=bool)
    allowed = mask.copy()
    while True:
        # actions that may leave the set are dropped (they give an infinite expected hitting time)
        leaves = (M @ (~inside).astype(np.int64)).reshape(S, A) > 0
        allowed = allowed & ~leaves & inside[:, None]
        # states that still reach the target through kept actions: BFS from the target on the reversed graph
        rows = np.flatnonzero(allowed.ravel())
        keep = sp.csr_array((np.ones(rows.size, dtype=np.int8), (rows, rows)), shape=(S * A, S * A))
        G = (keep @ M).tocoo()
        graph = sp.csr_array((np.ones(G.nnz, dtype=np.int8), (G.col, G.row // A)), shape=(S, S))
        reached = np.zeros(S, dtype=bool)
        reached[breadth_first_order(graph, target, directed=True, return_predecessors=False)] = True
        new = inside & reached
        if np.array_equal(new, inside):
            return inside, allowed & inside[:, None]
        inside = new


def _hitting_problem(mdp: FiniteMDP, target: int, states: np.ndarray, allowed: np.ndarray) -> FiniteMDP:
    """The SSP on ``states`` (which contain ``target``): reward -1 per step, ``target`` absorbing and terminal."""
    n, A = states.size, mdp.n_actions
    pos = np.full(mdp.n_states, -1, dtype=np.int64)
    pos[states] = np.arange(n)
    t = int(pos[target])
    mask = allowed[states].copy()
    mask[t] = True
    exact = mdp.is_exact
    if exact:
        P = np.full((n, A, n), Fraction(0), dtype=object)
        R = np.full((n, A), Fraction(-1), dtype=object)
        sub = mdp.P_exact[np.ix_(states, np.arange(A), states)]
        P[:] = sub
        P[~mask] = Fraction(0)
        P[t] = Fraction(0)
        P[t, :, t] = Fraction(1)
        R[t] = Fraction(0)
        R[~mask] = Fraction(0)
        return FiniteMDP(P, R, gamma=Fraction(1), terminal_states=[t], action_mask=mask)
    R = np.full((n, A), -1.0)
    R[t] = 0.0
    rows = (states[:, None] * A + np.arange(A)[None, :]).ravel()
    keep = np.where(mask.ravel(), 1.0, 0.0)
    keep[t * A : (t + 1) * A] = 0.0
    absorb = sp.csr_array((np.ones(A), (t * A + np.arange(A), np.full(A, t))), shape=(n * A, n))
    # rows of kept actions, restricted to the states (their successors all lie inside); the target loops
    Psub = sp.csr_array(sp.diags_array(keep) @ mdp.csr_P[rows][:, states]) + absorb
    if not mdp.is_sparse:
        return FiniteMDP(Psub.toarray().reshape(n, A, n), R, gamma=1.0, terminal_states=[t], action_mask=mask)
    return FiniteMDP(sp.csr_array(Psub), R, gamma=1.0, terminal_states=[t], action_mask=mask)


def diameter(mdp: FiniteMDP) -> DiameterResult:
    r"""The diameter :math:`D` of a finite MDP and the minimal expected hitting times behind it.

    See the module docstring for the definition and the method (one
    stochastic shortest path problem per target state, solved by policy
    iteration with exact evaluation, after the almost-sure reachability
    fixed point).

    Parameters
    ----------
    mdp : FiniteMDP
        Any model; its criterion (discount, horizon, terminal states) is
        ignored: only the transitions and the action mask matter.

    Returns
    -------
    DiameterResult

    Examples
    --------
    A deterministic chain where action 1 moves right and action 0 moves left:
    the diameter is the length of the chain, ``S - 1``.

    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, diameter
    >>> S = 4
    >>> P = np.zeros((S, 2, S))
    >>> for s in range(S):
    ...     P[s, 0, max(s - 1, 0)] = P[s, 1, min(s + 1, S - 1)] = 1.0
    >>> res = diameter(FiniteMDP(P, np.zeros((S, 2)), gamma=1.0))
    >>> res.diameter, res.hitting_times[0].tolist(), res.policies[S - 1].tolist()
    (3.0, [0.0, 1.0, 2.0, 3.0], [1, 1, 1, -1])

    An absorbing state makes the diameter infinite:

    >>> P[S - 1] = 0.0; P[S - 1, :, S - 1] = 1.0
    >>> diameter(FiniteMDP(P, np.zeros((S, 2)), gamma=1.0)).diameter
    inf
    """
    if not isinstance(mdp, FiniteMDP):
        raise ValueError(f"diameter needs a FiniteMDP, got {type(mdp).__name__}")
    S = mdp.n_states
    M = _support_rows(mdp)
    mask = np.asarray(mdp.action_mask)
    times = np.full((S, S), np.inf)
    policies = np.full((S, S), -1, dtype=np.int64)
    exact_times = np.full((S, S), None, dtype=object) if mdp.is_exact else None
    for target in range(S):
        times[target, target] = 0.0
        if exact_times is not None:
            exact_times[target, target] = Fraction(0)
        inside, allowed = _almost_sure_reach(M, mask, target)
        states = np.flatnonzero(inside)
        if states.size <= 1:
            continue
        sub = _hitting_problem(mdp, target, states, allowed)
        res = policy_iteration(sub, exact=mdp.is_exact)
        if not res.converged:
            raise RuntimeError(f"policy iteration for the hitting times of state {target} did not converge")
        others = states != target
        times[states[others], target] = -np.asarray(res.v)[others]
        policies[target, states[others]] = np.asarray(res.policy)[others]
        if exact_times is not None:
            for i in np.flatnonzero(others):
                exact_times[states[i], target] = -res.v_exact[i]
    off = ~np.eye(S, dtype=bool)
    if S == 1:
        D, source, target = 0.0, -1, -1
    else:
        D = float(np.max(times[off]))
        masked = np.where(off, times, -np.inf)
        source, target = (int(i) for i in np.unravel_index(int(np.argmax(masked)), masked.shape))
    D_exact = None
    if exact_times is not None:
        if all(x is not None for x in exact_times.ravel()):
            D_exact = max((exact_times[i, j] for i in range(S) for j in range(S) if i != j), default=Fraction(0))
        else:
            exact_times = None
    if not math.isfinite(D):
        D_exact = None
    return DiameterResult(
        diameter=D,
        hitting_times=readonly(times),
        policies=readonly(policies),
        source=source,
        target=target,
        diameter_exact=D_exact,
        hitting_times_exact=None if exact_times is None else readonly(exact_times),
    )
