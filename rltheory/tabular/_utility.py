r"""General-utility MDPs: maximize a concave function of the occupancy measure.

With the *normalized* discounted occupancy :math:`\lambda^\pi = (1-\gamma)\, d^\pi_\mu`, a probability
distribution over state-action pairs (:math:`\sum_{s,a}\lambda(s,a) = 1`), the problem is

.. math::

    \max_\pi F(\lambda^\pi) \;=\; \max_{\lambda \in \Lambda} F(\lambda), \qquad
    \Lambda = \Big\{\lambda \ge 0 : \sum_a \lambda(j,a) - \gamma \sum_{s,a} P(j|s,a)\lambda(s,a)
    = (1-\gamma)\mu(j)\Big\},

a convex program when :math:`F` is concave (Hazan, Kakade, Singh & Van Soest 2019; Zhang, Koppel, Bedi,
Szepesvári & Wang 2020): :math:`\Lambda` is the normalized flow polytope (Puterman 2005, Theorem 6.9.1), and a
maximizer :math:`\lambda^*` gives an optimal stationary policy :math:`\pi(a|s) \propto \lambda^*(s,a)`.
Examples: :math:`F(\lambda) = \langle r, \lambda\rangle` (ordinary RL), the entropy of the state distribution
(maximum-entropy exploration), :math:`-D(\lambda \,\|\, \lambda_E)` (imitation by divergence minimization).

Every solve is certified by the Frank-Wolfe duality gap, valid for every differentiable concave :math:`F`:

.. math::

    F(\lambda^*) - F(\lambda) \;\le\; g(\lambda) = \max_{\lambda' \in \Lambda} \langle \nabla F(\lambda),
    \lambda' - \lambda \rangle = (1-\gamma)\,\mu^\top v^*_{\nabla F(\lambda)} - \langle \nabla F(\lambda),
    \lambda\rangle

(Jaggi 2013, Sec. 2), whose maximum is an ordinary MDP with reward :math:`\nabla F(\lambda)`, solved exactly by
policy iteration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from rltheory._validation import (
    check_choice,
    check_finite,
    check_max_iter,
    check_real,
    check_shape,
    check_tol,
    readonly,
)
from rltheory.tabular._lp_certificates import check_certificate, choose_solver
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._occupancy_lp import (
    flow_matrix,
    policy_from_occupancy,
    policy_occupancies,
    resolve_initial_distribution,
    solve,
)

__all__ = [
    "Utility",
    "UtilityResult",
    "divergence_utility",
    "entropy_utility",
    "frank_wolfe_gap",
    "linear_utility",
    "maximize_utility",
]

_EPS = float(np.finfo(float).eps)


@dataclass(frozen=True, eq=False)
class Utility:
    r"""A concave utility :math:`F` of the normalized occupancy :math:`\lambda` (an ``(S, A)`` distribution).

    Attributes
    ----------
    name : str
    value : callable
        ``value(lam) -> float``, :math:`F(\lambda)` for an ``(S, A)`` array.
    gradient : callable
        ``gradient(lam) -> (S, A)`` array, :math:`\nabla F(\lambda)` (``+inf`` where :math:`F` is not
        differentiable, e.g. the entropy at 0).
    expression : callable
        ``expression(lam, support) -> cvxpy expression``: :math:`F` as a concave (DCP) expression of an
        ``(S, A)`` cvxpy expression ``lam``, for the exact optimum; ``support`` is the boolean ``(S, A)`` array of
        the pairs that carry a variable (``lam`` is 0 elsewhere: allowed pairs of reachable states). A
        separable utility should sum its terms over the support only: fixed zeros inside an exponential cone
        make interior-point solvers inaccurate.
    smoothness : float or None
        :math:`L` with :math:`\|\nabla F(x) - \nabla F(y)\|_\infty \le L \|x - y\|_1` on the simplex, when
        finite: Frank-Wolfe then satisfies :math:`F^* - F(\lambda_k) \le 8L/(k+2)` (Jaggi 2013, Theorem 1, with
        the curvature constant :math:`C_F \le L\,\mathrm{diam}_1(\text{simplex})^2 = 4L` of his Lemma 7 in the
        :math:`\ell_1` norm).
    conjugate : callable or None
        ``conjugate(c) -> float``, an upper bound on :math:`F_\star(c) = \sup_{\lambda \in [0,1]^{S\times A}}
        F(\lambda) - \langle c, \lambda \rangle` (the unit box contains every normalized occupancy). With it the
        Lagrangian dual gives a certificate that is tight at the optimum: for any :math:`y \in \mathbb R^S`,
        :math:`F^* \le (1-\gamma)\mu^\top y + F_\star(F^\top y)` (weak duality), used at the solver's multipliers.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import entropy_utility
    >>> F = entropy_utility("state_action")
    >>> bool(np.isclose(F.value(np.full((2, 2), 0.25)), np.log(4)))
    True
    >>> bool(np.isclose(F.conjugate(np.zeros((1, 1))), np.exp(-1.0)))  # sup_x -x log x = 1/e
    True
    """

    name: str
    value: Callable
    gradient: Callable
    expression: Callable
    smoothness: float | None = None
    conjugate: Callable | None = None

    def __post_init__(self):
        if not isinstance(self.name, str):
            raise ValueError(f"Utility.name must be a str, got {type(self.name).__name__}")
        for what in ("value", "gradient", "expression"):
            if not callable(getattr(self, what)):
                raise ValueError(f"Utility.{what} must be callable")
        if self.conjugate is not None and not callable(self.conjugate):
            raise ValueError("Utility.conjugate must be callable or None")
        if self.smoothness is not None:
            object.__setattr__(self, "smoothness", check_real("smoothness", self.smoothness, low=0.0))


def _sup_unit_interval(phi, dphi, c: np.ndarray) -> np.ndarray:
    r"""Elementwise upper bounds on :math:`\sup_{x\in[0,1]} \phi(x) - c x` for a concave :math:`\phi`.

    Bisection on the decreasing derivative :math:`\psi'(x) = \phi'(x) - c` locates :math:`\hat x`; concavity gives
    :math:`\psi(x) \le \psi(\hat x) + \psi'(\hat x)(x - \hat x)`, maximized over :math:`x \in \{0, 1\}`: a valid
    bound whatever the bisection's accuracy, tight when it is accurate.
    """
    c = np.asarray(c, dtype=float)
    lo, hi = np.zeros_like(c), np.ones_like(c)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        up = dphi(mid) - c > 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    x = np.where(dphi(np.ones_like(c)) - c >= 0, 1.0, 0.5 * (lo + hi))
    x = np.where(np.isinf(c) & (c > 0), 0.0, x)
    with np.errstate(invalid="ignore"):
        slope = dphi(x) - c
        val = phi(x) - np.where(x > 0, c * x, 0.0)
        bound = val + np.maximum(np.where(x > 0, -slope * x, 0.0), np.where(x < 1, slope * (1.0 - x), 0.0))
    return np.where(np.isinf(c) & (c > 0), phi(np.zeros_like(c)), bound)


def _separable(name, kind, phi, dphi, expression, smoothness) -> Utility:
    r""":math:`F(\lambda) = \sum_x \phi_x(p_x)` with :math:`p` the state marginal (``kind="state"``) or
    :math:`\lambda` itself; ``phi(p)``, ``dphi(p)`` act elementwise on arrays shaped like :math:`p`."""

    def marginal(lam):
        lam = np.asarray(lam, dtype=float)
        return lam.sum(axis=1) if kind == "state" else lam

    def value(lam):
        return float(np.sum(phi(np.maximum(marginal(lam), 0.0))))

    def gradient(lam):
        lam = np.asarray(lam, dtype=float)
        g = dphi(np.maximum(marginal(lam), 0.0))
        return np.broadcast_to(g[:, None], lam.shape).copy() if kind == "state" else np.array(g, dtype=float)

    def conjugate(c):
        c = np.asarray(c, dtype=float)
        # a state's mass goes to its cheapest action: sup over lam(s, .) of phi(p_s) - <c_s, lam(s, .)>
        cg = c.min(axis=1) if kind == "state" else c
        return float(np.sum(_sup_unit_interval(phi, dphi, cg)))

    return Utility(
        name=name, value=value, gradient=gradient, expression=expression, smoothness=smoothness, conjugate=conjugate
    )


def linear_utility(reward) -> Utility:
    r""":math:`F(\lambda) = \langle r, \lambda\rangle = (1-\gamma)\,\mu^\top v^\pi_r`: ordinary RL (smoothness 0).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import linear_utility
    >>> linear_utility(np.array([[1.0, 2.0]])).value(np.array([[0.5, 0.5]]))
    1.5
    """
    r = np.array(reward, dtype=float)
    if r.ndim != 2:
        raise ValueError(f"reward has shape {r.shape}, expected (S, A)")
    check_finite("reward", r)
    r = readonly(r)
    return Utility(
        name="linear",
        value=lambda lam: float(np.sum(r * lam)),
        gradient=lambda lam: np.array(r),
        expression=lambda lam, support: cp.sum(cp.multiply(r, lam)),
        smoothness=0.0,
        conjugate=lambda c: float(np.sum(np.maximum(r - np.asarray(c, dtype=float), 0.0))),  # sup over the box
    )


def _on_support(lam, support: np.ndarray):
    """The entries of an ``(S, A)`` cvxpy expression on ``support``, row-major, as one vector."""
    S, A = support.shape
    return cp.reshape(lam, (S * A,), order="C")[np.flatnonzero(support.ravel())]


def _xlogx_terms(p, sigma):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, -p * np.log(p + sigma), 0.0)


def entropy_utility(kind: str = "state", *, smoothing: float = 0.0) -> Utility:
    r"""The (smoothed) Shannon entropy of the state or state-action occupancy: maximum-entropy exploration.

    .. math::

        F(\lambda) = -\sum_x p(x) \log\big(p(x) + \sigma\big), \qquad p(s) = \sum_a \lambda(s,a) \
        (\text{kind} = \text{"state"}) \ \text{or}\ p = \lambda \ (\text{"state\_action"}),

    the smoothed entropy :math:`H_\sigma` of Hazan, Kakade, Singh & Van Soest (2019), Sec. 4 (:math:`\sigma = 0`:
    the entropy). It is concave: :math:`-x\log(x+\sigma) = \mathrm{entr}(x+\sigma) + \sigma\log(x+\sigma)`, a sum
    of concave functions (the DCP form used for cvxpy). For :math:`\sigma > 0` its gradient is
    :math:`\ell_1 \to \ell_\infty` Lipschitz with :math:`L = 2/\sigma`: the derivative of :math:`-x\log(x+\sigma)`
    has slope :math:`-(x+2\sigma)/(x+\sigma)^2 \in [-2/\sigma, 0]`, and a state marginal moves by at most the
    :math:`\ell_1` distance of the occupancies.

    Parameters
    ----------
    kind : {"state", "state_action"}
    smoothing : float
        :math:`\sigma \ge 0`.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import entropy_utility
    >>> F = entropy_utility("state", smoothing=0.1)
    >>> lam = np.array([[0.5, 0.0], [0.25, 0.25]])
    >>> bool(np.isclose(F.value(lam), -2 * 0.5 * np.log(0.6))), F.smoothness
    (True, 20.0)
    """
    kind = check_choice("kind", kind, ("state", "state_action"))
    sigma = check_real("smoothing", smoothing, low=0.0)

    def phi(p):
        return _xlogx_terms(p, sigma)

    def dphi(p):
        with np.errstate(divide="ignore", invalid="ignore"):
            return -np.log(p + sigma) - np.where(p > 0, p / (p + sigma), 0.0)

    def expression(lam, support):
        if kind == "state":
            states = np.flatnonzero(support.any(axis=1))
            p = cp.sum(lam, axis=1)[states]  # lam is 0 off the support: the marginals of the supported states
        else:
            p = _on_support(lam, support)
        if sigma == 0.0:
            return cp.sum(cp.entr(p))
        return cp.sum(cp.entr(p + sigma) + sigma * cp.log(p + sigma))

    return _separable(
        f"entropy({kind}, smoothing={sigma:g})", kind, phi, dphi, expression, 2.0 / sigma if sigma > 0 else None
    )


def divergence_utility(target, divergence: str = "kl") -> Utility:
    r"""Imitation by divergence minimization: :math:`F(\lambda) = -D(\lambda \,\|\, \lambda_E)`.

    * ``"kl"``: :math:`D = \sum \lambda \log(\lambda / \lambda_E)` (not smooth at 0);
    * ``"chi2"``: :math:`D = \sum (\lambda - \lambda_E)^2 / \lambda_E`, gradient :math:`\ell_1 \to \ell_\infty`
      Lipschitz with :math:`L = 2 / \min \lambda_E`.

    Both are maximized (value 0) exactly at :math:`\lambda = \lambda_E` when :math:`\lambda_E \in \Lambda`
    (e.g. an expert's normalized occupancy), recovering the expert's policy on the states it visits
    (Ho & Ermon 2016; Ghasemipour, Zemel & Gu 2019).

    Parameters
    ----------
    target : array_like, shape (S, A)
        :math:`\lambda_E`: a distribution, **strictly positive** (mix a deterministic expert's occupancy with a
        little of a uniform one).
    divergence : {"kl", "chi2"}

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import divergence_utility
    >>> t = np.full((2, 2), 0.25)
    >>> divergence_utility(t, "chi2").value(t), divergence_utility(t, "chi2").smoothness
    (0.0, 8.0)
    """
    divergence = check_choice("divergence", divergence, ("kl", "chi2"))
    t = np.array(target, dtype=float)
    if t.ndim != 2:
        raise ValueError(f"target has shape {t.shape}, expected (S, A)")
    check_finite("target", t)
    if (t <= 0).any():
        s, a = (int(i) for i in np.argwhere(t <= 0)[0])
        raise ValueError(
            f"target[{s}, {a}] = {float(t[s, a])!r}: the target occupancy must be strictly positive (mix it with a "
            "uniform occupancy, e.g. 0.99 * target + 0.01 / (S * A))"
        )
    if abs(float(t.sum()) - 1.0) > 1e-9:
        raise ValueError(f"target sums to {float(t.sum())!r}, expected 1 (a normalized occupancy)")
    t = readonly(t)
    if divergence == "kl":

        def phi(x):
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(x > 0, -x * np.log(x / t), 0.0)

        def dphi(x):
            with np.errstate(divide="ignore"):
                return -np.log(x / t) - 1.0

        def kl_expression(lam, support):
            # the pairs without a variable contribute -0 log(0 / t) = 0
            return -cp.sum(cp.rel_entr(_on_support(lam, support), np.asarray(t)[support]))

        return _separable("-KL(. || target)", "state_action", phi, dphi, kl_expression, None)

    def phi(x):
        return -((x - t) ** 2) / t

    def dphi(x):
        return -2.0 * (x - t) / t

    return _separable(
        "-chi2(. || target)",
        "state_action",
        phi,
        dphi,
        lambda lam, support: -cp.sum(cp.multiply(1.0 / t, cp.square(lam - t))),
        2.0 / float(np.min(t)),
    )


@dataclass(frozen=True, eq=False)
class UtilityResult:
    r"""Result of :func:`maximize_utility`.

    Attributes
    ----------
    action_probabilities : numpy.ndarray, shape (S, A)
        The returned stationary policy.
    occupancy : numpy.ndarray, shape (S, A)
        Its exact normalized occupancy :math:`\lambda^\pi` (recomputed from the policy).
    value : float
        :math:`F(\lambda^\pi)`.
    duality_gap : float
        The Frank-Wolfe gap at :math:`\lambda^\pi`, a certified upper bound on :math:`F^* - F(\lambda^\pi)`
        (module docstring; ``inf`` where :math:`\nabla F` is infinite on a reachable pair).
    method : str
    iterations : int
        Frank-Wolfe / gradient steps (0 for ``"cvxpy"``).
    converged : bool
        ``duality_gap <= tol`` (``"cvxpy"``: the solver's certificate passed and the gap is within ``tol``).
    status : str
        The cvxpy status for ``"cvxpy"``, else ``"converged"`` / ``"max_iter"``.
    primal_infeasibility : float
        ``"cvxpy"``: :math:`\max(\|F\lambda - (1-\gamma)\mu\|_\infty, \max(-\lambda)^+)` of the solver's point;
        0 otherwise (iterates are exact occupancies).
    utility_history : numpy.ndarray, shape (iterations + 1,)
        :math:`F` of the iterates (row 0 = the start); a single entry for ``"cvxpy"``.
    gap_history : numpy.ndarray, shape (iterations + 1,)
        The Frank-Wolfe gap of the iterates (the first-order certificate the iteration computes anyway).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, linear_utility, maximize_utility
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5, initial_distribution=[1.0])
    >>> res = maximize_utility(mdp, linear_utility(np.array([[1.0, 0.0]])))
    >>> np.round(res.action_probabilities, 6).tolist(), round(res.value, 6), res.status
    ([[1.0, 0.0]], 1.0, 'optimal')
    """

    action_probabilities: np.ndarray
    occupancy: np.ndarray
    value: float
    duality_gap: float
    method: str
    iterations: int
    converged: bool
    status: str
    primal_infeasibility: float
    utility_history: np.ndarray
    gap_history: np.ndarray


def _lmo(mdp: FiniteMDP, reward: np.ndarray, mu: np.ndarray):
    r"""Linear maximization over :math:`\Lambda`: policy iteration on reward ``reward``; returns ``(policy,
    upper bound on max <reward, lambda'>)``."""
    from rltheory.tabular._policy_iteration import policy_iteration

    res = policy_iteration(FiniteMDP(mdp.P, reward, gamma=mdp.gamma, action_mask=mdp.action_mask))
    if not res.converged:
        raise RuntimeError("maximize_utility: policy iteration did not converge in the linear maximization step")
    upper = (1.0 - mdp.gamma) * (float(mu @ np.asarray(res.v)) + float(res.bound))
    return np.asarray(res.policy, dtype=np.int64), upper


def _reachable(mdp: FiniteMDP, mu: np.ndarray) -> np.ndarray:
    """States reachable from the support of mu under some policy (all other states have zero occupancy always)."""
    import scipy.sparse as sp
    import scipy.sparse.csgraph as csgraph

    S, A = mdp.n_states, mdp.n_actions
    coo = mdp.csr_P.tocoo()
    keep = np.asarray(mdp.action_mask).ravel()[coo.row] & (coo.data > 0)
    graph = sp.csr_array((np.ones(int(keep.sum())), (coo.row[keep] // A, coo.col[keep])), shape=(S, S))
    reach = np.zeros(S, dtype=bool)
    for s in np.flatnonzero(mu > 0):
        if not reach[s]:
            reach[csgraph.breadth_first_order(graph, s, directed=True, return_predecessors=False)] = True
    return reach


def frank_wolfe_gap(mdp: FiniteMDP, utility: Utility, occupancy, *, initial_distribution=None) -> float:
    r"""The Frank-Wolfe duality gap :math:`g(\lambda) \ge F^* - F(\lambda)` at a feasible normalized occupancy.

    :math:`g(\lambda) = \max_{\lambda'\in\Lambda}\langle\nabla F(\lambda), \lambda'\rangle - \langle\nabla
    F(\lambda), \lambda\rangle` (module docstring), the maximum an exact policy-iteration solve (upper-bounded by
    its certified error). Pairs of states no policy reaches from :math:`\mu` carry zero occupancy in every
    :math:`\lambda'`, so their gradient entries are set to 0; an infinite gradient on a reachable allowed pair
    gives ``inf``.

    Parameters
    ----------
    mdp : FiniteMDP
    utility : Utility
    occupancy : array_like, shape (S, A)
        A normalized occupancy (e.g. :func:`~rltheory.tabular.discounted_occupancy` times ``1 - gamma``).
    initial_distribution : array_like, optional

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, frank_wolfe_gap, linear_utility
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5, initial_distribution=[1.0])
    >>> round(frank_wolfe_gap(mdp, linear_utility(np.array([[1.0, 0.0]])), np.array([[0.25, 0.75]])), 12)
    0.75
    """
    FiniteMDP.require(mdp, "discounted", "frank_wolfe_gap")
    mu = resolve_initial_distribution(mdp, initial_distribution, "frank_wolfe_gap")
    lam = np.asarray(occupancy, dtype=float)
    check_shape("occupancy", lam, (mdp.n_states, mdp.n_actions))
    return _gap(mdp, utility, lam, mu, _reachable(mdp, mu))


def _gap(mdp, utility, lam, mu, reach) -> float:
    g = np.array(utility.gradient(lam), dtype=float)
    mask = np.asarray(mdp.action_mask)
    g[~reach] = 0.0
    g[~mask] = 0.0
    if not np.all(np.isfinite(g)):
        return float("inf")
    _, upper = _lmo(mdp, g, mu)
    return max(0.0, upper - float(np.sum(g * lam)))


def _exact_occupancy(mdp, pi, mu) -> np.ndarray:
    return (1.0 - mdp.gamma) * policy_occupancies(mdp, pi[None], mu)[0]


def maximize_utility(
    mdp: FiniteMDP,
    utility: Utility,
    *,
    method: str = "cvxpy",
    initial_distribution=None,
    tol: float = 1e-6,
    max_iter: int = 10_000,
    step_size: float | None = None,
    solver: str | None = None,
    solver_options: dict | None = None,
) -> UtilityResult:
    r"""Maximize a concave utility of the normalized occupancy measure, with a certified gap.

    Methods:

    * ``"cvxpy"``: the convex program :math:`\max_{\lambda\in\Lambda} F(\lambda)` (module docstring), solved with
      ``utility.expression`` (default solver Clarabel; exponential cone for entropies and KL). Status first,
      then primal feasibility of the solver's :math:`\lambda` (flow residual and negativity within ``tol``); the
      returned policy is :math:`\pi \propto \lambda`, its occupancy recomputed exactly, and the gap is the
      Frank-Wolfe gap there.
    * ``"frank_wolfe"``: :math:`\lambda_{k+1} = (1-\eta_k)\lambda_k + \eta_k \lambda^{\pi_k}`,
      :math:`\pi_k = \arg\max_\pi \langle\nabla F(\lambda_k), \lambda^\pi\rangle` (an MDP with reward
      :math:`\nabla F(\lambda_k)`, policy iteration), :math:`\eta_k = 2/(k+2)`, from the uniform policy's
      occupancy (Frank & Wolfe 1956; Hazan et al. 2019, Algorithm 1 with exact planning and density oracles).
      With an :math:`L`-smooth :math:`F` (``Utility.smoothness``), :math:`F^* - F(\lambda_k) \le 8L/(k+2)`
      (Jaggi 2013, Theorem 1 and Lemma 7). Every iterate is a mixture of occupancies, hence an occupancy
      (Puterman 2005, Thm 6.9.1).
    * ``"policy_gradient"``: gradient ascent on softmax parameters with the exact *variational policy gradient*
      :math:`\nabla_\theta F(\lambda^{\pi_\theta}) = \nabla_\theta \langle r, \lambda^{\pi_\theta}\rangle|_{r =
      \nabla F(\lambda^{\pi_\theta})}` (Zhang, Koppel, Bedi, Szepesvári & Wang 2020, Theorem 1), i.e.
      :math:`\partial/\partial\theta(s,a) = \lambda(s)\,\pi(a|s)\,A^\pi_r(s,a)` with :math:`\lambda(s) = \sum_a
      \lambda(s,a)` and :math:`A_r` the advantage for the pseudo-reward (Agarwal et al. 2021, Lemma C.1).

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted; ``R`` is not used (a reward enters through the utility).
    utility : Utility
    method : {"cvxpy", "frank_wolfe", "policy_gradient"}
    initial_distribution : array_like, optional
        :math:`\mu`; default ``mdp.initial_distribution``.
    tol : float
        Iterative methods stop when the Frank-Wolfe gap is ``<= tol``; ``"cvxpy"`` accepts the solver's point
        when its feasibility residuals are ``<= tol`` (the returned gap is reported, not required).
    max_iter : int
    step_size : float, optional
        ``"policy_gradient"`` only; default :math:`(1-\gamma)^3 / (8 \max(1, \|\nabla F(\lambda_0)\|_\infty))`,
        the step of Mei et al. (2020, Lemma 7: softmax value functions are :math:`8/(1-\gamma)^3`-smooth for
        rewards in [0, 1]) rescaled by the initial pseudo-reward; a choice, not a guarantee (the gap certifies).
    solver, solver_options
        ``"cvxpy"`` only.

    Returns
    -------
    UtilityResult

    Raises
    ------
    ValueError
        On a non-discounted model, a bad method or settings, no initial distribution.
    RuntimeError
        When the convex solver's status is not optimal or its point is infeasible.

    References
    ----------
    E. Hazan, S. Kakade, K. Singh, A. Van Soest, "Provably efficient maximum entropy exploration", ICML 2019.
    J. Zhang, A. Koppel, A. S. Bedi, C. Szepesvári, M. Wang, "Variational policy gradient method for
    reinforcement learning with general utilities", NeurIPS 2020.
    M. Jaggi, "Revisiting Frank-Wolfe: projection-free sparse convex optimization", ICML 2013.
    A. Barakat, I. Fatkhullin, N. He, "Reinforcement learning with general utilities: simpler variance
    reduction and large state-action space", ICML 2023 (sample complexities of stochastic estimators).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, entropy_utility, maximize_utility
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])  # action a moves to state a
    >>> mdp = FiniteMDP(P, np.zeros((2, 2)), gamma=0.5, initial_distribution=[1.0, 0.0])
    >>> res = maximize_utility(mdp, entropy_utility("state"))
    >>> bool(np.isclose(res.value, np.log(2))), res.duality_gap < 1e-6  # both states equally often
    (True, True)
    """
    FiniteMDP.require(mdp, "discounted", "maximize_utility")
    if not isinstance(utility, Utility):
        raise ValueError(
            f"utility must be a Utility (see entropy_utility, divergence_utility), got {type(utility).__name__}"
        )
    method = check_choice("method", method, ("cvxpy", "frank_wolfe", "policy_gradient"))
    tol = check_tol(tol)
    max_iter = check_max_iter(max_iter)
    mu = resolve_initial_distribution(mdp, initial_distribution, "maximize_utility")
    S, A = mdp.n_states, mdp.n_actions
    mask = np.asarray(mdp.action_mask)
    reach = _reachable(mdp, mu)

    if method == "cvxpy":
        solver_name = choose_solver(solver)
        Fm = flow_matrix(mdp)
        b = (1.0 - mdp.gamma) * mu
        # variables only for the allowed pairs of reachable states: the others are zero in every feasible point
        # (fixed zeros would sit on the boundary of the cones of entropies), and the flow rows of unreachable
        # states read 0 = 0
        pairs = np.flatnonzero((mask & reach[:, None]).ravel())
        x = cp.Variable(pairs.size, name="occupancy", nonneg=True)
        embed = sp.csr_array((np.ones(pairs.size), (pairs, np.arange(pairs.size))), shape=(S * A, pairs.size))
        lam_expr = cp.reshape(embed @ x, (S, A), order="C")
        rows = np.flatnonzero(reach)
        flow = sp.csr_array((Fm @ embed)[rows]) @ x == b[rows]
        problem = cp.Problem(cp.Maximize(utility.expression(lam_expr, mask & reach[:, None])), [flow])
        # ---- 1. status
        status = solve(problem, "maximize_utility", solver_name, solver_options)
        if status != cp.OPTIMAL:
            raise RuntimeError(f"maximize_utility: the solver {solver_name} reports the program {status}")
        lam = np.asarray(embed @ np.asarray(x.value, dtype=float)).reshape(S, A)
        # ---- 2. primal feasibility of the solver's point
        primal_inf = float(max(np.max(np.abs(Fm @ lam.ravel() - b)), np.max(-lam), 0.0))
        check_certificate([("primal infeasibility", primal_inf, tol)], solver_name, tol, what="maximize_utility: the")
        pi = policy_from_occupancy(mdp, lam)
        occ = _exact_occupancy(mdp, pi, mu)
        val = float(utility.value(occ))
        # ---- 3./4. dual feasibility and gap: the Frank-Wolfe gap at the returned policy's occupancy, and, with a
        # conjugate, the Lagrangian dual bound at the solver's multipliers y (every y is dual feasible: the
        # conjugate is taken over the unit box)
        gap = _gap(mdp, utility, occ, mu, reach)
        if utility.conjugate is not None and flow.dual_value is not None:
            y = np.zeros(S)
            y[rows] = np.asarray(flow.dual_value, dtype=float).ravel()
            c = np.asarray(Fm.T @ y).reshape(S, A)
            c[~(mask & reach[:, None])] = np.inf  # pairs without a variable: lam = 0 there
            gap = min(gap, max(0.0, float(b @ y) + float(utility.conjugate(c)) - val))
            check_certificate(
                [("duality gap", gap, tol * max(1.0, abs(val)))], solver_name, tol, what="maximize_utility: the"
            )
        return UtilityResult(
            action_probabilities=readonly(pi),
            occupancy=readonly(occ),
            value=val,
            duality_gap=float(gap),
            method=method,
            iterations=0,
            converged=bool(gap <= tol * max(1.0, abs(val))),
            status=status,
            primal_infeasibility=primal_inf,
            utility_history=readonly(np.array([val])),
            gap_history=readonly(np.array([gap])),
        )

    uniform = mask / mask.sum(axis=1, keepdims=True)
    if method == "frank_wolfe" and utility.smoothness is None:
        raise ValueError(
            f"method='frank_wolfe' needs a smooth utility (finite Utility.smoothness); {utility.name} is not smooth "
            "at the boundary, where Frank-Wolfe's iterates go (use entropy_utility(smoothing > 0), "
            "divergence_utility(target, 'chi2'), or method='cvxpy' / 'policy_gradient')"
        )
    if method == "frank_wolfe":
        lam = _exact_occupancy(mdp, uniform, mu)
        values, gaps = [], []
        k = 0
        while True:
            g = np.array(utility.gradient(lam), dtype=float)
            g[~reach] = 0.0
            g[~mask] = 0.0
            values.append(float(utility.value(lam)))
            if not np.all(np.isfinite(g)):
                gaps.append(float("inf"))
            else:
                pol, upper = _lmo(mdp, g, mu)
                gaps.append(max(0.0, upper - float(np.sum(g * lam))))
            if gaps[-1] <= tol or k >= max_iter:
                break
            if not np.all(np.isfinite(g)):
                raise RuntimeError(
                    "maximize_utility: the utility's gradient is infinite on a reachable pair of the current "
                    "iterate; Frank-Wolfe needs a differentiable utility (e.g. entropy_utility(smoothing > 0))"
                )
            eta = 2.0 / (k + 2.0)
            vertex = _exact_occupancy(mdp, np.eye(A)[pol], mu)
            lam = (1.0 - eta) * lam + eta * vertex
            k += 1
        pi = policy_from_occupancy(mdp, lam)
    else:
        if step_size is None:
            g0 = np.array(utility.gradient(_exact_occupancy(mdp, uniform, mu)), dtype=float)[reach[:, None] & mask]
            scale = float(np.max(np.abs(g0))) if g0.size and np.all(np.isfinite(g0)) else 1.0
            eta = (1.0 - mdp.gamma) ** 3 / (8.0 * max(1.0, scale))
        else:
            eta = check_real("step_size", step_size, low=0.0, low_open=True)
        theta = np.zeros((S, A))
        values, gaps = [], []
        k = 0
        P = np.asarray(mdp.dense_P)
        while True:
            z = np.where(mask, theta, -np.inf)
            z = z - z.max(axis=1, keepdims=True)
            pi = np.where(mask, np.exp(z), 0.0)
            pi /= pi.sum(axis=1, keepdims=True)
            lam = _exact_occupancy(mdp, pi, mu)
            values.append(float(utility.value(lam)))
            gaps.append(_gap(mdp, utility, lam, mu, reach))
            if gaps[-1] <= tol or k >= max_iter:
                break
            r = np.array(utility.gradient(lam), dtype=float)
            r[~reach] = 0.0
            r[~mask] = 0.0
            if not np.all(np.isfinite(r)):
                raise RuntimeError("maximize_utility: the utility's gradient is infinite on a reachable pair")
            P_pi = np.einsum("sa,sat->st", pi, P)
            v = np.linalg.solve(np.eye(S) - mdp.gamma * P_pi, np.sum(pi * r, axis=1))
            q = r + mdp.gamma * P @ v
            adv = np.where(mask, q - v[:, None], 0.0)
            theta = theta + eta * lam.sum(axis=1, keepdims=True) * pi * adv
            k += 1
    occ = _exact_occupancy(mdp, pi, mu)
    gap = _gap(mdp, utility, occ, mu, reach)
    val = float(utility.value(occ))
    return UtilityResult(
        action_probabilities=readonly(pi),
        occupancy=readonly(occ),
        value=val,
        duality_gap=float(gap),
        method=method,
        iterations=k,
        converged=bool(gap <= tol),
        status="converged" if gap <= tol else "max_iter",
        primal_infeasibility=0.0,
        utility_history=readonly(np.array(values)),
        gap_history=readonly(np.array(gaps)),
    )
