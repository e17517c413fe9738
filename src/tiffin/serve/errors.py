"""Errors the scoring server raises itself, and the one place tiffin errors become HTTP statuses.

The scorer and the codecs raise exceptions, never responses, so they stay free of any web
framework; :func:`error_reply` turns an exception into the status (:func:`http_status`), the
``{"error_code": ..., "message": ...}`` body MLflow's clients read (:func:`error_body`) and the
headers, for the app's handlers and the V2 routes alike; on ``/v2`` paths the body also carries
V2's ``error`` key (:func:`with_error_key`), routed path or not. Client faults are
4xx and name the field; anything the model itself raised is a 500 that carries an ``error_id``
(the traceback goes to the server log under that id, never into the body).

Example:
    >>> from tiffin.errors import SchemaError
    >>> http_status(SchemaError("column 'a': missing"))
    400
    >>> error_body(PayloadTooLargeError("body over 10 bytes"))["error_code"]
    'REQUEST_LIMIT_EXCEEDED'
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, NamedTuple

from tiffin.errors import (
    AlreadyExistsError,
    ConflictError,
    FormatError,
    NotFoundError,
    SchemaError,
    TiffinError,
    UntrustedModelError,
)

__all__ = [
    "BadRequestError",
    "DeadlineExceededError",
    "ErrorReply",
    "MAX_MESSAGE_CHARS",
    "ModelError",
    "NotReadyError",
    "OverloadedError",
    "PayloadTooLargeError",
    "RequestError",
    "TooManyRowsError",
    "UnauthorizedError",
    "UnsupportedMediaTypeError",
    "error_body",
    "error_reply",
    "http_status",
    "is_v2_path",
    "unexpected_error_body",
    "with_error_key",
]

logger = logging.getLogger("tiffin.serve")

MAX_MESSAGE_CHARS = 1000
"""An error message is cut here; pieces of user input inside it are already cut far shorter."""


class RequestError(TiffinError):
    """A request the server refuses before the model sees it; carries its own HTTP status."""

    error_code = "BAD_REQUEST"
    status_code = 400
    headers: dict[str, str] | None = None


class BadRequestError(RequestError):
    """The body cannot be decoded in the format its Content-Type announced (bad JSON, CSV...)."""


class PayloadTooLargeError(RequestError):
    """The body is larger than the server's limit (declared or as it streamed in).

    The answer closes the connection: the rest of the body is never read.
    """

    error_code = "REQUEST_LIMIT_EXCEEDED"
    status_code = 413

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.headers = {"Connection": "close"}


class UnsupportedMediaTypeError(RequestError):
    """A Content-Type, or a charset, the server does not decode."""

    status_code = 415


class TooManyRowsError(RequestError):
    """More rows in one request than the server's ``max_rows``."""

    error_code = "REQUEST_LIMIT_EXCEEDED"
    status_code = 413


class UnauthorizedError(RequestError):
    """No bearer token, or the wrong one, on a server started with ``--token``."""

    error_code = "UNAUTHENTICATED"
    status_code = 401

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.headers = {"WWW-Authenticate": "Bearer"}


class OverloadedError(RequestError):
    """Every slot is busy and the queue is full: come back later (``Retry-After``)."""

    error_code = "TEMPORARILY_UNAVAILABLE"
    status_code = 503

    def __init__(self, message: str = "", retry_after_seconds: int = 1):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after_seconds)}


class DeadlineExceededError(RequestError):
    """The request did not finish within the server's ``--timeout``."""

    error_code = "DEADLINE_EXCEEDED"
    status_code = 504


class NotReadyError(RequestError):
    """The server or a model cannot take requests yet (loading) or any more (draining)."""

    error_code = "TEMPORARILY_UNAVAILABLE"
    status_code = 503


class ModelError(TiffinError):
    """The model's own code raised; ``error_id`` finds the traceback in the server log."""

    error_code = "INTERNAL_ERROR"

    def __init__(self, message: str, error_id: str):
        super().__init__(message)
        self.error_id = error_id


_STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (SchemaError, 400),
    (FormatError, 400),
    (NotFoundError, 404),
    (UntrustedModelError, 403),
    (AlreadyExistsError, 409),
    (ConflictError, 409),
)


