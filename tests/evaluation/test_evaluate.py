"""tiffin.evaluate: metrics equal scikit-learn's, real PNG plots, logging, thresholds, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread
from sklearn import metrics
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.linear_model import LinearRegression, LogisticRegression

import tiffin
import tiffin.sklearn
from tiffin.errors import SchemaError, ValidationError


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, Any]:
    X, y = load_iris(return_X_y=True, as_frame=True)
    labels = pd.Series(np.array(["setosa", "versicolor", "virginica"])[y], name="species")
    model = LogisticRegression(max_iter=500).fit(X, labels)
    path = tmp_path_factory.mktemp("eval") / "iris"
    tiffin.sklearn.save_model(model, path, input_example=X.head(3))
    return path, X.assign(species=labels), model


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, Any]:
    X, y = make_classification(n_samples=400, n_features=5, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    model = LogisticRegression().fit(frame, y)
    path = tmp_path_factory.mktemp("eval") / "binary"
    tiffin.sklearn.save_model(model, path, input_example=frame.head(3))
    return path, frame.assign(y=y), model


@pytest.fixture(scope="module")
def diabetes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, Any]:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = LinearRegression().fit(X, y)
    path = tmp_path_factory.mktemp("eval") / "diabetes"
    tiffin.sklearn.save_model(model, path, input_example=X.head(3))
    return path, X.assign(progression=y), model


def test_multiclass_metrics_equal_sklearn_on_the_same_data(iris: Any, tmp_path: Path) -> None:
    path, frame, model = iris
    result = tiffin.evaluate(path, frame, targets="species", output_dir=tmp_path)
    X, y = frame.drop(columns="species"), frame["species"]
    pred, proba = model.predict(X), model.predict_proba(X)
    expected = {
        "accuracy": metrics.accuracy_score(y, pred),
        "precision_macro": metrics.precision_score(y, pred, average="macro"),
        "recall_macro": metrics.recall_score(y, pred, average="macro"),
        "f1_macro": metrics.f1_score(y, pred, average="macro"),
        "precision_weighted": metrics.precision_score(y, pred, average="weighted"),
        "recall_weighted": metrics.recall_score(y, pred, average="weighted"),
        "f1_weighted": metrics.f1_score(y, pred, average="weighted"),
        "f1": metrics.f1_score(y, pred, average="weighted"),
        "log_loss": metrics.log_loss(y, proba),
        "roc_auc": metrics.roc_auc_score(y, proba, multi_class="ovr", average="weighted"),
    }
    for name, value in expected.items():
        assert result.metrics[name] == pytest.approx(value, rel=1e-12), name


def test_binary_metrics_equal_sklearn(binary: Any, tmp_path: Path) -> None:
    path, frame, model = binary
    result = tiffin.evaluate(path, frame.drop(columns="y"), targets=frame["y"].to_numpy())
    X, y = frame.drop(columns="y"), frame["y"]
    pred, proba = model.predict(X), model.predict_proba(X)[:, 1]
    assert result.metrics["precision"] == pytest.approx(metrics.precision_score(y, pred))
    assert result.metrics["recall"] == pytest.approx(metrics.recall_score(y, pred))
    assert result.metrics["f1"] == pytest.approx(metrics.f1_score(y, pred))
    assert result.metrics["roc_auc"] == pytest.approx(metrics.roc_auc_score(y, proba))
    assert result.metrics["log_loss"] == pytest.approx(metrics.log_loss(y, proba))
    assert "f1_macro" not in result.metrics


def _binary_labelled(mapping: dict[int, Any], tmp_path: Path) -> tuple[Path, pd.DataFrame, Any]:
    X, y = make_classification(n_samples=300, n_features=4, random_state=1)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(4)])
    labels = np.array([mapping[int(v)] for v in y])
    model = LogisticRegression().fit(frame, labels)
    tiffin.sklearn.save_model(model, tmp_path / "m", input_example=frame.head(3))
    return tmp_path / "m", frame.assign(label=labels), model


@pytest.mark.parametrize(
    ("mapping", "positive"),
    [
        ({0: "no", 1: "yes"}, "yes"),
        ({0: "yes", 1: "no"}, "yes"),  # the greater label, whatever the encoding was
        ({0: False, 1: True}, True),
        ({0: 0, 1: 1}, 1),
        ({0: 3, 1: 7}, 7),
    ],
    ids=["strings", "strings-swapped", "booleans", "zero-one", "ints"],
)
def test_binary_positive_label_is_the_greater_label_as_in_sklearn(
    mapping: dict[int, Any], positive: Any, tmp_path: Path
) -> None:
    path, frame, model = _binary_labelled(mapping, tmp_path)
    result = tiffin.evaluate(path, frame, targets="label", output_dir=tmp_path / "plots")
    X, y = frame.drop(columns="label"), frame["label"].to_numpy()
    pred, proba = model.predict(X), model.predict_proba(X)
    column = list(model.classes_).index(positive)
    assert result.metrics["f1"] == pytest.approx(metrics.f1_score(y, pred, pos_label=positive))
    assert result.metrics["precision"] == pytest.approx(
        metrics.precision_score(y, pred, pos_label=positive)
    )
    assert result.metrics["roc_auc"] == pytest.approx(
        metrics.roc_auc_score(y == positive, proba[:, column])
    )
    assert result.metrics["log_loss"] == pytest.approx(
        metrics.log_loss(y, proba, labels=model.classes_)
    )
    _looks_like_a_plot(result.artifacts["roc_curve"])


@pytest.mark.parametrize("given", ["no", "0"])
def test_pos_label_chooses_the_other_class(given: str, tmp_path: Path) -> None:
    mapping = {0: "no", 1: "yes"} if given == "no" else {0: 0, 1: 1}
    negative = mapping[0]
    path, frame, model = _binary_labelled(mapping, tmp_path)
    result = tiffin.evaluate(path, frame, targets="label", plots=False, pos_label=given)
    X, y = frame.drop(columns="label"), frame["label"].to_numpy()
    pred, proba = model.predict(X), model.predict_proba(X)
    assert result.metrics["recall"] == pytest.approx(
        metrics.recall_score(y, pred, pos_label=negative)
    )
    assert result.metrics["roc_auc"] == pytest.approx(
        metrics.roc_auc_score(y == negative, proba[:, 0])
    )


def test_pos_label_that_is_no_label_or_on_multiclass_is_refused(iris: Any, tmp_path: Path) -> None:
    path, frame, _ = _binary_labelled({0: "no", 1: "yes"}, tmp_path)
    with pytest.raises(
        SchemaError, match=r"pos_label 'maybe' is not one of the labels \['no', 'yes'\]"
    ):
        tiffin.evaluate(path, frame, targets="label", plots=False, pos_label="maybe")
    iris_path, iris_frame, _ = iris
    with pytest.raises(SchemaError, match="pos_label='setosa' is for binary classifiers"):
        tiffin.evaluate(iris_path, iris_frame, targets="species", plots=False, pos_label="setosa")


def test_regressor_metrics_equal_sklearn(diabetes: Any, tmp_path: Path) -> None:
    path, frame, model = diabetes
    result = tiffin.evaluate(
        path, frame, targets="progression", model_type="regressor", output_dir=tmp_path
    )
    X, y = frame.drop(columns="progression"), frame["progression"]
    pred = model.predict(X)
    assert result.metrics == pytest.approx(
        {
            "rmse": metrics.root_mean_squared_error(y, pred),
            "mae": metrics.mean_absolute_error(y, pred),
            "r2": metrics.r2_score(y, pred),
            "mape": metrics.mean_absolute_percentage_error(y, pred),
        }
    )
    assert sorted(result.artifacts) == ["predicted_vs_actual", "residuals"]
    _looks_like_a_plot(result.artifacts["residuals"])


def _looks_like_a_plot(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(path)
    assert image.shape[:2] == (480, 640)
    pixels = image[..., :3].reshape(-1, 3)
    assert (pixels.std(axis=0) > 0.05).all()  # not one flat colour
    assert len(np.unique(pixels.round(2), axis=0)) > 20  # lines, text, colours drawn


def test_classifier_plots_are_real_pngs(iris: Any, tmp_path: Path) -> None:
    path, frame, _ = iris
    result = tiffin.evaluate(path, frame, targets="species", output_dir=tmp_path)
    assert sorted(result.artifacts) == ["confusion_matrix", "precision_recall_curve", "roc_curve"]
    for file in result.artifacts.values():
        assert file.parent == tmp_path
        _looks_like_a_plot(file)


def test_logs_metrics_and_plots_into_the_active_run(
    iris: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, frame, _ = iris
    monkeypatch.setenv("TIFFIN_TRACKING_URI", f"sqlite:///{tmp_path / 't.db'}")
    with tiffin.start_run() as run:
        result = tiffin.evaluate(path, frame, targets="species", output_dir=tmp_path / "out")
    assert result.run_id == run.info.run_id
    logged = tiffin.Client().get_run(run.info.run_id)
    assert logged.data.metrics["accuracy"] == result.metrics["accuracy"]
    stored = Path(logged.info.artifact_uri) / "evaluation" / "confusion_matrix.png"
    assert stored.read_bytes() == result.artifacts["confusion_matrix"].read_bytes()


def test_failed_thresholds_list_every_metric_with_both_values(iris: Any) -> None:
    path, frame, model = iris
    X, y = frame.drop(columns="species"), frame["species"]
    # computed here, on this machine: the fourth decimal of a fitted model depends on CPU/BLAS
    f1 = metrics.f1_score(y, model.predict(X), average="weighted")  # the plain name
    log_loss = metrics.log_loss(y, model.predict_proba(X), labels=model.classes_)
    with pytest.raises(ValidationError) as caught:
        tiffin.evaluate(
            path, frame, targets="species", plots=False,
            validation_thresholds={"f1": 0.99, "log_loss": 0.01, "accuracy": 0.5},
        )  # fmt: skip
    message = str(caught.value)
    assert "2 validation check(s)" in message
    assert f"f1 = {f1:.4f}, below the threshold 0.9900" in message
    assert f"log_loss = {log_loss:.4f}, above the threshold 0.0100" in message
    assert "accuracy" not in message
    assert caught.value.result.metrics["f1"] == pytest.approx(f1)  # type: ignore[attr-defined]
    passed = tiffin.evaluate(path, frame, targets="species", plots=False,
                             validation_thresholds={"f1": 0.9})  # fmt: skip
    assert passed.passed and passed.failures == []


def test_relative_to_a_baseline_model(iris: Any, tmp_path: Path) -> None:
    path, frame, _ = iris
    X, y = frame.drop(columns="species"), frame["species"]
    weak = LogisticRegression(max_iter=500, C=0.001).fit(X, y)
    weak_path = tmp_path / "weak"
    tiffin.sklearn.save_model(weak, weak_path, input_example=X.head(3))
    better = tiffin.evaluate(
        path, frame, targets="species", plots=False,
        baseline_model=weak_path, min_relative_change={"f1": 0.05},
    )  # fmt: skip
    assert better.baseline_metrics is not None
    assert better.metrics["f1"] > better.baseline_metrics["f1"] * 1.05
    f1 = better.metrics["f1"]  # the baseline of the call below, computed on this machine
    with pytest.raises(ValidationError, match=rf"f1 = 0\.\d+, baseline {f1:.4f}: needs at least"):
        tiffin.evaluate(weak_path, frame, targets="species", plots=False,
                        baseline_model=path, min_relative_change={"f1": 0.0})  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"targets": "label"}, r"target column 'label' is not in the data; columns are"),
        ({"targets": "species", "validation_thresholds": {"rmse": 1.0}}, r"\['rmse'\]"),
        ({"targets": "species", "model_type": "ranker"}, "model_type is 'ranker'"),
        ({"targets": np.array(["setosa"] * 3)}, "3 targets for 150 rows"),
    ],
)
def test_bad_arguments_are_clear_errors(iris: Any, kwargs: dict[str, Any], message: str) -> None:
    path, frame, _ = iris
    data = frame if isinstance(kwargs["targets"], str) else frame.drop(columns="species")
    with pytest.raises(SchemaError, match=message):
        tiffin.evaluate(path, data, plots=False, **kwargs)


def test_labels_the_model_never_saw_are_named(iris: Any) -> None:
    path, frame, _ = iris
    odd = frame.assign(species=frame["species"].replace({"setosa": "setosa-x"}))
    with pytest.raises(SchemaError, match=r"never saw: \['setosa-x'\]"):
        tiffin.evaluate(path, odd, targets="species", plots=False)


def test_a_regressor_evaluated_as_a_classifier_is_refused(diabetes: Any) -> None:
    path, frame, _ = diabetes
    with pytest.raises(
        SchemaError, match='looks like a regressor; evaluate it with model_type="regressor"'
    ):
        tiffin.evaluate(path, frame, targets="progression", model_type="classifier", plots=False)


def test_empty_frame_and_missing_targets(iris: Any) -> None:
    path, frame, _ = iris
    with pytest.raises(SchemaError, match="no rows"):
        tiffin.evaluate(path, frame.head(0), targets="species")
    holes = frame.assign(species=frame["species"].where(frame.index != 7))
    with pytest.raises(SchemaError, match=r"1 missing values \(first rows \[7\]\)"):
        tiffin.evaluate(path, holes, targets="species")


def test_signature_is_enforced_as_in_predict(iris: Any) -> None:
    path, frame, _ = iris
    with pytest.raises(SchemaError, match="petal width"):
        tiffin.evaluate(path, frame.drop(columns="petal width (cm)"), targets="species")


def test_no_plots_makes_no_temporary_directory(
    iris: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    path, frame, _ = iris
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    tiffin.evaluate(path, frame, targets="species", plots=False)
    assert list(tmp_path.iterdir()) == []
