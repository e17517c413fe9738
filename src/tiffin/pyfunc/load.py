"""``load_model``: from a path or URI to a :class:`PyFuncModel`, through the trust gate.

The order matters: the model is opened (:func:`tiffin.pyfunc.open.open_model`: the MLmodel is
parsed, plain YAML, no code, and the trust gate verifies the files and refuses code-executing
content unless trusted), and only then is a loader found, by
looking the file's ``loader_module`` up in :mod:`tiffin.plugins`. A name we do not know is only
imported for a trusted model, from the model's own ``code/`` directory, isolated from others.

Example:
    >>> import tiffin.pyfunc
    >>> model = tiffin.pyfunc.load_model("path/to/model")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tiffin import plugins
from tiffin.format.mlmodel import MLModel
from tiffin.pyfunc.codepath import isolated_code_path
from tiffin.pyfunc.model import PyFuncLoader, PyFuncModel
from tiffin.pyfunc.open import open_model
from tiffin.pyfunc.trust import TrustDecision

__all__ = ["load_model"]

PYFUNC = "python_function"


def load_model(
    model_uri: str | Path,
    *,
    trust: bool = False,
    model_config: Mapping[str, Any] | None = None,
) -> PyFuncModel:
    """Load any model with a ``python_function`` flavor.

    Args:
        model_uri: a local path (a directory or a ``.tiffin`` file), ``file://``,
            ``runs:/<run_id>/<path>``,
            ``models:/<name>/<version>``, ``models:/<name>@<alias>`` or ``models:/<name>/latest``.
        trust: allow content that runs code when loaded (pickles, ``code/``, unknown loaders).
            Only pass it for models whose origin you trust. A ``models:/`` model whose files
            match the digest the registry recorded is trusted without it.
        model_config: overrides merged over the ``config`` saved with the model.

    Raises:
        NotFoundError: no model there, or no python_function flavor.
        IntegrityError: the files differ from the manifest, or a symlink is present.
        UntrustedModelError: the model would run code and ``trust`` is False.

    Example:
        >>> model = load_model("model_dir")  # doctest: +SKIP
        >>> model.predict(df)  # doctest: +SKIP
    """
    opened = open_model(model_uri, trust=trust, flavor=PYFUNC)
    model_dir, mlmodel, decision = opened.model_dir, opened.mlmodel, opened.decision
    conf = mlmodel.flavors[PYFUNC]
    merged = {**(conf.get("config") or {}), **(model_config or {})}
    code = conf.get("code")
    code_dir = decision.require(model_dir / str(code), "Python code to import") if code else None
    with isolated_code_path(code_dir):
        impl = _load_impl(model_dir, mlmodel, conf, merged or None, decision)
    # Our loaders apply predict_fn themselves; a foreign loader's impl exposes it by name.
    ours = plugins.loader_for(str(conf.get("loader_module", ""))) is not None
    predict_fn = "predict" if ours else str(conf.get("predict_fn") or "predict")
    return PyFuncModel(mlmodel, impl, model_dir, predict_fn=predict_fn, trusted=decision.trusted)


def _load_impl(
    model_dir: Path,
    mlmodel: MLModel,
    conf: Mapping[str, Any],
    model_config: dict[str, Any] | None,
    decision: TrustDecision,
) -> Any:
    """Our loaders implement :class:`~tiffin.pyfunc.model.PyFuncLoader`; foreign ones take
    MLflow's ``(data_path[, model_config])``, and only with a trusted decision."""
    loader_name = str(conf.get("loader_module", ""))
    ours = plugins.loader_for(loader_name)
    if ours is not None:
        load: PyFuncLoader = importlib.import_module(ours)._load_pyfunc
        return load(model_dir, mlmodel, model_config, decision=decision)
    data = str(conf["data"]) if conf.get("data") else "."
    data_path = str(decision.require(model_dir / data, f"loader_module {loader_name!r}"))
    module = importlib.import_module(loader_name)
    if len(inspect.signature(module._load_pyfunc).parameters) >= 2:
        return module._load_pyfunc(data_path, model_config)
    return module._load_pyfunc(data_path)
