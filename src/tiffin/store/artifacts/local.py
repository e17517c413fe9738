"""Artifacts on a local filesystem: walked by directory fd, published by no-replace rename.

Every operation opens the root, then each segment relative to the previous one without following
symlinks (``fs.opendir``), so a symlink anywhere under the root is refused at the moment
of use, whatever it points to; the joined path is also resolved and must stay inside the root.
Writes land in a ``.tmp-<uuid>`` sibling, are fsynced, and are published by a no-replace link
(files) or rename (directories): readers never see a partial file or directory, and nothing stored
is ever overwritten. Readers skip ``.tmp-*`` names, so a crash leaves only invisible debris.

Example:
    >>> import io, tempfile
    >>> backend = LocalBackend(Path(tempfile.mkdtemp()) / "artifacts")
    >>> backend.write_stream("a/b.txt", io.BytesIO(b"hi"), 2)
    >>> backend.listing("a").files
    {'a/b.txt': 2}
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import shutil
import stat
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from tiffin.errors import AlreadyExistsError, IntegrityError, NotFoundError
from tiffin.store.artifacts.fs import (
    READ_FLAGS,
    Listing,
    SourceFile,
    check_stored,
    opendir,
    walk_error,
    write_new,
)
from tiffin.store.artifacts.labels import TMP_PREFIX

__all__ = ["LocalBackend"]

_RENAME_NOREPLACE = 1


def _rename_noreplace(dir_fd: int, src: str, dst: str) -> None:
    """Rename within ``dir_fd``, failing with FileExistsError if ``dst`` exists.

    ``os.rename`` silently replaces an empty directory, which could swallow a concurrent write;
    Linux's ``renameat2(RENAME_NOREPLACE)`` refuses atomically. Elsewhere: check, then rename.
    """
    renameat2 = _renameat2()
    if renameat2 is not None:
        if renameat2(dir_fd, os.fsencode(src), dir_fd, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise OSError(err, os.strerror(err), dst)
    try:
        os.stat(dst, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        os.rename(src, dst, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        return
    raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), dst)


@functools.cache
def _renameat2() -> Any:
    """libc's ``renameat2`` if this platform has one (glibc >= 2.28), else None."""
    return getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)


