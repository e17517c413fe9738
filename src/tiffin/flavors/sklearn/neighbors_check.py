"""Validate KDTree/BallTree states in a skops file before scikit-learn's C code walks them.

``sklearn.neighbors`` queries a ``KDTree``/``BallTree`` in Cython without bounds checks: a leaf
reads ``data[idx_array[i]]`` for ``i`` in ``[idx_start, idx_end)``, an internal node visits
nodes ``2i+1`` and ``2i+2``, the bounds are read as ``node_bounds[k, node, feature]`` and the
distance metric reads its weights (``vec``) or matrix (``mat``) as wide as the data. skops
stores the tree as an ObjectNode whose content is ``BinaryTree.__getstate__``'s tuple
(scikit-learn 1.9, ``neighbors/_binary_tree.pxi.tp``)::

    (data, idx_array, node_data, node_bounds, leaf_size, n_levels, n_nodes,
     n_trims, n_leaves, n_splits, n_calls, dist_metric, sample_weight)

and the metric as an ObjectNode holding ``DistanceMetric64.__getstate__``'s ``(p, vec, mat)``.
Here we read those ``.npy`` members ourselves (never unpickling) and refuse any tree that is
not what scikit-learn builds: dtypes exact, ``idx_array`` a permutation of the rows, the
``2 ** n_levels - 1`` nodes a complete binary tree whose internal nodes split their range in
two, bounds shaped ``(2 or 1, n_nodes, n_features)``, and a metric of a known class whose
arrays fit the data. Every metric state in the file must be a validated tree's metric.

:mod:`tiffin.flavors.sklearn.skops` finds the states in ``schema.json`` and calls this.

Example:
    >>> check_binary_trees(archive, [(state, "_tree")], [])  # doctest: +SKIP
"""

from __future__ import annotations

import math
import zipfile
from typing import Any

import numpy as np
import numpy.typing as npt

from tiffin.flavors.sklearn.tree_check import MISSING, Refused, json_int, json_value, read_npy

__all__ = ["BINARY_TREES", "METRICS", "check_binary_trees"]

State = dict[str, Any]
Found = list[tuple[State, str]]

# class -> rows of node_bounds: KDTree keeps (lower, upper), BallTree one centroid per node.
_BOUNDS_ROWS = {
    "sklearn.neighbors._kd_tree.KDTree": 2,
    "sklearn.neighbors._ball_tree.BallTree": 1,
}
BINARY_TREES: frozenset[str] = frozenset(_BOUNDS_ROWS)
"""The neighbor trees tiffin loads without trust, as ObjectNodes, after this module's checks."""

# metric class -> what its state's vec/mat must be for n_features columns ("-": unused; the
# C code loops over the tree's n_features). Only classes whose C code we read are here.
_METRIC_MODULE = "sklearn.metrics._dist_metrics"
_METRIC_ARRAYS = {
    "BrayCurtisDistance64": "-",
    "CanberraDistance64": "-",
    "ChebyshevDistance64": "-",
    "EuclideanDistance64": "-",
    "HammingDistance64": "-",
    "HaversineDistance64": "two features",  # reads x[0] and x[1]
    "MahalanobisDistance64": "mat",  # mat (n_features, n_features), a scratch of that size
    "ManhattanDistance64": "-",
    "MinkowskiDistance64": "weights",  # vec empty (unweighted) or one weight per feature
    "SEuclideanDistance64": "vec",  # one variance per feature
}
METRICS: frozenset[str] = frozenset(f"{_METRIC_MODULE}.{name}" for name in _METRIC_ARRAYS)
"""The distance metrics allowed, only as the metric of a validated tree."""

_STATE_LEN = 13
_METRIC_ITEM = 11


def _tuple_items(state: object, length: int, what: str) -> list[Any]:
    """The items of the plain tuple skops passes to ``__setstate__``."""
    content = state.get("content") if isinstance(state, dict) else None
    if not isinstance(content, dict):
        raise Refused(f"{what}: state is not a plain tuple")
    fields = tuple(content.get(k) for k in ("__loader__", "__module__", "__class__"))
    items = content.get("content")
    if fields != ("TupleNode", "builtins", "tuple") or not isinstance(items, list):
        raise Refused(f"{what}: state is not a plain tuple")
    if len(items) != length:
        raise Refused(f"{what}: state has {len(items)} items, expected {length}")
    return items


def _ints(items: list[Any], label: str) -> dict[str, int]:
    names = ("leaf_size", "n_levels", "n_nodes", "n_trims", "n_leaves", "n_splits", "n_calls")
    values = {}
    for name, item in zip(names, items[4:_METRIC_ITEM], strict=True):
        value = json_int(item)
        if value is None or value < (1 if name in ("leaf_size", "n_levels", "n_nodes") else 0):
            raise Refused(f"{label}: {name} is not a non-negative integer")
        values[name] = value
    return values


def _array(
    archive: zipfile.ZipFile, state: object, what: str, dtype: Any, shape: tuple[int, ...]
) -> npt.NDArray[Any]:
    array = read_npy(archive, state, what)
    if array.dtype != dtype or array.shape != shape or not array.flags.c_contiguous:
        raise Refused(f"{what}: {array.dtype} {array.shape}, expected C-ordered {dtype} {shape}")
    return array


