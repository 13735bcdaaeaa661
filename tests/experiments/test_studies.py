"""Studies: chunking- and executor-invariant statistics against a sample size, the two catalogue studies."""

import pickle

import numpy as np
import pytest

from rltheory.cli import main
from rltheory.experiments import Study, make_executor, plot_study, run_study, write_study
from rltheory.experiments._catalogue import CATALOGUE, _offline_instance, _ope_instance, _ope_reference, _ope_task
from rltheory.experiments._studies import _demo_task
from rltheory.tabular import concentrability, finite_horizon_policy_evaluation

DEMO = Study("n", "error", lambda b: (10, 40, 160), (("all", ("a",)),), task=_demo_task)


def test_numbers_do_not_depend_on_chunks_or_executor():
    ref = run_study("demo", DEMO, budget=160, n_runs=6, seed=5)
    again = run_study("demo", DEMO, budget=160, n_runs=6, seed=5, chunk_size=1)
    with make_executor(workers=2) as ex:
        pooled = run_study("demo", DEMO, budget=160, n_runs=6, seed=5, executor=ex, chunk_size=4)
    for other in (again, pooled):
        np.testing.assert_array_equal(other.values["a"], ref.values["a"])
    assert not ref.values["a"].flags.writeable


def test_slope_of_a_mean_of_normals_is_minus_one_half():
    # |mean of x N(0,1)| has expectation sqrt(2 / (pi x)): slope -1/2 exactly
    res = run_study("demo", DEMO, budget=160, n_runs=400, seed=1)
    sl, lo, hi = res.slopes["a"]
    assert lo <= -0.5 <= hi
    np.testing.assert_allclose(res.summary["a"], np.mean(res.values["a"], axis=1))


def test_write_study_refuses_foreign_files(tmp_path):
    res = run_study("demo", DEMO, budget=40, n_runs=2)
    (tmp_path / "mine.txt").write_text("x")
    with pytest.raises(ValueError, match="holds files rltheory did not write for this study \\(mine.txt\\)"):
        write_study(res, DEMO, tmp_path)
    clean = tmp_path / "clean"
    write_study(res, DEMO, clean)
    write_study(res, DEMO, clean)  # its own files are replaced
    assert sorted(p.name for p in clean.iterdir()) == ["demo.png", "study.json", "study.npz", "summary.csv"]
    with np.load(clean / "study.npz", allow_pickle=False) as z:
        np.testing.assert_array_equal(z["values_0"], res.values["a"])


def test_bad_tasks_and_statistics_are_refused():
    bad = Study("n", "e", lambda b: (1,), (("p", ("missing",)),), task=_demo_task)
    with pytest.raises(ValueError, match="task returned no 2 values of series 'missing'"):
        run_study("bad", bad, budget=1, n_runs=2)
    with pytest.raises(ValueError, match="statistic = 'median' must be one of"):
        Study("n", "e", lambda b: (1,), (), task=_demo_task, statistic="median")


def test_the_catalogue_studies_are_exact_where_they_claim_to_be():
    mdp, v_star, mus = _offline_instance()
    for c, mu in mus.items():
        assert concentrability(mdp, mu).coefficient == pytest.approx(c, rel=1e-9)
    mdp, target, behavior, v, bound = _ope_instance()
    assert v == pytest.approx(finite_horizon_policy_evaluation(mdp, target).value)
    assert bound.markov <= bound.tree
    assert np.max(target / behavior) <= 2.0 + 1e-12  # behaviour = half target + half uniform
    out = _ope_task(30, 0, 0, 2, 0)
    assert set(out) == set(CATALOGUE["ope-estimators"].study.series) and all(len(e) == 2 for e in out.values())
    ref = _ope_reference(np.array([100.0]))
    assert len(ref) == 2 and all(r.shape == (1,) for r in ref.values())
    pickle.dumps(CATALOGUE["ope-estimators"].study.task)  # module level: travels to worker processes


