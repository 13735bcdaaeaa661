r"""Logged transitions: the frozen, validated :class:`OfflineDataset` and :func:`collect`.

An offline dataset is a table of transitions :math:`(s_i, a_i, r_i, s'_i)` of a
finite MDP with ``S`` states and ``A`` actions, and the discount ``gamma`` of
the task it is logged for. It is one of two kinds:

* **transitions** (discounted tasks): rows in any order, e.g. i.i.d. draws
  :math:`(s_i, a_i) \sim \mu`, :math:`s'_i \sim P(\cdot|s_i, a_i)` -- the data
  model of Rashidinejad et al. (2021) for offline RL;
* **episodic** (finite-horizon tasks, ``horizon=H``): complete episodes of
  ``H`` steps, with a stage index :math:`h \in \{0, \dots, H-1\}` and an
  episode id per row; the rows of an episode are contiguous and in stage order,
  and each row's next state is the next row's state. This is what the
  importance-sampling estimators of off-policy evaluation read (Precup, Sutton
  & Singh 2000; Jiang & Li 2016).

Datasets are validated once, at construction; a bad row gives a
``ValueError`` naming the row. ``save``/``load`` use a NumPy ``.npz`` archive
without pickle, written atomically with the process umask and read with every
array size checked before it is allocated (the helpers of
:meth:`~rltheory.tabular.FiniteMDP.save` / :meth:`~rltheory.tabular.FiniteMDP.load`).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np

from rltheory._validation import (
    as_generator,
    check_choice,
    check_discount,
    check_int,
    check_memory,
    check_probability_vector,
    readonly,
)
from rltheory.tabular._coverage import data_distribution as _data_distribution
from rltheory.tabular._finite_horizon_evaluation import policy_tensor
from rltheory.tabular._model import LOAD_MAX_BYTES, FiniteMDP, read_npz, write_npz_atomic
from rltheory.tabular._samples import sample_next_states, transition_cdf

__all__ = ["OfflineDataset", "collect"]

_FILE_FORMAT = "rltheory.OfflineDataset"
_FILE_VERSION = 1
_MEMBERS = (
    "format",
    "version",
    "states",
    "actions",
    "rewards",
    "next_states",
    "n_states",
    "n_actions",
    "gamma",
    "horizon",
    "stages",
    "episodes",
)
#: Bytes per row of a dataset (four arrays, plus stage and episode for episodic data).
_ROW_BYTES = 8 * 6
REWARD_NOISE = ("none", "bernoulli")


def _frozen(name: str, x, kind: str) -> np.ndarray:
    """A read-only 1-d int64 (``kind="i"``) or float64 (``"f"``) array; a read-only array of that dtype is kept."""
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-d (one entry per row), got shape {arr.shape}")
    if kind == "i":
        if arr.size and arr.dtype.kind not in "iu":
            raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
        want = np.int64
    else:
        if arr.size and arr.dtype.kind not in "iuf":
            raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
        want = np.float64
    if arr.dtype == want and arr.flags.c_contiguous and not arr.flags.writeable:
        return arr
    out = np.array(arr, dtype=want)
    out.flags.writeable = False
    return out


def _check_range(name: str, arr: np.ndarray, n: int, what: str) -> None:
    bad = (arr < 0) | (arr >= n)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{name}[{i}] = {int(arr[i])} (row {i}) is not {what} in [0, {n})")


@dataclass(frozen=True, eq=False)
class OfflineDataset:
    r"""A frozen, validated table of logged transitions :math:`(s_i, a_i, r_i, s'_i)`.

    Parameters
    ----------
    states, actions : array_like of int, shape (N,)
        :math:`s_i \in [0, S)`, :math:`a_i \in [0, A)`.
    rewards : array_like of float, shape (N,)
        :math:`r_i`, finite.
    next_states : array_like of int, shape (N,)
        :math:`s'_i \in [0, S)`.
    n_states, n_actions : int
        ``S`` and ``A`` (the dataset need not visit them all).
    gamma : float
        Discount of the task the data are logged for, in ``[0, 1]``.
    horizon : int, optional
        ``H`` for an episodic dataset (then ``stages`` and ``episodes`` are required).
    stages : array_like of int, shape (N,), optional
        Stage :math:`h_i \in [0, H)` of each row.
    episodes : array_like of int, shape (N,), optional
        Episode id of each row.

    Raises
    ------
    ValueError
        On an empty dataset, arrays of different lengths or of the wrong kind, a state or action out of range, a
        non-finite reward, or (episodic) rows that are not complete episodes in stage order with
        ``next_states[i] = states[i + 1]`` inside an episode; the message names the row.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import OfflineDataset
    >>> data = OfflineDataset([0, 1], [1, 0], [0.5, 1.0], [1, 1], n_states=2, n_actions=2, gamma=0.9)
    >>> data.n_transitions, data.is_episodic, data.pair_counts.tolist()
    (2, False, [[0, 1], [1, 0]])
    >>> OfflineDataset([0, 1], [1, 0], [0.5, np.nan], [1, 1], n_states=2, n_actions=2, gamma=0.9)
    Traceback (most recent call last):
    ...
    ValueError: rewards[1] = nan (row 1) is not finite
    >>> OfflineDataset([0, 7], [1, 0], [0.5, 1.0], [1, 1], n_states=2, n_actions=2, gamma=0.9)
    Traceback (most recent call last):
    ...
    ValueError: states[1] = 7 (row 1) is not a state in [0, 2)
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_states: np.ndarray
    n_states: int
    n_actions: int
    gamma: float
    horizon: int | None = None
    stages: np.ndarray | None = None
    episodes: np.ndarray | None = None

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        S = check_int("n_states", self.n_states, low=1)
        A = check_int("n_actions", self.n_actions, low=1)
        set_("n_states", S)
        set_("n_actions", A)
        set_("gamma", check_discount(self.gamma, allow_one=True))
        cols = {
            "states": _frozen("states", self.states, "i"),
            "actions": _frozen("actions", self.actions, "i"),
            "rewards": _frozen("rewards", self.rewards, "f"),
            "next_states": _frozen("next_states", self.next_states, "i"),
        }
        N = cols["states"].shape[0]
        for name, arr in cols.items():
            if arr.shape[0] != N:
                raise ValueError(
                    f"{name} has {arr.shape[0]} rows but states has {N}; every column needs one entry per row"
                )
        if N == 0:
            raise ValueError("an OfflineDataset needs at least one transition, got 0 rows")
        _check_range("states", cols["states"], S, "a state")
        _check_range("actions", cols["actions"], A, "an action")
        _check_range("next_states", cols["next_states"], S, "a state")
        bad = ~np.isfinite(cols["rewards"])
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"rewards[{i}] = {float(cols['rewards'][i])!r} (row {i}) is not finite")
        for name, arr in cols.items():
            set_(name, arr)
        given = [x is not None for x in (self.horizon, self.stages, self.episodes)]
        if any(given) and not all(given):
            raise ValueError("an episodic dataset needs horizon, stages and episodes together (give all three or none)")
        if self.horizon is None:
            return
        H = check_int("horizon", self.horizon, low=1)
        set_("horizon", H)
        stages = _frozen("stages", self.stages, "i")
        episodes = _frozen("episodes", self.episodes, "i")
        for name, arr in (("stages", stages), ("episodes", episodes)):
            if arr.shape[0] != N:
                raise ValueError(f"{name} has {arr.shape[0]} rows but states has {N}")
        _check_range("stages", stages, H, "a stage")
        expected = np.arange(N) % H
        off = stages != expected
        if off.any() or N % H:
            i = int(np.argmax(off)) if off.any() else N - (N % H)
            got = int(stages[i]) if i < N else None
            raise ValueError(
                f"row {i} has stage {got}, expected {int(expected[i]) if i < N else 0}: an episodic dataset holds "
                f"complete episodes of horizon {H}, their rows contiguous and in stage order 0..{H - 1}"
            )
        blocks = episodes.reshape(-1, H)
        mixed = (blocks != blocks[:, :1]).any(axis=1)
        if mixed.any():
            e = int(np.argmax(mixed))
            j = int(np.argmax(blocks[e] != blocks[e, 0]))
            raise ValueError(
                f"row {e * H + j} has episode id {int(blocks[e, j])} inside the episode of rows "
                f"{e * H}..{e * H + H - 1} (id {int(blocks[e, 0])})"
            )
        ids = blocks[:, 0]
        if np.unique(ids).size != ids.size:
            _, first = np.unique(ids, return_index=True)
            dup = np.setdiff1d(np.arange(ids.size), first)[0]
            raise ValueError(f"row {int(dup) * H} starts a second episode with id {int(ids[dup])}")
        st = cols["states"].reshape(-1, H)
        nx = cols["next_states"].reshape(-1, H)
        broken = nx[:, :-1] != st[:, 1:]
        if broken.any():
            e, h = (int(i) for i in np.argwhere(broken)[0])
            i = e * H + h
            raise ValueError(
                f"row {i}: next_states[{i}] = {int(nx[e, h])} but the episode's next row {i + 1} starts in state "
                f"{int(st[e, h + 1])}"
            )
        set_("stages", stages)
        set_("episodes", episodes)

    # ---------------------------------------------------------------- views
    @property
    def n_transitions(self) -> int:
        """Number of rows ``N``.

        Examples
        --------
        >>> from rltheory.tabular import OfflineDataset
        >>> OfflineDataset([0], [0], [1.0], [0], n_states=1, n_actions=1, gamma=0.5).n_transitions
        1
        """
        return int(self.states.shape[0])

    @property
    def is_episodic(self) -> bool:
        """Whether the rows are complete episodes (``horizon`` set).

        Examples
        --------
        >>> from rltheory.tabular import OfflineDataset
        >>> OfflineDataset([0], [0], [1.0], [0], n_states=1, n_actions=1, gamma=1.0, horizon=1, stages=[0],
        ...                episodes=[0]).is_episodic
        True
        """
        return self.horizon is not None

    @property
    def n_episodes(self) -> int:
        """Number of episodes (``N / H``); ``ValueError`` for a dataset of transitions.

        Examples
        --------
        >>> from rltheory.tabular import OfflineDataset
        >>> OfflineDataset([0, 0], [0, 0], [1.0, 1.0], [0, 0], n_states=1, n_actions=1, gamma=1.0, horizon=1,
        ...                stages=[0, 0], episodes=[0, 1]).n_episodes
        2
        """
        if not self.is_episodic:
            raise ValueError("a dataset of transitions has no episodes (horizon is None)")
        return self.n_transitions // self.horizon

    @functools.cached_property
    def pairs(self) -> np.ndarray:
        """Read-only pair index ``s * A + a`` of every row (computed once).

        Examples
        --------
        >>> from rltheory.tabular import OfflineDataset
        >>> OfflineDataset([1, 0], [1, 0], [0.0, 0.0], [0, 0], n_states=2, n_actions=2, gamma=0.5).pairs.tolist()
        [3, 0]
        """
        return readonly(self.states * self.n_actions + self.actions)

    @functools.cached_property
    def pair_counts(self) -> np.ndarray:
        """Read-only ``(S, A)`` number of rows of each pair :math:`N(s, a)` (``np.bincount``).

        Examples
        --------
        >>> from rltheory.tabular import OfflineDataset
        >>> OfflineDataset([1, 1], [0, 0], [0.0, 0.0], [0, 0], n_states=2, n_actions=1, gamma=0.5).pair_counts.tolist()
        [[0], [2]]
        """
        S, A = self.n_states, self.n_actions
        return readonly(np.bincount(self.pairs, minlength=S * A).reshape(S, A))

    def episode_arrays(self) -> tuple:
        """``(states, actions, rewards, next_states)`` as read-only ``(n_episodes, H)`` views (episodic data).

        Examples
        --------
        >>> from rltheory.tabular import OfflineDataset
        >>> d = OfflineDataset([0, 1], [0, 0], [1.0, 2.0], [1, 0], n_states=2, n_actions=1, gamma=1.0, horizon=2,
        ...                    stages=[0, 1], episodes=[0, 0])
        >>> d.episode_arrays()[2].tolist()
        [[1.0, 2.0]]
        """
        n = self.n_episodes
        return tuple(
            readonly(x.reshape(n, self.horizon)) for x in (self.states, self.actions, self.rewards, self.next_states)
        )

    def split(self, n_parts: int, *, rng=None) -> tuple:
        """Split the rows (episodic data: the episodes) into ``n_parts`` random parts of near-equal size.

        Used for data splitting (VI-LCB) and cross-fitting (the doubly robust estimator); the parts are
        datasets of the same kind, and together hold every row once.

        Examples
        --------
        >>> from rltheory.tabular import OfflineDataset
        >>> d = OfflineDataset([0, 1, 0], [0, 0, 0], [1.0, 2.0, 3.0], [1, 0, 0], n_states=2, n_actions=1, gamma=0.5)
        >>> sorted(p.n_transitions for p in d.split(2, rng=0))
        [1, 2]
        """
        k = check_int("n_parts", n_parts, low=1)
        units = self.n_episodes if self.is_episodic else self.n_transitions
        if k > units:
            raise ValueError(f"cannot split {units} {'episodes' if self.is_episodic else 'rows'} into {k} parts")
        perm = as_generator(rng).permutation(units)
        parts = []
        for idx in np.array_split(perm, k):
            idx = np.sort(idx)
            if self.is_episodic:
                rows = (idx[:, None] * self.horizon + np.arange(self.horizon)).ravel()
            else:
                rows = idx
            parts.append(self._subset(rows))
        return tuple(parts)

    @classmethod
    def concatenate(cls, datasets) -> OfflineDataset:
        """The rows of several datasets of the same task, in order (episodic: episode ids renumbered ``0..``).

        A dataset logged by a mixture of behaviours (e.g. two kinds of suboptimal trajectories, the stitching
        datasets of Zhou et al. 2023) is the concatenation of the datasets of each behaviour.

        Raises
        ------
        ValueError
            On no dataset, or datasets of different ``n_states``, ``n_actions``, ``gamma`` or ``horizon``.

        Examples
        --------
        >>> from rltheory.tabular import OfflineDataset
        >>> one = OfflineDataset([0], [0], [1.0], [1], n_states=2, n_actions=1, gamma=1.0, horizon=1, stages=[0],
        ...                      episodes=[5])
        >>> both = OfflineDataset.concatenate([one, one])
        >>> both.n_episodes, both.episodes.tolist()
        (2, [0, 1])
        """
        parts = list(datasets)
        if not parts or not all(isinstance(d, OfflineDataset) for d in parts):
            raise ValueError("OfflineDataset.concatenate needs a non-empty sequence of OfflineDataset")
        first = parts[0]
        spec = (first.n_states, first.n_actions, first.gamma, first.horizon)
        for i, d in enumerate(parts[1:], start=1):
            if (d.n_states, d.n_actions, d.gamma, d.horizon) != spec:
                raise ValueError(
                    f"datasets[{i}] has (n_states, n_actions, gamma, horizon) = "
                    f"{(d.n_states, d.n_actions, d.gamma, d.horizon)}, datasets[0] {spec}"
                )
        cat = lambda name: np.concatenate([np.asarray(getattr(d, name)) for d in parts])  # noqa: E731
        stages = episodes = None
        if first.is_episodic:
            stages = cat("stages")
            episodes = np.concatenate([np.repeat(np.arange(d.n_episodes), d.horizon) for d in parts])
            episodes = episodes + np.repeat(
                np.cumsum([0] + [d.n_episodes for d in parts[:-1]]), [d.n_transitions for d in parts]
            )
        return cls(
            cat("states"),
            cat("actions"),
            cat("rewards"),
            cat("next_states"),
            n_states=first.n_states,
            n_actions=first.n_actions,
            gamma=first.gamma,
            horizon=first.horizon,
            stages=stages,
            episodes=episodes,
        )

    def _subset(self, rows: np.ndarray) -> OfflineDataset:
        take = lambda x: None if x is None else readonly(np.ascontiguousarray(x[rows]))  # noqa: E731
        return OfflineDataset(
            take(self.states),
            take(self.actions),
            take(self.rewards),
            take(self.next_states),
            n_states=self.n_states,
            n_actions=self.n_actions,
            gamma=self.gamma,
            horizon=self.horizon,
            stages=take(self.stages),
            episodes=take(self.episodes),
        )

    def __repr__(self) -> str:
        kind = f"horizon={self.horizon}, n_episodes={self.n_episodes}" if self.is_episodic else "transitions"
        return (
            f"OfflineDataset(n_transitions={self.n_transitions}, n_states={self.n_states}, "
            f"n_actions={self.n_actions}, gamma={self.gamma!r}, {kind})"
        )

    # ---------------------------------------------------------------- file I/O
    def save(self, path) -> None:
        """Write the dataset to ``path`` as a NumPy ``.npz`` archive (no pickle).

        Written to a temporary name in the same directory and moved into place (a failed write never leaves a
        half-written file), with mode ``0o666`` filtered by the process umask.

        Examples
        --------
        >>> import os, tempfile
        >>> from rltheory.tabular import OfflineDataset
        >>> d = OfflineDataset([0, 1], [1, 0], [0.5, 1.0], [1, 1], n_states=2, n_actions=2, gamma=0.9)
        >>> path = os.path.join(tempfile.mkdtemp(), "data.npz")
        >>> d.save(path)
        >>> back = OfflineDataset.load(path)
        >>> back.rewards.tolist(), back.gamma, back.is_episodic
        ([0.5, 1.0], 0.9, False)
        """
        arrays = {
            "format": np.array(_FILE_FORMAT),
            "version": np.array(_FILE_VERSION),
            "states": self.states,
            "actions": self.actions,
            "rewards": self.rewards,
            "next_states": self.next_states,
            "n_states": np.array(self.n_states),
            "n_actions": np.array(self.n_actions),
            "gamma": np.array(self.gamma),
            "horizon": np.array(-1 if self.horizon is None else self.horizon),
        }
        if self.is_episodic:
            arrays["stages"] = self.stages
            arrays["episodes"] = self.episodes
        write_npz_atomic(os.fspath(path), arrays)

    @classmethod
    def load(cls, path, *, max_bytes: int = LOAD_MAX_BYTES) -> OfflineDataset:
        """Read a dataset written by :meth:`save`.

        Never unpickles (object arrays are refused); reads only the members a dataset file defines; checks
        every member's ``.npy`` header before allocating its array (the declared shape must fit in the member,
        the declared arrays together in ``max_bytes``); the arrays then go through the constructor's validation.
        A truncated, corrupted, oversized or foreign file raises ``ValueError`` naming the file.

        Parameters
        ----------
        path : str or os.PathLike
        max_bytes : int, default 2**32 (4 GiB)

        Examples
        --------
        >>> import os, tempfile
        >>> from rltheory.tabular import OfflineDataset
        >>> d = OfflineDataset([0, 1], [1, 0], [0.5, 1.0], [1, 1], n_states=2, n_actions=2, gamma=0.9)
        >>> path = os.path.join(tempfile.mkdtemp(), "data.npz")
        >>> d.save(path)
        >>> OfflineDataset.load(path, max_bytes=16)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: cannot read dataset file ...: its arrays need more than max_bytes = 16 bytes (16 B); ...
        """
        path = os.fspath(path)
        data = read_npz(path, _MEMBERS, max_bytes=max_bytes, what="dataset file", who="OfflineDataset.load")

        def need(key):
            if key not in data:
                raise ValueError(f"dataset file {path!r} has no {key!r} entry")
            return data[key]

        if need("format").shape != () or str(need("format")) != _FILE_FORMAT:
            raise ValueError(f"{path!r} is not an rltheory OfflineDataset file (format {str(data['format'])!r})")
        version = need("version")
        if version.shape != () or version.dtype.kind not in "iu" or int(version) != _FILE_VERSION:
            raise ValueError(f"{path!r} has OfflineDataset file version {version.tolist()!r}, expected {_FILE_VERSION}")
        try:
            scalars = {}
            for key in ("n_states", "n_actions", "horizon"):
                arr = need(key)
                if arr.shape != () or arr.dtype.kind not in "iu":
                    raise ValueError(f"{key} entry {arr.tolist()!r} is not an integer")
                scalars[key] = int(arr)
            gamma = need("gamma")
            if gamma.shape != () or gamma.dtype.kind != "f":
                raise ValueError(f"gamma entry {gamma.tolist()!r} is not a real number")
            horizon = None if scalars["horizon"] == -1 else scalars["horizon"]
            return cls(
                need("states"),
                need("actions"),
                need("rewards"),
                need("next_states"),
                n_states=scalars["n_states"],
                n_actions=scalars["n_actions"],
                gamma=float(gamma),
                horizon=horizon,
                stages=need("stages") if horizon is not None else None,
                episodes=need("episodes") if horizon is not None else None,
            )
        except (ValueError, TypeError) as exc:
            raise ValueError(f"invalid dataset file {path!r}: {exc}") from None


