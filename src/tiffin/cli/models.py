"""``tiffin models ...``: predict over a file, inspect a model, verify its files.

Example:
    $ tiffin models predict -m ./model -i input.csv -o predictions.parquet --workers 2
    $ tiffin models inspect -m ./model
    $ tiffin models verify -m ./model
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

__all__ = ["models"]

_INPUT_TYPES = ("csv", "json", "jsonl", "parquet")
_OUTPUT_TYPES = ("csv", "json", "jsonl", "parquet")


@click.group()
def models() -> None:
    """Work with model directories."""


def _formats(
    input_path: Path, content_type: str | None, output_path: Path | None, output_format: str | None
) -> tuple[str, str]:
    from tiffin.batch.formats import input_format
    from tiffin.batch.formats import output_format as choose_output
    from tiffin.errors import FormatError

    try:
        return input_format(input_path, content_type), choose_output(output_path, output_format)
    except FormatError as e:
        raise click.UsageError(str(e)) from None


def _read_json(path: Path) -> tuple[Any, dict[str, Any] | None]:
    """MLflow's request body (one of its four forms, plus params), read whole."""
    from tiffin.errors import SchemaError
    from tiffin.format.bounded import load_json
    from tiffin.serve.mlflow.json_forms import parse_payload

    try:
        payload = load_json(path.read_bytes(), path.name)
    except ValueError as e:
        raise SchemaError(str(e)) from None
    return parse_payload(payload)


def _write_whole(result: Any, out: Path | None, fmt: str) -> None:
    """Write a whole-file result; JSON exactly as MLflow encodes it, other formats as a batch."""
    from tiffin.batch.run import write_result
    from tiffin.batch.writers import atomic_file, spooled_stdout
    from tiffin.serve.mlflow.json_forms import encode_predictions

    if fmt != "json":
        write_result(result, out, fmt)
        return
    body = json.dumps({"predictions": encode_predictions(result)}, default=str) + "\n"
    with spooled_stdout() if out is None else atomic_file(out) as f:
        f.write(body.encode("utf-8"))


_PREDICT_HELP = """Predict over a CSV, JSON Lines, Parquet or JSON file.

\b
CSV, JSON Lines (.jsonl, .ndjson) and Parquet (.parquet, .pq) are streamed in
chunks of --chunk-rows rows through --workers threads, with memory bounded by
the chunk size. JSON (.json) is MLflow's request body (dataframe_split,
dataframe_records, instances or inputs, with optional params), read whole.

\b
The output has one row per input row, in input order:
  prediction               a model returning one value per row
  prediction_0, ...        a model returning a 2-D array (e.g. probabilities)
  <its own columns>        a model returning a DataFrame or a dict of columns
With --keep-columns the input columns come first, as in a Spark job that adds
a prediction column; columns the signature does not name (an id, say) are then
carried to the output but not given to the model (without --keep-columns they
are an error, as in model.predict).

\b
The output format follows -o's extension (.csv, .parquet, .jsonl; .json is
MLflow's {"predictions": [...]}) unless --output-format says otherwise.
Without -o the output goes to stdout, as JSON unless --output-format says.

\b
Output is written to a temporary file and renamed into place only when every
row succeeded: on any failure no output is left (an older file at -o is kept)
and nothing is printed. A chunk that does not match the model signature stops
the job with exit code 4 and names the rows (counted from 0, header excluded).
A progress bar is drawn on stderr when it is a terminal.
"""


