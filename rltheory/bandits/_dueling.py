r"""Dueling bandits: the ``"dueling"`` problem kind and its agents (RUCB, RMED1, Double Thompson sampling, MaxMinLCB).

A dueling agent chooses, in round ``t``, a pair :math:`(a_t, b_t)` of alternatives (possibly equal)
and observes only who won: :math:`a_t` with probability :math:`P_{a_t b_t}` (a fair coin when
:math:`a_t = b_t`). The problems are :class:`~rltheory.bandits.PreferenceMatrix` and
:class:`~rltheory.bandits.BradleyTerry`; :func:`rltheory.simulation.simulate` runs them with
``n_rounds=``. An agent (:class:`DuelingAgent`) has three Numba functions over explicit state:

* ``init(params, n_arms) -> state``;
* ``select(params, state, t, rng) -> (first, second)``: the pair of round ``t`` (1-based);
* ``update(params, state, t, first, second, first_wins, rng)``: ``first_wins`` is a bool.

**Regret, measured exactly by the driver.** With a Condorcet winner :math:`c`, let
:math:`\Delta_j = P_{cj} - 1/2` (:math:`\Delta_c = 0`). The *strong* regret of round ``t`` is
:math:`(\Delta_{a_t} + \Delta_{b_t})/2` (Komiyama, Honda, Kashima & Nakagawa 2015, Sec. 2; Zoghi et
al. 2014, Sec. 2, up to the factor 1/2 of Yue et al. 2012) and the *weak* regret
:math:`\min(\Delta_{a_t}, \Delta_{b_t})` (Yue, Broder, Kleinberg & Joachims 2012, *J. Comput. Syst.
Sci.* 78(5), Sec. 2). Without a Condorcet winner, :math:`\Delta_j` is the gap of the normalized
Copeland score to the best one (Zoghi, Karnin, Whiteson & de Rijke 2015, *Copeland dueling
bandits*, NeurIPS, Sec. 2). :attr:`RegretCurve.regret` is the strong regret,
``regret_variants["weak"]`` the weak one; ``pulls[..., k]`` counts the duels ``k`` took part in
(both slots: a duel of ``k`` with itself counts twice). A comparison is not a reward, so there is no
realized counterpart: ``realized_regret`` repeats the strong regret.

**Randomness.** Run ``i`` draws from ``SeedSequence(seed, spawn_key=(i,))``: one xoshiro256++ stream
per unordered pair :math:`\{j, k\}` for its duels (the ``n``-th duel of a pair has the same outcome
whatever the agent: common random numbers, and the outcomes of a pair are i.i.d. whatever the
adaptive choices), one for self-duels, one for the agent.

**Lower bound.** :func:`dueling_lower_bound_constant` is the constant of Komiyama et al. (2015),
Theorem 2: for a Condorcet problem, every strongly consistent algorithm has
:math:`\liminf_T \mathbb E[R(T)]/\log T \ge \sum_{j \ne c} \min_{i: P_{ij} > 1/2}
\frac{(\Delta_i + \Delta_j)/2}{d(P_{ij}, 1/2)}`, with :math:`d` the Bernoulli relative entropy.

References
----------
M. Zoghi, S. Whiteson, R. Munos, M. de Rijke, Relative upper confidence bound for the K-armed dueling
bandit problem, ICML 2014 (Algorithm 1). J. Komiyama, J. Honda, H. Kashima, H. Nakagawa, Regret lower
bound and optimal algorithm in dueling bandit problem, COLT 2015 (Theorem 2; Algorithms 1-2, RMED1).
H. Wu, X. Liu, Double Thompson sampling for dueling bandits, NeurIPS 2016 (Algorithm 1). B. Pásztor,
P. Kassraie, A. Krause, Bandits with preference feedback: a Stackelberg game perspective, NeurIPS 2024
(MaxMinLCB, Algorithm 1).
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
    rng_beta,
    rng_integers,
    rng_uniform,
)
from ._kl import bernoulli_kl, klucb_bernoulli
from ._preference_models import BradleyTerry, PreferenceMatrix
from ._winners import condorcet_winner, copeland_scores

__all__ = [
    "DoubleThompson",
    "DuelingAgent",
    "MaxMinLCB",
    "RMED",
    "RUCB",
    "dueling_gaps",
    "dueling_lower_bound_constant",
    "dueling_lower_bound_curve",
    "preference_confidence_bounds",
]


# --------------------------------------------------------------------------- the agent base class


@dataclass(frozen=True)
class DuelingAgent(Agent):
    """Base class of dueling-bandit agents (see the module docstring for the protocol).

    Examples
    --------
    A user agent that always duels the two lowest alternatives:

    >>> import numpy as np
    >>> from dataclasses import dataclass
    >>> from numba import njit
    >>> from rltheory.bandits import BradleyTerry, DuelingAgent
    >>> from rltheory.simulation import simulate
    >>> @njit
    ... def fixed_init(params, n_arms):
    ...     return np.zeros(1)
    >>> @njit
    ... def fixed_select(params, state, t, rng):
    ...     return 0, 1
    >>> @njit
    ... def fixed_update(params, state, t, first, second, first_wins, rng):
    ...     state[0] += first_wins
    >>> @dataclass(frozen=True)
    ... class FirstTwo(DuelingAgent):
    ...     name = "FirstTwo"
    ...     init = staticmethod(fixed_init)
    ...     select = staticmethod(fixed_select)
    ...     update = staticmethod(fixed_update)
    >>> curve = simulate(BradleyTerry([0.0, 1.0, 2.0]), FirstTwo(), n_rounds=100, n_runs=2, checkpoints=2)
    >>> curve.pulls[0, -1].tolist()  # each duel counts for both alternatives
    [100, 100, 0]
    """

    name: ClassVar[str] = "DuelingAgent"
    kind: ClassVar[str] = "dueling"
    slots: ClassVar[tuple[str, ...]] = ("init", "select", "update")
    init: ClassVar = None
    select: ClassVar = None
    update: ClassVar = None


# --------------------------------------------------------------------------- compiled helpers


@njit(cache=True)
def _pair_index(i, j, K):
    """Index of the unordered pair ``i < j`` in lexicographic order."""
    return i * K - (i * (i + 1)) // 2 + (j - i - 1)


@njit(cache=True)
def _wins_init(params, n_arms):
    return np.zeros((n_arms, n_arms))


@njit(cache=True)
def _record(W, a, b, first_wins):
    if a != b:
        if first_wins:
            W[a, b] += 1.0
        else:
            W[b, a] += 1.0


@njit(cache=True)
def _pick_uniform(rng, mask, n):
    """A uniformly random index ``i`` with ``mask[i]`` (``n`` = number of such indices > 0)."""
    k = rng_integers(rng, n)
    for i in range(mask.shape[0]):
        if mask[i]:
            if k == 0:
                return i
            k -= 1
    return -1


@njit(cache=True)
def _ucb_entry(W, i, j, alpha_log_t):
    """RUCB's :math:`u_{ij}` (Zoghi et al. 2014, Alg. 1, lines 4-5: x/0 := 1, u_ii = 1/2)."""
    if i == j:
        return 0.5
    n = W[i, j] + W[j, i]
    if n == 0.0:
        return 2.0  # W/(W + W^T) = 1 and sqrt(alpha ln t / 0) = 1 under x/0 := 1
    return W[i, j] / n + math.sqrt(alpha_log_t / n)


