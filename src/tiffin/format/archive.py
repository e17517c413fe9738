"""The single-file model: one zip archive holding a model directory and its manifest.

A directory is awkward to hand around (mail, a bucket, an ``scp``); a ``.tiffin`` file is one
object. It is a plain zip (``unzip -l model.tiffin`` works), written so that packing the same
directory twice gives the same bytes: members in sorted order, fixed timestamps, fixed modes,
one compression level, no extra fields. Packing verifies the manifest and hashes each file
again as it is stored, so an archive never carries bytes its manifest does not vouch for.
Unpacking (:mod:`tiffin.format.archive_extract`, re-exported here) trusts nothing in the file.
See the "Single-file format" section of ``docs/format.md``.

Example:
    >>> import tempfile, pathlib
    >>> from tiffin.format.manifest import write_manifest
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "model").mkdir()
    >>> _ = (d / "model" / "MLmodel").write_text("flavors: {}")
    >>> _ = write_manifest(d / "model")
    >>> _ = pack(d / "model", d / "model.tiffin")
    >>> sorted(p.name for p in unpack(d / "model.tiffin", d / "copy").iterdir())
    ['MLmodel', 'tiffin-manifest.json']
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import uuid
import zipfile
from pathlib import Path

from tiffin.errors import AlreadyExistsError, FormatError, IntegrityError, NotFoundError
from tiffin.format.archive_checks import check_names
from tiffin.format.archive_extract import ARCHIVE_SUFFIX, is_archive, open_archive, unpack
from tiffin.format.atomic import fsync_dir
from tiffin.format.manifest import MANIFEST_FILE, Manifest, build_manifest, verify_manifest

# unpacking lives in archive_extract; its public names are re-exported so that one module
# is the single-file format's API
__all__ = ["ARCHIVE_SUFFIX", "is_archive", "open_archive", "pack", "unpack"]

_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can store
_LEVEL = 6  # zlib's default: most of level 9's ratio at a fraction of its time
_CHUNK = 1 << 20
_FILE_ATTR = (stat.S_IFREG | 0o644) << 16
_DIR_ATTR = (stat.S_IFDIR | 0o755) << 16 | 0x10  # 0x10: the MS-DOS directory flag


def _tree(root: Path) -> tuple[list[str], list[str]]:
    """Every directory and regular file under ``root``, refusing links and special files.

    Unlike ``os.walk`` this never skips an unreadable directory silently.
    """
    dirs: list[str] = []
    files: list[str] = []

    def visit(directory: Path, prefix: str) -> None:
        with os.scandir(directory) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                rel = prefix + entry.name
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISLNK(mode):
                    raise IntegrityError(f"{rel}: symbolic links are not allowed in a model")
                if stat.S_ISDIR(mode):
                    dirs.append(rel)
                    visit(Path(entry.path), rel + "/")
                elif stat.S_ISREG(mode):
                    files.append(rel)
                else:
                    raise IntegrityError(f"{rel}: not a regular file or directory")

    visit(root, "")
    return dirs, files


def _source_manifest(
    root: Path, expected_digest: str | None, add_manifest: bool
) -> tuple[Manifest, bytes]:
    """The verified manifest and the exact bytes to store for it."""
    manifest = verify_manifest(root, expected_digest)
    if manifest is None:
        if not add_manifest:
            raise IntegrityError(
                f"{root}: the model has no {MANIFEST_FILE}, so its files cannot be checked; "
                "re-save it with tiffin, or pack with add_manifest=True (CLI: --add-manifest) "
                "to record the files as they are now"
            )
        manifest = build_manifest(root)
        return manifest, manifest.to_json()
    raw = (root / MANIFEST_FILE).read_bytes()
    if json.loads(raw).get("files") != manifest.files:
        raise IntegrityError(f"{MANIFEST_FILE}: changed while packing; try again")
    return manifest, raw


def _file_info(name: str, size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.create_system = 3  # Unix, so the mode in external_attr is read back
    info.external_attr = _FILE_ATTR
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = _LEVEL  # type: ignore[attr-defined]  # no public setter in 3.11
    info.file_size = size
    return info


def _dir_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name + "/", date_time=_EPOCH)
    info.create_system = 3
    info.external_attr = _DIR_ATTR
    info.CRC = info.compress_size = info.file_size = 0
    return info


def _write_members(
    zf: zipfile.ZipFile, root: Path, manifest: Manifest, raw_manifest: bytes
) -> None:
    dirs, found = _tree(root)
    files = set(found) - {MANIFEST_FILE}  # stored from the verified bytes, not re-read
    if files != set(manifest.files):
        changed = sorted(files ^ set(manifest.files))
        raise IntegrityError(f"{changed[0]}: appeared or vanished while packing; try again")
    names = sorted([d + "/" for d in dirs] + [*files, MANIFEST_FILE])
    check_names(names)  # never write an archive that unpack would refuse
    for name in names:
        if name.endswith("/"):
            zf.mkdir(_dir_info(name[:-1]))
        elif name == MANIFEST_FILE:
            zf.writestr(_file_info(name, len(raw_manifest)), raw_manifest)
        else:
            _write_file(zf, root / name, name, manifest.files[name])


def _write_file(zf: zipfile.ZipFile, path: Path, name: str, sha256: str) -> None:
    """Stream one file in, hashing the very bytes stored (a file changed after the manifest
    was verified is caught here, not at someone else's unpack)."""
    h = hashlib.sha256()
    with open(path, "rb") as src:
        info = _file_info(name, os.fstat(src.fileno()).st_size)
        with zf.open(info, "w") as dst:
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                dst.write(chunk)
    if h.hexdigest() != sha256:
        raise IntegrityError(f"{name}: changed while packing (differs from the manifest)")


def pack(
    model_dir: Path,
    archive: Path,
    *,
    expected_digest: str | None = None,
    add_manifest: bool = False,
    overwrite: bool = False,
) -> Manifest:
    """Write ``model_dir`` as one deterministic zip file; return the manifest it carries.

    Args:
        model_dir: a model directory whose manifest verifies (links are refused).
        archive: the file to write, atomically (a temporary sibling, renamed when complete).
        expected_digest: a registry's digest the manifest must match.
        add_manifest: for a model without a manifest (MLflow's), hash its files as they are
            now into the archive instead of refusing; the directory itself is not changed.
        overwrite: replace an existing ``archive``.

    Raises:
        IntegrityError: the files do not match the manifest, there is none, or a link.
        FormatError: a file name the archive could not carry safely (see ``check_name``).
        AlreadyExistsError: ``archive`` exists and ``overwrite`` is False.

    Example:
        >>> pack(Path("model"), Path("model.tiffin"))  # doctest: +SKIP
        Manifest(files={...})
    """
    root = Path(model_dir)
    out = Path(archive).absolute()
    if not root.is_dir():
        raise NotFoundError(f"no model directory at {root}")
    if (out.parent.resolve() / out.name).is_relative_to(root.resolve()):
        raise FormatError(f"{out}: the archive cannot be written inside the model it packs")
    if (out.exists() or out.is_symlink()) and not overwrite:
        raise AlreadyExistsError(f"{out} already exists (pass overwrite=True to replace it)")
    manifest, raw_manifest = _source_manifest(root, expected_digest, add_manifest)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:12]}"
    try:
        with open(tmp, "xb") as f:
            with zipfile.ZipFile(f, "w") as zf:
                _write_members(zf, root, manifest, raw_manifest)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
        fsync_dir(out.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return manifest
