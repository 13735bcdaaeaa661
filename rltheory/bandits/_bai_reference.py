r"""Plain-Python references of the identification strategies (paper pseudo-code, NumPy/SciPy), for parity and
benchmarks.

Each reference consumes the same random streams as the compiled agent: ``PyXoshiro`` twins of the run's
per-arm reward streams and of its agent stream (:func:`reference_runs`), so on the same seed the
compiled runs and these must make identical sampling, stopping and recommendation decisions. The
optimal weights of Track-and-Stop are recomputed at every step by SciPy root finding
(:func:`scipy_optimal_weights`: ``brentq`` for every :math:`x_a(y)` nested in ``brentq`` for
:math:`F_\mu(y) = 1`, Garivier & Kaufmann 2016, Thm 5), independently of the compiled solver. Not part
of the public API; slow by design.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from ..simulation import PyXoshiro, run_states
from ._bai_agents import KLLUCB, LUCB, LilUCB, TopTwoThompson, TrackAndStop, glr_threshold
from ._fixed_budget import SequentialHalving, SuccessiveRejects
from ._identification import FixedBudgetProblem
from ._instances import BernoulliBandit, GaussianBandit

__all__ = ["reference_runs", "scipy_optimal_weights"]


def _h(u):
    """u - log(1 + u) >= 0, without cancellation for small |u| (series to u^6)."""
    if abs(u) < 1e-3:
        return u * u * (0.5 - u * (1 / 3 - u * (0.25 - u * (0.2 - u / 6))))
    return u - math.log1p(u)


def _kl(family, sigma, p, q):
    """kl(p, q); the Bernoulli one as p h((q-p)/p) + (1-p) h((p-q)/(1-p)): two non-negative terms, accurate when
    q is close to p (the naive p log(p/q) + (1-p) log((1-p)/(1-q)) cancels)."""
    if family == "gaussian":
        return (p - q) ** 2 / (2 * sigma**2)
    if p == q:
        return 0.0
    if q <= 0 or q >= 1:
        return math.inf
    out = 0.0
    if p > 0:
        out += p * _h((q - p) / p)
    else:
        out += q  # p = 0: the first term is p log(p/q) = 0, and -(1 - p) log1p(...) carries -log(1 - q) below
    if p < 1:
        out += (1 - p) * _h((p - q) / (1 - p))
    else:
        out += 1 - q
    return out if 0 < p < 1 else (-math.log1p(-q) if p == 0 else -math.log(q))


def scipy_optimal_weights(means, family="bernoulli", sigma=1.0, xtol=1e-14):
    """w*(means) by nested ``scipy.optimize.brentq`` (uniform over the maximisers when they are tied)."""
    mu = np.asarray(means, dtype=float)
    K = mu.size
    top = np.flatnonzero(mu == mu.max())
    if top.size > 1:
        w = np.zeros(K)
        w[top] = 1.0 / top.size
        return w
    best = int(top[0])
    m1 = mu[best]
    others = [a for a in range(K) if a != best]

    def mix(ma, x):
        return ma + (m1 - ma) / (1 + x)

    def x_of(y, ma):
        def g(x):
            if x == 0.0:  # m = m1: kl(m1, m1) = 0, and 0 * kl(ma, m1) = 0 even when kl(ma, m1) is infinite (m1 = 1)
                return -y
            m = mix(ma, x)
            return _kl(family, sigma, m1, m) + x * _kl(family, sigma, ma, m) - y

        hi = 1.0
        while g(hi) < 0:
            hi *= 2
            if hi > 1e300:
                raise RuntimeError(
                    f"x_a(y) not bracketed: y = {y!r} is not below kl(m1, ma) = {_kl(family, sigma, m1, ma)!r}"
                )
        return optimize.brentq(g, 0.0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)

    def F(y):
        total = 0.0
        for a in others:
            x = x_of(y, mu[a])
            m = mix(mu[a], x)
            total += _kl(family, sigma, m1, m) / _kl(family, sigma, mu[a], m)
        return total - 1

    ymax = min(_kl(family, sigma, m1, mu[a]) for a in others)
    if math.isinf(ymax):
        ymax = 1.0
        while F(ymax) < 0:
            ymax *= 2
        hi = ymax
    else:
        # F -> inf at ymax: approach it geometrically (F(y) < 0 for small y)
        k = 1
        hi = 0.5 * ymax
        while F(hi) < 0:
            k += 1
            if k > 52:
                raise RuntimeError(f"F(y) = 1 not bracketed below ymax = {ymax!r} for means {mu.tolist()}")
            hi = ymax * (1 - 2.0**-k)
    y = optimize.brentq(F, 1e-300, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    x = np.ones(K)
    for a in others:
        x[a] = x_of(y, mu[a])
    return x / x.sum()


class _Counts:
    def __init__(self, K):
        self.K = K
        self.n = np.zeros(K)
        self.s = np.zeros(K)

    def update(self, t, a, x, rng):
        self.n[a] += 1
        self.s[a] += x

    def means(self):
        return self.s / self.n

    def best(self):
        mu = self.means()
        b = int(np.argmax(mu))
        return b, int((mu == mu[b]).sum()) == 1

    def recommend(self):
        return self.best()[0]


class _GLR(_Counts):
    def __init__(self, K, problem, family, sigma, threshold):
        super().__init__(K)
        self.family, self.sigma = family, sigma
        self.delta, self.threshold = problem.delta, threshold

    def z(self):
        b, unique = self.best()
        if not unique:
            return 0.0
        mu = self.means()
        out = math.inf
        for a in range(self.K):
            if a != b:
                m = (self.s[b] + self.s[a]) / (self.n[b] + self.n[a])
                out = min(
                    out,
                    self.n[b] * _kl(self.family, self.sigma, mu[b], m)
                    + self.n[a] * _kl(self.family, self.sigma, mu[a], m),
                )
        return out

    def stop(self, t):
        if t < self.K:
            return False
        beta = glr_threshold(max(t, 2), self.delta, self.K, family=self.family, threshold=self.threshold)
        return self.z() > beta


class RefTrackAndStop(_GLR):
    def __init__(self, K, problem, agent):
        sigma = problem.bandit.sigma if agent.family == "gaussian" else 1.0
        super().__init__(K, problem, agent.family, sigma, agent.threshold)
        self.c = agent.tracking == "C"
        self.cum = np.zeros(K)

    def weights(self):
        return scipy_optimal_weights(self.means(), self.family, self.sigma)

    def select(self, t, rng):
        K = self.K
        if t <= K:
            if t == K and self.c:
                self.cum[:] = 1.0
            return t - 1
        n = t - 1
        if self.c:
            eps = 0.5 / math.sqrt(K * K + n)
            self.cum += _linf_projection(self.weights(), eps)
            return int(np.argmax(self.cum - self.n))
        under = np.flatnonzero(self.n < math.sqrt(n) - K / 2)
        if under.size:
            return int(under[np.argmin(self.n[under])])
        return int(np.argmax(n * self.weights() - self.n))


def _linf_projection(w, eps):
    """Water-filling: raise the arms below eps to it, lower the others by min(eta, w - eps) (eta exact, by sorting)."""
    w = np.asarray(w, float)
    deficit = np.maximum(eps - w, 0).sum()
    if deficit <= 0:
        return w.copy()
    room = np.sort(np.maximum(w - eps, 0))  # removed(eta) = sum_a min(eta, room_a), piecewise linear in eta
    n = room.size
    below = 0.0
    eta = room[-1]
    for i in range(n):
        if below + room[i] * (n - i) >= deficit:
            eta = (deficit - below) / (n - i)
            break
        below += room[i]
    out = np.where(w <= eps, eps, w - np.minimum(eta, w - eps))
    return out / out.sum()


class RefTopTwoThompson(_GLR):
    def __init__(self, K, problem, agent):
        sigma = problem.bandit.sigma if agent.family == "gaussian" else 1.0
        super().__init__(K, problem, agent.family, sigma, agent.threshold)
        self.beta, self.max_resamples = agent.beta, agent.max_resamples

    def draw(self, rng):
        theta = np.empty(self.K)
        for a in range(self.K):
            if self.family == "bernoulli":
                theta[a] = rng.beta(1 + self.s[a], 1 + self.n[a] - self.s[a])
            else:
                theta[a] = self.s[a] / self.n[a] + self.sigma / math.sqrt(self.n[a]) * rng.normal()
        best, bv = 0, -math.inf
        for a in range(self.K):
            if theta[a] > bv:
                best, bv = a, theta[a]
        return best

    def select(self, t, rng):
        if t <= self.K:
            return t - 1
        leader = self.draw(rng)
        if rng.uniform() < self.beta:
            return leader
        for _ in range(self.max_resamples):
            j = self.draw(rng)
            if j != leader:
                return j
        mu = self.means()
        best, bv = -1, math.inf
        for b in range(self.K):
            if b == leader:
                continue
            w = 0.0
            if mu[leader] > mu[b]:
                m = (self.s[leader] + self.s[b]) / (self.n[leader] + self.n[b])
                w = self.n[leader] * _kl(self.family, self.sigma, mu[leader], m) + self.n[b] * _kl(
                    self.family, self.sigma, mu[b], m
                )
            if w < bv:
                best, bv = b, w
        return best


class RefLUCB(_Counts):
    """LUCB1 / KL-LUCB: rounds of two samples (h then l) after one sample of every arm."""

    def __init__(self, K, problem, agent):
        super().__init__(K)
        self.kl = isinstance(agent, KLLUCB)
        self.delta = problem.delta
        self.eps = agent.epsilon
        if self.kl:
            self.family = agent.family
            self.sigma = problem.bandit.sigma if agent.family == "gaussian" else 1.0
            self.k1, self.alpha = agent.k1, agent.alpha
        self.r = 0
        self.queue = []

    def bounds(self, a, r):
        mu = self.s[a] / self.n[a]
        if self.kl:
            level = math.log(self.k1 * self.K * r**self.alpha / self.delta) / self.n[a]
            if self.family == "gaussian":
                w = self.sigma * math.sqrt(2 * level)
                return mu - w, mu + w
            up = lambda q: _kl("bernoulli", 1.0, mu, q) - level  # noqa: E731
            hi = 1.0 if up(1.0) <= 0 else optimize.brentq(up, mu, 1.0, xtol=1e-15) if mu < 1 else 1.0
            lo = 0.0 if up(0.0) <= 0 else optimize.brentq(up, 0.0, mu, xtol=1e-15) if mu > 0 else 0.0
            return lo, hi
        w = math.sqrt(math.log(1.25 * self.K * r**4 / self.delta) / (2 * self.n[a]))
        return mu - w, mu + w

    def start_round(self):
        self.r += 1
        h = self.recommend()
        lo_h = self.bounds(h, self.r)[0]
        l, u_l = -1, -math.inf
        for j in range(self.K):
            if j != h:
                u = self.bounds(j, self.r)[1]
                if u > u_l:
                    l, u_l = j, u
        if u_l - lo_h < self.eps:
            return True
        self.queue = [h, l]
        return False

    def select(self, t, rng):
        if t <= self.K:
            return t - 1
        return self.queue.pop(0)

    def stop(self, t):
        if t < self.K or (t > self.K and self.queue):
            return False
        return self.start_round()


class RefLilUCB(_Counts):
    def __init__(self, K, problem, agent):
        super().__init__(K)
        self.agent, self.delta = agent, problem.delta

    def select(self, t, rng):
        if t <= self.K:
            return t - 1
        e, b, s2 = self.agent.epsilon, self.agent.beta, self.agent.sigma**2
        idx = [
            self.s[a] / self.n[a]
            + (1 + b)
            * (1 + math.sqrt(e))
            * math.sqrt(2 * s2 * (1 + e) * math.log(math.log((1 + e) * self.n[a]) / self.delta) / self.n[a])
            for a in range(self.K)
        ]
        return int(np.argmax(idx))

    def stop(self, t):
        return t >= self.K and any(self.n[a] >= 1 + self.agent.lam * (t - self.n[a]) for a in range(self.K))

    def recommend(self):
        return int(np.argmax(self.n))


class RefSuccessiveRejects(_Counts):
    def __init__(self, K, problem, agent):
        super().__init__(K)
        self.schedule = SuccessiveRejects.schedule(K, problem.budget)
        self.active = list(range(K))

    def advance(self):
        while len(self.active) > 1:
            k = self.K - len(self.active)  # phases closed so far
            if any(self.n[a] < self.schedule[k] for a in self.active):
                return False
            means = [self.s[a] / self.n[a] if self.n[a] else 0.0 for a in self.active]
            worst = max(i for i, v in enumerate(means) if v == min(means))  # ties: the highest index
            self.active.pop(worst)
        return True

    def select(self, t, rng):
        if self.advance():
            return self.active[0]
        k = self.K - len(self.active)
        return next(a for a in self.active if self.n[a] < self.schedule[k])

    def stop(self, t):
        return self.advance()

    def recommend(self):
        self.advance()
        return self.active[0]


class RefSequentialHalving(_Counts):
    def __init__(self, K, problem, agent):
        super().__init__(K)
        self.budget = problem.budget
        self.rounds = math.ceil(math.log2(K))
        self.active = list(range(K))
        self.r = 0

    def t_r(self):
        return self.budget // (len(self.active) * self.rounds)

    def advance(self):
        while self.r < self.rounds:
            if any(self.n[a] < self.t_r() for a in self.active):
                return False
            keep = (len(self.active) + 1) // 2
            ranked = sorted(self.active, key=lambda a: (-self.s[a] / self.n[a], a))
            self.active = sorted(ranked[:keep])
            self.n[:] = 0
            self.s[:] = 0
            self.r += 1
        return True

    def select(self, t, rng):
        if self.advance():
            return self.active[0]
        return next(a for a in self.active if self.n[a] < self.t_r())

    def stop(self, t):
        return self.advance()

    def recommend(self):
        self.advance()
        return self.active[0]


_REFERENCES = {
    TrackAndStop: RefTrackAndStop,
    TopTwoThompson: RefTopTwoThompson,
    LUCB: RefLUCB,
    KLLUCB: RefLUCB,
    LilUCB: RefLilUCB,
    SuccessiveRejects: RefSuccessiveRejects,
    SequentialHalving: RefSequentialHalving,
}


def reference_runs(problem, agent, n_rounds, n_runs, seed):
    """``(stopping_times, recommendations, pulls, arm_sequences)`` of the reference on the engine's streams."""
    bandit = problem.bandit
    K = bandit.n_arms
    fixed = problem.budget if isinstance(problem, FixedBudgetProblem) else 0
    cap = fixed or n_rounds
    states = run_states(seed, np.arange(n_runs), K + 1)
    taus, recs, pulls, seqs = [], [], [], []
    for r in range(n_runs):
        env = [PyXoshiro(states[r, a]) for a in range(K)]
        rng = PyXoshiro(states[r, K])
        ref = _REFERENCES[type(agent)](K, problem, agent)
        seq = []
        tau = cap
        for t in range(1, cap + 1):
            a = ref.select(t, rng)
            if isinstance(bandit, BernoulliBandit):
                x = 1.0 if env[a].uniform() < bandit.means[a] else 0.0
            elif isinstance(bandit, GaussianBandit):
                x = bandit.means[a] + bandit.sigma * env[a].normal()
            else:
                x = env[a].beta(bandit.alpha[a], bandit.beta[a])
            seq.append(a)
            ref.update(t, a, x, rng)
            if ref.stop(t):
                tau = t
                break
        taus.append(tau)
        recs.append(ref.recommend())
        pulls.append(np.bincount(seq, minlength=K))
        seqs.append(seq)
    return np.array(taus), np.array(recs), np.array(pulls), seqs
