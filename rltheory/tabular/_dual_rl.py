r"""Dual RL: the f-divergence-regularized occupancy program and its unconstrained dual (Sikchi et al. 2024).

With the normalized occupancy :math:`d` (:func:`~rltheory.tabular.maximize_utility`'s :math:`\Lambda`), a
reference (data) distribution :math:`d^O` and a convex generator :math:`f` (:math:`f(1) = 0`), the primal is

.. math::

    \max_{d \ge 0}\ \langle r, d\rangle - \alpha D_f(d \,\|\, d^O) \quad\text{s.t.}\quad \sum_a d(s,a) =
    (1-\gamma)\mu(s) + \gamma \sum_{s',a'} P(s|s',a')\, d(s',a'),
    \qquad D_f(d\|d^O) = \sum_{s,a} d^O(s,a) f\Big(\frac{d(s,a)}{d^O(s,a)}\Big).

Its Lagrangian with multipliers :math:`V` of the flow constraints, maximized over :math:`d \ge 0` pair by pair,
gives the *dual* ("dual-V", Sikchi, Zheng, Zhang & Niekum, ICLR 2024, Sec. 3-4)

.. math::

    \min_V\ (1-\gamma)\,\mu^\top V + \alpha \sum_{s,a} d^O(s,a)\, f^*_p\Big(\frac{r(s,a) + \gamma (PV)(s,a) -
    V(s)}{\alpha}\Big), \qquad f^*_p(y) = \sup_{w \ge 0}\ wy - f(w),

unconstrained whenever :math:`f^*_p` is finite everywhere. Strong duality holds (a concave program with linear
constraints and a strictly feasible point), and the KKT conditions recover the primal optimum,
:math:`d^*(s,a) = d^O(s,a)\, w^*(s,a)` with :math:`w^* \in \partial f^*_p(\delta_{V^*}/\alpha)`. The
generators and their conjugates (derived here; :math:`f^*_p` restricts the supremum to :math:`w \ge 0`):

* KL, :math:`f(w) = w\log w`: :math:`f^*_p(y) = e^{y-1}`, :math:`w^* = e^{y-1}`;
* :math:`\chi^2`, :math:`f(w) = (w-1)^2`: :math:`f^*_p(y) = (y+2)_+^2/4 - 1`, :math:`w^* = (1 + y/2)_+`;
* TV, :math:`f(w) = |w-1|/2`: :math:`f^*_p(y) = \max(y, -\tfrac12)` for :math:`y \le \tfrac12`, :math:`+\infty`
  above (so the TV dual keeps the constraint :math:`\delta_V \le \alpha/2`; an LP), :math:`w^* = 1` for
  :math:`|y| < \tfrac12`, :math:`w^* \in [0, 1]` at :math:`-\tfrac12`, :math:`w^* \ge 1` at :math:`\tfrac12`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from rltheory._validation import check_choice, check_finite, check_real, check_tol, readonly
from rltheory.tabular._lp_certificates import check_certificate, choose_solver
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._occupancy_lp import (
    flow_matrix,
    policy_from_occupancy,
    policy_occupancies,
    resolve_initial_distribution,
    solve,
)

__all__ = ["DualRLResult", "conjugate_generator", "dual_rl"]

DIVERGENCES = ("kl", "chi2", "tv")


def _f(divergence: str, w: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if divergence == "kl":
            return np.where(w > 0, w * np.log(np.where(w > 0, w, 1.0)), 0.0)
        if divergence == "chi2":
            return (w - 1.0) ** 2
        return 0.5 * np.abs(w - 1.0)


def conjugate_generator(divergence: str, y):
    r"""The conjugate :math:`f^*_p(y) = \sup_{w\ge0} wy - f(w)` of a divergence generator (module docstring).

    Parameters
    ----------
    divergence : {"kl", "chi2", "tv"}
    y : array_like

    Returns
    -------
    numpy.ndarray
        ``+inf`` where the supremum is infinite (TV above 1/2).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import conjugate_generator
    >>> conjugate_generator("chi2", np.array([-3.0, 0.0, 2.0])), conjugate_generator("tv", np.array([-1.0, 0.25, 1.0]))
    (array([-1.,  0.,  3.]), array([-0.5 ,  0.25,   inf]))
    """
    divergence = check_choice("divergence", divergence, DIVERGENCES)
    y = np.asarray(y, dtype=float)
    if divergence == "kl":
        return np.exp(y - 1.0)
    if divergence == "chi2":
        return np.maximum(y + 2.0, 0.0) ** 2 / 4.0 - 1.0
    return np.where(y > 0.5, np.inf, np.maximum(y, -0.5))


def _expr_conjugate(divergence, y):
    if divergence == "kl":
        return cp.exp(y - 1.0)
    if divergence == "chi2":
        return cp.square(cp.pos(y + 2.0)) / 4.0 - 1.0
    return cp.maximum(y, -0.5)


def _expr_divergence(divergence, d, dO):
    if divergence == "kl":
        return cp.sum(cp.rel_entr(d, dO))
    if divergence == "chi2":
        return cp.sum(cp.multiply(1.0 / dO, cp.square(d - dO)))
    return 0.5 * cp.sum(cp.abs(d - dO))


@dataclass(frozen=True, eq=False)
class DualRLResult:
    r"""Result of :func:`dual_rl`.

    Attributes
    ----------
    action_probabilities : numpy.ndarray, shape (S, A)
        :math:`\pi \propto d^*` from the primal solution.
    occupancy : numpy.ndarray, shape (S, A)
        The exact normalized occupancy of ``action_probabilities``.
    v : numpy.ndarray, shape (S,)
        The dual solution :math:`V^*` (the regularized value function; :math:`v^*` as :math:`\alpha \to 0`).
    primal_value : float
        :math:`\langle r, d\rangle - \alpha D_f(d\|d^O)` at ``occupancy`` (a feasible point).
    dual_value : float
        The dual objective at :math:`V^*`, an upper bound on the primal optimum (weak duality).
    duality_gap : float
        ``dual_value - primal_value >= 0``: certifies ``occupancy`` within it of optimal.
    kkt_residual : float
        :math:`\max |d^*(s,a) - d^O(s,a)\, w^*(s,a)|` over the pairs, with :math:`w^*` from :math:`V^*`
        (for TV, the distance of :math:`d^*/d^O` to the subdifferential interval).
    status : str
        Status of both solves (``"optimal"``).
    primal_infeasibility : float
        Flow residual and negativity of the primal solver's point.
    solver : str

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, dual_rl
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=0.5, initial_distribution=[1.0])
    >>> res = dual_rl(mdp, np.full((1, 2), 0.5), 1.0, "kl")  # d* = d^O e^{r/alpha} / Z on one state
    >>> bool(np.allclose(res.occupancy, [[np.e / (1 + np.e), 1 / (1 + np.e)]])), res.status
    (True, 'optimal')
    """

    action_probabilities: np.ndarray
    occupancy: np.ndarray
    v: np.ndarray
    primal_value: float
    dual_value: float
    duality_gap: float
    kkt_residual: float
    status: str
    primal_infeasibility: float
    solver: str


def dual_rl(
    mdp: FiniteMDP,
    reference,
    alpha: float,
    divergence: str = "kl",
    *,
    reward=None,
    initial_distribution=None,
    tol: float = 1e-6,
    solver: str | None = None,
    solver_options: dict | None = None,
) -> DualRLResult:
    r"""Solve the f-divergence-regularized occupancy program and its dual; certify strong duality and KKT.

    Both programs of the module docstring are built in cvxpy and solved (default Clarabel). Checked in order:
    both statuses, the primal point's feasibility (``<= tol``), the duality gap between the dual objective at
    :math:`V^*` and the primal objective at the exact occupancy of the recovered policy (a feasible point, so
    the gap is a rigorous bound; ``<= tol * max(1, |value|)``), and the KKT residual :math:`d^* = d^O w^*`
    (``<= sqrt(tol)``: :math:`w^*` is a derivative of the dual's conjugate at an approximate :math:`V^*`).

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted.
    reference : array_like, shape (S, A)
        :math:`d^O`: a distribution, strictly positive on the allowed pairs (zero on disallowed ones).
    alpha : float
        :math:`\alpha > 0`.
    divergence : {"kl", "chi2", "tv"}
    reward : array_like, shape (S, A), optional
        Default ``mdp.R``.
    initial_distribution : array_like, optional
    tol, solver, solver_options

    Returns
    -------
    DualRLResult

    References
    ----------
    H. Sikchi, Q. Zheng, A. Zhang, S. Niekum, "Dual RL: unification and new methods for reinforcement and
    imitation learning", ICLR 2024 (the regularized primal and the dual-V form with :math:`f^*_p`).
    A. S. Manne, "Linear programming and sequential decisions", *Management Science* 6 (1960) (the LP).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, dual_rl
    >>> rng = np.random.default_rng(0)
    >>> mdp = FiniteMDP(rng.dirichlet(np.ones(3), size=(3, 2)), rng.uniform(size=(3, 2)), gamma=0.9,
    ...                 initial_distribution=np.full(3, 1 / 3))
    >>> res = dual_rl(mdp, np.full((3, 2), 1 / 6), alpha=0.1, divergence="kl")
    >>> res.status, bool(0 <= res.duality_gap < 1e-6), bool(res.kkt_residual < 1e-4)
    ('optimal', True, True)
    """
    FiniteMDP.require(mdp, "discounted", "dual_rl")
    divergence = check_choice("divergence", divergence, DIVERGENCES)
    alpha = check_real("alpha", alpha, low=0.0, low_open=True)
    tol = check_tol(tol)
    mu = resolve_initial_distribution(mdp, initial_distribution, "dual_rl")
    S, A = mdp.n_states, mdp.n_actions
    mask = np.asarray(mdp.action_mask)
    r = np.asarray(mdp.R if reward is None else reward, dtype=float)
    if r.shape != (S, A):
        raise ValueError(f"reward has shape {r.shape}, expected ({S}, {A})")
    check_finite("reward", r)
    dO = np.asarray(reference, dtype=float)
    if dO.shape != (S, A):
        raise ValueError(f"reference has shape {dO.shape}, expected ({S}, {A})")
    check_finite("reference", dO)
    if (dO[mask] <= 0).any() or (dO < 0).any():
        s, a = (int(i) for i in np.argwhere((mask & (dO <= 0)) | (dO < 0))[0])
        raise ValueError(f"reference[{s}, {a}] = {float(dO[s, a])!r}: d^O must be positive on every allowed pair")
    if abs(float(dO.sum()) - 1.0) > 1e-9:
        raise ValueError(f"reference sums to {float(dO.sum())!r}, expected 1 (a distribution)")
    solver_name = choose_solver(solver)
    pairs = np.flatnonzero(mask.ravel())
    Fm = flow_matrix(mdp)
    b = (1.0 - mdp.gamma) * mu
    r_a, dO_a = r.ravel()[pairs], dO.ravel()[pairs]

    # ---- primal over the allowed pairs
    x = cp.Variable(pairs.size, nonneg=True)
    flow = Fm[:, pairs] @ x == b
    primal = cp.Problem(cp.Maximize(r_a @ x - alpha * _expr_divergence(divergence, x, dO_a)), [flow])
    st_p = solve(primal, "dual_rl", solver_name, solver_options)
    # ---- dual over V: delta_V(s, a) = r + gamma P V - V on the allowed pairs
    V = cp.Variable(S)
    K = (-Fm.T)[pairs]  # (K V)(s,a) = gamma (P V)(s,a) - V(s)
    delta = r_a + K @ V
    cons = [delta <= alpha / 2.0] if divergence == "tv" else []
    dual = cp.Problem(cp.Minimize(b @ V + alpha * dO_a @ _expr_conjugate(divergence, delta / alpha)), cons)
    st_d = solve(dual, "dual_rl", solver_name, solver_options)
    for what, st in (("primal", st_p), ("dual", st_d)):
        if st != cp.OPTIMAL:
            raise RuntimeError(f"dual_rl: the solver {solver_name} reports the {what} program {st}")
    xa = np.asarray(x.value, dtype=float)
    primal_inf = float(max(np.max(np.abs(Fm[:, pairs] @ xa - b)), np.max(-xa), 0.0))
    check_certificate([("primal infeasibility", primal_inf, tol)], solver_name, tol, what="dual_rl: the")
    d_full = np.zeros(S * A)
    d_full[pairs] = xa
    pi = policy_from_occupancy(mdp, d_full.reshape(S, A))
    occ = (1.0 - mdp.gamma) * policy_occupancies(mdp, pi[None], mu)[0]
    occ_a = occ.ravel()[pairs]

    def objective(da):
        return float(r_a @ da - alpha * np.sum(dO_a * _f(divergence, da / dO_a)))

    Vv = np.asarray(V.value, dtype=float)
    dl = (r_a + K @ Vv) / alpha
    dual_inf = 0.0
    if divergence == "tv":
        # the TV dual's constraint delta <= alpha / 2, met by the solver only to its accuracy: V + c 1 lowers every
        # delta by (1 - gamma) c, so c = violation * alpha / (1 - gamma) gives an exactly feasible V (and a valid bound)
        dual_inf = float(max(np.max(dl - 0.5), 0.0)) * alpha
        if dual_inf > 0:
            Vv = Vv + dual_inf / (1.0 - mdp.gamma)
            dl = np.minimum((r_a + K @ Vv) / alpha, 0.5)
    conj = conjugate_generator(divergence, dl)
    dual_value = float(b @ Vv + alpha * dO_a @ conj)
    primal_value = objective(occ_a)
    gap = dual_value - primal_value
    # KKT: d* = d^O w*, w* in the subdifferential of f*_p at delta / alpha
    ratio = xa / dO_a
    if divergence == "kl":
        kkt = float(np.max(np.abs(xa - dO_a * np.exp(dl - 1.0))))
    elif divergence == "chi2":
        kkt = float(np.max(np.abs(xa - dO_a * np.maximum(1.0 + dl / 2.0, 0.0))))
    else:
        lo = np.where(dl > -0.5, 1.0, 0.0)
        hi = np.where(dl < 0.5, 1.0, np.inf)
        # at the kinks (within the solver accuracy) the subdifferential is the whole interval
        kink_lo, kink_hi = np.abs(dl + 0.5) <= np.sqrt(tol), np.abs(dl - 0.5) <= np.sqrt(tol)
        lo, hi = np.where(kink_lo, 0.0, lo), np.where(kink_hi, np.inf, hi)
        hi = np.where(kink_lo, 1.0, hi)
        lo = np.where(kink_hi, 1.0, lo)
        kkt = float(np.max(dO_a * np.maximum(np.maximum(lo - ratio, ratio - hi), 0.0)))
    scale = max(1.0, abs(primal_value))
    check_certificate(
        [
            ("dual infeasibility", dual_inf if np.all(np.isfinite(conj)) else np.inf, tol),
            ("duality gap", max(gap, 0.0), tol * scale),
            ("negative duality gap (weak duality violated)", max(-gap, 0.0), tol * scale),
            ("KKT residual", kkt, np.sqrt(tol)),
        ],
        solver_name,
        tol,
        what="dual_rl: the",
    )
    return DualRLResult(
        action_probabilities=readonly(pi),
        occupancy=readonly(occ),
        v=readonly(Vv),
        primal_value=primal_value,
        dual_value=dual_value,
        duality_gap=float(max(gap, 0.0)),
        kkt_residual=kkt,
        status=st_p,
        primal_infeasibility=primal_inf,
        solver=solver_name,
    )
