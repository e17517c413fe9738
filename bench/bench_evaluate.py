"""Evaluating 100,000 rows: tiffin.evaluate vs the same metrics with scikit-learn directly.

On one loaded model and one 100,000-row frame, per round:

- ``floor``: what a user writes by hand: ``est.predict``, ``est.predict_proba`` and one
  scikit-learn call per metric (``accuracy_score``, ``precision_score``/``recall_score``/
  ``f1_score`` macro and weighted, ``log_loss``, ``roc_auc_score``); for the regressor
  ``predict`` and ``root_mean_squared_error``, ``mean_absolute_error``, ``r2_score``,
  ``mean_absolute_percentage_error``;
- ``tiffin metrics``: ``tiffin.evaluate(model, frame, targets=..., plots=False)`` on the tiffin
  pyfunc model (signature enforced, checks, the same metrics);
- ``tiffin + plots``: the same with the PNG plots (for information: plots are not metrics);
- ``mlflow``: ``mlflow.models.evaluate`` on the MLflow-saved model (its default evaluator:
  metrics and plots; once, it takes seconds).

Target: tiffin metrics / floor - 1 < 20% (paired median over rounds).

Usage: ``.venv/bin/python bench/bench_evaluate.py [--quick]``
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import Report, quiet_mlflow

ROWS = 100_000
ROUNDS = 9


def data(kind: str) -> tuple[Any, Any, Any]:
    """(fitted estimator, features frame, targets) for ``classifier`` or ``regressor``."""
    import pandas as pd
    from sklearn.datasets import make_classification, make_regression
    from sklearn.linear_model import LinearRegression, LogisticRegression

    if kind == "classifier":
        X, y = make_classification(
            n_samples=ROWS, n_features=20, n_informative=10, n_classes=3, random_state=0
        )
        est = LogisticRegression(max_iter=300).fit(X, y)
    else:
        X, y = make_regression(n_samples=ROWS, n_features=20, noise=5.0, random_state=0)
        y = y + 1000.0  # keeps MAPE finite
        est = LinearRegression().fit(X, y)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    return est, frame, y


def floor(kind: str, est: Any, frame: Any, y: Any) -> dict[str, float]:
    from sklearn import metrics as m

    pred = est.predict(frame)
    if kind == "regressor":
        return {
            "rmse": m.root_mean_squared_error(y, pred),
            "mae": m.mean_absolute_error(y, pred),
            "r2": m.r2_score(y, pred),
            "mape": m.mean_absolute_percentage_error(y, pred),
        }
    proba = est.predict_proba(frame)
    out = {"accuracy": m.accuracy_score(y, pred)}
    for avg in ("macro", "weighted"):
        out[f"precision_{avg}"] = m.precision_score(y, pred, average=avg)
        out[f"recall_{avg}"] = m.recall_score(y, pred, average=avg)
        out[f"f1_{avg}"] = m.f1_score(y, pred, average=avg)
    out["log_loss"] = m.log_loss(y, proba)
    out["roc_auc"] = m.roc_auc_score(y, proba, multi_class="ovr", average="weighted")
    return out


def main(argv: list[str]) -> int:

    import tiffin
    import tiffin.pyfunc
    import tiffin.sklearn

    quiet_mlflow()
    rounds = 3 if "--quick" in argv else ROUNDS
    report = Report("evaluate", f"tiffin.evaluate on {ROWS:,} rows vs scikit-learn directly")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for kind in ("classifier", "regressor"):
            est, frame, y = data(kind)
            sig = tiffin.infer_signature(frame.head(5), est.predict(frame.head(5)))
            tiffin.sklearn.save_model(est, root / kind, signature=sig)
            model = tiffin.pyfunc.load_model(root / kind)
            expected = floor(kind, est, frame, y)
            got = tiffin.evaluate(model, frame, targets=y, model_type=kind, plots=False).metrics
            for name, value in expected.items():  # same numbers, or the timing means nothing
                assert abs(got[name] - value) <= 1e-9 * max(1.0, abs(value)), (name, got, value)
            variants = _variants(kind, est, model, frame, y, root / "plots")
            for fn in variants.values():
                fn()  # warm-up: imports, first matplotlib font cache
            for i in range(rounds):
                order = list(variants.items())
                order = order[i % len(order) :] + order[: i % len(order)]
                for label, fn in order:
                    start = time.perf_counter()
                    fn()
                    report.add(label, time.perf_counter() - start)
            mlflow_seconds = _mlflow_once(kind, est, frame, y, root)
            report.add(f"{kind}: mlflow evaluate", mlflow_seconds)
            over = report.paired(f"{kind}: tiffin metrics", f"{kind}: floor") - 1
            report.target(
                f"{kind}: tiffin.evaluate adds < 20% over scikit-learn on {ROWS:,} rows",
                over,
                lambda v: v < 0.20,
                f"{over:+.1%} (tiffin {report.med(f'{kind}: tiffin metrics'):.3f} s, floor "
                f"{report.med(f'{kind}: floor'):.3f} s; with plots "
                f"{report.med(f'{kind}: tiffin + plots'):.3f} s; mlflow {mlflow_seconds:.2f} s)",
            )
    report.print_table(floor=lambda label: label.split(": ")[0] + ": floor")
    return report.finish()


def _variants(kind: str, est: Any, model: Any, frame: Any, y: Any, plots: Path) -> dict[str, Any]:
    import tiffin

    def metrics_only() -> Any:
        return tiffin.evaluate(model, frame, targets=y, model_type=kind, plots=False)

    def with_plots() -> Any:
        return tiffin.evaluate(model, frame, targets=y, model_type=kind, output_dir=plots)

    return {
        f"{kind}: floor": lambda: floor(kind, est, frame, y),
        f"{kind}: tiffin metrics": metrics_only,
        f"{kind}: tiffin + plots": with_plots,
    }


def _mlflow_once(kind: str, est: Any, frame: Any, y: Any, root: Path) -> float:
    """One ``mlflow.models.evaluate`` (default evaluator, metrics + plots), timed."""
    import mlflow
    import mlflow.sklearn

    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    experiment = mlflow.get_experiment_by_name("bench") or mlflow.get_experiment(
        mlflow.create_experiment("bench", artifact_location=(root / "mlartifacts").as_uri())
    )  # artifacts in the temporary directory, not ./mlruns
    with mlflow.start_run(experiment_id=experiment.experiment_id):
        info = mlflow.sklearn.log_model(est, name=kind, pip_requirements=["scikit-learn"])
        start = time.perf_counter()
        mlflow.models.evaluate(
            info.model_uri,
            frame.assign(target=y),
            targets="target",
            model_type=kind,
            evaluators="default",
        )
        return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
