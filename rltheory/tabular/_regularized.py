r"""Entropy- and KL-regularized dynamic programming: soft value / policy iteration, mirror-descent VI.

With temperature :math:`\tau > 0` and a reference policy :math:`\pi_0`
(``None`` = the entropy regularizer, i.e. :math:`\log \pi_0 \equiv 0`), the
regularized value of a policy is

.. math::

    v^\pi_\tau = \mathbb{E}^\pi\Big[\sum_t \gamma^t \big(r(s_t,a_t)
        - \tau \log\tfrac{\pi(a_t|s_t)}{\pi_0(a_t|s_t)}\big)\Big],

and the soft Bellman optimality operator

.. math::

    (T_\tau v)(s) = \max_{p \in \Delta(A)} \langle p, q_v(s,\cdot)\rangle - \tau\, \mathrm{KL}(p\,\|\,\pi_0(s))
                  = \tau \log \sum_a \pi_0(a|s)\, e^{q_v(s,a)/\tau},
    \qquad q_v = r + \gamma P v,

(Gibbs variational principle) is a monotone :math:`\gamma`-contraction with
:math:`T_\tau(v + c) = T_\tau v + \gamma c`, so its fixed point
:math:`v^*_\tau` is bracketed by the MacQueen-Porteus bounds exactly as for
the hard operator. The maximizer is the soft-greedy policy
:math:`\pi(a|s) = \pi_0(a|s) \exp((q(s,a) - v(s))/\tau)`. As
:math:`\tau \to 0` :math:`T_\tau` tends to the hard operator restricted to
:math:`\mathrm{supp}\,\pi_0` (:math:`0 \le \max_a q - T_\tau v \le
\tau \log |A|` for the entropy case); as :math:`\tau \to \infty` the soft
greedy policy tends to :math:`\pi_0`.

References
----------
M. Geist, B. Scherrer, O. Pietquin, "A theory of regularized Markov decision
processes", ICML 2019. T. Haarnoja et al., "Reinforcement learning with deep
energy-based policies", ICML 2017. N. Vieillard et al., "Leverage the
average: an analysis of KL regularization in reinforcement learning",
NeurIPS 2020.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rltheory._validation import (
    as_generator,
    check_finite,
    check_iteration_settings,
    check_max_iter,
    check_real,
    check_shape,
    readonly,
)
from rltheory.tabular import _kernels, _soft_kernels
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._operators import _kernel_inputs

__all__ = [
    "MirrorDescentVIResult",
    "RegularizedPolicyEvaluationResult",
    "SoftPolicyIterationResult",
    "SoftValueIterationResult",
    "mirror_descent_value_iteration",
    "regularized_policy_evaluation",
    "soft_bellman_operator",
    "soft_policy_iteration",
    "soft_value_iteration",
]


@dataclass(frozen=True, eq=False)
class SoftValueIterationResult:
    r"""Result of :func:`soft_value_iteration`.

    Attributes
    ----------
    v : numpy.ndarray, shape (S,)
        Midpoint of ``[v_lower, v_upper]``; ``||v - v*_tau||_inf <= bound / 2``.
    q : numpy.ndarray, shape (S, A)
        :math:`r + \gamma P v` (``-inf`` on masked actions).
    action_probabilities : numpy.ndarray, shape (S, A)
        Soft-greedy policy :math:`\pi_0 \exp((q - T_\tau(q))/\tau)` at ``v``
        (one-hot greedy when ``temperature == 0``).
    iterations : int
        Updates :math:`u \leftarrow T_\tau u` before the last iterate.
    converged : bool
        ``bound <= tol``; never for a non-finite iterate.
    residual : float
        :math:`\|T_\tau u - u\|_\infty` at the last iterate ``u``.
    v_lower, v_upper : numpy.ndarray, shape (S,)
        MacQueen-Porteus bounds :math:`v_{lower} \le v^*_\tau \le v_{upper}`.
    bound : float
        ``max(v_upper - v_lower) = gamma/(1-gamma) span(T u - u)``.
    temperature : float

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, soft_value_iteration
    >>> res = soft_value_iteration(FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5), 1.0, tol=1e-12)
    >>> res.action_probabilities, bool(abs(res.v[0] - 2 * np.log(2)) < 1e-10)  # v = log 2 / (1 - gamma)
    (array([[0.5, 0.5]]), True)
    """

    v: np.ndarray
    q: np.ndarray
    action_probabilities: np.ndarray
    iterations: int
    converged: bool
    residual: float
    v_lower: np.ndarray
    v_upper: np.ndarray
    bound: float
    temperature: float


@dataclass(frozen=True, eq=False)
class SoftPolicyIterationResult:
    r"""Result of :func:`soft_policy_iteration`.

    Attributes
    ----------
    v : numpy.ndarray, shape (S,)
        Regularized value :math:`v^{\pi}_\tau` of the returned policy.
    q : numpy.ndarray, shape (S, A)
        :math:`r + \gamma P v` (``-inf`` on masked actions).
    action_probabilities : numpy.ndarray, shape (S, A)
        Last policy.
    iterations : int
        Soft-greedy updates applied.
    converged : bool
        ``residual <= tol``.
    residual : float
        :math:`\|\pi_{k+1} - \pi_k\|_\infty` of the last update (with
        ``max_iter = 0``: of the update the start would take).
    values_history : numpy.ndarray, shape (iterations + 1, S)
        Regularized values of every policy (non-decreasing).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, soft_policy_iteration
    >>> res = soft_policy_iteration(FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5), 1.0)
    >>> res.converged, res.action_probabilities, res.iterations
    (True, array([[0.5, 0.5]]), 1)
    """

    v: np.ndarray
    q: np.ndarray
    action_probabilities: np.ndarray
    iterations: int
    converged: bool
    residual: float
    values_history: np.ndarray


@dataclass(frozen=True, eq=False)
class RegularizedPolicyEvaluationResult:
    r"""Result of :func:`regularized_policy_evaluation`.

    Attributes
    ----------
    v : numpy.ndarray, shape (S,)
        :math:`v^\pi_\tau`.
    q : numpy.ndarray, shape (S, A)
        :math:`q^\pi_\tau = r + \gamma P v^\pi_\tau` (``-inf`` on masked actions).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, regularized_policy_evaluation
    >>> res = regularized_policy_evaluation(FiniteMDP(np.ones((1, 1, 1)), np.ones((1, 1)), gamma=0.5), [[1.0]], 0.0)
    >>> res.v, res.q
    (array([2.]), array([[2.]]))
    """

    v: np.ndarray
    q: np.ndarray


@dataclass(frozen=True, eq=False)
class MirrorDescentVIResult:
    r"""Result of :func:`mirror_descent_value_iteration`.

    Attributes
    ----------
    q : numpy.ndarray, shape (S, A)
        The last iterate :math:`q_K`.
    action_probabilities : numpy.ndarray, shape (S, A)
        The last policy :math:`\pi_K`.
    iterations : int
        :math:`K`.
    q_history : numpy.ndarray, shape (K + 1, S, A)
        The (noisy) iterates :math:`q_0, \dots, q_K`.
    action_probabilities_history : numpy.ndarray, shape (K + 1, S, A)
        :math:`\pi_0, \dots, \pi_K`; :math:`\pi_{k+1}` is greedy for :math:`q_k`.
    suboptimality : numpy.ndarray, shape (K + 1,)
        :math:`\|q^* - q^{\pi_k}\|_\infty` of the *unregularized* problem.
    kl_weight, entropy_weight : float
    noise_scale : float

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, mirror_descent_value_iteration
    >>> res = mirror_descent_value_iteration(FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=0.5), 1.0,
    ...                                      max_iter=3)
    >>> res.iterations, res.q_history.shape, res.action_probabilities_history.shape
    (3, (4, 1, 2), (4, 1, 2))
    """

    q: np.ndarray
    action_probabilities: np.ndarray
    iterations: int
    q_history: np.ndarray
    action_probabilities_history: np.ndarray
    suboptimality: np.ndarray
    kl_weight: float
    entropy_weight: float
    noise_scale: float


# ====================================================================== helpers
def _log_reference(mdp: FiniteMDP, reference_policy) -> np.ndarray:
    """``log pi_0`` as a C-contiguous (S, A) array (zeros for the entropy regularizer; -inf off support)."""
    S, A = mdp.n_states, mdp.n_actions
    if reference_policy is None:
        return np.zeros((S, A))
    ref = np.asarray(reference_policy)
    if ref.ndim != 2:
        raise ValueError(f"reference_policy must be an (S, A) = ({S}, {A}) probability matrix, got shape {ref.shape}")
    ref = mdp.policy_matrix(ref)
    with np.errstate(divide="ignore"):
        return np.ascontiguousarray(np.log(ref))


def _soft_inputs(mdp):
    kind, P, mask, use_mask = _kernel_inputs(mdp)
    return kind, P, mask, use_mask


def soft_backup_reference(P, R, gamma, v, tau, logref, mask):
    """NumPy reference of the compiled soft backup: ``(T_tau v, q)`` with ``q = R + gamma P v``.

    ``P`` dense ``(S, A, S)`` or CSR ``(S*A, S)``; ``mask`` boolean ``(S, A)``.
    """
    S, A = R.shape
    Pv = (P @ v).reshape(S, A) if sp.issparse(P) else np.einsum("saj,j->sa", P, v)
    q = np.where(mask, R + gamma * Pv, -np.inf)
    z = np.where(mask & np.isfinite(logref), q / tau + logref, -np.inf)
    m = z.max(axis=1)
    with np.errstate(invalid="ignore"):
        out = tau * (m + np.log(np.exp(z - m[:, None]).sum(axis=1)))
    return out, q


def _soft_policy(q: np.ndarray, tau: float, logref: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """pi_0 exp(q/tau) normalized, on allowed actions (max-shifted, so it sums to 1 to rounding)."""
    z = np.where(mask & np.isfinite(logref), q / tau + logref, -np.inf)
    z = z - z.max(axis=1, keepdims=True)
    w = np.exp(z)
    return w / w.sum(axis=1, keepdims=True)


def soft_bellman_operator(mdp: FiniteMDP, v, temperature: float, reference_policy=None) -> np.ndarray:
    r"""The soft (KL-regularized) Bellman optimality operator :math:`T_\tau v` (compiled log-sum-exp).

    :math:`(T_\tau v)(s) = \tau \log \sum_a \pi_0(a|s) \exp(q_v(s,a)/\tau)`
    with :math:`q_v = r + \gamma P v`; ``temperature = 0`` gives the hard
    operator restricted to the support of :math:`\pi_0`.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, soft_bellman_operator
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 0.0]]), gamma=0.5)
    >>> soft_bellman_operator(mdp, np.array([0.0]), 1.0)  # log 2
    array([0.69314718])
    """
    FiniteMDP.require(mdp, "discounted", "soft_bellman_operator")
    tau = check_real("temperature", temperature, low=0.0)
    v = np.ascontiguousarray(v, dtype=float)
    check_shape("v", v, (mdp.n_states,))
    check_finite("v", v)
    logref = _log_reference(mdp, reference_policy)
    return _apply(mdp, v, tau, logref)[0]


def _apply(mdp, v, tau, logref):
    kind, P, mask, use_mask = _soft_inputs(mdp)
    S, A = mdp.n_states, mdp.n_actions
    out = np.empty(S)
    q = np.empty((S, A))
    if tau == 0.0:
        eff = np.ascontiguousarray(np.asarray(mdp.action_mask) & np.isfinite(logref)).view(np.uint8)
        pi = np.empty(S, dtype=np.int64)
        fn = _kernels.bellman_backup_dense if kind == "dense" else _kernels.bellman_backup_csr
        lo, hi = fn(*P, mdp.R, mdp.gamma, v, eff, True, out, pi)
        qf = _kernels.q_values_dense if kind == "dense" else _kernels.q_values_csr
        qf(*P, mdp.R, mdp.gamma, v, mask, use_mask, q)
        return out, q, lo, hi
    fn = _soft_kernels.soft_backup_dense if kind == "dense" else _soft_kernels.soft_backup_csr
    lo, hi = fn(*P, mdp.R, mdp.gamma, v, tau, logref, mask, use_mask, out, q)
    return out, q, lo, hi


# ====================================================================== soft value iteration
def soft_value_iteration(
    mdp: FiniteMDP, temperature: float, reference_policy=None, *, tol: float = 1e-8, max_iter: int = 100_000, v0=None
) -> SoftValueIterationResult:
    r"""Soft (entropy- or KL-regularized) value iteration with certified bounds.

    Iterates :math:`v_{k+1} = T_\tau v_k` (compiled log-sum-exp backup, whole
    loop in one call) until :math:`\frac{\gamma}{1-\gamma}\,
    \mathrm{sp}(T_\tau u - u) \le` ``tol``. Since :math:`T_\tau` is monotone
    and :math:`T_\tau(v + c\mathbf 1) = T_\tau v + \gamma c \mathbf 1`, the
    MacQueen-Porteus argument (Puterman 2005, Prop. 6.6.1) applies verbatim:

    .. math::

        T_\tau u + \tfrac{\gamma}{1-\gamma} \min_s d(s) \le v^*_\tau \le
        T_\tau u + \tfrac{\gamma}{1-\gamma} \max_s d(s), \qquad d = T_\tau u - u.

    The soft-optimal policy is :math:`\pi^*_\tau(a|s) = \pi_0(a|s)
    \exp((q^*_\tau(s,a) - v^*_\tau(s))/\tau)` (Geist et al. 2019, Sec. 2-3;
    Haarnoja et al. 2017, Theorem 1).

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted (``gamma < 1``), dense or CSR, masks allowed.
    temperature : float
        :math:`\tau \ge 0`; ``0`` is standard value iteration (over the
        support of the reference).
    reference_policy : array_like, shape (S, A), optional
        :math:`\pi_0`; ``None`` = entropy regularization (:math:`\log \pi_0 = 0`).
    tol : float
        Target width ``max(v_upper - v_lower)`` (> 0).
    max_iter : int
        Maximum number of updates (>= 0; ``0`` certifies ``v0``).
    v0 : array_like, shape (S,), optional
        Start (default 0).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, soft_value_iteration
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=0.5)
    >>> res = soft_value_iteration(mdp, 1.0, tol=1e-12)
    >>> bool(abs(res.v[0] - 2 * np.log(np.e + 1)) < 1e-10)
    True
    >>> np.round(res.action_probabilities, 4)
    array([[0.7311, 0.2689]])
    """
    FiniteMDP.require(mdp, "discounted", "soft_value_iteration")
    tau = check_real("temperature", temperature, low=0.0)
    tol, max_iter = check_iteration_settings(tol, max_iter)
    logref = _log_reference(mdp, reference_policy)
    S, A = mdp.n_states, mdp.n_actions
    if v0 is None:
        u = np.zeros(S)
    else:
        u = np.array(v0, dtype=float)
        check_shape("v0", u, (S,))
        check_finite("v0", u)
    c = mdp.gamma / (1.0 - mdp.gamma)
    out = np.empty(S)
    q = np.empty((S, A))
    if tau > 0:
        kind, P, mask, use_mask = _soft_inputs(mdp)
        fn = _soft_kernels.soft_iterate_dense if kind == "dense" else _soft_kernels.soft_iterate_csr
        it, lo, hi = fn(*P, mdp.R, mdp.gamma, u, tau, logref, mask, use_mask, tol, max_iter, out, q)
    else:
        it = 0
        while True:
            out, q, lo, hi = _apply(mdp, u, tau, logref)
            if c * (hi - lo) <= tol or it >= max_iter:
                break
            u = out
            it += 1
    finite = bool(np.isfinite(u).all() and np.isfinite(out).all() and np.isfinite(lo) and np.isfinite(hi))
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite iterate is never certified (below)
        # MacQueen-Porteus bounds (Puterman 2005, Prop. 6.6.1; monotone + gamma-translation for T_tau)
        v_lower = out + c * lo
        v_upper = out + c * hi
        v = 0.5 * (v_lower + v_upper)
        out2, q2, _, _ = _apply(mdp, v, tau, logref)
        mask_b = np.asarray(mdp.action_mask)
        if tau > 0:
            policy = _soft_policy(q2, tau, logref, mask_b)
        else:
            eff = mask_b & np.isfinite(logref)
            policy = np.eye(A)[np.argmax(np.where(eff, q2, -np.inf), axis=1)]
        bound = float(np.max(v_upper - v_lower))
    residual = float(max(abs(lo), abs(hi)))
    if not (finite and np.isfinite(bound)):
        v_lower, v_upper, bound = np.full(S, -np.inf), np.full(S, np.inf), np.inf
    return SoftValueIterationResult(
        v=readonly(v),
        q=readonly(q2),
        action_probabilities=readonly(policy),
        iterations=int(it),
        converged=bool(bound <= tol),
        residual=residual if np.isfinite(residual) else np.inf,
        v_lower=readonly(v_lower),
        v_upper=readonly(v_upper),
        bound=bound,
        temperature=tau,
    )


# ====================================================================== soft policy iteration
def regularized_policy_evaluation(
    mdp: FiniteMDP, policy, temperature: float, reference_policy=None
) -> RegularizedPolicyEvaluationResult:
    r"""Regularized value and q-values of a stochastic policy.

    .. math::

        v^\pi_\tau = (I - \gamma P_\pi)^{-1}\big(r_\pi - \tau\,\mathrm{KL}(\pi\,\|\,\pi_0)\big),
        \qquad q^\pi_\tau = r + \gamma P v^\pi_\tau,

    with :math:`\mathrm{KL}(\pi\|\pi_0)(s) = \sum_a \pi(a|s)\log(\pi(a|s)/\pi_0(a|s))`
    (:math:`\log\pi_0 = 0` for the entropy regularizer, giving
    :math:`r_\pi + \tau \mathcal H(\pi)`); Geist et al. 2019, Sec. 2.
    ``q`` is ``-inf`` on masked actions.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, regularized_policy_evaluation
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=0.5)
    >>> res = regularized_policy_evaluation(mdp, np.array([[0.5, 0.5]]), 1.0)
    >>> bool(abs(res.v[0] - 2 * (0.5 + np.log(2))) < 1e-12)  # v = (r_pi + tau log 2) / (1 - gamma)
    True
    >>> res.q.shape, res.v.flags.writeable
    ((1, 2), False)
    """
    FiniteMDP.require(mdp, "discounted", "regularized_policy_evaluation")
    tau = check_real("temperature", temperature, low=0.0)
    pi = mdp.policy_matrix(policy)
    logref = _log_reference(mdp, reference_policy)
    v, q = _evaluate(mdp, pi, tau, logref)
    return RegularizedPolicyEvaluationResult(v=readonly(v), q=readonly(q))


def _evaluate(mdp: FiniteMDP, pi: np.ndarray, tau: float, logref: np.ndarray):
    """``(v, q)`` of :func:`regularized_policy_evaluation` for a validated ``(S, A)`` policy."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pi > 0, pi * (np.log(np.where(pi > 0, pi, 1.0)) - logref), 0.0)
    if tau > 0 and np.isinf(terms).any():
        s = int(np.argwhere(np.isinf(terms))[0][0])
        raise ValueError(f"policy puts mass outside the support of reference_policy in state {s}: infinite KL")
    kl = terms.sum(axis=1) if tau > 0 else np.zeros(mdp.n_states)
    P = mdp.dense_P
    S = mdp.n_states
    R = np.asarray(mdp.R)
    mask = np.asarray(mdp.action_mask)
    P_pi = np.einsum("sa,saj->sj", pi, P)
    r_pi = np.einsum("sa,sa->s", pi, np.where(mask, R, 0.0))
    v = np.linalg.solve(np.eye(S) - mdp.gamma * P_pi, r_pi - tau * kl)
    q = np.where(mask, R + mdp.gamma * np.einsum("saj,j->sa", P, v), -np.inf)
    return v, q


