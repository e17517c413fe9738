"""The numpy nodes of tiffin's skops reader: arrays, dtypes and random number generators.

Each class mirrors its skops 0.16 loader in ``skops/io/_numpy.py`` (and ``old/_numpy_v1.py`` for
protocol 1 Generators); :mod:`tiffin.flavors.sklearn.skops_reader.nodes` explains the parse, audit
and construct passes. Stricter than skops where genuine files never differ: ``.npy`` members are
read with ``numpy.lib.format.read_array`` (an ``.npz`` or a pickle is refused, not opened), and a
DTypeNode must hold an array (skops would take any object's ``.dtype``).

Example:
    >>> from tiffin.flavors.sklearn.skops_reader import read_skops
    >>> read_skops(skops.io.dumps(np.arange(3)), "a.skops")  # doctest: +SKIP
    array([0, 1, 2])
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np

from tiffin.flavors.sklearn.skops_reader.allowlist import BIT_GENERATORS
from tiffin.flavors.sklearn.skops_reader.nodes import Context, Malformed, Node, State, resolve, tree

__all__ = ["NUMPY_NODES"]


class NdArrayNode(Node):
    loader = "NdArrayNode"

    def __init__(self, state: State, ctx: Context) -> None:
        super().__init__(state, ctx)
        self.kind = state["type"]
        if self.kind == "numpy":
            self.raw = ctx.read(state["file"])
        elif self.kind == "json":  # object arrays: their items as nodes, and the shape
            self.items = [tree(item, ctx) for item in state["content"]]
            self.shape = tree(state["shape"], ctx)
        else:
            raise Malformed(f"unknown array type {self.kind!r}")

    def _construct(self) -> Any:
        if self.kind == "numpy":
            content: Any = np.lib.format.read_array(io.BytesIO(self.raw), allow_pickle=False)
            if self.name != "numpy.ndarray":  # a numpy scalar, saved as a 0-d array
                content = self._type()(content)
            return content
        shape = self.shape.construct()
        items = [item.construct() for item in self.items]
        if len(shape) == 1:
            array = np.ndarray(shape=len(items), dtype="O")
            for i, value in enumerate(items):
                array[i] = value
            return array
        return np.array(items, dtype="O")


class MaskedArrayNode(Node):
    loader = "MaskedArrayNode"

    def __init__(self, state: State, ctx: Context) -> None:
        super().__init__(state, ctx)
        self.data = tree(state["content"]["data"], ctx)
        self.mask = tree(state["content"]["mask"], ctx)

    def _construct(self) -> Any:
        return np.ma.MaskedArray(self.data.construct(), self.mask.construct())


class DTypeNode(Node):
    loader = "DTypeNode"

    def __init__(self, state: State, ctx: Context) -> None:
        super().__init__(state, ctx)
        self.content = tree(state["content"], ctx)
        if not isinstance(self.content, NdArrayNode):  # skops would take any object's .dtype
            raise Malformed("a DTypeNode does not hold an array")

    def _construct(self) -> Any:
        return self.content.construct().dtype


class RandomStateNode(Node):
    loader = "RandomStateNode"

    def __init__(self, state: State, ctx: Context) -> None:
        super().__init__(state, ctx)
        self.content = tree(state["content"], ctx)

    def _construct(self) -> Any:
        random_state = self._type()()
        random_state.set_state(self.content.construct())
        return random_state


class RandomGeneratorNode(Node):
    """skops' RandomGeneratorNode (protocol 2) and its protocol 1 form (no SeedSequence).

    The bit generator's class is named by a string inside the state, so it is audited too.
    """

    loader = "RandomGeneratorNode"
    min_protocol = 1  # protocol 0 stored a raw dict that skops cannot audit either

    def __init__(self, state: State, ctx: Context) -> None:
        super().__init__(state, ctx)
        content = state["content"]
        self.bit_state = tree(content["bit_generator"], ctx)
        self.seed_state = tree(content["seed_seq"], ctx) if ctx.protocol >= 2 else None
        self.bit_name = _bit_generator_name(content["bit_generator"])

    def audit(self, ctx: Context) -> None:
        super().audit(ctx)
        if f"numpy.random.{self.bit_name}" not in BIT_GENERATORS:
            ctx.refused.add(f"numpy.random.{self.bit_name}")

    def _construct(self) -> Any:
        seed_seq = None
        if self.seed_state is not None:
            seed_seq = np.random.SeedSequence(**self.seed_state.construct())
        bit_state = self.bit_state.construct()
        name = bit_state["bit_generator"]
        if f"numpy.random.{name}" not in BIT_GENERATORS:  # the audited name, or refuse
            raise Malformed(f"bit generator {name!r} is not the one the file names")
        bit_cls = resolve("numpy.random", name)
        bit_generator = bit_cls() if seed_seq is None else bit_cls(seed_seq)
        bit_generator.state = bit_state
        return self._type()(bit_generator=bit_generator)


def _bit_generator_name(state: object) -> str:
    try:
        name = json.loads(state["content"]["bit_generator"]["content"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        name = None
    if not isinstance(name, str):
        raise Malformed("no bit generator name in the numpy.random.Generator state")
    return name


NUMPY_NODES: tuple[type[Node], ...] = (
    DTypeNode,
    MaskedArrayNode,
    NdArrayNode,
    RandomGeneratorNode,
    RandomStateNode,
)
"""The nodes of skops' ``_numpy.py``."""
