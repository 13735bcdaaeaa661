r"""Stochastic shortest path models: properness and the certificate factor of the SSP solvers.

A stochastic shortest path (SSP) model is a :class:`~rltheory.tabular.FiniteMDP`
with ``gamma = 1`` and terminal (absorbing, zero-reward) states. A stationary
policy is *proper* when it reaches a terminal state with probability 1 from
every state (Bertsekas & Tsitsiklis 1991, Sec. 1).

**All policies proper.** Every policy is proper iff the only end components
of the model are the terminal states (a recurrent class of any stationary
policy is an end component, de Alfaro 1997), decided on the graph of the
allowed transitions. Then the largest expected number of steps to
termination

.. math::

    M(s) = \max_\pi \mathbb{E}^\pi_s[\tau], \qquad M = \max_a \big[\mathbf 1 + P_a M\big]
    \text{ on non-terminal states}, \quad M = 0 \text{ on terminal states},

is finite; it is the weight vector :math:`\xi = M` of the weighted sup-norm
in which the Bellman operator is a contraction of modulus
:math:`\max_s (M(s) - 1)/M(s) < 1` (Bertsekas & Tsitsiklis 1996,
*Neuro-Dynamic Programming*, Sec. 2.2.1, Prop. 2.2 and its proof).

:func:`termination_bound` returns a vector :math:`w \ge M` and checks the
inequality that proves it: :math:`w(s) \ge 1 + \sum_j P(j|s,a) w(j)` for every
allowed pair with :math:`s` non-terminal implies, for every policy,
:math:`w \ge \sum_{k<n} P_\pi^k \mathbf 1 + P_\pi^n w \ge
\mathbb{E}^\pi[\min(\tau, n)]`, hence :math:`w \ge M` (and every policy is
proper). The vector is computed by Howard's policy iteration on the model
with reward 1 per step, then inflated by a relative margin until the
inequality holds in floating point with room for the rounding of ``P w``.

References
----------
D. P. Bertsekas and J. N. Tsitsiklis, "An analysis of stochastic shortest
path problems", *Math. Oper. Res.* 16(3), 580-595, 1991.
D. P. Bertsekas and J. N. Tsitsiklis, *Neuro-Dynamic Programming*, Athena
Scientific, 1996, Sec. 2.2.1.
L. de Alfaro, *Formal verification of probabilistic systems*, PhD thesis,
Stanford, 1997 (end components).
"""

from __future__ import annotations

import weakref

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from rltheory.tabular._average_reward import _end_components, _support_rows
from rltheory.tabular._model import MAX_VALUE_SCALE, FiniteMDP

__all__ = ["termination_bound"]

#: One certificate per model (models are immutable; the cache holds no strong reference).
_CACHE: "weakref.WeakKeyDictionary[FiniteMDP, np.ndarray | None]" = weakref.WeakKeyDictionary()


def _improper_components(mdp: FiniteMDP) -> list[np.ndarray]:
    """End components that contain a non-terminal state: each carries an improper policy."""
    terminal = np.zeros(mdp.n_states, dtype=bool)
    terminal[mdp.terminal_states] = True
    ecs = _end_components(_support_rows(mdp), np.asarray(mdp.action_mask))
    return [c for c in ecs if not terminal[c].all()]


def _longest_expected_time(mdp: FiniteMDP, transient: np.ndarray) -> np.ndarray:
    """Howard's policy iteration for max_pi E[tau] (reward 1 per step); every policy proper, so it terminates."""
    S, A = mdp.n_states, mdp.n_actions
    P = mdp.csr_P
    mask = np.asarray(mdp.action_mask)
    n = transient.size
    pos = np.full(S, -1, dtype=np.int64)
    pos[transient] = np.arange(n)
    pi = np.argmax(mask, axis=1).astype(np.int64)
    m = np.zeros(S)
    for _ in range(10 * S * A + 10):  # Howard's policy iteration ends after at most prod_s |A(s)| evaluations
        rows = sp.csr_array(P[transient * A + pi[transient]])[:, transient]
        M = sp.csc_array(sp.eye_array(n, format="csr") - rows)
        m_t = np.atleast_1d(spla.spsolve(M, np.ones(n)))
        m = np.zeros(S)
        m[transient] = m_t
        q = np.where(mask, 1.0 + np.asarray(P @ m).reshape(S, A), -np.inf)
        best = q.max(axis=1)
        better = best > q[np.arange(S), pi] + 1e-12 * max(1.0, float(np.max(np.abs(m))))
        better[pos < 0] = False
        if not better.any():
            return m
        pi = np.where(better, np.argmax(q, axis=1), pi)
    return m


