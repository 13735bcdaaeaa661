r"""Distributional Bellman operators, projections, and their contraction moduli.

The model's rewards are the expected rewards :math:`r(s,a)` of
:class:`~rltheory.tabular.FiniteMDP` (a reward given as ``R[s, a, s']`` is
reduced to its mean by the model), so the return law is driven by the
randomness of actions and transitions:

.. math::

    (T^\pi \eta)(s) = \sum_a \pi(a|s) \sum_{s'} P(s'|s,a)\,
    (f_{r(s,a),\gamma})_\# \eta(s'), \qquad f_{r,\gamma}(g) = r + \gamma g .

The control operator :math:`T` uses the policy greedy with respect to the
means, :math:`\pi(s) = \arg\max_a [r(s,a) + \gamma \sum_{s'} P(s'|s,a)\,
\mathbb{E}_{\eta(s')} G]`, ties to the lowest action index (as
:func:`rltheory.tabular.greedy_policy`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rltheory._validation import check_finite, check_shape
from rltheory.distributional import _kernels
from rltheory.distributional._metrics import supremum_distance
from rltheory.distributional._representations import (
    DISTRIBUTION_SUM_ATOL,
    CategoricalDistribution,
    FiniteDistribution,
    QuantileDistribution,
    as_atoms_probs,
)
from rltheory.tabular import FiniteMDP, greedy_policy

__all__ = [
    "ContractionRatio",
    "InstabilityExample",
    "categorical_bellman_operator",
    "categorical_projection",
    "contraction_ratio",
    "distributional_bellman_operator",
    "greedy_instability_example",
    "quantile_bellman_operator",
    "quantile_projection",
]


# ------------------------------------------------------------------ helpers
def csr_arrays(mdp: FiniteMDP) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``indptr, indices`` (int64) and ``data`` of ``P`` as CSR ``(S*A, S)``."""
    S, A = mdp.n_states, mdp.n_actions
    P = mdp.P if mdp.is_sparse else sp.csr_array(np.asarray(mdp.P).reshape(S * A, S))
    return (
        np.ascontiguousarray(P.indptr, dtype=np.int64),
        np.ascontiguousarray(P.indices, dtype=np.int64),
        np.ascontiguousarray(P.data, dtype=float),
    )


def _check_support(support) -> np.ndarray:
    z = np.ascontiguousarray(support, dtype=float)
    check_shape("support", z, (None,))
    if z.size == 0:
        raise ValueError("support is empty")
    check_finite("support", z)
    bad = np.diff(z) <= 0
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"support must be strictly increasing: support[{i}] = {z[i]!r} >= support[{i + 1}] = {z[i + 1]!r}"
        )
    return z


def _check_rows_probability(name: str, probs: np.ndarray) -> None:
    check_finite(name, probs)
    if (probs < 0).any():
        i, j = (int(k) for k in np.argwhere(probs < 0)[0])
        raise ValueError(f"{name}[{i}, {j}] = {float(probs[i, j])!r} is negative")
    sums = probs.sum(axis=1)
    bad = np.abs(sums - 1.0) > DISTRIBUTION_SUM_ATOL
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{name}[{i}] sums to {float(sums[i])!r}, expected 1 within {DISTRIBUTION_SUM_ATOL:g}")


def _batch(atoms, probs) -> tuple[np.ndarray, np.ndarray, bool]:
    x = np.array(atoms, dtype=float)
    p = np.array(probs, dtype=float)
    if x.shape != p.shape or x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise ValueError(f"atoms {x.shape} and probs {p.shape} must have the same shape (K,) or (N, K), K >= 1")
    single = x.ndim == 1
    x, p = np.atleast_2d(x), np.atleast_2d(p)
    check_finite("atoms", x)
    _check_rows_probability("probs", p)
    return np.ascontiguousarray(x), np.ascontiguousarray(p), single


