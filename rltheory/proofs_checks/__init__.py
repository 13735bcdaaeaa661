"""Numerical verification of the theorems rltheory implements.

:mod:`rltheory.proofs_checks.strategies` holds the public hypothesis
strategies used by the test-suite and the claim checks.
"""

from rltheory.proofs_checks import strategies

__all__ = ["strategies"]
