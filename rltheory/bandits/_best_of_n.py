r"""Best-of-N sampling, exactly: its law, its KL to the reference, its win rate, and its large-deviation limit.

**The law** (Beirami et al. 2024, Sec. 2). Draw :math:`N` responses i.i.d. from :math:`\pi_{\mathrm{ref}}` and
keep the one of highest reward. Order the responses by reward and let :math:`F(y) = \Pr(r(Y) \le r(y))`,
:math:`F^-(y) = \Pr(r(Y) < r(y))`; the group of responses with reward :math:`r(y)` is kept with probability
:math:`F(y)^N - F^-(y)^N`, shared within the group in proportion to :math:`\pi_{\mathrm{ref}}` (ties broken
uniformly among the drawn maximizers).

**The KL formula and its correction.** The expression :math:`\mathrm{KL}(\pi_{\mathrm{bon}}\|\pi_{\mathrm{ref}})
= \log N - (N-1)/N` used in the literature (Stiennon et al. 2020; Gao et al. 2023) is only an upper bound
(Beirami et al. 2024, Thm 3.1), reached in the limit of a continuous reward distribution (it is the KL of
the maximum of :math:`N` uniforms, density :math:`N u^{N-1}`, to the uniform); for a finite set of
responses the exact KL is strictly smaller (and at most :math:`\log |\mathcal Y|`). The win rate of
best-of-N against the reference, :math:`\Pr(r(Y_{\mathrm{bon}}) > r(Y)) + \frac12\Pr(r(Y_{\mathrm{bon}}) = r(Y))`,
is at most :math:`N/(N+1)` (Beirami et al. 2024, Sec. 5), with equality for continuous rewards.

**Best-of-N against KL-regularized RL.** For a given KL budget the tilted policy
:math:`\pi_\beta \propto \pi_{\mathrm{ref}} e^{r/\beta}` maximizes the expected reward (Lagrangian duality:
it maximizes :math:`\mathbb E_\pi r - \beta\mathrm{KL}`), so best-of-N lies below the KL-RL frontier
(:func:`kl_reward_frontier`); Yang, Salamatian, Sun, Suresh & Beirami (2024), *Asymptotics of language
model alignment* (ISIT), show that for a memoryless model with an additive reward the two are
asymptotically equivalent: with :math:`N = e^{m\Delta}` for sequences of length :math:`m`, the per-token
reward of best-of-N converges to the one of the KL-RL solution with budget :math:`m\Delta`, the value
:math:`x` with :math:`\Lambda^*(x) = \Delta` (:math:`\Lambda^*` the Cramér rate function of the token
reward; :func:`best_of_n_asymptotics` computes both exactly, the law of the sum by convolution).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.special import logsumexp

from .._validation import check_finite, check_int, check_probability_vector, check_real, readonly

__all__ = [
    "BestOfNAsymptotics",
    "BestOfNResult",
    "best_of_n",
    "best_of_n_asymptotics",
    "best_of_n_kl_formula",
    "kl_reward_frontier",
]


def _inputs(reference, rewards):
    r = np.asarray(rewards, dtype=np.float64)
    if r.ndim != 1 or r.size < 1:
        raise ValueError(f"rewards must be a 1-D array over the responses, got shape {r.shape}")
    check_finite("rewards", r)
    p = check_probability_vector("reference", reference, r.size)
    if (p == 0).any():
        y = int(np.argmax(p == 0))
        raise ValueError(f"reference[{y}] = 0: drop responses the reference never produces")
    return p, r


@dataclass(frozen=True, eq=False)
class BestOfNResult:
    r"""Result of :func:`best_of_n`.

    Attributes
    ----------
    action_probabilities : (Y,) float64
        The exact law of the best-of-N response.
    kl : float
        :math:`\mathrm{KL}(\pi_{\mathrm{bon}}\|\pi_{\mathrm{ref}})`, exact.
    kl_formula : float
        :math:`\log N - (N-1)/N`, the published formula (an upper bound of ``kl``).
    win_rate : float
        :math:`\Pr(r(Y_{\mathrm{bon}}) > r(Y)) + \frac12\Pr(r(Y_{\mathrm{bon}}) = r(Y))`, :math:`Y \sim
        \pi_{\mathrm{ref}}`.
    expected_reward : float
    n : int

    Examples
    --------
    >>> res = best_of_n([0.5, 0.5], [0.0, 1.0], 2)  # the better of two fair coin flips is 1 w.p. 3/4
    >>> res.n, res.action_probabilities.tolist(), round(res.expected_reward, 6)
    (2, [0.25, 0.75], 0.75)
    >>> round(res.win_rate, 6)  # P(bon > Y) + P(bon = Y) / 2 = 3/8 + 1/4
    0.625
    >>> bool(res.kl <= res.kl_formula)  # log 2 - 1/2 bounds the exact KL
    True
    """

    action_probabilities: np.ndarray
    kl: float
    kl_formula: float
    win_rate: float
    expected_reward: float
    n: int


def best_of_n_kl_formula(n: int) -> float:
    """The published expression :math:`\\log N - (N - 1)/N` (an upper bound of the exact KL: Beirami et al. 2024, Thm
    3.1).

    Examples
    --------
    >>> round(best_of_n_kl_formula(4), 6)
    0.636294
    """
    n = check_int("n", n, low=1)
    return math.log(n) - (n - 1) / n


def best_of_n(reference, rewards, n: int) -> BestOfNResult:
    r"""The exact best-of-N law, its KL to the reference, win rate and expected reward (one prompt).

    Examples
    --------
    >>> res = best_of_n([0.5, 0.5], [0.0, 1.0], 2)  # keep the better of two fair coin flips
    >>> res.action_probabilities.tolist(), round(res.kl, 6), round(res.kl_formula, 6)
    ([0.25, 0.75], 0.130812, 0.193147)
    >>> res.win_rate <= 2 / 3
    True
    """
    p, r = _inputs(reference, rewards)
    n = check_int("n", n, low=1)
    values, inverse = np.unique(r, return_inverse=True)
    mass = np.bincount(inverse, weights=p, minlength=values.size)
    above = np.concatenate([np.cumsum(mass[::-1])[::-1][1:], [0.0]])  # P(r > values[g]), summed from the top
    F = 1.0 - above
    Fm = np.concatenate([[0.0], F[:-1]])
    with np.errstate(divide="ignore"):
        powF = np.exp(n * np.log1p(-np.minimum(above, 1.0)))  # F^n, accurate when F is close to 1
    group = powF - np.concatenate([[0.0], powF[:-1]])  # probability that the maximum reward drawn is values[g]
    bon = group[inverse] * p / mass[inverse]
    bon = bon / bon.sum()
    pos = bon > 0
    kl = float(np.sum(bon[pos] * np.log(bon[pos] / p[pos])))
    g_bon = np.bincount(inverse, weights=bon, minlength=values.size)
    win = float(np.sum(g_bon * Fm) + 0.5 * np.sum(g_bon * mass))
    return BestOfNResult(
        action_probabilities=readonly(bon),
        kl=kl,
        kl_formula=best_of_n_kl_formula(n),
        win_rate=win,
        expected_reward=float(bon @ r),
        n=n,
    )


def kl_reward_frontier(reference, rewards, kl) -> np.ndarray:
    r"""The largest expected reward of a policy with :math:`\mathrm{KL}(\pi\|\pi_{\mathrm{ref}}) \le` ``kl`` (for each
    budget).

    The maximizer is the tilted policy :math:`\pi_\beta \propto \pi_{\mathrm{ref}} e^{r/\beta}` whose KL equals
    the budget (the KL of :math:`\pi_\beta` decreases from :math:`\log(1/\pi_{\mathrm{ref}}(\arg\max r))` to 0 as
    :math:`\beta` goes from 0 to :math:`\infty`), found by a root search in :math:`\log\beta`; budgets beyond
    the largest KL give :math:`\max r`.

    Examples
    --------
    >>> import numpy as np
    >>> kl_reward_frontier([0.5, 0.5], [0.0, 1.0], [0.0, np.log(2)]).round(9).tolist()
    [0.5, 1.0]
    """
    from rltheory.tabular import kl_regularized_posterior

    p, r = _inputs(reference, rewards)
    budgets = np.atleast_1d(np.asarray(kl, dtype=np.float64))
    check_finite("kl", budgets)
    if (budgets < 0).any():
        raise ValueError("kl budgets must be >= 0")
    best = r == r.max()
    kl_max = -math.log(float(p[best].sum()))
    out = np.empty(budgets.size)

    def tilted(log_beta):
        pi = np.asarray(kl_regularized_posterior(r, p, math.exp(log_beta)).action_probabilities)
        pos = pi > 0
        return pi, float(np.sum(pi[pos] * np.log(pi[pos] / p[pos])))

    scale = max(float(r.max() - r.min()), 1e-300)
    for k, b in enumerate(budgets):
        if b <= 0:
            out[k] = float(p @ r)
        elif b >= kl_max:
            out[k] = float(r.max())
        else:
            lo, hi = math.log(scale) - 40.0, math.log(scale) + 40.0
            lb = brentq(lambda t, b=b: tilted(t)[1] - b, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps)
            out[k] = float(tilted(lb)[0] @ r)
    return readonly(out)


@dataclass(frozen=True, eq=False)
class BestOfNAsymptotics:
    r"""Result of :func:`best_of_n_asymptotics`.

    Attributes
    ----------
    lengths : (L,) int64
        Sequence lengths :math:`m`.
    n_samples : (L,) float64
        :math:`N = \lceil e^{m\Delta}\rceil`.
    best_of_n_reward : (L,) float64
        :math:`\mathbb E[\max_{i \le N} S^{(i)}_m]/m`, exact (:math:`S_m` the sum of :math:`m` i.i.d. token rewards).
    kl_rl_reward : float
        The per-token reward :math:`x(\Delta)` of the KL-RL solution with budget :math:`m\Delta` (the same for
        every :math:`m`): :math:`\Lambda^*(x) = \Delta`.
    tilt : float
        The exponent :math:`\lambda` of the tilted token law :math:`p_\lambda \propto p e^{\lambda r}` with
        :math:`\mathrm{KL}(p_\lambda\|p) = \Delta`.

    Examples
    --------
    >>> import math
    >>> res = best_of_n_asymptotics([0.5, 0.5], [0, 1], 0.2, [10, 100])
    >>> res.lengths.tolist(), float(res.n_samples[0])  # N = ceil(e^{10 * 0.2}) = ceil(7.389)
    ([10, 100], 8.0)
    >>> x = res.kl_rl_reward  # a fair coin tilted by lambda: x = sigma(lambda), KL(Bernoulli(x) || 1/2) = 0.2
    >>> round(x - 1 / (1 + math.exp(-res.tilt)), 9), round(math.log(2) + x * math.log(x) + (1 - x) * math.log(1 - x), 9)
    (0.0, 0.2)
    """

    lengths: np.ndarray
    n_samples: np.ndarray
    best_of_n_reward: np.ndarray
    kl_rl_reward: float
    tilt: float


def best_of_n_asymptotics(token_probabilities, token_rewards, delta: float, lengths) -> BestOfNAsymptotics:
    r"""Best-of-N with :math:`N = e^{m\Delta}` against KL-RL with budget :math:`m\Delta` for a memoryless model.

    Tokens are i.i.d. from ``token_probabilities`` with integer ``token_rewards`` (so the law of the
    sequence reward :math:`S_m` is an exact convolution on the integers); the sequence reward is additive.
    The KL-RL solution is the product of the tilted token law :math:`p_\lambda` with
    :math:`\mathrm{KL}(p_\lambda\|p) = \Delta`, whose per-token reward :math:`x(\Delta) = \mathbb E_{p_\lambda} r`
    satisfies :math:`\Lambda^*(x) = \Delta`; Yang et al. (2024) prove that the per-token reward of best-of-N
    with :math:`N = e^{m\Delta}` converges to it. ``delta`` must be below :math:`\log(1/p(\arg\max r))`.

    Examples
    --------
    >>> res = best_of_n_asymptotics([0.5, 0.5], [0, 1], 0.2, [10, 100, 1000])
    >>> bool(abs(res.best_of_n_reward[-1] - res.kl_rl_reward) < abs(res.best_of_n_reward[0] - res.kl_rl_reward))
    True
    """
    p = check_probability_vector("token_probabilities", token_probabilities)
    r = np.asarray(token_rewards)
    if r.shape != p.shape or not np.issubdtype(r.dtype, np.integer):
        raise ValueError("token_rewards must be integers, one per token")
    if (p == 0).any():
        raise ValueError("token_probabilities must be positive")
    delta = check_real("delta", delta, low=0.0, low_open=True)
    top = float(p[r == r.max()].sum())
    if delta >= -math.log(top):
        raise ValueError(f"delta = {delta} must be < log(1 / p(argmax r)) = {-math.log(top):.6g}")
    m_list = np.asarray(lengths)
    if m_list.ndim != 1 or not np.issubdtype(m_list.dtype, np.integer) or (m_list < 1).any():
        raise ValueError("lengths must be a 1-D array of integers >= 1")
    if float(m_list.max()) * delta > 500:
        # best-of-N lives in the tail P(S > k) ~ e^{-m Delta}: below ~1e-217 doubles lose it
        raise ValueError(f"m * delta = {float(m_list.max()) * delta:g} > 500: the tail of the law of S_m underflows")
    rf = r.astype(np.float64)

    def tilted(lam):
        logq = np.log(p) + lam * rf
        q = np.exp(logq - logsumexp(logq))
        return q, float(np.sum(q * np.log(q / p)))

    lam = brentq(
        lambda t: tilted(t)[1] - delta,
        0.0,
        1.0 + 200.0 / max(float(rf.max() - rf.min()), 1.0),
        xtol=1e-15,
        rtol=4 * np.finfo(float).eps,
    )
    x = float(tilted(lam)[0] @ rf)
    rmin = int(r.min())
    shifted = (r - rmin).astype(np.int64)
    token = np.zeros(int(shifted.max()) + 1)
    np.add.at(token, shifted, p)
    out = np.empty(m_list.size)
    Ns = np.empty(m_list.size)
    for k, m in enumerate(m_list):
        law = np.array([1.0])
        for _ in range(int(m)):
            law = np.convolve(law, token)
        law = np.clip(law, 0.0, None)
        law /= law.sum()
        logN = float(m) * delta
        N = float(math.ceil(math.exp(logN)))  # N = e^{m Delta} rounded up (m Delta <= 500)
        log_n = math.log(N)
        # log P(S <= k) = log1p(-P(S > k)), the tail summed from the top; F^N = exp(-exp(log N + log(-log F)))
        tail = np.concatenate([np.cumsum(law[::-1])[::-1][1:], [0.0]])  # P(S > k)
        with np.errstate(divide="ignore", over="ignore"):  # F = 0 below the support: F^N = 0; F = 1 at the top: 1
            logF = np.log1p(-np.minimum(tail, 1.0))
            powF = np.exp(-np.exp(log_n + np.log(-logF)))
        top_mass = powF - np.concatenate([[0.0], powF[:-1]])
        support = np.arange(law.size) + rmin * int(m)
        out[k] = float(top_mass @ support) / float(m)
        Ns[k] = float(N)
    return BestOfNAsymptotics(
        lengths=readonly(m_list.astype(np.int64)),
        n_samples=readonly(Ns),
        best_of_n_reward=readonly(out),
        kl_rl_reward=x,
        tilt=float(lam),
    )
