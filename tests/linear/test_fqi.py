"""Linear fitted Q iteration: geometric decay with exact one-hot regression, statistical floor, misspecification."""

import numpy as np

from rltheory.linear import fitted_q_iteration, one_hot_features, random_features
from rltheory.tabular.envs import chain

EPS = np.finfo(float).eps


def test_fqi_one_hot_exact_is_value_iteration_geometric_decay():
    mdp = chain(5, gamma=0.9)
    res = fitted_q_iteration(mdp, one_hot_features(10), 60)
    scale = 1 + np.abs(res.q).max()
    assert (res.q_errors <= res.algorithmic_bound + 1e3 * EPS * scale / (1 - 0.9)).all()
    assert res.policy_errors[-1] <= 2 * 0.9 * res.q_errors[-1] / (1 - 0.9) + 1e-9  # Singh & Yee (1994)


def test_fqi_statistical_floor_shrinks_with_samples():
    mdp = chain(4, gamma=0.8)
    floors = []
    for n in (200, 20_000):
        errs = [
            fitted_q_iteration(mdp, one_hot_features(8), 40, n_samples=n, rng=s).q_errors[-10:].mean() for s in range(4)
        ]
        floors.append(np.mean(errs))
    assert floors[1] < floors[0] / 3  # ~ n^(-1/2): 100x the samples, ~10x smaller error


def test_fqi_with_misspecified_features_runs():
    mdp = chain(6, gamma=0.8)
    res = fitted_q_iteration(mdp, random_features(12, 4, rng=0), 10)
    assert res.q.shape == (11, 6, 2) and np.isfinite(res.q_errors).all()
