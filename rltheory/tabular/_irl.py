r"""Inverse reinforcement learning on finite MDPs: feasible reward sets, identifiability, misspecification.

* **Optimal experts** (Ng & Russell 2000; Metelli, Ramponi, Concetti & Restelli 2021). A stationary policy
  :math:`\pi` is optimal for :math:`r` iff every advantage is non-positive, :math:`A^\pi_r(s,a) = q^\pi_r(s,a) -
  v^\pi_r(s) \le 0`, a homogeneous linear condition on :math:`r`: the *feasible reward set* is the polyhedral
  cone :math:`\{r : G_\pi r \le 0\}`, :math:`G_\pi = I + (\gamma P - E)(I - \gamma P^\pi)^{-1}\Pi` (rows of the
  allowed pairs; :math:`E` the state indicator, :math:`\Pi` the policy's averaging). For state rewards this is
  Ng & Russell's Theorem 3, :math:`(P_{\pi} - P_a)(I - \gamma P_\pi)^{-1} R \succeq 0`; for state-action rewards
  it is the explicit set :math:`r = -B^\pi\zeta + (E - \gamma P)V`, :math:`\zeta \ge 0`, :math:`B^\pi(s,a) =
  \mathbb 1\{\pi(a|s) = 0\}` (Metelli et al. 2021, Lemma 3.2).
* **Entropy-regularized experts** (maximum causal entropy): :math:`\pi(a|s) = \exp((q^*_\tau(s,a) -
  v^*_\tau(s))/\tau)`, so :math:`r = \tau\log\pi + (E - \gamma P)V` for some :math:`V` (Cao, Cohen & Szpruch 2021,
  Theorem 1): identifiable up to potential shaping. With cost constraints :math:`J_{c_i}(\pi) \le b_i` the KKT
  conditions add the cone of the *active* costs, :math:`r \in \tau\log\pi + \mathrm{im}(E - \gamma P) +
  \mathrm{cone}\{c_i : i \text{ active}\}`, and identifiability up to shaping is lost (Schlaginhaufen &
  Kamgarpour 2023); demonstrations in several environments intersect their sets (Cao et al. 2021, Sec. 4).
* **Misspecification** (Skalse & Abate 2023, 2024): the STARC distance between the true reward and those IRL can
  return under a misspecified behavioural model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.optimize as so

from rltheory._validation import check_choice, check_finite, check_real, check_tol, readonly
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._occupancy_lp import resolve_initial_distribution, solve_lp

__all__ = [
    "FeasibleRewardSet",
    "IdentifiabilityResult",
    "MisspecificationResult",
    "NgRussellResult",
    "RewardSet",
    "irl_feasible_set",
    "misspecification_sensitivity",
    "ng_russell_irl",
    "reward_identifiability",
    "soft_irl_reward_set",
    "starc_distance",
]

_EPS = float(np.finfo(float).eps)


def _advantage_operator(mdp: FiniteMDP, pi: np.ndarray) -> np.ndarray:
    r""":math:`G = I + (\gamma P - E)(I - \gamma P^\pi)^{-1}\Pi`, ``(S*A, S*A)``: :math:`G r = A^\pi_r` flattened."""
    S, A = mdp.n_states, mdp.n_actions
    P = np.asarray(mdp.dense_P).reshape(S * A, S)
    E = np.repeat(np.eye(S), A, axis=0)
    Pi = np.zeros((S, S * A))
    Pi[np.repeat(np.arange(S), A), np.arange(S * A)] = pi.ravel()
    M = np.linalg.solve(np.eye(S) - mdp.gamma * (Pi @ P), Pi)  # (I - gamma P^pi)^{-1} Pi
    return np.eye(S * A) + (mdp.gamma * P - E) @ M


def _shaping_matrix(mdp: FiniteMDP) -> np.ndarray:
    r""":math:`E - \gamma P`, ``(S*A, S)``: :math:`(E - \gamma P)V` is the potential shaping
    :math:`V(s) - \gamma \sum_{s'} P(s'|s,a) V(s')`."""
    S, A = mdp.n_states, mdp.n_actions
    return np.repeat(np.eye(S), A, axis=0) - mdp.gamma * np.asarray(mdp.dense_P).reshape(S * A, S)


def _rank_tol(M: np.ndarray) -> float:
    return max(M.shape) * _EPS * 1e3 * max(1.0, float(np.max(np.abs(M), initial=0.0)))


@dataclass(frozen=True, eq=False)
class FeasibleRewardSet:
    r"""Result of :func:`irl_feasible_set`: the rewards for which the expert policy is optimal.

    Attributes
    ----------
    reward : str
        ``"state_action"`` (vectors of length ``S*A``, row-major) or ``"state"`` (length ``S``).
    constraints : numpy.ndarray, shape (m, n)
        :math:`G`: the set is :math:`\{r : G r \le 0\}` (one row per allowed pair off the policy's support, and,
        for a stochastic policy, per supported pair; identically zero rows dropped).
    lineality : numpy.ndarray, shape (n, l)
        Orthonormal basis of the rewards :math:`r` with :math:`G r = 0` and :math:`G(-r) = 0` (the
        lineality space, :math:`\ker G`): for state-action rewards it contains the potential shapings
        :math:`(E-\gamma P)V` and the rewards of disallowed pairs.
    rays : numpy.ndarray or None, shape (n, q)
        State-action rewards only: the other generators, :math:`-e_{(s,a)}` for the allowed pairs off the
        support (Metelli et al. 2021, Lemma 3.2): the set is :math:`\{L\alpha + R\beta : \beta \ge 0\}`.
    dimension : int
        Dimension of the set (of its linear span).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, irl_feasible_set
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5)  # one state, two actions
    >>> fs = irl_feasible_set(mdp, np.array([0]))
    >>> fs.contains(np.array([1.0, 0.0])), fs.contains(np.array([0.0, 1.0]))
    (True, False)
    """

    reward: str
    constraints: np.ndarray
    lineality: np.ndarray
    rays: np.ndarray | None
    dimension: int

    def contains(self, reward, tol: float = 1e-9) -> bool:
        """Whether ``reward`` (flattened, or ``(S, A)``) makes the expert optimal: ``max(G r) <= tol * max(1, |r|)``.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP, irl_feasible_set
        >>> fs = irl_feasible_set(FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5), np.array([1]))
        >>> fs.contains(np.array([[0.0, 1.0]])), fs.contains(np.array([[1.0, 0.0]]))
        (True, False)
        """
        r = np.asarray(reward, dtype=float).ravel()
        if r.size != self.constraints.shape[1]:
            raise ValueError(f"reward has {r.size} entries, expected {self.constraints.shape[1]}")
        if self.constraints.shape[0] == 0:
            return True
        return bool(np.max(self.constraints @ r) <= tol * max(1.0, float(np.max(np.abs(r)))))


def irl_feasible_set(mdp: FiniteMDP, policy, *, reward: str = "state_action") -> FeasibleRewardSet:
    r"""The set of rewards for which ``policy`` is optimal (Ng & Russell 2000; Metelli et al. 2021).

    :math:`\pi` is optimal for :math:`r` iff :math:`A^\pi_r \le 0` on every allowed pair (Puterman 2005,
    Theorem 6.2.6: a policy whose value satisfies the optimality equation is optimal), i.e. :math:`G_\pi r \le
    0` (module docstring). For ``reward="state"`` (:math:`r(s,a) = R(s)`) the rows are Ng & Russell's
    (2000, Theorem 3) :math:`-\gamma(P_\pi - P_a)(I - \gamma P_\pi)^{-1} R \le 0`.

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted; ``R`` is not used.
    policy : array_like
        ``(S,)`` actions or ``(S, A)`` probabilities (stochastic experts: every supported action must be
        optimal, which the rows on the support impose).
    reward : {"state_action", "state"}

    Returns
    -------
    FeasibleRewardSet

    References
    ----------
    A. Y. Ng, S. Russell, "Algorithms for inverse reinforcement learning", ICML 2000, Theorem 3.
    A. M. Metelli, G. Ramponi, A. Concetti, M. Restelli, "Provably efficient learning of transferable rewards",
    ICML 2021, Lemma 3.2.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, irl_feasible_set
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])  # action a moves to state a
    >>> fs = irl_feasible_set(FiniteMDP(P, np.zeros((2, 2)), gamma=0.9), np.array([1, 1]), reward="state")
    >>> fs.contains([0.0, 1.0]), fs.contains([1.0, 0.0]), fs.dimension  # "go to state 1" needs R(1) >= R(0)
    (True, False, 2)
    """
    FiniteMDP.require(mdp, "discounted", "irl_feasible_set")
    reward = check_choice("reward", reward, ("state_action", "state"))
    pi = mdp.policy_matrix(policy)
    S, A = mdp.n_states, mdp.n_actions
    G = _advantage_operator(mdp, pi)
    mask = np.asarray(mdp.action_mask).ravel()
    G = G[mask]
    if reward == "state":
        G = G @ np.repeat(np.eye(S), A, axis=0)
    G = G[np.max(np.abs(G), axis=1) > _rank_tol(G)] if G.size else G
    n = S * A if reward == "state_action" else S
    if G.shape[0]:
        lineality = sla.null_space(G, rcond=_rank_tol(G) / max(1.0, float(np.linalg.norm(G, 2))))
    else:
        lineality = np.eye(n)
    rays = None
    if reward == "state_action":
        off = np.flatnonzero(mask & (pi.ravel() == 0))
        rays = -np.eye(n)[:, off]
    dim = _cone_dimension(G, n)
    return FeasibleRewardSet(
        reward=reward,
        constraints=readonly(G),
        lineality=readonly(lineality),
        rays=None if rays is None else readonly(rays),
        dimension=dim,
    )


def _cone_dimension(G: np.ndarray, n: int) -> int:
    """Dimension of {r : G r <= 0}: n minus the rank of its implicit equalities (rows with G_i r = 0 on the whole
    cone), found by one LP per row: max -G_i r s.t. G r <= 0, G_i r >= -1 (HiGHS)."""
    if G.shape[0] == 0:
        return n
    implicit = []
    for i in range(G.shape[0]):
        res = so.linprog(
            G[i],
            A_ub=np.vstack([G, -G[i]]),
            b_ub=np.r_[np.zeros(G.shape[0]), 1.0],
            bounds=[(None, None)] * n,
            method="highs",
        )
        if res.status == 0 and -res.fun <= 1e-9:
            implicit.append(i)
    if not implicit:
        return n
    Gi = G[implicit]
    return n - int(np.linalg.matrix_rank(Gi, tol=_rank_tol(Gi)))


# --------------------------------------------------------------------------- Ng & Russell's LP
@dataclass(frozen=True, eq=False)
class NgRussellResult:
    r"""Result of :func:`ng_russell_irl`.

    Attributes
    ----------
    reward : numpy.ndarray, shape (S,)
        The state reward :math:`R` returned by the LP (the expert is optimal for it).
    margins : numpy.ndarray, shape (S,)
        :math:`\min_{a \ne \pi(s)} [(P_\pi - P_a)(I-\gamma P_\pi)^{-1}R](s)` (0 for states with one allowed action).
    objective : float
        :math:`\sum_s \text{margin}(s) - \lambda \|R\|_1`.
    status, duality_gap, primal_infeasibility, dual_infeasibility, solver
        The LP certificate (checked).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, ng_russell_irl
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])
    >>> res = ng_russell_irl(FiniteMDP(P, np.zeros((2, 2)), gamma=0.5), np.array([0, 0]))
    >>> np.round(res.reward, 6).tolist(), bool(res.duality_gap < 1e-6)
    ([1.0, -1.0], True)
    """

    reward: np.ndarray
    margins: np.ndarray
    objective: float
    status: str
    duality_gap: float
    primal_infeasibility: float
    dual_infeasibility: float
    solver: str


def ng_russell_irl(
    mdp: FiniteMDP,
    policy,
    *,
    l1_penalty: float = 0.0,
    r_max: float = 1.0,
    tol: float = 1e-7,
    solver: str | None = None,
    solver_options: dict | None = None,
) -> NgRussellResult:
    r"""Ng & Russell's linear program for a state reward that makes a deterministic expert optimal.

    .. math::

        \max_R \ \sum_s \min_{a \ne \pi(s)} \big[(P_\pi - P_a)(I - \gamma P_\pi)^{-1} R\big](s) - \lambda\|R\|_1
        \quad\text{s.t.}\quad (P_\pi - P_a)(I - \gamma P_\pi)^{-1} R \succeq 0\ \ \forall a,\quad |R(s)| \le R_{\max}

    (Ng & Russell 2000, Sec. 3.2, the LP after Theorem 3, with :math:`\pi(s)` in place of their :math:`a_1`):
    among the feasible rewards (:func:`irl_feasible_set`, ``reward="state"``), the one that makes the expert's
    action beat the second best by the most, penalizing :math:`\ell_1` norm. Solved as an LP (margins and
    :math:`|R|` as auxiliary variables) and certified (status, primal and dual feasibility, gap).

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted.
    policy : array_like, shape (S,)
        The deterministic expert.
    l1_penalty : float
        :math:`\lambda \ge 0`.
    r_max : float
        :math:`R_{\max} > 0`.
    tol, solver, solver_options
        Certificate threshold and the cvxpy solver.

    Returns
    -------
    NgRussellResult

    References
    ----------
    A. Y. Ng, S. Russell, "Algorithms for inverse reinforcement learning", ICML 2000, Sec. 3.2.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, ng_russell_irl
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])  # action a moves to state a
    >>> res = ng_russell_irl(FiniteMDP(P, np.zeros((2, 2)), gamma=0.5), np.array([1, 1]))
    >>> np.round(res.reward, 6), res.status
    (array([-1.,  1.]), 'optimal')
    """
    FiniteMDP.require(mdp, "discounted", "ng_russell_irl")
    pol = np.asarray(policy)
    if pol.ndim != 1:
        raise ValueError("ng_russell_irl needs a deterministic policy of shape (S,) (Ng & Russell's setting)")
    pi = mdp.policy_matrix(pol)
    lam = check_real("l1_penalty", l1_penalty, low=0.0)
    rmax = check_real("r_max", r_max, low=0.0, low_open=True)
    tol = check_tol(tol)
    S = mdp.n_states
    P = np.asarray(mdp.dense_P)
    mask = np.asarray(mdp.action_mask)
    P_pi = np.einsum("sa,sat->st", pi, P)
    Minv = np.linalg.inv(np.eye(S) - mdp.gamma * P_pi)
    rows, owner = [], []
    for s in range(S):
        for a in np.flatnonzero(mask[s]):
            if a != pol[s]:
                rows.append((P_pi[s] - P[s, a]) @ Minv)
                owner.append(s)
    D = np.array(rows).reshape(-1, S)
    owner = np.array(owner, dtype=int)
    with_margin = np.unique(owner)
    nm = with_margin.size
    # variables x = (R (S), m (nm), u (S)); maximize sum m - lam sum u
    c = np.r_[np.zeros(S), np.ones(nm), -lam * np.ones(S)]
    blocks = []
    pos = {s: j for j, s in enumerate(with_margin)}
    if D.shape[0]:
        blocks.append((np.hstack([-D, np.zeros((D.shape[0], nm)), np.zeros((D.shape[0], S))]), np.zeros(D.shape[0])))
        Mm = np.zeros((D.shape[0], nm))
        Mm[np.arange(D.shape[0]), [pos[s] for s in owner]] = 1.0
        blocks.append((np.hstack([-D, Mm, np.zeros((D.shape[0], S))]), np.zeros(D.shape[0])))  # m_s <= D R
    I = np.eye(S)
    Z = np.zeros((S, nm))
    blocks += [
        (np.hstack([I, Z, -I]), np.zeros(S)),  # R <= u
        (np.hstack([-I, Z, -I]), np.zeros(S)),  # -R <= u
        (np.hstack([I, Z, np.zeros((S, S))]), np.full(S, rmax)),
        (np.hstack([-I, Z, np.zeros((S, S))]), np.full(S, rmax)),
    ]
    A_ub = np.vstack([b[0] for b in blocks])
    b_ub = np.concatenate([b[1] for b in blocks])
    sol = solve_lp(
        c,
        A_ub,
        b_ub,
        who="ng_russell_irl",
        tol=tol,
        solver=solver,
        solver_options=solver_options,
        scale=rmax * S / (1.0 - mdp.gamma),
    )
    if sol.x is None:  # the program is always feasible (R = 0) and bounded (|R| <= r_max)
        raise RuntimeError(f"ng_russell_irl: the solver {sol.solver} reports the LP {sol.status}")
    R = sol.x[:S]
    margins = np.zeros(S)
    if D.shape[0]:
        DR = D @ R
        for s in with_margin:
            margins[s] = float(np.min(DR[owner == s]))
    return NgRussellResult(
        reward=readonly(R),
        margins=readonly(margins),
        objective=sol.objective,
        status=sol.status,
        duality_gap=sol.duality_gap,
        primal_infeasibility=sol.primal_infeasibility,
        dual_infeasibility=sol.dual_infeasibility,
        solver=sol.solver,
    )


# --------------------------------------------------------------------------- entropy-regularized experts
@dataclass(frozen=True, eq=False)
class RewardSet:
    r"""Result of :func:`soft_irl_reward_set`: :math:`\{p + L\alpha + K\beta : \alpha \text{ free}, \beta \ge 0\}`
    over the allowed pairs (vectors of length ``n_allowed``, row-major order of ``action_mask``).

    Attributes
    ----------
    particular : numpy.ndarray, shape (S, A)
        :math:`\tau\log\pi` (0 on disallowed pairs).
    lineality : numpy.ndarray, shape (n_allowed, l)
        Orthonormal basis of the potential shapings :math:`\mathrm{im}(E - \gamma P)` restricted to the allowed
        pairs.
    rays : numpy.ndarray, shape (n_allowed, q)
        The active costs :math:`c_i` (one column each; none without constraints).
    active : numpy.ndarray of bool, shape (m,)
        Which constraints are active at the expert (:math:`J_{c_i}(\pi) = b_i` within tolerance).
    allowed : numpy.ndarray of bool, shape (S, A)
    shaping : numpy.ndarray, shape (n_allowed, S)
        :math:`E - \gamma P` on the allowed rows (the model's shaping operator).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, soft_irl_reward_set
    >>> rs = soft_irl_reward_set(FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5), np.full((1, 2), 0.5), 1.0)
    >>> rs.lineality.shape, rs.rays.shape, rs.active.size
    ((2, 1), (2, 0), 0)
    """

    particular: np.ndarray
    lineality: np.ndarray
    rays: np.ndarray
    active: np.ndarray
    allowed: np.ndarray
    shaping: np.ndarray


def soft_irl_reward_set(
    mdp: FiniteMDP,
    policy,
    temperature: float,
    *,
    costs=None,
    thresholds=None,
    initial_distribution=None,
    tol: float = 1e-8,
) -> RewardSet:
    r"""The rewards for which ``policy`` is the entropy-regularized optimum (possibly under cost constraints).

    Unconstrained (Cao, Cohen & Szpruch 2021, Theorem 1): the soft-optimal policy of :math:`r` at temperature
    :math:`\tau` is :math:`\pi(a|s) = \exp((q^*_\tau(s,a) - v^*_\tau(s))/\tau)` with :math:`q^*_\tau = r +
    \gamma P v^*_\tau`, hence :math:`r = \tau\log\pi + (E - \gamma P)v` for some :math:`v`, and conversely every
    such :math:`r` has soft-optimal policy :math:`\pi` (potential shaping leaves it unchanged, Ng, Harada &
    Russell 1999). With constraints :math:`J_{c_i}(\pi) = \mu^\top v^\pi_{c_i} \le b_i` the expert maximizes
    :math:`J_r + \tau\mathcal H` over the feasible policies; the problem is convex in the occupancy and (under
    Slater) its KKT conditions say :math:`\pi` is soft-optimal for :math:`r - \sum_i \eta_i c_i`,
    :math:`\eta \ge 0`, :math:`\eta_i = 0` off the active constraints, so :math:`r \in \tau\log\pi +
    \mathrm{im}(E-\gamma P) + \mathrm{cone}\{c_i : i\ \text{active}\}` (Schlaginhaufen & Kamgarpour 2023,
    Sec. 3-4).

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted.
    policy : array_like, shape (S, A)
        The expert; strictly positive on allowed pairs (an entropy-regularized optimum always is).
    temperature : float
        :math:`\tau > 0`.
    costs : array_like, shape (m, S, A), optional
    thresholds : array_like, shape (m,), optional
        Required with ``costs``; the expert must satisfy them (``ValueError`` naming a violated one).
    initial_distribution : array_like, optional
        :math:`\mu` for the cost values; default ``mdp.initial_distribution``.
    tol : float
        A constraint is active when :math:`|J_{c_i}(\pi) - b_i| \le` ``tol * max(1, |b_i|)``.

    Returns
    -------
    RewardSet

    References
    ----------
    H. Cao, S. N. Cohen, L. Szpruch, "Identifiability in inverse reinforcement learning", NeurIPS 2021.
    A. Schlaginhaufen, M. Kamgarpour, "Identifiability and generalizability in constrained inverse reinforcement
    learning", ICML 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, soft_irl_reward_set
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5)
    >>> rs = soft_irl_reward_set(mdp, np.array([[0.5, 0.5]]), 1.0)
    >>> rs.lineality.shape, np.round(rs.particular, 6)  # r = log(1/2) + constant shaping
    ((2, 1), array([[-0.693147, -0.693147]]))
    """
    FiniteMDP.require(mdp, "discounted", "soft_irl_reward_set")
    tau = check_real("temperature", temperature, low=0.0, low_open=True)
    tol = check_tol(tol)
    pi = mdp.policy_matrix(policy)
    mask = np.asarray(mdp.action_mask)
    S, A = mdp.n_states, mdp.n_actions
    if (pi[mask] <= 0).any():
        s, a = (int(i) for i in np.argwhere(mask & (pi <= 0))[0])
        raise ValueError(
            f"policy[{s}, {a}] = 0 on an allowed pair: an entropy-regularized optimum is strictly positive on every "
            "allowed action (use irl_feasible_set for optimal, deterministic experts)"
        )
    particular = np.where(mask, tau * np.log(np.where(mask, pi, 1.0)), 0.0)
    shaping = _shaping_matrix(mdp)[mask.ravel()]
    lineality = sla.orth(shaping, rcond=_rank_tol(shaping) / max(1.0, float(np.linalg.norm(shaping, 2))))
    n = int(mask.sum())
    rays = np.zeros((n, 0))
    active = np.zeros(0, dtype=bool)
    if costs is not None or thresholds is not None:
        if costs is None or thresholds is None:
            raise ValueError("give both costs= and thresholds=, or neither")
        c = np.asarray(costs, dtype=float)
        if c.ndim != 3 or c.shape[1:] != (S, A):
            raise ValueError(f"costs has shape {c.shape}, expected (m, {S}, {A})")
        b = np.asarray(thresholds, dtype=float).ravel()
        if b.shape != (c.shape[0],):
            raise ValueError(f"thresholds has shape {b.shape}, expected ({c.shape[0]},)")
        check_finite("costs", c)
        check_finite("thresholds", b)
        from rltheory.tabular._policy_evaluation import discounted_occupancy

        mu = resolve_initial_distribution(mdp, initial_distribution, "soft_irl_reward_set")
        d = discounted_occupancy(mdp, pi, initial_distribution=mu)
        J = np.einsum("msa,sa->m", c, d)
        limit = tol * np.maximum(1.0, np.abs(b))
        bad = J > b + limit
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"the expert violates constraint {i}: J_c = {float(J[i])!r} > threshold {float(b[i])!r}; an expert "
                "of the constrained problem satisfies its constraints"
            )
        active = np.abs(J - b) <= limit
        rays = c[active].reshape(int(active.sum()), S * A)[:, mask.ravel()].T
    return RewardSet(
        particular=readonly(particular),
        lineality=readonly(lineality),
        rays=readonly(rays),
        active=readonly(active),
        allowed=readonly(mask.copy()),
        shaping=readonly(shaping),
    )


@dataclass(frozen=True, eq=False)
class IdentifiabilityResult:
    r"""Result of :func:`reward_identifiability`.

    Attributes
    ----------
    consistent : bool
        Some reward explains every demonstration (the sets intersect).
    reward : numpy.ndarray or None, shape (S, A)
        A reward of the intersection (0 on disallowed pairs); ``None`` when inconsistent.
    ambiguity : numpy.ndarray, shape (n_allowed, d)
        Orthonormal basis of the directions in which the intersection extends (the linear part of its affine
        hull): the reward is determined exactly up to these.
    dimension : int
        ``d``.
    up_to_constant : bool
        Every direction is a constant reward (on the allowed pairs).
    up_to_shaping : bool
        Every direction is a potential shaping of the first set's model.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, reward_identifiability, soft_irl_reward_set
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5)
    >>> res = reward_identifiability(soft_irl_reward_set(mdp, np.array([[0.25, 0.75]]), 1.0))
    >>> res.consistent, res.dimension, res.up_to_constant  # one state: shaping = constants
    (True, 1, True)
    """

    consistent: bool
    reward: np.ndarray | None
    ambiguity: np.ndarray
    dimension: int
    up_to_constant: bool
    up_to_shaping: bool


def reward_identifiability(*reward_sets: RewardSet, tol: float = 1e-9) -> IdentifiabilityResult:
    r"""Decide how well demonstrations determine the reward: intersect their reward sets.

    The intersection :math:`Q = \bigcap_i (p_i + \mathrm{im} L_i + \mathrm{cone} K_i)` is a polyhedron; lifted
    to :math:`z = (r, \alpha_i, \beta_i)` it is :math:`\{z : r - L_i\alpha_i - K_i\beta_i = p_i\ \forall i,\
    \beta \ge 0\}`. Its affine hull is cut out by the equalities and the *implicit* equalities
    :math:`\beta_j = 0` (those :math:`\beta_j` that vanish on all of :math:`Q`, found by one LP each:
    :math:`\max \beta_j` s.t. :math:`z \in Q, \beta_j \le 1`); the ambiguity directions are the
    :math:`r`-components of that affine hull's null space. Identifiable *up to a constant* means every
    direction is constant, as for entropy-regularized experts observed under two discounts or two
    sufficiently different dynamics (Cao, Cohen & Szpruch 2021, Theorems 2-3); *up to shaping* means every
    direction is a potential shaping, as for one unconstrained entropy-regularized expert, which an active
    constraint breaks (Schlaginhaufen & Kamgarpour 2023).

    Parameters
    ----------
    *reward_sets : RewardSet
        From :func:`soft_irl_reward_set`, on models with the same shape and action mask.
    tol : float
        Threshold of the implicit-equality LPs and of the rank decisions (relative).

    Returns
    -------
    IdentifiabilityResult

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, reward_identifiability, soft_irl_reward_set
    >>> rng = np.random.default_rng(0)
    >>> P = rng.dirichlet(np.ones(3), size=(3, 2))
    >>> pi = rng.dirichlet(np.ones(2), size=3)
    >>> one = soft_irl_reward_set(FiniteMDP(P, np.zeros((3, 2)), gamma=0.9), pi, 1.0)
    >>> r = reward_identifiability(one)
    >>> r.dimension, r.up_to_shaping, r.up_to_constant  # one expert: up to the S-dimensional shapings
    (3, True, False)
    """
    if not reward_sets:
        raise ValueError("reward_identifiability needs at least one RewardSet")
    for rs in reward_sets:
        if not isinstance(rs, RewardSet):
            raise ValueError(f"expected RewardSet arguments (from soft_irl_reward_set), got {type(rs).__name__}")
    mask = np.asarray(reward_sets[0].allowed)
    for i, rs in enumerate(reward_sets[1:], start=1):
        if rs.allowed.shape != mask.shape or not np.array_equal(rs.allowed, mask):
            raise ValueError(f"reward set {i} has a different shape or action mask than reward set 0")
    tol = check_tol(tol)
    n = int(mask.sum())
    blocks_L = [np.asarray(rs.lineality) for rs in reward_sets]
    blocks_K = [np.asarray(rs.rays) for rs in reward_sets]
    nl = sum(L.shape[1] for L in blocks_L)
    nk = sum(K.shape[1] for K in blocks_K)
    m = len(reward_sets)
    # equality system over z = (r, alpha_1..m, beta_1..m)
    Aeq = np.zeros((m * n, n + nl + nk))
    beq = np.zeros(m * n)
    ja, jb = n, n + nl
    for i, rs in enumerate(reward_sets):
        rows = slice(i * n, (i + 1) * n)
        Aeq[rows, :n] = np.eye(n)
        L, K = blocks_L[i], blocks_K[i]
        Aeq[rows, ja : ja + L.shape[1]] = -L
        Aeq[rows, jb : jb + K.shape[1]] = -K
        ja += L.shape[1]
        jb += K.shape[1]
        beq[rows] = np.asarray(rs.particular)[mask]
    bounds = [(None, None)] * (n + nl) + [(0, None)] * nk
    scale = max(1.0, float(np.max(np.abs(beq), initial=0.0)))
    feas = so.linprog(np.zeros(n + nl + nk), A_eq=Aeq, b_eq=beq, bounds=bounds, method="highs")
    if feas.status == 2:
        return IdentifiabilityResult(False, None, readonly(np.zeros((n, 0))), 0, False, False)
    if feas.status != 0:
        raise RuntimeError(f"reward_identifiability: the feasibility LP ended with status {feas.status}")
    implicit = []
    for j in range(nk):
        cvec = np.zeros(n + nl + nk)
        cvec[n + nl + j] = -1.0
        bj = list(bounds)
        bj[n + nl + j] = (0, 1.0)
        res = so.linprog(cvec, A_eq=Aeq, b_eq=beq, bounds=bj, method="highs")
        if res.status == 0 and -res.fun <= tol * scale:
            implicit.append(n + nl + j)
    H = np.vstack([Aeq, np.eye(n + nl + nk)[implicit]]) if implicit else Aeq
    N = sla.null_space(H, rcond=tol)
    D = N[:n]
    ambiguity = sla.orth(D, rcond=tol) if D.size else np.zeros((n, 0))
    d = ambiguity.shape[1]
    one = np.ones((n, 1)) / np.sqrt(n)

    def inside(span):
        if d == 0:
            return True
        Q = sla.orth(span, rcond=tol)
        resid = ambiguity - Q @ (Q.T @ ambiguity)
        return bool(np.max(np.abs(resid)) <= 1e3 * tol)

    reward = np.zeros(mask.shape)
    reward[mask] = feas.x[:n]
    return IdentifiabilityResult(
        consistent=True,
        reward=readonly(reward),
        ambiguity=readonly(ambiguity),
        dimension=int(d),
        up_to_constant=inside(one),
        up_to_shaping=inside(np.asarray(reward_sets[0].shaping)),
    )


# --------------------------------------------------------------------------- STARC and misspecification
def _canonical(mdp: FiniteMDP, r: np.ndarray) -> np.ndarray:
    """Orthogonal projection of r (allowed pairs) onto the complement of the model's shaping space."""
    mask = np.asarray(mdp.action_mask).ravel()
    K = _shaping_matrix(mdp)[mask]
    Q = sla.orth(K, rcond=_rank_tol(K) / max(1.0, float(np.linalg.norm(K, 2))))
    return r - Q @ (Q.T @ r), Q


