r"""Linear policy evaluation: the TD fixed point and its theory, and compiled TD / LSTD / GTD2 / TDC.

Two criteria, one spelling per method. A :class:`~rltheory.tabular.FiniteMDP`
is either

* **discounted** (``gamma < 1``, ``horizon=None``): one endless trajectory;
  the default weights :math:`\xi^\top P^\pi = \xi^\top` come from
  :func:`rltheory.tabular.stationary_distribution` (GTH); or
* **episodic** (``gamma = 1`` with ``terminal_states``, an undiscounted
  stochastic shortest path problem): episodes start from the initial
  distribution :math:`\mu` and run until a terminal state; the default weights
  are the expected visits per episode :math:`\eta^\top = \mu_N^\top (I - P^\pi_{NN})^{-1}`
  on the non-terminal states :math:`N`, normalized (the *on-policy
  distribution* of Sutton & Barto 2018, Sec. 9.2, eqs. (9.2)-(9.3)). The value
  of a terminal state is 0 by definition, so feature rows of terminal states
  are not used (Sutton & Barto 2018, Sec. 9.3: :math:`\hat v(\text{terminal}, \cdot) = 0`).

Exact objects (NumPy/SciPy, for a policy :math:`\pi`, state features
:math:`\Phi \in \mathbb{R}^{S\times d}` and weights :math:`D = \mathrm{diag}(\xi)`):

* :func:`projection` -- :math:`\Pi v = \Phi(\Phi^\top D\Phi)^{-1}\Phi^\top D v`;
* :func:`td_fixed_point` -- the solution of the projected Bellman equation
  :math:`\Phi\theta = \Pi T^{(\lambda)}\Phi\theta` with its error bounds;
* :func:`mspbe` -- :math:`\|\Pi T^\pi \Phi\theta - \Phi\theta\|_D^2`.

Sample-based learners (one Numba kernel, parallel over runs, seeded per run
with the xoshiro256++ streams of :mod:`rltheory.simulation`): :func:`td`
(TD(lambda) with accumulating, importance-weighted traces), :func:`lstd`
(LSTD(lambda)), :func:`gtd2` and :func:`tdc` (Sutton et al. 2009), all
off-policy through the importance ratio
:math:`\rho = \pi(a|s)/\mu(a|s)`; on an episodic model they run episodes from
the initial distribution until termination (traces reset at each start).
:func:`baird_counterexample` builds Baird's seven-state problem and
:func:`boyan_chain` Boyan's 13-state episodic chain.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
from numba import njit, prange

from .._validation import (
    check_discount,
    check_finite,
    check_int,
    check_probability_vector,
    check_real,
    check_shape,
    readonly,
)
from ..simulation import rng_categorical, run_states
from ..tabular import FiniteMDP, policy_evaluation
from ..tabular import stationary_distribution as tabular_stationary_distribution
from ._features import check_features

__all__ = [
    "BairdCounterexample",
    "BoyanChain",
    "LSTDResult",
    "TDFixedPointResult",
    "TDLearningResult",
    "baird_counterexample",
    "boyan_chain",
    "gtd2",
    "lstd",
    "mspbe",
    "projection",
    "td",
    "td_fixed_point",
    "tdc",
]

#: |xi^T P - xi^T|_1 (discounted) or |xi - eta/sum(eta)|_1 (episodic) below this counts as on-policy weights.
STATIONARY_ATOL = 1e-9


def _dense(m) -> np.ndarray:
    return np.asarray(m.toarray() if hasattr(m, "toarray") else m, dtype=np.float64)


def _is_episodic(mdp: FiniteMDP) -> bool:
    """Undiscounted with terminal states: the episodic (stochastic shortest path) criterion."""
    return mdp.gamma == 1.0 and mdp.terminal_states is not None and mdp.terminal_states.size > 0


def _check_mdp(mdp, who: str) -> None:
    if not isinstance(mdp, FiniteMDP):
        raise ValueError(f"{who}: mdp must be a FiniteMDP, got {type(mdp).__name__}")
    if mdp.horizon is not None:
        raise ValueError(f"{who}: needs an infinite-horizon model (horizon None), got horizon={mdp.horizon}")
    if mdp.gamma >= 1.0 and not _is_episodic(mdp):
        raise ValueError(
            f"{who}: needs a discounted model (gamma < 1) or an episodic one (gamma = 1 with terminal states); "
            "gamma = 1 without terminal states is the average-reward criterion"
        )


def _check_weights(weights, S: int) -> np.ndarray:
    return check_probability_vector("weights", weights, S, atol=1e-8)


def _lambda(lambda_) -> float:
    return check_real("lambda_", lambda_, low=0.0, high=1.0)


def _policy_stationary_distribution(mdp: FiniteMDP, policy) -> np.ndarray:
    """Stationary distribution of :math:`P^\\pi` (GTH, :func:`rltheory.tabular.stationary_distribution`).

    Re-raises the non-uniqueness error with the hint to pass ``weights``.
    """
    try:
        return readonly(tabular_stationary_distribution(mdp.policy_transition(policy)))
    except ValueError as exc:
        raise ValueError(f"{exc}; pass weights explicitly") from None


# --------------------------------------------------------------------------- episodic helpers


def _reachable(adjacency, sources: np.ndarray) -> np.ndarray:
    """Boolean mask of the nodes reachable from ``sources`` (included) along the edges of ``adjacency``.

    Breadth-first search (:func:`scipy.sparse.csgraph.breadth_first_order`)
    from a virtual node linked to every source.
    """
    G = sp.coo_array(adjacency)
    S = G.shape[0]
    rows = np.concatenate([G.row, np.full(sources.size, S)])
    cols = np.concatenate([G.col, sources.astype(np.int64)])
    graph = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(S + 1, S + 1))
    reached = csgraph.breadth_first_order(graph, S, directed=True, return_predecessors=False)
    mask = np.zeros(S + 1, dtype=bool)
    mask[reached] = True
    return mask[:S]


def _check_proper(mdp: FiniteMDP, Ppi: np.ndarray, who: str, what: str, among=None) -> None:
    """Raise unless a terminal state is reachable from every state of ``among`` (default: every state).

    With ``gamma = 1`` a policy is *proper* when it terminates with
    probability 1 (Bertsekas & Tsitsiklis 1991, "An analysis of stochastic
    shortest path problems", Math. Oper. Res. 16(3)); on a finite chain
    that holds from a state iff a terminal state is reachable from it in the
    graph of :math:`P^\\pi`. A graph search, never a singular-matrix test.
    """
    edges = sp.coo_array(Ppi > 0)
    reverse = sp.coo_array((edges.data, (edges.col, edges.row)), shape=edges.shape)
    reaches = _reachable(reverse, mdp.terminal_states)
    bad = ~reaches if among is None else (~reaches & among)
    if bad.any():
        states = np.flatnonzero(bad)
        raise ValueError(
            f"{who}: {what} is improper: from state {int(states[0])} no terminal state is reachable "
            f"(states {states[:10].tolist()}{' ...' if states.size > 10 else ''}), so episodes need not end; with "
            "gamma = 1 the policy must reach a terminal state with probability 1 (Bertsekas & Tsitsiklis 1991)"
        )


def _initial(mdp: FiniteMDP, initial_distribution, who: str, *, required: bool) -> np.ndarray | None:
    if initial_distribution is not None:
        return check_probability_vector("initial_distribution", initial_distribution, mdp.n_states)
    if mdp.initial_distribution is not None:
        return np.asarray(mdp.initial_distribution, dtype=np.float64)
    if required:
        raise ValueError(
            f"{who}: an episodic model (gamma = 1 with terminal states) needs an initial distribution: pass "
            "initial_distribution= or build the FiniteMDP with initial_distribution"
        )
    return None


def _transient(mdp: FiniteMDP) -> np.ndarray:
    return np.setdiff1d(np.arange(mdp.n_states), mdp.terminal_states)


def _check_episodes(mdp: FiniteMDP, Ppi: np.ndarray, mu: np.ndarray, who: str, what: str) -> np.ndarray:
    r"""Check that episodes from ``mu`` have transitions and end with probability 1; return the states they can visit.

    The policy must be proper on the states reachable from :math:`\mu` and
    :math:`\mu` must put mass on a non-terminal state.
    """
    if mu[_transient(mdp)].sum() <= 0.0:
        raise ValueError(
            f"{who}: the initial distribution puts all its mass on terminal states {mdp.terminal_states.tolist()}: "
            "episodes have no transitions"
        )
    visited = _reachable(sp.coo_array(Ppi > 0), np.flatnonzero(mu > 0))
    _check_proper(mdp, Ppi, who, what, among=visited)
    return visited


def _episode_distribution(mdp: FiniteMDP, Ppi: np.ndarray, mu: np.ndarray, who: str, what: str) -> np.ndarray:
    r"""Normalized expected visits per episode :math:`\eta/\sum\eta`, :math:`\eta^\top = \mu_N^\top(I - P_{NN})^{-1}`.

    Solved on the non-terminal states :math:`U` the episodes can visit (closed
    under :math:`P`, and :math:`I - P_{UU}` is invertible there because the
    policy is proper on them); :math:`\eta = 0` elsewhere.
    """
    visited = _check_episodes(mdp, Ppi, mu, who, what)
    N = _transient(mdp)
    U = N[visited[N]]
    eta = np.zeros(mdp.n_states)
    eta[U] = np.linalg.solve((np.eye(U.size) - Ppi[np.ix_(U, U)]).T, mu[U])
    eta = np.clip(eta, 0.0, None)  # rounding only: eta = sum_t mu^T P^t >= 0 exactly
    return eta / eta.sum()


def _episodic_modulus(P: np.ndarray, xi: np.ndarray, lam: float) -> float:
    r""":math:`\|P^{(\lambda)}\|_D`, :math:`P^{(\lambda)} = (1-\lambda)(I-\lambda P)^{-1}P`, on the support of ``xi``.

    ``inf`` when the support is not closed under :math:`P` (then the
    seminorm :math:`\|\cdot\|_D` does not control :math:`P^{(\lambda)}`).
    """
    U = np.flatnonzero(xi > 0)
    out = np.setdiff1d(np.arange(xi.size), U)
    if out.size and (P[np.ix_(U, out)] > 0).any():
        return float("inf")
    Pu = P[np.ix_(U, U)]
    Plam = (1.0 - lam) * np.linalg.solve(np.eye(U.size) - lam * Pu, Pu)
    sq = np.sqrt(xi[U])
    return float(np.linalg.norm(sq[:, None] * Plam / sq[None, :], 2))


# --------------------------------------------------------------------------- exact objects


def projection(features, v, weights) -> np.ndarray:
    r"""The :math:`D`-weighted projection :math:`\Pi v = \Phi(\Phi^\top D \Phi)^{-1}\Phi^\top D v`.

    :math:`\Pi v` is the closest point of :math:`\mathrm{span}(\Phi)` to
    :math:`v` in :math:`\|x\|_D = \sqrt{\sum_s \xi_s x_s^2}`. Computed by a
    weighted least-squares solve (:func:`numpy.linalg.lstsq` on
    :math:`D^{1/2}\Phi`); the projection is unique even when the features
    are linearly dependent. For an episodic model pass the weights of
    :func:`td_fixed_point` (zero on terminal states) and features whose
    terminal rows are zero.

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
    v : (S,) ndarray
        :math:`\Phi\theta` (0 on the terminal states of an episodic model).
    A, b : (d, d), (d,) ndarray
        :math:`A = \Phi^\top D (I-\lambda\gamma P)^{-1}(I-\gamma P)\Phi`,
        :math:`b = \Phi^\top D (I-\lambda\gamma P)^{-1} r` with
        :math:`P = P^\pi`, :math:`r = r^\pi` (restricted to the non-terminal
        states, :math:`\gamma = 1`, for an episodic model).
    weights : (S,) ndarray
        The diagonal of :math:`D` (a probability vector).
    on_policy_weights : bool
        Whether ``weights`` is the on-policy weighting: stationary for
        :math:`P^\pi` (discounted, :math:`\|\xi^\top P^\pi - \xi^\top\|_1`
        within ``STATIONARY_ATOL``) or the normalized expected visits per
        episode (episodic, within ``STATIONARY_ATOL`` in l1). ``bound`` and
        ``tvr_bound`` are guarantees only then.
    v_pi : (S,) ndarray
        The exact value :math:`v^\pi`.
    projected_v_pi : (S,) ndarray
        :math:`\Pi v^\pi`.
    approximation_error : float
        :math:`\|\Pi v^\pi - v^\pi\|_D`, the best achievable error.
    error : float
        :math:`\|\Phi\theta - v^\pi\|_D`.
    modulus : float
        A modulus :math:`\alpha` with
        :math:`\|\Pi T^{(\lambda)} x - \Pi T^{(\lambda)} y\|_D \le \alpha\|x - y\|_D`: discounted,
        :math:`\gamma(1-\lambda)/(1-\lambda\gamma)` (Tsitsiklis & Van Roy
        1997, Lemma 4, for stationary weights); episodic, the computed
        operator norm :math:`\|P^{(\lambda)}\|_D`,
        :math:`P^{(\lambda)} = (1-\lambda)(I-\lambda P)^{-1}P`, which is at
        most 1 for on-policy weights and can equal 1 (``inf`` when the
        support of ``weights`` is not closed under :math:`P`).
    bound : float
        :math:`\|\Pi v^\pi - v^\pi\|_D / \sqrt{1-\alpha^2}` (Pythagorean form;
        :math:`1/\sqrt{1-\gamma^2}` for discounted TD(0)); ``inf`` unless
        ``on_policy_weights`` and :math:`\alpha < 1`.
    tvr_bound : float
        :math:`\frac{1-\lambda\gamma}{1-\gamma}\|\Pi v^\pi - v^\pi\|_D`
        (Tsitsiklis & Van Roy 1997, Theorem 1); ``inf`` unless discounted
        with on-policy weights.
    mspbe : float
        :math:`\|\Pi T^{(\lambda)}\Phi\theta - \Phi\theta\|_D^2` (0 up to rounding).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.envs import chain
    >>> from rltheory.linear import polynomial_features, td_fixed_point
    >>> res = td_fixed_point(chain(6, gamma=0.9), np.zeros(6, dtype=int), polynomial_features(6, 2))
    >>> bool(res.approximation_error <= res.error <= res.bound <= res.tvr_bound)  # Tsitsiklis & Van Roy (1997)
    True
    """

    theta: np.ndarray
    v: np.ndarray
    A: np.ndarray
    b: np.ndarray
    weights: np.ndarray
    on_policy_weights: bool
    v_pi: np.ndarray
    projected_v_pi: np.ndarray
    approximation_error: float
    error: float
    modulus: float
    bound: float
    tvr_bound: float
    mspbe: float

    def __post_init__(self):
        for name in ("theta", "v", "A", "b", "weights", "v_pi", "projected_v_pi"):
            object.__setattr__(self, name, readonly(np.asarray(getattr(self, name))))


def td_fixed_point(
    mdp: FiniteMDP, policy, features, weights=None, *, lambda_: float = 0.0, initial_distribution=None
) -> TDFixedPointResult:
    r"""The TD(:math:`\lambda`) fixed point :math:`\Phi\theta = \Pi T^{(\lambda)}\Phi\theta` with its error bounds.

    With :math:`T^{(\lambda)} v = (I - \lambda\gamma P)^{-1}(r + \gamma(1-\lambda)P v)`
    (:math:`P = P^\pi`, :math:`r = r^\pi`), the projected equation is the
    linear system :math:`A\theta = b`,

    .. math::

        A = \Phi^\top D (I-\lambda\gamma P)^{-1}(I-\gamma P)\Phi,\qquad
        b = \Phi^\top D (I-\lambda\gamma P)^{-1} r ,

    which for :math:`\lambda = 0` is
    :math:`\Phi^\top D(I-\gamma P)\Phi\,\theta = \Phi^\top D r`, and for
    :math:`\lambda = 1` (:math:`T^{(1)} v = v^\pi`) gives
    :math:`\Phi\theta = \Pi v^\pi`, the weighted least-squares fit of the
    value (Tsitsiklis & Van Roy 1997, Theorem 1 at :math:`\lambda = 1`;
    Bertsekas & Tsitsiklis 1996, Sec. 6.3).

    **Discounted guarantee** (:math:`D = \mathrm{diag}(\xi)` with :math:`\xi`
    stationary). :math:`\|P v\|_D \le \|v\|_D` (Tsitsiklis & Van Roy 1997,
    Lemma 1), so :math:`T^{(\lambda)}`, hence :math:`\Pi T^{(\lambda)}`, is a
    contraction of modulus :math:`\alpha = \gamma(1-\lambda)/(1-\lambda\gamma)`
    in :math:`\|\cdot\|_D` (their Lemma 4), :math:`A` is invertible,
    TD(:math:`\lambda`) converges to :math:`\theta` with probability one and
    (their Theorem 1)

    .. math:: \|\Phi\theta - v^\pi\|_D \le \frac{1-\lambda\gamma}{1-\gamma}\,\|\Pi v^\pi - v^\pi\|_D .

    Since :math:`v^\pi - \Pi v^\pi \perp_D \Pi v^\pi - \Phi\theta` and
    :math:`\|\Pi v^\pi - \Phi\theta\|_D = \|\Pi T^{(\lambda)} v^\pi - \Pi T^{(\lambda)}\Phi\theta\|_D
    \le \alpha\|v^\pi - \Phi\theta\|_D`,
    Pythagoras sharpens this to
    :math:`\|\Phi\theta - v^\pi\|_D \le \|\Pi v^\pi - v^\pi\|_D/\sqrt{1-\alpha^2}`
    (:math:`1/\sqrt{1-\gamma^2}` for TD(0)), reported as ``bound``.

    **Episodic models** (``gamma = 1`` with terminal states; the stochastic
    shortest path setting of Bertsekas & Tsitsiklis 1996, Sec. 6.3). The
    equations above hold on the non-terminal states :math:`N` with
    :math:`\gamma = 1`, :math:`P = P^\pi_{NN}` (substochastic),
    :math:`v(\text{terminal}) = 0` and the feature rows of terminal states
    unused. The on-policy weights are the expected visits per episode,
    :math:`\eta^\top = \mu_N^\top(I - P)^{-1}`, normalized
    (:math:`\sum_s\eta_s` is the expected episode length; Sutton & Barto
    2018, eqs. (9.2)-(9.3)); LSTD's per-transition averages converge to
    exactly this :math:`A, b` (renewal-reward theorem). *Existence*: if
    :math:`\pi` is proper (a terminal state is reachable from every state)
    and :math:`\Phi` has full column rank on the non-terminal states of
    positive weight, :math:`A` is positive definite, hence the fixed point
    exists and is unique. Proof: :math:`\eta^\top P = \eta^\top - \mu_N^\top \le \eta^\top`
    and Jensen give :math:`\|P x\|_D \le \|x\|_D`, so
    :math:`\|P^{(\lambda)} x\|_D \le \|x\|_D` for
    :math:`P^{(\lambda)} = (1-\lambda)\sum_k\lambda^k P^{k+1}` and
    :math:`x^\top D(I - P^{(\lambda)})x \ge \|x\|_D(\|x\|_D - \|P^{(\lambda)}x\|_D) \ge 0`,
    with equality only if :math:`P^{(\lambda)} x = x` on the support of
    :math:`\eta` (which :math:`P` maps into itself); but the eigenvalues
    :math:`(1-\lambda)z/(1-\lambda z)` of :math:`P^{(\lambda)}` have modulus
    :math:`< 1` because those of :math:`P` do (properness). Unlike the
    discounted case :math:`\|P^{(\lambda)}\|_D` may equal 1 (a deterministic
    path at :math:`\lambda = 0`); ``modulus`` is that norm, computed, and
    ``bound`` is the Pythagorean bound above when it is below 1.

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted (``gamma < 1``) or episodic (``gamma = 1`` with terminal
        states), infinite horizon.
    policy : array_like
        ``(S,)`` actions or ``(S, A)`` probabilities; proper if episodic.
    features : array_like, shape (S, d)
        Full column rank (discounted: on all states; episodic: on the
        non-terminal states of positive weight).
    weights : array_like, shape (S,), optional
        Diagonal of :math:`D`, a probability vector; default the on-policy
        weights (stationary distribution of :math:`P^\pi`, by
        :func:`rltheory.tabular.stationary_distribution`; episodic: the
        normalized expected visits per episode).
    lambda_ : float in [0, 1]
    initial_distribution : array_like, shape (S,), optional
        Episodic models only: the start distribution :math:`\mu` of the
        episodes (default the model's). Required unless the model has one.

    Returns
    -------
    TDFixedPointResult

    Raises
    ------
    ValueError
        Bad features, weights or model; an improper policy (the message names
        a state from which no terminal state is reachable); a missing initial
        distribution (episodic); ``initial_distribution`` for a discounted
        model; :math:`A` singular (possible only for off-policy weights).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.envs import chain
    >>> from rltheory.linear import boyan_chain, polynomial_features, td_fixed_point
    >>> mdp = chain(6, gamma=0.9)
    >>> res = td_fixed_point(mdp, np.zeros(6, dtype=int), polynomial_features(6, 2))
    >>> bool(res.error <= res.bound <= res.tvr_bound)
    True

    Boyan's episodic chain, whose value lies in the span of its features:

    >>> b = boyan_chain()
    >>> (td_fixed_point(b.mdp, b.policy, b.features).theta.round(9) + 0.0).tolist()
    [-24.0, -16.0, -8.0, 0.0]
    """
    who = "td_fixed_point"
    _check_mdp(mdp, who)
    lam = _lambda(lambda_)
    S = mdp.n_states
    episodic = _is_episodic(mdp)
    phi = check_features(features, S, full_rank=not episodic)
    Ppi = _dense(mdp.policy_transition(policy))
    rpi = np.asarray(mdp.policy_reward(policy), dtype=np.float64)
    gamma = float(mdp.gamma)
    if episodic:
        _check_proper(mdp, Ppi, who, "the policy")
        mu = _initial(mdp, initial_distribution, who, required=weights is None)
        on_policy_xi = None if mu is None else _episode_distribution(mdp, Ppi, mu, who, "the policy")
        xi = on_policy_xi if weights is None else _check_weights(weights, S)
        stationary = on_policy_xi is not None and float(np.abs(xi - on_policy_xi).sum()) <= STATIONARY_ATOL
        N = _transient(mdp)
        phi = np.array(phi)
        phi[mdp.terminal_states] = 0.0  # v(terminal) = 0 by definition
        rows = N[xi[N] > 0]
        if rows.size == 0:
            raise ValueError(f"{who}: weights put no mass on a non-terminal state")
        check_features(phi[rows], full_rank=True, name="features (rows of the non-terminal states of positive weight)")
    else:
        if initial_distribution is not None:
            raise ValueError(
                f"{who}: initial_distribution is used by episodic models only (gamma = 1 with terminal states); "
                "the weights of a discounted model are given by weights="
            )
        xi = _policy_stationary_distribution(mdp, policy) if weights is None else _check_weights(weights, S)
        stationary = float(np.abs(xi @ Ppi - xi).sum()) <= STATIONARY_ATOL
        N = np.arange(S)
    P, r, phiN, xiN = Ppi[np.ix_(N, N)], rpi[N], phi[N], xi[N]
    I = np.eye(N.size)
    M = np.linalg.solve(I - lam * gamma * P, np.column_stack([(I - gamma * P) @ phiN, r]))
    DPhi = phiN * xiN[:, None]
    A = DPhi.T @ M[:, :-1]
    b = DPhi.T @ M[:, -1]
    try:
        theta = np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"{who}: the TD matrix A is singular for these weights (off-policy weights can make it so)"
        ) from None
    if np.linalg.cond(A) > 1e12:
        raise ValueError(f"{who}: the TD matrix A is numerically singular (condition number {np.linalg.cond(A):.3g})")
    v_pi = np.asarray(policy_evaluation(mdp, policy).v, dtype=np.float64)
    value = phi @ theta
    proj = phi @ _weighted_lstsq(phi, v_pi, xi)
    approx = _dnorm(proj - v_pi, xi)
    if episodic:
        alpha = _episodic_modulus(P, xiN, lam)
        bound = approx / np.sqrt(1.0 - alpha**2) if stationary and alpha < 1.0 else float("inf")
        tvr = float("inf")  # Tsitsiklis & Van Roy (1997), Theorem 1, needs gamma < 1
    else:
        alpha = gamma * (1.0 - lam) / (1.0 - lam * gamma)  # Tsitsiklis & Van Roy (1997), Lemma 4
        if stationary:
            bound = approx / np.sqrt(1.0 - alpha**2)  # Pythagoras + the contraction of Pi T^(lambda)
            tvr = (1.0 - lam * gamma) / (1.0 - gamma) * approx  # Tsitsiklis & Van Roy (1997), Theorem 1
        else:
            bound = tvr = float("inf")
    Tlam = np.zeros(S)
    Tlam[N] = np.linalg.solve(I - lam * gamma * P, r + gamma * (1.0 - lam) * (P @ value[N]))
    resid = phi @ _weighted_lstsq(phi, Tlam, xi) - value
    return TDFixedPointResult(
        theta=theta,
        v=value,
        A=A,
        b=b,
        weights=xi,
        on_policy_weights=bool(stationary),
        v_pi=v_pi,
        projected_v_pi=proj,
        approximation_error=approx,
        error=_dnorm(value - v_pi, xi),
        modulus=float(alpha),
        bound=float(bound),
        tvr_bound=float(tvr),
        mspbe=float(np.sum(xi * resid * resid)),
    )


def mspbe(mdp: FiniteMDP, policy, features, theta, weights=None, *, initial_distribution=None) -> float:
    r"""Mean squared projected Bellman error :math:`\|\Pi T^\pi \Phi\theta - \Phi\theta\|_D^2`.

    Equivalently (Sutton et al. 2009, eq. (7)),
    :math:`(\Phi^\top D\delta)^\top(\Phi^\top D\Phi)^{-1}(\Phi^\top D\delta)` with
    :math:`\delta = r^\pi + \gamma P^\pi\Phi\theta - \Phi\theta`
    (computed as :math:`\|\Pi\delta\|_D^2`, valid for dependent features too). GTD2 and TDC
    are stochastic gradient methods on it. ``weights`` default: the on-policy
    weights of :func:`td_fixed_point` (stationary distribution of
    :math:`P^\pi`; episodic: normalized expected visits per episode from
    ``initial_distribution``, default the model's); pass the behaviour
    policy's for off-policy. On an episodic model the value of a terminal
    state is 0 (its feature row is not used) and :math:`\gamma = 1`.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.envs import chain
    >>> from rltheory.linear import boyan_chain, one_hot_features, mspbe, td_fixed_point
    >>> mdp = chain(4, gamma=0.9); pi = np.zeros(4, dtype=int)
    >>> theta = td_fixed_point(mdp, pi, one_hot_features(4)).theta
    >>> mspbe(mdp, pi, one_hot_features(4), theta) < 1e-20
    True
    >>> b = boyan_chain()
    >>> mspbe(b.mdp, b.policy, b.features, [-24.0, -16.0, -8.0, 0.0])
    0.0
    """
    who = "mspbe"
    _check_mdp(mdp, who)
    S = mdp.n_states
    phi = check_features(features, S, full_rank=False)
    theta = np.asarray(theta, dtype=np.float64)
    check_shape("theta", theta, (phi.shape[1],))
    check_finite("theta", theta)
    Ppi = _dense(mdp.policy_transition(policy))
    if _is_episodic(mdp):
        if weights is None:
            mu = _initial(mdp, initial_distribution, who, required=True)
            xi = _episode_distribution(mdp, Ppi, mu, who, "the policy")
        elif initial_distribution is not None:
            raise ValueError(f"{who}: pass weights or initial_distribution (which defines the weights), not both")
        else:
            xi = _check_weights(weights, S)
        phi = np.array(phi)
        phi[mdp.terminal_states] = 0.0  # v(terminal) = 0 by definition
    else:
        if initial_distribution is not None:
            raise ValueError(f"{who}: initial_distribution is used by episodic models only; pass weights=")
        xi = _policy_stationary_distribution(mdp, policy) if weights is None else _check_weights(weights, S)
    v = phi @ theta
    delta = np.asarray(mdp.policy_reward(policy), dtype=np.float64) + mdp.gamma * (Ppi @ v) - v
    p = phi @ _weighted_lstsq(phi, delta, xi)  # Pi delta = Pi T Phi theta - Phi theta
    return float(np.sum(xi * p * p))


# --------------------------------------------------------------------------- Baird and Boyan


@dataclass(frozen=True)
class BairdCounterexample:
    """An off-policy evaluation problem: model, features, target and behaviour policies, start weights.

    Examples
    --------
    >>> from rltheory.linear import baird_counterexample
    >>> b = baird_counterexample(0.99)
    >>> b.mdp.n_states, b.features.shape, b.theta0.shape
    (7, (7, 8), (8,))
    """

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


@dataclass(frozen=True)
class BoyanChain:
    """An episodic policy-evaluation problem: model (with its initial distribution), features and the policy.

    Examples
    --------
    >>> from rltheory.linear import boyan_chain, td_fixed_point
    >>> b = boyan_chain()
    >>> (td_fixed_point(b.mdp, b.policy, b.features).theta.round(9) + 0.0).tolist()  # the true value is in the span
    [-24.0, -16.0, -8.0, 0.0]
    """

    mdp: FiniteMDP
    features: np.ndarray
    policy: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "features", readonly(np.asarray(self.features, dtype=np.float64)))
        object.__setattr__(self, "policy", readonly(np.asarray(self.policy, dtype=np.int64)))


def boyan_chain() -> BoyanChain:
    r"""Boyan's (2002) 13-state episodic chain with its four interpolating features.

    States :math:`0, \dots, 12`; episodes start in state 12 and state 0 is
    terminal. From :math:`s \ge 2` the chain moves to :math:`s-1` or
    :math:`s-2` with probability 1/2 each, reward :math:`-3`; from state 1 it
    moves to 0 with reward :math:`-2` (one action, ``gamma = 1``). The
    features interpolate linearly between :math:`\phi(12) = e_1`,
    :math:`\phi(8) = e_2`, :math:`\phi(4) = e_3`, :math:`\phi(0) = e_4`
    (Boyan 2002, "Technical update: Least-squares temporal difference
    learning", Machine Learning 49: 233-246, the 13-state chain experiment).

    The exact value is :math:`v(s) = -2s`: :math:`v(0) = 0`, :math:`v(1) = -2`,
    and :math:`-3 + \tfrac12(-2(s-1) - 2(s-2)) = -2s`. It is linear in
    :math:`s`, hence in the span of the features, with weights
    :math:`\theta^* = (-24, -16, -8, 0)`, the solution LSTD(:math:`\lambda`)
    converges to for every :math:`\lambda` (derived here; the features of the
    terminal state 0 are not used, :math:`v(0) = 0` by definition).

    Examples
    --------
    >>> import numpy as np
    >>> b = boyan_chain()
    >>> b.mdp.terminal_states.tolist(), int(np.argmax(b.mdp.initial_distribution)), b.features.shape
    ([0], 12, (13, 4))
    >>> (b.features @ [-24.0, -16.0, -8.0, 0.0]).tolist() == [-2.0 * s for s in range(13)]
    True
    """
    S = 13
    P = np.zeros((S, 1, S))
    R = np.zeros((S, 1))
    P[0, 0, 0] = 1.0
    P[1, 0, 0] = 1.0
    R[1, 0] = -2.0
    for s in range(2, S):
        P[s, 0, s - 1] = P[s, 0, s - 2] = 0.5
        R[s, 0] = -3.0
    mu = np.zeros(S)
    mu[12] = 1.0
    mdp = FiniteMDP(P, R, gamma=1.0, terminal_states=[0], initial_distribution=mu)
    phi = np.zeros((S, 4))
    for s in range(S):
        k, frac = divmod(12 - s, 4)  # s lies between the anchors 12 - 4k and 12 - 4(k + 1)
        phi[s, k] = 1.0 - frac / 4.0
        if frac:
            phi[s, k + 1] = frac / 4.0
    return BoyanChain(mdp, phi, np.zeros(S, dtype=np.int64))


# --------------------------------------------------------------------------- compiled learners

_TD, _GTD2, _TDC, _LSTD = 0, 1, 2, 3
_NAMES = {_TD: "td", _GTD2: "gtd2", _TDC: "tdc", _LSTD: "lstd"}


@njit(cache=True)
def _start(rng, cum0, term):
    # episodes start from the initial distribution; a terminal draw is an episode without transitions
    s = rng_categorical(rng, cum0)
    while term[s]:
        s = rng_categorical(rng, cum0)
    return s


@njit(cache=True)
def _run_td(
    algo,
    cumP,
    cumMu,
    rho,
    R,
    phi,
    cum0,
    term,
    gamma,
    lam,
    alpha,
    beta,
    decay,
    offset,
    reg,
    theta0,
    times,
    rng,
    o_theta,
    o_w,
    o_A,
    o_b,
):
    S, d = phi.shape
    theta = theta0.copy()
    w = np.zeros(d)
    e = np.zeros(d)
    A = np.zeros((d, d))
    b = np.zeros(d)
    s = _start(rng, cum0, term)
    c = 0
    n_steps = times[times.shape[0] - 1]
    for t in range(n_steps):
        a = rng_categorical(rng, cumMu[s])
        s2 = rng_categorical(rng, cumP[s, a])
        r = R[s, a]
        p = rho[s, a]
        done = term[s2]
        # v(terminal) = 0: the next-state features of a terminal transition are zero (g2 = 0)
        g2 = 0.0 if done else gamma
        step = alpha / (1.0 + t / offset) ** decay
        bstep = beta / (1.0 + t / offset) ** decay
        v = 0.0
        v2 = 0.0
        for i in range(d):
            v += phi[s, i] * theta[i]
        if not done:
            for i in range(d):
                v2 += phi[s2, i] * theta[i]
        delta = r + g2 * v2 - v
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
                        A[i, j] += e[i] * (phi[s, j] - g2 * phi[s2, j])
        else:
            pw = 0.0
            for i in range(d):
                pw += phi[s, i] * w[i]
            if algo == _GTD2:
                # Sutton et al. (2009), eq. (8)-(9): theta += alpha rho (phi - gamma phi') (phi^T w)
                for i in range(d):
                    theta[i] += step * p * (phi[s, i] - g2 * phi[s2, i]) * pw
            else:
                # TDC, Sutton et al. (2009), eq. (10): theta += alpha rho (delta phi - gamma phi' (phi^T w))
                for i in range(d):
                    theta[i] += step * p * (delta * phi[s, i] - g2 * phi[s2, i] * pw)
            for i in range(d):
                w[i] += bstep * p * (delta - pw) * phi[s, i]
        if done:
            # a new episode: fresh start state, trace e_{-1} = 0
            s = _start(rng, cum0, term)
            for i in range(d):
                e[i] = 0.0
        else:
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
def _kernel_td(
    algo,
    cumP,
    cumMu,
    rho,
    R,
    phi,
    cum0,
    term,
    gamma,
    lam,
    alpha,
    beta,
    decay,
    offset,
    reg,
    theta0,
    times,
    states,
    o_theta,
    o_w,
    o_A,
    o_b,
):
    for j in prange(states.shape[0]):
        rng = states[j].copy()
        _run_td(
            algo,
            cumP,
            cumMu,
            rho,
            R,
            phi,
            cum0,
            term,
            gamma,
            lam,
            alpha,
            beta,
            decay,
            offset,
            reg,
            theta0,
            times,
            rng,
            o_theta[j],
            o_w[j],
            o_A[j],
            o_b[j],
        )


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
        The root seed of the per-run streams.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.envs import chain
    >>> from rltheory.linear import one_hot_features, td
    >>> res = td(chain(4, gamma=0.5), np.zeros(4, dtype=int), one_hot_features(4), n_steps=500, n_runs=2, seed=0)
    >>> res.algorithm, res.theta.shape
    ('td', (2, 4))
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
        The root seed of the per-run streams.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.linear import boyan_chain, lstd
    >>> b = boyan_chain()
    >>> res = lstd(b.mdp, b.policy, b.features, n_steps=2000, n_runs=1, seed=0)
    >>> res.theta.shape
    (1, 4)
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
    return check_real(name, x, low=0.0, low_open=positive)


def _prepare(mdp, policy, features, behavior, theta0, n_steps, n_runs, seed, checkpoints, initial_distribution, who):
    _check_mdp(mdp, who)
    S = mdp.n_states
    phi = check_features(features, S, full_rank=False)
    pi = mdp.policy_matrix(policy)
    mu = pi if behavior is None else mdp.policy_matrix(behavior)
    bad = (pi > 0) & (mu <= 0)
    if bad.any():
        s, a = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"behavior[{s}, {a}] = 0 but policy[{s}, {a}] = {pi[s, a]!r} > 0: "
            "the target is not covered by the behaviour policy"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(mu > 0, pi / np.where(mu > 0, mu, 1.0), 0.0)
    n_steps = check_int("n_steps", n_steps, low=1)
    n_runs = check_int("n_runs", n_runs, low=1)
    seed = check_int("seed", seed, low=0)
    if isinstance(checkpoints, numbers.Integral) and not isinstance(checkpoints, bool):
        k = check_int("checkpoints", checkpoints, low=1)
        if k > 1:
            times = np.unique(np.rint(np.logspace(0, np.log10(n_steps), k)).astype(np.int64))
        else:
            times = np.array([n_steps])
    else:
        times = np.asarray(checkpoints, dtype=np.int64)
        if times.ndim != 1 or times.size == 0 or (np.diff(times) <= 0).any() or times[0] < 1 or times[-1] > n_steps:
            raise ValueError(f"checkpoints must be an int or strictly increasing step counts in [1, {n_steps}]")
    if times[-1] != n_steps:
        times = np.append(times, n_steps)
    d = phi.shape[1]
    th0 = np.zeros(d) if theta0 is None else np.array(theta0, dtype=np.float64)
    check_shape("theta0", th0, (d,))
    check_finite("theta0", th0)
    term = np.zeros(S, dtype=np.bool_)
    if _is_episodic(mdp):
        rho0 = _initial(mdp, initial_distribution, who, required=True)
        Pmu = np.einsum("sa,sat->st", mu, mdp.dense_P)
        _check_episodes(mdp, Pmu, rho0, who, "the policy" if behavior is None else "the behaviour policy")
        term[mdp.terminal_states] = True
    elif initial_distribution is None:
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
        term=term,
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
        algo,
        prep["cumP"],
        prep["cumMu"],
        prep["rho"],
        prep["R"],
        prep["phi"],
        prep["cum0"],
        prep["term"],
        float(gamma),
        float(lam),
        float(alpha),
        float(beta),
        float(decay),
        float(offset),
        float(reg),
        prep["theta0"],
        prep["times"],
        states,
        o_theta,
        o_w,
        o_A,
        o_b,
    )
    return o_theta, o_w, o_A, o_b


def td(
    mdp,
    policy,
    features,
    *,
    behavior=None,
    lambda_=0.0,
    alpha=0.01,
    decay=0.0,
    decay_offset=1.0,
    theta0=None,
    n_steps=10_000,
    n_runs=1,
    seed=0,
    checkpoints=50,
    initial_distribution=None,
) -> TDLearningResult:
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

    **Episodic models** (``gamma = 1`` with terminal states): the run is a
    sequence of episodes, each started from ``initial_distribution`` and run
    until a terminal state; :math:`\phi_{t+1} = 0` on a terminal transition
    (:math:`v(\text{terminal}) = 0`) and the trace restarts at
    :math:`e_{-1} = 0`. On-policy with a proper policy and Robbins-Monro
    steps, :math:`\theta_t` converges to the episodic TD fixed point of
    :func:`td_fixed_point` (weights: expected visits per episode) with
    probability one (Bertsekas & Tsitsiklis 1996, Sec. 6.3).

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted or episodic, infinite horizon; rewards are the expected rewards ``R[s, a]``.
    policy : array_like
        Target policy ``(S,)`` or ``(S, A)``.
    features : array_like, shape (S, d)
    behavior : array_like, optional
        Behaviour policy generating the data (default: ``policy``, on-policy);
        must cover ``policy`` (and be proper on an episodic model). Updates
        are weighted by :math:`\rho = \pi(a|s)/\mu(a|s)`.
    n_steps, n_runs : int
        ``n_steps`` transitions per run, started from ``initial_distribution``:
        one trajectory without resets (discounted) or consecutive episodes,
        the last one cut at ``n_steps`` (episodic).
    seed : int
        The simulation engine's integer root seed: run ``j`` draws from
        ``SeedSequence(seed, spawn_key=(j,))`` (xoshiro256++, as
        :func:`rltheory.simulation.simulate`), so results do not depend on the
        number of threads. (An integer root of per-run streams, hence
        ``seed`` rather than ``rng``.)
    checkpoints : int or array_like
        Number of log-spaced checkpoints, or explicit increasing step counts.
    alpha, decay, decay_offset : float
        Step-size schedule.
    lambda_ : float in [0, 1]
    theta0 : array_like, optional
        Start weights (default 0).
    initial_distribution : array_like, optional
        Default the model's; else uniform (discounted) or an error (episodic).

    Returns
    -------
    TDLearningResult

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.envs import chain
    >>> from rltheory.linear import boyan_chain, one_hot_features, td
    >>> res = td(chain(4, gamma=0.5), np.zeros(4, dtype=int), one_hot_features(4), n_steps=2000, n_runs=2, seed=1)
    >>> res.trajectory.shape[0], res.theta.shape
    (2, (2, 4))
    >>> b = boyan_chain()
    >>> res = td(b.mdp, b.policy, b.features, alpha=0.1, decay=1.0, decay_offset=1e3, n_steps=100_000, n_runs=4)
    >>> (res.theta.mean(axis=0).round(0) + 0.0).tolist()
    [-24.0, -16.0, -8.0, 0.0]
    """
    lam = _lambda(lambda_)
    prep = _prepare(
        mdp, policy, features, behavior, theta0, n_steps, n_runs, seed, checkpoints, initial_distribution, "td"
    )
    o = _launch(
        _TD,
        prep,
        mdp.gamma,
        lam,
        _nonneg("alpha", alpha, True),
        0.0,
        _nonneg("decay", decay),
        _nonneg("decay_offset", decay_offset, True),
        0.0,
    )
    return TDLearningResult("td", prep["times"], o[0], o[0][:, -1], np.zeros_like(o[1]), prep["seed"])


def _gradient_td(
    algo,
    mdp,
    policy,
    features,
    behavior,
    alpha,
    beta,
    decay,
    decay_offset,
    theta0,
    n_steps,
    n_runs,
    seed,
    checkpoints,
    initial_distribution,
):
    who = _NAMES[algo]
    prep = _prepare(
        mdp, policy, features, behavior, theta0, n_steps, n_runs, seed, checkpoints, initial_distribution, who
    )
    o = _launch(
        algo,
        prep,
        mdp.gamma,
        0.0,
        _nonneg("alpha", alpha, True),
        _nonneg("beta", beta, True),
        _nonneg("decay", decay),
        _nonneg("decay_offset", decay_offset, True),
        0.0,
    )
    return TDLearningResult(who, prep["times"], o[0], o[0][:, -1], o[1], prep["seed"])


def gtd2(
    mdp,
    policy,
    features,
    *,
    behavior=None,
    alpha=0.005,
    beta=0.05,
    decay=0.0,
    decay_offset=1.0,
    theta0=None,
    n_steps=10_000,
    n_runs=1,
    seed=0,
    checkpoints=50,
    initial_distribution=None,
) -> TDLearningResult:
    r"""GTD2 (Sutton, Maei, Precup, Bhatnagar, Silver, Szepesvari & Wiewiora 2009, eqs. (8)-(9)).

    .. math::

        \theta_{t+1} = \theta_t + \alpha_t\rho_t(\phi_t - \gamma\phi_{t+1})(\phi_t^\top w_t),\qquad
        w_{t+1} = w_t + \beta_t\rho_t(\delta_t - \phi_t^\top w_t)\phi_t .

    A stochastic gradient method on the MSPBE (:func:`mspbe`) with the
    behaviour policy's state distribution; it converges off-policy with
    Robbins-Monro steps (Sutton et al. 2009, Theorem 1) where TD can diverge.
    On an episodic model, episodes as in :func:`td` (:math:`\phi_{t+1} = 0`
    on a terminal transition; :math:`w` carries over between episodes).

    Parameters
    ----------
    mdp, policy, features, behavior, n_steps, n_runs, seed, checkpoints, initial_distribution, theta0
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
    >>> gtd2(b.mdp, b.target, b.features, behavior=b.behavior, theta0=b.theta0, n_steps=100).algorithm
    'gtd2'
    """
    return _gradient_td(
        _GTD2,
        mdp,
        policy,
        features,
        behavior,
        alpha,
        beta,
        decay,
        decay_offset,
        theta0,
        n_steps,
        n_runs,
        seed,
        checkpoints,
        initial_distribution,
    )


def tdc(
    mdp,
    policy,
    features,
    *,
    behavior=None,
    alpha=0.005,
    beta=0.05,
    decay=0.0,
    decay_offset=1.0,
    theta0=None,
    n_steps=10_000,
    n_runs=1,
    seed=0,
    checkpoints=50,
    initial_distribution=None,
) -> TDLearningResult:
    r"""TDC, TD with gradient correction (Sutton et al. 2009, eq. (10); Sutton & Barto 2018, eq. (11.29)-(11.30)).

    .. math::

        \theta_{t+1} = \theta_t + \alpha_t\rho_t(\delta_t\phi_t - \gamma\phi_{t+1}(\phi_t^\top w_t)),\qquad
        w_{t+1} = w_t + \beta_t\rho_t(\delta_t - \phi_t^\top w_t)\phi_t .

    Converges off-policy with two-timescale steps (Sutton et al. 2009,
    Theorem 2); the defaults are those of Sutton & Barto (2018), Fig. 11.5.
    Episodic models as in :func:`gtd2`.

    Parameters
    ----------
    mdp, policy, features, behavior, n_steps, n_runs, seed, checkpoints, initial_distribution, theta0
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
    >>> tdc(b.mdp, b.target, b.features, behavior=b.behavior, theta0=b.theta0, n_steps=100).theta.shape
    (1, 8)
    """
    return _gradient_td(
        _TDC,
        mdp,
        policy,
        features,
        behavior,
        alpha,
        beta,
        decay,
        decay_offset,
        theta0,
        n_steps,
        n_runs,
        seed,
        checkpoints,
        initial_distribution,
    )


def lstd(
    mdp,
    policy,
    features,
    *,
    behavior=None,
    lambda_=0.0,
    regularization=0.0,
    n_steps=10_000,
    n_runs=1,
    seed=0,
    checkpoints=50,
    initial_distribution=None,
) -> LSTDResult:
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

    On an episodic model (episodes as in :func:`td`: :math:`\gamma = 1`,
    :math:`\phi_{t+1} = 0` on a terminal transition, traces restarted at each
    episode) the per-episode sums have expectations
    :math:`\Phi^\top\mathrm{diag}(\eta)(I-\lambda P)^{-1}(I-P)\Phi` and
    :math:`\Phi^\top\mathrm{diag}(\eta)(I-\lambda P)^{-1}r` with
    :math:`\eta` the expected visits per episode, so by the renewal-reward
    theorem the per-transition averages converge to the :math:`A, b` of
    :func:`td_fixed_point` (weights :math:`\eta/\sum\eta`) and
    :math:`\hat\theta_n` to the episodic fixed point (Boyan 2002; Bertsekas &
    Tsitsiklis 1996, Sec. 6.3).

    Parameters
    ----------
    mdp, policy, features, behavior, n_steps, n_runs, seed, checkpoints, initial_distribution
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
    >>> from rltheory.linear import boyan_chain, one_hot_features, lstd
    >>> lstd(chain(4, gamma=0.5), np.zeros(4, dtype=int), one_hot_features(4), n_steps=500).A.shape
    (1, 4, 4)
    >>> b = boyan_chain()
    >>> (lstd(b.mdp, b.policy, b.features, lambda_=0.5, n_steps=100_000).theta.round(0) + 0.0).tolist()
    [[-24.0, -16.0, -8.0, 0.0]]
    """
    lam = _lambda(lambda_)
    prep = _prepare(
        mdp, policy, features, behavior, None, n_steps, n_runs, seed, checkpoints, initial_distribution, "lstd"
    )
    o = _launch(_LSTD, prep, mdp.gamma, lam, 1.0, 0.0, 0.0, 1.0, _nonneg("regularization", regularization))
    return LSTDResult(prep["times"], o[0], o[0][:, -1], o[2], o[3], prep["seed"])


def td_reference_run(
    algorithm: str,
    mdp: FiniteMDP,
    policy,
    features,
    *,
    behavior=None,
    lambda_=0.0,
    alpha=0.01,
    beta=0.05,
    decay=0.0,
    decay_offset=1.0,
    theta0=None,
    n_steps=100,
    seed=0,
    initial_distribution=None,
) -> np.ndarray:
    r"""Plain-Python/NumPy twin of the compiled learners for run 0 (``"td"``, ``"gtd2"``, ``"tdc"``; final theta).

    Draws from the same xoshiro256++ stream (:class:`rltheory.simulation.PyXoshiro`)
    with the same sampling rule, so the compiled kernel must return the same
    iterate up to floating-point reassociation (it uses the same operation
    order). Episodic models as in :func:`td`.

    Examples
    --------
    >>> from rltheory.linear import baird_counterexample
    >>> b = baird_counterexample()
    >>> td_reference_run("tdc", b.mdp, b.target, b.features, behavior=b.behavior, theta0=b.theta0).shape
    (8,)
    """
    from ..simulation import PyXoshiro

    code = {"td": _TD, "gtd2": _GTD2, "tdc": _TDC}[algorithm]
    prep = _prepare(
        mdp, policy, features, behavior, theta0, n_steps, 1, seed, 1, initial_distribution, "td_reference_run"
    )
    g = PyXoshiro(run_states(prep["seed"], np.arange(1), 1)[0, 0])
    term = prep["term"]

    def start():
        s = g.categorical(prep["cum0"])
        while term[s]:
            s = g.categorical(prep["cum0"])
        return s

    phi, gamma = prep["phi"], float(mdp.gamma)
    theta = prep["theta0"].copy()
    w = np.zeros_like(theta)
    e = np.zeros_like(theta)
    s = start()
    for t in range(n_steps):
        a = g.categorical(prep["cumMu"][s])
        s2 = g.categorical(prep["cumP"][s, a])
        r, p = prep["R"][s, a], prep["rho"][s, a]
        g2 = 0.0 if term[s2] else gamma
        step = alpha / (1.0 + t / decay_offset) ** decay
        bstep = beta / (1.0 + t / decay_offset) ** decay
        v2 = 0.0 if term[s2] else phi[s2] @ theta
        delta = r + g2 * v2 - phi[s] @ theta
        if code == _TD:
            e = p * (gamma * lambda_ * e + phi[s])
            theta = theta + step * delta * e
        else:
            pw = phi[s] @ w
            if code == _GTD2:
                theta = theta + step * p * (phi[s] - g2 * phi[s2]) * pw
            else:
                theta = theta + step * p * (delta * phi[s] - g2 * phi[s2] * pw)
            w = w + bstep * p * (delta - pw) * phi[s]
        if term[s2]:
            s = start()
            e = np.zeros_like(theta)
        else:
            s = s2
    return theta
