#!/usr/bin/env bash
# Build rltheory's wheel, install it in a fresh virtual environment, and import it there, outside the
# checkout (so the installed package, not the source folder, is imported). Not run by CI (it builds the
# Cython extensions and downloads the dependencies: minutes). Usage, from the repository root:
#     tools/check_wheel.sh [PYTHON]        (default: python3)
set -euo pipefail
python=${1:-python3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
"$python" -m pip wheel . --no-deps -w "$work/dist" -q
wheel=$(ls "$work"/dist/rltheory-*.whl)
echo "built $(basename "$wheel")"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$wheel"
cd "$work"  # away from the checkout
"$work/venv/bin/python" - <<'PY'
import importlib.resources

import rltheory
from rltheory import bandits, experiments, linear, simulation, tabular  # noqa: F401
from rltheory.experiments._config_file import config_files

assert rltheory.__file__.startswith(__import__("sys").prefix), rltheory.__file__
assert config_files(), "the experiment files (package data) are missing from the wheel"
assert importlib.resources.files("rltheory").joinpath("py.typed").is_file()
print(f"rltheory {rltheory.__version__} imports from {rltheory.__file__}; {len(config_files())} experiment files")
PY
"$work/venv/bin/rltheory" list >/dev/null && echo "rltheory list: ok"
