"""Reward noise around the expected rewards of a finite MDP, for the simulated kinds.

A :class:`FiniteMDP` stores expected rewards ``r(s, a)``; simulated, it pays
exactly them (the default of every problem kind that runs it). Wrapping it as
``NoisyRewards(mdp, noise="bernoulli")`` makes the simulated rewards random
with those means, the noise drawn on the environment's stream of each run (so
agents compared on one seed share it). The wrapper is a problem of its own, so
the reward model is part of the problem's spec, hence of every curve's
metadata and of every experiment's chunk hash; the model itself stays free of
simulation settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import check_choice
from rltheory.tabular._model import FiniteMDP

__all__ = ["NoisyRewards", "continuing_model", "unit_reward_model"]

#: Noise models of :class:`NoisyRewards`.
NOISE_MODELS = ("bernoulli",)


@dataclass(frozen=True, eq=False)
class NoisyRewards:
    r"""A finite MDP whose simulated rewards are random around its expected rewards.

    ``noise="bernoulli"``: the reward of a step in :math:`(s, a)` is
    :math:`r_t \sim \mathrm{Bernoulli}(r(s, a))`, independent of the
    transition given :math:`(s, a)` (so :math:`\mathbb E[r_t] = r(s, a)`: the
    optimal gain and the pseudo-regret are those of ``mdp``; the realized
    regret :math:`T g^* - \sum_t r_t` carries the noise). Needs every allowed
    expected reward in :math:`[0, 1]`.

    Parameters
    ----------
    mdp : FiniteMDP
    noise : {"bernoulli"}

    Attributes
    ----------
    n_states, n_actions : int
        Those of ``mdp``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, NoisyRewards
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.25, 0.75]]), gamma=1.0)
    >>> NoisyRewards(mdp).to_spec()["noise"], NoisyRewards(mdp).n_actions
    ('bernoulli', 2)
    >>> NoisyRewards(FiniteMDP(np.ones((1, 1, 1)), np.array([[2.0]]), gamma=1.0))
    Traceback (most recent call last):
    ...
    ValueError: NoisyRewards(noise='bernoulli') needs expected rewards in [0, 1]; r(0, 0) = 2.0
    """

    mdp: FiniteMDP
    noise: str = "bernoulli"

    def __post_init__(self):
        if not isinstance(self.mdp, FiniteMDP):
            raise ValueError(f"NoisyRewards wraps a FiniteMDP, got {type(self.mdp).__name__}")
        check_choice("noise", self.noise, NOISE_MODELS)
        R = np.asarray(self.mdp.R)
        bad = np.asarray(self.mdp.action_mask) & ((R < 0.0) | (R > 1.0))
        if bad.any():
            s, a = (int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"NoisyRewards(noise={self.noise!r}) needs expected rewards in [0, 1]; r({s}, {a}) = {float(R[s, a])!r}"
            )

    @property
    def n_states(self) -> int:
        """Number of states of the wrapped model.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP, NoisyRewards
        >>> mdp = FiniteMDP(np.full((2, 3, 2), 0.5), np.full((2, 3), 0.5), gamma=1.0)
        >>> NoisyRewards(mdp).n_states
        2
        """
        return self.mdp.n_states

    @property
    def n_actions(self) -> int:
        """Number of actions of the wrapped model.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP, NoisyRewards
        >>> mdp = FiniteMDP(np.full((2, 3, 2), 0.5), np.full((2, 3), 0.5), gamma=1.0)
        >>> NoisyRewards(mdp).n_actions
        3
        """
        return self.mdp.n_actions

    def to_spec(self) -> dict:
        """``{"type": "NoisyRewards", "noise": ..., "mdp": mdp.to_spec()}``.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP, NoisyRewards
        >>> mdp = FiniteMDP(np.full((2, 3, 2), 0.5), np.full((2, 3), 0.5), gamma=1.0)
        >>> spec = NoisyRewards(mdp).to_spec()
        >>> spec["type"], spec["noise"], spec["mdp"] == mdp.to_spec()
        ('NoisyRewards', 'bernoulli', True)
        """
        return {"type": "NoisyRewards", "noise": self.noise, "mdp": self.mdp.to_spec()}


def continuing_model(problem) -> FiniteMDP:
    """The :class:`FiniteMDP` of a simulated problem: ``problem`` itself, or the model a :class:`NoisyRewards` wraps."""
    return problem.mdp if isinstance(problem, NoisyRewards) else problem


def unit_reward_model(problem, who: str) -> FiniteMDP:
    """The model of a simulated problem, after checking that its allowed expected rewards lie in [0, 1].

    For the learners whose confidence sets or priors assume rewards in [0, 1] (UCRL2, TSDE); ``who`` names the
    agent in the message.
    """
    mdp = continuing_model(problem)
    R = np.asarray(mdp.R)
    bad = np.asarray(mdp.action_mask) & ((R < 0.0) | (R > 1.0))
    if bad.any():
        s, a = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{who} assumes rewards in [0, 1]; r({s}, {a}) = {float(R[s, a])!r} (rescale the rewards)")
    return mdp
