"""Input examples are written as MLflow 3.17 writes them, and each tool reads the other's.

Known, deliberate differences from MLflow's bytes (JSON-equal otherwise):
- ``input_example.json`` is compact (orjson) where MLflow writes ``", "`` / ``": "``.
- NaN, inf, NaT become ``null``; MLflow writes the non-standard ``NaN`` / ``Infinity`` tokens,
  and ``"NaT"`` text.
- Non-ASCII text is written as UTF-8; MLflow escapes it (``"\\u00e9"``).
- orjson spells some small floats differently (``0.00001`` for ``1e-05``).
- A pandas Series is stored as a one-column DataFrame; MLflow refuses Series.
- ``(data, {})`` is stored as plain data; MLflow writes an ``inputs`` wrapper its own reader
  then returns as the data.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import pytest
import scipy.sparse as sp
from mlflow.models import Model
from mlflow.models.utils import _save_example

from tiffin.errors import FormatError
from tiffin.format.example import load_input_example, save_input_example


class Question(pydantic.BaseModel):
    text: str
    top_k: int


CASES: dict[str, Callable[[], Any]] = {
    "dataframe_split": lambda: pd.DataFrame({"a": [1.0, np.nan], "b": ["x", None], "c": [1, 2]}),
    "dataframe_values": lambda: pd.DataFrame(np.array([[1, 2], [3, 4]])),
    "dataframe_datetimes_bytes": lambda: pd.DataFrame(
        {
            "t": pd.to_datetime(["2020-01-01", "2021-02-03 04:05:06.123456789"], format="ISO8601"),
            "b": [b"ab", b"cd"],
        }
    ),
    "ndarray_float_nan": lambda: np.array([[1.0, np.nan], [2.5, 3.0]]),
    "ndarray_int32": lambda: np.array([1, 2, 3], dtype=np.int32),
    "ndarray_str": lambda: np.array(["a", "b"]),
    "ndarray_bytes": lambda: np.array([b"a", b"bc" * 60]),
    "ndarray_object": lambda: np.array([b"a", "x", 1], dtype=object),
    "dict_of_ndarrays": lambda: {"x": np.array([1, 2]), "y": np.array([[1.5], [np.nan]])},
    "list": lambda: [1, "a", None, 1.5],
    "dict": lambda: {"a": 1, "b": [1, 2], "c": "caf\u00e9", "d": {"e": None}},
    "dict_numpy_bytes_datetime": lambda: {
        "n": np.int64(3),
        "b": b"xy",
        "t": dt.datetime(2020, 1, 1, 1, 2, 3, 5),
    },
    "llm_dict": lambda: {"messages": [{"role": "user", "content": "hi"}]},
    "scalar_int": lambda: 3,
    "scalar_numpy": lambda: np.float32(1.5),
    "scalar_str": lambda: "hello",
    "scalar_bytes": lambda: b"abc",
    "datetime": lambda: dt.datetime(2020, 1, 1, 1, 2, 3),
    "csr": lambda: sp.csr_matrix(np.array([[0, 1.5], [2, 0]])),
    "csc": lambda: sp.csc_matrix(np.array([[0, 1], [2, 0]])),
    "pydantic": lambda: Question(text="why?", top_k=3),
    "tuple_dataframe_params": lambda: (pd.DataFrame({"a": [1]}), {"k": 1, "s": "v"}),
    "tuple_ndarray_params": lambda: (np.array([1.0, 2.0]), {"temperature": 0.5, "n": [1, 2]}),
    "tuple_llm_params": lambda: ({"messages": []}, {"temperature": 0.5}),
}
# Cases whose serving file is byte-for-byte MLflow's (no NaN, no non-ASCII).
SERVING_BYTE_EQUAL = set(CASES) - {
    "dataframe_split",
    "ndarray_float_nan",
    "dict_of_ndarrays",
    "dict",
}


def _normalize(value: Any) -> Any:
    """A comparable plain form: frames, arrays and matrices to lists, NaN to None."""
    if isinstance(value, pd.DataFrame):
        return ("frame", [str(c) for c in value.columns], _normalize(value.to_numpy().tolist()))
    if isinstance(value, np.ndarray):
        return ("array", _normalize(value.tolist()))
    if sp.issparse(value):
        return ("sparse", value.format, _normalize(value.toarray().tolist()))
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalize(v) for v in value]
    return value


def _json(path: Path) -> Any:
    return _normalize(json.loads(path.read_text()))


def _save_both(tmp_path: Path, make: Callable[[], Any]) -> tuple[Path, dict[str, Any], Path, Any]:
    ours, theirs = tmp_path / "ours", tmp_path / "mlflow"
    ours.mkdir()
    theirs.mkdir()
    info = save_input_example(ours, make())
    model = Model()
    _save_example(model, make(), str(theirs))
    return ours, info, theirs, model.saved_input_example_info


@pytest.mark.parametrize("name", sorted(CASES))
def test_files_and_info_match_mlflow(tmp_path: Path, name: str) -> None:
    ours, info, theirs, their_info = _save_both(tmp_path, CASES[name])
    assert info == their_info
    for file in ("input_example.json", "serving_input_example.json"):
        assert _json(ours / file) == _json(theirs / file), file
    if name in SERVING_BYTE_EQUAL:
        serving = "serving_input_example.json"
        assert (ours / serving).read_bytes() == (theirs / serving).read_bytes()


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_tool_reads_the_others_example_alike(tmp_path: Path, name: str) -> None:
    ours, info, theirs, their_info = _save_both(tmp_path, CASES[name])
    for directory, entry in ((ours, info), (theirs, their_info)):
        mlmodel = Model()
        mlmodel.saved_input_example_info = entry
        mlmodel.save(str(directory / "MLmodel"))
    mlflow_reads_ours = Model.load(str(ours)).load_input_example(str(ours))
    mlflow_reads_its_own = Model.load(str(theirs)).load_input_example(str(theirs))
    assert _normalize(mlflow_reads_ours) == _normalize(mlflow_reads_its_own)
    assert _normalize(load_input_example(theirs, their_info)) == _normalize(
        load_input_example(ours, info)
    )


def test_round_trip_restores_types(tmp_path: Path) -> None:
    frame = CASES["dataframe_split"]()
    pd.testing.assert_frame_equal(
        load_input_example(tmp_path, save_input_example(tmp_path, frame)), frame
    )
    array = CASES["ndarray_float_nan"]()
    back = load_input_example(tmp_path, save_input_example(tmp_path, array))
    np.testing.assert_array_equal(back, array)
    assert back.dtype == np.float64
    matrix = CASES["csc"]()
    back = load_input_example(tmp_path, save_input_example(tmp_path, matrix))
    assert back.format == "csc" and (back != matrix).nnz == 0
    data, params = load_input_example(
        tmp_path, save_input_example(tmp_path, CASES["tuple_ndarray_params"]())
    )
    assert data.tolist() == [1.0, 2.0] and params == {"temperature": 0.5, "n": [1, 2]}


def test_sklearn_save_model_writes_the_same_example(tmp_path: Path) -> None:
    import mlflow.sklearn
    from sklearn.linear_model import LinearRegression

    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "z": [0.5, 0.25, 0.0]})
    mlflow.sklearn.save_model(
        LinearRegression().fit(frame, [1.0, 2.0, 3.0]),
        str(tmp_path / "mlflow"),
        input_example=frame,
        pip_requirements=["scikit-learn"],
    )
    info = save_input_example(tmp_path, frame)
    assert Model.load(str(tmp_path / "mlflow")).saved_input_example_info == info
    for file in ("input_example.json", "serving_input_example.json"):
        assert _json(tmp_path / file) == _json(tmp_path / "mlflow" / file)
    serving = (tmp_path / "mlflow" / "serving_input_example.json").read_bytes()
    assert (tmp_path / "serving_input_example.json").read_bytes() == serving


def test_series_is_stored_as_a_one_column_dataframe(tmp_path: Path) -> None:
    info = save_input_example(tmp_path, pd.Series([1.5, 2.5], name="s"))
    assert info["type"] == "dataframe" and info["pandas_orient"] == "split"
    back = load_input_example(tmp_path, info)
    assert list(back.columns) == ["s"] and back["s"].tolist() == [1.5, 2.5]


def test_empty_params_are_stored_as_plain_data(tmp_path: Path) -> None:
    info = save_input_example(tmp_path, ([1, 2], {}))
    assert "params" not in info
    assert load_input_example(tmp_path, info) == [1, 2]


@pytest.mark.parametrize(
    ("example", "message"),
    [
        ({"a": np.array([1]), "b": 2}, "Mixed types"),
        ([np.array([1])], "Numpy arrays in list"),
        (object(), "but got 'object'"),
        (None, "but got 'NoneType'"),
        ({"a": 1j}, "not JSON serializable"),
        (([1], {1: "x"}), "string keys"),
    ],
)
def test_unsupported_examples_are_refused(tmp_path: Path, example: Any, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        save_input_example(tmp_path, example)


@pytest.mark.parametrize(
    ("info", "content", "message"),
    [
        ({"artifact_path": "../secret.json", "type": "json_object"}, "{}", "outside the model"),
        ({"artifact_path": "/etc/passwd", "type": "json_object"}, "{}", "outside the model"),
        ({"artifact_path": "input_example.json", "type": "tensor"}, "{}", "type 'tensor'"),
        ({"artifact_path": None, "type": "json_object"}, "{}", "artifact_path"),
        ({"artifact_path": "input_example.json", "type": "dataframe"}, '{"x": 1}', "dataframe"),
        ({"artifact_path": "input_example.json", "type": "dataframe"}, '{"data": 1}', "split"),
        ({"artifact_path": "input_example.json", "type": "ndarray"}, "[[1], [1, 2]]", "array"),
        ({"artifact_path": "input_example.json", "type": "json_object"}, "{oops", "valid JSON"),
        (
            {"artifact_path": "input_example.json", "type": "json_object", "params": "true"},
            "[1]",
            "'inputs' is missing",
        ),
    ],
)
def test_malformed_entries_are_refused(
    tmp_path: Path, info: dict[str, Any], content: str, message: str
) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "secret.json").write_text("{}")
    (tmp_path / "model" / "input_example.json").write_text(content)
    with pytest.raises(FormatError, match=message):
        load_input_example(tmp_path / "model", info)


def test_mlflow_files_with_nan_tokens_are_read(tmp_path: Path) -> None:
    (tmp_path / "input_example.json").write_text('{"columns": ["a"], "data": [[NaN], [1.5]]}')
    info = {"artifact_path": "input_example.json", "type": "dataframe", "pandas_orient": "split"}
    frame = load_input_example(tmp_path, info)
    assert math.isnan(frame["a"][0]) and frame["a"][1] == 1.5


def test_llm_dict_with_params_is_served_unwrapped(tmp_path: Path) -> None:
    save_input_example(tmp_path, (Question(text="q", top_k=1), {"t": 1}))
    serving = json.loads((tmp_path / "serving_input_example.json").read_text())
    assert serving == {"inputs": {"text": "q", "top_k": 1}, "params": {"t": 1}}
    save_input_example(tmp_path, ({"prompt": "p"}, {"t": 1}))
    serving = json.loads((tmp_path / "serving_input_example.json").read_text())
    assert serving == {"prompt": "p", "t": 1}


def test_binary_columns_come_back_as_bytes_when_the_signature_says_binary(tmp_path: Path) -> None:
    from tiffin.format.schema import ColSpec, Schema

    frame = pd.DataFrame({"blob": [b"\x00\x01abc", b"\xff" * 80], "x": [1.0, 2.0]})
    info = save_input_example(tmp_path, frame)
    assert load_input_example(tmp_path, info)["blob"].tolist()[0] == "AAFhYmM=\n"  # as MLflow
    schema = Schema([ColSpec("binary", "blob"), ColSpec("double", "x")])
    pd.testing.assert_frame_equal(load_input_example(tmp_path, info, schema), frame)
    columns = save_input_example(tmp_path, {"blob": np.array([b"hi"]), "x": np.array([1.0])})
    assert load_input_example(tmp_path, columns, schema)["blob"] == [b"hi"]


def test_an_example_whose_binary_column_is_not_base64_is_a_format_error(tmp_path: Path) -> None:
    from tiffin.format.schema import ColSpec, Schema

    info = save_input_example(tmp_path, pd.DataFrame({"blob": ["hello!"]}))
    with pytest.raises(FormatError, match=r"binary column 'blob' holds 'hello!' at row 0"):
        load_input_example(tmp_path, info, Schema([ColSpec("binary", "blob")]))
