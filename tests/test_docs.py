"""Documentation coverage, without building the docs: every public symbol has a docstring, and everything the
docs generator (``docs/_ext/rltheory_docs.py``) reads from the code is there.

The generator documents every public module (:func:`rltheory_docs.public_modules`); these tests iterate over
exactly those modules and over their public symbols as the docstring-example tests do
(:func:`tests._helpers.public_symbols`), so a name added to an ``__all__`` without a docstring fails here
before it reaches an empty API page.
"""

import importlib.util
import inspect
from pathlib import Path

from tests._helpers import public_symbols

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("rltheory_docs", ROOT / "docs" / "_ext" / "rltheory_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # imports no Sphinx: the docs extra is not needed
    return module


def _own_docstring(obj) -> str:
    doc = obj.__doc__ or ""
    if inspect.isclass(obj) and doc.startswith(f"{obj.__name__}(") and "\n" not in doc:
        return ""  # the signature a dataclass writes for a class without a docstring
    return doc.strip()


def test_the_generator_documents_every_subpackage():
    modules = _generator().public_modules()
    expected = {
        "rltheory.tabular",
        "rltheory.tabular.games",
        "rltheory.tabular.envs",
        "rltheory.linear",
        "rltheory.bandits",
        "rltheory.distributional",
        "rltheory.simulation",
        "rltheory.proofs_checks",
        "rltheory.experiments",
    }
    assert expected <= set(modules)
    assert all(not part.startswith("_") for m in modules for part in m.split("."))


def test_every_public_module_and_symbol_has_a_docstring():
    missing = []
    for module in _generator().public_modules():
        if not _own_docstring(importlib.import_module(module)):
            missing.append(module)
        for name, obj, inherited in public_symbols(module):
            if not callable(obj):
                continue  # a constant's documentation is its `#:` comment, read by autodoc from the source
            if _own_docstring(obj) or (inherited is not None and obj.__doc__ is None and inspect.getdoc(inherited)):
                continue
            missing.append(name)
    assert missing == [], f"public symbols without a docstring: {missing}"


def test_every_claim_has_a_checker_with_source_for_the_theory_index():
    from rltheory.proofs_checks import list_claims

    gen = _generator()
    claims = list_claims()
    assert claims
    for c in claims:
        fn = gen._checker(c)
        assert fn.__module__.startswith("rltheory.proofs_checks."), (c.id, fn)
        lines, first = inspect.getsourcelines(fn)
        assert lines and first >= 1, c.id


def test_called_api_reads_the_public_functions_a_check_calls():
    # bellman.optimality.contraction's slack calls rltheory.tabular.bellman_operator through a helper
    from rltheory.proofs_checks import get_claim

    gen = _generator()
    targets = gen.api_targets(["rltheory.tabular"])
    fn = gen._checker(get_claim("bellman.optimality.contraction"))
    assert gen.called_api(fn, targets) == ["rltheory.tabular.bellman_operator"]


def test_a_dataclass_without_a_docstring_counts_as_undocumented():
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Bare:
        x: int

    @dataclasses.dataclass(frozen=True)
    class Documented:
        """A documented result."""

        x: int

    assert _own_docstring(Bare) == "" and _own_docstring(Documented) == "A documented result."
