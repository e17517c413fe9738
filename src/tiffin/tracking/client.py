"""``Client``: registry and run operations on one explicit store, for scripts and services.

Example:
    >>> client = Client("sqlite:///tiffin.db")  # doctest: +SKIP
    >>> client.get_model_version("churn", 3).trust  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffin.store.tracking_uri import get_tracking_uri

if TYPE_CHECKING:
    from tiffin.store.entities import (
        Experiment,
        Metric,
        ModelVersion,
        RegisteredModel,
        Run,
        RunInfo,
        TrustRecord,
    )


from tiffin.tracking.fluent import _artifacts
from tiffin.tracking.models import (
    ModelInfo,
    _code_reasons,
    _log_model,
    _register_model,
    current_user,
)

__all__ = ["Client"]


class Client:
    """Registry and run operations on one store, for scripts and services (MLflow's names).

    Besides logging and registering models with the trust gate in front, every method of the
    registry store (models, versions, tags, aliases, trust decisions) and of the tracking store
    (experiments, runs, params, metrics, tags, search) is here, delegating to
    :attr:`registry` (:class:`tiffin.store.RegistryStore`) or :attr:`tracking`
    (:class:`tiffin.store.TrackingStore`); their docstrings have the details and examples.

    Example:
        >>> client = Client()  # doctest: +SKIP
        >>> client.set_registered_model_alias("churn", "champion", 3)  # doctest: +SKIP
        >>> client.get_model_version_by_alias("churn", "champion").version  # doctest: +SKIP
        3
    """

    def __init__(self, tracking_uri: str | Path | None = None) -> None:
        from tiffin.store.registry import RegistryStore
        from tiffin.store.tracking import TrackingStore
        from tiffin.store.tracking_uri import normalize_tracking_uri

        self.tracking_uri = normalize_tracking_uri(tracking_uri or get_tracking_uri())
        self.registry = RegistryStore(self.tracking_uri)
        self.tracking = TrackingStore(self.tracking_uri)

    def log_model(
        self,
        run_id: str,
        save_fn: Callable[..., Any],
        model: Any,
        name: str,
        *,
        registered_model_name: str | None = None,
        **save_kwargs: Any,
    ) -> ModelInfo:
        """:func:`log_model` into ``run_id`` of this store, whatever the process-wide URI is.

        Example:
            >>> client.log_model(run_id, tiffin.sklearn.save_model, clf, "model")  # doctest: +SKIP
        """
        return _log_model(
            self.tracking,
            self.registry,
            save_fn,
            model,
            name,
            registered_model_name,
            run_id,
            save_kwargs,
        )

    def register_model(self, model_uri: str, name: str, *, trust: bool = False) -> Any:
        """:func:`register_model` on this store.

        Example:
            >>> client.register_model("runs:/abc/model", "churn").version  # doctest: +SKIP
            1
        """
        return _register_model(self.tracking, self.registry, model_uri, name, trust=trust)

    def trust_model_version(self, name: str, version: int | str, trusted: bool = True) -> Any:
        """Record (or, with ``trusted=False``, withdraw) your trust in a registered version.

        Loading ``models:/name/version`` runs a code-executing version only while a trust
        decision is in force on it. A version that runs no code needs none: trusting it
        records nothing (check :meth:`version_code` first to tell the user so).

        Example:
            >>> client.trust_model_version("churn", 3).trust.principal  # doctest: +SKIP
            'ana'
        """
        if trusted and not self.version_code(name, version):
            return self.registry.get_model_version(name, version)
        return self.registry.set_model_version_trust(name, version, trusted, current_user())

    def version_code(self, name: str, version: int | str) -> dict[str, str]:
        """What loading a registered version would run: path -> why (empty: data only).

        Example:
            >>> client.version_code("churn", 3)  # doctest: +SKIP
            {'model.pkl': "a scikit-learn model stored as 'cloudpickle' (unpickled on load)"}
        """
        from tiffin.store.model_uris import resolve_model_uri

        mv = self.registry.get_model_version(name, version)
        uri = f"models:/{mv.name}/{mv.version}"
        return _code_reasons(resolve_model_uri(uri, self.tracking.uri).path)

    def log_artifact(
        self, run_id: str, local_path: str | Path, artifact_path: str | None = None
    ) -> str:
        """Copy one file into ``run_id``'s artifacts (under ``artifact_path`` if given).

        Example:
            >>> client.log_artifact(run_id, "report.html", "reports")  # doctest: +SKIP
        """
        dest = (artifact_path or "").rstrip("/")
        stored: str = _artifacts(run_id, self.tracking).log_file(Path(local_path), dest)
        return stored

    def log_artifacts(
        self, run_id: str, local_dir: str | Path, artifact_path: str | None = None
    ) -> str:
        """Copy a directory into ``run_id``'s artifacts, published whole or not at all.

        Example:
            >>> client.log_artifacts(run_id, "plots/", "plots")  # doctest: +SKIP
        """
        local = Path(local_dir)
        stored: str = _artifacts(run_id, self.tracking).log_dir(local, artifact_path or local.name)
        return stored

    # registered models (RegistryStore) ---------------------------------------------------

    def create_registered_model(
        self, name: str, description: str | None = None, tags: Mapping[str, object] | None = None
    ) -> RegisteredModel:
        """Create a model (no versions yet); AlreadyExistsError if the name is taken."""
        return self.registry.create_registered_model(name, description, tags)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """The model with its tags, aliases and latest version, or NotFoundError."""
        return self.registry.get_registered_model(name)

    def search_registered_models(
        self, name_like: str | None = None, max_results: int = 100
    ) -> list[RegisteredModel]:
        """Models whose name matches a case-sensitive LIKE pattern (all if None), by name."""
        return self.registry.search_registered_models(name_like, max_results)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model; its versions, tags and aliases follow."""
        return self.registry.rename_registered_model(name, new_name)

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        """Replace a model's description."""
        return self.registry.update_registered_model(name, description)

    def delete_registered_model(self, name: str) -> None:
        """Delete a model with all its versions, tags and aliases."""
        self.registry.delete_registered_model(name)

    def set_registered_model_tag(self, name: str, key: str, value: object) -> None:
        """Set (or overwrite) a tag on a model."""
        self.registry.set_registered_model_tag(name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a model; NotFoundError if it has no such tag."""
        self.registry.delete_registered_model_tag(name, key)

    # model versions and aliases (RegistryStore) ------------------------------------------

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        digest: str | None = None,
        description: str | None = None,
        tags: Mapping[str, object] | None = None,
        idempotency_key: str | None = None,
        trusted_by: str | None = None,
    ) -> ModelVersion:
        """Record a version of files as they are, numbered by the registry (never reused).

        The registry does not look at the content: :meth:`register_model` checks it, records
        its digest and refuses code-executing content without ``trust=True``; use that unless
        you have checked the files yourself.
        """
        return self.registry.create_model_version(
            name, source, run_id, digest, description, tags, idempotency_key, trusted_by
        )

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """One version, or NotFoundError listing the versions that exist."""
        return self.registry.get_model_version(name, version)

    def get_latest_version(self, name: str) -> ModelVersion:
        """The highest-numbered version, or NotFoundError if the model has none."""
        return self.registry.get_latest_version(name)

    def search_model_versions(self, name: str) -> list[ModelVersion]:
        """Every version of a model, oldest first (NotFoundError for an unknown model)."""
        return self.registry.search_model_versions(name)

    def update_model_version(
        self, name: str, version: int | str, description: str | None
    ) -> ModelVersion:
        """Replace a version's description."""
        return self.registry.update_model_version(name, version, description)

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Delete a version, its tags and the aliases pointing at it; its number stays used."""
        self.registry.delete_model_version(name, version)

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: object) -> None:
        """Set (or overwrite) a tag on a version."""
        self.registry.set_model_version_tag(name, version, key, value)

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        """Remove a tag from a version; NotFoundError if it has no such tag."""
        self.registry.delete_model_version_tag(name, version, key)

    def set_registered_model_alias(
        self, name: str, alias: str, version: int | str, expected_version: int | None = None
    ) -> ModelVersion:
        """Point ``alias`` at ``version``; with ``expected_version``, a compare-and-swap.

        The swap happens only if the alias still points to ``expected_version`` (``0``: only
        if it does not exist yet); otherwise ConflictError, and the caller re-reads.
        """
        return self.registry.set_registered_model_alias(name, alias, version, expected_version)

    def delete_registered_model_alias(
        self, name: str, alias: str, expected_version: int | None = None
    ) -> None:
        """Remove an alias (compare-and-swap with ``expected_version``, as when setting it)."""
        self.registry.delete_registered_model_alias(name, alias, expected_version)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points to, or NotFoundError listing the model's aliases."""
        return self.registry.get_model_version_by_alias(name, alias)

    def set_model_version_trust(
        self, name: str, version: int | str, trusted: bool, principal: str
    ) -> ModelVersion:
        """Record or withdraw ``principal``'s trust in a version (:meth:`trust_model_version`
        does it as the current user, and records nothing for a version that runs no code)."""
        return self.registry.set_model_version_trust(name, version, trusted, principal)

    def get_model_version_trust_history(self, name: str, version: int | str) -> list[TrustRecord]:
        """Every trust decision on a version, oldest first."""
        return self.registry.get_model_version_trust_history(name, version)

    # experiments and runs (TrackingStore) ------------------------------------------------

    def create_experiment(self, name: str, artifact_location: str | None = None) -> str:
        """Create an experiment and return its id; AlreadyExistsError if the name is taken."""
        return self.tracking.create_experiment(name, artifact_location)

    def get_experiment(self, experiment_id: str | int) -> Experiment:
        """The experiment with this id, or NotFoundError."""
        return self.tracking.get_experiment(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with this name, or None (as MLflow)."""
        return self.tracking.get_experiment_by_name(name)

    def experiment_id_for(self, name: str) -> str:
        """The id of the experiment called ``name``, created if it does not exist yet."""
        return self.tracking.experiment_id_for(name)

    def list_experiments(self, include_deleted: bool = False) -> list[Experiment]:
        """Every experiment, by id."""
        return self.tracking.list_experiments(include_deleted)

    def create_run(
        self,
        experiment_id: str | int,
        run_name: str | None = None,
        tags: Mapping[str, object] | None = None,
        start_time: int | None = None,
        parent_run_id: str | None = None,
    ) -> Run:
        """Start a RUNNING run in an experiment (not the active run of :func:`start_run`)."""
        return self.tracking.create_run(experiment_id, run_name, tags, start_time, parent_run_id)

    def get_run(self, run_id: str) -> Run:
        """The run with its params, latest metrics and tags (deleted runs too), or NotFoundError."""
        return self.tracking.get_run(run_id)

    def update_run_status(self, run_id: str, status: str, end_time: int | None = None) -> RunInfo:
        """Set a run's status; a terminal status records ``end_time`` (now unless given)."""
        return self.tracking.update_run_status(run_id, status, end_time)

    def delete_run(self, run_id: str) -> None:
        """Mark a run deleted: hidden from search, refused for logging, still readable by id."""
        self.tracking.delete_run(run_id)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, object] | None = None,
        tags: Mapping[str, object] | None = None,
    ) -> None:
        """Log metrics, params and tags in one transaction (all or nothing)."""
        self.tracking.log_batch(run_id, metrics, params, tags)

    def log_param(self, run_id: str, key: str, value: object) -> None:
        """Log one param (stored as ``str(value)``); params are write-once per run."""
        self.tracking.log_param(run_id, key, value)

    def log_params(self, run_id: str, params: Mapping[str, object]) -> None:
        """Log several params at once."""
        self.tracking.log_params(run_id, params)

    def log_metric(
        self, run_id: str, key: str, value: float, timestamp: int | None = None, step: int = 0
    ) -> None:
        """Log one metric value (NaN and +-inf accepted); every value is kept in the history."""
        self.tracking.log_metric(run_id, key, value, timestamp, step)

    def log_metrics(
        self, run_id: str, values: Mapping[str, float], timestamp: int | None = None, step: int = 0
    ) -> None:
        """Log several metrics at one step and time."""
        self.tracking.log_metrics(run_id, values, timestamp, step)

    def set_tag(self, run_id: str, key: str, value: object) -> None:
        """Set (or overwrite) one tag on a run."""
        self.tracking.set_tag(run_id, key, value)

    def set_tags(self, run_id: str, values: Mapping[str, object]) -> None:
        """Set (or overwrite) several tags on a run."""
        self.tracking.set_tags(run_id, values)

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run; NotFoundError if it has no such tag."""
        self.tracking.delete_tag(run_id, key)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every value logged for a metric, by step, then timestamp, then logging order."""
        return self.tracking.get_metric_history(run_id, key)

    def search_runs(
        self,
        experiment_ids: Sequence[str | int],
        filter_string: str = "",
        order_by: Sequence[str] | None = None,
        max_results: int = 1000,
    ) -> list[Run]:
        """Active runs of the experiments that match an MLflow-style filter, sorted in SQL."""
        return self.tracking.search_runs(experiment_ids, filter_string, order_by, max_results)
