r"""Linear-bandit agents (the ``"linear-bandit"`` problem kind): LinUCB/OFUL, LinTS, phased elimination.

A linear-bandit agent is an :class:`~rltheory.simulation.Agent` whose class
holds three Numba functions over explicit state:

* ``init(params, n_arms, dim, n_contexts) -> state``;
* ``select(params, state, t, arms, rng) -> int``: the arm of round ``t``
  (1-based) given the round's arm set ``arms`` (``(K, d)``);
* ``update(params, state, t, arms, arm, reward, rng)``.

The engine (:func:`rltheory.simulation.simulate`) draws, per round, the
context set (uniformly from the pool, on the environment stream), the agent's
choice, and the reward :math:`\langle\theta, A_t\rangle + \sigma\eta_t` (on the
environment stream); the agent draws from its own stream. LinUCB and LinTS
use rank-one updates: a round costs :math:`O(Kd + d^2)` on a fixed arm set
(Sherman-Morrison updates of :math:`V^{-1}`, of the widths
:math:`\|a\|^2_{V^{-1}}` and of the predictions
:math:`\langle a,\hat\theta\rangle`) and :math:`O(Kd^2)` when the arm set
changes every round.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from .._validation import check_probability, check_real
from ..simulation import (
    Agent,
    PreparedProblem,
    ProblemKind,
    RegretCurve,
    register_problem_kind,
    rng_integers,
    rng_normal,
)
from ._linear_bandit import LinearBandit

__all__ = ["LinTS", "LinUCB", "LinearBanditAgent"]

#: Widths and predictions are recomputed from V^{-1} every _REFRESH rounds on a fixed arm set (bounds rounding drift).
_REFRESH = 512


@dataclass(frozen=True)
class LinearBanditAgent(Agent):
    """Base class of linear-bandit agents (see the module docstring for the protocol).

    Examples
    --------
    A user agent that plays the arm with the largest first coordinate:

    >>> import numpy as np
    >>> from dataclasses import dataclass
    >>> from numba import njit
    >>> from rltheory.linear import LinearBandit, LinearBanditAgent
    >>> from rltheory.simulation import simulate
    >>> @njit
    ... def first_init(params, n_arms, dim, n_contexts):
    ...     return np.zeros(1)
    >>> @njit
    ... def first_select(params, state, t, arms, rng):
    ...     return int(np.argmax(arms[:, 0]))
    >>> @njit
    ... def first_update(params, state, t, arms, arm, reward, rng):
    ...     state[0] += reward
    >>> @dataclass(frozen=True)
    ... class FirstCoordinate(LinearBanditAgent):
    ...     name = "FirstCoordinate"
    ...     init = staticmethod(first_init)
    ...     select = staticmethod(first_select)
    ...     update = staticmethod(first_update)
    >>> bandit = LinearBandit(np.eye(2), [0.0, 1.0], noise_sigma=0.1)
    >>> simulate(bandit, FirstCoordinate(), n_rounds=50, n_runs=2, checkpoints=2).regret[:, -1].tolist()
    [50.0, 50.0]
    """

    name: ClassVar[str] = "LinearBanditAgent"
    kind: ClassVar[str] = "linear-bandit"
    slots: ClassVar[tuple[str, ...]] = ("init", "select", "update")
    init: ClassVar = None
    select: ClassVar = None
    update: ClassVar = None


# --------------------------------------------------------------------------- shared ridge-regression state


@njit(cache=True)
def _ridge_state(n_arms, dim, lam, first_arms):
    """``V^{-1} = I / lam``, ``theta = 0``, widths ``||a||^2 / lam`` of the first arm set, predictions 0."""
    Vinv = np.eye(dim) / lam
    th = np.zeros(dim)
    widths = np.empty(n_arms)
    for k in range(n_arms):
        s = 0.0
        for i in range(dim):
            s += first_arms[k, i] * first_arms[k, i]
        widths[k] = s / lam
    preds = np.zeros(n_arms)
    logdet = np.array([dim * math.log(lam)])
    return Vinv, th, widths, preds, logdet


@njit(cache=True)
def _refresh(fixed, t, X, Vinv, th, widths, preds):
    """Recompute widths and predictions from ``V^{-1}`` on a new arm set, or every ``_REFRESH`` rounds."""
    t0 = t - 1
    if fixed and not (t0 % _REFRESH == 0 and t0 > 0):
        return
    K, d = X.shape
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


@njit(cache=True)
def _ridge_update(fixed, X, a, r, Vinv, th, widths, preds, logdet, u, proj):
    """Recursive least squares after reward ``r`` of arm ``X[a]``; returns ``1 + x^T V^{-1} x``."""
    K, d = X.shape
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
    # theta' = theta + u (r - x^T theta) / (1 + x^T u)
    for i in range(d):
        th[i] += u[i] * err / denom
    logdet[0] += math.log(denom)  # matrix determinant lemma
    if fixed:
        for k in range(K):
            p = 0.0
            for i in range(d):
                p += X[k, i] * u[i]
            proj[k] = p
        for k in range(K):
            widths[k] -= proj[k] * proj[k] / denom
            preds[k] += proj[k] * err / denom
    return denom


# --------------------------------------------------------------------------- LinUCB


class _LinUCBParams(NamedTuple):
    regularization: float
    delta: float
    theta_bound: float
    radius_scale: float
    sigma: float  # the bandit's noise level (known to OFUL)
    fixed: bool  # a fixed arm set (widths and predictions maintained by rank-one updates)
    first_arms: np.ndarray  # (K, d): the first arm set, for the initial widths


@njit(cache=True)
def _linucb_init(params, n_arms, dim, n_contexts):
    Vinv, th, widths, preds, logdet = _ridge_state(n_arms, dim, params.regularization, params.first_arms)
    return Vinv, th, widths, preds, logdet, np.empty(dim), np.empty(n_arms)


@njit(cache=True)
def _linucb_select(params, state, t, X, rng):
    Vinv, th, widths, preds, logdet, u, proj = state
    _refresh(params.fixed, t, X, Vinv, th, widths, preds)
    d = X.shape[1]
    lam = params.regularization
    # Abbasi-Yadkori, Pal & Szepesvari (2011), Theorem 2 radius
    inner = logdet[0] - d * math.log(lam) + 2.0 * math.log(1.0 / params.delta)
    rad = params.radius_scale * (params.sigma * math.sqrt(max(inner, 0.0)) + math.sqrt(lam) * params.theta_bound)
    best_k = 0
    best_v = -np.inf
    for k in range(X.shape[0]):
        v = preds[k] + rad * math.sqrt(max(widths[k], 0.0))
        if v > best_v:
            best_v = v
            best_k = k
    return best_k


@njit(cache=True)
def _linucb_update(params, state, t, X, a, r, rng):
    Vinv, th, widths, preds, logdet, u, proj = state
    _ridge_update(params.fixed, X, a, r, Vinv, th, widths, preds, logdet, u, proj)


@dataclass(frozen=True)
class LinUCB(LinearBanditAgent):
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

    Examples
    --------
    >>> from rltheory.linear import LinearBandit, LinUCB
    >>> from rltheory.simulation import simulate
    >>> bandit = LinearBandit.random(3, 10, noise_sigma=0.5, rng=0)
    >>> curve = simulate(bandit, LinUCB(), n_rounds=500, n_runs=4, seed=1, checkpoints=5)
    >>> curve.regret.shape, bool((curve.pulls[:, -1].sum(axis=1) == 500).all())
    ((4, 5), True)
    """

    regularization: float = 1.0
    delta: float = 0.01
    theta_bound: float = 1.0
    radius_scale: float = 1.0

    name: ClassVar[str] = "LinUCB"
    Params: ClassVar = _LinUCBParams
    init: ClassVar = staticmethod(_linucb_init)
    select: ClassVar = staticmethod(_linucb_select)
    update: ClassVar = staticmethod(_linucb_update)

    def __post_init__(self):
        object.__setattr__(
            self, "regularization", check_real("regularization", self.regularization, low=0.0, low_open=True)
        )
        object.__setattr__(self, "delta", check_probability("delta", self.delta))
        object.__setattr__(self, "theta_bound", check_real("theta_bound", self.theta_bound, low=0.0))
        object.__setattr__(self, "radius_scale", check_real("radius_scale", self.radius_scale, low=0.0))

    def compiled_params(self, problem, budget):
        return _LinUCBParams(
            self.regularization,
            self.delta,
            self.theta_bound,
            self.radius_scale,
            float(problem.noise_sigma),
            not problem.is_contextual,
            problem.arms[0],
        )


