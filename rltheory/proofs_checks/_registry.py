"""The claim registry: :class:`Claim`, :class:`CheckResult`, :func:`register` and the :func:`claim` decorator.

A *claim* is a theorem (or lemma, or inequality) that rltheory relies on,
stated in words and LaTeX, with its source, and a *check* that tests it
numerically. Checks search for counterexamples (with hypothesis for claims
quantified over instances, with seeded Monte Carlo for statistical claims) and
report the *slack* of the tightest instance.

Slack convention (every claim, every report): ``slack >= 0`` means the claim
holds, ``slack < 0`` that it is violated; a claim that passed has
``worst_slack >= 0``, one that failed ``<= 0`` (exactly 0 is tight: a "for all"
claim holds with equality, a counterexample claim has no strict witness). The
slack is in the natural units of the claim (e.g.
``gamma * ||v - w|| - ||T v - T w||`` for a contraction) and already includes
the stated floating-point allowance; the *relative slack* divides it by the
size of what is compared (:class:`Slack`: the bound, or the allowance of an
identity), so claims can be compared: 1 means "far inside", 0 "tight", < 0
"violated by that fraction of the bound".

* A claim "for all x, P(x)" (kinds ``identity``, ``inequality``, ``rate``,
  ``lower-bound``): ``worst_slack`` is the minimum of P's slack over the
  instances tried.
* A claim "there is an x with not P(x)" (kind ``counterexample``): the check
  searches for a witness; the claim's slack on an instance is *minus* P's slack
  (positive when the instance refutes P), and ``worst_slack`` is the best
  witness's, the maximum over the instances tried. The witness is reported as
  ``counterexample`` (a counterexample to P), with P's own (negative) slack.
"""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Claim",
    "CheckContext",
    "CheckResult",
    "Counterexample",
    "Slack",
    "claim",
    "register",
]

KINDS = ("identity", "inequality", "rate", "lower-bound", "counterexample")

#: Entropy used for Monte Carlo claims when no seed is given (runs stay reproducible).
DEFAULT_SEED = 0

#: The effort budget of ``rltheory check`` and of every entry point's default (one number, so the
#: test suite that runs every claim at this effort tests exactly what the command runs).
DEFAULT_EXAMPLES = 100

_REGISTRY: dict[str, Claim] = {}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]*(\.[a-z0-9][a-z0-9_\-]*)*$")


@dataclass(frozen=True)
class CheckContext:
    """What a check is allowed to spend and how it draws randomness.

    Attributes
    ----------
    examples : int
        Effort budget: ``max_examples`` of the hypothesis search for claims
        quantified over instances; Monte Carlo claims scale their number of
        replications with it (each documents how).
    seed : int or None
        ``None``: hypothesis runs derandomized and Monte Carlo claims use
        :data:`DEFAULT_SEED`; an integer seeds both. Either way a run is
        reproducible.

    Examples
    --------
    >>> from rltheory.proofs_checks import CheckContext
    >>> ctx = CheckContext(examples=20)
    >>> ctx.examples, ctx.seed
    (20, None)
    """

    examples: int = DEFAULT_EXAMPLES
    seed: int | None = None

    def __post_init__(self):
        if isinstance(self.examples, bool) or not isinstance(self.examples, (int, np.integer)) or self.examples < 1:
            raise ValueError(f"examples = {self.examples!r} must be an integer >= 1")
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0
        ):
            raise ValueError(f"seed = {self.seed!r} must be a non-negative integer or None")

    def seed_sequence(self, *key: int) -> np.random.SeedSequence:
        """A :class:`numpy.random.SeedSequence` for this run, optionally keyed by integers.

        Examples
        --------
        >>> from rltheory.proofs_checks import CheckContext
        >>> a, b = CheckContext().seed_sequence(7), CheckContext(seed=0).seed_sequence(7)
        >>> a.entropy == b.entropy == [0, 7]  # seed None uses DEFAULT_SEED = 0
        True
        """
        base = DEFAULT_SEED if self.seed is None else int(self.seed)
        return np.random.SeedSequence([base, *[int(k) for k in key]])


