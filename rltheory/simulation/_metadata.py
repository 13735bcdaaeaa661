"""Version capture: what produced a result, recorded in its metadata."""

from __future__ import annotations

import platform

import numba
import numpy as np

__all__ = ["versions"]


def versions() -> dict:
    """Versions of rltheory, NumPy, Numba and Python, as recorded in every curve's metadata.

    Examples
    --------
    >>> sorted(versions())
    ['numba', 'numpy', 'python', 'rltheory']
    """
    from .. import __version__

    return {
        "rltheory": __version__,
        "numpy": np.__version__,
        "numba": numba.__version__,
        "python": platform.python_version(),
    }
