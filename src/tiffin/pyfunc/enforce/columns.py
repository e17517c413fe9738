"""Converting one column to a scalar signature type, vectorized, refusing anything lossy.

The decision is made from the column's dtype; values are looked at only where the dtype alone
cannot decide (an ``int64`` column is a fine ``double`` only if every value is within
``2**53``), and then with one numpy reduction, never a Python loop over cells. What passes:

* the exact dtype, untouched (no copy);
* widenings that keep every value: small ints -> ``long``/``integer``, ints -> ``double``
  (``float``) when all ``|v| <= 2**53`` (``2**24``), ``float32`` -> ``double``, and
  ``int64``/``uint`` -> ``integer`` when every value fits in 32 bits;
* pandas nullable dtypes (``Int64``, ``boolean``, ``Float64``, ``string``, ``str``) and object
  columns holding one kind of Python value, converted to the plain numpy dtype when nothing is
  missing. Missing values are a problem in a required column; in an optional one integers and
  booleans stay pandas-nullable (``Int64``/``Int32``/``boolean``, numpy cannot hold NA in them),
  floats get NaN, strings keep None/NaN, datetimes get NaT;
* a float column of whole numbers into an *optional* integer column: that is how pandas stores
  integers with missing values (``[1, None, 3]`` is ``float64``), so it becomes ``Int64``.

NaN in a float column is a float value, not a missing one: it is not looked for (that would scan
every float column on every call, and models such as gradient boosting take NaN as data).

Example:
    >>> import pandas as pd
    >>> values, problems = convert_column(pd.Series([1, 2], dtype="int32"), DataType.long, "n")
    >>> values.dtype, problems
    (dtype('int64'), [])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tiffin.format.types import DataType
from tiffin.pyfunc.enforce.problems import Problem, held_at, rows_detail

__all__ = ["NUMPY_TARGETS", "convert_column", "missing_problem"]

NUMPY_TARGETS: dict[DataType, np.dtype[Any]] = {
    DataType.boolean: np.dtype(bool),
    DataType.integer: np.dtype(np.int32),
    DataType.long: np.dtype(np.int64),
    DataType.float: np.dtype(np.float32),
    DataType.double: np.dtype(np.float64),
}
_NS = np.dtype("datetime64[ns]")
_MANTISSA = {np.dtype(np.float32): 24, np.dtype(np.float64): 53}
_NULLABLE = {"i": "Int64", "u": "Int64", "f": "Float64", "b": "boolean"}
_OBJECT_KINDS = {"integer": "i", "floating": "f", "mixed-integer-float": "f", "boolean": "b"}
_NAN_HINT = (
    "integer columns cannot hold NaN: make the column optional or use a nullable Int64 column"
)

Outcome = tuple[Any, list[Problem]]
"""Converted values (``None``: the column passes unchanged) and the problems found."""


def missing_problem(field: str | int, expected: str, index: Any, mask: Any) -> Problem | None:
    """The problem for missing values in a required column, naming the first few rows.

    Example:
        >>> import pandas as pd
        >>> missing_problem("x", "string", pd.RangeIndex(3), np.array([False, True, False]))
        Problem(field='x', expected='string', received='', \
detail='required but has 1 missing value(s) (rows [1])', kind='column', at='')
    """
    count = int(mask.sum())
    if not count:
        return None
    rows = rows_detail(index[np.asarray(mask)][:5].tolist(), count)
    return Problem(field, expected, "", f"required but has {count} missing value(s) ({rows})")


def convert_column(col: Any, target: DataType, field: str | int, required: bool = True) -> Outcome:
    """Convert ``col`` (a Series) to ``target``; see the module docstring for the rules.

    Example:
        >>> import pandas as pd
        >>> _, [p] = convert_column(pd.Series([1.5]), DataType.long, "age")
        >>> p.describe()
        "column 'age': expected long, received float64 (holds non-integer values: row 0 holds 1.5 \
(float))"
    """
    dtype = col.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return _from_numpy(col, target, field, required)
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        return _from_datetimes(col, target, field, required)
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        return _from_objects(col, target, field, required)
    if isinstance(dtype, pd.DatetimeTZDtype):
        hint = "time-zone-aware; convert with .dt.tz_convert('UTC').dt.tz_localize(None)"
        return None, [Problem(field, target.value, str(dtype), hint)]
    if pd.api.types.is_string_dtype(dtype):
        return _from_strings(col, target, field, required)
    if getattr(dtype, "kind", "") in "biuf" and hasattr(dtype, "numpy_dtype"):
        return _from_nullable(col, target, field, required)
    return None, [Problem(field, target.value, str(dtype))]


def _from_numpy(col: Any, target: DataType, field: str | int, required: bool) -> Outcome:
    values = col.to_numpy()
    dst = NUMPY_TARGETS.get(target)
    if dst is not None and values.dtype.kind == "f" and dst.kind in "iu":
        mask = np.isnan(values)
        if mask.any():
            return _numbers(np.where(mask, 0.0, values), mask, target, field, required, col)
    return _numbers(values, None, target, field, required, col)


def _numbers(
    values: Any, mask: Any, target: DataType, field: str | int, required: bool, col: Any
) -> Outcome:
    """Numeric/boolean values (missing slots filled) plus an optional missing mask."""
    received = str(col.dtype)
    dst = NUMPY_TARGETS.get(target)
    if dst is None:
        return None, [Problem(field, target.value, received, _hint_for(target))]
    has_missing = mask is not None and bool(mask.any())
    problems: list[Problem] = []
    if has_missing and required:
        problems.append(_missing_numbers(field, target, received, col.index, mask, dst))
    converted, detail = _cast(values, dst, required and not has_missing, col.index)
    if detail is not None:
        problems.append(Problem(field, target.value, received, detail))
    if problems or converted is None:
        return None, problems
    if has_missing:
        return _with_missing(converted, mask), []
    return (None if converted is values and col.dtype == dst else converted), []


def _missing_numbers(
    field: str | int, target: DataType, received: str, index: Any, mask: Any, dst: Any
) -> Problem:
    count = int(mask.sum())
    rows = rows_detail(index[mask][:5].tolist(), count)
    if dst.kind in "iu" and received.startswith("float"):
        received_missing = f"{received} with {count} missing value(s)"
        return Problem(field, target.value, received_missing, f"{_NAN_HINT}; {rows}")
    return Problem(field, target.value, "", f"required but has {count} missing value(s) ({rows})")


def _with_missing(values: Any, mask: Any) -> Any:
    if values.dtype.kind == "f":
        out = values.copy()
        out[mask] = np.nan
        return out
    if values.dtype.kind == "b":
        return pd.arrays.BooleanArray(values, mask)
    return pd.arrays.IntegerArray(values, mask)


def _at(values: Any, bad: Any, index: Any) -> str:
    """Where the first ``bad`` value is, as :func:`held_at` says it."""
    position = int(np.flatnonzero(bad)[0])
    return held_at(index[position], values[position])


def _cast(values: Any, dst: Any, strict_floats: bool, index: Any) -> tuple[Any, str | None]:
    """Safe numpy cast or the reason it is refused; ``strict_floats`` refuses whole floats."""
    src = values.dtype
    if src == dst:
        return values, None
    if src.kind == "b" or dst.kind == "b":
        what = "booleans are not numbers" if src.kind == "b" else "numbers are not booleans"
        return None, f"{what}; convert explicitly if that is meant"
    if src.kind in "iu" and dst.kind == "i":
        return _ints_to_ints(values, dst, index)
    if src.kind in "iu":
        return _ints_to_floats(values, dst, index)
    if dst.kind == "f":
        if src.itemsize <= dst.itemsize:
            return values.astype(dst), None
        return None, "narrowing to float32 loses precision"
    return _floats_to_ints(values, dst, strict_floats, index)


def _ints_to_ints(values: Any, dst: Any, index: Any) -> tuple[Any, str | None]:
    if np.can_cast(values.dtype, dst, "safe") or not values.size:
        return values.astype(dst), None
    info = np.iinfo(dst)
    if values.min() < info.min or values.max() > info.max:
        bad = (values < info.min) | (values > info.max)
        return None, f"values out of range for {dst.name}: {_at(values, bad, index)}"
    return values.astype(dst), None


def _ints_to_floats(values: Any, dst: Any, index: Any) -> tuple[Any, str | None]:
    bits = _MANTISSA[dst]
    src = values.dtype
    value_bits = src.itemsize * 8 - (1 if src.kind == "i" else 0)
    if value_bits <= bits or not values.size:
        return values.astype(dst), None
    limit = 2**bits
    if values.max() > limit or (src.kind == "i" and values.min() < -limit):
        bad = (values > limit) | ((values < -limit) if src.kind == "i" else False)
        where = _at(values, bad, index)
        return None, f"values beyond 2**{bits} are not exact in {dst.name}: {where}"
    return values.astype(dst), None


def _floats_to_ints(values: Any, dst: Any, strict: bool, index: Any) -> tuple[Any, str | None]:
    whole = np.isfinite(values) & (values == np.trunc(values))
    if not whole.all():
        return None, f"holds non-integer values: {_at(values, ~whole, index)}"
    if strict:
        return None, "whole numbers stored as floats; send integers (e.g. .astype('int64'))"
    inexact = np.abs(values) > 2.0**53  # a float that large no longer holds an exact integer
    if inexact.any():
        return None, f"values beyond 2**53 are not exact as floats: {_at(values, inexact, index)}"
    info = np.iinfo(dst)
    bad = (values < info.min) | (values >= float(info.max) + 1)
    if bad.any():
        return None, f"values out of range for {dst.name}: {_at(values, bad, index)}"
    return values.astype(dst), None


def _from_nullable(col: Any, target: DataType, field: str | int, required: bool) -> Outcome:
    """pandas masked (``Int64``, ``boolean``, ``Float64``) and Arrow numeric columns."""
    mask = col.isna().to_numpy()
    src = col.dtype.numpy_dtype
    fill = np.nan if src.kind == "f" else src.type(0)
    values = col.to_numpy(dtype=src, na_value=fill)
    if src.kind == "f" and NUMPY_TARGETS.get(target, src).kind in "iu":
        values = np.where(mask, 0.0, values)
    return _numbers(values, mask, target, field, required, col)


def _from_objects(col: Any, target: DataType, field: str | int, required: bool) -> Outcome:
    inferred = pd.api.types.infer_dtype(col, skipna=True)
    accepted = {
        DataType.string: ("string",),
        DataType.binary: ("bytes",),
        DataType.datetime: ("string", "datetime", "date", "datetime64", "empty"),
    }.get(target, ())
    if inferred in accepted and target is DataType.datetime:
        return _parse_datetimes(col, field, required)
    if inferred in accepted or (inferred == "empty" and target not in NUMPY_TARGETS):
        problem = missing_problem(field, target.value, col.index, col.isna().to_numpy())
        return None, [problem] if problem and required else []
    dst = NUMPY_TARGETS.get(target)
    kind = dst.kind if inferred == "empty" and dst is not None else _OBJECT_KINDS.get(inferred)
    if dst is not None and kind is not None:
        try:
            typed = pd.array(col.to_numpy(), dtype=_NULLABLE[kind])
        except (OverflowError, TypeError, ValueError):
            detail = f"values out of range for {target.value}: {_first_unfit(col, target)}"
            return None, [Problem(field, target.value, _object_received(col), detail)]
        return _from_nullable(pd.Series(typed, index=col.index), target, field, required)
    if target is DataType.double and inferred == "decimal":
        return pd.to_numeric(col).to_numpy(), []
    return None, [Problem(field, target.value, _object_received(col), _example(col, target))]


def _object_received(col: Any) -> str:
    """``object of float, str``: every type in the column (an error path, so all rows)."""
    names = sorted({type(v).__name__ for v in col.tolist() if v is not None})
    return f"object of {', '.join(names[:4])}{', ...' if len(names) > 4 else ''}"


def _first_unfit(col: Any, target: DataType) -> str:
    """The first Python int an object column holds that the target's width cannot."""
    info = np.iinfo(NUMPY_TARGETS.get(target, np.dtype(np.int64)))
    for label, value in zip(col.index, col.tolist(), strict=True):
        if isinstance(value, int) and not info.min <= value <= info.max:
            return held_at(label, value)
    return "a value does not fit"


