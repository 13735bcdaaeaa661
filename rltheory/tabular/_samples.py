r"""Samples from a generative model and the plug-in (empirical) model of a set of samples.

A *generative model* (simulator) of a :class:`~rltheory.tabular.FiniteMDP`
returns, for any queried pair :math:`(s, a)`, a next state
:math:`s' \sim P(\cdot|s, a)` and the reward. :func:`generative_samples` queries
every allowed pair ``n`` times (the synchronous setting of Azar, Munos & Kappen
2013 and Agarwal, Kakade & Yang 2020) and keeps the sufficient statistic, the
next-state counts. :func:`empirical_mdp` builds the plug-in model
:math:`\hat P(s'|s,a) = N(s,a,s') / N(s,a)` from those counts or from an
:class:`~rltheory.tabular.OfflineDataset`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rltheory._validation import as_generator, check_int, check_memory, check_real, readonly
from rltheory.tabular import _sample_kernels
from rltheory.tabular._model import FiniteMDP

__all__ = ["GenerativeSamples", "EmpiricalModel", "generative_samples", "empirical_mdp"]

#: The empirical model is stored dense when its ``(S, A, S)`` float64 tensor takes at most this many bytes.
DENSE_EMPIRICAL_BYTES = 1 << 26


def transition_cdf(mdp: FiniteMDP):
    """``(cum, indices, indptr)``: the CSR rows of ``P`` (row ``s*A + a``) as inverse CDFs (see ``row_cumsum``)."""
    M = mdp.csr_P
    data = np.ascontiguousarray(M.data, dtype=float)
    indptr = np.ascontiguousarray(M.indptr, dtype=np.int64)
    indices = np.ascontiguousarray(M.indices, dtype=np.int64)
    cum = np.empty_like(data)
    _sample_kernels.row_cumsum(data, indptr, cum)
    return cum, indices, indptr


def sample_next_states(cdf, rows: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Next states of the CSR rows ``rows`` (pair indices ``s*A + a``) by inverse CDF of ``uniforms`` in ``[0, 1)``."""
    cum, indices, indptr = cdf
    out = np.empty(rows.shape[0], dtype=np.int64)
    _sample_kernels.sample_rows(
        cum,
        indices,
        indptr,
        np.ascontiguousarray(rows, dtype=np.int64),
        np.ascontiguousarray(uniforms, dtype=float),
        out,
    )
    return out


@dataclass(frozen=True, eq=False)
class GenerativeSamples:
    r"""``n`` generative-model samples of every allowed state-action pair, kept as next-state counts.

    Attributes
    ----------
    next_state_counts : scipy.sparse.csr_array of int64, shape (S*A, S)
        ``next_state_counts[s*A + a, s']`` = number of the ``n`` draws of :math:`s' \sim P(\cdot|s,a)` that
        landed in ``s'`` (the sufficient statistic of the draws: the plug-in model depends on nothing else).
        Rows of disallowed pairs are empty. Read-only buffers.
    rewards : numpy.ndarray, shape (S, A)
        The reward of every draw of ``(s, a)``: the model's expected reward :math:`r(s, a)` (a
        :class:`FiniteMDP` stores expected rewards; the known-reward setting of the papers above).
    n_per_pair : int
        Draws per allowed pair.
    action_mask : numpy.ndarray of bool, shape (S, A)
        The sampled (allowed) pairs.
    gamma : float
        The discount of the sampled model (``1.0`` for an average-reward model).
    horizon : int or None
        The sampled model's horizon (finite-horizon models).
    terminal_states : numpy.ndarray or None
        The sampled model's terminal states.
    initial_distribution : numpy.ndarray or None
        The sampled model's initial distribution, if it has one.

    The last four are the model's *specification* (what a learner is told besides the samples); they make
    :func:`empirical_mdp` return a model of the same criterion.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, generative_samples
    >>> mdp = FiniteMDP(np.array([[[0.5, 0.5]], [[0.0, 1.0]]]), np.array([[1.0], [0.0]]), gamma=0.9)
    >>> samples = generative_samples(mdp, 10, rng=0)
    >>> samples.next_state_counts.toarray().sum(axis=1).tolist(), samples.n_states, samples.n_actions
    ([10, 10], 2, 1)
    """

    next_state_counts: sp.csr_array
    rewards: np.ndarray
    n_per_pair: int
    action_mask: np.ndarray
    gamma: float
    horizon: int | None = None
    terminal_states: np.ndarray | None = None
    initial_distribution: np.ndarray | None = None

    @property
    def n_states(self) -> int:
        """Number of states ``S``.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP, generative_samples
        >>> generative_samples(FiniteMDP(np.ones((3, 1, 3)) / 3, np.zeros((3, 1)), gamma=0.5), 1, rng=0).n_states
        3
        """
        return int(self.rewards.shape[0])

    @property
    def n_actions(self) -> int:
        """Number of actions ``A``.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP, generative_samples
        >>> generative_samples(FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5), 1, rng=0).n_actions
        2
        """
        return int(self.rewards.shape[1])

    @property
    def n_samples(self) -> int:
        """Total number of draws, ``n_per_pair`` times the number of allowed pairs.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP, generative_samples
        >>> generative_samples(FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5), 7, rng=0).n_samples
        14
        """
        return int(self.n_per_pair * int(np.count_nonzero(self.action_mask)))


