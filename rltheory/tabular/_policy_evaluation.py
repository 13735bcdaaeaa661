r"""Exact evaluation of a fixed policy and its discounted occupancy measure.

For a stationary policy :math:`\pi` of a discounted (or stochastic shortest
path) :class:`~rltheory.tabular.FiniteMDP`, the value :math:`v^\pi` is the
unique solution of the linear system

.. math::

    (I - \gamma P^\pi)\, v = r^\pi

(Puterman 2005, Theorem 6.1.1). This module solves that system directly
(LU / sparse LU) or iteratively (GMRES) and reports the achieved residual.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla

from rltheory._validation import check_choice, check_probability_vector, check_tol, readonly
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._operators import q_values

__all__ = ["PolicyEvaluationResult", "policy_evaluation", "discounted_occupancy"]

_METHODS = ("direct", "krylov")


@dataclass(frozen=True, eq=False)
class PolicyEvaluationResult:
    r"""Result of :func:`policy_evaluation`.

    Attributes
    ----------
    v : numpy.ndarray, shape (S,)
        The value :math:`v^\pi` (zero on terminal states when ``gamma = 1``).
    q : numpy.ndarray, shape (S, A)
        :math:`q^\pi(s,a) = r(s,a) + \gamma \sum_{s'} P(s'|s,a) v^\pi(s')`;
        ``-inf`` on actions disallowed by ``action_mask``.
    residual : float
        The achieved residual :math:`\|(I - \gamma P^\pi) v - r^\pi\|_\infty`,
        which equals :math:`\|T^\pi v - v\|_\infty`.
    bound : float
        Certified bound on :math:`\|v - v^\pi\|_\infty`: ``residual / (1 -
        gamma)`` for ``gamma < 1`` (the inverse of :math:`I - \gamma P^\pi`
        has inf-norm :math:`1/(1-\gamma)`); for ``gamma = 1``, ``residual *
        max_s w(s)`` with :math:`w \ge m^\pi` a checked upper bound on the
        expected time to termination (:math:`v - v^\pi = N (M v - r^\pi)`,
        :math:`N = (I - P^\pi)^{-1} \ge 0`, :math:`N \mathbf 1 = m^\pi`),
        ``inf`` if that check fails. For the computed residual; rounding in
        the residual itself adds ``O(eps * S * ||v||)``.
    converged : bool
        ``"krylov"``: whether GMRES reached ``tol`` (the result is returned
        either way, with its bound). ``"direct"``: True.
    method : str
        ``"direct"`` or ``"krylov"``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, policy_evaluation
    >>> res = policy_evaluation(FiniteMDP(np.ones((1, 1, 1)), np.ones((1, 1)), gamma=0.5), np.array([0]))
    >>> res.v, res.converged, bool(res.bound <= 1e-15)
    (array([2.]), True, True)
    """

    v: np.ndarray
    q: np.ndarray
    residual: float
    bound: float
    converged: bool
    method: str


# --------------------------------------------------------------------- helpers
def _is_ssp(mdp: FiniteMDP) -> bool:
    """Undiscounted with terminal states: a stochastic shortest path problem."""
    return mdp.gamma == 1.0


def _states_not_reaching(P_pi, targets: np.ndarray) -> np.ndarray:
    """States from which no state of ``targets`` is reachable in the graph of ``P_pi``.

    Graph reachability (breadth-first search from a virtual node linked to all
    targets, on the reversed graph), never a singular-matrix test.
    """
    S = P_pi.shape[0]
    G = sp.coo_array(P_pi) if sp.issparse(P_pi) else sp.coo_array(np.asarray(P_pi))
    keep = G.data > 0
    rows = np.concatenate([G.col[keep], np.full(len(targets), S)])  # reversed edges t -> s
    cols = np.concatenate([G.row[keep], np.asarray(targets, dtype=np.int64)])
    rev = sp.csr_array((np.ones(len(rows)), (rows, cols)), shape=(S + 1, S + 1))
    reached = csgraph.breadth_first_order(rev, S, directed=True, return_predecessors=False)
    ok = np.zeros(S + 1, dtype=bool)
    ok[reached] = True
    return np.flatnonzero(~ok[:S])


def _check_proper(mdp: FiniteMDP, P_pi, what: str = "the policy") -> None:
    bad = _states_not_reaching(P_pi, mdp.terminal_states)
    if bad.size:
        raise ValueError(
            f"{what} is improper: from state {int(bad[0])} no terminal state is reachable "
            f"(states {bad[:10].tolist()}{' ...' if bad.size > 10 else ''}), so its undiscounted value "
            "is not defined; with gamma = 1 every evaluated policy must reach a terminal state "
            "with probability 1 (Bertsekas & Tsitsiklis 1991)"
        )


def _system(mdp: FiniteMDP, P_pi):
    """The matrix ``I - gamma P^pi`` (dense array or CSC)."""
    S = mdp.n_states
    if sp.issparse(P_pi):
        return sp.csc_array(sp.eye_array(S, format="csr") - mdp.gamma * sp.csr_array(P_pi))
    return np.eye(S) - mdp.gamma * np.asarray(P_pi)


def _solve(mdp: FiniteMDP, P_pi, r_pi: np.ndarray, method: str, tol: float, want_time: bool = False):
    """Solve ``(I - gamma P^pi) v = r^pi``; return ``(v, residual, reached, m)``.

    With ``gamma = 1`` the system is solved on the non-terminal states only,
    ``v = 0`` on terminal states; the caller has checked properness.
    ``reached`` is False when GMRES stopped above its threshold. With
    ``want_time`` (SSP only), ``m`` solves the same system with right-hand
    side 1: the expected time to termination (else None).
    """
    S = mdp.n_states
    M = _system(mdp, P_pi)
    if _is_ssp(mdp):
        transient = np.setdiff1d(np.arange(S), mdp.terminal_states)
    else:
        transient = np.arange(S)
    v = np.zeros(S)
    m = np.zeros(S) if want_time else None
    reached = True
    if transient.size:
        if sp.issparse(M):
            M_t = sp.csc_array(sp.csr_array(M)[transient][:, transient])
        else:
            M_t = M[np.ix_(transient, transient)]
        b = r_pi[transient]
        if method == "direct":
            if sp.issparse(M_t):
                sol = [np.atleast_1d(spla.spsolve(M_t, col)) for col in ([b, np.ones(b.size)] if want_time else [b])]
            else:
                lu = sla.lu_factor(M_t, check_finite=False)
                sol = [
                    sla.lu_solve(lu, col, check_finite=False) for col in ([b, np.ones(b.size)] if want_time else [b])
                ]
            x = np.column_stack(sol) if want_time else sol[0]
        else:
            threshold = tol * max(1.0, float(np.max(np.abs(r_pi))))
            n = transient.size
            cols = [b, np.ones(n)] if want_time else [b]
            sols = []
            for k, col in enumerate(cols):
                limit = threshold if k == 0 else tol
                # the 2-norm stopping rule ||b - M x||_2 <= limit implies the inf-norm one checked below
                xk, _ = spla.gmres(
                    M_t, col, x0=col.copy(), rtol=0.0, atol=limit, restart=min(n, 50), maxiter=max(20, n)
                )
                sols.append(xk)
            x = np.column_stack(sols) if want_time else sols[0]
            resid = float(np.max(np.abs(M_t @ (x[:, 0] if want_time else x) - b)))
            reached = bool(np.isfinite(resid) and resid <= threshold)
        if want_time:
            v[transient], m[transient] = x[:, 0], x[:, 1]
        else:
            v[transient] = x
    residual = float(np.max(np.abs(M @ v - r_pi))) if S else 0.0
    return v, residual, reached, m


def _time_upper_bound(P_pi, m: np.ndarray, terminal: np.ndarray) -> np.ndarray | None:
    """A vector ``w >= m^pi`` (expected time to termination under ``pi``) checked by ``w >= 1 + P^pi w``.

    ``m`` is a computed approximation; ``w = (1 + eta) m`` on non-terminal states for the smallest tried
    ``eta`` whose check passes in floating point with room for the rounding of ``P^pi w`` (then, for
    every n, ``w >= sum_{k<n} (P^pi)^k 1 + (P^pi)^n w``, so ``w >= m^pi``). None if none passes.
    """
    P_pi = sp.csr_array(P_pi)
    transient = ~terminal
    eps = np.finfo(float).eps
    nnz_row = int(np.max(np.diff(P_pi.indptr))) if P_pi.nnz else 1
    excess = float(np.max(np.where(transient, 1.0 + P_pi @ m - m, -np.inf), initial=-np.inf))
    eta = max(1e-12, 4.0 * max(excess, 0.0))
    while eta <= 1e-3 and np.isfinite(m).all():
        w = np.where(terminal, 0.0, m * (1.0 + eta))
        margin = 4.0 * (nnz_row + 2) * eps * max(1.0, float(np.max(w, initial=0.0)))
        if float(np.max(np.where(transient, 1.0 + P_pi @ w - w, -np.inf), initial=-np.inf)) <= -margin:
            return w
        eta *= 16.0
    return None


# ---------------------------------------------------------------- public API
def policy_evaluation(mdp: FiniteMDP, policy, *, method: str = "direct", tol: float = 1e-12) -> PolicyEvaluationResult:
    r"""Exact value of a stationary policy.

    Solves the policy-evaluation equation

    .. math::

        (I - \gamma P^\pi)\, v = r^\pi, \qquad
        P^\pi(s, s') = \sum_a \pi(a|s) P(s'|s,a),\quad
        r^\pi(s) = \sum_a \pi(a|s) r(s,a),

    whose unique solution is :math:`v^\pi = \sum_{t\ge 0} \gamma^t (P^\pi)^t r^\pi`
    when :math:`\gamma < 1` (Puterman 2005, Theorem 6.1.1). Equivalently
    :math:`v^\pi` is the fixed point of :math:`T^\pi v = r^\pi + \gamma P^\pi v`.

    With ``gamma = 1`` (terminal states, stochastic shortest path) the system
    is solved on the non-terminal states with :math:`v = 0` on terminal
    states. This is well posed exactly when the policy is *proper* -- a
    terminal state is reached with probability 1 from every state -- which
    holds iff from every state some terminal state is reachable in the graph
    of :math:`P^\pi` (Bertsekas & Tsitsiklis 1991, Sec. 2); that reachability
    is checked first.

    Parameters
    ----------
    mdp : FiniteMDP
        An infinite-horizon model (``horizon=None``).
    policy : array_like
        ``(S,)`` integer actions or ``(S, A)`` action probabilities.
    method : {"direct", "krylov"}
        ``"direct"``: LU factorization (:func:`scipy.linalg.lu_factor`) for a
        dense model, sparse LU (:func:`scipy.sparse.linalg.spsolve`) for a CSR
        model. ``"krylov"``: GMRES (:func:`scipy.sparse.linalg.gmres`).
    tol : float
        For ``"krylov"``: the target
        :math:`\|(I-\gamma P^\pi) v - r^\pi\|_\infty \le \mathrm{tol}\cdot\max(1, \|r^\pi\|_\infty)`;
        ``converged`` says whether GMRES reached it. The direct method
        reports its residual without a threshold.

    Returns
    -------
    PolicyEvaluationResult
        ``v``, ``q`` (:math:`q^\pi`), the achieved ``residual``, the
        certified ``bound`` on :math:`\|v - v^\pi\|_\infty` and ``method``.

    Raises
    ------
    ValueError
        On an invalid policy or method, a finite-horizon model (use
        :func:`~rltheory.tabular.backward_induction`), or an improper policy
        with ``gamma = 1`` (the message names a state from which no terminal
        state is reachable).

    References
    ----------
    M. L. Puterman, *Markov Decision Processes*, Wiley 2005, Sec. 6.1,
    Theorem 6.1.1. D. P. Bertsekas and J. N. Tsitsiklis, "An analysis of
    stochastic shortest path problems", *Math. Oper. Res.* 16(3), 1991.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, policy_evaluation
    >>> P = np.array([[[0.5, 0.5], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> R = np.array([[5.0, 10.0], [-1.0, -1.0]])
    >>> res = policy_evaluation(FiniteMDP(P, R, gamma=0.5), np.array([1, 0]))
    >>> res.v  # v(1) = -1/(1-0.5), v(0) = 10 + 0.5 v(1)
    array([ 9., -2.])
    >>> res.residual < 1e-12
    True
    """
    FiniteMDP.require(mdp, ("discounted", "ssp"), "policy_evaluation")
    check_choice("method", method, _METHODS)
    tol = check_tol(tol)
    pi = mdp.policy_matrix(policy)
    P_pi = mdp.policy_transition(pi)
    r_pi = mdp.policy_reward(pi)
    ssp = _is_ssp(mdp)
    if ssp:
        _check_proper(mdp, P_pi)
    v, residual, reached, m = _solve(mdp, P_pi, r_pi, method, tol, want_time=ssp)
    if not np.isfinite(residual):
        bound = np.inf
    elif not ssp:
        bound = residual / (1.0 - mdp.gamma)  # ||(I - gamma P^pi)^{-1}||_inf = 1/(1 - gamma)
    else:
        terminal = np.zeros(mdp.n_states, dtype=bool)
        terminal[mdp.terminal_states] = True
        w = _time_upper_bound(P_pi, m, terminal)
        bound = np.inf if w is None else residual * float(np.max(w))
    return PolicyEvaluationResult(
        v=readonly(v),
        q=readonly(q_values(mdp, v)),
        residual=residual,
        bound=float(bound),
        converged=reached,
        method=method,
    )


def discounted_occupancy(mdp: FiniteMDP, policy, initial_distribution=None) -> np.ndarray:
    r"""Discounted state-action occupancy measure of a stationary policy.

    .. math::

        d^\pi_\mu(s, a) = \sum_{t \ge 0} \gamma^t \Pr\nolimits_\mu^\pi(s_t = s, a_t = a)
                      = \pi(a|s)\, \big[\mu^\top (I - \gamma P^\pi)^{-1}\big](s).

    **Normalization**: unnormalized, total mass
    :math:`\sum_{s,a} d^\pi_\mu(s,a) = 1/(1-\gamma)`; multiply by
    :math:`1-\gamma` for a probability distribution. With this normalization
    :math:`\sum_{s,a} d^\pi_\mu(s,a)\, r(s,a) = \mu^\top v^\pi`, and
    :math:`d^\pi_\mu` is a feasible point of the dual LP of Puterman (2005),
    Sec. 6.9.1 (flow constraints
    :math:`\sum_a d(j,a) - \gamma \sum_{s,a} P(j|s,a) d(s,a) = \mu(j)`).

    Parameters
    ----------
    mdp : FiniteMDP
        A discounted model (``gamma < 1``, ``horizon=None``).
    policy : array_like
        ``(S,)`` integer actions or ``(S, A)`` probabilities.
    initial_distribution : array_like, shape (S,), optional
        :math:`\mu`; defaults to ``mdp.initial_distribution``.

    Returns
    -------
    numpy.ndarray, shape (S, A)

    Raises
    ------
    ValueError
        When neither ``initial_distribution`` nor ``mdp.initial_distribution``
        is given, on ``gamma = 1`` (the occupancy of terminal states is
        infinite), or on a finite-horizon model.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, discounted_occupancy
    >>> P = np.array([[[0.0, 1.0]], [[0.0, 1.0]]])
    >>> mdp = FiniteMDP(P, np.zeros((2, 1)), gamma=0.5)
    >>> discounted_occupancy(mdp, np.array([0, 0]), initial_distribution=[1.0, 0.0])
    array([[1.],
           [1.]])
    """
    FiniteMDP.require(mdp, "discounted", "discounted_occupancy")  # gamma = 1: a terminal state's occupancy is infinite
    if initial_distribution is None:
        if mdp.initial_distribution is None:
            raise ValueError(
                "discounted_occupancy needs an initial distribution: pass initial_distribution= "
                "or build the FiniteMDP with initial_distribution="
            )
        mu = np.asarray(mdp.initial_distribution, dtype=float)
    else:
        mu = check_probability_vector("initial_distribution", initial_distribution, mdp.n_states)
    pi = mdp.policy_matrix(policy)
    M = _system(mdp, mdp.policy_transition(pi))
    if sp.issparse(M):
        d = np.atleast_1d(spla.spsolve(sp.csc_array(M.T), mu))
    else:
        d = sla.solve(M.T, mu, check_finite=False)
    return d[:, None] * pi