# --------------------------------------------------------------------------- LinTS


class _LinTSParams(NamedTuple):
    regularization: float
    scale: float  # v: the posterior scale
    fixed: bool
    first_arms: np.ndarray


@njit(cache=True)
def _lints_init(params, n_arms, dim, n_contexts):
    lam = params.regularization
    Vinv, th, widths, preds, logdet = _ridge_state(n_arms, dim, lam, params.first_arms)
    L = np.eye(dim) * math.sqrt(lam)  # Cholesky factor of V
    return Vinv, L, th, widths, preds, logdet, np.empty(dim), np.empty(dim), np.empty(dim), np.empty(n_arms)


@njit(cache=True)
def _lints_select(params, state, t, X, rng):
    Vinv, L, th, widths, preds, logdet, u, z, tt, proj = state
    _refresh(params.fixed, t, X, Vinv, th, widths, preds)
    K, d = X.shape
    # theta~ = theta_hat + v L^{-T} z: solve L^T y = z by back substitution
    for i in range(d):
        z[i] = rng_normal(rng)
    for i in range(d - 1, -1, -1):
        acc = z[i]
        for j in range(i + 1, d):
            acc -= L[j, i] * tt[j]
        tt[i] = acc / L[i, i]
    best_k = 0
    best_v = -np.inf
    for k in range(K):
        v = preds[k]
        for i in range(d):
            v += params.scale * X[k, i] * tt[i]
        if v > best_v:
            best_v = v
            best_k = k
    return best_k


