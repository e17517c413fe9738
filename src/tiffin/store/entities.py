"""What the stores return: frozen snapshots of experiments, runs, metrics, models and versions.

Why frozen: an entity is what the database said at one moment; changing it cannot change the
store, so it must not look as if it could. Field names follow MLflow's entities
(``run.info.run_id``, ``version.creation_timestamp``), so code written against MLflow reads the
same. Times are milliseconds since the epoch, as in MLflow.

Example:
    >>> from tiffin.store.entities import Metric
    >>> Metric("loss", 0.25, timestamp=1700000000000, step=3).value
    0.25
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Experiment", "Metric", "ModelVersion", "RegisteredModel", "Run", "RunData", "RunInfo"]


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
