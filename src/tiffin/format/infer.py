"""Infer a signature from example data, giving what MLflow's ``infer_signature`` gives.

A model saved by tiffin must carry the signature MLflow would have written for the same example,
so MLflow enforces the same contract when it loads the model (and vice versa). The rules below
mirror ``mlflow.models.infer_signature`` of MLflow 3.17.2 with two deliberate changes:

* where MLflow gives up and silently writes ``[{"type": "any"}]`` (no enforcement at all), this
  module raises :class:`~tiffin.errors.FormatError` naming what could not be inferred, because a
  signature that enforces nothing is worse than a clear error at save time;
* MLflow's "integer column(s)" hint warning is not emitted: it fires for nearly every model and
  tiffin's test-suite treats warnings as errors.

Numeric pandas columns are typed from their dtype alone (no per-cell loop), so inferring from a
large training frame is cheap; object columns are inspected with ``pandas.api.types.infer_dtype``
and only fall back to a per-value walk for nested values (lists, dicts) as MLflow does.

Example:
    >>> import pandas as pd
    >>> from tiffin.format.infer import infer_signature
    >>> infer_signature(pd.DataFrame({"x": [1.0, None]})).to_dict()["inputs"]
    '[{"type": "double", "name": "x", "required": false}]'
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import math
import numbers
from collections.abc import Mapping
from typing import Any

from tiffin.errors import FormatError
from tiffin.format.schema import ColSpec, ParamSchema, ParamSpec, Schema, Signature, TensorSpec
from tiffin.format.types import AnyType, Array, DataType, Object, Property, ValueType, type_repr

__all__ = ["infer_params_schema", "infer_schema", "infer_signature"]

_SUPPORTED = (
    "a pandas DataFrame or Series, a numpy array, a dict of numpy arrays, a scipy csr/csc "
    "matrix, a dict of JSON values, a list of dicts, a list of scalars or a scalar"
)
_MIXED = "values do not all have one type (declare the signature by hand, e.g. Array(AnyType()))"


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: Mapping[str, Any] | None = None
) -> Signature:
    """Infer a model signature from an example input, its prediction and inference params.

    Why: the signature is what MLflow (and tiffin) enforce on every ``predict`` call, so it is
    inferred exactly as MLflow infers it; a failure raises instead of producing an "any" schema.

    Args:
        model_input: Example input (see :func:`infer_schema` for the accepted kinds).
        model_output: Example prediction for ``model_input``.
        params: Inference params with their default values (see :func:`infer_params_schema`).

    Returns:
        The signature; parts given as ``None`` (or empty ``params``) stay ``None``.

    Raises:
        FormatError: A part's schema cannot be inferred, or nothing at all was given.

    Example:
        >>> import numpy as np
        >>> sig = infer_signature({"text": "hi"}, np.array([1, 2]), {"top_k": 5})
        >>> sig.to_dict()["outputs"]
        '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
    """
    if model_input is None and model_output is None and not params:
        raise FormatError("infer_signature needs at least one of model_input, model_output, params")
    return Signature(
        inputs=_infer_part(model_input, "input"),
        outputs=_infer_part(model_output, "output"),
        params=infer_params_schema(params) if params else None,
    )


def _infer_part(data: Any, part: str) -> Schema | None:
    if data is None:
        return None
    try:
        return infer_schema(data)
    except FormatError as e:
        raise FormatError(f"could not infer the schema of the model {part}: {e}") from e


def infer_schema(data: Any) -> Schema:
    """Infer the schema of one dataset (a model input or output).

    Why: tabular and JSON-like data become named column specs (so MLflow enforces names and
    types), arrays become tensor specs with a free first (batch) dimension, as in MLflow.

    Args:
        data: A pandas DataFrame or Series, a numpy array, a dict of numpy arrays, a scipy
            csr/csc matrix, a dict of JSON values, a list of dicts, a list of scalars or a scalar.

    Returns:
        The schema.

    Raises:
        FormatError: The data is of another kind or holds values with no MLflow type (uint64,
            timedelta, mixed types, ...); the message names the column or key.

    Example:
        >>> infer_schema([{"q": "a", "k": 1}, {"q": "b"}]).to_list()[1]
        {'type': 'long', 'name': 'k', 'required': False}
    """
    import numpy as np
    import pandas as pd

    if isinstance(data, list):
        return _list_schema(data)
    if isinstance(data, dict):
        return _dict_schema(data)
    if isinstance(data, pd.DataFrame):
        return _frame_schema(data)
    if isinstance(data, pd.Series):
        name = None if data.name is None else _label(data.name)
        return Schema([ColSpec(_column_type(data, name), name, not _has_missing(data))])
    if isinstance(data, np.ndarray):
        return Schema([_tensor_spec(data, data.dtype, None)])
    if _is_sparse(data):
        return Schema([_tensor_spec(data, data.data.dtype, None)])
    return _scalar_schema(data)


def _scalar_schema(data: Any) -> Schema:
    if _is_missing(data):
        return Schema([ColSpec(AnyType())])
    try:
        return Schema([ColSpec(_scalar_type(data, "data"))])
    except FormatError as e:
        raise FormatError(f"{e}; expected {_SUPPORTED}") from None


def _list_schema(data: list[Any]) -> Schema:
    if not data:  # MLflow keeps its pre-2.9 answer for an empty list
        return Schema([ColSpec(DataType.string)])
    if all(isinstance(item, dict) for item in data):
        return _records_schema(data)
    items = _array_type(data, "list")
    if items is None:
        raise FormatError("list: every element is an empty numpy array")
    return Schema([ColSpec(items.items)])


def _records_schema(rows: list[dict[Any, Any]]) -> Schema:
    columns: dict[Any, list[Any]] = {}
    for row in rows:
        for key, value in row.items():
            columns.setdefault(key, []).append(value)
    specs = []
    for key, values in columns.items():
        where = f"key {key!r}"
        array = _array_type(values, where)
        if array is None:
            raise FormatError(f"{where}: every value is an empty numpy array")
        required = all(row.get(key) is not None for row in rows)
        specs.append(ColSpec(array.items, _label(key), required))
    return Schema(specs)


def _dict_schema(data: dict[Any, Any]) -> Schema:
    import numpy as np

    if all(isinstance(value, np.ndarray) for value in data.values()):
        return Schema([_tensor_spec(v, v.dtype, _label(k)) for k, v in data.items()])
    specs = []
    for key, value in data.items():
        if not isinstance(key, str):
            raise FormatError(f"dict keys must be strings, got {key!r}")
        value_type = _value_type(value, f"key {key!r}")
        if value_type is None:
            raise FormatError(f"key {key!r}: an empty numpy array has no element type")
        specs.append(ColSpec(value_type, key, _value_required(value)))
    return Schema(specs)


def _value_required(value: Any) -> bool:
    import pandas as pd

    if isinstance(value, list | pd.Series):
        return not any(_is_missing(item) for item in value)
    return not _is_missing(value)


def _frame_schema(frame: Any) -> Schema:
    specs = []
    for i, label in enumerate(frame.columns):
        name = _label(label)
        column = frame.iloc[:, i]
        specs.append(ColSpec(_column_type(column, name), name, not _has_missing(column)))
    return Schema(specs)


def _label(label: Any) -> Any:
    """A column label as MLflow writes it: strings, and integers for ``DataFrame(ndarray)``."""
    if isinstance(label, str):
        return label
    if isinstance(label, numbers.Integral) and not isinstance(label, bool):
        return int(label)
    raise FormatError(f"column label {label!r} is not a string or an integer; rename the column")


def _has_missing(column: Any) -> bool:
    return bool(column.isna().to_numpy().any())


def _column_type(column: Any, name: Any) -> ValueType:
    import pandas as pd

    where = f"column {name!r}" if name is not None else "series"
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype(object)
    if column.dtype.kind == "O":
        column = column.infer_objects()
    if column.dtype.kind == "O":
        return _object_column_type(column, where)
    return _dtype_type(column.dtype, where)


_FAST_KINDS = {"string": DataType.string, "bytes": DataType.binary}


def _object_column_type(column: Any, where: str) -> ValueType:
    import pandas as pd

    kind = pd.api.types.infer_dtype(column, skipna=True)
    if kind in _FAST_KINDS and column.notna().any():
        return _FAST_KINDS[kind]
    if len(column) == 0:  # MLflow falls back to string for an empty object column
        return DataType.string
    try:
        array = _array_type(column.to_list(), where)
    except FormatError:
        if pd.api.types.is_string_dtype(column):
            return DataType.string
        raise
    if array is None:
        raise FormatError(f"{where}: every value is an empty numpy array")
    return array.items


def _dtype_type(dtype: Any, where: str) -> DataType:
    """Map a numpy or pandas extension dtype by kind and size, as MLflow does."""
    kind, size = dtype.kind, getattr(dtype, "itemsize", 0)
    if kind == "b":
        return DataType.boolean
    if kind in "iu" and size:
        if size < 4 or (kind == "i" and size == 4):
            return DataType.integer
        if size < 8 or (kind == "i" and size == 8):
            return DataType.long
        raise FormatError(
            f"{where}: {dtype} values do not fit MLflow's largest integer type (long, int64); "
            "cast to int64 or float64"
        )
    if kind == "f" and 0 < size <= 8:
        return DataType.float if size <= 4 else DataType.double
    simple = {"U": DataType.string, "S": DataType.binary, "M": DataType.datetime}
    if kind in simple:
        return simple[kind]
    raise FormatError(f"{where}: dtype {dtype} has no MLflow type")


def _tensor_spec(data: Any, dtype: Any, name: Any) -> TensorSpec:
    if data.ndim == 0:
        raise FormatError("a 0-d array has no batch dimension; pass a 1-d array")
    clean = {"U": "str", "S": "bytes"}.get(dtype.char, dtype.name)
    return TensorSpec(clean, (-1, *data.shape[1:]), name)


def _is_sparse(data: Any) -> bool:
    if not type(data).__module__.startswith("scipy.sparse"):
        return False
    import scipy.sparse as sp

    return isinstance(data, sp.csr_matrix | sp.csc_matrix | sp.csr_array | sp.csc_array)


@functools.cache
def _na_singletons() -> tuple[Any, ...]:
    import pandas as pd

    return (None, pd.NA, pd.NaT)


def _is_missing(value: Any) -> bool:
    """MLflow's notion of a missing value: None, NA, NaT or a (Python) float NaN."""
    if isinstance(value, float):
        return math.isnan(value)
    return any(value is na for na in _na_singletons())


