"""The catalogue of named paper reproductions behind ``rltheory reproduce NAME``.

Each :class:`Reproduction` records what to simulate (a builder of
:class:`ExperimentConfig` s for a given budget), where it comes from, the
default size (chosen so that the default run is a coffee break on a laptop)
and the paper's full size, and which theory curves to overlay on the plot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rltheory.experiments._records import ExperimentConfig

__all__ = ["Reproduction", "CATALOGUE", "get_reproduction"]


@dataclass(frozen=True)
class Reproduction:
    """A named, cited experiment.

    Attributes
    ----------
    name : str
        Command-line name (``rltheory reproduce NAME``).
    description : str
        One line: what is simulated and what the figure shows.
    citation : str
        The paper, with the figure / section reproduced.
    build_configs : callable
        ``build_configs(budget) -> tuple of ExperimentConfig`` (the budget is
        needed by instances that are a reward table of that length).
    budget, n_runs : int
        Default size.
    full_budget, full_runs : int
        The full setting, reached with ``--budget`` / ``--runs``: the longest
        budget of the reproduced figure and enough runs for tight confidence
        bands (the run counts are this package's choice, not the paper's).
    overlays : tuple of str
        Theory curves drawn on the plot (keys of
        :data:`rltheory.experiments._plots.OVERLAYS`).
    log_x, log_y : bool
        Logarithmic time / regret axis.
    panels : {"instance", "single"}
        One plot panel per problem instance, or one panel for all.
    final_vs_dim : bool
        Add a panel of the final regret against the dimension ``d``.
    final_boxplot : bool
        Add a panel of boxplots of the regret at the end of the runs, one box per
        configuration (the distribution over runs, not only its mean).
    also_linear : bool
        Draw the curve panels a second time on linear axes.

    Examples
    --------
    >>> rep = get_reproduction("bernoulli-two-arms")
    >>> rep.overlays, rep.log_x
    (('lai-robbins',), True)
    """

    name: str
    description: str
    citation: str
    build_configs: Callable
    budget: int
    n_runs: int
    full_budget: int
    full_runs: int
    overlays: tuple = ()
    log_x: bool = False
    log_y: bool = False
    panels: str = "instance"
    final_vs_dim: bool = False
    final_boxplot: bool = False
    also_linear: bool = False

    def configs(self, budget=None):
        """The configurations for ``budget`` (default :attr:`budget`).

        Examples
        --------
        >>> [c.name for c in get_reproduction("bernoulli-two-arms").configs()][:3]
        ['UCB1', 'UCBV', 'MOSS']
        """
        return tuple(self.build_configs(self.budget if budget is None else budget))


def _bernoulli_policies():
    """The index and Bayesian policies that apply to Bernoulli rewards in [0, 1]."""
    from rltheory import bandits as b

    return (
        b.UCB1(),
        b.UCBV(),
        b.MOSS(),
        b.KLUCB(),
        b.KLUCBPlus(),
        b.ThompsonSampling(),
        b.BayesUCB(),
        b.IMED(),
    )


def _bernoulli_configs(means):
    def build(budget):
        from rltheory import bandits as b

        bandit = b.BernoulliBandit(means)
        return tuple(ExperimentConfig(p.name, bandit, p) for p in _bernoulli_policies())

    return build


def _adversarial_configs(budget):
    from rltheory import bandits as b

    stochastic = b.BernoulliBandit((0.5, 0.45, 0.45, 0.4))
    # Oblivious piecewise-stationary table, fixed seed: the same adversary for every run.
    adversary = b.SequenceBandit.adversarial(budget, 4, rng=20020101)
    configs = []
    for label, bandit in (("stochastic", stochastic), ("adversarial", adversary)):
        for p in (b.EXP3(), b.EXP3IX(), b.TsallisINF()):
            configs.append(ExperimentConfig(f"{p.name} ({label})", bandit, p))
    return tuple(configs)


def _linear_bandit_configs(budget):
    import numpy as np

    from rltheory import linear

    configs = []
    for n_arms in (50, 1000):
        for dim in (5, 10, 20):
            # a fixed instance per (d, K): arms and theta uniform on the unit sphere, N(0, 1) noise
            bandit = linear.LinearBandit.random(
                dim, n_arms, noise_sigma=1.0, rng=np.random.SeedSequence([2011, dim, n_arms])
            )
            configs.append(ExperimentConfig(f"LinUCB d={dim} K={n_arms}", bandit, linear.LinUCB()))
    return tuple(configs)


def _linear_mdp_configs(budget):
    import numpy as np

    from rltheory import linear

    configs = []
    for dim, episode_length in ((5, 5), (10, 5)):
        mdp = linear.LinearMDP.random(
            20, 4, dim, horizon=episode_length, rng=np.random.SeedSequence([2020, dim, episode_length])
        )
        for agent in (linear.LSVIUCB(beta=0.5), linear.LMCLSVI(inverse_temperature=10.0, n_langevin_steps=20)):
            configs.append(ExperimentConfig(f"{agent.name} d={dim} H={episode_length}", mdp, agent))
    return tuple(configs)


def _riverswim_configs(budget):
    from rltheory import tabular
    from rltheory.tabular.envs import river_swim

    mdp = river_swim(6, gamma=1, variant="osband")
    return (
        ExperimentConfig("UCRL2 (delta=0.05)", mdp, tabular.UCRL2(delta=0.05)),
        ExperimentConfig("PSRL / TSDE", mdp, tabular.PSRLAverageReward()),
    )


def _dueling_configs(budget):
    from rltheory import bandits as b

    bt = b.BradleyTerry((1.0, 0.6, 0.3, 0.0, -0.4))
    # a Condorcet winner (0 beats every arm with probability 0.6) above a preference cycle 1 > 2 > 3 > 1 (0.9)
    cyclic = b.PreferenceMatrix([[0.5, 0.6, 0.6, 0.6],
                                 [0.4, 0.5, 0.9, 0.1],
                                 [0.4, 0.1, 0.5, 0.9],
                                 [0.4, 0.9, 0.1, 0.5]])
    configs = []
    for label, problem in (("Bradley-Terry", bt), ("cyclic", cyclic)):
        for agent in (b.RUCB(), b.RMED(), b.DoubleThompson(), b.MaxMinLCB()):
            configs.append(ExperimentConfig(f"{agent.name} ({label})", problem, agent))
    return tuple(configs)


CATALOGUE = {
    rep.name: rep
    for rep in (
        Reproduction(
            name="bernoulli-two-arms",
            description="Two Bernoulli arms (0.9, 0.8), T = 5000: mean regret of UCB1, UCB-V, MOSS, KL-UCB, KL-UCB+, "
            "Thompson sampling, Bayes-UCB and IMED against the Lai-Robbins lower bound (log time axis), and boxplots "
            "of the regret at T over the runs. This is Garivier & Cappe's Fig. 1 scaled by the gap: their panels show "
            "the draws N_2(n) of the suboptimal arm (mean vs n, boxplots at n = 5000, 50,000 runs); with two arms "
            "the pseudo-regret is 0.1 N_2(n). Policies in common with Fig. 1: UCB, MOSS, UCB-V, KL-UCB (it also has "
            "UCB-Tuned and DMED; KL-UCB+, Thompson sampling, Bayes-UCB and IMED are added here). The Lai-Robbins "
            "bound is asymptotic: at T = 5000 the best policies lie below it",
            citation="Garivier & Cappe (2011), The KL-UCB algorithm for bounded stochastic bandits and beyond, "
            "COLT, JMLR W&CP 19:359-376 (arXiv:1102.2490), Sec. 6, scenario 1 and Fig. 1; Lai & Robbins (1985), "
            "Thm 2",
            build_configs=_bernoulli_configs((0.9, 0.8)),
            budget=5_000,
            n_runs=100,
            full_budget=5_000,
            full_runs=50_000,
            overlays=("lai-robbins",),
            log_x=True,
            final_boxplot=True,
        ),
        Reproduction(
            name="bernoulli-ten-arms",
            description="Ten Bernoulli arms with low means (0.1, 0.05 x3, 0.02 x3, 0.01 x3): the same policies "
            "against the Lai-Robbins lower bound, log time axis",
            citation="Garivier & Cappe (2011), The KL-UCB algorithm for bounded stochastic bandits and beyond, "
            "COLT, JMLR W&CP 19:359-376, Sec. 6, scenario 2 and Fig. 2; Lai & Robbins (1985), Thm 2",
            build_configs=_bernoulli_configs((0.1, 0.05, 0.05, 0.05, 0.02, 0.02, 0.02, 0.01, 0.01, 0.01)),
            budget=20_000,
            n_runs=100,
            full_budget=100_000,
            full_runs=5_000,
            overlays=("lai-robbins",),
            log_x=True,
        ),
        Reproduction(
            name="adversarial",
            description="EXP3, EXP3-IX and Tsallis-INF on a stochastic 4-armed Bernoulli instance and on an "
            "oblivious piecewise-stationary reward table, with the sqrt(T K log K) EXP3 bound",
            citation="Auer, Cesa-Bianchi, Freund & Schapire (2002), The nonstochastic multiarmed bandit problem, "
            "SIAM J. Comput. 32(1), Cor. 3.2; Neu (2015), NeurIPS, Thm 1; Zimmert & Seldin (2021), "
            "Tsallis-INF, JMLR 22(28), Thm 1",
            build_configs=_adversarial_configs,
            budget=10_000,
            n_runs=50,
            full_budget=100_000,
            full_runs=500,
            overlays=("exp3-bound",),
            log_x=False,
        ),
        Reproduction(
            name="linear-bandit",
            description="LinUCB (OFUL, theoretical radius, delta = 0.01) on random unit-sphere linear bandits, "
            "d in {5, 10, 20}, K in {50, 1000}, N(0, 1) noise: log-log regret vs T with a sqrt(T) reference slope "
            "(the theoretical radius gives a long burn-in: the last-decade slope approaches 1/2 from above as T "
            "grows) and final regret vs d (growing about linearly in d)",
            citation="Abbasi-Yadkori, Pal & Szepesvari (2011), Improved algorithms for linear stochastic bandits, "
            "NeurIPS, Thm 2 (confidence ellipsoid) and Thm 3 (regret O(d sqrt(T) log T))",
            build_configs=_linear_bandit_configs,
            budget=20_000,
            n_runs=12,
            full_budget=100_000,
            full_runs=100,
            overlays=("sqrt-t",),
            log_x=True,
            log_y=True,
            panels="single",
            final_vs_dim=True,
        ),
        Reproduction(
            name="dueling-bandits",
            description="RUCB, RMED1, Double Thompson sampling and MaxMinLCB on a 5-arm Bradley-Terry problem and on a "
            "4-arm problem whose Condorcet winner sits above a preference cycle: mean strong regret "
            "(Delta_a + Delta_b)/2 per duel (log time axis) against the asymptotic lower bound of Komiyama et al., "
            "which the optimal algorithms approach; the weak regret is kept in each curve's regret_variants",
            citation="Komiyama, Honda, Kashima & Nakagawa (2015), Regret lower bound and optimal algorithm in dueling "
            "bandit problem, COLT, Thm 2 and Sec. 6; Zoghi, Whiteson, Munos & de Rijke (2014), ICML, Alg. 1; Wu & Liu "
            "(2016), NeurIPS, Alg. 1; Pasztor, Kassraie & Krause (2024), NeurIPS, Alg. 1",
            build_configs=_dueling_configs,
            budget=10_000,
            n_runs=50,
            full_budget=100_000,
            full_runs=500,
            overlays=("dueling-lower-bound",),
            log_x=True,
        ),
        Reproduction(
            name="linear-mdp",
            description="LSVI-UCB (beta = 0.5) and LMC-LSVI (inverse temperature 10, 20 Langevin steps) on random "
            "low-rank linear MDPs (S = 20, A = 4, d in {5, 10}, H = 5); the budget counts episodes and the regret "
            "sum_k V*_1 - V^pi_k_1 is exact: log-log regret vs episodes with a sqrt(K) reference slope",
            citation="Jin, Yang, Wang & Jordan (2020), Provably efficient reinforcement learning with linear function "
            "approximation, COLT, Thm 3.1; Ishfaq, Lan, Xu, Mahmood, Precup, Anandkumar & Azizzadenesheli (2024), "
            "Provable and practical: efficient exploration in reinforcement learning via Langevin Monte Carlo, ICLR, "
            "Thm 4.2",
            build_configs=_linear_mdp_configs,
            budget=5_000,
            n_runs=8,
            full_budget=20_000,
            full_runs=50,
            overlays=("sqrt-t",),
            log_x=True,
            log_y=True,
        ),
        Reproduction(
            name="riverswim",
            description="UCRL2 (the paper's confidence radii, delta = 0.05) and posterior sampling with dynamic "
            "episodes (TSDE: Dirichlet(1) transition and Beta(1, 1) reward priors) on RiverSwim with 6 states "
            "(Osband et al.'s parameters, rewards in [0, 1]) run as one continuing average-reward task: the regret "
            "T g* - sum r_t on log-log and linear axes, with UCRL2's Thm 2 bound (D = 106045/7203 = 14.72, computed exactly) and Jaksch et "
            "al.'s minimax lower bound 0.015 sqrt(D S A T) drawn for scale (its conditions S, A >= 10 do not hold). "
            "As in Osband et al.'s comparison, posterior sampling's regret is far below UCRL2's, which is still "
            "exploring at these horizons (its L1 radii stay near 1 until each pair has ~1e5 visits)",
            citation="Osband, Russo & Van Roy (2013), (More) efficient reinforcement learning via posterior sampling, "
            "NeurIPS, simulation results (RiverSwim, PSRL vs UCRL2; episodic there, continuing here); Jaksch, Ortner "
            "& Auer (2010), JMLR 11, Algorithm 1, Thms 2 and 5; Ouyang, Gagrani, Nayyar & Jain (2017), NeurIPS, "
            "Algorithm 1 (TSDE)",
            build_configs=_riverswim_configs,
            budget=100_000,
            n_runs=20,
            full_budget=1_000_000,
            full_runs=100,
            overlays=("ucrl2-bound", "ucrl2-lower-bound"),
            log_x=True,
            log_y=True,
            panels="single",
            also_linear=True,
        ),
    )
}


def get_reproduction(name):
    """The catalogue entry ``name``.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known ones.

    Examples
    --------
    >>> get_reproduction("nope")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    ValueError: unknown reproduction 'nope'; known: adversarial, bernoulli-ten-arms, bernoulli-two-arms,
        dueling-bandits, linear-bandit, linear-mdp, riverswim
    """
    try:
        return CATALOGUE[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown reproduction {name!r}; known: {', '.join(sorted(CATALOGUE))}") from None