def test_reproduce_a_study_end_to_end(tmp_path, capsys):
    out = tmp_path / "ope"
    args = ["reproduce", "ope-estimators", "--runs", "2", "--budget", "100", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "log-log slope" in text and "Cramer-Rao" in text
    assert (out / "ope-estimators.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["list"]) == 0
    assert "logged episodes n up to 1600" in capsys.readouterr().out


def _zero_at_large_x(x, k, run_start, run_stop, seed):
    return {"a": np.full(run_stop - run_start, 0.0 if x >= 40 else 1.0)}


def test_exact_zeros_on_a_log_axis_are_named_not_hidden():
    s = Study("n", "error", lambda b: (10, 40, 160), (("all", ("a",)),), task=_zero_at_large_x)
    fig = run_study("z", s, budget=160, n_runs=2)
    label = plot_study(fig, s).axes[0].get_lines()[0].get_label()
    assert label.endswith("= 0 at 2 of 3 points (not drawn)")


def _event(x, k, run_start, run_stop, seed):
    """A Bernoulli(1 / x) event per run."""
    out = []
    for i in range(run_start, run_stop):
        g = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k, i)))
        out.append(float(g.random() < 1.0 / x))
    return {"a": np.array(out)}


def test_frequency_intervals_are_clopper_pearson_and_slopes_follow_the_axes():
    from scipy.stats import beta

    s = Study("n", "P(event)", lambda b: (2, 4, 8), (("all", ("a",)),), task=_event, statistic="frequency")
    res = run_study("f", s, budget=8, n_runs=40, seed=0)
    for k in range(3):
        e = int(res.values["a"][k].sum())
        # Clopper & Pearson (1934): the ends are Beta(e, n - e + 1) and Beta(e + 1, n - e) quantiles
        lo = beta.ppf(0.025, e, 40 - e + 1) if e > 0 else 0.0
        hi = beta.ppf(0.975, e + 1, 40 - e) if e < 40 else 1.0
        assert res.lower["a"][k] == pytest.approx(lo, rel=1e-9, abs=1e-15)
        assert res.upper["a"][k] == pytest.approx(hi, rel=1e-9)
    # on linear axes the slope is the least-squares slope of the statistic itself
    lin = Study(
        "n", "P", lambda b: (2, 4, 8), (("all", ("a",)),), task=_event, statistic="frequency", log_x=False, log_y=False
    )
    res = run_study("f", lin, budget=8, n_runs=40, seed=0)
    assert res.slopes["a"][0] == pytest.approx(np.polyfit([2, 4, 8], res.summary["a"], 1)[0])
    with pytest.raises(ValueError, match="a frequency needs values 0 or 1"):
        run_study(
            "bad",
            Study("n", "e", lambda b: (4,), (("p", ("a",)),), task=_demo_task, statistic="frequency"),
            budget=4,
            n_runs=2,
        )


def _two_lines(x):
    return {"line p": 1.0 / x, "line q": 2.0 / x}


def test_a_panel_shows_only_the_reference_lines_it_names():
    s = Study(
        "n",
        "error",
        lambda b: (10, 40),
        (("p", ("a",), ("line p",)), ("q", ("a2",))),
        task=_two_series,
        reference=_two_lines,
    )
    fig = plot_study(run_study("r", s, budget=40, n_runs=2), s)
    labels = [[line.get_label() for line in ax.get_lines()] for ax in fig.axes]
    assert "line p" in labels[0] and "line q" not in labels[0]
    assert {"line p", "line q"} <= set(labels[1])
    with pytest.raises(ValueError, match="must be \\(title, series\\) or"):
        Study("n", "e", lambda b: (1,), (("p",),), task=_demo_task)


def _two_series(x, k, run_start, run_stop, seed):
    a = _demo_task(x, k, run_start, run_stop, seed)["a"]
    return {"a": a, "a2": 2 * a}


def test_study_columns_are_every_run_at_every_grid_value():
    pd = pytest.importorskip("pandas")
    s = Study("n", "error", lambda b: (10, 100), (("all", ("a",)),), task=_demo_task)
    res = run_study("demo", s, budget=100, n_runs=4, seed=1)
    df = res.to_dataframe()
    assert isinstance(df, pd.DataFrame) and list(df) == ["series", "x", "run", "value"]
    wide = df.pivot(index="x", columns="run", values="value").to_numpy()
    np.testing.assert_array_equal(wide, res.values["a"])  # (len(x), n_runs), run i at grid value k
