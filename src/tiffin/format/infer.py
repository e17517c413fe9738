"""Infer a signature from example data, giving what MLflow's ``infer_signature`` gives.

A model saved by tiffin must carry the signature MLflow would write for the same example, so
both enforce the same contract. The rules mirror MLflow 3.17.2, except that where MLflow gives up
and writes ``[{"type": "any"}]`` (enforcing nothing) this raises :class:`~tiffin.errors.FormatError`
naming what could not be inferred, and MLflow's "integer column(s)" hint warning is not emitted.
Numeric columns are typed from their dtype alone (cheap on big frames); object columns go through
``pandas.api.types.infer_dtype`` and only nested values (lists, dicts) are walked one by one.

Example:
    >>> import pandas as pd
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
_EMPTY = "only empty numpy arrays, which have no element type"


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: Mapping[str, Any] | None = None
) -> Signature:
    """Infer a model signature from an example input, its prediction and inference params.

    Why: the signature is what MLflow and tiffin enforce on every ``predict`` call, so it is
    inferred as MLflow infers it; a failure raises rather than yield an unenforced "any" schema.

    Args:
        model_input: Example input, of a kind :func:`infer_schema` accepts.
        model_output: Example prediction for ``model_input``.
        params: Inference params and defaults, as :func:`infer_params_schema` takes them.

    Raises:
        FormatError: A part cannot be inferred (the message says which), or all are ``None``.

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

    Why: tabular and JSON-like data become named column specs, so names and types are enforced;
    arrays become tensor specs whose first (batch) dimension is free (``-1``), as in MLflow.

    Args:
        data: A pandas DataFrame or Series, a numpy array, a dict of numpy arrays, a scipy
            csr/csc matrix, a dict of JSON values, a list of dicts, a list of scalars or a scalar.

    Raises:
        FormatError: Another kind of data, or values with no MLflow type (uint64, timedelta,
            mixed types, ...); the message names the column or key.

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
        return Schema([_column_spec(data.iloc[:, i]) for i in range(data.shape[1])])
    if isinstance(data, pd.Series):
        return Schema([_column_spec(data)])
    if isinstance(data, np.ndarray):
        return Schema([_tensor_spec(data, data.dtype, None)])
    if _is_sparse(data):
        return Schema([_tensor_spec(data, data.data.dtype, None)])
    if _is_missing(data):
        return Schema([ColSpec(AnyType())])
    try:
        return Schema([ColSpec(_scalar_type(data, "data"))])
    except FormatError as e:
        raise FormatError(f"{e}; expected {_SUPPORTED}") from None


def _list_schema(data: list[Any]) -> Schema:
    if not data:  # MLflow keeps its pre-2.9 answer for an empty list
        return Schema([ColSpec(DataType.string)])
    if not all(isinstance(item, dict) for item in data):
        return Schema([ColSpec(_element_type(data, "list"))])
    columns: dict[Any, list[Any]] = {}
    for row in data:
        for key, value in row.items():
            columns.setdefault(key, []).append(value)
    specs = []
    for key, values in columns.items():
        required = all(row.get(key) is not None for row in data)
        specs.append(ColSpec(_element_type(values, f"key {key!r}"), _label(key), required))
    return Schema(specs)


def _dict_schema(data: dict[Any, Any]) -> Schema:
    import numpy as np
    import pandas as pd

    if all(isinstance(value, np.ndarray) for value in data.values()):
        return Schema([_tensor_spec(v, v.dtype, _label(k)) for k, v in data.items()])
    specs = []
    for key, value in data.items():
        if not isinstance(key, str):
            raise FormatError(f"dict keys must be strings, got {key!r}")
        if isinstance(value, list | pd.Series):
            required = not any(_is_missing(item) for item in value)
        else:
            required = not _is_missing(value)
        specs.append(ColSpec(_typed(value, f"key {key!r}"), key, required))
    return Schema(specs)


def _label(label: Any) -> Any:
    """A column label as MLflow writes it: a string, or an integer for ``DataFrame(ndarray)``."""
    if isinstance(label, str):
        return label
    if isinstance(label, numbers.Integral) and not isinstance(label, bool):
        return int(label)
    raise FormatError(f"column label {label!r} is not a string or an integer; rename the column")


