r"""Policy optimization with exact gradients on tabular MDPs.

Softmax policies :math:`\pi_\theta(a|s) \propto \exp\theta(s,a)` (over allowed
actions), the exact policy gradient through occupancy measures, natural
policy gradient (with entropy regularization), policy mirror descent (KL or
Euclidean Bregman divergence, any step-size schedule, ``inf`` = policy
iteration), MDPO with inexact inner loops, the hard-KL trust-region step,
and the PMD-mean update of Xu et al. (2026). Runners return the whole
trajectory of iterates and suboptimality gaps.

All values are discounted values at the model's ``gamma < 1``; the objective
is :math:`V^\pi(\mu) = \mu^\top v^\pi` with :math:`\mu` the
``initial_distribution`` argument (default: the model's, else uniform).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import (
    check_finite,
    check_int,
    check_max_iter,
    check_probability_vector,
    check_real,
    check_shape,
    readonly,
)
from rltheory.tabular._model import FiniteMDP

__all__ = [
    "PMDMeanStep",
    "PolicyOptimizationResult",
    "mdpo",
    "natural_policy_gradient",
    "pmd_mean_step",
    "policy_gradient",
    "policy_mirror_descent",
    "softmax_policy",
    "softmax_policy_gradient",
    "trust_region_policy_optimization",
]


@dataclass(frozen=True, eq=False)
class PolicyOptimizationResult:
    r"""Trajectory of a policy-optimization run.

    Attributes
    ----------
    v : numpy.ndarray, shape (S,)
        :math:`v^{\pi_T}_\tau` of the last policy (regularized when ``temperature > 0``).
    action_probabilities : numpy.ndarray, shape (S, A)
        The last policy :math:`\pi_T`.
    iterations : int
        :math:`T`, the number of updates (there is no stopping rule: the
        runners take exactly ``max_iter`` steps, or one per step size).
    values_history : numpy.ndarray, shape (T + 1, S)
        :math:`v^{\pi_t}_\tau` (regularized when ``temperature > 0``).
    action_probabilities_history : numpy.ndarray, shape (T + 1, S, A)
        :math:`\pi_0, \dots, \pi_T`.
    objective : numpy.ndarray, shape (T + 1,)
        :math:`\mu^\top v^{\pi_t}_\tau`.
    suboptimality : numpy.ndarray, shape (T + 1,)
        :math:`\mu^\top (v^*_\tau - v^{\pi_t}_\tau)`.
    sup_suboptimality : numpy.ndarray, shape (T + 1,)
        :math:`\|v^*_\tau - v^{\pi_t}_\tau\|_\infty`.
    optimal_value : numpy.ndarray, shape (S,)
        :math:`v^*_\tau` (policy iteration / soft policy iteration).
    step_sizes : numpy.ndarray, shape (T,)
    temperature : float
        Entropy weight :math:`\tau` (0 = unregularized).
    initial_distribution : numpy.ndarray, shape (S,)

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, policy_mirror_descent
    >>> res = policy_mirror_descent(FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=0.5), [1.0, 1.0])
    >>> res.iterations, res.values_history.shape, bool(res.suboptimality[-1] < res.suboptimality[0])
    (2, (3, 1), True)
    """

    v: np.ndarray
    action_probabilities: np.ndarray
    iterations: int
    values_history: np.ndarray
    action_probabilities_history: np.ndarray
    objective: np.ndarray
    suboptimality: np.ndarray
    sup_suboptimality: np.ndarray
    optimal_value: np.ndarray
    step_sizes: np.ndarray
    temperature: float
    initial_distribution: np.ndarray


@dataclass(frozen=True, eq=False)
class PMDMeanStep:
    r"""One PMD-mean update on a (contextual) bandit; see :func:`pmd_mean_step`.

    Attributes
    ----------
    action_probabilities : numpy.ndarray, shape (S, A)
        PMD-mean population solution :math:`\pi_{new}`.
    chi2_weight : numpy.ndarray, shape (S,)
        :math:`\kappa(s) \ge 0` with
        :math:`\pi_{new}(s) = \arg\max_p \langle p, r\rangle - \tau\mathrm{KL}(p\|\pi)
        - \tfrac{\tau\kappa}{2}\chi^2(p\|\pi)`.
    exact_action_probabilities : numpy.ndarray, shape (S, A)
        The exact KL-PMD step :math:`\pi e^{r/\tau}/Z`.
    mean_reward : numpy.ndarray, shape (S,)
        :math:`\bar r = \mathbb{E}_{a\sim\pi} r`.

    Examples
    --------
    >>> from rltheory.tabular import pmd_mean_step
    >>> step = pmd_mean_step([0.5, 0.5], [0.0, 0.0], 1.0)  # constant rewards: no move, kappa = 0
    >>> step.action_probabilities, step.chi2_weight, step.mean_reward
    (array([[0.5, 0.5]]), array([0.]), array([0.]))
    """

    action_probabilities: np.ndarray
    chi2_weight: np.ndarray
    exact_action_probabilities: np.ndarray
    mean_reward: np.ndarray


# ====================================================================== basics
def _mu(mdp, initial_distribution):
    if initial_distribution is not None:
        return check_probability_vector("initial_distribution", initial_distribution, mdp.n_states)
    if mdp.initial_distribution is not None:
        return np.asarray(mdp.initial_distribution, dtype=float)
    return np.full(mdp.n_states, 1.0 / mdp.n_states)


def softmax_policy(theta, action_mask=None) -> np.ndarray:
    r"""Softmax policy :math:`\pi_\theta(a|s) = e^{\theta(s,a)} / \sum_{b} e^{\theta(s,b)}` over allowed actions.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import softmax_policy
    >>> softmax_policy(np.array([[0.0, np.log(3.0)]]))
    array([[0.25, 0.75]])
    """
    theta = np.asarray(theta, dtype=float)
    if theta.ndim != 2:
        raise ValueError(f"theta must have shape (S, A), got {theta.shape}")
    mask = np.ones(theta.shape, dtype=bool) if action_mask is None else np.asarray(action_mask, dtype=bool)
    check_shape("action_mask", mask, theta.shape)
    if not mask.any(axis=1).all():
        raise ValueError(f"action_mask row {int(np.argmin(mask.any(axis=1)))} allows no action")
    z = np.where(mask, theta, -np.inf)
    if np.isnan(z).any() or np.isposinf(z).any():
        raise ValueError("theta must be finite on allowed actions")
    z = z - z.max(axis=1, keepdims=True)
    w = np.exp(z)
    return w / w.sum(axis=1, keepdims=True)


class _Evaluator:
    """Exact (regularized) evaluation of stochastic policies on a fixed model."""

    def __init__(self, mdp: FiniteMDP, tau: float = 0.0):
        self.mdp = mdp
        self.P = mdp.dense_P
        self.R = np.asarray(mdp.R, dtype=float)
        self.mask = np.asarray(mdp.action_mask)
        self.g = mdp.gamma
        self.tau = tau
        self.S, self.A = mdp.n_states, mdp.n_actions

    def value(self, pi):
        """``(v, q)``: v = (I - gamma P_pi)^{-1}(r_pi + tau H(pi)), q = r + gamma P v (0 on masked)."""
        P_pi = np.einsum("sa,saj->sj", pi, self.P)
        r_pi = np.einsum("sa,sa->s", pi, np.where(self.mask, self.R, 0.0))
        if self.tau > 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                r_pi = r_pi - self.tau * np.where(pi > 0, pi * np.log(np.where(pi > 0, pi, 1.0)), 0.0).sum(axis=1)
        v = np.linalg.solve(np.eye(self.S) - self.g * P_pi, r_pi)
        q = np.where(self.mask, self.R + self.g * np.einsum("saj,j->sa", self.P, v), 0.0)
        return v, q

    def occupancy(self, pi, mu):
        """State occupancy d_mu^pi(s) = sum_t gamma^t Pr(s_t = s) (mass 1/(1-gamma))."""
        P_pi = np.einsum("sa,saj->sj", pi, self.P)
        return np.linalg.solve((np.eye(self.S) - self.g * P_pi).T, mu)

    def optimum(self):
        if self.tau > 0:
            from rltheory.tabular._regularized import soft_policy_iteration

            return np.array(soft_policy_iteration(self.mdp, self.tau).v)
        from rltheory.tabular._policy_iteration import policy_iteration

        return np.array(policy_iteration(self.mdp).v)


def policy_gradient(mdp: FiniteMDP, theta, initial_distribution=None) -> np.ndarray:
    r"""Exact gradient of :math:`V^{\pi_\theta}(\mu)` for the tabular softmax parameterization.

    .. math::

        \frac{\partial V^{\pi_\theta}(\mu)}{\partial \theta(s,a)}
        = d^{\pi_\theta}_\mu(s)\, \pi_\theta(a|s)\, A^{\pi_\theta}(s,a),

    with :math:`d_\mu^\pi(s) = \sum_t \gamma^t \Pr^\pi_\mu(s_t = s)` the
    (unnormalized, mass :math:`1/(1-\gamma)`) discounted state occupancy and
    :math:`A^\pi = Q^\pi - V^\pi` (Agarwal, Kakade, Lee & Mahajan 2021,
    JMLR 22, Sec. 4 (softmax parameterization); Mei et al. 2020, Lemma 1). Zero on masked
    actions.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, policy_gradient
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=0.5)
    >>> policy_gradient(mdp, np.zeros((1, 2)))  # d = 2, pi = 1/2, A = +-1/2
    array([[ 0.5, -0.5]])
    """
    FiniteMDP.require(mdp, "discounted", "policy_gradient")
    theta = np.asarray(theta, dtype=float)
    check_shape("theta", theta, (mdp.n_states, mdp.n_actions))
    ev = _Evaluator(mdp)
    pi = softmax_policy(theta, mdp.action_mask)
    v, q = ev.value(pi)
    d = ev.occupancy(pi, _mu(mdp, initial_distribution))
    return np.where(ev.mask, d[:, None] * pi * (q - v[:, None]), 0.0)


def _initial_policy(mdp, policy0):
    mask = np.asarray(mdp.action_mask)
    if policy0 is None:
        return mask / mask.sum(axis=1, keepdims=True)
    pi = mdp.policy_matrix(policy0)
    return np.array(pi, dtype=float)


def _run(mdp, ev: _Evaluator, pis, steps, mu) -> PolicyOptimizationResult:
    vstar = ev.optimum()
    values = np.array([ev.value(p)[0] for p in pis])
    obj = values @ mu
    return PolicyOptimizationResult(
        v=readonly(values[-1]),
        action_probabilities=readonly(np.array(pis[-1])),
        iterations=len(pis) - 1,
        values_history=readonly(values),
        action_probabilities_history=readonly(np.array(pis)),
        objective=readonly(obj),
        suboptimality=readonly(float(mu @ vstar) - obj),
        sup_suboptimality=readonly(np.max(vstar[None, :] - values, axis=1)),
        optimal_value=readonly(vstar),
        step_sizes=readonly(np.asarray(steps, dtype=float)),
        temperature=ev.tau,
        initial_distribution=readonly(np.array(mu)),
    )


# ====================================================================== softmax PG
def softmax_policy_gradient(
    mdp: FiniteMDP, *, step_size: float | None = None, max_iter: int = 1000, theta0=None, initial_distribution=None
) -> PolicyOptimizationResult:
    r"""Exact softmax policy gradient ascent :math:`\theta_{t+1} = \theta_t + \eta \nabla_\theta
    V^{\pi_{\theta_t}}(\mu)`.

    Mei, Xiao, Szepesvari & Schuurmans (2020), "On the global convergence
    rates of softmax policy gradient methods", ICML, Theorem 4: with
    :math:`\eta = (1-\gamma)^3/8` (the default; :math:`1/L` for the smoothness
    constant :math:`L = 8/(1-\gamma)^3` of their Lemma 7) and :math:`\mu > 0`,

    .. math::

        V^*(\mu) - V^{\pi_{\theta_t}}(\mu) \le \frac{16\, S}{c^2 (1-\gamma)^6\, t}
        \Big\|\frac{d^{\pi^*}_\mu}{\mu}\Big\|_\infty^2 \Big\|\frac{1}{\mu}\Big\|_\infty,
        \qquad c = \inf_{t} \min_s \pi_{\theta_t}(a^*(s)|s) > 0,

    (:math:`d` normalized to a distribution there) — an :math:`O(1/t)` rate.

    Parameters
    ----------
    mdp : FiniteMDP
    step_size : float, optional
        Default :math:`(1-\gamma)^3/8`.
    max_iter : int
        Number of gradient steps :math:`T` (>= 0; there is no stopping rule).
    theta0 : array_like, shape (S, A), optional
        Default 0 (uniform policy).
    initial_distribution : array_like, shape (S,), optional

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, softmax_policy_gradient
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=0.5)
    >>> res = softmax_policy_gradient(mdp, max_iter=200)
    >>> bool(res.suboptimality[-1] < res.suboptimality[0])
    True
    """
    FiniteMDP.require(mdp, "discounted", "softmax_policy_gradient")
    eta = (1 - mdp.gamma) ** 3 / 8 if step_size is None else check_real("step_size", step_size, low=0.0, low_open=True)
    n = check_max_iter(max_iter)
    S, A = mdp.n_states, mdp.n_actions
    theta = np.zeros((S, A)) if theta0 is None else np.array(theta0, dtype=float)
    check_shape("theta0", theta, (S, A))
    check_finite("theta0", np.where(np.asarray(mdp.action_mask), theta, 0.0))
    mu = _mu(mdp, initial_distribution)
    ev = _Evaluator(mdp)
    pis = [softmax_policy(theta, mdp.action_mask)]
    for _ in range(n):
        pi = pis[-1]
        v, q = ev.value(pi)
        d = ev.occupancy(pi, mu)
        grad = np.where(
            ev.mask, d[:, None] * pi * (q - v[:, None]), 0.0
        )  # Agarwal et al. 2021, Sec. 4; Mei et al. 2020, Lemma 1
        theta = theta + eta * grad
        pis.append(softmax_policy(theta, mdp.action_mask))
    return _run(mdp, ev, pis, np.full(n, eta), mu)


# ====================================================================== NPG
def natural_policy_gradient(
    mdp: FiniteMDP,
    *,
    step_size: float,
    max_iter: int = 100,
    temperature: float = 0.0,
    policy0=None,
    initial_distribution=None,
) -> PolicyOptimizationResult:
    r"""(Entropy-regularized) natural policy gradient for softmax policies, exact evaluation.

    Cen, Cheng, Chen, Wei & Chi (2022), "Fast global convergence of natural
    policy gradient methods with entropy regularization", Oper. Res. 70(4),
    Sec. 2 (NPG update under softmax parameterization): with :math:`0 < \eta \le (1-\gamma)/\tau`,

    .. math::

        \pi^{(t+1)}(a|s) \propto \pi^{(t)}(a|s)^{1 - \frac{\eta\tau}{1-\gamma}}
        \exp\Big(\frac{\eta\, Q^{(t)}_\tau(s,a)}{1-\gamma}\Big),

    and Theorem 1: :math:`\|Q^*_\tau - Q^{(t+1)}_\tau\|_\infty \le C_1 \gamma (1-\eta\tau)^t`,
    :math:`\|\log\pi^*_\tau - \log\pi^{(t+1)}\|_\infty \le 2 C_1 \tau^{-1}(1-\eta\tau)^t`,
    :math:`C_1 = \|Q^*_\tau - Q^{(0)}_\tau\|_\infty + 2\tau(1 - \frac{\eta\tau}{1-\gamma})\|\log\pi^*_\tau -
    \log\pi^{(0)}\|_\infty`.
    Regularized values :math:`V_\tau^\pi = \mathbb{E}\sum_t\gamma^t(r - \tau\log\pi)`.
    ``temperature = 0`` is unregularized NPG (Kakade 2001; Agarwal et al.
    2021, Theorem 16: :math:`V^*(\rho) - V^{(T)}(\rho) \le \frac{\log|A|}{\eta T} + \frac{1}{(1-\gamma)^2 T}`).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, natural_policy_gradient
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=0.5)
    >>> res = natural_policy_gradient(mdp, step_size=5.0, temperature=0.1, max_iter=60)
    >>> bool(res.sup_suboptimality[-1] < 1e-10)
    True
    """
    FiniteMDP.require(mdp, "discounted", "natural_policy_gradient")
    eta = check_real("step_size", step_size, low=0.0, low_open=True)
    n = check_max_iter(max_iter)
    tau = check_real("temperature", temperature, low=0.0)
    if tau > 0 and eta > (1 - mdp.gamma) / tau * (1 + 1e-12):
        raise ValueError(
            f"step_size = {eta!r} must be <= (1 - gamma) / temperature = {(1 - mdp.gamma) / tau!r} (Cen et al. 2022, "
            "Thm. 1)"
        )
    mu = _mu(mdp, initial_distribution)
    ev = _Evaluator(mdp, tau)
    pi = _initial_policy(mdp, policy0)
    if tau > 0 and (pi[ev.mask] <= 0).any():
        raise ValueError("policy0 must put positive mass on every allowed action when temperature > 0")
    pis = [pi]
    alpha = 1 - eta * tau / (1 - mdp.gamma)
    for _ in range(n):
        _, q = ev.value(pi)
        # alpha = 0 (the largest step eta = (1 - gamma) / tau) drops the prior term exactly,
        # instead of forming 0 * log(0) = nan where a probability has underflowed to 0
        with np.errstate(divide="ignore"):
            prior = alpha * np.log(pi, where=ev.mask, out=np.zeros_like(pi)) if alpha != 0 else 0.0
        logits = np.where(ev.mask, prior + eta * q / (1 - mdp.gamma), -np.inf)  # Cen et al. 2022, Sec. 2 update rule
        logits -= logits.max(axis=1, keepdims=True)
        pi = np.exp(logits)
        pi /= pi.sum(axis=1, keepdims=True)
        pis.append(pi)
    return _run(mdp, ev, pis, np.full(n, eta), mu)


# ====================================================================== PMD
def _project_simplex(y: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Euclidean projection of each row onto the simplex over allowed actions (Duchi et al. 2008, Fig. 1)."""
    out = np.zeros_like(y)
    for s in range(y.shape[0]):
        idx = np.flatnonzero(allowed[s])
        u = np.sort(y[s, idx])[::-1]
        css = np.cumsum(u) - 1.0
        k = np.arange(1, u.size + 1)
        rho = np.flatnonzero(u - css / k > 0)[-1]
        out[s, idx] = np.maximum(y[s, idx] - css[rho] / (rho + 1), 0.0)
    return out


