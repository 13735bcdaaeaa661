r"""Stock-augmented optimization of return-distribution objectives, with brute force.

Setting: a finite-horizon model (``mdp.horizon = H``), ``gamma = 1`` and
integer rewards on allowed actions. The *stock* :math:`c_t = \sum_{k<t}
r(S_k, A_k)` (rewards so far, initial stock 0) is an integer, and the
augmented state :math:`(t, s, c)` is finite. Ávila Pires et al. (2025,
"Optimizing Return Distributions with Distributional Dynamic Programming",
JMLR; arXiv:2501.13028, Sec. 3-4) show that distributional DP over the
stock-augmented MDP optimizes objectives of the form
:math:`\mathbb{E}\, f(c_H)` of the final stock, and, through an outer
auxiliary variable, functionals beyond expected utilities:

* CVaR (Rockafellar & Uryasev 2000, Theorem 1, for gains):
  :math:`\max_\pi \mathrm{CVaR}_\alpha(G) = \max_b \max_\pi
  \mathbb{E}[b - (b - G)^+/\alpha]`; for integer returns the optimal
  :math:`b` is an attainable return (a quantile), so a search over the
  integer stock grid is exact;
* homeostatic regulation: :math:`\max_\pi \Pr(lo \le G \le hi) = \max_\pi
  \mathbb{E}\,\mathbf 1\{lo \le c_H \le hi\}` (no auxiliary variable);
* mean-variance (and variance with ``mean_weight = 0``) through the convex
  scoring function :math:`(g-b)^2`: :math:`\operatorname{Var} G = \min_b
  \mathbb{E}(G-b)^2`, so :math:`\max_\pi \{w\mathbb{E}G - \lambda
  \operatorname{Var}G\} = \max_b \max_\pi \mathbb{E}[wG - \lambda(G-b)^2]`
  (Han, Liu & Yu 2025, "Risk-sensitive RL based on convex scoring
  functions", arXiv:2505.04553, Sec. 3: augmented state and auxiliary
  variable; their alternating minimization over the auxiliary variable).

For a fixed auxiliary value the inner problem is an expected utility of the
final stock, solved exactly by backward induction over :math:`(t, s, c)`
(``method="value_iteration"``) or by policy iteration on the augmented model
(``method="policy_iteration"``: evaluate, improve greedily, stop when stable;
finite horizons need at most H+1 improvements); ties go to the lowest action.
The optimum over deterministic augmented Markov policies equals the optimum
over all history-dependent (randomized) policies, because the augmented
state is a sufficient statistic for an expected utility of the final stock
(Puterman 2005, Theorem 4.4.2, applied to the augmented MDP).

:func:`brute_force_optimization` enumerates the return laws of *all*
deterministic history-dependent policies (or all deterministic Markov
policies) and is the test oracle.
"""

from __future__ import annotations

import itertools
import math
import numbers
from dataclasses import dataclass

import numpy as np

from rltheory._validation import readonly
from rltheory.distributional._representations import FiniteDistribution
from rltheory.distributional._risk import band_probability, cvar, value_at_risk
from rltheory.tabular import FiniteMDP

__all__ = [
    "BandProbabilityObjective",
    "BruteForceResult",
    "CVaRObjective",
    "MeanVarianceObjective",
    "StockAugmentedResult",
    "brute_force_optimization",
    "stock_augmented_optimization",
]


