r"""Submodular RL: maximize a submodular function of the set of visited states (Prajapat et al., ICLR 2024).

In *SubRL* (Prajapat, Mutný, Zeilinger & Krause 2024) the return of an episode :math:`\tau = (s_0, \dots, s_H)`
of a finite-horizon model is :math:`F(\{s_0, \dots, s_H\})` for a monotone submodular set function :math:`F`
(coverage, information gain): rewards with diminishing returns, not additive. The objective :math:`J(\pi) =
\mathbb E_\pi[F(\tau)]` is hard to approximate in general (their Sec. 4), and *SubPO* optimizes it by policy
gradient on the *marginal gains* :math:`F(\tau_{0:h+1}) - F(\tau_{0:h})`, which telescope to :math:`F(\tau)`:

.. math::

    \nabla_\theta J = \mathbb E\Big[\sum_{h<H} \nabla_\theta \log\pi_\theta(a_h|s_h, h)\sum_{j \ge h}
    \big(F(\tau_{0:j+1}) - F(\tau_{0:j})\big)\Big]

(the REINFORCE identity with causality; Prajapat et al. 2024, Sec. 5). Here everything is exact on tiny models:
the pair (visited set, current state) is a sufficient statistic, so :math:`J`, its gradient for time-dependent
Markov policies, the optimum over history-dependent policies (expectimax) and the greedy marginal-gain policy
are dynamic programs over bitmasks of visited states (:math:`2^S S` statistics per step). In a *bandit-like*
deterministic model where every state can be reached from every state in one step, a trajectory is any sequence
of :math:`H` states after :math:`s_0`, SubRL is cardinality-constrained submodular maximization, and the greedy
marginal-gain policy is Nemhauser, Wolsey & Fisher's (1978) greedy: :math:`J(\text{greedy}) \ge (1 - 1/e)\,
J^*` -- the constant factor SubPO recovers in that regime.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import check_finite, check_int, check_max_iter, check_real, check_tol, readonly
from rltheory.tabular._model import FiniteMDP

__all__ = [
    "SubmodularRLResult",
    "coverage_function",
    "submodular_greedy",
    "submodular_optimum",
    "submodular_policy_optimization",
]

#: Largest number of states of the bitmask dynamic programs.
MAX_STATES = 16


def coverage_function(cover, weights=None) -> np.ndarray:
    r"""The weighted coverage function :math:`F(X) = \sum_{u \in \cup_{s\in X} C_s} w_u` as a table over bitmasks.

    Monotone and submodular (a classic example; Krause & Golovin 2014, Sec. 1.1).

    Parameters
    ----------
    cover : array_like of bool, shape (S, U)
        ``cover[s, u]``: state ``s`` covers item ``u``.
    weights : array_like, shape (U,), optional
        Nonnegative item weights (default 1).

    Returns
    -------
    numpy.ndarray, shape (2**S,)
        ``F[mask]``, bit ``s`` of ``mask`` set when ``s`` is in the set.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import coverage_function
    >>> coverage_function(np.array([[1, 1, 0], [0, 1, 1]], dtype=bool)).tolist()  # {}, {0}, {1}, {0, 1}
    [0.0, 2.0, 2.0, 3.0]
    """
    C = np.asarray(cover, dtype=bool)
    if C.ndim != 2:
        raise ValueError(f"cover has shape {C.shape}, expected (S, U)")
    S, U = C.shape
    if S > MAX_STATES:
        raise ValueError(f"coverage_function supports at most {MAX_STATES} states, got {S}")
    w = np.ones(U) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (U,) or (w < 0).any():
        raise ValueError(f"weights must be nonnegative of shape ({U},)")
    masks = np.arange(1 << S)
    member = (masks[:, None] >> np.arange(S)[None, :]) & 1  # (2^S, S)
    covered = (member @ C.astype(int)) > 0
    return covered.astype(float) @ w


def _check_set_function(F, S: int) -> np.ndarray:
    F = np.asarray(F, dtype=float)
    if F.shape != (1 << S,):
        raise ValueError(f"set_function has shape {F.shape}, expected (2**S,) = ({1 << S},) over bitmasks")
    check_finite("set_function", F)
    if F[0] != 0:
        raise ValueError(f"set_function[0] = F(empty set) = {F[0]!r}, expected 0 (normalized)")
    masks = np.arange(1 << S)
    for s in range(S):
        without = masks[(masks >> s) & 1 == 0]
        gain = F[without | (1 << s)] - F[without]
        tol = 1e-12 * max(1.0, float(np.max(np.abs(F))))
        if (gain < -tol).any():
            m = int(without[np.argmax(gain < -tol)])
            raise ValueError(f"set_function is not monotone: adding state {s} to mask {m} lowers F by {-gain.min():g}")
        for t in range(S):
            if t == s:
                continue
            base = without[(without >> t) & 1 == 0]
            g_small = F[base | (1 << s)] - F[base]
            g_big = F[base | (1 << s) | (1 << t)] - F[base | (1 << t)]
            if (g_big > g_small + tol).any():
                m = int(base[np.argmax(g_big > g_small + tol)])
                raise ValueError(
                    f"set_function is not submodular: the gain of state {s} grows when state {t} is added to mask {m}"
                )
    return F


def _setup(mdp: FiniteMDP, set_function, initial_state, who):
    FiniteMDP.require(mdp, "finite_horizon", who)
    S = mdp.n_states
    if S > MAX_STATES:
        raise ValueError(f"{who} enumerates visited sets: at most {MAX_STATES} states, got {S}")
    F = _check_set_function(set_function, S)
    s0 = check_int("initial_state", initial_state, low=0, high=S - 1)
    return F, s0, int(mdp.horizon), np.asarray(mdp.dense_P), np.asarray(mdp.action_mask)


@dataclass(frozen=True, eq=False)
class SubmodularRLResult:
    r"""Result of :func:`submodular_optimum`, :func:`submodular_greedy` and :func:`submodular_policy_optimization`.

    Attributes
    ----------
    value : float
        :math:`J(\pi) = \mathbb E_\pi[F(\{s_0, \dots, s_H\})]`, exact.
    method : str
        ``"optimum"``, ``"greedy"`` or ``"policy_gradient"``.
    actions : numpy.ndarray of int64 or None, shape (H,)
        For a deterministic model, the open-loop action sequence the policy plays from :math:`s_0` (it determines
        the episode); ``None`` otherwise.
    action_probabilities : numpy.ndarray or None, shape (H, S, A)
        ``"policy_gradient"``: the time-dependent Markov policy; ``None`` for the history-dependent ones.
    iterations : int
    converged : bool
        ``"policy_gradient"``: the gradient's max-norm fell below ``tol``; ``True`` for the exact methods.
    value_history : numpy.ndarray
        ``"policy_gradient"``: :math:`J` of the iterates (row 0 the uniform start); else the single value.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, coverage_function, submodular_optimum
    >>> mdp = FiniteMDP(np.stack([np.eye(2)] * 2), np.zeros((2, 2)), gamma=1.0, horizon=1)
    >>> res = submodular_optimum(mdp, coverage_function(np.eye(2, dtype=bool)))
    >>> res.value, res.method, res.actions.tolist()
    (2.0, 'optimum', [1])
    """

    value: float
    method: str
    actions: np.ndarray | None
    action_probabilities: np.ndarray | None
    iterations: int
    converged: bool
    value_history: np.ndarray


def _is_deterministic(P, mask):
    return bool(np.all(np.isclose(np.where(mask[:, :, None], P, 0.0).max(axis=2), 1.0) | ~mask))


def _open_loop(P, mask, s0, H, choose):
    """Follow a deterministic model from s0, choosing by choose(h, visited, s) -> a; returns the actions."""
    acts, s, visited = [], s0, 1 << s0
    for h in range(H):
        a = choose(h, visited, s)
        acts.append(a)
        s = int(np.argmax(P[s, a]))
        visited |= 1 << s
    return np.array(acts, dtype=np.int64)


def submodular_optimum(mdp: FiniteMDP, set_function, *, initial_state: int = 0) -> SubmodularRLResult:
    r"""The exact SubRL optimum over history-dependent policies, by expectimax over (visited set, state).

    :math:`W_H(X, s) = F(X)`, :math:`W_h(X, s) = \max_a \sum_{s'} P(s'|s,a)\, W_{h+1}(X \cup \{s'\}, s')`,
    :math:`J^* = W_0(\{s_0\}, s_0)`: the pair is a sufficient statistic of the history for :math:`F(\tau)`, so
    this is the optimum over all (history-dependent) policies (Puterman 2005, Thm 4.4.2 on the augmented model).

    Parameters
    ----------
    mdp : FiniteMDP
        Finite horizon (``horizon=H``); ``R`` is not used.
    set_function : array_like, shape (2**S,)
        Normalized, monotone, submodular (checked).
    initial_state : int

    Returns
    -------
    SubmodularRLResult

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, coverage_function, submodular_optimum
    >>> P = np.stack([np.eye(3)] * 3, axis=0)  # action a jumps to state a: a "bandit-like" model
    >>> mdp = FiniteMDP(P, np.zeros((3, 3)), gamma=1.0, horizon=2)
    >>> F = coverage_function(np.array([[1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=bool))
    >>> res = submodular_optimum(mdp, F, initial_state=0)
    >>> res.value, res.actions.tolist()  # visit 1 and 2: covers everything
    (4.0, [1, 2])
    """
    F, s0, H, P, mask = _setup(mdp, set_function, initial_state, "submodular_optimum")
    S = mdp.n_states
    masks = np.arange(1 << S)
    W = np.repeat(F[:, None], S, axis=1)  # W_H[mask, s]
    tables = []
    for _ in range(H):
        # Q[mask, s, a] = sum_s' P(s'|s,a) W[mask | s', s']
        nxt = W[masks[:, None] | (1 << np.arange(S))[None, :], np.arange(S)[None, :]]  # (2^S, S'): W[mask|s', s']
        Q = np.einsum("sat,mt->msa", P, nxt)
        Q = np.where(mask[None], Q, -np.inf)
        tables.append(Q)
        W = Q.max(axis=2)
    tables = tables[::-1]  # tables[h][mask, s, a]
    value = float(W[1 << s0, s0])
    actions = None
    if _is_deterministic(P, mask):
        actions = _open_loop(P, mask, s0, H, lambda h, X, s: int(np.argmax(tables[h][X, s])))
    return SubmodularRLResult(
        value, "optimum", None if actions is None else readonly(actions), None, 0, True, readonly(np.array([value]))
    )


def submodular_greedy(mdp: FiniteMDP, set_function, *, initial_state: int = 0) -> SubmodularRLResult:
    r"""The greedy marginal-gain policy: at each step, the action of largest expected marginal gain.

    :math:`a_h \in \arg\max_a \sum_{s'} P(s'|s_h,a)\,[F(X_h \cup \{s'\}) - F(X_h)]` (history-dependent through
    the visited set :math:`X_h`; ties to the lowest action), evaluated exactly. In a bandit-like deterministic
    model (module docstring) this is the greedy algorithm of Nemhauser, Wolsey & Fisher (1978) for
    :math:`\max_{|X| \le H} G(X)`, :math:`G(X) = F(X \cup \{s_0\})`, so :math:`J(\text{greedy}) \ge (1-1/e)J^*`
    (their Theorem 4.2 on :math:`G - G(\emptyset)`, plus :math:`G(\emptyset) \ge 0`).

    Parameters
    ----------
    mdp : FiniteMDP
        Finite horizon.
    set_function : array_like, shape (2**S,)
    initial_state : int

    Returns
    -------
    SubmodularRLResult

    References
    ----------
    G. L. Nemhauser, L. A. Wolsey, M. L. Fisher, "An analysis of approximations for maximizing submodular set
    functions -- I", *Mathematical Programming* 14 (1978).
    M. Prajapat, M. Mutný, M. N. Zeilinger, A. Krause, "Submodular reinforcement learning", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, coverage_function, submodular_greedy, submodular_optimum
    >>> P = np.stack([np.eye(4)] * 4, axis=0)
    >>> mdp = FiniteMDP(P, np.zeros((4, 4)), gamma=1.0, horizon=2)
    >>> F = coverage_function(np.array([[0,0,0,0,0,0], [1,1,1,1,0,0], [1,1,0,0,1,0], [0,0,1,1,0,1]], dtype=bool))
    >>> submodular_greedy(mdp, F).value, submodular_optimum(mdp, F).value  # greedy takes 1 first: 5 < 6
    (5.0, 6.0)
    """
    F, s0, H, P, mask = _setup(mdp, set_function, initial_state, "submodular_greedy")
    S = mdp.n_states
    masks = np.arange(1 << S)
    bits = 1 << np.arange(S)
    gain = F[masks[:, None] | bits[None, :]] - F[masks][:, None]  # (2^S, S'): marginal gain of s'
    expected = np.einsum("sat,mt->msa", P, gain)
    expected = np.where(mask[None], expected, -np.inf)
    choice = np.argmax(expected, axis=2)  # (2^S, S): greedy action, lowest index on ties
    # exact value of the greedy policy: W_h(X, s) = sum_s' P(s'|s,g(X,s)) W_{h+1}(X | s', s')
    W = np.repeat(F[:, None], S, axis=1)
    Pg = P[np.arange(S)[None, :], choice]  # (2^S, S, S'): next-state law under the greedy action
    for _ in range(H):
        nxt = W[masks[:, None] | bits[None, :], np.arange(S)[None, :]]
        W = np.einsum("mst,mt->ms", Pg, nxt)
    value = float(W[1 << s0, s0])
    actions = None
    if _is_deterministic(P, mask):
        actions = _open_loop(P, mask, s0, H, lambda h, X, s: int(choice[X, s]))
    return SubmodularRLResult(
        value, "greedy", None if actions is None else readonly(actions), None, 0, True, readonly(np.array([value]))
    )


def _markov_value_and_gradient(F, P, mask, s0, H, pi):
    """J and dJ/dtheta for the time-dependent softmax Markov policy pi (H, S, A), exactly, by a forward pass of
    the law of (visited set, state) and a backward pass of W_h(X, s) (the policy gradient theorem on the augmented
    model, with the policy reading only (h, s))."""
    S = P.shape[0]
    masks = np.arange(1 << S)
    bits = 1 << np.arange(S)
    rho = [np.zeros((1 << S, S))]
    rho[0][1 << s0, s0] = 1.0
    for h in range(H):
        flow = np.einsum("ms,sa,sat->mst", rho[h], pi[h], P)  # (2^S, S, S')
        new = np.zeros((1 << S, S))
        np.add.at(new, (masks[:, None] | bits[None, :], np.arange(S)[None, :]), flow.sum(axis=1))
        rho.append(new)
    W = np.repeat(F[:, None], S, axis=1)
    grad = np.zeros_like(pi)
    for h in range(H - 1, -1, -1):
        nxt = W[masks[:, None] | bits[None, :], np.arange(S)[None, :]]
        Q = np.einsum("sat,mt->msa", P, nxt)
        V = np.einsum("sa,msa->ms", pi[h], Q)
        adv = np.where(mask[None], Q - V[:, :, None], 0.0)
        grad[h] = np.einsum("ms,msa->sa", rho[h], adv) * pi[h]
        W = V
    return float(W[1 << s0, s0]), grad


def submodular_policy_optimization(
    mdp: FiniteMDP,
    set_function,
    *,
    initial_state: int = 0,
    step_size: float = 1.0,
    max_iter: int = 1000,
    tol: float = 1e-8,
) -> SubmodularRLResult:
    r"""SubPO with exact gradients: gradient ascent on a time-dependent softmax Markov policy.

    :math:`\pi_\theta(a|s,h) \propto e^{\theta_h(s,a)}` (masked), :math:`\theta \leftarrow \theta + \eta
    \nabla_\theta J`, from :math:`\theta = 0`. The gradient is SubPO's marginal-gain policy gradient (module
    docstring) in expectation, computed exactly as :math:`\partial J / \partial\theta_h(s,a) = \sum_X
    \rho_h(X,s)\,\pi_h(a|s)\,[Q_h(X,s,a) - W_h(X,s)]` over the law :math:`\rho_h` of (visited set, state).
    :math:`J` is not concave in :math:`\theta`: this finds a stationary point (the guarantee of the greedy
    policy, :func:`submodular_greedy`, is for bandit-like models).

    Parameters
    ----------
    mdp : FiniteMDP
        Finite horizon.
    set_function : array_like, shape (2**S,)
    initial_state : int
    step_size : float
        :math:`\eta > 0`.
    max_iter : int
    tol : float
        Stop when :math:`\|\nabla J\|_\infty \le` ``tol``.

    Returns
    -------
    SubmodularRLResult

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, coverage_function, submodular_optimum, submodular_policy_optimization
    >>> P = np.stack([np.eye(3)] * 3, axis=0)
    >>> mdp = FiniteMDP(P, np.zeros((3, 3)), gamma=1.0, horizon=2)
    >>> F = coverage_function(np.array([[1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=bool))
    >>> res = submodular_policy_optimization(mdp, F, step_size=2.0, max_iter=2000)
    >>> bool(res.value > 3.99), bool(np.all(np.diff(res.value_history) >= -1e-12))
    (True, True)
    """
    F, s0, H, P, mask = _setup(mdp, set_function, initial_state, "submodular_policy_optimization")
    eta = check_real("step_size", step_size, low=0.0, low_open=True)
    max_iter = check_max_iter(max_iter)
    tol = check_tol(tol)
    S, A = mdp.n_states, mdp.n_actions
    theta = np.zeros((H, S, A))
    history = []
    k = 0
    converged = False
    while True:
        z = np.where(mask[None], theta, -np.inf)
        pi = np.exp(z - z.max(axis=2, keepdims=True))
        pi /= pi.sum(axis=2, keepdims=True)
        J, g = _markov_value_and_gradient(F, P, mask, s0, H, pi)
        history.append(J)
        if float(np.max(np.abs(g))) <= tol:
            converged = True
            break
        if k >= max_iter:
            break
        theta = theta + eta * g
        k += 1
    actions = None
    if _is_deterministic(P, mask):
        actions = _open_loop(P, mask, s0, H, lambda h, X, s: int(np.argmax(pi[h, s])))
    return SubmodularRLResult(
        history[-1],
        "policy_gradient",
        None if actions is None else readonly(actions),
        readonly(pi),
        k,
        converged,
        readonly(np.array(history)),
    )
