"""Imports every claim module so that the registry is complete.

Claim modules register themselves on import. Modules whose subject package is
not available (e.g. a solver that is not built) are skipped, never stubbed.
"""

from rltheory.proofs_checks import _claims_dp  # noqa: F401
from rltheory.proofs_checks import _claims_concentration  # noqa: F401
from rltheory.proofs_checks import _claims_bandits  # noqa: F401
from rltheory.proofs_checks import _claims_distributional  # noqa: F401
from rltheory.proofs_checks import _claims_average_reward  # noqa: F401
from rltheory.proofs_checks import _claims_regularized  # noqa: F401
from rltheory.proofs_checks import _claims_linear  # noqa: F401
from rltheory.proofs_checks import _claims_games  # noqa: F401
