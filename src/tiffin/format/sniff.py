"""Find files whose loading would run code, by their content rather than their names.

A pickle named ``model.bin`` or gzipped into ``model.pkl.gz`` is still a pickle, and scanners
that trust extensions, give up on compression, or look only at the first bytes have been
bypassed exactly that way (a protocol 0 pickle has no header; padding pushes the ``GLOBAL``
past any fixed window). So this module does not look for a header: it *walks the stream as the
unpickler would*, opcode by opcode, skipping long arguments without reading them and keeping
the unpickler's stack, and reports a file as soon as an opcode that imports a name would run
(nothing can be called without one). It looks inside gzip, bz2, xz/lzma, zlib, lz4 and joblib
streams and zip archives (torch and joblib use these) and reads NumPy headers (an object array
embeds a pickle). A compressed stream it cannot open, or one too large to walk, is reported as
unsafe: for the gate, "could not tell" is "runs code".

The sniffer is the second line: every loader that unpickles requires the gate's decision by
itself (:mod:`tiffin.pyfunc.unpickle`), whatever this module says about the file.

Example:
    >>> import pickle
    >>> sniff_bytes(pickle.dumps(print, protocol=0))
    'pickle'
    >>> sniff_bytes(pickle.dumps({"a": [1.5]})) is None  # data only: nothing to import
    True
    >>> sniff_bytes(b'{"a": 1}') is None
    True
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import pickle
import pickletools
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

__all__ = ["find_code_files", "sniff_bytes", "sniff_file"]

_MAX_DEPTH = 3  # containers inside containers (a zip in a gzip in a zip)
_MAX_ZIP_MEMBERS = 10_000
_MAX_OPS = 1_000_000  # opcodes walked before a still-valid stream is called unsafe
_MAX_INFLATED = 1 << 30  # bytes a compressed stream may expand to while being walked
_LINE = 64 * 1024  # longest argument line (protocol 0) the walker accepts
_CHUNK = 1 << 20

_OPS: dict[int, pickletools.OpcodeInfo] = {ord(op.code): op for op in pickletools.opcodes}
#: opcodes that bring a callable onto the stack: REDUCE, BUILD, OBJ and NEWOBJ can only call
#: what one of these produced, so a payload needs one of them (EXT* are checked separately)
#: (PERSID/BINPERSID only reach a loader's own persistent_load, which plain pickle lacks)
_IMPORTS = frozenset({"GLOBAL", "STACK_GLOBAL", "INST"})
#: argument descriptors whose length comes first: n -> (bytes of the length, struct format)
_LENGTH_PREFIX = {
    pickletools.TAKEN_FROM_ARGUMENT1: (1, "<B"),
    pickletools.TAKEN_FROM_ARGUMENT4: (4, "<i"),
    pickletools.TAKEN_FROM_ARGUMENT4U: (4, "<I"),
    pickletools.TAKEN_FROM_ARGUMENT8U: (8, "<Q"),
}
_DOTTED = re.compile(rb"[A-Za-z_][A-Za-z0-9_.]*\Z")
_NPY_MAGIC = b"\x93NUMPY"


class _Stream(Protocol):
    """What the walker needs of a stream: files, zip members and decompressors all have it."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def tell(self) -> int: ...


class _Unsafe(Exception):
    """The stream could not be classified; the message says why (it is the reason given)."""


class _StreamEnd(Exception):
    """The unpickler would stop here (bad opcode, short read, impossible stack)."""


class _Budget:
    """Counts bytes read from a decompressed stream so a bomb cannot make the walk endless."""

    def __init__(self, limit: int | None):
        self.limit = limit
        self.used = 0

    def spend(self, n: int, what: str) -> None:
        self.used += n
        if self.limit is not None and self.used > self.limit:
            raise _Unsafe(f"{what} expands past {self.limit >> 20} MiB (treated as unsafe)")


