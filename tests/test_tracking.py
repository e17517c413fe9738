"""The fluent API end to end on the embedded SQLite store: runs, models, URIs, the trust root."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import tiffin
import tiffin.pyfunc
import tiffin.sklearn
from tiffin.errors import FormatError, IntegrityError, NotFoundError, UntrustedModelError
from tiffin.tracking import NoSignatureWarning


@pytest.fixture(autouse=True)
def store(store_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every test here runs on SQLite and on PostgreSQL; artifacts go under tmp_path."""
    monkeypatch.chdir(tmp_path)  # the default artifact root for PostgreSQL is the cwd
    tiffin.set_tracking_uri(store_uri)
    yield store_uri
    tiffin.set_tracking_uri(None)


def test_runs_record_params_metrics_tags_and_status() -> None:
    with tiffin.start_run(run_name="outer") as outer:
        tiffin.log_params({"C": 0.5, "penalty": "l2"})
        tiffin.log_metric("loss", 0.3, step=1)
        tiffin.log_metric("loss", 0.2, step=2)
        tiffin.set_tag("team", "ml")
        with tiffin.start_run(run_name="inner", nested=True) as inner:
            tiffin.log_metric("acc", 0.9)
    with pytest.raises(RuntimeError), tiffin.start_run(run_name="broken") as broken:
        raise RuntimeError("boom")
    client = tiffin.Client()
    assert client.get_run(outer.info.run_id).info.status == "FINISHED"
    assert client.get_run(broken.info.run_id).info.status == "FAILED"
    assert client.get_run(inner.info.run_id).data.tags["mlflow.parentRunId"] == outer.info.run_id
    history = client.get_metric_history(outer.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(1, 0.3), (2, 0.2)]
    df = tiffin.search_runs(filter_string="params.penalty = 'l2' and metrics.loss < 0.25")
    assert df["run_id"].tolist() == [outer.info.run_id]


def test_artifacts_and_dicts_are_stored_under_the_run() -> None:
    with tiffin.start_run() as run:
        tiffin.log_dict({"a": 1}, "config.json")
        tiffin.log_text("hello", "notes/readme.txt")
        with pytest.raises(FormatError, match="escape.txt"):
            tiffin.log_text("x", "../escape.txt")
    root = Path(run.info.artifact_uri)
    assert (root / "config.json").read_text().strip().startswith("{")
    assert (root / "notes" / "readme.txt").read_text() == "hello"
    assert not (root.parent / "escape.txt").exists()


def test_log_artifact_puts_the_file_under_artifact_path(tmp_path: Path) -> None:
    report = tmp_path / "out.csv"
    report.write_text("a\n")
    with tiffin.start_run() as run:
        assert tiffin.log_artifact(report, "reports") == "reports/out.csv"
        assert tiffin.log_artifact(report) == "out.csv"
        assert tiffin.Client().log_artifact(run.info.run_id, report, "x/") == "x/out.csv"
    assert (Path(run.info.artifact_uri) / "reports" / "out.csv").read_text() == "a\n"


def test_registry_is_the_trust_root_for_pickled_models(logreg: Any, frame: pd.DataFrame) -> None:
    with tiffin.start_run():
        info = tiffin.sklearn.log_model(
            logreg,
            name="model",
            registered_model_name="churn",
            serialization_format="cloudpickle",
            input_example=frame.head(2),
        )
    with pytest.raises(UntrustedModelError, match="model.pkl"):
        tiffin.pyfunc.load_model(info.model_uri)  # a run artifact is not vouched for
    model = tiffin.pyfunc.load_model(f"models:/churn/{info.registered_model_version}")
    assert model.trusted and np.array_equal(model.predict(frame), logreg.predict(frame))


def test_alias_latest_and_missing_versions(logreg: Any, frame: pd.DataFrame) -> None:
    with tiffin.start_run():
        example = frame.head(2)
        first = tiffin.sklearn.log_model(
            logreg, name="m1", registered_model_name="iris", input_example=example
        )
        second = tiffin.sklearn.log_model(
            logreg, name="m2", registered_model_name="iris", input_example=example
        )
    assert (first.registered_model_version, second.registered_model_version) == (1, 2)
    tiffin.Client().set_registered_model_alias("iris", "champion", 1)
    assert tiffin.pyfunc.load_model("models:/iris@champion").predict(frame).shape == (len(frame),)
    assert tiffin.pyfunc.load_model("models:/iris/latest").predict(frame).shape == (len(frame),)
    with pytest.raises(NotFoundError, match="5"):
        tiffin.pyfunc.load_model("models:/iris/5")
    with pytest.raises(FormatError, match="not a version"):
        tiffin.pyfunc.load_model("models:/iris/Production")


