"""LinearBandit and the OFUL radius: validation and the Theorem 2 formula."""

import math

import numpy as np
import pytest

from rltheory.linear import LinearBandit, LinUCB, oful_radius
from rltheory.simulation import simulate


def test_bandit_validation():
    with pytest.raises(ValueError, match="theta has shape"):
        LinearBandit(np.eye(3), [1.0, 2.0])
    with pytest.raises(ValueError, match="arms must have shape"):
        LinearBandit(np.ones(3), [1.0])
    with pytest.raises(ValueError, match="noise_sigma"):
        LinearBandit(np.eye(2), [1.0, 0.0], noise_sigma=-1.0)
    with pytest.raises(ValueError, match="finite"):
        LinearBandit(np.array([[np.inf, 0.0]]), [1.0, 0.0])
    b = LinearBandit.random(3, 4, n_contexts=5, rng=0)
    assert b.is_contextual and b.arms.shape == (5, 4, 3)
    with pytest.raises(ValueError, match="does not know problems of type NoneType"):
        simulate(None, LinUCB(), n_rounds=10, n_runs=1)


def test_oful_radius_formula():
    # Abbasi-Yadkori et al. (2011), Thm 2, hand-computed at log det V = d log(lambda) + 1
    r = oful_radius(3 * math.log(2.0) + 1.0, 3, 2.0, 0.1, 0.5, 2.0)
    assert math.isclose(r, 0.5 * math.sqrt(1.0 + 2 * math.log(10.0)) + math.sqrt(2.0) * 2.0, rel_tol=1e-14)
