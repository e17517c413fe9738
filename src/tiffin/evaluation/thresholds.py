"""Validation: absolute thresholds and improvement over a baseline, all failures at once.

A CI job that gates a registration wants one run to say everything that is wrong, with the
numbers, not the first failure. Direction comes from the metric: ``f1 >= 0.8`` but
``rmse <= 3.0``.

Example:
    >>> failures({"f1": 0.7, "rmse": 2.0}, {"f1": 0.8, "rmse": 3.0})
    ['f1 = 0.7000, below the threshold 0.8000']
"""

from __future__ import annotations

from collections.abc import Mapping

from tiffin.errors import SchemaError, ValidationError
from tiffin.evaluation.metrics import HIGHER_IS_BETTER

__all__ = ["check", "failures"]


def _known(names: Mapping[str, float] | set[str], metrics: Mapping[str, float], what: str) -> None:
    unknown = sorted(set(names) - set(metrics))
    if unknown:
        raise SchemaError(
            f"{what} name metrics this evaluation does not compute: {unknown}; "
            f"it computes {sorted(metrics)}"
        )


def failures(
    metrics: Mapping[str, float],
    thresholds: Mapping[str, float] | None = None,
    baseline: Mapping[str, float] | None = None,
    min_relative_change: float | Mapping[str, float] | None = None,
) -> list[str]:
    """One line per failing check; empty when the model passes.

    ``min_relative_change`` compares with ``baseline``: a float applies to the thresholded
    metrics (every metric when there are none); a mapping names the metrics. Higher-is-better
    metrics must reach ``baseline * (1 + change)``, the others ``baseline * (1 - change)``.
    """
    thresholds = dict(thresholds or {})
    _known(thresholds, metrics, "validation_thresholds")
    lines = []
    for name, limit in sorted(thresholds.items()):
        value = metrics[name]
        if name in HIGHER_IS_BETTER and not value >= limit:
            lines.append(f"{name} = {value:.4f}, below the threshold {limit:.4f}")
        elif name not in HIGHER_IS_BETTER and not value <= limit:
            lines.append(f"{name} = {value:.4f}, above the threshold {limit:.4f}")
    if baseline is None:
        return lines
    if isinstance(min_relative_change, Mapping):
        changes = {k: float(v) for k, v in min_relative_change.items()}
    else:
        names = thresholds or metrics
        changes = {name: float(min_relative_change or 0.0) for name in names}
    _known(changes, metrics, "min_relative_change")
    for name, change in sorted(changes.items()):
        value, base = metrics[name], baseline.get(name)
        if base is None:
            continue
        higher = name in HIGHER_IS_BETTER
        needed = base + abs(base) * change if higher else base - abs(base) * change
        if (higher and not value >= needed) or (not higher and not value <= needed):
            word = "at least" if higher else "at most"
            lines.append(
                f"{name} = {value:.4f}, baseline {base:.4f}: needs {word} {needed:.4f} "
                f"({change:+.1%} relative change)"
            )
    return lines


def check(
    metrics: Mapping[str, float],
    thresholds: Mapping[str, float] | None = None,
    baseline: Mapping[str, float] | None = None,
    min_relative_change: float | Mapping[str, float] | None = None,
) -> None:
    """Raise :class:`ValidationError` listing every failure.

    Example:
        >>> check({"f1": 0.9}, {"f1": 0.8})
    """
    lines = failures(metrics, thresholds, baseline, min_relative_change)
    if lines:
        raise ValidationError(
            f"the model failed {len(lines)} validation check(s):\n" + "\n".join(lines)
        )
