r"""Restless bandits: Whittle indices of small arms, indexability, the index policy and Whittle's relaxation.

A restless arm is a two-action discounted MDP (action 0 passive, 1 active) on
a finite state space; :math:`N` arms evolve independently and exactly
:math:`K` are activated each period (P. Whittle, *Restless bandits: activity
allocation in a changing world*, J. Appl. Probab. 25A (1988) 287-298).

* **Subsidy problem** (Whittle 1988, Sec. 3): the single arm with reward
  :math:`r(s, 0) + \lambda` when passive, solved exactly by
  :func:`rltheory.tabular.policy_iteration`; its active advantage
  :math:`D(s, \lambda) = q^\lambda(s, 1) - q^\lambda(s, 0)` is continuous and
  piecewise linear in :math:`\lambda` with slope in :math:`[-1/(1-\gamma),
  \ldots]`: :math:`\partial_\lambda D = \gamma (P_1 - P_0)\partial_\lambda v - 1`
  with :math:`0 \le \partial_\lambda v \le 1/(1-\gamma)`, so
  :math:`|\partial_\lambda D| \le 1/(1-\gamma)`.
* **Indexability** (Whittle 1988): the passive set
  :math:`\Pi(\lambda) = \{s : D(s, \lambda) \le 0\}` grows monotonically from
  :math:`\emptyset` to the whole space as :math:`\lambda` increases; the
  **Whittle index** is :math:`W(s) = \inf\{\lambda : s \in \Pi(\lambda)\}`,
  where both actions are optimal, :math:`D(s, W(s)) = 0`.
  :func:`whittle_indices` finds :math:`W(s)` by root finding in :math:`\lambda`
  and checks monotonicity of :math:`\Pi` on a grid of subsidies.
* **Coupled selection and the relaxation**: the index policy activates the
  :math:`K` arms of largest index (:func:`whittle_policy_value`, evaluated
  exactly on the joint MDP); relaxing "exactly :math:`K` active in every
  period" to its discounted average and dualising it with multiplier
  :math:`\lambda` gives, for every real :math:`\lambda`,
  :math:`V^*(s) \le \sum_i V_i^\lambda(s_i) - \lambda (N - K)/(1 - \gamma)`
  (Whittle 1988, Sec. 3; Gittins, Glazebrook & Weber 2011, Sec. 6.2;
  :func:`whittle_relaxation_bound`). :func:`restless_optimal_value` is the
  brute-force optimum of the joint MDP (tiny instances).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from .._validation import check_discount, check_int, check_shape, check_tol, readonly


@dataclass(frozen=True)
class RestlessArm:
    r"""A restless arm: transitions ``P[s, a, s']`` and rewards ``R[s, a]``, action 0 passive, 1 active.

    Parameters
    ----------
    P : (S, 2, S) array_like, rows are probability vectors
    R : (S, 2) array_like of finite reals
    gamma : float in [0, 1)

    Examples
    --------
    >>> import numpy as np
    >>> arm = RestlessArm(np.array([[[1, 0], [0.5, 0.5]], [[0.5, 0.5], [0, 1]]]), [[0, 1], [0, 2]], 0.9)
    >>> arm.n_states
    2
    """

    P: np.ndarray
    R: np.ndarray
    gamma: float

    def __post_init__(self):
        from rltheory.tabular import FiniteMDP

        P = np.array(self.P, dtype=np.float64)
        R = np.array(self.R, dtype=np.float64)
        check_shape("P", P, (None, 2, None))
        S = P.shape[0]
        check_shape("P", P, (S, 2, S))
        check_shape("R", R, (S, 2))
        gamma = check_discount(self.gamma)
        FiniteMDP(P, R, gamma)  # validates the rows and the rewards once, with the tabular model's messages
        object.__setattr__(self, "P", readonly(P))
        object.__setattr__(self, "R", readonly(R))
        object.__setattr__(self, "gamma", gamma)

    @property
    def n_states(self) -> int:
        """Number of states ``S``.

        Examples
        --------
        >>> RestlessArm(np.ones((1, 2, 1)), [[0.0, 1.0]], 0.5).n_states
        1
        """
        return int(self.P.shape[0])

    def subsidy_mdp(self, subsidy: float):
        r"""The single-arm subsidy problem (passive reward ``R[:, 0] + subsidy``) as a ``FiniteMDP``.

        Examples
        --------
        >>> arm = RestlessArm(np.ones((1, 2, 1)), [[0.0, 1.0]], 0.5)
        >>> arm.subsidy_mdp(2.0).R.tolist()
        [[2.0, 1.0]]
        """
        from rltheory.tabular import FiniteMDP

        R = np.array(self.R)
        R[:, 0] += float(subsidy)
        return FiniteMDP(np.array(self.P), R, self.gamma)


def _advantage(arm, lam):
    from rltheory.tabular import policy_iteration

    q = policy_iteration(arm.subsidy_mdp(lam)).q
    return q[:, 1] - q[:, 0], q


@dataclass(frozen=True)
class WhittleIndexResult:
    r"""Whittle indices of one arm (:func:`whittle_indices`).

    Attributes
    ----------
    indices : (S,) read-only array, :math:`W(s)` to within ``tol``
    indexable : bool, whether the passive sets were nested on the checked subsidy grid
    advantage : (S,) read-only array, :math:`D(s, W(s))` (0 up to :math:`(\mathrm{tol} + 4\epsilon|W|)/(1-\gamma)`,
        by the slope bound)
    tol : float
    iterations : int, root-finding steps (all states)

    Examples
    --------
    >>> arm = RestlessArm(np.ones((1, 2, 1)), [[0.0, 1.0]], 0.5)
    >>> r = whittle_indices(arm)
    >>> round(float(r.indices[0]), 8), r.indexable   # passive pays the subsidy, active pays 1
    (1.0, True)
    """

    indices: np.ndarray
    indexable: bool
    advantage: np.ndarray
    tol: float
    iterations: int


def whittle_indices(arm: RestlessArm, *, tol: float = 1e-9, grid: int = 50) -> WhittleIndexResult:
    r"""Whittle indices :math:`W(s)` by root finding on the subsidy, and an indexability verdict.

    For each state, a bracket :math:`D(s, \lambda_{lo}) > 0 \ge D(s,
    \lambda_{hi})` is found by doubling (large subsidies make passivity
    strictly optimal, Whittle 1988), then ``scipy.optimize.brentq`` finds a
    zero of :math:`D(s, \cdot)` in it to within ``tol`` :math:`+ 4\epsilon|W(s)|`
    (for an indexable arm the only one: the least subsidy at which :math:`s` is
    passive). Indexability is checked on ``grid`` subsidies
    spanning the indices: the passive
    sets :math:`\{s : D(s, \lambda) \le 0\}` must be nested and agree with
    :math:`\{s : W(s) \le \lambda\}` -- a numerical verdict on that grid, not a
    proof.

    Examples
    --------
    >>> import numpy as np
    >>> P = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.3, 0.7], [0.1, 0.9]]])
    >>> r = whittle_indices(RestlessArm(P, [[0.0, 0.5], [0.0, 1.0]], 0.9))
    >>> r.indexable, bool(np.all(np.abs(r.advantage) <= r.tol / (1 - 0.9) + 1e-9))
    (True, True)
    """
    from scipy.optimize import brentq

    if not isinstance(arm, RestlessArm):
        raise ValueError(f"whittle_indices needs a RestlessArm, got {type(arm).__name__}")
    tol = check_tol(tol)
    grid = check_int("grid", grid, low=2)
    S = arm.n_states
    scale = max(1.0, float(np.abs(arm.R).max()))
    W = np.empty(S)
    steps = 0
    for s in range(S):
        lo, hi = -scale, scale
        while _advantage(arm, lo)[0][s] <= 0:
            lo *= 2.0
        while _advantage(arm, hi)[0][s] > 0:
            hi *= 2.0
        # D(s, .) is continuous and piecewise linear: Brent's method brackets a zero to within tol + 4 eps |W|
        W[s], info = brentq(lambda lam, s=s: _advantage(arm, lam)[0][s], lo, hi, xtol=tol, full_output=True)
        steps += info.iterations
    adv = np.array([_advantage(arm, W[s])[0][s] for s in range(S)])
    # indexability on a grid: nested passive sets, matching the indices; a state within `near` of its index is
    # not judged at that subsidy (there D is within rounding of 0)
    near = 1e-6 * np.maximum(1.0, np.abs(W))
    lams = np.linspace(W.min() - 1.0, W.max() + 1.0, grid)
    indexable, prev = True, np.zeros(S, dtype=bool)
    for lam in lams:
        judged = np.abs(lam - W) > near
        passive = _advantage(arm, lam)[0] <= 0
        if np.any(judged & ((prev & ~passive) | (passive != (W <= lam)))):
            indexable = False
        prev = np.where(judged, passive, prev)
    return WhittleIndexResult(readonly(W), bool(indexable), readonly(adv), tol, steps)


@dataclass(frozen=True)
class RestlessBandit:
    r"""``N`` restless arms of a common discount, ``K`` of which are activated every period.

    Examples
    --------
    >>> arm = RestlessArm(np.ones((1, 2, 1)), [[0.0, 1.0]], 0.5)
    >>> RestlessBandit((arm, arm), 1).n_joint_states
    1
    """

    arms: tuple
    n_active: int = 1

    def __post_init__(self):
        arms = tuple(self.arms)
        if len(arms) < 1:
            raise ValueError("arms is empty; need at least one RestlessArm")
        for i, a in enumerate(arms):
            if not isinstance(a, RestlessArm):
                raise ValueError(f"arms[{i}] must be a RestlessArm, got {type(a).__name__}")
            if a.gamma != arms[0].gamma:
                raise ValueError(f"arms[{i}].gamma = {a.gamma} differs from arms[0].gamma = {arms[0].gamma}")
        object.__setattr__(self, "arms", arms)
        object.__setattr__(self, "n_active", check_int("n_active", self.n_active, low=0, high=len(arms)))

    @property
    def n_joint_states(self) -> int:
        """Number of joint states, the product of the arms' state counts.

        Examples
        --------
        >>> arm = RestlessArm(np.ones((2, 2, 2)) / 2, np.zeros((2, 2)), 0.5)
        >>> RestlessBandit((arm, arm, arm), 2).n_joint_states
        8
        """
        return math.prod(a.n_states for a in self.arms)

    @property
    def gamma(self) -> float:
        """The common discount.

        Examples
        --------
        >>> RestlessBandit((RestlessArm(np.ones((1, 2, 1)), [[0.0, 1.0]], 0.5),), 1).gamma
        0.5
        """
        return self.arms[0].gamma

    def joint_states(self) -> list:
        """Joint states as tuples ``(s_1, ..., s_N)``, in the order of the joint MDP (last arm fastest).

        Examples
        --------
        >>> arm = RestlessArm(np.ones((2, 2, 2)) / 2, np.zeros((2, 2)), 0.5)
        >>> RestlessBandit((arm, arm), 1).joint_states()
        [(0, 0), (0, 1), (1, 0), (1, 1)]
        """
        return list(itertools.product(*[range(a.n_states) for a in self.arms]))


def _joint_mdp(bandit):
    from rltheory.tabular import FiniteMDP

    states = bandit.joint_states()
    actions = list(itertools.combinations(range(len(bandit.arms)), bandit.n_active))
    S, A = len(states), len(actions)
    P = np.zeros((S, A, S))
    R = np.zeros((S, A))
    for j, s in enumerate(states):
        for a, act in enumerate(actions):
            x = np.ones(1)
            for i, arm in enumerate(bandit.arms):
                ai = 1 if i in act else 0
                R[j, a] += arm.R[s[i], ai]
                x = np.kron(x, arm.P[s[i], ai])
            P[j, a] = x
    return FiniteMDP(P, R, bandit.gamma), states, actions


@dataclass(frozen=True)
class RestlessValue:
    """A value of the joint restless problem (:func:`restless_optimal_value`, :func:`whittle_policy_value`).

    Attributes
    ----------
    v : (n_joint_states,) read-only array, in the order of :meth:`RestlessBandit.joint_states`
    policy : (n_joint_states, n_active) read-only int64 array, the arms activated in each joint state

    Examples
    --------
    >>> arm = RestlessArm(np.ones((1, 2, 1)), [[0.0, 1.0]], 0.5)
    >>> restless_optimal_value(RestlessBandit((arm, arm), 1)).v.tolist()
    [2.0]
    """

    v: np.ndarray
    policy: np.ndarray


def restless_optimal_value(bandit: RestlessBandit) -> RestlessValue:
    r"""The optimal value of the joint MDP (exactly ``K`` active arms), by policy iteration on the product space.

    :math:`\prod_i S_i` states and :math:`\binom{N}{K}` actions: tiny instances only.

    Examples
    --------
    >>> arm = RestlessArm(np.ones((1, 2, 1)), [[0.0, 1.0]], 0.5)
    >>> restless_optimal_value(RestlessBandit((arm, arm), 2)).v.tolist()   # both active: 2 / (1 - 0.5)
    [4.0]
    """
    from rltheory.tabular import policy_iteration

    if not isinstance(bandit, RestlessBandit):
        raise ValueError(f"restless_optimal_value needs a RestlessBandit, got {type(bandit).__name__}")
    mdp, _, actions = _joint_mdp(bandit)
    res = policy_iteration(mdp)
    pol = np.array([actions[a] for a in res.policy], dtype=np.int64).reshape(len(res.policy), bandit.n_active)
    return RestlessValue(readonly(np.array(res.v)), readonly(pol))


def whittle_policy_value(bandit: RestlessBandit, indices=None) -> RestlessValue:
    r"""Exact value of the Whittle index policy: activate the ``K`` arms of largest :math:`W_i(s_i)`.

    Ties go to the lower arm index. ``indices`` (a sequence of ``(S_i,)``
    arrays) defaults to :func:`whittle_indices` of each arm. Evaluated by
    :func:`rltheory.tabular.policy_evaluation` on the joint MDP.

    Examples
    --------
    >>> arm = RestlessArm(np.ones((1, 2, 1)), [[0.0, 1.0]], 0.5)
    >>> whittle_policy_value(RestlessBandit((arm, arm), 1)).v.tolist()
    [2.0]
    """
    from rltheory.tabular import policy_evaluation

    if not isinstance(bandit, RestlessBandit):
        raise ValueError(f"whittle_policy_value needs a RestlessBandit, got {type(bandit).__name__}")
    if indices is None:
        indices = [whittle_indices(a).indices for a in bandit.arms]
    if len(indices) != len(bandit.arms):
        raise ValueError(f"indices has {len(indices)} entries for {len(bandit.arms)} arms")
    W = []
    for i, (w, arm) in enumerate(zip(indices, bandit.arms, strict=True)):
        w = np.asarray(w, dtype=np.float64)
        check_shape(f"indices[{i}]", w, (arm.n_states,))
        W.append(w)
    mdp, states, actions = _joint_mdp(bandit)
    lookup = {a: k for k, a in enumerate(actions)}
    policy = np.empty(len(states), dtype=np.int64)
    chosen = np.empty((len(states), bandit.n_active), dtype=np.int64)
    for j, s in enumerate(states):
        order = sorted(range(len(bandit.arms)), key=lambda i, s=s: (-W[i][s[i]], i))
        act = tuple(sorted(order[: bandit.n_active]))
        policy[j] = lookup[act]
        chosen[j] = act
    v = policy_evaluation(mdp, policy).v
    return RestlessValue(readonly(np.array(v)), readonly(chosen))


@dataclass(frozen=True)
class WhittleRelaxationBound:
    r"""Whittle's bound :math:`\min_\lambda \sum_i V_i^\lambda(s_i) - \lambda(N-K)/(1-\gamma)` per joint state.

    Attributes
    ----------
    bound : (n_joint_states,) read-only array, an upper bound on the optimal value at each joint state
    subsidy : (n_joint_states,) read-only array, the subsidy at which each bound was evaluated

    Examples
    --------
    >>> arm = RestlessArm(np.ones((1, 2, 1)), [[0.0, 1.0]], 0.5)
    >>> round(float(whittle_relaxation_bound(RestlessBandit((arm, arm), 1)).bound[0]), 6)
    2.0
    """

    bound: np.ndarray
    subsidy: np.ndarray


def whittle_relaxation_bound(bandit: RestlessBandit) -> WhittleRelaxationBound:
    r"""Whittle's relaxation bound at every joint state (module docstring): valid for every subsidy.

    :math:`L(\lambda) = \sum_i V_i^\lambda(s_i) - \lambda (N-K)/(1-\gamma)` is
    convex in :math:`\lambda` (each :math:`V_i^\lambda` is a maximum of affine
    functions of :math:`\lambda`); it is minimised by ``scipy.optimize.minimize_scalar``
    over a bracket containing every arm's indices. Whatever the minimiser
    returns, the value is an upper bound (weak duality); only its tightness
    depends on the search.

    Examples
    --------
    >>> import numpy as np
    >>> P = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.3, 0.7], [0.1, 0.9]]])
    >>> b = RestlessBandit((RestlessArm(P, [[0.0, 0.5], [0.0, 1.0]], 0.9),) * 2, 1)
    >>> bool(np.all(whittle_relaxation_bound(b).bound >= restless_optimal_value(b).v - 1e-9))
    True
    """
    from scipy.optimize import minimize_scalar

    from rltheory.tabular import policy_iteration

    if not isinstance(bandit, RestlessBandit):
        raise ValueError(f"whittle_relaxation_bound needs a RestlessBandit, got {type(bandit).__name__}")
    N, K, g = len(bandit.arms), bandit.n_active, bandit.gamma
    states = bandit.joint_states()
    scale = max(1.0, max(float(np.abs(a.R).max()) for a in bandit.arms))
    span = 2.0 * scale / (1.0 - g)

    def L(lam, s):
        total = -lam * (N - K) / (1.0 - g)
        for i, arm in enumerate(bandit.arms):
            total += float(policy_iteration(arm.subsidy_mdp(lam)).v[s[i]])
        return total

    bounds, subs = np.empty(len(states)), np.empty(len(states))
    for j, s in enumerate(states):
        r = minimize_scalar(
            lambda lam, s=s: L(lam, s), bounds=(-span, span), method="bounded", options={"xatol": 1e-10}
        )
        lam = float(r.x)
        bounds[j], subs[j] = L(lam, s), lam
    return WhittleRelaxationBound(readonly(bounds), readonly(subs))
