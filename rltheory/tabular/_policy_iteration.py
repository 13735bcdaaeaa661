r"""Howard's policy iteration, in floating point or in exact rational arithmetic."""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.sparse as sp
from sympy import QQ
from sympy.polys.matrices import DomainMatrix
from threadpoolctl import ThreadpoolController

from rltheory._validation import check_max_iter, check_real, readonly
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._operators import q_values
from rltheory.tabular._policy_evaluation import _check_proper, _is_ssp, _solve
from rltheory.tabular._ssp import certify

__all__ = ["PolicyIterationResult", "policy_iteration"]

#: Up to this many states the float loop runs with BLAS capped to one thread
#: (docs/ARCHITECTURE.md, "Threads on small machines": each iteration's LU is small, and
#: waking BLAS workers every iteration costs more than it saves).
_SINGLE_THREAD_MAX_STATES = 2000


@functools.lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def _blas_scope(n_states: int):
    if n_states <= _SINGLE_THREAD_MAX_STATES:
        return _controller().limit(limits=1, user_api="blas")  # restored on exit; nothing global persists
    return contextlib.nullcontext()


@dataclass(frozen=True, eq=False)
class PolicyIterationResult:
    r"""Result of :func:`policy_iteration`.

    Attributes
    ----------
    v : numpy.ndarray, shape (S,)
        :math:`v^{\pi}` of the returned policy (the optimal value :math:`v^*`).
    q : numpy.ndarray, shape (S, A)
        :math:`q(s,a) = r(s,a) + \gamma \sum_{s'} P(s'|s,a) v(s')`; ``-inf`` on
        disallowed actions.
    policy : numpy.ndarray of int64, shape (S,)
        The last policy (optimal when ``converged``).
    iterations : int
        Number of improvement steps (policy changes); ``iterations + 1``
        policies were evaluated, the last one is the returned policy.
    converged : bool
        No allowed action improves on ``policy`` (beyond the tie tolerance):
        the policy is optimal. False when ``max_iter`` improvements ran out.
    residual : float
        :math:`\|T v - v\|_\infty` at the returned ``v`` (exactly 0 in exact
        mode; at most ``tie_tol * max(1, ||v||_inf)`` plus the floating-point
        evaluation error otherwise, when converged).
    bound : float
        Certified bound on :math:`\|v - v^*\|_\infty`. ``gamma < 1``:
        ``residual / (1 - gamma)``, since :math:`\|v - v^*\| \le \|v - Tv\|
        + \gamma \|v - v^*\|` (the contraction argument of Puterman 2005,
        Thm. 6.3.1). ``gamma = 1`` (SSP): the distance from ``v`` to the SSP
        bounds of :func:`value_iteration` at ``v`` (every policy proper, or
        every step costing at least some ``c > 0``), else ``inf``. Exact mode: the
        rounding error of the float ``v`` (computed in rationals, rounded up).
        Like every float certificate here it holds for the computed
        residual; rounding in the backup adds ``O(eps * S * ||v||)``.
    values_history : numpy.ndarray, shape (iterations + 1, S)
        Row ``k`` is :math:`v^{\pi_k}`; non-decreasing in ``k`` (Puterman
        2005, Proposition 6.4.1).
    v_exact : numpy.ndarray of fractions.Fraction, shape (S,), or None
        The exact optimal values when ``exact=True``, else None.
    exact : bool
        Whether the computation was done in rational arithmetic.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, policy_iteration
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    >>> res = policy_iteration(FiniteMDP(P, np.array([[0.0, 1.0], [2.0, 0.0]]), gamma=0.5))
    >>> res.policy, res.converged, res.values_history.shape == (res.iterations + 1, 2)
    (array([1, 0]), True, True)
    """

    v: np.ndarray
    q: np.ndarray
    policy: np.ndarray
    iterations: int
    converged: bool
    residual: float
    bound: float
    values_history: np.ndarray
    v_exact: np.ndarray | None
    exact: bool


# --------------------------------------------------------------------- helpers
def _policy_rows(mdp: FiniteMDP, pi: np.ndarray):
    """``P^pi`` (dense (S, S) or CSR) and ``r^pi`` of a deterministic policy."""
    S, A = mdp.n_states, mdp.n_actions
    states = np.arange(S)
    if mdp.is_sparse:
        P_pi = sp.csr_array(mdp.P[states * A + pi])
    else:
        P_pi = mdp.P[states, pi]
    return P_pi, np.asarray(mdp.R[states, pi], dtype=float)


def _support_csr(mdp: FiniteMDP) -> sp.csr_array:
    """Boolean support of ``P`` as a CSR matrix ``(S*A, S)``."""
    G = sp.csr_array(mdp.csr_P, copy=True)
    G.eliminate_zeros()
    G.data = np.ones_like(G.data)
    return G


