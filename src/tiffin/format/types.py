"""The value types a signature can name, encoded exactly as MLflow encodes them.

MLflow refuses a signature with an unknown key or type name, so these classes parse strictly
(every unexpected key is a :class:`~tiffin.errors.FormatError` naming it) and serialise to
exactly the dictionaries MLflow writes, key order included. They are plain frozen dataclasses:
no numpy or pandas import happens here, so reading an MLmodel stays cheap.

Example:
    >>> from tiffin.format.types import Array, DataType, parse_type
    >>> Array(DataType.string).to_dict()
    {'type': 'array', 'items': {'type': 'string'}}
    >>> parse_type({"type": "long"})
    <DataType.long: 'long'>
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from tiffin.errors import FormatError

__all__ = [
    "AnyType",
    "Array",
    "DataType",
    "Map",
    "Object",
    "Property",
    "SparkMLVector",
    "ValueType",
    "parse_type",
    "type_repr",
]


class DataType(enum.Enum):
    """A scalar type; the value is the name MLflow writes."""

    boolean = "boolean"
    integer = "integer"
    long = "long"
    float = "float"
    double = "double"
    string = "string"
    binary = "binary"
    datetime = "datetime"

    def to_numpy(self) -> str:
        """The numpy dtype name values of this type are held in (``datetime`` is nanoseconds)."""
        return _NUMPY[self]

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.value}


_NUMPY = {
    DataType.boolean: "bool",
    DataType.integer: "int32",
    DataType.long: "int64",
    DataType.float: "float32",
    DataType.double: "float64",
    DataType.string: "object",
    DataType.binary: "object",
    DataType.datetime: "datetime64[ns]",
}


@dataclass(frozen=True)
class Array:
    """A list whose elements all have one type."""

    items: ValueType

    def to_dict(self) -> dict[str, Any]:
        return {"type": "array", "items": self.items.to_dict()}


@dataclass(frozen=True)
class Property:
    """One named field of an :class:`Object`."""

    name: str
    type: ValueType
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {self.name: {**self.type.to_dict(), "required": self.required}}


@dataclass(frozen=True)
class Object:
    """A dict with known string keys; properties are kept sorted by name, as MLflow does."""

    properties: tuple[Property, ...]

    def __post_init__(self) -> None:
        names = [p.name for p in self.properties]
        if len(set(names)) != len(names):
            raise FormatError(f"object type has duplicate property names: {names}")
        if not names:
            raise FormatError("object type needs at least one property")
        object.__setattr__(self, "properties", tuple(sorted(self.properties, key=_name)))

    def to_dict(self) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for prop in self.properties:
            props.update(prop.to_dict())
        return {"type": "object", "properties": props}


def _name(prop: Property) -> str:
    return prop.name


@dataclass(frozen=True)
class Map:
    """A dict with string keys and values of one type."""

    values: ValueType

    def to_dict(self) -> dict[str, Any]:
        return {"type": "map", "values": self.values.to_dict()}


@dataclass(frozen=True)
class AnyType:
    """Anything: not validated."""

    def to_dict(self) -> dict[str, Any]:
        return {"type": "any"}


@dataclass(frozen=True)
class SparkMLVector:
    """A Spark ML vector column (read and written for compatibility; arrays of doubles here)."""

    def to_dict(self) -> dict[str, Any]:
        return {"type": "sparkml_vector"}


ValueType: TypeAlias = DataType | Array | Object | Map | AnyType | SparkMLVector


def _check_keys(obj: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(obj) - allowed)
    if extra:
        raise FormatError(
            f"{where}: unexpected key(s) {extra}; allowed keys are {sorted(allowed)} "
            "(MLflow refuses signatures with extra keys)"
        )


def parse_type(
    obj: Any, where: str = "type", extra_keys: frozenset[str] = frozenset()
) -> ValueType:
    """Parse one encoded type; ``extra_keys`` are keys the caller handles (name, required).

    Example:
        >>> parse_type({"type": "map", "values": {"type": "double"}})
        Map(values=<DataType.double: 'double'>)
    """
    if isinstance(obj, str):
        obj = {"type": obj}
    if not isinstance(obj, Mapping) or "type" not in obj:
        raise FormatError(f"{where}: expected a mapping with a 'type' key, got {obj!r:.200}")
    kind = obj["type"]
    allowed = {"type"} | set(extra_keys)
    if kind == "array":
        _check_keys(obj, allowed | {"items"}, where)
        return Array(parse_type(_require(obj, "items", where), f"{where}.items"))
    if kind == "map":
        _check_keys(obj, allowed | {"values"}, where)
        return Map(parse_type(_require(obj, "values", where), f"{where}.values"))
    if kind == "object":
        _check_keys(obj, allowed | {"properties"}, where)
        return Object(_parse_properties(_require(obj, "properties", where), where))
    _check_keys(obj, allowed, where)
    if kind == "any":
        return AnyType()
    if kind == "sparkml_vector":
        return SparkMLVector()
    try:
        return DataType(kind)
    except ValueError:
        names = [t.value for t in DataType] + ["array", "object", "map", "any"]
        raise FormatError(f"{where}: unsupported type {kind!r}; expected one of {names}") from None


def _require(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise FormatError(f"{where}: missing key {key!r}")
    return obj[key]


def _parse_properties(props: Any, where: str) -> tuple[Property, ...]:
    if not isinstance(props, Mapping):
        raise FormatError(f"{where}.properties: expected a mapping, got {type(props).__name__}")
    out = []
    for name, spec in props.items():
        loc = f"{where}.properties.{name}"
        ptype = parse_type(spec, loc, frozenset({"required"}))
        required = spec.get("required", True) if isinstance(spec, Mapping) else True
        if not isinstance(required, bool):
            raise FormatError(f"{loc}.required: expected true or false, got {required!r}")
        out.append(Property(str(name), ptype, required))
    return tuple(out)


def type_repr(value_type: ValueType) -> str:
    """A short human name for error messages: ``long``, ``array<string>``, ``object{a, b}``.

    Example:
        >>> type_repr(Array(DataType.long))
        'array<long>'
    """
    if isinstance(value_type, DataType):
        return value_type.value
    if isinstance(value_type, Array):
        return f"array<{type_repr(value_type.items)}>"
    if isinstance(value_type, Map):
        return f"map<string, {type_repr(value_type.values)}>"
    if isinstance(value_type, Object):
        return "object{" + ", ".join(p.name for p in value_type.properties) + "}"
    if isinstance(value_type, AnyType):
        return "any"
    return "sparkml_vector"
