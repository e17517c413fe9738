"""What gets logged to a run (params, metrics, tags) and how runs are read back whole.

Why separate from the store class: these are the hot paths (a training loop logs a metric per
step), written as plain functions of a connection so one transaction can log a whole batch.

Rules, following MLflow where it has one:

* A param is write-once: logging the same key again with the *same* value is fine (retries
  happen), with a different value is a SchemaError naming both values.
* A metric value must be a real number (int, float, numpy scalar; not bool, not str). NaN and
  +-inf are accepted and kept, as MLflow does, because diverging losses are worth recording.
  Each log is kept (full history); the latest per key is the one with the highest step, then
  timestamp, and on a tie the one logged last.
* Tags overwrite.

Example:
    >>> from tiffin.store.tracking.run_data import metric_value
    >>> metric_value("loss", 1)
    1.0
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection, Row

from tiffin.errors import NotFoundError, SchemaError
from tiffin.store.entities import Metric, Run
from tiffin.store.names import bounded, entity_key
from tiffin.store.statements import chunks, insert_missing, upsert
from tiffin.store.tables import (
    MAX_PARAM_VALUE_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    latest_metrics,
    metrics,
    params,
    runs,
    tags,
)

__all__ = ["check_writable", "load_runs", "log_batch", "metric_value", "whole_number"]


def metric_value(key: str, value: object) -> float:
    """``value`` as a float if it is a real number (NaN and +-inf included), else SchemaError.

    Example:
        >>> metric_value("loss", float("nan")) != metric_value("loss", float("nan"))
        True
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise SchemaError(
            f"metric {key!r} value must be a real number, got {type(value).__name__} {value!r}"
        )
    return float(value)


def whole_number(value: object, what: str) -> int:
    """``value`` as an int if it is an integer (numpy ones too), else SchemaError.

    Example:
        >>> whole_number(3, "step")
        3
    """
    if isinstance(value, bool):
        raise SchemaError(f"{what} must be an integer, got {value!r}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise SchemaError(
            f"{what} must be an integer, got {type(value).__name__} {value!r}"
        ) from None


def check_writable(conn: Connection, run_id: str) -> None:
    """NotFoundError for an unknown run, SchemaError for a deleted one (as MLflow refuses).

    Example:
        >>> check_writable(conn, run_id)  # doctest: +SKIP
    """
    stage = conn.execute(
        select(runs.c.lifecycle_stage).where(runs.c.run_uuid == run_id)
    ).scalar_one_or_none()
    if stage is None:
        raise NotFoundError(f"run {run_id!r} does not exist")
    if stage != "active":
        raise SchemaError(f"run {run_id!r} is deleted; restore it or log to another run")


def _log_params(conn: Connection, run_id: str, values: Mapping[str, str]) -> None:
    rows = [{"run_uuid": run_id, "key": k, "value": v} for k, v in values.items()]
    insert_missing(conn, params, rows, ["run_uuid", "key"])
    for keys in chunks(sorted(values)):
        stored = conn.execute(
            select(params.c.key, params.c.value).where(
                params.c.run_uuid == run_id, params.c.key.in_(keys)
            )
        )
        for key, value in stored:
            if value != values[key]:
                raise SchemaError(
                    f"param {key!r} of run {run_id!r} is already {value!r}; it cannot be "
                    f"changed to {values[key]!r} (params are write-once, as in MLflow; "
                    "log a metric or a tag for values that change)"
                )


def _metric_row(run_id: str, metric: Metric) -> dict[str, Any]:
    nan = math.isnan(metric.value)
    return {
        "run_uuid": run_id,
        "key": metric.key,
        "value": 0.0 if nan else metric.value,
        "is_nan": nan,
        "step": metric.step,
        "timestamp": metric.timestamp,
    }


def _newer(new: Any) -> Any:
    old = latest_metrics.c
    return or_(new.step > old.step, and_(new.step == old.step, new.timestamp >= old.timestamp))


def _log_metrics(conn: Connection, run_id: str, logged: Sequence[Metric]) -> None:
    rows = [_metric_row(run_id, m) for m in logged]
    conn.execute(metrics.insert(), rows)
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:  # one row per key: ON CONFLICT may touch a row only once per statement
        seen = latest.get(row["key"])
        if seen is None or (row["step"], row["timestamp"]) >= (seen["step"], seen["timestamp"]):
            latest[row["key"]] = row
    # sorted keys: concurrent batches lock latest_metrics rows in one order, so never deadlock
    ordered = [latest[k] for k in sorted(latest)]
    upsert(conn, latest_metrics, ordered, ["run_uuid", "key"], where=_newer)


def log_batch(
    conn: Connection,
    run_id: str,
    logged: Sequence[Metric] = (),
    param_values: Mapping[str, object] | None = None,
    tag_values: Mapping[str, object] | None = None,
) -> None:
    """Validate and write metrics, params and tags of one run in the caller's transaction.

    Example:
        >>> log_batch(conn, run_id, [Metric("loss", 0.3, 0, 1)], {"lr": 0.1})  # doctest: +SKIP
    """
    clean_params = {
        entity_key(k, "param key"): bounded(v, f"param {k!r} value", MAX_PARAM_VALUE_LENGTH)
        for k, v in (param_values or {}).items()
    }
    clean_tags = {
        entity_key(k, "tag key"): bounded(v, f"tag {k!r} value", MAX_TAG_VALUE_LENGTH)
        for k, v in (tag_values or {}).items()
    }
    clean_metrics = [
        Metric(
            entity_key(m.key, "metric key"),
            metric_value(m.key, m.value),
            whole_number(m.timestamp, f"metric {m.key!r} timestamp"),
            whole_number(m.step, f"metric {m.key!r} step"),
        )
        for m in logged
    ]
    check_writable(conn, run_id)
    if clean_params:
        _log_params(conn, run_id, clean_params)
    if clean_metrics:
        _log_metrics(conn, run_id, clean_metrics)
    tag_rows = [{"run_uuid": run_id, "key": k, "value": v} for k, v in sorted(clean_tags.items())]
    upsert(conn, tags, tag_rows, ["run_uuid", "key"])


def _grouped(conn: Connection, table: Any, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {i: {} for i in ids}
    is_metric = table is latest_metrics
    for chunk in chunks(ids):
        columns = [table.c.run_uuid, table.c.key, table.c.value]
        if is_metric:
            columns.append(table.c.is_nan)
        for row in conn.execute(select(*columns).where(table.c.run_uuid.in_(chunk))):
            out[row[0]][row[1]] = math.nan if is_metric and row[3] else row[2]
    return out


def load_runs(conn: Connection, rows: Sequence[Row[Any]]) -> list[Run]:
    """Whole runs (info + params, latest metrics, tags) for ``runs`` rows, in their order.

    Three queries per 500 runs, whatever the number of keys: no query per run.

    Example:
        >>> load_runs(conn, conn.execute(select(runs)).all())  # doctest: +SKIP
    """
    ids = [row.run_uuid for row in rows]
    found = {t.name: _grouped(conn, t, ids) for t in (params, latest_metrics, tags)}
    return [
        Run.from_row(
            row,
            params=found["params"][row.run_uuid],
            metrics=found["latest_metrics"][row.run_uuid],
            tags=found["tags"][row.run_uuid],
        )
        for row in rows
    ]
