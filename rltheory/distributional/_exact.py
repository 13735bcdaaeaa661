r"""Exact return distributions and Monte Carlo returns of a stationary policy.

The return from :math:`s` is :math:`G = \sum_{t=0}^{H-1} \gamma^t r(S_t, A_t)`
with :math:`S_0 = s`, :math:`A_t \sim \pi(\cdot|S_t)`,
:math:`S_{t+1} \sim P(\cdot|S_t, A_t)` and the model's (expected) rewards
:math:`r(s,a)`. Its law is computed by the distributional recursion
:math:`\eta_0 = \delta_0`, :math:`\eta_{k} = T^\pi \eta_{k-1}`, so
:math:`\eta_H(s)` is the exact law of the :math:`H`-step return (every path
is enumerated, equal atoms merged).

* finite horizon (``mdp.horizon = H``): exact, ``truncation_bound = 0``;
* discounted, :math:`\gamma < 1`: the tail after :math:`H` steps satisfies
  :math:`|\sum_{t \ge H} \gamma^t r_t| \le \gamma^H \max|r| / (1-\gamma)`
  surely, so :math:`W_\infty(\eta_H(s), \eta^\pi(s))` is at most that
  (``truncation_metric = "wasserstein-inf"``; every :math:`W_p \le W_\infty`);
* :math:`\gamma = 1` with terminal states: the truncated and the full return
  coincide on the event of absorption by time :math:`H`, so the total
  variation distance is at most :math:`\max_s \Pr_s(S_H \notin \text{terminal})`
  (``truncation_metric = "total-variation"``; Kolmogorov :math:`\le` TV).

With ``merge_atol > 0`` atoms closer than ``merge_atol`` (same grid cell) are
merged at their probability-weighted mean: each step moves mass by less than
``merge_atol`` and keeps the mean, so the merged law is within
``merge_bound`` :math:`= \text{merge\_atol} \sum_{k<H} \gamma^k` of the
unmerged one in :math:`W_\infty`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm  # plain bars: tqdm.auto warns in kernels without ipywidgets

from rltheory._validation import readonly
from rltheory.distributional._operators import csr_arrays, merge_atoms
from rltheory.distributional._representations import FiniteDistribution
from rltheory.distributional._sim import cumulative_rows, rollout_returns
from rltheory.tabular import FiniteMDP

__all__ = [
    "ExactReturnDistribution",
    "MonteCarloReturns",
    "exact_return_distribution",
    "monte_carlo_returns",
]


@dataclass(frozen=True, eq=False)
class ExactReturnDistribution:
    r"""Result of :func:`exact_return_distribution`.

    Attributes
    ----------
    distributions : tuple of FiniteDistribution
        Law of the (truncated) return from each state.
    horizon : int
        Number of steps enumerated.
    truncation_bound : float
        Bound on the distance to the law of the untruncated return in
        ``truncation_metric`` (0 when the model has a finite horizon).
    truncation_metric : str
        ``"none"``, ``"wasserstein-inf"`` or ``"total-variation"``.
    merge_bound : float
        :math:`W_\infty` bound of the atom merging (0 when ``merge_atol=0``).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import exact_return_distribution
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), np.array([[1.0]]), gamma=0.5)
    >>> res = exact_return_distribution(mdp, np.array([0]), horizon=3)  # 1 + 1/2 + 1/4, tail <= 2^-3 * 2
    >>> res.distributions[0].atoms, res.truncation_bound, res.truncation_metric
    (array([1.75]), 0.25, 'wasserstein-inf')
    """

    distributions: tuple
    horizon: int
    truncation_bound: float
    truncation_metric: str
    merge_bound: float


@dataclass(frozen=True, eq=False)
class MonteCarloReturns:
    """Result of :func:`monte_carlo_returns`.

    Attributes
    ----------
    returns : numpy.ndarray, shape (n_episodes,)
    start_state : int
    horizon : int
    truncation_bound : float
    truncation_metric : str
        As in :class:`ExactReturnDistribution`.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import monte_carlo_returns
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), np.array([[1.0]]), gamma=1.0, horizon=3)
    >>> mc = monte_carlo_returns(mdp, np.array([0]), 0, n_episodes=4, seed=0)
    >>> mc.returns, mc.horizon, mc.truncation_bound
    (array([3., 3., 3., 3.]), 3, 0.0)
    """

    returns: np.ndarray
    start_state: int
    horizon: int
    truncation_bound: float
    truncation_metric: str


def _horizon_and_bound(mdp: FiniteMDP, pi: np.ndarray, horizon, tol) -> tuple[int, float, str]:
    if horizon is not None and (isinstance(horizon, bool) or not isinstance(horizon, numbers.Integral) or horizon < 0):
        raise ValueError(f"horizon = {horizon!r} must be an integer >= 0 or None")
    if tol is not None and (isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol > 0):
        raise ValueError(f"tol = {tol!r} must be a positive number or None")
    if mdp.horizon is not None:
        if horizon is not None and horizon != mdp.horizon:
            raise ValueError(f"the model has horizon {mdp.horizon}; got a different horizon = {horizon!r}")
        return mdp.horizon, 0.0, "none"
    g = mdp.gamma
    if g < 1.0:
        rmax = float(np.abs(np.where(mdp.action_mask, mdp.R, 0.0)).max())
        if horizon is None:
            if tol is None:
                raise ValueError("a discounted model without a horizon needs horizon= or tol= to truncate the return")
            if rmax == 0.0 or g == 0.0:
                horizon = 1
            else:
                # gamma^H rmax / (1 - gamma) <= tol
                horizon = max(1, math.ceil(math.log(tol * (1 - g) / rmax) / math.log(g)))
        # |sum_{t>=H} gamma^t r_t| <= gamma^H max|r| / (1 - gamma), surely
        return int(horizon), g**horizon * rmax / (1 - g), "wasserstein-inf"
    if horizon is None:
        raise ValueError("gamma = 1 without a model horizon needs horizon= (absorption may take unboundedly long)")
    # P_s(S_H not terminal): the returns agree on absorption by H, so TV <= this
    S = mdp.n_states
    alive = np.ones(S)
    alive[mdp.terminal_states] = 0.0
    Ppi = mdp.policy_transition(pi)
    u = alive.copy()
    for _ in range(int(horizon)):
        u = Ppi @ u
    return int(horizon), float(np.max(u)), "total-variation"


def exact_return_distribution(
    mdp: FiniteMDP,
    policy,
    *,
    horizon: int | None = None,
    tol: float | None = None,
    merge_atol: float = 0.0,
    max_atoms: int = 200_000,
    progress: bool | None = None,
) -> ExactReturnDistribution:
    r"""The law of the return from every state by exhaustive distributional recursion.

    Parameters
    ----------
    mdp : FiniteMDP
    policy : array_like
        ``(S,)`` actions or ``(S, A)`` probabilities (stationary).
    horizon : int, optional
        Steps to enumerate (discounted or :math:`\gamma=1` terminal models);
        must be None or equal to ``mdp.horizon`` on finite-horizon models.
    tol : float, optional
        Discounted models only: pick the smallest horizon whose
        :math:`W_\infty` truncation bound :math:`\gamma^H \max|r|/(1-\gamma)`
        is at most ``tol``.
    merge_atol : float
        Atom-merging grid (0: merge exactly equal atoms only).
    max_atoms : int
        Refuse (ValueError) when a state's law needs more atoms.
    progress : bool, optional

    Returns
    -------
    ExactReturnDistribution

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import exact_return_distribution
    >>> P = np.array([[[0.5, 0.5]], [[0.5, 0.5]]]); R = np.array([[1.0], [0.0]])
    >>> res = exact_return_distribution(FiniteMDP(P, R, gamma=1.0, horizon=2), np.array([0, 0]))
    >>> res.distributions[0].atoms, res.distributions[0].probs
    (array([1., 2.]), array([0.5, 0.5]))
    """
    pi = mdp.policy_matrix(policy)
    if isinstance(merge_atol, bool) or not isinstance(merge_atol, numbers.Real) or not merge_atol >= 0:
        raise ValueError(f"merge_atol = {merge_atol!r} must be a non-negative number")
    H, bound, metric = _horizon_and_bound(mdp, pi, horizon, tol)
    indptr, indices, data = csr_arrays(mdp)
    S, A, g = mdp.n_states, mdp.n_actions, mdp.gamma
    laws = [(np.zeros(1), np.ones(1)) for _ in range(S)]
    with tqdm(total=H, desc="exact return law", disable=None if progress is None else not progress, leave=False) as bar:
        for _ in range(H):
            new = []
            for s in range(S):
                xs, ws = [], []
                for a in range(A):
                    if pi[s, a] == 0:
                        continue
                    row = s * A + a
                    for k in range(indptr[row], indptr[row + 1]):
                        x, p = laws[indices[k]]
                        xs.append(mdp.R[s, a] + g * x)
                        ws.append(pi[s, a] * data[k] * p)
                x, p = merge_atoms(np.concatenate(xs), np.concatenate(ws), float(merge_atol))
                if x.size > max_atoms:
                    raise ValueError(
                        f"the return law of state {s} needs {x.size} atoms > max_atoms = {max_atoms}; "
                        "raise max_atoms, lower the horizon or use merge_atol > 0"
                    )
                new.append((x, p))
            laws = new
            bar.update(1)
    merge_bound = float(merge_atol) * sum(g**k for k in range(H))
    return ExactReturnDistribution(
        distributions=tuple(FiniteDistribution(x, p) for x, p in laws),
        horizon=H,
        truncation_bound=float(bound),
        truncation_metric=metric,
        merge_bound=merge_bound,
    )


def monte_carlo_returns(
    mdp: FiniteMDP,
    policy,
    start_state: int,
    *,
    n_episodes: int,
    horizon: int | None = None,
    tol: float | None = None,
    seed=None,
    block_size: int = 1024,
    progress: bool | None = None,
) -> MonteCarloReturns:
    r"""Sample returns from ``start_state`` with a compiled (Numba) simulator.

    Episodes run :math:`H` steps (chosen and bounded exactly as in
    :func:`exact_return_distribution`) or until a terminal state. Episodes
    are grouped in blocks of ``block_size``; block :math:`b` draws its
    uniforms from ``np.random.SeedSequence(seed).spawn(n_blocks)[b]``, so the
    output depends only on ``seed`` (never on threads or global state).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import monte_carlo_returns
    >>> P = np.array([[[0.5, 0.5]], [[0.5, 0.5]]]); R = np.array([[1.0], [0.0]])
    >>> mc = monte_carlo_returns(FiniteMDP(P, R, gamma=1.0, horizon=2), np.array([0, 0]), 0, n_episodes=1000, seed=1)
    >>> sorted(set(mc.returns.tolist()))
    [1.0, 2.0]
    """
    pi = mdp.policy_matrix(policy)
    if (
        isinstance(start_state, bool)
        or not isinstance(start_state, numbers.Integral)
        or not 0 <= start_state < mdp.n_states
    ):
        raise ValueError(f"start_state = {start_state!r} is not a state in [0, {mdp.n_states})")
    for name, val in (("n_episodes", n_episodes), ("block_size", block_size)):
        if isinstance(val, bool) or not isinstance(val, numbers.Integral) or val < 1:
            raise ValueError(f"{name} = {val!r} must be an integer >= 1")
    H, bound, metric = _horizon_and_bound(mdp, pi, horizon, tol)
    S, A = mdp.n_states, mdp.n_actions
    indptr, indices, data = csr_arrays(mdp)
    P = sp.csr_array((data.copy(), indices.copy(), indptr.copy()), shape=(S * A, S))
    P.eliminate_zeros()
    indptr = np.ascontiguousarray(P.indptr, dtype=np.int64)
    indices = np.ascontiguousarray(P.indices, dtype=np.int64)
    cumdata = cumulative_rows(indptr, P.data)
    cum_pi = np.ascontiguousarray(np.cumsum(pi, axis=1))
    last_action = np.array([int(np.flatnonzero(pi[s] > 0)[-1]) for s in range(S)], dtype=np.int64)
    absorbing = np.zeros(S, dtype=np.bool_)
    if mdp.terminal_states is not None:
        absorbing[mdp.terminal_states] = True
    R = np.ascontiguousarray(mdp.R)
    n_blocks = -(-int(n_episodes) // int(block_size))
    children = np.random.SeedSequence(seed).spawn(n_blocks)
    out = np.empty(int(n_episodes))
    with tqdm(
        total=n_blocks, desc="Monte Carlo returns", disable=None if progress is None else not progress, leave=False
    ) as bar:
        for b, child in enumerate(children):
            lo = b * block_size
            hi = min(lo + block_size, n_episodes)
            uniforms = np.random.default_rng(child).random((hi - lo, max(H, 1), 2))
            rollout_returns(
                indptr,
                indices,
                cumdata,
                cum_pi,
                last_action,
                R,
                mdp.gamma,
                int(start_state),
                absorbing,
                uniforms[:, :H],
                out[lo:hi],
            )
            bar.update(1)
    return MonteCarloReturns(
        returns=readonly(out),
        start_state=int(start_state),
        horizon=H,
        truncation_bound=float(bound),
        truncation_metric=metric,
    )
