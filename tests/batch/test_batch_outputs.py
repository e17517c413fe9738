"""Output columns: named as a Spark user expects, one row per input row, inputs never clobbered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tiffin.batch.outputs import empty_predictions, prediction_table, with_inputs
from tiffin.errors import AlreadyExistsError, TiffinError
from tiffin.format.schema import ColSpec, Schema, TensorSpec


@pytest.mark.parametrize(
    ("result", "columns", "kind"),
    [
        (np.array([1, 0]), ["prediction"], "column"),
        (pd.Series([1, 0], name="label"), ["prediction"], "column"),
        (["a", "b"], ["prediction"], "column"),
        (np.zeros((2, 2)), ["prediction_0", "prediction_1"], "matrix"),
        (pd.DataFrame({"p": [1, 2], 3: [0, 1]}), ["p", "3"], "frame"),
        ({"p": [1, 2], "q": np.array([0.5, 0.5])}, ["p", "q"], "frame"),
    ],
)
def test_each_result_shape_has_its_columns(result: object, columns: list[str], kind: str) -> None:
    table, got_kind = prediction_table(result, 2)
    assert table.column_names == columns and got_kind == kind and table.num_rows == 2


def test_a_result_that_does_not_align_with_the_rows_is_refused() -> None:
    with pytest.raises(TiffinError, match="returned 1 predictions for 2 rows"):
        prediction_table(np.array([1]), 2)
    with pytest.raises(TiffinError, match="not one prediction per row"):
        prediction_table(3.5, 1)


def test_with_inputs_refuses_to_overwrite_an_input_column() -> None:
    with pytest.raises(AlreadyExistsError, match="prediction"):
        with_inputs(pa.table({"prediction": [1]}), pa.table({"prediction": [0]}))


def test_empty_predictions_follow_the_output_signature() -> None:
    assert empty_predictions(None)[0].schema.types == [pa.null()]
    table, kind = empty_predictions(Schema([TensorSpec("float64", (-1, 3))]))
    assert kind == "matrix" and table.column_names == [f"prediction_{i}" for i in range(3)]
    table, kind = empty_predictions(Schema([ColSpec("string", "label"), ColSpec("double", "p")]))
    assert kind == "frame" and table.schema.types == [pa.string(), pa.float64()]
    assert empty_predictions(Schema([ColSpec("long")]))[0].schema.types == [pa.int64()]