# ------------------------------------------------------------------ objectives
@dataclass(frozen=True)
class CVaRObjective:
    r"""Maximize :math:`\mathrm{CVaR}_\alpha(G) = \sup_b\{b - \mathbb{E}(b-G)^+/\alpha\}` (lower tail).

    Examples
    --------
    >>> from rltheory.distributional import CVaRObjective, FiniteDistribution
    >>> obj = CVaRObjective(0.5)
    >>> obj.value(FiniteDistribution([0.0, 2.0], [0.5, 0.5]))  # mean of the worst half
    0.0
    """

    alpha: float

    def __post_init__(self):
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, numbers.Real) or not 0 < self.alpha <= 1:
            raise ValueError(f"alpha = {self.alpha!r} must lie in (0, 1]")

    def value(self, distribution) -> float:
        """:math:`\\mathrm{CVaR}_\\alpha` of ``distribution``.

        Examples
        --------
        >>> from rltheory.distributional import CVaRObjective, FiniteDistribution
        >>> CVaRObjective(0.25).value(FiniteDistribution([-4.0, 0.0, 4.0], [0.25, 0.5, 0.25]))
        -4.0
        """
        return cvar(distribution, self.alpha)

    def utility(self, b: float, g: np.ndarray) -> np.ndarray:
        """:math:`u_b(g) = b - (b - g)^+ / \\alpha`.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.distributional import CVaRObjective
        >>> CVaRObjective(0.5).utility(1.0, np.array([0.0, 1.0, 3.0]))
        array([-1.,  1.,  1.])
        """
        return b - np.maximum(b - g, 0.0) / self.alpha

    def best_auxiliary(self, distribution) -> float:
        """:math:`\\arg\\max_b` for a fixed law: :math:`\\mathrm{VaR}_\\alpha` (Rockafellar & Uryasev 2000, Thm 1).

        Examples
        --------
        >>> from rltheory.distributional import CVaRObjective, FiniteDistribution
        >>> CVaRObjective(0.25).best_auxiliary(FiniteDistribution([-4.0, 0.0, 4.0], [0.25, 0.5, 0.25]))
        -4.0
        """
        return value_at_risk(distribution, self.alpha)

    def auxiliary_grid(self, stock_values: np.ndarray) -> np.ndarray | None:
        """Finite set containing an optimal ``b``: every attainable integer return.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.distributional import CVaRObjective
        >>> CVaRObjective(0.5).auxiliary_grid(np.array([-1, 0, 1]))
        array([-1.,  0.,  1.])
        """
        return stock_values.astype(float)


@dataclass(frozen=True)
class BandProbabilityObjective:
    r"""Maximize the homeostatic objective :math:`\Pr(lo \le G \le hi)`.

    Examples
    --------
    >>> from rltheory.distributional import BandProbabilityObjective, FiniteDistribution
    >>> BandProbabilityObjective(0, 1).value(FiniteDistribution([-1.0, 0.0, 1.0, 2.0], [0.25] * 4))
    0.5
    """

    lo: float
    hi: float

    def __post_init__(self):
        if not (math.isfinite(self.lo) and math.isfinite(self.hi)) or self.lo > self.hi:
            raise ValueError(f"need finite lo <= hi, got lo={self.lo!r}, hi={self.hi!r}")

    def value(self, distribution) -> float:
        """:math:`\\Pr(lo \\le G \\le hi)`.

        Examples
        --------
        >>> from rltheory.distributional import BandProbabilityObjective, FiniteDistribution
        >>> BandProbabilityObjective(1, 1).value(FiniteDistribution([0.0, 1.0], [0.75, 0.25]))
        0.25
        """
        return band_probability(distribution, self.lo, self.hi)

    def utility(self, b: float, g: np.ndarray) -> np.ndarray:
        """:math:`\\mathbf 1\\{lo \\le g \\le hi\\}` (``b`` unused).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.distributional import BandProbabilityObjective
        >>> BandProbabilityObjective(0, 1).utility(0.0, np.array([-1.0, 0.0, 1.0, 2.0]))
        array([0., 1., 1., 0.])
        """
        return ((g >= self.lo) & (g <= self.hi)).astype(float)

    def best_auxiliary(self, distribution) -> float:
        """No auxiliary variable: 0.

        Examples
        --------
        >>> from rltheory.distributional import BandProbabilityObjective, FiniteDistribution
        >>> BandProbabilityObjective(0, 1).best_auxiliary(FiniteDistribution([3.0], [1.0]))
        0.0
        """
        return 0.0

    def auxiliary_grid(self, stock_values: np.ndarray) -> np.ndarray | None:
        """The single value 0.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.distributional import BandProbabilityObjective
        >>> BandProbabilityObjective(0, 1).auxiliary_grid(np.arange(-2, 3))
        array([0.])
        """
        return np.zeros(1)


