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
from tiffin.batch.run import DEFAULT_CHUNK_ROWS
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


def _free_text(rows: int) -> pd.DataFrame:
    """What pandas writes for free text: newlines (LF and CRLF), commas and quotes in values."""
    rng = np.random.default_rng(7)
    pieces = ["plain", "two\nlines", 'a "quoted" word', "comma, inside", "crlf\r\nend",
              '"\n"', "", "trailing newline\n", 'end quote"', "\n\n\n"]  # fmt: skip
    picks = rng.integers(0, len(pieces), size=(rows, 2))
    return pd.DataFrame(
        {
            "id": np.arange(rows),
            "text": [pieces[a] + str(i) + pieces[b] for i, (a, b) in enumerate(picks)],
            "x": rng.normal(size=rows),
            "note": [pieces[b] for _, b in picks],
        }
    )


def _assert_same_rows(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert len(got) == len(expected)
    assert got["id"].tolist() == expected["id"].tolist()
    assert got["text"].tolist() == expected["text"].tolist()
    assert got["note"].fillna("").tolist() == expected["note"].tolist()
    assert np.array_equal(got["x"].to_numpy(), expected["x"].to_numpy())


@pytest.mark.parametrize("chunk_rows", [1, 2, 7, 100])
def test_newlines_inside_quotes_are_never_cut_at_small_chunks(
    chunk_rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_readers, "MIN_RANGE_BYTES", 1)  # ranges as small as chunk_rows says
    expected = _free_text(400)
    path = tmp_path / "text.csv"
    expected.to_csv(path, index=False)
    source = open_source(path, "csv", chunk_rows, None)
    pieces = list(source.pieces())
    assert len(pieces) > 400 // max(chunk_rows, 1) // 4  # really cut into many ranges
    frames = [p.read().to_pandas() for p in pieces]  # types are inferred per range
    _assert_same_rows(pd.concat(frames, ignore_index=True), expected)
    assert sum(p.size for p in pieces) == path.stat().st_size


@pytest.mark.parametrize("chunk_rows", [DEFAULT_CHUNK_ROWS, 12_345, 60_000])
def test_a_real_sized_free_text_csv_reads_every_row_at_any_chunk_size(
    chunk_rows: int, big_text_csv: tuple[Path, pd.DataFrame]
) -> None:
    """200,000 rows, as pandas writes them: the default chunk size once failed here."""
    path, expected = big_text_csv
    source = open_source(path, "csv", chunk_rows, None)
    pieces = list(source.pieces())
    assert len(pieces) >= 2
    _assert_same_rows(pa.concat_tables(p.read() for p in pieces).to_pandas(), expected)


@pytest.fixture(scope="module")
def big_text_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    expected = _free_text(200_000)
    path = tmp_path_factory.mktemp("text") / "big.csv"
    expected.to_csv(path, index=False)
    return path, expected


def test_a_quote_that_never_closes_is_a_schema_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tiffin.batch import csv_cuts

    monkeypatch.setattr(csv_cuts, "MAX_QUOTED_BYTES", 1000)
    monkeypatch.setattr(csv_cuts, "_SCAN", 100)
    monkeypatch.setattr(text_readers, "MIN_RANGE_BYTES", 1)
    path = tmp_path / "open.csv"
    path.write_bytes(b'a,b\n1,2\n3,"open\n' + b"4,5\n" * 2000)
    with pytest.raises(SchemaError, match=r"open.csv: a quoted value runs on .* unbalanced"):
        list(open_source(path, "csv", 1, None).pieces())


def test_a_header_with_a_newline_inside_quotes(tmp_path: Path) -> None:
    path = tmp_path / "head.csv"
    path.write_bytes(b'"two\nlines",b\n1,"x\ny"\n')
    assert _all_rows(path, "csv", 1).to_pydict() == {"two\nlines": [1], "b": ["x\ny"]}


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_quoted_crlf_across_a_parser_block_keeps_both_bytes(offset: int, tmp_path: Path) -> None:
    """pyarrow drops the LF of a quoted CRLF that straddles its block (apache/arrow#51368)."""
    long_value = "z" * ((1 << 20) - 4 + offset) + "\r\nB"
    expected = pd.DataFrame({"id": [0, 1, 2], "s": [long_value, "x\r\ny", "plain"]})
    path = tmp_path / "crlf.csv"
    expected.to_csv(path, index=False)
    got = _all_rows(path, "csv", DEFAULT_CHUNK_ROWS).to_pandas()
    assert got["s"].tolist() == expected["s"].tolist()


def test_parquet_dictionary_columns_are_read_as_their_values(tmp_path: Path) -> None:
    """A pandas Categorical or a pyarrow dictionary array in Parquet is data, not "category"."""
    import pyarrow.parquet as pq

    from tiffin.pyfunc.enforce import enforce_input

    path = tmp_path / "cat.parquet"
    pd.DataFrame({"city": pd.Categorical(["lyon", "oslo", "lyon", None])}).assign(
        k=pa.array([3, 1, 3, 1]).dictionary_encode().to_pandas(),
        tag=pa.array(["a", "b", None, "a"]).dictionary_encode().to_pandas(),
    ).to_parquet(path)
    assert pa.types.is_dictionary(pq.read_schema(path).field("city").type)
    schema = Schema([ColSpec("string", "city", required=False), ColSpec("long", "k"),
                     ColSpec("string", "tag", required=False)])  # fmt: skip
    source = open_source(path, "parquet", 3, schema)
    frames = [piece.read().to_pandas() for piece in source.pieces()]
    whole = pd.concat(frames, ignore_index=True)
    assert whole["city"].tolist()[:3] == ["lyon", "oslo", "lyon"] and pd.isna(whole["city"][3])
    assert whole["k"].tolist() == [3, 1, 3, 1] and str(whole["k"].dtype) == "int64"
    for frame in frames:
        assert "category" not in {str(t) for t in frame.dtypes}
        enforce_input(frame, schema)  # no "expected string, received category"
    assert not pa.types.is_dictionary(source.empty_table().schema.field("city").type)
