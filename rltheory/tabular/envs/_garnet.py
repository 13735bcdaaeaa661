r"""Garnet MDPs: random finite MDPs with a fixed branching factor."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from rltheory._validation import as_generator, check_choice, check_int
from rltheory.tabular._model import FiniteMDP, check_dense_size

__all__ = ["garnet"]

_REWARDS = ("state", "state-action")
# rows per chunk of the exact uniform-subset sampler (bounds memory to ~32 MB of keys)
_KEY_BUDGET = 1 << 22


def _distinct_next_states(rng: np.random.Generator, n_rows: int, S: int, b: int) -> np.ndarray:
    """``n_rows`` independent uniform ``b``-subsets of ``range(S)``, as an ``(n_rows, b)`` array.

    Small ``b`` (``b*(b-1)/2 <= S/2``, so a row has a repeat with probability
    at most 1/2): draw ``b`` states with replacement and redraw the rows that
    repeat one; conditioning i.i.d. draws on being distinct gives a uniform
    subset. Large ``b``: the ``b`` smallest of ``S`` i.i.d. uniform keys,
    chunked over rows. Both are exact; neither loops over rows in Python.
    """
    if b * (b - 1) <= S:
        out = rng.integers(0, S, size=(n_rows, b))
        todo = np.arange(n_rows)
        while True:
            srt = np.sort(out[todo], axis=1)
            repeated = (srt[:, 1:] == srt[:, :-1]).any(axis=1)
            todo = todo[repeated]
            if todo.size == 0:
                return out
            out[todo] = rng.integers(0, S, size=(todo.size, b))
    out = np.empty((n_rows, b), dtype=np.int64)
    chunk = max(1, _KEY_BUDGET // S)
    for start in range(0, n_rows, chunk):
        stop = min(n_rows, start + chunk)
        keys = rng.random((stop - start, S))
        out[start:stop] = np.argpartition(keys, b - 1, axis=1)[:, :b] if b < S else np.argsort(keys, axis=1)
    return out


def garnet(
    n_states: int,
    n_actions: int,
    branching: int,
    *,
    rng=None,
    sparse: bool = False,
    gamma: float = 0.9,
    reward: str = "state",
) -> FiniteMDP:
    r"""A random Garnet MDP :math:`G(S, A, b)`.

    For every state-action pair :math:`(s, a)`:

    * :math:`b` = ``branching`` distinct next states are drawn uniformly at
      random (a uniform :math:`b`-subset of the :math:`S` states);
    * their probabilities are the spacings of :math:`b-1` i.i.d. uniform cut
      points of :math:`[0, 1]` (a uniform random partition of the unit
      interval, i.e. a flat Dirichlet(1, ..., 1) vector).

    Expected rewards (``reward``):

    * ``"state"`` (default): :math:`r(s, a) = \rho(s)` with
      :math:`\rho(s) \sim U[0, 1]` i.i.d. per state, as in Geist & Scherrer
      (2014), Section 6;
    * ``"state-action"``: :math:`r(s, a) \sim U[0, 1]` i.i.d. per pair.

    A cut point may coincide with another with probability zero, so every
    drawn next state has positive probability almost surely (exact zeros are
    dropped from a sparse ``P``).

    Parameters
    ----------
    n_states, n_actions : int >= 1
    branching : int in [1, n_states]
    rng : numpy.random.Generator, int, SeedSequence or None
        Source of randomness (never the global NumPy state). The same seed
        gives the same MDP, dense or sparse.
    sparse : bool
        Store ``P`` as CSR ``(S*A, S)`` (``S*A*b`` non-zeros). A dense
        ``P`` that would not fit (more than half the physical memory as
        float64) is refused before any sampling, with the advice to pass
        ``sparse=True``.
    gamma : float in [0, 1)
    reward : {"state", "state-action"}

    Returns
    -------
    FiniteMDP

    References
    ----------
    T. W. Archibald, K. I. M. McKinnon and L. C. Thomas, "On the generation
    of Markov decision processes", *J. Oper. Res. Soc.* 46(3), 354-361, 1995.
    S. Bhatnagar, R. S. Sutton, M. Ghavamzadeh and M. Lee, "Natural
    actor-critic algorithms", *Automatica* 45(11), 2471-2482, 2009, Section 6.
    M. Geist and B. Scherrer, "Off-policy learning with eligibility traces: a
    survey", *JMLR* 15, 289-333, 2014, Section 6 (the G(S, A, b) protocol).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.envs import garnet
    >>> mdp = garnet(50, 4, 3, rng=0)
    >>> mdp.n_states, mdp.n_actions
    (50, 4)
    >>> sorted(set((mdp.P > 0).sum(axis=2).ravel().tolist()))
    [3]
    >>> np.array_equal(garnet(50, 4, 3, rng=0, sparse=True).P.toarray().reshape(50, 4, 50), mdp.P)
    True
    """
    S = check_int("n_states", n_states, low=1)
    A = check_int("n_actions", n_actions, low=1)
    b = check_int("branching", branching, low=1)
    if b > S:
        raise ValueError(f"branching = {b} exceeds n_states = {S}")
    check_choice("reward", reward, _REWARDS)
    if not isinstance(sparse, (bool, np.bool_)):
        raise ValueError(f"sparse = {sparse!r} must be True or False")
    if not sparse:
        check_dense_size((S, A, S), f"garnet({S}, {A}, {b}): a dense P", "pass sparse=True (CSR with S*A*b entries)")
    gen = as_generator(rng)

    n_rows = S * A
    nxt = _distinct_next_states(gen, n_rows, S, b)
    cuts = np.sort(gen.random((n_rows, b - 1)), axis=1)
    probs = np.diff(cuts, axis=1, prepend=0.0, append=1.0)  # uniform spacings
    if reward == "state":
        R = np.repeat(gen.random(S)[:, None], A, axis=1)
    else:
        R = gen.random((S, A))

    order = np.argsort(nxt, axis=1, kind="stable")  # CSR wants sorted column indices
    cols = np.take_along_axis(nxt, order, axis=1).ravel()
    data = np.take_along_axis(probs, order, axis=1).ravel()
    indptr = np.arange(0, n_rows * b + 1, b, dtype=np.int64)
    P = sp.csr_array((data, cols, indptr), shape=(n_rows, S))
    P.eliminate_zeros()
    if not sparse:
        P = P.toarray().reshape(S, A, S)
    return FiniteMDP(P, R, gamma=gamma)
