r"""Plain NumPy/Python twins of the compiled linear agents, on the same xoshiro256++ streams.

They play exactly what the compiled agents play (the parity tests assert it)
while computing everything the naive way: LinUCB with widths recomputed from
:math:`V^{-1}` every round, LinTS with a fresh Cholesky factor every round,
LSVI-UCB and LMC-LSVI re-solving every regression from all stored data.
They also serve as the NumPy references of the benchmarks.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from ..simulation import PyXoshiro, run_states
from ._linear_bandit import LinearBandit, oful_radius
from ._linear_bandit_agents import LinTS, LinUCB
from ._linear_mdp import LinearMDP

__all__ = ["lints_reference_run", "linucb_reference_run", "lmc_lsvi_reference", "lsvi_ucb_reference"]


def _arrays(mdp):
    return (
        np.ascontiguousarray(mdp.features),
        np.ascontiguousarray(mdp.P),
        np.ascontiguousarray(np.cumsum(mdp.P, axis=3)),
        np.ascontiguousarray(mdp.R),
        np.cumsum(mdp.initial_distribution),
        np.ascontiguousarray(mdp.initial_distribution),
    )


def linucb_reference_run(bandit: LinearBandit, policy: LinUCB, horizon: int, env_state, pol_state):
    """Plain NumPy LinUCB (O(K d^2) per round, widths recomputed from V^{-1} each round) on PyXoshiro streams.

    Returns the sequence of arms played; the compiled kernel must play the same ones.
    """
    env = PyXoshiro(env_state)
    arms, means = bandit.arms, bandit.means
    N, K, d = arms.shape
    lam = policy.regularization
    Vinv = np.eye(d) / lam
    th = np.zeros(d)
    logdet = d * math.log(lam)
    played = []
    for _ in range(horizon):
        ctx = 0 if N == 1 else env.integers(N)
        X = arms[ctx]
        rad = policy.radius_scale * oful_radius(logdet, d, lam, policy.delta, bandit.noise_sigma, policy.theta_bound)
        ucb = X @ th + rad * np.sqrt(np.maximum(np.einsum("kd,de,ke->k", X, Vinv, X), 0.0))
        a = int(np.argmax(ucb))
        r = means[ctx, a] + bandit.noise_sigma * env.normal()
        x = X[a]
        u = Vinv @ x
        denom = 1.0 + x @ u
        th = th + u * (r - x @ th) / denom
        Vinv = Vinv - np.outer(u, u) / denom
        logdet += math.log(denom)
        played.append(a)
    return np.array(played)


def lints_reference_run(bandit: LinearBandit, policy: LinTS, horizon: int, env_state, pol_state):
    """Plain NumPy LinTS on PyXoshiro streams: a fresh Cholesky factor of V every round (O(d^3)).

    Returns the arms played; the compiled kernel (rank-one Cholesky updates) must play the same ones.
    """
    env, pol = PyXoshiro(env_state), PyXoshiro(pol_state)
    arms, means = bandit.arms, bandit.means
    N, K, d = arms.shape
    V = policy.regularization * np.eye(d)
    bvec = np.zeros(d)
    v = bandit.noise_sigma if policy.scale is None else policy.scale
    played = []
    for _ in range(horizon):
        ctx = 0 if N == 1 else env.integers(N)
        X = arms[ctx]
        th = np.linalg.solve(V, bvec)
        z = np.array([pol.normal() for _ in range(d)])
        L = np.linalg.cholesky(V)
        sample = th + v * scipy.linalg.solve_triangular(L.T, z, lower=False)  # N(theta_hat, v^2 V^-1)
        a = int(np.argmax(X @ sample))
        r = means[ctx, a] + bandit.noise_sigma * env.normal()
        V += np.outer(X[a], X[a])
        bvec += X[a] * r
        played.append(a)
    return np.array(played)


def lsvi_ucb_reference(
    mdp: LinearMDP, n_episodes: int, *, beta: float, regularization: float = 1.0, seed: int = 0
) -> np.ndarray:
    r"""Naive NumPy LSVI-UCB: every episode re-solves each regression from all stored data.

    :math:`\Lambda_h` rebuilt from the :math:`k` stored features and inverted
    (:math:`O(kd^2 + d^3)`), the targets recomputed per sample
    (:math:`O(kd)`), bonuses as full quadratic forms (:math:`O(SAd^2)`). Same
    random stream as run 0 of the compiled :class:`~rltheory.linear.LSVIUCB` (a plain-Python xoshiro256++
    twin), so it plays the same episodes. Returns the cumulative regret per
    episode.
    """
    phi, P, cumP, R, cum0, rho = _arrays(mdp)
    S, A, d = phi.shape
    H = mdp.horizon
    vstar = mdp.optimal_values().v[0]
    g = PyXoshiro(run_states(seed, np.arange(1), 1)[0, 0])

    draw = g.categorical

    data = [[] for _ in range(H)]  # (s, a, r, s2)
    out = np.empty(n_episodes)
    reg = 0.0
    flat = phi.reshape(S * A, d)
    for k in range(n_episodes):
        V = np.zeros((H + 1, S))
        pol = np.zeros((H, S), dtype=np.int64)
        for h in range(H - 1, -1, -1):
            if data[h]:
                arr = np.array(data[h])
                X = phi[arr[:, 0].astype(int), arr[:, 1].astype(int)]
                y = arr[:, 2] + V[h + 1][arr[:, 3].astype(int)]
                Lam = regularization * np.eye(d) + X.T @ X
                Li = np.linalg.inv(Lam)
                w = Li @ (X.T @ y)
            else:
                Li = np.eye(d) / regularization
                w = np.zeros(d)
            bonus = beta * np.sqrt(np.maximum(np.einsum("kd,de,ke->k", flat, Li, flat), 0.0))
            Q = np.minimum(flat @ w + bonus, H - h).reshape(S, A)
            V[h] = Q.max(axis=1)
            pol[h] = Q.argmax(axis=1)
        reg += float(rho @ (vstar - mdp.policy_values(pol)[0]))
        out[k] = reg
        s = draw(cum0)
        for h in range(H):
            a = int(pol[h, s])
            s2 = draw(cumP[h, s, a])
            data[h].append((s, a, R[h, s, a], s2))
            s = s2
    return out


def lmc_lsvi_reference(
    mdp: LinearMDP,
    n_episodes: int,
    *,
    regularization: float = 1.0,
    inverse_temperature: float = 1.0,
    n_langevin_steps: int = 20,
    step_scale: float = 0.25,
    n_samples: int = 1,
    seed: int = 0,
) -> np.ndarray:
    r"""Plain NumPy LMC-LSVI (run 0 of the compiled :class:`~rltheory.linear.LMCLSVI`, same xoshiro256++ stream):
    regressions re-solved from stored data.

    :math:`\Lambda_h` and :math:`\sum_\tau\phi_\tau y_\tau` are rebuilt every episode; the Langevin
    iterations, the optimistic maximum over samples and the warm start are those of the compiled
    :class:`~rltheory.linear.LMCLSVI`.
    Returns the cumulative regret per episode.
    """
    phi, P, cumP, R, cum0, rho = _arrays(mdp)
    S, A, d = phi.shape
    H = mdp.horizon
    vstar = mdp.optimal_values().v[0]
    g = PyXoshiro(run_states(seed, np.arange(1), 1)[0, 0])

    draw = g.categorical

    data = [[] for _ in range(H)]
    W = np.zeros((H, d))
    out = np.empty(n_episodes)
    reg = 0.0
    for k in range(n_episodes):
        V = np.zeros((H + 1, S))
        pol = np.zeros((H, S), dtype=np.int64)
        for h in range(H - 1, -1, -1):
            Lam = regularization * np.eye(d)
            target = np.zeros(d)
            for s, a, r, s2 in data[h]:
                Lam += np.outer(phi[s, a], phi[s, a])
                target += phi[s, a] * (r + V[h + 1, s2])
            eta = step_scale / np.linalg.eigvalsh(Lam)[-1]
            sd = math.sqrt(2.0 * eta / inverse_temperature)
            best_q = np.full((S, A), -np.inf)
            first = None
            for m in range(n_samples):
                w = W[h].copy()
                for _ in range(n_langevin_steps):
                    grad = 2.0 * (Lam @ w - target)
                    w = w - eta * grad + sd * np.array([g.normal() for _ in range(d)])
                if m == 0:
                    first = w.copy()
                best_q = np.maximum(best_q, phi @ w)
            W[h] = first
            Q = np.minimum(np.maximum(best_q, 0.0), H - h)
            V[h] = Q.max(axis=1)
            pol[h] = Q.argmax(axis=1)
        reg += float(rho @ (vstar - mdp.policy_values(pol)[0]))
        out[k] = reg
        s = draw(cum0)
        for h in range(H):
            a = int(pol[h, s])
            s2 = draw(cumP[h, s, a])
            data[h].append((s, a, R[h, s, a], s2))
            s = s2
    return out
