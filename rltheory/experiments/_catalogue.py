"""The catalogue of named paper reproductions behind ``rltheory reproduce NAME``.

Each :class:`Reproduction` records what to simulate (a builder of
:class:`ExperimentConfig` s for a given budget), where it comes from, the
default size (chosen so that the default run is a coffee break on a laptop)
and the paper's full size, and which theory curves to overlay on the plot.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rltheory.experiments._records import ExperimentConfig
from rltheory.experiments._studies import Study

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
    build_configs : callable or None
        ``build_configs(budget) -> tuple of ExperimentConfig`` (the budget is
        needed by instances that are a reward table of that length); ``None``
        for a study.
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
    study : Study or None
        A reproduction whose result is a statistic against a sample size
        (:mod:`rltheory.experiments._studies`) instead of regret curves; then
        ``budget`` is the largest sample size of the grid.
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
    also_linear: bool = False
    study: Study | None = None
    first_success: Callable | None = None

    def configs(self, budget: int | None = None) -> tuple[ExperimentConfig, ...]:
        """The configurations for ``budget`` (default :attr:`budget`); none for a study.

        Examples
        --------
        >>> [c.name for c in get_reproduction("bernoulli-two-arms").configs()][:3]
        ['UCB1', 'UCBV', 'MOSS']
        >>> get_reproduction("ope-estimators").configs()
        ()
        """
        if self.study is not None:
            return ()
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
    cyclic = b.PreferenceMatrix(
        [[0.5, 0.6, 0.6, 0.6], [0.4, 0.5, 0.9, 0.1], [0.4, 0.1, 0.5, 0.9], [0.4, 0.9, 0.1, 0.5]]
    )
    configs = []
    for label, problem in (("Bradley-Terry", bt), ("cyclic", cyclic)):
        for agent in (b.RUCB(), b.RMED(), b.DoubleThompson(), b.MaxMinLCB()):
            configs.append(ExperimentConfig(f"{agent.name} ({label})", problem, agent))
    return tuple(configs)


#: Segment means of the piecewise-stationary reproduction (breakpoints at T/3 and 2T/3): the best arm changes at
#: both, and after the first the old best arm's empirical mean keeps stationary UCB1 on it for a fraction of T.
PIECEWISE_MEANS = ((0.9, 0.5, 0.1), (0.3, 0.8, 0.1), (0.9, 0.1, 0.2))


def _piecewise_configs(budget):
    from rltheory import bandits as b

    problem = b.PiecewiseStationaryBandit([budget // 3, 2 * budget // 3], PIECEWISE_MEANS)
    agents = (
        b.UCB1(),
        b.SlidingWindowUCB(),
        b.DiscountedUCB(),
        b.MUCB(),
        b.GLRklUCB(check_every=10, split_every=5),
    )
    return tuple(ExperimentConfig(agent.name, problem, agent) for agent in agents)


# --------------------------------------------------------------------------- studies (learning from samples)
def _doubling(start):
    def grid(budget):
        out = []
        x = start
        while x <= budget:
            out.append(int(x))
            x *= 2
        return tuple(out) if out else (int(budget),)

    return grid


_C_STARS = (1.0, 2.0, 10.0)


@functools.lru_cache(maxsize=1)
def _offline_instance():
    """A fixed Garnet MDP (S = 10, A = 3, b = 3, gamma = 0.7, U[0, 1] pair rewards, uniform start) and, for each C*,
    the data distribution w d^{pi*} + (1 - w) d^{pi_b} whose concentrability is exactly C* (w by bisection), with
    pi_b the behaviour that plays the worst action (for q*) with probability 0.9 and each other one with 0.05: the
    non-expert data cover the better actions rarely, with noisy rewards."""
    from rltheory import tabular as T
    from rltheory.tabular.envs import garnet

    base = garnet(10, 3, 3, rng=np.random.SeedSequence(2021), gamma=0.7, reward="state-action")
    mdp = T.FiniteMDP(base.P, base.R, gamma=0.7, initial_distribution=np.full(10, 0.1))
    opt = T.policy_iteration(mdp)
    d_star = T.data_distribution(mdp, opt.policy)
    worst = np.argmin(np.asarray(opt.q), axis=1)
    behavior = np.full((10, 3), 0.05)
    behavior[np.arange(10), worst] = 0.9
    d_b = T.data_distribution(mdp, behavior)
    mus = {}
    for c in _C_STARS:
        if c == 1.0:
            mus[c] = d_star
            continue
        lo, hi = 0.0, 1.0  # C*(w) decreases from C*(0) to 1 as w goes to 1
        for _ in range(200):
            w = (lo + hi) / 2
            if T.concentrability(mdp, w * d_star + (1 - w) * d_b, policy=opt.policy).coefficient > c:
                lo = w
            else:
                hi = w
        mus[c] = hi * d_star + (1 - hi) * d_b
    return mdp, np.asarray(opt.v), mus


def _offline_pessimism_task(n, k, run_start, run_stop, seed):
    """Suboptimality rho^T (v* - v^pi) of VI-LCB, the plug-in policy and behaviour cloning on N logged transitions."""
    from rltheory import tabular as T

    mdp, v_star, mus = _offline_instance()
    rho = np.asarray(mdp.initial_distribution)
    out = {f"{m} (C*={c:g})": [] for c in _C_STARS for m in ("VI-LCB", "plug-in", "BC")}
    for i in range(run_start, run_stop):
        g = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k, i)))
        for c in _C_STARS:
            data = T.collect(mdp, data_distribution=mus[c], n_transitions=int(n), reward_noise="bernoulli", rng=g)
            for m, pol in (
                ("VI-LCB", T.vi_lcb(data, rng=g).policy),
                ("plug-in", T.model_based_planning(data).policy),
                ("BC", T.behavior_cloning(data).policy),
            ):
                out[f"{m} (C*={c:g})"].append(float(rho @ (v_star - T.policy_evaluation(mdp, pol).v)))
    return {key: np.array(v) for key, v in out.items()}


_OPE_LAYOUT = """
S...
.#..
...G
"""
_OPE_METHODS = ("IS", "PDIS", "WIS", "DR", "FQE", "MIS")


@functools.lru_cache(maxsize=1)
def _ope_instance():
    """A 3 x 4 gridworld with slip 0.2, horizon 8, gamma = 0.95; target: 0.9-greedy on the optimal finite-horizon
    policy; behaviour: half the target, half uniform (every ratio at most 2)."""
    from rltheory import tabular as T
    from rltheory.tabular.envs import gridworld

    g = gridworld(_OPE_LAYOUT, slip=0.2, gamma=0.95)
    mdp = T.FiniteMDP(g.P, g.R, gamma=0.95, horizon=8, initial_distribution=g.initial_distribution)
    best = T.backward_induction(mdp).policy
    S, A = mdp.n_states, mdp.n_actions
    target = np.full((8, S, A), 0.1 / A)
    target[np.arange(8)[:, None], np.arange(S)[None, :], best] += 0.9
    behavior = 0.5 * target + 0.5 / A
    v = T.finite_horizon_policy_evaluation(mdp, target).value
    bound = T.cramer_rao_bound(mdp, target, behavior)
    return mdp, target, behavior, v, bound


def _ope_task(n, k, run_start, run_stop, seed):
    """Errors (estimate - v^pi) of the OPE estimators on n logged episodes."""
    from rltheory import tabular as T

    mdp, target, behavior, v, _ = _ope_instance()
    out = {m: [] for m in _OPE_METHODS}
    for i in range(run_start, run_stop):
        g = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k, i)))
        data = T.collect(mdp, behavior, n_episodes=int(n), rng=g)
        est = {
            "IS": T.importance_sampling(data, target, behavior).estimate,
            "PDIS": T.per_decision_importance_sampling(data, target, behavior).estimate,
            "WIS": T.weighted_importance_sampling(data, target, behavior).estimate,
            "DR": T.doubly_robust(data, target, behavior, rng=g).estimate,
            "FQE": T.fitted_q_evaluation(data, target).estimate,
            "MIS": T.marginalized_importance_sampling(data, target, behavior).estimate,
        }
        for m in _OPE_METHODS:
            out[m].append(est[m] - v)
    return {m: np.array(e) for m, e in out.items()}


def _ope_reference(x):
    *_, bound = _ope_instance()
    return {
        "Cramer-Rao sqrt(bound / n) (Jiang & Li, tree form)": np.sqrt(bound.tree / x),
        "Markov efficiency bound sqrt(bound / n) (Kallus & Uehara)": np.sqrt(bound.markov / x),
    }


OFFLINE_PESSIMISM = Study(
    x_label="logged transitions N",
    y_label="suboptimality rho^T (v* - v^pi)",
    grid=_doubling(1000),
    panels=tuple((f"C* = {c:g}", tuple(f"{m} (C*={c:g})" for m in ("VI-LCB", "plug-in", "BC"))) for c in _C_STARS),
    task=_offline_pessimism_task,
)
OPE_ESTIMATORS = Study(
    x_label="logged episodes n",
    y_label="RMSE of the estimate of v^pi",
    grid=_doubling(50),
    panels=(("gridworld 3 x 4, slip 0.2, H = 8", _OPE_METHODS),),
    task=_ope_task,
    statistic="rmse",
    reference=_ope_reference,
)


# --------------------------------------------------------------------------- studies (best-arm identification)
#: Garivier & Kaufmann (2016), Sec. 6: the two Bernoulli instances of their experiments.
BAI_FC_INSTANCES = (("mu_1", (0.5, 0.45, 0.43, 0.4)), ("mu_2", (0.3, 0.21, 0.2, 0.19, 0.18)))
_BAI_FC_AGENTS = ("Track-and-Stop", "LUCB", "TTTS")
#: Fixed budget: Audibert & Bubeck's "one group of bad arms" (K = 20), and a K = 4 instance on which SR's
#: Theorem 2 bound is below 1 from a few hundred samples on.
BAI_FB_INSTANCES = (("K=20, one group", (0.5,) + (0.4,) * 19), ("K=4", (0.6, 0.5, 0.45, 0.3)))
_BAI_FB_AGENTS = ("SR", "SH")


def _bai_fc_agent(name):
    from rltheory import bandits as b

    # the experiments' threshold beta(t, delta) = log((log t + 1) / delta) (G&K 2016, Sec. 6) for the GLR
    # stopping rules; LUCB1 keeps its own (delta-correct) confidence bounds
    return {
        "Track-and-Stop": lambda: b.TrackAndStop(tracking="D", threshold="heuristic"),
        "LUCB": lambda: b.LUCB(),
        "TTTS": lambda: b.TopTwoThompson(beta=0.5, threshold="heuristic"),
    }[name]()


def _grid_seed(seed, k):
    """The root seed of grid value k: run i of simulate(seed=...) then draws from a stream fixed by (seed, k, i)."""
    return int(np.random.SeedSequence(seed, spawn_key=(k,)).generate_state(1)[0])


def _bai_fixed_confidence_task(x, k, run_start, run_stop, seed):
    """Stopping times tau at delta = exp(-x) of each agent on each instance (common reward streams)."""
    from rltheory import bandits as b
    from rltheory.simulation import simulate

    out = {}
    for label, means in BAI_FC_INSTANCES:
        problem = b.IdentificationProblem(b.BernoulliBandit(means), float(np.exp(-x)))
        for name in _BAI_FC_AGENTS:
            res = simulate(
                problem,
                _bai_fc_agent(name),
                n_rounds=10**7,
                n_runs=run_stop - run_start,
                run_start=run_start,
                seed=_grid_seed(seed, k),
            )
            out[f"{name} ({label})"] = np.asarray(res.stopping_times, dtype=float)
    return out


def _bai_fixed_confidence_reference(x):
    from rltheory import bandits as b

    return {
        _fc_label(label): np.array([b.bai_lower_bound(b.BernoulliBandit(means), float(np.exp(-v))) for v in x])
        for label, means in BAI_FC_INSTANCES
    }


def _bai_fixed_budget_task(x, k, run_start, run_stop, seed):
    """1 when the recommendation after budget x is wrong, per run, for SR and SH on each instance."""
    from rltheory import bandits as b
    from rltheory.simulation import simulate

    out = {}
    for label, means in BAI_FB_INSTANCES:
        problem = b.FixedBudgetProblem(b.BernoulliBandit(means), int(x))
        for name, agent in (("SR", b.SuccessiveRejects()), ("SH", b.SequentialHalving())):
            res = simulate(
                problem,
                agent,
                n_rounds=int(x),
                n_runs=run_stop - run_start,
                run_start=run_start,
                seed=_grid_seed(seed, k),
            )
            out[f"{name} ({label})"] = (~np.asarray(res.correct)).astype(float)
    return out


def _bai_fixed_budget_reference(x):
    from rltheory import bandits as b

    return {
        f"SR bound min(1, K(K-1)/2 exp(-(T-K)/(logbar(K) H_2))) ({label})": np.array(
            [min(1.0, b.successive_rejects_error_bound(b.BernoulliBandit(means), int(v))) for v in x]
        )
        for label, means in BAI_FB_INSTANCES
    }


def _steps(start, step):
    def grid(budget):
        return tuple(range(start, int(budget) + 1, step)) or (int(budget),)

    return grid


def _fc_label(label):
    return f"T*({label}) kl(delta, 1 - delta)"


BAI_FIXED_CONFIDENCE = Study(
    x_label="log(1/delta)",
    y_label="stopping time tau (samples)",
    grid=_steps(2, 2),
    # LUCB1's union-bound confidence radii make it ~10x slower: it gets its own panel, so that the panels of the
    # GLR-stopped agents show their distance to the lower bound
    panels=tuple(
        (
            f"{label} = {list(means)} (Garivier & Kaufmann 2016)",
            tuple(f"{n} ({label})" for n in _BAI_FC_AGENTS if n != "LUCB"),
            (_fc_label(label),),
        )
        for label, means in BAI_FC_INSTANCES
    )
    + (
        (
            "LUCB1 on mu_1 and mu_2",
            tuple(f"LUCB ({label})" for label, _ in BAI_FC_INSTANCES),
            tuple(_fc_label(label) for label, _ in BAI_FC_INSTANCES),
        ),
    ),
    task=_bai_fixed_confidence_task,
    reference=_bai_fixed_confidence_reference,
    log_x=False,
    log_y=False,
)
BAI_FIXED_BUDGET = Study(
    x_label="budget T",
    y_label="error frequency P(recommended arm != best arm)",
    grid=_doubling(100),
    panels=tuple(
        (
            f"{label}: {list(means) if len(means) < 6 else 'mu_1 = 0.5, mu_2..20 = 0.4'}",
            tuple(f"{n} ({label})" for n in _BAI_FB_AGENTS),
            (f"SR bound min(1, K(K-1)/2 exp(-(T-K)/(logbar(K) H_2))) ({label})",),
        )
        for label, means in BAI_FB_INSTANCES
    ),
    task=_bai_fixed_budget_task,
    statistic="frequency",
    reference=_bai_fixed_budget_reference,
    log_x=False,
    log_y=True,
)


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
        configs.append(
            ExperimentConfig(f"eps-greedy Q (eps=0.5) N={N}", deep_sea(N, rng=N), tabular.EpsilonGreedyQ(epsilon=0.5))
        )
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
            name="piecewise-stationary",
            description="UCB1 against SW-UCB, D-UCB, M-UCB and GLR-klUCB (the papers' tunings from T and the number "
            "of breakpoints; GLR test every 10th sample on splits at multiples of 5) on a 3-arm Bernoulli bandit "
            "whose means change at T/3 and 2T/3 (the best arm changes at both): mean dynamic regret "
            "sum_t max_a mu_t(a) - mu_t(A_t), with the breakpoints marked; UCB1's grows linearly after the first",
            citation="Garivier & Moulines (2011), On upper-confidence bound policies for switching bandit problems, "
            "ALT, Thms 1-2; Cao, Wen, Kveton & Xie (2019), AISTATS, Alg. 1 and Thm 1; Besson, Kaufmann, Maillard & "
            "Seznec (2022), Efficient change-point detection for tackling piecewise-stationary bandits, JMLR, Alg. 1",
            build_configs=_piecewise_configs,
            budget=20_000,
            n_runs=20,
            full_budget=200_000,
            full_runs=100,
            overlays=("breakpoints",),
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
            "T g* - sum r_t on log-log and linear axes, with UCRL2's Thm 2 bound (D = 106045/7203 = 14.72, computed "
            "exactly) and Jaksch et "
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
        Reproduction(
            name="offline-pessimism",
            description="Offline RL without exploration on a fixed Garnet MDP (S = 10, A = 3, gamma = 0.7, Bernoulli "
            "rewards): suboptimality against the number N of logged i.i.d. transitions of VI-LCB (pessimism, data "
            "splitting, Hoeffding penalty), the plug-in policy (no pessimism) and behaviour cloning, for data mixing "
            "the optimal occupancy with that of a behaviour playing the worst action 90% of the time, at exact "
            "concentrability C* in {1, 2, 10}; log-log with fitted slopes (a study: a statistic against N, not a "
            "regret curve). With its valid Hoeffding constant and data splitting into log N / (1 - gamma) subsets "
            "VI-LCB is conservative at these N: it beats behaviour cloning at C* = 2 but keeps the well-covered "
            "action at C* = 10, while the plug-in, whose zero-reward fill-in of unvisited pairs is itself pessimistic "
            "here, is best; its O~(sqrt(S C* / ((1-gamma)^5 N))) bound is vacuous below N ~ 1e5",
            citation="Rashidinejad, Zhu, Ma, Jiao & Russell (2021), Bridging offline reinforcement learning and "
            "imitation "
            "learning: a tale of pessimism, NeurIPS (arXiv:2103.12021), Algorithm 3 and the MDP upper bound "
            "O~(sqrt(S C* / ((1-gamma)^5 N)))",
            build_configs=None,
            budget=64_000,
            n_runs=10,
            full_budget=1_024_000,
            full_runs=100,
            log_x=True,
            log_y=True,
            study=OFFLINE_PESSIMISM,
        ),
        Reproduction(
            name="ope-estimators",
            description="Off-policy evaluation on a 3 x 4 gridworld (slip 0.2, horizon 8, behaviour = half the "
            "0.9-greedy target, half uniform): RMSE against the number of logged episodes of IS, PDIS, WIS, doubly "
            "robust (cross-fitted), FQE and MIS, with the exact Cramer-Rao line of Jiang & Li (tree form, the variance "
            "of DR with the true Q) and the lower Markov efficiency bound that FQE and MIS can reach on a non-tree MDP",
            citation="Jiang & Li (2016), Doubly robust off-policy value evaluation for reinforcement learning, ICML, "
            "Theorems 1-2; Xie, Ma & Wang (2019), NeurIPS (MIS); Kallus & Uehara (2020), JMLR 21(167) (efficiency "
            "bound)",
            build_configs=None,
            budget=1_600,
            n_runs=40,
            full_budget=12_800,
            full_runs=400,
            log_x=True,
            log_y=True,
            study=OPE_ESTIMATORS,
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
        Reproduction(
            name="bai-fixed-confidence",
            description="Fixed-confidence best-arm identification on Garivier & Kaufmann's two Bernoulli instances: "
            "mean stopping time tau against log(1/delta) of Track-and-Stop (D-tracking), LUCB1 and top-two Thompson "
            "sampling (beta = 1/2), with the lower bound T*(mu) kl(delta, 1 - delta) (T* computed to a certified "
            "tolerance); the GLR rules use the experiments' threshold log((log t + 1)/delta); the fitted slope "
            "d tau / d log(1/delta) is to be compared with T*(mu) (Track-and-Stop: asymptotically equal)",
            citation="Garivier & Kaufmann (2016), Optimal best arm identification with fixed confidence, COLT, Thm 1 "
            "(lower bound), Thm 14 (asymptotic optimality) and Sec. 6 (instances mu_1, mu_2); Kalyanakrishnan, "
            "Tewari, Auer & Stone (2012), ICML (LUCB1); Russo (2016), COLT (top-two Thompson sampling)",
            build_configs=None,
            budget=8,
            n_runs=10,
            full_budget=20,
            full_runs=200,
            log_x=False,
            log_y=False,
            study=BAI_FIXED_CONFIDENCE,
        ),
        Reproduction(
            name="bai-fixed-budget",
            description="Fixed-budget best-arm identification: error frequency (Clopper-Pearson 95% bands) against "
            "the budget T of successive rejects and sequential halving on a K = 20 instance with one group of bad "
            "arms and on a K = 4 instance, with SR's Theorem 2 bound (clipped at 1); the fitted slope of log error "
            "on T is the error exponent, to be compared with SR's -1/(logbar(K) H_2)",
            citation="Audibert, Bubeck & Munos (2010), Best arm identification in multi-armed bandits, COLT, Thm 2 "
            "and Sec. 6 ('one group of bad arms'); Karnin, Koren & Somekh (2013), Almost optimal exploration in "
            "multi-armed bandits, ICML, Thm 4.1",
            build_configs=None,
            budget=1_600,
            n_runs=400,
            full_budget=12_800,
            full_runs=10_000,
            log_x=False,
            log_y=True,
            study=BAI_FIXED_BUDGET,
        ),
    )
}


def get_reproduction(name: str) -> Reproduction:
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
    ValueError: unknown reproduction 'nope'; known: adversarial, bai-fixed-budget, bai-fixed-confidence,
        bernoulli-ten-arms, bernoulli-two-arms, deep-sea, dueling-bandits, episodic-garnet, linear-bandit,
        linear-mdp, offline-pessimism, ope-estimators, piecewise-stationary, riverswim
    """
    try:
        return CATALOGUE[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown reproduction {name!r}; known: {', '.join(sorted(CATALOGUE))}") from None
