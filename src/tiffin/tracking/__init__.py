"""The fluent tracking API: runs, params, metrics, tags, artifacts and models, MLflow-style.

Each thread has its own stack of active runs (``start_run`` pushes, leaving the ``with`` block
pops and ends the run, FAILED when an exception escapes). Stores are opened from the tracking
URI in force (:mod:`tiffin.store.tracking_uri`): an embedded SQLite file by default.

Example:
    >>> import tiffin
    >>> with tiffin.start_run(run_name="baseline") as run:  # doctest: +SKIP
    ...     tiffin.log_param("C", 1.0)
    ...     tiffin.log_metric("accuracy", 0.93)
    ...     info = tiffin.sklearn.log_model(clf, name="model", registered_model_name="churn")
    >>> tiffin.pyfunc.load_model("models:/churn/1")  # doctest: +SKIP
"""

from __future__ import annotations

from tiffin.store.tracking_uri import get_tracking_uri, set_tracking_uri
from tiffin.tracking.client import Client
from tiffin.tracking.fluent import (
    active_run,
    end_run,
    log_artifact,
    log_artifacts,
    log_dict,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_text,
    search_runs,
    set_experiment,
    set_tag,
    set_tags,
    start_run,
)
from tiffin.tracking.models import (
    ModelInfo,
    NoSignatureWarning,
    current_user,
    log_model,
    register_model,
)

__all__ = [
    "Client",
    "ModelInfo",
    "NoSignatureWarning",
    "active_run",
    "current_user",
    "end_run",
    "get_tracking_uri",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "log_text",
    "register_model",
    "search_runs",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]
