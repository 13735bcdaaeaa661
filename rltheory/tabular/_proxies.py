r"""Correlated proxies and reward hacking: occupancy-measure chi-square regularization vs action-KL (Laidlaw et al.).

Laidlaw, Singhal & Dragan (ICLR 2025) call a proxy reward :math:`\tilde R` *r-correlated* with the true reward
:math:`R` when :math:`\mathrm{Corr}_{(s,a)\sim\mu_{\mathrm{ref}}}(R, \tilde R) \ge r` under the reference policy's
(normalized) occupancy :math:`\mu_{\mathrm{ref}}`, and show that regularizing towards :math:`\pi_{\mathrm{ref}}`
with the :math:`\chi^2` divergence of *occupancy measures* provably prevents hacking (their Theorem 5.1), where
the usual KL penalty on *action distributions* does not. With :math:`J(\pi, R) = \mathbb E_{\mu_\pi}[R]`
(normalized occupancies, so :math:`J = (1-\gamma)\mu^\top v^\pi_R`), the bound in the form derived here: write
:math:`w = \mu_\pi/\mu_{\mathrm{ref}}`, so :math:`J(\pi,R) - J(\pi_{\mathrm{ref}},R) = \mathrm{Cov}_{\mathrm{ref}}
(w, R)`; decompose the standardized true reward as :math:`\rho \tilde Z + \sqrt{1-\rho^2} Z^\perp` with
:math:`\rho` the correlation and :math:`Z^\perp` uncorrelated with :math:`\tilde Z`, unit variance; Cauchy-Schwarz on
the second term (:math:`\mathrm{Var}_{\mathrm{ref}}(w) = \chi^2(\mu_\pi\|\mu_{\mathrm{ref}})`) gives, for every
policy,

.. math::

    \frac{J(\pi,R) - J(\pi_{\mathrm{ref}},R)}{\sigma_R} \;\ge\; \rho\,\frac{J(\pi,\tilde R) -
    J(\pi_{\mathrm{ref}},\tilde R)}{\sigma_{\tilde R}} - \sqrt{1-\rho^2}\,\sqrt{\chi^2(\mu_\pi \,\|\,
    \mu_{\mathrm{ref}})}

(with :math:`r \le \rho` in place of :math:`\rho` when the proxy improves, the paper's form). Hence the
maximizer of :math:`J(\pi,\tilde R) - \lambda\sqrt{\chi^2(\mu_\pi\|\mu_{\mathrm{ref}})}` with :math:`\lambda \ge
\sigma_{\tilde R}\sqrt{1-\rho^2}/\rho` never does worse than :math:`\pi_{\mathrm{ref}}` under the true reward (the
reference itself scores 0). The paper states its regularizer as :math:`\lambda = \sigma_{\tilde R}\sqrt{1-r^2}`
on :math:`r\,J(\pi,\tilde R)`, the same objective up to the factor :math:`r`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

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

__all__ = ["ProxyBound", "ProxyPolicyResult", "correlated_proxy_bound", "proxy_regularized_policy"]


def _occ(mdp, pi, mu):
    return (1.0 - mdp.gamma) * policy_occupancies(mdp, np.asarray(pi, dtype=float)[None], mu)[0]


def _rewards(mdp, reward, name):
    r = np.asarray(reward, dtype=float)
    if r.shape != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"{name} has shape {r.shape}, expected ({mdp.n_states}, {mdp.n_actions})")
    check_finite(name, r)
    return r


def _chi2(mu, ref):
    support = ref > 0
    if np.any(mu[~support] > 1e-15):
        return float("inf")
    return float(np.sum((mu[support] - ref[support]) ** 2 / ref[support]))


@dataclass(frozen=True, eq=False)
class ProxyBound:
    r"""Result of :func:`correlated_proxy_bound`.

    Attributes
    ----------
    correlation : float
        :math:`\rho = \mathrm{Corr}_{\mu_{\mathrm{ref}}}(R, \tilde R)`.
    sigma_true, sigma_proxy : float
        Standard deviations of :math:`R` and :math:`\tilde R` under :math:`\mu_{\mathrm{ref}}`.
    chi2 : float
        :math:`\chi^2(\mu_\pi \| \mu_{\mathrm{ref}})`.
    true_improvement, proxy_improvement : float
        :math:`J(\pi, R) - J(\pi_{\mathrm{ref}}, R)` and the same for :math:`\tilde R`.
    lower_bound : float
        :math:`\sigma_R[\rho\,\Delta\tilde J/\sigma_{\tilde R} - \sqrt{1-\rho^2}\sqrt{\chi^2}]` (module
        docstring); ``true_improvement >= lower_bound``.
    safe_strength : float
        :math:`\sigma_{\tilde R}\sqrt{1-\rho^2}/\rho` (``inf`` when :math:`\rho \le 0`): the smallest
        :math:`\lambda` for which the :math:`\sqrt{\chi^2}`-regularized optimum cannot hack.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, correlated_proxy_bound
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5, initial_distribution=[1.0])
    >>> b = correlated_proxy_bound(mdp, np.array([[1.0, 0.0]]), np.array([[2.0, 0.0]]), np.full((1, 2), 0.5),
    ...                            np.array([0]))
    >>> b.correlation, b.true_improvement, b.chi2  # a perfect proxy: the bound is tight
    (1.0, 0.5, 1.0)
    """

    correlation: float
    sigma_true: float
    sigma_proxy: float
    chi2: float
    true_improvement: float
    proxy_improvement: float
    lower_bound: float
    safe_strength: float


def correlated_proxy_bound(
    mdp: FiniteMDP, true_reward, proxy_reward, reference_policy, policy, *, initial_distribution=None
) -> ProxyBound:
    r"""Laidlaw et al.'s lower bound on the true improvement of ``policy`` over ``reference_policy``.

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted.
    true_reward, proxy_reward : array_like, shape (S, A)
    reference_policy, policy : array_like
        ``(S,)`` actions or ``(S, A)`` probabilities.
    initial_distribution : array_like, optional

    Returns
    -------
    ProxyBound

    References
    ----------
    C. Laidlaw, S. Singhal, A. Dragan, "Correlated proxies: a new definition and improved mitigation for reward
    hacking", ICLR 2025, Definition of r-correlated proxies and Theorem 5.1 (derived here in the form stated in
    the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, correlated_proxy_bound
    >>> rng = np.random.default_rng(0)
    >>> mdp = FiniteMDP(rng.dirichlet(np.ones(3), size=(3, 2)), np.zeros((3, 2)), gamma=0.9,
    ...                 initial_distribution=np.full(3, 1 / 3))
    >>> R = rng.normal(size=(3, 2)); proxy = R + 0.3 * rng.normal(size=(3, 2))
    >>> b = correlated_proxy_bound(mdp, R, proxy, np.full((3, 2), 0.5), np.array([0, 1, 0]))
    >>> bool(b.true_improvement >= b.lower_bound), bool(b.correlation > 0.8)
    (True, True)
    """
    FiniteMDP.require(mdp, "discounted", "correlated_proxy_bound")
    R = _rewards(mdp, true_reward, "true_reward")
    Rt = _rewards(mdp, proxy_reward, "proxy_reward")
    mu = resolve_initial_distribution(mdp, initial_distribution, "correlated_proxy_bound")
    ref = _occ(mdp, mdp.policy_matrix(reference_policy), mu)
    occ = _occ(mdp, mdp.policy_matrix(policy), mu)
    mR, mRt = float(np.sum(ref * R)), float(np.sum(ref * Rt))
    sR = float(np.sqrt(max(np.sum(ref * (R - mR) ** 2), 0.0)))
    sRt = float(np.sqrt(max(np.sum(ref * (Rt - mRt) ** 2), 0.0)))
    if sR <= 1e-12 * max(1.0, float(np.max(np.abs(R)))) or sRt <= 1e-12 * max(1.0, float(np.max(np.abs(Rt)))):
        raise ValueError("the true and proxy rewards must both vary under the reference occupancy (nonzero variances)")
    rho = float(np.clip(np.sum(ref * (R - mR) * (Rt - mRt)) / (sR * sRt), -1.0, 1.0))
    chi2 = _chi2(occ, ref)
    dJ = float(np.sum(occ * R)) - mR
    dJt = float(np.sum(occ * Rt)) - mRt
    lower = sR * (rho * dJt / sRt - np.sqrt(max(1.0 - rho**2, 0.0)) * np.sqrt(chi2))
    return ProxyBound(
        correlation=rho,
        sigma_true=sR,
        sigma_proxy=sRt,
        chi2=chi2,
        true_improvement=dJ,
        proxy_improvement=dJt,
        lower_bound=float(lower),
        safe_strength=float(sRt * np.sqrt(1 - rho**2) / rho) if rho > 0 else float("inf"),
    )


@dataclass(frozen=True, eq=False)
class ProxyPolicyResult:
    r"""Result of :func:`proxy_regularized_policy`.

    Attributes
    ----------
    action_probabilities : numpy.ndarray, shape (S, A)
    occupancy : numpy.ndarray, shape (S, A)
        Its exact normalized occupancy.
    objective : float
        The regularized proxy objective at ``occupancy`` (``"chi2_occupancy"``: :math:`J(\pi,\tilde R) -
        \lambda\sqrt{\chi^2}`; ``"kl_action"``: :math:`(1-\gamma)\mu^\top v^\pi_{\tilde R - \beta\mathrm{KL}}`).
    duality_gap : float
        A certified bound on the objective's suboptimality (the SOCP dual for ``"chi2_occupancy"``; soft value
        iteration's certified width for ``"kl_action"``).
    regularizer : str
    strength : float

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, proxy_regularized_policy
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5, initial_distribution=[1.0])
    >>> res = proxy_regularized_policy(mdp, np.array([[1.0, 0.0]]), np.full((1, 2), 0.5), 0.0)
    >>> np.round(res.action_probabilities, 6).tolist(), res.regularizer  # no regularization: greedy
    ([[1.0, 0.0]], 'chi2_occupancy')
    """

    action_probabilities: np.ndarray
    occupancy: np.ndarray
    objective: float
    duality_gap: float
    regularizer: str
    strength: float


def proxy_regularized_policy(
    mdp: FiniteMDP,
    proxy_reward,
    reference_policy,
    strength: float,
    *,
    regularizer: str = "chi2_occupancy",
    initial_distribution=None,
    tol: float = 1e-7,
    solver: str | None = None,
    solver_options: dict | None = None,
) -> ProxyPolicyResult:
    r"""Optimize a proxy reward with regularization towards a reference policy.

    * ``"chi2_occupancy"`` (Laidlaw et al. 2025, Sec. 5): :math:`\max_{\mu \in \Lambda} \langle\tilde R,
      \mu\rangle - \lambda\,\|(\mu - \mu_{\mathrm{ref}})/\sqrt{\mu_{\mathrm{ref}}}\|_2` (the square root of the
      :math:`\chi^2` divergence; pairs outside the reference's support are forced to 0), an SOCP. Its dual,
      derived here from :math:`\|z\|_2 = \max_{\|u\| \le 1} u^\top z`: :math:`\min_{V, \|u\|\le1} (1-\gamma)
      \mu_0^\top V + \lambda u^\top \sqrt{\mu_{\mathrm{ref}}}` s.t. :math:`\tilde R - F^\top V - \lambda u /
      \sqrt{\mu_{\mathrm{ref}}} \le 0`, is solved too and its solution made exactly feasible (:math:`u` scaled into
      the ball, then a constant shift of :math:`V`, which lowers every constraint by :math:`1-\gamma` per unit),
      so the reported gap is rigorous.
    * ``"kl_action"``: the RLHF practice, :math:`\max_\pi \mathbb E\sum_t\gamma^t[\tilde R(s_t,a_t) - \beta
      \mathrm{KL}(\pi(\cdot|s_t)\|\pi_{\mathrm{ref}}(\cdot|s_t))]`, solved by soft value iteration with the
      reference as prior (:math:`\pi \propto \pi_{\mathrm{ref}} e^{q/\beta}`; Geist et al. 2019).

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted.
    proxy_reward : array_like, shape (S, A)
    reference_policy : array_like, shape (S, A)
    strength : float
        :math:`\lambda \ge 0` (chi2) or :math:`\beta > 0` (KL).
    regularizer : {"chi2_occupancy", "kl_action"}
    initial_distribution, tol, solver, solver_options

    Returns
    -------
    ProxyPolicyResult

    References
    ----------
    C. Laidlaw, S. Singhal, A. Dragan, "Correlated proxies: a new definition and improved mitigation for reward
    hacking", ICLR 2025.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, proxy_regularized_policy
    >>> rng = np.random.default_rng(0)
    >>> mdp = FiniteMDP(rng.dirichlet(np.ones(3), size=(3, 2)), np.zeros((3, 2)), gamma=0.9,
    ...                 initial_distribution=np.full(3, 1 / 3))
    >>> ref = np.full((3, 2), 0.5)
    >>> res = proxy_regularized_policy(mdp, rng.normal(size=(3, 2)), ref, 1e6)  # huge strength: stay at ref
    >>> bool(np.allclose(res.action_probabilities, ref, atol=1e-4)), bool(res.duality_gap < 1e-6)
    (True, True)
    """
    FiniteMDP.require(mdp, "discounted", "proxy_regularized_policy")
    regularizer = check_choice("regularizer", regularizer, ("chi2_occupancy", "kl_action"))
    Rt = _rewards(mdp, proxy_reward, "proxy_reward")
    pi_ref = mdp.policy_matrix(reference_policy)
    mu0 = resolve_initial_distribution(mdp, initial_distribution, "proxy_regularized_policy")
    tol = check_tol(tol)
    S, A = mdp.n_states, mdp.n_actions
    if regularizer == "kl_action":
        from rltheory.tabular._regularized import soft_value_iteration

        beta = check_real("strength", strength, low=0.0, low_open=True)
        res = soft_value_iteration(
            FiniteMDP(mdp.P, Rt, gamma=mdp.gamma, action_mask=mdp.action_mask), beta, reference_policy=pi_ref, tol=tol
        )
        pi = np.asarray(res.action_probabilities)
        occ = _occ(mdp, pi, mu0)
        upper = (1 - mdp.gamma) * float(mu0 @ res.v_upper)  # >= the optimum (soft VI's certified bound)
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where(pi > 0, pi * np.log(np.where(pi > 0, pi, 1) / np.where(pi_ref > 0, pi_ref, 1)), 0.0)
        obj = float(np.sum(occ * Rt)) - beta * float(np.sum(occ.sum(axis=1) * kl.sum(axis=1)))
        return ProxyPolicyResult(readonly(pi), readonly(occ), obj, float(max(upper - obj, 0.0)), regularizer, beta)

    lam = check_real("strength", strength, low=0.0)
    ref = _occ(mdp, pi_ref, mu0)
    support = ref.ravel() > 0
    pairs = np.flatnonzero(support)
    Fm = flow_matrix(mdp)
    b = (1.0 - mdp.gamma) * mu0
    sq = np.sqrt(ref.ravel()[pairs])
    solver_name = choose_solver(solver)
    x = cp.Variable(pairs.size, nonneg=True)
    flow = Fm[:, pairs] @ x == b
    rt = Rt.ravel()[pairs]
    problem = cp.Problem(cp.Maximize(rt @ x - lam * cp.norm(cp.multiply(1.0 / sq, x - ref.ravel()[pairs]), 2)), [flow])
    status = solve(problem, "proxy_regularized_policy", solver_name, solver_options)
    if status != cp.OPTIMAL:
        raise RuntimeError(f"proxy_regularized_policy: the solver {solver_name} reports the program {status}")
    xv = np.asarray(x.value, dtype=float)
    primal_inf = float(max(np.max(np.abs(Fm[:, pairs] @ xv - b)), np.max(-xv), 0.0))
    check_certificate(
        [("primal infeasibility", primal_inf, tol)], solver_name, tol, what="proxy_regularized_policy: the"
    )
    d = np.zeros(S * A)
    d[pairs] = xv
    pi = policy_from_occupancy(mdp, d.reshape(S, A))
    occ = _occ(mdp, pi, mu0)
    oa = occ.ravel()[pairs]
    z = (oa - ref.ravel()[pairs]) / sq
    obj = float(rt @ oa - lam * np.linalg.norm(z))
    # ---- the dual SOCP (docstring), solved too, then made exactly feasible: u scaled into the unit ball, then a
    # constant shift of V (F^T (V + c 1) = F^T V + (1 - gamma) c on every pair), so its value is a valid bound
    Vd, ud = cp.Variable(S), cp.Variable(pairs.size)
    FtP = sp.csr_array(Fm[:, pairs].T)
    dual_problem = cp.Problem(
        cp.Minimize(b @ Vd + lam * (sq @ ud)),
        [rt - FtP @ Vd - lam * cp.multiply(1.0 / sq, ud) <= 0, cp.norm(ud, 2) <= 1],
    )
    dstatus = solve(dual_problem, "proxy_regularized_policy", solver_name, solver_options)
    if dstatus != cp.OPTIMAL:
        raise RuntimeError(f"proxy_regularized_policy: the solver {solver_name} reports the dual program {dstatus}")
    V, u = np.asarray(Vd.value, dtype=float), np.asarray(ud.value, dtype=float)
    u = u / max(1.0, float(np.linalg.norm(u)))
    viol = float(np.max(rt - FtP @ V - lam * u / sq, initial=0.0))
    V = V + viol / (1.0 - mdp.gamma)
    dual = float(b @ V + lam * u @ sq)
    gap = dual - obj
    check_certificate(
        [
            ("duality gap", max(gap, 0.0), tol * max(1.0, abs(obj))),
            ("negative duality gap (weak duality violated)", max(-gap, 0.0), tol * max(1.0, abs(obj))),
        ],
        solver_name,
        tol,
        what="proxy_regularized_policy: the",
    )
    return ProxyPolicyResult(readonly(pi), readonly(occ), obj, float(max(gap, 0.0)), regularizer, lam)
