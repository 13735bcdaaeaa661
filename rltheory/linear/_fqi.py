r"""Linear fitted Q iteration (FQI) on a finite MDP, with exact or sampled regression targets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import (
    as_generator,
    check_discount,
    check_int,
    check_max_iter,
    check_probability_vector,
    check_real,
    readonly,
)
from ..tabular import FiniteMDP
from ._features import check_features

__all__ = ["FQIResult", "fitted_q_iteration"]


@dataclass(frozen=True)
class FQIResult:
    r"""Iterates of linear fitted Q iteration.

    Attributes
    ----------
    theta : (K+1, d) ndarray
        :math:`\theta_k`, :math:`Q_k = \Phi\theta_k` (``theta[0] = 0``).
    q : (K+1, S, A) ndarray
    q_errors : (K+1,) ndarray
        :math:`\|Q_k - Q^*\|_\infty`.
    policy_errors : (K+1,) ndarray
        :math:`\|V^* - V^{\pi_k}\|_\infty` for :math:`\pi_k` greedy w.r.t. :math:`Q_k` (exact evaluation).
    algorithmic_bound : (K+1,) ndarray
        :math:`\gamma^k\|Q_0 - Q^*\|_\infty`, the error of exact value iteration;
        FQI with exact regression and a Bellman-complete class attains it.
    n_samples : int
        Samples per iteration (0 = exact population regression).

    Examples
    --------
    >>> from rltheory.tabular.envs import chain
    >>> from rltheory.linear import fitted_q_iteration, one_hot_features
    >>> res = fitted_q_iteration(chain(3, gamma=0.5), one_hot_features(6), 10)
    >>> res.q.shape, bool((res.q_errors <= res.algorithmic_bound + 1e-12).all())
    ((11, 3, 2), True)
    """

    theta: np.ndarray
    q: np.ndarray
    q_errors: np.ndarray
    policy_errors: np.ndarray
    algorithmic_bound: np.ndarray
    n_samples: int

    def __post_init__(self):
        for name in ("theta", "q", "q_errors", "policy_errors", "algorithmic_bound"):
            object.__setattr__(self, name, readonly(np.asarray(getattr(self, name))))


def fitted_q_iteration(
    mdp: FiniteMDP,
    features,
    max_iter: int,
    *,
    n_samples: int | None = None,
    sampling=None,
    regularization: float = 0.0,
    rng=None,
) -> FQIResult:
    r"""Fitted Q iteration with linear features (the FQI simplification of Fan, Wang, Xie & Yang 2020).

    :math:`Q_{k+1} = \Phi\theta_{k+1}`,
    :math:`\theta_{k+1} = \arg\min_\theta\sum_i(\phi(s_i,a_i)^\top\theta - r_i - \gamma\max_{a'}Q_k(s'_i,a'))^2 +
    \epsilon\|\theta\|^2`
    with fresh samples :math:`(s_i,a_i)\sim\nu` (``sampling``, default uniform
    over state-action pairs), :math:`s'_i\sim P(\cdot|s_i,a_i)`,
    :math:`r_i = r(s_i,a_i)`; ``n_samples=None`` solves the population
    regression (weights :math:`\nu`) exactly.

    Fan et al. (2020), Theorem 4.4: :math:`\|Q^* - Q^{\pi_K}\|_{1,\mu} \le
    \frac{2\phi_{\mu,\nu}\gamma}{(1-\gamma)^2}\epsilon_{\max} +
    \frac{4\gamma^{K+1}}{(1-\gamma)^2}R_{\max}`: a statistical term
    (one-step regression error :math:`\epsilon_{\max}`, shrinking with the
    sample size) plus an *algorithmic* term decaying geometrically. With
    one-hot features and exact regression FQI is value iteration, so
    :math:`\|Q_k - Q^*\|_\infty \le \gamma^k\|Q_0 - Q^*\|_\infty`
    (``algorithmic_bound``).

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted.
    features : array_like, shape (S*A, d)
        Row ``s * A + a``.
    max_iter : int >= 0
        FQI iterations :math:`K` (FQI has no stopping rule of its own: it
        performs exactly ``max_iter`` iterations; its bounds are in :math:`K`).
    n_samples : int or None
    sampling : array_like (S*A,) or None
    regularization : float
    rng : Generator, int or None

    Examples
    --------
    >>> from rltheory.tabular.envs import chain
    >>> from rltheory.linear import one_hot_features
    >>> mdp = chain(4, gamma=0.8)
    >>> res = fitted_q_iteration(mdp, one_hot_features(8), 20)
    >>> bool((res.q_errors <= res.algorithmic_bound * (1 + 1e-12) + 1e-12).all())
    True
    """
    if not isinstance(mdp, FiniteMDP):
        raise ValueError(f"mdp must be a FiniteMDP, got {type(mdp).__name__}")
    gamma = check_discount(mdp.gamma)
    S, A = mdp.n_states, mdp.n_actions
    phi = check_features(features, S * A, full_rank=n_samples is None and regularization == 0.0)
    K = check_max_iter(max_iter)
    nu = np.full(S * A, 1.0 / (S * A)) if sampling is None else check_probability_vector("sampling", sampling, S * A)
    eps = check_real("regularization", regularization, low=0.0)
    n = 0 if n_samples is None else check_int("n_samples", n_samples, low=1)
    g = as_generator(rng)
    P = (mdp.P.toarray() if mdp.is_sparse else np.asarray(mdp.P).reshape(S * A, S)).astype(np.float64)  # (S*A, S)
    R = np.asarray(mdp.R, dtype=np.float64).reshape(S * A)
    mask = mdp.action_mask.reshape(S * A)
    # Q*, V* by value iteration to machine precision on the tabular model (reference for the errors)
    from ..tabular import policy_iteration

    pi_star = policy_iteration(mdp)
    vstar = np.asarray(pi_star.v, dtype=np.float64)
    qstar = R + gamma * P @ vstar
    d = phi.shape[1]
    thetas = np.zeros((K + 1, d))
    qs = np.zeros((K + 1, S * A))
    cumP = np.cumsum(P, axis=1)

    def vmax(q):
        return np.where(mask, q, -np.inf).reshape(S, A).max(axis=1)

    sq = np.sqrt(nu)
    for k in range(K):
        v = vmax(qs[k])
        if n == 0:
            y = R + gamma * P @ v
            Xw = phi * sq[:, None]
            G = Xw.T @ Xw + eps * np.eye(d)
            th = np.linalg.solve(G, Xw.T @ (y * sq))
        else:
            idx = g.choice(S * A, size=n, p=nu)
            u = g.random(n)
            nxt = np.minimum((u[:, None] >= cumP[idx]).sum(axis=1), S - 1)
            y = R[idx] + gamma * v[nxt]
            X = phi[idx]
            th = np.linalg.lstsq(X.T @ X + eps * n * np.eye(d), X.T @ y, rcond=None)[0]
        thetas[k + 1] = th
        qs[k + 1] = phi @ th
    valid = np.where(mask, 0.0, np.nan)
    q_err = np.array([np.nanmax(np.abs(q - qstar + valid)) for q in qs])
    pol_err = np.empty(K + 1)
    from ..tabular import policy_evaluation

    for k in range(K + 1):
        greedy = np.where(mask, qs[k], -np.inf).reshape(S, A).argmax(axis=1)
        pol_err[k] = np.max(np.abs(vstar - policy_evaluation(mdp, greedy).v))
    bound = gamma ** np.arange(K + 1) * q_err[0]
    return FQIResult(thetas, qs.reshape(K + 1, S, A), q_err, pol_err, bound, n)
