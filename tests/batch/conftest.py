"""Fixtures for batch prediction: a saved model with a signature and the shared frame as files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pytest

import tiffin.sklearn
from tiffin.pyfunc.load import load_model
from tiffin.pyfunc.model import PyFuncModel

WriteInput = Callable[[pd.DataFrame, str], Path]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory, logreg: Any, frame: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("batch") / "model"
    tiffin.sklearn.save_model(logreg, path, input_example=frame.head(2))
    return path


@pytest.fixture(scope="session")
def model(model_dir: Path) -> PyFuncModel:
    return load_model(model_dir)


def write_frame(data: pd.DataFrame, path: Path) -> Path:
    """``data`` as CSV, JSON Lines or Parquet, by the extension."""
    if path.suffix == ".csv":
        data.to_csv(path, index=False)
    elif path.suffix == ".jsonl":  # orjson keeps every digit (pandas stops at 15)
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in data.to_dict("records")))
    else:
        data.to_parquet(path, index=False)
    return path


def read_frame(path: Path) -> pd.DataFrame:
    """What a user would read the same file with, whole, to predict in-process."""
    if path.suffix == ".csv":
        return pd.read_csv(path)
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True)
    return pd.read_parquet(path)


@pytest.fixture
def write_input(tmp_path: Path) -> WriteInput:
    """``write_input(frame, "csv")`` -> the path of ``frame`` written as ``in.csv``."""

    def write(data: pd.DataFrame, fmt: str) -> Path:
        return write_frame(data, tmp_path / f"in.{fmt}")

    return write


@pytest.fixture
def read_whole() -> Callable[[Path], pd.DataFrame]:
    """``read_whole(path)``: the file read whole with pandas, as a user would before predicting."""
    return read_frame
