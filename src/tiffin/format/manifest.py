"""The content manifest: the sha256 of every file a model directory holds.

A model is a directory of files that travel through buckets, registries and laptops. The
manifest lets a loader prove that the bytes it is about to hand to a deserializer are the bytes
that were saved: a changed, missing, extra or symlinked file is an :class:`IntegrityError`
naming the file. The manifest's own digest identifies the whole model (the registry records
it, which makes the registry a trust root).

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.txt").write_text("hi")
    >>> m = write_manifest(d)
    >>> verify_manifest(d) == m
    True
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from tiffin.errors import FormatError, IntegrityError
from tiffin.format.bounded import read_json_file

__all__ = [
    "MANIFEST_FILE",
    "Manifest",
    "build_manifest",
    "read_manifest",
    "scan_files",
    "verify_manifest",
    "write_manifest",
]

MANIFEST_FILE = "tiffin-manifest.json"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Manifest:
    """Relative POSIX path -> sha256 hex of every file except the manifest itself."""

    files: dict[str, str]

    def to_json(self) -> bytes:
        body = {"algorithm": "sha256", "files": dict(sorted(self.files.items())), "version": 1}
        return json.dumps(body, indent=1, sort_keys=True).encode()

    @property
    def digest(self) -> str:
        """One hash for the whole model: the sha256 of the canonical manifest bytes."""
        return hashlib.sha256(self.to_json()).hexdigest()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def scan_files(model_dir: Path) -> list[str]:
    """Every regular file under ``model_dir`` (relative POSIX paths, sorted), refusing links.

    Symlinks and special files (fifos, devices, sockets) are refused wherever they are, because
    a link lets a model read or overwrite files outside its directory.
    """
    root = Path(model_dir)
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            mode = os.lstat(full).st_mode
            if stat.S_ISLNK(mode):
                raise IntegrityError(f"{rel}: symbolic links are not allowed in a model directory")
            if name in filenames:
                if not stat.S_ISREG(mode):
                    raise IntegrityError(f"{rel}: not a regular file")
                if rel != MANIFEST_FILE:
                    out.append(rel)
    return sorted(out)


def build_manifest(model_dir: Path) -> Manifest:
    """Hash every file of ``model_dir``."""
    root = Path(model_dir)
    return Manifest({rel: _sha256(root / rel) for rel in scan_files(root)})


def write_manifest(model_dir: Path) -> Manifest:
    """Hash every file and write the manifest beside them (the last file a save writes)."""
    manifest = build_manifest(model_dir)
    (Path(model_dir) / MANIFEST_FILE).write_bytes(manifest.to_json())
    return manifest


def read_manifest(model_dir: Path) -> Manifest | None:
    """The manifest a model was saved with, or None for models written without one (MLflow's).

    Raises:
        FormatError: the manifest is not a JSON object, its ``algorithm`` is not ``sha256``
            (the message names the file, the algorithm found and the one expected), or its
            ``files`` is not an object of path -> digest.
    """
    file = Path(model_dir) / MANIFEST_FILE
    if not os.path.lexists(file):
        return None
    body = read_json_file(file, MANIFEST_FILE)
    if not isinstance(body, dict):
        raise FormatError(f"{file}: unreadable manifest (a {type(body).__name__}, not an object)")
    algorithm = body.get("algorithm")
    if algorithm != "sha256":
        raise FormatError(
            f"{file}: unsupported manifest: algorithm {algorithm!r}, expected 'sha256' (the "
            "only one tiffin writes and checks); re-save the model to write a new manifest"
        )
    files = body.get("files")
    if not isinstance(files, dict):
        raise FormatError(
            f"{file}: unreadable manifest: 'files' is {type(files).__name__}, expected an "
            "object of relative path -> sha256 hex digest"
        )
    return Manifest({str(k): str(v) for k, v in files.items()})


def verify_manifest(model_dir: Path, expected_digest: str | None = None) -> Manifest | None:
    """Check every file against the manifest; return it, or None when the model has none.

    ``expected_digest`` (from the registry) must then equal the manifest's digest: a model
    without a manifest cannot match one.
    """
    root = Path(model_dir)
    present = scan_files(root)
    manifest = read_manifest(root)
    if manifest is None:
        if expected_digest is not None:
            raise IntegrityError(f"{root}: the model has no {MANIFEST_FILE} to check against")
        return None
    if expected_digest is not None and manifest.digest != expected_digest:
        raise IntegrityError(
            f"{root}: manifest digest {manifest.digest} differs from the recorded {expected_digest}"
        )
    extra = sorted(set(present) - set(manifest.files))
    missing = sorted(set(manifest.files) - set(present))
    if extra:
        raise IntegrityError(f"{extra[0]}: file not in the manifest (extra files: {extra[:5]})")
    if missing:
        raise IntegrityError(f"{missing[0]}: file in the manifest is missing ({missing[:5]})")
    for rel in present:
        if _sha256(root / rel) != manifest.files[rel]:
            raise IntegrityError(
                f"{rel}: content differs from the manifest (the file was changed after saving); "
                "re-save the model or restore the original file"
            )
    return manifest
