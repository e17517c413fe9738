"""The CLI: predict over files, inspect, verify; errors are one clear line and an exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import tiffin.sklearn


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiffin", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory, logreg: Any, frame: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("cli") / "m"
    tiffin.sklearn.save_model(logreg, path, input_example=frame.head(2))
    return path


@pytest.mark.parametrize("form", ["dataframe_split", "dataframe_records", "csv", "parquet"])
def test_predict_reads_each_input_form(
    form: str, model: Path, logreg: Any, frame: pd.DataFrame, tmp_path: Path
) -> None:
    rows = frame.head(4)
    if form == "dataframe_split":
        src = tmp_path / "in.json"
        src.write_text(json.dumps({form: rows.to_dict(orient="split", index=False)}))
    elif form == "dataframe_records":
        src = tmp_path / "in.json"
        src.write_text(json.dumps({form: rows.to_dict(orient="records")}))
    elif form == "csv":
        src = tmp_path / "in.csv"
        rows.to_csv(src, index=False)
    else:
        src = tmp_path / "in.parquet"
        rows.to_parquet(src)
    out = tmp_path / "out.json"
    proc = _run("models", "predict", "-m", str(model), "-i", str(src), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["predictions"] == logreg.predict(rows).tolist()


def test_predict_on_bad_input_exits_non_zero_without_traceback(
    model: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    src = tmp_path / "in.csv"
    frame.head(2).drop(columns=["f2"]).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    proc = _run("models", "predict", "-m", str(model), "-i", str(src), "-o", str(out))
    assert proc.returncode == 4
    assert proc.stderr.startswith("error: ") and "f2" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists() and list(tmp_path.glob(".out.csv*")) == []


def test_instances_form_to_csv(
    model: Path, logreg: Any, frame: pd.DataFrame, tmp_path: Path
) -> None:
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"dataframe_split": frame.head(3).to_dict(orient="split")}))
    out = tmp_path / "out.csv"
    assert (
        _run("models", "predict", "-m", str(model), "-i", str(src), "-o", str(out)).returncode == 0
    )
    assert np.array_equal(pd.read_csv(out)["prediction"], logreg.predict(frame.head(3)))


def test_inspect_and_verify(model: Path) -> None:
    info = _run("models", "inspect", "-m", str(model), "--json")
    assert info.returncode == 0, info.stderr
    data = json.loads(info.stdout)
    assert data["manifest"] == "ok" and "model.skops" in data["files"]
    assert "sklearn" in data["flavors"] and data["runs_code"] == {}
    assert _run("models", "verify", "-m", str(model)).returncode == 0


def test_verify_names_a_tampered_file(tmp_path: Path, logreg: Any) -> None:
    path = tmp_path / "m"
    tiffin.sklearn.save_model(logreg, path, pip_requirements=["scikit-learn"])
    with open(path / "requirements.txt", "a") as f:
        f.write("\nevil==1")
    proc = _run("models", "verify", "-m", str(path))
    assert proc.returncode == 5 and "requirements.txt" in proc.stderr


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    proc = _run("models", "verify", "-m", str(tmp_path / "nope"))
    assert proc.returncode == 3 and "no model at" in proc.stderr


@pytest.mark.parametrize("key", ["instances", "inputs"])
@pytest.mark.parametrize("shape", ["records", "columns", "rows"])
def test_instances_and_inputs_forms(
    key: str, shape: str, model: Path, logreg: Any, frame: pd.DataFrame, tmp_path: Path
) -> None:
    rows = frame.head(3)
    value: Any = {
        "records": rows.to_dict(orient="records"),
        "columns": rows.to_dict(orient="list"),
        "rows": rows.to_numpy().tolist(),
    }[shape]
    src = tmp_path / "in.json"
    src.write_text(json.dumps({key: value}))
    out = tmp_path / "out.json"
    proc = _run("models", "predict", "-m", str(model), "-i", str(src), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["predictions"] == logreg.predict(rows).tolist()


@pytest.mark.parametrize("command", ["predict", "serve", "evaluate"])
def test_the_help_of_commands_that_load_a_model_names_tiffin_files(command: str) -> None:
    from click.testing import CliRunner

    from tiffin.cli.main import cli

    result = CliRunner().invoke(cli, ["models", command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert ".tiffin file" in result.output
