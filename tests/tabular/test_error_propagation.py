"""The AVI vs MD-VI error-propagation experiment: AVI attains the Bertsekas-Tsitsiklis H^2 loss in closed form,
MD-VI stays within Vieillard et al. (2020) Thm 1."""

import numpy as np
import pytest

from rltheory.tabular import error_propagation_experiment


def test_error_propagation_avi_quadratic_mdvi_linear_in_horizon():
    # same moving error wave eps (1_{k+1} - 1_k) for both methods on the adversarial chain
    from rltheory.proofs_checks.rates import assert_rate_at_least, assert_rate_at_most, fit_power_law

    eps, delta = 0.01, 1e-3
    res = error_propagation_experiment([0.8, 0.9, 0.95, 0.975], epsilon=eps, margin=delta)
    g, K, H = res.gammas, res.iterations, res.horizons
    bt = 2 * g * eps / (1 - g) ** 2  # Bertsekas & Tsitsiklis (1996), Prop. 6.1
    np.testing.assert_allclose(res.avi_bound, bt, rtol=1e-15)
    # closed form: pi_K stays at the wave's front K - 2 and loses (1 - delta)(1 - g^(K-3)) 2 g eps / (1-g)^2
    np.testing.assert_allclose(res.avi_loss, (1 - delta) * (1 - g ** (K - 3)) * bt, rtol=1e-9)
    assert np.all(res.avi_loss <= bt)
    # Vieillard et al. (2020), Thm 1 at k = K (sum of errors telescopes to norm eps)
    rmax = (1 - delta) * 2 * g * eps * (1 - g**K) / (1 - g)  # |c_{N-1}|, N = K + 2
    thm1 = 2 * eps / ((1 - g) * K) + 4 / (1 - g) ** 2 * (rmax + g * res.kl_weight * np.log(2)) / K
    np.testing.assert_allclose(res.mdvi_bound, thm1, rtol=1e-12)
    assert np.all(res.mdvi_last_loss <= thm1)
    assert np.all(res.mdvi_loss <= 2 * eps * H)  # the averaged-error term for a persistent eps: linear in H
    # avi_loss / g = (1-delta)(1-g^(K-3)) 2 eps H^2 with g^(K-3) <= e^-5 here: log-log slope 2 to < 0.01
    assert abs(fit_power_law(H, res.avi_loss / g, seed=0).exponent - 2.0) < 0.01
    assert_rate_at_least(fit_power_law(H, res.avi_loss, seed=0), 1.8)
    assert_rate_at_most(fit_power_law(H, res.mdvi_loss, seed=0), 1.0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="gammas"):
        error_propagation_experiment([1.0])
    with pytest.raises(ValueError, match="margin"):
        error_propagation_experiment([0.9], margin=1.0)
    with pytest.raises(ValueError, match="epsilon = 0.0 must be > 0.0"):
        error_propagation_experiment([0.9], epsilon=0.0)


def test_lives_outside_the_solver_module():
    """Issue 10, sec. 4: the experiment is not in the solver module _regularized."""
    import rltheory.tabular._regularized as solvers

    assert error_propagation_experiment.__module__ == "rltheory.tabular._error_propagation"
    assert not hasattr(solvers, "error_propagation_experiment")
