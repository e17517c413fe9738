"""MLflow's scoring routes over a :class:`~tiffin.serve.runtime.Runtime`.

``GET /ping`` and ``GET /health`` (200 with body ``"\\n"`` once ready, 503 before), ``GET
/version`` and ``POST /invocations``, as ``mlflow models serve`` has them; with several models,
each also at ``POST /models/{name}/invocations`` (``/invocations`` then answers only when
exactly one model is served, so a client never reaches the wrong model by accident).

Each handler is a module-level function of a :class:`Context` (the runtime and the limits) and
the request; :data:`ROUTES` lists them and :func:`mlflow_routes` binds them. Errors are raised,
and answered by the app (:func:`tiffin.serve.errors.error_reply`).

Large bodies are decoded and large answers encoded in a worker thread
(:mod:`tiffin.serve.offload`), so one never stalls the event loop that answers ``/ping``;
predicting goes through the runtime, which admits, batches and times it.

Example:
    >>> routes = mlflow_routes(served, Limits())  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tiffin.errors import NotFoundError
from tiffin.format.schema import Schema
from tiffin.serve.limits import Limits, count_rows, read_limited
from tiffin.serve.mlflow.codec import decoder_for, encode_response, is_parquet
from tiffin.serve.mlflow.wire_types import read_as_declared
from tiffin.serve.offload import INLINE_BYTES, INLINE_ROWS, run_sized
from tiffin.serve.runtime import Runtime

__all__ = [
    "Context",
    "Handler",
    "JSON",
    "ROUTES",
    "invocations",
    "mlflow_routes",
    "named_invocations",
    "ping",
    "score",
    "version",
]

JSON = "application/json"


@dataclass(frozen=True)
class Context:
    """What the MLflow handlers need: the served models and the request limits."""

    runtime: Runtime
    limits: Limits


Handler = Callable[[Context, Request], Awaitable[Response]]


def _inputs(runtime: Runtime, name: str) -> Schema | None:
    signature = runtime.scorer(name).model.signature
    return signature.inputs if signature is not None else None


async def ping(context: Context, request: Request) -> Response:
    """``GET /ping`` and ``GET /health``: ``"\\n"`` once ready, 503 before (and draining)."""
    if not context.runtime.ready():
        body = {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "not ready"}
        return Response(orjson.dumps(body), status_code=503, media_type=JSON)
    return Response("\n", media_type=JSON)


async def version(context: Context, request: Request) -> Response:
    """``GET /version``: the served model's version with one model, else tiffin's."""
    names = context.runtime.names()
    if len(names) == 1:
        return PlainTextResponse(context.runtime.scorer(names[0]).version())
    from tiffin._version import __version__

    return PlainTextResponse(__version__)


async def score(context: Context, request: Request, name: str) -> Response:
    """Decode the body by its Content-Type, predict with model ``name``, encode the answer."""
    limits = context.limits
    decode = decoder_for(
        request.headers.get("content-type"),
        max_json_depth=limits.max_json_depth,
        max_rows=limits.max_rows,
    )
    body = await read_limited(request.headers, request.stream(), limits.max_body_bytes)
    data, params = await run_sized(len(body) <= INLINE_BYTES, decode, body)
    if not is_parquet(decode):  # JSON and CSV cannot say float32, int or null
        data = read_as_declared(data, _inputs(context.runtime, name))
    result = await context.runtime.predict(name, data, params)
    payload = await run_sized(count_rows(result) <= INLINE_ROWS, encode_response, result)
    return Response(payload, media_type=JSON)


async def invocations(context: Context, request: Request) -> Response:
    """``POST /invocations``: the one served model (404 naming the others when several)."""
    names = context.runtime.names()
    if len(names) != 1:
        raise NotFoundError(
            f"{len(names)} models are served here: POST /models/{{name}}/invocations "
            f"with one of {names[:20]}"
        )
    return await score(context, request, names[0])


async def named_invocations(context: Context, request: Request) -> Response:
    """``POST /models/{name}/invocations``: the model the path names."""
    return await score(context, request, request.path_params["name"])


ROUTES: tuple[tuple[str, Handler, str], ...] = (
    ("/ping", ping, "GET"),
    ("/health", ping, "GET"),
    ("/version", version, "GET"),
    ("/invocations", invocations, "POST"),
    ("/models/{name}/invocations", named_invocations, "POST"),
)
"""The MLflow route table: (path, handler, method), in the order Starlette matches them."""


def mlflow_routes(runtime: Runtime, limits: Limits) -> list[Route]:
    """The MLflow protocol's routes for every model ``runtime`` serves: :data:`ROUTES` bound to
    one :class:`Context`.

    Example:
        >>> [r.path for r in mlflow_routes(served, Limits())][:2]  # doctest: +SKIP
        ['/ping', '/health']
    """
    context = Context(runtime, limits)
    return [
        Route(path, partial(handler, context), methods=[method], name=handler.__name__)
        for path, handler, method in ROUTES
    ]
