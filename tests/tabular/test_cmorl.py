"""C-MORL (tabular): every discovered point is Pareto-optimal, the hypervolume never decreases and never exceeds
the exact front's.

Theorems asserted: the optimum of max J_i s.t. J_j >= t_j, tie-broken by max sum_j J_j, is efficient (the
lexicographic epsilon-constraint method; Ehrgott 2005, Sec. 4.1), checked by Benson's (1978) LP test; the
hypervolume indicator is monotone under adding points and the achievable polytope's hypervolume bounds that of
any achievable subset (Zitzler & Thiele 1998); NSGA-II crowding distances by hand (Deb et al. 2002, Sec. III-B).
"""

import numpy as np
import pytest

from rltheory.tabular import FiniteMDP, cmorl, crowding_distance, hypervolume, pareto_front, pareto_gap, vector_values


@pytest.mark.parametrize("seed,S,A,k", [(0, 4, 3, 2), (1, 5, 2, 2), (2, 4, 3, 3)])
def test_cmorl_points_are_efficient_and_its_hypervolume_is_sandwiched(seed, S, A, k):
    rng = np.random.default_rng(seed)
    mdp = FiniteMDP(
        rng.dirichlet(np.full(S, 0.5), size=(S, A)),
        np.zeros((S, A)),
        gamma=0.85,
        initial_distribution=rng.dirichlet(np.ones(S)),
    )
    r = rng.uniform(-1, 1, size=(k, S, A))
    front = pareto_front(mdp, r)
    ref = np.asarray(front.values).min(axis=0) - 0.5
    res = cmorl(mdp, r, ref, n_initial=k, n_rounds=4, n_selected=2)
    scale = max(1.0, float(np.abs(r).max()) / (1 - mdp.gamma))
    for v, pi in zip(res.values, res.action_probabilities):
        np.testing.assert_allclose(vector_values(mdp, r, pi), v, atol=1e-9 * scale)
        assert pareto_gap(mdp, r, v) <= 1e-6 * scale
    hist = np.asarray(res.hypervolume_history)
    assert len(hist) == res.iterations + 1 and res.iterations >= 1
    assert np.all(np.diff(hist) >= -1e-12 * hist[-1])
    assert hist[-1] <= hypervolume(front, ref) * (1 + 1e-9)
    assert res.max_duality_gap <= 1e-7 * scale


def test_crowding_distance_by_hand():
    Y = np.array([[0.0, 4.0], [1.0, 3.0], [3.0, 1.0], [4.0, 0.0]])
    # point 1: (3 - 0)/4 along objective 1 plus (4 - 1)/4 along objective 2; point 2: (4 - 1)/4 + (3 - 0)/4
    np.testing.assert_allclose(crowding_distance(Y), [np.inf, 1.5, 1.5, np.inf])
    Y2 = np.array([[0.0, 4.0], [0.5, 3.5], [3.0, 1.0], [4.0, 0.0]])
    np.testing.assert_allclose(crowding_distance(Y2), [np.inf, 3 / 4 + 3 / 4, 3.5 / 4 + 3.5 / 4, np.inf])
    np.testing.assert_allclose(crowding_distance(np.ones((3, 2))), [np.inf, 0.0, np.inf])


def test_errors():
    rng = np.random.default_rng(0)
    mdp = FiniteMDP(
        rng.dirichlet(np.ones(2), size=(2, 2)), np.zeros((2, 2)), gamma=0.9, initial_distribution=[0.5, 0.5]
    )
    r = rng.uniform(size=(2, 2, 2))
    with pytest.raises(ValueError, match="reference"):
        cmorl(mdp, r, [0.0])
    with pytest.raises(ValueError, match="relaxation"):
        cmorl(mdp, r, [0.0, 0.0], relaxation=0.0)
    with pytest.raises(ValueError, match="weakly dominates"):
        pareto_gap(mdp, r, [100.0, 100.0])
