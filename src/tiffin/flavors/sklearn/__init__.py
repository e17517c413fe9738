"""The scikit-learn flavor: skops by default, so ordinary models load without running code.

The directory it writes is MLflow's (``loader_module: mlflow.sklearn``, an ``sklearn`` block,
``model.skops``), so ``mlflow.pyfunc.load_model`` reads it. MLflow's loader takes its skops
trust list from the model file itself; we write ``skops_trusted_types`` for MLflow's sake but
never read it: tiffin loads skops files against a fixed allowlist in our code
(:mod:`tiffin.flavors.sklearn.skops`), after checking tree arrays that scikit-learn does not.

This package is the template a flavor follows: ``__init__`` holds the flavor functions (its
``_load_pyfunc`` is checked against :class:`tiffin.pyfunc.model.PyFuncLoader`); the
format-specific parts sit beside it: :mod:`~tiffin.flavors.sklearn.skops` (skops save and the
safe load), :mod:`~tiffin.flavors.sklearn.tree_check` and
:mod:`~tiffin.flavors.sklearn.neighbors_check` (array validation scikit-learn does not do),
:mod:`~tiffin.flavors.sklearn.skops_reader` (reads skops files without importing skops, against a
fixed allowlist).

Example:
    >>> from sklearn.linear_model import LogisticRegression
    >>> import tiffin.sklearn
    >>> tiffin.sklearn.save_model(LogisticRegression().fit(X, y), "lr")  # doctest: +SKIP
    >>> tiffin.pyfunc.load_model("lr").predict(X)  # doctest: +SKIP
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffin import plugins
from tiffin.errors import FormatError, NotFoundError, UnsupportedSafeSerializationError
from tiffin.format.atomic import atomic_directory
from tiffin.format.mlmodel import MLModel
from tiffin.format.model_paths import inside_model
from tiffin.format.schema import Signature
from tiffin.plugins import import_optional
from tiffin.pyfunc.open import open_model
from tiffin.pyfunc.python_model import copy_code_paths
from tiffin.pyfunc.save import SaveOptions, finish_model, python_version
from tiffin.pyfunc.trust import TrustDecision

if TYPE_CHECKING:
    from tiffin.pyfunc.model import PyFuncLoader

__all__ = [
    "FLAVOR_NAME",
    "SERIALIZATION_FORMATS",
    "code_on_load",
    "get_default_pip_requirements",
    "load_model",
    "log_model",
    "save_model",
]

FLAVOR_NAME = "sklearn"
SERIALIZATION_FORMATS = ("skops", "cloudpickle", "pickle")
_FILES = {"skops": "model.skops", "cloudpickle": "model.pkl", "pickle": "model.pkl"}


def get_default_pip_requirements(serialization_format: str = "skops") -> list[str]:
    """scikit-learn plus the serializer, pinned to what is installed.

    Example:
        >>> get_default_pip_requirements()[0].startswith("scikit-learn==")
        True
    """
    from importlib.metadata import version

    extra = "skops" if serialization_format == "skops" else "cloudpickle"
    reqs = [f"scikit-learn=={version('scikit-learn')}"]
    if serialization_format != "pickle":
        reqs.append(f"{extra}=={version(extra)}")
    return reqs


def _dump(model: Any, file: Path, fmt: str) -> list[str] | None:
    """Write the estimator; for skops return the type list MLflow's loader needs."""
    if fmt == "skops":
        from tiffin.flavors.sklearn import skops

        skops.dump(model, file)  # UnsupportedSafeSerializationError if skops cannot
        refused = skops.untrusted_types(file)  # our own audit: what load would refuse
        if refused:
            raise UnsupportedSafeSerializationError(
                f"{type(model).__name__} cannot be saved so that it loads without trust: "
                f"it uses types tiffin does not load safely: {refused[:10]}. Save it with "
                "serialization_format='cloudpickle'; loading it then needs trust=True."
            )
        # MLflow's loader takes its trust list from the MLmodel; we write it for MLflow only.
        skops_io = import_optional("skops.io", "sklearn")
        return sorted(skops_io.get_untrusted_types(file=file)) or None
    if fmt == "cloudpickle":
        cloudpickle = import_optional("cloudpickle", "pickle")
        with open(file, "wb") as f:
            cloudpickle.dump(model, f)
    else:
        with open(file, "wb") as f:
            pickle.dump(model, f, protocol=pickle.DEFAULT_PROTOCOL)
    return None


