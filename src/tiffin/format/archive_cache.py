"""Where ``load_model("model.tiffin")`` unpacks to: a content-addressed cache tiffin owns.

Loaders need a directory, so an archive is unpacked once to
``$XDG_CACHE_HOME/tiffin/unpacked/<sha256 of the archive>`` (``~/.cache/...`` by default) and
reused: a server that restarts, or ten workers loading the same file, unpack it once. Nothing
in the cache is trusted: an entry is used only when its manifest is byte-for-byte the one in
the archive and every file still matches it; otherwise it is moved aside and unpacked again.
Concurrent loads are safe because every unpack writes a private temporary sibling and renames
it into place; a load that loses the race uses the winner's entry after verifying it. When the
cache cannot be created (a read-only home), the archive is unpacked into a private temporary
directory removed when the process exits.

Example:
    >>> unpack_cached(Path("model.tiffin"))  # doctest: +SKIP
    PosixPath('/home/me/.cache/tiffin/unpacked/5d41402abc4b2a76...')
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import stat
import tempfile
import uuid
import zipfile
import zlib
from pathlib import Path

from tiffin.errors import FormatError, IntegrityError
from tiffin.format.archive_checks import ArchiveLimits
from tiffin.format.archive_extract import open_archive, unpack
from tiffin.format.manifest import MANIFEST_FILE, verify_manifest

__all__ = ["cache_root", "unpack_cached"]

_CHUNK = 1 << 20
_ATTEMPTS = 3  # a load that loses a publish race re-checks the winner's entry
_MAX_MANIFEST = 64 * 1024**2  # ~600 bytes a file would be 100,000 files: far past any model


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/tiffin/unpacked``, or ``~/.cache/tiffin/unpacked`` (XDG's default;
    a relative ``XDG_CACHE_HOME`` is ignored, as the XDG spec says).

    Example:
        >>> cache_root().parts[-2:]
        ('tiffin', 'unpacked')
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    home = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return home / "tiffin" / "unpacked"


def _fingerprint(archive: Path, limits: ArchiveLimits) -> tuple[str, bytes]:
    """The archive's sha256 and the bytes of the manifest it carries (after all checks)."""
    h = hashlib.sha256()
    with open(archive, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
        f.seek(0)
        with open_archive(f, str(archive), limits) as (zf, _members):
            try:
                with zf.open(MANIFEST_FILE) as src:
                    manifest = src.read(_MAX_MANIFEST + 1)
            except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, OSError) as e:
                raise FormatError(f"member {MANIFEST_FILE!r}: corrupt ({e})") from None
    if len(manifest) > _MAX_MANIFEST:
        raise FormatError(f"member {MANIFEST_FILE!r}: larger than {_MAX_MANIFEST} bytes")
    return h.hexdigest(), manifest


def _inspect(entry: Path, manifest: bytes) -> tuple[bool, tuple[int, int] | None]:
    """Is the entry usable (it carries this manifest and its files match it), and which inode
    is there (None when nothing is)?"""
    try:
        st = os.lstat(entry)
    except FileNotFoundError:
        return False, None
    identity = (st.st_dev, st.st_ino)
    if not stat.S_ISDIR(st.st_mode):
        return False, identity
    try:
        if (entry / MANIFEST_FILE).read_bytes() != manifest:
            return False, identity
        return verify_manifest(entry) is not None, identity
    except (IntegrityError, FormatError, OSError):
        return False, identity


def _discard(entry: Path, identity: tuple[int, int]) -> None:
    """Move a bad entry aside in one rename (others may be looking at it), then delete it.

    Only the entry that was judged bad is moved: if another load has replaced it since, the
    new one stays.
    """
    try:
        st = os.lstat(entry)
    except FileNotFoundError:
        return
    if (st.st_dev, st.st_ino) != identity:
        return
    if not stat.S_ISDIR(st.st_mode):
        entry.unlink(missing_ok=True)
        return
    aside = entry.with_name(f".{entry.name}.stale-{uuid.uuid4().hex[:12]}")
    try:
        os.rename(entry, aside)
    except FileNotFoundError:
        return  # another process moved it first
    shutil.rmtree(aside, ignore_errors=True)


def _unpack_private(archive: Path, limits: ArchiveLimits) -> Path:
    scratch = Path(tempfile.mkdtemp(prefix="tiffin-unpacked-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    return unpack(archive, scratch / "model", limits=limits, durable=False)


def unpack_cached(archive: Path, *, limits: ArchiveLimits | None = None) -> Path:
    """A verified model directory holding ``archive``'s contents, unpacked once and reused.

    Raises:
        FormatError: the archive is not a zip, is corrupt, or holds a refused member.
        IntegrityError: it has no manifest, or its files differ from it.

    Example:
        >>> model_dir = unpack_cached(Path("model.tiffin"))  # doctest: +SKIP
    """
    archive = Path(archive)
    limits = limits or ArchiveLimits()
    digest, manifest = _fingerprint(archive, limits)
    try:
        root = cache_root()
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # no home directory, or a read-only one
        return _unpack_private(archive, limits)
    entry = root / digest
    for attempt in range(_ATTEMPTS):
        usable, identity = _inspect(entry, manifest)
        if usable:
            return entry
        if identity is not None:
            _discard(entry, identity)
        try:
            return unpack(archive, entry, limits=limits, durable=False)
        except OSError:  # another load published first (checked next round), or the disk
            if attempt == _ATTEMPTS - 1 and not _inspect(entry, manifest)[0]:
                raise
    return entry
