"""Plain-Python transcriptions of the dueling-bandit algorithms' pseudo-code (the papers' line numbers).

Each reference consumes the same xoshiro256++ streams as the compiled agent (``PyXoshiro`` twins of
the run's streams: one per unordered pair for the duels, one for self-duels, one for the agent), so
the pair sequences must coincide exactly.
"""

import math

import numpy as np

from rltheory.bandits import bernoulli_kl, dueling_gaps, klucb_bernoulli
from rltheory.simulation import PyXoshiro, run_states


def _uniform_choice(rng, items):
    return items[rng.integers(len(items))]


class RefRUCB:
    """Zoghi et al. (2014), Algorithm 1."""

    def __init__(self, K, alpha=0.51):
        self.K, self.alpha = K, alpha
        self.W = np.zeros((K, K))
        self.B = None

    def u(self, i, j, t):
        if i == j:
            return 0.5
        n = self.W[i, j] + self.W[j, i]
        if n == 0:
            return 2.0
        return self.W[i, j] / n + math.sqrt(self.alpha * math.log(t) / n)

    def select(self, t, rng):
        K = self.K
        C = [c for c in range(K) if all(self.u(c, j, t) >= 0.5 for j in range(K))]
        if self.B is not None and self.B not in C:
            self.B = None
        if not C:
            c = rng.integers(K)
        elif len(C) == 1:
            c = C[0]
            self.B = c
        elif self.B is not None:
            if rng.uniform() < 0.5:
                c = self.B
            else:
                c = _uniform_choice(rng, [a for a in C if a != self.B])
        else:
            c = _uniform_choice(rng, C)
        others = [self.u(j, c, t) for j in range(K) if j != c]
        best = max(others)
        if best < 0.5:
            return c, c
        return c, _uniform_choice(rng, [j for j in range(K) if j != c and self.u(j, c, t) == best])

    def update(self, t, a, b, first_wins):
        if a != b:
            self.W[(a, b) if first_wins else (b, a)] += 1


class RefRMED:
    """Komiyama et al. (2015), Algorithms 1 and 2 (RMED1, L = 1)."""

    def __init__(self, K, f_scale=0.3, f_exponent=1.01):
        self.K, self.f = K, f_scale * K**f_exponent
        self.W = np.zeros((K, K))
        self.pairs = [(i, j) for i in range(K) for j in range(i + 1, K)]
        self.LC = self.LR = None
        self.LN = set()
        self.queue = []

    def mu(self, i, j):
        n = self.W[i, j] + self.W[j, i]
        return 0.5 if n == 0 else self.W[i, j] / n

    def divergences(self):
        K = self.K
        I = [
            sum(
                (self.W[i, j] + self.W[j, i]) * bernoulli_kl(self.mu(i, j), 0.5)
                for j in range(K)
                if j != i and self.mu(i, j) <= 0.5
            )
            for i in range(K)
        ]
        return I, int(np.argmin(I))

    def select(self, t, rng):
        if t <= len(self.pairs):
            return self.pairs[t - 1]
        if self.LC is None:
            self.LC, self.LR, self.LN = set(range(self.K)), set(range(self.K)), set()
            self.queue = sorted(self.LC)
        if not self.queue:
            self.LC, self.LR, self.LN = set(self.LN), set(self.LN), set()
            self.queue = sorted(self.LC)
        self.l = self.queue.pop(0)
        _, star = self.divergences()
        O = [j for j in range(self.K) if j != self.l and self.mu(self.l, j) <= 0.5]
        if not O or star in O:
            return self.l, star
        return self.l, min((j for j in range(self.K) if j != self.l), key=lambda j: (self.mu(self.l, j), j))

    def update(self, t, a, b, first_wins):
        if a != b:
            self.W[(a, b) if first_wins else (b, a)] += 1
        if t <= len(self.pairs):
            return
        self.LR.discard(self.l)
        I, star = self.divergences()
        for j in range(self.K):
            if j not in self.LR and j not in self.LN and I[j] - I[star] <= math.log(t) + self.f:
                self.LN.add(j)