class LocalBackend:
    """A directory on this machine holding artifacts; ``ArtifactStore`` validates labels first."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = Path(os.path.realpath(root))
        self.location = str(self.root)

    def _contained(self, rel: str) -> None:
        """Second check after the label check: the joined path must resolve inside the root."""
        if not Path(os.path.realpath(self.root / rel)).is_relative_to(self.root):
            raise IntegrityError(f"refused '{rel}': it resolves outside the artifact root")

    @contextlib.contextmanager
    def _parent(self, rel: str, *, create: bool) -> Iterator[tuple[int, str]]:
        self._contained(rel)
        *dirs, name = rel.split("/")
        with opendir(self.root, dirs, create=create, shown=rel) as fd:
            yield fd, name

    def _lstat(self, fd: int, name: str, rel: str) -> os.stat_result | None:
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(st.st_mode):
            raise IntegrityError(f"refused '{rel}': it is a symlink; symlinks are refused")
        return st

    def write_stream(self, rel: str, src: IO[bytes], size: int) -> None:
        """Store one file: temp sibling, fsync, then link (which refuses an existing name)."""
        with self._parent(rel, create=True) as (fd, name):
            tmp = f"{TMP_PREFIX}{uuid.uuid4().hex}"
            try:
                write_new(fd, tmp, src, size, what=rel, sync=True)
                os.link(tmp, name, src_dir_fd=fd, dst_dir_fd=fd, follow_symlinks=False)
            except FileExistsError:
                raise AlreadyExistsError(
                    f"artifact '{rel}' exists; artifacts are immutable"
                ) from None
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp, dir_fd=fd)
            os.fsync(fd)

    def write_tree(self, rel: str, files: Sequence[SourceFile]) -> None:
        """Store a directory whole: fill a 0700 temp sibling, fsync it, rename it into place."""
        with self._parent(rel, create=True) as (fd, name):
            if self._lstat(fd, name, rel) is not None:
                raise AlreadyExistsError(f"artifact '{rel}' exists; artifacts are immutable")
            tmp = f"{TMP_PREFIX}{uuid.uuid4().hex}"
            os.mkdir(tmp, 0o700, dir_fd=fd)
            try:
                with opendir(fd, [tmp], create=False, shown=rel) as tmp_fd:
                    for f in files:
                        *dirs, leaf = f.rel.split("/")
                        with (
                            opendir(tmp_fd, dirs, create=True, shown=rel) as dir_fd,
                            f.open() as src,
                        ):
                            write_new(dir_fd, leaf, src, f.size, what=str(f.path), sync=True)
                    for _path, _dirs, _files, sub_fd in os.fwalk(".", dir_fd=tmp_fd):
                        os.fsync(sub_fd)
                    os.fchmod(tmp_fd, 0o755)
                try:
                    _rename_noreplace(fd, tmp, name)
                except OSError as e:
                    if e.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                        raise
                    raise AlreadyExistsError(
                        f"artifact '{rel}' exists; artifacts are immutable"
                    ) from None
                os.fsync(fd)
            except BaseException:
                shutil.rmtree(tmp, dir_fd=fd, ignore_errors=True)
                raise

    def listing(self, rel: str) -> Listing:
        """Files at or under ``rel`` (the root when empty); nothing if it does not exist."""
        if not rel:
            with opendir(self.root, [], create=False, shown=".") as fd:
                return Listing(self._scan(fd, ""), True)
        try:
            with self._parent(rel, create=False) as (fd, name):
                st = self._lstat(fd, name, rel)
                if st is None:
                    return Listing({}, False)
                if stat.S_ISREG(st.st_mode):
                    return Listing({rel: st.st_size}, False)
                if not stat.S_ISDIR(st.st_mode):
                    raise IntegrityError(f"'{rel}' is not a regular file or directory")
                with opendir(fd, [name], create=False, shown=rel) as dir_fd:
                    return Listing(self._scan(dir_fd, rel), True)
        except NotFoundError:
            return Listing({}, False)

    def _scan(self, top_fd: int, base: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for dirpath, dirnames, filenames, fd in os.fwalk(".", dir_fd=top_fd):
            for name in dirnames + filenames:
                rel = os.path.normpath(os.path.join(base, dirpath, name))
                if name.startswith(TMP_PREFIX):
                    continue  # a write in progress, or one a crash interrupted
                st = self._lstat(fd, name, rel)
                if st is None or stat.S_ISDIR(st.st_mode):
                    continue
                if not stat.S_ISREG(st.st_mode):
                    raise IntegrityError(f"'{rel}' is not a regular file or directory")
                check_stored(rel)
                out[rel] = st.st_size
            dirnames[:] = [d for d in dirnames if not d.startswith(TMP_PREFIX)]
        return out

    def exists(self, rel: str) -> bool:
        """Whether a file or directory is stored under ``rel``."""
        try:
            with self._parent(rel, create=False) as (fd, name):
                return self._lstat(fd, name, rel) is not None
        except NotFoundError:
            return False

    def open_read(self, rel: str) -> IO[bytes]:
        """Open a stored file, refusing a symlink at the last step as at every other."""
        with self._parent(rel, create=False) as (fd, name):
            try:
                file_fd = os.open(name, READ_FLAGS, dir_fd=fd)
            except OSError as e:
                raise walk_error(fd, name, rel, rel, create=False) from e
        st = os.fstat(file_fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(file_fd)
            raise NotFoundError(f"artifact '{rel}' is a directory; use download() for those")
        return os.fdopen(file_fd, "rb")

    read_listed = open_read

    def verify(self, rel: str, listing: Listing) -> None:
        """Nothing to check beyond the sizes ``download`` compares: files are published whole."""

    def delete(self, rel: str) -> None:
        """Remove a file, or a directory by first renaming it away so it vanishes at once."""
        with self._parent(rel, create=False) as (fd, name):
            st = self._lstat(fd, name, rel)
            if st is None:
                raise NotFoundError(f"no artifact '{rel}' to delete")
            if not stat.S_ISDIR(st.st_mode):
                os.unlink(name, dir_fd=fd)
            else:
                tmp = f"{TMP_PREFIX}{uuid.uuid4().hex}"
                os.rename(name, tmp, src_dir_fd=fd, dst_dir_fd=fd)
                shutil.rmtree(tmp, dir_fd=fd)
            os.fsync(fd)
