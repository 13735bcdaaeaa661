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
    first_success : callable or None
        ``first_success(cfg) -> (series, size, goal_state)`` for experiments
        that measure *episodes to first success* (the first episode in which a
        goal state was visited, ``RegretCurve.first_visit[:, goal_state]``):
        the figure then has a panel of that number (median over runs, with
        quartiles) against the problem size, one line per series, and
        ``rltheory reproduce`` writes it to ``first_success.csv``.

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
    first_success: Callable | None = None

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
    adversary = b.SequenceBandit.adversarial(budget, 4, seed=20020101)
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


def _episodic_garnet_configs(budget):
    import numpy as np

    from rltheory import tabular
    from rltheory.tabular.envs import garnet

    g = garnet(10, 3, 3, rng=np.random.SeedSequence([2017, 10, 3]), reward="state-action")
    H = 10
    rho = np.full(10, 0.1)
    mdp = tabular.FiniteMDP(g.P, g.R, gamma=1.0, horizon=H, initial_distribution=rho)
    # MVP assumes total reward <= 1 per episode: the same garnet with rewards / H (its regret is 1/H of the regret
    # of the same policies on the unscaled garnet), in its own panel
    scaled = tabular.FiniteMDP(g.P, g.R / H, gamma=1.0, horizon=H, initial_distribution=rho)
    agents = (
        ("UCBVI-CH", tabular.UCBVI(bonus="hoeffding")),
        ("UCBVI-BF", tabular.UCBVI(bonus="bernstein")),
        ("Q-learning UCB-H", tabular.QLearningUCB(bonus="hoeffding")),
        ("Q-learning UCB-B", tabular.QLearningUCB(bonus="bernstein")),
        ("PSRL", tabular.PSRL()),
        ("RLSVI", tabular.RLSVI()),
    )
    configs = [ExperimentConfig(label, mdp, agent) for label, agent in agents]
    configs.append(ExperimentConfig("MVP (rewards / H)", scaled, tabular.MVP()))
    return tuple(configs)


#: Depths of the deep-sea reproduction: dithering needs ~4^N episodes, so it gets the small ones.
DEEP_SEA_DITHER_SIZES = (2, 3, 4, 5, 6)
DEEP_SEA_SIZES = (4, 6, 8, 10)


def _deep_sea_configs(budget):
    from rltheory import tabular
    from rltheory.tabular.envs import deep_sea

    configs = []
    for N in DEEP_SEA_DITHER_SIZES:
        configs.append(ExperimentConfig(f"eps-greedy Q (eps=0.5) N={N}", deep_sea(N, rng=N),
                                        tabular.EpsilonGreedyQ(epsilon=0.5)))
    for N in DEEP_SEA_SIZES:
        mdp = deep_sea(N, rng=N)
        configs.append(ExperimentConfig(f"PSRL N={N}", mdp, tabular.PSRL()))
        configs.append(ExperimentConfig(f"RLSVI N={N}", mdp, tabular.RLSVI()))
        configs.append(ExperimentConfig(f"UCBVI-CH x0.01 N={N}", mdp, tabular.UCBVI(bonus_scale=0.01)))
    return tuple(configs)


def _deep_sea_first_success(cfg):
    from rltheory.tabular.envs import deep_sea_treasure

    series, size = cfg.name.rsplit(" N=", 1)
    return series, int(size), deep_sea_treasure(int(size))


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
            name="episodic-garnet",
            description="UCBVI-CH/BF, Q-learning UCB-H/B, PSRL, RLSVI (and MVP on the same garnet with rewards / H, "
            "its setting) on a garnet with S=10, A=3 (branching 3), H=10, the papers' constants: exact regret "
            "sum_k rho^T (V*_1 - V^pi_k_1) vs episodes K, log-log, with a sqrt(K) reference slope, UCBVI's Thm 1-2 "
            "bounds and the minimax lower-bound rate. With the papers' constants the Hoeffding variants stay in "
            "their linear burn-in (their bonuses exceed H for thousands of visits per pair)",
            citation="Azar, Osband & Munos (2017), ICML, Thms 1-2; Jin, Allen-Zhu, Bubeck & Jordan (2018), NeurIPS, "
            "Thms 1-2; Osband, Russo & Van Roy (2013), NeurIPS, Thm 1; Osband, Van Roy & Wen (2016), ICML; Zhang, "
            "Ji & Du (2021), COLT, Thm 1; Domingues, Menard, Kaufmann & Valko (2021), ALT (lower bound)",
            build_configs=_episodic_garnet_configs,
            budget=10_000,
            n_runs=16,
            full_budget=100_000,
            full_runs=100,
            overlays=("sqrt-t", "episodic-bounds"),
            log_x=True,
            log_y=True,
        ),
        Reproduction(
            name="deep-sea",
            description="Deep sea (bsuite) of depth N: episodes to first reach the treasure (median over runs, "
            "quartiles) vs N for dithering (epsilon-greedy Q-learning, eps = 0.5, N = 2..6: exponential, ~4^N) and "
            "deep exploration (PSRL, RLSVI, and UCBVI-CH with bonus x0.01, N = 4..10: polynomial); runs that never "
            "succeed within the budget are plotted at the budget (censored). Regret panels per instance are "
            "replaced by this panel",
            citation="Osband et al. (2020), Behaviour suite for reinforcement learning, ICLR (deep sea); Osband, Van "
            "Roy, Russo & Wen (2019), Deep exploration via randomized value functions, JMLR 20(124), Sec. 2",
            build_configs=_deep_sea_configs,
            budget=5_000,
            n_runs=8,
            full_budget=50_000,
            full_runs=50,
            log_y=True,
            first_success=_deep_sea_first_success,
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
        deep-sea, episodic-garnet, linear-bandit, linear-mdp
    """
    try:
        return CATALOGUE[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown reproduction {name!r}; known: {', '.join(sorted(CATALOGUE))}") from None
