r"""Learning with a generative model: model-based planning on the plug-in model, and synchronous Q-learning.

**Model-based planning** (Azar, Munos & Kappen 2013; Agarwal, Kakade & Yang
2020): estimate :math:`\hat P` from ``n`` samples per pair
(:func:`~rltheory.tabular.generative_samples`), solve the empirical MDP exactly
and return its optimal policy :math:`\hat\pi`. Agarwal et al. (2020, Theorem 1)
show that :math:`\hat\pi` is :math:`\varepsilon`-optimal with probability
:math:`1 - \delta` once
:math:`n \ge c\,\log(c S A/((1-\gamma)\delta)) / ((1-\gamma)^3 \varepsilon^2)`
(for :math:`\varepsilon \le (1-\gamma)^{-1/2}`), i.e. a total of
:math:`\tilde O(S A / ((1-\gamma)^3\varepsilon^2))` samples, which matches the
lower bound of Azar et al. (2013, Theorem 3): the suboptimality scales as
:math:`(1-\gamma)^{-3/2} n^{-1/2}`.

**Synchronous Q-learning** (Watkins 1989; Even-Dar & Mansour 2003; Li, Cai,
Chen, Wei & Chi 2021): each iteration draws one fresh next state per pair and
applies

.. math:: Q_t(s,a) = (1 - \eta_t) Q_{t-1}(s,a) + \eta_t\big(r(s,a) + \gamma \max_b Q_{t-1}(s'_t, b)\big).

Li et al. (2021) prove that with rescaled linear or constant step sizes its
sample complexity is :math:`\tilde\Theta(S A / ((1-\gamma)^4 \varepsilon^2))`
when :math:`A \ge 2` (upper bound and a matching lower bound for this algorithm),
one factor :math:`1/(1-\gamma)` above model-based planning; with :math:`A = 1`
(TD learning) it is :math:`(1-\gamma)^{-3}`, minimax optimal. The extra factor
comes from the over-estimation of :math:`\max_b Q(s', b)` by a maximum of noisy
estimates.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from rltheory._validation import as_generator, check_finite, check_int, check_real, check_shape, readonly
from rltheory.tabular import _sample_kernels
from rltheory.tabular._finite_horizon import backward_induction
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._policy_iteration import policy_iteration
from rltheory.tabular._samples import EmpiricalModel, empirical_mdp, transition_cdf

__all__ = ["ModelBasedPlanningResult", "QLearningResult", "model_based_planning", "synchronous_q_learning"]

STEP_SIZES = ("rescaled-linear",)
#: Uniforms drawn per block of Q-learning sweeps (bounds the memory of a long run).
_BLOCK_NUMBERS = 1 << 22


@dataclass(frozen=True, eq=False)
class ModelBasedPlanningResult:
    r"""Result of :func:`model_based_planning`.

    Attributes
    ----------
    policy : numpy.ndarray of int64, shape (S,) (finite horizon (H, S))
        :math:`\hat\pi`, an optimal policy of the (perturbed) empirical model.
    v : numpy.ndarray, shape (S,) (finite horizon (H+1, S))
        :math:`\hat v^\star`, the optimal values of the empirical model (not the true value of ``policy``).
    q : numpy.ndarray, shape (S, A) (finite horizon (H, S, A))
        :math:`\hat q^\star`.
    model : EmpiricalModel
        The plug-in model that was solved (with the reward perturbation, if any, in ``model.mdp.R``).
    reward_perturbation : numpy.ndarray or None
        The perturbation added to the empirical rewards, ``(S, A)``, or ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, generative_samples, model_based_planning
    >>> mdp = FiniteMDP(np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]]),
    ...                 np.array([[1.0, 0.0], [0.5, 0.5]]), gamma=0.5)
    >>> res = model_based_planning(generative_samples(mdp, 10, rng=0))
    >>> res.policy.tolist(), res.v.tolist()  # deterministic transitions: the plug-in model is exact
    ([0, 0], [2.0, 1.0])
    """

    policy: np.ndarray
    v: np.ndarray
    q: np.ndarray
    model: EmpiricalModel
    reward_perturbation: np.ndarray | None


def model_based_planning(
    data, *, reward_perturbation: float = 0.0, unvisited_reward: float = 0.0, rng=None
) -> ModelBasedPlanningResult:
    r"""Plan on the plug-in model of ``data``: the optimal policy of :math:`(\hat P, \hat r)`.

    The empirical model of :func:`~rltheory.tabular.empirical_mdp` (unvisited pairs: a self-loop with reward
    ``unvisited_reward``) is solved exactly: :func:`~rltheory.tabular.policy_iteration` for a discounted model,
    :func:`~rltheory.tabular.backward_induction` for a finite-horizon one. With ``reward_perturbation = xi >
    0`` the empirical rewards get independent :math:`U[0, \xi]` perturbations first (Li, Wei, Chi, Gu & Chen
    2020, "Breaking the sample size barrier in model-based reinforcement learning with a generative model",
    their perturbed model-based planning: a random perturbation makes the optimal policy of the empirical model
    unique and separated by a gap with high probability; it moves every value by at most
    :math:`\xi / (1 - \gamma)`).

    Agarwal, Kakade & Yang (2020, Theorem 1): with ``n`` generative samples per pair the policy returned is
    :math:`\varepsilon`-optimal, :math:`\|v^\star - v^{\hat\pi}\|_\infty \le \varepsilon`, with probability
    :math:`\ge 1 - \delta` when :math:`n \ge c \log(c S A / ((1-\gamma)\delta)) / ((1-\gamma)^3 \varepsilon^2)`.
    On offline data the same function is the plug-in (certainty-equivalence) method without pessimism.

    Parameters
    ----------
    data : GenerativeSamples or OfflineDataset
        Of a discounted or finite-horizon task.
    reward_perturbation : float
        :math:`\xi \ge 0`.
    unvisited_reward : float
        Reward of the self-loop of unvisited pairs.
    rng : numpy.random.Generator, int, SeedSequence or None
        Draws the perturbation.

    Returns
    -------
    ModelBasedPlanningResult

    References
    ----------
    M. G. Azar, R. Munos, H. J. Kappen, *Machine Learning* 91(3), 2013, Theorem 3 (lower bound).
    A. Agarwal, S. Kakade, L. F. Yang, "Model-based reinforcement learning with a generative model is minimax
    optimal", COLT 2020, Theorem 1.
    G. Li, Y. Wei, Y. Chi, Y. Gu, Y. Chen, NeurIPS 2020 (perturbed model-based planning).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, generative_samples, model_based_planning, policy_iteration
    >>> P = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0.1, 0.9]]])
    >>> mdp = FiniteMDP(P, np.array([[1.0, 0.0], [0.0, 0.5]]), gamma=0.9)
    >>> res = model_based_planning(generative_samples(mdp, 5000, rng=0))
    >>> res.policy.tolist() == policy_iteration(mdp).policy.tolist()
    True
    """
    xi = check_real("reward_perturbation", reward_perturbation, low=0.0)
    model = empirical_mdp(data, unvisited_reward=unvisited_reward)
    emp = model.mdp
    FiniteMDP.require(emp, ("discounted", "finite_horizon"), "model_based_planning")
    noise = None
    if xi > 0:
        noise = readonly(as_generator(rng).uniform(0.0, xi, emp.R.shape) * np.asarray(emp.action_mask))
        emp = FiniteMDP(
            emp.P,
            np.asarray(emp.R) + noise,
            gamma=emp.gamma,
            horizon=emp.horizon,
            action_mask=emp.action_mask if emp.has_action_mask else None,
            terminal_states=emp.terminal_states,
            initial_distribution=emp.initial_distribution,
        )
        model = EmpiricalModel(mdp=emp, counts=model.counts, visited=model.visited)
    sol = backward_induction(emp) if emp.criterion == "finite_horizon" else policy_iteration(emp)
    return ModelBasedPlanningResult(policy=sol.policy, v=sol.v, q=sol.q, model=model, reward_perturbation=noise)


@dataclass(frozen=True, eq=False)
class QLearningResult:
    r"""Result of :func:`synchronous_q_learning`.

    Attributes
    ----------
    q : numpy.ndarray, shape (S, A)
        :math:`Q_T` after the last iteration (``-inf`` on disallowed pairs).
    v : numpy.ndarray, shape (S,)
        :math:`\max_a Q_T(s, a)`.
    policy : numpy.ndarray of int64, shape (S,)
        Greedy in :math:`Q_T` (ties to the lowest action).
    iterations : int
        ``T``, the number of synchronous sweeps (one sample per allowed pair each: ``T`` samples per pair).
    q_history : numpy.ndarray, shape (n_checkpoints + 1, S, A)
        :math:`Q_t` at ``t = checkpoint_iterations`` (row 0 is the start ``t = 0``).
    checkpoint_iterations : numpy.ndarray of int64
        The iterations of ``q_history``.
    step_sizes : numpy.ndarray, shape (T,)
        :math:`\eta_1, \dots, \eta_T`.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, synchronous_q_learning
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), np.ones((1, 1)), gamma=0.5)
    >>> res = synchronous_q_learning(mdp, 1000, step_size=0.1, rng=0)
    >>> bool(abs(res.q[0, 0] - 2.0) < 1e-12), res.iterations  # deterministic: Q_t = 2 (1 - 0.95^t)
    (True, 1000)
    """

    q: np.ndarray
    v: np.ndarray
    policy: np.ndarray
    iterations: int
    q_history: np.ndarray
    checkpoint_iterations: np.ndarray
    step_sizes: np.ndarray


def _step_sizes(step_size, T: int, gamma: float, c_eta: float) -> np.ndarray:
    t = np.arange(1, T + 1, dtype=float)
    if isinstance(step_size, str):
        if step_size not in STEP_SIZES:
            raise ValueError(f"step_size = {step_size!r} must be a number in (0, 1] or one of {STEP_SIZES}")
        # Li et al. (2021): rescaled linear step sizes eta_t = 1 / (1 + c_eta (1 - gamma) t / log^2 T)
        log2 = max(math.log(T), 1.0) ** 2
        return 1.0 / (1.0 + c_eta * (1.0 - gamma) * t / log2)
    if isinstance(step_size, bool) or not isinstance(step_size, numbers.Real):
        raise ValueError(f"step_size = {step_size!r} must be a number in (0, 1] or one of {STEP_SIZES}")
    eta = check_real("step_size", step_size, low=0.0, high=1.0, low_open=True)
    return np.full(T, eta)


def synchronous_q_learning(
    mdp: FiniteMDP,
    n_iterations: int,
    *,
    step_size="rescaled-linear",
    c_eta: float = 1.0,
    q_init=None,
    checkpoints: int = 0,
    rng=None,
) -> QLearningResult:
    r"""Synchronous Q-learning with a generative model.

    Iteration :math:`t = 1, \dots, T` draws one next state :math:`s'_t(s,a) \sim P(\cdot|s,a)` for every
    allowed pair, independently, and sets

    .. math:: Q_t(s,a) = (1 - \eta_t)\, Q_{t-1}(s,a) + \eta_t \big(r(s,a) + \gamma \max_b Q_{t-1}(s'_t(s,a), b)\big).

    Step sizes: ``"rescaled-linear"``, :math:`\eta_t = 1/(1 + c_\eta (1-\gamma) t / \log^2 T)`, or a constant
    :math:`\eta \in (0, 1]` -- the two rules of Li et al. (2021), under which ``T`` iterations (``T S A``
    samples) give :math:`\|Q_T - Q^\star\|_\infty \le \varepsilon` with high probability once
    :math:`T \gtrsim (1-\gamma)^{-4}\varepsilon^{-2}` up to logarithms (constant steps of order
    :math:`(1-\gamma)^{-1} T^{-1}` up to logarithms), and this is sharp for :math:`A \ge 2`.

    The sweeps run in one compiled loop (:func:`rltheory.tabular._sample_kernels.q_learning_sweeps`, NumPy
    reference ``q_learning_sweeps_reference``); the next states are drawn by inverse CDF from uniforms of
    ``rng``, in blocks, so memory stays bounded whatever ``T``.

    Parameters
    ----------
    mdp : FiniteMDP
        A discounted model (the generative model).
    n_iterations : int
        ``T >= 0``.
    step_size : "rescaled-linear" or float
    c_eta : float
        :math:`c_\eta > 0` of the rescaled linear rule.
    q_init : array_like, shape (S, A), optional
        :math:`Q_0`; default 0 (Li et al. start in :math:`[0, (1-\gamma)^{-1}]`).
    checkpoints : int
        Record :math:`Q_t` at this many iterations spread evenly over ``1..T`` (plus ``t = 0``).
    rng : numpy.random.Generator, int, SeedSequence or None

    Returns
    -------
    QLearningResult

    References
    ----------
    G. Li, C. Cai, Y. Chen, Y. Wei, Y. Chi, "Is Q-learning minimax optimal? A tight sample complexity analysis",
    arXiv:2102.06548 (2021); *Operations Research* 72(1), 2024. E. Even-Dar, Y. Mansour, "Learning rates for
    Q-learning", JMLR 5, 2003.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, policy_iteration, synchronous_q_learning
    >>> P = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0.1, 0.9]]])
    >>> mdp = FiniteMDP(P, np.array([[1.0, 0.0], [0.0, 0.5]]), gamma=0.5)
    >>> res = synchronous_q_learning(mdp, 20_000, rng=0)
    >>> q_star = policy_iteration(mdp).q
    >>> bool(np.abs(res.q - q_star).max() < 0.05), res.policy.tolist() == policy_iteration(mdp).policy.tolist()
    (True, True)
    """
    FiniteMDP.require(mdp, "discounted", "synchronous_q_learning")
    T = check_int("n_iterations", n_iterations, low=0)
    c = check_real("c_eta", c_eta, low=0.0, low_open=True)
    n_ck = check_int("checkpoints", checkpoints, low=0)
    gen = as_generator(rng)
    S, A = mdp.n_states, mdp.n_actions
    mask = np.asarray(mdp.action_mask)
    if q_init is None:
        q = np.zeros((S, A))
    else:
        q = np.array(q_init, dtype=float)
        check_shape("q_init", q, (S, A))
        check_finite("q_init", np.where(mask, q, 0.0))
    etas = _step_sizes(step_size, max(T, 1), mdp.gamma, c)[:T]
    ck = np.unique(np.linspace(0, T, n_ck + 1).round().astype(np.int64)) if n_ck else np.array([0], dtype=np.int64)
    history = np.empty((ck.size, S, A))
    history[0] = q
    cdf = transition_cdf(mdp)
    R = np.ascontiguousarray(mdp.R, dtype=float)
    mask_u8 = np.ascontiguousarray(mask).view(np.uint8)
    v_buf = np.empty(S)
    block = max(1, _BLOCK_NUMBERS // (S * A))
    t = 0
    k = 1
    while t < T:
        stop = min(T, t + block)
        if k < ck.size:
            stop = min(stop, int(ck[k]))
        u = gen.random((stop - t, S * A))
        _sample_kernels.q_learning_sweeps(q, *cdf, R, mask_u8, mdp.gamma, u, etas[t:stop], v_buf)
        t = stop
        while k < ck.size and ck[k] == t:
            history[k] = q
            k += 1
    q_out = np.where(mask, q, -np.inf)
    return QLearningResult(
        q=readonly(q_out),
        v=readonly(q_out.max(axis=1)),
        policy=readonly(np.argmax(q_out, axis=1).astype(np.int64)),
        iterations=T,
        q_history=readonly(np.where(mask, history, -np.inf)),
        checkpoint_iterations=readonly(ck),
        step_sizes=readonly(etas),
    )
