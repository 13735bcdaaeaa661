"""Pareto fronts of multi-objective MDPs and hypervolumes, against brute force and exact rational answers.

Theorems asserted: the achievable set of a multi-objective discounted MDP is the polytope spanned by the
deterministic policies' value vectors (Puterman 2005, Thm 6.9.1 / Prop. 6.9.3), so (i) every stationary policy's
value vector -- deterministic or randomized -- is weakly dominated by a point of the returned front's polytope,
(ii) no deterministic policy strictly dominates a returned vertex, (iii) each vertex maximizes its positive
weight's scalarization over all deterministic policies (Isermann 1974), and (iv) the two exact methods agree.
"""

import itertools
from fractions import Fraction as F

import numpy as np
import pytest
import scipy.optimize as so
import sympy

from rltheory.tabular import FiniteMDP, hypervolume, pareto_front, vector_values
from rltheory.tabular._occupancy_lp import deterministic_policies

EPS = np.finfo(float).eps


def random_instance(seed, S, A, k, gamma=0.9, mask=False):
    rng = np.random.default_rng(seed)
    action_mask = None
    if mask:
        action_mask = rng.uniform(size=(S, A)) < 0.7
        action_mask[np.arange(S), rng.integers(0, A, S)] = True
    mdp = FiniteMDP(
        rng.dirichlet(np.full(S, 0.5), size=(S, A)),
        np.zeros((S, A)),
        gamma=gamma,
        initial_distribution=rng.dirichlet(np.ones(S)),
        action_mask=action_mask,
    )
    return mdp, rng.uniform(-1, 1, size=(k, S, A))


def all_values(mdp, rewards):
    return np.array([vector_values(mdp, rewards, p) for p in deterministic_policies(mdp)])


def dominated_by_hull(x, V):
    """Distance by which x escapes conv(V) - R^k_+ : min t >= 0 s.t. sum lam_j V_j >= x - t, lam in simplex."""
    n, k = V.shape
    c = np.r_[np.zeros(n), 1.0]
    A_ub = np.hstack([-V.T, -np.ones((k, 1))])
    res = so.linprog(
        c,
        A_ub=A_ub,
        b_ub=-x,
        A_eq=np.r_[np.ones(n), 0.0][None],
        b_eq=[1.0],
        bounds=[(0, None)] * (n + 1),
        method="highs",
    )
    assert res.status == 0
    return res.fun


CASES = [(s, *shape) for s, shape in enumerate([(2, 2, 2), (3, 2, 2), (4, 3, 2), (3, 3, 3), (5, 2, 3), (3, 2, 4)])]


@pytest.mark.parametrize("seed,S,A,k", CASES)
def test_front_contains_every_policy_and_no_vertex_is_dominated(seed, S, A, k):
    mdp, r = random_instance(seed, S, A, k, mask=seed % 2 == 1)
    front = pareto_front(mdp, r, method="vertices")
    X = all_values(mdp, r)
    tol = 1e-9 * front.scale
    # (i) deterministic policies and random mixtures (stationary randomized policies) are weakly dominated
    rng = np.random.default_rng(100 + seed)
    mask = np.asarray(mdp.action_mask)
    mixed = []
    for _ in range(30):
        pi = np.where(mask, rng.dirichlet(np.full(A, 0.3), size=S), 0.0)
        pi /= pi.sum(axis=1, keepdims=True)
        mixed.append(vector_values(mdp, r, pi))
    for x in np.vstack([X, mixed]):
        assert dominated_by_hull(x, np.asarray(front.values)) <= tol
    # (ii) no deterministic policy weakly dominates a vertex with one strict coordinate
    for v in front.values:
        better = np.all(X >= v - tol, axis=1) & np.any(X > v + tol, axis=1)
        assert not better.any()
    # (iii) each vertex is optimal for its strictly positive weight, over all deterministic policies
    assert np.all(np.asarray(front.weights) > 0)
    np.testing.assert_allclose(np.asarray(front.weights).sum(axis=1), 1.0)
    for v, w in zip(front.values, front.weights):
        assert float(w @ v) >= float(np.max(X @ w)) - tol
    # the returned policies attain the vertices
    for v, p in zip(front.values, front.policies):
        np.testing.assert_allclose(vector_values(mdp, r, p), v, atol=tol)
    assert front.vertex_gap <= tol and front.facet_gap <= tol