# --------------------------------------------------------------------------- RUCB


class _RUCBParams(NamedTuple):
    alpha: float


@njit(cache=True)
def _rucb_init(params, n_arms):
    state = np.zeros((n_arms + 1, n_arms))
    state[n_arms, 0] = -1.0  # the hypothesized best arm B (-1: none)
    return state


@njit(cache=True)
def _rucb_select(params, state, t, rng):
    K = state.shape[1]
    W = state[:K]
    alt = params.alpha * math.log(t)
    inC = np.zeros(K, dtype=np.bool_)
    nC = 0
    for c in range(K):
        ok = True
        for j in range(K):
            if _ucb_entry(W, c, j, alt) < 0.5:
                ok = False
                break
        inC[c] = ok
        nC += ok
    B = int(state[K, 0])
    if B >= 0 and not inC[B]:
        B = -1  # line 8: B <- B intersect C
    if nC == 0:
        c = rng_integers(rng, K)  # line 7
    elif nC == 1:
        c = 0
        while not inC[c]:
            c += 1
        B = c  # line 9: B <- C
    elif B >= 0:
        # line 11: p(B) = 1/2, the others of C share 1/2 equally
        if rng_uniform(rng) < 0.5:
            c = B
        else:
            inC[B] = False
            c = _pick_uniform(rng, inC, nC - 1)
            inC[B] = True
    else:
        c = _pick_uniform(rng, inC, nC)
    state[K, 0] = B
    # line 13: d = argmax_j u_jc, ties broken at random in favour of j != c (u_cc = 1/2)
    best = -np.inf
    for j in range(K):
        if j != c:
            v = _ucb_entry(W, j, c, alt)
            if v > best:
                best = v
    if best < 0.5:
        return c, c
    ties = np.zeros(K, dtype=np.bool_)
    n_ties = 0
    for j in range(K):
        if j != c and _ucb_entry(W, j, c, alt) == best:
            ties[j] = True
            n_ties += 1
    return c, _pick_uniform(rng, ties, n_ties)


