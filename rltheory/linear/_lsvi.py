r"""LSVI-UCB and LMC-LSVI: episodic agents for linear MDPs (the ``"episodic"`` kind).

Regression sums over past data are kept per step :math:`h` as
:math:`\Lambda_h^{-1}` (Sherman-Morrison), :math:`\sum_\tau\phi_\tau r_\tau` and
:math:`M_h = \sum_\tau \phi_\tau e_{s'_\tau}^\top` (a :math:`d\times S`
matrix), so :math:`\sum_\tau\phi_\tau V_{h+1}(s'_\tau) = M_h V_{h+1}` costs
:math:`O(dS)` instead of :math:`O(kd)`: an episode costs
:math:`O(H(SAd + dS + d^2))` whatever the episode index. Planning (``plan``)
runs backward least-squares value iteration at the start of each episode;
``observe`` updates the sums after each step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from .._validation import check_int, check_real
from ..simulation import EpisodicAgent, rng_normal

__all__ = ["LMCLSVI", "LSVIUCB"]


@njit(cache=True)
def _lsvi_init(params, n_states, n_actions, horizon, phi):
    """State: (Linv, Lam, bR, M, width, W, V, target, w, grad, u, best_w)."""
    S, A, d = phi.shape
    H = horizon
    lam = params.regularization
    Linv = np.zeros((H, d, d))
    for h in range(H):
        for i in range(d):
            Linv[h, i, i] = 1.0 / lam
    Lam = np.zeros((H, d, d))
    for h in range(H):
        for i in range(d):
            Lam[h, i, i] = lam
    bR = np.zeros((H, d))
    M = np.zeros((H, d, S))
    width = np.empty((H, S, A))  # phi^T Lambda_h^{-1} phi
    for h in range(H):
        for s in range(S):
            for a in range(A):
                acc = 0.0
                for i in range(d):
                    acc += phi[s, a, i] * phi[s, a, i]
                width[h, s, a] = acc / lam
    W = np.zeros((H, d))  # LMC iterates (warm start across episodes)
    V = np.zeros((H + 1, S))
    return (Linv, Lam, bR, M, width, W, V, np.empty(d), np.empty(d), np.empty(d), np.empty(d), np.empty(d), phi)


@njit(cache=True)
def _regression_target(h, bR, M, V, target):
    d, S = M.shape[1], M.shape[2]
    for i in range(d):
        acc = bR[h, i]
        for t in range(S):
            acc += M[h, i, t] * V[h + 1, t]
        target[i] = acc


@njit(cache=True)
def _lsvi_observe(params, state, h, s, a, r, s2, rng):
    Linv, Lam, bR, M, width, W, V, target, w, grad, u, best_w, phi = state
    S, A, d = phi.shape
    x = phi[s, a]
    q = 0.0
    for i in range(d):
        acc = 0.0
        for j in range(d):
            acc += Linv[h, i, j] * x[j]
        u[i] = acc
        q += x[i] * acc
    denom = 1.0 + q
    for i in range(d):
        for j in range(d):
            Linv[h, i, j] -= u[i] * u[j] / denom
            Lam[h, i, j] += x[i] * x[j]
        bR[h, i] += x[i] * r
        M[h, i, s2] += x[i]
    # Sherman-Morrison on the widths: phi'^T Linv' phi' = phi'^T Linv phi' - (phi'^T u)^2 / denom
    for ss in range(S):
        for aa in range(A):
            p = 0.0
            for i in range(d):
                p += phi[ss, aa, i] * u[i]
            width[h, ss, aa] -= p * p / denom


class _LSVIUCBParams(NamedTuple):
    regularization: float
    beta: float


@njit(cache=True)
def _lsvi_ucb_plan(params, state, episode, pol, rng):
    Linv, Lam, bR, M, width, W, V, target, w, grad, u, best_w, phi = state
    S, A, d = phi.shape
    H = pol.shape[0]
    beta = params.beta
    for h in range(H - 1, -1, -1):
        _regression_target(h, bR, M, V, target)
        cap = float(H - h)
        for i in range(d):
            acc = 0.0
            for j in range(d):
                acc += Linv[h, i, j] * target[j]
            w[i] = acc
        for s in range(S):
            best = -np.inf
            ba = 0
            for a in range(A):
                q = 0.0
                for i in range(d):
                    q += phi[s, a, i] * w[i]
                # Jin et al. (2020), Algorithm 1, line 7: Q = min(w^T phi + beta ||phi||_{Lambda^-1}, H)
                q += beta * math.sqrt(max(width[h, s, a], 0.0))
                if q > cap:
                    q = cap
                if q > best:
                    best = q
                    ba = a
            V[h, s] = best
            pol[h, s] = ba


@dataclass(frozen=True)
class LSVIUCB(EpisodicAgent):
    r"""LSVI-UCB (Jin, Yang, Wang & Jordan 2020, Algorithm 1) for linear MDPs.

    Each episode :math:`k`, backwards over :math:`h`:
    :math:`\Lambda_h = \lambda I + \sum_{\tau<k}\phi_h^\tau\phi_h^{\tau\top}`,
    :math:`w_h = \Lambda_h^{-1}\sum_{\tau<k}\phi_h^\tau[r_h^\tau + V_{h+1}(s_{h+1}^\tau)]`,
    :math:`Q_h = \min(w_h^\top\phi + \beta\|\phi\|_{\Lambda_h^{-1}}, H)` (capped at
    :math:`H - h` here, the largest possible value-to-go), then act greedily.
    Theorem 3.1: with :math:`\beta = c\,dH\sqrt{\iota}`,
    :math:`\iota = \log(2dT/p)`, the regret is at most
    :math:`c'\sqrt{d^3H^3T\iota^2}` with probability :math:`1-p`
    (:math:`T = KH` steps). The constant :math:`c` is not specified;
    ``beta=None`` takes :math:`c = 1` (very conservative for small problems;
    the reproductions pass a smaller ``beta``).

    Parameters
    ----------
    beta : float >= 0 or None
        Bonus multiplier; ``None`` = Theorem 3.1's :math:`dH\sqrt{\log(2dT/\delta)}` (c = 1).
    regularization : float > 0
        :math:`\lambda`.
    delta : float > 0
        Only used when ``beta`` is ``None``.

    Examples
    --------
    >>> from rltheory.linear import LinearMDP, LSVIUCB
    >>> from rltheory.simulation import simulate
    >>> m = LinearMDP.random(5, 2, 3, horizon=4, rng=0)
    >>> curve = simulate(m, LSVIUCB(beta=0.5), n_episodes=200, n_runs=2, seed=0, checkpoints=4)
    >>> curve.regret.shape, bool((curve.regret >= -1e-9).all())
    ((2, 4), True)
    >>> LSVIUCB(beta=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: beta = -1.0 must be >= 0.0
    """

    beta: float | None = None
    regularization: float = 1.0
    delta: float = 0.01

    name: ClassVar[str] = "LSVI-UCB"
    Params: ClassVar = _LSVIUCBParams
    init: ClassVar = staticmethod(_lsvi_init)
    plan: ClassVar = staticmethod(_lsvi_ucb_plan)
    observe: ClassVar = staticmethod(_lsvi_observe)

    def __post_init__(self):
        if self.beta is not None:
            object.__setattr__(self, "beta", check_real("beta", self.beta, low=0.0))
        object.__setattr__(
            self, "regularization", check_real("regularization", self.regularization, low=0.0, low_open=True)
        )
        object.__setattr__(self, "delta", check_real("delta", self.delta, low=0.0, low_open=True))

    def compiled_params(self, problem, budget):
        beta = self.beta
        if beta is None:
            T = budget * problem.horizon
            beta = (
                problem.dim * problem.horizon * math.sqrt(math.log(2.0 * problem.dim * T / self.delta))
            )  # Thm 3.1, c = 1
        return _LSVIUCBParams(self.regularization, float(beta))


class _LMCLSVIParams(NamedTuple):
    regularization: float
    inverse_temperature: float
    n_langevin_steps: int
    step_scale: float
    n_samples: int


@njit(cache=True)
def _lmc_lsvi_plan(params, state, episode, pol, rng):
    Linv, Lam, bR, M, width, W, V, target, w, grad, u, best_w, phi = state
    S, A, d = phi.shape
    H = pol.shape[0]
    inv_temp = params.inverse_temperature
    for h in range(H - 1, -1, -1):
        _regression_target(h, bR, M, V, target)
        cap = float(H - h)
        # Ishfaq et al. (2024), Algorithm 1: Langevin steps on L(w) = ||y - Phi w||^2 + lam ||w||^2,
        # grad = 2 (Lambda w - target); step eta = step_scale / lambda_max(Lambda)
        lmax = np.linalg.eigvalsh(Lam[h])[d - 1]
        eta = params.step_scale / lmax
        noise = math.sqrt(2.0 * eta / inv_temp)
        best_q = np.full((S, A), -np.inf)
        for m in range(params.n_samples):
            for i in range(d):
                w[i] = W[h, i]
            for _ in range(params.n_langevin_steps):
                for i in range(d):
                    acc = 0.0
                    for l in range(d):
                        acc += Lam[h, i, l] * w[l]
                    grad[i] = 2.0 * (acc - target[i])
                for i in range(d):
                    w[i] = w[i] - eta * grad[i] + noise * rng_normal(rng)
            if m == 0:
                for i in range(d):
                    best_w[i] = w[i]
            # optimistic multi-sampling: max over samples (Ishfaq et al. 2024, Sec. 4, "optimistic reward sampling")
            for s in range(S):
                for a in range(A):
                    q = 0.0
                    for i in range(d):
                        q += phi[s, a, i] * w[i]
                    if q > best_q[s, a]:
                        best_q[s, a] = q
        for i in range(d):
            W[h, i] = best_w[i]
        for s in range(S):
            best = -np.inf
            ba = 0
            for a in range(A):
                q = min(max(best_q[s, a], 0.0), cap)
                if q > best:
                    best = q
                    ba = a
            V[h, s] = best
            pol[h, s] = ba


@dataclass(frozen=True)
class LMCLSVI(EpisodicAgent):
    r"""LMC-LSVI (Ishfaq, Lan, Xu, Mahmood, Precup, Anandkumar & Azizzadenesheli 2024, Algorithm 1).

    Replaces the UCB bonus of :class:`LSVIUCB` by approximate posterior
    sampling: for each :math:`h`, :math:`J` Langevin steps on
    :math:`L_h(w) = \sum_\tau(r_h^\tau + V_{h+1}(s^\tau_{h+1}) - w^\top\phi_h^\tau)^2 + \lambda\|w\|^2`,

    .. math:: w \leftarrow w - \eta\nabla L_h(w) + \sqrt{2\eta/\beta_K}\,\epsilon,\quad \epsilon\sim N(0, I),

    warm-started from the previous episode, with
    :math:`\eta = \text{step\_scale}/\lambda_{\max}(\Lambda_h)` (their choice
    is 1/4 of the inverse largest eigenvalue of the Hessian's half), then
    :math:`Q_h = \min(\max(\phi^\top w, 0), H-h)`. With ``n_samples = M > 1``
    the optimistic variant takes the maximum over :math:`M` samples. Their
    Theorem 4.2: :math:`\tilde O(d^{3/2}H^{3/2}\sqrt{T})` regret for suitable
    :math:`\beta_K, J_k, M`. The Langevin chain targets
    :math:`\propto\exp(-\beta_K L_h)`, the Gaussian
    :math:`N(\Lambda_h^{-1}b_h, (2\beta_K\Lambda_h)^{-1})`; see
    :func:`langevin_ridge_samples` for the check.

    Parameters
    ----------
    regularization : float > 0
    inverse_temperature : float > 0
        :math:`\beta_K`.
    n_langevin_steps : int >= 1
        :math:`J`.
    step_scale : float in (0, 0.5)
        :math:`\eta\,\lambda_{\max}(\Lambda_h)`.
    n_samples : int >= 1
        :math:`M` (optimistic maximum over samples when > 1).

    Examples
    --------
    >>> from rltheory.linear import LinearMDP, LMCLSVI
    >>> from rltheory.simulation import simulate
    >>> m = LinearMDP.random(5, 2, 3, horizon=4, rng=0)
    >>> simulate(m, LMCLSVI(), n_episodes=100, n_runs=2, checkpoints=3).regret.shape
    (2, 3)
    >>> LMCLSVI(step_scale=0.5)
    Traceback (most recent call last):
    ...
    ValueError: step_scale = 0.5 must be < 0.5 (the Langevin step must satisfy eta * lambda_max(2 Lambda) < 1)
    """

    regularization: float = 1.0
    inverse_temperature: float = 1.0
    n_langevin_steps: int = 20
    step_scale: float = 0.25
    n_samples: int = 1

    name: ClassVar[str] = "LMC-LSVI"
    Params: ClassVar = _LMCLSVIParams
    init: ClassVar = staticmethod(_lsvi_init)
    plan: ClassVar = staticmethod(_lmc_lsvi_plan)
    observe: ClassVar = staticmethod(_lsvi_observe)

    def __post_init__(self):
        object.__setattr__(
            self, "regularization", check_real("regularization", self.regularization, low=0.0, low_open=True)
        )
        object.__setattr__(
            self,
            "inverse_temperature",
            check_real("inverse_temperature", self.inverse_temperature, low=0.0, low_open=True),
        )
        object.__setattr__(self, "n_langevin_steps", check_int("n_langevin_steps", self.n_langevin_steps, low=1))
        eta = check_real("step_scale", self.step_scale, low=0.0, low_open=True)
        if eta >= 0.5:
            raise ValueError(
                f"step_scale = {eta!r} must be < 0.5 (the Langevin step must satisfy eta * lambda_max(2 Lambda) < 1)"
            )
        object.__setattr__(self, "step_scale", eta)
        object.__setattr__(self, "n_samples", check_int("n_samples", self.n_samples, low=1))
