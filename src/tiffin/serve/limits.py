"""Request limits, enforced before the server spends memory or CPU on a request.

The body size is checked twice: against the declared ``Content-Length`` before a single byte of
the body is read, and again while a body without one (chunked) streams in, so a client can never
make the server buffer more than ``max_body_bytes``. JSON nesting is checked right after parsing
(orjson itself stops at 1024 levels, so parsing can never recurse without bound), the row count
right after decoding; the deadline, concurrency and queue bounds are applied by
:mod:`tiffin.serve.admission`.

Example:
    >>> Limits().max_body_bytes
    67108864
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from tiffin.serve.errors import (
    BadRequestError,
    PayloadTooLargeError,
    TooManyRowsError,
    UnsupportedMediaTypeError,
)

__all__ = ["DEFAULT_MAX_BODY_BYTES", "Limits", "check_depth", "check_rows", "check_unique_keys",
           "count_rows", "load_json", "read_limited"]  # fmt: skip

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
"""64 MiB: about 300,000 rows of 20 floats as JSON; MLflow's container allows 100 MB."""


@dataclass(frozen=True)
class Limits:
    """The limits one app enforces; safe defaults, each one configurable from the CLI.

    Example:
        >>> Limits(max_body_bytes=1024).max_body_bytes
        1024
    """

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_json_depth: int = 64
    """Deeper JSON is refused with 400 (a tensor of rank 60 still fits)."""
    max_rows: int = 100_000
    """More rows in one request is 413: split the request, or use ``tiffin models predict``."""
    timeout_seconds: float = 60.0
    """A request not answered by then gets 504 (MLflow's scoring-server default is also 60 s)."""
    max_concurrency: int = 32
    """Requests being decoded, predicted or encoded at once, over all models."""
    max_queue: int = 256
    """Requests waiting for one of those slots; beyond this the server answers 503."""


def _declared_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length")
    if value is None:
        return None
    if not value.strip().isdigit():
        raise BadRequestError(f"Content-Length must be a non-negative integer, got {value[:20]!r}")
    return int(value)


async def read_limited(
    headers: Mapping[str, str], chunks: AsyncIterator[bytes], limit: int
) -> bytes:
    """Read a request body, refusing it as soon as it is known to exceed ``limit`` bytes.

    Args:
        headers: the request headers (lower-case keys, as Starlette gives them).
        chunks: the body as it streams in (``request.stream()``). When the declared length is
            already over the limit it is never kept: up to ``DRAIN_BYTES`` it is read and
            discarded (for at most ``DRAIN_SECONDS``) so the client can read the 413, beyond
            that it is not touched.
        limit: the largest body accepted, in bytes.

    Raises:
        PayloadTooLargeError: declared or streamed size over ``limit`` (HTTP 413).
        BadRequestError: a malformed Content-Length.
        UnsupportedMediaTypeError: a Content-Encoding (the server never inflates a body: a
            small gzip bomb would pass the size limit and then fill memory).

    Example:
        >>> body = await read_limited(request.headers, request.stream(), 1024)  # doctest: +SKIP
    """
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding != "identity":
        raise UnsupportedMediaTypeError(
            f"Content-Encoding {encoding[:40]!r} is not accepted; send the body uncompressed"
        )
    declared = _declared_length(headers)
    if declared is not None and declared > limit:
        if declared <= DRAIN_BYTES:
            await _drain(chunks)
        raise PayloadTooLargeError(
            f"the request body is {declared} bytes; this server accepts at most {limit} "
            "(start it with a larger --max-body-bytes, or send fewer rows per request)"
        )
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(
                f"the request body exceeds {limit} bytes; this server accepts at most {limit}"
            )
        parts.append(chunk)
    return b"".join(parts)


#: a declared body up to this size is read and discarded before the 413 (at most for
#: DRAIN_SECONDS): closing on unread data makes the kernel send a reset, and a client still
#: sending then loses the 413 itself (RFC 9112 9.6, "lingering close"). Larger ones are refused
#: unread, as before.
DRAIN_BYTES = 8 << 20
DRAIN_SECONDS = 2.0


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    import asyncio

    async def consume() -> None:
        async for _chunk in chunks:
            pass

    # too slow (a timeout) or gone (a disconnect): either way the 413 is all that is left to do
    with contextlib.suppress(Exception):
        await asyncio.wait_for(consume(), DRAIN_SECONDS)


