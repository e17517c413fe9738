"""Find files whose loading would run code, by their content rather than their names.

A pickle named ``model.bin`` or gzipped into ``model.pkl.gz`` is still a pickle, and scanners
that trust extensions or give up on compression have been bypassed exactly that way. This module
looks at bytes: pickle opcodes (every protocol), then inside gzip, bz2, xz/lzma and zlib streams
and zip archives (torch and joblib use these), recursively and within fixed bounds.

Example:
    >>> import pickle
    >>> sniff_bytes(pickle.dumps({"a": 1}))
    'pickle'
    >>> sniff_bytes(b'{"a": 1}') is None
    True
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import pickletools
import zipfile
import zlib
from pathlib import Path

__all__ = ["find_code_files", "sniff_bytes", "sniff_file"]

_HEAD = 64 * 1024  # bytes of a (decompressed) stream looked at
_MAX_DEPTH = 3
_MAX_ZIP_MEMBERS = 10_000


def _looks_like_pickle(head: bytes) -> bool:
    """True when ``head`` parses as pickle opcodes that import or call something, or as a
    protocol 2+ pickle at all (the PROTO header is unambiguous)."""
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return True
    if not head or head[:1] not in b"(]}cNIFLSVdlpt\x8c":
        return False
    risky = {"GLOBAL", "STACK_GLOBAL", "REDUCE", "INST", "OBJ", "NEWOBJ", "BUILD"}
    seen = False
    try:
        for op, _arg, _pos in pickletools.genops(io.BytesIO(head)):
            seen = seen or op.name in risky
            if op.name == "STOP":
                return seen
    except Exception:
        return False
    return seen and len(head) >= _HEAD  # ran out of window while still parsing cleanly


def _decompress_head(data: bytes) -> bytes | None:
    """The first bytes of a compressed stream, or None when ``data`` is not compressed."""
    try:
        if data[:2] == b"\x1f\x8b":
            return gzip.GzipFile(fileobj=io.BytesIO(data)).read(_HEAD)
        if data[:3] == b"BZh":
            return bz2.BZ2Decompressor().decompress(data, _HEAD)
        if data[:6] == b"\xfd7zXZ\x00" or data[:1] == b"\x5d":
            return lzma.LZMADecompressor().decompress(data, _HEAD)
        if len(data) > 2 and data[0] == 0x78 and (data[0] * 256 + data[1]) % 31 == 0:
            return zlib.decompressobj().decompress(data, _HEAD)
    except (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError):
        return None
    return None


def sniff_bytes(data: bytes, depth: int = 0) -> str | None:
    """``'pickle'`` if the bytes (or what they decompress to) would run code when loaded."""
    if _looks_like_pickle(data[:_HEAD]):
        return "pickle"
    if depth >= _MAX_DEPTH:
        return None
    inner = _decompress_head(data)
    if inner is not None and sniff_bytes(inner, depth + 1):
        return "compressed pickle"
    if data[:4] == b"PK\x03\x04":
        return _sniff_zip(io.BytesIO(data), depth)
    return None


def _sniff_zip(fileobj: io.BufferedIOBase | io.BytesIO, depth: int) -> str | None:
    try:
        with zipfile.ZipFile(fileobj) as zf:
            for info in zf.infolist()[:_MAX_ZIP_MEMBERS]:
                with zf.open(info) as member:
                    found = sniff_bytes(member.read(_HEAD), depth + 1)
                if found:
                    return f"{found} inside zip member {info.filename!r}"
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
        return "unreadable zip archive (treated as unsafe)"
    return None


def sniff_file(path: Path) -> str | None:
    """Classify one file; reads at most a bounded head unless it is a zip archive."""
    with open(path, "rb") as f:
        head = f.read(_HEAD)
        if head[:4] == b"PK\x03\x04":
            f.seek(0)
            return _sniff_zip(f, 0)
    return sniff_bytes(head)


def find_code_files(model_dir: Path, files: list[str]) -> dict[str, str]:
    """Relative path -> why loading it would run code, for every such file among ``files``."""
    root = Path(model_dir)
    found: dict[str, str] = {}
    for rel in files:
        reason = sniff_file(root / rel)
        if reason:
            found[rel] = reason
    return found
