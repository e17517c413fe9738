"""Serving: the scorer, MLflow's scoring protocol on Starlette, and the payload codecs.

Nothing is imported here, so ``import tiffin.serve`` never pulls in Starlette or uvicorn; import
the module you need (``tiffin.serve.scorer``, ``tiffin.serve.app``) or run ``tiffin models serve``.

Example:
    >>> from tiffin.serve.app import build_app  # doctest: +SKIP
    >>> from tiffin.serve.scorer import Scorer  # doctest: +SKIP
    >>> app = build_app(Scorer.load("./model"))  # doctest: +SKIP
"""

from __future__ import annotations

__all__: list[str] = []