def _flavor_blocks(model: Any, fmt: str, predict_fn: str, code: str | None) -> MLModel:
    import sklearn

    mlmodel = MLModel.new()
    if hasattr(model, predict_fn):
        mlmodel.add_flavor(
            "python_function",
            loader_module="mlflow.sklearn",
            model_path=_FILES[fmt],
            predict_fn=predict_fn,
            python_version=python_version(),
            **({"code": code} if code else {}),
        )
    else:
        warnings.warn(
            f"the model has no {predict_fn!r} method; saving without the python_function flavor",
            UserWarning,
            stacklevel=3,
        )
    mlmodel.add_flavor(
        FLAVOR_NAME,
        code=code,
        pickled_model=_FILES[fmt],
        serialization_format=fmt,
        sklearn_version=sklearn.__version__,
    )
    return mlmodel


def save_model(
    sk_model: Any,
    path: str | Path,
    *,
    serialization_format: str = "skops",
    signature: Signature | bool | None = None,
    input_example: Any = None,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    pyfunc_predict_fn: str = "predict",
    metadata: Mapping[str, Any] | None = None,
    code_paths: Sequence[str | Path] | None = None,
) -> MLModel:
    """Save a fitted estimator as an MLflow-format model directory, atomically.

    Args:
        sk_model: a fitted estimator or pipeline.
        path: the new model directory; refused if it exists and is not empty.
        serialization_format: ``skops`` (default, loads without trust), ``cloudpickle`` or
            ``pickle`` (both run code when loaded, so loading needs ``trust=True``).
        signature: a :class:`Signature`; ``None`` infers one from ``input_example``;
            ``False`` saves none.
        pyfunc_predict_fn: the method pyfunc's predict calls (``predict_proba``, ...).

    Example:
        >>> save_model(clf, "clf", input_example=X.head(3))  # doctest: +SKIP
    """
    if serialization_format not in SERIALIZATION_FORMATS:
        raise FormatError(
            f"unknown serialization_format {serialization_format!r}; "
            f"expected one of {list(SERIALIZATION_FORMATS)}"
        )
    options = SaveOptions(
        signature, input_example, pip_requirements, extra_pip_requirements, metadata
    )
    with atomic_directory(path) as tmp:
        trusted_types = _dump(sk_model, tmp / _FILES[serialization_format], serialization_format)
        code = copy_code_paths(tmp, code_paths)
        mlmodel = _flavor_blocks(sk_model, serialization_format, pyfunc_predict_fn, code)
        mlmodel.flavors[FLAVOR_NAME]["skops_trusted_types"] = trusted_types
        predict = getattr(sk_model, pyfunc_predict_fn, None)
        return finish_model(
            tmp,
            mlmodel,
            options,
            defaults=get_default_pip_requirements(serialization_format),
            inferred=_infer(sk_model),
            predict=predict,
        )


def _infer(model: Any) -> list[str]:
    from tiffin.format.environment import infer_requirements

    return infer_requirements(model)


def _model_name(mlmodel: MLModel) -> tuple[str | None, str]:
    """The model file the MLmodel names and its serialization format, as the loader reads them
    (a missing format is MLflow's old default, pickle)."""
    conf = mlmodel.flavors.get(FLAVOR_NAME, {})
    pyfunc = mlmodel.flavors.get("python_function", {})
    name = conf.get("pickled_model") or pyfunc.get("model_path") or pyfunc.get("data")
    return (str(name) if name else None), str(conf.get("serialization_format") or "pickle")


