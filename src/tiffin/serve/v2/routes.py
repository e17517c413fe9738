"""The Open Inference (V2) protocol's routes, over any :class:`~tiffin.serve.runtime.Runtime`.

``GET /v2`` (server metadata), ``GET /v2/health/live`` and ``/v2/health/ready``, and for each
model ``GET /v2/models/{name}`` (metadata from the signature), ``GET .../ready`` and
``POST .../infer``, each also under ``/v2/models/{name}/versions/{version}``; a version that is
not the one served is a 404. The routes only decode and encode
(:mod:`tiffin.serve.v2.codec`); admission, batching and deadlines are the runtime's.

Each handler is a module-level function of a :class:`Context` (the runtime, the limits, the
error hook) and the request; :data:`ROUTES` lists them and :func:`v2_routes` binds them.

Errors: V2 clients read ``{"error": "..."}`` while tiffin's and MLflow's read
``{"error_code": ..., "message": ...}``, so every V2 error body carries both, plus the usual
extras (``problems`` for schema errors, ``error_id`` for the model's own failures). The routes
catch errors themselves to add the ``error`` key (so they answer V2 in any Starlette app); the
status, body and headers (``Retry-After`` on overload) come from
:func:`tiffin.serve.errors.error_reply`, the one mapping both protocols use.

Example:
    >>> app = Starlette(routes=v2_routes(runtime, Limits()))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from tiffin.errors import NotFoundError
from tiffin.pyfunc.enforce import show
from tiffin.serve.errors import NotReadyError, UnsupportedMediaTypeError, error_reply
from tiffin.serve.limits import Limits, count_rows, read_limited
from tiffin.serve.offload import INLINE_BYTES, INLINE_ROWS, run_sized
from tiffin.serve.runtime import Runtime
from tiffin.serve.scorer import Scorer
from tiffin.serve.v2.codec import decode_infer_request, encode_infer_response
from tiffin.serve.v2.metadata import model_metadata, server_metadata
from tiffin.serve.v2.parameters import refuse_binary_body

__all__ = [
    "Context",
    "ErrorHook",
    "Handler",
    "ROUTES",
    "infer",
    "live",
    "metadata",
    "model_ready",
    "ready",
    "server",
    "v2_routes",
]

JSON = "application/json"
ErrorHook = Callable[[Request, str], None]
"""Called with each error's ``error_code`` before it is answered (the app counts them)."""


@dataclass(frozen=True)
class Context:
    """What the V2 handlers need: the served models, the limits and the error hook.

    Attributes:
        runtime: the served models.
        limits: ``max_body_bytes`` (413, before the body is read when Content-Length says so,
            else as soon as the streamed size passes it) and ``max_json_depth`` (400).
        on_error: called with ``(request, error_code)`` for every error answered, since these
            routes answer their errors themselves instead of leaving them to the app's handlers.
    """

    runtime: Runtime
    limits: Limits
    on_error: ErrorHook | None = None


Handler = Callable[[Context, Request], Awaitable[Response]]


async def _answer(handler: Handler, context: Context, request: Request) -> Response:
    """Run ``handler``; answer any error with a V2 error body (see the module docstring)."""
    try:
        return await handler(context, request)
    except ClientDisconnect:
        raise
    except Exception as e:
        reply = error_reply(e, v2=True)
    if context.on_error is not None:
        context.on_error(request, reply.body["error_code"])
    body = orjson.dumps(reply.body)
    return Response(body, status_code=reply.status, media_type=JSON, headers=reply.headers)


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type=JSON)


def _check_content_type(value: str | None) -> None:
    """JSON only (a missing Content-Type is taken as JSON); charset, if given, must be UTF-8."""
    if not value:
        return
    mime, *parameters = (part.strip() for part in value.split(";"))
    for parameter in filter(None, parameters):
        key, _, charset = parameter.partition("=")
        charset = charset.strip().strip('"').lower()
        if key.strip().lower() != "charset" or charset not in ("utf-8", "utf8"):
            raise UnsupportedMediaTypeError(
                f"Content-Type parameter {show(parameter, 40)} is not accepted; "
                "V2 requests are application/json (UTF-8)"
            )
    if mime.lower() != JSON:
        raise UnsupportedMediaTypeError(
            f"Content-Type {show(mime, 80)} is not supported; V2 requests are application/json"
        )


