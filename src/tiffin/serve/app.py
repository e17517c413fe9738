"""The Starlette app speaking MLflow's scoring protocol over one :class:`Scorer`.

Routes, as ``mlflow models serve`` has them: ``GET /ping`` and ``GET /health`` (200, body
``"\\n"``), ``GET /version`` and ``POST /invocations``. Every error is a JSON body
``{"error_code": ..., "message": ...}``: 400 for a body that cannot be decoded or does not fit
the signature, 413 for a body over the limit (refused before it is read), 415 for a Content-Type
or charset the server does not decode, 404 and 405 for unknown paths and wrong methods, 500 with
an ``error_id`` when the model's own code raises (the traceback only goes to the log).

Decoding, enforcement, predict and encoding run together in a worker thread, so one slow
request never stalls the event loop that answers ``/ping`` and accepts other requests.

Example:
    >>> app = build_app(Scorer.load("./model"), max_body_bytes=1 << 20)  # doctest: +SKIP
    >>> uvicorn.run(app, host="127.0.0.1", port=5000)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tiffin.errors import TiffinError
from tiffin.serve.errors import error_body, http_status
from tiffin.serve.limits import DEFAULT_MAX_BODY_BYTES, Limits, read_limited
from tiffin.serve.mlflow_codec import Decoder, decoder_for, encode_response
from tiffin.serve.scorer import Scorer

__all__ = ["build_app"]

logger = logging.getLogger("tiffin.serve")

JSON = "application/json"
_HTTP_CODES = {404: "ENDPOINT_NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def _json_error(
    status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON, headers=headers)


def _score(scorer: Scorer, decode: Decoder, body: bytes) -> bytes:
    """Decode, predict and encode in one worker-thread hop (the CPU-bound part of a request)."""
    data, params = decode(body)
    return encode_response(scorer.predict(data, params))


def _routes(scorer: Scorer, limits: Limits) -> list[Route]:
    async def ping(request: Request) -> Response:
        if not scorer.health():
            body = {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "no model is loaded"}
            return _json_error(503, body)
        return Response("\n", media_type=JSON)

    async def version(request: Request) -> Response:
        return PlainTextResponse(scorer.version())

    async def invocations(request: Request) -> Response:
        decode = decoder_for(request.headers.get("content-type"))
        body = await read_limited(request.headers, request.stream(), limits.max_body_bytes)
        payload = await run_in_threadpool(_score, scorer, decode, body)
        return Response(payload, media_type=JSON)

    return [
        Route("/ping", ping, methods=["GET"]),
        Route("/health", ping, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
        Route("/invocations", invocations, methods=["POST"]),
    ]


async def _on_tiffin_error(request: Request, exc: Exception) -> Response:
    return _json_error(http_status(exc), error_body(exc))


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
    message = f"{request.method} {request.url.path[:100]}: {exc.detail}"
    return _json_error(exc.status_code, {"error_code": code, "message": message}, exc.headers)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    error_id = uuid.uuid4().hex[:16]
    logger.error("error_id=%s: unexpected server error", error_id, exc_info=exc)
    message = f"internal server error; the server log has it under error_id {error_id}"
    body = {"error_code": "INTERNAL_ERROR", "message": message, "error_id": error_id}
    return _json_error(500, body)


def build_app(scorer: Scorer, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Starlette:
    """A Starlette app serving ``scorer`` with MLflow's routes, status codes and error bodies.

    Args:
        scorer: the loaded model.
        max_body_bytes: larger bodies get 413, before they are read (by Content-Length) or as
            soon as the streamed size passes the limit.

    Example:
        >>> app = build_app(Scorer.load("./model"))  # doctest: +SKIP
    """
    return Starlette(
        routes=_routes(scorer, Limits(max_body_bytes=max_body_bytes)),
        exception_handlers={
            TiffinError: _on_tiffin_error,
            HTTPException: _on_http_error,
            Exception: _on_unexpected,
        },
    )
