"""rltheory: a theory-oriented toolkit for tabular and linear reinforcement learning.

Subpackages: :mod:`rltheory.tabular`, :mod:`rltheory.linear`,
:mod:`rltheory.bandits`, :mod:`rltheory.distributional`,
:mod:`rltheory.proofs_checks` and :mod:`rltheory.experiments`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
