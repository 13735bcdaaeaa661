"""Numerical verification of the theorems rltheory implements.

A *claim* (:class:`Claim`) is a theorem stated in words and LaTeX with its
source; its *check* searches for counterexamples (hypothesis for claims over
instances, seeded Monte Carlo for statistical claims, bootstrap rate fits for
rates) and returns a :class:`CheckResult`. ``rltheory check`` runs them and
writes a report.

Submodules: :mod:`~rltheory.proofs_checks.strategies` (public hypothesis
strategies), :mod:`~rltheory.proofs_checks.analytic` (sympy oracles),
:mod:`~rltheory.proofs_checks.rates` (rate fitting).

Examples
--------
>>> from rltheory.proofs_checks import run_claims
>>> [r.passed for r in run_claims("bellman.optimality.contraction", examples=10)]
[True]
"""

from rltheory.proofs_checks import analytic, rates, strategies
from rltheory.proofs_checks._catalog import get_claim, list_claims, recheck, run_claims
from rltheory.proofs_checks._registry import CheckContext, CheckResult, Claim, Counterexample, Slack, claim, register
from rltheory.proofs_checks._report import format_table, write_report
from rltheory.proofs_checks._search import SearchOutcome, property_claim, render_instance, search

__all__ = [
    "CheckContext",
    "CheckResult",
    "Claim",
    "Counterexample",
    "SearchOutcome",
    "Slack",
    "analytic",
    "claim",
    "format_table",
    "get_claim",
    "list_claims",
    "property_claim",
    "rates",
    "recheck",
    "register",
    "render_instance",
    "run_claims",
    "search",
    "strategies",
    "write_report",
]
