"""Tests of rltheory/_numba_cache.py: compiled code of rltheory is cached in cache_dir(), never in the package.

A fresh interpreter (subprocess) with RLTHEORY_CACHE_DIR pointing to a
temporary folder compiles three cached functions: one of rltheory, one of a
module in cache_dir()/generated (where generated kernels are written), and
one of a user's module. The first two must land in the configured folder, the
user's where Numba puts it by default (its own __pycache__), and nothing in
the rltheory source tree.
"""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from rltheory import _numba_cache as nc

ROOT = Path(__file__).resolve().parents[1]

_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import numpy as np
    import rltheory
    assert "numba" not in sys.modules, "import rltheory must not import numba"
    from rltheory import _numba_cache as nc
    assert not nc.installed()
    import numba
    assert nc.installed()
    from rltheory.simulation import rng_uniform
    u = rng_uniform(np.array([1, 2, 3, 4], dtype=np.uint64))
    assert 0.0 <= u < 1.0
    source = "from numba import njit\\n@njit(cache=True)\\ndef {name}(x):\\n    return 2 * x\\n"
    gen = nc.generated_dir()
    gen.mkdir(parents=True, exist_ok=True)
    (gen / "gen_kernel_probe.py").write_text(source.format(name="twice"))
    user = Path(sys.argv[1])
    (user / "user_probe.py").write_text(source.format(name="thrice"))
    sys.path[:0] = [str(gen), str(user)]
    import gen_kernel_probe, user_probe
    assert gen_kernel_probe.twice(3) == 6 and user_probe.thrice(3) == 6
    print(nc.cache_dir())
    """
)


def test_caches_land_in_the_configured_folder_and_users_functions_are_untouched(tmp_path):
    cache, user = tmp_path / "cache", tmp_path / "user"
    user.mkdir()
    env = dict(os.environ, RLTHEORY_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    env.pop("NUMBA_CACHE_DIR", None)
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(user)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()) == cache
    index = sorted(str(p.relative_to(cache)) for p in cache.rglob("*.nbi"))
    assert any(p.startswith("simulation_") and "_rng.rng_uniform-" in p for p in index), index
    assert any(p.startswith("generated_") and "gen_kernel_probe.twice-" in p for p in index), index
    assert not any("user_probe" in p for p in index)
    assert list((user / "__pycache__").glob("user_probe.thrice-*.nbi"))  # Numba's default, untouched
    fresh_in_tree = [p for p in (ROOT / "rltheory").rglob("*.nb[ic]") if p.stat().st_mtime >= start - 1]
    assert fresh_in_tree == []


def test_cache_dir_order_of_choices(tmp_path, monkeypatch):
    monkeypatch.setenv(nc.ENV_VAR, str(tmp_path / "explicit"))
    assert nc.cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv(nc.ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    from rltheory import __version__

    assert nc.cache_dir() == tmp_path / "xdg" / "rltheory" / f"numba-{__version__}"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert nc.cache_dir() == tmp_path / "home" / ".cache" / "rltheory" / f"numba-{__version__}"


def test_an_unwritable_cache_dir_falls_back_to_a_temporary_folder(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(nc.ENV_VAR, str(blocker / "cache"))
    got = nc.cache_dir()
    assert got != blocker / "cache" and got.is_dir()
    assert os.access(got, os.W_OK)


def test_the_locator_claims_only_rltheory_sources(tmp_path):
    import numba.core.caching  # noqa: F401  (installs the locator if it was not yet)

    assert nc.installed()
    assert nc._is_rltheory_source(Path(nc.__file__))
    assert nc._is_rltheory_source(nc.generated_dir() / "kernel_x.py")
    assert not nc._is_rltheory_source(tmp_path / "mine.py")
    assert not nc._is_rltheory_source(str(ROOT / "rltheory") + "-other/x.py")  # a sibling folder is not ours


def test_compilations_of_rltheory_functions_are_logged(tmp_path, caplog):
    import logging

    from numba import njit

    gen = nc.generated_dir()
    gen.mkdir(parents=True, exist_ok=True)
    name = f"gen_logged_probe_{os.getpid()}_{time.time_ns()}"
    path = gen / f"{name}.py"
    path.write_text("from numba import njit\n@njit\ndef f(x):\n    return x + 1\n")
    sys.path.insert(0, str(gen))
    try:
        module = __import__(name)
        with caplog.at_level(logging.INFO, logger="rltheory.compile"), nc.report_compilations():
            assert module.f(1) == 2
            njit(lambda x: x - 1)(1)  # not rltheory's: not logged
    finally:
        sys.path.remove(str(gen))
        sys.modules.pop(name, None)
        path.unlink()
    messages = [r.getMessage() for r in caplog.records if r.name == "rltheory.compile" and r.levelno == logging.INFO]
    assert messages == [f"compiling {name}.f (first run only; cached in {nc.cache_dir()})..."]
