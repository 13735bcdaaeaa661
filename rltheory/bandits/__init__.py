"""rltheory.bandits: bandit instances, bandit agents (policies) and theory curves.

Instances (:class:`BernoulliBandit`, :class:`GaussianBandit`,
:class:`BoundedBandit`, :class:`SequenceBandit`) are problems of the
``"bandit"`` kind of :func:`rltheory.simulation.simulate`; policies are
:class:`BanditAgent` records (UCB1, KL-UCB, Thompson sampling, EXP3, ...)
compiled into the engine, and a user policy is written the same way.
Divergences and KL-UCB indices (:func:`bernoulli_kl`, :func:`klucb_bernoulli`,
...) are compiled and callable from Python and from agents.

>>> from rltheory.bandits import BernoulliBandit, KLUCB, lai_robbins_constant
>>> from rltheory.simulation import simulate
>>> bandit = BernoulliBandit([0.9, 0.8])
>>> round(lai_robbins_constant(bandit), 3)
2.252
>>> simulate(bandit, KLUCB(), n_rounds=1000, n_runs=4, seed=0).regret.shape[0]
4
"""

from . import _engine  # noqa: F401  (registers the "bandit" problem kind)
from ._bai_agents import KLLUCB, LUCB, LilUCB, TopTwoThompson, TrackAndStop, glr_threshold
from ._bayes_optimal import BayesOptimalPolicy, bayes_optimal_policy, index_policy_value
from ._characteristic_time import OptimalWeights, bai_lower_bound, characteristic_time, optimal_weights
from ._fixed_budget import (
    SequentialHalving,
    SuccessiveRejects,
    hardness_h1,
    hardness_h2,
    sequential_halving_error_bound,
    successive_rejects_error_bound,
)
from ._gittins import GittinsIndex, gittins_index
from ._identification import (
    FixedBudgetProblem,
    IdentificationAgent,
    IdentificationProblem,
    IdentificationResult,
    clopper_pearson,
    plot_error_rates,
    plot_stopping_times,
)
from ._instances import BernoulliBandit, BoundedBandit, GaussianBandit, SequenceBandit, bandit_from_spec
from ._kl import (
    bernoulli_kl,
    exponential_kl,
    gaussian_kl,
    kllcb_bernoulli,
    kllcb_gaussian,
    klucb_bernoulli,
    klucb_exponential,
    klucb_gaussian,
    klucb_poisson,
    poisson_kl,
)
from ._policies import (
    EXP3,
    EXP3IX,
    IMED,
    KLUCB,
    MOSS,
    UCB1,
    UCBV,
    BanditAgent,
    BayesUCB,
    EpsilonGreedy,
    ExploreThenCommit,
    KLUCBPlus,
    ThompsonSampling,
    TsallisINF,
)
from ._theory import (
    exp3_regret_bound,
    klucb_regret_bound,
    lai_robbins_constant,
    lai_robbins_curve,
    minimax_lower_bound,
    moss_regret_bound,
    ucb1_regret_bound,
)

__all__ = [
    "BanditAgent",
    "BayesOptimalPolicy",
    "BayesUCB",
    "BernoulliBandit",
    "BoundedBandit",
    "EXP3",
    "EXP3IX",
    "EpsilonGreedy",
    "ExploreThenCommit",
    "FixedBudgetProblem",
    "GaussianBandit",
    "GittinsIndex",
    "IMED",
    "IdentificationAgent",
    "IdentificationProblem",
    "IdentificationResult",
    "KLLUCB",
    "KLUCB",
    "KLUCBPlus",
    "LUCB",
    "LilUCB",
    "MOSS",
    "OptimalWeights",
    "SequenceBandit",
    "SequentialHalving",
    "SuccessiveRejects",
    "ThompsonSampling",
    "TopTwoThompson",
    "TrackAndStop",
    "TsallisINF",
    "UCB1",
    "UCBV",
    "bai_lower_bound",
    "bandit_from_spec",
    "bayes_optimal_policy",
    "bernoulli_kl",
    "characteristic_time",
    "clopper_pearson",
    "exp3_regret_bound",
    "exponential_kl",
    "gaussian_kl",
    "gittins_index",
    "glr_threshold",
    "hardness_h1",
    "hardness_h2",
    "index_policy_value",
    "kllcb_bernoulli",
    "kllcb_gaussian",
    "klucb_bernoulli",
    "klucb_exponential",
    "klucb_gaussian",
    "klucb_poisson",
    "klucb_regret_bound",
    "lai_robbins_constant",
    "lai_robbins_curve",
    "minimax_lower_bound",
    "moss_regret_bound",
    "optimal_weights",
    "plot_error_rates",
    "plot_stopping_times",
    "poisson_kl",
    "sequential_halving_error_bound",
    "successive_rejects_error_bound",
    "ucb1_regret_bound",
]
