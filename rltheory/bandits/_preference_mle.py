r"""Maximum-likelihood estimation of Bradley-Terry and Plackett-Luce utilities, and the pessimistic MLE policy.

**Model.** Alternative ``i`` has features :math:`\phi_i \in \mathbb R^d` (default: the ``K`` unit
vectors, the *tabular* model) and utility :math:`\phi_i^\top \theta`. A pairwise comparison won by
``w`` against ``l`` has likelihood :math:`\sigma(\theta^\top x)`, :math:`x = \phi_w - \phi_l`
(Bradley-Terry); a ranking :math:`\sigma_1 \succ \dots \succ \sigma_k` has likelihood
:math:`\prod_{j<k} e^{\phi_{\sigma_j}^\top\theta} / \sum_{l \ge j} e^{\phi_{\sigma_l}^\top\theta}`
(Plackett-Luce). Both negative log-likelihoods are convex in :math:`\theta`.

**Estimation** (:func:`bradley_terry_mle`, :func:`plackett_luce_mle`): damped Newton (backtracking
on the convex objective) in the span of the observed feature differences (the identifiable
directions: for the tabular model, the utilities summing to 0), to
:math:`\|\nabla\|_\infty \le` ``tol``; the result carries the certificate (``residual``, the
gradient norm; ``converged``) and the observed Fisher information. The MLE exists if and only if
no direction :math:`v \ne 0` of that span has :math:`x^\top v \ge 0` for every observed (implied)
comparison (the data are not separable: Albert & Anderson 1984, *Biometrika* 71(1), Thm 1; for the
tabular model Ford 1957's condition that the "beats" graph is strongly connected, Hunter 2004,
*Ann. Statist.* 32(1), Assumption 1); this is checked by a linear program, and a ``ValueError``
names the problem when it fails (``regularization > 0`` adds :math:`\frac\lambda2\|\theta\|^2` and
always has a minimizer).

**Principled RLHF** (Zhu, Jordan & Jiao 2023, *Principled reinforcement learning with human
feedback from pairwise or K-wise comparisons*, ICML): with :math:`\Sigma = \frac1n\sum_i x_i
x_i^\top + \lambda I`, Lemma 3.1 bounds :math:`\|\hat\theta - \theta^*\|_\Sigma \le f =
C\sqrt{(d + \log(1/\delta))/(\gamma^2 n) + \lambda B^2}` with probability :math:`1 - \delta`
(:func:`zhu_confidence_radius`; the absolute constant :math:`C` is not given by the paper and is
a parameter here). The pessimistic policy (their Algorithm 1) maximizes the lower confidence value
:math:`\hat J(\pi) = \min_{\|\theta - \hat\theta\|_\Sigma \le f} \theta^\top u(\pi) =
\hat\theta^\top u(\pi) - f \|u(\pi)\|_{\Sigma^{-1}}`, :math:`u(\pi) = \mathbb E_{s\sim\rho, a \sim
\pi(s)}\phi(s, a) - v` (:func:`pessimistic_policy`, a second-order cone program over stochastic
policies solved with cvxpy). Theorem 3.2: :math:`\mathrm{SubOpt}(\hat\pi) \le 2 f
\|\Sigma^{-1/2}(\mathbb E_{s\sim\rho}\phi(s, \pi^*(s)) - v)\|` on the event
:math:`\|\hat\theta - \theta^*\|_\Sigma \le f` (the factor 2 from its proof; the published
statement absorbs it in :math:`C`). Section 4: from K-wise data both the Plackett-Luce MLE and the
MLE of the :math:`k(k-1)/2` implied pairwise comparisons are consistent; the former is the more
efficient (:func:`plackett_luce_asymptotic_covariances` computes both asymptotic covariances
exactly).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_expit, logsumexp

from .._validation import check_finite, check_iteration_settings, check_probability, check_real, check_shape, readonly
from ._preference_models import PairwiseComparisons, PlackettLuce, Rankings

__all__ = [
    "PessimisticPolicyResult",
    "PreferenceMLEResult",
    "bradley_terry_mle",
    "pessimistic_policy",
    "plackett_luce_asymptotic_covariances",
    "plackett_luce_mle",
    "zhu_confidence_radius",
]


@dataclass(frozen=True, eq=False)
class PreferenceMLEResult:
    r"""Result of :func:`bradley_terry_mle` and :func:`plackett_luce_mle`.

    Attributes
    ----------
    theta : (d,) float64
        The estimate (the minimum-norm minimizer: in the span of the observed differences; for the
        tabular model, utilities summing to 0).
    negative_log_likelihood : float
        At ``theta`` (including the ridge term when ``regularization > 0``).
    fisher_information : (d, d) float64
        The Hessian of the negative log-likelihood at ``theta`` (observed information).
    residual : float
        :math:`\|\nabla\|_\infty` at ``theta`` (the optimality certificate).
    iterations : int
    converged : bool
        ``residual <= tol``.
    n_comparisons : int
        Comparisons (or rankings) used.
    rank : int
        Dimension of the identifiable span.

    Examples
    --------
    >>> from rltheory.bandits import PairwiseComparisons, bradley_terry_mle
    >>> res = bradley_terry_mle(PairwiseComparisons([0, 0, 0, 1], [1, 1, 1, 0], 2))  # 0 wins 3 of 4
    >>> res.theta.round(6).tolist(), res.rank, res.n_comparisons, res.converged  # +-log(3)/2: only differences count
    ([0.549306, -0.549306], 1, 4, True)
    >>> res.fisher_information.round(6).tolist()  # n p (1 - p) = 4 * 3/4 * 1/4 on the difference
    [[0.75, -0.75], [-0.75, 0.75]]
    >>> round(res.negative_log_likelihood, 6)  # -(3 log(3/4) + log(1/4))
    2.249341
    """

    theta: np.ndarray
    negative_log_likelihood: float
    fisher_information: np.ndarray
    residual: float
    iterations: int
    converged: bool
    n_comparisons: int
    rank: int

    def wald_radius(self, confidence: float = 0.95) -> float:
        r"""Radius of the asymptotic (Wald) confidence ellipsoid :math:`(\theta - \hat\theta)^\top F (\theta -
        \hat\theta) \le r^2`.

        :math:`r^2` is the ``confidence`` quantile of :math:`\chi^2_{\text{rank}}` (asymptotically
        exact for the MLE; van der Vaart 1998, *Asymptotic Statistics*, Sec. 5.5).

        Examples
        --------
        >>> from rltheory.bandits import PairwiseComparisons, bradley_terry_mle
        >>> res = bradley_terry_mle(PairwiseComparisons([0, 0, 1], [1, 1, 0], 2))
        >>> round(res.wald_radius(0.95) ** 2, 4)  # chi-square(1) 95% quantile
        3.8415
        """
        from scipy.stats import chi2

        return float(math.sqrt(chi2.ppf(check_probability("confidence", confidence), self.rank)))


def _features(features, K, who) -> np.ndarray:
    if features is None:
        return np.eye(K)
    F = np.asarray(features, dtype=np.float64)
    if F.ndim != 2 or F.shape[0] != K:
        raise ValueError(f"{who}: features has shape {F.shape}, expected ({K}, d)")
    check_finite("features", F)
    return F


def _span(H0, regularization) -> np.ndarray:
    """Orthonormal basis of the identifiable directions (all of R^d with a ridge term)."""
    d = H0.shape[0]
    if regularization > 0:
        return np.eye(d)
    w, V = np.linalg.eigh(H0)
    keep = w > 1e-10 * max(float(w.max()), 1e-300)
    return V[:, keep]


def _separable(D, U) -> bool:
    """True when some v = U b != 0 has D v >= 0 (the data are separable: no finite MLE)."""
    from scipy.optimize import linprog

    if U.shape[1] == 0:
        return False
    A = D @ U
    m = U.shape[1]
    # maximize sum(A b) s.t. A b >= 0, |b|_inf <= 1: positive optimum <=> separable
    res = linprog(-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(A.shape[0]), bounds=[(-1, 1)] * m, method="highs")
    return bool(res.status == 0 and -res.fun > 1e-9 * max(1.0, float(np.abs(A).sum())))


def _newton(fun, U, d, tol, max_iter):
    """Damped Newton on ``theta = U b``; ``fun(theta) -> (value, gradient, hessian)``."""
    theta = np.zeros(d)
    value, g, H = fun(theta)
    it = 0
    while True:
        residual = float(np.max(np.abs(g))) if g.size else 0.0
        if residual <= tol or it >= max_iter:
            break
        gr = U.T @ g
        Hr = U.T @ H @ U
        try:
            step = np.linalg.solve(Hr, -gr)
        except np.linalg.LinAlgError:
            step = -gr
        slope = float(gr @ step)
        if slope >= 0:
            step, slope = -gr, -float(gr @ gr)
        t = 1.0
        while True:
            cand = theta + t * (U @ step)
            v, g2, H2 = fun(cand)
            if v <= value + 1e-4 * t * slope or t < 1e-12:
                break
            t *= 0.5
        theta, value, g, H = cand, v, g2, H2
        it += 1
    return theta, value, g, H, it, residual


def _bt_objective(D, weights, regularization):
    def fun(theta):
        z = D @ theta
        value = -float(weights @ log_expit(z)) + 0.5 * regularization * float(theta @ theta)
        s = expit(-z)  # 1 - sigma(z)
        g = -(D.T @ (weights * s)) + regularization * theta
        h = weights * s * (1.0 - s)
        H = (D.T * h) @ D + regularization * np.eye(D.shape[1])
        return value, g, H

    return fun


def bradley_terry_mle(
    comparisons: PairwiseComparisons,
    *,
    features=None,
    regularization: float = 0.0,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> PreferenceMLEResult:
    r"""Maximum-likelihood Bradley-Terry utilities from pairwise comparisons.

    Minimizes :math:`-\sum_k \log\sigma(\theta^\top(\phi_{w_k} - \phi_{l_k})) + \frac\lambda2\|\theta\|^2`
    (see the module docstring for the method, the existence condition and the certificate).

    Parameters
    ----------
    comparisons : PairwiseComparisons
    features : (K, d) array_like, optional
        :math:`\phi_i`; default the tabular model (``d = K``, utilities summing to 0).
    regularization : float
        :math:`\lambda \ge 0`.
    tol, max_iter
        Stop when :math:`\|\nabla\|_\infty \le` ``tol``.

    Raises
    ------
    ValueError
        When the MLE does not exist (the data are separable); for the tabular model the message
        names alternatives that never lose to the others.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.bandits import PairwiseComparisons
    >>> data = PairwiseComparisons([0, 0, 0, 1], [1, 1, 1, 0], 2)  # 3 wins of 0 out of 4
    >>> res = bradley_terry_mle(data)
    >>> bool(np.isclose(res.theta[0] - res.theta[1], np.log(3.0))), res.converged  # sigma^{-1}(3/4) = log 3
    (True, True)
    >>> bradley_terry_mle(PairwiseComparisons([0, 0], [1, 1], 2))
    Traceback (most recent call last):
    ...
    ValueError: bradley_terry_mle: the maximum-likelihood estimate does not exist: alternatives [0] never lose ...
    """
    if not isinstance(comparisons, PairwiseComparisons):
        raise ValueError(f"bradley_terry_mle needs PairwiseComparisons, got {type(comparisons).__name__}")
    tol, max_iter = check_iteration_settings(tol, max_iter)
    lam = check_real("regularization", regularization, low=0.0)
    K = comparisons.n_arms
    F = _features(features, K, "bradley_terry_mle")
    if comparisons.n_comparisons == 0:
        raise ValueError("bradley_terry_mle needs at least one comparison")
    W = np.asarray(comparisons.wins, dtype=np.float64)
    iw, il = np.nonzero(W)
    D = F[iw] - F[il]
    weights = W[iw, il]
    U = _span(D.T @ D, lam)
    if lam == 0 and _separable(D, U):
        raise ValueError(
            f"bradley_terry_mle: {_nonexistence(W, features is None)}; add comparisons or regularization > 0"
        )
    theta, value, g, H, it, residual = _newton(_bt_objective(D, weights, lam), U, F.shape[1], tol, max_iter)
    return PreferenceMLEResult(
        theta=readonly(theta),
        negative_log_likelihood=value,
        fisher_information=readonly(H),
        residual=residual,
        iterations=it,
        converged=residual <= tol,
        n_comparisons=comparisons.n_comparisons,
        rank=int(U.shape[1]),
    )


def _nonexistence(W, tabular) -> str:
    base = "the maximum-likelihood estimate does not exist"
    if not tabular:
        return base + ": the comparisons are separable along a direction of the features (Albert & Anderson 1984)"
    from scipy.sparse.csgraph import connected_components

    n, labels = connected_components(W > 0, directed=True, connection="strong")
    # a strongly connected component with no edge into it from outside never loses to the others
    beats = W > 0
    for comp in range(n):
        inside = labels == comp
        if not beats[~inside][:, inside].any() and beats[inside][:, ~inside].any():
            return base + f": alternatives {np.flatnonzero(inside).tolist()} never lose to the others (Ford 1957)"
    return base + ": the comparison graph is not strongly connected (Ford 1957)"


def _pl_objective(R, F, regularization):
    n, k = R.shape

    def fun(theta):
        s = (F @ theta)[R]  # (n, k) utilities in ranking order
        value = 0.5 * regularization * float(theta @ theta)
        g = regularization * theta.copy()
        H = regularization * np.eye(F.shape[1])
        for j in range(k - 1):
            tail = s[:, j:]
            lse = logsumexp(tail, axis=1)
            value += float(np.sum(lse - s[:, j]))
            p = np.exp(tail - lse[:, None])  # (n, k - j) softmax over the tail
            Phi = F[R[:, j:]]  # (n, k - j, d)
            mean = np.einsum("nm,nmd->nd", p, Phi)
            g += mean.sum(axis=0) - F[R[:, j]].sum(axis=0)
            H += np.einsum("nm,nmd,nme->de", p, Phi, Phi) - mean.T @ mean
        return value, g, H

    return fun


def plackett_luce_mle(
    rankings: Rankings, *, features=None, regularization: float = 0.0, tol: float = 1e-10, max_iter: int = 100
) -> PreferenceMLEResult:
    r"""Maximum-likelihood Plackett-Luce utilities from K-wise rankings.

    Minimizes :math:`\sum_i\sum_{j < k}\big[\log\sum_{l \ge j} e^{s_{i,l}} - s_{i,j}\big] +
    \frac\lambda2\|\theta\|^2`, :math:`s_{i,l} = \phi_{\sigma_{i,l}}^\top\theta` (Zhu et al. 2023,
    Sec. 4; see the module docstring for the method and the certificate). The MLE exists iff the
    implied pairwise comparisons are not separable (Hunter 2004, Assumption 1, for the tabular model).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.bandits import Rankings
    >>> res = plackett_luce_mle(Rankings([[0, 1], [0, 1], [1, 0]], 2))  # two items: Bradley-Terry
    >>> bool(np.isclose(res.theta[0] - res.theta[1], np.log(2.0)))
    True
    """
    if not isinstance(rankings, Rankings):
        raise ValueError(f"plackett_luce_mle needs Rankings, got {type(rankings).__name__}")
    tol, max_iter = check_iteration_settings(tol, max_iter)
    lam = check_real("regularization", regularization, low=0.0)
    K = rankings.n_arms
    F = _features(features, K, "plackett_luce_mle")
    R = np.asarray(rankings.rankings)
    if R.shape[0] == 0:
        raise ValueError("plackett_luce_mle needs at least one ranking")
    pairs = rankings.pairwise()
    D = F[pairs.winners] - F[pairs.losers]
    U = _span(D.T @ D, lam)
    if lam == 0 and _separable(D, U):
        raise ValueError(
            f"plackett_luce_mle: {_nonexistence(np.asarray(pairs.wins), features is None)}; "
            "add rankings or regularization > 0"
        )
    theta, value, g, H, it, residual = _newton(_pl_objective(R, F, lam), U, F.shape[1], tol, max_iter)
    return PreferenceMLEResult(
        theta=readonly(theta),
        negative_log_likelihood=value,
        fisher_information=readonly(H),
        residual=residual,
        iterations=it,
        converged=residual <= tol,
        n_comparisons=int(R.shape[0]),
        rank=int(U.shape[1]),
    )


def plackett_luce_asymptotic_covariances(model: PlackettLuce, subset_size: int | None = None) -> tuple:
    r"""Exact asymptotic covariances of the PL MLE and of the pairwise-split MLE (tabular model, utilities summing to
    0).

    For rankings of uniformly random subsets of ``subset_size`` alternatives, returns
    ``(pl, split)``: :math:`\sqrt n(\hat\theta - \theta^*) \to N(0, \cdot)` with
    :math:`\mathrm{pl} = \mathcal I^{+}` (the pseudo-inverse of the Fisher information of one
    ranking) and :math:`\mathrm{split} = A^{+} B A^{+}` (the sandwich covariance of the M-estimator
    that treats the :math:`k(k-1)/2` implied comparisons as independent: :math:`A` the expected
    Hessian, :math:`B` the covariance of the score of one ranking; van der Vaart 1998, Thm 5.23).
    Computed by enumerating every subset and every ranking. By the Cramér-Rao bound
    :math:`\mathrm{split} \succeq \mathrm{pl}`: the K-wise MLE is the more efficient (Zhu et al.
    2023, Sec. 4).

    Examples
    --------
    >>> from rltheory.bandits import PlackettLuce
    >>> pl, split = plackett_luce_asymptotic_covariances(PlackettLuce([0.5, 0.0, -0.5]))
    >>> import numpy as np
    >>> bool(np.linalg.eigvalsh(split - pl).min() >= -1e-12), bool(np.trace(split) > np.trace(pl))
    (True, True)
    """
    if not isinstance(model, PlackettLuce):
        raise ValueError(f"plackett_luce_asymptotic_covariances needs a PlackettLuce model, got {type(model).__name__}")
    K = model.n_arms
    k = K if subset_size is None else int(subset_size)
    if not 2 <= k <= K:
        raise ValueError(f"subset_size = {subset_size!r} must be in [2, {K}]")
    if math.comb(K, k) * math.factorial(k) > 2_000_000:
        raise ValueError("plackett_luce_asymptotic_covariances enumerates every ranking: too many for this K")
    r = np.asarray(model.rewards)
    I = np.zeros((K, K))
    A = np.zeros((K, K))
    B = np.zeros((K, K))
    subsets = list(itertools.combinations(range(K), k))
    for S in subsets:
        for perm in itertools.permutations(S):
            p = PlackettLuce(r).ranking_probability(np.array(perm)) / len(subsets)
            g_pl = np.zeros(K)
            H_pl = np.zeros((K, K))
            for j in range(k - 1):
                tail = np.array(perm[j:])
                q = np.exp(r[tail] - logsumexp(r[tail]))
                e = np.zeros(K)
                e[tail] = q
                g_pl[perm[j]] -= 1.0
                g_pl += e
                H_pl += np.diag(e) - np.outer(e, e)
            g_split = np.zeros(K)
            H_split = np.zeros((K, K))
            for a in range(k):
                for b in range(a + 1, k):
                    w, lo = perm[a], perm[b]
                    s = expit(-(r[w] - r[lo]))
                    x = np.zeros(K)
                    x[w], x[lo] = 1.0, -1.0
                    g_split -= s * x
                    H_split += s * (1 - s) * np.outer(x, x)
            I += p * H_pl  # expected Hessian of the PL likelihood = Fisher information
            A += p * H_split
            B += p * np.outer(g_split, g_split)
    Ip = np.linalg.pinv(I, hermitian=True)
    Ap = np.linalg.pinv(A, hermitian=True)
    return readonly(Ip), readonly(Ap @ B @ Ap)


def zhu_confidence_radius(
    n: int,
    dim: int,
    delta: float,
    *,
    gamma: float,
    regularization: float = 0.0,
    norm_bound: float = 0.0,
    constant: float = 1.0,
) -> float:
    r"""The radius :math:`f = C\sqrt{(d + \log(1/\delta))/(\gamma^2 n) + \lambda B^2}` of Zhu et al. (2023), Lemma 3.1.

    :math:`\gamma = 1/(2 + e^{-LB} + e^{LB})` bounds :math:`\sigma'` on the parameter set (their
    eq. before Lemma 3.1); the paper leaves the absolute constant :math:`C` unspecified
    (``constant``, default 1).

    Examples
    --------
    >>> round(zhu_confidence_radius(100, 2, 0.1, gamma=0.25), 6)  # sqrt((2 + log 10) / (0.0625 * 100))
    0.829707
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"n = {n} must be >= 1")
    delta = check_probability("delta", delta)
    gamma = check_real("gamma", gamma, low=0.0, low_open=True, high=0.25)
    lam = check_real("regularization", regularization, low=0.0)
    B = check_real("norm_bound", norm_bound, low=0.0)
    C = check_real("constant", constant, low=0.0, low_open=True)
    return float(C * math.sqrt((int(dim) + math.log(1.0 / delta)) / (gamma**2 * n) + lam * B**2))


