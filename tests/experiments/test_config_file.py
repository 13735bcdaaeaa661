"""Tests of rltheory.experiments._config_file: experiment TOML files, validated, equal to the catalogue entries."""

import json

import numpy as np
import pytest

from rltheory.cli import main
from rltheory.experiments import _atomic
from rltheory.experiments._catalogue import get_reproduction
from rltheory.experiments._config_file import config_files, load_config_file, reproduction_from_config


def _identity(configs):
    return [(c.name, _atomic.canonical_json(c.problem.to_spec()), c.agent.to_spec()) for c in configs]


@pytest.mark.parametrize("name", sorted(config_files()))
def test_each_shipped_file_builds_exactly_its_catalogue_entry(name):
    # The same names, problem specs and agent specs (what the chunk hash is made of), size and figure:
    # the runner's numbers are a function of these and the seed only.
    rep, seed, checkpoints = load_config_file(config_files()[name])
    cat = get_reproduction(name)
    assert _identity(rep.configs()) == _identity(cat.configs())
    assert (rep.budget, rep.n_runs, rep.full_budget, rep.full_runs) == (
        cat.budget,
        cat.n_runs,
        cat.full_budget,
        cat.full_runs,
    )
    assert (seed, checkpoints) == (0, 200)  # what `rltheory reproduce` uses
    for key in ("overlays", "log_x", "log_y", "panels", "final_vs_dim", "final_boxplot", "also_linear"):
        assert getattr(rep, key) == getattr(cat, key), key


def test_shipped_files_are_package_data():
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert "configs/*.toml" in pyproject["tool"]["setuptools"]["package-data"]["rltheory.experiments"]
    assert len(config_files()) >= 3


def test_running_the_file_gives_the_numbers_of_the_catalogue_entry(tmp_path, capsys):
    common = ["--budget", "60", "--runs", "2", "--no-progress"]
    assert main(["run", str(config_files()["bernoulli-two-arms"]), "--out", str(tmp_path / "f"), *common]) == 0
    from_file = capsys.readouterr().out
    assert main(["reproduce", "bernoulli-two-arms", "--out", str(tmp_path / "c"), *common]) == 0
    from_catalogue = capsys.readouterr().out
    assert from_file.splitlines()[1:-1] == from_catalogue.splitlines()[1:-1]  # citation and summary table
    for a in sorted((tmp_path / "f" / "curves").glob("*.npz")):
        with np.load(a) as x, np.load(tmp_path / "c" / "curves" / a.name) as y:
            for key in ("regret", "realized_regret", "pulls", "times"):
                np.testing.assert_array_equal(x[key], y[key])
    assert (tmp_path / "f" / "summary.csv").read_bytes() == (tmp_path / "c" / "summary.csv").read_bytes()
    # resume works as for `reproduce`: every chunk reused
    assert main(["run", "bernoulli-two-arms", "--out", str(tmp_path / "f"), *common, "--resume"]) == 0
    assert "reused" in capsys.readouterr().out


_MINIMAL = {
    "name": "demo",
    "budget": 100,
    "runs": 2,
    "instances": {"b": {"type": "BernoulliBandit", "means": [0.6, 0.4]}},
    "configs": [{"instance": "b", "agent": {"type": "UCB1"}}],
}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"budget": 0}, "demo.toml: budget = 0 must be >= 1"),
        ({"runs": "3"}, "demo.toml: runs must be an int"),
        ({"seed": -1}, "demo.toml: seed = -1 must be >= 0"),
        ({"horizon": 5}, "unknown key(s) ['horizon']"),
        ({"name": ""}, "demo.toml: name must be a non-empty string"),
        ({"instances": {}}, "[instances] must be a non-empty table"),
        ({"instances": {"b": {"type": "NoSuchBandit"}}}, "demo.toml: [instances.b]: unknown bandit type"),
        ({"instances": {"b": {"type": "BernoulliBandit", "means": [1.5, 0.4]}}}, "demo.toml: [instances.b]: "),
        ({"instances": {"b": {"env": "no_such_env"}}}, "[instances.b]: env = 'no_such_env' is not an environment"),
        ({"configs": [{"instance": "x", "agent": {"type": "UCB1"}}]}, "configs[0]: instance = 'x' is not one of"),
        ({"configs": [{"instance": "b"}]}, "configs[0]: missing required key 'agent'"),
        ({"configs": [{"instance": "b", "agent": {"type": "Nope"}}]}, "configs[0]: agent: unknown agent type"),
        ({"configs": [{"instance": "b", "agent": {"type": "UCB1", "params": {"beta": 1}}}]}, "unknown parameters"),
        ({"configs": [{"instance": "b", "agent": {"type": "UCB1"}, "policy": 1}]}, "configs[0]: unknown key(s)"),
        ({"configs": [{"instance": "b", "agent": {"type": "UCB1"}}] * 2}, "names must be unique, repeated: ['UCB1']"),
        ({"plot": {"overlays": ["nope"]}}, "[plot] overlays = ['nope'] must be a list of"),
        ({"plot": {"log_x": 1}}, "[plot] log_x must be true or false"),
        ({"plot": {"colour": "red"}}, "[plot] has unknown key(s) ['colour']"),
    ],
)
def test_bad_files_are_refused_naming_the_file_and_the_key(change, message):
    with pytest.raises(ValueError) as info:
        reproduction_from_config(dict(_MINIMAL, **change), "demo.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("demo.toml")


def test_a_missing_required_key_and_a_broken_file_are_named(tmp_path, capsys):
    with pytest.raises(ValueError, match="demo.toml: missing required key 'runs'"):
        reproduction_from_config({k: v for k, v in _MINIMAL.items() if k != "runs"}, "demo.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    assert main(["run", str(bad)]) == 2
    assert f"{bad}: not a valid TOML file" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "absent.toml")]) == 2
    assert "no such experiment file" in capsys.readouterr().err


def test_a_mismatched_agent_and_problem_are_refused_with_the_config_named():
    data = dict(_MINIMAL, configs=[{"instance": "b", "agent": {"type": "RUCB"}}])
    with pytest.raises(ValueError, match=r"demo.toml: configs\[0\]: "):
        reproduction_from_config(data, "demo.toml")


def test_an_environment_instance_and_a_spec_instance_are_the_same_problem():
    from rltheory.tabular.envs import river_swim

    mdp = river_swim(6, gamma=1, variant="osband")
    agent = {"type": "UCRL2", "params": {"delta": 0.05}}
    by_env = {"env": "river_swim", "params": {"n_states": 6, "gamma": 1, "variant": "osband"}}
    by_spec = json.loads(json.dumps(mdp.to_spec()))
    for table in (by_env, by_spec):
        data = dict(_MINIMAL, instances={"r": table}, configs=[{"instance": "r", "agent": agent}])
        rep = reproduction_from_config(data, "demo.toml")[0]
        assert rep.configs()[0].problem.to_spec() == mdp.to_spec()
