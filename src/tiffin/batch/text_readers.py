"""CSV and JSON Lines in byte ranges that workers parse in parallel.

Parsing text is most of the cost of batch prediction (1M rows x 20 doubles, 392 MB of CSV, take
about 1.2 s of CPU to parse; the logistic regression over them 0.05 s), and one pyarrow reader
parses one block after another. So the file is cut into byte ranges that end at a newline,
sized to hold about ``chunk_rows`` rows, and each worker reads and parses its own range: two
workers parse the file in about half the time. The reader only seeks and looks for newlines;
it never holds the data.

A CSV value may contain newlines inside quotes (pandas writes free text so): CSV ranges are cut
only at a newline outside every quoted value, found by counting quotes from the file's start
(:mod:`tiffin.batch.csv_cuts`), and a range that holds a quote is parsed with
``newlines_in_values=True``. JSON Lines cannot contain a raw newline in a value by definition.

Types: a column the model's signature names is parsed as the signature's type (``double`` as
float64 ...), in every range alike; other columns are inferred per range, as a whole-file read
would. When a range fails to parse, :meth:`Piece.read` with ``strict=False`` parses it again
into a DataFrame, inferring every type (JSON Lines through Python, keeping each value as JSON
gave it), so the error can name the column, the value and the row.

Example:
    >>> source = open_text("rows.csv", "csv", chunk_rows=50_000, types={})  # doctest: +SKIP
    >>> [piece.read().num_rows for piece in source.pieces()]  # doctest: +SKIP
    [50012, 49987, 1403]
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json

from tiffin.batch.csv_cuts import CsvCuts, complete_rows, header_end
from tiffin.batch.pieces import Piece
from tiffin.errors import SchemaError

__all__ = ["TextSource", "open_text"]

SAMPLE_BYTES = 1 << 20
"""How much of the file's start is parsed to learn the columns and the bytes per row."""
MIN_RANGE_BYTES = 64 << 10
_SCAN = 64 << 10


def _read_range(path: Path, start: int, end: int) -> Any:
    """The bytes ``[start, end)`` in a buffer from pyarrow's allocator.

    Each call opens the file itself, so workers read in parallel without sharing an offset. The
    allocator reuses freed memory, where a fresh ``bytes`` of tens of MB is new pages from the
    kernel each time (about 0.1 s more CPU per 392 MB, measured).
    """
    buffer = pa.allocate_buffer(end - start)
    with open(path, "rb", buffering=0) as f:
        f.seek(start)
        view, done = memoryview(buffer), 0
        while done < len(view):
            got = f.readinto(view[done:])
            if not got:  # the file shrank while we read it
                return buffer.slice(0, done)
            done += got
    return buffer


def _next_line_start(f: IO[bytes], pos: int, size: int) -> int:
    """The offset just past the first newline at or after ``pos`` (``size`` if there is none)."""
    f.seek(pos)
    while pos < size:
        block = f.read(_SCAN)
        if not block:
            break
        found = block.find(b"\n")
        if found >= 0:
            return pos + found + 1
        pos += len(block)
    return size


class TextSource:
    """A CSV or JSON Lines file as :class:`Piece` s of about ``chunk_rows`` rows each.

    Attributes:
        columns: The column names seen in the file's start (the CSV header; the JSON keys).
        total: The file size; pieces report their size in bytes for the progress bar.
    """

    unit = "bytes"

    def __init__(self, path: Path, fmt: str, chunk_rows: int, types: Mapping[str, Any]) -> None:
        self.path, self.fmt = path, fmt
        self.total = path.stat().st_size
        sample = _read_range(path, 0, min(self.total, SAMPLE_BYTES)).to_pybytes()
        if fmt == "csv":
            self._data_start, self.columns, rows = _csv_header(path, sample)
        else:
            self._data_start, self.columns, rows = 0, *_jsonl_fields(path, sample)
        self._types = {name: types[name] for name in self.columns if name in types}
        per_row = (len(sample) - self._data_start) / rows if rows else 100.0
        self._range_bytes = max(MIN_RANGE_BYTES, int(per_row * chunk_rows))

    def pieces(self) -> Generator[Piece, None, None]:
        """Ranges in file order; the first starts after the CSV header.

        Raises:
            SchemaError: a CSV quoted value that never ends (see :class:`CsvCuts`).
        """
        with open(self.path, "rb") as f:
            start, index = self._data_start, 0
            cuts = CsvCuts(f, start, self.total, self.path.name) if self.fmt == "csv" else None
            while start < self.total:
                target = min(start + self._range_bytes, self.total) - 1
                if cuts is None:
                    end, quoted = _next_line_start(f, target, self.total), False
                else:
                    end, quoted = cuts.next_cut(target)
                size = end - start + (self._data_start if index == 0 else 0)
                yield Piece(index, size, self._reader(start, end, quoted))
                start, index = end, index + 1

    def close(self) -> None:
        """Nothing to release: every read opens and closes the file itself."""

    def empty_table(self) -> pa.Table:
        """The columns (typed where the signature says) of a file that has no rows."""
        fields = [pa.field(name, self._types.get(name, pa.null())) for name in self.columns]
        return pa.schema(fields).empty_table()

    def _reader(self, start: int, end: int, quoted: bool) -> Any:
        def read(strict: bool = True) -> Any:
            data = _read_range(self.path, start, end)
            if self.fmt == "csv":
                types = self._types if strict else {}
                table = _parse_csv(data, self.columns, types, newlines_in_values=quoted)
                return table if strict else table.to_pandas()
            return _parse_jsonl(data, self._types) if strict else _jsonl_frame(data.to_pybytes())

        return read


