"""The catalogue loads the claim modules lazily, and the registry never imports them (no import cycle)."""

import ast
import subprocess
import sys
from pathlib import Path

import rltheory.proofs_checks as pc
from rltheory.proofs_checks._catalog import CLAIM_MODULES, list_claims

PKG = Path(pc.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def test_registry_and_claim_modules_do_not_import_each_other_in_a_cycle():
    registry = _imported_modules(PKG / "_registry.py")
    assert not any("_claims" in m or "_catalog" in m for m in registry), registry
    for name in CLAIM_MODULES:
        assert "rltheory.proofs_checks._catalog" not in _imported_modules(PKG / f"{name}.py"), name
    # every claim module on disk is in the catalogue (a new module cannot be forgotten)
    on_disk = {p.stem for p in PKG.glob("_claims_*.py")}
    assert on_disk == set(CLAIM_MODULES)


def test_importing_the_package_loads_no_claim_module():
    code = (
        "import sys, rltheory.proofs_checks; "
        "print(sorted(m for m in sys.modules if m.startswith('rltheory.proofs_checks._claims')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_claim_module_registers_claims():
    ids = [c.id for c in list_claims()]
    # a property claim's check lives in _search; its slack function (evaluate) in the claim module
    modules = {(c.evaluate or c.check).__module__.rsplit(".", 1)[-1] for c in list_claims()}
    assert modules == set(CLAIM_MODULES) and len(ids) == len(set(ids))