class _Cursor:
    """Reads, skips and reads bounded lines from one stream, within a budget."""

    def __init__(self, f: _Stream, budget: _Budget, what: str, size: int | None = None):
        self.f, self.budget, self.what, self.size = f, budget, what, size

    def read(self, n: int) -> bytes:
        data = self.f.read(n)
        self.budget.spend(len(data), self.what)
        if len(data) < n:
            raise _StreamEnd
        return data

    def readline(self) -> bytes:
        line = self.f.readline(_LINE)
        self.budget.spend(len(line), self.what)
        if not line.endswith(b"\n"):
            raise _StreamEnd
        return line

    def skip(self, n: int) -> None:
        if self.size is not None:  # a plain file: seek, never read the padding
            end = self.f.tell() + n
            if end > self.size:
                raise _StreamEnd
            self.f.seek(end)
            return
        while n > 0:
            got = len(self.read(min(n, _CHUNK)))
            n -= got


def _skip_argument(op: pickletools.OpcodeInfo, cur: _Cursor) -> bytes | None:
    """Consume the opcode's argument as the unpickler would; return protocol 0 lines.

    Long arguments are skipped, not read; text arguments are parsed by pickletools' own
    readers, so a line the unpickler would refuse ends the stream here too.
    """
    arg = op.arg
    if arg is None:
        return None
    if arg.n >= 0:
        data = cur.read(arg.n)
        if op.name == "PROTO" and data[0] > pickle.HIGHEST_PROTOCOL:
            raise _StreamEnd
        return None
    if arg.n in _LENGTH_PREFIX:
        width, fmt = _LENGTH_PREFIX[arg.n]
        (length,) = struct.unpack(fmt, cur.read(width))
        if length < 0:
            raise _StreamEnd
        cur.skip(length)
        return None
    line = cur.readline()  # UP_TO_NEWLINE
    if arg.name == "stringnl_noescape_pair":  # GLOBAL / INST: module and name, two lines
        line += cur.readline()
    try:
        arg.reader(io.BytesIO(line))
        line.decode("ascii" if op.name in ("GLOBAL", "INST", "PERSID") else "latin-1")
    except (ValueError, UnicodeDecodeError) as e:
        raise _StreamEnd from e
    return line


def _names_ok(pair: bytes) -> bool:
    return all(_DOTTED.match(part.rstrip(b"\r")) for part in pair.split(b"\n")[:2])


def _registered_extension(op: pickletools.OpcodeInfo, cur: _Cursor) -> bool:
    """EXT1/2/4 name a global through copyreg's extension registry; only a registered code
    can import anything (an unregistered one is an error in the unpickler)."""
    import copyreg

    width = {"EXT1": 1, "EXT2": 2, "EXT4": 4}[op.name]
    code = int.from_bytes(cur.read(width), "little", signed=width == 4)
    return code in copyreg._inverted_registry  # type: ignore[attr-defined]


_MARK, _STR, _ANY, _OBJ = "mark", "str", "any", "obj"
_STRINGS = frozenset({"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"})
_GETS = frozenset({"GET", "BINGET", "LONG_BINGET"})
_MEMO = frozenset({"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"})


def _stack_step(stack: list[str], op: pickletools.OpcodeInfo) -> None:
    """Apply the opcode's stack effect, keeping just enough of each item's type (a string, a
    mark, anything from the memo) to know whether an import could succeed. An effect the
    unpickler would refuse (popping an empty stack, no mark) ends the stream."""
    if op.name in _MEMO:
        if not stack:
            raise _StreamEnd
        return  # the memo keeps a reference; the stack is unchanged
    if op.name == "NEXT_BUFFER":  # plain pickle.load passes no out-of-band buffers
        raise _StreamEnd
    if op.name == "STACK_GLOBAL" and not (
        len(stack) >= 2 and all(tag in (_STR, _ANY) for tag in stack[-2:])
    ):
        raise _StreamEnd  # the unpickler needs two strings: module and name
    if op.name == "DUP":
        if not stack:
            raise _StreamEnd
        stack.append(stack[-1])
        return
    before = op.stack_before
    if pickletools.markobject in before:
        if _MARK not in stack:
            raise _StreamEnd
        del stack[len(stack) - 1 - stack[::-1].index(_MARK) :]
        below = before.index(pickletools.markobject)
    else:
        below = len(before)
    if len(stack) < below:
        raise _StreamEnd
    del stack[len(stack) - below :]
    tag = _STR if op.name in _STRINGS else _ANY if op.name in _GETS else _OBJ
    stack.extend(_MARK if item is pickletools.markobject else tag for item in op.stack_after)