def _value_type(value: Any, where: str) -> ValueType | None:
    """The type of one JSON-like value; ``None`` for an empty numpy array (undetermined)."""
    import numpy as np

    if _is_missing(value) or (isinstance(value, list | dict) and not value):
        return AnyType()
    if isinstance(value, dict):
        return _object_type(value, where)
    if isinstance(value, list | np.ndarray):
        return _array_type(value, where)
    return _scalar_type(value, where)


def _object_type(value: dict[Any, Any], where: str) -> Object:
    props = []
    for key, item in value.items():
        if not isinstance(key, str):
            raise FormatError(f"{where}: dict keys must be strings, got {key!r}")
        item_type = _value_type(item, f"{where}.{key}")
        if item_type is None:
            raise FormatError(f"{where}.{key}: an empty numpy array has no element type")
        props.append(Property(key, item_type, not isinstance(item_type, AnyType)))
    return Object(tuple(props))


def _array_type(values: Any, where: str) -> Array | None:
    """The type of a list or array of values; ``None`` if no element has a type."""
    result: ValueType | None = None
    for item in values:
        item_type = _value_type(item, where)
        if item_type is None:
            continue
        if result is None:
            result = item_type
        elif isinstance(result, DataType):
            if not isinstance(item_type, AnyType) and item_type != result:
                raise FormatError(f"{where}: {_MIXED}: {result.value} and {type_repr(item_type)}")
        else:
            result = _merge(result, item_type, where)
    return None if result is None else Array(result)


