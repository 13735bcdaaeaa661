"""Tests of rltheory.experiments._catalogue: the named reproductions."""

import json
import pickle

import numpy as np
import pytest

from rltheory.experiments import ExperimentConfig
from rltheory.experiments._catalogue import CATALOGUE, Reproduction, get_reproduction
from rltheory.experiments._plots import OVERLAYS, PANELS


def test_catalogue_names_match_keys_and_overlays_exist():
    assert set(CATALOGUE) == {
        "bernoulli-two-arms",
        "bernoulli-ten-arms",
        "adversarial",
        "linear-bandit",
        "linear-mdp",
        "riverswim",
        "dueling-bandits",
        "offline-pessimism",
        "ope-estimators",
        "episodic-garnet",
        "deep-sea",
        "bai-fixed-confidence",
        "bai-fixed-budget",
        "piecewise-stationary",
    }
    for name, rep in CATALOGUE.items():
        assert isinstance(rep, Reproduction) and rep.name == name
        assert rep.description and rep.citation
        assert set(rep.overlays) <= set(OVERLAYS) and rep.panels in PANELS
        assert rep.budget <= rep.full_budget and rep.n_runs <= rep.full_runs


@pytest.mark.parametrize("name", sorted(n for n, rep in CATALOGUE.items() if rep.study is None))
def test_configs_are_valid_picklable_and_uniquely_named(name):
    configs = get_reproduction(name).configs(500)
    assert configs and all(isinstance(c, ExperimentConfig) for c in configs)
    names = [c.name for c in configs]
    assert len(set(names)) == len(names)
    for c in configs:
        json.dumps(c.problem.to_spec())
        json.dumps(c.agent.to_spec())
        back = pickle.loads(pickle.dumps(c))
        assert back.problem.to_spec() == c.problem.to_spec() and back.agent.to_spec() == c.agent.to_spec()


def test_garivier_cappe_scenarios_have_the_papers_means():
    # Garivier & Cappe (2011), Sec. 6: scenario 1 (0.9, 0.8); scenario 2 the ten low means.
    two = get_reproduction("bernoulli-two-arms").configs()
    ten = get_reproduction("bernoulli-ten-arms").configs()
    for cfg in two:
        assert type(cfg.problem).__name__ == "BernoulliBandit"
        np.testing.assert_array_equal(cfg.problem.means, [0.9, 0.8])
    for cfg in ten:
        np.testing.assert_array_equal(cfg.problem.means, [0.1, 0.05, 0.05, 0.05, 0.02, 0.02, 0.02, 0.01, 0.01, 0.01])
    policies = {c.agent.name for c in two}
    assert {"UCB1", "KLUCB", "ThompsonSampling"} <= policies


def test_adversarial_entry_runs_each_adversarial_policy_on_both_instances():
    configs = get_reproduction("adversarial").configs(300)
    kinds = {(type(c.problem).__name__, c.agent.name) for c in configs}
    for policy in ("EXP3", "EXP3IX", "TsallisINF"):
        assert ("BernoulliBandit", policy) in kinds and ("SequenceBandit", policy) in kinds
    for c in configs:
        if type(c.problem).__name__ == "SequenceBandit":
            assert c.problem.n_rounds == 300  # a reward table covering the horizon


def test_linear_bandit_entry_is_linucb_on_the_unit_sphere_grid():
    from rltheory.linear import LinearBandit, LinUCB

    rep = get_reproduction("linear-bandit")
    configs = rep.configs()
    assert {(c.problem.dim, c.problem.n_arms) for c in configs} == {(d, k) for d in (5, 10, 20) for k in (50, 1000)}
    for c in configs:
        assert isinstance(c.problem, LinearBandit) and c.agent == LinUCB()
        # Abbasi-Yadkori et al. (2011), Thm 3 assumes |<x, theta>| <= 1: unit arms and ||theta|| = 1 = S
        np.testing.assert_allclose(np.linalg.norm(c.problem.arms, axis=-1), 1.0, rtol=1e-12)
        np.testing.assert_allclose(np.linalg.norm(c.problem.theta), c.agent.theta_bound, rtol=1e-12)
    assert "Thm 3" in rep.citation and rep.final_vs_dim and "sqrt-t" in rep.overlays


def test_linear_mdp_entry_runs_both_agents_on_each_instance():
    from rltheory.linear import LMCLSVI, LSVIUCB, LinearMDP

    rep = get_reproduction("linear-mdp")
    configs = rep.configs()
    instances = {id(c.problem) for c in configs}
    assert len(instances) == 2 and all(isinstance(c.problem, LinearMDP) for c in configs)
    for inst in instances:
        kinds = {type(c.agent) for c in configs if id(c.problem) == inst}
        assert kinds == {LSVIUCB, LMCLSVI}
    assert "Thm 3.1" in rep.citation and "Ishfaq" in rep.citation


