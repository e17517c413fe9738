"""The Kedro integration's own error."""

from __future__ import annotations

from tiffin.errors import TiffinError

__all__ = ["PipelineModelError"]


class PipelineModelError(TiffinError, ValueError):
    """A training/inference pairing or a pipeline model cannot be built as asked.

    Raised at registration (``pipeline_ml_factory``) and before a run's first node, so a
    mistake costs seconds, not a training run. The message names the datasets at fault.
    """
