"""The tracking store: experiments and runs, with their params, metrics and tags, on SQL.

Why a class over a URI: one object holds the engine (one pool per process and URI) and the
default artifact root, so callers (the fluent API, the server) pass ids and values, never
connections. Every method is one transaction; see :mod:`tiffin.store.db` for the locking.

Example:
    >>> from tiffin.store import TrackingStore
    >>> store = TrackingStore("sqlite:////tmp/tiffin-doctest.db")
    >>> exp = store.create_experiment("churn")  # doctest: +SKIP
    >>> run = store.create_run(exp, run_name="baseline")  # doctest: +SKIP
    >>> store.log_metric(run.info.run_id, "acc", 0.91)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import uuid
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from tiffin.errors import NotFoundError, SchemaError
from tiffin.store import db
from tiffin.store.entities import Experiment, Metric, Run, RunInfo
from tiffin.store.names import bounded, entity_key, experiment_name
from tiffin.store.statements import now_ms
from tiffin.store.tables import (
    MAX_NAME_LENGTH,
    RUN_STATUSES,
    experiments,
    runs,
)
from tiffin.store.tables import metrics as metrics_table
from tiffin.store.tables import tags as tags_table
from tiffin.store.tracking.experiments import (
    create_experiment,
    ensure_default_experiment,
    experiment_id_number,
    get_experiment,
    list_experiments,
)
from tiffin.store.tracking.filter import parse_filter, parse_order_by
from tiffin.store.tracking.run_data import check_writable, load_runs, log_batch, whole_number
from tiffin.store.tracking.search import search_statement
from tiffin.store.tracking_uri import refuse_inside_model

__all__ = ["MAX_SEARCH_RESULTS", "TrackingStore"]

#: the most runs one ``search_runs`` call returns (MLflow's threshold)
MAX_SEARCH_RESULTS = 50_000
_PARENT_TAG = "mlflow.parentRunId"
_HAS_DEFAULT: weakref.WeakSet[Engine] = weakref.WeakSet()
_RUN_NAME_TAG = "mlflow.runName"


def _default_artifact_root(engine_url: str, database: str | None) -> str:
    if engine_url.startswith("sqlite") and database:
        return str(Path(database).parent / "tiffin-artifacts")
    return str(Path.cwd() / "tiffin-artifacts")


class TrackingStore:
    """Experiments, runs, params, metrics and tags in a SQLite file or a PostgreSQL database.

    Args:
        uri: ``sqlite:///path/to/file.db`` or ``postgresql://user:pw@host/db``.
        artifact_root: where experiments put artifacts unless told otherwise; defaults to
            ``tiffin-artifacts`` beside the SQLite file (or in the working directory). Each
            experiment gets ``<root>/<experiment_id>``, each run ``<that>/<run_id>/artifacts``.

    Example:
        >>> store = TrackingStore("sqlite:///mlruns.db")  # doctest: +SKIP
        >>> store.get_experiment("0").name  # doctest: +SKIP
        'Default'
    """

    def __init__(self, uri: str, artifact_root: str | None = None) -> None:
        self.uri = uri
        self.engine = db.engine_for(uri)
        root = artifact_root or _default_artifact_root(uri, self.engine.url.database)
        # abspath, not absolute(): '..' is folded away, as every recorded source must be
        self.artifact_root = root if "://" in root else os.path.abspath(Path(root).expanduser())
        if "://" not in self.artifact_root:
            refuse_inside_model(self.artifact_root, "artifact root")
        if self.engine not in _HAS_DEFAULT:  # one check per engine, not one per store object
            default = experiments.c.experiment_id == 0
            if db.read(self.engine, lambda conn: get_experiment(conn, default)) is None:
                db.write(self.engine, lambda c: ensure_default_experiment(c, self.artifact_root))
            _HAS_DEFAULT.add(self.engine)

    # experiments -------------------------------------------------------------------------

    def create_experiment(self, name: str, artifact_location: str | None = None) -> str:
        """Create an experiment and return its id; AlreadyExistsError if the name is taken.

        Example:
            >>> store.create_experiment("churn")  # doctest: +SKIP
            '1'
        """
        clean = experiment_name(name)
        return db.write(
            self.engine,
            lambda conn: create_experiment(conn, clean, artifact_location, self.artifact_root),
        )

    def get_experiment(self, experiment_id: str | int) -> Experiment:
        """The experiment with this id, or NotFoundError.

        Example:
            >>> store.get_experiment("0").name  # doctest: +SKIP
            'Default'
        """
        number = experiment_id_number(experiment_id)
        found = db.read(
            self.engine, lambda conn: get_experiment(conn, experiments.c.experiment_id == number)
        )
        if found is None:
            raise NotFoundError(f"experiment {str(experiment_id)!r} does not exist")
        return found

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with this name, or None (as MLflow, so get-or-create reads simply).

        Example:
            >>> store.get_experiment_by_name("Default").experiment_id  # doctest: +SKIP
            '0'
        """
        clean = experiment_name(name)
        return db.read(self.engine, lambda conn: get_experiment(conn, experiments.c.name == clean))

    def experiment_id_for(self, name: str) -> str:
        """The id of the experiment called ``name``, created if it does not exist yet.

        Example:
            >>> store.experiment_id_for("churn")  # doctest: +SKIP
            '1'
        """
        found = self.get_experiment_by_name(name)
        return str(found.experiment_id) if found is not None else self.create_experiment(name)

    def list_experiments(self, include_deleted: bool = False) -> list[Experiment]:
        """Every experiment, by id.

        Example:
            >>> [e.name for e in store.list_experiments()]  # doctest: +SKIP
            ['Default', 'churn']
        """
        return db.read(self.engine, lambda conn: list_experiments(conn, include_deleted))

    # runs --------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str | int,
        run_name: str | None = None,
        tags: Mapping[str, object] | None = None,
        start_time: int | None = None,
        parent_run_id: str | None = None,
    ) -> Run:
        """Start a RUNNING run in an experiment; the parent is recorded as MLflow's tag.

        Example:
            >>> run = store.create_run("0", run_name="baseline")  # doctest: +SKIP
            >>> run.info.status  # doctest: +SKIP
            'RUNNING'
        """
        number = experiment_id_number(experiment_id)
        run_id = uuid.uuid4().hex
        name = bounded(run_name or f"run-{run_id[:8]}", "run name", MAX_NAME_LENGTH)
        start = now_ms() if start_time is None else whole_number(start_time, "start_time")
        all_tags = {**(tags or {}), _RUN_NAME_TAG: name}
        if parent_run_id is not None:
            all_tags[_PARENT_TAG] = parent_run_id

        def work(conn: Connection) -> Run:
            experiment = get_experiment(conn, experiments.c.experiment_id == number)
            if experiment is None:
                raise NotFoundError(f"experiment {str(experiment_id)!r} does not exist")
            if experiment.lifecycle_stage != "active":
                raise SchemaError(f"experiment {experiment.name!r} is deleted; restore it first")
            if parent_run_id is not None:
                check_writable(conn, parent_run_id)
            conn.execute(
                insert(runs).values(
                    run_uuid=run_id,
                    experiment_id=number,
                    name=name,
                    status="RUNNING",
                    start_time=start,
                    end_time=None,
                    artifact_uri=f"{experiment.artifact_location}/{run_id}/artifacts",
                    lifecycle_stage="active",
                )
            )
            log_batch(conn, run_id, tag_values=all_tags)
            return self._load(conn, run_id)

        return db.write(self.engine, work)

    def _load(self, conn: Connection, run_id: str) -> Run:
        rows = conn.execute(select(runs).where(runs.c.run_uuid == run_id)).all()
        if not rows:
            raise NotFoundError(f"run {run_id!r} does not exist")
        return load_runs(conn, rows)[0]

    def get_run(self, run_id: str) -> Run:
        """The run with its params, latest metrics and tags (deleted runs too), or NotFoundError.

        Example:
            >>> store.get_run(run_id).data.params  # doctest: +SKIP
            {'lr': '0.1'}
        """
        return db.read(self.engine, lambda conn: self._load(conn, run_id))

    def update_run_status(self, run_id: str, status: str, end_time: int | None = None) -> RunInfo:
        """Set a run's status; a terminal status records ``end_time`` (now unless given).

        Example:
            >>> store.update_run_status(run_id, "FINISHED").status  # doctest: +SKIP
            'FINISHED'
        """
        if status not in RUN_STATUSES:
            raise SchemaError(f"run status {status!r} is not one of {', '.join(RUN_STATUSES)}")
        end = None if status == "RUNNING" else end_time
        if end is None and status != "RUNNING":
            end = now_ms()
        elif end is not None:
            end = whole_number(end, "end_time")

        def work(conn: Connection) -> RunInfo:
            check_writable(conn, run_id)
            conn.execute(
                update(runs).where(runs.c.run_uuid == run_id).values(status=status, end_time=end)
            )
            return self._load(conn, run_id).info

        return db.write(self.engine, work)

    def delete_run(self, run_id: str) -> None:
        """Mark a run deleted: hidden from search, refused for logging, still readable by id.

        Example:
            >>> store.delete_run(run_id)  # doctest: +SKIP
        """

        def work(conn: Connection) -> None:
            done = conn.execute(
                update(runs).where(runs.c.run_uuid == run_id).values(lifecycle_stage="deleted")
            )
            if done.rowcount == 0:
                raise NotFoundError(f"run {run_id!r} does not exist")

        db.write(self.engine, work)

    # logging -----------------------------------------------------------------------------

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, object] | None = None,
        tags: Mapping[str, object] | None = None,
    ) -> None:
        """Log metrics, params and tags in one transaction (all or nothing).

        Example:
            >>> store.log_batch(run_id, [Metric("loss", 0.2, 0, 1)], {"lr": 0.1})  # doctest: +SKIP
        """
        db.write(self.engine, lambda conn: log_batch(conn, run_id, metrics, params, tags))

    def log_param(self, run_id: str, key: str, value: object) -> None:
        """Log one param (stored as ``str(value)``); params are write-once per run.

        Example:
            >>> store.log_param(run_id, "lr", 0.1)  # doctest: +SKIP
        """
        self.log_batch(run_id, params={key: value})

    def log_params(self, run_id: str, params: Mapping[str, object]) -> None:
        """Log several params at once.

        Example:
            >>> store.log_params(run_id, {"lr": 0.1, "depth": 4})  # doctest: +SKIP
        """
        self.log_batch(run_id, params=params)

    def log_metric(
        self, run_id: str, key: str, value: float, timestamp: int | None = None, step: int = 0
    ) -> None:
        """Log one metric value (NaN and +-inf accepted); every value is kept in the history.

        Example:
            >>> store.log_metric(run_id, "loss", 0.25, step=3)  # doctest: +SKIP
        """
        stamp = now_ms() if timestamp is None else timestamp
        self.log_batch(run_id, metrics=[Metric(key, value, stamp, step)])

    def log_metrics(
        self, run_id: str, values: Mapping[str, float], timestamp: int | None = None, step: int = 0
    ) -> None:
        """Log several metrics at one step and time.

        Example:
            >>> store.log_metrics(run_id, {"loss": 0.2, "acc": 0.9}, step=1)  # doctest: +SKIP
        """
        stamp = now_ms() if timestamp is None else timestamp
        self.log_batch(run_id, metrics=[Metric(k, v, stamp, step) for k, v in values.items()])

    def set_tag(self, run_id: str, key: str, value: object) -> None:
        """Set (or overwrite) one tag.

        Example:
            >>> store.set_tag(run_id, "team", "ml")  # doctest: +SKIP
        """
        self.log_batch(run_id, tags={key: value})

    def set_tags(self, run_id: str, values: Mapping[str, object]) -> None:
        """Set (or overwrite) several tags.

        Example:
            >>> store.set_tags(run_id, {"team": "ml", "stage": "dev"})  # doctest: +SKIP
        """
        self.log_batch(run_id, tags=values)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every value logged for a metric, by step, then timestamp, then logging order.

        Example:
            >>> [m.value for m in store.get_metric_history(run_id, "loss")]  # doctest: +SKIP
            [0.5, 0.3, 0.25]
        """
        clean = entity_key(key, "metric key")

        def work(conn: Connection) -> list[Metric]:
            self._load(conn, run_id)
            table = metrics_table
            rows = conn.execute(
                select(table)
                .where(table.c.run_uuid == run_id, table.c.key == clean)
                .order_by(table.c.step, table.c.timestamp, table.c.id)
            )
            return [Metric.from_row(r) for r in rows]

        return db.read(self.engine, work)

    # search ------------------------------------------------------------------------------

    def search_runs(
        self,
        experiment_ids: Sequence[str | int],
        filter_string: str = "",
        order_by: Sequence[str] | None = None,
        max_results: int = 1000,
    ) -> list[Run]:
        """Active runs of the experiments that match an MLflow-style filter, sorted in SQL.

        See :mod:`tiffin.store.tracking.filter` for the grammar; a mistake is a SchemaError
        naming the position. Default order: newest ``start_time`` first.

        Example:
            >>> store.search_runs(["1"], "metrics.acc > 0.9 and params.opt = 'adam'",
            ...                   order_by=["metrics.acc DESC"])  # doctest: +SKIP
        """
        if isinstance(experiment_ids, (str, int)):
            experiment_ids = [experiment_ids]
        ids = [str(experiment_id_number(i)) for i in experiment_ids]
        count = whole_number(max_results, "max_results")
        if not 1 <= count <= MAX_SEARCH_RESULTS:
            raise SchemaError(f"max_results must be 1..{MAX_SEARCH_RESULTS}, got {count}")
        filters = parse_filter(filter_string)
        keys = [parse_order_by(item) for item in order_by or ()]
        stmt = search_statement(ids, filters, keys, count, self.engine.dialect.name)
        return db.read(self.engine, lambda conn: load_runs(conn, conn.execute(stmt).all()))

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run; NotFoundError if it has no such tag.

        Example:
            >>> store.delete_tag(run_id, "team")  # doctest: +SKIP
        """
        clean = entity_key(key, "tag key")

        def work(conn: Connection) -> None:
            check_writable(conn, run_id)
            table = tags_table
            gone = conn.execute(
                table.delete().where(table.c.run_uuid == run_id, table.c.key == clean)
            )
            if gone.rowcount == 0:
                raise NotFoundError(f"run {run_id!r} has no tag {clean!r}")

        db.write(self.engine, work)
