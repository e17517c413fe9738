"""The protocol-agnostic scorer: one loaded model, its predict, health and version.

The HTTP codecs (MLflow's ``/invocations`` now, the V2 protocol later) only decode requests and
encode answers; everything about the model lives here, so every protocol predicts, fails and
reports versions the same way. The scorer knows nothing about HTTP: a client fault is raised as
a :class:`~tiffin.errors.SchemaError`, and anything the model's own code raises becomes a
:class:`~tiffin.serve.errors.ModelError` with an error id, its traceback logged under that id.

Example:
    >>> scorer = Scorer.load("models:/churn@champion")  # doctest: +SKIP
    >>> scorer.version()  # doctest: +SKIP
    '3'
    >>> scorer.predict(frame, None)  # doctest: +SKIP
    array([0, 1])
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tiffin.errors import TiffinError
from tiffin.pyfunc.model import PyFuncModel
from tiffin.serve.errors import ModelError

__all__ = ["INLINE_MAX_ROWS", "INLINE_MAX_SECONDS", "Scorer", "pin_registered_version",
           "runs_library_code_only"]  # fmt: skip

logger = logging.getLogger("tiffin.serve")

INLINE_MAX_ROWS = 1000
"""Requests up to this many rows may be predicted on the event loop, if recent predicts
were fast (see can_run_inline); the time bound is what keeps the loop responsive."""
INLINE_MAX_SECONDS = 0.002
"""... if the model's recent predicts took less than this."""
_WARM_CALLS = 8
_LIBRARY_LOADERS = frozenset({"mlflow.sklearn", "tiffin.flavors.sklearn"})


def runs_library_code_only(model: PyFuncModel) -> bool:
    """True for models whose predict runs only library code we know: scikit-learn read
    from skops through tiffin's allowlist, untrusted, without ``code/``.

    Such a predict takes time in proportion to its rows and cannot hang on user code, which
    is what makes running small requests on the event loop safe.

    Example:
        >>> runs_library_code_only(tiffin.pyfunc.load_model("./iris"))  # doctest: +SKIP
        True
    """
    flavors = model.metadata.flavors
    pyfunc_conf = flavors.get("python_function", {})
    sklearn_conf = flavors.get("sklearn", {})
    return (
        not model.trusted
        and pyfunc_conf.get("loader_module") in _LIBRARY_LOADERS
        and not pyfunc_conf.get("code")
        and not sklearn_conf.get("code")
        and sklearn_conf.get("serialization_format") == "skops"
    )


def pin_registered_version(model_uri: str) -> tuple[str, int | None]:
    """``models:/name@alias`` (or ``/latest``) pinned to the version it names right now.

    Loading the pinned URI guarantees that the version reported by ``/version`` is the one
    whose files were loaded, even if the alias moves while the model loads. Other URIs are
    returned unchanged, with no version.

    Example:
        >>> pin_registered_version("./model")
        ('./model', None)
        >>> pin_registered_version("models:/churn@champion")  # doctest: +SKIP
        ('models:/churn/3', 3)
    """
    if not model_uri.startswith("models:/"):
        return model_uri, None
    from tiffin.store.model_uris import lookup_version
    from tiffin.store.tracking_uri import get_tracking_uri

    mv = lookup_version(model_uri, get_tracking_uri())
    return f"models:/{mv.name}/{mv.version}", int(mv.version)


