"""Sphinx configuration of the rltheory documentation.

Quick build (CI; notebooks rendered without executing, gallery without figures)::

    RLTHEORY_DOCS_EXECUTE=0 python -m sphinx -W -b html docs docs/_build/html

Full build (executes every notebook and runs every catalogue reproduction at a small size for the gallery;
``RLTHEORY_DOCS_GALLERY=0`` skips the reproductions, ``RLTHEORY_DOCS_GALLERY=name,name`` runs only those)::

    python -m sphinx -W -b html docs docs/_build/html

The API reference, the theory index, the gallery and the notebook pages are generated into ``docs/generated/``
by ``docs/_ext/rltheory_docs.py``.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent))  # the working tree's rltheory, also when it is not installed
# Figures: the gallery's reproductions run in this process, headless; the notebook kernels inherit the
# environment and must keep ipykernel's inline backend (an inherited MPLBACKEND=Agg would drop every figure)
os.environ.pop("MPLBACKEND", None)
import matplotlib  # noqa: E402

matplotlib.use("Agg")
# the notebook kernels import the working tree too
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(DOCS.parent), os.environ.get("PYTHONPATH")) if p)

import rltheory_docs  # noqa: E402

import rltheory  # noqa: E402

project = "rltheory"
author = "the rltheory developers"
copyright = "the rltheory developers"
release = rltheory.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
    "rltheory_docs",
]

exclude_patterns = ["_build", "_ext", "**.ipynb_checkpoints"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"

# -- autodoc / autosummary: the pages are written by rltheory_docs (no stub generation by autosummary)
autosummary_generate = False
autodoc_typehints = "none"  # the numpydoc Parameters sections state the types
autodoc_member_order = "bysource"
autodoc_default_options = {"exclude-members": "__init__, __new__"}

# -- numpydoc
numpydoc_show_class_members = False  # methods are documented by autodoc's :members: on the class page
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# Validation: the structural errors of a numpydoc docstring, which break its rendering -- sections out of
# order (GL07), documented parameters that do not exist (PR02, usually prose mis-parsed as a parameter
# list) and a "name: type" without the space numpydoc needs (PR10). Off: style checks that most docstrings
# here do not follow by choice or that are not errors -- an extended summary (ES01), See Also (SA01),
# Returns for properties and dataclass-like results (RT01/RT03), a type and description for every
# parameter (PR01/PR04/PR07: many parameters are documented together), the order of keyword-only
# parameters (PR03), capitalization and punctuation of summaries and descriptions (SS02/SS05/SS06,
# PR08/PR09). A missing docstring is checked by tests/test_docs.py on every public name instead (GL08 here
# would see only what autodoc renders).
numpydoc_validation_checks = {"GL07", "PR02", "PR10"}
# hypothesis's @st.composite strategies are functions hypothesis defines with exec: numpydoc's validation
# reads every object's source and raises on these (their docstrings are still rendered and tested)
numpydoc_validation_exclude = {r"^rltheory\.proofs_checks\.strategies\."}

# -- myst / myst-nb
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
nb_execution_mode = "force" if rltheory_docs._execute() else "off"
nb_execution_timeout = -1  # no wall-clock limit: a notebook takes what it takes (each is under a minute)
nb_execution_raise_on_error = True
nb_execution_show_tb = True

# -- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"rltheory {release}"
html_theme_options = {
    "navigation_with_keys": False,
    # the API has ~600 pages: the sidebar shows the current section only (the theme renders it on every page)
    "collapse_navigation": True,
    "navigation_depth": 2,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []
