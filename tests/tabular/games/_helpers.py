"""Brute-force references for the games tests (independent of the library's solvers)."""

from __future__ import annotations

import itertools

import numpy as np

EPS = np.finfo(float).eps


def brute_payoff(U: np.ndarray, xs) -> np.ndarray:
    """``u_i(x)`` by an explicit sum over every joint action profile."""
    n = U.shape[0]
    out = np.zeros(n)
    for a in itertools.product(*[range(len(x)) for x in xs]):
        w = 1.0
        for x, ai in zip(xs, a):
            w *= x[ai]
        out += w * U[(slice(None),) + a]
    return out


def brute_gains(U: np.ndarray, xs) -> np.ndarray:
    """Per-player ``max_a u_i(a, x_-i) - u_i(x)`` by trying every pure deviation."""
    base = brute_payoff(U, xs)
    gains = np.empty(U.shape[0])
    for i, x in enumerate(xs):
        best = -np.inf
        for a in range(len(x)):
            e = np.zeros(len(x))
            e[a] = 1.0
            best = max(best, brute_payoff(U, [e if j == i else xs[j] for j in range(len(xs))])[i])
        gains[i] = best - base[i]
    return gains


def brute_value(A: np.ndarray) -> float:
    """Value of the matrix game A (row maximizes) by enumerating the vertices of {x in simplex, v <= (A^T x)_j}.

    The maximin LP's optimum is attained at a vertex: m + 1 unknowns (x, v) with m + 1 tight constraints among
    the n inequalities v <= (A^T x)_j, the m bounds x_i >= 0 and sum x = 1 (always tight).
    """
    m, n = A.shape
    rows = [np.concatenate([-A[:, j], [1.0]]) for j in range(n)]
    rows += [np.concatenate([-np.eye(m)[i], [0.0]]) for i in range(m)]
    rows = np.array(rows)
    best = -np.inf
    for sub in itertools.combinations(range(len(rows)), m):
        M = np.vstack([rows[list(sub)], np.concatenate([np.ones(m), [0.0]])])
        rhs = np.zeros(m + 1)
        rhs[-1] = 1.0
        try:
            z = np.linalg.solve(M, rhs)
        except np.linalg.LinAlgError:
            continue
        x, v = z[:m], z[m]
        if np.all(x >= -1e-9) and np.all(v <= x @ A + 1e-9):
            best = max(best, v)
    return float(best)


def kl(p, q) -> float:
    p, q = np.asarray(p), np.asarray(q)
    m = p > 0
    return float(np.sum(p[m] * np.log(p[m] / q[m])))


def random_preference_matrix(rng, n):
    M = rng.uniform(0, 1, size=(n, n))
    P = np.triu(M, 1)
    P = P + np.tril(1.0 - P.T, -1)
    np.fill_diagonal(P, 0.5)
    return P