def _walk_pickle(cur: _Cursor) -> str | None:
    """``'pickle'`` if the unpickler would reach an opcode that imports a name (nothing can be
    called without one); ``None`` if the stream stops being a pickle before that."""
    stack: list[str] = []
    for _ in range(_MAX_OPS):
        code = cur.f.read(1)
        cur.budget.spend(len(code), cur.what)
        op = _OPS.get(code[0]) if code else None
        if op is None:
            return None
        try:
            if op.name in ("EXT1", "EXT2", "EXT4"):
                if _registered_extension(op, cur):
                    return "pickle"
                raise _StreamEnd
            pair = _skip_argument(op, cur)
            if op.name in ("GLOBAL", "INST") and (pair is None or not _names_ok(pair)):
                raise _StreamEnd
            _stack_step(stack, op)
        except _StreamEnd:
            return None
        if op.name in _IMPORTS:
            return "pickle"
        if op.name == "STOP":
            stack.clear()  # a second pickle may follow the first (torch, joblib)
    raise _Unsafe(f"a pickle-like stream longer than {_MAX_OPS} opcodes (treated as unsafe)")


_SIMPLE_DESCR = re.compile(rb"""['"]descr['"]\s*:\s*['"]([^'"]*)['"]""")


def _npy_reason(f: _Stream) -> str | None:
    """An ``.npy`` header: object arrays are stored as a pickle, so they run code on load.

    A plain dtype string (``'<f8'``) holds an object only as ``'O'``; only structured dtypes go
    to numpy's own (slower, ``literal_eval``) header parser.
    """
    import numpy as np

    head = f.read(10)  # magic, version, and a 2-byte (v1) or the start of a 4-byte length
    if len(head) < 10:
        return None
    width = 2 if head[6:7] == b"\x01" else 4
    length = int.from_bytes(head[8:10] + (f.read(2) if width == 4 else b""), "little")
    header = f.read(min(length, 1 << 20))
    simple = _SIMPLE_DESCR.search(header)
    if simple is not None:
        return None if b"O" not in simple.group(1) else _OBJECT_ARRAY
    try:
        stream = io.BytesIO(length.to_bytes(width, "little") + header)  # as after the magic
        if width == 2:
            _shape, _order, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            _shape, _order, dtype = np.lib.format.read_array_header_2_0(stream)
    except (ValueError, SyntaxError, TypeError, OSError, EOFError):
        return None  # numpy refuses it before reading any data, so nothing can run
    return _OBJECT_ARRAY if dtype.hasobject else None


_OBJECT_ARRAY = "a NumPy array of Python objects (loading it unpickles)"


class _Chunks(io.RawIOBase):
    """A readable stream over a function that returns the next chunk (``None`` at the end):
    decompressors without a file interface (zlib, lz4), or a head put back before a stream."""

    def __init__(self, next_chunk: Callable[[], bytes | None]):
        self.next_chunk, self.pending = next_chunk, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            chunk = self.next_chunk()
            if chunk is None:
                return 0
            self.pending = chunk
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


def _inflated(f: _Stream, decompress: Callable[[bytes], bytes]) -> _Stream:
    def step() -> bytes | None:
        raw = f.read(_CHUNK)
        return decompress(raw) if raw else None

    return io.BufferedReader(_Chunks(step))


def _with_head(head: bytes, f: _Stream) -> _Stream:
    parts = [head]

    def step() -> bytes | None:
        if parts:
            return parts.pop()
        return f.read(_CHUNK) or None

    return io.BufferedReader(_Chunks(step))