class RefDTS:
    """Wu & Liu (2016), Algorithm 1 (D-TS)."""

    def __init__(self, K, alpha=0.51):
        self.K, self.alpha = K, alpha
        self.B = np.zeros((K, K))

    def bounds(self, i, j, t):
        if i == j:
            return 0.5, 0.5
        n = self.B[i, j] + self.B[j, i]
        if n == 0:
            return 2.0, 0.0
        m = self.B[i, j] / n
        r = math.sqrt(self.alpha * math.log(t) / n)
        return m + r, m - r

    def select(self, t, rng):
        K = self.K
        ucb_copeland = [sum(self.bounds(i, j, t)[0] > 0.5 for j in range(K) if j != i) for i in range(K)]
        C = [i for i in range(K) if ucb_copeland[i] == max(ucb_copeland)]
        theta = np.full((K, K), 0.5)
        for i in range(K):
            for j in range(i + 1, K):
                theta[i, j] = rng.beta(self.B[i, j] + 1, self.B[j, i] + 1)
                theta[j, i] = 1 - theta[i, j]
        sampled = {i: sum(theta[i, j] > 0.5 for j in range(K) if j != i) for i in C}
        a1 = _uniform_choice(rng, [i for i in C if sampled[i] == max(sampled.values())])
        second = [0.5 if i == a1 else rng.beta(self.B[i, a1] + 1, self.B[a1, i] + 1) for i in range(K)]
        eligible = [i for i in range(K) if self.bounds(i, a1, t)[1] <= 0.5]
        best = max(second[i] for i in eligible)
        return a1, _uniform_choice(rng, [i for i in eligible if second[i] == best])

    def update(self, t, a, b, first_wins):
        if a != b:
            self.B[(a, b) if first_wins else (b, a)] += 1


class RefMaxMinLCB:
    """Pásztor et al. (2024), Algorithm 1, on K arms with per-pair Chernoff confidence sequences."""

    def __init__(self, K, delta=0.05):
        self.K, self.delta = K, delta
        self.W = np.zeros((K, K))
        self.P = K * (K - 1) / 2

    def cs(self, i, j):
        if i == j:
            return 0.5, 0.5
        n = self.W[i, j] + self.W[j, i]
        if n == 0:
            return 0.0, 1.0
        p = self.W[i, j] / n
        level = math.log(2 * self.P * n * (n + 1) / self.delta) / n
        return 1 - klucb_bernoulli(1 - p, level), klucb_bernoulli(p, level)

    def select(self, t, rng):
        K = self.K
        M = [i for i in range(K) if all(self.cs(i, j)[1] >= 0.5 for j in range(K))] or list(range(K))
        worst = {i: min(self.cs(i, j)[0] for j in M) for i in M}
        x = _uniform_choice(rng, [i for i in M if worst[i] == max(worst.values())])
        return x, _uniform_choice(rng, [j for j in M if self.cs(x, j)[0] == worst[x]])

    def update(self, t, a, b, first_wins):
        if a != b:
            self.W[(a, b) if first_wins else (b, a)] += 1


REFERENCES = {"RUCB": RefRUCB, "RMED": RefRMED, "DoubleThompson": RefDTS, "MaxMinLCB": RefMaxMinLCB}


def reference_duels(model, agent, horizon, seed, run):
    """``(pairs, strong, weak)``: the pair of every round of run ``run`` and the cumulative regrets."""
    K = model.n_arms
    n_pairs = K * (K - 1) // 2
    states = run_states(seed, np.array([run]), n_pairs + 2)[0]
    env = [PyXoshiro(states[k]) for k in range(n_pairs + 1)]
    rng = PyXoshiro(states[n_pairs + 1])
    index = {p: k for k, p in enumerate((i, j) for i in range(K) for j in range(i + 1, K))}
    P = np.asarray(model.matrix)
    gaps, _ = dueling_gaps(model)
    ref = REFERENCES[agent.name](K, **agent.params())
    pairs, strong, weak = [], [], []
    s = w = 0.0
    for t in range(1, horizon + 1):
        a, b = (int(v) for v in ref.select(t, rng))
        if a == b:
            won = env[n_pairs].uniform() < 0.5
        elif a < b:
            won = env[index[a, b]].uniform() < P[a, b]
        else:
            won = not (env[index[b, a]].uniform() < P[b, a])
        ref.update(t, a, b, won)
        s += 0.5 * (gaps[a] + gaps[b])
        w += min(gaps[a], gaps[b])
        pairs.append((a, b))
        strong.append(s)
        weak.append(w)
    return pairs, np.array(strong), np.array(weak)
