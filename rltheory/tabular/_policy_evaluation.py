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

import numbers
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla

from rltheory._validation import check_probability_vector, readonly
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
    method : str
        ``"direct"`` or ``"krylov"``.
    """

    v: np.ndarray
    q: np.ndarray
    residual: float
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


def _solve(mdp: FiniteMDP, P_pi, r_pi: np.ndarray, method: str, tol: float) -> tuple[np.ndarray, float]:
    """Solve ``(I - gamma P^pi) v = r^pi`` and return ``(v, residual)``.

    With ``gamma = 1`` the system is solved on the non-terminal states only,
    ``v = 0`` on terminal states; the caller has checked properness.
    """
    S = mdp.n_states
    M = _system(mdp, P_pi)
    if _is_ssp(mdp):
        transient = np.setdiff1d(np.arange(S), mdp.terminal_states)
    else:
        transient = np.arange(S)
    v = np.zeros(S)
    if transient.size:
        if sp.issparse(M):
            M_t = sp.csc_array(sp.csr_array(M)[transient][:, transient])
        else:
            M_t = M[np.ix_(transient, transient)]
        b = r_pi[transient]
        if method == "direct":
            if sp.issparse(M_t):
                v[transient] = np.atleast_1d(spla.spsolve(M_t, b))
            else:
                v[transient] = sla.lu_solve(sla.lu_factor(M_t, check_finite=False), b, check_finite=False)
        else:
            threshold = tol * max(1.0, float(np.max(np.abs(r_pi))))
            n = transient.size
            # the 2-norm stopping rule ||b - M x||_2 <= threshold implies the
            # inf-norm one we report and check below
            x, info = spla.gmres(M_t, b, x0=b.copy(), rtol=0.0, atol=threshold, restart=min(n, 50), maxiter=max(20, n))
            v[transient] = x
            resid = float(np.max(np.abs(M_t @ x - b)))
            if not np.isfinite(resid) or resid > threshold:
                raise RuntimeError(
                    f"GMRES did not reach the requested residual: ||(I - gamma P^pi) v - r^pi||_inf = {resid:.3e} "
                    f"> tol * max(1, ||r^pi||_inf) = {threshold:.3e} (scipy info = {info}); "
                    "use method='direct' or a larger tol"
                )
    residual = float(np.max(np.abs(M @ v - r_pi))) if S else 0.0
    return v, residual


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
        For ``"krylov"``: the solve must reach
        :math:`\|(I-\gamma P^\pi) v - r^\pi\|_\infty \le \mathrm{tol}\cdot\max(1, \|r^\pi\|_\infty)`.
        The direct method reports its residual without a threshold.

    Returns
    -------
    PolicyEvaluationResult
        ``v``, ``q`` (:math:`q^\pi`), the achieved ``residual`` and ``method``.
        Since :math:`(I-\gamma P^\pi)^{-1} = \sum_t \gamma^t (P^\pi)^t` has
        inf-norm :math:`1/(1-\gamma)`, :math:`\|v - v^\pi\|_\infty \le
        \mathrm{residual}/(1-\gamma)` for :math:`\gamma < 1`.

    Raises
    ------
    ValueError
        On an invalid policy or method, a finite-horizon model (use
        :func:`~rltheory.tabular.backward_induction`), or an improper policy
        with ``gamma = 1`` (the message names a state from which no terminal
        state is reachable).
    RuntimeError
        When GMRES does not reach ``tol``.

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
    if method not in _METHODS:
        raise ValueError(f"method = {method!r} is not one of {_METHODS}")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not np.isfinite(tol) or tol <= 0:
        raise ValueError(f"tol = {tol!r} must be a positive finite number")
    pi = mdp.policy_matrix(policy)
    P_pi = mdp.policy_transition(pi)
    r_pi = mdp.policy_reward(pi)
    if _is_ssp(mdp):
        _check_proper(mdp, P_pi)
    v, residual = _solve(mdp, P_pi, r_pi, method, float(tol))
    return PolicyEvaluationResult(
        v=readonly(v), q=readonly(q_values(mdp, v)), residual=residual, method=method
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
