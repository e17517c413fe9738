"""Evaluation plots as PNG files, drawn headless with matplotlib's Agg backend.

Figures are made with the object API (``Figure`` + its own canvas), never ``pyplot``: no
global figure registry, no GUI backend, safe from several threads, and nothing leaks between
calls. Scatter plots of large data draw a fixed, seeded sample of at most
:data:`SCATTER_POINTS` points, so 100,000 rows cost what 5,000 do and the file is the same on
every run; curves come from scikit-learn with intermediate points dropped.

Example:
    >>> paths = classifier_plots(y, pred, proba, classes, Path("out"))  # doctest: +SKIP
    >>> sorted(paths)  # doctest: +SKIP
    ['confusion_matrix', 'precision_recall_curve', 'roc_curve']
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["SCATTER_POINTS", "classifier_plots", "regressor_plots"]

SCATTER_POINTS = 5_000
_SIZE = (6.4, 4.8)  # inches; 100 dpi gives 640 x 480 PNGs
_DPI = 100


def _figure() -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=_SIZE, dpi=_DPI)
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Any, path: Path, *, left: float = 0.12, bottom: float = 0.12) -> Path:
    # Fixed margins, not tight_layout(): that draws every figure twice (~50 ms each).
    figure.subplots_adjust(left=left, bottom=bottom, right=0.95, top=0.92)
    figure.savefig(path, format="png", dpi=_DPI, metadata={"Software": None})
    return path


def classifier_plots(
    targets: np.ndarray,
    predictions: np.ndarray,
    probabilities: np.ndarray | None,
    classes: Sequence[Any] | None,
    out_dir: Path,
    pos_label: Any = None,
) -> dict[str, Path]:
    """Confusion matrix, and ROC and precision-recall curves when there are probabilities."""
    from sklearn import metrics

    from tiffin.evaluation.metrics import positive_label

    labels = list(classes) if classes is not None else sorted(set(np.unique(targets)))
    paths = {"confusion_matrix": _confusion(targets, predictions, labels, out_dir)}
    if probabilities is None or classes is None or len(np.unique(targets)) < 2:
        return paths
    roc, pr = _figure(), _figure()
    roc_ax, pr_ax = roc.add_subplot(), pr.add_subplot()
    if len(labels) == 2:  # binary: the positive class only
        shown = [np.asarray(labels).tolist().index(positive_label(labels, pos_label))]
    else:
        shown = list(range(len(labels)))
    for i in shown:
        truth = targets == labels[i]
        if not truth.any() or truth.all():
            continue
        fpr, tpr, _ = metrics.roc_curve(truth, probabilities[:, i], drop_intermediate=True)
        auc = metrics.auc(fpr, tpr)
        roc_ax.plot(fpr, tpr, label=f"{labels[i]} (AUC {auc:.3f})")
        precision, recall, _ = metrics.precision_recall_curve(
            truth, probabilities[:, i], drop_intermediate=True
        )
        pr_ax.plot(recall, precision, label=str(labels[i]))
    roc_ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    roc_ax.set(xlabel="False positive rate", ylabel="True positive rate", title="ROC curve")
    pr_ax.set(xlabel="Recall", ylabel="Precision", title="Precision-recall curve")
    for ax in (roc_ax, pr_ax):
        ax.legend(loc="best", fontsize="small")
    paths["roc_curve"] = _save(roc, out_dir / "roc_curve.png")
    paths["precision_recall_curve"] = _save(pr, out_dir / "precision_recall_curve.png")
    return paths


def _confusion(
    targets: np.ndarray, predictions: np.ndarray, labels: list[Any], out_dir: Path
) -> Path:
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(targets, predictions, labels=labels)
    figure = _figure()
    ax = figure.add_subplot()
    image = ax.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=ax)
    ticks = range(len(labels))
    ax.set(xticks=ticks, yticks=ticks, xlabel="Predicted", ylabel="True", title="Confusion matrix")
    ax.set_xticklabels([str(x) for x in labels], rotation=45, ha="right")
    ax.set_yticklabels([str(x) for x in labels])
    if len(labels) <= 20:
        threshold = matrix.max() / 2 if matrix.size else 0
        for (i, j), count in np.ndenumerate(matrix):
            color = "white" if count > threshold else "black"
            ax.text(j, i, str(count), ha="center", va="center", color=color, fontsize="small")
    return _save(figure, out_dir / "confusion_matrix.png", left=0.2, bottom=0.22)


def _sample(n: int) -> np.ndarray:
    if n <= SCATTER_POINTS:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, SCATTER_POINTS, replace=False))


def regressor_plots(targets: np.ndarray, predictions: np.ndarray, out_dir: Path) -> dict[str, Path]:
    """Residuals against predictions, and predictions against actual values."""
    y = np.asarray(targets, dtype=np.float64)
    pred = np.asarray(predictions, dtype=np.float64).reshape(len(y))
    keep = _sample(len(y))
    y, pred = y[keep], pred[keep]
    residuals = _figure()
    ax = residuals.add_subplot()
    ax.scatter(pred, y - pred, s=4, alpha=0.5)
    ax.axhline(0, color="grey", linestyle="--", linewidth=1)
    ax.set(xlabel="Predicted", ylabel="Residual (actual - predicted)", title="Residuals")
    versus = _figure()
    ax = versus.add_subplot()
    ax.scatter(y, pred, s=4, alpha=0.5)
    low, high = float(min(y.min(), pred.min())), float(max(y.max(), pred.max()))
    ax.plot([low, high], [low, high], color="grey", linestyle="--", linewidth=1)
    ax.set(xlabel="Actual", ylabel="Predicted", title="Predicted vs actual")
    return {
        "residuals": _save(residuals, out_dir / "residuals.png"),
        "predicted_vs_actual": _save(versus, out_dir / "predicted_vs_actual.png"),
    }