def generative_samples(mdp: FiniteMDP, n_per_pair: int, *, rng=None) -> GenerativeSamples:
    r"""Query the generative model of ``mdp`` ``n_per_pair`` times at every allowed pair.

    The ``n`` draws :math:`s'_1, \dots, s'_n \sim P(\cdot|s, a)` of a pair are independent, and so are the pairs;
    their counts :math:`N(s, a, \cdot) \sim \mathrm{Multinomial}(n, P(\cdot|s, a))` are drawn directly (NumPy's
    multinomial sampler: a dense row at once, or the row's stored entries of a sparse model), which costs
    :math:`O(S^2 A)` (sparse: :math:`O(\mathrm{nnz})`) whatever ``n``. The rewards are the model's expected
    rewards (known-reward setting).

    Parameters
    ----------
    mdp : FiniteMDP
        Any infinite-horizon or finite-horizon model (only ``P`` and ``R`` are read).
    n_per_pair : int
        Draws per allowed pair, ``>= 1``.
    rng : numpy.random.Generator, int, SeedSequence or None

    Returns
    -------
    GenerativeSamples

    References
    ----------
    M. G. Azar, R. Munos, H. J. Kappen, "Minimax PAC bounds on the sample complexity of reinforcement learning
    with a generative model", *Machine Learning* 91(3), 2013 (the synchronous generative model).
    A. Agarwal, S. Kakade, L. F. Yang, "Model-based reinforcement learning with a generative model is minimax
    optimal", COLT 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, generative_samples
    >>> P = np.array([[[0.25, 0.75], [1.0, 0.0]], [[0.0, 1.0], [0.5, 0.5]]])
    >>> samples = generative_samples(FiniteMDP(P, np.zeros((2, 2)), gamma=0.9), 4000, rng=1)
    >>> counts = samples.next_state_counts.toarray().reshape(2, 2, 2)
    >>> bool(np.abs(counts / 4000 - P).max() < 0.05), counts[0, 1].tolist()  # (0, 1) always returns to 0
    (True, [4000, 0])
    """
    FiniteMDP.require(mdp, ("discounted", "ssp", "average_reward", "finite_horizon"), "generative_samples")
    n = check_int("n_per_pair", n_per_pair, low=1)
    gen = as_generator(rng)
    S, A = mdp.n_states, mdp.n_actions
    mask = np.asarray(mdp.action_mask)
    M = mdp.csr_P
    rows = np.flatnonzero(mask.ravel())
    if not mdp.is_sparse:
        P = np.asarray(mdp.P).reshape(S * A, S)[rows]
        check_memory("generative_samples' dense count matrix", 8.0 * P.size, advice="use a sparse FiniteMDP")
        P = P / P.sum(axis=1, keepdims=True)  # rows sum to 1 within 1e-10: renormalize for NumPy's check
        dense = gen.multinomial(n, P).astype(np.int64)
        full = np.zeros((S * A, S), dtype=np.int64)
        full[rows] = dense
        counts = sp.csr_array(full)
    else:
        indptr = M.indptr
        data_out = np.zeros(M.nnz, dtype=np.int64)
        for r in rows:
            a, b = indptr[r], indptr[r + 1]
            p = np.asarray(M.data[a:b], dtype=float)
            data_out[a:b] = gen.multinomial(n, p / p.sum())
        counts = sp.csr_array((data_out, M.indices.copy(), indptr.copy()), shape=(S * A, S))
        counts.eliminate_zeros()
    for arr in (counts.data, counts.indices, counts.indptr):
        arr.flags.writeable = False
    init = None if mdp.initial_distribution is None else readonly(np.array(mdp.initial_distribution))
    return GenerativeSamples(
        next_state_counts=counts,
        rewards=readonly(np.array(mdp.R)),
        n_per_pair=n,
        action_mask=readonly(mask.copy()),
        gamma=float(mdp.gamma),
        horizon=mdp.horizon,
        terminal_states=None if mdp.terminal_states is None else readonly(np.array(mdp.terminal_states)),
        initial_distribution=init,
    )


