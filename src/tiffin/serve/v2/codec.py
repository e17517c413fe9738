"""The Open Inference (V2) protocol's wire format: infer requests in, infer responses out.

A V2 request carries named tensors (``name``, ``shape``, ``datatype``, ``data``); what a tensor
becomes depends on the model's signature:

* **column signature**: each input is one column, by name, with shape ``[n]`` or ``[n, 1]``;
  the columns make one DataFrame. Array/object/map/any columns take ``BYTES`` inputs whose data
  holds one JSON value (the cell) per row; ``binary`` columns take base64 text, as in MLflow's
  JSON. An unnamed column signature takes one ``[n, k]`` input, matched by position.
* **tensor signature**: one input (any name) for an unnamed tensor, else one input per named
  tensor (a dict of arrays), each reshaped to the shape it was sent with.
* **no signature**: one input is an array; several ``[n]``/``[n, 1]`` inputs of one length are a
  DataFrame, and anything else a dict of arrays.

Every input is checked before the model sees it: datatype against the signature type (see
:mod:`tiffin.serve.v2.datatypes`), values against the datatype, ``len(data)`` against the product
of ``shape``, unknown, duplicate and missing names. All problems are reported at once in one
:class:`~tiffin.pyfunc.enforce.InputSchemaError` (HTTP 400), each naming its input and
never showing more than a few dozen characters of the client's data; a body that is not a V2
request at all is a :class:`~tiffin.serve.errors.BadRequestError`. The request's ``parameters``
become the model's params, except the protocol's own (Triton's and MLServer's, listed once in
:mod:`tiffin.serve.v2.parameters`), which never reach the model; per-input and per-output
parameters that need an extension tiffin lacks (binary data, shared memory, classification)
are a 400 naming it.

Example:
    >>> from tiffin.format.schema import ColSpec, Schema, Signature
    >>> sig = Signature(inputs=Schema([ColSpec("double", "x")]))
    >>> body = b'{"inputs": [{"name": "x", "shape": [2], "datatype": "FP64", "data": [1, 2.5]}]}'
    >>> decode_infer_request(body, sig).data["x"].tolist()
    [1.0, 2.5]
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tiffin.format.schema import ColSpec, Schema, Signature, TensorSpec
from tiffin.format.types import DataType
from tiffin.pyfunc.enforce import InputSchemaError, Problem, show
from tiffin.serve.errors import BadRequestError
from tiffin.serve.limits import load_json
from tiffin.serve.tensors import MAX_ID_CHARS, column_datatypes, tensor_datatypes
from tiffin.serve.v2.datatypes import DecodeProblem, decode_base64, flatten, to_array
from tiffin.serve.v2.encode import encode_infer_response
from tiffin.serve.v2.parameters import check_input_parameters, check_output_parameters, model_params

__all__ = ["InferRequest", "decode_infer_request", "encode_infer_response"]

_REQUEST_KEYS = frozenset({"id", "parameters", "inputs", "outputs"})
_INPUT_KEYS = frozenset({"name", "shape", "datatype", "data", "parameters"})


@dataclass(frozen=True)
class InferRequest:
    """A decoded V2 request: what ``predict`` gets, and what the response must echo.

    Attributes:
        data: the model input (DataFrame, array or dict of arrays).
        params: the model's params, ``None`` when the request has none.
        id: the request's ``id``, or a fresh one when it had none.
        outputs: the output names asked for, ``None`` for all of them.
    """

    data: Any
    params: dict[str, Any] | None
    id: str
    outputs: tuple[str, ...] | None


@dataclass(frozen=True)
class _Input:
    name: str
    shape: list[int]
    datatype: str
    data: Any


def decode_infer_request(
    body: bytes, signature: Signature | None, *, max_depth: int = 64
) -> InferRequest:
    """Decode a V2 infer request for a model with ``signature`` (see the module docstring).

    Raises:
        BadRequestError: not JSON, nested deeper than ``max_depth``, a repeated key, or not
            shaped like a V2 request (HTTP 400).
        InputSchemaError: inputs, outputs or datatypes that do not fit the signature (HTTP 400).

    Example:
        >>> decode_infer_request(b'{"id": "r1", "inputs": [{"name": "a", "shape": [1], '
        ...     b'"datatype": "INT64", "data": [7]}]}', None).id
        'r1'
    """
    payload = load_json(body, max_depth)
    if not isinstance(payload, dict):
        raise BadRequestError("a V2 infer request is a JSON object with an 'inputs' list")
    extra = set(payload) - _REQUEST_KEYS
    if extra:
        names = [show(k, 40) for k in sorted(extra)[:5]]
        raise BadRequestError(f"unexpected key(s) {names}; allowed: {sorted(_REQUEST_KEYS)}")
    inputs = _inputs(payload.get("inputs"))
    request_id = _request_id(payload)
    params = _params(payload.get("parameters"))
    outputs = _requested_outputs(payload.get("outputs"), signature)
    return InferRequest(_assemble(inputs, signature), params, request_id, outputs)


def _request_id(payload: Mapping[str, Any]) -> str:
    value = payload.get("id")
    if value is None:
        return uuid.uuid4().hex
    if not isinstance(value, str) or len(value) > MAX_ID_CHARS:
        raise BadRequestError(f"'id' must be a string of at most {MAX_ID_CHARS} characters")
    return value


def _inputs(value: Any) -> list[_Input]:
    if not isinstance(value, list) or not value:
        raise BadRequestError("'inputs' must be a non-empty list of tensors")
    return [_input(item, i) for i, item in enumerate(value)]


def _input(item: Any, i: int) -> _Input:
    where = f"inputs[{i}]"
    if not isinstance(item, dict):
        raise BadRequestError(f"{where} must be an object with name, shape, datatype and data")
    missing = sorted({"name", "shape", "datatype", "data"} - set(item))
    extra = sorted(set(item) - _INPUT_KEYS)
    if missing or extra:
        shown = [show(k, 40) for k in extra[:5]]
        raise BadRequestError(f"{where}: missing key(s) {missing}, unexpected key(s) {shown}")
    name, shape, datatype = item["name"], item["shape"], item["datatype"]
    if not isinstance(name, str) or not name:
        raise BadRequestError(f"{where}.name must be a non-empty string")
    if not isinstance(shape, list) or not all(_is_dim(d) for d in shape) or len(shape) > 32:
        raise BadRequestError(f"{where}.shape must be a list of non-negative integers")
    if not isinstance(datatype, str):
        raise BadRequestError(f"{where}.datatype must be a string such as 'FP64' or 'BYTES'")
    if not isinstance(item["data"], list):
        raise BadRequestError(f"{where}.data must be a list (flat or nested, row-major)")
    if not isinstance(item.get("parameters", {}), dict):
        raise BadRequestError(f"{where}.parameters must be an object")
    check_input_parameters(item.get("parameters", {}), where)
    return _Input(name, shape, datatype, item["data"])


def _is_dim(value: Any) -> bool:
    return type(value) is int and value >= 0


def _requested_outputs(value: Any, signature: Signature | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(_is_output(o) for o in value):
        raise BadRequestError("'outputs' must be a list of objects with a string 'name'")
    for i, output in enumerate(value):
        check_output_parameters(output.get("parameters", {}), f"outputs[{i}]")
    names = tuple(dict.fromkeys(o["name"] for o in value))
    schema = signature.outputs if signature is not None else None
    if schema is not None and schema.has_names:
        known = [str(n) for n in schema.names()]
        unknown = [n for n in names if n not in known]
        if unknown:
            detail = f"not an output of this model (outputs: {', '.join(known)[:200]})"
            raise InputSchemaError([Problem(n, detail=detail, kind="output") for n in unknown])
    return names or None  # an empty list asks for nothing in particular: all outputs


def _is_output(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("name"), str)
        and set(value) <= {"name", "parameters"}
        and isinstance(value.get("parameters", {}), dict)
    )


def _params(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadRequestError("'parameters' must be an object (the model's params)")
    return model_params(value)


def _problem(field: str, expected: str = "", received: str = "", detail: str = "") -> Problem:
    return Problem(field, expected, received, detail, kind="input")


def _assemble(inputs: list[_Input], signature: Signature | None) -> Any:
    schema = signature.inputs if signature is not None else None
    problems: list[Problem] = []
    if schema is None:
        result = _untyped(inputs, problems)
    elif schema.is_tensor:
        result = _tensors(inputs, schema, problems)
    elif schema.has_names:
        result = _columns(inputs, schema, problems)
    else:
        result = _positional(inputs, schema, problems)
    if problems:
        raise InputSchemaError(problems)
    return result


def _by_name(
    inputs: list[_Input], specs: Sequence[ColSpec | TensorSpec], problems: list[Problem]
) -> dict[str | int, _Input]:
    """Inputs matched to named specs: unknown, duplicate and missing required names are problems."""
    names = {str(s.name): s for s in specs}
    found: dict[str | int, _Input] = {}
    known = ", ".join(list(names)[:10])
    for inp in inputs:
        spec = names.get(inp.name)
        if spec is None or spec.name is None:
            problems.append(_problem(inp.name, detail=f"not in the signature (inputs: {known})"))
        elif spec.name in found:
            problems.append(_problem(inp.name, detail="sent more than once"))
        else:
            found[spec.name] = inp
    for spec in specs:
        if spec.required and spec.name not in found:
            problems.append(_problem(str(spec.name), detail="missing (required)"))
    return found


def _columns(inputs: list[_Input], schema: Schema, problems: list[Problem]) -> Any:
    import pandas as pd

    specs = [s for s in schema.specs if isinstance(s, ColSpec)]
    found = _by_name(inputs, specs, problems)
    columns: dict[str | int, Any] = {}
    lengths: dict[str, int] = {}
    for spec in specs:
        inp = found.get(spec.name) if spec.name is not None else None
        if inp is None or spec.name is None:
            continue
        try:
            values = _column(inp, spec)
            columns[spec.name] = values
            lengths[inp.name] = len(values)
        except DecodeProblem as e:
            problems.append(e.problem)
    if len(set(lengths.values())) > 1:
        found_rows = ", ".join(f"{show(k, 20)}: {v}" for k, v in list(lengths.items())[:5])
        problems.append(_problem("", detail=f"inputs have different row counts ({found_rows})"))
    return None if problems else pd.DataFrame(columns)


def _column(inp: _Input, spec: ColSpec) -> Any:
    accepted = column_datatypes(spec.type)
    _check_datatype(inp, accepted)
    if len(inp.shape) not in (1, 2) or (len(inp.shape) == 2 and inp.shape[1] != 1):
        raise _decode_problem(
            inp.name, "shape [n] or [n, 1]", f"shape {inp.shape}", "each input is one column"
        )
    rows = inp.shape[0]
    if not isinstance(spec.type, DataType):
        return _cells(inp, rows)
    values = _values(inp)
    return decode_base64(values, inp.name) if spec.type is DataType.binary else values


def _cells(inp: _Input, rows: int) -> Any:
    """Array/object/map/any columns: ``BYTES`` data holding one JSON value per row."""
    import numpy as np

    if len(inp.data) != rows:
        raise _decode_problem(
            inp.name, f"{rows} values (one JSON value per row)", f"{len(inp.data)} values", ""
        )
    out = np.empty(rows, dtype=object)
    out[:] = inp.data
    return out


def _decode_problem(field: str, expected: str, received: str, detail: str) -> DecodeProblem:
    return DecodeProblem(_problem(field, expected, received, detail))


def _check_datatype(inp: _Input, accepted: tuple[str, ...]) -> None:
    if inp.datatype not in accepted:
        others = f" (or {', '.join(accepted[1:])})" if len(accepted) > 1 else ""
        raise _decode_problem(
            inp.name, f"datatype {accepted[0]}{others}", show(inp.datatype, 20), ""
        )


def _values(inp: _Input) -> Any:
    """Flat data checked against the datatype and against ``product(shape)``."""
    flat = flatten(inp.data, inp.name)
    expected = math.prod(inp.shape)
    if len(flat) != expected:
        detail = "len(data) must equal the product of shape"
        raise _decode_problem(
            inp.name, f"{expected} values for shape {inp.shape}", f"{len(flat)} values", detail
        )
    return to_array(flat, inp.datatype, inp.name)


def _positional(inputs: list[_Input], schema: Schema, problems: list[Problem]) -> Any:
    """An unnamed column signature: one ``[n, k]`` input matched to the columns by position."""
    width = len(schema.specs)
    if len(inputs) != 1:
        detail = f"this model's columns are unnamed: send one input of shape [n, {width}]"
        problems.append(_problem("", "1 input", f"{len(inputs)} inputs", detail))
        return None
    inp = inputs[0]
    try:
        for spec in schema.specs:
            if isinstance(spec, ColSpec):
                _check_datatype(inp, column_datatypes(spec.type))
        if inp.shape[1:] != [width] and not (width == 1 and len(inp.shape) == 1):
            raise _decode_problem(inp.name, f"shape [n, {width}]", f"shape {inp.shape}", "")
        return _values(inp).reshape(inp.shape)
    except DecodeProblem as e:
        problems.append(e.problem)
        return None


def _tensors(inputs: list[_Input], schema: Schema, problems: list[Problem]) -> Any:
    specs = [s for s in schema.specs if isinstance(s, TensorSpec)]
    if not schema.has_names:
        if len(inputs) != 1:
            detail = "this model takes one unnamed tensor: send exactly one input"
            problems.append(_problem("", "1 input", f"{len(inputs)} inputs", detail))
            return None
        return _tensor_or_problem(inputs[0], specs[0], problems)
    found = _by_name(inputs, specs, problems)
    return {
        name: _tensor_or_problem(inp, next(s for s in specs if s.name == name), problems)
        for name, inp in found.items()
    }


def _tensor_or_problem(inp: _Input, spec: TensorSpec, problems: list[Problem]) -> Any:
    try:
        _check_datatype(inp, tensor_datatypes(spec.dtype))
        values = _values(inp)
        if spec.dtype == "bytes":
            values = decode_base64(values, inp.name).astype(bytes)
        elif spec.dtype == "str":
            values = values.astype(str)
        return values.reshape(inp.shape)
    except DecodeProblem as e:
        problems.append(e.problem)
        return None


def _untyped(inputs: list[_Input], problems: list[Problem]) -> Any:
    """No signature: an array for one input; a frame or a dict of arrays for several."""
    import pandas as pd

    arrays: dict[str, Any] = {}
    for inp in inputs:
        if inp.name in arrays:
            problems.append(_problem(inp.name, detail="sent more than once"))
            continue
        try:
            arrays[inp.name] = _values(inp).reshape(inp.shape)
        except DecodeProblem as e:
            problems.append(e.problem)
    if problems:
        return None
    if len(arrays) == 1:
        return next(iter(arrays.values()))
    columnar = all(a.ndim == 1 or (a.ndim == 2 and a.shape[1] == 1) for a in arrays.values())
    if columnar and len({len(a) for a in arrays.values()}) == 1:
        return pd.DataFrame({k: a.reshape(-1) for k, a in arrays.items()})
    return arrays
