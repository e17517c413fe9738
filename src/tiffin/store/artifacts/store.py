"""Artifact stores: files and whole model directories under one root, local or on S3.

A client-supplied artifact path is a *label*, never a path to open: ``safe_relpath`` reduces it
to one canonical relative form or refuses it, and each backend checks containment again after
joining it with the root. Artifacts are immutable: writing to a label that exists is an
``AlreadyExistsError``. A directory is published atomically, so readers never see part of one:
locally by renaming a fsynced ``.tmp-<uuid>`` sibling into place, on S3 (which cannot rename)
by a completion marker written after every file (see :mod:`tiffin.store.artifacts.remote`). Data
is streamed in 1 MiB pieces (5 MiB multipart parts on S3), so memory stays flat however big the
model.

Errors: ``FormatError`` for a refused label, ``AlreadyExistsError`` for an existing destination,
``NotFoundError`` for a missing (or, on S3, not yet complete) artifact, ``IntegrityError`` for a
symlink, a name that is not a canonical label, or sizes that do not match.

Example:
    >>> import tempfile
    >>> store = ArtifactStore(tempfile.mkdtemp())
    >>> store.log_bytes(b"accuracy: 0.93", "metrics/summary.yaml")
    'metrics/summary.yaml'
    >>> store.list("metrics")
    ['metrics/summary.yaml']
    >>> with store.open("metrics/summary.yaml") as f:
    ...     f.read()
    b'accuracy: 0.93'
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import unquote, urlsplit

from tiffin.errors import FormatError, NotFoundError
from tiffin.store.artifacts.fs import (
    DownloadTarget,
    Listing,
    SourceFile,
    source_file,
    source_files,
)
from tiffin.store.artifacts.labels import safe_relpath

__all__ = ["ArtifactStore", "safe_relpath"]


class _Backend(Protocol):
    """What a backend does with labels that ``ArtifactStore`` has already made canonical."""

    location: str

    def write_stream(self, rel: str, src: IO[bytes], size: int) -> None: ...
    def write_tree(self, rel: str, files: Sequence[SourceFile]) -> None: ...
    def listing(self, rel: str) -> Listing: ...
    def exists(self, rel: str) -> bool: ...
    def open_read(self, rel: str) -> IO[bytes]: ...
    def read_listed(self, rel: str) -> IO[bytes]: ...
    def verify(self, rel: str, listing: Listing) -> None: ...
    def delete(self, rel: str) -> None: ...


class ArtifactStore:
    """Store, list, read and delete artifacts under one root URI.

    Args:
        root_uri: a local path, ``file:///abs/path``, or an fsspec URL such as
            ``s3://bucket/prefix``. The root is configured by the operator, never by a client.
        storage_options: passed to fsspec for remote roots, e.g.
            ``{"client_kwargs": {"endpoint_url": "http://127.0.0.1:9000"}}``. Without it, S3
            endpoints come from ``AWS_ENDPOINT_URL`` (botocore) or ``MLFLOW_S3_ENDPOINT_URL``.

    Example:
        >>> import tempfile
        >>> ArtifactStore(tempfile.mkdtemp()).list()
        []
    """

    def __init__(self, root_uri: str, storage_options: Mapping[str, Any] | None = None) -> None:
        self.root_uri = root_uri
        local = _local_root(root_uri)
        if local is not None:
            from tiffin.store.artifacts.local import LocalBackend

            self._backend: _Backend = LocalBackend(local)
        else:
            from tiffin.store.artifacts.remote import FsspecBackend

            self._backend = FsspecBackend(root_uri, storage_options or {})

    def __repr__(self) -> str:
        return f"ArtifactStore({self.root_uri!r})"

    def log_file(self, local: Path, dest: str = "") -> str:
        """Store one local file as ``<dest>/<its name>``, and say where it went.

        Why a directory and not a full name: this is MLflow's ``log_artifact`` shape, so a
        tracking client's ``artifact_path`` maps onto it unchanged.

        Args:
            local: a regular file (a symlink is refused: it could be a host file).
            dest: the directory label to put it under; empty for the root.

        Returns:
            The stored label, e.g. ``"plots/roc.png"``.

        Raises:
            AlreadyExistsError: that label is already stored.

        Example:
            >>> import tempfile
            >>> src = Path(tempfile.mkdtemp()) / "roc.png"
            >>> _ = src.write_bytes(b"png")
            >>> ArtifactStore(tempfile.mkdtemp()).log_file(src, "plots")
            'plots/roc.png'
        """
        base = safe_relpath(dest, allow_empty=True)
        source = source_file(Path(local))
        rel = f"{base}/{source.rel}" if base else source.rel
        with source.open() as stream:
            self._backend.write_stream(rel, stream, source.size)
        return rel

    def log_dir(self, local_dir: Path, dest: str) -> str:
        """Store a whole directory (a model) at ``dest``, visible all at once or not at all.

        Why atomic: a loader that sees half a model fails in confusing ways, or worse loads an
        old file next to a new one. Empty subdirectories are not kept (S3 cannot hold them).

        Args:
            local_dir: the directory; symlinks and special files inside it are refused.
            dest: the label of the new directory; it must not exist yet.

        Returns:
            The stored label.

        Example:
            >>> import tempfile
            >>> model = Path(tempfile.mkdtemp())
            >>> _ = (model / "MLmodel").write_text("flavors: {}")
            >>> store = ArtifactStore(tempfile.mkdtemp())
            >>> store.log_dir(model, "model")
            'model'
            >>> store.list()
            ['model/MLmodel']
        """
        rel = safe_relpath(dest)
        self._backend.write_tree(rel, source_files(Path(local_dir)))
        return rel

    def log_bytes(self, data: bytes, dest: str) -> str:
        """Store ``data`` as the file ``dest`` (a full label, not a directory).

        Example:
            >>> import tempfile
            >>> ArtifactStore(tempfile.mkdtemp()).log_bytes(b"{}", "extra/meta.json")
            'extra/meta.json'
        """
        rel = safe_relpath(dest)
        self._backend.write_stream(rel, io.BytesIO(data), len(data))
        return rel

    def list(self, prefix: str = "") -> list[str]:
        """Every stored file label at or under ``prefix``, sorted; ``[]`` if there is none.

        ``prefix`` is matched by whole segments: ``"data"`` lists ``data/...`` but not
        ``data-v2/...`` or ``database.txt`` (a string prefix would silently mix them up).

        Example:
            >>> import tempfile
            >>> store = ArtifactStore(tempfile.mkdtemp())
            >>> _ = store.log_bytes(b"1", "data/a"), store.log_bytes(b"2", "data-v2/b")
            >>> store.list("data")
            ['data/a']
        """
        return sorted(self._backend.listing(safe_relpath(prefix, allow_empty=True)).files)

    def download(self, path: str, local_dir: Path | None = None) -> Path:
        """Copy a file or directory to ``local_dir/<path>`` and return that local path.

        Why a fresh directory by default: a ``tempfile.mkdtemp()`` (mode 0700) cannot already
        hold a symlink planted by someone else, nor be read by other users while it fills. In a
        given ``local_dir`` nothing is overwritten and no symlink is followed. Each file's size
        is checked; on any failure everything this call created is removed.

        Args:
            path: the label of a file or directory; empty for everything.
            local_dir: where to put it; a new private temp directory when None.

        Example:
            >>> import tempfile
            >>> store = ArtifactStore(tempfile.mkdtemp())
            >>> _ = store.log_bytes(b"w", "model/weights.bin")
            >>> store.download("model").joinpath("weights.bin").read_bytes()
            b'w'
        """
        rel = safe_relpath(path, allow_empty=True)
        found = self._backend.listing(rel)
        self._backend.verify(rel, found)  # first: a published file gone missing is not "absent"
        if not found.files and not found.is_dir:
            raise NotFoundError(f"no artifact '{rel}' in {self._backend.location}")
        target = DownloadTarget(None if local_dir is None else Path(local_dir))
        try:
            if found.is_dir and rel:
                target.mkdirs(rel.split("/"))
            for name, size in sorted(found.files.items()):
                with self._backend.read_listed(name) as src:
                    target.add(name, src, size)
        except BaseException:
            target.discard()
            raise
        return target.root / rel if rel else target.root

    def open(self, path: str) -> IO[bytes]:
        """Open a stored file for reading, streamed rather than loaded whole.

        Example:
            >>> import tempfile
            >>> store = ArtifactStore(tempfile.mkdtemp())
            >>> _ = store.log_bytes(b"hello", "a.txt")
            >>> with store.open("a.txt") as f:
            ...     f.read()
            b'hello'
        """
        return self._backend.open_read(safe_relpath(path))

    def exists(self, path: str) -> bool:
        """Whether a file or a (complete) directory is stored at ``path``.

        Example:
            >>> import tempfile
            >>> ArtifactStore(tempfile.mkdtemp()).exists("model")
            False
        """
        return self._backend.exists(safe_relpath(path))

    def delete(self, path: str) -> None:
        """Remove a file or a whole directory; it disappears at once, not file by file.

        On S3 this also clears an interrupted directory upload, which ``list`` does not show.

        Example:
            >>> import tempfile
            >>> store = ArtifactStore(tempfile.mkdtemp())
            >>> _ = store.log_bytes(b"x", "tmp/x")
            >>> store.delete("tmp")
            >>> store.exists("tmp")
            False
        """
        self._backend.delete(safe_relpath(path))


def _local_root(root_uri: str) -> Path | None:
    """The local directory a root URI names, or None for a remote (fsspec) URL."""
    if "://" not in root_uri and "::" not in root_uri:
        return Path(root_uri)
    parts = urlsplit(root_uri)
    if parts.scheme not in ("file", "local"):
        return None
    if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        raise FormatError(f"artifact root {root_uri!r}: expected file:///absolute/path")
    return Path(unquote(parts.path))
