"""Catalog datasets for metrics: one value, one metric's history, or a dict of metrics.

They log into an explicit run (the catalog's ``run_id``, else the one the tiffin hook binds),
never into a thread's "active run", so ``ThreadRunner`` and ``ParallelRunner`` nodes log where
the pipeline's run is. A key (or prefix) left out defaults to the catalog entry's name, which
Kedro does not give to datasets: the hook calls :meth:`MetricDataset.set_default_name`.

Values follow the store's rules: a real number (int, float, numpy scalar; not bool or str),
NaN and +-inf kept as logged. A bad value fails the save with the key and the value in the
message. Every value logged is kept; "the value" of a metric is the latest (highest step, then
time, then logging order).

Example:
    >>> from tiffin.integrations.kedro import MetricDataset
    >>> ds = MetricDataset(key="accuracy", save_args={"mode": "append"})
    >>> ds.bind_run("sqlite:///tiffin.db", run_id)  # doctest: +SKIP
    >>> ds.save(0.91)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from tiffin.errors import NotFoundError
from tiffin.integrations.kedro.run_binding import RunBound, RunTarget

__all__ = ["MetricDataset", "MetricHistoryDataset", "MetricsDataset"]

_log = logging.getLogger(__name__)
_HISTORY_MODES = ("list", "dict", "history")


def _store(tracking_uri: str) -> Any:
    from tiffin.tracking import Client

    return Client(tracking_uri).tracking


def _now_ms() -> int:
    return int(time.time() * 1000)


def _args(what: str, given: Mapping[str, Any] | None, allowed: Collection[str]) -> dict[str, Any]:
    args = dict(given or {})
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise DatasetError(f"{what}: unknown keys {unknown}; allowed: {sorted(allowed)}")
    return args


def _choice(what: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise DatasetError(f"{what} must be one of {list(allowed)}, got {value!r}")
    return str(value)


def _metric(key: str, value: Any, step: Any, timestamp: Any) -> Any:
    from tiffin.store.entities import Metric

    return Metric(key, value, _now_ms() if timestamp is None else timestamp, step)


class _Named(RunBound):
    """The key or prefix: given in the catalog, else the entry's name the hook passes."""

    _name: str | None = None
    _default_name: str | None = None
    _what = "key"

    def set_default_name(self, name: str) -> None:
        """Use ``name`` (the catalog entry's) when the catalog gives no key or prefix.

        Example:
            >>> ds = MetricDataset()
            >>> ds.set_default_name("accuracy")
            >>> ds.key
            'accuracy'
        """
        self._default_name = name

    @property
    def key(self) -> str | None:
        """The metric's key: the catalog's, else the entry name the hook gave, else None."""
        return self._name if self._name is not None else self._default_name

    def _require_name(self) -> str:
        name = self.key
        if name is None:
            raise DatasetError(
                f"{type(self).__name__}: no metric {self._what}; set {self._what}: in the "
                "catalog entry (it defaults to the entry's name only under `kedro run` with the "
                "tiffin hook)"
            )
        return name

    def _target(self) -> RunTarget:
        try:
            return self.run_target()
        except NotFoundError as e:
            raise DatasetError(str(e)) from e


class _OneMetric(_Named):
    """What the single-key datasets share: existence and description."""

    _load_args: dict[str, Any]
    _save_args: dict[str, Any]

    def _exists(self) -> bool:
        try:
            target = self._target()
            key = self._require_name()
            return bool(_store(target.tracking_uri).get_metric_history(target.run_id, key))
        except (DatasetError, NotFoundError):
            return False

    def _describe(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "run_id": self.run_id,
            "tracking_uri": self.tracking_uri,
            "load_args": self._load_args,
            "save_args": self._save_args,
        }


