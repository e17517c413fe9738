"""Serving: a protocol-agnostic core, and one subpackage per protocol.

The core is flat: the scorer (:mod:`~tiffin.serve.scorer`), the served models and what they
need (:mod:`~tiffin.serve.models`, :mod:`~tiffin.serve.runtime`,
:mod:`~tiffin.serve.admission`, :mod:`~tiffin.serve.batching`, :mod:`~tiffin.serve.limits`,
:mod:`~tiffin.serve.offload`, :mod:`~tiffin.serve.metrics`), the one mapping of errors to HTTP
(:mod:`~tiffin.serve.errors`) and the Starlette app (:mod:`~tiffin.serve.app`). The protocols
only decode and encode: MLflow's (:mod:`tiffin.serve.mlflow`), the Open Inference V2
(:mod:`tiffin.serve.v2`), and the documents describing both (:mod:`tiffin.serve.openapi`);
they do not import each other (an import-linter contract).

Nothing is imported here, so ``import tiffin.serve`` never pulls in Starlette or uvicorn; import
the module you need (``tiffin.serve.scorer``, ``tiffin.serve.app``) or run ``tiffin models serve``.

Example:
    >>> from tiffin.serve.app import build_app  # doctest: +SKIP
    >>> from tiffin.serve.scorer import Scorer  # doctest: +SKIP
    >>> app = build_app(Scorer.load("./model"))  # doctest: +SKIP
"""

from __future__ import annotations

__all__: list[str] = []
