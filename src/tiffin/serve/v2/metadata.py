"""V2 metadata: the server's (``GET /v2``) and each model's (``GET /v2/models/{name}``).

A model's metadata lists its inputs and outputs as V2 tensors (name, datatype, shape with
``-1`` for any size), read from the signature, so a V2 client can build a request without
knowing MLflow's schema format. Each tensor's ``parameters`` keep what V2 cannot say: the
MLflow type (``long``, ``array<double>``) and whether a column is required. The model's
``parameters.params`` lists its inference params (name, type, default, shape) as MLflow writes
them. Inputs are named as :mod:`tiffin.serve.v2.codec` expects them: one tensor per column, one
``[-1, k]`` tensor named ``input-0`` for unnamed columns, the tensor specs as they are.

Example:
    >>> from tiffin.format.schema import ColSpec, Schema, Signature
    >>> meta = model_metadata("m", "1", Signature(Schema([ColSpec("long", "n")])), "sklearn")
    >>> meta["inputs"]
    [{'name': 'n', 'datatype': 'INT64', 'shape': [-1], 'parameters': \
{'mlflow_type': 'long', 'required': True}}]
"""

from __future__ import annotations

from typing import Any

from tiffin.format.schema import Signature
from tiffin.serve.tensors import metadata_tensors

__all__ = ["model_metadata", "server_metadata"]


def server_metadata() -> dict[str, Any]:
    """``GET /v2``: the server's name, version and the V2 extensions it implements (none).

    Example:
        >>> server_metadata()["name"]
        'tiffin'
    """
    from tiffin._version import __version__

    return {"name": "tiffin", "version": __version__, "extensions": []}


def model_metadata(
    name: str, version: str | None, signature: Signature | None, platform: str
) -> dict[str, Any]:
    """``GET /v2/models/{name}``: inputs, outputs and params from the signature.

    Args:
        name: the served model's name.
        version: the registry version served; ``None`` (a path or ``runs:/``) omits
            ``versions``, which the protocol makes optional.
        signature: the model's signature; without one, inputs and outputs are empty lists.
        platform: the model's framework flavor (``sklearn``), or ``python_function``.

    Example:
        >>> model_metadata("m", "3", None, "python_function")["versions"]
        ['3']
    """
    meta: dict[str, Any] = {
        "name": name,
        **({"versions": [version]} if version is not None else {}),
        "platform": platform,
        "inputs": metadata_tensors(signature.inputs if signature else None, outputs=False),
        "outputs": metadata_tensors(signature.outputs if signature else None, outputs=True),
    }
    if signature is not None and signature.params is not None:
        meta["parameters"] = {"params": signature.params.to_list()}
    return meta
