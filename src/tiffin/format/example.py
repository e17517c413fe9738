"""Input examples: ``input_example.json`` and ``serving_input_example.json`` in a model directory.

An input example shows a model's input by value; MLflow stores it as JSON next to the model and
describes it in the MLmodel's ``saved_input_example_info``. The serving file is the same data as
a ready-to-send ``/invocations`` request body. tiffin writes the same JSON documents as MLflow
3.17 for every kind of example MLflow accepts, so MLflow reads ours and we read MLflow's.

Example:
    >>> import pandas as pd
    >>> info = save_input_example(model_dir, pd.DataFrame({"x": [1.0]}))  # doctest: +SKIP
    >>> info["type"], info["pandas_orient"]  # doctest: +SKIP
    ('dataframe', 'split')
    >>> load_input_example(model_dir, info)  # doctest: +SKIP
         x
    0  1.0
"""

from __future__ import annotations

import base64
import datetime as dt
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tiffin.errors import FormatError, MissingDependencyError
from tiffin.format.base64_text import Base64Error, decode_base64_values
from tiffin.format.bounded import MAX_FILE_BYTES, load_json, read_regular_file
from tiffin.format.schema import ColSpec, Schema
from tiffin.format.types import DataType

__all__ = ["EXAMPLE_FILE", "SERVING_EXAMPLE_FILE", "load_input_example", "save_input_example"]

EXAMPLE_FILE = "input_example.json"
SERVING_EXAMPLE_FILE = "serving_input_example.json"
# Dict keys that make MLflow write an LLM-style example's serving body without an "inputs" wrapper.
_LLM_KEYS = frozenset({"messages", "prompt", "input"})
_SPLIT_KEYS = frozenset({"columns", "data", "index"})
_TYPES = ("dataframe", "ndarray", "sparse_matrix_csc", "sparse_matrix_csr", "json_object")


def save_input_example(model_dir: Path, example: Any) -> dict[str, Any]:
    """Writes an input example and its serving request, and returns the MLmodel entry.

    Conversions follow MLflow so that both tools read the files alike: a DataFrame is written in
    ``split`` orient without its index (``values`` orient when its columns are the default
    RangeIndex), arrays as nested lists, sparse matrices as ``data/indices/indptr/shape``.
    NaN becomes ``null``, numpy scalars Python numbers, bytes base64 text, datetimes ISO text.
    A ``(data, params)`` tuple stores the inference params too.

    Args:
        model_dir: Existing model directory.
        example: DataFrame, Series (stored as a one-column DataFrame; MLflow refuses Series),
            ndarray, dict of ndarrays, JSON-like list/dict/scalar, datetime, scipy csr/csc
            matrix, pydantic model, or a ``(data, params)`` tuple of one of these and a dict.

    Returns:
        The ``saved_input_example_info`` dict for the MLmodel.

    Raises:
        FormatError: The example is of an unsupported type or holds non-JSON values.

    Example:
        >>> import numpy as np
        >>> save_input_example(Path("model"), np.array([[1.0, 2.0]]))  # doctest: +SKIP
        {'artifact_path': 'input_example.json', 'type': 'ndarray',
         'serving_input_path': 'serving_input_example.json'}
    """
    data, params = _split_params(example)
    info: dict[str, Any] = {"artifact_path": EXAMPLE_FILE}
    if params is not None:
        info["params"] = "true"  # MLflow writes the string, not a boolean
    stored, serving, kind = _encode(data)
    info["type"] = kind
    if kind == "dataframe":
        info["pandas_orient"] = "split" if "columns" in stored else "values"
    if params is not None:
        llm = serving is stored  # an LLM-style dict is served unwrapped, params merged into it
        serving = {**serving, **params} if llm else {**serving, "params": params}
        stored = {"inputs": stored, "params": params}
    (model_dir / EXAMPLE_FILE).write_bytes(_dumps(stored, indent=False))
    (model_dir / SERVING_EXAMPLE_FILE).write_bytes(_dumps(serving, indent=True))
    info["serving_input_path"] = SERVING_EXAMPLE_FILE
    return info


