"""``tiffin models predict`` over CSV, JSON Lines and Parquet: streamed, atomic, quiet in a pipe."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import tiffin.sklearn


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiffin", "models", "predict", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory, logreg: Any, frame: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("cli-stream") / "m"
    tiffin.sklearn.save_model(logreg, path, input_example=frame.head(2))
    return path


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("workers", ["1", "2"])
def test_streamed_predictions_equal_a_whole_file_predict(
    fmt: str, workers: str, model: Path, logreg: Any, frame: pd.DataFrame, tmp_path: Path
) -> None:
    src = tmp_path / f"in.{fmt}"
    if fmt == "csv":
        frame.to_csv(src, index=False)
    elif fmt == "jsonl":
        frame.to_json(src, orient="records", lines=True)
    else:
        frame.to_parquet(src)
    whole = {"csv": pd.read_csv, "parquet": pd.read_parquet}.get(fmt)
    rows = whole(src) if whole else pd.read_json(src, lines=True)
    out = tmp_path / "out.parquet"
    args = ("-m", str(model), "-i", str(src), "-o", str(out), "--workers", workers)
    proc = _run(*args, "--chunk-rows", "17")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and proc.stdout == ""  # no progress bar in a pipe
    got = pq.read_table(out).to_pandas()
    assert np.array_equal(got["prediction"], logreg.predict(rows))


def test_keep_columns_and_output_format_override(
    model: Path, logreg: Any, frame: pd.DataFrame, tmp_path: Path
) -> None:
    src = tmp_path / "in.csv"
    frame.to_csv(src, index=False)
    out = tmp_path / "predictions.txt"
    args = ("-m", str(model), "-i", str(src), "-o", str(out), "--output-format", "csv")
    proc = _run(*args, "--keep-columns", "--chunk-rows", "50")
    assert proc.returncode == 0, proc.stderr
    got = pd.read_csv(out)
    assert list(got.columns) == [*frame.columns, "prediction"]
    assert np.array_equal(got["prediction"], logreg.predict(frame))


def test_stdout_without_o_is_mlflow_json(
    model: Path, logreg: Any, frame: pd.DataFrame, tmp_path: Path
) -> None:
    src = tmp_path / "in.parquet"
    frame.to_parquet(src)
    proc = _run("-m", str(model), "-i", str(src), "--chunk-rows", "7")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"predictions": logreg.predict(frame).tolist()}
    proc = _run("-m", str(model), "-i", str(src), "--output-format", "jsonl")
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines == [{"prediction": int(v)} for v in logreg.predict(frame)]


def test_a_bad_chunk_exits_4_naming_the_row_and_leaves_no_output(
    model: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    bad = frame.astype({"f3": object})
    bad.loc[101, "f3"] = "n/a?"
    src = tmp_path / "in.csv"
    bad.to_csv(src, index=False)
    out = tmp_path / "out.parquet"
    out.write_bytes(b"previous")
    proc = _run("-m", str(model), "-i", str(src), "-o", str(out), "--chunk-rows", "20")
    assert proc.returncode == 4, proc.stderr
    assert proc.stderr.startswith("error: in.csv, rows ") and "Traceback" not in proc.stderr
    assert "column 'f3' at rows [101]" in proc.stderr and "n/a?" in proc.stderr
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.parquet"]


def test_failure_prints_nothing_to_stdout(model: Path, frame: pd.DataFrame, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    frame.drop(columns=["f0"]).to_json(src, orient="records", lines=True)
    proc = _run("-m", str(model), "-i", str(src))
    assert proc.returncode == 4 and proc.stdout == ""
    assert "column 'f0'" in proc.stderr


def test_an_unknown_extension_is_a_usage_error(model: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("f0\n1\n")
    proc = _run("-m", str(model), "-i", str(src))
    assert proc.returncode == 2 and "-t" in proc.stderr
    proc = _run("-m", str(model), "-i", str(src), "-t", "csv", "-o", str(tmp_path / "o.xml"))
    assert proc.returncode == 2 and "--output-format" in proc.stderr


def test_a_terminal_gets_a_progress_bar(model: Path, frame: pd.DataFrame, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    frame.to_csv(src, index=False)
    out = tmp_path / "out.csv"
    leader, follower = pty.openpty()
    args = ["-m", str(model), "-i", str(src), "-o", str(out), "--chunk-rows", "30"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tiffin", "models", "predict", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env={**os.environ, "COLUMNS": "120"},
    )
    os.close(follower)
    drawn = b""
    try:
        while True:  # read as it is drawn, so the child never blocks on a full terminal
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            drawn += data
    finally:
        os.close(leader)
        proc.wait(timeout=120)
    assert proc.returncode == 0
    assert b"predicting" in drawn and b"120 rows" in drawn
    assert len(pd.read_csv(out)) == len(frame)
