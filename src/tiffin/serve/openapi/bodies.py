"""Request body schemas for one model: MLflow's four JSON forms, CSV, and the V2 infer request.

Each schema describes requests the server accepts, so that every example generated from it
predicts (HTTP 200). Where the accepted set is wider than JSON Schema can say, the schema is a
subset and the description says the rest: a ``dataframe_split`` lists every column in schema
order (the server also takes any order and omitted optional columns); a V2 request sends one row,
one input per column, with the canonical datatype (the server takes any batch size, and the
widening datatypes listed in the metadata); CSV values follow conservative patterns.

Example:
    >>> from tiffin.format.schema import ColSpec, Schema, Signature
    >>> body = mlflow_request_schema(Signature(Schema([ColSpec("double", "x")])))
    >>> [sorted(form["required"]) for form in body["oneOf"]]
    [['dataframe_split'], ['dataframe_records'], ['instances'], ['inputs']]
"""

from __future__ import annotations

import math
import re
from typing import Any

from tiffin.format.schema import ColSpec, Schema, Signature, TensorSpec
from tiffin.format.types import DataType, type_repr
from tiffin.serve.openapi.types import (
    NAIVE_DATETIME,
    column_schema,
    datatype_item_schema,
    params_schema,
    tensor_schema,
)
from tiffin.serve.tensors import (
    MAX_ID_CHARS,
    RESERVED_PARAMETERS,
    RESERVED_PREFIX,
    column_datatypes,
    tensor_datatypes,
)

__all__ = ["csv_schema", "mlflow_request_schema", "v2_request_schema"]

_SIMPLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CSV_VALUES = {
    DataType.boolean: "(?:True|False)",
    DataType.integer: "-?[0-9]{1,9}",
    DataType.long: "-?[0-9]{1,18}",
    DataType.float: "-?[0-9]{1,7}(?:\\.[0-9]{1,7})?",
    DataType.double: "-?[0-9]{1,15}(?:\\.[0-9]{1,15})?",
    DataType.string: "[A-Za-z][A-Za-z0-9]{0,15}_",
    DataType.datetime: NAIVE_DATETIME[1:-1],
}


def mlflow_request_schema(signature: Signature | None) -> dict[str, Any]:
    """The ``/invocations`` JSON body: exactly one of MLflow's input forms, plus ``params``.

    Example:
        >>> mlflow_request_schema(None)["oneOf"][0]["required"]
        ['dataframe_split']
    """
    schema = signature.inputs if signature is not None else None
    forms = _forms(schema)
    params = params_schema(signature.params if signature is not None else None)
    out = []
    for key, value in forms.items():
        properties: dict[str, Any] = {key: value, "params": params}
        out.append(
            {
                "type": "object",
                "title": key,
                "properties": properties,
                "required": [key],
                "additionalProperties": False,
            }
        )
    return {"oneOf": out}


def _forms(schema: Schema | None) -> dict[str, Any]:
    if schema is None:
        rows: dict[str, Any] = {"type": "array", "minItems": 1}
        split = {
            "type": "object",
            "properties": {"columns": {"type": "array"}, "data": rows},
            "required": ["data"],
        }
        return {"dataframe_split": split, "dataframe_records": rows, "instances": rows,
                "inputs": {}}  # fmt: skip
    if schema.is_tensor:
        return _tensor_forms(schema)
    return _column_forms(schema)


def _tensor_forms(schema: Schema) -> dict[str, Any]:
    """Tensors come as ``inputs`` (nested lists, or a dict of them by name) or ``instances``."""
    specs = [s for s in schema.specs if isinstance(s, TensorSpec)]
    if not schema.has_names:
        return {"instances": tensor_schema(specs[0]), "inputs": tensor_schema(specs[0])}
    return {"inputs": _object({str(s.name): tensor_schema(s) for s in specs}, specs)}


def _column_forms(schema: Schema) -> dict[str, Any]:
    specs = [s for s in schema.specs if isinstance(s, ColSpec)]
    row: dict[str, Any] = {
        "type": "array",
        "prefixItems": [column_schema(s) for s in specs],
        "minItems": len(specs),
        "maxItems": len(specs),
    }
    rows: dict[str, Any] = {"type": "array", "items": row, "minItems": 1}
    if not schema.has_names:
        return {"instances": rows, "inputs": rows}
    names = [s.name for s in specs]
    split: dict[str, Any] = {
        "type": "object",
        "properties": {"columns": {"const": names}, "data": rows},
        "required": ["columns", "data"],
        "additionalProperties": False,
        "description": "every column, in schema order",
    }
    if not all(isinstance(n, str) for n in names):
        return {"dataframe_split": split}
    record = _object({str(s.name): column_schema(s) for s in specs}, specs)
    records = {"type": "array", "items": record, "minItems": 1}
    return {"dataframe_split": split, "dataframe_records": records, "instances": records,
            "inputs": records}  # fmt: skip


def _object(properties: dict[str, Any], specs: list[ColSpec] | list[TensorSpec]) -> dict[str, Any]:
    required = [str(s.name) for s in specs if s.required]
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    else:
        out["minProperties"] = 1
    out["additionalProperties"] = False
    return out


