"""The ``loader_module`` a Kedro pipeline model names, in MLflow's contract.

``mlflow.pyfunc.load_model`` puts the model's ``code/`` on ``sys.path`` and calls
``_load_pyfunc(data_path)`` here, so the same directory loads in MLflow wherever tiffin and the
project's dependencies are installed. tiffin itself maps this name to
:mod:`tiffin.integrations.kedro.pipeline_model` (see :mod:`tiffin.plugins`) and loads it through
its trust gate instead.

Example:
    >>> import mlflow.pyfunc  # doctest: +SKIP
    >>> mlflow.pyfunc.load_model("model").predict(df, params={"threshold": 0.9})  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__: list[str] = []


def _load_pyfunc(data_path: str, model_config: dict[str, Any] | None = None) -> Any:
    from tiffin.integrations.kedro.pipeline_model import load_pipeline

    return load_pipeline(Path(data_path))
