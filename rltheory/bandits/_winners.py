r"""Winners of a preference matrix: Condorcet, Copeland, Borda and the von Neumann winner (maximal lottery).

For :math:`P_{ij} = \Pr(i \succ j)`:

* the **Condorcet winner** is the alternative :math:`c` with :math:`P_{cj} > 1/2` for every
  :math:`j \ne c` (it need not exist: rock-paper-scissors has none);
* the **Copeland score** of :math:`i` is :math:`|\{j \ne i: P_{ij} > 1/2\}| / (K - 1)` (normalized as in
  Zoghi, Karnin, Whiteson & de Rijke 2015, *Copeland dueling bandits*, NeurIPS, Sec. 2); Copeland
  winners maximize it (a Condorcet winner is the unique Copeland winner with score 1);
* the **Borda score** of :math:`i` is :math:`\sum_{j \ne i} P_{ij} / (K - 1)`, the probability that
  :math:`i` beats a uniformly random other alternative;
* a **von Neumann winner** (the *maximal lottery* of Kreweras 1965 and Fishburn 1984) is a mixed
  strategy :math:`p` of the symmetric zero-sum game with payoff :math:`P - 1/2`:
  :math:`\min_j \sum_i p_i P_{ij} \ge 1/2`. It always exists (von Neumann's minimax theorem; the game
  is antisymmetric, so its value is 0) and is the point mass on the Condorcet winner when there is
  one. Dudík, Hofmann, Schapire, Slivkins & Zoghi (2015), *Contextual dueling bandits*, COLT, Sec. 3,
  use it as the solution concept for general preferences; Wang, Liu & Jin (2023), *Is RLHF more
  difficult than standard RL?*, NeurIPS, reduce preference-based RL with general preferences to
  finding it through a two-player zero-sum game (and, for Bradley-Terry preferences, to
  reward-based RL: the reward-maximizing alternative is the Condorcet winner).

:func:`von_neumann_winner` solves the linear program with SciPy's HiGHS (``linprog``) and certifies it (status, primal
feasibility, the duality gap of the LP and the exploitability of the lottery).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_tol, readonly
from ._preference_models import BradleyTerry, PlackettLuce, PreferenceMatrix

__all__ = [
    "VonNeumannWinnerResult",
    "borda_scores",
    "borda_winner",
    "condorcet_winner",
    "copeland_scores",
    "copeland_winners",
    "von_neumann_winner",
]


def _matrix(model, who) -> np.ndarray:
    if isinstance(model, (PreferenceMatrix, BradleyTerry, PlackettLuce)):
        return np.asarray(model.matrix)
    if isinstance(model, np.ndarray) or isinstance(model, (list, tuple)):
        return np.asarray(PreferenceMatrix(model).matrix)
    raise ValueError(f"{who} needs a preference model or a (K, K) preference matrix, got {type(model).__name__}")


def condorcet_winner(model) -> int | None:
    r"""The Condorcet winner (beats every other alternative with probability > 1/2), or ``None``.

    Examples
    --------
    >>> from rltheory.bandits import BradleyTerry
    >>> condorcet_winner(BradleyTerry([0.0, 2.0, 1.0]))
    1
    >>> condorcet_winner([[0.5, 1.0, 0.0], [0.0, 0.5, 1.0], [1.0, 0.0, 0.5]]) is None  # rock-paper-scissors
    True
    """
    P = _matrix(model, "condorcet_winner")
    K = P.shape[0]
    for c in range(K):
        if all(P[c, j] > 0.5 for j in range(K) if j != c):
            return c
    return None


def copeland_scores(model) -> np.ndarray:
    r"""Normalized Copeland scores :math:`|\{j \ne i: P_{ij} > 1/2\}| / (K - 1)`.

    Examples
    --------
    >>> copeland_scores([[0.5, 0.6, 0.4], [0.4, 0.5, 0.6], [0.6, 0.4, 0.5]]).tolist()
    [0.5, 0.5, 0.5]
    """
    P = _matrix(model, "copeland_scores")
    K = P.shape[0]
    beats = (P > 0.5) & ~np.eye(K, dtype=bool)
    return readonly(beats.sum(axis=1) / (K - 1))


def copeland_winners(model) -> np.ndarray:
    """The alternatives of maximal Copeland score (int64, increasing).

    Examples
    --------
    >>> from rltheory.bandits import BradleyTerry
    >>> copeland_winners(BradleyTerry([0.0, 2.0, 1.0])).tolist()
    [1]
    """
    s = copeland_scores(model)
    return readonly(np.flatnonzero(s == s.max()).astype(np.int64))


def borda_scores(model) -> np.ndarray:
    r"""Borda scores :math:`\sum_{j \ne i} P_{ij} / (K - 1)`.

    Examples
    --------
    >>> borda_scores([[0.5, 0.75], [0.25, 0.5]]).tolist()
    [0.75, 0.25]
    """
    P = _matrix(model, "borda_scores")
    K = P.shape[0]
    return readonly((P.sum(axis=1) - 0.5) / (K - 1))


def borda_winner(model) -> int:
    """The alternative of maximal Borda score (the lowest index among ties).

    Examples
    --------
    >>> borda_winner([[0.5, 0.9], [0.1, 0.5]])
    0
    """
    return int(np.argmax(borda_scores(model)))


@dataclass(frozen=True, eq=False)
class VonNeumannWinnerResult:
    r"""Result of :func:`von_neumann_winner`.

    Attributes
    ----------
    lottery : (K,) float64
        The maximal lottery :math:`p` (non-negative, sums to 1).
    value : float
        :math:`\min_j \sum_i p_i P_{ij}`: the win probability :math:`p` guarantees against any
        alternative (1/2 for an exact von Neumann winner).
    exploitability : float
        :math:`\max_j \Pr(j \succ p) - 1/2 = 1/2 - \text{value}`: how much the best response gains
        (0 for an exact winner; the duality gap of the symmetric game is twice it).
    status : str
        The solver's status (``"optimal"`` when certified).
    duality_gap : float
        :math:`|\text{primal} - \text{dual}|` objective of the linear program, recomputed from the
        dual variables (the opponent's lottery).
    primal_infeasibility : float
        Largest violation of :math:`p \ge 0`, :math:`\sum p = 1` before the final projection.

    Examples
    --------
    >>> res = von_neumann_winner([[0.5, 0.8], [0.2, 0.5]])  # 0 beats 1: the Condorcet winner is the maximal lottery
    >>> res.lottery.round(9).tolist(), round(res.value, 9), round(res.exploitability, 9), res.status
    ([1.0, 0.0], 0.5, 0.0, 'optimal')
    >>> bool(res.duality_gap <= 1e-9), bool(res.primal_infeasibility <= 1e-9)
    (True, True)
    """

    lottery: np.ndarray
    value: float
    exploitability: float
    status: str
    duality_gap: float
    primal_infeasibility: float


def von_neumann_winner(model, *, tol: float = 1e-8) -> VonNeumannWinnerResult:
    r"""The von Neumann winner (maximal lottery) of a preference model, by linear programming.

    Solves :math:`\max_{p \in \Delta_K, v} v` subject to :math:`\sum_i p_i P_{ij} \ge v` for every
    :math:`j` (the row player's program of the zero-sum game with payoff :math:`P`; its value is 1/2
    because :math:`P + P^\top = \mathbf 1 \mathbf 1^\top`). The dual variables of the :math:`K`
    constraints are the column player's optimal lottery :math:`q`; the certificate is checked in
    order: status, primal feasibility (``<= tol``), the LP duality gap
    :math:`|v - \max_i (P q)_i|` (``<= tol``) and the exploitability of :math:`p` (``<= tol``).

    Raises
    ------
    ValueError
        When the solver does not certify the solution (the message says which check failed).

    Examples
    --------
    >>> from rltheory.bandits import BradleyTerry
    >>> res = von_neumann_winner([[0.5, 1.0, 0.0], [0.0, 0.5, 1.0], [1.0, 0.0, 0.5]])  # rock-paper-scissors
    >>> res.lottery.round(6).tolist(), round(res.value, 9), res.status
    ([0.333333, 0.333333, 0.333333], 0.5, 'optimal')
    >>> von_neumann_winner(BradleyTerry([0.0, 2.0, 1.0])).lottery.round(9).tolist()  # the Condorcet winner
    [0.0, 1.0, 0.0]
    """
    from scipy.optimize import linprog

    P = _matrix(model, "von_neumann_winner")
    tol = check_tol(tol)
    K = P.shape[0]
    # variables x = (p_1, ..., p_K, v): minimize -v subject to v - (P^T p)_j <= 0, sum p = 1, p >= 0
    cost = np.zeros(K + 1)
    cost[K] = -1.0
    A_ub = np.hstack([-P.T, np.ones((K, 1))])
    A_eq = np.hstack([np.ones((1, K)), np.zeros((1, 1))])
    bounds = [(0.0, None)] * K + [(None, None)]
    res = linprog(cost, A_ub=A_ub, b_ub=np.zeros(K), A_eq=A_eq, b_eq=[1.0], bounds=bounds, method="highs")
    status = "optimal" if res.status == 0 else str(res.message)
    if res.status != 0:
        raise ValueError(f"von_neumann_winner: the LP solver (HiGHS) did not solve the program: {res.message}")
    raw = np.asarray(res.x[:K], dtype=float)
    infeasible = max(float(-raw.min()), abs(float(raw.sum()) - 1.0), 0.0)
    if infeasible > tol:
        raise ValueError(f"von_neumann_winner: the solution violates p >= 0, sum p = 1 by {infeasible:.3g} > tol")
    lottery = np.clip(raw, 0.0, None)
    lottery /= lottery.sum()
    # the multipliers of the K guarantee constraints (<= 0 for a minimization) are the column player's lottery
    q = np.clip(-np.asarray(res.ineqlin.marginals, dtype=float), 0.0, None)
    if not q.sum() > 0:
        raise ValueError("von_neumann_winner: the solver returned no dual lottery")
    q /= q.sum()
    # the LP dual is min_q max_i (P q)_i; strong duality: both equal the value 1/2 of the game
    primal = float(np.min(P.T @ lottery))
    dual = float(np.max(P @ q))
    gap = abs(dual - primal)
    if gap > tol:
        raise ValueError(f"von_neumann_winner: duality gap {gap:.3g} > tol = {tol:g}")
    exploitability = 0.5 - primal
    if exploitability > tol:
        raise ValueError(f"von_neumann_winner: the lottery is exploitable by {exploitability:.3g} > tol = {tol:g}")
    return VonNeumannWinnerResult(
        lottery=readonly(lottery),
        value=primal,
        exploitability=float(exploitability),
        status=status,
        duality_gap=gap,
        primal_infeasibility=infeasible,
    )