def soft_policy_iteration(
    mdp: FiniteMDP, temperature: float, reference_policy=None, *, tol: float = 1e-12, max_iter: int = 10_000
) -> SoftPolicyIterationResult:
    r"""Soft policy iteration: exact regularized evaluation, then the soft-greedy step.

    :math:`\pi_{k+1}(a|s) \propto \pi_0(a|s)\exp(q^{\pi_k}_\tau(s,a)/\tau)`.
    The regularized values are non-decreasing and converge to
    :math:`v^*_\tau` linearly at rate :math:`\gamma` (Geist et al. 2019,
    Sec. 4 "regularized modified policy iteration", with :math:`m=\infty`;
    it is entropy-regularized NPG with step :math:`\eta = (1-\gamma)/\tau`,
    Cen et al. 2022, Sec. 3.1). Stops when
    :math:`\|\pi_{k+1}-\pi_k\|_\infty \le` ``tol``.

    Parameters
    ----------
    mdp : FiniteMDP
    temperature : float
        :math:`\tau > 0`.
    reference_policy : array_like, shape (S, A), optional
    tol : float
        Stop when an update changes the policy by at most ``tol`` (sup norm).
    max_iter : int
        Maximum number of updates (>= 0; ``0`` evaluates the start and
        reports the size of its next update).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, soft_policy_iteration, soft_value_iteration
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=0.5)
    >>> pi = soft_policy_iteration(mdp, 1.0)
    >>> vi = soft_value_iteration(mdp, 1.0, tol=1e-12)
    >>> bool(abs(pi.v[0] - vi.v[0]) < 1e-10)
    True
    """
    FiniteMDP.require(mdp, "discounted", "soft_policy_iteration")
    tau = check_real("temperature", temperature, low=0.0, low_open=True)
    tol, max_iter = check_iteration_settings(tol, max_iter)
    logref = _log_reference(mdp, reference_policy)
    mask = np.asarray(mdp.action_mask)
    pi = _soft_policy(np.where(mask, 0.0, -np.inf), tau, logref, mask)  # pi_0 restricted to allowed actions
    # the evaluations read log pi_0 back from pi_0 = exp(logref), as regularized_policy_evaluation would
    logref_eval = _log_reference(mdp, None if reference_policy is None else np.exp(logref))
    v, q = _evaluate(mdp, pi, tau, logref_eval)
    history = [v]
    converged = False
    change = float(np.max(np.abs(_soft_policy(q, tau, logref, mask) - pi)))  # the start's own certificate
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007  (it is read after the loop)
        new = _soft_policy(q, tau, logref, mask)
        change = float(np.max(np.abs(new - pi)))
        pi = new
        v, q = _evaluate(mdp, pi, tau, logref_eval)
        history.append(v)
        if change <= tol:
            converged = True
            break
    else:
        it = max_iter
        converged = change <= tol and max_iter == 0
    return SoftPolicyIterationResult(
        v=readonly(v),
        q=readonly(q),
        action_probabilities=readonly(pi),
        iterations=it,
        converged=converged,
        residual=change,
        values_history=readonly(np.array(history)),
    )