_JSON_BLOCK = 1 << 20
_CSV_BLOCK = 1 << 20
"""pyarrow's default block: parsed and converted while it is still in the CPU cache (one
``read_csv`` over a 37 MB range with 4 MB blocks is 1.5-2x slower on this machine)."""


def _parse_csv(
    data: Any, columns: list[str], types: Mapping[str, Any], *, newlines_in_values: bool
) -> pa.Table:
    """Parse one range; columns outside ``types`` are inferred over the whole range.

    The streaming reader is the fast path, but it infers a type from the first block only, so
    when it fails the range is parsed again with ``read_csv``, which widens an inferred type
    (int64 to double to string) as later blocks need, as a whole-file read would.
    """
    convert = pa_csv.ConvertOptions(column_types=dict(types), strings_can_be_null=True)
    # A range with quotes is one block: pyarrow (25.0.1) drops the LF of a quoted CRLF that
    # straddles two of its blocks (apache/arrow#51368); the range is in memory already.
    block = len(data) + 1 if newlines_in_values else _CSV_BLOCK
    read_options = pa_csv.ReadOptions(column_names=columns, block_size=block)
    parse = pa_csv.ParseOptions(newlines_in_values=newlines_in_values)
    options: dict[str, Any] = dict(
        read_options=read_options, parse_options=parse, convert_options=convert
    )
    try:
        return pa_csv.open_csv(data, **options).read_all()
    except pa.ArrowInvalid:
        if len(types) == len(columns):
            raise
    return pa_csv.read_csv(data, **options)


def _parse_jsonl(data: Any, types: Mapping[str, Any]) -> pa.Table:
    schema = pa.schema(list(types.items())) if types else None
    parse_options = pa_json.ParseOptions(explicit_schema=schema)
    try:
        read_options = pa_json.ReadOptions(block_size=_JSON_BLOCK)
        return pa_json.read_json(data, read_options=read_options, parse_options=parse_options)
    except pa.ArrowInvalid as e:
        if "straddl" not in str(e):
            raise
    # A line longer than a block: one block for the whole range (pyarrow cannot split a line).
    read_options = pa_json.ReadOptions(block_size=max(len(data), 1) + 1)
    return pa_json.read_json(data, read_options=read_options, parse_options=parse_options)


def _csv_header(path: Path, sample: bytes) -> tuple[int, list[str], int]:
    """(offset of the first data row, column names, rows in the sample)."""
    if not sample.strip():
        raise SchemaError(f"{path.name}: the CSV file is empty (not even a header row)")
    end = header_end(sample)
    if end < 0 and len(sample) == SAMPLE_BYTES:
        raise SchemaError(f"{path.name}: no line break in the first {SAMPLE_BYTES:,} bytes")
    data_start = len(sample) if end < 0 else end
    lines = complete_rows(sample, whole=path.stat().st_size == len(sample))
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(lines),
            read_options=pa_csv.ReadOptions(block_size=len(lines) + 1),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        )
    except pa.ArrowInvalid as e:
        raise SchemaError(f"{path.name}: cannot read the CSV header: {str(e)[:200]}") from None
    return data_start, list(table.column_names), table.num_rows


def _json_rows(data: bytes) -> list[Any]:
    return [orjson.loads(line) for line in data.splitlines() if line.strip()]


def _jsonl_frame(data: bytes) -> Any:
    """A range parsed by Python, every value as JSON gave it (to find the cell that failed)."""
    import pandas as pd

    return pd.DataFrame.from_records(_json_rows(data))


def _jsonl_fields(path: Path, sample: bytes) -> tuple[list[str], int]:
    """(keys of the sample's rows in first-seen order, rows in the sample)."""
    whole = path.stat().st_size == len(sample)
    lines = sample if whole else sample[: sample.rfind(b"\n") + 1]
    try:
        rows = _json_rows(lines)
    except orjson.JSONDecodeError as e:
        raise SchemaError(f"{path.name}: not JSON Lines: {str(e)[:200]}") from None
    if not all(isinstance(row, dict) for row in rows):
        raise SchemaError(f"{path.name}: not JSON Lines of objects (one object per line)")
    names = list(dict.fromkeys(key for row in rows for key in row))
    return names, len(rows)


def open_text(path: Path | str, fmt: str, chunk_rows: int, types: Mapping[str, Any]) -> TextSource:
    """Open a CSV (``fmt="csv"``) or JSON Lines (``"jsonl"``) file for reading in ranges.

    Args:
        path: The file.
        fmt: ``csv`` or ``jsonl``.
        chunk_rows: About how many rows each range holds (estimated from the file's start).
        types: Arrow types for columns the model's signature names (``{"age": pa.int64()}``).

    Raises:
        SchemaError: an empty CSV file, or a start that pyarrow cannot parse.

    Example:
        >>> open_text("rows.jsonl", "jsonl", 10_000, {}).columns  # doctest: +SKIP
        ['age', 'city']
    """
    return TextSource(Path(path), fmt, chunk_rows, types)
