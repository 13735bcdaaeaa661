r"""Optimal mixed-strategy commitment in two-player games (strong Stackelberg equilibrium), by LP.

The leader (row player, payoff ``L``) commits to a mixed strategy ``x``; the
follower (column player, payoff ``F``) observes it and best-responds,
breaking ties in the leader's favour (the *strong* Stackelberg
equilibrium). Conitzer & Sandholm (2006, Sec. 4) solve it with one LP per
follower pure strategy ``j``:

.. math::

    \max_{x \in \Delta_m} \; x^\top L_{\cdot j}
    \quad \text{s.t.} \quad x^\top F_{\cdot j} \ge x^\top F_{\cdot j'} \ \ \forall j',

and take the best ``j`` among the feasible LPs: LP ``j`` optimizes over the
region where ``j`` is a follower best response, and the regions cover the
simplex. Committing is never worse for the leader than any Nash equilibrium
(von Stengel & Zamir 2010).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize

from rltheory._validation import check_int, check_tol, readonly
from rltheory.tabular._lp_certificates import check_certificate
from rltheory.tabular.games._matrix import MatrixGame

__all__ = ["StackelbergResult", "stackelberg_commitment"]


@dataclass(frozen=True, eq=False)
class StackelbergResult:
    r"""Result of :func:`stackelberg_commitment`.

    Attributes
    ----------
    leader_strategy : numpy.ndarray, shape (m,)
        The optimal commitment ``x`` (exactly on the simplex).
    follower_response : int
        The follower's pure best response ``j*`` (tie broken for the leader).
    leader_value, follower_value : float
        ``x^T L[:, j*]`` and ``x^T F[:, j*]``.
    incentive_violation : float
        ``max_j x^T F[:, j] - x^T F[:, j*]``: how far ``j*`` is from a best
        response to ``x`` (``<= tol * max(1, max|F|)``; 0 in exact arithmetic).
    lp_values : numpy.ndarray, shape (n,)
        The optimum of LP ``j`` (``-inf`` when ``j`` is never a best response).
    duality_gap : float
        The largest ``|primal - dual|`` over the feasible LPs.

    Examples
    --------
    >>> from rltheory.tabular.games import MatrixGame, stackelberg_commitment
    >>> pennies = MatrixGame.zero_sum([[1, -1], [-1, 1]])  # zero-sum: committing cannot beat the minimax value 0
    >>> res = stackelberg_commitment(pennies)
    >>> res.leader_strategy.round(6).tolist(), round(res.leader_value, 9), round(res.follower_value, 9)
    ([0.5, 0.5], 0.0, 0.0)
    >>> res.lp_values.round(6).tolist(), bool(res.incentive_violation <= 1e-9)  # both columns are best responses
    ([0.0, 0.0], True)
    """

    leader_strategy: np.ndarray
    follower_response: int
    leader_value: float
    follower_value: float
    incentive_violation: float
    lp_values: np.ndarray
    duality_gap: float


def stackelberg_commitment(game: MatrixGame, *, leader: int = 0, tol: float = 1e-9) -> StackelbergResult:
    r"""The leader's optimal mixed commitment (Conitzer & Sandholm 2006): one LP per follower pure strategy.

    Each LP is solved with HiGHS (``scipy.optimize.linprog``) and checked:
    status (optimal, or infeasible when ``j`` is never a best response),
    primal feasibility, dual feasibility and the LP duality gap, each
    ``<= tol * max(1, max|payoffs|)``; then the returned commitment is
    certified by ``incentive_violation``.

    Parameters
    ----------
    game : MatrixGame
        Two players.
    leader : {0, 1}
        Which player commits (0: the row player).
    tol : float, default 1e-9

    Returns
    -------
    StackelbergResult

    References
    ----------
    V. Conitzer and T. Sandholm, "Computing the optimal strategy to commit to", ACM EC 2006.
    B. von Stengel and S. Zamir, "Leadership games with convex strategy sets",
    Games and Economic Behavior 69 (2010).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MatrixGame, stackelberg_commitment
    >>> game = MatrixGame([[[2, 4], [1, 3]], [[1, 0], [0, 1]]])  # Up dominates, Nash value 2
    >>> res = stackelberg_commitment(game)  # commit to (1/2, 1/2): the follower plays Right, value 3.5
    >>> np.round(res.leader_strategy, 9), res.follower_response, round(res.leader_value, 9)
    (array([0.5, 0.5]), 1, 3.5)
    """
    if not isinstance(game, MatrixGame):
        raise ValueError(f"stackelberg_commitment needs a MatrixGame, got {type(game).__name__}")
    if game.n_players != 2:
        raise ValueError(f"stackelberg_commitment handles two-player games, got {game.n_players} players")
    leader = check_int("leader", leader, low=0, high=1)
    tol = check_tol(tol)
    L = np.asarray(game.payoffs[leader])
    F = np.asarray(game.payoffs[1 - leader])
    if leader == 1:
        L, F = L.T, F.T
    m, n = L.shape
    scale = max(1.0, float(np.max(np.abs(game.payoffs))))
    lp_values = np.full(n, -np.inf)
    best = None
    gap_max = 0.0
    for j in range(n):
        others = [k for k in range(n) if k != j]
        # minimize -x^T L_j s.t. x^T (F_k - F_j) <= 0 for k != j, sum x = 1, x >= 0
        A_ub = (F[:, others] - F[:, [j]]).T if others else None
        b_ub = np.zeros(len(others)) if others else None
        res = scipy.optimize.linprog(
            -L[:, j], A_ub=A_ub, b_ub=b_ub, A_eq=np.ones((1, m)), b_eq=[1.0], bounds=[(0, None)] * m, method="highs"
        )
        if res.status == 2:
            continue  # j is never a best response
        if res.status != 0:
            raise RuntimeError(f"the LP for follower response {j} ended with status {res.status} ({res.message!r})")
        x = res.x
        pinf = max(0.0, float(-x.min()), abs(float(x.sum()) - 1.0), float(np.max(A_ub @ x)) if others else 0.0)
        lam = -np.asarray(res.ineqlin.marginals) if others else np.zeros(0)  # >= 0
        mu = float(res.eqlin.marginals[0])
        # dual of min c^T x, A_ub x <= 0, 1^T x = 1, x >= 0: max mu s.t. c + A_ub^T lam - mu 1 >= 0, lam >= 0
        reduced = -L[:, j] + (A_ub.T @ lam if others else 0.0) - mu
        dinf = max(0.0, float(-lam.min()) if others else 0.0, float(-reduced.min()))
        gap = abs(float(-L[:, j] @ x) - mu)
        limit = tol * scale
        check_certificate(
            [
                ("primal infeasibility", pinf, limit),
                ("dual infeasibility", dinf, limit),
                ("LP duality gap", gap, limit),
            ],
            "HiGHS",
            tol,
            what=f"the LP of follower response {j}:",
        )
        gap_max = max(gap_max, gap)
        lp_values[j] = float(L[:, j] @ x)
        if best is None or lp_values[j] > lp_values[best[0]] + tol * scale:
            best = (j, x)
    if best is None:  # pragma: no cover - the best-response regions cover the simplex
        raise RuntimeError("no follower pure strategy is a best response to any commitment")
    j, x = best
    x = np.maximum(x, 0.0)
    x = x / x.sum()
    follower = x @ F
    violation = float(follower.max() - follower[j])
    if not violation <= tol * scale:
        raise RuntimeError(f"the commitment's incentive check failed: violation {violation:.3e} > {tol * scale:.3e}")
    return StackelbergResult(
        leader_strategy=readonly(x),
        follower_response=int(j),
        leader_value=float(x @ L[:, j]),
        follower_value=float(follower[j]),
        incentive_violation=max(violation, 0.0),
        lp_values=readonly(lp_values),
        duality_gap=gap_max,
    )
