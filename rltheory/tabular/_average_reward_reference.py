r"""Plain NumPy/Python twins of the compiled average-reward learners, on the same xoshiro256++ streams.

* :func:`extended_value_iteration_reference`: UCRL2's extended value
  iteration vectorised over all state-action pairs (one sort per sweep, the
  sorting argument of Jaksch et al. 2010, Fig. 2, as cumulative sums over the
  sorted successor states): the NumPy reference of the compiled kernel and of
  ``benchmarks/bench_evi.py``.
* :func:`ucrl2_reference_run`, :func:`tsde_reference_run`: the agents written
  from the papers' pseudo-code with NumPy planning, driven by
  :class:`~rltheory.simulation.PyXoshiro` twins of a run's environment and
  agent streams; they play the actions the compiled agents play (the parity
  tests assert it on short runs).
"""

from __future__ import annotations

import math

import numpy as np

from rltheory.simulation import PyXoshiro

__all__ = ["extended_value_iteration_reference", "tsde_reference_run", "ucrl2_reference_run"]


def extended_value_iteration_reference(p_hat, r_tilde, p_radius, allowed, eps: float, max_iter: int):
    """EVI from ``u = 0`` until ``sp(u_{i+1} - u_i) < eps`` (at most ``max_iter`` sweeps), vectorised.

    Returns ``(u_next, policy, sweeps, converged, gain_lower, gain_upper)`` with ``u_next`` the last iterate
    :math:`u_{i+1}` shifted to minimum 0 and ``policy`` greedy for :math:`u_i`.
    """
    p_hat = np.asarray(p_hat, dtype=float)
    S, A = r_tilde.shape
    u = np.zeros(S)
    policy = np.zeros(S, dtype=np.int64)
    dmin = dmax = 0.0
    converged = False
    sweeps = 0
    while sweeps < max_iter:
        order = np.argsort(-u, kind="stable")
        ph = p_hat[:, :, order]
        first = np.minimum(1.0, ph[:, :, 0] + 0.5 * p_radius)
        tail = ph[:, :, :0:-1]  # the other states, worst first
        excess = np.maximum(first + tail.sum(axis=2) - 1.0, 0.0)
        before = np.cumsum(tail, axis=2) - tail  # mass of the strictly worse states
        take = np.clip(excess[:, :, None] - before, 0.0, tail)  # Fig. 2: remove the excess from the worst first
        p_sorted = np.concatenate([first[:, :, None], (tail - take)[:, :, ::-1]], axis=2)
        q = np.where(allowed, r_tilde + p_sorted @ u[order], -np.inf)
        policy = np.argmax(q, axis=1)
        u_new = q[np.arange(S), policy]
        sweeps += 1
        diff = u_new - u
        dmin, dmax = float(diff.min()), float(diff.max())
        if dmax - dmin < eps:
            converged = True
            break
        if sweeps >= max_iter:
            break
        u = u_new - u_new.min()
    return u_new - u_new.min(), policy.astype(np.int64), sweeps, converged, dmin, dmax


def _environment(prepared_arrays, env_state):
    cumP, R, allowed, cum0, gstar, noise = prepared_arrays
    return cumP, R, allowed, cum0, noise, PyXoshiro(env_state)


def _step(env, cumP, R, noise, s, a):
    x = float(R[s, a])
    if noise == 1:
        x = 1.0 if env.uniform() < R[s, a] else 0.0
    return x, env.categorical(cumP[s, a])


def ucrl2_reference_run(prepared_arrays, n_rounds: int, env_state, *, delta: float, max_iter: int = 100_000):
    """UCRL2 (Jaksch et al. 2010, Algorithm 1) in NumPy on a PyXoshiro twin of the environment stream.

    ``prepared_arrays`` are the continuing kind's arrays of the problem (``kind.prepare(...).arrays``).
    Returns the actions played.
    """
    cumP, R, allowed, cum0, noise, env = _environment(prepared_arrays, env_state)
    S, A = R.shape
    N = np.zeros((S, A))
    Nk = np.zeros((S, A))
    trans = np.zeros((S, A, S))
    rsum = np.zeros((S, A))
    policy = None
    actions = []
    s = env.categorical(cum0)
    for t in range(n_rounds):
        if policy is None or N[s, policy[s]] - Nk[s, policy[s]] >= max(1.0, Nk[s, policy[s]]):
            t_k = t + 1
            Nk = N.copy()
            m = np.maximum(1.0, Nk)
            r_rad = np.sqrt(7.0 * math.log(2.0 * S * A * t_k / delta) / (2.0 * m))
            p_rad = np.sqrt(14.0 * S * math.log(2.0 * A * t_k / delta) / m)
            r_tilde = np.minimum(1.0, rsum / m + r_rad)
            p_hat = trans / m[:, :, None]
            policy = extended_value_iteration_reference(p_hat, r_tilde, p_rad, allowed, 1.0 / math.sqrt(t_k), max_iter)[
                1
            ]
        a = int(policy[s])
        actions.append(a)
        x, s2 = _step(env, cumP, R, noise, s, a)
        N[s, a] += 1
        trans[s, a, s2] += 1
        rsum[s, a] += x
        s = s2
    return actions


def tsde_reference_run(
    prepared_arrays,
    n_rounds: int,
    env_state,
    agent_state,
    *,
    prior_transition: float = 1.0,
    prior_reward=(1.0, 1.0),
    max_iter: int = 100_000,
):
    """TSDE (Ouyang et al. 2017, Algorithm 1) in NumPy on PyXoshiro twins of the environment and agent streams.

    Returns the actions played.
    """
    cumP, R, allowed, cum0, noise, env = _environment(prepared_arrays, env_state)
    rng = PyXoshiro(agent_state)
    S, A = R.shape
    a0, b0 = prior_reward
    N = np.zeros((S, A))
    Nk = np.zeros((S, A))
    trans = np.zeros((S, A, S))
    rsum = np.zeros((S, A))
    t_k, T_prev = 0, 0
    policy = None
    actions = []
    s = env.categorical(cum0)
    for t in range(1, n_rounds + 1):  # the paper's time, 1-based
        if policy is None or t > t_k + T_prev or (N > 2 * Nk).any():
            T_prev, t_k = t - t_k, t
            Nk = N.copy()
            P = np.zeros((S, A, S))
            r = np.zeros((S, A))
            for ss in range(S):
                for aa in range(A):
                    if not allowed[ss, aa]:
                        continue
                    g = np.array([rng.gamma(prior_transition + trans[ss, aa, j]) for j in range(S)])
                    P[ss, aa] = g / g.sum()
                    r[ss, aa] = rng.beta(a0 + rsum[ss, aa], b0 + N[ss, aa] - rsum[ss, aa])
            u = np.zeros(S)
            for _ in range(max_iter):
                q = np.where(allowed, r + P @ u, -np.inf)
                policy = np.argmax(q, axis=1)
                u_new = q[np.arange(S), policy]
                diff = u_new - u
                u = u_new - u_new.min()
                if diff.max() - diff.min() < 1.0 / math.sqrt(t_k):
                    break
        a = int(policy[s])
        actions.append(a)
        x, s2 = _step(env, cumP, R, noise, s, a)
        N[s, a] += 1
        trans[s, a, s2] += 1
        rsum[s, a] += x
        s = s2
    return actions
