r"""Preference models over ``K`` alternatives and sampling of comparisons and rankings.

* :class:`PreferenceMatrix`: a general matrix :math:`P_{ij} = \Pr(i \succ j)` with
  :math:`P_{ij} + P_{ji} = 1` and :math:`P_{ii} = 1/2` (non-transitive preferences allowed);
* :class:`BradleyTerry`: :math:`P_{ij} = \sigma(r_i - r_j)`, :math:`\sigma(z) = 1/(1 + e^{-z})`
  (Bradley & Terry 1952; Zermelo 1929);
* :class:`PlackettLuce`: a ranking of a subset :math:`S` is drawn by picking the best item with
  probability :math:`e^{r_i}/\sum_{j \in S} e^{r_j}`, then the best of the rest, and so on
  (Plackett 1975; Luce 1959); its pairwise marginals are Bradley-Terry with the same rewards.

:class:`PreferenceMatrix` and :class:`BradleyTerry` are the problems of the ``"dueling"`` kind of
:func:`rltheory.simulation.simulate`. Comparisons are sampled by :func:`sample_comparisons`
(returned as :class:`PairwiseComparisons`), rankings by :func:`sample_rankings` (:class:`Rankings`),
always from an explicit ``rng``. A Plackett-Luce ranking is drawn exactly by sorting
:math:`r_i + G_i` with :math:`G_i` i.i.d. standard Gumbel (Yellott 1977, *J. Math. Psych.* 15(2),
Thm 5; the Gumbel-max trick applied stage by stage).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from .._validation import as_generator, check_finite, check_int, check_shape, readonly

__all__ = [
    "BradleyTerry",
    "PairwiseComparisons",
    "PlackettLuce",
    "PreferenceMatrix",
    "Rankings",
    "preference_model_from_spec",
    "sample_comparisons",
    "sample_rankings",
]

#: Tolerance on the skew-symmetry ``P + P^T = 1`` of a preference matrix.
SKEW_ATOL = 1e-12


def _rewards(name, values) -> np.ndarray:
    try:
        r = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a 1-D array of real numbers, got {values!r:.200}") from exc
    check_shape(name, r, (None,))
    if r.size < 2:
        raise ValueError(f"{name} has {r.size} entries; a preference model needs at least 2 alternatives")
    check_finite(name, r)
    return readonly(np.ascontiguousarray(r))


class _ModelMixin:
    """Shared: ``n_arms``, equality through ``to_spec``."""

    @property
    def n_arms(self) -> int:
        return int(self.matrix.shape[0])

    def __eq__(self, other):
        return type(self) is type(other) and self.to_spec() == other.to_spec()

    def __hash__(self):
        return hash(json.dumps(self.to_spec(), sort_keys=True))


@dataclass(frozen=True, eq=False)
class PreferenceMatrix(_ModelMixin):
    r"""A general preference matrix :math:`P_{ij} = \Pr(i \succ j)`.

    Parameters
    ----------
    matrix : array_like, shape (K, K)
        Entries in ``[0, 1]``, :math:`P_{ij} + P_{ji} = 1` within ``SKEW_ATOL`` and :math:`P_{ii} = 1/2`
        (a duel of an alternative with itself is a fair coin). ``K >= 2``. Nothing is repaired: a
        matrix off by more than the tolerance is refused, naming the entry.

    Examples
    --------
    >>> rps = PreferenceMatrix([[0.5, 1.0, 0.0], [0.0, 0.5, 1.0], [1.0, 0.0, 0.5]])  # rock, paper, scissors
    >>> rps.n_arms, float(rps.matrix[0, 1])
    (3, 1.0)
    >>> PreferenceMatrix([[0.5, 0.7], [0.4, 0.5]])
    Traceback (most recent call last):
    ...
    ValueError: matrix[0, 1] + matrix[1, 0] = 1.1, expected 1 (P(i beats j) + P(j beats i) = 1)
    """

    matrix: np.ndarray

    def __post_init__(self):
        try:
            P = np.array(self.matrix, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"matrix must be a (K, K) array of probabilities, got {self.matrix!r:.200}") from exc
        if P.ndim != 2 or P.shape[0] != P.shape[1]:
            raise ValueError(f"matrix has shape {P.shape}, expected (K, K)")
        if P.shape[0] < 2:
            raise ValueError("a preference matrix needs at least 2 alternatives")
        check_finite("matrix", P)
        bad = (P < 0) | (P > 1)
        if bad.any():
            i, j = (int(v) for v in np.argwhere(bad)[0])
            raise ValueError(f"matrix[{i}, {j}] = {float(P[i, j])!r} is not a probability")
        for i in range(P.shape[0]):
            if P[i, i] != 0.5:
                raise ValueError(f"matrix[{i}, {i}] = {float(P[i, i])!r}; an alternative ties with itself (1/2)")
        skew = np.abs(P + P.T - 1.0)
        if (skew > SKEW_ATOL).any():
            i, j = (int(v) for v in np.argwhere(skew > SKEW_ATOL)[0])
            raise ValueError(
                f"matrix[{i}, {j}] + matrix[{j}, {i}] = {P[i, j] + P[j, i]:.6g}, expected 1 "
                "(P(i beats j) + P(j beats i) = 1)"
            )
        object.__setattr__(self, "matrix", readonly(np.ascontiguousarray(P)))

    def to_spec(self) -> dict:
        """A JSON-able dict that :func:`preference_model_from_spec` turns back into this model.

        Examples
        --------
        >>> PreferenceMatrix([[0.5, 0.25], [0.75, 0.5]]).to_spec()
        {'type': 'PreferenceMatrix', 'matrix': [[0.5, 0.25], [0.75, 0.5]]}
        """
        return {"type": "PreferenceMatrix", "matrix": self.matrix.tolist()}


@dataclass(frozen=True, eq=False)
class BradleyTerry(_ModelMixin):
    r"""The Bradley-Terry-Luce model :math:`\Pr(i \succ j) = \sigma(r_i - r_j) = e^{r_i}/(e^{r_i} + e^{r_j})`.

    Parameters
    ----------
    rewards : array_like, shape (K,)
        Latent utilities (finite, ``K >= 2``); only differences matter.

    Attributes
    ----------
    matrix : (K, K) float64
        The preference matrix (read-only).

    Examples
    --------
    >>> bt = BradleyTerry([1.0, 0.0])
    >>> round(float(bt.matrix[0, 1]), 6)  # e / (1 + e)
    0.731059
    """

    rewards: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "rewards", _rewards("rewards", self.rewards))

    @property
    def matrix(self) -> np.ndarray:
        """The read-only ``(K, K)`` matrix :math:`P_{ij} = \\sigma(r_i - r_j)`, with :math:`P_{ii} = 1/2`.

        Examples
        --------
        >>> BradleyTerry([0.0, 0.0]).matrix.tolist()  # equal rewards: sigma(0) = 1/2
        [[0.5, 0.5], [0.5, 0.5]]
        >>> P = BradleyTerry([1.0, 0.0, -1.0]).matrix
        >>> bool(np.allclose(P + P.T, 1.0)), round(float(P[0, 2]), 6)  # sigma(2)
        (True, 0.880797)
        """
        r = self.rewards
        P = expit(r[:, None] - r[None, :])
        np.fill_diagonal(P, 0.5)
        return readonly(P)

    def to_spec(self) -> dict:
        """A JSON-able dict that :func:`preference_model_from_spec` turns back into this model.

        Examples
        --------
        >>> BradleyTerry([1.0, 0.0]).to_spec()
        {'type': 'BradleyTerry', 'rewards': [1.0, 0.0]}
        """
        return {"type": "BradleyTerry", "rewards": self.rewards.tolist()}


@dataclass(frozen=True, eq=False)
class PlackettLuce(_ModelMixin):
    r"""The Plackett-Luce ranking model with utilities ``rewards``.

    The probability of the ranking :math:`\sigma_1 \succ \dots \succ \sigma_k` of a subset is
    :math:`\prod_{j=1}^{k-1} e^{r_{\sigma_j}} / \sum_{l \ge j} e^{r_{\sigma_l}}`
    (:meth:`ranking_probability`); for ``k = 2`` it is Bradley-Terry.

    Examples
    --------
    >>> pl = PlackettLuce([0.0, 0.0, 0.0])
    >>> pl.ranking_probability([2, 0, 1])  # uniform: 1 / 3!
    0.16666666666666666
    """

    rewards: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "rewards", _rewards("rewards", self.rewards))

    @property
    def matrix(self) -> np.ndarray:
        """The pairwise marginals: Bradley-Terry with the same rewards (a ranking of a pair).

        Examples
        --------
        >>> pl = PlackettLuce([1.0, 0.0, 0.5])
        >>> bool(np.array_equal(pl.matrix, BradleyTerry([1.0, 0.0, 0.5]).matrix))
        True
        >>> round(float(pl.matrix[0, 1]), 6) == round(pl.ranking_probability([0, 1]), 6)
        True
        """
        return BradleyTerry(self.rewards).matrix

    def ranking_probability(self, ranking) -> float:
        """Exact probability of ``ranking`` (distinct items, best first) of its own subset.

        Examples
        --------
        >>> pl = PlackettLuce([np.log(2.0), 0.0, 0.0])  # weights e^r = 2, 1, 1
        >>> round(pl.ranking_probability([0, 1, 2]), 6)  # 2/4 * 1/2
        0.25
        >>> round(pl.ranking_probability([1, 0]), 6)  # a pair: Bradley-Terry, 1 / (1 + 2)
        0.333333
        """
        idx = _ranking("ranking", ranking, self.n_arms)
        r = self.rewards[idx]
        p = 1.0
        for j in range(idx.size - 1):
            tail = r[j:]
            p *= float(np.exp(r[j] - tail.max()) / np.exp(tail - tail.max()).sum())
        return p

    def to_spec(self) -> dict:
        """A JSON-able dict that :func:`preference_model_from_spec` turns back into this model.

        Examples
        --------
        >>> pl = PlackettLuce([0.0, 1.0, 2.0])
        >>> pl.to_spec()
        {'type': 'PlackettLuce', 'rewards': [0.0, 1.0, 2.0]}
        >>> preference_model_from_spec(pl.to_spec()) == pl
        True
        """
        return {"type": "PlackettLuce", "rewards": self.rewards.tolist()}


def _ranking(name, ranking, K) -> np.ndarray:
    idx = np.asarray(ranking)
    if idx.ndim != 1 or idx.size < 2 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D integer array of at least 2 items, got {ranking!r:.200}")
    if (idx < 0).any() or (idx >= K).any() or np.unique(idx).size != idx.size:
        raise ValueError(f"{name} = {idx.tolist()} must list distinct items in [0, {K})")
    return idx.astype(np.int64)


def preference_model_from_spec(spec: dict):
    """Rebuild a preference model from ``model.to_spec()``.

    Examples
    --------
    >>> bt = BradleyTerry([0.5, 0.0])
    >>> preference_model_from_spec(bt.to_spec()) == bt
    True
    """
    types = {"PreferenceMatrix": PreferenceMatrix, "BradleyTerry": BradleyTerry, "PlackettLuce": PlackettLuce}
    if not isinstance(spec, dict) or spec.get("type") not in types:
        raise ValueError(f"a preference-model spec is a dict with 'type' in {sorted(types)}, got {spec!r:.200}")
    return types[spec["type"]](**{k: v for k, v in spec.items() if k != "type"})


def _as_model(model, who):
    if not isinstance(model, (PreferenceMatrix, BradleyTerry, PlackettLuce)):
        raise ValueError(
            f"{who} needs a PreferenceMatrix, BradleyTerry or PlackettLuce model, got {type(model).__name__}"
        )
    return model


@dataclass(frozen=True, eq=False)
class PairwiseComparisons:
    r"""Outcomes of pairwise comparisons among ``n_arms`` alternatives.

    Attributes
    ----------
    winners, losers : (n,) int64
        Comparison ``k`` was won by ``winners[k]`` against ``losers[k]`` (distinct alternatives).
    n_arms : int
    wins : (K, K) int64
        ``wins[i, j]`` = how often ``i`` beat ``j`` (the sufficient statistic of Bradley-Terry).

    Examples
    --------
    >>> data = PairwiseComparisons([0, 0, 1], [1, 1, 0], 2)
    >>> data.wins.tolist()
    [[0, 2], [1, 0]]
    """

    winners: np.ndarray
    losers: np.ndarray
    n_arms: int

    def __post_init__(self):
        K = check_int("n_arms", self.n_arms, low=2)
        w = np.asarray(self.winners)
        lo = np.asarray(self.losers)
        for name, a in (("winners", w), ("losers", lo)):
            if a.ndim != 1 or (a.size and not np.issubdtype(a.dtype, np.integer)):
                raise ValueError(f"{name} must be a 1-D integer array")
            if ((a < 0) | (a >= K)).any():
                raise ValueError(f"{name} has an entry outside [0, {K})")
        if w.shape != lo.shape:
            raise ValueError(f"winners has shape {w.shape} but losers has shape {lo.shape}")
        if (w == lo).any():
            k = int(np.argmax(w == lo))
            raise ValueError(f"comparison {k} opposes alternative {int(w[k])} to itself")
        object.__setattr__(self, "n_arms", K)
        object.__setattr__(self, "winners", readonly(w.astype(np.int64)))
        object.__setattr__(self, "losers", readonly(lo.astype(np.int64)))

    @property
    def n_comparisons(self) -> int:
        """The number of comparisons (the length of ``winners``).

        Examples
        --------
        >>> PairwiseComparisons([0, 2, 1], [1, 0, 2], 3).n_comparisons
        3
        """
        return int(self.winners.size)

    @property
    def wins(self) -> np.ndarray:
        """``wins[i, j]`` = how often ``i`` beat ``j`` (read-only ``(K, K)`` int64; its total is ``n_comparisons``).

        Examples
        --------
        >>> data = PairwiseComparisons([0, 0, 2], [1, 1, 0], 3)
        >>> data.wins.tolist(), int(data.wins.sum())
        ([[0, 2, 0], [0, 0, 0], [1, 0, 0]], 3)
        """
        W = np.zeros((self.n_arms, self.n_arms), dtype=np.int64)
        np.add.at(W, (self.winners, self.losers), 1)
        return readonly(W)


@dataclass(frozen=True, eq=False)
class Rankings:
    r"""K-wise rankings: row ``k`` lists ``subset_size`` distinct alternatives, best first.

    Examples
    --------
    >>> Rankings([[2, 0, 1], [0, 1, 2]], 3).pairwise().wins.tolist()  # each ranking gives its 3 pairs
    [[0, 2, 1], [0, 0, 1], [1, 1, 0]]
    """

    rankings: np.ndarray
    n_arms: int

    def __post_init__(self):
        K = check_int("n_arms", self.n_arms, low=2)
        R = np.asarray(self.rankings)
        if R.ndim != 2 or R.shape[1] < 2 or (R.size and not np.issubdtype(R.dtype, np.integer)):
            raise ValueError(f"rankings must be an (n, k) integer array with k >= 2, got shape {R.shape}")
        for k in range(R.shape[0]):
            _ranking(f"rankings[{k}]", R[k], K)
        object.__setattr__(self, "n_arms", K)
        object.__setattr__(self, "rankings", readonly(R.astype(np.int64)))

    @property
    def subset_size(self) -> int:
        """The number ``k`` of alternatives in every ranking (the row length).

        Examples
        --------
        >>> Rankings([[2, 0, 1], [0, 1, 2]], 4).subset_size
        3
        """
        return int(self.rankings.shape[1])

    def pairwise(self) -> PairwiseComparisons:
        """Split every ranking into its ``k (k - 1) / 2`` implied pairwise comparisons (Zhu et al. 2023, Sec. 4).

        Examples
        --------
        >>> data = Rankings([[2, 0, 1]], 3).pairwise()  # 2 > 0 > 1 implies 2 > 0, 2 > 1 and 0 > 1
        >>> data.n_comparisons, data.winners.tolist(), data.losers.tolist()
        (3, [2, 2, 0], [0, 1, 1])
        """
        R = self.rankings
        k = R.shape[1]
        a, b = np.triu_indices(k, 1)
        return PairwiseComparisons(R[:, a].ravel(), R[:, b].ravel(), self.n_arms)


def sample_comparisons(model, n_comparisons: int, *, pair_weights=None, rng=None) -> PairwiseComparisons:
    r"""Draw ``n_comparisons`` independent comparisons from ``model``.

    Each comparison first draws an unordered pair :math:`\{i, j\}`, ``i != j``, with probability
    proportional to ``pair_weights[i, j] + pair_weights[j, i]`` (default: uniform over the
    :math:`K(K-1)/2` pairs), then its winner: :math:`i` with probability :math:`P_{ij}`.

    Examples
    --------
    >>> data = sample_comparisons(BradleyTerry([2.0, 0.0]), 1000, rng=0)
    >>> data.n_comparisons, bool(0.8 < data.wins[0, 1] / 1000 < 0.95)  # sigma(2) = 0.88
    (1000, True)
    """
    model = _as_model(model, "sample_comparisons")
    n = check_int("n_comparisons", n_comparisons, low=0)
    rng = as_generator(rng)
    K = model.n_arms
    a, b = np.triu_indices(K, 1)
    if pair_weights is None:
        w = np.ones(a.size)
    else:
        W = np.asarray(pair_weights, dtype=float)
        check_shape("pair_weights", W, (K, K))
        check_finite("pair_weights", W)
        if (W < 0).any():
            raise ValueError("pair_weights has a negative entry")
        w = W[a, b] + W[b, a]
        if w.sum() <= 0:
            raise ValueError("pair_weights puts no mass on any pair of distinct alternatives")
    pick = rng.choice(a.size, size=n, p=w / w.sum())
    i, j = a[pick], b[pick]
    first_wins = rng.random(n) < model.matrix[i, j]
    return PairwiseComparisons(np.where(first_wins, i, j), np.where(first_wins, j, i), K)


def sample_rankings(model: PlackettLuce, n_rankings: int, *, subset_size: int | None = None, rng=None) -> Rankings:
    r"""Draw ``n_rankings`` Plackett-Luce rankings of uniformly random subsets of ``subset_size`` alternatives.

    The subset is uniform without replacement (default: all ``K`` alternatives); its ranking sorts
    :math:`r_i + G_i` in decreasing order, :math:`G_i` i.i.d. standard Gumbel, which has exactly
    the Plackett-Luce law (Yellott 1977, Thm 5).

    Examples
    --------
    >>> R = sample_rankings(PlackettLuce([3.0, 0.0, -3.0]), 500, rng=1)
    >>> R.rankings.shape, float((R.rankings[:, 0] == 0).mean()) > 0.9
    ((500, 3), True)
    """
    if not isinstance(model, PlackettLuce):
        raise ValueError(f"sample_rankings needs a PlackettLuce model, got {type(model).__name__}")
    n = check_int("n_rankings", n_rankings, low=0)
    K = model.n_arms
    k = K if subset_size is None else check_int("subset_size", subset_size, low=2, high=K)
    rng = as_generator(rng)
    subsets = np.argsort(rng.random((n, K)), axis=1)[:, :k]
    keys = model.rewards[subsets] + rng.gumbel(size=(n, k))
    order = np.argsort(-keys, axis=1, kind="stable")
    return Rankings(np.take_along_axis(subsets, order, axis=1), K)
