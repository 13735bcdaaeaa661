r"""Linear and contextual bandits: the instance, LinUCB/OFUL, LinTS, phased elimination, and simulation.

Rewards are :math:`X_t = \langle \theta, A_t\rangle + \eta_t` with
:math:`\eta_t \sim N(0, \sigma^2)`. Arms are either a fixed set
:math:`\mathcal{A} \subset \mathbb{R}^d` of :math:`K` vectors, or (contextual)
a pool of :math:`N` context sets, one drawn uniformly at random each round.

:func:`simulate_linear` returns the :class:`~rltheory.bandits.RegretCurve` of
the bandit engine (same checkpoints, same per-run xoshiro256++ streams
``SeedSequence(seed, spawn_key=(run,))``, same chunking semantics through
``run_start``). LinUCB and LinTS run in one Numba kernel, parallel over runs,
with rank-one updates: a round costs :math:`O(Kd + d^2)` on a fixed arm set
(Sherman-Morrison updates of :math:`V^{-1}`, of the widths
:math:`\|a\|^2_{V^{-1}}` and of the predictions :math:`\langle a,\hat\theta\rangle`)
and :math:`O(Kd^2)` when the arm set changes every round.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from .._validation import as_generator, check_finite, readonly
from ..bandits._curve import RegretCurve
from ..bandits._engine import _versions, checkpoint_times
from ..bandits._rng import rng_integers, rng_normal, run_states
from ._design import g_optimal_design

__all__ = [
    "LinTS",
    "LinUCB",
    "LinearBandit",
    "PhasedElimination",
    "oful_radius",
    "simulate_linear",
]


def _real(name, x, *, low=None, low_open=False, high=None):
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(float(x)):
        raise ValueError(f"{name} = {x!r} must be a finite real number")
    x = float(x)
    if low is not None and (x < low or (low_open and x == low)):
        raise ValueError(f"{name} = {x!r} must be {'>' if low_open else '>='} {low}")
    if high is not None and x >= high:
        raise ValueError(f"{name} = {x!r} must be < {high}")
    return x


def _int(name, x, low):
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < low:
        raise ValueError(f"{name} = {x!r} must be an integer >= {low}")
    return int(x)


@dataclass(frozen=True, eq=False)
class LinearBandit:
    r"""A stochastic linear bandit with Gaussian noise.

    Parameters
    ----------
    arms : array_like, shape (K, d) or (N, K, d)
        A fixed arm set, or a pool of ``N`` context sets (one drawn uniformly
        at random per round, independently of the past).
    theta : array_like, shape (d,)
        The unknown parameter.
    noise_sigma : float >= 0
        Standard deviation of the Gaussian noise (a :math:`\sigma`-sub-Gaussian
        noise in the sense of Abbasi-Yadkori et al. 2011).

    Attributes
    ----------
    contexts : (N, K, d) ndarray
        The arm sets (``N = 1`` for a fixed set).
    means : (N, K) ndarray
        :math:`\langle\theta, a\rangle`.
    best_means : (N,) ndarray
    gaps : (N, K) ndarray

    Examples
    --------
    >>> import numpy as np
    >>> bandit = LinearBandit(np.eye(2), [1.0, 0.5], noise_sigma=0.1)
    >>> bandit.n_arms, bandit.dim, bandit.gaps.tolist()
    (2, 2, [[0.0, 0.5]])
    """

    arms: np.ndarray
    theta: np.ndarray
    noise_sigma: float = 1.0

    def __post_init__(self):
        arms = np.array(self.arms, dtype=np.float64)
        if arms.ndim == 2:
            arms = arms[None]
        if arms.ndim != 3 or min(arms.shape) < 1:
            raise ValueError(f"arms must have shape (K, d) or (N, K, d) with positive sizes, got {np.shape(self.arms)}")
        check_finite("arms", arms)
        theta = np.array(self.theta, dtype=np.float64)
        if theta.shape != (arms.shape[2],):
            raise ValueError(f"theta has shape {theta.shape}, expected ({arms.shape[2]},) to match the arms")
        check_finite("theta", theta)
        sigma = _real("noise_sigma", self.noise_sigma, low=0.0)
        means = arms @ theta
        object.__setattr__(self, "arms", readonly(np.ascontiguousarray(arms)))
        object.__setattr__(self, "theta", readonly(theta))
        object.__setattr__(self, "noise_sigma", sigma)
        object.__setattr__(self, "means", readonly(means))
        object.__setattr__(self, "best_means", readonly(means.max(axis=1)))
        object.__setattr__(self, "gaps", readonly(means.max(axis=1, keepdims=True) - means))

    @property
    def contexts(self) -> np.ndarray:
        return self.arms

    @property
    def n_arms(self) -> int:
        return int(self.arms.shape[1])

    @property
    def dim(self) -> int:
        return int(self.arms.shape[2])

    @property
    def n_contexts(self) -> int:
        return int(self.arms.shape[0])

    @property
    def is_contextual(self) -> bool:
        return self.n_contexts > 1

    @classmethod
    def random(cls, dim: int, n_arms: int, *, n_contexts: int = 1, noise_sigma: float = 1.0, rng=None) -> "LinearBandit":
        r"""Arms and :math:`\theta` uniform on the unit sphere of :math:`\mathbb{R}^d` (so means lie in [-1, 1])."""
        d = _int("dim", dim, 1)
        K = _int("n_arms", n_arms, 1)
        N = _int("n_contexts", n_contexts, 1)
        g = as_generator(rng)
        X = g.standard_normal((N, K, d))
        X /= np.linalg.norm(X, axis=2, keepdims=True)
        th = g.standard_normal(d)
        th /= np.linalg.norm(th)
        return cls(X if N > 1 else X[0], th, noise_sigma)

    def to_spec(self) -> dict:
        """JSON-serialisable description (arrays as nested lists)."""
        return {
            "type": "LinearBandit",
            "arms": self.arms.tolist() if self.is_contextual else self.arms[0].tolist(),
            "theta": self.theta.tolist(),
            "noise_sigma": self.noise_sigma,
        }


def oful_radius(log_det_V: float, dim: int, regularization: float, delta: float, sigma: float, theta_bound: float) -> float:
    r"""Radius of the OFUL confidence ellipsoid (Abbasi-Yadkori, Pal & Szepesvari 2011, Theorem 2).

    With probability at least :math:`1-\delta`, for all :math:`t \ge 0`,
    :math:`\|\hat\theta_t - \theta\|_{V_t} \le \sqrt{\beta_t}` where
    :math:`V_t = \lambda I + \sum_{s\le t} A_s A_s^\top` and

    .. math::

        \sqrt{\beta_t} = \sigma\sqrt{2\log\frac{\det(V_t)^{1/2}\det(\lambda I)^{-1/2}}{\delta}} + \lambda^{1/2} S ,

    for :math:`\sigma`-sub-Gaussian noise and :math:`\|\theta\|_2 \le S`.

    Examples
    --------
    >>> round(oful_radius(0.0, 2, 1.0, 0.05, 1.0, 1.0), 4)  # t = 0: sigma sqrt(2 log(1/delta)) + sqrt(lambda) S
    3.4477
    """
    # Abbasi-Yadkori et al. (2011), Theorem 2: 2 log(det(V)^(1/2) det(lambda I)^(-1/2) / delta)
    inner = log_det_V - dim * math.log(regularization) + 2.0 * math.log(1.0 / delta)
    return sigma * math.sqrt(max(inner, 0.0)) + math.sqrt(regularization) * theta_bound


@dataclass(frozen=True)
class LinUCB:
    r"""LinUCB / OFUL: optimism in the face of uncertainty with the self-normalized ellipsoid.

    :math:`A_t = \arg\max_a \langle a, \hat\theta_{t-1}\rangle + \sqrt{\beta_{t-1}}\|a\|_{V_{t-1}^{-1}}`
    with ridge estimate :math:`\hat\theta_t = V_t^{-1}\sum_{s\le t} A_s X_s` and
    :math:`\sqrt{\beta_t}` from :func:`oful_radius` (Abbasi-Yadkori, Pal &
    Szepesvari 2011, Theorem 2, with :math:`\sigma` the bandit's
    ``noise_sigma``), times ``radius_scale``. With ``radius_scale = 1`` and
    :math:`\|\theta\| \le S`, :math:`|\langle a,\theta\rangle| \le 1`, the
    regret is :math:`O(d\sqrt{T}\log T)` with probability :math:`1-\delta`
    (their Theorem 3). Ties go to the lowest arm index.

    Parameters
    ----------
    regularization : float > 0
        :math:`\lambda`.
    delta : float in (0, 1)
    theta_bound : float >= 0
        :math:`S \ge \|\theta\|_2`.
    radius_scale : float >= 0
        Multiplies :math:`\sqrt{\beta_t}` (1 = the theorem).
    """

    regularization: float = 1.0
    delta: float = 0.01
    theta_bound: float = 1.0
    radius_scale: float = 1.0

    def __post_init__(self):
        _real("regularization", self.regularization, low=0.0, low_open=True)
        _real("delta", self.delta, low=0.0, low_open=True, high=1.0)
        _real("theta_bound", self.theta_bound, low=0.0)
        _real("radius_scale", self.radius_scale, low=0.0)

    name = "LinUCB"

    def to_spec(self) -> dict:
        return {"type": "LinUCB", "regularization": self.regularization, "delta": self.delta, "theta_bound": self.theta_bound, "radius_scale": self.radius_scale}


@dataclass(frozen=True)
class LinTS:
    r"""Linear Thompson sampling (Agrawal & Goyal 2013).

    :math:`\tilde\theta_t \sim N(\hat\theta_{t-1}, v^2 V_{t-1}^{-1})`, play
    :math:`\arg\max_a\langle a,\tilde\theta_t\rangle`. Agrawal & Goyal (2013,
    Theorem 1) take :math:`v = R\sqrt{24 d\ln(1/\delta)/\epsilon}` and prove
    :math:`\tilde O(d^{3/2}\sqrt{T})` (:math:`\tilde O(d\sqrt{T\log K})` for
    finite :math:`K`) regret; the default ``scale=None`` uses
    :math:`v = \sigma` (the Bayesian posterior under a Gaussian prior), the
    usual practical choice. The sample is drawn as
    :math:`\hat\theta + v L^{-\top}z` with :math:`V = LL^\top` maintained by
    rank-one Cholesky updates (:math:`O(d^2)` per round).

    Parameters
    ----------
    regularization : float > 0
    scale : float >= 0 or None
        :math:`v`; ``None`` = the bandit's ``noise_sigma``.
    """

    regularization: float = 1.0
    scale: float | None = None

    def __post_init__(self):
        _real("regularization", self.regularization, low=0.0, low_open=True)
        if self.scale is not None:
            _real("scale", self.scale, low=0.0)

    name = "LinTS"

    def to_spec(self) -> dict:
        return {"type": "LinTS", "regularization": self.regularization, "scale": self.scale}


@dataclass(frozen=True)
class PhasedElimination:
    r"""Phased elimination with G-optimal design (Lattimore & Szepesvari 2020, Algorithm 12, Sec. 22.1).

    In phase :math:`\ell = 1, 2, \dots` with :math:`\epsilon_\ell = 2^{-\ell}`:
    compute a G-optimal design :math:`\pi_\ell` on the active arms
    (:func:`g_optimal_design`, in the span of the active arms, support
    :math:`\le d(d+1)/2`), play each arm
    :math:`T_\ell(a) = \lceil 2 d\,\pi_\ell(a)\epsilon_\ell^{-2}\log(k\ell(\ell+1)/\delta)\rceil`
    times, form the least-squares estimate and eliminate every arm with
    :math:`\max_b\langle\hat\theta_\ell, b - a\rangle > 2\epsilon_\ell`.
    Theorem 22.1: with :math:`\delta = 1/T`,
    :math:`R_T \le C\sqrt{Td\log(kT)}`. Fixed arm sets only.

    Parameters
    ----------
    delta : float in (0, 1) or None
        ``None``: :math:`1/T` as in Theorem 22.1.
    design_tol : float > 0
        Tolerance of the design certificate :math:`g \le d(1+\text{tol})`
        (the theorem's factor :math:`2d` then holds with :math:`2d(1+\text{tol})`).
    """

    delta: float | None = None
    design_tol: float = 0.05

    def __post_init__(self):
        if self.delta is not None:
            _real("delta", self.delta, low=0.0, low_open=True, high=1.0)
        _real("design_tol", self.design_tol, low=0.0, low_open=True)

    name = "PhasedElimination"

    def to_spec(self) -> dict:
        return {"type": "PhasedElimination", "delta": self.delta, "design_tol": self.design_tol}


# --------------------------------------------------------------------------- compiled LinUCB / LinTS

_LINUCB, _LINTS = 0, 1
_REFRESH = 512  # recompute widths/predictions from V^{-1} every _REFRESH rounds (bounds rounding drift)


@njit(cache=True)
def _run_linear(policy, arms, means, best, sigma, lam, delta, S, scale, radius_scale, horizon, times, env, pol, o_reg, o_real, o_pulls):
    N, K, d = arms.shape
    Vinv = np.eye(d) / lam
    L = np.eye(d) * math.sqrt(lam)  # Cholesky factor of V (LinTS)
    bvec = np.zeros(d)
    th = np.zeros(d)
    logdet = d * math.log(lam)
    fixed = N == 1
    widths = np.empty(K)
    preds = np.zeros(K)
    for k in range(K):
        s = 0.0
        for i in range(d):
            s += arms[0, k, i] * arms[0, k, i]
        widths[k] = s / lam
    u = np.empty(d)
    z = np.empty(d)
    tt = np.empty(d)
    proj = np.empty(K)
    pulls = np.zeros(K, dtype=np.int64)
    reg = 0.0
    real = 0.0
    c = 0
    for t in range(horizon):
        ctx = 0 if fixed else rng_integers(env, N)
        X = arms[ctx]
        if not fixed or (t % _REFRESH == 0 and t > 0):
            for k in range(K):
                w = 0.0
                p = 0.0
                for i in range(d):
                    acc = 0.0
                    for j in range(d):
                        acc += Vinv[i, j] * X[k, j]
                    w += X[k, i] * acc
                    p += X[k, i] * th[i]
                widths[k] = w
                preds[k] = p
        best_k = 0
        best_v = -np.inf
        if policy == _LINUCB:
            # Abbasi-Yadkori, Pal & Szepesvari (2011), Theorem 2 radius
            inner = logdet - d * math.log(lam) + 2.0 * math.log(1.0 / delta)
            rad = radius_scale * (sigma * math.sqrt(max(inner, 0.0)) + math.sqrt(lam) * S)
            for k in range(K):
                v = preds[k] + rad * math.sqrt(max(widths[k], 0.0))
                if v > best_v:
                    best_v = v
                    best_k = k
        else:
            # theta~ = theta_hat + scale L^{-T} z: solve L^T y = z by back substitution
            for i in range(d):
                z[i] = rng_normal(pol)
            for i in range(d - 1, -1, -1):
                acc = z[i]
                for j in range(i + 1, d):
                    acc -= L[j, i] * tt[j]
                tt[i] = acc / L[i, i]
            for k in range(K):
                v = preds[k]
                for i in range(d):
                    v += scale * X[k, i] * tt[i]
                if v > best_v:
                    best_v = v
                    best_k = k
        a = best_k
        r = means[ctx, a] + sigma * rng_normal(env)
        pulls[a] += 1
        reg += best[ctx] - means[ctx, a]
        real += best[ctx] - r
        # Sherman-Morrison: u = V^{-1} x, V'^{-1} = V^{-1} - u u^T / (1 + x^T u)
        q = 0.0
        for i in range(d):
            acc = 0.0
            for j in range(d):
                acc += Vinv[i, j] * X[a, j]
            u[i] = acc
            q += X[a, i] * acc
        denom = 1.0 + q
        err = r - preds[a]  # preds[a] = <x, theta_hat> (maintained, or recomputed this round)
        for i in range(d):
            for j in range(d):
                Vinv[i, j] -= u[i] * u[j] / denom
        # recursive least squares: theta' = theta + u (r - x^T theta) / (1 + x^T u)
        for i in range(d):
            th[i] += u[i] * err / denom
            bvec[i] += X[a, i] * r
        logdet += math.log(denom)  # matrix determinant lemma
        if fixed:
            for k in range(K):
                p = 0.0
                for i in range(d):
                    p += X[k, i] * u[i]
                proj[k] = p
            for k in range(K):
                widths[k] -= proj[k] * proj[k] / denom
                preds[k] += proj[k] * err / denom
        if policy == _LINTS:
            # rank-one Cholesky update of V = L L^T with x (LINPACK dchud / Golub & Van Loan 2013, Sec. 6.5.4)
            for i in range(d):
                z[i] = X[a, i]
            for i in range(d):
                rr = math.sqrt(L[i, i] * L[i, i] + z[i] * z[i])
                cc = rr / L[i, i]
                ss = z[i] / L[i, i]
                L[i, i] = rr
                for j in range(i + 1, d):
                    L[j, i] = (L[j, i] + ss * z[j]) / cc
                    z[j] = cc * z[j] - ss * L[j, i]
        if t + 1 == times[c]:
            o_reg[c] = reg
            o_real[c] = real
            for k in range(K):
                o_pulls[c, k] = pulls[k]
            c += 1


@njit(cache=True, parallel=True)
def _kernel_linear(policy, arms, means, best, sigma, lam, delta, S, scale, radius_scale, horizon, times, env, pol, o_reg, o_real, o_pulls):
    for j in prange(env.shape[0]):
        e = env[j].copy()
        p = pol[j].copy()
        _run_linear(policy, arms, means, best, sigma, lam, delta, S, scale, radius_scale, horizon, times, e, p, o_reg[j], o_real[j], o_pulls[j])


def linucb_reference_run(bandit: LinearBandit, policy: LinUCB, horizon: int, env_state, pol_state):
    """Plain NumPy LinUCB (O(K d^2) per round, widths recomputed from V^{-1} each round) on PyXoshiro streams.

    Returns the sequence of arms played; the compiled kernel must play the same ones.
    """
    from ..bandits._rng import PyXoshiro

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
    import scipy.linalg

    from ..bandits._rng import PyXoshiro

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


# --------------------------------------------------------------------------- phased elimination


def _phased_elimination_run(bandit, policy, horizon, rng, times):
    X = bandit.arms[0]
    means = bandit.means[0]
    K, d = X.shape
    delta = 1.0 / horizon if policy.delta is None else policy.delta
    active = np.arange(K)
    plays = np.empty(horizon, dtype=np.int64)
    noise = bandit.noise_sigma * rng.standard_normal(horizon)
    t = 0
    ell = 1
    while t < horizon:
        eps = 2.0**-ell
        A = X[active]
        # work in the span of the active arms (Lattimore & Szepesvari 2020, Note 22.1)
        U, sv, _ = np.linalg.svd(A.T, full_matrices=False)
        r = int(np.sum(sv > 1e-10 * sv[0])) if sv[0] > 0 else 0
        if r == 0 or active.size == 1:
            plays[t:] = active[0]
            break
        Z = A @ U[:, :r]
        design = g_optimal_design(Z, tol=policy.design_tol)
        # Lattimore & Szepesvari (2020), eq. (22.1): T_l(a) = ceil(2 d pi(a) / eps^2 log(k l (l+1) / delta))
        counts = np.ceil(2.0 * r * design.weights / eps**2 * math.log(K * ell * (ell + 1) / delta)).astype(np.int64)
        seq = np.repeat(np.arange(active.size), counts)
        n = min(seq.size, horizon - t)
        plays[t : t + n] = active[seq[:n]]
        if n < seq.size:
            break
        rewards = means[active[seq]] + noise[t : t + n]
        G = (Z[seq]).T @ Z[seq]
        th = np.linalg.solve(G, Z[seq].T @ rewards)
        pred = Z @ th
        active = active[pred.max() - pred <= 2.0 * eps]
        t += n
        ell += 1
    gaps = bandit.gaps[0][plays]
    creg = np.cumsum(gaps)
    creal = np.cumsum(gaps - noise)
    onehot_counts = np.zeros((times.size, K), dtype=np.int64)
    for c, tc in enumerate(times):
        onehot_counts[c] = np.bincount(plays[:tc], minlength=K)
    return creg[times - 1], creal[times - 1], onehot_counts


def simulate_linear(bandit, policy, horizon: int, n_runs: int, *, seed: int = 0, checkpoints=200, run_start: int = 0,
                    confidence: float = 0.95, interval: str = "normal", progress: bool = False) -> RegretCurve:
    r"""Simulate ``n_runs`` runs of a linear-bandit policy and return their :class:`~rltheory.bandits.RegretCurve`.

    Pseudo-regret :math:`\sum_{s\le t}\max_a\langle\theta,a\rangle - \langle\theta,A_s\rangle`
    (per-round maximum over the round's context set); realized regret
    subtracts the observed rewards instead. ``pulls`` counts arm indices.

    Parameters
    ----------
    bandit : LinearBandit
    policy : LinUCB, LinTS or PhasedElimination
    horizon, n_runs, seed, checkpoints, run_start, confidence, interval, progress
        As in :func:`rltheory.bandits.simulate`: run ``i`` draws only from
        ``SeedSequence(seed, spawn_key=(i,))`` so chunks ``[0, 50)`` and
        ``[50, 100)`` reproduce one call with ``n_runs=100`` bit for bit.

    Returns
    -------
    RegretCurve

    Examples
    --------
    >>> from rltheory.linear import LinearBandit, LinUCB, simulate_linear
    >>> bandit = LinearBandit.random(3, 10, noise_sigma=0.5, rng=0)
    >>> curve = simulate_linear(bandit, LinUCB(), 500, 4, seed=1, checkpoints=5)
    >>> curve.regret.shape, bool((curve.pulls[:, -1].sum(axis=1) == 500).all())
    ((4, 5), True)
    """
    if not isinstance(bandit, LinearBandit):
        raise ValueError(f"bandit must be a LinearBandit, got {type(bandit).__name__}")
    if not isinstance(policy, (LinUCB, LinTS, PhasedElimination)):
        raise ValueError(f"policy must be LinUCB, LinTS or PhasedElimination, got {type(policy).__name__}")
    horizon = _int("horizon", horizon, 1)
    n_runs = _int("n_runs", n_runs, 1)
    seed = _int("seed", seed, 0)
    run_start = _int("run_start", run_start, 0)
    _real("confidence", confidence, low=0.0, low_open=True, high=1.0)
    if interval not in ("normal", "bootstrap"):
        raise ValueError(f"interval = {interval!r} must be 'normal' or 'bootstrap'")
    times = checkpoint_times(horizon, checkpoints)
    K, C = bandit.n_arms, times.size
    regret = np.zeros((n_runs, C))
    realized = np.zeros((n_runs, C))
    pulls = np.zeros((n_runs, C, K), dtype=np.int64)
    batches = [(0, n_runs)]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        step = max(1, -(-n_runs // 20))
        batches = [(s, min(s + step, n_runs)) for s in range(0, n_runs, step)]
        bar = tqdm(total=n_runs, desc=policy.name, unit="run", disable=None)
    try:
        for lo, hi in batches:
            runs = np.arange(run_start + lo, run_start + hi)
            if isinstance(policy, PhasedElimination):
                if bandit.is_contextual:
                    raise ValueError("PhasedElimination needs a fixed arm set (a LinearBandit with arms of shape (K, d))")
                for j, i in enumerate(runs):
                    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(i),)))
                    regret[lo + j], realized[lo + j], pulls[lo + j] = _phased_elimination_run(bandit, policy, horizon, rng, times)
            else:
                states = run_states(seed, runs, 2)
                code = _LINUCB if isinstance(policy, LinUCB) else _LINTS
                if code == _LINUCB:
                    delta, S, scale, rs = policy.delta, policy.theta_bound, 0.0, policy.radius_scale
                else:
                    delta, S, rs = 0.5, 0.0, 0.0
                    scale = bandit.noise_sigma if policy.scale is None else float(policy.scale)
                _kernel_linear(
                    code, bandit.arms, np.ascontiguousarray(bandit.means), np.ascontiguousarray(bandit.best_means),
                    bandit.noise_sigma, float(policy.regularization), float(delta), float(S), float(scale), float(rs),
                    horizon, times, np.ascontiguousarray(states[:, 0]), np.ascontiguousarray(states[:, 1]),
                    regret[lo:hi], realized[lo:hi], pulls[lo:hi],
                )
            if bar is not None:
                bar.update(hi - lo)
    finally:
        if bar is not None:
            bar.close()
    metadata = {
        "bandit": bandit.to_spec(),
        "policy": policy.to_spec(),
        "seed": seed,
        "horizon": horizon,
        "rng": "xoshiro256++ (environment, policy) per run for LinUCB/LinTS, numpy PCG64 per run for PhasedElimination, "
        "seeded by SeedSequence(seed, spawn_key=(run,))",
        "versions": _versions(),
    }
    return RegretCurve.from_runs(times, regret, realized, pulls, run_start, metadata, float(confidence), interval)