@dataclass(frozen=True, eq=False)
class PessimisticPolicyResult:
    r"""Result of :func:`pessimistic_policy`.

    Attributes
    ----------
    action_probabilities : (S, A) float64
        The pessimistic policy :math:`\hat\pi` (rows sum to 1; may be stochastic).
    lower_value : float
        :math:`\hat J(\hat\pi) = \hat\theta^\top u(\hat\pi) - f\|u(\hat\pi)\|_{\Sigma^{-1}}`.
    radius : float
        :math:`f`.
    status : str
        cvxpy's status (``"optimal"``).
    duality_gap : float
        :math:`D(\tilde\theta) - \hat J(\hat\pi) \ge \hat J^* - \hat J(\hat\pi)`, with
        :math:`D(\theta) = \sum_s\rho(s)\max_a\phi(s,a)^\top\theta - \theta^\top v` at the solution
        :math:`\tilde\theta` of the dual program over the ellipsoid (weak duality of the bilinear saddle
        problem), both recomputed: the certificate.

    Examples
    --------
    >>> import numpy as np
    >>> phi = np.array([[[1.0, 0.0], [0.0, 1.0]]])  # one state, two actions, tabular features
    >>> res = pessimistic_policy([0.3, 0.0], phi, np.diag([1.0, 0.01]), 0.2)
    >>> res.status, res.radius, round(res.lower_value, 6)  # u = (1, 0): 0.3 - 0.2 * ||u||_{Sigma^-1} = 0.3 - 0.2
    ('optimal', 0.2, 0.1)
    >>> bool(-1e-7 <= res.duality_gap <= 1e-6)  # the certified optimality gap
    True
    """

    action_probabilities: np.ndarray
    lower_value: float
    radius: float
    status: str
    duality_gap: float


