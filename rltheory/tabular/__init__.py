"""Finite MDPs: the model, exact dynamic programming, and environments.

Every solver is a free function that takes a validated :class:`FiniteMDP`
and returns a frozen result dataclass.
"""

from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._operators import bellman_operator, greedy_policy, q_values

__all__ = [
    "FiniteMDP",
    "bellman_operator",
    "greedy_policy",
    "q_values",
]
