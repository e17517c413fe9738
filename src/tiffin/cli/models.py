"""``tiffin models ...``: predict over a file, inspect a model, verify its files.

Example:
    $ tiffin models predict -m ./model -i input.csv -o predictions.json
    $ tiffin models inspect -m ./model
    $ tiffin models verify -m ./model
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["models"]

_INPUT_TYPES = ("csv", "json", "parquet")


@click.group()
def models() -> None:
    """Work with model directories."""


def _input_type(path: Path, given: str | None) -> str:
    if given:
        return given
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("pq", "parquet"):
        return "parquet"
    if suffix in _INPUT_TYPES:
        return suffix
    raise click.UsageError(f"cannot tell the type of {path.name}; pass -t csv|json|parquet")


def _read_input(path: Path, content_type: str) -> tuple[Any, dict[str, Any] | None]:
    import pandas as pd

    from tiffin.errors import NotFoundError, SchemaError
    from tiffin.serve.mlflow_json import parse_payload

    if not path.is_file():
        raise NotFoundError(f"input file {path} does not exist")
    if content_type == "csv":
        return pd.read_csv(path), None
    if content_type == "parquet":
        return pd.read_parquet(path), None
    try:
        payload = json.loads(path.read_bytes())
    except ValueError as e:
        raise SchemaError(f"{path.name}: not valid JSON ({str(e)[:200]})") from None
    return parse_payload(payload)


def _as_frame(result: Any) -> Any:
    import pandas as pd

    if isinstance(result, pd.DataFrame):
        return result
    if getattr(result, "ndim", 1) == 1:
        return pd.DataFrame({"prediction": list(result)})
    return pd.DataFrame(result)


def _write_output(result: Any, out: Path | None) -> None:
    """Write predictions; a failure leaves no half-written file (temp file, then rename)."""
    import os
    import tempfile

    from tiffin.serve.mlflow_json import encode_predictions

    if out is None:
        click.echo(json.dumps({"predictions": encode_predictions(result)}, default=str))
        return
    suffix = out.suffix.lower()
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if suffix == ".csv":
            _as_frame(result).to_csv(tmp_name, index=False)
        elif suffix in (".parquet", ".pq"):
            _as_frame(result).to_parquet(tmp_name, index=False)
        else:
            payload = {"predictions": encode_predictions(result)}
            Path(tmp_name).write_text(json.dumps(payload, default=str), encoding="utf-8")
        os.replace(tmp_name, out)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


@models.command()
@click.option("-m", "--model-uri", required=True, help="Model directory or file:// URI.")
@click.option("-i", "--input-path", type=click.Path(path_type=Path), required=True)
@click.option("-o", "--output-path", type=click.Path(path_type=Path), default=None)
@click.option("-t", "--content-type", type=click.Choice(_INPUT_TYPES), default=None)
@click.option("--trust", is_flag=True, help="Allow models whose loading runs code (pickles).")
def predict(
    model_uri: str,
    input_path: Path,
    output_path: Path | None,
    content_type: str | None,
    trust: bool,
) -> None:
    """Predict on a CSV, JSON (MLflow's four forms) or Parquet file."""
    from tiffin.pyfunc.load import load_model

    data, params = _read_input(input_path, _input_type(input_path, content_type))
    model = load_model(model_uri, trust=trust)
    _write_output(model.predict(data, params=params), output_path)


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
    from tiffin.format.mlmodel import MLModel
    from tiffin.pyfunc.load import resolve_model
    from tiffin.pyfunc.trust import check_trust

    model_dir, digest = resolve_model(model_uri)
    decision = check_trust(model_dir, MLModel.load(model_dir), trust=trust, expected_digest=digest)
    if decision.manifest is None:
        click.echo(f"{model_dir}: no manifest (not written by tiffin); no symlinks found")
    else:
        n = len(decision.manifest.files)
        click.echo(f"{model_dir}: ok, {n} files match manifest {decision.manifest.digest[:16]}")
    for path, why in sorted(decision.reasons.items()):
        click.echo(f"  runs code (trusted): {path}: {why}")
    sys.stdout.flush()