@dataclass(frozen=True)
class MeanVarianceObjective:
    r"""Maximize :math:`w\,\mathbb{E}G - \lambda \operatorname{Var}G` (``mean_weight`` w, ``risk_aversion`` λ).

    Examples
    --------
    >>> from rltheory.distributional import FiniteDistribution, MeanVarianceObjective
    >>> MeanVarianceObjective(0.5).value(FiniteDistribution([0.0, 2.0], [0.5, 0.5]))  # 1 - 0.5 * 1
    0.5
    """

    risk_aversion: float
    mean_weight: float = 1.0

    def __post_init__(self):
        if not (math.isfinite(self.risk_aversion) and self.risk_aversion >= 0 and math.isfinite(self.mean_weight)):
            raise ValueError(
                f"need finite risk_aversion >= 0 and finite mean_weight, got {self.risk_aversion!r}, "
                f"{self.mean_weight!r}"
            )

    def value(self, distribution) -> float:
        """:math:`w\\,\\mathbb{E}G - \\lambda\\operatorname{Var}G`.

        Examples
        --------
        >>> from rltheory.distributional import FiniteDistribution, MeanVarianceObjective
        >>> MeanVarianceObjective(1.0, mean_weight=2.0).value(FiniteDistribution([0.0, 2.0], [0.5, 0.5]))
        1.0
        """
        return self.mean_weight * distribution.mean() - self.risk_aversion * distribution.variance()

    def utility(self, b: float, g: np.ndarray) -> np.ndarray:
        """:math:`u_b(g) = w g - \\lambda (g - b)^2` (convex scoring function :math:`(g-b)^2`).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.distributional import MeanVarianceObjective
        >>> MeanVarianceObjective(0.5).utility(1.0, np.array([0.0, 1.0, 3.0]))
        array([-0.5,  1. ,  1. ])
        """
        return self.mean_weight * g - self.risk_aversion * (g - b) ** 2

    def best_auxiliary(self, distribution) -> float:
        """:math:`\\arg\\min_b \\mathbb{E}(G-b)^2 = \\mathbb{E}G`.

        Examples
        --------
        >>> from rltheory.distributional import FiniteDistribution, MeanVarianceObjective
        >>> MeanVarianceObjective(0.5).best_auxiliary(FiniteDistribution([0.0, 2.0], [0.75, 0.25]))
        0.5
        """
        return distribution.mean()

    def auxiliary_grid(self, stock_values: np.ndarray) -> np.ndarray | None:
        """None: the auxiliary variable is continuous; use ``auxiliary="alternating"``.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.distributional import MeanVarianceObjective
        >>> MeanVarianceObjective(0.5).auxiliary_grid(np.arange(3)) is None
        True
        """
        return None


_OBJECTIVES = (CVaRObjective, BandProbabilityObjective, MeanVarianceObjective)


# --------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class StockAugmentedResult:
    r"""Result of :func:`stock_augmented_optimization`.

    Attributes
    ----------
    value : float
        The objective of ``distribution`` (e.g. its CVaR).
    auxiliary : float
        The auxiliary value :math:`b` of the returned policy.
    distribution : FiniteDistribution
        Law of the return of the returned policy from ``initial_state``.
    policy : numpy.ndarray of int64, shape (H, S, n_stock)
        ``policy[t, s, k]``: action at epoch ``t`` in state ``s`` with stock
        ``stock_values[k]``; -1 where the stock is unreachable.
    stock_values : numpy.ndarray of int64, shape (n_stock,)
    iterations : int
        Outer iterations (auxiliary values tried, or alternating rounds).
    inner_iterations : int
        Policy-iteration improvements summed over outer iterations (H+1 per
        solve reported for value iteration's single backward pass: 1).
    auxiliary_path : numpy.ndarray, shape (iterations, 2)
        ``(b_k, J_k)`` per outer iteration: the auxiliary value and the
        objective of the policy it produced.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import CVaRObjective, stock_augmented_optimization
    >>> # one state, a sure reward 0 (action 0) or a coin flip between -1 and +2 (action 1), two epochs
    >>> P = np.zeros((3, 2, 3)); P[0, 0, 0] = 1; P[0, 1, 1] = P[0, 1, 2] = 0.5; P[1:, :, 0] = 1
    >>> R = np.array([[0.0, 0.0], [-1.0, -1.0], [2.0, 2.0]])
    >>> res = stock_augmented_optimization(FiniteMDP(P, R, gamma=1.0, horizon=2), CVaRObjective(0.5))
    >>> res.value, res.distribution.atoms.tolist(), res.auxiliary_path.shape[1]
    (0.0, [0.0], 2)
    """

    value: float
    auxiliary: float
    distribution: FiniteDistribution
    policy: np.ndarray
    stock_values: np.ndarray
    iterations: int
    inner_iterations: int
    auxiliary_path: np.ndarray