def _policy_or_greedy(mdp: FiniteMDP, policy, means: np.ndarray) -> np.ndarray:
    if policy is None:
        return mdp.policy_matrix(greedy_policy(mdp, means))
    return mdp.policy_matrix(policy)


def merge_atoms(x: np.ndarray, p: np.ndarray, merge_atol: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Merge atoms: exactly equal ones always; with ``merge_atol > 0`` the
    atoms in each grid cell ``[(k - 1/2) a, (k + 1/2) a)`` are replaced by one
    atom at their probability-weighted mean, which moves no mass by more than
    ``merge_atol`` (so :math:`W_\infty \le` ``merge_atol``) and keeps the mean."""
    p = p / p.sum()
    if merge_atol > 0:
        keys = np.round(x / merge_atol).astype(np.int64)
        keys, inv = np.unique(keys, return_inverse=True)
        inv = inv.ravel()
        w = np.bincount(inv, weights=p, minlength=keys.size)
        xm = np.bincount(inv, weights=p * x, minlength=keys.size)
        keep = w > 0
        return xm[keep] / w[keep], w[keep]
    keep = p > 0
    xs, inv = np.unique(x[keep], return_inverse=True)
    return xs, np.bincount(inv.ravel(), weights=p[keep], minlength=xs.size)


# -------------------------------------------------------------- projections
def categorical_projection(atoms, probs, support) -> np.ndarray:
    r"""Project a finite law onto a categorical support (the Cramér / "C51" projection).

    .. math::

        \Pi_C \delta_x = \begin{cases}
            \delta_{z_1} & x \le z_1 \\
            \frac{z_{l+1}-x}{z_{l+1}-z_l}\delta_{z_l} + \frac{x-z_l}{z_{l+1}-z_l}\delta_{z_{l+1}}
                & z_l \le x < z_{l+1} \\
            \delta_{z_m} & x \ge z_m
        \end{cases}

    extended linearly to mixtures (Bellemare, Dabney & Munos 2017,
    Algorithm 1; Rowland et al. 2018, Eq. (7)). :math:`\Pi_C` is the
    orthogonal projection in the Cramér geometry onto laws supported on the
    :math:`z_i` (Rowland et al. 2018, Proposition 1). It conserves mass and
    non-negativity, is the identity on laws already on the support, and
    preserves the mean when every atom lies in :math:`[z_1, z_m]` (the two
    weights interpolate :math:`x` exactly).

    Parameters
    ----------
    atoms, probs : array_like, shape (K,) or (N, K)
        One law per row; ``probs`` rows are probability vectors (within 1e-9).
    support : array_like, shape (m,)
        Strictly increasing :math:`z_1 < \dots < z_m`.

    Returns
    -------
    numpy.ndarray, shape (m,) or (N, m)
        Probabilities on ``support`` (compiled kernel, OpenMP over rows).

    Examples
    --------
    >>> from rltheory.distributional import categorical_projection
    >>> categorical_projection([0.25, 5.0], [0.5, 0.5], [0.0, 1.0, 2.0])
    array([0.375, 0.125, 0.5  ])
    """
    x, p, single = _batch(atoms, probs)
    z = _check_support(support)
    out = np.empty((x.shape[0], z.size))
    _kernels.categorical_project(x, p, z, out)
    return out[0] if single else out


def quantile_projection(atoms, probs, n_quantiles: int) -> np.ndarray:
    r"""Project a finite law onto :math:`n` equally weighted atoms (the :math:`W_1` projection).

    :math:`\Pi_Q \mu = \frac1n \sum_{i=1}^n \delta_{F_\mu^{-1}(\hat\tau_i)}`,
    :math:`\hat\tau_i = \frac{2i-1}{2n}`: the closest such law in
    :math:`W_1` (Dabney et al. 2018, Lemma 2). Identity on quantile laws with
    the same :math:`n`; conserves mass (each location carries :math:`1/n`).

    Parameters
    ----------
    atoms, probs : array_like, shape (K,) or (N, K)
    n_quantiles : int >= 1

    Returns
    -------
    numpy.ndarray, shape (n,) or (N, n)
        Sorted locations.

    Examples
    --------
    >>> from rltheory.distributional import quantile_projection
    >>> quantile_projection([0.0, 1.0, 2.0], [0.5, 0.25, 0.25], 4)
    array([0., 0., 1., 2.])
    """
    x, p, single = _batch(atoms, probs)
    if isinstance(n_quantiles, bool) or not isinstance(n_quantiles, (int, np.integer)) or n_quantiles < 1:
        raise ValueError(f"n_quantiles = {n_quantiles!r} must be an integer >= 1")
    out = np.empty((x.shape[0], int(n_quantiles)))
    _kernels.quantile_project(x, p, out)
    return out[0] if single else out


# ---------------------------------------------------------------- operators
def distributional_bellman_operator(mdp: FiniteMDP, distributions, policy=None) -> tuple[FiniteDistribution, ...]:
    r"""Apply the exact distributional Bellman operator :math:`T^\pi` (or :math:`T`).

    No projection: each output law has at most
    :math:`\sum_{a,s'} |\mathrm{supp}\,\eta(s')|` atoms (equal atoms merged).
    :math:`T^\pi` is a :math:`\gamma`-contraction in the supremum
    :math:`p`-Wasserstein metric (Bellemare, Dabney & Munos 2017, Lemma 3)
    and a :math:`\sqrt\gamma`-contraction in the supremum Cramér metric
    :math:`\bar\ell_2` (derived here; the contraction analysis in Cramér
    distance is due to Rowland et al. 2018, and Bellemare, Dabney & Rowland
    2023, *Distributional Reinforcement Learning*, Sec. 4.5, treat the
    :math:`\ell_p` family). Derivation: for :math:`f(g) = r + \gamma g` the
    push-forward has CDF :math:`F_\mu((x-r)/\gamma)`, so substituting
    :math:`x = r + \gamma y`, :math:`\ell_2^2(f_\#\mu, f_\#\nu) =
    \gamma\,\ell_2^2(\mu, \nu)`; the law :math:`(T^\pi\eta)(s)` is the
    mixture with weights :math:`w_{a,s'} = \pi(a|s)P(s'|s,a)` of such
    push-forwards, its CDF is the same mixture of CDFs, and by Jensen
    :math:`\int (\sum w (F - G))^2 \le \sum w \int (F - G)^2`, hence
    :math:`\ell_2^2((T^\pi\eta)(s), (T^\pi\eta')(s)) \le \gamma\,
    \bar\ell_2^2(\eta, \eta')`. (Rowland et al. 2018, Proposition 2 is the
    statement for the *projected* operator :math:`\Pi_C T^\pi`, which
    follows because :math:`\Pi_C` is a non-expansion.)
    The control operator (``policy=None``) is not a contraction in any of
    these (Bellemare, Dabney & Munos 2017, Proposition 1); see
    :func:`greedy_instability_example`.

    Parameters
    ----------
    mdp : FiniteMDP
    distributions : sequence of S distributions (any representation)
    policy : array_like, optional
        ``(S,)`` actions or ``(S, A)`` probabilities; ``None`` for control
        (greedy on means, ties to the lowest action).

    Returns
    -------
    tuple of FiniteDistribution, length S

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import FiniteDistribution, distributional_bellman_operator
    >>> P = np.array([[[0.5, 0.5]], [[0.0, 1.0]]]); R = np.array([[1.0], [0.0]])
    >>> mdp = FiniteMDP(P, R, gamma=0.5)
    >>> eta = [FiniteDistribution([0.0], [1.0]), FiniteDistribution([2.0], [1.0])]
    >>> out = distributional_bellman_operator(mdp, eta, np.array([0, 0]))
    >>> out[0].atoms, out[0].probs
    (array([1., 2.]), array([0.5, 0.5]))
    """
    law = _laws(mdp, distributions)
    means = np.array([float(np.dot(p, x)) for x, p in law])
    pi = _policy_or_greedy(mdp, policy, means)
    indptr, indices, data = csr_arrays(mdp)
    S, A = mdp.n_states, mdp.n_actions
    out = []
    for s in range(S):
        xs, ws = [], []
        for a in range(A):
            if pi[s, a] == 0:
                continue
            row = s * A + a
            for k in range(indptr[row], indptr[row + 1]):
                x, p = law[indices[k]]
                xs.append(mdp.R[s, a] + mdp.gamma * x)
                ws.append(pi[s, a] * data[k] * p)
        x, p = merge_atoms(np.concatenate(xs), np.concatenate(ws), 0.0)
        out.append(FiniteDistribution(x, p))
    return tuple(out)


def _laws(mdp: FiniteMDP, distributions) -> list[tuple[np.ndarray, np.ndarray]]:
    laws = [as_atoms_probs(d) for d in distributions]
    if len(laws) != mdp.n_states:
        raise ValueError(f"got {len(laws)} distributions, expected one per state ({mdp.n_states})")
    return laws


def categorical_bellman_operator(mdp: FiniteMDP, probs, support, policy=None) -> np.ndarray:
    r"""Apply the projected operator :math:`\Pi_C T^\pi` (or :math:`\Pi_C T`) to categorical laws.

    :math:`\Pi_C T^\pi` is a :math:`\sqrt\gamma`-contraction in the supremum
    Cramér metric (Rowland et al. 2018, Proposition 2). Compiled sweep
    (OpenMP over states); the mixture over next states is formed before the
    projection since :math:`\Pi_C` is linear on mixtures.

    Parameters
    ----------
    mdp : FiniteMDP
    probs : array_like, shape (S, m)
        Row ``s`` is the law of state ``s`` on ``support``.
    support : array_like, shape (m,)
    policy : array_like, optional

    Returns
    -------
    numpy.ndarray, shape (S, m)

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import categorical_bellman_operator
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), np.array([[1.0]]), gamma=0.5)
    >>> categorical_bellman_operator(mdp, np.array([[1.0, 0.0, 0.0]]), [0.0, 1.0, 2.0], np.array([0]))
    array([[0., 1., 0.]])
    """
    z = _check_support(support)
    P = np.ascontiguousarray(probs, dtype=float)
    check_shape("probs", P, (mdp.n_states, z.size))
    _check_rows_probability("probs", P)
    pi = _policy_or_greedy(mdp, policy, P @ z)
    out = np.empty_like(P)
    indptr, indices, data = csr_arrays(mdp)
    _kernels.categorical_sweep(
        indptr, indices, data, np.ascontiguousarray(mdp.R), np.ascontiguousarray(pi), mdp.gamma, z, P, out
    )
    return out


def quantile_bellman_operator(mdp: FiniteMDP, locations, policy=None) -> np.ndarray:
    r"""Apply the projected operator :math:`\Pi_Q T^\pi` (or :math:`\Pi_Q T`) to quantile laws.

    :math:`\Pi_Q T^\pi` is a :math:`\gamma`-contraction in the supremum
    :math:`W_\infty` metric (Dabney et al. 2018, Proposition 2).

    Parameters
    ----------
    mdp : FiniteMDP
    locations : array_like, shape (S, n)
        Row ``s`` holds the ``n`` equally weighted locations of state ``s``.
    policy : array_like, optional

    Returns
    -------
    numpy.ndarray, shape (S, n)
        Sorted rows.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import quantile_bellman_operator
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), np.array([[1.0]]), gamma=0.5)
    >>> quantile_bellman_operator(mdp, np.array([[0.0, 2.0]]), np.array([0]))
    array([[1., 2.]])
    """
    L = (
        np.sort(np.array(locations, dtype=float), axis=1)
        if np.ndim(locations) == 2
        else np.asarray(locations, dtype=float)
    )
    check_shape("locations", L, (mdp.n_states, None))
    if L.shape[1] == 0:
        raise ValueError("locations has no columns; need n >= 1 quantiles")
    check_finite("locations", L)
    L = np.ascontiguousarray(L)
    pi = _policy_or_greedy(mdp, policy, L.mean(axis=1))
    return _quantile_sweep(mdp, csr_arrays(mdp), pi, L)


def _quantile_sweep(mdp, arrays, pi, L) -> np.ndarray:
    indptr, indices, data = arrays
    S, A = mdp.n_states, mdp.n_actions
    nnz = np.diff(indptr).reshape(S, A) * (pi > 0)
    max_atoms = int(nnz.sum(axis=1).max()) * L.shape[1]
    out = np.empty_like(L)
    _kernels.quantile_sweep(
        indptr, indices, data, np.ascontiguousarray(mdp.R), np.ascontiguousarray(pi), mdp.gamma, L, max_atoms, out
    )
    return out


# ---------------------------------------------------------------- contraction
@dataclass(frozen=True, eq=False)
class ContractionRatio:
    r"""Measured contraction ratio :math:`\bar d(O\eta, O\eta') / \bar d(\eta, \eta')`.

    Attributes
    ----------
    ratio : float
    distance_before, distance_after : float
        :math:`\bar d(\eta,\eta')` and :math:`\bar d(O\eta, O\eta')`.
    operator : str
        ``"exact"`` (:math:`T^\pi`), ``"categorical"`` (:math:`\Pi_C T^\pi`)
        or ``"quantile"`` (:math:`\Pi_Q T^\pi`); prefixed ``"control-"`` for
        the greedy control operator.
    metric : str
        E.g. ``"wasserstein-1"``, ``"wasserstein-inf"``, ``"cramer"``.
    modulus : float or None
        The modulus a theorem guarantees for this operator and metric
        (``ratio <= modulus``), ``None`` when no theorem applies.
    source : str
        The theorem giving ``modulus`` (empty when ``modulus`` is None).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import FiniteDistribution, contraction_ratio
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), np.array([[0.0]]), gamma=0.25)
    >>> c = contraction_ratio(mdp, [FiniteDistribution([0.0], [1.0])], [FiniteDistribution([4.0], [1.0])],
    ...                       policy=np.array([0]), metric="cramer")
    >>> c.ratio, c.modulus, c.ratio <= c.modulus  # ell_2(delta_0, delta_x) = sqrt(x): ratio sqrt(gamma)
    (0.5, 0.5, True)
    """

    ratio: float
    distance_before: float
    distance_after: float
    operator: str
    metric: str
    modulus: float | None
    source: str


def contraction_ratio(
    mdp: FiniteMDP, first, second, *, policy=None, metric: str = "wasserstein", order=1
) -> ContractionRatio:
    r"""Measure how much one operator application shrinks the distance between two inputs.

    The operator is chosen by the representation of the inputs:
    :class:`CategoricalDistribution` (one shared support) uses
    :math:`\Pi_C T^\pi`, :class:`QuantileDistribution` (one shared ``n``)
    uses :math:`\Pi_Q T^\pi`, anything else the exact :math:`T^\pi`.
    ``policy=None`` uses the greedy control operator, for which no
    contraction theorem exists.

    Theorem moduli reported:

    * exact :math:`T^\pi`, :math:`W_p` (any :math:`p`, incl. :math:`\infty`):
      :math:`\gamma` (Bellemare, Dabney & Munos 2017, Lemma 3);
    * :math:`\Pi_C T^\pi`, Cramér: :math:`\sqrt\gamma` (Rowland et al. 2018,
      Proposition 2);
    * exact :math:`T^\pi`, Cramér: :math:`\sqrt\gamma` (derived in
      :func:`distributional_bellman_operator`; Bellemare, Dabney & Rowland
      2023, Sec. 4.5);
    * :math:`\Pi_Q T^\pi`, :math:`W_\infty`: :math:`\gamma` (Dabney et al.
      2018, Proposition 2).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> from rltheory.distributional import FiniteDistribution, contraction_ratio
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), np.array([[1.0]]), gamma=0.5)
    >>> eta, nu = [FiniteDistribution([0.0], [1.0])], [FiniteDistribution([2.0], [1.0])]
    >>> c = contraction_ratio(mdp, eta, nu, policy=np.array([0]))
    >>> c.ratio, c.modulus
    (0.5, 0.5)
    """
    first, second = list(first), list(second)
    n = mdp.n_states
    if len(first) != n or len(second) != n:
        raise ValueError(f"first and second need {n} distributions each, got {len(first)} and {len(second)}")
    d0 = supremum_distance(first, second, metric=metric, order=order)
    if d0 == 0:
        raise ValueError("first and second are equal (distance 0); the contraction ratio is undefined")
    both = first + second
    g = mdp.gamma
    if all(isinstance(d, CategoricalDistribution) for d in both):
        z = both[0].support
        if any(d.support.shape != z.shape or not np.array_equal(d.support, z) for d in both):
            raise ValueError("categorical inputs must share one support")
        out1 = categorical_bellman_operator(mdp, np.array([d.probs for d in first]), z, policy)
        out2 = categorical_bellman_operator(mdp, np.array([d.probs for d in second]), z, policy)
        a = [CategoricalDistribution(z, row / row.sum()) for row in out1]
        b = [CategoricalDistribution(z, row / row.sum()) for row in out2]
        kind = "categorical"
        theorems = {"cramer": (math.sqrt(g), "Rowland et al. 2018, Proposition 2")}
    elif all(isinstance(d, QuantileDistribution) for d in both):
        nq = both[0].n_quantiles
        if any(d.n_quantiles != nq for d in both):
            raise ValueError("quantile inputs must share one number of quantiles")
        out1 = quantile_bellman_operator(mdp, np.array([d.locations for d in first]), policy)
        out2 = quantile_bellman_operator(mdp, np.array([d.locations for d in second]), policy)
        a = [QuantileDistribution(row) for row in out1]
        b = [QuantileDistribution(row) for row in out2]
        kind = "quantile"
        theorems = {"wasserstein-inf": (g, "Dabney et al. 2018, Proposition 2")}
    else:
        a = distributional_bellman_operator(mdp, first, policy)
        b = distributional_bellman_operator(mdp, second, policy)
        kind = "exact"
        theorems = {
            "cramer": (
                math.sqrt(g),
                "derived in rltheory.distributional.distributional_bellman_operator (push-forward scaling + Jensen); "
                "Bellemare, Dabney & Rowland 2023, Sec. 4.5",
            )
        }
        if metric == "wasserstein":
            theorems[f"wasserstein-{'inf' if order == np.inf else _fmt(order)}"] = (
                g,
                "Bellemare, Dabney & Munos 2017, Lemma 3",
            )
    d1 = supremum_distance(a, b, metric=metric, order=order)
    name = metric if metric != "wasserstein" else f"wasserstein-{'inf' if order == np.inf else _fmt(order)}"
    modulus, source = theorems.get(name, (None, "")) if policy is not None else (None, "")
    return ContractionRatio(
        ratio=d1 / d0,
        distance_before=d0,
        distance_after=d1,
        operator=kind if policy is not None else "control-" + kind,
        metric=name,
        modulus=modulus,
        source=source,
    )


def _fmt(order) -> str:
    return str(int(order)) if float(order).is_integer() else str(float(order))


# ------------------------------------------------------ control instability
@dataclass(frozen=True, eq=False)
class InstabilityExample:
    r"""A model and initial laws on which distributional value iteration oscillates.

    Attributes
    ----------
    mdp : FiniteMDP
    initial : tuple of FiniteDistribution
    decision_state : int
        The state whose greedy action flips at every iteration.

    Examples
    --------
    >>> from rltheory.distributional import greedy_instability_example
    >>> ex = greedy_instability_example(gamma=0.5, epsilon=0.01)
    >>> ex.mdp.n_states, ex.decision_state, [d.mean() for d in ex.initial[:3]]
    (6, 0, [0.0, 0.01, -0.01])
    """

    mdp: FiniteMDP
    initial: tuple
    decision_state: int


def greedy_instability_example(gamma: float = 0.5, epsilon: float = 0.01) -> InstabilityExample:
    r"""A two-action tie on which the distributional control operator does not converge.

    States: 0 is the decision state; action 0 leads to state 1, action 1 to
    state 3, reward 0. States 1 and 2 form a reward-0 two-cycle (return 0);
    state 3 moves to 4 or 5 with probability 1/2 each; 4 and 5 are
    self-loops with rewards :math:`\pm(1-\gamma)` (returns :math:`\pm 1`).
    Both actions of state 0 have true mean 0: an exact tie. All non-decision
    states have two identical actions.

    The initial laws are the true ones except :math:`\eta_0(1) =
    \delta_{\epsilon}`, :math:`\eta_0(2) = \delta_{-\epsilon}`. Under the
    control operator :math:`T` the mean of state 1 is
    :math:`(-\gamma)^k \epsilon`, so the greedy action at state 0 alternates
    and :math:`\eta_k(0)` alternates between a law near :math:`\delta_0` and
    :math:`\tfrac12\delta_{\gamma^2} + \tfrac12\delta_{-\gamma^2}`: no
    convergence in distribution, although the means converge geometrically
    (Bellemare, Dabney & Munos 2017, Lemma 4) -- an instance of their
    Proposition 1 (:math:`T` is not a contraction) and of the discussion
    after their Theorem 1. The pair (initial, initial with
    :math:`\epsilon \to -\epsilon`) gives a measured :math:`W_1` ratio near
    :math:`\gamma^2 / (2\epsilon)`, far above :math:`\gamma`.

    Examples
    --------
    >>> from rltheory.distributional import distributional_bellman_operator, greedy_instability_example
    >>> ex = greedy_instability_example()
    >>> eta1 = distributional_bellman_operator(ex.mdp, ex.initial)
    >>> eta2 = distributional_bellman_operator(ex.mdp, eta1)
    >>> eta1[0].atoms.size, eta2[0].atoms.size
    (1, 2)
    """
    if not (0 < gamma < 1) or not (epsilon > 0 and math.isfinite(epsilon)):
        raise ValueError(f"need 0 < gamma < 1 and epsilon > 0, got gamma={gamma!r}, epsilon={epsilon!r}")
    S, A = 6, 2
    P = np.zeros((S, A, S))
    R = np.zeros((S, A))
    P[0, 0, 1] = 1.0
    P[0, 1, 3] = 1.0
    P[1, :, 2] = 1.0
    P[2, :, 1] = 1.0
    P[3, :, 4] = 0.5
    P[3, :, 5] = 0.5
    P[4, :, 4] = 1.0
    P[5, :, 5] = 1.0
    R[4, :] = 1.0 - gamma
    R[5, :] = -(1.0 - gamma)
    mdp = FiniteMDP(P, R, gamma=gamma)
    initial = (
        FiniteDistribution([0.0], [1.0]),
        FiniteDistribution([epsilon], [1.0]),
        FiniteDistribution([-epsilon], [1.0]),
        FiniteDistribution([-gamma, gamma], [0.5, 0.5]),
        FiniteDistribution([1.0], [1.0]),
        FiniteDistribution([-1.0], [1.0]),
    )
    return InstabilityExample(mdp=mdp, initial=initial, decision_state=0)
