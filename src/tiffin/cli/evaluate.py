"""``tiffin models evaluate``: metrics and plots in a table, non-zero exit when a threshold fails.

Example:
    $ tiffin models evaluate -m models:/iris@champion -i holdout.csv --target species \\
        --type classifier --threshold f1=0.9 --threshold log_loss=0.3
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import click

__all__ = ["evaluate_command"]


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, number = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{value!r}: expected NAME=VALUE", param_hint=what)
        out[name.strip()] = number.strip()
    return out


def _floats(values: tuple[str, ...], what: str) -> dict[str, float]:
    out = {}
    for name, number in _pairs(values, what).items():
        try:
            out[name] = float(number)
        except ValueError as e:
            raise click.BadParameter(f"{name}={number!r}: not a number", param_hint=what) from e
    return out


def _read(path: Path, fmt: str | None) -> Any:
    import pandas as pd

    from tiffin.batch.formats import input_format

    kind = input_format(path, fmt)
    if kind == "csv":
        return pd.read_csv(path)
    if kind == "parquet":
        return pd.read_parquet(path)
    if kind == "jsonl":
        return pd.read_json(path, lines=True)
    return pd.read_json(path, orient="records")


@click.command("evaluate")
@click.option("-m", "--model-uri", required=True,
              help="Model directory, .tiffin file, file://, runs:/ or models:/ URI.")  # fmt: skip
@click.option("-i", "--input-path", type=click.Path(exists=True, path_type=Path), required=True,
              help="Labelled data: CSV, JSON records, JSON Lines or Parquet.")  # fmt: skip
@click.option("-t", "--content-type", default=None, help="Input format (default: extension).")
@click.option("--target", required=True, help="The target column in the data.")
@click.option("--type", "model_type", type=click.Choice(["classifier", "regressor"]),
              default="classifier", show_default=True)  # fmt: skip
@click.option("--threshold", "thresholds", multiple=True, metavar="METRIC=VALUE",
              help="Fail (exit 8) unless the metric reaches VALUE; repeatable.")  # fmt: skip
@click.option("--baseline", default=None, help="A model to compare with, on the same data.")
@click.option("--min-relative-change", type=float, default=None,
              help="Relative improvement over --baseline required.")  # fmt: skip
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Predict-time param (JSON values: 0.9, \"text\", [1, 2]).")  # fmt: skip
@click.option("--pos-label", default=None,
              help="Binary classifiers: the positive class (default: the greater).")  # fmt: skip
@click.option("--run-id", default=None, help="Log metrics and plots into this run.")
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), default=None,
              help="Where the PNG files go. Without it they are drawn only to be logged "
                   "into --run-id, in a temporary directory removed afterwards.")  # fmt: skip
@click.option("--no-plots", is_flag=True, help="Metrics only.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--trust", is_flag=True, help="Allow models whose loading runs code (pickles).")
def evaluate_command(
    model_uri: str,
    input_path: Path,
    content_type: str | None,
    target: str,
    model_type: str,
    thresholds: tuple[str, ...],
    baseline: str | None,
    min_relative_change: float | None,
    params: tuple[str, ...],
    pos_label: str | None,
    run_id: str | None,
    output_dir: Path | None,
    no_plots: bool,
    as_json: bool,
    trust: bool,
) -> None:
    """Evaluate a model on labelled data: metrics, plots, thresholds."""
    from tiffin.errors import ValidationError
    from tiffin.evaluation import evaluate

    limits = _floats(thresholds, "--threshold")
    predict_params = {k: _json_value(v) for k, v in _pairs(params, "--param").items()}
    data = _read(input_path, content_type)
    # The command owns its scratch space: plots go where -o says, or into a directory that
    # is removed on the way out (once logged into --run-id); nothing is left in /tmp.
    with tempfile.TemporaryDirectory(prefix="tiffin-evaluation-") as scratch:
        plots = not no_plots and (output_dir is not None or run_id is not None)
        try:
            result = evaluate(
                model_uri, data, targets=target, model_type=model_type,
                params=predict_params or None, validation_thresholds=limits or None,
                baseline_model=baseline, min_relative_change=min_relative_change,
                run_id=run_id, output_dir=output_dir or Path(scratch), plots=plots,
                trust=trust, pos_label=pos_label,
            )  # fmt: skip
        except ValidationError as e:
            _show(getattr(e, "result", None), limits, as_json, kept=output_dir is not None)
            raise
        _show(result, limits, as_json, kept=output_dir is not None)
        if not plots and not no_plots and not as_json:
            click.echo("plots not drawn: pass -o DIR to keep them, or --run-id to log them")


def _json_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _artifacts(result: Any, kept: bool) -> dict[str, str]:
    """Where each plot is: its file when kept, else the run artifact it was logged as."""
    if kept:
        return {k: str(v) for k, v in result.artifacts.items()}
    from tiffin.evaluation.evaluate import ARTIFACT_PATH

    return {
        k: f"runs:/{result.run_id}/{ARTIFACT_PATH}/{Path(v).name}"
        for k, v in result.artifacts.items()
    }


def _show(result: Any, limits: dict[str, float], as_json: bool, *, kept: bool) -> None:
    if result is None:
        return
    artifacts = _artifacts(result, kept)
    if as_json:
        click.echo(json.dumps({
            "metrics": result.metrics,
            "baseline_metrics": result.baseline_metrics,
            "artifacts": artifacts,
            "run_id": result.run_id,
            "passed": result.passed,
            "failures": result.failures,
        }, indent=2))  # fmt: skip
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Evaluation")
    table.add_column("metric")
    table.add_column("value", justify="right")
    if result.baseline_metrics is not None:
        table.add_column("baseline", justify="right")
    table.add_column("threshold", justify="right")
    for name, value in result.metrics.items():
        row = [name, f"{value:.4f}"]
        if result.baseline_metrics is not None:
            base = result.baseline_metrics.get(name)
            row.append("" if base is None else f"{base:.4f}")
        row.append(f"{limits[name]:g}" if name in limits else "")
        table.add_row(*row)
    console = Console()
    console.print(table)
    for name, path in artifacts.items():
        console.print(f"{name}: {path}")
    if result.run_id:
        console.print(f"logged into run {result.run_id}")