def _open_compressed(head: bytes, f: _Stream) -> tuple[str, _Stream] | None:
    """The codec name and a decompressing stream when ``head`` starts a compressed stream."""
    if head[:2] == b"\x1f\x8b":
        return "gzip", gzip.GzipFile(fileobj=f)
    if head[:3] == b"BZh":
        return "bz2", bz2.BZ2File(f)  # type: ignore[call-overload]
    if head[:6] == b"\xfd7zXZ\x00" or head[:3] == b"\x5d\x00\x00":
        return "lzma", lzma.LZMAFile(f)  # type: ignore[arg-type]
    if head[:2] == b"ZF":  # joblib's own zlib container: 'ZF' + a hex length, then zlib
        start = head.find(b"\x78", 2, 40)
        if start < 0:
            raise _Unsafe("a joblib 'ZF' stream with no zlib data (treated as unsafe)")
        f.read(start)
        head = head[start:]
    if len(head) > 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib", _inflated(f, zlib.decompressobj().decompress)
    if head[:4] == b"\x04\x22\x4d\x18":
        try:
            import lz4.frame
        except ImportError as e:
            raise _Unsafe(
                "lz4-compressed data that cannot be inspected here (treated as unsafe)"
            ) from e
        return "lz4", _inflated(f, lz4.frame.LZ4FrameDecompressor().decompress)
    if head[:4] == b"\x28\xb5\x2f\xfd":
        raise _Unsafe("zstd-compressed data that cannot be inspected here (treated as unsafe)")
    return None


def _classify(f: _Stream, depth: int, budget: _Budget, size: int | None) -> str | None:
    """Classify the stream at ``f``'s position (the whole rest of it)."""
    head = f.read(64)
    budget.spend(len(head), "the file")
    if size is not None:
        f.seek(0)
    else:  # a stream that cannot seek back: put the head in front of it again
        f = _with_head(head, f)
    if head.startswith(_NPY_MAGIC):
        return _npy_reason(f)
    if head[:4] == b"PK\x03\x04" or head[:4] == b"PK\x05\x06":
        return _sniff_zip(f, depth, budget) if depth < _MAX_DEPTH else _too_deep()
    compressed = _open_compressed(head, f)
    if compressed is not None:
        codec, inner = compressed
        if depth >= _MAX_DEPTH:
            return _too_deep()
        try:
            found = _classify(inner, depth + 1, budget, None)
        except (OSError, EOFError, lzma.LZMAError, zlib.error):
            # corrupt from here on: a loader stops at the same byte, and whatever came out
            # before it was walked already (a payload there would have been reported)
            return None
        return f"{codec}-compressed {found}" if found else None
    return _walk_pickle(_Cursor(f, budget, "the stream", size))


def _too_deep() -> str:
    return f"containers nested deeper than {_MAX_DEPTH} levels (treated as unsafe)"


def _sniff_zip(f: _Stream, depth: int, budget: _Budget) -> str | None:
    try:
        with zipfile.ZipFile(f) as zf:
            members = zf.infolist()
            if len(members) > _MAX_ZIP_MEMBERS:
                return f"a zip archive of more than {_MAX_ZIP_MEMBERS} members (treated as unsafe)"
            for info in members:
                if info.is_dir():
                    continue
                with zf.open(info) as member:
                    found = _classify(member, depth + 1, budget, None)
                if found:
                    return f"{found} inside zip member {info.filename!r}"
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as e:
        return f"unreadable zip archive ({e}; treated as unsafe)"
    return None


def sniff_bytes(data: bytes, depth: int = 0) -> str | None:
    """Why loading these bytes would run code, or None for data.

    Example:
        >>> sniff_bytes(b"cos\\nsystem\\n(S'id'\\ntR.")  # protocol 0: no header at all
        'pickle'
    """
    return _sniff(io.BytesIO(data), depth, len(data))


def sniff_file(path: Path) -> str | None:
    """Classify one file; plain streams are walked with seeks, never read whole.

    Example:
        >>> sniff_file(Path("MLmodel")) is None  # doctest: +SKIP
        True
    """
    with open(path, "rb") as f:
        return _sniff(f, 0, Path(path).stat().st_size)


def _sniff(f: _Stream, depth: int, size: int) -> str | None:
    try:
        return _classify(f, depth, _Budget(_MAX_INFLATED), size)
    except _Unsafe as e:
        return str(e)


def find_code_files(model_dir: Path, files: list[str]) -> dict[str, str]:
    """Relative path -> why loading it would run code, for every such file among ``files``."""
    root = Path(model_dir)
    found: dict[str, str] = {}
    for rel in files:
        reason = sniff_file(root / rel)
        if reason:
            found[rel] = reason
    return found
