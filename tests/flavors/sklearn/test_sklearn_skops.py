"""skops persistence: common models load without trust, payloads and crafted trees do not."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer
from sklearn.tree import DecisionTreeClassifier
from skops_matrix import X, Y, base_models, rewrite  # type: ignore[import-not-found]

from tiffin.errors import FormatError, UntrustedModelError
from tiffin.flavors.sklearn.skops import SAFE_TYPES, dump, load, untrusted_types

Schema = dict[str, Any]
Members = dict[str, bytes]


def _models() -> dict[str, tuple[Any, Any]]:
    """name -> (unfitted estimator, X); all fitted on Y."""
    return base_models()


@pytest.fixture(scope="module")
def fitted() -> dict[str, tuple[Any, Any]]:
    out = {}
    for name, (est, data) in _models().items():
        target = Y + 1.0 if name == "tweedie" else Y
        out[name] = (est.fit(data, target), data)
    return out


def _dumped(est: Any, path: Path) -> Path:
    dump(est, path)
    return path


@pytest.fixture(scope="module")
def forest_file(
    fitted: dict[str, tuple[Any, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return _dumped(fitted["forest-100"][0], tmp_path_factory.mktemp("rf") / "rf.skops")


def _predictions(est: Any, data: Any) -> list[Any]:
    outs = [est.predict(data)]
    if hasattr(est, "predict_proba"):
        outs.append(est.predict_proba(data))
    return outs


@pytest.mark.parametrize("name", list(_models()))
def test_round_trip_without_trust(
    name: str, fitted: dict[str, tuple[Any, Any]], tmp_path: Path
) -> None:
    est, data = fitted[name]
    path = _dumped(est, tmp_path / "m.skops")
    assert untrusted_types(path) == []
    loaded = load(path)
    assert type(loaded) is type(est)
    for got, want in zip(_predictions(loaded, data), _predictions(est, data), strict=True):
        np.testing.assert_array_equal(got, want)


def test_safe_types_are_data_types_only() -> None:
    assert all(t.startswith(("sklearn.", "numpy.")) for t in SAFE_TYPES)
    for bad in ("builtins.", "operator.", "posix.", "nt.", "os.", "functools.", "subprocess."):
        assert not any(t.startswith(bad) for t in SAFE_TYPES)


# --- code in the file is refused -------------------------------------------------------------


def test_function_transformer_with_os_system_is_refused(tmp_path: Path) -> None:
    path = _dumped(FunctionTransformer(func=os.system).fit(X), tmp_path / "ft.skops")
    assert untrusted_types(path) == [f"{os.system.__module__}.system"]
    with pytest.raises(UntrustedModelError) as err:
        load(path)
    message = str(err.value)
    assert str(path) in message and f"{os.system.__module__}.system" in message
    assert "trust=True" in message


def _json_node(value: object) -> Schema:
    return {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
            "content": json.dumps(value), "is_json": True}  # fmt: skip


def _add_attr(schema: Schema, key: str, state: Schema) -> None:
    attrs = schema["content"]
    attrs["content"][key] = state
    str_type = {"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode"}
    attrs["key_types"]["content"].append(str_type)


def test_payload_that_runs_on_load_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = {
        "__class__": "mkdir",
        "__module__": os.mkdir.__module__,
        "__loader__": "ConstructorFromReduceNode",
        "content": {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
                    "content": [_json_node(str(marker))]},
    }  # fmt: skip
    clean = _dumped(LogisticRegression().fit(X, Y), tmp_path / "lr.skops")
    path = rewrite(clean, tmp_path / "evil.skops", lambda s, m: _add_attr(s, "x_", payload))
    assert f"{os.mkdir.__module__}.mkdir" in untrusted_types(path)
    with pytest.raises(UntrustedModelError, match="mkdir"):
        load(path)
    assert not marker.exists()
    # the payload is live: skops runs it once someone trusts what the file lists
    skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
    assert marker.exists()


# --- crafted trees -----------------------------------------------------------------------


def _tree(schema: Schema, i: int) -> Schema:
    tree: Schema = schema["content"]["content"]["estimators_"]["content"][i]
    state: Schema = tree["content"]["content"]["tree_"]
    return state


def _edit_array(tree: int, key: str, change: Callable[[Any], Any]) -> Callable[..., None]:
    def edit(schema: Schema, members: Members) -> None:
        name = _tree(schema, tree)["content"]["content"][key]["file"]
        array = np.lib.format.read_array(io.BytesIO(members[name]))
        buf = io.BytesIO()
        np.save(buf, change(array), allow_pickle=True)
        members[name] = buf.getvalue()

    return edit


def _nodes(change: Callable[[Any], None]) -> Callable[..., None]:
    def apply(nodes: Any) -> Any:
        nodes = nodes.copy()
        change(nodes)
        return nodes

    return _edit_array(3, "nodes", apply)


def _set(field: str, node: int | str, value: int) -> Callable[[Any], None]:
    def change(nodes: Any) -> None:
        internal = np.flatnonzero(nodes["left_child"] != -1)
        leaf = np.flatnonzero(nodes["left_child"] == -1)
        where = {"root": 0, "internal": int(internal[1]), "leaf": int(leaf[0])}
        index = where[node] if isinstance(node, str) else node
        nodes[field][index] = index if value == -99 else value  # -99: point at itself

    return change


def _two_parents(nodes: Any) -> None:
    nodes["right_child"][0] = nodes["left_child"][0]


def _schema_edit(change: Callable[[Schema], None]) -> Callable[..., None]:
    return lambda schema, members: change(_tree(schema, 3))


def _set_json(path: tuple[str | int, ...], value: object) -> Callable[[Schema], None]:
    def change(tree: Schema) -> None:
        node: Any = tree
        for key in path:
            node = node[key]
        node["content"] = json.dumps(value)
        del node["__id__"]  # else skops would reuse the JsonNode of that id seen first

    return change


def _share_id(schema: Schema, members: Members) -> None:
    victim = _tree(schema, 3)["content"]["content"]["nodes"]
    victim["__id__"] = _tree(schema, 0)["content"]["content"]["nodes"]["__id__"]


def _swap_loader(schema: Schema, members: Members) -> None:
    _tree(schema, 3)["__loader__"] = "LossNode"


def _hide_n_features(schema: Schema, members: Members, tree: int | None = 3) -> None:
    estimator = schema if tree is None else schema["content"]["content"]["estimators_"]
    attrs = estimator["content"] if tree is None else estimator["content"][tree]["content"]
    index = list(attrs["content"]).index("n_features_in_")  # skops would make it a tuple key
    attrs["key_types"]["content"][index] = {"__class__": "tuple", "__module__": "builtins",
                                            "__loader__": "TypeNode"}  # fmt: skip


def _drop_n_features(schema: Schema, members: Members) -> None:
    del schema["content"]["content"]["estimators_"]["content"][3]["content"]["content"][
        "n_features_in_"
    ]


def _int32_fields(nodes: Any) -> Any:
    return nodes.astype([(f, "<i4" if nodes.dtype[f].kind == "i" else nodes.dtype[f])
                         for f in nodes.dtype.names])  # fmt: skip


NODE_COUNT = ("content", "content", "node_count")
MAX_DEPTH = ("content", "content", "max_depth")
N_FEATURES = ("__reduce__", "args", "content", 0)
CRAFTED = [
    pytest.param(
        _nodes(_set("right_child", "root", 99999)),
        r"tree 3 \(estimators_\[3\].tree_\) node 0: right_child 99999 outside \[1, \d+\)",
        id="child out of range",
    ),
    pytest.param(
        _nodes(_set("feature", "root", 999)),
        r"node 0: feature 999 outside \[0, 6\)",
        id="feature out of range",
    ),
    pytest.param(_nodes(_set("feature", "root", -5)), "feature -5 outside", id="negative feature"),
    pytest.param(_nodes(_set("left_child", "internal", -99)), "not point forward", id="self cycle"),
    pytest.param(_nodes(_set("right_child", "internal", 1)), "not point forward", id="back cycle"),
    pytest.param(_nodes(_two_parents), "has [02] parents", id="two parents"),
    pytest.param(_nodes(_set("feature", "leaf", 0)), "leaf feature 0, not -2", id="leaf feature"),
    pytest.param(_nodes(_set("right_child", "leaf", 5)), "leaf with right_child", id="half leaf"),
    pytest.param(
        _edit_array(3, "values", lambda v: np.zeros((len(v), 1, 3))),
        r"values shape \(\d+, 1, 3\)",
        id="wrong values shape",
    ),
    pytest.param(
        _edit_array(3, "values", lambda v: v.astype(np.float32)), "float32", id="float32 values"
    ),
    pytest.param(_edit_array(3, "nodes", _int32_fields), "node dtype", id="32-bit node fields"),
    pytest.param(
        _edit_array(3, "nodes", lambda n: np.array([os.system], dtype=object)),
        "not a plain .npy array",
        id="pickled object array",
    ),
    pytest.param(_schema_edit(_set_json(NODE_COUNT, 10**6)), "node_count 1000000", id="node_count"),
    pytest.param(_schema_edit(_set_json(MAX_DEPTH, 0)), "max_depth 0 but it is", id="max_depth"),
    pytest.param(
        _schema_edit(_set_json(N_FEATURES, 7)), "n_features 7, its estimator 6", id="n_features"
    ),
    pytest.param(
        _drop_n_features, r"estimators_\[3\]: n_features_in_ None", id="no n_features_in_"
    ),
    pytest.param(
        _hide_n_features, r"estimators_\[3\]: n_features_in_ None", id="n_features_in_ key type"
    ),
    pytest.param(_swap_loader, "stored with LossNode, not TreeNode", id="loader swap"),
    pytest.param(_share_id, "different objects share __id__", id="shared __id__"),
]


@pytest.mark.parametrize(("edit", "expected"), CRAFTED)
def test_crafted_tree_is_refused(
    edit: Callable[..., None], expected: str, forest_file: Path, tmp_path: Path
) -> None:
    path = rewrite(forest_file, tmp_path / "crafted.skops", edit)
    with pytest.raises(UntrustedModelError, match=expected) as err:
        load(path)
    assert str(path) in str(err.value)


def test_safe_type_through_another_loader_is_refused(tmp_path: Path) -> None:
    def edit(schema: Schema, members: Members) -> None:
        dtype = schema["content"]["content"]["_fit_dtype"]
        assert dtype["__loader__"] == "DTypeNode"
        dtype["__loader__"] = "LossNode"  # would call numpy.dtype.__setstate__ with file data

    clean = _dumped(SimpleImputer().fit(X), tmp_path / "imputer.skops")
    path = rewrite(clean, tmp_path / "crafted.skops", edit)
    with pytest.raises(UntrustedModelError, match="numpy.dtype stored with LossNode"):
        load(path)


def test_attribute_names_must_be_strings(tmp_path: Path) -> None:
    clean = _dumped(DecisionTreeClassifier().fit(X, Y), tmp_path / "dt.skops")
    path = rewrite(clean, tmp_path / "crafted.skops", lambda s, m: _hide_n_features(s, m, None))
    with pytest.raises(UntrustedModelError, match="the root object: attribute names are not"):
        load(path)


def test_tree_outside_an_estimator_is_refused(forest_file: Path, tmp_path: Path) -> None:
    def edit(schema: Schema, members: Members) -> None:
        stray = dict(_tree(schema, 0), __id__=1)
        _add_attr(schema, "stray_", stray)

    path = rewrite(forest_file, tmp_path / "stray.skops", edit)
    with pytest.raises(UntrustedModelError, match=r"tree 100 \(stray_\): not the tree_"):
        load(path)


def test_untampered_forest_still_loads(forest_file: Path, tmp_path: Path) -> None:
    path = rewrite(forest_file, tmp_path / "same.skops", lambda schema, members: None)
    np.testing.assert_array_equal(load(path).predict(X), skops.io.load(forest_file,
                                  trusted=["sklearn.tree._tree.Tree"]).predict(X))  # fmt: skip


def _predictor_nodes(field: str, value: int) -> Callable[..., None]:
    def edit(schema: Schema, members: Members) -> None:
        predictor = schema["content"]["content"]["_predictors"]["content"][2]["content"][0]
        name = predictor["content"]["content"]["nodes"]["file"]
        nodes = np.lib.format.read_array(io.BytesIO(members[name])).copy()
        nodes[field][0] = value
        buf = io.BytesIO()
        np.save(buf, nodes)
        members[name] = buf.getvalue()

    return edit


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("left", 4000, r"predictor 2 \(_predictors\[2\]\[0\]\) node 0: left 4000 outside"),
        ("feature_idx", 6, r"feature_idx 6 outside \[0, 6\)"),
        ("is_categorical", 1, "categorical split"),
        ("is_leaf", 7, "is_leaf 7"),
    ],
)
def test_crafted_hist_gradient_boosting_is_refused(
    field: str, value: int, expected: str, fitted: dict[str, tuple[Any, Any]], tmp_path: Path
) -> None:
    clean = _dumped(fitted["hist-gradient-boosting"][0], tmp_path / "hgb.skops")
    path = rewrite(clean, tmp_path / "crafted.skops", _predictor_nodes(field, value))
    with pytest.raises(UntrustedModelError, match=expected):
        load(path)


def test_boosting_stages_wider_than_init_are_refused(
    fitted: dict[str, tuple[Any, Any]], tmp_path: Path
) -> None:
    def widen(schema: Schema, members: Members) -> None:
        for row in schema["content"]["content"]["estimators_"]["content"]:
            row["content"].append(row["content"][0])  # same __id__, same object

    clean = _dumped(fitted["gradient-boosting"][0], tmp_path / "gb.skops")
    path = rewrite(clean, tmp_path / "wide.skops", widen)
    with pytest.raises(UntrustedModelError, match="2 trees per stage"):
        load(path)


# --- what is not loaded without trust, and broken files ----------------------------------


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x05\x06" + b"\0" * 18])
def test_unreadable_file_is_a_format_error(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "broken.skops"
    path.write_bytes(content)
    with pytest.raises(FormatError, match="broken.skops"):
        load(path)
    with pytest.raises(FormatError):
        untrusted_types(path)