def _proper_policy(mdp: FiniteMDP) -> np.ndarray:
    """A deterministic proper policy of an SSP model, by backward breadth-first search.

    A state at hop distance ``k`` from the terminal set picks the allowed
    action with the largest probability of reaching distance ``k - 1`` (ties
    to the lowest action; no successor is closer than ``k - 1``), so a
    terminal state is reachable from every state under the policy. Taking the
    largest probability rather than any positive one keeps the policy's
    expected time to termination moderate: with a slip, "any" action reaches
    the next layer, and the lowest one could take astronomically long (its
    linear system then too ill-conditioned to solve in floating point).
    """
    S, A = mdp.n_states, mdp.n_actions
    G = sp.csr_array(mdp.csr_P, copy=True)
    G.eliminate_zeros()
    mask = np.asarray(mdp.action_mask)
    pi = np.argmax(mask, axis=1).astype(np.int64)  # lowest allowed action
    done = np.zeros(S, dtype=bool)
    done[mdp.terminal_states] = True
    frontier = done.astype(float)
    while True:
        mass = np.where(mask, np.asarray(G @ frontier).reshape(S, A), 0.0)
        new = ~done & (mass > 0).any(axis=1)
        if not new.any():
            break
        pi[new] = np.argmax(mass[new], axis=1)
        done |= new
        frontier = new.astype(float)
    if not done.all():
        s = int(np.argmax(~done))
        raise ValueError(
            f"no proper policy exists: from state {s} no terminal state is reachable under any allowed action, "
            "so the undiscounted (gamma = 1) problem has no finite solution"
        )
    return pi


def _initial_policy(mdp: FiniteMDP, v0_policy, R) -> np.ndarray:
    if v0_policy is not None:
        pol = np.asarray(v0_policy)
        if pol.ndim != 1:
            raise ValueError(
                f"v0_policy must be a deterministic policy: an (S,) array of integer actions, got shape {pol.shape}"
            )
        mdp.policy_matrix(pol)  # validates shape, range and action_mask
        return pol.astype(np.int64)
    if _is_ssp(mdp):
        return _proper_policy(mdp)
    # myopic policy: greedy with respect to v = 0, ties to the lowest action
    mask = np.asarray(mdp.action_mask)
    best = np.empty(mdp.n_states, dtype=np.int64)
    for s in range(mdp.n_states):
        allowed = np.flatnonzero(mask[s])
        vals = [R[s, a] for a in allowed]
        best[s] = allowed[vals.index(max(vals))]
    return best


def _check_proper_step(mdp, P_pi, k, v0_given):
    if k == 0:
        what = "v0_policy" if v0_given else "the initial policy"
        _check_proper(mdp, P_pi, what)
        return
    try:
        _check_proper(mdp, P_pi, f"the policy of iteration {k}")
    except ValueError as exc:
        raise ValueError(
            f"{exc}. Policy improvement left the proper policies, so the model violates the stochastic "
            "shortest path assumption that every improper policy has reward -inf from some state "
            "(Bertsekas & Tsitsiklis 1991, Assumption 2)"
        ) from None


def _exact_solve(M_rows: list[list[Fraction]], b: list[Fraction]) -> list[Fraction]:
    """Solve ``M x = b`` over the rationals (sympy DomainMatrix over QQ, LU)."""
    n = len(b)
    if n == 0:
        return []
    M = DomainMatrix([[QQ(x.numerator, x.denominator) for x in row] for row in M_rows], (n, n), QQ)
    rhs = DomainMatrix([[QQ(x.numerator, x.denominator)] for x in b], (n, 1), QQ)
    sol = M.lu_solve(rhs).to_list()
    return [Fraction(int(row[0].numerator), int(row[0].denominator)) for row in sol]


def _exact_evaluate(mdp: FiniteMDP, pi: np.ndarray) -> np.ndarray:
    """``v^pi`` as an object array of Fractions (0 on terminal states when gamma = 1)."""
    S = mdp.n_states
    P, R, g = mdp.P_exact, mdp.R_exact, mdp.gamma_exact
    if _is_ssp(mdp):
        idx = np.setdiff1d(np.arange(S), mdp.terminal_states)
    else:
        idx = np.arange(S)
    rows = []
    for i in idx:
        row = [-g * P[i, pi[i], j] for j in idx]
        rows.append(row)
        rows[-1][len(rows) - 1] += 1
    x = _exact_solve(rows, [R[i, pi[i]] for i in idx])
    v = np.array([Fraction(0)] * S, dtype=object)
    for i, val in zip(idx, x):
        v[i] = val
    return v