def _merge(left: ValueType, right: ValueType, where: str) -> ValueType:
    """Merge the types of two elements of one list, as MLflow's ``_merge`` methods do."""
    if isinstance(left, AnyType):
        return right if isinstance(right, AnyType | DataType) else _merge(right, left, where)
    if isinstance(right, AnyType) or left == right:
        if isinstance(left, Object) and isinstance(right, AnyType):
            return Object(tuple(Property(p.name, p.type, False) for p in left.properties))
        return left
    if isinstance(left, Array) and isinstance(right, Array):
        if not isinstance(left.items, DataType):
            return Array(_merge(left.items, right.items, where))
        if isinstance(right.items, AnyType):
            return left
    if isinstance(left, Object) and isinstance(right, Object):
        return _merge_objects(left, right, where)
    raise FormatError(f"{where}: {_MIXED}: {type_repr(left)} and {type_repr(right)}")


def _merge_objects(left: Object, right: Object, where: str) -> Object:
    mine = {p.name: p for p in left.properties}
    theirs = {p.name: p for p in right.properties}
    props = []
    for name in mine.keys() | theirs.keys():
        a, b = mine.get(name), theirs.get(name)
        if a is None or b is None:  # present in only some of the dicts
            only = a or b
            assert only is not None
            props.append(Property(name, only.type, False))
            continue
        required = a.required and b.required
        if isinstance(a.type, DataType):
            if a.type != b.type and not isinstance(b.type, AnyType):
                raise FormatError(
                    f"{where}.{name}: {_MIXED}: {a.type.value} and {type_repr(b.type)}"
                )
            props.append(Property(name, a.type, required))
        else:
            props.append(Property(name, _merge(a.type, b.type, f"{where}.{name}"), required))
    return Object(tuple(props))


