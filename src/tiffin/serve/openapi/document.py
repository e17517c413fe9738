"""``GET /openapi.json``: an OpenAPI 3.1 document generated from the served models' signatures.

Every request body is the model's own: column names and types, optional columns (nullable, not
required), tensor shapes (nested arrays with fixed lengths), params with their types and
defaults, for MLflow's ``/invocations`` (JSON and CSV) and for the V2 ``infer`` route. A client
generator gets typed models, and a property-based tester (schemathesis) generates requests that
must all predict: see :mod:`tiffin.serve.openapi.bodies` for where the schemas are a safe
subset of what is accepted. Error responses share one schema, ``{"error_code", "message"}``
(plus ``error`` on V2 routes).

The document is a pure function of ``{name: (version, signature)}``: the app computes it once per
served model version (a new alias target changes the version, and so the document).

One model is served at ``/invocations``; several at ``/models/{name}/invocations`` each.

Example:
    >>> from tiffin.format.schema import ColSpec, Schema, Signature
    >>> doc = openapi_document({"iris": ("1", Signature(Schema([ColSpec("double", "x")])))})
    >>> doc["openapi"], "/invocations" in doc["paths"], "/v2/models/iris/infer" in doc["paths"]
    ('3.1.0', True, True)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from tiffin.format.schema import ColSpec, Schema, Signature, TensorSpec
from tiffin.format.types import type_repr
from tiffin.serve.openapi.bodies import csv_schema, mlflow_request_schema, v2_request_schema
from tiffin.serve.openapi.components import components, error_responses
from tiffin.serve.tensors import metadata_tensors

__all__ = ["ModelInfo", "invocations_path", "openapi_document"]

ModelInfo = tuple[str | None, Signature | None]
"""What the document needs of a served model: its registry version (``None`` for a path or
``runs:/``, which have none) and its signature."""

_KEY = re.compile(r"[^A-Za-z0-9_]")


def invocations_path(name: str, served: int) -> str:
    """MLflow's scoring path for model ``name`` when ``served`` models are served.

    Example:
        >>> invocations_path("iris", 1), invocations_path("iris", 2)
        ('/invocations', '/models/iris/invocations')
    """
    return "/invocations" if served == 1 else f"/models/{quote(name, safe='')}/invocations"


def openapi_document(
    models: Mapping[str, ModelInfo],
    *,
    title: str = "tiffin scoring server",
    metrics: bool = True,
    bearer_auth: bool = False,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document for a server serving ``models`` (see the module docstring).

    Args:
        models: each served model's name -> (registry version served or ``None``, signature
            or ``None``).
        title: the document's title.
        metrics: whether ``GET /metrics`` is served.
        bearer_auth: whether routes other than health need ``Authorization: Bearer ...``.

    Example:
        >>> sorted(openapi_document({"m": ("1", None)})["paths"])[:3]
        ['/docs', '/health', '/invocations']
    """
    from tiffin._version import __version__

    keys = _component_keys(list(models))
    paths: dict[str, Any] = {**_server_paths(metrics)}
    schemas: dict[str, Any] = {}
    for name, (version, signature) in models.items():
        key = keys[name]
        schemas[f"{key}.InvocationsRequest"] = mlflow_request_schema(signature)
        schemas[f"{key}.V2InferRequest"] = v2_request_schema(signature)
        paths[invocations_path(name, len(models))] = {
            "post": _invocations(name, key, signature, len(models))
        }
        paths.update(_v2_model_paths(name, version, key, signature))
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": __version__, "description": _describe(models)},
        "paths": paths,
        "components": components(schemas, bearer_auth),
    }
    if bearer_auth:
        _require_token(doc)
    return doc


_HEALTH = ("/ping", "/health", "/v2/health/live", "/v2/health/ready")


def _require_token(doc: dict[str, Any]) -> None:
    """Every route but health needs the bearer token, and may answer 401."""
    doc["security"] = [{"bearer": []}]
    for path, item in doc["paths"].items():
        for operation in item.values():
            if path in _HEALTH:
                operation["security"] = []
            else:
                operation["responses"].update(error_responses("401", v2=path.startswith("/v2")))


def _component_keys(names: list[str]) -> dict[str, str]:
    """A component-name-safe key per model (``^[A-Za-z0-9_.-]+$``), unique."""
    keys: dict[str, str] = {}
    for i, name in enumerate(names):
        key = _KEY.sub("_", name) or "model"
        keys[name] = key if key not in keys.values() else f"{key}_{i}"
    return keys