@njit(cache=True)
def _rucb_update(params, state, t, first, second, first_wins, rng):
    _record(state, first, second, first_wins)


@dataclass(frozen=True)
class RUCB(DuelingAgent):
    r"""Relative Upper Confidence Bound (Zoghi, Whiteson, Munos & de Rijke 2014, Algorithm 1).

    With wins :math:`w_{ij}` and :math:`u_{ij} = \frac{w_{ij}}{w_{ij} + w_{ji}} + \sqrt{\frac{\alpha\ln
    t}{w_{ij} + w_{ji}}}` (:math:`x/0 := 1`, :math:`u_{ii} = 1/2`), the candidates are
    :math:`C = \{c: u_{cj} \ge 1/2\ \forall j\}`; the champion :math:`c` is drawn from :math:`C`
    (uniformly from all arms when :math:`C` is empty), with probability 1/2 on the hypothesized best
    arm :math:`B` (the last arm that was alone in :math:`C`, while it stays in :math:`C`); the
    challenger is :math:`d = \arg\max_j u_{jc}` (ties at random, in favour of :math:`j \ne c`;
    :math:`d = c` when every :math:`u_{jc} < 1/2`). For :math:`\alpha > 1/2` and a Condorcet problem
    the strong regret is :math:`O(K^2 + K\log T)` with high probability (Zoghi et al. 2014, Thm 4).

    Examples
    --------
    >>> from rltheory.bandits import BradleyTerry
    >>> from rltheory.simulation import simulate
    >>> curve = simulate(BradleyTerry([1.0, 0.5, 0.0]), RUCB(), n_rounds=2000, n_runs=4, seed=0, checkpoints=4)
    >>> bool(curve.mean[-1] < 0.1 * 2000)
    True
    """

    alpha: float = 0.51

    name: ClassVar[str] = "RUCB"
    Params: ClassVar = _RUCBParams
    init: ClassVar = staticmethod(_rucb_init)
    select: ClassVar = staticmethod(_rucb_select)
    update: ClassVar = staticmethod(_rucb_update)

    def __post_init__(self):
        object.__setattr__(self, "alpha", check_real("alpha", self.alpha, low=0.5, low_open=True))


# --------------------------------------------------------------------------- RMED1


class _RMEDParams(NamedTuple):
    f_value: float


@njit(cache=True)
def _rmed_init(params, n_arms):
    """Rows 0..K-1 wins; K: L_C mask; K+1: L_R mask; K+2: L_N mask; K+3: [pointer, started, l]."""
    return np.zeros((n_arms + 4, n_arms))


@njit(cache=True)
def _empirical_divergences(W, I):
    """:math:`I_i = \\sum_{j: \\hat\\mu_{ij} \\le 1/2} N_{ij} d(\\hat\\mu_{ij}, 1/2)` (Komiyama et al. 2015, Sec. 3)."""
    K = W.shape[1]
    best = 0
    for i in range(K):
        s = 0.0
        for j in range(K):
            if j != i:
                n = W[i, j] + W[j, i]
                mu = 0.5 if n == 0.0 else W[i, j] / n
                if mu <= 0.5:
                    s += n * bernoulli_kl(mu, 0.5)
        I[i] = s
        if s < I[best]:
            best = i
    return best


@njit(cache=True)
def _rmed_select(params, state, t, rng):
    K = state.shape[1]
    n_init = K * (K - 1) // 2
    if t <= n_init:  # initial phase: each pair once (L = 1), in lexicographic order
        k = t - 1
        i = 0
        while k >= K - 1 - i:
            k -= K - 1 - i
            i += 1
        return i, i + 1 + k
    W = state[:K]
    LC = state[K]
    LR = state[K + 1]
    LN = state[K + 2]
    ctl = state[K + 3]
    if ctl[1] == 0.0:  # Algorithm 1, line 2: L_C = L_R = all arms, L_N empty
        for i in range(K):
            LC[i] = 1.0
            LR[i] = 1.0
            LN[i] = 0.0
        ctl[0] = 0.0
        ctl[1] = 1.0
    p = int(ctl[0])
    while p < K and LC[p] == 0.0:
        p += 1
    if p == K:  # end of the loop: L_C, L_R <- L_N, L_N <- empty
        for i in range(K):
            LC[i] = LN[i]
            LR[i] = LN[i]
            LN[i] = 0.0
        p = 0
        while p < K and LC[p] == 0.0:
            p += 1
    ell = p
    ctl[0] = p + 1
    ctl[2] = ell
    I = np.empty(K)
    star = _empirical_divergences(W, I)
    # Algorithm 2 (RMED1): m = i* if O_l is empty or contains i*, else argmin_j mu_lj
    empty = True
    star_in = False
    best = 0
    bv = np.inf
    for j in range(K):
        if j != ell:
            n = W[ell, j] + W[j, ell]
            mu = 0.5 if n == 0.0 else W[ell, j] / n
            if mu <= 0.5:
                empty = False
                if j == star:
                    star_in = True
            if mu < bv:
                bv = mu
                best = j
    if empty or star_in:
        return ell, star
    return ell, best