def _check_tree(archive: zipfile.ZipFile, state: State, label: str) -> State:
    """Check one tree state; return its metric's state (checked too)."""
    items = _tuple_items(state, _STATE_LEN, label)
    data = read_npy(archive, items[0], f"{label}: data")
    if data.dtype != np.float64 or data.ndim != 2 or not data.flags.c_contiguous or not data.size:
        raise Refused(f"{label}: data is not a non-empty C-ordered 2-D float64 array")
    n_samples, n_features = data.shape
    ints = _ints(items, label)
    # scikit-learn's own formula (BinaryTree.__init__), before 2 ** n_levels is computed
    levels = int(np.log2(max(1.0, (n_samples - 1) / ints["leaf_size"])) + 1)
    if ints["n_levels"] != levels or ints["n_nodes"] != 2**levels - 1:
        raise Refused(
            f"{label}: n_levels {ints['n_levels']}, n_nodes {ints['n_nodes']}; "
            f"{n_samples} rows with leaf_size {ints['leaf_size']} make {levels} levels"
        )
    n_nodes = ints["n_nodes"]
    idx = _array(archive, items[1], f"{label}: idx_array", np.intp, (n_samples,))
    if not np.array_equal(np.sort(idx), np.arange(n_samples)):
        raise Refused(f"{label}: idx_array is not a permutation of the {n_samples} rows")
    from sklearn.neighbors._kd_tree import NodeData

    nodes = _array(archive, items[2], f"{label}: node_data", NodeData, (n_nodes,))
    _check_nodes(nodes, n_samples, label)
    rows = _BOUNDS_ROWS[f"{state.get('__module__')}.{state.get('__class__')}"]
    _array(archive, items[3], f"{label}: node_bounds", np.float64, (rows, n_nodes, n_features))
    weight = items[12]
    if json_value(weight) is not None:
        _array(archive, weight, f"{label}: sample_weight", np.float64, (n_samples,))
    metric = items[_METRIC_ITEM]
    _check_metric(archive, metric, n_features, f"{label}: dist_metric")
    return metric  # type: ignore[no-any-return]


def _check_nodes(nodes: npt.NDArray[np.void], n_samples: int, label: str) -> None:
    """A complete binary tree; each internal node's two children split its range at one point."""
    start, end = nodes["idx_start"], nodes["idx_end"]
    leaf, radius = nodes["is_leaf"], nodes["radius"]
    n_nodes = len(nodes)
    inner = np.flatnonzero(leaf == 0)
    split = np.zeros(n_nodes, dtype=bool)
    left, right = 2 * inner + 1, 2 * inner + 2
    has_children = right < n_nodes
    split[inner[~has_children]] = True  # an internal node needs both children
    inner, left, right = inner[has_children], left[has_children], right[has_children]
    split[inner] = (start[left] != start[inner]) | (end[left] != start[right])
    split[inner] |= end[right] != end[inner]
    root = np.arange(n_nodes) == 0
    checks = (
        ((start < 0) | (start > end) | (end > n_samples), f"not a range within {n_samples} rows"),
        ((leaf != 0) & (leaf != 1), "is_leaf is not 0 or 1"),
        (~np.isfinite(radius) | (radius < 0), "radius is not a finite number >= 0"),
        (root & ((start != 0) | (end != n_samples)), f"the root does not hold all {n_samples}"),
        (split, "an internal node whose two children do not split its range"),
    )
    for bad, why in checks:
        hits = np.flatnonzero(bad)
        if hits.size:
            i = int(hits[0])
            raise Refused(
                f"{label}: node {i} (idx_start {start[i]}, idx_end {end[i]}, "
                f"is_leaf {leaf[i]}, radius {radius[i]}): {why}"
            )


def _check_metric(archive: zipfile.ZipFile, state: object, n_features: int, what: str) -> None:
    if not isinstance(state, dict):
        raise Refused(f"{what}: not one of the distance metrics tiffin validates")
    fields = (state.get("__loader__"), state.get("__module__"))
    name = state.get("__class__")
    if fields != ("ObjectNode", _METRIC_MODULE) or name not in _METRIC_ARRAYS:
        raise Refused(f"{what}: not one of the distance metrics tiffin validates")
    p_state, vec_state, mat_state = _tuple_items(state, 3, what)
    p = json_value(p_state)
    if type(p) is not float or math.isnan(p) or p < 1:
        raise Refused(f"{what}: p {p if p is not MISSING else '?'} is not a float >= 1")
    vec = read_npy(archive, vec_state, f"{what}: vec")
    mat = read_npy(archive, mat_state, f"{what}: mat")
    for array, ndim in ((vec, 1), (mat, 2)):
        if array.dtype != np.float64 or array.ndim != ndim or not array.flags.c_contiguous:
            raise Refused(f"{what}: {array.dtype} {array.shape} is not C-ordered {ndim}-D float64")
    need = _METRIC_ARRAYS[str(name)]
    ok = {
        "-": True,
        "two features": n_features == 2,
        "mat": mat.shape == (n_features, n_features),
        "weights": vec.shape in ((0,), (n_features,)) and math.isfinite(p),
        "vec": vec.shape == (n_features,),
    }[need]
    if not ok:
        raise Refused(
            f"{what}: {name} with vec {vec.shape}, mat {mat.shape} and p {p} "
            f"does not fit {n_features} features"
        )


def check_binary_trees(archive: zipfile.ZipFile, trees: Found, metrics: Found) -> None:
    """Refuse the first KDTree/BallTree that scikit-learn could not query safely.

    Why: ``BinaryTree.__setstate__`` takes the arrays as they are and every query indexes
    memory with them unchecked. ``metrics`` are all the metric states in the file: each must
    be the metric of one of ``trees`` (a metric elsewhere would not have been checked against
    any data width).

    Example:
        >>> check_binary_trees(archive, [(tree, "_tree")], [(metric, "m")])  # doctest: +SKIP
    """
    checked = {id(_check_tree(archive, state, label)) for state, label in trees}
    for state, label in metrics:
        if id(state) not in checked:
            raise Refused(f"{label}: a distance metric outside a KDTree/BallTree")
