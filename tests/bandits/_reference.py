"""Plain-Python reference implementations of the bandit policies (paper pseudo-code).

Each reference consumes the same random stream as the compiled policy (a
``PyXoshiro`` twin of the run's policy stream) and the harness draws rewards
from per-arm twins of the reward streams, so on a short horizon the arm
sequences must coincide exactly.
"""

import math

import numpy as np
from scipy import optimize, stats

from rltheory.bandits import BernoulliBandit, BoundedBandit, GaussianBandit, SequenceBandit
from rltheory.simulation import PyXoshiro, run_states


def kl_bern(p, q):
    eps = 1e-15
    p = min(max(p, eps), 1 - eps)
    q = min(max(q, eps), 1 - eps)
    return p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))


class _Means:
    def __init__(self, K):
        self.K = K
        self.n = [0] * K
        self.s = [0.0] * K

    def unplayed(self):
        for a in range(self.K):
            if self.n[a] == 0:
                return a
        return -1

    def update(self, t, a, x, rng):
        self.n[a] += 1
        self.s[a] += x


def _argmax(values):
    best, bv = 0, -math.inf
    for i, v in enumerate(values):
        if v > bv:
            best, bv = i, v
    return best


class RefEpsilonGreedy(_Means):
    def __init__(self, K, T, epsilon=0.1, schedule="constant", c=5.0, d=0.1):
        super().__init__(K)
        self.eps, self.decay, self.c, self.d = epsilon, schedule == "decaying", c, d

    def select(self, t, rng):
        a = self.unplayed()
        if a >= 0:
            return a
        eps = min(1.0, self.c * self.K / (self.d**2 * t)) if self.decay else self.eps
        if rng.uniform() < eps:
            return rng.integers(self.K)
        return _argmax([self.s[i] / self.n[i] for i in range(self.K)])


class RefETC(_Means):
    def __init__(self, K, T, m=10):
        super().__init__(K)
        self.m, self.arm = m, None

    def select(self, t, rng):
        if t <= self.m * self.K:
            return (t - 1) % self.K
        if self.arm is None:
            self.arm = _argmax([self.s[i] / self.n[i] for i in range(self.K)])
        return self.arm


class RefUCB1(_Means):
    def __init__(self, K, T, alpha=2.0):
        super().__init__(K)
        self.alpha = alpha

    def select(self, t, rng):
        a = self.unplayed()
        if a >= 0:
            return a
        n = t - 1  # plays so far (Auer et al. 2002, Fig. 1)
        return _argmax([self.s[j] / self.n[j] + math.sqrt(self.alpha * math.log(n) / self.n[j]) for j in range(self.K)])


class RefUCBV(_Means):
    def __init__(self, K, T, zeta=1.2, c=1.0, b=1.0):
        super().__init__(K)
        self.zeta, self.c, self.b = zeta, c, b
        self.ss = [0.0] * K

    def update(self, t, a, x, rng):
        super().update(t, a, x, rng)
        self.ss[a] += x * x

    def select(self, t, rng):
        a = self.unplayed()
        if a >= 0:
            return a
        e = self.zeta * math.log(t)
        vals = []
        for k in range(self.K):
            s = self.n[k]
            m = self.s[k] / s
            var = max(self.ss[k] / s - m * m, 0.0)
            vals.append(m + math.sqrt(2 * var * e / s) + 3 * self.c * self.b * e / s)
        return _argmax(vals)


class RefMOSS(_Means):
    def __init__(self, K, T):
        super().__init__(K)
        self.T = T

    def select(self, t, rng):
        a = self.unplayed()
        if a >= 0:
            return a
        return _argmax(
            [
                self.s[i] / self.n[i] + math.sqrt(max(math.log(self.T / (self.K * self.n[i])), 0) / self.n[i])
                for i in range(self.K)
            ]
        )


def klucb_index_ref(p, level):
    if level <= 0:
        return p
    if p >= 1:
        return 1.0
    f = lambda q: kl_bern(p, q) - level  # noqa: E731
    if f(1 - 1e-15) <= 0:
        return 1.0
    return optimize.brentq(f, p, 1 - 1e-15, xtol=1e-15, rtol=1e-15)


class RefKLUCB(_Means):
    plus = False

    def __init__(self, K, T, c=0.0, family="bernoulli", sigma=1.0):
        super().__init__(K)
        self.c, self.family, self.sigma = c, family, sigma

    def select(self, t, rng):
        a = self.unplayed()
        if a >= 0:
            return a
        vals = []
        for i in range(self.K):
            n = self.n[i]
            m = self.s[i] / n
            r = math.log(t / n) if self.plus else math.log(t)
            delta = r + self.c * math.log(r) if r > 1 else max(r, 0.0)
            if self.family == "gaussian":
                vals.append(m + self.sigma * math.sqrt(2 * delta / n))
            else:
                vals.append(klucb_index_ref(m, delta / n))
        return _argmax(vals)


class RefKLUCBPlus(RefKLUCB):
    plus = True


class RefThompson(_Means):
    def __init__(self, K, T, prior="beta", sigma=1.0):
        super().__init__(K)
        self.prior, self.sigma = prior, sigma

    def update(self, t, a, x, rng):
        if self.prior == "beta" and x not in (0.0, 1.0):
            x = 1.0 if rng.uniform() < x else 0.0  # Agrawal & Goyal (2012) binarisation
        super().update(t, a, x, rng)

    def select(self, t, rng):
        vals = []
        for i in range(self.K):
            n, s = self.n[i], self.s[i]
            if self.prior == "beta":
                vals.append(rng.beta(s + 1.0, n - s + 1.0))
            else:
                vals.append(s / (n + 1.0) + self.sigma / math.sqrt(n + 1.0) * rng.normal())
        return _argmax(vals)


