"""``GET /openapi.json`` and ``GET /docs``, generated from the signatures of the served models.

The document (:mod:`~tiffin.serve.openapi.document`) describes both protocols: request bodies
(:mod:`~tiffin.serve.openapi.bodies`) built from JSON Schemas of the signature's types
(:mod:`~tiffin.serve.openapi.types`) and shared components
(:mod:`~tiffin.serve.openapi.components`); the docs page (:mod:`~tiffin.serve.openapi.page`)
shows per model a request that works (:mod:`~tiffin.serve.openapi.examples`). It imports
neither :mod:`tiffin.serve.mlflow` nor :mod:`tiffin.serve.v2` (an import-linter contract): what
it shares with V2 is in :mod:`tiffin.serve.tensors`. Names are imported on first use (PEP 562).

Example:
    >>> from tiffin.serve.openapi import openapi_document
    >>> openapi_document({})["openapi"]
    '3.1.0'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiffin._lazy import lazy_names

if TYPE_CHECKING:
    from tiffin.serve.openapi.document import ModelInfo, invocations_path, openapi_document
    from tiffin.serve.openapi.examples import mlflow_example, v2_example
    from tiffin.serve.openapi.page import DocsPage, docs_page, read_serving_example

__all__ = [
    "DocsPage",
    "ModelInfo",
    "docs_page",
    "invocations_path",
    "mlflow_example",
    "openapi_document",
    "read_serving_example",
    "v2_example",
]

_WHERE = {
    "DocsPage": "page",
    "ModelInfo": "document",
    "docs_page": "page",
    "invocations_path": "document",
    "mlflow_example": "examples",
    "openapi_document": "document",
    "read_serving_example": "page",
    "v2_example": "examples",
}


__getattr__ = lazy_names(__name__, _WHERE, relative=True)
