r"""Fixed-confidence best-arm identification strategies: Track-and-Stop, LUCB, KL-LUCB, Top-Two Thompson, lil'UCB.

Agents of the ``"identification"`` kind (:class:`~rltheory.bandits.IdentificationAgent`) for an
:class:`~rltheory.bandits.IdentificationProblem` ``(bandit, delta)``. Every agent first samples each arm
once (rounds ``1..K``), keeps its counts :math:`N_a` and sums in its state, recommends the best
empirical mean (lowest index among ties) unless stated otherwise, and ``stop`` is never true before
round ``K``.

**The GLR (Chernoff) stopping rule** (Garivier & Kaufmann 2016, Sec. 3.2, eq. (7)-(8)) of
:class:`TrackAndStop` and :class:`TopTwoThompson`: with :math:`\hat a` the empirical best arm and

.. math:: Z_{\hat a, b}(t) = N_{\hat a}\, d(\hat\mu_{\hat a}, \hat\mu_{\hat a b}) + N_b\, d(\hat\mu_b, \hat\mu_{\hat a
b}),
   \qquad \hat\mu_{\hat a b} = \frac{N_{\hat a}\hat\mu_{\hat a} + N_b \hat\mu_b}{N_{\hat a} + N_b},

stop at the first :math:`t` with :math:`Z(t) = \min_{b \ne \hat a} Z_{\hat a, b}(t) > \beta(t, \delta)`
(:math:`Z = 0` when the empirical best arm is not unique). The threshold (:func:`glr_threshold`) is

* ``threshold="kk21"`` (default), whose :math:`\delta`-correctness is proved: for Bernoulli (or
  [0, 1]-bounded) arms

  .. math:: \beta(t, \delta) = 2\,\mathcal T\!\left(\tfrac12\log\tfrac{K - 1}{\delta}\right) + 6\log\!\left(1 +
  \log\tfrac t2\right),

  from Kaufmann & Koolen (2021), *Mixture martingales revisited with applications to sequential tests
  and confidence intervals*, JMLR 22(246): their deviation inequality for one-parameter exponential
  families, :math:`\mathbb P(\exists t: \sum_{a \in S} [N_a d^\pm(\hat\mu_a, \mu_a) - 3\log(1 + \log N_a)]
  \ge |S|\,\mathcal T(x/|S|)) \le e^{-x}`, with the function
  :math:`\mathcal T(x) = 2\tilde h_{3/2}\big((h^{-1}(1 + x) + \log(2\zeta(2)))/2\big)`,
  :math:`h(u) = u - \log u`, :math:`\tilde h_z(x) = e^{1/h^{-1}(x)} h^{-1}(x)` for
  :math:`x \ge h^{-1}(1/\log z)` and :math:`z(x - \log\log z)` otherwise (the function as implemented
  by Besson, Kaufmann, Maillard & Seznec 2022, who use it for their GLR change detector); for Gaussian
  arms (known variance)

  .. math:: \beta(t, \delta) = 2\,\mathcal C^{g_G}\!\left(\tfrac12\log\tfrac{K - 1}{\delta}\right) + 4\log\!\left(4 +
  \log\tfrac t2\right),

  from their Gaussian deviation inequality (Corollary 10, with the calibration function
  :math:`\mathcal C^{g}(x) = \min_{\lambda \in (1/2, 1]} (g(\lambda) + x)/\lambda` of Definition 3 and
  :math:`g_G(\lambda) = 2\lambda - 2\lambda\log(4\lambda) + \log\zeta(2\lambda) - \tfrac12\log(1 - \lambda)`).
  On the error event :math:`\hat a \ne a^*` the statistic :math:`Z(t) \le Z_{\hat a, a^*}(t)` is at most
  the deviation of the pair :math:`S = \{\hat a, a^*\}` (the true means are in the alternative); a union
  bound over the :math:`K - 1` wrong answers with :math:`x = \log((K-1)/\delta)`, and
  :math:`\sum_{a\in S} f(N_a) \le 2 f(t/2)` for the concave :math:`f` of the :math:`\log\log` terms
  (:math:`N_{\hat a} + N_{a^*} \le t`), give :math:`\mathbb P(\tau < \infty, \hat a_\tau \ne a^*) \le \delta`
  whatever the sampling rule. (The theorem numbers of the exponential-family inequality could not be
  checked here; Corollary 10 and Definition 3 are as cited by the reference code of the Gaussian
  threshold.)
* ``threshold="heuristic"``: :math:`\log((1 + \log t)/\delta)`, the threshold of Garivier & Kaufmann's
  experiments (Sec. 6); **not** proved :math:`\delta`-correct.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from .._validation import check_choice, check_int, check_probability, check_real, check_tol
from ..simulation import rng_beta, rng_normal, rng_uniform
from ._characteristic_time import family_kl, optimal_weights_into
from ._identification import IdentificationAgent, IdentificationProblem
from ._instances import GaussianBandit
from ._kl import kllcb_bernoulli, klucb_bernoulli

__all__ = ["KLLUCB", "LUCB", "LilUCB", "TopTwoThompson", "TrackAndStop", "glr_threshold"]

_FAMILIES = ("bernoulli", "gaussian")
_THRESHOLDS = ("kk21", "heuristic")
_TH_KK21_BERNOULLI, _TH_KK21_GAUSSIAN, _TH_HEURISTIC = 0, 1, 2


# ---------------------------------------------------------------------------- the thresholds (Python side)


def _h_inverse(x: float) -> float:
    """The root ``u >= 1`` of ``u - log u = x`` (``x >= 1``): ``-W_{-1}(-exp(-x))``."""
    from scipy.special import lambertw

    if x < 1.0:
        raise ValueError(f"h^-1 is defined on [1, inf), got {x!r}")
    if x == 1.0:
        return 1.0
    if (
        x > 50.0
    ):  # exp(-x) underflows for x > ~745: Newton on u - log u = x from u = x + log x (quadratic, no overshoot)
        u = x + math.log(x)
        for _ in range(60):
            step = (u - math.log(u) - x) / (1.0 - 1.0 / u)
            u -= step
            if abs(step) <= 4e-16 * u:
                break
        return u
    return float(-lambertw(-math.exp(-x), k=-1).real)


def _h_tilde(x: float, z: float = 1.5) -> float:
    threshold = _h_inverse(1.0 / math.log(z))
    if x >= threshold:
        u = _h_inverse(x)
        return math.exp(1.0 / u) * u
    return z * (x - math.log(math.log(z)))


def kk21_t_function(x: float) -> float:
    r"""The function :math:`\mathcal T(x) = 2\tilde h_{3/2}\big((h^{-1}(1+x) + \log(2\zeta(2)))/2\big)` (Kaufmann &
    Koolen 2021).

    Examples
    --------
    >>> from rltheory.bandits._bai_agents import kk21_t_function
    >>> x = 10.0
    >>> x < kk21_t_function(x) < x + 4 * __import__("math").log(1 + x + (2 * x) ** 0.5) + 1
    True
    """
    x = check_real("x", x, low=0.0)
    return 2.0 * _h_tilde((_h_inverse(1.0 + x) + math.log(2.0 * math.pi**2 / 6.0)) / 2.0)


def kk21_gaussian_calibration(x: float) -> float:
    r""":math:`\mathcal C^{g_G}(x) = \min_{\lambda \in (1/2, 1)} (g_G(\lambda) + x)/\lambda` (Kaufmann & Koolen 2021,
    Def. 3, Cor. 10).

    The minimum is found by bounded scalar minimisation; the value returned is the objective at the
    point found, hence at least the minimum (a larger threshold keeps :math:`\delta`-correctness).

    Examples
    --------
    >>> from rltheory.bandits._bai_agents import kk21_gaussian_calibration
    >>> kk21_gaussian_calibration(5.0) > 5.0
    True
    """
    from scipy.optimize import minimize_scalar
    from scipy.special import zeta

    x = check_real("x", x, low=0.0, low_open=True)

    def objective(lam):
        g = 2 * lam - 2 * lam * math.log(4 * lam) + math.log(zeta(2 * lam)) - 0.5 * math.log(1 - lam)
        return (g + x) / lam

    res = minimize_scalar(objective, bounds=(0.5 + 1e-12, 1 - 1e-12), method="bounded", options={"xatol": 1e-12})
    return float(objective(float(res.x)))


def _threshold_constants(family: str, threshold: str, delta: float, n_arms: int) -> tuple[int, float]:
    """``(code, constant)`` of the threshold: :math:`\\beta(t, \\delta) = \\text{constant} + \\text{(t-part)}`."""
    if threshold == "heuristic":
        return _TH_HEURISTIC, -math.log(delta)
    x = 0.5 * math.log((n_arms - 1) / delta)
    if family == "bernoulli":
        return _TH_KK21_BERNOULLI, 2.0 * kk21_t_function(x)
    return _TH_KK21_GAUSSIAN, 2.0 * kk21_gaussian_calibration(x)


@njit(cache=True)
def threshold_value(code, constant, t):
    """:math:`\\beta(t, \\delta)` from the constants of :func:`_threshold_constants` (``t >= 2``)."""
    if code == 0:
        return constant + 6.0 * math.log(1.0 + math.log(max(t, 2.0) / 2.0))
    if code == 1:
        return constant + 4.0 * math.log(4.0 + math.log(max(t, 2.0) / 2.0))
    return constant + math.log(1.0 + math.log(max(t, 1.0)))


def glr_threshold(t, delta, n_arms, *, family="bernoulli", threshold="kk21"):
    r"""The stopping threshold :math:`\beta(t, \delta)` of the GLR stopping rule (module docstring).

    Parameters
    ----------
    t : int or array_like
        Samples so far (``>= 2``).
    delta : float
        The risk, in ``(0, 1)``.
    n_arms : int
        ``K >= 2``.
    family : {"bernoulli", "gaussian"}
    threshold : {"kk21", "heuristic"}

    Examples
    --------
    >>> from rltheory.bandits import glr_threshold
    >>> b = glr_threshold([100, 10_000], 0.01, 5)
    >>> bool(b[0] < b[1]), bool(b[0] > __import__("math").log(4 / 0.01))
    (True, True)
    """
    check_choice("family", family, _FAMILIES)
    check_choice("threshold", threshold, _THRESHOLDS)
    delta = check_probability("delta", delta)
    n_arms = check_int("n_arms", n_arms, low=2)
    times = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(times)) or np.any(times < 2):
        raise ValueError(f"t must be >= 2, got {t!r:.100}")
    code, constant = _threshold_constants(family, threshold, delta, n_arms)
    out = np.array([threshold_value(code, constant, float(x)) for x in times.ravel()]).reshape(times.shape)
    return float(out) if out.ndim == 0 else out


# ---------------------------------------------------------------------------- shared compiled pieces

#: State rows shared by the agents below: counts, sums, and agent-specific rows after.
_N, _S = 0, 1


@njit(cache=True)
def _empirical_best(state):
    """``(best, unique)``: the lowest index of the largest empirical mean, and whether it is the only one."""
    K = state.shape[1]
    best = 0
    bv = state[_S, 0] / state[_N, 0]
    for a in range(1, K):
        v = state[_S, a] / state[_N, a]
        if v > bv:
            bv = v
            best = a
    unique = True
    for a in range(K):
        if a != best and state[_S, a] / state[_N, a] == bv:
            unique = False
    return best, unique


@njit(cache=True)
def glr_statistic(family, sigma, state):
    """``(best, Z)``: the empirical best arm and :math:`Z(t) = \\min_{b \\ne \\hat a} Z_{\\hat a, b}(t)` (0 if tied)."""
    best, unique = _empirical_best(state)
    if not unique:
        return best, 0.0
    na = state[_N, best]
    ma = state[_S, best] / na
    z = math.inf
    for b in range(state.shape[1]):
        if b == best:
            continue
        nb = state[_N, b]
        mb = state[_S, b] / nb
        m = (state[_S, best] + state[_S, b]) / (na + nb)
        z = min(z, na * family_kl(family, ma, m, sigma) + nb * family_kl(family, mb, m, sigma))
    return best, z


@njit(cache=True)
def _two_rows_init(params, n_arms):
    """Rows: counts, sums."""
    return np.zeros((2, n_arms))


@njit(cache=True)
def _record(state, arm, reward):
    state[_N, arm] += 1.0
    state[_S, arm] += reward


@njit(cache=True)
def _record_update(params, state, t, arm, reward, rng):
    _record(state, arm, reward)


@njit(cache=True)
def _recommend_best(params, state):
    best, _ = _empirical_best(state)
    return best


@njit(cache=True)
def _glr_stop(params, state, t):
    if t < state.shape[1]:
        return False
    _, z = glr_statistic(params.family, params.sigma, state)
    return z > threshold_value(params.threshold_code, params.threshold_constant, float(t))


def _family_of(bandit, family, who):
    if family == "gaussian" and not isinstance(bandit, GaussianBandit):
        raise ValueError(f"{who}(family='gaussian') needs a GaussianBandit, got {type(bandit).__name__}")
    if family == "bernoulli" and isinstance(bandit, GaussianBandit):
        raise ValueError(
            f"{who}(family='bernoulli') assumes rewards in [0, 1]; use family='gaussian' on a GaussianBandit"
        )


def _fixed_confidence(problem, who) -> IdentificationProblem:
    if not isinstance(problem, IdentificationProblem):
        raise ValueError(
            f"{who} is a fixed-confidence strategy: it needs an IdentificationProblem, got {type(problem).__name__}"
        )
    return problem


# ---------------------------------------------------------------------------- Track-and-Stop


class _TaSParams(NamedTuple):
    family: int
    sigma: float
    threshold_code: int
    threshold_constant: float
    c_tracking: bool
    tol: float


@njit(cache=True)
def _tas_init(params, n_arms):
    """Rows: counts, sums, cumulative projected weights (C-tracking), the weights w*(mu_hat), scratch."""
    state = np.zeros((5, n_arms))
    return state


@njit(cache=True)
def _project(w, eps, out):
    """The L-infinity projection of the simplex point ``w`` onto :math:`\\{w \\ge \\varepsilon\\}` (water-filling).

    Arms below :math:`\\varepsilon` are raised to it (the least increase possible) and the others lowered
    by :math:`\\min(\\eta, w_a - \\varepsilon)` with :math:`\\eta` the smallest common decrease that
    restores the sum: the largest change is as small as it can be.
    """
    K = w.shape[0]
    deficit = 0.0
    for a in range(K):
        deficit += max(eps - w[a], 0.0)
    if deficit <= 0.0:
        for a in range(K):
            out[a] = w[a]
        return
    lo = 0.0
    hi = 1.0
    for _ in range(100):  # bisection on eta: removed(eta) = sum_a min(eta, (w_a - eps)^+) is increasing
        eta = 0.5 * (lo + hi)
        removed = 0.0
        for a in range(K):
            removed += min(eta, max(w[a] - eps, 0.0))
        if removed < deficit:
            lo = eta
        else:
            hi = eta
    eta = hi
    for a in range(K):
        out[a] = eps if w[a] <= eps else w[a] - min(eta, w[a] - eps)
    total = 0.0
    for a in range(K):
        total += out[a]
    for a in range(K):
        out[a] /= total


@njit(cache=True)
def _tas_weights(params, state):
    """w*(mu_hat) into state row 3 (uniform over the empirical maximisers when they are not unique)."""
    K = state.shape[1]
    means = np.empty(K)
    for a in range(K):
        means[a] = state[_S, a] / state[_N, a]
    bounds = np.empty(4)
    w = state[3]
    optimal_weights_into(params.family, means, params.sigma, params.tol, 100, False, w, bounds)


@njit(cache=True)
def _tas_select(params, state, t, rng):
    K = state.shape[1]
    if t <= K:
        if t == K and params.c_tracking:
            for a in range(K):
                state[2, a] = 1.0  # sum_{s < K} of the uniform allocation 1/K
        return t - 1
    n = float(t - 1)  # samples observed: Garivier & Kaufmann's t
    if params.c_tracking:
        # C-tracking (G&K 2016, Sec. 3.1): argmax_a sum_{s <= t} w^{eps_s}_a(mu_hat(s)) - N_a(t), eps_s = (K^2 +
        # s)^(-1/2) / 2
        _tas_weights(params, state)
        eps = 0.5 / math.sqrt(K * K + n)
        _project(state[3], eps, state[4])
        best = 0
        bv = -np.inf
        for a in range(K):
            state[2, a] += state[4, a]
            v = state[2, a] - state[_N, a]
            if v > bv:
                bv = v
                best = a
        return best
    # D-tracking (G&K 2016, Sec. 3.1): forced exploration of U_t = {a: N_a(t) < sqrt(t) - K/2}
    forced = -1
    fv = np.inf
    level = math.sqrt(n) - 0.5 * K
    for a in range(K):
        if state[_N, a] < level and state[_N, a] < fv:
            fv = state[_N, a]
            forced = a
    if forced >= 0:
        return forced
    _tas_weights(params, state)
    best = 0
    bv = -np.inf
    for a in range(K):
        v = n * state[3, a] - state[_N, a]
        if v > bv:
            bv = v
            best = a
    return best


@dataclass(frozen=True)
class TrackAndStop(IdentificationAgent):
    r"""Track-and-Stop of Garivier & Kaufmann (2016): tracking of :math:`w^*(\hat\mu)` and the GLR stopping rule.

    After one pull of each arm, with :math:`t` samples observed:

    * ``tracking="D"`` (D-tracking, Sec. 3.1): if :math:`U_t = \{a: N_a(t) < \sqrt t - K/2\}` is not
      empty, sample :math:`\arg\min_{a \in U_t} N_a(t)` (forced exploration); otherwise
      :math:`\arg\max_a t\,w^*_a(\hat\mu(t)) - N_a(t)`;
    * ``tracking="C"`` (C-tracking): :math:`\arg\max_a \sum_{s=0}^{t} w^{\varepsilon_s}_a(\hat\mu(s)) - N_a(t)`
      with :math:`w^{\varepsilon}` the :math:`L^\infty` projection of :math:`w^*` onto
      :math:`\{w \in \Sigma_K: w_a \ge \varepsilon\}` and :math:`\varepsilon_s = (K^2 + s)^{-1/2}/2`
      (the uniform allocation stands for the rounds before every arm was sampled).

    :math:`w^*(\hat\mu)` is recomputed every round by the compiled nested root finding of
    :func:`~rltheory.bandits.optimal_weights` (to relative ``tol``, uncertified); when the empirical best
    arm is not unique it is uniform over the maximisers. Stops by the GLR rule with the threshold of
    :func:`glr_threshold` (module docstring): ``threshold="kk21"`` is :math:`\delta`-correct
    (Kaufmann & Koolen 2021), and with it Track-and-Stop is asymptotically optimal,
    :math:`\limsup_{\delta\to0} \mathbb E[\tau_\delta]/\log(1/\delta) \le T^*(\mu)` (G&K 2016, Thm 14 for
    thresholds :math:`\log(Ct^\alpha/\delta)`, :math:`\alpha \in [1, e/2]`; the KK21 threshold is
    :math:`\log(1/\delta) + O(\log\log t)`).

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, IdentificationProblem, TrackAndStop
    >>> from rltheory.simulation import simulate
    >>> res = simulate(IdentificationProblem(BernoulliBandit([0.8, 0.5, 0.3]), 0.05), TrackAndStop(),
    ...                n_rounds=10**5, n_runs=20, seed=1)
    >>> res.n_unstopped, res.n_errors
    (0, 0)
    """

    tracking: str = "D"
    family: str = "bernoulli"
    sigma: float = 1.0
    threshold: str = "kk21"
    tol: float = 1e-8

    name: ClassVar[str] = "TrackAndStop"
    Params: ClassVar = _TaSParams
    init: ClassVar = staticmethod(_tas_init)
    select: ClassVar = staticmethod(_tas_select)
    update: ClassVar = staticmethod(_record_update)
    stop: ClassVar = staticmethod(_glr_stop)
    recommend: ClassVar = staticmethod(_recommend_best)

    def __post_init__(self):
        check_choice("tracking", self.tracking, ("C", "D"))
        check_choice("family", self.family, _FAMILIES)
        object.__setattr__(self, "sigma", check_real("sigma", self.sigma, low=0.0, low_open=True))
        check_choice("threshold", self.threshold, _THRESHOLDS)
        object.__setattr__(self, "tol", check_tol(self.tol))

    def compiled_params(self, problem, budget):
        problem = _fixed_confidence(problem, self.name)
        _family_of(problem.bandit, self.family, self.name)
        sigma = problem.bandit.sigma if self.family == "gaussian" else 1.0
        code, const = _threshold_constants(self.family, self.threshold, problem.delta, problem.n_arms)
        return _TaSParams(_FAMILIES.index(self.family), float(sigma), code, const, self.tracking == "C", self.tol)


# ---------------------------------------------------------------------------- Top-Two Thompson sampling


class _TTTSParams(NamedTuple):
    family: int
    sigma: float
    threshold_code: int
    threshold_constant: float
    beta: float
    max_resamples: int


@njit(cache=True)
def _ttts_init(params, n_arms):
    """Rows: counts, sums, a posterior sample."""
    return np.zeros((3, n_arms))


@njit(cache=True)
def _posterior_argmax(params, state, rng):
    K = state.shape[1]
    best = 0
    bv = -np.inf
    for a in range(K):
        n = state[_N, a]
        s = state[_S, a]
        if params.family == 0:
            theta = rng_beta(rng, 1.0 + s, 1.0 + n - s)
        else:
            theta = s / n + params.sigma / math.sqrt(n) * rng_normal(rng)
        state[2, a] = theta
        if theta > bv:
            bv = theta
            best = a
    return best


@njit(cache=True)
def _transportation_challenger(family, sigma, state, leader):
    r""":math:`\arg\min_{b \ne I} W_{I,b}`: the arm whose GLR statistic against the leader ``I`` is smallest."""
    na = state[_N, leader]
    ma = state[_S, leader] / na
    best = -1
    bv = np.inf
    for b in range(state.shape[1]):
        if b == leader:
            continue
        nb = state[_N, b]
        mb = state[_S, b] / nb
        w = 0.0
        if ma > mb:
            m = (state[_S, leader] + state[_S, b]) / (na + nb)
            w = na * family_kl(family, ma, m, sigma) + nb * family_kl(family, mb, m, sigma)
        if w < bv:
            bv = w
            best = b
    return best


@njit(cache=True)
def _ttts_select(params, state, t, rng):
    K = state.shape[1]
    if t <= K:
        return t - 1
    leader = _posterior_argmax(params, state, rng)
    if rng_uniform(rng) < params.beta:
        return leader
    for _ in range(params.max_resamples):
        challenger = _posterior_argmax(params, state, rng)
        if challenger != leader:
            return challenger
    # resampling budget exhausted: the T3C challenger argmin_{b != I} W_{I, b} (Shang et al. 2020), with
    # W_{I, b} = N_I d(mu_I, mu_Ib) + N_b d(mu_b, mu_Ib) when mu_I >= mu_b and 0 otherwise
    return _transportation_challenger(params.family, params.sigma, state, leader)


@dataclass(frozen=True)
class TopTwoThompson(IdentificationAgent):
    r"""Top-Two Thompson sampling (Russo 2016) with the GLR stopping rule.

    Russo (2016), *Simple Bayesian algorithms for best arm identification*, COLT (Oper. Res. 68(6),
    2020), Sec. 3 (TTTS): draw :math:`\theta` from the posterior and let :math:`I = \arg\max\theta`;
    with probability :math:`\beta` sample :math:`I`, otherwise draw posterior samples until their
    argmax :math:`J \ne I` and sample :math:`J`. Posteriors: Beta(1 + successes, 1 + failures)
    (Bernoulli, uniform prior) or :math:`N(\hat\mu_a, \sigma^2/N_a)` (Gaussian, flat prior). Once the
    posterior is concentrated a draw with another argmax can be astronomically rare (its probability is
    about :math:`e^{-Z(t)}`), so after ``max_resamples`` draws without one the challenger is the T3C
    challenger :math:`\arg\min_{b \ne I} W_{I,b}(t)` (the GLR statistic of the pair; Shang, de Heide,
    Kaufmann, Ménard & Valko 2020, *Fixed-confidence guarantees for Bayesian best-arm identification*,
    AISTATS, Alg. 2), whose allocation has the same :math:`\beta`-optimal limit. (Taking instead the
    best other arm of the last draw starves the clearly bad arms and the GLR statistic stops growing.) Stopping: the
    GLR rule with :func:`glr_threshold` (as for
    :class:`TrackAndStop`, :math:`\delta`-correct with ``threshold="kk21"`` whatever the sampling rule),
    as in Jourdan, Degenne, Baudry, de Heide & Kaufmann (2022).

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, IdentificationProblem, TopTwoThompson
    >>> from rltheory.simulation import simulate
    >>> res = simulate(IdentificationProblem(BernoulliBandit([0.8, 0.5, 0.3]), 0.05), TopTwoThompson(),
    ...                n_rounds=10**5, n_runs=10, seed=2)
    >>> res.n_unstopped, res.n_errors
    (0, 0)
    """

    beta: float = 0.5
    family: str = "bernoulli"
    sigma: float = 1.0
    threshold: str = "kk21"
    max_resamples: int = 100

    name: ClassVar[str] = "TopTwoThompson"
    Params: ClassVar = _TTTSParams
    init: ClassVar = staticmethod(_ttts_init)
    select: ClassVar = staticmethod(_ttts_select)
    update: ClassVar = staticmethod(_record_update)
    stop: ClassVar = staticmethod(_glr_stop)
    recommend: ClassVar = staticmethod(_recommend_best)

    def __post_init__(self):
        object.__setattr__(self, "beta", check_probability("beta", self.beta))
        check_choice("family", self.family, _FAMILIES)
        object.__setattr__(self, "sigma", check_real("sigma", self.sigma, low=0.0, low_open=True))
        check_choice("threshold", self.threshold, _THRESHOLDS)
        object.__setattr__(self, "max_resamples", check_int("max_resamples", self.max_resamples, low=1))

    def compiled_params(self, problem, budget):
        problem = _fixed_confidence(problem, self.name)
        _family_of(problem.bandit, self.family, self.name)
        sigma = problem.bandit.sigma if self.family == "gaussian" else 1.0
        code, const = _threshold_constants(self.family, self.threshold, problem.delta, problem.n_arms)
        return _TTTSParams(_FAMILIES.index(self.family), float(sigma), code, const, self.beta, self.max_resamples)


# ---------------------------------------------------------------------------- LUCB and KL-LUCB


class _LUCBParams(NamedTuple):
    kl: bool
    family: int
    sigma: float
    log_factor: float
    alpha: float
    epsilon: float


@njit(cache=True)
def _lucb_init(params, n_arms):
    """``(counts and sums (2, K), [round r, arm h, arm l, samples left in the round])``."""
    return np.zeros((2, n_arms)), np.zeros(4)


@njit(cache=True)
def _lucb_bounds(params, stats, a, r):
    """``(L_a, U_a)`` at round ``r``."""
    n = stats[_N, a]
    mean = stats[_S, a] / n
    if params.kl:
        # KL-LUCB (Kaufmann & Kalyanakrishnan 2013): beta(r, delta) = log(k1 K r^alpha / delta), level beta / N_a
        level = (params.log_factor + params.alpha * math.log(r)) / n
        if params.family == 0:
            return kllcb_bernoulli(mean, level), klucb_bernoulli(mean, level)
        width = params.sigma * math.sqrt(2.0 * level)
        return mean - width, mean + width
    # LUCB1 (Kalyanakrishnan et al. 2012): beta(u, r) = sqrt(log(k1 K r^4 / delta) / (2u)), k1 = 5/4
    width = math.sqrt((params.log_factor + 4.0 * math.log(r)) / (2.0 * n))
    return mean - width, mean + width


@njit(cache=True)
def _lucb_round(params, stats, meta):
    """Start round ``meta[0]``: the empirical best ``h``, the challenger ``l = argmax_{j != h} U_j``; True to stop."""
    K = stats.shape[1]
    r = meta[0]
    h, _ = _empirical_best(stats)
    lo_h, _ = _lucb_bounds(params, stats, h, r)
    l = -1
    u_l = -np.inf
    for j in range(K):
        if j == h:
            continue
        _, u = _lucb_bounds(params, stats, j, r)
        if u > u_l:
            u_l = u
            l = j
    if u_l - lo_h < params.epsilon:
        return True
    meta[1] = h
    meta[2] = l
    meta[3] = 2.0
    return False


@njit(cache=True)
def _lucb_select(params, state, t, rng):
    stats, meta = state
    if t <= stats.shape[1]:
        return t - 1
    # the round's two samples: h first, then l
    return int(meta[1]) if meta[3] == 2.0 else int(meta[2])


@njit(cache=True)
def _lucb_update(params, state, t, arm, reward, rng):
    stats, meta = state
    _record(stats, arm, reward)
    if t > stats.shape[1]:
        meta[3] -= 1.0


@njit(cache=True)
def _lucb_stop(params, state, t):
    stats, meta = state
    K = stats.shape[1]
    if t < K:
        return False
    if t == K:
        meta[0] = 1.0  # round 1: every arm sampled once
        return _lucb_round(params, stats, meta)
    if meta[3] > 0.0:
        return False  # in the middle of a round
    meta[0] += 1.0
    return _lucb_round(params, stats, meta)


@njit(cache=True)
def _lucb_recommend(params, state):
    best, _ = _empirical_best(state[0])
    return best


def _lucb_check(agent, problem):
    problem = _fixed_confidence(problem, agent.name)
    return problem


@dataclass(frozen=True)
class LUCB(IdentificationAgent):
    r"""LUCB1 of Kalyanakrishnan, Tewari, Auer & Stone (2012), for rewards in [0, 1], with ``m = 1``.

    *PAC subset selection in stochastic multi-armed bandits*, ICML, Sec. 3 and Theorem 1: at round
    :math:`r` (round 1 is the initial sampling of every arm) let :math:`h` be the empirical best arm and
    :math:`l = \arg\max_{j \ne h} U_j(r)`, with
    :math:`U, L = \hat\mu \pm \beta(N, r)`, :math:`\beta(u, r) = \sqrt{\log(k_1 K r^4/\delta)/(2u)}`,
    :math:`k_1 = 5/4`; stop when :math:`U_l(r) - L_h(r) < \varepsilon` and recommend :math:`h`; otherwise
    sample :math:`h` then :math:`l`. With :math:`\varepsilon = 0` (exact best arm, the default) LUCB1 is
    :math:`\delta`-correct (the confidence bounds hold for all arms and rounds with probability
    :math:`1 - \delta`, Lemma 2 of the paper). The stopping time counts samples (two per round).

    Examples
    --------
    >>> from rltheory.bandits import LUCB, BernoulliBandit, IdentificationProblem
    >>> from rltheory.simulation import simulate
    >>> res = simulate(IdentificationProblem(BernoulliBandit([0.9, 0.4, 0.2]), 0.05), LUCB(), n_rounds=10**5,
    ...                n_runs=10, seed=0)
    >>> res.n_errors, bool((res.stopping_times % 2 == 1).all())  # K = 3 initial samples, then pairs
    (0, True)
    """

    epsilon: float = 0.0

    name: ClassVar[str] = "LUCB"
    Params: ClassVar = _LUCBParams
    init: ClassVar = staticmethod(_lucb_init)
    select: ClassVar = staticmethod(_lucb_select)
    update: ClassVar = staticmethod(_lucb_update)
    stop: ClassVar = staticmethod(_lucb_stop)
    recommend: ClassVar = staticmethod(_lucb_recommend)

    def __post_init__(self):
        object.__setattr__(self, "epsilon", check_real("epsilon", self.epsilon, low=0.0))

    def compiled_params(self, problem, budget):
        problem = _lucb_check(self, problem)
        _family_of(problem.bandit, "bernoulli", self.name)
        return _LUCBParams(False, 0, 1.0, math.log(1.25 * problem.n_arms / problem.delta), 4.0, self.epsilon)


@dataclass(frozen=True)
class KLLUCB(IdentificationAgent):
    r"""KL-LUCB of Kaufmann & Kalyanakrishnan (2013), with ``m = 1``.

    *Information complexity in bandit subset selection*, COLT, Sec. 2-3: LUCB with KL confidence bounds
    :math:`U_a = \max\{q \ge \hat\mu_a: N_a d(\hat\mu_a, q) \le \beta(r, \delta)\}` and
    :math:`L_a = \min\{q \le \hat\mu_a: N_a d(\hat\mu_a, q) \le \beta(r, \delta)\}`
    (:func:`~rltheory.bandits.klucb_bernoulli`, :func:`~rltheory.bandits.kllcb_bernoulli`; Gaussian:
    :math:`\hat\mu \pm \sigma\sqrt{2\beta/N}`), exploration rate :math:`\beta(r, \delta) = \log(k_1 K r^\alpha/\delta)`,
    :math:`r` the round. It is :math:`\delta`-correct for :math:`\alpha > 1` and
    :math:`k_1 > 1 + 1/(\alpha - 1)` (the paper's Theorem 2); the defaults :math:`\alpha = 1.1`,
    :math:`k_1 = 405.5` are those of its sample-complexity bound (Theorem 3:
    :math:`k_1 > 2e + 1 + e/(\alpha-1) + (e+1)/(\alpha-1)^2`).

    Examples
    --------
    >>> from rltheory.bandits import KLLUCB, BernoulliBandit, IdentificationProblem
    >>> from rltheory.simulation import simulate
    >>> res = simulate(IdentificationProblem(BernoulliBandit([0.9, 0.4, 0.2]), 0.05), KLLUCB(), n_rounds=10**5,
    ...                n_runs=10, seed=0)
    >>> res.n_errors
    0
    """

    alpha: float = 1.1
    k1: float = 405.5
    family: str = "bernoulli"
    sigma: float = 1.0
    epsilon: float = 0.0

    name: ClassVar[str] = "KLLUCB"
    Params: ClassVar = _LUCBParams
    init: ClassVar = staticmethod(_lucb_init)
    select: ClassVar = staticmethod(_lucb_select)
    update: ClassVar = staticmethod(_lucb_update)
    stop: ClassVar = staticmethod(_lucb_stop)
    recommend: ClassVar = staticmethod(_lucb_recommend)

    def __post_init__(self):
        object.__setattr__(self, "alpha", check_real("alpha", self.alpha, low=1.0, low_open=True))
        k1 = check_real("k1", self.k1, low=1.0 + 1.0 / (self.alpha - 1.0), low_open=True)
        object.__setattr__(self, "k1", k1)
        check_choice("family", self.family, _FAMILIES)
        object.__setattr__(self, "sigma", check_real("sigma", self.sigma, low=0.0, low_open=True))
        object.__setattr__(self, "epsilon", check_real("epsilon", self.epsilon, low=0.0))

    def compiled_params(self, problem, budget):
        problem = _lucb_check(self, problem)
        _family_of(problem.bandit, self.family, self.name)
        sigma = problem.bandit.sigma if self.family == "gaussian" else 1.0
        return _LUCBParams(
            True,
            _FAMILIES.index(self.family),
            float(sigma),
            math.log(self.k1 * problem.n_arms / problem.delta),
            self.alpha,
            self.epsilon,
        )


# ---------------------------------------------------------------------------- lil'UCB


class _LilParams(NamedTuple):
    epsilon: float
    beta: float
    lam: float
    sigma: float
    delta: float


@njit(cache=True)
def _lil_select(params, state, t, rng):
    K = state.shape[1]
    if t <= K:
        return t - 1
    eps = params.epsilon
    best = 0
    bv = -np.inf
    for a in range(K):
        n = state[_N, a]
        # Jamieson et al. (2014), Alg. 1: mean + (1 + beta)(1 + sqrt eps) sqrt(2 sigma^2 (1 + eps) log(log((1 + eps) n)
        # / delta) / n)
        bonus = (
            (1.0 + params.beta)
            * (1.0 + math.sqrt(eps))
            * math.sqrt(2.0 * params.sigma**2 * (1.0 + eps) * math.log(math.log((1.0 + eps) * n) / params.delta) / n)
        )
        v = state[_S, a] / n + bonus
        if v > bv:
            bv = v
            best = a
    return best


@njit(cache=True)
def _lil_stop(params, state, t):
    K = state.shape[1]
    if t < K:
        return False
    for a in range(K):
        if state[_N, a] >= 1.0 + params.lam * (t - state[_N, a]):
            return True
    return False


@njit(cache=True)
def _lil_recommend(params, state):
    best = 0
    for a in range(1, state.shape[1]):
        if state[_N, a] > state[_N, best]:
            best = a
    return best


@dataclass(frozen=True)
class LilUCB(IdentificationAgent):
    r"""lil'UCB of Jamieson, Malloy, Nowak & Bubeck (2014), Algorithm 1.

    *lil' UCB: an optimal exploration algorithm for multi-armed bandits*, COLT: after one pull of each
    arm, sample

    .. math:: \arg\max_a\ \hat\mu_a + (1 + \beta)(1 + \sqrt\varepsilon)
       \sqrt{\frac{2\sigma^2(1 + \varepsilon)\log\big(\log((1 + \varepsilon)N_a)/\delta\big)}{N_a}}

    until some arm has :math:`N_i \ge 1 + \lambda\sum_{j \ne i} N_j`, and recommend the most sampled arm.
    The :math:`\delta` of the index is the problem's ``delta`` (the paper's :math:`\delta`, which must
    lie in :math:`(0, \log(1 + \varepsilon)/e)`); the paper's guarantee (its Theorem 2, for
    :math:`\lambda` large enough, e.g. :math:`\lambda \ge ((2+\beta)/\beta)^2` as in its analysis) bounds
    the error probability by a multiple of :math:`c_\varepsilon\delta`,
    :math:`c_\varepsilon = \frac{2+\varepsilon}{\varepsilon}\big(\frac{1}{\log(1+\varepsilon)}\big)^{1+\varepsilon}`,
    not by :math:`\delta` itself: the measured error frequency is in the result. :math:`\sigma = 1/2` is
    the sub-Gaussian scale of rewards in [0, 1].

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, IdentificationProblem, LilUCB
    >>> from rltheory.simulation import simulate
    >>> res = simulate(IdentificationProblem(BernoulliBandit([0.9, 0.3]), 0.001), LilUCB(), n_rounds=10**5,
    ...                n_runs=5, seed=0)
    >>> res.n_errors, res.recommendations.tolist()
    (0, [0, 0, 0, 0, 0])
    """

    epsilon: float = 0.01
    beta: float = 1.0
    lam: float = 9.0
    sigma: float = 0.5

    name: ClassVar[str] = "LilUCB"
    Params: ClassVar = _LilParams
    init: ClassVar = staticmethod(_two_rows_init)
    select: ClassVar = staticmethod(_lil_select)
    update: ClassVar = staticmethod(_record_update)
    stop: ClassVar = staticmethod(_lil_stop)
    recommend: ClassVar = staticmethod(_lil_recommend)

    def __post_init__(self):
        object.__setattr__(
            self, "epsilon", check_real("epsilon", self.epsilon, low=0.0, high=1.0, low_open=True, high_open=True)
        )
        object.__setattr__(self, "beta", check_real("beta", self.beta, low=0.0, low_open=True))
        object.__setattr__(self, "lam", check_real("lam", self.lam, low=0.0, low_open=True))
        object.__setattr__(self, "sigma", check_real("sigma", self.sigma, low=0.0, low_open=True))

    def compiled_params(self, problem, budget):
        problem = _fixed_confidence(problem, self.name)
        limit = math.log1p(self.epsilon) / math.e
        if not problem.delta < limit:
            raise ValueError(
                f"LilUCB(epsilon={self.epsilon}) needs delta < log(1 + epsilon) / e = {limit:.4g} (Jamieson et al. "
                f"2014, Alg. 1), got delta = {problem.delta}; take a larger epsilon or a smaller delta"
            )
        return _LilParams(self.epsilon, self.beta, self.lam, self.sigma, problem.delta)
