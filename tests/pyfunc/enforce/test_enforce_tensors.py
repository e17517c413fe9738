"""Tensor schemas: shapes with -1 wildcards, exact dtypes or same-kind widenings."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tiffin.format.schema import Schema, TensorSpec
from tiffin.pyfunc.enforce import InputSchemaError, enforce_input

MATRIX = Schema([TensorSpec("float32", (-1, 3))])
NAMED = Schema([TensorSpec("int64", (-1,), "ids"), TensorSpec("float64", (-1, 2), "xy")])


def problems(data: Any, schema: Schema = MATRIX) -> list[str]:
    with pytest.raises(InputSchemaError) as info:
        enforce_input(data, schema)
    return [p.describe() for p in info.value.problems]


def test_exact_dtype_and_shape_pass_uncopied() -> None:
    array = np.ones((4, 3), dtype="float32")
    assert enforce_input(array, MATRIX) is array


def test_shape_must_match_except_minus_one() -> None:
    assert problems(np.ones((2, 4), dtype="float32")) == [
        "tensor: expected shape (-1, 3), received shape (2, 4)"
    ]
    assert problems(np.ones((2, 3, 1), dtype="float32"))[0].endswith("received shape (2, 3, 1)")


def test_dtype_must_match() -> None:
    assert problems(np.ones((2, 3), dtype="float64")) == [
        "tensor: expected float32, received float64 "
        "(tensor dtypes must match; only widening within a kind is done)"
    ]
    assert "received int32" in problems(np.ones((2, 3), dtype="int32"))[0]


def test_same_kind_widening_to_the_spec_dtype() -> None:
    assert enforce_input(np.ones((1, 3), dtype="float16"), MATRIX).dtype == np.float32
    schema = Schema([TensorSpec("int64", (-1,))])
    assert enforce_input(np.array([1], dtype="int32"), schema).dtype == np.int64
    assert enforce_input(np.array([1], dtype="uint16"), schema).dtype == np.int64


def test_lists_are_converted_when_every_value_survives() -> None:
    assert enforce_input([[0.1, 2, 3]], MATRIX).dtype == np.float32
    schema = Schema([TensorSpec("int8", (-1,))])
    assert enforce_input([1, 2], schema).dtype == np.int8
    assert problems([300], schema) == [
        "tensor: expected int8, received int64 (value 300 does not fit int8)"
    ]
    assert "value 1.5 is not a whole number" in problems([1.5], schema)[0]
    assert "cannot become int8" in problems([True], schema)[0]


def test_ragged_lists_and_empty_input_are_refused() -> None:
    assert problems([[1.0, 2.0, 3.0], [1.0]]) == [
        "tensor: nested lists of unequal lengths (ragged)"
    ]
    assert problems(np.ones((0, 3), dtype="float32")) == ["tensor: the input is empty"]


def test_dataframe_columns_become_a_matrix_when_widths_match() -> None:
    df = pd.DataFrame({"a": [1.0], "b": [2.0], "c": [3.0]}, dtype="float32")
    assert enforce_input(df, MATRIX).shape == (1, 3)
    assert "a 2-column DataFrame is a (-1, 2) tensor" in problems(df[["a", "b"]])[0]
    assert problems(pd.DataFrame(columns=["a"])) == ["tensor: the input DataFrame is empty"]


def test_dataframe_column_of_lists_is_stacked() -> None:
    df = pd.DataFrame({"t": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]})
    out = enforce_input(df, MATRIX)
    assert out.dtype == np.float32 and out.shape == (2, 3)


def test_dataframe_column_of_scalars_keeps_typed_rules() -> None:
    schema = Schema([TensorSpec("int64", (-1,))])
    assert enforce_input(pd.DataFrame({"a": [1, 2]}), schema).tolist() == [1, 2]
    assert "received float64" in problems(pd.DataFrame({"a": [2.7]}), schema)[0]


def test_named_tensors_take_a_dict() -> None:
    out = enforce_input({"ids": np.array([1, 2]), "xy": [[1.0, 2.0]]}, NAMED)
    assert out["ids"].dtype == np.int64 and out["xy"].shape == (1, 2)


def test_named_tensors_report_missing_extra_and_bad_ones_together() -> None:
    found = problems({"xy": np.ones((1, 3)), "zz": np.ones(1)}, NAMED)
    assert found == [
        "tensor 'zz': not in the signature (extra)",
        "tensor 'ids': missing (required)",
        "tensor 'xy': expected shape (-1, 2), received shape (1, 3)",
    ]


def test_named_tensors_from_a_dataframe() -> None:
    df = pd.DataFrame({"ids": [1, 2], "xy": [[1.0, 2.0], [3.0, 4.0]]})
    out = enforce_input(df, NAMED)
    assert out["xy"].shape == (2, 2)


def test_ragged_object_arrays_check_each_element() -> None:
    schema = Schema([TensorSpec("float64", (-1, -1, 2))])
    ragged = np.empty(2, dtype=object)
    ragged[0], ragged[1] = np.ones((1, 2)), np.ones((3, 2))
    assert len(enforce_input(ragged, schema)) == 2
    ragged[1] = np.ones((3, 3))
    assert problems(ragged, schema) == [
        "tensor at element 1: expected shape (-1, 2), received shape (3, 3)"
    ]


def test_string_tensors() -> None:
    schema = Schema([TensorSpec("str", (-1,))])
    assert enforce_input(np.array(["a", "bc"]), schema).tolist() == ["a", "bc"]
    assert enforce_input(["a"], schema).tolist() == ["a"]
    assert "received int64" in problems(np.array([1]), schema)[0]


def test_whole_floats_from_lists_become_integers_and_fractions_are_refused() -> None:
    schema = Schema([TensorSpec("int64", (-1,))])
    out = enforce_input([2.0, 3.0, -4.0], schema)
    assert out.dtype == np.int64 and out.tolist() == [2, 3, -4]
    assert problems([2.0, 2.5], schema) == [
        "tensor: expected int64, received float64 "
        "(value 2.5 is not a whole number; an int64 tensor takes integers)"
    ]
    assert "does not fit int64 exactly" in problems([2.0**60], schema)[0]
    assert "is not a whole number" in problems([float("nan")], schema)[0]
    assert "does not fit int8 exactly" in problems([300.0], Schema([TensorSpec("int8", (-1,))]))[0]
    named = enforce_input({"ids": [1.0, 2.0], "xy": [[0.5, 1.0], [1.5, 2.0]]}, NAMED)
    assert named["ids"].dtype == np.int64


def test_float_arrays_the_caller_typed_are_still_not_cast_to_integers() -> None:
    schema = Schema([TensorSpec("int64", (-1,))])
    assert "tensor dtypes must match" in problems(np.array([2.0]), schema)[0]


def test_uint64_beyond_int64_is_refused_for_an_int64_tensor() -> None:
    schema = Schema([TensorSpec("int64", (-1,))])
    assert "does not fit int64" in problems([2**63 + 5], schema)[0]
    assert "tensor dtypes must match" in problems(np.array([2**63 + 5], dtype=np.uint64), schema)[0]
