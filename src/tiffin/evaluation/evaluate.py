"""``tiffin.evaluate``: metrics and plots for a model on labelled data, logged into a run.

The model predicts through pyfunc, so a signature is enforced exactly as in ``predict``, once:
the enforced input is reused for ``predict_proba`` when the model has one. Metrics are
scikit-learn's (:mod:`~tiffin.evaluation.metrics`), plots matplotlib's
(:mod:`~tiffin.evaluation.plots`). Inside an active run, or with ``run_id=``, the metrics and
the plots (under ``evaluation/``) are logged; thresholds are checked last, so a failing model is
still on record before :class:`~tiffin.errors.ValidationError` is raised.

Example:
    >>> result = tiffin.evaluate(  # doctest: +SKIP
    ...     "models:/iris@champion", frame, targets="species", validation_thresholds={"f1": 0.8}
    ... )
    >>> result.metrics["accuracy"], result.artifacts["confusion_matrix"]  # doctest: +SKIP
    (0.973, PosixPath('/tmp/tiffin-evaluation-.../confusion_matrix.png'))
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tiffin.errors import SchemaError, ValidationError

__all__ = ["EvaluationResult", "evaluate"]

MODEL_TYPES = ("classifier", "regressor")
EVALUATORS = ("default",)
ARTIFACT_PATH = "evaluation"


@dataclass(frozen=True)
class EvaluationResult:
    """What an evaluation computed: metrics by name, plot files by name, and where it went."""

    metrics: dict[str, float]
    artifacts: dict[str, Path]
    baseline_metrics: dict[str, float] | None = None
    run_id: str | None = None
    passed: bool = True
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Predictions:
    values: np.ndarray
    probabilities: np.ndarray | None
    classes: Sequence[Any] | None


def _as_model(model: Any, trust: bool) -> Any:
    from tiffin.pyfunc.model import PyFuncModel

    if isinstance(model, PyFuncModel):
        return model
    if isinstance(model, str | Path):
        from tiffin.pyfunc import load_model

        return load_model(model, trust=trust)
    raise SchemaError(
        f"evaluate takes a model URI or a loaded tiffin PyFuncModel; got {type(model).__name__}"
    )


def _column(output: Any, rows: int) -> np.ndarray:
    """A prediction output (frame, series, array, list) as one value per row."""
    if hasattr(output, "columns"):
        if output.shape[1] != 1:
            raise SchemaError(
                f"predictions have {output.shape[1]} columns {list(output.columns)[:10]}; "
                "evaluation needs one prediction per row"
            )
        output = output.iloc[:, 0]
    values = np.asarray(output)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1 or len(values) != rows:
        raise SchemaError(
            f"predictions have shape {values.shape} for {rows} rows; evaluation needs one per row"
        )
    return values


def _predict(
    model: Any, features: Any, params: Mapping[str, Any] | None, proba: bool
) -> _Predictions:
    data, checked = model.prepare(features, params)
    output = model.predict_prepared(data, checked)
    raw = model.get_raw_model()
    classes = getattr(raw, "classes_", None)
    rows = len(features)
    values = np.asarray(output) if not hasattr(output, "columns") else output
    if classes is not None and np.ndim(values) == 2 and np.shape(values)[1] == len(classes) > 1:
        # a pyfunc whose predict_fn is predict_proba: probabilities in, labels derived
        matrix = np.asarray(values, dtype=np.float64)
        return _Predictions(np.asarray(classes)[matrix.argmax(axis=1)], matrix, classes)
    labels = _column(output, rows)
    probabilities = None
    if proba and classes is not None and callable(getattr(raw, "predict_proba", None)):
        probabilities = np.asarray(raw.predict_proba(data), dtype=np.float64)
    return _Predictions(labels, probabilities, classes)


def _metrics(
    model_type: str, targets: np.ndarray, pred: _Predictions, pos_label: Any = None
) -> dict[str, float]:
    from tiffin.evaluation import metrics

    if model_type == "classifier":
        metrics.check_classification(targets, pred.values, pred.classes)
        return metrics.classifier_metrics(
            targets, pred.values, pred.probabilities, pred.classes, pos_label
        )
    return metrics.regressor_metrics(targets, pred.values)


def _run_id(run_id: str | None) -> str | None:
    if run_id is not None:
        return run_id
    from tiffin.tracking import active_run

    run = active_run()
    return None if run is None else str(run.info.run_id)


def evaluate(
    model: Any,
    data: Any,
    *,
    targets: str | Sequence[Any] | Any,
    model_type: str = "classifier",
    evaluators: str | Sequence[str] | None = "default",
    params: Mapping[str, Any] | None = None,
    validation_thresholds: Mapping[str, float] | None = None,
    baseline_model: Any = None,
    min_relative_change: float | Mapping[str, float] | None = None,
    run_id: str | None = None,
    output_dir: str | Path | None = None,
    plots: bool = True,
    trust: bool = False,
    pos_label: Any = None,
) -> EvaluationResult:
    """Evaluate a model on labelled data: metrics, plots, logging, thresholds.

    Args:
        model: a model URI or path (any ``load_model`` accepts) or a loaded ``PyFuncModel``.
        data: a DataFrame with the target column, or the features alone (DataFrame/array).
        targets: the target column's name in ``data``, or an array of targets.
        model_type: ``"classifier"`` or ``"regressor"``.
        evaluators: ``"default"`` (the only one so far).
        params: predict-time params, as for ``predict``.
        validation_thresholds: ``{"f1": 0.8, "rmse": 3.0}``: the model must reach each.
        baseline_model: a model evaluated on the same data to compare with.
        min_relative_change: the relative improvement over the baseline required (a float for
            the thresholded metrics, or all metrics when none; or a mapping per metric).
        run_id: the run to log into (default: the active run; none: nothing is logged).
        output_dir: where the PNG files go (default: a new temporary directory).
        plots: draw the plots (off: metrics only).
        trust: passed to ``load_model`` for URIs.
        pos_label: the positive class of a binary classifier (precision, recall, F1, ROC
            AUC and the curves); default scikit-learn's, the greater of the sorted labels
            (``True``, ``1`` of ``{0, 1}``, ``"yes"`` of ``"no"``/``"yes"``).

    Raises:
        SchemaError: bad data, targets, model type, or a model that does not fit the type.
        ValidationError: a threshold failed; lists every failing metric with both values.

    Example:
        >>> result = evaluate(model, df, targets="y", model_type="regressor")  # doctest: +SKIP
        >>> result.metrics["rmse"]  # doctest: +SKIP
        0.42
    """
    from tiffin.evaluation.data import split_targets
    from tiffin.evaluation.thresholds import check, failures

    _check_arguments(model_type, evaluators, plots)
    features, target_values = split_targets(data, targets)
    loaded = _as_model(model, trust)
    pred = _predict(loaded, features, params, proba=model_type == "classifier")
    metrics = _metrics(model_type, target_values, pred, pos_label)
    baseline = None
    if baseline_model is not None:
        base_pred = _predict(_as_model(baseline_model, trust), features, params, proba=True)
        baseline = _metrics(model_type, target_values, base_pred, pos_label)
    artifacts = {}
    if plots:  # a temporary directory only when there is something to put in it
        out_dir = Path(output_dir or tempfile.mkdtemp(prefix="tiffin-evaluation-"))
        artifacts = _plots(model_type, target_values, pred, out_dir, pos_label)
    rid = _run_id(run_id)
    if rid is not None:
        _log(rid, metrics, artifacts)
    lines = failures(metrics, validation_thresholds, baseline, min_relative_change)
    result = EvaluationResult(metrics, artifacts, baseline, rid, not lines, lines)
    try:
        check(metrics, validation_thresholds, baseline, min_relative_change)
    except ValidationError as e:
        e.result = result  # type: ignore[attr-defined]  # the figures, for the caller's report
        raise
    return result


def _check_arguments(model_type: str, evaluators: str | Sequence[str] | None, plots: bool) -> None:
    from tiffin.plugins import import_optional

    if model_type not in MODEL_TYPES:
        raise SchemaError(f"model_type is {model_type!r}; expected one of {MODEL_TYPES}")
    chosen = [evaluators] if isinstance(evaluators, str) else list(evaluators or EVALUATORS)
    if set(chosen) - set(EVALUATORS):
        raise SchemaError(f"unknown evaluators {sorted(set(chosen) - set(EVALUATORS))}")
    import_optional("sklearn.metrics", "evaluate")  # a clear "pip install tiffin[evaluate]"
    if plots:
        import_optional("matplotlib", "evaluate")


def _plots(
    model_type: str, targets: np.ndarray, pred: _Predictions, out_dir: Path, pos_label: Any
) -> dict[str, Path]:
    from tiffin.evaluation import plots

    out_dir.mkdir(parents=True, exist_ok=True)
    if model_type == "classifier":
        return plots.classifier_plots(
            targets, pred.values, pred.probabilities, pred.classes, out_dir, pos_label
        )
    return plots.regressor_plots(targets, pred.values, out_dir)


def _log(run_id: str, metrics: Mapping[str, float], artifacts: Mapping[str, Path]) -> None:
    import tiffin.tracking as tracking

    tracking.log_metrics(dict(metrics), run_id=run_id)
    for path in artifacts.values():
        tracking.log_artifact(path, ARTIFACT_PATH, run_id=run_id)
