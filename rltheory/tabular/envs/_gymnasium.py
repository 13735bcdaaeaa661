r"""Gymnasium both ways: a toy-text environment's transition table into a FiniteMDP, and a FiniteMDP or a
stochastic bandit into a ``gymnasium.Env`` (with registered ids for the bundled environments)."""

from __future__ import annotations

import functools
import numbers

import numpy as np
import scipy.sparse as sp

from rltheory._validation import check_int, check_probability_vector
from rltheory.tabular._model import FiniteMDP

__all__ = ["from_gymnasium", "register_gymnasium_envs", "to_gymnasium"]

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
    * Entries of one :math:`(s, a)` that all carry the same reward :math:`r`
      give :math:`r(s, a) = r` (the same number, exact in floating point
      when the probabilities sum to 1 only within rounding).
    * The initial distribution is ``env.unwrapped.initial_state_distrib``
      when the environment has one (padded with 0 for the terminal state).
    * An environment that *declares its structure*, as those of
      :func:`to_gymnasium` do (an attribute ``env.unwrapped.terminal_states``,
      a list of states or ``None``), is read without the added state: a
      ``terminated`` transition must go to a declared terminal state, which
      is a state of the model, and ``allowed_actions`` (an ``(S, A)`` boolean
      mask or ``None``) and ``horizon`` are read back as ``action_mask`` and
      ``horizon`` (a disallowed action's ``P[s][a]`` may then be empty). Thus
      ``from_gymnasium(to_gymnasium(mdp), gamma=mdp.gamma)`` is ``mdp``.

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
        ``terminal_states = [S]`` (the declared ones for an environment that
        declares them).

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

    # an environment made by to_gymnasium declares its model's structure: its terminal states are states of the
    # table (no state is added), and its allowed actions and horizon are read back
    declared = hasattr(base, "terminal_states")
    terminal_set, allowed, horizon = set(), None, None
    if declared:
        if base.terminal_states is not None:
            terminal_set = {int(t) for t in np.asarray(base.terminal_states).ravel()}
        if getattr(base, "allowed_actions", None) is not None:
            allowed = np.asarray(base.allowed_actions, dtype=bool)
            if allowed.shape != (S, A):
                raise ValueError(f"allowed_actions has shape {allowed.shape}, expected ({S}, {A})")
        horizon = getattr(base, "horizon", None)

    rows, cols, probs, rewards = [], [], [], []
    for s in range(S):
        actions = table[s]
        if sorted(actions) != list(range(A)):
            raise ValueError(f"state {s} has actions {sorted(actions)}; expected 0, ..., {A - 1}")
        for a in range(A):
            entries = actions[a]
            if len(entries) == 0 and (allowed is None or allowed[s, a]):
                raise ValueError(f"P[{s}][{a}] is empty")
            for k, entry in enumerate(entries):
                try:
                    prob, nxt, rew, terminated = entry[:4]
                except (TypeError, ValueError):
                    raise ValueError(
                        f"P[{s}][{a}][{k}] = {entry!r} is not (prob, next_state, reward, terminated)"
                    ) from None
                if not isinstance(nxt, numbers.Integral) or not 0 <= int(nxt) < S:
                    raise ValueError(f"P[{s}][{a}][{k}] has next state {nxt!r} outside [0, {S})")
                if declared:
                    if bool(terminated) != (int(nxt) in terminal_set):
                        raise ValueError(
                            f"P[{s}][{a}][{k}] has terminated={terminated!r} but next state {int(nxt)} is "
                            f"{'' if int(nxt) in terminal_set else 'not '}one of the declared terminal_states"
                        )
                    cols.append(int(nxt))
                else:
                    cols.append(S if terminated else int(nxt))
                rows.append(s * A + a)
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

    n = S if declared else S + 1
    # coo -> csr sums duplicate (s, a, s') entries: the merge of identical outcomes
    P_env = sp.csr_array((probs, (rows, cols)), shape=(S * A, n))
    P_env.sum_duplicates()
    R_env = np.bincount(rows, weights=probs * rewards, minlength=S * A)
    # outcomes sharing one reward r: r(s, a) = r itself (equal to sum_k p_k r for probabilities summing to 1,
    # and exact in floating point when they sum to 1 only within rounding)
    if rows.size:  # rows are non-decreasing: one run of entries per (s, a)
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        r_min, r_max = np.minimum.reduceat(rewards, starts), np.maximum.reduceat(rewards, starts)
        one = r_min == r_max
        R_env[rows[starts][one]] = r_min[one]
    R_env = R_env.reshape(S, A)
    if declared:
        P, R = P_env, R_env
    else:
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
        init = isd if declared else np.append(isd, 0.0)

    use_sparse = n > 500 if sparse is None else bool(sparse)
    if not use_sparse:
        P = P.toarray().reshape(n, A, n)
    if declared:
        terminal = None if base.terminal_states is None else sorted(terminal_set)
        return FiniteMDP(
            P, R, gamma=gamma, horizon=horizon, terminal_states=terminal, action_mask=allowed, initial_distribution=init
        )
    return FiniteMDP(P, R, gamma=gamma, terminal_states=[S], initial_distribution=init)


# ---------------------------------------------------------------- FiniteMDP / bandit -> gymnasium.Env

_BANDIT_CLASSES = ("BernoulliBandit", "GaussianBandit", "BoundedBandit")


def _import_gymnasium(who: str):
    try:
        import gymnasium  # lazy: an optional dependency
    except ImportError:
        raise ImportError(f"{who} needs Gymnasium: {_INSTALL_HINT}") from None
    return gymnasium


def _is_bandit(model) -> bool:
    # duck typing on the instance classes of rltheory.bandits: rltheory.tabular does not import rltheory.bandits
    return type(model).__name__ in _BANDIT_CLASSES and type(model).__module__.startswith("rltheory.bandits")


def _draw(np_random, cum) -> int:
    """Inverse-CDF draw of an index from cumulative weights ``cum`` (zero-weight entries are never drawn)."""
    u = np_random.random() * cum[-1]
    k = int(np.searchsorted(cum, u, side="right"))
    if k >= len(cum):  # u rounded up to the total: the last entry of positive weight
        k = int(np.searchsorted(cum, cum[-1], side="left"))
    return k


@functools.cache
def _env_classes():
    """The two Env classes, built on first use so that ``import rltheory`` never imports Gymnasium."""
    gymnasium = _import_gymnasium("to_gymnasium")
    from gymnasium import spaces

    class _Discrete(gymnasium.Env):
        metadata = {"render_modes": ["ansi"], "render_fps": 4}

        def _setup(self, S, A, render_mode):
            if render_mode is not None and render_mode not in self.metadata["render_modes"]:
                raise ValueError(f"render_mode = {render_mode!r} must be None or 'ansi'")
            self.render_mode = render_mode
            self.observation_space = spaces.Discrete(S)
            self.action_space = spaces.Discrete(A)
            self._state = None
            self._t = 0
            self._last = None

        def _check_action(self, action) -> int:
            if isinstance(action, np.ndarray) and action.shape == ():
                action = action.item()
            A = int(self.action_space.n)
            if isinstance(action, (bool, np.bool_)) or not isinstance(action, numbers.Integral):
                raise ValueError(f"action {action!r} is not an integer action of Discrete({A})")
            a = int(action)
            if not 0 <= a < A:
                raise ValueError(f"action {a} is outside the action space [0, {A})")
            if self._state is None:
                raise RuntimeError("call reset() before step()")
            return a

        def render(self):
            if self.render_mode is None:
                gymnasium.logger.warn("render() called with render_mode=None; make the env with render_mode='ansi'")
                return None
            horizon = "" if self.horizon is None else f"/{self.horizon}"
            text = f"state {self._state}  step {self._t}{horizon}"
            if self._last is not None:
                a, r, nxt = self._last
                text += f"  (last: action {a}, reward {r:g}, next state {nxt})"
            return text + "\n"

    class FiniteMDPEnv(_Discrete):
        """A FiniteMDP as a Gymnasium environment (see :func:`rltheory.tabular.envs.to_gymnasium`)."""

        def __init__(self, mdp, initial_distribution, render_mode=None):
            S, A = mdp.n_states, mdp.n_actions
            self._setup(S, A, render_mode)
            self.mdp = mdp
            csr = mdp.csr_P
            self._indptr, self._indices, self._data = csr.indptr, csr.indices, csr.data
            self._R = np.asarray(mdp.R)
            self._mask = np.asarray(mdp.action_mask)
            self._is_terminal = np.zeros(S, dtype=bool)
            if mdp.terminal_states is not None:
                self._is_terminal[mdp.terminal_states] = True
            self._init_cum = np.cumsum(initial_distribution)
            # the declared structure read back by from_gymnasium
            self.initial_state_distrib = initial_distribution
            self.terminal_states = None if mdp.terminal_states is None else mdp.terminal_states.tolist()
            self.allowed_actions = self._mask.copy() if mdp.has_action_mask else None
            self.horizon = mdp.horizon
            self.gamma = mdp.gamma
            self._P = None

        @property
        def P(self):
            """The toy-text table ``P[s][a] = [(prob, next_state, reward, terminated), ...]``, built on first use."""
            if self._P is None:
                self._P = self._table()
            return self._P

        def _table(self):
            S, A = self.mdp.n_states, self.mdp.n_actions
            table = {}
            for s in range(S):
                table[s] = {}
                for a in range(A):
                    row = s * A + a
                    lo, hi = int(self._indptr[row]), int(self._indptr[row + 1])
                    r = float(self._R[s, a])
                    entries = [
                        (float(p), int(nxt), r, bool(self._is_terminal[nxt]))
                        for p, nxt in zip(self._data[lo:hi], self._indices[lo:hi])
                    ]
                    if not entries:  # a disallowed action with an empty row: a zero-probability entry keeps R
                        entries = [(0.0, s, r, bool(self._is_terminal[s]))]
                    table[s][a] = entries
            return table

        def _info(self, s, prob):
            return {"prob": float(prob), "step": self._t, "action_mask": self._mask[s].astype(np.int8)}

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            s = _draw(self.np_random, self._init_cum)
            self._state, self._t, self._last = s, 0, None
            return s, self._info(s, self.initial_state_distrib[s])

        def step(self, action):
            a = self._check_action(action)
            s = self._state
            if not self._mask[s, a]:
                raise ValueError(f"action {a} is not allowed in state {s} (the model's action_mask)")
            row = s * self.mdp.n_actions + a
            lo, hi = int(self._indptr[row]), int(self._indptr[row + 1])
            k = lo + _draw(self.np_random, np.cumsum(self._data[lo:hi]))
            nxt = int(self._indices[k])
            reward = float(self._R[s, a])
            self._t += 1
            terminated = bool(self._is_terminal[nxt])
            truncated = self.horizon is not None and self._t >= self.horizon and not terminated
            self._state, self._last = nxt, (a, reward, nxt)
            return nxt, reward, terminated, truncated, self._info(nxt, self._data[k])

    class BanditEnv(_Discrete):
        """A stochastic bandit as a one-state Gymnasium environment (see :func:`to_gymnasium`)."""

        def __init__(self, bandit, horizon=None, render_mode=None):
            K = bandit.n_arms
            self._setup(1, K, render_mode)
            self.bandit = bandit
            kind = type(bandit).__name__
            if kind == "BernoulliBandit":
                self._sample = lambda rng, a: float(rng.random() < bandit.means[a])
            elif kind == "GaussianBandit":
                self._sample = lambda rng, a: float(rng.normal(bandit.means[a], bandit.sigma))
            else:  # BoundedBandit: Beta(alpha_a, beta_a) rewards
                self._sample = lambda rng, a: float(rng.beta(bandit.alpha[a], bandit.beta[a]))
            self.initial_state_distrib = np.ones(1)
            self.terminal_states = None
            self.allowed_actions = None
            self.horizon = horizon
            self.P = {0: {a: [(1.0, 0, float(bandit.means[a]), False)] for a in range(K)}}

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            self._state, self._t, self._last = 0, 0, None
            return 0, {"step": 0}

        def step(self, action):
            a = self._check_action(action)
            reward = self._sample(self.np_random, a)
            self._t += 1
            truncated = self.horizon is not None and self._t >= self.horizon
            self._last = (a, reward, 0)
            return 0, reward, False, truncated, {"step": self._t}

    return FiniteMDPEnv, BanditEnv


def to_gymnasium(model, *, initial_distribution=None, horizon=None, render_mode=None):
    r"""A ``gymnasium.Env`` simulating a FiniteMDP or a stochastic bandit.

    **A** :class:`~rltheory.tabular.FiniteMDP` becomes an environment with
    ``Discrete(S)`` observations (the state) and ``Discrete(A)`` actions:

    * ``reset(seed=)`` seeds the Env's own ``np_random`` and draws
      :math:`s_0 \sim \mu` (the initial distribution);
    * ``step(a)`` draws :math:`s' \sim P(\cdot \mid s, a)` and pays the
      *expected* reward :math:`r(s, a)` = ``mdp.R[s, a]`` (deterministic: a
      FiniteMDP keeps only expected rewards, which is all its values depend
      on, :math:`V^\pi = (I - \gamma P_\pi)^{-1} r_\pi`);
    * ``terminated`` is True when :math:`s'` is one of ``mdp.terminal_states``;
      with a finite ``mdp.horizon`` :math:`H`, ``truncated`` is True at step
      :math:`H` (unless terminated). The observation is the state only: the
      step count :math:`t`, which a finite-horizon optimal policy needs, is
      ``info["step"]``;
    * an action outside ``[0, A)``, not an integer, or disallowed by
      ``mdp.action_mask`` in the current state raises ``ValueError`` naming
      it; ``info["action_mask"]`` is the ``int8`` mask of the new state and
      ``info["prob"]`` the probability of the transition (as in toy-text);
    * ``render_mode="ansi"``: ``render()`` returns a line of text (state, step,
      last action, reward, next state).

    As Gymnasium's toy-text environments do, ``env.unwrapped.P[s][a]`` is the
    list ``[(prob, next_state, reward, terminated), ...]`` of the stored
    entries of ``P[s, a]`` (every entry has ``reward = R[s, a]``; a disallowed
    action with no stored entry gets one zero-probability entry carrying
    ``R[s, a]``) and ``env.unwrapped.initial_state_distrib`` is :math:`\mu`.
    The environment also declares ``terminal_states``, ``allowed_actions``
    (``None`` when every action is allowed), ``horizon`` and ``gamma``, so
    that :func:`from_gymnasium` (``env, gamma=mdp.gamma``) rebuilds exactly
    ``P``, ``R``, the terminal states, the action mask, the horizon and the
    initial distribution.

    **A bandit** (``rltheory.bandits.BernoulliBandit``, ``GaussianBandit``,
    ``BoundedBandit``) becomes a one-state environment (``Discrete(1)``
    observations, ``Discrete(K)`` arms): ``step(i)`` samples arm ``i``'s
    reward (Bernoulli :math:`\mu_i`, :math:`N(\mu_i, \sigma^2)`,
    Beta :math:`(\alpha_i, \beta_i)`), never terminates, and truncates after
    ``horizon`` rounds when given; ``P[0][i] = [(1.0, 0, mu_i, False)]``.

    Parameters
    ----------
    model : FiniteMDP or bandit instance
    initial_distribution : array_like, shape (S,), optional
        :math:`\mu` for a FiniteMDP; defaults to ``mdp.initial_distribution``
        and is required when the model has none (nothing is assumed).
    horizon : int, optional
        Bandits only: the number of rounds before ``truncated``. A FiniteMDP
        truncates at its own ``horizon`` (wrap the Env in
        ``gymnasium.wrappers.TimeLimit`` for a time limit).
    render_mode : {None, "ansi"}

    Returns
    -------
    gymnasium.Env

    Raises
    ------
    ImportError
        If Gymnasium is not installed (``pip install rltheory[gym]``).
    ValueError
        On a model of another type, a missing or invalid initial
        distribution, a ``horizon`` for a FiniteMDP, an invalid render mode.

    References
    ----------
    Farama Foundation, Gymnasium ``Env`` API (``reset``, ``step``,
    ``terminated`` / ``truncated``) and toy-text environments,
    https://gymnasium.farama.org.
    Towers et al. (2024), "Gymnasium: A Standard Interface for Reinforcement
    Learning Environments", arXiv:2407.17032.

    Examples
    --------
    >>> from rltheory.tabular.envs import from_gymnasium, river_swim, to_gymnasium
    >>> mdp = river_swim(6)
    >>> env = to_gymnasium(mdp, render_mode="ansi")
    >>> env.observation_space, env.action_space
    (Discrete(6), Discrete(2))
    >>> s, info = env.reset(seed=0)
    >>> s2, r, terminated, truncated, info = env.step(0)   # swim left
    >>> terminated, truncated, info["step"]
    (False, False, 1)
    >>> env.unwrapped.P[0][0]                               # toy-text style table: (prob, next, reward, terminated)
    [(1.0, 0, 5.0, False)]
    >>> back = from_gymnasium(env, gamma=mdp.gamma)
    >>> bool((back.P == mdp.P).all() and (back.R == mdp.R).all())
    True
    >>> env.step(7)
    Traceback (most recent call last):
    ...
    ValueError: action 7 is outside the action space [0, 2)
    >>> from rltheory.bandits import BernoulliBandit
    >>> bandit_env = to_gymnasium(BernoulliBandit([0.2, 0.9]), horizon=10)
    >>> _ = bandit_env.reset(seed=1)
    >>> bandit_env.step(1)[1] in (0.0, 1.0)
    True
    """
    FiniteMDPEnv, BanditEnv = _env_classes()
    if _is_bandit(model):
        if initial_distribution is not None:
            raise ValueError("initial_distribution is for a FiniteMDP; a bandit environment has one state")
        if horizon is not None:
            horizon = check_int("horizon", horizon, low=1)
        return BanditEnv(model, horizon=horizon, render_mode=render_mode)
    if not isinstance(model, FiniteMDP):
        raise ValueError(
            f"to_gymnasium takes a FiniteMDP or a bandit ({', '.join(_BANDIT_CLASSES)}), got {type(model).__name__}"
        )
    if horizon is not None:
        raise ValueError(
            f"horizon = {horizon!r} is for bandits; a FiniteMDP truncates at its own horizon "
            f"(mdp.horizon = {model.horizon}); wrap the Env in gymnasium.wrappers.TimeLimit for a time limit"
        )
    if initial_distribution is None:
        initial_distribution = model.initial_distribution
        if initial_distribution is None:
            raise ValueError(
                "to_gymnasium needs an initial distribution: the FiniteMDP has none; pass initial_distribution="
            )
    else:
        initial_distribution = check_probability_vector("initial_distribution", initial_distribution, model.n_states)
    return FiniteMDPEnv(model, np.array(initial_distribution, dtype=float), render_mode=render_mode)


# ---------------------------------------------------------------- registered ids


def _uniform_non_terminal(mdp) -> np.ndarray:
    mu = np.ones(mdp.n_states)
    if mdp.terminal_states is not None:
        mu[mdp.terminal_states] = 0.0
    return mu / mu.sum()


def _make_river_swim(render_mode=None, **kwargs):
    from rltheory.tabular.envs._classic import river_swim

    return to_gymnasium(river_swim(**kwargs), render_mode=render_mode)


def _make_chain(render_mode=None, **kwargs):
    from rltheory.tabular.envs._classic import chain

    return to_gymnasium(chain(**kwargs), render_mode=render_mode)


def _make_gridworld(render_mode=None, **kwargs):
    from rltheory.tabular.envs._gridworld import gridworld

    mdp = gridworld(**kwargs)
    init = None if mdp.initial_distribution is not None else _uniform_non_terminal(mdp)
    return to_gymnasium(mdp, initial_distribution=init, render_mode=render_mode)


def _make_garnet(n_states=10, n_actions=3, branching=2, *, seed=0, render_mode=None, **kwargs):
    from rltheory.tabular.envs._garnet import garnet

    mdp = garnet(n_states, n_actions, branching, rng=seed, **kwargs)
    return to_gymnasium(mdp, initial_distribution=_uniform_non_terminal(mdp), render_mode=render_mode)


_REGISTERED = {
    "rltheory/RiverSwim-v0": _make_river_swim,
    "rltheory/Chain-v0": _make_chain,
    "rltheory/GridWorld-v0": _make_gridworld,
    "rltheory/Garnet-v0": _make_garnet,
}


def register_gymnasium_envs() -> None:
    r"""Register the bundled environments with Gymnasium (idempotent).

    After this call, ``gymnasium.make(id, **kwargs)`` builds
    :func:`to_gymnasium` of the model, the keyword arguments going to the
    model's constructor:

    ========================== ============================================================
    ``rltheory/RiverSwim-v0``  :func:`river_swim` (its start distribution)
    ``rltheory/Chain-v0``      :func:`chain` (starts in state 0)
    ``rltheory/GridWorld-v0``  :func:`gridworld` (its start cells; uniform over the
                               non-terminal cells when the layout has none)
    ``rltheory/Garnet-v0``     :func:`garnet` ``(n_states=10, n_actions=3, branching=2,
                               seed=0)``, ``seed`` passed as its ``rng``; starts uniformly
    ========================== ============================================================

    Gymnasium 1.x has no entry-point plugin mechanism (the ``gymnasium.envs``
    entry-point group of gym 0.2x was dropped in Gymnasium 1.0), so the ids
    are registered by calling this function; ``import rltheory`` never imports
    Gymnasium.

    Raises
    ------
    ImportError
        If Gymnasium is not installed (``pip install rltheory[gym]``).

    References
    ----------
    Farama Foundation, Gymnasium ``register`` / ``make``,
    https://gymnasium.farama.org/api/registry/.

    Examples
    --------
    >>> import gymnasium as gym
    >>> from rltheory.tabular.envs import register_gymnasium_envs
    >>> register_gymnasium_envs()
    >>> env = gym.make("rltheory/RiverSwim-v0", n_states=4)
    >>> env.observation_space
    Discrete(4)
    >>> gym.make("rltheory/Garnet-v0", n_states=5, seed=3).unwrapped.P[0][0][0][0] > 0
    True
    """
    gymnasium = _import_gymnasium("register_gymnasium_envs")
    for env_id, entry_point in _REGISTERED.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=entry_point)
