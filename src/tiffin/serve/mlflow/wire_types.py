"""What JSON and CSV cannot say, decided from the signature before strict enforcement.

A JSON number has no width and JSON has no NaN; CSV has neither types nor a null. So a frame
decoded from either holds ``float64`` for every number and NaN for every null or empty cell.
In-process, :func:`tiffin.pyfunc.enforce` rightly refuses ``float64`` for a ``float`` column
and ``3.0`` for a ``long`` one: the caller chose those dtypes. Over the wire the sender could
not choose, so this step reads the numbers the way the signature declares them, losing nothing:

* a ``float`` (float32) column takes ``float64`` values that are finite in float32's range
  (the rounding to float32 is what the model declared it wants);
* an ``integer``/``long`` column takes whole numbers written as floats (``3.0``; JSON Schema
  calls them integers) up to ``2**53``, beyond which a float no longer holds the exact integer;
* NaN in a *required* ``float``/``double`` column can only be a null or a missing cell (JSON
  cannot write NaN), so it is refused naming the column and rows, instead of reaching the model
  and failing there as a 500 (the rule batch prediction applies too:
  :mod:`tiffin.pyfunc.enforce.wire_nulls`);
* a ``binary`` column takes base64 text (JSON and CSV have no bytes; MLflow writes
  ``base64.encodebytes`` text in its examples and decodes it on ``dataframe_*`` requests), decoded
  by :func:`tiffin.format.base64_text.decode_base64_values`.

Input that is not a frame (``inputs`` as ``{"column": [values]}``, a list of rows) is first
made one the way enforcement would (:func:`tiffin.pyfunc.enforce.to_frame`), so every
JSON form is read alike.

Everything else is left to enforcement, which reports it with the usual messages.

Example:
    >>> import pandas as pd
    >>> from tiffin.format.schema import ColSpec, Schema
    >>> from tiffin.format.types import DataType
    >>> schema = Schema([ColSpec(DataType.long, "n")])
    >>> read_as_declared(pd.DataFrame({"n": [3.0, 4.0]}), schema)["n"].dtype
    dtype('int64')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tiffin.format.base64_text import Base64Error, decode_base64_values
from tiffin.format.schema import ColSpec, Schema
from tiffin.format.types import DataType
from tiffin.pyfunc.enforce import (
    InputSchemaError,
    Problem,
    column_plan,
    held_at,
    null_problem,
    required_floats,
    to_frame,
)
from tiffin.serve.mlflow.json_forms import FROM_NUMBERS

__all__ = ["read_as_declared"]

_EXACT_FLOAT_INT = 2.0**53
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_INTS = {DataType.long: np.int64, DataType.integer: np.int64}
_FLOATS = (DataType.float, DataType.double)
_WIRE_TYPES = (*_FLOATS, *_INTS)


def read_as_declared(frame: Any, schema: Schema | None) -> Any:
    """``frame`` with wire-typed columns read as the signature declares (see module doc).

    Returns the same object when nothing needs reading differently. Costs about 30-40 us on a
    20-column row: the dtypes are read once, a frame of float64 columns is one numpy block,
    and the per-schema plan is computed once.

    Raises:
        InputSchemaError: a required float column holds nulls, or a binary column holds text
            that is not base64 (HTTP 400, naming the column and row).

    Example:
        >>> read_as_declared(frame, None) is frame  # doctest: +SKIP
        True
    """
    import pandas as pd

    if schema is None or schema.is_tensor:
        return frame
    if not isinstance(frame, pd.DataFrame):
        # what enforcement would build first anyway: then a dict or list of columns is read
        # the same way as a frame (``{"inputs": {"n": [2.0]}}`` for a long column)
        plan = column_plan(schema)
        frame = to_frame(frame, plan.names, len(plan.specs), plan.composite)
    if frame.attrs.get(FROM_NUMBERS) == "f" and _only_doubles(schema):
        return frame  # all floats, no null: nothing to read differently
    frame = _binary_in_frame(frame, schema)
    dtypes = frame.dtypes.tolist()
    position = {name: i for i, name in enumerate(frame.columns.tolist())}
    wire = [(position[s.name], s) for s in _plan(schema)
            if s.name in position and dtypes[position[s.name]] == _FLOAT64]  # fmt: skip
    if not wire:
        return frame
    block = frame.to_numpy() if all(dt == _FLOAT64 for dt in dtypes) else None
    changes: dict[Any, Any] = {}
    problems: list[Problem] = []
    required = [(i, s) for i, s in wire if required_floats([s])]
    if required:  # the common case, checked for all columns in one numpy call
        values = block if block is not None else frame.iloc[:, [i for i, _ in required]]
        at = [i for i, _ in required] if block is not None else list(range(len(required)))
        nulls = np.isnan(np.asarray(values)[:, at])
        if nulls.any():
            for column, (_, spec) in enumerate(required):
                problem = null_problem(spec, nulls[:, column], frame.index)
                if problem is not None:
                    problems.append(problem)
    for i, spec in wire:
        if spec.required and spec.type is DataType.double:
            continue  # checked above, nothing to convert
        values = block[:, i] if block is not None else frame.iloc[:, i].to_numpy()
        if spec.type is DataType.float:
            if not problems and _fits_float32(values, np.isnan(values)):
                changes[spec.name] = values.astype(np.float32)
        elif spec.type in _INTS and _whole_and_exact(values):
            changes[spec.name] = values.astype(np.int64)
    if problems:
        raise InputSchemaError(problems)
    if not changes:
        return frame
    out = frame.copy(deep=False)
    for name, values in changes.items():
        out[name] = values
    return out


_FLOAT64 = np.dtype(np.float64)


def _binary_names(schema: Schema) -> list[str | int]:
    specs = column_plan(schema).specs
    return [s.name for s in specs if s.type is DataType.binary and s.name is not None]


def _decoded(values: Any, name: str | int, labels: Any) -> Any:
    """The column's values as bytes (an object array), or the problem naming the bad row."""
    try:
        decoded = decode_base64_values(values)
    except Base64Error as e:
        row = labels[e.position] if labels is not None else e.position
        detail = f"binary columns take base64 text; {held_at(row, e.value)}"
        raise InputSchemaError([Problem(name, "binary", type(e.value).__name__, detail)]) from None
    out = np.empty(len(decoded), dtype=object)
    out[:] = decoded
    return out


def _binary_in_frame(frame: Any, schema: Schema) -> Any:
    names = [n for n in _binary_names(schema) if n in frame.columns]
    texts = [n for n in names if frame[n].dtype != _FLOAT64 or frame[n].notna().any()]
    if not texts:
        return frame
    out = frame.copy(deep=False)
    for name in texts:
        out[name] = _decoded(frame[name].tolist(), name, frame.index)
    return out


def _only_doubles(schema: Schema) -> bool:
    return all(s.type is DataType.double for s in _plan(schema))


def _plan(schema: Schema) -> list[ColSpec]:
    """The columns whose wire form may need reading: float, double, integer and long."""
    return [s for s in column_plan(schema).specs if s.type in _WIRE_TYPES]


def _fits_float32(values: Any, missing: Any) -> bool:
    finite = values[~missing]
    return bool(np.isfinite(finite).all() and (np.abs(finite) <= _FLOAT32_MAX).all())


def _whole_and_exact(values: Any) -> bool:
    if not values.size:
        return True
    with np.errstate(invalid="ignore"):
        return bool(
            np.isfinite(values).all()
            and (values == np.trunc(values)).all()
            and (np.abs(values) <= _EXACT_FLOAT_INT).all()
        )
