"""Model evaluation: scikit-learn metrics, matplotlib plots, thresholds that gate a release.

Example:
    >>> import tiffin
    >>> result = tiffin.evaluate("models:/iris@champion", df, targets="species")  # doctest: +SKIP
"""

from __future__ import annotations

from tiffin.evaluation.evaluate import EvaluationResult, evaluate

__all__ = ["EvaluationResult", "evaluate"]