@njit(cache=True)
def _rmed_update(params, state, t, first, second, first_wins, rng):
    K = state.shape[1]
    W = state[:K]
    _record(W, first, second, first_wins)
    if t <= K * (K - 1) // 2:
        return
    LR = state[K + 1]
    LN = state[K + 2]
    LR[int(state[K + 3, 2])] = 0.0
    I = np.empty(K)
    star = _empirical_divergences(W, I)
    thr = math.log(t) + params.f_value  # eq. (4): I_j - I_{i*} <= log t + f(K)
    for j in range(K):
        if LR[j] == 0.0 and LN[j] == 0.0 and I[j] - I[star] <= thr:
            LN[j] = 1.0


@dataclass(frozen=True)
class RMED(DuelingAgent):
    r"""Relative Minimum Empirical Divergence, RMED1 (Komiyama, Honda, Kashima & Nakagawa 2015, Alg. 1-2).

    After one duel of every pair, the arms are visited in loops: each arm :math:`l` of the current
    loop is dueled with :math:`m = \hat i^*` (the arm of minimal empirical divergence
    :math:`I_i = \sum_{j: \hat\mu_{ij} \le 1/2} N_{ij}\, d(\hat\mu_{ij}, 1/2)`) when :math:`l` has no
    empirical superior or :math:`\hat i^*` is one of them, and otherwise with its empirically
    strongest opponent :math:`\arg\min_j \hat\mu_{lj}`; the next loop visits the arms :math:`j` with
    :math:`I_j - I_{\hat i^*} \le \log t + f(K)` (eq. (4)). ``f(K) = f_scale K^f_exponent``; the
    default :math:`0.3 K^{1.01}` is the one of the paper's experiments (Sec. 6). For a Condorcet
    problem RMED1's regret is asymptotically optimal when each arm's strongest opponent is the one
    of the lower bound (Komiyama et al. 2015, Thm 3); ties are broken towards the lowest index.

    Examples
    --------
    >>> from rltheory.bandits import BradleyTerry
    >>> from rltheory.simulation import simulate
    >>> curve = simulate(BradleyTerry([1.0, 0.5, 0.0]), RMED(), n_rounds=2000, n_runs=4, seed=0, checkpoints=4)
    >>> bool(curve.mean[-1] < 0.1 * 2000)
    True
    """

    f_scale: float = 0.3
    f_exponent: float = 1.01

    name: ClassVar[str] = "RMED"
    Params: ClassVar = _RMEDParams
    init: ClassVar = staticmethod(_rmed_init)
    select: ClassVar = staticmethod(_rmed_select)
    update: ClassVar = staticmethod(_rmed_update)

    def __post_init__(self):
        object.__setattr__(self, "f_scale", check_real("f_scale", self.f_scale, low=0.0))
        object.__setattr__(self, "f_exponent", check_real("f_exponent", self.f_exponent))

    def compiled_params(self, problem, budget):
        return _RMEDParams(self.f_scale * float(problem.n_arms) ** self.f_exponent)


# --------------------------------------------------------------------------- Double Thompson sampling


class _DTSParams(NamedTuple):
    alpha: float


@njit(cache=True)
def _dts_init(params, n_arms):
    """Rows 0..K-1 wins B; rows K..2K-1 scratch for the first posterior sample."""
    return np.zeros((2 * n_arms, n_arms))


@njit(cache=True)
def _dts_bounds(W, i, j, alpha_log_t):
    """(U_ij, L_ij) of Wu & Liu (2016), Alg. 1, with x/0 := 1 and U_ii = L_ii = 1/2."""
    if i == j:
        return 0.5, 0.5
    n = W[i, j] + W[j, i]
    if n == 0.0:
        return 2.0, 0.0
    m = W[i, j] / n
    r = math.sqrt(alpha_log_t / n)
    return m + r, m - r


