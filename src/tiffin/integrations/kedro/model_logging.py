"""Log a paired inference pipeline as a model into a run: what the hook and ``modelify`` share.

Example:
    >>> info = log_pipeline_model(Client(uri), run_id, spec, catalog)  # doctest: +SKIP
    >>> info.model_uri  # doctest: +SKIP
    'runs:/<run_id>/model'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tiffin.integrations.kedro.pairing import PipelineModelSpec

__all__ = ["MODEL_URI_TAG", "log_pipeline_model"]

#: run tag naming the pipeline model the run logged (``kedro tiffin serve`` looks for it)
MODEL_URI_TAG = "tiffin.kedro.model_uri"


def log_pipeline_model(client: Any, run_id: str, spec: PipelineModelSpec, catalog: Any) -> Any:
    """Save the inference pipeline, publish it in the run, register it and move the alias.

    Returns the :class:`tiffin.tracking.ModelInfo`.
    """
    from tiffin.integrations.kedro.pipeline_model import save_pipeline_model

    def save(_: Any, path: Path) -> Any:
        return save_pipeline_model(
            path,
            spec.inference,
            catalog,
            spec.input_names,
            output_names=spec.output_names,
            signature=spec.signature,
            input_example=spec.input_example,
            sample_rows=spec.sample_rows,
            pip_requirements=spec.pip_requirements,
            extra_pip_requirements=spec.extra_pip_requirements,
            metadata=spec.metadata,
        )

    info = client.log_model(
        run_id, save, None, spec.name, registered_model_name=spec.registered_model_name
    )
    client.tracking.set_tag(run_id, MODEL_URI_TAG, info.model_uri)
    if spec.alias and spec.registered_model_name and info.registered_model_version is not None:
        client.registry.set_registered_model_alias(
            spec.registered_model_name, spec.alias, info.registered_model_version
        )
    return info