class MetricDataset(_OneMetric, AbstractDataset[float, float]):
    """One metric of a run: save a number, load the latest value.

    The step of a save is ``save_args.step`` when given; else ``save_args.mode`` decides:
    ``overwrite`` (default) logs at the metric's last step (0 for a new metric), so the value
    becomes the latest; ``append`` logs at the last step + 1. ``save_args.timestamp`` (ms)
    overrides the time. Loading returns the latest value, or the latest at
    ``load_args.step``. When the hook turns logging off for the pipeline, saves are skipped.

    Example:
        In ``catalog.yml``::

            accuracy:
              type: tiffin.kedro.MetricDataset
              save_args:
                mode: append

        In Python:

        >>> ds = MetricDataset(key="accuracy", run_id=run_id)  # doctest: +SKIP
        >>> ds.save(0.91)  # doctest: +SKIP
        >>> ds.load()  # doctest: +SKIP
        0.91
    """

    def __init__(
        self,
        key: str | None = None,
        run_id: str | None = None,
        tracking_uri: str | None = None,
        load_args: dict[str, Any] | None = None,
        save_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._name = key
        self.run_id = run_id
        self.tracking_uri = tracking_uri
        self._load_args = _args("MetricDataset load_args", load_args, ("step",))
        self._save_args = _args("MetricDataset save_args", save_args, ("mode", "step", "timestamp"))
        _choice("MetricDataset save_args.mode", self._mode, ("overwrite", "append"))
        self.metadata = metadata

    @property
    def _mode(self) -> str:
        return str(self._save_args.get("mode", "overwrite"))

    def save(self, data: float) -> None:
        if not self.logging_enabled:
            _log.info("tracking is off for this pipeline: metric %r not logged", self.key)
            return
        key = self._require_name()
        target = self._target()
        store = _store(target.tracking_uri)
        step = self._save_args.get("step")
        if step is None:
            steps = [m.step for m in store.get_metric_history(target.run_id, key)]
            last = max(steps, default=-1 if self._mode == "append" else 0)
            step = last + 1 if self._mode == "append" else last
        store.log_metric(
            target.run_id, key, data, timestamp=self._save_args.get("timestamp"), step=step
        )

    def load(self) -> float:
        key = self._require_name()
        target = self._target()
        history = _store(target.tracking_uri).get_metric_history(target.run_id, key)
        step = self._load_args.get("step")
        if step is not None:
            history = [m for m in history if m.step == step]
        if not history:
            at = "" if step is None else f" at step {step}"
            raise DatasetError(f"run {target.run_id!r} has no value of metric {key!r}{at}")
        return float(history[-1].value)


def _step(value: Any, key: str) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)  # JSON and YAML dicts may carry steps as strings
    from tiffin.store.tracking.run_data import whole_number

    return whole_number(value, f"metric {key!r} step")


def _history_mode(data: Any, key: str) -> str:
    if isinstance(data, Mapping):
        return "dict"
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        if data and all(isinstance(p, Mapping) for p in data):
            return "history"
        return "list"
    raise DatasetError(
        f"metric {key!r}: expected a list of values, a {{step: value}} dict or a list of "
        f"{{'step', 'value'}} dicts, got {type(data).__name__}"
    )


def _history_points(data: Any, mode: str, key: str, stamp: Any) -> list[Any]:
    if (mode == "dict") != (_history_mode(data, key) == "dict"):
        raise DatasetError(f"metric {key!r}: save_args.mode is {mode!r}, but got {data!r:.200}")
    if mode == "list":
        return [_metric(key, v, i, stamp) for i, v in enumerate(data)]
    if mode == "dict":
        return [_metric(key, v, _step(s, key), stamp) for s, v in data.items()]
    points = []
    for i, point in enumerate(data):
        if not isinstance(point, Mapping) or "value" not in point or "step" not in point:
            raise DatasetError(f"metric {key!r}: history entry {i} has no 'step' or 'value'")
        step = _step(point["step"], key)
        points.append(_metric(key, point["value"], step, point.get("timestamp", stamp)))
    return points


