"""The parts of the OpenAPI document every server shares: error bodies and V2 response shapes.

Error bodies are the ones :func:`tiffin.serve.errors.error_body` writes: ``error_code`` and
``message`` always, ``problems`` for a request that does not fit the signature, ``error_id``
when the model itself failed. V2 routes add ``error`` (the key V2 clients read). The schemas
leave ``additionalProperties`` open so that a later field does not break older clients.

Example:
    >>> sorted(error_responses("400", v2=True)["400"]["content"]["application/json"]["schema"])
    ['$ref']
"""

from __future__ import annotations

from typing import Any

from tiffin.serve.tensors import DATATYPES

__all__ = ["ERROR_DESCRIPTIONS", "components", "error_responses"]

ERROR_DESCRIPTIONS = {
    "400": "the body cannot be decoded, or does not fit the signature (named in the message)",
    "401": "a bearer token is required",
    "404": "no such model, or not the version served",
    "413": "the body is larger than the server accepts",
    "415": "unsupported Content-Type or charset",
    "500": "the model raised; the server log has the details under error_id",
    "503": "not ready, draining, or overloaded (see Retry-After)",
    "504": "the prediction took longer than the request timeout",
}

_STRING = {"type": "string"}
_PROBLEM = {
    "type": "object",
    "properties": {
        "field": {"type": ["string", "integer", "null"]},
        "expected": _STRING,
        "received": _STRING,
        "detail": _STRING,
    },
}
_ERROR_PROPERTIES: dict[str, Any] = {
    "error_code": _STRING,
    "message": _STRING,
    "error_id": _STRING,
    "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
}
_ERROR = {"type": "object", "required": ["error_code", "message"], "properties": _ERROR_PROPERTIES}
_V2_ERROR = {
    "type": "object",
    "required": ["error", "error_code", "message"],
    "properties": {"error": _STRING, **_ERROR_PROPERTIES},
}
_METADATA_TENSOR = {
    "type": "object",
    "required": ["name", "datatype", "shape"],
    "properties": {
        "name": _STRING,
        "datatype": _STRING,
        "shape": {"type": "array", "items": {"type": "integer"}},
        "parameters": {"type": "object"},
    },
}
_OUTPUT_TENSOR = {
    "type": "object",
    "required": ["name", "shape", "datatype", "data"],
    "properties": {
        "name": _STRING,
        "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "datatype": {"enum": list(DATATYPES)},
        "data": {"type": "array", "description": "flat, row-major"},
    },
}
_SHARED: dict[str, Any] = {
    "Problem": _PROBLEM,
    "Error": _ERROR,
    "V2Error": _V2_ERROR,
    "Predictions": {
        "type": "object",
        "required": ["predictions"],
        "properties": {"predictions": {"description": "as the model returned them"}},
    },
    "V2ServerMetadata": {
        "type": "object",
        "required": ["name", "version", "extensions"],
        "properties": {
            "name": _STRING,
            "version": _STRING,
            "extensions": {"type": "array", "items": _STRING},
        },
    },
    "V2MetadataTensor": _METADATA_TENSOR,
    "V2ModelMetadata": {
        "type": "object",
        "required": ["name", "platform", "inputs", "outputs"],
        "properties": {
            "name": _STRING,
            "versions": {"type": "array", "items": _STRING},
            "platform": _STRING,
            "inputs": {"type": "array", "items": {"$ref": "#/components/schemas/V2MetadataTensor"}},
            "outputs": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/V2MetadataTensor"},
            },
            "parameters": {"type": "object"},
        },
    },
    "V2OutputTensor": _OUTPUT_TENSOR,
    "V2InferResponse": {
        "type": "object",
        "required": ["model_name", "id", "outputs"],
        "properties": {
            "model_name": _STRING,
            "model_version": _STRING,
            "id": _STRING,
            "outputs": {"type": "array", "items": {"$ref": "#/components/schemas/V2OutputTensor"}},
        },
    },
    "V2Live": {"type": "object", "required": ["live"], "properties": {"live": {"type": "boolean"}}},
    "V2Ready": {
        "type": "object",
        "required": ["ready"],
        "properties": {"ready": {"type": "boolean"}},
    },
    "V2ModelReady": {
        "type": "object",
        "required": ["name", "ready"],
        "properties": {"name": _STRING, "ready": {"type": "boolean"}},
    },
}


def error_responses(*statuses: str, v2: bool = False) -> dict[str, Any]:
    """The documented error responses for ``statuses``, with the MLflow or the V2 error body.

    Example:
        >>> list(error_responses("413", "415"))
        ['413', '415']
    """
    schema = {"$ref": f"#/components/schemas/{'V2Error' if v2 else 'Error'}"}
    return {
        status: {
            "description": ERROR_DESCRIPTIONS[status],
            "content": {"application/json": {"schema": schema}},
        }
        for status in statuses
    }


def components(model_schemas: dict[str, Any], bearer_auth: bool) -> dict[str, Any]:
    """``components``: the shared schemas, the models' request schemas, and the auth scheme.

    Example:
        >>> "bearer" in components({}, True)["securitySchemes"]
        True
    """
    out: dict[str, Any] = {"schemas": {**_SHARED, **model_schemas}}
    if bearer_auth:
        out["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    return out