def _exact_q(mdp: FiniteMDP, v: np.ndarray) -> np.ndarray:
    S, A = mdp.n_states, mdp.n_actions
    P, R, g = mdp.P_exact, mdp.R_exact, mdp.gamma_exact
    q = np.empty((S, A), dtype=object)
    for s in range(S):
        for a in range(A):
            q[s, a] = R[s, a] + g * sum((P[s, a, t] * v[t] for t in range(S) if P[s, a, t] != 0), Fraction(0))
    return q


# ---------------------------------------------------------------- public API
def policy_iteration(
    mdp: FiniteMDP, *, max_iter: int = 10_000, tie_tol: float = 1e-12, exact: bool = False, v0_policy=None
) -> PolicyIterationResult:
    r"""Policy iteration (Howard 1960) with exact policy evaluation.

    Starting from a deterministic policy :math:`\pi_0`, repeat

    1. *evaluation*: solve :math:`(I - \gamma P^{\pi_k}) v_k = r^{\pi_k}`
       (see :func:`~rltheory.tabular.policy_evaluation`);
    2. *improvement*: :math:`\pi_{k+1}(s) \in \arg\max_a q_k(s,a)`,
       :math:`q_k(s,a) = r(s,a) + \gamma \sum_{s'} P(s'|s,a) v_k(s')`,
       **keeping** :math:`\pi_k(s)` unless some action beats it by more than
       the tie tolerance (then the lowest-index maximizer is taken);

    and stop when no state changes action. The values are non-decreasing,
    :math:`v_{k+1} \ge v_k` (Puterman 2005, Proposition 6.4.1), so no policy
    repeats and the algorithm stops after at most
    :math:`\prod_s |A(s)|` evaluations with an optimal policy and
    :math:`v_k = v^*` (Puterman 2005, Sec. 6.4, Theorem 6.4.2).

    Parameters
    ----------
    mdp : FiniteMDP
        An infinite-horizon model.
    max_iter : int, default 10000
        Cap on the number of improvement steps (>= 0; the theorem bounds the
        evaluations by the number of deterministic policies). When reached,
        the last policy is returned with ``converged=False``; ``0`` evaluates
        the initial policy only.
    tie_tol : float
        Floating-point mode: an action replaces the current one in state
        ``s`` only if :math:`q(s,a) > q(s,\pi_k(s)) + \mathrm{tie\_tol}\cdot
        \max(1, \|v_k\|_\infty)`; this absorbs evaluation round-off so the
        algorithm never cycles between tied actions. Ignored when
        ``exact=True`` (improvement must then be strict, exactly).
    exact : bool
        Do everything in rational arithmetic (evaluation by LU over
        :math:`\mathbb{Q}` with :class:`sympy.polys.matrices.DomainMatrix`);
        the model must have been built from :class:`fractions.Fraction`
        (``mdp.is_exact``). Returns the exact values in ``v_exact``. Meant for
        small problems (cost grows like :math:`S^3` rational operations with
        growing denominators).
    v0_policy : array_like of int, shape (S,), optional
        Initial deterministic policy. Default: the myopic policy
        :math:`\arg\max_a r(s,a)` when ``gamma < 1``; when ``gamma = 1``
        (terminal states, stochastic shortest path) a *proper* policy is
        required to start (Bertsekas & Tsitsiklis 1991, Sec. 3) and the
        default is built by backward breadth-first search from the terminal
        states (each state moves, with positive probability, one hop closer
        to termination). Under their assumption that every improper policy
        has reward :math:`-\infty` from some state, every improved policy is
        proper again and policy iteration ends optimal.

    Returns
    -------
    PolicyIterationResult

    Raises
    ------
    ValueError
        On a finite-horizon model, ``exact=True`` for a model not built from
        rationals, an invalid or improper ``v0_policy``, a ``gamma = 1`` model
        from which some state cannot reach a terminal state, or an improved
        policy that is improper (the SSP assumption fails).

    Notes
    -----
    Up to 2000 states the floating-point loop runs with BLAS capped to one
    thread (threadpoolctl, restored on return): each iteration's solve is
    small and waking BLAS workers every iteration costs more than it saves
    on small machines (docs/ARCHITECTURE.md, "Threads on small machines").

    References
    ----------
    R. A. Howard, *Dynamic Programming and Markov Processes*, MIT Press, 1960.
    M. L. Puterman, *Markov Decision Processes*, Wiley 2005, Sec. 6.4
    (Proposition 6.4.1, Theorem 6.4.2). D. P. Bertsekas and J. N.
    Tsitsiklis, "An analysis of stochastic shortest path problems",
    *Math. Oper. Res.* 16(3), 1991.

    Examples
    --------
    Puterman's two-state example (Sec. 3.1), with ``gamma = 19/20 > 10/11``:

    >>> import numpy as np
    >>> from fractions import Fraction as F
    >>> from rltheory.tabular import FiniteMDP, policy_iteration
    >>> P = np.array([[[F(1, 2), F(1, 2)], [F(0), F(1)]], [[F(0), F(1)], [F(0), F(1)]]])
    >>> R = np.array([[F(5), F(10)], [F(-1), F(0)]])
    >>> mdp = FiniteMDP(P, R, gamma=F(19, 20), action_mask=[[True, True], [True, False]])
    >>> res = policy_iteration(mdp, exact=True)
    >>> res.policy, [str(x) for x in res.v_exact]
    (array([0, 0]), ['-60/7', '-20'])
    """
    FiniteMDP.require(mdp, ("discounted", "ssp"), "policy_iteration")
    max_iter = check_max_iter(max_iter)
    tie_tol = check_real("tie_tol", tie_tol, low=0.0)
    if not isinstance(exact, (bool, np.bool_)):
        raise ValueError(f"exact = {exact!r} must be True or False")
    if exact and not mdp.is_exact:
        raise ValueError(
            "exact=True needs a model built from rationals (mdp.is_exact is False): pass P, R and gamma "
            "as fractions.Fraction (or integers / sympy Rationals) to a dense FiniteMDP"
        )
    pi = _initial_policy(mdp, v0_policy, mdp.R_exact if exact else mdp.R)
    with _blas_scope(mdp.n_states):
        return _iterate(mdp, pi, max_iter, tie_tol, exact, v0_policy is not None)