def pessimistic_policy(
    theta_hat,
    features,
    covariance,
    radius: float,
    *,
    state_weights=None,
    reference_vector=None,
    solver: str = "CLARABEL",
) -> PessimisticPolicyResult:
    r"""The pessimistic MLE policy of Zhu, Jordan & Jiao (2023), Algorithm 1, over stochastic policies.

    Maximizes the concave :math:`\hat J(\pi) = \hat\theta^\top u(\pi) - f\,\|\Sigma^{-1/2} u(\pi)\|_2`,
    :math:`u(\pi) = \sum_s \rho(s)\sum_a \pi(a|s)\phi(s,a) - v`, over :math:`\pi \in \Delta_A^S` (a
    second-order cone program; ``covariance`` is :math:`\Sigma = \frac1n\sum_i x_i x_i^\top + \lambda
    I`, positive definite).

    Parameters
    ----------
    theta_hat : (d,) array_like
    features : (S, A, d) array_like
        :math:`\phi(s, a)`.
    covariance : (d, d) array_like
        :math:`\Sigma`.
    radius : float
        :math:`f` (e.g. :func:`zhu_confidence_radius`).
    state_weights : (S,) array_like, optional
        :math:`\rho` (default uniform).
    reference_vector : (d,) array_like, optional
        :math:`v` (default 0).

    Examples
    --------
    >>> import numpy as np
    >>> phi = np.array([[[1.0, 0.0], [0.0, 1.0]]])  # one state, two actions, tabular features
    >>> res = pessimistic_policy([0.3, 0.0], phi, np.diag([1.0, 0.01]), 0.2)
    >>> res.status, res.action_probabilities.round(3).tolist()  # the well-estimated action wins
    ('optimal', [[1.0, 0.0]])
    """
    import cvxpy as cp

    th = np.asarray(theta_hat, dtype=np.float64)
    Phi = np.asarray(features, dtype=np.float64)
    if Phi.ndim != 3:
        raise ValueError(f"features has shape {Phi.shape}, expected (S, A, d)")
    S, A, d = Phi.shape
    check_shape("theta_hat", th, (d,))
    Sig = np.asarray(covariance, dtype=np.float64)
    check_shape("covariance", Sig, (d, d))
    for name, arr in (("theta_hat", th), ("features", Phi), ("covariance", Sig)):
        check_finite(name, arr)
    f = check_real("radius", radius, low=0.0)
    rho = np.full(S, 1.0 / S) if state_weights is None else np.asarray(state_weights, dtype=np.float64)
    check_shape("state_weights", rho, (S,))
    if (rho < 0).any() or abs(rho.sum() - 1.0) > 1e-10:
        raise ValueError("state_weights must be a probability vector")
    v = np.zeros(d) if reference_vector is None else np.asarray(reference_vector, dtype=np.float64)
    check_shape("reference_vector", v, (d,))
    w, V = np.linalg.eigh(0.5 * (Sig + Sig.T))
    if w.min() <= 0:
        raise ValueError("covariance must be positive definite (use Sigma_D + lambda I with lambda > 0)")
    root_inv = (V / np.sqrt(w)) @ V.T
    pi = cp.Variable((S, A), nonneg=True)
    u = sum(rho[s] * (Phi[s].T @ pi[s]) for s in range(S)) - v
    objective = th @ u - f * cp.norm(root_inv @ u, 2)
    problem = cp.Problem(cp.Maximize(objective), [cp.sum(pi, axis=1) == 1])
    problem.solve(solver=solver)
    if problem.status != cp.OPTIMAL:
        raise ValueError(f"pessimistic_policy: the solver {solver} returned status {problem.status!r}")
    P = np.clip(np.asarray(pi.value), 0.0, None)
    P /= P.sum(axis=1, keepdims=True)
    uu = np.einsum("s,sa,sad->d", rho, P, Phi) - v
    norm = float(np.linalg.norm(root_inv @ uu))
    value = float(th @ uu - f * norm)
    # weak duality (Sion's minimax theorem for the bilinear theta^T u(pi) over two convex compact sets):
    # J*(pi) <= min_{theta in E} max_pi theta^T u(pi) = sum_s rho(s) max_a phi(s,a)^T theta - theta^T v; the dual
    # program is solved too and the gap is recomputed from both points
    t = cp.Variable(d)
    m = cp.Variable(S)
    dual = cp.Problem(
        cp.Minimize(rho @ m - v @ t),
        [m[s] >= Phi[s] @ t for s in range(S)] + [cp.norm(np.linalg.cholesky(Sig).T @ (t - th), 2) <= f],
    )
    dual.solve(solver=solver)
    if dual.status != cp.OPTIMAL:
        raise ValueError(f"pessimistic_policy: the dual program returned status {dual.status!r}")
    td = np.asarray(t.value)
    excess = float(np.sqrt(max((td - th) @ Sig @ (td - th), 0.0))) - f
    if excess > 0:  # pull the dual point back into the ellipsoid (rounding of the solver)
        td = th + (td - th) * (f / (f + excess))
    upper = float(rho @ np.einsum("sad,d->sa", Phi, td).max(axis=1) - v @ td)
    return PessimisticPolicyResult(
        action_probabilities=readonly(P),
        lower_value=value,
        radius=f,
        status=str(problem.status),
        duality_gap=max(upper - value, 0.0),
    )