@dataclass(frozen=True, eq=False)
class BruteForceResult:
    """Result of :func:`brute_force_optimization`.

    Attributes
    ----------
    value : float
        The best objective over the enumerated policy class.
    distribution : FiniteDistribution
        A return law attaining it.
    n_distributions : int
        Number of distinct return laws enumerated.
    policy_class : str
        ``"history"`` or ``"markov"``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import BandProbabilityObjective, brute_force_optimization
    >>> P = np.zeros((3, 2, 3)); P[0, 0, 0] = 1; P[0, 1, 1] = P[0, 1, 2] = 0.5; P[1:, :, 0] = 1
    >>> R = np.array([[0.0, 0.0], [-1.0, -1.0], [2.0, 2.0]])
    >>> res = brute_force_optimization(FiniteMDP(P, R, gamma=1.0, horizon=2), BandProbabilityObjective(0, 0))
    >>> res.value, res.policy_class, res.n_distributions >= 2
    (1.0, 'history', True)
    """

    value: float
    distribution: FiniteDistribution
    n_distributions: int
    policy_class: str


# -------------------------------------------------------------------- helpers
def _check_model(mdp: FiniteMDP, objective, initial_state) -> tuple[int, np.ndarray]:
    if not isinstance(mdp, FiniteMDP):
        raise ValueError(f"mdp must be a FiniteMDP, got {type(mdp).__name__}")
    if mdp.horizon is None or mdp.gamma != 1.0:
        raise ValueError(
            f"stock augmentation here needs a finite-horizon model with gamma = 1 (got horizon={mdp.horizon!r}, "
            f"gamma={mdp.gamma!r})"
        )
    R = np.where(mdp.action_mask, mdp.R, 0.0)
    bad = R != np.round(R)
    if bad.any():
        s, a = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"rewards must be integers on allowed actions: R[{s}, {a}] = {float(mdp.R[s, a])!r}")
    if not isinstance(objective, _OBJECTIVES):
        raise ValueError(
            f"objective must be one of {[c.__name__ for c in _OBJECTIVES]}, got {type(objective).__name__}"
        )
    if (
        isinstance(initial_state, bool)
        or not isinstance(initial_state, numbers.Integral)
        or not 0 <= initial_state < mdp.n_states
    ):
        raise ValueError(f"initial_state = {initial_state!r} is not a state in [0, {mdp.n_states})")
    return mdp.horizon, np.round(R).astype(np.int64)


