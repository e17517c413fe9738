"""Save and load scikit-learn estimators with skops, safely enough for untrusted files.

MLflow's loader trusts whatever type list the artifact itself carries (``skops_trusted_types``
in the MLmodel): a file then vouches for itself. We never do that. Loading goes through
:mod:`tiffin.flavors.sklearn.skops_reader`, which checks every type the file names against a fixed
allowlist in our code (:mod:`tiffin.flavors.sklearn.skops_reader.allowlist`: skops' defaults plus
:data:`SAFE_TYPES`, each tied to one skops loader) before importing anything, and builds the
object as skops would without importing skops (``import skops.io`` alone imports all of
scikit-learn). The types that scikit-learn indexes without bounds checks (the tree node
stores, the neighbors' KDTree/BallTree and their distance metric) are validated array by array
first (:mod:`tiffin.flavors.sklearn.tree_check`, :mod:`tiffin.flavors.sklearn.neighbors_check`).

The file is read once and the same bytes are audited, validated and loaded, so nothing can swap
it in between. This module is imported lazily by the sklearn flavor; skops is imported only to
save (:func:`dump`).

Example:
    >>> dump(model, Path("model.skops"))  # doctest: +SKIP
    >>> untrusted_types(Path("model.skops"))  # doctest: +SKIP
    []
    >>> load(Path("model.skops")).predict(X)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tiffin.errors import FormatError, UnsupportedSafeSerializationError, UntrustedModelError
from tiffin.flavors.sklearn.neighbors_check import BINARY_TREES, METRICS, check_binary_trees
from tiffin.flavors.sklearn.tree_check import (
    PREDICTOR,
    Refused,
    TreeRef,
    attrs_of,
    check_boosting,
    check_predictors,
    check_trees,
    json_int,
    json_value,
)

__all__ = ["SAFE_TYPES", "dump", "load", "untrusted_types"]

# Types we trust beyond skops' defaults (skops already trusts every public estimator class, the
# Cython losses, numpy arrays, scalars and ufuncs, builtins containers), each with the one skops
# loader that writes it (skops_reader.allowlist.LOADER_TYPES lists each under that loader only).
# Found empirically: fit and dump the estimators of linear_model, tree, ensemble,
# preprocessing, pipeline, compose, impute, naive_bayes, neighbors, svm, cluster,
# decomposition, feature_extraction.text, neural_network and dummy, list what
# ``get_untrusted_types`` reports.
# Data and plain-Python types, and a few scikit-learn/numpy functions that estimators keep as
# parameters and call only on their own data (FunctionNode looks them up, never calls them);
# never a function that runs what it is given (builtins.eval, operator.*, posix.system,
# functools.partial, ...). A state naming one of these with another loader is refused: LossNode
# or ConstructorFromReduceNode would call the type with arguments from the file (a Tree that
# skipped our checks, ``numpy.dtype.__setstate__`` with a crafted state).
#
# Deliberately left out, so models using them need trust=True:
# - distance metrics other than neighbors_check.METRICS (PyFuncDistance calls a
#   Python function from the file), and any metric outside a KDTree/BallTree.
# - functools.partial, sklearn.utils.validation.check_array (HistGradientBoosting with
#   categorical features): callables. Categorical TreePredictor splits are refused too.
# - scipy.interpolate._bsplines.BSpline (SplineTransformer): scipy's C evaluation trusts the
#   knots, coefficients and degree to agree and we do not validate them.
#
# Not covered here: the allowlist trusts every estimator class, as skops does, and nothing
# checks their fitted arrays; some C paths trust those too (KMeans.predict reads
# ``cluster_centers_`` as wide as X, SVC's libsvm reads ``support_vectors_`` likewise).
_CALIBRATORS = "_CalibratedClassifier _SigmoidCalibration _TemperatureScaling"
_SCORES = "chi2 f_classif f_oneway f_regression r_regression"
_MUTUAL = "mutual_info_classif mutual_info_regression"
_KERNELS = (
    "CompoundKernel ConstantKernel DotProduct ExpSineSquared Exponentiation Matern "
    "PairwiseKernel Product RBF RationalQuadratic Sum WhiteKernel"
)


def _names(module: str, names: str) -> list[str]:
    return [f"{module}.{name}" for name in names.split()]


_SAFE_TYPE_LOADERS: dict[str, str] = {
    # numpy: dtype objects (SimpleImputer, KBinsDiscretizer keep one)
    "numpy.dtype": "DTypeNode",
    # linear_model: TweedieRegressor's Python loss wrappers (skops trusts their Cython losses)
    "sklearn._loss.loss.HalfTweedieLoss": "ObjectNode",
    "sklearn._loss.loss.HalfTweedieLossIdentity": "ObjectNode",
    # compose: make_column_selector (a regex and dtype filters)
    "sklearn.compose._column_transformer.make_column_selector": "ObjectNode",
    # ensemble: HistGradientBoosting's trees, validated by tree_check.check_predictors
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor": "ObjectNode",
    # impute: IterativeImputer is experimental, so not in skops' estimator list
    "sklearn.impute._iterative.IterativeImputer": "ObjectNode",
    "sklearn.impute._iterative._ImputerTriplet": "TupleNode",
    # neighbors (KNeighbors*, RadiusNeighbors*, NearestNeighbors, Isomap, LocalOutlierFactor,
    # KernelDensity, ...): KDTree/BallTree and their metric, validated by
    # neighbors_check.check_binary_trees
    **{name: "ObjectNode" for name in sorted(BINARY_TREES | METRICS)},
    # calibration: CalibratedClassifierCV's per-fold calibrators (coefficients, numpy only)
    **dict.fromkeys(_names("sklearn.calibration", _CALIBRATORS), "ObjectNode"),
    # cluster: BisectingKMeans' tree of centres (Python; its centres are as unchecked as
    # KMeans' own, see below) and the fit-only function it keeps
    "sklearn.cluster._bisect_k_means._BisectingTree": "ObjectNode",
    "sklearn.cluster._kmeans._kmeans_single_elkan": "FunctionNode",
    "sklearn.cluster._kmeans._kmeans_single_lloyd": "FunctionNode",
    # cluster: FeatureAgglomeration's default pooling_func, called on X in transform
    "numpy.mean": "FunctionNode",
    # feature_selection: the score functions Select*/GenericUnivariateSelect keep (fit only)
    **dict.fromkeys(
        _names("sklearn.feature_selection._univariate_selection", _SCORES), "FunctionNode"
    ),
    **dict.fromkeys(_names("sklearn.feature_selection._mutual_info", _MUTUAL), "FunctionNode"),
    # gaussian_process: kernels (hyperparameters and numpy/scipy.spatial code) and GPC's
    # binary Laplace model
    **dict.fromkeys(_names("sklearn.gaussian_process.kernels", _KERNELS), "ObjectNode"),
    "sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace": "ObjectNode",
    # multiclass: OneVsRest/OutputCode's stand-in for a column with one class (a constant)
    "sklearn.multiclass._ConstantPredictor": "ObjectNode",
    # tree, ensemble: node storage of DecisionTree*, forests, GradientBoosting*, AdaBoost,
    # Bagging, IsolationForest; validated by tree_check.check_trees
    "sklearn.tree._tree.Tree": "TreeNode",
    # ensemble: VotingClassifier/StackingClassifier ``named_estimators_``
    "sklearn.utils._bunch.Bunch": "DictNode",
    # neural_network: MLP*'s solver state (learning rate, moment arrays; only partial_fit uses it)
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer": "ObjectNode",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer": "ObjectNode",
}
SAFE_TYPES: frozenset[str] = frozenset(_SAFE_TYPE_LOADERS)


def dump(estimator: object, path: Path) -> None:
    """Write ``estimator`` to ``path`` in the skops format.

    Why: skops files hold arrays and a JSON schema instead of pickle bytecode, so loading one
    does not run code from the file; :func:`load` relies on that.

    Raises:
        UnsupportedSafeSerializationError: skops cannot write one of the model's types.

    Example:
        >>> dump(LogisticRegression().fit(X, y), Path("model.skops"))  # doctest: +SKIP
    """
    import skops.io
    from skops.io.exceptions import UnsupportedTypeException

    try:
        skops.io.dump(estimator, Path(path))
    except UnsupportedTypeException as exc:  # skops has no way to write this type at all
        raise UnsupportedSafeSerializationError(
            f"{type(estimator).__name__} cannot be saved so that it loads without trust: "
            f"skops cannot write it ({exc}). Save it with serialization_format='cloudpickle'; "
            "loading it then needs trust=True."
        ) from exc


def untrusted_types(path: Path) -> list[str]:
    """The types in the skops file at ``path`` that :func:`load` would refuse.

    Why: saving checks this so a model that could only be loaded with trust is caught when it
    is written, not when someone tries to serve it. It is the audit :func:`load` runs, so the
    two always agree.

    Example:
        >>> untrusted_types(Path("model.skops"))  # doctest: +SKIP
        []
    """
    from tiffin.flavors.sklearn.skops_reader import refused_types

    return refused_types(Path(path).read_bytes(), str(path))


def load(path: Path) -> Any:
    """Load the skops file at ``path`` without trusting anything the file says about itself.

    Why: the file may come from anyone. Types outside our allowlist (skops' defaults and
    :data:`SAFE_TYPES`) are refused before anything is imported, every tree is validated before
    scikit-learn sees it, and gradient boosting stages are checked against their init
    estimator after loading. skops itself is not imported: its import alone costs ~1.5 s.

    Raises:
        UntrustedModelError: the file uses a type we do not trust or a tree fails validation.
        FormatError: the file is not a readable skops file.

    Example:
        >>> load(Path("model.skops")).predict(X)  # doctest: +SKIP
    """
    from tiffin.flavors.sklearn.skops_reader import read_skops

    source = str(path)
    data = Path(path).read_bytes()
    boosting = _check_archive(data, source)  # FormatError for a broken file, before building
    if not data:
        raise FormatError(f"{source}: empty file, not a skops file")
    model = read_skops(data, source)  # audits every type against the allowlist, then builds
    if boosting:
        check_boosting(model, source)
    return model


# --- schema.json: find every tree and the estimator that owns it ---------------------------

# Forests and gradient boosting feed every sub-tree the X they validated once at the top.
_ENSEMBLE_MODULES = frozenset({"sklearn.ensemble._forest", "sklearn.ensemble._gb"})
_SEQUENCES = frozenset({"ListNode", "TupleNode", "SetNode", "NdArrayNode"})
_LEAVES = frozenset(
    {"JsonNode", "TypeNode", "FunctionNode", "BytesNode", "BytearrayNode", "SliceNode"}
)
_Where = tuple[Any, str] | None  # (parent, key): rendered into a path only for messages


@dataclass
class _Scan:
    trees: list[tuple[dict[str, Any], _Where]] = field(default_factory=list)
    predictors: list[tuple[dict[str, Any], _Where]] = field(default_factory=list)
    binary_trees: list[tuple[dict[str, Any], _Where]] = field(default_factory=list)
    metrics: list[tuple[dict[str, Any], _Where]] = field(default_factory=list)
    owner: dict[int, int | None] = field(default_factory=dict)  # id(state) -> n_features_in_
    ids: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    boosting: int = 0


def _check_archive(data: bytes, source: str) -> int:
    """Validate every tree in the skops file; return how many gradient boosting models it has.

    Why: ``sklearn.tree._tree.Tree`` and ``TreePredictor`` are in :data:`SAFE_TYPES` only
    because this runs first: skops would build them from whatever arrays the file holds.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        schema = json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, RecursionError) as exc:
        raise FormatError(f"{source}: not a readable skops file: {exc}") from exc
    try:
        with archive:
            scan = _scan(schema)
            _check_shared_ids(scan.ids, archive)
            check_trees(archive, _refs(scan, scan.trees, "tree", "tree_"))
            check_predictors(archive, _refs(scan, scan.predictors, "predictor", "_predictors"))
            check_binary_trees(
                archive,
                [(state, _render(where)) for state, where in scan.binary_trees],
                [(state, _render(where)) for state, where in scan.metrics],
            )
    except (Refused, RecursionError) as exc:
        problem = exc if isinstance(exc, Refused) else "schema.json nests too deeply"
        raise UntrustedModelError(
            f"{source}: {problem}; refusing to load it "
            "(load with trust=True only if you trust its source)"
        ) from None
    return scan.boosting


