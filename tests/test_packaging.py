"""Install-related checks of pyproject.toml: package data that exists, one version number."""

from pathlib import Path

import pytest

import rltheory

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_data_pattern_matches_a_file():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    package_data = config["tool"]["setuptools"]["package-data"]
    for package, patterns in package_data.items():
        folder = ROOT.joinpath(*package.split("."))
        for pattern in patterns:
            assert list(folder.glob(pattern)), f"package-data {package}: {pattern!r} matches no file in {folder}"


def test_the_version_has_one_source():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in config["project"]["dynamic"]
    assert config["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "rltheory.__version__"}
    assert isinstance(rltheory.__version__, str) and rltheory.__version__.count(".") >= 1


def test_the_citation_file_names_the_installed_version():
    text = (ROOT / "CITATION.cff").read_text()
    versions = [line.split(":", 1)[1].strip().strip('"') for line in text.splitlines() if line.startswith("version:")]
    assert versions == [rltheory.__version__], "CITATION.cff's version must follow rltheory.__version__"
