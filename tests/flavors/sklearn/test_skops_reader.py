"""tiffin's skops reader: builds what skops builds, refuses what it must, never imports skops."""

from __future__ import annotations

import importlib
import io
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from collections import OrderedDict, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.special
import skops.io
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.ensemble import (
    IsolationForest,
    RandomForestClassifier,
)
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import DistanceMetric
from sklearn.neighbors import BallTree, KDTree
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.tree._tree import Tree
from skops_matrix import X, Y, base_models  # type: ignore[import-not-found]

from tiffin.errors import FormatError, UntrustedModelError
from tiffin.flavors.sklearn.skops import SAFE_TYPES
from tiffin.flavors.sklearn.skops_reader import UNSUPPORTED_LOADERS, read_skops, refused_types
from tiffin.flavors.sklearn.skops_reader.allowlist import (
    BIT_GENERATORS,
    LOADER_TYPES,
    TRUSTED_CLASSES,
)

Schema = dict[str, Any]

TEXT = [f"w{i % 7} w{i % 5} x{i % 3}" for i in range(200)]
METHODS = ("predict", "predict_proba", "decision_function", "transform", "score_samples")


def _models() -> dict[str, tuple[Any, Any]]:
    """The skops test matrix of test_sklearn_skops.py, plus more estimator families."""
    return {
        **base_models(),
        "svc": (SVC(random_state=0), X),
        "kmeans": (KMeans(3, n_init=2, random_state=0), X),
        "pca": (PCA(3), X),
        "tfidf": (Pipeline([("t", TfidfVectorizer()), ("m", LogisticRegression())]), TEXT),
        "sgd": (SGDClassifier(random_state=0), X),
        "mlp": (MLPClassifier((8,), max_iter=2000, random_state=0), X),
        "tree": (DecisionTreeClassifier(random_state=0), X),
        "isolation-forest": (IsolationForest(n_estimators=10, random_state=0), X),
    }


@pytest.fixture(scope="module")
def saved() -> dict[str, tuple[bytes, Any]]:
    """name -> (the skops file's bytes, the model's input)."""
    out = {}
    for name, (est, data) in _models().items():
        est.fit(data, Y + 1.0 if name == "tweedie" else Y)
        out[name] = (skops.io.dumps(est), data)
    return out


def _skops_load(data: bytes) -> Any:
    return skops.io.loads(data, trusted=skops.io.get_untrusted_types(data=data))


_VALUES = (str, bytes, int, float, bool, type(None), np.generic, type, tuple)


def _assert_same(ours: Any, theirs: Any, path: str, seen: dict[Any, tuple[Any, Any]]) -> None:
    """Same types, values and arrays, and the same objects shared in both graphs."""
    assert type(ours) is type(theirs), path
    if not isinstance(ours, _VALUES):  # identity of immutable values is an interpreter detail
        if id(ours) in seen or ("theirs", id(theirs)) in seen:
            assert seen[id(ours)][1] is theirs, f"{path}: shared differently"
            assert seen[("theirs", id(theirs))][0] is ours, f"{path}: shared differently"
            return
        seen[id(ours)] = seen[("theirs", id(theirs))] = (ours, theirs)  # keeps both alive
    _assert_same_content(ours, theirs, path, seen)


def _assert_same_content(a: Any, b: Any, path: str, seen: dict[Any, tuple[Any, Any]]) -> None:
    if isinstance(a, np.ndarray) and a.dtype == object:
        assert a.shape == b.shape, path
        _assert_same(a.ravel().tolist(), b.ravel().tolist(), path, seen)
    elif isinstance(a, np.ndarray):  # structured arrays compare field by field, not padding
        assert a.flags.f_contiguous == b.flags.f_contiguous, path
        np.testing.assert_array_equal(a, b, err_msg=path, strict=True)
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for key in a:
            _assert_same(a[key], b[key], f"{path}.{key}", seen)
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{path}[{i}]", seen)
    elif isinstance(a, np.random.RandomState):
        _assert_same(a.get_state(legacy=False), b.get_state(legacy=False), path, seen)
    elif isinstance(a, np.random.Generator):
        _assert_same(a.bit_generator.state, b.bit_generator.state, path, seen)
    elif isinstance(a, Tree | KDTree | BallTree | DistanceMetric):  # Cython: no __dict__ state
        _assert_same(a.__getstate__(), b.__getstate__(), path, seen)
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        _assert_same(vars(a), vars(b), path, seen)
    elif type(a).__module__.startswith("sklearn."):  # Cython losses: compare their reduce
        _assert_same(a.__reduce__()[1:], b.__reduce__()[1:], path, seen)
    else:
        assert a == b or (a != a and b != b), f"{path}: {a!r} != {b!r}"