class _Augmented:
    """The stock-augmented model: grids and exact backward recursions."""

    def __init__(self, mdp: FiniteMDP, H: int, R: np.ndarray):
        self.mdp, self.H, self.R = mdp, H, R
        self.P = mdp.dense_P
        self.mask = np.asarray(mdp.action_mask)
        self.lo = H * min(0, int(R[self.mask].min()))
        hi = H * max(0, int(R[self.mask].max()))
        self.stock = np.arange(self.lo, hi + 1, dtype=np.int64)

    def _shifted(self, V: np.ndarray, r: int) -> np.ndarray:
        """``V[:, k + r]`` with -inf outside the grid."""
        out = np.full_like(V, -np.inf)
        n = V.shape[1]
        if r >= 0:
            out[:, : n - r] = V[:, r:]
        else:
            out[:, -r:] = V[:, : n + r]
        return out

    def q_values(self, V: np.ndarray) -> np.ndarray:
        S, A = self.R.shape
        Q = np.full((S, A, V.shape[1]), -np.inf)
        for s in range(S):
            for a in range(A):
                if not self.mask[s, a]:
                    continue
                W = self._shifted(V, int(self.R[s, a]))
                p = self.P[s, a]
                nz = p > 0
                Q[s, a] = p[nz] @ W[nz] if nz.any() else 0.0
        return Q

    def solve(self, terminal: np.ndarray, method: str) -> tuple[np.ndarray, int]:
        """Optimal augmented policy for ``E terminal(c_H)``; returns (policy, improvements)."""
        S = self.R.shape[0]
        if method == "value_iteration":
            V = np.tile(terminal, (S, 1))
            policy = np.empty((self.H, S, self.stock.size), dtype=np.int64)
            for t in range(self.H - 1, -1, -1):
                Q = self.q_values(V)
                policy[t] = np.argmax(Q, axis=1)  # ties -> lowest action
                V = np.max(Q, axis=1)
            return policy, 1
        # policy iteration on the augmented model
        first = np.argmax(self.mask, axis=1)
        policy = np.broadcast_to(first[None, :, None], (self.H, S, self.stock.size)).copy()
        for it in range(1, self.H + 3):
            V = np.tile(terminal, (S, 1))
            Qs = []
            for t in range(self.H - 1, -1, -1):
                Q = self.q_values(V)
                Qs.append(Q)
                V = np.take_along_axis(Q, policy[t][:, None, :], axis=1)[:, 0, :]
            Qs.reverse()
            new = policy.copy()
            for t in range(self.H):
                Q = Qs[t]
                best = np.max(Q, axis=1)
                cur = np.take_along_axis(Q, policy[t][:, None, :], axis=1)[:, 0, :]
                # switch only on strict improvement (keeps PI from cycling between ties)
                improve = best > cur
                new[t] = np.where(improve, np.argmax(Q, axis=1), policy[t])
            if np.array_equal(new, policy):
                return policy, it
            policy = new
        raise RuntimeError("augmented policy iteration did not stabilize within H + 2 improvements")  # pragma: no cover

    def law(self, policy: np.ndarray, s0: int) -> FiniteDistribution:
        """Forward propagation of (state, stock) from (s0, 0) under the augmented policy."""
        S = self.R.shape[0]
        mass = np.zeros((S, self.stock.size))
        mass[s0, -self.lo] = 1.0
        for t in range(self.H):
            new = np.zeros_like(mass)
            for s, k in zip(*np.nonzero(mass)):
                a = int(policy[t, s, k])
                k2 = k + int(self.R[s, a])
                new[:, k2] += mass[s, k] * self.P[s, a]
            mass = new
        final = mass.sum(axis=0)
        keep = final > 0
        return FiniteDistribution(self.stock[keep].astype(float), final[keep] / final[keep].sum())