_GOOD_CELLS: dict[DataType, type | tuple[type, ...]] = {
    DataType.string: str,
    DataType.binary: bytes,
    DataType.boolean: (bool, np.bool_),
}


def _example(col: Any, target: DataType) -> str:
    good = _GOOD_CELLS.get(target, (int, float, np.number))

    def bad(value: Any) -> bool:
        if isinstance(value, bool | np.bool_):
            return target is not DataType.boolean
        return not isinstance(value, good)

    cells = zip(col.index, col.tolist(), strict=True)
    first = next(((at, v) for at, v in cells if v is not None and bad(v)), None)
    return held_at(*first) if first is not None else ""


def _from_strings(col: Any, target: DataType, field: str | int, required: bool) -> Outcome:
    if target is DataType.string:
        problem = missing_problem(field, target.value, col.index, col.isna().to_numpy())
        return None, [problem] if problem and required else []
    if target is DataType.datetime:
        return _parse_datetimes(col, field, required)
    present = col.dropna()
    example = f"holds strings: {held_at(present.index[0], present.iloc[0])}" if len(present) else ""
    if target is DataType.binary:
        example = "binary columns take bytes; encode the strings (e.g. .str.encode('utf-8'))"
    return None, [Problem(field, target.value, str(col.dtype), example)]


