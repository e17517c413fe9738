"""The V2 ``parameters`` that belong to the protocol, not to the model: the one list of them.

A V2 request has ``parameters`` at three levels (request, each input, each output). Besides
the model's own params, clients put the protocol's there: Triton's binary tensor data extension
(``binary_data_output``, ``binary_data``, ``binary_data_size``), its classification and
shared-memory extensions (``classification``, ``shared_memory_*``), its scheduling parameters
(``sequence_id``/``_start``/``_end``, ``priority``, ``timeout``, ``headers`` and anything
starting ``triton_``), and MLServer's (``content_type``, ``headers``). tritonclient sends
``binary_data_output: true`` on every default ``infer()``. These never reach the model:

* asking for binary outputs is answered in JSON (``data``), which every V2 client reads;
* scheduling parameters are dropped: the models are stateless, there is one priority, and the
  server's own ``--timeout`` bounds a request;
* what needs an extension tiffin lacks (binary input tensors, shared memory, classification) is a
  400 naming the extension, rather than a wrong answer.

Example:
    >>> model_params({"binary_data_output": True, "factor": 2})
    {'factor': 2}
    >>> model_params({"triton_enable_empty_final_response": True}) is None
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tiffin.pyfunc.enforce import show
from tiffin.serve.errors import BadRequestError
from tiffin.serve.tensors import RESERVED_PARAMETERS, RESERVED_PREFIX

__all__ = [
    "BINARY_HEADER",
    "INPUT_PARAMETERS",
    "OUTPUT_PARAMETERS",
    "check_input_parameters",
    "check_output_parameters",
    "is_reserved",
    "model_params",
    "refuse_binary_body",
]


INPUT_PARAMETERS = frozenset(
    {
        "binary_data_size",
        "content_type",
        "shared_memory_byte_size",
        "shared_memory_offset",
        "shared_memory_region",
    }
)
"""Per-input ``parameters`` of the protocol; the others are accepted and ignored too."""

OUTPUT_PARAMETERS = frozenset(
    {
        "binary_data",
        "classification",
        "shared_memory_byte_size",
        "shared_memory_offset",
        "shared_memory_region",
    }
)
"""Per-output ``parameters`` of the protocol; the others are accepted and ignored too."""

BINARY_HEADER = "inference-header-content-length"
"""The header of a binary tensor data request: the JSON part's length, binary tensors after it."""

_BINARY = (
    "the binary tensor data extension is not supported by this server; send each tensor's "
    "values as JSON 'data' (tritonclient: set_data_from_numpy(array, binary_data=False))"
)


def is_reserved(key: str) -> bool:
    """True for a request-level parameter that belongs to the protocol.

    Example:
        >>> is_reserved("sequence_id"), is_reserved("triton_x"), is_reserved("factor")
        (True, True, False)
    """
    return key in RESERVED_PARAMETERS or key.startswith(RESERVED_PREFIX)


def model_params(parameters: Mapping[str, Any]) -> dict[str, Any] | None:
    """The model's params among a request's ``parameters``: all but the reserved ones.

    A model that declares a param with a reserved name cannot get it over V2 (the client
    libraries set these keys themselves); it keeps its default there and is set on
    ``/invocations``.

    Example:
        >>> model_params({"timeout": 10}) is None
        True
    """
    params = {k: v for k, v in parameters.items() if not is_reserved(k)}
    return params or None


def refuse_binary_body(headers: Mapping[str, str]) -> None:
    """Refuse a binary tensor data request before its body is parsed as JSON.

    Raises:
        BadRequestError: the request has an ``Inference-Header-Content-Length`` header.

    Example:
        >>> refuse_binary_body({"content-type": "application/json"})
    """
    if BINARY_HEADER in headers:
        raise BadRequestError(f"{_BINARY} (the request has Inference-Header-Content-Length)")


def check_input_parameters(parameters: Mapping[str, Any], where: str) -> None:
    """Refuse an input whose ``parameters`` say its data is elsewhere (binary or shared memory).

    Raises:
        BadRequestError: ``binary_data_size`` or ``shared_memory_region`` is set.

    Example:
        >>> check_input_parameters({"content_type": "np"}, "inputs[0]")
    """
    if "binary_data_size" in parameters:
        raise BadRequestError(f"{where}: {_BINARY} ({where}.parameters has binary_data_size)")
    _refuse_shared_memory(parameters, where)


def check_output_parameters(parameters: Mapping[str, Any], where: str) -> None:
    """Refuse an output that asks for classification or shared memory; ``binary_data`` is
    answered in JSON.

    Raises:
        BadRequestError: ``classification`` is a non-zero count, or ``shared_memory_region``
            is set.

    Example:
        >>> check_output_parameters({"binary_data": True, "classification": 0}, "outputs[0]")
    """
    count = parameters.get("classification", 0)
    if count not in (0, None, False):
        raise BadRequestError(
            f"{where}: the classification extension is not supported by this server "
            f"(parameters.classification = {show(count, 20)}); ask for the output without it "
            "and take the top classes from its values"
        )
    _refuse_shared_memory(parameters, where)


def _refuse_shared_memory(parameters: Mapping[str, Any], where: str) -> None:
    if "shared_memory_region" in parameters:
        raise BadRequestError(
            f"{where}: the shared-memory extension is not supported by this server; "
            "send the values as JSON 'data'"
        )
