"""Plain-Python references of the non-stationary bandit agents and of the dynamic-regret driver.

Each reference follows the paper's pseudo-code in plain Python (lists, ``math``), replaying the run's
streams through ``PyXoshiro`` twins (one per arm for the rewards, one for the agent, as the driver does),
so the arm sequences and the dynamic regret must coincide exactly with the compiled agents'. The GLR test
calls the package's compiled ``bernoulli_kl`` and kl-UCB index (tested on their own in ``test_kl.py``) so
that the comparison of the statistic with the threshold sees the same floating-point numbers.
"""

import math

import numpy as np

from rltheory.bandits import bernoulli_kl, klucb_bernoulli
from rltheory.simulation import PyXoshiro, run_states


def _argmax(values):
    best, bv = 0, -math.inf
    for i, v in enumerate(values):
        if v > bv:
            best, bv = i, v
    return best


def _unplayed(n):
    for a, c in enumerate(n):
        if c == 0:
            return a
    return -1


class RefSW:
    """Garivier & Moulines (2011), SW-UCB: the window is the explicit list of the last tau (arm, reward) pairs."""

    def __init__(self, K, p):
        self.K, self.tau, self.xi, self.B = K, p.tau, p.xi, p.B
        self.hist = []
        self.s, self.n = [0.0] * K, [0] * K

    def select(self, t):
        n = [0.0] * self.K
        for a, _ in self.hist:
            n[a] += 1.0
        a = _unplayed(n)
        if a >= 0:
            return a
        # running window sums in the order the compiled agent keeps them (add on entry, subtract on exit)
        lg = math.log(min(t - 1, self.tau))
        return _argmax([self.s[i] / n[i] + self.B * math.sqrt(self.xi * lg / n[i]) for i in range(self.K)])

    def update(self, t, a, x):
        if len(self.hist) == self.tau:
            old, xo = self.hist.pop(0)
            self.n[old] -= 1
            self.s[old] = 0.0 if self.n[old] == 0 else self.s[old] - xo
        self.hist.append((a, x))
        self.n[a] += 1
        self.s[a] += x


class RefD:
    """Garivier & Moulines (2011), D-UCB."""

    def __init__(self, K, p):
        self.K, self.g, self.xi, self.B = K, p.gamma, p.xi, p.B
        self.N, self.S = [0.0] * K, [0.0] * K

    def select(self, t):
        a = _unplayed(self.N)
        if a >= 0:
            return a
        lg = math.log(sum(self.N))
        return _argmax(
            [self.S[i] / self.N[i] + 2 * self.B * math.sqrt(self.xi * lg / self.N[i]) for i in range(self.K)]
        )

    def update(self, t, a, x):
        self.N = [self.g * v for v in self.N]
        self.S = [self.g * v for v in self.S]
        self.N[a] += 1.0
        self.S[a] += x


class _Restarting:
    """Shared parts of M-UCB and GLR-klUCB: the samples of every arm since the last global restart tau."""

    def __init__(self, K, explore):
        self.K, self.explore, self.tau = K, explore, 0
        self.samples = [[] for _ in range(K)]

    def forced(self, t):
        if self.explore > 0:
            j = (t - self.tau) % self.explore
            if 1 <= j <= self.K:
                return j - 1
        return -1

    def restart(self, t):
        self.tau = t
        self.samples = [[] for _ in range(self.K)]


class RefM(_Restarting):
    """Cao, Wen, Kveton & Xie (2019), M-UCB (Algorithm 1)."""

    def __init__(self, K, p):
        super().__init__(K, p.explore)
        self.w, self.b = p.w, p.b

    def select(self, t):
        a = self.forced(t)
        if a >= 0:
            return a
        n = [len(z) for z in self.samples]
        a = _unplayed(n)
        if a >= 0:
            return a
        lg = math.log(t - self.tau)
        return _argmax([sum(self.samples[i]) / n[i] + math.sqrt(2 * lg / n[i]) for i in range(self.K)])

    def update(self, t, a, x):
        self.samples[a].append(x)
        z = self.samples[a]
        if len(z) >= self.w:
            y = z[-self.w :]
            first = 0.0
            for v in y[: self.w // 2]:
                first += v
            second = 0.0
            for v in y[self.w // 2 :]:
                second += v
            if abs(second - first) > self.b:
                self.restart(t)


class RefGLR(_Restarting):
    """Besson, Kaufmann, Maillard & Seznec (2022), GLR-klUCB with global restarts."""

    def __init__(self, K, p):
        super().__init__(K, p.explore)
        self.p = p

    def select(self, t):
        a = self.forced(t)
        if a >= 0:
            return a
        n = [len(z) for z in self.samples]
        a = _unplayed(n)
        if a >= 0:
            return a
        lg = math.log(t - self.tau)
        return _argmax([klucb_bernoulli(self._sum(self.samples[i]) / n[i], lg / n[i]) for i in range(self.K)])

    @staticmethod
    def _sum(z):
        s = 0.0
        for v in z:
            s += v
        return s

    def update(self, t, a, x):
        z = self.samples[a]
        z.append(x)
        n = len(z)
        if n < 2 or n % self.p.check_every:
            return
        beta = math.log(3.0) + 1.5 * math.log(n) + self.p.log_inv_delta
        cum = [0.0]
        for v in z:
            cum.append(cum[-1] + v)
        mu = cum[n] / n
        for s in range(self.p.split_every, n, self.p.split_every):
            m1, m2 = cum[s] / s, (cum[n] - cum[s]) / (n - s)
            if s * bernoulli_kl(m1, mu) + (n - s) * bernoulli_kl(m2, mu) >= beta:
                self.restart(t)
                return


REFERENCES = {"SlidingWindowUCB": RefSW, "DiscountedUCB": RefD, "MUCB": RefM, "GLRklUCB": RefGLR}


def reference_run(bandit, agent, horizon, seed, run):
    """Arms and dynamic regret (per round, cumulated) of run ``run`` of the reference of ``agent``.

    ``agent`` may be any agent whose name is in :data:`REFERENCES`; the driver's reward model is replayed:
    the n-th pull of arm a uses the n-th draw of a's stream, thresholded at (Bernoulli) or shifted by (Gaussian)
    the mean of the round it is pulled in.
    """
    K = bandit.n_arms
    states = run_states(seed, np.array([run]), K + 1)[0]
    env = [PyXoshiro(states[k]) for k in range(K)]
    ref = REFERENCES[agent.name](K, agent.compiled_params(bandit, horizon))
    means = bandit.means_at(np.arange(1, horizon + 1))
    arms, regret, total = [], [], 0.0
    for t in range(1, horizon + 1):
        a = ref.select(t)
        mu = means[t - 1]
        if bandit.family == "bernoulli":
            x = 1.0 if env[a].uniform() < mu[a] else 0.0
        else:
            x = mu[a] + bandit.sigma * env[a].normal()
        total += max(mu) - mu[a]
        ref.update(t, a, x)
        arms.append(a)
        regret.append(total)
    return np.array(arms), np.array(regret)