def _greedy_step(pi, q, mask, atol):
    qm = np.where(mask, q, -np.inf)
    best = qm >= qm.max(axis=1, keepdims=True) - atol
    keep = np.where(best, pi, 0.0)
    mass = keep.sum(axis=1, keepdims=True)
    uniform = best / best.sum(axis=1, keepdims=True)
    return np.where(mass > 0, keep / np.where(mass > 0, mass, 1.0), uniform)


def _pmd_update(pi, q, eta, mask, divergence):
    if np.isinf(eta):
        return _greedy_step(pi, q, mask, 1e-12 * max(1.0, float(np.max(np.abs(q)))))
    if divergence == "kl":
        with np.errstate(divide="ignore"):
            logits = np.where(mask & (pi > 0), np.log(np.where(pi > 0, pi, 1.0)) + eta * q, -np.inf)
        logits -= logits.max(axis=1, keepdims=True)
        new = np.exp(logits)
        return new / new.sum(axis=1, keepdims=True)
    return _project_simplex(pi + eta * np.where(mask, q, 0.0), mask)


def policy_mirror_descent(
    mdp: FiniteMDP, step_sizes, *, divergence: str = "kl", policy0=None, initial_distribution=None
) -> PolicyOptimizationResult:
    r"""Exact policy mirror descent with any step-size schedule.

    .. math::

        \pi_{k+1}(\cdot|s) = \arg\max_{p \in \Delta(A)}\ \eta_k \langle p, Q^{\pi_k}(s,\cdot)\rangle
        - D(p, \pi_k(\cdot|s)),

    with :math:`D` the KL divergence (closed form
    :math:`\pi_{k+1} \propto \pi_k e^{\eta_k Q^{\pi_k}}`) or half the squared
    Euclidean distance (projected Q-ascent, Duchi et al. 2008 projection).
    An infinite step is the greedy step — the :math:`\eta\to\infty` limit
    of the KL update, :math:`\pi_k` restricted to :math:`\arg\max_a Q^{\pi_k}`
    (uniform on it when :math:`\pi_k` has no mass there) — so
    ``step_sizes = inf`` is policy iteration (Xiao 2022, Sec. 4).

    Guarantees (exact evaluation): the values improve monotonically,
    :math:`V^{\pi_{k+1}} \ge V^{\pi_k}` pointwise (Xiao 2022, JMLR 23,
    Sec. 4 / Lan 2022, Sec. 3 — three-point lemma); with geometrically
    increasing steps :math:`\eta_{k+1} \ge \eta_k/\gamma` the gap converges
    linearly at rate :math:`\gamma` (Xiao 2022, Sec. 4.2, linear convergence
    with increasing step sizes; Lan 2022, Math. Program. 198, Thm. 3/5;
    Johnson, Pike-Burke & Rebeschini 2023 for the exact :math:`\gamma` rate).

    Parameters
    ----------
    mdp : FiniteMDP
    step_sizes : array_like, shape (K,)
        :math:`\eta_0, \dots, \eta_{K-1}` (positive; ``inf`` allowed).
    divergence : {"kl", "euclidean"}
    policy0 : array_like, optional
        Default uniform over allowed actions (KL needs full support to move).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, policy_mirror_descent
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=0.5)
    >>> res = policy_mirror_descent(mdp, [np.inf])
    >>> res.action_probabilities, res.sup_suboptimality
    (array([[1., 0.]]), array([1., 0.]))
    """
    FiniteMDP.require(mdp, "discounted", "policy_mirror_descent")
    if divergence not in ("kl", "euclidean"):
        raise ValueError(f"divergence = {divergence!r} must be 'kl' or 'euclidean'")
    steps = np.atleast_1d(np.asarray(step_sizes, dtype=float))
    if steps.ndim != 1 or np.isnan(steps).any() or (steps <= 0).any():
        raise ValueError(f"step_sizes must be a 1-d sequence of positive numbers (inf allowed), got {step_sizes!r}")
    mu = _mu(mdp, initial_distribution)
    ev = _Evaluator(mdp)
    pi = _initial_policy(mdp, policy0)
    pis = [pi]
    for eta in steps:
        _, q = ev.value(pi)
        pi = _pmd_update(pi, q, float(eta), ev.mask, divergence)
        pis.append(pi)
    return _run(mdp, ev, pis, steps, mu)


