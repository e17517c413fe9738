"""Decode MLflow's JSON scoring payloads into model input, shared by the CLI and the server.

MLflow accepts exactly one of ``dataframe_split``, ``dataframe_records``, ``instances`` and
``inputs``, with optional ``params``. Unlike MLflow's server we never ``astype`` columns to the
schema here: the values keep the types JSON gave them, and schema enforcement decides (strictly)
what is acceptable, with the same rules as an in-process ``predict``.

Example:
    >>> data, params = parse_payload({"dataframe_split": {"columns": ["x"], "data": [[1.0]]}})
    >>> list(data.columns), params
    (['x'], None)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tiffin.errors import SchemaError

__all__ = ["FORMATS", "FROM_NUMBERS", "MalformedPayloadError", "encode_predictions",
           "parse_payload"]  # fmt: skip

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")


class MalformedPayloadError(SchemaError):
    """The JSON is not an MLflow scoring request (no or several input keys, an unknown key, a
    ``dataframe_split`` that is not one): MLflow's ``BAD_REQUEST``, as its server answers.

    A :class:`~tiffin.errors.SchemaError` still (HTTP 400); values that do not match the
    signature stay ``INVALID_PARAMETER_VALUE``, as MLflow's schema enforcement reports them.
    """

    error_code = "BAD_REQUEST"


def _frame_split(value: Any) -> Any:
    import numpy as np
    import pandas as pd

    if not isinstance(value, Mapping) or "data" not in value:
        raise MalformedPayloadError("dataframe_split: expected an object with 'columns' and 'data'")
    extra = set(value) - {"columns", "data", "index"}
    if extra:
        raise MalformedPayloadError(f"dataframe_split: unexpected key(s) {sorted(extra)}")
    rows = value["data"]
    if not isinstance(rows, list) or not all(type(row) is list for row in rows):
        raise MalformedPayloadError(
            "dataframe_split: 'data' must be a list of rows, each a list of values"
        )
    columns = value.get("columns")
    if isinstance(columns, list) and all(type(c) is str for c in columns):
        # plain object labels: pandas' default Arrow-backed str index costs ~30 us to build
        # and makes scikit-learn's feature-name check ~80 us slower on every predict
        columns = pd.Index(columns, dtype=object)
    block = _numeric_block(rows) if value.get("index") is None else None
    try:
        if block is not None and columns is not None and block.shape[1] == len(columns):
            frame = pd.DataFrame(block, columns=columns)
            if block.dtype.kind == "i" or not np.isnan(block).any():  # a bare NaN token: null
                frame.attrs[FROM_NUMBERS] = block.dtype.kind
            return frame
        return pd.DataFrame(rows, columns=columns, index=value.get("index"))
    except (ValueError, TypeError) as e:
        raise MalformedPayloadError(f"dataframe_split: {str(e)[:200]}") from None


FROM_NUMBERS = "tiffin.from_json_numbers"
"""``DataFrame.attrs`` key set on frames built from rows of only floats ("f") or only
integers ("i") and no NaN (a bare ``NaN`` token): such a frame has no null, which lets
:mod:`tiffin.serve.mlflow.wire_types` skip looking for one."""


def _numeric_block(rows: list[Any]) -> Any:
    """Rows of only JSON floats (or only integers) as one float64 (int64) array, about 1 us
    against ~150 us for pandas building a frame from lists; ``None`` takes pandas' way.

    Only when every cell has the same kind is the block exactly what pandas would build
    column by column; numpy would also quietly turn ``true`` into 1.0 and ``"1.5"`` into 1.5,
    so rows holding anything else (and ragged rows) go the general way, where enforcement
    sees the values as they were sent.
    """
    import numpy as np

    if not rows:
        return None
    kinds = {type(v) for row in rows for v in row}
    if kinds != {float} and kinds != {int}:
        return None
    try:
        block = np.array(rows)
    except (ValueError, OverflowError):  # ragged rows; integers beyond int64
        return None
    return block if block.ndim == 2 and block.dtype.kind in "fi" else None


def _frame_records(value: Any) -> Any:
    import pandas as pd

    if not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value):
        raise MalformedPayloadError("dataframe_records: expected a list of objects (one per row)")
    return pd.DataFrame.from_records(value)


def _instances(value: Any) -> Any:
    """``instances``/``inputs``: records become a frame; anything else goes to enforcement as
    JSON gave it, so the schema (not this codec) decides how lists become typed arrays."""
    import pandas as pd

    if isinstance(value, list) and value and all(isinstance(r, Mapping) for r in value):
        return pd.DataFrame.from_records(value)
    return value


def parse_payload(payload: Any) -> tuple[Any, dict[str, Any] | None]:
    """Split an MLflow JSON request into (model input, params).

    Raises:
        MalformedPayloadError: not exactly one of the four input keys, or a malformed value.
        SchemaError: ``params`` is not an object.
    """
    if not isinstance(payload, Mapping):
        raise MalformedPayloadError(f"expected a JSON object with one of {list(FORMATS)}")
    keys = [k for k in FORMATS if k in payload]
    extra = set(payload) - set(FORMATS) - {"params"}
    if len(keys) != 1 or extra:
        raise MalformedPayloadError(
            f"the request must have exactly one of {list(FORMATS)} (plus optional 'params'); "
            f"got keys {[str(k)[:40] for k in sorted(payload)[:10]]}"
        )
    params = payload.get("params")
    if params is not None and not isinstance(params, Mapping):
        # a params problem, as MLflow's params enforcement reports it: INVALID_PARAMETER_VALUE
        raise SchemaError(f"params: expected an object, got {type(params).__name__}")
    value = payload[keys[0]]
    if keys[0] == "dataframe_split":
        data = _frame_split(value)
    elif keys[0] == "dataframe_records":
        data = _frame_records(value)
    else:
        data = _instances(value)
    return data, dict(params) if params is not None else None


def encode_predictions(result: Any) -> Any:
    """Turn a predict result into JSON-ready values, as MLflow's ``{"predictions": ...}``.

    The shapes are MLflow 3.17's: an array is nested lists, a DataFrame a list of records, and a
    Series the records of its one-column frame (``[{"y": 1.5}]``; an unnamed Series is column
    ``0``, which JSON writes as ``"0"``); lists and dicts pass through.

    Example:
        >>> import pandas as pd
        >>> encode_predictions(pd.Series([1.5], name="y"))
        [{'y': 1.5}]
    """
    import numpy as np
    import pandas as pd

    if isinstance(result, pd.Series):
        result = result.to_frame(name=0 if result.name is None else result.name)
    if isinstance(result, pd.DataFrame):
        return result.to_dict(orient="records")
    if isinstance(result, np.ndarray):
        return result.tolist()
    if isinstance(result, Mapping):
        return {k: encode_predictions(v) for k, v in result.items()}
    return result
