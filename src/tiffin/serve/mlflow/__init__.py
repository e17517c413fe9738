"""MLflow's scoring protocol: ``/invocations``, ``/ping``, ``/health``, ``/version``.

The routes (:mod:`~tiffin.serve.mlflow.routes`) only decode and encode: bodies in JSON, CSV or
Parquet (:mod:`~tiffin.serve.mlflow.codec`), MLflow's four JSON request forms
(:mod:`~tiffin.serve.mlflow.json_forms`, which ``tiffin models predict`` shares), and numbers and
nulls read as the signature declares (:mod:`~tiffin.serve.mlflow.wire_types`). Names are
imported on first use (PEP 562), so the CLI's use of the JSON forms never imports Starlette.

Example:
    >>> from tiffin.serve.mlflow import parse_payload
    >>> data, params = parse_payload({"inputs": [[1.0, 2.0]]})
    >>> params is None
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiffin._lazy import lazy_names

if TYPE_CHECKING:
    from tiffin.serve.mlflow.codec import CONTENT_TYPES, decoder_for, encode_response
    from tiffin.serve.mlflow.json_forms import (
        MalformedPayloadError,
        encode_predictions,
        parse_payload,
    )
    from tiffin.serve.mlflow.routes import mlflow_routes
    from tiffin.serve.mlflow.wire_types import read_as_declared

__all__ = [
    "CONTENT_TYPES",
    "MalformedPayloadError",
    "decoder_for",
    "encode_predictions",
    "encode_response",
    "mlflow_routes",
    "parse_payload",
    "read_as_declared",
]

_WHERE = {
    "CONTENT_TYPES": "codec",
    "MalformedPayloadError": "json_forms",
    "decoder_for": "codec",
    "encode_predictions": "json_forms",
    "encode_response": "codec",
    "mlflow_routes": "routes",
    "parse_payload": "json_forms",
    "read_as_declared": "wire_types",
}


__getattr__ = lazy_names(__name__, _WHERE, relative=True)
