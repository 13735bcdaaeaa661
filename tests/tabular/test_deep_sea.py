"""Deep sea (bsuite): the structure of the model, its optimal value, and the treasure state."""

import numpy as np
import pytest

from rltheory.tabular import backward_induction
from rltheory.tabular.envs import deep_sea, deep_sea_treasure


@pytest.mark.parametrize("N", [1, 2, 5, 8])
@pytest.mark.parametrize("randomize", [False, True])
def test_optimal_policy_goes_right_all_the_way(N, randomize):
    mdp = deep_sea(N, randomize_actions=randomize, rng=3)
    res = backward_induction(mdp)
    # optimal return 1 - 0.01 of bsuite, plus the shift 0.01/N per step (N steps)
    assert res.v[0, 0] == pytest.approx(1.0, abs=1e-12)
    s = 0
    for h in range(N):
        a = res.policy[h, s]
        s = int(np.argmax(mdp.P[s, a]))
    assert s == deep_sea_treasure(N)


def test_the_treasure_needs_every_right_move():
    # uniform random play reaches the treasure with probability 2^-N exactly (one action sequence)
    N = 6
    mdp = deep_sea(N)
    dist = np.zeros(mdp.n_states)
    dist[0] = 1.0
    for _ in range(N):
        dist = np.einsum("s,sat->t", dist, mdp.P) / 2
    assert dist[deep_sea_treasure(N)] == pytest.approx(2.0**-N, rel=1e-12)


def test_rewards_in_unit_interval_and_stochastic_variant_rows():
    mdp = deep_sea(5, deterministic=False)
    assert mdp.R.min() >= 0.0 and mdp.R.max() == 1.0
    np.testing.assert_allclose(mdp.P.sum(axis=2), 1.0, atol=1e-12)
    with pytest.raises(ValueError, match="size"):
        deep_sea(0)
