r"""Quasimetric RL in tabular form: goal-reaching distances as the largest quasimetric under the one-step costs.

Quasimetric RL (QRL; Wang, Torralba, Isola & Zhang, ICML 2023) learns the optimal goal-conditioned cost-to-go
:math:`d^*(s, g)` by maximizing the average distance over a quasimetric model subject to the local constraints
:math:`d(s, s') \le c` for every transition :math:`s \to s'` of cost :math:`c`. On a finite model this is the LP

.. math::

    \max_d \sum_{s \ne g} w(s,g)\, d(s,g) \quad\text{s.t.}\quad d(s,s) = 0,\ \ d(s,g) \le d(s,m) + d(m,g),\ \
    d(s,s') \le c(s,s') \ \text{for every edge},

over all pairs with :math:`g` reachable from :math:`s`. Its unique optimum for positive weights is the
shortest-path distance of the transition graph: the shortest-path distance is feasible (it is a quasimetric
bounded by the edge costs), and every feasible :math:`d` is below it (the triangle inequality along a shortest
path sums edge constraints) -- the tabular content of QRL's Theorem 1 (derived here). For deterministic dynamics
it is the optimal number of steps (or cost) to reach :math:`g`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph

from rltheory._validation import check_finite, check_tol, readonly
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._occupancy_lp import solve_lp

__all__ = ["QuasimetricResult", "quasimetric_distances"]


@dataclass(frozen=True, eq=False)
class QuasimetricResult:
    r"""Result of :func:`quasimetric_distances`.

    Attributes
    ----------
    distances : numpy.ndarray, shape (S, S)
        The LP's optimal quasimetric :math:`d(s, g)` (``inf`` where :math:`g` is unreachable from :math:`s`).
    objective : float
    status, duality_gap, primal_infeasibility, dual_infeasibility, solver
        The checked LP certificate.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, quasimetric_distances
    >>> P = np.array([[[0.0, 1.0]], [[1.0, 0.0]]])  # two states that swap
    >>> res = quasimetric_distances(FiniteMDP(P, np.zeros((2, 1)), gamma=0.5))
    >>> np.round(res.distances, 6).tolist(), res.status
    ([[0.0, 1.0], [1.0, 0.0]], 'optimal')
    """

    distances: np.ndarray
    objective: float
    status: str
    duality_gap: float
    primal_infeasibility: float
    dual_infeasibility: float
    solver: str


def quasimetric_distances(
    mdp: FiniteMDP,
    *,
    costs=None,
    weights=None,
    tol: float = 1e-7,
    solver: str | None = None,
    solver_options: dict | None = None,
) -> QuasimetricResult:
    r"""Solve QRL's quasimetric LP for the goal-reaching distances of a finite model.

    Edges are the transitions :math:`s \to s'` with :math:`P(s'|s,a) > 0` for an allowed action, of cost
    :math:`\min_a c(s,a)` over those actions (default 1: steps). Variables exist for the pairs :math:`(s, g)`,
    :math:`s \ne g`, with :math:`g` reachable from :math:`s`, and triangle inequalities for every reachable
    triple. The LP is certified (status, primal and dual feasibility, gap).

    Parameters
    ----------
    mdp : FiniteMDP
        Any criterion; only the transition graph and the action mask are used.
    costs : array_like, shape (S, A), optional
        Positive edge costs :math:`c(s, a)`; default 1.
    weights : array_like, shape (S, S), optional
        Positive weights :math:`w(s, g)` of the objective (the goal-pair distribution; default uniform); they
        must be positive on the reachable pairs for the optimum to be unique.
    tol, solver, solver_options

    Returns
    -------
    QuasimetricResult

    References
    ----------
    T. Wang, A. Torralba, P. Isola, A. Zhang, "Optimal goal-reaching reinforcement learning via quasimetric
    learning", ICML 2023, Sec. 4 (the constrained objective) and Theorem 1.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, quasimetric_distances
    >>> P = np.zeros((3, 2, 3))  # a one-way ring 0 -> 1 -> 2 -> 0 (action 0), or stay (action 1)
    >>> for s in range(3):
    ...     P[s, 0, (s + 1) % 3] = 1.0; P[s, 1, s] = 1.0
    >>> np.round(quasimetric_distances(FiniteMDP(P, np.zeros((3, 2)), gamma=0.9)).distances, 6)
    array([[0., 1., 2.],
           [2., 0., 1.],
           [1., 2., 0.]])
    """
    S, A = mdp.n_states, mdp.n_actions
    tol = check_tol(tol)
    mask = np.asarray(mdp.action_mask)
    c = np.ones((S, A)) if costs is None else np.asarray(costs, dtype=float)
    if c.shape != (S, A):
        raise ValueError(f"costs has shape {c.shape}, expected ({S}, {A})")
    check_finite("costs", c)
    if (c[mask] <= 0).any():
        s, a = (int(i) for i in np.argwhere(mask & (c <= 0))[0])
        raise ValueError(f"costs[{s}, {a}] = {float(c[s, a])!r} must be positive")
    coo = mdp.csr_P.tocoo()
    keep = mask.ravel()[coo.row] & (coo.data > 0)
    src, dst, cost = coo.row[keep] // A, coo.col[keep], c.ravel()[coo.row[keep]]
    edge = {}
    for s, t, w in zip(src.tolist(), dst.tolist(), cost.tolist()):
        if s != t:
            edge[(s, t)] = min(w, edge.get((s, t), np.inf))
    graph = sp.csr_array((np.ones(len(edge)), ([k[0] for k in edge], [k[1] for k in edge])), shape=(S, S))
    reach = np.isfinite(csgraph.shortest_path(graph, unweighted=True))
    np.fill_diagonal(reach, False)
    w = np.ones((S, S)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (S, S):
        raise ValueError(f"weights has shape {w.shape}, expected ({S}, {S})")
    check_finite("weights", w)
    if (w[reach] <= 0).any():
        s, g = (int(i) for i in np.argwhere(reach & (w <= 0))[0])
        raise ValueError(f"weights[{s}, {g}] = {float(w[s, g])!r}: weights must be positive on the reachable pairs")
    pairs = np.argwhere(reach)
    index = -np.ones((S, S), dtype=int)
    index[pairs[:, 0], pairs[:, 1]] = np.arange(len(pairs))
    n = len(pairs)
    if n == 0:
        raise ValueError("no state reaches another: there is no distance to learn")
    rows, cols, vals, rhs = [], [], [], []
    k = 0
    for s, m in pairs.tolist():  # d(s, g) - d(s, m) - d(m, g) <= 0 for reachable triples (g != s, m)
        for g in np.flatnonzero(reach[m]).tolist():
            if g == s:
                continue
            rows += [k, k, k]
            cols += [index[s, g], index[s, m], index[m, g]]
            vals += [1.0, -1.0, -1.0]
            rhs.append(0.0)
            k += 1
    for (s, t), cst in edge.items():
        rows.append(k)
        cols.append(index[s, t])
        vals.append(1.0)
        rhs.append(cst)
        k += 1
    for j in range(n):  # d >= 0
        rows.append(k)
        cols.append(j)
        vals.append(-1.0)
        rhs.append(0.0)
        k += 1
    A_ub = sp.csr_array((vals, (rows, cols)), shape=(k, n))
    scale = float(np.sum(w[reach])) * float(np.sum(c[mask]))  # objective <= sum of weights * longest path
    sol = solve_lp(
        w[pairs[:, 0], pairs[:, 1]],
        A_ub,
        np.array(rhs),
        who="quasimetric_distances",
        tol=tol,
        solver=solver,
        solver_options=solver_options,
        scale=scale,
    )
    if sol.x is None:
        raise RuntimeError(f"quasimetric_distances: the LP is {sol.status} with solver {sol.solver}")
    D = np.full((S, S), np.inf)
    np.fill_diagonal(D, 0.0)
    D[pairs[:, 0], pairs[:, 1]] = sol.x
    return QuasimetricResult(
        distances=readonly(D),
        objective=sol.objective,
        status=sol.status,
        duality_gap=sol.duality_gap,
        primal_infeasibility=sol.primal_infeasibility,
        dual_infeasibility=sol.dual_infeasibility,
        solver=sol.solver,
    )
