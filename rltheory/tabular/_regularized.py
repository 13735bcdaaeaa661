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

import numbers
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rltheory._validation import as_generator, check_finite, check_shape, readonly
from rltheory.tabular import _kernels, _soft_kernels
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._operators import _kernel_inputs

__all__ = [
    "ErrorPropagationResult",
    "MirrorDescentVIResult",
    "SoftPolicyIterationResult",
    "SoftValueIterationResult",
    "error_propagation_experiment",
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
    policy : numpy.ndarray, shape (S, A)
        Soft-greedy policy :math:`\pi_0 \exp((q - T_\tau(q))/\tau)` at ``v``
        (one-hot greedy when ``temperature == 0``).
    v_lower, v_upper : numpy.ndarray, shape (S,)
        MacQueen-Porteus bounds :math:`v_{lower} \le v^*_\tau \le v_{upper}`.
    bound : float
        ``max(v_upper - v_lower) = gamma/(1-gamma) span(T u - u)``.
    iterations : int
    converged : bool
        ``bound <= tol``.
    temperature : float
    """

    v: np.ndarray
    q: np.ndarray
    policy: np.ndarray
    v_lower: np.ndarray
    v_upper: np.ndarray
    bound: float
    iterations: int
    converged: bool
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
    policy : numpy.ndarray, shape (S, A)
        Last policy.
    iterations : int
    converged : bool
        ``||pi_{k+1} - pi_k||_inf <= tol`` at the last step.
    values_history : numpy.ndarray, shape (iterations + 1, S)
        Regularized values of every policy (non-decreasing).
    """

    v: np.ndarray
    q: np.ndarray
    policy: np.ndarray
    iterations: int
    converged: bool
    values_history: np.ndarray


@dataclass(frozen=True, eq=False)
class MirrorDescentVIResult:
    r"""Result of :func:`mirror_descent_value_iteration`.

    Attributes
    ----------
    q : numpy.ndarray, shape (K + 1, S, A)
        The (noisy) iterates :math:`q_0, \dots, q_K`.
    policies : numpy.ndarray, shape (K + 1, S, A)
        :math:`\pi_0, \dots, \pi_K`; :math:`\pi_{k+1}` is greedy for :math:`q_k`.
    suboptimality : numpy.ndarray, shape (K + 1,)
        :math:`\|q^* - q^{\pi_k}\|_\infty` of the *unregularized* problem.
    kl_weight, entropy_weight : float
    noise_scale : float
    """

    q: np.ndarray
    policies: np.ndarray
    suboptimality: np.ndarray
    kl_weight: float
    entropy_weight: float
    noise_scale: float


# ====================================================================== helpers
def _check_temperature(temperature, allow_zero=True) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real) or not np.isfinite(temperature):
        raise ValueError(f"temperature = {temperature!r} must be a finite real number")
    if temperature < 0 or (temperature == 0 and not allow_zero):
        raise ValueError(f"temperature = {temperature!r} must be {'>=' if allow_zero else '>'} 0")
    return float(temperature)


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
    tau = _check_temperature(temperature)
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
        eff = np.ascontiguousarray((np.asarray(mdp.action_mask) & np.isfinite(logref))).view(np.uint8)
        pi = np.empty(S, dtype=np.int64)
        fn = _kernels.bellman_backup_dense if kind == "dense" else _kernels.bellman_backup_csr
        lo, hi = fn(*P, mdp.R, mdp.gamma, v, eff, True, out, pi)
        qf = _kernels.q_values_dense if kind == "dense" else _kernels.q_values_csr
        qf(*P, mdp.R, mdp.gamma, v, mask, use_mask, q)
        return out, q, lo, hi
    fn = _soft_kernels.soft_backup_dense if kind == "dense" else _soft_kernels.soft_backup_csr
    lo, hi = fn(*P, mdp.R, mdp.gamma, v, tau, logref, mask, use_mask, out, q)
    return out, q, lo, hi


