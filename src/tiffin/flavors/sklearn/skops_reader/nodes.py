"""The nodes of tiffin's skops reader: audit a state without importing, then build it as skops.

Each class mirrors one skops 0.16 loader (``skops/io/_general.py``, ``_sklearn.py``, and the
protocol 0/1 variants in ``skops/io/old``; the numpy ones are in
:mod:`tiffin.flavors.sklearn.skops_reader.numpy_nodes`): the same arguments, the same calls, in the
same order, so the object is the one ``skops.io.loads`` would build. As in skops, parsing a state
(``__init__``) only reads JSON and zip members and memoises the node by ``__id__`` (first state
wins, later ones share its object); :meth:`Node.audit` records every name the node would import;
nothing is imported or called until :meth:`Node.construct`, which
:mod:`tiffin.flavors.sklearn.skops_reader` calls only once every name passed the allowlist in
:mod:`tiffin.flavors.sklearn.skops_reader.allowlist`, checked per loader.

Deliberately stricter than skops on what genuine files never contain: SliceNode must name
``builtins.slice``, a malformed ``__id__`` is refused, and a cycle of ``__id__`` s is an error
rather than a RecursionError.

Example:
    >>> ctx = Context(protocol=2, archive=None, nodes={"JsonNode": JsonNode})
    >>> state = {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode"}
    >>> tree({**state, "content": "[1, 2]"}, ctx).construct()
    [1, 2]
"""

from __future__ import annotations

import importlib
import json
import zipfile
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tiffin.flavors.sklearn.skops_reader.allowlist import LOADER_TYPES, TRUSTED_CLASSES

__all__ = ["Context", "Malformed", "NODES", "Node", "check", "resolve", "tree"]

State = dict[str, Any]
_UNSET: Any = object()


class Malformed(Exception):
    """The schema is not something skops writes; the reader reports it as a FormatError."""


@dataclass
class Context:
    """What parsing shares: the protocol, the zip members, the memo and the audit's findings."""

    protocol: int
    archive: zipfile.ZipFile | None
    nodes: Mapping[str, type[Node]]
    memo: dict[int, Node] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)
    unsupported: set[tuple[str, str]] = field(default_factory=set)

    def read(self, name: object) -> bytes:
        """A member's bytes, read when its state is parsed (as skops does), never unnamed ones."""
        if not isinstance(name, str) or self.archive is None:
            raise Malformed(f"member {name!r} is not in the archive")
        try:
            return self.archive.read(name)
        except KeyError:
            raise Malformed(f"member {name!r} is not in the archive") from None


def tree(state: object, ctx: Context) -> Node:
    """The node for ``state``, or the node already parsed for its ``__id__`` (skops' get_tree).

    Why: a shared object (an estimator in both ``estimators_`` and ``named_estimators_``) is
    written in full each time with one ``__id__``; skops builds the first and reuses it.

    Example:
        >>> ctx = Context(protocol=2, archive=None, nodes={"TypeNode": TypeNode})
        >>> tree({"__class__": "int", "__module__": "builtins", "__loader__": "TypeNode"},
        ...      ctx).construct()
        <class 'int'>
    """
    if not isinstance(state, dict):
        raise Malformed(f"expected a node, found {type(state).__name__}")
    saved_id = state.get("__id__")
    if saved_id is not None and type(saved_id) is not int:
        raise Malformed(f"__id__ {saved_id!r} is not an integer")
    if saved_id in ctx.memo:
        return ctx.memo[saved_id]
    loader = state["__loader__"]
    node_cls = ctx.nodes.get(loader) if isinstance(loader, str) else None
    if node_cls is None or ctx.protocol < node_cls.min_protocol:
        node_cls = _Unsupported
    node = node_cls(state, ctx)
    node.audit(ctx)
    return node


def resolve(module: str, name: str) -> Any:
    """Import ``module`` and take ``name`` from it: only ever for audited, allowlisted names.

    Why: importing runs the module's code, so this is the step the audit must precede.

    Example:
        >>> resolve("builtins", "int")
        <class 'int'>
    """
    return getattr(importlib.import_module(module), name)