class MetricHistoryDataset(_OneMetric, AbstractDataset[Any, Any]):
    """All the values of one metric, by step, saved and loaded as a list or a dict.

    Shapes (``save_args.mode``, inferred from the data when not given; ``load_args.mode``,
    ``list`` by default): ``list`` ``[v0, v1, ...]`` at steps 0, 1, ...; ``dict``
    ``{step: value}``; ``history`` ``[{"step": s, "value": v, "timestamp": ms}, ...]``. A save
    is one transaction: all its values are logged, or none. ``list`` and ``dict`` load the
    latest value of each step, in step order; ``history`` loads every logged value. When the
    hook turns logging off for the pipeline, saves are skipped.

    Example:
        In ``catalog.yml``::

            loss_curve:
              type: tiffin.kedro.MetricHistoryDataset
              key: loss
              load_args:
                mode: dict

        In Python:

        >>> ds = MetricHistoryDataset(key="loss", run_id=run_id)  # doctest: +SKIP
        >>> ds.save([0.9, 0.5, 0.3])  # doctest: +SKIP
        >>> ds.load()  # doctest: +SKIP
        [0.9, 0.5, 0.3]
    """

    def __init__(
        self,
        key: str | None = None,
        run_id: str | None = None,
        tracking_uri: str | None = None,
        load_args: dict[str, Any] | None = None,
        save_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._name = key
        self.run_id = run_id
        self.tracking_uri = tracking_uri
        self._load_args = _args("MetricHistoryDataset load_args", load_args, ("mode",))
        self._save_args = _args("MetricHistoryDataset save_args", save_args, ("mode", "timestamp"))
        _choice("MetricHistoryDataset load_args.mode", self._load_mode, _HISTORY_MODES)
        if "mode" in self._save_args:
            _choice("MetricHistoryDataset save_args.mode", self._save_args["mode"], _HISTORY_MODES)
        self.metadata = metadata

    @property
    def _load_mode(self) -> str:
        return str(self._load_args.get("mode", "list"))

    def save(self, data: Any) -> None:
        if not self.logging_enabled:
            _log.info("tracking is off for this pipeline: metric %r not logged", self.key)
            return
        key = self._require_name()
        mode = self._save_args.get("mode") or _history_mode(data, key)
        points = _history_points(data, mode, key, self._save_args.get("timestamp"))
        target = self._target()
        _store(target.tracking_uri).log_batch(target.run_id, metrics=points)

    def load(self) -> Any:
        key = self._require_name()
        target = self._target()
        history = _store(target.tracking_uri).get_metric_history(target.run_id, key)
        if not history:
            raise DatasetError(f"run {target.run_id!r} has no value of metric {key!r}")
        if self._load_mode == "history":
            return [{"step": m.step, "value": m.value, "timestamp": m.timestamp} for m in history]
        by_step = {m.step: m.value for m in history}  # ordered by step; the latest per step wins
        return by_step if self._load_mode == "dict" else list(by_step.values())


def _named_points(name: str, key: str, spec: Any, stamp: int) -> list[Any]:
    if isinstance(spec, Mapping):
        entries: Sequence[Any] = [spec]
    elif isinstance(spec, Sequence) and not isinstance(spec, str | bytes):
        entries = spec
    else:
        entries = [{"value": spec}]
    points = []
    for entry in entries:
        if not isinstance(entry, Mapping) or "value" not in entry:
            raise DatasetError(
                f"metric {name!r}: expected a number, a {{'value', 'step'}} dict or a list of "
                f"them, got {entry!r:.200}"
            )
        step = _step(entry.get("step", 0), key)
        points.append(_metric(key, entry["value"], step, entry.get("timestamp", stamp)))
    return points


class MetricsDataset(_Named, AbstractDataset[Any, Any]):
    """Several metrics at once, logged as ``<prefix>.<name>``; loads their latest values.

    Saves ``{name: value}``, ``{name: {"value": v, "step": s}}`` or ``{name: [{"value": v,
    "step": s}, ...]}`` (step 0 when not given) in one transaction. Loading returns ``{name:
    latest value}`` for the run's metrics under the prefix, with the prefix taken off, so what
    is saved is what is loaded. ``prefix`` defaults to the catalog entry's name; ``prefix: ""``
    means no prefix (loading then returns every metric of the run). When the hook turns
    logging off for the pipeline, saves are skipped.

    Example:
        In ``catalog.yml``::

            evaluation:
              type: tiffin.kedro.MetricsDataset
              prefix: eval

        In Python:

        >>> ds = MetricsDataset(prefix="eval", run_id=run_id)  # doctest: +SKIP
        >>> ds.save({"f1": 0.8, "auc": {"value": 0.9, "step": 2}})  # doctest: +SKIP
        >>> ds.load()  # doctest: +SKIP
        {'auc': 0.9, 'f1': 0.8}
    """

    _what = "prefix"

    def __init__(
        self,
        prefix: str | None = None,
        run_id: str | None = None,
        tracking_uri: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._name = prefix
        self.run_id = run_id
        self.tracking_uri = tracking_uri
        self.metadata = metadata

    @property
    def prefix(self) -> str | None:
        """The key prefix: the catalog's, else the entry name the hook gave, else None."""
        return self.key

    def _key(self, name: str) -> str:
        prefix = self._require_name()
        return f"{prefix}.{name}" if prefix else name

    def save(self, data: Any) -> None:
        if not self.logging_enabled:
            _log.info("tracking is off for this pipeline: metrics %r not logged", self.prefix)
            return
        if not isinstance(data, Mapping):
            raise DatasetError(
                f"MetricsDataset: expected a dict of metrics, got {type(data).__name__}"
            )
        stamp = _now_ms()
        points = [p for n, s in data.items() for p in _named_points(n, self._key(n), s, stamp)]
        target = self._target()
        _store(target.tracking_uri).log_batch(target.run_id, metrics=points)

    def load(self) -> dict[str, float]:
        prefix = self._require_name()
        start = f"{prefix}." if prefix else ""
        target = self._target()
        metrics = _store(target.tracking_uri).get_run(target.run_id).data.metrics
        return {k[len(start) :]: v for k, v in sorted(metrics.items()) if k.startswith(start)}

    def _exists(self) -> bool:
        try:
            return bool(self.load())
        except (DatasetError, NotFoundError):
            return False

    def _describe(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "run_id": self.run_id, "tracking_uri": self.tracking_uri}
