"""Request limits, enforced before the server spends memory or CPU on a request.

The body size is checked twice: against the declared ``Content-Length`` before a single byte of
the body is read, and again while a body without one (chunked) streams in, so a client can never
make the server buffer more than ``max_body_bytes``.

Example:
    >>> Limits().max_body_bytes
    67108864
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from tiffin.serve.errors import BadRequestError, PayloadTooLargeError

__all__ = ["DEFAULT_MAX_BODY_BYTES", "Limits", "read_limited"]

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
        chunks: the body as it streams in (``request.stream()``); not touched when the declared
            length is already over the limit.
        limit: the largest body accepted, in bytes.

    Raises:
        PayloadTooLargeError: declared or streamed size over ``limit`` (HTTP 413).
        BadRequestError: a malformed Content-Length.

    Example:
        >>> body = await read_limited(request.headers, request.stream(), 1024)  # doctest: +SKIP
    """
    declared = _declared_length(headers)
    if declared is not None and declared > limit:
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