def test_riverswim_entry_is_ucrl2_and_tsde_on_osbands_riverswim_as_a_continuing_task():
    from fractions import Fraction

    from rltheory.simulation import kind_of
    from rltheory.tabular import UCRL2, PSRLAverageReward, diameter

    rep = get_reproduction("riverswim")
    configs = rep.configs()
    assert {type(c.agent) for c in configs} == {UCRL2, PSRLAverageReward}
    (mdp,) = {id(c.problem): c.problem for c in configs}.values()
    assert kind_of(mdp).name == "continuing" and (mdp.n_states, mdp.n_actions) == (6, 2)
    assert mdp.P[0, 1].tolist() == [0.4, 0.6, 0, 0, 0, 0] and mdp.R[5, 1] == 1.0  # Osband et al. (2013)
    assert diameter(mdp).diameter_exact == Fraction(106045, 7203)  # the D of the description
    assert rep.log_x and rep.log_y and rep.also_linear
    assert set(rep.overlays) == {"ucrl2-bound", "ucrl2-lower-bound"}
    assert "Thms 2 and 5" in rep.citation and "Osband" in rep.citation


def test_dueling_entry_runs_the_four_agents_on_a_condorcet_and_a_cyclic_problem():
    from rltheory.bandits import RMED, RUCB, DoubleThompson, MaxMinLCB, condorcet_winner, copeland_scores

    rep = get_reproduction("dueling-bandits")
    configs = rep.configs()
    problems = {id(c.problem): c.problem for c in configs}
    assert len(problems) == 2 and rep.overlays == ("dueling-lower-bound",)
    for key, problem in problems.items():
        assert {type(c.agent) for c in configs if id(c.problem) == key} == {RUCB, RMED, DoubleThompson, MaxMinLCB}
        assert condorcet_winner(problem) == 0  # the lower bound of Komiyama et al. applies to both
    cyclic = next(p for p in problems.values() if type(p).__name__ == "PreferenceMatrix")
    assert np.asarray(copeland_scores(cyclic)).tolist() == [1.0, 1 / 3, 1 / 3, 1 / 3]  # the cycle below the winner


def test_piecewise_entry_runs_ucb1_and_the_four_adaptive_agents_with_breakpoints_at_thirds():
    from rltheory.experiments import run_experiment
    from rltheory.experiments._plots import plot_experiment

    rep = get_reproduction("piecewise-stationary")
    configs = rep.configs(900)
    assert [c.name for c in configs] == ["UCB1", "SlidingWindowUCB", "DiscountedUCB", "MUCB", "GLRklUCB"]
    assert {c.problem.breakpoints for c in configs} == {(300, 600)}
    res = run_experiment(configs[:1], budget=900, n_runs=2, checkpoints=10, progress=False)
    fig = plot_experiment(res, overlays=rep.overlays)
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "breakpoint"]
    assert [float(np.asarray(ln.get_xdata())[0]) for ln in lines] == [300.0, 600.0]


def test_episodic_garnet_entry_is_the_issue_garnet_with_every_learner():
    from rltheory.tabular import MVP, PSRL, RLSVI, UCBVI, FiniteMDP, QLearningUCB

    rep = get_reproduction("episodic-garnet")
    configs = rep.configs()
    for c in configs:
        assert isinstance(c.problem, FiniteMDP)
        assert (c.problem.n_states, c.problem.n_actions, c.problem.horizon) == (10, 3, 10)
    agents = {(type(c.agent), getattr(c.agent, "bonus", None)) for c in configs}
    assert agents == {
        (UCBVI, "hoeffding"),
        (UCBVI, "bernstein"),
        (QLearningUCB, "hoeffding"),
        (QLearningUCB, "bernstein"),
        (PSRL, None),
        (RLSVI, None),
        (MVP, None),
    }
    # the papers' constants: no bonus scaling in the reproduction
    assert all(getattr(c.agent, "bonus_scale", 1.0) == 1.0 for c in configs)
    # MVP's setting (total reward <= 1 per episode): the same transitions with rewards / H
    (mvp,) = [c.problem for c in configs if isinstance(c.agent, MVP)]
    (ucb,) = [c.problem for c in configs if isinstance(c.agent, UCBVI) and c.agent.bonus == "hoeffding"]
    np.testing.assert_array_equal(mvp.P, ucb.P)
    np.testing.assert_allclose(mvp.R * 10, ucb.R, rtol=1e-15)
    assert {"sqrt-t", "episodic-bounds"} <= set(rep.overlays) and "Thms 1-2" in rep.citation


