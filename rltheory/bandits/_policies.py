"""Bandit policies: agents of the ``"bandit"`` kind (:class:`BanditAgent`).

A bandit agent is a frozen dataclass of its parameters (see
:class:`rltheory.simulation.Agent`) whose class holds three Numba functions
over explicit state:

* ``init(params, n_arms) -> state`` allocates and fills the run's state (any
  Numba value; built-ins use a ``float64`` array ``(rows, n_arms)``);
* ``select(params, state, t, rng) -> int`` returns the arm of round ``t``
  (1-based) and may draw from ``rng`` (a ``uint64[4]`` xoshiro256++ state:
  :func:`rltheory.simulation.rng_uniform`, ``rng_normal``, ``rng_beta``, ...);
* ``update(params, state, t, arm, reward, rng)`` records the reward.

``params`` is the agent's ``Params`` record (a :class:`typing.NamedTuple`,
read by name), built by :meth:`~rltheory.simulation.Agent.compiled_params`.
:func:`rltheory.simulation.simulate` calls ``init`` once per run and then
``select``/``update`` once per round, inside one compiled ``prange`` loop over
runs, in a kernel generated once per agent class; a user policy is written the
same way (see :class:`BanditAgent`).

Unless stated otherwise, ties in an index are broken towards the lowest arm,
and index policies first pull every arm once (rounds ``1..K``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from .._validation import check_choice, check_int, check_real
from ..simulation import Agent, rng_gamma_dc, rng_integers, rng_normal, rng_uniform
from ._kl import _kl_clipped, klucb_bernoulli, klucb_gaussian

__all__ = [
    "BanditAgent",
    "BayesUCB",
    "EXP3",
    "EXP3IX",
    "EpsilonGreedy",
    "ExploreThenCommit",
    "IMED",
    "KLUCB",
    "KLUCBPlus",
    "MOSS",
    "ThompsonSampling",
    "TsallisINF",
    "UCB1",
    "UCBV",
]


# ----------------------------------------------------------------------------
# compiled helpers
# ----------------------------------------------------------------------------


@njit(cache=True)
def _first_unplayed(state):
    """Lowest arm with zero pulls (row 0 of ``state``), or -1."""
    for a in range(state.shape[1]):
        if state[0, a] == 0.0:
            return a
    return -1


@njit(cache=True)
def _record_mean(state, arm, reward):
    state[0, arm] += 1.0
    state[1, arm] += reward


@njit(cache=True)
def _two_rows(params, n_arms):
    """State of the mean-based policies: row 0 pulls, row 1 reward sums."""
    return np.zeros((2, n_arms))


@njit(cache=True)
def _three_rows(params, n_arms):
    return np.zeros((3, n_arms))


@njit(cache=True)
def _mean_update(params, state, t, arm, reward, rng):
    _record_mean(state, arm, reward)


@njit(cache=True)
def _sample_discrete(p, u):
    acc = 0.0
    n = p.shape[0]
    for i in range(n):
        acc += p[i]
        if u < acc:
            return i
    for i in range(n - 1, -1, -1):  # rounding: last arm with positive mass
        if p[i] > 0.0:
            return i
    return n - 1


@njit(cache=True)
def _betacf(a, b, x):
    # continued fraction of the incomplete beta function, modified Lentz
    # (Press et al., Numerical Recipes, 3rd ed., Sec. 6.4, eq. 6.4.5)
    tiny = 1e-300
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < tiny:
        d = tiny
    d = 1.0 / d
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < tiny:
            d = tiny
        c = 1.0 + aa / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < tiny:
            d = tiny
        c = 1.0 + aa / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        de = d * c
        h *= de
        if abs(de - 1.0) < 1e-15:
            break
    return h


@njit(cache=True)
def beta_cdf(x, a, b):
    """Regularised incomplete beta ``I_x(a, b)`` (Numerical Recipes eq. 6.4.9)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbt = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(lbt) * _betacf(a, b, x) / a
    return 1.0 - math.exp(lbt) * _betacf(b, a, 1.0 - x) / b


@njit(cache=True)
def beta_quantile(level, a, b):
    """Quantile of Beta(a, b) at ``level``: Newton on ``I_x(a, b)`` safeguarded by bisection.

    A bracket ``[lo, hi]`` of the root is kept; a Newton step leaving it is
    replaced by the midpoint, so the iteration converges like bisection in
    the worst case and quadratically near the root.  Stops when the bracket
    or the step is below ``1e-14``.
    """
    if level <= 0.0:
        return 0.0
    if level >= 1.0:
        return 1.0
    lbeta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    lo = 0.0
    hi = 1.0
    x = a / (a + b)
    for _ in range(200):
        f = beta_cdf(x, a, b) - level
        if f < 0.0:
            lo = x
        else:
            hi = x
        if hi - lo < 1e-14:
            break
        dens = math.exp((a - 1.0) * math.log(x) + (b - 1.0) * math.log1p(-x) - lbeta)
        x_new = x - f / dens if dens > 0.0 else 0.5 * (lo + hi)
        if not (x_new > lo and x_new < hi):
            x_new = 0.5 * (lo + hi)
        if abs(x_new - x) < 1e-14:
            x = x_new
            break
        x = x_new
    return x


@njit(cache=True)
def normal_quantile(level):
    """Standard normal quantile: bisection on ``erfc`` to full precision."""
    if level <= 0.0:
        return -np.inf
    if level >= 1.0:
        return np.inf
    lo = -40.0
    hi = 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid == lo or mid == hi:
            break
        if 0.5 * math.erfc(-mid / math.sqrt(2.0)) < level:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# ----------------------------------------------------------------------------
