"""Signature inference gives exactly what MLflow 3.17.2's ``infer_signature`` gives.

Each input kind is checked against MLflow with each kind of output, and params alone. Known,
deliberate differences are listed in ``DIFFERENCES`` and ``PARAM_DIFFERENCES`` with both answers
and the reason, and are checked to still hold. Mostly: where MLflow falls back to
``[{"type": "any"}]`` with only a logged warning, tiffin raises ``FormatError``.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from mlflow.models import infer_signature as mlflow_infer_signature

from tiffin.errors import FormatError
from tiffin.format.infer import infer_params_schema, infer_schema, infer_signature
from tiffin.format.schema import Signature


def _ints() -> pd.DataFrame:
    kinds = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32"]
    return pd.DataFrame({k: np.arange(3, dtype=k) for k in kinds})


INPUTS: dict[str, Callable[[], Any]] = {
    "frame_ints": _ints,
    "frame_floats": lambda: pd.DataFrame(
        {"f16": np.ones(2, "float16"), "f32": np.ones(2, "float32"), "f64": [1.0, np.nan]}
    ),
    "frame_bool_bytes": lambda: pd.DataFrame({"b": [True, False], "by": [b"a", b"b"]}),
    "frame_str_dtype": lambda: pd.DataFrame({"s": ["a", None], "t": ["a", "b"]}),
    "frame_object_str": lambda: pd.DataFrame({"o": pd.Series(["a", None], dtype=object)}),
    "frame_datetime": lambda: pd.DataFrame(
        {
            "dt": pd.to_datetime(["2020-01-01", None]),
            "tz": pd.date_range("2020", periods=2, tz="UTC"),
            "date": [dt.date(2020, 1, 1), None],
        }
    ),
    "frame_nullable": lambda: pd.DataFrame(
        {
            "i": pd.array([1, None], dtype="Int64"),
            "i8": pd.array([1, 2], dtype="Int8"),
            "b": pd.array([True, None], dtype="boolean"),
            "f": pd.array([1.0, None], dtype="Float64"),
            "s": pd.array(["x", None], dtype="string"),
        }
    ),
    "frame_lists_dicts": lambda: pd.DataFrame(
        {
            "l": [[1, 2], None, []],
            "d": [{"x": 1}, {"y": "s"}, None],
            "arr": [np.array([1.0]), np.array([2.0, 3.0]), np.array([4.0])],
        }
    ),
    "frame_mixed_nested": lambda: pd.DataFrame(
        {
            "ld": [[{"a": 1}], [{"a": 2, "b": [1.5]}], [{}]],
            "ll": [[["a"]], [[]], [None]],
            "dd": [{"o": {"p": True}}, {"o": None}, {"o": {"p": False, "q": b"x"}}],
        }
    ),
    "frame_objects_inferred": lambda: pd.DataFrame(
        {
            "int_none": pd.Series([1, None, 3], dtype=object),
            "bool_none": pd.Series([True, None, False], dtype=object),
            "category": pd.Categorical(["x", None, "y"]),
            "all_none": [None, None, None],
            "all_na_str": pd.Series([None, None, None], dtype="str"),
        }
    ),
    "frame_empty": lambda: pd.DataFrame(
        {"o": pd.Series([], dtype=object), "f": pd.Series([], dtype=float)}
    ),
    "frame_int_labels": lambda: pd.DataFrame(np.zeros((3, 2))),
    "series_named": lambda: pd.Series([1.0, None], name="y"),
    "series_unnamed": lambda: pd.Series(["a", "b"]),
    "ndarray_int": lambda: np.arange(6).reshape(3, 2),
    "ndarray_float32_3d": lambda: np.zeros((2, 3, 4), dtype=np.float32),
    "ndarray_str": lambda: np.array(["a", "bcdef"]),
    "ndarray_bytes": lambda: np.array([b"a"]),
    "ndarray_object": lambda: np.array(["a", 1], dtype=object),
    "ndarray_datetime": lambda: np.array(["2020-01-01"], dtype="datetime64[ns]"),
    "ndarray_uint64": lambda: np.array([1], dtype=np.uint64),
    "dict_of_ndarrays": lambda: {"a": np.zeros((3, 2), np.float32), "b": np.array(["x"])},
    "dict_of_json": lambda: {
        "a": 1,
        "b": "x",
        "c": [1, 2],
        "d": {"e": 1.0, "f": [{"g": True}, {"h": 1}]},
        "f": None,
        "g": [1, None],
        "h": np.array([1, 2]),
        "i": [],
        "j": {},
        "k": float("nan"),
        "l": dt.datetime(2020, 1, 1),
        "m": b"x",
        "n": np.float32(1),
    },
    "list_of_dicts": lambda: [
        {"a": 1, "b": None, "t": "x"},
        {"a": 2, "c": [1], "t": "y"},
        {"a": 3, "b": 2.5, "c": None, "t": "z"},
    ],
    "list_of_dicts_nan_is_required": lambda: [{"a": float("nan")}, {"a": 1.0}],
    "list_of_dicts_nested": lambda: [{"o": {"k": 1}}, {"o": {"k": 2, "j": "x"}}, {"o": None}],
    "list_of_scalars": lambda: [1, 2, None],
    "list_of_str": lambda: ["a", "b"],
    "list_of_lists": lambda: [[1.0], [2.0, None], []],
    "list_of_none": lambda: [None, None],
    "empty_list": lambda: [],
    "scalar_float": lambda: 1.5,
    "scalar_str": lambda: "x",
    "scalar_int32": lambda: np.int32(3),
    "scalar_bool": lambda: True,
    "scalar_bytes": lambda: b"x",
    "scalar_date": lambda: dt.date(2020, 1, 1),
    "scalar_nan": lambda: float("nan"),
    "csr": lambda: sp.csr_matrix(np.eye(3, dtype=np.float32)),
    "csc": lambda: sp.csc_matrix(np.eye(3)),
}

OUTPUTS: dict[str, Callable[[], Any]] = {
    "none": lambda: None,
    "int64_predictions": lambda: np.array([0, 1, 1]),
    "float_predictions": lambda: np.array([0.5, 1.5]),
    "probabilities": lambda: np.random.default_rng(0).random((3, 2)),
    "series": lambda: pd.Series([1.0], name="p"),
    "frame": lambda: pd.DataFrame({"p": [1], "q": ["a"]}),
}

PARAMS: dict[str, Any] = {
    "long": 1,
    "double": 1.5,
    "string": "x",
    "boolean": True,
    "datetime": dt.datetime(2020, 1, 1, 3, 4, 5, 6),
    "aware_datetime": dt.datetime(2020, 1, 1, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    "date": dt.date(2020, 1, 1),
    "np_datetime64": np.datetime64("2020-01-02"),
    "long_list": [1, 2],
    "string_list": ["a"],
    "bool_list": [True],
    "promoted_list": [1, 2.5],
    "datetime_list": [dt.date(2020, 1, 1), dt.datetime(2020, 1, 1, 1)],
    "int32_array": np.array([1, 2], dtype=np.int32),
    "object": {"k": 1, "z": [1], "n": {"q": None}, "l": [{"a": 1}, {"b": "x"}]},
    "np_int32": np.int32(5),
    "np_float32": np.float32(1.5),
    "np_float64": np.float64(2.0),
    "np_str": np.str_("x"),
    "np_bool": np.bool_(True),
}

ANY = [{"type": "any", "required": True}]  # MLflow's fallback when its inference fails
RAISES = None  # tiffin raises FormatError naming what could not be inferred

# Deliberate differences: case -> (data, MLflow's inputs, tiffin's inputs or RAISES, reason).
DIFFERENCES: dict[str, tuple[Callable[[], Any], Any, Any, str]] = {
    "uint64_column": (
        lambda: pd.DataFrame({"a": np.array([1], dtype=np.uint64)}),
        ANY,
        RAISES,
        "uint64 has no MLflow column type; a silent 'any' would disable enforcement",
    ),
    "timedelta_column": (
        lambda: pd.DataFrame({"a": pd.to_timedelta([1], unit="s")}),
        ANY,
        RAISES,
        "timedelta has no MLflow type",
    ),
    "mixed_type_column": (
        lambda: pd.DataFrame({"a": ["x", 1]}),
        ANY,
        RAISES,
        "a column must have one type",
    ),
    "mixed_type_list": (lambda: [1, "a"], ANY, RAISES, "a list must have one type"),
    "mixed_nested_properties": (
        lambda: [{"a": {"x": 1}}, {"a": {"x": "s"}}],
        ANY,
        RAISES,
        "property 'x' has two types",
    ),
    "unnamed_series_with_nan": (
        lambda: pd.Series([1.0, None]),
        ANY,
        RAISES,
        "unnamed inputs cannot be optional; the error says to name the Series",
    ),
    "zero_dim_array": (lambda: np.array(3), ANY, RAISES, "no batch dimension"),
    "duplicate_columns": (
        lambda: pd.DataFrame([[1, 2]], columns=["a", "a"]),
        ANY,
        RAISES,
        "column names must be unique",
    ),
    "unsupported_object": (lambda: _Opaque(), ANY, RAISES, "not data"),
    "tuple": (lambda: (1, 2), ANY, RAISES, "not one of the supported kinds"),
    "empty_dict": (lambda: {}, ANY, RAISES, "a schema needs an input"),
    "int_dict_keys": (lambda: {1: "a"}, ANY, RAISES, "JSON keys are strings"),
    "plain_object": (
        lambda: object(),
        [{"type": "string", "required": True}],
        RAISES,
        "MLflow's scalar table maps the `object` type (meant for numpy's object dtype) to string;"
        " a bare object is not data",
    ),
    "float_column_label": (
        lambda: pd.DataFrame({1.5: [1]}),
        [{"type": "long", "name": 1.5, "required": True}],
        RAISES,
        "only str and int labels are accepted (int labels come from DataFrame(ndarray) and are "
        "written as ints, as MLflow does, since MLflow enforces them as ints)",
    ),
    "csr_array": (
        lambda: sp.csr_array(np.eye(2)),
        ANY,
        [{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}],
        "MLflow only knows csr_matrix/csc_matrix; sparse arrays get the same TensorSpec",
    ),
    "float32_nan_in_object_column": (
        lambda: pd.DataFrame({"a": pd.Series([np.float32(1), np.float32("nan")], dtype=object)}),
        [{"type": "float", "name": "a", "required": True}],
        [{"type": "float", "name": "a", "required": False}],
        "requiredness uses pandas' isna (vectorised); MLflow only counts Python-float NaN there",
    ),
    "categorical_of_timestamps": (
        lambda: pd.DataFrame({"a": pd.Categorical([pd.Timestamp("2020"), None])}),
        ANY,
        [{"type": "datetime", "name": "a", "required": False}],
        "categoricals are typed from their values as a plain column (MLflow fails on Timestamp)",
    ),
}

PARAM_DIFFERENCES: dict[str, tuple[Any, str]] = {
    "empty_list": (
        [],
        'MLflow: {"type": "datetime", "shape": [-1], "default": []} because all() of nothing is '
        "true; the element type is unknown, so tiffin asks for an explicit ParamSpec",
    ),
}


class _Opaque:
    pass


def _mlflow(x: Any = None, y: Any = None, params: Any = None) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dict(mlflow_infer_signature(x, y, params).to_dict())


@pytest.mark.parametrize("output", list(OUTPUTS))
@pytest.mark.parametrize("kind", list(INPUTS))
def test_matches_mlflow(kind: str, output: str) -> None:
    x, y = INPUTS[kind](), OUTPUTS[output]()
    params = PARAMS if output == "int64_predictions" else None
    assert infer_signature(x, y, params).to_dict() == _mlflow(x, y, params)


@pytest.mark.parametrize("name", list(PARAMS))
def test_each_param_matches_mlflow(name: str) -> None:
    params = {name: PARAMS[name]}
    assert infer_signature(params=params).to_dict() == _mlflow(params=params)


@pytest.mark.parametrize("kind", list(INPUTS))
def test_inferred_signature_round_trips(kind: str) -> None:
    sig = infer_signature(INPUTS[kind](), params=PARAMS)
    assert Signature.from_dict(sig.to_dict()) == sig


@pytest.mark.parametrize("case", list(DIFFERENCES))
def test_deliberate_differences(case: str) -> None:
    make, theirs, ours, _ = DIFFERENCES[case]
    assert json.loads(_mlflow(make())["inputs"]) == theirs
    if ours is RAISES:
        with pytest.raises(FormatError, match="could not infer the schema of the model input"):
            infer_signature(make())
    else:
        inputs = infer_signature(make()).inputs
        assert inputs is not None and inputs.to_list() == ours


@pytest.mark.parametrize("case", list(PARAM_DIFFERENCES))
def test_deliberate_param_differences(case: str) -> None:
    value, _ = PARAM_DIFFERENCES[case]
    assert json.loads(_mlflow(params={"p": value})["params"])[0]["type"] == "datetime"
    with pytest.raises(FormatError, match="declare the ParamSpec"):
        infer_params_schema({"p": value})


@pytest.mark.parametrize(
    "data",
    [
        pd.DataFrame({"a": np.array([1, 2], dtype=np.uint64)}),
        pd.Series(np.array([1], dtype=np.uint64), name="a"),
    ],
    ids=["frame", "series"],
)
def test_uint64_is_refused_naming_the_column(data: Any) -> None:
    with pytest.raises(FormatError, match=r"column 'a': uint64 does not fit"):
        infer_schema(data)


def test_unsupported_object_is_refused_with_the_supported_kinds() -> None:
    with pytest.raises(FormatError, match=r"_Opaque .* has no MLflow type; expected a pandas"):
        infer_schema(_Opaque())
    with pytest.raises(FormatError, match=r"key 'a'.x: values do not all have one type"):
        infer_schema([{"a": {"x": 1}}, {"a": {"x": "s"}}])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([[1]], "nested list"),
        (None, "got NoneType"),
        (b"x", "binary values are not allowed"),
        ([1, "a"], "int 1 is not a string"),
        ([True, 1], "bool True is not a long"),
        ([2**63 + 5], "uint64 does not fit"),
        ({}, "empty dict"),
        (pd.Timestamp("2020"), "got Timestamp"),
        (np.datetime64("2020-01-01T00:00:00.000000001"), "finer than microseconds"),
    ],
)
def test_bad_params_are_refused_and_mlflow_refuses_them_too(value: Any, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        infer_params_schema({"p": value})
    with pytest.raises(Exception, match="Failed to infer schema for parameters"):
        _mlflow(params={"p": value})


def test_nothing_to_infer_is_refused() -> None:
    with pytest.raises(FormatError, match="at least one"):
        infer_signature()


def test_no_integer_hint_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        infer_signature(pd.DataFrame({"a": [1, 2]}), [1, 2])


def test_float_frame_is_inferred_from_dtypes_quickly() -> None:
    frame = pd.DataFrame(np.random.default_rng(0).random((100_000, 20)))
    frame.columns = [f"c{i}" for i in range(20)]
    infer_signature(frame)
    best = float("inf")
    for _ in range(10):
        start = time.perf_counter()
        infer_signature(frame)
        best = min(best, time.perf_counter() - start)
    assert best < 0.005, f"{best * 1000:.1f} ms"


def test_importing_the_module_loads_no_numpy_or_pandas() -> None:
    code = "import sys, tiffin.format.infer; print(sorted({'numpy', 'pandas'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
