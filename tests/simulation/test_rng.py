"""xoshiro256++ (hand-written): reference outputs, Python twin, rough uniformity/independence."""

import math

import numpy as np
from numba import njit
from scipy import stats

from rltheory.simulation._rng import (
    PyXoshiro,
    rng_beta,
    rng_categorical,
    rng_gamma,
    rng_next,
    rng_normal,
    rng_uniform,
    run_states,
)


@njit
def _draw(state, n, kind, a, b):
    out = np.empty(n)
    for i in range(n):
        if kind == 0:
            out[i] = rng_uniform(state)
        elif kind == 1:
            out[i] = rng_normal(state)
        elif kind == 2:
            out[i] = rng_gamma(state, a)
        else:
            out[i] = rng_beta(state, a, b)
    return out


def test_reference_output_of_published_generator():
    # first outputs of xoshiro256++ (Blackman & Vigna) from state (1, 2, 3, 4)
    s = np.array([1, 2, 3, 4], dtype=np.uint64)
    got = [int(rng_next(s)) for _ in range(4)]
    assert got == [41943041, 58720359, 3588806011781223, 3591011842654386]


def test_python_twin_is_bit_identical():
    state = run_states(5, np.array([3]), 1)[0, 0]
    py = PyXoshiro(state)
    nb = _draw(state.copy(), 50, 3, 2.5, 0.7)
    np.testing.assert_array_equal(nb, [py.beta(2.5, 0.7) for _ in range(50)])


def test_streams_are_seeded_from_spawned_seed_sequences():
    states = run_states(7, np.array([0, 4]), 2)
    child = np.random.SeedSequence(7).spawn(5)[4]
    np.testing.assert_array_equal(states[1].ravel(), child.generate_state(8, np.uint64))


def test_uniformity_and_independence_roughly():
    # Kolmogorov-Smirnov at level 1e-3 and lag-1 correlation within 5 standard errors
    u = _draw(run_states(1, np.array([0]), 1)[0, 0].copy(), 200_000, 0, 0.0, 0.0)
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    r = np.corrcoef(u[:-1], u[1:])[0, 1]
    assert abs(r) < 5 / math.sqrt(u.size)
    # two runs' streams are uncorrelated
    v = _draw(run_states(1, np.array([1]), 1)[0, 0].copy(), 200_000, 0, 0.0, 0.0)
    assert abs(np.corrcoef(u, v)[0, 1]) < 5 / math.sqrt(u.size)


def test_samplers_have_the_right_laws():
    st = run_states(2, np.array([0]), 1)[0, 0]
    assert stats.kstest(_draw(st.copy(), 50_000, 1, 0, 0), "norm").pvalue > 1e-3
    for a in (0.3, 1.0, 7.5):
        assert stats.kstest(_draw(st.copy(), 50_000, 2, a, 0), "gamma", args=(a,)).pvalue > 1e-3
    assert stats.kstest(_draw(st.copy(), 50_000, 3, 2.0, 5.0), "beta", args=(2.0, 5.0)).pvalue > 1e-3


@njit(cache=True)
def _categorical_draws(state, cum, n):
    out = np.empty(n, dtype=np.int64)
    for k in range(n):
        out[k] = rng_categorical(state, cum)
    return out


def test_categorical_matches_its_twin_and_its_probabilities():
    p = np.array([0.1, 0.0, 0.45, 0.45])
    cum = np.cumsum(p)
    state = run_states(11, np.array([0]), 1)[0, 0]
    n = 100_000
    draws = _categorical_draws(state.copy(), cum, n)
    twin = PyXoshiro(state.copy())
    assert [twin.categorical(cum) for _ in range(500)] == draws[:500].tolist()
    counts = np.bincount(draws, minlength=4)
    assert counts[1] == 0  # a zero-probability index is never drawn
    # chi-square goodness of fit on the positive cells, level 1e-6
    pos = p > 0
    assert stats.chisquare(counts[pos], n * p[pos]).pvalue > 1e-6
