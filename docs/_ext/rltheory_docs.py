"""Sphinx extension generating rltheory's API reference, theory index, gallery and notebook pages.

Everything is generated from the code at build time (``builder-inited``) into
``docs/generated/`` (git-ignored), so a new public name, claim, reproduction or
notebook appears in the site without editing the docs:

* ``generated/api/``: one page per public module -- every non-underscore
  subpackage or module of :mod:`rltheory`, recursively, plus any module named in
  an ``__all__`` -- with its docstring, an autosummary table of its ``__all__``
  and one autodoc page per public name.
* ``generated/theory.rst``: every claim of the registry
  (:func:`rltheory.proofs_checks.list_claims`, what ``rltheory check --list``
  prints), grouped by claim module, with its statement, formula, source, the
  function that checks it (its source inline) and the public functions that
  check calls (linked to their API pages).
* ``generated/gallery.rst``: every catalogue reproduction
  (:data:`rltheory.experiments.CATALOGUE`, what ``rltheory list`` prints); with
  ``RLTHEORY_DOCS_GALLERY`` on, each entry is run through ``rltheory reproduce``
  at a small size and its PNG shown.
* ``generated/notebooks/``: copies of ``notebooks/*.ipynb`` for myst-nb.

This module imports Sphinx only in :func:`setup`, so ``tests/test_docs.py`` can
import :func:`public_modules` and :func:`public_names` without the docs extra.
"""

from __future__ import annotations

import dis
import importlib
import inspect
import os
import pkgutil
import re
import shutil
import types
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
GENERATED = DOCS / "generated"

#: Runs per configuration of the gallery's reproductions (the entry's default if smaller).
GALLERY_RUNS = 8


# ------------------------------------------------------------------ public API
def public_modules() -> list[str]:
    """The public modules of rltheory, sorted: non-underscore subpackages and modules, recursively,
    and every module named in a public module's ``__all__``."""
    import rltheory

    found: list[str] = []

    def walk(name: str) -> None:
        if name in found:
            return
        mod = importlib.import_module(name)
        found.append(name)
        for info in pkgutil.iter_modules(getattr(mod, "__path__", [])):
            if not info.name.startswith("_"):
                walk(f"{name}.{info.name}")
        for attr in getattr(mod, "__all__", ()):
            obj = getattr(mod, attr)
            if isinstance(obj, types.ModuleType) and obj.__name__.startswith("rltheory."):
                walk(obj.__name__)

    for info in pkgutil.iter_modules(rltheory.__path__):
        if not info.name.startswith("_"):
            walk(f"rltheory.{info.name}")
    return sorted(found)


def public_names(module_name: str) -> list[str]:
    """The names of ``module_name.__all__`` that are not modules (modules get pages of their own)."""
    mod = importlib.import_module(module_name)
    return [n for n in getattr(mod, "__all__", ()) if not isinstance(getattr(mod, n), types.ModuleType)]


def _objtype(obj) -> str:
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return "data"


