"""URI path segments: ``..`` and ``.`` are refused where runs:/, models:/ and sources are parsed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import tiffin
import tiffin.pyfunc
from tiffin.errors import FormatError
from tiffin.pyfunc.python_model import PythonModel
from tiffin.store import RegistryStore, TrackingStore
from tiffin.store.model_uris import parse_models_uri, parse_runs_uri
from tiffin.store.names import check_uri_segments

RUN = "0123456789abcdef0123456789abcdef"


class AddOne(PythonModel):
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        return np.asarray(model_input) + 1


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'tiffin.db'}"
    tiffin.set_tracking_uri(uri)
    yield uri
    tiffin.set_tracking_uri(None)


@pytest.mark.parametrize(
    "path",
    ["../../other/artifacts/model", "model/../../x", "%2e%2e/x", "%252e%252e/x", "..%2fx",
     "m/%2E%2e", "..\\x", "m\\..\\..\\x", "./model", "model/.", "%2e/model"],
)  # fmt: skip
def test_runs_uri_with_a_dot_segment_in_any_reading_is_refused(path: str) -> None:
    with pytest.raises(FormatError, match=r"runs:/ URI .* is refused: it has a '\.\.?' path"):
        parse_runs_uri(f"runs:/{RUN}/{path}")


def test_a_plain_runs_uri_keeps_its_canonical_path() -> None:
    assert parse_runs_uri(f"runs:/{RUN}/model/") == (RUN, "model")
    assert parse_runs_uri(f"runs:/{RUN}/a.b/..c/d..") == (RUN, "a.b/..c/d..")


@pytest.mark.parametrize("name", ["%2e%2e", "..", ".", "%252e%252e", "a%2fb", "a%5cb", "a%252fb"])
def test_models_uri_name_that_decodes_to_a_path_is_refused(name: str) -> None:
    with pytest.raises(FormatError, match="models:/ URI name|contains '/' or"):
        parse_models_uri(f"models:/{name}/1")


def test_sources_with_dot_segments_are_refused_in_every_scheme() -> None:
    for uri in ("s3://b/runs/../x", "file:///tmp/%2e%2e/etc", "/srv/m/../../etc", "C:\\m\\..\\x"):
        with pytest.raises(FormatError, match="has a '..' path segment"):
            check_uri_segments(uri, "model version source")
    assert check_uri_segments("s3://b/models/1.0/..x") == "s3://b/models/1.0/..x"


def test_runs_uri_climbing_into_another_run_neither_loads_nor_registers(store: str) -> None:
    with tiffin.start_run() as victim:
        tiffin.pyfunc.log_model(name="model", python_model=AddOne(), input_example=[1])
    with tiffin.start_run() as other:
        tiffin.log_text("hello", "notes.txt")  # its artifacts directory exists
    # from <root>/<exp>/<other>/artifacts, two levels up is <exp>: the victim's model is there
    uri = f"runs:/{other.info.run_id}/../../{victim.info.run_id}/artifacts/model"
    with pytest.raises(FormatError, match=r"'\.\.' path segment"):
        tiffin.pyfunc.load_model(uri, trust=True)
    with pytest.raises(FormatError, match=r"'\.\.' path segment"):
        tiffin.register_model(uri, "stolen")
    registry = RegistryStore(store)
    assert registry.search_registered_models() == []


def test_registry_refuses_a_source_with_dot_segments(store: str) -> None:
    registry = RegistryStore(store)
    registry.create_registered_model("churn")
    for source in ("/srv/models/../../etc", "s3://bucket/a/%2e%2e/b", "./model"):
        with pytest.raises(FormatError, match="model version source .* is refused"):
            registry.create_model_version("churn", source)
    assert registry.search_model_versions("churn") == []


def test_experiment_location_with_dot_segments_is_refused(store: str, tmp_path: Path) -> None:
    tracking = TrackingStore(store, artifact_root=str(tmp_path / "x" / ".." / "art"))
    assert ".." not in tracking.artifact_root  # folded, so every source under it is plain
    with pytest.raises(FormatError, match="artifact_location .* is refused"):
        tracking.create_experiment("e", artifact_location="s3://bucket/../other")