def _describe(models: Mapping[str, ModelInfo]) -> str:
    lines = ["Generated from the signatures of the models served:", ""]
    lines += [
        f"- `{name}`" + (f" version {version}" if version is not None else "")
        for name, (version, _) in models.items()
    ]
    return "\n".join(lines)


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _text(description: str) -> dict[str, Any]:
    schema = {"type": "string"}
    return {"description": description, "content": {"text/plain": {"schema": schema}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _server_paths(metrics: bool) -> dict[str, Any]:
    alive = {"description": "the server is up (the body is a newline)"}
    health = {"tags": ["mlflow"], "responses": {"200": alive, **error_responses("503")}}
    paths: dict[str, Any] = {
        "/ping": {"get": {**health, "operationId": "ping", "summary": "liveness (MLflow)"}},
        "/health": {"get": {**health, "operationId": "health", "summary": "liveness (MLflow)"}},
        "/version": {
            "get": {
                "tags": ["mlflow"],
                "operationId": "version",
                "summary": "the model version served, else tiffin's version",
                "responses": {"200": _text("the version")},
            }
        },
        "/v2": {
            "get": _v2_op(
                "v2_server_metadata", "server metadata", _json(_ref("V2ServerMetadata")), ()
            )
        },
        "/v2/health/live": {"get": _v2_op("v2_live", "liveness", _json(_ref("V2Live")), ())},
        "/v2/health/ready": {
            "get": _v2_op(
                "v2_ready", "readiness (all models loaded)", _json(_ref("V2Ready")), ("503",)
            )
        },
        "/openapi.json": {
            "get": {
                "tags": ["docs"],
                "operationId": "openapi",
                "summary": "this document",
                "responses": {"200": _json({"type": "object"})},
            }
        },
        "/docs": {
            "get": {
                "tags": ["docs"],
                "operationId": "docs",
                "summary": "HTML reference",
                "responses": {
                    "200": {
                        "description": "HTML",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    }
    if metrics:
        paths["/metrics"] = {
            "get": {
                "tags": ["metrics"],
                "operationId": "metrics",
                "summary": "Prometheus metrics",
                "responses": {"200": _text("Prometheus text format")},
            }
        }
    return paths


def _v2_op(
    operation_id: str, summary: str, ok: dict[str, Any], errors: tuple[str, ...]
) -> dict[str, Any]:
    responses = {"200": ok, **error_responses(*errors, v2=True)}
    return {"tags": ["v2"], "operationId": operation_id, "summary": summary, "responses": responses}


def _invocations(name: str, key: str, signature: Signature | None, served: int) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": _ref(f"{key}.InvocationsRequest")}}
    csv = csv_schema(signature)
    if csv is not None:
        content["text/csv"] = {"schema": csv}
    inputs = signature.inputs if signature is not None else None
    outputs = signature.outputs if signature is not None else None
    description = (
        f"Predict with model `{name}`. Inputs: {_summary(inputs)}. Outputs: {_summary(outputs)}."
        " Parquet bodies (`application/vnd.apache.parquet`) are accepted too."
    )
    suffix = "" if served == 1 else f"_{key}"
    return {
        "tags": ["mlflow"],
        "operationId": f"invocations{suffix}",
        "summary": f"predict with {name} (MLflow protocol)",
        "description": description,
        "requestBody": {"required": True, "content": content},
        "responses": {
            "200": _json(_ref("Predictions"), "the predictions"),
            **error_responses("400", "413", "415", "500", "503", "504"),
        },
    }


def _summary(schema: Schema | None) -> str:
    if schema is None:
        return "not described by the model's signature"
    return ", ".join(_spec_summary(spec, i) for i, spec in enumerate(schema.specs))


def _spec_summary(spec: ColSpec | TensorSpec, position: int) -> str:
    name = spec.name if spec.name is not None else f"#{position}"
    if isinstance(spec, TensorSpec):
        return f"{name}: tensor {spec.dtype} {list(spec.shape)}"
    return f"{name}: {type_repr(spec.type)}{'' if spec.required else ' (optional)'}"


def _v2_model_paths(
    name: str, version: str | None, key: str, signature: Signature | None
) -> dict[str, Any]:
    quoted = quote(name, safe="")
    prefixes = [(f"/v2/models/{quoted}", "")]
    if version is not None:  # a model without a registry version has no versioned routes
        prefixes.append((f"/v2/models/{quoted}/versions/{quote(version, safe='')}", "_versioned"))
    paths: dict[str, Any] = {}
    for prefix, suffix in prefixes:
        paths[prefix] = {
            "get": _v2_op(
                f"v2_model_metadata_{key}{suffix}",
                f"metadata of {name} (from its signature)",
                _json(_ref("V2ModelMetadata")),
                ("404",),
            )
        }
        paths[f"{prefix}/ready"] = {
            "get": _v2_op(
                f"v2_model_ready_{key}{suffix}",
                f"readiness of {name}",
                _json(_ref("V2ModelReady")),
                ("404", "503"),
            )
        }
        infer = _v2_op(
            f"v2_infer_{key}{suffix}",
            f"predict with {name} (V2 protocol)",
            _json(_ref("V2InferResponse")),
            ("400", "404", "413", "415", "500", "503", "504"),
        )
        infer["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(f"{key}.V2InferRequest")}},
        }
        infer["description"] = _v2_description(signature)
        paths[f"{prefix}/infer"] = {"post": infer}
    return paths


def _v2_description(signature: Signature | None) -> str:
    inputs = metadata_tensors(signature.inputs if signature else None, outputs=False)
    if not inputs:
        return "The model has no input signature: inputs are passed as sent."
    described = ", ".join(f"{t['name']} ({t['datatype']} {t['shape']})" for t in inputs)
    return (
        f"Inputs: {described}. Any batch size is accepted (`shape[0]` = rows, with "
        "`len(data)` = product of `shape`); the schema shows one row."
    )
