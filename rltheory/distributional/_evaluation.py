r"""Projected distributional policy evaluation (categorical and quantile), with certificates.

Both iterate a projected operator that is a contraction in a supremum metric
to its unique fixed point, and stop on the a-posteriori Banach bound

.. math::

    \bar d(\eta_k, \eta^\star) \le \frac{c}{1-c}\, \bar d(\eta_k, \eta_{k-1}),

with :math:`c = \sqrt\gamma`, :math:`\bar d = \bar\ell_2` (supremum Cramér)
for :math:`\Pi_C T^\pi` (Rowland et al. 2018, Proposition 2) and
:math:`c = \gamma`, :math:`\bar d = \bar W_\infty` for :math:`\Pi_Q T^\pi`
(Dabney et al. 2018, Proposition 2). That certificate (``bound``) is about
the *projected* fixed point only. What a user reads off the result is also
certified against the true return law :math:`\eta^\pi` and value
:math:`v^\pi`:

* ``v_lower <= v^pi <= v_upper`` brackets the value (the mean return) whatever
  the support: for any vector :math:`m` (here the means of the computed laws)
  and :math:`\delta = T^\pi m - m` with :math:`T^\pi m = r^\pi + \gamma P^\pi m`,

  .. math::

      T^\pi m + \tfrac{\gamma}{1-\gamma}\min_s \delta(s) \;\le\; v^\pi \;\le\;
      T^\pi m + \tfrac{\gamma}{1-\gamma}\max_s \delta(s),

  because :math:`v^\pi - T^\pi m = \gamma P^\pi (I-\gamma P^\pi)^{-1}\delta`
  and :math:`(I-\gamma P^\pi)^{-1} = \sum_k \gamma^k (P^\pi)^k` is
  non-negative with row sums :math:`1/(1-\gamma)` (the policy-evaluation case
  of the MacQueen-Porteus bounds; MacQueen 1966; Puterman 2005, Sec. 6.6.3).
  When the support :math:`[z_1, z_m]` does not cover the returns the
  projection clips them and the means drift away from :math:`v^\pi`; the
  residual :math:`\delta` then carries the clipping error, so the bracket
  widens accordingly instead of certifying a wrong mean. On a finite horizon
  :math:`H` the same argument runs stage by stage: with
  :math:`e_h = m_h - (r^\pi + \gamma P^\pi m_{h-1})` (:math:`m_{-1} = 0`),
  :math:`v_H - m_H = -\sum_{h=0}^{H} (\gamma P^\pi)^{H-h} e_h`, which lies in
  :math:`[-\sum_h \gamma^{H-h}\max e_h, -\sum_h \gamma^{H-h}\min e_h]`.
* ``approximation_bound`` (categorical) bounds
  :math:`\bar\ell_2(\eta_C, \eta^\pi)` for the fixed point :math:`\eta_C`
  of :math:`\Pi_C T^\pi` (finite horizon: for the computed :math:`H`-step
  law), *including* the clipping error:

  .. math::

      \bar\ell_2^2(\eta_C, \eta^\pi) \le \frac{\max_i (z_{i+1}-z_i)
      + (z_1 - G_{\min})_+ + (G_{\max} - z_m)_+}{1-\gamma},

  with every return in :math:`[G_{\min}, G_{\max}] = [\min r/(1-\gamma),
  \max r/(1-\gamma)]` (rewards of the actions :math:`\pi` uses). Derived
  here, extending Rowland et al. (2018), Proposition 3 (the case of a
  covering support, where the last two terms vanish): in the Cramér
  geometry (:math:`L^2` distance of CDFs) :math:`\Pi_C` is the orthogonal
  projection onto the affine set of CDFs that are 0 below :math:`z_1`, 1
  from :math:`z_m` on and constant between atoms, also for laws with mass
  outside :math:`[z_1, z_m]` (the part outside is fixed, each cell is
  replaced by its average). Pythagoras and the :math:`\sqrt\gamma`-contraction
  give :math:`\ell_2^2(\eta_C(s), \eta^\pi(s)) \le \gamma\,\bar\ell_2^2(\eta_C,
  \eta^\pi) + \ell_2^2(\Pi_C\eta^\pi(s), \eta^\pi(s))`, and for a law
  :math:`\mu` on :math:`[G_{\min}, G_{\max}]`, :math:`\ell_2^2(\Pi_C\mu,\mu)
  = \int_{-\infty}^{z_1} F_\mu^2 + \int_{z_m}^\infty (1-F_\mu)^2 +
  \sum_i \int_{z_i}^{z_{i+1}} (F_\mu - \bar F_i)^2`, at most the numerator.
  On a finite horizon the recursion gives :math:`\bar\ell_2^2 \le \gamma^H
  D_0 + \sum_{h=1}^{H} \gamma^{H-h} c_h` with :math:`c_h` the numerator
  for the :math:`h`-step return range and :math:`D_0` the squared distance
  of the initial laws to :math:`\delta_0`.

All certificates hold in exact arithmetic; floating-point rounding adds
:math:`O(\varepsilon\, S\, \|v\|_\infty / (1-\gamma))`. An iterate that is not
finite (returns beyond the float range) stops the loop and is never
certified: ``converged = False``, ``bound = inf``, ``v_lower = -inf``,
``v_upper = inf``.

On a finite-horizon model (``mdp.horizon = H``) the projected recursion is
run exactly ``H`` times from :math:`\delta_0` (projected) and the result is
the projected ``H``-step law; ``bound`` is then 0 (no fixed point is
approximated). Undiscounted models without a horizon (``gamma = 1`` with
terminal states) are refused: no contraction theorem covers them; use
:func:`~rltheory.distributional.exact_return_distribution`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm  # plain bars: tqdm.auto warns in kernels without ipywidgets

from rltheory._validation import check_int, check_iteration_settings, check_shape, readonly
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
from rltheory.tabular import FiniteMDP

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
        :math:`\eta_C` of :math:`\Pi_C T^\pi` (0 on finite horizons). It says
        nothing about how well :math:`\eta_C` represents the true law: see
        ``approximation_bound`` and ``v_lower``/``v_upper``.
    v_lower, v_upper : numpy.ndarray, shape (S,)
        Certified bounds ``v_lower <= v^pi <= v_upper`` on the value (the
        true mean return; finite horizon: of the ``H``-step return),
        including the error of a support that clips the returns (see the
        module docstring).
    approximation_bound : float
        Certified :math:`\bar\ell_2(\eta_C, \eta^\pi)` to the true return
        law, including clipping; so :math:`\bar\ell_2(\eta_k, \eta^\pi) \le`
        ``bound + approximation_bound``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import categorical_policy_evaluation
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), np.array([[1.0]]), gamma=0.5)  # return 2 surely
    >>> res = categorical_policy_evaluation(mdp, np.array([0]), [0.0, 1.5, 3.0], tol=1e-12)
    >>> np.round(res.probs, 6), np.round(res.means, 6), np.round(res.v_lower, 6), np.round(res.v_upper, 6)
    (array([[0.      , 0.666667, 0.333333]]), array([2.]), array([2.]), array([2.]))
    >>> round(res.approximation_bound, 6)  # sqrt(max gap / (1 - gamma)) = sqrt(3)
    1.732051
    """

    support: np.ndarray
    probs: np.ndarray
    means: np.ndarray
    iterations: int
    converged: bool
    residual: float
    bound: float
    v_lower: np.ndarray
    v_upper: np.ndarray
    approximation_bound: float

    def distribution(self, state: int) -> CategoricalDistribution:
        """The law of state ``state`` as a :class:`CategoricalDistribution`.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP
        >>> from rltheory.distributional import categorical_policy_evaluation
        >>> mdp = FiniteMDP(np.ones((1, 1, 1)), np.array([[1.0]]), gamma=0.5)
        >>> res = categorical_policy_evaluation(mdp, np.array([0]), [0.0, 2.0, 4.0], tol=1e-12)
        >>> res.distribution(0).probs.round(9)  # return 1/(1 - gamma) = 2
        array([0., 1., 0.])
        """
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
        :math:`\Pi_Q T^\pi` (0 on finite horizons). The quantile projection
        does not preserve means, so ``means`` need not be :math:`v^\pi`
        even at the fixed point: see ``v_lower``/``v_upper``.
    v_lower, v_upper : numpy.ndarray, shape (S,)
        Certified bounds ``v_lower <= v^pi <= v_upper`` on the value (finite
        horizon: of the ``H``-step return), as in
        :class:`CategoricalEvaluationResult`.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import quantile_policy_evaluation
    >>> P = np.array([[[0.5, 0.5]], [[0.5, 0.5]]]); R = np.array([[1.0], [0.0]])
    >>> res = quantile_policy_evaluation(FiniteMDP(P, R, gamma=0.5), np.array([0, 0]), 4, tol=1e-10)
    >>> v = np.array([1.5, 0.5])  # the quantile means need not be v; the certified bracket contains it
    >>> res.converged, bool(np.all((res.v_lower <= v) & (v <= res.v_upper)))
    (True, True)
    """

    locations: np.ndarray
    means: np.ndarray
    iterations: int
    converged: bool
    residual: float
    bound: float
    v_lower: np.ndarray
    v_upper: np.ndarray

    def distribution(self, state: int) -> QuantileDistribution:
        """The law of state ``state`` as a :class:`QuantileDistribution`.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP
        >>> from rltheory.distributional import quantile_policy_evaluation
        >>> mdp = FiniteMDP(np.ones((1, 1, 1)), np.array([[1.0]]), gamma=0.5)
        >>> quantile_policy_evaluation(mdp, np.array([0]), 2, tol=1e-12).distribution(0).locations.round(9)
        array([2., 2.])
        """
        return QuantileDistribution(self.locations[int(state)])


def _check_criterion(mdp: FiniteMDP) -> None:
    if mdp.horizon is None and mdp.gamma >= 1.0:
        raise ValueError(
            "projected policy evaluation needs gamma < 1 or a finite horizon; gamma = 1 with terminal states "
            "has no contraction theorem here -- use exact_return_distribution with a horizon"
        )


def _policy_pieces(mdp: FiniteMDP, pi: np.ndarray):
    """``r^pi``, ``P^pi`` and the range ``[r_lo, r_hi]`` of the rewards of the actions ``pi`` uses."""
    used = np.asarray(mdp.R)[pi > 0]
    return mdp.policy_reward(pi), mdp.policy_transition(pi), float(used.min()), float(used.max())


class _MeanCertificate:
    """Accumulates the value bracket of the module docstring along the iteration."""

    def __init__(self, mdp: FiniteMDP, r_pi, P_pi, means0: np.ndarray):
        self.gamma, self.r, self.P = mdp.gamma, r_pi, P_pi
        self.finite_horizon = mdp.horizon is not None
        # stage 0: e_0 = m_0 - v_0 with v_0 = 0 (the law of the empty return is delta_0)
        self.lo, self.hi = float(np.min(means0)), float(np.max(means0))
        self.means = means0

    def step(self, new_means: np.ndarray) -> None:
        if self.finite_horizon:
            e = new_means - (self.r + self.gamma * (self.P @ self.means))
            # v_H - m_H = -sum_h (gamma P)^{H-h} e_h, and (gamma P)^j e lies in gamma^j [min e, max e]
            self.lo = self.gamma * self.lo + float(np.min(e))
            self.hi = self.gamma * self.hi + float(np.max(e))
        self.means = new_means

    def bracket(self) -> tuple[np.ndarray, np.ndarray]:
        m = self.means
        if not np.isfinite(m).all():
            return np.full(m.shape, -np.inf), np.full(m.shape, np.inf)
        with np.errstate(over="ignore", invalid="ignore"):
            if self.finite_horizon:
                lo, hi = m - self.hi, m - self.lo
            else:
                tm = self.r + self.gamma * (self.P @ m)
                delta = tm - m
                c = self.gamma / (1.0 - self.gamma)  # MacQueen-Porteus, policy-evaluation case
                lo, hi = tm + c * float(np.min(delta)), tm + c * float(np.max(delta))
        if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
            return np.full(m.shape, -np.inf), np.full(m.shape, np.inf)
        return lo, hi


def _cramer_sq_to_zero(z: np.ndarray, probs: np.ndarray) -> float:
    """``max_s l_2^2(probs[s], delta_0)`` for categorical rows on support ``z``."""
    if np.any(z == 0.0):
        grid, rows = z, probs
    else:
        k = int(np.searchsorted(z, 0.0))
        grid = np.insert(z, k, 0.0)
        rows = np.insert(probs, k, 0.0, axis=1)
    dirac = (grid == 0.0).astype(float)[None, :]
    return float(np.max(cramer_rows(grid, rows, np.broadcast_to(dirac, rows.shape)) ** 2))


def _approximation_bound(mdp: FiniteMDP, z: np.ndarray, r_lo: float, r_hi: float, eta0: np.ndarray) -> float:
    """Certified sup-Cramér distance of the projected fixed point (or H-step law) to the true law."""
    gap = float(np.max(np.diff(z))) if z.size > 1 else 0.0
    g = mdp.gamma

    def c(lo: float, hi: float) -> float:
        # l_2^2(Pi_C mu, mu) <= max gap + clipped mass x distance, for mu on [lo, hi]
        return gap + max(0.0, z[0] - lo) + max(0.0, hi - z[-1])

    with np.errstate(over="ignore", invalid="ignore"):
        if mdp.horizon is None:
            sq = c(r_lo / (1.0 - g), r_hi / (1.0 - g)) / (1.0 - g)
        else:
            sq, reach = _cramer_sq_to_zero(z, eta0), 0.0  # D_0; reach = sum_{t<h} gamma^t
            for _ in range(mdp.horizon):
                reach = 1.0 + g * reach
                sq = g * sq + c(r_lo * reach, r_hi * reach)
    return float(math.sqrt(sq)) if math.isfinite(sq) else math.inf


def _progress_bar(total: int, desc: str, progress):
    return tqdm(total=total, desc=desc, disable=None if progress is None else not progress, leave=False)


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
    r"""Fixed point of the categorical projected operator :math:`\Pi_C T^\pi`, with certificates.

    Iterates :math:`\eta_{k+1} = \Pi_C T^\pi \eta_k` until the certified
    distance to the fixed point, :math:`\frac{\sqrt\gamma}{1-\sqrt\gamma}
    \bar\ell_2(\eta_k,\eta_{k-1})`, is at most ``tol`` (Rowland et al. 2018,
    Proposition 2: :math:`\Pi_C T^\pi` is a :math:`\sqrt\gamma`-contraction
    in :math:`\bar\ell_2`). When :math:`[z_1, z_m]` contains
    :math:`[\min r/(1-\gamma), \max r/(1-\gamma)]` the projection preserves
    means, so the fixed point has mean :math:`v^\pi` (Rowland et al. 2018,
    Sec. 3), and Proposition 3 there bounds its Cramér distance to the true
    law, :math:`\bar\ell_2^2(\eta_C, \eta^\pi) \le \max_i
    (z_{i+1}-z_i)/(1-\gamma)`. A support that does not cover the returns is
    allowed (as in C51), but then the means are biased: ``v_lower`` /
    ``v_upper`` and ``approximation_bound`` include that clipping error
    (module docstring), so the result never certifies a wrong mean.

    Parameters
    ----------
    mdp : FiniteMDP
    policy : array_like
        ``(S,)`` actions or ``(S, A)`` probabilities (stationary).
    support : array_like, shape (m,)
        Strictly increasing atoms.
    tol : float
        Target for ``bound``.
    max_iter : int >= 0
        Cap on sweeps (discounted models; 0 returns the initial laws). A
        finite-horizon model always runs its ``H`` sweeps.
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

    A support that clips the returns: the means are wrong, and the value
    bracket says so.

    >>> clipped = categorical_policy_evaluation(mdp, np.array([0, 0]), [0.0, 0.25, 0.5], tol=1e-10)
    >>> v = np.array([1.5, 0.5])
    >>> np.round(clipped.means, 6), bool(np.all((clipped.v_lower <= v) & (v <= clipped.v_upper)))
    (array([0.5     , 0.166667]), True)
    >>> np.round(clipped.v_lower, 6), np.round(clipped.v_upper, 6)
    (array([1.166667, 0.166667]), array([1.833333, 0.833333]))
    """
    tol, max_iter = check_iteration_settings(tol, max_iter)
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
    r_pi, P_pi, r_lo, r_hi = _policy_pieces(mdp, pi)
    approximation = _approximation_bound(mdp, z, r_lo, r_hi, eta)
    with np.errstate(over="ignore", invalid="ignore"):
        cert = _MeanCertificate(mdp, r_pi, P_pi, eta @ z)
    indptr, indices, data = csr_arrays(mdp)
    R = np.ascontiguousarray(mdp.R)
    new = np.empty_like(eta)
    c = math.sqrt(mdp.gamma)
    n_steps = mdp.horizon if mdp.horizon is not None else max_iter
    residual, bound, converged, k = math.inf, math.inf, False, 0
    with _progress_bar(n_steps, "categorical evaluation", progress) as bar:
        for k in range(1, n_steps + 1):  # noqa: B007  (k is read after the loop)
            _kernels.categorical_sweep(indptr, indices, data, R, pi, mdp.gamma, z, eta, new)
            residual = float(cramer_rows(z, new, eta).max())
            eta, new = new, eta
            with np.errstate(over="ignore", invalid="ignore"):
                cert.step(eta @ z)
            bar.update(1)
            if not math.isfinite(residual):
                break  # never certified (module docstring)
            if mdp.horizon is None:
                # Banach a-posteriori bound with modulus sqrt(gamma): Rowland et al. 2018, Proposition 2.
                bound = c / (1.0 - c) * residual
                if bound <= tol:
                    converged = True
                    break
    if mdp.horizon is not None and math.isfinite(residual):
        bound, converged = 0.0, True
    if not math.isfinite(residual) and k > 0:
        bound, converged = math.inf, False
    v_lower, v_upper = cert.bracket()
    return CategoricalEvaluationResult(
        support=readonly(z.copy()),
        probs=readonly(eta),
        means=readonly(cert.means),
        iterations=k,
        converged=converged,
        residual=residual,
        bound=bound,
        v_lower=readonly(v_lower),
        v_upper=readonly(v_upper),
        approximation_bound=approximation,
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
    r"""Fixed point of the quantile projected operator :math:`\Pi_Q T^\pi`, with certificates.

    Iterates :math:`\eta_{k+1} = \Pi_Q T^\pi \eta_k` until
    :math:`\frac{\gamma}{1-\gamma} \bar W_\infty(\eta_k, \eta_{k-1}) \le`
    ``tol``; :math:`\Pi_Q T^\pi` is a :math:`\gamma`-contraction in
    :math:`\bar W_\infty` (Dabney et al. 2018, Proposition 2). The value
    bracket ``v_lower``/``v_upper`` of the module docstring certifies the
    true value, which the quantile fixed point's means need not equal.

    Parameters
    ----------
    mdp : FiniteMDP
    policy : array_like
    n_quantiles : int >= 1
    tol : float
    max_iter : int >= 0
        Cap on sweeps (discounted models); finite horizons run ``H`` sweeps.
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
    tol, max_iter = check_iteration_settings(tol, max_iter)
    _check_criterion(mdp)
    n = check_int("n_quantiles", n_quantiles, low=1)
    pi = np.ascontiguousarray(mdp.policy_matrix(policy))
    S = mdp.n_states
    if initial is None:
        L = np.zeros((S, n))
    else:
        L = np.sort(np.array(initial, dtype=float), axis=-1)
        check_shape("initial", L, (S, n))
        if not np.isfinite(L).all():
            raise ValueError("initial has a non-finite location")
    L = np.ascontiguousarray(L)
    r_pi, P_pi, _, _ = _policy_pieces(mdp, pi)
    cert = _MeanCertificate(mdp, r_pi, P_pi, L.mean(axis=1))
    arrays = csr_arrays(mdp)
    n_steps = mdp.horizon if mdp.horizon is not None else max_iter
    residual, bound, converged, k = math.inf, math.inf, False, 0
    g = mdp.gamma
    with _progress_bar(n_steps, "quantile evaluation", progress) as bar:
        for k in range(1, n_steps + 1):  # noqa: B007  (k is read after the loop)
            with np.errstate(over="ignore", invalid="ignore"):
                new = _quantile_sweep(mdp, arrays, pi, L)
                residual = float(winf_quantile_rows(new, L).max()) if np.isfinite(new).all() else math.inf
                L = new
                cert.step(L.mean(axis=1))
            bar.update(1)
            if not math.isfinite(residual):
                break  # overflowed: never certified (module docstring)
            if mdp.horizon is None:
                # Banach a-posteriori bound with modulus gamma: Dabney et al. 2018, Proposition 2.
                bound = g / (1.0 - g) * residual
                if bound <= tol:
                    converged = True
                    break
    if mdp.horizon is not None and math.isfinite(residual):
        bound, converged = 0.0, True
    if not math.isfinite(residual) and k > 0:
        bound, converged = math.inf, False
    v_lower, v_upper = cert.bracket()
    return QuantileEvaluationResult(
        locations=readonly(L),
        means=readonly(cert.means),
        iterations=k,
        converged=converged,
        residual=residual,
        bound=bound,
        v_lower=readonly(v_lower),
        v_upper=readonly(v_upper),
    )