# the bandit agent base class
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BanditAgent(Agent):
    """Base class of bandit policies: agents of the ``"bandit"`` problem kind.

    Subclasses are frozen dataclasses whose fields are the parameters; they
    set ``name``, the three compiled functions ``init``, ``select``,
    ``update`` (wrapped in ``staticmethod``; see the module docstring) and,
    when the functions read parameters, ``Params`` (a ``NamedTuple``) and
    :meth:`~rltheory.simulation.Agent.compiled_params`. Defining a subclass
    registers its ``name`` for :func:`rltheory.simulation.agent_from_spec`.

    Examples
    --------
    A user policy ("follow the leader" after one pull of every arm), compiled
    into the engine exactly like a built-in one:

    >>> import numpy as np
    >>> from dataclasses import dataclass
    >>> from numba import njit
    >>> from rltheory.bandits import BanditAgent, BernoulliBandit
    >>> from rltheory.simulation import simulate
    >>> @njit
    ... def ftl_init(params, n_arms):
    ...     return np.zeros((2, n_arms))
    >>> @njit
    ... def ftl_select(params, state, t, rng):
    ...     K = state.shape[1]
    ...     if t <= K:
    ...         return t - 1
    ...     return int(np.argmax(state[1] / state[0]))
    >>> @njit
    ... def ftl_update(params, state, t, arm, reward, rng):
    ...     state[0, arm] += 1.0
    ...     state[1, arm] += reward
    >>> @dataclass(frozen=True)
    ... class FollowTheLeader(BanditAgent):
    ...     name = "FollowTheLeader"
    ...     init = staticmethod(ftl_init)
    ...     select = staticmethod(ftl_select)
    ...     update = staticmethod(ftl_update)
    >>> curve = simulate(BernoulliBandit([0.9, 0.5]), FollowTheLeader(), n_rounds=100, n_runs=4, checkpoints=5)
    >>> curve.pulls[:, -1].sum(axis=1).tolist()
    [100, 100, 100, 100]
    """

    name: ClassVar[str] = "BanditAgent"
    kind: ClassVar[str] = "bandit"
    slots: ClassVar[tuple[str, ...]] = ("init", "select", "update")
    init: ClassVar = None
    select: ClassVar = None
    update: ClassVar = None


def _optional_real(name, value, **bounds):
    return None if value is None else check_real(name, value, **bounds)


# ----------------------------------------------------------------------------
# epsilon-greedy
# ----------------------------------------------------------------------------


class _EpsilonGreedyParams(NamedTuple):
    epsilon: float
    decaying: bool
    c: float
    d: float


@njit(cache=True)
def _eg_select(params, state, t, rng):
    a = _first_unplayed(state)
    if a >= 0:
        return a
    K = state.shape[1]
    if params.decaying:
        # Auer et al. (2002), Sec. 3: eps_n = min{1, cK / (d^2 n)}
        eps = min(1.0, params.c * K / (params.d * params.d * t))
    else:
        eps = params.epsilon
    if rng_uniform(rng) < eps:
        return rng_integers(rng, K)
    best = 0
    bv = -np.inf
    for i in range(K):
        v = state[1, i] / state[0, i]
        if v > bv:
            bv = v
            best = i
    return best


@dataclass(frozen=True)
class EpsilonGreedy(BanditAgent):
    r"""epsilon-greedy, constant or with the decaying schedule of Auer et al. (2002).

    After one pull of every arm, round ``t`` explores (a uniform arm) with
    probability :math:`\varepsilon_t` and otherwise plays the best empirical
    mean.  ``schedule="constant"``: :math:`\varepsilon_t = \varepsilon`
    (linear regret).  ``schedule="decaying"``: :math:`\varepsilon_t =
    \min\{1, cK/(d^2 t)\}`; Auer, Cesa-Bianchi & Fischer (2002), *Finite-time
    analysis of the multiarmed bandit problem*, Theorem 3: for
    :math:`c > 5` and :math:`0 < d \le \min_i \Delta_i` the probability of a
    suboptimal pull at time ``t`` is :math:`O(c/(d^2 t))`, hence logarithmic
    regret.

    Examples
    --------
    >>> EpsilonGreedy(schedule="decaying", c=6.0, d=0.1).params()
    {'epsilon': 0.1, 'schedule': 'decaying', 'c': 6.0, 'd': 0.1}
    """

    epsilon: float = 0.1
    schedule: str = "constant"
    c: float = 5.0
    d: float = 0.1

    name: ClassVar[str] = "EpsilonGreedy"
    Params: ClassVar = _EpsilonGreedyParams
    init: ClassVar = staticmethod(_two_rows)
    select: ClassVar = staticmethod(_eg_select)
    update: ClassVar = staticmethod(_mean_update)

    def __post_init__(self):
        object.__setattr__(self, "epsilon", check_real("epsilon", self.epsilon, low=0.0, high=1.0))
        check_choice("schedule", self.schedule, ("constant", "decaying"))
        object.__setattr__(self, "c", check_real("c", self.c, low=0.0, low_open=True))
        object.__setattr__(self, "d", check_real("d", self.d, low=0.0, low_open=True, high=1.0))

    def compiled_params(self, problem, budget):
        return _EpsilonGreedyParams(self.epsilon, self.schedule == "decaying", self.c, self.d)


# ----------------------------------------------------------------------------
# explore-then-commit
# ----------------------------------------------------------------------------


class _ExploreThenCommitParams(NamedTuple):
    m: float


