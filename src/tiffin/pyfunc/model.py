"""``PyFuncModel``: one ``predict(model_input, params=None)`` in front of every flavor.

The wrapper does the work every model shares, once: it enforces the signature (strictly, every
problem at once, see :mod:`tiffin.pyfunc.enforce`), fills params with their defaults and refuses
unknown ones, then calls the flavor's implementation. Decisions that depend only on the model
(does its predict take params? is there an input schema?) are taken at load time so a 1-row
predict costs little more than the raw framework call.

Example:
    >>> model = tiffin.pyfunc.load_model("model_dir")  # doctest: +SKIP
    >>> model.predict(df)  # doctest: +SKIP
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tiffin.errors import InvalidValueError, SchemaError
from tiffin.format.mlmodel import MLModel
from tiffin.format.schema import Signature

if TYPE_CHECKING:
    from tiffin.pyfunc.trust import TrustDecision

__all__ = ["PyFuncImpl", "PyFuncLoader", "PyFuncModel"]


class PyFuncImpl(Protocol):
    """What a flavor's ``_load_pyfunc`` returns."""

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any: ...


class PyFuncLoader(Protocol):
    """The loader contract: the ``_load_pyfunc`` of a module that :data:`tiffin.plugins.LOADERS`
    (or a ``tiffin.flavors`` entry point) names, which :func:`tiffin.pyfunc.load_model` calls
    once the trust gate has decided.

    ``decision`` is the gate's unforgeable :class:`~tiffin.pyfunc.trust.TrustDecision`: anything
    that deserializes code passes it on (see :mod:`tiffin.pyfunc.unpickle`), so an untrusted
    model cannot run code. ``model_config`` is the saved ``config`` merged with the caller's.

    Optional part of the contract: a module-level ``code_on_load(model_dir: Path, mlmodel:
    MLModel) -> dict[str, str]``, what loading will execute (path -> why), asked by the gate
    *before* anything loads (:func:`tiffin.format.runs_code.code_reasons`, which looks it up
    with ``getattr``); a loader without it runs nothing beyond what sniffing its files finds.

    Implemented by :mod:`tiffin.flavors.sklearn`, :mod:`tiffin.pyfunc.python_model` and
    :mod:`tiffin.integrations.kedro.pipeline_model`; each checks its ``_load_pyfunc`` against
    this protocol with mypy (``_conforms: PyFuncLoader = _load_pyfunc`` under ``TYPE_CHECKING``).
    Foreign loaders that MLflow files name keep MLflow's ``_load_pyfunc(data_path[,
    model_config])`` and are called only for trusted models.

    Example:
        >>> from tiffin.flavors.sklearn import _load_pyfunc
        >>> loader: PyFuncLoader = _load_pyfunc
        >>> model = loader(model_dir, MLModel.load(model_dir), decision=decision)  # doctest: +SKIP
    """

    def __call__(
        self,
        model_dir: Path,
        mlmodel: MLModel,
        model_config: dict[str, Any] | None = None,
        *,
        decision: TrustDecision,
    ) -> PyFuncImpl: ...


def _accepts_params(fn: Any) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    param = sig.parameters.get("params")
    return param is not None and param.kind is not inspect.Parameter.VAR_KEYWORD


class PyFuncModel:
    """A loaded model: its metadata, its implementation, and the generic ``predict``."""

    def __init__(
        self,
        metadata: MLModel,
        impl: Any,
        model_dir: Path,
        predict_fn: str = "predict",
        trusted: bool = False,
    ):
        self.metadata = metadata
        self.model_dir = Path(model_dir)
        self.trusted = trusted
        self._impl = impl
        self._predict = getattr(impl, predict_fn)
        self._takes_params = _accepts_params(self._predict)
        from tiffin.pyfunc.enforce import enforce_input, enforce_params

        # bound once here: an import statement in predict would run on every call
        self._enforce_input = enforce_input
        self._enforce_params = enforce_params
        sig = metadata.signature
        self._inputs = sig.inputs if sig is not None else None
        self._params = sig.params if sig is not None else None

    @property
    def signature(self) -> Signature | None:
        return self.metadata.signature

    def predict(self, model_input: Any, params: Mapping[str, Any] | None = None) -> Any:
        """Enforce the signature, then predict.

        Raises:
            SchemaError: the input or params do not match the signature; the message lists
                every problem (column, expected type, received type).

        Example:
            >>> model.predict(pd.DataFrame({"x": [1.0]}), params={"k": 3})  # doctest: +SKIP
        """
        data, checked = self.prepare(model_input, params)
        return self.predict_prepared(data, checked)

    def prepare(
        self, model_input: Any, params: Mapping[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any] | None]:
        """Enforce the signature without predicting: the first half of :meth:`predict`.

        The scoring server checks each request on its own with this, so one request's bad
        rows fail only that request, then merges the checked inputs into one batch for
        :meth:`predict_prepared`.

        Raises:
            SchemaError: as :meth:`predict`.

        Example:
            >>> data, params = model.prepare(pd.DataFrame({"x": [1.0]}))  # doctest: +SKIP
        """
        inputs = self._inputs
        data = self._enforce_input(model_input, inputs) if inputs is not None else model_input
        if self._params is None and not params:
            return data, None
        checked = self._enforce_params(params, self._params)
        if not self._takes_params and params:
            raise SchemaError(f"this model's predict takes no params; got {sorted(params)[:20]}")
        return data, checked

    def predict_prepared(self, data: Any, params: dict[str, Any] | None) -> Any:
        """Predict on input that :meth:`prepare` has already checked (the second half).

        Example:
            >>> model.predict_prepared(*model.prepare(frame))  # doctest: +SKIP
        """
        if self._takes_params:
            return self._predict(data, params)
        return self._predict(data)

    def unwrap_python_model(self) -> Any:
        """The user's :class:`PythonModel` instance (only for python_model flavors).

        Raises:
            InvalidValueError: the model was not saved from a PythonModel (the message names
                its flavors; :meth:`get_raw_model` returns the framework object instead).
        """
        inner = getattr(self._impl, "python_model", None)
        if inner is None:
            raise InvalidValueError(
                f"unable to retrieve the PythonModel: this model's flavors are "
                f"{sorted(self.metadata.flavors)} (loaded as a {type(self._impl).__name__}), "
                "not a PythonModel; get_raw_model() returns the framework object"
            )
        return inner

    def get_raw_model(self) -> Any:
        """The framework object behind the wrapper (e.g. the scikit-learn estimator)."""
        return getattr(self._impl, "raw_model", self._impl)

    @property
    def model_config(self) -> dict[str, Any]:
        return dict(getattr(self._impl, "model_config", None) or {})

    def __repr__(self) -> str:
        flavors = [f for f in self.metadata.flavors if f != "python_function"]
        return f"PyFuncModel(dir={str(self.model_dir)!r}, flavors={flavors})"
