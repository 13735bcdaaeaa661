r"""Return-conditioned supervised learning (RCSL) on episodic data, and its exact value.

RCSL learns, by maximum likelihood on logged episodes, the distribution of the logged action given the stage,
the state and the *return-to-go* of the episode from that step,

.. math:: \hat\pi(a \mid h, s, g) = \frac{N(h, s, g, a)}{N(h, s, g)}, \qquad
          g_h(\tau) = \sum_{k=h}^{H-1} \gamma^{k-h} r_k(\tau),

and acts by conditioning on a target return :math:`g_0` and updating it along the episode,
:math:`g_{h+1} = (g_h - r_h)/\gamma` (Markovian RCSL: the policy reads only the current stage, state and target;
Brandfonbrener, Bietti, Buckman, Laroche & Bruna 2022; Zhou, Zhu, Zhou, Cui, Gupta & Du 2023). It needs no
Bellman backup -- and so, unlike dynamic programming, it cannot *stitch*: it reproduces returns that whole logged
episodes achieved, not a better episode made of pieces of two logged ones.

* :func:`return_conditioned_policy` -- the tabular maximum-likelihood RCSL policy of an episodic
  :class:`~rltheory.tabular.OfflineDataset`;
* :func:`rcsl_value` -- its exact value in a finite-horizon model, by forward propagation of the law of the
  augmented state :math:`(s_h, g_h)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import check_real, readonly
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._offline_data import OfflineDataset

__all__ = ["RCSLPolicy", "RCSLValue", "rcsl_value", "return_conditioned_policy"]

#: The exact evaluation refuses beyond this many distinct augmented states (s, g) in one stage.
MAX_AUGMENTED_STATES = 1_000_000


def _match_tolerance(g: float) -> float:
    return 1e-9 * max(1.0, abs(g))


@dataclass(frozen=True, eq=False)
class RCSLPolicy:
    r"""The tabular RCSL policy of :func:`return_conditioned_policy`.

    Attributes
    ----------
    stages, states : numpy.ndarray of int64, shape (K,)
        The observed conditioning keys :math:`(h, s, g)`, sorted by stage, state and return.
    returns_to_go : numpy.ndarray, shape (K,)
        :math:`g` of each key (the return-to-go of a logged episode from stage :math:`h`).
    action_probabilities : numpy.ndarray, shape (K, A)
        :math:`\hat\pi(a \mid h, s, g) = N(h, s, g, a) / N(h, s, g)`.
    key_counts : numpy.ndarray of int64, shape (K,)
        :math:`N(h, s, g)`.
    behavior_cloning : numpy.ndarray, shape (H, S, A)
        The per-stage behaviour-cloning policy :math:`N(h, s, a)/N(h, s)` (uniform where :math:`N(h, s) = 0`):
        the explicit fallback where a target return was never logged at :math:`(h, s)`.
    gamma : float
    horizon : int

    Examples
    --------
    >>> from rltheory.tabular import OfflineDataset, return_conditioned_policy
    >>> d = OfflineDataset([0, 1, 0, 1], [0, 0, 1, 1], [0.0, 1.0, 0.0, 0.0], [1, 0, 1, 0], n_states=2, n_actions=2,
    ...                    gamma=1.0, horizon=2, stages=[0, 1, 0, 1], episodes=[0, 0, 1, 1])
    >>> pol = return_conditioned_policy(d)
    >>> pol.action_distribution(0, 0, 1.0)[0].tolist(), pol.action_distribution(0, 0, 0.0)[0].tolist()
    ([1.0, 0.0], [0.0, 1.0])
    """

    stages: np.ndarray
    states: np.ndarray
    returns_to_go: np.ndarray
    action_probabilities: np.ndarray
    key_counts: np.ndarray
    behavior_cloning: np.ndarray
    gamma: float
    horizon: int

    def action_distribution(self, stage: int, state: int, target: float):
        r"""``(probabilities, matched)``: :math:`\hat\pi(\cdot \mid h, s, g)` and whether :math:`(h, s, g)` was logged.

        A target matches a logged return-to-go within :math:`10^{-9}\max(1, |g|)` (the nearest one); when none
        matches, the behaviour-cloning distribution of :math:`(h, s)` is returned with ``matched = False``.

        Examples
        --------
        >>> from rltheory.tabular import OfflineDataset, return_conditioned_policy
        >>> d = OfflineDataset([0], [1], [2.0], [0], n_states=1, n_actions=2, gamma=1.0, horizon=1, stages=[0],
        ...                    episodes=[0])
        >>> p, ok = return_conditioned_policy(d).action_distribution(0, 0, 5.0)  # never logged: the BC fallback
        >>> p.tolist(), ok
        ([0.0, 1.0], False)
        """
        lo = np.searchsorted(self._index, stage * self._S + state, side="left")
        hi = np.searchsorted(self._index, stage * self._S + state, side="right")
        if hi > lo:
            gs = self.returns_to_go[lo:hi]
            j = int(np.argmin(np.abs(gs - target)))
            if abs(gs[j] - target) <= _match_tolerance(target):
                return self.action_probabilities[lo + j], True
        return self.behavior_cloning[stage, state], False

    @property
    def _S(self) -> int:
        return int(self.behavior_cloning.shape[1])

    @property
    def _index(self) -> np.ndarray:
        return self.stages * self._S + self.states


def return_conditioned_policy(dataset) -> RCSLPolicy:
    r"""Markovian RCSL: the maximum-likelihood action law given stage, state and logged return-to-go.

    For every logged episode :math:`\tau` and stage :math:`h`, the return-to-go
    :math:`g_h(\tau) = \sum_{k \ge h} \gamma^{k-h} r_k(\tau)` (with the dataset's :math:`\gamma`) labels the pair
    :math:`(s_h, a_h)`; :math:`\hat\pi(a \mid h, s, g)` is the empirical action distribution of the rows with key
    :math:`(h, s, g)` -- the tabular minimizer of the RCSL negative log-likelihood (Brandfonbrener et al. 2022,
    Eq. (1); Zhou et al. 2023, Section 2). Returns-to-go are grouped by exact equality (identical reward
    sequences give identical sums); conditioning matches them within a relative :math:`10^{-9}`.

    **Unlogged keys** (a target never logged at :math:`(h, s)`) are handled explicitly: the policy falls back to
    per-stage behaviour cloning at :math:`(h, s)` (uniform at an unvisited :math:`(h, s)`), and
    :func:`rcsl_value` reports the probability of ever using the fallback.

    Parameters
    ----------
    dataset : OfflineDataset
        Episodic (complete episodes with stages), :math:`\gamma > 0`.

    Returns
    -------
    RCSLPolicy

    Raises
    ------
    ValueError
        On a dataset that is not episodic, or :math:`\gamma = 0`.

    References
    ----------
    D. Brandfonbrener, A. Bietti, J. Buckman, R. Laroche, J. Bruna, "When does return-conditioned supervised learning
    work for offline reinforcement learning?", NeurIPS 2022.
    Z. Zhou, C. Zhu, R. Zhou, Q. Cui, A. Gupta, S. S. Du, "Free from Bellman completeness: trajectory stitching via
    model-based return-conditioned supervised learning", ICLR 2024 (arXiv:2310.19308), Section 3.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import OfflineDataset, return_conditioned_policy
    >>> d = OfflineDataset([0, 0, 0], [0, 1, 1], [1.0, 0.0, 0.0], [0, 0, 0], n_states=1, n_actions=2, gamma=1.0,
    ...                    horizon=1, stages=[0, 0, 0], episodes=[0, 1, 2])
    >>> pol = return_conditioned_policy(d)
    >>> pol.returns_to_go.tolist(), pol.key_counts.tolist(), pol.behavior_cloning[0, 0].round(3).tolist()
    ([0.0, 1.0], [2, 1], [0.333, 0.667])
    """
    if not isinstance(dataset, OfflineDataset):
        raise ValueError(f"return_conditioned_policy needs an OfflineDataset, got {type(dataset).__name__}")
    if not dataset.is_episodic:
        raise ValueError(
            "return_conditioned_policy needs episodic data (complete episodes with stages); this dataset "
            "holds discounted transitions"
        )
    g = float(dataset.gamma)
    if not g > 0.0:
        raise ValueError("return_conditioned_policy needs gamma > 0 (the target update divides by gamma)")
    H, S, A = dataset.horizon, dataset.n_states, dataset.n_actions
    s, a, r, _ = (np.asarray(x) for x in dataset.episode_arrays())
    G = np.empty_like(r, dtype=float)
    G[:, H - 1] = r[:, H - 1]
    for h in range(H - 2, -1, -1):
        G[:, h] = r[:, h] + g * G[:, h + 1]
    stage = np.broadcast_to(np.arange(H), s.shape).ravel()
    flat_s, flat_a, flat_g = s.ravel().astype(np.int64), a.ravel().astype(np.int64), G.ravel()
    order = np.lexsort((flat_g, flat_s, stage))
    keys = np.stack([stage[order].astype(float), flat_s[order].astype(float), flat_g[order]], axis=1)
    new = np.ones(len(order), dtype=bool)
    new[1:] = np.any(keys[1:] != keys[:-1], axis=1)
    key_id = np.cumsum(new) - 1
    K = int(key_id[-1]) + 1
    counts = np.zeros((K, A), dtype=np.int64)
    np.add.at(counts, (key_id, flat_a[order]), 1)
    n_key = counts.sum(axis=1)
    bc_counts = np.zeros((H, S, A), dtype=np.int64)
    np.add.at(bc_counts, (stage, flat_s, flat_a), 1)
    n_hs = bc_counts.sum(axis=2, keepdims=True)
    bc = np.where(n_hs > 0, bc_counts / np.maximum(n_hs, 1), 1.0 / A)
    first = np.flatnonzero(new)
    return RCSLPolicy(
        stages=readonly(stage[order][first].astype(np.int64)),
        states=readonly(flat_s[order][first]),
        returns_to_go=readonly(flat_g[order][first].copy()),
        action_probabilities=readonly(counts / n_key[:, None]),
        key_counts=readonly(n_key),
        behavior_cloning=readonly(bc),
        gamma=g,
        horizon=int(H),
    )


@dataclass(frozen=True, eq=False)
class RCSLValue:
    r"""Result of :func:`rcsl_value`.

    Attributes
    ----------
    value : float
        :math:`\mathbb E[\sum_h \gamma^h r(s_h, a_h)]` of the RCSL policy conditioned on the target, exactly.
    fallback_probability : float
        Probability that the episode meets at least one unlogged key :math:`(h, s_h, g_h)` (where the policy
        falls back to behaviour cloning).
    augmented_states : int
        The largest number of distinct :math:`(s_h, g_h)` of one stage.

    Examples
    --------
    >>> from rltheory.tabular import RCSLValue
    >>> RCSLValue(value=1.0, fallback_probability=0.0, augmented_states=1).value
    1.0
    """

    value: float
    fallback_probability: float
    augmented_states: int


def rcsl_value(mdp: FiniteMDP, policy: RCSLPolicy, target_return=None, *, initial_distribution=None) -> RCSLValue:
    r"""The exact value of the RCSL policy conditioned on ``target_return`` in a finite-horizon model.

    Forward recursion on the law of the augmented state: :math:`(s_0, g_0)` with :math:`s_0 \sim \rho`;
    at stage :math:`h`, :math:`a \sim \hat\pi(\cdot \mid h, s_h, g_h)` (:meth:`RCSLPolicy.action_distribution`),
    reward :math:`r(s_h, a)`, :math:`g_{h+1} = (g_h - r(s_h, a))/\gamma`, :math:`s_{h+1} \sim P(\cdot|s_h, a)`.
    Augmented states with equal :math:`s` and returns within :math:`10^{-12}` are merged. This is the value the
    policy gets when the model's rewards are deterministic (:math:`r(s, a)` is what the agent observes and
    subtracts); it costs one pass per stage over the distinct :math:`(s, g)`, at most ``MAX_AUGMENTED_STATES``.

    Parameters
    ----------
    mdp : FiniteMDP
        Finite horizon equal to the policy's, same ``S``, ``A`` and ``gamma``.
    policy : RCSLPolicy
    target_return : float, optional
        :math:`g_0`. Default: per initial state, the largest return logged from it at stage 0 (the usual "condition
        on the best return in the data"; an initial state never logged at stage 0 gets the fallback throughout).
    initial_distribution : array_like, optional
        :math:`\rho`; default the model's.

    Returns
    -------
    RCSLValue

    Raises
    ------
    ValueError
        On a model that does not match the policy, a missing initial distribution, or too many augmented states.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, OfflineDataset, rcsl_value, return_conditioned_policy
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=1.0, horizon=1, initial_distribution=[1.0])
    >>> d = OfflineDataset([0, 0], [0, 1], [1.0, 0.0], [0, 0], n_states=1, n_actions=2, gamma=1.0, horizon=1,
    ...                    stages=[0, 0], episodes=[0, 1])
    >>> pol = return_conditioned_policy(d)
    >>> rcsl_value(mdp, pol).value, rcsl_value(mdp, pol, 0.0).value, rcsl_value(mdp, pol, 7.0).fallback_probability
    (1.0, 0.0, 1.0)
    """
    if not isinstance(policy, RCSLPolicy):
        raise ValueError(f"rcsl_value needs an RCSLPolicy, got {type(policy).__name__}")
    FiniteMDP.require(mdp, ("finite_horizon",), "rcsl_value")
    H, S, A = policy.horizon, policy.behavior_cloning.shape[1], policy.behavior_cloning.shape[2]
    if (mdp.horizon, mdp.n_states, mdp.n_actions) != (H, S, A):
        raise ValueError(
            f"rcsl_value: the model has (H, S, A) = ({mdp.horizon}, {mdp.n_states}, {mdp.n_actions}), "
            f"the policy ({H}, {S}, {A})"
        )
    if float(mdp.gamma) != policy.gamma:
        raise ValueError(f"rcsl_value: the model's gamma {mdp.gamma!r} is not the policy's {policy.gamma!r}")
    rho = mdp.initial_distribution if initial_distribution is None else initial_distribution
    if rho is None:
        raise ValueError("rcsl_value needs an initial distribution (the model has none; pass initial_distribution=)")
    rho = np.asarray(rho, dtype=float)
    if rho.shape != (S,):
        raise ValueError(f"initial_distribution has shape {rho.shape}, expected ({S},)")
    P, R, gamma = np.asarray(mdp.dense_P), np.asarray(mdp.R), policy.gamma
    if target_return is not None:
        target_return = check_real("target_return", target_return)
    # state: {(s, rounded g): [probability, g, fell back already?]} -- fallback tracked as a separate flag key
    layer = {}
    for s0 in np.flatnonzero(rho > 0):
        if target_return is None:
            at = (policy.stages == 0) & (policy.states == s0)
            g0 = float(policy.returns_to_go[at].max()) if at.any() else np.nan
        else:
            g0 = target_return
        layer[(int(s0), round(g0, 12) if np.isfinite(g0) else "none", False)] = [float(rho[s0]), g0]
    value, fallback, widest = 0.0, 0.0, len(layer)
    for h in range(H):
        nxt = {}
        for (s, _, fell), (p, g) in layer.items():
            if np.isfinite(g):
                probs, matched = policy.action_distribution(h, s, g)
            else:
                probs, matched = policy.behavior_cloning[h, s], False
            now_fell = fell or not matched
            if now_fell and not fell:
                fallback += p
            for a in np.flatnonzero(probs > 0):
                pa = p * float(probs[a])
                value += pa * gamma**h * float(R[s, a])
                if h == H - 1:
                    continue
                g2 = (g - float(R[s, a])) / gamma if np.isfinite(g) else np.nan
                for s2 in np.flatnonzero(P[s, a] > 0):
                    key = (int(s2), round(g2, 12) if np.isfinite(g2) else "none", now_fell)
                    if key in nxt:
                        nxt[key][0] += pa * float(P[s, a, s2])
                    else:
                        nxt[key] = [pa * float(P[s, a, s2]), g2]
        if len(nxt) > MAX_AUGMENTED_STATES:
            raise ValueError(
                f"rcsl_value: {len(nxt)} augmented states (s, g) at stage {h + 1}, more than "
                f"{MAX_AUGMENTED_STATES}: the exact evaluation is for small instances"
            )
        widest = max(widest, len(nxt))
        layer = nxt
    return RCSLValue(value=float(value), fallback_probability=float(fallback), augmented_states=int(widest))