@njit(cache=True)
def _etc_init(params, n_arms):
    state = np.zeros((3, n_arms))
    state[2, 0] = -1.0  # the committed arm, once chosen
    return state


@njit(cache=True)
def _etc_select(params, state, t, rng):
    K = state.shape[1]
    m = params.m
    if t <= m * K:
        return (t - 1) % K
    if state[2, 0] < 0.0:
        best = 0
        bv = -np.inf
        for i in range(K):
            v = state[1, i] / state[0, i]
            if v > bv:
                bv = v
                best = i
        state[2, 0] = best
    return int(state[2, 0])


@dataclass(frozen=True)
class ExploreThenCommit(BanditAgent):
    r"""Explore-then-commit: ``m`` round-robin pulls of each arm, then the empirical best forever.

    Lattimore & Szepesvári (2020), *Bandit Algorithms*, Algorithm 1 and
    Theorem 6.1: for 1-subgaussian arms and :math:`mK \le n`,
    :math:`R_n \le m\sum_i\Delta_i + (n - mK)\sum_i \Delta_i
    \exp(-m\Delta_i^2/4)`.

    Examples
    --------
    >>> ExploreThenCommit(m=10).params()
    {'m': 10}
    """

    m: int = 10

    name: ClassVar[str] = "ExploreThenCommit"
    Params: ClassVar = _ExploreThenCommitParams
    init: ClassVar = staticmethod(_etc_init)
    select: ClassVar = staticmethod(_etc_select)
    update: ClassVar = staticmethod(_mean_update)

    def __post_init__(self):
        object.__setattr__(self, "m", check_int("m", self.m, low=1))

    def compiled_params(self, problem, budget):
        return _ExploreThenCommitParams(float(self.m))


# ----------------------------------------------------------------------------
# UCB1, UCB-V, MOSS
# ----------------------------------------------------------------------------


class _UCB1Params(NamedTuple):
    alpha: float


@njit(cache=True)
def _ucb1_init(params, n_arms):
    """Rows: pulls, reward sums, means, 1 / sqrt(pulls)."""
    return np.zeros((4, n_arms))


@njit(cache=True)
def _ucb1_update(params, state, t, arm, reward, rng):
    n = state[0, arm] + 1.0
    s = state[1, arm] + reward
    state[0, arm] = n
    state[1, arm] = s
    state[2, arm] = s / n  # the mean, computed exactly as in the index
    state[3, arm] = 1.0 / math.sqrt(n)  # for the screening pass of _ucb1_select only


@njit(cache=True)
def _ucb1_select(params, state, t, rng):
    K = state.shape[1]
    if t <= K:
        # rounds 1..K play arms 0..K-1 in order (each round plays the lowest unplayed arm)
        return _first_unplayed(state)
    # Auer et al. (2002), Fig. 1: argmax_j mean_j + sqrt(alpha ln n / n_j), n = plays so far = t - 1
    c = params.alpha * math.log(t - 1.0)
    # Screening pass: a_j = mean_j + sqrt(c) / sqrt(n_j) is the index up to a
    # few ulps (|a_j - index_j| <= 7u sqrt(c) + 3u |index_j|, u = 2**-53), so
    # only arms with a_j >= max_i a_i - tol, tol = 1e-12 (|max a| + sqrt(c)),
    # can be the argmax of the exact index.  With a single such arm it is the
    # argmax; otherwise the exact index decides among them (ties -> lowest
    # arm), so the choice is bit-for-bit that of the exact formula.
    sc = math.sqrt(c)
    best = 0
    bv = -np.inf
    for i in range(K):
        v = state[2, i] + sc * state[3, i]
        if v > bv:
            bv = v
            best = i
    thr = bv - 1e-12 * (abs(bv) + sc)
    if not (thr > -np.inf):  # non-finite indices: exact pass over every arm
        thr = -np.inf
    n_cand = 0
    for i in range(K):
        if state[2, i] + sc * state[3, i] >= thr:
            n_cand += 1
    if n_cand == 1:
        return best
    best = 0
    bv = -np.inf
    for i in range(K):
        if state[2, i] + sc * state[3, i] >= thr:
            v = state[2, i] + math.sqrt(c / state[0, i])
            if v > bv:
                bv = v
                best = i
    return best


@dataclass(frozen=True)
class UCB1(BanditAgent):
    r"""UCB1 of Auer, Cesa-Bianchi & Fischer (2002).

    After one pull of each arm, play :math:`\arg\max_j \bar x_j +
    \sqrt{\alpha \ln n / n_j}` where ``n`` is the number of plays so far
    (``t - 1`` in round ``t``) and :math:`n_j` the pulls of arm ``j``.
    With :math:`\alpha = 2` and rewards in ``[0, 1]``, Theorem 1 of Auer et al.
    (2002) bounds the expected regret after ``n`` plays by
    :math:`8\sum_{i:\Delta_i>0}\ln n/\Delta_i + (1+\pi^2/3)\sum_j\Delta_j`
    (:func:`ucb1_regret_bound`).

    Examples
    --------
    >>> UCB1().to_spec()
    {'type': 'UCB1', 'params': {'alpha': 2.0}}
    """

    alpha: float = 2.0

    name: ClassVar[str] = "UCB1"
    Params: ClassVar = _UCB1Params
    init: ClassVar = staticmethod(_ucb1_init)
    select: ClassVar = staticmethod(_ucb1_select)
    update: ClassVar = staticmethod(_ucb1_update)

    def __post_init__(self):
        object.__setattr__(self, "alpha", check_real("alpha", self.alpha, low=0.0))


