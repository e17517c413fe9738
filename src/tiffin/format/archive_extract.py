"""Unpacking a ``.tiffin`` file: check every member, extract into a temporary sibling, verify.

The archive is hostile until proven otherwise. Every member in the central directory is checked
before a byte is written (:mod:`tiffin.format.archive_checks`); files are created with
``O_EXCL | O_NOFOLLOW`` inside a fresh directory only this process writes to, so no existing
file is opened and no link is followed; the bytes actually produced are counted against the
limits (headers can lie); and the manifest is verified before the directory is renamed into
place, so a refusal leaves nothing behind.

Example:
    >>> unpack(Path("model.tiffin"), Path("model"))  # doctest: +SKIP
    PosixPath('model')
"""

from __future__ import annotations

import contextlib
import os
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tiffin.errors import FormatError, IntegrityError, NotFoundError
from tiffin.format.archive_checks import ArchiveLimits, Member, check_members, total_cap
from tiffin.format.atomic import atomic_directory
from tiffin.format.manifest import MANIFEST_FILE, verify_manifest

__all__ = ["ARCHIVE_SUFFIX", "is_archive", "open_archive", "unpack"]

ARCHIVE_SUFFIX = ".tiffin"
_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a first member, or an empty archive
_CHUNK = 1 << 20
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


def is_archive(path: Path) -> bool:
    """A regular file named ``*.tiffin`` or starting with a zip signature (not a directory).

    Example:
        >>> is_archive(Path("."))
        False
    """
    path = Path(path)
    if not path.is_file():
        return False
    if path.suffix.lower() == ARCHIVE_SUFFIX:
        return True
    with open(path, "rb") as f:
        return f.read(4) in _MAGIC


@contextlib.contextmanager
def open_archive(
    f: BinaryIO, name: str, limits: ArchiveLimits
) -> Iterator[tuple[zipfile.ZipFile, list[Member]]]:
    """Open an archive from a binary file and check every member before yielding it.

    Example:
        >>> with open("m.tiffin", "rb") as f:  # doctest: +SKIP
        ...     with open_archive(f, "m.tiffin", ArchiveLimits()) as (zf, members):
        ...         print([m.path for m in members])
        ['MLmodel', 'tiffin-manifest.json']
    """
    if f.read(4) not in _MAGIC:
        raise FormatError(f"{name}: not a tiffin archive (no zip signature at the start)")
    size = os.fstat(f.fileno()).st_size
    f.seek(0)
    try:
        zf = zipfile.ZipFile(f)
    except (*_READ_ERRORS, ValueError, OSError) as e:
        raise FormatError(f"{name}: not a readable zip archive ({e})") from None
    with zf:
        members = check_members(zf.infolist(), limits, size)
        if not any(m.path == MANIFEST_FILE and not m.is_dir for m in members):
            raise IntegrityError(
                f"{MANIFEST_FILE}: missing from {name}; an archive must carry its manifest "
                "(pack it with tiffin)"
            )
        yield zf, members


def _extract(
    zf: zipfile.ZipFile, members: list[Member], dest: Path, limits: ArchiveLimits, size: int
) -> None:
    """Create every member under ``dest`` (a fresh directory only we write to), counting the
    bytes all members really write against ``total_cap`` of the archive's ``size``."""
    total = 0
    cap = total_cap(limits, size)
    for m in sorted(members, key=lambda m: m.path):
        path = dest.joinpath(*m.path.split("/"))
        try:
            for parent in reversed(path.relative_to(dest).parents[:-1]):
                _make_dir(dest / parent, m)
            if m.is_dir:
                _make_dir(path, m)
            else:
                total += _extract_file(zf, m, path, limits, (total, cap, size))
        except OSError as e:
            raise FormatError(
                f"member {m.info.filename!r}: cannot extract ({e.strerror})"
            ) from None
        except _READ_ERRORS as e:
            raise FormatError(f"member {m.info.filename!r}: corrupt ({e})") from None


def _make_dir(path: Path, m: Member) -> None:
    try:
        os.mkdir(path, 0o755)
    except FileExistsError:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            raise FormatError(
                f"member {m.info.filename!r}: collides with a file of the same name"
            ) from None


def _extract_file(
    zf: zipfile.ZipFile,
    m: Member,
    path: Path,
    limits: ArchiveLimits,
    budget: tuple[int, float, int],
) -> int:
    """Copy one member, counting the bytes really produced (headers can lie).

    ``budget`` is (bytes the earlier members wrote, the cap on all of them, archive size).
    """
    total, cap, size = budget
    name, declared = m.info.filename, m.info.file_size
    ratio_cap = max(limits.ratio_floor, limits.max_ratio * max(m.info.compress_size, 1))
    written = 0
    try:
        fd = os.open(path, _CREATE, 0o644)
    except FileExistsError:
        raise FormatError(f"member {name!r}: collides with another member's name") from None
    with os.fdopen(fd, "wb") as out, zf.open(m.info) as src:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            if written > declared:
                raise FormatError(f"member {name!r}: expands beyond its declared size")
            if total + written > limits.max_bytes:
                raise FormatError(
                    f"member {name!r}: the archive expands beyond {limits.max_bytes} bytes "
                    "(max_bytes)"
                )
            if total + written > cap:
                raise FormatError(
                    f"member {name!r}: the members together expand more than max_ratio="
                    f"{limits.max_ratio:g} times the archive's {size} bytes (a zip bomb?)"
                )
            if written > ratio_cap:
                raise FormatError(
                    f"member {name!r}: expands more than max_ratio={limits.max_ratio:g} "
                    "times its compressed size (a zip bomb?)"
                )
            out.write(chunk)
    return written


def unpack(
    archive: Path,
    target: Path,
    *,
    limits: ArchiveLimits | None = None,
    durable: bool = True,
    expected_digest: str | None = None,
) -> Path:
    """Extract ``archive`` into the new directory ``target`` and verify its manifest.

    Nothing appears at ``target`` unless every member passed and the manifest verified: the
    files are written into a temporary sibling that is renamed into place at the end.

    Args:
        archive: a ``.tiffin`` file.
        target: a directory that does not exist yet (or is empty).
        limits: members, bytes and expansion bounds (:class:`ArchiveLimits` by default).
        durable: fsync the files before the rename (off for caches that are re-verified).
        expected_digest: the manifest digest the archive must carry.

    Raises:
        FormatError: not a zip, corrupt, or a member that is refused (the message names it).
        IntegrityError: no manifest, or files that differ from it.
        AlreadyExistsError: ``target`` exists and is not empty.

    Example:
        >>> unpack(Path("model.tiffin"), Path("model"))  # doctest: +SKIP
        PosixPath('model')
    """
    archive, target = Path(archive), Path(target)
    if not archive.is_file():
        raise NotFoundError(f"no archive file at {archive}")
    with (
        open(archive, "rb") as f,
        open_archive(f, str(archive), limits or ArchiveLimits()) as (zf, members),
        atomic_directory(target, durable=durable) as tmp,
    ):
        _extract(zf, members, tmp, limits or ArchiveLimits(), os.fstat(f.fileno()).st_size)
        if verify_manifest(tmp, expected_digest) is None:  # pragma: no cover - checked above
            raise IntegrityError(f"{MANIFEST_FILE}: missing from {archive}")
    return target