class Node:
    """A parsed state: what skops' ``Node`` is, minus the trust lists (the allowlist decides)."""

    loader: ClassVar[str] = ""
    min_protocol: ClassVar[int] = 0

    def __init__(self, state: State, ctx: Context) -> None:
        self.cls, self.module = state["__class__"], state["__module__"]
        self.name = f"{self.module}.{self.cls}"
        self._value: Any = _UNSET
        self._building = False
        saved_id = state.get("__id__")
        if saved_id:  # skops memoises truthy ids only, before parsing the children
            ctx.memo[saved_id] = self

    def audit(self, ctx: Context) -> None:
        """Record this node's type in ``ctx.refused`` unless its loader may build it."""
        check(ctx, self.loader, self.module, self.cls)

    def construct(self) -> Any:
        """Build the object once; every node sharing this ``__id__`` gets the same object."""
        if self._value is _UNSET:
            if self._building:
                raise Malformed(f"{self.name} contains itself (a cycle of __id__s)")
            self._building = True
            self._value = self._construct()
        return self._value

    def _construct(self) -> Any:
        raise NotImplementedError

    def _type(self) -> Any:
        return resolve(self.module, self.cls)


def check(ctx: Context, loader: str, module: object, cls: object) -> None:
    """Record ``module.cls`` in ``ctx.refused`` unless ``loader`` may build it.

    Why: trust is per loader, as in skops' defaults: ``sklearn.tree._tree.Tree`` is allowed
    only through TreeNode, whose arrays were validated, not through ObjectNode.

    Example:
        >>> ctx = Context(protocol=2, archive=None, nodes={})
        >>> check(ctx, "ObjectNode", "sklearn.tree._tree", "Tree")
        >>> sorted(ctx.refused)
        ['sklearn.tree._tree.Tree (as ObjectNode)']
    """
    name = f"{module}.{cls}"
    if not isinstance(module, str) or not isinstance(cls, str) or "." in cls:
        ctx.refused.add(f"{name} (not a module and a name in it)")
    elif name not in LOADER_TYPES.get(loader, frozenset()):
        ctx.refused.add(f"{name} (as {loader})" if name in TRUSTED_CLASSES else name)


class _Unsupported(Node):
    """A loader tiffin does not build: recorded by the audit, never constructed."""

    def __init__(self, state: State, ctx: Context) -> None:
        super().__init__(state, ctx)
        self.loader_name = state["__loader__"]

    def audit(self, ctx: Context) -> None:
        ctx.unsupported.add((str(self.loader_name), self.name))

    def _construct(self) -> Any:
        raise Malformed(f"unsupported skops node {self.loader_name}")


# --- leaves: nothing nested is parsed ----------------------------------------------------------


class JsonNode(Node):
    """A JSON value (``json.loads`` of its content): numbers, strings, lists, dicts."""

    loader = "JsonNode"

    def __init__(self, state: State, ctx: Context) -> None:
        super().__init__(state, ctx)
        self.content = state["content"]

    def audit(self, ctx: Context) -> None:
        """Nothing to check: it builds JSON values only (skops: always safe)."""

    def _construct(self) -> Any:
        return json.loads(self.content)


class TypeNode(Node):
    """A type, looked up (never called here): ``dtype=np.float64``, dict key types."""

    loader = "TypeNode"

    def _construct(self) -> Any:
        return self._type()


class FunctionNode(TypeNode):
    """A ufunc, looked up like a type and never called here."""

    loader = "FunctionNode"

    def __init__(self, state: State, ctx: Context) -> None:
        super().__init__(state, ctx)
        if ctx.protocol == 0:  # skops/io/old/_general_v0.py: the path is in the content
            content = state["content"]
            self.module, self.cls = content["module_path"], content["function"]
            self.name = f"{self.module}.{self.cls}"


class SliceNode(Node):
    """``slice(start, stop, step)`` from plain JSON values."""

    loader = "SliceNode"

    def __init__(self, state: State, ctx: Context) -> None:
        super().__init__(state, ctx)
        content = state["content"]
        self.args = (content["start"], content["stop"], content["step"])

    def _construct(self) -> Any:
        return slice(*self.args)


class BytesNode(Node):
    """The bytes of a zip member."""

    loader = "BytesNode"

    def __init__(self, state: State, ctx: Context) -> None:
        super().__init__(state, ctx)
        self.content = ctx.read(state["file"])

    def _construct(self) -> Any:
        return self.content


class BytearrayNode(BytesNode):
    """The bytes of a zip member, as a bytearray."""

    loader = "BytearrayNode"

    def _construct(self) -> Any:
        return bytearray(self.content)


# --- containers --------------------------------------------------------------------------------