@njit(cache=True)
def _dts_select(params, state, t, rng):
    K = state.shape[1]
    W = state[:K]
    theta = state[K:]
    alt = params.alpha * math.log(t)
    # phase 1: upper bounds of the Copeland scores, candidates C
    score = np.zeros(K)
    for i in range(K):
        s = 0.0
        for j in range(K):
            if j != i and _dts_bounds(W, i, j, alt)[0] > 0.5:
                s += 1.0
        score[i] = s
    top = score.max()
    for i in range(K):
        for j in range(i + 1, K):
            x = rng_beta(rng, W[i, j] + 1.0, W[j, i] + 1.0)
            theta[i, j] = x
            theta[j, i] = 1.0 - x
    best = -1.0
    for i in range(K):
        if score[i] == top:
            s = 0.0
            for j in range(K):
                if j != i and theta[i, j] > 0.5:
                    s += 1.0
            if s > best:
                best = s
    ties = np.zeros(K, dtype=np.bool_)
    n_ties = 0
    for i in range(K):
        if score[i] == top:
            s = 0.0
            for j in range(K):
                if j != i and theta[i, j] > 0.5:
                    s += 1.0
            if s == best:
                ties[i] = True
                n_ties += 1
    a1 = _pick_uniform(rng, ties, n_ties)
    # phase 2: a fresh sample of theta_{i, a1}, maximized over the i with L_{i a1} <= 1/2
    bv = -1.0
    second = np.empty(K)
    for i in range(K):
        second[i] = 0.5 if i == a1 else rng_beta(rng, W[i, a1] + 1.0, W[a1, i] + 1.0)
    for i in range(K):
        if _dts_bounds(W, i, a1, alt)[1] <= 0.5 and second[i] > bv:
            bv = second[i]
    n_ties = 0
    for i in range(K):
        ties[i] = _dts_bounds(W, i, a1, alt)[1] <= 0.5 and second[i] == bv
        n_ties += ties[i]
    return a1, _pick_uniform(rng, ties, n_ties)


@njit(cache=True)
def _dts_update(params, state, t, first, second, first_wins, rng):
    _record(state, first, second, first_wins)


@dataclass(frozen=True)
class DoubleThompson(DuelingAgent):
    r"""Double Thompson sampling, D-TS (Wu & Liu 2016, Algorithm 1).

    With wins :math:`B` and the RUCB-style bounds :math:`U, L = \frac{B}{B + B^\top} \pm
    \sqrt{\frac{\alpha \log t}{B + B^\top}}` (:math:`x/0 := 1`, :math:`U_{ii} = L_{ii} = 1/2`), the
    first candidate maximizes, among the arms of maximal upper Copeland score
    :math:`|\{j: U_{ij} > 1/2\}|`, the Copeland score of a posterior sample
    :math:`\theta^{(1)}_{ij} \sim \mathrm{Beta}(B_{ij} + 1, B_{ji} + 1)`; the second maximizes a
    fresh sample :math:`\theta^{(2)}_{i a^{(1)}}` (:math:`\theta^{(2)}_{a^{(1)} a^{(1)}} = 1/2`) over
    the arms with :math:`L_{i a^{(1)}} \le 1/2`; ties at random. Wu & Liu (2016), Thm 1 and 2:
    :math:`O(K^2 \log T)` regret for Copeland problems, :math:`O(K\log T + K^2\log\log T)` for
    Condorcet problems, with :math:`\alpha > 1/2`.

    Examples
    --------
    >>> from rltheory.bandits import BradleyTerry
    >>> from rltheory.simulation import simulate
    >>> curve = simulate(BradleyTerry([1.0, 0.5, 0.0]), DoubleThompson(), n_rounds=2000, n_runs=4, seed=0,
    ...                  checkpoints=4)
    >>> bool(curve.mean[-1] < 0.1 * 2000)
    True
    """

    alpha: float = 0.51

    name: ClassVar[str] = "DoubleThompson"
    Params: ClassVar = _DTSParams
    init: ClassVar = staticmethod(_dts_init)
    select: ClassVar = staticmethod(_dts_select)
    update: ClassVar = staticmethod(_dts_update)

    def __post_init__(self):
        object.__setattr__(self, "alpha", check_real("alpha", self.alpha, low=0.5, low_open=True))


# --------------------------------------------------------------------------- MaxMinLCB


@njit(cache=True)
def _cs_level(n, n_pairs, delta):
    """:math:`\\log(2 P n (n + 1) / \\delta) / n`: the KL radius of the anytime-valid confidence sequence."""
    return math.log(2.0 * n_pairs * n * (n + 1.0) / delta) / n


