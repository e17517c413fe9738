"""Custom Python models: ``PythonModel``, its context, and their save/load in MLflow's layout.

A ``PythonModel`` is user code, so MLflow stores it as a cloudpickle of the instance
(``python_model.pkl``) with ``loader_module: mlflow.pyfunc.model``. tiffin writes the same
layout so MLflow loads what we save; because the pickle runs code when loaded, tiffin itself
loads it only through the trust gate (``trust=True``, or later a registry digest).

Example:
    >>> class AddN(PythonModel):
    ...     def predict(self, context, model_input, params=None):
    ...         return model_input + context.model_config["n"]
    >>> save_model("add_n", python_model=AddN(), model_config={"n": 1})  # doctest: +SKIP
"""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from tiffin.errors import FormatError, NotFoundError
from tiffin.format.atomic import atomic_directory
from tiffin.format.mlmodel import MLModel
from tiffin.format.model_paths import inside_model
from tiffin.format.schema import Signature
from tiffin.pyfunc.save import SaveOptions, finish_model, python_version

if TYPE_CHECKING:
    from tiffin.pyfunc.model import PyFuncLoader
    from tiffin.pyfunc.trust import TrustDecision

__all__ = ["FLAVOR_NAME", "PythonModel", "PythonModelContext", "log_model", "save_model"]

FLAVOR_NAME = "python_function"
LOADER_MODULE = "mlflow.pyfunc.model"
PICKLE_FILE = "python_model.pkl"


@dataclass
class PythonModelContext:
    """What ``load_context`` and ``predict`` receive: artifact paths and the model config."""

    artifacts: dict[str, str] = field(default_factory=dict)
    model_config: dict[str, Any] = field(default_factory=dict)


class PythonModel:
    """Base class for custom models; override ``predict`` (and ``load_context`` if needed)."""

    def load_context(self, context: PythonModelContext) -> None:
        """Called once at load time: open the artifacts here, not in ``predict``."""

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        raise NotImplementedError

    @property
    def predict_type_hints(self) -> Any:
        """No type hints: MLflow's loader asks every PythonModel for them before predicting,
        so answering "none" is what lets ``mlflow.pyfunc.load_model`` run our models."""
        return SimpleNamespace(input=None, output=None)