# ====================================================================== mirror-descent VI
def _q_star(mdp) -> np.ndarray:
    from rltheory.tabular._policy_iteration import policy_iteration

    res = policy_iteration(mdp)
    P = mdp.dense_P
    return np.where(np.asarray(mdp.action_mask), np.asarray(mdp.R) + mdp.gamma * np.einsum("saj,j->sa", P, res.v), 0.0)


def _q_pi(mdp, pi) -> np.ndarray:
    q = regularized_policy_evaluation(mdp, pi, 0.0).q
    return np.where(np.asarray(mdp.action_mask), q, 0.0)


def mirror_descent_value_iteration(
    mdp: FiniteMDP,
    kl_weight: float,
    entropy_weight: float = 0.0,
    *,
    max_iter: int = 100,
    noise_scale: float = 0.0,
    rng=None,
    errors=None,
) -> MirrorDescentVIResult:
    r"""Mirror-descent value iteration (MD-VI) of Vieillard et al. (2020), with optional noisy evaluations.

    With :math:`\lambda` = ``kl_weight``, :math:`\tau` = ``entropy_weight``,
    :math:`\pi_0` uniform over allowed actions and :math:`q_0 = 0`:

    .. math::

        \pi_{k+1} &= \arg\max_\pi \langle \pi, q_k\rangle - \lambda\,\mathrm{KL}(\pi\|\pi_k) + \tau \mathcal H(\pi)
                  \;\propto\; \pi_k^{\beta} \exp\big(q_k/(\lambda+\tau)\big), \quad \beta =
                  \tfrac{\lambda}{\lambda+\tau},\\
        q_{k+1} &= r + \gamma P \big\langle \pi_{k+1},\, q_k - \lambda \log\tfrac{\pi_{k+1}}{\pi_k}
                   - \tau \log \pi_{k+1} \big\rangle + \epsilon_{k+1},

    (their eq. (MD-VI) / Sec. 3). With :math:`\tau = 0` the policy is the
    softmax of the **sum** of past q-values,
    :math:`\pi_{k+1} \propto \exp(\lambda^{-1}\sum_{j=0}^{k} q_j)`, and
    Theorem 1 bounds :math:`\|q^* - q^{\pi_k}\|_\infty` by
    :math:`\frac{2}{1-\gamma}\|\frac1k\sum_{j=1}^k \epsilon_j\|_\infty`
    plus a :math:`O(1/((1-\gamma)^2 k))` term: errors are *averaged*, not
    accumulated. ``lambda = tau = 0`` is approximate value iteration
    (greedy policy, ties uniform).

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted.
    kl_weight, entropy_weight : float
        :math:`\lambda \ge 0`, :math:`\tau \ge 0`.
    max_iter : int
        :math:`K` (>= 0): the number of iterations run (there is no stopping
        rule); ``0`` returns :math:`q_0 = 0` and the uniform policy.
    noise_scale : float
        Standard deviation of i.i.d. Gaussian errors :math:`\epsilon_k(s,a)`.
    rng : numpy.random.Generator, int or None
    errors : array_like, shape (max_iter, S, A), optional
        Deterministic errors: ``errors[k]`` is added to :math:`q_{k+1}`
        (on allowed actions), on top of any Gaussian noise.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, mirror_descent_value_iteration
    >>> P = np.array([[[0.9, 0.1], [0.1, 0.9]], [[0.5, 0.5], [0.2, 0.8]]])
    >>> mdp = FiniteMDP(P, np.array([[1.0, 0.0], [0.0, 1.0]]), gamma=0.8)
    >>> res = mirror_descent_value_iteration(mdp, 1.0, max_iter=200)
    >>> bool(res.suboptimality[-1] < 1e-2), res.iterations, res.q_history.shape
    (True, 200, (201, 2, 2))
    """
    FiniteMDP.require(mdp, "discounted", "mirror_descent_value_iteration")
    lam = check_real("kl_weight", kl_weight, low=0.0)
    tau = check_real("entropy_weight", entropy_weight, low=0.0)
    sigma = check_real("noise_scale", noise_scale, low=0.0)
    n_iter = check_max_iter(max_iter)
    gen = as_generator(rng)
    S, A = mdp.n_states, mdp.n_actions
    if errors is not None:
        errors = np.asarray(errors, dtype=float)
        check_shape("errors", errors, (n_iter, S, A))
        check_finite("errors", errors)
    P = mdp.dense_P
    R = np.asarray(mdp.R)
    mask = np.asarray(mdp.action_mask)
    pi = mask / mask.sum(axis=1, keepdims=True)
    q = np.zeros((S, A))
    qs, pis = [q.copy()], [pi.copy()]
    for k in range(int(n_iter)):
        if lam + tau > 0:
            beta = lam / (lam + tau)
            with np.errstate(divide="ignore"):
                logits = np.where(mask, beta * np.log(pi) + q / (lam + tau), -np.inf)
            logits -= logits.max(axis=1, keepdims=True)
            new = np.exp(logits)
            new /= new.sum(axis=1, keepdims=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                reg = np.where(new > 0, lam * np.log(new / pi) + tau * np.log(new), 0.0)
        else:
            qm = np.where(mask, q, -np.inf)
            best = qm >= qm.max(axis=1, keepdims=True)
            new = best / best.sum(axis=1, keepdims=True)
            reg = np.zeros((S, A))
        w = np.einsum("sa,sa->s", new, np.where(new > 0, q - reg, 0.0))
        q = np.where(mask, R + mdp.gamma * np.einsum("saj,j->sa", P, w), 0.0)
        if sigma > 0:
            q = q + np.where(mask, sigma * gen.standard_normal((S, A)), 0.0)
        if errors is not None:
            q = q + np.where(mask, errors[k], 0.0)
        pi = new
        qs.append(q.copy())
        pis.append(pi.copy())
    q_star = _q_star(mdp)
    sub = np.array([float(np.max(np.where(mask, q_star - _q_pi(mdp, p), 0.0))) for p in pis])
    return MirrorDescentVIResult(
        q=readonly(qs[-1]),
        action_probabilities=readonly(pis[-1]),
        iterations=n_iter,
        q_history=readonly(np.array(qs)),
        action_probabilities_history=readonly(np.array(pis)),
        suboptimality=readonly(sub),
        kl_weight=lam,
        entropy_weight=tau,
        noise_scale=sigma,
    )
