r"""Learning to relax: the SOR relaxation parameter chosen online by a bandit over a grid.

A sequence of linear systems :math:`A_t x = b` is solved by successive
over-relaxation (SOR); before solving system :math:`t` a learner picks
:math:`\omega_t` from a grid and observes only the number of iterations the
solve took (Khodak, Chow, Balcan & Talwalkar, *Learning to relax: setting
solver parameters across a sequence of linear system instances*, ICLR 2024,
arXiv:2310.02246: the cost of :math:`\omega` on an instance is its iteration
count, normalised by the cap, and Tsallis-INF over a grid of :math:`\omega`
competes with the best fixed :math:`\omega`).

The family here is their *diagonally shifted* model problem: the 2-D
5-point Laplacian on an :math:`n \times n` interior grid plus :math:`c\,I`
(:class:`PoissonSystem`). In red-black (or natural) ordering it is
consistently ordered with real Jacobi eigenvalues, so Young's theorem
(D. M. Young, *Iterative Solution of Large Linear Systems*, 1971, Thm 6.2.3;
Y. Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed., Thm 4.7)
gives the spectral radius of the SOR iteration matrix in closed form
(:func:`young_sor_radius`) and the optimal parameter
:math:`\omega^* = 2 / (1 + \sqrt{1 - \rho(J)^2})`
(:func:`young_optimal_omega`), with :math:`\rho(L_{\omega^*}) = \omega^* - 1`
and, for the model problem, :math:`\rho(J) = 4\cos(\pi h)/(4 + c)`,
:math:`h = 1/(n+1)`.

:func:`sor_cost_table` runs SOR for every (system, grid :math:`\omega`) pair
and returns the iteration counts and the :class:`~rltheory.bandits.SequenceBandit`
of normalised rewards :math:`1 - \text{iterations}/\text{max\_iter}`: the
bandit kind of :func:`rltheory.simulation.simulate` then measures the regret
of :class:`~rltheory.bandits.TsallisINF` or :class:`~rltheory.bandits.EXP3`
against the best fixed grid :math:`\omega` in hindsight (in units of
``max_iter`` iterations).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_int, check_iteration_settings, check_real, check_shape, readonly
from ._instances import SequenceBandit


def young_optimal_omega(jacobi_radius: float) -> float:
    r"""Young's optimal SOR parameter :math:`\omega^* = 2 / (1 + \sqrt{1 - \rho(J)^2})`.

    For a consistently ordered matrix whose Jacobi iteration matrix :math:`J`
    has real eigenvalues and spectral radius :math:`\rho(J) < 1`,
    :math:`\omega^*` minimises :math:`\rho(L_\omega)` over :math:`\omega`, and
    :math:`\rho(L_{\omega^*}) = \omega^* - 1` (Young 1971, Thm 6.2.3; Saad
    2003, Thm 4.7).

    Parameters
    ----------
    jacobi_radius : float
        :math:`\rho(J)` in ``[0, 1)``.

    Examples
    --------
    >>> round(young_optimal_omega(0.0), 12), round(young_optimal_omega(0.6), 12)
    (1.0, 1.111111111111)
    """
    rho = check_real("jacobi_radius", jacobi_radius, low=0.0, high=1.0, high_open=True)
    return 2.0 / (1.0 + math.sqrt(1.0 - rho * rho))


def young_sor_radius(jacobi_radius: float, omega: float) -> float:
    r"""Young's closed form of the SOR spectral radius :math:`\rho(L_\omega)`, :math:`0 < \omega < 2`.

    For a consistently ordered matrix with real Jacobi eigenvalues and
    :math:`\mu = \rho(J) < 1` (Young 1971, Thm 6.2.3; Saad 2003, Thm 4.7):

    .. math::

        \rho(L_\omega) = \begin{cases}
        \Big(\tfrac{\omega\mu + \sqrt{\omega^2\mu^2 - 4(\omega - 1)}}{2}\Big)^2 & 0 < \omega \le \omega^*, \\
        \omega - 1 & \omega^* \le \omega < 2,
        \end{cases}

    from the eigenvalue relation :math:`(\lambda + \omega - 1)^2 = \lambda\,\omega^2\mu^2`.

    Examples
    --------
    >>> round(young_sor_radius(0.6, 1.0), 12)   # Gauss-Seidel: rho(J)^2
    0.36
    >>> w = young_optimal_omega(0.6)
    >>> round(young_sor_radius(0.6, w), 12) == round(w - 1, 12)
    True
    """
    mu = check_real("jacobi_radius", jacobi_radius, low=0.0, high=1.0, high_open=True)
    w = check_real("omega", omega, low=0.0, high=2.0, low_open=True, high_open=True)
    if w >= young_optimal_omega(mu):
        return w - 1.0
    disc = max(w * w * mu * mu - 4.0 * (w - 1.0), 0.0)  # >= 0 below omega* (it vanishes at omega*)
    return ((w * mu + math.sqrt(disc)) / 2.0) ** 2


def sor_iteration_matrix(A, omega: float) -> np.ndarray:
    r"""The SOR iteration matrix :math:`L_\omega = (D - \omega E)^{-1}((1 - \omega)D + \omega F)`.

    With :math:`A = D - E - F` (diagonal, strictly lower, strictly upper
    part), one SOR sweep in the order of the unknowns is
    :math:`x \leftarrow L_\omega x + \omega (D - \omega E)^{-1} b` (Saad
    2003, Eq. 4.10).

    Parameters
    ----------
    A : (N, N) array_like or scipy sparse matrix, nonzero diagonal
    omega : float in (0, 2)

    Examples
    --------
    >>> import numpy as np
    >>> L = sor_iteration_matrix(np.array([[2.0, -1.0], [-1.0, 2.0]]), 1.0)
    >>> float(max(abs(np.linalg.eigvals(L))))   # Gauss-Seidel: rho(J)^2 = 1/4
    0.25
    """
    w = check_real("omega", omega, low=0.0, high=2.0, low_open=True, high_open=True)
    M = np.asarray(A.toarray() if hasattr(A, "toarray") else A, dtype=np.float64)
    check_shape("A", M, (None, None))
    if M.shape[0] != M.shape[1]:
        raise ValueError(f"A must be square, got shape {M.shape}")
    d = np.diag(M)
    if np.any(d == 0):
        raise ValueError(f"A has a zero diagonal entry at index {int(np.argmin(np.abs(d)))}")
    D = np.diag(d)
    E = -np.tril(M, -1)
    F = -np.triu(M, 1)
    return np.linalg.solve(D - w * E, (1.0 - w) * D + w * F)


@dataclass(frozen=True)
class PoissonSystem:
    r"""The diagonally shifted 2-D model problem :math:`(\Delta_h + c I) x = b`.

    :math:`\Delta_h` is the 5-point negative Laplacian (stencil 4 on the
    diagonal, -1 for the four neighbours, zero Dirichlet boundary) on the
    :math:`n \times n` interior grid, :math:`h = 1/(n+1)`, shifted by
    :math:`c = ` ``shift`` :math:`\ge 0` (Khodak et al. 2024, the diagonally
    shifted setting). Unknown :math:`(i, j)` is index :math:`i n + j`
    (natural ordering). The Jacobi matrix has eigenvalues
    :math:`(2\cos(k\pi h) + 2\cos(l\pi h))/(4 + c)`, so
    :math:`\rho(J) = 4\cos(\pi h)/(4 + c)`; the matrix is consistently ordered
    in natural and red-black order (Young 1971, Sec. 5.3).

    Examples
    --------
    >>> s = PoissonSystem(7)
    >>> s.size, round(s.jacobi_radius, 12) == round(float(np.cos(np.pi / 8)), 12)
    (49, True)
    >>> round(s.young_omega, 4)
    1.4465
    """

    n: int
    shift: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "n", check_int("n", self.n, low=1))
        object.__setattr__(self, "shift", check_real("shift", self.shift, low=0.0))

    @property
    def size(self) -> int:
        """Number of unknowns :math:`n^2`.

        Examples
        --------
        >>> PoissonSystem(3).size
        9
        """
        return self.n * self.n

    @property
    def jacobi_radius(self) -> float:
        r""":math:`\rho(J) = 4\cos(\pi h)/(4 + c)`, exact for the model problem.

        Examples
        --------
        >>> round(PoissonSystem(1, shift=4.0).jacobi_radius, 12)   # cos(pi/2) = 0
        0.0
        """
        return 4.0 * math.cos(math.pi / (self.n + 1)) / (4.0 + self.shift)

    @property
    def young_omega(self) -> float:
        r"""Young's :math:`\omega^*` of this system (:func:`young_optimal_omega` of :attr:`jacobi_radius`).

        Examples
        --------
        >>> PoissonSystem(4, shift=1.0).young_omega < PoissonSystem(4).young_omega
        True
        """
        return young_optimal_omega(self.jacobi_radius)

    def matrix(self, ordering: str = "natural"):
        r"""The matrix as ``scipy.sparse`` CSR, in ``"natural"`` or ``"red-black"`` order.

        Red-black order lists the unknowns with :math:`i + j` even first (each
        group in natural order), then the others: the order of the sweeps of
        :func:`sor_solve`.

        Examples
        --------
        >>> PoissonSystem(2).matrix().toarray()
        array([[ 4., -1., -1.,  0.],
               [-1.,  4.,  0., -1.],
               [-1.,  0.,  4., -1.],
               [ 0., -1., -1.,  4.]])
        """
        import scipy.sparse as sp

        if ordering not in ("natural", "red-black"):
            raise ValueError(f"ordering = {ordering!r} must be 'natural' or 'red-black'")
        n = self.n
        T = sp.diags([-np.ones(n - 1), -np.ones(n - 1)], [-1, 1], shape=(n, n))
        I = sp.identity(n)
        A = (sp.kron(I, T) + sp.kron(T, I) + (4.0 + self.shift) * sp.identity(n * n)).tocsr()
        if ordering == "red-black":
            p = self.red_black_order()
            A = A[p][:, p].tocsr()
        return A

    def red_black_order(self) -> np.ndarray:
        """Natural indices of the unknowns in red-black order (``i + j`` even first).

        Examples
        --------
        >>> PoissonSystem(2).red_black_order().tolist()
        [0, 3, 1, 2]
        """
        i, j = np.divmod(np.arange(self.size), self.n)
        return np.concatenate([np.flatnonzero((i + j) % 2 == 0), np.flatnonzero((i + j) % 2 == 1)])


@dataclass(frozen=True)
class SORResult:
    """The outcome of :func:`sor_solve`.

    Attributes
    ----------
    x : (n * n,) read-only array, the last iterate (natural ordering)
    iterations : int, SOR sweeps performed
    converged : bool, whether the relative residual met ``tol``
    residual : float, :math:`\\|b - Ax\\|_2 / \\|b\\|_2` at the last iterate
    omega : float

    Examples
    --------
    >>> r = sor_solve(PoissonSystem(4), 1.0, tol=1e-6)
    >>> r.converged, r.residual <= 1e-6, r.x.shape
    (True, True, (16,))
    """

    x: np.ndarray
    iterations: int
    converged: bool
    residual: float
    omega: float


def sor_solve(system: PoissonSystem, omega: float, b=None, *, tol: float = 1e-8, max_iter: int = 10_000) -> SORResult:
    r"""Red-black SOR on a :class:`PoissonSystem` from :math:`x_0 = 0` until :math:`\|b - Ax\|_2 \le`
    ``tol`` :math:`\|b\|_2`.

    One sweep updates the red unknowns (:math:`i + j` even), then the black
    ones, each by :math:`x_{ij} \leftarrow (1 - \omega)x_{ij} + \omega (b_{ij}
    + \sum_{\text{nbrs}} x)/(4 + c)`; unknowns of one colour do not couple, so
    this is SOR in red-black order exactly (its iteration matrix is
    :func:`sor_iteration_matrix` of ``system.matrix("red-black")``). The
    residual is checked after every sweep; ``iterations`` counts sweeps.

    Parameters
    ----------
    system : PoissonSystem
    omega : float in (0, 2)
    b : (n * n,) array_like, optional
        Right-hand side in natural order (default: all ones).
    tol, max_iter : stopping rule (``max_iter = 0`` returns :math:`x_0`).

    Examples
    --------
    >>> s = PoissonSystem(8)
    >>> fast, slow = sor_solve(s, s.young_omega), sor_solve(s, 1.0)
    >>> fast.converged, fast.iterations < slow.iterations
    (True, True)
    """
    if not isinstance(system, PoissonSystem):
        raise ValueError(f"system must be a PoissonSystem, got {type(system).__name__}")
    w = check_real("omega", omega, low=0.0, high=2.0, low_open=True, high_open=True)
    tol, max_iter = check_iteration_settings(tol, max_iter)
    n = system.n
    if b is None:
        rhs = np.ones((n, n))
    else:
        rhs = np.array(b, dtype=np.float64)
        check_shape("b", rhs, (n * n,))
        if not np.all(np.isfinite(rhs)):
            raise ValueError("b has a non-finite entry")
        rhs = rhs.reshape(n, n)
    bnorm = float(np.linalg.norm(rhs))
    if bnorm == 0.0:
        raise ValueError("b is zero: the relative residual is undefined")
    diag = 4.0 + system.shift
    u = np.zeros((n + 2, n + 2))  # zero Dirichlet boundary ring
    inner = u[1:-1, 1:-1]
    i, j = np.indices((n, n))
    colours = ((i + j) % 2 == 0, (i + j) % 2 == 1)

    def neighbours():
        return u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:]

    def residual():
        return float(np.linalg.norm(rhs - diag * inner + neighbours())) / bnorm

    res = residual()
    it = 0
    while res > tol and it < max_iter:
        for mask in colours:
            gs = (rhs + neighbours()) / diag
            inner[mask] = (1.0 - w) * inner[mask] + w * gs[mask]
        it += 1
        res = residual()
    return SORResult(readonly(inner.reshape(-1).copy()), it, bool(res <= tol), res, w)


@dataclass(frozen=True)
class SORCostTable:
    r"""Iteration counts of SOR for a sequence of systems and a grid of :math:`\omega` (:func:`sor_cost_table`).

    Attributes
    ----------
    omegas : (K,) read-only array, the grid
    costs : (T, K) read-only int64 array, iterations of system ``t`` at ``omegas[k]`` (``max_iter`` if it did not
        converge)
    max_iter : int, the cap; rewards are ``1 - costs / max_iter`` in ``[0, 1]``
    young_omegas : (T,) read-only array, Young's :math:`\omega^*` of each system
    shifts : (T,) read-only array, the diagonal shifts of the systems
    rewards : (T, K) read-only array, ``1 - costs / max_iter``

    Examples
    --------
    >>> t = sor_cost_table([PoissonSystem(5)], [1.0, 1.5], max_iter=100)
    >>> bool(t.rewards[0, 1] > t.rewards[0, 0])
    True
    """

    omegas: np.ndarray
    costs: np.ndarray
    max_iter: int
    young_omegas: np.ndarray
    shifts: np.ndarray
    rewards: np.ndarray = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "rewards", readonly(1.0 - self.costs / self.max_iter))

    @property
    def bandit(self) -> SequenceBandit:
        """The oblivious adversarial bandit of normalised rewards ``1 - costs / max_iter``.

        Examples
        --------
        >>> t = sor_cost_table([PoissonSystem(4)] * 3, [1.0, 1.5], max_iter=200)
        >>> t.bandit.n_rounds, t.bandit.n_arms
        (3, 2)
        """
        return SequenceBandit(self.rewards)

    @property
    def best_fixed_arm(self) -> int:
        """Grid index of the best fixed :math:`\\omega` in hindsight (fewest total iterations).

        Examples
        --------
        >>> sor_cost_table([PoissonSystem(6)], [1.0, 1.4, 1.9], max_iter=500).best_fixed_arm
        1
        """
        return int(np.argmin(self.costs.sum(axis=0)))


def sor_cost_table(systems, omegas, b=None, *, tol: float = 1e-8, max_iter: int = 10_000) -> SORCostTable:
    r"""SOR iteration counts of every system at every grid :math:`\omega` (:func:`sor_solve`).

    Repeated systems are solved once. The result's :attr:`SORCostTable.bandit`
    is the learning-to-relax bandit of Khodak et al. (2024): round ``t`` is
    system ``t``, arm ``k`` is ``omegas[k]``, the reward is
    :math:`1 - \text{iterations}/\text{max\_iter}`.

    Parameters
    ----------
    systems : sequence of PoissonSystem (at least one)
    omegas : (K,) array_like of values in (0, 2), K >= 2
    b : right-hand side shared by the systems (default: ones); they must then share ``n``
    tol, max_iter : the stopping rule of each solve

    Examples
    --------
    >>> import numpy as np
    >>> t = sor_cost_table([PoissonSystem(6, 0.0), PoissonSystem(6, 1.0)], np.linspace(1.0, 1.8, 5), max_iter=400)
    >>> t.costs.shape, bool(t.costs[1, 0] < t.costs[0, 0])   # Gauss-Seidel: rho(J)^2 shrinks with the shift
    ((2, 5), True)
    """
    systems = list(systems)
    if not systems:
        raise ValueError("systems is empty; need at least one PoissonSystem")
    for k, s in enumerate(systems):
        if not isinstance(s, PoissonSystem):
            raise ValueError(f"systems[{k}] must be a PoissonSystem, got {type(s).__name__}")
    grid = np.array(omegas, dtype=np.float64)
    check_shape("omegas", grid, (None,))
    if grid.shape[0] < 2:
        raise ValueError(f"omegas has {grid.shape[0]} values; a bandit needs at least 2")
    for k, w in enumerate(grid):
        check_real(f"omegas[{k}]", float(w), low=0.0, high=2.0, low_open=True, high_open=True)
    tol, max_iter = check_iteration_settings(tol, max_iter)
    if max_iter < 1:
        raise ValueError("max_iter = 0 leaves no iterations to count; need max_iter >= 1")
    solved: dict = {}
    costs = np.empty((len(systems), grid.shape[0]), dtype=np.int64)
    for t, s in enumerate(systems):
        if s not in solved:
            solved[s] = [sor_solve(s, float(w), b, tol=tol, max_iter=max_iter).iterations for w in grid]
        costs[t] = solved[s]
    return SORCostTable(
        readonly(grid),
        readonly(costs),
        max_iter,
        readonly(np.array([s.young_omega for s in systems])),
        readonly(np.array([s.shift for s in systems])),
    )