@functools.cache
def _scalar_types() -> dict[type, DataType]:
    import numpy as np

    return {
        bool: DataType.boolean,
        np.bool_: DataType.boolean,
        int: DataType.long,
        np.int64: DataType.long,
        np.int32: DataType.integer,
        float: DataType.double,
        np.float64: DataType.double,
        np.float32: DataType.float,
        str: DataType.string,
        np.str_: DataType.string,
        bytes: DataType.binary,
        np.bytes_: DataType.binary,
        bytearray: DataType.binary,
    }


def _is_datetime(value: Any) -> bool:
    import numpy as np

    return type(value) in (_dt.date, _dt.datetime, np.datetime64)


def _scalar_type(value: Any, where: str) -> DataType:
    found = _scalar_types().get(type(value))
    if found is not None:
        return found
    if _is_datetime(value):
        return DataType.datetime
    raise FormatError(f"{where}: {type(value).__name__} {value!r:.100} has no MLflow type")


def infer_params_schema(params: Mapping[str, Any]) -> ParamSchema:
    """Infer the params schema from example params, each value becoming that param's default.

    Why: MLflow only passes params declared in the signature to ``predict``, and checks their
    types; the types follow numpy's promotion of the value (``[1, 2.5]`` is a list of doubles).

    Args:
        params: Param names to example values: a scalar (int -> long, float -> double, str,
            bool, date/datetime -> datetime), a 1-D list of scalars, or a dict (-> object).

    Returns:
        The params schema.

    Raises:
        FormatError: Some values have no param type; the message lists every one of them.

    Example:
        >>> infer_params_schema({"k": 5, "stop": ["\\n"]}).to_list()[1]
        {'name': 'stop', 'default': ['\\n'], 'shape': [-1], 'type': 'string'}
    """
    if not isinstance(params, Mapping):
        raise FormatError(f"params must be a mapping, got {type(params).__name__}")
    specs: list[ParamSpec] = []
    problems: list[str] = []
    for name, value in params.items():
        try:
            specs.append(_param_spec(str(name), value))
        except FormatError as e:
            problems.append(f"{name!r} ({e})")
    if problems:
        raise FormatError("could not infer a type for param(s) " + "; ".join(problems))
    return ParamSchema(specs)


