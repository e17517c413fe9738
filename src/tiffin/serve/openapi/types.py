"""JSON Schema for the values a signature names: cells, params, tensor items, V2 data items.

The schemas say exactly what the server accepts, so a value generated from one (by schemathesis,
or by a client generator) passes enforcement: ``long`` is an integer within int64, ``integer``
within int32, ``float`` a number within float32's range, ``binary`` base64 text (as MLflow's JSON
sends bytes), ``datetime`` a naive ISO 8601 date-time (time-zone-aware values are refused), and
array/object/map items are never null. Where the accepted set cannot be written as JSON Schema,
the schema is a safe subset and its ``description`` says what else is accepted: dates are
restricted to days 1-28 of 1900-2099 (every one of them is valid).

Example:
    >>> value_schema(DataType.long)["maximum"]
    9223372036854775807
    >>> value_schema(Array(DataType.boolean))
    {'type': 'array', 'items': {'type': 'boolean'}}
"""

from __future__ import annotations

from typing import Any

from tiffin.format.schema import ColSpec, ParamSchema, ParamSpec, TensorSpec
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
from tiffin.serve.tensors import BYTES, DATATYPES

__all__ = [
    "BASE64",
    "FLOAT_LIMITS",
    "NAIVE_DATETIME",
    "column_schema",
    "datatype_item_schema",
    "nullable",
    "params_schema",
    "tensor_item_schema",
    "tensor_schema",
    "value_schema",
]

FLOAT_LIMITS = {"float16": 65520.0, "float32": 3.4028235677973366e38}
"""The smallest magnitudes that round to infinity in float16/float32 (the largest finite
value plus half a unit in the last place): everything below is accepted, rounded."""
BASE64 = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
NAIVE_DATETIME = (
    "^(?:19|20)[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"
)
_INT_BOUNDS = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint8": (0, 2**8 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
}


def _integer(dtype: str) -> dict[str, Any]:
    low, high = _INT_BOUNDS[dtype]
    return {"type": "integer", "format": dtype, "minimum": low, "maximum": high}


def _number(dtype: str) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "number", "format": "double" if dtype == "float64" else dtype}
    if dtype in FLOAT_LIMITS:
        out.update(exclusiveMinimum=-FLOAT_LIMITS[dtype], exclusiveMaximum=FLOAT_LIMITS[dtype])
    return out


_SCALARS: dict[DataType, dict[str, Any]] = {
    DataType.boolean: {"type": "boolean"},
    DataType.integer: _integer("int32"),
    DataType.long: _integer("int64"),
    DataType.float: {**_number("float32"), "format": "float"},
    DataType.double: _number("float64"),
    DataType.string: {"type": "string"},
    DataType.binary: {"type": "string", "contentEncoding": "base64", "pattern": BASE64},
    DataType.datetime: {
        "type": "string",
        "pattern": NAIVE_DATETIME,
        "description": "a naive ISO 8601 date-time (no time zone); the pattern is a safe subset",
    },
}


