"""Catalog datasets for models: logged into a run, saved on local disk, read from the registry.

Each keeps its flavor as a canonical string (see :mod:`.datasets_flavor`) and its run as plain
strings (see :mod:`.run_binding`), so the datasets pickle for ``ParallelRunner`` and deep-copy
for the catalog. Errors from the store (no such run, model or alias) keep tiffin's message,
which names what was missing; Kedro prefixes it with the dataset's description.

Example:
    >>> from tiffin.integrations.kedro import ModelLocalFileSystemDataset
    >>> ds = ModelLocalFileSystemDataset("data/06_models/clf", flavor="tiffin.sklearn")
    >>> ds.save(clf)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from kedro.io import AbstractDataset, AbstractVersionedDataset, DatasetError, Version

from tiffin.errors import NotFoundError
from tiffin.integrations.kedro.datasets_flavor import (
    PYFUNC,
    canonical_flavor,
    load_local,
    load_model_uri,
    save_fn,
    save_model,
)
from tiffin.integrations.kedro.run_binding import RunBound

__all__ = ["ModelLocalFileSystemDataset", "ModelRegistryDataset", "ModelTrackingDataset"]

_log = logging.getLogger(__name__)


def _client(tracking_uri: str) -> Any:
    from tiffin.tracking import Client

    return Client(tracking_uri)


def _split_load_args(load_args: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    rest = {k: v for k, v in load_args.items() if k not in ("model_uri", "trust")}
    return bool(load_args.get("trust", False)), rest


class ModelTrackingDataset(RunBound, AbstractDataset[Any, Any]):
    """Log a model into the pipeline's run (registering it if asked), and load it back.

    Saving writes the model with the flavor's ``save_model`` and stores it as the artifact
    ``save_args.name`` (default ``model``) of the run: the ``run_id`` given here, else the one
    the tiffin hook binds for ``kedro run``. ``save_args.registered_model_name`` also registers
    it; every other ``save_args`` key goes to ``save_model`` (``signature``,
    ``input_example``, ``serialization_format``...). With ``flavor: tiffin.pyfunc`` the saved
    object is a :class:`tiffin.pyfunc.PythonModel`.

    Loading reads, in this order: ``load_args.model_uri`` (any tiffin URI or path), else
    ``runs:/<run_id>/<name>`` when a run is known, else what the last save logged. Store URIs
    are resolved against this dataset's store, and a registered version whose files match
    the registry's digest loads without ``trust``; ``load_args.trust: true`` allows pickled
    models of other origins. Other ``load_args`` go to the flavor's ``load_model``.

    When the hook turns logging off for the pipeline (``tiffin.yml``), saving does nothing
    (no error, so the same pipeline runs with and without tracking) and says so in the log.

    Example:
        In ``catalog.yml``::

            classifier:
              type: tiffin.kedro.ModelTrackingDataset
              flavor: tiffin.sklearn
              save_args:
                name: classifier
                registered_model_name: churn

            champion:  # read-only: a model_uri forbids saving
              type: tiffin.kedro.ModelTrackingDataset
              flavor: tiffin.pyfunc
              load_args:
                model_uri: models:/churn@champion

        In Python:

        >>> ds = ModelTrackingDataset("tiffin.sklearn", run_id=run_id)  # doctest: +SKIP
        >>> ds.save(clf)  # doctest: +SKIP
        >>> ds.load().predict(X)  # doctest: +SKIP
    """

    def __init__(
        self,
        flavor: str,
        run_id: str | None = None,
        tracking_uri: str | None = None,
        save_args: dict[str, Any] | None = None,
        load_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._flavor = canonical_flavor(flavor)
        self.run_id = run_id
        self.tracking_uri = tracking_uri
        self._save_args = dict(save_args or {})
        self._load_args = dict(load_args or {})
        self.metadata = metadata
        self._last_saved: tuple[str, str] | None = None  # (model URI, tracking URI)

    @property
    def _name(self) -> str:
        return str(self._save_args.get("name", "model"))

    def _store_uri(self) -> str:
        from tiffin.store.tracking_uri import get_tracking_uri, normalize_tracking_uri

        return normalize_tracking_uri(
            self.tracking_uri or self._bound_tracking_uri or get_tracking_uri()
        )

    def save(self, data: Any) -> None:
        if "model_uri" in self._load_args:
            raise DatasetError(
                f"ModelTrackingDataset: cannot save a model when load_args.model_uri is set "
                f"({self._load_args['model_uri']!r}): this entry only reads that model. Remove "
                "model_uri to log models here, or use another catalog entry to read it back."
            )
        if not self.logging_enabled:
            _log.info("tracking is off for this pipeline: model %r not logged", self._name)
            return
        target = self.run_target()
        client = _client(target.tracking_uri)
        client.tracking.get_run(target.run_id)  # a wrong run_id fails before the model is written
        args = dict(self._save_args)
        name = str(args.pop("name", "model"))
        registered = args.pop("registered_model_name", None)
        info = client.log_model(
            target.run_id,
            save_fn(self._flavor),
            data,
            name,
            registered_model_name=registered,
            **args,
        )
        self._last_saved = (info.model_uri, target.tracking_uri)

    def load(self) -> Any:
        uri, tracking_uri = self._model_uri()
        trust, rest = _split_load_args(self._load_args)
        return load_model_uri(self._flavor, uri, tracking_uri, trust=trust, **rest)

    def _model_uri(self) -> tuple[str, str]:
        if "model_uri" in self._load_args:
            return str(self._load_args["model_uri"]), self._store_uri()
        run_id = self.run_id or self._bound_run_id
        if run_id is not None:
            tracking_uri = self._store_uri()
            _client(tracking_uri).tracking.get_run(run_id)  # names the run when it is missing
            return f"runs:/{run_id}/{self._name}", tracking_uri
        if self._last_saved is not None:
            return self._last_saved
        raise DatasetError(
            "ModelTrackingDataset: no model to load; give load_args.model_uri (runs:/..., "
            "models:/<name>@<alias>, models:/<name>/<version>) or run_id= in the catalog, "
            "or save a model with this dataset first"
        )

    def _exists(self) -> bool:
        try:
            uri, tracking_uri = self._model_uri()
            return _model_exists(uri, tracking_uri)
        except (DatasetError, NotFoundError):
            return False

    def _describe(self) -> dict[str, Any]:
        return {
            "flavor": self._flavor,
            "run_id": self.run_id,
            "tracking_uri": self.tracking_uri,
            "save_args": self._save_args,
            "load_args": self._load_args,
        }


def _model_exists(uri: str, tracking_uri: str) -> bool:
    """Whether ``uri`` names a model now, without downloading it."""
    if uri.startswith("runs:/"):
        from tiffin.store.artifacts import ArtifactStore
        from tiffin.store.model_uris import parse_runs_uri

        run_id, path = parse_runs_uri(uri)
        run = _client(tracking_uri).tracking.get_run(run_id)
        return bool(ArtifactStore(run.info.artifact_uri).exists(path))
    if uri.startswith("models:/"):
        from tiffin.store.model_uris import lookup_version

        lookup_version(uri, tracking_uri)
        return True
    return Path(uri.removeprefix("file://")).is_dir()


def _local_path(filepath: str) -> PurePosixPath:
    if filepath.startswith("file://"):
        filepath = filepath.removeprefix("file://")
    elif "://" in filepath:
        raise DatasetError(
            f"ModelLocalFileSystemDataset writes local directories only, got {filepath!r}; "
            "to keep a model in a remote store, log it with ModelTrackingDataset"
        )
    return PurePosixPath(Path(filepath).expanduser().as_posix())


class ModelLocalFileSystemDataset(AbstractVersionedDataset[Any, Any]):
    """A model directory on local disk, in the MLflow format; Kedro-versionable.

    Saving calls the flavor's ``save_model(model, path, **save_args)``. With ``versioned:
    true`` each save is a new directory ``<filepath>/<timestamp>/<name>``. Without it the
    directory is replaced: the new model is written whole into a hidden sibling, then swapped
    in by two renames, so a crash leaves the old model or the new one, never half of one.
    Loading calls the flavor's ``load_model(path, **load_args)`` (``trust: true`` for models
    that are pickles).

    Example:
        In ``catalog.yml``::

            classifier:
              type: tiffin.kedro.ModelLocalFileSystemDataset
              filepath: data/06_models/classifier
              flavor: tiffin.sklearn
              versioned: true

        In Python:

        >>> from kedro.io import Version
        >>> ds = ModelLocalFileSystemDataset(
        ...     "data/06_models/clf", "tiffin.sklearn", version=Version(None, None)
        ... )
        >>> ds.save(clf)  # doctest: +SKIP
        >>> ds.load().predict(X)  # doctest: +SKIP
    """

    def __init__(
        self,
        filepath: str,
        flavor: str,
        save_args: dict[str, Any] | None = None,
        load_args: dict[str, Any] | None = None,
        version: Version | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._flavor = canonical_flavor(flavor)
        super().__init__(_local_path(filepath), version)
        self._save_args = dict(save_args or {})
        self._load_args = dict(load_args or {})
        self.metadata = metadata

    def save(self, data: Any) -> None:
        path = Path(self._get_save_path())

        def write(target: Path) -> None:
            save_model(self._flavor, data, target, **self._save_args)

        if self._version:
            write(path)  # a new version directory: nothing to replace
        else:
            _replace_directory(path, write)

    def load(self) -> Any:
        trust, rest = _split_load_args(self._load_args)
        return load_local(self._flavor, Path(self._get_load_path()), trust=trust, **rest)

    def _exists(self) -> bool:
        return Path(self._get_load_path()).is_dir()

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": str(self._filepath),
            "flavor": self._flavor,
            "version": self._version,
            "save_args": self._save_args,
            "load_args": self._load_args,
        }


def _replace_directory(path: Path, write: Callable[[Path], None]) -> None:
    """Write a new directory at ``path`` through a sibling, then swap it with the old one."""
    from tiffin.format.atomic import fsync_dir

    token = uuid.uuid4().hex[:12]
    staging = path.parent / f".{path.name}.new-{token}"
    write(staging)  # the flavor's save is atomic itself: staging is whole or absent
    if not os.path.lexists(path):
        os.rename(staging, path)
        fsync_dir(path.parent)
        return
    old = path.parent / f".{path.name}.old-{token}"
    os.rename(path, old)
    try:
        os.rename(staging, path)
    except BaseException:
        os.rename(old, path)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fsync_dir(path.parent)
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old)
    else:
        old.unlink()


class ModelRegistryDataset(AbstractDataset[Any, Any]):
    """A registered model, read by alias, by version number, or the latest version.

    Read-only: register models by logging them with :class:`ModelTrackingDataset` and
    ``save_args.registered_model_name``. The version argument is ``model_version``, not
    ``version``: Kedro removes a ``version`` key from every catalog entry (it is its own
    reserved word), which would silently load the latest version instead.

    The store is ``tracking_uri``, else the process-wide one (``tiffin.set_tracking_uri``,
    ``TIFFIN_TRACKING_URI``). Files matching the digest the registry recorded load without
    ``trust``; other ``load_args`` go to the flavor's ``load_model``.

    Example:
        In ``catalog.yml``::

            champion:
              type: tiffin.kedro.ModelRegistryDataset
              model_name: churn
              alias: champion

            churn_v3:
              type: tiffin.kedro.ModelRegistryDataset
              model_name: churn
              model_version: 3
              flavor: tiffin.sklearn

        In Python:

        >>> ds = ModelRegistryDataset("churn", alias="champion")  # doctest: +SKIP
        >>> ds.load().predict(X)  # doctest: +SKIP
    """

    def __init__(
        self,
        model_name: str,
        alias: str | None = None,
        model_version: int | str | None = None,
        flavor: str = PYFUNC,
        tracking_uri: str | None = None,
        load_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if alias is not None and model_version is not None:
            raise DatasetError(
                f"ModelRegistryDataset {model_name!r}: give alias ({alias!r}) or model_version "
                f"({model_version!r}), not both"
            )
        if model_version is not None and not str(model_version).isdigit():
            raise DatasetError(
                f"ModelRegistryDataset {model_name!r}: model_version must be a version number, "
                f"got {model_version!r}; use alias for named versions"
            )
        self._model_name = model_name
        self._alias = alias
        self._model_version = None if model_version is None else int(model_version)
        self._flavor = canonical_flavor(flavor)
        self._tracking_uri = tracking_uri
        self._project_uri: str | None = None
        self._load_args = dict(load_args or {})
        self.metadata = metadata

    @property
    def model_uri(self) -> str:
        """The ``models:/`` URI this entry reads.

        Example:
            >>> ModelRegistryDataset("churn", alias="champion").model_uri
            'models:/churn@champion'
        """
        from urllib.parse import quote

        name = quote(self._model_name, safe="")
        if self._alias is not None:
            return f"models:/{name}@{self._alias}"
        version = "latest" if self._model_version is None else self._model_version
        return f"models:/{name}/{version}"

    def use_store(self, tracking_uri: str) -> None:
        """The project's store (the hook passes ``tiffin.yml``'s); a catalog value wins."""
        self._project_uri = tracking_uri

    def _store_uri(self) -> str:
        from tiffin.store.tracking_uri import get_tracking_uri, normalize_tracking_uri

        uri = self._tracking_uri or self._project_uri or get_tracking_uri()
        return normalize_tracking_uri(uri)

    def load(self) -> Any:
        trust, rest = _split_load_args(self._load_args)
        return load_model_uri(self._flavor, self.model_uri, self._store_uri(), trust=trust, **rest)

    def save(self, data: Any) -> None:
        raise DatasetError(
            f"ModelRegistryDataset {self.model_uri} is read-only; register models by saving "
            "them with ModelTrackingDataset and save_args.registered_model_name"
        )

    def _exists(self) -> bool:
        try:
            return _model_exists(self.model_uri, self._store_uri())
        except NotFoundError:
            return False

    def _describe(self) -> dict[str, Any]:
        return {
            "model_name": self._model_name,
            "alias": self._alias,
            "model_version": self._model_version,
            "flavor": self._flavor,
            "tracking_uri": self._tracking_uri,
            "load_args": self._load_args,
        }