def mdpo(
    mdp: FiniteMDP,
    step_size: float,
    *,
    max_iter: int = 50,
    inner_steps: int = 10,
    inner_learning_rate: float = 1.0,
    policy0=None,
    initial_distribution=None,
) -> PolicyOptimizationResult:
    r"""On-policy Mirror Descent Policy Optimization (Tomar, Shani, Efroni & Ghavamzadeh, ICLR 2022) with exact
    gradients.

    Each outer iteration approximately solves the KL-PMD subproblem

    .. math::

        \max_\theta\ \sum_s d_k(s)\Big[\langle \pi_\theta(\cdot|s), A^{\pi_k}(s,\cdot)\rangle
        - \tfrac{1}{t_k}\mathrm{KL}\big(\pi_\theta(\cdot|s)\,\|\,\pi_k(\cdot|s)\big)\Big]

    by ``inner_steps`` (:math:`m`) gradient-ascent steps on the softmax
    logits started at :math:`\theta_k` (their Alg. 1, with exact
    gradients; the state weights :math:`d_k(s) > 0` do not change the
    maximizer, so each state's objective is ascended with the same rate).
    With :math:`m \to \infty` this is exact KL-PMD with
    :math:`\eta = t_k` = ``step_size``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, mdpo
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=0.5)
    >>> res = mdpo(mdp, 1.0, max_iter=20, inner_steps=5)
    >>> bool(res.sup_suboptimality[-1] < res.sup_suboptimality[0])
    True
    """
    FiniteMDP.require(mdp, "discounted", "mdpo")
    t = check_real("step_size", step_size, low=0.0, low_open=True)
    lr = check_real("inner_learning_rate", inner_learning_rate, low=0.0, low_open=True)
    n = check_max_iter(max_iter)
    m = check_int("inner_steps", inner_steps, low=0)
    mu = _mu(mdp, initial_distribution)
    ev = _Evaluator(mdp)
    pi = _initial_policy(mdp, policy0)
    if (pi[ev.mask] <= 0).any():
        raise ValueError("policy0 must put positive mass on every allowed action (softmax parameterization)")
    pis = [pi]
    for _ in range(n):
        v, q = ev.value(pi)
        adv = np.where(ev.mask, q - v[:, None], 0.0)
        logpi_k = np.log(np.where(ev.mask, pi, 1.0))
        theta = np.where(ev.mask, logpi_k, 0.0)
        for _ in range(m):
            p = softmax_policy(theta, ev.mask)
            g = np.where(ev.mask, adv - (np.log(np.where(ev.mask, p, 1.0)) - logpi_k + 1.0) / t, 0.0)
            grad = p * (g - np.sum(p * g, axis=1, keepdims=True))  # softmax Jacobian applied to dL/dp
            theta = theta + lr * grad
        pi = softmax_policy(theta, ev.mask)
        pis.append(pi)
    return _run(mdp, ev, pis, np.full(n, t), mu)