@pytest.mark.parametrize("name", list(_models()))
def test_builds_what_skops_builds(name: str, saved: dict[str, tuple[bytes, Any]]) -> None:
    data, inputs = saved[name]
    ours, theirs = read_skops(data, "m.skops"), _skops_load(data)
    _assert_same(ours, theirs, name, {})
    _assert_same(ours.get_params(), theirs.get_params(), f"{name}.get_params()", {})
    for method in METHODS:
        if hasattr(theirs, method):
            got, want = getattr(ours, method)(inputs), getattr(theirs, method)(inputs)
            np.testing.assert_array_equal(got, want, err_msg=method, strict=True)
    assert refused_types(data, "m.skops") == []


def test_shared_objects_stay_shared(saved: dict[str, tuple[bytes, Any]]) -> None:
    model = read_skops(saved["voting"][0], "voting.skops")
    assert model.named_estimators_["lr"] is model.estimators_[0]


def test_every_supported_node_builds_what_skops_builds() -> None:
    obj = {
        "generator": np.random.default_rng(0),
        "random_state": np.random.RandomState(0),
        "masked": np.ma.MaskedArray([1, 2], [False, True]),
        "dtype": np.dtype("f4"),
        "bytes": b"xy",
        "bytearray": bytearray(b"z"),
        "ufuncs": [np.log1p, scipy.special.expit],
        "slice": slice(1, 2),
        "objects": np.array([1, "a"], dtype=object),
        "objects-2d": np.array([[1, "a"]], dtype=object),
        "set": {1, 2},
        "scalar": np.float32(3),
        3: "an int key",
        "defaultdict": defaultdict(list, a=[1]),
        "ordered": OrderedDict(x=1),
        "types": (int, np.float64),
    }
    data = skops.io.dumps(obj)
    ours = read_skops(data, "all.skops")
    _assert_same(ours, skops.io.loads(data, trusted=["numpy.dtype"]), "obj", {})
    assert ours["generator"].random() == np.random.default_rng(0).random()


# --- refused before anything is imported ---------------------------------------------------


def _state(loader: str, name: str, **extra: Any) -> Schema:
    module, _, cls = name.rpartition(".")
    return {"__class__": cls, "__module__": module, "__loader__": loader, **extra}


def _json(value: object) -> Schema:
    return _state("JsonNode", "builtins.str", content=json.dumps(value), is_json=True)


def _tuple(*items: Schema) -> Schema:
    return _state("TupleNode", "builtins.tuple", content=list(items))


def _file(root: Schema, members: dict[str, bytes] | None = None, protocol: object = 2) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("schema.json", json.dumps({**root, "protocol": protocol}))
        for name, raw in (members or {}).items():
            zf.writestr(name, raw)
    return buf.getvalue()


def _list(*items: Schema) -> Schema:
    return _state("ListNode", "builtins.list", content=list(items))


def test_untrusted_type_is_refused_before_its_module_is_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "tiffin_evil.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass P: ...\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    data = _file(_list(_state("ObjectNode", "tiffin_evil.P"), _json(1)))
    with pytest.raises(UntrustedModelError) as err:
        read_skops(data, "evil.skops")
    assert "evil.skops" in str(err.value) and "tiffin_evil.P" in str(err.value)
    assert "trust=True" in str(err.value)
    assert not marker.exists() and "tiffin_evil" not in sys.modules
    assert refused_types(data, "evil.skops") == ["tiffin_evil.P"]


REFUSED = [
    pytest.param(_state("FunctionNode", f"{os.system.__module__}.system"), "system", id="system"),
    pytest.param(_state("FunctionNode", "builtins.eval"), "builtins.eval", id="eval"),
    pytest.param(_state("TypeNode", "builtins.getattr"), "builtins.getattr", id="getattr"),
    pytest.param(_state("TypeNode", "builtins.map"), "builtins.map", id="map"),
    pytest.param(
        _state("ObjectNode", "sklearn.tree._tree.Tree"),
        r"sklearn.tree._tree.Tree \(as ObjectNode\)",
        id="tree without its checks",
    ),
    pytest.param(
        _state(
            "TreeNode",
            "sklearn.linear_model._logistic.LogisticRegression",
            content=_json({}),
            __reduce__={"args": _tuple()},
        ),
        r"LogisticRegression \(as TreeNode\)",
        id="estimator as a tree",
    ),
    pytest.param(
        _state("LossNode", "numpy.dtype", content=_json({}), __reduce__={"args": _tuple()}),
        r"numpy.dtype \(as LossNode\)",
        id="dtype called with file data",
    ),
    pytest.param(
        {
            "__class__": "linear_model._logistic.LogisticRegression",
            "__module__": "sklearn",
            "__loader__": "ObjectNode",
        },
        "sklearn.linear_model._logistic.LogisticRegression",
        id="dotted class name",
    ),
    pytest.param(
        _state("SliceNode", "os.slice", content={"start": 1, "stop": 2, "step": None}),
        "os.slice",
        id="slice name",
    ),
]


