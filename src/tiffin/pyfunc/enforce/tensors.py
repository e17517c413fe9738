"""Tensor schemas: shape with ``-1`` wildcards, and a dtype that must match.

MLflow requires the exact dtype. tiffin also accepts a widening within one kind when the spec
names the wider type (``int32`` -> ``int64``, ``uint8`` -> ``int16``, ``float32`` ->
``float64``), cast to the spec's dtype: no value can change. Arrays keep their dtype as data,
but Python lists do not (``[0.5]`` is no more float64 than float32), so values that arrive as
lists are converted to the spec's dtype when every value survives: ints must fit, ints into
floats must be exact, floats may go to any float width, and into ints only when every value is
a whole number that fits (``2.0`` is 2, as a JSON client means it; ``2.5`` is refused), and bools
only to bool.

DataFrames are reshaped as MLflow does: one column of scalars is a ``(-1,)``/``(-1, 1)``
tensor, one column of lists or arrays is stacked into the spec's shape, several columns of one
dtype are a ``(-1, n_columns)`` matrix. Unlike MLflow, a column is never cast blindly
(MLflow turns ``2.7`` into ``2`` for an int tensor); the rules above apply.

Example:
    >>> import numpy as np
    >>> from tiffin.format.schema import Schema, TensorSpec
    >>> schema = Schema([TensorSpec("float64", (-1, 2))])
    >>> enforce_tensors(np.ones((3, 2), dtype="float32"), schema).dtype
    dtype('float64')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tiffin.format.schema import Schema, TensorSpec
from tiffin.pyfunc.enforce.problems import InputSchemaError, Problem, show

__all__ = ["enforce_tensors"]

_FLEXIBLE = {"str": "U", "bytes": "S", "object": "O"}
Checked = tuple[Any, list[Problem]]


def enforce_tensors(data: Any, schema: Schema) -> Any:
    """Check ``data`` against a tensor schema; an array, or a dict of arrays for named tensors.

    Raises:
        InputSchemaError: with every problem found.

    Example:
        >>> schema = Schema([TensorSpec("int64", (-1,), "ids")])
        >>> enforce_tensors({"ids": [1, 2]}, schema)
        {'ids': array([1, 2])}
    """
    specs = [s for s in schema.specs if isinstance(s, TensorSpec)]
    result, problems = _named(data, specs) if schema.has_names else _one(data, specs[0], None)
    if problems:
        raise InputSchemaError(problems)
    return result


def _problem(
    field: str | int | None, expected: str = "", received: str = "", detail: str = ""
) -> Problem:
    return Problem(field, expected, received, detail, kind="tensor")


def _one(data: Any, spec: TensorSpec, field: str | int | None) -> Checked:
    if isinstance(data, pd.Series):
        data = data.to_frame()
    if isinstance(data, pd.DataFrame):
        return _from_frame(data, spec, field)
    if isinstance(data, np.ndarray) or _is_sparse(data):
        return check_tensor(data, spec, field, typed=True)
    if isinstance(data, list | tuple):
        try:
            array = np.asarray(data)
        except ValueError:
            return None, [_problem(field, detail="nested lists of unequal lengths (ragged)")]
        return check_tensor(array, spec, field, typed=False)
    expected = "a numpy array, a list or a DataFrame"
    return None, [_problem(field, expected, type(data).__name__)]


def _is_sparse(data: Any) -> bool:
    return type(data).__module__.startswith("scipy.sparse") and hasattr(data, "tocsr")


def _named(data: Any, specs: list[TensorSpec]) -> Checked:
    if len(specs) == 1 and isinstance(data, np.ndarray | list | tuple):
        data = {specs[0].name: data}
    if not isinstance(data, Mapping | pd.DataFrame):
        expected = "a dict of name -> array (or a DataFrame)"
        return None, [_problem(None, expected, type(data).__name__)]
    keys = list(data.columns) if isinstance(data, pd.DataFrame) else list(data)
    names = [s.name for s in specs]
    problems = [_problem(k, detail="not in the signature (extra)") for k in keys if k not in names]
    out: dict[str | int, Any] = {}
    for spec in specs:
        name = spec.name if spec.name is not None else ""
        if name not in keys:
            problems.append(_problem(name, detail="missing (required)"))
            continue
        value = data[name]
        if isinstance(data, pd.DataFrame):
            out[name], found = _from_column(value, spec, name)
        else:
            out[name], found = _one(value, spec, name)
        problems += found
    return out, problems


def _from_frame(frame: Any, spec: TensorSpec, field: str | int | None) -> Checked:
    if frame.empty:
        return None, [_problem(field, detail="the input DataFrame is empty")]
    width = frame.shape[1]
    if width == 1:
        return _from_column(frame.iloc[:, 0], spec, field)
    if spec.shape != (-1, width):
        detail = f"a {width}-column DataFrame is a (-1, {width}) tensor"
        return None, [_problem(field, f"shape {spec.shape}", f"{width} columns", detail)]
    dtypes = sorted({str(d) for d in frame.dtypes})
    if len(dtypes) > 1:
        detail = "a tensor has one dtype; cast the columns to one dtype first"
        return None, [_problem(field, spec.dtype, f"columns of {', '.join(dtypes[:4])}", detail)]
    return check_tensor(frame.to_numpy(), spec, field, typed=True)


def _from_column(col: Any, spec: TensorSpec, field: str | int | None) -> Checked:
    if len(col) == 0:
        return None, [_problem(field, detail="the input is empty")]
    if spec.shape[0] != -1 or -1 in spec.shape[1:]:
        detail = "a DataFrame column needs a shape whose first dimension alone is -1"
        return None, [_problem(field, f"shape {spec.shape}", "a DataFrame column", detail)]
    first = col.iloc[0]
    if pd.api.types.is_scalar(first):
        if spec.shape not in ((-1,), (-1, 1)):
            detail = "a column of scalars is a (-1,) or (-1, 1) tensor"
            return None, [_problem(field, f"shape {spec.shape}", "scalars", detail)]
        values = col.to_numpy()
        typed = values.dtype != object
        values = values if typed else np.asarray(values.tolist())
        return check_tensor(values.reshape(spec.shape), spec, field, typed)
    if not isinstance(first, list | np.ndarray):
        detail = "cells must be scalars, lists or arrays"
        return None, [_problem(field, received=type(first).__name__, detail=detail)]
    try:
        stacked = np.vstack(col.tolist()).reshape(spec.shape)
    except ValueError:
        detail = f"cells do not stack into shape {spec.shape} (unequal lengths?)"
        return None, [_problem(field, detail=detail)]
    if len(stacked) != len(col):
        return None, [_problem(field, detail=f"cells do not stack into shape {spec.shape}")]
    return check_tensor(stacked, spec, field, typed=isinstance(first, np.ndarray))


def check_tensor(array: Any, spec: TensorSpec, field: str | int | None, typed: bool) -> Checked:
    """Check one array's shape and dtype; ``typed`` is False for values that came as lists.

    Example:
        >>> import numpy as np
        >>> _, [p] = check_tensor(np.ones((2, 4)), TensorSpec("float64", (-1, 3)), None, True)
        >>> p.describe()
        'tensor: expected shape (-1, 3), received shape (2, 4)'
    """
    if int(np.prod(array.shape)) == 0:
        return None, [_problem(field, detail="the input is empty")]
    if array.ndim == 1 and array.dtype == object and len(spec.shape) > 1 and -1 in spec.shape[1:]:
        return _ragged(array, spec, field)
    fits = array.ndim == len(spec.shape) and all(
        want in (-1, got) for want, got in zip(spec.shape, array.shape, strict=True)
    )
    if not fits:
        return None, [_problem(field, f"shape {spec.shape}", f"shape {array.shape}")]
    cast, detail = _cast(array, spec.dtype, typed)
    if detail is not None:
        return None, [_problem(field, spec.dtype, str(array.dtype), detail)]
    return cast, []


def _ragged(array: Any, spec: TensorSpec, field: str | int | None) -> Checked:
    """A 1-D object array of arrays for a spec with inner ``-1`` dims: check each element."""
    inner = TensorSpec(spec.dtype, spec.shape[1:])
    out = np.empty(len(array), dtype=object)
    problems: list[Problem] = []
    for i, item in enumerate(array):
        element = item if isinstance(item, np.ndarray) else np.asarray(item)
        out[i], found = check_tensor(element, inner, field, isinstance(item, np.ndarray))
        problems += [
            Problem(p.field, p.expected, p.received, p.detail, p.kind, f"element {i}")
            for p in found[:1]
        ]
        if len(problems) >= 10:
            break
    return (None, problems) if problems else (out, [])


def _cast(array: Any, spec_dtype: str, typed: bool) -> tuple[Any, str | None]:
    src = array.dtype
    if spec_dtype in _FLEXIBLE:
        return (array, None) if src.kind == _FLEXIBLE[spec_dtype] else (None, "")
    dst = np.dtype(spec_dtype)
    if src == dst:
        return array, None
    same_kind = src.kind == dst.kind or (src.kind == "u" and dst.kind == "i")
    if same_kind and src.kind in "iuf" and src.itemsize < dst.itemsize:
        return array.astype(dst), None
    if typed:
        return None, "tensor dtypes must match; only widening within a kind is done"
    return _cast_python(array, dst)


def _cast_python(array: Any, dst: Any) -> tuple[Any, str | None]:
    """Values that came as Python lists: convert when every value survives."""
    src = array.dtype
    if src.kind in "iu" and dst.kind in "iu":
        info = np.iinfo(dst)
        bad = (array < info.min) | (array > info.max)
    elif src.kind in "iu" and dst.kind == "f":
        limit = 2 ** (np.finfo(dst).nmant + 1)
        bad = (array > limit) | (array < -limit)
    elif src.kind == "f" and dst.kind == "f":
        with np.errstate(over="ignore"):  # an overflow is reported below, not warned
            cast = array.astype(dst)
        bad = np.isfinite(array) & ~np.isfinite(cast)
    elif src.kind == "f" and dst.kind in "iu":
        return _whole_floats(array, dst)
    else:
        return None, f"values of kind {src.name} cannot become {dst.name}"
    if bad.any():
        return None, f"value {show(array[bad].flat[0].item())} does not fit {dst.name}"
    return array.astype(dst), None


def _whole_floats(array: Any, dst: Any) -> tuple[Any, str | None]:
    """Floats from a list into an int tensor: whole, exact (within 2**53) and in range only."""
    whole = np.isfinite(array) & (array == np.trunc(array))
    if not whole.all():
        bad = show(array[~whole].flat[0].item())
        return None, f"value {bad} is not a whole number; an {dst.name} tensor takes integers"
    info = np.iinfo(dst)
    bad_mask = (np.abs(array) > 2.0**53) | (array < info.min) | (array >= float(info.max) + 1)
    if bad_mask.any():
        return None, f"value {show(array[bad_mask].flat[0].item())} does not fit {dst.name} exactly"
    return array.astype(dst), None
