"""Validate the tree arrays in a skops file before scikit-learn's C code walks them.

scikit-learn follows a tree's node arrays without bounds checks: ``sklearn.tree._tree.Tree``
follows ``left_child``/``right_child``, reads ``X[i, feature]`` and sizes ``decision_path``'s
buffer from ``max_depth``; HistGradientBoosting's ``TreePredictor`` does the same with
``left``/``right``/``feature_idx``; gradient boosting adds stage ``k`` into column ``k`` of a
buffer it does not measure. skops only checks *types*, so a crafted file holding trusted tree
types can make ``predict`` read or write out of bounds. Here we read the ``.npy`` members
ourselves (never unpickling) and refuse any tree that is not what scikit-learn writes: dtypes
exactly as sklearn's, a proper tree whose children point forward, features in range, shapes
that agree, ``n_features`` equal to the owning estimator's ``n_features_in_``. The checks are
vectorised over all trees at once: about a millisecond for a 100-tree forest.

:mod:`tiffin.flavors.sklearn.skops` finds the trees in ``schema.json`` and calls this.

Example:
    >>> refs = [TreeRef(state, "tree 0 (tree_)", n_features=6)]  # doctest: +SKIP
    >>> check_trees(archive, refs)  # raises Refused on the first bad node  # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tiffin.errors import UntrustedModelError

__all__ = [
    "MISSING",
    "PREDICTOR",
    "Refused",
    "TreeRef",
    "attrs_of",
    "check_boosting",
    "check_predictors",
    "check_trees",
    "json_int",
    "json_value",
    "read_npy",
]

PREDICTOR = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"
_TREE_KEYS = frozenset({"max_depth", "node_count", "nodes", "values"})
_PREDICTOR_KEYS = frozenset({"nodes", "binned_left_cat_bitsets", "raw_left_cat_bitsets"})
_NPY = ("NdArrayNode", "numpy", "numpy", "ndarray")
_NPY_KEYS = ("__loader__", "type", "__module__", "__class__")
MISSING = object()

State = dict[str, Any]
Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


class Refused(Exception):
    """A check failed; the message says where and why, the caller adds the file name."""


@dataclass(frozen=True)
class TreeRef:
    """A Tree (TreeNode) or TreePredictor (ObjectNode) state and its owner's feature count."""

    state: State
    label: str
    n_features: int


# --- reading skops states ------------------------------------------------------------------


def attrs_of(state: State, keys: frozenset[str] | None = None) -> State | None:
    """The attribute dict of an ObjectNode/TreeNode, if skops would rebuild it key for key.

    Why: DictNode turns each key into ``key_types[i](key)`` and zips the two lists, so a
    shorter or reordered ``key_types`` (say ``tuple`` for ``n_features_in_``) would hide an
    attribute we checked. With ``keys``, also insist on a plain dict of exactly those keys.

    Example:
        >>> key = {"__loader__": "TypeNode", "__module__": "builtins", "__class__": "str"}
        >>> attrs = {"n_features_in_": {"__loader__": "JsonNode", "content": "6"}}
        >>> content = {"__loader__": "DictNode", "content": attrs, "key_types": {"content": [key]}}
        >>> attrs_of({"__loader__": "ObjectNode", "content": content}) == attrs
        True
    """
    content = state.get("content")
    if not isinstance(content, dict) or content.get("__loader__") != "DictNode":
        return None
    attrs = content.get("content")
    key_types = content.get("key_types")
    types = key_types.get("content") if isinstance(key_types, dict) else None
    if not isinstance(attrs, dict) or not isinstance(types, list) or len(types) != len(attrs):
        return None
    str_type = ("TypeNode", "builtins", "str")
    if any(_fields(t, "__loader__", "__module__", "__class__") != str_type for t in types):
        return None
    if keys is None:
        return attrs
    plain = _fields(content, "__module__", "__class__") == ("builtins", "dict")
    return attrs if plain and set(attrs) == keys else None


def _fields(state: object, *keys: str) -> tuple[object, ...]:
    return tuple(state.get(k) for k in keys) if isinstance(state, dict) else ()


def json_value(state: object) -> object:
    """The value of a JsonNode, or :data:`MISSING` (equal to nothing a check looks for).

    Why: skops builds a JsonNode with ``json.loads(content)``; so do we, to see the same value.

    Example:
        >>> json_value({"__loader__": "JsonNode", "content": "null"}) is None
        True
    """
    if isinstance(state, dict) and state.get("__loader__") == "JsonNode":
        try:
            return json.loads(state["content"])
        except (KeyError, TypeError, ValueError):
            pass
    return MISSING


