"""The Open Inference (V2) protocol: ``/v2``, ``/v2/health/*`` and ``/v2/models/{name}/...``.

The routes (:mod:`~tiffin.serve.v2.routes`) only decode and encode: the infer request and
response (:mod:`~tiffin.serve.v2.codec`, :mod:`~tiffin.serve.v2.encode`), strict datatype
decoding (:mod:`~tiffin.serve.v2.datatypes`), request parameters
(:mod:`~tiffin.serve.v2.parameters`) and metadata from the signature
(:mod:`~tiffin.serve.v2.metadata`). What V2 shares with the documents that describe it (the
datatypes a signature type takes, tensor names) is in the core, :mod:`tiffin.serve.tensors`.
Names are imported on first use (PEP 562).

Example:
    >>> from tiffin.serve.v2 import server_metadata
    >>> server_metadata()["name"]
    'tiffin'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiffin._lazy import lazy_names

if TYPE_CHECKING:
    from tiffin.serve.v2.codec import InferRequest, decode_infer_request
    from tiffin.serve.v2.encode import encode_infer_response
    from tiffin.serve.v2.metadata import model_metadata, server_metadata
    from tiffin.serve.v2.routes import ErrorHook, v2_routes

__all__ = [
    "ErrorHook",
    "InferRequest",
    "decode_infer_request",
    "encode_infer_response",
    "model_metadata",
    "server_metadata",
    "v2_routes",
]

_WHERE = {
    "ErrorHook": "routes",
    "InferRequest": "codec",
    "decode_infer_request": "codec",
    "encode_infer_response": "encode",
    "model_metadata": "metadata",
    "server_metadata": "metadata",
    "v2_routes": "routes",
}


__getattr__ = lazy_names(__name__, _WHERE, relative=True)