def _kl_rows(p, q, mask):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mask & (p > 0), p * np.log(np.where(p > 0, p, 1.0) / np.where(q > 0, q, 1.0)), 0.0).sum(axis=1)


def _trust_region_row(pi, adv, allowed, delta):
    """argmax <p, adv> s.t. KL(p || pi) <= delta on one state: p ∝ pi exp(adv / lam), lam by bisection."""
    idx = np.flatnonzero(allowed & (pi > 0))
    a, p0 = adv[idx], pi[idx]
    best = a >= a.max() - 1e-15 * max(1.0, abs(a.max()))
    greedy = np.where(best, p0, 0.0) / p0[best].sum()
    out = np.zeros_like(pi)
    if float(np.sum(np.where(greedy > 0, greedy * np.log(np.where(greedy > 0, greedy, 1) / p0), 0.0))) <= delta:
        out[idx] = greedy
        return out

    def kl_at(log_inv_lam):
        z = np.log(p0) + a * np.exp(log_inv_lam)
        z -= z.max()
        p = np.exp(z)
        p /= p.sum()
        return p, float(np.sum(np.where(p > 0, p * (np.log(np.where(p > 0, p, 1)) - np.log(p0)), 0.0)))

    lo, hi = -60.0, 60.0  # log(1/lambda); KL is increasing in 1/lambda
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if kl_at(mid)[1] > delta:
            hi = mid
        else:
            lo = mid
    out[idx] = kl_at(lo)[0]
    return out


