"""Content sniffing finds pickles whatever their name or wrapping."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import pickle
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
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


# -- issue 11 §1: forms a header sniffer misses, found by walking the stream as pickle would ----

sys.path.insert(0, str(Path(__file__).parents[1] / "pyfunc"))
from hostile_pickles import BUILDERS, TouchOnLoad  # type: ignore[import-not-found]  # noqa: E402


@pytest.mark.parametrize("form", sorted(BUILDERS))
def test_hostile_forms_are_found(form: str, tmp_path: Path) -> None:
    data = BUILDERS[form](TouchOnLoad(tmp_path / "never"))
    (tmp_path / "weights.bin").write_bytes(data)
    assert sniff_bytes(data)
    assert "pickle" in str(sniff_file(tmp_path / "weights.bin"))
    assert not (tmp_path / "never").exists()


def test_padding_is_skipped_not_read(tmp_path: Path) -> None:
    """A GLOBAL after 512 MiB of padding is found by seeking over it, on a sparse file."""
    path = tmp_path / "padded.bin"
    tail = pickle.dumps(TouchOnLoad(tmp_path / "never"), protocol=4)[2:]
    pad = 512 << 20
    with open(path, "wb") as f:
        f.write(b"\x8d" + pad.to_bytes(8, "little"))
        f.seek(pad, 1)
        f.write(b"0" + tail)
    assert sniff_file(path) == "pickle"


def test_a_second_pickle_after_a_harmless_one_is_found() -> None:
    assert sniff_bytes(b"I1\n." + pickle.dumps(TouchOnLoad(Path("never")), protocol=0))


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_numpy_object_arrays_are_flagged_and_numeric_ones_are_not(version: tuple[int, int]) -> None:
    def npy(array: np.ndarray) -> bytes:
        buf = io.BytesIO()
        np.lib.format.write_array(buf, array, version=version, allow_pickle=True)
        return buf.getvalue()

    assert "NumPy array of Python objects" in str(sniff_bytes(npy(np.array([1, None]))))
    structured = np.zeros(2, dtype=[("a", "i4"), ("b", "O")])
    assert sniff_bytes(npy(structured))
    assert sniff_bytes(npy(np.zeros(2, dtype=[("Obj", "f8")]))) is None  # an 'O' in a name
    assert sniff_bytes(npy(np.arange(10.0))) is None
    buf = io.BytesIO()
    np.savez(buf, ok=np.arange(3), bad=np.array(["x", None], dtype=object))
    assert "inside zip member 'bad.npy'" in str(sniff_bytes(buf.getvalue()))


def test_codecs_that_cannot_be_opened_are_unsafe(monkeypatch: pytest.MonkeyPatch) -> None:
    data = BUILDERS["joblib_lz4"](TouchOnLoad(Path("never")))
    monkeypatch.setitem(sys.modules, "lz4.frame", None)  # as on a machine without lz4
    assert "treated as unsafe" in str(sniff_bytes(data))
    assert "treated as unsafe" in str(sniff_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 32))


def test_a_gzip_bomb_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import tiffin.format.sniff as sniff

    monkeypatch.setattr(sniff, "_MAX_INFLATED", 1 << 20)
    bomb = gzip.compress(b"\x8d" + (8 << 20).to_bytes(8, "little") + b"\0" * (8 << 20))
    assert "treated as unsafe" in str(sniff_bytes(bomb))


@pytest.mark.parametrize(
    "text",
    [
        b"artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n",
        b"cpython\nsys tem\n",  # a GLOBAL whose names are not identifiers cannot import
        b"a,b,c\n1,2,3\n",
        b"Robust statistics\n.",
        b"\x93 is STACK_GLOBAL but nothing is on the stack",
        b"R" * 100,
    ],
)
def test_text_and_binary_data_that_start_with_opcodes_are_not_flagged(text: bytes) -> None:
    assert sniff_bytes(text) is None


def test_random_bytes_and_real_skops_files_are_not_flagged(tmp_path: Path) -> None:
    from sklearn.ensemble import RandomForestClassifier

    import tiffin.sklearn

    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    tiffin.sklearn.save_model(RandomForestClassifier(n_estimators=3).fit(X, y), tmp_path / "m")
    assert sniff_file(tmp_path / "m" / "model.skops") is None
    rng = np.random.default_rng(1)
    assert all(sniff_bytes(rng.bytes(4096)) is None for _ in range(50))