@dataclass(frozen=True)
class Slack:
    """The slack of one instance with the size of what it compares, so that it can be reported relatively.

    A slack function (the ``evaluate`` of a claim) returns either a plain float
    or a ``Slack``; :attr:`relative` is ``value / scale``.

    Attributes
    ----------
    value : float
        The slack in the claim's units (``>= 0`` holds), allowance included.
    scale : float
        ``> 0``: the magnitude of the compared quantities, e.g. ``|rhs| +
        allowance`` for ``lhs <= rhs``, the allowance for an identity checked
        to within an allowance.

    Examples
    --------
    >>> from rltheory.proofs_checks import Slack
    >>> s = Slack(2.0 - 1.5, scale=2.0)  # 1.5 <= 2: a quarter of the bound unused
    >>> s.relative
    0.25
    """

    value: float
    scale: float

    def __post_init__(self):
        object.__setattr__(self, "value", float(self.value))
        object.__setattr__(self, "scale", float(self.scale))
        if not (self.scale > 0 and self.scale < float("inf")):
            raise ValueError(f"Slack scale = {self.scale!r} must be a finite number > 0")

    @property
    def relative(self) -> float:
        """``value / scale``.

        Examples
        --------
        >>> from rltheory.proofs_checks import Slack
        >>> Slack(-0.5, scale=2.0).relative  # violated by a quarter of the bound
        -0.25
        """
        return self.value / self.scale


def slack_parts(out) -> tuple[float, float | None]:
    """``(value, relative)`` of a slack function's output (``relative`` is None for a plain float).

    Examples
    --------
    >>> from rltheory.proofs_checks._registry import Slack, slack_parts
    >>> slack_parts(Slack(-1.0, 4.0)), slack_parts(0.5)
    ((-1.0, -0.25), (0.5, None))
    """
    if isinstance(out, Slack):
        return out.value, out.relative
    return float(out), None


@dataclass(frozen=True, eq=False)
class Counterexample:
    """An instance on which a claim failed, with what is needed to reproduce it.

    Attributes
    ----------
    instance : object
        The exact instance (arrays, models, parameters), as passed to the
        claim's ``evaluate``; ``recheck(claim, counterexample)`` re-runs it.
    slack : float
        Its slack (negative): for a claim of kind ``counterexample``, the slack
        of the statement it refutes.
    text : str
        A full-precision, human-readable rendering of ``instance``.
    seed : int or None
        The seed of the run that found it.
    reproduction : str or None
        The hypothesis ``@reproduce_failure(...)`` decorator, when hypothesis
        found the instance.

    Examples
    --------
    >>> from rltheory.proofs_checks import Counterexample, get_claim, recheck
    >>> cx = Counterexample(instance=(3, 2), slack=-1.0, text="(3, 2)")
    >>> cx.slack < 0, cx.reproduction is None
    (True, True)
    """

    instance: Any
    slack: float
    text: str
    seed: int | None = None
    reproduction: str | None = None