def json_int(state: object) -> int | None:
    """The int in a JsonNode (not a bool, not a float), else None.

    Why: ``true`` or ``6.0`` would pass a comparison with 6 but are not what sklearn writes.

    Example:
        >>> json_int({"__loader__": "JsonNode", "content": "6"}), json_int({"content": "6"})
        (6, None)
    """
    value = json_value(state)
    return value if type(value) is int else None


def _int(state: object, label: str, key: str, minimum: int) -> int:
    value = json_int(state)
    if value is None or value < minimum:
        raise Refused(f"{label}: {key} is not an integer >= {minimum}")
    return value


def read_npy(archive: zipfile.ZipFile, state: object, what: str) -> npt.NDArray[Any]:
    """Read one ``.npy`` member as skops would, but never unpickling and never an ``.npz``.

    Why: a check must see the array skops will build from the same state, without the
    pickle that ``allow_pickle`` would let a crafted member run.

    Example:
        >>> read_npy(archive, attrs["nodes"], "tree 0: nodes")  # doctest: +SKIP
    """
    ok = isinstance(state, dict) and _fields(state, *_NPY_KEYS) == _NPY
    name = state.get("file") if ok and isinstance(state, dict) else None
    if not isinstance(name, str):
        raise Refused(f"{what} is not a plain numpy array stored in its own .npy file")
    try:
        raw = archive.read(name)
        array: npt.NDArray[Any] = np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
    except Exception as exc:  # zipfile and numpy raise many types for bad data; all refuse
        raise Refused(f"{what}: {name} is not a plain .npy array ({exc})") from None
    return array


# --- Tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tree:
    label: str
    nodes: npt.NDArray[np.void]
    values: npt.NDArray[Any]
    node_count: int
    max_depth: int
    n_features: int
    n_classes: npt.NDArray[Any]
    n_outputs: int


def _read_tree(archive: zipfile.ZipFile, ref: TreeRef) -> _Tree:
    """Unpack ``Tree(n_features, n_classes, n_outputs)`` + ``__setstate__(attrs)`` as skops does."""
    label, reduce = ref.label, ref.state.get("__reduce__")
    args = reduce.get("args") if isinstance(reduce, dict) else None
    items = args.get("content") if isinstance(args, dict) else None
    if _fields(args, "__loader__") != ("TupleNode",) or not isinstance(items, list):
        raise Refused(f"{label}: constructor arguments are not a tuple")
    if len(items) != 3:
        raise Refused(f"{label}: {len(items)} constructor arguments, expected 3")
    attrs = attrs_of(ref.state, _TREE_KEYS)
    if attrs is None:
        raise Refused(f"{label}: state is not a plain dict of {sorted(_TREE_KEYS)}")
    tree = _Tree(
        label,
        read_npy(archive, attrs["nodes"], f"{label}: nodes"),
        read_npy(archive, attrs["values"], f"{label}: values"),
        _int(attrs["node_count"], label, "node_count", 1),
        _int(attrs["max_depth"], label, "max_depth", 0),
        _int(items[0], label, "n_features", 1),
        read_npy(archive, items[1], f"{label}: n_classes"),
        _int(items[2], label, "n_outputs", 1),
    )
    if tree.n_features != ref.n_features:
        raise Refused(f"{label}: n_features {tree.n_features}, its estimator {ref.n_features}")
    _check_tree_header(tree)
    return tree


def _check_tree_header(tree: _Tree) -> None:
    from sklearn.tree._tree import NODE_DTYPE

    label, nodes, values, n_classes = tree.label, tree.nodes, tree.values, tree.n_classes
    if nodes.dtype != NODE_DTYPE or nodes.ndim != 1:
        raise Refused(f"{label}: nodes dtype {nodes.dtype} is not sklearn's node dtype")
    if len(nodes) != tree.node_count:
        raise Refused(f"{label}: {len(nodes)} nodes but node_count {tree.node_count}")
    if n_classes.dtype != np.intp or n_classes.shape != (tree.n_outputs,):
        raise Refused(f"{label}: n_classes must be {tree.n_outputs} intp values")
    if n_classes.min() < 1:
        raise Refused(f"{label}: n_classes {n_classes.tolist()} has a value below 1")
    shape = (tree.node_count, tree.n_outputs, int(n_classes.max()))
    if values.dtype != np.float64 or not values.flags.c_contiguous or values.shape != shape:
        raise Refused(f"{label}: values shape {values.shape} {values.dtype}, not {shape} float64")