def load_json(body: bytes, max_depth: int, *, allow_nan: bool = False) -> Any:
    """Parse a JSON body the way every route must: orjson, depth bounded, no repeated key.

    ``allow_nan`` also takes the bare ``NaN``, ``Infinity`` and ``-Infinity`` tokens that
    Python's ``json`` writes (MLflow's ``serving_input_example.json`` holds them for missing
    values, and MLflow's server reads them); they are not JSON, so only the MLflow route asks.

    Raises:
        BadRequestError: not JSON (orjson's message says where; the body is never echoed),
            nested deeper than ``max_depth``, or a key repeated in an object.

    Example:
        >>> load_json(b'{"inputs": [[1.0]]}', 64)
        {'inputs': [[1.0]]}
        >>> load_json(b'{"inputs": [NaN]}', 64, allow_nan=True)
        {'inputs': [nan]}
    """
    import orjson

    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        if not (allow_nan and _NON_FINITE.search(body)):
            raise BadRequestError(f"the body is not valid JSON: {str(e)[:200]}") from None
        payload = _load_non_finite(body, str(e))
    check_unique_keys(body, check_depth(payload, max_depth))
    return payload


_NON_FINITE = re.compile(rb"\b(?:NaN|Infinity)\b")


def _load_non_finite(body: bytes, orjson_error: str) -> Any:
    """The stdlib parser, which reads NaN/Infinity; bounded by the stack, never echoing input."""
    import json

    try:
        return json.loads(body)
    except RecursionError:
        raise BadRequestError("the JSON body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequestError(f"the body is not valid JSON: {orjson_error[:200]}") from None


def check_depth(payload: Any, limit: int) -> int:
    """Refuse JSON nested deeper than ``limit`` levels, walking one level at a time; return
    the number of object members seen (for :func:`check_unique_keys`).

    Iterative, so a deep payload cannot exhaust the stack; it visits containers only (about
    80 us for 100 rows of 20 numbers).

    Raises:
        BadRequestError: deeper than ``limit``.

    Example:
        >>> check_depth([{"a": 1.0, "b": 2.0}], 64)
        2
        >>> check_depth([[[1]]], 2)
        Traceback (most recent call last):
        tiffin.serve.errors.BadRequestError: the JSON body is nested deeper than 2 levels
    """
    level: list[Any] = [payload]
    depth = members = 0
    while level:
        depth += 1
        if depth > limit:
            raise BadRequestError(f"the JSON body is nested deeper than {limit} levels")
        deeper: list[Any] = []
        for value in level:
            items = value.values() if type(value) is dict else value
            if type(value) is dict:
                members += len(value)
            if type(value) is dict or type(value) is list:
                deeper.extend([x for x in items if type(x) is list or type(x) is dict])
        level = deeper
    return members


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def check_unique_keys(body: bytes, members: int) -> None:
    """Refuse JSON that repeats a key in an object.

    orjson, like most parsers, keeps the last of duplicate keys silently, so
    ``{"f0": "abc", "f0": 1.0}`` would pass as the second. Every object member is written with
    exactly one ``:`` outside strings, so more colons than parsed members means a repeat.

    Raises:
        BadRequestError: a key is repeated.

    Example:
        >>> check_unique_keys(b'{"a": 1, "a": 2}', 1)
        Traceback (most recent call last):
        tiffin.serve.errors.BadRequestError: the JSON body repeats a key in an object
    """
    if not members or body.count(b":") == members:  # no colon in a string, no repeat: done
        return
    if _STRING.sub(b"", body).count(b":") != members:
        raise BadRequestError("the JSON body repeats a key in an object")


def check_rows(data: Any, limit: int) -> int:
    """Refuse model input with more than ``limit`` rows (frames, arrays, lists, dicts of them);
    return the row count.

    Raises:
        TooManyRowsError: over the limit (HTTP 413).

    Example:
        >>> check_rows([[1.0]] * 3, 2)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        tiffin.serve.errors.TooManyRowsError: the request has 3 rows; ...
    """
    rows = count_rows(data)
    if rows > limit:
        raise TooManyRowsError(
            f"the request has {rows} rows; this server accepts at most {limit} per request"
        )
    return rows


def count_rows(data: Any) -> int:
    """Rows in a model input: ``len`` of a frame, list or array; the longest value of a dict.

    Example:
        >>> count_rows({"a": [1, 2, 3], "b": [4]})
        3
    """
    if isinstance(data, dict):
        return max((count_rows(v) for v in data.values()), default=0)
    shape = getattr(data, "shape", None)
    if shape is not None:
        return int(shape[0]) if len(shape) else 1
    if isinstance(data, list | tuple):
        return len(data)
    return 1
