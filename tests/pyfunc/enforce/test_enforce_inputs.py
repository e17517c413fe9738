"""Matching the input's shape and column names to a column schema, and the error it raises."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tiffin.errors import SchemaError
from tiffin.format.schema import ColSpec, Schema
from tiffin.pyfunc.enforce import MAX_LISTED, InputSchemaError, Problem, enforce_input

PEOPLE = Schema(
    [ColSpec("long", "age"), ColSpec("string", "city"), ColSpec("double", "score", required=False)]
)
UNNAMED = Schema([ColSpec("double"), ColSpec("long")])


def problems(data: Any, schema: Schema = PEOPLE) -> list[str]:
    with pytest.raises(InputSchemaError) as info:
        enforce_input(data, schema)
    return [p.describe() for p in info.value.problems]


def test_every_problem_is_reported_at_once_in_schema_order_then_extras() -> None:
    df = pd.DataFrame({"zzz": [1], "age": [3.5]})
    with pytest.raises(InputSchemaError) as info:
        enforce_input(df, PEOPLE)
    assert str(info.value) == (
        "input does not match the model signature (3 problems):\n"
        "- column 'age': expected long, received float64 "
        "(holds non-integer values: row 0 holds 3.5 (float))\n"
        "- column 'city': missing (required)\n"
        "- column 'zzz': not in the signature (extra)"
    )
    assert info.value.problems[1] == Problem("city", "string", "", "missing (required)")


def test_the_error_is_a_schema_error_and_a_value_error() -> None:
    with pytest.raises(SchemaError) as info:
        enforce_input({"age": 1}, PEOPLE)
    assert isinstance(info.value, ValueError)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def test_missing_optional_columns_are_omitted_not_added() -> None:
    out = enforce_input(pd.DataFrame({"city": ["Pune"], "age": [31]}), PEOPLE)
    assert out.columns.tolist() == ["age", "city"]


def test_extra_columns_are_refused_not_dropped() -> None:
    df = pd.DataFrame({"age": [1], "city": ["a"], "note": ["x"]})
    assert problems(df) == ["column 'note': not in the signature (extra)"]


def test_duplicate_columns_are_refused() -> None:
    df = pd.DataFrame([[1, 2, "a"]], columns=["age", "age", "city"])
    assert problems(df) == ["column 'age': appears 2 times"]


def test_output_is_in_schema_order_and_keeps_the_index() -> None:
    df = pd.DataFrame({"score": [0.5, 1.5], "city": ["a", "b"], "age": [1, 2]}, index=[7, 9])
    out = enforce_input(df, PEOPLE)
    assert out.columns.tolist() == ["age", "city", "score"]
    assert out.index.tolist() == [7, 9]
    assert df.columns.tolist() == ["score", "city", "age"]


def test_numbered_columns_get_a_hint_to_name_them() -> None:
    found = problems(pd.DataFrame([[1, "a"]]))
    assert "the input's columns are unnamed (0..n-1): name them" in found[-1]


def test_dict_of_scalars_is_one_row() -> None:
    out = enforce_input({"age": 31, "city": "Pune"}, PEOPLE)
    assert out.to_dict("records") == [{"age": 31, "city": "Pune"}]


def test_dict_of_lists_is_columns() -> None:
    out = enforce_input({"age": [1, 2], "city": np.array(["a", "b"], dtype=object)}, PEOPLE)
    assert out["age"].tolist() == [1, 2]


def test_dict_mixing_scalars_and_lists_is_refused() -> None:
    assert "not a mix" in problems({"age": [1, 2], "city": "a"})[0]


def test_dict_of_columns_with_different_lengths_is_refused() -> None:
    assert "different lengths (age: 2, city: 1)" in problems({"age": [1, 2], "city": ["a"]})[0]


def test_list_of_dicts_is_records() -> None:
    out = enforce_input([{"age": 1, "city": "a"}, {"age": 2, "city": "b", "score": 0.5}], PEOPLE)
    assert out["score"].isna().tolist() == [True, False]


def test_2d_array_is_matched_by_position_only_at_full_width() -> None:
    schema = Schema([ColSpec("double", "a"), ColSpec("double", "b")])
    out = enforce_input(np.ones((2, 2)), schema)
    assert out.columns.tolist() == ["a", "b"]
    assert problems(np.ones((2, 3)), schema) == [
        "input: expected 2 column(s), received 3 unnamed column(s) (unnamed data (a scalar, "
        "list or array) is matched to the signature by position; pass a DataFrame or a dict "
        "keyed by column name)"
    ]


def test_list_of_rows_is_matched_by_position() -> None:
    schema = Schema([ColSpec("long", "a"), ColSpec("string", "b")])
    assert enforce_input([[1, "x"], [2, "y"]], schema)["b"].tolist() == ["x", "y"]
    assert "rows have different lengths" in problems([[1, "x"], [2]], schema)[0]


def test_scalars_and_1d_data_fit_a_single_column_schema() -> None:
    schema = Schema([ColSpec("double", "x")])
    assert enforce_input(2.5, schema)["x"].tolist() == [2.5]
    assert enforce_input([1.5, 2.5], schema)["x"].tolist() == [1.5, 2.5]
    assert enforce_input(np.array([1.5]), schema)["x"].tolist() == [1.5]
    assert "1 unnamed column(s)" in problems(2.5)[0]


def test_series_is_one_column_named_by_the_series() -> None:
    schema = Schema([ColSpec("double", "x")])
    assert enforce_input(pd.Series([1.0], name="x"), schema)["x"].tolist() == [1.0]
    assert enforce_input(pd.Series([1.0]), schema)["x"].tolist() == [1.0]
    assert problems(pd.Series([1.0], name="y"), schema)[0] == "column 'x': missing (required)"


def test_unnamed_schema_matches_by_position_and_checks_the_count() -> None:
    out = enforce_input(pd.DataFrame({"p": [0.5], "q": np.array([1], dtype="int32")}), UNNAMED)
    assert out.columns.tolist() == ["p", "q"] and out["q"].dtype == np.int64
    assert problems(pd.DataFrame([[0.5, 1, 2]]), UNNAMED)[0].startswith(
        "input: expected 2 column(s), received 3 column(s)"
    )
    assert problems(pd.DataFrame([["a", 1]]), UNNAMED) == [
        "column 0: expected double, received str (holds strings: row 0 holds 'a' (str))"
    ]


def test_empty_and_unsupported_inputs_are_refused() -> None:
    assert problems({}) == ["input: the input is empty"]
    assert problems([]) == ["input: the input is empty"]
    assert problems({1, 2})[0].startswith("input: expected a DataFrame")


def test_user_data_in_messages_is_cut_short() -> None:
    name = "n" * 10_000
    with pytest.raises(InputSchemaError) as info:
        enforce_input({name: 1}, PEOPLE)
    message = str(info.value)
    assert len(message) < 400
    assert "nnnn..." in message


def test_long_problem_lists_are_summarised_in_the_message_but_kept_as_data() -> None:
    df = pd.DataFrame({f"extra{i}": [1] for i in range(MAX_LISTED + 5)})
    with pytest.raises(InputSchemaError) as info:
        enforce_input(df, PEOPLE)
    assert len(info.value.problems) == MAX_LISTED + 7
    assert str(info.value).endswith("- ... and 7 more (see the error's `problems`)")
