r"""Constrained discounted MDPs (Altman 1999): the occupancy-measure LP and Lagrangian primal-dual.

A constrained MDP adds :math:`m` cost functions :math:`c_i(s, a)` and
thresholds :math:`d_i` to a discounted :class:`~rltheory.tabular.FiniteMDP`
with initial distribution :math:`\mu`, and asks for

.. math::

    \max_\pi \ V_r^\pi(\mu) \quad \text{s.t.} \quad V_{c_i}^\pi(\mu) \le d_i, \quad i = 1, \dots, m,

where :math:`V_f^\pi(\mu) = \mathbb{E}^\pi_\mu \sum_t \gamma^t f(s_t, a_t)`
(expected discounted totals, *not* normalized by :math:`1-\gamma`). With the
unnormalized discounted occupancy measure
:math:`x(s,a) = \sum_t \gamma^t \Pr^\pi_\mu(s_t = s, a_t = a)` (total mass
:math:`1/(1-\gamma)`, the normalization of
:func:`~rltheory.tabular.discounted_occupancy` and
:func:`~rltheory.tabular.linear_programming`), :math:`V_f^\pi(\mu) = \sum_{s,a}
f(s,a) x(s,a)`, and the occupancy measures of stationary randomized policies
are exactly the points of the polytope
:math:`\{x \ge 0 : \sum_a x(j,a) - \gamma \sum_{s,a} P(j|s,a) x(s,a) = \mu(j)\}`
(Altman 1999, Ch. 3; Puterman 2005, Theorem 6.9.1). The constrained problem is
therefore the linear program solved by :func:`constrained_lp`; its optimal
policies are stationary but in general randomized.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import check_finite, check_int, check_real, check_shape, check_tol, readonly
from rltheory.tabular._linear_programming import _constraint_matrix
from rltheory.tabular._lp_certificates import (
    check_certificate,
    check_solver_options,
    choose_solver,
    require_optimal,
)
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._policy_evaluation import discounted_occupancy, policy_evaluation
from rltheory.tabular._policy_iteration import policy_iteration

__all__ = [
    "ConstrainedLPResult",
    "ConstrainedMDP",
    "LagrangianPrimalDualResult",
    "constrained_lp",
    "lagrangian_primal_dual",
]

ALTMAN = "E. Altman, Constrained Markov Decision Processes, Chapman & Hall/CRC 1999"


# ===================================================================== the model
@dataclass(frozen=True, eq=False, repr=False)
class ConstrainedMDP:
    r"""A discounted MDP with :math:`m` expected-discounted-cost constraints.

    The problem is :math:`\max_\pi V_r^\pi(\mu)` subject to
    :math:`V_{c_i}^\pi(\mu) = \sum_{s,a} c_i(s,a)\, x^\pi(s,a) \le d_i` for
    :math:`i < m`, with :math:`x^\pi` the unnormalized discounted occupancy
    measure from :math:`\mu` (module docstring).

    Parameters
    ----------
    mdp : FiniteMDP
        A discounted model (``gamma < 1``, no horizon), dense or sparse, with
        or without an action mask. Its ``initial_distribution`` is
        :math:`\mu`; uniform when it has none.
    costs : array_like, shape (m, S, A)
        Costs :math:`c_i(s, a)`, finite (entries of disallowed actions are
        never used but must be finite too), ``m >= 1``.
    thresholds : array_like, shape (m,)
        Thresholds :math:`d_i`, finite, in the same (undiscounted-sum) units
        as :math:`V_{c_i}`.

    Attributes
    ----------
    n_constraints, n_states, n_actions : int
    initial_distribution : numpy.ndarray, shape (S,)
        :math:`\mu` (``mdp.initial_distribution`` or uniform).

    Raises
    ------
    ValueError
        On a model that is not discounted, a ``costs`` array of the wrong
        shape or with a non-finite entry (the message names the index), or
        ``thresholds`` of the wrong shape or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import ConstrainedMDP, FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=0.5)
    >>> cmdp = ConstrainedMDP(mdp, costs=np.array([[[0.0, 1.0]]]), thresholds=[1.0])
    >>> cmdp.n_constraints, cmdp.initial_distribution
    (1, array([1.]))
    >>> ConstrainedMDP(mdp, costs=np.array([[[0.0, np.inf]]]), thresholds=[1.0])
    Traceback (most recent call last):
    ...
    ValueError: costs[0, 0, 1] is inf; all entries must be finite
    """

    mdp: FiniteMDP
    costs: np.ndarray
    thresholds: np.ndarray

    def __post_init__(self):
        mdp = self.mdp
        # the expected discounted costs and the occupancy-measure LP are finite only for gamma < 1
        FiniteMDP.require(mdp, "discounted", "ConstrainedMDP")
        S, A = mdp.n_states, mdp.n_actions
        try:
            costs = np.array(self.costs, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"costs cannot be converted to a float array: {exc}") from None
        if costs.ndim != 3 or costs.shape[1:] != (S, A) or costs.shape[0] < 1:
            raise ValueError(f"costs has shape {costs.shape}, expected (m, {S}, {A}) with m >= 1")
        bad = ~np.isfinite(costs)
        if bad.any():
            i, s, a = (int(k) for k in np.argwhere(bad)[0])
            raise ValueError(f"costs[{i}, {s}, {a}] is {float(costs[i, s, a])!r}; all entries must be finite")
        try:
            thresholds = np.array(self.thresholds, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"thresholds cannot be converted to a float array: {exc}") from None
        check_shape("thresholds", thresholds, (costs.shape[0],))
        check_finite("thresholds", thresholds)
        object.__setattr__(self, "costs", readonly(costs))
        object.__setattr__(self, "thresholds", readonly(thresholds))

    @property
    def n_constraints(self) -> int:
        """Number of constraints ``m``.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import ConstrainedMDP, FiniteMDP
        >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=0.5)
        >>> cmdp = ConstrainedMDP(mdp, costs=np.array([[[0.0, 1.0]], [[1.0, 0.0]]]), thresholds=[1.0, 2.0])
        >>> cmdp.n_constraints  # one per row of costs
        2
        """
        return int(self.costs.shape[0])

    @property
    def n_states(self) -> int:
        """Number of states ``S`` of the underlying model.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import ConstrainedMDP, FiniteMDP
        >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=0.5)
        >>> cmdp = ConstrainedMDP(mdp, costs=np.array([[[0.0, 1.0]], [[1.0, 0.0]]]), thresholds=[1.0, 2.0])
        >>> cmdp.n_states
        1
        """
        return self.mdp.n_states

    @property
    def n_actions(self) -> int:
        """Number of actions ``A`` of the underlying model.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import ConstrainedMDP, FiniteMDP
        >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=0.5)
        >>> cmdp = ConstrainedMDP(mdp, costs=np.array([[[0.0, 1.0]], [[1.0, 0.0]]]), thresholds=[1.0, 2.0])
        >>> cmdp.n_actions
        2
        """
        return self.mdp.n_actions

    @property
    def initial_distribution(self) -> np.ndarray:
        r""":math:`\mu`: ``mdp.initial_distribution``, or uniform when the model has none.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import ConstrainedMDP, FiniteMDP
        >>> P = np.zeros((2, 2, 2))
        >>> P[0, :, :] = 0.5
        >>> P[1, :, 1] = 1.0
        >>> mdp = FiniteMDP(P, np.zeros((2, 2)), gamma=0.9)  # no initial distribution given
        >>> ConstrainedMDP(mdp, costs=np.zeros((1, 2, 2)), thresholds=[0.0]).initial_distribution.tolist()
        [0.5, 0.5]
        """
        if self.mdp.initial_distribution is not None:
            return self.mdp.initial_distribution
        return readonly(np.full(self.n_states, 1.0 / self.n_states))

    def __repr__(self) -> str:
        return f"ConstrainedMDP({self.mdp!r}, n_constraints={self.n_constraints})"


# ===================================================================== helpers
def _with_reward(mdp: FiniteMDP, R: np.ndarray) -> FiniteMDP:
    """The same model with expected rewards ``R`` (S, A)."""
    return FiniteMDP(
        mdp.P,
        R,
        gamma=mdp.gamma,
        terminal_states=mdp.terminal_states,
        action_mask=mdp.action_mask if mdp.has_action_mask else None,
        initial_distribution=mdp.initial_distribution,
    )


def _lagrangian_reward(cmdp: ConstrainedMDP, lam: np.ndarray) -> np.ndarray:
    r""":math:`r - \sum_i \lambda_i c_i`, zero on disallowed actions (never used there)."""
    R = np.asarray(cmdp.mdp.R) - np.tensordot(lam, np.asarray(cmdp.costs), axes=1)
    return np.where(np.asarray(cmdp.mdp.action_mask), R, 0.0)


def _best_response(cmdp: ConstrainedMDP, lam: np.ndarray, start=None):
    r"""An optimal deterministic policy for :math:`r - \lambda^\top c` and :math:`L(\lambda)`.

    :math:`L(\lambda) = \max_\pi [V_r^\pi(\mu) - \lambda^\top (V_c^\pi(\mu) - d)]
    = \mu^\top v^*_{r - \lambda^\top c} + \lambda^\top d`, the Lagrangian dual
    function, computed by exact policy iteration.
    """
    res = policy_iteration(_with_reward(cmdp.mdp, _lagrangian_reward(cmdp, lam)), v0_policy=start)
    value = float(cmdp.initial_distribution @ np.asarray(res.v)) + float(lam @ np.asarray(cmdp.thresholds))
    return np.asarray(res.policy), value


def _policy_totals(cmdp: ConstrainedMDP, policy):
    """``(v_r (S,), V_r(mu), V_c(mu) (m,), occupancy (S, A))`` of a stationary policy, by exact evaluation."""
    mdp = cmdp.mdp
    mu = cmdp.initial_distribution
    occ = discounted_occupancy(mdp, policy, initial_distribution=mu)
    mask = np.asarray(mdp.action_mask)
    occ = np.where(mask, occ, 0.0)
    v = np.asarray(policy_evaluation(mdp, policy).v)
    totals = np.einsum("isa,sa->i", np.where(mask, np.asarray(cmdp.costs), 0.0), occ)
    return v, float(mu @ v), totals, occ


def _minimum_costs(cmdp: ConstrainedMDP) -> np.ndarray:
    r""":math:`\min_\pi V_{c_i}^\pi(\mu)` for each constraint alone (an unconstrained MDP, policy iteration)."""
    mu = cmdp.initial_distribution
    out = np.empty(cmdp.n_constraints)
    for i in range(cmdp.n_constraints):
        neg = np.where(np.asarray(cmdp.mdp.action_mask), -np.asarray(cmdp.costs[i]), 0.0)
        out[i] = -float(mu @ np.asarray(policy_iteration(_with_reward(cmdp.mdp, neg)).v))
    return out


def _check_individually_feasible(cmdp: ConstrainedMDP, tol: float) -> np.ndarray:
    """Raise ``ValueError`` naming every constraint whose threshold is below its minimum achievable cost."""
    minima = _minimum_costs(cmdp)
    d = np.asarray(cmdp.thresholds)
    bad = np.flatnonzero(d < minima - tol * np.maximum(1.0, np.abs(minima)))
    if bad.size:
        detail = "; ".join(
            f"constraint {int(i)}: threshold {float(d[i])!r} < minimum achievable cost {float(minima[i])!r}"
            for i in bad
        )
        raise ValueError(
            f"the constrained MDP is infeasible: {detail} (each minimum is min_pi V_c_i^pi(mu), an unconstrained "
            "MDP solved by policy iteration; no policy, even randomized, can do better)"
        )
    return minima


def _basic_solution(x, Aeq, beq, C, d, r, zero_tol):
    r"""Purify an optimal point of the LP into a basic (vertex) optimal solution.

    The fundamental theorem of linear programming (e.g. Bertsimas &
    Tsitsiklis 1997, *Introduction to Linear Optimization*, Sec. 2.6): if the
    columns of the equality rows and the tight inequality rows restricted to
    the support :math:`J` of a feasible :math:`x` are linearly dependent,
    with null vector :math:`z`, then :math:`x + t z` stays feasible for
    small :math:`|t|`; at an optimum :math:`r^\top z = 0` (either sign of
    :math:`t` would otherwise improve the objective). Moving :math:`t` until
    a coordinate hits zero or an inactive inequality becomes tight shrinks
    the support or grows the tight set, so after at most :math:`n + m` steps
    the columns are independent: :math:`x` is a vertex. The sign of
    :math:`z` is the one that does not decrease :math:`r^\top x` (either,
    when :math:`r^\top z` is at rounding level, and then the shorter step).
    Finally :math:`x_J` is recomputed from its defining system (full column
    rank), removing the drift of the steps. The caller re-checks
    feasibility and the objective of the result.

    Returns the basic solution.
    """
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    x[x <= zero_tol] = 0.0
    cn = np.maximum(1.0, np.max(np.abs(C), axis=1))
    Cn, dn = C / cn[:, None], d / cn
    scale = max(1.0, float(x.sum()))
    act_tol = 1e-9 * scale
    eps = np.finfo(float).eps
    r_scale = max(1.0, float(np.max(np.abs(r))))
    for _ in range(x.size + C.shape[0] + 1):
        J = np.flatnonzero(x > 0)
        if J.size == 0:
            break
        slack = dn - Cn @ x
        active = slack <= act_tol
        B = np.vstack([Aeq[:, J], Cn[active][:, J]])
        _, sv, Vt = np.linalg.svd(B, full_matrices=True)
        rank = int(np.sum(sv > max(B.shape) * 1e3 * eps * sv[0])) if sv.size and sv[0] > 0 else 0
        if rank >= J.size:
            break
        z = Vt[-1]  # a unit null vector of B (the rows of Vt beyond the rank span the null space)
        inactive = np.flatnonzero(~active)
        Cz = Cn[inactive][:, J] @ z
        rz = float(r[J] @ z)
        signs = (1.0, -1.0) if abs(rz) <= 1e3 * eps * r_scale * J.size else ((1.0,) if rz > 0 else (-1.0,))
        best = None
        for sign in signs:
            zz = sign * z
            neg = np.flatnonzero(zz < 0)
            ratios = x[J][neg] / -zz[neg]
            t1 = float(np.min(ratios)) if neg.size else np.inf
            pos = np.flatnonzero(sign * Cz > 0)
            t2 = float(np.min(slack[inactive][pos] / (sign * Cz[pos]))) if pos.size else np.inf
            t = min(t1, t2)
            if best is None or t < best[0]:
                best = (t, sign, int(neg[np.argmin(ratios)]) if t1 <= t2 and neg.size else None)
        t, sign, hit = best
        if not np.isfinite(t):
            break  # a null direction that leaves the feasible set nowhere cannot occur (sum x is fixed)
        x[J] = x[J] + t * sign * z
        if hit is not None:
            x[J[hit]] = 0.0
        x[x <= zero_tol] = 0.0
    # polish: x_J from its defining system
    J = np.flatnonzero(x > 0)
    if J.size:
        active = (dn - Cn @ x) <= act_tol
        B = np.vstack([Aeq[:, J], Cn[active][:, J]])
        rhs = np.concatenate([beq, dn[active]])
        xJ, *_ = np.linalg.lstsq(B, rhs, rcond=None)
        if np.all(xJ >= -zero_tol):
            x = np.zeros_like(x)
            x[J] = np.maximum(xJ, 0.0)
    return x


# ===================================================================== the LP
@dataclass(frozen=True, eq=False)
class ConstrainedLPResult:
    r"""Result of :func:`constrained_lp`.

    Attributes
    ----------
    action_probabilities : numpy.ndarray, shape (S, A)
        The optimal stationary policy :math:`\pi(a|s) = x(s,a) / \sum_b x(s,b)`
        (states the occupancy never reaches get the action of smallest
        reduced cost, deterministically).
    v : numpy.ndarray, shape (S,)
        :math:`v_r^\pi`, the reward value of the returned policy (exact
        policy evaluation, independent of the solver).
    occupancy : numpy.ndarray, shape (S, A)
        The LP solution :math:`x` (a basic solution when ``basic``), zero on
        disallowed actions, total mass :math:`1/(1-\gamma)`.
    objective : float
        :math:`V_r^\pi(\mu) = \mu^\top v` of the returned policy.
    constraint_values : numpy.ndarray, shape (m,)
        :math:`V_{c_i}^\pi(\mu)` of the returned policy (exact evaluation).
    multipliers : numpy.ndarray, shape (m,)
        Lagrange multipliers :math:`\lambda \ge 0` of the cost constraints
        (the LP dual solution).
    lagrangian_v : numpy.ndarray, shape (S,)
        The dual solution of the flow constraints, :math:`v^*` of the MDP
        with reward :math:`r - \lambda^\top c` at the optimum.
    value_upper_bound : float
        :math:`L(\lambda) = \mu^\top v^*_{r - \lambda^\top c} + \lambda^\top d`
        at the returned multipliers, computed by policy iteration: a
        certified upper bound on the constrained optimum (weak duality).
    suboptimality_bound : float
        ``max(0, value_upper_bound - objective)``: with
        ``constraint_violation`` a certificate of the returned policy that
        does not rely on the LP solver.
    constraint_violation : float
        :math:`\max_i (V_{c_i}^\pi(\mu) - d_i)^+` of the returned policy.
    randomized_states : numpy.ndarray of int64
        States where the policy puts positive probability on two or more
        actions (at most ``m`` of them for a basic solution; Notes).
    primal_infeasibility, dual_infeasibility, duality_gap, complementary_slackness : float
        The KKT residuals of the solution (see :func:`constrained_lp`).
    basic : bool
        Whether the solution was purified into a basic one.
    status : str
        The cvxpy status (``"optimal"`` for a returned result).
    solver : str

    Examples
    --------
    The module's example: one state, reward and cost 1 for action 1, :math:`\gamma = 1/2`, budget 1 (half
    of the 2 a pure action 1 would cost), so the optimum plays action 1 half the time, :math:`V^* = 1`:

    >>> import numpy as np
    >>> from rltheory.tabular import ConstrainedMDP, FiniteMDP, constrained_lp
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=0.5)
    >>> cmdp = ConstrainedMDP(mdp, costs=np.array([[[0.0, 1.0]]]), thresholds=[1.0])
    >>> res = constrained_lp(cmdp)
    >>> res.status, round(res.objective, 6), res.constraint_values.round(6).tolist(), res.multipliers.round(6).tolist()
    ('optimal', 1.0, [1.0], [1.0])
    >>> res.occupancy.round(6).tolist(), round(float(res.occupancy.sum()), 6)  # total mass 1 / (1 - gamma)
    ([[1.0, 1.0]], 2.0)
    >>> bool(res.value_upper_bound >= res.objective - 1e-9), bool(res.suboptimality_bound < 1e-6)
    (True, True)
    >>> res.constraint_violation
    0.0
    """

    action_probabilities: np.ndarray
    v: np.ndarray
    occupancy: np.ndarray
    objective: float
    constraint_values: np.ndarray
    multipliers: np.ndarray
    lagrangian_v: np.ndarray
    value_upper_bound: float
    suboptimality_bound: float
    constraint_violation: float
    randomized_states: np.ndarray
    primal_infeasibility: float
    dual_infeasibility: float
    duality_gap: float
    complementary_slackness: float
    basic: bool
    status: str
    solver: str


def _kkt_residuals(x, v, lam, M, Cm, r, mu, d):
    """Primal infeasibility, dual infeasibility, duality gap and complementary slackness of (x; v, lam)."""
    flow = M.T @ x - mu
    slack = d - Cm @ x
    reduced = M @ v - r + Cm.T @ lam  # >= 0 at a dual feasible point
    primal = float(max(np.max(np.abs(flow)), np.max(-x, initial=0.0), np.max(-slack, initial=0.0), 0.0))
    dual = float(max(np.max(-lam, initial=0.0), np.max(-reduced, initial=0.0), 0.0))
    gap = float(abs(mu @ v + lam @ d - r @ x))
    cs = float(np.sum(np.abs(x * reduced)) + np.sum(np.abs(lam * slack)))
    return primal, dual, gap, cs


def _joint_infeasibility_error(cmdp, M, Cm, mu, solver_name, solver_options):
    """Phase 1: the smallest achievable max_i (V_c_i - d_i); raise ValueError naming the binding constraints."""
    import cvxpy as cp

    d = np.asarray(cmdp.thresholds)
    x = cp.Variable(M.shape[0], name="x")
    t = cp.Variable(name="t")
    cost = Cm @ x - d <= t
    problem = cp.Problem(cp.Minimize(t), [M.T @ x == mu, x >= 0, cost])
    problem.solve(solver=solver_name, **solver_options)
    require_optimal(problem, solver_name, what="the phase-1 LP solver")
    excess = Cm @ np.asarray(x.value) - d
    tight = np.flatnonzero(excess >= float(t.value) - 1e-7 * max(1.0, abs(float(t.value))))
    raise ValueError(
        "the constrained MDP is infeasible: every constraint alone can be met, but not all together; the "
        f"phase-1 LP min_x max_i (V_c_i - d_i) gives {float(t.value):.6g} > 0, attained with constraints "
        f"{tight.tolist()} binding (lower their costs or raise their thresholds)"
    )


def constrained_lp(
    cmdp: ConstrainedMDP,
    *,
    solver: str | None = None,
    tol: float = 1e-7,
    solver_options: dict | None = None,
    basic: bool = True,
) -> ConstrainedLPResult:
    r"""Solve a constrained MDP by its occupancy-measure linear program, with the KKT certificate.

    The primal LP (Altman 1999, Ch. 3) over the
    occupancy measures :math:`x \ge 0` of the allowed pairs:

    .. math::

        \max_{x \ge 0}\ \sum_{s,a} r(s,a)\, x(s,a)
        \quad\text{s.t.}\quad
        \sum_a x(j,a) - \gamma \sum_{s,a} P(j|s,a)\, x(s,a) = \mu(j)\ \ \forall j,
        \qquad \sum_{s,a} c_i(s,a)\, x(s,a) \le d_i\ \ \forall i,

    and its dual

    .. math::

        \min_{v,\ \lambda \ge 0}\ \mu^\top v + \lambda^\top d
        \quad\text{s.t.}\quad
        v(s) - \gamma \sum_{s'} P(s'|s,a) v(s') \ge r(s,a) - \sum_i \lambda_i c_i(s,a).

    A feasible :math:`x` is the occupancy measure of the stationary policy
    :math:`\pi(a|s) \propto x(s,a)` (Altman 1999, Ch. 3; Puterman 2005,
    Theorem 6.9.1), so an optimal :math:`x` gives an optimal, generally
    randomized, stationary policy. For fixed :math:`\lambda` the dual is the
    LP of the unconstrained MDP with reward :math:`r - \lambda^\top c`, so
    :math:`\mu^\top v + \lambda^\top d = L(\lambda)`, the Lagrangian dual
    function, and LP duality is the strong duality
    :math:`\max \text{CMDP} = \min_{\lambda \ge 0} L(\lambda)` (Altman 1999,
    Ch. 3; Paternain, Chamon, Calvo-Fullana & Ribeiro 2019 for the general
    statement).

    Every solve is checked, in this order (as :func:`linear_programming`):
    the solver status must be ``optimal``; then primal infeasibility
    :math:`\max(\|\mathrm{flow}(x) - \mu\|_\infty, \max(-x)^+, \max_i (c_i^\top x - d_i)^+)
    \le \mathrm{tol}\cdot\max(1, \sum x)`; dual infeasibility
    :math:`\max(\max(-\lambda)^+, \max(r - \lambda^\top c - (E - \gamma P) v)^+)
    \le \mathrm{tol}\cdot\max(1, \|r\|_\infty + \|\lambda\|_1 \max_i\|c_i\|_\infty)`;
    the duality gap :math:`|\mu^\top v + \lambda^\top d - r^\top x| \le \mathrm{tol}\cdot\max(1, |r^\top x|)`
    and the complementary slackness :math:`\sum |x \odot s| + \sum |\lambda \odot (d - Cx)|`
    (:math:`s` the dual slacks) :math:`\le \mathrm{tol}\cdot\max(1, |r^\top x|, \sum x)`.
    The residuals are recomputed (and re-checked) after purification.

    Independently of the solver, the returned policy is evaluated exactly
    (``v``, ``objective``, ``constraint_values``), and
    :math:`L(\lambda)` at the returned multipliers is computed by policy
    iteration: ``value_upper_bound`` :math:`\ge` the constrained optimum by
    weak duality (for feasible :math:`\pi'`, :math:`V_r^{\pi'} \le V_r^{\pi'}
    - \lambda^\top(V_c^{\pi'} - d) \le L(\lambda)`).

    Infeasible constraints: before solving, each constraint alone is checked
    against :math:`\min_\pi V_{c_i}^\pi(\mu)` (an unconstrained MDP, policy
    iteration); thresholds below it raise ``ValueError`` naming them. If the
    LP is still infeasible (jointly), the phase-1 LP
    :math:`\min_x \max_i (c_i^\top x - d_i)` is solved and its value and the
    binding constraints are reported.

    Parameters
    ----------
    cmdp : ConstrainedMDP
    solver : str, optional
        A cvxpy solver; default CLARABEL, else HIGHS.
    tol : float
        Acceptance threshold of the certificate checks.
    solver_options : dict, optional
        Keyword arguments for this call's ``problem.solve``.
    basic : bool
        Purify the solution into a basic one (see Notes).

    Returns
    -------
    ConstrainedLPResult

    Raises
    ------
    ValueError
        On infeasible constraints (named), an unknown solver, a bad ``tol``
        or ``solver_options``.
    RuntimeError
        When the solver status is not optimal or a certificate check fails.

    Notes
    -----
    *Basic solutions and randomization.* An interior-point solver (the
    default CLARABEL) returns a point in the relative interior of the
    optimal face, which may randomize in many states. With ``basic=True``
    the solution is purified into a basic optimal solution (a vertex) by
    null-space steps along the optimal face (fundamental theorem of linear
    programming; see ``_basic_solution``). A basic solution has at most
    :math:`S + m` positive entries (the number of rows), and every state
    with positive occupancy has at least one, so at most :math:`m` states
    randomize (Altman 1999, Ch. 3, the theorem cited as 3.8 in issue 14; Feinberg
    2000). The purification
    costs :math:`O(n)` SVDs of :math:`(S + m) \times n` matrices
    (:math:`n` allowed pairs): meant for the small and medium models this
    solver targets.

    References
    ----------
    E. Altman, *Constrained Markov Decision Processes*, Chapman & Hall/CRC
    1999, Ch. 3. E. A. Feinberg, "Constrained discounted Markov decision
    processes and Hamiltonian cycles", *Math. Oper. Res.* 25(1), 2000.
    S. Paternain, L. Chamon, M. Calvo-Fullana, A. Ribeiro, "Constrained
    reinforcement learning has zero duality gap", NeurIPS 2019.

    Examples
    --------
    One state, two actions: action 1 pays 1 and costs 1 per step, action 0
    pays and costs nothing. With budget 1 (of the :math:`1/(1-\gamma) = 2`
    a pure action 1 would cost), the optimum plays action 1 half the time:

    >>> import numpy as np
    >>> from rltheory.tabular import ConstrainedMDP, FiniteMDP, constrained_lp
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=0.5)
    >>> cmdp = ConstrainedMDP(mdp, costs=np.array([[[0.0, 1.0]]]), thresholds=[1.0])
    >>> res = constrained_lp(cmdp)
    >>> np.round(res.action_probabilities, 6), round(res.objective, 6), np.round(res.multipliers, 6)
    (array([[0.5, 0.5]]), 1.0, array([1.]))
    >>> res.randomized_states, res.suboptimality_bound < 1e-6
    (array([0]), True)
    """
    import cvxpy as cp

    if not isinstance(cmdp, ConstrainedMDP):
        raise ValueError(f"constrained_lp needs a ConstrainedMDP, got {type(cmdp).__name__}")
    tol = check_tol(tol)
    solver_options = check_solver_options(solver_options)
    if not isinstance(basic, (bool, np.bool_)):
        raise ValueError(f"basic = {basic!r} must be True or False")
    solver_name = choose_solver(solver)
    mdp = cmdp.mdp
    S, A = mdp.n_states, mdp.n_actions
    mu = np.asarray(cmdp.initial_distribution, dtype=float)
    d = np.asarray(cmdp.thresholds, dtype=float)
    _check_individually_feasible(cmdp, tol)

    M, r, pairs = _constraint_matrix(mdp)  # M = E - gamma P on the allowed rows (CSR, n x S)
    Cm = np.asarray(cmdp.costs)[:, pairs[:, 0], pairs[:, 1]]  # (m, n)
    n = M.shape[0]
    x_var = cp.Variable(n, name="x")
    flow = M.T @ x_var == mu
    cost = Cm @ x_var <= d
    problem = cp.Problem(cp.Maximize(r @ x_var), [flow, cost, x_var >= 0])
    problem.solve(solver=solver_name, **solver_options)
    if problem.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        _joint_infeasibility_error(cmdp, M, Cm, mu, solver_name, solver_options)
    # ---- 1. status
    require_optimal(problem, solver_name)
    x = np.asarray(x_var.value, dtype=float)
    v = np.asarray(flow.dual_value, dtype=float).ravel()
    lam = np.asarray(cost.dual_value, dtype=float).ravel()

    # ---- 2.-4. primal feasibility, dual feasibility, gap, complementary slackness
    c_scale = float(np.max(np.abs(Cm), initial=0.0))
    primal_limit = tol * max(1.0, float(np.sum(np.abs(x))))
    dual_limit = tol * max(1.0, float(np.max(np.abs(r), initial=0.0)) + float(np.sum(np.abs(lam))) * c_scale)

    def certify(x):
        primal, dual, gap, cs = _kkt_residuals(x, v, lam, M, Cm, r, mu, d)
        gap_limit = tol * max(1.0, abs(float(r @ x)))
        # sum |x_j s_j|: slacks accurate to tol (relative) times occupancies of total mass sum x
        cs_limit = tol * max(1.0, abs(float(r @ x)), float(np.sum(np.abs(x))))
        check_certificate(
            [
                ("primal infeasibility", primal, primal_limit),
                ("dual infeasibility", dual, dual_limit),
                ("duality gap", gap, gap_limit),
                ("complementary slackness", cs, cs_limit),
            ],
            solver_name,
            tol,
            what="constrained LP",
        )
        return primal, dual, gap, cs

    residuals = certify(x)
    if basic:
        x = _basic_solution(x, M.T.toarray(), mu, Cm, d, r, zero_tol=0.0)
        residuals = certify(x)  # the vertex is checked like the solver's point

    occupancy = np.zeros((S, A))
    occupancy[pairs[:, 0], pairs[:, 1]] = np.maximum(x, 0.0)
    mass = occupancy.sum(axis=1)
    reduced = np.full((S, A), np.inf)
    reduced[pairs[:, 0], pairs[:, 1]] = M @ v - r + Cm.T @ lam
    pi = np.zeros((S, A))
    reached = mass > 0
    pi[reached] = occupancy[reached] / mass[reached, None]
    unreached = np.flatnonzero(~reached)
    pi[unreached, np.argmin(reduced[unreached], axis=1)] = 1.0
    randomized = np.flatnonzero((pi > 0).sum(axis=1) >= 2).astype(np.int64)

    v_pi, objective, totals, _ = _policy_totals(cmdp, pi)
    _, upper = _best_response(cmdp, np.maximum(lam, 0.0))
    return ConstrainedLPResult(
        action_probabilities=readonly(pi),
        v=readonly(v_pi),
        occupancy=readonly(occupancy),
        objective=objective,
        constraint_values=readonly(totals),
        multipliers=readonly(lam),
        lagrangian_v=readonly(v),
        value_upper_bound=upper,
        suboptimality_bound=float(max(0.0, upper - objective)),
        constraint_violation=float(max(0.0, np.max(totals - d))),
        randomized_states=readonly(randomized),
        primal_infeasibility=residuals[0],
        dual_infeasibility=residuals[1],
        duality_gap=residuals[2],
        complementary_slackness=residuals[3],
        basic=bool(basic),
        status=str(problem.status),
        solver=solver_name,
    )


# ===================================================================== primal-dual
@dataclass(frozen=True, eq=False)
class LagrangianPrimalDualResult:
    r"""Result of :func:`lagrangian_primal_dual`.

    Attributes
    ----------
    action_probabilities : numpy.ndarray, shape (S, A)
        The policy of the averaged occupancy :math:`\bar x_K`,
        :math:`\pi(a|s) \propto \bar x_K(s,a)` (its occupancy measure *is*
        :math:`\bar x_K`: occupancy measures form a convex polytope).
    v : numpy.ndarray, shape (S,)
        Its reward value :math:`v_r^\pi`.
    occupancy : numpy.ndarray, shape (S, A)
        :math:`\bar x_K = \frac1K \sum_{k<K} x^{\pi_k}`.
    multipliers : numpy.ndarray, shape (m,)
        The last multipliers :math:`\lambda_K`.
    iterations : int
        :math:`K`, the number of dual steps (best responses).
    objective_history : numpy.ndarray, shape (K,)
        :math:`r^\top \bar x_k` for :math:`k = 1..K`.
    violation_history : numpy.ndarray, shape (K,)
        :math:`\max_i (c_i^\top \bar x_k - d_i)^+`.
    gap_history : numpy.ndarray, shape (K,)
        :math:`|r^\top \bar x_k - V^*|`, with :math:`V^*` from
        :func:`constrained_lp`.
    dual_value_history : numpy.ndarray, shape (K,)
        :math:`L(\lambda_k) \ge V^*` (weak duality) at the multipliers of
        iteration :math:`k` (before its step).
    optimal_value : float
        :math:`V^*` (:func:`constrained_lp`, certified).
    step : float
        The constant step size :math:`\eta`.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import ConstrainedMDP, FiniteMDP, lagrangian_primal_dual
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=0.5)
    >>> cmdp = ConstrainedMDP(mdp, costs=np.array([[[0.0, 1.0]]]), thresholds=[1.0])
    >>> res = lagrangian_primal_dual(cmdp, max_iter=200, step=0.1)
    >>> res.iterations, res.step, round(res.optimal_value, 9), round(float(res.occupancy.sum()), 9)  # mass 1/(1-gamma)
    (200, 0.1, 1.0, 2.0)
    >>> bool(np.all(res.dual_value_history >= res.optimal_value - 1e-9))  # weak duality at every iterate
    True
    """

    action_probabilities: np.ndarray
    v: np.ndarray
    occupancy: np.ndarray
    multipliers: np.ndarray
    iterations: int
    objective_history: np.ndarray
    violation_history: np.ndarray
    gap_history: np.ndarray
    dual_value_history: np.ndarray
    optimal_value: float
    step: float


def lagrangian_primal_dual(
    cmdp: ConstrainedMDP, *, max_iter: int = 1000, step: float | None = None, multipliers=None
) -> LagrangianPrimalDualResult:
    r"""Dual subgradient descent on the Lagrange multipliers, exact best responses, averaged occupancies.

    The Lagrangian of the constrained MDP is
    :math:`\mathcal L(x, \lambda) = r^\top x - \lambda^\top (C x - d)` over
    occupancy measures :math:`x`, and the dual function
    :math:`L(\lambda) = \max_x \mathcal L(x, \lambda) = \mu^\top
    v^*_{r - \lambda^\top c} + \lambda^\top d` is an unconstrained MDP
    solve. Each iteration computes a best response (an optimal deterministic
    policy :math:`\pi_k` for the reward :math:`r - \lambda_k^\top c`, by
    :func:`~rltheory.tabular.policy_iteration`), its occupancy
    :math:`x_k = x^{\pi_k}` (exact, :func:`~rltheory.tabular.discounted_occupancy`),
    and takes a projected subgradient step on the convex :math:`L`
    (:math:`d - C x_k` is a subgradient at :math:`\lambda_k`):

    .. math::

        \lambda_{k+1} = \big[\lambda_k + \eta\, (C x_k - d)\big]^+ .

    The primal iterate is the running average :math:`\bar x_k = \frac1k
    \sum_{j<k} x_j`, an occupancy measure (the polytope is convex).

    Rate (Nedić & Ozdaglar 2009, Sec. 3: dual subgradient method with a
    constant step, averaged primal iterates, :math:`\lambda_0 = 0`): with
    :math:`G` a bound on the subgradients and :math:`\lambda^*` a dual
    optimum, after :math:`k` iterations

    .. math::

        \|(C\bar x_k - d)^+\| \le \frac{2\|\lambda^*\|}{k\eta} + \dots, \qquad
        r^\top \bar x_k - V^* \le \frac{\|\lambda_0\|^2}{2k\eta} + \frac{\eta G^2}{2},
        \qquad r^\top \bar x_k - V^* \ge -\|\lambda^*\|\,\|(C\bar x_k - d)^+\|,

    so the step :math:`\eta \propto 1/\sqrt{K}` gives optimality gap and
    constraint violation :math:`O(1/\sqrt{K})` after :math:`K` iterations.
    Strong duality (:math:`\min_\lambda L = V^*`; LP duality here, and
    Paternain, Chamon, Calvo-Fullana & Ribeiro 2019 for parametrized
    policies) is what makes the averaged primal iterates approach the
    constrained optimum rather than a relaxation of it.

    Parameters
    ----------
    cmdp : ConstrainedMDP
    max_iter : int
        Number of iterations :math:`K \ge 1` (no stopping rule: the method
        has no certificate of its own; the reference :math:`V^*` comes from
        :func:`constrained_lp`).
    step : float, optional
        Constant step :math:`\eta > 0`. Default
        :math:`(1-\gamma) / (G_c \sqrt{K})` with
        :math:`G_c = \max(1, \max_i \|c_i\|_\infty + |d_i|(1-\gamma))`, a
        scale-free choice of the :math:`1/\sqrt{K}` rule.
    multipliers : array_like, shape (m,), optional
        :math:`\lambda_0 \ge 0`; zeros by default.

    Returns
    -------
    LagrangianPrimalDualResult

    References
    ----------
    A. Nedić and A. Ozdaglar, "Approximate primal solutions and rate analysis
    for dual subgradient methods", *SIAM J. Optim.* 19(4), 2009.
    S. Paternain, L. Chamon, M. Calvo-Fullana, A. Ribeiro, "Constrained
    reinforcement learning has zero duality gap", NeurIPS 2019.
    E. Altman, *Constrained Markov Decision Processes*, 1999, Ch. 3.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import ConstrainedMDP, FiniteMDP, lagrangian_primal_dual
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=0.5)
    >>> cmdp = ConstrainedMDP(mdp, costs=np.array([[[0.0, 1.0]]]), thresholds=[1.0])
    >>> res = lagrangian_primal_dual(cmdp, max_iter=200, step=0.1)
    >>> round(res.optimal_value, 9)  # V* = 1: play action 1 half the time
    1.0
    >>> bool(res.gap_history[-1] < 0.1 and res.violation_history[-1] < 0.1)
    True
    """
    if not isinstance(cmdp, ConstrainedMDP):
        raise ValueError(f"lagrangian_primal_dual needs a ConstrainedMDP, got {type(cmdp).__name__}")
    K = check_int("max_iter", max_iter, low=1)
    mdp = cmdp.mdp
    g = mdp.gamma
    d = np.asarray(cmdp.thresholds)
    costs = np.where(np.asarray(mdp.action_mask)[None], np.asarray(cmdp.costs), 0.0)
    if step is None:
        G = max(1.0, float(np.max(np.abs(costs)) + np.max(np.abs(d)) * (1.0 - g)))
        eta = (1.0 - g) / (G * np.sqrt(K))
    else:
        eta = check_real("step", step, low=0.0, low_open=True)
    if multipliers is None:
        lam = np.zeros(cmdp.n_constraints)
    else:
        lam = np.array(multipliers, dtype=float)
        check_shape("multipliers", lam, (cmdp.n_constraints,))
        check_finite("multipliers", lam)
        if (lam < 0).any():
            i = int(np.argmax(lam < 0))
            raise ValueError(f"multipliers[{i}] = {float(lam[i])!r} is negative; Lagrange multipliers are >= 0")
    reference = constrained_lp(cmdp)
    v_star = reference.objective
    mu = cmdp.initial_distribution
    R = np.asarray(mdp.R)
    x_sum = np.zeros((cmdp.n_states, cmdp.n_actions))
    objective = np.empty(K)
    violation = np.empty(K)
    dual_values = np.empty(K)
    pi = None
    for k in range(K):
        pi, dual_values[k] = _best_response(cmdp, lam, start=pi)
        x_k = np.where(np.asarray(mdp.action_mask), discounted_occupancy(mdp, pi, initial_distribution=mu), 0.0)
        x_sum += x_k
        x_bar = x_sum / (k + 1)
        objective[k] = float(np.sum(R * x_bar))
        violation[k] = float(max(0.0, np.max(np.einsum("isa,sa->i", costs, x_bar) - d)))
        lam = np.maximum(0.0, lam + eta * (np.einsum("isa,sa->i", costs, x_k) - d))
    x_bar = x_sum / K
    mass = x_bar.sum(axis=1, keepdims=True)
    pol = np.where(mass > 0, x_bar / np.where(mass > 0, mass, 1.0), 0.0)
    empty = np.flatnonzero(mass.ravel() <= 0)
    pol[empty, pi[empty]] = 1.0  # never reached under any iterate: the last best response
    v = np.asarray(policy_evaluation(mdp, pol).v)
    return LagrangianPrimalDualResult(
        action_probabilities=readonly(pol),
        v=readonly(v),
        occupancy=readonly(x_bar),
        multipliers=readonly(lam),
        iterations=K,
        objective_history=readonly(objective),
        violation_history=readonly(violation),
        gap_history=readonly(np.abs(objective - v_star)),
        dual_value_history=readonly(dual_values),
        optimal_value=float(v_star),
        step=float(eta),
    )