@pytest.mark.parametrize("seed,S,A,k", CASES)
def test_scalarization_equals_vertex_enumeration(seed, S, A, k):
    mdp, r = random_instance(seed, S, A, k, mask=seed % 2 == 0)
    a = pareto_front(mdp, r, method="vertices")
    b = pareto_front(mdp, r, method="scalarization")
    assert a.values.shape == b.values.shape
    np.testing.assert_allclose(a.values, b.values, atol=1e-9 * a.scale)
    assert a.faces == b.faces
    assert b.method == "scalarization" and a.method == "vertices"


def exact_upper_right_chain(points):
    """The Pareto-optimal vertices of conv(points) in 2-D, exactly (Fractions): the upper-right hull chain."""
    pts = sorted(set(points))
    nd = [p for p in pts if not any(q != p and q[0] >= p[0] and q[1] >= p[1] for q in pts)]
    nd.sort()  # x increasing, y decreasing
    chain = []
    for p in nd:  # keep only points that make a strictly concave (right-turning) chain
        while len(chain) >= 2:
            (x1, y1), (x2, y2) = chain[-2], chain[-1]
            if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) >= 0:  # chain[-1] on or below segment
                chain.pop()
            else:
                break
        chain.append(p)
    return chain


def test_two_objective_front_equals_the_exact_rational_front():
    P = [
        [[F(1, 2), F(1, 2), 0], [0, F(1, 3), F(2, 3)]],
        [[F(1, 4), 0, F(3, 4)], [1, 0, 0]],
        [[0, 0, 1], [F(1, 2), F(1, 2), 0]],
    ]
    r1 = [[3, 0], [1, 2], [0, 4]]
    r2 = [[0, 5], [2, 1], [3, 0]]
    gamma = F(3, 4)
    mu = [F(1, 3)] * 3
    exact = []
    Pm = [[[sympy.Rational(x) for x in row] for row in sa] for sa in P]
    for pol in itertools.product(range(2), repeat=3):
        M = sympy.eye(3) - sympy.Rational(gamma) * sympy.Matrix([Pm[s][pol[s]] for s in range(3)])
        vals = []
        for r in (r1, r2):
            v = M.solve(sympy.Matrix([r[s][pol[s]] for s in range(3)]))
            vals.append(F(str(sum(sympy.Rational(m) * vi for m, vi in zip(mu, v)))))
        exact.append(tuple(vals))
    chain = exact_upper_right_chain(exact)
    mdp = FiniteMDP(np.array(P, dtype=float), np.zeros((3, 2)), gamma=0.75, initial_distribution=np.full(3, 1 / 3))
    front = pareto_front(mdp, np.array([r1, r2], dtype=float))
    expected = np.array(sorted([(float(x), float(y)) for x, y in chain]))
    np.testing.assert_allclose(front.values, expected, rtol=0, atol=64 * EPS * front.scale / (1 - 0.75))
    assert front.faces == tuple((i, i + 1) for i in range(len(chain) - 1)) or len(chain) == 1
    # exact hypervolume of the polygonal front above the reference (0, 0): trapezoids under the chain, in Fractions
    ys = sorted(chain)  # x increasing
    area = ys[0][0] * ys[0][1]
    for (x1, y1), (x2, y2) in zip(ys, ys[1:]):
        area += (x2 - x1) * (y1 + y2) / 2
    assert hypervolume(front, [0.0, 0.0]) == pytest.approx(float(area), rel=1e-9)


def test_simplex_front_and_its_hypervolume():
    # one state, three actions with rewards e_1, e_2, e_3: V = simplex scaled by 1 / (1 - gamma)
    gamma = 0.5
    mdp = FiniteMDP(np.ones((1, 3, 1)), np.zeros((1, 3)), gamma=gamma, initial_distribution=[1.0])
    r = np.eye(3).reshape(3, 1, 3)
    front = pareto_front(mdp, r)
    np.testing.assert_allclose(front.values, np.eye(3)[::-1] * 2.0)
    assert front.faces == ((0, 1, 2),)
    c = 1 / (1 - gamma)
    assert hypervolume(front, np.zeros(3)) == pytest.approx(c**3 / 6, rel=1e-12)
    # the three vertices alone: the boxes [0, 2 e_i] are degenerate (zero volume)
    assert hypervolume(front.values, np.zeros(3)) == 0.0
    # below the reference -1: sign patterns T of positive coordinates, simplex c^|T|/|T|! times a unit box
    assert hypervolume(front, -np.ones(3)) == pytest.approx(1 + 3 * c + 3 * c**2 / 2 + c**3 / 6, rel=1e-12)


