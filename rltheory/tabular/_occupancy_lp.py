r"""Shared machinery of the occupancy-measure programs: the flow polytope, policy enumeration, certified solves.

The discounted occupancy measures of the stationary (randomized) policies of a discounted model from an
initial distribution :math:`\mu` are exactly the points of the *flow polytope*

.. math::

    \mathcal D = \Big\{ d \in \mathbb R^{S\times A}_{\ge 0} :\ \sum_a d(j,a) - \gamma \sum_{s,a} P(j|s,a)\, d(s,a)
    = \mu(j)\ \ \forall j,\ \ d(s,a) = 0 \text{ on disallowed pairs} \Big\}

(Puterman 2005, Theorem 6.9.1; total mass :math:`1/(1-\gamma)`), its vertices are the occupancies of the
deterministic policies (Puterman 2005, Proposition 6.9.3), and :math:`\pi(a|s) \propto d(s,a)` recovers a
policy with occupancy :math:`d`. Every program of :mod:`rltheory.tabular` over :math:`\mathcal D` builds its
constraints here and checks its solve with the one check of :mod:`rltheory.tabular._lp_certificates`:
status first, then primal feasibility, dual feasibility and the duality gap (ARCHITECTURE.md, "Convex programs").

This module is private; the solver choice and the certificate check are those of
:mod:`rltheory.tabular._lp_certificates`, shared with the LP and CMDP solvers.
"""

from __future__ import annotations

import itertools
import math
import warnings

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from rltheory._validation import check_probability_vector
from rltheory.tabular._lp_certificates import check_certificate, choose_solver
from rltheory.tabular._model import FiniteMDP

__all__ = [
    "MAX_POLICIES",
    "allowed_pairs",
    "deterministic_policies",
    "flow_matrix",
    "resolve_initial_distribution",
    "policy_from_occupancy",
    "policy_occupancies",
    "LPSolution",
    "solve",
    "solve_lp",
]

#: Default cap on the number of deterministic policies a brute-force routine enumerates.
MAX_POLICIES = 1 << 16

#: Clarabel's options when the caller gives none: its default stopping tolerances (1e-8) leave occupancies whose
#: certificates (Frank-Wolfe gaps, KKT residuals) are ~1e-5 on entropies; these give ~1e-11.
CLARABEL_OPTIONS = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10, "tol_ktratio": 1e-8}


def resolve_initial_distribution(mdp: FiniteMDP, mu, who: str) -> np.ndarray:
    """``mu`` validated, else ``mdp.initial_distribution``; a ``ValueError`` naming ``who`` when neither is given."""
    if mu is None:
        if mdp.initial_distribution is None:
            raise ValueError(
                f"{who} needs an initial distribution: pass initial_distribution= or build the FiniteMDP with "
                "initial_distribution="
            )
        return np.asarray(mdp.initial_distribution, dtype=float)
    return check_probability_vector("initial_distribution", mu, mdp.n_states)


def allowed_pairs(mdp: FiniteMDP) -> np.ndarray:
    """Boolean ``(S*A,)``: pair ``s*A + a`` is allowed by ``mdp.action_mask``."""
    return np.asarray(mdp.action_mask, dtype=bool).ravel()


def flow_matrix(mdp: FiniteMDP) -> sp.csr_array:
    r"""The flow operator :math:`F = (E - \gamma P)^\top`, shape ``(S, S*A)``: :math:`(F d)(j) = \sum_a d(j,a) -
    \gamma \sum_{s,a} P(j|s,a) d(s,a)` for ``d`` flattened row-major (pair ``s*A + a``).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.tabular._occupancy_lp import flow_matrix
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5)
    >>> flow_matrix(mdp).toarray()
    array([[0.5, 0.5]])
    """
    S, A = mdp.n_states, mdp.n_actions
    E = sp.csr_array((np.ones(S * A), (np.arange(S * A), np.repeat(np.arange(S), A))), shape=(S * A, S))
    return sp.csr_array((E - mdp.gamma * mdp.csr_P).T)