class _UCBVParams(NamedTuple):
    zeta: float
    c: float
    b: float


@njit(cache=True)
def _ucbv_update(params, state, t, arm, reward, rng):
    state[0, arm] += 1.0
    state[1, arm] += reward
    state[2, arm] += reward * reward


@njit(cache=True)
def _ucbv_select(params, state, t, rng):
    a = _first_unplayed(state)
    if a >= 0:
        return a
    # Audibert, Munos & Szepesvari (2009), eq. (1): E_{s,t} = zeta log t,
    # B = mean + sqrt(2 V E / s) + c 3 b E / s
    e = params.zeta * math.log(t)
    c3b = 3.0 * params.c * params.b
    best = 0
    bv = -np.inf
    for i in range(state.shape[1]):
        s = state[0, i]
        mean = state[1, i] / s
        var = max(state[2, i] / s - mean * mean, 0.0)
        v = mean + math.sqrt(2.0 * var * e / s) + c3b * e / s
        if v > bv:
            bv = v
            best = i
    return best


@dataclass(frozen=True)
class UCBV(BanditAgent):
    r"""UCB-V (Audibert, Munos & Szepesvári 2009, *Theoretical Computer Science* 410).

    Index :math:`\bar X_{k,s} + \sqrt{2 V_{k,s}\mathcal E_{s,t}/s} +
    3cb\,\mathcal E_{s,t}/s` with :math:`\mathcal E_{s,t} = \zeta\log t`,
    :math:`V_{k,s}` the empirical (biased) variance and rewards in
    ``[0, b]``.  Theorem 3 of the paper gives logarithmic regret
    :math:`O(\sum_k (\sigma_k^2/\Delta_k + 2b)\log n)` for :math:`c = 1`,
    :math:`\zeta > 1`.

    Examples
    --------
    >>> UCBV().params()
    {'zeta': 1.2, 'c': 1.0, 'b': 1.0}
    """

    zeta: float = 1.2
    c: float = 1.0
    b: float = 1.0

    name: ClassVar[str] = "UCBV"
    Params: ClassVar = _UCBVParams
    init: ClassVar = staticmethod(_three_rows)
    select: ClassVar = staticmethod(_ucbv_select)
    update: ClassVar = staticmethod(_ucbv_update)

    def __post_init__(self):
        object.__setattr__(self, "zeta", check_real("zeta", self.zeta, low=0.0, low_open=True))
        object.__setattr__(self, "c", check_real("c", self.c, low=0.0))
        object.__setattr__(self, "b", check_real("b", self.b, low=0.0, low_open=True))


class _MOSSParams(NamedTuple):
    n: float  # the horizon


@njit(cache=True)
def _moss_select(params, state, t, rng):
    a = _first_unplayed(state)
    if a >= 0:
        return a
    K = state.shape[1]
    n = params.n
    best = 0
    bv = -np.inf
    for i in range(K):
        s = state[0, i]
        # Audibert & Bubeck (2009), eq. (4): mean + sqrt(max(log(n / (K s)), 0) / s)
        v = state[1, i] / s + math.sqrt(max(math.log(n / (K * s)), 0.0) / s)
        if v > bv:
            bv = v
            best = i
    return best


@dataclass(frozen=True)
class MOSS(BanditAgent):
    r"""MOSS, Minimax Optimal Strategy in the Stochastic case (Audibert & Bubeck 2009).

    Index :math:`\bar X_{i,s} + \sqrt{\max(\log(n/(Ks)), 0)/s}` with the
    horizon ``n`` (taken from :func:`simulate`).  Audibert & Bubeck (2009),
    *Minimax policies for adversarial and stochastic bandits*, COLT,
    Theorem 5: :math:`\sup \mathbb E R_n \le 49\sqrt{nK}` for rewards in
    ``[0, 1]`` (:func:`moss_regret_bound`).

    Examples
    --------
    >>> MOSS().params()
    {}
    """

    name: ClassVar[str] = "MOSS"
    Params: ClassVar = _MOSSParams
    init: ClassVar = staticmethod(_two_rows)
    select: ClassVar = staticmethod(_moss_select)
    update: ClassVar = staticmethod(_mean_update)

    def compiled_params(self, problem, budget):
        return _MOSSParams(float(budget))


# ----------------------------------------------------------------------------
# KL-UCB, KL-UCB+
# ----------------------------------------------------------------------------


class _KLUCBParams(NamedTuple):
    c: float
    gaussian: bool
    sigma: float
    plus: bool


@njit(cache=True)
def _klucb_select(params, state, t, rng):
    a = _first_unplayed(state)
    if a >= 0:
        return a
    c = params.c
    gaussian = params.gaussian
    sigma = params.sigma
    plus = params.plus
    logt = math.log(t)
    best = 0
    bv = -np.inf
    for i in range(state.shape[1]):
        n = state[0, i]
        mean = state[1, i] / n
        # Garivier & Cappe (2011), Alg. 1: N_a d(mean, q) <= log t + c log log t;
        # KL-UCB+ (Kaufmann 2018, eq. (7)): log(t / N_a) + c log log(t / N_a)
        r = logt - math.log(n) if plus else logt
        if r > 1.0:
            delta = r + c * math.log(r)
        else:
            delta = max(r, 0.0)
        level = delta / n
        if gaussian:
            v = klucb_gaussian(mean, level, sigma)
        else:
            v = klucb_bernoulli(mean, level)
        if v > bv:
            bv = v
            best = i
    return best


def _family_params(family, sigma):
    check_choice("family", family, ("bernoulli", "gaussian"))
    return check_real("sigma", sigma, low=0.0, low_open=True)