def _column_spec(column: Any) -> ColSpec:
    import pandas as pd

    name = None if column.name is None else _label(column.name)
    missing = column.isna().to_numpy()
    required = not missing.any()
    if name is None and not required:
        raise FormatError(
            "an unnamed Series holds missing values, and MLflow cannot mark an unnamed input "
            "optional; give the Series a name"
        )
    where = "series" if name is None else f"column {name!r}"
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype(object)
    if column.dtype.kind != "O":
        return ColSpec(_dtype_type(column.dtype, where), name, required)
    fast = _FAST_KINDS.get(pd.api.types.infer_dtype(column, skipna=True))
    if fast is not None and not missing.all():  # all str (or bytes) but missing values
        return ColSpec(fast, name, required)
    column = column.infer_objects()  # as MLflow does: object ints become int64, ...
    if column.dtype.kind != "O":
        return ColSpec(_dtype_type(column.dtype, where), name, required)
    return ColSpec(_object_column_type(column, where), name, required)


_FAST_KINDS = {"string": DataType.string, "bytes": DataType.binary}


def _object_column_type(column: Any, where: str) -> ValueType:
    import pandas as pd

    if len(column) == 0:  # MLflow falls back to string for an empty object column
        return DataType.string
    try:
        return _element_type(column.to_list(), where)
    except FormatError:
        if pd.api.types.is_string_dtype(column):  # MLflow's fallback, e.g. str subclasses
            return DataType.string
        raise


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
        raise FormatError(f"{where}: {dtype} does not fit MLflow's long (int64); cast the values")
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
        props = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise FormatError(f"{where}: dict keys must be strings, got {key!r}")
            item_type = _typed(item, f"{where}.{key}")
            props.append(Property(key, item_type, not isinstance(item_type, AnyType)))
        return Object(tuple(props))
    if isinstance(value, list | np.ndarray):
        return _array_type(value, where)
    return _scalar_type(value, where)


def _typed(value: Any, where: str) -> ValueType:
    value_type = _value_type(value, where)
    if value_type is None:
        raise FormatError(f"{where}: holds {_EMPTY}")
    return value_type


def _element_type(values: Any, where: str) -> ValueType:
    array = _array_type(values, where)
    if array is None:
        raise FormatError(f"{where}: holds {_EMPTY}")
    return array.items


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
    if isinstance(left, Object) and isinstance(right, AnyType):
        return Object(tuple(Property(p.name, p.type, False) for p in left.properties))
    if isinstance(right, AnyType) or left == right:
        return left
    if isinstance(left, Array) and isinstance(right, Array):
        if not isinstance(left.items, DataType):
            return Array(_merge(left.items, right.items, where))
        if isinstance(right.items, AnyType):
            return left
    if isinstance(left, Object) and isinstance(right, Object):
        mine = {p.name: p for p in left.properties}
        theirs = {p.name: p for p in right.properties}
        return Object(tuple(_merge_property(mine, theirs, n, where) for n in mine | theirs))
    raise FormatError(f"{where}: {_MIXED}: {type_repr(left)} and {type_repr(right)}")


def _merge_property(
    mine: dict[str, Property], theirs: dict[str, Property], name: str, where: str
) -> Property:
    a, b = mine.get(name), theirs.get(name)
    if a is None:  # only some of the dicts have it: optional
        return Property(name, theirs[name].type, False)
    if b is None:
        return Property(name, a.type, False)
    required = a.required and b.required
    if not isinstance(a.type, DataType):
        return Property(name, _merge(a.type, b.type, f"{where}.{name}"), required)
    if a.type != b.type and not isinstance(b.type, AnyType):
        raise FormatError(f"{where}.{name}: {_MIXED}: {a.type.value} and {type_repr(b.type)}")
    return Property(name, a.type, required)


