r"""Average-reward policies from a generative model by reduction to a discounted MDP.

Wang, Blanchet & Glynn (2023) learn an :math:`\varepsilon`-gain-optimal policy of
a uniformly ergodic average-reward MDP from
:math:`\tilde O(S A\, t_{mix}\, \varepsilon^{-2})` generative samples, the
optimal rate: solve the *discounted* plug-in model with
:math:`1 - \gamma` of order :math:`\varepsilon / t_{mix}` (their Theorem 1, via
the perturbed model-based planning of Li et al. 2020) and return its optimal
policy.

**Why the reduction is sound** (derived here, for unichain policies). With gain
:math:`g^\pi` and bias :math:`h^\pi` (:func:`~rltheory.tabular.gain_and_bias`),
:math:`(I - \gamma P^\pi)(g^\pi/(1-\gamma) + h^\pi) = r^\pi + (1-\gamma) P^\pi h^\pi`,
so :math:`v^\pi_\gamma = g^\pi/(1-\gamma) + h^\pi - (1-\gamma)(I - \gamma P^\pi)^{-1} P^\pi h^\pi`;
the last term is a stochastic matrix applied to :math:`h^\pi`, hence

.. math:: |(1-\gamma) v^\pi_\gamma(s) - g^\pi| \le (1-\gamma)\, \mathrm{span}(h^\pi),

and for the :math:`\gamma`-discounted optimal policy :math:`\pi_\gamma`,
:math:`g^\star - g^{\pi_\gamma} \le (1-\gamma)\big(\mathrm{span}(h^{\pi^\star}) + \mathrm{span}(h^{\pi_\gamma})\big)`.
Since :math:`\mathrm{span}(h^\pi) = O(t_{mix})` for uniformly ergodic models,
:math:`1 - \gamma = \varepsilon / t_{mix}` makes this bias :math:`O(\varepsilon)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import as_generator, check_real, readonly
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._policy_iteration import policy_iteration
from rltheory.tabular._samples import EmpiricalModel, GenerativeSamples, empirical_mdp

__all__ = ["AverageRewardReductionResult", "average_reward_reduction"]


@dataclass(frozen=True, eq=False)
class AverageRewardReductionResult:
    r"""Result of :func:`average_reward_reduction`.

    Attributes
    ----------
    policy : numpy.ndarray of int64, shape (S,)
        The learned policy: optimal for the discounted (perturbed) plug-in model.
    gamma : float
        The discount of the reduction, :math:`1 - \varepsilon / t_{mix}`.
    v : numpy.ndarray, shape (S,)
        The optimal discounted values of the plug-in model (:math:`(1-\gamma) v` estimates the gain).
    model : EmpiricalModel
        The discounted plug-in model that was solved.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, average_reward_reduction, generative_samples
    >>> P = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0.1, 0.9]]])
    >>> mdp = FiniteMDP(P, np.array([[0.0, 0.5], [1.0, 0.2]]), gamma=1.0)
    >>> res = average_reward_reduction(generative_samples(mdp, 2000, rng=0), epsilon=0.05, mixing_time=5.0)
    >>> res.gamma, res.policy.tolist()  # the gain-optimal policy (1, 0): gain 21/26
    (0.99, [1, 0])
    """

    policy: np.ndarray
    gamma: float
    v: np.ndarray
    model: EmpiricalModel


def average_reward_reduction(
    samples, *, epsilon: float, mixing_time: float, reward_perturbation: float = 0.0, rng=None
) -> AverageRewardReductionResult:
    r"""Learn an average-reward policy: solve the discounted plug-in model with :math:`1-\gamma = \varepsilon/t_{mix}`.

    The reduction of Wang, Blanchet & Glynn (2023, Theorem 1): from generative samples of an average-reward
    model, build the plug-in model :math:`(\hat P, r)`, give it the discount
    :math:`\gamma = 1 - \varepsilon/t_{mix}`, optionally perturb the rewards by i.i.d.
    :math:`U[0, \xi]` (Li et al. 2020, as in
    :func:`~rltheory.tabular.model_based_planning`), and return its optimal policy
    (:func:`~rltheory.tabular.policy_iteration`). With
    :math:`n = \tilde O(t_{mix}/\varepsilon^2)` samples per pair the returned policy is
    :math:`\varepsilon`-gain-optimal with high probability. The bias of the reduction itself is bounded in the
    module docstring.

    Parameters
    ----------
    samples : GenerativeSamples
        Of an infinite-horizon model (``gamma = 1``, an average-reward model).
    epsilon : float
        Target gain accuracy, ``0 < epsilon < mixing_time``.
    mixing_time : float
        :math:`t_{mix}` (an upper bound on the mixing times of the model's policies, e.g. from
        :func:`~rltheory.tabular.mixing_time`).
    reward_perturbation : float
        :math:`\xi \ge 0`.
    rng : numpy.random.Generator, int, SeedSequence or None

    Returns
    -------
    AverageRewardReductionResult

    References
    ----------
    S. Wang, J. Blanchet, P. Glynn, "Optimal sample complexity for average reward Markov decision processes",
    ICLR 2024 (arXiv:2310.08833), Theorem 1. G. Li, Y. Wei, Y. Chi, Y. Gu, Y. Chen, "Breaking the sample size
    barrier in model-based reinforcement learning with a generative model", NeurIPS 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import (FiniteMDP, average_reward_policy_iteration, average_reward_reduction,
    ...                               gain_and_bias, generative_samples)
    >>> P = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0.1, 0.9]]])
    >>> mdp = FiniteMDP(P, np.array([[0.0, 0.5], [1.0, 0.2]]), gamma=1.0)
    >>> res = average_reward_reduction(generative_samples(mdp, 5000, rng=1), epsilon=0.02, mixing_time=4.0)
    >>> g_star = average_reward_policy_iteration(mdp).gain
    >>> bool(np.max(g_star - gain_and_bias(mdp, res.policy).gain) <= 0.02)
    True
    """
    if not isinstance(samples, GenerativeSamples):
        raise ValueError(f"average_reward_reduction needs GenerativeSamples, got {type(samples).__name__}")
    if samples.gamma != 1.0 or samples.horizon is not None or samples.terminal_states is not None:
        raise ValueError(
            "average_reward_reduction needs samples of an average-reward model (gamma = 1, no horizon, no terminal "
            f"states); these have gamma = {samples.gamma!r}: use model_based_planning for discounted models"
        )
    t = check_real("mixing_time", mixing_time, low=0.0, low_open=True)
    eps = check_real("epsilon", epsilon, low=0.0, high=t, low_open=True, high_open=True)
    xi = check_real("reward_perturbation", reward_perturbation, low=0.0)
    gamma = 1.0 - eps / t
    model = empirical_mdp(samples)
    emp = model.mdp
    R = np.asarray(emp.R, dtype=float)
    if xi > 0:
        R = R + as_generator(rng).uniform(0.0, xi, R.shape) * np.asarray(emp.action_mask)
    disc = FiniteMDP(emp.P, R, gamma=gamma, action_mask=emp.action_mask if emp.has_action_mask else None)
    sol = policy_iteration(disc)
    return AverageRewardReductionResult(
        policy=sol.policy,
        gamma=float(gamma),
        v=readonly(np.array(sol.v)),
        model=EmpiricalModel(mdp=disc, counts=model.counts, visited=model.visited),
    )