def load_input_example(
    model_dir: Path, info: Mapping[str, Any], schema: Schema | None = None
) -> Any:
    """Reads an input example back in the form it was given, from tiffin or MLflow files.

    Args:
        model_dir: The model directory.
        info: The MLmodel's ``saved_input_example_info``.
        schema: The signature's inputs, if any. Only a signature can say that base64 text was
            bytes: with it, the text in ``binary`` columns is decoded, as MLflow's reader does
            (:mod:`tiffin.format.base64_text`). ISO dates stay strings (enforcement reads them).

    Returns:
        A DataFrame, ndarray (or dict of them), scipy sparse matrix or JSON value, as ``type``
        says; a ``(data, params)`` tuple when params were saved.

    Raises:
        FormatError: The entry or the file is malformed, the path leaves the model directory, or
            a binary column holds text that is not base64.

    Example:
        >>> load_input_example(Path("model"), {"artifact_path": "input_example.json",
        ...                                    "type": "json_object"})  # doctest: +SKIP
        {'question': 'Hi?'}
    """
    kind = info.get("type")
    if kind not in _TYPES:
        raise FormatError(
            f"saved_input_example_info: cannot load an example of type {kind!r};"
            f" expected one of {', '.join(_TYPES)}"
        )
    document = _loads(
        read_regular_file(_example_path(model_dir, info.get("artifact_path")), MAX_FILE_BYTES)
    )
    has_params = str(info.get("params", "")).lower() == "true"
    if has_params and not (isinstance(document, dict) and "inputs" in document):
        raise FormatError(f"{EXAMPLE_FILE}: params were saved but 'inputs' is missing")
    data = _decode(document["inputs"] if has_params else document, str(kind))
    if schema is not None:
        data = _binary_columns(data, schema)
    return (data, document.get("params") or {}) if has_params else data


def _binary_columns(data: Any, schema: Schema) -> Any:
    """``data`` with the base64 text of the schema's ``binary`` columns decoded to bytes."""
    binary = [s for s in schema.specs if isinstance(s, ColSpec) and s.type is DataType.binary]
    names = [s.name for s in binary if s.name is not None]
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(data, pd.DataFrame):
        present = [n for n in names if n in data.columns]
        if not present:
            return data
        data = data.copy()
        for name in present:
            data[name] = pd.Series(_decoded(data[name].tolist(), name), index=data.index,
                                   dtype=object)  # fmt: skip
        return data
    if isinstance(data, dict) and any(n in data for n in names):
        data = dict(data)
        for name in (n for n in names if n in data):
            value = data[name]
            many = not isinstance(value, str | bytes)
            decoded = _decoded(list(value) if many else [value], str(name))
            data[name] = decoded if many else decoded[0]
    return data


def _decoded(values: list[Any], name: str | int) -> list[Any]:
    try:
        return decode_base64_values(values)
    except Base64Error as e:
        raise FormatError(
            f"{EXAMPLE_FILE}: binary column {name!r} holds {str(e.value)[:40]!r} at row"
            f" {e.position}, which is not base64 text ({e.reason})"
        ) from None


def _split_params(example: Any) -> tuple[Any, dict[str, Any] | None]:
    """Separates a ``(data, params)`` tuple; empty params count as none.

    MLflow writes an ``inputs`` wrapper for empty params but no ``params`` flag, so its own
    reader then returns the wrapper as the data; storing plain data avoids that.
    """
    if isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], dict):
        data, params = example
        if any(not isinstance(key, str) for key in params):
            raise FormatError(f"input example params must have string keys, got {params!r}")
        return data, (dict(params) or None)
    return example, None


