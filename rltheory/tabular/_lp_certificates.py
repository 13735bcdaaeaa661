r"""Checking of convex-program solves, shared by the LP-based solvers (private).

Every solve of a convex program in :mod:`rltheory.tabular` is checked in one
order (docs/ARCHITECTURE.md, "Convex programs"): the solver status first, then
primal feasibility, dual feasibility and the duality gap, each against an
acceptance threshold. This module holds the pieces those solvers share: the
choice of the cvxpy solver (per call; global solver state is never touched),
the validation of ``solver_options`` (``tol`` is ``rltheory._validation.check_tol``), the status check and the
certificate check. The residuals themselves are problem specific and are
computed by each solver.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "DEFAULT_SOLVERS",
    "check_certificate",
    "check_solver_options",
    "choose_solver",
    "require_optimal",
]

#: Default cvxpy solvers, in order of preference.
DEFAULT_SOLVERS = ("CLARABEL", "HIGHS")


def choose_solver(solver, defaults=DEFAULT_SOLVERS) -> str:
    """The cvxpy solver name to use: ``solver`` if installed, else the first installed of ``defaults``.

    Examples
    --------
    >>> choose_solver("highs")
    'HIGHS'
    >>> choose_solver("NOPE")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown solver 'NOPE': it is not an installed cvxpy solver; installed: [...]
    """
    import cvxpy as cp

    installed = cp.installed_solvers()
    if solver is None:
        for name in defaults:
            if name in installed:
                return name
        raise ValueError(f"none of the default LP solvers {tuple(defaults)} is installed (installed: {installed})")
    if not isinstance(solver, str):
        raise ValueError(f"solver must be a cvxpy solver name (a str), got {solver!r}; installed: {installed}")
    if solver.upper() not in installed:
        raise ValueError(f"unknown solver {solver!r}: it is not an installed cvxpy solver; installed: {installed}")
    return solver.upper()


def check_solver_options(solver_options) -> dict:
    """``solver_options`` (keyword arguments of this call's ``problem.solve``) as a dict, ``{}`` for None."""
    if solver_options is None:
        return {}
    if not isinstance(solver_options, dict):
        raise ValueError(f"solver_options must be a dict, got {type(solver_options).__name__}")
    return dict(solver_options)


def require_optimal(problem, solver_name: str, what: str = "the LP solver") -> None:
    """Step 1 of every check: the status must be ``optimal`` (not infeasible, unbounded or inaccurate)."""
    import cvxpy as cp

    if problem.status != cp.OPTIMAL:
        raise RuntimeError(
            f"{what} {solver_name} ended with status {problem.status!r} (expected 'optimal'); "
            "try another solver or tighter solver_options"
        )


def check_certificate(checks, solver_name: str, tol: float, what: str = "LP") -> None:
    """Steps 2-4: each ``(name, value, limit)`` must have a finite ``value <= limit``, in the given order.

    Examples
    --------
    >>> check_certificate([("duality gap", 1e-9, 1e-7)], "HIGHS", 1e-7)
    >>> check_certificate([("duality gap", 1e-3, 1e-7)], "HIGHS", 1e-7)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    RuntimeError: LP certificate check failed with solver HIGHS: duality gap = 1.000e-03 > 1.000e-07 (tol = 1e-07); ...
    """
    for name, value, limit in checks:
        if not np.isfinite(value) or value > limit:
            raise RuntimeError(
                f"{what} certificate check failed with solver {solver_name}: {name} = {value:.3e} > {limit:.3e} "
                f"(tol = {tol:g}); tighten the solver tolerances via solver_options or raise tol"
            )