@pytest.mark.parametrize(("state", "expected"), REFUSED)
def test_type_outside_the_allowlist_for_its_loader_is_refused(state: Schema, expected: str) -> None:
    with pytest.raises(UntrustedModelError, match=f"crafted.skops: refusing.*{expected}"):
        read_skops(_file(_list(state)), "crafted.skops")


@pytest.mark.parametrize("loader", [*sorted(UNSUPPORTED_LOADERS), "MadeUpNode"])
def test_unsupported_node_is_refused(loader: str) -> None:
    data = _file(_list(_state(loader, "posix.mkdir", content=_tuple(_json("/tmp/x")))))
    with pytest.raises(UntrustedModelError, match=f"unsupported skops node {loader}") as err:
        read_skops(data, "node.skops")
    assert "posix.mkdir" in str(err.value) and "trust=True" in str(err.value)
    assert refused_types(data, "node.skops") == ["posix.mkdir"]


def _generator(name: str, protocol: int) -> bytes:
    """A Generator saved by skops, with its bit generator's name replaced."""
    with zipfile.ZipFile(io.BytesIO(skops.io.dumps(np.random.default_rng(0)))) as zf:
        state = json.loads(zf.read("schema.json"))
    state["content"]["bit_generator"]["content"]["bit_generator"] = _json(name)
    if protocol < 2:
        del state["content"]["seed_seq"]
    return _file(state, protocol=protocol)


def test_bit_generator_named_in_the_state_is_audited() -> None:
    with pytest.raises(UntrustedModelError, match="numpy.random.seed"):
        read_skops(_generator("seed", 2), "rng.skops")
    assert read_skops(_generator("PCG64", 1), "rng.skops").bit_generator.state["bit_generator"]
    with pytest.raises(UntrustedModelError, match="unsupported skops node RandomGenerator"):
        read_skops(_generator("PCG64", 0), "rng.skops")  # skops cannot audit this one either


def test_protocol_0_function_is_audited_by_the_path_it_imports() -> None:
    content = {"module_path": os.system.__module__, "function": "system"}
    fake = _state("FunctionNode", "numpy.log1p", content=content)
    with pytest.raises(UntrustedModelError, match="system"):
        read_skops(_file(_list(fake), protocol=0), "old.skops")
    fine = _state("FunctionNode", "x.y", content={"module_path": "numpy", "function": "log1p"})
    assert read_skops(_file(_list(fine), protocol=0), "old.skops") == [np.log1p]


def _npy(array: Any, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=allow_pickle)
    return buf.getvalue()


def _array(file: str) -> Schema:
    return _state("NdArrayNode", "numpy.ndarray", type="numpy", file=file)


def _npz() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, a=np.zeros(2))
    return buf.getvalue()


def _deep(depth: int) -> bytes:
    """ListNodes nested ``depth`` deep: within json's limit, beyond a recursive reader's."""
    head = '{"__class__": "list", "__module__": "builtins", "__loader__": "ListNode", "content": ['
    schema = head * depth + "]}" * depth
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("schema.json", schema[:-1] + ', "protocol": 2}')
    return buf.getvalue()


MALFORMED = [
    pytest.param(b"", "empty file", id="empty"),
    pytest.param(b"not a zip", "not a readable skops file", id="not a zip"),
    pytest.param(_file(_list(), protocol=3), "protocol 3 is not one", id="protocol 3"),
    pytest.param(_file(_list(), protocol=-1), "protocol -1", id="protocol -1"),
    pytest.param(_file(_list(), protocol=True), "not an integer", id="protocol True"),
    pytest.param(_file(_list(), protocol="2"), "not an integer", id="protocol string"),
    pytest.param(_file(_list(_array("a.npy"))), "'a.npy' is not in the archive", id="no member"),
    pytest.param(
        _file(_list(_array("a.npy")), {"a.npy": _npy(np.array([print]), True)}),
        "Object arrays cannot be loaded",
        id="pickled array",
    ),
    pytest.param(_file(_list(_array("a.npy")), {"a.npy": _npz()}), "magic", id="npz array"),
    pytest.param(
        _file(_list(_state("DTypeNode", "numpy.dtype", content=_json(1)))),
        "does not hold an array",
        id="dtype of anything",
    ),
    pytest.param(
        _file({**_list({**_list(), "__id__": 7}), "__id__": 7}),
        "contains itself",
        id="id cycle",
    ),
    pytest.param(_deep(400), "nests too deeply", id="deep"),
    pytest.param(_file(_list({"__loader__": "JsonNode"})), "missing key", id="no class"),
]


