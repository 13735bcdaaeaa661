"""Learning to relax: Young's theorem on the model problem, red-black SOR against plain sequential SOR, the table."""

import numpy as np
import pytest

from rltheory.bandits import (
    PoissonSystem,
    SequenceBandit,
    sor_cost_table,
    sor_iteration_matrix,
    sor_solve,
    young_optimal_omega,
    young_sor_radius,
)


def _sequential_sor(A, b, omega, sweeps):
    """Textbook SOR (Saad 2003, Eq. 4.10), one unknown after another in the order of A."""
    x = np.zeros_like(b)
    for _ in range(sweeps):
        for k in range(len(b)):
            sigma = A[k] @ x - A[k, k] * x[k]
            x[k] = (1 - omega) * x[k] + omega * (b[k] - sigma) / A[k, k]
    return x


@pytest.mark.parametrize("n,shift", [(3, 0.0), (4, 0.5), (5, 2.0)])
def test_jacobi_radius_is_the_spectral_radius_of_the_jacobi_matrix(n, shift):
    s = PoissonSystem(n, shift)
    A = s.matrix().toarray()
    J = np.eye(s.size) - A / np.diag(A)[:, None]
    assert max(abs(np.linalg.eigvals(J))) == pytest.approx(s.jacobi_radius, abs=1e-12)


@pytest.mark.parametrize("n,shift", [(3, 0.0), (4, 0.5), (6, 0.0)])
@pytest.mark.parametrize("ordering", ["natural", "red-black"])
def test_young_radius_matches_the_iteration_matrix(n, shift, ordering):
    # both orderings of the 5-point matrix are consistently ordered (Young 1971, Sec. 5.3); the eigenvalues are
    # simple away from omega* (a 2 x 2 Jordan block sits at omega*, where eigvals is only sqrt(eps) accurate)
    s = PoissonSystem(n, shift)
    A = s.matrix(ordering)
    w_star = s.young_omega
    for w in (0.5, 1.0, 1.2, w_star - 0.1, w_star + 0.05, 1.9):
        rho = max(abs(np.linalg.eigvals(sor_iteration_matrix(A, w))))
        assert rho == pytest.approx(young_sor_radius(s.jacobi_radius, w), abs=1e-9)


def test_young_omega_minimises_the_radius():
    for mu in (0.0, 0.3, 0.9, 0.999):
        w_star = young_optimal_omega(mu)
        radii = [young_sor_radius(mu, w) for w in np.linspace(0.01, 1.99, 397)]
        assert min(radii) >= w_star - 1 - 1e-15
        assert young_sor_radius(mu, w_star) == pytest.approx(w_star - 1, abs=1e-15)


def test_red_black_sweeps_are_sequential_sor_in_red_black_order():
    s = PoissonSystem(4, 0.3)
    rng = np.random.default_rng(0)
    b = rng.normal(size=s.size)
    p = s.red_black_order()
    A = s.matrix("red-black").toarray()
    for w, sweeps in ((1.0, 1), (1.5, 3), (0.7, 5)):
        x = sor_solve(s, w, b, tol=1e-300, max_iter=sweeps).x
        ref = _sequential_sor(A, b[p], w, sweeps)
        np.testing.assert_allclose(x[p], ref, rtol=0, atol=1e-12)


def test_sor_solve_reaches_the_solution_and_reports_its_residual():
    s = PoissonSystem(8, 1.0)
    r = sor_solve(s, s.young_omega, tol=1e-10)
    A = s.matrix()
    b = np.ones(s.size)
    assert r.converged and r.residual <= 1e-10
    assert np.linalg.norm(b - A @ r.x) / np.linalg.norm(b) == pytest.approx(r.residual, rel=1e-6)
    capped = sor_solve(s, 1.0, tol=1e-12, max_iter=3)
    assert capped.iterations == 3 and not capped.converged
    assert sor_solve(s, 1.0, max_iter=0).iterations == 0


def test_asymptotic_convergence_factor_is_the_spectral_radius():
    # the residual contracts by rho(L_w) per sweep asymptotically (simple dominant eigenvalue at w = 1: rho(J)^2)
    s = PoissonSystem(6)
    a = sor_solve(s, 1.0, tol=1e-300, max_iter=40).residual
    b = sor_solve(s, 1.0, tol=1e-300, max_iter=60).residual
    assert (b / a) ** (1 / 20) == pytest.approx(s.jacobi_radius**2, rel=1e-3)


def test_cost_table_counts_each_solve_and_builds_the_bandit():
    systems = [PoissonSystem(6, 0.0), PoissonSystem(6, 1.0), PoissonSystem(6, 0.0)]
    omegas = [1.0, 1.3, 1.6]
    t = sor_cost_table(systems, omegas, tol=1e-8, max_iter=300)
    for i, s in enumerate(systems):
        for k, w in enumerate(omegas):
            assert t.costs[i, k] == sor_solve(s, w, tol=1e-8, max_iter=300).iterations
    np.testing.assert_array_equal(t.rewards, 1 - t.costs / 300)
    assert isinstance(t.bandit, SequenceBandit) and t.bandit.best_arm == t.best_fixed_arm
    np.testing.assert_allclose(t.young_omegas, [s.young_omega for s in systems])
    assert not t.costs.flags.writeable


def test_validation_names_the_argument():
    with pytest.raises(ValueError, match="omega"):
        sor_solve(PoissonSystem(3), 2.0)
    with pytest.raises(ValueError, match="shift"):
        PoissonSystem(3, -1.0)
    with pytest.raises(ValueError, match="jacobi_radius"):
        young_optimal_omega(1.0)
    with pytest.raises(ValueError, match="omegas"):
        sor_cost_table([PoissonSystem(3)], [1.0])
    with pytest.raises(ValueError, match="systems\\[0\\]"):
        sor_cost_table([np.eye(2)], [1.0, 1.5])
    with pytest.raises(ValueError, match="b"):
        sor_solve(PoissonSystem(3), 1.0, np.ones(4))