def _iterate(mdp, pi, max_iter, tie_tol, exact, v0_given) -> PolicyIterationResult:
    S = mdp.n_states
    states = np.arange(S)
    mask = np.asarray(mdp.action_mask)
    history = []
    v_exact = None
    k = 0
    while True:
        P_pi, r_pi = _policy_rows(mdp, pi)
        if _is_ssp(mdp):
            _check_proper_step(mdp, P_pi, k, v0_given)
        if exact:
            v_exact = _exact_evaluate(mdp, pi)
            v = v_exact.astype(float)
            history.append(v)
            q_ex = _exact_q(mdp, v_exact)
            changed = False
            new_pi = pi.copy()
            for s in states:
                allowed = np.flatnonzero(mask[s])
                best = max(q_ex[s, a] for a in allowed)
                if best > q_ex[s, pi[s]]:  # strict improvement, exactly
                    new_pi[s] = next(a for a in allowed if q_ex[s, a] == best)
                    changed = True
        else:
            v = _solve(mdp, P_pi, r_pi, "direct", 1.0)[0]
            history.append(v)
            q = q_values(mdp, v)
            threshold = tie_tol * max(1.0, float(np.max(np.abs(v))))
            better = q.max(axis=1) > q[states, pi] + threshold
            changed = bool(better.any())
            new_pi = np.where(better, np.argmax(q, axis=1), pi)
        if not changed or k >= max_iter:
            break
        pi = new_pi
        k += 1
    if exact:
        q = np.where(mask, np.where(mask, q_ex, Fraction(0)).astype(float), -np.inf)
        resid = max(max(q_ex[s, a] for a in np.flatnonzero(mask[s])) - v_exact[s] for s in states)
        residual = float(abs(resid))
        if changed:  # not optimal: the residual bounds the error as in floating point
            bound = _residual_bound(mdp, residual, v)
        else:  # v_exact = v*: the only error of v is its rounding to float, bounded from above
            err = max((abs(Fraction(float(x)) - y) for x, y in zip(v, v_exact)), default=Fraction(0))
            bound = float(err)
            if Fraction(bound) < err:
                bound = float(np.nextafter(bound, np.inf))
        v_exact = readonly(v_exact)
    else:
        residual = float(np.max(np.abs(q.max(axis=1) - v)))
        bound = _residual_bound(mdp, residual, v)
    return PolicyIterationResult(
        v=readonly(v),
        q=readonly(q),
        policy=readonly(pi.astype(np.int64)),
        iterations=k,
        converged=not changed,
        residual=residual,
        bound=bound,
        values_history=readonly(np.array(history)),
        v_exact=v_exact,
        exact=bool(exact),
    )


def _residual_bound(mdp: FiniteMDP, residual: float, v: np.ndarray) -> float:
    """||v - v*|| <= ||T v - v|| / (1 - gamma); for an SSP the distance to the SSP bounds at v (inf without them)."""
    if not np.isfinite(residual):
        return float("inf")
    if mdp.gamma < 1.0:
        return residual / (1.0 - mdp.gamma)  # Puterman (2005), Thm. 6.3.1 (contraction argument)
    # the SSP bounds at v (rltheory.tabular._ssp.certify; see rltheory.tabular._value_iteration)
    b = certify(mdp, v)
    return float("inf") if b is None else float(max(np.max(b[1] - v), np.max(v - b[0]), 0.0))
