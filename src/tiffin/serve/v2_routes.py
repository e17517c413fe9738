"""The Open Inference (V2) protocol's routes, over any :class:`~tiffin.serve.runtime.Runtime`.

``GET /v2`` (server metadata), ``GET /v2/health/live`` and ``/v2/health/ready``, and for each
model ``GET /v2/models/{name}`` (metadata from the signature), ``GET .../ready`` and
``POST .../infer``, each also under ``/v2/models/{name}/versions/{version}``; a version that is
not the one served is a 404. The routes only decode and encode
(:mod:`tiffin.serve.v2_codec`); admission, batching and deadlines are the runtime's.

Errors: V2 clients read ``{"error": "..."}`` while tiffin's and MLflow's read
``{"error_code": ..., "message": ...}``, so every V2 error body carries both, plus the usual
extras (``problems`` for schema errors, ``error_id`` for the model's own failures). The routes
catch errors themselves to add the ``error`` key; the status comes from
:func:`tiffin.serve.errors.http_status` as everywhere else, and an error's ``headers``
(``Retry-After`` on overload) become response headers.

Example:
    >>> app = Starlette(routes=v2_routes(runtime, max_body_bytes=1 << 20))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from tiffin.errors import NotFoundError, TiffinError
from tiffin.pyfunc.enforce import show
from tiffin.serve.errors import (
    RequestError,
    UnsupportedMediaTypeError,
    error_body,
    http_status,
    unexpected_error_body,
    with_error_key,
)
from tiffin.serve.limits import Limits, count_rows, read_limited
from tiffin.serve.offload import INLINE_BYTES, INLINE_ROWS, run_sized
from tiffin.serve.runtime import Runtime
from tiffin.serve.scorer import Scorer
from tiffin.serve.v2_codec import decode_infer_request, encode_infer_response
from tiffin.serve.v2_metadata import model_metadata, server_metadata
from tiffin.serve.v2_parameters import refuse_binary_body

__all__ = [
    "ErrorHook",
    "NotReadyError",
    "v2_error_body",
    "v2_routes",
]

JSON = "application/json"
T = TypeVar("T")
Handler = Callable[[Request], Awaitable[Response]]
ErrorHook = Callable[[Request, str], None]
"""Called with each error's ``error_code`` before it is answered (the app counts them)."""


class NotReadyError(RequestError):
    """The server or a model cannot take requests yet (loading) or any more (draining)."""

    error_code = "TEMPORARILY_UNAVAILABLE"
    status_code = 503


def v2_error_body(error: BaseException) -> dict[str, Any]:
    """The body of a V2 error: ``error`` (V2's key) plus tiffin's ``error_code``/``message``.

    Example:
        >>> v2_error_body(NotReadyError("draining"))
        {'error': 'draining', 'error_code': 'TEMPORARILY_UNAVAILABLE', 'message': 'draining'}
    """
    return with_error_key(error_body(error))


def _error_response(error: BaseException) -> Response:
    headers = error.headers if isinstance(error, RequestError) else None
    body = orjson.dumps(v2_error_body(error))
    return Response(body, status_code=http_status(error), media_type=JSON, headers=headers)


def _v2_errors(handler: Handler, on_error: ErrorHook | None) -> Handler:
    """Answer every error of ``handler`` with a V2 error body (see the module docstring)."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except TiffinError as e:
            response = _error_response(e)
            code = e.error_code
        except ClientDisconnect:
            raise
        except Exception as e:
            body = with_error_key(unexpected_error_body(e))
            response = Response(orjson.dumps(body), status_code=500, media_type=JSON)
            code = "INTERNAL_ERROR"
        if on_error is not None:
            on_error(request, code)
        return response

    return wrapped


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


def v2_routes(
    runtime: Runtime, limits: Limits | None = None, *, on_error: ErrorHook | None = None
) -> list[Route]:
    """The V2 routes over ``runtime`` (see the module docstring).

    Args:
        runtime: the served models.
        limits: ``max_body_bytes`` (413, before the body is read when Content-Length says so,
            else as soon as the streamed size passes it) and ``max_json_depth`` (400).
        on_error: called with ``(request, error_code)`` for every error answered, since these
            routes answer their errors themselves instead of leaving them to the app's handlers.

    Example:
        >>> routes = v2_routes(served, Limits(), on_error=count_error)  # doctest: +SKIP
        >>> app = Starlette(routes=[*mlflow_routes(served, Limits()), *routes])  # doctest: +SKIP
    """
    bounds = limits or Limits()

    def served(request: Request) -> tuple[str, Scorer]:
        name = request.path_params["name"]
        scorer = runtime.scorer(name)
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

    async def server(request: Request) -> Response:
        return _json(server_metadata())

    async def live(request: Request) -> Response:
        return _json({"live": True})

    async def ready(request: Request) -> Response:
        if not runtime.ready():
            raise NotReadyError("the server is not ready: models are loading or it is draining")
        return _json({"ready": True})

    async def metadata(request: Request) -> Response:
        name, scorer = served(request)
        signature = scorer.model.signature
        return _json(model_metadata(name, scorer.model_version(), signature, _platform(scorer)))

    async def model_ready(request: Request) -> Response:
        name, scorer = served(request)
        if not (scorer.health() and runtime.ready()):
            raise NotReadyError(f"model {show(name, 60)} is not ready")
        return _json({"name": name, "ready": True})

    async def infer(request: Request) -> Response:
        name, scorer = served(request)
        refuse_binary_body(request.headers)
        _check_content_type(request.headers.get("content-type"))
        body = await read_limited(request.headers, request.stream(), bounds.max_body_bytes)
        signature, version = scorer.model.signature, scorer.model_version()
        decoded = await run_sized(
            len(body) <= INLINE_BYTES,
            decode_infer_request,
            body,
            signature,
            max_depth=bounds.max_json_depth,
        )
        result = await runtime.predict(name, decoded.data, decoded.params)
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

    model = "/v2/models/{name}"
    versioned = "/v2/models/{name}/versions/{version}"
    return [
        Route("/v2", _v2_errors(server, on_error), methods=["GET"]),
        Route("/v2/health/live", _v2_errors(live, on_error), methods=["GET"]),
        Route("/v2/health/ready", _v2_errors(ready, on_error), methods=["GET"]),
        *(
            route
            for prefix in (model, versioned)
            for route in (
                Route(prefix, _v2_errors(metadata, on_error), methods=["GET"]),
                Route(f"{prefix}/ready", _v2_errors(model_ready, on_error), methods=["GET"]),
                Route(f"{prefix}/infer", _v2_errors(infer, on_error), methods=["POST"]),
            )
        ),
    ]
