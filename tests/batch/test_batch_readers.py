"""Readers: every row read exactly once, in order, whatever the chunk size; types as the
signature says; the awkward shapes of real files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pytest

from tiffin.batch import text_readers
from tiffin.batch.arrow_types import signature_types
from tiffin.batch.readers import open_source
from tiffin.errors import SchemaError
from tiffin.format.schema import ColSpec, Schema, TensorSpec


def _all_rows(path: Path, fmt: str, chunk_rows: int, inputs: Schema | None = None) -> pa.Table:
    source = open_source(path, fmt, chunk_rows, inputs)
    tables = [piece.read() for piece in source.pieces()]
    return pa.concat_tables(tables) if tables else source.empty_table()


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("chunk_rows", [1, 7, 119, 120, 121])
def test_pieces_cover_every_row_once_in_order(
    fmt: str, chunk_rows: int, frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_readers, "MIN_RANGE_BYTES", 1)  # ranges as small as chunk_rows says
    path = tmp_path / f"in.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "jsonl":
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in frame.to_dict("records")))
    else:
        frame.to_parquet(path, index=False)
    got = _all_rows(path, fmt, chunk_rows).to_pandas()
    assert np.array_equal(got[list(frame.columns)].to_numpy(), frame.to_numpy())


def test_progress_units_add_up_to_the_file_size(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    frame.to_csv(path, index=False)
    source = open_source(path, "csv", 10, None)
    assert source.unit == "bytes"
    assert sum(piece.size for piece in source.pieces()) == source.total == path.stat().st_size


def test_csv_without_final_newline_and_with_crlf(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"a,b\r\n1,2\r\n3,4")
    assert _all_rows(path, "csv", 1).to_pydict() == {"a": [1, 3], "b": [2, 4]}


def test_signature_types_are_used_for_text(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("x,n\n1,2\n3,4\n")
    schema = Schema([ColSpec("double", "x"), ColSpec("long", "n")])
    table = _all_rows(path, "csv", 10, schema)
    assert table.schema.types == [pa.float64(), pa.int64()]


def test_an_inferred_type_widens_within_a_range(tmp_path: Path) -> None:
    # 40,000 integers then a float: pyarrow's streaming reader would fail on its second block
    path = tmp_path / "in.csv"
    path.write_text("n\n" + "1\n" * 400_000 + "2.5\n")
    table = _all_rows(path, "csv", 1_000_000)
    assert table.schema.types == [pa.float64()] and table.num_rows == 400_001


def test_header_only_csv_has_columns_and_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("a,b")
    source = open_source(path, "csv", 10, Schema([ColSpec("double", "a")]))
    assert list(source.pieces()) == [] and source.columns == ["a", "b"]
    assert source.empty_table().schema.types == [pa.float64(), pa.null()]


def test_empty_csv_and_non_json_lines_are_schema_errors(tmp_path: Path) -> None:
    empty = tmp_path / "in.csv"
    empty.write_text("")
    with pytest.raises(SchemaError, match="empty"):
        open_source(empty, "csv", 10, None)
    lines = tmp_path / "in.jsonl"
    lines.write_text("[1, 2]\n")
    with pytest.raises(SchemaError, match="objects"):
        open_source(lines, "jsonl", 10, None)
    broken = tmp_path / "in.parquet"
    broken.write_text("not parquet")
    with pytest.raises(SchemaError, match="not a Parquet file"):
        open_source(broken, "parquet", 10, None)


def test_a_loose_read_keeps_the_text_that_failed(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"x": 1.5}\n\n{"x": "oops"}\n')
    (piece,) = open_source(path, "jsonl", 10, Schema([ColSpec("double", "x")])).pieces()
    with pytest.raises(pa.ArrowInvalid):
        piece.read()
    assert piece.read(False)["x"].tolist() == [1.5, "oops"]


def test_signature_types_skip_tensors_and_unnamed_columns() -> None:
    assert signature_types(None) == {}
    assert signature_types(Schema([TensorSpec("float64", (-1, 2))])) == {}
    assert signature_types(Schema([ColSpec("double")])) == {}
    assert signature_types(Schema([ColSpec("datetime", "t"), ColSpec("boolean", "b")])) == {
        "b": pa.bool_()
    }
