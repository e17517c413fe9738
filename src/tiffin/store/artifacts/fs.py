"""Local filesystem primitives shared by both artifact backends: fd walks, copies, downloads.

Checking a joined path and then opening it by name leaves a gap in which a symlink can be
swapped in. So every walk here opens each segment with ``O_NOFOLLOW | O_DIRECTORY`` relative to
the previous one; files are created with ``O_EXCL``; copies stream in ``CHUNK`` pieces and insist
on the expected size. The local backend stores with these, the S3 backend reads sources and
writes downloads with them.

Example:
    >>> import io, tempfile
    >>> target = DownloadTarget(None)
    >>> target.add("data/x.txt", io.BytesIO(b"hi"), 2)
    >>> (target.root / "data" / "x.txt").read_bytes()
    b'hi'
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NamedTuple

from tiffin.errors import AlreadyExistsError, FormatError, IntegrityError, NotFoundError
from tiffin.store.artifacts.labels import safe_relpath

__all__ = [
    "CHUNK",
    "DIR_FLAGS",
    "DownloadTarget",
    "Listing",
    "NEW_FLAGS",
    "READ_FLAGS",
    "SourceFile",
    "check_stored",
    "copy_stream",
    "opendir",
    "source_file",
    "source_files",
    "walk_error",
    "write_new",
]

CHUNK = 1 << 20  # bytes per read: memory stays flat however big the artifact
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK  # a FIFO must not block
NEW_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class Listing(NamedTuple):
    """What a label names: the files at or under it (label -> size) and whether it is a dir.

    ``sealed`` names the directories in range that an S3 completion marker published (their
    file lists are checked on download); local directories are published by rename instead.
    """

    files: dict[str, int]
    is_dir: bool
    sealed: frozenset[str] = frozenset()


def copy_stream(src: IO[bytes], dst: IO[bytes], *, expected: int, what: str) -> None:
    """Copy in ``CHUNK`` pieces and insist on exactly ``expected`` bytes.

    A size that differs means the source changed or was cut short while being copied; storing
    or handing out such a file would be silent corruption.

    Example:
        >>> import io
        >>> out = io.BytesIO()
        >>> copy_stream(io.BytesIO(b"abc"), out, expected=3, what="x")
        >>> out.getvalue()
        b'abc'
    """
    copied = 0
    while chunk := src.read(CHUNK):
        copied += len(chunk)
        if copied > expected:
            raise IntegrityError(f"'{what}' is bigger than the expected {expected} bytes")
        dst.write(chunk)
    if copied != expected:
        raise IntegrityError(f"'{what}' has {copied} bytes, expected {expected}")


@dataclass(frozen=True)
class SourceFile:
    """A local regular file about to be logged, under the label it will be stored as."""

    path: Path
    rel: str
    size: int

    def open(self) -> IO[bytes]:
        """Open without following a symlink swapped in since the walk."""
        try:
            fd = os.open(self.path, READ_FLAGS)
        except OSError as e:
            raise IntegrityError(f"cannot read '{self.path}' to log it: {e}") from e
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise IntegrityError(f"'{self.path}' was replaced while being logged")
        return os.fdopen(fd, "rb")


def source_file(path: Path) -> SourceFile:
    """Describe one local file for ``log_file``: a regular file, not a symlink.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "x.txt"
        >>> _ = p.write_bytes(b"1")
        >>> source_file(p).rel
        'x.txt'
    """
    st = _lstat_source(path)
    if not stat.S_ISREG(st.st_mode):
        raise FormatError(f"'{path}' is not a regular file; log_file logs one file")
    return SourceFile(path, _source_label(path.name, path), st.st_size)


def source_files(top: Path) -> list[SourceFile]:
    """Every file of a local directory for ``log_dir``, refusing symlinks and special files.

    A symlink inside a model directory (``weights -> /etc/passwd``) would copy a host file into
    the store, so it is refused, as are FIFOs and devices. Empty subdirectories are not kept:
    object stores cannot represent them, and both backends must store the same thing.

    Example:
        >>> import tempfile
        >>> d = Path(tempfile.mkdtemp())
        >>> _ = (d / "MLmodel").write_text("flavors: {}")
        >>> [f.rel for f in source_files(d)]
        ['MLmodel']
    """
    if not stat.S_ISDIR(_lstat_source(top).st_mode):
        raise FormatError(f"'{top}' is not a directory; log_dir logs a directory")
    out: dict[str, SourceFile] = {}

    def fail(e: OSError) -> None:
        raise IntegrityError(f"cannot read '{top}' to log it: {e}") from e

    for dirpath, dirnames, filenames in os.walk(top, onerror=fail):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            st = _lstat_source(path)
            if stat.S_ISDIR(st.st_mode):
                continue
            if not stat.S_ISREG(st.st_mode):
                raise FormatError(f"'{path}' is not a regular file (a FIFO, socket or device)")
            rel = _source_label(path.relative_to(top).as_posix(), path)
            if rel in out:
                raise FormatError(f"'{path}' and '{out[rel].path}' would both be stored as {rel!r}")
            out[rel] = SourceFile(path, rel, st.st_size)
    return [out[rel] for rel in sorted(out)]


def _lstat_source(path: Path) -> os.stat_result:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise NotFoundError(f"'{path}' does not exist") from None
    if stat.S_ISLNK(st.st_mode):
        raise IntegrityError(f"'{path}' is a symlink; symlinks are refused, copy the file in")
    return st


def _source_label(name: str, path: Path) -> str:
    try:
        label = safe_relpath(name)
    except FormatError as e:
        raise FormatError(f"cannot log '{path}': {e}") from e
    if label != unicodedata.normalize("NFC", name):
        raise FormatError(f"cannot log '{path}': it would be stored as {label!r}; rename it")
    return label


@contextlib.contextmanager
def opendir(base: int | Path, parts: Sequence[str], *, create: bool, shown: str) -> Iterator[int]:
    """Yield an fd for ``base/parts...``, creating missing dirs if asked, never via a symlink."""
    fd = os.open(base, DIR_FLAGS) if isinstance(base, Path) else os.dup(base)
    try:
        for i, segment in enumerate(parts):
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(segment, 0o755, dir_fd=fd)
            try:
                nfd = os.open(segment, DIR_FLAGS, dir_fd=fd)
            except OSError as e:
                where = "/".join(parts[: i + 1])
                raise walk_error(fd, segment, where, shown, create=create) from e
            os.close(fd)
            fd = nfd
        yield fd
    finally:
        os.close(fd)


def walk_error(fd: int, name: str, where: str, shown: str, *, create: bool) -> Exception:
    """Turn a failed open of ``name`` into the error that says what is really there."""
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return NotFoundError(f"no artifact '{shown}': '{where}' does not exist")
    if stat.S_ISLNK(st.st_mode):
        return IntegrityError(
            f"refused '{shown}': '{where}' is a symlink, and symlinks in an artifact store are "
            "refused whatever they point to; remove it"
        )
    if create:
        return AlreadyExistsError(f"cannot create '{shown}': '{where}' exists and is a file")
    return NotFoundError(f"no artifact '{shown}': '{where}' is a file, not a directory")


def write_new(dir_fd: int, name: str, src: IO[bytes], size: int, *, what: str, sync: bool) -> None:
    """Create ``name`` (never an existing file, never through a symlink) from a stream."""
    fd = os.open(name, NEW_FLAGS, 0o644, dir_fd=dir_fd)
    with os.fdopen(fd, "wb") as out:
        copy_stream(src, out, expected=size, what=what)
        if sync:
            out.flush()
            os.fsync(out.fileno())


def check_stored(rel: str) -> None:
    """A stored name must be a canonical label, or list() would return what open() refuses."""
    try:
        ok = safe_relpath(rel) == rel
    except FormatError as e:
        raise IntegrityError(f"stored artifact name {rel!r} is not a valid label: {e}") from e
    if not ok:
        raise IntegrityError(f"stored artifact name {rel!r} is not in canonical form")


@dataclass
class DownloadTarget:
    """Where ``download`` writes: a fresh 0700 temp dir unless the caller names one.

    Files are created with ``O_EXCL | O_NOFOLLOW`` under directories opened without following
    symlinks, so a link planted in the destination cannot redirect a write, and nothing that
    exists is overwritten. On failure everything this download created is removed again.
    """

    given: Path | None
    root: Path = field(init=False)
    _created: list[tuple[str, bool]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        if self.given is None:
            self.root = Path(tempfile.mkdtemp(prefix="tiffin-artifacts-"))
        else:
            if not self.given.exists():
                self.given.mkdir(parents=True)
                self._created.append((os.path.realpath(self.given), True))  # absolute: root
            self.root = Path(os.path.realpath(self.given))

    def add(self, rel: str, src: IO[bytes], size: int) -> None:
        """Write one downloaded file at ``root/rel``, checking it has ``size`` bytes."""
        *dirs, leaf = rel.split("/")
        self.mkdirs(dirs)
        with opendir(self.root, dirs, create=False, shown=rel) as fd:
            try:
                file_fd = os.open(leaf, NEW_FLAGS, 0o644, dir_fd=fd)
            except FileExistsError:
                raise AlreadyExistsError(
                    f"'{self.root / rel}' exists; not overwriting it"
                ) from None
            self._created.append((rel, False))
            with os.fdopen(file_fd, "wb") as out:
                copy_stream(src, out, expected=size, what=rel)

    def mkdirs(self, dirs: Sequence[str]) -> None:
        """Create ``root/dirs...`` one segment at a time, remembering what was new."""
        for i in range(len(dirs)):
            with opendir(self.root, dirs[:i], create=False, shown="/".join(dirs)) as fd:
                try:
                    os.mkdir(dirs[i], 0o755, dir_fd=fd)
                    self._created.append(("/".join(dirs[: i + 1]), True))
                except FileExistsError:
                    pass

    def discard(self) -> None:
        """Undo this download: the whole temp dir, or just what it added to a given dir."""
        if self.given is None:
            shutil.rmtree(self.root, ignore_errors=True)
            return
        for rel, is_dir in reversed(self._created):
            with contextlib.suppress(OSError):
                (os.rmdir if is_dir else os.unlink)(self.root / rel)
