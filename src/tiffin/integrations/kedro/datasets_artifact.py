"""``ArtifactDataset``: any file-based Kedro dataset, whose saves are also logged to the run.

kedro-mlflow builds a subclass of the wrapped dataset's class on the fly, which
``ParallelRunner`` cannot pickle (kedro-mlflow#624). Here the wrapped dataset is an attribute:
an ``ArtifactDataset`` is an ordinary class holding an ordinary dataset, so it pickles whenever
the wrapped dataset does.

Example:
    >>> from tiffin.integrations.kedro import ArtifactDataset
    >>> ds = ArtifactDataset({"type": "pandas.CSVDataset", "filepath": "data/08_reporting/a.csv"})
    >>> ds.bind_run("sqlite:///tiffin.db", run_id)  # doctest: +SKIP
    >>> ds.save(df)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from kedro.io import AbstractDataset, AbstractVersionedDataset, DatasetError
from kedro.io.core import parse_dataset_definition

from tiffin.integrations.kedro.run_binding import RunBound

__all__ = ["ArtifactDataset"]

_log = logging.getLogger(__name__)


def _client(tracking_uri: str) -> Any:
    from tiffin.tracking import Client

    return Client(tracking_uri)


def _build(config: dict[str, Any]) -> AbstractDataset[Any, Any]:
    try:
        cls, kwargs = parse_dataset_definition(config)
        dataset: AbstractDataset[Any, Any] = cls(**kwargs)
    except Exception as e:
        raise DatasetError(
            f"ArtifactDataset: cannot build the wrapped dataset {config.get('type')!r}: {e}"
        ) from e
    return dataset


def _local_root(uri: str) -> Path | None:
    """The local directory an artifact URI names, or None when it is remote."""
    if "://" not in uri:
        return Path(uri)
    parts = urlsplit(uri)
    if parts.scheme == "file" and parts.netloc in ("", "localhost"):
        return Path(unquote(parts.path))
    return None


class ArtifactDataset(RunBound, AbstractDataset[Any, Any]):
    """Save through a wrapped Kedro dataset, then log the file (or folder) it wrote to the run.

    ``dataset`` is a catalog definition (a dict with ``type``, ``filepath``...). The logged
    artifact is ``<artifact_path>/<file name>`` (a folder keeps its name too). The run is
    ``run_id``, else the one the tiffin hook binds for ``kedro run``; when the hook turns
    logging off for the pipeline, saving only writes the local file.

    Loading without ``run_id`` reads the local file. With ``run_id`` it reads that run's
    artifact instead, without touching the local file: from the artifact store's own
    directory when it is local (artifacts never change, so nothing is copied), else from a
    private temporary download. The wrapped definition is rebuilt with its ``filepath`` (or
    ``path``) pointing there, unversioned and without credentials.

    Example:
        In ``catalog.yml``::

            report:
              type: tiffin.kedro.ArtifactDataset
              artifact_path: reports
              dataset:
                type: pandas.CSVDataset
                filepath: data/08_reporting/report.csv

            old_report:  # the same file, as logged by an earlier run
              type: tiffin.kedro.ArtifactDataset
              run_id: 3f1c9e0b7d2a4c51a8e6f0b2d4c6e8a0
              artifact_path: reports
              dataset:
                type: pandas.CSVDataset
                filepath: data/08_reporting/report.csv

        In Python:

        >>> ds = ArtifactDataset(
        ...     {"type": "json.JSONDataset", "filepath": "scores.json"}, artifact_path="eval"
        ... )
        >>> ds.bind_run("sqlite:///tiffin.db", run_id)  # doctest: +SKIP
        >>> ds.save({"f1": 0.8})  # doctest: +SKIP
    """

    def __init__(
        self,
        dataset: str | dict[str, Any],
        run_id: str | None = None,
        tracking_uri: str | None = None,
        artifact_path: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._config: dict[str, Any] = (
            {"type": dataset} if isinstance(dataset, str) else dict(dataset)
        )
        self._dataset = _build(self._config)
        self.run_id = run_id
        self.tracking_uri = tracking_uri
        self._artifact_path = artifact_path.strip("/") if artifact_path else None
        self.metadata = metadata

    @property
    def dataset(self) -> AbstractDataset[Any, Any]:
        """The wrapped dataset."""
        return self._dataset

    def _label(self, name: str) -> str:
        return f"{self._artifact_path}/{name}" if self._artifact_path else name

    def _base_path(self) -> PurePosixPath:
        """The wrapped dataset's unversioned local path (``_filepath``, else ``_path``)."""
        ds = self._dataset
        raw = getattr(ds, "_filepath", None) or getattr(ds, "_path", None)
        if raw is None:
            raise DatasetError(
                f"ArtifactDataset: cannot tell where {type(ds).__name__} writes (it has no "
                "filepath or path); wrap a file-based dataset"
            )
        protocol = str(getattr(ds, "_protocol", None) or "file")
        text = str(raw)
        if protocol not in ("file", "local") or ("://" in text and not text.startswith("file:")):
            raise DatasetError(
                f"ArtifactDataset: {type(ds).__name__} writes to {protocol!r}, not to local "
                "files; only local files can be logged as artifacts"
            )
        return PurePosixPath(text.removeprefix("file://"))

    def _written_path(self) -> Path:
        """The file or folder the last save wrote (the save version's, when versioned)."""
        ds = self._dataset
        if isinstance(ds, AbstractVersionedDataset) and ds._version:
            self._base_path()  # checks it is local
            written = Path(ds._get_versioned_path(str(ds.resolve_save_version())))
        else:
            written = Path(self._base_path())
        if not written.exists():
            raise DatasetError(
                f"ArtifactDataset: {type(ds).__name__} saved, but nothing is at {written} to "
                "log; is the wrapped dataset's load version pinned to another version?"
            )
        return written

    def save(self, data: Any) -> None:
        self._dataset.save(data)
        if not self.logging_enabled:
            _log.info("tracking is off for this pipeline: %s not logged", self._dataset)
            return
        local = self._written_path()
        target = self.run_target()
        client = _client(target.tracking_uri)
        if local.is_dir():
            client.log_artifacts(target.run_id, local, self._label(local.name))
        else:
            client.log_artifact(target.run_id, local, self._artifact_path)

    def load(self) -> Any:
        if self.run_id is None:
            return self._dataset.load()
        return self._from_run().load()

    def _run_store(self) -> Any:
        """The artifact store of the run (NotFoundError naming the run when it is missing)."""
        from tiffin.store.artifacts import ArtifactStore

        target = self.run_target()
        run = _client(target.tracking_uri).tracking.get_run(target.run_id)
        return ArtifactStore(run.info.artifact_uri)

    def _from_run(self) -> AbstractDataset[Any, Any]:
        store, label = self._run_store(), self._label(self._base_path().name)
        if not store.exists(label):
            raise DatasetError(
                f"ArtifactDataset: run {self.run_id!r} has no artifact {label!r}; check run_id "
                "and artifact_path"
            )
        root = _local_root(store.root_uri)
        local = root / label if root is not None else store.download(label)
        key = next((k for k in ("filepath", "path") if k in self._config), None)
        if key is None:
            raise DatasetError(
                f"ArtifactDataset: cannot point {self._config.get('type')!r} at the run's "
                "artifact: its definition has no filepath or path"
            )
        config = {k: v for k, v in self._config.items() if k not in ("versioned", "credentials")}
        config[key] = str(local)
        return _build(config)

    def _exists(self) -> bool:
        if self.run_id is None:
            return self._dataset.exists()
        return bool(self._run_store().exists(self._label(self._base_path().name)))

    def _release(self) -> None:
        self._dataset.release()

    def _describe(self) -> dict[str, Any]:
        ds = self._dataset
        return {
            "dataset": f"{type(ds).__module__}.{type(ds).__name__}",
            "filepath": str(getattr(ds, "_filepath", None) or getattr(ds, "_path", "")) or None,
            "run_id": self.run_id,
            "tracking_uri": self.tracking_uri,
            "artifact_path": self._artifact_path,
        }
