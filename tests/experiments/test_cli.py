"""Tests of rltheory.experiments._cli: `rltheory reproduce`, `rltheory list` and `rltheory compile` end to end."""

import csv
import errno
import os
import stat

import pytest

from rltheory.cli import main
from rltheory.experiments import _atomic, _dispatch, _runner
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
    argv = [
        "reproduce",
        "bernoulli-two-arms",
        "--runs",
        "4",
        "--budget",
        "300",
        "--seed",
        "3",
        "--out",
        str(out),
        "--no-progress",
        "--chunk-size",
        "2",
    ]
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
    # the first line says what runs and where the results go, before any work
    assert text.splitlines()[0] == (
        f"bernoulli-two-arms: {len(configs)} configurations x 4 runs x T = 300, seed 3, on this process -> {out}"
    )

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
    argv = ["reproduce", "linear-bandit", "--budget", "200", "--runs", "4", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    configs = CATALOGUE["linear-bandit"].configs(200)
    assert (out / "linear-bandit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(out / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == [c.name for c in configs]
    assert all(r["lai_robbins_ratio"] == "nan" and int(r["n_runs"]) == 4 for r in rows)
    assert len(list((out / "curves").glob("*.npz"))) == len(configs) == len(list((out / "curves").glob("*.csv")))
    lines = text.splitlines()
    header = next(k for k, line in enumerate(lines) if line.startswith("config "))
    table = lines[header + 1 : header + 1 + len(configs)]
    assert [line.rsplit(None, 1)[-1] for line in table] == ["-"] * len(configs)  # no Lai-Robbins ratio
    assert main(argv + ["--resume"]) == 0
    assert f"{len(configs)} chunk(s) reused, 0 computed" in capsys.readouterr().out


@pytest.mark.slow  # ~110 s of first compiles in three processes; process pools: test_dispatch, test_executors
def test_reproduce_with_two_workers_gives_the_same_summary(tmp_path, capsys):
    common = ["reproduce", "adversarial", "--runs", "3", "--budget", "200", "--no-progress"]
    assert main(common + ["--out", str(tmp_path / "a")]) == 0
    assert main(common + ["--out", str(tmp_path / "b"), "--workers", "2", "--chunk-size", "1"]) == 0
    capsys.readouterr()
    assert (tmp_path / "a" / "summary.csv").read_bytes() == (tmp_path / "b" / "summary.csv").read_bytes()


@pytest.mark.slow  # the fast version is test_runner's run_experiment on a LocalCluster
def test_reproduce_on_a_dask_scheduler_gives_the_same_summary(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    common = ["reproduce", "adversarial", "--runs", "3", "--budget", "200", "--no-progress"]
    assert main(common + ["--out", str(tmp_path / "a")]) == 0
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        assert main(common + ["--out", str(tmp_path / "c"), "--scheduler", cluster.scheduler_address]) == 0
    capsys.readouterr()
    assert (tmp_path / "a" / "summary.csv").read_bytes() == (tmp_path / "c" / "summary.csv").read_bytes()


def test_reproduce_refuses_a_users_summary_csv_and_another_experiment(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").write_text("my own table")
    common = ["reproduce", "adversarial", "--runs", "2", "--budget", "60", "--no-progress", "--out", str(out)]
    for extra in ([], ["--overwrite"], ["--resume"]):
        assert main(common + extra) == 2
        err = capsys.readouterr().err
        assert "holds 'summary.csv' but no experiment.json" in err and "never overwrites" in err
        assert len(err.strip().splitlines()) == 1
    assert (out / "summary.csv").read_text() == "my own table" and sorted(os.listdir(out)) == ["summary.csv"]
    # another experiment in the folder: refused, --overwrite replaces it whole
    exp = tmp_path / "exp"
    assert main(common[:-1] + [str(exp)]) == 0
    assert main(common[:-1] + [str(exp), "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert "another experiment (seed 0 in the folder, 1 asked)" in err and "--overwrite" in err
    assert main(common[:-1] + [str(exp), "--seed", "1", "--overwrite"]) == 0
    fresh = tmp_path / "fresh"
    assert main(common[:-1] + [str(fresh), "--seed", "1"]) == 0
    capsys.readouterr()
    listing = sorted(str(p.relative_to(exp)) for p in exp.rglob("*"))
    assert listing == sorted(str(p.relative_to(fresh)) for p in fresh.rglob("*"))
    assert (exp / "summary.csv").read_bytes() == (fresh / "summary.csv").read_bytes()


def test_reproduce_outputs_respect_the_umask(tmp_path, capsys):
    old = os.umask(0o022)
    try:
        out = tmp_path / "o"
        argv = ["reproduce", "adversarial", "--runs", "2", "--budget", "60", "--no-progress", "--out", str(out)]
        assert main(argv) == 0
    finally:
        os.umask(old)
    capsys.readouterr()
    names = set()
    for p in out.rglob("*"):
        if p.is_file():
            names.add(p.name)
            assert stat.S_IMODE(p.stat().st_mode) == 0o644, p
    assert {"experiment.json", "summary.csv", "adversarial.png"} <= names


def test_a_full_disk_is_one_line_with_the_remedy_and_resume_recovers(tmp_path, capsys, monkeypatch):
    common = ["reproduce", "adversarial", "--runs", "2", "--budget", "60", "--no-progress", "--chunk-size", "1"]
    calls = []
    real = _atomic.save_with

    def full_disk_on_the_third_chunk(save, path):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(save, path)

    monkeypatch.setattr(_atomic, "save_with", full_disk_on_the_third_chunk)
    out = tmp_path / "a"
    assert main(common + ["--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("rltheory reproduce: error: no space left on device (writing ")
    assert err.endswith(
        "free some space, then rerun the same command with --resume (the chunks already written are kept)"
    )
    monkeypatch.undo()
    assert main(common + ["--out", str(out), "--resume"]) == 0
    assert "2 chunk(s) reused" in capsys.readouterr().out
    assert main(common + ["--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    assert (out / "summary.csv").read_bytes() == (tmp_path / "b" / "summary.csv").read_bytes()


def test_compile_warms_the_kernels_of_a_reproduction(capsys):
    assert main(["compile", "adversarial"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("compiling the kernels of adversarial into ")
    assert "adversarial: 6 configurations ready" in out
    assert main(["compile", "nope"]) == 2


def test_reproduce_unknown_name_and_bad_folder_exit_with_code_2(tmp_path, capsys):
    assert main(["reproduce", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown reproduction 'nope'" in capsys.readouterr().err
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["reproduce", "adversarial", "--runs", "1", "--budget", "50", "--out", str(target)]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_reproduce_rejects_workers_with_scheduler_and_bad_numbers():
    with pytest.raises(SystemExit) as info:
        main(["reproduce", "adversarial", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"])
    assert info.value.code == 2
    with pytest.raises(SystemExit):
        main(["reproduce", "adversarial", "--runs", "0"])


def dying_simulate(problem, agent, budget, n_runs, run_start, seed, checkpoints):
    """The runner's chunk task, except that the worker dies on the chunk starting at run 2."""
    if run_start == 2:
        os._exit(9)
    return _dispatch.simulate_chunk(problem, agent, budget, n_runs, run_start, seed, checkpoints)


def test_a_dead_worker_is_reported_and_resume_completes_the_run(tmp_path, capsys, monkeypatch):
    common = ["reproduce", "adversarial", "--runs", "4", "--budget", "100", "--no-progress", "--chunk-size", "1"]
    monkeypatch.setattr(_runner, "_plan", _patched_plan(_runner._plan))
    assert main(common + ["--out", str(tmp_path / "a"), "--workers", "2"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("rltheory reproduce: error: a worker process died") and len(err.splitlines()) == 1
    assert "rerun the same command with --resume" in err
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


def test_plot_and_summarize_rerender_a_saved_run_without_recomputing(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    argv = ["reproduce", "bernoulli-two-arms", "--runs", "2", "--budget", "60", "--out", str(out), "--no-progress"]
    assert main(argv + ["--format", "csv"]) == 0
    printed = capsys.readouterr().out
    table = printed[printed.index("config ") : printed.index("\nwrote ")]
    png = out / "bernoulli-two-arms.png"
    png.unlink()

    def no_simulation(*args, **kwargs):
        raise AssertionError("plot and summarize must not simulate")

    monkeypatch.setattr(_dispatch, "simulate_chunk", no_simulation)
    assert main(["plot", str(out)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert capsys.readouterr().out.strip() == f"wrote {png}"
    assert main(["summarize", str(out)]) == 0
    assert capsys.readouterr().out.rstrip("\n") == table  # the table the run printed, character for character
    assert main(["summarize", str(out), "--csv"]) == 0
    assert capsys.readouterr().out == (out / "summary.csv").read_text()
    # runs.csv: one row per configuration, run and checkpoint, the curves' pseudo-regret
    with open(out / "runs.csv") as f:
        rows = list(csv.DictReader(f))
    n_configs = len(CATALOGUE["bernoulli-two-arms"].configs(60))
    assert list(rows[0]) == ["config", "run", "time", "regret", "realized_regret"]
    assert len(rows) % (2 * n_configs) == 0 and {r["run"] for r in rows} == {"0", "1"}
    last = [r for r in rows if r["config"] == "UCB1" and r["time"] == "60"]
    with open(out / "summary.csv") as f:
        ucb1 = next(r for r in csv.DictReader(f) if r["name"] == "UCB1")
    assert sum(float(r["regret"]) for r in last) / 2 == pytest.approx(float(ucb1["final_mean"]), rel=1e-12)


def test_plot_and_summarize_refuse_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["plot", str(tmp_path)]) == 2
    assert "is not an rltheory results folder" in capsys.readouterr().err
    assert main(["summarize", str(tmp_path)]) == 2
    assert "has no summary.csv" in capsys.readouterr().err


def test_parquet_without_pyarrow_is_a_usage_error_before_any_work(tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    argv = ["reproduce", "bernoulli-two-arms", "--out", str(tmp_path / "x"), "--format", "parquet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--format parquet needs pyarrow" in err and "--format csv works without them" in err
    assert not (tmp_path / "x").exists()


def test_cluster_dry_run_prints_the_job_script_and_runs_nothing(tmp_path, capsys):
    pytest.importorskip("dask_jobqueue")
    out = tmp_path / "never"
    argv = ["reproduce", "bernoulli-two-arms", "--cluster", "slurm", "--jobs", "8", "--queue", "short"]
    assert main(argv + ["--walltime", "00:20:00", "--dry-run", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# 8 job(s) of this script would be submitted")
    assert "#SBATCH -p short" in text and "#SBATCH -t 00:20:00" in text and "dask_worker" in text
    assert not out.exists()
    assert main(["reproduce", "bernoulli-two-arms", "--dry-run"]) == 2
    assert "--dry-run prints the batch job script of --cluster" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # one place to run: --cluster excludes --workers
        main(["reproduce", "bernoulli-two-arms", "--cluster", "pbs", "--workers", "2"])