@njit(cache=True)
def _cs_bounds(W, i, j, n_pairs, delta):
    """Anytime-valid (LCB, UCB) of :math:`P_{ij}` from the duels of ``i`` and ``j`` so far."""
    if i == j:
        return 0.5, 0.5
    n = W[i, j] + W[j, i]
    if n == 0.0:
        return 0.0, 1.0
    p = W[i, j] / n
    level = _cs_level(n, n_pairs, delta)
    return 1.0 - klucb_bernoulli(1.0 - p, level), klucb_bernoulli(p, level)


class _MaxMinLCBParams(NamedTuple):
    delta: float
    n_pairs: float


@njit(cache=True)
def _maxmin_init(params, n_arms):
    """Rows 0..K-1 wins; rows K..2K-1 LCB; rows 2K..3K-1 UCB (recomputed every round)."""
    return np.zeros((3 * n_arms, n_arms))


@njit(cache=True)
def _maxmin_select(params, state, t, rng):
    K = state.shape[1]
    W = state[:K]
    lcb = state[K : 2 * K]
    ucb = state[2 * K :]
    for i in range(K):
        for j in range(K):
            lo, hi = _cs_bounds(W, i, j, params.n_pairs, params.delta)
            lcb[i, j] = lo
            ucb[i, j] = hi
    # the plausible maximizers M_t: arms no other arm confidently beats
    inM = np.zeros(K, dtype=np.bool_)
    nM = 0
    for i in range(K):
        ok = True
        for j in range(K):
            if ucb[i, j] < 0.5:
                ok = False
                break
        inM[i] = ok
        nM += ok
    if nM == 0:
        for i in range(K):
            inM[i] = True
        nM = K
    # the leader maximizes its worst-case lower confidence bound over M, the follower answers
    worst = np.full(K, np.inf)
    for i in range(K):
        if inM[i]:
            for j in range(K):
                if inM[j] and lcb[i, j] < worst[i]:
                    worst[i] = lcb[i, j]
    top = -np.inf
    for i in range(K):
        if inM[i] and worst[i] > top:
            top = worst[i]
    ties = np.zeros(K, dtype=np.bool_)
    n_ties = 0
    for i in range(K):
        ties[i] = inM[i] and worst[i] == top
        n_ties += ties[i]
    x = _pick_uniform(rng, ties, n_ties)
    n_ties = 0
    for j in range(K):
        ties[j] = inM[j] and lcb[x, j] == worst[x]
        n_ties += ties[j]
    return x, _pick_uniform(rng, ties, n_ties)


@njit(cache=True)
def _maxmin_update(params, state, t, first, second, first_wins, rng):
    _record(state, first, second, first_wins)


@dataclass(frozen=True)
class MaxMinLCB(DuelingAgent):
    r"""MaxMinLCB on ``K`` alternatives with anytime-valid confidence sequences (after Pásztor et al. 2024).

    The pair is the solution of a zero-sum Stackelberg game on lower confidence bounds
    (Pásztor, Kassraie & Krause 2024, Algorithm 1): over the plausible maximizers
    :math:`M_t = \{i: \mathrm{UCB}_t(i, j) \ge 1/2\ \forall j\}` (all arms when empty), the leader is
    :math:`x_t = \arg\max_{i \in M_t} \min_{j \in M_t} \mathrm{LCB}_t(i, j)` and the follower
    :math:`x'_t = \arg\min_{j \in M_t} \mathrm{LCB}_t(x_t, j)` (ties at random;
    :math:`\mathrm{LCB}_t(i, i) = 1/2`).

    The paper builds its confidence sequences for a kernelized logistic utility; on ``K``
    alternatives without structure this agent uses, for each pair, the Chernoff confidence
    sequence :math:`\{q: n\, d(\hat p_n, q) \le \log(2 P n (n + 1)/\delta)\}` with :math:`n` the
    duels of the pair, :math:`P = K(K-1)/2` and :math:`d` the Bernoulli relative entropy
    (:func:`preference_confidence_bounds`). It is anytime valid: by Chernoff's bound
    :math:`\Pr(\hat p_n \le q) \le e^{-n d(q, p)}` (:math:`q < p`) and its mirror, the ``n``-th
    interval misses :math:`P_{ij}` with probability at most :math:`\delta/(P n (n + 1))`, and
    :math:`\sum_{n \ge 1} 1/(n(n+1)) = 1`: all intervals of all pairs hold at all times with
    probability at least :math:`1 - \delta` (the duels of a pair are i.i.d. whatever the adaptive
    choices). The claims ``dueling.maxminlcb.coverage`` and ``dueling.maxminlcb.regret-rate`` check
    the coverage and the :math:`O(\sqrt T)` regret rate of the paper's Theorem (up to its
    information-gain factor).

    Examples
    --------
    >>> from rltheory.bandits import BradleyTerry
    >>> from rltheory.simulation import simulate
    >>> curve = simulate(BradleyTerry([1.0, 0.5, 0.0]), MaxMinLCB(), n_rounds=2000, n_runs=4, seed=0,
    ...                  checkpoints=4)
    >>> bool(curve.mean[-1] < 0.1 * 2000)
    True
    """

    delta: float = 0.05

    name: ClassVar[str] = "MaxMinLCB"
    Params: ClassVar = _MaxMinLCBParams
    init: ClassVar = staticmethod(_maxmin_init)
    select: ClassVar = staticmethod(_maxmin_select)
    update: ClassVar = staticmethod(_maxmin_update)

    def __post_init__(self):
        object.__setattr__(self, "delta", check_probability("delta", self.delta))

    def compiled_params(self, problem, budget):
        K = problem.n_arms
        return _MaxMinLCBParams(self.delta, K * (K - 1) / 2.0)