def deterministic_policies(mdp: FiniteMDP, max_policies: int = MAX_POLICIES) -> np.ndarray:
    """Every deterministic stationary policy allowed by ``mdp.action_mask``, as rows of an ``(n, S)`` int64 array.

    Enumerated in lexicographic order of the allowed actions; more than ``max_policies`` is refused with a
    ``ValueError`` (brute force is for tiny models).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.tabular._occupancy_lp import deterministic_policies
    >>> deterministic_policies(FiniteMDP(np.ones((2, 2, 2)) / 2, np.zeros((2, 2)), gamma=0.5)).tolist()
    [[0, 0], [0, 1], [1, 0], [1, 1]]
    """
    mask = np.asarray(mdp.action_mask, dtype=bool)
    choices = [np.flatnonzero(row) for row in mask]
    n = math.prod(len(c) for c in choices)
    if n > max_policies:
        raise ValueError(
            f"the model has {n} deterministic policies, more than max_policies = {max_policies}: brute-force "
            "enumeration is for tiny models (use a scalarization or LP method instead, or raise max_policies)"
        )
    return np.array(list(itertools.product(*choices)), dtype=np.int64).reshape(n, mdp.n_states)


def policy_occupancies(mdp: FiniteMDP, policies: np.ndarray, mu: np.ndarray) -> np.ndarray:
    r"""Discounted occupancies :math:`d^\pi_\mu` (mass :math:`1/(1-\gamma)`) of a batch of policies.

    ``policies`` is ``(n, S)`` deterministic actions or ``(n, S, A)`` probabilities (not validated: the callers
    build them); returns ``(n, S, A)``, :math:`d^\pi(s,a) = \pi(a|s)\,[\mu^\top (I-\gamma P^\pi)^{-1}](s)`
    (Puterman 2005, Theorem 6.9.1), by one batched dense solve.
    """
    S, A = mdp.n_states, mdp.n_actions
    pol = np.asarray(policies)
    if pol.ndim == 2:
        pi = np.zeros((pol.shape[0], S, A))
        pi[np.arange(pol.shape[0])[:, None], np.arange(S)[None, :], pol] = 1.0
    else:
        pi = np.asarray(pol, dtype=float)
    P = np.asarray(mdp.dense_P)
    P_pi = np.einsum("nsa,sat->nst", pi, P)
    M = np.eye(S)[None] - mdp.gamma * P_pi
    state_occ = np.linalg.solve(np.swapaxes(M, 1, 2), np.broadcast_to(mu, (pi.shape[0], S))[..., None])[..., 0]
    return state_occ[:, :, None] * pi


def policy_from_occupancy(mdp: FiniteMDP, d: np.ndarray) -> np.ndarray:
    r""":math:`\pi(a|s) = d^+(s,a) / \sum_b d^+(s,b)` on allowed actions; uniform over the allowed actions where the
    state carries no occupancy (such a state is not reached, so its choice does not change :math:`d`)."""
    mask = np.asarray(mdp.action_mask, dtype=bool)
    w = np.where(mask, np.maximum(np.asarray(d, dtype=float), 0.0), 0.0)
    tot = w.sum(axis=1, keepdims=True)
    uniform = mask / mask.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, w / np.where(tot > 0, tot, 1.0), uniform)


def solve(problem: cp.Problem, who: str, solver: str, solver_options: dict | None) -> str:
    """Solve ``problem`` with ``solver``; return the cvxpy status.

    Clarabel without ``solver_options`` runs with :data:`CLARABEL_OPTIONS`, and again with its own defaults when
    that run ends ``optimal_inaccurate`` (the certificate checked by the caller decides what is accepted).

    ``"optimal"`` is returned as is; ``infeasible`` / ``unbounded`` statuses are returned for the caller to turn
    into a ``ValueError`` naming the offending input; any other status (inaccurate, solver error) raises
    ``RuntimeError``.
    """
    if solver_options is not None and not isinstance(solver_options, dict):
        raise ValueError(f"solver_options must be a dict, got {type(solver_options).__name__}")
    attempts = [solver_options or {}]
    if solver_options is None and solver == "CLARABEL":
        attempts = [CLARABEL_OPTIONS, {}]  # tight first; Clarabel's defaults when the tight run ends inaccurate
    for options in attempts:
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Solution may be inaccurate")
                problem.solve(solver=solver, **options)
        except cp.SolverError as exc:
            raise RuntimeError(
                f"{who}: the solver {solver} failed ({exc}); try another solver or solver_options"
            ) from None
        if str(problem.status) != cp.OPTIMAL_INACCURATE:
            break
    status = str(problem.status)
    if status in (cp.OPTIMAL, cp.INFEASIBLE, cp.UNBOUNDED):
        return status
    raise RuntimeError(
        f"{who}: the solver {solver} ended with status {status!r} (expected 'optimal'); try another solver or "
        "tighter solver_options"
    )


