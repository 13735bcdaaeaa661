r"""Logit quantal response equilibria (McKelvey & Palfrey 1995), traced along the principal branch.

A profile ``x`` is a logit QRE at temperature ``tau > 0`` (precision
``lambda = 1 / tau``) when every player plays the softmax of her deviation
payoffs:

.. math::

    x_i = \sigma\big(u_i(\cdot, x_{-i}) / \tau\big), \qquad
    \sigma(q)_a = e^{q_a} / \textstyle\sum_b e^{q_b} .

Equivalently ``x_i`` maximizes the entropy-regularized payoff
``<x_i, u_i(., x_{-i})> + tau H(x_i)``, so a QRE is a Nash equilibrium of the
entropy-regularized game, and its *regularized NashConv*

.. math::

    \sum_i \Big[\tau \log \sum_a e^{u_i(a, x_{-i})/\tau}
      - \big(\langle x_i, u_i(\cdot, x_{-i})\rangle + \tau H(x_i)\big)\Big] \;\ge\; 0

vanishes exactly at a QRE (each bracket is the gap in the Gibbs variational
principle). The fixed-point residual
``max_i ||x_i - sigma(u_i(., x_{-i}) / tau)||_1`` and the regularized
NashConv are computed at the returned profile: they are its certificate.

The QRE correspondence is a smooth curve for generic games, starting at
the uniform profile at ``lambda = 0``; its *principal branch* converges, as
``lambda -> inf``, to a unique Nash equilibrium, the limiting logit
equilibrium (McKelvey & Palfrey 1995, Thm. 2 and 3; for games with a unique
equilibrium any sequence of QREs converges to it). The branch may bend back
in ``lambda`` (Turocy 2005), so it is followed by pseudo-arclength
continuation in ``(z, lambda)`` with ``z = log x`` (predictor along the
tangent, Newton corrector on the bordered system; Allgower & Georg 1990,
Ch. 2), then polished by Newton at ``lambda = 1 / tau``. In two-player
zero-sum games the QRE is unique (the regularized game is strictly
concave-convex).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.special

from rltheory._validation import check_iteration_settings, check_real, readonly
from rltheory.tabular.games._matrix import MatrixGame, _deviation_payoffs, _gains

__all__ = ["QREResult", "qre"]


@dataclass(frozen=True, eq=False)
class QREResult:
    r"""Result of :func:`qre`.

    Attributes
    ----------
    strategies : tuple of numpy.ndarray
        One read-only probability vector per player.
    temperature : float
    residual : float
        ``max_i ||x_i - softmax(u_i(., x_{-i}) / tau)||_1`` at ``strategies``.
    regularized_nash_conv : float
        The entropy-regularized NashConv (module docstring), ``>= 0``, zero
        exactly at a QRE.
    nash_conv : float
        The unregularized NashConv of ``strategies`` (how far from Nash the
        QRE is; at most ``tau * sum_i log A_i`` by the Gibbs bound).
    precision_path : numpy.ndarray, shape (k,)
        The values of ``lambda = 1 / tau`` visited by the continuation
        (not monotone past a turning point).
    iterations : int
        Continuation steps accepted.
    converged : bool
        Whether ``residual <= tol`` within ``max_iter`` steps.

    Examples
    --------
    >>> from rltheory.tabular.games import MatrixGame, qre
    >>> pennies = MatrixGame.zero_sum([[1, -1], [-1, 1]])  # uniform play is a fixed point of the logit map at any tau
    >>> res = qre(pennies, temperature=0.5)
    >>> [x.round(6).tolist() for x in res.strategies], res.temperature, res.converged
    ([[0.5, 0.5], [0.5, 0.5]], 0.5, True)
    >>> bool(res.residual <= 1e-10), bool(res.nash_conv <= 1e-9)  # uniform is also the Nash equilibrium
    (True, True)
    """

    strategies: tuple
    temperature: float
    residual: float
    regularized_nash_conv: float
    nash_conv: float
    precision_path: np.ndarray
    iterations: int
    converged: bool


def _cross(U: np.ndarray, xs, i: int, j: int) -> np.ndarray:
    """``u_i(a, b, x_{-ij})`` as an ``(A_i, A_j)`` matrix (``i != j``)."""
    out = U[i]
    for k in range(len(xs) - 1, -1, -1):
        if k in (i, j):
            continue
        out = np.tensordot(out, xs[k], axes=([k], [0]))
    return out if i < j else out.T


def _certificate(game: MatrixGame, strategies, temperature: float) -> tuple[float, float]:
    """``(fixed-point residual, regularized NashConv)`` of a (validated) profile at ``temperature``."""
    U = np.asarray(game.payoffs)
    res = 0.0
    reg = 0.0
    for i in range(game.n_players):
        u = _deviation_payoffs(U, strategies, i)
        br = scipy.special.softmax(u / temperature)
        x = strategies[i]
        res = max(res, float(np.sum(np.abs(x - br))))
        entropy = float(np.sum(scipy.special.entr(x)))
        reg += temperature * float(scipy.special.logsumexp(u / temperature)) - (float(x @ u) + temperature * entropy)
    return res, reg


class _System:
    """The QRE equations ``H(z, lam) = z_i - log softmax(lam u_i(., exp(z)_{-i}))`` and their Jacobian."""

    def __init__(self, U: np.ndarray):
        self.U = U
        self.sizes = U.shape[1:]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        self.N = int(self.offsets[-1])

    def split(self, z):
        return [np.exp(z[self.offsets[i] : self.offsets[i + 1]]) for i in range(len(self.sizes))]

    def H(self, w):
        z, lam = w[:-1], w[-1]
        xs = self.split(z)
        out = np.empty(self.N)
        for i in range(len(self.sizes)):
            u = _deviation_payoffs(self.U, xs, i)
            sl = slice(self.offsets[i], self.offsets[i + 1])
            out[sl] = z[sl] - (lam * u - scipy.special.logsumexp(lam * u))
        return out

    def J(self, w):
        z, lam = w[:-1], w[-1]
        xs = self.split(z)
        n = len(self.sizes)
        J = np.zeros((self.N, self.N + 1))
        for i in range(n):
            si = slice(self.offsets[i], self.offsets[i + 1])
            u = _deviation_payoffs(self.U, xs, i)
            s = scipy.special.softmax(lam * u)
            J[si, si] = np.eye(self.sizes[i])
            J[si, -1] = -(u - s @ u)
            for j in range(n):
                if j == i:
                    continue
                sj = slice(self.offsets[j], self.offsets[j + 1])
                dU = _cross(self.U, xs, i, j) * xs[j][None, :]  # d u_i(a, x_-i) / d z_j(b)
                J[si, sj] = -lam * (dU - s @ dU)
        return J


def _tangent(J: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    t = np.linalg.svd(J)[2][-1]
    if previous is None:
        return t if t[-1] > 0 else -t
    return t if t @ previous > 0 else -t


def qre(game: MatrixGame, temperature: float, *, tol: float = 1e-10, max_iter: int = 10_000) -> QREResult:
    r"""The logit QRE on the principal branch at ``temperature``, with its fixed-point certificate.

    Parameters
    ----------
    game : MatrixGame
        Any number of players.
    temperature : float
        ``tau > 0``; ``tau -> inf`` is uniform play, ``tau -> 0`` approaches
        the limiting logit equilibrium (a Nash equilibrium).
    tol : float, default 1e-10
        Target fixed-point residual (L1, per player).
    max_iter : int, default 10000
        Maximum number of continuation steps (>= 0).

    Returns
    -------
    QREResult
        ``converged`` is ``residual <= tol``; the certificate fields are
        evaluated at the returned profile.

    References
    ----------
    R. D. McKelvey and T. R. Palfrey, "Quantal response equilibria for normal
    form games", Games and Economic Behavior 10 (1995).
    T. L. Turocy, "A dynamic homotopy interpretation of the logistic quantal
    response equilibrium correspondence", Games and Economic Behavior 51 (2005).
    E. L. Allgower and K. Georg, *Numerical Continuation Methods*, Springer (1990).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MatrixGame, qre
    >>> game = MatrixGame.zero_sum([[9.0, 0.0], [0.0, 1.0]])  # unique Nash: x* = y* = (0.1, 0.9)
    >>> res = qre(game, temperature=0.01)
    >>> res.converged, np.round(res.strategies[0], 3), res.residual <= 1e-10
    (True, array([0.102, 0.898]), True)
    >>> res.regularized_nash_conv <= 1e-9
    True
    """
    if not isinstance(game, MatrixGame):
        raise ValueError(f"qre needs a MatrixGame, got {type(game).__name__}")
    tau = check_real("temperature", temperature, low=0.0, low_open=True)
    tol, max_iter = check_iteration_settings(tol, max_iter)
    scale = max(1e-300, float(np.max(np.abs(game.payoffs))))
    # payoffs scaled to max|u| = 1, precision scaled by the same factor: the same equations
    system = _System(np.asarray(game.payoffs) / scale)
    lam_target = scale / tau
    N = system.N
    w = np.concatenate([np.concatenate([np.full(k, -np.log(k)) for k in system.sizes]), [0.0]])
    t = _tangent(system.J(w), None)
    h = 0.25
    path = [0.0]
    steps = 0
    reached = False
    while steps < max_iter:
        w_pred = w + h * t
        w_new = w_pred.copy()
        ok = False
        for _ in range(12):
            F = np.concatenate([system.H(w_new), [t @ (w_new - w_pred)]])
            if not np.all(np.isfinite(F)):
                break
            K = np.vstack([system.J(w_new), t[None, :]])
            try:
                dw = np.linalg.solve(K, -F)
            except np.linalg.LinAlgError:
                break
            w_new = w_new + dw
            if np.max(np.abs(dw)) <= 1e-11 * max(1.0, np.max(np.abs(w_new))):
                ok = np.max(np.abs(system.H(w_new))) <= 1e-9
                break
        if not ok:
            h *= 0.5
            if h < 1e-10:
                break
            continue
        steps += 1
        if w_new[-1] >= lam_target:
            # the target precision was crossed on this step: interpolate, then Newton at fixed lambda
            frac = (lam_target - w[-1]) / (w_new[-1] - w[-1])
            w = w + frac * (w_new - w)
            w[-1] = lam_target
            reached = True
            break
        t = _tangent(system.J(w_new), t)
        w = w_new
        path.append(float(w[-1]))
        h = min(2.0 * h, 1.0 + 0.1 * abs(w[-1]))
    # Newton at fixed lambda (polish)
    z = w[:-1].copy()
    lam = lam_target if reached else w[-1]
    for _ in range(50):
        wz = np.concatenate([z, [lam]])
        F = system.H(wz)
        try:
            dz = np.linalg.solve(system.J(wz)[:, :N], -F)
        except np.linalg.LinAlgError:
            break
        z = z + dz
        if np.max(np.abs(dz)) <= 1e-14 * max(1.0, np.max(np.abs(z))):
            break
    path.append(float(lam))
    xs = []
    for x in system.split(z):
        x = np.maximum(x, 0.0)
        xs.append(readonly(x / x.sum()))
    xs = tuple(xs)
    residual, reg = _certificate(game, xs, tau)
    best, value, _ = _gains(np.asarray(game.payoffs), xs)
    return QREResult(
        strategies=xs,
        temperature=tau,
        residual=float(residual),
        regularized_nash_conv=float(reg),
        nash_conv=float(np.sum(best - value)),
        precision_path=readonly(np.array(path) / scale),
        iterations=int(steps),
        converged=bool(reached and residual <= tol),
    )
