"""Per-run random streams for the compiled bandit engine.

Numba cannot carry a list of :class:`numpy.random.Generator` objects into a
``prange`` loop, so every run of :func:`rltheory.bandits.simulate` owns small
**xoshiro256++** generators whose 256-bit states are seeded from
``np.random.SeedSequence(seed, spawn_key=(run,)).generate_state`` (which is
exactly the state of ``np.random.SeedSequence(seed).spawn(n)[run]``).  A run's
numbers therefore depend only on ``(seed, run)``, never on how runs are split
into chunks, on the number of threads or on the executor.

xoshiro256++ is the generator of Blackman & Vigna, "Scrambled linear
pseudorandom number generators", ACM Trans. Math. Softw. 47(4), 2021, Section
4.1 (the ``++`` scrambler, rotation 23, shift 17, rotation 45).  **It was
written by hand here**; ``tests/bandits/test_rng.py`` checks it against the
reference output of the published C code for a fixed state, against the pure
Python transcription :class:`PyXoshiro` below, and roughly for uniformity and
independence.

Samplers (all compiled, all drawing only from the stream passed in):

* ``rng_uniform``: ``(x >> 11) * 2**-53`` in ``[0, 1)`` (Vigna's recommended
  conversion); ``rng_uniform_open`` in ``(0, 1)``.
* ``rng_integers(rng, n)``: ``floor(u * n)``, uniform on ``{0..n-1}`` up to
  ``n * 2**-53``.
* ``rng_normal``: Marsaglia & Bray (1964) polar method (one deviate per call;
  the second of the pair is discarded so every call is self-contained).
* ``rng_gamma(rng, shape)``: Marsaglia & Tsang, "A simple method for generating
  gamma variables", ACM TOMS 26(3), 2000 (squeeze + log test; boosting
  ``G(a) = G(a+1) U**(1/a)`` for ``a < 1``).
* ``rng_beta(rng, a, b)``: ``X / (X + Y)`` with ``X ~ G(a)``, ``Y ~ G(b)``.

Each compiled sampler has a pure-Python twin on :class:`PyXoshiro` performing
the same floating-point operations in the same order, which the parity tests of
the policies use as their random source.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = [
    "PyXoshiro",
    "rng_beta",
    "rng_gamma",
    "rng_integers",
    "rng_normal",
    "rng_uniform",
    "rng_uniform_open",
    "run_states",
]

_MASK = (1 << 64) - 1
_U11 = np.uint64(11)
_U17 = np.uint64(17)
_U23 = np.uint64(23)
_U41 = np.uint64(41)
_U45 = np.uint64(45)
_U19 = np.uint64(19)
_TWO_M53 = 2.0**-53
# A fixed non-zero state used when a seeded state happens to be all zeros
# (xoshiro's only forbidden state); probability 2**-256, kept for safety.
_FALLBACK = np.array([0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0x2545F4914F6CDD1D], dtype=np.uint64)


@njit(cache=True, inline="always")
def _next_u64(s):
    # xoshiro256++ (Blackman & Vigna 2021, Sec. 4.1): result = rotl(s0 + s3, 23) + s0
    s0 = s[0]
    s3 = s[3]
    x = s0 + s3
    result = ((x << _U23) | (x >> _U41)) + s0
    t = s[1] << _U17
    s[2] ^= s0
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s3 = s[3]
    s[3] = (s3 << _U45) | (s3 >> _U19)
    return result


@njit(cache=True)
def rng_next(s):
    """Next raw 64-bit output of the xoshiro256++ state ``s`` (uint64[4])."""
    return _next_u64(s)


@njit(cache=True, inline="always")
def rng_uniform(s):
    """Uniform double in ``[0, 1)`` from the 53 high bits of the next output."""
    return float(_next_u64(s) >> _U11) * _TWO_M53


@njit(cache=True, inline="always")
def rng_uniform_open(s):
    """Uniform double in the open interval ``(0, 1)``."""
    return (float(_next_u64(s) >> _U11) + 0.5) * _TWO_M53


@njit(cache=True)
def rng_integers(s, n):
    """Uniform integer in ``{0, ..., n-1}`` as ``floor(u * n)``."""
    k = int(rng_uniform(s) * n)
    if k >= n:  # impossible for u < 1, kept as a guard against rounding
        k = n - 1
    return k


@njit(cache=True)
def rng_normal(s):
    """Standard normal deviate, Marsaglia-Bray polar method."""
    while True:
        u = 2.0 * rng_uniform(s) - 1.0
        v = 2.0 * rng_uniform(s) - 1.0
        q = u * u + v * v
        if q > 0.0 and q < 1.0:
            return u * math.sqrt(-2.0 * math.log(q) / q)


@njit(cache=True)
def rng_gamma(s, shape):
    """Gamma(shape, 1) deviate, Marsaglia & Tsang (2000)."""
    if shape < 1.0:
        # Marsaglia & Tsang (2000), Sec. 6: G(a) = G(a + 1) * U**(1/a)
        g = rng_gamma(s, shape + 1.0)
        return g * rng_uniform_open(s) ** (1.0 / shape)
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = rng_normal(s)
        v = 1.0 + c * x
        while v <= 0.0:
            x = rng_normal(s)
            v = 1.0 + c * x
        v = v * v * v
        u = rng_uniform_open(s)
        x2 = x * x
        if u < 1.0 - 0.0331 * x2 * x2:
            return d * v
        if math.log(u) < 0.5 * x2 + d * (1.0 - v + math.log(v)):
            return d * v


@njit(cache=True)
def rng_beta(s, a, b):
    """Beta(a, b) deviate as ``X / (X + Y)`` with independent gammas."""
    x = rng_gamma(s, a)
    y = rng_gamma(s, b)
    return x / (x + y)


def run_states(seed: int, runs: np.ndarray, n_streams: int) -> np.ndarray:
    """Seed ``n_streams`` xoshiro256++ states for each global run index.

    Run ``i`` uses ``np.random.SeedSequence(seed, spawn_key=(i,))``, the
    ``i``-th child of ``np.random.SeedSequence(seed).spawn``; its
    ``generate_state(4 * n_streams, uint64)`` words fill the states in order.

    Returns
    -------
    numpy.ndarray
        ``(len(runs), n_streams, 4)`` uint64.
    """
    runs = np.asarray(runs, dtype=np.int64)
    out = np.empty((runs.size, n_streams, 4), dtype=np.uint64)
    for j, i in enumerate(runs):
        words = np.random.SeedSequence(seed, spawn_key=(int(i),)).generate_state(4 * n_streams, np.uint64)
        out[j] = words.reshape(n_streams, 4)
        for k in range(n_streams):
            if not out[j, k].any():
                out[j, k] = _FALLBACK
    return out


class PyXoshiro:
    """Pure-Python xoshiro256++ with the same samplers as the compiled code.

    Used by the parity tests as the shared random source of the plain-Python
    reference policies.  ``state`` is copied.

    Examples
    --------
    >>> import numpy as np
    >>> g = PyXoshiro(np.array([1, 2, 3, 4], dtype=np.uint64))
    >>> g.next_u64()
    41943041
    """

    def __init__(self, state):
        self.s = [int(x) for x in np.asarray(state, dtype=np.uint64)]

    def next_u64(self) -> int:
        s = self.s
        x = (s[0] + s[3]) & _MASK
        result = ((((x << 23) | (x >> 41)) & _MASK) + s[0]) & _MASK
        t = (s[1] << 17) & _MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = ((s[3] << 45) | (s[3] >> 19)) & _MASK
        return result

    def uniform(self) -> float:
        return float(self.next_u64() >> 11) * _TWO_M53

    def uniform_open(self) -> float:
        return (float(self.next_u64() >> 11) + 0.5) * _TWO_M53

    def integers(self, n: int) -> int:
        return min(int(self.uniform() * n), n - 1)

    def normal(self) -> float:
        while True:
            u = 2.0 * self.uniform() - 1.0
            v = 2.0 * self.uniform() - 1.0
            q = u * u + v * v
            if 0.0 < q < 1.0:
                return u * math.sqrt(-2.0 * math.log(q) / q)

    def gamma(self, shape: float) -> float:
        if shape < 1.0:
            g = self.gamma(shape + 1.0)
            return g * self.uniform_open() ** (1.0 / shape)
        d = shape - 1.0 / 3.0
        c = 1.0 / math.sqrt(9.0 * d)
        while True:
            x = self.normal()
            v = 1.0 + c * x
            while v <= 0.0:
                x = self.normal()
                v = 1.0 + c * x
            v = v * v * v
            u = self.uniform_open()
            x2 = x * x
            if u < 1.0 - 0.0331 * x2 * x2:
                return d * v
            if math.log(u) < 0.5 * x2 + d * (1.0 - v + math.log(v)):
                return d * v

    def beta(self, a: float, b: float) -> float:
        x = self.gamma(a)
        y = self.gamma(b)
        return x / (x + y)
