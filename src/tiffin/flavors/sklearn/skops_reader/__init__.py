"""Read skops files without importing skops: audit every name first, then build as skops does.

Why: ``import skops.io`` computes its default trust list by importing every scikit-learn
submodule (``all_estimators()``), about 1.5 s of a 2.2 s cold start. This reader checks the
file against :data:`TRUSTED_CLASSES`, a literal allowlist in our code
(:mod:`tiffin.flavors.sklearn.skops_reader.allowlist`), and then imports only the modules of the
classes the file names. It never reads trust from the file.

Two passes, as in skops: parsing (:mod:`tiffin.flavors.sklearn.skops_reader.nodes`,
:mod:`tiffin.flavors.sklearn.skops_reader.numpy_nodes`) reads ``schema.json`` and
the ``.npy`` members, memoises states by ``__id__`` and records every type each node would
build or look up, keyed by its loader; nothing is imported. Only if every type is allowed for
its loader is the object built, with skops 0.16's construction semantics.

Callers validate trees first (:func:`tiffin.flavors.sklearn.skops.load` runs
``_check_archive``): this module checks types, not array contents.

Example:
    >>> model = read_skops(Path("model.skops").read_bytes(), "model.skops")  # doctest: +SKIP
    >>> refused_types(Path("model.skops").read_bytes(), "model.skops")  # doctest: +SKIP
    []
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from tiffin.errors import FormatError, UntrustedModelError
from tiffin.flavors.sklearn.skops_reader.allowlist import TRUSTED_CLASSES
from tiffin.flavors.sklearn.skops_reader.nodes import NODES, Context, Malformed, Node, tree
from tiffin.flavors.sklearn.skops_reader.numpy_nodes import NUMPY_NODES

__all__ = ["PROTOCOL", "TRUSTED_CLASSES", "UNSUPPORTED_LOADERS", "read_skops", "refused_types"]

PROTOCOL = 2
"""The newest skops protocol this reader knows (skops 0.16 writes 2; 0 and 1 still load)."""

# skops loaders tiffin does not build: they call code with arguments from the file (a partial,
# a bound method, operator.*getter, ``cls(*args)`` for any type), or scipy sparse matrices,
# whose indices scipy does not bounds-check; CachedNode is never written by skops.
UNSUPPORTED_LOADERS = frozenset(
    {
        "CachedNode",
        "ConstructorFromReduceNode",
        "MethodNode",
        "OperatorFuncNode",
        "PartialNode",
        "QuantileForestNode",
        "SparseMatrixNode",
        "_DictWithDeprecatedKeysNode",
    }
)
"""skops loaders refused as unsupported (as is any loader tiffin does not know)."""

_NODES: dict[str, type[Node]] = {cls.loader: cls for cls in (*NODES, *NUMPY_NODES)}


def read_skops(data: bytes, source: str) -> Any:
    """Build the object in the skops file ``data``, refusing any type outside the allowlist.

    Why: loading a skops file must neither trust the file nor pay for ``import skops.io``;
    every name is checked against :data:`TRUSTED_CLASSES` (per loader) before anything named
    by the file is imported, since an import runs code.

    Args:
        data: the whole ``.skops`` file.
        source: where it came from, for messages.

    Raises:
        UntrustedModelError: a type is not allowlisted for its loader, or a loader is one
            tiffin does not support.
        FormatError: not a readable skops file, or building the object failed.

    Example:
        >>> read_skops(Path("lr.skops").read_bytes(), "lr.skops").predict(X)  # doctest: +SKIP
    """
    root, ctx = _parse(data, source)
    if ctx.unsupported:
        nodes = ", ".join(f"{loader} ({name})" for loader, name in sorted(ctx.unsupported))
        raise UntrustedModelError(
            f"{source}: unsupported skops node {nodes}; "
            "load with trust=True only if you trust its source"
        )
    if ctx.refused:
        raise UntrustedModelError(
            f"{source}: refusing to load it, it uses types tiffin does not trust: "
            f"{', '.join(sorted(ctx.refused))}. Loading them could run code from the file; "
            "load with trust=True only if you trust its source."
        )
    return _build(root, source)


def refused_types(data: bytes, source: str) -> list[str]:
    """The types (and unsupported nodes' types) :func:`read_skops` would refuse, sorted.

    Why: saving runs the same audit as loading, so a model that could not be loaded without
    trust is caught when it is written. Nothing is imported or built.

    Raises:
        FormatError: not a readable skops file.

    Example:
        >>> refused_types(Path("ft.skops").read_bytes(), "ft.skops")  # doctest: +SKIP
        ['posix.system']
    """
    _root, ctx = _parse(data, source)
    return sorted(ctx.refused | {name for _loader, name in ctx.unsupported})


def _parse(data: bytes, source: str) -> tuple[Node, Context]:
    """Parse and audit ``schema.json``: reads JSON and members only, imports nothing."""
    if not data:
        raise FormatError(f"{source}: empty file, not a skops file")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            schema = json.loads(archive.read("schema.json"))
            ctx = Context(protocol=_protocol(schema), archive=archive, nodes=_NODES)
            root = tree(schema, ctx)
    except RecursionError:
        raise FormatError(f"{source}: not a readable skops file: it nests too deeply") from None
    except Exception as exc:  # zipfile, json and a malformed schema raise many types
        raise FormatError(f"{source}: not a readable skops file: {_describe(exc)}") from exc
    ctx.archive = None  # closed; every member a node needs has been read
    return root, ctx


def _protocol(schema: object) -> int:
    """skops' ``read_schema`` check: an int in [0, PROTOCOL]; the file picks its node variants."""
    protocol = schema.get("protocol") if isinstance(schema, dict) else None
    if isinstance(protocol, bool) or not isinstance(protocol, int):
        raise Malformed(f"skops protocol {protocol!r} is not an integer")
    if not 0 <= protocol <= PROTOCOL:
        raise Malformed(f"skops protocol {protocol} is not one tiffin reads (0 to {PROTOCOL})")
    return protocol


def _build(root: Node, source: str) -> Any:
    """Construct the audited tree; whatever a class's ``__setstate__`` raises is a FormatError."""
    try:
        return root.construct()
    except RecursionError:
        raise FormatError(f"{source}: could not build the model: it nests too deeply") from None
    except Exception as exc:  # scikit-learn and numpy raise many types for a malformed state
        raise FormatError(f"{source}: could not build the model: {_describe(exc)}") from exc


def _describe(exc: BaseException) -> str:
    return f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
