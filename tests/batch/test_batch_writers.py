"""Writers: atomic files, spooled stdout, one schema per output, each format's layout."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tiffin.batch.writers import atomic_file, open_output
from tiffin.errors import AlreadyExistsError, NotFoundError, TiffinError


def test_atomic_file_replaces_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(target) as f:
        f.write(b"half")
        raise RuntimeError("boom")
    assert target.read_text() == "old" and sorted(tmp_path.iterdir()) == [target]
    with atomic_file(target) as f:
        f.write(b"new")
    assert target.read_text() == "new" and sorted(tmp_path.iterdir()) == [target]


def test_atomic_file_gives_the_usual_mode(tmp_path: Path) -> None:
    with atomic_file(tmp_path / "out.bin") as f:
        f.write(b"x")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "out.bin").stat().st_mode) == 0o666 & ~umask


def test_atomic_file_refuses_missing_directories_and_directories(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError), atomic_file(tmp_path / "no" / "x"):
        pass
    with pytest.raises(AlreadyExistsError), atomic_file(tmp_path):
        pass


def test_stdout_gets_nothing_when_the_job_fails(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    with pytest.raises(RuntimeError), open_output(None, "csv") as sink:
        sink.write(pa.table({"prediction": [1]}), "column")
        raise RuntimeError("boom")
    assert capfdbinary.readouterr().out == b""
    with open_output(None, "csv") as sink:
        sink.write(pa.table({"prediction": [1]}), "column")
    assert capfdbinary.readouterr().out == b'"prediction"\n1\n'


def _write(path: Path, fmt: str, chunks: list[pa.Table], kind: str = "column") -> None:
    with open_output(path, fmt) as sink:
        for chunk in chunks:
            sink.write(chunk, kind)


def test_later_chunks_are_cast_to_the_first_schema(tmp_path: Path) -> None:
    out = tmp_path / "p.parquet"
    _write(out, "parquet", [pa.table({"p": [1.5]}), pa.table({"p": pa.array([2], pa.int32())})])
    assert pq.read_table(out).column("p").to_pylist() == [1.5, 2.0]


def test_later_chunks_may_order_their_columns_differently(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    _write(out, "csv", [pa.table({"a": [1], "b": [2]}), pa.table({"b": [4], "a": [3]})], "frame")
    assert out.read_text().splitlines() == ['"a","b"', "1,2", "3,4"]


def test_a_lossy_or_different_chunk_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    with pytest.raises(TiffinError, match="after 1 output rows"):
        _write(out, "csv", [pa.table({"p": [1]}), pa.table({"p": [1.5]})])
    with pytest.raises(TiffinError, match="columns changed"):
        _write(out, "csv", [pa.table({"p": [1]}), pa.table({"q": [1]})])
    assert not out.exists()


def test_json_shapes_follow_mlflow(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    _write(out, "json", [pa.table({"prediction": [1, 2]}), pa.table({"prediction": [3]})])
    assert json.loads(out.read_text()) == {"predictions": [1, 2, 3]}
    matrix = pa.table({"prediction_0": [0.25], "prediction_1": [0.75]})
    _write(out, "json", [matrix, matrix], "matrix")
    assert json.loads(out.read_text()) == {"predictions": [[0.25, 0.75], [0.25, 0.75]]}
    _write(out, "json", [pa.table({"a": [1], "b": ["x"]})], "frame")
    assert json.loads(out.read_text()) == {"predictions": [{"a": 1, "b": "x"}]}
    _write(out, "json", [])
    assert json.loads(out.read_text()) == {"predictions": []}


def test_jsonl_is_one_object_per_row(tmp_path: Path) -> None:
    out = tmp_path / "p.jsonl"
    chunks = [pa.table({"prediction": [1.0, float("nan")]}), pa.table({"prediction": [3.0]})]
    _write(out, "jsonl", chunks)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == [{"prediction": 1.0}, {"prediction": None}, {"prediction": 3.0}]
    assert pd.read_json(out, lines=True).shape == (3, 1)
