r"""Episodic linear MDPs (Jin, Yang, Wang & Jordan 2020): the model, exact planning, and its problem kind.

An episodic linear MDP with horizon :math:`H` has features
:math:`\phi(s,a) \in \mathbb{R}^d` and, for each step :math:`h`,

.. math:: P_h(s' \mid s, a) = \langle\phi(s,a), \mu_h(s')\rangle,\qquad r_h(s,a) = \langle\phi(s,a), \theta_h\rangle
\in [0, 1].

A :class:`LinearMDP` is a problem of the ``"episodic"`` kind of
:func:`rltheory.simulation.simulate`: agents (:class:`~rltheory.linear.LSVIUCB`,
:class:`~rltheory.linear.LMCLSVI`, or any
:class:`~rltheory.simulation.EpisodicAgent`) see the features; their regret
:math:`\sum_k \rho^\top(V_1^* - V_1^{\pi_k})` is computed exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import (
    PROBABILITY_SUM_ATOL,
    as_generator,
    check_finite,
    check_int,
    check_probability_vector,
    check_real,
    readonly,
)
from ..simulation import EpisodicAgent, ProblemKind, episodic_prepared, register_problem_kind
from ..tabular import FiniteHorizonResult, FiniteMDP

__all__ = ["LinearMDP"]


@dataclass(frozen=True, eq=False)
class LinearMDP:
    r"""An episodic linear MDP, validated once.

    Parameters
    ----------
    features : array_like, shape (S, A, d)
        :math:`\phi(s, a)`.
    mu : array_like, shape (H, d, S)
        :math:`\mu_h(s')` as columns: :math:`P_h(\cdot|s,a) = \phi(s,a)^\top\mu_h`.
    theta : array_like, shape (H, d)
    initial_distribution : array_like, shape (S,)

    Notes
    -----
    Validation: every implied :math:`P_h(\cdot|s,a)` is a probability vector
    (entries :math:`\ge -10^{-10}`, row sums 1 within ``PROBABILITY_SUM_ATOL``;
    tiny negative rounding is clipped), and every reward is in :math:`[0, 1]`
    (Jin et al. 2020, Assumption A). Stored: ``P`` (H, S, A, S) and ``R``
    (H, S, A).

    Examples
    --------
    >>> m = LinearMDP.random(4, 2, 3, horizon=5, rng=0)
    >>> m.P.shape, m.R.shape, bool(np.allclose(m.P.sum(axis=3), 1.0))
    ((5, 4, 2, 4), (5, 4, 2), True)
    """

    features: np.ndarray
    mu: np.ndarray
    theta: np.ndarray
    initial_distribution: np.ndarray

    def __post_init__(self):
        phi = np.array(self.features, dtype=np.float64)
        if phi.ndim != 3 or min(phi.shape) < 1:
            raise ValueError(f"features must have shape (S, A, d), got {phi.shape}")
        S, A, d = phi.shape
        check_finite("features", phi)
        mu = np.array(self.mu, dtype=np.float64)
        if mu.ndim != 3 or mu.shape[1:] != (d, S) or mu.shape[0] < 1:
            raise ValueError(f"mu has shape {mu.shape}, expected (H, {d}, {S})")
        check_finite("mu", mu)
        H = mu.shape[0]
        theta = np.array(self.theta, dtype=np.float64)
        if theta.shape != (H, d):
            raise ValueError(f"theta has shape {theta.shape}, expected ({H}, {d})")
        check_finite("theta", theta)
        rho = check_probability_vector("initial_distribution", self.initial_distribution, S)
        P = np.einsum("sad,hdt->hsat", phi, mu)
        if (P < -1e-10).any():
            h, s, a, t = (int(i) for i in np.argwhere(P < -1e-10)[0])
            raise ValueError(f"implied P_{h}({t} | {s}, {a}) = <phi, mu> = {P[h, s, a, t]!r} is negative")
        sums = P.sum(axis=3)
        if (np.abs(sums - 1.0) > PROBABILITY_SUM_ATOL).any():
            h, s, a = (int(i) for i in np.argwhere(np.abs(sums - 1.0) > PROBABILITY_SUM_ATOL)[0])
            raise ValueError(
                f"implied P_{h}(. | {s}, {a}) sums to {sums[h, s, a]!r}, expected 1 within {PROBABILITY_SUM_ATOL:g}"
            )
        P = np.clip(P, 0.0, None)
        R = np.einsum("sad,hd->hsa", phi, theta)
        if (R < -1e-12).any() or (R > 1 + 1e-12).any():
            h, s, a = (int(i) for i in np.argwhere((R < -1e-12) | (R > 1 + 1e-12))[0])
            raise ValueError(f"reward r_{h}({s}, {a}) = {R[h, s, a]!r} is outside [0, 1]")
        R = np.clip(R, 0.0, 1.0)
        for name, arr in (
            ("features", phi),
            ("mu", mu),
            ("theta", theta),
            ("initial_distribution", rho),
            ("P", P),
            ("R", R),
        ):
            object.__setattr__(self, name, readonly(np.ascontiguousarray(arr)))

    @property
    def horizon(self) -> int:
        """``H``, the number of steps of an episode.

        Examples
        --------
        >>> m = LinearMDP.random(4, 2, 3, horizon=5, rng=0)
        >>> m.horizon, m.n_states, m.n_actions, m.dim
        (5, 4, 2, 3)
        """
        return int(self.mu.shape[0])

    @property
    def n_states(self) -> int:
        """``S``, the number of states.

        Examples
        --------
        >>> m = LinearMDP.random(4, 2, 3, horizon=5, rng=0)
        >>> m.n_states
        4
        """
        return int(self.features.shape[0])

    @property
    def n_actions(self) -> int:
        """``A``, the number of actions.

        Examples
        --------
        >>> m = LinearMDP.random(4, 2, 3, horizon=5, rng=0)
        >>> m.n_actions
        2
        """
        return int(self.features.shape[1])

    @property
    def dim(self) -> int:
        """``d``, the feature dimension.

        Examples
        --------
        >>> m = LinearMDP.random(4, 2, 3, horizon=5, rng=0)
        >>> m.dim
        3
        """
        return int(self.features.shape[2])

    @classmethod
    def from_tabular(cls, mdp: FiniteMDP, horizon: int) -> LinearMDP:
        r"""The tabular MDP as a linear MDP with one-hot features :math:`\phi(s,a) = e_{(s,a)}`, :math:`d = SA`.

        Stationary: :math:`\mu_h(s') = P(s'|\cdot,\cdot)` and
        :math:`\theta_h = r` for every :math:`h`; rewards must lie in [0, 1].

        Examples
        --------
        >>> from rltheory.tabular.envs import garnet
        >>> mdp = garnet(3, 2, 2, rng=0, gamma=0.9)  # rewards in [0, 1]
        >>> lin = LinearMDP.from_tabular(mdp, horizon=4)
        >>> lin.dim, lin.horizon, bool(np.allclose(lin.P[0].reshape(6, 3), mdp.dense_P.reshape(6, 3)))
        (6, 4, True)
        """
        if not isinstance(mdp, FiniteMDP):
            raise ValueError(f"mdp must be a FiniteMDP, got {type(mdp).__name__}")
        H = check_int("horizon", horizon, low=1)
        S, A = mdp.n_states, mdp.n_actions
        P = mdp.P.toarray() if mdp.is_sparse else np.asarray(mdp.P).reshape(S * A, S)  # (S*A, S)
        phi = np.eye(S * A).reshape(S, A, S * A)
        rho = mdp.initial_distribution if mdp.initial_distribution is not None else np.full(S, 1.0 / S)
        R = np.asarray(mdp.R, dtype=np.float64).reshape(S * A)
        return cls(phi, np.broadcast_to(P, (H, S * A, S)), np.broadcast_to(R, (H, S * A)), rho)

    @classmethod
    def random(
        cls, n_states: int, n_actions: int, dim: int, *, horizon: int, rng=None, concentration: float = 0.3
    ) -> LinearMDP:
        r"""A random low-rank linear MDP.

        :math:`\phi(s,a) \sim \mathrm{Dirichlet}(\alpha\mathbf 1_d)` (on the
        simplex), each :math:`\mu_h(\cdot)` row :math:`\mu_{h,i} \sim
        \mathrm{Dirichlet}(\alpha\mathbf 1_S)` (a distribution over next
        states), so :math:`P_h(\cdot|s,a) = \sum_i\phi_i(s,a)\mu_{h,i}` is a
        mixture of :math:`d` distributions (rank :math:`\le d`);
        :math:`\theta_h \sim U[0,1]^d` so rewards lie in [0, 1]. Initial
        state uniform.

        Examples
        --------
        >>> m = LinearMDP.random(5, 3, 2, horizon=4, rng=0)
        >>> m.dim, m.horizon, bool(np.allclose(m.P.sum(axis=-1), 1.0)), bool((m.R >= 0).all() and (m.R <= 1).all())
        (2, 4, True, True)
        """
        S, A, d, H = (
            check_int(n, v, low=1)
            for n, v in (("n_states", n_states), ("n_actions", n_actions), ("dim", dim), ("horizon", horizon))
        )
        c = check_real("concentration", concentration, low=0.0, low_open=True)
        g = as_generator(rng)
        phi = g.dirichlet(np.full(d, c), size=(S, A))
        mu = g.dirichlet(np.full(S, c), size=(H, d))
        theta = g.uniform(0.0, 1.0, size=(H, d))
        return cls(phi, mu, theta, np.full(S, 1.0 / S))

    def to_spec(self) -> dict:
        """JSON-serialisable description: every defining array as nested lists (exact float reprs).

        Examples
        --------
        >>> m = LinearMDP.random(3, 2, 2, horizon=2, rng=0)
        >>> spec = m.to_spec()
        >>> spec["type"], len(spec["features"]), len(spec["mu"])
        ('LinearMDP', 3, 2)
        >>> LinearMDP(spec["features"], spec["mu"], spec["theta"], spec["initial_distribution"]).to_spec() == spec
        True
        """
        return {
            "type": "LinearMDP",
            "features": self.features.tolist(),
            "mu": self.mu.tolist(),
            "theta": self.theta.tolist(),
            "initial_distribution": self.initial_distribution.tolist(),
        }

    def optimal_values(self) -> FiniteHorizonResult:
        r"""Backward induction: ``v`` (H+1, S), ``q`` (H, S, A), ``policy`` (H, S) (ties -> lowest action).

        :math:`Q_h^* = r_h + P_h V_{h+1}^*`, :math:`V_{H}^* = 0` (Puterman 2005, Sec. 4.5); the result type of
        :func:`rltheory.tabular.backward_induction`.

        Examples
        --------
        >>> m = LinearMDP.random(4, 2, 3, horizon=5, rng=0)
        >>> opt = m.optimal_values()
        >>> opt.v.shape, opt.q.shape, opt.policy.shape, bool(np.allclose(opt.v[:-1], opt.q.max(axis=2)))
        ((6, 4), (5, 4, 2), (5, 4), True)
        """
        H, S, A = self.horizon, self.n_states, self.n_actions
        V = np.zeros((H + 1, S))
        Q = np.zeros((H, S, A))
        for h in range(H - 1, -1, -1):
            Q[h] = self.R[h] + self.P[h] @ V[h + 1]
            V[h] = Q[h].max(axis=1)
        return FiniteHorizonResult(v=V, q=Q, policy=Q.argmax(axis=2), v_exact=None, exact=False)

    def policy_values(self, policy) -> np.ndarray:
        r"""``V^pi`` (H+1, S) of a deterministic non-stationary policy ``policy`` (H, S).

        Examples
        --------
        >>> m = LinearMDP.random(4, 2, 3, horizon=5, rng=0)
        >>> opt = m.optimal_values()
        >>> bool(np.allclose(m.policy_values(opt.policy), opt.v))   # the greedy policy attains V*
        True
        """
        pol = np.asarray(policy)
        if (
            pol.shape != (self.horizon, self.n_states)
            or pol.dtype.kind not in "iu"
            or (pol < 0).any()
            or (pol >= self.n_actions).any()
        ):
            raise ValueError(
                f"policy must be integers in [0, {self.n_actions}) of shape ({self.horizon}, {self.n_states})"
            )
        V = np.zeros((self.horizon + 1, self.n_states))
        idx = np.arange(self.n_states)
        for h in range(self.horizon - 1, -1, -1):
            V[h] = self.R[h, idx, pol[h]] + self.P[h, idx, pol[h]] @ V[h + 1]
        return V


def _prepare(mdp: LinearMDP, agent, n_episodes: int):
    return episodic_prepared(
        agent,
        features=mdp.features,
        P=mdp.P,
        R=mdp.R,
        stage=np.arange(mdp.horizon),
        initial_distribution=mdp.initial_distribution,
        vstar=mdp.optimal_values().v[0],
        shared_stream=True,
        rng_description="one xoshiro256++ stream per run (environment and agent), seeded by "
        "SeedSequence(seed, spawn_key=(run,))",
    )


register_problem_kind(
    ProblemKind(
        name="episodic", problem_types=(LinearMDP,), agent_base=EpisodicAgent, budget="n_episodes", prepare=_prepare
    )
)
