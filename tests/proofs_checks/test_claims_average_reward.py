"""The plug-in rate experiment: its error scaling (delta method) and why its grid must be asymptotic."""

import math

import numpy as np

from rltheory.proofs_checks._claims_average_reward import _plugin_gain_errors


def test_plugin_error_follows_the_delta_method_and_the_old_grid_was_not_asymptotic():
    # sd of g_hat = 0.9 q1_hat / (q0_hat + q1_hat) (q0 = p/2, q1 = p) is c sqrt((1.5 - p) / (p n)) (delta method);
    # with common random numbers the ratio of mean errors between two p is nearly free of Monte Carlo noise
    u = np.random.default_rng(0).random((300, 2, 2))
    n = 4_000_000
    lo, hi = _plugin_gain_errors(0.4, n, u).mean(), _plugin_gain_errors(0.05, n, u).mean()
    predicted = math.sqrt((1.45 / 0.05) / (1.1 / 0.4))
    assert abs(hi / lo / predicted - 1) < 0.02
    # the slope over p in [0.05, 0.4] is log(predicted) / log 8 = 0.566, not the asymptotic 1/2
    assert abs(math.log(predicted) / math.log(8) - 0.566) < 1e-3
    # replications are coupled: each error is (to first order) the same standardized draw scaled by the sd
    e1, e2 = _plugin_gain_errors(0.002, n, u), _plugin_gain_errors(0.001, n, u)
    assert np.corrcoef(e1, e2)[0, 1] > 0.99
