"""Schemas and signatures: what a model takes and returns, encoded exactly as MLflow does.

A signature in an MLmodel file is a mapping of three JSON *strings* (``inputs``, ``outputs``,
``params``). MLflow refuses a spec with a key it does not know, so parsing here is strict and
writing emits exactly MLflow's keys in MLflow's order; ``Signature.to_dict()`` of a signature
read from an MLflow model equals MLflow's own ``to_dict()``.

Example:
    >>> from tiffin.format.schema import ColSpec, Schema, Signature
    >>> sig = Signature(inputs=Schema([ColSpec("double", "x")]))
    >>> sig.to_dict()["inputs"]
    '[{"type": "double", "name": "x", "required": true}]'
    >>> Signature.from_dict(sig.to_dict()) == sig
    True
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tiffin.errors import FormatError
from tiffin.format.bounded import load_json
from tiffin.format.types import DataType, Object, ValueType, parse_type, type_repr

__all__ = ["ColSpec", "ParamSchema", "ParamSpec", "Schema", "Signature", "TensorSpec"]


def _as_type(value: ValueType | str) -> ValueType:
    return parse_type(value) if isinstance(value, str) else value


@dataclass(frozen=True, init=False)
class ColSpec:
    """One column of a tabular input: a type, an optional name, and whether it may be absent."""

    type: ValueType
    name: str | int | None = None
    required: bool = True

    def __init__(self, type: ValueType | str, name: str | int | None = None, required: bool = True):
        object.__setattr__(self, "type", _as_type(type))
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "required", required)

    def to_dict(self) -> dict[str, Any]:
        out = self.type.to_dict()
        if self.name is not None:
            out["name"] = self.name
        out["required"] = self.required
        return out

    def __repr__(self) -> str:
        req = "required" if self.required else "optional"
        head = f"{self.name!r}: " if self.name is not None else ""
        return f"{head}{type_repr(self.type)} ({req})"


@dataclass(frozen=True, init=False)
class TensorSpec:
    """One tensor input: a numpy dtype name and a shape where ``-1`` means any size."""

    dtype: str
    shape: tuple[int, ...]
    name: str | int | None = None

    def __init__(self, dtype: Any, shape: Iterable[int], name: str | int | None = None):
        dtype_name = dtype if isinstance(dtype, str) else str(getattr(dtype, "name", dtype))
        flexible = dtype_name.rstrip("0123456789") in {"<U", ">U", "U", "<S", ">S", "S"}
        if flexible and any(ch.isdigit() for ch in dtype_name):
            raise FormatError(f"tensor dtype {dtype_name!r} has a size; use 'str' or 'bytes'")
        object.__setattr__(self, "dtype", dtype_name)
        object.__setattr__(self, "shape", tuple(int(d) for d in shape))
        object.__setattr__(self, "name", name)

    @property
    def required(self) -> bool:
        """Tensors are always required (MLflow has no optional tensors)."""
        return True

    def to_dict(self) -> dict[str, Any]:
        spec = {"dtype": self.dtype, "shape": list(self.shape)}
        head = {"name": self.name} if self.name is not None else {}
        return {**head, "type": "tensor", "tensor-spec": spec}

    def __repr__(self) -> str:
        head = f"{self.name!r}: " if self.name is not None else ""
        return f"{head}Tensor({self.dtype!r}, {self.shape})"


Spec = ColSpec | TensorSpec


class Schema:
    """An ordered list of column specs or of tensor specs (never a mix), as MLflow requires."""

    __slots__ = ("specs",)

    def __init__(self, specs: Sequence[Spec]):
        specs = tuple(specs)
        if not specs:
            raise FormatError("a schema needs at least one input (MLflow refuses empty schemas)")
        if len({type(s) for s in specs}) > 1:
            raise FormatError("a schema holds only column specs or only tensor specs, not both")
        named = [s.name is not None for s in specs]
        if any(named) and not all(named):
            raise FormatError("a schema's inputs must be all named or all unnamed")
        if not all(named) and any(not s.required for s in specs):
            raise FormatError("unnamed inputs cannot be optional")
        if isinstance(specs[0], TensorSpec) and len(specs) > 1 and not all(named):
            raise FormatError("a schema with several tensors must name them")
        names = [s.name for s in specs if s.name is not None]
        if len(set(names)) != len(names):
            raise FormatError(f"a schema has duplicate input names: {names}")
        self.specs: tuple[Spec, ...] = specs

    @property
    def is_tensor(self) -> bool:
        return isinstance(self.specs[0], TensorSpec)

    @property
    def has_names(self) -> bool:
        return self.specs[0].name is not None

    def names(self) -> list[str | int]:
        return [s.name for s in self.specs if s.name is not None]

    def required_names(self) -> list[str | int]:
        return [s.name for s in self.specs if s.name is not None and s.required]

    def to_list(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.specs]

    def to_json(self) -> str:
        return json.dumps(self.to_list())

    @classmethod
    def from_json(cls, text: str, where: str = "schema") -> Schema:
        return cls.from_list(_loads(text, where), where)

    @classmethod
    def from_list(cls, items: Any, where: str = "schema") -> Schema:
        if not isinstance(items, list):
            raise FormatError(f"{where}: expected a JSON list of specs, got {type(items).__name__}")
        return cls([_parse_spec(item, f"{where}[{i}]") for i, item in enumerate(items)])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self.specs == other.specs

    def __hash__(self) -> int:
        return hash(self.specs)

    def __repr__(self) -> str:
        return "[" + ", ".join(repr(s) for s in self.specs) + "]"


def _loads(text: str, where: str) -> Any:
    if not isinstance(text, str | bytes):
        raise FormatError(f"{where}: expected a JSON string, got {type(text).__name__}")
    return load_json(text, where)


def _parse_spec(item: Any, where: str) -> Spec:
    if not isinstance(item, Mapping):
        raise FormatError(f"{where}: expected a mapping, got {item!r:.200}")
    if item.get("type") == "tensor":
        extra = sorted(set(item) - {"type", "tensor-spec", "name"})
        if extra:
            raise FormatError(f"{where}: unexpected key(s) {extra} in a tensor spec")
        ts = item.get("tensor-spec")
        if not isinstance(ts, Mapping) or set(ts) != {"dtype", "shape"}:
            raise FormatError(f"{where}: 'tensor-spec' must hold exactly 'dtype' and 'shape'")
        if not isinstance(ts["shape"], list) or not all(isinstance(d, int) for d in ts["shape"]):
            raise FormatError(f"{where}: tensor shape must be a list of integers")
        return TensorSpec(_numpy_dtype_name(ts["dtype"], where), ts["shape"], item.get("name"))
    value_type = parse_type(item, where, frozenset({"name", "required", "optional"}))
    required = item.get("required", not item.get("optional", False))
    if not isinstance(required, bool):
        raise FormatError(f"{where}.required: expected true or false, got {required!r}")
    name = item.get("name")
    # MLflow writes integer names for frames built from arrays (``DataFrame(ndarray)``).
    if name is not None and (not isinstance(name, str | int) or isinstance(name, bool)):
        raise FormatError(f"{where}.name: expected a string or an integer, got {name!r}")
    return ColSpec(value_type, name, required)


def _numpy_dtype_name(dtype: Any, where: str) -> str:
    import numpy as np

    try:
        return str(np.dtype(dtype).name) if dtype not in ("str", "bytes", "object") else str(dtype)
    except TypeError:
        raise FormatError(f"{where}: unknown tensor dtype {dtype!r}") from None


_SCALAR_PARAM_CHECK: dict[DataType, tuple[type, ...]] = {
    DataType.boolean: (bool,),
    DataType.integer: (int,),
    DataType.long: (int,),
    DataType.float: (int, float),
    DataType.double: (int, float),
    DataType.string: (str,),
    DataType.datetime: (str, _dt.date),
}


def _plain(value: Any, ptype: DataType | Object) -> Any:
    """One default value as the Python builtin MLflow stores (numpy scalars unwrapped)."""
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, list | dict):
        value = value.item()
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if ptype in (DataType.float, DataType.double) and is_int:
        return float(value)
    return value


def _normalise_default(default: Any, ptype: DataType | Object, shape: Any) -> Any:
    if default is None:
        return None
    if shape and (isinstance(default, list | tuple) or hasattr(default, "tolist")):
        items = default.tolist() if hasattr(default, "tolist") else list(default)
        return [_plain(v, ptype) for v in items]
    return _plain(default, ptype)


@dataclass(frozen=True, init=False)
class ParamSpec:
    """An inference parameter: a name, a type, a default, and ``(-1,)`` shape for lists."""

    name: str
    type: DataType | Object
    default: Any
    shape: tuple[int, ...] | None = None

    def __init__(
        self,
        name: str,
        type: DataType | Object | str,
        default: Any,
        shape: Iterable[int] | None = None,
    ):
        ptype = _as_type(type)
        if not isinstance(ptype, DataType | Object) or ptype == DataType.binary:
            raise FormatError(f"param {name!r}: type {type_repr(ptype)} is not allowed for params")
        shp = tuple(shape) if shape is not None else None
        if shp not in (None, (-1,)):
            raise FormatError(f"param {name!r}: shape must be null or [-1], got {list(shp or ())}")
        default = _normalise_default(default, ptype, shp)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "type", ptype)
        object.__setattr__(self, "default", default)
        object.__setattr__(self, "shape", shp)
        self._check_default()

    def _check_default(self) -> None:
        if self.default is None or isinstance(self.type, Object):
            return
        values = self.default if self.shape else [self.default]
        if self.shape and not isinstance(self.default, list):
            raise FormatError(f"param {self.name!r}: default must be a list for shape [-1]")
        ok = _SCALAR_PARAM_CHECK[self.type]
        bad = [
            v for v in values if not isinstance(v, ok) or (isinstance(v, bool) and bool not in ok)
        ]
        if bad:
            raise FormatError(
                f"param {self.name!r}: default {self.default!r:.200} "
                f"is not of type {self.type.value}"
            )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "default": self.default,
            "shape": list(self.shape) if self.shape is not None else None,
            "type": "object" if isinstance(self.type, Object) else self.type.value,
        }
        if isinstance(self.type, Object):
            out["properties"] = self.type.to_dict()["properties"]
        return out

    def __repr__(self) -> str:
        shape = f" (shape: {self.shape})" if self.shape else ""
        return f"{self.name!r}: {type_repr(self.type)} (default: {self.default}){shape}"


class ParamSchema:
    """The params a model's ``predict`` accepts, each with its default."""

    __slots__ = ("params",)

    def __init__(self, params: Sequence[ParamSpec]):
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise FormatError(f"duplicate param names: {names}")
        self.params: tuple[ParamSpec, ...] = tuple(params)

    def to_list(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.params]

    def to_json(self) -> str:
        return json.dumps(self.to_list())

    @classmethod
    def from_json(cls, text: str, where: str = "params") -> ParamSchema:
        items = _loads(text, where)
        if not isinstance(items, list):
            raise FormatError(f"{where}: expected a JSON list of param specs")
        return cls([_parse_param(item, f"{where}[{i}]") for i, item in enumerate(items)])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParamSchema) and self.params == other.params

    def __hash__(self) -> int:
        return hash(self.params)

    def __repr__(self) -> str:
        return "[" + ", ".join(repr(p) for p in self.params) + "]"


