"""Where rltheory keeps compiled caches: a per-user folder, never the installed package tree."""

from __future__ import annotations

import os
import pathlib
import tempfile

__all__ = ["cache_dir"]


def cache_dir() -> pathlib.Path:
    """The folder of rltheory's compiled caches (created on first use).

    ``$RLTHEORY_CACHE_DIR`` when set; else ``$XDG_CACHE_HOME/rltheory/numba-<version>``
    (``~/.cache`` when ``XDG_CACHE_HOME`` is unset); a temporary folder when
    neither is writable.
    """
    from . import __version__

    env = os.environ.get("RLTHEORY_CACHE_DIR")
    if env:
        base = pathlib.Path(env)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = pathlib.Path(xdg) / "rltheory" / f"numba-{__version__}"
    try:
        base.mkdir(parents=True, exist_ok=True)
        if not os.access(base, os.W_OK):
            raise PermissionError(str(base))
    except OSError:
        base = pathlib.Path(tempfile.gettempdir()) / f"rltheory-cache-{os.getuid() if hasattr(os, 'getuid') else 0}"
        base.mkdir(parents=True, exist_ok=True)
    return base