def _hint_for(target: DataType) -> str:
    if target is DataType.string:
        return "numbers and other values are not converted to strings"
    if target is DataType.datetime:
        return "send datetime64 values or ISO 8601 strings"
    return ""


def _from_datetimes(col: Any, target: DataType, field: str | int, required: bool) -> Outcome:
    received = str(col.dtype)
    if target is not DataType.datetime:
        return None, [Problem(field, target.value, received)]
    values = col.to_numpy()
    if values.dtype != _NS:
        try:
            values = col.astype(_NS).to_numpy()
        except (OverflowError, ValueError):
            return None, [Problem(field, "datetime", received, "out of range for datetime64[ns]")]
    problem = missing_problem(field, "datetime", col.index, np.isnat(values)) if required else None
    if problem is not None:
        return None, [problem]
    return (None if values.dtype == col.dtype else values), []


def _parse_datetimes(col: Any, field: str | int, required: bool) -> Outcome:
    received = _object_received(col) if col.dtype == object else str(col.dtype)
    try:
        parsed = pd.to_datetime(col, errors="coerce", format="ISO8601")
    except (TypeError, ValueError):
        detail = "values could not be read as one kind of date (mixed time zones?)"
        return None, [Problem(field, "datetime", received, detail)]
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        detail = "time-zone-aware values; send naive date-times (e.g. in UTC)"
        return None, [Problem(field, "datetime", received, detail)]
    bad = (parsed.isna() & col.notna()).to_numpy()
    if bad.any():
        rows = rows_detail(col.index[bad][:5].tolist(), int(bad.sum()))
        first = col[bad]
        detail = f"not ISO 8601 dates: {held_at(first.index[0], first.iloc[0])}; {rows}"
        return None, [Problem(field, "datetime", received, detail)]
    values, problems = _from_datetimes(parsed, DataType.datetime, field, required)
    return (parsed.to_numpy() if values is None and not problems else values), problems
