r"""Sympy oracles: exact values of small MDPs, as rationals or functions of a symbolic discount.

Every function takes a :class:`~rltheory.tabular.FiniteMDP`. An *exact* model
(built from Fractions) is used through its rational copies ``P_exact``,
``R_exact``, ``gamma_exact``; a float model is converted entry by entry to the
exact rational value of each binary float, so the answer is the exact value of
the model as stored. ``gamma`` may be overridden by a sympy symbol to get
values as rational functions of :math:`\gamma`.

The oracles solve the policy-evaluation equation exactly,

.. math::  (I - \gamma P^\pi)\, v^\pi = r^\pi,

(Puterman 2005, Theorem 6.1.1), which has a unique solution for
:math:`0 \le \gamma < 1` because :math:`\|\gamma P^\pi\|_\infty = \gamma < 1`.

Examples
--------
>>> import numpy as np, sympy
>>> from fractions import Fraction as F
>>> from rltheory.tabular import FiniteMDP
>>> from rltheory.proofs_checks import analytic
>>> mdp = FiniteMDP(np.array([[[1, 0]], [[F(1, 2), F(1, 2)]]], dtype=object),
...                 np.array([[1], [0]], dtype=object), gamma=F(1, 2))
>>> analytic.value_function(mdp, np.array([0, 0])).T
Matrix([[2, 2/3]])
>>> g = sympy.Symbol("gamma")
>>> v1 = analytic.value_function(mdp, np.array([0, 0]), gamma=g)[1]
>>> sympy.simplify(v1 - g / ((1 - g) * (2 - g))) == 0  # v(1) = gamma / ((1 - gamma)(2 - gamma))
True
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy

__all__ = [
    "rational_model",
    "policy_matrix",
    "value_function",
    "q_function",
    "advantage",
    "discounted_occupancy",
    "optimal_value",
    "bellman_optimality_residual",
]


def _rational(x) -> sympy.Rational:
    if isinstance(x, Fraction):
        return sympy.Rational(x.numerator, x.denominator)
    if isinstance(x, sympy.Basic):
        return x
    if isinstance(x, (int, np.integer)):
        return sympy.Integer(int(x))
    return sympy.Rational(float(x))  # the exact value of the binary float


def rational_model(mdp):
    """``(P, R, gamma)`` of ``mdp`` as sympy objects: ``P`` a list of ``A`` sympy matrices ``(S, S)``, ``R`` an ``(S,
    A)`` matrix.

    Exact models use their rational copies; float models the exact value of
    every stored float. Disallowed actions (``action_mask``) keep their rows;
    callers never select them.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.proofs_checks.analytic import rational_model
    >>> P, R, g = rational_model(FiniteMDP(np.ones((1, 1, 1)), np.array([[0.5]]), gamma=0.25))
    >>> P[0], R, g
    (Matrix([[1]]), Matrix([[1/2]]), 1/4)
    """
    S, A = mdp.n_states, mdp.n_actions
    if mdp.is_exact:
        P_src, R_src, g = mdp.P_exact, mdp.R_exact, mdp.gamma_exact
    else:
        P_src = mdp.P.toarray().reshape(S, A, S) if mdp.is_sparse else np.asarray(mdp.P)
        R_src, g = np.asarray(mdp.R), mdp.gamma
    P = [sympy.Matrix(S, S, lambda s, t, a=a: _rational(P_src[s, a, t])) for a in range(A)]
    R = sympy.Matrix(S, A, lambda s, a: _rational(R_src[s, a]))
    return P, R, _rational(g)


def policy_matrix(mdp, policy) -> sympy.Matrix:
    """The policy as an exact ``(S, A)`` sympy matrix (``(S,)`` int actions or ``(S, A)`` probabilities).

    Probability rows must sum to exactly 1 after exact conversion (Fractions
    are exact; floats are taken at their binary value).

    Examples
    --------
    >>> import numpy as np
    >>> from fractions import Fraction as F
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.proofs_checks import analytic
    >>> # state 0: stay (reward 1) or go to 1; state 1: a fair coin between 0 and 1 (reward 0); gamma = 1/2
    >>> mdp = FiniteMDP(np.array([[[1, 0], [0, 1]], [[F(1, 2), F(1, 2)], [F(1, 2), F(1, 2)]]], dtype=object),
    ...                 np.array([[1, 0], [0, 0]], dtype=object), gamma=F(1, 2))
    >>> analytic.policy_matrix(mdp, np.array([1, 0])).tolist()
    [[0, 1], [1, 0]]
    >>> analytic.policy_matrix(mdp, np.array([[F(1, 2), F(1, 2)], [1, 0]], dtype=object)).tolist()
    [[1/2, 1/2], [1, 0]]
    """
    S, A = mdp.n_states, mdp.n_actions
    pol = np.asarray(policy)
    if pol.ndim == 1:
        mdp.policy_matrix(pol.astype(np.int64) if pol.dtype.kind in "iu" else pol)  # validates
        return sympy.Matrix(S, A, lambda s, a: 1 if int(pol[s]) == a else 0)
    if pol.shape != (S, A):
        raise ValueError(f"policy has shape {pol.shape}, expected ({S},) or ({S}, {A})")
    M = sympy.Matrix(S, A, lambda s, a: _rational(pol[s, a]))
    for s in range(S):
        row = sum(M[s, :])
        if row != 1:
            raise ValueError(f"policy[{s}] sums to {row} exactly, expected 1")
        for a in range(A):
            if M[s, a] < 0:
                raise ValueError(f"policy[{s}, {a}] = {M[s, a]} is negative")
            if M[s, a] != 0 and not mdp.action_mask[s, a]:
                raise ValueError(f"policy[{s}, {a}] puts mass on an action disallowed by action_mask")
    return M


def _policy_parts(mdp, policy, gamma):
    P, R, g = rational_model(mdp)
    if gamma is not None:
        g = sympy.sympify(gamma)
    pi = policy_matrix(mdp, policy)
    S, A = mdp.n_states, mdp.n_actions
    P_pi = sympy.zeros(S, S)
    r_pi = sympy.zeros(S, 1)
    for a in range(A):
        w = sympy.diag(*[pi[s, a] for s in range(S)])
        P_pi += w * P[a]
        r_pi += w * R[:, a]
    return P, R, g, pi, P_pi, r_pi


def _simplify(M: sympy.Matrix) -> sympy.Matrix:
    if M.free_symbols:
        return M.applyfunc(sympy.factor)
    return M


def value_function(mdp, policy, *, gamma=None) -> sympy.Matrix:
    r"""Exact :math:`v^\pi = (I - \gamma P^\pi)^{-1} r^\pi` as an ``(S, 1)`` sympy matrix.

    Parameters
    ----------
    mdp : FiniteMDP
    policy : array_like
        ``(S,)`` int actions or ``(S, A)`` probabilities.
    gamma : number or sympy expression, optional
        Overrides the model's discount (e.g. ``sympy.Symbol("gamma")`` for a
        closed form in :math:`\gamma`).

    Examples
    --------
    >>> import numpy as np
    >>> from fractions import Fraction as F
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.proofs_checks import analytic
    >>> # state 0: stay (reward 1) or go to 1; state 1: a fair coin between 0 and 1 (reward 0); gamma = 1/2
    >>> mdp = FiniteMDP(np.array([[[1, 0], [0, 1]], [[F(1, 2), F(1, 2)], [F(1, 2), F(1, 2)]]], dtype=object),
    ...                 np.array([[1, 0], [0, 0]], dtype=object), gamma=F(1, 2))
    >>> analytic.value_function(mdp, np.array([0, 0])).T.tolist()  # v(0) = 1/(1 - 1/2); v(1) = (1/2)(v(0) + v(1))/2
    [[2, 2/3]]
    """
    _, _, g, _, P_pi, r_pi = _policy_parts(mdp, policy, gamma)
    S = mdp.n_states
    return _simplify((sympy.eye(S) - g * P_pi).LUsolve(r_pi))


def q_function(mdp, policy, *, gamma=None) -> sympy.Matrix:
    r"""Exact :math:`q^\pi(s,a) = r(s,a) + \gamma \sum_{s'} P(s'|s,a) v^\pi(s')` as an ``(S, A)`` matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from fractions import Fraction as F
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.proofs_checks import analytic
    >>> # state 0: stay (reward 1) or go to 1; state 1: a fair coin between 0 and 1 (reward 0); gamma = 1/2
    >>> mdp = FiniteMDP(np.array([[[1, 0], [0, 1]], [[F(1, 2), F(1, 2)], [F(1, 2), F(1, 2)]]], dtype=object),
    ...                 np.array([[1, 0], [0, 0]], dtype=object), gamma=F(1, 2))
    >>> analytic.q_function(mdp, np.array([0, 0])).tolist()  # q(0, 1) = 0 + v(1) / 2
    [[2, 1/3], [2/3, 2/3]]
    """
    P, R, g, _, _, _ = _policy_parts(mdp, policy, gamma)
    v = value_function(mdp, policy, gamma=gamma)
    S, A = mdp.n_states, mdp.n_actions
    Q = sympy.zeros(S, A)
    for a in range(A):
        Q[:, a] = R[:, a] + g * P[a] * v
    return _simplify(Q)


def advantage(mdp, policy, *, gamma=None) -> sympy.Matrix:
    r"""Exact advantage :math:`A^\pi(s,a) = q^\pi(s,a) - v^\pi(s)` as an ``(S, A)`` matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from fractions import Fraction as F
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.proofs_checks import analytic
    >>> # state 0: stay (reward 1) or go to 1; state 1: a fair coin between 0 and 1 (reward 0); gamma = 1/2
    >>> mdp = FiniteMDP(np.array([[[1, 0], [0, 1]], [[F(1, 2), F(1, 2)], [F(1, 2), F(1, 2)]]], dtype=object),
    ...                 np.array([[1, 0], [0, 0]], dtype=object), gamma=F(1, 2))
    >>> analytic.advantage(mdp, np.array([0, 0])).tolist()  # zero on the policy's own actions
    [[0, -5/3], [0, 0]]
    """
    v = value_function(mdp, policy, gamma=gamma)
    Q = q_function(mdp, policy, gamma=gamma)
    return _simplify(Q - v * sympy.ones(1, mdp.n_actions))


def discounted_occupancy(mdp, policy, initial, *, gamma=None) -> sympy.Matrix:
    r"""Normalized discounted state occupancy :math:`d^\pi_\mu = (1-\gamma)\, \mu^\top (I - \gamma P^\pi)^{-1}`, a
    ``(1, S)`` matrix.

    This is the distribution :math:`d^\pi_\mu(s) = (1-\gamma)\sum_t \gamma^t
    \Pr(s_t = s)` of Kakade & Langford (2002), Section 6; it sums to 1.
    ``initial`` is a state index or a probability vector.

    Examples
    --------
    >>> import numpy as np
    >>> from fractions import Fraction as F
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.proofs_checks import analytic
    >>> # state 0: stay (reward 1) or go to 1; state 1: a fair coin between 0 and 1 (reward 0); gamma = 1/2
    >>> mdp = FiniteMDP(np.array([[[1, 0], [0, 1]], [[F(1, 2), F(1, 2)], [F(1, 2), F(1, 2)]]], dtype=object),
    ...                 np.array([[1, 0], [0, 0]], dtype=object), gamma=F(1, 2))
    >>> d = analytic.discounted_occupancy(mdp, np.array([0, 0]), 1)
    >>> d.tolist(), sum(d)
    ([[1/3, 2/3]], 1)
    """
    _, _, g, _, P_pi, _ = _policy_parts(mdp, policy, gamma)
    S = mdp.n_states
    if np.ndim(initial) == 0:
        mu = sympy.zeros(1, S)
        mu[0, int(initial)] = 1
    else:
        mu = sympy.Matrix(1, S, lambda _, s: _rational(np.asarray(initial, dtype=object)[s]))
    d = (1 - g) * (sympy.eye(S) - g * P_pi).T.LUsolve(mu.T).T
    return _simplify(d)


def bellman_optimality_residual(mdp, v) -> sympy.Matrix:
    r"""Exact :math:`T v - v` with :math:`(Tv)(s) = \max_{a \text{ allowed}} r(s,a) + \gamma P(\cdot|s,a) v`, an ``(S,
    1)`` matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from fractions import Fraction as F
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.proofs_checks import analytic
    >>> # state 0: stay (reward 1) or go to 1; state 1: a fair coin between 0 and 1 (reward 0); gamma = 1/2
    >>> mdp = FiniteMDP(np.array([[[1, 0], [0, 1]], [[F(1, 2), F(1, 2)], [F(1, 2), F(1, 2)]]], dtype=object),
    ...                 np.array([[1, 0], [0, 0]], dtype=object), gamma=F(1, 2))
    >>> v, _ = analytic.optimal_value(mdp)
    >>> [analytic.bellman_optimality_residual(mdp, u).T.tolist() for u in (v, [0, 0])]
    [[[0, 0]], [[1, 0]]]
    """
    P, R, g = rational_model(mdp)
    S, A = mdp.n_states, mdp.n_actions
    v = sympy.Matrix(v)
    out = sympy.zeros(S, 1)
    for s in range(S):
        vals = [R[s, a] + g * (P[a][s, :] * v)[0, 0] for a in range(A) if mdp.action_mask[s, a]]
        out[s, 0] = max(vals) - v[s, 0]
    return out


def optimal_value(mdp, *, max_iterations: int | None = None):
    r"""Exact optimal value :math:`v^*` and an optimal deterministic policy, certified.

    Runs Howard's policy iteration in rational arithmetic (greedy ties kept
    on the incumbent action, then lowest index) and *certifies* the answer:
    the returned ``v`` satisfies the Bellman optimality equation
    :math:`Tv = v` exactly, and :math:`v^*` is its unique solution
    (Puterman 2005, Theorem 6.2.5). PI terminates within the number of
    deterministic policies (Puterman 2005, Theorem 6.4.2).

    Returns
    -------
    v : sympy.Matrix, shape (S, 1)
    policy : numpy.ndarray of int64, shape (S,)

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.proofs_checks.analytic import optimal_value
    >>> mdp = FiniteMDP(np.ones((1, 2, 1), dtype=int), np.array([[1, 3]]), gamma=0.5)
    >>> v, pi = optimal_value(mdp)
    >>> v, pi
    (Matrix([[6]]), array([1]))
    """
    if mdp.gamma >= 1:
        raise ValueError(f"optimal_value needs a discount gamma < 1, got {mdp.gamma}")
    P, R, g = rational_model(mdp)
    S = mdp.n_states
    mask = np.asarray(mdp.action_mask)
    policy = np.array([int(np.flatnonzero(mask[s])[0]) for s in range(S)], dtype=np.int64)
    limit = (
        max_iterations
        if max_iterations is not None
        else int(np.prod([mask[s].sum() for s in range(S)], dtype=object)) + 1
    )
    for _ in range(limit):
        v = value_function(mdp, policy)
        new = policy.copy()
        for s in range(S):
            best_a, best = int(policy[s]), R[s, policy[s]] + g * (P[policy[s]][s, :] * v)[0, 0]
            for a in np.flatnonzero(mask[s]):
                q = R[s, a] + g * (P[a][s, :] * v)[0, 0]
                if q > best:
                    best_a, best = int(a), q
            new[s] = best_a
        if np.array_equal(new, policy):
            residual = bellman_optimality_residual(mdp, v)
            if any(x != 0 for x in residual):  # pragma: no cover - would be a bug in this oracle
                raise RuntimeError("exact policy iteration stopped at a non-fixed point of T")
            return v, policy
        policy = new
    raise RuntimeError(f"exact policy iteration did not stop within {limit} iterations")  # pragma: no cover
