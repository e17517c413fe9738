"""The batch pipeline: read a piece, predict it, write it, with a bounded number in flight.

The main thread cuts the input into pieces and writes results in file order; ``workers``
threads each parse a piece (CSV and JSON Lines) and run ``PyFuncModel.predict`` on it, which
enforces the signature exactly as an in-process call does. At most ``workers + 1`` pieces are
submitted at a time and one result is being written, so memory is bounded by the chunk size,
not the file size.

Threads, not processes (measured on the 2-core machine, 1,000,000 rows x 20 doubles as CSV,
logistic regression; see ``docs/batch.md``): the work is parsing (pyarrow releases the GIL),
Arrow -> pandas conversion (mostly outside the GIL) and numpy/scikit-learn arithmetic (outside
the GIL in the matmul), so two threads parse the CSV in about half the time of one. A process
pool (spawned: forking a process that runs pyarrow's threads is unsafe) must import and load the
model once per process, about 1.3 s each on the same two cores, and pickle every result back.
Three paired runs of a process-pool prototype against these threads: 8.6-13.0 s against
5.7-8.7 s wall, 7.6-8.5 s against 4.6-5.0 s of CPU, 0.61 GiB against 0.36-0.40 GiB peak. A model
whose ``predict`` holds the GIL (pure Python) gains nothing from more workers.

Missing values follow the server's rule (:mod:`tiffin.pyfunc.enforce.wire_nulls`): an empty CSV cell
or a JSON Lines record without the key, in a required ``float``/``double`` column, is an error
naming the column and the row, as ``/invocations`` answers 400 for it; Parquet can hold a real
NaN, which passes as in-process.

A failure stops the job: the remaining pieces are cancelled, the temporary output is deleted,
and a schema problem is raised as :class:`~tiffin.errors.SchemaError` naming the file and the
rows, counted from 0 with the header excluded (:mod:`tiffin.batch.failures`).

Example:
    >>> from tiffin.pyfunc.load import load_model
    >>> model = load_model("model_dir")  # doctest: +SKIP
    >>> predict_file(model, Path("in.csv"), Path("out.parquet"), workers=2)  # doctest: +SKIP
    BatchSummary(rows=1000000, chunks=20, seconds=2.1, output=PosixPath('out.parquet'))
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffin.batch.failures import Failure, explain
from tiffin.errors import InvalidValueError, SchemaError
from tiffin.plugins import import_optional
from tiffin.pyfunc.enforce import refuse_wire_nulls

if TYPE_CHECKING:
    from tiffin.batch.pieces import Piece
    from tiffin.batch.progress import Advance
    from tiffin.batch.readers import Source
    from tiffin.batch.writers import Sink
    from tiffin.pyfunc.model import PyFuncModel

__all__ = ["BatchSummary", "DEFAULT_CHUNK_ROWS", "default_workers", "predict_file", "write_result"]

DEFAULT_CHUNK_ROWS = 100_000
"""Rows per piece: large enough that per-call overheads vanish, small enough (about 16 MB of
doubles for 20 columns) that a few pieces in flight stay far below the memory bound."""


@dataclass(frozen=True)
class BatchSummary:
    """What a batch job did."""

    rows: int
    chunks: int
    seconds: float
    output: Path | None


@dataclass
class _Done:
    rows: int
    size: int
    table: Any
    kind: str


def default_workers() -> int:
    """The cores this process may run on.

    Example:
        >>> default_workers() >= 1
        True
    """
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Job:
    """The per-piece work a worker thread does; failures come back as data, not raised."""

    def __init__(
        self,
        model: PyFuncModel,
        params: Mapping[str, Any] | None,
        keep_columns: bool,
        name: str,
        from_text: bool,
    ) -> None:
        self.model, self.params, self.keep_columns, self.name = model, params, keep_columns, name
        self.from_text = from_text  # CSV and JSON Lines: a NaN there is a missing value
        sig = model.signature
        self.inputs = sig.inputs if sig is not None else None
        # With keep_columns, columns the signature does not name ride along to the output but
        # are not given to the model (a Spark user passes the UDF only its feature columns).
        inputs = self.inputs
        self.passed: set[str] | None = None
        if keep_columns and inputs is not None and not inputs.is_tensor and inputs.has_names:
            self.passed = {str(name) for name in inputs.names()}

    def run(self, piece: Piece) -> _Done | Failure:
        import pyarrow as pa

        from tiffin.batch.outputs import prediction_table, with_inputs

        try:
            table = piece.read(True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
            return Failure(e, self._loose_frame(piece))
        rows = table.num_rows
        if rows == 0:
            return _Done(0, piece.size, None, "")
        given = table
        if self.passed is not None:
            given = table.select([c for c in table.column_names if c in self.passed])
        frame = given.to_pandas()
        try:
            if self.from_text:
                refuse_wire_nulls(frame, self.inputs)
            result = self.model.predict(frame, params=self.params)
        except SchemaError as e:
            return Failure(e, frame, self.from_text)
        out, kind = prediction_table(result, rows)
        if self.keep_columns:
            out, kind = with_inputs(table, out), "frame"
        return _Done(rows, piece.size, out, kind)

    @staticmethod
    def _loose_frame(piece: Piece) -> Any:
        try:
            return piece.read(False)
        except (ValueError, TypeError):  # pyarrow's ArrowInvalid is a ValueError
            return None


def predict_file(
    model: PyFuncModel,
    input_path: Path,
    output_path: Path | None = None,
    *,
    input_format: str | None = None,
    output_format: str | None = None,
    workers: int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    keep_columns: bool = False,
    params: Mapping[str, Any] | None = None,
    progress: bool | None = None,
) -> BatchSummary:
    """Predict over a CSV, JSON Lines or Parquet file in chunks, writing the output atomically.

    Args:
        model: A loaded model (:func:`tiffin.pyfunc.load.load_model`, which applies the trust
            gate); its ``predict`` must be safe to call from several threads (scikit-learn's is).
        input_path: The input file.
        output_path: Where to write; ``None`` prints to stdout once the whole job succeeded.
        input_format: ``csv``, ``jsonl`` or ``parquet``; by default from the extension.
        output_format: ``csv``, ``json``, ``jsonl`` or ``parquet``; by default from the
            extension, JSON for stdout.
        workers: Threads that parse and predict (default: the usable cores).
        chunk_rows: Rows per chunk (about that many for text input).
        keep_columns: Write the input columns before the prediction columns. Input columns
            the signature does not name (an id, say) are then kept for the output but not
            given to the model; without it they are an error, as in ``model.predict``.
        params: Inference params, passed to every ``predict`` call.
        progress: Draw a progress bar on stderr; ``None`` draws one only on a terminal.

    Raises:
        NotFoundError: no input file, or no output directory.
        SchemaError: a chunk does not match the signature or cannot be parsed; the message
            names the rows. Nothing is written.

    Example:
        >>> predict_file(model, Path("in.csv"), Path("out.csv"))  # doctest: +SKIP
        BatchSummary(rows=120, chunks=1, seconds=0.01, output=PosixPath('out.csv'))
    """
    import_optional("pyarrow", "parquet")
    from tiffin.batch.formats import STREAMED_INPUTS
    from tiffin.batch.formats import input_format as choose_input
    from tiffin.batch.formats import output_format as choose_output
    from tiffin.batch.progress import batch_progress
    from tiffin.batch.readers import open_source
    from tiffin.batch.writers import open_output

    started = time.perf_counter()
    fmt = choose_input(input_path, input_format)
    if fmt not in STREAMED_INPUTS:
        raise SchemaError(f"{fmt} input is read whole, not streamed; use csv, jsonl or parquet")
    out_fmt = choose_output(output_path, output_format)
    if chunk_rows < 1:
        raise InvalidValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    n_workers = max(1, workers or default_workers())
    job = _Job(model, params, keep_columns, input_path.name, from_text=fmt != "parquet")
    source = open_source(input_path, fmt, chunk_rows, job.inputs)
    try:
        with (
            open_output(output_path, out_fmt) as sink,
            batch_progress(source.total, source.unit, show=progress) as advance,
        ):
            rows, chunks = _pump(job, source, sink, advance, n_workers)
            if rows == 0:
                _write_empty(model, source, sink, keep_columns)
    finally:
        source.close()
    return BatchSummary(rows, chunks, round(time.perf_counter() - started, 3), output_path)


def _pump(job: _Job, source: Source, sink: Sink, advance: Advance, workers: int) -> tuple[int, int]:
    """Keep ``workers + 1`` pieces submitted; write results in order. Returns (rows, chunks)."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tiffin-batch")
    pending: deque[Future[_Done | Failure]] = deque()
    pieces = source.pieces()
    rows = chunks = 0
    try:
        while True:
            for piece in pieces:
                pending.append(pool.submit(job.run, piece))
                if len(pending) > workers:
                    break
            if not pending:
                return rows, chunks
            try:
                outcome = pending.popleft().result()
            except Exception as e:
                e.add_note(f"while predicting {job.name} from row {rows:,}")
                raise
            if isinstance(outcome, Failure):
                raise explain(outcome, rows, job.name, job.inputs)
            if outcome.rows:
                sink.write(outcome.table, outcome.kind)
            rows, chunks = rows + outcome.rows, chunks + 1
            advance(outcome.size, outcome.rows)
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        pieces.close()


def _write_empty(model: PyFuncModel, source: Source, sink: Sink, keep_columns: bool) -> None:
    """A file without rows still gets an output with the columns it would have had."""
    from tiffin.batch.outputs import empty_predictions, with_inputs

    sig = model.signature
    table, kind = empty_predictions(sig.outputs if sig is not None else None)
    if keep_columns:
        table, kind = with_inputs(source.empty_table(), table), "frame"
    sink.write(table, kind)


def write_result(result: Any, output_path: Path | None, output_format: str | None = None) -> None:
    """Write one in-memory ``predict`` result with the same columns and atomicity as a batch.

    For results of a whole-file input (MLflow's JSON request forms), so that ``-o out.csv``
    means the same thing whatever the input was.

    Example:
        >>> import numpy as np
        >>> write_result(np.array([1, 0]), Path("out.parquet"))  # doctest: +SKIP
    """
    import_optional("pyarrow", "parquet")
    from tiffin.batch.formats import output_format as choose_output
    from tiffin.batch.outputs import prediction_table
    from tiffin.batch.writers import open_output

    table, kind = prediction_table(result, None)
    with open_output(output_path, choose_output(output_path, output_format)) as sink:
        sink.write(table, kind)
