"""Where rltheory's compiled Numba code is cached: a per-user folder, never the installed package.

Numba's default for ``@njit(cache=True)`` writes the cache files into the
``__pycache__`` folder next to the source. For a package installed with
``pip install .`` that is ``site-packages/rltheory/**/__pycache__``: the files
outlive an uninstall, and a later ``pip install -e .`` leaves the folder behind
as a namespace package ``rltheory`` that shadows the editable install. So
rltheory puts the caches of its own functions in :func:`cache_dir`:

1. ``$RLTHEORY_CACHE_DIR`` when set;
2. else ``$XDG_CACHE_HOME/rltheory/numba-<version>`` (``%LOCALAPPDATA%`` on
   Windows), else ``~/.cache/rltheory/numba-<version>``;
3. a folder ``rltheory-<user>/numba-<version>`` in the temporary folder when
   the chosen one cannot be written.

Inside it, each source folder gets its own subfolder (Numba's
``<folder name>_<sha1 of its path>``), so two checkouts never share an index.

:func:`install` (called by ``rltheory/__init__.py`` before any subpackage is
imported) puts :class:`RltheoryCacheLocator` first in Numba's list of cache
locators (``numba.core.caching.CacheImpl._locator_classes``). It claims only
functions whose source file lies in the ``rltheory``
package or in ``cache_dir() / "generated"`` (generated kernel modules); every
other function (a user's own ``@njit(cache=True)``) is left to Numba's usual
locators, and the global ``NUMBA_CACHE_DIR`` is not touched. Numba is not
imported for this: when it is not loaded yet, the locator is installed the
moment ``numba.core.caching`` has been imported, before any function can be
decorated.

:func:`report_compilations` logs, on the ``"rltheory.compile"`` logger, each
compilation of an rltheory function that the cache could not serve (Numba's
``"numba:compile"`` event fires on cache misses only).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import logging
import os
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

__all__ = ["ENV_VAR", "cache_dir", "generated_dir", "install", "installed", "report_compilations"]

#: Environment variable naming the cache folder explicitly.
ENV_VAR = "RLTHEORY_CACHE_DIR"

_CACHING_MODULE = "numba.core.caching"
_PACKAGE_DIR = os.path.dirname(os.path.realpath(__file__))
_usable_cache: dict = {}
_state = {"installed": False, "hook": None}


def _version() -> str:
    from rltheory import __version__

    return __version__


def _usable(path: Path) -> bool:
    """Can files be created in ``path`` (created if missing)? Memoized per path."""
    key = str(path)
    if key not in _usable_cache:
        try:
            path.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=path).close()
            _usable_cache[key] = True
        except OSError:
            _usable_cache[key] = False
    return _usable_cache[key]


def _user_name() -> str:
    getuid = getattr(os, "getuid", None)
    if getuid is not None:
        return str(getuid())
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # pragma: no cover - no user name at all
        return "user"


def _default_dir() -> Path:
    version_dir = f"numba-{_version()}"
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):  # pragma: no cover - Windows
        return Path(os.environ["LOCALAPPDATA"]) / "rltheory" / version_dir
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "rltheory" / version_dir
    return Path.home() / ".cache" / "rltheory" / version_dir


def _fallback_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"rltheory-{_user_name()}" / f"numba-{_version()}"


def _chosen_dir() -> Path:
    explicit = os.environ.get(ENV_VAR, "")
    return Path(explicit).expanduser() if explicit else _default_dir()


def cache_dir() -> Path:
    """The folder where rltheory's compiled code is cached (created if missing).

    ``$RLTHEORY_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/rltheory/numba-<version>``
    or ``~/.cache/rltheory/numba-<version>``; a per-user folder in the
    temporary folder when that cannot be written.

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as d:
    ...     old = os.environ.get(ENV_VAR)
    ...     os.environ[ENV_VAR] = str(Path(d) / "cache")
    ...     try:
    ...         print(cache_dir() == Path(d) / "cache", cache_dir().is_dir())
    ...     finally:
    ...         _ = os.environ.pop(ENV_VAR) if old is None else os.environ.update({ENV_VAR: old})
    True True
    """
    chosen = _chosen_dir()
    if _usable(chosen):
        return chosen
    fallback = _fallback_dir()
    if _usable(fallback):
        return fallback
    return Path(tempfile.mkdtemp(prefix="rltheory-numba-"))


def generated_dir() -> Path:
    """``cache_dir() / "generated"``: where generated kernel modules are written (their caches go to cache_dir()).

    Examples
    --------
    >>> generated_dir().name
    'generated'
    """
    return cache_dir() / "generated"


def _is_rltheory_source(py_file) -> bool:
    """Is ``py_file`` in the rltheory package or in a generated-kernel folder? (Creates no folder.)"""
    try:
        real = os.path.realpath(py_file)
    except (TypeError, ValueError):
        return False
    roots = [_PACKAGE_DIR] + [os.path.realpath(d / "generated") for d in (_chosen_dir(), _fallback_dir())]
    return any(real == root or real.startswith(root + os.sep) for root in roots)


def _make_locator_class(caching):
    """The locator class, built on ``numba.core.caching`` (imported by the caller)."""

    class RltheoryCacheLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
        """Numba cache locator for functions defined in rltheory (or its generated modules): :func:`cache_dir`."""

        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._cache_path = str(cache_dir() / self.get_suitable_cache_subpath(py_file))

        def get_cache_path(self):
            return self._cache_path

        @classmethod
        def from_function(cls, py_func, py_file):
            if not _is_rltheory_source(py_file):
                return None  # not ours: Numba's own locators decide
            return super().from_function(py_func, py_file)

    RltheoryCacheLocator.__module__ = __name__
    RltheoryCacheLocator.__qualname__ = "RltheoryCacheLocator"
    return RltheoryCacheLocator


#: The locator class once :func:`install` has run with Numba loaded (``None`` before).
RltheoryCacheLocator = None


def _install_into(caching) -> None:
    global RltheoryCacheLocator
    if _state["installed"]:
        return
    try:
        # ``CacheImpl`` since Numba 0.61 (``_CacheImpl`` before): the class whose list every cache consults
        impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl
        locators = impl._locator_classes
        cls = _make_locator_class(caching)
    except AttributeError as exc:  # pragma: no cover - a Numba whose cache internals moved
        warnings.warn(
            f"rltheory could not install its Numba cache locator ({exc}); compiled code is cached by "
            "Numba's defaults (next to the sources)",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    locators.insert(0, cls)
    RltheoryCacheLocator = cls
    _state["installed"] = True


class _InstallAfterImport(importlib.abc.MetaPathFinder):
    """Import hook: run :func:`_install_into` right after ``numba.core.caching`` has been executed."""

    def find_spec(self, fullname, path, target=None):
        if fullname != _CACHING_MODULE:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _InstallingLoader(spec.loader)
        return spec


class _InstallingLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _remove_hook()
        _install_into(module)

    def __getattr__(self, name):  # get_source, get_code, ... of the real loader
        return getattr(self._loader, name)


def _remove_hook():
    hook = _state["hook"]
    if hook is not None:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(hook)
        _state["hook"] = None


def install() -> None:
    """Put :class:`RltheoryCacheLocator` first in Numba's cache locators (now, or once Numba is imported).

    Idempotent. Called by ``rltheory/__init__.py``.

    Examples
    --------
    >>> import numba.core.caching
    >>> install(); installed()
    True
    """
    if _state["installed"]:
        return
    caching = sys.modules.get(_CACHING_MODULE)
    if caching is not None:
        _install_into(caching)
        return
    if _state["hook"] is None:
        hook = _InstallAfterImport()
        sys.meta_path.insert(0, hook)
        _state["hook"] = hook


def installed() -> bool:
    """Whether the locator is in Numba's list (``False`` until Numba has been imported).

    Examples
    --------
    >>> isinstance(installed(), bool)
    True
    """
    return _state["installed"]


class _CompileLogger:
    """``numba:compile`` listener: one record per outermost compilation of an rltheory function."""

    def __init__(self, logger):
        self._logger = logger
        self._local = threading.local()

    def _is_ours(self, event):
        dispatcher = (event.data or {}).get("dispatcher")
        py_func = getattr(dispatcher, "py_func", None)
        module = getattr(py_func, "__module__", "") or ""
        if module.startswith("rltheory_generated_"):
            return False  # generated engine kernels: rltheory.simulation logs them by agent name
        return py_func is not None and (
            module == "rltheory"
            or module.startswith("rltheory.")
            or _is_rltheory_source(getattr(py_func.__code__, "co_filename", ""))
        )

    def on_start(self, event):
        depth = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        if depth == 0 and self._is_ours(event):
            py_func = event.data["dispatcher"].py_func
            self._local.started = (time.perf_counter(), py_func)
            self._logger.info(
                "compiling %s.%s (first run only; cached in %s)...",
                py_func.__module__,
                py_func.__qualname__,
                cache_dir(),
            )
        elif depth == 0:
            self._local.started = None

    def on_end(self, event):
        self._local.depth = max(0, getattr(self._local, "depth", 1) - 1)
        started = getattr(self._local, "started", None)
        if self._local.depth == 0 and started is not None:
            t0, py_func = started
            self._local.started = None
            self._logger.debug(
                "compiled %s.%s in %.1f s", py_func.__module__, py_func.__qualname__, time.perf_counter() - t0
            )


@contextlib.contextmanager
def report_compilations(logger_name: str = "rltheory.compile"):
    """Within the block, log (INFO) every compilation of an rltheory function that the cache did not serve.

    Examples
    --------
    >>> with report_compilations():
    ...     pass
    """
    from numba.core import event

    inner = _CompileLogger(logging.getLogger(logger_name))

    class _Listener(event.Listener):
        def on_start(self, ev):
            inner.on_start(ev)

        def on_end(self, ev):
            inner.on_end(ev)

    with event.install_listener("numba:compile", _Listener()):
        yield
