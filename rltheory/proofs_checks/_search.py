"""Hypothesis-driven counterexample search and property claims.

:func:`search` drives hypothesis programmatically: it draws instances from a
strategy, evaluates their slack, steers the search towards small slack with
:func:`hypothesis.target`, and when an instance violates the claim lets
hypothesis shrink it to a minimal one. :func:`property_claim` turns a slack
function and a strategy into a registered :class:`~rltheory.proofs_checks.Claim`.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from rltheory.proofs_checks._registry import CheckContext, CheckResult, Claim, Counterexample, register, slack_parts

__all__ = ["SearchOutcome", "search", "property_claim", "render_instance"]


@dataclass(frozen=True, eq=False)
class SearchOutcome:
    """Result of :func:`search`.

    Attributes
    ----------
    n_instances : int
        Instances evaluated (generation, targeting and shrinking).
    worst_slack : float
        Minimum slack seen (``nan`` if an instance made the slack function raise).
    counterexample : Counterexample or None
        The shrunk violating instance.
    error : str or None
        The exception raised by the slack function on the counterexample, if any.
    worst_relative_slack : float or None
        Minimum relative slack seen, when the slack function returns
        :class:`~rltheory.proofs_checks.Slack` records (``None`` if any
        instance gave a plain float).

    Examples
    --------
    >>> from hypothesis import strategies as st
    >>> from rltheory.proofs_checks import Slack, search
    >>> out = search(st.integers(0, 10), lambda x: Slack(20.0 - x, scale=20.0), max_examples=30)
    >>> out.counterexample is None, out.worst_slack, out.worst_relative_slack
    (True, 10.0, 0.5)
    """

    n_instances: int
    worst_slack: float
    counterexample: Counterexample | None
    error: str | None
    worst_relative_slack: float | None = None


class _Violation(AssertionError):
    pass


_BLOB_RE = re.compile(r"(@reproduce_failure\([^)]*\))")


def search(
    strategy, slack: Callable[[Any], float], *, max_examples: int = 100, seed: int | None = None, shrink: bool = True
) -> SearchOutcome:
    """Search ``strategy`` for an instance with negative ``slack``.

    Parameters
    ----------
    strategy : hypothesis.strategies.SearchStrategy
        Draws instances (any objects ``slack`` accepts).
    slack : callable
        ``slack(instance) -> float`` or :class:`~rltheory.proofs_checks.Slack`;
        ``>= 0`` when the claim holds.
    max_examples : int
        Hypothesis budget.
    shrink : bool
        Shrink a violating instance to a minimal one (hypothesis' shrink
        phase; can cost seconds on model-valued strategies).
    seed : int, optional
        ``None`` runs hypothesis derandomized; an integer seeds it. Both are
        reproducible.

    Examples
    --------
    >>> from hypothesis import strategies as st
    >>> from rltheory.proofs_checks import search
    >>> out = search(st.integers(0, 100), lambda x: 50 - x, max_examples=50)
    >>> out.counterexample.instance, out.counterexample.slack
    (51, -1.0)
    """
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings, target
    from hypothesis import seed as hypothesis_seed

    state = {
        "n": 0,
        "worst": math.inf,
        "worst_rel": math.inf,
        "last_fail": None,
        "error": None,
        "first": None,
        "varied": False,
    }

    def body(instance):
        state["n"] += 1
        try:
            value, rel = slack_parts(slack(instance))
        except Exception as exc:  # an instance that crashes the claim is a counterexample
            state["last_fail"] = (instance, math.nan)
            state["error"] = f"{type(exc).__name__}: {exc}"
            state["worst"] = math.nan
            raise _Violation(state["error"]) from exc
        if math.isnan(value):
            state["worst"] = math.nan
        elif not math.isnan(state["worst"]):
            state["worst"] = min(state["worst"], value)
        if rel is None or state["worst_rel"] is None:
            state["worst_rel"] = None
        elif math.isnan(rel) or math.isnan(state["worst_rel"]):
            state["worst_rel"] = math.nan
        else:
            state["worst_rel"] = min(state["worst_rel"], rel)
        if math.isfinite(value):
            # steer towards small slack, but only once the slack has varied: a constant slack (an identity that
            # holds exactly, slack = its allowance) gives the optimiser nothing to climb, and its phase would then
            # spend the budget mutating instances at random
            if state["first"] is None:
                state["first"] = value
            if value != state["first"]:
                state["varied"] = True
            if state["varied"]:
                target(-value, label="negated slack")
        if not value >= 0:  # also catches nan
            state["last_fail"] = (instance, value)
            state["error"] = None
            raise _Violation(f"slack {value!r} < 0")

    conf = settings(
        max_examples=int(max_examples),
        derandomize=seed is None,
        database=None,
        deadline=None,
        print_blob=True,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        phases=[p for p in Phase if shrink or p is not Phase.shrink],
    )
    test = given(strategy)(body)
    test = conf(test)
    if seed is not None:
        test = hypothesis_seed(int(seed))(test)
    reproduction = None
    try:
        test()
    except _Violation as exc:
        notes = "\n".join(getattr(exc, "__notes__", []) or [])
        m = _BLOB_RE.search(notes)
        reproduction = m.group(1) if m else None
    counterexample = None
    if state["last_fail"] is not None:
        instance, value = state["last_fail"]
        counterexample = Counterexample(
            instance=instance, slack=value, text=render_instance(instance), seed=seed, reproduction=reproduction
        )
    worst = state["worst"] if state["n"] else math.nan
    rel = state["worst_rel"] if state["n"] and state["worst_rel"] is not None else None
    if math.isnan(worst) and rel is not None:
        rel = math.nan
    return SearchOutcome(
        n_instances=state["n"],
        worst_slack=float(worst),
        counterexample=counterexample,
        error=state["error"],
        worst_relative_slack=rel,
    )


def property_claim(
    *,
    id: str,
    statement: str,
    latex: str,
    source: str,
    kind: str,
    strategy: Callable[[], Any],
    tags=(),
    message: str = "",
    registry: bool = True,
):
    """Decorator: ``slack(instance) -> float`` plus a strategy becomes a searched :class:`Claim`.

    ``strategy`` is a zero-argument callable returning the hypothesis
    strategy (built lazily, so importing the registry stays cheap). For a
    claim of kind ``"counterexample"`` the check passes when the search
    *finds* a violating instance (the claim is "this can fail").

    Examples
    --------
    >>> from hypothesis import strategies as st
    >>> from rltheory.proofs_checks import property_claim
    >>> @property_claim(id="demo.square", statement="x^2 >= x for integers",
    ...                 latex="x^2 \\\\ge x", source="arithmetic", kind="inequality",
    ...                 strategy=lambda: st.integers(-10, 10), registry=False)
    ... def square(x):
    ...     return float(x * x - x)
    >>> result = square.run(examples=30)
    >>> result.passed, result.worst_slack
    (True, 0.0)
    """

    def decorate(slack):
        def check(ctx: CheckContext) -> CheckResult:
            # a "counterexample" claim only needs a witness, not a minimal one
            out = search(strategy(), slack, max_examples=ctx.examples, seed=ctx.seed, shrink=kind != "counterexample")
            found = out.counterexample is not None
            detail = message
            if out.error:
                detail = f"slack raised {out.error} on the counterexample"
            worst, rel = out.worst_slack, out.worst_relative_slack
            if kind == "counterexample":
                # the claim "some x violates P": its slack is minus P's, best over the instances (module
                # docstring of rltheory.proofs_checks._registry); a crash or a nan slack is no witness
                passed = found and out.error is None and out.counterexample.slack < 0
                worst = -worst
                rel = None if rel is None else -rel
            else:
                passed = not found
            return CheckResult(
                claim_id=id,
                passed=passed,
                n_instances=out.n_instances,
                worst_slack=worst,
                counterexample=out.counterexample,
                seconds=0.0,
                message=detail,
                relative_slack=rel,
            )

        c = Claim(
            id=id,
            statement=statement,
            latex=latex,
            source=source,
            kind=kind,
            tags=tuple(tags),
            check=check,
            evaluate=slack,
        )
        return register(c) if registry else c

    return decorate


# ---------------------------------------------------------------- rendering
def _render_array(a: np.ndarray) -> str:
    if a.dtype == object:
        return "np.array(" + repr(_fractions_to_str(a.tolist())) + ", dtype=object)  # Fractions"
    with np.printoptions(threshold=sys.maxsize, floatmode="unique", linewidth=120):
        return repr(a)


def _fractions_to_str(x):
    if isinstance(x, list):
        return [_fractions_to_str(y) for y in x]
    return str(x) if isinstance(x, Fraction) else x


def render_instance(instance) -> str:
    """Full-precision, Python-like text of an instance (models, arrays, tuples, dataclasses).

    Floats are printed with the shortest repr that round-trips, so the text
    reproduces the instance bit for bit.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.proofs_checks import render_instance
    >>> print(render_instance((np.array([0.1, 2.0]), 3)))
    (array([0.1, 2. ]), 3)
    """
    from rltheory.tabular import FiniteMDP

    if isinstance(instance, FiniteMDP):
        if instance.is_exact:
            parts = [
                f"P={_render_array(instance.P_exact)}",
                f"R={_render_array(instance.R_exact)}",
                f"gamma=Fraction('{instance.gamma_exact}')",
            ]
        else:
            P = instance.P
            P_text = f"scipy.sparse.csr_array({_render_array(P.toarray())})" if instance.is_sparse else _render_array(P)
            parts = [f"P={P_text}", f"R={_render_array(np.asarray(instance.R))}", f"gamma={instance.gamma!r}"]
        if instance.has_action_mask:
            parts.append(f"action_mask={_render_array(np.asarray(instance.action_mask))}")
        return "FiniteMDP(" + ", ".join(parts) + ")"
    if isinstance(instance, np.ndarray):
        return _render_array(instance)
    if isinstance(instance, tuple):
        inner = ", ".join(render_instance(x) for x in instance)
        return f"({inner},)" if len(instance) == 1 else f"({inner})"
    if isinstance(instance, list):
        return "[" + ", ".join(render_instance(x) for x in instance) + "]"
    if isinstance(instance, Fraction):
        return f"Fraction('{instance}')"
    if hasattr(instance, "__dataclass_fields__"):
        fields = ", ".join(f"{k}={render_instance(getattr(instance, k))}" for k in instance.__dataclass_fields__)
        return f"{type(instance).__name__}({fields})"
    return repr(instance)
