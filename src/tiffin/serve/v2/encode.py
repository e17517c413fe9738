"""V2 infer responses: whatever ``predict`` returned, as named, typed, flat tensors.

Output names come from the signature's outputs when it names them (one named output takes the
whole prediction; ``k`` named columns split a ``[n, k]`` array), from a DataFrame's columns or a
dict's keys, else ``predict`` (as MLServer names an unnamed prediction). ``data`` is always flat
and row-major; numeric arrays go to orjson directly, without a detour through Python lists.
Strings are ``BYTES``; bytes are base64 text (as MLflow's JSON has them); dates are ISO 8601
text; anything else in an object array is its JSON text. NaN is written as ``null``: JSON has no
NaN.

Example:
    >>> import numpy as np
    >>> encode_infer_response(np.array([1, 0]), model_name="m", model_version="1",
    ...     request_id="r")
    b'{"model_name":"m","model_version":"1","id":"r","outputs":[{"name":"predict","shape":[2],\
"datatype":"INT64","data":[1,0]}]}'
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import orjson

from tiffin.format.schema import Signature
from tiffin.pyfunc.enforce import InputSchemaError, Problem, is_missing
from tiffin.serve.tensors import BYTES, DEFAULT_OUTPUT
from tiffin.serve.v2.datatypes import datatype_of

__all__ = ["encode_infer_response", "output_arrays"]


def encode_infer_response(
    result: Any,
    *,
    model_name: str,
    model_version: str | None,
    request_id: str,
    signature: Signature | None = None,
    outputs: Sequence[str] | None = None,
) -> bytes:
    """The V2 response body for ``result``, keeping only the ``outputs`` asked for (if any).

    Raises:
        InputSchemaError: an output was asked for that the prediction does not have (HTTP 400).

    Example:
        >>> body = encode_infer_response([0.5], model_name="m", model_version="1",
        ...     request_id="r", outputs=["predict"])
        >>> orjson.loads(body)["outputs"]
        [{'name': 'predict', 'shape': [1], 'datatype': 'FP64', 'data': [0.5]}]
    """
    arrays = output_arrays(result, signature)
    if outputs is not None:
        by_name = dict(arrays)
        unknown = [name for name in outputs if name not in by_name]
        if unknown:
            detail = f"not an output of this model (outputs: {', '.join(by_name)[:200]})"
            raise InputSchemaError([Problem(n, detail=detail, kind="output") for n in unknown])
        arrays = [(name, by_name[name]) for name in outputs]
    body: dict[str, Any] = {"model_name": model_name}
    if model_version is not None:  # optional in the protocol: a model without a version
        body["model_version"] = model_version
    body["id"] = request_id
    body["outputs"] = [_tensor(name, array) for name, array in arrays]
    return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)


def output_arrays(result: Any, signature: Signature | None = None) -> list[tuple[str, Any]]:
    """``(name, array)`` for each output of a prediction (see the module docstring for names).

    Example:
        >>> [name for name, _ in output_arrays({"a": [1], "b": [2]})]
        ['a', 'b']
    """
    import pandas as pd

    if isinstance(result, pd.DataFrame):
        return [(str(c), as_array(result[c])) for c in result.columns]
    if isinstance(result, Mapping):
        return [(str(k), as_array(v)) for k, v in result.items()]
    array = as_array(result)
    schema = signature.outputs if signature is not None else None
    names = [str(n) for n in schema.names()] if schema is not None and schema.has_names else []
    if len(names) == 1:
        return [(names[0], array)]
    if len(names) > 1 and array.ndim == 2 and array.shape[1] == len(names):
        return [(name, array[:, i]) for i, name in enumerate(names)]
    return [(DEFAULT_OUTPUT, array)]


def as_array(value: Any) -> Any:
    """A numpy array of a dtype the encoder writes: numbers, booleans, or an object array.

    Example:
        >>> as_array([[1, 2], [3, 4]]).shape
        (2, 2)
    """
    import pandas as pd

    if isinstance(value, pd.Series | pd.Index):
        value = _series(value)
    if not isinstance(value, np.ndarray):
        try:
            value = np.asarray(value)
        except ValueError:  # ragged lists
            value = _objects(value)
    if value.ndim == 0:
        value = value.reshape(1)
    if value.dtype.kind in "biuf":
        return value
    if value.dtype.kind == "M":
        return np.datetime_as_string(value).astype(object)
    return _from_objects(value)


def _series(series: Any) -> Any:
    """A Series' values; missing values of nullable dtypes become NaN (numbers) or None."""
    import pandas as pd

    if not series.hasnans or isinstance(series.dtype, np.dtype):
        return series.to_numpy()
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    return series.astype(object).where(series.notna(), None).to_numpy()


def _objects(values: Any) -> Any:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _from_objects(array: Any) -> Any:
    """Object or string arrays: typed when every value is one kind, else one value per item."""
    flat = array.reshape(-1).tolist() if array.dtype.kind == "O" else None
    if flat is None:  # U/S/V arrays
        return _text(array.astype(object))
    kinds = set(map(type, flat))
    if kinds and kinds <= {bool}:
        return array.astype(bool)
    if kinds and kinds <= {int, float}:
        try:
            return array.astype(np.int64 if kinds == {int} else np.float64)
        except OverflowError:
            return _text(array)
    if kinds and kinds <= {list, np.ndarray} and array.ndim == 1:
        try:
            stacked = np.asarray(flat)
        except ValueError:
            return _text(array)
        if stacked.dtype.kind in "biuf":
            return stacked
    return _text(array)


def _text(array: Any) -> Any:
    out = np.empty(array.shape, dtype=object)
    flat_out = out.reshape(-1)
    for i, value in enumerate(array.reshape(-1).tolist()):
        flat_out[i] = _item(value)
    return out


def _item(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if is_missing(value):
        return None
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY, default=str).decode()


def _tensor(name: str, array: Any) -> dict[str, Any]:
    shape = list(array.shape)
    if array.dtype.kind == "O":
        return {"name": name, "shape": shape, "datatype": BYTES, "data": array.reshape(-1).tolist()}
    data = np.ascontiguousarray(array).reshape(-1)
    return {"name": name, "shape": shape, "datatype": datatype_of(array), "data": data}