def _scan(schema: object) -> _Scan:
    """Visit every state skops could build, in pre-order (iteratively: depth is untrusted)."""
    scan = _Scan()
    stack: list[tuple[object, _Where]] = [(schema, None)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, list):
            stack.extend((item, where) for item in reversed(value))
            continue
        if not isinstance(value, dict):
            continue
        loader = value.get("__loader__")
        if isinstance(loader, str):
            _visit(value, loader, where, scan)
            if loader in _LEAVES or (loader == "NdArrayNode" and value.get("type") == "numpy"):
                continue  # skops reads nothing nested from these
        for key, child in reversed(value.items()):
            if key == "content" and loader == "DictNode" and isinstance(child, dict):
                stack.extend((v, (where, str(k))) for k, v in reversed(child.items()))
            elif key == "content" and loader in _SEQUENCES and isinstance(child, list):
                stack.extend((child[i], (where, f"[{i}]")) for i in reversed(range(len(child))))
            elif isinstance(child, dict | list):
                stack.append((child, where))
    return scan


def _render(where: _Where) -> str:
    """``estimators_[3].tree_`` from the linked path the scan builds."""
    parts: list[str] = []
    while where is not None:
        where, part = where
        parts.append(part)
    text = ""
    for part in reversed(parts):
        text += part if part.startswith("[") or not text else f".{part}"
    return text or "the root object"