def _orth(M: np.ndarray, reference: float) -> np.ndarray:
    """Orthonormal basis of range(M), keeping singular values above a threshold relative to ``reference`` (the
    norm of the matrix M was computed from, so that a rounding-level remainder has an empty range)."""
    if M.size == 0:
        return np.zeros((M.shape[0], 0))
    U, sv, _ = np.linalg.svd(M, full_matrices=False)
    return U[:, sv > max(M.shape) * 1e3 * _EPS * max(1.0, reference)]


def _unit(x: np.ndarray) -> np.ndarray:
    nrm = float(np.linalg.norm(x))
    return x / nrm if nrm > 1e3 * _EPS * max(1.0, float(np.max(np.abs(x), initial=0.0))) * x.size else np.zeros_like(x)


def _flat_allowed(mdp: FiniteMDP, reward, name: str) -> np.ndarray:
    r = np.asarray(reward, dtype=float)
    if r.shape != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"{name} has shape {r.shape}, expected ({mdp.n_states}, {mdp.n_actions})")
    check_finite(name, r)
    return r[np.asarray(mdp.action_mask)]


def starc_distance(mdp: FiniteMDP, reward_a, reward_b) -> float:
    r"""A STARC distance between two rewards on a model: 0 iff they induce the same order on policies.

    :math:`d(r_1, r_2) = \tfrac12 \| s(r_1) - s(r_2) \|_2`, :math:`s(r) = c(r)/\|c(r)\|_2` (:math:`s = 0` when
    :math:`c(r) = 0`), with the canonicalization :math:`c` the orthogonal projection (on the allowed pairs) onto
    the complement of the potential shapings :math:`\mathrm{im}(E - \gamma P)` -- the :math:`\ell_2`-minimal
    canonicalization of Skalse et al. (STARC, ICLR 2024, Sec. 3): :math:`c(r + (E-\gamma P)V) = c(r)`, and
    :math:`s` removes positive scaling. Values lie in :math:`[0, 1]` (the factor :math:`\tfrac12` is the
    normalization chosen here).

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted; defines :math:`\gamma`, :math:`P` and the allowed pairs.
    reward_a, reward_b : array_like, shape (S, A)

    Returns
    -------
    float

    References
    ----------
    J. Skalse, L. Farnik, S. R. Motwani, E. Jenner, A. Gleave, A. Abate, "STARC: a general framework for
    quantifying differences between reward functions", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, starc_distance
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5)
    >>> r = np.array([[1.0, 0.0]])
    >>> round(starc_distance(mdp, r, 3 * r + 7), 12), starc_distance(mdp, r, -r)  # scaling + shaping; reverse
    (0.0, 1.0)
    """
    FiniteMDP.require(mdp, "discounted", "starc_distance")
    a, _ = _canonical(mdp, _flat_allowed(mdp, reward_a, "reward_a"))
    b, _ = _canonical(mdp, _flat_allowed(mdp, reward_b, "reward_b"))
    return float(min(1.0, 0.5 * np.linalg.norm(_unit(a) - _unit(b))))


