r"""The linear-programming formulation of a discounted MDP or an SSP (primal and dual), via cvxpy."""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from rltheory._validation import check_probability_vector, check_tol, readonly
from rltheory.tabular._lp_certificates import check_certificate, check_solver_options, choose_solver, require_optimal
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._ssp import certify, negative_cost_margin, termination_bound

__all__ = ["LinearProgramResult", "linear_programming"]


@dataclass(frozen=True, eq=False)
class LinearProgramResult:
    r"""Result of :func:`linear_programming`.

    Attributes
    ----------
    v : numpy.ndarray, shape (S,)
        Primal solution, :math:`v^*` up to the solver accuracy.
    policy : numpy.ndarray of int64, shape (S,)
        :math:`\pi(s) = \arg\max_a x(s,a)` read off the dual solution.
    occupancy : numpy.ndarray, shape (S, A)
        Dual solution :math:`x(s,a)`, the discounted occupancy measure of an
        optimal policy from :math:`\mu` (total mass :math:`1/(1-\gamma)`,
        zero on disallowed actions); for an SSP the expected numbers of visits
        (zero on terminal states).
    objective : float
        :math:`\mu^\top v` (primal objective).
    duality_gap : float
        :math:`|\mu^\top v - \sum_{s,a} r(s,a) x(s,a)|`.
    primal_infeasibility : float
        :math:`\max(0, \max_{(s,a)} [r(s,a) + \gamma P v(s,a) - v(s)])`.
    dual_infeasibility : float
        :math:`\max(\max_{s,a} (-x(s,a))^+,\ \|\text{flow}(x) - \mu\|_\infty)`.
    bound : float
        A certified bound :math:`\|v - v^*\|_\infty \le` ``bound``
        derived from the three residuals (see Notes of
        :func:`linear_programming`).
    status : str
        The cvxpy status (always ``"optimal"`` for a returned result).
    solver : str

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, linear_programming
    >>> res = linear_programming(FiniteMDP(np.ones((1, 1, 1)), np.ones((1, 1)), gamma=0.5))
    >>> res.status, bool(abs(res.v[0] - 2.0) <= res.bound), bool(abs(res.occupancy.sum() - 2.0) < 1e-6)
    ('optimal', True, True)
    """

    v: np.ndarray
    policy: np.ndarray
    occupancy: np.ndarray
    objective: float
    duality_gap: float
    primal_infeasibility: float
    dual_infeasibility: float
    bound: float
    status: str
    solver: str


def _states(mdp: FiniteMDP) -> np.ndarray:
    """The states with a value variable: all of them, or the non-terminal ones of an SSP (v = 0 on terminals)."""
    keep = np.ones(mdp.n_states, dtype=bool)
    if mdp.criterion == "ssp":
        keep[mdp.terminal_states] = False
    return np.flatnonzero(keep)


def _constraint_matrix(mdp: FiniteMDP):
    """Rows ``(s, a)`` allowed (``s`` with a variable): ``M = E - gamma P`` (CSR), the rewards and indices."""
    S, A = mdp.n_states, mdp.n_actions
    cols = _states(mdp)
    keep = np.zeros(S, dtype=bool)
    keep[cols] = True
    pairs = np.argwhere(np.asarray(mdp.action_mask) & keep[:, None])  # row-major: (s, a) sorted
    rows = pairs[:, 0] * A + pairs[:, 1]
    P_rows = sp.csr_array(mdp.csr_P[rows])
    if cols.size < S:  # SSP: the terminal states' columns multiply v = 0
        P_rows = sp.csr_array(P_rows[:, cols])
    pos = np.full(S, -1, dtype=np.int64)
    pos[cols] = np.arange(cols.size)
    E = sp.csr_array((np.ones(len(rows)), (np.arange(len(rows)), pos[pairs[:, 0]])), shape=(len(rows), cols.size))
    M = sp.csr_array(E - mdp.gamma * P_rows)
    r = np.asarray(mdp.R)[pairs[:, 0], pairs[:, 1]]
    return M, r, pairs


def _build(mdp: FiniteMDP, mu: np.ndarray):
    """Pure builder of the primal LP; returns ``(problem, v, constraint, M, r, pairs)``.

    ``mu`` holds the weights of the states with a variable (all, or the non-terminal ones of an SSP).
    """
    M, r, pairs = _constraint_matrix(mdp)
    v = cp.Variable(M.shape[1], name="v")
    constraint = M @ v >= r
    problem = cp.Problem(cp.Minimize(mu @ v), [constraint])
    return problem, v, constraint, M, r, pairs