def _param_spec(name: str, value: Any) -> ParamSpec:
    import numpy as np

    if isinstance(value, list | np.ndarray):
        return _list_param_spec(name, value)
    if _is_datetime(value):
        return ParamSpec(name, DataType.datetime, _isoformat(value))
    if isinstance(value, dict):
        value_type = _value_type(value, "value")
        if not isinstance(value_type, Object):
            raise FormatError("an empty dict has no properties to infer")
        return ParamSpec(name, value_type, copy.deepcopy(value))
    if np.isscalar(value):
        param_type = _dtype_type(np.array(value).dtype, "value")
        return ParamSpec(name, param_type, _param_value(value, param_type))
    raise FormatError(f"expected a scalar, a 1-D list or a dict, got {type(value).__name__}")


def _list_param_spec(name: str, value: Any) -> ParamSpec:
    import numpy as np

    depth = _depth(value)
    if depth != 1:
        raise FormatError(f"expected a scalar, a 1-D list or a dict, got a {depth}-D list")
    if len(value) == 0:
        raise FormatError("an empty list has no element type; declare the ParamSpec by hand")
    if all(_is_datetime(item) for item in value):
        return ParamSpec(name, DataType.datetime, [_isoformat(v) for v in value], (-1,))
    try:
        param_type = _dtype_type(np.array(value).dtype, "list")
    except FormatError:
        raise FormatError("list values do not all have one scalar type") from None
    return ParamSpec(name, param_type, [_param_value(v, param_type) for v in value], (-1,))


def _depth(value: Any) -> int:
    import numpy as np

    if isinstance(value, np.ndarray):
        return int(value.ndim)
    if isinstance(value, list):
        return max((_depth(item) for item in value), default=0) + 1
    return 0


@functools.cache
def _param_accepts() -> dict[DataType, tuple[type, ...]]:
    """Python/numpy scalar types MLflow accepts (and converts) for each param type."""
    import numpy as np

    integer: tuple[type, ...] = (int, np.int32)
    long = (*integer, np.int64)
    floats = (*long, float, np.float32)
    return {
        DataType.boolean: (bool, np.bool_),
        DataType.integer: integer,
        DataType.long: long,
        DataType.float: floats,
        DataType.double: (*floats, np.float64),
        DataType.string: (str, np.str_),
    }


_PYTHON: dict[DataType, type] = {
    DataType.boolean: bool,
    DataType.integer: int,
    DataType.long: int,
    DataType.float: float,
    DataType.double: float,
    DataType.string: str,
}


def _param_value(value: Any, param_type: DataType) -> Any:
    """The default as the plain Python value MLflow stores (``np.int32(5)`` -> ``5``)."""
    if param_type not in _PYTHON:
        raise FormatError(f"{param_type.value} values are not allowed for params")
    if type(value) not in _param_accepts()[param_type]:
        raise FormatError(f"{type(value).__name__} {value!r:.100} is not a {param_type.value}")
    return _PYTHON[param_type](value)


def _isoformat(value: Any) -> str:
    """A datetime default as MLflow writes it: naive, UTC for aware datetimes."""
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(_dt.UTC).replace(tzinfo=None)
    elif not isinstance(value, _dt.date):  # np.datetime64
        value = value.item()
        if not isinstance(value, _dt.date):
            raise FormatError(f"{value!r} is not representable as a datetime (below microseconds)")
    return str(value.isoformat())
