"""What a ``.tiffin`` archive may contain, checked before a single byte is extracted.

Archive extractors have been broken the same few ways for decades: member names that climb
out of the target (``../x``, ``/etc/x``, ``C:\\x``), members that are links or devices, setuid
bits, two members with one name, and small files that expand without bound. Python's own
``tarfile`` filters have had bypasses (3.11.7 is affected) and ``zipfile.extractall`` silently
rewrites bad names instead of refusing them, so tiffin checks every member itself, from the
zip central directory, and refuses the whole archive naming the first bad member. The same
name rules run when packing, so tiffin never writes an archive it would refuse.

Example:
    >>> check_name("données/modèle.bin")
    >>> check_name("../evil")
    Traceback (most recent call last):
    ...
    tiffin.errors.FormatError: member '../evil': '..' segment (climbs out of the model directory)
"""

from __future__ import annotations

import re
import stat
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tiffin.errors import FormatError

if TYPE_CHECKING:  # zipfile is only imported by whoever opens an archive (not by the CLI)
    import zipfile

__all__ = ["ArchiveLimits", "MAX_NAME_BYTES", "MAX_NAME_DEPTH", "Member", "check_members",
           "check_name", "check_names", "total_cap"]  # fmt: skip

_DRIVE = re.compile(r"^[A-Za-z]:")
#: deepest member path: model files nest a few levels; thousands make every recursive walk
#: (``shutil.rmtree``, ``os.walk`` users, the manifest scan) fail with RecursionError
MAX_NAME_DEPTH = 64
MAX_NAME_BYTES = 1024  # whole member name, UTF-8
_MAX_SEGMENT_BYTES = 255  # NAME_MAX on Linux and macOS
_ALLOWED_METHODS = {0: "stored", 8: "deflated"}  # zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED
_SPECIAL_BITS = stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX
_KINDS = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a fifo",
    stat.S_IFSOCK: "a socket",
}


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on what unpacking one archive may cost.

    ``max_bytes`` caps the bytes written (counted while extracting, not taken from headers).
    ``max_ratio`` caps one member's expansion over its compressed size once it has written more
    than ``ratio_floor`` bytes: real model files (float arrays, skops zips, JSON) compress far
    less than 100:1; 1000:1 is near deflate's ceiling (1032:1), reached only by long runs of
    one byte, as bombs are; the floor leaves smaller runs of zeros alone. The same ratio bounds
    the whole archive: all members together may not write more than ``max_ratio`` times the
    archive's size once past ``ratio_floor``, so many members each under the floor are no way
    around it.

    Example:
        >>> ArchiveLimits(max_bytes=1 << 20).max_members
        10000
    """

    max_members: int = 10_000
    max_bytes: int = 20 * 1024**3
    max_ratio: float = 1000.0
    ratio_floor: int = 16 * 1024**2


@dataclass(frozen=True)
class Member:
    """One checked member: its relative POSIX path (no trailing slash) and what it is."""

    path: str
    is_dir: bool
    info: zipfile.ZipInfo


def _refuse(name: str, why: str) -> FormatError:
    return FormatError(f"member {name[:200]!r}: {why}")


def check_name(name: str) -> None:
    """Refuse a name that is not a plain relative POSIX path (a trailing ``/`` marks a dir).

    Example:
        >>> check_name("data/")
    """
    body = name[:-1] if name.endswith("/") else name
    if not body:
        raise _refuse(name, "empty name")
    if "\x00" in name:
        raise _refuse(name, "NUL byte in the name")
    _check_length(name, body)
    if "\\" in name:
        raise _refuse(name, "backslash in the name (a Windows path separator)")
    if name.startswith("/"):
        raise _refuse(name, "absolute path")
    if _DRIVE.match(name):
        raise _refuse(name, "drive letter (an absolute Windows path)")
    for segment in body.split("/"):
        if segment == "..":
            raise _refuse(name, "'..' segment (climbs out of the model directory)")
        if segment in ("", "."):
            raise _refuse(name, "empty or '.' segment (not a canonical path)")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise _refuse(name, "not valid UTF-8") from None


def _check_length(name: str, body: str) -> None:
    """Bound a name before anything splits or walks it (a 6,000-level path is refused here)."""
    size = len(name.encode("utf-8", errors="surrogatepass"))
    if size > MAX_NAME_BYTES:
        raise _refuse(name, f"name is {size} bytes long (at most {MAX_NAME_BYTES})")
    depth = body.count("/") + 1
    if depth > MAX_NAME_DEPTH:
        raise _refuse(name, f"{depth} levels deep (at most {MAX_NAME_DEPTH})")
    longest = max(len(s.encode("utf-8", errors="surrogatepass")) for s in body.split("/"))
    if longest > _MAX_SEGMENT_BYTES:
        raise _refuse(name, f"a path segment of {longest} bytes (at most {_MAX_SEGMENT_BYTES})")


def _kind(info: zipfile.ZipInfo) -> bool:
    """True for a directory, False for a regular file; refuse everything else."""
    name = info.filename
    mode = info.external_attr >> 16
    if mode & _SPECIAL_BITS:
        raise _refuse(name, f"setuid, setgid or sticky bit in its mode ({mode:o})")
    kind = stat.S_IFMT(mode)
    if kind in _KINDS:
        raise _refuse(name, f"{_KINDS[kind]} (only regular files and directories are allowed)")
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise _refuse(name, f"unknown file type in its mode ({mode:o})")
    is_dir = name.endswith("/")
    if (kind == stat.S_IFDIR) != is_dir and kind != 0:
        raise _refuse(name, "its mode and its name disagree on whether it is a directory")
    if is_dir and info.file_size:
        raise _refuse(name, "a directory with content")
    return is_dir


def _check_encoding(info: zipfile.ZipInfo) -> None:
    if info.flag_bits & 0x1:
        raise _refuse(info.filename, "encrypted")
    if info.compress_type not in _ALLOWED_METHODS:
        raise _refuse(
            info.filename, f"compression method {info.compress_type} (only stored or deflated)"
        )


def _fold(path: str) -> str:
    """The form under which two names are the same file on macOS or Windows."""
    return unicodedata.normalize("NFC", path).casefold()


def check_names(names: Sequence[str]) -> None:
    """Check each name, then refuse duplicates: exact, or equal once case and Unicode
    normalization are ignored (one file on macOS and Windows, two on Linux), and one name used
    both as a file and as a directory. The later member is named.

    Example:
        >>> check_names(["a/", "a/b", "a/c"])
    """
    seen: dict[str, tuple[str, bool]] = {}  # folded path -> (path, is a directory)
    named: set[str] = set()  # folded paths a member names (the others are implied parents)
    for name in names:
        check_name(name)
        parts = name.rstrip("/").split("/")
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            last = depth == len(parts)
            is_dir = not last or name.endswith("/")
            key = _fold(path)
            other = seen.setdefault(key, (path, is_dir))
            if other[0] != path:
                raise _refuse(
                    name,
                    f"{path!r} and {other[0]!r} are one name on case-insensitive or "
                    "normalizing file systems",
                )
            if other[1] != is_dir:
                raise _refuse(name, f"{path!r} is both a file and a directory")
            if last and key in named:
                raise _refuse(name, "duplicate name")
            if last:
                named.add(key)


def total_cap(limits: ArchiveLimits, archive_size: int) -> float:
    """The most bytes all members together may write: ``max_ratio`` times the archive's size,
    but never less than ``ratio_floor`` (and never more than ``max_bytes``).

    Example:
        >>> total_cap(ArchiveLimits(max_ratio=10, ratio_floor=100), 50)
        500
    """
    return min(limits.max_bytes, max(limits.ratio_floor, limits.max_ratio * archive_size))


def _check_sizes(members: Sequence[Member], limits: ArchiveLimits, archive_size: int) -> None:
    """Declared sizes first (cheap, refuses honest bombs early); extraction counts again."""
    declared = compressed = 0
    for m in members:
        info = m.info
        declared += info.file_size
        compressed += info.compress_size
        if declared > limits.max_bytes:
            raise _refuse(
                info.filename,
                f"the archive declares more than {limits.max_bytes} bytes (max_bytes)",
            )
        if compressed > archive_size:
            raise _refuse(
                info.filename,
                "compressed sizes add up to more than the file (overlapping members, a zip bomb)",
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor and ratio > limits.max_ratio:
            raise _refuse(
                info.filename,
                f"expands {ratio:.0f}x (more than max_ratio={limits.max_ratio:g}: a zip bomb?)",
            )
        if declared > total_cap(limits, archive_size):
            raise _refuse(
                info.filename,
                f"the members together declare {declared} bytes, more than max_ratio="
                f"{limits.max_ratio:g} times the archive's {archive_size} bytes (a zip bomb?)",
            )


def check_members(
    infos: Sequence[zipfile.ZipInfo], limits: ArchiveLimits, archive_size: int
) -> list[Member]:
    """Check the central directory; return the members in archive order, or raise naming one.

    Example:
        >>> import zipfile
        >>> check_members([zipfile.ZipInfo("a/")], ArchiveLimits(), 100)[0].is_dir
        True
    """
    if len(infos) > limits.max_members:
        raise _refuse(
            infos[limits.max_members].filename,
            f"more than {limits.max_members} members in the archive (max_members)",
        )
    check_names([info.filename for info in infos])
    members = []
    for info in infos:
        _check_encoding(info)
        members.append(Member(info.filename.rstrip("/"), _kind(info), info))
    _check_sizes(members, limits, archive_size)
    return members