class DictNode(Node):
    """A dict (or OrderedDict, Bunch): ``cls()``, then ``key_types[i](key) -> value``."""

    loader = "DictNode"

    def __init__(self, state: State, ctx: Context) -> None:
        super().__init__(state, ctx)
        self.key_types = tree(state["key_types"], ctx)
        self.content = {key: tree(value, ctx) for key, value in state["content"].items()}

    def _construct(self) -> Any:
        content = self._type()()
        key_types = self.key_types.construct()
        for k_type, (key, value) in zip(key_types, self.content.items(), strict=False):
            content[k_type(key)] = value.construct()
        return content


class DefaultDictNode(Node):
    """``defaultdict(**main)`` with its ``default_factory`` set afterwards."""

    loader = "DefaultDictNode"

    def __init__(self, state: State, ctx: Context) -> None:
        super().__init__(state, ctx)
        self.main = tree(state["content"]["main"], ctx)
        self.default_factory = tree(state["content"]["default_factory"], ctx)

    def _construct(self) -> Any:
        instance: defaultdict[Any, Any] = defaultdict(**self.main.construct())
        instance.default_factory = self.default_factory.construct()
        return instance


class ListNode(Node):
    """``cls([items])``."""

    loader = "ListNode"

    def __init__(self, state: State, ctx: Context) -> None:
        super().__init__(state, ctx)
        self.content = [tree(value, ctx) for value in state["content"]]

    def _construct(self) -> Any:
        return self._type()([item.construct() for item in self.content])


class SetNode(ListNode):
    """``cls([items])``."""

    loader = "SetNode"


class TupleNode(ListNode):
    """A tuple, or ``cls(*items)`` for a namedtuple."""

    loader = "TupleNode"

    def _construct(self) -> Any:
        cls = self._type()
        content = tuple(value.construct() for value in self.content)
        return cls(*content) if _is_namedtuple(cls) else content


def _is_namedtuple(cls: Any) -> bool:
    """skops' ``TupleNode.isnamedtuple``: namedtuples take their fields as arguments."""
    bases = cls.__bases__
    if len(bases) != 1 or bases[0] is not tuple:
        return False
    fields = getattr(cls, "_fields", None)
    return isinstance(fields, tuple) and all(isinstance(n, str) for n in fields)


# --- objects -----------------------------------------------------------------------------------


class ObjectNode(Node):
    """``cls.__new__(cls)``, then ``__setstate__(attrs)`` or ``__dict__.update(attrs)``."""

    loader = "ObjectNode"

    def __init__(self, state: State, ctx: Context) -> None:
        super().__init__(state, ctx)
        content = state.get("content")
        self.attrs = None if content is None else tree(content, ctx)

    def _construct(self) -> Any:
        cls = self._type()
        instance = cls.__new__(cls)  # no __init__: the state sets every attribute
        if self.attrs is None:
            return instance
        attrs = self.attrs.construct()
        if attrs is not None:
            if hasattr(instance, "__setstate__"):
                instance.__setstate__(attrs)
            else:
                instance.__dict__.update(attrs)
        return instance


class _ReduceNode(Node):
    """skops' ReduceNode: ``constructor(*args)``, then ``__setstate__(attrs)``."""

    def __init__(self, state: State, ctx: Context) -> None:
        super().__init__(state, ctx)
        reduce = state["__reduce__"]
        self.attrs = tree(state["content"], ctx)
        self.args = tree(reduce["args"], ctx)

    def _constructor(self) -> Any:
        return self._type()

    def _construct(self) -> Any:
        args = self.args.construct()
        instance = self._constructor()(*args)
        attrs = self.attrs.construct()
        if not attrs:
            return instance
        if hasattr(instance, "__setstate__"):
            instance.__setstate__(attrs)
        elif isinstance(attrs, dict) and not isinstance(args, tuple):
            instance.__dict__.update(attrs)
        else:
            raise Malformed(f"objects of type {self.name} cannot take this state")
        return instance


class TreeNode(_ReduceNode):
    """Always ``sklearn.tree._tree.Tree``, as in skops; tree_check validated the state."""

    loader = "TreeNode"

    def _constructor(self) -> Any:
        return resolve("sklearn.tree._tree", "Tree")


class LossNode(_ReduceNode):
    """A Cython loss: ``cls(*args)``, then ``__setstate__(attrs)``."""

    loader = "LossNode"


NODES: tuple[type[Node], ...] = (
    BytearrayNode,
    BytesNode,
    DefaultDictNode,
    DictNode,
    FunctionNode,
    JsonNode,
    ListNode,
    LossNode,
    ObjectNode,
    SetNode,
    SliceNode,
    TreeNode,
    TupleNode,
    TypeNode,
)
"""The general and scikit-learn nodes (skops' ``_general.py`` and ``_sklearn.py``)."""
