"""Checking one Python value against a signature type: array/object/map cells and params.

This is the only per-value (not vectorized) path in enforcement: cells of ``array``, ``object``
and ``map`` columns hold arbitrary Python structures, and params are a handful of scalars. Both
use the same rules, so a ``long`` means the same thing in a cell, a property and a param:

* ``boolean`` takes only ``bool`` (``True`` is not ``1`` and ``1`` is not ``True``);
* ``integer``/``long`` take ints (never bools) within the 32/64-bit range;
* ``float``/``double`` take floats, and ints that they represent exactly (``|v| <= 2**24`` /
  ``2**53``). A Python float is accepted for ``float`` because Python has no 32-bit float: a
  JSON number cannot say which width it meant;
* ``string`` takes ``str``, ``binary`` takes ``bytes``; nothing is stringified;
* ``datetime`` takes ``date``/``datetime``/``numpy.datetime64`` and ISO 8601 strings, but not
  time-zone-aware values (a column of them has no single numpy dtype).

Converted values are Python builtins (``datetime`` values are :mod:`datetime` objects).

Example:
    >>> from tiffin.format.types import Array, DataType
    >>> issues: list[Issue] = []
    >>> check_value([1, 2], Array(DataType.double), "", issues), issues
    ([1.0, 2.0], [])
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from tiffin.format.types import (
    AnyType,
    Array,
    DataType,
    Map,
    Object,
    SparkMLVector,
    ValueType,
    type_repr,
)
from tiffin.pyfunc.enforce.problems import show

__all__ = [
    "Issue",
    "MAX_ISSUES",
    "check_item",
    "check_scalar",
    "check_value",
    "is_missing",
    "join_at",
]

MAX_ISSUES = 10
"""Per column or param, stop collecting after this many issues: the first ones tell the story."""

_INT_RANGE = {DataType.integer: (-(2**31), 2**31 - 1), DataType.long: (-(2**63), 2**63 - 1)}
_EXACT_INT = {DataType.float: 2**24, DataType.double: 2**53}
_NUMPY_ITEMS = {DataType.string: object, DataType.binary: object}


class Issue(NamedTuple):
    """A problem inside a value; the caller turns it into a Problem naming the field."""

    at: str
    expected: str
    received: str
    detail: str


def join_at(at: str, step: str) -> str:
    """Extend a location: ``join_at("row 3", "item 1") == "row 3, item 1"``."""
    return f"{at}, {step}" if at else step


def is_missing(value: Any) -> bool:
    """None, NaN, ``pd.NA`` or NaT: the values a missing cell or param is spelled with.

    Example:
        >>> is_missing(float("nan")), is_missing(0)
        (True, False)
    """
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in {"NAType", "NaTType"}


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def check_scalar(value: Any, dtype: DataType) -> tuple[Any, str | None]:
    """Convert one scalar, or say why not: ``(converted, None)`` or ``(None, detail)``.

    Example:
        >>> check_scalar(3, DataType.double), check_scalar(True, DataType.long)
        ((3.0, None), (None, ''))
    """
    if dtype is DataType.boolean and isinstance(value, bool | np.bool_):
        return bool(value), None
    if dtype in _INT_RANGE and _is_int(value):
        low, high = _INT_RANGE[dtype]
        ok = low <= int(value) <= high
        return (int(value), None) if ok else (None, f"{show(value)} is out of range")
    if dtype in _EXACT_INT and _is_int(value):
        limit = _EXACT_INT[dtype]
        if abs(int(value)) <= limit:
            return float(value), None
        return (
            None,
            f"{show(value)} is not exactly representable (|v| > 2**{limit.bit_length() - 1})",
        )
    if dtype in _EXACT_INT and isinstance(value, float | np.floating):
        return float(value), None
    if dtype is DataType.string and isinstance(value, str):
        return str(value), None
    if dtype is DataType.binary and isinstance(value, bytes):
        return bytes(value), None
    if dtype is DataType.datetime:
        return _datetime(value)
    return None, ""


def _datetime(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
    elif isinstance(value, str):
        try:
            value = (dt.date if len(value) == 10 else dt.datetime).fromisoformat(value)
        except ValueError:
            return None, f"{show(value)} is not an ISO 8601 date or date-time"
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return None, "time-zone-aware values are not supported; convert to naive UTC"
    if isinstance(value, dt.date):
        return value, None
    return None, ""


def check_value(value: Any, vtype: ValueType, at: str, issues: list[Issue]) -> Any:
    """Check ``value`` against ``vtype`` recursively, appending issues; return it converted.

    ``value`` must not be missing (the caller decides what a missing value means at its level).

    Example:
        >>> from tiffin.format.types import Map
        >>> issues: list[Issue] = []
        >>> _ = check_value({1: 2.0}, Map(DataType.double), "row 0", issues)
        >>> issues[0].detail
        'map keys must be strings; found int key 1'
    """
    if isinstance(vtype, AnyType):
        return value
    if isinstance(vtype, DataType):
        converted, why = check_scalar(value, vtype)
        if why is not None:
            issues.append(Issue(at, vtype.value, type(value).__name__, why or show(value)))
        return converted
    if isinstance(vtype, Array | SparkMLVector):
        items = vtype.items if isinstance(vtype, Array) else DataType.double
        return _check_array(value, items, vtype, at, issues)
    if isinstance(vtype, Object):
        return _check_object(value, vtype, at, issues)
    return _check_map(value, vtype, at, issues)


def _check_array(
    value: Any, items: ValueType, vtype: ValueType, at: str, issues: list[Issue]
) -> Any:
    # np.ndim would build an array from a list (and raise on a ragged one): only arrays can be 0-d
    if not isinstance(value, list | tuple | np.ndarray) or (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        issues.append(Issue(at, type_repr(vtype), type(value).__name__, "expected a list"))
        return None
    seq = value.tolist() if isinstance(value, np.ndarray) else value
    out = [check_item(v, items, join_at(at, f"item {i}"), issues) for i, v in enumerate(seq)]
    if isinstance(value, np.ndarray):
        numpy_type = (
            _NUMPY_ITEMS.get(items, items.to_numpy()) if isinstance(items, DataType) else object
        )
        return np.asarray(out, dtype=numpy_type) if out else value
    return out


def check_item(value: Any, vtype: ValueType, at: str, issues: list[Issue]) -> Any:
    """Like :func:`check_value` for a list item or map value, where null is an issue.

    Items have no ``required`` flag of their own, and a null inside a list is almost always a
    bug upstream, so it is reported (except for ``any`` items). NaN is not a null here: it is a
    float value, as in float columns.

    Example:
        >>> issues: list[Issue] = []
        >>> check_item(None, DataType.long, "item 0", issues), issues[0].detail
        (None, 'missing (null)')
    """
    if len(issues) >= MAX_ISSUES:
        return None
    null = value is None or (is_missing(value) and not isinstance(value, float))
    if null and not isinstance(vtype, AnyType):
        issues.append(Issue(at, type_repr(vtype), "", "missing (null)"))
        return None
    return check_value(value, vtype, at, issues)


def _check_object(value: Any, vtype: Object, at: str, issues: list[Issue]) -> Any:
    if not isinstance(value, Mapping):
        issues.append(Issue(at, type_repr(vtype), type(value).__name__, "expected a dict"))
        return None
    props = {p.name: p for p in vtype.properties}
    for declared in vtype.properties:
        if declared.required and is_missing(value.get(declared.name)):
            where = join_at(at, f"property {show(declared.name)}")
            issues.append(Issue(where, type_repr(declared.type), "", "missing (required)"))
    for key in value:
        if key not in props:
            where = join_at(at, f"property {show(key)}")
            issues.append(Issue(where, "", "", "not in the schema (unknown property)"))
    out: dict[Any, Any] = {}
    for key, item in value.items():
        prop = props.get(key)
        where = join_at(at, f"property {show(key)}")
        missing = prop is not None and is_missing(item)
        out[key] = item if prop is None or missing else check_value(item, prop.type, where, issues)
    return out


def _check_map(value: Any, vtype: Map, at: str, issues: list[Issue]) -> Any:
    if not isinstance(value, Mapping):
        issues.append(Issue(at, type_repr(vtype), type(value).__name__, "expected a dict"))
        return None
    bad_keys = [k for k in value if not isinstance(k, str)]
    if bad_keys:
        found = f"{type(bad_keys[0]).__name__} key {show(bad_keys[0])}"
        issues.append(Issue(at, "", "", f"map keys must be strings; found {found}"))
    return {
        k: check_item(v, vtype.values, join_at(at, f"key {show(k)}"), issues)
        for k, v in value.items()
    }
