"""Signature types as Arrow types: what text columns are parsed as and empty outputs are typed as.

Parsing a CSV column as the type the signature declares, in every chunk alike, means a column
of whole numbers is still ``double`` when the signature says so, and a later chunk cannot
disagree with an earlier one about the column's type. Types without a plain Arrow equivalent
(``datetime``, arrays, objects) are left to inference.

Example:
    >>> from tiffin.format.schema import ColSpec, Schema
    >>> signature_types(Schema([ColSpec("double", "x"), ColSpec("string", "s")]))
    {'x': DataType(double), 's': DataType(string)}
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from tiffin.format.schema import ColSpec, Schema, TensorSpec
from tiffin.format.types import DataType

__all__ = ["arrow_type", "signature_types"]

_ARROW_TYPES = {
    DataType.boolean: pa.bool_(),
    DataType.integer: pa.int32(),
    DataType.long: pa.int64(),
    DataType.float: pa.float32(),
    DataType.double: pa.float64(),
    DataType.string: pa.string(),
    DataType.binary: pa.binary(),
}


def arrow_type(spec: ColSpec | TensorSpec) -> Any:
    """The Arrow type of one column or tensor spec, or ``None`` when there is no plain one.

    Example:
        >>> arrow_type(TensorSpec("int64", (-1,))), arrow_type(ColSpec("datetime", "t"))
        (DataType(int64), None)
    """
    if isinstance(spec, TensorSpec):
        try:
            return pa.from_numpy_dtype(np.dtype(spec.dtype))
        except (TypeError, pa.ArrowNotImplementedError):
            return None
    return _ARROW_TYPES.get(spec.type) if isinstance(spec.type, DataType) else None


def signature_types(inputs: Schema | None) -> dict[str, Any]:
    """Arrow types for the named scalar columns of a signature.

    Example:
        >>> signature_types(None)
        {}
    """
    if inputs is None or inputs.is_tensor:
        return {}
    out: dict[str, Any] = {}
    for spec in inputs.specs:
        found = arrow_type(spec) if isinstance(spec.name, str) else None
        if found is not None:
            out[str(spec.name)] = found
    return out
