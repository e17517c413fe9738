"""Turning whatever a caller passed into a DataFrame for a column schema.

Accepted shapes, and how they map to columns:

* ``DataFrame``: as is. ``Series``: one column, named by the Series (an unnamed Series is matched
  by position, like a 1-D array).
* ``dict``: one row when every value is a scalar, or when the schema has array/object/map/any
  columns (a list value is then a cell, not a column: MLflow's rule, extended to maps); otherwise
  every value must be a 1-D list/array/Series, all of one length, and each is a column. A dict
  mixing scalars and lists is refused rather than broadcast.
* list of dicts: records, one row each. A structured numpy array: named columns.
* Unnamed data (a scalar, a list of scalars, a 1-D or 2-D array, a list of rows) carries no
  column names, so it is matched to the signature **by position**, and only when its width equals
  the signature's column count, optional columns included. Anything else is ambiguous and refused.
  A schema with a single array/object/map column reads a list as a column of cells.

Example:
    >>> to_frame({"a": 1, "b": "x"}, ("a", "b"), 2, False).shape
    (1, 2)
    >>> to_frame([[1, 2], [3, 4]], ("a", "b"), 2, False).columns.tolist()
    ['a', 'b']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tiffin.pyfunc.enforce.problems import InputSchemaError, Problem

__all__ = ["to_frame"]

_SEQUENCES = (list, tuple, np.ndarray, pd.Series)


def _fail(detail: str, expected: str = "", received: str = "") -> InputSchemaError:
    return InputSchemaError([Problem(None, expected, received, detail, kind="input")])


def to_frame(data: Any, names: tuple[str | int, ...] | None, count: int, composite: bool) -> Any:
    """Build the DataFrame that ``data`` stands for (see the module docstring).

    Args:
        data: Anything but a DataFrame.
        names: The signature's column names, or ``None`` for an unnamed schema.
        count: The signature's column count.
        composite: Whether the schema has array/object/map/any columns.

    Raises:
        InputSchemaError: when the input's shape cannot be matched to the signature.

    Example:
        >>> to_frame([{"a": 1}, {"a": 2}], ("a",), 1, False)["a"].tolist()
        [1, 2]
    """
    if isinstance(data, pd.Series):
        if data.name is not None and names is not None:
            return data.to_frame()
        return _positional(pd.DataFrame({0: data.array}, index=data.index), names, count)
    if isinstance(data, Mapping):
        return _from_dict(data, composite)
    if isinstance(data, np.ndarray):
        return _from_array(data, names, count, composite)
    if isinstance(data, list | tuple):
        return _from_list(list(data), names, count, composite)
    if pd.api.types.is_scalar(data) and data is not None:
        return _positional(pd.DataFrame({0: [data]}), names, count)
    expected = "a DataFrame, Series, dict, list of dicts, list, numpy array or scalar"
    raise _fail("unsupported input type", expected, type(data).__name__)


def _positional(frame: Any, names: tuple[str | int, ...] | None, count: int) -> Any:
    width = frame.shape[1]
    if width != count:
        detail = (
            "unnamed data (a scalar, list or array) is matched to the signature by position; "
            "pass a DataFrame or a dict keyed by column name"
        )
        raise _fail(detail, f"{count} column(s)", f"{width} unnamed column(s)")
    frame.columns = list(names) if names is not None else list(range(width))
    return frame


def _from_dict(data: Mapping[Any, Any], composite: bool) -> Any:
    if not data:
        raise _fail("the input is empty")
    values = list(data.values())
    if composite or all(_is_scalar(v) for v in values):
        return pd.DataFrame({k: [v] for k, v in data.items()})
    if not all(isinstance(v, _SEQUENCES) for v in values):
        raise _fail("a dict must hold all scalars (one row) or all lists (columns), not a mix")
    if any(np.ndim(v) != 1 for v in values):
        raise _fail("a dict of columns needs 1-D values (lists, 1-D arrays or Series)")
    lengths = {len(v) for v in values}
    if len(lengths) > 1:
        found = ", ".join(f"{k!s:.20}: {len(v)}" for k, v in list(data.items())[:5])
        raise _fail(f"columns have different lengths ({found})")
    return pd.DataFrame({k: v.array if isinstance(v, pd.Series) else v for k, v in data.items()})


def _is_scalar(value: Any) -> bool:
    return value is None or bool(pd.api.types.is_scalar(value))


def _from_array(data: Any, names: tuple[str | int, ...] | None, count: int, composite: bool) -> Any:
    if data.dtype.names is not None and data.ndim == 1:
        return pd.DataFrame(data)
    if data.ndim == 0:
        return _positional(pd.DataFrame({0: [data.item()]}), names, count)
    if data.size == 0:
        raise _fail("the input is empty")
    if data.ndim == 1:
        column = _boxed(list(data)) if composite and data.dtype == object else data
        return _positional(pd.DataFrame({0: column}), names, count)
    if data.ndim == 2:
        return _positional(pd.DataFrame(data), names, count)
    raise _fail("a column schema takes 1-D or 2-D arrays", "2 dimensions", f"{data.ndim}")


def _from_list(
    data: list[Any], names: tuple[str | int, ...] | None, count: int, composite: bool
) -> Any:
    if not data:
        raise _fail("the input is empty")
    if all(isinstance(r, Mapping) for r in data) and not _cells(data, names, count, composite):
        return pd.DataFrame.from_records(data)
    if _cells(data, names, count, composite):
        return _positional(pd.DataFrame({0: _boxed(data)}), names, count)
    if all(_is_scalar(r) for r in data):
        return _positional(pd.DataFrame({0: data}), names, count)
    if not all(isinstance(r, list | tuple | np.ndarray) for r in data):
        raise _fail("a list must hold all scalars, all rows (lists) or all records (dicts)")
    widths = {len(r) for r in data}
    if len(widths) > 1:
        raise _fail(f"rows have different lengths ({sorted(widths)[:5]})")
    return _positional(pd.DataFrame([list(r) for r in data]), names, count)


def _cells(
    data: list[Any], names: tuple[str | int, ...] | None, count: int, composite: bool
) -> bool:
    """Whether a list is one column of cells: a single array/object/map column, not records."""
    if not composite or count != 1:
        return False
    records = all(isinstance(r, Mapping) for r in data)
    return not (records and names is not None and all(set(r) <= set(names) for r in data))


def _boxed(data: list[Any]) -> Any:
    out = np.empty(len(data), dtype=object)
    for i, item in enumerate(data):
        out[i] = item
    return out