@dataclass(frozen=True)
class KLUCB(BanditAgent):
    r"""KL-UCB (Garivier & Cappé 2011, *The KL-UCB algorithm for bounded stochastic bandits and beyond*, COLT).

    Index :math:`\max\{q \ge \hat\mu_a: N_a\, d(\hat\mu_a, q) \le \log t +
    c\log\log t\}` (the ``log log`` term is dropped while ``log t <= 1``).
    ``family="bernoulli"``: :math:`d` is the Bernoulli KL, the index is
    computed exactly by a safeguarded Newton iteration
    (:func:`klucb_bernoulli`); ``family="gaussian"``: closed form
    :math:`\hat\mu_a + \sigma\sqrt{2\delta/N_a}`.  Garivier & Cappé (2011),
    Theorem 1 (``c = 3``, rewards in ``[0, 1]``): :math:`\limsup
    \mathbb E[N_n(a)]/\log n \le 1/d(\mu_a, \mu^*)`, matching the
    Lai-Robbins bound for Bernoulli arms.  ``c = 0`` is the paper's
    recommended practical choice (Sec. 6).

    Examples
    --------
    >>> KLUCB(c=3.0).params()
    {'c': 3.0, 'family': 'bernoulli', 'sigma': 1.0}
    """

    c: float = 0.0
    family: str = "bernoulli"
    sigma: float = 1.0

    name: ClassVar[str] = "KLUCB"
    Params: ClassVar = _KLUCBParams
    init: ClassVar = staticmethod(_two_rows)
    select: ClassVar = staticmethod(_klucb_select)
    update: ClassVar = staticmethod(_mean_update)
    _plus: ClassVar[bool] = False

    def __post_init__(self):
        object.__setattr__(self, "c", check_real("c", self.c, low=0.0))
        object.__setattr__(self, "sigma", _family_params(self.family, self.sigma))

    def compiled_params(self, problem, budget):
        return _KLUCBParams(self.c, self.family == "gaussian", self.sigma, self._plus)


@dataclass(frozen=True)
class KLUCBPlus(KLUCB):
    r"""KL-UCB+: KL-UCB with exploration :math:`\log(t/N_a) + c\log\log(t/N_a)`.

    Suggested by Garivier & Cappé (2011, Sec. 6); asymptotic optimality for
    exponential families proved by Kaufmann (2018), *On Bayesian index
    policies for sequential resource allocation*, Ann. Statist. 46(2),
    Theorem 7.

    Examples
    --------
    >>> KLUCBPlus().to_spec()["type"]
    'KLUCBPlus'
    """

    name: ClassVar[str] = "KLUCBPlus"
    _plus: ClassVar[bool] = True


# ----------------------------------------------------------------------------
# Thompson sampling, Bayes-UCB
# ----------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _ts_shape_constants(state, arm):
    # Marsaglia & Tsang (2000) constants d = a - 1/3, c = 1 / sqrt(9 d) of the
    # two Gamma draws of the Beta(S + 1, F + 1) posterior sample, cached per
    # arm (they change only when the arm is pulled); the same expressions as
    # rng_gamma, so the draws are bit-identical to rng_beta(S + 1, F + 1)
    a = state[1, arm] + 1.0
    b = state[0, arm] - state[1, arm] + 1.0
    da = a - 1.0 / 3.0
    db = b - 1.0 / 3.0
    state[2, arm] = da
    state[3, arm] = 1.0 / math.sqrt(9.0 * da)
    state[4, arm] = db
    state[5, arm] = 1.0 / math.sqrt(9.0 * db)


class _ThompsonParams(NamedTuple):
    beta_prior: bool
    sigma: float


@njit(cache=True)
def _ts_init(params, n_arms):
    """Rows: pulls, (binarised) successes, and the four cached Gamma constants of each arm."""
    state = np.zeros((6, n_arms))
    if params.beta_prior:
        for i in range(n_arms):
            _ts_shape_constants(state, i)
    return state


@njit(cache=True)
def _ts_update(params, state, t, arm, reward, rng):
    if params.beta_prior:
        # Agrawal & Goyal (2012), Alg. 2: binarise a [0, 1] reward by a Bernoulli trial
        r = reward
        if reward != 0.0 and reward != 1.0:
            r = 1.0 if rng_uniform(rng) < reward else 0.0
        state[0, arm] += 1.0
        state[1, arm] += r
        _ts_shape_constants(state, arm)
    else:
        state[0, arm] += 1.0
        state[1, arm] += reward


@njit(cache=True)
def _ts_select(params, state, t, rng):
    best = 0
    bv = -np.inf
    sigma = params.sigma
    beta_prior = params.beta_prior
    for i in range(state.shape[1]):
        if beta_prior:
            # posterior Beta(S + 1, F + 1) of a uniform prior, as X / (X + Y) with
            # X ~ Gamma(S + 1), Y ~ Gamma(F + 1) (rng_beta); S, F are integers
            # (binarised rewards), so both shapes are >= 1 and no boost is needed
            x = rng_gamma_dc(rng, state[2, i], state[3, i])
            y = rng_gamma_dc(rng, state[4, i], state[5, i])
            v = x / (x + y)
        else:
            # Agrawal & Goyal (2013), Alg. 2: N(S / (n + 1), sigma^2 / (n + 1))
            n = state[0, i]
            v = state[1, i] / (n + 1.0) + sigma / math.sqrt(n + 1.0) * rng_normal(rng)
        if v > bv:
            bv = v
            best = i
    return best


