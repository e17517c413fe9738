"""Write predictions chunk by chunk, atomically: the output appears whole or not at all.

Everything goes to a temporary file in the destination's directory (so the final rename never
crosses file systems); on success it is flushed, fsynced and renamed over the destination with
``os.replace``, then the directory is fsynced. On any failure, an interrupt included, the
temporary file is deleted and a previous output at that path is left untouched. Output for
stdout is spooled to an anonymous temporary file and copied out only when the job succeeded,
so a pipe never receives half a result either.

The first chunk fixes the columns and their types (a Parquet or CSV file has one schema);
later chunks are cast to it when that is lossless, and refused when not.

Example:
    >>> import pyarrow as pa, tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "p.csv"
    >>> with open_output(out, "csv") as sink:
    ...     sink.write(pa.table({"prediction": [1, 0]}), "column")
    >>> out.read_text().splitlines()
    ['"prediction"', '1', '0']
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from tiffin.errors import AlreadyExistsError, NotFoundError, TiffinError
from tiffin.format.atomic import fsync_dir

__all__ = ["Sink", "atomic_file", "open_output", "spooled_stdout"]

_PY_ROWS = 10_000


def _umask() -> int:
    """The process umask, read without changing it (``os.umask`` would, for every thread)."""
    with contextlib.suppress(OSError), open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[IO[bytes]]:
    """Yield a temporary file beside ``target``; on success it replaces ``target``.

    Raises:
        NotFoundError: the destination directory does not exist.
        AlreadyExistsError: ``target`` is a directory.

    Example:
        >>> with atomic_file(Path(tempfile.mkdtemp()) / "x.bin") as f:  # doctest: +SKIP
        ...     f.write(b"done")
    """
    target = Path(target).absolute()
    if not target.parent.is_dir():
        raise NotFoundError(f"output directory {target.parent} does not exist")
    if target.is_dir():
        raise AlreadyExistsError(f"output path {target} is a directory")
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        tmp.chmod(0o666 & ~_umask())  # mkstemp makes it 0600; an output gets the usual mode
        os.replace(tmp, target)
        with contextlib.suppress(OSError):  # some filesystems cannot fsync a directory
            fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def spooled_stdout() -> Iterator[IO[bytes]]:
    """Yield an anonymous temporary file, copied to stdout only when the block succeeds.

    Example:
        >>> with spooled_stdout() as f:  # doctest: +SKIP
        ...     f.write(b'{"predictions": []}')
    """
    with tempfile.TemporaryFile() as f:
        yield f
        f.flush()
        f.seek(0)
        out = sys.stdout.buffer
        shutil.copyfileobj(f, out)
        out.flush()


class Sink:
    """Writes tables of one schema to a binary file in one format; ``close`` finishes it."""

    def __init__(self, f: IO[bytes], fmt: str) -> None:
        self._f, self._fmt = f, fmt
        self._schema: Any = None
        self._writer: Any = None
        self._kind = ""
        self._rows = 0
        self._items = 0

    def write(self, table: pa.Table, kind: str) -> None:
        """Append a chunk's output; ``kind`` (``column``, ``matrix``, ``frame``) shapes JSON."""
        if self._schema is None:
            self._start(table.schema, kind)
        elif table.schema != self._schema:
            table = self._conform(table)
        if self._fmt in ("csv", "parquet"):
            self._writer.write_table(table)
        elif self._fmt == "jsonl":
            self._write_lines(table)
        else:
            self._write_json_items(table)
        self._rows += table.num_rows

    def close(self) -> None:
        """Write what ends the format (Parquet's footer, JSON's closing brackets)."""
        if self._schema is None:
            self._start(pa.schema([]), "column")
        if self._fmt in ("csv", "parquet"):
            self._writer.close()
        elif self._fmt == "json":
            self._f.write(b"]}\n")

    def _start(self, schema: Any, kind: str) -> None:
        self._schema, self._kind = schema, kind
        if self._fmt == "csv":
            self._writer = pa_csv.CSVWriter(self._f, schema)
        elif self._fmt == "parquet":
            self._writer = pq.ParquetWriter(self._f, schema)
        elif self._fmt == "json":
            self._f.write(b'{"predictions": [')

    def _conform(self, table: pa.Table) -> pa.Table:
        if sorted(table.column_names) == sorted(self._schema.names):  # JSON keys in any order
            table = table.select(self._schema.names)
            with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return table.cast(self._schema, safe=True)
        raise TiffinError(
            f"after {self._rows:,} output rows the output's columns changed from "
            f"{_describe(self._schema)} to {_describe(table.schema)}; one output file holds one "
            "set of columns and types (for CSV input, a signature fixes the input types)"
        )

    def _write_lines(self, table: pa.Table) -> None:
        for part in _slices(table):
            rows = part.to_pylist()
            self._f.write(b"".join(orjson.dumps(row, default=str) + b"\n" for row in rows))

    def _write_json_items(self, table: pa.Table) -> None:
        for part in _slices(table):
            if self._kind == "column" and part.num_columns == 1:
                items: list[Any] = part.column(0).to_pylist()
            elif self._kind == "matrix":
                items = [list(row) for row in zip(*part.to_pydict().values(), strict=True)]
            else:
                items = part.to_pylist()
            body = orjson.dumps(items, default=str)[1:-1]
            self._f.write(b"," + body if self._items else body)
            self._items += len(items)


def _slices(table: pa.Table) -> Iterator[pa.Table]:
    """Python objects for a slice at a time: a row of 20 floats as a dict is about 2 KB."""
    for start in range(0, table.num_rows, _PY_ROWS):
        yield table.slice(start, _PY_ROWS)


def _describe(schema: Any) -> str:
    shown = ", ".join(f"{f.name}: {f.type}" for f in list(schema)[:6])
    return f"[{shown}{', ...' if len(schema) > 6 else ''}]"


@contextlib.contextmanager
def open_output(path: Path | None, fmt: str) -> Iterator[Sink]:
    """A :class:`Sink` for ``path`` (atomic) or, when ``path`` is None, for stdout (spooled).

    On an exception inside the block nothing is published: no file, no stdout output.

    Example:
        >>> with open_output(None, "json") as sink:  # doctest: +SKIP
        ...     sink.write(pa.table({"prediction": [1]}), "column")
        {"predictions": [1]}
    """
    opener = spooled_stdout() if path is None else atomic_file(path)
    with opener as f:
        sink = Sink(f, fmt)
        try:
            yield sink
        except BaseException:
            with contextlib.suppress(Exception):
                sink.close()  # release pyarrow's writer; the file is discarded anyway
            raise
        sink.close()
