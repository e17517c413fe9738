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

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffin.errors import AlreadyExistsError, NotFoundError, TiffinError
from tiffin.store.tracking_uri import get_tracking_uri, set_tracking_uri

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

__all__ = [
    "Client",
    "ModelInfo",
    "NoSignatureWarning",
    "active_run",
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


@dataclass(frozen=True)
class ModelInfo:
    """What ``log_model`` stored: where, from which run, with which digest and version."""

    model_uri: str
    run_id: str
    artifact_path: str
    digest: str | None
    registered_model_version: int | None = None


def log_model(
    save_fn: Callable[..., Any],
    model: Any,
    name: str,
    *,
    registered_model_name: str | None = None,
    run_id: str | None = None,
    **save_kwargs: Any,
) -> ModelInfo:
    """Save ``model`` with a flavor's ``save_model`` and store it as artifacts of the run.

    The model is saved locally first (so its manifest is written), then published into the
    run's artifact store as a whole directory; registering records its manifest digest.
    """
    return _log_model(
        _tracking(),
        _registry(),
        save_fn,
        model,
        name,
        registered_model_name,
        _run_id(run_id),
        save_kwargs,
    )


def _log_model(
    tracking: Any,
    registry: Any,
    save_fn: Callable[..., Any],
    model: Any,
    name: str,
    registered_model_name: str | None,
    run_id: str,
    save_kwargs: Mapping[str, Any],
) -> ModelInfo:
    from tiffin.format.manifest import read_manifest

    with tempfile.TemporaryDirectory(prefix="tiffin-log-") as tmp:
        local = Path(tmp) / "model"
        save_fn(model, local, **save_kwargs)
        manifest = read_manifest(local)
        _warn_without_schema(local, name)
        _artifacts(run_id, tracking).log_dir(local, name)
    info = ModelInfo(f"runs:/{run_id}/{name}", run_id, name, manifest.digest if manifest else None)
    if registered_model_name is None:
        return info
    # The caller serialized this model from its own object in this process: it is the author,
    # so registering records the author's trust (a file from elsewhere goes through
    # register_model, which asks for trust=True).
    version = _register_model(tracking, registry, info.model_uri, registered_model_name, trust=True)
    return ModelInfo(info.model_uri, run_id, name, info.digest, version.version)


class NoSignatureWarning(UserWarning):
    """A model was logged with neither a signature nor an input example."""


def _warn_without_schema(model_dir: Path, name: str) -> None:
    """Say so once, at logging time, when a model carries no schema at all.

    Served, such a model has empty V2 metadata and an empty ``/docs``, and nothing checks the
    columns a caller sends: a wrong name reaches the model, which fails with its own error.
    """
    import warnings

    from tiffin.format.mlmodel import MLMODEL_FILE, MLModel

    if not (model_dir / MLMODEL_FILE).is_file():
        return  # not this check's business: loading such a directory fails on its own
    mlmodel = MLModel.load(model_dir)
    if mlmodel.signature is not None or "saved_input_example_info" in mlmodel.data:
        return
    warnings.warn(
        f"model {name!r} is logged without a signature or an input example: served, it "
        "has no schema (empty V2 metadata and /docs, columns not checked); pass "
        "input_example=X.head(3) (its signature is inferred) or signature=",
        NoSignatureWarning,
        stacklevel=4,
    )


def register_model(model_uri: str, name: str, *, trust: bool = False) -> Any:
    """Register the model at ``model_uri`` as a new version of ``name`` (created if missing).

    The files are verified and their manifest digest recorded with the version: loading
    ``models:/name/<version>`` later checks the files against it. A model that runs code when
    loaded (a pickle, ``code/``, a foreign loader) is refused, with the loader's own message,
    unless ``trust=True``: then the decision is recorded on the version (who, when, which
    digest) and loads by ``models:/`` run it without asking again. Nothing is recorded and no
    version number is used by a refusal.

    Raises:
        UntrustedModelError: the model would run code and ``trust`` is False.

    Example:
        >>> register_model("runs:/4f0c/model", "churn").version  # doctest: +SKIP
        3
    """
    return _register_model(_tracking(), _registry(), model_uri, name, trust=trust)


def current_user() -> str:
    """The user name decisions are recorded under (the OS user, as MLflow's ``mlflow.user``).

    Example:
        >>> isinstance(current_user(), str)
        True
    """
    import getpass

    try:
        return getpass.getuser() or "unknown"
    except (KeyError, OSError):  # no passwd entry for the uid (some containers)
        return "unknown"


def _code_reasons(local: Path) -> dict[str, str]:
    from tiffin.format.manifest import scan_files
    from tiffin.format.mlmodel import MLModel
    from tiffin.format.runs_code import code_reasons

    return code_reasons(local, MLModel.load(local), scan_files(local))


def _register_model(
    tracking: Any, registry: Any, model_uri: str, name: str, *, trust: bool = False
) -> Any:
    from tiffin.errors import UntrustedModelError
    from tiffin.format.manifest import verify_manifest
    from tiffin.format.runs_code import refusal
    from tiffin.store.model_uris import resolve_model_uri

    if model_uri.startswith(("runs:/", "models:/")):
        local = resolve_model_uri(model_uri, tracking.uri).path
    else:
        local = Path(os.path.abspath(model_uri.removeprefix("file://")))
        if not local.is_dir():
            raise NotFoundError(f"no model directory at {model_uri}")
    manifest = verify_manifest(local)
    reasons = _code_reasons(local)  # what a load would run: decided before anything is written
    if reasons and not trust:
        raise UntrustedModelError(refusal(Path(model_uri), reasons, action="register"))
    if reasons and manifest is None:
        raise UntrustedModelError(
            f"refusing to register {model_uri}: it runs code when loaded and has no manifest, "
            "so a trust decision could not say which bytes it covers (tiffin models verify "
            "shows what is missing; re-save it with tiffin)"
        )
    source = _source_of(tracking, model_uri) if model_uri.startswith("runs:/") else str(local)
    run_id = model_uri.split("/")[1] if model_uri.startswith("runs:/") else None
    with suppress(AlreadyExistsError):  # a new version of an existing model: the common case
        registry.create_registered_model(name)
    return registry.create_model_version(
        name,
        source,
        run_id=run_id,
        digest=manifest.digest if manifest else None,
        trusted_by=current_user() if reasons else None,
    )


def _source_of(tracking: Any, runs_uri: str) -> str:
    from tiffin.store.model_uris import parse_runs_uri

    run_id, path = parse_runs_uri(runs_uri)
    run = tracking.get_run(run_id)
    return f"{run.info.artifact_uri.rstrip('/')}/{path}"


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