def check_trees(archive: zipfile.ZipFile, refs: list[TreeRef]) -> None:
    """Refuse the first ``sklearn.tree._tree.Tree`` that scikit-learn could not walk safely.

    Why: ``Tree.__setstate__`` copies the node array as is; ``apply``, ``decision_path`` and
    gradient boosting's ``predict_stages`` then index memory with it unchecked.

    Example:
        >>> check_trees(archive, [TreeRef(state, "tree 0 (tree_)", 6)])  # doctest: +SKIP
    """
    trees = [_read_tree(archive, ref) for ref in refs]
    if not trees:
        return
    batch = _Batch([t.label for t in trees], [t.node_count for t in trees])
    nodes = np.concatenate([t.nodes for t in trees])
    left, right, feature = nodes["left_child"], nodes["right_child"], nodes["feature"]
    internal = left != -1
    batch.fail_if(~internal & (right != -1), lambda g: f"leaf with right_child {right[g]}")
    depth = batch.check_shape(internal, (left, "left_child"), (right, "right_child"))
    n_features = batch.per_node([t.n_features for t in trees])
    batch.fail_if(
        internal & ((feature < 0) | (feature >= n_features)),
        lambda g: f"feature {feature[g]} outside [0, {n_features[g]})",
    )
    batch.fail_if(~internal & (feature != -2), lambda g: f"leaf feature {feature[g]}, not -2")
    for tree, deepest in zip(trees, np.maximum.reduceat(depth, batch.starts), strict=True):
        if tree.max_depth != deepest:  # decision_path sizes its buffer from max_depth
            raise Refused(f"{tree.label}: max_depth {tree.max_depth} but it is {deepest} deep")


# --- HistGradientBoosting's TreePredictor --------------------------------------------------


def _read_predictor(archive: zipfile.ZipFile, ref: TreeRef) -> npt.NDArray[np.void]:
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    attrs = attrs_of(ref.state, _PREDICTOR_KEYS)
    if attrs is None:
        raise Refused(f"{ref.label}: state is not a plain dict of {sorted(_PREDICTOR_KEYS)}")
    for key in ("binned_left_cat_bitsets", "raw_left_cat_bitsets"):
        bits = read_npy(archive, attrs[key], f"{ref.label}: {key}")
        if bits.dtype != np.uint32 or bits.ndim != 2 or bits.shape[1] != 8:
            raise Refused(f"{ref.label}: {key} must be uint32 of shape (n, 8), not {bits.shape}")
    nodes = read_npy(archive, attrs["nodes"], f"{ref.label}: nodes")
    if nodes.dtype != PREDICTOR_RECORD_DTYPE or nodes.ndim != 1 or not nodes.size:
        raise Refused(f"{ref.label}: nodes are not a non-empty array of sklearn's record dtype")
    return nodes


def check_predictors(archive: zipfile.ZipFile, refs: list[TreeRef]) -> None:
    """Refuse the first HistGradientBoosting ``TreePredictor`` that is not a sound tree.

    Why: ``_predict_from_raw_data`` follows ``left``/``right`` and reads
    ``X[row, feature_idx]`` unchecked. Categorical splits also index bitsets built from the
    estimator's bin mapper, which we do not validate, so they are refused.

    Example:
        >>> check_predictors(archive, [TreeRef(state, "predictor 0", 6)])  # doctest: +SKIP
    """
    arrays = [_read_predictor(archive, ref) for ref in refs]
    if not arrays:
        return
    batch = _Batch([ref.label for ref in refs], [len(a) for a in arrays])
    nodes = np.concatenate(arrays)
    is_leaf = nodes["is_leaf"]
    batch.fail_if(is_leaf > 1, lambda g: f"is_leaf {is_leaf[g]} is not 0 or 1")
    internal = is_leaf == 0
    left, right = nodes["left"].astype(np.int64), nodes["right"].astype(np.int64)
    batch.check_shape(internal, (left, "left"), (right, "right"))
    feature = nodes["feature_idx"]
    n_features = batch.per_node([ref.n_features for ref in refs])
    batch.fail_if(
        internal & ((feature < 0) | (feature >= n_features)),
        lambda g: f"feature_idx {feature[g]} outside [0, {n_features[g]})",
    )
    categorical = internal & (nodes["is_categorical"] != 0)
    batch.fail_if(categorical, lambda g: "categorical split, which tiffin does not validate")