def _prior_code(prior, sigma):
    check_choice("prior", prior, ("beta", "gaussian"))
    return check_real("sigma", sigma, low=0.0, low_open=True)


@dataclass(frozen=True)
class ThompsonSampling(BanditAgent):
    r"""Thompson sampling with a Beta-Bernoulli or a Gaussian model.

    ``prior="beta"``: sample :math:`\theta_i \sim \mathrm{Beta}(S_i+1,
    F_i+1)`, play the argmax; ``[0, 1]`` rewards are binarised by a Bernoulli
    trial (Agrawal & Goyal 2012, *Analysis of Thompson sampling for the
    multi-armed bandit problem*, COLT, Algorithm 2).  Kaufmann, Korda & Munos
    (2012), *Thompson sampling: an asymptotically optimal finite-time
    analysis*, ALT, Theorem 1: for Bernoulli arms
    :math:`\mathbb E[N_n(a)] \le (1+\varepsilon)\log n/d(\mu_a,\mu^*) +
    C(\varepsilon)`, i.e. Lai-Robbins optimality.  ``prior="gaussian"``:
    :math:`\theta_i \sim N(S_i/(n_i+1), \sigma^2/(n_i+1))` (Agrawal & Goyal
    2013, *Further optimal regret bounds for Thompson sampling*, AISTATS,
    Algorithm 2, Theorem 1).

    Examples
    --------
    >>> ThompsonSampling().params()
    {'prior': 'beta', 'sigma': 1.0}
    """

    prior: str = "beta"
    sigma: float = 1.0

    name: ClassVar[str] = "ThompsonSampling"
    Params: ClassVar = _ThompsonParams
    init: ClassVar = staticmethod(_ts_init)
    select: ClassVar = staticmethod(_ts_select)
    update: ClassVar = staticmethod(_ts_update)

    def __post_init__(self):
        object.__setattr__(self, "sigma", _prior_code(self.prior, self.sigma))

    def compiled_params(self, problem, budget):
        return _ThompsonParams(self.prior == "beta", self.sigma)


class _BayesUCBParams(NamedTuple):
    c: float
    beta_prior: bool
    sigma: float
    n: float  # the horizon (at least 3, so that log n > 1)


@njit(cache=True)
def _bayesucb_select(params, state, t, rng):
    beta_prior = params.beta_prior
    if not beta_prior:
        a = _first_unplayed(state)
        if a >= 0:
            return a
    # Kaufmann, Cappe & Garivier (2012), Alg. 1: quantile 1 - 1 / (t (log n)^c)
    level = 1.0 - 1.0 / (t * math.log(params.n) ** params.c)
    z = 0.0
    if not beta_prior:
        z = normal_quantile(level)
    best = 0
    bv = -np.inf
    for i in range(state.shape[1]):
        n = state[0, i]
        s = state[1, i]
        if beta_prior:
            # the quantile exceeds bv iff I_bv(a, b) < level: one CDF evaluation
            # rules out most arms without computing their quantile
            if bv > 0.0 and beta_cdf(bv, s + 1.0, n - s + 1.0) >= level:
                continue
            v = beta_quantile(level, s + 1.0, n - s + 1.0)
        else:
            v = s / n + params.sigma / math.sqrt(n) * z
        if v > bv:
            bv = v
            best = i
    return best


@dataclass(frozen=True)
class BayesUCB(BanditAgent):
    r"""Bayes-UCB (Kaufmann, Cappé & Garivier 2012, *On Bayesian upper confidence bounds for bandit problems*, AISTATS).

    Index: the quantile of order :math:`1 - 1/(t(\log n)^c)` of the posterior
    of arm ``i`` (``n`` the horizon).  ``prior="beta"``: Beta(S+1, F+1)
    posterior (fractional rewards enter as fractional counts), quantile by
    bisection on the regularised incomplete beta function; Theorem 1 of the
    paper (``c >= 5``) gives :math:`\mathbb E[N_n(a)] \le
    (1+\varepsilon)\log n/d(\mu_a,\mu^*) + o(\log n)`.  ``prior="gaussian"``
    (flat prior, known ``sigma``, one initial pull per arm): :math:`\hat\mu_i
    + \sigma\Phi^{-1}(\cdot)/\sqrt{n_i}`.  ``c = 0`` is the practical choice
    of the paper's experiments.

    Examples
    --------
    >>> BayesUCB(c=5.0).params()
    {'c': 5.0, 'prior': 'beta', 'sigma': 1.0}
    """

    c: float = 0.0
    prior: str = "beta"
    sigma: float = 1.0

    name: ClassVar[str] = "BayesUCB"
    Params: ClassVar = _BayesUCBParams
    init: ClassVar = staticmethod(_two_rows)
    select: ClassVar = staticmethod(_bayesucb_select)
    update: ClassVar = staticmethod(_mean_update)

    def __post_init__(self):
        object.__setattr__(self, "c", check_real("c", self.c, low=0.0))
        object.__setattr__(self, "sigma", _prior_code(self.prior, self.sigma))

    def compiled_params(self, problem, budget):
        if self.c > 0 and budget < 3:
            raise ValueError(f"BayesUCB with c > 0 needs n_rounds >= 3 (log n > 1), got {budget}")
        return _BayesUCBParams(self.c, self.prior == "beta", self.sigma, float(max(budget, 3)))


# ----------------------------------------------------------------------------
# IMED
# ----------------------------------------------------------------------------


class _IMEDParams(NamedTuple):
    gaussian: bool
    sigma: float