def _platform(scorer: Scorer) -> str:
    flavors = [f for f in scorer.model.metadata.flavors if f != "python_function"]
    return flavors[0] if flavors else "python_function"


def _served(context: Context, request: Request) -> tuple[str, Scorer]:
    """The model the path names, and its scorer; a version other than the served one is a 404."""
    name = request.path_params["name"]
    scorer = context.runtime.scorer(name)
    version = request.path_params.get("version")
    served_version = scorer.model_version()
    if version is not None and version != served_version:
        which = (
            f"version {served_version} is"
            if served_version is not None
            else "it is served from a path or run, without a registry version"
        )
        raise NotFoundError(
            f"model {show(name, 60)} version {show(version, 40)} is not served ({which})"
        )
    return name, scorer


async def server(context: Context, request: Request) -> Response:
    """``GET /v2``: the server's metadata."""
    return _json(server_metadata())


async def live(context: Context, request: Request) -> Response:
    """``GET /v2/health/live``: the process answers."""
    return _json({"live": True})


async def ready(context: Context, request: Request) -> Response:
    """``GET /v2/health/ready``: every model loaded and not draining, else 503."""
    if not context.runtime.ready():
        raise NotReadyError("the server is not ready: models are loading or it is draining")
    return _json({"ready": True})


async def metadata(context: Context, request: Request) -> Response:
    """``GET /v2/models/{name}``: the model's inputs, outputs and params from its signature."""
    name, scorer = _served(context, request)
    signature = scorer.model.signature
    return _json(model_metadata(name, scorer.model_version(), signature, _platform(scorer)))


async def model_ready(context: Context, request: Request) -> Response:
    """``GET /v2/models/{name}/ready``: the model is healthy and the server ready, else 503."""
    name, scorer = _served(context, request)
    if not (scorer.health() and context.runtime.ready()):
        raise NotReadyError(f"model {show(name, 60)} is not ready")
    return _json({"name": name, "ready": True})


async def infer(context: Context, request: Request) -> Response:
    """``POST /v2/models/{name}/infer``: decode, predict through the runtime, encode."""
    name, scorer = _served(context, request)
    refuse_binary_body(request.headers)
    _check_content_type(request.headers.get("content-type"))
    limits = context.limits
    body = await read_limited(request.headers, request.stream(), limits.max_body_bytes)
    signature, version = scorer.model.signature, scorer.model_version()
    decoded = await run_sized(
        len(body) <= INLINE_BYTES,
        decode_infer_request,
        body,
        signature,
        max_depth=limits.max_json_depth,
    )
    result = await context.runtime.predict(name, decoded.data, decoded.params)
    payload = await run_sized(
        count_rows(result) <= INLINE_ROWS,
        encode_infer_response,
        result,
        model_name=name,
        model_version=version,
        request_id=decoded.id,
        signature=signature,
        outputs=decoded.outputs,
    )
    return Response(payload, media_type=JSON)


_MODEL_ROUTES: tuple[tuple[str, Handler, str], ...] = (
    ("", metadata, "GET"),
    ("/ready", model_ready, "GET"),
    ("/infer", infer, "POST"),
)

ROUTES: tuple[tuple[str, Handler, str], ...] = (
    ("/v2", server, "GET"),
    ("/v2/health/live", live, "GET"),
    ("/v2/health/ready", ready, "GET"),
    *(
        (prefix + tail, handler, method)
        for prefix in ("/v2/models/{name}", "/v2/models/{name}/versions/{version}")
        for tail, handler, method in _MODEL_ROUTES
    ),
)
"""The V2 route table: (path, handler, method), in the order Starlette matches them."""


def v2_routes(
    runtime: Runtime, limits: Limits | None = None, *, on_error: ErrorHook | None = None
) -> list[Route]:
    """The V2 routes over ``runtime``: :data:`ROUTES` bound to one :class:`Context`.

    Args:
        runtime: the served models.
        limits: the body and JSON depth limits (the defaults when not given).
        on_error: called with ``(request, error_code)`` for every error answered.

    Example:
        >>> routes = v2_routes(served, Limits(), on_error=count_error)  # doctest: +SKIP
        >>> app = Starlette(routes=[*mlflow_routes(served, Limits()), *routes])  # doctest: +SKIP
    """
    context = Context(runtime, limits or Limits(), on_error)
    return [
        Route(path, partial(_answer, handler, context), methods=[method], name=handler.__name__)
        for path, handler, method in ROUTES
    ]
