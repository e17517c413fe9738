"""Artifacts on an object store through fsspec (S3 via s3fs): markers instead of renames.

S3 has no atomic rename, so a directory cannot be published by renaming a finished temp copy.
Instead ``write_tree`` writes ``<dest>/.tiffin-pending`` first, then every file under the final
prefix, then ``<dest>/.tiffin-complete`` LAST (a JSON list of every file and its size). Readers
(``listing``, ``open_read``, ``exists``, ``download``) treat a directory that has a pending
marker but no completion marker as absent: an upload in progress, or one a crash interrupted,
is never visible. A single file is one PUT (or one multipart upload, committed atomically by
``CompleteMultipartUpload``), so it appears whole or not at all without markers.

Every object is created with ``If-None-Match: *`` (fsspec mode ``"xb"``), so nothing stored is
ever overwritten, even by a racing writer. A failed upload removes what it wrote, pending marker
last, so the directory stays hidden while it is cleaned. ``delete`` hides a directory first
(pending marker in, completion marker out) and then removes the rest.

Example:
    >>> backend = FsspecBackend("s3://bucket/artifacts", {})  # doctest: +SKIP
    >>> backend.listing("model").files  # doctest: +SKIP
    {'model/MLmodel': 312, 'model/model.skops': 20481}
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import posixpath
import uuid
from collections.abc import Mapping, Sequence
from typing import IO, Any

from tiffin.errors import (
    AlreadyExistsError,
    IntegrityError,
    MissingDependencyError,
    NotFoundError,
)
from tiffin.store.artifacts.fs import Listing, SourceFile, check_stored, copy_stream
from tiffin.store.artifacts.labels import COMPLETE_MARKER, PENDING_MARKER, parents

__all__ = ["FsspecBackend"]

_PART = 5 << 20  # S3's smallest multipart part: the most a write holds in memory
_READ_BLOCK = 2 << 20
_MARKERS = (PENDING_MARKER, COMPLETE_MARKER)


class FsspecBackend:
    """An fsspec URL (``s3://bucket/prefix``) holding artifacts under server-chosen keys."""

    def __init__(self, root_uri: str, storage_options: Mapping[str, Any]) -> None:
        try:
            from fsspec.core import url_to_fs

            fs, path = url_to_fs(root_uri, **_with_env_endpoint(root_uri, storage_options))
        except ImportError as e:
            raise MissingDependencyError(
                f"artifact root {root_uri!r} needs an fsspec backend that is not installed: "
                f"pip install 'tiffin[s3]' for S3 ({e})"
            ) from e
        self._fs: Any = fs
        self._base = str(path).rstrip("/")
        self.location = root_uri

    # -- keys -------------------------------------------------------------------------------
    def _key(self, rel: str) -> str:
        """The object key of a canonical label, checked again to stay under the root."""
        if not rel:
            return self._base
        if rel.startswith("/") or posixpath.normpath(rel) != rel or rel.split("/")[0] == "..":
            raise IntegrityError(f"refused '{rel}': it does not stay under the artifact root")
        return f"{self._base}/{rel}"

    def _rel(self, key: str) -> str | None:
        prefix = self._base + "/"
        return key[len(prefix) :] if key.startswith(prefix) else None

    def _is_file(self, rel: str) -> bool:
        try:
            return bool(self._fs.info(self._key(rel))["type"] == "file")
        except FileNotFoundError:
            return False

    def _open_dir(self, rel: str) -> bool:
        """Whether ``rel`` is a directory whose upload started and never completed."""
        return self._is_file(f"{rel}/{PENDING_MARKER}") and not self._is_file(
            f"{rel}/{COMPLETE_MARKER}"
        )

    def _hidden_by_ancestor(self, rel: str) -> str | None:
        self._fs.invalidate_cache()  # markers written by other processes must be seen
        return next((a for a in parents(rel) if self._open_dir(a)), None)

    def _raw(self, rel: str) -> dict[str, int]:
        """Every object at or under ``rel`` (markers and unfinished uploads included)."""
        self._fs.invalidate_cache()
        try:
            found = self._fs.find(self._key(rel), detail=True)
        except FileNotFoundError:
            return {}
        out: dict[str, int] = {}
        for key, info in found.items():
            name = self._rel(key)
            if name is None or info.get("type") != "file" or name.endswith("/"):
                continue  # outside the root, or a console's zero-byte "folder" placeholder
            if not rel or name == rel or name.startswith(rel + "/"):
                out[name] = int(info.get("size") or 0)
        return out

    # -- reads ------------------------------------------------------------------------------
    def listing(self, rel: str) -> Listing:
        """Visible files at or under ``rel``: unfinished directories and markers left out."""
        if rel and self._hidden_by_ancestor(rel):
            return Listing({}, False)
        raw = self._raw(rel)
        marked = {n.rpartition("/")[0] for n in raw if _is_marker(n)}
        complete = {d for d in marked if f"{d}/{COMPLETE_MARKER}" in raw}
        unfinished = {d for d in marked if f"{d}/{PENDING_MARKER}" in raw} - complete
        if rel in unfinished:
            return Listing({}, False)
        files: dict[str, int] = {}
        for name, size in raw.items():
            if _is_marker(name) or unfinished.intersection(parents(name)):
                continue
            check_stored(name)
            files[name] = size
        is_dir = (bool(files) and rel not in files) or rel in complete or not rel
        return Listing(files, is_dir, frozenset(complete - unfinished))

    def exists(self, rel: str) -> bool:
        """Whether ``rel`` names a visible file or directory."""
        found = self.listing(rel)
        return bool(found.files) or found.is_dir

    def open_read(self, rel: str) -> IO[bytes]:
        """Open a visible file for streaming reads (``_READ_BLOCK`` bytes per request)."""
        hidden = self._hidden_by_ancestor(rel)
        if hidden is not None:
            raise NotFoundError(f"no artifact '{rel}': the upload of '{hidden}' is not complete")
        try:
            info = self._fs.info(self._key(rel))
        except FileNotFoundError:
            raise NotFoundError(f"no artifact '{rel}'") from None
        if info["type"] != "file":
            raise NotFoundError(f"artifact '{rel}' is a directory; use download() for those")
        return self.read_listed(rel)

    def read_listed(self, rel: str) -> IO[bytes]:
        """Open a file that ``listing`` just returned (its visibility is already checked)."""
        stream: IO[bytes] = self._fs.open(self._key(rel), "rb", block_size=_READ_BLOCK)
        return stream

    def verify(self, rel: str, listing: Listing) -> None:
        """Check files against the sizes recorded by the completion markers that cover them.

        A file missing from, or resized in, a published directory means someone changed the
        bucket behind the store's back; a download must not hand out such a directory.
        """
        sealed = set(listing.sealed)
        sealed.update(a for a in parents(rel) if self._is_file(f"{a}/{COMPLETE_MARKER}"))
        for d in sorted(sealed):
            marker = self._fs.cat_file(self._key(f"{d}/{COMPLETE_MARKER}"))
            for name, size in _read_manifest(marker, d).items():
                full = f"{d}/{name}"
                if rel and full != rel and not full.startswith(rel + "/"):
                    continue  # outside what is being downloaded
                actual = listing.files.get(full)
                if actual != size:
                    got = "is missing" if actual is None else f"has {actual} bytes"
                    raise IntegrityError(
                        f"artifact '{full}' {got}; its directory was published with {size} bytes"
                    )

    # -- writes -----------------------------------------------------------------------------
    def _check_free(self, rel: str) -> None:
        self._fs.invalidate_cache()
        for ancestor in parents(rel):
            if self._is_file(ancestor):
                raise AlreadyExistsError(f"cannot create '{rel}': '{ancestor}' is a file")
        if self._fs.exists(self._key(rel)):
            raise AlreadyExistsError(
                f"artifact '{rel}' exists (or an upload to it is in progress or was "
                "interrupted: delete it first); artifacts are immutable"
            )

    def _put(self, rel: str, src: IO[bytes], size: int) -> None:
        """Create one object, streamed in ``_PART`` pieces; never overwrite, never half-commit."""
        out = self._fs.open(self._key(rel), "xb", block_size=_PART)
        try:
            copy_stream(src, out, expected=size, what=rel)
        except BaseException:
            with contextlib.suppress(Exception):
                out.discard()  # abort the multipart upload: a partial object is never committed
            out.closed = True
            raise
        try:
            out.close()  # one PUT, or CompleteMultipartUpload, with If-None-Match: *
        except FileExistsError:
            raise AlreadyExistsError(f"artifact '{rel}' exists; artifacts are immutable") from None
        except BaseException:
            with contextlib.suppress(Exception):
                out.discard()
            raise

    def write_stream(self, rel: str, src: IO[bytes], size: int) -> None:
        """Store one file as one object."""
        self._check_free(rel)
        self._put(rel, src, size)

    def write_tree(self, rel: str, files: Sequence[SourceFile]) -> None:
        """Store a directory: pending marker, files, completion marker last; undo on failure."""
        self._check_free(rel)
        pending = json.dumps({"upload": uuid.uuid4().hex}).encode()
        self._put(f"{rel}/{PENDING_MARKER}", io.BytesIO(pending), len(pending))
        written: list[str] = []
        try:
            for f in files:
                with f.open() as src:
                    self._put(f"{rel}/{f.rel}", src, f.size)
                written.append(f"{rel}/{f.rel}")
            manifest = json.dumps({"files": {f.rel: f.size for f in files}}).encode()
            self._put(f"{rel}/{COMPLETE_MARKER}", io.BytesIO(manifest), len(manifest))
        except BaseException:
            self._remove([*written, f"{rel}/{PENDING_MARKER}"], best_effort=True)
            raise

    def delete(self, rel: str) -> None:
        """Remove a file, or a directory: hide it first, then remove its objects."""
        raw = self._raw(rel)
        if not raw:
            raise NotFoundError(f"no artifact '{rel}' to delete")
        if list(raw) == [rel]:
            self._remove([rel])
            return
        pending = f"{rel}/{PENDING_MARKER}"
        self._fs.pipe_file(self._key(pending), b"{}")
        first = [f"{rel}/{COMPLETE_MARKER}"] if f"{rel}/{COMPLETE_MARKER}" in raw else []
        rest = sorted(n for n in raw if n not in (pending, *first))
        self._remove([*first, *rest, pending])

    def _remove(self, rels: Sequence[str], *, best_effort: bool = False) -> None:
        """Delete objects one by one, by exact key (``rm`` would expand ``*`` and ``[``)."""
        for rel in rels:
            try:
                self._fs.rm_file(self._key(rel))
            except FileNotFoundError:
                pass
            except Exception:
                if not best_effort:
                    raise
        self._fs.invalidate_cache()


def _is_marker(name: str) -> bool:
    return name.rpartition("/")[2] in _MARKERS


def _read_manifest(data: bytes, where: str) -> dict[str, int]:
    try:
        files = json.loads(data)["files"]
        if isinstance(files, dict) and all(isinstance(v, int) for v in files.values()):
            return {str(k): int(v) for k, v in files.items()}
    except (ValueError, KeyError, TypeError, RecursionError):
        pass
    raise IntegrityError(f"the completion marker of '{where}' is not a valid file list")


def _with_env_endpoint(root_uri: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Honour ``MLFLOW_S3_ENDPOINT_URL`` as MLflow does (botocore reads AWS_ENDPOINT_URL itself).

    Example:
        >>> _with_env_endpoint("memory://x", {"a": 1})
        {'a': 1}
    """
    out = dict(options)
    endpoint = os.environ.get("MLFLOW_S3_ENDPOINT_URL")
    if not endpoint or not root_uri.startswith(("s3://", "s3a://")) or "endpoint_url" in out:
        return out
    client_kwargs = dict(out.get("client_kwargs") or {})
    client_kwargs.setdefault("endpoint_url", endpoint)
    out["client_kwargs"] = client_kwargs
    return out
