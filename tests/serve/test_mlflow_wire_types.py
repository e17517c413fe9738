"""Reading JSON/CSV numbers and nulls as the signature declares, losing nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tiffin.format.schema import ColSpec, Schema
from tiffin.pyfunc.enforce import InputSchemaError
from tiffin.serve.mlflow.wire_types import read_as_declared

SCHEMA = Schema(
    [
        ColSpec("double", "d"),
        ColSpec("float", "f"),
        ColSpec("long", "n"),
        ColSpec("double", "opt", required=False),
    ]
)


def test_whole_floats_become_ints_and_doubles_become_float32() -> None:
    frame = pd.DataFrame({"d": [1.5, 2.0], "f": [0.1, 3.0], "n": [3.0, -4.0], "opt": [1.0, None]})
    out = read_as_declared(frame, SCHEMA)
    assert out["n"].dtype == np.int64 and out["n"].tolist() == [3, -4]
    assert out["f"].dtype == np.float32
    assert out["d"].dtype == np.float64 and np.isnan(out["opt"][1])
    assert frame["n"].dtype == np.float64  # the caller's frame is not changed


@pytest.mark.parametrize(
    "column, values",
    [
        ("n", [1.5, 2.0]),  # not whole: enforcement refuses it with its own message
        ("n", [2.0**60, 1.0]),  # beyond 2**53 a float is no longer the integer that was sent
        ("f", [1e300, 1.0]),  # out of float32's range
    ],
)
def test_lossy_readings_are_left_for_enforcement(column: str, values: list[float]) -> None:
    frame = pd.DataFrame({"d": [1.0, 2.0], "f": [1.0, 2.0], "n": [1.0, 2.0]}).assign(
        **{column: values}
    )
    assert read_as_declared(frame, SCHEMA)[column].dtype == np.float64


def test_null_in_a_required_float_column_names_column_and_rows() -> None:
    frame = pd.DataFrame({"d": [1.0, None, None], "f": [1.0, 2.0, 3.0], "n": [1, 2, 3]})
    with pytest.raises(InputSchemaError, match=r"'d'.*required but has 2 null") as error:
        read_as_declared(frame, SCHEMA)
    assert [p.field for p in error.value.problems] == ["d"]


def test_frames_already_typed_are_returned_as_they_are() -> None:
    frame = pd.DataFrame({"d": [1.0], "f": np.array([1.0], dtype=np.float32), "n": [1]})
    assert read_as_declared(frame, SCHEMA) is frame
    assert read_as_declared(frame, None) is frame
    assert read_as_declared(frame.to_numpy()[:0], None).shape == (0, 3)


BINARY = Schema([ColSpec("binary", "b"), ColSpec("long", "n")])


def test_base64_text_in_a_binary_column_is_decoded_with_or_without_line_breaks() -> None:
    frame = pd.DataFrame({"b": ["aGVsbG8=\n", "AAFhYmM=", None], "n": [1, 2, 3]})
    out = read_as_declared(frame, Schema([ColSpec("binary", "b", required=False), BINARY.specs[1]]))
    assert out["b"].tolist() == [b"hello", b"\x00\x01abc", None]
    assert frame["b"].tolist()[0] == "aGVsbG8=\n"  # the caller's frame is not changed


def test_text_that_is_not_base64_names_the_column_and_the_row() -> None:
    frame = pd.DataFrame({"b": ["aGk=", "aGk=", "hello!"], "n": [1, 2, 3]}, index=[10, 11, 12])
    with pytest.raises(InputSchemaError) as info:
        read_as_declared(frame, BINARY)
    assert info.value.problems[0].describe() == (
        "column 'b': expected binary, received str "
        "(binary columns take base64 text; row 12 holds 'hello!' (str))"
    )


def test_a_dict_of_columns_is_read_like_a_frame() -> None:
    out = read_as_declared({"b": ["aGk="], "n": [2.0]}, BINARY)
    assert out["b"].tolist() == [b"hi"]
    assert out["n"].dtype == np.int64 and out["n"].tolist() == [2]
    with pytest.raises(InputSchemaError, match="not base64|base64 text"):
        read_as_declared({"b": "%%%", "n": 1}, BINARY)