def _copy_artifacts(tmp: Path, artifacts: Mapping[str, str | Path]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, src in artifacts.items():
        path = Path(str(src).removeprefix("file://"))
        if not path.exists():
            raise NotFoundError(f"artifact {name!r}: no file or directory at {src}")
        dest = tmp / "artifacts" / path.name
        if dest.exists():
            raise FormatError(f"artifact {name!r}: two artifacts are named {path.name!r}")
        dest.parent.mkdir(exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, dest, symlinks=False)
        else:
            shutil.copy2(path, dest)
        out[name] = {"path": f"artifacts/{path.name}", "uri": str(src)}
    return out


def copy_code_paths(tmp: Path, code_paths: Sequence[str | Path] | None) -> str | None:
    """Copy user modules under ``code/``; returns the flavor's ``code`` value."""
    if not code_paths:
        return None
    if isinstance(code_paths, str | Path):
        raise FormatError("code_paths must be a list of paths, not a single path")
    for src in map(Path, code_paths):
        if not src.exists():
            raise NotFoundError(f"code path {src} does not exist")
        dest = tmp / "code" / src.name
        dest.parent.mkdir(exist_ok=True)
        copy = shutil.copytree if src.is_dir() else shutil.copy2
        copy(src, dest)
    return "code"


def save_model(
    path: str | Path,
    python_model: PythonModel,
    *,
    artifacts: Mapping[str, str | Path] | None = None,
    code_paths: Sequence[str | Path] | None = None,
    signature: Signature | bool | None = None,
    input_example: Any = None,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    model_config: Mapping[str, Any] | None = None,
) -> MLModel:
    """Save a :class:`PythonModel` in MLflow's layout (``mlflow.pyfunc.load_model`` reads it).

    Example:
        >>> save_model("m", python_model=AddN(), model_config={"n": 2})  # doctest: +SKIP
    """
    import cloudpickle

    if not isinstance(python_model, PythonModel) and not hasattr(python_model, "predict"):
        raise FormatError("python_model must be a PythonModel (an object with predict)")
    options = SaveOptions(
        signature, input_example, pip_requirements, extra_pip_requirements, metadata
    )
    with atomic_directory(path) as tmp:
        with open(tmp / PICKLE_FILE, "wb") as f:
            cloudpickle.dump(python_model, f)
        conf: dict[str, Any] = {
            "cloudpickle_version": cloudpickle.__version__,
            "code": copy_code_paths(tmp, code_paths),
            "loader_module": LOADER_MODULE,
            "python_model": PICKLE_FILE,
            "python_version": python_version(),
            "streamable": False,
        }
        if artifacts:
            conf["artifacts"] = _copy_artifacts(tmp, artifacts)
        if model_config:
            conf["config"] = dict(model_config)
        mlmodel = MLModel.new()
        mlmodel.add_flavor(FLAVOR_NAME, **conf)
        wrapper = _Wrapper(python_model, _context(tmp, conf, dict(model_config or {})))
        return finish_model(
            tmp,
            mlmodel,
            options,
            defaults=[f"cloudpickle=={cloudpickle.__version__}"],
            inferred=_infer(python_model),
            predict=wrapper.predict_for_example,
        )


def log_model(
    python_model: PythonModel,
    name: str = "model",
    *,
    registered_model_name: str | None = None,
    run_id: str | None = None,
    **save_kwargs: Any,
) -> Any:
    """Save a :class:`PythonModel` into the active run's artifacts (and register it if asked).

    Takes the arguments of :func:`save_model` (``artifacts``, ``code_paths``, ``signature``...).

    Example:
        >>> with tiffin.start_run():  # doctest: +SKIP
        ...     info = log_model(AddN(), name="model", registered_model_name="adder")
    """
    from tiffin.tracking import log_model as _log_model

    def save(model: PythonModel, path: Path, **kwargs: Any) -> MLModel:
        return save_model(path, python_model=model, **kwargs)

    return _log_model(
        save,
        python_model,
        name,
        registered_model_name=registered_model_name,
        run_id=run_id,
        **save_kwargs,
    )


def _infer(obj: object) -> list[str]:
    from tiffin.format.environment import infer_requirements

    return infer_requirements(obj)


def _context(
    model_dir: Path, conf: Mapping[str, Any], config: dict[str, Any]
) -> PythonModelContext:
    arts = {
        name: str(inside_model(model_dir, str(spec["path"]), f"artifact {name!r}").resolve())
        for name, spec in (conf.get("artifacts") or {}).items()
    }
    return PythonModelContext(artifacts=arts, model_config=config)


class _Wrapper:
    """Adapts a PythonModel to the pyfunc implementation contract."""

    def __init__(self, python_model: Any, context: PythonModelContext):
        self.python_model = python_model
        self.context = context
        self.model_config = context.model_config
        params = list(inspect.signature(python_model.predict).parameters)
        self._with_context = "context" in params or len([p for p in params if p != "params"]) >= 2
        self._loaded = False

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            if hasattr(self.python_model, "load_context"):
                self.python_model.load_context(self.context)
            self._loaded = True

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        self._ensure_loaded()
        kwargs = {"params": params} if params is not None else {}
        if self._with_context:
            return self.python_model.predict(self.context, model_input, **kwargs)
        return self.python_model.predict(model_input, **kwargs)

    def predict_for_example(self, model_input: Any) -> Any:
        return self.predict(model_input)


def _load_pyfunc(
    model_dir: Path,
    mlmodel: MLModel,
    model_config: dict[str, Any] | None = None,
    *,
    decision: TrustDecision,
) -> _Wrapper:
    """Unpickle the PythonModel; :func:`unpickle` refuses unless the gate trusted the model."""
    from tiffin.pyfunc.unpickle import unpickle

    conf = mlmodel.flavors[FLAVOR_NAME]
    if conf.get("python_model_compression"):
        raise FormatError("compressed python_model files are not supported yet")
    if not conf.get("python_model"):
        raise FormatError(
            f"{model_dir}: loader_module {LOADER_MODULE!r} needs a 'python_model' file in the "
            "python_function flavor, and the MLmodel names none"
        )
    python_model = unpickle(
        Path(model_dir) / str(conf["python_model"]), decision, codec="cloudpickle"
    )
    wrapper = _Wrapper(python_model, _context(Path(model_dir), conf, dict(model_config or {})))
    wrapper._ensure_loaded()
    return wrapper


if TYPE_CHECKING:  # the loader contract, checked by mypy
    _conforms: PyFuncLoader = _load_pyfunc
