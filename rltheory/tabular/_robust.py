r"""Robust MDPs: uncertainty sets around a nominal kernel, exact inner problems, robust VI and PI with certificates.

The agent maximizes and nature minimizes over transition kernels in an
uncertainty set :math:`\mathcal U` around the nominal kernel :math:`P` of a
discounted :class:`~rltheory.tabular.FiniteMDP`:

.. math::

    v^*(s) = \max_\pi \min_{P' \in \mathcal U} v^\pi_{P'}(s).

*(s,a)-rectangular* sets :math:`\mathcal U = \times_{s,a} \mathcal U_{s,a}`
(Iyengar 2005; Nilim & El Ghaoui 2005) give the robust Bellman operator

.. math::

    (T v)(s) = \max_a \big[ r(s,a) + \gamma\, \sigma_{s,a}(v) \big],
    \qquad \sigma_{s,a}(v) = \min_{p \in \mathcal U_{s,a}} p^\top v,

and a deterministic optimal policy. *s-rectangular* sets
:math:`\mathcal U = \times_s \mathcal U_s` couple the actions of a state
through one budget; then (Wiesemann, Kuhn & Rustem 2013)

.. math::

    (T v)(s) = \max_{\pi_s \in \Delta_A} \min_{(p_a)_a \in \mathcal U_s}
    \sum_a \pi_s(a) \big[ r(s,a) + \gamma\, p_a^\top v \big],

and optimal policies are in general randomized.

Both operators are monotone, satisfy :math:`T(v + c\mathbf 1) = T v + \gamma c \mathbf 1`
(every :math:`p` sums to one) and are therefore :math:`\gamma`-contractions
in the sup-norm: :math:`|\min_p p^\top v - \min_p p^\top w| \le \max_p |p^\top (v - w)|
\le \|v - w\|_\infty` (Iyengar 2005, Sec. 3; Nilim & El Ghaoui 2005, Sec. 3;
Wiesemann, Kuhn & Rustem 2013, Sec. 3 for s-rectangular sets).

Certified bounds. For any :math:`u` with :math:`d = T u - u`, monotonicity
and the constant shift give :math:`T^k u \ge T u + (\gamma + \dots +
\gamma^{k-1}) \min d`, hence (MacQueen 1966; Porteus 1971, whose argument
uses only these two properties)

.. math::

    T u + \tfrac{\gamma}{1-\gamma} \min_s d(s) \;\le\; v^* \;\le\;
    T u + \tfrac{\gamma}{1-\gamma} \max_s d(s).

Inner problems solved only to a tolerance enter the bound: with certified
:math:`\sigma^{lo} \le \sigma \le \sigma^{hi}` and the operators
:math:`T_{lo}, T_{hi}` built from them, :math:`T_{lo} u \le T u \le T_{hi} u`
and :math:`w \mapsto w + \tfrac{\gamma}{1-\gamma}\min(w - u)` is monotone, so

.. math::

    v_{lower} = T_{lo} u + \tfrac{\gamma}{1-\gamma} \min (T_{lo} u - u)
    \;\le\; v^* \;\le\;
    v_{upper} = T_{hi} u + \tfrac{\gamma}{1-\gamma} \max (T_{hi} u - u).

The policy :math:`\pi` greedy for :math:`T_{lo} u` satisfies
:math:`T^\pi u \ge T_{lo} u` (nature's exact response is no worse than the
certified lower bound), so the same argument applied to :math:`T^\pi` gives
:math:`v^\pi_{robust} \ge v_{lower}`: ``max(v_upper - v_lower)`` bounds the
policy's suboptimality too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import (
    PROBABILITY_SUM_ATOL,
    check_choice,
    check_finite,
    check_iteration_settings,
    check_shape,
    check_tol,
    readonly,
)
from rltheory.tabular import _robust_kernels
from rltheory.tabular._lp_certificates import check_certificate, check_solver_options, choose_solver
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._operators import _check_values, _kernel_inputs, _q_values

__all__ = [
    "RobustDPResult",
    "StaticRobustResult",
    "UncertaintySet",
    "WorstCaseResult",
    "iwocs",
    "regularized_robust_value_iteration",
    "regularized_worst_case_values",
    "robust_bellman_operator",
    "robust_policy_iteration",
    "robust_value_iteration",
    "worst_case_values",
]

KINDS = ("l1", "linf", "kl", "chi2", "wasserstein", "box", "hull")
RECTANGULARITIES = ("sa", "s")
#: Kinds with an s-rectangular solver.
S_RECTANGULAR_KINDS = ("l1", "kl", "chi2")


# ===================================================================== the sets
@dataclass(frozen=True, eq=False, repr=False)
class UncertaintySet:
    r"""A rectangular uncertainty set of transition kernels around the nominal kernel of a model.

    For each pair :math:`(s, a)` (``rectangularity="sa"``) the set is
    :math:`\mathcal U_{s,a} = \{p \in \Delta_S : D(p, q) \le \kappa_{s,a}\}`,
    :math:`q = P(\cdot|s,a)` the nominal row, with

    ======================  ==================================================================
    ``kind``                :math:`D(p, q)`
    ======================  ==================================================================
    ``"l1"``                :math:`\|p - q\|_1`
    ``"linf"``              :math:`\|p - q\|_\infty`
    ``"kl"``                :math:`\mathrm{KL}(p\|q) = \sum_j p_j \log(p_j / q_j)` (so :math:`p \ll q`)
    ``"chi2"``              :math:`\chi^2(p\|q) = \sum_j (p_j - q_j)^2 / q_j` (Pearson; :math:`p \ll q`)
    ``"wasserstein"``       :math:`W_1(p, q)` for the transport cost ``ground_metric`` :math:`d(i, j)`
    ``"box"``               interval set :math:`\{p \in \Delta_S: \ell \le p \le u\}` (no radius)
    ``"hull"``              :math:`\mathrm{conv}\{T_k(\cdot|s,a)\}_k`, the rows of finitely many kernels
                            ``kernels`` (no radius): the (s,a)-rectangular hull of a finite, generally
                            non-rectangular set (see :func:`iwocs`)
    ======================  ==================================================================

    With ``rectangularity="s"`` the actions of a state share one budget:
    :math:`\mathcal U_s = \{(p_a)_a : p_a \in \Delta_S, \sum_a D(p_a, q_a) \le \kappa_s\}`
    (Wiesemann, Kuhn & Rustem 2013); implemented for ``"l1"`` (exactly) and for ``"kl"``,
    ``"chi2"`` (a per-state convex program for the policy, certified by nature's exact
    response).

    The set is validated on its own here and against a model when a solver
    binds it (shapes, the box containing the nominal kernel).

    Parameters
    ----------
    kind : str
        One of ``"l1", "linf", "kl", "chi2", "wasserstein", "box"``.
    radius : float or array_like, optional
        :math:`\kappa \ge 0`: a scalar, or an ``(S, A)`` array
        (``"sa"``) / ``(S,)`` array (``"s"``). Required unless ``kind="box"``
        (where it must be None).
    rectangularity : {"sa", "s"}
    ground_metric : array_like, shape (S, S), optional
        Transport cost of ``"wasserstein"`` (required there, refused
        elsewhere): finite, non-negative, zero on the diagonal.
    lower, upper : array_like, shape (S, A, S), optional
        The bounds of ``"box"`` (required there, refused elsewhere):
        finite, :math:`0 \le \ell \le u \le 1`.
    kernels : array_like, shape (K, S, A, S), optional
        The kernels of ``"hull"`` (required there, refused elsewhere); their
        rows on allowed actions must be distributions (checked on binding).

    Raises
    ------
    ValueError
        On an unknown kind or rectangularity, a missing or superfluous
        argument, a negative or non-finite radius (the message names the
        index), or invalid bounds / ground metric.

    Examples
    --------
    >>> from rltheory.tabular import UncertaintySet
    >>> UncertaintySet("l1", 0.1)
    UncertaintySet(kind='l1', rectangularity='sa', radius=0.1)
    >>> UncertaintySet("kl", [[0.1, -0.2]])
    Traceback (most recent call last):
    ...
    ValueError: radius[0, 1] = -0.2 is negative; radii are >= 0
    """

    kind: str
    radius: float | np.ndarray | None = None
    rectangularity: str = "sa"
    ground_metric: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    kernels: np.ndarray | None = None

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        kind = check_choice("kind", self.kind, KINDS)
        rect = check_choice("rectangularity", self.rectangularity, RECTANGULARITIES)
        if rect == "s" and kind not in S_RECTANGULAR_KINDS:
            raise ValueError(
                f"s-rectangular sets are implemented for kind in {S_RECTANGULAR_KINDS}, got kind={kind!r}; "
                "use rectangularity='sa' for this kind"
            )
        if kind != "hull" and self.kernels is not None:
            raise ValueError(f"kernels= belongs to kind='hull', not kind={kind!r}")
        if kind == "hull":
            if self.radius is not None or self.lower is not None or self.upper is not None:
                raise ValueError("a hull set is given by kernels= alone (no radius, lower or upper)")
            if self.kernels is None:
                raise ValueError("kind='hull' needs kernels=, an array of shape (K, S, A, S)")
            K = np.array(self.kernels, dtype=float)
            if K.ndim != 4 or K.shape[0] < 1 or K.shape[1] != K.shape[3]:
                raise ValueError(f"kernels has shape {K.shape}, expected (K, S, A, S) with K >= 1")
            check_finite("kernels", K)
            if (K < 0).any():
                k, s_, a, t = (int(i) for i in np.argwhere(K < 0)[0])
                raise ValueError(f"kernels[{k}, {s_}, {a}, {t}] = {float(K[k, s_, a, t])!r} is negative")
            set_("kernels", readonly(K))
        elif kind == "box":
            if self.radius is not None:
                raise ValueError("a box set has no radius (pass lower= and upper=)")
            if self.lower is None or self.upper is None:
                raise ValueError("a box set needs lower= and upper= arrays of shape (S, A, S)")
            lo, hi = (np.array(x, dtype=float) for x in (self.lower, self.upper))
            for name, arr in (("lower", lo), ("upper", hi)):
                if arr.ndim != 3 or arr.shape[0] != arr.shape[2]:
                    raise ValueError(f"{name} has shape {arr.shape}, expected (S, A, S)")
                check_finite(name, arr)
            if lo.shape != hi.shape:
                raise ValueError(f"lower has shape {lo.shape} but upper has shape {hi.shape}")
            for cond, what in ((lo < 0, "lower is negative"), (hi > 1, "upper exceeds 1"), (lo > hi, "lower > upper")):
                if cond.any():
                    s, a, t = (int(i) for i in np.argwhere(cond)[0])
                    raise ValueError(
                        f"box bounds at [{s}, {a}, {t}]: {what} (lower = {float(lo[s, a, t])!r}, "
                        f"upper = {float(hi[s, a, t])!r}); need 0 <= lower <= upper <= 1"
                    )
            set_("lower", readonly(lo))
            set_("upper", readonly(hi))
        else:
            if self.lower is not None or self.upper is not None:
                raise ValueError(f"lower= and upper= belong to kind='box', not kind={kind!r}")
            if self.radius is None:
                raise ValueError(f"kind={kind!r} needs a radius (a scalar or an array)")
            if isinstance(self.radius, bool):
                raise ValueError(f"radius must be a real number or an array, got {self.radius!r}")
            try:
                rad = np.array(self.radius, dtype=float)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"radius cannot be converted to a float array: {exc}") from None
            want = 2 if rect == "sa" else 1
            if rad.ndim not in (0, want):
                shape = "(S, A)" if rect == "sa" else "(S,)"
                raise ValueError(
                    f"radius has shape {rad.shape}; expected a scalar or {shape} for rectangularity={rect!r}"
                )
            check_finite("radius", rad)
            if (rad < 0).any():
                idx = tuple(int(i) for i in np.argwhere(rad < 0)[0])
                where = "[" + ", ".join(str(i) for i in idx) + "]" if idx else ""
                raise ValueError(f"radius{where} = {float(rad[idx])!r} is negative; radii are >= 0")
            set_("radius", float(rad) if rad.ndim == 0 else readonly(rad))
        if kind == "wasserstein":
            if self.ground_metric is None:
                raise ValueError("kind='wasserstein' needs ground_metric=, an (S, S) transport cost")
            D = np.array(self.ground_metric, dtype=float)
            if D.ndim != 2 or D.shape[0] != D.shape[1]:
                raise ValueError(f"ground_metric has shape {D.shape}, expected (S, S)")
            check_finite("ground_metric", D)
            if (D < 0).any():
                i, j = (int(k) for k in np.argwhere(D < 0)[0])
                raise ValueError(f"ground_metric[{i}, {j}] = {float(D[i, j])!r} is negative")
            diag = np.flatnonzero(np.diag(D) != 0)
            if diag.size:
                i = int(diag[0])
                raise ValueError(f"ground_metric[{i}, {i}] = {float(D[i, i])!r}; the diagonal must be 0")
            set_("ground_metric", readonly(D))
        elif self.ground_metric is not None:
            raise ValueError(f"ground_metric= belongs to kind='wasserstein', not kind={kind!r}")
        set_("kind", kind)
        set_("rectangularity", rect)

    def __repr__(self) -> str:
        parts = [f"kind={self.kind!r}", f"rectangularity={self.rectangularity!r}"]
        if self.kind == "hull":
            parts.append(f"n_kernels={self.kernels.shape[0]}")
        elif self.kind != "box":
            scalar = np.ndim(self.radius) == 0
            parts.append(f"radius={self.radius!r}" if scalar else f"radius=<array {np.shape(self.radius)}>")
        return "UncertaintySet(" + ", ".join(parts) + ")"


@dataclass(frozen=True, eq=False)
class _Bound:
    """An uncertainty set resolved against a model: dense per-pair (or per-state) arrays."""

    kind: str
    rect: str
    radius: np.ndarray | None  # (S, A) for "sa", (S,) for "s"; None for box
    lower: np.ndarray | None
    upper: np.ndarray | None
    metric: np.ndarray | None
    kernels: np.ndarray | None = None


def _bind(mdp: FiniteMDP, uncertainty, who: str) -> _Bound:
    """Validate ``uncertainty`` against ``mdp`` and resolve it into arrays."""
    FiniteMDP.require(mdp, "discounted", who)
    if not isinstance(uncertainty, UncertaintySet):
        raise ValueError(f"{who} needs an UncertaintySet, got {type(uncertainty).__name__}")
    S, A = mdp.n_states, mdp.n_actions
    u = uncertainty
    radius = lower = upper = metric = kernels = None
    if u.kind == "hull":
        K = u.kernels
        if K.shape[1:] != (S, A, S):
            raise ValueError(f"kernels has shape {K.shape}, expected (K, {S}, {A}, {S})")
        sums = K.sum(axis=3)
        bad = np.asarray(mdp.action_mask)[None] & (np.abs(sums - 1.0) > PROBABILITY_SUM_ATOL)
        if bad.any():
            k, s_, a = (int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"kernels[{k}, {s_}, {a}] sums to {float(sums[k, s_, a])!r}, expected 1 within {PROBABILITY_SUM_ATOL:g}"
            )
        kernels = np.ascontiguousarray(K)
    elif u.kind != "box":
        shape = (S, A) if u.rectangularity == "sa" else (S,)
        if np.ndim(u.radius) == 0:
            radius = np.full(shape, float(u.radius))
        else:
            check_shape("radius", np.asarray(u.radius), shape)
            radius = np.ascontiguousarray(u.radius, dtype=float)
        radius = readonly(radius)
    else:
        check_shape("lower", u.lower, (S, A, S))
        P = mdp.dense_P
        mask = np.asarray(mdp.action_mask)[:, :, None]
        bad = mask & ((u.lower > P) | (u.upper < P))
        if bad.any():
            s, a, t = (int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"the box does not contain the nominal kernel at [{s}, {a}, {t}]: lower = {float(u.lower[s, a, t])!r}, "
                f"P = {float(P[s, a, t])!r}, upper = {float(u.upper[s, a, t])!r}"
            )
        lower, upper = np.ascontiguousarray(u.lower), np.ascontiguousarray(u.upper)
    if u.kind == "wasserstein":
        check_shape("ground_metric", u.ground_metric, (S, S))
        metric = np.ascontiguousarray(u.ground_metric)
    return _Bound(u.kind, u.rectangularity, radius, lower, upper, metric, kernels)


# ===================================================================== inner problems (NumPy reference)
# Each solver takes the nominal row q (S,), values v (S,), and the set's parameters, and returns
# (lo, hi, p): certified lo <= sigma = min_{p in U} p.v <= hi and a feasible worst-case p with p.v = hi.
def _inner_l1(q, v, kappa):
    r"""L1 ball: move :math:`\min(\kappa/2, 1 - q_{j^*})` mass to :math:`j^* = \arg\min v` from the highest values.

    Exact (Iyengar 2005, Sec. 4; Nilim & El Ghaoui 2005, Sec. 4; Strehl &
    Littman 2008, Sec. 3.1.2 for the same greedy): any :math:`p = q + \delta`
    in the ball has :math:`\sum \delta^+ \le \kappa/2`, every unit added
    is worth at least :math:`v_{j^*}` and every unit removed at most the
    largest remaining values.
    """
    p = np.array(q, dtype=float)
    j_star = int(np.argmin(v))
    eps = min(kappa / 2.0, 1.0 - p[j_star])
    if eps > 0:
        p[j_star] += eps
        for j in np.argsort(-v, kind="stable"):
            if eps <= 0:
                break
            if j == j_star:
                continue
            take = min(p[j], eps)
            p[j] -= take
            eps -= take
    value = float(p @ v)
    return value, value, p


def _inner_box(lo, hi, v):
    r"""Interval set :math:`\ell \le p \le u`: start from :math:`\ell`, fill the lowest values up to :math:`u`.

    Exact: a fractional knapsack (Nilim & El Ghaoui 2005, Sec. 5 for
    interval models; Givan, Leach & Dean 2000, "Bounded-parameter Markov
    decision processes", Artif. Intell. 122): the remaining mass
    :math:`1 - \sum \ell` goes to the cheapest values first.
    """
    p = np.array(lo, dtype=float)
    rest = 1.0 - p.sum()
    for j in np.argsort(v, kind="stable"):
        if rest <= 0:
            break
        add = min(hi[j] - p[j], rest)
        p[j] += add
        rest -= add
    value = float(p @ v)
    return value, value, p


def _inner_linf(q, v, kappa):
    r"""L-infinity ball = the box :math:`[\max(0, q - \kappa), \min(1, q + \kappa)]` intersected with the simplex."""
    return _inner_box(np.maximum(0.0, q - kappa), np.minimum(1.0, q + kappa), v)


def _chi2_psi(eta, q, v, kappa):
    r"""The chi-square dual :math:`\psi(\eta) = \eta - \sqrt{(1+\kappa)\, \mathbb E_q (\eta - v)_+^2}`.

    A lower bound on :math:`\sigma` for any :math:`\eta` (see :func:`_inner_chi2`).
    """
    w = np.maximum(eta - v, 0.0)
    return float(eta - np.sqrt((1.0 + kappa) * float(q @ (w * w))))


def _inner_chi2(q, v, kappa):
    r"""Chi-square ball :math:`\sum_j (p_j - q_j)^2/q_j \le \kappa` by its one-dimensional dual, solved exactly.

    Dual (the Cressie-Read case :math:`k = 2` of Duchi & Namkoong 2021,
    "Learning models with uniform performance via distributionally robust
    optimization", Ann. Statist. 49(3), Sec. 3, with their radius
    :math:`\rho = \kappa/2`):

    .. math::

        \sigma = \max_\eta\ \psi(\eta), \qquad
        \psi(\eta) = \eta - \sqrt{(1+\kappa)\, \mathbb E_q[(\eta - v)_+^2]} .

    Weak duality, for every :math:`\eta` and feasible :math:`p`:
    :math:`p^\top v \ge \eta - \mathbb E_q[(p/q)(\eta - v)_+] \ge \eta -
    \sqrt{\mathbb E_q (p/q)^2}\,\sqrt{\mathbb E_q (\eta - v)_+^2}` (Cauchy-Schwarz)
    and :math:`\mathbb E_q (p/q)^2 = 1 + \chi^2(p\|q) \le 1 + \kappa`.
    Equality holds for :math:`p \propto q(\eta^* - v)_+`. With the support
    sorted by value and :math:`Q, m, V` the mass, mean and variance of the
    :math:`k` lowest values, the stationarity condition on the segment where
    those :math:`k` are below :math:`\eta` is a quadratic with root
    :math:`\eta = m + \sqrt{V / B}`, :math:`B = (1+\kappa) Q - 1 > 0`, and then
    :math:`\sigma = m - \sqrt{B V}` (for :math:`k` = the whole support:
    :math:`\mathbb E_q v - \sqrt{\kappa \operatorname{Var}_q v}`). If the
    lowest value has mass :math:`Q_1 \ge 1/(1+\kappa)`, :math:`\sigma` is
    that value. The lower bound is :math:`\psi(\eta)` evaluated directly; the
    upper bound is :math:`p^\top v` for :math:`p = (1-t) q + t \hat p`,
    :math:`\hat p \propto q(\eta - v)_+`, :math:`t = \min(1, \sqrt{\kappa/\chi^2(\hat p\|q)})`
    (:math:`\chi^2` of the mixture is :math:`t^2 \chi^2(\hat p\|q)`), so it
    is feasible whatever the rounding of :math:`\eta`.
    """
    supp = np.flatnonzero(q > 0)
    qs, vs = q[supp], v[supp]
    order = np.argsort(vs, kind="stable")
    qs, vs = qs[order], vs[order]
    p = np.zeros_like(q, dtype=float)
    mean = float(qs @ vs)
    if kappa == 0:
        return mean, mean, np.array(q, dtype=float)
    Q = S1 = S2 = 0.0
    n = vs.size
    eta = None
    k = 0
    while k < n:
        k_end = k
        while k_end < n and vs[k_end] == vs[k]:  # a group of equal values joins at once
            Q += qs[k_end]
            S1 += qs[k_end] * vs[k_end]
            S2 += qs[k_end] * vs[k_end] ** 2
            k_end += 1
        if k == 0 and Q * (1.0 + kappa) >= 1.0:
            eta = float(vs[0])  # all mass on the lowest value is feasible
            break
        B = (1.0 + kappa) * Q - 1.0
        if B > 0:
            m = S1 / Q
            var = max(S2 / Q - m * m, 0.0)
            root = m + np.sqrt(var / B)
            nxt = vs[k_end] if k_end < n else np.inf
            if root <= nxt:
                eta = float(max(root, vs[k_end - 1]))
                break
        k = k_end
    lo = _chi2_psi(eta, qs, vs, kappa)
    w = np.maximum(eta - vs, 0.0) * qs
    if w.sum() <= 0:  # eta at the lowest value: the mass of the lowest group
        w = np.where(vs == vs[0], qs, 0.0)
    p_hat = w / w.sum()
    chi = float(np.sum(p_hat * p_hat / qs)) - 1.0
    t = 1.0 if chi <= kappa else float(np.sqrt(kappa / chi))
    p_s = (1.0 - t) * qs + t * p_hat
    p[supp[order]] = p_s
    hi = float(p_s @ vs)
    return min(lo, hi), hi, p


def _kl_terms(q, w, mu):
    """``(log Z, E_p w, Var_p w, p)`` of the Gibbs distribution p ~ q exp(-w/mu) (w >= 0)."""
    e = q * np.exp(-w / mu)
    Z = float(e.sum())
    p = e / Z
    m = float(p @ w)
    var = float(p @ (w - m) ** 2)
    return np.log(Z), m, var, p


def _inner_kl(q, v, kappa, inner_tol, max_inner=200, mu0=None):
    r"""KL ball :math:`\mathrm{KL}(p\|q) \le \kappa` by its one-dimensional dual (Newton with a bracket).

    Dual (Iyengar 2005, Sec. 4, relative-entropy sets; Nilim & El Ghaoui 2005, Sec. 6):

    .. math::

        \sigma = \max_{\mu \ge 0}\ \phi(\mu), \qquad
        \phi(\mu) = -\mu\kappa - \mu \log \mathbb E_q e^{-v/\mu},

    with :math:`\phi(0^+) = \min_{q_j > 0} v_j`. Weak duality is the
    Donsker-Varadhan inequality :math:`\log \mathbb E_q e^{f} \ge \mathbb E_p f
    - \mathrm{KL}(p\|q)` with :math:`f = -v/\mu`, so every :math:`\phi(\mu)`
    is a certified lower bound. The Gibbs distribution
    :math:`p_\mu \propto q e^{-v/\mu}` has :math:`\phi'(\mu) =
    \mathrm{KL}(p_\mu\|q) - \kappa`, decreasing in :math:`\mu`, and
    :math:`p_\mu^\top v - \phi(\mu) = \mu(\kappa - \mathrm{KL}(p_\mu\|q))`.
    Newton on :math:`t = \log\mu` for :math:`\mathrm{KL}(p_\mu\|q) = \kappa`
    (:math:`d\,\mathrm{KL}/dt = -\operatorname{Var}_{p_\mu}(v)/\mu^2`), kept
    inside a bracket :math:`[\mu_{lo}, \mu_{hi}]` with
    :math:`\mathrm{KL}(p_{\mu_{hi}}) \le \kappa` (bisection in :math:`\log\mu`
    when Newton leaves it), stops when the certified gap
    :math:`p_{\mu_{hi}}^\top v - \max \phi \le` ``inner_tol``; the upper
    bound is :math:`p_{\mu_{hi}}^\top v` (feasible). If the lowest value
    has mass :math:`Q_1 \ge e^{-\kappa}`, :math:`\sigma` is that value.

    Returns ``(lo, hi, p, mu)``.
    """
    supp = np.flatnonzero(q > 0)
    qs, vs = q[supp], v[supp]
    p = np.zeros_like(q, dtype=float)
    vmin = float(vs.min())
    w = vs - vmin
    mean = float(qs @ vs)
    if kappa == 0 or not (w > 0).any():
        return mean, mean, np.array(q, dtype=float), np.inf
    q_min = float(qs[w == 0].sum())
    if -np.log(q_min) <= kappa:  # all mass on the lowest value has KL = -log Q_1 <= kappa
        p[supp] = np.where(w == 0, qs / q_min, 0.0)
        return vmin, vmin, p, 0.0

    def kl_at(mu):
        logZ, m, var, pm = _kl_terms(qs, w, mu)
        return -m / mu - logZ, logZ, m, var, pm

    def phi(mu, logZ):
        return vmin - mu * kappa - mu * logZ

    if mu0 is not None and np.isfinite(mu0) and mu0 > 0:
        mu = float(mu0)
    else:  # KL(p_mu || q) ~ Var_q(v) / (2 mu^2) for large mu
        mu = float(np.sqrt(max(qs @ w**2, 1e-300) / (2 * kappa)))
    lo_mu, hi_mu = 0.0, np.inf
    best_lo, hi_val, hi_p = vmin, np.inf, None
    for _ in range(max_inner):
        kl, logZ, m, var, pm = kl_at(mu)
        best_lo = max(best_lo, phi(mu, logZ))
        if kl <= kappa:
            hi_mu = mu
            val = vmin + m  # p_mu . v
            if val < hi_val:
                hi_val, hi_p = val, pm
        else:
            lo_mu = mu
        if hi_val - best_lo <= inner_tol:
            break
        # Newton step on t = log mu for KL(p_mu) = kappa
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            step = (kl - kappa) * mu * mu / var if var > 0 else np.inf
            t_new = np.log(mu) + step
        mu_new = float(np.exp(t_new)) if np.isfinite(t_new) and t_new < 700 else np.inf
        lo_ok = mu_new > lo_mu
        hi_ok = mu_new < hi_mu
        if not (lo_ok and hi_ok) or not np.isfinite(mu_new) or mu_new <= 0:
            if np.isfinite(hi_mu) and lo_mu > 0:
                mu_new = float(np.sqrt(lo_mu * hi_mu))
            elif np.isfinite(hi_mu):
                mu_new = hi_mu / 4.0
            else:
                mu_new = max(lo_mu, mu) * 4.0
        mu = mu_new
    if hi_p is None:  # no feasible Gibbs point found: nature's nominal q is always feasible
        hi_val, hi_p = mean, qs
    p[supp] = hi_p
    return min(best_lo, hi_val), hi_val, p, hi_mu


def _w1_dual(lam, q, v, D):
    r""":math:`\sum_i q_i \min_j (v_j + \lambda d_{ij})` (the dual function without :math:`-\lambda\kappa`)
    and the destinations of the right- and left-derivative plans."""
    M = v[None, :] + lam * D  # (n_supp, S)
    mins = M.min(axis=1)
    ties = M <= mins[:, None] + 1e-15 * (1.0 + np.abs(mins[:, None]))
    Dt = np.where(ties, D, np.inf)
    j_right = np.argmin(Dt, axis=1)  # cheapest minimizer: right derivative
    j_left = np.argmax(np.where(ties, D, -np.inf), axis=1)  # dearest minimizer: left derivative
    return q @ mins, j_right, j_left


def _inner_w1(q, v, kappa, D, inner_tol, max_inner=200):
    r"""Wasserstein-1 ball by its one-dimensional dual (bisection with secant cuts on a concave piecewise-linear dual).

    :math:`W_1(p, q) = \min_\Pi \sum_{ij} \Pi_{ij} d_{ij}` over couplings
    with marginals :math:`q, p`. LP duality in the budget (Gao & Kleywegt
    2023, "Distributionally robust stochastic optimization with Wasserstein
    distance", Math. Oper. Res. 48(2), 2023; Esfahani & Kuhn 2018, Math.
    Program. 171; finite case):

    .. math::

        \sigma = \max_{\lambda \ge 0} F(\lambda), \qquad
        F(\lambda) = -\lambda\kappa + \sum_i q_i \min_j \big(v_j + \lambda d_{ij}\big),

    every :math:`F(\lambda)` a lower bound (weak duality: for a feasible
    coupling, :math:`\sum \Pi_{ij} v_j \ge \sum \Pi_{ij}(v_j + \lambda d_{ij})
    - \lambda\kappa`). :math:`F` is concave and piecewise linear; at a
    :math:`\lambda` the plan sending each source to its cheapest (dearest)
    minimizer of :math:`v_j + \lambda d_{ij}` has cost equal to the right
    (left) derivative plus :math:`\kappa`. A bracket
    :math:`[\lambda_l, \lambda_r]` with the right plan of :math:`\lambda_l`
    over budget and that of :math:`\lambda_r` within it is shrunk by
    bisection, trying the intersection of the two supporting lines (exact as
    soon as a single breakpoint is bracketed). Upper bound: the mixture of
    the two plans with cost exactly :math:`\kappa` (feasible; optimal when
    both are optimal at the bracketed breakpoint).
    """
    supp = np.flatnonzero(q > 0)
    qs = q[supp]
    Ds = D[supp]  # (n, S)
    mean = float(q @ v)
    if kappa == 0:
        return mean, mean, np.array(q, dtype=float)

    def plan(j):
        p = np.zeros_like(q, dtype=float)
        np.add.at(p, j, qs)
        return p, float(qs @ Ds[np.arange(supp.size), j]), float(qs @ v[j])

    def F(lam):
        base, jr, jl = _w1_dual(lam, qs, v, Ds)
        return base - lam * kappa, jr, jl

    F0, jr0, _ = F(0.0)
    p_r, c_r, val_r = plan(jr0)
    if c_r <= kappa:  # lambda* = 0: every source reaches a global minimizer within budget
        return F0, val_r, p_r
    pos = Ds[Ds > 0]
    lam_r = float((v.max() - v.min()) / pos.min()) * 2.0 + 1.0 if pos.size else 1.0
    lam_l = 0.0
    F_l = F0
    p_l, c_l, val_l = p_r, c_r, val_r
    F_r, jr_r, _ = F(lam_r)
    p_r, c_r, val_r = plan(jr_r)  # at lam_r no move is worth it: the plan stays put (cost 0)
    best_lo = max(F_l, F_r)
    for _ in range(max_inner):
        t = (kappa - c_r) / (c_l - c_r) if c_l > c_r else 0.0
        t = min(max(t, 0.0), 1.0)
        hi = (1.0 - t) * val_r + t * val_l
        if hi - best_lo <= inner_tol:
            break
        # secant cut: the supporting lines at lam_l (slope c_l - kappa) and lam_r (slope c_r - kappa)
        s_l, s_r = c_l - kappa, c_r - kappa
        lam = 0.5 * (lam_l + lam_r)
        if s_l > s_r:
            cut = (F_r - F_l + s_l * lam_l - s_r * lam_r) / (s_l - s_r)
            if lam_l < cut < lam_r:
                lam = cut
        F_m, jr_m, jl_m = F(lam)
        best_lo = max(best_lo, F_m)
        p_m, c_m, val_m = plan(jr_m)
        if c_m > kappa:
            lam_l, F_l, p_l, c_l, val_l = lam, F_m, p_m, c_m, val_m
        else:
            lam_r, F_r, p_r, c_r, val_r = lam, F_m, p_m, c_m, val_m
            # the dearest plan at the same lambda is optimal there too: a cost > kappa gives the mixture
            p_m2, c_m2, val_m2 = plan(jl_m)
            if c_m2 > kappa:
                lam_l, F_l, p_l, c_l, val_l = lam, F_m, p_m2, c_m2, val_m2
    t = (kappa - c_r) / (c_l - c_r) if c_l > c_r else 0.0
    t = min(max(t, 0.0), 1.0)
    hi = (1.0 - t) * val_r + t * val_l
    p = (1.0 - t) * p_r + t * p_l
    return min(best_lo, hi), hi, p


# ===================================================================== inner problems (cvxpy reference)
def _dual_lower_bound(kind, q, v, kappa, lo, hi, D, lam, eta):
    r"""A certified lower bound on :math:`\sigma` from dual values (weak duality; any dual point gives one).

    ``lam`` is the multiplier of the radius constraint, ``eta`` that of
    :math:`\sum p = 1` (any sign; both signs are tried where it matters).

    * L1: :math:`-\lambda\kappa + \sum_j q_j \min(v_j, v_{min} + 2\lambda)` (moving a unit of mass
      costs :math:`2\lambda` and gains at most :math:`v_j - v_{min}`);
    * box / L-inf: :math:`\eta + \sum_j \min(\ell_j (v_j - \eta), u_j (v_j - \eta))`;
    * KL: :math:`\phi(\lambda)` of :func:`_inner_kl`; chi-square: :math:`\psi(\eta')` of :func:`_inner_chi2`
      at :math:`\eta' = \eta + 2\lambda` (stationarity: :math:`p_j = q_j(1 + (\eta' - v_j)/(2\lambda))`);
    * Wasserstein: :math:`F(\lambda)` of :func:`_inner_w1`.
    """
    lam = max(float(lam), 0.0)
    supp = q > 0
    if kind == "linf":
        lo, hi = np.maximum(0.0, q - kappa), np.minimum(1.0, q + kappa)
    if kind == "l1":
        return float(-lam * kappa + q @ np.minimum(v, v.min() + 2 * lam))
    if kind in ("box", "linf"):
        return max(float(e + np.sum(np.minimum(lo * (v - e), hi * (v - e)))) for e in (eta, -eta))
    if kind == "kl":
        vs, qs = v[supp], q[supp]
        if lam <= 0:
            return float(vs.min())
        vmin = float(vs.min())
        return float(vmin - lam * kappa - lam * np.log(qs @ np.exp(-(vs - vmin) / lam)))
    if kind == "chi2":
        return max(_chi2_psi(e + 2 * lam, q[supp], v[supp], kappa) for e in (eta, -eta))
    if kind == "wasserstein":
        base, _, _ = _w1_dual(lam, q[supp], v, D[supp])
        return float(base - lam * kappa)
    raise AssertionError(kind)  # pragma: no cover


def _repair(kind, p, q, kappa, lo, hi, D):
    r"""A feasible point near the solver's ``p``: project on the simplex, then pull towards :math:`q`.

    For the balls, :math:`D((1-t) q + t p, q) \le t\, D(p, q)` by convexity
    (:math:`t^2 D` for chi-square), so :math:`t = \min(1, \kappa/D(p, q))`
    restores feasibility. For a box: clip to the bounds and fix the total
    mass proportionally to the room left (possible since
    :math:`\sum \ell \le 1 \le \sum u`).
    """
    p = np.maximum(np.asarray(p, dtype=float), 0.0)
    if kind in ("kl", "chi2"):
        p = np.where(q > 0, p, 0.0)
    if kind == "linf":
        lo, hi = np.maximum(0.0, q - kappa), np.minimum(1.0, q + kappa)
    if kind in ("box", "linf"):
        p = np.clip(p, lo, hi)
        gap = 1.0 - p.sum()
        room = (hi - p) if gap > 0 else (p - lo)
        if room.sum() > 0:
            p = p + gap * room / room.sum()
        return np.clip(p, lo, hi)
    p = p / p.sum()
    if kind == "l1":
        dist = float(np.abs(p - q).sum())
    elif kind == "kl":
        s = p > 0
        dist = float(np.sum(p[s] * np.log(p[s] / q[s])))
    elif kind == "chi2":
        s = q > 0
        dist = float(np.sum((p[s] - q[s]) ** 2 / q[s]))
    else:  # wasserstein: the caller repairs the coupling itself (pulled towards the identity coupling)
        return p
    if dist > kappa:
        t = kappa / dist if kind != "chi2" else np.sqrt(kappa / dist)
        p = (1.0 - t) * q + t * p
    return p


def _inner_cvxpy(kind, q, v, kappa, lo, hi, D, *, solver, tol, solver_options):
    r"""The inner problem as a cvxpy program, checked: status, primal feasibility, dual feasibility, gap.

    Returns ``(lower, upper, p)``: ``upper`` is the value of a feasible
    point (the solver's, repaired by :func:`_repair`), ``lower`` a dual
    bound (:func:`_dual_lower_bound`) at the solver's multipliers.
    """
    import cvxpy as cp

    from rltheory.tabular._lp_certificates import require_optimal

    S = q.size
    supp = np.flatnonzero(q > 0)
    scale = max(1.0, float(np.max(np.abs(v))))
    if kind != "box" and kappa == 0:  # the set is {q}: nothing to solve
        value = float(q @ v)
        return value, value, np.array(q, dtype=float)
    if kind in ("kl", "chi2"):
        x = cp.Variable(supp.size, nonneg=True)
        qs, vs = q[supp], v[supp]
        total = cp.sum(x) == 1
        if kind == "kl":
            radius = cp.sum(cp.rel_entr(x, qs)) <= kappa
        else:  # sum (x - q)^2 / q <= kappa as a second-order cone
            radius = cp.norm2(cp.multiply(1.0 / np.sqrt(qs), x - qs)) <= np.sqrt(kappa)
        problem = cp.Problem(cp.Minimize(vs @ x), [total, radius])
        cons = [total, radius]
    elif kind == "wasserstein":
        Pi = cp.Variable((supp.size, S), nonneg=True)
        total = cp.sum(Pi, axis=1) == q[supp]
        radius = cp.sum(cp.multiply(D[supp], Pi)) <= kappa
        problem = cp.Problem(cp.Minimize(cp.sum(Pi @ v)), [total, radius])
        cons = [total, radius]
    else:
        x = cp.Variable(S, nonneg=True)
        total = cp.sum(x) == 1
        if kind == "l1":
            radius = cp.norm1(x - q) <= kappa
        elif kind == "linf":
            radius = cp.norm_inf(x - q) <= kappa
        else:
            radius = None
        cons = [total] + ([radius] if radius is not None else [x >= lo, x <= hi])
        problem = cp.Problem(cp.Minimize(v @ x), cons)
    problem.solve(solver=solver, **solver_options)
    require_optimal(problem, solver, what="the inner-problem solver")
    if kind == "wasserstein":
        plan = np.asarray(Pi.value)
        primal = float(
            max(
                np.max(np.abs(plan.sum(axis=1) - q[supp])),
                np.max(-plan, initial=0.0),
                float(np.sum(D[supp] * plan)) - kappa,
                0.0,
            )
        )
        plan = np.maximum(plan, 0.0)
        plan *= (q[supp] / np.maximum(plan.sum(axis=1), 1e-300))[:, None]
        cost = float(np.sum(D[supp] * plan))
        if cost > kappa:  # pull towards the identity coupling (cost 0): cost scales by t
            t = kappa / cost
            stay = np.zeros_like(plan)
            stay[np.arange(supp.size), supp] = q[supp]
            plan = (1.0 - t) * stay + t * plan
        p = plan.sum(axis=0)
    else:
        raw = np.zeros(S)
        raw[supp if kind in ("kl", "chi2") else np.arange(S)] = np.asarray(x.value)
        if kind in ("kl", "chi2"):
            s = raw[supp]
            dist = (
                float(np.sum(s[s > 0] * np.log(s[s > 0] / q[supp][s > 0])))
                if kind == "kl"
                else float(np.sum((s - q[supp]) ** 2 / q[supp]))
            )
        elif kind == "l1":
            dist = float(np.abs(raw - q).sum())
        elif kind == "linf":
            dist = float(np.abs(raw - q).max())
        else:
            dist = -np.inf
        box = max(float(np.max(lo - raw)), float(np.max(raw - hi)), 0.0) if kind == "box" else 0.0
        primal = float(max(abs(raw.sum() - 1.0), np.max(-raw, initial=0.0), dist - kappa, box, 0.0))
        p = _repair(kind, raw, q, kappa, lo, hi, D)
    lam = float(radius.dual_value) if radius is not None else 0.0
    if kind == "chi2":  # the multiplier of ||.||_2 <= sqrt(kappa) is 2 sqrt(kappa) times that of chi^2 <= kappa
        lam = lam / (2.0 * np.sqrt(kappa))
    eta = float(np.ravel(total.dual_value)[0]) if kind != "wasserstein" else 0.0
    dual = max(-lam, 0.0)
    lower = _dual_lower_bound(kind, q, v, kappa, lo, hi, D, lam, eta)
    upper = float(p @ v)
    check_certificate(
        [
            ("primal infeasibility", primal, tol),
            ("dual infeasibility", dual, tol * scale),
            ("duality gap", upper - lower, tol * scale),
        ],
        solver,
        tol,
        what=f"inner {kind} program",
    )
    return min(lower, upper), upper, p


# ===================================================================== s-rectangular L1 (exact)
def _l1_pieces(q, v, gamma):
    r"""The L1 inner value as a function of the radius :math:`\xi`: convex, decreasing, piecewise linear.

    :math:`\gamma\sigma(\xi) = \gamma q^\top v - \sum_k s_k \min(w_k, (\xi - W_{k-1})^+)`: piece :math:`k`
    moves the mass :math:`q_{j_k}` of the :math:`k`-th highest value (:math:`j_k \ne j^*`) to
    :math:`j^* = \arg\min v`, costs radius :math:`w_k = 2 q_{j_k}` and lowers the value at the rate
    :math:`s_k = \gamma (v_{j_k} - v_{j^*}) / 2` (decreasing in :math:`k`). Returns ``(j_star, idx, widths, slopes)``.
    """
    j_star = int(np.argmin(v))
    order = np.argsort(-v, kind="stable")
    order = order[(order != j_star) & (q[order] > 0)]
    slopes = gamma * (v[order] - v[j_star]) / 2.0
    keep = slopes > 0
    return j_star, order[keep], 2.0 * q[order[keep]], slopes[keep]


def _s_l1_response(F0, pieces, pi, kappa):
    r"""Nature's exact response to a randomized action choice :math:`\pi` (s-rectangular L1, one state).

    :math:`\min_{\xi \ge 0, \sum_a \xi_a \le \kappa} \sum_a \pi_a f_a(\xi_a)` is a fractional
    knapsack over the pieces of all actions, each of rate :math:`\pi_a s_{a,k}` per unit of
    budget: fill the budget by decreasing rate. Returns ``(value, xi)``.
    """
    rates, widths, owner = [], [], []
    for a, (_, _, w, s) in enumerate(pieces):
        if pi[a] > 0 and w.size:
            rates.append(pi[a] * s)
            widths.append(w)
            owner.append(np.full(w.size, a))
    value = float(pi @ F0)
    xi = np.zeros(len(pieces))
    if not rates:
        return value, xi
    rates, widths, owner = np.concatenate(rates), np.concatenate(widths), np.concatenate(owner)
    order = np.argsort(-rates, kind="stable")
    budget = kappa
    for k in order:
        if budget <= 0:
            break
        take = min(widths[k], budget)
        value -= rates[k] * take
        xi[owner[k]] += take
        budget -= take
    return value, xi


def _f_at(F0a, piece, xi):
    """f_a(xi) from its pieces."""
    _, _, w, s = piece
    if not w.size:
        return float(F0a)
    W = np.concatenate([[0.0], np.cumsum(w)])
    return float(F0a - np.sum(s * np.clip(xi - W[:-1], 0.0, w)))


def _s_l1_state(Q, r, allowed, v, kappa, gamma):
    r"""One state of the s-rectangular L1 robust Bellman operator, exactly.

    With :math:`f_a(\xi) = r_a + \gamma \sigma_a(\xi)` (:func:`_l1_pieces`), the minimax theorem
    (Wiesemann, Kuhn & Rustem 2013; Sion: bilinear in :math:`\pi` and the kernels, both sets
    convex and compact) gives

    .. math::

        (T v)(s) = \max_{\pi \in \Delta_A} \min_{\sum \xi_a \le \kappa} \sum_a \pi_a f_a(\xi_a)
        = \min_{\sum \xi_a \le \kappa} \max_a f_a(\xi_a) = \min\{u : \textstyle\sum_a \xi_a(u) \le \kappa\},

    :math:`\xi_a(u)` the least radius with :math:`f_a(\xi) \le u` (Ho, Petrik & Wiesemann 2021,
    Sec. 4: the budget as a function of the level is piecewise linear with the breakpoints of the
    :math:`f_a`; the crossing of :math:`\kappa` is found exactly between consecutive levels). An
    optimal :math:`\pi` comes from the KKT conditions of the knapsack at :math:`\xi^*`: with
    :math:`s_a^-` the slope left of :math:`\xi_a^*`, :math:`\pi_a = \lambda / s_a^-` on the actions
    at the level :math:`u^*` (then :math:`\pi_a s_a^+ \le \lambda \le \pi_a s_a^-`: no piece is
    worth more than the multiplier outside the allocation, none less inside). Certificate:
    ``lo`` is the exact value of nature's response to the returned :math:`\pi`
    (:func:`_s_l1_response`), ``hi`` the value :math:`\max_a f_a(\xi^*_a)` of a feasible
    allocation; ``lo <= (T v)(s) <= hi``.

    Returns ``(lo, hi, pi)``.
    """
    A = Q.shape[0]
    acts = np.flatnonzero(allowed)
    F0 = np.full(A, -np.inf)
    F0[acts] = r[acts] + gamma * (Q[acts] @ v)
    empty = (0, np.zeros(0, int), np.zeros(0), np.zeros(0))
    pieces = [_l1_pieces(Q[a], v, gamma) if allowed[a] else empty for a in range(A)]
    levels = {a: np.concatenate([[F0[a]], F0[a] - np.cumsum(pieces[a][2] * pieces[a][3])]) for a in acts}
    floor = max(float(levels[a][-1]) for a in acts)
    top = max(float(F0[a]) for a in acts)

    def budget(u):
        total = 0.0
        for a in acts:
            L = levels[a]
            if u >= L[0]:
                continue
            k = int(np.searchsorted(-L, -u, side="left"))  # L[k-1] > u >= L[k]
            W = np.concatenate([[0.0], np.cumsum(pieces[a][2])])
            total += W[k - 1] + (L[k - 1] - u) / pieces[a][3][k - 1]
        return total

    slack = False
    if kappa <= 0 or top == floor:
        u_star = top
    elif budget(floor) <= kappa:
        u_star, slack = floor, True
    else:
        cand = np.unique(np.concatenate([levels[a] for a in acts]))
        cand = cand[(cand >= floor) & (cand <= top)][::-1]  # descending
        g = np.array([budget(u) for u in cand])
        i = int(np.argmax(g > kappa))  # first level (from the top) whose budget exceeds kappa
        u_hi, u_lo, g_hi, g_lo = cand[i - 1], cand[i], g[i - 1], g[i]
        u_star = float(u_hi - (kappa - g_hi) * (u_hi - u_lo) / (g_lo - g_hi))
    # the allocation reaching u_star, and the slopes around it
    xi = np.zeros(A)
    s_left = np.full(A, np.inf)
    rel = 1e-12 * max(1.0, abs(u_star))
    for a in acts:
        L = levels[a]
        w, s = pieces[a][2], pieces[a][3]
        if u_star >= L[0] - rel:
            continue
        k = int(np.searchsorted(-L, -u_star, side="left"))
        k = min(max(k, 1), len(L) - 1)
        W = np.concatenate([[0.0], np.cumsum(w)])
        xi[a] = W[k - 1] + (L[k - 1] - u_star) / s[k - 1]
        s_left[a] = s[k - 1]
    total = xi.sum()
    if total > kappa:  # rounding: scale down to a feasible allocation
        xi *= kappa / total
    hi = max(_f_at(F0[a], pieces[a], xi[a]) for a in acts)
    pi = np.zeros(A)
    if slack:
        # budget left over (lambda = 0): nature pushes every action to its floor; only the actions whose
        # floor is the highest reach u_star, and any distribution over them is optimal
        tops = [a for a in acts if levels[a][-1] >= u_star - rel]
        pi[tops] = 1.0 / len(tops)
    else:
        active = [a for a in acts if F0[a] >= u_star - rel]
        inv = np.array([1.0 / s_left[a] for a in active])
        if inv.sum() > 0:
            pi[active] = inv / inv.sum()
        else:  # no active action can move (kappa = 0, or all saturated): any of them is optimal
            pi[active[0]] = 1.0
    lo, _ = _s_l1_response(np.where(allowed, F0, 0.0), pieces, pi, kappa)
    return min(lo, hi), hi, pi


# ===================================================================== sweeps
def _pair_inner(bound: _Bound, q, v, s, a, inner_tol, mu0=None):
    """``(lo, hi, p, mu)`` of the (s, a) inner problem by the NumPy reference solvers."""
    kind = bound.kind
    if kind == "box":
        return (*_inner_box(bound.lower[s, a], bound.upper[s, a], v), None)
    if kind == "hull":  # a linear function is minimized over a convex hull at one of the points
        rows = bound.kernels[:, s, a, :]
        vals = rows @ v
        k = int(np.argmin(vals))
        return float(vals[k]), float(vals[k]), np.array(rows[k]), None
    kappa = float(bound.radius[s, a])
    if kind == "l1":
        return (*_inner_l1(q, v, kappa), None)
    if kind == "linf":
        return (*_inner_linf(q, v, kappa), None)
    if kind == "chi2":
        return (*_inner_chi2(q, v, kappa), None)
    if kind == "kl":
        return _inner_kl(q, v, kappa, inner_tol, mu0=mu0)
    return (*_inner_w1(q, v, kappa, bound.metric, inner_tol), None)


def _sigma_reference(mdp: FiniteMDP, bound: _Bound, v: np.ndarray, inner_tol: float, pairs=None, warm=None):
    r"""Certified :math:`\sigma^{lo} \le \sigma \le \sigma^{hi}` (S, A) and worst-case rows, by the NumPy solvers.

    ``pairs``: an iterable of (s, a) (default: all allowed pairs). Returns
    ``(lo, hi, rows)`` with ``rows[(s, a)]`` the worst-case distribution.
    ``warm`` (S, A) holds and receives the KL multipliers (warm starts).
    """
    P = mdp.dense_P
    S, A = mdp.n_states, mdp.n_actions
    lo = np.full((S, A), np.nan)
    hi = np.full((S, A), np.nan)
    rows = {}
    if pairs is None:
        pairs = map(tuple, np.argwhere(np.asarray(mdp.action_mask)))
    for s, a in pairs:
        mu0 = None if warm is None else warm[s, a]
        lo[s, a], hi[s, a], rows[(s, a)], mu = _pair_inner(bound, P[s, a], v, s, a, inner_tol, mu0)
        if warm is not None and mu is not None:
            warm[s, a] = mu
    return lo, hi, rows


#: Kinds whose inner problems run in the compiled kernel (the others use the NumPy solvers).
_KERNEL_KINDS = {
    "l1": _robust_kernels.KIND_L1,
    "linf": _robust_kernels.KIND_LINF,
    "box": _robust_kernels.KIND_BOX,
    "chi2": _robust_kernels.KIND_CHI2,
    "kl": _robust_kernels.KIND_KL,
}
#: Iteration cap of the compiled KL dual (its gap, if not closed, widens the certified bounds).
MAX_INNER = 200


def _compiled_q(mdp: FiniteMDP, bound: _Bound, v: np.ndarray, inner_tol: float, warm=None):
    r"""Compiled certified robust action values ``(q_lo, q_hi)`` (S, A); ``-inf`` where masked.

    Pairs with radius 0 take the house kernel's nominal ``R + gamma P v``
    (so a zero radius reproduces the nominal backup bit for bit).
    """
    S, A = mdp.n_states, mdp.n_actions
    v = np.ascontiguousarray(v, dtype=float)
    order = np.argsort(v, kind="stable").astype(np.int64)
    kind, P, mask, use_mask = _kernel_inputs(mdp)
    radius = bound.radius if bound.radius is not None else np.zeros((S, A))
    dummy = np.zeros((1, 1, 1))
    lower = bound.lower if bound.lower is not None else dummy
    upper = bound.upper if bound.upper is not None else dummy
    if warm is None:
        warm = np.full((S, A), np.nan)
    q_lo = np.empty((S, A))
    q_hi = np.empty((S, A))
    code = _KERNEL_KINDS[bound.kind]
    R = np.asarray(mdp.R)
    if kind == "dense":
        _robust_kernels.sa_robust_q_dense(
            P[0],
            R,
            mdp.gamma,
            v,
            order,
            code,
            radius,
            lower,
            upper,
            mask,
            use_mask,
            inner_tol,
            MAX_INNER,
            warm,
            q_lo,
            q_hi,
        )
    else:
        rank = np.empty_like(order)
        rank[order] = np.arange(S)
        _robust_kernels.sa_robust_q_csr(
            *P,
            S,
            A,
            R,
            mdp.gamma,
            v,
            order,
            rank,
            code,
            radius,
            lower,
            upper,
            mask,
            use_mask,
            inner_tol,
            MAX_INNER,
            warm,
            q_lo,
            q_hi,
        )
    nominal = np.isnan(q_lo)
    if nominal.any():
        q_nom = _q_values(mdp, v)
        q_lo[nominal] = q_nom[nominal]
        q_hi[nominal] = q_nom[nominal]
    return q_lo, q_hi


def _sigma(mdp: FiniteMDP, bound: _Bound, v: np.ndarray, inner_tol: float, warm=None):
    r"""``(q_lo, q_hi)``: robust action values :math:`r + \gamma \sigma^{lo/hi}` (S, A), ``-inf`` where masked."""
    if bound.kind in _KERNEL_KINDS:
        return _compiled_q(mdp, bound, v, inner_tol, warm)
    mask = np.asarray(mdp.action_mask)
    lo, hi, _ = _sigma_reference(mdp, bound, v, inner_tol, warm=warm)
    R = np.asarray(mdp.R)
    q_lo = np.where(mask, R + mdp.gamma * lo, -np.inf)
    q_hi = np.where(mask, R + mdp.gamma * hi, -np.inf)
    return q_lo, q_hi


def _s_div_response(kind, Q, r, allowed, v, kappa, gamma, pi, inner_tol, max_inner=200):
    r"""Nature's response to the action distribution ``pi`` at one state, s-rectangular KL / chi-square.

    For fixed :math:`\pi`, nature solves :math:`\min \sum_a \pi_a (r_a + \gamma p_a^\top v)` s.t.
    :math:`\sum_a D(p_a, q_a) \le \kappa`. Lagrangian duality in the budget: for every
    :math:`\lambda \ge 0`,

    .. math::

        h(\lambda) = -\lambda\kappa + \sum_a \pi_a \big(r_a + \gamma\,
        \min_p [p^\top v + \tfrac{\lambda}{\gamma \pi_a} D(p, q_a)]\big)

    is a lower bound, each inner minimum in closed form (:func:`_regularized_inner`); by the envelope
    theorem :math:`h'(\lambda) = \sum_a D(p_a(\lambda), q_a) - \kappa` with :math:`p_a(\lambda)` the
    penalized minimizers, decreasing in :math:`\lambda`. Bisection in :math:`\log\lambda` keeps a
    :math:`\lambda_r` whose minimizers are feasible (their value is an upper bound) and stops when the
    certified gap is :math:`\le` ``inner_tol``. Actions with :math:`\pi_a = 0` keep their nominal row.

    Returns ``(lower, rows (A, S), values (A,))``: a certified lower bound on nature's value, a
    feasible response and the action values under it.
    """
    A, S = Q.shape
    rows = np.array(Q, dtype=float)
    act = np.flatnonzero(allowed & (pi > 0))
    div = "kl" if kind == "kl" else "chi2"

    def dist(p, q):
        s_ = q > 0
        if div == "kl":
            m = p > 0
            return float(np.sum(p[m] * np.log(p[m] / q[m])))
        return float(np.sum((p[s_] - q[s_]) ** 2 / q[s_]))

    def at(lam):
        lo_sum, val, D, ps = -lam * kappa, 0.0, 0.0, {}
        for a in act:
            q = Q[a]
            if lam == 0:  # the penalty vanishes: all mass on the lowest values of the support
                supp = q > 0
                vmin = float(v[supp].min())
                low = supp & (v == vmin)
                p = np.where(low, q, 0.0) / float(q[low].sum())
                lo_a = vmin
            else:
                lo_a, _, p = _regularized_inner(div, q, v, lam / (gamma * pi[a]))
            ps[a] = p
            lo_sum += pi[a] * (r[a] + gamma * lo_a)
            val += pi[a] * (r[a] + gamma * float(p @ v))
            D += dist(p, q)
        return lo_sum, val, D, ps

    best_lo, val0, D0, ps0 = at(0.0)
    if D0 <= kappa:
        feasible = (val0, ps0)
    else:
        lam_l, lam_r = 0.0, 1.0
        while True:
            lo_r, val_r, D_r, ps_r = at(lam_r)
            best_lo = max(best_lo, lo_r)
            if D_r <= kappa:
                break
            lam_l, lam_r = lam_r, lam_r * 4.0
        feasible = (val_r, ps_r)
        for _ in range(max_inner):
            if feasible[0] - best_lo <= inner_tol:
                break
            lam = np.sqrt(lam_l * lam_r) if lam_l > 0 else lam_r / 4.0
            lo_m, val_m, D_m, ps_m = at(lam)
            best_lo = max(best_lo, lo_m)
            if D_m <= kappa:
                lam_r = lam
                if val_m < feasible[0]:
                    feasible = (val_m, ps_m)
            else:
                lam_l = lam
    for a, p in feasible[1].items():
        rows[a] = p
    values = np.where(allowed, r + gamma * (rows @ v), -np.inf)
    return min(best_lo, feasible[0]), rows, values


def _s_div_state(kind, Q, r, allowed, v, kappa, gamma, inner_tol, solver="CLARABEL"):
    r"""One state of the s-rectangular KL / chi-square robust operator: ``(lo, hi, pi)``.

    By the minimax theorem (Wiesemann, Kuhn & Rustem 2013) :math:`(T v)(s) = \min_{(p_a) \in \mathcal U_s}
    \max_a [r_a + \gamma p_a^\top v]`, a convex program (epigraph variable :math:`t`) whose multipliers of
    :math:`t \ge r_a + \gamma p_a^\top v` are an optimal :math:`\pi` (stationarity in :math:`t`:
    :math:`\sum_a \pi_a = 1`). Certified: ``lo`` is nature's response value to that :math:`\pi`
    (:func:`_s_div_response`, a lower bound on :math:`(T v)(s)`), ``hi`` the value
    :math:`\max_a [r_a + \gamma p_a^\top v]` of the solver's kernels pulled towards the nominal rows until
    feasible (:math:`D((1-t) q + t p, q) \le t D(p, q)` by convexity).
    """
    import cvxpy as cp

    from rltheory.tabular._lp_certificates import require_optimal

    A, S = Q.shape
    acts = np.flatnonzero(allowed)
    pi = np.zeros(A)
    if kappa == 0 or acts.size == 0:
        vals = np.where(allowed, r + gamma * (Q @ v), -np.inf)
        pi[int(np.argmax(vals))] = 1.0
        best = float(np.max(vals))
        return best, best, pi
    t = cp.Variable()
    xs, cons, budget = {}, [], 0
    for a in acts:
        supp = np.flatnonzero(Q[a] > 0)
        qs = Q[a, supp]
        x = cp.Variable(supp.size, nonneg=True)
        xs[a] = (supp, x)
        cons.append(cp.sum(x) == 1)
        if kind == "kl":
            budget = budget + cp.sum(cp.rel_entr(x, qs))
        else:
            budget = budget + cp.sum(cp.multiply(1.0 / qs, cp.square(x - qs)))
    epi = [t >= r[a] + gamma * (v[xs[a][0]] @ xs[a][1]) for a in acts]
    problem = cp.Problem(cp.Minimize(t), cons + epi + [budget <= kappa])
    problem.solve(solver=solver)
    require_optimal(problem, solver, what="the s-rectangular solver")
    duals = np.maximum(np.array([float(c.dual_value) for c in epi]), 0.0)
    if duals.sum() > 0:
        pi[acts] = duals / duals.sum()
    else:
        pi[acts[0]] = 1.0
    lo, _, _ = _s_div_response(kind, Q, r, allowed, v, kappa, gamma, pi, inner_tol)
    # upper bound: a feasible kernel from the solver's point
    rows = np.array(Q, dtype=float)
    total = 0.0
    for a in acts:
        supp, x = xs[a]
        p = np.zeros(S)
        p[supp] = np.maximum(np.asarray(x.value), 0.0)
        p /= p.sum()
        rows[a] = p
        m = p > 0
        total += (
            float(np.sum(p[m] * np.log(p[m] / Q[a, m])))
            if kind == "kl"
            else float(np.sum((p[supp] - Q[a, supp]) ** 2 / Q[a, supp]))
        )
    if total > kappa:
        mix = kappa / total
        rows[acts] = (1.0 - mix) * Q[acts] + mix * rows[acts]
    hi = float(np.max(r[acts] + gamma * (rows[acts] @ v)))
    return min(lo, hi), hi, pi


def _s_response(bound, Q, r, allowed, v, kappa, gamma, pi, inner_tol):
    """Nature's response to ``pi`` at one state (any s-rectangular kind): ``(lower, rows, values)``."""
    if bound.kind == "l1":
        pieces = [_l1_pieces(Q[a], v, gamma) for a in range(Q.shape[0])]
        F0 = np.where(allowed, r + gamma * (Q @ v), 0.0)
        lo, xi = _s_l1_response(F0, pieces, np.where(allowed, pi, 0.0), kappa)
        rows = np.array([_inner_l1(Q[a], v, xi[a])[2] for a in range(Q.shape[0])])
        values = np.array([_f_at(F0[a], pieces[a], xi[a]) if allowed[a] else -np.inf for a in range(Q.shape[0])])
        return lo, rows, values
    return _s_div_response(bound.kind, Q, r, allowed, v, kappa, gamma, pi, inner_tol)


def _s_rect_backup(mdp: FiniteMDP, bound: _Bound, v: np.ndarray, inner_tol: float):
    """s-rectangular backup: ``(T_lo, T_hi, action_probabilities)``."""
    P = mdp.dense_P
    S = mdp.n_states
    R = np.asarray(mdp.R)
    mask = np.asarray(mdp.action_mask)
    t_lo, t_hi = np.empty(S), np.empty(S)
    pol = np.zeros((S, mdp.n_actions))
    for s in range(S):
        kappa = float(bound.radius[s])
        if bound.kind == "l1":
            t_lo[s], t_hi[s], pol[s] = _s_l1_state(P[s], R[s], mask[s], v, kappa, mdp.gamma)
        else:
            t_lo[s], t_hi[s], pol[s] = _s_div_state(bound.kind, P[s], R[s], mask[s], v, kappa, mdp.gamma, inner_tol)
    return t_lo, t_hi, pol


def _backup(mdp: FiniteMDP, bound: _Bound, v: np.ndarray, inner_tol: float, warm=None):
    """``(T_lo v, T_hi v, action_probabilities, q_lo)``: certified robust backups and the greedy (max-min) policy."""
    if bound.rect == "s":
        t_lo, t_hi, pol = _s_rect_backup(mdp, bound, v, inner_tol)
        return t_lo, t_hi, pol, None
    q_lo, q_hi = _sigma(mdp, bound, v, inner_tol, warm=warm)
    S = mdp.n_states
    greedy = np.argmax(q_lo, axis=1)
    t_lo = q_lo[np.arange(S), greedy]
    t_hi = np.max(q_hi, axis=1)
    pol = np.zeros((S, mdp.n_actions))
    pol[np.arange(S), greedy] = 1.0
    return t_lo, t_hi, pol, q_lo


# ===================================================================== results
@dataclass(frozen=True, eq=False)
class RobustDPResult:
    r"""Result of :func:`robust_value_iteration` and :func:`robust_policy_iteration`.

    Attributes
    ----------
    v : numpy.ndarray, shape (S,)
        Midpoint of the certified interval: :math:`\|v - v^*\|_\infty \le` ``bound / 2``.
    q : numpy.ndarray, shape (S, A)
        Robust action values at ``v``: :math:`r + \gamma \sigma^{lo}(v)` for
        (s,a)-rectangular sets; for s-rectangular sets
        :math:`r(s,a) + \gamma\, \sigma_{s,a}(\xi_a)` at nature's budget
        split :math:`\xi` against the returned policy. ``-inf`` where masked.
    policy : numpy.ndarray of int64, shape (S,)
        ``argmax`` of ``action_probabilities``; the optimal deterministic
        policy for (s,a)-rectangular sets (whose ``action_probabilities``
        are one-hot).
    action_probabilities : numpy.ndarray, shape (S, A)
        The max-min policy at ``v`` (randomized in general for
        s-rectangular sets, Wiesemann, Kuhn & Rustem 2013).
    iterations : int
        Value iteration: updates :math:`u \leftarrow T_{lo} u` (each followed
        by a certifying backup); policy iteration: policies evaluated.
    converged : bool
        Whether ``bound <= tol`` was reached within ``max_iter``.
    residual : float
        :math:`\max(|\min(T_{lo} u - u)|, |\max(T_{hi} u - u)|)` at the certifying backup.
    v_lower, v_upper : numpy.ndarray, shape (S,)
        Certified :math:`v_{lower} \le v^* \le v_{upper}` (module docstring).
    bound : float
        ``max(v_upper - v_lower)``.
    policy_suboptimality_bound : float
        Certified bound on :math:`\|v^* - v^{\pi}_{robust}\|_\infty` for the
        returned policy (the robust bounds of a backup at ``v``, for which
        it is greedy).
    inner_gap : float
        :math:`\max (\sigma^{hi} - \sigma^{lo})` at the certifying backup
        (0 for the sets solved in closed form), included in the bounds.
    method : str
        ``"value-iteration"`` or ``"policy-iteration"``.

    Examples
    --------
    With radius 0 the robust problem is the nominal one; state 1 is absorbing with reward 1, so
    :math:`v^*(1) = 1/(1 - 0.9) = 10` and :math:`v^*(0) = 0.9(0.1 v^*(0) + 9)`, i.e. :math:`8.1/0.91`:

    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, UncertaintySet, robust_value_iteration
    >>> P = np.array([[[1.0, 0.0], [0.1, 0.9]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> mdp = FiniteMDP(P, np.array([[0.0, 0.0], [1.0, 1.0]]), gamma=0.9)
    >>> res = robust_value_iteration(mdp, UncertaintySet("l1", 0.0), tol=1e-10)
    >>> res.method, res.converged, res.policy.tolist(), res.v.round(6).tolist(), round(8.1 / 0.91, 6)
    ('value-iteration', True, [1, 0], [8.901099, 10.0], 8.901099)
    >>> bool(np.all(res.v_lower <= res.v_upper)), bool(res.bound <= 1e-10), res.action_probabilities.tolist()
    (True, True, [[0.0, 1.0], [1.0, 0.0]])
    """

    v: np.ndarray
    q: np.ndarray
    policy: np.ndarray
    action_probabilities: np.ndarray
    iterations: int
    converged: bool
    residual: float
    v_lower: np.ndarray
    v_upper: np.ndarray
    bound: float
    policy_suboptimality_bound: float
    inner_gap: float
    method: str


def _check_inner_tol(inner_tol, tol, gamma) -> float:
    if inner_tol is None:
        # the inner gaps enter v_upper - v_lower multiplied by at most gamma / (1 - gamma) + 1 = 1 / (1 - gamma)
        return 0.25 * (1.0 - gamma) * tol
    from rltheory._validation import check_real

    return check_real("inner_tol", inner_tol, low=0.0, low_open=True)


def _finish(mdp, bound, u, t_lo, t_hi, it, tol, inner_tol, warm, method):
    """Certified bounds from the backup ``(t_lo, t_hi)`` of ``u``, then the returned values and policy."""
    c = mdp.gamma / (1.0 - mdp.gamma)
    dmin = float(np.min(t_lo - u))
    dmax = float(np.max(t_hi - u))
    v_lower = t_lo + c * dmin
    v_upper = t_hi + c * dmax
    width = t_hi - t_lo
    b = float(np.max(width + c * (dmax - dmin)))
    v_mid = t_lo + 0.5 * width + c * 0.5 * (dmin + dmax)
    m_lo, m_hi, pol, q = _backup(mdp, bound, v_mid, inner_tol, warm)
    psb = float(np.max(m_hi - m_lo)) + c * (float(np.max(m_hi - v_mid)) - float(np.min(m_lo - v_mid)))
    if q is None:
        q = _s_rect_q(mdp, bound, v_mid, pol, inner_tol)
    return RobustDPResult(
        v=readonly(v_mid),
        q=readonly(q),
        policy=readonly(np.argmax(pol, axis=1).astype(np.int64)),
        action_probabilities=readonly(pol),
        iterations=int(it),
        converged=bool(b <= tol),
        residual=float(max(abs(dmin), abs(dmax))),
        v_lower=readonly(v_lower),
        v_upper=readonly(v_upper),
        bound=b,
        policy_suboptimality_bound=float(psb),
        inner_gap=float(np.max(width)),
        method=method,
    )


def _s_rect_q(mdp, bound, v, pol, inner_tol):
    """Per-action robust values under nature's response to ``pol`` (s-rectangular sets)."""
    P = mdp.dense_P
    R = np.asarray(mdp.R)
    mask = np.asarray(mdp.action_mask)
    q = np.full((mdp.n_states, mdp.n_actions), -np.inf)
    for s in range(mdp.n_states):
        _, _, q[s] = _s_response(bound, P[s], R[s], mask[s], v, float(bound.radius[s]), mdp.gamma, pol[s], inner_tol)
    return q


def _check_v0(mdp, v0):
    return np.zeros(mdp.n_states) if v0 is None else np.array(_check_values(mdp, v0, "v0"), dtype=float)


# ===================================================================== value iteration
def robust_value_iteration(
    mdp: FiniteMDP, uncertainty: UncertaintySet, *, tol: float = 1e-8, max_iter: int = 100_000, v0=None, inner_tol=None
) -> RobustDPResult:
    r"""Robust value iteration with certified bounds (the max-min discounted criterion).

    Iterates :math:`u_{k+1} = T_{lo} u_k` where :math:`T_{lo}` is the robust
    Bellman operator (module docstring) with every inner problem
    :math:`\sigma_{s,a}(u) = \min_{p \in \mathcal U_{s,a}} p^\top u` replaced
    by a certified lower bound (equal to it for the L1, L-infinity, box and
    chi-square sets, solved exactly; a dual value within ``inner_tol`` of it
    for KL and Wasserstein-1), and stops when the certified interval

    .. math::

        v_{lower} = T_{lo} u + \tfrac{\gamma}{1-\gamma} \min (T_{lo} u - u)
        \;\le\; v^* \;\le\;
        v_{upper} = T_{hi} u + \tfrac{\gamma}{1-\gamma} \max (T_{hi} u - u)

    has width :math:`\le` ``tol`` (module docstring: MacQueen 1966 /
    Porteus 1971 bounds, valid for any monotone operator with
    :math:`T(v + c) = T v + \gamma c`, with the inner gaps included). The
    robust operator is a :math:`\gamma`-contraction (Iyengar 2005, Sec. 3;
    Nilim & El Ghaoui 2005, Sec. 3), so the iterates converge linearly and
    the width reaches ``tol``.

    Inner problems, (s,a)-rectangular (Iyengar 2005, Sec. 4; Nilim & El
    Ghaoui 2005, Sec. 4-6): L1 by moving mass to the lowest value from the
    highest; box and L-infinity by filling the lowest values (a sort); chi-
    square by its one-dimensional dual, solved exactly on the sorted values;
    KL by its one-dimensional dual (safeguarded Newton, warm-started across
    sweeps); Wasserstein-1 by its one-dimensional dual (bisection with
    secant cuts). s-rectangular L1: exactly per state (Ho, Petrik &
    Wiesemann 2021), with a randomized max-min policy; s-rectangular KL and
    chi-square: the policy from a per-state convex program (cvxpy), its
    value certified by nature's exact response (a one-dimensional Lagrangian
    dual) from below and by a feasible kernel from above, so the inner gap
    is the solver's accuracy.

    Parameters
    ----------
    mdp : FiniteMDP
        A discounted model (``gamma < 1``), dense or CSR, with or without an
        action mask.
    uncertainty : UncertaintySet
    tol : float
        Target width ``max(v_upper - v_lower)``.
    max_iter : int
        Maximum number of updates (``>= 0``; 0 certifies ``v0``).
    v0 : array_like, shape (S,), optional
        Start (zeros by default).
    inner_tol : float, optional
        Target gap of the inner problems solved by iterative duals (KL,
        Wasserstein-1); default ``(1 - gamma) * tol / 4``. Gaps above it
        (iteration caps) are still certified: they widen the bounds.

    Returns
    -------
    RobustDPResult

    Raises
    ------
    ValueError
        On a model that is not discounted, an uncertainty set that does not
        fit the model (shapes; a box not containing the nominal kernel), or
        bad settings.

    References
    ----------
    G. N. Iyengar, "Robust dynamic programming", *Math. Oper. Res.* 30(2), 2005.
    A. Nilim and L. El Ghaoui, "Robust control of Markov decision processes
    with uncertain transition matrices", *Oper. Res.* 53(5), 2005.
    W. Wiesemann, D. Kuhn and B. Rustem, "Robust Markov decision processes",
    *Math. Oper. Res.* 38(1), 2013.
    C. P. Ho, M. Petrik and W. Wiesemann, "Partial policy iteration for
    L1-robust Markov decision processes", *JMLR* 22, 2021.

    Examples
    --------
    Two states; action 1 of state 0 reaches the rewarding state 1 with
    probability 0.9. Nature may move up to ``kappa / 2 = 0.1`` of that mass
    back (an L1 ball of radius 0.2):

    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, UncertaintySet, robust_value_iteration, value_iteration
    >>> P = np.array([[[1.0, 0.0], [0.1, 0.9]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> R = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> mdp = FiniteMDP(P, R, gamma=0.9)
    >>> res = robust_value_iteration(mdp, UncertaintySet("l1", 0.2), tol=1e-10)
    >>> res.converged, res.policy
    (True, array([1, 0]))
    >>> bool(np.all(res.v_lower <= res.v_upper)) and bool(np.all(res.v <= value_iteration(mdp).v + 1e-9))
    True
    """
    bound = _bind(mdp, uncertainty, "robust_value_iteration")
    tol, max_iter = check_iteration_settings(tol, max_iter)
    inner_tol = _check_inner_tol(inner_tol, tol, mdp.gamma)
    u = _check_v0(mdp, v0)
    c = mdp.gamma / (1.0 - mdp.gamma)
    warm = np.full((mdp.n_states, mdp.n_actions), np.nan) if bound.kind == "kl" else None
    it = 0
    while True:
        t_lo, t_hi, _, _ = _backup(mdp, bound, u, inner_tol, warm)
        dmin, dmax = float(np.min(t_lo - u)), float(np.max(t_hi - u))
        if float(np.max((t_hi - t_lo) + c * (dmax - dmin))) <= tol or it >= max_iter:
            break
        u = t_lo
        it += 1
    return _finish(mdp, bound, u, t_lo, t_hi, it, tol, inner_tol, warm, "value-iteration")


# ===================================================================== policy iteration
def _nature_kernel(mdp, bound, v, pol, inner_tol, warm=None):
    r"""Nature's best response to ``pol`` (S, A) at ``v``: ``(P_pi (S, S), r_pi (S,), T^pi_lo v (S,))``."""
    P = mdp.dense_P
    R = np.asarray(mdp.R)
    mask = np.asarray(mdp.action_mask)
    S = mdp.n_states
    P_pi = np.zeros((S, S))
    r_pi = np.einsum("sa,sa->s", pol, np.where(mask, R, 0.0))
    t = np.empty(S)
    if bound.rect == "sa":
        acts = np.argmax(pol, axis=1)
        lo, _, rows = _sigma_reference(mdp, bound, v, inner_tol, pairs=[(s, int(acts[s])) for s in range(S)], warm=warm)
        for s in range(S):
            P_pi[s] = rows[(s, int(acts[s]))]
            t[s] = R[s, acts[s]] + mdp.gamma * lo[s, acts[s]]
        return P_pi, r_pi, t
    for s in range(S):
        t[s], rows, _ = _s_response(bound, P[s], R[s], mask[s], v, float(bound.radius[s]), mdp.gamma, pol[s], inner_tol)
        P_pi[s] = np.where(mask[s], pol[s], 0.0) @ rows
    return P_pi, r_pi, t


def _robust_evaluation(mdp, bound, pol, v, inner_tol, tol, max_eval, warm=None):
    r"""Robust value of a fixed policy by nature's policy iteration (Iyengar 2005, Sec. 5: for a fixed
    policy, nature faces an MDP): solve for the worst-case kernel of the current value, repeat.
    After the first solve the values decrease monotonically; stops when
    :math:`\|v - T^\pi_{lo} v\|_\infty \le` ``tol``."""
    S = mdp.n_states
    for _ in range(max_eval):
        P_pi, r_pi, t = _nature_kernel(mdp, bound, v, pol, inner_tol, warm)
        if float(np.max(np.abs(v - t))) <= tol:
            break
        v = np.linalg.solve(np.eye(S) - mdp.gamma * P_pi, r_pi)
    return v


def robust_policy_iteration(
    mdp: FiniteMDP,
    uncertainty: UncertaintySet,
    *,
    tol: float = 1e-8,
    max_iter: int = 1000,
    inner_tol=None,
    max_evaluation_steps: int = 1000,
) -> RobustDPResult:
    r"""Robust policy iteration: robust evaluation by nature's policy iteration, max-min improvement, certified bounds.

    Each iteration evaluates the current policy :math:`\pi_k` robustly,
    :math:`v_k = v^{\pi_k}_{robust}`, the fixed point of :math:`T^{\pi_k}`
    (nature minimizing over the set for the fixed policy is itself an MDP
    with convex action sets, Iyengar 2005, Sec. 5; it is solved by policy
    iteration on nature's side: worst-case kernel of the current value, then
    an exact linear solve, values decreasing monotonically and, for the
    polyhedral sets, finitely), then improves with the max-min policy at
    :math:`v_k` (greedy for (s,a)-rectangular sets, keeping the current
    action on ties; the randomized per-state solution for s-rectangular
    ones). Since :math:`T^{\pi_{k+1}} v_k = T v_k \ge T^{\pi_k} v_k = v_k`
    and :math:`T^{\pi_{k+1}}` is monotone, :math:`v_{k+1} \ge v_k`
    (Iyengar 2005, Sec. 5; Kaufman & Schaefer 2013). The loop stops when
    the certified interval of a backup at :math:`v_k` (as in
    :func:`robust_value_iteration`) has width :math:`\le` ``tol``, or when
    the (deterministic) policy no longer changes.

    Parameters
    ----------
    mdp : FiniteMDP
    uncertainty : UncertaintySet
    tol : float
        Target width of the certified interval; also the evaluation
        tolerance :math:`\max(v - T^\pi v) \le (1-\gamma)\,\mathrm{tol}/4`.
    max_iter : int
        Maximum number of policies evaluated (``>= 1``).
    inner_tol : float, optional
        As in :func:`robust_value_iteration`.
    max_evaluation_steps : int
        Cap on nature's policy-iteration steps per evaluation.

    Returns
    -------
    RobustDPResult

    References
    ----------
    G. N. Iyengar, "Robust dynamic programming", *Math. Oper. Res.* 30(2), 2005.
    D. L. Kaufman and A. J. Schaefer, "Robust modified policy iteration",
    *INFORMS J. Comput.* 25(3), 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, UncertaintySet, robust_policy_iteration, robust_value_iteration
    >>> P = np.array([[[1.0, 0.0], [0.1, 0.9]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> mdp = FiniteMDP(P, np.array([[0.0, 0.0], [1.0, 1.0]]), gamma=0.9)
    >>> U = UncertaintySet("l1", 0.2)
    >>> pi, vi = robust_policy_iteration(mdp, U), robust_value_iteration(mdp, U)
    >>> pi.policy, bool(np.all(pi.v_lower <= vi.v_upper) and np.all(vi.v_lower <= pi.v_upper))
    (array([1, 0]), True)
    """
    from rltheory._validation import check_int, check_tol

    bound = _bind(mdp, uncertainty, "robust_policy_iteration")
    tol = check_tol(tol)
    max_iter = check_int("max_iter", max_iter, low=1)
    max_eval = check_int("max_evaluation_steps", max_evaluation_steps, low=1)
    inner_tol = _check_inner_tol(inner_tol, tol, mdp.gamma)
    c = mdp.gamma / (1.0 - mdp.gamma)
    S, A = mdp.n_states, mdp.n_actions
    mask = np.asarray(mdp.action_mask)
    warm = np.full((S, A), np.nan) if bound.kind == "kl" else None
    pol = np.zeros((S, A))
    pol[np.arange(S), np.argmax(np.where(mask, np.asarray(mdp.R), -np.inf), axis=1)] = 1.0  # myopic start
    v = np.zeros(S)
    eval_tol = 0.25 * (1.0 - mdp.gamma) * tol
    it = 0
    while True:
        it += 1
        P_pi, r_pi, _ = _nature_kernel(mdp, bound, v, pol, inner_tol, warm)
        v = _robust_evaluation(
            mdp, bound, pol, np.linalg.solve(np.eye(S) - mdp.gamma * P_pi, r_pi), inner_tol, eval_tol, max_eval, warm
        )
        t_lo, t_hi, new_pol, q_lo = _backup(mdp, bound, v, inner_tol, warm)
        dmin, dmax = float(np.min(t_lo - v)), float(np.max(t_hi - v))
        if float(np.max((t_hi - t_lo) + c * (dmax - dmin))) <= tol or it >= max_iter:
            break
        if bound.rect == "sa":
            cur = np.argmax(pol, axis=1)
            threshold = 1e-12 * max(1.0, float(np.max(np.abs(v))))
            better = q_lo.max(axis=1) > q_lo[np.arange(S), cur] + threshold
            if not better.any():
                break
            new = np.where(better, np.argmax(q_lo, axis=1), cur)
            new_pol = np.zeros((S, A))
            new_pol[np.arange(S), new] = 1.0
        pol = new_pol
    return _finish(mdp, bound, v, t_lo, t_hi, it, tol, inner_tol, warm, "policy-iteration")


# ===================================================================== operators and inner values
@dataclass(frozen=True, eq=False)
class WorstCaseResult:
    r"""Result of :func:`worst_case_values`.

    Attributes
    ----------
    lower, upper : numpy.ndarray, shape (S, A)
        Certified :math:`\sigma^{lo}_{s,a} \le \min_{p \in \mathcal U_{s,a}} p^\top v \le \sigma^{hi}_{s,a}`
        (``nan`` on disallowed actions).
    kernel : numpy.ndarray, shape (S, A, S)
        A feasible worst-case distribution per pair, with :math:`p^\top v = \sigma^{hi}`.
    method : str
        ``"exact"`` or ``"cvxpy"``.

    Examples
    --------
    An l1 ball of radius 0.4 around the uniform law lets nature move 0.2 of the mass from the best
    state to the worst: :math:`p = (8/15, 1/3, 2/15)`, :math:`p^\top v = 1/3 + 4/15 = 0.6`:

    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, UncertaintySet, worst_case_values
    >>> mdp = FiniteMDP(np.full((3, 1, 3), 1 / 3), np.zeros((3, 1)), gamma=0.5)
    >>> ex = worst_case_values(mdp, UncertaintySet("l1", 0.4), np.array([0.0, 1.0, 2.0]))
    >>> ex.method, ex.lower.round(6).tolist(), ex.upper.round(6).tolist()
    ('exact', [[0.6], [0.6], [0.6]], [[0.6], [0.6], [0.6]])
    >>> ex.kernel[2, 0].round(6).tolist()
    [0.533333, 0.333333, 0.133333]
    """

    lower: np.ndarray
    upper: np.ndarray
    kernel: np.ndarray
    method: str


def worst_case_values(
    mdp: FiniteMDP,
    uncertainty: UncertaintySet,
    v,
    *,
    method: str = "exact",
    solver: str | None = None,
    tol: float = 1e-7,
    solver_options: dict | None = None,
    inner_tol: float = 1e-12,
) -> WorstCaseResult:
    r"""Nature's inner problems :math:`\sigma_{s,a}(v) = \min_{p \in \mathcal U_{s,a}} p^\top v`, certified.

    ``method="exact"``: the closed forms and one-dimensional duals of
    :func:`robust_value_iteration` (NumPy reference implementations).
    ``method="cvxpy"``: one convex program per pair (the reference the exact
    solvers are checked against), every solve checked as in
    :func:`~rltheory.tabular.linear_programming`: status, primal feasibility
    of the solver's point (within ``tol``), dual feasibility of its
    multipliers, and the gap between the value of a repaired feasible point
    (upper bound) and the dual function at the multipliers (lower bound,
    weak duality), :math:`\le \mathrm{tol}\cdot\max(1, \|v\|_\infty)`.

    (s,a)-rectangular sets only (s-rectangular inner problems depend on the
    policy).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, UncertaintySet, worst_case_values
    >>> mdp = FiniteMDP(np.full((3, 1, 3), 1 / 3), np.zeros((3, 1)), gamma=0.5)
    >>> v = np.array([0.0, 1.0, 2.0])
    >>> ex = worst_case_values(mdp, UncertaintySet("l1", 0.4), v)
    >>> ex.kernel[0, 0].round(6), round(float(ex.upper[0, 0]), 6)  # 0.2 moved from state 2 to state 0
    (array([0.533333, 0.333333, 0.133333]), 0.6)
    >>> cx = worst_case_values(mdp, UncertaintySet("l1", 0.4), v, method="cvxpy")
    >>> bool(cx.lower[0, 0] <= ex.upper[0, 0] and ex.lower[0, 0] <= cx.upper[0, 0])
    True
    """
    bound = _bind(mdp, uncertainty, "worst_case_values")
    if bound.rect != "sa":
        raise ValueError(
            "worst_case_values handles (s,a)-rectangular sets; s-rectangular inner problems depend on the policy"
        )
    method = check_choice("method", method, ("exact", "cvxpy"))
    if method == "cvxpy" and bound.kind == "hull":
        raise ValueError("hull sets are solved exactly by enumerating their kernels; use method='exact'")
    v = _check_values(mdp, v)
    from rltheory._validation import check_real

    inner_tol = check_real("inner_tol", inner_tol, low=0.0, low_open=True)
    S, A = mdp.n_states, mdp.n_actions
    kernel = np.zeros((S, A, S))
    if method == "exact":
        lo, hi, rows = _sigma_reference(mdp, bound, v, inner_tol)
    else:
        tol = check_tol(tol)
        opts = check_solver_options(solver_options)
        name = choose_solver(solver)
        P = mdp.dense_P
        lo = np.full((S, A), np.nan)
        hi = np.full((S, A), np.nan)
        rows = {}
        for s, a in map(tuple, np.argwhere(np.asarray(mdp.action_mask))):
            kappa = 0.0 if bound.radius is None else float(bound.radius[s, a])
            lb = None if bound.lower is None else bound.lower[s, a]
            ub = None if bound.upper is None else bound.upper[s, a]
            lo[s, a], hi[s, a], rows[(s, a)] = _inner_cvxpy(
                bound.kind, P[s, a], v, kappa, lb, ub, bound.metric, solver=name, tol=tol, solver_options=opts
            )
    for (s, a), p in rows.items():
        kernel[s, a] = p
    return WorstCaseResult(lower=readonly(lo), upper=readonly(hi), kernel=readonly(kernel), method=method)


def robust_bellman_operator(mdp: FiniteMDP, uncertainty: UncertaintySet, v, *, inner_tol: float = 1e-12) -> np.ndarray:
    r"""The robust Bellman operator :math:`(T v)(s)` (max-min; module docstring), with certified inner lower bounds.

    Exact for the L1, L-infinity, box and chi-square sets (and s-rectangular
    L1); for KL and Wasserstein-1 the result is within
    :math:`\gamma\cdot` ``inner_tol`` below :math:`T v`; for s-rectangular KL
    and chi-square it is the certified lower bound of
    :func:`robust_value_iteration` (below :math:`T v` by at most the
    convex solver's accuracy).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, UncertaintySet, bellman_operator, robust_bellman_operator
    >>> P = np.array([[[0.5, 0.5]], [[0.0, 1.0]]])
    >>> mdp = FiniteMDP(P, np.zeros((2, 1)), gamma=0.5)
    >>> v = np.array([0.0, 2.0])
    >>> robust_bellman_operator(mdp, UncertaintySet("l1", 0.0), v), bellman_operator(mdp, v)
    (array([0.5, 1. ]), array([0.5, 1. ]))
    >>> robust_bellman_operator(mdp, UncertaintySet("l1", 1.0), v)  # nature sends half the mass to state 0
    array([0. , 0.5])
    """
    bound = _bind(mdp, uncertainty, "robust_bellman_operator")
    v = _check_values(mdp, v)
    from rltheory._validation import check_real

    inner_tol = check_real("inner_tol", inner_tol, low=0.0, low_open=True)
    return _backup(mdp, bound, v, inner_tol)[0]


# ===================================================================== seed: static robust MDPs (IWOCS)
@dataclass(frozen=True, eq=False)
class StaticRobustResult:
    r"""Result of :func:`iwocs`.

    Attributes
    ----------
    policy : numpy.ndarray of int64, shape (S,)
        The best deterministic stationary policy found (highest static robust value).
    value_lower : float
        Its static robust value :math:`\min_k \mu^\top v^\pi_{T_k}` over *all* kernels (exact
        policy evaluations): a certified lower bound on the static robust optimum.
    value_upper : float
        :math:`\min_{j \in \text{found}} \mu^\top v^*_{T_j} \ge \max_\pi \min_k \mu^\top v^\pi_{T_k}`
        (max-min <= min-max): a certified upper bound.
    worst_kernel : int
        The kernel attaining ``value_lower``.
    found : numpy.ndarray of int64
        Indices of the kernels the search added, in order (the first is kernel 0).
    iterations : int
    converged : bool
        ``value_upper - value_lower <= tol``.
    dynamic_lower, dynamic_upper : float
        Certified bounds on :math:`\mu^\top v^*` of the *dynamic* problem over the
        (s,a)-rectangular hull of the kernels (:class:`UncertaintySet` ``"hull"``, robust value
        iteration), which is :math:`\le` the static optimum; ``value_lower - dynamic_upper > 0``
        certifies a strict static-dynamic gap.
    lower_history, upper_history : numpy.ndarray
        ``value_lower`` and ``value_upper`` after each iteration.

    Examples
    --------
    The example of :func:`iwocs` (each kernel spoils one of two start states): kernel 0 alone already
    certifies the static value 1/2, while the dynamic (rectangular) problem spoils both:

    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, iwocs
    >>> T = np.zeros((2, 4, 1, 4))
    >>> T[:, 2, 0, 2] = T[:, 3, 0, 3] = 1.0
    >>> T[0, 0, 0, 3] = T[0, 1, 0, 2] = T[1, 0, 0, 2] = T[1, 1, 0, 3] = 1.0
    >>> mdp = FiniteMDP(T[0], np.array([[0.0], [0.0], [1.0], [0.0]]), gamma=0.5,
    ...                 initial_distribution=[0.5, 0.5, 0.0, 0.0])
    >>> res = iwocs(mdp, T)
    >>> res.converged, res.found.tolist(), res.worst_kernel, res.lower_history.tolist(), res.upper_history.tolist()
    (True, [0], 0, [0.5], [0.5])
    >>> bool(res.value_lower - res.dynamic_upper > 0)  # a certified static-dynamic gap
    True
    """

    policy: np.ndarray
    value_lower: float
    value_upper: float
    worst_kernel: int
    found: np.ndarray
    iterations: int
    converged: bool
    dynamic_lower: float
    dynamic_upper: float
    lower_history: np.ndarray
    upper_history: np.ndarray


def iwocs(mdp: FiniteMDP, kernels, *, max_iter: int = 100, tol: float = 1e-8) -> StaticRobustResult:
    r"""Incremental worst-case search (IWOCS) for the static robust problem over a finite set of kernels.

    The *static* model: nature picks one kernel :math:`T` from :math:`\mathcal T =
    \{T_1, \dots, T_K\}` (a generally non-rectangular set) for the whole run, and the agent
    wants :math:`\max_\pi \min_{T \in \mathcal T} \mu^\top v^\pi_T` over stationary
    deterministic policies. The *dynamic* model lets nature re-pick at every step, i.e. play
    in the (s,a)-rectangular hull :math:`\mathrm{rect}(\mathcal T)` (each row from any
    kernel); it is never better for the agent. For rectangular sets the two coincide
    (for a fixed stationary policy nature's best dynamic response is stationary, so it is one
    kernel of the set; Iyengar 2005, Sec. 3; Zouitine, Geist & Rachelson 2024, Sec. 3) and
    :math:`\max\min = \min\max` (the robust MDP is a zero-sum game with a saddle point); for
    non-rectangular sets the static value can be strictly larger.

    IWOCS (Zouitine, Geist & Rachelson 2024, Sec. 4), exactly in the tabular case: keep the
    kernels found so far, :math:`\mathcal T_i`; (1) *policy step*: the best, against
    :math:`\mathcal T_i`, of the optimal policies of the found kernels, the policy greedy for
    :math:`\min_{T \in \mathcal T_i} Q^*_T` (IWOCS's value estimate) and the robust policy of
    the hull of :math:`\mathcal T_i` (robust value iteration); (2) *worst-case step*: the
    kernel of :math:`\mathcal T` minimizing that policy's value (exact evaluations); stop when
    it is already in :math:`\mathcal T_i`. Certified throughout: the static robust value of the
    best policy (a lower bound on the static optimum) and
    :math:`\min_{T \in \mathcal T_i} \mu^\top v^*_T` (an upper bound: max-min <= min-max). At
    the end the dynamic problem over the hull is solved (robust value iteration); if nature's
    response to its policy is one of the given kernels (always for a rectangular product set,
    where it is the saddle-point kernel) that kernel's optimal value joins the upper bound.

    Parameters
    ----------
    mdp : FiniteMDP
        Rewards, discount, action mask and initial distribution :math:`\mu` (uniform if none);
        its kernel is not used (include it in ``kernels`` as kernel 0 if nature may keep it).
    kernels : array_like, shape (K, S, A, S)
        The set :math:`\mathcal T`; rows on allowed actions are distributions.
    max_iter : int
    tol : float

    Returns
    -------
    StaticRobustResult

    References
    ----------
    A. Zouitine, M. Geist, E. Rachelson, "Solving robust MDPs as a sequence of static RL
    problems", arXiv:2410.06212, 2024. G. N. Iyengar, "Robust dynamic programming", 2005.

    Examples
    --------
    Two states that each lead to a good or a bad absorbing state; kernel 0 spoils state 0,
    kernel 1 state 1. Statically nature spoils one of them; dynamically both:

    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, iwocs
    >>> T = np.zeros((2, 4, 1, 4))
    >>> T[:, 2, 0, 2] = T[:, 3, 0, 3] = 1.0                  # 2 good (reward 1), 3 bad (reward 0)
    >>> T[0, 0, 0, 3] = T[0, 1, 0, 2] = T[1, 0, 0, 2] = T[1, 1, 0, 3] = 1.0
    >>> mdp = FiniteMDP(T[0], np.array([[0.0], [0.0], [1.0], [0.0]]), gamma=0.5,
    ...                 initial_distribution=[0.5, 0.5, 0.0, 0.0])
    >>> res = iwocs(mdp, T)
    >>> res.value_lower, res.value_upper, round(res.dynamic_upper, 6)
    (0.5, 0.5, 0.0)
    """
    from rltheory._validation import check_int, check_tol
    from rltheory.tabular._policy_evaluation import policy_evaluation
    from rltheory.tabular._policy_iteration import policy_iteration

    FiniteMDP.require(mdp, "discounted", "iwocs")
    hull = UncertaintySet("hull", kernels=kernels)
    bound = _bind(mdp, hull, "iwocs")
    K = bound.kernels
    n = K.shape[0]
    max_iter = check_int("max_iter", max_iter, low=1)
    tol = check_tol(tol)
    S, A = mdp.n_states, mdp.n_actions
    mu = np.asarray(mdp.initial_distribution) if mdp.initial_distribution is not None else np.full(S, 1.0 / S)
    mask = np.asarray(mdp.action_mask)
    models = [
        FiniteMDP(K[k], mdp.R, gamma=mdp.gamma, action_mask=mask if mdp.has_action_mask else None) for k in range(n)
    ]
    solved = {}

    def optimum(k):
        if k not in solved:
            res = policy_iteration(models[k])
            solved[k] = (float(mu @ np.asarray(res.v)), np.asarray(res.policy), np.asarray(res.q))
        return solved[k]

    def value(k, pol):
        return float(mu @ np.asarray(policy_evaluation(models[k], pol).v))

    found = [0]
    best_pol, best_lower, worst = None, -np.inf, 0
    lowers, uppers = [], []
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007  (it is read after the loop)
        cands = [optimum(j)[1] for j in found]
        qmin = np.min([optimum(j)[2] for j in found], axis=0)
        cands.append(np.argmax(np.where(mask, qmin, -np.inf), axis=1).astype(np.int64))
        sub = UncertaintySet("hull", kernels=K[found])
        cands.append(np.asarray(robust_value_iteration(mdp, sub, tol=tol).policy))
        scores = [min(value(j, c) for j in found) for c in cands]
        pol = cands[int(np.argmax(scores))]
        vals = np.array([value(k, pol) for k in range(n)])
        k_new = int(np.argmin(vals))
        if vals[k_new] > best_lower:
            best_pol, best_lower, worst = pol, float(vals[k_new]), k_new
        upper = min(optimum(j)[0] for j in set(found) | {k_new})
        lowers.append(best_lower)
        uppers.append(upper)
        if k_new in found or upper - best_lower <= tol:
            break
        found.append(k_new)
    dyn = robust_value_iteration(mdp, hull, tol=tol)
    # nature's dynamic response to the dynamic robust policy: a kernel of the hull; when it is one of the given
    # kernels (always, for a rectangular product set) its optimal value bounds the static optimum too, and for
    # rectangular sets it is the saddle-point kernel, so the bound is tight
    vd = np.asarray(dyn.v)
    rows = np.einsum("ksat,t->ksa", K, vd)
    choice = np.argmin(rows, axis=0)
    T_dyn = K[choice, np.arange(S)[:, None], np.arange(A)[None, :]]
    same = np.flatnonzero(
        [np.array_equal(np.where(mask[..., None], K[k], 0.0), np.where(mask[..., None], T_dyn, 0.0)) for k in range(n)]
    )
    if same.size:
        uppers[-1] = min(uppers[-1], optimum(int(same[0]))[0])
    return StaticRobustResult(
        policy=readonly(np.asarray(best_pol, dtype=np.int64)),
        value_lower=best_lower,
        value_upper=float(uppers[-1]),
        worst_kernel=int(worst),
        found=readonly(np.array(found, dtype=np.int64)),
        iterations=it,
        converged=bool(uppers[-1] - best_lower <= tol),
        dynamic_lower=float(mu @ np.asarray(dyn.v_lower)),
        dynamic_upper=float(mu @ np.asarray(dyn.v_upper)),
        lower_history=readonly(np.array(lowers)),
        upper_history=readonly(np.array(uppers)),
    )


# ===================================================================== seed: regularized robust DP (R2PVI, tabular)
DIVERGENCES = ("kl", "chi2", "tv")


def _regularized_inner(divergence, q, v, beta):
    r"""Nature's penalized problem :math:`\min_{p \in \Delta} p^\top v + \beta D(p, q)` by its closed-form dual.

    * KL (Donsker-Varadhan): :math:`-\beta \log \mathbb E_q e^{-v/\beta}`, attained by
      :math:`p \propto q e^{-v/\beta}`;
    * TV, :math:`D = \tfrac12\|p - q\|_1`: :math:`\sum_j q_j \min(v_j, v_{min} + \beta)` (moving a
      unit of mass to the lowest value costs :math:`\beta` and gains :math:`v_j - v_{min}`);
    * chi-square, :math:`D = \sum_j (p_j - q_j)^2/q_j`: the dual
      :math:`\max_\eta\, \eta - \beta\, \mathbb E_q f^*((\eta - v)/\beta)` with the conjugate
      :math:`f^*(s) = s + s^2/4` (:math:`s \ge -2`), :math:`-1` (:math:`s < -2`) of
      :math:`f(t) = (t-1)^2`; stationarity :math:`\sum_j q_j (1 + (\eta - v_j)/(2\beta))^+ = 1`
      is solved exactly on the sorted values, :math:`p_j = q_j(1 + (\eta - v_j)/(2\beta))^+`.

    Returns ``(lo, hi, p)``: ``lo`` the dual value (a lower bound for any dual point), ``hi`` the
    primal value of the feasible ``p`` (an upper bound for any distribution).
    """
    if divergence == "kl":
        supp = q > 0
        vmin = float(v[supp].min())
        e = np.where(supp, q * np.exp(-(v - vmin) / beta), 0.0)
        Z = float(e.sum())
        lo = vmin - beta * np.log(Z)
        p = e / Z
        s = p > 0
        hi = float(p @ v) + beta * float(np.sum(p[s] * np.log(p[s] / q[s])))
        return min(lo, hi), hi, p
    if divergence == "tv":
        j = int(np.argmin(v))
        move = v > v[j] + beta
        p = np.where(move, 0.0, q)
        p[j] += float(q[move].sum())
        lo = float(q @ np.minimum(v, v[j] + beta))
        hi = float(p @ v) + beta * 0.5 * float(np.abs(p - q).sum())
        return min(lo, hi), hi, p
    supp = np.flatnonzero(q > 0)
    qs, vs = q[supp], v[supp]
    order = np.argsort(vs, kind="stable")
    qs, vs = qs[order], vs[order]
    Q = S1 = 0.0
    eta = None
    for k in range(vs.size):
        Q += qs[k]
        S1 += qs[k] * vs[k]
        cand = (2.0 * beta * (1.0 - Q) + S1) / Q
        nxt = vs[k + 1] if k + 1 < vs.size else np.inf
        if cand + 2.0 * beta < nxt:  # the active set {v_j <= eta + 2 beta} is exactly the first k + 1
            eta = cand
            break
    w = (eta - vs) / beta
    conj = np.where(w >= -2.0, w + w * w / 4.0, -1.0)
    lo = float(eta - beta * (qs @ conj))
    ps = qs * np.maximum(0.0, 1.0 + (eta - vs) / (2.0 * beta))
    ps = ps / ps.sum()
    hi = float(ps @ vs) + beta * float(np.sum((ps - qs) ** 2 / qs))
    p = np.zeros_like(q, dtype=float)
    p[supp[order]] = ps
    return min(lo, hi), hi, p


def _regularized_inner_cvxpy(divergence, q, v, beta, *, solver, tol, solver_options):
    r"""The penalized inner problem as a checked cvxpy program: ``(lower, upper, p)``.

    Status first; the solver's point, projected on the simplex, is feasible and gives the upper
    bound; the lower bound is the closed-form dual evaluated at the solver's multiplier of
    :math:`\sum p = 1` (:math:`\eta`; any value is a valid dual point), checked within ``tol``.
    """
    import cvxpy as cp

    from rltheory.tabular._lp_certificates import require_optimal

    supp = np.flatnonzero(q > 0) if divergence in ("kl", "chi2") else np.arange(q.size)
    x = cp.Variable(supp.size, nonneg=True)
    qs, vs = q[supp], v[supp]
    if divergence == "kl":
        pen = cp.sum(cp.rel_entr(x, qs))
    elif divergence == "chi2":
        pen = cp.sum(cp.multiply(1.0 / qs, cp.square(x - qs)))
    else:
        pen = 0.5 * cp.norm1(x - qs)
    total = cp.sum(x) == 1
    problem = cp.Problem(cp.Minimize(vs @ x + beta * pen), [total])
    problem.solve(solver=solver, **solver_options)
    require_optimal(problem, solver, what="the regularized inner-problem solver")
    raw = np.maximum(np.asarray(x.value), 0.0)
    primal = float(abs(np.asarray(x.value).sum() - 1.0))
    p = np.zeros(q.size)
    p[supp] = raw / raw.sum()

    def objective(p):
        if divergence == "kl":
            s = p > 0
            return float(p @ v) + beta * float(np.sum(p[s] * np.log(p[s] / q[s])))
        if divergence == "chi2":
            s = q > 0
            return float(p @ v) + beta * float(np.sum((p[s] - q[s]) ** 2 / q[s]))
        return float(p @ v) + beta * 0.5 * float(np.abs(p - q).sum())

    upper = objective(p)
    eta = float(np.ravel(total.dual_value)[0])

    def dual(e):  # g(eta) = eta - beta E_q f*((eta - v)/beta), f* the conjugate of the divergence's f
        w = (e - v[q > 0]) / beta
        qq = q[q > 0]
        if divergence == "kl":  # f(t) = t log t - t + 1: f*(s) = e^s - 1
            return e - beta * float(qq @ np.expm1(np.minimum(w, 700.0)))
        if divergence == "chi2":
            return e - beta * float(qq @ np.where(w >= -2.0, w + w * w / 4.0, -1.0))
        # TV with D = (1/2)|p - q|_1: f(t) = |t - 1|/2, f*(s) = max(s, -1/2) for s <= 1/2 (+inf above)
        vmin = float(v.min())
        e = min(e, vmin + 0.5 * beta)
        w = (e - v[q > 0]) / beta
        return e - beta * float(qq @ np.maximum(w, -0.5))

    # every eta is a dual point; the solver's multiplier of sum p = 1 is eta up to its sign convention and, for KL
    # (cvxpy's rel_entr lacks the -p + q terms of f(t) = t log t - t + 1), a shift by beta
    with np.errstate(over="ignore", invalid="ignore"):
        cands = [dual(e) for e in (eta, -eta, eta - beta, -eta - beta)]
    lower = max(c for c in cands + [-np.inf] if np.isfinite(c) or c == -np.inf)
    scale = max(1.0, float(np.max(np.abs(v))))
    check_certificate(
        [("primal infeasibility", primal, tol), ("duality gap", upper - lower, tol * scale)],
        solver,
        tol,
        what=f"regularized inner {divergence} program",
    )
    return min(lower, upper), upper, p


def regularized_worst_case_values(
    mdp: FiniteMDP,
    divergence: str,
    regularization,
    v,
    *,
    method: str = "exact",
    solver: str | None = None,
    tol: float = 1e-7,
    solver_options: dict | None = None,
) -> WorstCaseResult:
    r"""Nature's penalized inner problems :math:`\min_{p \in \Delta} p^\top v + \beta_{s,a} D(p, P(\cdot|s,a))`.

    ``method="exact"``: the closed-form duals of :func:`regularized_robust_value_iteration`;
    ``method="cvxpy"``: one checked convex program per pair (the reference).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, regularized_worst_case_values
    >>> mdp = FiniteMDP(np.full((2, 1, 2), 0.5), np.zeros((2, 1)), gamma=0.5)
    >>> ex = regularized_worst_case_values(mdp, "kl", 1.0, np.array([0.0, 1.0]))
    >>> bool(abs(ex.upper[0, 0] + np.log(0.5 + 0.5 * np.exp(-1.0))) < 1e-15)  # -beta log E_q exp(-v/beta)
    True
    """
    bound_mdp, beta = _check_regularized(mdp, divergence, regularization, "regularized_worst_case_values")
    method = check_choice("method", method, ("exact", "cvxpy"))
    v = _check_values(mdp, v)
    P = mdp.dense_P
    S, A = mdp.n_states, mdp.n_actions
    lo = np.full((S, A), np.nan)
    hi = np.full((S, A), np.nan)
    kernel = np.zeros((S, A, S))
    if method == "cvxpy":
        tol = check_tol(tol)
        opts = check_solver_options(solver_options)
        name = choose_solver(solver)
    for s, a in map(tuple, np.argwhere(np.asarray(mdp.action_mask))):
        if method == "exact":
            lo[s, a], hi[s, a], kernel[s, a] = _regularized_inner(divergence, P[s, a], v, float(beta[s, a]))
        else:
            lo[s, a], hi[s, a], kernel[s, a] = _regularized_inner_cvxpy(
                divergence, P[s, a], v, float(beta[s, a]), solver=name, tol=tol, solver_options=opts
            )
    return WorstCaseResult(lower=readonly(lo), upper=readonly(hi), kernel=readonly(kernel), method=method)


def _check_regularized(mdp, divergence, regularization, who):
    FiniteMDP.require(mdp, "discounted", who)
    check_choice("divergence", divergence, DIVERGENCES)
    if isinstance(regularization, bool):
        raise ValueError(f"regularization must be a positive number or an (S, A) array, got {regularization!r}")
    beta = np.array(regularization, dtype=float)
    if beta.ndim == 0:
        beta = np.full((mdp.n_states, mdp.n_actions), float(beta))
    check_shape("regularization", beta, (mdp.n_states, mdp.n_actions))
    check_finite("regularization", beta)
    if (beta <= 0).any():
        s, a = (int(i) for i in np.argwhere(beta <= 0)[0])
        raise ValueError(f"regularization[{s}, {a}] = {float(beta[s, a])!r} must be > 0")
    return mdp, beta


def regularized_robust_value_iteration(
    mdp: FiniteMDP,
    divergence: str,
    regularization,
    *,
    penalty=None,
    tol: float = 1e-8,
    max_iter: int = 100_000,
    v0=None,
) -> RobustDPResult:
    r"""Robust *regularized* value iteration (the tabular case of R2PVI), with certified bounds.

    The robust regularized MDP (RRMDP) replaces nature's hard constraint by a penalty
    (Tang, Liu & Xu 2024/2025, "Robust offline reinforcement learning with linearly structured
    f-divergence regularization", whose d-rectangular sets are (s,a)-rectangular when the
    features are one-hot):

    .. math::

        (T v)(s) = \max_a \Big[ r(s,a) - \Gamma(s,a) + \gamma \min_{p \in \Delta}
        \big( p^\top v + \beta_{s,a} D(p, P(\cdot|s,a)) \big) \Big],

    with :math:`D` the KL, chi-square or total-variation divergence and the inner problem in
    closed form (:func:`_regularized_inner`). :math:`\Gamma \ge 0` is R2PVI's pessimism
    penalty, given by the caller (for one-hot features R2PVI's uncertainty quantifier is
    :math:`\Gamma(s,a) = c / \sqrt{N(s,a) + \lambda}` from the counts of an offline dataset; the
    statistical choice of :math:`c` is the paper's and is not made here). The inner value is
    shift-equivariant and monotone in :math:`v`, so :math:`T` is a monotone
    :math:`\gamma`-contraction with :math:`T(v + c) = T v + \gamma c` and the MacQueen-Porteus
    bounds of :func:`robust_value_iteration` certify the result (exact inner values: KL and TV
    closed forms, chi-square by the exact dual root).

    Parameters
    ----------
    mdp : FiniteMDP
        The nominal (e.g. estimated) model, discounted.
    divergence : {"kl", "chi2", "tv"}
    regularization : float or array_like, shape (S, A)
        :math:`\beta > 0`; larger is closer to the nominal model.
    penalty : array_like, shape (S, A), optional
        :math:`\Gamma \ge 0` subtracted from the rewards (pessimism).
    tol, max_iter, v0
        As in :func:`robust_value_iteration`.

    Returns
    -------
    RobustDPResult
        ``method = "regularized-robust-value-iteration"``.

    References
    ----------
    C. Tang, Z. Liu, P. Xu, "Robust offline reinforcement learning with linearly structured
    f-divergence regularization", arXiv:2411.18612, 2024.
    E. Derman, M. Geist, S. Mannor, "Twice regularized MDPs and the equivalence between
    robustness and regularization", NeurIPS 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, regularized_robust_value_iteration, value_iteration
    >>> P = np.array([[[0.5, 0.5]], [[0.0, 1.0]]])
    >>> mdp = FiniteMDP(P, np.array([[0.0], [1.0]]), gamma=0.9)
    >>> res = regularized_robust_value_iteration(mdp, "tv", 1.0, tol=1e-10)
    >>> bool(res.converged and np.all(res.v <= value_iteration(mdp, tol=1e-10).v + 1e-9))
    True
    """
    mdp, beta = _check_regularized(mdp, divergence, regularization, "regularized_robust_value_iteration")
    tol, max_iter = check_iteration_settings(tol, max_iter)
    S, A = mdp.n_states, mdp.n_actions
    if penalty is None:
        Gam = np.zeros((S, A))
    else:
        Gam = np.array(penalty, dtype=float)
        check_shape("penalty", Gam, (S, A))
        check_finite("penalty", Gam)
        if (Gam < 0).any():
            s, a = (int(i) for i in np.argwhere(Gam < 0)[0])
            raise ValueError(f"penalty[{s}, {a}] = {float(Gam[s, a])!r} is negative; the pessimism penalty is >= 0")
    P = mdp.dense_P
    R = np.asarray(mdp.R) - Gam
    mask = np.asarray(mdp.action_mask)
    pairs = np.argwhere(mask)
    g = mdp.gamma
    c = g / (1.0 - g)

    def backup(u):
        q_lo = np.full((S, A), -np.inf)
        q_hi = np.full((S, A), -np.inf)
        for s, a in pairs:
            lo, hi, _ = _regularized_inner(divergence, P[s, a], u, float(beta[s, a]))
            q_lo[s, a] = R[s, a] + g * lo
            q_hi[s, a] = R[s, a] + g * hi
        greedy = np.argmax(q_lo, axis=1)
        return q_lo[np.arange(S), greedy], q_hi.max(axis=1), greedy, q_lo

    u = _check_v0(mdp, v0)
    it = 0
    while True:
        t_lo, t_hi, _, _ = backup(u)
        dmin, dmax = float(np.min(t_lo - u)), float(np.max(t_hi - u))
        if float(np.max((t_hi - t_lo) + c * (dmax - dmin))) <= tol or it >= max_iter:
            break
        u = t_lo
        it += 1
    v_lower, v_upper = t_lo + c * dmin, t_hi + c * dmax
    width = t_hi - t_lo
    b = float(np.max(width + c * (dmax - dmin)))
    v_mid = t_lo + 0.5 * width + c * 0.5 * (dmin + dmax)
    m_lo, m_hi, greedy, q = backup(v_mid)
    psb = float(np.max(m_hi - m_lo)) + c * (float(np.max(m_hi - v_mid)) - float(np.min(m_lo - v_mid)))
    pol = np.zeros((S, A))
    pol[np.arange(S), greedy] = 1.0
    return RobustDPResult(
        v=readonly(v_mid),
        q=readonly(q),
        policy=readonly(greedy.astype(np.int64)),
        action_probabilities=readonly(pol),
        iterations=int(it),
        converged=bool(b <= tol),
        residual=float(max(abs(dmin), abs(dmax))),
        v_lower=readonly(v_lower),
        v_upper=readonly(v_upper),
        bound=b,
        policy_suboptimality_bound=psb,
        inner_gap=float(np.max(width)),
        method="regularized-robust-value-iteration",
    )
