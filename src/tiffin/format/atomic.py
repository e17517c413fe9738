"""Atomic directory writes: a model directory appears whole or not at all.

A save is written into a temporary sibling, fsynced, then renamed into place, so a crash or an
exception half-way leaves no partial model for a loader to find, and an existing model is never
overwritten.

Example:
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "model"
    >>> with atomic_directory(target) as tmp:
    ...     _ = (tmp / "MLmodel").write_text("flavors: {}")
    >>> sorted(p.name for p in target.iterdir())
    ['MLmodel']
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from tiffin.errors import AlreadyExistsError

__all__ = ["atomic_directory", "check_target_free", "fsync_dir", "fsync_tree"]


def check_target_free(path: Path) -> None:
    """Refuse a target that exists and is not an empty directory (MLflow's rule too)."""
    if path.is_symlink() or path.is_file():
        raise AlreadyExistsError(f"path '{path}' already exists and is not a directory")
    if path.is_dir() and any(path.iterdir()):
        raise AlreadyExistsError(f"path '{path}' already exists and is not empty")


def fsync_tree(root: Path) -> None:
    """Flush every file and directory under ``root`` to disk before the rename publishes it."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(Path(dirpath) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in ``path`` durable (a file's fsync does not cover it).

    Example:
        >>> fsync_dir(Path("."))
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_directory(target: Path | str, *, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary sibling of ``target``; on success rename it to ``target``.

    On any exception the temporary directory is removed and ``target`` is left as it was.
    ``durable=False`` skips the fsyncs (for scratch output that need not survive a power cut).
    """
    target = Path(target).absolute()
    check_target_free(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:12]}"
    tmp.mkdir(mode=0o700)
    try:
        yield tmp
        tmp.chmod(0o755)
        if durable:
            fsync_tree(tmp)
        check_target_free(target)
        if target.is_dir():
            target.rmdir()
        os.rename(tmp, target)
        if durable:
            fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
