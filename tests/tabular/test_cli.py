"""Tests of ``rltheory solve`` (rltheory/tabular/_cli.py), run through ``rltheory.cli.main``."""

import json

import numpy as np
import pytest

from rltheory.cli import main
from rltheory.tabular import FiniteMDP, policy_iteration
from rltheory.tabular.envs import river_swim


def _solve_json(capsys, *argv):
    assert main(["solve", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("method", ["vi", "gs-vi", "pi", "mpi", "lp"])
def test_every_method_is_within_its_certified_bound_of_v_star(capsys, method):
    out = _solve_json(capsys, "--example", "river-swim", "--method", method, "--tol", "1e-9")
    v_star = policy_iteration(river_swim(n_states=6, gamma=0.95)).v
    error = np.max(np.abs(np.array(out["values"]) - v_star))
    # each method reports a certified bound on ||v - v*||; PI's v* carries LU round-off only
    assert error <= out["bound"] + 1e-9 * np.max(np.abs(v_star))
    assert out["policy"] == policy_iteration(river_swim(n_states=6, gamma=0.95)).policy.tolist()


def test_solve_reads_a_saved_file_and_prints_a_table(tmp_path, capsys):
    P = np.zeros((2, 2, 2))
    P[0, 0] = [0.5, 0.5]
    P[0, 1] = [0.0, 1.0]
    P[1, :] = [0.0, 1.0]
    R = np.array([[5.0, 10.0], [-1.0, -1.0]])  # Puterman (2005), Sec. 3.1
    path = tmp_path / "puterman.npz"
    FiniteMDP(P, R, gamma=0.95).save(path)
    assert main(["solve", str(path), "--method", "pi"]) == 0
    text = capsys.readouterr().out
    assert "certified error bound" in text
    # v*(s2) = -1 / (1 - 0.95) = -20, printed with 8 decimals
    assert "-20.00000000" in text


def test_finite_horizon_and_undiscounted_models_pick_their_solver(tmp_path, capsys):
    P = np.zeros((2, 1, 2))
    P[0, 0] = [0.5, 0.5]
    P[1, 0] = [0.0, 1.0]
    R = np.array([[-1.0], [0.0]])
    ssp = tmp_path / "ssp.npz"
    FiniteMDP(P, R, gamma=1.0, terminal_states=[1]).save(ssp)
    out = _solve_json(capsys, str(ssp))
    # geometric number of steps with success probability 1/2: E = 2; the SSP certificate of value iteration
    assert out["method"] == "vi" and out["bound"] is not None
    assert abs(out["values"][0] + 2.0) <= out["bound"] + 1e-12
    for method in ("pi", "mpi", "lp", "gs-vi"):
        out = _solve_json(capsys, str(ssp), "--method", method)
        assert out["method"] == method and abs(out["values"][0] + 2.0) <= out["bound"] + 1e-9
    horizon = tmp_path / "h.npz"
    FiniteMDP(P, R, gamma=1.0, horizon=3).save(horizon)
    out = _solve_json(capsys, str(horizon))
    # -(1 + 1/2 + 1/4): expected cost of three steps before absorption
    assert out["values"][0] == pytest.approx(-1.75, abs=1e-12) and out["method"] == "bi"


def test_json_names_the_method_actually_used(capsys):
    """--json printed "method": null for the default method."""
    out = _solve_json(capsys, "--example", "river-swim")
    assert out["method"] == "vi"


def test_an_average_reward_model_is_sent_to_the_average_reward_solvers(tmp_path, capsys):
    """gamma = 1 without terminal states was told to use --method pi, which refuses it too."""
    path = tmp_path / "avg.npz"
    FiniteMDP(np.ones((2, 1, 2)) / 2, np.ones((2, 1)), gamma=1.0).save(path)
    for method in ([], ["--method", "pi"], ["--method", "vi"]):
        assert main(["solve", str(path), *method]) == 2
        err = capsys.readouterr().err
        assert "average-reward model" in err and "relative_value_iteration" in err and "--method pi" not in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["solve"], "give either an MDP FILE or --example"),
        (["solve", "--example", "river-swim", "--tol", "0"], "--tol must be a finite number > 0, got 0.0"),
        (["solve", "--example", "river-swim", "--tol", "inf"], "--tol must be a finite number > 0, got inf"),
        (["solve", "--example", "river-swim", "--tol", "nan"], "--tol must be a finite number > 0, got nan"),
        (["solve", "--example", "river-swim", "--method", "bi"], "needs a finite-horizon model"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_bad_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    assert main(["solve", str(bad)]) == 2
    assert "not an .npz (zip) archive" in capsys.readouterr().err


def test_list_examples(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["solve", "--list-examples"])
    assert exc.value.code == 0
    assert "river-swim" in capsys.readouterr().out