def _check_iter(tol, max_iter):
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol = {tol!r} must be a finite number >= 0")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise ValueError(f"max_iter = {max_iter!r} must be an integer >= 0")
    return float(tol), int(max_iter)


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
        Target width ``max(v_upper - v_lower)``.
    max_iter : int
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
    >>> np.round(res.policy, 4)
    array([[0.7311, 0.2689]])
    """
    FiniteMDP.require(mdp, "discounted", "soft_value_iteration")
    tau = _check_temperature(temperature)
    tol, max_iter = _check_iter(tol, max_iter)
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
    return SoftValueIterationResult(
        v=readonly(v),
        q=readonly(q2),
        policy=readonly(policy),
        v_lower=readonly(v_lower),
        v_upper=readonly(v_upper),
        bound=bound,
        iterations=int(it),
        converged=bound <= tol,
        temperature=tau,
    )


# ====================================================================== soft policy iteration
def regularized_policy_evaluation(mdp: FiniteMDP, policy, temperature: float, reference_policy=None):
    r"""Regularized value and q-values of a stochastic policy: ``(v, q)``.

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
    >>> v, q = regularized_policy_evaluation(mdp, np.array([[0.5, 0.5]]), 1.0)
    >>> bool(abs(v[0] - 2 * (0.5 + np.log(2))) < 1e-12)
    True
    """
    FiniteMDP.require(mdp, "discounted", "regularized_policy_evaluation")
    tau = _check_temperature(temperature)
    pi = mdp.policy_matrix(policy)
    logref = _log_reference(mdp, reference_policy)
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
    max_iter : int

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
    tau = _check_temperature(temperature, allow_zero=False)
    tol, max_iter = _check_iter(tol, max_iter)
    logref = _log_reference(mdp, reference_policy)
    mask = np.asarray(mdp.action_mask)
    pi = _soft_policy(np.where(mask, 0.0, -np.inf), tau, logref, mask)  # pi_0 restricted to allowed actions
    ref = reference_policy if reference_policy is None else np.exp(logref)
    v, q = regularized_policy_evaluation(mdp, pi, tau, ref)
    history = [v]
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        new = _soft_policy(q, tau, logref, mask)
        change = float(np.max(np.abs(new - pi)))
        pi = new
        v, q = regularized_policy_evaluation(mdp, pi, tau, ref)
        history.append(v)
        if change <= tol:
            converged = True
            break
    return SoftPolicyIterationResult(
        v=readonly(v),
        q=readonly(q),
        policy=readonly(pi),
        iterations=it,
        converged=converged,
        values_history=readonly(np.array(history)),
    )


# ====================================================================== mirror-descent VI
def _q_star(mdp) -> np.ndarray:
    from rltheory.tabular._policy_iteration import policy_iteration

    res = policy_iteration(mdp)
    P = mdp.dense_P
    return np.where(np.asarray(mdp.action_mask), np.asarray(mdp.R) + mdp.gamma * np.einsum("saj,j->sa", P, res.v), 0.0)


def _q_pi(mdp, pi) -> np.ndarray:
    v, q = regularized_policy_evaluation(mdp, pi, 0.0)
    return np.where(np.asarray(mdp.action_mask), q, 0.0)


def mirror_descent_value_iteration(
    mdp: FiniteMDP,
    kl_weight: float,
    entropy_weight: float = 0.0,
    *,
    n_iter: int = 100,
    noise_scale: float = 0.0,
    rng=None,
    errors=None,
) -> MirrorDescentVIResult:
    r"""Mirror-descent value iteration (MD-VI) of Vieillard et al. (2020), with optional noisy evaluations.

    With :math:`\lambda` = ``kl_weight``, :math:`\tau` = ``entropy_weight``,
    :math:`\pi_0` uniform over allowed actions and :math:`q_0 = 0`:

    .. math::

        \pi_{k+1} &= \arg\max_\pi \langle \pi, q_k\rangle - \lambda\,\mathrm{KL}(\pi\|\pi_k) + \tau \mathcal H(\pi)
                  \;\propto\; \pi_k^{\beta} \exp\big(q_k/(\lambda+\tau)\big), \quad \beta = \tfrac{\lambda}{\lambda+\tau},\\
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
    n_iter : int
        :math:`K`.
    noise_scale : float
        Standard deviation of i.i.d. Gaussian errors :math:`\epsilon_k(s,a)`.
    rng : numpy.random.Generator, int or None
    errors : array_like, shape (n_iter, S, A), optional
        Deterministic errors: ``errors[k]`` is added to :math:`q_{k+1}`
        (on allowed actions), on top of any Gaussian noise.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, mirror_descent_value_iteration
    >>> P = np.array([[[0.9, 0.1], [0.1, 0.9]], [[0.5, 0.5], [0.2, 0.8]]])
    >>> mdp = FiniteMDP(P, np.array([[1.0, 0.0], [0.0, 1.0]]), gamma=0.8)
    >>> res = mirror_descent_value_iteration(mdp, 1.0, n_iter=200)
    >>> bool(res.suboptimality[-1] < 1e-2)
    True
    """
    FiniteMDP.require(mdp, "discounted", "mirror_descent_value_iteration")
    for name, x in (("kl_weight", kl_weight), ("entropy_weight", entropy_weight), ("noise_scale", noise_scale)):
        if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(x) or x < 0:
            raise ValueError(f"{name} = {x!r} must be a finite number >= 0")
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise ValueError(f"n_iter = {n_iter!r} must be an integer >= 1")
    lam, tau, sigma = float(kl_weight), float(entropy_weight), float(noise_scale)
    gen = as_generator(rng)
    S, A = mdp.n_states, mdp.n_actions
    if errors is not None:
        errors = np.asarray(errors, dtype=float)
        check_shape("errors", errors, (int(n_iter), S, A))
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
        q=readonly(np.array(qs)),
        policies=readonly(np.array(pis)),
        suboptimality=readonly(sub),
        kl_weight=lam,
        entropy_weight=tau,
        noise_scale=sigma,
    )


# ====================================================================== error propagation: AVI vs MD-VI
@dataclass(frozen=True, eq=False)
class ErrorPropagationResult:
    r"""Result of :func:`error_propagation_experiment`.

    Attributes
    ----------
    gammas, horizons : numpy.ndarray, shape (G,)
        Discounts and :math:`H = 1/(1-\gamma)`.
    n_states, n_iter : numpy.ndarray of int, shape (G,)
        Chain length :math:`N` and number of iterations :math:`K = N - 2`.
    avi_loss, mdvi_loss : numpy.ndarray, shape (G,)
        :math:`\max_k \|v^* - v^{\pi_k}\|_\infty` over the last
        :math:`\lceil 2H\rceil` iterations (the limsup proxy) for AVI
        (``kl_weight = 0``) and MD-VI (``kl_weight > 0``, no entropy).
    avi_bound : numpy.ndarray, shape (G,)
        :math:`2\gamma\epsilon/(1-\gamma)^2` (Bertsekas & Tsitsiklis 1996, Prop. 6.1).
    avi_closed_form : numpy.ndarray, shape (G,)
        :math:`(1-\delta)(1-\gamma^{K-3})\, 2\gamma\epsilon/(1-\gamma)^2`,
        AVI's loss in closed form (see the function's Notes).
    mdvi_bound : numpy.ndarray, shape (G,)
        Vieillard et al. Thm 1 at the last iteration :math:`K`:
        :math:`\frac{2}{1-\gamma}\|\frac1K\sum_{j}\epsilon_j\|_\infty
        + \frac{4}{(1-\gamma)^2}\frac{r_{max} + \gamma\lambda\log|A|}{K}`.
    mdvi_last_loss : numpy.ndarray, shape (G,)
        MD-VI's :math:`\|q^* - q^{\pi_K}\|_\infty` (compared with ``mdvi_bound``).
    epsilon, kl_weight, margin : float
    """

    gammas: np.ndarray
    horizons: np.ndarray
    n_states: np.ndarray
    n_iter: np.ndarray
    avi_loss: np.ndarray
    mdvi_loss: np.ndarray
    avi_bound: np.ndarray
    avi_closed_form: np.ndarray
    mdvi_bound: np.ndarray
    mdvi_last_loss: np.ndarray
    epsilon: float
    kl_weight: float
    margin: float


def _adversarial_chain(gamma: float, epsilon: float, margin: float, chain_factor: float):
    """The chain MDP and error sequence of :func:`error_propagation_experiment`."""
    N = int(np.ceil(chain_factor / (1.0 - gamma))) + 3
    P = np.zeros((N, 2, N))
    P[0, :, 0] = 1.0
    for i in range(1, N):
        P[i, 0, i - 1] = 1.0  # 'left'
        P[i, 1, i] = 1.0  # 'stay'
    i = np.arange(N)
    # stay reward c_i = -(1 - margin) 2 gamma eps (1 - gamma^(i-1)) / (1 - gamma)
    c = -(1.0 - margin) * 2.0 * gamma * epsilon * (1.0 - gamma ** np.maximum(i - 1, 0)) / (1.0 - gamma)
    R = np.zeros((N, 2))
    R[:, 1] = np.where(i >= 2, c, 0.0)
    mask = np.ones((N, 2), dtype=bool)
    mask[:2, 1] = False  # no 'stay' in the absorbing state 0 and in state 1
    mdp = FiniteMDP(P, R, gamma=gamma, action_mask=mask)
    K = N - 2
    E = np.zeros((K, N, 2))
    for k in range(K):  # e_k = eps (1_{k+1} - 1_k), the same for both actions
        E[k, k, :] -= epsilon
        E[k, k + 1, :] += epsilon
    return mdp, E


def error_propagation_experiment(
    gammas, epsilon: float = 0.01, kl_weight: float = 1.0, *, margin: float = 1e-3, chain_factor: float = 6.0
) -> ErrorPropagationResult:
    r"""AVI accumulates evaluation errors (loss :math:`\propto H^2`), KL-regularized MD-VI averages them.

    For every :math:`\gamma` a deterministic chain with states
    :math:`0, \dots, N-1`, :math:`N = \lceil c_N H\rceil + 3`: state 0 is
    absorbing with reward 0; every state :math:`i \ge 1` has 'left'
    (:math:`\to i-1`, reward 0) and, for :math:`i \ge 2`, 'stay' with reward
    :math:`c_i = -(1-\delta)\,2\gamma\epsilon(1-\gamma^{i-1})/(1-\gamma) < 0`,
    so :math:`q^* = 0` on 'left' and 'left' everywhere is optimal. Both
    algorithms start at :math:`q_0 = 0` and receive the same persistent but
    *moving* errors :math:`\epsilon_k = \epsilon(\mathbf 1_{k+1} - \mathbf 1_k)`
    (both actions), :math:`\|\epsilon_k\|_\infty = \epsilon`:

    * AVI (:func:`mirror_descent_value_iteration` with ``kl_weight = 0``):
      the wave of errors builds :math:`q_k(k, \cdot) - q_k(k-1, \cdot) \to
      2\epsilon/(1-\gamma)`, so the greedy policy stays at the front state
      and loses :math:`-c_i/(1-\gamma) \to (1-\delta)\,2\gamma\epsilon/(1-\gamma)^2`:
      the bound of Bertsekas & Tsitsiklis (1996, Prop. 6.1) is attained up to
      :math:`1-\delta` (the Scherrer & Lesner 2012 style tightness example).
      A *constant* error cannot do this: then AVI converges to the optimal
      q of the reward :math:`r + \epsilon`, whose greedy policy loses at most
      :math:`2\epsilon/(1-\gamma)`; and i.i.d. zero-mean errors cancel.
    * MD-VI (``kl_weight`` :math:`= \lambda > 0`, no entropy): the policy is
      the softmax of :math:`\lambda^{-1}\sum_j q_j`, and Vieillard et al.
      (2020), Thm 1 bounds its loss by
      :math:`\frac{2}{1-\gamma}\|\frac1k\sum_{j\le k}\epsilon_j\|_\infty` plus
      :math:`\frac{4}{(1-\gamma)^2}\frac{r_{max}+\gamma\lambda\log|A|}{k}`;
      here the sum telescopes, :math:`\|\sum_j\epsilon_j\|_\infty = \epsilon`
      (:math:`2\epsilon`-bounded in any case, i.e. at most linear in
      :math:`H` for a persistent :math:`\epsilon`).

    Parameters
    ----------
    gammas : array_like
        Discounts in (0, 1).
    epsilon : float
        :math:`\|\epsilon_k\|_\infty > 0`.
    kl_weight : float
        :math:`\lambda > 0` of MD-VI.
    margin : float
        :math:`\delta \in (0, 1)`: makes 'stay' strictly worse than the wave's
        advantage so that ties never occur.
    chain_factor : float
        :math:`c_N`; the finite chain costs a factor
        :math:`1-\gamma^{K - 2H - 1} \approx 1 - e^{-c_N + 3}` in the attained loss.

    Notes
    -----
    ``avi_loss`` and ``mdvi_loss`` are value losses
    :math:`\|v^*-v^{\pi_k}\|_\infty` (:math:`v^* = 0`); AVI's greedy
    :math:`\pi_k` stays exactly at the front :math:`i = k-2` of the error wave
    (:math:`k \ge 4`), so its loss is :math:`-c_{k-2}/(1-\gamma) =
    (1-\delta)(1-\gamma^{k-3})\,2\gamma\epsilon/(1-\gamma)^2` in closed form
    (increasing in :math:`k`; the window's maximum is at :math:`k = K`).
    ``mdvi_last_loss`` is Thm 1's quantity :math:`\|q^*-q^{\pi_K}\|_\infty`.

    References
    ----------
    D. P. Bertsekas, J. N. Tsitsiklis, *Neuro-Dynamic Programming* (1996),
    Prop. 6.1. B. Scherrer, B. Lesner, "On the use of non-stationary policies
    for stationary infinite-horizon Markov decision processes", NIPS 2012
    (tightness of :math:`2\gamma\epsilon/(1-\gamma)^2`). N. Vieillard et al.,
    NeurIPS 2020, Thm 1.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import error_propagation_experiment
    >>> res = error_propagation_experiment([0.8, 0.9])
    >>> bool(np.allclose(res.avi_loss, res.avi_closed_form, rtol=1e-9) and np.all(res.avi_loss <= res.avi_bound))
    True
    >>> bool(np.all(res.mdvi_loss < res.avi_loss / 5))
    True
    """
    g = np.atleast_1d(np.asarray(gammas, dtype=float))
    if g.ndim != 1 or g.size == 0 or not np.all((g > 0) & (g < 1)):
        raise ValueError(f"gammas must be a non-empty 1-d array of discounts in (0, 1), got {gammas!r}")
    for name, x in (("epsilon", epsilon), ("kl_weight", kl_weight), ("chain_factor", chain_factor)):
        if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(x) or x <= 0:
            raise ValueError(f"{name} = {x!r} must be a finite number > 0")
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real) or not 0 < margin < 1:
        raise ValueError(f"margin = {margin!r} must be in (0, 1)")
    eps, lam, delta = float(epsilon), float(kl_weight), float(margin)
    out = {k: [] for k in ("N", "K", "avi", "md", "bnd", "low", "mdb", "mdl")}
    for gamma in g:
        mdp, E = _adversarial_chain(float(gamma), eps, delta, float(chain_factor))
        N, K = mdp.n_states, E.shape[0]
        H = 1.0 / (1.0 - gamma)
        w = int(np.ceil(2 * H))
        avi = mirror_descent_value_iteration(mdp, 0.0, n_iter=K, errors=E)
        md = mirror_descent_value_iteration(mdp, lam, n_iter=K, errors=E)
        out["N"].append(N)
        out["K"].append(K)
        from rltheory.tabular._policy_iteration import policy_iteration

        v_star = np.asarray(policy_iteration(mdp).v)
        for key, res in (("avi", avi), ("md", md)):
            out[key].append(
                max(float(np.max(v_star - regularized_policy_evaluation(mdp, p, 0.0)[0])) for p in res.policies[-w:])
            )
        # Bertsekas & Tsitsiklis (1996), Prop. 6.1: limsup ||v* - v^{pi_k}|| <= 2 gamma eps / (1-gamma)^2
        bnd = 2.0 * gamma * eps / (1.0 - gamma) ** 2
        out["bnd"].append(bnd)
        # pi_k stays at the wave's front i = k - 2 and loses -c_i/(1-gamma); the window's worst is k = K
        out["low"].append((1.0 - delta) * (1.0 - gamma ** (K - 3)) * bnd)
        # Vieillard et al. (2020), Thm 1 (tau = 0): 2/(1-g) ||E_K / K|| + 4/(1-g)^2 (r_max + g lam log|A|) / K
        avg = float(np.max(np.abs(E.sum(axis=0)))) / K
        rmax = float(np.max(np.abs(mdp.R)))
        out["mdb"].append(2.0 * H * avg + 4.0 * H**2 * (rmax + gamma * lam * np.log(mdp.n_actions)) / K)
        out["mdl"].append(float(md.suboptimality[-1]))
    arr = {k: readonly(np.array(v)) for k, v in out.items()}
    return ErrorPropagationResult(
        gammas=readonly(g.copy()),
        horizons=readonly(1.0 / (1.0 - g)),
        n_states=arr["N"],
        n_iter=arr["K"],
        avi_loss=arr["avi"],
        mdvi_loss=arr["md"],
        avi_bound=arr["bnd"],
        avi_closed_form=arr["low"],
        mdvi_bound=arr["mdb"],
        mdvi_last_loss=arr["mdl"],
        epsilon=eps,
        kl_weight=lam,
        margin=delta,
    )
