"""Array, object, map and any columns: every cell is checked recursively."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tiffin.format.schema import ColSpec, Schema
from tiffin.format.types import AnyType, Array, DataType, Map, Object, Property
from tiffin.pyfunc.enforce import InputSchemaError, enforce_input

PERSON = Object((Property("n", DataType.long), Property("nick", DataType.string, False)))


def one(vtype: Any, required: bool = True) -> Schema:
    return Schema([ColSpec(vtype, "x", required=required)])


def problems(data: Any, schema: Schema) -> list[str]:
    with pytest.raises(InputSchemaError) as info:
        enforce_input(data, schema)
    return [p.describe() for p in info.value.problems]


def test_array_cells_are_converted_element_by_element() -> None:
    out = enforce_input(pd.DataFrame({"x": [[1, 2], []]}), one(Array(DataType.double)))
    assert out["x"].tolist() == [[1.0, 2.0], []]


def test_array_cells_keep_numpy_arrays_as_arrays() -> None:
    out = enforce_input({"x": np.array([1, 2])}, one(Array(DataType.long)))
    assert isinstance(out["x"].iloc[0], np.ndarray)


def test_bad_array_elements_name_row_and_item() -> None:
    df = pd.DataFrame({"x": [["a"], ["b", 1, None], "c"]})
    assert problems(df, one(Array(DataType.string))) == [
        "column 'x' at row 1, item 1: expected string, received int (1)",
        "column 'x' at row 1, item 2: missing (null)",
        "column 'x' at row 2: expected array<string>, received str (expected a list)",
    ]


def test_object_cells_missing_required_and_unknown_properties() -> None:
    df = pd.DataFrame({"x": [{"n": 1}, {"nick": "a", "q": 2}, {"n": "1"}]})
    assert problems(df, one(PERSON)) == [
        "column 'x' at row 1, property 'n': missing (required)",
        "column 'x' at row 1, property 'q': not in the schema (unknown property)",
        "column 'x' at row 2, property 'n': expected long, received str ('1')",
    ]


def test_object_cells_convert_values_and_allow_absent_optional_properties() -> None:
    schema = one(Object((Property("d", DataType.double), Property("s", DataType.string, False))))
    out = enforce_input([{"x": {"d": 1}}], schema)
    assert out["x"].tolist() == [{"d": 1.0}]


def test_map_keys_must_be_strings() -> None:
    assert problems(pd.DataFrame({"x": [{1: 2.0}]}), one(Map(DataType.double))) == [
        "column 'x' at row 0: map keys must be strings; found int key 1"
    ]


def test_map_values_are_checked() -> None:
    out = enforce_input({"x": {"a": 1, "b": 2.5}}, one(Map(DataType.double)))
    assert out["x"].tolist() == [{"a": 1.0, "b": 2.5}]
    assert (
        "key 'b': expected double, received str"
        in problems({"x": {"b": "z"}}, one(Map(DataType.double)))[0]
    )


def test_nested_types_report_the_full_path() -> None:
    schema = one(Array(Object((Property("tags", Array(DataType.string)),))))
    found = problems({"x": [{"tags": ["a", 2]}]}, schema)
    assert found == [
        "column 'x' at row 0, item 0, property 'tags', item 1: expected string, received int (2)"
    ]


def test_missing_cells_are_a_problem_only_in_required_columns() -> None:
    df = pd.DataFrame({"x": [["a"], None]})
    assert problems(df, one(Array(DataType.string))) == [
        "column 'x': required but has 1 missing value(s) (rows [1])"
    ]
    assert enforce_input(df, one(Array(DataType.string), False))["x"].tolist() == [["a"], None]


def test_any_columns_are_not_checked() -> None:
    df = pd.DataFrame({"x": [1, "a", None]})
    assert enforce_input(df, one(AnyType())) is df


def test_a_list_is_a_column_of_cells_for_a_single_composite_column() -> None:
    out = enforce_input([["a"], ["b", "c"]], one(Array(DataType.string)))
    assert out["x"].tolist() == [["a"], ["b", "c"]]


def test_a_dict_is_one_row_when_the_schema_has_composite_columns() -> None:
    schema = Schema([ColSpec(Array(DataType.long), "ids"), ColSpec("string", "who")])
    out = enforce_input({"ids": [1, 2], "who": "me"}, schema)
    assert out.to_dict("records") == [{"ids": [1, 2], "who": "me"}]


def test_per_column_issues_are_capped() -> None:
    df = pd.DataFrame({"x": [["a", *range(30)]]})
    assert len(problems(df, one(Array(DataType.string)))) == 10