@dataclass(frozen=True, eq=False)
class EmpiricalModel:
    r"""Result of :func:`empirical_mdp`: the plug-in model and what it was estimated from.

    Attributes
    ----------
    mdp : FiniteMDP
        :math:`\hat P(s'|s,a) = N(s,a,s')/N(s,a)` and the empirical mean reward on visited pairs; on every
        *unvisited* allowed pair a self-loop :math:`\hat P(s|s,a) = 1` with reward ``unvisited_reward``
        (see :func:`empirical_mdp`). Dense when the ``(S, A, S)`` tensor takes at most 64 MiB, CSR otherwise.
    counts : numpy.ndarray of int64, shape (S, A)
        :math:`N(s, a)`, the number of transitions observed from each pair.
    visited : numpy.ndarray of bool, shape (S, A)
        ``counts > 0``: the pairs whose row of ``mdp`` is estimated (the others are the self-loop).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import OfflineDataset, empirical_mdp
    >>> data = OfflineDataset([0, 0, 1], [0, 0, 0], [1.0, 0.0, 2.0], [1, 0, 1], n_states=2, n_actions=2, gamma=0.9)
    >>> model = empirical_mdp(data)
    >>> model.counts.tolist(), model.mdp.P[0, 0].tolist(), float(model.mdp.R[0, 0])
    ([[2, 0], [1, 0]], [0.5, 0.5], 0.5)
    >>> bool(model.visited[1, 1]), model.mdp.P[1, 1].tolist()  # unvisited: self-loop, reward 0
    (False, [0.0, 1.0])
    """

    mdp: FiniteMDP
    counts: np.ndarray
    visited: np.ndarray


def _transition_counts(pairs: np.ndarray, next_states: np.ndarray, n_pairs: int, S: int) -> sp.csr_array:
    """CSR ``(n_pairs, S)`` of the counts of ``(pair, next_state)``: dense ``bincount`` when small, sorted keys else."""
    N = pairs.shape[0]
    key = pairs * S + next_states  # int64: n_pairs * S < 2**63 is checked by the callers' memory checks
    if n_pairs * S <= max(4 * N, 1 << 24):
        flat = np.bincount(key, minlength=n_pairs * S)
        return sp.csr_array(flat.reshape(n_pairs, S))
    key.sort()
    uniq, cnt = np.unique(key, return_counts=True)
    rows, cols = np.divmod(uniq, S)
    indptr = np.zeros(n_pairs + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_pairs), out=indptr[1:])
    return sp.csr_array((cnt.astype(np.int64), cols, indptr), shape=(n_pairs, S))