def preference_confidence_bounds(wins, delta: float) -> tuple:
    r"""The anytime-valid confidence bounds of :class:`MaxMinLCB` for every pair, from a win matrix.

    ``wins[i, j]`` counts the duels ``i`` won against ``j``. Returns ``(lower, upper)``, two
    ``(K, K)`` arrays with :math:`\mathrm{lower}_{ij} = 1 - \mathrm{upper}_{ji}`, ``[0, 1]`` for pairs
    never dueled and ``1/2`` on the diagonal; see :class:`MaxMinLCB` for the guarantee.

    Examples
    --------
    >>> import numpy as np
    >>> lo, hi = preference_confidence_bounds(np.array([[0, 80], [20, 0]]), 0.05)
    >>> bool(lo[0, 1] < 0.8 < hi[0, 1]), bool(np.isclose(lo[1, 0], 1 - hi[0, 1]))
    (True, True)
    """
    W = np.asarray(wins, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] < 2:
        raise ValueError(f"wins has shape {W.shape}, expected (K, K) with K >= 2")
    if not np.isfinite(W).all() or (W < 0).any():
        raise ValueError("wins must be finite non-negative counts")
    delta = check_probability("delta", delta)
    K = W.shape[0]
    lo = np.empty((K, K))
    hi = np.empty((K, K))
    for i in range(K):
        for j in range(K):
            lo[i, j], hi[i, j] = _cs_bounds(W, i, j, K * (K - 1) / 2.0, delta)
    return lo, hi


# --------------------------------------------------------------------------- regret and the lower bound


def _as_problem(model, who):
    if not isinstance(model, (PreferenceMatrix, BradleyTerry)):
        raise ValueError(f"{who} needs a PreferenceMatrix or BradleyTerry problem, got {type(model).__name__}")
    return model


def dueling_gaps(model) -> tuple[np.ndarray, str]:
    r"""The per-alternative gaps :math:`\Delta_j` of the dueling regret and which winner they refer to.

    Returns ``(gaps, "condorcet")`` with :math:`\Delta_j = P_{cj} - 1/2` when a Condorcet winner
    :math:`c` exists, else ``(gaps, "copeland")`` with :math:`\Delta_j = \max_i s_i - s_j`, ``s`` the
    normalized Copeland scores.

    Examples
    --------
    >>> gaps, winner = dueling_gaps(PreferenceMatrix([[0.5, 0.8], [0.2, 0.5]]))
    >>> gaps.round(12).tolist(), winner
    ([0.0, 0.3], 'condorcet')
    """
    model = _as_problem(model, "dueling_gaps")
    P = np.asarray(model.matrix)
    c = condorcet_winner(model)
    if c is not None:
        return P[c] - 0.5, "condorcet"
    s = np.asarray(copeland_scores(model))
    return s.max() - s, "copeland"


def dueling_lower_bound_constant(model) -> float:
    r"""The constant of the asymptotic regret lower bound of Komiyama et al. (2015), Theorem 2.

    :math:`\sum_{j \ne c} \min_{i: P_{ij} > 1/2} \frac{(\Delta_i + \Delta_j)/2}{d(P_{ij}, 1/2)}`, for
    the strong regret :math:`(\Delta_{a_t} + \Delta_{b_t})/2` of a Condorcet problem.

    Examples
    --------
    >>> round(dueling_lower_bound_constant(PreferenceMatrix([[0.5, 0.8], [0.2, 0.5]])), 6)  # 0.15 / d(0.8, 1/2)
    0.778231
    """
    model = _as_problem(model, "dueling_lower_bound_constant")
    c = condorcet_winner(model)
    if c is None:
        raise ValueError(
            "the lower bound of Komiyama et al. (2015) is for problems with a Condorcet winner; this one has none"
        )
    P = np.asarray(model.matrix)
    gaps = P[c] - 0.5
    gaps[c] = 0.0
    K = P.shape[0]
    total = 0.0
    for j in range(K):
        if j == c:
            continue
        total += min((gaps[i] + gaps[j]) / 2.0 / bernoulli_kl(P[i, j], 0.5) for i in range(K) if P[i, j] > 0.5)
    return float(total)