@dataclass(frozen=True, eq=False)
class MisspecificationResult:
    r"""Result of :func:`misspecification_sensitivity`.

    Attributes
    ----------
    worst_distance : float
        :math:`\sup_{r' \in \mathcal R_{\text{assumed}}(\pi)} d(r, r')`: how far from the true reward (STARC
        distance on the true model) a reward that explains the expert under the assumed model can be.
    best_distance : float
        The infimum over the same set.
    expert : numpy.ndarray, shape (S, A)
        The demonstrated policy: the true model's entropy-regularized optimum.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, misspecification_sensitivity
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=0.5)
    >>> res = misspecification_sensitivity(mdp, np.array([[1.0, 0.0]]), 1.0)
    >>> bool(res.worst_distance < 1e-9), res.expert.shape
    (True, (1, 2))
    """

    worst_distance: float
    best_distance: float
    expert: np.ndarray


def misspecification_sensitivity(
    mdp: FiniteMDP,
    reward,
    temperature: float,
    *,
    assumed_mdp: FiniteMDP | None = None,
    assumed_temperature: float | None = None,
) -> MisspecificationResult:
    r"""How wrong IRL can be when the behavioural model is misspecified (Skalse & Abate 2023, 2024).

    The expert is the maximum-causal-entropy optimum :math:`\pi` of the true reward :math:`r` on ``mdp`` at
    ``temperature`` (soft value iteration). IRL assuming the model ``assumed_mdp`` (its :math:`\gamma` and
    :math:`P`) and ``assumed_temperature`` :math:`\tau'` returns some reward of :math:`\mathcal R' = \tau'\log\pi
    + \mathrm{im}(E - \gamma' P')` (:func:`soft_irl_reward_set`). The result bounds the STARC distance
    (:func:`starc_distance`, on the true model) from :math:`r` to :math:`\mathcal R'` above and below, exactly:
    with :math:`c` the true model's canonicalization, :math:`a = c(\tau'\log\pi)`, :math:`M = c(\mathrm{im}(E -
    \gamma'P'))` and :math:`s = s(r)`, the directions :math:`c(r')/\|c(r')\|` fill (the closure of) the half
    great sphere of :math:`\mathrm{span}(a, M)` on the side of :math:`a` (all of :math:`M`'s sphere when
    :math:`a \in M`), so the extreme inner products with :math:`s` are :math:`\pm\|s_W\|` or :math:`\pm\|s_M\|`
    (projections of :math:`s` on :math:`W = \mathrm{span}(a, M)` and on :math:`M`), and :math:`d =
    \tfrac12\sqrt{2 - 2\langle s, u\rangle}`. Derived here; in particular (Skalse & Abate's qualitative
    conclusions, in this normalization):

    * a misspecified temperature alone is harmless: :math:`\mathcal R'` is a positive rescaling of the true set,
      so both distances are 0;
    * whenever :math:`M \ne \{0\}` (the assumed shapings are not all true shapings, e.g. a wrong discount), the
      worst distance is at least :math:`1/\sqrt 2`: the directions :math:`\pm m`, :math:`m \in M`, are limits
      of feasible rewards, and one of them has :math:`\langle s, \pm m\rangle \le 0`.

    Parameters
    ----------
    mdp : FiniteMDP
        The true model (discounted).
    reward : array_like, shape (S, A)
        The true reward.
    temperature : float
        The true temperature :math:`\tau > 0`.
    assumed_mdp : FiniteMDP, optional
        The model IRL assumes (same shape and action mask); default the true one.
    assumed_temperature : float, optional
        Default the true temperature.

    Returns
    -------
    MisspecificationResult

    References
    ----------
    J. Skalse, A. Abate, "Misspecification in inverse reinforcement learning", AAAI 2023.
    J. Skalse, A. Abate, "Quantifying the sensitivity of inverse reinforcement learning to misspecification",
    ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, misspecification_sensitivity
    >>> rng = np.random.default_rng(0)
    >>> P, r = rng.dirichlet(np.ones(3), size=(3, 2)), rng.normal(size=(3, 2))
    >>> true = FiniteMDP(P, r, gamma=0.9)
    >>> bool(misspecification_sensitivity(true, r, 1.0, assumed_temperature=5.0).worst_distance < 1e-9)  # tau
    True
    >>> res = misspecification_sensitivity(true, r, 1.0, assumed_mdp=FiniteMDP(P, r, gamma=0.7))
    >>> bool(res.worst_distance >= 1 / np.sqrt(2))  # a wrong discount
    True
    """
    from rltheory.tabular._regularized import soft_value_iteration

    FiniteMDP.require(mdp, "discounted", "misspecification_sensitivity")
    tau = check_real("temperature", temperature, low=0.0, low_open=True)
    tau_a = (
        tau
        if assumed_temperature is None
        else check_real("assumed_temperature", assumed_temperature, low=0.0, low_open=True)
    )
    assumed = mdp if assumed_mdp is None else assumed_mdp
    FiniteMDP.require(assumed, "discounted", "misspecification_sensitivity")
    if (assumed.n_states, assumed.n_actions) != (mdp.n_states, mdp.n_actions) or not np.array_equal(
        np.asarray(assumed.action_mask), np.asarray(mdp.action_mask)
    ):
        raise ValueError("assumed_mdp must have the true model's number of states, actions and action mask")
    r = np.asarray(reward, dtype=float)
    r_flat = _flat_allowed(mdp, r, "reward")
    true_model = FiniteMDP(mdp.P, r, gamma=mdp.gamma, action_mask=mdp.action_mask)
    expert = np.asarray(soft_value_iteration(true_model, tau, tol=1e-12).action_probabilities)
    mask = np.asarray(mdp.action_mask)
    s_vec, Q = _canonical(mdp, r_flat)
    s_vec = _unit(s_vec)
    a, _ = _canonical(mdp, tau_a * np.log(expert[mask]))
    K = _shaping_matrix(assumed)[mask.ravel()]
    Mb = _orth(K - Q @ (Q.T @ K), float(np.linalg.norm(K, 2)))  # M = c(im(E - gamma' P'))
    n_vec = a - Mb @ (Mb.T @ a)
    a_in_M = float(np.linalg.norm(n_vec)) <= max(a.size, 1) * 1e3 * _EPS * max(1.0, float(np.linalg.norm(a)))
    s_M = Mb @ (Mb.T @ s_vec)
    if not a_in_M:
        nh = n_vec / np.linalg.norm(n_vec)
        alpha = float(nh @ s_vec)
        s_W = alpha * nh + s_M
    if not s_vec.any():  # a trivial true reward: d = 1/2 ||u||, u = 0 only when every r' is trivial too
        worst = best = 0.0 if (a_in_M and Mb.shape[1] == 0) else 0.5
    elif a_in_M and Mb.shape[1] == 0:  # every r' has c(r') = 0, s(r') = 0
        worst = best = 0.5
    else:
        # the extreme directions u (module docstring); d = 1/2 ||s - u|| computed from the vectors themselves
        if a_in_M:  # M's unit sphere
            low, high = -_unit(s_M), _unit(s_M)
        else:  # the closed half sphere of span(a, M) on a's side
            low = -_unit(s_W) if alpha <= 0 else -_unit(s_M)
            high = _unit(s_W) if alpha >= 0 else _unit(s_M)
        # s orthogonal to the span: every direction is at distance sqrt(2)/2 (take any unit vector of M or n)
        fallback = Mb[:, 0] if Mb.shape[1] else nh
        low = low if low.any() else fallback
        high = high if high.any() else fallback
        worst = 0.5 * float(np.linalg.norm(s_vec - low))
        best = 0.5 * float(np.linalg.norm(s_vec - high))
    return MisspecificationResult(
        worst_distance=float(min(1.0, worst)),
        best_distance=float(min(1.0, best)),
        expert=readonly(expert),
    )
