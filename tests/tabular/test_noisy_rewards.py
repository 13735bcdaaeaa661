"""NoisyRewards: validation, spec, the kind it belongs to."""

import numpy as np
import pytest

from rltheory.simulation import kind_of
from rltheory.tabular import FiniteMDP, NoisyRewards
from rltheory.tabular._noisy_rewards import continuing_model, unit_reward_model


def _mdp(R, **kw):
    S, A = np.shape(R)
    return FiniteMDP(np.full((S, A, S), 1.0 / S), np.asarray(R, dtype=float), gamma=1.0, **kw)


def test_spec_sizes_and_kind():
    mdp = _mdp([[0.25, 1.0], [0.0, 0.5]])
    noisy = NoisyRewards(mdp)
    assert noisy.to_spec() == {"type": "NoisyRewards", "noise": "bernoulli", "mdp": mdp.to_spec()}
    assert (noisy.n_states, noisy.n_actions) == (2, 2)
    assert kind_of(noisy).name == kind_of(mdp).name == "continuing"
    assert continuing_model(noisy) is mdp and continuing_model(mdp) is mdp


def test_validation():
    with pytest.raises(ValueError, match="NoisyRewards wraps a FiniteMDP"):
        NoisyRewards(np.eye(2))
    with pytest.raises(ValueError, match="noise = 'gaussian' must be one of"):
        NoisyRewards(_mdp([[0.5]]), noise="gaussian")
    with pytest.raises(ValueError, match=r"r\(1, 0\) = -0.5"):
        NoisyRewards(_mdp([[0.5, 0.5], [-0.5, 0.5]]))
    # a disallowed action may have any reward
    NoisyRewards(_mdp([[0.5, 7.0]], action_mask=[[True, False]]))
    with pytest.raises(ValueError, match=r"Agent assumes rewards in \[0, 1\]; r\(0, 1\) = 7.0"):
        unit_reward_model(_mdp([[0.5, 7.0]]), "Agent")
    discounted = FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=0.5)
    with pytest.raises(ValueError, match="not a problem of any simulated kind"):
        kind_of(NoisyRewards(discounted))
