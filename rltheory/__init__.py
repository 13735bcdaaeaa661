"""rltheory: a theory-oriented toolkit for tabular and linear reinforcement learning.

Subpackages: :mod:`rltheory.tabular`, :mod:`rltheory.linear`,
:mod:`rltheory.bandits`, :mod:`rltheory.distributional`,
:mod:`rltheory.proofs_checks` and :mod:`rltheory.experiments`.

Compiled Numba code of rltheory is cached in a per-user folder
(``$RLTHEORY_CACHE_DIR``, else ``~/.cache/rltheory/numba-<version>``), never in
the installed package: see :mod:`rltheory._numba_cache`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

# Before any subpackage defines an @njit(cache=True) function.
from rltheory import _numba_cache

_numba_cache.install()
del _numba_cache