def csv_schema(signature: Signature | None) -> dict[str, Any] | None:
    """A ``text/csv`` body (header row, then rows), or ``None`` when CSV cannot carry the input.

    CSV carries named scalar columns only (not binary, arrays, objects or maps), and names that
    need no quoting. The pattern is a conservative subset of what pandas reads: strings that no
    CSV reader takes for a number, a boolean or a missing value, and no empty cells.

    Example:
        >>> from tiffin.format.schema import ColSpec, Schema, Signature
        >>> csv_schema(Signature(Schema([ColSpec("long", "n")])))["pattern"]
        '^n\\\\n(?:-?[0-9]{1,18}\\\\n){1,50}$'
    """
    schema = signature.inputs if signature is not None else None
    if schema is None or schema.is_tensor or not schema.has_names:
        return None
    specs = [s for s in schema.specs if isinstance(s, ColSpec)]
    names = [s.name for s in specs]
    if not all(isinstance(n, str) and _SIMPLE_NAME.fullmatch(n) for n in names):
        return None
    values = [_CSV_VALUES.get(s.type) if isinstance(s.type, DataType) else None for s in specs]
    if any(v is None for v in values):
        return None
    header = ",".join(str(n) for n in names)
    row = ",".join(str(v) for v in values)
    return {
        "type": "string",
        "pattern": f"^{header}\\n(?:{row}\\n){{1,50}}$",
        "description": "a header row naming the columns, then one row per record; the pattern "
        "is a safe subset (any order of columns and any CSV pandas reads is accepted)",
    }


def v2_request_schema(signature: Signature | None) -> dict[str, Any]:
    """The V2 infer request for a model: its inputs, params and output names.

    Example:
        >>> v2_request_schema(None)["required"]
        ['inputs']
    """
    schema = signature.inputs if signature is not None else None
    reserved = {key: _PROTOCOL_PARAMETER for key in RESERVED_PARAMETERS}
    parameters = params_schema(signature.params if signature else None, reserved)
    parameters["patternProperties"] = {f"^{RESERVED_PREFIX}": _PROTOCOL_PARAMETER}
    properties: dict[str, Any] = {
        "id": {"type": ["string", "null"], "maxLength": MAX_ID_CHARS},
        "inputs": _v2_inputs(schema),
        "parameters": parameters,
    }
    outputs = signature.outputs if signature is not None else None
    if outputs is not None and outputs.has_names:
        names = {"enum": [str(n) for n in outputs.names()]}
        item = {
            "type": "object",
            "properties": {"name": names, "parameters": _OBJECT},
            "required": ["name"],
            "additionalProperties": False,
        }
        properties["outputs"] = {"type": ["array", "null"], "items": item}
    return {
        "type": "object",
        "properties": properties,
        "required": ["inputs"],
        "additionalProperties": False,
    }


def _v2_inputs(schema: Schema | None) -> dict[str, Any]:
    if schema is None:
        return {"type": "array", "items": _ANY_INPUT, "minItems": 1}
    if schema.is_tensor:
        tensors = [_v2_tensor(s) for s in schema.specs if isinstance(s, TensorSpec)]
        return _exactly(tensors, len(tensors))
    specs = [s for s in schema.specs if isinstance(s, ColSpec)]
    if schema.has_names:  # required columns first: optional ones may be left off the end
        ordered = [s for s in specs if s.required] + [s for s in specs if not s.required]
        return _exactly([_v2_column(s) for s in ordered], sum(s.required for s in specs))
    if len({s.type for s in specs}) > 1:
        return _v2_inputs(None)  # one datatype cannot describe columns of several types
    datatype = column_datatypes(specs[0].type)[0]
    items = [datatype_item_schema(datatype, s.type) for s in specs]
    shape = [1] if len(specs) == 1 else [1, len(specs)]
    data = {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
    return _exactly([_v2_input(None, shape, datatype, data, "columns by position")], 1)


_ANY_INPUT = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "datatype": {"type": "string"},
        "data": {"type": "array"},
    },
    "required": ["name", "shape", "datatype", "data"],
}


_OBJECT = {"type": "object"}
_PROTOCOL_PARAMETER = {"description": "the protocol's (Triton, MLServer); never the model's"}


def _exactly(items: list[dict[str, Any]], required: int) -> dict[str, Any]:
    return {"type": "array", "prefixItems": items, "minItems": required, "maxItems": len(items)}


def _v2_input(
    name: str | None, shape: list[int], datatype: str, data: dict[str, Any], title: str
) -> dict[str, Any]:
    """One input; ``name`` ``None`` for an unnamed one (any name is accepted then)."""
    properties = {
        "name": {"const": name} if name is not None else {"type": "string", "minLength": 1},
        "shape": {"const": shape},
        "datatype": {"const": datatype},
        "data": data,
        "parameters": _OBJECT,
    }
    return {
        "type": "object",
        "title": title,
        "properties": properties,
        "required": ["name", "shape", "datatype", "data"],
        "additionalProperties": False,
    }


def _v2_column(spec: ColSpec) -> dict[str, Any]:
    accepted = column_datatypes(spec.type)
    item = datatype_item_schema(accepted[0], spec.type)
    data = {"type": "array", "items": item, "minItems": 1, "maxItems": 1}
    title = f"{spec.name}: {type_repr(spec.type)}{'' if spec.required else ' (optional)'}"
    described = _v2_input(str(spec.name), [1], accepted[0], data, title)
    if len(accepted) > 1:
        described["description"] = f"also accepted datatypes: {', '.join(accepted[1:])}"
    return described


def _v2_tensor(spec: TensorSpec) -> dict[str, Any]:
    accepted = tensor_datatypes(spec.dtype)
    shape = [1 if d < 0 else d for d in spec.shape]
    count = math.prod(shape)
    item = datatype_item_schema(accepted[0], DataType.binary if spec.dtype == "bytes" else None)
    data = {"type": "array", "items": item, "minItems": count, "maxItems": count}
    name = str(spec.name) if spec.name is not None else None
    return _v2_input(name, shape, accepted[0], data, f"tensor {spec.dtype} {list(spec.shape)}")
