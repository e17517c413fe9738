"""How the hook tells catalog datasets which run to log into: explicitly, never globally.

MLflow keeps the active run in a thread-local stack, so a Kedro ``ThreadRunner`` node (or a
``ParallelRunner`` process) that logs a metric finds no run, or opens a new one: the run ends
up split (kedro-mlflow#613, #646, #689). Here the hook opens one run and hands its id, with the
store's URI, to every logging dataset of the pipeline before any node runs. Both are plain
strings, so they survive the pickling ``ParallelRunner`` does.

Example:
    >>> class Logs(RunBound):
    ...     pass
    >>> ds = Logs()
    >>> ds.bind_run("sqlite:////tmp/t.db", "abc123")
    >>> ds.run_target()
    RunTarget(tracking_uri='sqlite:////tmp/t.db', run_id='abc123')
"""

from __future__ import annotations

from dataclasses import dataclass

from tiffin.errors import NotFoundError

__all__ = ["RunBound", "RunTarget"]


@dataclass(frozen=True)
class RunTarget:
    """One run in one store."""

    tracking_uri: str
    run_id: str


class RunBound:
    """Mixin for datasets that log into a run.

    A ``run_id`` (and ``tracking_uri``) given in the catalog wins; otherwise the hook binds the
    run of the current ``kedro run``. ``logging_enabled`` is switched off by the hook for
    pipelines whose tracking is disabled in ``tiffin.yml``: saves then skip the logging.
    """

    run_id: str | None = None
    tracking_uri: str | None = None
    logging_enabled: bool = True
    _bound_run_id: str | None = None
    _bound_tracking_uri: str | None = None

    def bind_run(self, tracking_uri: str, run_id: str) -> None:
        self._bound_tracking_uri = tracking_uri
        self._bound_run_id = run_id

    def set_logging(self, enabled: bool) -> None:
        self.logging_enabled = enabled

    def run_target(self) -> RunTarget:
        """The run to log into: the catalog's ``run_id`` or the hook's; else a clear error."""
        from tiffin.store.tracking_uri import get_tracking_uri, normalize_tracking_uri

        run_id = self.run_id or self._bound_run_id
        if run_id is None:
            raise NotFoundError(
                f"{type(self).__name__}: no run to log into; give run_id= in the catalog, or run "
                "the pipeline with `kedro run` so the tiffin hook opens one"
            )
        uri = self.tracking_uri or self._bound_tracking_uri or get_tracking_uri()
        return RunTarget(normalize_tracking_uri(uri), run_id)