def _parse_param(item: Any, where: str) -> ParamSpec:
    if not isinstance(item, Mapping):
        raise FormatError(f"{where}: expected a mapping, got {item!r:.200}")
    extra = sorted(set(item) - {"name", "default", "shape", "type", "dtype", "properties"})
    if extra:
        raise FormatError(f"{where}: unexpected key(s) {extra} in a param spec")
    if "name" not in item or ("type" not in item and "dtype" not in item):
        raise FormatError(f"{where}: a param spec needs 'name' and 'type'")
    kind = item.get("type", item.get("dtype"))
    encoded = {"type": kind, "properties": item["properties"]} if kind == "object" else kind
    ptype = parse_type(encoded, where)
    if not isinstance(ptype, DataType | Object):
        raise FormatError(f"{where}: type {type_repr(ptype)} is not allowed for params")
    return ParamSpec(item["name"], ptype, item.get("default"), item.get("shape"))


@dataclass(frozen=True)
class Signature:
    """Inputs, outputs and params of a model; any of them may be unknown (``None``)."""

    inputs: Schema | None = None
    outputs: Schema | None = None
    params: ParamSchema | None = field(default=None)

    def to_dict(self) -> dict[str, str | None]:
        """The three JSON strings MLflow stores under ``signature:`` in an MLmodel file."""
        return {
            "inputs": self.inputs.to_json() if self.inputs is not None else None,
            "outputs": self.outputs.to_json() if self.outputs is not None else None,
            "params": self.params.to_json() if self.params is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        """Parse an MLmodel ``signature`` mapping; unknown keys are a :class:`FormatError`."""
        if not isinstance(data, Mapping):
            raise FormatError(f"signature: expected a mapping, got {type(data).__name__}")
        extra = sorted(set(data) - {"inputs", "outputs", "params"})
        if extra:
            raise FormatError(f"signature: unexpected key(s) {extra}")
        inputs, outputs, params = (data.get(k) for k in ("inputs", "outputs", "params"))
        return cls(
            inputs=Schema.from_json(inputs, "signature.inputs") if inputs else None,
            outputs=Schema.from_json(outputs, "signature.outputs") if outputs else None,
            params=ParamSchema.from_json(params, "signature.params") if params else None,
        )