def dueling_lower_bound_curve(model, times) -> np.ndarray:
    r"""The lower-bound curve :math:`C \log t` of Komiyama et al. (2015), Theorem 2 (asymptotic).

    Examples
    --------
    >>> dueling_lower_bound_curve(PreferenceMatrix([[0.5, 0.8], [0.2, 0.5]]), [1, 100]).round(4).tolist()
    [0.0, 3.5839]
    """
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or not np.isfinite(t).all() or (t < 1).any():
        raise ValueError(f"times must be a 1-D array of numbers >= 1, got {times!r:.200}")
    return dueling_lower_bound_constant(model) * np.log(t)


# --------------------------------------------------------------------------- the problem kind


@njit(cache=True)
def dueling_run(init, select, update, params, problem, budget, times, streams, outputs, r):
    """Simulate run ``r`` of a batch; returns 0, or the round at which ``select`` returned an invalid pair."""
    P, gaps = problem
    K = P.shape[0]
    n_pairs = K * (K - 1) // 2
    env = streams[r]
    pol = streams[r, n_pairs + 1]
    o_strong = outputs[0][r]
    o_weak = outputs[1][r]
    o_pulls = outputs[2][r]
    state = init(params, K)
    counts = np.zeros(K, np.int64)
    strong = 0.0
    weak = 0.0
    c = 0
    n_ckpt = times.shape[0]
    for t in range(1, budget + 1):
        pair = select(params, state, t, pol)
        a = pair[0]
        b = pair[1]
        if a < 0 or a >= K or b < 0 or b >= K:
            return t
        if a == b:
            won = rng_uniform(env[n_pairs]) < 0.5
        elif a < b:
            won = rng_uniform(env[_pair_index(a, b, K)]) < P[a, b]
        else:
            won = not (rng_uniform(env[_pair_index(b, a, K)]) < P[b, a])
        counts[a] += 1
        counts[b] += 1
        strong += 0.5 * (gaps[a] + gaps[b])
        weak += min(gaps[a], gaps[b])
        update(params, state, t, a, b, won, pol)
        if c < n_ckpt and t == times[c]:
            o_strong[c] = strong
            o_weak[c] = weak
            for k in range(K):
                o_pulls[c, k] = counts[k]
            c += 1
    return 0


def _prepare(model, agent, n_rounds) -> PreparedProblem:
    P = np.ascontiguousarray(model.matrix, dtype=np.float64)
    gaps, winner = dueling_gaps(model)
    K = P.shape[0]

    def allocate(n_runs, n_checkpoints):
        return (
            np.zeros((n_runs, n_checkpoints)),
            np.zeros((n_runs, n_checkpoints)),
            np.zeros((n_runs, n_checkpoints, K), dtype=np.int64),
        )

    def finish(times, outputs, run_start, metadata, confidence, interval):
        strong, weak, pulls = outputs
        metadata = dict(metadata, regret=f"strong ({winner} gaps); regret_variants['weak']: weak")
        return RegretCurve.from_runs(
            times, strong, strong, pulls, run_start, metadata, confidence, interval, regret_variants={"weak": weak}
        )

    return PreparedProblem(
        driver=dueling_run,
        arrays=(P, np.ascontiguousarray(gaps, dtype=np.float64)),
        n_streams=K * (K - 1) // 2 + 2,
        allocate=allocate,
        bytes_per_checkpoint=8 * (2 + K),
        finish=finish,
        rng="xoshiro256++ per unordered pair (duel outcomes), one for self-duels and one for the agent, seeded by "
        "SeedSequence(seed, spawn_key=(run,))",
        invalid_action=f"agent {{agent!r}} selected a pair outside [0, {K})^2 at {{at}} of run {{run}}",
    )


register_problem_kind(
    ProblemKind(
        name="dueling",
        problem_types=(PreferenceMatrix, BradleyTerry),
        agent_base=DuelingAgent,
        budget="n_rounds",
        prepare=_prepare,
    )
)