# --- vectorised structure checks -----------------------------------------------------------


class _Batch:
    """Many trees' nodes concatenated; maps a failing node back to its tree and index."""

    def __init__(self, labels: list[str], sizes: list[int]) -> None:
        self.labels = labels
        self.sizes = np.asarray(sizes, dtype=np.int64)
        self.starts: Ints = np.concatenate(([0], np.cumsum(self.sizes)[:-1])).astype(np.int64)
        self.size = self.per_node(sizes)
        self.base = self.per_node(self.starts)
        self.local: Ints = np.arange(int(self.sizes.sum()), dtype=np.int64) - self.base

    def per_node(self, per_tree: Any) -> Ints:
        return np.repeat(np.asarray(per_tree, dtype=np.int64), self.sizes)

    def fail_if(self, bad: Mask, describe: Callable[[int], str]) -> None:
        hits = np.flatnonzero(bad)
        if hits.size:
            g = int(hits[0])
            k = int(np.searchsorted(self.starts, g, side="right")) - 1
            raise Refused(f"{self.labels[k]} node {self.local[g]}: {describe(g)}")

    def check_child(self, internal: Mask, child: Ints, name: str) -> None:
        self.fail_if(
            internal & ((child < 1) | (child >= self.size)),
            lambda g: f"{name} {child[g]} outside [1, {self.size[g]})",
        )
        self.fail_if(
            internal & (child <= self.local),
            lambda g: f"{name} {child[g]} does not point forward (a cycle)",
        )

    def check_shape(self, internal: Mask, *children: tuple[Ints, str]) -> Ints:
        """Children in range and forward, each node but the root reached once; return depths."""
        for child, name in children:
            self.check_child(internal, child, name)
        idx = np.flatnonzero(internal)
        kids = np.concatenate([child[idx] + self.base[idx] for child, _ in children])
        parents = np.bincount(kids, minlength=self.local.size)
        self.fail_if((self.local > 0) & (parents != 1), lambda g: f"has {parents[g]} parents")
        parent = np.arange(self.local.size, dtype=np.int64)
        parent[kids] = np.tile(idx, len(children))
        depth = (self.local > 0).astype(np.int64)
        while not np.array_equal(parent, parent[parent]):  # pointer jumping: log2(depth) rounds
            depth, parent = depth + depth[parent], parent[parent]
        return depth


# --- gradient boosting, after loading ------------------------------------------------------


def check_boosting(model: object, source: str) -> None:
    """Refuse gradient boosting whose stages are wider than its init estimator's output.

    Why: ``predict_stages`` adds tree ``k`` of every stage into column ``k`` of the init
    estimator's raw predictions without a bounds check. That width comes from running the init
    estimator, so we run it once on a row of zeros and compare.

    Example:
        >>> check_boosting(skops.io.loads(data, trusted=types), "model.skops")  # doctest: +SKIP
    """
    from sklearn.ensemble._gb import BaseGradientBoosting

    for obj in _objects(model):
        if not isinstance(obj, BaseGradientBoosting) or not hasattr(obj, "estimators_"):
            continue
        stages, n_features = obj.estimators_, getattr(obj, "n_features_in_", None)
        if not isinstance(stages, np.ndarray) or stages.ndim != 2 or type(n_features) is not int:
            raise UntrustedModelError(f"{source}: gradient boosting state is malformed")
        try:
            # GradientBoosting.predict validates X into a float32 array before this call
            raw = obj._raw_predict_init(np.zeros((1, n_features), dtype=np.float32))
        except Exception as exc:  # whatever the init estimator raises, the model is unusable
            raise UntrustedModelError(f"{source}: gradient boosting init fails: {exc}") from exc
        if getattr(raw, "shape", None) != (1, stages.shape[1]):
            raise UntrustedModelError(
                f"{source}: gradient boosting has {stages.shape[1]} trees per stage but its "
                f"init estimator gives shape {getattr(raw, 'shape', None)}; refusing to load it"
            )


def _objects(root: object) -> Iterator[object]:
    """Every object reachable from ``root`` through containers and instance attributes."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif isinstance(obj, np.ndarray):
            if obj.dtype == object:
                stack.extend(obj.ravel().tolist())
        elif hasattr(obj, "__dict__") and not isinstance(obj, type):
            stack.extend(vars(obj).values())