def _visit(state: dict[str, Any], loader: str, where: _Where, scan: _Scan) -> None:
    saved_id = state.get("__id__")
    if saved_id is not None:
        if type(saved_id) is not int:
            raise Refused(f"{_render(where)}: __id__ {saved_id!r} is not an integer")
        scan.ids.setdefault(saved_id, []).append(state)
    name = f"{state.get('__module__')}.{state.get('__class__')}"
    if loader == "CachedNode":
        raise Refused(f"{_render(where)}: CachedNode, which skops never writes")
    if _SAFE_TYPE_LOADERS.get(name, loader) != loader:
        expected = _SAFE_TYPE_LOADERS[name]
        raise Refused(f"{_render(where)}: {name} stored with {loader}, not {expected}")
    if loader == "TreeNode":
        scan.trees.append((state, where))
    elif name == PREDICTOR:
        scan.predictors.append((state, where))
    elif name in BINARY_TREES:
        scan.binary_trees.append((state, where))
    elif name in METRICS:
        scan.metrics.append((state, where))
    elif loader == "ObjectNode":
        _visit_estimator(state, where, scan)


def _visit_estimator(state: dict[str, Any], where: _Where, scan: _Scan) -> None:
    """Record which trees this estimator owns; check its sub-estimators agree with it."""
    attrs = attrs_of(state)
    if attrs is None:
        if _fields_of(state.get("content"), "__loader__") == "DictNode":
            raise Refused(f"{_render(where)}: attribute names are not all plain strings")
        return
    n_in = json_int(attrs.get("n_features_in_"))
    if isinstance(attrs.get("tree_"), dict):
        scan.owner[id(attrs["tree_"])] = n_in
    if "_predictors" in attrs:
        if "_in_fit" in attrs:  # predict would then skip validating X
            raise Refused(f"{_render(where)}: HistGradientBoosting state has _in_fit set")
        if "_preprocessor" in attrs and json_value(attrs["_preprocessor"]) is not None:
            raise Refused(f"{_render(where)}: HistGradientBoosting with a preprocessor")
        for row in _list_items(attrs["_predictors"], where):
            for predictor in _list_items(row, where):
                scan.owner[id(predictor)] = n_in
    module = state.get("__module__")
    if module in _ENSEMBLE_MODULES and "estimators_" in attrs:
        for i, sub in enumerate(_sub_estimators(attrs["estimators_"])):
            sub_attrs = attrs_of(sub) if sub.get("__loader__") == "ObjectNode" else None
            sub_n = json_int(sub_attrs.get("n_features_in_")) if sub_attrs else None
            if n_in is None or sub_n != n_in:
                path = _render((where, f"estimators_[{i}]"))
                raise Refused(f"{path}: n_features_in_ {sub_n}, the ensemble's {n_in}")
        scan.boosting += module == "sklearn.ensemble._gb"