def _categorical(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draws from the distribution ``p`` (1-d); the last positive entry absorbs rounding."""
    cum = np.cumsum(p)
    last = int(np.flatnonzero(p > 0)[-1])
    cum[last:] = 1.0
    return np.searchsorted(cum, u, side="right")


def _policy_cdf(pi: np.ndarray):
    """The rows of an ``(S, A)`` action-probability matrix as inverse CDFs (a dense CSR layout)."""
    S, A = pi.shape
    data = np.ascontiguousarray(pi, dtype=float).ravel()
    indptr = np.arange(0, S * A + 1, A, dtype=np.int64)
    indices = np.tile(np.arange(A, dtype=np.int64), S)
    from rltheory.tabular import _sample_kernels

    cum = np.empty_like(data)
    _sample_kernels.row_cumsum(data, indptr, cum)
    return cum, indices, indptr


def _rewards(mdp: FiniteMDP, s: np.ndarray, a: np.ndarray, noise: str, gen) -> np.ndarray:
    mean = np.asarray(mdp.R)[s, a]
    if noise == "none":
        return mean
    return (gen.random(mean.shape[0]) < mean).astype(float)


def collect(
    mdp: FiniteMDP,
    behavior_policy=None,
    *,
    n_episodes: int | None = None,
    n_transitions: int | None = None,
    data_distribution=None,
    initial_distribution=None,
    reward_noise: str = "none",
    rng=None,
) -> OfflineDataset:
    r"""Log an offline dataset from ``mdp``.

    * ``n_episodes=K`` (finite-horizon ``mdp``): ``K`` episodes of ``H`` steps,
      :math:`s_0 \sim \rho`, :math:`a_h \sim \pi_h(\cdot|s_h)`, :math:`s_{h+1} \sim P(\cdot|s_h, a_h)`; the
      behaviour policy may be stationary or per stage. An episodic dataset.
    * ``n_transitions=N`` (discounted ``mdp``): ``N`` i.i.d. transitions, :math:`(s_i, a_i) \sim \mu`,
      :math:`s'_i \sim P(\cdot|s_i, a_i)`, with :math:`\mu` either ``data_distribution`` or the normalized
      discounted occupancy of ``behavior_policy`` from :math:`\rho` (:func:`~rltheory.tabular.data_distribution`):
      the data model of Rashidinejad et al. (2021), whose concentrability
      :func:`~rltheory.tabular.concentrability` computes exactly.

    Rewards: ``reward_noise="none"`` logs the model's expected reward :math:`r(s, a)`; ``"bernoulli"`` logs a
    Bernoulli draw of mean :math:`r(s, a)` (rewards must lie in ``[0, 1]``), the noisy-reward data of the
    bandit results of Rashidinejad et al. Draws, in order: initial states, then per stage actions, next states
    and rewards (episodes); or pairs, next states, rewards (transitions) -- all from ``rng``.

    Parameters
    ----------
    mdp : FiniteMDP
    behavior_policy : array_like, optional
        ``(S,)`` / ``(S, A)`` (finite horizon also ``(H, S)`` / ``(H, S, A)``).
    n_episodes, n_transitions : int
        Exactly one, ``>= 1``.
    data_distribution : array_like, shape (S, A), optional
        :math:`\mu` for ``n_transitions`` instead of a behaviour policy.
    initial_distribution : array_like, optional
        :math:`\rho`; default the model's.
    reward_noise : {"none", "bernoulli"}
    rng : numpy.random.Generator, int, SeedSequence or None

    Returns
    -------
    OfflineDataset

    Raises
    ------
    ValueError
        On a budget other than exactly one of the two, a budget that does not match the model's criterion, a
        missing behaviour policy / distribution, a data distribution on disallowed pairs, Bernoulli noise for
        rewards outside ``[0, 1]``, or a dataset that would not fit in memory.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, collect
    >>> P = np.array([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.5, 0.5]]])
    >>> mdp = FiniteMDP(P, np.array([[1.0, 0.0], [0.0, 0.5]]), gamma=1.0, horizon=3, initial_distribution=[1.0, 0.0])
    >>> data = collect(mdp, np.full((2, 2), 0.5), n_episodes=4, rng=0)
    >>> data.n_episodes, data.stages[:3].tolist(), int(data.states[0])
    (4, [0, 1, 2], 0)
    >>> iid = collect(FiniteMDP(P, mdp.R, gamma=0.9, initial_distribution=[1.0, 0.0]), np.array([0, 1]),
    ...               n_transitions=1000, rng=0)
    >>> iid.is_episodic, iid.n_transitions
    (False, 1000)
    """
    if (n_episodes is None) == (n_transitions is None):
        raise ValueError(
            "collect needs exactly one budget: n_episodes= (finite horizon) or n_transitions= (discounted)"
        )
    noise = check_choice("reward_noise", reward_noise, REWARD_NOISE)
    gen = as_generator(rng)
    S, A = mdp.n_states, mdp.n_actions
    if noise == "bernoulli":
        R = np.asarray(mdp.R)[np.asarray(mdp.action_mask)]
        if (R < 0).any() or (R > 1).any():
            raise ValueError("reward_noise='bernoulli' needs rewards in [0, 1] (a Bernoulli draw of mean r(s, a))")
    cdf = transition_cdf(mdp)
    if n_episodes is not None:
        FiniteMDP.require(mdp, "finite_horizon", "collect(n_episodes=...)")
        K = check_int("n_episodes", n_episodes, low=1)
        if behavior_policy is None:
            raise ValueError("collect(n_episodes=...) needs behavior_policy")
        if data_distribution is not None:
            raise ValueError("data_distribution is for n_transitions=; episodes follow behavior_policy")
        H = mdp.horizon
        check_memory("the dataset", float(K) * H * _ROW_BYTES)
        pi = policy_tensor(mdp, behavior_policy, "behavior_policy")
        mu = _rho(mdp, initial_distribution)
        states = np.empty((K, H), dtype=np.int64)
        actions = np.empty((K, H), dtype=np.int64)
        rewards = np.empty((K, H))
        nxt = np.empty((K, H), dtype=np.int64)
        s = _categorical(mu, gen.random(K)).astype(np.int64)
        for h in range(H):
            a = sample_next_states(_policy_cdf(pi[h]), s, gen.random(K))
            s2 = sample_next_states(cdf, s * A + a, gen.random(K))
            states[:, h], actions[:, h], nxt[:, h] = s, a, s2
            rewards[:, h] = _rewards(mdp, s, a, noise, gen)
            s = s2
        return OfflineDataset(
            readonly(states.ravel()),
            readonly(actions.ravel()),
            readonly(rewards.ravel()),
            readonly(nxt.ravel()),
            n_states=S,
            n_actions=A,
            gamma=mdp.gamma,
            horizon=H,
            stages=readonly(np.tile(np.arange(H, dtype=np.int64), K)),
            episodes=readonly(np.repeat(np.arange(K, dtype=np.int64), H)),
        )
    FiniteMDP.require(mdp, "discounted", "collect(n_transitions=...)")
    N = check_int("n_transitions", n_transitions, low=1)
    if (behavior_policy is None) == (data_distribution is None):
        raise ValueError("collect(n_transitions=...) needs exactly one of behavior_policy and data_distribution")
    if data_distribution is not None:
        mu = check_probability_vector(
            "data_distribution", np.asarray(data_distribution, dtype=float).ravel(), S * A, atol=1e-9
        )
        off = (mu > 0) & ~np.asarray(mdp.action_mask).ravel()
        if off.any():
            s, a = divmod(int(np.argmax(off)), A)
            raise ValueError(f"data_distribution[{s}, {a}] = {mu[s * A + a]!r} puts mass on a disallowed pair")
    else:
        mu = np.clip(_data_distribution(mdp, behavior_policy, initial_distribution).ravel(), 0.0, None)
        mu = mu / mu.sum()
    check_memory("the dataset", float(N) * _ROW_BYTES)
    pairs = _categorical(mu, gen.random(N)).astype(np.int64)
    s, a = np.divmod(pairs, A)
    s2 = sample_next_states(cdf, pairs, gen.random(N))
    r = _rewards(mdp, s, a, noise, gen)
    return OfflineDataset(
        readonly(s),
        readonly(a),
        readonly(np.ascontiguousarray(r, dtype=float)),
        readonly(s2),
        n_states=S,
        n_actions=A,
        gamma=mdp.gamma,
    )


def _rho(mdp: FiniteMDP, initial_distribution) -> np.ndarray:
    if initial_distribution is not None:
        return check_probability_vector("initial_distribution", initial_distribution, mdp.n_states)
    if mdp.initial_distribution is None:
        raise ValueError(
            "collect needs an initial distribution: pass initial_distribution= or build the FiniteMDP with one"
        )
    return np.asarray(mdp.initial_distribution, dtype=float)
