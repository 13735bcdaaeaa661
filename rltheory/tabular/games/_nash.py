r"""Nash equilibria of two-player general-sum (bimatrix) games: support enumeration and Lemke-Howson.

Notation: the row player has payoff matrix ``A`` (``m x n``), the column
player ``B``; a pair ``(x, y)`` is a Nash equilibrium iff every pure
strategy in the support of ``x`` is a best response to ``y`` and vice versa
(the *best-response condition*, Nash 1951; von Stengel 2007, Sec. 3.2):

.. math::

    x_i > 0 \Rightarrow (A y)_i = \max_k (A y)_k, \qquad
    y_j > 0 \Rightarrow (x^\top B)_j = \max_l (x^\top B)_l .

Every equilibrium returned is verified by this condition in the form
``NashConv(x, y) <= tol * max(1, max|A|, max|B|)``
(:func:`~rltheory.tabular.games.exploitability`), never by comparison with
another solver.

*Support enumeration* (von Stengel 2007, Sec. 3.3): for every
pair of supports ``I, J`` of equal size ``k`` solve the indifference
equations ``(A y)_i = u`` (``i in I``), ``sum y_J = 1``, ``(x^T B)_j = w``
(``j in J``), ``sum x_I = 1``; keep the nonnegative solutions that satisfy the
best-response condition. In a *nondegenerate* game (no mixed strategy with
support of size ``k`` has more than ``k`` pure best responses) every
equilibrium has supports of equal size and the indifference systems are
nonsingular, so this finds *all* equilibria (von Stengel 2007, Sec. 3.3). A
degenerate game can have continua of equilibria; support enumeration then
returns the verified equilibria with nonsingular systems, which need not be
all of them.

*Lemke-Howson* (Lemke & Howson 1964; von Stengel 2007, Sec. 3.4-3.5) follows
the path of almost completely labeled vertex pairs of the best-response
polytopes ``P = {x >= 0 : B^T x <= 1}`` and ``Q = {y >= 0 : A y <= 1}``
(payoffs shifted to be positive, which changes no equilibrium) from
``(0, 0)`` after dropping one label ``k in {0, ..., m + n - 1}`` (labels
``0..m-1`` are the row player's pure strategies, ``m..m+n-1`` the column
player's). Complementary pivoting on the two tableaux uses the
lexicographic minimum-ratio rule, so it also terminates on degenerate games
(von Stengel 2002, Sec. 6). Every label is tried.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from rltheory._validation import check_choice, check_tol, readonly
from rltheory.tabular.games._matrix import MatrixGame, _gains

__all__ = ["NashEquilibriaResult", "nash_equilibria"]

#: Two equilibria closer than this (sup norm over both strategies) are reported once.
DEDUPLICATION_ATOL = 1e-7

_METHODS = ("support", "lemke-howson")


@dataclass(frozen=True, eq=False)
class NashEquilibriaResult:
    r"""Result of :func:`nash_equilibria`.

    Attributes
    ----------
    row_strategies : numpy.ndarray, shape (k, m)
        The row player's strategy at each of the ``k`` equilibria found.
    column_strategies : numpy.ndarray, shape (k, n)
    payoffs : numpy.ndarray, shape (k, 2)
        ``(x^T A y, x^T B y)`` at each equilibrium.
    nash_conv : numpy.ndarray, shape (k,)
        The certificate of each equilibrium: ``NashConv(x, y)``, each
        ``<= tol * max(1, max|A|, max|B|)``.
    label_equilibrium : numpy.ndarray of int64, shape (m + n,) or (0,)
        Lemke-Howson: ``label_equilibrium[k]`` is the index (into the rows
        above) of the equilibrium reached after dropping label ``k``. Empty
        for support enumeration.
    method : str
        ``"support"`` or ``"lemke-howson"``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MatrixGame, nash_equilibria
    >>> bos = MatrixGame([[[2, 0], [0, 1]], [[1, 0], [0, 2]]])  # battle of the sexes
    >>> res = nash_equilibria(bos, "support")  # two pure equilibria and the mixed one x = (2/3, 1/3), y = (1/3, 2/3)
    >>> res.row_strategies.round(6).tolist()
    [[1.0, 0.0], [0.0, 1.0], [0.666667, 0.333333]]
    >>> res.column_strategies.round(6).tolist()
    [[1.0, 0.0], [0.0, 1.0], [0.333333, 0.666667]]
    >>> res.payoffs.round(6).tolist()  # (2, 1), (1, 2), and 2/3 for both at the mixed equilibrium
    [[2.0, 1.0], [1.0, 2.0], [0.666667, 0.666667]]
    >>> res.method, bool(np.all(res.nash_conv <= 1e-9))
    ('support', True)
    """

    row_strategies: np.ndarray
    column_strategies: np.ndarray
    payoffs: np.ndarray
    nash_conv: np.ndarray
    label_equilibrium: np.ndarray
    method: str

    @property
    def n_equilibria(self) -> int:
        """Number of distinct equilibria found.

        Examples
        --------
        >>> from rltheory.tabular.games import MatrixGame, nash_equilibria
        >>> pd = MatrixGame([[[3, 0], [5, 1]], [[3, 5], [0, 1]]])  # prisoner's dilemma: defection strictly dominates
        >>> nash_equilibria(pd, "support").n_equilibria
        1
        """
        return int(self.row_strategies.shape[0])


# ------------------------------------------------------------------ support enumeration
def _indifferent(M: np.ndarray, rows, cols):
    """Solve ``M[rows][:, cols] p = u 1``, ``sum p = 1``; returns ``p`` on ``cols`` or None when singular."""
    k = len(rows)
    K = np.zeros((k + 1, k + 1))
    K[:k, :k] = M[np.ix_(rows, cols)]
    K[:k, k] = -1.0
    K[k, :k] = 1.0
    rhs = np.zeros(k + 1)
    rhs[k] = 1.0
    try:
        sol = np.linalg.solve(K, rhs)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(sol)) or np.max(np.abs(K @ sol - rhs)) > 1e-9 * max(1.0, np.max(np.abs(sol))):
        return None
    return sol[:k]


def _support_enumeration(A: np.ndarray, B: np.ndarray, tol: float):
    m, n = A.shape
    found = []
    for k in range(1, min(m, n) + 1):
        for rows in itertools.combinations(range(m), k):
            for cols in itertools.combinations(range(n), k):
                yJ = _indifferent(A, list(rows), list(cols))
                if yJ is None or np.min(yJ) < -tol:
                    continue
                xI = _indifferent(B.T, list(cols), list(rows))
                if xI is None or np.min(xI) < -tol:
                    continue
                x = np.zeros(m)
                y = np.zeros(n)
                x[list(rows)] = np.maximum(xI, 0.0)
                y[list(cols)] = np.maximum(yJ, 0.0)
                found.append((x / x.sum(), y / y.sum()))
    return found


# ------------------------------------------------------------------ Lemke-Howson
def _pivot(T: np.ndarray, basis: np.ndarray, entering: int, slack_cols: slice) -> int:
    """Lexicographic min-ratio pivot bringing ``entering`` into the basis; returns the leaving variable."""
    col = T[:, entering]
    rows = np.flatnonzero(col > 1e-12)
    if rows.size == 0:  # pragma: no cover - the polytopes are bounded (payoffs > 0)
        raise RuntimeError("Lemke-Howson: unbounded ray (the payoffs were not made positive)")
    # lexicographic order of (rhs, B^{-1} row) / pivot element: B^{-1} is the current slack block
    keys = np.column_stack([T[rows, -1], T[rows][:, slack_cols]]) / col[rows, None]
    order = np.lexsort(keys.T[::-1])
    r = int(rows[order[0]])
    leaving = int(basis[r])
    T[r] /= T[r, entering]
    for i in range(T.shape[0]):
        if i != r and T[i, entering] != 0.0:
            T[i] -= T[i, entering] * T[r]
    basis[r] = entering
    return leaving


def _lemke_howson(A: np.ndarray, B: np.ndarray, label: int, max_pivots: int):
    m, n = A.shape
    A = A - A.min() + 1.0
    B = B - B.min() + 1.0
    # P = {x >= 0 : B^T x + s = 1}: variables x_0..x_{m-1} (labels 0..m-1), s_0..s_{n-1} (labels m..m+n-1)
    TP = np.zeros((n, m + n + 1))
    TP[:, :m] = B.T
    TP[:, m : m + n] = np.eye(n)
    TP[:, -1] = 1.0
    bP = np.arange(m, m + n)
    # Q = {y >= 0 : r + A y = 1}: variables r_0..r_{m-1} (labels 0..m-1), y_0..y_{n-1} (labels m..m+n-1)
    TQ = np.zeros((m, m + n + 1))
    TQ[:, :m] = np.eye(m)
    TQ[:, m : m + n] = A
    TQ[:, -1] = 1.0
    bQ = np.arange(m)
    tableaux = {"P": (TP, bP, slice(m, m + n)), "Q": (TQ, bQ, slice(0, m))}
    side = "P" if label < m else "Q"
    entering = label
    for _ in range(max_pivots):
        T, basis, slack = tableaux[side]
        leaving = _pivot(T, basis, entering, slack)
        if leaving == label:
            break
        entering = leaving
        side = "Q" if side == "P" else "P"
    else:
        raise RuntimeError(f"Lemke-Howson from label {label} did not terminate within {max_pivots} pivots")
    x = np.zeros(m)
    y = np.zeros(n)
    for r, var in enumerate(bP):
        if var < m:
            x[var] = TP[r, -1]
    for r, var in enumerate(bQ):
        if var >= m:
            y[var - m] = TQ[r, -1]
    x = np.maximum(x, 0.0)
    y = np.maximum(y, 0.0)
    return x / x.sum(), y / y.sum()


def nash_equilibria(game: MatrixGame, method: str = "support", *, tol: float = 1e-9) -> NashEquilibriaResult:
    r"""Nash equilibria of a two-player game by support enumeration or Lemke-Howson, each certified.

    Parameters
    ----------
    game : MatrixGame
        Two players (any payoffs).
    method : {"support", "lemke-howson"}
        ``"support"``: all equilibria of a nondegenerate game (module
        docstring); exponential in ``min(m, n)``. ``"lemke-howson"``: one
        path per dropped label (``m + n`` paths), each ending at an
        equilibrium; not all equilibria in general.
    tol : float, default 1e-9
        Certificate threshold: each returned equilibrium has ``NashConv <=
        tol * max(1, max|payoffs|)``; candidate solutions violating it are
        discarded (support enumeration) or raise (Lemke-Howson).

    Returns
    -------
    NashEquilibriaResult
        Distinct equilibria (closer than ``DEDUPLICATION_ATOL`` counts as one),
        in the order found: support enumeration by support size, then
        lexicographically by support; Lemke-Howson by first dropped label.

    Raises
    ------
    ValueError
        When ``game`` is not a two-player :class:`MatrixGame`, or on an
        unknown ``method``.
    RuntimeError
        When a Lemke-Howson path ends at a point failing the certificate
        (numerical breakdown), or exceeds its pivot budget.

    References
    ----------
    J. Nash, "Non-cooperative games", Annals of Mathematics 54 (1951).
    C. E. Lemke and J. T. Howson, "Equilibrium points of bimatrix games",
    J. SIAM 12(2) (1964).
    B. von Stengel, "Computing equilibria for two-person games", in
    *Handbook of Game Theory* Vol. 3, Ch. 45 (2002).
    B. von Stengel, "Equilibrium computation for two-player games in strategic
    and extensive form", Ch. 3 of *Algorithmic Game Theory*, Nisan et al.
    (eds.), Cambridge University Press (2007).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MatrixGame, nash_equilibria
    >>> game = MatrixGame([[[1, 2], [3, 0]], [[0, 2], [3, 1]]])  # nashpy's README example
    >>> res = nash_equilibria(game, "support")
    >>> res.n_equilibria, res.row_strategies, res.column_strategies
    (3, array([[1. , 0. ],
           [0. , 1. ],
           [0.5, 0.5]]), array([[0. , 1. ],
           [1. , 0. ],
           [0.5, 0.5]]))
    >>> bool(np.all(res.nash_conv <= 1e-9))
    True
    >>> nash_equilibria(game, "lemke-howson").label_equilibrium  # labels 0..3 -> equilibrium index
    array([0, 1, 1, 0])
    """
    if not isinstance(game, MatrixGame):
        raise ValueError(f"nash_equilibria needs a MatrixGame, got {type(game).__name__}")
    if game.n_players != 2:
        raise ValueError(
            f"nash_equilibria handles two-player games, got {game.n_players} players; for n players use "
            "correlated_equilibrium / coarse_correlated_equilibrium or the learning dynamics"
        )
    method = check_choice("method", method, _METHODS)
    tol = check_tol(tol)
    A, B = np.asarray(game.payoffs[0]), np.asarray(game.payoffs[1])
    m, n = A.shape
    scale = max(1.0, float(np.max(np.abs(game.payoffs))))
    limit = tol * scale

    def certify(x, y):
        best, value, _ = _gains(game.payoffs, (x, y))
        return float(np.sum(best - value)), value

    eq_x, eq_y, eq_v, eq_c = [], [], [], []

    def index_of(x, y):
        for k, (ex, ey) in enumerate(zip(eq_x, eq_y)):
            if max(np.max(np.abs(ex - x)), np.max(np.abs(ey - y))) <= DEDUPLICATION_ATOL:
                return k
        return -1

    labels = np.empty(0, dtype=np.int64)
    if method == "support":
        for x, y in _support_enumeration(A, B, tol):
            conv, value = certify(x, y)
            if conv <= limit and index_of(x, y) < 0:
                eq_x.append(x), eq_y.append(y), eq_v.append(value), eq_c.append(conv)
    else:
        labels = np.empty(m + n, dtype=np.int64)
        max_pivots = 50 * (m + n) ** 2 + 100
        for label in range(m + n):
            x, y = _lemke_howson(A, B, label, max_pivots)
            conv, value = certify(x, y)
            if not conv <= limit:
                raise RuntimeError(
                    f"Lemke-Howson from label {label} ended at a point with NashConv {conv:.3e} > {limit:.3e}"
                )
            k = index_of(x, y)
            if k < 0:
                eq_x.append(x), eq_y.append(y), eq_v.append(value), eq_c.append(conv)
                k = len(eq_x) - 1
            labels[label] = k
    k = len(eq_x)
    return NashEquilibriaResult(
        row_strategies=readonly(np.array(eq_x).reshape(k, m)),
        column_strategies=readonly(np.array(eq_y).reshape(k, n)),
        payoffs=readonly(np.array(eq_v).reshape(k, 2)),
        nash_conv=readonly(np.array(eq_c, dtype=float)),
        label_equilibrium=readonly(labels),
        method=method,
    )
