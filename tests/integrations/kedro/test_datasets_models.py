"""Model datasets on a real SQLite store: logged into explicit runs, on disk, from the registry."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, DatasetError, Version

import tiffin
import tiffin.pyfunc
from tiffin import plugins
from tiffin.integrations.kedro.datasets_flavor import known_flavors
from tiffin.integrations.kedro.datasets_models import (
    ModelLocalFileSystemDataset,
    ModelRegistryDataset,
    ModelTrackingDataset,
)
from tiffin.tracking import Client

MISSING_RUN = "0123456789abcdef0123456789abcdef"


class AddOne(tiffin.pyfunc.PythonModel):
    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return model_input + 1


pytestmark = pytest.mark.usefixtures("elsewhere")


def _bound(ds: ModelTrackingDataset, uri: str, run_id: str) -> ModelTrackingDataset:
    ds.bind_run(uri, run_id)
    return ds


def test_tracking_dataset_logs_into_the_bound_run_and_loads_it_back(
    uri: str, run_id: str, client: Client, logreg: Any, frame: pd.DataFrame
) -> None:
    save_args = {"name": "clf", "input_example": frame.head(2)}
    ds = _bound(ModelTrackingDataset("tiffin.sklearn", save_args=save_args), uri, run_id)
    assert not ds.exists()
    ds.save(logreg)
    artifacts = Path(client.tracking.get_run(run_id).info.artifact_uri)
    assert (artifacts / "clf" / "MLmodel").is_file()
    assert ds.exists()
    np.testing.assert_array_equal(ds.load().predict(frame), logreg.predict(frame))
    again = ModelTrackingDataset(
        "mlflow.sklearn", run_id=run_id, tracking_uri=uri, save_args={"name": "clf"}
    )
    np.testing.assert_array_equal(again.load().predict(frame), logreg.predict(frame))


def test_registered_model_is_read_by_alias_version_and_latest(
    uri: str, run_id: str, client: Client, logreg: Any, frame: pd.DataFrame
) -> None:
    save_args = {"registered_model_name": "churn", "input_example": frame.head(2)}
    ds = _bound(ModelTrackingDataset("tiffin.sklearn", save_args=save_args), uri, run_id)
    ds.save(logreg)
    client.set_registered_model_alias("churn", "champion", 1)
    expected = logreg.predict(frame)
    by_alias = ModelRegistryDataset("churn", alias="champion", tracking_uri=uri)
    np.testing.assert_array_equal(by_alias.load().predict(frame), expected)  # a PyFuncModel
    by_version = ModelRegistryDataset(
        "churn", model_version="1", flavor="mlflow.sklearn", tracking_uri=uri
    )
    assert type(by_version.load()) is type(logreg)
    latest = ModelRegistryDataset("churn", flavor="tiffin.sklearn", tracking_uri=uri)
    assert latest.model_uri == "models:/churn/latest"
    np.testing.assert_array_equal(latest.load().predict(frame), expected)
    assert by_alias.exists()


def test_registry_digest_trusts_a_pickled_model_that_a_run_uri_does_not(
    uri: str, run_id: str, logreg: Any, frame: pd.DataFrame
) -> None:
    save_args = {"serialization_format": "cloudpickle", "registered_model_name": "pickled"}
    save_args["input_example"] = frame.head(2)
    _bound(ModelTrackingDataset("tiffin.sklearn", save_args=save_args), uri, run_id).save(logreg)
    registered = ModelRegistryDataset("pickled", flavor="tiffin.sklearn", tracking_uri=uri)
    np.testing.assert_array_equal(registered.load().predict(frame), logreg.predict(frame))
    run_uri = {"model_uri": f"runs:/{run_id}/model"}
    untrusted = ModelTrackingDataset("tiffin.sklearn", tracking_uri=uri, load_args=run_uri)
    with pytest.raises(DatasetError, match="trust=True"):
        untrusted.load()
    trusted = ModelTrackingDataset(
        "tiffin.sklearn", tracking_uri=uri, load_args={**run_uri, "trust": True}
    )
    np.testing.assert_array_equal(trusted.load().predict(frame), logreg.predict(frame))


def test_pyfunc_flavor_saves_a_python_model(uri: str, run_id: str) -> None:
    ds = ModelTrackingDataset(
        "mlflow.pyfunc",
        save_args={"input_example": pd.DataFrame({"x": [1]})},
        load_args={"trust": True},
    )
    ds = _bound(ds, uri, run_id)
    ds.save(AddOne())
    assert ds.load().predict(pd.DataFrame({"x": [1, 2]}))["x"].tolist() == [2, 3]


def test_saving_with_a_model_uri_is_refused(uri: str, run_id: str, logreg: Any) -> None:
    ds = _bound(
        ModelTrackingDataset("tiffin.sklearn", load_args={"model_uri": "models:/churn/1"}),
        uri,
        run_id,
    )
    with pytest.raises(DatasetError, match="model_uri"):
        ds.save(logreg)


def test_a_missing_run_is_named(uri: str, logreg: Any) -> None:
    ds = ModelTrackingDataset("tiffin.sklearn", run_id=MISSING_RUN, tracking_uri=uri)
    with pytest.raises(DatasetError, match=MISSING_RUN):
        ds.save(logreg)
    with pytest.raises(DatasetError, match=MISSING_RUN):
        ds.load()
    assert not ds.exists()


def test_nothing_to_load_says_what_to_configure() -> None:
    with pytest.raises(DatasetError, match="load_args.model_uri"):
        ModelTrackingDataset("tiffin.sklearn").load()


def test_an_unknown_flavor_lists_the_known_ones() -> None:
    with pytest.raises(DatasetError, match="known flavors.*tiffin.sklearn"):
        ModelTrackingDataset("mlflow.nonexistent")
    with pytest.raises(DatasetError, match="tiffin.pyfunc"):
        ModelLocalFileSystemDataset("m", flavor="xgboost")


def test_unknown_registered_model_and_alias_are_named(
    uri: str, run_id: str, client: Client, logreg: Any, frame: pd.DataFrame
) -> None:
    with pytest.raises(DatasetError, match="'ghost'"):
        ModelRegistryDataset("ghost", tracking_uri=uri).load()
    save_args = {"registered_model_name": "churn", "input_example": frame.head(2)}
    _bound(ModelTrackingDataset("tiffin.sklearn", save_args=save_args), uri, run_id).save(logreg)
    missing_alias = ModelRegistryDataset("churn", alias="prod", tracking_uri=uri)
    with pytest.raises(DatasetError, match="no alias 'prod'"):
        missing_alias.load()
    assert not missing_alias.exists()


def test_registry_dataset_is_read_only_and_takes_alias_or_version() -> None:
    with pytest.raises(DatasetError, match="not both"):
        ModelRegistryDataset("churn", alias="champion", model_version=2)
    with pytest.raises(DatasetError, match="version number"):
        ModelRegistryDataset("churn", model_version="staging")
    with pytest.raises(DatasetError, match="read-only"):
        ModelRegistryDataset("churn").save(object())


def test_logging_disabled_saves_nothing_and_raises_nothing(
    uri: str, run_id: str, client: Client, logreg: Any
) -> None:
    ds = _bound(ModelTrackingDataset("tiffin.sklearn"), uri, run_id)
    ds.set_logging(False)
    ds.save(logreg)
    assert not Path(client.tracking.get_run(run_id).info.artifact_uri, "model").exists()


def test_local_dataset_replaces_the_directory_whole(
    tmp_path: Path, logreg: Any, forest: Any, frame: pd.DataFrame
) -> None:
    ds = ModelLocalFileSystemDataset(str(tmp_path / "models" / "clf"), flavor="tiffin.sklearn")
    assert not ds.exists()
    ds.save(logreg)
    ds.save(forest)
    assert type(ds.load()) is type(forest)
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["clf"]


def test_local_dataset_keeps_versions(
    tmp_path: Path, logreg: Any, forest: Any, frame: pd.DataFrame
) -> None:
    path = str(tmp_path / "clf")
    ds = ModelLocalFileSystemDataset(path, flavor="tiffin.sklearn", version=Version(None, None))
    ds.save(logreg)
    first = ds.resolve_load_version()
    ds.save(forest)
    versions = ds.list_versions(full_path=False)
    assert len(versions) == 2 and first in versions
    assert type(ds.load()) is type(forest)
    pinned = ModelLocalFileSystemDataset(
        path, flavor="tiffin.sklearn", version=Version(first, None)
    )
    assert type(pinned.load()) is type(logreg)


def test_catalog_entries_build_the_model_datasets(
    tmp_path: Path, uri: str, run_id: str, logreg: Any, frame: pd.DataFrame
) -> None:
    catalog = DataCatalog.from_config(
        {
            "clf": {
                "type": "tiffin.kedro.ModelLocalFileSystemDataset",
                "filepath": str(tmp_path / "clf"),
                "flavor": "tiffin.sklearn",
                "versioned": True,
            },
            "logged": {
                "type": "tiffin.integrations.kedro.ModelTrackingDataset",
                "flavor": "tiffin.sklearn",
                "run_id": run_id,
                "tracking_uri": uri,
                "save_args": {"registered_model_name": "churn", "input_example": frame.head(2)},
            },
            "v1": {
                "type": "tiffin.kedro.ModelRegistryDataset",
                "model_name": "churn",
                "model_version": 1,
                "flavor": "tiffin.sklearn",
                "tracking_uri": uri,
            },
        }
    )
    catalog.save("clf", logreg)
    catalog.save("logged", logreg)
    for name in ("clf", "logged", "v1"):
        np.testing.assert_array_equal(catalog.load(name).predict(frame), logreg.predict(frame))


def test_datasets_pickle_after_binding_a_run(
    tmp_path: Path, uri: str, run_id: str, logreg: Any, frame: pd.DataFrame
) -> None:
    save_args = {"input_example": frame.head(2)}
    tracked = _bound(ModelTrackingDataset("tiffin.sklearn", save_args=save_args), uri, run_id)
    tracked.save(logreg)
    local = ModelLocalFileSystemDataset(str(tmp_path / "m"), flavor="tiffin.sklearn")
    local.save(logreg)
    registry = ModelRegistryDataset("churn", alias="champion", tracking_uri=uri)
    for ds in (tracked, local, registry):
        copy = pickle.loads(pickle.dumps(ds))
        assert repr(copy) == repr(ds)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(tracked)).load().predict(frame), logreg.predict(frame)
    )


WEIGHTS = {"a": 1.5, "b": -2.0}
SIGNED = {"signature": tiffin.infer_signature(pd.DataFrame({"a": [1.0], "b": [2.0]}))}


@pytest.mark.parametrize("name", sorted(plugins.FLAVORS))
def test_every_flavor_tiffin_has_is_accepted_in_both_spellings(name: str) -> None:
    expected = "tiffin.pyfunc" if name == "python_function" else f"tiffin.{name}"
    for spelling in (name, f"tiffin.{name}", f"mlflow.{name}"):
        assert ModelLocalFileSystemDataset("m", flavor=spelling)._describe()["flavor"] == expected
    assert expected in known_flavors()


def _round_trip_third_party(flavor: str, tmp_path: Path, uri: str, run_id: str) -> None:
    local = ModelLocalFileSystemDataset(str(tmp_path / "weights"), flavor=flavor, save_args=SIGNED)
    local.save(WEIGHTS)
    assert local.load() == WEIGHTS
    save_args = {**SIGNED, "registered_model_name": "weights"}
    tracked = _bound(ModelTrackingDataset(flavor, save_args=save_args), uri, run_id)
    tracked.save(WEIGHTS)
    assert tracked.load() == WEIGHTS
    assert ModelRegistryDataset("weights", flavor=flavor, tracking_uri=uri).load() == WEIGHTS


def test_a_third_party_flavor_registered_at_runtime_works_in_every_model_dataset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, uri: str, run_id: str
) -> None:
    with pytest.raises(DatasetError, match="unknown flavor 'mlflow.weights_json'"):
        ModelTrackingDataset("mlflow.weights_json")
    monkeypatch.setitem(plugins.FLAVORS, "weights_json", "third_party_flavor")
    assert "tiffin.weights_json" in known_flavors()
    _round_trip_third_party("mlflow.weights_json", tmp_path, uri, run_id)


def test_a_third_party_flavor_from_an_installed_entry_point_works(
    tmp_path: Path, uri: str, run_id: str
) -> None:
    """A distribution declaring ``[tiffin.flavors] weights_json = third_party_flavor``."""
    site = tmp_path / "site"
    dist = site / "weights_flavor-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: weights-flavor\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[tiffin.flavors]\nweights_json = third_party_flavor\n")
    plugins.loader_for("not_a_loader")  # tiffin was in use before the package was installed
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(site))
        try:
            assert "tiffin.weights_json" in known_flavors()
            _round_trip_third_party("tiffin.weights_json", tmp_path, uri, run_id)
        finally:
            plugins._entry_points.cache_clear()  # forget the test's package
