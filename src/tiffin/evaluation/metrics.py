"""Classifier and regressor metrics, computed by scikit-learn's own functions.

Each metric is scikit-learn's function on the same arrays a user would pass, so the values are
exactly what ``sklearn.metrics`` gives (the tests compare them). What is ours is only the
choice of which to compute and the checks that make the choice safe: a regressor evaluated as
a classifier, or targets with labels the model never learnt, are errors before any metric runs.

Names: ``accuracy``, ``precision``, ``recall``, ``f1`` (binary: of the positive class, by
default the greater of the two sorted labels as in scikit-learn, see :func:`positive_label`;
multiclass: weighted), ``precision_macro`` ... ``f1_weighted`` for multiclass,
``log_loss`` and ``roc_auc`` when the model gives probabilities; ``rmse``, ``mae``, ``r2``,
``mape`` for regressors.

Example:
    >>> import numpy as np
    >>> classifier_metrics(np.array([0, 1, 1]), np.array([0, 1, 0]), None, None)["accuracy"]
    0.6666666666666666
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tiffin.errors import SchemaError

__all__ = [
    "HIGHER_IS_BETTER",
    "check_classification",
    "classifier_metrics",
    "positive_label",
    "regressor_metrics",
]

#: metrics where a larger value is better; every other metric is better when smaller
HIGHER_IS_BETTER = frozenset(
    {"accuracy", "precision", "recall", "f1", "roc_auc", "r2"}
    | {f"{m}_{avg}" for m in ("precision", "recall", "f1") for avg in ("macro", "weighted")}
)


def check_classification(
    targets: np.ndarray, predictions: np.ndarray, classes: Sequence[Any] | None
) -> None:
    """Refuse what would make classifier metrics meaningless, naming what is wrong.

    Raises:
        SchemaError: continuous targets or predictions (a regressor), or target labels the
            model does not know.
    """
    from sklearn.utils.multiclass import type_of_target

    for what, values in (("targets", targets), ("predictions", predictions)):
        kind = type_of_target(values)
        if kind in ("continuous", "continuous-multioutput"):
            raise SchemaError(
                f"{what} are continuous numbers (e.g. {values[:3].tolist()}): this looks like "
                'a regressor; evaluate it with model_type="regressor"'
            )
        if kind not in ("binary", "multiclass"):
            raise SchemaError(f"{what} are {kind}; classifier evaluation needs class labels")
    if classes is not None:
        unseen = sorted(set(np.unique(targets).tolist()) - set(np.asarray(classes).tolist()))
        if unseen:
            raise SchemaError(
                f"targets contain labels the model never saw: {unseen[:20]}; "
                f"its classes are {np.asarray(classes).tolist()[:20]}"
            )


def positive_label(labels: Sequence[Any] | np.ndarray, pos_label: Any = None) -> Any:
    """The positive class of a binary problem: ``pos_label``, or the greater sorted label.

    The default is scikit-learn's: ``classes_[1]`` of a fitted classifier, whose classes are
    sorted, so ``True`` for booleans, ``1`` for ``{0, 1}`` and ``"yes"`` for ``"no"``/``"yes"``.
    Labels are compared as Python values, not with numpy's ``max`` (which has no loop for
    strings). A string ``pos_label`` also matches a label whose text it is (``"1"`` for ``1``,
    ``"True"`` for ``True``), as the CLI passes it.

    Raises:
        SchemaError: ``pos_label`` is not one of ``labels``.

    Example:
        >>> positive_label(["yes", "no"])
        'yes'
        >>> positive_label([0, 1], pos_label="0")
        0
    """
    values = sorted(set(np.asarray(labels).tolist()))
    if pos_label is None:
        return values[-1]
    if pos_label in values:
        return values[values.index(pos_label)]
    by_text = [v for v in values if isinstance(pos_label, str) and str(v) == pos_label]
    if len(by_text) == 1:
        return by_text[0]
    raise SchemaError(f"pos_label {pos_label!r} is not one of the labels {values[:20]}")


def classifier_metrics(
    targets: np.ndarray,
    predictions: np.ndarray,
    probabilities: np.ndarray | None,
    classes: Sequence[Any] | None,
    pos_label: Any = None,
) -> dict[str, float]:
    """Accuracy, precision, recall, F1 (+ log loss and ROC AUC with probabilities).

    Raises:
        SchemaError: ``pos_label`` for a multiclass problem, or not one of the labels.
    """
    from sklearn import metrics

    labels = np.unique(np.concatenate([np.unique(targets), np.unique(predictions)]))
    out = {"accuracy": float(metrics.accuracy_score(targets, predictions))}
    if len(labels) <= 2 and (classes is None or len(classes) <= 2):
        positive = positive_label(labels if classes is None else classes, pos_label)
        p, r, f, _ = metrics.precision_recall_fscore_support(
            targets, predictions, average="binary", pos_label=positive, zero_division=0
        )
        out |= {"precision": float(p), "recall": float(r), "f1": float(f)}
    else:
        if pos_label is not None:
            raise SchemaError(
                f"pos_label={pos_label!r} is for binary classifiers; this one has "
                f"{len(labels if classes is None else classes)} classes (metrics are averaged)"
            )
        by_average = {}
        for average in ("weighted", "macro"):
            p, r, f, _ = metrics.precision_recall_fscore_support(
                targets, predictions, average=average, zero_division=0
            )
            by_average[average] = {"precision": p, "recall": r, "f1": f}
        out |= by_average["weighted"]  # the plain names are the weighted averages
        for average in ("macro", "weighted"):
            out |= {f"{k}_{average}": v for k, v in by_average[average].items()}
    if probabilities is not None and classes is not None:
        out |= _probability_metrics(targets, probabilities, classes, pos_label)
    return {k: float(v) for k, v in out.items()}


def _probability_metrics(
    targets: np.ndarray, probabilities: np.ndarray, classes: Sequence[Any], pos_label: Any
) -> dict[str, float]:
    from sklearn import metrics

    labels = np.asarray(classes).tolist()
    out = {"log_loss": float(metrics.log_loss(targets, probabilities, labels=labels))}
    if len(np.unique(targets)) < 2:
        return out  # ROC AUC is undefined with one class present
    if len(labels) == 2:
        column = labels.index(positive_label(labels, pos_label))  # predict_proba's column order
        truth = targets == labels[column]
        out["roc_auc"] = float(metrics.roc_auc_score(truth, probabilities[:, column]))
    else:
        out["roc_auc"] = float(
            metrics.roc_auc_score(
                targets, probabilities, multi_class="ovr", average="weighted", labels=labels
            )
        )
    return out


def regressor_metrics(targets: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
    """RMSE, MAE, R2 and MAPE.

    Raises:
        SchemaError: targets or predictions that are not numbers.
    """
    from sklearn import metrics

    try:
        y = np.asarray(targets, dtype=np.float64)
        pred = np.asarray(predictions, dtype=np.float64).reshape(len(y), -1)
    except (TypeError, ValueError) as e:
        raise SchemaError(
            f"regressor evaluation needs numeric targets and predictions ({e}); "
            'is this a classifier? evaluate it with model_type="classifier"'
        ) from e
    if pred.shape[1] != 1:
        raise SchemaError(f"regressor predictions must be one value per row; got {pred.shape}")
    pred = pred[:, 0]
    return {
        "rmse": float(metrics.root_mean_squared_error(y, pred)),
        "mae": float(metrics.mean_absolute_error(y, pred)),
        "r2": float(metrics.r2_score(y, pred)),
        "mape": float(metrics.mean_absolute_percentage_error(y, pred)),
    }
