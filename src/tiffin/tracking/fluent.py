"""Runs, params, metrics, tags and artifacts, MLflow-style, on the tracking URI in force.

Each thread has its own stack of active runs (``start_run`` pushes, leaving the ``with`` block
pops and ends the run, FAILED when an exception escapes). Stores are opened from the tracking
URI in force (:mod:`tiffin.store.tracking_uri`): an embedded SQLite file by default.

Example:
    >>> with tiffin.start_run(run_name="baseline") as run:  # doctest: +SKIP
    ...     tiffin.log_metric("accuracy", 0.93)
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffin.errors import NotFoundError, TiffinError
from tiffin.store.tracking_uri import get_tracking_uri

if TYPE_CHECKING:
    pass


__all__ = [
    "active_run",
    "end_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "search_runs",
    "set_experiment",
    "set_tag",
    "set_tags",
    "start_run",
]

_local = threading.local()
_experiment: dict[str, str] = {}


def _stack() -> list[str]:
    if not hasattr(_local, "runs"):
        _local.runs = []
    stack: list[str] = _local.runs
    return stack


@cache
def _tracking_for(uri: str) -> Any:
    from tiffin.store.tracking import TrackingStore

    return TrackingStore(uri)


@cache
def _registry_for(uri: str) -> Any:
    from tiffin.store.registry import RegistryStore

    return RegistryStore(uri)


def _tracking() -> Any:
    """One store object per URI: opening one checks the database, which every call would pay."""
    return _tracking_for(get_tracking_uri())


def _registry() -> Any:
    return _registry_for(get_tracking_uri())


def set_experiment(name: str) -> str:
    """Make ``name`` the experiment new runs go to (created if missing); returns its id."""
    exp_id: str = _tracking().experiment_id_for(name)
    _experiment[get_tracking_uri()] = exp_id
    return exp_id


@contextmanager
def start_run(
    run_name: str | None = None,
    *,
    nested: bool = False,
    experiment_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
) -> Iterator[Any]:
    """Start a run (a nested one inside an active run only with ``nested=True``).

    The run ends FINISHED when the block exits normally and FAILED when an exception escapes.
    """
    stack = _stack()
    if stack and not nested:
        raise TiffinError(f"run {stack[-1]} is already active; end it first or pass nested=True")
    store = _tracking()
    exp = experiment_id or _experiment.get(get_tracking_uri(), "0")
    run = store.create_run(
        exp, run_name=run_name, tags=dict(tags or {}), parent_run_id=stack[-1] if stack else None
    )
    stack.append(run.info.run_id)
    try:
        yield run
    except BaseException:
        _finish(store, "FAILED")
        raise
    else:
        _finish(store, "FINISHED")


def _finish(store: Any, status: str) -> None:
    stack = _stack()
    if stack:
        store.update_run_status(stack.pop(), status, int(time.time() * 1000))


def end_run(status: str = "FINISHED") -> None:
    """End the innermost active run (use when not using ``with start_run()``)."""
    _finish(_tracking(), status)


def active_run() -> Any | None:
    """The innermost active run of this thread, or None."""
    stack = _stack()
    return _tracking().get_run(stack[-1]) if stack else None


def _run_id(run_id: str | None) -> str:
    if run_id is not None:
        return run_id
    stack = _stack()
    if not stack:
        raise NotFoundError("no active run: use `with tiffin.start_run():` or pass run_id=")
    return stack[-1]


def log_param(key: str, value: Any, *, run_id: str | None = None) -> None:
    _tracking().log_param(_run_id(run_id), key, value)


def log_params(params: Mapping[str, Any], *, run_id: str | None = None) -> None:
    _tracking().log_params(_run_id(run_id), params)


def log_metric(
    key: str,
    value: float,
    step: int = 0,
    timestamp: int | None = None,
    *,
    run_id: str | None = None,
) -> None:
    _tracking().log_metric(_run_id(run_id), key, value, timestamp=timestamp, step=step)


def log_metrics(metrics: Mapping[str, float], step: int = 0, *, run_id: str | None = None) -> None:
    _tracking().log_metrics(_run_id(run_id), metrics, step=step)


def set_tag(key: str, value: Any, *, run_id: str | None = None) -> None:
    _tracking().set_tag(_run_id(run_id), key, value)


def set_tags(tags: Mapping[str, Any], *, run_id: str | None = None) -> None:
    _tracking().set_tags(_run_id(run_id), tags)


def _artifacts(run_id: str | None, tracking: Any = None) -> Any:
    from tiffin.store.artifacts import ArtifactStore

    run = (tracking or _tracking()).get_run(_run_id(run_id))
    return ArtifactStore(run.info.artifact_uri)


def log_artifact(
    local_path: str | Path, artifact_path: str | None = None, *, run_id: str | None = None
) -> str:
    """Copy one file into the run's artifacts (under ``artifact_path`` if given)."""
    stored: str = _artifacts(run_id).log_file(Path(local_path), (artifact_path or "").rstrip("/"))
    return stored


def log_artifacts(
    local_dir: str | Path, artifact_path: str | None = None, *, run_id: str | None = None
) -> str:
    """Copy a directory into the run's artifacts, published whole or not at all."""
    stored: str = _artifacts(run_id).log_dir(Path(local_dir), artifact_path or Path(local_dir).name)
    return stored


def log_text(text: str, artifact_file: str, *, run_id: str | None = None) -> str:
    stored: str = _artifacts(run_id).log_bytes(text.encode(), artifact_file)
    return stored


def log_dict(data: Mapping[str, Any], artifact_file: str, *, run_id: str | None = None) -> str:
    """A dict as JSON, or YAML when the file name ends in .yaml/.yml."""
    if artifact_file.endswith((".yaml", ".yml")):
        import yaml

        text = yaml.safe_dump(dict(data), default_flow_style=False)
    else:
        text = json.dumps(data, indent=2)
    return log_text(text, artifact_file, run_id=run_id)


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    max_results: int = 1000,
) -> Any:
    """Runs matching an MLflow-style filter, as a pandas DataFrame (one row per run)."""
    import pandas as pd

    exps = list(experiment_ids) if experiment_ids else [_experiment.get(get_tracking_uri(), "0")]
    runs = _tracking().search_runs(exps, filter_string, order_by=order_by, max_results=max_results)
    rows = []
    for run in runs:
        row: dict[str, Any] = {
            "run_id": run.info.run_id,
            "experiment_id": run.info.experiment_id,
            "run_name": run.info.run_name,
            "status": run.info.status,
            "start_time": pd.to_datetime(run.info.start_time, unit="ms", utc=True),
            "artifact_uri": run.info.artifact_uri,
        }
        row.update({f"metrics.{k}": v for k, v in run.data.metrics.items()})
        row.update({f"params.{k}": v for k, v in run.data.params.items()})
        row.update({f"tags.{k}": v for k, v in run.data.tags.items()})
        rows.append(row)
    return pd.DataFrame(rows)
