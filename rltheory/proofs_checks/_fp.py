"""Floating-point allowances used by the claim checks.

A check compares a floating-point computation with an exact statement, so it
must allow for rounding. The allowances here are a-priori error bounds from
Higham, *Accuracy and Stability of Numerical Algorithms* (2nd ed., SIAM 2002):

* unit roundoff ``u = 2^-53`` (Higham eq. (2.4));
* a dot product of length ``n`` is computed with absolute error at most
  ``gamma_n * sum |x_i y_i|``, ``gamma_n = n u / (1 - n u)`` (Higham
  eq. (3.5), Lemma 3.1), whatever the summation order;
* Gaussian elimination with partial pivoting is backward stable with a
  backward error of ``gamma_{3n} * rho_n`` (Higham Theorem 9.4) and growth
  factor ``rho_n <= 2^(n-1)`` (Higham eq. (9.14)), so the forward error is at
  most ``kappa_inf(A) * 3n * u * 2^(n-1)`` to first order (Higham Theorem 7.2).
"""

from __future__ import annotations

import numpy as np

from rltheory._validation import PROBABILITY_SUM_ATOL

U = 2.0**-53


def gamma_n(n: int) -> float:
    """Higham's ``gamma_n = n u / (1 - n u)``."""
    return n * U / (1 - n * U)


def operator_error(mdp, v) -> float:
    """Bound on ``|fl(T v) - T v|`` for the optimality or a policy evaluation operator.

    ``(Tv)(s) = max_a / sum_a pi(a|s) [r(s,a) + gamma * P(.|s,a) . v]``: a dot of
    length ``S``, a multiplication, an addition and a policy average of length
    ``A``, i.e. at most ``S + A + 3`` rounded operations on each path, each
    term bounded by ``max|r| + ||v||_inf`` (rows sum to 1 within
    ``PROBABILITY_SUM_ATOL``). A factor 2 absorbs the row-sum tolerance.
    """
    S, A = mdp.n_states, mdp.n_actions
    scale = float(np.max(np.abs(mdp.R))) + float(np.max(np.abs(v), initial=0.0))
    return 2.0 * gamma_n(S + A + 3) * scale


#: A stored row of ``P`` sums to at most ``1 + ROW_SUM_EXCESS`` (validated by FiniteMDP).
ROW_SUM_EXCESS = PROBABILITY_SUM_ATOL


def solve_error(n: int, gamma: float, scale: float) -> float:
    """First-order forward-error bound of solving ``(I - gamma P) x = b`` by LU with partial pivoting.

    ``kappa_inf(I - gamma P) <= (1 + gamma) / (1 - gamma)`` for a stochastic
    ``P`` and ``||x|| <= scale``; the bound is ``kappa * gamma_{3n} * 2^(n-1) * scale``,
    doubled for the second-order terms and the rounding of ``b``.
    """
    kappa = (1.0 + gamma) / (1.0 - gamma)
    return 2.0 * kappa * gamma_n(3 * n) * 2.0 ** (n - 1) * scale
