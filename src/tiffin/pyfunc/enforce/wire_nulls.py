"""Missing values in data decoded from JSON, CSV or JSON Lines: the one rule server and batch share.

JSON has no NaN and CSV has no null, so a NaN in a float column decoded from them can only be
a missing value: a JSON ``null``, a record without the key, an empty CSV cell. In a *required*
``float``/``double`` column that is refused, naming the column and the rows, before the model
sees it (in-process, a NaN the caller put in a frame is the caller's and passes, as in MLflow).
The server applies the rule to JSON and CSV bodies (:mod:`tiffin.serve.mlflow.wire_types`), batch
prediction to CSV and JSON Lines pieces (:mod:`tiffin.batch.run`), so ``tiffin models predict``
and ``/invocations`` give the same answer for the same rows. Other required columns with
missing values are refused by enforcement itself, alike everywhere.

Example:
    >>> import pandas as pd
    >>> from tiffin.format.schema import ColSpec, Schema
    >>> schema = Schema([ColSpec("double", "x"), ColSpec("double", "y", required=False)])
    >>> frame = pd.DataFrame({"x": [1.0, None], "y": [None, 2.0]})
    >>> try:
    ...     refuse_wire_nulls(frame, schema)
    ... except InputSchemaError as e:
    ...     print(str(e).splitlines()[1])
    - column 'x': expected double, received null (required but has 1 null(s) (rows [1]))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tiffin.format.schema import ColSpec, Schema
from tiffin.format.types import DataType
from tiffin.pyfunc.enforce.frames import column_plan
from tiffin.pyfunc.enforce.problems import InputSchemaError, Problem, rows_detail

__all__ = ["FLOAT_TYPES", "null_problem", "refuse_wire_nulls", "required_floats"]

FLOAT_TYPES = (DataType.float, DataType.double)
"""The column types whose missing values a text format can only write as NaN."""


def required_floats(specs: Sequence[ColSpec]) -> list[ColSpec]:
    """The specs the rule covers: required ``float``/``double`` columns.

    Example:
        >>> [s.name for s in required_floats([ColSpec("double", "a"), ColSpec("long", "b")])]
        ['a']
    """
    return [s for s in specs if s.required and s.type in FLOAT_TYPES]


def null_problem(spec: ColSpec, missing: Any, index: Any) -> Problem | None:
    """The problem for a required column whose ``missing`` mask (over ``index``) has any True.

    Example:
        >>> null_problem(ColSpec("double", "x"), np.array([False]), [0]) is None
        True
    """
    if not missing.any():
        return None
    count = int(missing.sum())
    rows = rows_detail(np.asarray(index)[missing][:5].tolist(), count)
    expected = spec.type.value if isinstance(spec.type, DataType) else str(spec.type)
    return Problem(spec.name, expected, "null", f"required but has {count} null(s) ({rows})")


def refuse_wire_nulls(frame: Any, schema: Schema | None) -> None:
    """Refuse missing values in the required float columns of a frame decoded from text.

    Rows are named by ``frame.index``: the caller numbers them as they are in its input.

    Raises:
        InputSchemaError: naming each such column and its first rows (HTTP 400 on a server).

    Example:
        >>> refuse_wire_nulls(None, None)
    """
    import pandas as pd

    if schema is None or schema.is_tensor or not isinstance(frame, pd.DataFrame):
        return
    specs = [s for s in required_floats(column_plan(schema).specs) if s.name in frame.columns]
    problems = []
    for spec in specs:
        values = frame[spec.name]
        if not pd.api.types.is_float_dtype(values.dtype):
            continue  # not a float column: enforcement reports the type
        problem = null_problem(spec, values.isna().to_numpy(), frame.index)
        if problem is not None:
            problems.append(problem)
    if problems:
        raise InputSchemaError(problems)