def _model_file(model_dir: Path, mlmodel: MLModel) -> tuple[Path, str]:
    name, fmt = _model_name(mlmodel)
    if not name:
        raise FormatError(f"{model_dir}: the MLmodel does not say which file holds the model")
    file = inside_model(model_dir, name, "the scikit-learn model file")
    if not file.is_file():
        raise NotFoundError(f"{file}: the model file named in the MLmodel is missing")
    return file, fmt


def code_on_load(model_dir: Path, mlmodel: MLModel) -> dict[str, str]:
    """What loading runs, decided by the declared format, not by what the bytes look like:
    anything but skops is unpickled, so it is code whatever the file holds.

    Example:
        >>> code_on_load(path, MLModel.load(path))  # doctest: +SKIP
        {'model.pkl': "a scikit-learn model stored as 'cloudpickle' (unpickled on load)"}
    """
    if (
        FLAVOR_NAME not in mlmodel.flavors
        and plugins.loader_for(
            str(mlmodel.flavors.get("python_function", {}).get("loader_module", ""))
        )
        != __name__
    ):
        return {}
    name, fmt = _model_name(mlmodel)
    if name is None or fmt == "skops":
        return {}
    return {name: f"a scikit-learn model stored as {fmt!r} (unpickled on load)"}


def _read(file: Path, fmt: str, decision: TrustDecision) -> Any:
    """Deserialize behind the gate's decision: pickles need a trusted one (see
    :mod:`tiffin.pyfunc.unpickle`).

    A skops file our reader refuses (a type outside the allowlist) still loads when the caller
    trusts the model: skops itself then loads it with the types the file uses.
    """
    from tiffin.pyfunc.unpickle import load_skops_any_type, unpickle

    if fmt == "skops":
        from tiffin.errors import UntrustedModelError
        from tiffin.flavors.sklearn import skops

        try:
            return skops.load(file)
        except UntrustedModelError:
            if not decision.trusted:
                raise
        return load_skops_any_type(file, decision)
    if fmt not in SERIALIZATION_FORMATS:
        raise FormatError(
            f"{file}: unrecognized serialization format {fmt!r}; "
            f"expected one of {list(SERIALIZATION_FORMATS)}"
        )
    return unpickle(file, decision, codec="cloudpickle" if fmt == "cloudpickle" else "pickle")


def load_model(model_uri: str | Path, *, trust: bool = False) -> Any:
    """Load the scikit-learn estimator itself (not the pyfunc wrapper).

    Example:
        >>> clf = load_model("clf")  # doctest: +SKIP
    """
    opened = open_model(model_uri, trust=trust)
    return _read(*_model_file(opened.model_dir, opened.mlmodel), opened.decision)


class _SklearnPyfunc:
    """The pyfunc implementation: calls the configured method; params are not used by sklearn."""

    def __init__(self, estimator: Any, predict_fn: str):
        self.raw_model = estimator
        self._fn = getattr(estimator, predict_fn)

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        return self._fn(model_input)


def _load_pyfunc(
    model_dir: Path,
    mlmodel: MLModel,
    model_config: dict[str, Any] | None = None,
    *,
    decision: TrustDecision,
) -> _SklearnPyfunc:
    estimator = _read(*_model_file(Path(model_dir), mlmodel), decision)
    predict_fn = str(mlmodel.flavors.get("python_function", {}).get("predict_fn") or "predict")
    return _SklearnPyfunc(estimator, predict_fn)


if TYPE_CHECKING:  # the loader contract, checked by mypy
    _conforms: PyFuncLoader = _load_pyfunc


def log_model(
    sk_model: Any,
    name: str = "model",
    *,
    registered_model_name: str | None = None,
    run_id: str | None = None,
    **save_kwargs: Any,
) -> Any:
    """Save the estimator into the active run's artifacts (and register it if asked).

    Example:
        >>> with tiffin.start_run():  # doctest: +SKIP
        ...     info = log_model(clf, name="model", registered_model_name="churn")
    """
    from tiffin.tracking import log_model as _log_model

    return _log_model(
        save_model,
        sk_model,
        name,
        registered_model_name=registered_model_name,
        run_id=run_id,
        **save_kwargs,
    )