def value_schema(vtype: ValueType) -> dict[str, Any]:
    """JSON Schema for one non-null value of ``vtype`` (a cell, a param, an item).

    Example:
        >>> value_schema(Map(DataType.string))
        {'type': 'object', 'additionalProperties': {'type': 'string'}}
    """
    if isinstance(vtype, DataType):
        return dict(_SCALARS[vtype])
    if isinstance(vtype, Array):
        return {"type": "array", "items": value_schema(vtype.items)}
    if isinstance(vtype, SparkMLVector):
        return {"type": "array", "items": value_schema(DataType.double)}
    if isinstance(vtype, Map):
        return {"type": "object", "additionalProperties": value_schema(vtype.values)}
    if isinstance(vtype, Object):
        properties = {
            p.name: value_schema(p.type) if p.required else nullable(value_schema(p.type))
            for p in vtype.properties
        }
        required = [p.name for p in vtype.properties if p.required]
        out: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            out["required"] = required
        out["additionalProperties"] = False
        return out
    assert isinstance(vtype, AnyType)
    return {}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or ``null`` (an optional column's missing value).

    Example:
        >>> nullable({"type": "string"})
        {'anyOf': [{'type': 'string'}, {'type': 'null'}]}
    """
    if not schema:
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def column_schema(spec: ColSpec) -> dict[str, Any]:
    """A column's cell: its value schema, nullable when the column is optional, with a title.

    Example:
        >>> column_schema(ColSpec("double", "x", required=False))["title"]
        'x: double (optional)'
    """
    schema = value_schema(spec.type)
    schema = schema if spec.required else nullable(schema)
    name = f"{spec.name}: " if spec.name is not None else ""
    optional = "" if spec.required else " (optional)"
    return {"title": f"{name}{type_repr(spec.type)}{optional}", **schema}


def tensor_item_schema(dtype: str) -> dict[str, Any]:
    """One element of a tensor of numpy ``dtype``, as a JSON value.

    Example:
        >>> tensor_item_schema("uint8")["maximum"]
        255
    """
    if dtype in _INT_BOUNDS:
        return _integer(dtype)
    if dtype in ("float16", "float32", "float64"):
        return _number(dtype)
    if dtype == "bool":
        return {"type": "boolean"}
    if dtype == "bytes":
        return dict(_SCALARS[DataType.binary])
    if dtype == "str":
        return {"type": "string"}
    return {}


def tensor_schema(spec: TensorSpec) -> dict[str, Any]:
    """Nested arrays of ``spec.shape``; a ``-1`` batch is one or more rows.

    An inner ``-1`` accepts any length equal across rows, which JSON Schema cannot say; the
    schema fixes it at one element (a safe subset) and says so in the description.

    Example:
        >>> tensor_schema(TensorSpec("float64", (-1, 2)))["items"]["maxItems"]
        2
    """
    schema = tensor_item_schema(spec.dtype)
    for position, dim in reversed(list(enumerate(spec.shape))):
        level: dict[str, Any] = {"type": "array", "items": schema}
        if dim >= 0:
            level.update(minItems=dim, maxItems=dim)
        elif position == 0:
            level["minItems"] = 1
        else:
            level.update(minItems=1, maxItems=1, description="any length, equal across rows")
        schema = level
    title = f"{spec.name}: " if spec.name is not None else ""
    return {"title": f"{title}tensor {spec.dtype} {list(spec.shape)}", **schema}


def params_schema(params: ParamSchema | None, also: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``params`` object: each param with its type and default; unknown params refused.

    ``null`` (for the object or a param) means "the defaults"; a model without params takes
    only an empty object or ``null``. ``also`` adds properties the protocol itself accepts (V2's
    reserved parameters), which win over a model param of the same name.

    Example:
        >>> params_schema(ParamSchema([ParamSpec("k", "long", 5)]))["properties"]["k"]["default"]
        5
    """
    properties = {p.name: _param(p) for p in params.params} if params is not None else {}
    properties = {**properties, **(also or {})}
    return {"type": ["object", "null"], "properties": properties, "additionalProperties": False}


def _param(spec: ParamSpec) -> dict[str, Any]:
    schema = value_schema(spec.type)
    if spec.shape is not None:
        schema = {"type": "array", "items": schema}
    title = f"{spec.name}: {type_repr(spec.type)}{'[]' if spec.shape else ''}"
    out = {"title": title, **nullable(schema)}  # null means "the default"
    if spec.default is not None:
        out["default"] = spec.default
    return out


_V2_ITEMS = {k: v for k, v in DATATYPES.items() if k != BYTES}
"""V2 datatype -> numpy dtype name, for the types whose items are plain numbers or booleans."""


def datatype_item_schema(datatype: str, vtype: ValueType | None = None) -> dict[str, Any]:
    """One element of V2 ``data`` of ``datatype``; ``BYTES`` items depend on the column type.

    Example:
        >>> datatype_item_schema("FP16")["exclusiveMaximum"]
        65520.0
        >>> datatype_item_schema("BYTES", DataType.binary)["contentEncoding"]
        'base64'
    """
    if datatype in _V2_ITEMS:
        return tensor_item_schema(_V2_ITEMS[datatype])
    if vtype is None or vtype is DataType.string:
        return {"type": "string"}
    return value_schema(vtype)