class LPSolution:
    r"""A certified solution of :func:`solve_lp` (private; the public results copy its fields).

    ``x`` primal, ``y`` multipliers of the inequalities (``>= 0``), ``w`` of the equalities, ``objective``
    :math:`c^\top x`, the three certificate residuals, ``status`` and ``solver``.
    """

    __slots__ = (
        "x",
        "y",
        "w",
        "objective",
        "primal_infeasibility",
        "dual_infeasibility",
        "duality_gap",
        "status",
        "solver",
    )

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


def solve_lp(
    c,
    A_ub=None,
    b_ub=None,
    A_eq=None,
    b_eq=None,
    *,
    who: str,
    tol: float,
    solver=None,
    solver_options=None,
    scale: float = 1.0,
):
    r"""Solve and certify :math:`\max c^\top x` s.t. :math:`A_{ub} x \le b_{ub}`, :math:`A_{eq} x = b_{eq}`
    (``x`` free) with cvxpy.

    Its dual is :math:`\min b_{ub}^\top y + b_{eq}^\top w` s.t. :math:`A_{ub}^\top y + A_{eq}^\top w = c`,
    :math:`y \ge 0`; the multipliers come from cvxpy (for a maximization they are exactly these :math:`y, w`).
    Checked in order: status (``infeasible`` / ``unbounded`` are returned as the status with ``x = None``, for
    the caller to name the offending input), primal infeasibility :math:`\max(\|(A_{ub}x - b_{ub})^+\|_\infty,
    \|A_{eq}x - b_{eq}\|_\infty)`, dual infeasibility :math:`\max(\|A_{ub}^\top y + A_{eq}^\top w - c\|_\infty,
    \|y^-\|_\infty)` and the gap :math:`|c^\top x - b_{ub}^\top y - b_{eq}^\top w|`, each against
    ``tol * max(1, scale)`` (``scale`` the magnitude of the data), else ``RuntimeError``.
    """
    c = np.asarray(c, dtype=float)
    n = c.size
    x = cp.Variable(n)
    cons, parts = [], []
    if A_ub is not None and len(b_ub):
        A_ub = sp.csr_array(A_ub)
        b_ub = np.asarray(b_ub, dtype=float)
        cons.append(A_ub @ x <= b_ub)
        parts.append("ub")
    if A_eq is not None and len(b_eq):
        A_eq = sp.csr_array(A_eq)
        b_eq = np.asarray(b_eq, dtype=float)
        cons.append(A_eq @ x == b_eq)
        parts.append("eq")
    solver_name = choose_solver(solver)
    problem = cp.Problem(cp.Maximize(c @ x), cons)
    status = solve(problem, who, solver_name, solver_options)
    if status != cp.OPTIMAL:
        return LPSolution(
            x=None,
            y=None,
            w=None,
            objective=float("nan"),
            primal_infeasibility=float("nan"),
            dual_infeasibility=float("nan"),
            duality_gap=float("nan"),
            status=status,
            solver=solver_name,
        )
    xv = np.asarray(x.value, dtype=float)
    y = np.asarray(cons[parts.index("ub")].dual_value, dtype=float).ravel() if "ub" in parts else np.zeros(0)
    w = np.asarray(cons[parts.index("eq")].dual_value, dtype=float).ravel() if "eq" in parts else np.zeros(0)
    primal, dual_res = 0.0, c.copy()
    dual_obj = 0.0
    if "ub" in parts:
        primal = max(primal, float(np.max(A_ub @ xv - b_ub, initial=0.0)))
        dual_res -= A_ub.T @ y
        dual_obj += float(b_ub @ y)
    if "eq" in parts:
        primal = max(primal, float(np.max(np.abs(A_eq @ xv - b_eq), initial=0.0)))
        dual_res -= A_eq.T @ w
        dual_obj += float(b_eq @ w)
    dual_inf = float(max(np.max(np.abs(dual_res), initial=0.0), np.max(-y, initial=0.0)))
    objective = float(c @ xv)
    gap = abs(objective - dual_obj)
    limit = tol * max(1.0, float(scale))
    check_certificate(
        [("primal infeasibility", primal, limit), ("dual infeasibility", dual_inf, limit), ("duality gap", gap, limit)],
        solver_name,
        tol,
        what=f"{who}: the",
    )
    return LPSolution(
        x=xv,
        y=y,
        w=w,
        objective=objective,
        primal_infeasibility=primal,
        dual_infeasibility=dual_inf,
        duality_gap=gap,
        status=status,
        solver=solver_name,
    )
