"""Example requests built from a signature: one row that the server accepts, for each protocol.

``/docs`` shows them as curl commands, and the tests send them: an example that the server
refused would be worse than none. Values are plain and typed as the signature says (``1.5`` for
a double, ``1`` for a long, ``"2024-01-02T03:04:05"`` for a datetime, base64 for binary).

Example:
    >>> from tiffin.format.schema import ColSpec, Schema, Signature
    >>> mlflow_example(Signature(Schema([ColSpec("long", "n"), ColSpec("string", "s")])))
    {'dataframe_split': {'columns': ['n', 's'], 'data': [[1, 'text']]}}
"""

from __future__ import annotations

import math
from typing import Any

from tiffin.format.schema import ColSpec, Schema, Signature, TensorSpec
from tiffin.format.types import AnyType, Array, DataType, Map, Object, SparkMLVector, ValueType
from tiffin.serve.tensors import UNNAMED_INPUT, column_datatypes, tensor_datatypes

__all__ = ["example_value", "mlflow_example", "tensor_example", "v2_example"]

_SCALARS: dict[DataType, Any] = {
    DataType.boolean: True,
    DataType.integer: 1,
    DataType.long: 1,
    DataType.float: 1,  # an integer: JSON floats are float64, which a float32 column refuses
    DataType.double: 1.5,
    DataType.string: "text",
    DataType.binary: "dGV4dA==",
    DataType.datetime: "2024-01-02T03:04:05",
}
_TENSOR_ITEMS = {"b": True, "i": 1, "u": 1, "f": 1.5}


def example_value(vtype: ValueType) -> Any:
    """A JSON value of ``vtype``.

    Example:
        >>> example_value(Array(DataType.double))
        [1.5]
    """
    if isinstance(vtype, DataType):
        return _SCALARS[vtype]
    if isinstance(vtype, Array):
        return [example_value(vtype.items)]
    if isinstance(vtype, SparkMLVector):
        return [1.5]
    if isinstance(vtype, Map):
        return {"key": example_value(vtype.values)}
    if isinstance(vtype, Object):
        return {p.name: example_value(p.type) for p in vtype.properties}
    assert isinstance(vtype, AnyType)
    return "value"


def _tensor_item(dtype: str) -> Any:
    if dtype in ("str", "object"):
        return "text"
    if dtype == "bytes":
        return "dGV4dA=="
    import numpy as np

    return _TENSOR_ITEMS.get(np.dtype(dtype).kind, 1)


def tensor_example(spec: TensorSpec) -> Any:
    """Nested lists of the spec's shape, every ``-1`` one long.

    Example:
        >>> tensor_example(TensorSpec("float32", (-1, 2)))
        [[1.5, 1.5]]
    """
    value = _tensor_item(spec.dtype)
    for dim in reversed(spec.shape):
        value = [value] * (1 if dim < 0 else dim)
    return value


def mlflow_example(signature: Signature | None) -> dict[str, Any] | None:
    """An ``/invocations`` JSON body of one row (``None`` without an input signature).

    Example:
        >>> mlflow_example(None) is None
        True
    """
    schema = signature.inputs if signature is not None else None
    if schema is None:
        return None
    if schema.is_tensor:
        tensors = [s for s in schema.specs if isinstance(s, TensorSpec)]
        if not schema.has_names:
            return {"inputs": tensor_example(tensors[0])}
        return {"inputs": {str(s.name): tensor_example(s) for s in tensors}}
    specs = [s for s in schema.specs if isinstance(s, ColSpec)]
    row = [example_value(s.type) for s in specs]
    if not schema.has_names:
        return {"inputs": [row]}
    return {"dataframe_split": {"columns": [s.name for s in specs], "data": [row]}}


def v2_example(signature: Signature | None) -> dict[str, Any] | None:
    """A V2 infer request of one row (``None`` without an input signature).

    Example:
        >>> from tiffin.format.schema import ColSpec, Schema, Signature
        >>> v2_example(Signature(Schema([ColSpec("double", "x")])))["inputs"]
        [{'name': 'x', 'shape': [1], 'datatype': 'FP64', 'data': [1.5]}]
    """
    schema = signature.inputs if signature is not None else None
    if schema is None:
        return None
    return {"inputs": _v2_inputs(schema)}


def _v2_inputs(schema: Schema) -> list[dict[str, Any]]:
    if schema.is_tensor:
        return [_v2_tensor(s) for s in schema.specs if isinstance(s, TensorSpec)]
    specs = [s for s in schema.specs if isinstance(s, ColSpec)]
    if schema.has_names:  # required columns first, as the OpenAPI document lists them
        ordered = [s for s in specs if s.required] + [s for s in specs if not s.required]
        return [
            _input(str(s.name), [1], column_datatypes(s.type)[0], [example_value(s.type)])
            for s in ordered
        ]
    data = [example_value(s.type) for s in specs]
    shape = [1] if len(specs) == 1 else [1, len(specs)]
    return [_input(UNNAMED_INPUT, shape, column_datatypes(specs[0].type)[0], data)]


def _v2_tensor(spec: TensorSpec) -> dict[str, Any]:
    shape = [1 if d < 0 else d for d in spec.shape]
    data = [_tensor_item(spec.dtype)] * math.prod(shape)
    name = str(spec.name) if spec.name is not None else UNNAMED_INPUT
    return _input(name, shape, tensor_datatypes(spec.dtype)[0], data)


def _input(name: str, shape: list[int], datatype: str, data: list[Any]) -> dict[str, Any]:
    return {"name": name, "shape": shape, "datatype": datatype, "data": data}
