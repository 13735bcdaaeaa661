"""Bandit instances: frozen, validated problems.

Every instance has ``n_arms``, ``means`` (read-only float64), ``best_arm``
(lowest index among the maximisers), ``gaps`` (``mu* - mu_i``), ``kl(i, j)``,
``to_spec()`` (a JSON-serialisable dict) and is rebuilt by
:func:`bandit_from_spec`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from .._validation import as_generator, check_finite, check_int, check_real, check_shape, readonly
from ._kl import bernoulli_kl, gaussian_kl

__all__ = [
    "BernoulliBandit",
    "BoundedBandit",
    "GaussianBandit",
    "SequenceBandit",
    "bandit_from_spec",
]


def _real_vector(name: str, values, *, low=None, high=None) -> np.ndarray:
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a 1-D array of real numbers, got {values!r}") from exc
    check_shape(name, arr, (None,))
    if arr.size < 2:
        raise ValueError(f"{name} has {arr.size} entries; a bandit needs at least 2 arms")
    check_finite(name, arr)
    if low is not None and (arr < low).any():
        i = int(np.argmax(arr < low))
        raise ValueError(f"{name}[{i}] = {arr[i]!r} is below {low}")
    if high is not None and (arr > high).any():
        i = int(np.argmax(arr > high))
        raise ValueError(f"{name}[{i}] = {arr[i]!r} is above {high}")
    return readonly(np.ascontiguousarray(arr))


def _positive_real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} = {value!r} must be finite and > 0")
    return v


class _BanditMixin:
    """Shared derived quantities; subclasses define ``means``."""

    @property
    def n_arms(self) -> int:
        return int(self.means.size)

    @property
    def best_arm(self) -> int:
        return int(np.argmax(self.means))

    @property
    def best_mean(self) -> float:
        return float(self.means.max())

    @property
    def gaps(self) -> np.ndarray:
        return readonly(self.means.max() - self.means)

    def __eq__(self, other):
        return type(self) is type(other) and self.to_spec() == other.to_spec()

    def __hash__(self):
        import json

        return hash(json.dumps(self.to_spec(), sort_keys=True))

    def _check_arm(self, name, i) -> int:
        if isinstance(i, bool) or not isinstance(i, numbers.Integral) or not 0 <= i < self.n_arms:
            raise ValueError(f"{name} = {i!r} is not an arm index in [0, {self.n_arms})")
        return int(i)


@dataclass(frozen=True, eq=False)
class BernoulliBandit(_BanditMixin):
    r"""Stochastic bandit with Bernoulli(:math:`\mu_i`) arms.

    Parameters
    ----------
    means : array_like, shape (K,)
        Success probabilities in ``[0, 1]``, ``K >= 2``.

    Notes
    -----
    ``kl(i, j)`` is the Bernoulli relative entropy :math:`d(\mu_i, \mu_j)`
    (Lai & Robbins 1985; Garivier & Cappé 2011, eq. (1)).

    Examples
    --------
    >>> b = BernoulliBandit([0.9, 0.8])
    >>> b.best_arm, b.gaps.tolist()
    (0, [0.0, 0.09999999999999998])
    """

    means: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "means", _real_vector("means", self.means, low=0.0, high=1.0))

    def kl(self, i: int, j: int) -> float:
        """Bernoulli KL ``d(mu_i, mu_j)``.

        Examples
        --------
        >>> round(BernoulliBandit([0.9, 0.8]).kl(1, 0), 6)
        0.044403
        """
        return bernoulli_kl(self.means[self._check_arm("i", i)], self.means[self._check_arm("j", j)])

    def to_spec(self) -> dict:
        """JSON-serialisable description, inverted by :func:`bandit_from_spec`.

        Examples
        --------
        >>> BernoulliBandit([0.9, 0.8]).to_spec()
        {'type': 'BernoulliBandit', 'means': [0.9, 0.8]}
        """
        return {"type": "BernoulliBandit", "means": self.means.tolist()}


@dataclass(frozen=True, eq=False)
class GaussianBandit(_BanditMixin):
    r"""Stochastic bandit with :math:`N(\mu_i, \sigma^2)` arms (common known ``sigma``).

    Examples
    --------
    >>> GaussianBandit([0.0, 1.0], sigma=2.0).kl(0, 1)
    0.125
    """

    means: np.ndarray
    sigma: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "means", _real_vector("means", self.means))
        object.__setattr__(self, "sigma", _positive_real("sigma", self.sigma))

    def kl(self, i: int, j: int) -> float:
        """Gaussian KL ``(mu_i - mu_j)**2 / (2 sigma**2)``.

        Examples
        --------
        >>> GaussianBandit([1.0, 0.0], sigma=0.5).kl(0, 1)
        2.0
        """
        return gaussian_kl(self.means[self._check_arm("i", i)], self.means[self._check_arm("j", j)], self.sigma)

    def to_spec(self) -> dict:
        """JSON-serialisable description, inverted by :func:`bandit_from_spec`.

        Examples
        --------
        >>> GaussianBandit([1.0, 0.0], sigma=0.5).to_spec()
        {'type': 'GaussianBandit', 'means': [1.0, 0.0], 'sigma': 0.5}
        """
        return {"type": "GaussianBandit", "means": self.means.tolist(), "sigma": self.sigma}


@dataclass(frozen=True, eq=False)
class BoundedBandit(_BanditMixin):
    r"""Stochastic bandit with Beta(:math:`\alpha_i, \beta_i`) arms on ``[0, 1]``.

    Arm ``i`` has mean :math:`\alpha_i / (\alpha_i + \beta_i)`.  The model
    class is "rewards bounded in [0, 1]"; ``kl(i, j)`` is the Bernoulli KL of
    the means, which is the :math:`\mathcal K_{\inf}` of the worst case in that
    class (Garivier & Cappé 2011, Sec. 2 and Thm 2), hence the constant used by
    :func:`lai_robbins_constant` is an upper bound on the instance's own
    Burnetas-Katehakis constant.

    Examples
    --------
    >>> b = BoundedBandit([2.0, 1.0], [1.0, 1.0])
    >>> b.means.round(4).tolist()
    [0.6667, 0.5]
    """

    alpha: np.ndarray
    beta: np.ndarray
    means: np.ndarray = field(init=False)

    def __post_init__(self):
        a = _real_vector("alpha", self.alpha)
        b = _real_vector("beta", self.beta)
        if a.shape != b.shape:
            raise ValueError(f"alpha has shape {a.shape} but beta has shape {b.shape}")
        for name, arr in (("alpha", a), ("beta", b)):
            if (arr <= 0).any():
                i = int(np.argmax(arr <= 0))
                raise ValueError(f"{name}[{i}] = {arr[i]!r} must be > 0")
        object.__setattr__(self, "alpha", a)
        object.__setattr__(self, "beta", b)
        object.__setattr__(self, "means", readonly(a / (a + b)))

    def kl(self, i: int, j: int) -> float:
        """Bernoulli KL of the means (worst case among [0, 1]-bounded laws).

        Examples
        --------
        >>> b = BoundedBandit([1.0, 1.0], [1.0, 3.0])   # Beta(1, 1), Beta(1, 3): means 1/2, 1/4
        >>> b.kl(1, 0) == bernoulli_kl(0.25, 0.5)
        True
        """
        return bernoulli_kl(self.means[self._check_arm("i", i)], self.means[self._check_arm("j", j)])

    def to_spec(self) -> dict:
        """JSON-serialisable description, inverted by :func:`bandit_from_spec`.

        Examples
        --------
        >>> BoundedBandit([1.0, 2.0], [1.0, 2.0]).to_spec()
        {'type': 'BoundedBandit', 'alpha': [1.0, 2.0], 'beta': [1.0, 2.0]}
        """
        return {"type": "BoundedBandit", "alpha": self.alpha.tolist(), "beta": self.beta.tolist()}


@dataclass(frozen=True, eq=False)
class SequenceBandit(_BanditMixin):
    r"""Oblivious adversarial bandit given by a reward table ``rewards[t, i]`` in ``[0, 1]``.

    Round ``t`` (1-based) pays ``rewards[t-1, i]`` for arm ``i``.  ``means``
    are the column averages, so ``best_arm`` is the best fixed arm in
    hindsight over the whole table and ``gaps`` its average advantage.
    ``kl(i, j)`` is the Bernoulli KL of those averages (only meaningful for
    i.i.d. tables).

    Examples
    --------
    >>> b = SequenceBandit.adversarial(100, 3, rng=1)
    >>> b.rewards.shape, b.n_rounds
    ((100, 3), 100)
    """

    rewards: np.ndarray
    means: np.ndarray = field(init=False)

    def __post_init__(self):
        try:
            r = np.array(self.rewards, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError("rewards must be a (T, K) array of reals") from exc
        check_shape("rewards", r, (None, None))
        if r.shape[0] < 1:
            raise ValueError("rewards has 0 rounds; need T >= 1")
        if r.shape[1] < 2:
            raise ValueError(f"rewards has {r.shape[1]} columns; a bandit needs at least 2 arms")
        check_finite("rewards", r)
        bad = (r < 0) | (r > 1)
        if bad.any():
            t, i = (int(x) for x in np.argwhere(bad)[0])
            raise ValueError(f"rewards[{t}, {i}] = {r[t, i]!r} is outside [0, 1]")
        object.__setattr__(self, "rewards", readonly(np.ascontiguousarray(r)))
        object.__setattr__(self, "means", readonly(r.mean(axis=0)))

    @property
    def n_rounds(self) -> int:
        """Rows of the reward table: the longest run it supports.

        Examples
        --------
        >>> SequenceBandit([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]).n_rounds
        3
        """
        return int(self.rewards.shape[0])

    def kl(self, i: int, j: int) -> float:
        """Bernoulli KL of the column averages.

        Examples
        --------
        >>> SequenceBandit([[1.0, 0.0], [0.0, 0.0]]).kl(0, 1)   # averages 1/2 and 0
        inf
        """
        return bernoulli_kl(self.means[self._check_arm("i", i)], self.means[self._check_arm("j", j)])

    @classmethod
    def adversarial(
        cls, n_rounds: int, n_arms: int, *, rng=None, gap: float = 0.1, n_switches: int = 4
    ) -> SequenceBandit:
        r"""A piecewise-stationary Bernoulli sequence that defeats "follow the leader".

        The horizon is cut into ``n_switches + 1`` equal phases.  In phase
        ``p`` arm ``p mod K`` has success probability ``1/2 + gap`` and the
        others ``1/2 - gap/2``: the leader keeps changing, which punishes
        greedy play, while a fixed arm still earns about half the rounds.  The
        table is drawn once from ``rng`` (a Generator, an int seed, a
        SeedSequence or None); the adversary is oblivious (Auer et al. 2002b,
        Sec. 2).

        Examples
        --------
        >>> a = SequenceBandit.adversarial(100, 3, rng=4)
        >>> a.n_rounds, a.n_arms, a == SequenceBandit.adversarial(100, 3, rng=4)
        (100, 3, True)
        """
        check_int("n_rounds", n_rounds, low=1)
        check_int("n_arms", n_arms, low=2)
        check_int("n_switches", n_switches, low=0)
        gap = check_real("gap", gap, low=0.0, high=0.5, low_open=True)
        rng = as_generator(rng)
        edges = np.linspace(0, n_rounds, n_switches + 2).astype(np.int64)
        probs = np.full((n_rounds, n_arms), 0.5 - gap / 2)
        for p in range(n_switches + 1):
            probs[edges[p] : edges[p + 1], p % n_arms] = 0.5 + gap
        table = (rng.random((n_rounds, n_arms)) < probs).astype(np.float64)
        return cls(table)

    def to_spec(self) -> dict:
        """JSON-serialisable description (the whole table), inverted by :func:`bandit_from_spec`.

        Examples
        --------
        >>> SequenceBandit([[1.0, 0.0]]).to_spec()
        {'type': 'SequenceBandit', 'rewards': [[1.0, 0.0]]}
        """
        return {"type": "SequenceBandit", "rewards": self.rewards.tolist()}


_BANDITS = {c.__name__: c for c in (BernoulliBandit, GaussianBandit, BoundedBandit, SequenceBandit)}


def bandit_from_spec(spec: dict):
    """Rebuild a bandit from ``instance.to_spec()``.

    Examples
    --------
    >>> b = GaussianBandit([0.0, 0.5], sigma=2.0)
    >>> bandit_from_spec(b.to_spec()) == b
    True
    """
    if not isinstance(spec, dict) or "type" not in spec:
        raise ValueError(f"a bandit spec is a dict with a 'type' key, got {spec!r:.200}")
    kind = spec["type"]
    if kind not in _BANDITS:
        raise ValueError(f"unknown bandit type {kind!r}; known: {sorted(_BANDITS)}")
    kwargs = {k: v for k, v in spec.items() if k != "type"}
    try:
        return _BANDITS[kind](**kwargs)
    except TypeError as exc:
        raise ValueError(f"bad fields for {kind}: {sorted(kwargs)}") from exc
