"""Pickles a header-sniffing gate misses: every one runs its payload when unpickled.

Each builder takes the payload object and returns bytes that ``pickle.load`` (or joblib's
loader) executes. They are the forms issue 11 found running without trust: protocol 0/1, a
protocol 2+ stream without PROTO, one starting with FRAME, harmless opcodes then POP before the
payload, a GLOBAL after long padding, joblib with every codec.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
from collections.abc import Callable
from pathlib import Path

import joblib


def _strip_proto(data: bytes) -> bytes:
    assert data[0] == 0x80
    return data[2:]


def _padded(payload: object, pad: int) -> bytes:
    # BINUNICODE8 of `pad` bytes, POP, then the payload pickle without its header
    return (
        b"\x8d"
        + struct.pack("<Q", pad)
        + b"A" * pad
        + b"0"
        + _strip_proto(pickle.dumps(payload, protocol=4))
    )


def _joblib(codec: str) -> Callable[[object], bytes]:
    def build(payload: object) -> bytes:
        buf = io.BytesIO()
        joblib.dump(payload, buf, compress=(codec, 3))
        return buf.getvalue()

    build.__name__ = f"joblib_{codec}"
    return build


def _plain(payload: object) -> bytes:
    buf = io.BytesIO()
    joblib.dump(payload, buf)
    return buf.getvalue()


BUILDERS: dict[str, Callable[[object], bytes]] = {
    "protocol0": lambda p: pickle.dumps(p, protocol=0),
    "protocol1": lambda p: pickle.dumps(p, protocol=1),
    "protocol2_without_proto": lambda p: _strip_proto(pickle.dumps(p, protocol=2)),
    "protocol5_without_proto": lambda p: _strip_proto(pickle.dumps(p, protocol=5)),
    "frame_first": lambda p: _strip_proto(pickle.dumps(p, protocol=4)),
    "short_unicode_then_pop": lambda p: b"\x8c\x03abc0" + pickle.dumps(p, protocol=0),
    "int_then_pop": lambda p: b"K\x050" + _strip_proto(pickle.dumps(p, protocol=2)),
    "empty_tuple_then_pop": lambda p: b")0" + pickle.dumps(p, protocol=0),
    "global_after_1MiB_padding": lambda p: _padded(p, 1 << 20),
    "joblib_plain": _plain,
    **{f"joblib_{c}": _joblib(c) for c in ("zlib", "gzip", "bz2", "lzma", "xz", "lz4")},
}

#: what ``pickle.load`` cannot read (joblib's compressed files need joblib.load)
JOBLIB_ONLY = {name for name in BUILDERS if name.startswith("joblib_") and name != "joblib_plain"}


class TouchOnLoad:
    """Unpickling this calls os.mkdir(marker): the directory existing proves the pickle ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))