@models.command(help=_PREDICT_HELP)
@click.option(
    "-m",
    "--model-uri",
    required=True,
    help="Model directory, .tiffin file (tiffin models pack), file://, runs:/ or models:/ URI.",
)
@click.option(
    "-i",
    "--input-path",
    type=click.Path(path_type=Path, allow_dash=True),
    required=True,
    help="Input file, or - for standard input (format from -t, else sniffed).",
)
@click.option(
    "-o",
    "--output-path",
    type=click.Path(path_type=Path),
    default=None,
    help="Output file, written atomically (default: stdout).",
)
@click.option(
    "-t",
    "--content-type",
    type=click.Choice(_INPUT_TYPES),
    default=None,
    help="Input format (default: from the extension).",
)
@click.option(
    "--output-format",
    type=click.Choice(_OUTPUT_TYPES),
    default=None,
    help="Output format (default: from -o's extension; json for stdout).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Threads that parse and predict (default: the number of cores).",
)
@click.option(
    "--chunk-rows",
    type=click.IntRange(min=1),
    default=None,
    help="Rows per chunk for streamed inputs (default: 100,000).",
)
@click.option(
    "--keep-columns", is_flag=True, help="Write the input columns before the predictions."
)
@click.option("--trust", is_flag=True, help="Allow models whose loading runs code (pickles).")
def predict(
    model_uri: str,
    input_path: Path,
    output_path: Path | None,
    content_type: str | None,
    output_format: str | None,
    workers: int | None,
    chunk_rows: int | None,
    keep_columns: bool,
    trust: bool,
) -> None:
    with contextlib.ExitStack() as stack:
        if str(input_path) == "-":  # standard input, copied to a file named for its format
            input_path, content_type = stack.enter_context(_stdin_file(content_type))
        _predict(model_uri, input_path, output_path, content_type, output_format, workers,
                 chunk_rows, keep_columns, trust)  # fmt: skip


@contextlib.contextmanager
def _stdin_file(content_type: str | None) -> Iterator[tuple[Path, str]]:
    """Standard input copied (streamed) into a private temporary file named for its format."""
    from tiffin.batch.formats import sniff_input_format, suffix_for

    stream = sys.stdin.buffer
    head = stream.read(64 * 1024)
    fmt = content_type or sniff_input_format(head)
    with tempfile.TemporaryDirectory(prefix="tiffin-stdin-") as tmp:
        path = Path(tmp) / f"stdin{suffix_for(fmt)}"
        with open(path, "wb") as f:
            f.write(head)
            shutil.copyfileobj(stream, f, 1 << 20)
        yield path, fmt


def _predict(
    model_uri: str,
    input_path: Path,
    output_path: Path | None,
    content_type: str | None,
    output_format: str | None,
    workers: int | None,
    chunk_rows: int | None,
    keep_columns: bool,
    trust: bool,
) -> None:
    from tiffin.errors import NotFoundError
    from tiffin.pyfunc.load import load_model

    fmt, out_fmt = _formats(input_path, content_type, output_path, output_format)
    if not input_path.is_file():
        raise NotFoundError(f"input file {input_path} does not exist")
    if fmt == "json":
        if keep_columns:
            raise click.UsageError("--keep-columns applies to csv, jsonl and parquet input")
        data, params = _read_json(input_path)
        model = load_model(model_uri, trust=trust)
        _write_whole(model.predict(data, params=params), output_path, out_fmt)
        return
    from tiffin.batch.run import DEFAULT_CHUNK_ROWS, predict_file

    model = load_model(model_uri, trust=trust)
    predict_file(
        model,
        input_path,
        output_path,
        input_format=fmt,
        output_format=out_fmt,
        workers=workers,
        chunk_rows=chunk_rows or DEFAULT_CHUNK_ROWS,
        keep_columns=keep_columns,
    )


@models.command()
@click.option("-m", "--model-uri", required=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def inspect(model_uri: str, as_json: bool) -> None:
    """Show flavors, signature, files and the manifest's state, without loading the model."""
    from tiffin.cli.inspect_view import describe, render

    info = describe(model_uri)
    if as_json:
        click.echo(json.dumps(info, indent=2, default=str))
    else:
        render(info)


@models.command()
@click.option("-m", "--model-uri", required=True)
@click.option("--trust", is_flag=True, help="Accept code-executing content (still checks files).")
def verify(model_uri: str, trust: bool) -> None:
    """Check every file against the manifest and run the trust gate; load nothing."""
    from tiffin.pyfunc.open import open_model

    opened = open_model(model_uri, trust=trust)
    model_dir, decision = opened.model_dir, opened.decision
    if decision.manifest is None:
        click.echo(f"{model_dir}: no manifest (not written by tiffin); no symlinks found")
    else:
        n = len(decision.manifest.files)
        click.echo(f"{model_dir}: ok, {n} files match manifest {decision.manifest.digest[:16]}")
    for path, why in sorted(decision.reasons.items()):
        click.echo(f"  runs code (trusted): {path}: {why}")
    sys.stdout.flush()