def trust_region_policy_optimization(
    mdp: FiniteMDP, max_kl: float, *, max_iter: int = 50, policy0=None, initial_distribution=None
) -> PolicyOptimizationResult:
    r"""Exact hard-KL trust-region policy steps (the constrained form of MDPO / TRPO).

    .. math::

        \pi_{k+1}(\cdot|s) = \arg\max_{p}\ \langle p, A^{\pi_k}(s,\cdot)\rangle
        \quad\text{s.t.}\quad \mathrm{KL}(p\,\|\,\pi_k(\cdot|s)) \le \delta,

    solved per state: the maximizer is :math:`\pi_k e^{A/\lambda}/Z` with the
    multiplier :math:`\lambda \ge 0` set by bisection so the constraint is
    active (or the greedy restriction when it is feasible). Schulman et al.
    2015 (TRPO, the KL-constrained surrogate problem, here per state); Tomar et al. 2022, Sec. 3.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, trust_region_policy_optimization
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=0.5)
    >>> res = trust_region_policy_optimization(mdp, 0.1, max_iter=3)
    >>> bool(np.all(np.diff(res.objective) > 0))
    True
    """
    FiniteMDP.require(mdp, "discounted", "trust_region_policy_optimization")
    delta = check_real("max_kl", max_kl, low=0.0, low_open=True)
    n = check_max_iter(max_iter)
    mu = _mu(mdp, initial_distribution)
    ev = _Evaluator(mdp)
    pi = _initial_policy(mdp, policy0)
    pis = [pi]
    for _ in range(n):
        v, q = ev.value(pi)
        adv = q - v[:, None]
        pi = np.array([_trust_region_row(pi[s], adv[s], ev.mask[s], delta) for s in range(ev.S)])
        pis.append(pi)
    return _run(mdp, ev, pis, np.full(n, delta), mu)


