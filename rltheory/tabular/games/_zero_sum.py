r"""Two-player zero-sum (and constant-sum) matrix games by linear programming, with a certificate.

The row player maximizes and the column player minimizes :math:`x^\top A y`.
Von Neumann's minimax theorem (1928) says

.. math::

    \max_{x \in \Delta_m} \min_{j} (x^\top A)_j \;=\; \min_{y \in \Delta_n} \max_i (A y)_i \;=\; v(A),

and the two sides are the primal and dual of one linear program (Dantzig
1951; von Stengel 2022, Sec. 8)::

    primal:  max_{x, v}  v   s.t.  A^T x >= v 1,  1^T x = 1,  x >= 0
    dual:    min_{y, w}  w   s.t.  A y  <= w 1,  1^T y = 1,  y >= 0

The certificate needs no trust in the solver: for *any* mixed strategies
:math:`x, y`,

.. math::

    \min_j (x^\top A)_j \;\le\; v(A) \;\le\; \max_i (A y)_i ,

so ``value_lower`` and ``value_upper`` bracket the value and their
difference, the duality gap, equals ``NashConv(x, y)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize

from rltheory._validation import check_tol, readonly
from rltheory.tabular._lp_certificates import check_certificate
from rltheory.tabular.games._matrix import MatrixGame

__all__ = ["ZeroSumResult", "solve_zero_sum"]


@dataclass(frozen=True, eq=False)
class ZeroSumResult:
    r"""Result of :func:`solve_zero_sum`.

    Attributes
    ----------
    value : float
        Midpoint of ``[value_lower, value_upper]``: the row player's value,
        ``|value - v(A)| <= duality_gap / 2``.
    max_strategy : numpy.ndarray, shape (A_1,)
        The row (maximizing) player's maximin strategy :math:`x`.
    min_strategy : numpy.ndarray, shape (A_2,)
        The column (minimizing) player's minimax strategy :math:`y`.
    value_lower, value_upper : float
        :math:`\min_j (x^\top A)_j \le v(A) \le \max_i (A y)_i`, evaluated
        at the returned strategies.
    duality_gap : float
        ``value_upper - value_lower`` = ``NashConv(x, y)``; at most ``tol``
        times ``max(1, max|A|)``.
    primal_infeasibility, dual_infeasibility : float
        The LP solution's constraint violations (before the strategies were
        renormalized onto the simplex).
    lp_gap : float
        ``|primal objective - dual objective|`` of the LP solution.
    status : str
        ``"optimal"`` (anything else raises).
    solver : str

    Examples
    --------
    >>> from rltheory.tabular.games import MatrixGame, solve_zero_sum
    >>> res = solve_zero_sum(MatrixGame.zero_sum([[1, -1], [-1, 1]]))  # matching pennies: value 0, both mix 50/50
    >>> round(res.value, 9), res.max_strategy.round(6).tolist(), res.min_strategy.round(6).tolist()
    (0.0, [0.5, 0.5], [0.5, 0.5])
    >>> res.status, bool(res.value_lower <= res.value <= res.value_upper), bool(res.duality_gap <= 1e-9)
    ('optimal', True, True)
    """

    value: float
    max_strategy: np.ndarray
    min_strategy: np.ndarray
    value_lower: float
    value_upper: float
    duality_gap: float
    primal_infeasibility: float
    dual_infeasibility: float
    lp_gap: float
    status: str
    solver: str


def _row_matrix(game, who: str) -> tuple[np.ndarray, float]:
    """The row player's payoff matrix of a two-player constant-sum game and the constant."""
    if not isinstance(game, MatrixGame):
        raise ValueError(
            f"{who} needs a MatrixGame, got {type(game).__name__}; wrap a payoff matrix A as MatrixGame.zero_sum(A)"
        )
    if game.n_players != 2:
        raise ValueError(f"{who} needs a two-player game, got {game.n_players} players")
    c = game.constant_sum
    if c is None:
        total = game.payoffs[0] + game.payoffs[1]
        i, j = (int(k) for k in np.unravel_index(np.argmax(total), total.shape))
        k, l = (int(k) for k in np.unravel_index(np.argmin(total), total.shape))
        raise ValueError(
            f"{who} needs a constant-sum game, but payoffs[0] + payoffs[1] is {float(total[i, j])!r} at {(i, j)} "
            f"and {float(total[k, l])!r} at {(k, l)}; use nash_equilibria for general-sum games"
        )
    return np.asarray(game.payoffs[0]), c


def _simplex_clean(p: np.ndarray) -> np.ndarray:
    """Solver output -> a probability vector (negative rounding noise to 0, renormalized)."""
    p = np.maximum(np.asarray(p, dtype=float), 0.0)
    s = p.sum()
    if not np.isfinite(s) or s <= 0:
        return np.full(p.shape, 1.0 / p.size)
    return p / s


