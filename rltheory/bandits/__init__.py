"""rltheory.bandits: bandit instances, compiled policies, the simulation engine and theory curves.

>>> from rltheory.bandits import BernoulliBandit, KLUCB, simulate, lai_robbins_constant
>>> bandit = BernoulliBandit([0.9, 0.8])
>>> round(lai_robbins_constant(bandit), 3)
2.252
"""

from ._curve import RegretCurve, SlopeFit
from ._engine import checkpoint_times, simulate
from ._instances import (
    BernoulliBandit,
    BoundedBandit,
    GaussianBandit,
    SequenceBandit,
    bandit_from_spec,
    bernoulli_kl,
    gaussian_kl,
)
from ._policies import (
    EXP3,
    EXP3IX,
    IMED,
    KLUCB,
    MOSS,
    UCB1,
    UCBV,
    BayesUCB,
    EpsilonGreedy,
    ExploreThenCommit,
    KLUCBPlus,
    Policy,
    ThompsonSampling,
    TsallisINF,
    policy_from_spec,
)
from ._rng import rng_beta, rng_gamma, rng_integers, rng_normal, rng_uniform, rng_uniform_open
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
    "BayesUCB",
    "BernoulliBandit",
    "BoundedBandit",
    "EXP3",
    "EXP3IX",
    "EpsilonGreedy",
    "ExploreThenCommit",
    "GaussianBandit",
    "IMED",
    "KLUCB",
    "KLUCBPlus",
    "MOSS",
    "Policy",
    "RegretCurve",
    "SequenceBandit",
    "SlopeFit",
    "ThompsonSampling",
    "TsallisINF",
    "UCB1",
    "UCBV",
    "bandit_from_spec",
    "bernoulli_kl",
    "checkpoint_times",
    "exp3_regret_bound",
    "gaussian_kl",
    "klucb_regret_bound",
    "lai_robbins_constant",
    "lai_robbins_curve",
    "minimax_lower_bound",
    "moss_regret_bound",
    "policy_from_spec",
    "rng_beta",
    "rng_gamma",
    "rng_integers",
    "rng_normal",
    "rng_uniform",
    "rng_uniform_open",
    "simulate",
    "ucb1_regret_bound",
]
