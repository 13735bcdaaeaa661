r"""Multi-objective discounted MDPs: the exact Pareto front of the achievable value vectors, and hypervolumes.

With vector rewards :math:`r_1, \dots, r_k` and an initial distribution :math:`\mu`, a stationary policy
:math:`\pi` has the value vector :math:`J(\pi) = (\mu^\top v^\pi_{r_1}, \dots, \mu^\top v^\pi_{r_k})
= (\langle r_i, d^\pi_\mu\rangle)_i`. Since the occupancies of the stationary randomized policies form the flow
polytope :math:`\mathcal D` whose vertices are the deterministic policies' occupancies (Puterman 2005, Theorem
6.9.1 and Proposition 6.9.3), the achievable set :math:`\mathcal V = \{J(\pi)\}` is the polytope
:math:`\mathrm{conv}\{J(\pi) : \pi \text{ deterministic}\}`, a linear image of :math:`\mathcal D`. Its Pareto
front (the points not weakly dominated by another achievable point) is a union of faces of :math:`\mathcal V`,
and a point of a polytope is efficient iff it maximizes :math:`w^\top y` over :math:`\mathcal V` for some
strictly positive :math:`w` (Isermann 1974; Ehrgott 2005, *Multicriteria Optimization*, Theorem 6.6).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import scipy.optimize as so
import scipy.spatial as ss

from rltheory._validation import check_choice, check_finite, check_int, check_tol, readonly
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._occupancy_lp import (
    MAX_POLICIES,
    deterministic_policies,
    policy_occupancies,
    resolve_initial_distribution,
)

__all__ = ["ParetoFront", "hypervolume", "pareto_front", "pareto_gap", "vector_values"]

_EPS = float(np.finfo(float).eps)
#: Below this many deterministic policies (and k <= 3), ``method="auto"`` enumerates them.
AUTO_ENUMERATION_LIMIT = 4096


@dataclass(frozen=True, eq=False)
class ParetoFront:
    r"""Result of :func:`pareto_front`: the exact Pareto front of the achievable value vectors.

    Attributes
    ----------
    values : numpy.ndarray, shape (n, k)
        The Pareto-optimal vertices of the achievable set :math:`\mathcal V`, sorted lexicographically; every
        point of the front is a convex combination of the vertices of one of ``faces`` (achieved by mixing the
        vertices' policies, or by the stationary policy of the mixed occupancy).
    policies : numpy.ndarray of int64, shape (n, S)
        A deterministic policy attaining each vertex.
    weights : numpy.ndarray, shape (n, k)
        For each vertex, a strictly positive weight vector (summing to 1) for which it is an optimal
        scalarization :math:`\max_\pi w^\top J(\pi)`: the certificate that the vertex is efficient.
    faces : tuple of tuple of int
        The maximal efficient faces of :math:`\mathcal V`, as indices into ``values`` (for ``k = 2``, the
        segments between consecutive vertices; a single index is an isolated efficient vertex).
    vertex_gap : float
        :math:`\max_j [\max_\pi w_j^\top J(\pi) - w_j^\top x_j]`, each maximum an exact policy-iteration solve:
        how far any vertex is from optimal for its weight (``<= tol * scale``).
    facet_gap : float
        Completeness certificate: over every facet :math:`w^\top y \le b` (:math:`w \ge 0`) of
        :math:`\mathrm{conv}(\text{vertices}) - \mathbb R^k_{\ge 0}`, :math:`\max_\pi w^\top J(\pi) - b`, again
        exact solves; ``<= tol * scale`` proves that no achievable point lies beyond the returned front.
    scale : float
        :math:`\max(1, \max |x|)` over the vertices; the gaps are accepted up to ``tol * scale``.
    method : str
        ``"vertices"`` (enumeration of the deterministic policies) or ``"scalarization"``.
    n_solves : int
        Scalarized MDPs solved (policy iteration), certificates included.
    n_policies : int
        Deterministic policies evaluated (``method="vertices"``), else the number of distinct policies found.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, pareto_front
    >>> P = np.ones((1, 3, 1))  # one state, three actions, two objectives
    >>> rewards = np.array([[[1.0, 0.0, 0.4]], [[0.0, 1.0, 0.4]]])
    >>> front = pareto_front(FiniteMDP(P, np.zeros((1, 3)), gamma=0.5, initial_distribution=[1.0]), rewards)
    >>> front.values  # action 2 is dominated by the mixture of 0 and 1
    array([[0., 2.],
           [2., 0.]])
    >>> front.faces
    ((0, 1),)
    """

    values: np.ndarray
    policies: np.ndarray
    weights: np.ndarray
    faces: tuple
    vertex_gap: float
    facet_gap: float
    scale: float
    method: str
    n_solves: int
    n_policies: int


def _check_rewards(mdp: FiniteMDP, rewards) -> np.ndarray:
    S, A = mdp.n_states, mdp.n_actions
    try:
        r = np.asarray(rewards, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("rewards must be a real array of shape (k, S, A)") from None
    if r.ndim != 3 or r.shape[1:] != (S, A):
        raise ValueError(f"rewards has shape {r.shape}, expected (k, {S}, {A}) (k objectives)")
    if r.shape[0] < 1:
        raise ValueError("rewards must hold at least one objective (k >= 1)")
    check_finite("rewards", r)
    return r


def vector_values(mdp: FiniteMDP, rewards, policy, *, initial_distribution=None) -> np.ndarray:
    r"""The value vector :math:`J(\pi) = (\langle r_i, d^\pi_\mu \rangle)_{i \le k}` of a stationary policy.

    :math:`J_i(\pi) = \mu^\top v^\pi_{r_i} = \sum_{s,a} d^\pi_\mu(s,a)\, r_i(s,a)` (Puterman 2005, Sec. 6.9),
    with the unnormalized occupancy of :func:`~rltheory.tabular.discounted_occupancy`.

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted (``gamma < 1``); its own ``R`` is not used.
    rewards : array_like, shape (k, S, A)
    policy : array_like
        ``(S,)`` actions or ``(S, A)`` probabilities.
    initial_distribution : array_like, shape (S,), optional
        :math:`\mu`; default ``mdp.initial_distribution``.

    Returns
    -------
    numpy.ndarray, shape (k,)

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, vector_values
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5, initial_distribution=[1.0])
    >>> vector_values(mdp, np.array([[[1.0, 0.0]], [[0.0, 1.0]]]), np.array([[0.25, 0.75]]))
    array([0.5, 1.5])
    """
    from rltheory.tabular._policy_evaluation import discounted_occupancy

    FiniteMDP.require(mdp, "discounted", "vector_values")
    r = _check_rewards(mdp, rewards)
    mu = resolve_initial_distribution(mdp, initial_distribution, "vector_values")
    d = discounted_occupancy(mdp, policy, initial_distribution=mu)
    return np.einsum("ksa,sa->k", r, d)


# --------------------------------------------------------------------------- geometry of conv(X) - R^k_+
def _free_disposal_hull(X: np.ndarray, floor: np.ndarray):
    r"""Hull of the corners of the boxes :math:`[\text{floor}, x]`: :math:`(\mathrm{conv} X - \mathbb R^k_+) \cap
    \{z \ge \text{floor}\}` (full-dimensional since ``floor < X``). Returns ``(points, equations, n_real)``; the
    first ``len(X)`` points are ``X`` itself, the others the corners with some coordinates set to ``floor``."""
    n, k = X.shape
    subsets = np.array(list(itertools.product([False, True], repeat=k)), dtype=bool)[1:]  # non-empty subsets
    corners = np.where(subsets[None, :, :], floor[None, None, :], X[:, None, :]).reshape(-1, k)
    pts = np.vstack([X, corners])
    hull = ss.ConvexHull(pts)
    return pts, hull.equations, n


def _upper_facets(equations: np.ndarray, scale: float):
    """The distinct facets with normal >= 0 (the non-bottom ones): ``(normals (m, k), offsets (m,))``,
    normal summing to 1, facet ``w.y <= b``."""
    normals, offsets = equations[:, :-1], -equations[:, -1]
    keep = np.all(normals >= -1e-9, axis=1)
    w = np.maximum(normals[keep], 0.0)
    s = w.sum(axis=1)
    w, b = w / s[:, None], offsets[keep] / s
    # merge coplanar simplices of the triangulated output
    key = np.round(np.hstack([w, (b / scale)[:, None]]), 9)
    _, first = np.unique(key, axis=0, return_index=True)
    first = np.sort(first)
    return w[first], b[first]


def _cone_weight(normals: np.ndarray):
    r"""A strictly positive weight in the cone of ``normals`` (rows), or ``None``: maximize :math:`t` s.t.
    :math:`N^\top\lambda \ge t\mathbf 1`, :math:`\sum\lambda = 1`, :math:`\lambda \ge 0` (HiGHS)."""
    m, k = normals.shape
    c = np.zeros(m + 1)
    c[-1] = -1.0
    A_ub = np.hstack([-normals.T, np.ones((k, 1))])
    A_eq = np.hstack([np.ones((1, m)), np.zeros((1, 1))])
    res = so.linprog(
        c, A_ub=A_ub, b_ub=np.zeros(k), A_eq=A_eq, b_eq=[1.0], bounds=[(0, None)] * m + [(None, 1.0)], method="highs"
    )
    if res.status != 0 or -res.fun <= 1e-9:
        return None
    w = normals.T @ res.x[:m]
    return w / w.sum()


def _efficient_structure(X: np.ndarray, scale: float, eps: float):
    """Pareto-optimal vertices of conv(X) (indices into X), their weights, and the maximal efficient faces."""
    floor = X.min(axis=0) - 1.0 - 0.5 * (X.max(axis=0) - X.min(axis=0))
    pts, eqs, n = _free_disposal_hull(X, floor)
    normals, offsets = eqs[:, :-1], -eqs[:, -1]
    on = np.abs(pts[:n] @ normals.T - offsets[None, :]) <= eps  # (n, facets): point of X on the facet
    # the distinct upper facets (coplanar simplices of the triangulated output merged), each with the set of
    # points of X on it; bottom facets (normal -e_i) never contain a point of X
    upper = np.flatnonzero(np.all(normals >= -1e-9, axis=1))
    key = np.round(np.hstack([normals[upper], (offsets[upper] / scale)[:, None]]), 9)
    _, first = np.unique(key, axis=0, return_index=True)
    facets = []  # (point set, normal)
    for f in upper[np.sort(first)]:
        members = frozenset(np.flatnonzero(on[:, f]).tolist())
        if members:
            facets.append((members, np.maximum(normals[f], 0.0)))
    # faces: the closure of the facets' point sets under intersection
    faces = {m for m, _ in facets}
    frontier = list(faces)
    while frontier:
        new = []
        for a in frontier:
            for b, _ in facets:
                c = a & b
                if c and c not in faces:
                    faces.add(c)
                    new.append(c)
        frontier = new
    efficient = {}
    for face in faces:
        containing = [nrm for members, nrm in facets if face <= members]
        w = _cone_weight(np.array(containing))
        if w is not None:
            efficient[face] = w
    vertices = sorted({i for face in efficient for i in face if frozenset([i]) in efficient})
    weights = {i: efficient[frozenset([i])] for i in vertices}
    # a face's vertices: the efficient vertices it contains (its other points are convex combinations of them)
    reduced = {frozenset(i for i in face if i in weights) for face in efficient}
    reduced.discard(frozenset())
    maximal = [f for f in reduced if not any(f < g for g in reduced)]
    return vertices, weights, maximal


# --------------------------------------------------------------------------- exact scalarized solves
class _Oracle:
    """Exact :math:`\\max_\\pi w^\\top J(\\pi)` by policy iteration on the scalarized reward; counts the solves."""

    def __init__(self, mdp, r, mu):
        self.mdp, self.r, self.mu, self.n = mdp, r, mu, 0

    def __call__(self, w):
        from rltheory.tabular._policy_evaluation import discounted_occupancy
        from rltheory.tabular._policy_iteration import policy_iteration

        mdp = self.mdp
        scal = FiniteMDP(mdp.P, np.einsum("k,ksa->sa", w, self.r), gamma=mdp.gamma, action_mask=mdp.action_mask)
        res = policy_iteration(scal)
        self.n += 1
        if not res.converged:
            raise RuntimeError("pareto_front: policy iteration did not converge on a scalarized model")
        d = discounted_occupancy(mdp, res.policy, initial_distribution=self.mu)
        x = np.einsum("ksa,sa->k", self.r, d)
        # the scalarized optimum mu^T v*, with PI's certified error bound
        return np.asarray(res.policy, dtype=np.int64), x, float(self.mu @ res.v), float(res.bound)


def _dedupe(X, pols, eps):
    keep = []
    for i in range(len(X)):
        if not any(np.max(np.abs(X[i] - X[j])) <= eps for j in keep):
            keep.append(i)
    return X[keep], pols[keep]


def pareto_front(
    mdp: FiniteMDP,
    rewards,
    *,
    initial_distribution=None,
    method: str = "auto",
    tol: float = 1e-9,
    max_policies: int = MAX_POLICIES,
    max_iter: int = 10_000,
) -> ParetoFront:
    r"""The exact Pareto front of the value vectors achievable by stationary policies, with a certificate.

    The achievable set is the polytope :math:`\mathcal V = \mathrm{conv}\{J(\pi) : \pi \text{ deterministic}\}`
    (module docstring). Two exact methods:

    * ``"vertices"``: evaluate every deterministic policy (the vertices of the occupancy polytope, Puterman 2005,
      Proposition 6.9.3), project to value space, and read the efficient faces off the hull of
      :math:`\mathrm{conv}(X) - \mathbb R^k_{\ge 0}` (clipped below; qhull);
    * ``"scalarization"``: the outer/inner approximation scheme of the dual variant of Benson's algorithm
      (Ehrgott, Löhne & Shao 2012, *J. Global Optim.* 52, Algorithm 1, with exact weighted-sum solves): keep a set
      :math:`X` of achievable points; for each facet :math:`w^\top y \le b` (:math:`w \ge 0`) of
      :math:`\mathrm{conv}(X) - \mathbb R^k_{\ge 0}` solve the scalarized MDP :math:`\max_\pi w^\top J(\pi)` (an
      ordinary MDP with reward :math:`\sum_i w_i r_i`, solved exactly by policy iteration: its optimum is the LP
      optimum of Puterman 2005, Sec. 6.9); a value above :math:`b` adds a new vertex, otherwise the facet is
      confirmed. It stops when every facet is confirmed, i.e. :math:`\mathcal V - \mathbb R^k_{\ge 0} =
      \mathrm{conv}(X) - \mathbb R^k_{\ge 0}`, which has the same Pareto front as :math:`\mathcal V`. For
      ``k = 2`` this is the dichotomic (NISE) scheme of Cohon (1978) / Aneja & Nair (1979).

    Either way the result is checked: every returned vertex is optimal for a strictly positive weight
    (``vertex_gap``) and every facet of the front's free-disposal hull is confirmed by an exact solve
    (``facet_gap``), both within ``tol * scale``.

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted (``gamma < 1``); ``P``, ``gamma`` and ``action_mask`` are used, ``R`` is not.
    rewards : array_like, shape (k, S, A)
        The ``k >= 2`` objectives.
    initial_distribution : array_like, shape (S,), optional
        :math:`\mu`; default ``mdp.initial_distribution``.
    method : {"auto", "vertices", "scalarization"}
        ``"auto"``: ``"vertices"`` when ``k <= 3`` and there are at most 4096 deterministic policies.
    tol : float
        Relative acceptance threshold of the certificate (and the coplanarity tolerance of the hull).
    max_policies : int
        Refuse ``"vertices"`` beyond this many deterministic policies.
    max_iter : int
        Cap on the scalarized solves of ``"scalarization"`` (``RuntimeError`` when reached: an incomplete front
        is never returned as exact).

    Returns
    -------
    ParetoFront

    Raises
    ------
    ValueError
        On a non-discounted model, rewards not of shape ``(k, S, A)`` with ``k >= 2``, no initial distribution,
        or too many policies for ``"vertices"``.
    RuntimeError
        When a certificate check fails or ``max_iter`` is reached.

    References
    ----------
    M. L. Puterman, *Markov Decision Processes*, Wiley 2005, Sec. 6.9.
    M. Ehrgott, A. Löhne, L. Shao, "A dual variant of Benson's outer approximation algorithm for multiple
    objective linear programming", *J. Global Optimization* 52 (2012), 757-778.
    H. Isermann, "Proper efficiency and the linear vector maximum problem", *Operations Research* 22 (1974).
    K. Chatterjee, R. Majumdar, T. A. Henzinger, "Markov decision processes with multiple objectives",
    STACS 2006 (the achievable set of a multi-objective discounted MDP is a polytope spanned by deterministic
    policies).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, pareto_front
    >>> rng = np.random.default_rng(0)
    >>> mdp = FiniteMDP(rng.dirichlet(np.ones(3), size=(3, 2)), np.zeros((3, 2)), gamma=0.8,
    ...                 initial_distribution=np.full(3, 1 / 3))
    >>> rewards = rng.uniform(size=(2, 3, 2))
    >>> a = pareto_front(mdp, rewards, method="vertices")
    >>> b = pareto_front(mdp, rewards, method="scalarization")
    >>> bool(np.allclose(a.values, b.values)), a.faces == b.faces
    (True, True)
    """
    FiniteMDP.require(mdp, "discounted", "pareto_front")
    r = _check_rewards(mdp, rewards)
    k = r.shape[0]
    if k < 2:
        raise ValueError("pareto_front needs k >= 2 objectives; with one objective use value_iteration")
    mu = resolve_initial_distribution(mdp, initial_distribution, "pareto_front")
    method = check_choice("method", method, ("auto", "vertices", "scalarization"))
    tol = check_tol(tol)
    max_policies = check_int("max_policies", max_policies, low=1)
    max_iter = check_int("max_iter", max_iter, low=1)
    n_det = int(np.prod(np.asarray(mdp.action_mask).sum(axis=1).astype(float)))
    if method == "auto":
        method = "vertices" if (k <= 3 and n_det <= AUTO_ENUMERATION_LIMIT) else "scalarization"
    oracle = _Oracle(mdp, r, mu)
    rmax = float(np.max(np.abs(r)))
    value_scale = max(1.0, rmax / (1.0 - mdp.gamma))
    # coplanarity / improvement tolerance: the requested one, but never below the evaluation's rounding
    eps = max(tol, 1e3 * mdp.n_states * _EPS / (1.0 - mdp.gamma)) * value_scale

    if method == "vertices":
        pols = deterministic_policies(mdp, max_policies)
        d = policy_occupancies(mdp, pols, mu)
        X = np.einsum("ksa,nsa->nk", r, d)
        n_policies = len(pols)
        X, pols = _dedupe(X, pols, eps)
    else:
        pts, pol_list = [], []
        for w in [np.full(k, 1.0 / k), *np.eye(k)]:
            pol, x, _, _ = oracle(w)
            pts.append(x)
            pol_list.append(pol)
        X, pols = _dedupe(np.array(pts), np.array(pol_list), eps)
        confirmed = []
        while True:
            _, eqs, _ = _free_disposal_hull(X, X.min(axis=0) - 1.0 - 0.5 * (X.max(axis=0) - X.min(axis=0)))
            W, B = _upper_facets(eqs, value_scale)
            added = False
            for w, b in zip(W, B):
                if any(np.max(np.abs(w - cw)) <= 1e-9 and abs(b - cb) <= eps for cw, cb in confirmed):
                    continue
                if oracle.n >= max_iter:
                    raise RuntimeError(
                        f"pareto_front: max_iter = {max_iter} scalarized solves reached before every facet was "
                        "confirmed; raise max_iter"
                    )
                pol, x, _, _ = oracle(w)
                if w @ x > b + eps and np.min(np.max(np.abs(X - x), axis=1)) > eps:
                    X = np.vstack([X, x])
                    pols = np.vstack([pols, pol])
                    added = True
                else:
                    confirmed.append((w, b))
            if not added:
                break
        n_policies = len(X)

    vertices, weights, faces = _efficient_structure(X, value_scale, eps)
    order = sorted(vertices, key=lambda i: tuple(X[i]))
    pos = {i: j for j, i in enumerate(order)}
    values = X[order]
    policies = pols[order]
    W_out = np.array([weights[i] for i in order])
    faces_out = tuple(sorted(tuple(sorted(pos[i] for i in f)) for f in faces))

    # ---- certificate: every vertex optimal for its positive weight, every facet confirmed (exact solves)
    vertex_gap = 0.0
    for j in range(len(values)):
        _, _, opt, bnd = oracle(W_out[j])
        vertex_gap = max(vertex_gap, opt + bnd - float(W_out[j] @ values[j]))
    _, eqs, _ = _free_disposal_hull(values, values.min(axis=0) - 1.0 - 0.5 * (values.max(axis=0) - values.min(axis=0)))
    facet_gap = -np.inf
    for w, b in zip(*_upper_facets(eqs, value_scale)):
        _, _, opt, bnd = oracle(w)
        facet_gap = max(facet_gap, opt + bnd - b)  # an upper bound on the true violation
    scale = max(1.0, float(np.max(np.abs(values))))
    limit = max(tol * scale, eps)
    for what, gap in (("vertex_gap", vertex_gap), ("facet_gap", facet_gap)):
        if not np.isfinite(gap) or gap > limit:
            raise RuntimeError(
                f"pareto_front: certificate check failed: {what} = {gap:.3e} > {limit:.3e}; the front may be "
                "inexact (try a larger tol, or method='vertices' on a small model)"
            )
    return ParetoFront(
        values=readonly(values),
        policies=readonly(policies),
        weights=readonly(W_out),
        faces=faces_out,
        vertex_gap=float(vertex_gap),
        facet_gap=float(facet_gap),
        scale=scale,
        method=method,
        n_solves=oracle.n,
        n_policies=int(n_policies),
    )


# --------------------------------------------------------------------------- hypervolume
def _hv_boxes(Y: np.ndarray, ref: np.ndarray) -> float:
    """Lebesgue measure of the union of the boxes [ref, y] (points already strictly above ref), by slicing
    along the last coordinate (the HSO recursion of While, Hingston, Barone & Huband 2006)."""
    if len(Y) == 0:
        return 0.0
    if Y.shape[1] == 1:
        return float(np.max(Y[:, 0]) - ref[0])
    levels = np.unique(Y[:, -1])[::-1]
    total = 0.0
    for j, z in enumerate(levels):
        below = levels[j + 1] if j + 1 < len(levels) else ref[-1]
        total += (z - below) * _hv_boxes(Y[Y[:, -1] >= z, :-1], ref[:-1])
    return float(total)


def _hv_polytope(values: np.ndarray, ref: np.ndarray) -> float:
    r"""Volume of :math:`(\mathrm{conv}(X) - \mathbb R^k_+) \cap \{z \ge \text{ref}\}` (halfspace intersection)."""
    k = values.shape[1]
    floor = np.minimum(values.min(axis=0), ref) - 1.0
    _, eqs, _ = _free_disposal_hull(values, floor)
    upper = np.all(eqs[:, :-1] >= -1e-9, axis=1)
    hs = np.vstack([eqs[upper], np.hstack([-np.eye(k), ref[:, None]])])  # a.z + c <= 0; -z + ref <= 0
    # Chebyshev center: max t s.t. a.z + t ||a|| <= -c
    norms = np.linalg.norm(hs[:, :-1], axis=1)
    res = so.linprog(
        np.r_[np.zeros(k), -1.0],
        A_ub=np.hstack([hs[:, :-1], norms[:, None]]),
        b_ub=-hs[:, -1],
        bounds=[(None, None)] * k + [(0, None)],
        method="highs",
    )
    if res.status != 0 or res.x[-1] <= 1e-12 * max(1.0, float(np.max(np.abs(values)))):
        return 0.0  # empty interior: the reference point is not strictly dominated by the set
    inter = ss.HalfspaceIntersection(hs, res.x[:k])
    return float(ss.ConvexHull(inter.intersections).volume)


def hypervolume(front, reference) -> float:
    r"""The hypervolume indicator: the Lebesgue measure of the region dominated by a set and above a reference.

    .. math::

        \mathrm{HV}(Y; r) = \lambda\Big(\bigcup_{y \in Y} [r, y]\Big), \qquad [r, y] = \{z : r \le z \le y\}

    (Zitzler & Thiele 1998). For a finite set of points it is computed exactly by slicing (HSO; While et al.
    2006); for a :class:`ParetoFront` the set is the whole achievable polytope (mixtures of the vertices'
    policies included), :math:`\lambda((\mathcal V - \mathbb R^k_{\ge 0}) \cap \{z \ge r\})`, computed exactly
    by halfspace intersection (qhull). Points that do not strictly dominate ``reference`` contribute nothing.

    Parameters
    ----------
    front : ParetoFront or array_like, shape (n, k)
    reference : array_like, shape (k,)

    Returns
    -------
    float

    References
    ----------
    E. Zitzler, L. Thiele, "Multiobjective optimization using evolutionary algorithms -- a comparative case
    study", PPSN V, 1998. L. While, P. Hingston, L. Barone, S. Huband, "A faster algorithm for calculating
    hypervolume", *IEEE Trans. Evol. Comput.* 10(1), 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import hypervolume
    >>> hypervolume(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]]), [0.0, 0.0])  # 3 + 2 + 1 stripes
    6.0
    """
    if isinstance(front, ParetoFront):
        Y = np.asarray(front.values, dtype=float)
        convex = True
    else:
        try:
            Y = np.asarray(front, dtype=float)
        except (TypeError, ValueError):
            raise ValueError("front must be a ParetoFront or a real array of shape (n, k)") from None
        if Y.ndim != 2:
            raise ValueError(f"points have shape {Y.shape}, expected (n, k)")
        convex = False
    check_finite("points", Y)
    k = Y.shape[1]
    try:
        ref = np.asarray(reference, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("reference must be a real vector") from None
    if ref.shape != (k,):
        raise ValueError(f"reference has shape {ref.shape}, expected ({k},) to match the points")
    check_finite("reference", ref)
    if not convex or k == 1:
        return _hv_boxes(Y[np.all(Y > ref, axis=1)], ref)
    return _hv_polytope(Y, ref)


def _occupancy_lp_data(mdp: FiniteMDP, mu: np.ndarray):
    """Equalities F d = mu, bounds d >= 0 (as -I d <= 0) and d = 0 on disallowed pairs, over d of length S*A."""
    import scipy.sparse as sp

    from rltheory.tabular._occupancy_lp import allowed_pairs, flow_matrix

    n = mdp.n_states * mdp.n_actions
    Fm = flow_matrix(mdp)
    off = np.flatnonzero(~allowed_pairs(mdp))
    A_eq = sp.vstack([Fm, sp.csr_array((np.ones(off.size), (np.arange(off.size), off)), shape=(off.size, n))])
    b_eq = np.r_[mu, np.zeros(off.size)]
    return A_eq, b_eq, -sp.eye_array(n, format="csr"), np.zeros(n)


def pareto_gap(
    mdp: FiniteMDP,
    rewards,
    values,
    *,
    initial_distribution=None,
    tol: float = 1e-7,
    solver: str | None = None,
    solver_options: dict | None = None,
) -> float:
    r"""How far an achievable value vector is from the Pareto front: :math:`\max\{\sum_i (y_i - x_i) : y \in
    \mathcal V,\ y \ge x\}`.

    The LP over occupancies :math:`\max_{d \in \mathcal D} \sum_i \langle r_i, d\rangle - x_i` s.t.
    :math:`\langle r_i, d\rangle \ge x_i` (Benson 1978's test of efficiency) is 0 exactly when :math:`x` is
    Pareto-optimal in :math:`\mathcal V` (for :math:`x \in \mathcal V`), positive when some achievable vector
    dominates it; ``ValueError`` when no achievable vector weakly dominates :math:`x` (the LP is infeasible).
    The solve is certified (status, primal and dual feasibility, gap).

    Parameters
    ----------
    mdp : FiniteMDP
    rewards : array_like, shape (k, S, A)
    values : array_like, shape (k,)
    initial_distribution : array_like, optional
    tol, solver, solver_options
        Certificate threshold (relative to the value scale) and the cvxpy solver.

    Returns
    -------
    float

    References
    ----------
    H. P. Benson, "Existence of efficient solutions for vector maximization problems", *J. Optimization Theory
    and Applications* 26 (1978).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, pareto_gap
    >>> mdp = FiniteMDP(np.ones((1, 3, 1)), np.zeros((1, 3)), gamma=0.5, initial_distribution=[1.0])
    >>> rewards = np.array([[[1.0, 0.0, 0.4]], [[0.0, 1.0, 0.4]]])
    >>> round(pareto_gap(mdp, rewards, [0.8, 0.8]), 6), round(pareto_gap(mdp, rewards, [2.0, 0.0]), 6)
    (0.4, 0.0)
    """
    import scipy.sparse as sp

    from rltheory.tabular._occupancy_lp import solve_lp

    FiniteMDP.require(mdp, "discounted", "pareto_gap")
    r = _check_rewards(mdp, rewards)
    k = r.shape[0]
    x = np.asarray(values, dtype=float).ravel()
    if x.shape != (k,):
        raise ValueError(f"values has shape {x.shape}, expected ({k},)")
    check_finite("values", x)
    tol = check_tol(tol)
    mu = resolve_initial_distribution(mdp, initial_distribution, "pareto_gap")
    A_eq, b_eq, A_nn, b_nn = _occupancy_lp_data(mdp, mu)
    Rm = r.reshape(k, -1)
    A_ub = sp.vstack([A_nn, sp.csr_array(-Rm)])
    b_ub = np.r_[b_nn, -x]
    scale = max(1.0, float(np.max(np.abs(r))) / (1.0 - mdp.gamma))
    sol = solve_lp(
        Rm.sum(axis=0),
        A_ub,
        b_ub,
        A_eq,
        b_eq,
        who="pareto_gap",
        tol=tol,
        solver=solver,
        solver_options=solver_options,
        scale=scale,
    )
    if sol.x is None:
        raise ValueError(
            f"pareto_gap: no achievable value vector weakly dominates {x.tolist()} (the LP is {sol.status})"
        )
    return float(max(0.0, sol.objective - x.sum()))
