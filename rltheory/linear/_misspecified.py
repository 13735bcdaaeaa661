r"""Misspecified linear bandits and sparsity.

Seed: Dong & Yang (2023), "Does Sparsity Help in Learning Misspecified Linear Bandits?", ICML.

The reward of arm :math:`a` is :math:`f(a) = \langle a, \theta\rangle + \eta(a)`
with :math:`|\eta(a)| \le \epsilon` (uniform misspecification); queries are
noiseless here (the setting of Du et al. 2020 and Lattimore, Szepesvari &
Weisz 2020). Published rates:

* without structure, an :math:`O(\epsilon\sqrt d)`-optimal arm is found with
  :math:`\mathrm{poly}(d/\epsilon)` queries (Lattimore et al. 2020), and
  :math:`O(\epsilon)`-optimality needs :math:`\Omega(\exp(d))` queries (Du
  et al. 2020);
* if :math:`\theta` is :math:`s`-sparse, an :math:`O(\epsilon)`-optimal arm is
  found with :math:`O(\epsilon^{-s}d^s)` queries (Dong & Yang 2023, abstract
  and main upper bound).

:func:`design_baseline` is the optimal-design estimator (one noiseless query
per support point of a G-optimal design), :math:`2\epsilon(1+\sqrt{d(1+\text{tol})})`-optimal;
:func:`sparse_support_enumeration` enumerates the :math:`\binom{d}{s}`
supports and an :math:`\epsilon`-grid of parameters on each, queries each
candidate's greedy arm and returns the best observed one,
:math:`4\epsilon`-optimal with at most
:math:`\binom ds(\lfloor BL/\epsilon\rfloor + 1)^s = O(\epsilon^{-s}d^s)`
candidate queries. :meth:`MisspecifiedLinearBandit.adversarial_for_design`
builds instances on which the baseline's error really grows like
:math:`\epsilon\sqrt d`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from .._validation import as_generator, check_finite, check_int, check_real, check_shape, readonly
from ._design import g_optimal_design

__all__ = [
    "MisspecifiedLinearBandit",
    "MisspecifiedResult",
    "design_baseline",
    "sparse_support_enumeration",
]


@dataclass(frozen=True, eq=False)
class MisspecifiedLinearBandit:
    r"""Arms :math:`a_k \in\mathbb{R}^d`, a parameter :math:`\theta`, misspecification :math:`|\eta_k| \le \epsilon`.

    Attributes
    ----------
    arms : (K, d) ndarray
    theta : (d,) ndarray
    misspecification : (K,) ndarray
    epsilon : float
        The stated bound (validated: :math:`\|\eta\|_\infty \le \epsilon`).
    rewards : (K,) ndarray
        :math:`f(a_k) = \langle a_k,\theta\rangle + \eta_k` (what a query returns).
    sparsity : int
        :math:`\|\theta\|_0`.

    Examples
    --------
    >>> b = MisspecifiedLinearBandit(np.eye(2), [1.0, 0.0], [0.1, -0.1], 0.1)
    >>> b.rewards.tolist(), b.sparsity, b.dim
    ([1.1, -0.1], 1, 2)
    """

    arms: np.ndarray
    theta: np.ndarray
    misspecification: np.ndarray
    epsilon: float

    def __post_init__(self):
        X = np.array(self.arms, dtype=np.float64)
        if X.ndim != 2 or min(X.shape) < 1:
            raise ValueError(f"arms must have shape (K, d), got {X.shape}")
        check_finite("arms", X)
        th = np.array(self.theta, dtype=np.float64)
        check_shape("theta", th, (X.shape[1],))
        check_finite("theta", th)
        eta = np.array(self.misspecification, dtype=np.float64)
        check_shape("misspecification", eta, (X.shape[0],))
        check_finite("misspecification", eta)
        epsilon = check_real("epsilon", self.epsilon, low=0.0)
        if np.abs(eta).max() > epsilon * (1 + 1e-12):
            k = int(np.argmax(np.abs(eta)))
            raise ValueError(f"misspecification[{k}] = {eta[k]!r} exceeds epsilon = {self.epsilon!r} in absolute value")
        for name, arr in (("arms", X), ("theta", th), ("misspecification", eta)):
            object.__setattr__(self, name, readonly(arr))
        object.__setattr__(self, "epsilon", epsilon)
        object.__setattr__(self, "rewards", readonly(X @ th + eta))

    @property
    def sparsity(self) -> int:
        r""":math:`\|\theta\|_0`.

        Examples
        --------
        >>> import numpy as np
        >>> MisspecifiedLinearBandit(np.eye(2), [1.0, 0.0], [0.1, -0.1], 0.1).sparsity
        1
        """
        return int(np.count_nonzero(self.theta))

    @property
    def dim(self) -> int:
        """The dimension :math:`d`.

        Examples
        --------
        >>> import numpy as np
        >>> MisspecifiedLinearBandit(np.eye(2), [1.0, 0.0], [0.1, -0.1], 0.1).dim
        2
        """
        return int(self.arms.shape[1])

    def suboptimality(self, arm: int) -> float:
        """``max f - f(arm)``.

        Examples
        --------
        >>> b = MisspecifiedLinearBandit(np.eye(2), [1.0, 0.0], [0.1, -0.1], 0.1)
        >>> round(b.suboptimality(1), 12)
        1.2
        """
        arm = check_int("arm", arm, low=0, high=self.arms.shape[0] - 1)
        return float(self.rewards.max() - self.rewards[arm])

    @classmethod
    def adversarial_for_design(cls, arms, theta, epsilon: float, *, tol: float = 0.01) -> MisspecifiedLinearBandit:
        r"""Misspecification that misleads the design estimator by about :math:`\epsilon\sqrt d`.

        With the design :math:`\pi` of :func:`design_baseline` and
        :math:`V = V(\pi)`, the estimate of arm :math:`c` moves by
        :math:`\sum_b\pi_b\,c^\top V^{-1}b\,\eta_b`; choosing
        :math:`\eta_b = \epsilon\,\mathrm{sign}(c^\top V^{-1} b)` on the
        support (and :math:`\eta = -\epsilon` on the best arm off the support)
        inflates it by :math:`\epsilon\sum_b\pi_b|c^\top V^{-1}b|`, which for
        spread-out designs is of order :math:`\epsilon\sqrt{d}` (the
        Cauchy-Schwarz bound :math:`\epsilon\sqrt{g(\pi)}` is attained when the
        :math:`|c^\top V^{-1}b|` are equal). Decoys :math:`c` are tried from the
        largest gap down; the first one for which the estimator's greedy arm
        is at least half as bad as :math:`c` is kept (no misspecification if
        none works).

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(150, 16)); X /= np.linalg.norm(X, axis=1, keepdims=True)
        >>> b = MisspecifiedLinearBandit.adversarial_for_design(X, np.r_[0.1, np.zeros(15)], 0.02)
        >>> bool(np.abs(b.misspecification).max() <= 0.02), bool(design_baseline(b).suboptimality > 0.02)
        (True, True)
        """
        X = np.asarray(arms, dtype=np.float64)
        th = np.asarray(theta, dtype=np.float64)
        design = g_optimal_design(X, tol=tol)
        sup = design.support
        w = design.weights[sup]
        V = (X[sup] * w[:, None]).T @ X[sup]
        C = X @ np.linalg.solve(V, X[sup].T)  # (K, m): c^T V^-1 b
        means = X @ th
        best = int(np.argmax(means))
        sup_set = set(sup.tolist())
        chosen = None
        # try decoy arms from the largest gap down; keep the first one the estimator actually prefers to the best arm
        for c in np.argsort(-(means.max() - means), kind="stable"):
            eta = np.zeros(X.shape[0])
            eta[sup] = epsilon * np.sign(C[c])
            if best not in sup_set and best != c:
                eta[best] = -epsilon
            est = C @ (w * (means[sup] + eta[sup]))  # <a, theta_hat> for every arm
            pick = int(np.argmax(est))
            f = means + eta
            if f.max() - f[pick] >= 0.5 * (means.max() - means[c]):
                chosen = eta
                break
        eta = np.zeros(X.shape[0]) if chosen is None else chosen
        return cls(X, th, eta, epsilon)

    @classmethod
    def random_sparse(
        cls, dim: int, n_arms: int, sparsity: int, epsilon: float, *, rng=None
    ) -> MisspecifiedLinearBandit:
        r"""Arms uniform in :math:`[-1,1]^d`, an :math:`s`-sparse :math:`\theta \in [-1,1]^d`, uniform :math:`\eta`.

        The misspecification is i.i.d. uniform on :math:`[-\epsilon,\epsilon]`.

        Examples
        --------
        >>> b = MisspecifiedLinearBandit.random_sparse(5, 20, 2, 0.1, rng=0)
        >>> b.arms.shape, b.sparsity, bool(np.abs(b.misspecification).max() <= 0.1)
        ((20, 5), 2, True)
        """
        dim = check_int("dim", dim, low=1)
        n_arms = check_int("n_arms", n_arms, low=1)
        sparsity = check_int("sparsity", sparsity, low=0, high=dim)
        epsilon = check_real("epsilon", epsilon, low=0.0)
        g = as_generator(rng)
        X = g.uniform(-1.0, 1.0, size=(n_arms, dim))
        th = np.zeros(dim)
        th[g.choice(dim, size=sparsity, replace=False)] = g.uniform(-1.0, 1.0, size=sparsity)
        return cls(X, th, g.uniform(-epsilon, epsilon, size=n_arms), epsilon)


@dataclass(frozen=True)
class MisspecifiedResult:
    r"""Outcome of a misspecified-bandit algorithm.

    Attributes
    ----------
    arm : int
        The returned arm.
    suboptimality : float
        :math:`\max_a f(a) - f(\text{arm})`.
    guarantee : float
        The proven bound on ``suboptimality`` (see the algorithm).
    queries : int
        Distinct arms queried (each noiseless query once).
    candidates : int
        Candidate parameters (sparse enumeration) or design support points.

    Examples
    --------
    >>> from rltheory.linear import MisspecifiedLinearBandit, design_baseline
    >>> res = design_baseline(MisspecifiedLinearBandit.random_sparse(4, 30, 1, 0.05, rng=1))
    >>> bool(res.suboptimality <= res.guarantee)
    True
    """

    arm: int
    suboptimality: float
    guarantee: float
    queries: int
    candidates: int


def design_baseline(bandit: MisspecifiedLinearBandit, *, tol: float = 0.01) -> MisspecifiedResult:
    r"""Optimal-design estimator: query the support of a G-optimal design once, weighted least squares, act greedily.

    :math:`\hat\theta = V(\pi)^{-1}\sum_b\pi_b\,b\,f(b)`, so for every arm
    :math:`|\langle a,\hat\theta-\theta\rangle| = |\sum_b\pi_b a^\top V^{-1}b\,\eta_b|
    \le \epsilon\sqrt{\sum_b\pi_b}\sqrt{\sum_b\pi_b(a^\top V^{-1}b)^2} = \epsilon\|a\|_{V^{-1}}
    \le \epsilon\sqrt{g(\pi)} \le \epsilon\sqrt{d(1+\text{tol})}` (Cauchy-Schwarz; the
    argument of Lattimore, Szepesvari & Weisz 2020, Sec. 4, with the
    Kiefer-Wolfowitz bound). The greedy arm is therefore
    :math:`2\epsilon(1+\sqrt{d(1+\text{tol})})`-optimal (``guarantee``), with
    at most :math:`d(d+1)/2` queries. The reported guarantee uses the
    design's own :math:`g(\pi)`, so it holds for any design, certified or not.

    Examples
    --------
    >>> b = MisspecifiedLinearBandit.random_sparse(4, 30, 1, 0.05, rng=1)
    >>> res = design_baseline(b)
    >>> bool(res.suboptimality <= res.guarantee), res.queries <= 4 * 5 // 2
    (True, True)
    """
    X, f = bandit.arms, bandit.rewards
    design = g_optimal_design(X, tol=tol)
    sup = design.support
    w = design.weights[sup]
    V = (X[sup] * w[:, None]).T @ X[sup]
    th = np.linalg.solve(V, X[sup].T @ (w * f[sup]))
    arm = int(np.argmax(X @ th))
    # Cauchy-Schwarz + Kiefer-Wolfowitz (see docstring): 2 eps (1 + sqrt(g(pi)))
    guarantee = 2.0 * bandit.epsilon * (1.0 + math.sqrt(design.g_value))
    return MisspecifiedResult(arm, bandit.suboptimality(arm), guarantee, int(sup.size), int(sup.size))


def sparse_support_enumeration(
    bandit: MisspecifiedLinearBandit, sparsity: int, *, theta_bound: float = 1.0
) -> MisspecifiedResult:
    r"""Support enumeration with an :math:`\epsilon`-grid (the upper-bound construction for sparse :math:`\theta`).

    For every support :math:`T`, :math:`|T| = s`, and every grid point
    :math:`\vartheta\in(h_T\mathbb{Z})^T\cap[-B-h_T/2,B+h_T/2]^T` with
    :math:`h_T = 2\epsilon/L_T`, :math:`L_T = \max_a\|a_T\|_1 \le s\max_{a,i}|a_i|`, query
    :math:`b_\vartheta = \arg\max_a\langle a,\vartheta\rangle` and return the
    queried arm with the largest observed reward. The true :math:`\theta`
    (:math:`s`-sparse on :math:`T`, :math:`\|\theta\|_\infty\le B`) has a grid point
    with :math:`\max_a|\langle a,\vartheta-\theta\rangle|\le(h_T/2)L_T=\epsilon`, and then

    .. math:: f(a^*) - f(b_\vartheta) \le \langle a^*-b_\vartheta,\theta\rangle + 2\epsilon
              \le \langle a^*-b_\vartheta,\vartheta\rangle + 4\epsilon \le 4\epsilon ,

    so the returned arm is :math:`4\epsilon`-optimal (``guarantee``), with
    :math:`\sum_T(2\lceil B/h_T\rceil+1)^s \le \binom ds(2\lceil sBA_{\max}/(2\epsilon)\rceil+1)^s
    = O(\epsilon^{-s}d^s)`
    candidates (``candidates``; Dong & Yang 2023's rate) and at most
    ``min(K, candidates)`` distinct queries.

    Raises
    ------
    ValueError
        ``sparsity`` outside ``[1, d]``, :math:`\epsilon = 0`, ``theta_bound <= 0``, or
        :math:`\|\theta\|_\infty > B` (the guarantee would not apply).

    Examples
    --------
    >>> b = MisspecifiedLinearBandit.random_sparse(4, 30, 1, 0.05, rng=1)
    >>> res = sparse_support_enumeration(b, 1)
    >>> res.guarantee, bool(res.suboptimality <= 4 * 0.05), res.queries <= min(30, res.candidates)
    (0.2, True, True)
    """
    X, f, eps = bandit.arms, bandit.rewards, bandit.epsilon
    K, d = X.shape
    sparsity = check_int("sparsity", sparsity, low=1, high=d)
    theta_bound = check_real("theta_bound", theta_bound, low=0.0, low_open=True)
    if eps <= 0:
        raise ValueError("sparse_support_enumeration needs epsilon > 0 (the grid spacing is 2 epsilon / L)")
    if np.abs(bandit.theta).max() > theta_bound:
        raise ValueError(f"||theta||_inf = {np.abs(bandit.theta).max()!r} exceeds theta_bound = {theta_bound!r}")
    queried = np.zeros(K, dtype=bool)
    n_cand = 0
    for T in itertools.combinations(range(d), int(sparsity)):
        XT = X[:, T]
        L = float(np.abs(XT).sum(axis=1).max())  # max_a ||a_T||_1 <= s max |a_i|: independent of d
        if L == 0.0:
            queried[0] = True
            n_cand += 1
            continue
        h = 2.0 * eps / L
        m = int(math.ceil(theta_bound / h))  # grid covers [-B, B] with spacing h: nearest point within h/2
        grid1 = h * np.arange(-m, m + 1)
        G = np.array(list(itertools.product(grid1, repeat=int(sparsity))))  # (n_g, s)
        queried[np.argmax(XT @ G.T, axis=0)] = True
        n_cand += G.shape[0]
    idx = np.flatnonzero(queried)
    arm = int(idx[np.argmax(f[idx])])
    return MisspecifiedResult(arm, bandit.suboptimality(arm), 4.0 * eps, int(idx.size), n_cand)
