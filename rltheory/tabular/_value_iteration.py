r"""Value iteration (Jacobi and Gauss-Seidel) and modified policy iteration with certified bounds.

Both solvers run their whole loop in one compiled call
(:func:`rltheory.tabular._kernels.iterate_dense` / ``iterate_csr``) and stop on
the MacQueen-Porteus certificate, never on a heuristic residual.

The certificate. For any ``v`` let ``d = T v - v``. Then (MacQueen 1966;
Porteus 1971; Puterman 2005, Prop. 6.6.1 and Thm. 6.6.3)

.. math::

    v_{\mathrm{lower}} = T v + \frac{\gamma}{1-\gamma} \min_s d(s)
    \;\le\; v^{\pi} \;\le\; v^* \;\le\;
    v_{\mathrm{upper}} = T v + \frac{\gamma}{1-\gamma} \max_s d(s),

where ``pi`` is greedy with respect to ``v``. Proof sketch: ``v^pi - v =
(I - gamma P^pi)^{-1} d >= min d / (1 - gamma)`` and ``v^pi - T v = gamma P^pi
(v^pi - v)``, which gives the lower bound; the upper bound is the same
argument applied to ``v* - v`` with ``T v* - T v <= gamma P^{pi*} (v* - v)``.

**Stochastic shortest path** (``gamma = 1`` with terminal states; Bertsekas &
Tsitsiklis 1991). When every stationary policy is proper, the largest expected
time to termination :math:`M(s) = \max_\pi \mathbb{E}^\pi_s[\tau]` is finite
(it gives the weights of the sup-norm in which :math:`T` contracts, Bertsekas
& Tsitsiklis 1996, *Neuro-Dynamic Programming*, Sec. 2.2.1, Prop. 2.2), and
the same argument gives, for any ``v`` that is 0 on terminal states, with
:math:`K(s) = M(s) - 1` (0 on terminal states),

.. math::

    v_{\mathrm{lower}} = T v + \min(\min_s d(s), 0)\, K
    \;\le\; v^{\pi} \;\le\; v^* \;\le\;
    v_{\mathrm{upper}} = T v + \max(\max_s d(s), 0)\, K .

*Derivation* (done here; the discounted case is :math:`K = \gamma/(1-\gamma)`,
where :math:`m^\pi = 1/(1-\gamma)` for every policy, so the signs need no
care). On non-terminal states, :math:`v^\pi - v = N^\pi d` with
:math:`N^\pi = (I - P^\pi)^{-1} = \sum_k (P^\pi)^k \ge 0` and
:math:`N^\pi \mathbf 1 = m^\pi` the expected time to termination, so
:math:`v^\pi - T v = P^\pi N^\pi d \ge \min(\min d, 0)\, P^\pi m^\pi =
\min(\min d, 0)(m^\pi - 1) \ge \min(\min d, 0)(M - 1)`. Above,
:math:`v^* - v \le d + P^{\pi^*}(v^* - v)` gives :math:`v^* - v \le N^{\pi^*} d
\le \max(\max d, 0)\, m^{\pi^*}` and :math:`v^* - T v \le P^{\pi^*}(v^* - v)
\le \max(\max d, 0)(m^{\pi^*} - 1) \le \max(\max d, 0)(M - 1)`. The solver
uses a checked upper bound :math:`w \ge M` (:mod:`rltheory.tabular._ssp`).

*Assumptions.* The certificate needs every policy proper (decided exactly,
on the graph of allowed transitions). Under the weaker assumption of
Bertsekas & Tsitsiklis (1991) -- a proper policy exists and every improper
policy has reward :math:`-\infty` from some state -- value iteration still
converges to :math:`v^*` from any start, but :math:`M = \infty`. When every
step then costs at least :math:`c > 0` (:math:`r(s,a) \le -c` on the allowed
pairs of non-terminal states: a shortest-path model, e.g. a gridworld with
step reward -1), hitting times are bounded by values instead,
:math:`m^\pi \le -v^\pi/c`, and with :math:`\delta = \max(-\min d, 0) < c`
and the greedy policy proper (checked on its graph)

.. math::

    v_{\mathrm{lower}} = T v - \delta\,\Big(\frac{-T v - \delta}{c - \delta} - 1\Big)
    \;\le\; v^\pi \le v^* \;\le\;
    v_{\mathrm{upper}} = T v + \max(\max d, 0)\,\big(-v_{\mathrm{lower}}/c - 1\big)^+

(derived in :func:`rltheory.tabular._ssp.negative_cost_bounds`); the loop runs
to a residual target and checks this width. Otherwise no bound of this kind
is available: the solver stops when :math:`\|T v - v\|_\infty \le` ``tol``
and reports ``bound = inf`` with vacuous ``v_lower = -inf``, ``v_upper =
inf`` (never a false certificate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import check_choice, check_int, check_iteration_settings, readonly
from rltheory.tabular import _kernels
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._operators import _check_values, _kernel_inputs, _q_values
from rltheory.tabular._ssp import check_ssp_value_scale, negative_cost_bounds, negative_cost_margin, termination_bound

__all__ = [
    "ValueIterationResult",
    "ModifiedPolicyIterationResult",
    "value_iteration",
    "modified_policy_iteration",
]

_METHODS = ("jacobi", "gauss-seidel")


@dataclass(frozen=True, eq=False)
class ValueIterationResult:
    r"""Result of :func:`value_iteration`.

    Attributes
    ----------
    v : numpy.ndarray, shape (S,)
        Midpoint ``(v_lower + v_upper) / 2`` of the certified interval, so
        ``||v - v*||_inf <= bound / 2 <= bound``.
    q : numpy.ndarray, shape (S, A)
        ``q = r + gamma P v`` at the returned ``v`` (``-inf`` on masked
        actions); ``||q - q*||_inf <= gamma * bound / 2``.
    policy : numpy.ndarray of int64, shape (S,)
        Greedy policy ``argmax_a q`` (ties to the lowest action).
    iterations : int
        Number of updates of the iterate (Jacobi backups or Gauss-Seidel
        sweeps) before the last iterate ``u``; the certificate of ``u`` is one
        further backup. ``0`` when the start already meets ``tol`` (or
        ``max_iter = 0``).
    converged : bool
        Whether ``bound <= tol`` was reached within ``max_iter`` updates.
        Never true for a non-finite iterate: then ``bound = inf`` and the
        bounds are ``-inf`` / ``+inf``.
    residual : float
        ``||T u - u||_inf`` at the certifying backup of the last iterate ``u``.
    v_lower, v_upper : numpy.ndarray, shape (S,)
        Certified bounds ``v_lower <= v* <= v_upper`` (see the module docstring).
    bound : float
        ``max(v_upper - v_lower) = gamma / (1 - gamma) * span(T u - u)``
        (SSP: the width of the SSP bounds of the module docstring -- with the
        largest expected time to termination when every policy is proper, or
        the negative-cost bounds when every step costs at least ``c > 0`` --
        and ``inf`` when neither applies).
    policy_suboptimality_bound : float
        Certified bound on ``||v* - v^policy||_inf``:
        ``gamma / (1 - gamma) * span(T v - v)`` at the returned ``v``
        (the Porteus bounds applied to ``v``, for which ``policy`` is greedy;
        SSP: the SSP bounds applied to ``v``).
        It is at most ``gamma * bound``.
    method : str
        ``"jacobi"`` or ``"gauss-seidel"``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, value_iteration
    >>> res = value_iteration(FiniteMDP(np.ones((1, 1, 1)), np.ones((1, 1)), gamma=0.5), tol=1e-12)
    >>> res.converged, bool(res.v_lower[0] <= 2.0 <= res.v_upper[0]), res.v.flags.writeable  # v* = 1 / (1 - 0.5)
    (True, True, False)
    """

    v: np.ndarray
    q: np.ndarray
    policy: np.ndarray
    iterations: int
    converged: bool
    residual: float
    v_lower: np.ndarray
    v_upper: np.ndarray
    bound: float
    policy_suboptimality_bound: float
    method: str


@dataclass(frozen=True, eq=False)
class ModifiedPolicyIterationResult:
    r"""Result of :func:`modified_policy_iteration`.

    Same fields and guarantees as :class:`ValueIterationResult`, with
    ``iterations`` counting policy improvements (an optimality backup
    followed by ``m`` evaluation sweeps) before the last iterate, and ``method`` equal
    to ``"modified-policy-iteration"``, plus the number ``m`` of partial
    evaluation sweeps.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, modified_policy_iteration
    >>> res = modified_policy_iteration(FiniteMDP(np.ones((1, 1, 1)), np.ones((1, 1)), gamma=0.5), m=2, tol=1e-12)
    >>> res.m, res.method, bool(abs(res.v[0] - 2.0) <= res.bound / 2)
    (2, 'modified-policy-iteration', True)
    """

    v: np.ndarray
    q: np.ndarray
    policy: np.ndarray
    iterations: int
    converged: bool
    residual: float
    v_lower: np.ndarray
    v_upper: np.ndarray
    bound: float
    policy_suboptimality_bound: float
    method: str
    m: int


def _ssp_factor(mdp: FiniteMDP, who: str) -> np.ndarray | None:
    """``K = w - 1`` (0 on terminal states) for an SSP whose policies are all proper, else None.

    None also when every step costs at least some ``c > 0``: the negative-cost bounds are then used instead (they
    need no properness of every policy, and they are much tighter where ``M`` is large).
    """
    if negative_cost_margin(mdp) is not None:
        return None
    w = termination_bound(mdp)
    check_ssp_value_scale(mdp, w, who)
    if w is None:
        return None
    K = np.maximum(w - 1.0, 0.0)
    K[mdp.terminal_states] = 0.0
    return K


def _start(mdp: FiniteMDP, v0, who: str) -> np.ndarray:
    """A validated start; for an SSP it must be 0 on the terminal states (their value)."""
    v0 = np.zeros(mdp.n_states) if v0 is None else _check_values(mdp, v0, "v0")
    if mdp.criterion == "ssp":
        bad = v0[mdp.terminal_states] != 0
        if bad.any():
            t = int(mdp.terminal_states[np.argmax(bad)])
            raise ValueError(
                f"{who}: v0[{t}] = {float(v0[t])!r} on a terminal state; with gamma = 1 a terminal state's value is 0 "
                "and value iteration never changes it"
            )
    return v0


def _run(mdp: FiniteMDP, v0: np.ndarray, m: int, gauss_seidel: bool, tol: float, max_iter: int, K=None):
    """Run the compiled loop and assemble the certified quantities (``K``: the SSP factor, see the module)."""
    kind, P, mask, use_mask = _kernel_inputs(mdp)
    S = mdp.n_states
    v = np.array(v0, dtype=float, order="C")
    tv = np.empty(S)
    pi = np.empty(S, dtype=np.int64)
    fn = _kernels.iterate_dense if kind == "dense" else _kernels.iterate_csr
    ssp = mdp.criterion == "ssp"
    if ssp and K is None:
        cost = negative_cost_margin(mdp)
        if cost is not None:
            return _run_negative_cost(mdp, fn, P, mask, use_mask, v, m, gauss_seidel, tol, max_iter, cost)
    if not ssp:
        rule, factor = _kernels.STOP_DISCOUNTED, 0.0
    elif K is not None:
        rule, factor = _kernels.STOP_SSP, float(np.max(K))
    else:
        rule, factor = _kernels.STOP_RESIDUAL, 1.0
    # the kernel counts backups, the certifying backup of the last iterate included: max_iter updates of the
    # iterate are max_iter + 1 backups, and max_iter = 0 certifies the start
    backups, converged, dmin, dmax = fn(
        *P, mdp.R, mdp.gamma, v, mask, use_mask, int(m), bool(gauss_seidel), tol, max_iter + 1, tv, pi, rule, factor
    )
    residual = max(abs(dmin), abs(dmax))
    finite = bool(np.isfinite(v).all() and np.isfinite(tv).all())
    if ssp and K is None:
        # improper policies exist: nothing is certified (module docstring); v is the last backup
        q = _q_values(mdp, tv)
        policy = np.argmax(q, axis=1).astype(np.int64)
        out = _assemble(
            tv,
            q,
            policy,
            backups - 1,
            converged,
            residual,
            np.full(S, -np.inf),
            np.full(S, np.inf),
            np.inf,
            np.inf,
            finite=finite,
        )
        out["converged"] = bool(converged and finite and np.isfinite(residual))
        return out
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite iterate is handled by _assemble
        if ssp:
            # SSP bounds (module docstring): T u + min(min d, 0) K <= v* <= T u + max(max d, 0) K
            lo, hi = min(dmin, 0.0), max(dmax, 0.0)
            v_lower = tv + lo * K
            v_upper = tv + hi * K
            bound = float(np.max(v_upper - v_lower))
            v_mid = tv + 0.5 * (lo + hi) * K  # ||v_mid - v*|| <= bound / 2
        else:
            c = mdp.gamma / (1.0 - mdp.gamma)
            # MacQueen (1966) / Porteus (1971) bounds; Puterman (2005) Thm. 6.6.3:
            # T u + gamma/(1-gamma) min(Tu - u) <= v* <= T u + gamma/(1-gamma) max(Tu - u)
            v_lower = tv + c * dmin
            v_upper = tv + c * dmax
            bound = c * (dmax - dmin)  # = max(v_upper - v_lower)
            v_mid = tv + c * 0.5 * (dmin + dmax)  # ||v_mid - v*|| <= bound / 2
        q = _q_values(mdp, v_mid)
        policy = np.argmax(q, axis=1).astype(np.int64)
        tv_mid = q[np.arange(S), policy]
        d_mid = tv_mid - v_mid
        if ssp:
            # the same bounds at v_mid, for which policy is greedy: v* - v^policy <= (max(d,0) - min(d,0)) max K
            policy_bound = (max(float(d_mid.max()), 0.0) - min(float(d_mid.min()), 0.0)) * float(np.max(K))
        else:
            # policy is greedy w.r.t. v_mid, so v* - v^policy <= gamma/(1-gamma) span(T v_mid - v_mid)
            # (Porteus 1971; Puterman 2005, Thm. 6.6.3 applied at v_mid)
            policy_bound = c * float(d_mid.max() - d_mid.min())
    return _assemble(
        v_mid, q, policy, backups - 1, converged, residual, v_lower, v_upper, bound, policy_bound, finite=finite
    )


def _run_negative_cost(mdp, fn, P, mask, use_mask, v, m, gauss_seidel, tol, max_iter, cost):
    """SSP with improper policies whose every step costs at least ``cost > 0`` (module docstring).

    The compiled loop runs to a residual target; the certificate of :func:`rltheory.tabular._ssp.
    negative_cost_bounds` is checked at its end, and the target lowered (the width shrinks with the residual)
    until the width is ``<= tol`` or ``max_iter`` updates are used.
    """
    S = mdp.n_states
    tv = np.empty(S)
    pi = np.empty(S, dtype=np.int64)
    used, target, bounds = 0, tol, None
    while True:
        backups, _, dmin, dmax = fn(
            *P,
            mdp.R,
            mdp.gamma,
            v,
            mask,
            use_mask,
            int(m),
            bool(gauss_seidel),
            target,
            max_iter - used + 1,
            tv,
            pi,
            _kernels.STOP_RESIDUAL,
            1.0,
        )
        used += backups - 1
        residual = max(abs(dmin), abs(dmax))
        finite = bool(np.isfinite(v).all() and np.isfinite(tv).all() and np.isfinite(residual))
        with np.errstate(over="ignore", invalid="ignore"):
            bounds = negative_cost_bounds(mdp, cost, tv, dmin, dmax, pi) if finite else None
        width = float(np.max(bounds[1] - bounds[0])) if bounds is not None else np.inf
        if width <= tol or used >= max_iter or not finite or residual == 0.0:
            break
        # the width is about residual * max_s m: aim the next residual below tol / max_s m
        new = min(target, residual) * (min(0.5, 0.5 * tol / width) if np.isfinite(width) else 0.25)
        if not new > 0.0:
            break
        target = new
    if bounds is None:
        q = _q_values(mdp, tv)
        policy = np.argmax(q, axis=1).astype(np.int64)
        out = _assemble(
            tv, q, policy, used, False, residual, np.full(S, -np.inf), np.full(S, np.inf), np.inf, np.inf, finite=finite
        )
        out["converged"] = bool(finite and residual <= tol)  # the uncertified rule, as with improper policies
        return out
    v_lower, v_upper = bounds
    with np.errstate(over="ignore", invalid="ignore"):
        v_mid = 0.5 * (v_lower + v_upper)  # ||v_mid - v*|| <= width / 2
        q = _q_values(mdp, v_mid)
        policy = np.argmax(q, axis=1).astype(np.int64)
        tv_mid = q[np.arange(S), policy]
        d_mid = tv_mid - v_mid
        low_pi = negative_cost_bounds(mdp, cost, tv_mid, float(d_mid.min()), float(d_mid.max()), policy)
        # v* - v^policy <= v_upper - (a lower bound of v^policy)
        policy_bound = np.inf if low_pi is None else float(np.max(v_upper - low_pi[0]))
    return _assemble(
        v_mid, q, policy, used, width <= tol, residual, v_lower, v_upper, width, policy_bound, finite=finite
    )


def _assemble(v, q, policy, iterations, converged, residual, v_lower, v_upper, bound, policy_bound, *, finite):
    """The result fields, read-only; a non-finite iterate is never certified (issue 11, sec. 1).

    The compiled min/max skip NaN, so an overflowing iterate could look converged: then every bound is
    vacuous (``-inf`` / ``+inf``, ``bound = inf``) and ``converged`` is False.
    """
    finite = finite and bool(np.isfinite(bound)) and bool(np.isfinite(residual))
    if not finite:
        S = v.shape[0]
        v_lower, v_upper = np.full(S, -np.inf), np.full(S, np.inf)
        bound, policy_bound, converged = np.inf, np.inf, False
        residual = residual if np.isfinite(residual) else np.inf
    if not np.isfinite(policy_bound):
        policy_bound = np.inf
    return dict(
        v=readonly(v),
        q=readonly(q),
        policy=readonly(policy),
        iterations=int(iterations),
        converged=bool(converged),
        residual=float(residual),
        v_lower=readonly(v_lower),
        v_upper=readonly(v_upper),
        bound=float(bound),
        policy_suboptimality_bound=float(policy_bound),
    )


def value_iteration(mdp: FiniteMDP, *, tol=1e-8, max_iter=100_000, method="jacobi", v0=None) -> ValueIterationResult:
    r"""Value iteration with the MacQueen-Porteus certified stopping rule.

    Iterates :math:`v_{k+1} = T v_k` with

    .. math::

        (T v)(s) = \max_{a} \Big[ r(s,a) + \gamma \sum_{s'} P(s'|s,a)\, v(s') \Big]

    (``method="jacobi"``), or sweeps the states in order and updates in place
    (``method="gauss-seidel"``, Puterman 2005, Sec. 6.3.3). After each
    Jacobi backup of the iterate ``u``, with ``d = T u - u``,

    .. math::

        T u + \tfrac{\gamma}{1-\gamma} \min d \;\le\; v^* \;\le\;
        T u + \tfrac{\gamma}{1-\gamma} \max d

    (MacQueen 1966; Porteus 1971; Puterman 2005, Prop. 6.6.1 and
    Thm. 6.6.3), and the loop stops as soon as the width of this interval,
    ``bound = gamma / (1 - gamma) * span(d)``, is ``<= tol``. Since the
    Jacobi iterates satisfy ``||v_k - v*|| <= gamma^k ||v_0 - v*||`` and
    ``span(d) <= 2 ||d||``, this happens after at most
    ``log(tol (1-gamma) / (2 gamma (1+gamma) ||v_0 - v*||)) / log(gamma) + 1``
    sweeps.

    Gauss-Seidel sweeps do not yield the interval directly: the loop
    certifies the current iterate with a Jacobi backup (counted as a sweep,
    whose result becomes the next iterate) every ``GS_CHECK_EVERY = 10``
    sweeps, when ``gamma/(1-gamma) * ||change||_inf <= tol``, and on the last
    allowed sweep.

    Parameters
    ----------
    mdp : FiniteMDP
        A discounted model (``gamma < 1``, no horizon) or a stochastic
        shortest path model (``gamma = 1`` with terminal states; certified
        when every policy is proper, see the module docstring), dense or CSR,
        with or without an action mask.
    tol : float, default 1e-8
        Target width ``max(v_upper - v_lower)`` of the certified interval.
    max_iter : int, default 100000
        Maximum number of updates of the iterate (>= 0; ``0`` certifies
        ``v0`` with one backup). When reached, ``converged`` is False and all
        bounds still hold.
    method : {"jacobi", "gauss-seidel"}
    v0 : array_like, shape (S,), optional
        Starting values; zeros by default.

    Returns
    -------
    ValueIterationResult
        ``v`` is the midpoint of the certified interval, so
        ``||v - v*||_inf <= bound / 2``; ``policy`` is greedy for ``v`` and
        ``||v* - v^policy||_inf <= policy_suboptimality_bound <= gamma *
        bound`` (a further backup at ``v``: ``span(T v - v) <= gamma *
        span(d)`` because ``v`` differs from ``T u`` by a constant).
        Guarantees hold in exact arithmetic; floating-point rounding adds
        ``O(eps * S * ||v||_inf / (1 - gamma))``.

    Raises
    ------
    ValueError
        On ``tol <= 0`` or not finite, ``max_iter < 0``, an unknown ``method``,
        a ``v0`` of the wrong shape or with NaN/inf (or non-zero on a
        terminal state of an SSP), a finite-horizon model (use
        :func:`~rltheory.tabular.backward_induction`) or ``gamma = 1`` without
        terminal states (average reward: use
        :func:`~rltheory.tabular.relative_value_iteration`).

    References
    ----------
    J. MacQueen, "A modified dynamic programming method for Markovian
    decision problems", J. Math. Anal. Appl. 14 (1966).
    E. Porteus, "Some bounds for discounted sequential decision processes",
    Management Science 18(1) (1971).
    M. L. Puterman, *Markov Decision Processes*, Wiley 2005, Sec. 6.3 and 6.6.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, value_iteration
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    >>> R = np.array([[0.0, 1.0], [2.0, 0.0]])
    >>> res = value_iteration(FiniteMDP(P, R, gamma=0.5), tol=1e-10)
    >>> res.converged, res.policy
    (True, array([1, 0]))
    >>> bool(np.all(res.v_lower <= res.v_upper)), res.bound <= 1e-10
    (True, True)
    >>> np.round(res.v, 6)  # v* = (1 + 0.5 * 4, 2 / (1 - 0.5))
    array([3., 4.])
    """
    FiniteMDP.require(mdp, ("discounted", "ssp"), "value_iteration")
    tol, max_iter = check_iteration_settings(tol, max_iter)
    check_choice("method", method, _METHODS)
    v0 = _start(mdp, v0, "value_iteration")
    K = _ssp_factor(mdp, "value_iteration") if mdp.criterion == "ssp" else None
    out = _run(mdp, v0, 0, method == "gauss-seidel", tol, max_iter, K)
    return ValueIterationResult(method=method, **out)


def modified_policy_iteration(
    mdp: FiniteMDP, *, m=5, tol=1e-8, max_iter=100_000, v0=None
) -> ModifiedPolicyIterationResult:
    r"""Modified policy iteration (Puterman & Shin 1978; Puterman 2005, Sec. 6.5).

    Each iteration improves and partially evaluates:

    .. math::

        \pi_{n+1} \in \arg\max_\pi T^\pi v_n, \qquad
        v_{n+1} = (T^{\pi_{n+1}})^{m}\, T v_n ,

    so ``m = 0`` is value iteration (the same iterates, bit for bit) and
    ``m -> inf`` is policy iteration. The stopping rule is the certificate of
    :func:`value_iteration` at the backup ``T v_n`` (MacQueen 1966;
    Porteus 1971; Puterman 2005, Thm. 6.6.3): stop when
    ``gamma / (1 - gamma) * span(T v_n - v_n) <= tol``.

    Puterman's monotone convergence argument (Sec. 6.5.2) needs a start
    with ``T v_0 >= v_0``. The default ``v_0 = min_{s, a allowed} r(s,a) /
    (1 - gamma)`` (a constant) satisfies it:
    ``T v_0 >= min r + gamma min r / (1 - gamma) = v_0``. Then ``v_n``
    increases monotonically to ``v*`` and ``v_n <= v*``. A user ``v0``
    without that property still converges (Scherrer et al. 2015, JMLR 16,
    Thm. 1 with zero errors), and the certificate is valid for any ``v0``.

    Parameters
    ----------
    mdp : FiniteMDP
        A discounted model (``gamma < 1``, no horizon) or an SSP (``gamma =
        1`` with terminal states), as :func:`value_iteration`. For an SSP
        whose policies are all proper the default start is ``c w`` with ``c =
        min(min r, 0)`` and ``w >= M`` the checked bound on the expected time
        to termination: ``T v0 >= v0`` because ``P_a w <= w - 1``; otherwise 0.
    m : int, default 5
        Number of partial-evaluation sweeps ``T^pi`` per improvement (>= 0).
    tol : float, default 1e-8
        Target width ``max(v_upper - v_lower)`` of the certified interval.
    max_iter : int, default 100000
        Maximum number of improvements (>= 0; ``0`` certifies ``v0``).
    v0 : array_like, shape (S,), optional
        Starting values (see above for the default).

    Returns
    -------
    ModifiedPolicyIterationResult
        Same guarantees as :func:`value_iteration`: ``v_lower <= v* <=
        v_upper``, ``||v - v*||_inf <= bound / 2``, ``||v* -
        v^policy||_inf <= policy_suboptimality_bound``.

    Raises
    ------
    ValueError
        On ``m`` not an integer >= 0, and as :func:`value_iteration`.

    References
    ----------
    M. L. Puterman and M. C. Shin, "Modified policy iteration algorithms for
    discounted Markov decision problems", Management Science 24(11) (1978).
    M. L. Puterman, *Markov Decision Processes*, Wiley 2005, Sec. 6.5 and 6.6.
    B. Scherrer, M. Ghavamzadeh, V. Gabillon, B. Lesner, M. Geist,
    "Approximate modified policy iteration and its application to the game
    of Tetris", JMLR 16 (2015).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, modified_policy_iteration
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    >>> R = np.array([[0.0, 1.0], [2.0, 0.0]])
    >>> res = modified_policy_iteration(FiniteMDP(P, R, gamma=0.5), m=3, tol=1e-10)
    >>> res.converged, res.policy, res.m
    (True, array([1, 0]), 3)
    >>> np.round(res.v, 6)
    array([3., 4.])
    """
    FiniteMDP.require(mdp, ("discounted", "ssp"), "modified_policy_iteration")
    tol, max_iter = check_iteration_settings(tol, max_iter)
    m = check_int("m", m, low=0)
    K = _ssp_factor(mdp, "modified_policy_iteration") if mdp.criterion == "ssp" else None
    if v0 is not None:
        v0 = _start(mdp, v0, "modified_policy_iteration")
    elif mdp.criterion == "discounted":
        # constant start with T v0 >= v0 (Puterman 2005, Sec. 6.5.2)
        v0 = np.full(mdp.n_states, float(mdp.R[mdp.action_mask].min()) / (1.0 - mdp.gamma))
    elif K is not None:
        # SSP: v0 = c (K + 1) = c w with c = min(min r, 0) has T v0 >= v0, since P_a w <= w - 1 (rltheory.tabular._ssp)
        c = min(float(mdp.R[mdp.action_mask].min()), 0.0)
        v0 = c * (K + 1.0)
        v0[mdp.terminal_states] = 0.0
    else:
        v0 = np.zeros(mdp.n_states)
    out = _run(mdp, v0, m, False, tol, max_iter, K)
    return ModifiedPolicyIterationResult(method="modified-policy-iteration", m=int(m), **out)
