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
_CACHE: weakref.WeakKeyDictionary[FiniteMDP, np.ndarray | None] = weakref.WeakKeyDictionary()


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
    # Howard's policy iteration ends after finitely many evaluations, in practice a few; near-ties of a badly
    # conditioned model could make it cycle in floating point, so it stops after 200 (the check of w decides)
    for _ in range(200):
        rows = sp.csr_array(P[transient * A + pi[transient]])[:, transient]
        M = sp.csc_array(sp.eye_array(n, format="csr") - rows)
        m_t = np.atleast_1d(spla.spsolve(M, np.ones(n)))
        m = np.zeros(S)
        m[transient] = m_t
        q = np.where(mask, 1.0 + np.asarray(P @ m).reshape(S, A), -np.inf)
        best = q.max(axis=1)
        better = best > q[np.arange(S), pi] + 1e-9 * max(1.0, float(np.max(np.abs(m))))
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
    """Refuse an SSP whose value scale ``max |r| * max_s w(s)`` (bounding ``||v^pi||_inf``) exceeds MAX_VALUE_SCALE."""
    if w is None:
        return
    r_max = float(np.max(np.abs(np.asarray(mdp.R)[np.asarray(mdp.action_mask)])))
    if not r_max * float(np.max(w)) <= MAX_VALUE_SCALE:
        raise ValueError(
            f"{who}: the value scale max|r| * max_s M(s) = {r_max:g} * {float(np.max(w)):g} exceeds "
            f"{MAX_VALUE_SCALE:g}, so values and their certificates would overflow float64; rescale the rewards"
        )


def negative_cost_margin(mdp: FiniteMDP) -> float | None:
    """``c = -max r(s, a)`` over allowed pairs of non-terminal states when it is > 0, else None.

    Every step then costs at least ``c``: an improper policy has reward ``-inf`` from some state (the
    assumption of Bertsekas & Tsitsiklis 1991), and ``v^pi <= -c m^pi`` for every proper policy.
    """
    keep = np.ones(mdp.n_states, dtype=bool)
    keep[mdp.terminal_states] = False
    r = np.asarray(mdp.R)[np.asarray(mdp.action_mask) & keep[:, None]]
    if r.size == 0:
        return None
    c = -float(np.max(r))
    return c if c > 0 else None


def negative_cost_bounds(mdp: FiniteMDP, c: float, tv: np.ndarray, dmin: float, dmax: float, pi: np.ndarray):
    r"""``(v_lower, v_upper)`` bracketing ``v^pi`` and ``v*`` when every step costs at least ``c > 0``, or None.

    For ``v`` zero on terminal states, ``tv = T v``, ``d = T v - v`` with ``min d = dmin``, ``max d = dmax``, and
    ``pi`` greedy for ``v``: with :math:`\delta = \max(-\min d, 0) < c` and ``pi`` proper (checked on its graph),

    .. math::

        m^\pi \le \bar m = \frac{-T v - \delta}{c - \delta}, \qquad
        v_{lower} = T v - \delta (\bar m - 1) \le v^\pi \le v^*, \qquad
        v^* \le v_{upper} = T v + \max(\max d, 0)\,\big(-v_{lower}/c - 1\big)^+ .

    Derived here: :math:`v^\pi - T v = P^\pi N^\pi d \ge -\delta (m^\pi - 1)` and :math:`v^\pi = N^\pi r^\pi \le
    -c\, m^\pi` give :math:`(c - \delta) m^\pi \le -T v - \delta`; above, :math:`v^* - T v \le \max(\max d, 0)
    (m^{\pi^*} - 1)` (see :mod:`rltheory.tabular._value_iteration`) with :math:`m^{\pi^*} \le -v^*/c \le
    -v_{lower}/c` for an optimal proper policy :math:`\pi^*`, which exists under the assumptions of Bertsekas &
    Tsitsiklis (1991) (``pi`` is a proper policy, and every improper one has reward :math:`-\infty`).
    """
    from rltheory.tabular._policy_evaluation import _states_not_reaching

    delta = max(-float(dmin), 0.0)
    if not delta < c or not (np.isfinite(tv).all() and np.isfinite(dmax)):
        return None
    S, A = mdp.n_states, mdp.n_actions
    rows = sp.csr_array(mdp.csr_P[np.arange(S) * A + np.asarray(pi)])
    if _states_not_reaching(rows, mdp.terminal_states).size:
        return None
    terminal = np.zeros(S, dtype=bool)
    terminal[mdp.terminal_states] = True
    m_bar = (-tv - delta) / (c - delta)
    low = np.where(terminal, 0.0, tv - delta * np.maximum(m_bar - 1.0, 0.0))
    up = np.where(terminal, 0.0, tv + max(float(dmax), 0.0) * np.maximum(-low / c - 1.0, 0.0))
    return low, up


def certify(mdp: FiniteMDP, v: np.ndarray):
    """``(v_lower, v_upper)`` bracketing ``v*`` for any ``v`` of an SSP that is 0 on terminal states, or None.

    Uses the negative-cost bounds of :func:`negative_cost_bounds` when every step costs at least some ``c > 0``
    (and they apply at ``v``), else the bounds with the largest expected time to termination (every policy proper,
    :func:`termination_bound`; see :mod:`rltheory.tabular._value_iteration`), else None.
    """
    from rltheory.tabular._operators import _backup

    v = np.ascontiguousarray(v, dtype=float)
    if not np.isfinite(v).all() or (v[mdp.terminal_states] != 0).any():
        return None
    tv, pi, dmin, dmax = _backup(mdp, v)
    cost = negative_cost_margin(mdp)
    if cost is not None:
        with np.errstate(over="ignore", invalid="ignore"):
            b = negative_cost_bounds(mdp, cost, tv, dmin, dmax, pi)
        if b is not None:
            return b
    w = termination_bound(mdp)
    if w is None:
        return None
    K = np.maximum(w - 1.0, 0.0)
    K[mdp.terminal_states] = 0.0
    return tv + min(dmin, 0.0) * K, tv + max(dmax, 0.0) * K
