"""ArtifactDataset with real Kedro datasets on a real SQLite store and local artifact store."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DataCatalog, DatasetError

from tiffin.integrations.kedro.datasets_artifact import ArtifactDataset
from tiffin.tracking import Client

MISSING_RUN = "0123456789abcdef0123456789abcdef"


pytestmark = pytest.mark.usefixtures("elsewhere")


@pytest.fixture
def artifacts(client: Client, run_id: str) -> Path:
    return Path(client.tracking.get_run(run_id).info.artifact_uri)


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})


def _csv(path: Path, **extra: object) -> dict[str, object]:
    return {"type": "pandas.CSVDataset", "filepath": str(path), **extra}


def test_save_writes_locally_and_logs_under_the_artifact_path(
    tmp_path: Path, uri: str, run_id: str, artifacts: Path, df: pd.DataFrame
) -> None:
    ds = ArtifactDataset(
        _csv(tmp_path / "out.csv", save_args={"index": False}), artifact_path="reports"
    )
    ds.bind_run(uri, run_id)
    assert not ds.exists()
    ds.save(df)
    assert ds.exists()
    assert (artifacts / "reports" / "out.csv").read_text() == (tmp_path / "out.csv").read_text()
    pd.testing.assert_frame_equal(ds.load(), df)


def test_loading_with_a_run_id_reads_the_runs_copy_and_leaves_the_local_file(
    tmp_path: Path, uri: str, run_id: str, df: pd.DataFrame
) -> None:
    definition = {"type": "json.JSONDataset", "filepath": str(tmp_path / "scores.json")}
    logged = ArtifactDataset(definition, artifact_path="eval")
    logged.bind_run(uri, run_id)
    logged.save({"f1": 0.8})
    (tmp_path / "scores.json").write_text('{"f1": 0.1}')
    from_run = ArtifactDataset(definition, run_id=run_id, tracking_uri=uri, artifact_path="eval")
    assert from_run.exists()
    assert from_run.load() == {"f1": 0.8}
    assert logged.load() == {"f1": 0.1}
    elsewhere = ArtifactDataset(definition, run_id=run_id, tracking_uri=uri, artifact_path="x")
    with pytest.raises(DatasetError, match="has no artifact 'x/scores.json'"):
        elsewhere.load()
    assert not elsewhere.exists()


def test_a_versioned_wrapped_dataset_logs_the_version_it_saved(
    tmp_path: Path, uri: str, run_id: str, artifacts: Path, df: pd.DataFrame
) -> None:
    ds = ArtifactDataset(_csv(tmp_path / "out.csv", versioned=True))
    ds.bind_run(uri, run_id)
    ds.save(df)
    (saved,) = (tmp_path / "out.csv").glob("*/out.csv")
    assert (artifacts / "out.csv").read_bytes() == saved.read_bytes()
    from_run = ArtifactDataset(
        _csv(tmp_path / "out.csv", versioned=True), run_id=run_id, tracking_uri=uri
    )
    assert from_run.load()["a"].tolist() == [1, 2]


def test_a_folder_is_logged_whole_and_read_back_from_the_run(
    tmp_path: Path, uri: str, run_id: str, artifacts: Path, df: pd.DataFrame
) -> None:
    definition = {
        "type": "partitions.PartitionedDataset",
        "path": str(tmp_path / "parts"),
        "dataset": {"type": "pandas.CSVDataset", "save_args": {"index": False}},
        "filename_suffix": ".csv",
    }
    ds = ArtifactDataset(definition, artifact_path="data")
    ds.bind_run(uri, run_id)
    ds.save({"p1": df, "p2": df})
    assert sorted(p.name for p in (artifacts / "data" / "parts").iterdir()) == ["p1.csv", "p2.csv"]
    from_run = ArtifactDataset(definition, run_id=run_id, tracking_uri=uri, artifact_path="data")
    partitions = from_run.load()
    assert sorted(partitions) == ["p1", "p2"]
    pd.testing.assert_frame_equal(partitions["p1"](), df)


def test_logging_disabled_only_saves_locally(
    tmp_path: Path, uri: str, run_id: str, artifacts: Path, df: pd.DataFrame
) -> None:
    ds = ArtifactDataset(_csv(tmp_path / "out.csv"))
    ds.bind_run(uri, run_id)
    ds.set_logging(False)
    ds.save(df)
    assert (tmp_path / "out.csv").is_file()
    assert not (artifacts / "out.csv").exists()


def test_a_dataset_without_a_file_is_refused_by_name(uri: str, run_id: str) -> None:
    ds = ArtifactDataset({"type": "MemoryDataset"})
    ds.bind_run(uri, run_id)
    with pytest.raises(DatasetError, match="MemoryDataset"):
        ds.save({"a": 1})


def test_a_missing_run_is_named(tmp_path: Path, uri: str, df: pd.DataFrame) -> None:
    ds = ArtifactDataset(_csv(tmp_path / "out.csv"), run_id=MISSING_RUN, tracking_uri=uri)
    with pytest.raises(DatasetError, match=MISSING_RUN):
        ds.save(df)
    with pytest.raises(DatasetError, match=MISSING_RUN):
        ds.load()


def test_a_bad_wrapped_definition_is_named() -> None:
    with pytest.raises(DatasetError, match="pandas.NoSuchDataset"):
        ArtifactDataset({"type": "pandas.NoSuchDataset", "filepath": "x"})


def test_catalog_builds_it_and_it_pickles_after_binding_a_run(
    tmp_path: Path, uri: str, run_id: str, artifacts: Path, df: pd.DataFrame
) -> None:
    catalog = DataCatalog.from_config(
        {
            "report": {
                "type": "tiffin.kedro.ArtifactDataset",
                "artifact_path": "reports",
                "dataset": {"type": "pickle.PickleDataset", "filepath": str(tmp_path / "r.pkl")},
            }
        }
    )
    ds = catalog.get("report")
    assert isinstance(ds, ArtifactDataset)
    ds.bind_run(uri, run_id)
    copy = pickle.loads(pickle.dumps(ds))
    copy.save(df)
    assert (artifacts / "reports" / "r.pkl").is_file()
    pd.testing.assert_frame_equal(catalog.load("report"), df)
