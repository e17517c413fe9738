"""Custom PythonModels: round trip, MLflow compatibility both ways, code_paths isolation."""

from __future__ import annotations

import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import tiffin.pyfunc
from tiffin.errors import (
    AlreadyExistsError,
    InvalidValueError,
    SchemaError,
    UntrustedModelError,
)
from tiffin.format.mlmodel import MLModel
from tiffin.format.schema import ColSpec, ParamSchema, ParamSpec, Schema, Signature


class Scale(tiffin.pyfunc.PythonModel):
    def load_context(self, context: Any) -> None:
        self.offset = float(Path(context.artifacts["offset"]).read_text())

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        factor = (params or {}).get("factor", 1.0)
        return (model_input["x"] * context.model_config["scale"] * factor + self.offset).to_numpy()


SIG = Signature(
    inputs=Schema([ColSpec("double", "x")]),
    outputs=Schema([ColSpec("double")]),
    params=ParamSchema([ParamSpec("factor", "double", 1.0)]),
)


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    (tmp_path / "offset.txt").write_text("0.5")
    path = tmp_path / "model"
    tiffin.pyfunc.save_model(
        path,
        python_model=Scale(),
        artifacts={"offset": str(tmp_path / "offset.txt")},
        model_config={"scale": 2.0},
        signature=SIG,
        pip_requirements=["pandas"],
    )
    return path


def test_round_trip_needs_trust_and_then_predicts_with_params(saved: Path) -> None:
    with pytest.raises(UntrustedModelError, match="python_model.pkl"):
        tiffin.pyfunc.load_model(saved)
    model = tiffin.pyfunc.load_model(saved, trust=True)
    df = pd.DataFrame({"x": [1.0, 2.0]})
    assert model.predict(df).tolist() == [2.5, 4.5]
    assert model.predict(df, params={"factor": 2.0}).tolist() == [4.5, 8.5]
    assert isinstance(model.unwrap_python_model(), Scale)
    with pytest.raises(SchemaError, match="nope.*not in the signature"):
        model.predict(df, params={"nope": 1})


class _Framework:
    def predict(self, model_input: Any) -> Any:
        return model_input


def test_unwrapping_a_model_that_is_no_python_model_names_its_flavors(tmp_path: Path) -> None:
    mlmodel = MLModel.new()
    mlmodel.add_flavor("python_function", loader_module="tiffin.sklearn", model_path="m.skops")
    model = tiffin.pyfunc.PyFuncModel(mlmodel, _Framework(), tmp_path)
    with pytest.raises(InvalidValueError, match=r"\['python_function'\].*_Framework"):
        model.unwrap_python_model()


def test_mlflow_loads_our_python_model(saved: Path) -> None:
    import mlflow.pyfunc

    theirs = mlflow.pyfunc.load_model(str(saved))
    ours = tiffin.pyfunc.load_model(saved, trust=True)
    df = pd.DataFrame({"x": [1.0, 3.0]})
    assert list(theirs.predict(df, params={"factor": 3.0})) == list(
        ours.predict(df, params={"factor": 3.0})
    )
    assert theirs.metadata.signature.to_dict() == SIG.to_dict()


class _Upper(tiffin.pyfunc.PythonModel):
    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        return [str(v).upper() for v in model_input["s"]]


def test_we_load_mlflows_python_model_only_with_trust(tmp_path: Path) -> None:
    import mlflow.pyfunc

    path = tmp_path / "mlflow_model"
    sig = Signature(inputs=Schema([ColSpec("long", "x")]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflow's advice to add type hints, at class creation

        class Doubler(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
            def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
                return model_input["x"] * 2

        mlflow.pyfunc.save_model(
            str(path),
            python_model=Doubler(),
            signature=mlflow.models.ModelSignature.from_dict(sig.to_dict()),
            pip_requirements=["pandas"],
        )
    with pytest.raises(UntrustedModelError, match="python_model.pkl"):
        tiffin.pyfunc.load_model(path)
    model = tiffin.pyfunc.load_model(path, trust=True)
    assert model.predict(pd.DataFrame({"x": [1, 2]})).tolist() == [2, 4]
    assert model.signature == sig


def _save_with_code(tmp_path: Path, tag: str) -> Path:
    src = tmp_path / f"src_{tag}"
    src.mkdir()
    (src / "shared_helper.py").write_text(
        textwrap.dedent(
            f"""
            import tiffin.pyfunc

            TAG = {tag!r}

            class Tagger(tiffin.pyfunc.PythonModel):
                def predict(self, context, model_input, params=None):
                    return [TAG] * len(model_input)
            """
        )
    )
    sys.path.insert(0, str(src))
    try:
        import shared_helper  # type: ignore[import-not-found]

        path = tmp_path / f"model_{tag}"
        tiffin.pyfunc.save_model(
            path,
            python_model=shared_helper.Tagger(),
            code_paths=[src / "shared_helper.py"],
            pip_requirements=["pandas"],
        )
    finally:
        sys.path.remove(str(src))
        sys.modules.pop("shared_helper", None)
    return path


def test_code_paths_of_two_models_do_not_collide(tmp_path: Path) -> None:
    a = tiffin.pyfunc.load_model(_save_with_code(tmp_path, "A"), trust=True)
    b = tiffin.pyfunc.load_model(_save_with_code(tmp_path, "B"), trust=True)
    assert a.predict([0]) == ["A"] and b.predict([0]) == ["B"]
    assert "shared_helper" not in sys.modules


def test_saving_over_an_existing_model_is_refused(saved: Path) -> None:
    before = sorted(p.name for p in saved.iterdir())
    with pytest.raises(AlreadyExistsError, match="already exists and is not empty"):
        tiffin.pyfunc.save_model(saved, python_model=_Upper(), pip_requirements=["pandas"])
    assert sorted(p.name for p in saved.iterdir()) == before


def test_mlflow_model_with_params_predicts_the_same_in_both(tmp_path: Path) -> None:
    import mlflow.pyfunc

    path = tmp_path / "mlflow_params"
    sig = Signature(
        inputs=Schema([ColSpec("double", "x")]),
        params=ParamSchema([ParamSpec("factor", "double", 2.0), ParamSpec("tag", "string", "t")]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        class Mul(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
            def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
                return (model_input["x"] * params["factor"]).tolist()

        mlflow.pyfunc.save_model(
            str(path),
            python_model=Mul(),
            signature=mlflow.models.ModelSignature.from_dict(sig.to_dict()),
            pip_requirements=["pandas"],
        )
        theirs = mlflow.pyfunc.load_model(str(path))
    ours = tiffin.pyfunc.load_model(path, trust=True)
    df = pd.DataFrame({"x": [1.0, 2.5]})
    for params in (None, {"factor": 3.0}):
        assert ours.predict(df, params=params) == theirs.predict(df, params=params)
    assert ours.signature == sig


def test_mlflow_loads_our_model_without_a_signature(tmp_path: Path) -> None:
    import mlflow.pyfunc

    path = tmp_path / "plain"
    tiffin.pyfunc.save_model(path, python_model=_Upper(), pip_requirements=["pandas"])
    df = pd.DataFrame({"s": ["a", "b"]})
    assert mlflow.pyfunc.load_model(str(path)).predict(df) == ["A", "B"]
    assert tiffin.pyfunc.load_model(path, trust=True).predict(df) == ["A", "B"]
