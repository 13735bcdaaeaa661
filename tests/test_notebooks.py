"""Execute every teaching notebook in notebooks/ and fail on any error (docs/ARCHITECTURE.md, Tests)."""

from __future__ import annotations

import os
import pathlib

import pytest

nbformat = pytest.importorskip("nbformat", reason="needs the test extra: pip install rltheory[test]")
nbclient = pytest.importorskip("nbclient", reason="needs the test extra: pip install rltheory[test]")

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no .ipynb file"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_saved_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name} cell {i} was saved with outputs"


#: Notebooks over the one-minute budget of a default run (about 95 s on a 2-core machine with a warm cache):
#: they run with ``-m slow``; their theorems are default claims too (``tabular-learning.*`` for 07).
SLOW_NOTEBOOKS = {"07_tabular_learning.ipynb"}


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.slow) if p.name in SLOW_NOTEBOOKS else p for p in NOTEBOOKS],
    ids=[p.name for p in NOTEBOOKS],
)
def test_notebook_executes(path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    # the kernel inherits the environment: make the working tree importable and plotting headless
    pythonpath = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + (os.pathsep + pythonpath if pythonpath else ""))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(
        nb,
        timeout=None,  # no wall-clock limit (docs/ARCHITECTURE.md, Tests); a failing cell raises CellExecutionError
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises nbclient.exceptions.CellExecutionError on the first failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