def _write(path: Path, text: str) -> None:
    """Write only when the content changes (Sphinx then re-reads only what changed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _title(text: str, char: str = "=") -> str:
    return f"{text}\n{char * len(text)}\n"


def write_api(out: Path) -> list[str]:
    """Write the API pages into ``out``; returns the documented module names."""
    modules = public_modules()
    keep = {out / "index.rst"}
    index = [
        _title("API reference"),
        "Generated from each public module's ``__all__`` (``docs/_ext/rltheory_docs.py``): a name added to an\n"
        "``__all__`` appears here without editing the docs.\n",
        ".. toctree::\n   :maxdepth: 1\n",
    ]
    for name in modules:
        index.append(f"   {name}")
        names = public_names(name)
        mod = importlib.import_module(name)
        page = [
            _title(f"``{name}``"),
            f".. automodule:: {name}\n   :no-members:\n",
        ]
        if names:
            page.append(f".. currentmodule:: {name}\n")
            page.append(".. autosummary::\n   :nosignatures:\n")
            page += [f"   {n}" for n in names]
            page.append("\n.. toctree::\n   :hidden:\n")
            page += [f"   {name}.{n}" for n in names]
            page.append("")
        subs = [m for m in modules if m.rpartition(".")[0] == name]
        if subs:
            page.append("Submodules: " + ", ".join(f":doc:`{m}`" for m in subs) + ".\n")
        keep.add(out / f"{name}.rst")
        _write(out / f"{name}.rst", "\n".join(page) + "\n")
        for n in names:
            obj = getattr(mod, n)
            kind = _objtype(obj)
            body = f".. currentmodule:: {name}\n\n.. auto{kind}:: {n}\n"
            if kind == "class":
                body += "   :members:\n   :show-inheritance:\n"
            elif kind == "data":
                body += "   :no-value:\n"
            keep.add(out / f"{name}.{n}.rst")
            _write(out / f"{name}.{n}.rst", _title(f"{name}.{n}") + "\n" + body)
    _write(out / "index.rst", "\n".join(index) + "\n")
    for stale in out.glob("*.rst"):  # a name removed from an __all__ loses its page
        if stale not in keep:
            stale.unlink()
    return modules


def api_targets(modules: list[str]) -> dict[int, str]:
    """``id(object) -> documented dotted name`` for every public name (the first module documenting it)."""
    targets: dict[int, str] = {}
    for name in modules:
        mod = importlib.import_module(name)
        for n in public_names(name):
            obj = getattr(mod, n)
            if callable(obj):
                targets.setdefault(id(obj), f"{name}.{n}")
    return targets


# ------------------------------------------------------------------ theory index
def _checker(c):
    """The claim-specific function that checks ``c``: its ``evaluate`` (the slack of one instance) when it has
    one, else its ``check``; a generic wrapper (a decorator's closure) is replaced by the slack function it
    wraps, the module-level function of the claim module in its closure."""
    fn = inspect.unwrap(c.evaluate if c.evaluate is not None else c.check)
    if "<locals>" in fn.__qualname__ and fn.__closure__:
        wrapped = [
            cell.cell_contents
            for cell in fn.__closure__
            if inspect.isfunction(cell.cell_contents)
            and cell.cell_contents.__module__ == fn.__module__
            and "<locals>" not in cell.cell_contents.__qualname__
        ]
        if len(wrapped) == 1:
            return wrapped[0]
    return fn


def _code_objects(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def called_api(fn, targets: dict[int, str]) -> list[str]:
    """Public rltheory names (outside :mod:`rltheory.proofs_checks`) that ``fn`` refers to, following the helper
    functions of its own module: imports (``from rltheory.x import f``), globals and attributes of imported
    modules. A static reading of the bytecode: what the check calls, not a proof of coverage."""
    module = inspect.getmodule(fn)
    seen_fns, found = set(), {}
    stack = [fn]
    while stack:
        f = stack.pop()
        if id(f) in seen_fns or not hasattr(f, "__code__"):
            continue
        seen_fns.add(id(f))
        glb = getattr(f, "__globals__", {})
        for code in _code_objects(f.__code__):
            names = set(code.co_names)
            objs = []
            last_import = None
            for ins in dis.get_instructions(code):
                if ins.opname == "IMPORT_NAME":
                    last_import = ins.argval
                elif ins.opname == "IMPORT_FROM" and last_import:
                    mod = importlib.import_module(last_import)
                    objs.append(getattr(mod, ins.argval, None))
            for n in names:
                obj = glb.get(n)
                if isinstance(obj, types.ModuleType):
                    if obj.__name__.startswith("rltheory"):
                        objs += [getattr(obj, a, None) for a in names]
                elif obj is not None:
                    objs.append(obj)
            for obj in objs:
                if obj is None:
                    continue
                target = targets.get(id(obj))
                if target is not None and not target.startswith("rltheory.proofs_checks"):
                    found[target] = None
                elif inspect.isfunction(obj) and inspect.getmodule(obj) is module:
                    stack.append(obj)
    return sorted(found)


def write_theory(path: Path, targets: dict[int, str]) -> None:
    """The theory index: every registered claim, grouped by the module that registers it."""
    from rltheory.proofs_checks import list_claims
    from rltheory.proofs_checks._catalog import CLAIM_MODULES

    claims = list_claims()
    by_module: dict[str, list] = {m: [] for m in CLAIM_MODULES}
    for c in claims:
        by_module.setdefault(_checker(c).__module__.rpartition(".")[2], []).append(c)
    lines = [
        ".. _theory-index:\n",
        _title("Theory index"),
        f"The {len(claims)} claims of the registry (:mod:`rltheory.proofs_checks`; ``rltheory check --list``),",
        "generated at build time. Each is a theorem, lemma or inequality stated with its source; its check searches",
        "for counterexamples (hypothesis over instances, seeded Monte Carlo, bootstrap rate fits) and passes at",
        "``rltheory check``'s default settings. *Checked by* is the function of the claim module that computes the",
        "slack (its source is shown); *calls* lists the public functions that check calls (read from its bytecode,",
        "following the claim module's helpers). Run one with ``rltheory check ID``.\n",
    ]
    for module, group in by_module.items():
        if not group:
            continue
        lines.append(_title(f"``{module}``", "-"))
        lines.append(f"``rltheory.proofs_checks.{module}``: {len(group)} claims.\n")
        for c in group:
            fn = _checker(c)
            body, first = inspect.getsourcelines(fn)
            src = Path(inspect.getsourcefile(fn)).resolve()
            rel = os.path.relpath(src, path.parent)
            lines.append(f".. _claim-{c.id}:\n")
            lines.append(_title(c.id, "~"))
            lines.append(f"*{c.kind}*; tags: {', '.join(f'``{t}``' for t in c.tags) or 'none'}\n")
            lines.append(_indent_block(c.statement) + "\n")
            lines.append(f".. math::\n\n   {c.latex}\n")
            lines.append(f":Source: {_escape(c.source)}")
            if c.published_form:
                lines.append(f":Published form: ``{c.published_form}``")
            lines.append(f":Checked by: ``{fn.__module__}.{fn.__qualname__}`` (line {first})")
            calls = called_api(fn, targets)
            lines.append(
                ":Calls: "
                + (
                    ", ".join(f":py:obj:`{t}`" for t in calls)
                    or "(no public function: NumPy, SciPy or private references only)"
                )
            )
            lines.append("")
            lines.append(".. raw:: html\n\n   <details><summary>source of the check</summary>\n")
            span = f"{first}-{first + len(body) - 1}"
            lines.append(
                f".. literalinclude:: {rel}\n   :lines: {span}\n   :lineno-start: {first}\n   :language: python\n"
            )
            lines.append(".. raw:: html\n\n   </details>\n")
    _write(path, "\n".join(lines) + "\n")


def _escape(text: str) -> str:
    """``text`` as literal reStructuredText: markup characters escaped, and a leading ``M.`` (an initial) not
    read as an enumerated list."""
    text = text.replace("\\", "\\\\").replace("*", r"\*").replace("`", r"\`").replace("|", r"\|").replace("_", r"\_")
    return re.sub(r"^(\w{1,2})\.(\s)", r"\1\\.\2", text)


def _indent_block(text: str) -> str:
    return _escape(" ".join(text.split()))


# ------------------------------------------------------------------ gallery
def _gallery_selection() -> list[str] | None:
    """The reproductions to run: ``RLTHEORY_DOCS_GALLERY`` = ``1``/``all`` (every one), a comma-separated list
    of names, or ``0`` (none); unset, it follows ``RLTHEORY_DOCS_EXECUTE`` (on in the full build)."""
    from rltheory.experiments import CATALOGUE

    value = os.environ.get("RLTHEORY_DOCS_GALLERY", os.environ.get("RLTHEORY_DOCS_EXECUTE", "1")).strip()
    if value in ("", "0", "no", "off"):
        return None
    if value in ("1", "all", "yes", "on"):
        return sorted(CATALOGUE)
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in CATALOGUE]
    if unknown:
        raise ValueError(f"RLTHEORY_DOCS_GALLERY names unknown reproductions {unknown}; see `rltheory list`")
    return names


def _run_reproduction(name: str, results: Path, logger) -> Path:
    """``rltheory reproduce NAME --runs min(default, GALLERY_RUNS)`` into ``results`` (kept between builds: an
    existing PNG is reused); returns the PNG."""
    import contextlib
    import io

    from rltheory.cli import main
    from rltheory.experiments import get_reproduction

    rep = get_reproduction(name)
    png = results / name / f"{name}.png"
    if png.exists():
        return png
    runs = min(rep.n_runs, GALLERY_RUNS)
    logger.info(f"[rltheory gallery] rltheory reproduce {name} --runs {runs} (T = {rep.budget})")
    log = io.StringIO()
    argv = ["reproduce", name, "--runs", str(runs), "--out", str(results / name), "--overwrite", "--no-progress"]
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        code = main(argv)
    (results / f"{name}.log").write_text(log.getvalue())
    if code != 0 or not png.exists():
        raise RuntimeError(f"rltheory {' '.join(argv)} exited with {code}:\n{log.getvalue()}")
    return png


def write_gallery(path: Path, results: Path, logger) -> None:
    from rltheory.experiments import CATALOGUE

    selected = _gallery_selection()
    images = path.parent / "gallery"
    lines = [
        _title("Gallery of reproductions"),
        f"The {len(CATALOGUE)} reproductions of the catalogue (:data:`rltheory.experiments.CATALOGUE`;",
        "``rltheory list``). Run one with ``rltheory reproduce NAME``: the catalogue's default size is a coffee",
        "break on a laptop, ``--budget`` / ``--runs`` reach the paper's full size.\n",
    ]
    if selected is None:
        lines.append(
            ".. note::\n\n   This is the quick build (``RLTHEORY_DOCS_GALLERY=0``, or ``RLTHEORY_DOCS_EXECUTE=0``):\n"
            "   the reproductions were not run and the page shows no figures. The full build runs each entry with\n"
            f"   ``rltheory reproduce NAME --runs {GALLERY_RUNS}`` (fewer runs than the default, the default\n"
            "   budget) and shows its PNG.\n"
        )
    else:
        lines.append(
            f".. note::\n\n   The figures were made during the docs build by ``rltheory reproduce NAME --runs "
            f"{GALLERY_RUNS}``\n   (at most {GALLERY_RUNS} runs per configuration, the default budget, seed 0): "
            "small runs, wide bands.\n"
        )
    for name in sorted(CATALOGUE):
        rep = CATALOGUE[name]
        size = f"{rep.study.x_label} up to {rep.budget}" if rep.study is not None else f"T = {rep.budget}"
        lines.append(f".. _gallery-{name}:\n")
        lines.append(_title(name, "-"))
        lines.append(_escape(rep.description) + "\n")
        lines.append(f":Source: {_escape(rep.citation)}")
        lines.append(f":Command: ``rltheory reproduce {name}``")
        lines.append(
            f":Default size: {_escape(size)}, {rep.n_runs} runs; full: ``--budget {rep.full_budget} "
            f"--runs {rep.full_runs}``\n"
        )
        if selected is not None and name in selected:
            png = _run_reproduction(name, results, logger)
            images.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(png, images / png.name)
            lines.append(f".. image:: gallery/{png.name}\n   :alt: {name}\n   :width: 100%\n")
    _write(path, "\n".join(lines) + "\n")


# ------------------------------------------------------------------ notebooks
def copy_notebooks(out: Path) -> None:
    """Copy ``notebooks/*.ipynb`` next to the generated pages (myst-nb reads them there) and write their index."""
    out.mkdir(parents=True, exist_ok=True)
    sources = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for src in sources:
        dst = out / src.name
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)
    for stale in out.glob("*.ipynb"):
        if not (ROOT / "notebooks" / stale.name).exists():
            stale.unlink()
    mode = "executed during this build" if _execute() else "shown without outputs (quick build: not executed)"
    index = [
        _title("Notebooks"),
        f"The teaching notebooks of ``notebooks/`` ({mode}; the test suite executes every one).\n",
        ".. toctree::\n   :maxdepth: 1\n",
    ] + [f"   {src.stem}" for src in sources]
    _write(out / "index.rst", "\n".join(index) + "\n")


def _execute() -> bool:
    return os.environ.get("RLTHEORY_DOCS_EXECUTE", "1").strip() not in ("0", "no", "off", "")


# ------------------------------------------------------------------ Sphinx
def _generate(app) -> None:
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    modules = write_api(GENERATED / "api")
    write_theory(GENERATED / "theory.rst", api_targets(modules))
    write_gallery(GENERATED / "gallery.rst", Path(app.outdir).parent / "gallery-results", logger)
    copy_notebooks(GENERATED / "notebooks")


def setup(app):
    app.connect("builder-inited", _generate)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