def stock_augmented_optimization(
    mdp: FiniteMDP,
    objective,
    *,
    initial_state: int = 0,
    method: str = "value_iteration",
    auxiliary: str = "search",
    initial_auxiliary: float | None = None,
    max_iter: int = 100,
) -> StockAugmentedResult:
    r"""Optimize a return-distribution objective with stock augmentation.

    Parameters
    ----------
    mdp : FiniteMDP
        Finite horizon, ``gamma = 1``, integer rewards on allowed actions.
    objective : CVaRObjective, BandProbabilityObjective or MeanVarianceObjective
    initial_state : int
    method : {"value_iteration", "policy_iteration"}
        Inner solver on the augmented model for a fixed auxiliary value.
    auxiliary : {"search", "alternating"}
        ``"search"``: maximize over a finite grid known to contain an optimal
        auxiliary value (exact; CVaR and band probability).
        ``"alternating"``: :math:`\pi_k = \arg\max_\pi \mathbb{E}_\pi u_{b_k}`,
        :math:`b_{k+1} = \arg\max_b \mathbb{E}_{\pi_k} u_b` (closed form),
        until :math:`b` repeats (Han, Liu & Yu 2025, Sec. 4); the objective is
        non-decreasing along the iterations (block-coordinate ascent) but the
        limit need not be globally optimal.
    initial_auxiliary : float, optional
        :math:`b_0` for ``"alternating"``; default: the best auxiliary value
        for the expected-return-optimal policy.
    max_iter : int
        Cap on alternating rounds.

    Returns
    -------
    StockAugmentedResult

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import (BandProbabilityObjective, brute_force_optimization,
    ...                                      stock_augmented_optimization)
    >>> # coin flip pays 1 or 0, then a last step can add 0 or 1: target G = 1 exactly
    >>> P = np.zeros((5, 2, 5)); P[0, :, 1] = P[0, :, 2] = 0.5; P[1:3, :, 3] = 1.0; P[3:, :, 4] = 1.0
    >>> R = np.zeros((5, 2)); R[1] = 1; R[3, 1] = 1
    >>> mdp = FiniteMDP(P, R, gamma=1.0, horizon=3)
    >>> stock_augmented_optimization(mdp, BandProbabilityObjective(1, 1)).value
    1.0
    >>> brute_force_optimization(mdp, BandProbabilityObjective(1, 1), policy_class="markov").value
    0.5
    """
    H, R = _check_model(mdp, objective, initial_state)
    if method not in ("value_iteration", "policy_iteration"):
        raise ValueError(f"method = {method!r} must be 'value_iteration' or 'policy_iteration'")
    if auxiliary not in ("search", "alternating"):
        raise ValueError(f"auxiliary = {auxiliary!r} must be 'search' or 'alternating'")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter = {max_iter!r} must be an integer >= 1")
    aug = _Augmented(mdp, H, R)
    g = aug.stock.astype(float)
    s0 = int(initial_state)
    path: list[tuple[float, float]] = []
    best = None
    inner_total = 0
    if auxiliary == "search":
        grid = objective.auxiliary_grid(aug.stock)
        if grid is None:
            raise ValueError(
                f"{type(objective).__name__} has a continuous auxiliary variable; use auxiliary='alternating'"
            )
        for b in grid:
            policy, inner = aug.solve(objective.utility(float(b), g), method)
            inner_total += inner
            law = aug.law(policy, s0)
            J = objective.value(law)
            path.append((float(b), J))
            if best is None or J > best[0]:
                best = (J, float(b), policy, law)
    else:
        if initial_auxiliary is None:
            policy, inner = aug.solve(g, method)  # expected-return optimal
            inner_total += inner
            b = float(objective.best_auxiliary(aug.law(policy, s0)))
        else:
            if (
                isinstance(initial_auxiliary, bool)
                or not isinstance(initial_auxiliary, numbers.Real)
                or not math.isfinite(initial_auxiliary)
            ):
                raise ValueError(f"initial_auxiliary = {initial_auxiliary!r} must be a finite number")
            b = float(initial_auxiliary)
        seen = set()
        for _ in range(max_iter):
            policy, inner = aug.solve(objective.utility(b, g), method)
            inner_total += inner
            law = aug.law(policy, s0)
            J = objective.value(law)
            path.append((b, J))
            if best is None or J > best[0]:
                best = (J, b, policy, law)
            seen.add(b)
            b = float(objective.best_auxiliary(law))
            if b in seen:
                break
    J, b, policy, law = best
    reach = _reachable(aug, policy, s0)
    policy = np.where(reach, policy, -1)
    return StockAugmentedResult(
        value=float(J),
        auxiliary=b,
        distribution=law,
        policy=readonly(policy),
        stock_values=readonly(aug.stock),
        iterations=len(path),
        inner_iterations=inner_total,
        auxiliary_path=readonly(np.array(path, dtype=float)),
    )


def _reachable(aug: _Augmented, policy: np.ndarray, s0: int) -> np.ndarray:
    S = aug.R.shape[0]
    reach = np.zeros(policy.shape, dtype=bool)
    cur = np.zeros((S, aug.stock.size), dtype=bool)
    cur[s0, -aug.lo] = True
    for t in range(aug.H):
        reach[t] = cur
        nxt = np.zeros_like(cur)
        for s, k in zip(*np.nonzero(cur)):
            a = int(policy[t, s, k])
            nxt[aug.P[s, a] > 0, k + int(aug.R[s, a])] = True
        cur = nxt
    return reach


# ----------------------------------------------------------------- brute force
def _mix(parts: list[tuple[float, int, dict]]) -> dict:
    out: dict = {}
    for w, shift, law in parts:
        for g, p in law.items():
            out[g + shift] = out.get(g + shift, 0.0) + w * p
    return out


def _key(law: dict) -> tuple:
    return tuple(sorted((g, round(p, 12)) for g, p in law.items() if p > 0))