def linear_programming(
    mdp: FiniteMDP, *, solver: str | None = None, tol: float = 1e-7, weights=None, solver_options: dict | None = None
) -> LinearProgramResult:
    r"""Solve a discounted MDP as a linear program, checking the certificate.

    Primal (Puterman 2005, Sec. 6.9.1), with positive weights :math:`\mu`:

    .. math::

        \min_v \ \sum_s \mu(s) v(s) \quad \text{s.t.}\quad
        v(s) - \gamma \sum_{s'} P(s'|s,a) v(s') \ge r(s,a)
        \quad \text{for all allowed } (s,a).

    Its unique solution is :math:`v^*` (every feasible :math:`v` satisfies
    :math:`v \ge Tv`, hence :math:`v \ge v^*`). Dual, over occupancy measures:

    .. math::

        \max_{x \ge 0} \ \sum_{s,a} r(s,a)\, x(s,a) \quad \text{s.t.}\quad
        \sum_a x(j,a) - \gamma \sum_{s,a} P(j|s,a)\, x(s,a) = \mu(j)
        \quad \text{for all } j.

    Feasible :math:`x` are exactly the discounted occupancy measures
    :math:`d^\pi_\mu` of stationary randomized policies, and an optimal
    :math:`x` yields an optimal policy :math:`\pi(a|s) \propto x(s,a)`
    (Puterman 2005, Theorem 6.9.1 and Corollary 6.9.2). One cvxpy problem
    is built (sparse constraint matrix for sparse models) and solved; the
    dual solution is read from the constraint's multipliers.

    Every solve is checked, in this order: the solver status must be
    ``optimal`` (not infeasible, unbounded, or ``optimal_inaccurate``); then
    primal infeasibility :math:`\le \mathrm{tol}\cdot\max(1, \|v\|_\infty)`,
    dual infeasibility :math:`\le \mathrm{tol}\cdot\max(1, \sum x)`, and the
    duality gap :math:`\le \mathrm{tol}\cdot\max(1, |\mu^\top v|)`.

    Parameters
    ----------
    mdp : FiniteMDP
        A discounted model (``gamma < 1``, no horizon) or a stochastic
        shortest path model (``gamma = 1`` with terminal states; see Notes).
    solver : str, optional
        A cvxpy solver name; default ``"CLARABEL"``, else ``"HIGHS"``.
    tol : float
        Acceptance threshold of the certificate (see above).
    weights : array_like, shape (S,), optional
        :math:`\mu`, strictly positive, summing to 1. Default: uniform,
        :math:`\mu(s) = 1/S` (``mdp.initial_distribution`` is not used: it
        often has zeros, e.g. RiverSwim's, and the LP determines
        :math:`v` only where :math:`\mu > 0`).
    solver_options : dict, optional
        Keyword arguments for this call's ``problem.solve`` (e.g. solver
        tolerances). Global solver state is never touched.

    Returns
    -------
    LinearProgramResult

    Raises
    ------
    ValueError
        On a finite-horizon or average-reward model, weights that are not a
        strictly positive distribution, an unknown solver, or a bad ``tol``.
    RuntimeError
        When the solver status is not optimal or the certificate check fails.

    Notes
    -----
    *Certified error bound.* Let :math:`\epsilon_p` be the primal
    infeasibility, so :math:`v \ge Tv - \epsilon_p`; then
    :math:`w = v + \epsilon_p/(1-\gamma)` satisfies :math:`w \ge Tw`, hence
    :math:`w \ge v^*` (Puterman 2005, Theorem 6.2.2(a)), i.e.
    :math:`v - v^* \ge -c`, :math:`c = \epsilon_p/(1-\gamma)`. With
    :math:`x^+ = \max(x, 0)` and :math:`\delta = M^\top x^+ - \mu`
    (:math:`M` the constraint matrix), :math:`M v^* \ge r` gives
    :math:`r^\top x^+ \le \mu^\top v^* + \|v^*\|_\infty \|\delta\|_1`, so
    :math:`\mu^\top (v - v^*) \le U := |\mu^\top v - r^\top x^+| +
    \tfrac{\|r\|_\infty}{1-\gamma}\|\delta\|_1`. Together,
    :math:`\|v - v^*\|_\infty \le \max\big(c, (U + c)/\min_s \mu(s)\big)`,
    reported as ``bound``.

    *Stochastic shortest path* (``gamma = 1`` with terminal states). The
    variables are the values of the non-terminal states (``v = 0`` on
    terminal states, whose weights do not enter), the constraints those of
    the allowed pairs of non-terminal states; every feasible ``v`` satisfies
    ``v >= T v``, hence ``v >= v*`` under the assumptions of Bertsekas &
    Tsitsiklis (1991) (a proper policy exists, improper ones have reward
    :math:`-\infty` from some state), so the optimum is ``v*``, and the dual
    variables are expected numbers of visits. The certificate is the one
    above with :math:`1/(1-\gamma)` replaced by :math:`\max_s w(s)`, ``w``
    a checked upper bound on the largest expected time to termination
    :math:`M` (:mod:`rltheory.tabular._ssp`): :math:`v + \epsilon_p w \ge
    T(v + \epsilon_p w)` because :math:`P_a w \le w - 1`, and
    :math:`\|v^*\|_\infty \le \|r\|_\infty \max_s M(s)`. This needs every
    policy proper. When every step costs at least some :math:`c > 0` the
    bound is instead the distance from ``v`` to the negative-cost SSP bounds
    at ``v`` (see :func:`~rltheory.tabular.value_iteration`), which need no
    properness of every policy; otherwise, with some policy improper,
    ``bound = inf``.

    References
    ----------
    M. L. Puterman, *Markov Decision Processes*, Wiley 2005, Sec. 6.9.
    F. d'Epenoux, "A probabilistic production and inventory problem",
    *Management Science* 10(1), 1963.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, linear_programming
    >>> P = np.array([[[0.5, 0.5], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> R = np.array([[5.0, 10.0], [-1.0, -1.0]])
    >>> res = linear_programming(FiniteMDP(P, R, gamma=0.5))
    >>> np.round(res.v, 6), res.policy, res.status
    (array([ 9., -2.]), array([1, 0]), 'optimal')
    """
    FiniteMDP.require(mdp, ("discounted", "ssp"), "linear_programming")
    tol = check_tol(tol)
    solver_options = check_solver_options(solver_options)
    solver_name = choose_solver(solver)  # before the weights: an unknown solver is reported as such
    S, A = mdp.n_states, mdp.n_actions
    if weights is None:
        mu = np.full(S, 1.0 / S)
    else:
        mu = check_probability_vector("weights", weights, S)
        if (mu <= 0).any():
            s = int(np.argmax(mu <= 0))
            raise ValueError(
                f"weights[{s}] = {float(mu[s])!r}: the LP weights must be strictly positive, otherwise v is "
                "not determined on that state; pass weights= with positive entries (the default is uniform)"
            )

    cols = _states(mdp)
    mu = mu[cols]  # an SSP's terminal states have no variable (v = 0 there): their weights do not enter
    problem, v_var, constraint, M, r, pairs = _build(mdp, mu)
    problem.solve(solver=solver_name, **solver_options)
    # ---- 1. status
    require_optimal(problem, solver_name)
    v_cols = np.asarray(v_var.value, dtype=float)
    x = np.asarray(constraint.dual_value, dtype=float).ravel()
    v = np.zeros(S)
    v[cols] = v_cols
    # ---- 2. primal feasibility: M v >= r
    primal_inf = float(max(0.0, np.max(r - M @ v_cols)))
    # ---- 3. dual feasibility: x >= 0 and M^T x = mu (flow constraints)
    dual_inf = float(max(0.0, np.max(-x), np.max(np.abs(M.T @ x - mu))))
    # ---- 4. duality gap
    objective = float(mu @ v_cols)
    gap = float(abs(objective - r @ x))
    checks = [
        ("primal infeasibility", primal_inf, tol * max(1.0, float(np.max(np.abs(v))))),
        ("dual infeasibility", dual_inf, tol * max(1.0, float(np.sum(np.abs(x))))),
        ("duality gap", gap, tol * max(1.0, abs(objective))),
    ]
    check_certificate(checks, solver_name, tol)
    # certified bound on ||v - v*||_inf (Notes; Puterman 2005, Theorem 6.2.2(a) for the lower side). The horizon
    # factor is 1/(1 - gamma), or max_s w(s) >= the largest expected time to termination of an SSP whose policies
    # are all proper (rltheory.tabular._ssp); without it nothing is certified.
    if mdp.criterion == "ssp":
        w = None if negative_cost_margin(mdp) is not None else termination_bound(mdp)
        horizon = np.inf if w is None else float(np.max(w))
    else:
        horizon = 1.0 / (1.0 - mdp.gamma)
    if np.isfinite(horizon):
        c = primal_inf * horizon
        x_plus = np.maximum(x, 0.0)
        delta = M.T @ x_plus - mu
        U = abs(objective - float(r @ x_plus)) + float(np.max(np.abs(r))) * horizon * float(np.sum(np.abs(delta)))
        error_bound = float(max(c, (U + c) / float(np.min(mu))))
    else:
        error_bound = float("inf")
    if mdp.criterion == "ssp":
        # the SSP bounds at v (rltheory.tabular._ssp.certify), e.g. the negative-cost ones where M is infinite
        b = certify(mdp, v)
        if b is not None:
            error_bound = min(error_bound, float(max(np.max(b[1] - v), np.max(v - b[0]), 0.0)))
    occupancy = np.zeros((S, A))
    occupancy[pairs[:, 0], pairs[:, 1]] = x
    mask = np.asarray(mdp.action_mask)
    # terminal states of an SSP carry no occupancy: their lowest allowed action (every one loops)
    policy = np.argmax(np.where(mask, occupancy, -np.inf), axis=1).astype(np.int64)
    return LinearProgramResult(
        v=readonly(v),
        policy=readonly(policy),
        occupancy=readonly(occupancy),
        objective=objective,
        duality_gap=gap,
        primal_infeasibility=primal_inf,
        dual_infeasibility=dual_inf,
        bound=error_bound,
        status=str(problem.status),
        solver=solver_name,
    )
