"""The optional pandas dependency: one place that imports it and says how to install it.

Every ``to_dataframe()`` builds its table as a mapping ``column -> 1-D array`` of equal lengths and
calls :func:`dataframe`; tables that do not need pandas (the CLI's CSV export) are written from the same
columns by :func:`write_csv`, so a CSV and a DataFrame of one result always agree.
"""

from __future__ import annotations

import csv

import numpy as np

__all__ = ["require_pandas", "dataframe", "write_csv", "write_parquet"]

_INSTALL = "pip install rltheory[dataframe]"


def require_pandas(who: str):
    """The ``pandas`` module, or an ``ImportError`` naming ``who`` and the extra to install.

    Examples
    --------
    >>> require_pandas("RegretCurve.to_dataframe").DataFrame.__name__
    'DataFrame'
    """
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(f"{who} needs pandas, an optional dependency of rltheory: {_INSTALL}") from exc
    return pandas


def _check_columns(columns):
    lengths = {name: np.shape(col) for name, col in columns.items()}
    if len({shape for shape in lengths.values()}) > 1 or any(len(shape) != 1 for shape in lengths.values()):
        raise ValueError(f"columns must be 1-D arrays of one length, got shapes {lengths}")


def dataframe(columns, who: str):
    """A ``pandas.DataFrame`` of ``columns`` (a mapping of names to equal-length 1-D arrays).

    Examples
    --------
    >>> import numpy as np
    >>> dataframe({"run": np.array([0, 1]), "regret": np.array([1.0, 2.5])}, "demo").shape
    (2, 2)
    """
    pd = require_pandas(who)
    _check_columns(columns)
    return pd.DataFrame({name: np.asarray(col) for name, col in columns.items()})


def write_csv(columns, path) -> None:
    """Write ``columns`` as CSV (a header of the names, one line per row) without pandas.

    Floats are written with ``repr`` (round-trip exact).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> write_csv({"run": np.array([0, 1]), "regret": np.array([0.1, 2.5])}, path)
    >>> open(path).read().splitlines()
    ['run,regret', '0,0.1', '1,2.5']
    """
    _check_columns(columns)
    names = list(columns)
    cols = [np.asarray(columns[n]).tolist() for n in names]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(names)
        w.writerows(zip(*cols))


def write_parquet(columns, path, who: str) -> None:
    """Write ``columns`` as a Parquet file (needs pandas and pyarrow; an ``ImportError`` says so otherwise).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "t.parquet")
    >>> try:
    ...     write_parquet({"run": np.array([0, 1])}, path, "demo")
    ...     ok = os.path.exists(path)
    ... except ImportError as exc:  # no pyarrow: the message says what to install
    ...     ok = "pip install pyarrow" in str(exc)
    >>> ok
    True
    """
    pd = require_pandas(who)
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{who}: Parquet files need pyarrow (pip install pyarrow); CSV works without it (--format csv)"
        ) from exc
    _check_columns(columns)
    pd.DataFrame({name: np.asarray(col) for name, col in columns.items()}).to_parquet(path, index=False)
