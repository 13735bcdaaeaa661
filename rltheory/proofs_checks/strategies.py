"""Public hypothesis strategies for rltheory objects.

All strategies are keyword-only and composable: sizes and domains are either
fixed values or strategies themselves.

Examples
--------
>>> from hypothesis import given, settings
>>> from rltheory.proofs_checks.strategies import finite_mdps
>>> @settings(max_examples=5, derandomize=True, database=None)
... @given(finite_mdps(n_states=3, n_actions=2))
... def check(mdp):
...     assert mdp.n_states == 3
>>> check()
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import scipy.sparse as sp
from hypothesis import strategies as st

__all__ = [
    "stochastic_matrices",
    "finite_mdps",
    "policies",
    "rational_policies",
    "discounts",
    "value_vectors",
    "bounded_distributions",
]


def _as_strategy(x):
    return x if isinstance(x, st.SearchStrategy) else st.just(x)


@st.composite
def stochastic_matrices(draw, *, n_rows=st.integers(1, 6), n_cols=st.integers(1, 6), sparsity=0.3, exact=False):
    """Row-stochastic matrices ``(n_rows, n_cols)``.

    Entries are drawn non-negative, a fraction ``sparsity`` of them set to 0
    (never a whole row), then each row is normalized. With ``exact=True`` the
    matrix is an object array of :class:`fractions.Fraction` with rows summing
    to exactly 1.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from rltheory.proofs_checks.strategies import stochastic_matrices
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(stochastic_matrices(n_rows=3, n_cols=4), stochastic_matrices(n_rows=2, n_cols=2, exact=True))
    ... def rows_are_distributions(P, Q):
    ...     assert P.shape == (3, 4) and (P >= 0).all() and np.allclose(P.sum(axis=1), 1.0)
    ...     assert all(sum(row) == 1 for row in Q)  # exactly, in Fractions
    >>> rows_are_distributions()
    """
    n, m = draw(_as_strategy(n_rows)), draw(_as_strategy(n_cols))
    if exact:
        ints = draw(st.lists(st.lists(st.integers(0, 5), min_size=m, max_size=m), min_size=n, max_size=n))
        out = np.empty((n, m), dtype=object)
        for i, row in enumerate(ints):
            if sum(row) == 0:
                row = list(row)
                row[draw(st.integers(0, m - 1))] = 1
            total = sum(row)
            out[i] = [Fraction(x, total) for x in row]
        return out
    weights = draw(
        st.lists(st.lists(st.floats(0.01, 1.0, allow_nan=False), min_size=m, max_size=m), min_size=n, max_size=n)
    )
    w = np.array(weights, dtype=float).reshape(n, m)
    zeros = draw(st.lists(st.booleans(), min_size=n * m, max_size=n * m)) if sparsity > 0 else [False] * (n * m)
    zero = np.array(zeros, dtype=bool).reshape(n, m)
    zero &= np.array(draw(st.lists(st.floats(0, 1), min_size=n * m, max_size=n * m))).reshape(n, m) < sparsity * 2
    zero[np.arange(n), np.argmax(w, axis=1)] = False  # keep one entry per row
    w[zero] = 0.0
    return w / w.sum(axis=1, keepdims=True)


def discounts(*, min_value=0.0, max_value=0.99):
    """Discount factors in ``[min_value, max_value]``.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from rltheory.proofs_checks.strategies import discounts
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(discounts(max_value=0.9))
    ... def in_range(g):
    ...     assert 0.0 <= g <= 0.9
    >>> in_range()
    """
    return st.floats(min_value, max_value, allow_nan=False)


@st.composite
def finite_mdps(
    draw,
    *,
    n_states=st.integers(1, 6),
    n_actions=st.integers(1, 4),
    gamma=discounts(),
    reward_range=(-1.0, 1.0),
    sparse=False,
    exact=False,
    action_mask=False,
):
    """Random discounted :class:`~rltheory.tabular.FiniteMDP` instances.

    Parameters
    ----------
    n_states, n_actions : int or strategy
    gamma : float or strategy
        With ``exact=True`` a float gamma is converted to the nearest
        Fraction with denominator at most 100.
    reward_range : (float, float)
    sparse : bool or strategy
        Store ``P`` as CSR ``(S*A, S)``.
    exact : bool
        Build from Fractions (small integers over small denominators).
    action_mask : bool
        Draw a random action mask (every state keeps at least one action).

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from hypothesis import strategies as st
    >>> from rltheory.proofs_checks.strategies import finite_mdps
    >>> @settings(max_examples=10, derandomize=True, database=None)
    ... @given(finite_mdps(n_states=st.integers(1, 3), sparse=st.booleans(), action_mask=True))
    ... def valid_models(mdp):
    ...     assert 1 <= mdp.n_states <= 3 and mdp.gamma < 1 and np.asarray(mdp.action_mask).any(axis=1).all()
    >>> valid_models()
    """
    from rltheory.tabular import FiniteMDP

    S, A = draw(_as_strategy(n_states)), draw(_as_strategy(n_actions))
    g = draw(_as_strategy(gamma))
    P = draw(stochastic_matrices(n_rows=S * A, n_cols=S, exact=exact))
    lo, hi = reward_range
    if exact:
        R = np.array(
            [Fraction(draw(st.integers(int(lo * 10), int(hi * 10))), 10) for _ in range(S * A)], dtype=object
        ).reshape(S, A)
        g = Fraction(g).limit_denominator(100)
        if g >= 1:
            g = Fraction(99, 100)
        P = P.reshape(S, A, S)
    else:
        R = np.array(draw(st.lists(st.floats(lo, hi, allow_nan=False), min_size=S * A, max_size=S * A))).reshape(S, A)
        P = sp.csr_array(P) if draw(_as_strategy(sparse)) else P.reshape(S, A, S)
    mask = None
    if action_mask and A > 1:
        m = np.array(draw(st.lists(st.booleans(), min_size=S * A, max_size=S * A))).reshape(S, A)
        m[np.arange(S), draw(st.lists(st.integers(0, A - 1), min_size=S, max_size=S))] = True
        mask = m
    return FiniteMDP(P, R, gamma=g, action_mask=mask)


@st.composite
def policies(draw, mdp, *, deterministic=False):
    """Policies of ``mdp``: ``(S,)`` int actions or ``(S, A)`` probabilities.

    Respects ``mdp.action_mask``.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from hypothesis import strategies as st
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.proofs_checks.strategies import policies
    >>> mdp = FiniteMDP(np.full((2, 2, 2), 0.5), np.zeros((2, 2)), gamma=0.5, action_mask=[[True, False], [True, True]])
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(policies(mdp), policies(mdp, deterministic=True))
    ... def respects_the_mask(pi, det):
    ...     assert pi[0, 1] == 0 and np.allclose(pi.sum(axis=1), 1.0) and det[0] == 0
    >>> respects_the_mask()
    """
    S, A = mdp.n_states, mdp.n_actions
    mask = np.asarray(mdp.action_mask)
    if deterministic:
        acts = []
        for s in range(S):
            allowed = np.flatnonzero(mask[s])
            acts.append(int(allowed[draw(st.integers(0, len(allowed) - 1))]))
        return np.array(acts, dtype=np.int64)
    w = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=S * A, max_size=S * A))).reshape(S, A)
    w = np.where(mask, w, 0.0)
    empty = w.sum(axis=1) == 0
    w[empty] = mask[empty].astype(float)
    return w / w.sum(axis=1, keepdims=True)


@st.composite
def rational_policies(draw, mdp, *, deterministic=st.booleans()):
    """Policies of ``mdp`` with exact rational probabilities: ``(S, A)`` object arrays of Fraction.

    Rows sum to exactly 1; disallowed actions (``action_mask``) get 0. With
    ``deterministic`` true every row is a unit vector.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.proofs_checks.strategies import rational_policies
    >>> mdp = FiniteMDP(np.full((2, 3, 2), 0.5), np.zeros((2, 3)), gamma=0.5)
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(rational_policies(mdp))
    ... def exact_rows(pi):
    ...     assert pi.shape == (2, 3) and all(sum(row) == 1 for row in pi)
    >>> exact_rows()
    """
    S, A = mdp.n_states, mdp.n_actions
    mask = np.asarray(mdp.action_mask)
    det = draw(_as_strategy(deterministic))
    out = np.empty((S, A), dtype=object)
    for s in range(S):
        allowed = np.flatnonzero(mask[s])
        if det:
            weights = [0] * len(allowed)
            weights[draw(st.integers(0, len(allowed) - 1))] = 1
        else:
            weights = draw(st.lists(st.integers(0, 4), min_size=len(allowed), max_size=len(allowed)))
            if sum(weights) == 0:
                weights[draw(st.integers(0, len(allowed) - 1))] = 1
        total = sum(weights)
        out[s] = [Fraction(0)] * A
        for a, w in zip(allowed, weights):
            out[s, a] = Fraction(w, total)
    return out


def value_vectors(n, *, magnitude=100.0):
    """Float vectors of length ``n`` with entries in ``[-magnitude, magnitude]``.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from rltheory.proofs_checks.strategies import value_vectors
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(value_vectors(4, magnitude=5.0))
    ... def bounded(v):
    ...     assert v.shape == (4,) and np.all(np.abs(v) <= 5.0)
    >>> bounded()
    """
    from hypothesis.extra.numpy import arrays

    return arrays(np.float64, n, elements=st.floats(-magnitude, magnitude, allow_nan=False, allow_subnormal=False))


@st.composite
def bounded_distributions(draw, *, n_atoms=st.integers(1, 5), low=0.0, high=1.0):
    """Finite distributions on ``[low, high]``: ``(atoms, probabilities)`` float arrays.

    Atoms are distinct; probabilities are positive and sum to 1 up to rounding.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from rltheory.proofs_checks.strategies import bounded_distributions
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(bounded_distributions(low=-1.0, high=1.0))
    ... def on_the_interval(law):
    ...     atoms, p = law
    ...     assert np.all(np.abs(atoms) <= 1) and np.unique(atoms).size == atoms.size and np.isclose(p.sum(), 1.0)
    >>> on_the_interval()
    """
    k = draw(_as_strategy(n_atoms))
    atoms = draw(st.lists(st.floats(low, high, allow_nan=False), min_size=k, max_size=k, unique=True))
    w = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=k, max_size=k)))
    return np.array(atoms, dtype=float), w / w.sum()
