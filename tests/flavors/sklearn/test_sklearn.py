"""The sklearn flavor: skops by default, MLflow loads ours, we load MLflow's, no partial saves."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import tiffin.plugins
import tiffin.pyfunc
import tiffin.sklearn
from tiffin.errors import AlreadyExistsError, NotFoundError, SchemaError, UntrustedModelError
from tiffin.format.infer import infer_signature
from tiffin.format.schema import Signature


def _mlflow() -> Any:
    import mlflow.pyfunc
    import mlflow.sklearn

    return mlflow


@pytest.mark.parametrize("name", ["logreg", "forest"])
def test_skops_round_trip_needs_no_trust(
    name: str, request: pytest.FixtureRequest, frame: pd.DataFrame, tmp_path: Path
) -> None:
    est = request.getfixturevalue(name)
    tiffin.sklearn.save_model(est, tmp_path / "m", input_example=frame.head(3))
    model = tiffin.pyfunc.load_model(tmp_path / "m")
    assert np.array_equal(model.predict(frame), est.predict(frame))
    assert model.signature is not None and model.signature.inputs is not None
    assert (tmp_path / "m" / "model.skops").exists()
    assert (tmp_path / "m" / "input_example.json").exists()


def test_mlmodel_has_mlflows_sklearn_layout(logreg: Any, tmp_path: Path) -> None:
    tiffin.sklearn.save_model(logreg, tmp_path / "m", pip_requirements=["scikit-learn"])
    doc = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    assert doc["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
    assert doc["flavors"]["python_function"]["env"] == {
        "conda": "conda.yaml",
        "virtualenv": "python_env.yaml",
    }
    assert doc["flavors"]["sklearn"]["serialization_format"] == "skops"
    assert {"conda.yaml", "python_env.yaml", "requirements.txt"} <= {
        p.name for p in (tmp_path / "m").iterdir()
    }


@pytest.mark.parametrize("fmt", ["skops", "cloudpickle", "pickle"])
@pytest.mark.parametrize("name", ["logreg", "forest"])
def test_mlflow_loads_what_we_save(
    fmt: str, name: str, request: pytest.FixtureRequest, frame: pd.DataFrame, tmp_path: Path
) -> None:
    est = request.getfixturevalue(name)
    sig = infer_signature(frame, est.predict(frame))
    tiffin.sklearn.save_model(est, tmp_path / "m", serialization_format=fmt, signature=sig)
    theirs = _mlflow().pyfunc.load_model(str(tmp_path / "m"))
    assert np.array_equal(np.asarray(theirs.predict(frame)), est.predict(frame))
    assert theirs.metadata.signature.to_dict() == sig.to_dict()


@pytest.mark.parametrize("fmt", ["skops", "cloudpickle", "pickle"])
def test_we_load_what_mlflow_saves(
    fmt: str, forest: Any, frame: pd.DataFrame, tmp_path: Path
) -> None:
    mlflow = _mlflow()
    sig = mlflow.models.infer_signature(frame, forest.predict(frame))
    kwargs: dict[str, Any] = {}
    if fmt == "skops":
        import skops.io

        probe = tmp_path / "probe.skops"
        skops.io.dump(forest, probe)
        kwargs["skops_trusted_types"] = skops.io.get_untrusted_types(file=probe)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlflow.sklearn.save_model(
            forest,
            str(tmp_path / "m"),
            serialization_format=fmt,
            signature=sig,
            pip_requirements=["scikit-learn"],
            **kwargs,
        )
    if fmt != "skops":
        with pytest.raises(UntrustedModelError, match="skops"):
            tiffin.pyfunc.load_model(tmp_path / "m")
    model = tiffin.pyfunc.load_model(tmp_path / "m", trust=fmt != "skops")
    assert np.array_equal(model.predict(frame), forest.predict(frame))
    assert model.signature is not None
    assert model.signature.to_dict() == sig.to_dict()
    assert Signature.from_dict(sig.to_dict()).to_dict() == sig.to_dict()


def test_predict_fn_selects_the_method(logreg: Any, frame: pd.DataFrame, tmp_path: Path) -> None:
    tiffin.sklearn.save_model(
        logreg, tmp_path / "m", pyfunc_predict_fn="predict_proba", pip_requirements=["x"]
    )
    proba = tiffin.pyfunc.load_model(tmp_path / "m").predict(frame)
    assert np.allclose(proba, logreg.predict_proba(frame))


def test_bad_input_is_refused_with_the_column_named(
    logreg: Any, frame: pd.DataFrame, tmp_path: Path
) -> None:
    tiffin.sklearn.save_model(logreg, tmp_path / "m", input_example=frame.head(2))
    model = tiffin.pyfunc.load_model(tmp_path / "m")
    bad = frame.head(3).drop(columns=["f1"]).assign(f0=["a", "b", "c"], extra=1)
    with pytest.raises(SchemaError) as err:
        model.predict(bad)
    for word in ("f0", "f1", "extra"):
        assert word in str(err.value)


def test_an_exception_during_save_leaves_nothing(logreg: Any, tmp_path: Path) -> None:
    class Broken:
        def predict(self, x: Any) -> Any:
            raise RuntimeError("boom")

    with pytest.raises(Exception, match=r"boom|skops|type"):
        tiffin.sklearn.save_model(Broken(), tmp_path / "m", input_example=[[1.0]])
    assert list(tmp_path.iterdir()) == []


def test_saving_over_a_non_empty_path_changes_nothing(logreg: Any, tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "notes.txt").write_text("mine")
    with pytest.raises(AlreadyExistsError, match="already exists and is not empty"):
        tiffin.sklearn.save_model(logreg, tmp_path / "m")
    assert [p.name for p in (tmp_path / "m").iterdir()] == ["notes.txt"]


def test_load_model_returns_the_estimator(logreg: Any, tmp_path: Path) -> None:
    tiffin.sklearn.save_model(logreg, tmp_path / "m", pip_requirements=["scikit-learn"])
    est = tiffin.sklearn.load_model(tmp_path / "m")
    assert type(est) is type(logreg)
    assert np.array_equal(est.coef_, logreg.coef_)


def _mlflow_skops_model(model: Any, path: Path) -> None:
    import skops.io

    probe = path.with_suffix(".probe.skops")
    skops.io.dump(model, probe)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _mlflow().sklearn.save_model(
            model,
            str(path),
            skops_trusted_types=skops.io.get_untrusted_types(file=probe),
            pip_requirements=["scikit-learn"],
        )


def test_mlflow_skops_file_outside_our_allowlist_needs_trust(
    frame: pd.DataFrame, target: Any, tmp_path: Path
) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer

    spline = make_pipeline(SplineTransformer(), LogisticRegression()).fit(frame, target)
    _mlflow_skops_model(spline, tmp_path / "m")  # BSpline: not allowlisted
    with pytest.raises(UntrustedModelError, match="BSpline"):
        tiffin.pyfunc.load_model(tmp_path / "m")
    model = tiffin.pyfunc.load_model(tmp_path / "m", trust=True)
    assert np.array_equal(model.predict(frame), spline.predict(frame))


def test_mlflow_skops_kd_tree_loads_without_trust(
    frame: pd.DataFrame, target: Any, tmp_path: Path
) -> None:
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(algorithm="kd_tree").fit(frame, target)  # KDTree: validated
    _mlflow_skops_model(knn, tmp_path / "m")
    model = tiffin.pyfunc.load_model(tmp_path / "m")
    assert np.array_equal(model.predict(frame), knn.predict(frame))


def test_a_model_with_only_an_unknown_flavor_is_not_found(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "MLmodel").write_text(yaml.safe_dump({"flavors": {"keras": {"x": 1}}}))
    with pytest.raises(NotFoundError, match='does not have the "python_function" flavor'):
        tiffin.pyfunc.load_model(tmp_path / "m")
    with pytest.raises(NotFoundError, match="unknown flavor 'keras'; known flavors"):
        tiffin.plugins.flavor_module("keras")


def test_a_missing_model_file_is_named(logreg: Any, tmp_path: Path) -> None:
    tiffin.sklearn.save_model(logreg, tmp_path / "m", pip_requirements=["scikit-learn"])
    (tmp_path / "m" / "tiffin-manifest.json").unlink()  # as in a model MLflow wrote
    (tmp_path / "m" / "model.skops").unlink()
    with pytest.raises(NotFoundError, match="model.skops: the model file named in the MLmodel"):
        tiffin.pyfunc.load_model(tmp_path / "m")
