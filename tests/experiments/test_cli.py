"""Tests of rltheory.experiments._cli: `rltheory reproduce` and `rltheory list` end to end."""

import csv

import numpy as np
import pytest

import os

from rltheory.cli import main
from rltheory.experiments import _dispatch, _runner
from rltheory.experiments._catalogue import CATALOGUE


def test_list_prints_every_name_description_and_citation(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    for rep in CATALOGUE.values():
        assert rep.name in out
        assert " ".join(rep.citation.split()) in flat
        assert " ".join(rep.description.split()) in flat


def test_reproduce_end_to_end_writes_png_csv_npz_and_prints_the_summary(tmp_path, capsys):
    out = tmp_path / "two-arms"
    argv = ["reproduce", "bernoulli-two-arms", "--runs", "4", "--horizon", "300", "--seed", "3",
            "--out", str(out), "--no-progress", "--chunk-size", "2"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    configs = CATALOGUE["bernoulli-two-arms"].configs(300)
    png = out / "bernoulli-two-arms.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(out / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == [c.name for c in configs]
    assert len(list((out / "curves").glob("*.npz"))) == len(configs)
    assert len(list((out / "curves").glob("*.csv"))) == len(configs)
    for c in configs:
        assert c.name in text
    assert "R(T)/LR(T)" in text

    # --resume reuses every chunk and reproduces the same summary
    before = (out / "summary.csv").read_bytes()
    assert main(argv + ["--resume"]) == 0
    again = capsys.readouterr().out
    assert f"{2 * len(configs)} chunk(s) reused, 0 computed" in again
    assert (out / "summary.csv").read_bytes() == before


def test_list_shows_the_linear_entries(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "linear-bandit" in out and "linear-mdp" in out and "Abbasi-Yadkori" in out


def test_reproduce_linear_bandit_end_to_end(tmp_path, capsys):
    out = tmp_path / "lin"
    argv = ["reproduce", "linear-bandit", "--horizon", "200", "--runs", "4", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    configs = CATALOGUE["linear-bandit"].configs(200)
    assert (out / "linear-bandit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(out / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == [c.name for c in configs]
    assert all(r["lai_robbins_ratio"] == "nan" and int(r["n_runs"]) == 4 for r in rows)
    assert len(list((out / "curves").glob("*.npz"))) == len(configs) == len(list((out / "curves").glob("*.csv")))
    table = text[text.index("config"):].splitlines()[1 : 1 + len(configs)]
    assert [line.rsplit(None, 1)[-1] for line in table] == ["-"] * len(configs)  # no Lai-Robbins ratio
    assert main(argv + ["--resume"]) == 0
    assert f"{len(configs)} chunk(s) reused, 0 computed" in capsys.readouterr().out


def test_reproduce_with_two_workers_gives_the_same_summary(tmp_path, capsys):
    common = ["reproduce", "adversarial", "--runs", "3", "--horizon", "200", "--no-progress"]
    assert main(common + ["--out", str(tmp_path / "a")]) == 0
    assert main(common + ["--out", str(tmp_path / "b"), "--workers", "2", "--chunk-size", "1"]) == 0
    capsys.readouterr()
    assert (tmp_path / "a" / "summary.csv").read_bytes() == (tmp_path / "b" / "summary.csv").read_bytes()


@pytest.mark.slow  # the fast version is test_runner's run_experiment on a LocalCluster
def test_reproduce_on_a_dask_scheduler_gives_the_same_summary(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    common = ["reproduce", "adversarial", "--runs", "3", "--horizon", "200", "--no-progress"]
    assert main(common + ["--out", str(tmp_path / "a")]) == 0
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        assert main(common + ["--out", str(tmp_path / "c"), "--scheduler", cluster.scheduler_address]) == 0
    capsys.readouterr()
    assert (tmp_path / "a" / "summary.csv").read_bytes() == (tmp_path / "c" / "summary.csv").read_bytes()


def test_reproduce_unknown_name_and_bad_folder_exit_with_code_2(tmp_path, capsys):
    assert main(["reproduce", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown reproduction 'nope'" in capsys.readouterr().err
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["reproduce", "adversarial", "--runs", "1", "--horizon", "50", "--out", str(target)]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_reproduce_rejects_workers_with_scheduler_and_bad_numbers():
    with pytest.raises(SystemExit) as info:
        main(["reproduce", "adversarial", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"])
    assert info.value.code == 2
    with pytest.raises(SystemExit):
        main(["reproduce", "adversarial", "--runs", "0"])


def dying_simulate(bandit, policy, horizon, n_runs, run_start, seed, checkpoints):
    """The runner's chunk task, except that the worker dies on the chunk starting at run 2."""
    if run_start == 2:
        os._exit(9)
    return _dispatch.simulate_chunk(bandit, policy, horizon, n_runs, run_start, seed, checkpoints)


def test_a_dead_worker_is_reported_and_resume_completes_the_run(tmp_path, capsys, monkeypatch):
    common = ["reproduce", "adversarial", "--runs", "4", "--horizon", "100", "--no-progress", "--chunk-size", "1"]
    monkeypatch.setattr(_runner, "_plan", _patched_plan(_runner._plan))
    assert main(common + ["--out", str(tmp_path / "a"), "--workers", "2"]) == 2
    assert "rerun the same command with --resume" in capsys.readouterr().err
    monkeypatch.undo()
    assert main(common + ["--out", str(tmp_path / "a"), "--workers", "2", "--resume"]) == 0
    assert main(common + ["--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    assert (tmp_path / "a" / "summary.csv").read_bytes() == (tmp_path / "b" / "summary.csv").read_bytes()


def _patched_plan(plan):
    import dataclasses

    def patched(*args, **kwargs):
        return [dataclasses.replace(job, task=dying_simulate) for job in plan(*args, **kwargs)]

    return patched
