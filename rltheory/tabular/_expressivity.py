r"""Expressivity of Markov rewards: can a task be expressed by a scalar reward? (decided by a linear program).

A task given as a *set of acceptable policies* (SOAP) or a *policy ordering* (PO) over the deterministic
stationary policies of a finite MDP is *realized* by a reward :math:`r` when the start-state values order the
policies as the task does (Abel, Dabney, Harutyunyan, Ho, Littman, Precup & Singh, NeurIPS 2021, Sec. 3-4).
Since :math:`V^\pi(\mu) = \langle r, d^\pi_\mu\rangle` is linear in :math:`r`, realizability is the feasibility of
strict linear inequalities in :math:`r`, decided by one LP (Abel et al. 2021, Theorem 4.3): maximize a margin
:math:`t` subject to the task's inequalities with margin :math:`t` and :math:`\|r\|_\infty \le 1`; the task is
realizable iff :math:`t^* > 0`. For a SOAP the LP dual is

.. math::

    t^* = \tfrac12 \min\big\{ \| \textstyle\sum_g \lambda_g d^{\pi_g} - \sum_b \nu_b d^{\pi_b} \|_1 :
    \lambda \in \Delta_{\text{good}},\ \nu \in \Delta_{\text{bad}} \big\}

(derived here by LP duality): a SOAP is *not* realizable iff some mixture of acceptable policies has the same
occupancy as some mixture of unacceptable ones -- the returned dual weights are that witness. Multi-objective
and constraint specifications (acceptable iff :math:`J_1 \ge c_1` and :math:`J_2 \ge c_2`; an ordering by
:math:`\min_i J_i`) are such tasks, and most cannot be expressed by a scalar Markov reward (Skalse & Abate,
"On the limitations of Markovian rewards to express multi-objective, risk-sensitive, and modal tasks", UAI 2023:
only orderings by a linear combination :math:`w^\top J` always can).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rltheory._validation import check_tol, readonly
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._occupancy_lp import (
    MAX_POLICIES,
    deterministic_policies,
    policy_occupancies,
    resolve_initial_distribution,
    solve_lp,
)

__all__ = [
    "PolicyValues",
    "RealizabilityResult",
    "deterministic_policy_values",
    "realize_policy_order",
    "realize_policy_set",
]


@dataclass(frozen=True, eq=False)
class PolicyValues:
    r"""Result of :func:`deterministic_policy_values`: every deterministic policy and its value vector.

    Attributes
    ----------
    policies : numpy.ndarray of int64, shape (n, S)
        In the enumeration order of the realizability functions.
    values : numpy.ndarray, shape (n, k)
        :math:`J_i(\pi) = \mu^\top v^\pi_{r_i}`.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, deterministic_policy_values
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5, initial_distribution=[1.0])
    >>> deterministic_policy_values(mdp, np.ones((1, 1, 2))).policies.tolist()
    [[0], [1]]
    """

    policies: np.ndarray
    values: np.ndarray


def deterministic_policy_values(
    mdp: FiniteMDP, rewards, *, initial_distribution=None, max_policies: int = MAX_POLICIES
) -> PolicyValues:
    r"""Enumerate the deterministic policies and their value vectors, to build specifications.

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted.
    rewards : array_like, shape (k, S, A)
    initial_distribution : array_like, optional
    max_policies : int

    Returns
    -------
    PolicyValues

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, deterministic_policy_values
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5, initial_distribution=[1.0])
    >>> deterministic_policy_values(mdp, np.array([[[1.0, 0.0]]])).values
    array([[2.],
           [0.]])
    """
    from rltheory.tabular._multiobjective import _check_rewards

    FiniteMDP.require(mdp, "discounted", "deterministic_policy_values")
    r = _check_rewards(mdp, rewards)
    mu = resolve_initial_distribution(mdp, initial_distribution, "deterministic_policy_values")
    pols = deterministic_policies(mdp, max_policies)
    d = policy_occupancies(mdp, pols, mu)
    return PolicyValues(policies=readonly(pols), values=readonly(np.einsum("ksa,nsa->nk", r, d)))


@dataclass(frozen=True, eq=False)
class RealizabilityResult:
    r"""Result of :func:`realize_policy_set` and :func:`realize_policy_order`.

    Attributes
    ----------
    realizable : bool
        ``margin > tol``.
    margin : float
        :math:`t^*`: the largest value margin by which a reward with :math:`\|r\|_\infty \le 1` realizes the task
        (0 when it cannot).
    reward : numpy.ndarray, shape (S, A)
        An optimal :math:`r` of the LP (realizing the task when ``realizable``).
    policies : numpy.ndarray of int64, shape (n, S)
        The enumerated deterministic policies.
    dual_weights : numpy.ndarray, shape (m,)
        The LP multipliers of the task's inequalities (for a SOAP: :math:`\lambda/2` on the acceptable then
        :math:`\nu/2` on the unacceptable policies, the witness of the module docstring).
    status, duality_gap, primal_infeasibility, dual_infeasibility, solver
        The checked LP certificate.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, realize_policy_set
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5, initial_distribution=[1.0])
    >>> res = realize_policy_set(mdp, np.array([True, False]))  # prefer action 0: r = (1, -1), margin 2
    >>> res.realizable, round(res.margin, 6)
    (True, 2.0)
    """

    realizable: bool
    margin: float
    reward: np.ndarray
    policies: np.ndarray
    dual_weights: np.ndarray
    status: str
    duality_gap: float
    primal_infeasibility: float
    dual_infeasibility: float
    solver: str


def _setup(mdp, initial_distribution, max_policies, who):
    FiniteMDP.require(mdp, "discounted", who)
    mu = resolve_initial_distribution(mdp, initial_distribution, who)
    pols = deterministic_policies(mdp, max_policies)
    D = policy_occupancies(mdp, pols, mu).reshape(len(pols), -1)  # (n, S*A)
    return pols, D


def _finish(mdp, pols, sol, n_r, tol, scale):
    if sol.x is None:  # the margin LP is always feasible (r = 0, t = 0) and bounded (|r| <= 1)
        raise RuntimeError(f"the realizability LP is {sol.status} with solver {sol.solver}")
    margin = float(sol.objective)
    realizable = bool(margin > tol * scale)
    return RealizabilityResult(
        realizable=realizable,
        margin=max(0.0, margin) if realizable else 0.0,
        reward=readonly(sol.x[:n_r].reshape(mdp.n_states, mdp.n_actions)),
        policies=readonly(pols),
        dual_weights=readonly(sol.y),
        status=sol.status,
        duality_gap=sol.duality_gap,
        primal_infeasibility=sol.primal_infeasibility,
        dual_infeasibility=sol.dual_infeasibility,
        solver=sol.solver,
    )


def realize_policy_set(
    mdp: FiniteMDP,
    acceptable,
    *,
    initial_distribution=None,
    tol: float = 1e-7,
    max_policies: int = MAX_POLICIES,
    solver: str | None = None,
    solver_options: dict | None = None,
) -> RealizabilityResult:
    r"""Decide whether a set of acceptable policies (SOAP) is realized by some Markov reward (range SOAP).

    The LP (Abel et al. 2021, Theorem 4.3, over all deterministic policies rather than their polynomial fringe)

    .. math::

        \max_{r, c, t}\ t \quad\text{s.t.}\quad \langle r, d^{\pi_g}\rangle \ge c + t\ \ (g \text{ acceptable}),
        \quad \langle r, d^{\pi_b}\rangle \le c - t\ \ (b \text{ not}),\quad -1 \le r \le 1

    is always feasible; the SOAP is realizable (every acceptable policy strictly better from :math:`\mu` than
    every other) iff :math:`t^* > 0`, and then :math:`r^*` realizes it. Otherwise the dual weights give
    mixtures of acceptable and unacceptable policies with equal occupancies (module docstring).

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted; ``R`` is not used.
    acceptable : array_like of bool, shape (n,)
        Over the deterministic policies in the order of :func:`deterministic_policy_values` (and of
        ``RealizabilityResult.policies``); at least one acceptable and one unacceptable.
    initial_distribution : array_like, optional
        :math:`\mu` (Abel et al.'s start state: a point mass).
    tol : float
        Certificate threshold, and the margin below which the task is declared not realizable (relative to
        :math:`1/(1-\gamma)`).
    max_policies, solver, solver_options

    Returns
    -------
    RealizabilityResult

    References
    ----------
    D. Abel, W. Dabney, A. Harutyunyan, M. K. Ho, M. L. Littman, D. Precup, S. Singh, "On the expressivity of
    Markov reward", NeurIPS 2021, Theorems 4.1 and 4.3.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, realize_policy_set
    >>> P = np.zeros((2, 2, 2)); P[0, :, 0] = 1.0; P[1, :, 1] = 1.0  # every action stays put
    >>> mdp = FiniteMDP(P, np.zeros((2, 2)), gamma=0.5, initial_distribution=[0.5, 0.5])
    >>> xor = np.array([True, False, False, True])  # "same action in both states": (0,0), (1,1)
    >>> realize_policy_set(mdp, xor).realizable  # d(0,0) + d(1,1) = d(0,1) + d(1,0)
    False
    >>> realize_policy_set(mdp, np.array([True, True, False, False])).realizable  # "action 0 in state 0"
    True
    """
    pols, D = _setup(mdp, initial_distribution, max_policies, "realize_policy_set")
    good = np.asarray(acceptable, dtype=bool).ravel()
    if good.shape != (len(pols),):
        raise ValueError(f"acceptable has {good.size} entries, expected one per deterministic policy ({len(pols)})")
    if good.all() or not good.any():
        raise ValueError("acceptable must mark at least one acceptable and one unacceptable policy")
    tol = check_tol(tol)
    n_r = D.shape[1]
    # variables (r, c, t): maximize t
    G, B = D[good], D[~good]
    A_ub = sp.vstack(
        [
            sp.csr_array(np.hstack([-G, np.ones((len(G), 1)), np.ones((len(G), 1))])),  # -<r,d_g> + c + t <= 0
            sp.csr_array(np.hstack([B, -np.ones((len(B), 1)), np.ones((len(B), 1))])),  # <r,d_b> - c + t <= 0
            sp.hstack([sp.eye_array(n_r), sp.csr_array((n_r, 2))]),
            sp.hstack([-sp.eye_array(n_r), sp.csr_array((n_r, 2))]),
        ]
    )
    b_ub = np.r_[np.zeros(len(G) + len(B)), np.ones(2 * n_r)]
    c = np.r_[np.zeros(n_r + 1), 1.0]
    scale = 1.0 / (1.0 - mdp.gamma)
    sol = solve_lp(
        c, A_ub, b_ub, who="realize_policy_set", tol=tol, solver=solver, solver_options=solver_options, scale=scale
    )
    if sol.y is not None:
        sol.y = sol.y[: len(G) + len(B)]
    return _finish(mdp, pols, sol, n_r, tol, scale)


def realize_policy_order(
    mdp: FiniteMDP,
    scores,
    *,
    initial_distribution=None,
    tol: float = 1e-7,
    max_policies: int = MAX_POLICIES,
    solver: str | None = None,
    solver_options: dict | None = None,
) -> RealizabilityResult:
    r"""Decide whether the total preorder of the deterministic policies by ``scores`` is realized by a reward.

    A policy ordering (Abel et al. 2021, Sec. 3, "PO") is realized by :math:`r` when :math:`V^\pi(\mu) >
    V^{\pi'}(\mu)` exactly when ``scores`` ranks :math:`\pi` above :math:`\pi'`, with equal values on ties. The LP

    .. math::

        \max_{r, t}\ t \quad\text{s.t.}\quad \langle r, d^{\pi_{(j+1)}} - d^{\pi_{(j)}}\rangle \ge t
        \ \text{(consecutive score levels)},\quad \langle r, d^{\pi} - d^{\pi'}\rangle = 0 \ \text{(ties)},
        \quad -1 \le r \le 1

    decides it (:math:`t^* > 0`); consecutive levels suffice by transitivity. A multi-objective ordering such as
    :math:`\min_i J_i(\pi)` is generally not realizable, a linear one :math:`w^\top J(\pi)` always is, by
    :math:`r = \sum_i w_i r_i` (Skalse & Abate 2023).

    Parameters
    ----------
    mdp : FiniteMDP
    scores : array_like, shape (n,)
        One score per deterministic policy (enumeration order of :func:`deterministic_policy_values`); scores
        within ``tol`` (relative) are ties; at least two levels.
    initial_distribution, tol, max_policies, solver, solver_options
        As :func:`realize_policy_set`.

    Returns
    -------
    RealizabilityResult

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, deterministic_policy_values, realize_policy_order
    >>> rng = np.random.default_rng(3)
    >>> mdp = FiniteMDP(rng.dirichlet(np.ones(2), size=(2, 2)), np.zeros((2, 2)), gamma=0.8,
    ...                 initial_distribution=[1.0, 0.0])
    >>> J = deterministic_policy_values(mdp, rng.normal(size=(2, 2, 2))).values
    >>> realize_policy_order(mdp, J @ [0.3, 0.7]).realizable  # a linear scalarization: always
    True
    """
    pols, D = _setup(mdp, initial_distribution, max_policies, "realize_policy_order")
    sc = np.asarray(scores, dtype=float).ravel()
    if sc.shape != (len(pols),):
        raise ValueError(f"scores has {sc.size} entries, expected one per deterministic policy ({len(pols)})")
    if not np.all(np.isfinite(sc)):
        raise ValueError("scores must be finite")
    tol = check_tol(tol)
    order = np.argsort(sc, kind="stable")
    eps = tol * max(1.0, float(np.max(np.abs(sc))))
    levels, current = [], [order[0]]
    for i in order[1:]:
        if sc[i] - sc[current[0]] <= eps:
            current.append(i)
        else:
            levels.append(current)
            current = [i]
    levels.append(current)
    if len(levels) < 2:
        raise ValueError("scores must rank at least two policies differently")
    n_r = D.shape[1]
    ub_rows, eq_rows = [], []
    for lo, hi in zip(levels, levels[1:]):
        ub_rows.append(np.r_[-(D[hi[0]] - D[lo[0]]), 1.0])  # t - <r, d_hi - d_lo> <= 0
    for lev in levels:
        for i in lev[1:]:
            eq_rows.append(np.r_[D[i] - D[lev[0]], 0.0])
    A_ub = sp.vstack(
        [
            sp.csr_array(np.array(ub_rows)),
            sp.hstack([sp.eye_array(n_r), sp.csr_array((n_r, 1))]),
            sp.hstack([-sp.eye_array(n_r), sp.csr_array((n_r, 1))]),
        ]
    )
    b_ub = np.r_[np.zeros(len(ub_rows)), np.ones(2 * n_r)]
    A_eq = sp.csr_array(np.array(eq_rows)) if eq_rows else None
    b_eq = np.zeros(len(eq_rows)) if eq_rows else None
    scale = 1.0 / (1.0 - mdp.gamma)
    sol = solve_lp(
        np.r_[np.zeros(n_r), 1.0],
        A_ub,
        b_ub,
        A_eq,
        b_eq,
        who="realize_policy_order",
        tol=tol,
        solver=solver,
        solver_options=solver_options,
        scale=scale,
    )
    if sol.y is not None:
        sol.y = sol.y[: len(ub_rows)]
    return _finish(mdp, pols, sol, n_r, tol, scale)
