"""The Starlette app: protocol routes over the served models, plus auth, metrics and errors.

Routes: MLflow's (:mod:`tiffin.serve.mlflow.routes`), the Open Inference V2 protocol
(:mod:`tiffin.serve.v2.routes`), ``GET /openapi.json`` and ``GET /docs`` generated from the
signatures (:mod:`tiffin.serve.openapi`), and ``GET /metrics``. Every error is a JSON body
``{"error_code": ..., "message": ...}`` (:func:`tiffin.serve.errors.error_reply`), which under
``/v2`` (any path, routed or not) also has V2's ``error``: 400 for a body that cannot be decoded
or does not fit the signature, 401 without the bearer token, 404 and 405 for unknown paths and
wrong methods, 413 for a body or row count over the limit (a body refused before it is read),
415 for a Content-Type or charset the server does not decode, 500 with an ``error_id`` when the
model's own code raises (the traceback only goes to the log), 503 with ``Retry-After`` when the
queue is full, 504 past the deadline.

Example:
    >>> served = ServedModels([ModelSlot.load("iris", "./model")], ServeOptions())  # doctest: +SKIP
    >>> uvicorn.run(build_app(served), host="127.0.0.1", port=5000)  # doctest: +SKIP
"""

from __future__ import annotations

import hmac
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tiffin.errors import InvalidValueError, TiffinError
from tiffin.format.schema import Signature
from tiffin.serve.errors import (
    ErrorReply,
    RequestError,
    UnauthorizedError,
    error_reply,
    is_v2_path,
    with_error_key,
)
from tiffin.serve.metrics import CONTENT_TYPE
from tiffin.serve.mlflow.routes import JSON, mlflow_routes
from tiffin.serve.models import ServedModels

if TYPE_CHECKING:
    from tiffin.serve.openapi.page import DocsPage

__all__ = ["HeadersError", "MAX_HEADERS", "MAX_HEADER_BYTES", "OPEN_PATHS", "build_app",
           "check_token"]  # fmt: skip

OPEN_PATHS = frozenset({"/ping", "/health", "/v2/health/live", "/v2/health/ready"})
"""Health routes answer without a token (load balancers probe them); they reveal nothing."""

_HTTP_CODES = {404: "ENDPOINT_NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def _reply(reply: ErrorReply) -> Response:
    body = orjson.dumps(reply.body)
    return Response(body, status_code=reply.status, media_type=JSON, headers=reply.headers)


def _model_label(scope: Scope, served: ServedModels) -> str:
    """The served model a request was for, or "" (never a client-chosen string)."""
    name = scope.get("path_params", {}).get("name")
    if name in served.slots:
        return str(name)
    if scope.get("path") == "/invocations" and len(served.slots) == 1:
        return next(iter(served.slots))
    return ""


def _protocol(path: str) -> str:
    if path.endswith("/invocations"):
        return "mlflow"
    if path.startswith("/v2/"):
        return "v2"
    return "other"


MAX_HEADERS = 100
MAX_HEADER_BYTES = 16 * 1024


class HeadersError(RequestError):
    """A request head the server will not act on; the connection is closed after the answer."""

    def __init__(self, message: str, status_code: int):
        super().__init__(message)
        self.status_code = status_code
        self.error_code = "REQUEST_LIMIT_EXCEEDED" if status_code == 431 else "BAD_REQUEST"
        self.headers = {"Connection": "close"}


def _check_framing(headers: list[tuple[bytes, bytes]]) -> None:
    """Refuse what uvicorn's parser lets through: both Content-Length and Transfer-Encoding
    (request smuggling; RFC 9112 6.1 says close), and heads over 100 headers or 16 KiB (h11
    bounds only a head that arrives in pieces).

    Raises:
        HeadersError: 400 or 431, with ``Connection: close``.
    """
    if len(headers) > MAX_HEADERS:
        raise HeadersError(f"more than {MAX_HEADERS} request headers", 431)
    size = 0
    framing = 0
    for key, value in headers:
        size += len(key) + len(value)
        if key == b"content-length" or key == b"transfer-encoding":
            framing |= 1 if key == b"content-length" else 2
    if size > MAX_HEADER_BYTES:
        raise HeadersError(f"request headers larger than {MAX_HEADER_BYTES} bytes", 431)
    if framing == 3:
        raise HeadersError("both Content-Length and Transfer-Encoding: ambiguous framing", 400)


class _MeteredAndGuarded:
    """ASGI middleware: the bearer-token check, then request count and latency by model."""

    def __init__(self, app: ASGIApp, served: ServedModels, token: str | None):
        self.app = app
        self.served = served
        self.token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            _check_framing(scope["headers"])
            if self.token is not None and scope["path"] not in OPEN_PATHS:
                self._check_token(scope)
            await self.app(scope, receive, send_and_note)
        except (UnauthorizedError, HeadersError) as e:
            response = _reply(error_reply(e, v2=is_v2_path(scope["path"])))
            await response(scope, receive, send_and_note)
        finally:
            self.served.metrics.observe_request(
                _model_label(scope, self.served),
                _protocol(scope["path"]),
                status,
                time.perf_counter() - start,
            )

    def _check_token(self, scope: Scope) -> None:
        assert self.token is not None
        for key, value in scope["headers"]:
            if key == b"authorization":
                scheme, _, given = value.partition(b" ")
                if scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.token):
                    return
                raise UnauthorizedError("the bearer token is not valid for this server")
        raise UnauthorizedError("this server requires 'Authorization: Bearer <token>'")


def _count_error(request: Request, code: str) -> None:
    served: ServedModels = request.app.state.served
    served.metrics.errors.labels(_model_label(request.scope, served), code).inc()


