"""Per-column type rules of schema enforcement: what widens, what is refused, and why."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tiffin.format.schema import ColSpec, Schema
from tiffin.pyfunc.enforce import InputSchemaError, enforce_input


def one(dtype: str, required: bool = True) -> Schema:
    return Schema([ColSpec(dtype, "x", required=required)])


def column(values: Any, dtype: str | None = None) -> pd.DataFrame:
    return pd.DataFrame({"x": pd.Series(values, dtype=dtype)})


def problems(data: Any, schema: Schema) -> list[str]:
    with pytest.raises(InputSchemaError) as info:
        enforce_input(data, schema)
    return [p.describe() for p in info.value.problems]


def test_exact_dtypes_return_the_callers_frame_uncopied() -> None:
    df = pd.DataFrame({"a": [1.5], "b": [2], "c": [True]})
    schema = Schema([ColSpec("double", "a"), ColSpec("long", "b"), ColSpec("boolean", "c")])
    assert enforce_input(df, schema) is df


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "uint8", "uint16", "uint32"])
def test_small_ints_widen_to_long(dtype: str) -> None:
    out = enforce_input(column([1, 2], dtype), one("long"))
    assert out["x"].dtype == np.int64
    assert out["x"].tolist() == [1, 2]


def test_widening_leaves_the_callers_frame_alone() -> None:
    df = column([1, 2], "int32")
    enforce_input(df, one("long"))
    assert df["x"].dtype == np.int32


def test_int64_to_double_when_every_value_is_exact() -> None:
    out = enforce_input(column([2**53, -(2**53)], "int64"), one("double"))
    assert out["x"].dtype == np.float64
    assert out["x"].tolist() == [2.0**53, -(2.0**53)]


def test_int64_beyond_2_pow_53_is_refused_for_double() -> None:
    assert problems(column([1, 2**53 + 1], "int64"), one("double")) == [
        "column 'x': expected double, received int64 "
        "(values beyond 2**53 are not exact in float64: row 1 holds 9007199254740993 (int))"
    ]


def test_int32_to_double_needs_no_value_check() -> None:
    out = enforce_input(column([2**31 - 1], "int32"), one("double"))
    assert out["x"].tolist() == [2**31 - 1]


def test_ints_to_float_only_up_to_2_pow_24() -> None:
    assert enforce_input(column([2**14], "int16"), one("float"))["x"].dtype == np.float32
    assert enforce_input(column([2**24], "int64"), one("float"))["x"].dtype == np.float32
    assert "values beyond 2**24" in problems(column([2**24 + 1], "int32"), one("float"))[0]


def test_float32_widens_to_double_but_double_does_not_narrow_to_float() -> None:
    assert enforce_input(column([0.5], "float32"), one("double"))["x"].dtype == np.float64
    assert problems(column([0.5], "float64"), one("float")) == [
        "column 'x': expected float, received float64 (narrowing to float32 loses precision)"
    ]


def test_int64_to_integer_only_when_values_fit() -> None:
    assert enforce_input(column([2**31 - 1], "int64"), one("integer"))["x"].dtype == np.int32
    assert problems(column([2**31], "int64"), one("integer")) == [
        "column 'x': expected integer, received int64 "
        "(values out of range for int32: row 0 holds 2147483648 (int))"
    ]


def test_uint64_to_long_only_when_values_fit() -> None:
    assert enforce_input(column([5], "uint64"), one("long"))["x"].tolist() == [5]
    assert "out of range" in problems(column([2**63], "uint64"), one("long"))[0]


def test_float_with_fractions_in_an_int_column_is_refused_with_an_example() -> None:
    assert problems(column([1.0, 3.5]), one("long")) == [
        "column 'x': expected long, received float64 "
        "(holds non-integer values: row 1 holds 3.5 (float))"
    ]


def test_whole_floats_in_a_required_int_column_are_refused_with_a_hint() -> None:
    assert "send integers" in problems(column([1.0, 2.0]), one("long"))[0]


def test_nan_in_a_required_int_column_says_what_to_do() -> None:
    assert problems(column([1.0, np.nan, np.nan]), one("long")) == [
        "column 'x': expected long, received float64 with 2 missing value(s) "
        "(integer columns cannot hold NaN: make the column optional or use a nullable "
        "Int64 column; rows [1, 2])"
    ]


def test_whole_floats_with_nan_in_an_optional_int_column_become_nullable_int64() -> None:
    out = enforce_input(column([1.0, np.nan]), one("long", required=False))
    assert str(out["x"].dtype) == "Int64"
    assert out["x"].isna().tolist() == [False, True]


def test_whole_floats_without_nan_in_an_optional_int_column_become_int64() -> None:
    out = enforce_input(column([1.0, 2.0]), one("long", required=False))
    assert out["x"].dtype == np.int64


def test_booleans_are_not_numbers_and_numbers_are_not_booleans() -> None:
    assert "booleans are not numbers" in problems(column([True]), one("long"))[0]
    assert "booleans are not numbers" in problems(column([True]), one("double"))[0]
    assert "numbers are not booleans" in problems(column([1]), one("boolean"))[0]


def test_strings_in_a_float_column_are_refused_with_an_example() -> None:
    assert problems(column(["1.5", "x"]), one("double")) == [
        "column 'x': expected double, received str (holds strings: row 0 holds '1.5' (str))"
    ]
    assert problems(column(["1.5"], "object"), one("double")) == [
        "column 'x': expected double, received object of str (row 0 holds '1.5' (str))"
    ]


def test_numbers_are_not_stringified() -> None:
    assert problems(column([1]), one("string")) == [
        "column 'x': expected string, received int64 "
        "(numbers and other values are not converted to strings)"
    ]


def test_object_string_column_must_really_hold_strings() -> None:
    assert problems(column(["a", 1], "object"), one("string")) == [
        "column 'x': expected string, received object of int, str (row 1 holds 1 (int))"
    ]


def test_pandas_str_and_object_string_columns_pass_unchanged() -> None:
    for df in (column(["a"]), column(["a"], "object"), column(["a"], "string")):
        assert enforce_input(df, one("string")) is df


def test_missing_strings_are_a_problem_only_in_required_columns() -> None:
    df = column(["a", None, "c", None])
    assert problems(df, one("string")) == [
        "column 'x': required but has 2 missing value(s) (rows [1, 3])"
    ]
    assert enforce_input(df, one("string", required=False)) is df


@pytest.mark.parametrize("dtype", ["Int8", "Int16", "Int32", "Int64", "UInt8", "UInt32"])
def test_nullable_ints_without_na_become_numpy_int64(dtype: str) -> None:
    out = enforce_input(column([1, 2], dtype), one("long"))
    assert out["x"].dtype == np.int64


def test_nullable_int64_with_na_in_a_required_column_is_refused() -> None:
    assert problems(column([1, None, 3, None], "Int64"), one("long")) == [
        "column 'x': required but has 2 missing value(s) (rows [1, 3])"
    ]


def test_nullable_int_with_na_in_an_optional_column_stays_nullable() -> None:
    out = enforce_input(column([1, None], "Int32"), one("long", required=False))
    assert str(out["x"].dtype) == "Int64"
    assert out["x"].tolist()[0] == 1 and out["x"].isna().tolist() == [False, True]


def test_nullable_int_with_na_to_optional_double_gets_nan() -> None:
    out = enforce_input(column([1, None], "Int64"), one("double", required=False))
    assert out["x"].dtype == np.float64 and np.isnan(out["x"].iloc[1])


def test_nullable_boolean() -> None:
    assert enforce_input(column([True, False], "boolean"), one("boolean"))["x"].dtype == bool
    out = enforce_input(column([True, None], "boolean"), one("boolean", required=False))
    assert str(out["x"].dtype) == "boolean"
    assert "1 missing value(s)" in problems(column([True, None], "boolean"), one("boolean"))[0]


def test_nullable_float64_to_double() -> None:
    assert enforce_input(column([0.5], "Float64"), one("double"))["x"].dtype == np.float64


def test_object_ints_with_none_in_an_optional_long_column_become_int64() -> None:
    out = enforce_input(column([1, None], "object"), one("long", required=False))
    assert str(out["x"].dtype) == "Int64"


def test_nan_in_a_float_column_is_a_value_not_a_missing_value() -> None:
    df = column([1.0, np.nan])
    assert enforce_input(df, one("double")) is df


def test_decimals_become_doubles_as_in_mlflow() -> None:
    out = enforce_input(column([decimal.Decimal("1.5")], "object"), one("double"))
    assert out["x"].tolist() == [1.5]


def test_binary_takes_bytes_not_strings() -> None:
    df = column([b"\x00"], "object")
    assert enforce_input(df, one("binary")) is df
    assert "encode the strings" in problems(column(["a"]), one("binary"))[0]


def test_datetime_any_unit_becomes_nanoseconds() -> None:
    df = column(np.array(["2024-01-01"], dtype="datetime64[s]"))
    assert enforce_input(df, one("datetime"))["x"].dtype == np.dtype("datetime64[ns]")


def test_datetime_iso_strings_are_parsed_and_bad_ones_reported() -> None:
    out = enforce_input(column(["2024-01-01T10:00:00"]), one("datetime"))
    assert out["x"].tolist() == [pd.Timestamp("2024-01-01T10:00:00")]
    assert problems(column(["2024-01-01", "tomorrow"]), one("datetime")) == [
        "column 'x': expected datetime, received str "
        "(not ISO 8601 dates: row 1 holds 'tomorrow' (str); rows [1])"
    ]


def test_datetime_and_date_objects_become_datetime64() -> None:
    values = [pd.Timestamp("2024-01-01"), dt.date(2024, 1, 2), None]
    out = enforce_input(column(values, "object"), one("datetime", required=False))
    assert out["x"].dtype == np.dtype("datetime64[ns]")
    assert out["x"].tolist()[:2] == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")]


def test_timezone_aware_datetimes_are_refused() -> None:
    df = column(pd.to_datetime(["2024-01-01"]).tz_localize("UTC"))
    assert "time-zone-aware" in problems(df, one("datetime"))[0]
    assert "time-zone-aware" in problems(column(["2024-01-01T00:00:00Z"]), one("datetime"))[0]


def test_nat_in_a_required_datetime_column_is_a_missing_value() -> None:
    df = column(pd.to_datetime(["2024-01-01", None]))
    assert "1 missing value(s)" in problems(df, one("datetime"))[0]
    assert enforce_input(df, one("datetime", required=False))["x"].isna().tolist() == [False, True]


def test_other_dtypes_are_refused_by_name() -> None:
    assert problems(column(["a"], "category"), one("string")) == [
        "column 'x': expected string, received category"
    ]


def test_a_string_deep_in_a_double_column_names_its_row_value_and_type() -> None:
    values: list[Any] = [float(i) for i in range(10_000)]
    values[4817] = "abc"
    assert problems(column(values, "object"), one("double")) == [
        "column 'x': expected double, received object of float, str (row 4817 holds 'abc' (str))"
    ]


@pytest.mark.parametrize(
    ("values", "dtype", "target", "held"),
    [
        ([1, 2, 3, 2**40], "object", "integer", "row 3 holds 1099511627776 (int)"),
        ([1.0, 2.0, 2.5], None, "long", "row 2 holds 2.5 (float)"),
        ([1, 2**31], "int64", "integer", "row 1 holds 2147483648 (int)"),
        ([1, 2**60], "int64", "float", "row 1 holds 1152921504606846976 (int)"),
        (["a", "b", 3], "object", "string", "row 2 holds 3 (int)"),
        (["a", "b", 3], "object", "binary", "row 0 holds 'a' (str)"),
        (["2024-01-01", "2024-01-02", "soon"], None, "datetime", "row 2 holds 'soon' (str)"),
        ([1.0, 2.0, "x"], "object", "boolean", "row 0 holds 1.0 (float)"),
    ],
)
def test_every_column_type_names_the_first_bad_row_value_and_type(
    values: list[Any], dtype: str | None, target: str, held: str
) -> None:
    [message] = problems(column(values, dtype), one(target))
    assert held in message, message


def test_uint64_beyond_int64_is_refused_for_long_on_every_path() -> None:
    big = 2**63 + 5
    inputs: list[Any] = [
        column([big], "uint64"),
        column([big], "UInt64"),
        column([big], "object"),
        {"x": [big]},
        {"x": np.array([big], dtype=np.uint64)},
        [big],
        [{"x": big}],
        np.uint64(big),
    ]
    for data in inputs:
        [message] = problems(data, one("long"))
        assert "out of range" in message and str(big) in message, (data, message)