def termination_bound(mdp: FiniteMDP) -> np.ndarray | None:
    r"""A certified upper bound ``w >= M`` on the largest expected time to termination, or None.

    ``None`` when some policy is improper (an end component without a
    terminal state exists), or when no inflation of the computed ``M`` passes
    the check ``w >= 1 + P_a w`` in floating point. ``w`` is 0 on terminal
    states. Computed once per model.

    Examples
    --------
    A chain 0 -> 1 -> 2 (terminal) with a 'stay' that leaves with probability 1/2:

    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.tabular._ssp import termination_bound
    >>> P = np.zeros((3, 2, 3)); P[0, 0, 1] = P[1, 0, 2] = P[2, :, 2] = 1.0
    >>> P[0, 1, [0, 1]] = P[1, 1, [1, 2]] = 0.5
    >>> w = termination_bound(FiniteMDP(P, np.zeros((3, 2)), gamma=1.0, terminal_states=[2]))
    >>> np.round(w, 6)  # M(1) = 2 (stay), M(0) = 2 + M(1) = 4
    array([4., 2., 0.])
    """
    if mdp in _CACHE:
        return _CACHE[mdp]
    out = None
    if not _improper_components(mdp):
        S, A = mdp.n_states, mdp.n_actions
        terminal = np.zeros(S, dtype=bool)
        terminal[mdp.terminal_states] = True
        transient = np.flatnonzero(~terminal)
        if transient.size == 0:
            out = np.zeros(S)
        else:
            m = _longest_expected_time(mdp, transient)
            P = mdp.csr_P
            mask = np.asarray(mdp.action_mask)
            rows = (mask & ~terminal[:, None]).ravel()
            nnz_row = int(np.max(np.diff(P.indptr))) if P.nnz else 1
            eps = np.finfo(float).eps
            excess = float(np.max(np.where(rows, 1.0 + P @ m - np.repeat(m, A), -np.inf)))
            eta = max(1e-12, 4.0 * max(excess, 0.0))
            while eta <= 1e-3 and np.isfinite(m).all():
                w = np.where(terminal, 0.0, m * (1.0 + eta))
                margin = 4.0 * (nnz_row + 2) * eps * max(1.0, float(np.max(w)))
                slack = np.where(rows, 1.0 + P @ w - np.repeat(w, A), -np.inf)
                if float(np.max(slack)) <= -margin:
                    out = w
                    break
                eta *= 16.0
    if out is not None:
        out.flags.writeable = False
    _CACHE[mdp] = out
    return out


def check_ssp_value_scale(mdp: FiniteMDP, w: np.ndarray | None, who: str) -> None:
    """Refuse an SSP whose value scale ``max |r| * max_s w(s)`` (a bound on ``||v^pi||_inf``) exceeds MAX_VALUE_SCALE."""
    if w is None:
        return
    r_max = float(np.max(np.abs(np.asarray(mdp.R)[np.asarray(mdp.action_mask)])))
    if not r_max * float(np.max(w)) <= MAX_VALUE_SCALE:
        raise ValueError(
            f"{who}: the value scale max|r| * max_s M(s) = {r_max:g} * {float(np.max(w)):g} exceeds "
            f"{MAX_VALUE_SCALE:g}, so values and their certificates would overflow float64; rescale the rewards"
        )