@dataclass
class Scorer:
    """A loaded model behind ``predict``/``health``/``version``; safe to share between threads.

    Attributes:
        model: the loaded pyfunc model.
        model_uri: the URI it was asked for (``models:/churn@champion``).
        registered_version: the registry version served, ``None`` when not from ``models:/``.
        load_seconds: how long loading took (resolve, verify, unpickle).
        loaded_at: when loading finished (``time.time()``).
    """

    model: PyFuncModel
    model_uri: str
    registered_version: int | None = None
    load_seconds: float = 0.0
    loaded_at: float = field(default_factory=time.time)
    library_code_only: bool = field(init=False)
    _calls: int = field(init=False, default=0)
    _recent_seconds: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.library_code_only = runs_library_code_only(self.model)

    def can_run_inline(self, rows: int, params: Mapping[str, Any] | None) -> bool:
        """True when predicting this request on the event loop is cheaper than a thread hop
        and cannot stall the server: library code only (no user code, no pickle), no params,
        at most ``INLINE_MAX_ROWS`` rows, and the model's recent predicts all fast.

        A worker-thread hop costs about as much as a one-row scikit-learn predict, so small
        requests to such models skip it. Anything that could run long goes to a thread, where
        the deadline (504) can still answer for it.

        Example:
            >>> scorer.can_run_inline(1, None)  # doctest: +SKIP
            True
        """
        return (
            self.library_code_only
            and not params
            and rows <= INLINE_MAX_ROWS
            and self._calls >= _WARM_CALLS
            and self._recent_seconds < INLINE_MAX_SECONDS
        )

    def _note_duration(self, seconds: float) -> None:
        """Track recent predict times: a moving average, pulled up at once by a slow call."""
        self._calls += 1
        self._recent_seconds = max(seconds, 0.8 * self._recent_seconds + 0.2 * seconds)

    @classmethod
    def load(cls, model_uri: str | Path, *, trust: bool = False) -> Scorer:
        """Load a model through the trust gate and time it.

        Raises:
            NotFoundError, IntegrityError, UntrustedModelError: as
            :func:`tiffin.pyfunc.load_model` does; nothing is served then.

        Example:
            >>> Scorer.load("./model").version()  # doctest: +SKIP
            '0.1.0'
        """
        from tiffin.pyfunc.load import load_model

        start = time.perf_counter()
        pinned, version = pin_registered_version(str(model_uri))
        model = load_model(pinned, trust=trust)
        return cls(model, str(model_uri), version, time.perf_counter() - start)

    def predict(self, data: Any, params: Mapping[str, Any] | None = None) -> Any:
        """Enforce the signature and predict; a client fault stays a tiffin error.

        Raises:
            SchemaError: the data or params do not fit the signature (a client fault).
            ModelError: the model's own code raised; the traceback is logged with its id.

        Example:
            >>> scorer.predict(pd.DataFrame({"x": [1.0]}), {"k": 2})  # doctest: +SKIP
        """
        return self.predict_prepared(*self.prepare(data, params))

    def prepare(
        self, data: Any, params: Mapping[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any] | None]:
        """Check one request against the signature (the batcher's per-request half).

        Raises:
            SchemaError: the data or params do not fit the signature.

        Example:
            >>> checked, params = scorer.prepare(frame, None)  # doctest: +SKIP
        """
        try:
            return self.model.prepare(data, params)
        except TiffinError:
            raise
        except Exception as e:  # enforcement is ours; anything else is a bug to log, a 500
            raise _model_error(e, "checking the input") from None

    def predict_prepared(self, data: Any, params: dict[str, Any] | None) -> Any:
        """Predict on checked input; the model's own exceptions become :class:`ModelError`.

        Example:
            >>> scorer.predict_prepared(*scorer.prepare(frame, None))  # doctest: +SKIP
        """
        start = time.perf_counter()
        try:
            return self.model.predict_prepared(data, params)
        except TiffinError:
            raise
        except Exception as e:
            raise _model_error(e, "predicting") from None
        finally:
            self._note_duration(time.perf_counter() - start)

    def warm_up(self) -> bool:
        """Predict the model's saved input example, if it has one: a model that loads but
        cannot predict its own example is not swapped in.

        Returns:
            True when an example was predicted, False when the model has none.

        Raises:
            SchemaError, ModelError: the example does not predict.

        Example:
            >>> Scorer.load("models:/churn/4").warm_up()  # doctest: +SKIP
            True
        """
        info = self.model.metadata.get("saved_input_example_info")
        if not info:
            return False
        from tiffin.format.example import load_input_example

        signature = self.model.signature
        schema = signature.inputs if signature is not None else None
        example = load_input_example(self.model.model_dir, info, schema)
        if isinstance(example, tuple):
            self.predict(*example)
        else:
            self.predict(example)
        return True

    def health(self) -> bool:
        """True once a model is loaded and can take requests.

        Example:
            >>> scorer.health()  # doctest: +SKIP
            True
        """
        return self.model is not None

    def model_version(self) -> str | None:
        """The registry version served for ``models:/`` URIs; ``None`` for a path or
        ``runs:/`` (such a model has no version: V2 metadata and responses then omit it).

        Example:
            >>> Scorer.load("./model").model_version() is None  # doctest: +SKIP
            True
        """
        return str(self.registered_version) if self.registered_version is not None else None

    def version(self) -> str:
        """What ``GET /version`` answers: the registry version served for ``models:/`` URIs,
        else tiffin's own version (MLflow's ``/version`` is the server's version).

        Example:
            >>> Scorer.load("models:/churn/3").version()  # doctest: +SKIP
            '3'
        """
        if self.registered_version is not None:
            return str(self.registered_version)
        from tiffin._version import __version__

        return __version__


def _model_error(error: Exception, doing: str) -> ModelError:
    error_id = uuid.uuid4().hex[:16]
    logger.error("error_id=%s: the model raised while %s", error_id, doing, exc_info=error)
    return ModelError(
        f"the model raised {type(error).__name__} while {doing}; the server log has the "
        f"details under error_id {error_id}",
        error_id,
    )
