r"""Linear MDPs (Jin, Yang, Wang & Jordan 2020): the model, exact planning, LSVI-UCB, LMC-LSVI and linear FQI.

An episodic linear MDP with horizon :math:`H` has features
:math:`\phi(s,a) \in \mathbb{R}^d` and, for each step :math:`h`,

.. math:: P_h(s' \mid s, a) = \langle\phi(s,a), \mu_h(s')\rangle,\qquad r_h(s,a) = \langle\phi(s,a), \theta_h\rangle \in [0, 1].

LSVI-UCB and LMC-LSVI run in one Numba kernel per algorithm, parallel over
runs, with per-run xoshiro256++ streams ``SeedSequence(seed, spawn_key=(run,))``.
Their regret :math:`\sum_k V_1^*(s_1^k) - V_1^{\pi_k}(s_1^k)` is computed
exactly (backward induction on the true model for each episode's greedy
policy, in expectation over the initial state). Regression sums over past
data are kept as :math:`\Lambda_h^{-1}` (Sherman-Morrison), :math:`\sum\phi r`
and :math:`M_h = \sum_\tau \phi_\tau e_{s'_\tau}^\top` (a :math:`d\times S`
matrix), so :math:`\sum_\tau\phi_\tau V_{h+1}(s'_\tau) = M_h V_{h+1}` costs
:math:`O(dS)` instead of :math:`O(kd)`: an episode costs
:math:`O(H(SAd + dS + d^2))` whatever the episode index.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numba import njit, prange

from .._validation import PROBABILITY_SUM_ATOL, as_generator, check_discount, check_finite, check_probability_vector, readonly
from ..bandits._curve import RegretCurve
from ..bandits._engine import _versions, checkpoint_times
from ..bandits._rng import rng_categorical, rng_normal, run_states
from ..tabular import FiniteMDP
from ._features import check_features

__all__ = [
    "FQIResult",
    "LMCLSVI",
    "LSVIUCB",
    "LinearMDP",
    "fitted_q_iteration",
    "langevin_ridge_samples",
    "lmc_lsvi",
    "lmc_lsvi_reference",
    "lsvi_ucb",
    "lsvi_ucb_reference",
    "simulate_linear_mdp",
    "ula_gaussian_moments",
]


def _int(name, x, low):
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < low:
        raise ValueError(f"{name} = {x!r} must be an integer >= {low}")
    return int(x)


def _real(name, x, low=0.0, low_open=False):
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(float(x)) or x < low or (low_open and x == low):
        raise ValueError(f"{name} = {x!r} must be a finite real {'>' if low_open else '>='} {low}")
    return float(x)


@dataclass(frozen=True, eq=False)
class LinearMDP:
    r"""An episodic linear MDP, validated once.

    Parameters
    ----------
    features : array_like, shape (S, A, d)
        :math:`\phi(s, a)`.
    mu : array_like, shape (H, d, S)
        :math:`\mu_h(s')` as columns: :math:`P_h(\cdot|s,a) = \phi(s,a)^\top\mu_h`.
    theta : array_like, shape (H, d)
    initial_distribution : array_like, shape (S,)

    Validation: every implied :math:`P_h(\cdot|s,a)` is a probability vector
    (entries :math:`\ge -10^{-10}`, row sums 1 within ``PROBABILITY_SUM_ATOL``;
    tiny negative rounding is clipped), and every reward is in :math:`[0, 1]`
    (Jin et al. 2020, Assumption A). Stored: ``P`` (H, S, A, S) and ``R``
    (H, S, A).

    Examples
    --------
    >>> m = LinearMDP.random(4, 2, 3, horizon=5, rng=0)
    >>> m.P.shape, m.R.shape, bool(np.allclose(m.P.sum(axis=3), 1.0))
    ((5, 4, 2, 4), (5, 4, 2), True)
    """

    features: np.ndarray
    mu: np.ndarray
    theta: np.ndarray
    initial_distribution: np.ndarray

    def __post_init__(self):
        phi = np.array(self.features, dtype=np.float64)
        if phi.ndim != 3 or min(phi.shape) < 1:
            raise ValueError(f"features must have shape (S, A, d), got {phi.shape}")
        S, A, d = phi.shape
        check_finite("features", phi)
        mu = np.array(self.mu, dtype=np.float64)
        if mu.ndim != 3 or mu.shape[1:] != (d, S) or mu.shape[0] < 1:
            raise ValueError(f"mu has shape {mu.shape}, expected (H, {d}, {S})")
        check_finite("mu", mu)
        H = mu.shape[0]
        theta = np.array(self.theta, dtype=np.float64)
        if theta.shape != (H, d):
            raise ValueError(f"theta has shape {theta.shape}, expected ({H}, {d})")
        check_finite("theta", theta)
        rho = check_probability_vector("initial_distribution", self.initial_distribution, S)
        P = np.einsum("sad,hdt->hsat", phi, mu)
        if (P < -1e-10).any():
            h, s, a, t = (int(i) for i in np.argwhere(P < -1e-10)[0])
            raise ValueError(f"implied P_{h}({t} | {s}, {a}) = <phi, mu> = {P[h, s, a, t]!r} is negative")
        sums = P.sum(axis=3)
        if (np.abs(sums - 1.0) > PROBABILITY_SUM_ATOL).any():
            h, s, a = (int(i) for i in np.argwhere(np.abs(sums - 1.0) > PROBABILITY_SUM_ATOL)[0])
            raise ValueError(f"implied P_{h}(. | {s}, {a}) sums to {sums[h, s, a]!r}, expected 1 within {PROBABILITY_SUM_ATOL:g}")
        P = np.clip(P, 0.0, None)
        R = np.einsum("sad,hd->hsa", phi, theta)
        if (R < -1e-12).any() or (R > 1 + 1e-12).any():
            h, s, a = (int(i) for i in np.argwhere((R < -1e-12) | (R > 1 + 1e-12))[0])
            raise ValueError(f"reward r_{h}({s}, {a}) = {R[h, s, a]!r} is outside [0, 1]")
        R = np.clip(R, 0.0, 1.0)
        for name, arr in (("features", phi), ("mu", mu), ("theta", theta), ("initial_distribution", rho), ("P", P), ("R", R)):
            object.__setattr__(self, name, readonly(np.ascontiguousarray(arr)))

    @property
    def horizon(self) -> int:
        return int(self.mu.shape[0])

    @property
    def n_states(self) -> int:
        return int(self.features.shape[0])

    @property
    def n_actions(self) -> int:
        return int(self.features.shape[1])

    @property
    def dim(self) -> int:
        return int(self.features.shape[2])

    @classmethod
    def from_tabular(cls, mdp: FiniteMDP, horizon: int) -> "LinearMDP":
        r"""The tabular MDP as a linear MDP with one-hot features :math:`\phi(s,a) = e_{(s,a)}`, :math:`d = SA`.

        Stationary: :math:`\mu_h(s') = P(s'|\cdot,\cdot)` and
        :math:`\theta_h = r` for every :math:`h`; rewards must lie in [0, 1].
        """
        if not isinstance(mdp, FiniteMDP):
            raise ValueError(f"mdp must be a FiniteMDP, got {type(mdp).__name__}")
        H = _int("horizon", horizon, 1)
        S, A = mdp.n_states, mdp.n_actions
        P = mdp.P.toarray() if mdp.is_sparse else np.asarray(mdp.P).reshape(S * A, S)
        phi = np.eye(S * A).reshape(S, A, S * A)
        rho = mdp.initial_distribution if mdp.initial_distribution is not None else np.full(S, 1.0 / S)
        R = np.asarray(mdp.R, dtype=np.float64).reshape(S * A)
        return cls(phi, np.broadcast_to(P, (H, S * A, S)), np.broadcast_to(R, (H, S * A)), rho)

    @classmethod
    def random(cls, n_states: int, n_actions: int, dim: int, *, horizon: int, rng=None, concentration: float = 0.3) -> "LinearMDP":
        r"""A random low-rank linear MDP.

        :math:`\phi(s,a) \sim \mathrm{Dirichlet}(\alpha\mathbf 1_d)` (on the
        simplex), each :math:`\mu_h(\cdot)` row :math:`\mu_{h,i} \sim
        \mathrm{Dirichlet}(\alpha\mathbf 1_S)` (a distribution over next
        states), so :math:`P_h(\cdot|s,a) = \sum_i\phi_i(s,a)\mu_{h,i}` is a
        mixture of :math:`d` distributions (rank :math:`\le d`);
        :math:`\theta_h \sim U[0,1]^d` so rewards lie in [0, 1]. Initial
        state uniform.
        """
        S, A, d, H = (_int(n, v, 1) for n, v in (("n_states", n_states), ("n_actions", n_actions), ("dim", dim), ("horizon", horizon)))
        c = _real("concentration", concentration, low_open=True)
        g = as_generator(rng)
        phi = g.dirichlet(np.full(d, c), size=(S, A))
        mu = g.dirichlet(np.full(S, c), size=(H, d))
        theta = g.uniform(0.0, 1.0, size=(H, d))
        return cls(phi, mu, theta, np.full(S, 1.0 / S))

    def to_spec(self) -> dict:
        """JSON-serialisable description: every defining array as nested lists (exact float reprs).

        Examples
        --------
        >>> m = LinearMDP.random(3, 2, 2, horizon=2, rng=0)
        >>> spec = m.to_spec()
        >>> spec["type"], len(spec["features"]), len(spec["mu"])
        ('LinearMDP', 3, 2)
        >>> LinearMDP(spec["features"], spec["mu"], spec["theta"], spec["initial_distribution"]).to_spec() == spec
        True
        """
        return {
            "type": "LinearMDP",
            "features": self.features.tolist(),
            "mu": self.mu.tolist(),
            "theta": self.theta.tolist(),
            "initial_distribution": self.initial_distribution.tolist(),
        }

    def optimal_values(self):
        r"""Backward induction: ``(V, Q, policy)`` with ``V`` (H+1, S), ``Q`` (H, S, A), ``policy`` (H, S) (ties -> lowest action).

        :math:`Q_h^* = r_h + P_h V_{h+1}^*`, :math:`V_{H}^* = 0` (Puterman 2005, Sec. 4.5).
        """
        H, S, A = self.horizon, self.n_states, self.n_actions
        V = np.zeros((H + 1, S))
        Q = np.zeros((H, S, A))
        for h in range(H - 1, -1, -1):
            Q[h] = self.R[h] + self.P[h] @ V[h + 1]
            V[h] = Q[h].max(axis=1)
        return V, Q, Q.argmax(axis=2)

    def policy_values(self, policy) -> np.ndarray:
        r"""``V^pi`` (H+1, S) of a deterministic non-stationary policy ``policy`` (H, S)."""
        pol = np.asarray(policy)
        if pol.shape != (self.horizon, self.n_states) or pol.dtype.kind not in "iu" or (pol < 0).any() or (pol >= self.n_actions).any():
            raise ValueError(f"policy must be integers in [0, {self.n_actions}) of shape ({self.horizon}, {self.n_states})")
        V = np.zeros((self.horizon + 1, self.n_states))
        idx = np.arange(self.n_states)
        for h in range(self.horizon - 1, -1, -1):
            V[h] = self.R[h, idx, pol[h]] + self.P[h, idx, pol[h]] @ V[h + 1]
        return V


# --------------------------------------------------------------------------- compiled LSVI-UCB / LMC-LSVI

_UCB, _LMC = 0, 1


@njit(cache=True)
def _run_lsvi(algo, phi, P, cumP, R, cum0, rho, vstar, n_episodes, lam, beta, eta_scale, inv_temp, n_lmc, n_samples, times, rng, o_reg, o_pulls):
    S, A, d = phi.shape
    H = R.shape[0]
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
    pol = np.zeros((H, S), dtype=np.int64)
    Vpi = np.zeros(S)
    Vn = np.zeros(S)
    target = np.empty(d)
    w = np.empty(d)
    grad = np.empty(d)
    u = np.empty(d)
    best_w = np.empty(d)
    counts = np.zeros(A, dtype=np.int64)
    reg = 0.0
    c = 0
    for k in range(n_episodes):
        # ---- planning: backward least-squares value iteration
        for h in range(H - 1, -1, -1):
            for i in range(d):
                acc = bR[h, i]
                for t in range(S):
                    acc += M[h, i, t] * V[h + 1, t]
                target[i] = acc
            cap = float(H - h)
            if algo == _UCB:
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
            else:
                # Ishfaq et al. (2024), Algorithm 1: Langevin steps on L(w) = ||y - Phi w||^2 + lam ||w||^2,
                # grad = 2 (Lambda w - target); step eta = eta_scale / lambda_max(Lambda)
                lmax = np.linalg.eigvalsh(Lam[h])[d - 1]
                eta = eta_scale / lmax
                noise = math.sqrt(2.0 * eta / inv_temp)
                best_q = np.full((S, A), -np.inf)
                for m in range(n_samples):
                    for i in range(d):
                        w[i] = W[h, i]
                    for j in range(n_lmc):
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
        # ---- exact regret of the greedy policy: rho^T (V*_0 - V^pi_0)
        for s in range(S):
            Vn[s] = 0.0
        for h in range(H - 1, -1, -1):
            for s in range(S):
                a = pol[h, s]
                acc = R[h, s, a]
                for t in range(S):
                    acc += P[h, s, a, t] * Vn[t]
                Vpi[s] = acc
            for s in range(S):
                Vn[s] = Vpi[s]
        gap = 0.0
        for s in range(S):
            gap += rho[s] * (vstar[s] - Vn[s])
        reg += gap
        # ---- act and update the sufficient statistics
        s = rng_categorical(rng, cum0)
        for h in range(H):
            a = pol[h, s]
            counts[a] += 1
            s2 = rng_categorical(rng, cumP[h, s, a])
            r = R[h, s, a]
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
            s = s2
        if k + 1 == times[c]:
            o_reg[c] = reg
            for a in range(A):
                o_pulls[c, a] = counts[a]
            c += 1


@njit(cache=True, parallel=True)
def _kernel_lsvi(algo, phi, P, cumP, R, cum0, rho, vstar, n_episodes, lam, beta, eta_scale, inv_temp, n_lmc, n_samples, times, states, o_reg, o_pulls):
    for j in prange(states.shape[0]):
        rng = states[j].copy()
        _run_lsvi(algo, phi, P, cumP, R, cum0, rho, vstar, n_episodes, lam, beta, eta_scale, inv_temp, n_lmc, n_samples, times, rng, o_reg[j], o_pulls[j])


def _arrays(mdp):
    return (
        np.ascontiguousarray(mdp.features),
        np.ascontiguousarray(mdp.P),
        np.ascontiguousarray(np.cumsum(mdp.P, axis=3)),
        np.ascontiguousarray(mdp.R),
        np.cumsum(mdp.initial_distribution),
        np.ascontiguousarray(mdp.initial_distribution),
    )


def _run(algo, mdp, n_episodes, n_runs, seed, checkpoints, run_start, lam, beta, eta_scale, inv_temp, n_lmc, n_samples, spec):
    if not isinstance(mdp, LinearMDP):
        raise ValueError(f"mdp must be a LinearMDP, got {type(mdp).__name__}")
    K = _int("n_episodes", n_episodes, 1)
    n_runs = _int("n_runs", n_runs, 1)
    seed = _int("seed", seed, 0)
    run_start = _int("run_start", run_start, 0)
    times = checkpoint_times(K, checkpoints)
    vstar = mdp.optimal_values()[0][0]
    states = np.ascontiguousarray(run_states(seed, np.arange(run_start, run_start + n_runs), 1)[:, 0])
    C = times.size
    reg = np.zeros((n_runs, C))
    pulls = np.zeros((n_runs, C, mdp.n_actions), dtype=np.int64)
    _kernel_lsvi(algo, *_arrays(mdp), vstar, K, lam, beta, eta_scale, inv_temp, n_lmc, n_samples, times, states, reg, pulls)
    metadata = {
        "mdp": {"type": "LinearMDP", "n_states": mdp.n_states, "n_actions": mdp.n_actions, "dim": mdp.dim, "horizon": mdp.horizon},
        "policy": spec,
        "seed": seed,
        "horizon": K,
        "rng": "xoshiro256++ per run seeded by SeedSequence(seed, spawn_key=(run,))",
        "versions": _versions(),
    }
    # the regret is computed exactly (no sampled rewards), so realized = expected regret
    return RegretCurve.from_runs(times, reg, reg, pulls, run_start, metadata)


def lsvi_ucb(mdp: LinearMDP, n_episodes: int, *, beta: float | None = None, regularization: float = 1.0, delta: float = 0.01,
             n_runs: int = 1, seed: int = 0, checkpoints=100, run_start: int = 0) -> RegretCurve:
    r"""LSVI-UCB (Jin, Yang, Wang & Jordan 2020, Algorithm 1) with its exact regret.

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

    Returns
    -------
    RegretCurve
        ``times`` are episodes; ``regret`` the cumulative exact regret
        :math:`\sum_{k}\rho^\top(V_1^* - V_1^{\pi_k})`; ``pulls`` action counts.

    Examples
    --------
    >>> m = LinearMDP.random(5, 2, 3, horizon=4, rng=0)
    >>> curve = lsvi_ucb(m, 200, beta=0.5, n_runs=2, seed=0, checkpoints=4)
    >>> curve.regret.shape, bool((curve.regret >= -1e-9).all())
    ((2, 4), True)
    """
    lam = _real("regularization", regularization, low_open=True)
    p = _real("delta", delta, low_open=True)
    if beta is None:
        T = n_episodes * mdp.horizon if isinstance(mdp, LinearMDP) else 1
        beta = mdp.dim * mdp.horizon * math.sqrt(math.log(2.0 * mdp.dim * T / p))  # Jin et al. (2020), Thm 3.1 with c = 1
    b = _real("beta", beta)
    spec = {"type": "LSVI-UCB", "beta": b, "regularization": lam}
    return _run(_UCB, mdp, n_episodes, n_runs, seed, checkpoints, run_start, lam, b, 0.0, 1.0, 0, 1, spec)


def lmc_lsvi(mdp: LinearMDP, n_episodes: int, *, regularization: float = 1.0, inverse_temperature: float = 1.0,
             n_langevin_steps: int = 20, step_scale: float = 0.25, n_samples: int = 1, n_runs: int = 1, seed: int = 0,
             checkpoints=100, run_start: int = 0) -> RegretCurve:
    r"""LMC-LSVI (Ishfaq, Lan, Xu, Mahmood, Precup, Anandkumar & Azizzadenesheli 2024, Algorithm 1).

    Replaces the UCB bonus of :func:`lsvi_ucb` by approximate posterior
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

    Returns
    -------
    RegretCurve
        As :func:`lsvi_ucb`.

    Examples
    --------
    >>> m = LinearMDP.random(5, 2, 3, horizon=4, rng=0)
    >>> lmc_lsvi(m, 100, n_runs=2, checkpoints=3).regret.shape
    (2, 3)
    """
    lam = _real("regularization", regularization, low_open=True)
    bt = _real("inverse_temperature", inverse_temperature, low_open=True)
    J = _int("n_langevin_steps", n_langevin_steps, 1)
    eta = _real("step_scale", step_scale, low_open=True)
    if eta >= 0.5:
        raise ValueError(f"step_scale = {eta!r} must be < 0.5 (the Langevin step must satisfy eta * lambda_max(2 Lambda) < 1)")
    M = _int("n_samples", n_samples, 1)
    spec = {"type": "LMC-LSVI", "regularization": lam, "inverse_temperature": bt, "n_langevin_steps": J, "step_scale": eta, "n_samples": M}
    return _run(_LMC, mdp, n_episodes, n_runs, seed, checkpoints, run_start, lam, 0.0, eta, bt, J, M, spec)


# --------------------------------------------------------------------------- agent records


@dataclass(frozen=True)
class LSVIUCB:
    r"""Configuration of :func:`lsvi_ucb` (Jin, Yang, Wang & Jordan 2020, Algorithm 1) for :func:`simulate_linear_mdp`.

    A frozen record of the algorithm's parameters (the algorithm itself is
    :func:`lsvi_ucb`), with ``name``, :meth:`params` and :meth:`to_spec` like
    the bandit policies, so that an experiment can hash and label it.

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
    >>> LSVIUCB(beta=0.5).to_spec()
    {'type': 'LSVI-UCB', 'params': {'beta': 0.5, 'regularization': 1.0, 'delta': 0.01}}
    >>> LSVIUCB(beta=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: beta = -1.0 must be a finite real >= 0.0
    """

    beta: float | None = None
    regularization: float = 1.0
    delta: float = 0.01

    name: ClassVar[str] = "LSVI-UCB"

    def __post_init__(self):
        if self.beta is not None:
            object.__setattr__(self, "beta", _real("beta", self.beta))
        object.__setattr__(self, "regularization", _real("regularization", self.regularization, low_open=True))
        object.__setattr__(self, "delta", _real("delta", self.delta, low_open=True))

    def params(self) -> dict:
        """Parameters as a JSON-serialisable dict."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_spec(self) -> dict:
        """``{"type": name, "params": params()}``."""
        return {"type": self.name, "params": self.params()}


@dataclass(frozen=True)
class LMCLSVI:
    r"""Configuration of :func:`lmc_lsvi` (Ishfaq et al. 2024, Algorithm 1) for :func:`simulate_linear_mdp`.

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
    >>> LMCLSVI(inverse_temperature=10.0).params()["inverse_temperature"]
    10.0
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

    def __post_init__(self):
        object.__setattr__(self, "regularization", _real("regularization", self.regularization, low_open=True))
        object.__setattr__(self, "inverse_temperature", _real("inverse_temperature", self.inverse_temperature, low_open=True))
        object.__setattr__(self, "n_langevin_steps", _int("n_langevin_steps", self.n_langevin_steps, 1))
        eta = _real("step_scale", self.step_scale, low_open=True)
        if eta >= 0.5:
            raise ValueError(f"step_scale = {eta!r} must be < 0.5 (the Langevin step must satisfy eta * lambda_max(2 Lambda) < 1)")
        object.__setattr__(self, "step_scale", eta)
        object.__setattr__(self, "n_samples", _int("n_samples", self.n_samples, 1))

    def params(self) -> dict:
        """Parameters as a JSON-serialisable dict."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_spec(self) -> dict:
        """``{"type": name, "params": params()}``."""
        return {"type": self.name, "params": self.params()}


def simulate_linear_mdp(mdp: LinearMDP, agent, n_episodes: int, n_runs: int = 1, *, seed: int = 0, checkpoints=100,
                        run_start: int = 0) -> RegretCurve:
    r"""Run the agent ``agent`` (:class:`LSVIUCB` or :class:`LMCLSVI`) on ``mdp`` for ``n_runs`` runs of ``n_episodes`` episodes.

    Calls :func:`lsvi_ucb` or :func:`lmc_lsvi` with the record's parameters.
    Run ``i`` draws only from ``SeedSequence(seed, spawn_key=(i,))``, so
    chunks ``run_start = 0, n_runs = 5`` and ``run_start = 5, n_runs = 5``
    reproduce one call with ``n_runs = 10`` bit for bit (the semantics of
    :func:`rltheory.bandits.simulate` and :func:`simulate_linear`).

    Returns
    -------
    RegretCurve
        ``times`` are episodes; ``regret`` (= ``realized_regret``) the exact
        cumulative regret :math:`\sum_k\rho^\top(V_1^* - V_1^{\pi_k})`.

    Examples
    --------
    >>> m = LinearMDP.random(5, 2, 3, horizon=4, rng=0)
    >>> whole = simulate_linear_mdp(m, LSVIUCB(beta=0.5), 60, 4, seed=2, checkpoints=3)
    >>> parts = [simulate_linear_mdp(m, LSVIUCB(beta=0.5), 60, 2, seed=2, checkpoints=3, run_start=a) for a in (0, 2)]
    >>> bool((RegretCurve.concatenate(parts).regret == whole.regret).all())
    True
    """
    if isinstance(agent, LSVIUCB):
        return lsvi_ucb(mdp, n_episodes, beta=agent.beta, regularization=agent.regularization, delta=agent.delta,
                        n_runs=n_runs, seed=seed, checkpoints=checkpoints, run_start=run_start)
    if isinstance(agent, LMCLSVI):
        return lmc_lsvi(mdp, n_episodes, regularization=agent.regularization, inverse_temperature=agent.inverse_temperature,
                        n_langevin_steps=agent.n_langevin_steps, step_scale=agent.step_scale, n_samples=agent.n_samples,
                        n_runs=n_runs, seed=seed, checkpoints=checkpoints, run_start=run_start)
    raise ValueError(f"agent must be LSVIUCB or LMCLSVI, got {type(agent).__name__}")


def lsvi_ucb_reference(mdp: LinearMDP, n_episodes: int, *, beta: float, regularization: float = 1.0, seed: int = 0) -> np.ndarray:
    r"""Naive NumPy LSVI-UCB: every episode re-solves each regression from all stored data.

    :math:`\Lambda_h` rebuilt from the :math:`k` stored features and inverted
    (:math:`O(kd^2 + d^3)`), the targets recomputed per sample
    (:math:`O(kd)`), bonuses as full quadratic forms (:math:`O(SAd^2)`). Same
    random stream as run 0 of :func:`lsvi_ucb` (a plain-Python xoshiro256++
    twin), so it plays the same episodes. Returns the cumulative regret per
    episode.
    """
    from ..bandits._rng import PyXoshiro

    phi, P, cumP, R, cum0, rho = _arrays(mdp)
    S, A, d = phi.shape
    H = mdp.horizon
    vstar = mdp.optimal_values()[0][0]
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


def lmc_lsvi_reference(mdp: LinearMDP, n_episodes: int, *, regularization: float = 1.0, inverse_temperature: float = 1.0,
                       n_langevin_steps: int = 20, step_scale: float = 0.25, n_samples: int = 1, seed: int = 0) -> np.ndarray:
    r"""Plain NumPy LMC-LSVI (run 0 of :func:`lmc_lsvi`, same xoshiro256++ stream): regressions re-solved from stored data.

    :math:`\Lambda_h` and :math:`\sum_\tau\phi_\tau y_\tau` are rebuilt every episode; the Langevin
    iterations, the optimistic maximum over samples and the warm start are those of :func:`lmc_lsvi`.
    Returns the cumulative regret per episode.
    """
    from ..bandits._rng import PyXoshiro

    phi, P, cumP, R, cum0, rho = _arrays(mdp)
    S, A, d = phi.shape
    H = mdp.horizon
    vstar = mdp.optimal_values()[0][0]
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


# --------------------------------------------------------------------------- Langevin check on ridge regression


@njit(cache=True, parallel=True)
def _kernel_ula(Lam, b, w0, eta, inv_temp, n_steps, states, out):
    d = Lam.shape[0]
    for m in prange(states.shape[0]):
        rng = states[m].copy()
        w = w0.copy()
        g = np.empty(d)
        sd = math.sqrt(2.0 * eta / inv_temp)
        for _ in range(n_steps):
            for i in range(d):
                acc = 0.0
                for j in range(d):
                    acc += Lam[i, j] * w[j]
                g[i] = 2.0 * (acc - b[i])
            for i in range(d):
                w[i] = w[i] - eta * g[i] + sd * rng_normal(rng)
        out[m] = w


def langevin_ridge_samples(X, y, *, regularization: float = 1.0, inverse_temperature: float = 1.0, step: float,
                           n_steps: int, n_samples: int, seed: int = 0, w0=None) -> np.ndarray:
    r"""Independent unadjusted-Langevin chains on the ridge loss, the sampler inside :func:`lmc_lsvi`.

    :math:`L(w) = \|y - Xw\|^2 + \lambda\|w\|^2`, :math:`\nabla L = 2(\Lambda w - X^\top y)`,
    :math:`\Lambda = X^\top X + \lambda I`;
    :math:`w_{j+1} = w_j - \eta\nabla L(w_j) + \sqrt{2\eta/\beta}\,\xi_j`.
    Returns ``(n_samples, d)`` final iterates; their exact law is given by
    :func:`ula_gaussian_moments`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.eye(2); y = np.array([1.0, -1.0])
    >>> langevin_ridge_samples(X, y, step=0.05, n_steps=10, n_samples=3).shape
    (3, 2)
    """
    X = check_features(X, full_rank=False, name="X")
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y has shape {y.shape}, expected ({X.shape[0]},)")
    check_finite("y", y)
    lam = _real("regularization", regularization, low_open=True)
    bt = _real("inverse_temperature", inverse_temperature, low_open=True)
    eta = _real("step", step, low_open=True)
    J = _int("n_steps", n_steps, 0)
    n = _int("n_samples", n_samples, 1)
    d = X.shape[1]
    Lam = X.T @ X + lam * np.eye(d)
    w = np.zeros(d) if w0 is None else np.asarray(w0, dtype=np.float64)
    if w.shape != (d,):
        raise ValueError(f"w0 has shape {w.shape}, expected ({d},)")
    out = np.empty((n, d))
    states = np.ascontiguousarray(run_states(_int("seed", seed, 0), np.arange(n), 1)[:, 0])
    _kernel_ula(Lam, X.T @ y, w, eta, bt, J, states, out)
    return out


def ula_gaussian_moments(X, y, *, regularization: float = 1.0, inverse_temperature: float = 1.0, step: float | None = None,
                         n_steps: int | None = None, w0=None):
    r"""Exact mean and covariance of the Langevin iterate on the ridge loss (and of the posterior).

    The chain is linear-Gaussian: with :math:`B = I - 2\eta\Lambda`,
    :math:`m = \Lambda^{-1}X^\top y`,
    :math:`w_J - m = B^J(w_0 - m) + \sqrt{2\eta/\beta}\sum_{j<J}B^j\xi_j`, so

    .. math:: \mathbb{E}w_J = m + B^J(w_0 - m),\qquad \mathrm{Cov}\,w_J = \frac{2\eta}{\beta}\sum_{j<J}B^{2j}.

    As :math:`J\to\infty` (for :math:`\eta\lambda_{\max}(\Lambda) < 1`) the
    covariance tends to :math:`\beta^{-1}(2\Lambda)^{-1}(I - \eta\Lambda)^{-1}`
    and, as :math:`\eta\to 0`, to the exact Gibbs posterior
    :math:`\propto\exp(-\beta L)`: :math:`N(m, (2\beta\Lambda)^{-1})`.
    ``step=None`` returns the exact posterior ``(m, (2 beta Lambda)^-1)``.

    Examples
    --------
    >>> import numpy as np
    >>> m, C = ula_gaussian_moments(np.eye(2), np.array([1.0, -1.0]))
    >>> m.tolist(), C.tolist()
    ([0.5, -0.5], [[0.25, 0.0], [0.0, 0.25]])
    """
    X = check_features(X, full_rank=False, name="X")
    y = np.asarray(y, dtype=np.float64)
    lam = _real("regularization", regularization, low_open=True)
    bt = _real("inverse_temperature", inverse_temperature, low_open=True)
    d = X.shape[1]
    Lam = X.T @ X + lam * np.eye(d)
    m = np.linalg.solve(Lam, X.T @ y)
    if step is None:
        return m, np.linalg.inv(2.0 * bt * Lam)
    eta = _real("step", step, low_open=True)
    J = _int("n_steps", n_steps, 0)
    evals, U = np.linalg.eigh(Lam)
    bdiag = 1.0 - 2.0 * eta * evals
    w = np.zeros(d) if w0 is None else np.asarray(w0, dtype=np.float64)
    mean = m + U @ (bdiag**J * (U.T @ (w - m)))
    with np.errstate(divide="ignore", invalid="ignore"):
        geo = np.where(np.abs(bdiag**2 - 1.0) > 1e-15, (1.0 - bdiag ** (2 * J)) / (1.0 - bdiag**2), float(J))
    cov = (2.0 * eta / bt) * (U * geo) @ U.T
    return mean, cov


# --------------------------------------------------------------------------- fitted Q iteration


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


def fitted_q_iteration(mdp: FiniteMDP, features, n_iterations: int, *, n_samples: int | None = None, sampling=None,
                       regularization: float = 0.0, rng=None) -> FQIResult:
    r"""Fitted Q iteration with linear features (the FQI simplification of Fan, Wang, Xie & Yang 2020).

    :math:`Q_{k+1} = \Phi\theta_{k+1}`,
    :math:`\theta_{k+1} = \arg\min_\theta\sum_i(\phi(s_i,a_i)^\top\theta - r_i - \gamma\max_{a'}Q_k(s'_i,a'))^2 + \epsilon\|\theta\|^2`
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
    n_iterations : int
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
    K = _int("n_iterations", n_iterations, 0)
    nu = np.full(S * A, 1.0 / (S * A)) if sampling is None else check_probability_vector("sampling", sampling, S * A)
    eps = _real("regularization", regularization)
    n = 0 if n_samples is None else _int("n_samples", n_samples, 1)
    g = as_generator(rng)
    P = (mdp.P.toarray() if mdp.is_sparse else np.asarray(mdp.P).reshape(S * A, S)).astype(np.float64)
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
