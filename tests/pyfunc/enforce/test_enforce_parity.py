"""Parity with MLflow 3.17's enforcement (``mlflow.models.utils._enforce_schema``).

For inputs MLflow accepts, tiffin returns the same converted data. Where tiffin deliberately
differs, the case is listed in ``DIFFERENCES`` (the source of the table in docs/format.md), and
a test checks against the installed MLflow that the difference is real, so the list cannot go
stale silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tiffin.format.schema import ColSpec, ParamSchema, ParamSpec, Schema, TensorSpec
from tiffin.format.types import Array, DataType, Map, Object, Property
from tiffin.pyfunc.enforce import InputSchemaError, enforce_input, enforce_params

mlflow_utils = pytest.importorskip("mlflow.models.utils")
mlflow_schema = pytest.importorskip("mlflow.types.schema")

OBJ = Object((Property("n", DataType.long), Property("s", DataType.string, False)))


def col(dtype: Any, name: str = "x", required: bool = True) -> Schema:
    return Schema([ColSpec(dtype, name, required)])


PARITY: list[tuple[str, Schema, Any]] = [
    ("double", col("double"), pd.DataFrame({"x": [1.5, np.nan]})),
    ("int32 to long", col("long"), pd.DataFrame({"x": np.array([1, 2], dtype="int32")})),
    ("uint32 to long", col("long"), pd.DataFrame({"x": np.array([1], dtype="uint32")})),
    ("int32 to double", col("double"), pd.DataFrame({"x": np.array([1], dtype="int32")})),
    ("float32 to double", col("double"), pd.DataFrame({"x": np.array([0.5], dtype="float32")})),
    ("int64 0/1 to double", col("double"), pd.DataFrame({"x": [0, 1]})),
    ("Int64 without NA", col("long"), pd.DataFrame({"x": pd.array([5], dtype="Int64")})),
    ("string", col("string"), pd.DataFrame({"x": ["a", "b"]})),
    ("object strings", col("string"), pd.DataFrame({"x": pd.Series(["a"], dtype=object)})),
    ("bytes", col("binary"), pd.DataFrame({"x": [b"\x00"]})),
    ("boolean", col("boolean"), pd.DataFrame({"x": [True, False]})),
    ("datetime64[s]", col("datetime"), pd.DataFrame({"x": np.array(["2024-01-01"], "M8[s]")})),
    (
        "reorder",
        Schema([ColSpec("double", "a"), ColSpec("long", "b")]),
        pd.DataFrame({"b": [1], "a": [2.0]}, index=[5]),
    ),
    (
        "optional absent",
        Schema([ColSpec("double", "a"), ColSpec("long", "b", False)]),
        pd.DataFrame({"a": [2.0]}),
    ),
    ("dict row", Schema([ColSpec("long", "a"), ColSpec("string", "s")]), {"a": 1, "s": "x"}),
    (
        "records",
        Schema([ColSpec("long", "a"), ColSpec("string", "s")]),
        [{"a": 1, "s": "x"}, {"a": 2, "s": "y"}],
    ),
    ("unnamed", Schema([ColSpec("double"), ColSpec("double")]), pd.DataFrame([[1.0, 2.0]])),
    ("array column", col(Array(DataType.string)), pd.DataFrame({"x": [["a", "b"], ["c"]]})),
    ("object column", col(OBJ), pd.DataFrame({"x": [{"n": 1}, {"n": 2, "s": "x"}]})),
    ("map column", col(Map(DataType.double)), pd.DataFrame({"x": [{"a": 1.5}]})),
    ("tensor", Schema([TensorSpec("float32", (-1, 2))]), np.ones((3, 2), dtype="float32")),
    (
        "tensor from frame",
        Schema([TensorSpec("float64", (-1, 2))]),
        pd.DataFrame({"a": [1.0], "b": [2.0]}),
    ),
    (
        "named tensors",
        Schema([TensorSpec("int64", (-1,), "a"), TensorSpec("float64", (-1, 2), "b")]),
        {"a": np.array([1]), "b": np.ones((1, 2))},
    ),
]


def mlflow_enforce(data: Any, schema: Schema) -> Any:
    return mlflow_utils._enforce_schema(data, mlflow_schema.Schema.from_json(schema.to_json()))


@pytest.mark.parametrize(("case", "schema", "data"), PARITY, ids=[c[0] for c in PARITY])
def test_accepted_inputs_convert_exactly_as_mlflow_does(
    case: str, schema: Schema, data: Any
) -> None:
    ours, theirs = enforce_input(data, schema), mlflow_enforce(data, schema)
    if isinstance(ours, pd.DataFrame):
        pd.testing.assert_frame_equal(ours, theirs)
    elif isinstance(ours, dict):
        assert ours.keys() == theirs.keys()
        for key in ours:
            np.testing.assert_array_equal(ours[key], theirs[key], strict=True)
    else:
        np.testing.assert_array_equal(ours, theirs, strict=True)


def test_params_match_mlflow_for_accepted_values() -> None:
    schema = ParamSchema(
        [
            ParamSpec("k", "long", 5),
            ParamSpec("t", "double", 0.5),
            ParamSpec("stop", "string", ["a"], (-1,)),
            ParamSpec("when", "datetime", "2024-01-01T10:00:00"),
            ParamSpec("day", "datetime", "2024-01-01"),
            ParamSpec("opts", Object((Property("n", DataType.long),)), {"n": 1}),
        ]
    )
    theirs_schema = mlflow_schema.ParamSchema.from_json(schema.to_json())
    for params in ({}, {"k": 3, "t": 1}, {"when": "2024-02-02T01:02:03", "stop": ["x", "y"]}):
        expected = mlflow_utils._enforce_params_schema(dict(params), theirs_schema)
        assert enforce_params(params, schema) == expected
    assert enforce_params({}, schema)["day"] == dt.date(2024, 1, 1)


@dataclass(frozen=True)
class Difference:
    """One deliberate difference: what MLflow does, what tiffin does, and why."""

    case: str
    schema: Schema
    data: Any
    mlflow_accepts: bool
    tiffin_accepts: bool
    why: str


DIFFERENCES: list[Difference] = [
    Difference(
        "extra column",
        col("double"),
        pd.DataFrame({"x": [1.0], "y": [1]}),
        True,
        False,
        "MLflow warns and drops it; a misspelt optional column would silently vanish",
    ),
    Difference(
        "int64 into double (exact)",
        col("double"),
        pd.DataFrame({"x": [5]}),
        False,
        True,
        "MLflow refuses int64->double in-process but its REST server casts; we check "
        "|v| <= 2**53 and accept, in both places",
    ),
    Difference(
        "int32 into float",
        col("float"),
        pd.DataFrame({"x": np.array([5], "int32")}),
        False,
        True,
        "exact when |v| <= 2**24, which is checked",
    ),
    Difference(
        "object of ints into string",
        col("string"),
        pd.DataFrame({"x": pd.Series([5], dtype=object)}),
        True,
        False,
        "MLflow does not look inside object columns for string; we require str",
    ),
    Difference(
        "str into binary",
        col("binary"),
        pd.DataFrame({"x": ["a"]}),
        True,
        False,
        "binary means bytes; strings must be encoded by the caller",
    ),
    Difference(
        "None in a required string column",
        col("string"),
        pd.DataFrame({"x": ["a", None]}),
        True,
        False,
        "required means present and not missing, for every type",
    ),
    Difference(
        "whole floats with NaN in an optional long column",
        col("long", required=False),
        pd.DataFrame({"x": [1.0, np.nan]}),
        False,
        True,
        "that is how pandas stores ints with missing values; becomes Int64",
    ),
    Difference(
        "2-D array for a named schema",
        Schema([ColSpec("double", "a"), ColSpec("double", "b")]),
        np.ones((1, 2)),
        False,
        True,
        "matched by position when the width equals the column count",
    ),
    Difference(
        "too many columns for an unnamed schema",
        Schema([ColSpec("double")]),
        pd.DataFrame([[1.0, 2.0]]),
        True,
        False,
        "MLflow silently ignores the extra columns",
    ),
    Difference(
        "str dtype (pandas 3) into datetime",
        col("datetime"),
        pd.DataFrame({"x": ["2024-01-01T10:00:00"]}),
        False,
        True,
        "MLflow parses object columns but not pandas 3 str columns; we parse both",
    ),
    Difference(
        "float64 column into an int64 tensor",
        Schema([TensorSpec("int64", (-1,))]),
        pd.DataFrame({"x": [2.7]}),
        True,
        False,
        "MLflow casts DataFrame columns to the tensor dtype blindly (2.7 -> 2)",
    ),
    Difference(
        "int32 array into an int64 tensor",
        Schema([TensorSpec("int64", (-1,))]),
        np.array([1], dtype="int32"),
        False,
        True,
        "a widening within one kind changes no value",
    ),
]
"""Behaviours that differ from MLflow on purpose (also: params, see the test below)."""


def _accepts(enforce: Any, data: Any, schema: Schema) -> bool:
    try:
        enforce(data, schema)
    except (InputSchemaError, mlflow_utils.MlflowException):
        return False
    return True


@pytest.mark.parametrize("diff", DIFFERENCES, ids=[d.case for d in DIFFERENCES])
def test_listed_differences_are_real(diff: Difference) -> None:
    assert _accepts(mlflow_enforce, diff.data, diff.schema) is diff.mlflow_accepts
    assert _accepts(enforce_input, diff.data, diff.schema) is diff.tiffin_accepts


def test_dict_of_string_lists_is_columns_here_but_one_list_cell_in_mlflow() -> None:
    data = {"x": ["a", "b"]}
    assert mlflow_enforce(data, col("string"))["x"].tolist() == [["a", "b"]]
    assert enforce_input(data, col("string"))["x"].tolist() == ["a", "b"]


def test_params_differences() -> None:
    """Unknown params and explicit None: MLflow drops / passes None; we refuse / use default."""
    schema = ParamSchema([ParamSpec("k", "long", 5)])
    theirs = mlflow_schema.ParamSchema.from_json(schema.to_json())
    assert mlflow_utils._enforce_params_schema({"k": None}, theirs) == {"k": None}
    assert enforce_params({"k": None}, schema) == {"k": 5}
    assert mlflow_utils._enforce_params_schema({"q": 1}, theirs) == {"k": 5}
    with pytest.raises(InputSchemaError):
        enforce_params({"q": 1}, schema)
    assert mlflow_utils._enforce_params_schema({"q": 1}, None) == {}
    with pytest.raises(InputSchemaError):
        enforce_params({"q": 1}, None)