async def _on_error(request: Request, exc: Exception) -> Response:
    """Tiffin's errors (their status and body) and unexpected ones (500 with an error_id)."""
    reply = error_reply(exc, v2=is_v2_path(request.url.path))
    _count_error(request, reply.body["error_code"])
    return _reply(reply)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
    _count_error(request, code)
    message = f"{request.method} {request.url.path[:100]}: {exc.detail}"
    body: dict[str, Any] = {"error_code": code, "message": message}
    if is_v2_path(request.url.path):
        body = with_error_key(body)
    headers = dict(exc.headers) if exc.headers is not None else None
    return _reply(ErrorReply(exc.status_code, body, headers))


def _described(served: ServedModels) -> dict[str, tuple[str | None, Signature | None]]:
    """Name -> (registry version or None, signature) of what is served right now (changes
    when aliases move)."""
    return {
        n: (served.scorer(n).model_version(), served.scorer(n).model.signature)
        for n in served.names()
    }


@dataclass
class _Service:
    """What ``/metrics``, ``/openapi.json`` and ``/docs`` need, and the document and page last
    built (rebuilt only when a served version changes)."""

    served: ServedModels
    bearer_auth: bool
    base_url: str
    openapi_cache: dict[Any, bytes] = field(default_factory=dict)
    docs_cache: dict[Any, DocsPage] = field(default_factory=dict)


def _versions(described: dict[str, tuple[str | None, Signature | None]]) -> Any:
    return tuple((name, version) for name, (version, _) in described.items())


async def _metrics(service: _Service, request: Request) -> Response:
    return Response(service.served.metrics.render(), media_type=CONTENT_TYPE)


async def _openapi(service: _Service, request: Request) -> Response:
    from tiffin.serve.openapi.document import openapi_document

    described = _described(service.served)
    key = _versions(described)
    if key not in service.openapi_cache:
        service.openapi_cache.clear()  # only the versions served now are worth keeping
        document = openapi_document(described, bearer_auth=service.bearer_auth)
        service.openapi_cache[key] = orjson.dumps(document)
    return Response(service.openapi_cache[key], media_type=JSON)


async def _docs(service: _Service, request: Request) -> Response:
    from tiffin.serve.openapi.page import docs_page, read_serving_example

    served = service.served
    described = _described(served)
    key = _versions(described)
    if key not in service.docs_cache:
        service.docs_cache.clear()
        examples = {n: read_serving_example(served.scorer(n).model.model_dir) for n in described}
        page = docs_page(described, examples=examples, base_url=service.base_url)
        service.docs_cache[key] = page
    page = service.docs_cache[key]
    return HTMLResponse(page.html, headers=page.headers)


_SERVICE_ROUTES = (
    ("/metrics", _metrics, "GET"),
    ("/openapi.json", _openapi, "GET"),
    ("/docs", _docs, "GET"),
)


def _service_routes(served: ServedModels, *, bearer_auth: bool, base_url: str) -> list[Route]:
    """``/metrics``, and ``/openapi.json`` and ``/docs`` rebuilt only when a version changes."""
    service = _Service(served, bearer_auth, base_url)
    return [
        Route(path, partial(handler, service), methods=[method], name=handler.__name__[1:])
        for path, handler, method in _SERVICE_ROUTES
    ]


def check_token(token: str | None) -> str | None:
    """``token`` if it can authenticate anyone, ``None`` for none; an empty token is refused.

    An empty or blank token used to mean "no token": ``--token ""`` (an unset variable in a
    script) started a server with authentication off. Surrounding whitespace and control
    characters are refused too: a header cannot carry them, so such a token could never match.

    Raises:
        InvalidValueError: empty, whitespace only, surrounding whitespace or a control character.

    Example:
        >>> check_token("s3cret")
        's3cret'
        >>> check_token("  ")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        tiffin.errors.InvalidValueError: the bearer token is empty (or only whitespace); ...
    """
    if token is None:
        return None
    if not isinstance(token, str) or not token.strip():
        raise InvalidValueError(
            "the bearer token is empty (or only whitespace); give a real token, or none"
        )
    if token != token.strip() or any(ord(c) < 32 or ord(c) == 127 for c in token):
        raise InvalidValueError(
            "the bearer token has surrounding whitespace or a control character, which an "
            "Authorization header cannot carry"
        )
    return token


def build_app(
    served: ServedModels, *, token: str | None = None, base_url: str = "http://127.0.0.1:5000"
) -> Starlette:
    """A Starlette app serving ``served`` over MLflow's protocol, V2, OpenAPI and metrics.

    Args:
        served: the loaded models with their limits, batching and alias following.
        token: when given, every route except health needs ``Authorization: Bearer <token>``;
            an empty one is refused (:func:`check_token`), never read as "no token".
        base_url: the address the server is reached at, for the examples in ``/docs`` (taken
            from the bind address, never from a request's Host header).

    Example:
        >>> app = build_app(served, token="s3cret")  # doctest: +SKIP
    """

    token = check_token(token)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        served.draining = False
        await served.start()
        try:
            yield
        finally:
            served.draining = True
            await served.stop()

    limits = served.options.limits
    from tiffin.serve.v2.routes import v2_routes

    routes = [
        *mlflow_routes(served, limits),
        *v2_routes(served, limits, on_error=_count_error),
        *_service_routes(served, bearer_auth=token is not None, base_url=base_url),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            TiffinError: _on_error,
            HTTPException: _on_http_error,
            Exception: _on_error,
        },
        lifespan=lifespan,
    )
    app.state.served = served
    app.add_middleware(_MeteredAndGuarded, served=served, token=token)
    return app
