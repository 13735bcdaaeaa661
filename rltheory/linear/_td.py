r"""Linear policy evaluation: the TD fixed point and its theory, and compiled TD / LSTD / GTD2 / TDC.

Exact objects (NumPy/SciPy, for a :class:`~rltheory.tabular.FiniteMDP`, a
policy :math:`\pi`, state features :math:`\Phi \in \mathbb{R}^{S\times d}` and
weights :math:`D = \mathrm{diag}(\xi)`):

* the default weights :math:`\xi^\top P^\pi = \xi^\top` come from :func:`rltheory.tabular.stationary_distribution` (GTH);
* :func:`projection` -- :math:`\Pi v = \Phi(\Phi^\top D\Phi)^{-1}\Phi^\top D v`;
* :func:`td_fixed_point` -- the solution of the projected Bellman equation
  :math:`\Phi\theta = \Pi T^{(\lambda)}\Phi\theta` with its error bounds;
* :func:`mspbe` -- :math:`\|\Pi T^\pi \Phi\theta - \Phi\theta\|_D^2`.

Sample-based learners (one Numba kernel, parallel over runs, seeded per run
with the xoshiro256++ streams of :mod:`rltheory.bandits`): :func:`td`
(TD(lambda) with accumulating, importance-weighted traces), :func:`lstd`
(LSTD(lambda)), :func:`gtd2` and :func:`tdc` (Sutton et al. 2009), all
off-policy through the importance ratio
:math:`\rho = \pi(a|s)/\mu(a|s)`. :func:`baird_counterexample` builds Baird's
seven-state problem.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from .._validation import check_discount, check_finite, check_probability_vector, readonly
from ..bandits._rng import rng_categorical, run_states
from ..tabular import FiniteMDP, policy_evaluation
from ..tabular import stationary_distribution as tabular_stationary_distribution
from ._features import check_features

__all__ = [
    "BairdCounterexample",
    "LSTDResult",
    "TDFixedPointResult",
    "TDLearningResult",
    "baird_counterexample",
    "gtd2",
    "lstd",
    "mspbe",
    "projection",
    "td",
    "td_fixed_point",
    "tdc",
]

#: |xi^T P - xi^T|_1 below this counts as stationary (the TvR bounds need it).
STATIONARY_ATOL = 1e-9


def _dense(m) -> np.ndarray:
    return np.asarray(m.toarray() if hasattr(m, "toarray") else m, dtype=np.float64)


def _check_mdp(mdp, who: str) -> None:
    if not isinstance(mdp, FiniteMDP):
        raise ValueError(f"{who}: mdp must be a FiniteMDP, got {type(mdp).__name__}")
    if mdp.horizon is not None or mdp.gamma >= 1.0:
        raise ValueError(f"{who}: needs a discounted infinite-horizon model (gamma < 1, horizon None), got gamma={mdp.gamma}, horizon={mdp.horizon}")


def _check_weights(weights, S: int) -> np.ndarray:
    return check_probability_vector("weights", weights, S, atol=1e-8)


def _policy_stationary_distribution(mdp: FiniteMDP, policy) -> np.ndarray:
    """Stationary distribution of :math:`P^\\pi` (GTH, :func:`rltheory.tabular.stationary_distribution`).

    Re-raises the non-uniqueness error with the hint to pass ``weights``.
    """
    try:
        return readonly(tabular_stationary_distribution(mdp.policy_transition(policy)))
    except ValueError as exc:
        raise ValueError(f"{exc}; pass weights explicitly") from None


def projection(features, v, weights) -> np.ndarray:
    r"""The :math:`D`-weighted projection :math:`\Pi v = \Phi(\Phi^\top D \Phi)^{-1}\Phi^\top D v`.

    :math:`\Pi v` is the closest point of :math:`\mathrm{span}(\Phi)` to
    :math:`v` in :math:`\|x\|_D = \sqrt{\sum_s \xi_s x_s^2}`. Computed by a
    weighted least-squares solve (:func:`numpy.linalg.lstsq` on
    :math:`D^{1/2}\Phi`); the projection is unique even when the features
    are linearly dependent.

    Examples
    --------
    >>> import numpy as np
    >>> projection(np.ones((3, 1)), np.array([0.0, 1.0, 2.0]), np.array([0.5, 0.25, 0.25])).round(12).tolist()
    [0.75, 0.75, 0.75]
    """
    v = np.asarray(v, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"v must be 1-d, got shape {v.shape}")
    phi = check_features(features, v.shape[0], full_rank=False)
    xi = _check_weights(weights, v.shape[0])
    check_finite("v", v)
    theta = _weighted_lstsq(phi, v, xi)
    return readonly(phi @ theta)


def _weighted_lstsq(phi, v, xi):
    sq = np.sqrt(xi)
    # minimum-norm least squares: Phi theta is the projection whatever the rank of D^(1/2) Phi
    return np.linalg.lstsq(phi * sq[:, None], v * sq, rcond=None)[0]


def _dnorm(x, xi) -> float:
    return float(np.sqrt(np.sum(xi * x * x)))


@dataclass(frozen=True)
class TDFixedPointResult:
    r"""The TD(lambda) fixed point and its guarantees.

    Attributes
    ----------
    theta : (d,) ndarray
        Solution of :math:`A\theta = b`.
    value : (S,) ndarray
        :math:`\Phi\theta`.
    A, b : (d, d), (d,) ndarray
        :math:`A = \Phi^\top D (I-\lambda\gamma P^\pi)^{-1}(I-\gamma P^\pi)\Phi`,
        :math:`b = \Phi^\top D (I-\lambda\gamma P^\pi)^{-1} r^\pi`.
    weights : (S,) ndarray
        The diagonal of :math:`D`.
    weights_stationary : bool
        Whether ``weights`` is stationary for :math:`P^\pi` (within
        ``STATIONARY_ATOL`` in l1); the bounds below are guarantees only then.
    v_pi : (S,) ndarray
        The exact value :math:`v^\pi`.
    projected_v_pi : (S,) ndarray
        :math:`\Pi v^\pi`.
    approximation_error : float
        :math:`\|\Pi v^\pi - v^\pi\|_D`, the best achievable error.
    error : float
        :math:`\|\Phi\theta - v^\pi\|_D`.
    modulus : float
        :math:`\alpha = \gamma(1-\lambda)/(1-\lambda\gamma)`, the contraction
        modulus of :math:`\Pi T^{(\lambda)}` in :math:`\|\cdot\|_D`.
    bound : float
        :math:`\|\Pi v^\pi - v^\pi\|_D / \sqrt{1-\alpha^2}` (Pythagorean form;
        :math:`1/\sqrt{1-\gamma^2}` for TD(0)); ``inf`` unless
        ``weights_stationary``.
    tvr_bound : float
        :math:`\frac{1-\lambda\gamma}{1-\gamma}\|\Pi v^\pi - v^\pi\|_D`
        (Tsitsiklis & Van Roy 1997, Theorem 1); ``inf`` unless stationary.
    mspbe : float
        :math:`\|\Pi T^{(\lambda)}\Phi\theta - \Phi\theta\|_D^2` (0 up to rounding).
    """

    theta: np.ndarray
    value: np.ndarray
    A: np.ndarray
    b: np.ndarray
    weights: np.ndarray
    weights_stationary: bool
    v_pi: np.ndarray
    projected_v_pi: np.ndarray
    approximation_error: float
    error: float
    modulus: float
    bound: float
    tvr_bound: float
    mspbe: float

    def __post_init__(self):
        for name in ("theta", "value", "A", "b", "weights", "v_pi", "projected_v_pi"):
            object.__setattr__(self, name, readonly(np.asarray(getattr(self, name))))


def _lambda(lambda_) -> float:
    if isinstance(lambda_, bool) or not isinstance(lambda_, numbers.Real) or not 0.0 <= float(lambda_) <= 1.0:
        raise ValueError(f"lambda_ = {lambda_!r} must be a real number in [0, 1]")
    return float(lambda_)


def td_fixed_point(mdp: FiniteMDP, policy, features, weights=None, *, lambda_: float = 0.0) -> TDFixedPointResult:
    r"""The TD(:math:`\lambda`) fixed point :math:`\Phi\theta = \Pi T^{(\lambda)}\Phi\theta` with its error bounds.

    With :math:`T^{(\lambda)} v = (I - \lambda\gamma P^\pi)^{-1}(r^\pi + \gamma(1-\lambda)P^\pi v)`,
    the projected equation is the linear system :math:`A\theta = b`,

    .. math::

        A = \Phi^\top D (I-\lambda\gamma P^\pi)^{-1}(I-\gamma P^\pi)\Phi,\qquad
        b = \Phi^\top D (I-\lambda\gamma P^\pi)^{-1} r^\pi ,

    which for :math:`\lambda = 0` is
    :math:`\Phi^\top D(I-\gamma P^\pi)\Phi\,\theta = \Phi^\top D r^\pi`.

    **Guarantee** (on-policy weights, :math:`D = \mathrm{diag}(\xi)` with
    :math:`\xi` stationary). :math:`\|P^\pi v\|_D \le \|v\|_D` (Tsitsiklis &
    Van Roy 1997, Lemma 1), so :math:`\Pi T^{(\lambda)}` is a contraction of
    modulus :math:`\alpha = \gamma(1-\lambda)/(1-\lambda\gamma)` in
    :math:`\|\cdot\|_D`, :math:`A` is invertible, TD(:math:`\lambda`) converges
    to :math:`\theta` with probability one and (Theorem 1 of the same paper)

    .. math:: \|\Phi\theta - v^\pi\|_D \le \frac{1-\lambda\gamma}{1-\gamma}\,\|\Pi v^\pi - v^\pi\|_D .

    Since :math:`v^\pi - \Pi v^\pi \perp_D \Pi v^\pi - \Phi\theta` and
    :math:`\|\Pi v^\pi - \Phi\theta\|_D = \|\Pi T^{(\lambda)} v^\pi - \Pi T^{(\lambda)}\Phi\theta\|_D \le \alpha\|v^\pi - \Phi\theta\|_D`,
    Pythagoras sharpens this to
    :math:`\|\Phi\theta - v^\pi\|_D \le \|\Pi v^\pi - v^\pi\|_D/\sqrt{1-\alpha^2}`
    (:math:`1/\sqrt{1-\gamma^2}` for TD(0)), reported as ``bound``.

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted (``gamma < 1``), infinite horizon.
    policy : array_like
        ``(S,)`` actions or ``(S, A)`` probabilities.
    features : array_like, shape (S, d)
        Full column rank on the support of ``weights``.
    weights : array_like, shape (S,), optional
        Diagonal of :math:`D`, a probability vector; default the stationary
        distribution of :math:`P^\pi` (:func:`rltheory.tabular.stationary_distribution`).
    lambda_ : float in [0, 1]

    Returns
    -------
    TDFixedPointResult

    Raises
    ------
    ValueError
        Bad features, weights or model; :math:`A` singular (possible only for
        non-stationary weights).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.envs import chain
    >>> from rltheory.linear import polynomial_features, td_fixed_point
    >>> mdp = chain(6, gamma=0.9)
    >>> res = td_fixed_point(mdp, np.zeros(6, dtype=int), polynomial_features(6, 2))
    >>> bool(res.error <= res.bound <= res.tvr_bound)
    True
    """
    _check_mdp(mdp, "td_fixed_point")
    lam = _lambda(lambda_)
    S = mdp.n_states
    phi = check_features(features, S)
    Ppi = _dense(mdp.policy_transition(policy))
    rpi = np.asarray(mdp.policy_reward(policy), dtype=np.float64)
    gamma = float(mdp.gamma)
    xi = _policy_stationary_distribution(mdp, policy) if weights is None else _check_weights(weights, S)
    stationary = float(np.abs(xi @ Ppi - xi).sum()) <= STATIONARY_ATOL
    I = np.eye(S)
    M = np.linalg.solve(I - lam * gamma * Ppi, np.column_stack([(I - gamma * Ppi) @ phi, rpi]))
    DPhi = phi * xi[:, None]
    A = DPhi.T @ M[:, :-1]
    b = DPhi.T @ M[:, -1]
    try:
        theta = np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        raise ValueError("the TD matrix A is singular for these weights (off-policy weights can make it so)") from None
    if np.linalg.cond(A) > 1e12:
        raise ValueError(f"the TD matrix A is numerically singular (condition number {np.linalg.cond(A):.3g})")
    v_pi = np.asarray(policy_evaluation(mdp, policy).v, dtype=np.float64)
    value = phi @ theta
    proj = phi @ _weighted_lstsq(phi, v_pi, xi)
    approx = _dnorm(proj - v_pi, xi)
    alpha = gamma * (1.0 - lam) / (1.0 - lam * gamma)
    if stationary:
        bound = approx / np.sqrt(1.0 - alpha**2)  # Pythagoras + TvR (1997) Lemma 1 contraction of Pi T^(lambda)
        tvr = (1.0 - lam * gamma) / (1.0 - gamma) * approx  # Tsitsiklis & Van Roy (1997), Theorem 1
    else:
        bound = tvr = float("inf")
    Tlam = np.linalg.solve(I - lam * gamma * Ppi, rpi + gamma * (1.0 - lam) * (Ppi @ value))
    resid = phi @ _weighted_lstsq(phi, Tlam, xi) - value
    return TDFixedPointResult(
        theta=theta,
        value=value,
        A=A,
        b=b,
        weights=xi,
        weights_stationary=bool(stationary),
        v_pi=v_pi,
        projected_v_pi=proj,
        approximation_error=approx,
        error=_dnorm(value - v_pi, xi),
        modulus=float(alpha),
        bound=float(bound),
        tvr_bound=float(tvr),
        mspbe=float(np.sum(xi * resid * resid)),
    )


def mspbe(mdp: FiniteMDP, policy, features, theta, weights=None) -> float:
    r"""Mean squared projected Bellman error :math:`\|\Pi T^\pi \Phi\theta - \Phi\theta\|_D^2`.

    Equivalently (Sutton et al. 2009, eq. (7)),
    :math:`(\Phi^\top D\delta)^\top(\Phi^\top D\Phi)^{-1}(\Phi^\top D\delta)` with
    :math:`\delta = r^\pi + \gamma P^\pi\Phi\theta - \Phi\theta`
    (computed as :math:`\|\Pi\delta\|_D^2`, valid for dependent features too). GTD2 and TDC
    are stochastic gradient methods on it. ``weights`` default: the stationary
    distribution of :math:`P^\pi`; pass the behaviour policy's for off-policy.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.envs import chain
    >>> from rltheory.linear import one_hot_features, mspbe, td_fixed_point
    >>> mdp = chain(4, gamma=0.9); pi = np.zeros(4, dtype=int)
    >>> theta = td_fixed_point(mdp, pi, one_hot_features(4)).theta
    >>> mspbe(mdp, pi, one_hot_features(4), theta) < 1e-20
    True
    """
    _check_mdp(mdp, "mspbe")
    S = mdp.n_states
    phi = check_features(features, S, full_rank=False)
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape != (phi.shape[1],):
        raise ValueError(f"theta has shape {theta.shape}, expected ({phi.shape[1]},)")
    check_finite("theta", theta)
    xi = _policy_stationary_distribution(mdp, policy) if weights is None else _check_weights(weights, S)
    Ppi = _dense(mdp.policy_transition(policy))
    v = phi @ theta
    delta = np.asarray(mdp.policy_reward(policy), dtype=np.float64) + mdp.gamma * (Ppi @ v) - v
    p = phi @ _weighted_lstsq(phi, delta, xi)  # Pi delta = Pi T Phi theta - Phi theta
    return float(np.sum(xi * p * p))


# --------------------------------------------------------------------------- Baird


@dataclass(frozen=True)
class BairdCounterexample:
    """An off-policy evaluation problem: model, features, target and behaviour policies, start weights."""

    mdp: FiniteMDP
    features: np.ndarray
    target: np.ndarray
    behavior: np.ndarray
    theta0: np.ndarray

    def __post_init__(self):
        for name in ("features", "target", "behavior", "theta0"):
            object.__setattr__(self, name, readonly(np.asarray(getattr(self, name), dtype=np.float64)))


def baird_counterexample(gamma: float = 0.99) -> BairdCounterexample:
    r"""Baird's (1995) counterexample in the seven-state form of Sutton & Barto (2018), Example 11.1.

    States 0-5 are the upper states, state 6 the lower one. Action 0
    (*dashed*) moves to one of the six upper states uniformly; action 1
    (*solid*) moves to state 6. All rewards are 0, so :math:`v^\pi = 0`. The
    behaviour policy takes dashed with probability 6/7 and solid with 1/7
    (its stationary distribution is uniform); the target policy always takes
    solid. Values are :math:`2w_i + w_8` in upper state :math:`i` and
    :math:`w_7 + 2 w_8` in the lower state (eight weights; ``features`` is
    ``(7, 8)`` of rank 7), starting from :math:`w = (1,1,1,1,1,1,10,1)`.
    Semi-gradient off-policy TD(0) diverges for any positive step size
    (Sutton & Barto 2018, Fig. 11.2, :math:`\gamma = 0.99`, :math:`\alpha = 0.01`),
    while TDC converges (Fig. 11.5, :math:`\alpha = 0.005`, :math:`\beta = 0.05`).

    Examples
    --------
    >>> b = baird_counterexample()
    >>> b.features.shape, b.behavior[0].tolist(), b.target[0].tolist()
    ((7, 8), [0.8571428571428571, 0.14285714285714285], [0.0, 1.0])
    """
    g = check_discount(gamma)
    P = np.zeros((7, 2, 7))
    P[:, 0, :6] = 1.0 / 6.0
    P[:, 1, 6] = 1.0
    mdp = FiniteMDP(P, np.zeros((7, 2)), gamma=g)
    phi = np.zeros((7, 8))
    for i in range(6):
        phi[i, i] = 2.0
        phi[i, 7] = 1.0
    phi[6, 6] = 1.0
    phi[6, 7] = 2.0
    behavior = np.tile([6.0 / 7.0, 1.0 / 7.0], (7, 1))
    target = np.tile([0.0, 1.0], (7, 1))
    return BairdCounterexample(mdp, phi, target, behavior, np.array([1, 1, 1, 1, 1, 1, 10, 1], dtype=np.float64))


# --------------------------------------------------------------------------- compiled learners

_TD, _GTD2, _TDC, _LSTD = 0, 1, 2, 3
_NAMES = {_TD: "td", _GTD2: "gtd2", _TDC: "tdc", _LSTD: "lstd"}


@njit(cache=True)
def _run_td(algo, cumP, cumMu, rho, R, phi, cum0, gamma, lam, alpha, beta, decay, offset, reg, theta0, times, rng, o_theta, o_w, o_A, o_b):
    S, d = phi.shape
    theta = theta0.copy()
    w = np.zeros(d)
    e = np.zeros(d)
    A = np.zeros((d, d))
    b = np.zeros(d)
    s = rng_categorical(rng, cum0)
    c = 0
    n_steps = times[times.shape[0] - 1]
    for t in range(n_steps):
        a = rng_categorical(rng, cumMu[s])
        s2 = rng_categorical(rng, cumP[s, a])
        r = R[s, a]
        p = rho[s, a]
        step = alpha / (1.0 + t / offset) ** decay
        bstep = beta / (1.0 + t / offset) ** decay
        v = 0.0
        v2 = 0.0
        for i in range(d):
            v += phi[s, i] * theta[i]
            v2 += phi[s2, i] * theta[i]
        delta = r + gamma * v2 - v
        if algo == _TD or algo == _LSTD:
            # importance-weighted accumulating trace e_t = rho_t (gamma lambda e_{t-1} + phi_t)
            for i in range(d):
                e[i] = p * (gamma * lam * e[i] + phi[s, i])
            if algo == _TD:
                for i in range(d):
                    theta[i] += step * delta * e[i]
            else:
                for i in range(d):
                    b[i] += e[i] * r
                    for j in range(d):
                        A[i, j] += e[i] * (phi[s, j] - gamma * phi[s2, j])
        else:
            pw = 0.0
            for i in range(d):
                pw += phi[s, i] * w[i]
            if algo == _GTD2:
                # Sutton et al. (2009), eq. (8)-(9): theta += alpha rho (phi - gamma phi') (phi^T w)
                for i in range(d):
                    theta[i] += step * p * (phi[s, i] - gamma * phi[s2, i]) * pw
            else:
                # TDC, Sutton et al. (2009), eq. (10): theta += alpha rho (delta phi - gamma phi' (phi^T w))
                for i in range(d):
                    theta[i] += step * p * (delta * phi[s, i] - gamma * phi[s2, i] * pw)
            for i in range(d):
                w[i] += bstep * p * (delta - pw) * phi[s, i]
        s = s2
        if t + 1 == times[c]:
            if algo == _LSTD:
                inv_n = 1.0 / (t + 1)
                M = A * inv_n
                for i in range(d):
                    M[i, i] += reg
                sol = np.linalg.lstsq(M, b * inv_n)[0]
                for i in range(d):
                    o_theta[c, i] = sol[i]
            else:
                for i in range(d):
                    o_theta[c, i] = theta[i]
            c += 1
    for i in range(d):
        o_w[i] = w[i]
        o_b[i] = b[i] / n_steps
        for j in range(d):
            o_A[i, j] = A[i, j] / n_steps


@njit(cache=True, parallel=True)
def _kernel_td(algo, cumP, cumMu, rho, R, phi, cum0, gamma, lam, alpha, beta, decay, offset, reg, theta0, times, states, o_theta, o_w, o_A, o_b):
    for j in prange(states.shape[0]):
        rng = states[j].copy()
        _run_td(algo, cumP, cumMu, rho, R, phi, cum0, gamma, lam, alpha, beta, decay, offset, reg, theta0, times, rng, o_theta[j], o_w[j], o_A[j], o_b[j])


@dataclass(frozen=True)
class TDLearningResult:
    r"""Iterates of a stochastic TD-family learner (TD(lambda), GTD2, TDC).

    Attributes
    ----------
    algorithm : str
        ``"td"``, ``"gtd2"`` or ``"tdc"``.
    times : (C,) int64
        Checkpoint step counts (the last is ``n_steps``).
    trajectory : (n_runs, C, d) ndarray
        :math:`\theta_t` at the checkpoints.
    theta : (n_runs, d) ndarray
        Final iterates.
    w : (n_runs, d) ndarray
        Final auxiliary weights of GTD2/TDC (zeros for TD).
    seed : int
    """

    algorithm: str
    times: np.ndarray
    trajectory: np.ndarray
    theta: np.ndarray
    w: np.ndarray
    seed: int

    def __post_init__(self):
        for name in ("times", "trajectory", "theta", "w"):
            object.__setattr__(self, name, readonly(np.asarray(getattr(self, name))))


@dataclass(frozen=True)
class LSTDResult:
    r"""LSTD(lambda) estimates.

    Attributes
    ----------
    times : (C,) int64
    trajectory : (n_runs, C, d) ndarray
        :math:`\hat\theta_t = (\hat A_t + \epsilon I)^{+}\hat b_t` at the
        checkpoints (least-squares solution; the unique solve once
        :math:`\hat A_t + \epsilon I` is invertible).
    theta : (n_runs, d) ndarray
    A, b : (n_runs, d, d), (n_runs, d) ndarray
        :math:`\hat A = \frac1n\sum_t e_t(\phi_t - \gamma\phi_{t+1})^\top` and
        :math:`\hat b = \frac1n\sum_t e_t r_t` after ``n_steps``.
    seed : int
    """

    times: np.ndarray
    trajectory: np.ndarray
    theta: np.ndarray
    A: np.ndarray
    b: np.ndarray
    seed: int

    def __post_init__(self):
        for name in ("times", "trajectory", "theta", "A", "b"):
            object.__setattr__(self, name, readonly(np.asarray(getattr(self, name))))


def _nonneg(name, x, positive=False):
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(x) or x < 0 or (positive and x == 0):
        raise ValueError(f"{name} = {x!r} must be a finite real {'> 0' if positive else '>= 0'}")
    return float(x)


def _int(name, x, low):
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < low:
        raise ValueError(f"{name} = {x!r} must be an integer >= {low}")
    return int(x)


def _prepare(mdp, features, policy, behavior, theta0, n_steps, n_runs, seed, checkpoints, initial_distribution, who):
    _check_mdp(mdp, who)
    S, A = mdp.n_states, mdp.n_actions
    phi = check_features(features, S, full_rank=False)
    pi = mdp.policy_matrix(policy)
    mu = pi if behavior is None else mdp.policy_matrix(behavior)
    bad = (pi > 0) & (mu <= 0)
    if bad.any():
        s, a = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"behavior[{s}, {a}] = 0 but policy[{s}, {a}] = {pi[s, a]!r} > 0: the target is not covered by the behaviour policy")
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(mu > 0, pi / np.where(mu > 0, mu, 1.0), 0.0)
    n_steps = _int("n_steps", n_steps, 1)
    n_runs = _int("n_runs", n_runs, 1)
    seed = _int("seed", seed, 0)
    if isinstance(checkpoints, numbers.Integral) and not isinstance(checkpoints, bool):
        k = _int("checkpoints", checkpoints, 1)
        times = np.unique(np.rint(np.logspace(0, np.log10(n_steps), k)).astype(np.int64)) if k > 1 else np.array([n_steps])
    else:
        times = np.asarray(checkpoints, dtype=np.int64)
        if times.ndim != 1 or times.size == 0 or (np.diff(times) <= 0).any() or times[0] < 1 or times[-1] > n_steps:
            raise ValueError(f"checkpoints must be an int or strictly increasing step counts in [1, {n_steps}]")
    if times[-1] != n_steps:
        times = np.append(times, n_steps)
    d = phi.shape[1]
    th0 = np.zeros(d) if theta0 is None else np.array(theta0, dtype=np.float64)
    if th0.shape != (d,):
        raise ValueError(f"theta0 has shape {th0.shape}, expected ({d},)")
    check_finite("theta0", th0)
    if initial_distribution is None:
        rho0 = mdp.initial_distribution if mdp.initial_distribution is not None else np.full(S, 1.0 / S)
    else:
        rho0 = check_probability_vector("initial_distribution", initial_distribution, S)
    cumP = np.cumsum(mdp.dense_P, axis=2)
    cumMu = np.cumsum(mu, axis=1)
    R = np.ascontiguousarray(mdp.R, dtype=np.float64)
    return dict(
        cumP=np.ascontiguousarray(cumP),
        cumMu=np.ascontiguousarray(cumMu),
        rho=np.ascontiguousarray(rho),
        R=R,
        phi=np.ascontiguousarray(phi),
        cum0=np.cumsum(np.asarray(rho0, dtype=np.float64)),
        theta0=th0,
        times=times.astype(np.int64),
        n_runs=n_runs,
        seed=seed,
        d=d,
    )


def _launch(algo, prep, gamma, lam, alpha, beta, decay, offset, reg):
    n, C, d = prep["n_runs"], prep["times"].size, prep["d"]
    states = np.ascontiguousarray(run_states(prep["seed"], np.arange(n), 1)[:, 0])
    o_theta = np.zeros((n, C, d))
    o_w = np.zeros((n, d))
    o_A = np.zeros((n, d, d))
    o_b = np.zeros((n, d))
    _kernel_td(
        algo, prep["cumP"], prep["cumMu"], prep["rho"], prep["R"], prep["phi"], prep["cum0"], float(gamma), float(lam),
        float(alpha), float(beta), float(decay), float(offset), float(reg), prep["theta0"], prep["times"], states,
        o_theta, o_w, o_A, o_b,
    )
    return o_theta, o_w, o_A, o_b




def td(mdp, features, policy, *, behavior=None, lambda_=0.0, alpha=0.01, decay=0.0, decay_offset=1.0, theta0=None,
       n_steps=10_000, n_runs=1, seed=0, checkpoints=50, initial_distribution=None) -> TDLearningResult:
    r"""Linear TD(:math:`\lambda`) (Sutton 1988) with importance-weighted accumulating traces.

    .. math::

        \delta_t = r_t + \gamma\theta_t^\top\phi_{t+1} - \theta_t^\top\phi_t,\quad
        e_t = \rho_t(\gamma\lambda e_{t-1} + \phi_t),\quad
        \theta_{t+1} = \theta_t + \alpha_t\delta_t e_t,

    :math:`\alpha_t = \alpha/(1 + t/\text{decay\_offset})^{\text{decay}}`.
    On-policy with ``0.5 < decay <= 1`` (Robbins-Monro steps) and an
    irreducible aperiodic chain, :math:`\theta_t \to` the TD fixed point
    (:func:`td_fixed_point`) with probability one (Tsitsiklis & Van Roy 1997,
    Theorem 1). Off-policy the iteration can diverge
    (:func:`baird_counterexample`).
    
    Parameters
    ----------
    mdp : FiniteMDP
        Discounted, infinite horizon; rewards are the expected rewards ``R[s, a]``.
    features : array_like, shape (S, d)
    policy : array_like
        Target policy ``(S,)`` or ``(S, A)``.
    behavior : array_like, optional
        Behaviour policy generating the data (default: ``policy``, on-policy);
        must cover ``policy``. Updates are weighted by
        :math:`\rho = \pi(a|s)/\mu(a|s)`.
    n_steps, n_runs : int
        One trajectory of ``n_steps`` transitions per run (no resets), started
        from ``initial_distribution`` (default the model's, else uniform).
    seed : int
        Run ``j`` draws from ``SeedSequence(seed, spawn_key=(j,))``
        (xoshiro256++, as :func:`rltheory.bandits.simulate`), so results do not
        depend on the number of threads.
    checkpoints : int or array_like
        Number of log-spaced checkpoints, or explicit increasing step counts.
    alpha, decay, decay_offset : float
        Step-size schedule.
    lambda_ : float in [0, 1]
    theta0 : array_like, optional
        Start weights (default 0).
    initial_distribution : array_like, optional

    Returns
    -------
    TDLearningResult

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.envs import chain
    >>> from rltheory.linear import one_hot_features, td
    >>> res = td(chain(4, gamma=0.5), one_hot_features(4), np.zeros(4, dtype=int), n_steps=2000, n_runs=2, seed=1)
    >>> res.trajectory.shape[0], res.theta.shape
    (2, (2, 4))
    """
    lam = _lambda(lambda_)
    prep = _prepare(mdp, features, policy, behavior, theta0, n_steps, n_runs, seed, checkpoints, initial_distribution, "td")
    o = _launch(_TD, prep, mdp.gamma, lam, _nonneg("alpha", alpha, True), 0.0, _nonneg("decay", decay), _nonneg("decay_offset", decay_offset, True), 0.0)
    return TDLearningResult("td", prep["times"], o[0], o[0][:, -1], np.zeros_like(o[1]), prep["seed"])


def _gradient_td(algo, mdp, features, policy, behavior, alpha, beta, decay, decay_offset, theta0, n_steps, n_runs, seed, checkpoints, initial_distribution):
    who = _NAMES[algo]
    prep = _prepare(mdp, features, policy, behavior, theta0, n_steps, n_runs, seed, checkpoints, initial_distribution, who)
    o = _launch(algo, prep, mdp.gamma, 0.0, _nonneg("alpha", alpha, True), _nonneg("beta", beta, True), _nonneg("decay", decay), _nonneg("decay_offset", decay_offset, True), 0.0)
    return TDLearningResult(who, prep["times"], o[0], o[0][:, -1], o[1], prep["seed"])


def gtd2(mdp, features, policy, *, behavior=None, alpha=0.005, beta=0.05, decay=0.0, decay_offset=1.0, theta0=None,
         n_steps=10_000, n_runs=1, seed=0, checkpoints=50, initial_distribution=None) -> TDLearningResult:
    r"""GTD2 (Sutton, Maei, Precup, Bhatnagar, Silver, Szepesvari & Wiewiora 2009, eqs. (8)-(9)).

    .. math::

        \theta_{t+1} = \theta_t + \alpha_t\rho_t(\phi_t - \gamma\phi_{t+1})(\phi_t^\top w_t),\qquad
        w_{t+1} = w_t + \beta_t\rho_t(\delta_t - \phi_t^\top w_t)\phi_t .

    A stochastic gradient method on the MSPBE (:func:`mspbe`) with the
    behaviour policy's state distribution; it converges off-policy with
    Robbins-Monro steps (Sutton et al. 2009, Theorem 1) where TD can diverge.
    
    Parameters
    ----------
    mdp, features, policy, behavior, n_steps, n_runs, seed, checkpoints, initial_distribution, theta0
        As in :func:`td`.
    alpha, beta : float
        Step sizes of theta and w (the same ``decay`` schedule as :func:`td`).

    Returns
    -------
    TDLearningResult

    Examples
    --------
    >>> from rltheory.linear import baird_counterexample, gtd2
    >>> b = baird_counterexample()
    >>> gtd2(b.mdp, b.features, b.target, behavior=b.behavior, theta0=b.theta0, n_steps=100).algorithm
    'gtd2'
    """
    return _gradient_td(_GTD2, mdp, features, policy, behavior, alpha, beta, decay, decay_offset, theta0, n_steps, n_runs, seed, checkpoints, initial_distribution)


def tdc(mdp, features, policy, *, behavior=None, alpha=0.005, beta=0.05, decay=0.0, decay_offset=1.0, theta0=None,
        n_steps=10_000, n_runs=1, seed=0, checkpoints=50, initial_distribution=None) -> TDLearningResult:
    r"""TDC, TD with gradient correction (Sutton et al. 2009, eq. (10); Sutton & Barto 2018, eq. (11.29)-(11.30)).

    .. math::

        \theta_{t+1} = \theta_t + \alpha_t\rho_t(\delta_t\phi_t - \gamma\phi_{t+1}(\phi_t^\top w_t)),\qquad
        w_{t+1} = w_t + \beta_t\rho_t(\delta_t - \phi_t^\top w_t)\phi_t .

    Converges off-policy with two-timescale steps (Sutton et al. 2009,
    Theorem 2); the defaults are those of Sutton & Barto (2018), Fig. 11.5.
    
    Parameters
    ----------
    mdp, features, policy, behavior, n_steps, n_runs, seed, checkpoints, initial_distribution, theta0
        As in :func:`td`.
    alpha, beta : float
        Step sizes of theta and w (the same ``decay`` schedule as :func:`td`).

    Returns
    -------
    TDLearningResult

    Examples
    --------
    >>> from rltheory.linear import baird_counterexample, tdc
    >>> b = baird_counterexample()
    >>> tdc(b.mdp, b.features, b.target, behavior=b.behavior, theta0=b.theta0, n_steps=100).theta.shape
    (1, 8)
    """
    return _gradient_td(_TDC, mdp, features, policy, behavior, alpha, beta, decay, decay_offset, theta0, n_steps, n_runs, seed, checkpoints, initial_distribution)


def lstd(mdp, features, policy, *, behavior=None, lambda_=0.0, regularization=0.0, n_steps=10_000, n_runs=1, seed=0,
         checkpoints=50, initial_distribution=None) -> LSTDResult:
    r"""LSTD(:math:`\lambda`) (Bradtke & Barto 1996; Boyan 2002), off-policy through importance-weighted traces.

    .. math::

        \hat A_n = \frac1n\sum_{t<n} e_t(\phi_t - \gamma\phi_{t+1})^\top,\quad
        \hat b_n = \frac1n\sum_{t<n} e_t r_t,\quad
        \hat\theta_n = (\hat A_n + \epsilon I)^{-1}\hat b_n ,

    with :math:`e_t = \rho_t(\gamma\lambda e_{t-1}+\phi_t)`. On-policy,
    :math:`\hat A_n \to A` and :math:`\hat b_n \to b` of
    :func:`td_fixed_point` almost surely (ergodic theorem), so
    :math:`\hat\theta_n \to \theta_{TD}`; with the exact matrices LSTD *is*
    the fixed point. Returns :math:`\hat A_n`, :math:`\hat b_n` to check it.

    Parameters
    ----------
    mdp, features, policy, behavior, n_steps, n_runs, seed, checkpoints, initial_distribution, theta0
        As in :func:`td`.
    lambda_ : float in [0, 1]
    regularization : float
        :math:`\epsilon \ge 0` added to the diagonal of :math:`\hat A_n`.

    Returns
    -------
    LSTDResult

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.envs import chain
    >>> from rltheory.linear import one_hot_features, lstd
    >>> lstd(chain(4, gamma=0.5), one_hot_features(4), np.zeros(4, dtype=int), n_steps=500).A.shape
    (1, 4, 4)
    """
    lam = _lambda(lambda_)
    prep = _prepare(mdp, features, policy, behavior, None, n_steps, n_runs, seed, checkpoints, initial_distribution, "lstd")
    o = _launch(_LSTD, prep, mdp.gamma, lam, 1.0, 0.0, 0.0, 1.0, _nonneg("regularization", regularization))
    return LSTDResult(prep["times"], o[0], o[0][:, -1], o[2], o[3], prep["seed"])


def td_reference_run(algorithm: str, mdp: FiniteMDP, features, policy, *, behavior=None, lambda_=0.0, alpha=0.01, beta=0.05,
                     decay=0.0, decay_offset=1.0, theta0=None, n_steps=100, seed=0, initial_distribution=None) -> np.ndarray:
    r"""Plain-Python/NumPy twin of the compiled learners for run 0 (``"td"``, ``"gtd2"``, ``"tdc"``; final theta).

    Draws from the same xoshiro256++ stream (:class:`rltheory.bandits._rng.PyXoshiro`)
    with the same sampling rule, so the compiled kernel must return the same
    iterate up to floating-point reassociation (it uses the same operation order).
    """
    from ..bandits._rng import PyXoshiro

    code = {"td": _TD, "gtd2": _GTD2, "tdc": _TDC}[algorithm]
    prep = _prepare(mdp, features, policy, behavior, theta0, n_steps, 1, seed, 1, initial_distribution, "td_reference_run")
    g = PyXoshiro(run_states(prep["seed"], np.arange(1), 1)[0, 0])

    draw = g.categorical

    phi, gamma = prep["phi"], float(mdp.gamma)
    theta = prep["theta0"].copy()
    w = np.zeros_like(theta)
    e = np.zeros_like(theta)
    s = draw(prep["cum0"])
    for t in range(n_steps):
        a = draw(prep["cumMu"][s])
        s2 = draw(prep["cumP"][s, a])
        r, p = prep["R"][s, a], prep["rho"][s, a]
        step = alpha / (1.0 + t / decay_offset) ** decay
        bstep = beta / (1.0 + t / decay_offset) ** decay
        delta = r + gamma * (phi[s2] @ theta) - phi[s] @ theta
        if code == _TD:
            e = p * (gamma * lambda_ * e + phi[s])
            theta = theta + step * delta * e
        else:
            pw = phi[s] @ w
            if code == _GTD2:
                theta = theta + step * p * (phi[s] - gamma * phi[s2]) * pw
            else:
                theta = theta + step * p * (delta * phi[s] - gamma * phi[s2] * pw)
            w = w + bstep * p * (delta - pw) * phi[s]
        s = s2
    return theta
