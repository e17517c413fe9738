"""The Kedro hook: one run per ``kedro run``, params, datasets bound to it, pipeline models.

Registered through Kedro's ``kedro.hooks`` entry point, so installing ``tiffin[kedro]`` is the
whole setup (opt out with ``DISABLE_HOOKS_FOR_PLUGINS = ("tiffin",)`` in ``settings.py``).

- ``after_context_created``: read ``tiffin.yml``; hand the catalog configuration to
  :mod:`~tiffin.integrations.kedro.pairing` so ``pipeline_ml_factory`` checks artifacts when
  pipelines are registered.
- ``before_pipeline_run``: check every pairing the run contains against the real catalog
  (before any node runs), open the run (or reuse ``TIFFIN_RUN_ID``), bind every logging
  dataset of the pipeline to it by id, log the params the pipeline reads.
- ``after_pipeline_run``: log (and register) each contained pairing's inference pipeline,
  then end the run FINISHED. A failure to log ends it FAILED and fails ``kedro run``.
- ``on_pipeline_error``: end the run FAILED.

A run reused from ``TIFFIN_RUN_ID`` belongs to whoever started it: it is logged into but never
ended here. The hook object is one per process (Kedro's choice); it keeps only the state of
the current session's run.

Example:
    >>> # settings.py of a project that opts out and registers the hook by hand:
    >>> from tiffin.integrations.kedro.hook import TiffinHook  # doctest: +SKIP
    >>> HOOKS = (TiffinHook(),)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kedro.framework.hooks import hook_impl

from tiffin.integrations.kedro.config import TiffinConfig
from tiffin.integrations.kedro.pairing import (
    PipelineModelSpec,
    check_persisted,
    pairings_in,
    set_registration_catalog,
)
from tiffin.integrations.kedro.run_binding import RunBound

__all__ = ["RUN_ID_ENV", "TiffinHook", "load_project_config", "tiffin_hook"]

RUN_ID_ENV = "TIFFIN_RUN_ID"
_MEMORY_TYPES = frozenset({"MemoryDataset", "kedro.io.MemoryDataset"})
_MEMORY_TYPES |= {"kedro.io.memory_dataset.MemoryDataset"}

log = logging.getLogger(__name__)


def load_project_config(context: Any) -> TiffinConfig:
    """``tiffin.yml`` of the context's environment, validated (defaults when absent)."""
    from kedro.config import MissingConfigException
    from kedro.framework.project import PACKAGE_NAME

    loader = context.config_loader
    patterns = getattr(loader, "config_patterns", None)
    if isinstance(patterns, dict):
        patterns.setdefault("tiffin", ["tiffin*", "tiffin*/**", "**/tiffin*"])
    try:
        data = loader["tiffin"]
    except (MissingConfigException, KeyError):
        data = {}
    return TiffinConfig.from_dict(data, context.project_path, PACKAGE_NAME or "kedro")


def _persisted_by_config(catalog_config: Mapping[str, Any]) -> Any:
    """A predicate over dataset names from the catalog YAML (patterns included)."""
    from kedro.io.catalog_config_resolver import CatalogConfigResolver

    plain = {
        name: {k: v for k, v in conf.items() if k != "credentials"}
        for name, conf in catalog_config.items()
        if isinstance(conf, Mapping)
    }
    resolver = CatalogConfigResolver(
        config=plain, default_runtime_patterns={"{default}": {"type": "kedro.io.MemoryDataset"}}
    )

    def persisted(name: str) -> bool:
        return str(resolver.resolve_pattern(name).get("type", "")) not in _MEMORY_TYPES

    return persisted


def _persisted_in(catalog: Any) -> Any:
    from kedro.io import MemoryDataset

    def persisted(name: str) -> bool:
        dataset = catalog.get(name)
        return dataset is not None and not isinstance(dataset, MemoryDataset)

    return persisted


@dataclass
class _Run:
    client: Any
    run_id: str
    owned: bool
    specs: list[PipelineModelSpec] = field(default_factory=list)


