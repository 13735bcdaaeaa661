"""Atomic, umask-respecting file writes and content digests for the results folder.

A file is written under a temporary name in its destination folder and moved
in place with :func:`os.replace`, so a reader (or a resumed run) sees either
the old file or the complete new one, never a torn write. Temporary names
start with :data:`TMP_PREFIX`; the chunk store removes leftovers of a killed
process.

New files get the mode ``0o666 & ~umask`` like any file a program creates
with ``open(path, "w")``: the temporary file is created with
``os.open(..., O_CREAT | O_EXCL, 0o666)`` (the kernel applies the umask), not
with :func:`tempfile.mkstemp`, which would make it ``0o600``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["TMP_PREFIX", "write_bytes", "save_with", "sha256_bytes", "sha256_file", "canonical_json"]

#: Prefix of every temporary file or folder written into a results folder.
TMP_PREFIX = ".tmp-"


def canonical_json(obj) -> str:
    """Canonical JSON text of ``obj`` (sorted keys, no spaces, ASCII, no NaN): the input of every hash.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [1.5, "x"]})
    '{"a":[1.5,"x"],"b":1}'
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``.

    Examples
    --------
    >>> sha256_bytes(b"")[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256(data).hexdigest()


def sha256_file(path) -> str:
    """Hex sha256 of the file at ``path``, read in blocks of 1 MiB.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "x"
    ...     _ = p.write_bytes(b"")
    ...     sha256_file(p) == sha256_bytes(b"")
    True
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _create_temporary(folder: Path, name: str):
    """``(fd, path)`` of a new, empty file ``.tmp-<random>-name`` in ``folder``, mode ``0o666 & ~umask``."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    while True:
        tmp = folder / f"{TMP_PREFIX}{secrets.token_hex(6)}-{name}"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


def write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, fsync, :func:`os.replace`).

    The file's mode is ``0o666 & ~umask``; on any error the temporary file is
    removed and the previous content of ``path`` (if any) is untouched.

    Examples
    --------
    >>> import os, stat, tempfile, pathlib
    >>> old = os.umask(0o022)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "summary.csv"
    ...     write_bytes(p, b"a,b\\n")
    ...     p.read_bytes(), oct(stat.S_IMODE(p.stat().st_mode)), sorted(os.listdir(d))
    (b'a,b\\n', '0o644', ['summary.csv'])
    >>> _ = os.umask(old)
    """
    path = Path(path)
    fd, tmp = _create_temporary(path.parent, path.name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save_with(save: Callable[[Path], None], path) -> dict:
    """Call ``save(tmp_path)`` in a private temporary folder next to ``path``, then move the result in place.

    ``save`` is a function that writes a file at the path it is given (such
    as ``RegretCurve.save`` or ``Figure.savefig``); it may also write sidecar
    files next to it, which are moved too. The files keep the mode ``save``
    gave them (``open()`` applies the umask).

    Returns
    -------
    dict
        ``{file name: sha256}`` of the file(s) produced.

    Raises
    ------
    ValueError
        If ``save`` wrote no file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     target = pathlib.Path(d) / "data.bin"
    ...     digests = save_with(lambda p: p.write_bytes(b""), target)
    ...     list(digests) == ["data.bin"] and target.exists()
    True
    """
    path = Path(path)
    tmpdir = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=path.parent))
    try:
        save(tmpdir / path.name)
        produced = sorted(p for p in tmpdir.iterdir() if p.is_file())
        if not produced:
            raise ValueError(f"saving {path.name}: the save function wrote no file")
        digests = {}
        for p in produced:
            with open(p, "rb") as f:
                os.fsync(f.fileno())
            digests[p.name] = sha256_file(p)
        for p in produced:
            os.replace(p, path.parent / p.name)
        return digests
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