@njit(cache=True)
def _imed_select(params, state, t, rng):
    a = _first_unplayed(state)
    if a >= 0:
        return a
    K = state.shape[1]
    mstar = -np.inf
    for i in range(K):
        mstar = max(mstar, state[1, i] / state[0, i])
    best = 0
    bv = np.inf
    for i in range(K):
        n = state[0, i]
        mean = state[1, i] / n
        if mean >= mstar:
            div = 0.0
        elif params.gaussian:
            div = (mean - mstar) ** 2 / (2.0 * params.sigma * params.sigma)
        else:
            div = _kl_clipped(mean, mstar)
        # Honda & Takemura (2015), eq. (3): I_i = N_i D(F_i, mu*) + log N_i, play argmin
        v = n * div + math.log(n)
        if v < bv:
            bv = v
            best = i
    return best


@dataclass(frozen=True)
class IMED(BanditAgent):
    r"""IMED, Indexed Minimum Empirical Divergence (Honda & Takemura 2015, JMLR 16).

    Play :math:`\arg\min_i N_i D(\hat\mu_i, \hat\mu^*) + \log N_i`.  ``D`` is
    the divergence of the model: Bernoulli KL (``family="bernoulli"``, the
    :math:`K_{\inf}` of two-point/[0,1] models at the worst case) or Gaussian
    KL with known ``sigma``.  Honda & Takemura (2015), *Non-asymptotic analysis
    of a new bandit algorithm for semi-bounded rewards*, Theorem 5:
    asymptotically optimal, :math:`\mathbb E[N_n(i)] \le (1+\delta)\log n /
    K_{\inf} + O(1)`.

    Examples
    --------
    >>> IMED().params()
    {'family': 'bernoulli', 'sigma': 1.0}
    """

    family: str = "bernoulli"
    sigma: float = 1.0

    name: ClassVar[str] = "IMED"
    Params: ClassVar = _IMEDParams
    init: ClassVar = staticmethod(_two_rows)
    select: ClassVar = staticmethod(_imed_select)
    update: ClassVar = staticmethod(_mean_update)

    def __post_init__(self):
        object.__setattr__(self, "sigma", _family_params(self.family, self.sigma))

    def compiled_params(self, problem, budget):
        return _IMEDParams(self.family == "gaussian", self.sigma)


# ----------------------------------------------------------------------------
# adversarial: EXP3, EXP3-IX, Tsallis-INF
# ----------------------------------------------------------------------------


class _EXP3Params(NamedTuple):
    gamma: float


@njit(cache=True)
def _exp3_select(params, state, t, rng):
    K = state.shape[1]
    gamma = params.gamma
    m = -np.inf
    for i in range(K):
        m = max(m, state[0, i])
    total = 0.0
    for i in range(K):
        total += math.exp(state[0, i] - m)
    for i in range(K):
        # Auer et al. (2002b), Fig. 1: p_i = (1 - gamma) w_i / sum_j w_j + gamma / K
        state[1, i] = (1.0 - gamma) * math.exp(state[0, i] - m) / total + gamma / K
    return _sample_discrete(state[1], rng_uniform(rng))


@njit(cache=True)
def _exp3_update(params, state, t, arm, reward, rng):
    K = state.shape[1]
    # Auer et al. (2002b), Fig. 1: w_j <- w_j exp(gamma xhat_j / K), xhat_j = x_j / p_j
    state[0, arm] += params.gamma * (reward / state[1, arm]) / K


@dataclass(frozen=True)
class EXP3(BanditAgent):
    r"""EXP3 (Auer, Cesa-Bianchi, Freund & Schapire 2002b, *The nonstochastic multiarmed bandit problem*, SIAM J.
    Comput. 32(1)).

    Exponential weights on importance-weighted rewards mixed with uniform
    exploration ``gamma`` (Fig. 1 of the paper; log-weights are kept for
    numerical stability).  ``gamma=None`` uses Corollary 3.2's tuning
    :math:`\gamma = \min\{1, \sqrt{K\ln K/((e-1)g)}\}` with ``g = T`` (the
    horizon, an upper bound on the best arm's total reward for rewards in
    ``[0, 1]``), for which :math:`G_{\max} - \mathbb E[G_{\rm Exp3}] \le
    2\sqrt{e-1}\sqrt{gK\ln K}` (:func:`exp3_regret_bound`).

    Examples
    --------
    >>> EXP3().params()
    {'gamma': None}
    """

    gamma: float | None = None

    name: ClassVar[str] = "EXP3"
    Params: ClassVar = _EXP3Params
    init: ClassVar = staticmethod(_two_rows)
    select: ClassVar = staticmethod(_exp3_select)
    update: ClassVar = staticmethod(_exp3_update)

    def __post_init__(self):
        g = _optional_real("gamma", self.gamma, low=0.0, low_open=True, high=1.0)
        object.__setattr__(self, "gamma", g)

    def gamma_for(self, n_arms: int, horizon: int) -> float:
        """The exploration rate used for ``n_arms`` arms and horizon ``horizon``.

        Examples
        --------
        >>> round(EXP3().gamma_for(2, 10_000), 6)   # Auer et al. (2002b), Cor. 3.2: sqrt(K ln K / ((e - 1) T))
        0.008982
        >>> EXP3(gamma=0.1).gamma_for(2, 10_000)
        0.1
        """
        if self.gamma is not None:
            return self.gamma
        # Auer et al. (2002b), Corollary 3.2 with g = T
        return min(1.0, math.sqrt(n_arms * math.log(n_arms) / ((math.e - 1.0) * horizon)))

    def compiled_params(self, problem, budget):
        return _EXP3Params(self.gamma_for(problem.n_arms, budget))