def test_a_flipped_bit_in_a_registered_model_is_refused(logreg: Any, frame: pd.DataFrame) -> None:
    with tiffin.start_run() as run:
        tiffin.sklearn.log_model(
            logreg, name="model", registered_model_name="flip", input_example=frame.head(2)
        )
    weights = Path(run.info.artifact_uri) / "model" / "model.skops"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="model.skops"):
        tiffin.pyfunc.load_model("models:/flip/1")


class _Plus(tiffin.pyfunc.PythonModel):
    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        return [v + context.model_config["n"] for v in model_input]


def test_pyfunc_log_model_registers_a_python_model_served_from_the_registry() -> None:
    no_schema = "'plus' is logged without a signature or an input example"
    with tiffin.start_run(), pytest.warns(NoSignatureWarning, match=no_schema):
        info = tiffin.pyfunc.log_model(  # a model of lists: no MLflow schema fits it
            _Plus(),
            name="plus",
            registered_model_name="plus",
            model_config={"n": 2},
            pip_requirements=["pandas"],
        )
    model = tiffin.pyfunc.load_model("models:/plus/1")  # pickled, trusted through its digest
    assert model.predict([1, 2]) == [3, 4]
    assert info.model_uri.endswith("/plus")


def test_log_model_infers_the_signature_from_the_input_example(
    logreg: Any, frame: pd.DataFrame
) -> None:
    import warnings

    with tiffin.start_run(), warnings.catch_warnings():
        warnings.simplefilter("error")  # not a word when the model has a schema
        info = tiffin.sklearn.log_model(logreg, name="model", input_example=frame.head(3))
    model = tiffin.pyfunc.load_model(info.model_uri)
    assert model.signature is not None and model.signature.inputs is not None
    assert model.signature.inputs.names() == list(frame.columns)
    assert model.signature.outputs is not None  # from predicting the example
    with pytest.raises(tiffin.errors.SchemaError, match="f0"):
        model.predict(frame.rename(columns={"f0": "typo"}))  # a 4xx when served, not a 500


def test_log_model_without_signature_or_example_warns_once_naming_the_fix(
    logreg: Any,
) -> None:
    with tiffin.start_run(), pytest.warns(NoSignatureWarning) as caught:
        tiffin.sklearn.log_model(logreg, name="bare")
    assert len(caught) == 1
    assert str(caught[0].message) == (
        "model 'bare' is logged without a signature or an input example: served, it has no "
        "schema (empty V2 metadata and /docs, columns not checked); pass "
        "input_example=X.head(3) (its signature is inferred) or signature="
    )


def test_client_spells_out_every_store_method_with_its_signature() -> None:
    import inspect

    from tiffin.store import RegistryStore, TrackingStore
    from tiffin.tracking import Client

    assert "__getattr__" not in vars(Client)  # nothing is forwarded out of sight
    for store in (RegistryStore, TrackingStore):
        for name, method in inspect.getmembers(store, inspect.isfunction):
            if not name.startswith("_"):
                assert inspect.signature(getattr(Client, name)) == inspect.signature(method), name
    with pytest.raises(AttributeError):
        tiffin.Client().engine  # noqa: B018  # store attributes are reached as client.registry.*


def test_client_methods_reach_the_registry_and_the_tracking_store() -> None:
    client = tiffin.Client()
    experiment_id = client.create_experiment("client-api")
    run = client.create_run(experiment_id, run_name="r")
    client.log_batch(run.info.run_id, params={"C": 1}, tags={"team": "ml"})
    client.log_metric(run.info.run_id, "loss", 0.5, step=1)
    assert client.get_run(run.info.run_id).data.params == {"C": "1"}
    assert [m.value for m in client.get_metric_history(run.info.run_id, "loss")] == [0.5]
    assert [r.info.run_id for r in client.search_runs([experiment_id])] == [run.info.run_id]
    client.create_registered_model("client-api", description="d")
    client.set_registered_model_tag("client-api", "team", "ml")
    assert client.get_registered_model("client-api").tags == {"team": "ml"}
    assert [m.name for m in client.search_registered_models("client%")] == ["client-api"]
    client.delete_registered_model("client-api")
    with pytest.raises(NotFoundError):
        client.get_registered_model("client-api")
