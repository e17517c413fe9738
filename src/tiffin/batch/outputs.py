"""What a chunk's output holds: the model's predictions as Arrow columns, named as Spark would.

A batch user gets one row out per row in, in the same order, so the output can be joined back
to the input by position (or carries the input with ``keep_columns``). The columns:

* a 1-D result (ndarray, Series, list): one column ``prediction`` (the name
  ``mlflow.pyfunc.spark_udf`` users give the column they add);
* a 2-D ndarray (e.g. ``predict_proba``): ``prediction_0`` .. ``prediction_{k-1}``;
* a DataFrame or a dict of columns: its own column names.

The *kind* (``column``, ``matrix`` or ``frame``) tells the JSON writer how MLflow would have
encoded the same result (a list of values, of lists, or of records). With ``keep_columns`` the
input columns come first and a clash with a prediction column's name is refused, never
overwritten.

Example:
    >>> import numpy as np
    >>> table, kind = prediction_table(np.array([0, 1]), 2)
    >>> table.column_names, kind
    (['prediction'], 'column')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from tiffin.batch.arrow_types import arrow_type
from tiffin.errors import AlreadyExistsError, TiffinError
from tiffin.format.schema import ColSpec, Schema, TensorSpec

__all__ = ["PREDICTION", "empty_predictions", "prediction_table", "with_inputs"]

PREDICTION = "prediction"


def _matrix(result: np.ndarray) -> pa.Table:
    return pa.table({f"{PREDICTION}_{i}": result[:, i] for i in range(result.shape[1])})


def _frame(result: pd.DataFrame) -> pa.Table:
    frame = result.rename(columns=str) if any(not isinstance(c, str) for c in result) else result
    return pa.Table.from_pandas(frame, preserve_index=False)


def _convert(result: Any) -> tuple[pa.Table, str]:
    if isinstance(result, pd.DataFrame):
        return _frame(result), "frame"
    if isinstance(result, pd.Series):
        return pa.table({PREDICTION: pa.Array.from_pandas(result)}), "column"
    if isinstance(result, Mapping):
        return _frame(pd.DataFrame({str(k): np.asarray(v) for k, v in result.items()})), "frame"
    if isinstance(result, np.ndarray) and result.ndim == 2:
        return _matrix(result), "matrix"
    if isinstance(result, np.ndarray) and result.ndim == 1:
        return pa.table({PREDICTION: result}), "column"
    if isinstance(result, list | tuple | np.ndarray) and np.ndim(result) >= 1:
        values = result.tolist() if isinstance(result, np.ndarray) else list(result)
        return pa.table({PREDICTION: pa.array(values)}), "column"
    raise TiffinError(
        f"the model returned a {type(result).__name__}, not one prediction per row; "
        "batch prediction needs an array, Series, list, DataFrame or dict of columns"
    )


def prediction_table(result: Any, n_rows: int | None) -> tuple[pa.Table, str]:
    """The predictions for ``n_rows`` input rows as a table, and their kind.

    ``n_rows=None`` skips the length check (a whole-file result has no rows to align with).

    Raises:
        TiffinError: the result is not one value (or row) per input row.

    Example:
        >>> prediction_table(np.zeros((2, 3)), 2)[0].column_names
        ['prediction_0', 'prediction_1', 'prediction_2']
    """
    table, kind = _convert(result)
    if n_rows is not None and table.num_rows != n_rows:
        raise TiffinError(
            f"the model returned {table.num_rows} predictions for {n_rows} rows; batch "
            "prediction writes one output row per input row"
        )
    return table, kind


def with_inputs(inputs: pa.Table, predictions: pa.Table) -> pa.Table:
    """The input columns, then the prediction columns (``--keep-columns``).

    Raises:
        AlreadyExistsError: an input column has a prediction column's name.

    Example:
        >>> with_inputs(pa.table({"x": [1]}), pa.table({"prediction": [0]})).column_names
        ['x', 'prediction']
    """
    clash = sorted(set(inputs.column_names) & set(predictions.column_names))
    if clash:
        raise AlreadyExistsError(
            f"the input already has column(s) {clash[:5]}, which the predictions would overwrite;"
            " rename them or drop --keep-columns"
        )
    out = inputs
    for name, column in zip(predictions.column_names, predictions.columns, strict=True):
        out = out.append_column(name, column)
    return out


def _arrow_type(spec: ColSpec | TensorSpec) -> Any:
    found = arrow_type(spec)
    return pa.null() if found is None else found


def empty_predictions(outputs: Schema | None) -> tuple[pa.Table, str]:
    """The output of a file with no rows: typed from the signature's outputs when it has them.

    The model is not called (scikit-learn refuses zero rows); the columns a non-empty file
    would have produced are guessed from the signature, else one untyped ``prediction``.

    Example:
        >>> empty_predictions(Schema([TensorSpec("int64", (-1,))]))[0].schema.types
        [DataType(int64)]
    """
    specs = outputs.specs if outputs is not None else ()
    if len(specs) == 1 and specs[0].name is None:
        spec = specs[0]
        shape = spec.shape if isinstance(spec, TensorSpec) else (-1,)
        if len(shape) == 2 and shape[1] > 0:
            fields = [(f"{PREDICTION}_{i}", _arrow_type(spec)) for i in range(shape[1])]
            return pa.schema(fields).empty_table(), "matrix"
        return pa.schema([(PREDICTION, _arrow_type(spec))]).empty_table(), "column"
    if specs and all(isinstance(s.name, str) for s in specs):
        return pa.schema([(str(s.name), _arrow_type(s)) for s in specs]).empty_table(), "frame"
    return pa.schema([(PREDICTION, pa.null())]).empty_table(), "column"