@dataclass(frozen=True, eq=False)
class CheckResult:
    """The outcome of checking one claim.

    Attributes
    ----------
    claim_id : str
    passed : bool
    n_instances : int
        Instances evaluated (hypothesis examples including shrinking, or
        Monte Carlo experiments).
    worst_slack : float
        The claim's slack (module docstring): ``>= 0`` exactly when the claim
        passed; ``nan`` when the check errored before evaluating anything.
    counterexample : Counterexample or None
        ``None`` when the claim passed; for a claim of kind
        ``counterexample``, the witness it found (then the claim passed).
    seconds : float
        Wall-clock time of the check.
    fitted_exponent : float or None
        For rate claims: the fitted exponent (or linear rate) ...
    exponent_ci : (float, float) or None
        ... its bootstrap confidence interval ...
    claimed_exponent : float or None
        ... and the exponent of the published rate.
    rate : rltheory.proofs_checks.rates.RateFit or None
        The full fit (data and fitted line), used for plots in reports.
    message : str
        One line of detail (what was checked; the error if the check raised).
    relative_slack : float or None
        ``worst_slack`` relative to the size of what is compared (the minimum,
        or for a counterexample claim the maximum, of :attr:`Slack.relative`
        over the instances); same sign as ``worst_slack``; ``None`` when the
        check does not report a scale.

    Examples
    --------
    >>> from rltheory.proofs_checks import CheckResult
    >>> r = CheckResult("demo.ok", passed=True, n_instances=3, worst_slack=0.25, counterexample=None, seconds=0.0)
    >>> r.passed, r.worst_slack >= 0, r.relative_slack
    (True, True, None)
    >>> CheckResult("demo.bad", passed=True, n_instances=1, worst_slack=-1.0, counterexample=None, seconds=0.0)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: claim 'demo.bad': passed = True but worst_slack = -1.0; a claim's slack is >= 0 when it ...
    """

    claim_id: str
    passed: bool
    n_instances: int
    worst_slack: float
    counterexample: Counterexample | None
    seconds: float
    fitted_exponent: float | None = None
    exponent_ci: tuple[float, float] | None = None
    claimed_exponent: float | None = None
    rate: Any = None
    message: str = ""
    relative_slack: float | None = None

    def __post_init__(self):
        # one sign convention: a passed claim has slack >= 0, a failed one <= 0 (0 is tight; nan: not evaluated)
        s, r = self.worst_slack, self.relative_slack
        for name, x in (("worst_slack", s), ("relative_slack", r)):
            if x is not None and x == x and (x < 0 if self.passed else x > 0):
                raise ValueError(
                    f"claim {self.claim_id!r}: passed = {self.passed} but {name} = {x!r}; "
                    "a claim's slack is >= 0 when it passes and <= 0 when it fails"
                )