class _EXP3IXParams(NamedTuple):
    eta: float
    gamma: float


@njit(cache=True)
def _exp3ix_select(params, state, t, rng):
    K = state.shape[1]
    eta = params.eta
    m = np.inf
    for i in range(K):
        m = min(m, state[0, i])
    total = 0.0
    for i in range(K):
        w = math.exp(-eta * (state[0, i] - m))
        state[1, i] = w
        total += w
    for i in range(K):
        state[1, i] /= total
    return _sample_discrete(state[1], rng_uniform(rng))


@njit(cache=True)
def _exp3ix_update(params, state, t, arm, reward, rng):
    # Neu (2015), Alg. 1: implicit exploration, lhat = loss / (p + gamma)
    state[0, arm] += (1.0 - reward) / (state[1, arm] + params.gamma)


@dataclass(frozen=True)
class EXP3IX(BanditAgent):
    r"""EXP3-IX (Neu 2015, *Explore no more: improved high-probability regret bounds for non-stochastic bandits*,
    NeurIPS).

    Exponential weights on the losses ``1 - x`` with the implicit-exploration
    estimate :math:`\hat\ell_{t,i} = \ell_{t,i}1\{I_t=i\}/(p_{t,i}+\gamma)`.
    ``eta=None``/``gamma=None`` use Theorem 1's tuning
    :math:`\eta = \sqrt{2\log K/(KT)}`, :math:`\gamma = \eta/2`, for which with
    probability :math:`1-\delta` the regret is at most
    :math:`2\sqrt{2KT\log K} + (\sqrt{2KT/\log K}+1)\log(2/\delta)`.

    Examples
    --------
    >>> EXP3IX().params()
    {'eta': None, 'gamma': None}
    """

    eta: float | None = None
    gamma: float | None = None

    name: ClassVar[str] = "EXP3IX"
    Params: ClassVar = _EXP3IXParams
    init: ClassVar = staticmethod(_two_rows)
    select: ClassVar = staticmethod(_exp3ix_select)
    update: ClassVar = staticmethod(_exp3ix_update)

    def __post_init__(self):
        object.__setattr__(self, "eta", _optional_real("eta", self.eta, low=0.0, low_open=True))
        object.__setattr__(self, "gamma", _optional_real("gamma", self.gamma, low=0.0))

    def compiled_params(self, problem, budget):
        n_arms, horizon = problem.n_arms, budget
        # Neu (2015), Theorem 1: eta = sqrt(2 log K / (K T)), gamma = eta / 2
        eta = self.eta if self.eta is not None else math.sqrt(2.0 * math.log(n_arms) / (n_arms * horizon))
        gamma = self.gamma if self.gamma is not None else eta / 2.0
        return _EXP3IXParams(eta, gamma)


@njit(cache=True)
def _tsallis_select(params, state, t, rng):
    K = state.shape[1]
    # Zimmert & Seldin (2021), Alg. 1 with alpha = 1/2: eta_t = 2 / sqrt(t),
    # w_i = 4 (eta (Lhat_i - x))^-2 with x < min Lhat such that sum w = 1 (Newton)
    eta = 2.0 / math.sqrt(t)
    lmin = np.inf
    for i in range(K):
        lmin = min(lmin, state[0, i])
    x = lmin - 2.0 / eta  # there sum w >= 1: Newton from the right of the root
    for _ in range(100):
        sw = 0.0
        sw32 = 0.0
        for i in range(K):
            w = 4.0 / (eta * (state[0, i] - x)) ** 2
            sw += w
            sw32 += w**1.5
        f = sw - 1.0
        if abs(f) < 1e-13:
            break
        x_new = x - f / (eta * sw32)
        if x_new == x:
            break
        x = x_new
    total = 0.0
    for i in range(K):
        w = 4.0 / (eta * (state[0, i] - x)) ** 2
        state[1, i] = w
        total += w
    for i in range(K):
        state[1, i] /= total
    return _sample_discrete(state[1], rng_uniform(rng))


@njit(cache=True)
def _tsallis_update(params, state, t, arm, reward, rng):
    # importance-weighted loss estimate (Zimmert & Seldin 2021, eq. (IW))
    state[0, arm] += (1.0 - reward) / state[1, arm]


@dataclass(frozen=True)
class TsallisINF(BanditAgent):
    r"""Tsallis-INF with :math:`\alpha = 1/2` (Zimmert & Seldin 2021, JMLR 22).

    Follow-the-regularised-leader with the 1/2-Tsallis entropy:
    :math:`w_{t,i} = 4(\eta_t(\hat L_{t-1,i} - x_t))^{-2}` with the normaliser
    :math:`x_t` found by Newton's method, :math:`\eta_t = 2/\sqrt t` and the
    importance-weighted loss estimator on losses ``1 - x``.  Zimmert &
    Seldin (2021), *Tsallis-INF: an optimal algorithm for stochastic and
    adversarial bandits*, Theorem 1: pseudo-regret at most
    :math:`4\sqrt{KT} + 1` against any adversary, adaptive ones included,
    and, in the same theorem, logarithmic regret in adversarial regimes with a
    self-bounding constraint, the stochastic regime among them (their
    Theorem 4 concerns the asymmetric :math:`\alpha`-Tsallis-INF).

    Examples
    --------
    >>> TsallisINF().params()
    {}
    """

    name: ClassVar[str] = "TsallisINF"
    init: ClassVar = staticmethod(_two_rows)
    select: ClassVar = staticmethod(_tsallis_select)
    update: ClassVar = staticmethod(_tsallis_update)
