"""Content sniffing finds pickles whatever their name or wrapping."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import pickle
import zipfile
import zlib
from pathlib import Path

import pytest

from tiffin.format.sniff import sniff_bytes, sniff_file


class _Payload:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("never",))


def _zip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", data)
    return buf.getvalue()


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
def test_every_pickle_protocol_is_found(protocol: int) -> None:
    assert sniff_bytes(pickle.dumps(_Payload(), protocol=protocol))


@pytest.mark.parametrize(
    "wrap", [gzip.compress, bz2.compress, lzma.compress, zlib.compress, _zip], ids=str
)
def test_wrapped_pickles_are_found(wrap: object, tmp_path: Path) -> None:
    data = wrap(pickle.dumps(_Payload()))  # type: ignore[operator]
    (tmp_path / "weights.bin").write_bytes(data)
    assert sniff_file(tmp_path / "weights.bin")


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1}',
        b"channels:\n- conda-forge\ndependencies:\n- python=3.11.7\nname: mlflow-env\n",
        b"scikit-learn==1.9.1\nskops==0.16.0",
        b"\x93NUMPY\x01\x00v\x00",
        b"",
    ],
)
def test_data_files_are_not_flagged(data: bytes) -> None:
    assert sniff_bytes(data) is None