class TiffinHook:
    """See the module docstring; Kedro calls these methods by name."""

    def __init__(self) -> None:
        self._config: TiffinConfig | None = None
        self._run: _Run | None = None

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        _show_info(log)
        self._config = load_project_config(context)
        self._run = None
        try:
            catalog_config = context.config_loader["catalog"]
        except Exception as e:  # no catalog: registration checks fall back to run time
            log.debug("tiffin: no catalog config for registration checks (%s)", e)
            catalog_config = None
        set_registration_catalog(_persisted_by_config(catalog_config) if catalog_config else None)

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        set_registration_catalog(None)
        config = self._config
        if config is None:  # a session without our context hook (hook registered late)
            return
        specs = pairings_in(pipeline)
        for spec in specs:
            check_persisted(spec, _persisted_in(catalog))
        names = run_params.get("pipeline_names") or ["__default__"]
        datasets = _logging_datasets(pipeline, catalog, config.tracking_uri)
        if all(name in config.disable_pipelines for name in names):
            for dataset in datasets:
                dataset.set_logging(False)
            self._run = None
            return
        from tiffin.tracking import Client

        client = Client(config.tracking_uri)
        run = self._open_run(client, config, names, run_params)
        run.specs = specs
        self._run = run
        for dataset in datasets:
            dataset.bind_run(client.tracking_uri, run.run_id)
            dataset.set_logging(True)
        self._log_params(run, config, pipeline, catalog)

    def _open_run(
        self, client: Any, config: TiffinConfig, names: list[str], run_params: Mapping[str, Any]
    ) -> _Run:
        reused = os.environ.get(RUN_ID_ENV)
        if reused:
            client.tracking.get_run(reused)  # NotFoundError names the id if it is wrong
            return _Run(client, reused, owned=False)
        run = client.tracking.create_run(
            client.tracking.experiment_id_for(config.experiment),
            run_name=config.run_name or "+".join(names),
            tags=_tags(run_params),
        )
        return _Run(client, run.info.run_id, owned=True)

    def _log_params(self, run: _Run, config: TiffinConfig, pipeline: Any, catalog: Any) -> None:
        values: dict[str, Any] = {}
        for name in sorted(pipeline.inputs()):
            if name.startswith("params:"):
                values[name.removeprefix("params:")] = catalog.load(name)
            elif name == "parameters":
                values.update(catalog.load(name))
        logged, tags = config.split_params(values)
        if logged:
            run.client.tracking.log_params(run.run_id, logged)
        if tags:
            run.client.tracking.set_tags(run.run_id, tags)

    @hook_impl
    def after_pipeline_run(
        self, run_params: dict[str, Any], run_result: Any, pipeline: Any, catalog: Any
    ) -> None:
        run, self._run = self._run, None
        if run is None:
            return
        from tiffin.integrations.kedro.model_logging import log_pipeline_model

        try:
            for spec in run.specs:
                started = time.perf_counter()
                info = log_pipeline_model(run.client, run.run_id, spec, catalog)
                log.info("%s (%.2f s)", _logged(info, spec), time.perf_counter() - started)
        except BaseException:
            _end(run, "FAILED")
            raise
        _end(run, "FINISHED")

    @hook_impl
    def on_pipeline_error(
        self, error: Exception, run_params: dict[str, Any], pipeline: Any, catalog: Any
    ) -> None:
        set_registration_catalog(None)
        run, self._run = self._run, None
        if run is not None:
            _end(run, "FAILED")


def _show_info(logger: logging.Logger) -> None:
    """Kedro's logging config sets INFO for ``kedro`` only; ours would stay at WARNING.

    Only when the project's logging config says nothing about it (level NOTSET).
    """
    parent = logging.getLogger("tiffin.integrations.kedro")
    if parent.level == logging.NOTSET and logger.getEffectiveLevel() > logging.INFO:
        parent.setLevel(logging.INFO)


def _logged(info: Any, spec: PipelineModelSpec) -> str:
    """What the log says after a pipeline model is logged: where, and what was registered.

    Example:
        "tiffin: logged the pipeline model runs:/3f2a.../model; registered iris version 3;
        alias champion -> version 3"
    """
    text = f"tiffin: logged the pipeline model {info.model_uri}"
    if info.registered_model_version is None:
        return text + " (not registered: no registered_model_name)"
    text += f"; registered {spec.registered_model_name} version {info.registered_model_version}"
    if spec.alias:
        text += f"; alias {spec.alias} -> version {info.registered_model_version}"
    return text + f" (models:/{spec.registered_model_name}/{info.registered_model_version})"


def _end(run: _Run, status: str) -> None:
    if run.owned:
        run.client.tracking.update_run_status(run.run_id, status, int(time.time() * 1000))


def _logging_datasets(pipeline: Any, catalog: Any, tracking_uri: str) -> list[RunBound]:
    """The pipeline's datasets that log into the run; readers of the registry get the store."""
    found = []
    for name in sorted(pipeline.datasets()):
        dataset = catalog.get(name)
        use_store = getattr(dataset, "use_store", None)
        if use_store is not None:
            use_store(tracking_uri)
        if isinstance(dataset, RunBound):
            setter = getattr(dataset, "set_default_name", None)
            if setter is not None:
                setter(name)
            found.append(dataset)
    return found


def _tags(run_params: Mapping[str, Any]) -> dict[str, str]:
    """The Kedro run's settings as ``kedro.*`` tags (values as text; empty ones left out)."""
    tags = {f"kedro.{k}": str(v) for k, v in run_params.items() if v not in (None, [], {}, "")}
    runner = tags.get("kedro.runner", "")
    if runner.startswith("<") and " object at " in runner:  # Kedro passes the object's repr
        tags["kedro.runner"] = runner[1:].split(" object at ")[0].rsplit(".", 1)[-1]
    elif runner == "None":  # no --runner: Kedro's default
        tags["kedro.runner"] = "SequentialRunner"
    names = run_params.get("pipeline_names") or ["__default__"]
    tags["kedro.command"] = "kedro run --pipelines=" + ",".join(names)
    return tags


#: the instance Kedro's ``kedro.hooks`` entry point names
tiffin_hook = TiffinHook()
