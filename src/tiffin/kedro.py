"""Short names for Kedro catalogs: ``type: tiffin.kedro.MetricDataset``.

Same objects as :mod:`tiffin.integrations.kedro`, imported on first use.

Example:
    >>> from tiffin.kedro import pipeline_ml_factory  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

__all__: list[str] = []  # every name of tiffin.integrations.kedro, resolved on first use


def __getattr__(name: str) -> Any:
    return getattr(importlib.import_module("tiffin.integrations.kedro"), name)