class RefBayesUCB(_Means):
    def __init__(self, K, T, c=0.0, prior="beta", sigma=1.0):
        super().__init__(K)
        self.c, self.prior, self.sigma, self.T = c, prior, sigma, max(T, 3)

    def select(self, t, rng):
        if self.prior != "beta":
            a = self.unplayed()
            if a >= 0:
                return a
        level = 1 - 1 / (t * math.log(self.T) ** self.c)
        if self.prior == "beta":
            return _argmax([stats.beta.ppf(level, s + 1, n - s + 1) for n, s in zip(self.n, self.s)])
        z = stats.norm.ppf(level)
        return _argmax([s / n + self.sigma / math.sqrt(n) * z for n, s in zip(self.n, self.s)])


class RefIMED(_Means):
    def __init__(self, K, T, family="bernoulli", sigma=1.0):
        super().__init__(K)
        self.family, self.sigma = family, sigma

    def select(self, t, rng):
        a = self.unplayed()
        if a >= 0:
            return a
        means = [self.s[i] / self.n[i] for i in range(self.K)]
        ms = max(means)
        vals = []
        for i in range(self.K):
            if means[i] >= ms:
                d = 0.0
            elif self.family == "gaussian":
                d = (means[i] - ms) ** 2 / (2 * self.sigma**2)
            else:
                d = kl_bern(means[i], ms)
            vals.append(-(self.n[i] * d + math.log(self.n[i])))
        return _argmax(vals)


def _draw(p, u):
    acc = 0.0
    for i, pi in enumerate(p):
        acc += pi
        if u < acc:
            return i
    return max(i for i, pi in enumerate(p) if pi > 0)


class RefEXP3:
    def __init__(self, K, T, gamma=None):
        self.K = K
        self.gamma = gamma if gamma is not None else min(1.0, math.sqrt(K * math.log(K) / ((math.e - 1) * T)))
        self.w = [1.0] * K

    def select(self, t, rng):
        tot = sum(self.w)
        self.p = [(1 - self.gamma) * w / tot + self.gamma / self.K for w in self.w]
        return _draw(self.p, rng.uniform())

    def update(self, t, a, x, rng):
        self.w[a] *= math.exp(self.gamma * (x / self.p[a]) / self.K)


class RefEXP3IX:
    def __init__(self, K, T, eta=None, gamma=None):
        self.K = K
        self.eta = eta if eta is not None else math.sqrt(2 * math.log(K) / (K * T))
        self.gamma = gamma if gamma is not None else self.eta / 2
        self.L = [0.0] * K

    def select(self, t, rng):
        m = min(self.L)
        w = [math.exp(-self.eta * (l - m)) for l in self.L]
        self.p = [x / sum(w) for x in w]
        return _draw(self.p, rng.uniform())

    def update(self, t, a, x, rng):
        self.L[a] += (1 - x) / (self.p[a] + self.gamma)


class RefTsallis:
    def __init__(self, K, T):
        self.K = K
        self.L = [0.0] * K

    def select(self, t, rng):
        eta = 2 / math.sqrt(t)
        f = lambda x: sum(4 / (eta * (l - x)) ** 2 for l in self.L) - 1  # noqa: E731
        lo = min(self.L) - 2 * math.sqrt(self.K) / eta  # here every weight <= 1/K: sum <= 1
        hi = min(self.L) - 2 / eta  # here sum >= 1
        if f(hi) <= 0:
            x = hi
        elif f(lo) >= 0:
            x = lo
        else:
            x = optimize.brentq(f, lo, hi, xtol=1e-15)
        w = [4 / (eta * (l - x)) ** 2 for l in self.L]
        self.p = [v / sum(w) for v in w]
        return _draw(self.p, rng.uniform())

    def update(self, t, a, x, rng):
        self.L[a] += (1 - x) / self.p[a]


REFERENCES = {
    "EpsilonGreedy": RefEpsilonGreedy,
    "ExploreThenCommit": RefETC,
    "UCB1": RefUCB1,
    "UCBV": RefUCBV,
    "MOSS": RefMOSS,
    "KLUCB": RefKLUCB,
    "KLUCBPlus": RefKLUCBPlus,
    "ThompsonSampling": RefThompson,
    "BayesUCB": RefBayesUCB,
    "IMED": RefIMED,
    "EXP3": RefEXP3,
    "EXP3IX": RefEXP3IX,
    "TsallisINF": RefTsallis,
}


def reference_arms(bandit, policy, horizon, seed, run):
    """Arm sequence of run ``run`` of the plain-Python reference of ``policy``."""
    K = bandit.n_arms
    states = run_states(seed, np.array([run]), K + 1)[0]
    env = [PyXoshiro(states[k]) for k in range(K)]
    rng = PyXoshiro(states[K])
    ref = REFERENCES[policy.name](K, horizon, **policy.params())
    arms = []
    for t in range(1, horizon + 1):
        a = ref.select(t, rng)
        if isinstance(bandit, BernoulliBandit):
            x = 1.0 if env[a].uniform() < bandit.means[a] else 0.0
        elif isinstance(bandit, GaussianBandit):
            x = bandit.means[a] + bandit.sigma * env[a].normal()
        elif isinstance(bandit, BoundedBandit):
            x = env[a].beta(bandit.alpha[a], bandit.beta[a])
        elif isinstance(bandit, SequenceBandit):
            x = bandit.rewards[t - 1, a]
        ref.update(t, a, x, rng)
        arms.append(a)
    return np.array(arms)
