"""Artifact stores: files and model directories under one root, on a local disk or through fsspec.

The face is :class:`ArtifactStore` (``store``); behind it one backend per kind of root (``local``:
atomic no-replace renames, ``remote``: completion markers on object stores), the filesystem
primitives both use (``fs``) and the rule that turns a client's path into a label (``labels``).
Nothing here touches the database.

Example:
    >>> import tempfile
    >>> from tiffin.store.artifacts import ArtifactStore
    >>> ArtifactStore(tempfile.mkdtemp()).log_bytes(b"{}", "config.json")
    'config.json'
"""

from tiffin.store.artifacts.labels import safe_relpath
from tiffin.store.artifacts.store import ArtifactStore

__all__ = ["ArtifactStore", "safe_relpath"]
