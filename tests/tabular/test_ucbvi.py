"""UCBVI-CH / -BF (Azar, Osband & Munos 2017): parity with the Python reference, the update's invariants."""

import math

import numpy as np
import pytest

from rltheory.simulation import simulate
from rltheory.tabular import UCBVI, FiniteMDP, backward_induction
from rltheory.tabular._ucbvi import ucbvi_log_term

from ._learning import assert_parity, small_mdp


@pytest.mark.parametrize("bonus", ["hoeffding", "bernstein"])
def test_parity_with_reference(bonus):
    # a small bonus_scale so that the policy changes within the short run (with the paper's constants every Q stays
    # at its cap H for thousands of visits and every episode plays action 0)
    assert_parity(small_mdp(1), UCBVI(bonus=bonus, bonus_scale=0.02), n_episodes=40)


def test_log_term_is_the_papers():
    # Azar et al. (2017), Algorithm 3: L = ln(5 S A T / delta)
    assert ucbvi_log_term(10, 3, 10_000, 0.1) == math.log(5 * 10 * 3 * 10_000 / 0.1)


def test_values_are_monotone_capped_and_optimistic_with_the_papers_constants():
    # Algorithm 2: Q_{k,h} = min(Q_{k-1,h}, H, ...), so V_{k,h} is non-increasing in k and <= H; with the paper's
    # bonus the event of their Lemma 18 (V_{k,h} >= V*_h) holds on this run
    mdp = small_mdp(2)
    opt = backward_induction(mdp).v
    for bonus in ("hoeffding", "bernstein"):
        agent = UCBVI(bonus=bonus)
        params = agent.compiled_params(mdp, 300)
        cls = type(agent)
        state = cls.init(params, 4, 2, 3, np.zeros((4, 2, 0)))
        rng = np.array([1, 2, 3, 4], dtype=np.uint64)
        pol = np.zeros((3, 4), dtype=np.int64)
        prev = np.full((4, 4), np.inf)
        env = np.random.default_rng(0)
        for k in range(300):
            cls.plan(params, state, k, pol, rng)
            V = np.array(state[0])
            assert (V[:3] <= prev[:3] + 0.0).all() and (V <= 3.0).all() and (V >= opt - 1e-12).all()
            prev = V
            s = env.choice(4, p=mdp.initial_distribution)
            for h in range(3):
                a = pol[h, s]
                s2 = env.choice(4, p=mdp.P[s, a])
                cls.observe(params, state, h, s, a, float(mdp.R[s, a]), s2, rng)
                s = s2


def test_bad_input():
    with pytest.raises(ValueError, match="bonus"):
        UCBVI(bonus="x")
    with pytest.raises(ValueError, match="delta"):
        UCBVI(delta=1.0)
    mdp = small_mdp(0)
    with pytest.raises(ValueError, match="rewards in \\[0, 1\\]"):
        simulate(
            FiniteMDP(mdp.P, 2.0 * mdp.R + 1.0, gamma=1.0, horizon=3, initial_distribution=mdp.initial_distribution),
            UCBVI(),
            n_episodes=3,
        )
    with pytest.raises(ValueError, match="not a problem of any simulated kind|no simulated kind|horizon"):
        simulate(FiniteMDP(mdp.P, mdp.R, gamma=0.9), UCBVI(), n_episodes=3)