# ====================================================================== PMD-mean
def pmd_mean_step(policy, rewards, temperature: float) -> PMDMeanStep:
    r"""The PMD-mean population update on a (contextual) bandit and its mixed KL-:math:`\chi^2` form.

    Exact KL-PMD needs the log-partition function:
    :math:`\pi_{new} = \pi e^{r/\tau}/Z`. PMD-mean (Xu, Lu, Yu & Zhao 2026,
    arXiv:2602.05933) replaces :math:`\tau\log Z` by the mean reward
    :math:`\bar r = \mathbb{E}_\pi r` and regresses in log-policy space:
    the population solution minimizes
    :math:`\mathbb{E}_{a\sim\pi}[(\log\frac{p(a)}{\pi(a)} - \frac{r(a)-\bar r}{\tau})^2]`
    over the simplex. Its KKT conditions give, with :math:`\rho = p/\pi`,
    :math:`\log\rho(a) + \kappa\rho(a) = (r(a)-\bar r)/\tau`, i.e. the
    Lambert-W form

    .. math::

        \rho(a) = \frac{W_0\big(\kappa\, e^{(r(a)-\bar r)/\tau}\big)}{\kappa},

    with :math:`\kappa \ge 0` fixed by :math:`\sum_a \pi(a)\rho(a) = 1`
    (:math:`\kappa = 0` iff :math:`r` is constant on the support). The same
    equation is the first-order condition of

    .. math::

        \max_p\ \langle p, r\rangle - \tau\,\mathrm{KL}(p\|\pi) - \tfrac{\tau\kappa}{2}\chi^2(p\|\pi),
        \qquad \chi^2(p\|\pi) = \textstyle\sum_a \pi(a)(\rho(a)-1)^2,

    a strictly concave problem, so PMD-mean *is* mirror descent with an
    adaptive mixed KL-:math:`\chi^2` regularizer (their Sec. 3).

    Parameters
    ----------
    policy : array_like, shape (A,) or (S, A)
        Current policy (rows are probability vectors; zero entries stay zero).
    rewards : array_like, same shape
    temperature : float
        :math:`\tau > 0`.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import pmd_mean_step
    >>> step = pmd_mean_step([0.5, 0.5], [1.0, 0.0], 1.0)
    >>> bool(step.chi2_weight[0] > 0), bool(step.action_probabilities[0, 0] < step.exact_action_probabilities[0, 0])
    (True, True)
    """
    from scipy.optimize import brentq
    from scipy.special import lambertw

    pi = np.atleast_2d(np.asarray(policy, dtype=float))
    r = np.atleast_2d(np.asarray(rewards, dtype=float))
    if pi.shape != r.shape:
        raise ValueError(f"policy has shape {pi.shape} but rewards has shape {r.shape}")
    for s in range(pi.shape[0]):
        check_probability_vector(f"policy[{s}]", pi[s], pi.shape[1])
    check_finite("rewards", r)
    tau = check_real("temperature", temperature, low=0.0, low_open=True)
    S, A = pi.shape
    out = np.zeros_like(pi)
    exact = np.zeros_like(pi)
    kappa = np.zeros(S)
    rbar = np.einsum("sa,sa->s", pi, r)
    for s in range(S):
        sup = pi[s] > 0
        x = (r[s, sup] - rbar[s]) / tau
        p0 = pi[s, sup]
        z = np.log(p0) + r[s, sup] / tau
        z -= z.max()
        exact[s, sup] = np.exp(z) / np.exp(z).sum()
        if np.ptp(x) == 0:
            out[s, sup] = p0
            continue

        def mass(log_k, x=x, p0=p0):
            k = np.exp(log_k)
            # W0(k e^x) computed as W0(exp(log k + x)) to avoid overflow for large x
            arg = np.exp(np.minimum(log_k + x, 700.0))
            rho = np.real(lambertw(arg)) / k
            return float(p0 @ rho) - 1.0

        lo, hi = -40.0, 40.0
        while mass(lo) < 0:  # kappa tiny: rho ~ e^x has mass >= 1 (Jensen), so mass(lo) >= 0 unless rounding
            lo -= 20.0
            if lo < -700:
                break
        log_k = brentq(mass, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500)
        k = np.exp(log_k)
        rho = np.real(lambertw(np.exp(log_k + x))) / k
        p = p0 * rho
        out[s, sup] = p / p.sum()
        kappa[s] = k
    return PMDMeanStep(
        action_probabilities=readonly(out),
        chi2_weight=readonly(kappa),
        exact_action_probabilities=readonly(exact),
        mean_reward=readonly(rbar),
    )
