r"""Projected distributional policy evaluation (categorical and quantile).

Both iterate a projected operator that is a contraction in a supremum metric
to its unique fixed point, and stop on the a-posteriori Banach bound

.. math::

    \bar d(\eta_k, \eta^\star) \le \frac{c}{1-c}\, \bar d(\eta_k, \eta_{k-1}),

with :math:`c = \sqrt\gamma`, :math:`\bar d = \bar\ell_2` (supremum Cramér)
for :math:`\Pi_C T^\pi` (Rowland et al. 2018, Proposition 2) and
:math:`c = \gamma`, :math:`\bar d = \bar W_\infty` for :math:`\Pi_Q T^\pi`
(Dabney et al. 2018, Proposition 2).

On a finite-horizon model (``mdp.horizon = H``) the projected recursion is
run exactly ``H`` times from :math:`\delta_0` (projected) and the result is
the projected ``H``-step law; ``bound`` is then 0 (no fixed point is
approximated). Undiscounted models without a horizon (``gamma = 1`` with
terminal states) are refused: no contraction theorem covers them; use
:func:`~rltheory.distributional.exact_return_distribution`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm  # plain bars: tqdm.auto warns in kernels without ipywidgets

from rltheory._validation import check_shape, readonly
from rltheory.distributional import _kernels
from rltheory.distributional._metrics import cramer_rows, winf_quantile_rows
from rltheory.distributional._operators import (
    _check_rows_probability,
    _check_support,
    _quantile_sweep,
    categorical_projection,
    csr_arrays,
)
from rltheory.distributional._representations import CategoricalDistribution, QuantileDistribution
from rltheory.tabular._model import FiniteMDP

__all__ = [
    "CategoricalEvaluationResult",
    "QuantileEvaluationResult",
    "categorical_policy_evaluation",
    "quantile_policy_evaluation",
]


@dataclass(frozen=True, eq=False)
class CategoricalEvaluationResult:
    r"""Result of :func:`categorical_policy_evaluation`.

    Attributes
    ----------
    support : numpy.ndarray, shape (m,)
    probs : numpy.ndarray, shape (S, m)
        Row ``s`` is the computed law of the return from ``s``.
    means : numpy.ndarray, shape (S,)
        ``probs @ support``.
    iterations : int
    converged : bool
        Whether ``bound <= tol`` was reached (always True on finite horizons).
    residual : float
        :math:`\bar\ell_2(\eta_k, \eta_{k-1})`, the last change.
    bound : float
        Certified :math:`\bar\ell_2(\eta_k, \eta_C)` to the fixed point
        :math:`\eta_C` of :math:`\Pi_C T^\pi`.
    """

    support: np.ndarray
    probs: np.ndarray
    means: np.ndarray
    iterations: int
    converged: bool
    residual: float
    bound: float

    def distribution(self, state: int) -> CategoricalDistribution:
        """The law of state ``state`` as a :class:`CategoricalDistribution`."""
        row = self.probs[int(state)]
        return CategoricalDistribution(self.support, row / row.sum())


@dataclass(frozen=True, eq=False)
class QuantileEvaluationResult:
    r"""Result of :func:`quantile_policy_evaluation`.

    Attributes
    ----------
    locations : numpy.ndarray, shape (S, n)
        Sorted locations of each state's law.
    means : numpy.ndarray, shape (S,)
    iterations : int
    converged : bool
    residual : float
        :math:`\bar W_\infty(\eta_k, \eta_{k-1})`.
    bound : float
        Certified :math:`\bar W_\infty(\eta_k, \eta_Q)` to the fixed point of
        :math:`\Pi_Q T^\pi`.
    """

    locations: np.ndarray
    means: np.ndarray
    iterations: int
    converged: bool
    residual: float
    bound: float

    def distribution(self, state: int) -> QuantileDistribution:
        """The law of state ``state`` as a :class:`QuantileDistribution`."""
        return QuantileDistribution(self.locations[int(state)])


def _check_loop_args(tol, max_iter):
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol > 0 or not math.isfinite(tol):
        raise ValueError(f"tol = {tol!r} must be a positive finite number")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter = {max_iter!r} must be an integer >= 1")


def _check_criterion(mdp: FiniteMDP) -> None:
    if mdp.horizon is None and mdp.gamma >= 1.0:
        raise ValueError(
            "projected policy evaluation needs gamma < 1 or a finite horizon; gamma = 1 with terminal states "
            "has no contraction theorem here -- use exact_return_distribution with a horizon"
        )


def categorical_policy_evaluation(
    mdp: FiniteMDP,
    policy,
    support,
    *,
    tol: float = 1e-8,
    max_iter: int = 100_000,
    initial=None,
    progress: bool | None = None,
) -> CategoricalEvaluationResult:
    r"""Fixed point of the categorical projected operator :math:`\Pi_C T^\pi`.

    Iterates :math:`\eta_{k+1} = \Pi_C T^\pi \eta_k` until the certified
    distance to the fixed point, :math:`\frac{\sqrt\gamma}{1-\sqrt\gamma}
    \bar\ell_2(\eta_k,\eta_{k-1})`, is at most ``tol`` (Rowland et al. 2018,
    Proposition 2: :math:`\Pi_C T^\pi` is a :math:`\sqrt\gamma`-contraction
    in :math:`\bar\ell_2`). When :math:`[z_1, z_m]` contains
    :math:`[\min r/(1-\gamma), \max r/(1-\gamma)]` the projection preserves
    means, so the fixed point has mean :math:`v^\pi` (Rowland et al. 2018,
    Sec. 3; Proposition 3 there bounds its Cramér distance to the true law,
    :math:`\bar\ell_2^2(\eta_C, \eta^\pi) \le \max_i (z_{i+1}-z_i)/(1-\gamma)`).

    Parameters
    ----------
    mdp : FiniteMDP
    policy : array_like
        ``(S,)`` actions or ``(S, A)`` probabilities (stationary).
    support : array_like, shape (m,)
        Strictly increasing atoms.
    tol : float
        Target for ``bound``.
    max_iter : int
    initial : array_like, shape (S, m), optional
        Starting laws; default :math:`\Pi_C \delta_0` in every state.
    progress : bool, optional
        tqdm bar; default on only when attached to a terminal.

    Returns
    -------
    CategoricalEvaluationResult

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import categorical_policy_evaluation
    >>> P = np.array([[[0.5, 0.5]], [[0.5, 0.5]]]); R = np.array([[1.0], [0.0]])
    >>> mdp = FiniteMDP(P, R, gamma=0.5)
    >>> res = categorical_policy_evaluation(mdp, np.array([0, 0]), np.linspace(0, 2, 21), tol=1e-10)
    >>> res.converged, np.round(res.means, 8)  # v = (I - gamma P)^{-1} r = (1.5, 0.5)
    (True, array([1.5, 0.5]))
    """
    _check_loop_args(tol, max_iter)
    _check_criterion(mdp)
    z = _check_support(support)
    pi = np.ascontiguousarray(mdp.policy_matrix(policy))
    S = mdp.n_states
    if initial is None:
        eta = np.tile(categorical_projection([0.0], [1.0], z), (S, 1))
    else:
        eta = np.array(initial, dtype=float)
        check_shape("initial", eta, (S, z.size))
        _check_rows_probability("initial", eta)
    eta = np.ascontiguousarray(eta)
    indptr, indices, data = csr_arrays(mdp)
    R = np.ascontiguousarray(mdp.R)
    new = np.empty_like(eta)
    c = math.sqrt(mdp.gamma)
    n_steps = mdp.horizon if mdp.horizon is not None else max_iter
    residual, bound, converged, k = math.inf, math.inf, False, 0
    with tqdm(total=n_steps, desc="categorical evaluation", disable=None if progress is None else not progress, leave=False) as bar:
        for k in range(1, n_steps + 1):
            _kernels.categorical_sweep(indptr, indices, data, R, pi, mdp.gamma, z, eta, new)
            residual = float(cramer_rows(z, new, eta).max())
            eta, new = new, eta
            bar.update(1)
            if mdp.horizon is None:
                # Banach a-posteriori bound with modulus sqrt(gamma): Rowland et al. 2018, Proposition 2.
                bound = c / (1.0 - c) * residual
                if bound <= tol:
                    converged = True
                    break
    if mdp.horizon is not None:
        bound, converged = 0.0, True
    return CategoricalEvaluationResult(
        support=readonly(z.copy()),
        probs=readonly(eta),
        means=readonly(eta @ z),
        iterations=k,
        converged=converged,
        residual=residual,
        bound=bound,
    )


def quantile_policy_evaluation(
    mdp: FiniteMDP,
    policy,
    n_quantiles: int,
    *,
    tol: float = 1e-8,
    max_iter: int = 100_000,
    initial=None,
    progress: bool | None = None,
) -> QuantileEvaluationResult:
    r"""Fixed point of the quantile projected operator :math:`\Pi_Q T^\pi`.

    Iterates :math:`\eta_{k+1} = \Pi_Q T^\pi \eta_k` until
    :math:`\frac{\gamma}{1-\gamma} \bar W_\infty(\eta_k, \eta_{k-1}) \le`
    ``tol``; :math:`\Pi_Q T^\pi` is a :math:`\gamma`-contraction in
    :math:`\bar W_\infty` (Dabney et al. 2018, Proposition 2).

    Parameters
    ----------
    mdp : FiniteMDP
    policy : array_like
    n_quantiles : int >= 1
    tol : float
    max_iter : int
    initial : array_like, shape (S, n), optional
        Default: all locations 0.
    progress : bool, optional

    Returns
    -------
    QuantileEvaluationResult

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import quantile_policy_evaluation
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), np.array([[1.0]]), gamma=0.5)
    >>> res = quantile_policy_evaluation(mdp, np.array([0]), 3, tol=1e-12)
    >>> res.converged, np.round(res.locations, 9)  # deterministic return 1/(1-gamma) = 2
    (True, array([[2., 2., 2.]]))
    """
    _check_loop_args(tol, max_iter)
    _check_criterion(mdp)
    if isinstance(n_quantiles, bool) or not isinstance(n_quantiles, numbers.Integral) or n_quantiles < 1:
        raise ValueError(f"n_quantiles = {n_quantiles!r} must be an integer >= 1")
    pi = np.ascontiguousarray(mdp.policy_matrix(policy))
    S = mdp.n_states
    if initial is None:
        L = np.zeros((S, int(n_quantiles)))
    else:
        L = np.sort(np.array(initial, dtype=float), axis=-1)
        check_shape("initial", L, (S, int(n_quantiles)))
        if not np.isfinite(L).all():
            raise ValueError("initial has a non-finite location")
    L = np.ascontiguousarray(L)
    arrays = csr_arrays(mdp)
    n_steps = mdp.horizon if mdp.horizon is not None else max_iter
    residual, bound, converged, k = math.inf, math.inf, False, 0
    g = mdp.gamma
    with tqdm(total=n_steps, desc="quantile evaluation", disable=None if progress is None else not progress, leave=False) as bar:
        for k in range(1, n_steps + 1):
            new = _quantile_sweep(mdp, arrays, pi, L)
            residual = float(winf_quantile_rows(new, L).max())
            L = new
            bar.update(1)
            if mdp.horizon is None:
                # Banach a-posteriori bound with modulus gamma: Dabney et al. 2018, Proposition 2.
                bound = g / (1.0 - g) * residual
                if bound <= tol:
                    converged = True
                    break
    if mdp.horizon is not None:
        bound, converged = 0.0, True
    return QuantileEvaluationResult(
        locations=readonly(L),
        means=readonly(L.mean(axis=1)),
        iterations=k,
        converged=converged,
        residual=residual,
        bound=bound,
    )
