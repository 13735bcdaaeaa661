"""The claim catalogue: loading the claim modules on first use, lookup, selection and running.

:func:`list_claims`, :func:`get_claim`, :func:`run_claims` and :func:`recheck`
import the claim modules (:data:`CLAIM_MODULES`) the first time one of them is
called, so ``import rltheory.proofs_checks`` stays cheap and the registry module
never imports a claim module (which imports the registry to register itself).
"""

from __future__ import annotations

import concurrent.futures
import importlib
import multiprocessing

import numpy as np

from rltheory.proofs_checks._registry import (
    _REGISTRY,
    DEFAULT_EXAMPLES,
    CheckContext,
    CheckResult,
    Claim,
    Counterexample,
    slack_parts,
)

__all__ = ["CLAIM_MODULES", "get_claim", "list_claims", "load", "recheck", "run_claims"]

#: The modules that register claims, in load order.
CLAIM_MODULES = (
    "_claims_dp",
    "_claims_concentration",
    "_claims_bandits",
    "_claims_distributional",
    "_claims_average_reward",
    "_claims_average_reward_learning",
    "_claims_regularized",
    "_claims_linear",
    "_claims_convex",
    "_claims_games",
    "_claims_occupancy",
    "_claims_markov_games",
    "_claims_preferences",
    "_claims_samples",
    "_claims_tabular_learning",
    "_claims_gittins",
    "_claims_identification",
    "_claims_bandit_seeds",
    "_claims_nonstationary",
)

_LOADED = False


def load() -> None:
    """Import every claim module once (each registers its claims on import).

    Called by every lookup below, never at import time: the registry
    (:mod:`rltheory.proofs_checks._registry`) knows nothing of the claim
    modules, the claim modules import only the registry, and this module
    imports both -- no cycle. A claim module whose subject package cannot be
    imported registers nothing (each module guards its own optional imports).

    Examples
    --------
    >>> from rltheory.proofs_checks._catalog import CLAIM_MODULES, load
    >>> load()
    >>> import sys
    >>> all(f"rltheory.proofs_checks.{m}" in sys.modules for m in CLAIM_MODULES)
    True
    """
    global _LOADED
    if _LOADED:
        return
    for name in CLAIM_MODULES:
        importlib.import_module(f"rltheory.proofs_checks.{name}")
    _LOADED = True


def get_claim(id: str) -> Claim:
    """The registered claim with this id (``ValueError`` naming close ids otherwise).

    Examples
    --------
    >>> from rltheory.proofs_checks import get_claim
    >>> get_claim("vi.error-bound").kind
    'inequality'
    >>> get_claim("vi.error-bnd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: no claim with id 'vi.error-bnd'; did you mean vi.error-bound...?
    """
    load()
    try:
        return _REGISTRY[id]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(str(id), list(_REGISTRY), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `rltheory check --list`"
        raise ValueError(f"no claim with id {id!r}{hint}") from None


def list_claims(tag: str | None = None) -> tuple[Claim, ...]:
    """Registered claims sorted by id, optionally only those carrying ``tag``.

    Examples
    --------
    >>> from rltheory.proofs_checks import list_claims
    >>> all(c.source for c in list_claims(tag="dp"))
    True
    """
    load()
    claims = sorted(_REGISTRY.values(), key=lambda c: c.id)
    if tag is not None:
        claims = [c for c in claims if tag in c.tags]
    return tuple(claims)


def _select(ids, tag) -> list[Claim]:
    if ids is not None and tag is not None:
        raise ValueError("give claim ids or a tag, not both")
    if ids is None:
        selected = list(list_claims(tag))
        if tag is not None and not selected:
            known = sorted({t for c in list_claims() for t in c.tags})
            raise ValueError(f"no claim has tag {tag!r}; known tags: {', '.join(known)}")
        return selected
    if isinstance(ids, str):
        ids = [ids]
    return [get_claim(i) for i in ids]


def _run_one(claim_id: str, examples: int, seed: int | None) -> CheckResult:
    return get_claim(claim_id).run(examples=examples, seed=seed)


def run_claims(
    ids=None,
    *,
    tag: str | None = None,
    examples: int = DEFAULT_EXAMPLES,
    seed: int | None = None,
    workers: int = 1,
    progress: bool | None = None,
) -> tuple[CheckResult, ...]:
    """Check several claims and return their results in selection order.

    Parameters
    ----------
    ids : str or sequence of str, optional
        Claim ids; default all claims (or all with ``tag``).
    tag : str, optional
        Select the claims carrying this tag.
    examples : int
        Effort budget per claim (see :class:`CheckContext`).
    seed : int, optional
        ``None`` = derandomized/default-seeded; results are reproducible
        either way and do not depend on ``workers``.
    workers : int
        Number of processes; ``1`` runs in this process.
    progress : bool, optional
        Show a tqdm bar; default only when stderr is a terminal.

    Examples
    --------
    >>> from rltheory.proofs_checks import run_claims
    >>> [r.passed for r in run_claims("bellman.evaluation.monotone", examples=5)]
    [True]
    """
    from tqdm import tqdm  # plain bars: tqdm.auto warns in kernels without ipywidgets

    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers = {workers!r} must be an integer >= 1")
    CheckContext(examples=examples, seed=seed)  # validates
    selected = _select(ids, tag)
    if progress is None:
        import sys

        progress = sys.stderr.isatty()
    bar = tqdm(total=len(selected), desc="rltheory check", unit="claim", disable=not progress)
    results: dict[str, CheckResult] = {}
    try:
        if workers == 1 or len(selected) <= 1:
            for c in selected:
                bar.set_postfix_str(c.id)
                results[c.id] = c.run(examples=examples, seed=seed)
                bar.update()
        else:
            ctx = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(max_workers=int(workers), mp_context=ctx) as pool:
                futures = {pool.submit(_run_one, c.id, examples, seed): c.id for c in selected}
                for fut in concurrent.futures.as_completed(futures):
                    results[futures[fut]] = fut.result()
                    bar.set_postfix_str(futures[fut])
                    bar.update()
    finally:
        bar.close()
    return tuple(results[c.id] for c in selected)


def recheck(c: Claim | str, counterexample: Counterexample) -> float:
    """Re-evaluate a reported counterexample; returns its slack (negative if it still fails).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.proofs_checks import get_claim, recheck, Counterexample
    >>> from rltheory.tabular import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=0.5)
    >>> cx = Counterexample((mdp, np.array([0.0]), np.array([1.0])), 0.0, "")
    >>> recheck("bellman.optimality.contraction", cx) >= 0
    True
    """
    if isinstance(c, str):
        c = get_claim(c)
    if c.evaluate is None:
        raise ValueError(f"claim {c.id!r} has no single-instance evaluate; re-run its check with the reported seed")
    return slack_parts(c.evaluate(counterexample.instance))[0]
