"""MLflow's ``/invocations`` wire format: Content-Type, body decoding, response encoding.

Three body formats, as ``mlflow models serve`` takes them: JSON (exactly one of
``dataframe_split``, ``dataframe_records``, ``instances``, ``inputs``, plus optional ``params``,
decoded by :func:`tiffin.serve.mlflow.json_forms.parse_payload`), CSV, and Parquet. Unlike MLflow,
CSV and Parquet columns are not ``astype``-cast to the schema here: the strict enforcement in
:meth:`PyFuncModel.predict` decides, the same way as in-process. The answer is
``{"predictions": ...}`` serialized by orjson, numpy arrays without a detour through lists.

Example:
    >>> decode = decoder_for("application/json; charset=utf-8")
    >>> data, params = decode(b'{"inputs": [[1.0, 2.0]], "params": {"k": 1}}')
    >>> params
    {'k': 1}
    >>> encode_response([1, 2])
    b'{"predictions":[1,2]}'
"""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Callable
from typing import Any

from tiffin.serve.errors import BadRequestError, TooManyRowsError, UnsupportedMediaTypeError
from tiffin.serve.limits import load_json
from tiffin.serve.mlflow.json_forms import encode_predictions, parse_payload

__all__ = ["CONTENT_TYPES", "Decoder", "decode_csv", "decode_json", "decode_parquet",
           "decoder_for", "encode_response", "is_parquet"]  # fmt: skip

Decoder = Callable[[bytes], tuple[Any, dict[str, Any] | None]]


def decode_json(body: bytes, max_depth: int = 64) -> tuple[Any, dict[str, Any] | None]:
    """Decode an MLflow JSON request into (model input, params).

    Bare ``NaN``/``Infinity`` tokens are read as MLflow's server reads them (its own
    ``serving_input_example.json`` holds them).

    Raises:
        BadRequestError: as :func:`tiffin.serve.limits.load_json`.
        SchemaError: not exactly one input key, or a malformed value.

    Example:
        >>> decode_json(b'{"dataframe_records": [{"x": 1.0}]}')[0].shape
        (1, 1)
    """
    return parse_payload(load_json(body, max_depth, allow_nan=True))


def decode_csv(body: bytes) -> tuple[Any, dict[str, Any] | None]:
    """Decode a CSV body (a header row, then one row per record) into a DataFrame.

    Example:
        >>> decode_csv(b"x,y\\n1.0,2.0\\n")[0].shape
        (1, 2)
    """
    import pandas as pd

    try:
        frame = pd.read_csv(io.BytesIO(body))
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        reason = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        raise BadRequestError(f"the body is not valid CSV: {reason}") from None
    # pandas builds an index only when a row has one field more than the header (other
    # mismatches raise above): refuse it, or every value would shift one column
    if not isinstance(frame.index, pd.RangeIndex):
        raise BadRequestError("the body is not valid CSV: a row has more fields than the header")
    return frame, None