def _lp_solve(A: np.ndarray, tol: float):
    """Solve the row player's LP with HiGHS; check status, feasibility, LP gap. Returns (x, y, pinf, dinf, gap)."""
    m, n = A.shape
    scale = max(1.0, float(np.max(np.abs(A))))
    # variables (x_1..x_m, v); minimize -v
    c = np.zeros(m + 1)
    c[-1] = -1.0
    A_ub = np.hstack([-A.T, np.ones((n, 1))])  # v - (A^T x)_j <= 0
    b_ub = np.zeros(n)
    A_eq = np.zeros((1, m + 1))
    A_eq[0, :m] = 1.0
    bounds = [(0, None)] * m + [(None, None)]
    res = scipy.optimize.linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[1.0], bounds=bounds, method="highs")
    # ---- 1. status
    if res.status != 0:
        raise RuntimeError(
            f"the LP solver (HiGHS) ended with status {res.status} ({res.message!r}) on a {m}x{n} matrix game"
        )
    x, v = res.x[:m], float(res.x[-1])
    y = -np.asarray(res.ineqlin.marginals, dtype=float)  # dual of A^T x >= v 1: the column player's y
    w = -float(res.eqlin.marginals[0])  # dual objective: max_i (A y)_i at optimum
    # ---- 2. primal feasibility
    pinf = max(0.0, float(-x.min()), abs(float(x.sum()) - 1.0), float(np.max(v - A.T @ x)))
    # ---- 3. dual feasibility
    dinf = max(0.0, float(-y.min()), abs(float(y.sum()) - 1.0), float(np.max(A @ y - w)))
    # ---- 4. LP duality gap
    gap = abs(v - w)
    limit = tol * scale  # tol times max(1, max|A|)
    check_certificate(
        [("primal infeasibility", pinf, limit), ("dual infeasibility", dinf, limit), ("LP duality gap", gap, limit)],
        "HiGHS",
        tol,
        what=f"the {m}x{n} matrix game's LP",
    )
    return x, y, pinf, dinf, gap


def solve_zero_sum(game: MatrixGame, *, tol: float = 1e-9) -> ZeroSumResult:
    r"""Value and optimal strategies of a two-player zero-sum (or constant-sum) matrix game, certified.

    Solves the LP of the module docstring with HiGHS (``scipy.optimize.linprog``)
    and checks, in order: the solver status (optimal), primal feasibility,
    dual feasibility and the LP duality gap, each ``<= tol * max(1, max|A|)``.
    The LP's strategies are then put exactly on the simplex (negative
    rounding noise set to 0, renormalized) and certified on their own:
    ``value_lower = min_j (x^T A)_j <= v(A) <= max_i (A y)_i = value_upper``
    holds for any mixed ``x, y`` (weak duality), and ``duality_gap =
    value_upper - value_lower`` (the NashConv of ``(x, y)``) must be
    ``<= tol * max(1, max|A|)``.

    For a constant-sum game ``u_1 + u_2 = c`` the matrix is the row player's
    ``A = payoffs[0]`` and the column player's value is ``c - value``
    (constant-sum and zero-sum games have the same equilibria).

    Parameters
    ----------
    game : MatrixGame
        Two players, ``payoffs[0] + payoffs[1]`` constant (see
        :attr:`MatrixGame.constant_sum`).
    tol : float, default 1e-9
        Relative acceptance threshold of every check.

    Returns
    -------
    ZeroSumResult

    Raises
    ------
    ValueError
        When ``game`` is not a two-player constant-sum :class:`MatrixGame`.
    RuntimeError
        When a check fails (the message names which and by how much).

    References
    ----------
    J. von Neumann, "Zur Theorie der Gesellschaftsspiele", Math. Annalen 100 (1928).
    G. B. Dantzig, "A proof of the equivalence of the programming problem and
    the game problem", in *Activity Analysis of Production and Allocation* (1951).
    B. von Stengel, *Game Theory Basics*, Cambridge University Press (2022), Ch. 8.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MatrixGame, solve_zero_sum
    >>> res = solve_zero_sum(MatrixGame.zero_sum([[0, -1, 1], [1, 0, -1], [-1, 1, 0]]))  # rock-paper-scissors
    >>> round(res.value, 12), np.round(res.max_strategy, 6), res.duality_gap <= 1e-9
    (0.0, array([0.333333, 0.333333, 0.333333]), True)
    >>> res = solve_zero_sum(MatrixGame.zero_sum([[3, -1], [-2, 1]]))  # value (3 - 2) / (3 + 1 + 2 + 1) = 1/7
    >>> abs(res.value - 1 / 7) <= res.duality_gap / 2 + 1e-15
    True
    """
    tol = check_tol(tol)
    A, _ = _row_matrix(game, "solve_zero_sum")
    scale = max(1.0, float(np.max(np.abs(A))))
    x, y, pinf, dinf, gap = _lp_solve(A, tol)
    x, y = _simplex_clean(x), _simplex_clean(y)
    lower = float(np.min(x @ A))
    upper = float(np.max(A @ y))
    dgap = upper - lower
    if not dgap <= tol * scale:
        raise RuntimeError(
            f"the equilibrium certificate failed: duality gap max(A y) - min(x^T A) = {dgap:.3e} > {tol * scale:.3e}"
        )
    return ZeroSumResult(
        value=0.5 * (lower + upper),
        max_strategy=readonly(x),
        min_strategy=readonly(y),
        value_lower=lower,
        value_upper=upper,
        duality_gap=max(dgap, 0.0),
        primal_infeasibility=pinf,
        dual_infeasibility=dinf,
        lp_gap=gap,
        status="optimal",
        solver="HIGHS",
    )
