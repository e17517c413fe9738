"""The V2 vocabulary its codec and the documents describing it share, in the core.

How a signature reads as Open Inference (V2) tensors: which datatypes a column or tensor type
takes (the canonical one first), the names an unnamed input and output get, the metadata tensors
of a schema, and the request ``parameters`` and ``id`` length the protocol reserves. The V2
routes and codec (:mod:`tiffin.serve.v2`) and the OpenAPI document and docs page
(:mod:`tiffin.serve.openapi`) both need these facts and must not import each other, so they
live here, below both.

Example:
    >>> column_datatypes(DataType.double)[0]
    'FP64'
    >>> metadata_tensors(Schema([TensorSpec("float32", (-1, 4))]), outputs=False)
    [{'name': 'input-0', 'datatype': 'FP32', 'shape': [-1, 4]}]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tiffin.format.schema import ColSpec, Schema, TensorSpec
from tiffin.format.types import DataType, ValueType, type_repr

__all__ = [
    "BYTES",
    "DATATYPES",
    "DEFAULT_OUTPUT",
    "MAX_ID_CHARS",
    "RESERVED_PARAMETERS",
    "RESERVED_PREFIX",
    "UNNAMED_INPUT",
    "column_datatypes",
    "metadata_tensors",
    "tensor_datatypes",
]

BYTES = "BYTES"

DATATYPES: dict[str, str] = {
    "BOOL": "bool",
    "UINT8": "uint8",
    "UINT16": "uint16",
    "UINT32": "uint32",
    "UINT64": "uint64",
    "INT8": "int8",
    "INT16": "int16",
    "INT32": "int32",
    "INT64": "int64",
    "FP16": "float16",
    "FP32": "float32",
    "FP64": "float64",
    BYTES: "object",
}
"""V2 datatype -> the numpy dtype its data is decoded into (``BF16`` has no numpy dtype)."""

_INTS = ("INT64", "INT32", "INT16", "INT8", "UINT64", "UINT32", "UINT16", "UINT8")

_COLUMN: dict[DataType, tuple[str, ...]] = {
    DataType.boolean: ("BOOL",),
    DataType.integer: ("INT32", *_INTS),
    DataType.long: _INTS,
    DataType.float: ("FP32", "FP16", *_INTS),
    DataType.double: ("FP64", "FP32", "FP16", *_INTS),
    DataType.string: (BYTES,),
    DataType.binary: (BYTES,),
    DataType.datetime: (BYTES,),
}

UNNAMED_INPUT = "input-0"
"""The name metadata gives an unnamed input (the codec accepts any name for it)."""

DEFAULT_OUTPUT = "predict"
"""The name of an output the signature does not name (MLServer's choice too)."""

MAX_ID_CHARS = 256
"""The longest request ``id`` accepted (it is echoed back in the answer)."""

RESERVED_PARAMETERS = frozenset(
    {
        "binary_data_output",  # Triton binary extension: answer outputs in binary
        "content_type",  # MLServer: how to decode the request
        "headers",  # MLServer and Triton: HTTP headers forwarded as parameters
        "priority",  # Triton scheduling
        "sequence_end",
        "sequence_id",
        "sequence_start",
        "timeout",  # Triton: queue timeout in microseconds
    }
)
"""Request-level ``parameters`` of the protocol and its extensions (tritonclient's list, plus
MLServer's ``content_type``); together with :data:`RESERVED_PREFIX`, never the model's params."""

RESERVED_PREFIX = "triton_"
"""Triton reserves every request parameter starting with this."""


def column_datatypes(value_type: ValueType) -> tuple[str, ...]:
    """The V2 datatypes a column of ``value_type`` takes, the canonical one first.

    Integers are accepted for ``float``/``double`` columns and any integer width for ``long``
    and ``integer`` columns; enforcement then refuses values that would change (beyond 2**53
    in a double, out of range for int32). Array, object, map and any columns take ``BYTES``
    whose data holds one JSON value (the cell) per row.

    Example:
        >>> column_datatypes(DataType.boolean)
        ('BOOL',)
    """
    if isinstance(value_type, DataType):
        names = _COLUMN[value_type]
        return tuple(dict.fromkeys(names))
    return (BYTES,)


def tensor_datatypes(dtype: str) -> tuple[str, ...]:
    """The V2 datatypes a tensor spec of numpy ``dtype`` takes, the canonical one first.

    Tensor enforcement keeps the dtype of typed data and only widens within a kind (``INT32``
    data for an ``int64`` tensor, ``UINT8`` for ``int16``, ``FP32`` for ``float64``), so the
    same is accepted here; strings (``str``, ``object``) and ``bytes`` take ``BYTES``.

    Example:
        >>> tensor_datatypes("float64")
        ('FP64', 'FP32', 'FP16')
    """
    if dtype in ("str", "bytes", "object"):
        return (BYTES,)
    target = np.dtype(dtype)
    exact = [v2 for v2, np_name in DATATYPES.items() if v2 != BYTES and np_name == target.name]
    widen = []
    for v2, np_name in DATATYPES.items():
        src = np.dtype(np_name)
        if v2 == BYTES or src == target or src.itemsize >= target.itemsize:
            continue
        same_kind = src.kind == target.kind or (src.kind == "u" and target.kind == "i")
        if same_kind and src.kind in "iuf":
            widen.append(v2)
    widen.sort(key=lambda v2: -np.dtype(DATATYPES[v2]).itemsize)
    return tuple(exact + widen)


def metadata_tensors(schema: Schema | None, *, outputs: bool) -> list[dict[str, Any]]:
    """V2 metadata tensors for an input or output schema (``[]`` when it is unknown).

    Example:
        >>> metadata_tensors(Schema([TensorSpec("float32", (-1, 4))]), outputs=False)
        [{'name': 'input-0', 'datatype': 'FP32', 'shape': [-1, 4]}]
    """
    if schema is None:
        return []
    unnamed = DEFAULT_OUTPUT if outputs else UNNAMED_INPUT
    if schema.is_tensor:
        return [_tensor(s, unnamed) for s in schema.specs if isinstance(s, TensorSpec)]
    specs = [s for s in schema.specs if isinstance(s, ColSpec)]
    if schema.has_names:
        return [_column(s) for s in specs]
    types = [type_repr(s.type) for s in specs]
    shape = [-1] if len(specs) == 1 else [-1, len(specs)]
    datatype = column_datatypes(specs[0].type)[0]
    parameters = {"mlflow_type": types[0] if len(set(types)) == 1 else types, "required": True}
    return [{"name": unnamed, "datatype": datatype, "shape": shape, "parameters": parameters}]


def _column(spec: ColSpec) -> dict[str, Any]:
    return {
        "name": str(spec.name),
        "datatype": column_datatypes(spec.type)[0],
        "shape": [-1],
        "parameters": {"mlflow_type": type_repr(spec.type), "required": spec.required},
    }


def _tensor(spec: TensorSpec, unnamed: str) -> dict[str, Any]:
    name = str(spec.name) if spec.name is not None else unnamed
    return {"name": name, "datatype": tensor_datatypes(spec.dtype)[0], "shape": list(spec.shape)}