@njit(cache=True)
def _lints_update(params, state, t, X, a, r, rng):
    Vinv, L, th, widths, preds, logdet, u, z, tt, proj = state
    _ridge_update(params.fixed, X, a, r, Vinv, th, widths, preds, logdet, u, proj)
    # rank-one Cholesky update of V = L L^T with x (LINPACK dchud / Golub & Van Loan 2013, Sec. 6.5.4)
    d = X.shape[1]
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


@dataclass(frozen=True)
class LinTS(LinearBanditAgent):
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

    Examples
    --------
    >>> from rltheory.linear import LinearBandit, LinTS
    >>> from rltheory.simulation import simulate
    >>> bandit = LinearBandit.random(3, 10, noise_sigma=0.5, rng=0)
    >>> simulate(bandit, LinTS(), n_rounds=300, n_runs=2, seed=1, checkpoints=3).regret.shape
    (2, 3)
    """

    regularization: float = 1.0
    scale: float | None = None

    name: ClassVar[str] = "LinTS"
    Params: ClassVar = _LinTSParams
    init: ClassVar = staticmethod(_lints_init)
    select: ClassVar = staticmethod(_lints_select)
    update: ClassVar = staticmethod(_lints_update)

    def __post_init__(self):
        object.__setattr__(
            self, "regularization", check_real("regularization", self.regularization, low=0.0, low_open=True)
        )
        if self.scale is not None:
            object.__setattr__(self, "scale", check_real("scale", self.scale, low=0.0))

    def compiled_params(self, problem, budget):
        scale = float(problem.noise_sigma) if self.scale is None else float(self.scale)
        return _LinTSParams(self.regularization, scale, not problem.is_contextual, problem.arms[0])


# --------------------------------------------------------------------------- the problem kind


@njit(cache=True)
def linear_bandit_run(init, select, update, params, problem, budget, times, streams, outputs, r):
    """Simulate run ``r`` of a batch; returns 0, or the round at which ``select`` returned an invalid arm."""
    arms, means, best, sigma = problem
    N, K, d = arms.shape
    env = streams[r, 0].copy()
    pol = streams[r, 1].copy()
    o_reg = outputs[0][r]
    o_real = outputs[1][r]
    o_pulls = outputs[2][r]
    state = init(params, K, d, N)
    pulls = np.zeros(K, dtype=np.int64)
    reg = 0.0
    real = 0.0
    c = 0
    for t in range(1, budget + 1):
        ctx = 0 if N == 1 else rng_integers(env, N)
        X = arms[ctx]
        a = select(params, state, t, X, pol)
        if a < 0 or a >= K:
            return t
        x = means[ctx, a] + sigma * rng_normal(env)
        pulls[a] += 1
        reg += best[ctx] - means[ctx, a]
        real += best[ctx] - x
        update(params, state, t, X, a, x, pol)
        if t == times[c]:
            o_reg[c] = reg
            o_real[c] = real
            for k in range(K):
                o_pulls[c, k] = pulls[k]
            c += 1
    return 0


def _prepare(bandit, agent, n_rounds) -> PreparedProblem:
    K = bandit.n_arms

    def allocate(n_runs, n_checkpoints):
        return (
            np.zeros((n_runs, n_checkpoints)),
            np.zeros((n_runs, n_checkpoints)),
            np.zeros((n_runs, n_checkpoints, K), dtype=np.int64),
        )

    def finish(times, outputs, run_start, metadata, confidence, interval):
        regret, realized, pulls = outputs
        return RegretCurve.from_runs(times, regret, realized, pulls, run_start, metadata, confidence, interval)

    return PreparedProblem(
        driver=linear_bandit_run,
        arrays=(
            bandit.arms,
            np.ascontiguousarray(bandit.means),
            np.ascontiguousarray(bandit.best_means),
            float(bandit.noise_sigma),
        ),
        n_streams=2,
        allocate=allocate,
        bytes_per_checkpoint=8 * (2 + K),
        finish=finish,
        rng="xoshiro256++ (environment: contexts and rewards; agent) per run, seeded by SeedSequence(seed, "
        "spawn_key=(run,))",
        invalid_action=f"agent {{agent!r}} selected an arm outside [0, {K}) at {{at}} of run {{run}}",
    )


register_problem_kind(
    ProblemKind(
        name="linear-bandit",
        problem_types=(LinearBandit,),
        agent_base=LinearBanditAgent,
        budget="n_rounds",
        prepare=_prepare,
    )
)