def unexpected_error_body(error: BaseException) -> dict[str, Any]:
    """Log an error nobody anticipated under a fresh id; the 500 body that names only the id.

    Example:
        >>> unexpected_error_body(KeyError("x"))["error_code"]
        'INTERNAL_ERROR'
    """
    error_id = uuid.uuid4().hex[:16]
    logger.error("error_id=%s: unexpected server error", error_id, exc_info=error)
    message = f"internal server error; the server log has it under error_id {error_id}"
    return {"error_code": "INTERNAL_ERROR", "message": message, "error_id": error_id}


def http_status(error: BaseException) -> int:
    """The HTTP status for an exception: its own for a :class:`RequestError`, else by class.

    Example:
        >>> http_status(ValueError("boom"))
        500
    """
    if isinstance(error, RequestError):
        return error.status_code
    for cls, status in _STATUS:
        if isinstance(error, cls):
            return status
    return 500


def error_body(error: BaseException) -> dict[str, Any]:
    """The JSON body for an error: ``error_code``, a bounded ``message``, and extras.

    Schema errors add ``problems`` (one object per mismatch, with field, expected and received)
    so a client can act on them without parsing text; model errors add ``error_id``.

    Example:
        >>> error_body(BadRequestError("invalid JSON"))
        {'error_code': 'BAD_REQUEST', 'message': 'invalid JSON'}
    """
    code = error.error_code if isinstance(error, TiffinError) else "INTERNAL_ERROR"
    message = str(error) or type(error).__name__
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 3] + "..."
    body: dict[str, Any] = {"error_code": code, "message": message}
    if isinstance(error, ModelError):
        body["error_id"] = error.error_id
    problems = getattr(error, "problems", None)
    if isinstance(error, SchemaError) and problems:
        body["problems"] = [_problem(p) for p in list(problems)[:20]]
    return body


def _problem(problem: Any) -> dict[str, Any]:
    field = getattr(problem, "field", None)
    if isinstance(field, str) and len(field) > 40:
        field = field[:37] + "..."  # a column name the client sent is user input, cut it too
    return {
        "field": field,
        "expected": getattr(problem, "expected", ""),
        "received": getattr(problem, "received", ""),
        "detail": getattr(problem, "detail", ""),
    }


def is_v2_path(path: str) -> bool:
    """True for ``/v2`` and every path under it, routed or not: their errors carry ``error``.

    Example:
        >>> is_v2_path("/v2/repository/index"), is_v2_path("/v2x")
        (True, False)
    """
    return path == "/v2" or path.startswith("/v2/")


def with_error_key(body: dict[str, Any]) -> dict[str, Any]:
    """An error body with V2's ``error`` key (the message) in front of tiffin's keys.

    Example:
        >>> with_error_key({"error_code": "BAD_REQUEST", "message": "no"})["error"]
        'no'
    """
    return {"error": body["message"], **body}


class ErrorReply(NamedTuple):
    """An error as HTTP: the status, the JSON body and the headers the error asks for."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] | None


def error_reply(error: BaseException, *, v2: bool = False) -> ErrorReply:
    """The one mapping of an exception to its HTTP answer, for both protocols.

    A tiffin error gets :func:`http_status` and :func:`error_body`, with its ``headers``
    (``Retry-After`` on overload, ``Connection: close`` past a size limit); anything else is
    logged under a fresh ``error_id`` and answered 500 naming only the id
    (:func:`unexpected_error_body`). With ``v2`` (a path under ``/v2``) the body also carries
    V2's ``error`` key (:func:`with_error_key`).

    Example:
        >>> error_reply(NotReadyError("draining"), v2=True)
        ErrorReply(status=503, body={'error': 'draining', 'error_code': \
'TEMPORARILY_UNAVAILABLE', 'message': 'draining'}, headers=None)
        >>> error_reply(OverloadedError("queue full")).headers
        {'Retry-After': '1'}
    """
    if isinstance(error, TiffinError):
        status, body = http_status(error), error_body(error)
    else:
        status, body = 500, unexpected_error_body(error)
    headers = error.headers if isinstance(error, RequestError) else None
    return ErrorReply(status, with_error_key(body) if v2 else body, headers)
