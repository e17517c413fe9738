"""Every estimator of ``sklearn.utils.all_estimators()`` saves with skops and loads untrusted.

Each is fitted on small ordinary data (numeric 2-D X, a 3-class y; y + 1 for regressors),
saved with the default serialization, loaded through ``tiffin.pyfunc.load_model`` without
trust and compared with the original. Those tiffin cannot load safely must raise
``UnsupportedSafeSerializationError`` at save time: :data:`UNSAFE` pins that list, so an
improvement or a regression shows here.
"""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import all_estimators

import tiffin.pyfunc
import tiffin.sklearn
from tiffin.errors import UnsupportedSafeSerializationError

X, Y = make_classification(
    60, 5, n_informative=3, n_redundant=0, n_classes=3, n_clusters_per_class=1, random_state=0
)
KINDS = ("classifier", "regressor", "transformer", "cluster")
METHODS = ("predict", "predict_proba", "decision_function", "transform", "score_samples")

SKIP = {
    # need special inputs
    "DictVectorizer": "fits a list of dicts",
    "FeatureHasher": "fits dicts or strings",
    "CountVectorizer": "text",
    "HashingVectorizer": "text",
    "TfidfVectorizer": "text",
    "TfidfTransformer": "a term-count matrix (sparse output)",
    "PatchExtractor": "images",
    "LabelBinarizer": "fits y only",
    "LabelEncoder": "fits y only",
    "MultiLabelBinarizer": "fits y only (label sets)",
    "KernelCenterer": "a square kernel matrix",
    # need a multi-output y
    "ClassifierChain": "multi-output y required",
    "MultiOutputClassifier": "multi-output y required",
    "MultiOutputRegressor": "multi-output y required",
    "RegressorChain": "multi-output y required",
    "MultiTaskElasticNet": "multi-output y required",
    "MultiTaskElasticNetCV": "multi-output y required",
    "MultiTaskLasso": "multi-output y required",
    "MultiTaskLassoCV": "multi-output y required",
}

# What cannot be saved safely, and why; each must raise UnsupportedSafeSerializationError.
UNSAFE = {
    "Birch": "skops cannot write Birch (its _CFNode subclusters) at all",
    "SplineTransformer": "scipy BSpline: scipy's C evaluation trusts knots/coefficients/degree",
    "SparseRandomProjection": "a scipy sparse matrix: scipy does not bounds-check its indices",
    "TunedThresholdClassifierCV": "keeps a scorer: metric functions called with stored kwargs",
}


def _estimator(name: str, cls: type, kind: str) -> Any:
    """An instance with required constructor arguments filled and slow defaults made small."""
    clf = kind in ("classifier", "transformer", "cluster")
    base = LogisticRegression() if clf else Ridge()
    tree = DecisionTreeClassifier(max_depth=2) if clf else DecisionTreeRegressor(max_depth=2)
    required = {
        "estimator": base,
        "estimators": [("base", base), ("tree", tree)],
        "transformers": [("scale", StandardScaler(), [0, 1]), ("pca", PCA(2), [2, 3, 4])],
        "transformer_list": [("scale", StandardScaler()), ("pca", PCA(2))],
        "dictionary": X[:4],
    }

    params = inspect.signature(cls.__init__).parameters
    needed = {k for k, p in params.items() if p.default is inspect.Parameter.empty}
    needed |= {"estimator"} if name == "SelfTrainingClassifier" else set()  # None is invalid
    est = cls(**{k: v for k, v in required.items() if k in needed})
    small = {"n_estimators": 5, "max_iter": 250 if name == "TSNE" else 50}  # if smaller
    settable = est.get_params(deep=False)
    for key, value in small.items():
        default = settable.get(key)
        if type(default) is int and default > value:
            est.set_params(**{key: value})
    if name.startswith(("CCA", "PLS")):
        est.set_params(n_components=1)  # one target column
    if "RandomProjection" in name:
        est.set_params(n_components=3)  # 'auto' asks for more features than 60 rows allow
    return est


def _data(name: str, kind: str) -> tuple[Any, Any]:
    data = np.abs(X) if name in NON_NEGATIVE else X
    data = data[:, :1] if name == "IsotonicRegression" else data
    if name in BINARY_ONLY:
        return data, Y % 2
    return data, (Y + 1.0 if kind == "regressor" else Y)


BINARY_ONLY = {"FixedThresholdClassifier", "TunedThresholdClassifierCV"}
NON_NEGATIVE = {  # ordinary data, but these refuse negative values
    "AdditiveChi2Sampler", "CategoricalNB", "ComplementNB", "LatentDirichletAllocation",
    "MiniBatchNMF", "MultinomialNB", "NMF", "SkewedChi2Sampler",
}  # fmt: skip


def _cases() -> list[Any]:
    seen: dict[str, Any] = {}
    for kind in KINDS:
        for name, cls in all_estimators(type_filter=kind):
            seen.setdefault(name, pytest.param(name, cls, kind, id=name))
    return list(seen.values())


RANDOM_OUTPUT = {"BernoulliRBM": "score_samples"}  # draws from its random state per call


def _outputs(est: Any, data: Any) -> dict[str, Any]:
    skip = RANDOM_OUTPUT.get(type(est).__name__)
    out = {m: getattr(est, m)(data) for m in METHODS if hasattr(est, m) and m != skip}
    for attr in ("labels_", "embedding_"):  # fit-only clusterers and embeddings
        if hasattr(est, attr):
            out[attr] = getattr(est, attr)
    return out


@pytest.mark.parametrize(("name", "cls", "kind"), _cases())
def test_estimator_round_trips_without_trust_or_names_the_safe_choice(
    name: str, cls: type, kind: str, tmp_path: Path
) -> None:
    if name in SKIP:
        pytest.skip(SKIP[name])
    data, target = _data(name, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecations, convergence and small-data warnings
        est = _estimator(name, cls, kind)
        est.fit(data, target)
    fn = next((m for m in ("predict", "transform") if hasattr(est, m)), None)
    save = {"pyfunc_predict_fn": fn} if fn else {}
    if name in UNSAFE:
        with pytest.raises(UnsupportedSafeSerializationError) as err:
            tiffin.sklearn.save_model(est, tmp_path / "m", **save)
        assert "serialization_format='cloudpickle'" in str(err.value)
        assert "trust=True" in str(err.value) and name in str(err.value)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fit-only estimators have no pyfunc flavor
        tiffin.sklearn.save_model(est, tmp_path / "m", **save)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # deprecated classes warn when built
        loaded = tiffin.sklearn.load_model(tmp_path / "m")
        pyfunc = tiffin.pyfunc.load_model(tmp_path / "m") if fn else None
    want, got = _outputs(est, data), _outputs(loaded, data)
    assert type(loaded) is type(est) and list(got) == list(want)
    for key in want:  # equal up to rounding: some solvers' sums depend on memory alignment
        _assert_close(got[key], want[key], key)
    if pyfunc is not None:
        _assert_close(pyfunc.predict(data), want[fn], "pyfunc predict")


def _assert_close(got: Any, want: Any, what: str) -> None:
    got, want = (a.toarray() if hasattr(a, "toarray") else np.asarray(a) for a in (got, want))
    if want.dtype.kind in "fc":
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=what)
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)
