"""Tests of rltheory._dataframe: the one optional-pandas import, tidy tables, CSV without pandas."""

import sys

import numpy as np
import pytest

from rltheory import _dataframe
from rltheory.bandits import IdentificationResult
from rltheory.simulation import RegretCurve


def _curve():
    regret = np.array([[1.0, 2.0, 4.0], [0.0, 1.0, 1.5]])
    pulls = np.zeros((2, 3, 2), dtype=np.int64)
    return RegretCurve.from_runs(
        [1, 5, 10], regret, regret - 0.5, pulls, 7, {"seed": 0}, regret_variants={"weak": regret / 2}
    )


def test_without_pandas_every_to_dataframe_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` raises ImportError
    ident = IdentificationResult.from_runs([3, 4], [0, 1], [True, True], [[2, 1], [1, 3]], 0, {"best_arm": 0})
    for obj, who in ((_curve(), "RegretCurve.to_dataframe"), (ident, "IdentificationResult.to_dataframe")):
        with pytest.raises(ImportError, match=rf"{who} needs pandas.*pip install rltheory\[dataframe\]"):
            obj.to_dataframe()
    # the columns and the CSV need no pandas
    assert list(_curve().to_columns()) == ["run", "time", "regret", "realized_regret", "regret_weak"]


def test_csv_round_trips_floats_exactly(tmp_path):
    cols = _curve().to_columns()
    path = tmp_path / "t.csv"
    _dataframe.write_csv(cols, path)
    import csv

    with open(path) as f:
        rows = list(csv.DictReader(f))
    for name, values in cols.items():
        np.testing.assert_array_equal(np.array([float(r[name]) for r in rows]), values)


def test_columns_of_unequal_length_are_refused():
    with pytest.raises(ValueError, match="1-D arrays of one length"):
        _dataframe.write_csv({"a": np.zeros(2), "b": np.zeros(3)}, "unused.csv")
