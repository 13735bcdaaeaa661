r"""Correlated and coarse correlated equilibria of n-player games, by convex programming (cvxpy).

A distribution :math:`\sigma` over joint action profiles is a *correlated
equilibrium* (Aumann 1974) when no player gains by deviating from any
recommended action ``a`` to any ``a'``:

.. math::

    \sum_{a_{-i}} \sigma(a, a_{-i}) \big[u_i(a', a_{-i}) - u_i(a, a_{-i})\big] \le 0
    \quad \text{for all } i,\ a \ne a',

and a *coarse correlated equilibrium* (Moulin & Vial 1978; Hannan 1957)
when no player gains by committing in advance to a fixed ``a'``:

.. math::

    \sum_{a} \sigma(a) \big[u_i(a', a_{-i}) - u_i(a)\big] \le 0
    \quad \text{for all } i,\ a'.

Both sets are polytopes (``G sigma <= 0`` on the simplex); every Nash
equilibrium's product distribution lies in the CE set, which lies in the CCE
set. :func:`ce_violation` and :func:`cce_violation` evaluate the largest
left-hand side: the certificate of any distribution, however it was
computed.

Duality certificates. For the linear objective ``max c^T sigma`` the dual
is ``min_{lambda >= 0, t} t`` s.t. ``G^T lambda + t 1 >= c``; for any
``lambda >= 0``, ``t(lambda) = max_a (c - G^T lambda)_a`` is dual feasible,
so ``t(lambda) >= c^T sigma*`` (weak duality) and ``t(lambda) - c^T sigma``
bounds the suboptimality of ``sigma``. For the maximum-entropy objective
(Ortiz, Schapire & Kakade 2007) the dual function of
``max H(sigma)`` over ``{G sigma <= 0} cap simplex`` is
``g(lambda) = log sum_a exp(-(G^T lambda)_a) >= H(sigma*)``. The solver's
multipliers (clipped at 0) give ``lambda``; the gaps are reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.special

from rltheory._validation import PROBABILITY_SUM_ATOL, check_finite, check_tol, readonly
from rltheory.tabular.games._matrix import MatrixGame

__all__ = [
    "CorrelatedEquilibriumResult",
    "cce_violation",
    "ce_violation",
    "coarse_correlated_equilibrium",
    "correlated_equilibrium",
]

_DEFAULT_SOLVER = "CLARABEL"


@dataclass(frozen=True, eq=False)
class CorrelatedEquilibriumResult:
    r"""Result of :func:`correlated_equilibrium` and :func:`coarse_correlated_equilibrium`.

    Attributes
    ----------
    distribution : numpy.ndarray, shape (A_1, ..., A_n)
        The joint distribution :math:`\sigma` (exactly on the simplex).
    payoffs : numpy.ndarray, shape (n,)
        :math:`E_\sigma[u_i]`.
    max_violation : float
        The certificate: the largest incentive-constraint left-hand side at
        ``distribution`` (:func:`ce_violation` / :func:`cce_violation`),
        ``<= tol * max(1, max|u|)``. May be negative for a CCE.
    objective_value : float
        The objective at ``distribution`` (welfare, linear, or entropy in nats).
    duality_gap : float
        Dual bound minus ``objective_value`` (module docstring): a certified
        bound on the suboptimality of ``distribution`` up to its
        ``max_violation``.
    objective : str
        ``"welfare"``, ``"linear"`` or ``"max-entropy"``.
    kind : str
        ``"correlated"`` or ``"coarse-correlated"``.
    status : str
        The cvxpy status (``"optimal"``; anything else raises).
    solver : str

    Examples
    --------
    >>> from rltheory.tabular.games import MatrixGame, correlated_equilibrium
    >>> pd = MatrixGame([[[3, 0], [5, 1]], [[3, 5], [0, 1]]])  # prisoner's dilemma, action 0 = cooperate
    >>> res = correlated_equilibrium(pd)  # defection strictly dominates: the only CE is (defect, defect)
    >>> res.distribution.round(6).tolist(), res.payoffs.round(6).tolist(), round(res.objective_value, 6)
    ([[0.0, 0.0], [0.0, 1.0]], [1.0, 1.0], 2.0)
    >>> res.kind, res.objective, bool(res.max_violation <= 1e-6)
    ('correlated', 'welfare', True)
    """

    distribution: np.ndarray
    payoffs: np.ndarray
    max_violation: float
    objective_value: float
    duality_gap: float
    objective: str
    kind: str
    status: str
    solver: str


def _incentive_matrix(game: MatrixGame, coarse: bool) -> np.ndarray:
    """Rows = incentive constraints, columns = joint profiles (C order); ``G sigma <= 0`` defines the set."""
    U = np.asarray(game.payoffs)
    rows = []
    for i, k in enumerate(game.n_actions):
        Ui = np.moveaxis(U[i], i, 0)  # (A_i, rest...)
        for a_dev in range(k):
            if coarse:
                # u_i(a', a_-i) - u_i(a) for every joint a (a_i arbitrary)
                diff = Ui[a_dev][None, ...] - Ui
                rows.append(np.moveaxis(diff, 0, i).ravel())
            else:
                for a in range(k):
                    if a == a_dev:
                        continue
                    diff = np.zeros_like(Ui)
                    diff[a] = Ui[a_dev] - Ui[a]
                    rows.append(np.moveaxis(diff, 0, i).ravel())
    return np.array(rows, dtype=float).reshape(len(rows), int(np.prod(game.n_actions)))


def _check_distribution(game: MatrixGame, distribution) -> np.ndarray:
    try:
        d = np.array(distribution, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"distribution cannot be converted to a float array: {exc}") from None
    if d.shape != game.n_actions:
        raise ValueError(f"distribution has shape {d.shape}, expected the joint action shape {game.n_actions}")
    check_finite("distribution", d)
    if (d < 0).any():
        idx = tuple(int(i) for i in np.argwhere(d < 0)[0])
        raise ValueError(f"distribution{list(idx)} = {float(d[idx])!r} is negative")
    total = float(d.sum())
    if abs(total - 1.0) > PROBABILITY_SUM_ATOL:
        raise ValueError(f"distribution sums to {total!r}, expected 1 within {PROBABILITY_SUM_ATOL:g}")
    return d


def ce_violation(game: MatrixGame, distribution) -> float:
    r"""Largest correlated-equilibrium incentive violation of a joint distribution (``<= 0`` iff a CE).

    :math:`\max_{i, a \ne a'} \sum_{a_{-i}} \sigma(a, a_{-i})[u_i(a', a_{-i}) - u_i(a, a_{-i})]`
    (``0`` when every player has a single action).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MatrixGame, ce_violation
    >>> chicken = MatrixGame([[[0, 7], [2, 6]], [[0, 2], [7, 6]]])
    >>> ce_violation(chicken, np.array([[0, 1], [1, 1]]) / 3)  # Aumann's 1/3-1/3-1/3 correlated equilibrium
    0.0
    """
    if not isinstance(game, MatrixGame):
        raise ValueError(f"ce_violation needs a MatrixGame, got {type(game).__name__}")
    d = _check_distribution(game, distribution)
    G = _incentive_matrix(game, coarse=False)
    return float(np.max(G @ d.ravel(), initial=0.0))


def cce_violation(game: MatrixGame, distribution) -> float:
    r"""Largest coarse-correlated-equilibrium violation (``<= 0`` iff a CCE; can be negative).

    :math:`\max_{i, a'} E_{a \sim \sigma}[u_i(a', a_{-i}) - u_i(a)]`.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MatrixGame, cce_violation
    >>> pennies = MatrixGame.zero_sum([[1, -1], [-1, 1]])
    >>> cce_violation(pennies, np.full((2, 2), 0.25))
    0.0
    """
    if not isinstance(game, MatrixGame):
        raise ValueError(f"cce_violation needs a MatrixGame, got {type(game).__name__}")
    d = _check_distribution(game, distribution)
    G = _incentive_matrix(game, coarse=True)
    return float(np.max(G @ d.ravel()))


def _solve(game, objective, coarse, tol, solver, solver_options, who):
    if not isinstance(game, MatrixGame):
        raise ValueError(f"{who} needs a MatrixGame, got {type(game).__name__}")
    tol = check_tol(tol)
    if solver_options is not None and not isinstance(solver_options, dict):
        raise ValueError(f"solver_options must be a dict, got {type(solver_options).__name__}")
    installed = cp.installed_solvers()
    solver = _DEFAULT_SOLVER if solver is None else solver
    if not isinstance(solver, str) or solver.upper() not in installed:
        raise ValueError(f"solver = {solver!r} is not an installed cvxpy solver; installed: {installed}")
    solver = solver.upper()
    shape = game.n_actions
    N = int(np.prod(shape))
    U = np.asarray(game.payoffs).reshape(game.n_players, N)
    scale = max(1.0, float(np.max(np.abs(U))))
    if isinstance(objective, str):
        if objective not in ("welfare", "max-entropy"):
            raise ValueError(f"objective = {objective!r} must be 'welfare', 'max-entropy' or an array of shape {shape}")
        kind_obj = objective
        c = U.sum(axis=0) if objective == "welfare" else None
    else:
        try:
            c = np.array(objective, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"objective cannot be converted to a float array: {exc}") from None
        if c.shape != shape:
            raise ValueError(f"objective has shape {c.shape}, expected the joint action shape {shape}")
        check_finite("objective", c)
        c = c.ravel()
        kind_obj = "linear"
    G = _incentive_matrix(game, coarse)
    sigma = cp.Variable(N, name="sigma")
    cons_g = G @ sigma <= 0 if G.shape[0] else None  # no incentive constraint when every player has one action
    constraints = [c_ for c_ in (cons_g, sigma >= 0, cp.sum(sigma) == 1) if c_ is not None]
    expr = cp.sum(cp.entr(sigma)) if c is None else c @ sigma
    problem = cp.Problem(cp.Maximize(expr), constraints)
    if solver == "HIGHS" and c is None:
        raise ValueError("solver HIGHS solves linear programs only; the max-entropy objective needs CLARABEL or SCS")
    problem.solve(solver=solver, **(solver_options or {}))
    # ---- 1. status
    if problem.status != cp.OPTIMAL:
        raise RuntimeError(f"the {who} program ended with status {problem.status!r} (solver {solver})")
    raw = np.asarray(sigma.value, dtype=float)
    # ---- 2. primal feasibility (of the solver's point, before it is put on the simplex)
    pinf = max(0.0, float(-raw.min()), abs(float(raw.sum()) - 1.0), float(np.max(G @ raw, initial=0.0)))
    if pinf > tol * scale:
        raise RuntimeError(f"{who}: primal infeasibility {pinf:.3e} > {tol * scale:.3e} (solver {solver})")
    d = np.maximum(raw, 0.0)
    d /= d.sum()
    violation = float(np.max(G @ d, initial=0.0 if not coarse else -np.inf))
    if violation > tol * scale:
        raise RuntimeError(
            f"{who}: the incentive constraints are violated by {violation:.3e} > {tol * scale:.3e} at the "
            f"returned distribution (solver {solver}); tighten solver_options or raise tol"
        )
    # ---- 3. dual feasibility by construction (lambda clipped at 0) and 4. the duality gap
    lam = np.maximum(np.asarray(cons_g.dual_value, dtype=float).ravel(), 0.0) if G.shape[0] else np.zeros(0)
    reduced = G.T @ lam
    if c is None:
        value = float(np.sum(scipy.special.entr(d)))
        dual_bound = float(scipy.special.logsumexp(-reduced))
    else:
        value = float(c @ d)
        dual_bound = float(np.max(c - reduced))
    gap = dual_bound - value
    gap_scale = max(1.0, abs(value), (float(np.sum(np.abs(c))) if c is not None else np.log(N) + 1.0))
    if not gap <= tol * gap_scale + max(0.0, violation) * float(np.sum(lam)):
        raise RuntimeError(f"{who}: duality gap {gap:.3e} exceeds {tol * gap_scale:.3e} (solver {solver})")
    return CorrelatedEquilibriumResult(
        distribution=readonly(d.reshape(shape)),
        payoffs=readonly(U @ d),
        max_violation=violation,
        objective_value=value,
        duality_gap=float(max(gap, 0.0)),
        objective=kind_obj,
        kind="coarse-correlated" if coarse else "correlated",
        status=str(problem.status),
        solver=solver,
    )


def correlated_equilibrium(
    game: MatrixGame, objective="welfare", *, tol: float = 1e-7, solver: str | None = None, solver_options=None
) -> CorrelatedEquilibriumResult:
    r"""A correlated equilibrium maximizing an objective, by convex programming, certified.

    Maximizes ``objective`` over the CE polytope (module docstring) with
    cvxpy, then checks in order: the solver status; primal feasibility of
    the solver's point; the incentive constraints at the returned
    distribution (put exactly on the simplex), ``max_violation <= tol *
    max(1, max|u|)``; and the duality gap of the dual bound built from the
    clipped multipliers.

    Parameters
    ----------
    game : MatrixGame
        Any number of players.
    objective : {"welfare", "max-entropy"} or array_like of shape (A_1, ..., A_n)
        ``"welfare"``: maximize ``sum_i E[u_i]``; an array ``c``: maximize
        ``E_sigma[c]``; ``"max-entropy"``: the maximum-entropy CE (Ortiz,
        Schapire & Kakade 2007), unique by strict concavity.
    tol : float, default 1e-7
    solver : str, optional
        A cvxpy solver (default ``"CLARABEL"``; ``"HIGHS"`` for the linear objectives).
    solver_options : dict, optional
        Passed to this call's ``problem.solve``.

    Returns
    -------
    CorrelatedEquilibriumResult

    Raises
    ------
    ValueError
        On a bad game, objective, tolerance or solver.
    RuntimeError
        When the status is not optimal or a check fails.

    References
    ----------
    R. J. Aumann, "Subjectivity and correlation in randomized strategies",
    J. Math. Econ. 1 (1974).
    C. H. Papadimitriou and T. Roughgarden, "Computing correlated equilibria
    in multi-player games", J. ACM 55(3) (2008) (the LP).
    L. E. Ortiz, R. E. Schapire and S. M. Kakade, "Maximum entropy correlated
    equilibria", AISTATS 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MatrixGame, correlated_equilibrium
    >>> chicken = MatrixGame([[[0, 7], [2, 6]], [[0, 2], [7, 6]]])  # Aumann (1974)
    >>> res = correlated_equilibrium(chicken)  # the welfare-maximizing CE: 1/4, 1/4, 1/2 (welfare 10.5)
    >>> np.round(res.distribution, 6), round(res.objective_value, 6), res.max_violation <= 1e-6
    (array([[0.  , 0.25],
           [0.25, 0.5 ]]), 10.5, True)
    """
    return _solve(game, objective, False, tol, solver, solver_options, "correlated_equilibrium")


def coarse_correlated_equilibrium(
    game: MatrixGame, objective="welfare", *, tol: float = 1e-7, solver: str | None = None, solver_options=None
) -> CorrelatedEquilibriumResult:
    r"""A coarse correlated equilibrium maximizing an objective, by convex programming, certified.

    Same program, checks and parameters as :func:`correlated_equilibrium`
    with the CCE constraints ``E_sigma[u_i(a', a_{-i}) - u_i(a)] <= 0``
    (Moulin & Vial 1978). No-regret learning converges to this set
    (Hannan 1957; Hart & Mas-Colell 2000).

    References
    ----------
    H. Moulin and J.-P. Vial, "Strategically zero-sum games: the class of games
    whose completely mixed equilibria cannot be improved upon", Int. J. Game
    Theory 7 (1978).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MatrixGame, coarse_correlated_equilibrium
    >>> pd = MatrixGame([[[3, 0], [5, 1]], [[3, 5], [0, 1]]])  # prisoner's dilemma: defect is dominant
    >>> np.round(coarse_correlated_equilibrium(pd).distribution, 6)
    array([[0., 0.],
           [0., 1.]])
    """
    return _solve(game, objective, True, tol, solver, solver_options, "coarse_correlated_equilibrium")