def test_deep_sea_entry_pairs_dithering_with_deep_exploration_and_first_success():
    from rltheory.tabular import EpsilonGreedyQ
    from rltheory.tabular.envs import deep_sea_treasure

    rep = get_reproduction("deep-sea")
    configs = rep.configs()
    dither = [c for c in configs if isinstance(c.agent, EpsilonGreedyQ)]
    assert dither and len(dither) < len(configs)
    for c in configs:
        series, size, treasure = rep.first_success(c)
        assert c.problem.horizon == size and treasure == deep_sea_treasure(size) and series in c.name
        assert c.problem.n_states == size**2 + 2


def test_unknown_reproduction_names_the_known_ones():
    with pytest.raises(ValueError, match="bernoulli-two-arms"):
        get_reproduction("bernoulli-three-arms")


def test_bernoulli_two_arms_is_figure_1_of_garivier_cappe():
    # arXiv:1102.2490, Fig. 1: draws of the suboptimal arm up to n = 5000 and their boxplots at n = 5000
    # (50,000 runs); with two arms the pseudo-regret is the gap 0.1 times those draws.
    rep = get_reproduction("bernoulli-two-arms")
    assert rep.budget == rep.full_budget == 5000 and rep.full_runs == 50_000
    assert rep.final_boxplot and rep.overlays == ("lai-robbins",)
    assert "Fig. 1" in rep.citation and "0.1 N_2(n)" in rep.description and "asymptotic" in rep.description


def test_bai_fixed_confidence_entry_is_garivier_kaufmann_with_its_lower_bound_lines():
    from rltheory.bandits import BernoulliBandit, bai_lower_bound
    from rltheory.experiments._catalogue import (
        BAI_FC_INSTANCES,
        _bai_fixed_confidence_reference,
    )

    rep = get_reproduction("bai-fixed-confidence")
    # Garivier & Kaufmann (2016), Sec. 6: mu_1 and mu_2
    assert dict(BAI_FC_INSTANCES) == {"mu_1": (0.5, 0.45, 0.43, 0.4), "mu_2": (0.3, 0.21, 0.2, 0.19, 0.18)}
    study = rep.study
    assert study.grid(rep.budget) == (2, 4, 6, 8) and not study.log_x and not study.log_y
    ref = _bai_fixed_confidence_reference(np.array([2.0, 8.0]))
    for label, means in BAI_FC_INSTANCES:
        # Thm 1: T*(mu) kl(delta, 1 - delta) at delta = exp(-x)
        line = ref[f"T*({label}) kl(delta, 1 - delta)"]
        np.testing.assert_allclose(line, [bai_lower_bound(BernoulliBandit(means), np.exp(-x)) for x in (2, 8)])
    for panel in study.panels:  # every panel shows the lower bound of the instances of its series
        for line in panel[2]:
            instance = line[len("T*(") : line.index(")")]
            assert any(s.endswith(f"({instance})") for s in panel[1])
    pickle.dumps(study.task)


@pytest.mark.slow  # compiles the three agents with the heuristic threshold; the entry's lines are checked above
def test_bai_fixed_confidence_task_is_resumable_run_by_run():
    from rltheory.experiments._catalogue import _bai_fixed_confidence_task

    study = get_reproduction("bai-fixed-confidence").study
    out = _bai_fixed_confidence_task(1, 0, 3, 5, 0)  # two runs at delta = 1/e
    assert set(out) == set(study.series) and all(v.shape == (2,) and (v >= 4).all() for v in out.values())
    again = _bai_fixed_confidence_task(1, 0, 4, 5, 0)  # run 4 alone: the same numbers (resumable in chunks)
    assert all(again[s][0] == out[s][1] for s in out)


def test_bai_fixed_budget_entry_draws_srs_bound():
    from rltheory.bandits import BernoulliBandit, successive_rejects_error_bound
    from rltheory.experiments._catalogue import BAI_FB_INSTANCES, _bai_fixed_budget_reference

    rep = get_reproduction("bai-fixed-budget")
    study = rep.study
    assert study.statistic == "frequency" and study.grid(rep.budget) == (100, 200, 400, 800, 1600)
    ref = _bai_fixed_budget_reference(np.array([100.0, 1600.0]))
    for label, means in BAI_FB_INSTANCES:
        b = BernoulliBandit(means)
        # Audibert & Bubeck (2010), Thm 2, clipped at 1 (a probability)
        expected = [min(1.0, successive_rejects_error_bound(b, n)) for n in (100, 1600)]
        np.testing.assert_allclose(next(v for k, v in ref.items() if k.endswith(f"({label})")), expected)


@pytest.mark.slow  # compiles SR and SH on the entry's instances; the entry's bound lines are checked above
def test_bai_fixed_budget_task_counts_errors():
    from rltheory.experiments._catalogue import _bai_fixed_budget_task

    study = get_reproduction("bai-fixed-budget").study
    out = _bai_fixed_budget_task(100, 0, 0, 3, 0)
    assert set(out) == set(study.series)
    assert all(set(np.unique(v)) <= {0.0, 1.0} and v.shape == (3,) for v in out.values())