@dataclass(frozen=True, eq=False)
class Claim:
    """A registered claim.

    Attributes
    ----------
    id : str
        Dotted identifier, e.g. ``"bellman.optimality.contraction"``.
    statement : str
        The claim in words, including its quantifiers and hypotheses.
    latex : str
        The claim as a LaTeX formula.
    source : str
        Paper/book with theorem or equation number.
    kind : str
        ``"identity"``, ``"inequality"``, ``"rate"``, ``"lower-bound"`` or
        ``"counterexample"`` (a claim that something can fail: it passes when
        the check *finds* an instance).
    tags : tuple of str
    check : callable
        ``check(ctx: CheckContext) -> CheckResult``; the search.
    evaluate : callable or None
        ``evaluate(instance) -> float`` or :class:`Slack`: the slack of a
        single instance, so that a reported counterexample can be re-checked.
    published_form : str or None
        For rate claims, the rate as published (e.g. ``"E[R_T] <= 8 sum_i ln T / Delta_i + ..."``).
    claimed_exponent : float or None
        For rate claims, the exponent (or linear rate) the fit is compared with.

    Examples
    --------
    >>> from rltheory.proofs_checks import CheckResult, Claim
    >>> def check(ctx):
    ...     return CheckResult("demo.one-plus-one", True, 1, 0.0, None, 0.0)
    >>> c = Claim(id="demo.one-plus-one", statement="1 + 1 = 2", latex="1 + 1 = 2", source="arithmetic",
    ...           kind="identity", tags=("demo",), check=check)
    >>> c.run().passed, c.kind
    (True, 'identity')
    """

    id: str
    statement: str
    latex: str
    source: str
    kind: str
    tags: tuple[str, ...]
    check: Callable[[CheckContext], CheckResult] = field(repr=False)
    evaluate: Callable[[Any], float] | None = field(default=None, repr=False)
    published_form: str | None = None
    claimed_exponent: float | None = None

    def __post_init__(self):
        if not isinstance(self.id, str) or not _ID_RE.match(self.id):
            raise ValueError(f"claim id {self.id!r} must be dotted lowercase words, e.g. 'bellman.contraction'")
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id!r}: kind {self.kind!r} must be one of {KINDS}")
        for name in ("statement", "latex", "source"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ValueError(f"claim {self.id!r}: {name} must be a non-empty string")
        if not callable(self.check):
            raise ValueError(f"claim {self.id!r}: check must be callable")
        if self.kind == "rate" and not self.published_form:
            raise ValueError(f"rate claim {self.id!r} must store the published form of its rate")
        object.__setattr__(self, "tags", tuple(self.tags))

    def run(self, *, examples: int = DEFAULT_EXAMPLES, seed: int | None = None) -> CheckResult:
        """Run the check and time it; an exception inside the check is a failure.

        Examples
        --------
        >>> from rltheory.proofs_checks import get_claim
        >>> result = get_claim("bellman.optimality.contraction").run(examples=5)
        >>> result.passed, result.worst_slack >= 0
        (True, True)
        """
        ctx = CheckContext(examples=examples, seed=seed)
        start = time.perf_counter()
        try:
            result = self.check(ctx)
        except Exception as exc:  # a crashing check is reported, never hidden
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            return CheckResult(
                claim_id=self.id,
                passed=False,
                n_instances=0,
                worst_slack=float("nan"),
                counterexample=None,
                seconds=time.perf_counter() - start,
                claimed_exponent=self.claimed_exponent,
                message=f"check raised {tb}",
            )
        if not isinstance(result, CheckResult):
            raise TypeError(f"check of claim {self.id!r} returned {type(result).__name__}, expected CheckResult")
        return _replace(result, seconds=time.perf_counter() - start)


def _replace(result: CheckResult, **changes) -> CheckResult:
    from dataclasses import replace

    return replace(result, **changes)


def register(c: Claim) -> Claim:
    """Add ``c`` to the registry; a second claim with the same id is an error.

    Examples
    --------
    >>> from rltheory.proofs_checks import CheckResult, Claim, get_claim, register
    >>> from rltheory.proofs_checks._registry import _REGISTRY
    >>> def check(ctx):
    ...     return CheckResult("demo.registered", True, 1, 0.0, None, 0.0)
    >>> c = Claim("demo.registered", "s", "l", "src", "identity", (), check=check)
    >>> register(c) is c, get_claim("demo.registered") is c
    (True, True)
    >>> del _REGISTRY["demo.registered"]  # keep the catalogue clean
    """
    if not isinstance(c, Claim):
        raise ValueError(f"register expects a Claim, got {type(c).__name__}")
    if c.id in _REGISTRY and _REGISTRY[c.id] is not c:
        raise ValueError(f"a claim with id {c.id!r} is already registered")
    _REGISTRY[c.id] = c
    return c


def claim(
    *,
    id: str,
    statement: str,
    latex: str,
    source: str,
    kind: str,
    tags=(),
    evaluate: Callable[[Any], float] | None = None,
    published_form: str | None = None,
    claimed_exponent: float | None = None,
    registry: bool = True,
):
    """Decorator registering ``check(ctx) -> CheckResult`` as a :class:`Claim`.

    With ``registry=False`` the claim is built but not registered (useful for
    throw-away claims in tests). Returns the :class:`Claim`.

    Examples
    --------
    >>> from rltheory.proofs_checks import claim, CheckResult
    >>> @claim(id="demo.trivial", statement="0 <= 1", latex="0 \\\\le 1",
    ...        source="arithmetic", kind="inequality", registry=False)
    ... def trivial(ctx):
    ...     return CheckResult("demo.trivial", True, 1, 1.0, None, 0.0)
    >>> trivial.run().passed
    True
    """

    def decorate(check):
        c = Claim(
            id=id,
            statement=statement,
            latex=latex,
            source=source,
            kind=kind,
            tags=tuple(tags),
            check=check,
            evaluate=evaluate,
            published_form=published_form,
            claimed_exponent=claimed_exponent,
        )
        return register(c) if registry else c

    return decorate
