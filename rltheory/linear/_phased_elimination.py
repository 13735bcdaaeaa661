r"""Phased elimination with G-optimal design (Lattimore & Szepesvari 2020, Algorithm 12) as a compiled agent.

State of a run (arrays, see :class:`PhasedElimination`): the active arms, the
current phase's schedule (support arms of the design and their play counts
:math:`T_\ell(a)`, played in blocks in index order), the per-slot play counts
and reward sums of the phase, and the coordinates :math:`z_a = U^\top a` of
the active arms in an orthonormal basis :math:`U` of their span. ``select``
and ``update`` are :math:`O(1)` except at the end of a phase, where the least
squares estimate, the elimination and the next design are computed
(:math:`O(md^2 + d^3)` plus the design's Frank-Wolfe iterations, with
:math:`m` active arms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from .._validation import check_probability, check_tol
from ._design_kernel import design_g, g_optimal_design_kernel, prune_design
from ._linear_bandit_agents import LinearBanditAgent

__all__ = ["PhasedElimination"]

#: Frank-Wolfe iteration cap of the per-phase design (as the default of :func:`g_optimal_design`).
DESIGN_MAX_ITER = 100_000
#: Singular values below this fraction of the largest are treated as zero when finding the span of the active arms.
RANK_RTOL = 1e-10
#: Schedule length of the last phase once one arm (or only zero arms) remain: never reached.
_FOREVER = 2**62

# layout of the integer state
_ELL, _POS, _LEFT, _NSCHED, _NACTIVE, _RANK, _FALLBACK = 0, 1, 2, 3, 4, 5, 6


class _PhasedEliminationParams(NamedTuple):
    arms: np.ndarray  # (K, d): the fixed arm set
    delta: float  # resolved: 1/T when the record says None
    design_tol: float
    design_max_iter: int


@njit(cache=True)
def span_coordinates(A, Z):
    r"""Coordinates of the rows of ``A`` (``(m, d)``) in an orthonormal basis of their span, written to ``Z[:m, :r]``.

    Thin SVD :math:`A^\top = U\Sigma W^\top`; the rank :math:`r` counts the
    singular values above ``RANK_RTOL`` times the largest; each of the first
    :math:`r` columns of :math:`U` is oriented so that its entry of largest
    modulus is positive (a canonical sign, so the basis does not depend on
    the LAPACK build); :math:`z_a = U_{:, :r}^\top a`. Returns :math:`r`
    (0 when all rows are zero).
    """
    m, d = A.shape
    U, s, _ = np.linalg.svd(np.ascontiguousarray(A.T), full_matrices=False)
    if s.shape[0] == 0 or s[0] <= 0.0:
        return 0
    r = 0
    for i in range(s.shape[0]):
        if s[i] > RANK_RTOL * s[0]:
            r += 1
    for j in range(r):
        k = 0
        big = -1.0
        for i in range(d):
            if abs(U[i, j]) > big:
                big = abs(U[i, j])
                k = i
        sign = 1.0 if U[k, j] >= 0.0 else -1.0
        for a in range(m):
            acc = 0.0
            for i in range(d):
                acc += A[a, i] * U[i, j]
            Z[a, j] = sign * acc
    return r


@njit(cache=True)
def plan_phase(params, ell, active, ints, floats, Zbuf, sched_idx, sched_arm, sched_cnt):
    r"""The design and schedule of phase ``ell`` on ``active[:ints[_NACTIVE]]``.

    Writes the span coordinates to ``Zbuf``, the schedule (slot ``j``: index
    ``sched_idx[j]`` into the active list, arm ``sched_arm[j]``, count
    ``sched_cnt[j]``) and ``ints[_NSCHED]``, ``ints[_RANK]``,
    ``ints[_FALLBACK]``, ``floats[0] = g``. Phase lengths (Lattimore &
    Szepesvari 2020, eq. (22.1), with the design's own :math:`g` in place of
    :math:`d`, as in their eq. (21.3)):
    :math:`T_\ell(a) = \lceil 2 g(\pi_\ell)\pi_\ell(a)\epsilon_\ell^{-2}\log(k\ell(\ell+1)/\delta)\rceil`.
    """
    arms = params.arms
    K = arms.shape[0]
    m = ints[_NACTIVE]
    r = 0
    if m > 1:
        A = np.empty((m, arms.shape[1]))
        for i in range(m):
            A[i, :] = arms[active[i], :]
        r = span_coordinates(A, Zbuf)
    ints[_RANK] = r
    ints[_FALLBACK] = 0
    if r == 0:
        # one active arm, or only zero arms (all of mean 0): play the first one for ever
        sched_idx[0] = 0
        sched_arm[0] = active[0]
        sched_cnt[0] = _FOREVER
        ints[_NSCHED] = 1
        floats[0] = 0.0
        return
    Z = np.ascontiguousarray(Zbuf[:m, :r])
    w = np.empty(m)
    g, _, certified = g_optimal_design_kernel(Z, params.design_tol, params.design_max_iter, w)
    if not certified:
        # never use an uncertified design as if it were G-optimal: keep the better (by its true g) of the
        # Frank-Wolfe iterate and the uniform design on the active arms (pruned, g <= m); its true g enters T_l(a),
        # so every confidence width of the phase is still <= eps_l (only the phase is longer)
        wu = np.full(m, 1.0 / m)
        prune_design(Z, wu)
        norms = np.empty(m)
        gu, _ = design_g(Z, wu, norms)
        if gu < g:
            g = gu
            w[:] = wu
        ints[_FALLBACK] = 1
    floats[0] = g
    lam = math.log(K * ell * (ell + 1) / params.delta)
    scale = 2.0 * g * 4.0**ell * lam  # 2 g(pi) eps_l^{-2} log(k l (l + 1) / delta)
    n = 0
    for i in range(m):
        if w[i] > 0.0:
            c = math.ceil(scale * w[i])
            sched_idx[n] = i
            sched_arm[n] = active[i]
            sched_cnt[n] = min(c, _FOREVER)
            n += 1
    ints[_NSCHED] = n


@njit(cache=True)
def end_phase(params, active, ints, floats, Zbuf, sched_idx, sched_arm, sched_cnt, plays, sums):
    r"""Least squares on the phase's data, elimination, and the next phase's plan.

    :math:`\hat\theta = G^{-1}b` with :math:`G = \sum_a n_a z_a z_a^\top`,
    :math:`b = \sum_a S_a z_a` (:math:`n_a`, :math:`S_a`: plays and reward
    sum of arm :math:`a` in the phase); keep the active arms with
    :math:`\max_b\langle\hat\theta, z_b - z_a\rangle \le 2\epsilon_\ell`.
    """
    ell = ints[_ELL]
    m = ints[_NACTIVE]
    r = ints[_RANK]
    n = ints[_NSCHED]
    G = np.zeros((r, r))
    b = np.zeros(r)
    for j in range(n):
        i = sched_idx[j]
        nj = float(plays[j])
        for p in range(r):
            zp = Zbuf[i, p]
            b[p] += zp * sums[j]
            for q in range(r):
                G[p, q] += nj * zp * Zbuf[i, q]
    th = np.linalg.solve(G, b)
    pred = np.empty(m)
    top = -np.inf
    for i in range(m):
        acc = 0.0
        for p in range(r):
            acc += Zbuf[i, p] * th[p]
        pred[i] = acc
        if acc > top:
            top = acc
    thresh = 2.0 * 0.5**ell  # Lattimore & Szepesvari (2020), Algorithm 12: eliminate gaps > 2 eps_l
    keep = 0
    for i in range(m):
        if top - pred[i] <= thresh:
            active[keep] = active[i]
            keep += 1
    ints[_NACTIVE] = keep
    ints[_ELL] = ell + 1
    for j in range(n):
        plays[j] = 0
        sums[j] = 0.0
    plan_phase(params, ell + 1, active, ints, floats, Zbuf, sched_idx, sched_arm, sched_cnt)


@njit(cache=True)
def _pe_init(params, n_arms, dim, n_contexts):
    ints = np.zeros(8, dtype=np.int64)
    floats = np.zeros(2)
    active = np.arange(n_arms)
    sched_idx = np.zeros(n_arms, dtype=np.int64)
    sched_arm = np.zeros(n_arms, dtype=np.int64)
    sched_cnt = np.zeros(n_arms, dtype=np.int64)
    plays = np.zeros(n_arms, dtype=np.int64)
    sums = np.zeros(n_arms)
    Zbuf = np.zeros((n_arms, dim))
    ints[_ELL] = 1
    ints[_NACTIVE] = n_arms
    plan_phase(params, 1, active, ints, floats, Zbuf, sched_idx, sched_arm, sched_cnt)
    ints[_POS] = 0
    ints[_LEFT] = sched_cnt[0]
    return ints, floats, active, sched_idx, sched_arm, sched_cnt, plays, sums, Zbuf


@njit(cache=True)
def _pe_select(params, state, t, arms, rng):
    ints, floats, active, sched_idx, sched_arm, sched_cnt, plays, sums, Zbuf = state
    return sched_arm[ints[_POS]]


@njit(cache=True)
def _pe_update(params, state, t, arms, arm, reward, rng):
    ints, floats, active, sched_idx, sched_arm, sched_cnt, plays, sums, Zbuf = state
    j = ints[_POS]
    plays[j] += 1
    sums[j] += reward
    ints[_LEFT] -= 1
    if ints[_LEFT] > 0:
        return
    j += 1
    if j < ints[_NSCHED]:
        ints[_POS] = j
        ints[_LEFT] = sched_cnt[j]
        return
    end_phase(params, active, ints, floats, Zbuf, sched_idx, sched_arm, sched_cnt, plays, sums)
    ints[_POS] = 0
    ints[_LEFT] = sched_cnt[0]


@dataclass(frozen=True)
class PhasedElimination(LinearBanditAgent):
    r"""Phased elimination with G-optimal design (Lattimore & Szepesvari 2020, *Bandit Algorithms*, Alg. 12, Sec. 22.1).

    In phase :math:`\ell = 1, 2, \dots`, with :math:`\epsilon_\ell = 2^{-\ell}`
    and active arms :math:`\mathcal{A}_\ell` (:math:`\mathcal{A}_1` = all
    :math:`k` arms):

    1. work in an orthonormal basis of :math:`\mathrm{span}(\mathcal{A}_\ell)`
       (rank :math:`r \le d`, thin SVD), with coordinates :math:`z_a`: the
       book assumes that the arms span :math:`\mathbb{R}^d`, which the
       active arms of later phases need not do;
    2. compute a G-optimal design :math:`\pi_\ell` on the active arms
       (compiled Frank-Wolfe with the exact line search and Caratheodory
       pruning to at most :math:`r(r+1)/2` support points, certified by
       Kiefer-Wolfowitz: :math:`r \le g(\pi_\ell) \le r(1+\text{design\_tol})`,
       Theorem 21.1);
    3. play each support arm :math:`a`, in blocks in index order,

       .. math::

           T_\ell(a) = \Big\lceil \frac{2 g(\pi_\ell)\pi_\ell(a)}{\epsilon_\ell^2}
           \log\frac{k\ell(\ell+1)}{\delta} \Big\rceil

       times: their eq. (22.1) with the design's own :math:`g(\pi_\ell)` in
       place of :math:`d` (as in their eq. (21.3)); the two agree for an
       exactly optimal design (:math:`g = r`);
    4. form the least-squares estimate :math:`\hat\theta_\ell = G^{-1}b` of
       the phase's data, :math:`G = \sum_a T_\ell(a) z_a z_a^\top`,
       :math:`b = \sum_a z_a \sum_{t: A_t = a} X_t`, and eliminate every arm
       with :math:`\max_{b\in\mathcal{A}_\ell}\langle\hat\theta_\ell, z_b - z_a\rangle > 2\epsilon_\ell`.

    When one arm is left (or only zero vectors, all of mean 0), it is played
    for ever.

    **Guarantee** (their Theorem 22.1): for 1-sub-Gaussian noise
    (``noise_sigma <= 1``) and :math:`|\langle\theta, a\rangle| \le 1`, with
    :math:`\delta = 1/T`, :math:`\mathbb{E}[R_T] \le C\sqrt{Td\log(kT)}` for
    a universal constant :math:`C` (like the book's algorithm, the agent
    assumes the noise level 1 and does not read ``noise_sigma``; for
    :math:`\sigma > 1` the phases would have to be :math:`\sigma^2` times
    longer for the guarantee). The proof's steps: since
    :math:`G \succeq 2 g(\pi_\ell)\epsilon_\ell^{-2}\log(k\ell(\ell+1)/\delta)\,V(\pi_\ell)`,
    every active :math:`a` has :math:`\|z_a\|^2_{G^{-1}} \le \epsilon_\ell^2 / (2\log(k\ell(\ell+1)/\delta))`,
    so (Gaussian noise, :math:`\bar\Phi(x) \le e^{-x^2/2}/2`, union over arms
    and phases) with probability at least :math:`1-\delta` (:math:`1-2\delta`
    for sub-Gaussian noise) every estimate satisfies
    :math:`|\langle\hat\theta_\ell - \theta, a\rangle| \le \epsilon_\ell` on
    :math:`\mathcal{A}_\ell`; then the optimal arm is never eliminated, the
    arms of phase :math:`\ell \ge 2` have gaps at most
    :math:`4\epsilon_{\ell-1}`, and
    :math:`R_T \le \sum_\ell 4\epsilon_{\ell-1}\,|\text{phase }\ell \cap [T]|`
    (:math:`\epsilon_0 = 1`: gaps are at most 2)
    with phase lengths at most
    :math:`d(d+1)/2 + 2d(1+\text{design\_tol})\epsilon_\ell^{-2}\log(k\ell(\ell+1)/\delta)`.
    So the theorem's factor :math:`2d` in :math:`T_\ell` holds here with
    :math:`2d(1+\text{design\_tol})` (phases at most :math:`1+\text{tol}`
    times longer, the bound about :math:`\sqrt{1+\text{tol}}` times larger),
    and the confidence widths are exactly the theorem's.

    **Uncertified designs.** If Frank-Wolfe does not reach the certificate
    within ``DESIGN_MAX_ITER`` iterations (:math:`10^5`; random arm sets of
    up to 300 arms in 12 dimensions need fewer than 100 at ``tol = 0.05``),
    the phase uses whichever of the last iterate and the
    (pruned) uniform design on the active arms has the smaller *true*
    :math:`g` (at most the number of active arms), and that :math:`g` enters
    :math:`T_\ell(a)`: the widths stay :math:`\le\epsilon_\ell`, only the
    phase is longer (the bound's :math:`1+\text{tol}` becomes
    :math:`g/r` for that phase). It never uses such a design as if it were
    G-optimal.

    The agent draws no randomness: its arms are a deterministic function of
    the rewards. Fixed arm sets only (a contextual
    :class:`~rltheory.linear.LinearBandit` raises ``ValueError``). Rewards
    come from the engine's xoshiro256++ environment streams, so the numbers
    differ from the former Python implementation (which drew its noise from
    NumPy PCG64 streams) while the algorithm is the same.

    Parameters
    ----------
    delta : float in (0, 1) or None
        Confidence parameter; ``None`` means :math:`1/T` (:math:`T` =
        ``n_rounds``) as in Theorem 22.1.
    design_tol : float > 0
        Tolerance of the design certificate :math:`g \le r(1+\text{tol})`.

    Examples
    --------
    Noise-free, two orthogonal arms, :math:`T = 1000` so :math:`\delta = 10^{-3}`:
    the design is uniform with :math:`g = 2`; phase 1 plays each arm
    :math:`\lceil 2\cdot 2\cdot\tfrac12\cdot 4\log 4000\rceil = 67` times and
    keeps both (gap :math:`1 \le 2\epsilon_1`); phase 2 plays each
    :math:`\lceil 16\log 12000\rceil = 301` times and eliminates arm 1
    (:math:`1 > 2\epsilon_2`); arm 0 takes the remaining 264 rounds.

    >>> import numpy as np
    >>> from rltheory.linear import LinearBandit, PhasedElimination
    >>> from rltheory.simulation import simulate
    >>> bandit = LinearBandit(np.eye(2), [1.0, 0.0], noise_sigma=0.0)
    >>> simulate(bandit, PhasedElimination(), n_rounds=1000, checkpoints=1).pulls[0, -1].tolist()
    [632, 368]
    >>> curve = simulate(LinearBandit.random(3, 10, noise_sigma=0.5, rng=0), PhasedElimination(),
    ...                  n_rounds=2000, n_runs=4, seed=1, checkpoints=5)
    >>> curve.regret.shape, bool((curve.pulls[:, -1].sum(axis=1) == 2000).all())
    ((4, 5), True)
    """

    delta: float | None = None
    design_tol: float = 0.05

    name: ClassVar[str] = "PhasedElimination"
    Params: ClassVar = _PhasedEliminationParams
    init: ClassVar = staticmethod(_pe_init)
    select: ClassVar = staticmethod(_pe_select)
    update: ClassVar = staticmethod(_pe_update)

    def __post_init__(self):
        if self.delta is not None:
            object.__setattr__(self, "delta", check_probability("delta", self.delta))
        object.__setattr__(self, "design_tol", check_tol(self.design_tol, "design_tol"))

    def compiled_params(self, problem, budget):
        if problem.is_contextual:
            raise ValueError(
                f"PhasedElimination needs a fixed arm set (a LinearBandit with arms of shape (K, d)); got a contextual "
                f"bandit with {problem.n_contexts} context sets"
            )
        delta = 1.0 / budget if self.delta is None else self.delta
        return _PhasedEliminationParams(
            np.ascontiguousarray(problem.arms[0]), float(delta), float(self.design_tol), DESIGN_MAX_ITER
        )