def _fields_of(state: object, key: str) -> object:
    return state.get(key) if isinstance(state, dict) else None


def _list_items(state: object, where: _Where) -> list[dict[str, Any]]:
    items = state.get("content") if isinstance(state, dict) else None
    if not isinstance(state, dict) or state.get("__loader__") != "ListNode":
        raise Refused(f"{_render(where)}._predictors: not a list of lists")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise Refused(f"{_render(where)}._predictors: holds something that is not an object")
    return items


def _sub_estimators(state: object) -> list[dict[str, Any]]:
    """Items of a list (forests) or of a 2-D object array of lists (gradient boosting)."""
    found, stack = [], [state]
    while stack:
        item = stack.pop()
        if isinstance(item, dict) and item.get("__loader__") in ("ListNode", "NdArrayNode"):
            stack.extend(reversed(item.get("content") or []))
        elif isinstance(item, dict) and item is not state:
            found.append(item)
    return found


def _refs(
    scan: _Scan, found: list[tuple[dict[str, Any], _Where]], kind: str, attr: str
) -> list[TreeRef]:
    refs = []
    for i, (state, where) in enumerate(found):
        label = f"{kind} {i} ({_render(where)})"
        if id(state) not in scan.owner:
            raise Refused(f"{label}: not the {attr} of an estimator")
        n_in = scan.owner[id(state)]
        if n_in is None:
            raise Refused(f"{label}: its estimator has no integer n_features_in_")
        refs.append(TreeRef(state, label, n_in))
    return refs


