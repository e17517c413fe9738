"""KDTree/BallTree in skops files: genuine ones load without trust, crafted ones never reach C."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.neighbors import BallTree, KDTree, KNeighborsClassifier, NearestNeighbors
from skops_matrix import WEIGHTS, X, Y, rewrite  # type: ignore[import-not-found]

from tiffin.errors import UntrustedModelError
from tiffin.flavors.sklearn.skops import dump, load

Schema = dict[str, Any]
Members = dict[str, bytes]
Edit = Callable[[Schema, Members], None]
DATA, IDX, NODES, BOUNDS, N_LEVELS, METRIC, WEIGHT = 0, 1, 2, 3, 5, 11, 12


def _fitted(algorithm: str, **kwargs: Any) -> KNeighborsClassifier:
    return KNeighborsClassifier(algorithm=algorithm, leaf_size=5, **kwargs).fit(X, Y)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("neighbors")
    models = {
        "kd": _fitted("kd_tree"),
        "ball": _fitted("ball_tree"),
        "weighted": _fitted("ball_tree", metric="minkowski", p=3, metric_params={"w": WEIGHTS}),
        "mahalanobis": _fitted("ball_tree", metric="mahalanobis", metric_params={"VI": np.eye(6)}),
        "sample-weight": BallTree(X, leaf_size=5, sample_weight=np.ones(len(X))),
    }
    paths = {name: root / f"{name}.skops" for name in models}
    for name, model in models.items():
        dump(model, paths[name])
    return paths


def _tree_items(schema: Schema) -> list[Schema]:
    tree = schema if schema["__class__"] in ("KDTree", "BallTree") else None
    tree = tree or schema["content"]["content"]["_tree"]
    items: list[Schema] = tree["content"]["content"]
    return items


def _edit_array(item: int, change: Callable[[Any], Any], *, metric_item: int | None = None) -> Edit:
    def edit(schema: Schema, members: Members) -> None:
        state = _tree_items(schema)[item]
        if metric_item is not None:
            state = state["content"]["content"][metric_item]
        array = np.lib.format.read_array(io.BytesIO(members[state["file"]]))
        buf = io.BytesIO()
        np.save(buf, change(array.copy()))
        members[state["file"]] = buf.getvalue()

    return edit


def _set(field: str, node: int, value: int) -> Callable[[Any], Any]:
    def change(nodes: Any) -> Any:
        nodes[field][node] = value
        return nodes

    return change


def _set_at(index: int, value: int) -> Callable[[Any], Any]:
    def change(array: Any) -> Any:
        array[index] = value
        return array

    return change


def _set_json(item: int, value: object) -> Edit:
    def edit(schema: Schema, members: Members) -> None:
        state = _tree_items(schema)[item]
        state["content"] = json.dumps(value)
        del state["__id__"]  # else skops would reuse the JsonNode of that id seen first

    return edit


def _metric_class(name: str) -> Edit:
    def edit(schema: Schema, members: Members) -> None:
        _tree_items(schema)[METRIC]["__class__"] = name

    return edit


def _drop_item(schema: Schema, members: Members) -> None:
    _tree_items(schema).pop()


def _loader(schema: Schema, members: Members) -> None:
    schema["content"]["content"]["_tree"]["__loader__"] = "LossNode"


def _metric_elsewhere(schema: Schema, members: Members) -> None:
    attrs = schema["content"]
    attrs["content"]["stray_"] = _tree_items(schema)[METRIC]
    str_type = {"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode"}
    attrs["key_types"]["content"].append(str_type)


CRAFTED = [
    pytest.param("kd", _edit_array(IDX, _set_at(0, 10**6)), "idx_array is not a permutation",
                 id="idx_array out of range"),
    pytest.param("ball", _edit_array(IDX, _set_at(0, -1)), "idx_array is not a permutation",
                 id="idx_array negative"),
    pytest.param("kd", _edit_array(IDX, lambda a: a.astype(np.int32)), "idx_array: int32",
                 id="idx_array int32"),
    pytest.param("kd", _edit_array(NODES, _set("idx_end", 0, 201)),
                 "node 0 .*idx_end 201.*within 200 rows", id="node_data end > n_samples"),
    pytest.param("ball", _edit_array(NODES, _set("idx_end", 3, 10**6)),
                 "node 3 .*idx_end 1000000", id="leaf end > n_samples"),
    pytest.param("kd", _edit_array(NODES, _set("idx_start", 1, 5)), "node 0 .*do not split",
                 id="not a split"),
    pytest.param("kd", _edit_array(NODES, _set("is_leaf", 0, 2)), "is_leaf 2", id="is_leaf 2"),
    pytest.param("kd", _edit_array(NODES, lambda n: _set("is_leaf", len(n) - 1, 0)(n)),
                 "is_leaf 0.*do not split", id="last level not a leaf"),
    pytest.param("ball", _edit_array(NODES, _set("radius", 0, -1)), "radius -1", id="radius"),
    pytest.param("kd", _edit_array(BOUNDS, lambda b: b[:1].copy()), r"node_bounds: .*\(1, ",
                 id="KDTree bounds with BallTree's shape"),
    pytest.param("ball", _edit_array(BOUNDS, lambda b: b[:, :, :3].copy()), "node_bounds",
                 id="bounds narrower than data"),
    pytest.param("kd", _edit_array(BOUNDS, lambda b: b[:, :3].copy()), "node_bounds",
                 id="bounds for fewer nodes"),
    pytest.param("kd", _edit_array(DATA, lambda d: d.astype(np.float32)), "data is not",
                 id="float32 data"),
    pytest.param("kd", _edit_array(DATA, lambda d: np.asfortranarray(d)), "data is not",
                 id="Fortran-ordered data"),
    pytest.param("kd", _set_json(N_LEVELS, 40), "n_levels 40", id="n_levels"),
    pytest.param("kd", _set_json(4, 0), "leaf_size is not", id="leaf_size 0"),
    pytest.param("kd", _drop_item, "12 items, expected 13", id="short state"),
    pytest.param("kd", _loader, "stored with LossNode", id="loader swap"),
    pytest.param("weighted", _edit_array(METRIC, lambda v: v[:2].copy(), metric_item=1),
                 r"MinkowskiDistance64 with vec \(2,\).* 6 features", id="weights too short"),
    pytest.param("mahalanobis", _edit_array(METRIC, lambda m: m[:2, :2].copy(), metric_item=2),
                 r"mat \(2, 2\)", id="Mahalanobis matrix too small"),
    pytest.param("kd", _metric_class("SEuclideanDistance64"), r"vec \(1,\)",
                 id="SEuclidean without variances"),
    pytest.param("kd", _metric_class("PyFuncDistance64"), "not one of the distance metrics",
                 id="PyFuncDistance"),
    pytest.param("kd", _metric_elsewhere, "stray_: a distance metric outside",
                 id="metric outside a tree"),
    pytest.param("sample-weight", _edit_array(WEIGHT, lambda w: w[:3].copy()),
                 r"sample_weight: float64 \(3,\)", id="sample_weight too short"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "edit", "expected"), CRAFTED)
def test_crafted_neighbor_tree_is_refused_before_it_is_built(
    name: str,
    edit: Edit,
    expected: str,
    files: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def never(*args: object) -> None:
        raise AssertionError("__setstate__ reached")

    for cls in (KDTree, BallTree):  # Python subclasses of the Cython trees
        monkeypatch.setattr(cls, "__setstate__", never)
    path = rewrite(files[name], tmp_path / "crafted.skops", edit)
    with pytest.raises(UntrustedModelError, match=expected) as err:
        load(path)
    assert str(path) in str(err.value) and "trust=True" in str(err.value)


@pytest.mark.parametrize("name", ["kd", "ball", "weighted", "mahalanobis"])
def test_genuine_neighbor_trees_load_without_trust(name: str, files: dict[str, Path]) -> None:
    loaded = load(files[name])
    fresh = KNeighborsClassifier(**loaded.get_params()).fit(X, Y)
    for got, want in zip(loaded.kneighbors(X), fresh.kneighbors(X), strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(loaded.predict_proba(X), fresh.predict_proba(X))


def test_standalone_trees_and_haversine_load_without_trust(
    files: dict[str, Path], tmp_path: Path
) -> None:
    tree = load(files["sample-weight"])
    want = BallTree(X, leaf_size=5, sample_weight=np.ones(len(X)))
    np.testing.assert_allclose(tree.kernel_density(X[:5], 1.0), want.kernel_density(X[:5], 1.0))
    angles = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    nn = NearestNeighbors(algorithm="ball_tree", metric="haversine").fit(angles)
    dump(nn, tmp_path / "haversine.skops")
    got = load(tmp_path / "haversine.skops").kneighbors(angles)[1]
    np.testing.assert_array_equal(got, nn.kneighbors(angles)[1])