@functools.cache
def _scalar_types() -> dict[type, DataType]:
    """MLflow's exact-type table (so ``np.int8`` or a ``str`` subclass has no type)."""
    import numpy as np

    return {
        **dict.fromkeys((bool, np.bool_), DataType.boolean),
        **dict.fromkeys((int, np.int64), DataType.long),
        np.int32: DataType.integer,
        **dict.fromkeys((float, np.float64), DataType.double),
        np.float32: DataType.float,
        **dict.fromkeys((str, np.str_), DataType.string),
        **dict.fromkeys((bytes, np.bytes_, bytearray), DataType.binary),
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
    """Infer the params schema from example params; each value becomes that param's default.

    Why: MLflow passes only declared params to ``predict`` and checks their types, which follow
    numpy's promotion of the value (``[1, 2.5]`` is a list of doubles), as here.

    Args:
        params: Names to values: a scalar (int -> long, float -> double, str, bool,
            date/datetime -> datetime), a 1-D list of scalars (shape ``[-1]``) or a dict (object).

    Raises:
        FormatError: Some values have no param type; the message lists every one of them.

    Example:
        >>> infer_params_schema({"k": 5, "stop": ["."]}).to_list()[1]
        {'name': 'stop', 'default': ['.'], 'shape': [-1], 'type': 'string'}
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
        if getattr(value, "ndim", 1) != 1 or any(_is_nested(item) for item in value):
            raise FormatError("expected a scalar, a 1-D list or a dict, got a nested list")
        if len(value) == 0:
            raise FormatError("an empty list has no element type; declare the ParamSpec by hand")
        if all(_is_datetime(item) for item in value):
            return ParamSpec(name, DataType.datetime, [_isoformat(v) for v in value], (-1,))
        param_type = _param_type(value)
        return ParamSpec(name, param_type, [_param_value(v, param_type) for v in value], (-1,))
    if _is_datetime(value):
        return ParamSpec(name, DataType.datetime, _isoformat(value))
    if isinstance(value, dict):
        value_type = _value_type(value, "value")
        if not isinstance(value_type, Object):
            raise FormatError("an empty dict has no properties to infer")
        return ParamSpec(name, value_type, copy.deepcopy(value))
    if np.isscalar(value):
        param_type = _param_type(value)
        return ParamSpec(name, param_type, _param_value(value, param_type))
    raise FormatError(f"expected a scalar, a 1-D list or a dict, got {type(value).__name__}")


def _is_nested(item: Any) -> bool:
    return isinstance(item, list) or bool(getattr(item, "ndim", 0))


def _param_type(value: Any) -> DataType:
    """The type numpy gives the value(s), as MLflow decides it (``[1, 2.5]`` -> double)."""
    import numpy as np

    dtype = np.array(value).dtype
    if dtype.kind == "O":
        raise FormatError("values do not share one scalar type (or an int is too large)")
    param_type = _dtype_type(dtype, "value")
    if param_type == DataType.binary:
        raise FormatError("binary values are not allowed for params")
    return param_type


@functools.cache
def _param_accepts() -> dict[DataType, tuple[tuple[type, ...], type]]:
    """Per param type: the scalar types MLflow accepts for it, and the Python type it stores."""
    import numpy as np

    integer: tuple[type, ...] = (int, np.int32)
    floats = (*integer, np.int64, float, np.float32)
    return {
        DataType.boolean: ((bool, np.bool_), bool),
        DataType.integer: (integer, int),
        DataType.long: ((*integer, np.int64), int),
        DataType.float: (floats, float),
        DataType.double: ((*floats, np.float64), float),
        DataType.string: ((str, np.str_), str),
    }


def _param_value(value: Any, param_type: DataType) -> Any:
    """The default as the plain Python value MLflow stores (``np.int32(5)`` -> ``5``)."""
    accepted, python_type = _param_accepts()[param_type]
    if type(value) not in accepted:
        raise FormatError(f"{type(value).__name__} {value!r:.100} is not a {param_type.value}")
    return python_type(value)


def _isoformat(value: Any) -> str:
    """A datetime default as MLflow writes it: naive, in UTC for an aware datetime."""
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(_dt.UTC).replace(tzinfo=None)
    elif not isinstance(value, _dt.date):  # np.datetime64
        value = value.item()
        if not isinstance(value, _dt.date):
            raise FormatError(f"{value!r} is not a datetime (precision finer than microseconds)")
    return str(value.isoformat())