def empirical_mdp(data, *, unvisited_reward: float = 0.0) -> EmpiricalModel:
    r"""The plug-in (maximum-likelihood) model of generative samples or of an offline dataset.

    .. math::
        \hat P(s'|s,a) = \frac{N(s,a,s')}{N(s,a)}, \qquad \hat r(s,a) = \frac{1}{N(s,a)} \sum_{i:(s_i,a_i)=(s,a)} r_i
        \qquad (N(s, a) \ge 1).

    **Unvisited pairs** (:math:`N(s, a) = 0`: no sample says anything about them) are handled explicitly: they
    become a self-loop :math:`\hat P(s|s,a) = 1` with reward ``unvisited_reward`` (default 0), and
    :attr:`EmpiricalModel.visited` marks them. A planner on the plug-in model then values an unvisited pair at
    ``unvisited_reward / (1 - gamma)``; choose ``unvisited_reward`` as the smallest possible reward for a
    pessimistic fill-in. Pairs disallowed by the sampled model's ``action_mask`` stay disallowed (generative
    samples); a dataset knows no mask, so all its pairs are allowed.

    The counts are ``np.bincount`` of the pair index ``s*A + a`` and of the key ``(s*A + a) S + s'`` (a sort of
    the keys when ``S^2 A`` is much larger than the number of transitions). The model is an infinite-horizon
    model with the data's ``gamma``, or a finite-horizon model with the dataset's ``horizon`` (stages pooled: the
    model is stationary) and, for an episodic dataset, the empirical distribution of its first states as the
    initial distribution.

    Parameters
    ----------
    data : GenerativeSamples or OfflineDataset
    unvisited_reward : float
        Reward of the self-loop of unvisited pairs.

    Returns
    -------
    EmpiricalModel

    Raises
    ------
    ValueError
        When ``data`` is neither, or the model would not fit in memory.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, empirical_mdp, generative_samples
    >>> mdp = FiniteMDP(np.array([[[0.5, 0.5]], [[0.0, 1.0]]]), np.array([[1.0], [0.0]]), gamma=0.9)
    >>> model = empirical_mdp(generative_samples(mdp, 1000, rng=0))
    >>> model.mdp.gamma, bool(abs(model.mdp.P[0, 0, 0] - 0.5) < 0.05), model.counts.tolist()
    (0.9, True, [[1000], [1000]])
    """
    from rltheory.tabular._offline_data import OfflineDataset

    fill = check_real("unvisited_reward", unvisited_reward)
    if isinstance(data, GenerativeSamples):
        S, A = data.n_states, data.n_actions
        C = data.next_state_counts
        counts_flat = np.asarray(C.sum(axis=1)).ravel().astype(np.int64)
        R_hat = np.array(data.rewards, dtype=float)
        mask = np.asarray(data.action_mask)
        gamma, horizon, init = data.gamma, data.horizon, data.initial_distribution
        terminal = data.terminal_states
    elif isinstance(data, OfflineDataset):
        S, A = data.n_states, data.n_actions
        pairs = data.pairs
        counts_flat = np.bincount(pairs, minlength=S * A).astype(np.int64)
        check_memory("the empirical model's counts", 8.0 * (3 * data.n_transitions + 2 * S * A))
        C = _transition_counts(pairs, np.asarray(data.next_states), S * A, S)
        r_sum = np.bincount(pairs, weights=np.asarray(data.rewards), minlength=S * A)
        with np.errstate(invalid="ignore", divide="ignore"):
            R_hat = np.where(counts_flat > 0, r_sum / np.maximum(counts_flat, 1), 0.0).reshape(S, A)
        mask = np.ones((S, A), dtype=bool)
        gamma, horizon = data.gamma, data.horizon
        init, terminal = None, None
        if data.is_episodic:
            first = np.asarray(data.states)[np.asarray(data.stages) == 0]
            init = np.bincount(first, minlength=S) / first.size
    else:
        raise ValueError(f"empirical_mdp needs GenerativeSamples or an OfflineDataset, got {type(data).__name__}")
    visited = (counts_flat > 0).reshape(S, A) & mask
    R_hat = np.where(visited, R_hat, np.where(mask, fill, 0.0))
    # P_hat: counts / N on visited rows, a self-loop on unvisited allowed rows and on disallowed rows (never read)
    fill_rows = np.flatnonzero(~visited.ravel())
    row_tot = np.maximum(counts_flat, 1).astype(float)
    if 8.0 * S * A * S <= DENSE_EMPIRICAL_BYTES:
        P_hat = C.toarray().astype(float).reshape(S * A, S) / row_tot[:, None]  # N(s,a,s') / N(s,a)
        P_hat[fill_rows] = 0.0
        P_hat[fill_rows, fill_rows // A] = 1.0
        P_hat = P_hat.reshape(S, A, S)
    else:
        C = sp.csr_array(C, dtype=float, copy=True)
        C.data = C.data / np.repeat(row_tot, np.diff(C.indptr))  # N(s,a,s') / N(s,a), one rounded division
        if fill_rows.size:
            loops = sp.csr_array((np.ones(fill_rows.size), (fill_rows, fill_rows // A)), shape=(S * A, S))
            keep = np.ones(S * A)
            keep[fill_rows] = 0.0
            C = sp.csr_array(sp.diags_array(keep) @ C + loops)
        C.eliminate_zeros()
        P_hat = C
    model = FiniteMDP(
        P_hat,
        R_hat,
        gamma=gamma,
        horizon=horizon,
        action_mask=mask if not mask.all() else None,
        terminal_states=terminal,
        initial_distribution=init,
    )
    return EmpiricalModel(mdp=model, counts=readonly(counts_flat.reshape(S, A)), visited=readonly(visited))