def test_single_point_front_hypervolume_is_its_box():
    mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5, initial_distribution=[1.0])
    r = np.array([[[1.0, 0.5]], [[2.0, 1.0]], [[0.5, 0.5]]])  # action 0 dominates
    front = pareto_front(mdp, r)
    np.testing.assert_allclose(front.values, [[2.0, 4.0, 1.0]])
    assert front.faces == ((0,),)
    assert hypervolume(front, [0.0, 1.0, -1.0]) == pytest.approx(2.0 * 3.0 * 2.0)


def inclusion_exclusion(points, ref):
    total = F(0)
    n = len(points)
    for size in range(1, n + 1):
        for T in itertools.combinations(range(n), size):
            vol = F(1)
            for i in range(len(ref)):
                vol *= max(F(0), min(points[t][i] for t in T) - ref[i])
            total += (-1) ** (size + 1) * vol
    return total


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_points_hypervolume_equals_inclusion_exclusion(k):
    rng = np.random.default_rng(k)
    for _ in range(5):
        pts = [tuple(F(int(x), 8) for x in row) for row in rng.integers(-4, 16, size=(7, k))]
        ref = tuple(F(int(x), 8) for x in rng.integers(-4, 2, size=k))
        exact = inclusion_exclusion(pts, ref)
        got = hypervolume(np.array(pts, dtype=float), np.array(ref, dtype=float))
        assert got == pytest.approx(float(exact), rel=1e-12, abs=1e-12)


def test_convex_hypervolume_dominates_points_of_the_achievable_set():
    mdp, r = random_instance(7, 4, 2, 3)
    front = pareto_front(mdp, r)
    ref = np.asarray(front.values).min(axis=0) - 1.0
    X = all_values(mdp, r)
    hv = hypervolume(front, ref)
    assert hypervolume(X, ref) <= hv * (1 + 1e-12)
    assert hypervolume(front.values, ref) <= hv * (1 + 1e-12)
    # points on the faces (mixtures) approach the convex value from below
    rng = np.random.default_rng(0)
    V = np.asarray(front.values)
    extra = [rng.dirichlet(np.ones(len(f))) @ V[list(f)] for f in front.faces for _ in range(200)]
    assert hypervolume(np.vstack([V, extra]), ref) <= hv * (1 + 1e-12)
    assert hypervolume(np.vstack([V, extra]), ref) >= 0.9 * hv


def test_errors_name_the_input():
    mdp, r = random_instance(0, 2, 2, 2)
    with pytest.raises(ValueError, match=r"expected \(k, 2, 2\)"):
        pareto_front(mdp, r[:, :1])
    with pytest.raises(ValueError, match="k >= 2"):
        pareto_front(mdp, r[:1])
    bare = FiniteMDP(np.asarray(mdp.P), np.zeros((2, 2)), gamma=0.9)
    with pytest.raises(ValueError, match="initial distribution"):
        pareto_front(bare, r)
    with pytest.raises(ValueError, match="max_policies"):
        pareto_front(mdp, r, method="vertices", max_policies=3)
    with pytest.raises(ValueError, match="method"):
        pareto_front(mdp, r, method="nise")
    with pytest.raises(ValueError, match="discounted"):
        pareto_front(FiniteMDP(np.asarray(mdp.P), np.zeros((2, 2)), gamma=0.9, horizon=3), r)
    with pytest.raises(ValueError, match="reference has shape"):
        hypervolume(np.ones((2, 2)), [0.0])
    with pytest.raises(RuntimeError, match="max_iter"):
        pareto_front(*random_instance(3, 3, 3, 3), method="scalarization", max_iter=3)


def test_results_are_read_only():
    front = pareto_front(*random_instance(1, 3, 2, 2))
    for a in (front.values, front.policies, front.weights):
        assert not a.flags.writeable
