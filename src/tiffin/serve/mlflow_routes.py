"""MLflow's scoring routes over a :class:`~tiffin.serve.runtime.Runtime`.

``GET /ping`` and ``GET /health`` (200 with body ``"\\n"`` once ready, 503 before), ``GET
/version`` and ``POST /invocations``, as ``mlflow models serve`` has them; with several models,
each also at ``POST /models/{name}/invocations`` (``/invocations`` then answers only when
exactly one model is served, so a client never reaches the wrong model by accident).

Large bodies are decoded and large answers encoded in a worker thread
(:mod:`tiffin.serve.offload`), so one never stalls the event loop that answers ``/ping``;
predicting goes through the runtime, which admits, batches and times it.

Example:
    >>> routes = mlflow_routes(served, Limits())  # doctest: +SKIP
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tiffin.errors import NotFoundError
from tiffin.format.schema import Schema
from tiffin.serve.limits import Limits, count_rows, read_limited
from tiffin.serve.mlflow_codec import decoder_for, encode_response, is_parquet
from tiffin.serve.offload import INLINE_BYTES, INLINE_ROWS, run_sized
from tiffin.serve.runtime import Runtime
from tiffin.serve.wire_types import read_as_declared

__all__ = ["JSON", "mlflow_routes"]

JSON = "application/json"


def _inputs(runtime: Runtime, name: str) -> Schema | None:
    signature = runtime.scorer(name).model.signature
    return signature.inputs if signature is not None else None


def mlflow_routes(runtime: Runtime, limits: Limits) -> list[Route]:
    """The MLflow protocol's routes for every model ``runtime`` serves.

    Example:
        >>> [r.path for r in mlflow_routes(served, Limits())][:2]  # doctest: +SKIP
        ['/ping', '/health']
    """

    async def ping(request: Request) -> Response:
        if not runtime.ready():
            body = {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "not ready"}
            return Response(orjson.dumps(body), status_code=503, media_type=JSON)
        return Response("\n", media_type=JSON)

    async def version(request: Request) -> Response:
        names = runtime.names()
        if len(names) == 1:
            return PlainTextResponse(runtime.scorer(names[0]).version())
        from tiffin._version import __version__

        return PlainTextResponse(__version__)

    async def score(request: Request, name: str) -> Response:
        decode = decoder_for(
            request.headers.get("content-type"),
            max_json_depth=limits.max_json_depth,
            max_rows=limits.max_rows,
        )
        body = await read_limited(request.headers, request.stream(), limits.max_body_bytes)
        data, params = await run_sized(len(body) <= INLINE_BYTES, decode, body)
        if not is_parquet(decode):  # JSON and CSV cannot say float32, int or null
            data = read_as_declared(data, _inputs(runtime, name))
        result = await runtime.predict(name, data, params)
        payload = await run_sized(count_rows(result) <= INLINE_ROWS, encode_response, result)
        return Response(payload, media_type=JSON)

    async def invocations(request: Request) -> Response:
        names = runtime.names()
        if len(names) != 1:
            raise NotFoundError(
                f"{len(names)} models are served here: POST /models/{{name}}/invocations "
                f"with one of {names[:20]}"
            )
        return await score(request, names[0])

    async def named_invocations(request: Request) -> Response:
        return await score(request, request.path_params["name"])

    return [
        Route("/ping", ping, methods=["GET"]),
        Route("/health", ping, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
        Route("/invocations", invocations, methods=["POST"]),
        Route("/models/{name}/invocations", named_invocations, methods=["POST"]),
    ]