def _encode(data: Any) -> tuple[Any, dict[str, Any], str]:
    """Returns (stored JSON value, serving body, example type) for one example."""
    import numpy as np

    if _is_pydantic(data):
        data = data.model_dump()
    if isinstance(data, dict) and any(isinstance(v, np.ndarray) for v in data.values()):
        if not all(isinstance(v, np.ndarray) for v in data.values()):
            raise FormatError(
                "Mixed types in dictionary are not supported as input examples. "
                "Found numpy arrays and other types."
            )
        arrays = {key: value.tolist() for key, value in data.items()}
        return arrays, {"inputs": arrays}, "ndarray"
    if isinstance(data, dict):
        serving = data if _LLM_KEYS & data.keys() else {"inputs": data}
        return data, serving, "json_object"
    if isinstance(data, np.ndarray):
        values = data.tolist()
        return values, {"inputs": values}, "ndarray"
    if isinstance(data, list):
        if _contains_ndarray(data):
            raise FormatError("Numpy arrays in list are not supported as input examples.")
        return data, {"inputs": data}, "json_object"
    return _encode_other(data)


def _encode_other(data: Any) -> tuple[Any, dict[str, Any], str]:
    """Sparse matrices, pandas objects and scalars: the rarer half of :func:`_encode`."""
    import numpy as np

    kind = _sparse_kind(data)
    if kind is not None:
        stored = {
            "data": data.data.tolist(),
            "indices": data.indices.tolist(),
            "indptr": data.indptr.tolist(),
            "shape": list(data.shape),
        }
        return stored, {"inputs": data.toarray().tolist()}, kind
    pd = sys.modules.get("pandas")  # not imported: then data cannot be a pandas object
    if pd is not None and isinstance(data, (pd.DataFrame, pd.Series)):
        split = _frame_to_split(data.to_frame() if isinstance(data, pd.Series) else data)
        return split, {"dataframe_split": split}, "dataframe"
    if np.isscalar(data) or isinstance(data, dt.datetime):
        return data, {"inputs": data}, "json_object"
    raise FormatError(
        "An input example must be a pandas DataFrame or Series, numpy ndarray, dict of "
        "ndarrays, scipy csr/csc matrix, dict, list, scalar, datetime or pydantic model "
        f"(optionally in a (data, params) tuple), but got {type(data).__name__!r}"
    )


def _frame_to_split(frame: Any) -> dict[str, Any]:
    """``to_dict('split')`` without the index; columns left out when they are 0..n-1."""
    split: dict[str, Any] = frame.to_dict(orient="split")
    del split["index"]
    if list(frame.columns) == list(range(len(frame.columns))):  # MLflow's test, minus a warning
        del split["columns"]
    return split


def _contains_ndarray(data: Any) -> bool:
    import numpy as np

    if isinstance(data, np.ndarray):
        return True
    if isinstance(data, list):
        return any(_contains_ndarray(item) for item in data)
    if isinstance(data, dict):
        return any(_contains_ndarray(item) for item in data.values())
    return False


def _sparse_kind(data: Any) -> str | None:
    """``sparse_matrix_csr``/``_csc`` for scipy matrices, without importing scipy otherwise."""
    sparse = sys.modules.get("scipy.sparse")
    if sparse is None:
        return None
    if isinstance(data, sparse.csc_matrix):
        return "sparse_matrix_csc"
    return "sparse_matrix_csr" if isinstance(data, sparse.csr_matrix) else None


def _to_json_value(value: Any) -> Any:
    """JSON form of what json/orjson cannot write: the conversions MLflow's encoder makes."""
    import numpy as np

    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.encodebytes(bytes(value)).decode("ascii")
    if _is_missing(value):
        return None
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):  # datetime64 too: datetime, date, or int for ns units
        return value.item()
    if isinstance(value, (dt.date, dt.time)):  # datetime and pandas Timestamp included
        return value.isoformat()
    if _is_pydantic(value):
        return value.model_dump()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _is_pydantic(value: Any) -> bool:
    """Duck-typed so pydantic is never imported just to rule it out."""
    return hasattr(type(value), "model_fields") and callable(getattr(value, "model_dump", None))


def _is_missing(value: Any) -> bool:
    """pandas' NaT and NA, which have no JSON form: written as null like NaN."""
    pd = sys.modules.get("pandas")
    return pd is not None and (value is pd.NaT or value is pd.NA)


