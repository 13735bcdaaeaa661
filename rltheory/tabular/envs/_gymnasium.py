r"""Convert a Gymnasium toy-text environment's transition table into a FiniteMDP."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from rltheory.tabular._model import FiniteMDP

__all__ = ["from_gymnasium"]

_INSTALL_HINT = "pip install rltheory[gym]"


def _transition_table(env):
    base = getattr(env, "unwrapped", env)
    table = getattr(base, "P", None)
    if not isinstance(table, dict) or not table:
        raise ValueError(
            f"{type(base).__name__} has no transition table env.unwrapped.P "
            "(a dict P[s][a] = [(prob, next_state, reward, terminated), ...], as in Gymnasium's toy_text "
            "environments FrozenLake, Taxi, CliffWalking)"
        )
    return base, table


def from_gymnasium(env, *, gamma=1.0, sparse: bool | None = None) -> FiniteMDP:
    r"""The FiniteMDP of a Gymnasium toy-text environment (FrozenLake, Taxi, CliffWalking, ...).

    Reads the table ``env.unwrapped.P[s][a] = [(prob, next_state, reward,
    terminated), ...]`` and builds a model with :math:`S+1` states: the
    environment's :math:`S` states and one added absorbing, zero-reward
    terminal state with index :math:`S`.

    * A transition with ``terminated=False`` goes to ``next_state``.
    * A transition with ``terminated=True`` goes to the terminal state
      :math:`S` and still pays its reward, so the value of a policy is exactly
      the expected (discounted) return of a Gymnasium episode,
      :math:`\mathbb{E}[\sum_{t<T} \gamma^t r_t]` with :math:`T` the
      termination step. Truncation (``TimeLimit``) is not part of the model.
    * Entries with the same :math:`(s, a, s')` are merged (probabilities
      added), and :math:`r(s, a) = \sum_k p_k r_k` is the expected reward.
    * The initial distribution is ``env.unwrapped.initial_state_distrib``
      when the environment has one (padded with 0 for the terminal state).

    Parameters
    ----------
    env : gymnasium.Env
        A (possibly wrapped) environment with a transition table.
    gamma : float in [0, 1]
        Discount factor; ``gamma = 1`` (the default, Gymnasium's undiscounted
        episodic return) is allowed because the model has a terminal state.
    sparse : bool, optional
        Store ``P`` as CSR. ``None`` picks CSR when :math:`S+1 > 500`.

    Returns
    -------
    FiniteMDP
        ``terminal_states = [S]``.

    Raises
    ------
    ImportError
        If Gymnasium is not installed (``pip install rltheory[gym]``).
    ValueError
        If ``env`` has no transition table, or the table is malformed (missing
        states or actions, a next state out of range, a negative probability,
        probabilities not summing to 1 for some (s, a), a non-finite reward).

    References
    ----------
    Farama Foundation, Gymnasium toy-text environments (``FrozenLake-v1``,
    ``Taxi``, ``CliffWalking``), https://gymnasium.farama.org.

    Examples
    --------
    >>> import gymnasium as gym
    >>> from rltheory.tabular.envs import from_gymnasium
    >>> mdp = from_gymnasium(gym.make("FrozenLake-v1", is_slippery=False))
    >>> mdp.n_states, mdp.n_actions, mdp.terminal_states.tolist()
    (17, 4, [16])
    >>> float(mdp.R[14, 2])          # right from (3, 2) onto the goal pays 1 and terminates
    1.0
    >>> float(mdp.P[14, 2, 16])
    1.0
    """
    try:
        import gymnasium  # noqa: F401  (lazy: an optional dependency)
    except ImportError:
        raise ImportError(f"from_gymnasium needs Gymnasium: {_INSTALL_HINT}") from None
    if sparse is not None and not isinstance(sparse, (bool, np.bool_)):
        raise ValueError(f"sparse = {sparse!r} must be True, False or None")
    base, table = _transition_table(env)

    S = len(table)
    if sorted(table) != list(range(S)):
        raise ValueError(f"transition table states are {sorted(table)[:5]}...; expected 0, ..., {S - 1}")
    n_actions = {len(table[s]) for s in range(S)}
    if len(n_actions) != 1:
        raise ValueError(f"states have different numbers of actions {sorted(n_actions)} in the transition table")
    A = n_actions.pop()
    if A == 0:
        raise ValueError("the transition table has states with no action")

    rows, cols, probs, rewards = [], [], [], []
    for s in range(S):
        actions = table[s]
        if sorted(actions) != list(range(A)):
            raise ValueError(f"state {s} has actions {sorted(actions)}; expected 0, ..., {A - 1}")
        for a in range(A):
            entries = actions[a]
            if len(entries) == 0:
                raise ValueError(f"P[{s}][{a}] is empty")
            for k, entry in enumerate(entries):
                try:
                    prob, nxt, rew, terminated = entry[:4]
                except (TypeError, ValueError):
                    raise ValueError(f"P[{s}][{a}][{k}] = {entry!r} is not (prob, next_state, reward, terminated)") from None
                if not isinstance(nxt, numbers.Integral) or not 0 <= int(nxt) < S:
                    raise ValueError(f"P[{s}][{a}][{k}] has next state {nxt!r} outside [0, {S})")
                rows.append(s * A + a)
                cols.append(S if terminated else int(nxt))
                probs.append(prob)
                rewards.append(rew)

    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    try:
        probs = np.asarray(probs, dtype=float)
        rewards = np.asarray(rewards, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"non-numeric probability or reward in the transition table: {exc}") from None
    for name, arr in (("probability", probs), ("reward", rewards)):
        bad = ~np.isfinite(arr)
        if bad.any():
            k = int(np.argmax(bad))
            s, a = divmod(int(rows[k]), A)
            raise ValueError(f"P[{s}][{a}] has a non-finite {name} {float(arr[k])!r}")
    if (probs < 0).any():
        k = int(np.argmax(probs < 0))
        s, a = divmod(int(rows[k]), A)
        raise ValueError(f"P[{s}][{a}] has a negative probability {float(probs[k])!r}")

    n = S + 1
    # coo -> csr sums duplicate (s, a, s') entries: the merge of identical outcomes
    P_env = sp.csr_array((probs, (rows, cols)), shape=(S * A, n))
    P_env.sum_duplicates()
    R_env = np.bincount(rows, weights=probs * rewards, minlength=S * A).reshape(S, A)
    # the added terminal state S: every action loops with probability 1 and reward 0
    P_term = sp.csr_array((np.ones(A), (np.arange(A), np.full(A, S))), shape=(A, n))
    P = sp.csr_array(sp.vstack([P_env, P_term], format="csr"))
    R = np.vstack([R_env, np.zeros((1, A))])

    init = None
    isd = getattr(base, "initial_state_distrib", None)
    if isd is not None:
        isd = np.asarray(isd, dtype=float).ravel()
        if isd.shape != (S,):
            raise ValueError(f"initial_state_distrib has shape {isd.shape}, expected ({S},)")
        init = np.append(isd, 0.0)

    use_sparse = n > 500 if sparse is None else bool(sparse)
    if not use_sparse:
        P = P.toarray().reshape(n, A, n)
    return FiniteMDP(P, R, gamma=gamma, terminal_states=[S], initial_distribution=init)
