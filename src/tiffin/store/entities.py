"""What the stores return: frozen snapshots of experiments, runs, metrics, models and versions.

Why frozen: an entity is what the database said at one moment; changing it cannot change the
store, so it must not look as if it could. Field names follow MLflow's entities
(``run.info.run_id``, ``version.creation_timestamp``), so code written against MLflow reads the
same. Times are milliseconds since the epoch, as in MLflow.

Rows become entities here and nowhere else: each entity read from a table has a ``from_row``
classmethod that takes a row of that table (anything with its columns as attributes, such as a
SQLAlchemy ``Row``) plus what other tables contributed, so a renamed column is changed once.

Example:
    >>> from tiffin.store.entities import Metric
    >>> Metric("loss", 0.25, timestamp=1700000000000, step=3).value
    0.25
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Experiment",
    "Metric",
    "ModelVersion",
    "RegisteredModel",
    "Run",
    "RunData",
    "RunInfo",
    "TrustRecord",
]


@dataclass(frozen=True)
class Experiment:
    """A named group of runs with one artifact location under which its runs store files.

    Example:
        >>> store.get_experiment_by_name("churn").artifact_location  # doctest: +SKIP
        '/srv/tiffin-artifacts/1'
    """

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    creation_time: int
    last_update_time: int

    @classmethod
    def from_row(cls, row: Any) -> Experiment:
        """The experiment an ``experiments`` row describes (the integer id as a string).

        Example:
            >>> from types import SimpleNamespace as Row
            >>> Experiment.from_row(Row(experiment_id=1, name="churn", artifact_location="/a/1",
            ...     lifecycle_stage="active", creation_time=0, last_update_time=0)).experiment_id
            '1'
        """
        return cls(
            experiment_id=str(row.experiment_id),
            name=row.name,
            artifact_location=row.artifact_location,
            lifecycle_stage=row.lifecycle_stage,
            creation_time=row.creation_time,
            last_update_time=row.last_update_time,
        )


@dataclass(frozen=True)
class Metric:
    """One logged value of a metric; NaN and +-inf are kept as logged.

    Example:
        >>> Metric("acc", 0.9, timestamp=0, step=1).step
        1
    """

    key: str
    value: float
    timestamp: int
    step: int

    @classmethod
    def from_row(cls, row: Any) -> Metric:
        """The value a ``metrics`` row logged; NaN is stored as a flag and comes back as NaN.

        Example:
            >>> from types import SimpleNamespace as Row
            >>> Metric.from_row(Row(key="loss", value=0.0, is_nan=True, timestamp=0, step=1))
            Metric(key='loss', value=nan, timestamp=0, step=1)
        """
        return cls(row.key, math.nan if row.is_nan else row.value, row.timestamp, row.step)


@dataclass(frozen=True)
class RunInfo:
    """A run's own attributes (what ``attributes.*`` filters in ``search_runs`` see).

    Example:
        >>> run.info.status  # doctest: +SKIP
        'FINISHED'
    """

    run_id: str
    experiment_id: str
    run_name: str
    status: str
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str

    @classmethod
    def from_row(cls, row: Any) -> RunInfo:
        """The info of a ``runs`` row (MLflow's ``run_uuid`` column is ``run_id`` here).

        Example:
            >>> from types import SimpleNamespace as Row
            >>> RunInfo.from_row(Row(run_uuid="4f0c", experiment_id=0, name="baseline",
            ...     status="RUNNING", start_time=0, end_time=None, artifact_uri="/a/4f0c/artifacts",
            ...     lifecycle_stage="active")).experiment_id
            '0'
        """
        return cls(
            run_id=row.run_uuid,
            experiment_id=str(row.experiment_id),
            run_name=row.name,
            status=row.status,
            start_time=row.start_time,
            end_time=row.end_time,
            artifact_uri=row.artifact_uri,
            lifecycle_stage=row.lifecycle_stage,
        )

    @property
    def run_uuid(self) -> str:
        """MLflow's older name for ``run_id``."""
        return self.run_id


@dataclass(frozen=True)
class RunData:
    """What was logged to a run: params, the latest value of each metric, and tags.

    Example:
        >>> run.data.params["lr"]  # doctest: +SKIP
        '0.1'
    """

    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    """One execution of training code: its info and its data.

    Example:
        >>> run = store.get_run(run_id)  # doctest: +SKIP
        >>> run.info.artifact_uri.endswith("/artifacts")  # doctest: +SKIP
        True
    """

    info: RunInfo
    data: RunData

    @classmethod
    def from_row(
        cls,
        row: Any,
        params: Mapping[str, str],
        metrics: Mapping[str, float],
        tags: Mapping[str, str],
    ) -> Run:
        """A whole run: the ``runs`` row's info with what was logged to it.

        Example:
            >>> from types import SimpleNamespace as Row
            >>> Run.from_row(Row(run_uuid="4f0c", experiment_id=0, name="baseline",
            ...     status="RUNNING", start_time=0, end_time=None, artifact_uri="/a/4f0c/artifacts",
            ...     lifecycle_stage="active"), {"lr": "0.1"}, {}, {}).data.params
            {'lr': '0.1'}
        """
        return cls(RunInfo.from_row(row), RunData(params=params, metrics=metrics, tags=tags))


@dataclass(frozen=True)
class TrustRecord:
    """A person's decision that running a version's code is acceptable, for exact bytes.

    ``action`` is ``trust`` or ``untrust``; ``principal`` who decided (the user name the store
    knows); ``digest`` the manifest digest the decision covered; ``timestamp`` in ms.

    Example:
        >>> registry.get_model_version("churn", 3).trust.principal  # doctest: +SKIP
        'ana'
    """

    action: str
    principal: str
    digest: str | None
    timestamp: int

    @classmethod
    def from_row(cls, row: Any) -> TrustRecord:
        """The decision a ``model_version_trust`` row recorded.

        Example:
            >>> from types import SimpleNamespace as Row
            >>> TrustRecord.from_row(Row(action="trust", principal="ana", digest=None,
            ...     timestamp=0)).principal
            'ana'
        """
        return cls(row.action, row.principal, row.digest, row.timestamp)


@dataclass(frozen=True)
class ModelVersion:
    """One immutable registered version of a model: where it is and what it hashes to.

    ``digest`` is the sha256 of the model's manifest when the caller recorded one: loading by
    ``models:/`` checks the files against it (what the registry vouches for: these bytes).
    ``trust`` is the decision in force that running them is acceptable (what a person vouched
    for), or None: a code-executing version without it is refused by the trust gate.

    Example:
        >>> registry.get_model_version("churn", 3).source  # doctest: +SKIP
        'runs:/4f0c.../model'
    """

    name: str
    version: int
    source: str
    run_id: str | None
    digest: str | None
    status: str
    description: str | None
    creation_timestamp: int
    last_updated_timestamp: int
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    trust: TrustRecord | None = None

    @classmethod
    def from_row(
        cls,
        row: Any,
        tags: Mapping[str, str],
        aliases: tuple[str, ...],
        trust: TrustRecord | None,
    ) -> ModelVersion:
        """A ``model_versions`` row with its tags, the aliases on it and the trust in force.

        Example:
            >>> from types import SimpleNamespace as Row
            >>> ModelVersion.from_row(Row(name="churn", version=3, source="runs:/4f0c/model",
            ...     run_id="4f0c", digest=None, status="READY", description=None,
            ...     creation_time=0, last_updated_time=0), {}, ("prod",), None).aliases
            ('prod',)
        """
        return cls(
            name=row.name,
            version=row.version,
            source=row.source,
            run_id=row.run_id,
            digest=row.digest,
            status=row.status,
            description=row.description,
            creation_timestamp=row.creation_time,
            last_updated_timestamp=row.last_updated_time,
            tags=tags,
            aliases=aliases,
            trust=trust,
        )


@dataclass(frozen=True)
class RegisteredModel:
    """A named model with its versions' pointers: aliases and the latest version.

    ``latest_versions`` holds the newest version (or nothing); tiffin has no stages, so MLflow's
    "latest per stage" is a single version here.

    Example:
        >>> registry.get_registered_model("churn").aliases  # doctest: +SKIP
        {'prod': 3}
    """

    name: str
    description: str | None
    creation_timestamp: int
    last_updated_timestamp: int
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, int] = field(default_factory=dict)
    latest_versions: tuple[ModelVersion, ...] = ()

    @classmethod
    def from_row(
        cls,
        row: Any,
        tags: Mapping[str, str],
        aliases: Mapping[str, int],
        latest_versions: tuple[ModelVersion, ...],
    ) -> RegisteredModel:
        """A ``registered_models`` row with its tags, aliases and latest version.

        Example:
            >>> from types import SimpleNamespace as Row
            >>> RegisteredModel.from_row(Row(name="churn", description=None, creation_time=0,
            ...     last_updated_time=0), {}, {"prod": 3}, ()).aliases
            {'prod': 3}
        """
        return cls(
            name=row.name,
            description=row.description,
            creation_timestamp=row.creation_time,
            last_updated_timestamp=row.last_updated_time,
            tags=tags,
            aliases=aliases,
            latest_versions=latest_versions,
        )