@pytest.mark.parametrize(("data", "expected"), MALFORMED)
def test_malformed_file_is_a_format_error(data: bytes, expected: str) -> None:
    with pytest.raises(FormatError, match=f"bad.skops: .*{expected}"):
        read_skops(data, "bad.skops")


# --- the allowlist -------------------------------------------------------------------------


def test_safe_types_are_tied_to_their_loader() -> None:
    from tiffin.flavors.sklearn.skops import _SAFE_TYPE_LOADERS

    for name, loader in _SAFE_TYPE_LOADERS.items():
        assert {k for k, names in LOADER_TYPES.items() if name in names} == {loader}, name


def test_allowlist_holds_no_callable_that_runs_code() -> None:
    builtins = ("eval", "exec", "getattr", "setattr", "open", "compile", "__import__", "map")
    modules = ("operator", "functools", "os", "posix", "nt", "subprocess", "importlib", "pickle")
    bad = tuple(f"builtins.{b}" for b in builtins) + tuple(f"{m}." for m in (*modules, "sys"))
    assert not [name for name in TRUSTED_CLASSES if name.startswith(bad)]


def test_every_skops_loader_is_built_or_refused() -> None:
    from skops.io._audit import NODE_TYPE_MAPPING

    from tiffin.flavors.sklearn.skops_reader import _NODES

    assert {loader for loader, _protocol in NODE_TYPE_MAPPING} <= {*_NODES, *UNSUPPORTED_LOADERS}
    assert not set(_NODES) & UNSUPPORTED_LOADERS
    assert set(LOADER_TYPES) == set(_NODES) - {"JsonNode"}  # JSON values name no type


def test_allowlist_matches_skops_defaults_for_installed_versions() -> None:
    """Fails when scikit-learn/numpy/scipy move a class: regenerate skops_reader/allowlist.py."""
    from skops.io import _trusted_types as skops_types
    from skops.io._sklearn import ALLOWED_LOSSES
    from skops.io._utils import get_type_name

    assert set(skops_types.SKLEARN_ESTIMATOR_TYPE_NAMES) <= LOADER_TYPES["ObjectNode"]
    assert set(skops_types.SKLEARN_INTERNAL_TYPE_NAMES) <= LOADER_TYPES["ObjectNode"]
    assert {get_type_name(t) for t in ALLOWED_LOSSES} == LOADER_TYPES["LossNode"]
    ufuncs = skops_types.NUMPY_UFUNC_TYPE_NAMES + skops_types.SCIPY_UFUNC_TYPE_NAMES
    assert set(ufuncs) == LOADER_TYPES["FunctionNode"] - SAFE_TYPES
    assert set(skops_types.NUMPY_DTYPE_TYPE_NAMES) < LOADER_TYPES["NdArrayNode"]
    assert set(skops_types.NUMPY_RANDOM_BIT_GENERATOR_TYPE_NAMES) == BIT_GENERATORS
    for name in sorted(TRUSTED_CLASSES):  # and every name exists where the list says
        module, _, attr = name.rpartition(".")
        assert hasattr(importlib.import_module(module), attr), name


# --- loading a model does not import skops -------------------------------------------------


def test_load_model_does_not_import_skops(tmp_path: Path) -> None:
    import tiffin.sklearn

    rows = X[:3].tolist()
    for name, est in [("lr", LogisticRegression()), ("rf", RandomForestClassifier(10))]:
        tiffin.sklearn.save_model(est.fit(X, Y), tmp_path / name)
    refused = _list(_state("ObjectNode", "sklearn.cross_decomposition._pls.PLSRegression"),
                    _state("FunctionNode", "builtins.eval"))  # fmt: skip
    (tmp_path / "refused.skops").write_bytes(_file(refused))
    code = textwrap.dedent(f"""
        import sys, numpy as np, tiffin.pyfunc
        from tiffin.errors import UntrustedModelError
        from tiffin.flavors.sklearn.skops_reader import read_skops
        for name in ("lr", "rf"):
            model = tiffin.pyfunc.load_model({str(tmp_path)!r} + "/" + name)
            assert len(model.predict(np.array({rows!r}))) == 3
        try:
            read_skops(open({str(tmp_path / "refused.skops")!r}, "rb").read(), "refused")
        except UntrustedModelError:
            pass
        assert "sklearn.cross_decomposition" not in sys.modules  # audited before importing
        skops = [m for m in sys.modules if m == "skops" or m.startswith("skops.")]
        assert not skops, skops
        print("ok")
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
