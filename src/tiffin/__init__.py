"""tiffin: package, track, register and serve ML models in the MLflow Models format.

The top level is kept tiny so ``import tiffin`` stays fast: flavors and pyfunc are imported on
first use (``tiffin.sklearn``, ``tiffin.pyfunc``).

Example:
    >>> import tiffin
    >>> tiffin.__version__
    '0.1.0'
"""

from __future__ import annotations

import importlib
from typing import Any

from tiffin._version import __version__

__all__ = [
    "Client",
    "__version__",
    "active_run",
    "end_run",
    "evaluate",
    "get_tracking_uri",
    "infer_signature",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "pyfunc",
    "register_model",
    "search_runs",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "sklearn",
    "start_run",
]

_TRACKING = frozenset(__all__) - {"__version__", "evaluate", "infer_signature", "pyfunc", "sklearn"}

_SUBMODULES = {"pyfunc": "tiffin.pyfunc", "sklearn": "tiffin.sklearn"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(_SUBMODULES[name])
    if name in _TRACKING:
        return getattr(importlib.import_module("tiffin.tracking"), name)
    if name == "evaluate":
        return importlib.import_module("tiffin.evaluation").evaluate
    if name == "infer_signature":
        return importlib.import_module("tiffin.format.infer").infer_signature
    raise AttributeError(f"module 'tiffin' has no attribute {name!r}")
