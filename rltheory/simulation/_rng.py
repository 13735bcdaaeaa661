"""Per-run random streams and samplers of the compiled simulation engine.

Numba cannot carry a list of :class:`numpy.random.Generator` objects into a
``prange`` loop, so every run of :func:`rltheory.simulation.simulate` owns small
**xoshiro256++** generators whose 256-bit states are seeded from
``np.random.SeedSequence(seed, spawn_key=(run,)).generate_state`` (which is
exactly the state of ``np.random.SeedSequence(seed).spawn(n)[run]``).  A run's
numbers therefore depend only on ``(seed, run)``, never on how runs are split
into chunks, on the number of threads or on the executor.

xoshiro256++ is the generator of Blackman & Vigna, "Scrambled linear
pseudorandom number generators", ACM Trans. Math. Softw. 47(4), 2021, Section
4.1 (the ``++`` scrambler, rotation 23, shift 17, rotation 45).  **It was
written by hand here**; ``tests/simulation/test_rng.py`` checks it against the
reference output of the published C code for a fixed state, against the pure
Python transcription :class:`PyXoshiro` below, and roughly for uniformity and
independence.

Samplers (all compiled, all drawing only from the stream passed in):

* ``rng_uniform``: ``(x >> 11) * 2**-53`` in ``[0, 1)`` (Vigna's recommended
  conversion); ``rng_uniform_open`` in ``(0, 1)``.
* ``rng_integers(rng, n)``: ``floor(u * n)``, uniform on ``{0..n-1}`` up to
  ``n * 2**-53``.
* ``rng_normal``: the ziggurat method of Marsaglia & Tsang, "The ziggurat
  method for generating random variables", J. Stat. Softw. 5(8), 2000, with
  256 layers and 52-bit abscissae (one 64-bit word per deviate in 98.5% of
  calls: 8 bits pick the layer, 1 the sign, 52 the abscissa), Marsaglia's
  (1964) exponential-rejection method for the tail beyond ``r``.  The tables
  are computed at import from ``r = 3.6541528853610088`` (the base strip and
  tail have the common layer area ``v``); they are shared by the compiled
  sampler and its Python twin, so both draw identical deviates.
* ``rng_gamma(rng, shape)``: Marsaglia & Tsang, "A simple method for generating
  gamma variables", ACM TOMS 26(3), 2000 (squeeze + log test; boosting
  ``G(a) = G(a+1) U**(1/a)`` for ``a < 1``).  ``rng_gamma_dc(rng, d, c)`` is
  the same sampler with its constants ``d = a - 1/3``, ``c = 1/sqrt(9 d)``
  precomputed by the caller (for ``a >= 1``; bit-identical to
  ``rng_gamma(rng, a)``).
* ``rng_beta(rng, a, b)``: ``X / (X + Y)`` with ``X ~ G(a)``, ``Y ~ G(b)``.

Each compiled sampler has a pure-Python twin on :class:`PyXoshiro` performing
the same floating-point operations in the same order, which the parity tests of
the agents use as their random source.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = [
    "PyXoshiro",
    "rng_beta",
    "rng_categorical",
    "rng_gamma",
    "rng_gamma_dc",
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
_U8 = np.uint64(8)
_U12 = np.uint64(12)
_U1 = np.uint64(1)
_U255 = np.uint64(255)
_TWO_M53 = 2.0**-53
# A fixed non-zero state used when a seeded state happens to be all zeros
# (xoshiro's only forbidden state); probability 2**-256, kept for safety.
_FALLBACK = np.array([0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0x2545F4914F6CDD1D], dtype=np.uint64)


def _ziggurat_tables(n_layers=256, r=3.6541528853610088):
    """Ziggurat tables for the half-normal density ``f(x) = exp(-x**2 / 2)``.

    Marsaglia & Tsang (2000), Sec. 2: ``n_layers`` regions of equal area
    ``v``.  Layer 0 is the base rectangle ``[0, r] x [0, f(r)]`` plus the
    tail ``x > r`` (``v = r f(r) + int_r^inf f``), drawn as a rectangle of
    virtual width ``x_0 = v / f(r)``; layer ``i >= 1`` is ``[0, x_i] x
    [f(x_i), f(x_{i+1})]`` with ``x_1 = r``, ``x_{i+1} = f^{-1}(f(x_i) + v /
    x_i)`` and ``x_n = 0`` (``r`` is the root for 256 layers: the top layer's
    area matches ``v`` to 1.5e-13 relative).

    Returns ``(k, w, fx)``: ``k[i] = floor(2**52 x_{i+1} / x_i)`` (a 52-bit
    abscissa ``j < k[i]`` lies under the density: accept at once),
    ``w[i] = x_i 2**-52`` and ``fx[i] = f(x_i)`` (``fx[n] = 1``).
    """
    f = lambda x: math.exp(-0.5 * x * x)  # noqa: E731
    v = r * f(r) + math.sqrt(0.5 * math.pi) * math.erfc(r / math.sqrt(2.0))
    x = [v / f(r), r]
    for _ in range(1, n_layers - 1):
        x.append(math.sqrt(-2.0 * math.log(f(x[-1]) + v / x[-1])))
    x.append(0.0)
    k = np.array([int(x[i + 1] / x[i] * 2.0**52) for i in range(n_layers)], dtype=np.uint64)
    w = np.array([xi * 2.0**-52 for xi in x[:n_layers]])
    fx = np.array([f(xi) for xi in x])
    fx[n_layers] = 1.0
    return k, w, fx, r


_ZIG_K, _ZIG_W, _ZIG_F, _ZIG_R = _ziggurat_tables()
_ZIG_INV_R = 1.0 / _ZIG_R
# plain-Python copies for the twin (same doubles, no NumPy scalar arithmetic)
_ZIG_K_PY = [int(k) for k in _ZIG_K]
_ZIG_W_PY = _ZIG_W.tolist()
_ZIG_F_PY = _ZIG_F.tolist()


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
    """Next raw 64-bit output of the xoshiro256++ state ``s`` (uint64[4]).

    Examples
    --------
    >>> from rltheory.simulation import PyXoshiro, run_states
    >>> s = run_states(7, [0], 1)[0, 0]   # a run's stream; the sampler advances it in place
    >>> twin = PyXoshiro(s)                 # the pure-Python twin, same numbers
    >>> from rltheory.simulation._rng import rng_next
    >>> int(rng_next(s)) == twin.next_u64()
    True
    """
    return _next_u64(s)


@njit(cache=True, inline="always")
def rng_uniform(s):
    """Uniform double in ``[0, 1)`` from the 53 high bits of the next output.

    Examples
    --------
    >>> from rltheory.simulation import PyXoshiro, run_states
    >>> s = run_states(7, [0], 1)[0, 0]   # a run's stream; the sampler advances it in place
    >>> twin = PyXoshiro(s)                 # the pure-Python twin, same numbers
    >>> from rltheory.simulation import rng_uniform
    >>> u = rng_uniform(s)
    >>> u == twin.uniform(), 0.0 <= u < 1.0
    (True, True)
    """
    return float(_next_u64(s) >> _U11) * _TWO_M53


@njit(cache=True, inline="always")
def rng_uniform_open(s):
    """Uniform double in the open interval ``(0, 1)``.

    Examples
    --------
    >>> from rltheory.simulation import PyXoshiro, run_states
    >>> s = run_states(7, [0], 1)[0, 0]   # a run's stream; the sampler advances it in place
    >>> twin = PyXoshiro(s)                 # the pure-Python twin, same numbers
    >>> from rltheory.simulation import rng_uniform_open
    >>> u = rng_uniform_open(s)
    >>> u == twin.uniform_open(), 0.0 < u < 1.0
    (True, True)
    """
    return (float(_next_u64(s) >> _U11) + 0.5) * _TWO_M53


@njit(cache=True, inline="always")
def rng_categorical(s, cum):
    """Index ``i`` with probability ``cum[i] - cum[i-1]`` (inverse CDF, linear scan).

    ``cum`` is a cumulative distribution (non-decreasing, last entry 1); the
    last index absorbs rounding (``u >= cum[-2]``).

    Examples
    --------
    >>> from rltheory.simulation import PyXoshiro, run_states
    >>> s = run_states(7, [0], 1)[0, 0]   # a run's stream; the sampler advances it in place
    >>> twin = PyXoshiro(s)                 # the pure-Python twin, same numbers
    >>> import numpy as np
    >>> from rltheory.simulation import rng_categorical
    >>> cum = np.cumsum([0.2, 0.5, 0.3])
    >>> draws = [rng_categorical(s, cum) for _ in range(5)]
    >>> draws == [twin.categorical(cum) for _ in range(5)], set(draws) <= {0, 1, 2}
    (True, True)
    """
    u = rng_uniform(s)
    n = cum.shape[0]
    for i in range(n - 1):
        if u < cum[i]:
            return i
    return n - 1


@njit(cache=True)
def rng_integers(s, n):
    """Uniform integer in ``{0, ..., n-1}`` as ``floor(u * n)``.

    Examples
    --------
    >>> from rltheory.simulation import PyXoshiro, run_states
    >>> s = run_states(7, [0], 1)[0, 0]   # a run's stream; the sampler advances it in place
    >>> twin = PyXoshiro(s)                 # the pure-Python twin, same numbers
    >>> from rltheory.simulation import rng_integers
    >>> k = rng_integers(s, 6)
    >>> k == twin.integers(6), 0 <= k < 6
    (True, True)
    """
    k = int(rng_uniform(s) * n)
    if k >= n:  # impossible for u < 1, kept as a guard against rounding
        k = n - 1
    return k


@njit(cache=True, inline="always")
def _normal_slow(s, i, x):
    # Marsaglia & Tsang (2000), Sec. 2, for the 1.5% of draws outside the
    # inner rectangle of their layer: returns |z| or -1.0 (reject, redraw)
    if i == 0:
        # tail x > r: Marsaglia (1964), x = -ln(U1) / r, accept if -2 ln(U2) > x^2
        while True:
            xx = -math.log(rng_uniform_open(s)) * _ZIG_INV_R
            yy = -math.log(rng_uniform_open(s))
            if yy + yy > xx * xx:
                return _ZIG_R + xx
    # wedge of layer i: a uniform height in [f(x_i), f(x_{i+1})] below f(x)
    if _ZIG_F[i] + rng_uniform(s) * (_ZIG_F[i + 1] - _ZIG_F[i]) < math.exp(-0.5 * x * x):
        return x
    return -1.0


@njit(cache=True, inline="always")
def rng_normal(s):
    """Standard normal deviate, ziggurat method (Marsaglia & Tsang 2000).

    Examples
    --------
    >>> from rltheory.simulation import PyXoshiro, run_states
    >>> s = run_states(7, [0], 1)[0, 0]   # a run's stream; the sampler advances it in place
    >>> twin = PyXoshiro(s)                 # the pure-Python twin, same numbers
    >>> from rltheory.simulation import rng_normal
    >>> [rng_normal(s) for _ in range(3)] == [twin.normal() for _ in range(3)]
    True
    """
    while True:
        r = _next_u64(s)
        i = np.intp(r & _U255)  # layer: low 8 bits
        j = r >> _U12  # abscissa: high 52 bits
        x = float(j) * _ZIG_W[i]
        if j >= _ZIG_K[i]:
            x = _normal_slow(s, i, x)
            if x < 0.0:
                continue
        if (r >> _U8) & _U1:  # sign: bit 8
            return -x
        return x


@njit(cache=True, inline="always")
def rng_gamma_dc(s, d, c):
    """Gamma(d + 1/3, 1) deviate given ``d = shape - 1/3`` and ``c = 1/sqrt(9 d)``, ``shape >= 1``.

    Examples
    --------
    >>> from rltheory.simulation import PyXoshiro, run_states
    >>> s = run_states(7, [0], 1)[0, 0]   # a run's stream; the sampler advances it in place
    >>> twin = PyXoshiro(s)                 # the pure-Python twin, same numbers
    >>> import math
    >>> from rltheory.simulation import rng_gamma_dc
    >>> d = 2.5 - 1.0 / 3.0
    >>> rng_gamma_dc(s, d, 1.0 / math.sqrt(9.0 * d)) == twin.gamma(2.5)  # the same draw as rng_gamma(s, 2.5)
    True
    """
    # Marsaglia & Tsang (2000), Sec. 4: v = (1 + c x)^3, accept d v if
    # u < 1 - 0.0331 x^4 (squeeze) or ln u < x^2 / 2 + d (1 - v + ln v)
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


@njit(cache=True, inline="always")
def rng_gamma(s, shape):
    """Gamma(shape, 1) deviate, Marsaglia & Tsang (2000).

    Examples
    --------
    >>> from rltheory.simulation import PyXoshiro, run_states
    >>> s = run_states(7, [0], 1)[0, 0]   # a run's stream; the sampler advances it in place
    >>> twin = PyXoshiro(s)                 # the pure-Python twin, same numbers
    >>> from rltheory.simulation import rng_gamma
    >>> g = rng_gamma(s, 0.5)
    >>> g == twin.gamma(0.5), g > 0
    (True, True)
    """
    # Marsaglia & Tsang (2000), Sec. 6: G(a) = G(a + 1) * U**(1/a) for a < 1
    # (one call site and no recursion: inlined, and Numba cannot reload
    # cached recursive functions)
    boost = shape < 1.0
    a = shape + 1.0 if boost else shape
    d = a - 1.0 / 3.0
    g = rng_gamma_dc(s, d, 1.0 / math.sqrt(9.0 * d))
    if boost:
        return g * rng_uniform_open(s) ** (1.0 / shape)
    return g


@njit(cache=True, inline="always")
def rng_beta(s, a, b):
    """Beta(a, b) deviate as ``X / (X + Y)`` with independent gammas.

    Examples
    --------
    >>> from rltheory.simulation import PyXoshiro, run_states
    >>> s = run_states(7, [0], 1)[0, 0]   # a run's stream; the sampler advances it in place
    >>> twin = PyXoshiro(s)                 # the pure-Python twin, same numbers
    >>> from rltheory.simulation import rng_beta
    >>> x = rng_beta(s, 2.0, 3.0)
    >>> x == twin.beta(2.0, 3.0), 0.0 < x < 1.0
    (True, True)
    """
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

    Examples
    --------
    >>> from rltheory.simulation import run_states
    >>> whole = run_states(3, [0, 1, 2, 3], 2)
    >>> whole.shape, bool((run_states(3, [2, 3], 2) == whole[2:]).all())  # a run's streams depend on (seed, run) only
    ((4, 2, 4), True)
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
        """Next raw 64-bit output (the published C reference's sequence; see ``tests/simulation/test_rng.py``).

        Examples
        --------
        >>> import numpy as np
        >>> PyXoshiro(np.array([1, 2, 3, 4], dtype=np.uint64)).next_u64()
        41943041
        """
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
        """Twin of :func:`rng_uniform`: ``(x >> 11) * 2**-53`` in ``[0, 1)``.

        Examples
        --------
        >>> from rltheory.simulation import run_states
        >>> 0.0 <= PyXoshiro(run_states(0, [0], 1)[0, 0]).uniform() < 1.0
        True
        """
        return float(self.next_u64() >> 11) * _TWO_M53

    def uniform_open(self) -> float:
        """Twin of :func:`rng_uniform_open`, in ``(0, 1)``.

        Examples
        --------
        >>> from rltheory.simulation import run_states
        >>> 0.0 < PyXoshiro(run_states(0, [0], 1)[0, 0]).uniform_open() < 1.0
        True
        """
        return (float(self.next_u64() >> 11) + 0.5) * _TWO_M53

    def categorical(self, cum) -> int:
        """Twin of :func:`rng_categorical`: inverse CDF of ``cum`` by a linear scan.

        Examples
        --------
        >>> from rltheory.simulation import run_states
        >>> PyXoshiro(run_states(0, [0], 1)[0, 0]).categorical([0.0, 1.0])  # all mass on index 1
        1
        """
        u = self.uniform()
        for i in range(len(cum) - 1):
            if u < cum[i]:
                return i
        return len(cum) - 1

    def integers(self, n: int) -> int:
        """Twin of :func:`rng_integers`: ``floor(u * n)``.

        Examples
        --------
        >>> from rltheory.simulation import run_states
        >>> 0 <= PyXoshiro(run_states(0, [0], 1)[0, 0]).integers(3) < 3
        True
        """
        return min(int(self.uniform() * n), n - 1)

    def normal(self) -> float:
        """Twin of :func:`rng_normal` (same ziggurat tables, same operations).

        Examples
        --------
        >>> from rltheory.simulation import rng_normal, run_states
        >>> s = run_states(1, [0], 1)[0, 0]
        >>> PyXoshiro(s).normal() == rng_normal(s)
        True
        """
        while True:
            r = self.next_u64()
            i = r & 0xFF
            j = r >> 12
            x = float(j) * _ZIG_W_PY[i]
            if j >= _ZIG_K_PY[i]:
                if i == 0:
                    while True:
                        xx = -math.log(self.uniform_open()) * _ZIG_INV_R
                        yy = -math.log(self.uniform_open())
                        if yy + yy > xx * xx:
                            x = _ZIG_R + xx
                            break
                elif not (_ZIG_F_PY[i] + self.uniform() * (_ZIG_F_PY[i + 1] - _ZIG_F_PY[i]) < math.exp(-0.5 * x * x)):
                    continue
            return -x if (r >> 8) & 1 else x

    def gamma(self, shape: float) -> float:
        """Twin of :func:`rng_gamma`.

        Examples
        --------
        >>> from rltheory.simulation import rng_gamma, run_states
        >>> s = run_states(1, [0], 1)[0, 0]
        >>> PyXoshiro(s).gamma(3.0) == rng_gamma(s, 3.0)
        True
        """
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
        """Twin of :func:`rng_beta`.

        Examples
        --------
        >>> from rltheory.simulation import rng_beta, run_states
        >>> s = run_states(1, [0], 1)[0, 0]
        >>> PyXoshiro(s).beta(1.5, 2.5) == rng_beta(s, 1.5, 2.5)
        True
        """
        x = self.gamma(a)
        y = self.gamma(b)
        return x / (x + y)
