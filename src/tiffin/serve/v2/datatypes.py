"""The Open Inference (V2) datatypes: which ones a signature type takes, and strict data decoding.

A V2 tensor names its datatype (``INT64``, ``FP32``, ``BYTES``...) and sends its values as a
JSON list. The datatype is the client's statement of what the values are, so it is checked
against the values, never used to cast them: a ``1.5`` in ``INT64`` data, a ``true`` in ``FP64``
data, an integer too large for ``INT8`` or a float too large for ``FP16`` is an error, not a
silent truncation. Which datatypes a signature type accepts follows the schema enforcement rules
(:mod:`tiffin.pyfunc.enforce`): the exact type or one that widens without loss, with the values
checked once more by enforcement when they reach the model.

Example:
    >>> to_array([1, 2, 3], "INT32", "x").dtype
    dtype('int32')
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from tiffin.format.base64_text import Base64Error, decode_base64_values
from tiffin.pyfunc.enforce import Problem, show
from tiffin.serve.tensors import BYTES, DATATYPES

__all__ = ["DecodeProblem", "datatype_of", "decode_base64", "flatten", "to_array"]


_MANTISSA = {"FP16": 11, "FP32": 24, "FP64": 53}


class DecodeProblem(Exception):
    """One input's data does not fit its datatype; carries the :class:`Problem` to report."""

    def __init__(self, problem: Problem):
        super().__init__(problem.describe())
        self.problem = problem


def _fail(field: str, expected: str, received: str, detail: str = "") -> DecodeProblem:
    return DecodeProblem(Problem(field, expected, received, detail, kind="input"))


def flatten(data: list[Any], field: str) -> list[Any]:
    """Row-major flat values of nested ``data`` (V2 allows nested or flat data).

    Raises:
        DecodeProblem: a level mixes lists and scalars.

    Example:
        >>> flatten([[1, 2], [3, 4]], "x")
        [1, 2, 3, 4]
    """
    while data and any(type(v) is list for v in data):
        if not all(type(v) is list for v in data):
            raise _fail(field, "", "", "data mixes nested lists and values at one level")
        data = list(itertools.chain.from_iterable(data))
    return data


def to_array(flat: list[Any], datatype: str, field: str) -> Any:
    """Flat JSON values -> a 1-D numpy array of ``datatype``, refusing values that do not fit.

    ``BYTES`` data becomes an object array of ``str`` (base64 is decoded later, by the caller
    that knows the column is ``binary``).

    Raises:
        DecodeProblem: an unknown datatype, or a value of the wrong kind or out of range.

    Example:
        >>> to_array([1.5], "INT64", "x")
        Traceback (most recent call last):
        ...
        tiffin.serve.v2.datatypes.DecodeProblem: input 'x': expected INT64 data, received \
float (integers only; e.g. 1.5)
        >>> to_array([2.0], "INT64", "x").tolist()  # JSON's 2.0 is the integer 2
        [2]
    """
    if datatype not in DATATYPES:
        hint = "BF16 has no numpy type; send FP32" if datatype == "BF16" else ""
        known = ", ".join(DATATYPES)
        raise _fail(field, f"a datatype among {known}", show(datatype, 20), hint)
    kinds = set(map(type, flat))
    if datatype == "BOOL":
        _only(kinds, (bool,), flat, datatype, field, "true or false only")
        return np.array(flat, dtype=bool)
    if datatype == BYTES:
        _only(kinds, (str,), flat, datatype, field, "strings only")
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out
    if datatype.startswith(("INT", "UINT")):
        _only(kinds, (int, float), flat, datatype, field, "integers only")
        if float in kinds:
            _whole(flat, datatype, field)
        return _ints(flat, datatype, field)
    _only(kinds, (int, float), flat, datatype, field, "numbers only")
    return _floats(flat, kinds, datatype, field)


def _only(
    kinds: set[type],
    allowed: tuple[type, ...],
    flat: list[Any],
    datatype: str,
    field: str,
    detail: str,
) -> None:
    if kinds <= set(allowed):
        return
    bad = next(v for v in flat if type(v) not in allowed)
    received = "null" if bad is None else type(bad).__name__
    raise _fail(field, f"{datatype} data", received, f"{detail}; e.g. {show(bad)}")


def _whole(flat: list[Any], datatype: str, field: str) -> None:
    """JSON has one number type (``1.0`` is the integer 1, as JSON Schema says); a float in
    integer data must be whole and exact (|v| <= 2**53: orjson reads integers beyond 64 bits
    as floats, which are not)."""
    limit = 2**53
    bad = next(
        (v for v in flat if type(v) is float and not (v.is_integer() and abs(v) <= limit)), None
    )
    if bad is not None:
        detail = f"integers only; e.g. {show(bad)}"
        raise _fail(field, f"{datatype} data", "float", detail)


def _ints(flat: list[Any], datatype: str, field: str) -> Any:
    info = np.iinfo(DATATYPES[datatype])
    if flat:
        low, high = min(flat), max(flat)
        if low < info.min or high > info.max:
            bad = low if low < info.min else high
            detail = f"{show(bad)} is out of range [{info.min}, {info.max}]"
            raise _fail(field, f"{datatype} data", "int", detail)
    return np.array(flat, dtype=DATATYPES[datatype])


def _floats(flat: list[Any], kinds: set[type], datatype: str, field: str) -> Any:
    if int in kinds:
        limit = 2 ** _MANTISSA[datatype]
        big = next((v for v in flat if type(v) is int and abs(v) > limit), None)
        if big is not None:
            detail = f"{show(big)} is not exactly representable (|v| > 2**{_MANTISSA[datatype]})"
            raise _fail(field, f"{datatype} data", "int", detail)
    wide = np.array(flat, dtype=np.float64)
    if datatype == "FP64":
        return wide
    with np.errstate(over="ignore"):  # overflow is looked for below, not warned about
        narrow = wide.astype(DATATYPES[datatype])
    overflow = ~np.isfinite(narrow)
    if overflow.any():
        bad = wide[overflow][0].item()
        raise _fail(field, f"{datatype} data", "float", f"{show(bad)} overflows {datatype}")
    return narrow


def decode_base64(values: Any, field: str) -> Any:
    """BYTES data for a ``binary`` column: base64 text -> ``bytes``, as MLflow's JSON encodes it
    (line breaks allowed, as ``base64.encodebytes`` writes them; the one decoder every JSON path
    shares, :func:`tiffin.format.base64_text.decode_base64_values`).

    Raises:
        DecodeProblem: a value is not valid base64.

    Example:
        >>> decode_base64(np.array(["aGk=\\n"], dtype=object), "b")[0]
        b'hi'
    """
    try:
        decoded = decode_base64_values(values)
    except Base64Error as e:
        detail = f"binary columns take base64 text; element {e.position} is {show(e.value)}"
        raise _fail(field, "BYTES (base64)", type(e.value).__name__, detail) from None
    out = np.empty(len(decoded), dtype=object)
    out[:] = decoded
    return out


def datatype_of(array: Any) -> str:
    """The V2 datatype for a numpy array's dtype (strings, objects and dates are ``BYTES``).

    Example:
        >>> datatype_of(np.zeros(2, dtype="float32"))
        'FP32'
    """
    name = array.dtype.name
    for v2, np_name in DATATYPES.items():
        if np_name == name and v2 != BYTES:
            return v2
    return BYTES