def brute_force_optimization(
    mdp: FiniteMDP,
    objective,
    *,
    initial_state: int = 0,
    policy_class: str = "history",
    max_distributions: int = 200_000,
) -> BruteForceResult:
    r"""Best objective over all deterministic history-dependent (or Markov) policies, by enumeration.

    ``policy_class="history"``: the set :math:`D_t(s)` of return laws from
    epoch :math:`t` in state :math:`s` achievable by deterministic
    history-dependent policies satisfies :math:`D_H(s) = \{\delta_0\}` and
    :math:`D_t(s) = \bigcup_a \{\sum_{s'} P(s'|s,a)(r(s,a) + \nu_{s'}) :
    \nu_{s'} \in D_{t+1}(s')\}` -- the continuation after each successor may
    be chosen independently because the history differs. Every law of every
    such policy is in :math:`D_0(s_0)` and vice versa, so the maximum of the
    objective over :math:`D_0(s_0)` is the brute-force optimum. (Laws are
    deduplicated with probabilities rounded to 1e-12.)

    ``policy_class="markov"``: every deterministic time-dependent Markov
    policy :math:`\pi_t(s)` is enumerated explicitly (decisions at reachable
    ``(t, s)`` only).

    Raises ValueError when more than ``max_distributions`` laws would be
    enumerated.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import BandProbabilityObjective, brute_force_optimization
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0, 1]]), gamma=1.0, horizon=2)
    >>> brute_force_optimization(mdp, BandProbabilityObjective(1, 1)).value
    1.0
    """
    H, R = _check_model(mdp, objective, initial_state)
    if policy_class not in ("history", "markov"):
        raise ValueError(f"policy_class = {policy_class!r} must be 'history' or 'markov'")
    P = mdp.dense_P
    mask = np.asarray(mdp.action_mask)
    S, A = R.shape
    s0 = int(initial_state)
    laws: list[dict]
    if policy_class == "history":
        D = [[{0: 1.0}] for _ in range(S)]
        for _t in range(H):
            newD = []
            for s in range(S):
                found: dict = {}
                for a in np.flatnonzero(mask[s]):
                    succ = np.flatnonzero(P[s, a] > 0)
                    n = math.prod(len(D[s2]) for s2 in succ)
                    if len(found) + n > max_distributions:
                        raise ValueError(
                            f"more than max_distributions = {max_distributions} return laws; the instance is too "
                            "large for brute force"
                        )
                    for choice in itertools.product(*(D[s2] for s2 in succ)):
                        law = _mix([(P[s, a, s2], int(R[s, a]), nu) for s2, nu in zip(succ, choice)])
                        found.setdefault(_key(law), law)
                newD.append(list(found.values()))
            D = newD
        laws = D[s0]
    else:
        # reachable (t, s) pairs under some policy
        reach = [{s0}]
        for _t in range(H - 1):
            nxt = set()
            for s in reach[-1]:
                for a in np.flatnonzero(mask[s]):
                    nxt.update(int(x) for x in np.flatnonzero(P[s, a] > 0))
            reach.append(nxt)
        slots = [(t, s) for t in range(H) for s in sorted(reach[t])]
        options = [list(np.flatnonzero(mask[s])) for _, s in slots]
        if math.prod(len(o) for o in options) > max_distributions:
            raise ValueError(
                f"more than max_distributions = {max_distributions} Markov policies; the instance is too large for "
                "brute force"
            )
        found = {}
        for acts in itertools.product(*options):
            pol = dict(zip(slots, acts))
            dist = {(s0, 0): 1.0}
            for t in range(H):
                new: dict = {}
                for (s, c), p in dist.items():
                    a = pol[(t, s)]
                    for s2 in np.flatnonzero(P[s, a] > 0):
                        key = (int(s2), c + int(R[s, a]))
                        new[key] = new.get(key, 0.0) + p * P[s, a, s2]
                dist = new
            law: dict = {}
            for (_, c), p in dist.items():
                law[c] = law.get(c, 0.0) + p
            found.setdefault(_key(law), law)
        laws = list(found.values())
    best_value, best_law = -math.inf, None
    for law in laws:
        g = np.array(list(law.keys()), dtype=float)
        p = np.array(list(law.values()))
        d = FiniteDistribution(g, p / p.sum())
        v = objective.value(d)
        if v > best_value:
            best_value, best_law = v, d
    return BruteForceResult(
        value=float(best_value), distribution=best_law, n_distributions=len(laws), policy_class=policy_class
    )