def _dumps(value: Any, *, indent: bool) -> bytes:
    """orjson when installed (NaN/inf -> null natively), else json with NaN replaced first."""
    try:
        import orjson
    except ImportError:
        return _dumps_stdlib(value, indent=indent)
    option = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
    if indent:
        option |= orjson.OPT_INDENT_2
    try:
        return orjson.dumps(value, default=_to_json_value, option=option)
    except TypeError:  # e.g. an int beyond 64 bits: json can still write it, or says why not
        return _dumps_stdlib(value, indent=indent)


def _dumps_stdlib(value: Any, *, indent: bool) -> bytes:
    import json

    def default(obj: Any) -> Any:
        return _nan_to_none(_to_json_value(obj))

    try:
        text = json.dumps(_nan_to_none(value), default=default, indent=2 if indent else None)
    except (TypeError, ValueError) as exc:
        raise FormatError(f"input example is not JSON serializable: {exc}") from exc
    return text.encode("utf-8")


def _nan_to_none(value: Any) -> Any:
    """Replaces non-finite floats (which json writes as invalid NaN/Infinity) with None."""
    if isinstance(value, float):
        return value if value - value == 0 else None
    if isinstance(value, dict):
        return {key: _nan_to_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nan_to_none(item) for item in value]
    return value


def _loads(raw: bytes) -> Any:
    """Parses JSON, depth bounded; files written by MLflow may hold NaN."""
    return load_json(raw, "input example")


def _example_path(model_dir: Path, name: Any) -> Path:
    """The example file, refusing names that would read outside the model directory."""
    if not isinstance(name, str) or not name:
        raise FormatError("saved_input_example_info: 'artifact_path' must be a file name")
    root = model_dir.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or path == root:
        raise FormatError(f"saved_input_example_info: {name!r} is outside the model directory")
    return path


def _decode(document: Any, kind: str) -> Any:
    """Turns the parsed JSON into the object the example was."""
    if kind == "json_object":
        return document
    if kind == "ndarray":
        if isinstance(document, dict):
            return {key: _to_ndarray(value) for key, value in document.items()}
        return _to_ndarray(document)
    if kind == "dataframe":
        return _to_frame(document)
    return _to_sparse(document, kind)


def _to_ndarray(value: Any) -> Any:
    """An ndarray; nulls in numeric data come back as NaN rather than making an object array."""
    import numpy as np

    try:
        array = np.asarray(value)
    except ValueError as exc:  # ragged nesting
        raise FormatError(f"{EXAMPLE_FILE}: not an n-dimensional array ({exc})") from exc
    if array.dtype == object:
        try:
            return np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return array
    return array


def _to_frame(document: Any) -> Any:
    import pandas as pd

    if isinstance(document, list):  # "records" orient, written by some old MLflow versions
        return pd.DataFrame(document)
    if not isinstance(document, dict) or "data" not in document or set(document) - _SPLIT_KEYS:
        raise FormatError(
            f"{EXAMPLE_FILE}: a dataframe example needs 'data' and may have 'columns' and"
            f" 'index', got {str(document)[:100]}"
        )
    try:
        return pd.DataFrame(
            data=document["data"], columns=document.get("columns"), index=document.get("index")
        )
    except (TypeError, ValueError) as exc:
        raise FormatError(f"{EXAMPLE_FILE}: not a valid 'split' dataframe ({exc})") from exc


def _to_sparse(document: Any, kind: str) -> Any:
    try:
        from scipy.sparse import csc_matrix, csr_matrix
    except ImportError as exc:
        raise MissingDependencyError(
            "reading a sparse input example needs scipy: pip install scipy"
        ) from exc
    try:
        parts = (document["data"], document["indices"], document["indptr"])
        shape = tuple(document["shape"])
    except (KeyError, TypeError) as exc:
        raise FormatError(f"{EXAMPLE_FILE}: malformed sparse matrix ({exc!r})") from exc
    matrix = csc_matrix if kind == "sparse_matrix_csc" else csr_matrix
    return matrix(parts, shape=shape)
