"""What protocol routes need from the server: the models served and an async predict.

Codecs (MLflow's ``/invocations``, the V2 protocol) depend only on this protocol, not on how
the server admits, batches, times out or hot-swaps models; :class:`tiffin.serve.models.ServedModels`
is the implementation the app uses, and tests can pass a small fake.

Example:
    >>> async def handler(runtime: Runtime) -> Any:  # doctest: +SKIP
    ...     return await runtime.predict("iris", frame, None)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from tiffin.serve.scorer import Scorer

__all__ = ["Runtime"]


class Runtime(Protocol):
    """The served models, by name, behind admission control, batching and deadlines."""

    def names(self) -> list[str]:
        """The names of the served models, in the order they were given."""
        ...

    def scorer(self, name: str) -> Scorer:
        """The scorer serving ``name`` right now (it changes when an alias moves).

        Raises:
            NotFoundError: no model of that name is served.
        """
        ...

    def ready(self) -> bool:
        """True when every model is loaded and the server is not draining."""
        ...

    async def predict(self, name: str, data: Any, params: Mapping[str, Any] | None) -> Any:
        """Predict with model ``name``: admitted, possibly batched, under the request deadline.

        Raises:
            NotFoundError: no model of that name.
            SchemaError: ``data`` or ``params`` do not fit the signature (HTTP 400).
            ModelError: the model raised (HTTP 500).
            OverloadedError / TimeoutError subclasses of RequestError: 503 / 504.
        """
        ...
