"""Kedro integration: whole inference pipelines as one model, catalog datasets, a hook, a CLI.

Installed with ``pip install "tiffin[kedro]"``; Kedro finds the hook and the ``kedro tiffin``
commands through its own entry points. Names are imported on first use so that a catalog
``type: tiffin.integrations.kedro.MetricDataset`` (or the short ``tiffin.kedro.MetricDataset``)
pulls in only what it needs, and the predict path of a served pipeline never imports
``kedro.framework`` (which installs a logging handler and costs ~0.2 s).

Example:
    >>> from tiffin.integrations.kedro import pipeline_ml_factory  # doctest: +SKIP
    >>> training = pipeline_ml_factory(train, infer, input_name="instances")  # doctest: +SKIP
"""

from __future__ import annotations

from tiffin._lazy import lazy_names

__all__ = [
    "ArtifactDataset",
    "MetricDataset",
    "MetricHistoryDataset",
    "MetricsDataset",
    "ModelLocalFileSystemDataset",
    "ModelRegistryDataset",
    "ModelTrackingDataset",
    "PipelineModelError",
    "pipeline_ml_factory",
]

_WHERE = {
    "pipeline_ml_factory": "tiffin.integrations.kedro.pairing",
    "PipelineModelError": "tiffin.integrations.kedro.errors",
    "ArtifactDataset": "tiffin.integrations.kedro.datasets_artifact",
    "MetricDataset": "tiffin.integrations.kedro.datasets_metrics",
    "MetricHistoryDataset": "tiffin.integrations.kedro.datasets_metrics",
    "MetricsDataset": "tiffin.integrations.kedro.datasets_metrics",
    "ModelTrackingDataset": "tiffin.integrations.kedro.datasets_models",
    "ModelLocalFileSystemDataset": "tiffin.integrations.kedro.datasets_models",
    "ModelRegistryDataset": "tiffin.integrations.kedro.datasets_models",
}


__getattr__ = lazy_names(__name__, _WHERE)