def _check_shared_ids(ids: dict[int, list[dict[str, Any]]], archive: zipfile.ZipFile) -> None:
    """States sharing an ``__id__`` must describe the same object, nested ids aside.

    Why: skops builds the first state it meets with an ``__id__`` and reuses that object for
    every later one, so a crafted file could show us one array and have skops use another.
    Genuine files repeat an object with other ids and file names for the temporaries inside it
    (``__getstate__`` builds a new dict, ``RandomState`` a new key array, per call), hence the
    comparison without ids and of file contents rather than names. With this rule every state
    builds what its own JSON says, so checking each state suffices.
    """
    digests: dict[str, str] = {}
    for saved_id, states in ids.items():
        rest = [s for s in states[1:] if s != states[0]]  # most repeats are identical
        if rest:
            first = _canonical(states[0], archive, digests)
            if any(_canonical(s, archive, digests) != first for s in rest):
                raise Refused(f"different objects share __id__ {saved_id}")


def _canonical(value: object, archive: zipfile.ZipFile, digests: dict[str, str]) -> str:
    def strip(value: object) -> object:
        if isinstance(value, list):
            return [strip(v) for v in value]
        if not isinstance(value, dict):
            return value
        if not isinstance(value.get("__loader__"), str):
            return {k: strip(v) for k, v in value.items()}
        out = {k: strip(v) for k, v in value.items() if k != "__id__"}
        name = value.get("file")
        if isinstance(name, str):
            if name not in digests:
                try:
                    digests[name] = hashlib.sha256(archive.read(name)).hexdigest()
                except Exception:  # a missing or broken member: compare by name
                    digests[name] = name
            out["file"] = digests[name]
        return out

    return json.dumps(strip(value), sort_keys=True)