def decode_parquet(body: bytes, max_rows: int | None = None) -> tuple[Any, dict[str, Any] | None]:
    """Decode a Parquet file sent as the body into a DataFrame (through pyarrow).

    The row count is read from the file's footer first and refused over ``max_rows`` before a
    single column is decoded: a few kilobytes of run-length-encoded Parquet decode to millions
    of rows (hundreds of MiB) that the later row check would only see after paying for them.

    Raises:
        TooManyRowsError: the footer declares more than ``max_rows`` rows (HTTP 413).
        BadRequestError: not Parquet, or its data disagrees with its footer.

    Example:
        >>> decode_parquet(frame.to_parquet())[0].shape  # doctest: +SKIP
        (3, 5)
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tiffin.format.arrow_columns import decode_dictionaries

    try:
        parquet = pq.ParquetFile(pa.BufferReader(body))
        declared = parquet.metadata.num_rows
        if max_rows is not None and declared > max_rows:
            raise TooManyRowsError(
                f"the Parquet body declares {declared} rows; this server accepts at most "
                f"{max_rows} per request (refused before decoding)"
            )
        table = parquet.read()
        if table.num_rows != declared:
            raise BadRequestError(
                f"the Parquet body has {table.num_rows} rows but its footer says {declared}"
            )
        # dictionary-encoded strings (pandas Categorical) are their values, as in batch
        return decode_dictionaries(table).to_pandas(), None
    except (pa.ArrowException, ValueError, OSError) as e:
        reason = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        raise BadRequestError(f"the body is not a valid Parquet file: {reason}") from None


CONTENT_TYPES: dict[str, Decoder] = {
    "application/json": decode_json,
    "text/csv": decode_csv,
    "application/vnd.apache.parquet": decode_parquet,
    "application/x-parquet": decode_parquet,
}


def decoder_for(
    content_type: str | None, *, max_json_depth: int = 64, max_rows: int | None = None
) -> Decoder:
    """The decoder for a Content-Type header, checked before the body is read.

    Only a ``charset`` parameter is allowed and it must be UTF-8 (as in MLflow; MLflow 1.x's
    ``format=pandas-split`` is refused with a pointer to the 2.0 protocol).

    Raises:
        UnsupportedMediaTypeError: missing or unknown type, another charset, other parameters.

    Example:
        >>> decoder_for("text/csv") is decode_csv
        True
    """
    accepted = sorted(CONTENT_TYPES)
    if not content_type:
        raise UnsupportedMediaTypeError(f"no Content-Type header; send one of {accepted}")
    mime, *parameters = (part.strip() for part in content_type.split(";"))
    for parameter in filter(None, parameters):
        key, _, value = parameter.partition("=")
        key, value = key.strip().lower(), value.strip().strip('"').lower()
        if key != "charset":
            raise UnsupportedMediaTypeError(
                f"unrecognized Content-Type parameter {key[:40]!r}; only charset=utf-8 is "
                "accepted (MLflow 2.0 replaced format=... with keys in the JSON body)"
            )
        if value not in ("utf-8", "utf8"):
            raise UnsupportedMediaTypeError(f"charset {value[:40]!r}: only UTF-8 is accepted")
    decoder = CONTENT_TYPES.get(mime.lower())
    if decoder is None:
        raise UnsupportedMediaTypeError(
            f"Content-Type {mime[:80]!r} is not supported; send one of {accepted}"
        )
    if decoder is decode_json and max_json_depth != 64:
        return functools.partial(decode_json, max_depth=max_json_depth)
    if decoder is decode_parquet and max_rows is not None:
        return functools.partial(decode_parquet, max_rows=max_rows)
    return decoder


def is_parquet(decoder: Decoder) -> bool:
    """Whether ``decoder`` (as :func:`decoder_for` returns it) reads Parquet bodies.

    Example:
        >>> is_parquet(decoder_for("application/x-parquet", max_rows=10))
        True
    """
    return getattr(decoder, "func", decoder) is decode_parquet


def _default(value: Any) -> Any:
    """Values orjson does not know: bytes as MLflow sends them (base64), the rest as text."""
    if isinstance(value, bytes | bytearray):
        return base64.encodebytes(bytes(value)).decode("ascii")
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return isoformat()
    return str(value)


def encode_response(result: Any) -> bytes:
    """``{"predictions": ...}`` as JSON bytes; numeric numpy arrays go to orjson directly.

    NaN and infinities are written as ``null``: MLflow's server writes the bare tokens ``NaN``
    and ``Infinity``, which are not JSON and which strict parsers (browsers, orjson, Go, serde)
    refuse; Python's ``json`` (MLflow's client) reads ``null`` as well. Non-string keys (a
    DataFrame's integer column labels) become strings, as Python's ``json`` writes them.

    Example:
        >>> import numpy as np
        >>> encode_response(np.array([0.5, 1.0]))
        b'{"predictions":[0.5,1.0]}'
    """
    import numpy as np
    import orjson

    option = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    if isinstance(result, np.ndarray) and result.dtype.kind in "biuf":
        try:
            return orjson.dumps({"predictions": result}, option=option)
        except orjson.JSONEncodeError:
            pass  # not C-contiguous, or a dtype orjson does not take: the general path
    return orjson.dumps(
        {"predictions": encode_predictions(result)}, option=option, default=_default
    )
